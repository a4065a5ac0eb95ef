/* provenance.h: how a delivery was made, as an in-toto Statement v1
 * with the SLSA Provenance v1 predicate (STEM.provenance.json;
 * builder/export/provenance.c).
 *
 *   subject              every file shipped before it (the SBOMs included),
 *                        each with its SHA-256
 *   buildDefinition
 *     buildType          PROVENANCE_BUILD_TYPE or PROVENANCE_CONVERT_TYPE
 *     externalParameters the recipe (its file name and SHA-256), its
 *                        --set and ${VAR} values (as the plan shows them:
 *                        a password hash hidden; and through redact.h),
 *                        the outputs
 *     internalParameters SOURCE_DATE_EPOCH, the seed
 *     resolvedDependencies  the recipe; the root tree (its cache key and
 *                        SHA-256, the distribution, the tool that made it,
 *                        the mirror and suite); the appliance program (its
 *                        version and SHA-256); every installed package
 *                        (its package URL); the recipe's files; a
 *                        convert's source files
 *   runDetails.builder   its id: --builder-id, else the recipe's
 *                        vendor_url, else PROVENANCE_DEFAULT_BUILDER
 *
 * No time of the run, no host name, no path of the build machine: the
 * same inputs give the same bytes.
 * https://slsa.dev/spec/v1.0/provenance, https://in-toto.io/Statement/v1 */
#ifndef APPLIANCE_PROVENANCE_H
#define APPLIANCE_PROVENANCE_H

#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/export.h"
#include "appliance/packages.h"
#include "appliance/plan.h"
#include "appliance/sbom.h"

#define PROVENANCE_BUILD_TYPE "urn:appliance:buildtype:build:v1"
#define PROVENANCE_CONVERT_TYPE "urn:appliance:buildtype:convert:v1"
#define PROVENANCE_DEFAULT_BUILDER "urn:appliance:builder:unidentified"

/* An input of a convert: its name as given, its SHA-256. */
struct provenance_source {
    const char *name;
    const char *sha256;
};

struct provenance_input {
    const struct plan *plan;
    const char *build_type;              /* PROVENANCE_*_TYPE */
    const char *builder_id;              /* NULL: the plan's vendor_url, else the default */
    const struct export_files *subjects; /* the shipped files, hashed */
    int64_t epoch;
    const char *recipe_sha256;           /* NULL: no recipe (convert) */
    const struct pkg_list *packages;     /* may be NULL */
    const struct sbom_files *files;      /* may be NULL */
    const char *tree_key, *tree_sha256;  /* the root tree's; NULL: unknown */
    const char *tool_sha256;             /* the appliance program's; NULL: read from
                                            /proc/self/exe, the bytes the kernel runs */
    const struct provenance_source *sources;
    size_t n_sources;
};

/* The statement's text, malloc'd into *text. */
int provenance_text(const struct provenance_input *in, char **text, struct ab_error *err);

/* The most bytes a statement may have to be read. */
#define PROVENANCE_MAX_BYTES (64u << 20)

/* Reads back the subjects of a statement (any bytes): each name and
 * SHA-256 ("" when it gives none; sizes 0) into *subjects, in order. -1
 * when it is not an in-toto Statement v1 with a subject list: "'WHAT' is
 * not an in-toto statement: REASON". */
int provenance_subjects(const char *text, size_t len, const char *what,
                        struct export_files *subjects, struct ab_error *err);

#endif
