#!/usr/bin/env bash
# Regenerates the ELF core samples in samples/core/: the lock-order programs of
# samples/native/lock-order/programs/ (an AB-BA deadlock on two global locks
# with three idle threads and main joining one of the deadlocked threads) in C
# (pthread mutexes), C++ (std::mutex) and Rust (std::sync::Mutex), and
# programs/rwlock.c (a writer holds a pthread rwlock and sleeps, a writer and
# a reader block on it, main joins the blocked writer), each run
# until it hangs and then dumped twice:
#   NAME/gcore.core.zst   by `gcore` while the process runs
#   NAME/kernel.core.zst  by the kernel (`ulimit -c unlimited`, SIGABRT)
# beside the binary the analysis needs (`--binary`), zstd-compressed, and the
# answer keys `gdb -batch -ex 'thread apply all bt' BINARY CORE`
# (NAME/gcore-bt.txt, NAME/kernel-bt.txt) and the program's own ground truth
# (NAME/expected.json, nothing in it read from a dump).
# The processes run with coredump_filter 0x37 (the default 0x33 plus
# file-backed private mappings), so each core holds the code and the
# call-frame information of the C library it ran with: the cores unwind on any
# machine. Programs are built and run in /home/build/core/NAME, the path their
# debug information and the cores name.
# aarch64 (arm64-c/): programs/lock-order-emulated.c (the C program, waiting
# for the threads to block on the mutex word, as /proc shows an emulator's
# system calls) cross-compiled static with aarch64-linux-gnu-gcc and run
# under qemu-aarch64 (user mode); once it hangs, SIGABRT goes to an idle
# thread and qemu writes the guest's core (qemu_PROG_DATE_PID.core in the
# working directory; no NT_FILE, NT_SIGINFO or NT_FPREGSET notes, the
# read-only code pages left out): arm64-c/qemu.core.zst, its answer key
# arm64-c/qemu-bt.txt (gdb-multiarch), the binary and expected.json. The
# signal goes to an idle thread: the thread taking it leaves its system
# call, and its registers then hold the call's result, not its argument.
# arm64-c-pac/: the same built with -mbranch-protection=standard (return
# addresses signed with pointer authentication).
# arm64-go/NAME/: three Go programs of samples/programs (lock-order-deadlock,
# stranded-senders, waitgroup-mismatch) built with GOARCH=arm64 and run
# under qemu-aarch64 with GOTRACEBACK=crash DUMP_FORM=sigquit (as
# samples/core/go/generate.sh runs them natively): the program sends itself
# SIGQUIT once settled, the runtime prints every goroutine and aborts, and
# qemu writes the guest's core. NAME/traceback.txt (stderr) is the answer
# key of NAME/qemu.core.zst; the binary is NAME/NAME.zst. Needs go.
# Needs gcc, g++, rustc, gdb, zstd, libc6-dbg, and for aarch64 qemu-user,
# gcc-aarch64-linux-gnu, gdb-multiarch (installs the Debian packages when
# missing) and a kernel core_pattern that writes a file (`core`).
# Usage: bash samples/core/generate.sh
#        ONLY="c rust" bash samples/core/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/../native/lock-order/programs
root=/home/build/core
export LC_ALL=C
unset DEBUGINFOD_URLS
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$root"
}
trap cleanup EXIT
ONLY=${ONLY:-c cpp rust rwlock arm64-c arm64-c-pac arm64-go}
want() { [[ " $ONLY " == *" $1 "* ]]; }

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"ok installed"* ]]; }
need=()
command -v gdb >/dev/null || need+=(gdb)
command -v zstd >/dev/null || need+=(zstd)
installed libc6-dbg || need+=(libc6-dbg)
if want arm64-c || want arm64-c-pac || want arm64-go; then
  command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
  command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
  command -v gdb-multiarch >/dev/null || need+=(gdb-multiarch)
fi
if ((${#need[@]})); then
  (apt-get update -qq && apt-get install -y -qq "${need[@]}") >/dev/null
fi
pattern=$(cat /proc/sys/kernel/core_pattern)
if [[ "$pattern" == "|"* ]]; then
  echo "core_pattern pipes cores to a handler ($pattern): no kernel cores, gcore only" >&2
  kernel=no
else
  kernel=yes
fi

ulimit -c unlimited
echo 0x37 >/proc/self/coredump_filter
rm -rf "$root"
mkdir -p "$root"

# start DIR BINARY: runs BINARY truth.json in DIR until it prints "ready";
# sets $pid.
start() {
  local dir=$1 bin=$2
  # A bare environment: the kernel writes the process's environment into
  # the core, and nothing of the machine that ran it belongs in a sample.
  (cd "$dir" && exec env -i PATH=/usr/bin:/bin HOME=/home/build LC_ALL=C "$bin" truth.json >"$dir/stdout.txt") &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 300); do
    grep -qx ready "$dir/stdout.txt" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -qx ready "$dir/stdout.txt" || { echo "$bin did not get ready" >&2; exit 1; }
  sleep 0.5
}

# cores NAME BINARY: a gcore of the running process $pid, then the kernel's
# core on SIGABRT; the answer keys of both; everything published in NAME/.
cores() {
  local name=$1 bin=$2 d=$root/$1 o=$here/$1
  rm -rf "$o"
  mkdir -p "$o"
  gcore -o "$d/gcore" "$pid" >/dev/null 2>&1
  mv "$d/gcore.$pid" "$d/gcore.core"
  if [ "$kernel" = yes ]; then
    kill -ABRT "$pid"
    wait "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      ls "$d"/core* >/dev/null 2>&1 && break
      sleep 0.1
    done
    sleep 1
    mv "$(ls "$d"/core* | head -1)" "$d/kernel.core"
  else
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  for c in gcore kernel; do
    [ -f "$d/$c.core" ] || continue
    gdb -batch -ex "thread apply all bt" "$bin" "$d/$c.core" >"$o/$c-bt.txt" 2>&1
    zstd -q -19 -f "$d/$c.core" -o "$o/$c.core.zst"
  done
  zstd -q -19 -f "$bin" -o "$o/$(basename "$bin").zst"
  python3 -c 'import json,sys; json.dump(json.load(sys.stdin), sys.stdout, indent=1); print()' <"$d/truth.json" >"$o/expected.json"
}

prepare() { # NAME SOURCE [DIR]: a copy of the source in $root/NAME
  mkdir -p "$root/$1"
  cp "${3:-$progs}/$2" "$root/$1/"
}

if want c; then
  prepare c main.c
  (cd "$root/c" && gcc -O0 -g -pthread -Wall -Wextra -o lock-order main.c)
  start "$root/c" "$root/c/lock-order"
  cores c "$root/c/lock-order"
fi
if want cpp; then
  prepare cpp main.cpp
  (cd "$root/cpp" && g++ -O1 -g -pthread -Wall -Wextra -o lock-order main.cpp)
  start "$root/cpp" "$root/cpp/lock-order"
  cores cpp "$root/cpp/lock-order"
fi
if want rust; then
  prepare rust main.rs
  (cd "$root/rust" && rustc -g -C opt-level=0 --edition 2021 -o lock-order main.rs)
  start "$root/rust" "$root/rust/lock-order"
  cores rust "$root/rust/lock-order"
fi
if want rwlock; then
  prepare rwlock rwlock.c "$here/programs"
  (cd "$root/rwlock" && gcc -O0 -g -pthread -Wall -Wextra -o rwlock rwlock.c)
  start "$root/rwlock" "$root/rwlock/rwlock"
  cores rwlock "$root/rwlock/rwlock"
fi
# emulated NAME CFLAGS: the C lock-order program for aarch64, run under
# qemu-aarch64 until it hangs, then SIGABRT to idle-1; NAME/ gets qemu's
# core, gdb-multiarch's answer key, the binary and the program's record.
emulated() {
  local name=$1 flags=$2
  prepare "$name" lock-order-emulated.c "$here/programs"
  local d=$root/$name o=$here/$name
  (cd "$d" && aarch64-linux-gnu-gcc -O0 -g -static -pthread $flags -Wall -Wextra -o lock-order lock-order-emulated.c)
  (cd "$d" && exec env -i PATH=/usr/bin:/bin HOME=/home/build LC_ALL=C qemu-aarch64 ./lock-order truth.json >"$d/stdout.txt") &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 300); do
    grep -qx ready "$d/stdout.txt" 2>/dev/null && break
    sleep 0.1
  done
  grep -qx ready "$d/stdout.txt" || { echo "$name did not get ready" >&2; exit 1; }
  sleep 0.5
  # The emulated threads are host threads of the same ids: the signal
  # goes to idle-1, which takes it.
  local idle
  idle=$(python3 -c 'import json,sys; print([t["lwp"] for t in json.load(open(sys.argv[1]))["threads"] if t["name"] == "idle-1"][0])' "$d/truth.json")
  kill -ABRT "$idle"
  wait "$pid" 2>/dev/null || true
  local core
  core=$(ls "$d"/qemu_*.core | head -1)
  rm -rf "$o"
  mkdir -p "$o"
  (cd "$d" && gdb-multiarch -batch -ex "thread apply all bt" ./lock-order "$core") >"$o/qemu-bt.txt" 2>&1
  sed -i "s|$core|qemu.core|g" "$o/qemu-bt.txt"
  zstd -q -19 -f "$core" -o "$o/qemu.core.zst"
  zstd -q -19 -f "$d/lock-order" -o "$o/lock-order.zst"
  python3 -c 'import json,sys; json.dump(json.load(sys.stdin), sys.stdout, indent=1); print()' <"$d/truth.json" >"$o/expected.json"
}
if want arm64-c; then
  emulated arm64-c ""
fi
# The same with pointer authentication (return addresses signed on the
# stack: qemu's default CPU implements it, its core records no mask).
if want arm64-c-pac; then
  emulated arm64-c-pac -mbranch-protection=standard
fi

if want arm64-go; then
  settle=${SETTLE_SECONDS:-80}
  gpids=()
  for name in lock-order-deadlock stranded-senders waitgroup-mismatch; do
    d=$root/go-arm64/$name
    mkdir -p "$d"
    (cd "$here/../programs" && env GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off GOTELEMETRY=off \
      CGO_ENABLED=0 GOOS=linux GOARCH=arm64 GOCACHE="$root/go-cache" GOTMPDIR="$d" \
      go build -trimpath -o "$d/$name" "./$name")
    (cd "$d" && exec env -i PATH=/usr/bin:/bin HOME=/home/build LANG=C GOTRACEBACK=crash DUMP_FORM=sigquit SETTLE=${settle}s timeout -s KILL $((settle + 120)) sh -c "exec qemu-aarch64 ./$name 2>traceback.txt >/dev/null") 2>/dev/null &
    gpids+=($!)
  done
  for p in "${gpids[@]}"; do wait "$p" 2>/dev/null || true; done
  for name in lock-order-deadlock stranded-senders waitgroup-mismatch; do
    d=$root/go-arm64/$name o=$here/arm64-go/$name
    core=$(ls "$d"/qemu_*.core 2>/dev/null | head -1)
    [ -n "$core" ] || { echo "arm64-go/$name: no core written" >&2; exit 1; }
    rm -rf "$o"
    mkdir -p "$o"
    cp "$d/traceback.txt" "$o/traceback.txt"
    zstd -q -19 -f "$core" -o "$o/qemu.core.zst"
    zstd -q -19 -f "$d/$name" -o "$o/$name.zst"
  done
fi

{
  echo "gdb: $(gdb --version | sed -n 1p)"
  echo "gcc: $(gcc --version | sed -n 1p)"
  echo "rustc: $(rustc --version)"
  echo "glibc: $(ldd --version | sed -n 1p)"
  echo "kernel: $(uname -r | sed 's/-.*//')"
  if want arm64-c || want arm64-c-pac; then
    echo "aarch64-linux-gnu-gcc: $(aarch64-linux-gnu-gcc --version | sed -n 1p)"
    echo "qemu-aarch64: $(qemu-aarch64 --version | sed -n 1p)"
    echo "gdb-multiarch: $(gdb-multiarch --version | sed -n 1p)"
  fi
  if want arm64-go; then
    echo "go: $(go env GOVERSION)"
  fi
} >"$here/versions.txt"
leaks=0
for f in $(find "$here" -type f ! -name generate.sh); do
  case $f in *.zst) reader="zstd -dc" ;; *) reader=cat ;; esac
  if $reader "$f" | grep -aqF -e "$HOME/" -e /tmp/ -e /work/ -e "$PWD"; then
    echo "machine paths left in $f" >&2
    leaks=1
  fi
done
[ "$leaks" = 0 ] || exit 1
