/* hash.h: message digests (OpenSSL's libcrypto) for cache keys,
 * manifests and checksums. */
#ifndef APPLIANCE_HASH_H
#define APPLIANCE_HASH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"

/* The algorithms; the recipe names them (ova.digest, enums.h). */
enum digest {
    DIGEST_SHA256 = 0,
    DIGEST_SHA1,
    DIGEST_SHA512,
};

#define HASH_HEX_MAX 129 /* sha512 in hex, and its NUL */

struct digest_ctx;

struct digest_ctx *digest_new(enum digest algo);
void digest_free(struct digest_ctx *d);
void digest_update(struct digest_ctx *d, const void *data, size_t len);
/* Feeds a string and its terminating NUL, so ("ab","c") != ("a","bc"). */
void digest_str(struct digest_ctx *d, const char *s);
void digest_u64(struct digest_ctx *d, uint64_t v);
/* Writes the digest in lowercase hex into hex (HASH_HEX_MAX bytes). */
void digest_hex(struct digest_ctx *d, char *hex);

/* Digest of a whole file. */
int digest_file(enum digest algo, const char *path, char *hex, struct ab_error *err);
/* The same, giving up with EINTR between reads once *stop is set (stop
 * may be NULL). */
int digest_file_stoppable(enum digest algo, const char *path, char *hex,
                          const volatile sig_atomic_t *stop, struct ab_error *err);

static inline void
digest_cleanup(struct digest_ctx **d)
{
    digest_free(*d);
}
#define CLEANUP_DIGEST __attribute__((cleanup(digest_cleanup)))

#endif
