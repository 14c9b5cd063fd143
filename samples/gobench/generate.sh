#!/usr/bin/env bash
# Regenerates samples/gobench/<case>/ from samples/programs/gobench: one run
# per case of that program (CASE=name), which writes from the same process
#   debug2.txt       the goroutine profile at debug=2 (the plain dump)
#   leak-debug2.txt  Go's goroutineleak profile at debug=2: `(leaked)` marks
#                    are the GC's proof, the ground truth of the recall test
#   debug1.txt       the goroutine profile at debug=1 (no addresses)
#   goroutine.pb.gz  the goroutine profile as protobuf
# Needs Go >= 1.26 and python3. Machine paths are replaced by neutral ones.
# Usage: bash samples/gobench/generate.sh [case ...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
samples=$(dirname "$here")
progs=$samples/programs
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

GO=${GO:-go}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off GOTELEMETRY=off
export GOTMPDIR=$build/tmp GOCACHE=${GOCACHE:-$build/cache}
mkdir -p "$GOTMPDIR"
goroot=$($GO env GOROOT)
echo "building with $($GO env GOVERSION)"
(cd "$progs" && $GO build -o "$build/gobench" ./gobench)

neutral() { sed -e "s#$goroot#/usr/local/go#g" -e "s#$progs#/home/build/shop#g" -e "s#$build#/tmp/build#g"; }

cases=("$@")
[ ${#cases[@]} -eq 0 ] && mapfile -t cases < <(CASE=list "$build/gobench")

# run CASE: one process writes the four files.
run() {
  local c=$1 t=$build/$1 d=$here/$1
  mkdir -p "$t"
  (
    cd "$build"
    ulimit -c 0
    env CASE="$c" DUMP_FORM=profiles LEAK2_OUT="$t/leak2" DEBUG1_OUT="$t/debug1" PB_OUT="$t/pb" \
      timeout 60 "$build/gobench" >"$t/debug2"
  ) || echo "  $c: exit status $?" >&2
  rm -rf "$d"
  mkdir -p "$d"
  neutral <"$t/debug2" >"$d/debug2.txt"
  neutral <"$t/leak2" >"$d/leak-debug2.txt"
  neutral <"$t/debug1" >"$d/debug1.txt"
  python3 "$samples/neutral_proto.py" "$t/pb" "$d/goroutine.pb.gz" \
    "$goroot=/usr/local/go" "$progs=/home/build/shop" "$build=/tmp/build"
  echo "  $c: $(grep -c '^goroutine ' "$d/debug2.txt") goroutines, $(grep -c '(leaked' "$d/leak-debug2.txt" || true) proven leaked"
}

# Four at a time: the cases sleep more than they compute.
for c in "${cases[@]}"; do
  run "$c" &
  while [ "$(jobs -rp | wc -l)" -ge 4 ]; do wait -n; done
done
wait

if grep -rlE '/work/|/root/|/tmp/go-build[0-9]' "$here" --include='*.txt'; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
for f in "$here"/*/goroutine.pb.gz; do
  if gzip -dc "$f" | grep -aqE '/work/|/root/'; then
    echo "machine paths left in $f" >&2
    exit 1
  fi
done
echo done
