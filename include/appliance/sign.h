/* sign.h: signatures over what a build ships, through OpenSSL's
 * libcrypto (builder/common/sign.c).
 *
 * Two kinds of key, both in PEM: Ed25519 (the signature is over the
 * bytes themselves, and the same bytes always give the same signature)
 * and ECDSA on P-256 (over their SHA-256; a DER-encoded signature, which
 * OpenSSL 3.0 makes with a random nonce: it differs from run to run, and
 * verifies all the same). Both are what `openssl pkeyutl -verify -rawin`
 * checks:
 *
 *   openssl pkeyutl -verify -pubin -inkey PUB.pem -rawin -in FILE -sigfile FILE.sig
 *
 * (with -digest sha256 for an ECDSA key under OpenSSL 3.0).
 *
 * A private key is refused unless only its owner may read it (no group or
 * other permission bits, as ssh refuses one), and never appears in a
 * message: errors name its file alone. */
#ifndef APPLIANCE_SIGN_H
#define APPLIANCE_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/error.h"

struct sign_key;

/* The key id: SHA-256 of the public key's DER SubjectPublicKeyInfo, in
 * hex (what `openssl pkey -pubin -outform DER | sha256sum` prints). */
#define SIGN_KEY_ID_HEX 65

/* Reads the private key at path: it must be a regular file that only its
 * owner may read or write, holding an Ed25519 or ECDSA P-256 private key
 * in PEM without a passphrase. Errors: "cannot read signing key 'PATH'",
 * "signing key 'PATH' may be read by others (mode 0644): chmod 600 it",
 * "signing key 'PATH' is an RSA key: use an Ed25519 or ECDSA P-256 key". */
int sign_key_load(const char *path, struct sign_key **key, struct ab_error *err);

/* Reads a public key at path (PEM SubjectPublicKeyInfo, as `openssl pkey
 * -pubout` writes it), of the same two kinds. */
int sign_pub_load(const char *path, struct sign_key **key, struct ab_error *err);

/* A public key in PEM held in memory (for the tests, and for keys that
 * come as text); what names it in messages. */
int sign_pub_parse(const char *pem, size_t len, const char *what, struct sign_key **key,
                   struct ab_error *err);

void sign_key_free(struct sign_key *key);

/* "ed25519" or "ecdsa-p256". */
const char *sign_key_kind(const struct sign_key *key);

/* The key id (SIGN_KEY_ID_HEX bytes). */
int sign_key_id(const struct sign_key *key, char hex[SIGN_KEY_ID_HEX], struct ab_error *err);

/* The public half in PEM (malloc'd into *pem). */
int sign_key_public_pem(const struct sign_key *key, char **pem, struct ab_error *err);

/* Signs len bytes of data with a private key: *sig malloc'd, *sig_len its
 * length. */
int sign_data(const struct sign_key *key, const void *data, size_t len, unsigned char **sig,
              size_t *sig_len, struct ab_error *err);

/* Whether sig is key's signature of data. Any key (a private key checks
 * with its public half). */
bool sign_verify(const struct sign_key *key, const void *data, size_t len,
                 const unsigned char *sig, size_t sig_len);

/* Why sig cannot be a signature of key's kind at all, or NULL when its
 * form is right: an Ed25519 signature is 64 bytes, an ECDSA one a DER
 * sequence of two integers. */
const char *sign_malformed(const struct sign_key *key, const unsigned char *sig, size_t sig_len);

/* Standard base64 (with padding) of len bytes, malloc'd; NULL when out
 * of memory. */
char *sign_base64(const void *data, size_t len);

/* Decodes standard base64 text (padding required, no line breaks):
 * *out malloc'd with *out_len bytes. -1 when it is not base64 (or out of
 * memory, errno ENOMEM). */
int sign_unbase64(const char *text, size_t len, unsigned char **out, size_t *out_len);

static inline void
sign_key_cleanup(struct sign_key **k)
{
    sign_key_free(*k);
}
#define CLEANUP_SIGN_KEY __attribute__((cleanup(sign_key_cleanup)))

#endif
