#!/usr/bin/env python3
"""tests/vhd_read.py — read a VHD chain with libvhdi (pyvhdi), the
independent oracle for vxl's differencing VHDs.

  vhd_read.py raw OUT IMG [PARENT [GRANDPARENT...]]
      write IMG's guest bytes (media size) to OUT, reading unallocated
      sectors of each differencing image from the next file given
  vhd_read.py ids IMG
      print "type identifier parent_identifier parent_filename"

  vhd_read.py model OUT IMG PARENT_RAW
      the spec read by hand, for one differencing IMG over a parent given
      as raw bytes: a sector whose bitmap bit is set comes from IMG, any
      other from the parent (zeros past its end).  libvhdi 20210425 gets
      runs of set bits that end inside a bitmap byte wrong; this does not.

Exit 2 when pyvhdi is missing (callers skip), 1 on any libvhdi error."""
import sys

try:
    import pyvhdi
except ImportError:
    if __name__ == "__main__" and sys.argv[1:2] != ["model"]:
        sys.exit(2)


def model(out, img, parent_raw):
    b = open(img, "rb").read()
    p = open(parent_raw, "rb").read()
    be = lambda x: int.from_bytes(x, "big")
    foot = b[-512:]
    h = b[be(foot[16:24]):][:1024]
    size, bat, n, block = be(foot[48:56]), be(h[16:24]), be(h[28:32]), be(h[32:36])
    spb = block // 512
    bm_bytes = ((spb + 7) // 8 + 511) // 512 * 512
    res = bytearray()
    for sec in range(size // 512):
        i, s = divmod(sec, spb)
        e = be(b[bat + 4 * i:bat + 4 * i + 4]) if i < n else 0xffffffff
        if e != 0xffffffff and b[e * 512 + s // 8] & (0x80 >> (s % 8)):
            at = e * 512 + bm_bytes + s * 512
            res += b[at:at + 512]
        else:
            res += p[sec * 512:sec * 512 + 512].ljust(512, b"\0")
    open(out, "wb").write(res)


def open_chain(paths):
    files = []
    for p in paths:
        f = pyvhdi.file()
        f.open(p)
        files.append(f)
    # parents first: a child can only be given an opened parent
    for child, parent in reversed(list(zip(files, files[1:]))):
        child.set_parent(parent)
    return files


def main(argv):
    if len(argv) >= 4 and argv[1] == "raw":
        files = open_chain(argv[3:])
        top = files[0]
        size = top.get_media_size()
        with open(argv[2], "wb") as out:
            off = 0
            while off < size:
                n = min(1 << 20, size - off)
                out.write(top.read_buffer_at_offset(n, off))
                off += n
        return 0
    if len(argv) == 5 and argv[1] == "model":
        model(argv[2], argv[3], argv[4])
        return 0
    if len(argv) == 3 and argv[1] == "ids":
        f = pyvhdi.file()
        f.open(argv[2])
        print(f.get_disk_type(), f.get_identifier(),
              f.get_parent_identifier(), f.get_parent_filename())
        return 0
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (IOError, OSError, RuntimeError, TypeError) as e:
        print("pyvhdi: %s" % e, file=sys.stderr)
        sys.exit(1)
