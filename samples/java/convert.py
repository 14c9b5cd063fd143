#!/usr/bin/env python3
"""Converted copies of real thread dumps: the forms a dump takes on its way
to the person reading it, made from a dump the JDK wrote.

Each conversion changes only what its name says, the same way on every line,
and is a pure function of the source file: generate.sh writes the copies
with it and check.py checks that every copy equals the conversion of its
source. Nothing is added to the dump's content.

- ticket-indented: the dump as pasted into a ticket or a Markdown file as an
  indented code block: every non-blank line indented by four spaces, and the
  tab that starts a frame or lock line re-indented as four spaces (as editors
  and ticket systems do), so no line of the dump keeps a tab.
- container-timestamps: the program's output as `docker logs --timestamps`
  or `kubectl logs --timestamps` print it: every line behind an RFC 3339
  timestamp with nanoseconds and a space. The times start at the first
  `YYYY-MM-DD hh:mm:ss` line of the dump (the JVM's own time line, read as
  UTC) and advance 137 microseconds a line.
- no-state-lines: the `java.lang.Thread.State:` lines left out. This is the
  thread dump of JVMs before Java 6 (Sun JDK 1.4 and 1.5, HP-UX JVM 1.5),
  which printed the thread header and frames but no state line: the
  header's words (`runnable`, `in Object.wait()`, `waiting on condition`,
  `waiting for monitor entry`) were the only state. The header fields of
  today's JVM (`#N`, `os_prio=`, `cpu=`, `elapsed=`) stay as they are.

Usage: python3 convert.py CONVERSION SOURCE DEST
"""
import datetime
import re
import sys


def ticket_indented(text):
    out = []
    for line in text.split("\n"):
        if line.startswith("\t"):
            line = "    " + line[1:]
        out.append("    " + line if line.strip() else line)
    return "\n".join(out)


def container_timestamps(text):
    lines = text.split("\n")
    trailing = lines and lines[-1] == ""
    if trailing:
        lines = lines[:-1]
    start = None
    for line in lines:
        if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line):
            start = datetime.datetime.strptime(line, "%Y-%m-%d %H:%M:%S")
            break
    if start is None:
        raise SystemExit("no time line to start the timestamps at")
    out = []
    for i, line in enumerate(lines):
        t = start + datetime.timedelta(microseconds=137 * i)
        out.append("%s%03dZ %s" % (t.strftime("%Y-%m-%dT%H:%M:%S.%f"), (i * 7) % 1000, line))
    return "\n".join(out) + ("\n" if trailing else "")


def no_state_lines(text):
    return "\n".join(
        line for line in text.split("\n") if not line.lstrip().startswith("java.lang.Thread.State: ")
    )


CONVERSIONS = {
    "ticket-indented": ticket_indented,
    "container-timestamps": container_timestamps,
    "no-state-lines": no_state_lines,
}


def convert(name, text):
    return CONVERSIONS[name](text)


if __name__ == "__main__":
    conversion, source, dest = sys.argv[1:4]
    with open(source, encoding="utf-8", newline="") as f:
        text = f.read()
    with open(dest, "w", encoding="utf-8", newline="") as f:
        f.write(convert(conversion, text))
