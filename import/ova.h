/* import/ova.h — OVA archives as an appliance source (import/import.h).
 *
 * vimport_ova_open() reads the archive's tar headers front to back
 * (import/tar.h: unsafe members are refused there), seeking over member
 * data, and keeps each member's byte range.  The descriptor (the one
 * top-level *.ovf; by the OVF spec it comes first, but a later one is
 * accepted with a note), the manifest (*.mf) and a certificate (*.cert,
 * reported in a note: its signature is NOT verified) are read into
 * memory, size-limited.  Nothing is extracted:
 *
 *  - Disks are converted in place: a file reference's members (one, or
 *    the chunks of an ovf:chunkSize file) become the segments of a
 *    vdisk window (disk.h, vdisk_open_window) over the archive's fd and
 *    the conversion engine reads the image from there.  raw and VMDK
 *    sparse images (streamOptimized, the usual OVA disk, and
 *    monolithicSparse) can be read so; other formats fail with a clear
 *    error.  A gzip-compressed reference (ovf:compression="gzip") is
 *    inflated into a temporary file in the request's scratch directory,
 *    converted from there and removed.
 *  - The manifest is verified while the data is read: a member's digest
 *    is computed from the bytes the conversion reads (a hash "tap" on the
 *    window, which fills small gaps itself and reads what the conversion
 *    skipped at the end), so a disk is read once, not twice.  The
 *    converted image is written under a temporary name and renamed to
 *    its destination only when the digests match; on a mismatch it is
 *    removed and the error names the member.  vimport_source_read()
 *    verifies the member it returns; the descriptor is verified at open.
 *    vimport_ova_verify_rest() verifies the members no one has read.
 *  - Members missing from the manifest and manifest entries naming no
 *    member are reported as warnings at open.
 *
 * SOURCE must be a regular (seekable) file: an OVA on a pipe or stdin is
 * refused with a hint to save it first (its disks are read by offset).
 */
#ifndef VXL_IMPORT_OVA_H
#define VXL_IMPORT_OVA_H

#include <stdint.h>

#include "common/diag.h"
#include "import/import.h"

/* In-memory size limits of the small members. */
#define VOVA_MAX_MF     (1u << 20)
#define VOVA_MAX_CERT   (1u << 20)

int vimport_ova_open(const char *path, struct vimport_source **out,
                     vxl_diags *d);

/* Verify every member listed in the manifest that has not been verified
 * yet (read or converted), by reading it.  Returns 0, or -EINVAL after an
 * error diagnostic per mismatching member.  No-op without a manifest. */
int vimport_ova_verify_rest(struct vimport_source *s, vxl_diags *d);

/* Statistics of the last vimport_source_convert() of an OVA, for tests
 * and benchmarks: bytes of member data hashed from the conversion's own
 * reads, and bytes the hash tap had to read itself. */
struct vova_tap_stats {
    uint64_t observed, reread;
};
void vimport_ova_tap_stats(const struct vimport_source *s,
                           struct vova_tap_stats *st);

#endif
