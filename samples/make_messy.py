#!/usr/bin/env python3
"""Writes samples/messy/: real dumps from samples/go/ wrapped the way they
arrive in incidents (log prefixes, docker json-file, tickets, CRLF, BOM,
several dumps in one file, cut-off dumps, compressed). Each output is a
deterministic transformation of a real dump; nothing is typed by hand."""
import datetime
import gzip
import json
import os
import shutil
import subprocess
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
go = os.path.join(root, "go")
out = os.path.join(root, "messy")
os.makedirs(out, exist_ok=True)


def read(rel):
    with open(os.path.join(go, rel), encoding="utf-8") as f:
        return f.read()


def write(name, text, binary=False):
    path = os.path.join(out, name)
    with open(path, "wb") as f:
        f.write(text if binary else text.encode("utf-8"))


panic_dump = read("lock-order-deadlock/all.txt")
debug2 = read("chan-range-never-closed/debug2.txt")
start = datetime.datetime(2026, 11, 2, 10, 15, 42, 120000, tzinfo=datetime.timezone.utc)


def stamps(i):
    return start + datetime.timedelta(microseconds=137 * i)


def prefixed(text, fmt):
    return "".join(fmt(i) + line + "\n" for i, line in enumerate(text.splitlines()))


# Go's RFC3339Nano trims trailing zeros, so widths vary from line to line.
def rfc3339nano(i):
    t = stamps(i)
    frac = ("%06d" % t.microsecond).rstrip("0")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z "


logs_before = "".join(
    rfc3339nano(i) + "INFO request served path=/orders/%d status=200\n" % i for i in range(5)
)
write("rfc3339.txt", logs_before + prefixed(panic_dump, lambda i: rfc3339nano(i + 5)))
write("kubectl-timestamps.txt", prefixed(panic_dump, lambda i: stamps(i).strftime("%Y-%m-%dT%H:%M:%S.%f000Z ")))
write("journald.txt", prefixed(panic_dump, lambda i: stamps(i).strftime("%b %e %H:%M:%S") + " web-3 orders[4242]: "))
write("compose.txt", prefixed(panic_dump, lambda i: "orders-1  | "))
write(
    "docker-json.log",
    "".join(
        json.dumps({"log": line + "\n", "stream": "stderr", "time": stamps(i).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
                   separators=(",", ":")) + "\n"
        for i, line in enumerate(panic_dump.splitlines())
    ),
)
write("crlf.txt", panic_dump.replace("\n", "\r\n"))
write("bom.txt", b"\xef\xbb\xbf" + panic_dump.encode(), binary=True)
write("utf16le.txt", b"\xff\xfe" + panic_dump.encode("utf-16-le"), binary=True)
write(
    "ticket-fenced.md",
    "Checkout hangs since 10:15. Dump from web-3:\n\n```\n" + panic_dump + "```\n\nAny idea? Restarted at 10:40.\n",
)
write(
    "ticket-indented.md",
    "Dump below (indented as a code block):\n\n"
    + "".join(("    " + l if l else "") + "\n" for l in panic_dump.splitlines()),
)
write("ticket-quoted.md", "> quoting the on-call note:\n" + "".join(("> " + l).rstrip() + "\n" for l in panic_dump.splitlines()))
write("two-debug2.txt", debug2 + "\n" + debug2)
write("logs-around.txt", logs_before.replace("Z INFO", "Z INFO") + panic_dump + "\n" + "restarting service\n")
write("multi-kind.txt", debug2 + "\n" + panic_dump)
mid = len(panic_dump) * 2 // 3
# Cut in the middle of a line (a log shipper dropping the tail).
cut = panic_dump.rfind("\n", 0, mid) + 7
write("truncated-midline.txt", panic_dump[:cut])
# Cut at a line boundary inside a goroutine (a 64 KiB ticket comment limit).
write("truncated-line.txt", panic_dump[: panic_dump.rfind("\n", 0, mid) + 1])
big = read("goroutine-explosion/debug2.txt")
write("explosion-cut-64k.txt", big[: 64 * 1024])
with open(os.path.join(out, "lock-order-deadlock.txt.gz"), "wb") as f:
    half = len(panic_dump) // 2
    f.write(gzip.compress(panic_dump[:half].encode(), mtime=0))
    f.write(gzip.compress(panic_dump[half:].encode(), mtime=0))
zstd = shutil.which("zstd")
if zstd:
    src = os.path.join(go, "lock-order-deadlock/all.txt")
    subprocess.run([zstd, "-q", "-f", "-19", src, "-o", os.path.join(out, "lock-order-deadlock.txt.zst")], check=True)
else:
    print("zstd not found: lock-order-deadlock.txt.zst not refreshed", file=sys.stderr)
print("messy variants written to", out)
