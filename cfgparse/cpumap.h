/* cfgparse/cpumap.h — CPU sets as xl writes them: cpus=, cpus_soft=,
 * vcpu-pin, vnuma's vcpus (xl.cfg(5) "CPU ALLOCATION").
 *
 * A spec is a comma-separated list of items, each
 *     [^][node:|nodes:](all | N | N-M)
 * "all" selects every CPU; N / N-M select CPUs, or with node(s): every CPU
 * of those NUMA nodes; a leading ^ removes instead of adding.  Items apply
 * left to right.  CPUs the host does not have are silently ignored (as xl
 * does).  The NUMA layout is the host's (cfgparse/host.h).
 *
 * Unlike Xen 4.17's xl (whose node-to-CPU lookup uses a bitmap sized for
 * nodes and so loses every CPU >= 8), "nodes:N" selects all of node N's
 * CPUs, which is what Xen's own tests expect. */
#ifndef VXL_CFGPARSE_CPUMAP_H
#define VXL_CFGPARSE_CPUMAP_H

#include "cfgparse/host.h"
#include "cfgparse/model.h"
#include "cfgparse/spec.h"

/* Apply spec to *out.  If out has no storage yet (size 0) it is allocated
 * for host->nr_cpus CPUs, all clear; otherwise bits are added / removed on
 * top of what it holds.  Returns 0, or -1 with an error in *d. */
int vxl_parse_cpumap(const char *spec, const struct vxl_host *host,
                     vxl_bitmap *out, vxl_diags *d);

/* The same, reporting errors at loc (a config list item, say). */
int vxl_parse_cpumap_at(const char *spec, const struct vxl_host *host,
                        vxl_bitmap *out, const cfg_pos *loc,
                        vxl_diags *d);

/* Format the first nr_bits bits as xl prints CPU maps: "all" when every
 * bit from 0 up is set, "none" when none is, else ranges such as
 * "0-3,8,10-15".  Caller frees. */
char *vxl_cpumap_format(const vxl_bitmap *map, int nr_bits);

#endif
