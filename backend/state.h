/* backend/state.h — vxl's runtime state: one record per domain, on disk.
 *
 * Layout of the run directory (`/run/vxl' as root, `$XDG_RUNTIME_DIR/vxl'
 * otherwise, `$VXL_RUNDIR' overriding both):
 *
 *     lock              flock()ed while ids, names or records change
 *     next-domid        the next id to try (ids grow like Xen's, then wrap)
 *     dom/<domid>/      one directory per domain, owned by its backend:
 *         record.json   this file's vxl_domrec, replaced atomically
 *         ...           sockets, logs, config.json, ...
 *
 * Every change to ids or names happens under the lock, so concurrent vxl
 * processes never hand out one id or one name twice.  Records are written
 * to a temporary file and renamed, so readers never see half a record.
 *
 * Liveness: a record names the processes that keep it alive, each as pid
 * plus its start time (so a recycled pid is not mistaken for ours).  While
 * a domain is being created that is the creating vxl; afterwards the
 * monitor and QEMU.  A record none of whose processes are alive is stale:
 * vxl_state_gc() removes it (and its directory). */
#ifndef VXL_BACKEND_STATE_H
#define VXL_BACKEND_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "common/diag.h"

#define VXL_DOMID_FIRST 1
#define VXL_DOMID_LAST  0x7fef          /* below Xen's reserved ids */

/* A process, robust against pid reuse. */
typedef struct vxl_proc {
    pid_t pid;                  /* 0: none */
    uint64_t start;             /* /proc/<pid>/stat starttime */
} vxl_proc;

typedef struct vxl_domrec {
    uint32_t domid;
    char *name;
    char uuid[37];
    vxl_proc creator;           /* the vxl creating it, until it hands over */
    vxl_proc monitor;           /* the monitor process, or none */
    vxl_proc qemu;              /* the device model / VM process, or none */
    char *status;               /* backend's word: "creating", "running", ... */
    uint64_t start_time;        /* seconds since the epoch */
    uint64_t memkb, max_memkb;
    uint32_t vcpus, max_vcpus;
} vxl_domrec;

typedef struct vxl_state {
    char *dir;                  /* the run directory */
    int lock_fd;                /* open lock file */
    int lock_depth;             /* nested vxl_state_lock calls */
} vxl_state;

/* The run directory from the environment (see above).  Caller frees. */
char *vxl_state_default_dir(void);

/* Open (creating when needed, mode 0700) a run directory; dir NULL means
 * vxl_state_default_dir(). */
int vxl_state_open(const char *dir, vxl_state **out, vxl_diags *d);
void vxl_state_close(vxl_state *st);

/* The global lock (flock, exclusive; nests within one process). */
int vxl_state_lock(vxl_state *st, vxl_diags *d);
void vxl_state_unlock(vxl_state *st);

/* <dir>/dom/<domid>; caller frees. */
char *vxl_state_domdir(const vxl_state *st, uint32_t domid);

/* Reserve a new domain: under the lock, clean stale records, check the
 * name is free (-EEXIST otherwise), pick the next free id, create its
 * directory and write `rec' (rec->domid is set; rec->creator defaults to
 * the calling process). */
int vxl_state_reserve(vxl_state *st, vxl_domrec *rec, vxl_diags *d);

/* Replace a domain's record (it must exist: -ESRCH otherwise). */
int vxl_state_write(vxl_state *st, const vxl_domrec *rec, vxl_diags *d);
/* Read one record; -ESRCH when there is none. */
int vxl_state_read(vxl_state *st, uint32_t domid, vxl_domrec *rec,
                   vxl_diags *d);
/* All records, sorted by id (stale ones are cleaned first). */
int vxl_state_list(vxl_state *st, vxl_domrec **v, size_t *n, vxl_diags *d);
/* Remove a domain's directory and everything in it. */
int vxl_state_remove(vxl_state *st, uint32_t domid, vxl_diags *d);
/* Rename under the lock: -EEXIST when taken, -ESRCH when no such id. */
int vxl_state_rename(vxl_state *st, uint32_t domid, const char *new_name,
                     vxl_diags *d);
/* Name → id; -ESRCH when unknown. */
int vxl_state_find_name(vxl_state *st, const char *name, uint32_t *domid,
                        vxl_diags *d);
/* Remove stale records; returns how many were removed (>= 0) or -errno. */
int vxl_state_gc(vxl_state *st, vxl_diags *d);

/* True when none of the record's processes is alive. */
bool vxl_domrec_stale(const vxl_domrec *rec);
void vxl_domrec_dispose(vxl_domrec *rec);
void vxl_domrec_list_free(vxl_domrec *v, size_t n);

/* Processes. */
vxl_proc vxl_proc_self(void);
/* Read /proc/<pid>/stat into buf; returns a pointer to field 3 (the
 * state letter, after the command name), or NULL when the process is
 * gone or the file is unreadable. */
const char *vxl_proc_stat(pid_t pid, char *buf, size_t len);
vxl_proc vxl_proc_of(pid_t pid);        /* start 0 when it does not exist */
bool vxl_proc_alive(const vxl_proc *p);


#endif
