/* cfgparse/host.h — the host facts xl's answers depend on.
 *
 * A few config options mean different things on different hosts:
 * cpus="all" (how many CPUs), cpus="nodes:1" and vnuma (the NUMA layout),
 * autoballoon.  A dry run takes them from the selected backend, or from
 * VXL_HOST="cpus=16,nodes=2,memory=32768" (CPUs split evenly across nodes
 * in order, memory in MiB).  Nothing here queries a hypervisor. */
#ifndef VXL_CFGPARSE_HOST_H
#define VXL_CFGPARSE_HOST_H

#include <stdint.h>
#include "common/diag.h"

struct vxl_host {
    int nr_cpus;            /* online physical CPUs, >= 1 */
    int nr_nodes;           /* NUMA nodes, >= 1 */
    uint64_t memory_mib;    /* total host memory */
};

/* Parse a VXL_HOST string.  Keys: cpus, nodes, memory; omitted keys keep
 * the value already in *h.  Returns 0, or -1 with an error in *d. */
int vxl_host_parse(struct vxl_host *h, const char *spec, vxl_diags *d);

/* Facts of the machine vxl runs on (one node; CPU count and memory from
 * the kernel), then overridden by $VXL_HOST when set. */
int vxl_host_detect(struct vxl_host *h, vxl_diags *d);

/* The node CPU `cpu' belongs to (CPUs are split evenly, in order; the last
 * node takes any remainder), or -1 when cpu is out of range. */
int vxl_host_node_of_cpu(const struct vxl_host *h, int cpu);

#endif
