/* disk/imgopt.h — qemu-img compatible parsing and printing of sizes.
 *
 * These are the textual conventions of qemu-img's command line (qemu's
 * qemu_strtosz() and size_to_str()), kept in the library so they can be
 * unit-tested:
 *   sizes:    "1048576", "64k", "1.5G", "2T", "0x1000" (qemu_strtosz: binary
 *             units K M G T P E, optional 'B'; a fraction needs a unit and
 *             is rounded half up; hex takes no fraction)
 * No function here prints. */
#ifndef VXL_DISK_IMGOPT_H
#define VXL_DISK_IMGOPT_H

#include <stddef.h>
#include <stdint.h>

/* Parse a size as qemu-img does (default unit: bytes).
 * Returns 0, -EINVAL (malformed) or -ERANGE (does not fit in 64 bits). */
int imgopt_parse_size(const char *s, uint64_t *out);

/* Same, with the multiplier used when no suffix is given. */
int imgopt_parse_size_unit(const char *s, uint64_t default_mul, uint64_t *out);

/* qemu's size_to_str(): "0 B", "196 KiB", "1.33 MiB", "64 MiB", "1 GiB".
 * Caller frees. */
char *imgopt_size_to_str(uint64_t v);

#endif
