#!/usr/bin/env python3
"""Turns a sample program's side file (truth.jsonl, written by the program
itself, see programs/common/truth.h) into expected.json, and prints the
ground-truth table for the README.

  expected.py json TRUTH PROGRAM SOURCE OUT DUMP...   write expected.json
  expected.py table EXPECTED                          print a Markdown table

Nothing here reads a dump: every fact comes from what the program reported
about itself (its threads' LWPs and names, the addresses of the locks each
thread holds or is about to wait on, the mutex owners glibc recorded, and
the system call each thread was found blocked in).
"""
import json
import sys

SYSCALLS = {0: "read", 202: "futex", 230: "clock_nanosleep"}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def build(events, program, source, dumps):
    threads = {}
    order = []
    for e in events:
        if e["event"] == "thread":
            threads[e["lwp"]] = {
                "lwp": e["lwp"],
                "name": e["name"],
                "pthread": e["pthread"],
                "main": False,
                "holds": [],
                "waits": None,
                "blocked_in": None,
            }
            order.append(e["lwp"])
    pid = order[0]  # main reports first, before it starts any thread
    threads[pid]["main"] = True
    order.sort()
    name = lambda lwp: threads[lwp]["name"]

    owners = {}
    for e in events:
        t = threads.get(e["lwp"])
        if e["event"] == "holds":
            h = {k: e[k] for k in ("kind", "object", "address", "mode") if k in e}
            t["holds"].append(h)
        elif e["event"] == "waits":
            w = {k: v for k, v in e.items() if k not in ("lwp", "event")}
            if w["kind"] == "join":
                w["target_lwp"] = w.pop("target")
                w["target_name"] = name(w["target_lwp"])
            t["waits"] = w
        elif e["event"] == "blocked":
            threads[e["thread"]]["blocked_in"] = {
                "syscall": SYSCALLS.get(e["syscall"], str(e["syscall"])),
                "nr": e["syscall"],
                "arg1": e["arg1"],
            }
        elif e["event"] == "owner":
            owners[e["address"]] = e["owner"]

    # Locks: who holds them (as the threads reported, checked against the
    # owner glibc recorded in the mutex) and who waits for them.
    locks = {}
    for lwp in order:
        t = threads[lwp]
        for h in t["holds"]:
            lk = locks.setdefault(h["address"], {"kind": h["kind"], "object": h["object"],
                                                 "address": h["address"], "holders": [],
                                                 "waiters": []})
            lk["holders"].append({"lwp": lwp, "name": t["name"], "mode": h.get("mode", "exclusive")})
        w = t["waits"]
        if w and w["kind"] in ("mutex", "rwlock", "cond"):
            lk = locks.setdefault(w["address"], {"kind": w["kind"], "object": w["object"],
                                                 "address": w["address"], "holders": [],
                                                 "waiters": []})
            lk["waiters"].append({"lwp": lwp, "name": t["name"], "mode": w.get("mode", "exclusive")})
    mutexes, rwlocks, conds = [], [], []
    for lk in locks.values():
        if lk["kind"] == "mutex":
            assert len(lk["holders"]) == 1, lk
            owner = lk["holders"][0]["lwp"]
            assert owners.get(lk["address"]) == owner, (lk, owners)
            mutexes.append({"object": lk["object"], "address": lk["address"],
                            "owner_lwp": owner, "owner_name": name(owner),
                            "glibc_owner_field": owners[lk["address"]],
                            "waiters": [{"lwp": x["lwp"], "name": x["name"]} for x in lk["waiters"]]})
        elif lk["kind"] == "rwlock":
            rwlocks.append({"object": lk["object"], "address": lk["address"],
                            "read_holders": [{"lwp": x["lwp"], "name": x["name"]}
                                             for x in lk["holders"] if x["mode"] == "read"],
                            "write_holder": next(({"lwp": x["lwp"], "name": x["name"]}
                                                  for x in lk["holders"] if x["mode"] == "write"), None),
                            "waiters": lk["waiters"]})
        else:
            conds.append({"object": lk["object"], "address": lk["address"],
                          "waiters": [{"lwp": x["lwp"], "name": x["name"]} for x in lk["waiters"]]})
    for t in threads.values():
        w = t["waits"]
        if w and w["kind"] == "cond":
            cond = next(c for c in conds if c["address"] == w["address"])
            cond["mutex"] = w["mutex"]

    # waits-for edges: waiter -> the thread(s) that must act first.
    edges = []
    for lwp in order:
        w = threads[lwp]["waits"]
        if not w:
            continue
        if w["kind"] in ("mutex", "rwlock"):
            lk = locks[w["address"]]
            for hold in lk["holders"]:
                edges.append((lwp, hold["lwp"], w["kind"], w["object"]))
            if w["kind"] == "mutex":
                threads[lwp]["waits"]["owner_lwp"] = lk["holders"][0]["lwp"]
                threads[lwp]["waits"]["owner_name"] = lk["holders"][0]["name"]
            else:
                threads[lwp]["waits"]["held_by"] = [{"lwp": h["lwp"], "name": h["name"],
                                                     "mode": h["mode"]} for h in lk["holders"]]
        elif w["kind"] == "join":
            edges.append((lwp, w["target_lwp"], "join", w["object"]))

    # Simple cycles of the waits-for graph, each started at its lowest LWP.
    out = {}
    for a, b, _, _ in edges:
        out.setdefault(a, []).append(b)
    cycles = []

    def walk(start, node, path):
        for nxt in out.get(node, []):
            if nxt == start:
                cycles.append([name(x) for x in path])
            elif nxt > start and nxt not in path:
                walk(start, nxt, path + [nxt])

    for start in sorted(out):
        walk(start, start, [start])

    return {
        "program": program,
        "source": source,
        "pid": pid,
        "dumps": dumps,
        "threads": [threads[lwp] for lwp in order],
        "mutexes": mutexes,
        "rwlocks": rwlocks,
        "conds": conds,
        "waits_for": [{"waiter_lwp": a, "waiter": name(a), "waits_for_lwp": b,
                       "waits_for": name(b), "kind": k, "object": o} for a, b, k, o in edges],
        "deadlock_cycles": cycles,
    }


def table(doc):
    print("| LWP | thread | holds | waits on | blocked in (checked by the program) |")
    print("| --- | --- | --- | --- | --- |")
    for t in doc["threads"]:
        holds = ", ".join(
            f"{h['kind']}{' (' + h['mode'] + ')' if 'mode' in h else ''} `{h['object']}` `{h['address']}`"
            for h in t["holds"]) or ""
        w = t["waits"]
        if not w:
            waits = ""
        elif w["kind"] == "mutex":
            waits = f"mutex `{w['object']}` `{w['address']}` (owner LWP {w['owner_lwp']} `{w['owner_name']}`)"
        elif w["kind"] == "rwlock":
            by = ", ".join(f"LWP {h['lwp']} `{h['name']}` ({h['mode']})" for h in w["held_by"])
            waits = f"rwlock ({w['mode']}) `{w['object']}` `{w['address']}` (held by {by})"
        elif w["kind"] == "cond":
            waits = f"cond `{w['object']}` `{w['address']}` (mutex `{w['mutex']}`)"
        elif w["kind"] == "join":
            waits = f"join: LWP {w['target_lwp']} `{w['target_name']}` (pthread_t `{w['pthread']}`)"
        elif w["kind"] == "read":
            waits = f"read() on fd {w['fd']} ({w['object']})"
        else:
            waits = f"{w['kind']} ({w.get('object', '')})"
        b = t["blocked_in"]
        blocked = f"`{b['syscall']}` ({b['nr']}), first argument `{b['arg1']}`" if b else "(main: joins after `ready`)"
        name = f"`{t['name']}`" + (" (main)" if t["main"] else "")
        print(f"| {t['lwp']} | {name} | {holds} | {waits} | {blocked} |")
    cycles = "; ".join(" → ".join(c + [c[0]]) for c in doc["deadlock_cycles"]) or "none"
    print()
    print(f"Deadlock cycles: {cycles}.")


def main():
    if sys.argv[1] == "json":
        _, _, truth, program, source, out, *dumps = sys.argv
        doc = build(load(truth), program, source, dumps)
        with open(out, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    elif sys.argv[1] == "table":
        with open(sys.argv[2]) as f:
            table(json.load(f))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
