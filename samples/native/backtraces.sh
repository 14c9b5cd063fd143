#!/usr/bin/env bash
# Regenerates the native backtrace samples in samples/native/ by building and
# running the C programs in samples/native/programs:
#   backtrace-symbols/  glibc backtrace_symbols_fd()/backtrace_symbols() from a
#                       SIGSEGV handler (PIE without and with -rdynamic), the
#                       binaries, a separate debug file, a build-id tree
#   asan/               an AddressSanitizer heap-use-after-free report,
#                       symbolized and with ASAN_OPTIONS=symbolize=0
#   tsan/               a ThreadSanitizer lock-order-inversion report,
#                       symbolized and with TSAN_OPTIONS=symbolize=0
#   eu-stack/           eu-stack -p PID of a deadlocked process, with and
#                       without symbols, and of its stripped copy
# Each directory gets expected.json (what addr2line says is at each raw
# frame, by samples/native/expected.py) and a README.md with the build facts.
# Needs gcc (with libasan and libtsan), binutils, python3 and elfutils'
# eu-stack (installed with apt-get when missing). Runs with the machine's
# normal address-space randomisation. Machine paths are replaced by neutral
# ones under /home/build/native.
# Usage: bash samples/native/backtraces.sh
#        ONLY="asan tsan" bash samples/native/backtraces.sh   (just those)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/programs
build=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$build"
}
trap cleanup EXIT
root=/home/build/native
ONLY=${ONLY:-backtrace-symbols asan tsan eu-stack}
want() { [[ " $ONLY " == *" $1 "* ]]; }
unset DEBUGINFOD_URLS

if ! command -v eu-stack >/dev/null || ! command -v addr2line >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq elfutils binutils) >/dev/null
fi
gccversion=$(gcc --version | head -1)
binutilsversion=$(addr2line --version | head -1)
glibcversion=$(ldd --version | head -1)
neutral() { sed -e "s#$build#$root#g"; }
buildid() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }
expected() { python3 "$here/expected.py" "$@"; }
table() { python3 "$here/expected.py" table "$1"; }
size() { stat -c %s "$1"; }

# prepare NAME PROGRAM: copy the program's source to $build/NAME (so its
# debug info names /home/build/native/NAME/main.c) and clear the output dir.
prepare() {
  mkdir -p "$build/$1"
  cp "$progs/$2/main.c" "$build/$1/"
  rm -rf "${here:?}/$1"
  mkdir -p "$here/$1"
}
map=(-ffile-prefix-map="$build=$root")

# --- backtrace-symbols -------------------------------------------------------
if want backtrace-symbols; then
  b=$build/backtrace-symbols o=$here/backtrace-symbols
  prepare backtrace-symbols backtrace-symbols
  CFLAGS=(-O1 -g -Wall -Wextra)
  (cd "$b" && gcc "${CFLAGS[@]}" "${map[@]}" -o app main.c &&
    gcc "${CFLAGS[@]}" -rdynamic "${map[@]}" -o app-rdynamic main.c)
  # (the subshells' own stderr is dropped: it only says "Segmentation fault")
  (cd "$b" && ./app 2>"$b/crash-pie.txt") 2>/dev/null || true
  (cd "$b" && ./app-rdynamic 2>"$b/crash-rdynamic.txt") 2>/dev/null || true
  for f in crash-pie.txt crash-rdynamic.txt; do neutral <"$b/$f" >"$o/$f"; done
  mkdir -p "$o/bin"
  cp "$b/app" "$o/bin/app.unstripped"
  strip --strip-all -o "$o/bin/app" "$b/app"
  objcopy --only-keep-debug "$b/app" "$o/bin/app.debug"
  id=$(buildid "$b/app")
  mkdir -p "$o/debug/.build-id/${id:0:2}"
  cp "$o/bin/app.debug" "$o/debug/.build-id/${id:0:2}/${id:2}.debug"
  cp "$o/bin/app.debug" "$o/bin/app-debuglink.debug"
  (cd "$o/bin" && objcopy --add-gnu-debuglink=app-debuglink.debug app app-debuglink)
  cp "$b/app-rdynamic" "$o/bin/app-rdynamic"
  idr=$(buildid "$b/app-rdynamic")
  (cd "$o" && expected bsyms expected.json crash-pie.txt crash-rdynamic.txt \
    --binary bin/app=bin/app:bin/app.debug --binary bin/app-rdynamic=bin/app-rdynamic \
    --module ./app=bin/app --module ./app-rdynamic=bin/app-rdynamic)
  {
    cat <<EOF
# backtrace-symbols: glibc backtrace_symbols from a SIGSEGV handler

\`../programs/backtrace-symbols/main.c\`: a batch job that dereferences a
record whose value array was never allocated. Its SIGSEGV handler
(\`crash_handler\`, installed with \`sigaction(SA_SIGINFO)\`) prints a header
line with the signal, the fault address and the faulting pc (from the
\`ucontext\`), then glibc's \`backtrace_symbols_fd()\` (no space before \`[\`),
then \`backtrace_symbols()\` (a space before \`[\`), then a copy of
\`/proc/self/maps\`, and re-raises the signal. Regenerate with
\`ONLY=backtrace-symbols bash samples/native/backtraces.sh\`.

Call chain: \`main\` → \`run_job\` → \`process_batch\` → \`check_record\`
(\`static inline\`, always inlined into \`process_batch\`) → \`sum_record\` →
\`read_value\` (always inlined into \`sum_record\`; the fault is here).

## Build and run

- compiler: $gccversion; $glibcversion
- \`app\`: \`gcc ${CFLAGS[*]} -ffile-prefix-map=<build dir>=$root -o app main.c\` (PIE, the default), GNU build-id \`$id\`
- \`app-rdynamic\`: the same with \`-rdynamic\`, GNU build-id \`$idr\`
- run: \`./app\` and \`./app-rdynamic\` from \`$root/backtrace-symbols\`
  (the build directory, rewritten), with normal address-space randomisation;
  stderr is the dump. Module paths in the mapping lists were rewritten from the
  build directory to \`$root/backtrace-symbols\`; nothing else was changed.
- symbolization facts: $binutilsversion (\`addr2line -a -f -i -C -e bin/app.debug\`)

## Files

| file | size | what |
| --- | --- | --- |
| \`crash-pie.txt\` | $(size "$o/crash-pie.txt") | output of \`./app\`: frames \`./app(+0x1263)[0x55...]\`, no names |
| \`crash-rdynamic.txt\` | $(size "$o/crash-rdynamic.txt") | output of \`./app-rdynamic\`: \`./app-rdynamic(sum_record+0x1e)[0x...]\` for exported functions; the static \`crash_handler\` still prints \`(+0x...)\` |
| \`bin/app\` | $(size "$o/bin/app") | \`app\`, \`strip --strip-all\` (no symbols, no debug info, build-id kept) |
| \`bin/app.debug\` | $(size "$o/bin/app.debug") | \`objcopy --only-keep-debug app\`: its DWARF and symbol table |
| \`debug/.build-id/${id:0:2}/${id:2}.debug\` | $(size "$o/bin/app.debug") | the same debug file in a build-id tree (as in \`/usr/lib/debug/.build-id\`) |
| \`bin/app-debuglink\` | $(size "$o/bin/app-debuglink") | \`bin/app\` plus \`objcopy --add-gnu-debuglink=app-debuglink.debug\` (a \`.gnu_debuglink\` section: the file name and the CRC32 of the debug file) |
| \`bin/app-debuglink.debug\` | $(size "$o/bin/app-debuglink.debug") | copy of \`bin/app.debug\`, the file the debuglink names |
| \`bin/app.unstripped\` | $(size "$o/bin/app.unstripped") | \`app\` as built (symbols and DWARF) |
| \`bin/app-rdynamic\` | $(size "$o/bin/app-rdynamic") | \`app-rdynamic\` as built (symbols, DWARF, exported dynamic symbols) |
| \`expected.json\` | | what addr2line says is at every raw frame (below) |

All four \`app\` files and both debug files have build-id \`$id\`.

## Reading the frames

Every frame line is \`MODULE(SYMBOL+0xOFF) [ADDRESS]\`. For the PIE and the
shared libraries, \`+0xOFF\` with an empty symbol is already the file offset
(ELF virtual address) in the module: \`ADDRESS\` minus the module's load
address (first line of the module in the mapping list, file offset 0).
With a symbol, \`0xOFF\` is from that symbol's value (\`nm bin/app-rdynamic\`).

- frame 0 is \`crash_handler\` (the return address after its call to \`backtrace\`);
- frame 1 is libc's sigreturn trampoline \`__restore_rt\` (\`kind\`
  \`signal_trampoline\`: its address is the trampoline's first byte, not a
  return address; do not subtract 1);
- frame 2 is the faulting pc itself, the header's \`pc\` (\`kind\` \`fault_pc\`:
  looked up as is);
- every other frame is a return address, looked up at offset − 1.

## Expected symbolization (\`expected.json\`)

\`expected.json\` has \`binaries\` (name, file, debug file, build-id),
\`modules\` (module as printed → binary) and \`raw_frames\`: one entry per frame
line of each dump, with \`file\`, \`line_in_dump\` (1-based), \`module\`,
\`address\`, \`offset\`, \`lookup_offset\`, \`kind\`, \`load_base\` (from the
mapping list), \`binary\`, \`build_id\`, \`symbolizable\` and \`frames\`
(\`function\`, \`file\`, \`line\`, \`inlined\`; innermost first, the last one
is the real function, the ones before it were inlined into it).

EOF
    table "$o/expected.json"
  } >"$o/README.md"
fi

# --- asan ----------------------------------------------------------------------
if want asan; then
  b=$build/asan o=$here/asan
  prepare asan asan-uaf
  CFLAGS=(-O1 -g -fsanitize=address -fno-omit-frame-pointer -Wall -Wextra)
  (cd "$b" && gcc "${CFLAGS[@]}" "${map[@]}" -o sessions main.c)
  (cd "$b" && ./sessions 2>"$b/report.txt" >/dev/null || true)
  (cd "$b" && ASAN_OPTIONS=symbolize=0 ./sessions 2>"$b/report-unsymbolized.txt" >/dev/null || true)
  for f in report.txt report-unsymbolized.txt; do neutral <"$b/$f" >"$o/$f"; done
  mkdir -p "$o/bin"
  cp "$b/sessions" "$o/bin/sessions"
  id=$(buildid "$b/sessions")
  asanlib=$(ldd "$b/sessions" | sed -n 's/.*libasan.so[^ ]* => \([^ ]*\).*/\1/p')
  (cd "$o" && expected asan expected.json report.txt report-unsymbolized.txt \
    --binary bin/sessions=bin/sessions --module "$root/asan/sessions=bin/sessions")
  {
    cat <<EOF
# asan: AddressSanitizer heap-use-after-free

\`../programs/asan-uaf/main.c\`: a session table whose \`close_session\` frees
a session but leaves it in the table; a later audit reads its name through
the stale pointer (the compiler turned the read into a \`strnlen\` call, so
frame \`#0\` is ASan's \`strnlen\` interceptor). Regenerate with
\`ONLY=asan bash samples/native/backtraces.sh\`.

- access: \`main\` → \`audit_sessions\` → \`audit_one\` → \`session_name_len\` (always inlined into \`audit_one\`) → \`strnlen\`
- free: \`main\` → \`expire_idle\` → \`close_session\` → \`free\`
- allocation: \`main\` → \`open_sessions\` → \`session_new\` → \`malloc\`

## Build and run

- compiler: $gccversion (its libasan, \`$asanlib\`)
- \`gcc ${CFLAGS[*]} -ffile-prefix-map=<build dir>=$root -o sessions main.c\` (PIE), GNU build-id \`$id\`
- run from \`$root/asan\` (the build directory, rewritten), normal address-space randomisation:
  - \`report.txt\`: \`./sessions\` (ASan symbolizes with its built-in symbolizer; inlined frames are separate numbered frames with the same address)
  - \`report-unsymbolized.txt\`: \`ASAN_OPTIONS=symbolize=0 ./sessions\`: frames \`#N 0xADDR  (/path/module+0xOFF)\`.
    This libasan prints no \`(BuildId: ...)\` (later compiler-rt versions do).
- symbolization facts: $binutilsversion (\`addr2line -a -f -i -C -e bin/sessions\`)

The two runs are separate processes, so their absolute addresses differ
(address-space randomisation); the module offsets are the same.

## Files

| file | size | what |
| --- | --- | --- |
| \`report.txt\` | $(size "$o/report.txt") | the symbolized report |
| \`report-unsymbolized.txt\` | $(size "$o/report-unsymbolized.txt") | the report with \`symbolize=0\` |
| \`bin/sessions\` | $(size "$o/bin/sessions") | the binary as built (symbols and DWARF), build-id \`$id\` |
| \`expected.json\` | | what addr2line says is at every \`(module+0xOFF)\` frame (below) |

## Reading the frames

ASan prints \`pc − 1\` for every frame on x86-64 (the call instruction, not
the return address; the frames are looked up as printed: \`kind\`
\`adjusted_return_address\`). \`+0xOFF\` is the offset from the module's load
address, which for this PIE is its ELF virtual address. In \`report.txt\`
only \`_start\` is printed raw.

## Expected symbolization (\`expected.json\`)

Same layout as \`../backtrace-symbols/expected.json\`: \`binaries\`,
\`modules\`, and \`raw_frames\` (\`file\`, \`line_in_dump\`, \`module\`,
\`address\`, \`offset\`, \`lookup_offset\`, \`kind\`, \`frame_index\`,
\`binary\`, \`build_id\`, \`symbolizable\`, \`frames\` innermost first).

EOF
    table "$o/expected.json"
  } >"$o/README.md"
fi

# --- tsan ----------------------------------------------------------------------
if want tsan; then
  b=$build/tsan o=$here/tsan
  prepare tsan tsan-lock-order
  CFLAGS=(-O1 -g -fsanitize=thread -Wall -Wextra)
  (cd "$b" && gcc "${CFLAGS[@]}" "${map[@]}" -o transfers main.c)
  (cd "$b" && ./transfers 2>"$b/report.txt" >/dev/null || true)
  (cd "$b" && TSAN_OPTIONS=symbolize=0 ./transfers 2>"$b/report-unsymbolized.txt" >/dev/null || true)
  (cd "$b" && TSAN_OPTIONS=second_deadlock_stack=1 ./transfers 2>"$b/report-second-stack.txt" >/dev/null || true)
  (cd "$b" && TSAN_OPTIONS=second_deadlock_stack=1:symbolize=0 ./transfers \
    2>"$b/report-second-stack-unsymbolized.txt" >/dev/null || true)
  files=(report.txt report-unsymbolized.txt report-second-stack.txt report-second-stack-unsymbolized.txt)
  for f in "${files[@]}"; do neutral <"$b/$f" >"$o/$f"; done
  mkdir -p "$o/bin"
  cp "$b/transfers" "$o/bin/transfers"
  id=$(buildid "$b/transfers")
  tsanlib=$(ldd "$b/transfers" | sed -n 's/.*libtsan.so[^ ]* => \([^ ]*\).*/\1/p')
  (cd "$o" && expected tsan expected.json "${files[@]}" \
    --binary bin/transfers=bin/transfers --module transfers=bin/transfers)
  {
    cat <<EOF
# tsan: ThreadSanitizer lock-order inversion

\`../programs/tsan-lock-order/main.c\`: two transfer threads lock two
accounts' mutexes in opposite order (\`transfer(A, B)\` and \`transfer(B, A)\`).
The threads run one after the other (the first is joined before the second
starts), so the process finishes, but ThreadSanitizer's deadlock detector
reports the cycle \`M0 => M1 => M0\`. Regenerate with
\`ONLY=tsan bash samples/native/backtraces.sh\`.

Each thread: \`transfer_worker\` → \`transfer\` → \`lock_account\` (always
inlined into \`transfer\`) → \`pthread_mutex_lock\`.

## Build and run

- compiler: $gccversion (its libtsan, \`$tsanlib\`)
- \`gcc ${CFLAGS[*]} -ffile-prefix-map=<build dir>=$root -o transfers main.c\` (PIE), GNU build-id \`$id\`
- run from \`$root/tsan\` (the build directory, rewritten), normal address-space randomisation:

| file | size | run |
| --- | --- | --- |
| \`report.txt\` | $(size "$o/report.txt") | \`./transfers\` |
| \`report-unsymbolized.txt\` | $(size "$o/report-unsymbolized.txt") | \`TSAN_OPTIONS=symbolize=0 ./transfers\`: frames \`#N <null> <null> (module+0xOFF)\` |
| \`report-second-stack.txt\` | $(size "$o/report-second-stack.txt") | \`TSAN_OPTIONS=second_deadlock_stack=1 ./transfers\`: also where each thread took its first mutex |
| \`report-second-stack-unsymbolized.txt\` | $(size "$o/report-second-stack-unsymbolized.txt") | \`TSAN_OPTIONS=second_deadlock_stack=1:symbolize=0 ./transfers\` |
| \`bin/transfers\` | $(size "$o/bin/transfers") | the binary as built (symbols and DWARF), build-id \`$id\` |
| \`expected.json\` | | what addr2line says is at every \`(module+0xOFF)\` frame (below) |

- symbolization facts: $binutilsversion (\`addr2line -a -f -i -C -e bin/transfers\`)

## Reading the frames

TSan frames have no absolute address: \`#N func file:line (module+0xOFF)\`,
or \`#N <null> <null> (module+0xOFF)\` unsymbolized. The module is the file
name only (\`transfers\`, \`libtsan.so.2\`, \`libc.so.6\`); in the \`SUMMARY\`
line of an unsymbolized report it is the full path. TSan prints \`pc − 1\`
(looked up as printed, \`kind\` \`adjusted_return_address\`). The mutex
addresses (\`M0 (0x55...)\`) are absolute addresses of \`acct_a\`/\`acct_b\` in
the binary's data, which differ per run. The symbolized stacks of the
thread-creation sites end at \`main\`; unsymbolized they go on into libc.

## Expected symbolization (\`expected.json\`)

Same layout as \`../backtrace-symbols/expected.json\` (no \`address\`: TSan
prints none).

EOF
    table "$o/expected.json"
  } >"$o/README.md"
fi

# --- eu-stack --------------------------------------------------------------------
if want eu-stack; then
  b=$build/eu-stack o=$here/eu-stack
  prepare eu-stack eu-stack-deadlock
  CFLAGS=(-O1 -g -pthread -Wall -Wextra)
  (cd "$b" && gcc "${CFLAGS[@]}" "${map[@]}" -o deadlock main.c)
  mkdir -p "$b/stripped"
  strip --strip-all -o "$b/stripped/deadlock" "$b/deadlock"
  objcopy --only-keep-debug "$b/deadlock" "$b/deadlock.debug"
  objcopy --add-gnu-debuglink="$b/deadlock.debug" "$b/stripped/deadlock"
  # start PROGRAM: run it in the background until it prints "ready"
  start() {
    local out=$1.out
    "$1" >"$out" &
    pids+=($!)
    for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.1; done
    grep -q ready "$out"
    sleep 0.3
  }
  start "$b/deadlock"
  pid=${pids[-1]}
  (eu-stack -p "$pid" -m -s -i -b >"$b/full.txt" 2>&1 || true)
  (eu-stack -p "$pid" >"$b/plain.txt" 2>&1 || true)
  (eu-stack -p "$pid" -q -l >"$b/raw.txt" 2>&1 || true)
  (eu-stack -p "$pid" -q -m -b >"$b/raw-modules.txt" 2>&1 || true)
  kill "$pid"
  start "$b/stripped/deadlock"
  spid=${pids[-1]}
  (eu-stack -p "$spid" -m -s -i -b >"$b/stripped.txt" 2>&1 || true)
  kill "$spid"
  files=(full.txt plain.txt raw.txt raw-modules.txt stripped.txt)
  for f in "${files[@]}"; do neutral <"$b/$f" >"$o/$f"; done
  mkdir -p "$o/bin" "$o/stripped"
  cp "$b/deadlock" "$o/bin/deadlock"
  cp "$b/stripped/deadlock" "$o/stripped/deadlock"
  cp "$b/deadlock.debug" "$o/stripped/deadlock.debug"
  id=$(buildid "$b/deadlock")
  euversion=$(eu-stack --version | head -1)
  (cd "$o" && expected eustack expected.json "${files[@]}" \
    --binary bin/deadlock=bin/deadlock --binary stripped/deadlock=stripped/deadlock:stripped/deadlock.debug \
    --module "$root/eu-stack/deadlock=bin/deadlock" --module "$root/eu-stack/stripped/deadlock=stripped/deadlock")
  {
    cat <<EOF
# eu-stack: a deadlocked process

\`../programs/eu-stack-deadlock/main.c\`: two transfer threads (named
\`transfer-1\`, \`transfer-2\`) lock two accounts in opposite order and block
for good (\`transfer-1\` holds A and waits for B, \`transfer-2\` holds B and
waits for A; a barrier makes sure both hold their first mutex first), a
\`flusher\` thread waits in \`pthread_cond_wait\` on a condition nobody
signals, and the main thread waits in \`pthread_join\`. When every thread is
blocked the program prints \`ready\` and \`eu-stack -p PID\` is run on it.
Regenerate with \`ONLY=eu-stack bash samples/native/backtraces.sh\`.

- \`transfer_main\` → \`transfer\` → \`lock_account\` (always inlined) → \`pthread_mutex_lock\`
- \`flusher_main\` → \`wait_for_work\` (always inlined) → \`pthread_cond_wait\`

## Build and run

- compiler: $gccversion; $glibcversion; $euversion
- \`gcc ${CFLAGS[*]} -ffile-prefix-map=<build dir>=$root -o deadlock main.c\` (PIE), GNU build-id \`$id\`
- \`stripped/deadlock\`: \`strip --strip-all\`, then \`objcopy --add-gnu-debuglink=deadlock.debug\`;
  \`stripped/deadlock.debug\`: \`objcopy --only-keep-debug deadlock\` (same build-id)
- run as \`$root/eu-stack/deadlock\` and \`$root/eu-stack/stripped/deadlock\`
  (the build directory, rewritten), normal address-space randomisation.
  libc's frames are named and have source lines because this machine has
  Debian's libc6-dbg (\`/usr/lib/debug/.build-id/...\`); \`DEBUGINFOD_URLS\` unset.
- symbolization facts: $binutilsversion (\`addr2line -a -f -i -C -e bin/deadlock\`)

## Files

The first four are of one process (the same pid, addresses and thread ids);
\`stripped.txt\` is of a second process, the stripped binary, whose debug
file was not beside it (eu-stack found no debug info for it).

| file | size | command |
| --- | --- | --- |
| \`full.txt\` | $(size "$o/full.txt") | \`eu-stack -p PID -m -s -i -b\`: names, inlined frames, source, module, \`[build-id]@base+offset\` |
| \`plain.txt\` | $(size "$o/plain.txt") | \`eu-stack -p PID\`: address and name (from the symbol tables), no inlined frames |
| \`raw.txt\` | $(size "$o/raw.txt") | \`eu-stack -p PID -q -l\`: the module map (\`-l\`: range, name, build-id, file, debug file) then bare addresses (\`-q\`: no symbol lookup) |
| \`raw-modules.txt\` | $(size "$o/raw-modules.txt") | \`eu-stack -p PID -q -m -b\`: bare addresses with module, build-id, load base and offset |
| \`stripped.txt\` | $(size "$o/stripped.txt") | \`eu-stack -p PID -m -s -i -b\` of \`stripped/deadlock\`: its frames have no names |
| \`bin/deadlock\` | $(size "$o/bin/deadlock") | the binary as built (symbols and DWARF) |
| \`stripped/deadlock\` | $(size "$o/stripped/deadlock") | the stripped copy, with a \`.gnu_debuglink\` to \`deadlock.debug\` |
| \`stripped/deadlock.debug\` | $(size "$o/stripped/deadlock.debug") | its separate debug file |
| \`expected.json\` | | what addr2line says is at every raw frame (below) |

## Reading the frames

eu-stack prints the pc of frame \`#0\` (where the thread stopped, the
"activation") and the return addresses of the callers. The \`@base+offset\`
of \`-b\` is already adjusted: \`pc − base\` for \`#0\`, \`pc − 1 − base\` for the
others (\`kind\` \`activation\` / \`adjusted_return_address\`: looked up as
printed). In \`raw.txt\` the offset is \`address − start\` of the module in the
\`-l\` map, looked up at offset − 1 for the callers (\`kind\`
\`return_address\`). In \`full.txt\` an inlined function is its own frame
with the same address as the frame it was inlined into.

## Expected symbolization (\`expected.json\`)

Same layout as \`../backtrace-symbols/expected.json\`, with \`load_base\`,
\`frame_index\` and (for \`-b\` lines) \`printed_build_id\`.

EOF
    table "$o/expected.json"
  } >"$o/README.md"
fi

# --- checks -----------------------------------------------------------------
check_dirs=()
for d in backtrace-symbols asan tsan eu-stack; do want "$d" && check_dirs+=("$here/$d"); done
python3 - "${check_dirs[@]}" <<'EOF'
import json, sys, os
for d in sys.argv[1:]:
    doc = json.load(open(os.path.join(d, "expected.json")))
    good = [r for r in doc["raw_frames"] if r["symbolizable"]]
    assert good, d
    for r in good:
        assert r["frames"] and r["frames"][-1]["function"], (d, r)
    print(f"{os.path.basename(d)}: {len(doc['raw_frames'])} raw frames, {len(good)} symbolized")
EOF
if grep -rlF -e "$build" -e "$HOME/" -e "$(cd "$here/../.." && pwd)/" -e "$(dirname "$build")/" "${check_dirs[@]}"; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
du -ab "${check_dirs[@]}" | sort -k2
