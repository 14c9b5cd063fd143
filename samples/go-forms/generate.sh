#!/usr/bin/env bash
# Regenerates the dumps in samples/go-forms/ from the programs in
# samples/go-forms/programs: Go traceback forms beyond one plain dump (the
# ancestor chains of GODEBUG=tracebackancestors, several dumps appended to one
# log, a dump written from inside a recovered panic, `go test` timeouts and
# panics) and copies cut off at chosen points. Needs Go (>= 1.21) and
# python3. Machine paths are replaced by neutral ones.
# Usage: bash samples/go-forms/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/programs
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
GO=${GO:-go}
export GOTOOLCHAIN=local GOPROXY=off GOTELEMETRY=off GOFLAGS=-mod=mod
export GOTMPDIR=$build/tmp GOCACHE=${GOCACHE:-$build/cache}
mkdir -p "$GOTMPDIR" "$build/bin"
goroot=$($GO env GOROOT)

neutral() {
  sed -e "s#$goroot#/usr/local/go#g" -e "s#$progs#/home/build/forms#g" -e "s#$build#/tmp/build#g"
}

for p in ancestors restarts recovering; do
  (cd "$progs" && $GO build -o "$build/bin/$p" "./$p")
done

# A panic with GOTRACEBACK=all: each handler's chain of creators.
(cd "$build" && env GOTRACEBACK=all GODEBUG=tracebackancestors=5 "$build/bin/ancestors" 2>"$build/out" || true)
neutral <"$build/out" >"$here/ancestors-chain.txt"

# Eight runs of a leaking service, each killed with SIGQUIT after 10*n
# requests, appended to one log the way a supervisor keeps it.
: >"$build/log"
for round in 1 2 3 4 5 6 7 8; do
  echo "supervisor: starting service (run $round)" >>"$build/log"
  (cd "$build" && env ROUND=$round "$build/bin/restarts" 2>>"$build/log" || true)
  echo "supervisor: service exited" >>"$build/log"
done
neutral <"$build/log" >"$here/sigquit-x8.txt"

# One process writing the goroutine profile at debug=2 eight times.
(cd "$build" && env DUMP=debug2 "$build/bin/restarts" >"$build/out" 2>/dev/null || true)
neutral <"$build/out" >"$here/debug2-x8.txt"

# A dump written by a handler that recovered a panic.
(cd "$build" && "$build/bin/recovering" >"$build/out" 2>&1 || true)
neutral <"$build/out" >"$here/recovering-debug2.txt"

# go test: a test that hangs (the -timeout panic) and a test that panics.
(cd "$progs/gotest" && $GO test -count=1 -run TestHang -timeout 2s . >"$build/out" 2>&1 || true)
neutral <"$build/out" >"$here/gotest-timeout.txt"
(cd "$progs/gotest" && $GO test -count=1 -run TestPanic . >"$build/out" 2>&1 || true)
neutral <"$build/out" >"$here/gotest-panic.txt"

# Copies cut off: the file without its final newline (complete), and cut in
# the middle of a goroutine header and of a frame line.
python3 - "$here" <<'PY'
import sys, pathlib
d = pathlib.Path(sys.argv[1])
src = (d / "ancestors-chain.txt").read_bytes()
(d / "cut-no-final-newline.txt").write_bytes(src.rstrip(b"\n"))
lines = src.split(b"\n")
headers = [i for i, l in enumerate(lines) if l.startswith(b"goroutine ")]
h = headers[len(headers) // 2]
(d / "cut-in-header.txt").write_bytes(b"\n".join(lines[:h]) + b"\n" + lines[h][:14])
frame = h + 1
(d / "cut-in-frame.txt").write_bytes(b"\n".join(lines[:frame]) + b"\n" + lines[frame][:12])
PY
for f in "$here"/*.txt; do echo "  $(basename "$f") ($(wc -c <"$f") bytes)"; done
