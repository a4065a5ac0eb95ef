/* ova_read.h: one pass over an OVA (a tar archive) with libarchive.
 *
 * The pass keeps the descriptor (.ovf) and the manifest (.mf) in memory,
 * records every member's name and size in archive order, and, as asked,
 * digests members while they stream by (with the digests the manifest
 * names for them, or all three while the manifest has not been seen) and
 * writes chosen members to a scratch folder. Nothing is extracted unless
 * asked, and only regular files with plain names ever are. Without
 * digests or extraction, member data is skipped with lseek. */
#ifndef APPLIANCE_OVA_READ_H
#define APPLIANCE_OVA_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/hash.h"

#define OVA_N_DIGESTS 3 /* indexed by enum digest */

struct ova_member {
    char *name;
    uint64_t size;
    bool plain;      /* a regular file whose name has no '/' and is not "." or ".." */
    unsigned hashed; /* bit (1 << enum digest) for each digest in hex */
    char hex[OVA_N_DIGESTS][HASH_HEX_MAX];
    char *extracted; /* the file it was written to, or NULL */
};

struct ova_contents {
    struct ova_member *members; /* in archive order */
    size_t n;
    int ovf, mf; /* indexes of the first .ovf and .mf members, -1 if none */
    char *ovf_text, *mf_text;
    size_t ovf_len, mf_len;
    bool has_whole; /* the whole file's SHA256 (OVA_READ_DIGESTS) */
    char whole_sha256[HASH_HEX_MAX];
};

#define OVA_CONTENTS_INIT                                                                          \
    {                                                                                              \
        NULL, 0, -1, -1, NULL, NULL, 0, 0, false,                                                  \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

enum ova_read_flags {
    OVA_READ_DIGESTS = 1 << 0,
};

struct ova_read_opts {
    unsigned flags;      /* enum ova_read_flags */
    const char *scratch; /* where extracted members go */
    /* Chooses the members to extract (name is a plain name); NULL: none. */
    bool (*extract)(void *ctx, const char *name);
    void *ctx;
    const volatile int *stop; /* when it becomes non-zero, the pass fails (EINTR) */
};

/* Reads the OVA at path into *c (initialised with OVA_CONTENTS_INIT).
 * Members that o->extract chooses are written to o->scratch/NAME, which
 * must not exist yet. Fails on a file that is not a tar archive, a read or
 * write error, or a descriptor or manifest over 16 MiB. */
int ova_read(const char *path, const struct ova_read_opts *o, struct ova_contents *c,
             struct ab_error *err);

/* Frees everything in c (not the extracted files) and resets it. */
void ova_contents_release(struct ova_contents *c);

#endif
