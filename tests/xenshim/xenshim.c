/* tests/xenshim/xenshim.c — a test double for the few hypervisor and
 * xenstore entry points libxenlight touches when a context is created, so
 * vxl's xen backend can run its translation (`vxl --backend=xen create -n`)
 * on a machine without Xen.  Preloaded (LD_PRELOAD) in front of libxenctrl
 * and libxenstore by tests/integration/xen_translate.sh; never linked into
 * vxl itself.
 *
 * libxl_ctx_alloc() opens a libxenctrl handle and a xenstore connection and
 * libxl_ctx_free() closes them; those four calls are all the translation
 * path needs.  The host queries below answer for the same imaginary host
 * the checked-in expectations were made on (xl 4.17 under ../shared's
 * oracle): x86-64, 16 CPUs in 2 NUMA nodes (0-7, 8-15), 32 GiB, 4 KiB
 * pages.  Anything else is not imitated: a real domain operation reaching
 * the real libraries with our fake handles is a test bug, so the handles
 * carry a marker that makes such misuse easy to recognise in a core. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SHIM_CPUS       16u
#define SHIM_NODES      2u
#define SHIM_PAGE       4096ull
#define SHIM_MEM_BYTES  (32ull << 30)
#define SHIM_PAGES      (SHIM_MEM_BYTES / SHIM_PAGE)

struct shim_handle {
    char marker[16];            /* "vxl-xenshim" */
};

static void *new_handle(void)
{
    struct shim_handle *h = calloc(1, sizeof *h);
    if (h)
        memcpy(h->marker, "vxl-xenshim", 12);
    return h;
}

/* ---- libxenctrl ---------------------------------------------------------- */

void *xc_interface_open(void *logger, void *dombuild_logger, unsigned flags);
int xc_interface_close(void *xch);
int xc_get_max_cpus(void *xch);
int xc_get_online_cpus(void *xch);
int xc_get_max_nodes(void *xch);
int xc_physinfo(void *xch, void *out);

void *xc_interface_open(void *logger, void *dombuild_logger, unsigned flags)
{
    (void)logger, (void)dombuild_logger, (void)flags;
    return new_handle();
}

int xc_interface_close(void *xch)
{
    free(xch);
    return 0;
}

int xc_get_max_cpus(void *xch)
{
    (void)xch;
    return SHIM_CPUS;
}

int xc_get_online_cpus(void *xch)
{
    (void)xch;
    return SHIM_CPUS;
}

int xc_get_max_nodes(void *xch)
{
    (void)xch;
    return SHIM_NODES;
}

/* Xen 4.17's struct xen_sysctl_physinfo (public/sysctl.h). */
struct shim_physinfo {
    uint32_t threads_per_core, cores_per_socket, nr_cpus, max_cpu_id;
    uint32_t nr_nodes, max_node_id, cpu_khz, capabilities;
    uint32_t arch_capabilities, pad;
    uint64_t total_pages, free_pages, scrub_pages, outstanding_pages;
    uint64_t max_mfn;
    uint32_t hw_cap[8];
};

int xc_physinfo(void *xch, void *out)
{
    struct shim_physinfo p = {
        .threads_per_core = 1,
        .cores_per_socket = SHIM_CPUS / SHIM_NODES,
        .nr_cpus = SHIM_CPUS,
        .max_cpu_id = SHIM_CPUS - 1,
        .nr_nodes = SHIM_NODES,
        .max_node_id = SHIM_NODES - 1,
        .cpu_khz = 2000000,
        .total_pages = SHIM_PAGES,
        .free_pages = SHIM_PAGES / 2,
        .max_mfn = SHIM_PAGES - 1,
    };
    (void)xch;
    memcpy(out, &p, sizeof p);
    return 0;
}

/* ---- libxenstore --------------------------------------------------------- */

void *xs_open(unsigned long flags);
void xs_close(void *xsh);
void xs_daemon_close(void *xsh);

void *xs_open(unsigned long flags)
{
    (void)flags;
    return new_handle();
}

void xs_close(void *xsh)
{
    free(xsh);
}

void xs_daemon_close(void *xsh)
{
    free(xsh);
}
