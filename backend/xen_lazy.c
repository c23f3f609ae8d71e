/* backend/xen_lazy.c — libxenlight, loaded when the xen backend first
 * needs it instead of at every start of vxl.
 *
 * Linking libxenlight pulls in a dozen Xen libraries (xenctrl, xenstore,
 * xenguest, ...) whose loading and relocation cost more than everything
 * else `vxl img info` does (about 1.5 ms of a 3 ms run here).  vxl is
 * therefore linked without them; the libxl functions backend/xen.c calls
 * are defined here with libxl's own prototypes (libxl.h checks them) and
 * forward to the real ones, which the first call loads with dlopen()
 * (common/lazy.h).
 *
 * If the library cannot be loaded, libxl_ctx_alloc() fails with
 * ERROR_FAIL (the backend then reports that it cannot open a context) and
 * the other functions, which are only reached with a context, return
 * ERROR_FAIL, NULL or nothing.  Test programs that link libxenlight
 * directly get the same library back from dlopen(). */
#include <stddef.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "common/lazy.h"

#ifndef XENLIGHT_SONAME
#define XENLIGHT_SONAME "libxenlight.so"
#endif

static void *xl_sym(const char *name)
{
    static void *h;
    static int failed;
    return lazy_open(&h, &failed, XENLIGHT_SONAME) ? dlsym(h, name) : NULL;
}

#define FWD(...) LAZY_FWD(xl_sym, __VA_ARGS__)
#define FWDV(...) LAZY_FWDV(xl_sym, __VA_ARGS__)

FWD(int, ERROR_FAIL, libxl_ctx_alloc,
    (libxl_ctx **pctx, int version, unsigned flags, xentoollog_logger *lg),
    (pctx, version, flags, lg))
FWD(int, ERROR_FAIL, libxl_ctx_free, (libxl_ctx *ctx), (ctx))
FWD(int, ERROR_FAIL, libxl_domain_create_new,
    (libxl_ctx *ctx, libxl_domain_config *d_config, uint32_t *domid,
     const libxl_asyncop_how *ao_how,
     const libxl_asyncprogress_how *aop_console_how),
    (ctx, d_config, domid, ao_how, aop_console_how))
FWD(int, ERROR_FAIL, libxl_retrieve_domain_configuration,
    (libxl_ctx *ctx, uint32_t domid, libxl_domain_config *d_config,
     const libxl_asyncop_how *ao_how),
    (ctx, domid, d_config, ao_how))
FWD(int, ERROR_FAIL, libxl_domain_shutdown,
    (libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how),
    (ctx, domid, ao_how))
FWD(int, ERROR_FAIL, libxl_domain_reboot,
    (libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how),
    (ctx, domid, ao_how))
FWD(int, ERROR_FAIL, libxl_domain_destroy,
    (libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how),
    (ctx, domid, ao_how))
FWD(int, ERROR_FAIL, libxl_domain_pause,
    (libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how),
    (ctx, domid, ao_how))
FWD(int, ERROR_FAIL, libxl_domain_unpause,
    (libxl_ctx *ctx, uint32_t domid, const libxl_asyncop_how *ao_how),
    (ctx, domid, ao_how))
FWD(int, ERROR_FAIL, libxl_domain_rename,
    (libxl_ctx *ctx, uint32_t domid, const char *old_name,
     const char *new_name),
    (ctx, domid, old_name, new_name))
FWD(int, ERROR_FAIL, libxl_console_get_tty,
    (libxl_ctx *ctx, uint32_t domid, int cons_num, libxl_console_type type,
     char **path),
    (ctx, domid, cons_num, type, path))
FWD(int, ERROR_FAIL, libxl_domain_info,
    (libxl_ctx *ctx, libxl_dominfo *info_r, uint32_t domid),
    (ctx, info_r, domid))
FWD(libxl_dominfo *, NULL, libxl_list_domain,
    (libxl_ctx *ctx, int *nb_domain_out), (ctx, nb_domain_out))
FWDV(libxl_dominfo_list_free, (libxl_dominfo *list, int nb_domain),
     (list, nb_domain))
FWD(int, ERROR_FAIL, libxl_send_trigger,
    (libxl_ctx *ctx, uint32_t domid, libxl_trigger trigger, uint32_t vcpuid,
     const libxl_asyncop_how *ao_how),
    (ctx, domid, trigger, vcpuid, ao_how))
FWD(uint32_t, 0, libxl_vm_get_start_time, (libxl_ctx *ctx, uint32_t domid),
    (ctx, domid))
FWD(char *, NULL, libxl_domid_to_name, (libxl_ctx *ctx, uint32_t domid),
    (ctx, domid))
FWD(int, ERROR_FAIL, libxl_name_to_domid,
    (libxl_ctx *ctx, const char *name, uint32_t *domid), (ctx, name, domid))
FWD(const char *, "libxenlight is not available", libxl_error_to_string,
    (libxl_error p), (p))
FWDV(libxl_dominfo_init, (libxl_dominfo *p), (p))
FWDV(libxl_dominfo_dispose, (libxl_dominfo *p), (p))
FWDV(libxl_domain_config_init, (libxl_domain_config *p), (p))
FWDV(libxl_domain_config_dispose, (libxl_domain_config *p), (p))
FWD(char *, NULL, libxl_domain_config_to_json,
    (libxl_ctx *ctx, libxl_domain_config *p), (ctx, p))
FWD(int, ERROR_FAIL, libxl_domain_config_from_json,
    (libxl_ctx *ctx, libxl_domain_config *p, const char *s), (ctx, p, s))
FWD(const uint8_t *, NULL, libxl_uuid_bytearray_const,
    (const libxl_uuid *uuid), (uuid))
/* the domain's monitor (create's daemon) */
FWD(int, ERROR_FAIL, libxl_evenable_domain_death,
    (libxl_ctx *ctx, uint32_t domid, libxl_ev_user user,
     libxl_evgen_domain_death **evgen_out),
    (ctx, domid, user, evgen_out))
FWDV(libxl_evdisable_domain_death,
     (libxl_ctx *ctx, libxl_evgen_domain_death *evg), (ctx, evg))
FWD(int, ERROR_FAIL, libxl_event_wait,
    (libxl_ctx *ctx, libxl_event **event_r, uint64_t typemask,
     libxl_event_predicate *predicate, void *predicate_user),
    (ctx, event_r, typemask, predicate, predicate_user))
FWDV(libxl_event_free, (libxl_ctx *ctx, libxl_event *event), (ctx, event))
FWDV(libxl_postfork_child_noexec, (libxl_ctx *ctx), (ctx))
FWD(int, ERROR_FAIL, libxl_domain_core_dump,
    (libxl_ctx *ctx, uint32_t domid, const char *filename,
     const libxl_asyncop_how *ao_how),
    (ctx, domid, filename, ao_how))
FWD(const char *, "?", libxl_action_on_shutdown_to_string,
    (libxl_action_on_shutdown p), (p))
/* info */
FWD(const libxl_version_info *, NULL, libxl_get_version_info,
    (libxl_ctx *ctx), (ctx))
FWD(int, ERROR_FAIL, libxl_get_physinfo,
    (libxl_ctx *ctx, libxl_physinfo *physinfo), (ctx, physinfo))
FWDV(libxl_physinfo_init, (libxl_physinfo *p), (p))
FWDV(libxl_physinfo_dispose, (libxl_physinfo *p), (p))
FWD(int, ERROR_FAIL, libxl_get_scheduler, (libxl_ctx *ctx), (ctx))
FWD(const char *, "?", libxl_scheduler_to_string, (libxl_scheduler p), (p))
FWD(int, ERROR_FAIL, libxl_get_freecpus,
    (libxl_ctx *ctx, libxl_bitmap *cpumap), (ctx, cpumap))
FWD(int, 0, libxl_bitmap_count_set, (const libxl_bitmap *bitmap), (bitmap))
FWDV(libxl_bitmap_init, (libxl_bitmap *map), (map))
FWDV(libxl_bitmap_dispose, (libxl_bitmap *map), (map))
FWD(const char *, "?", xtl_level_to_string, (xentoollog_level l), (l))
