/* verify.h: `appliance verify`: a delivery checked against what it says
 * of itself (builder/inspect/verify.c).
 *
 * Given an output folder, or an .ova with the folder's other files beside
 * it, and optionally the public key of the signer:
 *
 *   - the signatures: SHA256SUMS.sig over SHA256SUMS, and the DSSE
 *     envelope NAME-VERSION.intoto.jsonl over the provenance, whose
 *     payload must be NAME-VERSION.provenance.json byte for byte;
 *   - every digest SHA256SUMS lists, recomputed (and the manifests of the
 *     OVF and the OVA, as `appliance inspect` checks them); a file of the
 *     folder that SHA256SUMS does not list;
 *   - each SBOM (SPDX and CycloneDX, the container's too): its name and
 *     version, its shipped files and their digests against SHA256SUMS, its
 *     disks each held by a shipped file;
 *   - the provenance's subjects against SHA256SUMS;
 *   - the disks read (one image of each, an OVA's extracted into scratch):
 *     the packages installed on the OS disk are exactly those each SBOM
 *     lists, name, version and architecture.
 *
 * A folder built for several architectures (build-report-ARCH.json each)
 * is checked whole: its one SHA256SUMS and signature, then each
 * architecture's envelope, SBOMs, provenance and disks in turn, each of
 * them against the SHA256SUMS lines of its own files.
 *
 * Each check is a result (OK, FAIL, or SKIP with the reason it could not
 * run), never an error: verify_run fails only when path cannot be read at
 * all. Nothing in the folder is written. */
#ifndef APPLIANCE_VERIFY_H
#define APPLIANCE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "appliance/engine_inspect.h"
#include "appliance/error.h"
#include "appliance/packages.h"

enum verify_result {
    VERIFY_OK,
    VERIFY_FAIL,
    VERIFY_SKIP,
};

struct verify_check {
    char *check;  /* what was checked: "signature of SHA256SUMS" */
    enum verify_result result;
    char *detail; /* what was found, the cause of a failure, why it was skipped; may be NULL */
};

struct verify_report {
    char *path;   /* as given */
    char *stem;   /* NAME-VERSION, once known */
    char *arches; /* a folder built for several architectures: "x86_64, aarch64", each
                     checked in turn; NULL otherwise */
    struct verify_check *checks;
    size_t n_checks;
    size_t passed, failed, skipped;
};

/* How the packages installed on a delivery's disks are read: 0 and the
 * OS disk's packages (name, version, arch) into *list, or -1. The seam of
 * the disk reader: by default libguestfs's inspection (engine_inspect.h),
 * verify_packages_libguestfs; a native reader of the disks takes its
 * place here. */
typedef int (*verify_packages_fn)(void *ctx, const struct inspect_drive *drives, size_t n,
                                  struct pkg_list *list, struct ab_error *err);

/* The libguestfs reader; ctx is a bool *: use KVM. */
int verify_packages_libguestfs(void *ctx, const struct inspect_drive *drives, size_t n,
                               struct pkg_list *list, struct ab_error *err);

struct verify_opts {
    const char *key;               /* a public key in PEM; NULL: the signatures are skipped */
    bool disks;                    /* read the disks' packages */
    const char *scratch;           /* a folder that does not exist yet; the caller removes it */
    verify_packages_fn packages;   /* NULL: verify_packages_libguestfs */
    void *packages_ctx;
    void (*progress)(void *ctx, const char *what); /* a step begins; may be NULL */
    void *progress_ctx;
};

/* Verifies path (a folder, or an .ova beside its folder's files) into r.
 * -1 only when path is neither (or out of memory). */
int verify_run(const char *path, const struct verify_opts *o, struct verify_report *r,
               struct ab_error *err);

/* True when no check failed. */
bool verify_ok(const struct verify_report *r);

/* One line per check ("OK    check: detail"), then the count. */
int verify_write_text(const struct verify_report *r, FILE *out);

/* {"path", "name", "ok", "passed", "failed", "skipped",
 *  "checks": [{"check", "result": "ok"|"fail"|"skip", "detail"}]};
 * "arches" ("x86_64, aarch64") after "name" for a folder of several. */
int verify_write_json(const struct verify_report *r, FILE *out);

void verify_report_release(struct verify_report *r);

#endif
