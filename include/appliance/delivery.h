/* delivery.h: what an output folder holds, file by file, and for whom
 * (builder/export/delivery.c).
 *
 * The one table of the folder's names: every file of every output as
 * STEM + suffix (STEM-DISK + suffix for a disk's file), STEM being the
 * plan's (plan_stem: NAME-VERSION, NAME-VERSION-ARCH in a folder of
 * several architectures); and the import targets (vsphere, workstation, virtualbox,
 * hyperv, proxmox, kvm, azure, gce, containers), each served by some
 * outputs, each given an INSTALL-TARGET.md rendered from templates/.
 * The exporters name their files through it, the report records each
 * file's output, disk and targets from it, and the commands that open a
 * folder find their files in the report. */
#ifndef APPLIANCE_DELIVERY_H
#define APPLIANCE_DELIVERY_H

#include <stdbool.h>

#include "appliance/error.h"
#include "appliance/export.h"
#include "appliance/plan.h"

/* The files every folder has beside its outputs, STEM + suffix or a name
 * of their own (attest.h writes them; delivery_classify gives them the
 * output "sbom", "provenance" or "signature"). */
#define DELIVERY_SPDX ".spdx.json"
#define DELIVERY_CDX ".cdx.json"
#define DELIVERY_CONTAINER_SPDX "-container.spdx.json"
#define DELIVERY_CONTAINER_CDX "-container.cdx.json"
#define DELIVERY_PROVENANCE ".provenance.json"
#define DELIVERY_DSSE ".intoto.jsonl"
#define DELIVERY_SUMS "SHA256SUMS"
#define DELIVERY_SUMS_SIG "SHA256SUMS.sig"

/* The documents a folder holds one of per architecture, named by
 * delivery_arch_doc: each target's INSTALL note (DELIVERY_INSTALL +
 * TARGET, ".md") and the build report (DELIVERY_REPORT, ".json";
 * delivery_classify gives it the output "report"). */
#define DELIVERY_INSTALL "INSTALL-"
#define DELIVERY_REPORT "build-report"

/* The utm output's bundle, a folder STEM.utm as UTM on macOS opens it:
 * its configuration, and its Data/ folder holding the disks' qcow2
 * files (STEM-DISK.qcow2), the names UTM's source gives them
 * (UTMConfiguration.swift: kUTMBundleConfigFilename, dataDirectoryName). */
#define DELIVERY_UTM ".utm"
#define DELIVERY_UTM_CONFIG "config.plist"
#define DELIVERY_UTM_DATA "Data"

/* The most targets one file serves. */
#define DELIVERY_MAX_TARGETS 8

/* What one file of a folder is. */
struct delivery_role {
    const char *output; /* "ova", "qcow2", ... ; "install" for INSTALL-*.md; "sbom",
                           "provenance", "signature" (DELIVERY_*); "report" for the build
                           report, which lists the others; NULL: unknown */
    const char *disk;   /* "os" or "app" for a disk's file, else NULL */
    const char *targets[DELIVERY_MAX_TARGETS]; /* NULL-terminated */
};

/* What path (relative to the folder) is in a folder of the appliance
 * whose files begin with stem, made with outputs: role->output NULL when
 * no output of outputs writes such a file. */
void delivery_classify(const char *stem, unsigned outputs, const char *path,
                       struct delivery_role *role);

/* The file name (relative to the folder) of output's file suffix
 * (".ova", ".xml", "-container.tar"), or of disk's (".qcow2"): "STEM.ova",
 * "STEM-os.qcow2"; NULL when out of memory. */
char *delivery_file(const struct plan *plan, const char *suffix);
char *delivery_disk_file(const struct plan *plan, enum plan_disk_id disk, const char *suffix);

/* base + ext ("INSTALL-kvm" ".md"), or base-ARCH + ext in a folder of
 * several architectures (arch: the plan's folder_arch, the arch row's
 * name; NULL in a folder of one): "INSTALL-kvm-aarch64.md",
 * "build-report-x86_64.json". NULL when out of memory. */
char *delivery_arch_doc(const char *base, const char *arch, const char *ext);

/* The architecture (its row's name, static) whose document path is:
 * "" for base + ext itself, the arch of base-ARCH + ext, NULL when path is
 * neither. */
const char *delivery_arch_doc_of(const char *path, const char *base, const char *ext);

/* stem + suffix, for a folder known by its stem alone (NULL when out of
 * memory). */
char *delivery_stem_file(const char *stem, const char *suffix);

/* "DIR/STEM" + suffix (dir/ delivery_file), NULL when out of memory. */
char *delivery_path(const struct plan *plan, const char *dir, const char *suffix);

/* The output flag of an output's name ("qcow2"), 0 when none. */
unsigned delivery_output_flag(const char *output);

/* Writes DIR/INSTALL-TARGET.md (delivery_arch_doc) for every target the plan's outputs serve,
 * naming the files of files (which must hold every other file of the
 * folder, hashed) with their digests and sizes, and adds each to files. */
int delivery_write_install(const struct plan *plan, const char *dir, struct export_files *files,
                           struct ab_error *err);

/* INSTALL-TARGET.md's text for plan (malloc'd into *text), naming only
 * files of files; 0 with *text NULL when no output of the plan serves
 * target. */
int delivery_install_text(const struct plan *plan, const char *target,
                          const struct export_files *files, char **text, struct ab_error *err);

/* The targets, in order, NULL-terminated. */
extern const char *const delivery_targets[];

#endif
