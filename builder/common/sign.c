/* sign.c: Ed25519 and ECDSA P-256 signatures through libcrypto (sign.h). */
#include "appliance/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/hash.h"

/* The largest key file read: a PEM key is a few hundred bytes. */
#define KEY_FILE_MAX (64 * 1024)

struct sign_key {
    EVP_PKEY *pkey;
    bool ed25519; /* else ECDSA P-256 */
};

void
sign_key_free(struct sign_key *key)
{
    if (!key)
        return;
    EVP_PKEY_free(key->pkey);
    free(key);
}

const char *
sign_key_kind(const struct sign_key *key)
{
    return key->ed25519 ? "ed25519" : "ecdsa-p256";
}

/* libcrypto's last error, for a message; its queue emptied. */
static const char *
ossl_reason(char *buf, size_t size)
{
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, buf, size);
    else
        snprintf(buf, size, "not a PEM key");
    ERR_clear_error();
    return buf;
}

/* A passphrase is never asked for: an encrypted key fails to load. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* Takes pkey into a new *key when it is one of the two kinds. */
static int
take_pkey(EVP_PKEY *pkey, const char *what, struct sign_key **key, struct ab_error *err)
{
    bool ed = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;
    char group[64] = "";
    size_t glen = 0;
    bool p256 = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
                EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                               sizeof(group), &glen) == 1 &&
                strcmp(group, "prime256v1") == 0;
    if (!ed && !p256) {
        const char *type = EVP_PKEY_get0_type_name(pkey);
        if (group[0])
            ab_build_error(err, 0, "%s is an EC key on curve '%s': use an Ed25519 or ECDSA P-256 key",
                           what, group);
        else
            ab_build_error(err, 0, "%s is a key of type '%s': use an Ed25519 or ECDSA P-256 key",
                           what, type ? type : "unknown");
        EVP_PKEY_free(pkey);
        return -1;
    }
    if (!(*key = calloc(1, sizeof(**key)))) {
        EVP_PKEY_free(pkey);
        return ab_oom(err);
    }
    (*key)->pkey = pkey;
    (*key)->ed25519 = ed;
    return 0;
}

/* The file's bytes, after checking it is a regular file of at most
 * KEY_FILE_MAX bytes; private: no group or other permission bits. */
static int
read_key_file(const char *path, const char *what, bool private, char **text, size_t *len,
              struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return ab_build_error(err, errno, "cannot read %s: %s", what, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ab_build_error(err, 0, "%s is not a file", what);
    if (private && (st.st_mode & (S_IRWXG | S_IRWXO)))
        return ab_build_error(err, 0, "%s may be read by others (mode %04o): chmod 600 it", what,
                              (unsigned)(st.st_mode & 07777));
    if (st.st_size > KEY_FILE_MAX)
        return ab_build_error(err, EFBIG, "%s is larger than %d KiB: not a PEM key", what,
                              KEY_FILE_MAX / 1024);
    *text = malloc((size_t)st.st_size + 1);
    if (!*text)
        return ab_oom(err);
    ssize_t n = read(fd, *text, (size_t)st.st_size);
    if (n < 0) {
        int e = errno;
        free(*text);
        return ab_build_error(err, e, "cannot read %s: %s", what, strerror(e));
    }
    *len = (size_t)n;
    (*text)[n] = '\0';
    return 0;
}

int
sign_key_load(const char *path, struct sign_key **key, struct ab_error *err)
{
    CLEANUP_FREE char *what = NULL;
    char *text = NULL;
    size_t len = 0;
    *key = NULL;
    if (asprintf(&what, "signing key '%s'", path) < 0)
        return ab_oom(err);
    if (read_key_file(path, what, true, &text, &len, err) < 0)
        return -1;
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
    BIO_free(bio);
    OPENSSL_cleanse(text, len);
    free(text);
    if (!pkey) {
        char why[256];
        return ab_build_error(err, 0,
                              "cannot read %s: %s (a PEM private key without a passphrase, "
                              "as `openssl genpkey -algorithm ed25519` writes)",
                              what, ossl_reason(why, sizeof(why)));
    }
    return take_pkey(pkey, what, key, err);
}

int
sign_pub_parse(const char *pem, size_t len, const char *what, struct sign_key **key,
               struct ab_error *err)
{
    *key = NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL) : NULL;
    BIO_free(bio);
    if (!pkey) {
        char why[256];
        return ab_build_error(err, 0,
                              "cannot read %s: %s (a PEM public key, as `openssl pkey -pubout` "
                              "writes)",
                              what, ossl_reason(why, sizeof(why)));
    }
    return take_pkey(pkey, what, key, err);
}

int
sign_pub_load(const char *path, struct sign_key **key, struct ab_error *err)
{
    CLEANUP_FREE char *what = NULL, *text = NULL;
    size_t len = 0;
    *key = NULL;
    if (asprintf(&what, "public key '%s'", path) < 0)
        return ab_oom(err);
    if (read_key_file(path, what, false, &text, &len, err) < 0)
        return -1;
    return sign_pub_parse(text, len, what, key, err);
}

int
sign_key_id(const struct sign_key *key, char hex[SIGN_KEY_ID_HEX], struct ab_error *err)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(key->pkey, &der);
    if (n <= 0)
        return ab_oom(err);
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    if (!d) {
        OPENSSL_free(der);
        return ab_oom(err);
    }
    digest_update(d, der, (size_t)n);
    OPENSSL_free(der);
    char full[HASH_HEX_MAX];
    digest_hex(d, full);
    memcpy(hex, full, SIGN_KEY_ID_HEX - 1);
    hex[SIGN_KEY_ID_HEX - 1] = '\0';
    return 0;
}

int
sign_key_public_pem(const struct sign_key *key, char **pem, struct ab_error *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n = 0;
    if (!bio || PEM_write_bio_PUBKEY(bio, key->pkey) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0 ||
        !(*pem = strndup(data, (size_t)n))) {
        BIO_free(bio);
        return ab_oom(err);
    }
    BIO_free(bio);
    return 0;
}

/* Ed25519 signs the message itself (no digest); ECDSA its SHA-256. */
static const EVP_MD *
key_md(const struct sign_key *key)
{
    return key->ed25519 ? NULL : EVP_sha256();
}

int
sign_data(const struct sign_key *key, const void *data, size_t len, unsigned char **sig,
          size_t *sig_len, struct ab_error *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 0;
    *sig = NULL;
    if (!md || EVP_DigestSignInit(md, NULL, key_md(key), NULL, key->pkey) != 1 ||
        EVP_DigestSign(md, NULL, &n, data, len) != 1 || !(*sig = malloc(n)) ||
        EVP_DigestSign(md, *sig, &n, data, len) != 1) {
        char why[256];
        EVP_MD_CTX_free(md);
        free(*sig);
        *sig = NULL;
        return ab_build_error(err, 0, "cannot sign: %s", ossl_reason(why, sizeof(why)));
    }
    EVP_MD_CTX_free(md);
    *sig_len = n;
    return 0;
}

bool
sign_verify(const struct sign_key *key, const void *data, size_t len, const unsigned char *sig,
            size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit(md, NULL, key_md(key), NULL, key->pkey) == 1 &&
              EVP_DigestVerify(md, sig, sig_len, data, len) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}

const char *
sign_malformed(const struct sign_key *key, const unsigned char *sig, size_t sig_len)
{
    if (key->ed25519)
        return sig_len == 64 ? NULL
               : sig_len < 64 ? "shorter than the 64 bytes of an Ed25519 signature: truncated"
                              : "longer than the 64 bytes of an Ed25519 signature";
    const unsigned char *p = sig;
    ECDSA_SIG *s = sig_len <= LONG_MAX ? d2i_ECDSA_SIG(NULL, &p, (long)sig_len) : NULL;
    bool whole = s && p == sig + sig_len;
    ECDSA_SIG_free(s);
    ERR_clear_error();
    return whole ? NULL : "not a DER-encoded ECDSA signature: truncated or damaged";
}

char *
sign_base64(const void *data, size_t len)
{
    if (len > (size_t)INT32_MAX / 2)
        return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

int
sign_unbase64(const char *text, size_t len, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    if (len % 4 != 0 || len > (size_t)INT32_MAX / 2)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool pad = c == '=' && i + 2 >= len && (i + 1 == len || text[i + 1] == '=');
        if (!pad && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') &&
            !(c >= '0' && c <= '9') && c != '+' && c != '/')
            return -1;
    }
    if (!(*out = malloc(len / 4 * 3 + 1))) {
        errno = ENOMEM;
        return -1;
    }
    int n = len ? EVP_DecodeBlock(*out, (const unsigned char *)text, (int)len) : 0;
    if (n < 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    size_t pads = len >= 1 && text[len - 1] == '=' ? (len >= 2 && text[len - 2] == '=' ? 2 : 1) : 0;
    *out_len = (size_t)n - pads;
    return 0;
}
