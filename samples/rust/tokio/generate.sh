#!/usr/bin/env bash
# Regenerates the tokio task dump samples in samples/rust/tokio/<program>/ by
# building and running the programs in samples/rust/tokio/programs/ (each its
# own Cargo project with a committed Cargo.lock): tokio task dumps
# (Handle::dump(), each task's trace printed with its Display) and
# async-backtrace task trees (taskdump_tree(false) and (true)). Each program
# hangs in a known way, takes its own dump after one second, prints it to
# stdout and exits. expected.py writes expected.json (the ground truth of
# the program's design, with the task ids of the run) and checks every dump
# against it. Writes README.md with the build facts.
# Needs cargo/rustc (x86-64 or aarch64 Linux: tokio's task dumps exist only
# there), crates.io (or the crates in cargo's cache) and python3. Machine
# paths are remapped at build time (--remap-path-prefix) to neutral ones:
# the build dir to /home/build/rust/tokio, cargo's registry sources to
# /home/build/.cargo/registry/src.
# Usage: bash samples/rust/tokio/generate.sh
# CARGO_TARGET_DIR, when set, is where the programs are built (reused across
# runs); otherwise they are built in a temporary directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
root=/home/build/rust/tokio
cargo_home=${CARGO_HOME:-$HOME/.cargo}
target=${CARGO_TARGET_DIR:-$build/target}
programs=(mutex-deadlock semaphore-exhaustion rwlock-writer mutex-deadlock-framed)

# Built from copies under $build/src (so that cargo never runs inside the
# repository). One set of flags for all programs, so that they share the
# compiled dependencies.
mkdir -p "$build/src"
for p in "${programs[@]}"; do
  cp -r "$here/programs/$p" "$build/src/$p"
  rm -rf "$build/src/$p/target"
done
export RUSTFLAGS="--cfg tokio_unstable --remap-path-prefix=$build/src=$root --remap-path-prefix=$cargo_home/registry/src=/home/build/.cargo/registry/src"
for p in "${programs[@]}"; do
  (cd "$build/src/$p" && CARGO_TARGET_DIR=$target cargo build -q --locked)
done
(cd "$build/src/mutex-deadlock" && CARGO_TARGET_DIR=$target cargo build -q --locked --release)

# run OUT ROLES BINARY [ARGS...] [-- ENV...]: stdout -> OUT, task roles -> ROLES
run() {
  local out=$1 roles=$2 bin=$3
  shift 3
  local args=() envs=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift && envs=("$@")
  env -u RUST_BACKTRACE -u TASKDUMP_HEADER TASKDUMP_ROLES="$roles" "${envs[@]}" \
    "$bin" "${args[@]}" >"$out"
}

mkdir -p "$build/out"
for p in "${programs[@]}"; do mkdir -p "$build/out/$p"; done
o=$build/out
run "$o/mutex-deadlock/taskdump.txt" "$build/md.roles" "$target/debug/mutex-deadlock"
run "$o/mutex-deadlock/taskdump-plain.txt" "$build/md-plain.roles" "$target/debug/mutex-deadlock" -- TASKDUMP_HEADER=plain
run "$o/mutex-deadlock/taskdump-release.txt" "$build/md-release.roles" "$target/release/mutex-deadlock"
run "$o/semaphore-exhaustion/taskdump.txt" "$build/se.roles" "$target/debug/semaphore-exhaustion"
run "$o/rwlock-writer/taskdump.txt" "$build/rw.roles" "$target/debug/rwlock-writer"
for mode in tree-nowait tree-wait tokio; do
  f=$mode.txt
  [ "$mode" = tokio ] && f=taskdump.txt
  run "$o/mutex-deadlock-framed/$f" "$build/mf-$mode.roles" "$target/debug/mutex-deadlock-framed" "$mode"
done

# The remapping leaves nothing of the machine; this is a second safety net.
neutral() { sed -i -e "s#$build/src#$root#g" -e "s#$cargo_home/registry/src#/home/build/.cargo/registry/src#g" -e "s#$HOME/#/home/build/#g" "$@"; }
neutral "$o"/*/*.txt

for p in "${programs[@]}"; do
  rm -rf "${here:?}/$p"
  cp -r "$o/$p" "$here/$p"
done

ex() { python3 "$here/expected.py" "$1" "$here/programs/$1/src/main.rs" "$here/$1" "$root/$1/src/main.rs" "${@:2}"; }
ex mutex-deadlock taskdump.txt:tokio:"$build/md.roles" taskdump-plain.txt:tokio-plain:"$build/md-plain.roles" \
  taskdump-release.txt:tokio:"$build/md-release.roles":release
ex semaphore-exhaustion taskdump.txt:tokio:"$build/se.roles"
ex rwlock-writer taskdump.txt:tokio:"$build/rw.roles"
ex mutex-deadlock-framed tree-nowait.txt:tree-nowait:"$build/mf-tree-nowait.roles" \
  tree-wait.txt:tree-wait:"$build/mf-tree-wait.roles" taskdump.txt:tokio:"$build/mf-tokio.roles"

# Build facts for the README.
lockver() { awk -v n="$2" '$0=="name = \""n"\"" {getline; gsub(/version = |"/, ""); print; exit}' "$here/programs/$1/Cargo.lock"; }
tokio_v=$(lockver mutex-deadlock tokio)
ab_v=$(lockver mutex-deadlock-framed async-backtrace)
bt_v=$(lockver mutex-deadlock backtrace)
rustcversion=$(rustc --version)
cargoversion=$(cargo --version)
commit=$(rustc -vV | sed -n 's/^commit-hash: //p')
sz() { stat -c %s "$1"; }
lines() { grep -c '' "$1"; }
tasks() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([x["tasks_in_dump"] for x in d["dumps"] if x["file"]==sys.argv[2]][0])' "$here/$1/expected.json" "$2"; }
row() { echo "| \`$1/$2\` | $3 | $4 | $(tasks "$1" "$2") | $(lines "$here/$1/$2") | $(sz "$here/$1/$2") |"; }

{
  cat <<EOF
# tokio task dumps and async-backtrace task trees

Real output of the programs in \`programs/\` (each a Cargo project with its
own \`[workspace]\` table and its \`Cargo.lock\`): small tokio services that
hang in well-known ways and dump their own tasks one second after the start.
Regenerate with \`bash samples/rust/tokio/generate.sh\` (about 3 minutes, most
of it compiling tokio and its dependencies for the dev and release profiles). Every file here is written by the
programs or by the script; expected.json is the ground truth of each
program's design, with the task ids of the run, checked against the dumps by
\`expected.py\`.

## Build and run

- $rustcversion; $cargoversion
- tokio $tokio_v (features \`full\` and \`taskdump\`), which resolves its
  traces with backtrace $bt_v; async-backtrace $ab_v
- \`RUSTFLAGS="--cfg tokio_unstable --remap-path-prefix=<build dir>=$root
  --remap-path-prefix=<cargo home>/registry/src=/home/build/.cargo/registry/src"\`.
  tokio $tokio_v gates task dumps behind \`--cfg tokio_unstable\` plus its
  cargo feature \`taskdump\` (Linux on x86-64, x86, aarch64 or s390x); tokio
  before 1.48 took \`--cfg tokio_taskdump\` instead of the feature. The
  flags apply to the dependencies too, so their paths are neutral as well.
- \`cargo build --locked\`: the dev profile (\`opt-level = 0\`, full debug
  info, \`split-debuginfo = "off"\`: tokio resolves the traces from the
  binary's own DWARF) for every dump, except \`taskdump-release.txt\`: the
  release profile of \`mutex-deadlock\` (\`opt-level = 2\`,
  \`codegen-units = 1\`, \`debug = true\`, \`split-debuginfo = "off"\`)
- x86-64 Linux, a multi-thread runtime with 2 worker threads
  (\`Builder::new_multi_thread().worker_threads(2)\`); the dump is taken by a
  spawned \`watchdog\` task: \`tokio::time::timeout(5 s, Handle::current().dump())\`,
  then \`task.trace()\` is formatted in \`spawn_blocking\`
- paths in the dumps: the programs' sources as
  \`$root/<program>/src/main.rs\`, crates as
  \`/home/build/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/<crate>-<version>/...\`,
  std as \`/rustc/$commit/library/...\`; async-backtrace prints \`file!()\`,
  which is relative (\`src/main.rs\`)

## Files

| file | form | written by | tasks | lines | bytes |
| --- | --- | --- | --- | --- | --- |
$(row mutex-deadlock taskdump.txt "tokio task dump, \`task N (id ID) trace:\` headers" "\`mutex-deadlock\` (dev)")
$(row mutex-deadlock taskdump-plain.txt "tokio task dump, \`task N trace:\` headers (as tokio's own example prints them)" "\`TASKDUMP_HEADER=plain mutex-deadlock\` (dev)")
$(row mutex-deadlock taskdump-release.txt "tokio task dump of the optimized build" "\`mutex-deadlock\` (release)")
$(row semaphore-exhaustion taskdump.txt "tokio task dump" "\`semaphore-exhaustion\` (dev)")
$(row rwlock-writer taskdump.txt "tokio task dump" "\`rwlock-writer\` (dev)")
$(row mutex-deadlock-framed tree-nowait.txt "async-backtrace \`taskdump_tree(false)\`" "\`mutex-deadlock-framed tree-nowait\` (dev)")
$(row mutex-deadlock-framed tree-wait.txt "async-backtrace \`taskdump_tree(true)\`" "\`mutex-deadlock-framed tree-wait\` (dev)")
$(row mutex-deadlock-framed taskdump.txt "tokio task dump of a program with \`#[async_backtrace::framed]\` functions" "\`mutex-deadlock-framed tokio\` (dev)")

Each directory has an \`expected.json\`. Task ids can differ from run to run,
and the order of the tasks in a dump and of sibling branches in a tokio
trace do (tokio keeps a trace's tree in hash sets; async-backtrace its tasks
in a hash set).

## The programs

- \`mutex-deadlock\`: \`post_transfer\` locks \`ledger.accounts\` then
  \`ledger.journal\`, \`rebuild_journal\` the other way round (both
  \`tokio::sync::Mutex\`); a \`tokio::sync::Barrier\` of 2 makes sure both
  hold their first lock before asking for the second: an AB-BA deadlock.
  \`read_balance\` queues on \`ledger.accounts\` behind it. Healthy beside
  them: \`heartbeat\` (a 100 ms \`tokio::time::interval\`), \`await_config\`
  (awaits a oneshot), \`load_config\` (sleeps 30 s, then sends it), and
  \`watchdog\`, the task that takes the dump (it appears in its own dump,
  parked in \`Timeout<Handle::dump()>\`).
- \`semaphore-exhaustion\`: a \`tokio::sync::Semaphore\` of 4 permits; 24
  tasks run \`fetch_page\`, which takes a permit, hands its request to a
  backend that never answers and awaits the reply on a oneshot (the senders
  stay alive). The first 4 hold all the permits, the other 20 wait in
  \`Semaphore::acquire()\`. \`report_progress\` (a 250 ms interval) and
  \`watchdog\`.
- \`rwlock-writer\`: a route table in a \`tokio::sync::RwLock\`. 3
  \`serve_snapshot\` tasks hold read guards while awaiting a client's
  acknowledgement on an mpsc channel that never comes; \`apply_update\` waits
  in \`write()\`; 2 \`lookup_route\` tasks that call \`read()\` later queue
  behind the writer (tokio's RwLock is fair). \`refresh_metrics\` (a 200 ms
  interval) and \`watchdog\`.
- \`mutex-deadlock-framed\`: \`mutex-deadlock\` with every function annotated
  \`#[async_backtrace::framed]\`, the locks taken in framed helpers
  (\`post_transfer\` → \`debit\` holds the accounts, → \`append_entry\` waits for the
  journal; \`rebuild_journal\` → \`truncate_journal\` holds the journal, →
  \`load_balances\` waits for the accounts); \`await_config\` joins
  (\`tokio::join!\`) \`wait_for_setting\` twice and \`wait_for_reload\` (so the
  tree has siblings and a \`2x\` entry); and \`compact_index\`, which blocks its
  worker thread for 300 ms inside \`scan_segment\` (a synchronous sleep in a
  poll), then yields, in a loop. \`watchdog\` waits until \`compact_index\` is
  inside \`scan_segment\`, then prints by its argument
  \`async_backtrace::taskdump_tree(false)\` (\`compact_index\` shows
  \`└┈ [POLLING]\`), \`taskdump_tree(true)\` (waits until \`compact_index\`'s
  poll ends: it is then parked at \`yield_now()\`, with no framed child) or a
  tokio dump (in which \`compact_index\` is left out: it is running, or
  scheduled again right after its \`yield_now()\`, and tokio traces idle
  tasks only).

## Ground truth (\`expected.json\`)

\`roles\`: for each task of the design its function, its state
(\`deadlocked\`, \`blocked\`, \`healthy\`, \`running\`, \`dumping\`), what it holds
and waits on, and \`paths\`: one per leaf future it is parked on (two for a
\`timeout\`, three for the \`join!\`), each the program's own \`frames\`,
outermost first (\`function\`, \`code\`, and the \`line\` and \`column\` a debug
build prints: the \`await\` keyword of the \`.await\`; the first column of
\`tokio::join!\`; column 1 of the \`#[async_backtrace::framed]\` line, where a
framed function's outer future is attributed), and the \`leaf\`: the tokio
future it ends in, as the dump names it; for the framed program also the
expected async-backtrace root and children. \`resources\`: every lock,
semaphore and channel with the roles that hold it and wait on it (in queue
order where the design fixes it). \`deadlock\`: the cycle (task, holds,
waits for) and the tasks blocked behind it. \`dumps\`: per file, the task ids
of each role in that run (the program writes them from \`JoinHandle::id()\`),
and what the check found (tasks in the dump, tasks left out while being
polled, empty traces, tasks shown \`[POLLING]\`).

## Reading the dumps

tokio ($tokio_v) prints, for each task, a tree of the frames between its
poll and the tokio leaf futures it stopped at (one branch per leaf):

- the root line starts with \`╼\` + U+00A0 (no-break space); a child is
  \`└╼\` (last) or \`├╼\` (not last) + U+00A0. The first level is indented by
  two U+00A0; each further level adds three U+00A0 below a last child or
  \`│\` + two U+00A0 below a non-last one, so the \`╼\` of a frame at depth d
  is character 3d of its line. The indentation has no ASCII space.
- a frame is \`<name> at <file>:<line>:<column>\`. The name is the demangled
  symbol printed without its crate disambiguators and with its **last path
  segment removed** (tokio strips what used to be the \`::h<hash>\` suffix;
  with the hash already gone it drops a real segment): the program's
  \`async fn post_transfer\` (its future's poll, \`post_transfer::{{closure}}\`)
  prints as \`mutex_deadlock::post_transfer\`, \`<Sleep as Future>::poll\` as
  \`<tokio::time::sleep::Sleep as core::future::future::Future>\`,
  \`Sleep::poll_elapsed\` as \`tokio::time::sleep::Sleep\`, \`Mutex::lock\`'s
  body as \`tokio::sync::mutex::Mutex<T>::lock\`, and a closure inside it as
  \`...::lock::{{closure}}\`.
- a task waiting for a tokio \`Mutex\`, \`RwLock\` or \`Semaphore\` ends in
  \`<tokio::sync::batch_semaphore::Acquire as core::future::future::Future>
  at .../tokio-$tokio_v/src/sync/batch_semaphore.rs:642:16\`, under
  \`tokio::sync::mutex::Mutex<T>::lock\` → \`...::lock::{{closure}}\` →
  \`tokio::sync::mutex::Mutex<T>::acquire\`, \`tokio::sync::rwlock::RwLock<T>::read\`
  / \`::write\` → \`...::{{closure}}\`, or
  \`tokio::sync::semaphore::Semaphore::acquire\`: the dump says which kind of
  lock, not which instance, nor who holds it.
- the optimized build (\`taskdump-release.txt\`) inlines the program's poll
  functions into tokio's root frame, which is not printed: its traces start
  at tokio's own futures, and a task whose whole poll was inlined has an
  empty trace (a header followed by an empty line).
- async-backtrace ($ab_v) prints one tree per framed task root, laid out
  the same way but with ASCII spaces (\`╼ \`, \`  ├╼ \`, \`  └╼ \`, \`│  \`), \`<N>x \` before a frame that stands for
  N identical siblings, \`└┈ [POLLING]\` under a task that was being polled
  (with \`false\`), and \`<type name> at <file!()>:<line>:<column>\` of the
  \`#[async_backtrace::framed]\` attribute, the name being the full
  \`type_name\` of the function's future (\`mutex_deadlock_framed::post_transfer::{{closure}}\`).
  Only framed functions appear, not the tokio future a task waits on.

## lock-order

\`lock-order/taskdump.txt\` is written by \`programs/lock-order\` (two tasks take
the \`static\` tokio \`Mutex\`es \`ORDERS\` and \`INVENTORY\` in opposite order; three
\`idle_loop\` tasks sleep; \`watchdog\` dumps), built and run like the others by
\`bash samples/rust/tokio/generate-lock-order.sh\`, which also writes
\`lock-order/expected.json\` from the program's design and the task ids the run
recorded.
EOF
} >"$here/README.md"

if grep -rlF -e "$build" -e "$HOME/" -e "$(cd "$here/../../.." && pwd)/" -e "$(dirname "$build")/" -e "$target" \
  "$here" --include='*.txt' --include='*.json' --include='*.md'; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
ls -l "${programs[@]/#/$here/}"
