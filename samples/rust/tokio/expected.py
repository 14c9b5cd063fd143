#!/usr/bin/env python3
"""Writes expected.json for one program of samples/rust/tokio and checks its
dumps against it.

The ground truth comes from the program's design (DESIGN below: which task
runs which function, which lock or semaphore it waits on, who holds it, the
deadlock cycle) and from the run: the task ids that the program itself wrote
(TASKDUMP_ROLES, `role<TAB>task id<TAB>function` per line). Source lines and
columns are looked up in the program's src/main.rs: the line of the `.await`
(column of `await`), of a `tokio::join!` (its first column), or of the
`#[async_backtrace::framed]` attribute (column 1).

Each dump is then read back and compared with that truth (the script exits
non-zero on a mismatch): for tokio dumps every task id of the run appears
(except a task that was being polled at the moment of the dump, which tokio
leaves out), each trace's frames in src/main.rs are the expected
line:column paths (debug builds; an optimized build inlines the program's own
poll functions into tokio's root frame, which the dump does not print), and
each path ends in the expected tokio leaf future; for async-backtrace trees
every task root and its framed children are the expected ones.

Usage: expected.py PROGRAM SOURCE OUTDIR NEUTRAL_SOURCE DUMP_SPEC...
  DUMP_SPEC = file:kind:roles_file[:build]
  kind: tokio | tokio-plain | tree-nowait | tree-wait
"""
import collections
import json
import re
import sys

NBSP = "\u00a0"

# Per program: resources, the deadlock (if any) and the roles. A role's
# `paths` are the chains of the program's own frames, outermost first, one per
# leaf future the task is parked on (a task that awaits two futures at once,
# as in a timeout or a join, has two or more). A frame is
#   ("await", function, code)  - the `.await` in `code` inside `function`
#   ("join", function, code)   - a tokio::join! in `function`
#   ("framed", function)       - the #[async_backtrace::framed] attribute
# `leaf` is the tokio future the path ends in, as the dump names it.
ACQUIRE = "<tokio::sync::batch_semaphore::Acquire as core::future::future::Future>"
ONESHOT = "tokio::sync::oneshot::Inner<T>"
SLEEP = "tokio::time::sleep::Sleep"
MPSC = "tokio::sync::mpsc::chan::Rx<T,S>"

DESIGN = {}

DESIGN["mutex-deadlock"] = {
    "summary": "post_transfer and rebuild_journal lock two tokio::sync::Mutex in opposite order (AB-BA); read_balance queues on one of them",
    "resources": [
        {"name": "ledger.accounts", "kind": "tokio::sync::Mutex<Accounts>",
         "held_by": ["post_transfer"], "waiters_in_order": ["rebuild_journal", "read_balance"]},
        {"name": "ledger.journal", "kind": "tokio::sync::Mutex<Journal>",
         "held_by": ["rebuild_journal"], "waiters_in_order": ["post_transfer"]},
        {"name": "both_locked", "kind": "tokio::sync::Barrier (2 tasks)",
         "note": "passed by post_transfer and rebuild_journal before the dump; nobody waits on it"},
        {"name": "config", "kind": "tokio::sync::oneshot", "receiver": "await_config",
         "sender_held_by": "load_config", "note": "sent 30 s after the start, after the dump"},
    ],
    "deadlock": {
        "cycle": [
            {"task": "post_transfer", "holds": "ledger.accounts", "waits_for": "ledger.journal"},
            {"task": "rebuild_journal", "holds": "ledger.journal", "waits_for": "ledger.accounts"},
        ],
        "blocked_behind_cycle": [{"task": "read_balance", "waits_for": "ledger.accounts"}],
    },
    "roles": {
        "post_transfer": {"state": "deadlocked", "holds": ["ledger.accounts"], "waits_on": "ledger.journal",
                          "paths": [[("await", "post_transfer", "ledger.journal.lock().await")]], "leaf": ACQUIRE},
        "rebuild_journal": {"state": "deadlocked", "holds": ["ledger.journal"], "waits_on": "ledger.accounts",
                            "paths": [[("await", "rebuild_journal", "ledger.accounts.lock().await")]], "leaf": ACQUIRE},
        "read_balance": {"state": "blocked", "holds": [], "waits_on": "ledger.accounts",
                         "paths": [[("await", "read_balance", "ledger.accounts.lock().await")]], "leaf": ACQUIRE},
        "heartbeat": {"state": "healthy", "what": "tokio::time::interval ticker (100 ms)",
                      "paths": [[("await", "heartbeat", "ticker.tick().await")]], "leaf": SLEEP},
        "await_config": {"state": "healthy", "what": "awaits the config oneshot, sent after 30 s",
                         "waits_on": "config", "paths": [[("await", "await_config", "rx.await")]], "leaf": ONESHOT},
        "load_config": {"state": "healthy", "what": "tokio::time::sleep(30 s), then sends the config",
                        "paths": [[("await", "load_config", "tokio::time::sleep(Duration::from_secs(30)).await")]],
                        "leaf": SLEEP},
        "watchdog": {"state": "dumping", "what": "awaits timeout(5 s, Handle::dump()): the dump's own task",
                     "paths": [[("await", "watchdog", "handle.dump()).await")]] * 2, "leaf": [ONESHOT, SLEEP]},
    },
}

DESIGN["semaphore-exhaustion"] = {
    "summary": "4 fetch_page tasks hold all 4 permits of a tokio::sync::Semaphore while awaiting replies that never come; 20 more fetch_page tasks wait in acquire()",
    "resources": [
        {"name": "limit", "kind": "tokio::sync::Semaphore (4 permits)",
         "held_by": ["permit_holder"], "waiters": ["permit_waiter"],
         "note": "each holder keeps one permit; the 20 waiters queue in Semaphore::acquire()"},
        {"name": "reply", "kind": "tokio::sync::oneshot (one per request)", "receiver": "permit_holder",
         "sender_held_by": "the backend list of main (never answered, never dropped)"},
    ],
    "deadlock": None,
    "roles": {
        "permit_holder": {"state": "blocked", "holds": ["limit"], "permits_held": 1, "waits_on": "reply",
                          "paths": [[("await", "fetch_page", "response.await")]], "leaf": ONESHOT},
        "permit_waiter": {"state": "blocked", "holds": [], "waits_on": "limit",
                          "paths": [[("await", "fetch_page", "limit.acquire().await")]], "leaf": ACQUIRE},
        "report_progress": {"state": "healthy", "what": "tokio::time::interval ticker (250 ms)",
                            "paths": [[("await", "report_progress", "ticker.tick().await")]], "leaf": SLEEP},
        "watchdog": {"state": "dumping", "what": "awaits timeout(5 s, Handle::dump()): the dump's own task",
                     "paths": [[("await", "watchdog", "handle.dump()).await")]] * 2, "leaf": [ONESHOT, SLEEP]},
    },
}

DESIGN["rwlock-writer"] = {
    "summary": "3 serve_snapshot tasks hold read guards of a tokio::sync::RwLock forever; apply_update waits in write(); 2 lookup_route readers queue behind the writer (tokio's RwLock is fair)",
    "resources": [
        {"name": "routes", "kind": "tokio::sync::RwLock<HashMap<String, String>>",
         "read_held_by": ["read_holder"], "waiters_in_order": ["writer", "queued_reader"],
         "note": "the queued readers would be compatible with the read holders but wait behind the queued writer"},
        {"name": "acks", "kind": "tokio::sync::mpsc (capacity 1, one per read holder)", "receiver": "read_holder",
         "sender_held_by": "main (never sends, never drops)"},
    ],
    "deadlock": None,
    "roles": {
        "read_holder": {"state": "blocked", "holds": ["routes"], "hold_mode": "read", "waits_on": "acks",
                        "paths": [[("await", "serve_snapshot", "acks.recv().await")]], "leaf": MPSC},
        "writer": {"state": "blocked", "holds": [], "waits_on": "routes", "wait_mode": "write",
                   "paths": [[("await", "apply_update", "routes.write().await")]], "leaf": ACQUIRE},
        "queued_reader": {"state": "blocked", "holds": [], "waits_on": "routes", "wait_mode": "read (queued behind the writer)",
                          "paths": [[("await", "lookup_route", "routes.read().await")]], "leaf": ACQUIRE},
        "refresh_metrics": {"state": "healthy", "what": "tokio::time::interval ticker (200 ms)",
                            "paths": [[("await", "refresh_metrics", "ticker.tick().await")]], "leaf": SLEEP},
        "watchdog": {"state": "dumping", "what": "awaits timeout(5 s, Handle::dump()): the dump's own task",
                     "paths": [[("await", "watchdog", "handle.dump()).await")]] * 2, "leaf": [ONESHOT, SLEEP]},
    },
}


def framed(fn, *rest):
    return [("framed", fn)] + list(rest)


DESIGN["mutex-deadlock-framed"] = {
    "summary": "the mutex-deadlock ledger with #[async_backtrace::framed] functions: post_transfer and rebuild_journal lock two tokio::sync::Mutex in opposite order through framed helpers; read_balance queues; compact_index is in the middle of a poll",
    "resources": DESIGN["mutex-deadlock"]["resources"][:3] + [
        {"name": "limits, flags", "kind": "tokio::sync::oneshot (two)", "receiver": "await_config",
         "sender_held_by": "load_config", "note": "sent 30 s after the start, after the dump"},
    ],
    "deadlock": {
        "cycle": [
            {"task": "post_transfer", "holds": "ledger.accounts", "waits_for": "ledger.journal",
             "acquired_in": "debit", "waits_in": "append_entry"},
            {"task": "rebuild_journal", "holds": "ledger.journal", "waits_for": "ledger.accounts",
             "acquired_in": "truncate_journal", "waits_in": "load_balances"},
        ],
        "blocked_behind_cycle": [{"task": "read_balance", "waits_for": "ledger.accounts"}],
    },
    "roles": {
        "post_transfer": {"state": "deadlocked", "holds": ["ledger.accounts"], "waits_on": "ledger.journal",
                          "paths": [framed("post_transfer", ("await", "post_transfer", "append_entry(&ledger"),
                                           ("framed", "append_entry"),
                                           ("await", "append_entry", "ledger.journal.lock().await"))],
                          "leaf": ACQUIRE, "tree": {"children": [("append_entry", 1)]}},
        "rebuild_journal": {"state": "deadlocked", "holds": ["ledger.journal"], "waits_on": "ledger.accounts",
                            "paths": [framed("rebuild_journal", ("await", "rebuild_journal", "load_balances(&ledger).await"),
                                             ("framed", "load_balances"),
                                             ("await", "load_balances", "ledger.accounts.lock().await"))],
                            "leaf": ACQUIRE, "tree": {"children": [("load_balances", 1)]}},
        "read_balance": {"state": "blocked", "holds": [], "waits_on": "ledger.accounts",
                         "paths": [framed("read_balance", ("await", "read_balance", "ledger.accounts.lock().await"))],
                         "leaf": ACQUIRE, "tree": {"children": []}},
        "heartbeat": {"state": "healthy", "what": "tokio::time::interval ticker (100 ms)",
                      "paths": [framed("heartbeat", ("await", "heartbeat", "ticker.tick().await"))], "leaf": SLEEP,
                      "tree": {"children": [], "may_be_polling": True}},
        "await_config": {"state": "healthy", "what": "tokio::join! of wait_for_setting(limits), wait_for_setting(flags), wait_for_reload()",
                         "waits_on": "limits, flags",
                         "paths": [framed("await_config", ("join", "await_config", "tokio::join!"), ("framed", "wait_for_setting"),
                                          ("await", "wait_for_setting", "rx.await"))] * 2
                                  + [framed("await_config", ("join", "await_config", "tokio::join!"), ("framed", "wait_for_reload"),
                                            ("await", "wait_for_reload", "tokio::time::sleep(Duration::from_secs(60)).await"))],
                         "leaf": [ONESHOT, ONESHOT, SLEEP],
                         "tree": {"children": [("wait_for_reload", 1), ("wait_for_setting", 2)], "may_be_polling": True}},
        "load_config": {"state": "healthy", "what": "tokio::time::sleep(30 s), then sends both settings",
                        "paths": [framed("load_config", ("await", "load_config", "tokio::time::sleep(Duration::from_secs(30)).await"))],
                        "leaf": SLEEP, "tree": {"children": [], "may_be_polling": True}},
        "compact_index": {"state": "running", "what": "inside scan_segment, blocking its worker thread for 300 ms per poll, then tokio::task::yield_now()",
                          "paths": [framed("compact_index", ("await", "compact_index", "tokio::task::yield_now().await"))],
                          "leaf": "tokio::task::yield_now::yield_now", "may_be_absent": True,
                          "tree": {"children": [], "polling_when_not_waiting": True}},
        "watchdog": {"state": "dumping", "what": "the task that prints the dump (async-backtrace: from inside its own poll)",
                     "paths": [framed("watchdog", ("await", "watchdog", "handle.dump()).await"))] * 2,
                     "leaf": [ONESHOT, SLEEP], "tree": {"children": []}},
    },
}


class Source:
    def __init__(self, path):
        self.lines = open(path, encoding="utf-8").read().split("\n")

    def fn_range(self, fn):
        for i, l in enumerate(self.lines):
            if re.match(rf"^(pub )?(async )?fn {re.escape(fn)}\b", l):
                for j in range(i + 1, len(self.lines)):
                    if self.lines[j] == "}":
                        return i, j
        raise SystemExit(f"fn {fn} not found")

    def locate(self, frame):
        kind, fn = frame[0], frame[1]
        start, end = self.fn_range(fn)
        if kind == "framed":
            assert self.lines[start - 1].strip() == "#[async_backtrace::framed]", fn
            return {"function": fn, "code": "#[async_backtrace::framed]", "line": start, "column": 1}
        code = frame[2]
        hits = [i for i in range(start, end) if code in self.lines[i]]
        assert len(hits) == 1, (fn, code, hits)
        i = hits[0]
        at = self.lines[i].index(code)
        if kind == "await":
            col = self.lines[i].index("await", at) + 1
        else:
            col = at + 1
        return {"function": fn, "code": self.lines[i].strip(), "line": i + 1, "column": col}


def read_roles(path):
    roles = collections.defaultdict(list)
    for line in open(path, encoding="utf-8"):
        if line.strip():
            role, tid, fn = line.rstrip("\n").split("\t")
            roles[role].append(int(tid))
    return dict(roles)


TREE_LINE = re.compile(r"^(?P<indent>[ \u00a0│]*?)(?:[├└]╼\u00a0|╼\u00a0)(?P<sym>.*?)(?: at (?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?)?$")


def parse_tokio(text):
    """-> list of {index, id, paths: [[(sym, file, line, col)...]]}"""
    tasks = []
    cur = None
    for raw in text.split("\n"):
        m = re.match(r"^task (\d+)(?: \(id (\d+)\))? trace:$", raw)
        if m:
            cur = {"index": int(m.group(1)), "id": int(m.group(2)) if m.group(2) else None, "nodes": []}
            tasks.append(cur)
            continue
        if not raw:
            continue
        t = TREE_LINE.match(raw)
        assert cur is not None and t, repr(raw)
        depth = raw.index("╼") // 3
        cur["nodes"].append((depth, (t.group("sym"), t.group("file"), int(t.group("line") or 0), int(t.group("col") or 0))))
    for task in tasks:
        paths, stack = [], []
        nodes = task.pop("nodes")
        for k, (depth, node) in enumerate(nodes):
            del stack[depth:]
            stack.append(node)
            if k + 1 == len(nodes) or nodes[k + 1][0] <= depth:
                paths.append(list(stack))
        task["paths"] = paths
    return tasks


def parse_tree(text):
    """async-backtrace's taskdump_tree -> list of roots {sym, line, polling, children: [(sym, copies, line)]}"""
    roots = []
    for raw in text.split("\n"):
        if not raw:
            continue
        m = re.match(r"^(?P<indent>[ │]*)(?P<mark>╼ |├╼ |└╼ |└┈ )(?:(?P<n>\d+)x )?(?P<rest>.*)$", raw)
        assert m, repr(raw)
        depth = (len(m.group("indent")) + 1) // 3
        if m.group("mark") == "└┈ ":
            assert m.group("rest") == "[POLLING]", raw
            roots[-1]["polling"] = True
            continue
        l = re.match(r"^(?P<sym>.*) at (?P<file>.+):(?P<line>\d+):(?P<col>\d+)$", m.group("rest"))
        assert l, raw
        entry = (l.group("sym"), int(m.group("n") or 1), l.group("file"), int(l.group("line")), int(l.group("col")))
        if m.group("mark") == "╼ ":
            assert depth == 0, raw
            roots.append({"sym": entry[0], "file": entry[2], "line": entry[3], "col": entry[4], "polling": False, "children": []})
        else:
            assert depth == 1, f"deeper trees are not expected here: {raw!r}"
            roots[-1]["children"].append(entry)
    return roots


def main():
    program, source_path, outdir, neutral_source = sys.argv[1:5]
    specs = sys.argv[5:]
    design = DESIGN[program]
    src = Source(source_path)
    crate = program.replace("-", "_")
    errors = []

    roles_out = {}
    for role, r in design["roles"].items():
        entry = {k: v for k, v in r.items() if k not in ("paths", "leaf", "tree")}
        fns = {p[0][1] for p in r["paths"]}
        entry["function"] = f"{crate}::{sorted(fns)[0]}"
        leaf = r["leaf"] if isinstance(r["leaf"], list) else [r["leaf"]] * len(r["paths"])
        entry["paths"] = []
        for path, lf in zip(r["paths"], leaf):
            frames = [src.locate(f) for f in path]
            for f in frames:
                f["function"] = f"{crate}::{f['function']}"
            entry["paths"].append({"frames": frames, "leaf": lf})
        if "tree" in r:
            entry["async_backtrace"] = {
                "root": {**src.locate(("framed", sorted(fns)[0])), "function": f"{crate}::{sorted(fns)[0]}::{{{{closure}}}}"},
                "children": [{**src.locate(("framed", c)), "function": f"{crate}::{c}::{{{{closure}}}}", "copies": n}
                             for c, n in r["tree"]["children"]],
            }
            for k in ("may_be_polling", "polling_when_not_waiting"):
                if r["tree"].get(k):
                    entry["async_backtrace"][k] = True
        roles_out[role] = entry

    dumps = []
    for spec in specs:
        parts = spec.split(":")
        fname, kind, roles_file = parts[:3]
        build = parts[3] if len(parts) > 3 else "dev"
        text = open(f"{outdir}/{fname}", encoding="utf-8").read()
        ids = read_roles(roles_file)
        d = {"file": fname, "kind": kind, "build": build, "task_ids": ids}
        if kind.startswith("tokio"):
            tasks = parse_tokio(text)
            d["tasks_in_dump"] = len(tasks)
            by_id = {t["id"]: t for t in tasks}
            role_of = {tid: role for role, tids in ids.items() for tid in tids}
            absent = []
            # which tasks to compare: by id, or (plain headers) by their paths
            pool = list(tasks)
            for role, tids in ids.items():
                r = design["roles"][role]
                want = [[(f["line"], f["column"]) for f in path["frames"]] for path in roles_out[role]["paths"]]
                want_leaf = r["leaf"] if isinstance(r["leaf"], list) else [r["leaf"]] * len(r["paths"])
                for tid in tids:
                    if kind == "tokio":
                        t = by_id.get(tid)
                    else:
                        t = next((t for t in pool if sorted(user_paths(t, neutral_source)) == sorted(want)), None)
                        if t:
                            pool.remove(t)
                    if t is None:
                        if r.get("may_be_absent"):
                            absent.append(tid)
                            continue
                        errors.append(f"{fname}: task {tid} ({role}) missing")
                        continue
                    got_leaf = sorted(p[-1][0] for p in t["paths"] if p)
                    if build != "dev":
                        # inlined into the root frame, a whole path can be gone
                        extra = collections.Counter(got_leaf) - collections.Counter(want_leaf)
                        if extra:
                            errors.append(f"{fname}: task {tid} ({role}) leaves {got_leaf} not in {sorted(want_leaf)}")
                    elif got_leaf != sorted(want_leaf):
                        errors.append(f"{fname}: task {tid} ({role}) leaves {got_leaf} != {sorted(want_leaf)}")
                    if build == "dev":
                        got = user_paths(t, neutral_source)
                        if sorted(got) != sorted(want):
                            errors.append(f"{fname}: task {tid} ({role}) frames {got} != {want}")
                        for p in t["paths"]:
                            for sym, file, _, _ in p:
                                if file == neutral_source and not sym.startswith(crate + "::"):
                                    errors.append(f"{fname}: {sym} in {file}")
            if kind == "tokio":
                extra = [t["id"] for t in tasks if t["id"] not in role_of]
                if extra:
                    errors.append(f"{fname}: tasks not of the program: {extra}")
            if absent:
                d["absent_task_ids"] = absent
                d["absent_because"] = "running or scheduled to run (it yields and is woken at once) when the dump was taken: tokio traces idle tasks only"
            if build != "dev":
                d["note"] = ("optimized build: the program's own poll functions are inlined into tokio's root frame, "
                             "which the trace does not print, so traces start at tokio's futures and a trace can be empty")
                d["empty_traces"] = sorted(t["id"] for t in tasks if not t["paths"])
        else:
            roots = parse_tree(text)
            d["tasks_in_dump"] = len(roots)
            seen = set()
            for role, entry in roles_out.items():
                ab = entry["async_backtrace"]
                match = [x for x in roots if x["sym"] == ab["root"]["function"] and x["line"] == ab["root"]["line"]]
                if len(match) != len(ids.get(role, [])):
                    errors.append(f"{fname}: {role}: {len(match)} roots")
                    continue
                for x in match:
                    seen.add(id(x))
                    kids = sorted((c[0], c[1], c[3]) for c in x["children"])
                    want = sorted((c["function"], c["copies"], c["line"]) for c in ab["children"])
                    if kind == "tree-nowait" and ab.get("polling_when_not_waiting"):
                        if not x["polling"] or kids:
                            errors.append(f"{fname}: {role} should be [POLLING]")
                        continue
                    if x["polling"] and ab.get("may_be_polling"):
                        continue
                    if x["polling"] or kids != want:
                        errors.append(f"{fname}: {role}: {kids} polling={x['polling']} != {want}")
            if len(seen) != len(roots):
                errors.append(f"{fname}: roots not of the program")
            d["polling"] = sorted(x["sym"] for x in roots if x["polling"])
        dumps.append(d)

    doc = {
        "program": program,
        "source": f"../programs/{program}/src/main.rs",
        "source_in_dumps": neutral_source,
        "runtime": "tokio multi_thread, 2 worker threads; the dumping task is spawned on it",
        "summary": design["summary"],
        "about": ("resources, deadlock and the roles' holds/waits_on name roles and resources of the design; "
                  "dumps[].task_ids gives the task ids of each role in that run. A frame's function is the async fn; "
                  "tokio prints its poll (<function>::{{closure}}) as <function>, dropping the last path segment of "
                  "every name. line:column are those a debug build prints for that frame."),
        "resources": design["resources"],
        "deadlock": design["deadlock"],
        "roles": roles_out,
        "dumps": dumps,
    }
    with open(f"{outdir}/expected.json", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(1)


def user_paths(task, source):
    return [[(l, c) for _, file, l, c in p if file == source] for p in task["paths"]]


if __name__ == "__main__":
    main()
