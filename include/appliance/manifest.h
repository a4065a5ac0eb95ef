/* manifest.h: reading the digests a bundle lists for its files.
 *
 * Two formats: an OVF manifest (.mf), one "SHA256(name)= hex" line per
 * file, as export_manifest_line() writes it and VMware, VirtualBox and
 * virt-v2v read it (SHA1, SHA256 and SHA512; spaces around the parentheses
 * and the '=' are tolerated when reading); and sha256sum's format
 * ("hex  name", or "hex *name"), which SHA256SUMS uses. */
#ifndef APPLIANCE_MANIFEST_H
#define APPLIANCE_MANIFEST_H

#include <stddef.h>

#include "appliance/enums.h"
#include "appliance/error.h"
#include "appliance/hash.h"

struct manifest_entry {
    enum digest algo;
    char *name;             /* the file's name as the manifest writes it */
    char hex[HASH_HEX_MAX]; /* lowercase */
    unsigned line;          /* 1-based line in the manifest */
};

struct manifest {
    struct manifest_entry *entries;
    size_t n;
};

#define MANIFEST_INIT                                                                              \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Parses an OVF manifest; file names the manifest in diagnostics
 * ("file:line:col: error: ..."). Every bad line is reported; returns -1 if
 * there was one. m must be initialised; entries are appended. */
int manifest_parse_mf(const char *file, const char *text, size_t len, struct manifest *m,
                      struct ab_error *err);

/* The same for sha256sum's output (every entry is SHA256). */
int manifest_parse_sums(const char *file, const char *text, size_t len, struct manifest *m,
                        struct ab_error *err);

/* The first entry for name, or NULL. */
const struct manifest_entry *manifest_find(const struct manifest *m, const char *name);

/* Frees the entries and resets m; NULL-safe. */
void manifest_release(struct manifest *m);

/* How VMware spells a digest in a manifest: "SHA1", "SHA256", "SHA512". */
const char *manifest_algo_name(enum digest algo);

/* Hex digits of a digest: 40, 64 or 128. */
size_t manifest_hex_len(enum digest algo);

#endif
