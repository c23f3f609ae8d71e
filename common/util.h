/* common/util.h — small helpers shared by every vxl library.
 *
 * Allocation failures abort (as libxl's do): nothing in vxl can recover
 * from them meaningfully, and checking every small allocation in parsers
 * would hide the real error paths.  Everything else returns errors. */
#ifndef VXL_COMMON_UTIL_H
#define VXL_COMMON_UTIL_H

#include <stdarg.h>
#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray: grow an array, checking nmemb * size for overflow */
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Growable string buffer. */
typedef struct strbuf {
    char *s;        /* NUL-terminated; NULL until first append */
    size_t len, cap;
} strbuf;

void sb_append(strbuf *sb, const char *s, size_t n);
void sb_puts(strbuf *sb, const char *s);
void sb_putc(strbuf *sb, char c);
void sb_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand over the string (never NULL) and reset the buffer. */
char *sb_steal(strbuf *sb);
void sb_free(strbuf *sb);

/* A whole file as a NUL-terminated string ("" when empty); NULL with
 * errno set when it cannot be opened or read. */
char *read_file_str(const char *path);

#endif
