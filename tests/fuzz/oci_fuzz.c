/* oci_fuzz.c: libFuzzer harness for what a registry sends that this
 * program reads itself (oci.h, publish.h): an OCI manifest, judged as
 * `appliance pull` and --cache-registry judge it, and SHA256SUMS checked
 * against its layers, and as --cache-registry judges an entry; and, the same bytes as a reference, the reference
 * grammar.
 *
 * A manifest that parses has at most OCI_MAX_LAYERS layers, each with a
 * digest of the one accepted form, a size below 2^53 and a title that
 * oci_title_ok accepts, none twice; written again and read back, it is
 * the same bytes (the writer is the reader's inverse). A reference that
 * parses names a host and a tag or a digest, and prints as it was read
 * (with ":latest" when it had neither). Seeds: manifests that push and
 * the cache write, and hostile shapes (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/error.h"
#include "appliance/oci.h"
#include "appliance/publish.h"
#include "pipeline/cache_registry.h"

#include "fuzz.h"

static void
check_manifest(const struct oci_manifest *m)
{
    if (m->n_layers > OCI_MAX_LAYERS || !oci_digest_ok(m->config.digest))
        abort();
    for (size_t i = 0; i < m->n_layers; i++) {
        const struct oci_descriptor *d = &m->layers[i];
        const char *t = oci_descriptor_title(d);
        if (!oci_digest_ok(d->digest) || d->size > OCI_MAX_SIZE || !t || !oci_title_ok(t) ||
            strstr(t, "/.") || t[0] == '.' || t[0] == '/' || oci_manifest_layer(m, t) != d)
            abort();
    }
}

static void
round_trip(const struct oci_manifest *m)
{
    struct ab_error err = AB_ERROR_INIT;
    struct oci_manifest back;
    char *text = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    memset(&back, 0, sizeof(back));
    if (oci_manifest_write(m, &text, &len, &err) < 0 ||
        oci_manifest_parse(text, len, "again", &back, &err) < 0 ||
        oci_manifest_write(&back, &again, &len2, &err) < 0 || len != len2 ||
        memcmp(text, again, len) != 0)
        abort();
    free(text);
    free(again);
    oci_manifest_release(&back);
}

static void
reference(const uint8_t *data, size_t size)
{
    char *s = strndup((const char *)data, size);
    struct oci_ref r;
    struct ab_error err = AB_ERROR_INIT;
    if (!s)
        return;
    if (oci_ref_parse(s, true, &r, &err) == 0) {
        char *back = oci_ref_string(&r);
        if (!r.host || !r.path || (!r.tag == !r.digest) || !back ||
            (strcmp(back, s) != 0 && !(r.tag && strncmp(back, s, strlen(s)) == 0)))
            abort();
        free(back);
    } else if (!ab_error_is_set(&err)) {
        abort();
    }
    oci_ref_release(&r);
    ab_error_release(&err);
    free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ab_error err = AB_ERROR_INIT;
    struct oci_manifest m;
    memset(&m, 0, sizeof(m));
    int r = oci_manifest_parse((const char *)data, size, "fuzz", &m, &err);
    if ((r < 0) != ab_error_is_set(&err))
        abort();
    ab_error_release(&err);
    if (r == 0) {
        check_manifest(&m);
        round_trip(&m);
        if (publish_check_manifest(&m, "fuzz", &err) == 0) {
            /* The same bytes as SHA256SUMS, checked against the layers. */
            (void)publish_check_sums(&m, (const char *)data, size, &err);
        }
        ab_error_release(&err);
        /* As --cache-registry judges it, before pulling. */
        const char *key = oci_annotation_get(m.annotations, m.n_annotations, CACHE_ANN_KEY);
        if (cache_registry_check(&m, "disk", key ? key : "", "fuzz", &err) == 0 &&
            (!oci_manifest_layer(&m, "image.qcow2") || !key))
            abort();
        ab_error_release(&err);
    }
    oci_manifest_release(&m);
    reference(data, size);
    return 0;
}
