#!/usr/bin/env bash
# Measures reading a gigabyte-sized Go core: main.go starts 100,000
# goroutines (a third blocked sending, a third on a mutex, a third receiving
# at the bottom of a recursion), each keeping a stack of 16 KB or more, then
# sends itself SIGQUIT with GOTRACEBACK=crash: the runtime prints every
# goroutine and the kernel writes a core of about 1.1 GB. The traceback, the
# core and the zstd-compressed core are then analysed by a release build of
# dumpscope (wall time and peak memory of each). Nothing is kept.
# Needs go, zstd, GNU time and a kernel core_pattern that writes a file.
# Usage: bash samples/core/go/many/measure.sh [path/to/dumpscope]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../../../target/release/dumpscope}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOTELEMETRY=off CGO_ENABLED=0
export GOCACHE=$work/cache
(cd "$here" && go build -trimpath -o "$work/many" .)
cd "$work"
ulimit -c unlimited
(GOTRACEBACK=crash timeout -s KILL 300 sh -c 'exec ./many 2>trace.txt >/dev/null') 2>/dev/null || true
c=$(ls core* | head -1)
[ "$c" = core ] || mv "$c" core
zstd -q -T0 -3 core -o core.zst
ls -l trace.txt core core.zst | awk '{print $5, $9}'
for input in "trace.txt" "core --binary many" "core.zst --binary many"; do
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e s, %M KB peak: analyze $input" "$bin" analyze $input >/dev/null
done
