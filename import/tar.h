/* import/tar.h — a sequential reader of tar archives, for OVA import.
 *
 * Reads ustar, pax (extended headers: path, size; global headers are
 * parsed and ignored) and GNU archives (long names, type 'L'; base-256
 * sizes) front to back through a read callback; member data is either
 * read (tar_read) or skipped (with the skip callback when the input can
 * seek, else by reading).
 *
 * Hostile archives: every header checksum is verified; a member whose
 * name is absolute, empty or has a ".." component, a symbolic or hard
 * link, a device, a FIFO, a GNU sparse file (type 'S' or pax
 * GNU.sparse.*), a multi-volume continuation, an unknown type, or a name
 * seen before, is refused with an error naming the member; extended
 * headers and long names are size-limited; an archive that ends inside a
 * header or inside a member's data (when the total size is known: as
 * soon as the header claims more than is left) is "truncated".  A lone
 * end-of-archive block or plain EOF at a header boundary ends the
 * archive.  Leading "./" components of names are dropped, so "./x.ovf"
 * and "x.ovf" are the same member.
 *
 * Errors go to the caller's vxl_diags (file = the archive's name); the
 * functions return a negative errno.  Nothing here prints. */
#ifndef VXL_IMPORT_TAR_H
#define VXL_IMPORT_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/diag.h"

#define TAR_BLOCK         512
#define TAR_MAX_NAME      4096          /* bytes of a member name */
#define TAR_MAX_PAX       (1u << 20)    /* bytes of one pax header */
#define TAR_MAX_MEMBERS   100000

/* Input.  read returns bytes read (short only at EOF), 0 at EOF, or a
 * negative errno.  skip (may be NULL) advances n bytes without reading;
 * it may go past EOF (the next read then returns 0).  total is the
 * archive size when known (a file), else 0. */
struct tar_io {
    ssize_t (*read)(void *opaque, void *buf, size_t n);
    int (*skip)(void *opaque, uint64_t n);
    void *opaque;
    uint64_t total;
};

enum tar_type { TAR_FILE, TAR_DIR };

struct tar_entry {
    const char *name;       /* owned by the reader; valid until tar_next */
    enum tar_type type;
    uint64_t size;          /* data bytes (0 for a directory) */
    uint64_t offset;        /* archive offset of the first data byte */
    uint64_t header_offset; /* of its (first) header block */
};

struct tar_reader;

/* name is used in diagnostics; io is copied. */
struct tar_reader *tar_reader_new(const struct tar_io *io, const char *name);
void tar_reader_free(struct tar_reader *t);

/* Advance to the next member (skipping what is left of the current
 * one).  Returns 1 with *e filled, 0 at the end of the archive, or a
 * negative errno with a diagnostic. */
int tar_next(struct tar_reader *t, struct tar_entry *e, vxl_diags *d);

/* Read up to n bytes of the current member's data.  Returns the bytes
 * read (0 at the end of the member) or a negative errno (a truncated
 * archive is an error here). */
ssize_t tar_read(struct tar_reader *t, void *buf, size_t n, vxl_diags *d);

/* Exposed for tests: the checksum of a header block as tar computes it
 * (the checksum field counted as spaces), unsigned bytes. */
unsigned tar_header_checksum(const uint8_t *blk);

#endif
