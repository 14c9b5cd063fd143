#!/usr/bin/env bash
# Regenerates the native heap-profile samples in samples/native/ by building
# and running the programs in samples/native/programs:
#   jemalloc-cache/  two jemalloc heap profiles (heap_v2) of one run, jeprof's
#                    --text view of them, and a README with the build facts
#   dhat-cache/      a dhat-rs heap profile (dhat-heap.json) and a README
# Needs gcc, Debian's libjemalloc-dev (installed when missing; it brings
# jeprof), binutils (for jeprof), cargo and python3. Runs with address-space
# randomisation off (setarch -R) where the machine allows it, so the sampled
# stacks, the counts and the addresses repeat from run to run.
# Machine paths are replaced by neutral ones under /home/build.
# Usage: bash samples/native/generate.sh
# CARGO_TARGET_DIR, when set, is where the Rust program is built (reused
# across runs); otherwise it is built in a temporary directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/programs
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
root=/home/build/native

# --- tools -----------------------------------------------------------------
if [ ! -f /usr/include/jemalloc/jemalloc.h ] || ! command -v jeprof >/dev/null ||
  ! command -v addr2line >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq libjemalloc-dev libjemalloc2 binutils) >/dev/null
fi
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  norandom=(setarch "$(uname -m)" -R)
else
  echo "warning: setarch -R is not allowed here; addresses and sampled counts will differ per run" >&2
fi

# --- jemalloc-cache ----------------------------------------------------------
# Built from a copy under $build, with $build mapped to $root in the debug
# info, so the binary is /home/build/native/jemalloc-cache in the profiles.
jout=$here/jemalloc-cache
jsrc=$build/programs/jemalloc-cache
CFLAGS=(-O1 -g -fno-omit-frame-pointer -Wall -Wextra)
MALLOC_CONF_USED=prof:true,prof_accum:true,lg_prof_sample:12
REQUESTS=(20000 60000)
mkdir -p "$jsrc" "$build/jemalloc-out"
cp "$progs/jemalloc-cache/main.c" "$jsrc/"
(cd "$jsrc" && gcc "${CFLAGS[@]}" "-ffile-prefix-map=$build=$root" \
  -o "$build/jemalloc-cache" main.c -ljemalloc -lpthread)
(cd "$build" && env MALLOC_CONF="$MALLOC_CONF_USED" "${norandom[@]}" \
  ./jemalloc-cache jemalloc-out "${REQUESTS[@]}" 2>"$build/jemalloc-run.txt")

neutral() { sed -e "s#$build#$root#g"; }

rm -rf "$jout"
mkdir -p "$jout"
for i in 1 2; do
  neutral <"$build/jemalloc-out/jeprof.$i.heap" >"$jout/jeprof.$i.heap"
done
# jeprof reads the unrewritten profiles, beside the binary they name.
jeprof_text() { jeprof --text "$@" 2>/dev/null | neutral; }
jeprof_text "$build/jemalloc-cache" "$build/jemalloc-out/jeprof.1.heap" >"$jout/reference-jeprof.1.txt"
jeprof_text "$build/jemalloc-cache" "$build/jemalloc-out/jeprof.2.heap" >"$jout/reference-jeprof.2.txt"
jeprof_text --base="$build/jemalloc-out/jeprof.1.heap" "$build/jemalloc-cache" \
  "$build/jemalloc-out/jeprof.2.heap" >"$jout/reference-jeprof.growth.txt"
jeprof_text --alloc_space "$build/jemalloc-cache" "$build/jemalloc-out/jeprof.2.heap" \
  >"$jout/reference-jeprof.2.alloc.txt"

jversion=$(sed -n 's/^jemalloc \([^,]*\),.*/\1/p' "$build/jemalloc-run.txt")
lgsample=$(sed -n 's/.*lg_prof_sample \([0-9]*\).*/\1/p' "$build/jemalloc-run.txt")
gccversion=$(gcc --version | head -1)
buildid=$(readelf -n "$build/jemalloc-cache" | sed -n 's/.*Build ID: //p')
debver=$(dpkg-query -W -f='${Version}' libjemalloc2 2>/dev/null || echo unknown)
{
  cat <<EOF
# jemalloc-cache heap profiles

Two jemalloc heap profiles (format \`heap_v2\`) written by one run of
\`../programs/jemalloc-cache/main.c\`, a service whose cache never evicts,
and jeprof's \`--text\` view of them. Regenerate with
\`bash samples/native/generate.sh\`.

## Build and run

- compiler: $gccversion
- flags: \`${CFLAGS[*]} -ffile-prefix-map=<build dir>=$root\`, linked with \`-ljemalloc -lpthread\`
- binary: \`$root/jemalloc-cache\` (not kept), GNU build-id \`$buildid\`
- jemalloc: $jversion (Debian libjemalloc2 $debver, built with profiling, backtraces by libgcc's unwinder)
- run: \`MALLOC_CONF=$MALLOC_CONF_USED setarch $(uname -m) -R ./jemalloc-cache OUT ${REQUESTS[*]}\`
- sampling: \`lg_prof_sample:$lgsample\`, one sample per $((1 << lgsample)) bytes allocated on average
  (jemalloc's default is 19, 512 KiB); \`prof_accum:true\` adds the cumulative
  \`[objects: bytes]\` column, so freed sites still appear
- \`prof_unbias\` is left at its default (true in 5.3): each stack's counts are
  written so that jeprof's per-stack adjustment (\`1/(1-exp(-avg/rate))\`)
  recovers the unbiased estimate. The header's \`t*:\`/\`tN:\` totals are
  written the same way for the thread as a whole, so they are not the sum of
  the stacks' lines; adjusted on their own they give the same total.

The worker thread serves the requests; the main thread loaded the
configuration and wrote the dumps (\`mallctl("prof.dump")\`) after
${REQUESTS[0]} and after ${REQUESTS[1]} requests.

## Files

| file | what |
| --- | --- |
| \`jeprof.1.heap\` | profile after ${REQUESTS[0]} requests |
| \`jeprof.2.heap\` | profile after ${REQUESTS[1]} requests, same process |
| \`reference-jeprof.1.txt\` | \`jeprof --text BINARY jeprof.1.heap\` (in-use space, MB) |
| \`reference-jeprof.2.txt\` | \`jeprof --text BINARY jeprof.2.heap\` |
| \`reference-jeprof.growth.txt\` | \`jeprof --text --base=jeprof.1.heap BINARY jeprof.2.heap\`: what grew between the two |
| \`reference-jeprof.2.alloc.txt\` | \`jeprof --text --alloc_space BINARY jeprof.2.heap\`: everything allocated, freed or not |

Paths of the build directory in \`MAPPED_LIBRARIES\` were rewritten to
\`$root\`; everything else is as jemalloc wrote it.

## Output of the run

\`\`\`
EOF
  neutral <"$build/jemalloc-run.txt"
  cat <<EOF
\`\`\`

## Header totals

\`\`\`
EOF
  for i in 1 2; do
    echo "jeprof.$i.heap:"
    sed -n '1,/^@/p' "$jout/jeprof.$i.heap" | grep -v '^@'
  done
  echo '```'
} >"$jout/README.md"

# --- dhat-cache ---------------------------------------------------------------
dsrc=$progs/dhat-cache
dout=$here/dhat-cache
target=${CARGO_TARGET_DIR:-$build/target}
locked=()
[ -f "$dsrc/Cargo.lock" ] && locked=(--locked)
(cd "$dsrc" && CARGO_TARGET_DIR=$target cargo build -q --release "${locked[@]}")
mkdir -p "$build/dhat-run"
(cd "$build/dhat-run" && "${norandom[@]}" "$target/release/dhat-cache" 2>"$build/dhat-run.txt")
registry=${CARGO_HOME:-$HOME/.cargo}/registry/src
dneutral() {
  sed -E -e "s#$target#$root/dhat-cache/target#g" -e "s#$dsrc#$root/dhat-cache#g" \
    -e "s#$registry/index\.crates\.io-[0-9a-f]+#/home/build/.cargo/registry/src/index.crates.io#g" \
    -e "s#$build#$root/tmp#g" -e "s#$HOME/#/home/build/#g"
}
rm -rf "$dout"
mkdir -p "$dout"
dneutral <"$build/dhat-run/dhat-heap.json" >"$dout/dhat-heap.json"
dhatversion=$(awk '/^name = "dhat"$/{getline; print $3}' "$dsrc/Cargo.lock" | tr -d '"')
{
  cat <<EOF
# dhat-cache heap profile

\`dhat-heap.json\`, written by dhat-rs ($dhatversion, \`dhat::Profiler::new_heap()\`,
mode \`rust-heap\`) in one run of \`../programs/dhat-cache\`, a service
whose cache never evicts. Regenerate with \`bash samples/native/generate.sh\`.

## Build and run

- $(rustc --version)
- \`cargo build --release --locked\` in \`programs/dhat-cache\` (release profile with \`debug = 1\`)
- run: \`setarch $(uname -m) -R target/release/dhat-cache\` (60000 requests), which
  writes \`dhat-heap.json\` in the current directory when the profiler is dropped

dhat records every allocation (no sampling). The profiler is stopped while
the cache is still alive, so \`t-end\` is what the service still holds.
Frame strings in \`ftbl\` are as dhat-rs wrote them (it keeps the last
three components of a source path); \`cmd\` names the binary at a neutral
path. Times (\`tl\`, \`tg\`, \`te\`) and \`pid\` differ from run to run.

## Output of the run

\`\`\`
EOF
  dneutral <"$build/dhat-run.txt"
  echo '```'
} >"$dout/README.md"

# --- checks -----------------------------------------------------------------
for i in 1 2; do
  head -1 "$jout/jeprof.$i.heap" | grep -q '^heap_v2/'
  grep -q '^MAPPED_LIBRARIES:' "$jout/jeprof.$i.heap"
done
python3 - "$dout/dhat-heap.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("dhatFileVersion", "mode", "pps", "ftbl"):
    assert k in d, k
EOF
if grep -rlF -e "$build" -e "$here" -e "$HOME/" -e "$target" "$jout" "$dout"; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
ls -l "$jout" "$dout"
