#!/usr/bin/env bash
# Regenerates the gdb (and lldb) thread-dump samples in samples/native/gdb/
# by building and running the programs in samples/native/gdb/programs/, each
# of which hangs in a well-known way, and attaching the real debuggers:
#   mutex-deadlock/    AB-BA deadlock on two pthread mutexes plus a bystander
#                      queued on one of them (C, -O0)
#   mutex-convoy/      one thread sleeps holding a mutex, eight wait for it (C, -O2)
#   cond-rwlock-join/  pthread_cond_wait forever; a writer behind a reader that
#                      is stuck in pthread_join on a thread stuck in read() (C, -O1)
#   cpp-deadlock/      AB-BA deadlock between two std::threads on std::mutex
#                      inside class templates (C++, -O1)
#   stripped/          a stripped copy of mutex-deadlock (with its debug file)
# Every program writes its own ground truth (LWPs, names, lock addresses,
# owners) to truth.jsonl; expected.py turns that into expected.json. Nothing
# in expected.json comes from a dump.
# Needs gcc, g++, gdb, tmux, python3, binutils; installs Debian's gdb, tmux and
# libc6-dbg when missing, and tries lldb (its dumps are skipped when it cannot
# be installed). Runs with the machine's normal address-space randomisation.
# The only change made to any output is the build directory (a temporary
# directory) rewritten to /home/build/native/gdb.
# Usage: bash samples/native/gdb/generate.sh
#        ONLY="mutex-convoy stripped" bash samples/native/gdb/generate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
progs=$here/programs
build=$(mktemp -d)
root=/home/build/native/gdb
export LC_ALL=C
unset DEBUGINFOD_URLS
pids=()
tmux_socket=gdb-samples-$$
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  tmux -L "$tmux_socket" kill-server 2>/dev/null || true
  rm -rf "$build"
}
trap cleanup EXIT
ONLY=${ONLY:-mutex-deadlock mutex-convoy cond-rwlock-join cpp-deadlock stripped}
want() { [[ " $ONLY " == *" $1 "* ]]; }

# --- tools -------------------------------------------------------------------
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == *"ok installed"* ]]; }
need=()
command -v gdb >/dev/null || need+=(gdb)
command -v tmux >/dev/null || need+=(tmux)
command -v readelf >/dev/null || need+=(binutils)
installed libc6-dbg || need+=(libc6-dbg)
if ((${#need[@]})); then
  (apt-get update -qq && apt-get install -y -qq "${need[@]}") >/dev/null
fi
if ! command -v lldb >/dev/null; then
  (apt-get install -y -qq lldb >/dev/null 2>&1) || echo "warning: lldb could not be installed; no lldb dumps" >&2
fi
have_lldb=false
command -v lldb >/dev/null && have_lldb=true

neutral() { sed -e "s#$build#$root#g"; }
size() { stat -c %s "$1"; }
buildid() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }
map=(-ffile-prefix-map="$build=$root")
mkdir -p "$build/common"
cp "$progs/common/truth.h" "$build/common/"

# build NAME COMPILER SOURCE FLAGS...: builds programs/NAME/SOURCE in
# $build/NAME (so the debug info names /home/build/native/gdb/NAME/SOURCE)
build_prog() {
  local name=$1 cc=$2 src=$3
  shift 3
  mkdir -p "$build/$name"
  cp "$progs/$name/$src" "$build/$name/"
  (cd "$build/$name" && "$cc" "$@" -pthread -Wall -Wextra "${map[@]}" -o "$name" "$src")
}

# start DIR BINARY: runs BINARY truth.jsonl in DIR in the background until it
# prints "ready" (every thread is where it will stay); sets $pid.
start() {
  local dir=$1 bin=$2
  (cd "$dir" && exec "$bin" truth.jsonl >"$dir/stdout.txt") &
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

stop() {
  kill "$1"
  wait "$1" 2>/dev/null || true
}

# The debuggers. Each writes stdout and stderr to the file, as a shell
# redirection would.
gdb_bt() { gdb -p "$1" -batch -ex "thread apply all bt"; }
gdb_bt_full() { gdb -p "$1" -batch -ex "thread apply all bt full"; }
gdb_owners() { gdb -p "$1" -batch -x "$here/owners.gdb"; }
# lldb's stderr is left out: Debian's lldb 14 prints a Python traceback
# there at start-up (its embedded interpreter module is not found).
lldb_bt() { lldb -p "$1" --batch -o "bt all" 2>/dev/null; }
lldb_threads() { lldb -p "$1" --batch -o "thread list" 2>/dev/null; }

# terminal PID OUT COMMAND...: gdb attached to PID in an 80x50 tmux pane,
# COMMANDs typed at its prompt one after the other; OUT is the pane's text
# (scrollback included, the terminal's own line breaks joined) as a person
# would copy it from the terminal.
pane() { tmux -L "$tmux_socket" capture-pane -p -J -S - -E - -t gdb; }
wait_prompt() {
  local prev="" cur last
  for _ in $(seq 300); do
    sleep 0.2
    cur=$(pane)
    last=$(printf '%s\n' "$cur" | sed -e 's/[[:space:]]*$//' -e '/^$/d' | tail -1)
    [[ "$cur" == "$prev" && "$last" == "(gdb)" ]] && return 0
    prev=$cur
  done
  echo "gdb's prompt did not come back" >&2
  exit 1
}
terminal() {
  local pid=$1 out=$2
  shift 2
  tmux -L "$tmux_socket" -f /dev/null new-session -d -s gdb -x 80 -y 50 \
    "env -u DEBUGINFOD_URLS gdb -p $pid"
  wait_prompt
  for c in "$@"; do
    tmux -L "$tmux_socket" send-keys -t gdb "$c" Enter
    wait_prompt
  done
  pane >"$out"
  tmux -L "$tmux_socket" send-keys -t gdb detach Enter
  wait_prompt
  tmux -L "$tmux_socket" send-keys -t gdb quit Enter
  for _ in $(seq 50); do tmux -L "$tmux_socket" has-session -t gdb 2>/dev/null || break; sleep 0.1; done
  tmux -L "$tmux_socket" kill-server 2>/dev/null || true
}

# publish NAME PROGRAM SOURCE FILE...: copies the dumps and the side file
# (with the build directory rewritten) to samples/native/gdb/NAME, and
# writes expected.json from the side file.
publish() {
  local name=$2 src=$3 b=$build/$1 o=$here/$1
  shift 3
  rm -rf "$o"
  mkdir -p "$o"
  for f in "$@" truth.jsonl; do neutral <"$b/$f" >"$o/$f"; done
  python3 "$here/expected.py" json "$o/truth.jsonl" "$name" "$src" "$o/expected.json" "$@"
  [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$o/expected.json")" = "$pid" ]
}

# --- mutex-deadlock ------------------------------------------------------------
if want mutex-deadlock || want stripped; then
  build_prog mutex-deadlock gcc main.c -O0 -g
fi
if want mutex-deadlock; then
  b=$build/mutex-deadlock
  start "$b" "$b/mutex-deadlock"
  gdb_bt "$pid" >"$b/bt.txt" 2>&1
  gdb_bt_full "$pid" >"$b/bt-full.txt" 2>&1
  gdb_owners "$pid" >"$b/bt-owners.txt" 2>&1
  gdb -iex "set libthread-db-search-path /nonexistent" -p "$pid" -batch \
    -ex "thread apply all bt" >"$b/bt-no-thread-db.txt" 2>&1
  gcore -o "$b/core" "$pid" >"$b/gcore.log" 2>&1
  gdb -batch -ex "thread apply all bt" "$b/mutex-deadlock" "$b/core.$pid" >"$b/bt-core.txt" 2>&1
  rm -f "$b/core.$pid"
  files=(bt.txt bt-full.txt bt-owners.txt bt-no-thread-db.txt bt-core.txt)
  if $have_lldb; then
    lldb_bt "$pid" >"$b/lldb-bt.txt"
    lldb_threads "$pid" >"$b/lldb-thread-list.txt"
    files+=(lldb-bt.txt lldb-thread-list.txt)
  fi
  stop "$pid"
  publish mutex-deadlock mutex-deadlock programs/mutex-deadlock/main.c "${files[@]}"
fi

# --- mutex-convoy --------------------------------------------------------------
if want mutex-convoy; then
  b=$build/mutex-convoy
  build_prog mutex-convoy gcc main.c -O2 -g
  start "$b" "$b/mutex-convoy"
  gdb_bt "$pid" >"$b/bt.txt" 2>&1
  gdb_bt_full "$pid" >"$b/bt-full.txt" 2>&1
  gdb_owners "$pid" >"$b/bt-owners.txt" 2>&1
  gdb_bt "$pid" >"$b/several.txt" 2>&1
  sleep 3
  gdb_bt "$pid" >>"$b/several.txt" 2>&1
  files=(bt.txt bt-full.txt bt-owners.txt several.txt)
  if $have_lldb; then
    lldb_bt "$pid" >"$b/lldb-bt.txt"
    lldb_threads "$pid" >"$b/lldb-thread-list.txt"
    files+=(lldb-bt.txt lldb-thread-list.txt)
  fi
  stop "$pid"
  publish mutex-convoy mutex-convoy programs/mutex-convoy/main.c "${files[@]}"
fi

# --- cond-rwlock-join ----------------------------------------------------------
if want cond-rwlock-join; then
  b=$build/cond-rwlock-join
  build_prog cond-rwlock-join gcc main.c -O1 -g
  start "$b" "$b/cond-rwlock-join"
  gdb_bt "$pid" >"$b/bt.txt" 2>&1
  gdb_bt_full "$pid" >"$b/bt-full.txt" 2>&1
  files=(bt.txt bt-full.txt)
  if $have_lldb; then
    lldb_bt "$pid" >"$b/lldb-bt.txt"
    lldb_threads "$pid" >"$b/lldb-thread-list.txt"
    files+=(lldb-bt.txt lldb-thread-list.txt)
  fi
  stop "$pid"
  publish cond-rwlock-join cond-rwlock-join programs/cond-rwlock-join/main.c "${files[@]}"
fi

# --- cpp-deadlock --------------------------------------------------------------
if want cpp-deadlock; then
  b=$build/cpp-deadlock
  build_prog cpp-deadlock g++ main.cpp -O1 -g
  start "$b" "$b/cpp-deadlock"
  gdb_bt "$pid" >"$b/bt.txt" 2>&1
  gdb_bt_full "$pid" >"$b/bt-full.txt" 2>&1
  gdb_owners "$pid" >"$b/bt-owners.txt" 2>&1
  terminal "$pid" "$b/bt-terminal.txt" "set pagination off" "info threads" \
    "thread 2" "bt" "thread 3" "bt" "thread 1" "bt" "thread apply all bt"
  files=(bt.txt bt-full.txt bt-owners.txt bt-terminal.txt)
  if $have_lldb; then
    lldb_bt "$pid" >"$b/lldb-bt.txt"
    lldb_threads "$pid" >"$b/lldb-thread-list.txt"
    files+=(lldb-bt.txt lldb-thread-list.txt)
  fi
  stop "$pid"
  publish cpp-deadlock cpp-deadlock programs/cpp-deadlock/main.cpp "${files[@]}"
fi

# --- stripped ----------------------------------------------------------------
if want stripped; then
  b=$build/stripped
  mkdir -p "$b"
  # the debug file stays out of the binary's directory while the first
  # dumps are taken, so gdb finds no symbols for the program's own frames
  strip --strip-all -o "$b/mutex-deadlock" "$build/mutex-deadlock/mutex-deadlock"
  objcopy --only-keep-debug "$build/mutex-deadlock/mutex-deadlock" "$build/mutex-deadlock.debug"
  (cd "$build" && objcopy --add-gnu-debuglink=mutex-deadlock.debug "$b/mutex-deadlock")
  start "$b" "$b/mutex-deadlock"
  gdb_bt "$pid" >"$b/bt.txt" 2>&1
  gdb_bt_full "$pid" >"$b/bt-full.txt" 2>&1
  gdb -iex "set debug-file-directory /nonexistent" -p "$pid" -batch \
    -ex "thread apply all bt" >"$b/bt-no-debug-files.txt" 2>&1
  gdb -iex "set debug-file-directory /nonexistent" -p "$pid" -batch \
    -ex "thread apply all bt full" >"$b/bt-full-no-debug-files.txt" 2>&1
  files=(bt.txt bt-full.txt bt-no-debug-files.txt bt-full-no-debug-files.txt)
  if $have_lldb; then
    lldb_bt "$pid" >"$b/lldb-bt.txt"
    lldb_threads "$pid" >"$b/lldb-thread-list.txt"
    files+=(lldb-bt.txt lldb-thread-list.txt)
  fi
  # now the debug file beside the binary: gdb follows the .gnu_debuglink
  cp "$build/mutex-deadlock.debug" "$b/"
  gdb_bt "$pid" >"$b/bt-debuglink.txt" 2>&1
  files+=(bt-debuglink.txt)
  stop "$pid"
  publish stripped "mutex-deadlock (stripped copy)" programs/mutex-deadlock/main.c "${files[@]}"
  mkdir -p "$here/stripped/bin"
  cp "$b/mutex-deadlock" "$b/mutex-deadlock.debug" "$here/stripped/bin/"
fi

# --- README --------------------------------------------------------------------
gdbversion=$(gdb --version | sed -n 1p)
gccversion=$(gcc --version | sed -n 1p)
gxxversion=$(g++ --version | sed -n 1p)
glibcversion=$(ldd --version | sed -n 1p)
libcdbg=$(dpkg-query -W -f='${Version}' libc6-dbg 2>/dev/null || true)
lldbversion="not installed"
$have_lldb && lldbversion="$(lldb --version 2>/dev/null | sed -n 1p) (Debian's \`lldb\` $(dpkg-query -W -f='${Version}' lldb 2>/dev/null))"
tmuxversion=$(tmux -V)
row() { # FILE WHAT: a row of the files table, when the file exists
  [ -f "$here/$1" ] && echo "| \`$1\` | $(size "$here/$1") | $2 |"
  return 0
}
truth_of() { # NAME: the ground-truth table of one directory
  if [ -f "$here/$1/expected.json" ]; then
    echo "Process $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$here/$1/expected.json") (its dumps all show this one process):"
    echo
    python3 "$here/expected.py" table "$here/$1/expected.json"
  fi
}
bid() { [ -f "$here/$1" ] && buildid "$here/$1"; }
{
  cat <<EOF
# gdb: thread dumps of hung processes

Real \`gdb\` (and \`lldb\`) thread dumps of small C and C++ programs that hang
in well-known ways: deadlocks on pthread mutexes and \`std::mutex\`, a lock
convoy, a condition variable nobody signals, a writer behind a reader stuck
in \`pthread_join\`, and a stripped binary. Each program reports its own
ground truth (threads, lock addresses, owners) in \`truth.jsonl\`, turned
into \`expected.json\` by \`expected.py\`: nothing in it is read from a dump.
Regenerate with:

\`\`\`
bash samples/native/gdb/generate.sh
ONLY="mutex-convoy stripped" bash samples/native/gdb/generate.sh   # just those
\`\`\`

It builds each program of \`programs/\` in a temporary directory, starts it
there (normal address-space randomisation), waits until it prints \`ready\`,
attaches the debuggers, kills it, and copies the outputs here with the build
directory rewritten to \`$root\` (the only change made to any
output). It installs Debian's \`gdb\`, \`tmux\`, \`libc6-dbg\` and \`lldb\`
when they are missing (\`lldb\` is optional). Addresses, pids and LWPs
change from run to run.

## Written by

- $gdbversion (\`gdb --version\`, first line), Python scripting on (so
  libstdc++'s pretty printers load for the C++ program); \`DEBUGINFOD_URLS\` unset
- lldb: $lldbversion; only its standard output is kept (on standard
  error this package prints a Python traceback at start-up,
  \`ModuleNotFoundError: No module named 'lldb.embedded_interpreter'\`,
  which does not stop \`bt all\` or \`thread list\`)
- $gccversion; $gxxversion
- $glibcversion; Debian's \`libc6-dbg\` ${libcdbg:-not installed} present (detached debug info
  for libc under \`/usr/lib/debug/.build-id/\`): libc's frames have names,
  arguments and source lines; glibc's sources are not installed, so gdb
  adds lines like \`57	./nptl/futex-internal.c: No such file or directory.\`
- \`bt-terminal.txt\`: $tmuxversion (an 80×50 pane, \`capture-pane -p -J\`)
- x86-64, Linux; every binary is a PIE

## Files

Every directory is one process: all its dumps show the same pid, LWPs and
addresses. \`truth.jsonl\` is what the program wrote about itself;
\`expected.json\` is derived from it (layout below). Only the stripped
program's binary and debug file are kept (\`stripped/bin/\`; the debug
file is the DWARF of \`mutex-deadlock\` as built).

| file | size | format, and the command that wrote it |
| --- | --- | --- |
EOF
  row mutex-deadlock/bt.txt '`gdb -p PID -batch -ex "thread apply all bt"`'
  row mutex-deadlock/bt-full.txt '`gdb -p PID -batch -ex "thread apply all bt full"`: each frame followed by its locals (`No locals.` when none)'
  row mutex-deadlock/bt-owners.txt '`gdb -p PID -batch -x owners.gdb`: `info threads`, `thread apply all bt`, then for each thread in `pthread_mutex_lock` the mutex and its `__owner` (below)'
  row mutex-deadlock/bt-no-thread-db.txt '`gdb -iex "set libthread-db-search-path /nonexistent" -p PID -batch -ex "thread apply all bt"`: gdb without libthread_db (as when it does not match the inferior): a warning, and thread headers `Thread N (LWP n "name")`'
  row mutex-deadlock/bt-core.txt '`gcore -o core PID`, then `gdb -batch -ex "thread apply all bt" BINARY core.PID` (the core itself is not kept): `Core was generated by ...`, no thread names'
  row mutex-deadlock/lldb-bt.txt '`lldb -p PID --batch -o "bt all"` (stdout)'
  row mutex-deadlock/lldb-thread-list.txt '`lldb -p PID --batch -o "thread list"` (stdout)'
  row mutex-convoy/bt.txt '`gdb -p PID -batch -ex "thread apply all bt"`'
  row mutex-convoy/bt-full.txt '`... "thread apply all bt full"`'
  row mutex-convoy/bt-owners.txt '`gdb -p PID -batch -x owners.gdb`'
  row mutex-convoy/several.txt 'two `gdb -p PID -batch -ex "thread apply all bt"` runs, 3 s apart, appended to one file (nothing between them but what gdb printed); they differ only in the holder'"'"'s `round=round@entry=N` (it sleeps one second a round, the lock held all along)'
  row mutex-convoy/lldb-bt.txt '`lldb -p PID --batch -o "bt all"`'
  row mutex-convoy/lldb-thread-list.txt '`lldb -p PID --batch -o "thread list"`'
  row cond-rwlock-join/bt.txt '`gdb -p PID -batch -ex "thread apply all bt"`'
  row cond-rwlock-join/bt-full.txt '`... "thread apply all bt full"`'
  row cond-rwlock-join/lldb-bt.txt '`lldb -p PID --batch -o "bt all"`'
  row cond-rwlock-join/lldb-thread-list.txt '`lldb -p PID --batch -o "thread list"`'
  row cpp-deadlock/bt.txt '`gdb -p PID -batch -ex "thread apply all bt"`'
  row cpp-deadlock/bt-full.txt '`... "thread apply all bt full"` (libstdc++ pretty printers)'
  row cpp-deadlock/bt-owners.txt '`gdb -p PID -batch -x owners.gdb`'
  row cpp-deadlock/bt-terminal.txt 'interactive `gdb -p PID` in an 80-column terminal, typed: `set pagination off`, `info threads`, `thread 2`, `bt`, `thread 3`, `bt`, `thread 1`, `bt`, `thread apply all bt`; the pane as copied: banner, `(gdb)` prompts and the commands, `info threads` and the `bt`s wrapped by gdb at 80 columns, `thread apply all bt` not wrapped'
  row cpp-deadlock/lldb-bt.txt '`lldb -p PID --batch -o "bt all"`'
  row cpp-deadlock/lldb-thread-list.txt '`lldb -p PID --batch -o "thread list"`'
  row stripped/bt.txt '`gdb -p PID -batch -ex "thread apply all bt"` of the stripped binary, its debug file not beside it: the program'"'"'s frames are `0x... in ?? ()`, libc'"'"'s are named (libc6-dbg)'
  row stripped/bt-full.txt '`... "thread apply all bt full"` of the same'
  row stripped/bt-no-debug-files.txt '`gdb -iex "set debug-file-directory /nonexistent" -p PID -batch -ex "thread apply all bt"`: no separate debug info at all (as without libc6-dbg): libc frames `?? () from /lib/x86_64-linux-gnu/libc.so.6`'
  row stripped/bt-full-no-debug-files.txt 'the same with `bt full` (`No symbol table info available.`)'
  row stripped/lldb-bt.txt '`lldb -p PID --batch -o "bt all"` (the program'"'"'s frames `___lldb_unnamed_symbolN`)'
  row stripped/lldb-thread-list.txt '`lldb -p PID --batch -o "thread list"`'
  row stripped/bt-debuglink.txt '`gdb -p PID -batch -ex "thread apply all bt"` of the same process after `mutex-deadlock.debug` was copied beside the binary: gdb follows the `.gnu_debuglink`, the `?? ()` frames of `bt.txt` get their names'
  row stripped/bin/mutex-deadlock '`strip --strip-all` of `mutex-deadlock` as built, then `objcopy --add-gnu-debuglink=mutex-deadlock.debug`, build-id `'"$(bid stripped/bin/mutex-deadlock)"'`'
  row stripped/bin/mutex-deadlock.debug '`objcopy --only-keep-debug` of the unstripped binary (same build-id)'
  cat <<EOF

The stripped binary ran as \`$root/stripped/mutex-deadlock\`; the others as
\`$root/NAME/NAME\` (the build directory, rewritten), each with the argument
\`truth.jsonl\` (its side file) from its own directory. \`owners.gdb\` is
the script used for \`bt-owners.txt\`.

## Build

From a copy of the sources in \`<build dir>/NAME/\` (and \`<build dir>/common/truth.h\`):

- \`mutex-deadlock\`: \`gcc -O0 -g -pthread -Wall -Wextra -ffile-prefix-map=<build dir>=$root -o mutex-deadlock main.c\`
- \`mutex-convoy\`: the same with \`-O2 -g\`
- \`cond-rwlock-join\`: the same with \`-O1 -g\`
- \`cpp-deadlock\`: \`g++ -O1 -g -pthread -Wall -Wextra -ffile-prefix-map=<build dir>=$root -o cpp-deadlock main.cpp\` (C++17, the default)
- \`stripped\`: \`strip --strip-all -o stripped/mutex-deadlock mutex-deadlock/mutex-deadlock\`;
  \`objcopy --only-keep-debug mutex-deadlock/mutex-deadlock mutex-deadlock.debug\`;
  \`objcopy --add-gnu-debuglink=mutex-deadlock.debug stripped/mutex-deadlock\`

## Programs and ground truth

Each program names its threads with \`pthread_setname_np\` (so gdb shows
\`"name"\` in the thread header); the main thread keeps the process name,
the executable's name cut to 15 characters (\`cond-rwlock-joi\`). Before a
thread blocks it writes to the side file its LWP (\`gettid()\`), name,
\`pthread_t\`, and the address of what it holds and of what it is about to
wait on. The main thread then checks in \`/proc/self/task/TID/syscall\` that
each thread really sits in the system call it should (for a mutex,
\`futex\` on the mutex's own address), records the \`__owner\` glibc keeps in
each locked mutex, notes that it is about to \`pthread_join\`, and prints
\`ready\`; the dumps are taken after that.

### \`mutex-deadlock\` (\`programs/mutex-deadlock/main.c\`, C, \`-O0\`), also \`stripped\`

\`transfer-ab\` locks \`account_a.lock\` then \`account_b.lock\`,
\`transfer-ba\` the other way round; a barrier makes sure both hold their
first mutex before asking for the second. \`auditor\` passes the same
barrier and asks for \`account_a.lock\`: queued behind the cycle, not part
of it. Main joins \`transfer-ab\`.

- \`transfer_main\` → \`transfer\` → \`lock_account\` → \`pthread_mutex_lock\`
- \`auditor_main\` → \`audit_account\` → \`lock_account\` → \`pthread_mutex_lock\`

EOF
  truth_of mutex-deadlock
  echo
  echo "\`stripped/\` (a second process of the same program, stripped):"
  echo
  truth_of stripped
  cat <<EOF

### \`mutex-convoy\` (\`programs/mutex-convoy/main.c\`, C, \`-O2\`)

\`cache-flush\` locks \`cache.lock\` and sleeps in \`nanosleep\` while holding
it (a slow write-back); \`worker-1\` … \`worker-8\` all wait for it in
\`pthread_mutex_lock\`. No cycle: one holder, eight waiters.

- \`flusher_main\` → \`flush_cache\` (inlined) → \`write_back\` → \`nanosleep\`
- \`worker_main\` → \`handle_request\` → \`cache_lookup\` (inlined) → \`pthread_mutex_lock\`

EOF
  truth_of mutex-convoy
  cat <<EOF

### \`cond-rwlock-join\` (\`programs/cond-rwlock-join/main.c\`, C, \`-O1\`)

- \`cfg-watch\`: \`watch_config\` → \`wait_for_change\` → \`pthread_cond_wait(&config.changed, &config.lock)\`; nobody signals (the mutex is released while it waits)
- \`index-reader\`: \`reader_main\` → \`rebuild_index\`: holds \`index_lock\` for reading, starts \`loader\` and \`pthread_join\`s it with the read lock still held
- \`loader\`: \`loader_main\` → \`load_segment\` → \`read()\` on a pipe whose write end is open and never written
- \`index-writer\`: \`writer_main\` → \`publish_index\` → \`pthread_rwlock_wrlock(&index_lock)\`
- main: \`pthread_join(index-writer)\`

Wait chain, no cycle: main → \`index-writer\` → \`index-reader\` → \`loader\` → \`read()\`.

EOF
  truth_of cond-rwlock-join
  cat <<EOF

### \`cpp-deadlock\` (\`programs/cpp-deadlock/main.cpp\`, C++, \`-O1\`)

Two \`std::thread\`s move stock between two ledgers
(\`warehouse::detail::GuardedLedger<std::string, std::vector<std::pair<std::string, long>>>\`)
in opposite directions through
\`warehouse::Reconciler<...>::move_between<Fn>(from, to, key, adjust)\`:
\`std::lock_guard<std::mutex>\` on \`from.mutex_\`, a rendezvous, then on
\`to.mutex_\`. Main waits in \`std::thread::join\` for \`rebalance-ew\`.

- \`std::thread::_State_impl<...>::_M_run\` → … → \`main::{lambda()}\` → \`move_between<...>\` (kept out of line) → \`std::lock_guard\` → \`std::mutex::lock\` → \`__gthread_mutex_lock\` (all three inlined) → \`pthread_mutex_lock\`

EOF
  truth_of cpp-deadlock
  cat <<'EOF'

## `expected.json`

- `program`, `source`, `pid`, `dumps` (the files of this directory that show the process)
- `threads`: one per thread, by LWP: `lwp`, `name`, `pthread` (the
  `pthread_t`, which gdb prints as `Thread 0x...`), `main`, `holds` (`kind`,
  `object`, `address`, `mode` for an rwlock), `waits` (`kind`: `mutex`
  with `address` and `owner_lwp`/`owner_name`; `rwlock` with `mode` and
  `held_by`; `cond` with `address` and its `mutex`; `join` with
  `pthread`, `target_lwp`, `target_name`; `read` with `fd`; `sleep`),
  `blocked_in` (the system call the program found the thread in: `syscall`,
  `nr`, `arg1`; `null` for main, which blocks after `ready`)
- `mutexes`: `object`, `address`, `owner_lwp`, `owner_name`,
  `glibc_owner_field` (the `__owner` read by the program, equal to
  `owner_lwp`), `waiters`
- `rwlocks`: `read_holders`, `write_holder`, `waiters`; `conds`: `address`, `mutex`, `waiters`
- `waits_for`: the edges waiter → the thread that must act first (mutex
  owner, rwlock holders, joined thread); a `cond` or `read()` waiter has none
- `deadlock_cycles`: the cycles of `waits_for`, as lists of thread names,
  each starting at its lowest LWP

## What the dumps look like

- Thread headers: `Thread 4 (Thread 0x7f... (LWP 14902) "auditor"):` with
  libthread_db (`0x7f...` is the `pthread_t`); `Thread 4 (LWP 14902
  "auditor"):` without it; `Thread 4 (Thread 0x7f... (LWP 14902)):` from a
  core file (no names). gdb lists threads from the highest number down;
  thread 1 is the main thread.
- Before the first header gdb prints `[New LWP n]` for each other thread,
  `[Thread debugging using libthread_db enabled]`, `Using host libthread_db
  library "..."`, the current frame of thread 1 and a source line or `No
  such file or directory.`; after the last frame `[Inferior 1 (process N)
  detached]`. From a core: `Core was generated by ...` and `[Current thread
  is 1 (...)]`.
- Frames: `#N  0xADDR in func (args) at file:line`; the address is left out
  when the pc is at the beginning of a line, and for an inlined frame
  (gdb prints the address only on the innermost frame of an inline chain:
  `lll_mutex_lock_optimized` at `#2` and `___pthread_mutex_lock` at `#3`
  share one pc). Frames without debug info: `0xADDR in ?? ()` (the stripped
  program), `0xADDR in ?? () from /lib/x86_64-linux-gnu/libc.so.6`, or a
  dynamic symbol with an empty argument list: `pthread_mutex_lock () from
  ...`, `std::thread::join() () from /lib/x86_64-linux-gnu/libstdc++.so.6`.
  Without libc's debug info the main thread's stack goes on past `main`
  into `__libc_start_main` and `_start`.
- Arguments: `<optimized out>`, `name@entry=value`, `...` for a non-scalar
  argument (default `print frame-arguments scalars`), `<synthetic
  pointer>`, symbolized pointers `0x5565... <account_a>`, `<config+40>`.
- `gdb -batch` never wraps, even with `set width 80` or on a terminal, and
  neither does `thread apply ... bt` typed in an interactive gdb (its output
  is collected first); the interactive `bt` and `info threads` of
  `bt-terminal.txt` are wrapped at the terminal's 80 columns: the argument
  list is broken after a comma (or after the opening parenthesis) and
  `at file:line` goes on its own line, continuation lines indented by four
  spaces. A frame name longer than the line (the C++ template frames are
  about 1,000 characters) is not broken. The terminal turned gdb's tab after
  a source line number into spaces.
- `bt full`: locals indented by eight spaces under each frame, `No locals.`,
  `No symbol table info available.`; a value stays on one line however long
  (structures, `std::map with 1 element = {["sku-1042"] = std::vector of
  length 2, ...}` from libstdc++'s pretty printers, `<repeats 26 times>`);
  inlined libc frames repeat names (`err`, `__ret`); `__ret = -512` is the
  futex call interrupted by the attach (`-ERESTARTSYS`).
- `owners.gdb`: `frame function ___pthread_mutex_lock` selects the first
  frame whose function is `___pthread_mutex_lock`, which is the inlined
  `lll_mutex_lock_optimized` frame (`#2`, same pc); `mutex` is its argument.
  `print *mutex` prints `__owner = LWP` of the owner.
- lldb: the attach summary (`(lldb) process attach --pid N`, `Process N
  stopped`, each thread's frame #0, `Executable module set to "..."`), then
  `(lldb) bt all`; threads in ascending order, `* thread #1, name = '...',
  stop reason = signal SIGSTOP`, frames `frame #N: 0xADDR
  module`function(args) at file:line:column`, the selected frame marked
  `* frame`. An inlined frame is named by the function it was inlined into,
  either alone (no arguments, the inlined call's file and line:
  `libc.so.6`___pthread_mutex_lock at pthread_mutex_lock.c:48:5`) or
  followed by `[inlined] callee(args)`; the pc repeats. C++ names are
  printed differently from gdb (`long int`, `std::allocator<>`,
  `(unnamed struct)`, a trailing ` const`), and for `move_between` lldb 14
  puts the argument list inside the template argument list
  (`move_between<main(this=0x..., from=..., ...)::<lambda(...)>&>(...)`).
  Missing values are `<unavailable>` (gdb: `<optimized out>`), unnamed
  parameters `(null)=<unavailable>`; frames without symbols
  `module`___lldb_unnamed_symbolN + OFF`. lldb goes on past `main` into
  `__libc_start_call_main`, `__libc_start_main_impl` and `_start`.
EOF
} >"$here/README.md"

# --- checks --------------------------------------------------------------------
for d in mutex-deadlock mutex-convoy cond-rwlock-join cpp-deadlock stripped; do
  want "$d" || continue
  for f in "$here/$d"/*.txt; do
    s=$(size "$f")
    ((s < 300000)) || { echo "$f is $s bytes" >&2; exit 1; }
  done
done
if grep -rlF -e "$build" -e "$HOME/" -e "$(cd "$here/../../.." && pwd)/" -e "$(dirname "$build")/" "$here"; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
du -ab "$here" | sort -k2
