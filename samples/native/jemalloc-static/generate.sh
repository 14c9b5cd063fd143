#!/usr/bin/env bash
# Regenerates samples/native/jemalloc-static/jeprof.heap: a jemalloc heap
# profile (heap_v2) of programs/jemalloc-static-cache, a Rust service whose
# cache never evicts, with jemalloc linked into the program as its global
# allocator (tikv-jemallocator with profiling). Every stack starts with
# jemalloc's own frames inside the program's binary (no libjemalloc module
# tells them apart). The binary (12 MB) is not kept.
# Needs cargo (crates.io, or the crates in cargo's cache) and a C compiler
# and make (tikv-jemalloc-sys builds jemalloc from source). Runs with
# address-space randomisation off (setarch -R) where allowed. The build
# directory is rewritten to /home/build/native/jemalloc-static.
# Usage: bash samples/native/jemalloc-static/generate.sh
# CARGO_TARGET_DIR, when set, is where the program is built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
root=/home/build/native/jemalloc-static
target=${CARGO_TARGET_DIR:-$build/target}
cp -r "$here/programs/jemalloc-static-cache" "$build/src"
(cd "$build/src" && CARGO_TARGET_DIR=$target cargo build -q --release --locked)
cp "$target/release/jemalloc-static-cache" "$build/jemalloc-static-cache"
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  norandom=(setarch "$(uname -m)" -R)
fi
(cd "$build" && MALLOC_CONF=prof:true,prof_accum:true,lg_prof_sample:12 \
  "${norandom[@]}" ./jemalloc-static-cache "$build/jeprof.heap" >"$build/run.txt")
sed -e "s#$build#$root#g" "$build/jeprof.heap" >"$here/jeprof.heap"
head -1 "$here/jeprof.heap" | grep -q '^heap_v2/4096$'
grep -q '^MAPPED_LIBRARIES:' "$here/jeprof.heap"
if grep -lF -e "$build" -e "$HOME/" "$here/jeprof.heap"; then
  echo "machine paths left in jeprof.heap" >&2
  exit 1
fi
ls -l "$here"
