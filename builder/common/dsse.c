/* dsse.c: DSSE v1 envelopes (dsse.h). */
#include "appliance/dsse.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"

unsigned char *
dsse_pae(const char *type, const void *body, size_t len, size_t *pae_len)
{
    size_t tlen = strlen(type);
    char head[128];
    int n = snprintf(head, sizeof(head), "DSSEv1 %zu ", tlen);
    char mid[32];
    int m = snprintf(mid, sizeof(mid), " %zu ", len);
    if (n < 0 || m < 0 || len > SIZE_MAX - tlen - 160)
        return NULL;
    size_t total = (size_t)n + tlen + (size_t)m + len;
    unsigned char *p = malloc(total ? total : 1);
    if (!p)
        return NULL;
    memcpy(p, head, (size_t)n);
    memcpy(p + n, type, tlen);
    memcpy(p + (size_t)n + tlen, mid, (size_t)m);
    if (len)
        memcpy(p + (size_t)n + tlen + (size_t)m, body, len);
    *pae_len = total;
    return p;
}

int
dsse_sign(const char *type, const void *body, size_t len, const struct sign_key *key, char **line,
          struct ab_error *err)
{
    size_t pae_len = 0, sig_len = 0;
    CLEANUP_FREE unsigned char *pae = dsse_pae(type, body, len, &pae_len);
    CLEANUP_FREE unsigned char *sig = NULL;
    CLEANUP_FREE char *payload = NULL, *sig64 = NULL;
    char keyid[SIGN_KEY_ID_HEX];
    if (!pae)
        return ab_oom(err);
    if (sign_data(key, pae, pae_len, &sig, &sig_len, err) < 0 ||
        sign_key_id(key, keyid, err) < 0)
        return -1;
    if (!(payload = sign_base64(body, len)) || !(sig64 = sign_base64(sig, sig_len)))
        return ab_oom(err);
    json_object *o = json_object_new_object();
    json_object *s = json_object_new_object();
    json_object *sigs = json_object_new_array();
    json_object_object_add(o, "payloadType", json_object_new_string(type));
    json_object_object_add(o, "payload", json_object_new_string(payload));
    json_object_object_add(s, "keyid", json_object_new_string(keyid));
    json_object_object_add(s, "sig", json_object_new_string(sig64));
    json_object_array_add(sigs, s);
    json_object_object_add(o, "signatures", sigs);
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    int r = text && asprintf(line, "%s\n", text) >= 0 ? 0 : ab_oom(err);
    json_object_put(o);
    return r;
}

void
dsse_envelope_release(struct dsse_envelope *env)
{
    if (!env)
        return;
    free(env->payload_type);
    free(env->payload);
    for (size_t i = 0; i < env->n_sigs; i++) {
        free(env->sigs[i].keyid);
        free(env->sigs[i].sig);
    }
    free(env->sigs);
    memset(env, 0, sizeof(*env));
}

/* o's string member key, or NULL. */
static const char *
str_member(json_object *o, const char *key, size_t *len)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

static int
read_signatures(json_object *sigs, struct dsse_envelope *env, const char **why)
{
    size_t n = json_object_array_length(sigs);
    if (n == 0) {
        *why = "no signatures";
        return -1;
    }
    if (!(env->sigs = calloc(n, sizeof(*env->sigs)))) {
        *why = strerror(ENOMEM);
        return -1;
    }
    for (; env->n_sigs < n; env->n_sigs++) {
        json_object *s = json_object_array_get_idx(sigs, env->n_sigs);
        struct dsse_signature *d = &env->sigs[env->n_sigs];
        size_t klen = 0, slen = 0;
        const char *keyid = json_object_is_type(s, json_type_object)
                                ? str_member(s, "keyid", &klen)
                                : NULL;
        const char *sig = json_object_is_type(s, json_type_object) ? str_member(s, "sig", &slen)
                                                                   : NULL;
        if (!sig || sign_unbase64(sig, slen, &d->sig, &d->sig_len) < 0) {
            *why = "a signature that is not base64";
            return -1;
        }
        if (!(d->keyid = strdup(keyid ? keyid : ""))) {
            *why = strerror(ENOMEM);
            env->n_sigs++;
            return -1;
        }
    }
    return 0;
}

static int
read_envelope(json_object *root, struct dsse_envelope *env, const char **why)
{
    size_t tlen = 0, plen = 0;
    json_object *sigs = NULL;
    const char *type = json_object_is_type(root, json_type_object)
                           ? str_member(root, "payloadType", &tlen)
                           : NULL;
    const char *payload = type ? str_member(root, "payload", &plen) : NULL;
    if (!type || !payload) {
        *why = "no payloadType or payload";
        return -1;
    }
    if (!json_object_object_get_ex(root, "signatures", &sigs) ||
        !json_object_is_type(sigs, json_type_array)) {
        *why = "no signatures";
        return -1;
    }
    if (!(env->payload_type = strndup(type, tlen))) {
        *why = strerror(ENOMEM);
        return -1;
    }
    if (sign_unbase64(payload, plen, &env->payload, &env->payload_len) < 0) {
        *why = "a payload that is not base64";
        return -1;
    }
    return read_signatures(sigs, env, why);
}

int
dsse_parse(const char *text, size_t len, const char *what, struct dsse_envelope *env,
           struct ab_error *err)
{
    memset(env, 0, sizeof(*env));
    if (len > DSSE_MAX_BYTES || len > INT32_MAX)
        return ab_build_error(err, EFBIG, "'%s' is not a DSSE envelope: larger than %u MiB", what,
                              DSSE_MAX_BYTES >> 20);
    /* The first line: an .intoto.jsonl holds one envelope a line. */
    const char *nl = memchr(text, '\n', len);
    size_t first = nl ? (size_t)(nl - text) : len;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return ab_oom(err);
    json_object *root = json_tokener_parse_ex(tok, text, (int)first);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    const char *why = NULL;
    if (jerr != json_tokener_success)
        why = jerr == json_tokener_continue ? "unexpected end of data"
                                            : json_tokener_error_desc(jerr);
    else if (read_envelope(root, env, &why) == 0)
        why = NULL;
    json_object_put(root);
    if (why) {
        dsse_envelope_release(env);
        return ab_build_error(err, 0, "'%s' is not a DSSE envelope: %s", what, why);
    }
    return 0;
}

bool
dsse_verify(const struct dsse_envelope *env, const struct sign_key *key)
{
    size_t pae_len = 0;
    CLEANUP_FREE unsigned char *pae =
        dsse_pae(env->payload_type, env->payload, env->payload_len, &pae_len);
    for (size_t i = 0; pae && i < env->n_sigs; i++)
        if (sign_verify(key, pae, pae_len, env->sigs[i].sig, env->sigs[i].sig_len))
            return true;
    return false;
}
