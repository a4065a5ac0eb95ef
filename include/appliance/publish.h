/* publish.h: `appliance push` and `appliance pull`: a build's output
 * folder as one OCI artifact in a registry (builder/lifecycle/publish.c).
 *
 * The artifact is an OCI image manifest of artifactType
 * PUBLISH_ARTIFACT_TYPE with the empty config and one layer per file:
 * every file SHA256SUMS lists (its layer's digest is the one SHA256SUMS
 * gives), then SHA256SUMS, SHA256SUMS.sig when there is one, and
 * build-report.json (each build-report-ARCH.json of a folder built for
 * several architectures); each layer's media type is that of its file
 * (publish_media_type), its title the file's path in the folder. The
 * manifest's annotations name the recipe (PUBLISH_ANN_NAME,
 * PUBLISH_ANN_VERSION, and OCI's title and version) and give
 * SHA256SUMS's digest (PUBLISH_ANN_SUMS).
 *
 * With the kubevirt output, each disk's containerDisk (an OCI archive in
 * the folder, export_kubevirt.c) is also pushed as an image of its own,
 * tagged TAG-os and TAG-app beside the artifact, and the artifact names
 * each pinned by digest (PUBLISH_ANN_CONTAINERDISK + disk).
 *
 * pull reads the manifest first and judges it (artifact type, every
 * title a plain path, the sizes against the free space), then copies
 * exactly that manifest (pinned by its digest), hashes every file again,
 * checks SHA256SUMS against the layers (each listed file there with its
 * digest, each file listed), and only then swaps the folder into place
 * (outdir.h): a failed pull leaves nothing. */
#ifndef APPLIANCE_PUBLISH_H
#define APPLIANCE_PUBLISH_H

#include <stdint.h>

#include "appliance/delivery.h"
#include "appliance/error.h"
#include "appliance/oci.h"
#include "appliance/registry.h"

#define PUBLISH_ARTIFACT_TYPE "application/vnd.appliance.build.v1+json"
#define PUBLISH_ANN_NAME "vnd.appliance.recipe.name"
#define PUBLISH_ANN_VERSION "vnd.appliance.recipe.version"
#define PUBLISH_ANN_SUMS "vnd.appliance.sha256sums.digest"
#define PUBLISH_ANN_CONTAINERDISK "vnd.appliance.containerdisk."
#define PUBLISH_REPORT DELIVERY_REPORT ".json"
/* Its media type, and that of each build-report-ARCH.json of a folder
 * built for several architectures (delivery.h), all of which it carries. */
#define PUBLISH_REPORT_TYPE "application/vnd.appliance.build-report.v1+json"

/* The media type of a file of an output folder, by its name. */
const char *publish_media_type(const char *name);

struct publish_result {
    char *ref;                   /* the artifact, pinned: HOST/PATH@sha256:... */
    char digest[OCI_DIGEST_LEN]; /* its manifest's */
    size_t n_files;
    uint64_t bytes;
    char *containerdisk[2];      /* the os and app containerDisks, pinned; NULL: none */
};

void publish_result_release(struct publish_result *r);

/* Builds the artifact of the output folder dir into a layout under work
 * (a scratch folder) and pushes it to ref. */
int publish_push(const struct registry *reg, const char *dir, const char *ref, const char *work,
                 struct publish_result *res, struct ab_error *err);

/* Pulls ref into the folder dir, whole or not at all. */
int publish_pull(const struct registry *reg, const char *ref, const char *dir,
                 struct publish_result *res, struct ab_error *err);

/* The artifact's manifest judged as pull judges it before copying
 * anything: of PUBLISH_ARTIFACT_TYPE, with SHA256SUMS and the report
 * among its layers; for the tests and the fuzzer. */
int publish_check_manifest(const struct oci_manifest *m, const char *what, struct ab_error *err);

/* SHA256SUMS's text checked against the layers of m: every entry a
 * layer of that title and digest, every layer but SHA256SUMS, its
 * signature and the report an entry. */
int publish_check_sums(const struct oci_manifest *m, const char *sums, size_t len,
                       struct ab_error *err);

#endif
