/* disk/qcow2-snapshot.c — qcow2 internal snapshots: the snapshot table
 * (read, write with unknown extra data preserved), list, create, apply
 * (revert) and delete, with the refcount bookkeeping each needs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "disk/qcow2.h"

void qcow2_free_snapshots(struct qcow2 *q)
{
    for (uint32_t i = 0; i < q->nsnaps && q->snaps; i++) {
        free(q->snaps[i].id);
        free(q->snaps[i].name);
        free(q->snaps[i].extra);
    }
    free(q->snaps);
    q->snaps = NULL;
}

int qcow2_read_snapshots(struct qcow2 *q, struct vdisk_err *err)
{
    if (!q->nsnaps)
        return 0;
    q->snaps = xcalloc(q->nsnaps, sizeof(*q->snaps));
    uint64_t off = q->snap_offset;
    for (uint32_t i = 0; i < q->nsnaps; i++) {
        uint8_t h[40];
        int rc = vd_pread_exact(q->fd, h, sizeof(h), off, q->name, err);
        if (rc < 0)
            return vdisk_err_prefix(err, "reading snapshot table: ");
        struct qcow2_snap *s = &q->snaps[i];
        s->l1_offset = be64(h);
        s->l1_size = be32(h + 8);
        uint16_t idlen = be16(h + 12), namelen = be16(h + 14);
        s->date_sec = be32(h + 16);
        s->date_nsec = be32(h + 20);
        s->vm_clock_nsec = be64(h + 24);
        s->vm_state_size = be32(h + 32);
        s->extra_size = be32(h + 36);
        s->icount = UINT64_MAX;
        s->disk_size = q->size;
        if (s->extra_size > 1024)
            return vdisk_err_set(err, EINVAL, "'%s': snapshot %u has %u bytes "
                                 "of extra data (too much)", q->name, i,
                                 s->extra_size);
        if ((uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
            (s->l1_size && s->l1_offset % q->cluster_size))
            return vdisk_err_set(err, EINVAL, "'%s': snapshot %u has an "
                                 "invalid L1 table", q->name, i);
        off += 40;
        s->extra = xmalloc(s->extra_size ? s->extra_size : 1);
        rc = vd_pread_exact(q->fd, s->extra, s->extra_size, off, q->name, err);
        if (rc < 0)
            return rc;
        if (s->extra_size >= 8)
            s->vm_state_size = be64(s->extra);
        if (s->extra_size >= 16)
            s->disk_size = be64(s->extra + 8);
        if (s->extra_size >= 24)
            s->icount = be64(s->extra + 16);
        off += s->extra_size;
        char *str = xmalloc((size_t)idlen + namelen + 2);
        rc = vd_pread_exact(q->fd, str, (size_t)idlen + namelen, off, q->name,
                            err);
        if (rc < 0) {
            free(str);
            return rc;
        }
        s->id = xstrndup(str, idlen);
        s->name = xstrndup(str + idlen, namelen);
        free(str);
        off += (uint64_t)idlen + namelen;
        off = (off + 7) & ~7ull;
    }
    q->old_snap_len = off - q->snap_offset;
    return 0;
}

int qcow2_snapshot_list(struct vdisk *d, struct vdisk_snapshot **list,
                        size_t *n, struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    *list = NULL;
    *n = 0;
    if (!q->nsnaps)
        return 0;
    struct vdisk_snapshot *l = xcalloc(q->nsnaps, sizeof(*l));
    for (uint32_t i = 0; i < q->nsnaps; i++) {
        const struct qcow2_snap *s = &q->snaps[i];
        l[i].id = xstrdup(s->id);
        l[i].name = xstrdup(s->name);
        l[i].vm_state_size = s->vm_state_size;
        l[i].date_sec = s->date_sec;
        l[i].date_nsec = s->date_nsec;
        l[i].vm_clock_nsec = s->vm_clock_nsec;
        l[i].icount = s->icount;
        l[i].disk_size = s->disk_size;
    }
    *list = l;
    *n = q->nsnaps;
    return 0;
}

static int find_snapshot(struct qcow2 *q, const char *which)
{
    for (uint32_t i = 0; i < q->nsnaps; i++)
        if (!strcmp(q->snaps[i].id, which))
            return (int)i;
    for (uint32_t i = 0; i < q->nsnaps; i++)
        if (!strcmp(q->snaps[i].name, which))
            return (int)i;
    return -1;
}

/* Clusters that snapshot operations free are discarded, as qemu
 * discards them (pass-discard-snapshot is on by default): add delta to
 * cluster c's refcount, through qcow2_free_range when it drops. */
static int ref_delta(struct qcow2 *q, uint64_t c, int delta,
                     struct vdisk_err *err)
{
    return delta < 0 ? qcow2_free_range(q, c * q->cluster_size,
                                        q->cluster_size, true, err)
                     : qcow2_update_refcount(q, c, delta, err);
}

/* Write the snapshot table to a new place and point the header at it. */
static int write_snapshot_table(struct qcow2 *q, struct vdisk_err *err)
{
    strbuf sb = {0};
    for (uint32_t i = 0; i < q->nsnaps; i++) {
        struct qcow2_snap *s = &q->snaps[i];
        uint8_t h[40];
        while (sb.len % 8)      /* entries start 8-aligned; no tail pad */
            sb_putc(&sb, 0);
        memset(h, 0, sizeof(h));
        size_t idlen = strlen(s->id), namelen = strlen(s->name);
        put_be64(h, s->l1_offset);
        put_be32(h + 8, s->l1_size);
        put_be16(h + 12, (uint16_t)idlen);
        put_be16(h + 14, (uint16_t)namelen);
        put_be32(h + 16, s->date_sec);
        put_be32(h + 20, s->date_nsec);
        put_be64(h + 24, s->vm_clock_nsec);
        put_be32(h + 32, s->vm_state_size > UINT32_MAX ? 0
                                                       : (uint32_t)s->vm_state_size);
        uint32_t xs = s->extra_size < 24 ? 24 : s->extra_size;
        put_be32(h + 36, xs);
        sb_append(&sb, (const char *)h, 40);
        uint8_t *x = xcalloc(1, xs);
        if (s->extra_size)
            memcpy(x, s->extra, s->extra_size);
        put_be64(x, s->vm_state_size);
        put_be64(x + 8, s->disk_size);
        put_be64(x + 16, s->icount);
        sb_append(&sb, (const char *)x, xs);
        free(s->extra);         /* what the table now holds */
        s->extra = x;
        s->extra_size = xs;
        sb_append(&sb, s->id, idlen);
        sb_append(&sb, s->name, namelen);
    }
    uint64_t cs = q->cluster_size;
    uint64_t old = q->snap_offset;
    uint64_t noff = 0;
    int rc = 0;
    if (sb.len) {
        uint64_t nc = (sb.len + cs - 1) / cs;
        rc = qcow2_alloc_clusters(q, nc, &noff, err);
        /* the table's own bytes only, as qemu writes it: the file may
         * end inside its last cluster (the rest reads as zeros) */
        if (rc == 0)
            rc = vd_pwrite_fd(q->fd, sb.s, sb.len, noff, q->name, err);
    }
    uint64_t newlen = sb.len;
    sb_free(&sb);
    if (rc < 0)
        return rc;
    rc = qcow2_flush_all(q, err);
    if (rc < 0)
        return rc;
    uint8_t h[12];
    put_be32(h, q->nsnaps);
    put_be64(h + 4, noff);
    rc = vd_pwrite_fd(q->fd, h, 12, 60, q->name, err);
    if (rc == 0 && fdatasync(q->fd) < 0)
        rc = vdisk_err_set(err, errno, "'%s': %s", q->name, strerror(errno));
    if (rc < 0)
        return rc;
    q->snap_offset = noff;
    if (old && q->old_snap_len)
        rc = qcow2_free_range(q, old, q->old_snap_len, true, err);
    q->old_snap_len = newlen;
    return rc;
}

int qcow2_rewrite_snapshot_table(struct qcow2 *q, struct vdisk_err *err)
{
    return write_snapshot_table(q, err);
}

/* Add `delta` to the refcount of every cluster reachable from an L1
 * table (its own clusters excluded); with `fix_copied`, rewrite the
 * active tables' COPIED flags from the resulting refcounts. */
static int update_tree(struct qcow2 *q, const uint64_t *l1, uint32_t l1_size,
                       int delta, struct vdisk_err *err)
{
    uint64_t cs = q->cluster_size, l2n = 1ull << q->l2_bits;
    uint8_t *tab = xmalloc(cs);
    int rc = 0;
    for (uint32_t i = 0; i < l1_size && rc == 0; i++) {
        uint64_t l2off = l1[i] & L1E_OFFSET_MASK;
        if (!l2off)
            continue;
        struct qc_entry *e;
        rc = qc_get(q, &q->l2c, l2off, false, &e, err);
        if (rc < 0)
            break;
        memcpy(tab, e->buf, cs);
        for (uint64_t j = 0; j < l2n && rc == 0; j++) {
            uint64_t ent = be64(tab + j * q->l2_entry_size);
            if (ent & QCOW_OFLAG_COMPRESSED) {
                uint64_t s, end;
                qcow2_compressed_range(q, ent, &s, &end);
                s &= ~511ull;
                for (uint64_t c = s / cs; c < (end + cs - 1) / cs && rc == 0;
                     c++)
                    rc = ref_delta(q, c, delta, err);
            } else if (ent & L2E_OFFSET_MASK) {
                rc = ref_delta(q, (ent & L2E_OFFSET_MASK) / cs, delta, err);
            }
        }
        if (rc == 0)
            rc = ref_delta(q, l2off / cs, delta, err);
    }
    free(tab);
    return rc;
}

/* Recompute COPIED flags of the active L1 and its L2 tables. */
static int fix_copied(struct qcow2 *q, struct vdisk_err *err)
{
    uint64_t cs = q->cluster_size, l2n = 1ull << q->l2_bits;
    for (uint32_t i = 0; i < q->l1_size; i++) {
        uint64_t l2off = q->l1[i] & L1E_OFFSET_MASK;
        if (!l2off)
            continue;
        uint64_t r;
        int rc = qcow2_get_refcount(q, l2off / cs, &r, err);
        if (rc < 0)
            return rc;
        uint64_t ne = l2off | (r == 1 ? QCOW_OFLAG_COPIED : 0);
        if (ne != q->l1[i]) {
            q->l1[i] = ne;
            if ((rc = qcow2_write_l1_entry(q, i, err)) < 0)
                return rc;
        }
        for (uint64_t j = 0; j < l2n; j++) {
            struct qc_entry *e;
            rc = qc_get(q, &q->l2c, l2off, false, &e, err);
            if (rc < 0)
                return rc;
            uint64_t ent = be64(e->buf + j * q->l2_entry_size);
            if ((ent & QCOW_OFLAG_COMPRESSED) || !(ent & L2E_OFFSET_MASK))
                continue;
            rc = qcow2_get_refcount(q, (ent & L2E_OFFSET_MASK) / cs, &r, err);
            if (rc < 0)
                return rc;
            uint64_t n2 = (ent & ~QCOW_OFLAG_COPIED) |
                          (r == 1 ? QCOW_OFLAG_COPIED : 0);
            if (n2 != ent) {
                rc = qc_get(q, &q->l2c, l2off, false, &e, err);
                if (rc < 0)
                    return rc;
                put_be64(e->buf + j * q->l2_entry_size, n2);
                e->dirty = true;
            }
        }
    }
    return 0;
}

int qcow2_snapshot_create(struct vdisk *d, const char *name,
                          struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    if (qcow2_has_df(q))
        return vdisk_err_set(err, ENOTSUP, "'%s': internal snapshots are not "
                             "supported with an external data file", q->name);
    if (find_snapshot(q, name) >= 0)
        return vdisk_err_set(err, EEXIST, "'%s': a snapshot named '%s' "
                             "already exists", q->name, name);
    if (q->nsnaps >= QCOW2_MAX_SNAPSHOTS)
        return vdisk_err_set(err, ENOSPC, "'%s': too many snapshots",
                             q->name);
    uint64_t cs = q->cluster_size;
    int rc = update_tree(q, q->l1, q->l1_size, 1, err);
    if (rc < 0)
        return rc;
    rc = fix_copied(q, err);
    if (rc < 0)
        return rc;
    uint64_t l1bytes = (uint64_t)q->l1_size * 8;
    uint64_t nc = (l1bytes + cs - 1) / cs, l1off = 0;
    if (nc) {
        rc = qcow2_alloc_clusters(q, nc, &l1off, err);
        if (rc < 0)
            return rc;
        uint8_t *buf = xcalloc(nc, cs);
        for (uint32_t i = 0; i < q->l1_size; i++)
            put_be64(buf + i * 8, q->l1[i]);
        rc = vd_pwrite_fd(q->fd, buf, nc * cs, l1off, q->name, err);
        free(buf);
        if (rc < 0)
            return rc;
    }
    /* next free numeric id */
    unsigned long maxid = 0;
    for (uint32_t i = 0; i < q->nsnaps; i++) {
        unsigned long v = strtoul(q->snaps[i].id, NULL, 10);
        if (v > maxid)
            maxid = v;
    }
    q->snaps = xreallocarray(q->snaps, q->nsnaps + 1, sizeof(*q->snaps));
    struct qcow2_snap *s = &q->snaps[q->nsnaps];
    memset(s, 0, sizeof(*s));
    s->l1_offset = l1off;
    s->l1_size = q->l1_size;
    s->id = xasprintf("%lu", maxid + 1);
    s->name = xstrdup(name);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* as qemu-img writes them: the time to the microsecond, and an
     * instruction count of 0 (its snapshot starts zeroed; no record/
     * replay), which `snapshot -l` shows in the ICOUNT column */
    s->date_sec = (uint32_t)ts.tv_sec;
    s->date_nsec = (uint32_t)(ts.tv_nsec / 1000 * 1000);
    s->disk_size = q->size;
    s->icount = 0;
    s->extra = xmalloc(1);
    q->nsnaps++;
    return write_snapshot_table(q, err);
}

int qcow2_snapshot_apply(struct vdisk *d, const char *which,
                         struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    int i = find_snapshot(q, which);
    if (i < 0)
        return vdisk_err_set(err, ENOENT, "'%s': can't find snapshot '%s'",
                             q->name, which);
    struct qcow2_snap *s = &q->snaps[i];
    if (s->disk_size > (1ull << 62) ||
        (uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES)
        return vdisk_err_set(err, EINVAL, "'%s': snapshot '%s' is corrupt "
                             "(disk size %llu, %u L1 entries)", q->name,
                             which, (unsigned long long)s->disk_size,
                             s->l1_size);
    uint64_t *sl1 = xcalloc(s->l1_size ? s->l1_size : 1, 8);
    int rc = s->l1_size ? vd_pread_exact(q->fd, sl1, (size_t)s->l1_size * 8,
                                         s->l1_offset, q->name, err) : 0;
    if (rc < 0) {
        free(sl1);
        return rc;
    }
    for (uint32_t k = 0; k < s->l1_size; k++)
        sl1[k] = be64(&sl1[k]);
    /* take references for the snapshot's tree before dropping ours */
    rc = update_tree(q, sl1, s->l1_size, 1, err);
    if (rc == 0)
        rc = update_tree(q, q->l1, q->l1_size, -1, err);
    if (rc < 0) {
        free(sl1);
        return rc;
    }
    if (s->l1_size > q->l1_size) {
        rc = qcow2_grow_l1(q, s->l1_size, err);
        if (rc < 0) {
            free(sl1);
            return rc;
        }
    }
    for (uint32_t k = 0; k < q->l1_size; k++)
        q->l1[k] = k < s->l1_size ? sl1[k] & ~QCOW_OFLAG_COPIED : 0;
    free(sl1);
    uint64_t cs = q->cluster_size;
    uint8_t *buf = xcalloc(1, ((uint64_t)q->l1_size * 8 + cs - 1) / cs * cs);
    for (uint32_t k = 0; k < q->l1_size; k++)
        put_be64(buf + k * 8, q->l1[k]);
    rc = vd_pwrite_fd(q->fd, buf, (size_t)q->l1_size * 8, q->l1_offset,
                      q->name, err);
    free(buf);
    q->dc_l2e = 0;
    if (rc == 0 && s->disk_size != q->size) {
        /* the image takes the snapshot's size back (the image was resized
         * after the snapshot was taken) */
        uint8_t b[8];
        put_be64(b, s->disk_size);
        rc = vd_pwrite_fd(q->fd, b, 8, 24, q->name, err);
        if (rc == 0) {
            q->size = s->disk_size;
            d->size = s->disk_size;
        }
    }
    if (rc == 0)
        rc = fix_copied(q, err);
    if (rc == 0)
        rc = qcow2_flush_all(q, err);
    return rc;
}

int qcow2_snapshot_delete(struct vdisk *d, const char *which,
                          struct vdisk_err *err)
{
    struct qcow2 *q = Q(d);
    int i = find_snapshot(q, which);
    if (i < 0)
        return vdisk_err_set(err, ENOENT, "'%s': can't find snapshot '%s'",
                             q->name, which);
    struct qcow2_snap s = q->snaps[i];
    uint64_t *sl1 = xcalloc(s.l1_size ? s.l1_size : 1, 8);
    int rc = s.l1_size ? vd_pread_exact(q->fd, sl1, (size_t)s.l1_size * 8,
                                        s.l1_offset, q->name, err) : 0;
    if (rc < 0) {
        free(sl1);
        return rc;
    }
    for (uint32_t k = 0; k < s.l1_size; k++)
        sl1[k] = be64(&sl1[k]);
    memmove(&q->snaps[i], &q->snaps[i + 1],
            (q->nsnaps - (uint32_t)i - 1) * sizeof(*q->snaps));
    q->nsnaps--;
    rc = write_snapshot_table(q, err);
    if (rc == 0)
        rc = update_tree(q, sl1, s.l1_size, -1, err);
    free(sl1);
    uint64_t cs = q->cluster_size;
    if (rc == 0 && s.l1_size)
        rc = qcow2_free_range(q, s.l1_offset,
                              ((uint64_t)s.l1_size * 8 + cs - 1) / cs * cs,
                              true, err);
    if (rc == 0)
        rc = fix_copied(q, err);
    if (rc == 0)
        rc = qcow2_flush_all(q, err);
    free(s.id);
    free(s.name);
    free(s.extra);
    return rc;
}
