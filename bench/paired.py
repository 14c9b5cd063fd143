#!/usr/bin/env python3
"""Two dumpscope binaries on one input, in interleaved rounds: median wall
time, CPU time (user + system, all threads) and peak RSS of each, and the
paired per-round ratios of the first to the second with their interquartile
range. CPU time is far steadier than wall time on a shared machine.

    python3 bench/paired.py NEW OLD DUMP [--rounds 21] [-- ARGS...]

ARGS replace the default `--json /dev/null` after `analyze DUMP`."""
import argparse
import os
import statistics
import subprocess
import time


def run(binary, dump, args):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "analyze", dump] + args,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def summary(values):
    q = statistics.quantiles(sorted(values), n=4)
    return f"{statistics.median(values):.3f} (IQR {q[0]:.3f}-{q[2]:.3f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("new")
    ap.add_argument("old")
    ap.add_argument("dump")
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    args = a.args or ["--json", "/dev/null"]
    res = {a.new: [], a.old: []}
    for r in range(a.rounds):
        order = [a.new, a.old] if r % 2 == 0 else [a.old, a.new]
        for binary in order:
            res[binary].append(run(binary, a.dump, args))
    for binary, rows in res.items():
        print(f"{binary}: wall {summary([x[0] for x in rows])} s, "
              f"CPU {summary([x[1] for x in rows])} s, "
              f"peak RSS {statistics.median(x[2] for x in rows):.0f} MiB")
    for i, name in ((0, "wall"), (1, "CPU")):
        ratios = [x[i] / y[i] for x, y in zip(res[a.new], res[a.old])]
        print(f"paired {name} ratio new/old over {a.rounds} rounds: {summary(ratios)}")
    rss = statistics.median(x[2] for x in res[a.new]) / statistics.median(x[2] for x in res[a.old])
    print(f"peak RSS ratio: {rss:.3f}")


if __name__ == "__main__":
    main()
