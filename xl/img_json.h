/* xl/img_json.h — JSON values printed exactly as qemu-img prints them.
 *
 * qemu-img --output=json serialises QDicts, whose members come out in hash
 * bucket order (tdb_hash(key) % 512, later insertions first within a
 * bucket), pretty-printed with 4-space indentation and non-printable or
 * non-ASCII characters as \uXXXX.  To be byte-compatible we build a small
 * tree and print it with the same ordering. */
#ifndef VXL_XL_IMG_JSON_H
#define VXL_XL_IMG_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct ij;      /* a JSON value */

struct ij *ij_obj(void);
struct ij *ij_arr(void);
struct ij *ij_str(const char *s);
struct ij *ij_int(int64_t v);
struct ij *ij_bool(bool v);
/* Add a member (takes ownership of v); returns v for chaining. */
struct ij *ij_set(struct ij *obj, const char *key, struct ij *v);
void ij_set_str(struct ij *obj, const char *key, const char *s);
void ij_set_int(struct ij *obj, const char *key, int64_t v);
void ij_set_bool(struct ij *obj, const char *key, bool v);
/* Append to an array (takes ownership). */
struct ij *ij_push(struct ij *arr, struct ij *v);
/* Print pretty, like qobject_to_json_pretty(), no trailing newline. */
void ij_print(FILE *f, const struct ij *v);
/* qemu-img's human dump of a QObject ("key with spaces: value"). */
void ij_print_human(FILE *f, int level, const struct ij *v);
void ij_free(struct ij *v);

/* qemu's QDict bucket of a key (exposed for the unit test). */
unsigned ij_qdict_bucket(const char *key);

#endif
