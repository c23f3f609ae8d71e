/* common/util.c — allocation and string-buffer helpers. */
#include "common/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static void oom(void)
{
    static const char msg[] = "vxl: out of memory\n";
    fwrite(msg, 1, sizeof(msg) - 1, stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        oom();
    return xrealloc(p, nmemb * size);
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    char *s;
    if (vasprintf(&s, fmt, ap) < 0)
        oom();
    return s;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

void sb_append(strbuf *sb, const char *s, size_t n)
{
    if (n == 0 && sb->s)    /* s may be NULL when n is 0 */
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        sb->s = xrealloc(sb->s, cap);
        sb->cap = cap;
    }
    if (n)
        memcpy(sb->s + sb->len, s, n);
    sb->len += n;
    sb->s[sb->len] = 0;
}

void sb_puts(strbuf *sb, const char *s)
{
    sb_append(sb, s, strlen(s));
}

void sb_putc(strbuf *sb, char c)
{
    sb_append(sb, &c, 1);
}

void sb_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    sb_puts(sb, s);
    free(s);
}

char *sb_steal(strbuf *sb)
{
    char *s = sb->s ? sb->s : xstrdup("");
    sb->s = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void sb_free(strbuf *sb)
{
    free(sb->s);
    sb->s = NULL;
    sb->len = sb->cap = 0;
}

char *read_file_str(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    strbuf sb = {0};
    char buf[4096];

    if (fd < 0)
        return NULL;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            sb_free(&sb);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        sb_append(&sb, buf, (size_t)r);
    }
    close(fd);
    return sb_steal(&sb);
}
