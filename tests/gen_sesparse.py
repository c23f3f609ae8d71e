#!/usr/bin/env python3
"""tests/gen_sesparse.py — build a VMware seSparse VMDK (descriptor + extent)
for the tests, since no tool here creates one.

    gen_sesparse.py OUT.vmdk --size BYTES [--seed N] [--expect RAW]
                    [--parent NAME --parent-cid HEX] [--parent-raw RAW]
                    [--corrupt KIND]

Writes OUT.vmdk (the text descriptor, createType "seSparse", one SESPARSE
extent) and OUT-sesparse.vmdk (the extent).  With --expect, RAW receives
the guest content the image is meant to have: allocated grains' data,
zeros for zero and unmapped grains, and for unallocated grains the
parent's bytes (--parent-raw, the parent's raw content) or zeros.

The extent, as this script lays it out (every offset and size in
512-byte sectors, every field little-endian):

  sector 0   const header: magic 0xcafebabe, version 0x200000001,
             capacity, grain size 8, grain table size 64, flags 0, four
             reserved zeros, then (offset, size) pairs of the volatile
             header, journal header, journal, grain directory, grain
             tables, free bitmap, backmap and grains; zero padding.
  sector 1   volatile header: magic 0xcafecafe, free GT number, next
             transaction number, replay-journal 0; zero padding.
  GD         64-bit entries, one per 16 MiB of guest space: 0 (no table)
             or 0x10000000_00000000 | index of the table in the GT area.
  GT area    tables of 4096 64-bit entries (64 sectors each), one per
             4 KiB grain; top nibble 0 unallocated (entry 0), 1 unmapped,
             2 zero, 3 allocated with the grain's index in the grain area
             split: low 12 bits in bits 48-59, the rest in bits 0-47.
  grains     4 KiB grains, grain i at grains offset + 8 * i.

Tables and grains are placed out of order (a shuffled index), some grain
indices are >= 4096 so both parts of the split index matter, and one
16 MiB range has no table at all.  --corrupt KIND breaks one thing (see
CORRUPT below); the expected content is then meaningless.
"""
import argparse
import os
import random
import struct

GRAIN = 4096                    # bytes
GTES = 4096                     # entries per table
GT_BYTES = GTES * 8
SPAN = GRAIN * GTES             # guest bytes per table (16 MiB)

CORRUPT = {
    'bad-magic': 'const header magic wrong',
    'bad-version': 'unsupported version',
    'bad-grain-size': 'grain size 16 sectors',
    'bad-pad': 'a non-zero byte in the const header padding',
    'bad-vol-magic': 'volatile header magic wrong',
    'dirty': 'replay-journal set in the volatile header',
    'vol-outside': 'volatile header past the end of the file',
    'gd-huge': 'grain directory of 2^40 sectors',
    'gd-outside': 'grain directory past the end of the file',
    'gd-small': 'grain directory of 0 sectors',
    'gd-bad-entry': 'a directory entry without the 0x10000000 tag',
    'gt-outside': 'a directory entry naming a table past the end',
    'gte-bad-type': 'a table entry of type 4',
    'gte-unalloc-junk': 'a table entry of type 0 that is not 0',
    'grain-past-eof': 'an allocated grain past the end of the file',
    'grain-index-huge': 'an allocated grain with index 2^59',
    'capacity-huge': 'capacity of 2^62 sectors',
    'truncated-header': 'extent cut to 300 bytes',
    'truncated-tables': 'extent cut inside the grain tables',
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--size', type=int, required=True, help='bytes')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--expect')
    ap.add_argument('--parent')
    ap.add_argument('--parent-cid', default='ffffffff')
    ap.add_argument('--parent-raw')
    ap.add_argument('--corrupt', choices=sorted(CORRUPT))
    ap.add_argument('--cid', default=None)
    ap.add_argument('--compact', action='store_true',
                    help='small extent (fuzz seeds): grain indices below '
                         '4096 allowed only, grains aligned to 4 KiB')
    ap.add_argument('--list-corrupt', action='store_true',
                    help='print the --corrupt kinds and exit')
    if '--list-corrupt' in __import__('sys').argv:
        print('\n'.join(sorted(CORRUPT)))
        return
    o = ap.parse_args()
    rnd = random.Random(o.seed)

    cap_sec = (o.size + 511) // 512
    size = cap_sec * 512
    ngrains = (size + GRAIN - 1) // GRAIN
    ngd = (ngrains + GTES - 1) // GTES
    gd_sec = max(1, (ngd * 8 + 511) // 512)

    # grain states: u(nallocated), z(ero), m (unmapped), a(llocated)
    states = rnd.choices('uzma', weights=[35, 12, 5, 48], k=ngrains)
    # one 16 MiB range without a table (when there are several)
    empty_gd = rnd.randrange(ngd) if ngd > 1 else None
    if empty_gd is not None:
        for g in range(empty_gd * GTES, min(ngrains, (empty_gd + 1) * GTES)):
            states[g] = 'u'
    tabled = [i for i in range(ngd) if i != empty_gd]
    # tables in shuffled slots of the table area, with a spare slot
    slots = list(range(len(tabled) + 1))
    rnd.shuffle(slots)
    gt_slot = dict(zip(tabled, slots))
    ntables = len(slots)
    # grain indices: shuffled, spread so some are >= 4096
    alloc = [g for g in range(ngrains) if states[g] == 'a']
    # (4101: low 12 bits 5, high part 1; 3: high part 0)
    forced = [] if o.compact else [4096 + 5, 3][:len(alloc)]
    top = 2 * len(alloc) if o.compact else 4096 + 2 * len(alloc)
    rest = [i for i in range(top) if i not in forced]
    pool = forced + rnd.sample(rest, len(alloc) - len(forced))
    gidx = dict(zip(alloc, pool))
    ngrain_slots = max(pool) + 1 if pool else 0

    const_sec, vol_sec, jh_sec, j_sec = 0, 1, 2, 4
    gd_off = 16
    gt_off = gd_off + gd_sec
    gt_off = (gt_off + 63) // 64 * 64
    gt_size = ntables * 64
    fb_off = gt_off + gt_size
    fb_size = 8
    bm_off = fb_off + fb_size
    bm_size = 8
    align = 8 if o.compact else 2048
    grains_off = (bm_off + bm_size + align - 1) // align * align
    grains_size = ngrain_slots * 8
    file_sec = grains_off + grains_size

    h = bytearray(512)
    capacity = cap_sec
    if o.corrupt == 'capacity-huge':
        capacity = 1 << 62
    fields = [0xcafebabe, 0x0000000200000001, capacity,
              16 if o.corrupt == 'bad-grain-size' else 8, 64, 0, 0, 0, 0, 0,
              vol_sec if o.corrupt != 'vol-outside' else file_sec + 100, 1,
              jh_sec, 2, j_sec, 4,
              gd_off if o.corrupt != 'gd-outside' else file_sec + 100,
              gd_sec if o.corrupt != 'gd-huge' else 1 << 40,
              gt_off, gt_size, fb_off, fb_size, bm_off, bm_size,
              grains_off, grains_size]
    if o.corrupt == 'bad-magic':
        fields[0] = 0xcafebabf
    if o.corrupt == 'bad-version':
        fields[1] = 0x0000000300000001
    struct.pack_into('<26Q', h, 0, *fields)
    if o.corrupt == 'bad-pad':
        h[400] = 1
    v = bytearray(512)
    struct.pack_into('<4Q', v, 0,
                     0xcafecafe if o.corrupt != 'bad-vol-magic' else 0xcafe,
                     ntables, 1, 1 if o.corrupt == 'dirty' else 0)

    gd = bytearray(gd_sec * 512)
    for i in tabled:
        struct.pack_into('<Q', gd, 8 * i, (0x10000000 << 32) | gt_slot[i])
    if o.corrupt == 'gd-bad-entry' and tabled:
        struct.pack_into('<Q', gd, 8 * tabled[0], (0x20000000 << 32) | 0)
    if o.corrupt == 'gt-outside' and tabled:
        struct.pack_into('<Q', gd, 8 * tabled[0], (0x10000000 << 32) | 0xfffff)
    gts = bytearray(gt_size * 512)
    data = {}
    for g in range(ngrains):
        gdi, k = divmod(g, GTES)
        if gdi not in gt_slot:
            continue
        st = states[g]
        if st == 'u':
            e = 0
        elif st == 'z':
            e = 2 << 60
        elif st == 'm':
            e = 1 << 60
        else:
            i = gidx[g]
            e = (3 << 60) | ((i & 0xfff) << 48) | (i >> 12)
            kind = rnd.random()
            if kind < 0.1:
                data[g] = bytes(GRAIN)               # allocated zeros
            elif kind < 0.3:
                data[g] = bytes([rnd.randrange(256)]) * GRAIN
            else:
                data[g] = rnd.randbytes(GRAIN)
        struct.pack_into('<Q', gts, gt_slot[gdi] * GT_BYTES + 8 * k, e)

    def first_alloc_entry():
        for g in alloc:
            gdi, k = divmod(g, GTES)
            return gt_slot[gdi] * GT_BYTES + 8 * k
        raise SystemExit('no allocated grain to corrupt')
    if o.corrupt == 'gte-bad-type':
        struct.pack_into('<Q', gts, first_alloc_entry(), 4 << 60)
    if o.corrupt == 'gte-unalloc-junk':
        struct.pack_into('<Q', gts, first_alloc_entry(), 5)
    if o.corrupt == 'grain-past-eof':
        i = ngrain_slots + 1000
        struct.pack_into('<Q', gts, first_alloc_entry(),
                         (3 << 60) | ((i & 0xfff) << 48) | (i >> 12))
    if o.corrupt == 'grain-index-huge':
        i = 1 << 59
        struct.pack_into('<Q', gts, first_alloc_entry(),
                         (3 << 60) | ((i & 0xfff) << 48) | (i >> 12))
    if o.corrupt == 'gd-small':
        struct.pack_into('<Q', h, 8 * 17, 0)    # a directory of no entries

    base = o.out[:-5] if o.out.endswith('.vmdk') else o.out
    ext_path = base + '-sesparse.vmdk'
    with open(ext_path, 'wb') as f:
        f.truncate(file_sec * 512)
        f.write(h)
        f.seek(vol_sec * 512)
        f.write(v)
        f.seek(gd_off * 512)
        f.write(gd)
        f.seek(gt_off * 512)
        f.write(gts)
        for g, d in data.items():
            f.seek((grains_off + 8 * gidx[g]) * 512)
            f.write(d)
        if o.corrupt == 'truncated-header':
            f.truncate(300)
        elif o.corrupt == 'truncated-tables':
            f.truncate(gt_off * 512 + 4096)

    cid = o.cid or '%08x' % rnd.getrandbits(32)
    lines = ['# Disk DescriptorFile', 'version=1', 'encoding="UTF-8"',
             'CID=' + cid, 'parentCID=' + o.parent_cid,
             'createType="seSparse"']
    if o.parent:
        lines.append('parentFileNameHint="%s"' % o.parent)
    lines += ['', '# Extent description',
              'RW %d SESPARSE "%s"' % (cap_sec, os.path.basename(ext_path)),
              '', '# The Disk Data Base', '#DDB', '',
              'ddb.adapterType = "lsilogic"',
              'ddb.geometry.cylinders = "%d"' % min(65535, cap_sec // (255 * 63)),
              'ddb.geometry.heads = "255"', 'ddb.geometry.sectors = "63"',
              'ddb.longContentID = "%032x"' % rnd.getrandbits(128),
              'ddb.virtualHWVersion = "14"', '']
    with open(o.out, 'w') as f:
        f.write('\n'.join(lines))

    if o.expect:
        parent = None
        if o.parent_raw:
            with open(o.parent_raw, 'rb') as f:
                parent = f.read()
        with open(o.expect, 'wb') as f:
            for g in range(ngrains):
                n = min(GRAIN, size - g * GRAIN)
                st = states[g]
                if st == 'a':
                    f.write(data[g][:n])
                elif st == 'u' and parent is not None:
                    chunk = parent[g * GRAIN:g * GRAIN + n]
                    f.write(chunk + bytes(n - len(chunk)))
                else:
                    f.write(bytes(n))
    counts = {k: states.count(k) for k in 'uzma'}
    print('%s: %d grains (%d unallocated, %d zero, %d unmapped, %d '
          'allocated), %d tables, grain indices up to %d' %
          (o.out, ngrains, counts['u'], counts['z'], counts['m'], counts['a'],
           len(tabled), ngrain_slots - 1))


if __name__ == '__main__':
    main()
