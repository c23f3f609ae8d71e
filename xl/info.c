/* xl/info.c — `vxl info': the hypervisor's and the machine's facts, in
 * xl info's format (xl_info.c print_info without -n): the node (uname),
 * the physical machine, the hypervisor, then "xend_config_format : 4".
 * Only on a backend with a host_info op (xen); elsewhere an error. */
#include <inttypes.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "backend/backend.h"
#include "common/util.h"
#include "xl/xl.h"

#define FIELD "%-23s: "

static void print_host(const vxl_hostinfo *h)
{
    struct utsname u;

    if (uname(&u) == 0) {
        printf(FIELD "%s\n", "host", u.nodename);
        printf(FIELD "%s\n", "release", u.release);
        printf(FIELD "%s\n", "version", u.version);
        printf(FIELD "%s\n", "machine", u.machine);
    }
    printf(FIELD "%d\n", "nr_cpus", h->nr_cpus);
    printf(FIELD "%d\n", "max_cpu_id", h->max_cpu_id);
    printf(FIELD "%d\n", "nr_nodes", h->nr_nodes);
    printf(FIELD "%d\n", "cores_per_socket", h->cores_per_socket);
    printf(FIELD "%d\n", "threads_per_core", h->threads_per_core);
    printf(FIELD "%u.%03u\n", "cpu_mhz", h->cpu_khz / 1000, h->cpu_khz % 1000);
    printf(FIELD "%08x:%08x:%08x:%08x:%08x:%08x:%08x:%08x\n", "hw_caps",
           h->hw_cap[0], h->hw_cap[1], h->hw_cap[2], h->hw_cap[3],
           h->hw_cap[4], h->hw_cap[5], h->hw_cap[6], h->hw_cap[7]);
    /* as xl: each capability with a leading space, none: nothing */
    printf("%-23s:%s%s%s%s%s%s%s%s%s%s%s\n", "virt_caps",
           h->cap_pv ? " pv" : "", h->cap_hvm ? " hvm" : "",
           h->cap_hvm && h->cap_hvm_directio ? " hvm_directio" : "",
           h->cap_pv && h->cap_hvm_directio ? " pv_directio" : "",
           h->cap_hap ? " hap" : "", h->cap_shadow ? " shadow" : "",
           h->cap_iommu_hap_pt_share ? " iommu_hap_pt_share" : "",
           h->cap_vmtrace ? " vmtrace" : "", h->cap_vpmu ? " vpmu" : "",
           h->cap_gnttab_v1 ? " gnttab-v1" : "",
           h->cap_gnttab_v2 ? " gnttab-v2" : "");
    printf(FIELD "%" PRIu64 "\n", "total_memory", h->total_mb);
    printf(FIELD "%" PRIu64 "\n", "free_memory", h->free_mb);
    printf(FIELD "%" PRIu64 "\n", "sharing_freed_memory", h->sharing_freed_mb);
    printf(FIELD "%" PRIu64 "\n", "sharing_used_memory", h->sharing_used_mb);
    printf(FIELD "%" PRIu64 "\n", "outstanding_claims", h->outstanding_mb);
    if (h->free_cpus >= 0)
        printf(FIELD "%d\n", "free_cpus", h->free_cpus);
    printf(FIELD "%d\n", "xen_major", h->xen_major);
    printf(FIELD "%d\n", "xen_minor", h->xen_minor);
    printf(FIELD "%s\n", "xen_extra", h->xen_extra);
    printf(FIELD "%d.%d%s\n", "xen_version", h->xen_major, h->xen_minor,
           h->xen_extra);
    printf(FIELD "%s\n", "xen_caps", h->xen_caps);
    printf(FIELD "%s\n", "xen_scheduler", h->xen_scheduler);
    printf(FIELD "%u\n", "xen_pagesize", h->pagesize);
    printf(FIELD "virt_start=0x%" PRIx64 "\n", "platform_params",
           h->virt_start);
    printf(FIELD "%s\n", "xen_changeset", h->xen_changeset);
    printf(FIELD "%s\n", "xen_commandline", h->xen_commandline);
    printf(FIELD "%s\n", "cc_compiler", h->cc_compiler);
    printf(FIELD "%s\n", "cc_compile_by", h->cc_compile_by);
    printf(FIELD "%s\n", "cc_compile_domain", h->cc_compile_domain);
    printf(FIELD "%s\n", "cc_compile_date", h->cc_compile_date);
    printf(FIELD "%s\n", "build_id", h->build_id);
    printf(FIELD "4\n", "xend_config_format");
}

int main_info(int argc, char **argv)
{
    vxl_hostinfo h;
    vxl_diags d = {0};
    int opt, rc = 1;

    while ((opt = def_getopt(argc, argv, "n", "info", 0)) != -1) {
        if (opt != 'n')
            return 2;
        fprintf(stderr, "vxl info: -n (NUMA and CPU topology) is not "
                "supported yet\n");
        return 1;
    }
    vxl_backend *b = xl_backend_open();
    if (!b)
        return 1;
    if (!b->ops->host_info) {
        fprintf(stderr, "vxl info: not supported on the %s backend\n",
                b->ops->name);
    } else if (b->ops->host_info(b, &h, &d)) {
        report_diags(&d);
        fprintf(stderr, "vxl info: cannot get the host's information\n");
    } else {
        print_host(&h);
        vxl_hostinfo_dispose(&h);
        rc = fflush(stdout) ? 1 : 0;
    }
    vxl_diags_free(&d);
    vxl_backend_close(b);
    return rc;
}
