/* common/diag.h — diagnostics collected by libraries, printed by xl/.
 *
 * Libraries never print: they append diagnostics (error, warning, note)
 * with a source position to a vxl_diags list and return an error code.
 * The command layer prints them as  file:line:col: error: message
 * followed by an optional "  hint: ..." line. */
#ifndef VXL_COMMON_DIAG_H
#define VXL_COMMON_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum vxl_severity { VXL_ERROR, VXL_WARNING, VXL_NOTE };

typedef struct vxl_diag {
    enum vxl_severity sev;
    char *file;     /* may be NULL: no position known */
    int line, col;  /* 1-based; 0 = unknown */
    char *msg;
    char *hint;     /* may be NULL */
} vxl_diag;

typedef struct vxl_diags {
    vxl_diag *v;
    size_t n, cap;
    size_t nerrors;
} vxl_diags;

/* Add a diagnostic; file may be NULL, hint may be NULL. */
void vxl_diag_add(vxl_diags *d, enum vxl_severity sev, const char *file,
                  int line, int col, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
void vxl_diags_free(vxl_diags *d);
/* Format one diagnostic as text (no trailing newline). Caller frees. */
char *vxl_diag_format(const vxl_diag *dg);
void vxl_diags_print(const vxl_diags *d, FILE *out);

#endif
