/* import/manifest.c — OVF manifest parser and nettle-backed digests. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef HAVE_NETTLE
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#endif

#include "common/util.h"
#include "import/manifest.h"

static const struct {
    const char *name;
    enum vmf_alg alg;
    size_t len;
} algs[] = {
    { "SHA1", VMF_SHA1, 20 },
    { "SHA256", VMF_SHA256, 32 },
    { "SHA512", VMF_SHA512, 64 },
};

size_t vmf_digest_len(enum vmf_alg a)
{
    for (size_t i = 0; i < ARRAY_SIZE(algs); i++)
        if (algs[i].alg == a)
            return algs[i].len;
    return 0;
}

const char *vmf_alg_name(enum vmf_alg a)
{
    for (size_t i = 0; i < ARRAY_SIZE(algs); i++)
        if (algs[i].alg == a)
            return algs[i].name;
    return "?";
}

void vmf_hex(const uint8_t *dg, size_t len, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hx[dg[i] >> 4];
        out[2 * i + 1] = hx[dg[i] & 15];
    }
    out[2 * len] = 0;
}

void vmanifest_free(struct vmanifest *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i].file);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

const struct vmf_entry *vmanifest_find(const struct vmanifest *m,
                                       const char *file)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->v[i].file, file))
            return &m->v[i];
    return NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_sp(char c)
{
    return c == ' ' || c == '\t';
}

/* One line [s, e) (no line end).  Returns 0, 1 (blank) or -EINVAL with a
 * diagnostic. */
static int parse_line(const char *s, const char *e, const char *name,
                      int line, struct vmf_entry *out, vxl_diags *d)
{
    while (s < e && is_sp(*s))
        s++;
    while (e > s && (is_sp(e[-1]) || e[-1] == '\r'))
        e--;
    if (s == e)
        return 1;
    const char *a = s;
    while (s < e && *s != '(' && !is_sp(*s))
        s++;
    size_t al = (size_t)(s - a);
    while (s < e && is_sp(*s))
        s++;
    if (s == e || *s != '(' || al == 0) {
        vxl_diag_add(d, VXL_ERROR, name, line, 1, "expected 'SHA1(file)= "
                     "digest'", "malformed manifest line");
        return -EINVAL;
    }
    const char *fs = s + 1;
    /* the file name ends at the last ')' (names may hold parentheses) */
    const char *fe = NULL;
    for (const char *p = fs; p < e; p++)
        if (*p == ')')
            fe = p;
    if (!fe) {
        vxl_diag_add(d, VXL_ERROR, name, line, (int)(fs - a), NULL,
                     "malformed manifest line: no ')' after the file name");
        return -EINVAL;
    }
    const char *q = fe + 1;
    while (q < e && is_sp(*q))
        q++;
    if (q == e || *q != '=') {
        vxl_diag_add(d, VXL_ERROR, name, line, (int)(q - a) + 1, NULL,
                     "malformed manifest line: expected '=' after ')'");
        return -EINVAL;
    }
    q++;
    while (q < e && is_sp(*q))
        q++;
    size_t ai;
    for (ai = 0; ai < ARRAY_SIZE(algs); ai++)
        if (strlen(algs[ai].name) == al && !strncasecmp(a, algs[ai].name, al))
            break;
    if (ai == ARRAY_SIZE(algs)) {
        vxl_diag_add(d, VXL_ERROR, name, line, 1, "supported: SHA1, SHA256, "
                     "SHA512", "unknown digest algorithm '%.*s'", (int)al, a);
        return -EINVAL;
    }
    size_t dl = algs[ai].len;
    if ((size_t)(e - q) != 2 * dl) {
        vxl_diag_add(d, VXL_ERROR, name, line, (int)(q - a) + 1, NULL,
                     "%s digest must be %zu hex digits, not %zu",
                     algs[ai].name, 2 * dl, (size_t)(e - q));
        return -EINVAL;
    }
    for (size_t i = 0; i < dl; i++) {
        int h = hexval(q[2 * i]), l = hexval(q[2 * i + 1]);
        if (h < 0 || l < 0) {
            vxl_diag_add(d, VXL_ERROR, name, line, (int)(q - a) + 1, NULL,
                         "digest is not hexadecimal");
            return -EINVAL;
        }
        out->digest[i] = (uint8_t)(h << 4 | l);
    }
    if (fe == fs || memchr(fs, 0, (size_t)(fe - fs))) {
        vxl_diag_add(d, VXL_ERROR, name, line, (int)(fs - a) + 1, NULL,
                     "manifest line has an empty or invalid file name");
        return -EINVAL;
    }
    out->file = xstrndup(fs, (size_t)(fe - fs));
    out->alg = algs[ai].alg;
    out->line = line;
    return 0;
}

int vmanifest_parse(const char *text, size_t len, const char *name,
                    struct vmanifest *out, vxl_diags *d)
{
    memset(out, 0, sizeof(*out));
    size_t cap = 0;
    int line = 0;
    const char *p = text, *end = text + len;
    /* a UTF-8 byte order mark */
    if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
        p += 3;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        struct vmf_entry e;
        memset(&e, 0, sizeof(e));
        int rc = parse_line(p, le, name, line, &e, d);
        if (rc < 0) {
            vmanifest_free(out);
            return rc;
        }
        if (rc == 0) {
            const struct vmf_entry *dup = vmanifest_find(out, e.file);
            if (dup) {
                vxl_diag_add(d, VXL_ERROR, name, line, 1, NULL, "'%s' is "
                             "listed twice (first on line %d)", e.file,
                             dup->line);
                free(e.file);
                vmanifest_free(out);
                return -EINVAL;
            }
            if (out->n == cap) {
                cap = cap ? 2 * cap : 8;
                out->v = xreallocarray(out->v, cap, sizeof(*out->v));
            }
            out->v[out->n++] = e;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* ---- digests ------------------------------------------------------------ */

struct vmf_hash {
    enum vmf_alg alg;
#ifdef HAVE_NETTLE
    union {
        struct sha1_ctx sha1;
        struct sha256_ctx sha256;
        struct sha512_ctx sha512;
    } u;
#endif
};

#ifdef HAVE_NETTLE
bool vmf_available(void)
{
    return true;
}

struct vmf_hash *vmf_hash_new(enum vmf_alg a)
{
    struct vmf_hash *h = xcalloc(1, sizeof(*h));
    h->alg = a;
    switch (a) {
    case VMF_SHA1: sha1_init(&h->u.sha1); break;
    case VMF_SHA256: sha256_init(&h->u.sha256); break;
    case VMF_SHA512: sha512_init(&h->u.sha512); break;
    }
    return h;
}

void vmf_hash_update(struct vmf_hash *h, const void *buf, size_t n)
{
    switch (h->alg) {
    case VMF_SHA1: sha1_update(&h->u.sha1, n, buf); break;
    case VMF_SHA256: sha256_update(&h->u.sha256, n, buf); break;
    case VMF_SHA512: sha512_update(&h->u.sha512, n, buf); break;
    }
}

void vmf_hash_final(struct vmf_hash *h, uint8_t *out)
{
    switch (h->alg) {
    case VMF_SHA1: sha1_digest(&h->u.sha1, SHA1_DIGEST_SIZE, out); break;
    case VMF_SHA256: sha256_digest(&h->u.sha256, SHA256_DIGEST_SIZE, out);
        break;
    case VMF_SHA512: sha512_digest(&h->u.sha512, SHA512_DIGEST_SIZE, out);
        break;
    }
    free(h);
}
#else
bool vmf_available(void)
{
    return false;
}

struct vmf_hash *vmf_hash_new(enum vmf_alg a)
{
    (void)a;
    return NULL;
}

void vmf_hash_update(struct vmf_hash *h, const void *buf, size_t n)
{
    (void)h; (void)buf; (void)n;
}

void vmf_hash_final(struct vmf_hash *h, uint8_t *out)
{
    (void)out;
    free(h);
}
#endif

void vmf_hash_free(struct vmf_hash *h)
{
    free(h);
}
