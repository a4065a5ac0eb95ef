/* verify_fuzz.c: libFuzzer harness for what `appliance verify` reads of
 * a delivery (verify.h), every byte of which comes from outside: the
 * input's first byte chooses the reader, the rest is the document.
 *
 *   0  SHA256SUMS            manifest_parse_sums (inspect/manifest.h)
 *   1  NAME.spdx.json        sbom_parse_spdx (sbom.h)
 *   2  NAME.cdx.json         sbom_parse_cdx
 *   3  NAME.provenance.json  provenance_subjects (provenance.h)
 *   4  NAME.intoto.jsonl     dsse_parse, then dsse_verify (dsse.h)
 *   5  --key PUB             sign_pub_parse, then sign_malformed (sign.h)
 *
 * What each reader gives is walked as verify walks it and released.
 * Seeds: tests/data/sbom/ with their selector bytes (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/dsse.h"
#include "appliance/error.h"
#include "appliance/provenance.h"
#include "appliance/sbom.h"
#include "appliance/sign.h"
#include "appliance/manifest.h"

#include "fuzz.h"

static size_t
walk_doc(const struct sbom_doc *d)
{
    size_t sum = fuzz_len(d->name) + fuzz_len(d->version);
    for (size_t i = 0; i < d->packages.n; i++) {
        const struct pkg *p = &d->packages.v[i];
        sum += fuzz_len(p->name) + fuzz_len(p->version) + fuzz_len(p->arch) +
               fuzz_len(p->source) + fuzz_len(p->source_version) + fuzz_len(p->supplier) +
               fuzz_len(p->license);
    }
    for (size_t i = 0; i < d->files.n; i++)
        sum += fuzz_len(d->files.v[i].path) + fuzz_len(d->files.v[i].source) +
               strlen(d->files.v[i].sha256) + strlen(d->files.v[i].sha1);
    for (size_t i = 0; i < d->n_shipped; i++)
        sum += fuzz_len(d->shipped[i].path) + strlen(d->shipped[i].sha256);
    return sum;
}

static void
one(unsigned kind, const char *text, size_t len, struct ab_error *err)
{
    if (kind == 0) {
        struct manifest m = MANIFEST_INIT;
        manifest_parse_sums("SHA256SUMS", text, len, &m, err);
        for (size_t i = 0; i < m.n; i++)
            if (strlen(m.entries[i].hex) != 64 || !m.entries[i].name)
                abort();
        manifest_release(&m);
    } else if (kind == 1 || kind == 2) {
        struct sbom_doc d;
        int r = (kind == 1 ? sbom_parse_spdx : sbom_parse_cdx)(text, len, "doc", &d, err);
        if (r == 0 && walk_doc(&d) > 8 * len + 64)
            abort(); /* more read than the text holds */
        sbom_doc_release(&d);
    } else if (kind == 3) {
        struct export_files s;
        if (provenance_subjects(text, len, "p", &s, err) == 0) {
            for (size_t i = 0; i < s.n; i++)
                if (!s.v[i].path || strlen(s.v[i].sha256) >= HASH_HEX_MAX)
                    abort();
            export_files_release(&s);
        }
    } else if (kind == 4) {
        struct dsse_envelope env;
        if (dsse_parse(text, len, "e", &env, err) == 0) {
            if (env.n_sigs == 0 || !env.payload_type)
                abort();
            dsse_envelope_release(&env);
        }
    } else if (kind == 5) {
        struct sign_key *k = NULL;
        if (sign_pub_parse(text, len, "k", &k, err) == 0) {
            char id[SIGN_KEY_ID_HEX];
            sign_key_id(k, id, err);
            sign_malformed(k, (const unsigned char *)text, len);
            sign_key_free(k);
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* The readers take text that may hold NULs, with its length; a copy
     * of exactly those bytes, so that reading past them is caught. */
    char *text = malloc(size - 1 + 1);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    struct ab_error err = AB_ERROR_INIT;
    one(data[0] % 6, text, size - 1, &err);
    ab_error_release(&err);
    free(text);
    return 0;
}
