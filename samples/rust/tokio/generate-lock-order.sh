#!/usr/bin/env bash
# Regenerates samples/rust/tokio/lock-order/: the lock-order deadlock of
# programs/lock-order (two tasks take two `static` tokio::sync::Mutexes in
# opposite order, three idle tasks sleep), dumped by the program itself with
# Handle::dump(), built and run as generate.sh builds the other tokio
# programs (same RUSTFLAGS, dev profile, --locked). expected.json is the
# program's design with the task ids the run wrote (TASKDUMP_ROLES); nothing
# in it is read from the dump.
# Usage: bash samples/rust/tokio/generate-lock-order.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
root=/home/build/rust/tokio
cargo_home=${CARGO_HOME:-$HOME/.cargo}
target=${CARGO_TARGET_DIR:-$build/target}
mkdir -p "$build/src" "$build/out"
cp -r "$here/programs/lock-order" "$build/src/lock-order"
rm -rf "$build/src/lock-order/target"
export RUSTFLAGS="--cfg tokio_unstable --remap-path-prefix=$build/src=$root --remap-path-prefix=$cargo_home/registry/src=/home/build/.cargo/registry/src"
(cd "$build/src/lock-order" && CARGO_TARGET_DIR=$target cargo build -q --locked)
env -u RUST_BACKTRACE TASKDUMP_ROLES="$build/roles" "$target/debug/lock-order" >"$build/out/taskdump.txt"
sed -i -e "s#$build/src#$root#g" -e "s#$cargo_home/registry/src#/home/build/.cargo/registry/src#g" -e "s#$HOME/#/home/build/#g" "$build/out/taskdump.txt"
rm -rf "$here/lock-order"
mkdir -p "$here/lock-order"
cp "$build/out/taskdump.txt" "$here/lock-order/"
python3 - "$build/roles" "$here/lock-order/expected.json" "$here/lock-order/taskdump.txt" <<'PY'
import json, re, sys
roles_file, out, dump = sys.argv[1:]
roles = [line.split("\t") for line in open(roles_file).read().splitlines() if line]
ids = {}
for role, task_id, function in roles:
    ids.setdefault(role, []).append(int(task_id))
text = open(dump).read()
in_dump = sorted(int(m) for m in re.findall(r"^task \d+ \(id (\d+)\) trace:", text, re.M))
truth = {
    "program": "lock-order",
    "source": "programs/lock-order/src/main.rs",
    "runtime": "tokio (multi-thread, 2 workers)",
    "summary": "place_order and restock take two static tokio::sync::Mutex in opposite order (AB-BA); three idle_loop tasks sleep",
    "locks": {"ORDERS": {"kind": "tokio::sync::Mutex<u64>", "held_by": "place_order", "waiters": ["restock"]},
              "INVENTORY": {"kind": "tokio::sync::Mutex<u64>", "held_by": "restock", "waiters": ["place_order"]}},
    "tasks": [
        {"role": "place_order", "ids": ids["place_order"], "holds": ["ORDERS"], "waits": {"kind": "mutex", "lock": "INVENTORY"}},
        {"role": "restock", "ids": ids["restock"], "holds": ["INVENTORY"], "waits": {"kind": "mutex", "lock": "ORDERS"}},
        {"role": "idle_loop", "ids": ids["idle_loop"], "holds": [], "waits": {"kind": "sleep"}},
        {"role": "watchdog", "ids": ids["watchdog"], "holds": [], "waits": {"kind": "dump"}},
    ],
    "deadlock": {"tasks": ["place_order", "restock"], "locks": ["ORDERS", "INVENTORY"]},
    "task_ids_in_dump": in_dump,
}
for role in ("place_order", "restock", "idle_loop"):
    for task_id in ids[role]:
        assert task_id in in_dump, (role, task_id)
json.dump(truth, open(out, "w"), indent=1)
open(out, "a").write("\n")
PY
if grep -rlF -e "$build" -e "$HOME/" "$here/lock-order"; then
  echo "machine paths left in the files above" >&2
  exit 1
fi
