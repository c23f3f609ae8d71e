/* import/manifest.h — OVF manifests (.mf) and the digests they list.
 *
 * A manifest line is   ALG(file)= hex   with ALG one of SHA1, SHA256,
 * SHA512; spaces are allowed around the parentheses and the '='
 * ("SHA1 (a.ovf) = 0a1b..." as ovftool writes), CRLF line ends, blank
 * lines, and upper- or lower-case hex.  A malformed line, an unknown
 * algorithm, a digest of the wrong length and a file listed twice are
 * errors (a manifest that can't be read can't vouch for anything).
 *
 * Hashing is nettle's (Debian nettle-dev); a build without it has no
 * digests: vmf_hash_new() returns NULL and vmf_available() is false.
 * Nothing here prints. */
#ifndef VXL_IMPORT_MANIFEST_H
#define VXL_IMPORT_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/diag.h"

#define VMF_MAX_DIGEST 64
#define VMF_MAX_SIZE   (1u << 20)   /* bytes of a manifest we read */

enum vmf_alg { VMF_SHA1, VMF_SHA256, VMF_SHA512 };

struct vmf_entry {
    char *file;
    enum vmf_alg alg;
    uint8_t digest[VMF_MAX_DIGEST];
    int line;
};

struct vmanifest {
    struct vmf_entry *v;
    size_t n;
};

/* Parse len bytes of text (need not be NUL-terminated); `name` is the
 * manifest's name for diagnostics (file:line).  On error *out is empty. */
int vmanifest_parse(const char *text, size_t len, const char *name,
                    struct vmanifest *out, vxl_diags *d);
void vmanifest_free(struct vmanifest *m);
const struct vmf_entry *vmanifest_find(const struct vmanifest *m,
                                       const char *file);

size_t vmf_digest_len(enum vmf_alg a);
const char *vmf_alg_name(enum vmf_alg a);
/* Lower-case hex of a digest into out (2 * len + 1 bytes). */
void vmf_hex(const uint8_t *dg, size_t len, char *out);

/* Streaming digests. */
bool vmf_available(void);
struct vmf_hash;
struct vmf_hash *vmf_hash_new(enum vmf_alg a);   /* NULL: no nettle */
void vmf_hash_update(struct vmf_hash *h, const void *buf, size_t n);
/* Write the digest (vmf_digest_len bytes) and free h. */
void vmf_hash_final(struct vmf_hash *h, uint8_t *out);
void vmf_hash_free(struct vmf_hash *h);

#endif
