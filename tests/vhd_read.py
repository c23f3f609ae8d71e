#!/usr/bin/env python3
"""tests/vhd_read.py — read a VHD chain with libvhdi (pyvhdi), the
independent oracle for vxl's differencing VHDs.

  vhd_read.py raw OUT IMG [PARENT [GRANDPARENT...]]
      write IMG's guest bytes (media size) to OUT, reading unallocated
      sectors of each differencing image from the next file given
  vhd_read.py ids IMG
      print "type identifier parent_identifier parent_filename"

Exit 2 when pyvhdi is missing (callers skip), 1 on any libvhdi error."""
import sys

try:
    import pyvhdi
except ImportError:
    sys.exit(2)


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
