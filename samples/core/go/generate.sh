#!/usr/bin/env bash
# Regenerates the Go core samples in samples/core/go/: four programs of
# samples/programs (lock-order-deadlock: two goroutines lock two sync.Mutex
# in opposite order; stranded-senders: goroutines blocked sending on a
# channel nobody reads; waitgroup-mismatch: WaitGroup.Wait that never
# returns; sync-globals: goroutines blocked on package-level mutexes,
# channels, a WaitGroup and an RWMutex, whose addresses the core names by
# their symbols; labelled-handlers: checkout handlers under pprof labels
# waiting on a reply that never comes), built with -trimpath and run with GOTRACEBACK=crash and
# DUMP_FORM=sigquit: once the goroutines have settled the program sends
# itself SIGQUIT, the runtime prints every goroutine on stderr and then
# aborts (SIGABRT), and the kernel writes the core (`ulimit -c unlimited`,
# core_pattern writing a file). The traceback and the core are of the same
# moment: NAME/traceback.txt (stderr) is the answer key of NAME/core.zst.
# GODEBUG=tracebacklabels=1 makes the runtime print each goroutine's pprof
# labels in its header; a program that writes its goroutine profile at
# debug=1 into LABELS_OUT before dumping (labelled-handlers) leaves it as
# NAME/labels-debug1.txt, a second answer key of the labels.
# Beside them the binary (NAME/NAME.zst, needed with --binary) and a core
# of the live process taken by gdb's gcore (NAME/gcore.core.zst, see
# below). The heap is small (two forced GC cycles, GOGC default) and the
# processes run with the default coredump_filter (0x33: anonymous and
# written private pages), so the binary's code is not in the core: it is
# read from --binary.
# The programs run from /home/build/core/go/NAME, the path the cores name,
# with an environment of their own (the cores hold it).
# Needs go, gdb (gcore) and zstd.
# Older Go releases: GO=/path/to/go SUFFIX=-go121 NAMES=lock-order-deadlock
# builds with that toolchain and writes the sample NAME-go121 (its binary
# NAME-go121.zst); versions.txt then records that toolchain's version for
# the samples with that suffix.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/../../programs
build=$(mktemp -d)
run=/home/build/core/go
trap 'rm -rf "$build" "$run"' EXIT
export LC_ALL=C GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off GOTELEMETRY=off CGO_ENABLED=0
export GOTMPDIR=$build/tmp GOCACHE=$build/cache
mkdir -p "$GOTMPDIR"
pattern=$(cat /proc/sys/kernel/core_pattern)
if [[ "$pattern" == "|"* ]]; then
  echo "core_pattern pipes cores to a handler ($pattern): the kernel cannot write the cores here" >&2
  exit 1
fi
ulimit -c unlimited
echo 0x33 >/proc/self/coredump_filter

go=${GO:-go}
suffix=${SUFFIX:-}
names=${NAMES:-"lock-order-deadlock stranded-senders waitgroup-mismatch sync-globals labelled-handlers"}
settle=${SETTLE_SECONDS:-80}
# gdb writes the Go runtime's address-space reservations into a gcore
# (1.2 GB of zeros, 0.5 MB compressed): one sample is enough.
if [ -n "$suffix" ]; then gcore_names=${GCORE-}; else gcore_names=${GCORE-lock-order-deadlock}; fi
# The three run at once. Each settles, sleeps SETTLE (80s: the goroutines
# have waited over a minute, which the tracebacks print), then sends itself
# SIGQUIT. Fourteen seconds before that, gcore takes a core of the live
# process (gcore.core.zst, of lock-order-deadlock); its answer key is the
# same traceback, but for goroutine 1 (asleep in dumpkit.Settle then,
# running the SIGQUIT after), the threads' stacks and the wait durations.
# Usage: bash samples/core/go/generate.sh
#        SETTLE_SECONDS=80 GCORE="lock-order-deadlock" (the defaults; GCORE=""
#        takes no gcore), NAMES="sync-globals" regenerates only those samples
pids=()
declare -A runner
for prog in $names; do
  name=$prog$suffix
  d=$run/$name
  mkdir -p "$here/$name" "$d"
  (cd "$progs" && "$go" build -trimpath -o "$d/$name" "./$prog")
  (cd "$d" && exec env -i PATH=/usr/bin:/bin HOME=/home/build LANG=C GOTRACEBACK=crash GODEBUG=tracebacklabels=1 LABELS_OUT=labels-debug1.txt DUMP_FORM=sigquit SETTLE=${settle}s timeout -s KILL 150 sh -c "exec ./$name 2>traceback.txt >/dev/null") 2>/dev/null &
  pids+=($!)
  runner[$name]=$!
done
sleep $((settle - 14))
gpids=()
for prog in $gcore_names; do
  name=$prog$suffix
  pid=$(pgrep -P "${runner[$name]}" | head -1)
  [ -n "$pid" ] || { echo "$name: not running" >&2; exit 1; }
  (gcore -o "$run/$name/gcore" "$pid" >/dev/null 2>&1 && mv "$run/$name/gcore.$pid" "$run/$name/gcore.core") &
  gpids+=($!)
done
for p in "${gpids[@]}"; do wait "$p"; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
for prog in $names; do
  name=$prog$suffix
  o=$here/$name
  d=$run/$name
  core=$(ls "$d"/core* 2>/dev/null | head -1)
  [ -n "$core" ] || { echo "$name: no core written" >&2; exit 1; }
  cp "$d/traceback.txt" "$o/traceback.txt"
  if [ -f "$d/labels-debug1.txt" ]; then
    cp "$d/labels-debug1.txt" "$o/labels-debug1.txt"
  fi
  zstd -q -19 -f "$core" -o "$o/core.zst"
  if [ -f "$d/gcore.core" ]; then
    zstd -q -19 -f "$d/gcore.core" -o "$o/gcore.core.zst"
  fi
  zstd -q -19 -f "$d/$name" -o "$o/$name.zst"
  echo "$name: $(wc -c <"$o/core.zst") bytes of core ($(wc -c <"$core") raw), $(grep -c '^goroutine ' "$o/traceback.txt") goroutines"
done
# One line per key, replaced in place: "go" for the samples without a
# suffix, "go (*-go121)" for those of SUFFIX=-go121.
record() {
  local f=$here/versions.txt
  touch "$f"
  { grep -vF "$1: " "$f" || true; echo "$1: $2"; } >"$f.new"
  mv "$f.new" "$f"
}
record "go${suffix:+ (*$suffix)}" "$("$go" env GOVERSION)"
record kernel "$(uname -r | sed 's/-.*//')"
record gdb "$(gdb --version | sed -n 1p)"
if grep -rlaF --exclude=generate.sh -e "$HOME/" -e "$build" -e /work/ "$here"/*/*.txt ||
  for c in "$here"/*/*core.zst; do zstd -dc "$c" | grep -qaF -e "$HOME/" -e "$build" -e /work/ && echo "$c"; done | grep .; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
