#!/usr/bin/env python3
"""Writes samples/manifest.json: every dump file with its program, form and
Go version, plus facts the program guarantees by construction (used as test
expectations)."""
import json
import os
import re
import sys

root = sys.argv[1]
goversion = sys.argv[2] if len(sys.argv) > 2 else "unknown"

# What each program guarantees, by construction (see its source).
FACTS = {
    "chan-range-never-closed": {"pattern": "consumers range over a channel nobody closes",
                                "blocked": {"function": "main.(*Pipeline).consume", "state": "chan receive", "count": 8}},
    "stranded-senders": {"pattern": "senders stranded after the receiver returned on the first answer",
                         "blocked": {"function": "main.queryBackend", "state": "chan send", "count": 15}},
    "nil-channel": {"pattern": "send and receive on a nil channel",
                    "blocked": {"function": "main.(*Notifier).publish", "state": "chan send (nil chan)", "count": 4}},
    "select-forever": {"pattern": "select {} keeps goroutines alive forever",
                       "blocked": {"function": "main.(*Reporter).run", "state": "select (no cases)", "count": 3}},
    "waitgroup-mismatch": {"pattern": "WaitGroup.Add one more than Done",
                           "blocked": {"function": "main.runBatch", "state": "sync.WaitGroup.Wait", "count": 3}},
    "ctx-never-cancelled": {"pattern": "watchers on a context whose cancel is never called",
                            "blocked": {"function": "main.watchInventory", "state": "select", "count": 12}},
    "lock-order-deadlock": {"pattern": "AB-BA lock order between two transfers",
                            "blocked": {"function": "main.(*Account).transfer", "state": "sync.Mutex.Lock", "count": 2}},
    "recursive-rlock": {"pattern": "recursive RLock with a writer queued in between",
                        "blocked": {"function": "main.(*Cache).Put", "state": "sync.RWMutex.Lock", "count": 1}},
    "http-body-not-closed": {"pattern": "response bodies never closed, a Transport per request",
                             "blocked": {"function": "net/http.(*persistConn).writeLoop", "state": "select", "count": 6}},
    "goroutine-explosion": {"pattern": "one goroutine per event piling up at one site",
                            "blocked": {"function": "main.(*Dispatcher).deliver", "state": "chan send", "count": 2000}},
    "cond-never-signalled": {"pattern": "sync.Cond waiters never signalled",
                             "blocked": {"function": "main.(*Queue).Take", "state": "sync.Cond.Wait", "count": 3}},
    "writeloop-orphaned": {"pattern": "writeLoops left on their sync.Cond after their readLoop dropped the client",
                           "blocked": {"function": "main.(*client).writeLoop", "state": "sync.Cond.Wait", "count": 40}},
    "healthy-service": {"pattern": "a healthy service at rest", "healthy": True},
    "busy-http2": {"pattern": "a healthy HTTP/2 service under load: streaming requests and responses in flight",
                   "healthy": True},
    "busy-rpc-sql": {"pattern": "a healthy backend under load: slow net/rpc calls in flight, database/sql callers queued for a connection",
                     "healthy": True},
    "busy-nats": {"pattern": "a healthy NATS-like server under load: per-connection readLoops in IO wait, writeLoops on a sync.Cond",
                  "healthy": True},
    "busy-pools": {"pattern": "a healthy node under load: scheduler workers on a sync.Cond, flows on live contexts, a fed worker pool, tickers",
                   "healthy": True},
    "lock-convoy": {"pattern": "requests queued on a mutex held across a call to a backend that never answers",
                    "blocked": {"function": "main.(*Cache).Get", "state": "sync.Mutex.Lock", "count": 40}},
    "self-lock": {"pattern": "a method re-locks the mutex its caller holds",
                  "blocked": {"function": "main.(*Store).Count", "state": "sync.Mutex.Lock", "count": 3}},
    "lock-wait-cycle": {"pattern": "a goroutine waits for its workers while holding the lock they need",
                        "blocked": {"function": "main.(*Stats).add", "state": "sync.Mutex.Lock", "count": 3}},
    "exec-wait-stuck": {"pattern": "jobs wait for a hung child process without a timeout",
                        "blocked": {"function": "main.convert", "state": "syscall", "count": 3}},
    "read-no-deadline": {"pattern": "clients read from a backend that never answers, without a deadline",
                         "blocked": {"function": "main.fetchPrice", "state": "IO wait", "count": 5}},
    "race": {"pattern": "a data race reported by the race detector, then a panic"},
    "fanout-timeout": {"pattern": "400 senders stranded on unbuffered result channels after the caller timed out",
                       "blocked": {"function": "main.queryBackend", "state": "chan send", "count": 400}},
    "waitgroup-strands": {"pattern": "a WaitGroup one Add too many strands the closer and the 20 handlers behind it",
                          "blocked": {"function": "main.awaitBatch", "state": "chan receive", "count": 20}},
    "watchdog-rlock": {"pattern": "a watchdog panics on two recursive RLocks with a writer queued",
                       "blocked": {"function": "main.(*Cache).Put", "state": "sync.RWMutex.Lock", "count": 1}},
    "retry-pileup": {"pattern": "payment retries pile up while the backend is down, without a limit "
                                "(three snapshots a second apart)"},
    "leak-and-spin": {"pattern": "a service getting worse: leaked fetches pile up, a poller spins, "
                                 "a lock stays held, a cache grows (snapshots to compare)"},
}
# go/leak-and-spin/ also holds heap and goroutine profiles (.pb.gz), pprof's
# reference output (reference/), times.txt and a README: only its goroutine
# dumps are listed.
NOT_DUMPS = {"leak-and-spin": ("README.md", "times.txt")}
CRASHES = {
    "nil-map": "panic: assignment to entry in nil map",
    "concurrent-map-writes": "fatal error: concurrent map writes",
    "nil-pointer": "panic: runtime error: invalid memory address or nil pointer dereference",
    "send-closed": "panic: send on closed channel",
    "out-of-range": "panic: runtime error: index out of range [5] with length 2",
    "all-asleep": "fatal error: all goroutines are asleep - deadlock!",
    "nested-panic": "panic: first failure",
    "repanic": "panic: original failure",
    "multiline": "panic: invalid configuration:",
    "deep-recursion": "panic: runtime error: invalid memory address or nil pointer dereference",
    "spin": "panic: giving up while a goroutine spins",
    "stack-overflow": "fatal error: stack overflow",
    "unlock-unlocked": "fatal error: sync: unlock of unlocked mutex",
}

entries = []
for base, kind in (("go", "go"), ("messy", "messy")):
    top = os.path.join(root, base)
    for dirpath, _, files in sorted(os.walk(top)):
        # go/<program>/pprof/ holds profiles and pprof's reference output
        # (see README.md), not dumps: they stay out of the manifest.
        if "pprof" in os.path.relpath(dirpath, top).split(os.sep):
            continue
        rel = os.path.relpath(dirpath, top)
        if kind == "go" and rel.split(os.sep)[0] in NOT_DUMPS:
            if rel not in NOT_DUMPS:
                continue  # leak-and-spin/reference/
            files = [f for f in files if f not in NOT_DUMPS[rel] and not f.endswith(".pb.gz")]
        for f in sorted(files):
            path = os.path.relpath(os.path.join(dirpath, f), root)
            e = {"path": path}
            if kind == "go":
                program = os.path.basename(dirpath)
                form = os.path.splitext(f)[0]
                e["program"] = program
                e["form"] = form
                e["go_version"] = "go1.19" if form.startswith("go119") else goversion
                if program.startswith("crash-"):
                    e["pattern"] = "crash: " + program[6:]
                    e["expect"] = {"crash": CRASHES[program[6:]]}
                else:
                    facts = FACTS.get(program, {})
                    e["pattern"] = facts.get("pattern", "")
                    if "blocked" in facts and form not in ("debug1", "leak-debug1"):
                        e["expect"] = {"blocked": facts["blocked"]}
                    if facts.get("healthy"):
                        e["expect"] = {"healthy": True}
                e["format"] = "go-pprof-debug1" if form in ("debug1", "leak-debug1") or form.endswith("-debug1") else "go-traceback"
            else:
                e["program"] = "messy"
                e["form"] = "messy-" + re.sub(r"\..*$", "", f)
                e["format"] = "go-traceback"
            entries.append(e)

with open(os.path.join(root, "manifest.json"), "w") as f:
    json.dump({"generated_by": "samples/generate.sh", "go_version": goversion, "files": entries}, f, indent=1)
    f.write("\n")
print(len(entries), "files in manifest.json")
