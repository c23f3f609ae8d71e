/* cfgparse/host.c — host facts: detected, or from VXL_HOST. */
#include "cfgparse/host.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "common/util.h"

static const char host_hint[] =
    "write it as e.g. VXL_HOST=\"cpus=16,nodes=2,memory=32768\"";

static int parse_key(const char *spec, const char *key, size_t klen,
                     const char *val, size_t vlen, long long max,
                     long long *out, vxl_diags *d)
{
    char buf[32];
    char *end;

    if (vlen == 0 || vlen >= sizeof(buf))
        goto bad;
    memcpy(buf, val, vlen);
    buf[vlen] = 0;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno || *end || v < 1 || v > max)
        goto bad;
    *out = v;
    return 0;
bad:
    vxl_diag_add(d, VXL_ERROR, "VXL_HOST", 0, 0, host_hint,
                 "invalid value for `%.*s' in `%s': expected a positive integer"
                 " up to %lld", (int)klen, key, spec, max);
    return -1;
}

int vxl_host_parse(struct vxl_host *h, const char *spec, vxl_diags *d)
{
    const char *p = spec;

    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        long long v;

        if (!eq) {
            vxl_diag_add(d, VXL_ERROR, "VXL_HOST", 0, 0, host_hint,
                         "`%.*s' in `%s' is not key=value", (int)len, p, spec);
            return -1;
        }
        size_t klen = eq - p;
        const char *val = eq + 1;
        size_t vlen = len - klen - 1;
        if (klen == 4 && !memcmp(p, "cpus", 4)) {
            if (parse_key(spec, p, klen, val, vlen, 4096, &v, d))
                return -1;
            h->nr_cpus = v;
        } else if (klen == 5 && !memcmp(p, "nodes", 5)) {
            if (parse_key(spec, p, klen, val, vlen, 64, &v, d))
                return -1;
            h->nr_nodes = v;
        } else if (klen == 6 && !memcmp(p, "memory", 6)) {
            if (parse_key(spec, p, klen, val, vlen, 1LL << 40, &v, d))
                return -1;
            h->memory_mib = v;
        } else {
            vxl_diag_add(d, VXL_ERROR, "VXL_HOST", 0, 0, host_hint,
                         "unknown key `%.*s' in `%s' (known: cpus, nodes, memory)",
                         (int)klen, p, spec);
            return -1;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    if (h->nr_nodes > h->nr_cpus) {
        vxl_diag_add(d, VXL_ERROR, "VXL_HOST", 0, 0, host_hint,
                     "%d nodes but only %d CPUs in `%s'", h->nr_nodes,
                     h->nr_cpus, spec);
        return -1;
    }
    return 0;
}

int vxl_host_detect(struct vxl_host *h, vxl_diags *d)
{
    struct sysinfo si;
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    h->nr_cpus = n > 0 ? (int)n : 1;
    h->nr_nodes = 1;
    h->memory_mib = 1024;
    if (sysinfo(&si) == 0)
        h->memory_mib = (uint64_t)si.totalram * si.mem_unit >> 20;
    const char *env = getenv("VXL_HOST");
    if (env && *env)
        return vxl_host_parse(h, env, d);
    return 0;
}

int vxl_host_node_of_cpu(const struct vxl_host *h, int cpu)
{
    if (cpu < 0 || cpu >= h->nr_cpus)
        return -1;
    int per = h->nr_cpus / h->nr_nodes;
    int node = cpu / per;
    return node < h->nr_nodes ? node : h->nr_nodes - 1;
}
