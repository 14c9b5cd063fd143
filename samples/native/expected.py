#!/usr/bin/env python3
"""Writes expected.json for the backtrace samples: for every frame that a dump
prints as a raw address (module + offset, or an absolute address whose module
is known from a mapping list), the module, the file offset (ELF virtual
address for the PIE and .so modules here), the address to look up, and what
binutils' addr2line -f -i -C says is there (function, file, line, innermost
inlined frame first).

Used by samples/native/backtraces.sh and samples/rust/generate.sh; run from a
sample directory, with the committed (neutral-path) dumps:

  expected.py KIND OUT.json --binary NAME=PATH_IN_DIR[:DEBUG_FILE] ...
              --module DUMP_MODULE=NAME ... DUMP_FILE[:MAPS_FILE] ...

KIND is bsyms (glibc backtrace_symbols), asan, tsan, eustack or rust.
Frames of modules that are not given (libc, libasan, ...) are listed with
"symbolizable": false and no frames: their debug info is not committed.

Lookup rules (how "lookup_offset" follows from "offset"):
- bsyms, rust, eustack -q -l: the printed addresses are return addresses,
  looked up at offset - 1; except the faulting pc of a signal (bsyms, "kind":
  "fault_pc", the header's pc) and the sigreturn trampoline ("kind":
  "signal_trampoline"), which are looked up as they are, and eu-stack's frame
  #0 (the activation: where the thread stopped).
- asan, tsan: the sanitizers print pc - 1 already ("kind":
  "adjusted_return_address"): looked up as printed.
- eustack -b: eu-stack's "@base+offset" is already adjusted (pc - 1 - base for
  callers, pc - base for frame #0): looked up as printed.
"""
import argparse
import json
import re
import subprocess
import sys

HEX = r"0x[0-9a-fA-F]+"


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True, check=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else None


def symbol_table(path):
    """name -> value, from the full symbol table (or the dynamic one)."""
    syms = {}
    for args in (["nm", "--defined-only"], ["nm", "-D", "--defined-only"]):
        out = subprocess.run(args + [path], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3:
                syms.setdefault(parts[2].split("@")[0], int(parts[0], 16))
    return syms


def addr2line(path, offsets):
    """offset -> [{function, file, line, inlined}] (innermost first)."""
    offsets = sorted(set(offsets))
    if not offsets:
        return {}
    out = subprocess.run(
        ["addr2line", "-a", "-f", "-i", "-C", "-e", path] + [hex(o) for o in offsets],
        capture_output=True, text=True, check=True).stdout.splitlines()
    res, cur, i = {}, None, 0
    while i < len(out):
        line = out[i]
        if re.fullmatch(r"0x[0-9a-f]{16}", line):
            cur = int(line, 16)
            res[cur] = []
            i += 1
            continue
        func, loc = line, out[i + 1]
        i += 2
        loc = re.sub(r" \(discriminator \d+\)$", "", loc)
        file, _, ln = loc.rpartition(":")
        res[cur].append({
            "function": None if func == "??" else func,
            "file": None if file in ("??", "") else file,
            "line": int(ln) if ln.isdigit() and ln != "0" else None,
        })
    for frames in res.values():
        for k, f in enumerate(frames):
            f["inlined"] = k < len(frames) - 1
    return res


def parse_maps(lines):
    """[(start, end, file_offset, path)] from /proc/PID/maps lines."""
    maps = []
    for line in lines:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s+(/\S.*)$", line)
        if m:
            maps.append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16), m.group(4)))
    return maps


def module_base(maps, path):
    """load address of the module: start of its mapping at file offset 0."""
    for start, _, off, p in maps:
        if p == path and off == 0:
            return start
    return None


def module_of(maps, addr):
    for start, end, _, p in maps:
        if start <= addr < end:
            return p, module_base(maps, p)
    return None, None


class Ctx:
    def __init__(self, args):
        self.binaries = {}  # name -> {"file", "debug_file", "build_id"}
        for spec in args.binary:
            name, _, rest = spec.partition("=")
            path, _, debug = rest.partition(":")
            self.binaries[name] = {"file": path, "debug_file": debug or path, "build_id": build_id(path)}
        self.modules = {}  # module as printed -> binary name
        for spec in args.module:
            mod, _, name = spec.partition("=")
            self.modules[mod] = name
        self.records = []
        self.mismatches = 0

    def add(self, file, line_no, module, offset, lookup, kind, address=None, **extra):
        rec = {"file": file, "line_in_dump": line_no, "module": module}
        if address is not None:
            rec["address"] = hex(address)
        rec.update({"offset": hex(offset), "lookup_offset": hex(lookup), "kind": kind})
        rec.update(extra)
        name = self.modules.get(module)
        rec["binary"] = name
        rec["build_id"] = self.binaries[name]["build_id"] if name else None
        rec["symbolizable"] = name is not None
        rec["_lookup"] = lookup
        self.records.append(rec)

    def finish(self, out):
        by_bin = {}
        for r in self.records:
            if r["binary"]:
                by_bin.setdefault(r["binary"], []).append(r["_lookup"])
        resolved = {n: addr2line(self.binaries[n]["debug_file"], offs) for n, offs in by_bin.items()}
        for r in self.records:
            lookup = r.pop("_lookup")
            r["frames"] = resolved[r["binary"]][lookup] if r["binary"] else []
            if "frames_from" in r:
                # std's lines must be binutils' lines (only the names differ)
                mine = [(f["file"], f["line"]) for f in r["frames"]]
                std = [(f["file"], f["line"]) for f in r["frames_from"]]
                if [x for x in std if x[1]] != [x for x in mine if x[1]]:
                    self.mismatches += 1
                    print(f"note: {r['file']}:{r['line_in_dump']}: std {std} != addr2line {mine}",
                          file=sys.stderr)
                r["frames"] = r.pop("frames_from")
        doc = {
            "comment": "Generated by samples/native/expected.py from addr2line (GNU binutils); "
                       "see this directory's README.md. Offsets are file offsets (ELF virtual "
                       "addresses) in the module; frames are innermost first.",
            "binaries": [{"name": n, **b} for n, b in self.binaries.items()],
            "modules": self.modules,
            "raw_frames": self.records,
        }
        with open(out, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")


def read(path):
    with open(path) as f:
        return f.read().split("\n")


def kind_bsyms(ctx, dumps):
    syms = {n: symbol_table(b["file"]) for n, b in ctx.binaries.items()}
    for dump in dumps:
        lines = read(dump)
        pc = None
        maps = []
        for i, line in enumerate(lines):
            m = re.search(r"\bpc (" + HEX + r")", line)
            if m and pc is None:
                pc = int(m.group(1), 16)
            if line.startswith("*** /proc/self/maps"):
                maps = parse_maps(lines[i + 1:])
        # bias of each module named in the frames, from the mapping list
        prev_kind = None
        frames = []
        for i, line in enumerate(lines):
            m = re.fullmatch(r"(\S+?)\(([^()]*)\) ?\[(" + HEX + r")\]", line)
            if not m:
                continue
            frames.append((i, m))
        for idx, (i, m) in enumerate(frames):
            module, sym, addr = m.group(1), m.group(2), int(m.group(3), 16)
            path, base = module_of(maps, addr)
            name = ctx.modules.get(module)
            if addr == pc:
                kind = "fault_pc"
            elif idx + 1 < len(frames) and int(frames[idx + 1][1].group(3), 16) == pc:
                kind = "signal_trampoline"
            else:
                kind = "return_address"
            extra = {"printed_symbol": sym, "mapped_path": path, "load_base": hex(base) if base is not None else None}
            sm = re.fullmatch(r"(.*)\+(" + HEX + r")", sym)
            off_from_sym = None
            if sm and sm.group(1) == "":
                off_from_sym = int(sm.group(2), 16)
            elif sm and name and sm.group(1) in syms[name]:
                off_from_sym = syms[name][sm.group(1)] + int(sm.group(2), 16)
            offset = addr - base if base is not None else off_from_sym
            if off_from_sym is not None and name and offset != off_from_sym:
                sys.exit(f"{dump}:{i + 1}: offset {offset:#x} from maps != {off_from_sym:#x} from symbol")
            lookup = offset - 1 if kind == "return_address" else offset
            ctx.add(dump, i + 1, module, offset, lookup, kind, address=addr, **extra)


def kind_sanitizer(ctx, dumps, tsan):
    if tsan:
        pat = re.compile(r"\s+#(\d+) .*\((\S+)\+(" + HEX + r")\)$")
    else:
        pat = re.compile(r"\s+#(\d+) (" + HEX + r")\s.*\((\S+)\+(" + HEX + r")\)$")
    for dump in dumps:
        for i, line in enumerate(read(dump)):
            m = pat.match(line)
            if not m:
                continue
            if tsan:
                module, offset, addr = m.group(2), int(m.group(3), 16), None
            else:
                addr, module, offset = int(m.group(2), 16), m.group(3), int(m.group(4), 16)
            ctx.add(dump, i + 1, module, offset, offset, "adjusted_return_address", address=addr,
                    frame_index=int(m.group(1)))


def kind_eustack(ctx, dumps):
    for dump in dumps:
        lines = read(dump)
        # module map of -l: "0xSTART-0xEND name" then "  [build-id]" then "  path"
        maps = []
        for i, line in enumerate(lines):
            m = re.fullmatch(r"(" + HEX + r")-(" + HEX + r") (\S+)", line)
            if m and i + 2 < len(lines) and lines[i + 2].startswith("  /"):
                maps.append((int(m.group(1), 16), int(m.group(2), 16), 0, lines[i + 2].strip()))
        for i, line in enumerate(lines):
            m = re.match(r"#(\d+)\s+(" + HEX + r")(.*)$", line)
            if not m:
                continue
            n, addr, rest = int(m.group(1)), int(m.group(2), 16), m.group(3)
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            bm = re.match(r"\s+\[([0-9a-f]+)\]@(" + HEX + r")\+(" + HEX + r")", nxt)
            mm = re.search(r" - (/\S+)$", rest)
            if bm and mm:
                module, base, offset = mm.group(1), int(bm.group(2), 16), int(bm.group(3), 16)
                ctx.add(dump, i + 1, module, offset, offset,
                        "activation" if n == 0 else "adjusted_return_address",
                        address=addr, load_base=hex(base), printed_build_id=bm.group(1), frame_index=n)
            elif maps and not rest.strip():
                start = next((s for s, e, _, _ in maps if s <= addr < e), None)
                module = next((p for s, e, _, p in maps if s <= addr < e), None)
                if module is None:
                    continue
                offset = addr - start
                ctx.add(dump, i + 1, module, offset, offset if n == 0 else offset - 1,
                        "activation" if n == 0 else "return_address",
                        address=addr, load_base=hex(start), frame_index=n)


def kind_rust(ctx, dumps):
    """Rust's full backtraces. The frames of an address are taken from std's
    own symbolization of the same offset in the same binary (a dump of the
    unstripped binary given among the dumps: its "N: 0xADDR - name" lines with
    their "at file:line:col"), which is what a gimli-based symbolizer gives;
    binutils 2.40 names the innermost frame of an inlined chain by the
    containing function's symbol in these line-tables-only binaries. Where no
    symbolized dump has the offset, addr2line's frames are kept
    ("source": "addr2line")."""
    parsed = []
    truth = {}  # (module, offset) -> frames
    for spec in dumps:
        dump, _, mapsfile = spec.partition(":")
        mlines = read(mapsfile)
        maps = parse_maps(mlines)
        exe_base = int(re.match(r"executable_base (" + HEX + ")", mlines[0]).group(1), 16)
        lines = read(dump)
        groups = []  # [(line_no, addr, frame_index, printed, [frames])]
        for i, line in enumerate(lines):
            m = re.match(r"\s*(\d+):\s+(" + HEX + r") - (.*)$", line)
            if not m:
                continue
            addr, name = int(m.group(2), 16), m.group(3)
            at = re.match(r"\s+at (.*):(\d+):(\d+)$", lines[i + 1]) if i + 1 < len(lines) else None
            frame = {"function": None if name == "<unknown>" else name,
                     "file": at.group(1) if at else None,
                     "line": int(at.group(2)) if at else None,
                     "column": int(at.group(3)) if at else None}
            if groups and groups[-1][1] == addr:
                groups[-1][4].append(frame)
            else:
                groups.append((i + 1, addr, int(m.group(1)), name, [frame]))
        for line_no, addr, n, name, frames in groups:
            if addr == 0:
                continue
            path, base = module_of(maps, addr)
            if path is None:
                continue
            for k, f in enumerate(frames):
                f["inlined"] = k < len(frames) - 1
            if frames[0]["function"] is not None and path in ctx.modules:
                truth.setdefault((ctx.modules[path], addr - base), frames)
            parsed.append((dump, line_no, path, addr, base, n, name, exe_base))
    for dump, line_no, path, addr, base, n, name, exe_base in parsed:
        offset = addr - base
        ctx.add(dump, line_no, path, offset, offset - 1, "return_address", address=addr,
                load_base=hex(base), frame_index=n, printed_symbol=name,
                executable_base=hex(exe_base))
        rec = ctx.records[-1]
        if rec["binary"] and (rec["binary"], offset) in truth:
            rec["frames_from"] = truth[(rec["binary"], offset)]
            rec["source"] = "std"
        elif rec["binary"]:
            rec["source"] = "addr2line"


def table(path):
    """A Markdown table of the symbolizable raw frames of an expected.json."""
    doc = json.load(open(path))
    print("| dump line | module | offset | looked up at | frames (innermost first) |")
    print("| --- | --- | --- | --- | --- |")
    skipped = 0
    for r in doc["raw_frames"]:
        if not r["symbolizable"]:
            skipped += 1
            continue
        fr = "<br>".join(
            f"{'(inlined) ' if f['inlined'] else ''}`{f['function'] or '??'}` "
            f"{(f['file'] or '??').rsplit('/', 1)[-1]}:{f['line'] or '?'}" for f in r["frames"])
        print(f"| `{r['file']}`:{r['line_in_dump']} | `{r['module']}` | {r['offset']} | "
              f"{r['lookup_offset']} ({r['kind'].replace('_', ' ')}) | {fr} |")
    print()
    print(f"{skipped} further raw frames are in modules whose debug info is not committed "
          "(system libraries such as libc): listed in `expected.json` with `\"symbolizable\": false`.")


def main():
    if sys.argv[1:2] == ["table"]:
        table(sys.argv[2])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["bsyms", "asan", "tsan", "eustack", "rust"])
    ap.add_argument("out")
    ap.add_argument("dumps", nargs="+")
    ap.add_argument("--binary", action="append", default=[])
    ap.add_argument("--module", action="append", default=[])
    args = ap.parse_args()
    ctx = Ctx(args)
    if args.kind == "bsyms":
        kind_bsyms(ctx, args.dumps)
    elif args.kind in ("asan", "tsan"):
        kind_sanitizer(ctx, args.dumps, args.kind == "tsan")
    elif args.kind == "eustack":
        kind_eustack(ctx, args.dumps)
    else:
        kind_rust(ctx, args.dumps)
    ctx.finish(args.out)


if __name__ == "__main__":
    main()
