/* import/xml_lazy.c — libxml2, loaded when the OVF reader first needs it.
 *
 * libxml2 brings ICU, libstdc++, liblzma and libm with it: linked into
 * vxl, loading them cost every command about 2 ms, more than `vxl img
 * info` takes without them.  vxl is linked without libxml2; the libxml2
 * functions import/ovf.c calls are defined here with libxml2's own
 * prototypes and forward to the library, which the first call loads
 * (common/lazy.h).  Test programs that link libxml2 get the same library
 * back from dlopen(). */
#include <stddef.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "common/lazy.h"

#ifndef XML2_SONAME
#define XML2_SONAME "libxml2.so.2"
#endif

static void *xml_sym(const char *name)
{
    static void *h;
    static int failed;
    return lazy_open(&h, &failed, XML2_SONAME) ? dlsym(h, name) : NULL;
}

LAZY_FWD(xml_sym, xmlParserCtxtPtr, NULL, xmlNewParserCtxt, (void), ())
LAZY_FWDV(xml_sym, xmlFreeParserCtxt, (xmlParserCtxtPtr ctxt), (ctxt))
LAZY_FWD(xml_sym, xmlDocPtr, NULL, xmlCtxtReadMemory,
         (xmlParserCtxtPtr ctxt, const char *buffer, int size, const char *URL,
          const char *encoding, int options),
         (ctxt, buffer, size, URL, encoding, options))
LAZY_FWDV(xml_sym, xmlFreeDoc, (xmlDocPtr cur), (cur))
LAZY_FWD(xml_sym, xmlNodePtr, NULL, xmlDocGetRootElement, (const xmlDoc *doc),
         (doc))
LAZY_FWD(xml_sym, long, -1, xmlGetLineNo, (const xmlNode *node), (node))
LAZY_FWD(xml_sym, xmlErrorPtr, NULL, xmlCtxtGetLastError, (void *ctx), (ctx))
