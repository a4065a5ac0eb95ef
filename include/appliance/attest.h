/* attest.h: what a delivery says of itself, written last into an output
 * folder by a build and by a convert (builder/export/attest.c):
 *
 *   STEM.spdx.json, STEM.cdx.json    the SBOMs (sbom.h), of every file
 *                                    written before them
 *   STEM-container.spdx.json,        the container template's, when the
 *   STEM-container.cdx.json          plan has the container output
 *   STEM.provenance.json             the provenance (provenance.h), of
 *                                    every file written before it
 *   SHA256SUMS                       every file above and before them
 *   SHA256SUMS.sig                   with a key: SHA256SUMS's signature
 *                                    (sign.h), raw bytes
 *   STEM.intoto.jsonl                with a key: the provenance in a
 *                                    signed DSSE envelope (dsse.h)
 *
 * Each file is added to files as it is written (SHA256SUMS aside, as
 * export_files_collect leaves it). */
#ifndef APPLIANCE_ATTEST_H
#define APPLIANCE_ATTEST_H

#include "appliance/error.h"
#include "appliance/export.h"
#include "appliance/packages.h"
#include "appliance/plan.h"
#include "appliance/provenance.h"
#include "appliance/sbom.h"
#include "appliance/sign.h"

struct attest_job {
    const char *dir;                    /* the folder being filled */
    const struct pkg_list *packages;    /* the OS disk's */
    const struct pkg_list *ct_packages; /* the container's; NULL: no container */
    const struct sbom_files *files;     /* the recipe's files; may be NULL */
    struct provenance_input prov;       /* plan, epoch and the rest; its subjects are set here */
    const struct sign_key *key;         /* NULL: nothing is signed */
    /* The caller signs SHA256SUMS (attest_sign_sums): one architecture's
     * build of a folder of several, whose SHA256SUMS holds theirs
     * together. The provenance is signed all the same. */
    bool sums_unsigned;
};

/* Writes the files above into job->dir, adding each to files (which holds
 * every file written before, hashed). */
int attest_write(struct attest_job *job, struct export_files *files, struct ab_error *err);

/* Writes dir/SHA256SUMS.sig, the signature of dir/SHA256SUMS with key,
 * and adds it to files (may be NULL). */
int attest_sign_sums(const char *dir, const struct sign_key *key, struct export_files *files,
                     struct ab_error *err);

#endif
