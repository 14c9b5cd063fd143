#!/usr/bin/env python3
"""Writes a dump buried after megabytes of service log lines, for measuring
detection over the whole input: `dumpscope analyze` must find the dump where
it starts, in time linear in the file.

    python3 bench/buried.py --mib 8 --out bench/out/buried-8m.txt
    python3 bench/buried.py --mib 200 --out bench/out/buried-200m.txt
    python3 bench/buried.py --mib 8 --sample samples/java/lock-convoy/jstack.txt \\
        --then samples/go/lock-convoy/sigquit.txt --out bench/out/java-then-go.txt

The log lines are those of an HTTP service (RFC 3339 time, level, message,
key=value fields), none of them a dump line. The dump is a committed sample
(`--sample`, a Go SIGQUIT dump by default) copied as it is; `--then` appends
another sample after a second run of log lines. The files are written to
bench/out/ (not committed).
"""

import argparse
import os
import random

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PATHS = ["/api/items", "/api/orders", "/api/users", "/healthz", "/metrics"]
LEVELS = ["INFO"] * 8 + ["DEBUG", "WARN"]


def log_lines(size, rng, start_second):
    """About `size` bytes of log lines."""
    out = []
    written = 0
    n = 0
    while written < size:
        second = start_second + n // 50
        stamp = "2026-12-07T%02d:%02d:%02d.%03dZ" % (
            (second // 3600) % 24,
            (second // 60) % 60,
            second % 60,
            (n * 37) % 1000,
        )
        path = rng.choice(PATHS)
        line = "%s %s http: request handled method=GET path=%s/%d status=%d bytes=%d dur=%.1fms remote=10.0.%d.%d:%d\n" % (
            stamp,
            rng.choice(LEVELS),
            path,
            rng.randrange(100000),
            rng.choice([200, 200, 200, 204, 404, 500]),
            rng.randrange(20000),
            rng.random() * 50,
            rng.randrange(256),
            rng.randrange(256),
            rng.randrange(1024, 65535),
        )
        out.append(line)
        written += len(line)
        n += 1
    return "".join(out).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=float, default=8, help="MiB of log lines before the dump")
    ap.add_argument("--sample", default="samples/go/lock-convoy/sigquit.txt")
    ap.add_argument("--then", help="a second sample, after as many log lines again")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(18)
    size = int(args.mib * (1 << 20))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(log_lines(size, rng, 0))
        with open(os.path.join(ROOT, args.sample), "rb") as s:
            f.write(s.read())
        if args.then:
            f.write(log_lines(size, rng, 36000))
            with open(os.path.join(ROOT, args.then), "rb") as s:
                f.write(s.read())


if __name__ == "__main__":
    main()
