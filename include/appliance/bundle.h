/* bundle.h: what `appliance inspect` is given, made sense of.
 *
 * A bundle is an output folder (export.h's layout), an .ova, an .ovf with
 * its files beside it, or a single disk image. Opening one reads its OVF
 * descriptor into a summary, lists the digests its manifests promise
 * (the .mf of the OVF and of the OVA, and SHA256SUMS in a folder), and
 * finds its disk images with their formats (qemu-img info), extracting
 * an OVA's disks to a scratch folder when they are wanted. Verifying
 * recomputes every promised digest; an OVA is read once for both when its
 * disks are extracted. What is wrong with a bundle but does not stop it
 * being read (a File ovf:size that is not the file's size, members out of
 * the order importers demand, a file the manifest leaves out) is a
 * problem; a file that cannot be read at all is an error. */
#ifndef APPLIANCE_BUNDLE_H
#define APPLIANCE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/enums.h"
#include "appliance/error.h"
#include "appliance/hash.h"
#include "appliance/ovf_read.h"
#include "appliance/spawn.h"

enum bundle_kind {
    BUNDLE_FOLDER,
    BUNDLE_OVA,
    BUNDLE_OVF,
    BUNDLE_DISK,
};

enum check_state {
    CHECK_PENDING, /* not verified (yet) */
    CHECK_OK,
    CHECK_MISMATCH,
    CHECK_MISSING, /* the manifest lists a file that is not there */
};

/* One digest a manifest promises. */
struct bundle_check {
    char *manifest; /* as shown: "ovf/demo.mf", "demo.ova:demo.mf", "SHA256SUMS" */
    char *file;     /* the name the manifest gives */
    enum digest algo;
    char expected[HASH_HEX_MAX];
    char actual[HASH_HEX_MAX]; /* "" until computed */
    enum check_state state;
    char *path; /* the file to digest; NULL for an OVA member */
};

struct bundle_disk {
    char *name;   /* as shown: "demo-os.qcow2", "demo.ova:demo-os.vmdk" */
    char *path;   /* the file to open (an OVA member's scratch copy) */
    char *format; /* qemu-img's name for it: raw, qcow2, vmdk, vhdx, vpc, vdi */
    uint64_t virtual_size;
    uint64_t file_size;
};

struct bundle {
    char *path;
    enum bundle_kind kind;
    char *name;       /* the appliance's name, when known */
    char *stem;       /* a folder's: how its files' names begin (NAME-VERSION, NAME before) */
    char *report;     /* a folder's build report (report_resolve's; it may not exist) */
    char *ovf_source; /* where the summary comes from, as shown; NULL: no OVF */
    struct ovf_summary *ovf;
    struct bundle_check *checks;
    size_t n_checks;
    char **problems;
    size_t n_problems;
    struct bundle_disk *disks;
    size_t n_disks;
    char *ova;         /* the OVA whose members the checks name, if any */
    char *ova_label;   /* its name as shown */
    bool ova_verified; /* its members are digested */
    char *scratch;     /* where its disks were extracted; owned by the caller */
    const struct spawn_ctx *spawn; /* the caller's, for the tools it runs; may be NULL */
};

enum bundle_flags {
    BUNDLE_DISKS = 1 << 0,   /* find the disk images (extracting an OVA's) */
    BUNDLE_VERIFY = 1 << 1,  /* bundle_verify() will follow: read an OVA once for both */
    BUNDLE_NO_SUMS = 1 << 2, /* a folder's SHA256SUMS is not checked (its caller checks it
                                once for the folder's several appliances) */
};

/* Opens path; of a folder built for several architectures, arch's
 * appliance (an architecture's name; NULL: report_resolve's choice).
 * scratch is a folder that does not exist yet, made when an OVA's disks
 * must be extracted; the caller removes it. The tools run (qemu-img) are
 * logged through ctx, which must outlive the bundle (may be NULL). */
struct bundle *bundle_open(const char *path, const char *arch, unsigned flags, const char *scratch,
                           const struct spawn_ctx *ctx, struct ab_error *err);

/* Computes every pending check's digest. -1 only when a file cannot be
 * read; mismatches are results, not errors. */
int bundle_verify(struct bundle *b, struct ab_error *err);

/* True when every check is OK and there are no problems. */
bool bundle_ok(const struct bundle *b);

const char *bundle_kind_name(enum bundle_kind k);
const char *check_state_name(enum check_state s); /* "OK", "MISMATCH", ... */

void bundle_free(struct bundle *b);

#endif
