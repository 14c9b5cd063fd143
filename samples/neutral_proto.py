#!/usr/bin/env python3
"""Replaces machine paths inside a gzipped pprof profile (profile.proto).

Usage: neutral_proto.py IN OUT [FROM=TO ...]

Only the strings of the top-level string_table (field 6 of Profile) change:
every FROM prefix is replaced by its TO, in the order given, anywhere in the
string (as generate.sh's `neutral` does with sed on text dumps). Each changed
string gets its new length; every other field is copied byte for byte. The
result is gzipped again with mtime 0 and no file name. IN and OUT may be the
same file. Standard library only."""
import gzip
import sys

STRING_TABLE = 6


def varint(buf, i):
    """Reads a varint at buf[i]; returns (value, next index)."""
    x = 0
    shift = 0
    while True:
        b = buf[i]
        i += 1
        x |= (b & 0x7F) << shift
        if b < 0x80:
            return x, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def encode_varint(x):
    out = bytearray()
    while x >= 0x80:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    out.append(x)
    return bytes(out)


def rewrite(profile, replacements):
    """Returns (new profile bytes, number of strings changed)."""
    out = bytearray()
    changed = 0
    i = 0
    n = len(profile)
    while i < n:
        start = i
        key, i = varint(profile, i)
        field, wire = key >> 3, key & 7
        if wire == 0:  # varint
            _, i = varint(profile, i)
        elif wire == 1:  # 64-bit
            i += 8
        elif wire == 5:  # 32-bit
            i += 4
        elif wire == 2:  # length-delimited
            length, j = varint(profile, i)
            end = j + length
            if end > n:
                raise ValueError("truncated field %d at %d" % (field, start))
            if field == STRING_TABLE:
                s = bytes(profile[j:end])
                t = s.decode("utf-8", "surrogateescape")
                for old, new in replacements:
                    t = t.replace(old, new)
                u = t.encode("utf-8", "surrogateescape")
                if u != s:
                    changed += 1
                    out += profile[start:i]  # the key, unchanged
                    out += encode_varint(len(u))
                    out += u
                    i = end
                    continue
            i = end
        else:
            raise ValueError("wire type %d at %d" % (wire, start))
        if i > n:
            raise ValueError("truncated field %d at %d" % (field, start))
        out += profile[start:i]
    return bytes(out), changed


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    src, dst = argv[1], argv[2]
    replacements = []
    for arg in argv[3:]:
        old, sep, new = arg.partition("=")
        if not sep or not old:
            sys.exit("bad replacement %r (want FROM=TO)" % arg)
        replacements.append((old, new))
    with open(src, "rb") as f:
        raw = f.read()
    data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    new, _ = rewrite(data, replacements)
    with open(dst, "wb") as f:
        f.write(gzip.compress(new, mtime=0))


if __name__ == "__main__":
    main(sys.argv)
