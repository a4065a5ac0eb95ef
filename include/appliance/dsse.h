/* dsse.h: the Dead Simple Signing Envelope (DSSE v1), in which in-toto
 * attestations are signed (builder/common/dsse.c).
 *
 * The signature is over the pre-authentication encoding of the payload's
 * type and bytes,
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * (LEN in ASCII decimal), and the envelope is one JSON object:
 *
 *   {"payloadType": TYPE, "payload": BASE64(body),
 *    "signatures": [{"keyid": KEYID, "sig": BASE64(signature)}]}
 *
 * written on one line (an in-toto .intoto.jsonl holds one envelope a
 * line). https://github.com/secure-systems-lab/dsse/blob/master/protocol.md
 *
 * An envelope read back comes from outside: dsse_parse() takes any bytes. */
#ifndef APPLIANCE_DSSE_H
#define APPLIANCE_DSSE_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/error.h"
#include "appliance/sign.h"

/* The payload type of an in-toto statement. */
#define DSSE_INTOTO_TYPE "application/vnd.in-toto+json"

/* The most bytes an envelope may have to be read. */
#define DSSE_MAX_BYTES (64u << 20)

/* PAE(type, body), malloc'd with its length in *pae_len; NULL when out of
 * memory. */
unsigned char *dsse_pae(const char *type, const void *body, size_t len, size_t *pae_len);

/* The envelope of body signed with key, as one line of JSON ending in a
 * newline, into *line (malloc'd). */
int dsse_sign(const char *type, const void *body, size_t len, const struct sign_key *key,
              char **line, struct ab_error *err);

struct dsse_signature {
    char *keyid; /* "" when absent */
    unsigned char *sig;
    size_t sig_len;
};

struct dsse_envelope {
    char *payload_type;
    unsigned char *payload;
    size_t payload_len;
    struct dsse_signature *sigs;
    size_t n_sigs;
};

/* Parses the first envelope of text (the first line of an .intoto.jsonl,
 * or a whole JSON file). -1 with "'WHAT' is not a DSSE envelope: REASON". */
int dsse_parse(const char *text, size_t len, const char *what, struct dsse_envelope *env,
               struct ab_error *err);

void dsse_envelope_release(struct dsse_envelope *env);

/* Whether one of env's signatures is key's over its payload. */
bool dsse_verify(const struct dsse_envelope *env, const struct sign_key *key);

#endif
