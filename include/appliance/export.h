/* export.h: the two raw disks -> every output the recipe asks for.
 *
 * The output folder holds, by output (STEM is NAME-VERSION; the names are
 * delivery.h's table):
 *
 *   ova      STEM.ova            .ovf, .mf, then STEM-os.vmdk, STEM-app.vmdk
 *   ovf      ovf/STEM.ovf        the same, unpacked: ovf/STEM.mf, ovf/STEM-*.vmdk
 *   vmdk     STEM-os.vmdk        monolithicSparse, and STEM-app.vmdk
 *   qcow2    STEM-os.qcow2       and STEM-app.qcow2
 *   libvirt  STEM.xml            domain XML using the qcow2 disks
 *   vhdx     STEM-os.vhdx        dynamic, and STEM-app.vhdx
 *   hyperv   STEM.ps1            creates the Hyper-V VM from the VHDX disks
 *   vdi      STEM-os.vdi         and STEM-app.vdi
 *   raw      STEM-os.raw         sparse, and STEM-app.raw
 *   azure    STEM-os.vhd         fixed VHD, a whole number of MiB
 *   gce      STEM-os.tar.gz      disk.raw in a gzip'd GNU tar, and STEM-app.tar.gz
 *   kubevirt STEM-os.containerdisk.tar and -app's, STEM.kubevirt.yaml
 *   vmx      STEM.vmwarevm/      STEM.vmx and the disks as monolithicSparse
 *                                VMDKs, STEM-os.vmdk and STEM-app.vmdk
 *   utm      STEM.utm/           config.plist, Data/STEM-os.qcow2, Data/STEM-app.qcow2
 *
 * and, made from the configured tree before the disks (export_from_tree):
 *
 *   container  STEM-container.tar  OCI archive, and STEM-ct.tar.zst (export_container.h)
 *
 * then INSTALL-TARGET.md for each target served (delivery_write_install),
 * and build-report.json and SHA256SUMS (over every other file but the
 * report, which holds the run's times: from the same disks and
 * SOURCE_DATE_EPOCH, SHA256SUMS and every file it lists are the same
 * bytes). Each file is written under a temporary name and renamed when
 * complete; the whole folder is swapped into place by outdir.c only when
 * every output is. */
#ifndef APPLIANCE_EXPORT_H
#define APPLIANCE_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/hash.h"
#include "appliance/plan.h"
#include "appliance/sparse_sha256.h"
#include "appliance/spawn.h"

/* Progress of one long step: done and total in bytes. */
typedef void (*export_progress_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);

/* Per-disk files kept between builds (the build's disk cache): fetch gives
 * 1 when the file of disk and tag ("qcow2", "ovf.vmdk") is now at path, 0
 * when it is not kept, -1 on error; store keeps a file just written (its
 * failure is not the export's). digest gives 1 and the digest in algo of
 * a file fetched or stored at path when one is kept beside it, else 0;
 * keep_digest keeps one (its failure costs only the reuse). */
/* A VMDK's bytes of data, the OVF's populatedSize (export_ova.c). */
#define EXPORT_COUNT_POPULATED "populated"

struct export_reuse {
    /* read_only: the file is only read, then removed, by this build (the
     * OVA's VMDKs in a scratch folder): a hard link to the entry will do. */
    int (*fetch)(void *ctx, enum plan_disk_id disk, const char *tag, const char *path,
                 bool read_only, struct ab_error *err);
    int (*store)(void *ctx, enum plan_disk_id disk, const char *tag, const char *path,
                 struct ab_error *err);
    int (*digest)(void *ctx, const char *path, enum digest algo, char hex[HASH_HEX_MAX]);
    void (*keep_digest)(void *ctx, const char *path, enum digest algo, const char *hex);
    /* The same for a count its exporter made while writing it (named
     * EXPORT_COUNT_POPULATED: the only one). */
    int (*count)(void *ctx, const char *path, const char *name, uint64_t *value);
    void (*keep_count)(void *ctx, const char *path, const char *name, uint64_t value);
    void *ctx;
};

struct export_digests; /* below */

struct export_job {
    const struct plan *plan;
    const char *images[PLAN_N_DISKS]; /* the raw disks (scratch; may be moved); export_all */
    const char *root;                 /* the configured tree, read only; export_from_tree */
    const char *dir;                  /* the folder being filled */
    const char *work;                 /* scratch folder */
    export_progress_fn progress;      /* may be NULL */
    void *progress_ctx;
    void (*step)(void *ctx, const char *what); /* a step begins; may be NULL */
    const struct export_reuse *reuse;          /* NULL: every file written */
    struct export_digests *digests;            /* the output's SHA-256s; may be NULL */
    const struct spawn_ctx *spawn;             /* the tools' log and echo; may be NULL */
    int64_t epoch; /* SOURCE_DATE_EPOCH: the time of every member and image header */
};

/* Writes every output of job->plan into job->dir, one exporter per format
 * (builder/export/exporter.h). The raw images may be moved (for the raw
 * output) and must not be used afterwards. */
int export_all(const struct export_job *job, struct ab_error *err);

/* Whether an output of plan is made from the configured tree rather than
 * the disks (then the caller makes the tree such an output takes, and
 * calls export_from_tree). */
bool export_wants_tree(const struct plan *plan);

/* Writes into job->dir every output of job->plan made from the configured
 * tree job->root (job->images unused), one exporter per format. */
int export_from_tree(const struct export_job *job, struct ab_error *err);

/* "NAME-VERSION-os" / "NAME-VERSION-app": the base name of a disk's files (export_job.c). */
char *export_disk_base(const struct plan *plan, enum plan_disk_id disk);

/* NAME-VERSION.ova's pieces, into dir: the two streamOptimized VMDKs, the .ovf and
 * the .mf (export_ova.c). scratch: dir is only read (packed into the OVA)
 * and removed, so a VMDK reused from the cache may be a link to it. */
int export_ovf_folder(const struct export_job *job, const char *dir, bool scratch,
                      struct ab_error *err);
/* NAME-VERSION.ova from a folder written by export_ovf_folder (export_ova.c);
 * every member's time is epoch. Its SHA-256, made as it is written, goes
 * to sha256 (HASH_HEX_MAX bytes; may be NULL). */
int export_ova_pack(const struct plan *plan, const char *ovf_dir, const char *ova_path,
                    int64_t epoch, char *sha256, struct ab_error *err);

/* The manifest line of a file, exactly "SHA256(name)= hex\n" (the digest's
 * name as VMware spells it: SHA1, SHA256, SHA512). */
int export_manifest_line(enum digest algo, const char *dir, const char *name, char **line,
                         struct ab_error *err);

/* One disk to disk.raw inside a gzip'd GNU tar (export_gce.c), its time
 * epoch; tar runs with ctx (may be NULL). */
int export_gce(const char *raw, const char *tar_gz, int64_t epoch, const struct spawn_ctx *ctx,
               struct ab_error *err);

/* The files of an output folder, with their sizes and SHA-256 digests
 * (export_sums.c): what SHA256SUMS and build-report.json list. */
struct export_file {
    char *path; /* relative to the folder */
    uint64_t size;
    char sha256[HASH_HEX_MAX];
};

struct export_files {
    struct export_file *v;
    size_t n;
};

/* The SHA-256 of the files of an output folder as they are written
 * (export_sums.c): computed by their writer while the bytes went out, or
 * kept by the cache beside a reused copy (set), else hashed on worker
 * threads from the moment the file is whole (hash), at most one a CPU at
 * a time, holes and runs of zeros looked up in zeros (sparse_sha256.h).
 * Every function is thread-safe and, but for the rename, does nothing
 * when d is NULL. */
struct export_digests;

/* zeros may be NULL; it must outlive the table. */
int export_digests_new(struct sha256_zeros *zeros, struct export_digests **out,
                       struct ab_error *err);
/* Stops the workers (a file half hashed is given up) and frees d. */
void export_digests_free(struct export_digests *d);
/* The SHA-256 of path is hex. */
int export_digests_set(struct export_digests *d, const char *path, const char *hex,
                       struct ab_error *err);
/* Hashes path on a worker from now on; its bytes must not change again. */
int export_digests_hash(struct export_digests *d, const char *path, struct ab_error *err);
/* Moves the file at from to to (rename(2)), its digest, known or to come,
 * with it; the one call here that acts when d is NULL too. */
int export_digests_rename(struct export_digests *d, const char *from, const char *to,
                          struct ab_error *err);
/* 1 and hex when path's digest is known, waiting for its worker; 0 when
 * nothing is known of it; -1 when its hashing failed (err says why). */
int export_digests_get(struct export_digests *d, const char *path, char hex[HASH_HEX_MAX],
                       struct ab_error *err);

static inline void
export_digests_cleanup(struct export_digests **d)
{
    export_digests_free(*d);
}
#define CLEANUP_EXPORT_DIGESTS __attribute__((cleanup(export_digests_cleanup)))

/* Every regular file below dir except SHA256SUMS, sorted by path, with
 * its SHA-256: from digests (may be NULL) when known there, the others
 * hashed on every core. */
int export_files_collect(const char *dir, struct export_files *files,
                         struct export_digests *digests, struct ab_error *err);
/* Adds (and hashes) one more file, keeping the order. */
int export_files_add(const char *dir, const char *path, struct export_files *files,
                     struct ab_error *err);
void export_files_release(struct export_files *files);

/* dir/SHA256SUMS in sha256sum's format: "hex  path" per line. */
int export_sums_write(const char *dir, const struct export_files *files, struct ab_error *err);

/* The entries of dir/SHA256SUMS as export_sums_write wrote it, appended to
 * files (path and digest; size 0). A line of another shape is an error. */
int export_sums_read(const char *dir, struct export_files *files, struct ab_error *err);

/* dir/SHA256SUMS of a folder of several architectures: every entry of
 * the SHA256SUMS of each of the n folders parts (each architecture's
 * build, whose files were moved into dir), in the order export_sums_write
 * gives one build's. A path two of them list is an error. */
int export_sums_merge(const char *dir, const char *const *parts, size_t n, struct ab_error *err);

/* The tar format of an OVA whose members have these sizes: ustar, or GNU
 * when a member is too big for ustar (never pax, which vSphere cannot
 * read). A libarchive ARCHIVE_FORMAT_TAR_* value. */
int export_ova_tar_format(const uint64_t *sizes, size_t n);

/* Where NAME-VERSION.xml says the qcow2 disks are: libvirt's default storage pool
 * ("default", /var/lib/libvirt/images). */
#define EXPORT_LIBVIRT_IMAGES "/var/lib/libvirt/images"

/* The libvirt domain XML (export_libvirt.c): q35, the plan's CPUs and
 * memory, the two qcow2 disks as virtio disks at the given absolute paths,
 * virtio NICs on the default network, serial console, OVMF chosen by
 * libvirt (firmware='efi', Secure Boot off) when the firmware is uefi-only.
 * Written with libxml2, renamed into place. */
int export_libvirt_xml(const struct plan *plan, const char *const qcow2[PLAN_N_DISKS],
                       const char *path, struct ab_error *err);

/* The UTM configuration (export_utm.c): config.plist of a .utm bundle in
 * UTM's format (ConfigurationVersion 4, QEMU backend) for plan's
 * architecture, CPUs, memory, firmware and NICs, its drives the files
 * images (names in the bundle's Data/ folder), the OS disk first; its
 * UUID, drive ids and MACs derived from the plan. Renamed into place. */
int export_utm_plist(const struct plan *plan, const char *const images[PLAN_N_DISKS],
                     const char *path, struct ab_error *err);

/* The Hyper-V PowerShell script (export_hyperv.c): creates a Generation 2
 * VM (Generation 1 when bios-only) with the plan's memory and CPUs, both
 * VHDX disks (names relative to the script's folder), the plan's network
 * adapters, and Secure Boot off (our GRUB is unsigned) with the Microsoft
 * UEFI CA template. UTF-8 with a BOM, CRLF lines. */
int export_hyperv_script(const struct plan *plan, const char *const vhdx[PLAN_N_DISKS],
                         const char *path, struct ab_error *err);

/* The folder of the vmx output, "STEM" + this, and its .vmx: STEM + ".vmx"
 * inside it. */
#define EXPORT_VMX_FOLDER ".vmwarevm"

/* The VMware VM's configuration (export_vmx.c), the .vmx text of plan
 * whose disks are the VMDKs vmdk (names relative to the .vmx's folder):
 * VMware's `key = "value"` lines, the plan's hardware as Workstation,
 * Player and Fusion read it (for aarch64, Fusion on Apple Silicon's: SATA,
 * e1000e, UEFI, an arm-* guestOS). Into *text (malloc'd, NUL-terminated);
 * -1 when out of memory. */
int export_vmx_text(const struct plan *plan, const char *const vmdk[PLAN_N_DISKS], char **text,
                    struct ab_error *err);

#endif
