#!/usr/bin/env bash
# Regenerates samples/native/crash-sessions/ by building and running the
# programs in programs/ under the real tools:
#   gdb-bt.txt              gdb -batch -ex run -ex bt: the session as pasted, one
#                           `bt` after "Thread 2 "ledger" received signal SIGSEGV"
#   gdb-bt-all.txt          the same session with `thread apply all bt`
#   gdb-bt-symtab.txt       gdb `bt` of a copy without debug info (strip --strip-debug):
#                           frames named from the symbol table (`Ledger::memo_width() const ()`)
#   lldb-bt-all.txt         lldb --batch -o run -o "bt all": `[inlined]` frames, `const` methods
#   backtrace-both.txt      a SIGSEGV handler printing backtrace_symbols then
#                           backtrace_symbols_fd with nothing between them
#   eu-stack-a-r.txt        eu-stack -a -r -p PID of a thread parked in read()
#                           (`- 1` marks the return addresses)
# Needs gcc, g++, gdb, lldb and elfutils (installed with apt-get when missing).
# The build directory is rewritten to /home/build/native/crash-sessions.
# Usage: bash samples/native/crash-sessions/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
root=/home/build/native/crash-sessions
export LC_ALL=C
unset DEBUGINFOD_URLS
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$build"
}
trap cleanup EXIT
need=()
command -v gdb >/dev/null || need+=(gdb)
command -v lldb >/dev/null || need+=(lldb)
command -v eu-stack >/dev/null || need+=(elfutils)
if ((${#need[@]})); then
  (apt-get update -qq && apt-get install -y -qq "${need[@]}") >/dev/null
fi
cp "$here/programs/"* "$build/"
cd "$build"
map=(-ffile-prefix-map="$build=$root")
g++ -O2 -g -pthread "${map[@]}" -o ledger ledger.cpp
cp ledger ledger-symtab
strip --strip-debug ledger-symtab
gcc -O1 -g -rdynamic "${map[@]}" -o backtrace-both backtrace-both.c
gcc -O1 -g "${map[@]}" -o waiter waiter.c

neutral() { sed -e "s#$build#$root#g"; }
gdb -q -batch -ex run -ex bt --args ./ledger crash 2>&1 | neutral >"$here/gdb-bt.txt"
gdb -q -batch -ex run -ex "thread apply all bt" --args ./ledger crash 2>&1 | neutral >"$here/gdb-bt-all.txt"
gdb -q -batch -ex run -ex bt --args ./ledger-symtab crash 2>&1 | neutral >"$here/gdb-bt-symtab.txt"
# lldb's stderr is left out: Debian's lldb prints a Python traceback there
# at start-up.
lldb --batch -o run -o "bt all" -- ./ledger crash 2>/dev/null | neutral >"$here/lldb-bt-all.txt"
(./backtrace-both 2>&1 || true) | neutral >"$here/backtrace-both.txt"

./waiter >waiter.out &
pid=$!
for _ in $(seq 100); do grep -q ready waiter.out 2>/dev/null && break; sleep 0.1; done
sleep 0.5
eu-stack -a -r -p "$pid" 2>&1 | neutral >"$here/eu-stack-a-r.txt"
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=

grep -q "received signal SIGSEGV" "$here/gdb-bt.txt"
grep -q "stop reason = signal SIGSEGV" "$here/lldb-bt-all.txt"
grep -q -- " - 1 " "$here/eu-stack-a-r.txt"
if grep -rlF -e "$build" -e "$HOME/" "$here"/*.txt; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
ls -l "$here"
