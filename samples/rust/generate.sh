#!/usr/bin/env bash
# Regenerates the Rust panic and backtrace samples in samples/rust/panics/ by
# building and running samples/rust/programs/panics (no dependencies):
# panics with RUST_BACKTRACE unset, =1 and =full, the same from a stripped
# copy of the binary, panics in several named and unnamed threads, and
# std::backtrace::Backtrace::force_capture() from several threads. It keeps
# the stripped binary and its separate debug file, and writes expected.json
# (what addr2line says is at each address-only frame, by
# samples/native/expected.py) and a README with the build facts.
# Needs cargo/rustc, binutils and python3. Runs with the machine's normal
# address-space randomisation. Machine paths are replaced by neutral ones
# under /home/build/rust.
# Usage: bash samples/rust/generate.sh
# CARGO_TARGET_DIR, when set, is where the program is built (reused across
# runs); otherwise it is built in a temporary directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
root=/home/build/rust
out=$here/panics
target=${CARGO_TARGET_DIR:-$build/target}

if ! command -v addr2line >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq binutils) >/dev/null
fi

# Built from a copy under $build (so that cargo never runs inside the
# repository), with the copy's path remapped to /home/build/rust/panics.
cp -r "$here/programs/panics" "$build/panics"
rm -rf "$build/panics/target"
(cd "$build/panics" && RUSTFLAGS="--remap-path-prefix=$build/panics=$root/panics" \
  CARGO_TARGET_DIR=$target cargo build -q --release)

mkdir -p "$build/run" "$build/stripped"
cp "$target/release/panics" "$build/run/panics"
objcopy --only-keep-debug --compress-debug-sections=zlib "$build/run/panics" "$build/panics.debug"
strip --strip-all -o "$build/stripped/panics" "$build/run/panics"
(cd "$build" && objcopy --add-gnu-debuglink=panics.debug stripped/panics)
# The stripped binary runs where its debug file is not (std's symbolizer
# would follow the .gnu_debuglink), so it prints <unknown> frames.

# run NAME DIR MODE [ENV...]: stderr of DIR/panics MODE -> $build/NAME.txt;
# the load base and /proc/self/maps -> $build/NAME.maps.txt
run() {
  local name=$1 dir=$2 mode=$3
  shift 3
  (cd "$build/$dir" && env -u RUST_BACKTRACE -u RUST_LIB_BACKTRACE PANICS_BASE_FILE="$build/$name.maps.txt" "$@" \
    ./panics $mode 2>"$build/$name.txt" >/dev/null) || true
}
run panic run main
run panic-backtrace1 run main RUST_BACKTRACE=1
run panic-full run main RUST_BACKTRACE=full
run panic-backtrace1-stripped stripped main RUST_BACKTRACE=1
run panic-full-stripped stripped main RUST_BACKTRACE=full
run threads-backtrace1 run threads RUST_BACKTRACE=1
run capture-stderr run "capture $build/capture.txt"
mv "$build/capture-stderr.maps.txt" "$build/capture.maps.txt"

neutral() { sed -e "s#$target#$root/target#g" -e "s#$build#$root#g" -e "s#$HOME/#/home/build/#g"; }
rm -rf "$out"
mkdir -p "$out/bin"
dumps=(panic panic-backtrace1 panic-full panic-backtrace1-stripped panic-full-stripped threads-backtrace1)
for f in "${dumps[@]}" capture; do neutral <"$build/$f.txt" >"$out/$f.txt"; done
for f in panic-full panic-full-stripped capture; do neutral <"$build/$f.maps.txt" >"$out/$f.maps.txt"; done
[ -s "$build/capture-stderr.txt" ] && { cat "$build/capture-stderr.txt" >&2; exit 1; }
cp "$build/stripped/panics" "$out/bin/panics"
cp "$build/panics.debug" "$out/bin/panics.debug"

id=$(readelf -n "$build/run/panics" | sed -n 's/.*Build ID: //p')
rustcversion=$(rustc --version)
cargoversion=$(cargo --version)
binutilsversion=$(addr2line --version | head -1)
sz() { stat -c %s "$1"; }
unstripped_size=$(sz "$build/run/panics")
(cd "$out" && python3 "$here/../native/expected.py" rust expected.json \
  panic-full.txt:panic-full.maps.txt panic-full-stripped.txt:panic-full-stripped.maps.txt \
  capture.txt:capture.maps.txt \
  --binary bin/panics=bin/panics:bin/panics.debug \
  --module "$root/run/panics=bin/panics" --module "$root/stripped/panics=bin/panics")

base_full=$(sed -n '1s/executable_base //p' "$out/panic-full-stripped.maps.txt")
{
  cat <<EOF
# Rust panics and backtraces

Real output of \`../programs/panics\` (a Cargo project without
dependencies, its own \`[workspace]\`). Regenerate with
\`bash samples/rust/generate.sh\`.

## Build and run

- $rustcversion; $cargoversion (the only toolchain on the machine that wrote them)
- \`cargo build --release\` with \`RUSTFLAGS=--remap-path-prefix=<build dir>/panics=$root/panics\`;
  release profile: \`opt-level = 2\`, \`codegen-units = 1\`, \`panic = "unwind"\`,
  \`debug = "line-tables-only"\`, \`strip = "none"\` (x86-64 PIE, symbol mangling
  as this rustc does it by default: std's frames print as \`std[e28293b1aa0f68bd]::...\`)
- the binary as built: $unstripped_size bytes (not kept: most of it is std's
  line tables), GNU build-id \`$id\`
- \`bin/panics\` ($(sz "$out/bin/panics") bytes): \`strip --strip-all\` of it, then
  \`objcopy --add-gnu-debuglink=panics.debug\`; same build-id
- \`bin/panics.debug\` ($(sz "$out/bin/panics.debug") bytes):
  \`objcopy --only-keep-debug --compress-debug-sections=zlib\`: the DWARF
  (line tables and inlining only) and the symbol table, with the debug
  sections compressed (\`SHF_COMPRESSED\`, zlib) to keep it small; binutils,
  gdb and elfutils read it as is, a reader without zlib must inflate them first
- run as \`$root/run/panics MODE\` (unstripped) and \`$root/stripped/panics MODE\`
  (stripped, with no debug file beside it, so std finds no symbols), normal
  address-space randomisation, stderr captured; paths of the machine were
  replaced by \`$root\`. Sources of std print as \`/rustc/<commit>/library/...\`,
  of the program as \`$root/panics/src/main.rs\`; the \`panicked at\` location
  is relative (\`src/main.rs:41:9\`).
- symbolization facts: std's own symbolization of the unstripped binary (see below), every
  file:line checked with $binutilsversion (\`addr2line -a -f -i -C -e bin/panics.debug\`)

## Modes of the program

- \`main\`: the main thread panics in \`validate_limit\` (\`#[inline(always)]\`,
  inlined into the generic \`parse_field::<u32>\`), called from
  \`load_settings\` ← \`run_pipeline\` ← \`main\`.
- \`threads\`: threads named \`ingest-1\` and \`ingest-2\` (by
  \`std::thread::Builder::name\`) and an unnamed one panic, one after the
  other (an index out of bounds, an \`unwrap()\` on \`None\`, a division by
  zero), each in \`decode_record\` ← \`ingest_batch\`; the main thread joins
  them, prints \`3 ingest threads panicked\` and exits with status 101.
- \`capture FILE\`: threads \`reporter-a\`, \`reporter-b\` and an unnamed one,
  then the main thread, write \`std::backtrace::Backtrace::force_capture()\`
  into FILE without panicking: \`{}\` (the short form) for the three threads
  (through 0, 1 and 2 levels of the recursive \`reporter_loop\`), \`{:#}\` (the
  full form, with addresses) for the main thread.

When \`PANICS_BASE_FILE\` is set the program first writes to it
\`executable_base 0x...\` (the start of its first mapping in
\`/proc/self/maps\`, where the PIE was loaded) and a copy of
\`/proc/self/maps\`: the \`*.maps.txt\` files. They are not part of any dump:
they record the truth for checking load-base inference.

## Files

| file | run |
| --- | --- |
| \`panic.txt\` | \`panics main\`, \`RUST_BACKTRACE\` unset: header, message, \`note: run with \`RUST_BACKTRACE=1\` ...\` |
| \`panic-backtrace1.txt\` | \`RUST_BACKTRACE=1 panics main\`: short backtrace, \`at\` lines, \`note: Some details are omitted, ...\` |
| \`panic-full.txt\` | \`RUST_BACKTRACE=full panics main\`: every frame with its address, symbol names with crate disambiguators; an inlined function is its own numbered frame with the same address |
| \`panic-full.maps.txt\` | load base and \`/proc/self/maps\` of that process |
| \`panic-backtrace1-stripped.txt\` | \`RUST_BACKTRACE=1\` from \`bin/panics\` (stripped): \`stack backtrace:\` and the note, no frames at all |
| \`panic-full-stripped.txt\` | \`RUST_BACKTRACE=full\` from \`bin/panics\` (stripped): \`N:     0x... - <unknown>\` for the program's frames (libc's are named: this machine has libc's debug info) |
| \`panic-full-stripped.maps.txt\` | load base and \`/proc/self/maps\` of that process: the program was loaded at \`$base_full\` |
| \`threads-backtrace1.txt\` | \`RUST_BACKTRACE=1 panics threads\`: three panics, \`thread 'ingest-1' (TID) panicked at\`, \`thread 'ingest-2' (TID)\`, \`thread '<unnamed>' (TID)\` |
| \`capture.txt\` | the file written by \`panics capture FILE\` (short forms, then the full form of the main thread) |
| \`capture.maps.txt\` | load base and \`/proc/self/maps\` of that process |
| \`bin/panics\` | the stripped binary (build-id \`$id\`) |
| \`bin/panics.debug\` | its debug file (same build-id; named by the binary's \`.gnu_debuglink\`) |
| \`expected.json\` | what addr2line says is at every address of \`panic-full.txt\`, \`panic-full-stripped.txt\` and \`capture.txt\` (below) |

Thread ids in the headers and all addresses differ from run to run.

## Header forms this toolchain cannot produce

Rust $(rustc --version | cut -d" " -f2) prints \`thread 'main' (12345) panicked at src/main.rs:41:9:\`
(with the OS thread id, since 1.91) and the message on the next line. The
older forms cannot be produced with this toolchain and are not faked here:
before 1.73 \`thread 'main' panicked at 'msg', src/main.rs:41:9\` (message
quoted on the header line), 1.73 to 1.90 \`thread 'main' panicked at
src/main.rs:41:9:\` (no thread id).

\`[... omitted N frames ...]\` does not appear: std prints it only when
frames are hidden between two printed ones (a second
\`__rust_end_short_backtrace\` marker below the first), which none of these
stacks has; the frames hidden above the panic and below
\`__rust_begin_short_backtrace\` are dropped without a mark.

## Reading the frames

\`RUST_BACKTRACE=full\` prints the instruction pointer of each frame: for
every frame a return address (std itself symbolizes at ip − 1), so the
frames are looked up at offset − 1 (\`kind\` \`return_address\`). A stripped
binary's frames carry neither a symbol nor a module: the module is found
from the mapping list in the side file (\`load_base\` of the module; for the
program, \`executable_base\`), and \`offset = address − load_base\` is the ELF
virtual address in the PIE. In the full form an inlined function is a
separate numbered frame with the same address; addr2line returns all of
them for that one address (innermost first). The last frame, \`0x0 -
<unknown>\`, is the end of the stack, not listed.

## Expected symbolization (\`expected.json\`)

Same layout as \`../../native/backtrace-symbols/expected.json\`: \`binaries\`,
\`modules\` (the neutral run paths → \`bin/panics\`) and \`raw_frames\`, one
entry per run of frame lines with the same address (\`line_in_dump\` is the
first of them): \`file\`, \`line_in_dump\`, \`module\`, \`address\`,
\`offset\`, \`lookup_offset\`, \`kind\`, \`load_base\`, \`executable_base\`,
\`frame_index\`, \`printed_symbol\`, \`binary\`, \`build_id\`,
\`symbolizable\`, \`source\` and \`frames\` (\`function\`, \`file\`,
\`line\`, \`column\`, \`inlined\`; innermost first).

The frames of an offset are the ones std itself printed for that offset of
the same binary, in \`panic-full.txt\` or in the full form of \`capture.txt\`
(the unstripped runs; \`source\` \`std\`): that is what a gimli-based
symbolizer reading \`bin/panics.debug\` gives. Names are as std printed them:
DWARF names, with crate disambiguators in brackets
(\`std[e28293b1aa0f68bd]::panicking::default_hook\`) where the DWARF has a v0
linkage name, short names (\`validate_limit\`, \`parse_field<u32>\`,
\`{closure#0}\`) for the program's own line-tables-only functions, the symbol
for code without DWARF (\`main\`, \`_start\`); compare them with the
\`[hex]\` disambiguators and \`::h<16 hex>\` hashes removed. Every file:line
was checked against binutils' \`addr2line -f -i -C -e bin/panics.debug\` at
offset − 1: the same lines. Its function names differ: binutils 2.40 names
the innermost frame of an inlined chain after the containing function's
symbol (\`panics::parse_field\` for what is \`validate_limit\`), and elfutils
0.188's \`eu-addr2line\` neither demangles v0 names nor shows all inlined
frames where the outer function has no DWARF of its own.
EOF
  echo
  echo "Frames of \`panic-full-stripped.txt\` (the program's only; libc's are listed with \`\"symbolizable\": false\`):"
  echo
  python3 - "$out/expected.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
print("| dump line | address | offset | looked up at | frames (innermost first) |")
print("| --- | --- | --- | --- | --- |")
for r in doc["raw_frames"]:
    if r["file"] != "panic-full-stripped.txt" or not r["symbolizable"]:
        continue
    fr = "<br>".join(f"{'(inlined) ' if f['inlined'] else ''}`{f['function']}` "
                     f"{(f['file'] or '??').rsplit('/', 1)[-1]}:{f['line'] or '?'}" for f in r["frames"])
    print(f"| {r['line_in_dump']} | {r['address']} | {r['offset']} | {r['lookup_offset']} | {fr} |")
EOF
} >"$out/README.md"

if grep -rlF -e "$build" -e "$HOME/" -e "$(cd "$here/../.." && pwd)/" -e "$(dirname "$build")/" -e "$target" "$out"; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
ls -l "$out" "$out/bin"
