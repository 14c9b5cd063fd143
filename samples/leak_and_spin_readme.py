#!/usr/bin/env python3
"""Writes go/leak-and-spin/README.md from the files generate.sh just wrote
there: when each snapshot was taken (times.txt) and what each dump holds,
read from the dumps themselves (goroutine counts, the spinning poller, the
goroutine stuck on the registry lock, in-use heap of each heap profile).

Usage: leak_and_spin_readme.py DIR SHIFT (the number of lines inserted for
after-deploy.txt). Standard library only."""
import gzip
import os
import re
import sys

from neutral_proto import varint

HEADER = re.compile(r"^goroutine (\d+) \[([^\]]*)\]:$")


def goroutines(path):
    """(id, state, text) of every goroutine of a debug=2 dump."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    out = []
    for block in text.split("\n\n"):
        block = block.strip("\n")
        m = HEADER.match(block.split("\n", 1)[0])
        if m:
            out.append((int(m.group(1)), m.group(2), block))
    return out


def one(gs, function):
    """`id [state]` of the goroutines whose stack holds function."""
    hits = ["%d [%s]" % (i, s) for i, s, b in gs if "\n" + function + "(" in b]
    return ", ".join(hits) or "none"


def fields(buf):
    """(field, wire type, value) of a protobuf message; value is bytes for
    length-delimited fields, an int otherwise."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = varint(buf, i)
        elif wire == 2:
            n, i = varint(buf, i)
            v, i = bytes(buf[i:i + n]), i + n
        elif wire == 1:
            v, i = int.from_bytes(buf[i:i + 8], "little"), i + 8
        elif wire == 5:
            v, i = int.from_bytes(buf[i:i + 4], "little"), i + 4
        else:
            raise ValueError("wire type %d" % wire)
        yield field, wire, v


def packed(wire, v):
    if wire == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def inuse_space(path):
    """Sum of the inuse_space values of a gzipped heap profile.proto."""
    with open(path, "rb") as f:
        prof = gzip.decompress(f.read())
    types, samples, strings = [], [], []
    for field, wire, v in fields(prof):
        if field == 1:
            types.append({k: x for k, _, x in fields(v)}.get(1, 0))
        elif field == 2:
            values = []
            for k, w, x in fields(v):
                if k == 2:
                    values += packed(w, x)
            samples.append(values)
        elif field == 6:
            strings.append(v.decode("utf-8", "replace"))
    i = [strings[t] for t in types].index("inuse_space")
    return sum(s[i] for s in samples)


def mib(n):
    return "%.1f MiB" % (n / 2**20)


def main(d, shift):
    src = os.path.join(d, "..", "..", "programs", "leak-and-spin", "main.go")
    with open(src, encoding="utf-8") as f:
        package_line = f.read().split("\n").index("package main") + 1
    times = {}
    with open(os.path.join(d, "times.txt"), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "snapshot":
                times["goroutine-%s.txt" % parts[1]] = parts[2]
            elif len(parts) == 2 and not line.startswith("#"):
                times[parts[0] + ".txt"] = parts[1]

    rows = []
    for name in ["goroutine-1.txt", "goroutine-2.txt", "goroutine-3.txt", "before-deploy.txt", "after-deploy.txt"]:
        gs = goroutines(os.path.join(d, name))
        leaked = sum(1 for _, s, b in gs if s.startswith("chan send") and "\nmain.(*Fetcher).fetch(" in b)
        heap = ""
        k = name[len("goroutine-"):-len(".txt")]
        if name.startswith("goroutine-"):
            heap = mib(inuse_space(os.path.join(d, "heap-%s.pb.gz" % k)))
        rows.append("| `%s` | %s s | %d | %d | %s | %s | %s | %s |" % (
            name, times.get(name, "?"), len(gs), leaked,
            one(gs, "main.(*Poller).run"), one(gs, "main.healthCheck"),
            one(gs, "main.(*Registry).resync"), heap or "-"))

    shown = {}
    for ref in ("heap-2.top.txt", "heap-base.top.txt"):
        with open(os.path.join(d, "reference", ref), encoding="utf-8") as f:
            m = re.search(r"Showing nodes accounting for (\S+), \S+ of (\S+) total", f.read())
        shown[ref] = m.group(2) if m else "?"

    readme = f"""# leak-and-spin

Written by `programs/leak-and-spin` (`ONLY=leak-and-spin bash
samples/generate.sh`, about 3.5 minutes): a quote service that gets worse the
longer it runs, for comparing snapshots (`dumpscope diff OLD NEW`). One request
every 300 ms, none in the second before a snapshot. By construction:

- each request leaves one goroutine blocked forever in
  `main.(*Fetcher).fetch` on `chan send` (created by
  `main.(*Fetcher).fetchAll`): 230, 430 and 630 of them in the three
  snapshots (requests issued up to 69, 129 and 189 s);
- `main.(*Poller).run` spins in `for {{ select {{ case <-ch: ...; default: }} }}`
  (`GOMAXPROCS=4`): `runnable` or `running`, same goroutine in every snapshot;
- `main.(*Registry).resync` holds the registry lock and waits on a channel
  receive forever; `main.healthCheck` waits on that `sync.Mutex.Lock` from
  the start: both show `, N minutes` growing by one per snapshot;
- the response cache never evicts (64 KiB per request) and each leaked fetch
  holds its 8 KiB body, so the in-use heap grows; an 8 MiB session table and
  a 256 KiB per-request render page (garbage at once) do not;
- four idle pool workers (`main.(*Pool).worker`, `chan receive`) stay the same.

Times are seconds after the process started (`times.txt`, written by the
program). Goroutine ids differ between processes: goroutine-1/2/3 come from
one process, before-deploy and after-deploy from two more.

| dump | taken at | goroutines | leaked fetches | spinning poller | stuck on the lock | lock holder | in-use heap (heap-N.pb.gz, sum of inuse_space) |
| --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

| file | what it is |
| --- | --- |
| `goroutine-1.txt`, `goroutine-2.txt`, `goroutine-3.txt` | goroutine profile at debug=2 (`pprof.Lookup("goroutine").WriteTo(f, 2)`), one process, three moments |
| `goroutine-2-debug1.txt` | debug=1 of the moment of `goroutine-2.txt` (written right after it) |
| `goroutine-2.pb.gz` | debug=0 (gzipped profile.proto) of the same moment |
| `heap-1.pb.gz`, `heap-2.pb.gz`, `heap-3.pb.gz` | heap profiles (`WriteTo(f, 0)` after `runtime.GC()`), right after the goroutine profiles of the same snapshot; sampled at Go's default rate |
| `reference/heap-base.top.txt` | `go tool pprof -top -sample_index=inuse_space -base heap-1.pb.gz heap-2.pb.gz`: what grew between snapshots 1 and 2 ({shown['heap-base.top.txt']} total; pprof's kB is 1024 bytes) |
| `reference/heap-2.top.txt` | `go tool pprof -top -sample_index=inuse_space heap-2.pb.gz` ({shown['heap-2.top.txt']} total) |
| `before-deploy.txt` | debug=2 at 70 s, the same build as above, a separate process |
| `after-deploy.txt` | debug=2 at 70 s, built from a copy of `main.go` with {shift} lines (a comment) inserted below `package main` (line {package_line}): every later line of `main.go` is {shift} higher, at the same file path |
| `times.txt` | when each snapshot was taken |

Paths are neutral (`/home/build/shop`, `/usr/local/go`, `/tmp/build`), in
the `.pb.gz` string tables too (`neutral_proto.py`). This README is written
by `leak_and_spin_readme.py` from the files themselves.
"""
    with open(os.path.join(d, "README.md"), "w", encoding="utf-8") as f:
        f.write(readme)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
