/* disk/imgopt.c — qemu-img compatible size parsing and printing.
 * See imgopt.h for the accepted syntax. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "disk/imgopt.h"

/* Multiplier for a unit letter, 0 if c is not one. */
static uint64_t suffix_mul(char c)
{
    switch (toupper((unsigned char)c)) {
    case 'B': return 1;
    case 'K': return 1ULL << 10;
    case 'M': return 1ULL << 20;
    case 'G': return 1ULL << 30;
    case 'T': return 1ULL << 40;
    case 'P': return 1ULL << 50;
    case 'E': return 1ULL << 60;
    }
    return 0;
}

/* Digits of base 10 or 16 into *val; returns the end, NULL on overflow. */
static const char *parse_u64(const char *p, int base, uint64_t *val)
{
    uint64_t v = 0;
    int any = 0;

    for (;; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && isxdigit((unsigned char)*p))
            d = tolower((unsigned char)*p) - 'a' + 10;
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return NULL;
        v = v * base + d;
        any = 1;
    }
    *val = v;
    return any ? p : p - 1;     /* p - 1 < start signals "no digits" */
}

int imgopt_parse_size_unit(const char *s, uint64_t default_mul, uint64_t *out)
{
    const char *p = s, *end;
    uint64_t val, mul;
    double frac = 0;
    bool has_frac = false;

    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return -EINVAL;         /* also rejects '-' and '+' */
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        end = parse_u64(p + 2, 16, &val);
        if (!end)
            return -ERANGE;
        if (end < p + 2 || *end == '.')     /* no digits; no fraction */
            return -EINVAL;
        /* qemu 7.2 still takes a unit after hex (deprecated) */
        mul = *end ? suffix_mul(*end) : 1;
        if (!mul || (*end && end[1]))
            return -EINVAL;
        if (val > UINT64_MAX / mul)
            return -ERANGE;
        *out = val * mul;
        return 0;
    }
    end = parse_u64(p, 10, &val);
    if (!end)
        return -ERANGE;
    if (*end == '.') {
        char *fe;
        frac = strtod(end, &fe);        /* ".5" */
        if (fe == end) {
            frac = 0;                   /* "1.k": empty fraction */
            fe = (char *)end + 1;
        } else if (memchr(end, 'e', fe - end) || memchr(end, 'E', fe - end)) {
            return -EINVAL;
        }
        has_frac = frac != 0;
        end = fe;
    }
    mul = suffix_mul(*end);
    if (mul)
        end++;
    else
        mul = default_mul;
    if (*end)
        return -EINVAL;
    if (mul == 1) {
        if (has_frac)
            return -EINVAL;
        *out = val;
        return 0;
    }
    if (val > UINT64_MAX / mul)
        return -ERANGE;
    /* fraction * mul is < mul <= 2^60, exact enough in long double; qemu
     * rounds half up */
    long double f = (long double)frac * mul + 0.5L;
    uint64_t add = (uint64_t)f;
    if (val * mul > UINT64_MAX - add)
        return -ERANGE;
    *out = val * mul + add;
    return 0;
}

int imgopt_parse_size(const char *s, uint64_t *out)
{
    return imgopt_parse_size_unit(s, 1, out);
}

char *imgopt_size_to_str(uint64_t v)
{
    static const char *const suffixes[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    /* qemu: the exponent of v*1024/1000 picks the unit, so that the
     * integer part stays below 1000 ("1000 KiB" prints as "0.977 MiB") */
    double x = v / (1000.0 / 1024.0);
    int e = 0, i;

    while (x >= 1.0) {
        x /= 2;
        e++;
    }
    i = (e - 1) / 10;
    if (i < 0)
        i = 0;
    return xasprintf("%0.3g %sB", (double)v / (double)(1ULL << (i * 10)),
                     suffixes[i]);
}

