/* sbom.h: the software bills of materials a delivery ships, SPDX 2.3
 * (STEM.spdx.json) and CycloneDX 1.6 (STEM.cdx.json), and the container
 * template's (STEM-container.spdx.json, STEM-container.cdx.json); their
 * one writer and reader (builder/export/sbom*.c).
 *
 * Both describe the same things, each in its format's way:
 *
 *   the appliance (its name, version, vendor)
 *     contains each disk (OS, application), each with its filesystems
 *     and where their contents come from;
 *   the OS disk contains the operating system, every package installed
 *     in the tree (name, version, architecture, source package, supplier,
 *     package URL, declared license) and the hypervisors' add-ons (each
 *     depending on its guest tools package);
 *   each disk contains the recipe's `files:` that land on it, with their
 *     SHA-1 and SHA-256;
 *   every file shipped beside the SBOM (but the SBOMs, the provenance,
 *     SHA256SUMS and its signatures) with its SHA-256, generated from the
 *     appliance, and containing the disks it holds.
 *
 * SPDX: the appliance, the OS, the disks, the add-ons, the shipped files
 * and the packages are SPDX packages (a shipped file is a package of
 * purpose FILE or ARCHIVE: an SPDX file must carry a SHA-1, which would
 * mean reading every disk again), the recipe's files SPDX files;
 * relationships DESCRIBES, CONTAINS, DEPENDS_ON, GENERATED_FROM; every
 * LicenseRef- in hasExtractedLicensingInfos. CycloneDX: the appliance is
 * metadata.component; the disks are components holding their contents
 * as nested components; the shipped files are components of type file;
 * the add-ons' guest tools are dependencies.
 *
 * The bytes depend on the inputs alone: the time is SOURCE_DATE_EPOCH,
 * the SPDX document namespace and the CycloneDX serial number are UUIDs
 * made from the SHA-256 of the document's own text (without them), the
 * lists are sorted. */
#ifndef APPLIANCE_SBOM_H
#define APPLIANCE_SBOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/export.h"
#include "appliance/hash.h"
#include "appliance/packages.h"
#include "appliance/plan.h"

/* The most bytes an SBOM may have to be read. */
#define SBOM_MAX_BYTES (64u << 20)

/* A file of the recipe's `files:`, where it lands. */
struct sbom_file {
    char *path;   /* in the guest: "/opt/app/run.sh" */
    char *source; /* as the recipe names it, and below a folder: "custom-files/app/run.sh" */
    int disk;     /* enum plan_disk_id; -1: none known */
    char sha256[HASH_HEX_MAX];
    char sha1[HASH_HEX_MAX];
};

struct sbom_files {
    struct sbom_file *v; /* sorted by path */
    size_t n;
};

/* Every regular file the plan's `files:` put in the tree, each with its
 * digests (read from the recipe's folder) and the disk of the mount that
 * holds it. */
int sbom_recipe_files(const struct plan *plan, struct sbom_files *files, struct ab_error *err);
void sbom_files_release(struct sbom_files *files);

/* What one SBOM describes. */
struct sbom_input {
    const struct plan *plan;            /* the appliance: names, disks, mounts, add-ons, OS */
    bool container;                     /* the container template's: no disks, no add-ons */
    const struct pkg_list *packages;    /* installed in the tree (of the container) */
    const struct sbom_files *files;     /* the recipe's files; may be NULL */
    const struct export_files *shipped; /* the files shipped beside it, hashed */
    int64_t epoch;                      /* SOURCE_DATE_EPOCH: the creation time */
};

/* The documents' text, malloc'd into *text. */
int sbom_spdx_text(const struct sbom_input *in, char **text, struct ab_error *err);
int sbom_cdx_text(const struct sbom_input *in, char **text, struct ab_error *err);

/* A package's URL: pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12,
 * pkg:rpm/rocky-linux/NAME@VERSION?arch=x86_64&distro=rocky-9 (an rpm's
 * epoch as the epoch= qualifier), every part percent-encoded as the purl
 * specification asks; malloc'd, NULL when out of memory. */
char *sbom_purl(const struct plan *plan, enum pkg_format format, const struct pkg *p);

/* "2024-01-31T12:00:00Z" of epoch. */
void sbom_time(int64_t epoch, char out[32]);

/* ---- reading ------------------------------------------------------------ */

/* A shipped file an SBOM lists. */
struct sbom_shipped {
    char *path;
    char sha256[HASH_HEX_MAX]; /* "" when it gives none */
    bool disks[PLAN_N_DISKS];  /* the disks the file contains */
};

/* What an SBOM says, as read back; a member missing or of another type
 * is left empty: the caller judges. */
struct sbom_doc {
    char *name, *version;      /* the appliance's (the container's) */
    bool disk[PLAN_N_DISKS];   /* the disks it describes */
    struct pkg_list packages;  /* the packages of the OS disk (the container) */
    struct sbom_files files;   /* the recipe's files */
    struct sbom_shipped *shipped;
    size_t n_shipped;
};

/* Reads an SPDX or CycloneDX document this module wrote (any bytes: the
 * reader never trusts them). -1 only when it is not JSON of that format:
 * "'WHAT' is not an SPDX 2.3 document: REASON". */
int sbom_parse_spdx(const char *text, size_t len, const char *what, struct sbom_doc *doc,
                    struct ab_error *err);
int sbom_parse_cdx(const char *text, size_t len, const char *what, struct sbom_doc *doc,
                   struct ab_error *err);
void sbom_doc_release(struct sbom_doc *doc);

#endif
