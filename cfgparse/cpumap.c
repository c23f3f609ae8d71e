/* cfgparse/cpumap.c — parse and format CPU sets (see cpumap.h). */
#include "cfgparse/cpumap.h"
#include "common/util.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* "N" or "N-M" (decimal, M >= N, nothing after).  0, or -1. */
static int parse_range(const char *str, unsigned long *a, unsigned long *b)
{
    char *end;
    const char *nstr;

    *a = *b = strtoul(str, &end, 10);
    if (end == str || *a == ULONG_MAX)
        return -1;
    if (*end == '-') {
        nstr = end + 1;
        *b = strtoul(nstr, &end, 10);
        if (end == nstr || *b == ULONG_MAX || *b < *a)
            return -1;
    }
    return *end ? -1 : 0;
}

static void put(vxl_bitmap *map, unsigned long cpu, bool remove)
{
    if (cpu > INT_MAX)
        return;
    if (remove)
        vxl_bitmap_reset(map, (int)cpu);
    else
        vxl_bitmap_set(map, (int)cpu);
}

/* One item of the list: [^][node:|nodes:](all|N|N-M) */
static int update_range(const char *item, const struct vxl_host *host,
                        vxl_bitmap *map, const cfg_pos *loc,
                        vxl_diags *d)
{
    const char *s = item;
    bool is_not = false, is_nodes = false;
    unsigned long a, b;

    if (*s == '^') {
        is_not = true;
        s++;
    }
    if (!strncmp(s, "node:", 5)) {
        is_nodes = true;
        s += 5;
    } else if (!strncmp(s, "nodes:", 6)) {
        is_nodes = true;
        s += 6;
    }

    if (!strcmp(s, "all")) {
        if (is_not) {
            spec_error(d, loc, "drop the `^', or list what to remove "
                       "after `all', e.g. `all,^0'",
                       "can't combine \"^\" and \"all\" in `%s'", item);
            return -1;
        }
        vxl_bitmap_set_any(map);
        return 0;
    }

    if (parse_range(s, &a, &b)) {
        spec_error(d, loc, "items are [^][nodes:]N or [^][nodes:]N-M "
                   "(decimal, N <= M) or `all', separated by commas",
                   "invalid pcpu range: `%s'", item);
        return -1;
    }

    if (!is_nodes) {
        unsigned long nbits = (unsigned long)vxl_bitmap_nr_bits(map);
        for (unsigned long c = a; c <= b && c < nbits; c++)
            put(map, c, is_not);
        return 0;
    }
    for (int cpu = 0; cpu < host->nr_cpus; cpu++) {
        int node = vxl_host_node_of_cpu(host, cpu);
        if (node >= 0 && (unsigned long)node >= a && (unsigned long)node <= b)
            put(map, (unsigned long)cpu, is_not);
    }
    return 0;
}

int vxl_parse_cpumap_at(const char *spec, const struct vxl_host *host,
                        vxl_bitmap *out, const cfg_pos *loc,
                        vxl_diags *d)
{
    char *buf = xstrdup(spec), *save = NULL;
    int rc = 0;

    if (out->size == 0)
        vxl_bitmap_alloc(out, host->nr_cpus);
    for (char *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        rc = update_range(tok, host, out, loc, d);
        if (rc)
            break;
    }
    free(buf);
    return rc;
}

int vxl_parse_cpumap(const char *spec, const struct vxl_host *host,
                     vxl_bitmap *out, vxl_diags *d)
{
    return vxl_parse_cpumap_at(spec, host, out, NULL, d);
}

static void put_run(strbuf *sb, bool first, int from, int to)
{
    sb_printf(sb, "%s%d", first ? "" : ",", from);
    if (to > from)
        sb_printf(sb, "-%d", to);
}

char *vxl_cpumap_format(const vxl_bitmap *map, int nr_bits)
{
    strbuf sb = {0};
    bool any = false;
    int i = 0;

    while (i < nr_bits) {
        if (!vxl_bitmap_test(map, i)) {
            i++;
            continue;
        }
        int from = i;
        while (i < nr_bits && vxl_bitmap_test(map, i))
            i++;
        if (from == 0 && i == nr_bits)
            return xstrdup("all");
        put_run(&sb, !any, from, i - 1);
        any = true;
    }
    if (!any)
        return xstrdup("none");
    return sb_steal(&sb);
}
