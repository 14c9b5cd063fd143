#!/usr/bin/env python3
"""Benchmark: `dumpscope symbolize` on a million addresses against a large
debug binary, beside GNU addr2line and llvm-symbolizer on the same
addresses in interleaved rounds (the baselines: what an engineer runs today).

The binary is dumpscope itself built in release mode with full DWARF
(`CARGO_PROFILE_RELEASE_DEBUG=2`, about 60 MB, built once into
bench/out/symtarget), or any ELF file given with --binary. The addresses are
drawn at random (seeded) from its .text section and written twice: as a
sanitizer-style report (`#N 0xPC (module+0xOFF)`, what dumpscope annotates)
and as bare offsets, one per line (what addr2line and llvm-symbolizer read
on stdin). Every tool resolves inlined frames (-i / default) and demangles.

    python3 bench/symbolize.py [--rounds 5] [--addresses 1000000]
        [--distinct N] [--binary PATH] [--skip-baselines]

Also checks agreement: for 2,000 of the addresses, the outermost function
and line dumpscope reports against addr2line's. Results go to stdout and
bench/out/symbolize-results.md."""
import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import OUT, ROOT, run_once  # noqa: E402


def build_binary():
    """dumpscope in release mode with full debug info."""
    target = os.path.join(OUT, "symtarget")
    dst = os.path.join(OUT, "symbench-bin")
    if not os.path.exists(dst):
        env = dict(os.environ, CARGO_PROFILE_RELEASE_DEBUG="2",
                   CARGO_PROFILE_RELEASE_STRIP="none")
        subprocess.run(["cargo", "build", "--release", "--quiet", "--target-dir", target],
                       cwd=ROOT, check=True, env=env)
        shutil.copy(os.path.join(target, "release", "dumpscope"), dst)
    return dst


def text_section(binary):
    """(address, size) of .text."""
    out = subprocess.run(["readelf", "-S", "-W", binary], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        m = re.search(r"\]\s+\.text\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m:
            return int(m.group(1), 16), int(m.group(2), 16)
    raise SystemExit(f"{binary}: no .text section")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--addresses", type=int, default=1_000_000)
    ap.add_argument("--distinct", type=int, default=0,
                    help="draw the addresses from this many distinct ones (0: all distinct)")
    ap.add_argument("--binary")
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--timeout", type=float, default=900)
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    ds = os.path.join(ROOT, "target", "release", "dumpscope")
    binary = os.path.abspath(a.binary or build_binary())
    start, size = text_section(binary)
    rng = random.Random(7)
    pool = a.distinct or a.addresses
    distinct = [start + rng.randrange(size) for _ in range(pool)]
    addrs = distinct if not a.distinct else [rng.choice(distinct) for _ in range(a.addresses)]
    name = os.path.basename(binary)
    report = os.path.join(OUT, "sym-report.txt")
    offsets = os.path.join(OUT, "sym-offsets.txt")
    with open(report, "w") as f:
        for i, x in enumerate(addrs):
            f.write(f"    #{i} {x:#x} ({binary}+{x:#x})\n")
    with open(offsets, "w") as f:
        for x in addrs:
            f.write(f"{x:#x}\n")
    mb = os.path.getsize(binary) / 1e6
    print(f"binary {binary}: {mb:.1f} MB; {len(addrs):,} addresses "
          f"({len(set(addrs)):,} distinct) in .text")
    tools = {
        "dumpscope symbolize": ([ds, "symbolize", report, "--binary", binary], None),
    }
    if not a.skip_baselines:
        if shutil.which("addr2line"):
            tools["GNU addr2line -f -i -C"] = (["addr2line", "-f", "-i", "-C", "-e", binary], offsets)
        if shutil.which("llvm-symbolizer"):
            tools["llvm-symbolizer"] = (["llvm-symbolizer", f"--obj={binary}"], offsets)
    times = {k: [] for k in tools}
    rss = {k: [] for k in tools}
    for r in range(a.rounds):
        for k, (argv, stdin) in tools.items():
            res = run_once(argv, stdin, a.timeout)
            if res is None:
                print(f"  round {r + 1}: {k} killed after {a.timeout:.0f} s")
                continue
            times[k].append(res[0])
            rss[k].append(res[1])
            print(f"  round {r + 1}: {k} {res[0]:.2f} s, {res[1] / 1024:.0f} MiB")
    base = statistics.median(times["dumpscope symbolize"])
    lines = ["| tool | median wall | median peak RSS | vs dumpscope |", "|---|---|---|---|"]
    for k in tools:
        if not times[k]:
            lines.append(f"| {k} | killed after {a.timeout:.0f} s | | |")
            continue
        t = statistics.median(times[k])
        m = statistics.median(rss[k]) / 1024
        lines.append(f"| {k} | {t:.2f} s | {m:.0f} MiB | {t / base:.1f}× |")
    agreement = agree(ds, binary, addrs[:2000]) if shutil.which("addr2line") else ""
    text = (f"{len(addrs):,} addresses ({len(set(addrs)):,} distinct) against "
            f"{name} ({mb:.1f} MB, DWARF), {a.rounds} rounds, interleaved\n\n"
            + "\n".join(lines) + "\n\n" + agreement + "\n")
    print(text)
    with open(os.path.join(OUT, "symbolize-results.md"), "w") as f:
        f.write(text)


def agree(ds, binary, addrs):
    """Share of addresses where dumpscope's innermost frame has the function
    and line that `addr2line -f -C` (no -i: the innermost frame) prints."""
    rep = os.path.join(OUT, "sym-agree.txt")
    with open(rep, "w") as f:
        for i, x in enumerate(addrs):
            f.write(f"    #{i} {x:#x} ({binary}+{x:#x})\n")
    out = subprocess.run([ds, "symbolize", rep, "--binary", binary], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    a2l = subprocess.run(["addr2line", "-f", "-C", "-e", binary] + [f"{x:#x}" for x in addrs],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    same = 0
    for i, line in enumerate(out):
        func = a2l[2 * i] if 2 * i < len(a2l) else "??"
        loc = a2l[2 * i + 1] if 2 * i + 1 < len(a2l) else "??:0"
        want = loc.split(" ")[0].rsplit(":", 1)[-1]
        m = re.search(r"\[= (.*)\]$", line)
        if not m:
            same += func == "??"
            continue
        first = m.group(1).split(", inlined into ")[0]
        got = first.rsplit(":", 1)[-1] if ":" in first else "0"
        same += got == want or (want in ("?", "0") and func != "??")
    return (f"Agreement with GNU addr2line on the first {len(addrs):,} addresses "
            f"(line of the innermost frame): {same / len(addrs):.1%}")


if __name__ == "__main__":
    main()
