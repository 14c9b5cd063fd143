#!/usr/bin/env python3
"""fuzz/shrink-core.py CORE OUT: a small copy of an ELF core for the `core`
fuzz target seeds: the headers and notes whole, every memory segment of at
most 64 KiB whole (data, the executable's headers), and of the larger ones
only the pages around each thread's stack pointer (4 KiB below, 64 KiB
above); the rest of each segment is left out (p_filesz 0), as a core leaves
out pages it did not dump. The result unwinds and reads its locks like the
original (Go cores lose the goroutines whose structures were in the heap)."""
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
keep_whole = 64 << 10
d = open(src, 'rb').read()
machine = struct.unpack_from('<H', d, 18)[0]
phoff = struct.unpack_from('<Q', d, 32)[0]
phentsize, phnum = struct.unpack_from('<HH', d, 54)
phs = [list(struct.unpack_from('<IIQQQQQQ', d, phoff + i * phentsize)) for i in range(phnum)]
sps = []
for p in phs:
    if p[0] != 4:
        continue
    off, end = p[2], p[2] + p[5]
    while off + 12 <= end:
        nsz, dsz, t = struct.unpack_from('<III', d, off)
        desc = off + 12 + ((nsz + 3) & ~3)
        if t == 1:
            i = 19 if machine == 62 else 31
            sps.append(struct.unpack_from('<Q', d, desc + 112 + 8 * i)[0])
        off = desc + ((dsz + 3) & ~3)
out_ph, blobs = [], []
for p in phs:
    t, flags, off, vaddr, paddr, filesz, memsz, align = p
    if t != 1:
        out_ph.append((p, d[off:off + filesz]))
        continue
    if filesz <= keep_whole:
        out_ph.append((p, d[off:off + filesz]))
        continue
    wins = []
    for sp in sps:
        lo, hi = max(vaddr, (sp - 4096) & ~0xfff), min(vaddr + filesz, (sp + 65536) & ~0xfff)
        if lo < hi:
            wins.append((lo, hi))
    if not wins:
        out_ph.append(([t, flags, off, vaddr, paddr, 0, memsz, align], b''))
        continue
    wins.sort()
    for lo, hi in wins:
        out_ph.append(([t, flags, 0, lo, 0, hi - lo, hi - lo, align], d[off + lo - vaddr:off + hi - vaddr]))
n = len(out_ph)
head = bytearray(d[:64])
struct.pack_into('<Q', head, 32, 64)
struct.pack_into('<HH', head, 54, 56, n)
at = 64 + 56 * n
body = bytearray()
phbytes = bytearray()
for p, blob in out_ph:
    p = list(p)
    p[2] = at + len(body)
    p[5] = len(blob)
    phbytes += struct.pack('<IIQQQQQQ', *p)
    body += blob
open(dst, 'wb').write(bytes(head) + bytes(phbytes) + bytes(body))
