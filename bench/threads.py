#!/usr/bin/env python3
"""Benchmark: `dumpscope analyze --json` on a real `jstack -l` dump of a JVM
with 10,000 platform threads, against `dumpscope analyze --no-diagnose`
(grouping only) on the same file, interleaved rounds. Reports median wall
time, MB/s, threads/s, median peak RSS and what the diagnosis adds, for two
inputs: one dump, and the same process dumped twice (two jstack calls a
second apart, concatenated: two snapshots of one process).

    python3 bench/threads.py [--threads N] [--rounds 5] [--dumpscope PATH]
                             [--input PATH] [--regenerate]

The dumps are written by bench/jgen/ThreadsGen.java (compiled into
bench/out/jgen/ with javac) and kept in bench/out/ (not committed): they are
reused unless --regenerate is given. Needs a JDK 17+ (javac, java, jstack;
Debian's openjdk-17-jdk-headless is installed when missing), GNU time for
the peak RSS (Debian's time, installed when missing) and a release build of
dumpscope (target/release/dumpscope unless --dumpscope says otherwise).
Results go to stdout and bench/out/threads-results.md."""
import argparse
import json
import os
import platform
import re
import selectors
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter

sys.dont_write_bytecode = True  # no bench/__pycache__ from importing run.py
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import OUT, ROOT  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
THREAD_LINE = re.compile(rb'^"[^\n]*" .*\btid=0x')
TIME = "/usr/bin/time"


def run_once(argv):
    """Wall seconds and peak RSS (KiB) of one run of argv. The peak comes
    from GNU time: the rusage of a child that Python starts itself (os.wait4)
    is never below this script's own peak RSS (Linux carries the parent's
    high-water mark across vfork and exec), which is of the order of what is
    measured here."""
    rss_path = os.path.join(OUT, "threads-rss.txt")
    t0 = time.perf_counter()
    p = subprocess.run([TIME, "-f", "%M", "-o", rss_path] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace")[-2000:]
        raise SystemExit(f"{argv[0]} exited {p.returncode}: {err}")
    with open(rss_path) as f:
        return wall, int(f.read().split()[-1])


def ensure_time():
    if not os.access(TIME, os.X_OK):
        subprocess.run(["apt-get", "install", "-y", "-qq", "time"], check=True, stdout=subprocess.DEVNULL)


def ensure_jdk():
    if not all(shutil.which(t) for t in ("javac", "java", "jstack")):
        subprocess.run(["apt-get", "install", "-y", "-qq", "openjdk-17-jdk-headless"],
                       check=True, stdout=subprocess.DEVNULL)


def jdk_version():
    out = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr
    return out.splitlines()[0] if out else "unknown"


def jstack(pid):
    """One `jstack -l` of pid: the dump and the seconds it took."""
    t0 = time.perf_counter()
    p = subprocess.run(["jstack", "-l", str(pid)], capture_output=True)
    took = time.perf_counter() - t0
    if p.returncode != 0 or b"Full thread dump" not in p.stdout:
        err = (p.stderr or p.stdout)[-2000:].decode(errors="replace")
        raise SystemExit(f"jstack -l {pid} failed ({p.returncode}): {err}")
    # No machine path is expected in a thread dump; rewrite the checkout's if one appears.
    return p.stdout.replace(HERE.encode(), b"/home/build/bench"), took


def make_dumps(n, regenerate):
    """The paths of the single and the double dump of an n-thread ThreadsGen
    (written when missing or when regenerate), and what writing them took
    (None when they were reused)."""
    once = os.path.join(OUT, f"threads-{n}.txt")
    twice = os.path.join(OUT, f"threads-{n}-twice.txt")
    if os.path.exists(once) and os.path.exists(twice) and not regenerate:
        return once, twice, None
    ensure_jdk()
    classes = os.path.join(OUT, "jgen")
    subprocess.run(["javac", "--release", "17", "-d", classes, os.path.join(HERE, "jgen", "ThreadsGen.java")],
                   check=True)
    t0 = time.perf_counter()
    p = subprocess.Popen(["java", "-Xss256k", "-Xmx512m", "-cp", classes, "bench.ThreadsGen", str(n)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=OUT)
    try:
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        line = b""
        while not line.startswith(b"ready"):
            if time.perf_counter() - t0 > 900:
                raise SystemExit(f"ThreadsGen {n}: not ready after 900 s")
            if not sel.select(timeout=1):
                continue
            line = p.stdout.readline()
            if not line:
                err = p.stderr.read().decode(errors="replace")[-2000:]
                raise SystemExit(f"ThreadsGen {n} exited {p.wait()}: {err}")
            if not line.startswith(b"ready"):
                raise SystemExit(f"ThreadsGen {n}: {line.decode(errors='replace').strip()}")
        ready = time.perf_counter() - t0
        first, t_first = jstack(p.pid)
        time.sleep(1)
        second, t_second = jstack(p.pid)
    finally:
        p.kill()
        p.wait()
    gen_note = p.stderr.read().decode(errors="replace").strip()
    with open(once, "wb") as f:
        f.write(first)
    with open(twice, "wb") as f:
        f.write(first + second)
    return once, twice, {"ready": ready, "jstack": (t_first, t_second), "note": gen_note}


def measure(dump, label, ds, a):
    size = os.path.getsize(dump)
    threads = dumps = 0
    with open(dump, "rb") as f:
        for line in f:
            if line.startswith(b'"') and THREAD_LINE.match(line):
                threads += 1
            elif line.startswith(b"Full thread dump"):
                dumps += 1
    report = os.path.join(OUT, "threads-report.json")
    tools = {
        "dumpscope": [ds, "analyze", dump, "--json", report],
        # The same without the diagnosis (grouping only): the baseline for
        # what the diagnosis adds.
        "dumpscope --no-diagnose": [ds, "analyze", dump, "--no-diagnose", "--json",
                                    os.path.join(OUT, "threads-report-groups.json")],
    }
    results = {k: [] for k in tools}
    # Warm the page cache, then interleave the rounds.
    run_once(tools["dumpscope"])
    for r in range(a.rounds):
        for name, argv in tools.items():
            w, m = run_once(argv)
            results[name].append((w, m))
            print(f"{label} round {r + 1} {name}: {w:.3f} s, {m / 1024:.0f} MiB", file=sys.stderr)
    formats, groups, tasks, findings = "?", "?", "?", []
    try:
        with open(report) as f:
            rep = json.load(f)
        formats = ", ".join(sorted({s["format"] for s in rep["snapshots"]}))
        groups = " + ".join(str(s["groups_total"]) for s in rep["snapshots"])
        tasks = " + ".join(str(s["task_count"]) for s in rep["snapshots"])
        findings = rep["findings"]
    except (OSError, ValueError, KeyError):
        pass
    lines = [
        f"### {label}",
        "",
        f"input: {os.path.basename(dump)}, {size / 1e6:.1f} MB, {dumps} dump{'s' if dumps != 1 else ''}, "
        f"{threads} thread entries; dumpscope read format {formats}, {tasks} threads, "
        f"{groups} groups at the default similarity",
        "",
        "| tool | runs | median wall | throughput | threads/s | median peak RSS |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    med = {}
    for name, rs in results.items():
        wall = statistics.median(w for w, _ in rs)
        rss = statistics.median(m for _, m in rs) / 1024
        med[name] = (wall, rss)
        lines.append(f"| {name} | {len(rs)} | {wall:.3f} s | {size / 1e6 / wall:.0f} MB/s | "
                     f"{threads / wall:,.0f} | {rss:.0f} MiB |")
    lines.append("")
    w = med["dumpscope"][0] / med["dumpscope --no-diagnose"][0]
    m = med["dumpscope"][1] / med["dumpscope --no-diagnose"][1]
    lines.append(f"diagnosis: dumpscope / dumpscope --no-diagnose = {w:.2f}x the time "
                 f"({(w - 1) * 100:+.0f}%), {m:.2f}x the memory")
    # The rounds are interleaved: the ratio within a round is less exposed
    # to the machine's drift than the ratio of the medians.
    pairs = sorted(d[0] / b[0] for d, b in zip(results["dumpscope"], results["dumpscope --no-diagnose"]))
    if len(pairs) >= 4:
        q = statistics.quantiles(pairs, n=4)
        lines.append(f"paired per-round time ratio: median {statistics.median(pairs):.2f}, "
                     f"interquartile range {q[0]:.2f}-{q[2]:.2f}")
    if findings:
        rules = Counter(f["rule"] for f in findings)
        lines.append(f"findings: {len(findings)} ("
                     + ", ".join(f"{r} {c}" for r, c in sorted(rules.items(), key=lambda x: (-x[1], x[0]))) + ")")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=10000, help="threads ThreadsGen starts (at least 200)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--dumpscope", default=os.path.join(ROOT, "target", "release", "dumpscope"),
                    help="the dumpscope binary to measure (default: the release build of this checkout)")
    ap.add_argument("--input", help="measure this Java thread dump instead of the generated ones")
    ap.add_argument("--regenerate", action="store_true", help="write the dumps again even when bench/out has them")
    a = ap.parse_args()
    if not os.access(a.dumpscope, os.X_OK):
        raise SystemExit(f"no dumpscope at {a.dumpscope}: build it with `cargo build --release`, "
                         "or pass --dumpscope PATH")
    os.makedirs(OUT, exist_ok=True)
    ensure_time()
    gen = None
    if a.input:
        dumps = [(a.input, "given input")]
    else:
        once, twice, gen = make_dumps(a.threads, a.regenerate)
        dumps = [(once, "one jstack -l dump"), (twice, "the same process dumped twice (two jstack -l, concatenated)")]
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [f"machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}"]
    if shutil.which("java"):
        lines.append(f"JDK: {jdk_version()}")
    if gen:
        lines.append(f"generation: ThreadsGen {a.threads} ready after {gen['ready']:.1f} s "
                     f"({gen['note'] or 'no detail'}); jstack -l took {gen['jstack'][0]:.1f} s "
                     f"and {gen['jstack'][1]:.1f} s")
    lines.append("")
    for dump, label in dumps:
        lines += measure(dump, label, a.dumpscope, a) + [""]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(OUT, "threads-results.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
