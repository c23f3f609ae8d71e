/* cfgparse/spec.h — shared helpers of the device-spec parsers.
 *
 * Every spec parser (disk, vif, pci, cpumap, ...) reports errors against
 * the place the spec came from: a list item of a config file
 * (file:line:col) or the command line (file = "command line", no line).
 * These helpers build such diagnostics and the "did you mean" hints. */
#ifndef VXL_CFGPARSE_SPEC_H
#define VXL_CFGPARSE_SPEC_H

#include <stddef.h>
#include "cfgparse/cfg.h"
#include "common/diag.h"

/* Where a spec string came from: a cfg_pos (cfgparse/cfg.h).  file may
 * be NULL (no position known); line/col are 1-based, 0 = unknown. */

/* The location used for specs given as command-line arguments. */
extern const cfg_pos vxl_loc_cmdline;

/* Append an error at loc (loc may be NULL). */
void spec_error(vxl_diags *d, const cfg_pos *loc, const char *hint,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void spec_warning(vxl_diags *d, const cfg_pos *loc, const char *hint,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The entry of words[0..n) closest to s (case-insensitive equality first,
 * then edit distance <= max(1, strlen(s)/3)), or NULL if none is close. */
const char *spec_closest(const char *s, const char *const *words, size_t n);

/* A hint for an unknown word: "did you mean `X'?" when one of words is
 * close, otherwise "<what>: a, b, c".  Caller frees. */
char *spec_hint(const char *s, const char *const *words, size_t n,
                const char *what);

#endif
