/* cfgparse/cfg.h — the xl.cfg reader: Xen 4.17 libxlu's config grammar.
 *
 * This is libxlutil.h's config API (xlu_cfg_*) one-to-one with a cfg_
 * prefix, so code ported from xl_parse.c maps directly:
 *
 *     xlu_cfg_get_long(config, "memory", &l, 0)
 *  -> cfg_get_long(config, "memory", &l, 0, diags)
 *
 * Differences from libxlu, all additive:
 *  - nothing prints: problems become diagnostics in a vxl_diags (errors
 *    from reading, VXL_WARNING from lookups when dont_warn == 0).  Every
 *    function taking a vxl_diags * accepts NULL (= don't record);
 *  - positions (file, line, column) of settings, values and list items;
 *  - cfg_readdata_extra() for `xl create cfg key=value ...' overrides;
 *  - after a failed read the config stays safe to query (libxlu calls
 *    that undefined), but its contents are unspecified: treat a failed
 *    read as fatal, as xl does.
 *
 * Grammar (exactly libxlu's; docs/xl-cfg-syntax.md lists every quirk):
 *
 *     file      := { stmt } [ assignment ]      -- last one needs no ';'/NL
 *     stmt      := assignment (NL | ';') | NL | ';'
 *     assignment:= IDENT ('=' | '+=') value
 *     value     := STRING | NUMBER | '[' nl* [ value nl* { ',' nl* value nl* }
 *                  [ ',' nl* ] ] ']'        -- lists nest
 *     IDENT     := [a-z][._0-9a-z]*          NUMBER := [0-9][0-9a-fx]*
 *     STRING    := '...' or "..." with libxlu's backslash escapes
 *     NL        := newline, or '#' comment running to (and including) a
 *                  newline.  A '#' comment on a last line without a
 *                  trailing newline is a lexical error, as in libxlu.
 *
 * Numbers are kept as their text; cfg_get_long converts with strtol(base 0)
 * at lookup time, so `memory = "512"' and `memory = 512' are the same.
 *
 * A name given twice: the last one wins.  `name += value' appends to the
 * previous value of `name' (list to list, string to string concatenation;
 * mixing them is a parse error); with no previous value it is a plain
 * assignment, except that cfg_get_long and friends refuse a value whose
 * latest setting used += (libxlu: "can't use += with numbers").
 *
 * Return codes are libxlu's errno values:
 *   0       OK
 *   ESRCH   not set
 *   EINVAL  set but of the wrong kind (list vs single value), not a valid
 *           number, out of the requested bounds, or a syntax error in a read
 *   ERANGE  number out of the range of long (from strtol)
 *   other   errno from opening/reading a file
 *
 * Lifetimes: every pointer handed out (strings, lists, values, file names
 * in cfg_pos) lives as long as the cfg_config. */
#ifndef VXL_CFGPARSE_CFG_H
#define VXL_CFGPARSE_CFG_H

#include <stddef.h>
#include "common/diag.h"

typedef struct cfg_config cfg_config;
typedef struct cfg_list cfg_list;
typedef struct cfg_value cfg_value;

enum cfg_value_type { CFG_STRING, CFG_LIST };   /* = XLU_STRING, XLU_LIST */
enum cfg_op { CFG_OP_ASSIGNMENT, CFG_OP_ADDITION };

/* A source position.  file is the name given to cfg_init (or the origin
 * given to cfg_readdata_extra for override text); line and col are
 * 1-based, col counts bytes. */
typedef struct cfg_pos {
    const char *file;
    int line, col;
} cfg_pos;

/* ---- reading ------------------------------------------------------- */

/* A new, empty config.  filename is copied and is what diagnostics and
 * cfg_pos name (xl passes the config file's name; "command line" for
 * specs given as arguments).  Never returns NULL. */
cfg_config *cfg_init(const char *filename);

/* Parse a whole file / a buffer (which may contain NUL bytes) and add its
 * settings to cfg.  Several reads into one config accumulate, later
 * settings winning, as with libxlu.  Returns 0, EINVAL on any lexical or
 * syntax error (all of them are in diags as VXL_ERROR), or the errno of
 * a failed open/read. */
int cfg_readfile(cfg_config *cfg, const char *path, vxl_diags *d);
int cfg_readdata(cfg_config *cfg, const char *data, size_t len,
                 vxl_diags *d);

/* What `xl create FILE key=value ...' does: xl appends "\n" EXTRA "\n" to
 * the file's text (EXTRA = each argument followed by "\n") and parses the
 * result as one text.  This parses exactly that text, so it accepts and
 * rejects what xl does, but positions inside EXTRA are reported as
 * `origin:N:col' where N is the line within EXTRA (= the Nth argument when
 * no argument contains a newline); origin NULL means "command line".
 * An empty EXTRA (extra NULL or extra_len 0) is not appended, as in xl. */
int cfg_readdata_extra(cfg_config *cfg, const char *data, size_t len,
                       const char *extra, size_t extra_len,
                       const char *origin, vxl_diags *d);

/* Join xl create's trailing key=value arguments the way xl does (each
 * followed by "\n").  Returns a malloc'd string ("" for argc == 0). */
char *cfg_join_overrides(int argc, char *const *argv);

/* Free everything; NULL is fine. */
void cfg_destroy(cfg_config *cfg);

/* The name given to cfg_init. */
const char *cfg_filename(const cfg_config *cfg);

/* ---- lookups (the latest setting of a name counts) ----------------- */

/* A single value (string or number text).  EINVAL if it is a list. */
int cfg_get_string(const cfg_config *cfg, const char *name,
                   const char **value_r, int dont_warn, vxl_diags *d);

/* free(*value_r), then *value_r = strdup of the value; untouched on
 * error. */
int cfg_replace_string(const cfg_config *cfg, const char *name,
                       char **value_r, int dont_warn, vxl_diags *d);

/* strtol(value, base 0) of a single value; the whole text must be a
 * number (leading white space and a sign are allowed, as strtol allows).
 * EINVAL: a list, set with +=, not a number, or outside [min, max];
 * ERANGE: beyond long.  *value_r untouched on error. */
int cfg_get_long(const cfg_config *cfg, const char *name, long *value_r,
                 int dont_warn, vxl_diags *d);
int cfg_get_bounded_long(const cfg_config *cfg, const char *name,
                         long min, long max, long *value_r,
                         int dont_warn, vxl_diags *d);

/* libxlu's get_defbool: a number, nonzero = true.  On success writes 1 or
 * 0 to *b; on any error (ESRCH included) *b is untouched, so initialise it
 * to your "default" marker (e.g. -1) first, as libxl_defbool does. */
int cfg_get_defbool(const cfg_config *cfg, const char *name, int *b,
                    int dont_warn, vxl_diags *d);

/* A list.  list_r and entries_r may be NULL.  EINVAL if a single value. */
int cfg_get_list(const cfg_config *cfg, const char *name,
                 const cfg_list **list_r, int *entries_r,
                 int dont_warn, vxl_diags *d);

/* The list as a NULL-terminated malloc'd array of malloc'd strings
 * (libxl_string_list).  As in libxlu, an item that is itself a list
 * becomes NULL, which ends the list for NULL-terminated consumers;
 * entries_r (may be NULL) gets the full count.  Free with
 * cfg_string_list_free(sl, count). */
int cfg_get_list_as_string_list(const cfg_config *cfg, const char *name,
                                char ***sl_r, int *entries_r,
                                int dont_warn, vxl_diags *d);
void cfg_string_list_free(char **sl, int count);

/* Item n of a list if it is a string, else NULL (also when n is out of
 * range).  = xlu_cfg_get_listitem. */
const char *cfg_listitem(const cfg_list *list, int n);
/* Number of items. */
int cfg_list_count(const cfg_list *list);
/* Item n as a value (string or nested list), NULL when out of range.
 * = xlu_cfg_get_listitem2. */
const cfg_value *cfg_list_get(const cfg_list *list, int n);

/* Values (items of lists, for nested lists). */
enum cfg_value_type cfg_value_type(const cfg_value *value);
/* EINVAL (and *value_r = NULL) if not a string / not a list. */
int cfg_value_get_string(const cfg_config *cfg, const cfg_value *value,
                         const char **value_r, int dont_warn, vxl_diags *d);
int cfg_value_get_list(const cfg_config *cfg, const cfg_value *value,
                       const cfg_list **value_r, int dont_warn,
                       vxl_diags *d);

/* ---- positions, for semantic errors -------------------------------- */

/* Where the latest setting of name starts (its identifier).  0 or ESRCH. */
int cfg_setting_pos(const cfg_config *cfg, const char *name, cfg_pos *pos);
/* Where the latest setting's value starts (what libxlu's warnings name). */
int cfg_setting_value_pos(const cfg_config *cfg, const char *name,
                          cfg_pos *pos);
/* Where a value starts (its first token: quote, digit or '['). */
void cfg_value_pos(const cfg_value *value, cfg_pos *pos);
/* Where item n of a list starts.  0, or ESRCH when n is out of range. */
int cfg_list_item_pos(const cfg_list *list, int n, cfg_pos *pos);

/* ---- iteration (e.g. to warn about unknown keys) ------------------- */

/* Number of settings read, duplicates and += included. */
int cfg_nsettings(const cfg_config *cfg);
/* Name of setting i in reading order (0-based) and, if pos is not NULL,
 * where it is.  NULL when i is out of range. */
const char *cfg_setting_name(const cfg_config *cfg, int i, cfg_pos *pos);
/* How the latest setting of name was made; ESRCH if none. */
int cfg_setting_op(const cfg_config *cfg, const char *name,
                   enum cfg_op *op_r);

#endif
