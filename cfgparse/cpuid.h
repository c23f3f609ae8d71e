/* cfgparse/cpuid.h — the `cpuid' option of xl.cfg(5): libxl's CPUID policy
 * list, and the two syntaxes that fill it.
 *
 *   cpuid = "host,tm=0,sse3=1,page1gb=x"          (libxl syntax)
 *   cpuid = [ "1:ecx=xxxx...x1,edx=...", ... ]     (legacy xend syntax)
 *
 * A policy is a list of CPUID leaves, each with up to four register masks
 * of exactly 32 characters (one per bit, most significant first: '0', '1',
 * 'x' = default, 'k' = host, 's' = host, keep across migration), plus a
 * list of MSRs with 64-character masks.  Entries keep the order in which
 * they were first mentioned, which is the order libxl prints them in:
 *
 *   "cpuid": { "cpuid": [ { "leaf": 1, "ecx": "xxx...1" } ], "msr": [ ] }
 */
#ifndef VXL_CFGPARSE_CPUID_H
#define VXL_CFGPARSE_CPUID_H

#include "cfgparse/model.h"     /* vxl_cpuid_policy_list */

/* Result codes of the two parsers: 0 on success, else xl's error numbers
 * (see vxl_cpuid_strerror).  A failed item leaves earlier items in place,
 * as libxl does. */

/* One "name=value" item of the libxl syntax (the words after "host").
 * 1: no '=';  2: unknown flag name;  3: bad value (not 0/1/x/k/s or a
 * number; MSR features take a single character only). */
int vxl_cpuid_parse_flag(vxl_cpuid_policy_list *p, const char *item);

/* One list item of the xend syntax: "LEAF[,SUBLEAF]:eXx=MASK[,eXx=MASK]".
 * 1: bad leaf;  2: bad subleaf;  3: no ':';  4: bad register name;
 * 5: mask not 32 characters. */
int vxl_cpuid_parse_xend(vxl_cpuid_policy_list *p, const char *item);

/* xl's wording of a flag (xend = 0) or xend (xend = 1) parser error. */
const char *vxl_cpuid_strerror(int xend, int err);

#endif
