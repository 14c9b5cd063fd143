#!/usr/bin/env python3
"""Checks the dumps in samples/java/ against each case's expected.json.

expected.json holds what the programs were built to do; this script only
confirms that the dumps the tools wrote show it (every file listed exists and
every dump file is listed, thread states, who waits for which lock class and
who holds it, the JVM's deadlock sections, the number of dumps and the
preamble). Usage: python3 samples/java/check.py
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import convert  # noqa: E402  (convert.py beside this file)

errors = []


def fail(where, msg):
    errors.append("%s: %s" % (where, msg))


def read_text(path, spec):
    raw = open(path, "rb").read()
    if spec.get("encoding") == "utf-16le-bom":
        if not raw.startswith(b"\xff\xfe"):
            fail(path, "no UTF-16LE BOM")
        text = raw[2:].decode("utf-16-le")
    elif spec.get("encoding") == "utf-16le":
        if raw.startswith(b"\xff\xfe"):
            fail(path, "a UTF-16LE BOM")
        text = raw.decode("utf-16-le")
    else:
        text = raw.decode("utf-8")
    if spec.get("line_endings") == "crlf":
        if text.count("\r\n") != text.count("\n"):
            fail(path, "not every line ends in CRLF")
        text = text.replace("\r\n", "\n")
    elif "\r" in text:
        fail(path, "unexpected CR")
    return text


THREAD_HEADER = re.compile(r'^"(?P<name>[^"]*)" ')


def hotspot_dumps(text):
    """Splits a jstack / jcmd / SIGQUIT file into dumps, each a dict of
    thread name -> block lines, plus the deadlock sections."""
    parts = re.split(r"^Full thread dump .*\n", text, flags=re.M)
    dumps = []
    for part in parts[1:]:
        threads = {}
        current = None
        deadlock_text = ""
        if "\nFound one Java-level deadlock:" in part:
            part, deadlock_text = part.split("\nFound one Java-level deadlock:", 1)
            deadlock_text = "Found one Java-level deadlock:" + deadlock_text
        for line in part.split("\n"):
            m = THREAD_HEADER.match(line)
            if m:
                current = m.group("name")
                threads[current] = [line]
            elif current is not None:
                if line.startswith(("JNI global refs", "Heap")):
                    current = None
                else:
                    threads[current].append(line)
        dumps.append((threads, deadlock_text))
    return dumps


def hotspot_state(block):
    for line in block:
        m = re.match(r"\s+java\.lang\.Thread\.State: (\S+)", line)
        if m:
            return m.group(1)
    return None


def addr_lines(block, prefix):
    """(address, class) pairs of lines such as '- waiting to lock <0x..> (a C)'."""
    out = []
    for line in block:
        m = re.match(r"\s+- " + prefix + r" +<(0x[0-9a-f]+)> \(a ([^)]+)\)", line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def ownable(block):
    out = []
    inside = False
    for line in block:
        if "Locked ownable synchronizers:" in line:
            inside = True
            continue
        if inside:
            m = re.match(r"\s+- <(0x[0-9a-f]+)> \(a ([^)]+)\)", line)
            if m:
                out.append((m.group(1), m.group(2)))
    return out


def check_hotspot(where, text, spec, case):
    lines = text.split("\n")
    pre = spec["preamble"]
    if pre == "jcmd-pid-line" and not re.match(r"^\d+:$", lines[0]):
        fail(where, "no leading 'PID:' line")
    if pre == "none" and not re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", lines[0]):
        fail(where, "does not start with the dump's time stamp")
    dumps = hotspot_dumps(text)
    if len(dumps) != spec["dumps"]:
        fail(where, "%d dumps, expected %d" % (len(dumps), spec["dumps"]))
    has_ownable = "Locked ownable synchronizers:" in text
    if has_ownable != spec["ownable_synchronizers"]:
        fail(where, "ownable synchronizers printed: %s" % has_ownable)
    if spec.get("heap_summary") and text.count("\nHeap\n") != spec["dumps"]:
        fail(where, "heap summary missing")
    for threads, deadlock_text in dumps:
        for name, exp in case["threads"].items():
            if exp.get("virtual") and not spec["virtual_threads"]:
                if name in threads:
                    fail(where, "virtual thread %s listed" % name)
                continue
            if name not in threads:
                fail(where, "thread %s missing" % name)
                continue
            block = threads[name]
            state = hotspot_state(block)
            if state != exp["state"]:
                fail(where, "%s is %s, expected %s" % (name, state, exp["state"]))
            w = exp["waits_for"]
            if not w:
                continue
            if w["kind"] == "monitor":
                waits = addr_lines(block, "waiting to lock")
                if not waits or waits[0][1] != w["class"]:
                    fail(where, "%s does not wait to lock a %s" % (name, w["class"]))
                    continue
                holder = threads.get(w["held_by"], [])
                if waits[0] not in addr_lines(holder, "locked"):
                    fail(where, "%s does not hold the monitor %s waits for" % (w["held_by"], name))
            elif w["kind"] == "park":
                waits = addr_lines(block, "parking to wait for")
                if not waits or waits[0][1] != w["class"]:
                    fail(where, "%s does not park on a %s" % (name, w["class"]))
                    continue
                if w["held_by"] and spec["ownable_synchronizers"]:
                    holder = threads.get(w["held_by"], [])
                    if waits[0] not in ownable(holder):
                        fail(where, "%s does not own the synchronizer %s waits for" % (w["held_by"], name))
            elif w["kind"] == "object-wait":
                waits = addr_lines(block, "waiting on")
                if not waits or waits[0][1] != w["class"]:
                    fail(where, "%s does not wait on a %s" % (name, w["class"]))
            elif w["kind"] == "sleep":
                if "(sleeping)" not in "\n".join(block):
                    fail(where, "%s is not sleeping" % name)
        sections = deadlock_text.count("Found one Java-level deadlock:")
        if sections != len(case["deadlocks"]):
            fail(where, "%d deadlock sections, expected %d" % (sections, len(case["deadlocks"])))
        for cycle in case["deadlocks"]:
            for name in cycle:
                held_by = case["threads"][name]["waits_for"]["held_by"]
                pat = '"%s":\n  waiting [^\n]*\n  which is held by "%s"' % (re.escape(name), re.escape(held_by))
                if not re.search(pat, deadlock_text):
                    fail(where, "deadlock section lacks %s -> %s" % (name, held_by))
        if case["deadlocks"] and "Found %d deadlock" % len(case["deadlocks"]) not in deadlock_text:
            fail(where, "no 'Found N deadlocks.' line")


def check_json(where, text, spec, case):
    doc = json.loads(text)["threadDump"]
    threads = {}
    for container in doc["threadContainers"]:
        for t in container["threads"]:
            threads[t["name"]] = t
    for name, exp in case["threads"].items():
        t = threads.get(name)
        if t is None:
            fail(where, "thread %s missing" % name)
            continue
        if t.get("state") != exp["state"]:
            fail(where, "%s is %s, expected %s" % (name, t.get("state"), exp["state"]))
        if bool(t.get("virtual")) != bool(exp.get("virtual")):
            fail(where, "%s virtual=%s" % (name, t.get("virtual")))
        w = exp["waits_for"]
        if w and w["kind"] == "monitor":
            obj = t.get("blockedOn", "")
            if obj.rsplit("@", 1)[0] != w["class"]:
                fail(where, "%s blockedOn %r" % (name, obj))
            owned = [l for m in threads[w["held_by"]].get("monitorsOwned", []) for l in m["locks"]]
            if obj not in owned:
                fail(where, "%s does not own %s" % (w["held_by"], obj))
        elif w and w["kind"] == "park":
            obj = t.get("parkBlocker", {}).get("object", "")
            if obj.rsplit("@", 1)[0] != w["class"]:
                fail(where, "%s parkBlocker %r" % (name, obj))
        elif w and w["kind"] == "object-wait":
            if t.get("waitingOn", "").rsplit("@", 1)[0] != w["class"]:
                fail(where, "%s waitingOn %r" % (name, t.get("waitingOn")))


def check_threaddump_text(where, text, spec, case):
    heads = {}
    for m in re.finditer(r'^#(\d+) "([^"]*)"( virtual)? (\S+) ', text, flags=re.M):
        heads[m.group(2)] = (bool(m.group(3)), m.group(4))
    for name, exp in case["threads"].items():
        if name not in heads:
            fail(where, "thread %s missing" % name)
            continue
        virtual, state = heads[name]
        if state != exp["state"] or virtual != bool(exp.get("virtual")):
            fail(where, "%s is %s virtual=%s" % (name, state, virtual))


def main():
    cases = sorted(d for d in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, d, "expected.json")))
    for name in cases:
        d = os.path.join(HERE, name)
        case = json.load(open(os.path.join(d, "expected.json")))
        on_disk = sorted(f for f in os.listdir(d) if f != "expected.json")
        for f in on_disk:
            if f not in case["files"]:
                fail(name, "%s is not listed in expected.json" % f)
            elif os.path.getsize(os.path.join(d, f)) > 300_000:
                fail(name, "%s is over 300 KB" % f)
        for f, spec in case["files"].items():
            path = os.path.join(d, f)
            where = "%s/%s" % (name, f)
            if not os.path.exists(path):
                fail(where, "missing")
                continue
            text = read_text(path, spec)
            if spec.get("conversion"):
                # A converted copy: exactly its source, converted; the
                # source is checked as itself.
                with open(os.path.join(d, spec["converted_from"]), encoding="utf-8", newline="") as f:
                    source = f.read()
                if convert.convert(spec["conversion"], source) != text:
                    fail(where, "is not %s of %s" % (spec["conversion"], spec["converted_from"]))
                continue
            {"hotspot": check_hotspot, "threaddump-json": check_json,
             "threaddump-text": check_threaddump_text}[spec["format"]](where, text, spec, case)
        print("%-18s %d files" % (name, len(case["files"])))
    for e in errors:
        print("FAIL " + e)
    print("%d passed, %d failed" % (len(cases) - len({e.split("/")[0].split(":")[0] for e in errors}),
                                     len({e.split("/")[0].split(":")[0] for e in errors})))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
