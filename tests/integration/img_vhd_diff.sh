# Differencing VHDs (qemu's "vpc", disk type 4) that vxl writes, read
# back by an independent implementation: libvhdi (pyvhdi, through
# tests/vhd_read.py, and vhdiinfo).  qemu-img can neither create nor
# follow the parent of a differencing VHD, so it is no oracle here.
# Also: the header fields and locators byte by byte, vxl's reading of
# hand-made children against pyvhdi's, rebase/commit, and the errors for
# a missing, foreign or replaced parent.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../img_lib.sh"
PY=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import pyvhdi' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { skip "pyvhdi (python3-libvhdi) not installed"; exit 0; }
command -v vhdiinfo >/dev/null || { skip "vhdiinfo (libvhdi-utils) not installed"; exit 0; }
RD="$VXL_TOP/tests/vhd_read.py"
cd "$TMPD" || exit 1

# mkraw NAME SIZE_MIB SEED: random data with zero holes and text
mkraw() {
    "$PY" - "$1" "$2" "$3" <<'PY'
import random, sys
name, mib, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
b = bytearray(r.randbytes(mib << 20))
b[1 << 20:(1 << 20) + 300000] = bytes(300000)        # a hole
b[3 << 20:(3 << 20) + 5000] = b"vxl vhd " * 625        # text
open(name, "wb").write(b)
PY
}
# modify NAME: a few changes at odd offsets and lengths (some inside
# one sector, some across blocks), one range zeroed
modify() {
    "$PY" - "$1" <<'PY'
import sys
name = sys.argv[1]
b = bytearray(open(name, "rb").read())
for off, n, v in ((1000, 11, 0x41), (2 * 1024 * 1024 - 700, 1500, 0x42),
                  (3000000, 100000, 0x43), (4 * 1024 * 1024 + 511, 2, 0x44)):
    b[off:off + n] = bytes([v]) * n
b[5 * 1024 * 1024 - 4096:5 * 1024 * 1024] = bytes(4096)
open(name, "wb").write(b)
PY
}
# pyvhdi reads IMG [PARENT...] as the raw file WANT (zero padded to the
# VHD's CHS-rounded size)
py_same() {
    local name=$1 want=$2; shift 2
    if ! "$PY" "$RD" raw py.out "$@" 2>py.err; then
        not_ok "$name (pyvhdi failed)"; sed 's/^/# /' py.err | head -3; return
    fi
    if "$PY" - py.out "$want" <<'PY'
import sys
a = open(sys.argv[1], "rb").read(); w = open(sys.argv[2], "rb").read()
sys.exit(0 if len(a) >= len(w) and a[:len(w)] == w and
         not any(a[len(w):]) else 1)
PY
    then ok "$name"; else not_ok "$name"; cmp py.out "$want" | head -2 | sed 's/^/# /'; fi
}
# vxl reads IMG as WANT
vxl_same() {
    rm -f vx.out
    if "$VXL" img convert -O raw "$2" vx.out 2>vx.err &&
       cmp -s <(head -c "$(stat -c %s "$3")" vx.out) "$3"; then
        ok "$1"
    else
        not_ok "$1"; sed 's/^/# /' vx.err | head -3
    fi
}
# fails NAME PATTERN CMD...: exits 1 (not a signal) with PATTERN in stderr
fails() {
    local name=$1 pat=$2; shift 2
    "$@" >/dev/null 2>f.err; local rc=$?
    if [ $rc = 1 ] && grep -q -- "$pat" f.err; then ok "$name"
    else not_ok "$name (rc=$rc)"; sed 's/^/# /' f.err | head -3; fi
}
# vhd_fields IMG PARENT RELNAME: footer/header checksums, type 4, parent
# id/time/name and the W2ru/W2ku locators as the VHD spec lays them out
vhd_fields() {
    "$PY" - "$@" <<'PY'
import os, sys
img, parent, rel = sys.argv[1:4]
b = open(img, "rb").read(); p = open(parent, "rb").read()
be = lambda x: int.from_bytes(x, "big")
def csum(blk, at):
    return (~sum(blk[:at] + blk[at + 4:])) & 0xffffffff
bad = []
def want(cond, what):
    if not cond: bad.append(what)
foot, copy = b[-512:], b[:512]
want(foot[:8] == b"conectix", "footer cookie")
want(foot == copy, "footer copy at 0 equals the footer")
want(csum(foot, 64) == be(foot[64:68]), "footer checksum")
want(be(foot[60:64]) == 4, "disk type 4")
h = b[be(foot[16:24]):][:1024]
want(h[:8] == b"cxsparse", "header cookie")
want(csum(h, 36) == be(h[36:40]), "header checksum")
pf = p[:512] if p[:8] == b"conectix" else p[-512:]
want(h[40:56] == pf[68:84], "parent unique id = parent footer id")
want(be(h[56:60]) == int(os.stat(parent).st_mtime) - 946684800,
     "parent time stamp = parent mtime (VHD epoch)")
want(h[64:576].decode("utf-16-be").rstrip("\0") == os.path.basename(parent),
     "parent unicode name (UTF-16BE)")
bat, nbat = be(h[16:24]), be(h[28:32])
locs = {}
for i in range(8):
    l = h[576 + 24 * i:600 + 24 * i]
    if be(l[:4]):
        locs[l[:4]] = (be(l[4:8]), be(l[8:12]), be(l[16:24]))
want(set(locs) == {b"W2ru", b"W2ku"}, "locators W2ru and W2ku: %r" % list(locs))
exp = {b"W2ru": ".\\" + rel.replace("/", "\\"),
       b"W2ku": os.path.realpath(parent).replace("/", "\\")}
for code, (space, n, off) in locs.items():
    txt = b[off:off + n].decode("utf-16-le")
    want(txt == exp.get(code), "%s data %r" % (code.decode(), txt))
    want(space % 512 == 0 and space >= n, "%s data space in bytes" % code.decode())
    want(off % 512 == 0 and off >= 1536 and
         (off + space <= bat or off >= bat + 4 * nbat), "%s data placement" % code.decode())
for w in bad: print("# " + w)
sys.exit(1 if bad else 0)
PY
}

mkraw p.raw 6 1
"$VXL" img convert -O vpc p.raw parent.vhd || { not_ok "parent"; exit 0; }

# --- create ----------------------------------------------------------------
check "create -b (backing format implied)" "$VXL" img create -q -f vpc -b parent.vhd child.vhd
check "info shows the backing file" sh -c '"$0" img info child.vhd | grep -qx "backing file: parent.vhd" &&
    "$0" img info child.vhd | grep -qx "backing file format: vpc"' "$VXL"
check "info json: backing-filename" sh -c '"$0" img info --output=json child.vhd | grep -q "\"backing-filename\": \"parent.vhd\""' "$VXL"
check "same size as the parent" sh -c '[ "$("$0" img info child.vhd | grep "^virtual size")" = "$("$0" img info parent.vhd | grep "^virtual size")" ]' "$VXL"
check "header fields, checksums and locators" vhd_fields child.vhd parent.vhd parent.vhd
pid=$(vhdiinfo parent.vhd | sed -n 's/^[[:space:]]*Identifier[[:space:]]*: //p')
check "vhdiinfo: differential, parent id and name" sh -c 'o=$(vhdiinfo child.vhd) &&
    echo "$o" | grep -q "Disk type.*: Differential" &&
    echo "$o" | grep -q "Parent identifier.*: $0" &&
    echo "$o" | grep -q "Parent filename.*: parent.vhd"' "$pid"
py_same "pyvhdi: empty child reads as its parent" p.raw child.vhd parent.vhd
check "-F vpc explicit" "$VXL" img create -q -f vpc -b parent.vhd -F vpc child2.vhd
check "explicit size: the parent's (CHS-rounded to the same)" "$VXL" img create -q -f vpc -b parent.vhd child3.vhd 6M
fails "explicit size other than the parent's" "has the size of its parent" "$VXL" img create -q -f vpc -b parent.vhd child4.vhd 8M
mkdir -p sub
check "create in another directory (relative name)" "$VXL" img create -q -f vpc -b ../parent.vhd sub/kid.vhd
check "locators of ../parent.vhd" vhd_fields sub/kid.vhd parent.vhd ../parent.vhd
check "create with an absolute name" "$VXL" img create -q -f vpc -b "$TMPD/parent.vhd" sub/abs.vhd
check "absolute name: W2ru is relative" vhd_fields sub/abs.vhd parent.vhd ../parent.vhd

# --- writes: convert -B ------------------------------------------------------
cp p.raw m.raw; modify m.raw
check "convert -O vpc -B" "$VXL" img convert -O vpc -B parent.vhd m.raw c1.vhd
check "c1: header fields" vhd_fields c1.vhd parent.vhd parent.vhd
py_same "pyvhdi: convert -B child + parent = modified raw" m.raw c1.vhd parent.vhd
vxl_same "vxl: convert -B child reads as the modified raw" c1.vhd m.raw
check "vhdiinfo parses the written child" sh -c 'vhdiinfo c1.vhd | grep -q "Parent identifier.*: $0"' "$pid"

if have_qemu; then
    # a sparse source: only what the overlay allocates lands in the child
    "$QI" create -q -f qcow2 -b parent.vhd -F vpc ov.qcow2
    FMT=qcow2 qw ov.qcow2 "write -P 0x5a 1M 4k" "write -P 0x17 4100k 64k" "write -z 5M 64k"
    "$QI" convert -O raw ov.qcow2 ov.raw
    check "convert -B from a qcow2 overlay" "$VXL" img convert -O vpc -B parent.vhd ov.qcow2 c2.vhd
    py_same "pyvhdi: sparse child + parent = overlay" ov.raw c2.vhd parent.vhd
    check "sparse child allocates 2 of 3 blocks" sh -c '[ $(stat -c %s c2.vhd) -lt $((5 << 20)) ]'
fi

# --- vxl reads hand-made children as pyvhdi does ---------------------------
# a vxl-made dynamic image turned into a child of parent.vhd by hand:
# type 4, parent id and name, and bitmaps with holes.  libvhdi 20210425
# (Debian 12) reads a run of set bits that ends inside a bitmap byte as
# if it lasted to the end of that byte, so runs of whole bytes (8
# sectors) are compared with pyvhdi, and odd runs with a reading of the
# spec written here in Python (tests/vhd_read.py model).
mkraw k.raw 6 2
"$VXL" img convert -O vpc k.raw kd.vhd
for pat in 0 1 2 3 4; do
    "$PY" - kd.vhd parent.vhd hand$pat.vhd $pat <<'PY'
import sys
src, parent, out, pat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
b = bytearray(open(src, "rb").read()); p = open(parent, "rb").read()
be = lambda x: int.from_bytes(x, "big")
def seal(blk, at):
    blk[at:at + 4] = bytes(4)
    blk[at:at + 4] = ((~sum(blk)) & 0xffffffff).to_bytes(4, "big")
b[60:64] = (4).to_bytes(4, "big"); f = b[:512]; seal(f, 64)
b[:512] = f; b[-512:] = f
h = bytearray(b[512:1536])
h[40:56] = p[68:84]
name = "parent.vhd".encode("utf-16-be"); h[64:64 + len(name)] = name
seal(h, 36); b[512:1536] = h
for i in range(be(h[28:32])):
    e = be(b[be(h[16:24]) + 4 * i:][:4])
    if e == 0xffffffff: continue
    bm = bytearray(512)
    for s in range(4096):
        keep = [(s // 16) % 2, (s % 64) < 40, s >= 1000 + 304 * i,
                (s // 7) % 2, s % 3 == 0][pat]
        if keep: bm[s // 8] |= 0x80 >> (s % 8)
    b[e * 512:e * 512 + 512] = bm
open(out, "wb").write(b)
PY
    if [ $pat -le 2 ]; then
        "$PY" "$RD" raw hand$pat.ref hand$pat.vhd parent.vhd
    else
        "$PY" "$RD" model hand$pat.ref hand$pat.vhd p.raw
    fi
    vxl_same "vxl reads hand-made child $pat as $([ $pat -le 2 ] && echo pyvhdi || echo the spec model)" hand$pat.vhd hand$pat.ref
done

# --- rebase and commit ---------------------------------------------------------
mkdir -p moved; cp -p parent.vhd moved/p2.vhd
cp c1.vhd r1.vhd
check "rebase -u to a moved copy of the parent" "$VXL" img rebase -u -b moved/p2.vhd r1.vhd
check "rebase -u: locators rewritten" vhd_fields r1.vhd moved/p2.vhd moved/p2.vhd
py_same "pyvhdi: rebased child + moved parent" m.raw r1.vhd moved/p2.vhd
mkraw o.raw 6 3
"$VXL" img convert -O vpc o.raw other.vhd
cp c1.vhd r2.vhd
check "rebase onto a different parent (safe)" "$VXL" img rebase -b other.vhd r2.vhd
check "safe rebase: header names the new parent" vhd_fields r2.vhd other.vhd other.vhd
py_same "pyvhdi: safe-rebased child + new parent = same content" m.raw r2.vhd other.vhd
cp parent.vhd pc.vhd
"$VXL" img convert -O vpc -B pc.vhd m.raw c4.vhd
check "commit into the parent" "$VXL" img commit -q c4.vhd
py_same "pyvhdi: the parent now holds the child's data" m.raw pc.vhd
py_same "pyvhdi: the emptied child reads as its parent" m.raw c4.vhd pc.vhd
check "emptied child is small" sh -c '[ $(stat -c %s c4.vhd) -lt 65536 ]'
fails "rebase -b '' is refused (not supported)" "not supported" "$VXL" img rebase -u -b "" r1.vhd
check "... and the image is unchanged" vhd_fields r1.vhd moved/p2.vhd moved/p2.vhd
# a safe rebase refuses before copying anything in (it used to copy the
# parent's data into the child and then refuse)
"$VXL" img create -q -f vpc -b moved/p2.vhd r3.vhd     # empty: all from the parent
before=$(sha256sum < r3.vhd)
fails "safe rebase -b '' is refused (not supported)" "not supported" "$VXL" img rebase -b "" r3.vhd
check "... before writing to the image" test "$(sha256sum < r3.vhd)" = "$before"
before=$(sha256sum < other.vhd)
fails "safe rebase of a dynamic VHD onto a parent is refused" "only a differencing VHD" \
    "$VXL" img rebase -b moved/p2.vhd other.vhd
check "... before writing to the image" test "$(sha256sum < other.vhd)" = "$before"

# --- errors ----------------------------------------------------------------
fails "parent not a VHD (-F raw)" "must be a VHD image" "$VXL" img create -f vpc -b p.raw -F raw x1.vhd
fails "parent not a VHD (implied vpc)" "no VHD footer" "$VXL" img create -f vpc -b p.raw x2.vhd
fails "parent missing at create" "ould not open backing" "$VXL" img create -f vpc -b nothere.vhd x3.vhd
check "no image left behind" sh -c '! [ -e x1.vhd ] || ! [ -s x1.vhd ]'
fails "convert -B with a non-VHD parent" "must be a VHD image" "$VXL" img convert -O vpc -B p.raw -F raw m.raw x4.vhd
check "... leaves no output" test ! -e x4.vhd
cp c1.vhd e1.vhd
mv parent.vhd parent.gone
fails "parent missing at read" "could not open backing file" "$VXL" img convert -O raw e1.vhd e1.raw
check "info still works without the parent" sh -c '"$0" img info e1.vhd | grep -q "backing file: parent.vhd"' "$VXL"
# a parent re-created (new unique id) under the same name is refused
"$VXL" img convert -O vpc m.raw parent.vhd
fails "re-created parent (unique id differs) is refused" "replaced or re-created" "$VXL" img convert -O raw e1.vhd e1.raw
fails "... also for writing" "replaced or re-created" "$VXL" img commit e1.vhd
rm parent.vhd; mv parent.gone parent.vhd
# a parent whose time stamp changed (copied, touched) still opens
touch -d '2024-01-02 03:04:05' parent.vhd
vxl_same "parent with another mtime still opens (not checked)" e1.vhd m.raw
# corrupt locator checksum: the header checksum covers the locators
"$PY" - e1.vhd <<'PY'
import sys
f = open(sys.argv[1], "r+b"); f.seek(512 + 576 + 8); f.write(b"\x00\x00\x10\x00")
PY
fails "a locator changed behind the checksum" "header checksum" "$VXL" img info e1.vhd
