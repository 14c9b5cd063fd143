#!/usr/bin/env python3
"""Size and rendering time of the HTML report of the benchmark dumps.

For each dump: writes the HTML report with dumpscope, then opens it in
headless Chromium (`--screenshot`, which returns after the page has loaded
and its script has run) in interleaved rounds with a small report (one
sample) as the baseline: the difference of the medians is what the big
report costs the browser beyond starting up. Run `bench/run.py` first to
write the dumps; Chromium comes from Debian's package (`.ci/run` installs it).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")
SMALL = os.path.join(ROOT, "samples", "go", "lock-order-deadlock", "all.txt")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1400,2000"]


def render_time(chromium, html, tmp):
    prof = tempfile.mkdtemp(dir=tmp)
    shot = os.path.join(tmp, "shot.png")
    t = time.monotonic()
    subprocess.run([chromium, *FLAGS, f"--user-data-dir={prof}", f"--screenshot={shot}",
                    "file://" + html], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=120)
    took = time.monotonic() - t
    shutil.rmtree(prof, ignore_errors=True)
    return took


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("dumps", nargs="*", default=[os.path.join(OUT, "dump-500k.txt"),
                                                  os.path.join(OUT, "dump-500k-distinct.txt")])
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is not installed (apt-get install chromium)")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    ds = os.path.join(ROOT, "target", "release", "dumpscope")
    with tempfile.TemporaryDirectory() as tmp:
        small = os.path.join(tmp, "small.html")
        subprocess.run([ds, "analyze", SMALL, "--html", small], check=True, stdout=subprocess.DEVNULL)
        print("| dump | goroutines | HTML size | dumpscope --html | Chromium: report | Chromium: baseline | difference |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for dump in a.dumps:
            if not os.path.exists(dump):
                print(f"{dump}: missing (run bench/run.py first)", file=sys.stderr)
                continue
            big = os.path.join(tmp, "big.html")
            gen = []
            for _ in range(a.rounds):
                t = time.monotonic()
                subprocess.run([ds, "analyze", dump, "--html", big], check=True, stdout=subprocess.DEVNULL)
                gen.append(time.monotonic() - t)
            size = os.path.getsize(big)
            with open(big, encoding="utf-8") as f:
                m = re.search(r"<b>(\d+)</b> goroutines", f.read(1 << 16))
            goroutines = m.group(1) if m else "?"
            big_t, small_t = [], []
            for _ in range(a.rounds):
                big_t.append(render_time(chromium, big, tmp))
                small_t.append(render_time(chromium, small, tmp))
            mb, ms = statistics.median(big_t), statistics.median(small_t)
            print(f"| {os.path.basename(dump)} | {goroutines} | {size / 1e6:.1f} MB | "
                  f"{statistics.median(gen):.2f} s | {mb:.2f} s | {ms:.2f} s | {mb - ms:+.2f} s |")


if __name__ == "__main__":
    main()
