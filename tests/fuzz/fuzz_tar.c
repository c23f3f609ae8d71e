/* tests/fuzz/fuzz_tar.c — libFuzzer target: arbitrary bytes read as a tar
 * archive by import/tar.c, once as a seekable input of known size and
 * once as a stream; every member's data is read (in odd-sized pieces,
 * for the first few) and *.mf members go through the manifest parser.
 * The two passes must agree on the members they list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "import/manifest.h"
#include "import/tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
    const uint8_t *p;
    size_t n, pos;
};

static ssize_t mem_read(void *o, void *buf, size_t n)
{
    struct mem *m = o;
    size_t k = m->n - m->pos < n ? m->n - m->pos : n;
    memcpy(buf, m->p + m->pos, k);
    m->pos += k;
    return (ssize_t)k;
}

static int mem_skip(void *o, uint64_t n)
{
    struct mem *m = o;
    m->pos = n > m->n - m->pos ? m->n : m->pos + (size_t)n;
    return 0;
}

static int walk(const uint8_t *data, size_t size, bool seekable,
                uint64_t *sum)
{
    struct mem m = { data, size, 0 };
    struct tar_io io = { mem_read, seekable ? mem_skip : NULL, &m,
                         seekable ? size : 0 };
    struct tar_reader *t = tar_reader_new(&io, "fuzz.ova");
    vxl_diags d = {0};
    struct tar_entry e;
    int rc, k = 0;
    /* rc: 1 member, 0 end, < 0 failure */
    while ((rc = tar_next(t, &e, &d)) == 1) {
        *sum = *sum * 31 + e.offset + e.size + strlen(e.name);
        bool fits = e.offset <= size && e.size <= size - e.offset;
        if (seekable && !fits)
            abort();            /* the size check missed a member */
        size_t nl = strlen(e.name);
        if (k++ < 4 || (nl > 3 && !strcasecmp(e.name + nl - 3, ".mf"))) {
            /* a stream does not know yet whether the member fits */
            size_t cap = fits ? (size_t)e.size : size;
            uint8_t *buf = xmalloc(cap ? cap : 1);
            size_t got = 0, step = 1 + (size_t)(e.size % 7);
            ssize_t r;
            while ((r = tar_read(t, buf + got, step, &d)) > 0)
                got += (size_t)r;
            if (r < 0 && fits)
                abort();        /* the archive held these bytes */
            if (r < 0) {        /* a stream learns of truncation here */
                free(buf);
                rc = -1;
                break;
            }
            if (got != e.size || memcmp(buf, data + e.offset, got))
                abort();
            if (nl > 3 && !strcasecmp(e.name + nl - 3, ".mf")) {
                struct vmanifest mf;
                if (vmanifest_parse((char *)buf, got, e.name, &mf, &d) == 0)
                    vmanifest_free(&mf);
            }
            free(buf);
        }
    }
    vxl_diags_free(&d);
    tar_reader_free(t);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t a = 0, b = 0;
    int ra = walk(data, size, true, &a);
    int rb = walk(data, size, false, &b);
    /* both succeed with the same members, or both fail (the seekable
     * pass may fail earlier: it knows the size) */
    if ((ra == 0) != (rb == 0) || (ra == 0 && a != b))
        abort();
    return 0;
}
