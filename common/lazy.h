/* common/lazy.h — forwarders for libraries loaded on first use.
 *
 * A library that only some commands need (libxenlight for the xen
 * backend, libxml2 for OVF import) costs every start of vxl its loading
 * and relocation, several times what `vxl img info` itself does.  Such a
 * library is left out of vxl's link; the functions vxl calls are defined
 * with the library's own prototypes (its header checks them) and forward
 * to the real ones, found with dlsym() in a handle the first call opens.
 *
 *   static void *lib_sym(const char *name);      -- the file's loader
 *   LAZY_FWD(lib_sym, int, -1, foo, (int a, char *b), (a, b))
 *   LAZY_FWDV(lib_sym, bar, (void *p), (p))       -- void functions
 *
 * When the library or symbol is missing, a forwarder returns `fail'
 * (nothing for void functions). */
#ifndef VXL_COMMON_LAZY_H
#define VXL_COMMON_LAZY_H

#include <dlfcn.h>

/* Open `soname' once; NULL (for good) if it cannot be loaded. */
static inline void *lazy_open(void **handle, int *failed, const char *soname)
{
    if (!*handle && !*failed) {
        *handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!*handle)
            *failed = 1;
    }
    return *handle;
}

#define LAZY_FWD(loader, ret, fail, name, params, args)                      \
    ret name params                                                           \
    {                                                                         \
        static ret (*fp) params;                                              \
        if (!fp)                                                              \
            fp = (ret (*) params)loader(#name);                               \
        if (!fp)                                                              \
            return fail;                                                      \
        return fp args;                                                       \
    }

#define LAZY_FWDV(loader, name, params, args)                                 \
    void name params                                                          \
    {                                                                         \
        static void (*fp) params;                                             \
        if (!fp)                                                              \
            fp = (void (*) params)loader(#name);                              \
        if (fp)                                                               \
            fp args;                                                          \
    }

#endif
