/* disk/qcow2.c — qcow2 driver: header and extensions (parse, validate,
 * rewrite preserving unknown compatible extensions), open/close, the
 * dirty-bit repair, info, create, measure and backing-file edits.
 * Mapping and I/O live in qcow2-cluster.c, allocation in
 * qcow2-refcount.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/qcow2.h"

static int qcow2_probe(const uint8_t *head, size_t len)
{
    if (len >= 8 && be32(head) == QCOW2_MAGIC &&
        (be32(head + 4) == 2 || be32(head + 4) == 3))
        return 100;
    return 0;
}

static const char *feature_name(const struct qcow2 *q, int type, int bit)
{
    static const char *const incompat[] = { "dirty bit", "corrupt bit",
        "external data file", "compression type", "extended L2 entries" };
    for (uint32_t i = 0; q->features && i + 48 <= q->features_len; i += 48) {
        if (q->features[i] == type && q->features[i + 1] == bit) {
            static __thread char name[47];
            memcpy(name, q->features + i + 2, 46);
            name[46] = 0;
            return name;
        }
    }
    if (type == 0 && bit < 5)
        return incompat[bit];
    return NULL;
}

/* ---- header parsing --------------------------------------------------------- */

static int parse_extensions(struct qcow2 *q, const uint8_t *h, uint32_t hlen,
                            uint32_t start, struct vdisk *d,
                            struct vdisk_err *err)
{
    uint32_t off = start;
    uint32_t limit = hlen;
    if (q->backing_offset && q->backing_offset > off &&
        q->backing_offset < limit)
        limit = (uint32_t)q->backing_offset;
    while (off + 8 <= limit) {
        uint32_t type = be32(h + off), len = be32(h + off + 4);
        off += 8;
        if (type == QCOW2_EXT_END)
            return 0;
        if (len > limit - off)
            return vdisk_err_set(err, EINVAL, "'%s': header extension 0x%x "
                                 "of %u bytes runs past the header cluster",
                                 q->name, type, len);
        const uint8_t *p = h + off;
        switch (type) {
        case QCOW2_EXT_BACKING_FMT:
            if (len == 0 || len > 63)
                return vdisk_err_set(err, EINVAL, "'%s': bad backing format "
                                     "extension length %u", q->name, len);
            free(d->backing_fmt);
            d->backing_fmt = xstrndup((const char *)p, len);
            break;
        case QCOW2_EXT_DATA_FILE:
            if (len == 0 || len > 4095)
                return vdisk_err_set(err, EINVAL, "'%s': bad data file "
                                     "extension length %u", q->name, len);
            free(q->data_file);
            q->data_file = xstrndup((const char *)p, len);
            break;
        case QCOW2_EXT_FEATURES:
            free(q->features);
            q->features = xmalloc(len ? len : 1);
            memcpy(q->features, p, len);
            q->features_len = len;
            break;
        case QCOW2_EXT_CRYPTO:
            return vdisk_err_set(err, ENOTSUP, "'%s': encrypted images are "
                                 "not supported", q->name);
        default: {
            /* Bitmaps and unknown extensions: keep them verbatim. */
            q->unknown = xreallocarray(q->unknown, q->nunknown + 1,
                                       sizeof(*q->unknown));
            struct qcow2_unknown_ext *u = &q->unknown[q->nunknown++];
            u->type = type;
            u->len = len;
            u->data = xmalloc(len ? len : 1);
            memcpy(u->data, p, len);
        }
        }
        off += (len + 7) & ~7u;
    }
    return 0;
}

static int load_table(struct qcow2 *q, uint64_t off, uint64_t entries,
                      uint64_t **out, uint64_t alloc_entries, const char *what,
                      struct vdisk_err *err)
{
    uint64_t *t = xcalloc(alloc_entries ? alloc_entries : 1, 8);
    if (entries) {
        int rc = vd_pread_exact(q->fd, t, entries * 8, off, q->name, err);
        if (rc < 0) {
            free(t);
            return vdisk_err_prefix(err, "reading %s: ", what);
        }
        for (uint64_t i = 0; i < entries; i++)
            t[i] = be64(&t[i]);
    }
    *out = t;
    return 0;
}

static uint64_t l1_needed(const struct qcow2 *q, uint64_t size)
{
    uint64_t per_l1 = (uint64_t)q->cluster_size << q->l2_bits;
    return (size + per_l1 - 1) / per_l1;
}

static int setup_geometry(struct qcow2 *q, struct vdisk_err *err)
{
    q->cluster_size = 1u << q->cluster_bits;
    q->l2_entry_size = q->extl2 ? 16 : 8;
    q->l2_bits = q->cluster_bits - (q->extl2 ? 4 : 3);
    q->sc_bits = q->cluster_bits - (q->extl2 ? 5 : 0);
    q->csize_shift = 62 - (q->cluster_bits - 8);
    q->csize_mask = (1ull << (q->cluster_bits - 8)) - 1;
    q->cluster_offset_mask = (1ull << q->csize_shift) - 1;
    q->refcount_bits = 1u << q->refcount_order;
    q->rb_bits = q->cluster_bits + 3 - q->refcount_order;
    return 0;
}

static int open_data_file(struct qcow2 *q, struct vdisk *d, unsigned flags,
                          struct vdisk_err *err)
{
    if (!q->data_file)
        return vdisk_err_set(err, EINVAL, "'%s': the image uses an external "
                             "data file but does not name it", q->name);
    if (strchr(q->data_file, ':') && !strchr(q->data_file, '/'))
        return vdisk_err_set(err, EPERM, "'%s': data file name '%s' is not a "
                             "plain file name", q->name, q->data_file);
    d->data_filename = vd_resolve_relative(d->filename, q->data_file);
    int fd = open(d->data_filename,
                  ((flags & VDISK_RDWR) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return vdisk_err_set(err, errno, "'%s': could not open data file "
                             "'%s': %s", q->name, d->data_filename,
                             strerror(errno));
    q->data_fd = fd;
    return 0;
}

static void qcow2_free_state(struct qcow2 *q)
{
    qc_free(&q->l2c);
    qc_free(&q->rbc);
    free(q->l1);
    free(q->rt);
    free(q->data_file);
    free(q->features);
    for (size_t i = 0; i < q->nunknown; i++)
        free(q->unknown[i].data);
    free(q->unknown);
    qcow2_free_snapshots(q);
    qcow2_free_codecs(q);
    if (q->data_fd >= 0 && q->data_fd != q->fd)
        close(q->data_fd);
    q->data_fd = -1;
}

static int cache_entries(uint32_t cluster_size, uint32_t budget)
{
    uint64_t n = budget / cluster_size;
    if (n < 4)
        n = 4;
    if (n > 512)
        n = 512;
    return (int)n;
}

static int qcow2_parse(struct qcow2 *q, struct vdisk *d, unsigned flags,
                       struct vdisk_err *err)
{
    uint8_t first[4096];
    struct stat st;
    if (fstat(q->fd, &st) < 0)
        return vdisk_err_set(err, errno, "'%s': %s", q->name, strerror(errno));
    uint64_t fsize = (uint64_t)st.st_size;
    int rc = vd_pread_fd(q->fd, first, sizeof(first), 0, q->name, err);
    if (rc < 0)
        return rc;
    if (fsize < 72 || be32(first) != QCOW2_MAGIC)
        return vdisk_err_set(err, EINVAL, "'%s': not a qcow2 image", q->name);
    q->version = be32(first + 4);
    if (q->version != 2 && q->version != 3)
        return vdisk_err_set(err, ENOTSUP, "'%s': unsupported qcow2 version "
                             "%u", q->name, q->version);
    q->backing_offset = be64(first + 8);
    q->backing_len = be32(first + 16);
    q->cluster_bits = be32(first + 20);
    q->size = be64(first + 24);
    uint32_t crypt = be32(first + 32);
    q->l1_size = be32(first + 36);
    q->l1_offset = be64(first + 40);
    q->rt_offset = be64(first + 48);
    q->rt_clusters = be32(first + 56);
    q->nsnaps = be32(first + 60);
    q->snap_offset = be64(first + 64);
    if (q->cluster_bits < 9 || q->cluster_bits > 21)
        return vdisk_err_set(err, EINVAL, "'%s': cluster size 2^%u is not "
                             "between 512 bytes and 2 MiB", q->name,
                             q->cluster_bits);
    q->header_length = 72;
    q->refcount_order = 4;
    if (q->version == 3) {
        if (fsize < 104)
            return vdisk_err_set(err, EINVAL, "'%s': truncated qcow2 v3 "
                                 "header", q->name);
        q->incompat = be64(first + 72);
        q->compat = be64(first + 80);
        q->autoclear = be64(first + 88);
        q->refcount_order = be32(first + 96);
        q->header_length = be32(first + 100);
        if (q->header_length < 104 || q->header_length % 8 ||
            q->header_length > (1u << q->cluster_bits) ||
            q->header_length > sizeof(first))
            return vdisk_err_set(err, EINVAL, "'%s': bad header length %u",
                                 q->name, q->header_length);
        if (q->refcount_order > 6)
            return vdisk_err_set(err, EINVAL, "'%s': refcount order %u is "
                                 "larger than 6", q->name, q->refcount_order);
        if (q->header_length > 104)
            q->compression_type = first[104];
    }
    if (crypt != 0)
        return vdisk_err_set(err, ENOTSUP, "'%s': encrypted images are not "
                             "supported", q->name);
    q->extl2 = q->incompat & QCOW2_INCOMPAT_EXTL2;
    if (q->extl2 && q->cluster_bits < 14)
        return vdisk_err_set(err, EINVAL, "'%s': extended L2 entries need "
                             "clusters of at least 16 KiB", q->name);
    if ((q->incompat & QCOW2_INCOMPAT_COMPRESS) ?
        (q->compression_type == 0 || q->compression_type > 1) :
        q->compression_type != 0)
        return vdisk_err_set(err, ENOTSUP, "'%s': unknown compression type "
                             "%u", q->name, q->compression_type);
#ifndef HAVE_ZSTD
    if (q->compression_type == 1)
        return vdisk_err_set(err, ENOTSUP, "'%s': zstd compression is not "
                             "supported by this build", q->name);
#endif
    setup_geometry(q, err);
    uint32_t cs = q->cluster_size;

    /* The header cluster (extensions, backing name) */
    uint8_t *h = xcalloc(1, cs);
    rc = vd_pread_fd(q->fd, h, cs, 0, q->name, err);
    if (rc == 0 && q->backing_offset) {
        if (q->backing_len == 0 || q->backing_len > QCOW2_MAX_BACKING_NAME ||
            q->backing_offset >= cs || q->backing_len > cs - q->backing_offset)
            rc = vdisk_err_set(err, EINVAL, "'%s': backing file name (offset "
                               "%llu, %u bytes) is not inside the header "
                               "cluster", q->name,
                               (unsigned long long)q->backing_offset,
                               q->backing_len);
        else
            d->backing_name = xstrndup((const char *)h + q->backing_offset,
                                       q->backing_len);
    }
    if (rc == 0)
        rc = parse_extensions(q, h, cs, q->header_length, d, err);
    free(h);
    if (rc < 0)
        return rc;

    if (q->incompat & ~QCOW2_INCOMPAT_KNOWN) {
        strbuf sb = {0};
        for (int b = 0; b < 64; b++) {
            if (!((q->incompat & ~QCOW2_INCOMPAT_KNOWN) >> b & 1))
                continue;
            const char *fn = feature_name(q, 0, b);
            if (fn)
                sb_printf(&sb, "%s%s", sb.len ? ", " : "", fn);
            else
                sb_printf(&sb, "%sUnknown incompatible feature: %llx",
                          sb.len ? ", " : "", 1ull << b);
        }
        rc = vdisk_err_set(err, ENOTSUP, "'%s': unsupported qcow2 feature(s): "
                           "%s", q->name, sb.s);
        sb_free(&sb);
        return rc;
    }

    /* Sizes and offsets, bounded before anything is allocated. */
    if (q->size > (1ull << 62))
        return vdisk_err_set(err, EFBIG, "'%s': virtual size %llu is too "
                             "large", q->name, (unsigned long long)q->size);
    if ((uint64_t)q->l1_size * 8 > QCOW2_MAX_L1_BYTES)
        return vdisk_err_set(err, EFBIG, "'%s': active L1 table too large "
                             "(%u entries)", q->name, q->l1_size);
    if (q->l1_size < l1_needed(q, q->size))
        return vdisk_err_set(err, EINVAL, "'%s': L1 table is too small for "
                             "the virtual size", q->name);
    /* An L1 table (partly) past EOF reads as zeros in qemu; we accept it
     * only for `check` (which reports it), not for normal use. */
    bool check_open = flags & (VDISK_NO_REPAIR | VDISK_UNSAFE_META);
    if (q->l1_size && (q->l1_offset % cs ||
                       q->l1_offset > (1ull << 62) ||
                       (q->l1_offset + (uint64_t)q->l1_size * 8 > fsize &&
                        !check_open)))
        return vdisk_err_set(err, EINVAL, "'%s': L1 table offset %#llx is "
                             "invalid", q->name,
                             (unsigned long long)q->l1_offset);
    if ((uint64_t)q->rt_clusters * cs > QCOW2_MAX_RT_BYTES ||
        q->rt_clusters == 0)
        return vdisk_err_set(err, EINVAL, "'%s': refcount table size %u "
                             "clusters is invalid", q->name, q->rt_clusters);
    if (q->rt_offset % cs || q->rt_offset == 0 ||
        q->rt_offset + (uint64_t)q->rt_clusters * cs > fsize + cs)
        return vdisk_err_set(err, EINVAL, "'%s': refcount table offset %#llx "
                             "is invalid", q->name,
                             (unsigned long long)q->rt_offset);
    if (q->nsnaps > QCOW2_MAX_SNAPSHOTS)
        return vdisk_err_set(err, EFBIG, "'%s': too many snapshots (%u)",
                             q->name, q->nsnaps);
    if (q->nsnaps && (q->snap_offset % cs || q->snap_offset >= fsize))
        return vdisk_err_set(err, EINVAL, "'%s': snapshot table offset %#llx "
                             "is invalid", q->name,
                             (unsigned long long)q->snap_offset);

    q->rt_entries = (uint64_t)q->rt_clusters * cs / 8;
    uint64_t l1_avail = q->l1_size;
    if (q->l1_offset + (uint64_t)q->l1_size * 8 > fsize)
        l1_avail = q->l1_offset < fsize ? (fsize - q->l1_offset) / 8 : 0;
    rc = load_table(q, q->l1_offset, l1_avail, &q->l1, q->l1_size, "L1",
                    err);
    if (rc < 0)
        return rc;
    q->l1_alloc = q->l1_size;
    uint64_t rt_avail = q->rt_entries;
    if (q->rt_offset + q->rt_entries * 8 > fsize)
        rt_avail = q->rt_offset < fsize ? (fsize - q->rt_offset) / 8 : 0;
    rc = load_table(q, q->rt_offset, rt_avail, &q->rt, q->rt_entries,
                    "refcount table", err);
    if (rc < 0)
        return rc;
    if (q->incompat & QCOW2_INCOMPAT_DATA_FILE) {
        rc = open_data_file(q, d, flags, err);
        if (rc < 0)
            return rc;
    } else if (q->data_file) {
        free(q->data_file);      /* ignored without the feature bit */
        q->data_file = NULL;
    }
    rc = qcow2_read_snapshots(q, err);
    if (rc < 0)
        return rc;
    q->host_end = (fsize + cs - 1) & ~(uint64_t)(cs - 1);
    qc_init(&q->l2c, cache_entries(cs, 8u << 20), cs);
    qc_init(&q->rbc, cache_entries(cs, 2u << 20), cs);
    return 0;
}

int qcow2_write_l1_entry(struct qcow2 *q, uint32_t i, struct vdisk_err *err)
{
    uint8_t b[8];
    put_be64(b, q->l1[i]);
    return vd_pwrite_fd(q->fd, b, 8, q->l1_offset + (uint64_t)i * 8, q->name,
                        err);
}

static void put_ext(strbuf *sb, uint32_t type, const void *data, uint32_t len)
{
    uint8_t hdr[8];
    put_be32(hdr, type);
    put_be32(hdr + 4, len);
    sb_append(sb, (const char *)hdr, 8);
    if (len)
        sb_append(sb, data, len);
    static const char pad[8];
    if (len % 8)
        sb_append(sb, pad, 8 - len % 8);
}

static void feature_table(strbuf *sb)
{
    static const struct { uint8_t type, bit; const char *name; } f[] = {
        { 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" },
        { 0, 2, "external data file" }, { 0, 3, "compression type" },
        { 0, 4, "extended L2 entries" }, { 1, 0, "lazy refcounts" },
        { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
    };
    uint8_t t[ARRAY_SIZE(f) * 48];
    memset(t, 0, sizeof(t));
    for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
        t[i * 48] = f[i].type;
        t[i * 48 + 1] = f[i].bit;
        memcpy(t + i * 48 + 2, f[i].name, strlen(f[i].name));
    }
    put_ext(sb, QCOW2_EXT_FEATURES, t, sizeof(t));
}

/* Rewrite the whole header cluster from q's state (as QEMU does). */
int qcow2_write_header(struct qcow2 *q, struct vdisk_err *err)
{
    struct vdisk *d = q->d;
    uint32_t cs = q->cluster_size;
    uint32_t hlen = q->version == 3 ? (q->header_length > 112 ?
                                       q->header_length : 112) : 72;
    uint8_t *h = xcalloc(1, cs);
    /* keep unknown additional header fields (rule 2 of the spec) */
    if (q->version == 3 && q->header_length > 112) {
        int rc = vd_pread_fd(q->fd, h + 112, q->header_length - 112, 112,
                             q->name, err);
        if (rc < 0) {
            free(h);
            return rc;
        }
    }
    put_be32(h, QCOW2_MAGIC);
    put_be32(h + 4, q->version);
    put_be32(h + 20, q->cluster_bits);
    put_be64(h + 24, q->size);
    put_be32(h + 36, q->l1_size);
    put_be64(h + 40, q->l1_offset);
    put_be64(h + 48, q->rt_offset);
    put_be32(h + 56, q->rt_clusters);
    put_be32(h + 60, q->nsnaps);
    put_be64(h + 64, q->snap_offset);
    if (q->version == 3) {
        put_be64(h + 72, q->incompat);
        put_be64(h + 80, q->compat);
        put_be64(h + 88, q->autoclear);
        put_be32(h + 96, q->refcount_order);
        put_be32(h + 100, hlen);
        h[104] = (uint8_t)q->compression_type;
    }
    q->header_length = hlen;
    strbuf sb = {0};
    if (d->backing_fmt)
        put_ext(&sb, QCOW2_EXT_BACKING_FMT, d->backing_fmt,
                (uint32_t)strlen(d->backing_fmt));
    if (q->data_file)
        put_ext(&sb, QCOW2_EXT_DATA_FILE, q->data_file,
                (uint32_t)strlen(q->data_file));
    if (q->version == 3)
        feature_table(&sb);
    for (size_t i = 0; i < q->nunknown; i++)
        put_ext(&sb, q->unknown[i].type, q->unknown[i].data,
                q->unknown[i].len);
    put_ext(&sb, QCOW2_EXT_END, NULL, 0);
    size_t blen = d->backing_name ? strlen(d->backing_name) : 0;
    int rc = 0;
    if (hlen + sb.len + blen > cs) {
        rc = vdisk_err_set(err, ENOSPC, "'%s': header extensions and backing "
                           "name do not fit in the header cluster", q->name);
    } else {
        if (sb.len)
            memcpy(h + hlen, sb.s, sb.len);
        if (blen) {
            uint64_t bo = hlen + sb.len;
            put_be64(h + 8, bo);
            put_be32(h + 16, (uint32_t)blen);
            memcpy(h + bo, d->backing_name, blen);
        }
        size_t wlen = hlen + sb.len + blen;
        wlen = (wlen + 511) & ~(size_t)511;
        if (wlen > cs)
            wlen = cs;
        rc = vd_pwrite_fd(q->fd, h, wlen, 0, q->name, err);
    }
    sb_free(&sb);
    free(h);
    return rc;
}

/* Set or clear incompatible bits and write just that header field. */
int qcow2_update_incompat(struct qcow2 *q, uint64_t bits,
                          struct vdisk_err *err)
{
    if (q->version < 3)
        return 0;
    q->incompat = bits;
    uint8_t b[8];
    put_be64(b, bits);
    int rc = vd_pwrite_fd(q->fd, b, 8, 72, q->name, err);
    if (rc == 0 && fdatasync(q->fd) < 0)
        rc = vdisk_err_set(err, errno, "'%s': flush failed: %s", q->name,
                           strerror(errno));
    return rc;
}

static int qcow2_open(struct vdisk *d, int fd, unsigned flags,
                      struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    q->d = d;
    q->fd = fd;
    q->data_fd = fd;
    q->name = d->filename;
    int rc = qcow2_parse(q, d, flags, err);
    if (rc < 0)
        goto fail;
    d->size = q->size;
    d->cluster_size = q->cluster_size;
    d->zero_init = !d->backing_name;
    q->writable = flags & VDISK_RDWR;
    q->free_hint = q->run_hint = 0;
    if (!q->writable)
        return 0;
    if ((q->incompat & QCOW2_INCOMPAT_CORRUPT) &&
        !(flags & (VDISK_NO_REPAIR | VDISK_UNSAFE_META))) {
        rc = vdisk_err_set(err, EINVAL, "'%s': image is corrupt; cannot be "
                           "opened read/write (run 'img check -r all')",
                           q->name);
        goto fail;
    }
    if (q->autoclear & ~QCOW2_AUTOCLEAR_DATA_RAW) {
        /* We maintain no auto-clear feature but data_file_raw (bitmaps are
         * not kept up to date): clear the bits before writing, as the spec
         * requires. */
        q->autoclear &= QCOW2_AUTOCLEAR_DATA_RAW;
        rc = qcow2_write_header(q, err);
        if (rc < 0)
            goto fail;
    }
    if ((q->incompat & QCOW2_INCOMPAT_DIRTY) && !(flags & VDISK_NO_REPAIR)) {
        struct vdisk_check res;
        rc = qcow2_check(d, VDISK_FIX_LEAKS | VDISK_FIX_ERRORS, &res, NULL,
                         err);
        if (rc < 0) {
            vdisk_err_prefix(err, "repairing dirty image: ");
            goto fail;
        }
        rc = qcow2_flush_all(q, err);
        if (rc == 0)
            rc = qcow2_update_incompat(q, q->incompat & ~QCOW2_INCOMPAT_DIRTY,
                                       err);
        if (rc < 0)
            goto fail;
    }
    return 0;
fail:
    qcow2_free_state(q);
    close(fd);
    return rc;
}

static int qcow2_close(struct vdisk *d, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    int rc = 0;
    /* write back cached metadata; durability (fdatasync) is the
     * caller's choice through vdisk_flush(), as with qemu-img's default
     * cache mode */
    if (q->writable)
        rc = qcow2_flush_all(q, err);
    qcow2_free_state(q);
    close(q->fd);
    return rc;
}

static int qcow2_flush(struct vdisk *d, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    int rc = qcow2_flush_all(q, err);
    if (rc == 0 && fdatasync(q->fd) < 0)
        rc = vdisk_err_set(err, errno, "'%s': flush failed: %s", q->name,
                           strerror(errno));
    return rc;
}

static int qcow2_get_info(struct vdisk *d, struct vdisk_info *info,
                          struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    info->has_qcow2 = true;
    info->dirty = q->incompat & QCOW2_INCOMPAT_DIRTY;
    info->qcow2.version = (int)q->version;
    info->qcow2.lazy_refcounts = q->compat & QCOW2_COMPAT_LAZY;
    info->qcow2.refcount_bits = (int)q->refcount_bits;
    info->qcow2.corrupt = q->incompat & QCOW2_INCOMPAT_CORRUPT;
    info->qcow2.extended_l2 = q->extl2;
    info->qcow2.compression_type = q->compression_type == 1 ? VDISK_COMP_ZSTD
                                                            : VDISK_COMP_ZLIB;
    if (q->data_file)
        info->qcow2.data_file = xstrdup(q->data_file);
    info->qcow2.data_file_raw = q->autoclear & QCOW2_AUTOCLEAR_DATA_RAW;
    return qcow2_snapshot_list(d, &info->snapshots, &info->nsnapshots, err);
}

static int qcow2_set_backing(struct vdisk *d, const char *name,
                             const char *fmt, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    char *on = d->backing_name, *of = d->backing_fmt;
    d->backing_name = name ? xstrdup(name) : NULL;
    d->backing_fmt = fmt ? xstrdup(fmt) : NULL;
    int rc = qcow2_write_header(q, err);
    free(d->backing_name);
    free(d->backing_fmt);
    d->backing_name = on;      /* the core swaps them in on success */
    d->backing_fmt = of;
    if (rc == 0 && fdatasync(q->fd) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", q->name, strerror(errno));
    return rc;
}

static int qcow2_truncate(struct vdisk *d, uint64_t size, unsigned flags,
                          enum vdisk_prealloc prealloc, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    if (prealloc != VDISK_PREALLOC_OFF && size < q->size)
        return vdisk_err_set(err, ENOTSUP, "Preallocation can't be used for "
                             "shrinking an image");
    /* snapshots keep their own size (v3 records it in each snapshot's
     * extra data, and applying one restores it); v2 can't record it */
    if (q->nsnaps && q->version < 3)
        return vdisk_err_set(err, ENOTSUP, "Can't resize a v2 image which "
                             "has snapshots");
    int rc;
    if (size < q->size) {
        uint64_t from = (size + q->cluster_size - 1) &
                        ~(uint64_t)(q->cluster_size - 1);
        if (from < q->size) {
            rc = qcow2_discard(d, from, q->size - from, err);
            if (rc < 0)
                return rc;
        }
        if (size % q->cluster_size && size < q->size) {
            /* the tail of the last cluster must read as zero if regrown */
            uint64_t end = from < q->size ? from : q->size;
            rc = qcow2_pwrite_zeroes(d, size, end - size, 0, err);
            if (rc == -ENOTSUP) {
                uint8_t *z = xcalloc(1, end - size);
                rc = qcow2_pwrite(d, z, end - size, size, err);
                free(z);
            }
            if (rc < 0)
                return rc;
        }
    } else {
        uint64_t need = l1_needed(q, size);
        if (need > QCOW2_MAX_L1_BYTES / 8)
            return vdisk_err_set(err, EFBIG, "'%s': size %llu needs too large "
                                 "an L1 table", q->name,
                                 (unsigned long long)size);
        if (need > q->l1_size) {
            rc = qcow2_grow_l1(q, (uint32_t)need, err);
            if (rc < 0)
                return rc;
        }
    }
    rc = qcow2_flush_all(q, err);
    if (rc < 0)
        return rc;
    uint64_t old = q->size;
    q->size = size;
    uint8_t b[8];
    put_be64(b, size);
    rc = vd_pwrite_fd(q->fd, b, 8, 24, q->name, err);
    if (rc == 0)
        d->size = size;
    if (rc == 0 && size > old && qcow2_has_df(q)) {
        /* the data file grows with the image, as qemu's does */
        struct stat st;
        if (fstat(q->data_fd, &st) == 0 && (uint64_t)st.st_size < size &&
            ftruncate(q->data_fd, (off_t)size) < 0)
            rc = vdisk_err_set(err, errno, "'%s': could not resize the data "
                               "file: %s", q->name, strerror(errno));
    }
    if (rc == 0 && size > old) {
        enum vdisk_prealloc pa = prealloc;
        if (qcow2_df_raw(q) && pa == VDISK_PREALLOC_OFF)
            pa = VDISK_PREALLOC_METADATA;
        rc = qcow2_preallocate(d, old, size, pa, err);
    }
    return rc;
}

/* ---- create ------------------------------------------------------------- */

/* Preallocate a freshly created image (its own open, no backing chain). */
static int preallocate_new(const char *path, uint64_t size,
                           enum vdisk_prealloc mode, struct vdisk_err *err)
{
    struct vdisk_open_opts oo = { .format = "qcow2",
                                  .flags = VDISK_RDWR | VDISK_NO_BACKING };
    struct vdisk *d;
    int rc = vdisk_open(path, &oo, &d, err);
    if (rc < 0)
        return rc;
    rc = qcow2_preallocate(d, 0, size, mode, err);
    int rc2 = vdisk_close(d, rc < 0 ? NULL : err);
    return rc < 0 ? rc : rc2;
}

static int qcow2_create(const char *path, const struct vdisk_create_opts *o,
                        struct vdisk_err *err)
{
    bool v3 = o->compat != 2;
    uint32_t cs = o->cluster_size;
    if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1)))
        return vdisk_err_set(err, EINVAL, "Cluster size must be a power of "
                             "two between 512 and 2048k");
    if (!v3 && o->refcount_bits != 16)
        return vdisk_err_set(err, EINVAL, "Different refcount widths than 16 "
                             "bits require compatibility level 1.1 or above "
                             "(use version=v3 or greater)");
    if (!v3 && o->lazy_refcounts)
        return vdisk_err_set(err, EINVAL, "Lazy refcounts only supported with "
                             "compatibility level 1.1 and above (use version="
                             "v3 or greater)");
    if (!v3 && o->extended_l2)
        return vdisk_err_set(err, EINVAL, "Extended L2 entries are only "
                             "supported with compatibility level 1.1 and "
                             "above (use version=v3 or greater)");
    if (!v3 && o->data_file)
        return vdisk_err_set(err, EINVAL, "External data files are only "
                             "supported with compatibility level 1.1 and "
                             "above (use version=v3 or greater)");
    if (!v3 && o->compression_type != VDISK_COMP_ZLIB)
        return vdisk_err_set(err, EINVAL, "Non-zlib compression type is only "
                             "supported with compatibility level 1.1 and "
                             "above (use version=v3 or greater)");
    if (o->extended_l2 && cs < 16384)
        return vdisk_err_set(err, EINVAL, "Extended L2 entries are only "
                             "supported with cluster sizes of at least 16384 "
                             "bytes");
    if (o->data_file && o->backing_file && o->data_file_raw)
        return vdisk_err_set(err, EINVAL, "Backing file and preallocation can "
                             "only be used without data_file_raw");
    if (o->data_file_raw && !o->data_file)
        return vdisk_err_set(err, EINVAL, "data-file-raw requires data-file");
    if (o->backing_file && o->preallocation != VDISK_PREALLOC_OFF &&
        !o->extended_l2)
        return vdisk_err_set(err, EINVAL, "Backing file and preallocation can "
                             "only be used at the same time if extended_l2 "
                             "is on");
    if (o->backing_file && strlen(o->backing_file) > QCOW2_MAX_BACKING_NAME)
        return vdisk_err_set(err, EINVAL, "backing file name too long");
#ifndef HAVE_ZSTD
    if (o->compression_type == VDISK_COMP_ZSTD)
        return vdisk_err_set(err, ENOTSUP, "zstd is not supported by this "
                             "build");
#endif
    if (o->data_file) {
        char *dp = vd_resolve_relative(path, o->data_file);
        int dfd = open(dp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int e = errno;
        free(dp);
        if (dfd < 0)
            return vdisk_err_set(err, e, "could not create data file '%s': "
                                 "%s", o->data_file, strerror(e));
        int r = ftruncate(dfd, (off_t)o->size);
        e = errno;
        close(dfd);
        if (r < 0)
            return vdisk_err_set(err, e, "'%s': %s", o->data_file,
                                 strerror(e));
    }

    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return vdisk_err_set(err, errno, "could not create '%s': %s", path,
                             strerror(errno));
    /* Minimal image: header, refcount table, one refcount block, no L1
     * yet; then open it and grow the L1 with the ordinary allocator. */
    struct vdisk *d = xcalloc(1, sizeof(*d));
    struct qcow2 *q = xcalloc(1, sizeof(*q));
    d->direct_fd = -1;
    d->priv = q;
    d->filename = xstrdup(path);
    d->flags = VDISK_RDWR;
    d->fd = fd;
    d->drv = &vdisk_qcow2_driver;
    q->d = d;
    q->fd = q->data_fd = fd;
    q->name = d->filename;
    q->version = v3 ? 3 : 2;
    q->cluster_bits = (uint32_t)__builtin_ctz(cs);
    q->refcount_order = (uint32_t)__builtin_ctz((unsigned)o->refcount_bits);
    q->extl2 = o->extended_l2;
    q->compression_type = o->compression_type == VDISK_COMP_ZSTD ? 1 : 0;
    if (q->extl2)
        q->incompat |= QCOW2_INCOMPAT_EXTL2;
    if (q->compression_type)
        q->incompat |= QCOW2_INCOMPAT_COMPRESS;
    if (o->lazy_refcounts)
        q->compat |= QCOW2_COMPAT_LAZY;
    if (o->data_file) {
        q->incompat |= QCOW2_INCOMPAT_DATA_FILE;
        q->data_file = xstrdup(o->data_file);
        if (o->data_file_raw)
            q->autoclear |= QCOW2_AUTOCLEAR_DATA_RAW;
    }
    setup_geometry(q, err);
    q->size = 0;
    q->rt_offset = cs;
    q->rt_clusters = 1;
    q->rt_entries = cs / 8;
    q->rt = xcalloc(q->rt_entries, 8);
    q->rt[0] = 2ull * cs;
    q->l1 = xcalloc(1, 8);
    q->host_end = 3ull * cs;
    q->writable = true;
    if (o->backing_file) {
        d->backing_name = xstrdup(o->backing_file);
        d->backing_fmt = xstrdup(o->backing_format);
    }
    qc_init(&q->l2c, cache_entries(cs, 8u << 20), cs);
    qc_init(&q->rbc, cache_entries(cs, 2u << 20), cs);
    int rc = qcow2_write_header(q, err);
    uint8_t *buf = xcalloc(1, cs);
    if (rc == 0) {
        put_be64(buf, 2ull * cs);
        rc = vd_pwrite_fd(fd, buf, cs, cs, path, err);
    }
    if (rc == 0) {
        memset(buf, 0, cs);
        for (int i = 0; i < 3; i++)
            rb_set(q, buf, (uint64_t)i, 1);
        rc = vd_pwrite_fd(fd, buf, cs, 2ull * cs, path, err);
    }
    free(buf);
    uint64_t need = l1_needed(q, o->size);
    if (rc == 0 && need > QCOW2_MAX_L1_BYTES / 8)
        rc = vdisk_err_set(err, EFBIG, "'%s': size %llu needs too large an L1 "
                           "table", path, (unsigned long long)o->size);
    q->free_hint = q->run_hint = 3;
    if (rc == 0)
        rc = qcow2_grow_l1(q, need ? (uint32_t)need : 1, err);
    if (rc == 0) {
        q->size = o->size;
        rc = qcow2_write_header(q, err);
    }
    if (rc == 0)
        rc = qcow2_flush_all(q, err);
    qcow2_free_state(q);
    close(fd);
    free(d->backing_name);
    free(d->backing_fmt);
    free(d->filename);
    free(d);
    free(q);
    /* data_file_raw: the metadata must map every cluster 1:1 (qemu) */
    enum vdisk_prealloc pa = o->preallocation;
    if (o->data_file && o->data_file_raw && pa == VDISK_PREALLOC_OFF)
        pa = VDISK_PREALLOC_METADATA;
    if (rc == 0 && pa != VDISK_PREALLOC_OFF)
        rc = preallocate_new(path, o->size, pa, err);
    return rc;
}

/* ---- measure ------------------------------------------------------------ */

static uint64_t div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

static uint64_t refcount_meta_clusters(uint64_t clusters, uint64_t cs,
                                       unsigned order)
{
    uint64_t rb_entries = cs * 8 >> order;
    uint64_t blocks = 0, table = 0, last;
    do {
        last = blocks + table;
        blocks = div_up(clusters + table + blocks, rb_entries);
        table = div_up(blocks, cs / 8);
    } while (blocks + table != last);
    return blocks + table;
}

static uint64_t prealloc_size(uint64_t size, uint64_t cs, unsigned order,
                              bool extl2)
{
    uint64_t aligned = div_up(size, cs) * cs;
    uint64_t l2e = extl2 ? 16 : 8;
    uint64_t meta = cs;                 /* header */
    uint64_t nl2e = aligned / cs;
    nl2e = div_up(nl2e, cs / l2e) * (cs / l2e);
    meta += nl2e * l2e;
    uint64_t nl1e = nl2e * l2e / cs;
    nl1e = div_up(nl1e, cs / 8) * (cs / 8);
    meta += nl1e * 8;
    meta += refcount_meta_clusters((aligned + meta) / cs, cs, order) * cs;
    return meta + aligned;
}

static int qcow2_measure(const struct vdisk_create_opts *o, struct vdisk *src,
                         struct vdisk_measure *out, struct vdisk_err *err)
{
    uint64_t cs = o->cluster_size;
    uint64_t size = o->size_set || !src ? o->size : vdisk_size(src);
    unsigned order = (unsigned)__builtin_ctz((unsigned)o->refcount_bits);
    uint64_t required = 0;
    if (o->compat == 2 && o->refcount_bits != 16)
        return vdisk_err_set(err, EINVAL, "Different refcount widths than 16 "
                             "bits require compatibility level 1.1 or above "
                             "(use compat=1.1 or greater)");
    if (o->extended_l2 && cs < 16384)
        return vdisk_err_set(err, EINVAL, "Extended L2 entries are only "
                             "supported with cluster sizes of at least 16384 "
                             "bytes");
    size = div_up(size, 512) * 512;
    if (src) {
        uint64_t ssize = vdisk_size(src);
        for (uint64_t off = 0; off < ssize;) {
            struct vdisk_extent e;
            int rc = vdisk_block_status(src, off, ssize - off, true, &e, err);
            if (rc < 0)
                return rc;
            uint64_t pnum = e.len;
            if (!(e.flags & VDISK_EXT_ZERO) && (e.flags & VDISK_EXT_DATA)) {
                pnum = div_up(off + pnum, cs) * cs - off;
                required += off % cs + pnum;
            }
            off += pnum;
        }
    }
    if (o->preallocation == VDISK_PREALLOC_FULL ||
        o->preallocation == VDISK_PREALLOC_FALLOC)
        required = size;
    out->fully_allocated = prealloc_size(size, cs, order, o->extended_l2);
    out->required = out->fully_allocated - div_up(size, cs) * cs + required;
    return 0;
}

static const char *const qcow2_create_opts[] = {
    "backing_file", "backing_fmt", "cluster_size", "compat",
    "compression_type", "data_file", "data_file_raw", "extended_l2",
    "lazy_refcounts", "preallocation", "refcount_bits", "size", NULL,
};

const struct vdisk_driver vdisk_qcow2_driver = {
    .name = "qcow2",
    .priv_size = sizeof(struct qcow2),
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .pread = qcow2_pread,
    .pwrite = qcow2_pwrite,
    .pwrite_zeroes = qcow2_pwrite_zeroes,
    .discard = qcow2_discard,
    .flush = qcow2_flush,
    .truncate = qcow2_truncate,
    .block_status = qcow2_block_status,
    .compress = qcow2_compress,
    .write_compressed = qcow2_write_compressed,
    .reserve = qcow2_reserve,
    .create = qcow2_create,
    .measure = qcow2_measure,
    .get_info = qcow2_get_info,
    .check = qcow2_check,
    .snapshot_list = qcow2_snapshot_list,
    .snapshot_create = qcow2_snapshot_create,
    .snapshot_apply = qcow2_snapshot_apply,
    .snapshot_delete = qcow2_snapshot_delete,
    .set_backing = qcow2_set_backing,
    .make_empty = qcow2_make_empty,
    .create_opts = qcow2_create_opts,
    .zero_init = true,
};
