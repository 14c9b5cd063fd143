#!/usr/bin/env python3
"""Hostile and huge inputs: time and peak memory of `dumpscope analyze` on
each, against the bounds in docs/performance.md (every input under 10 s and
1.5 GiB peak RSS, time linear in the input size).

    python3 bench/hostile.py [--binary PATH] [--only NAME[,NAME...]]
                             [--timeout SECONDS] [--mem-limit GIB] [--list]

Every input is built from blocks cut out of the committed samples (real
dumps), repeated or padded; they are written to bench/out/hostile/ once and
reused. Each input is analysed twice: the text report to /dev/null, and
`--format json` to /dev/null. Wall time and peak RSS come from `wait4` on the
child. A run past --timeout seconds is killed; an address-space limit of
--mem-limit GiB (default 6) stops a runaway allocation (the run is then
reported as aborted). Results go to stdout and bench/out/hostile-results.md.

Without --binary the release build of this checkout is used (built when
missing: `cargo build --release`)."""
import argparse
import gzip
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out", "hostile")
SAMPLES = os.path.join(ROOT, "samples")

MB = 1000 * 1000
GIB = 1 << 30


def sample(path):
    with open(os.path.join(SAMPLES, path), "rb") as f:
        return f.read()


def blocks(text, start):
    """The blocks of `text` (split at blank lines) whose first line matches
    the regular expression `start`, each with its trailing blank line."""
    pat = re.compile(start)
    return [b.strip(b"\n") + b"\n\n" for b in text.split(b"\n\n") if pat.match(b.strip(b"\n"))]


def shortest(blist):
    return min(blist, key=len)


def go_block():
    """The shortest goroutine of a real dump (a header and a few frames)."""
    return shortest(blocks(sample("go/healthy-service/debug2.txt"), rb"goroutine \d+ \["))


def go_header():
    return go_block().split(b"\n", 1)[0] + b"\n"


def go_blocks():
    return blocks(sample("go/busy-pools/debug2.txt"), rb"goroutine \d+ \[")


def py_block():
    return shortest(blocks(sample("python/lock-deadlock/faulthandler.txt"), rb"Thread 0x"))


def pyspy_block():
    text = sample("python/lock-deadlock/py-spy.txt")
    # py-spy prints no blank line between threads: cut at each header.
    parts = re.split(rb"(?m)^(?=Thread \d+ )", text)
    return shortest([p for p in parts if p.startswith(b"Thread ")])


def java_block():
    return shortest(blocks(sample("java/healthy/jstack.txt"), rb'"[^"]+" #\d+ .*java.lang.Thread.State|"main" #1'))


def gdb_block():
    return shortest(blocks(sample("native/gdb/mutex-deadlock/bt.txt"), rb"Thread \d+ \("))


def write_repeated(path, block, size=None, count=None, head=b"", tail=b""):
    """`head`, `block` repeated `count` times (or up to `size` bytes), `tail`."""
    if count is None:
        count = max(1, size // len(block))
    with open(path, "wb") as f:
        f.write(head)
        batch = max(1, (1 << 22) // len(block))
        chunk = block * batch
        left = count
        while left >= batch:
            f.write(chunk)
            left -= batch
        f.write(block * left)
        f.write(tail)


def deep_stack(frames):
    """One goroutine whose stack repeats one real frame (function line and
    file line) `frames` times."""
    block = go_block()
    lines = block.rstrip(b"\n").split(b"\n")
    header, frame = lines[0] + b"\n", b"\n".join(lines[1:3]) + b"\n"
    return header, frame


def make_inputs():
    """Name -> (description, builder(path))."""
    g = go_block
    inputs = {}

    def add(name, desc, build):
        inputs[name] = (desc, build)

    for n, label in ((20_000, "20k"), (200_000, "200k")):
        add(f"go-repeat-{label}", f"one goroutine repeated {n:,} times",
            lambda p, n=n: write_repeated(p, g(), count=n))
    add("go-headers-2M", "one goroutine header line repeated 2,000,000 times",
        lambda p: write_repeated(p, go_header(), count=2_000_000))
    add("py-repeat-100k", "one faulthandler thread repeated 100,000 times",
        lambda p: write_repeated(p, py_block(), count=100_000))
    add("pyspy-repeat-100k", "one py-spy thread repeated 100,000 times",
        lambda p: write_repeated(p, pyspy_block(), count=100_000))
    add("java-repeat-100k", "one jstack thread repeated 100,000 times (one dump header)",
        lambda p: write_repeated(p, java_block(), count=100_000,
                                 head=sample("java/healthy/jstack.txt").split(b"\n\n")[0] + b"\n\n"))
    add("gdb-repeat-100k", "one gdb thread repeated 100,000 times",
        lambda p: write_repeated(p, gdb_block(), count=100_000))
    add("go-blank-150M", "one goroutine, then 150 MB of blank lines",
        lambda p: write_repeated(p, b"\n" * 4096, size=150 * MB, head=g()))

    def gz_blank(p, size):
        with gzip.open(p, "wb", compresslevel=9) as f:
            f.write(g())
            piece = b"\n" * (1 << 22)
            for _ in range(size // len(piece)):
                f.write(piece)
            f.write(b"\n" * (size % len(piece)))

    add("go-blank-1000M.gz", "gzip (1 MB) of one goroutine and 1,000 MB of blank lines",
        lambda p: gz_blank(p, 1000 * MB))
    add("go-blank-5G.gz", "gzip (5 MB) inflating past the --max-decompressed cap (1 GiB by default)",
        lambda p: gz_blank(p, 5 * GIB))

    def repeated_real(p, comp):
        text = sample("go/busy-pools/all.txt")
        raw = p + ".raw"
        write_repeated(raw, text, size=GIB)
        if comp == "gzip":
            subprocess.run(["gzip", "-1", "-f", "-k", raw], check=True)
            os.replace(raw + ".gz", p)
        else:
            subprocess.run(["zstd", "-q", "-3", "-f", "-T0", raw, "-o", p], check=True)
        os.remove(raw)

    add("go-real-1G.zst", "zstd of a real dump (busy-pools) repeated to 1 GiB",
        lambda p: repeated_real(p, "zstd"))
    add("go-real-1G.gz", "gzip of the same",
        lambda p: repeated_real(p, "gzip"))
    add("one-line-100M", "one 100 MB line without a newline",
        lambda p: write_repeated(p, b"x" * 4096, size=100 * MB))

    def logs_then_dump(p):
        log = b"2026-01-02T03:04:05.678Z INFO request served path=/api/v1/items status=200 took=3ms\n"
        write_repeated(p, log, size=100 * MB, tail=sample("go/busy-pools/all.txt"))

    add("logs-100M-then-go", "100 MB of log lines, then a Go dump", logs_then_dump)

    def deep(p, n):
        header, frame = deep_stack(n)
        write_repeated(p, frame, count=n, head=header, tail=b"\n")

    add("go-deep-1M", "one goroutine with 1,000,000 frames", lambda p: deep(p, 1_000_000))

    def distinct(p, n):
        # Distinct goroutine ids and long distinct function names: each
        # goroutine of a real dump with its id and first function renamed.
        src = go_blocks()
        with open(p, "wb") as f:
            for i in range(n):
                b = src[i % len(src)]
                head, rest = b.split(b"\n", 1)
                head = re.sub(rb"goroutine \d+", b"goroutine %d" % (i + 1), head)
                fn, rest2 = rest.split(b"(", 1)
                fn = fn + b"_" + (b"%d" % i) * 8
                f.write(head + b"\n" + fn + b"(" + rest2)

    add("go-distinct-1M", "1,000,000 distinct goroutines with long distinct function names",
        lambda p: distinct(p, 1_000_000))

    def created_by(p, n):
        lines = [l for l in sample("go/healthy-service/debug2.txt").split(b"\n\n")
                 if b"\ncreated by " in l][0].split(b"\n")
        i = next(k for k, l in enumerate(lines) if l.startswith(b"created by "))
        header, pair = lines[0] + b"\n", lines[i] + b"\n" + lines[i + 1] + b"\n"
        write_repeated(p, pair, count=n, head=header, tail=b"\n")

    add("go-created-by-1M", "one goroutine followed by 1,000,000 `created by` lines",
        lambda p: created_by(p, 1_000_000))

    def ancestors(p, n):
        # 50,000 goroutines each with a chain of 20 ancestors, written from
        # a real goroutine's frames.
        header, frame = deep_stack(1)
        src = go_blocks()
        with open(p, "wb") as f:
            for i in range(n):
                b = src[i % len(src)].rstrip(b"\n")
                head, rest = b.split(b"\n", 1)
                head = re.sub(rb"goroutine \d+", b"goroutine %d" % (i + 1), head)
                chain = b"".join(b"[originating from goroutine %d]:\n" % (i + 1000000 + k) + frame
                                 for k in range(20))
                f.write(head + b"\n" + rest + b"\n" + chain + b"\n")

    add("go-ancestors-50k", "50,000 goroutines each with 20 `[originating from goroutine]` blocks",
        lambda p: ancestors(p, 50_000))

    def distinct_dumps(p, dumps, per):
        # `dumps` dumps of `per` goroutines, every stack distinct (ids
        # repeat from one dump to the next, so each starts a new dump).
        src = go_blocks()
        with open(p, "wb") as f:
            for d in range(dumps):
                for i in range(per):
                    b = src[i % len(src)]
                    head, rest = b.split(b"\n", 1)
                    head = re.sub(rb"goroutine \d+", b"goroutine %d" % (i + 1), head)
                    fn, rest2 = rest.split(b"(", 1)
                    f.write(head + b"\n" + fn + b"_%d_%d(" % (d, i) + rest2)

    add("go-distinct-dumps-1000", "1,000 dumps of 1,000 goroutines, every stack distinct",
        lambda p: distinct_dumps(p, 1000, 1000))

    def many_dumps(p):
        # 500 copies of a whole real dump: 500 genuinely separate dumps.
        write_repeated(p, sample("go/busy-pools/all.txt"), count=500)

    add("go-dumps-500", "a real dump (busy-pools, 27 goroutines) repeated 500 times", many_dumps)
    add("go-dumps-5000", "the same repeated 5,000 times",
        lambda p: write_repeated(p, sample("go/busy-pools/all.txt"), count=5000))
    return inputs


def run_once(argv, timeout, mem_limit):
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (mem_limit, mem_limit))

    errfile = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=errfile, preexec_fn=limit)
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - t0 > timeout:
            p.kill()
            _, status, ru = os.wait4(p.pid, 0)
            return {"wall": None, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss * 1024,
                    "status": "killed", "err": ""}
        time.sleep(0.005)
    wall = time.perf_counter() - t0
    errfile.seek(0)
    err = errfile.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    state = "ok" if code in (0, 1) else f"exit {code}"
    if code < 0 or "memory allocation" in err:
        state = "aborted"
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss * 1024,
            "status": state, "err": err}


def fmt_run(r, timeout):
    """Wall time (with the CPU time of all threads), and peak RSS."""
    if r["wall"] is None:
        return f"> {timeout:.0f} s (killed)", f"{r['rss'] / (1 << 20):.0f} MiB"
    t = f"{r['wall']:.2f} s ({r['cpu']:.2f} s CPU)" + ("" if r["status"] == "ok" else f", {r['status']}")
    return t, f"{r['rss'] / (1 << 20):.0f} MiB"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary")
    ap.add_argument("--only")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--mem-limit", type=float, default=6, help="GiB of address space per run")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "out", "hostile-results.md"))
    args = ap.parse_args()
    inputs = make_inputs()
    if args.list:
        for name, (desc, _) in inputs.items():
            print(f"{name}: {desc}")
        return
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        binary = os.path.join(target, "release", "dumpscope")
    os.makedirs(OUT, exist_ok=True)
    names = list(inputs) if not args.only else args.only.split(",")
    rows = []
    for name in names:
        desc, build = inputs[name]
        path = os.path.join(OUT, name)
        if not os.path.exists(path):
            build(path + ".tmp")
            os.replace(path + ".tmp", path)
        size = os.path.getsize(path)
        res = []
        for extra in ([], ["--format", "json"]):
            r = run_once([binary, "analyze", path] + extra, args.timeout, int(args.mem_limit * GIB))
            res.append(r)
            t, m = fmt_run(r, args.timeout)
            note = r["err"].strip().splitlines()[-1][:160] if r["status"] != "ok" and r["err"].strip() else ""
            print(f"{name:22} {'json' if extra else 'text'} {size / MB:9.1f} MB  {t:>30}  {m:>9}  {note}", flush=True)
        rows.append((name, desc, size, res))
    with open(args.out, "w") as f:
        f.write("| input | what | size | text: time | text: peak RSS | json: time | json: peak RSS |\n")
        f.write("| --- | --- | --- | --- | --- | --- | --- |\n")
        for name, desc, size, res in rows:
            cells = [c for r in res for c in fmt_run(r, args.timeout)]
            f.write(f"| {name} | {desc} | {size / MB:.1f} MB | " + " | ".join(cells) + " |\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
