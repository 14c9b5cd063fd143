#!/usr/bin/env bash
# Regenerates samples/native/tcmalloc-cache/: the heap texts gperftools'
# tcmalloc writes of programs/main.cpp, a service whose cache never evicts:
#   heap-sample.heap   `heap profile: ... @ heap_v2/65536` (GetHeapSample,
#                      TCMALLOC_SAMPLE_PARAMETER=65536): live sampled objects
#   heap-growth.heap   `heap profile: ... @ growth` (GetHeapGrowthStacks)
#   service.0001.heap  `heap profile: ... @ heapprofile` (HeapProfilerDump)
# Each ends with MAPPED_LIBRARIES (the process's /proc/PID/maps). Every
# stack starts in libtcmalloc (the allocator's own frames). The in-use and
# bracketed pairs are equal on every line: these texts hold live objects
# only and say nothing of what was freed (the 16 KiB request buffers do not
# appear at all).
# Needs g++ and Debian's libgoogle-perftools-dev (installed when missing).
# Runs with address-space randomisation off (setarch -R) where allowed.
# The build directory is rewritten to /home/build/native/tcmalloc-cache.
# Usage: bash samples/native/tcmalloc-cache/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
root=/home/build/native/tcmalloc-cache
trap 'rm -rf "$build"' EXIT
if [ ! -f /usr/include/gperftools/heap-profiler.h ]; then
  (apt-get update -qq && apt-get install -y -qq libgoogle-perftools-dev) >/dev/null
fi
norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then
  norandom=(setarch "$(uname -m)" -R)
fi
cp "$here/programs/main.cpp" "$build/"
cd "$build"
g++ -O1 -g -fno-omit-frame-pointer "-ffile-prefix-map=$build=$root" -o service main.cpp -ltcmalloc
mkdir out
TCMALLOC_SAMPLE_PARAMETER=65536 "${norandom[@]}" ./service out >run.txt 2>&1
neutral() { sed -e "s#$build#$root#g"; }
for f in heap-sample.heap heap-growth.heap service.0001.heap; do
  neutral <"out/$f" >"$here/$f"
  grep -q '^MAPPED_LIBRARIES:' "$here/$f"
done
head -1 "$here/heap-sample.heap" | grep -q '@ heap_v2/65536$'
head -1 "$here/heap-growth.heap" | grep -q '@ growth$'
head -1 "$here/service.0001.heap" | grep -q '@ heapprofile$'
if grep -rlF -e "$build" -e "$HOME/" "$here"/*.heap; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
ls -l "$here"
