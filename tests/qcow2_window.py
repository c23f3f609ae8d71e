#!/usr/bin/env python3
# tests/qcow2_window.py — decode every deflate-compressed cluster of a
# qcow2 image the strict way: zlib raw inflate with windowBits -12 (what
# QEMU sets up), fed output space in small steps so that any match reaching
# further back than 4 KiB fails ("invalid distance too far back").
# Prints the number of compressed clusters; exits 1 on a bad cluster.
import struct, sys, zlib

f = open(sys.argv[1], 'rb')
h = f.read(48)
cbits = struct.unpack('>I', h[20:24])[0]
l1_size, l1_off = struct.unpack('>IQ', h[36:48])
cs = 1 << cbits
x = 62 - (cbits - 8)
f.seek(l1_off)
l1 = struct.unpack('>%dQ' % l1_size, f.read(8 * l1_size))
n = 0
for e in l1:
    l2_off = e & 0x00fffffffffffe00
    if not l2_off:
        continue
    f.seek(l2_off)
    for le in struct.unpack('>%dQ' % (cs // 8), f.read(cs)):
        if not le >> 62 & 1:
            continue
        off = le & ((1 << x) - 1)
        size = (((le >> x) & ((1 << (cbits - 8)) - 1)) + 1) * 512 - (off & 511)
        f.seek(off)
        data = f.read(size)
        d = zlib.decompressobj(-12)
        out = b''
        try:
            while len(out) < cs:
                chunk = d.decompress(data, 256)
                if not chunk:
                    break
                out += chunk
                data = d.unconsumed_tail
        except zlib.error as ex:
            sys.exit('cluster at %#x: %s' % (off, ex))
        if len(out) != cs:
            sys.exit('cluster at %#x: %d bytes, not %d' % (off, len(out), cs))
        n += 1
print(n)
