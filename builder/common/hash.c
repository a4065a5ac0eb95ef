/* hash.c: message digests through libcrypto's EVP interface. */
#include "appliance/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"

struct digest_ctx {
    EVP_MD_CTX *md;
};

static const EVP_MD *
algo_md(enum digest algo)
{
    switch (algo) {
    case DIGEST_SHA1:
        return EVP_sha1();
    case DIGEST_SHA512:
        return EVP_sha512();
    case DIGEST_SHA256:
        break;
    }
    return EVP_sha256();
}

struct digest_ctx *
digest_new(enum digest algo)
{
    struct digest_ctx *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->md = EVP_MD_CTX_new();
    if (!d->md || !EVP_DigestInit_ex(d->md, algo_md(algo), NULL)) {
        digest_free(d);
        return NULL;
    }
    return d;
}

void
digest_free(struct digest_ctx *d)
{
    if (!d)
        return;
    EVP_MD_CTX_free(d->md);
    free(d);
}

void
digest_update(struct digest_ctx *d, const void *data, size_t len)
{
    EVP_DigestUpdate(d->md, data, len);
}

void
digest_str(struct digest_ctx *d, const char *s)
{
    digest_update(d, s ? s : "", s ? strlen(s) + 1 : 1);
}

void
digest_u64(struct digest_ctx *d, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    digest_update(d, b, sizeof(b));
}

void
digest_hex(struct digest_ctx *d, char *hex)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(d->md, md, &len);
    for (unsigned int i = 0; i < len; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    hex[2 * len] = '\0';
}

int
digest_file(enum digest algo, const char *path, char *hex, struct ab_error *err)
{
    return digest_file_stoppable(algo, path, hex, NULL, err);
}

int
digest_file_stoppable(enum digest algo, const char *path, char *hex,
                      const volatile sig_atomic_t *stop, struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(algo);
    CLEANUP_FREE char *buf = malloc(1 << 20);

    if (!buf)
        return ab_oom(err);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    if (!d)
        return ab_oom(err);
    for (;;) {
        if (stop && *stop)
            return ab_build_error(err, EINTR, "reading '%s': interrupted", path);
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        if (n == 0)
            break;
        digest_update(d, buf, (size_t)n);
    }
    digest_hex(d, hex);
    return 0;
}
