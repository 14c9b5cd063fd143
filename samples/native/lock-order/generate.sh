#!/usr/bin/env bash
# Regenerates the lock-order deadlock samples in samples/native/lock-order/:
# the same AB-BA deadlock on two *global* locks, written in C (pthread
# mutexes), C++ (std::mutex with std::lock_guard) and Rust (static
# std::sync::Mutex), each with three idle threads sleeping in a loop and main
# joining one of the deadlocked threads. Each process is dumped by gdb
# (`thread apply all bt`, `bt full`, the owner printouts of
# samples/native/gdb/owners.gdb and of owners.gdb here), lldb (`bt all`) and
# eu-stack (plain, and with source lines). Each program writes its own ground
# truth to expected.json: nothing in it is read from a dump.
# Needs gcc, g++, rustc, gdb, lldb, eu-stack (elfutils), libc6-dbg; installs
# the Debian packages when missing. The only change made to any output is the
# build directory (a temporary directory) rewritten to
# /home/build/native/lock-order.
# Usage: bash samples/native/lock-order/generate.sh
#        ONLY="c rust" bash samples/native/lock-order/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/programs
build=$(mktemp -d)
root=/home/build/native/lock-order
export LC_ALL=C
unset DEBUGINFOD_URLS
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$build"
}
trap cleanup EXIT
ONLY=${ONLY:-c cpp rust}
want() { [[ " $ONLY " == *" $1 "* ]]; }

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"ok installed"* ]]; }
need=()
command -v gdb >/dev/null || need+=(gdb)
command -v lldb >/dev/null || need+=(lldb)
command -v eu-stack >/dev/null || need+=(elfutils)
installed libc6-dbg || need+=(libc6-dbg)
if ((${#need[@]})); then
  (apt-get update -qq && apt-get install -y -qq "${need[@]}") >/dev/null
fi

neutral() { sed -e "s#$build#$root#g"; }

# start DIR BINARY: runs BINARY truth.json in DIR until it prints "ready";
# sets $pid.
start() {
  local dir=$1 bin=$2
  (cd "$dir" && exec "$bin" truth.json >"$dir/stdout.txt") &
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

# dump NAME OWNERS: every dump of the process $pid into $build/NAME; OWNERS
# is yes for the glibc programs (their mutexes record an owner).
dump() {
  local b=$build/$1
  gdb -p "$pid" -batch -ex "thread apply all bt" >"$b/bt.txt" 2>&1
  gdb -p "$pid" -batch -ex "thread apply all bt full" >"$b/bt-full.txt" 2>&1
  if [ "$2" = yes ]; then
    gdb -p "$pid" -batch -x "$here/../gdb/owners.gdb" >"$b/bt-owners.txt" 2>&1
    gdb -p "$pid" -batch -x "$here/owners.gdb" >"$b/bt-full-owners.txt" 2>&1
  fi
  # lldb's stderr is left out (Debian's lldb 14 prints a Python traceback there)
  lldb -p "$pid" --batch -o "bt all" >"$b/lldb-bt.txt" 2>/dev/null
  (eu-stack -p "$pid" >"$b/eu-stack.txt" 2>&1 || true)
  (eu-stack -p "$pid" -s -i >"$b/eu-stack-lines.txt" 2>&1 || true)
}

# publish NAME FILE...: the dumps and the truth, build directory rewritten.
publish() {
  local name=$1 b=$build/$1 o=$here/$1
  shift
  rm -rf "$o"
  mkdir -p "$o"
  for f in "$@"; do neutral <"$b/$f" >"$o/$f"; done
  neutral <"$b/truth.json" | python3 -c 'import json,sys; json.dump(json.load(sys.stdin), sys.stdout, indent=1); print()' >"$o/expected.json"
}

prepare() { # NAME SOURCE: a copy of the source in $build/NAME
  mkdir -p "$build/$1"
  cp "$progs/$2" "$build/$1/"
}

if want c; then
  prepare c main.c
  (cd "$build/c" && gcc -O0 -g -pthread -Wall -Wextra -ffile-prefix-map="$build=$root" -o lock-order main.c)
  start "$build/c" "$build/c/lock-order"
  dump c yes
  kill "$pid"; wait "$pid" 2>/dev/null || true
  publish c bt.txt bt-full.txt bt-owners.txt bt-full-owners.txt lldb-bt.txt eu-stack.txt eu-stack-lines.txt
fi
if want cpp; then
  prepare cpp main.cpp
  (cd "$build/cpp" && g++ -O1 -g -pthread -Wall -Wextra -ffile-prefix-map="$build=$root" -o lock-order main.cpp)
  start "$build/cpp" "$build/cpp/lock-order"
  dump cpp yes
  kill "$pid"; wait "$pid" 2>/dev/null || true
  publish cpp bt.txt bt-full.txt bt-owners.txt bt-full-owners.txt lldb-bt.txt eu-stack.txt eu-stack-lines.txt
fi
if want rust; then
  prepare rust main.rs
  (cd "$build/rust" && rustc -g -C opt-level=0 --edition 2021 --remap-path-prefix "$build=$root" -o lock-order main.rs)
  start "$build/rust" "$build/rust/lock-order"
  dump rust no
  kill "$pid"; wait "$pid" 2>/dev/null || true
  publish rust bt.txt bt-full.txt lldb-bt.txt eu-stack.txt eu-stack-lines.txt
fi

{
  echo "gdb: $(gdb --version | sed -n 1p)"
  echo "lldb: $(lldb --version 2>/dev/null | sed -n 1p)"
  echo "eu-stack: $(eu-stack --version | sed -n 1p)"
  echo "gcc: $(gcc --version | sed -n 1p)"
  echo "rustc: $(rustc --version)"
  echo "glibc: $(ldd --version | sed -n 1p)"
} >"$here/versions.txt"
if grep -rlF -e "$build" -e "$HOME/" "$here"; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
