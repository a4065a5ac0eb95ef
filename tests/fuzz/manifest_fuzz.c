/* manifest_fuzz.c: libFuzzer harness for the manifest readers
 * (manifest.h): an OVF manifest (.mf, an OVA's or an OVF's) and
 * SHA256SUMS (an output folder's), both from outside.
 *
 * Each input is read by both parsers. An entry must have a name, a known
 * digest with exactly its number of lowercase hex digits and the number
 * of a line the text has; a parse fails exactly when it reported a line;
 * manifest_find finds what was read. Seeds: manifests written here by
 * sha1sum, sha256sum and sha512sum, escaped names included
 * (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/error.h"
#include "appliance/manifest.h"

#include "fuzz.h"

static void
check(const struct manifest *m, const uint8_t *data, size_t size)
{
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    for (size_t i = 0; i < m->n; i++) {
        const struct manifest_entry *e = &m->entries[i];
        size_t n = manifest_hex_len(e->algo);
        if (!e->name || n == 0 || strlen(e->hex) != n || strspn(e->hex, "0123456789abcdef") != n ||
            e->line == 0 || e->line > lines)
            abort();
        const struct manifest_entry *f = manifest_find(m, e->name);
        if (!f || f > e || strcmp(f->name, e->name) != 0)
            abort(); /* not found, or found after itself */
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int (*const parsers[])(const char *, const char *, size_t, struct manifest *,
                           struct ab_error *) = {manifest_parse_mf, manifest_parse_sums};
    for (size_t p = 0; p < 2; p++) {
        struct ab_error err = AB_ERROR_INIT;
        struct manifest m = MANIFEST_INIT;
        int r = parsers[p]("fuzz.mf", (const char *)data, size, &m, &err);
        if ((r < 0) != ab_error_is_set(&err) || (r != 0 && r != -1))
            abort(); /* a failure without a diagnostic, or the reverse */
        check(&m, data, size);
        manifest_release(&m);
        ab_error_release(&err);
    }
    return 0;
}
