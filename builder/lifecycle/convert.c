/* convert.c: `appliance convert`, the driver (include/appliance/convert.h).
 *
 *   source (lock the output; open and check SRC; the plan)
 *   -> disks (each to a raw sparse scratch copy; each one's VG read from
 *      its bytes, lvm.h, and its role from the tag the build put on it)
 *   -> identity (--new-identity only: machine-id, SSH host keys)
 *   -> export (export_all(), the build's exporters; the sources' digests
 *      meanwhile)
 *   -> verify (every converted disk against its source: qemu-img compare)
 *   -> packages (the source's SBOM, else the OS disk read by libguestfs)
 *   -> finish (the SBOMs, the provenance, SHA256SUMS and with a key their
 *      signatures, convert-report.json, the folder swapped in) */
#include "appliance/convert.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/attest.h"
#include "appliance/cleanup.h"
#include "appliance/clock.h"
#include "appliance/delivery.h"
#include "appliance/diskread.h"
#include "appliance/engine_identity.h"
#include "appliance/epoch.h"
#include "appliance/export.h"
#include "appliance/fsutil.h"
#include "appliance/gpt.h"
#include "appliance/hash.h"
#include "appliance/image_check.h"
#include "appliance/kvm.h"
#include "appliance/lvm.h"
#include "appliance/outdir.h"
#include "appliance/packages.h"
#include "appliance/sbom.h"
#include "appliance/sign.h"
#include "appliance/size.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"
#include "appliance/tar_member.h"
#include "appliance/verify.h"
#include "convert_report.h"
#include "convert_source.h"


struct convert {
    const struct convert_request *req;
    struct spawn_opts run; /* for the tools it runs: req's log and echo */
    struct outdir out;
    char *work;    /* scratch outside the output: an OVA's disks */
    char *raw_dir; /* out.tmp/.raw: the raw copies, removed before the sums */
    struct convert_source src;
    const struct plan *plan;
    unsigned outputs;           /* as asked, implied ones included */
    char *images[PLAN_N_DISKS]; /* the raw disks the exporters read */
    bool copied[PLAN_N_DISKS];  /* images[i] is a copy (else the source itself) */
    char *refs[PLAN_N_DISKS];   /* what converted disks must equal, and its format */
    const char *ref_formats[PLAN_N_DISKS];
    int boot; /* enum disk_boot_flags of the OS disk */
    struct identity_result identity;
    struct convert_report report;
    struct export_files files_out; /* what the output holds */
    pthread_t digester;
    bool digesting;
    struct ab_error digest_err;
    struct sign_key *key;         /* --sign-key, read before anything else */
    struct pkg_list packages;     /* the OS disk's */
    struct sbom_files files;      /* the recipe's files, as the source's SBOM gives them */
    char *sbom;                   /* the source's SBOM that gave them; NULL: the disk did */
    char sbom_sha256[HASH_HEX_MAX];
};

static void notice(struct convert *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
notice(struct convert *c, const char *fmt, ...)
{
    const struct build_events *ev = c->req->events;
    CLEANUP_FREE char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && ev && ev->notice)
        ev->notice(ev->ctx, msg);
}

static void
step(void *ctx, const char *what)
{
    struct convert *c = ctx;
    const struct build_events *ev = c->req->events;
    if (ev && ev->progress)
        ev->progress(ev->ctx, what, 0, 0);
}

static void
progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    struct convert *c = ctx;
    const struct build_events *ev = c->req->events;
    if (ev && ev->progress)
        ev->progress(ev->ctx, what, done, total);
}

/* Runs one stage, timing it for the report and the progress display. */
static int
stage(struct convert *c, const char *name, const char *what,
      int (*fn)(struct convert *c, struct ab_error *err), struct ab_error *err)
{
    struct build_stage st;
    if (build_stage_begin(c->req->events, &st, name, what, err) < 0)
        return -1;
    int r = build_stage_end(c->req->events, &st, fn(c, err), err);
    convert_report_stage(&c->report, name, st.seconds);
    return r;
}

/* ---- source ---- */

static const char *
workroot(const struct convert_request *req)
{
    const char *root = req->workroot ? req->workroot : getenv("TMPDIR");
    return root && *root ? root : "/var/tmp";
}

static int
do_source(struct convert *c, struct ab_error *err)
{
    const char *root = workroot(c->req);
    CLEANUP_FREE char *ova_scratch = NULL;
    if (c->req->sign_key && sign_key_load(c->req->sign_key, &c->key, err) < 0)
        return -1;
    if (outdir_begin(&c->out, c->req->out_dir, err) < 0)
        return -1;
    if (asprintf(&c->work, "%s/appliance-convert-XXXXXX", root) < 0 || !mkdtemp(c->work))
        return ab_build_error(err, errno, "cannot create a scratch folder in '%s': %s", root,
                              strerror(errno));
    if (asprintf(&ova_scratch, "%s/src", c->work) < 0)
        return ab_oom(err);
    if (convert_source_open(c->req, ova_scratch, &c->src, err) < 0)
        return -1;
    c->outputs = c->req->outputs | output_implied(c->req->outputs);
    for (int i = 0; i < PLAN_N_DISKS; i++)
        if ((c->outputs & OUTPUT_AZURE) && c->src.disks[i].virtual_size % MiB)
            return ab_build_error(err, 0,
                                  "the %s disk's size (%" PRIu64 " bytes) is not a whole number "
                                  "of MiB, which Azure needs: resize it first",
                                  plan_disk_name((enum plan_disk_id)i), c->src.disks[i].virtual_size);
    return 0;
}

/* ---- disks ---- */

/* The source image itself serves when it is raw and nothing will change
 * or move it. */
static bool
use_in_place(const struct convert *c, int i)
{
    return strcmp(c->src.disks[i].format, "raw") == 0 && !(c->outputs & OUTPUT_RAW) &&
           !(c->req->new_identity && i == PLAN_DISK_OS);
}

static int
copy_disk(struct convert *c, int i, struct ab_error *err)
{
    const struct convert_disk *d = &c->src.disks[i];
    if (use_in_place(c, i))
        return (c->images[i] = strdup(d->path)) ? 0 : ab_oom(err);
    if (asprintf(&c->images[i], "%s/%s.img", c->raw_dir, plan_disk_name((enum plan_disk_id)i)) < 0) {
        c->images[i] = NULL;
        return ab_oom(err);
    }
    c->copied[i] = true;
    step(c, d->label);
    const char *argv[] = {"qemu-img", "convert", "-f",         d->format, "-O",
                          "raw",      d->path,   c->images[i], NULL};
    if (spawn_run(argv, &c->run, err) < 0) {
        ab_error_prefix(err, "while copying '%s'", d->label);
        return -1;
    }
    return 0;
}

/* The disk's role: the one the build tagged its VG with (lvm.h's
 * LVM_ROLE_TAG), or for a disk built before the tag, the one whose
 * default VG name it has; -1 when neither says. */
static int
vg_role(const struct lvm_vg *vg)
{
    for (int i = 0; i < PLAN_N_DISKS; i++)
        if (*vg->role ? strcmp(vg->role, plan_disk_name((enum plan_disk_id)i)) == 0
                      : strcmp(vg->name, plan_default_vg((enum plan_disk_id)i)) == 0)
            return i;
    return -1;
}

static int
refuse(const struct convert *c, int i, const char *why, struct ab_error *err)
{
    return ab_build_error(err, 0,
                          "'%s' (the %s disk) is not a disk of this project's appliances: %s; "
                          "refusing to convert a guest that may lack the other hypervisors' "
                          "drivers",
                          c->src.disks[i].label, plan_disk_name((enum plan_disk_id)i), why);
}

/* The guest carries what every hypervisor needs when its disks are this
 * project's: each one's VG says it is the disk it stands for. */
static int
check_vg(struct convert *c, int i, struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(c->images[i], O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", c->images[i], strerror(errno));
    struct lvm_pv pv;
    const char *why = NULL;
    int r = lvm_image_pv_read(fd, (uint64_t)st.st_size, &pv, &why, err);
    CLEANUP_FREE char *msg = NULL;
    if (r < 0)
        return -1;
    if (r == 0) {
        const char *id = plan_disk_name((enum plan_disk_id)i);
        if (asprintf(&msg, "%s, where a volume group tagged %s%s (or named %s) should be", why,
                     LVM_ROLE_TAG, id, plan_default_vg((enum plan_disk_id)i)) < 0)
            return ab_oom(err);
        return refuse(c, i, msg, err);
    }
    int role = vg_role(&pv.vg);
    if (role < 0 && asprintf(&msg, "its volume group '%s' has no role tag (%sos or %sapp) and is "
                                   "neither %s nor %s",
                             pv.vg.name, LVM_ROLE_TAG, LVM_ROLE_TAG, plan_default_vg(PLAN_DISK_OS),
                             plan_default_vg(PLAN_DISK_APP)) < 0)
        msg = NULL;
    if (role >= 0 && role != i &&
        asprintf(&msg, "it holds the volume group '%s' of the %s disk (are the disks swapped?)",
                 pv.vg.name, plan_disk_name((enum plan_disk_id)role)) < 0)
        msg = NULL;
    snprintf(c->src.vg[i], sizeof(c->src.vg[i]), "%s", pv.vg.name);
    lvm_pv_release(&pv);
    if (role != i)
        return msg ? refuse(c, i, msg, err) : ab_oom(err);
    if (i == PLAN_DISK_OS && (c->boot = gpt_boot_kinds(fd, (uint64_t)st.st_size, err)) < 0)
        return -1;
    return 0;
}

/* An OVF says "efi" or nothing (BIOS): of a disk that boots both ways, as
 * every build's does unless its recipe says otherwise, nothing means
 * bios+uefi, so that Hyper-V gets a Generation 2 VM as a build gives it. */
static void
settle_firmware(struct convert *c)
{
    struct convert_hardware *hw = &c->src.hw;
    if (c->req->firmware || !hw->firmware_from_ovf || hw->firmware != FIRMWARE_BIOS ||
        c->boot != (GPT_BOOT_BIOS | GPT_BOOT_UEFI))
        return;
    hw->firmware = FIRMWARE_BOTH;
    notice(c, "firmware: the OVF names none (BIOS) and the OS disk boots both ways: bios+uefi");
}

static int
do_disks(struct convert *c, struct ab_error *err)
{
    if (asprintf(&c->raw_dir, "%s/.raw", c->out.tmp) < 0)
        return ab_oom(err);
    if (mkdir(c->raw_dir, 0700) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", c->raw_dir, strerror(errno));
    for (int i = 0; i < PLAN_N_DISKS; i++)
        if (copy_disk(c, i, err) < 0 || check_vg(c, i, err) < 0)
            return -1;
    settle_firmware(c);
    if (!(c->plan = convert_source_plan(&c->src, c->req, err)))
        return -1;
    c->report.plan = c->plan;
    notice(c,
           "no change to the guest is needed: it is an appliance of this project (volume "
           "groups %s and %s), and every one carries every hypervisor's drivers and add-ons",
           c->src.vg[PLAN_DISK_OS], c->src.vg[PLAN_DISK_APP]);
    return 0;
}

/* ---- identity ---- */

/* In place on the host (diskread.h): ext2/3/4, no VM. */
static int
identity_on_host(struct convert *c, const char *app_format, char **why, struct ab_error *err)
{
    struct diskread_identity id;
    double start = mono_now();
    int r = diskread_new_identity(c->images[PLAN_DISK_OS], c->images[PLAN_DISK_APP], app_format,
                                  source_date_epoch(), &c->req->spawn, &id, why, err);
    if (r <= 0)
        return r;
    c->identity = (struct identity_result){id.machine_id_was_set, id.dbus_linked,
                                           id.host_keys_removed, mono_now() - start};
    c->report.identity_by = "host";
    return 1;
}

/* Through one libguestfs appliance, for what the host does not edit. */
static int
identity_in_appliance(struct convert *c, const char *app_format, const char *why,
                      struct ab_error *err)
{
    struct kvm_probe kvm;
    kvm_probe(&kvm, &c->req->spawn);
    if (kvm_usable(&kvm))
        notice(c, "%s: the libguestfs appliance (a VM, with KVM) makes the new identity", why);
    else
        notice(c,
               "%s: the libguestfs appliance (a VM) makes the new identity, under software "
               "emulation since %s (%s): minutes",
               why, kvm_state_reason(kvm.state), kvm.detail);
    c->report.identity_by = "appliance";
    int r = engine_identity_clear(c->images[PLAN_DISK_OS], c->src.vg[PLAN_DISK_OS],
                                  c->images[PLAN_DISK_APP], app_format, kvm_usable(&kvm),
                                  c->req->spawn.log, &c->identity, err);
    if (r < 0 && geteuid() != 0)
        ab_build_error(err, 0,
                       "the libguestfs appliance, run as a user, needs the host's kernel "
                       "readable (/boot/vmlinuz-*); as root it needs nothing more");
    return r;
}

static int
do_identity(struct convert *c, struct ab_error *err)
{
    const char *app_format = c->copied[PLAN_DISK_APP] ? "raw" : c->src.disks[1].format;
    CLEANUP_FREE char *why = NULL;
    int r = identity_on_host(c, app_format, &why, err);
    if (r == 0)
        r = identity_in_appliance(c, app_format, why, err) < 0 ? -1 : 1;
    if (r < 0)
        return -1;
    notice(c,
           "new identity (%s): /etc/machine-id emptied%s, %u SSH host key file(s) removed; both "
           "are made anew at first boot",
           strcmp(c->report.identity_by, "host") == 0 ? "edited on the host, no VM"
                                                       : "through the libguestfs appliance",
           c->identity.machine_id_was_set ? "" : " (it was empty already)",
           c->identity.host_keys_removed);
    return 0;
}

/* ---- export ---- */

static void *
digest_sources(void *arg)
{
    struct convert *c = arg;
    for (int i = 0; i < PLAN_N_DISKS; i++)
        if (digest_file_stoppable(DIGEST_SHA256, c->src.disks[i].path, c->report.src_sha256[i],
                                  stop_flag(), &c->digest_err) < 0)
            break;
    return NULL;
}

static int
do_export(struct convert *c, struct ab_error *err)
{
    c->digesting = pthread_create(&c->digester, NULL, digest_sources, c) == 0;
    struct export_job job = {
        .plan = c->plan,
        .images = {c->images[0], c->images[1]},
        .dir = c->out.tmp,
        .work = c->work,
        .progress = progress,
        .progress_ctx = c,
        .step = step,
        .spawn = &c->req->spawn,
        /* The caller's, as its environment gives it (0 without). */
        .epoch = source_date_epoch(),
    };
    int r = export_all(&job, err);
    if (c->digesting) {
        pthread_join(c->digester, NULL);
        c->digesting = false;
    }
    if (r == 0 && ab_error_is_set(&c->digest_err)) {
        for (size_t i = 0; i < c->digest_err.n_diags; i++)
            ab_build_error(err, c->digest_err.errnum, "%s", c->digest_err.diags[i].msg);
        return -1;
    }
    return r;
}

/* ---- verify ---- */

static char *copy_path(const struct convert *c, int i);

/* What every converted disk i is compared with: the source image; with a
 * new identity, the OS disk's changed copy (wherever the raw exporter
 * moved it). */
static int
set_refs(struct convert *c, struct ab_error *err)
{
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        bool own = c->req->new_identity && i == PLAN_DISK_OS;
        if (!own) {
            c->refs[i] = strdup(c->src.disks[i].path);
            c->ref_formats[i] = c->src.disks[i].format;
        } else {
            c->refs[i] = copy_path(c, i);
            c->ref_formats[i] = "raw";
        }
        if (!c->refs[i])
            return ab_oom(err);
    }
    return 0;
}

static int
compare(struct convert *c, int i, const char *rel, const char *qemu_name, const char *format,
        struct ab_error *err)
{
    step(c, rel);
    const char *argv[] = {"qemu-img", "compare", "-f", c->ref_formats[i], "-F", format,
                          c->refs[i], qemu_name, NULL};
    if (strncmp(qemu_name, "json:", 5) == 0) /* the driver is in the name */
        argv[4] = c->refs[i], argv[5] = qemu_name, argv[6] = NULL;
    if (spawn_run(argv, &c->run, err) < 0) {
        ab_error_prefix(err,
                        "converted disk '%s' differs from '%s', or cannot be compared with it; "
                        "nothing was written",
                        rel,
                        strcmp(c->refs[i], c->src.disks[i].path) == 0 ? c->src.disks[i].label
                                                                      : c->refs[i]);
        return -1;
    }
    return convert_report_compared(&c->report, rel, i, err);
}

/* One disk file of an output, compared unless it is the reference. */
static int
compare_file(struct convert *c, int i, const char *rel, const char *format, struct ab_error *err)
{
    CLEANUP_FREE char *path = NULL;
    if (asprintf(&path, "%s/%s", c->out.tmp, rel) < 0)
        return ab_oom(err);
    if (strcmp(path, c->refs[i]) == 0)
        return convert_report_compared(&c->report, rel, i, err);
    return compare(c, i, rel, path, format, err);
}

/* The OVA's VMDKs, read in place through qemu's raw offset node. */
static int
compare_ova_member(struct convert *c, int i, const char *ova, const char *member,
                   struct ab_error *err)
{
    CLEANUP_FREE char *path = NULL, *name = NULL, *rel = NULL;
    uint64_t off, len;
    if (asprintf(&path, "%s/%s", c->out.tmp, ova) < 0 || asprintf(&rel, "%s:%s", ova, member) < 0)
        return ab_oom(err);
    int r = tar_member_find(path, member, &off, &len, err);
    if (r <= 0)
        return r < 0 ? -1 : ab_build_error(err, 0, "'%s' has no member '%s'", ova, member);
    if (!(name = image_member_name("vmdk", path, off, len)))
        return ab_oom(err);
    return compare(c, i, rel, name, "vmdk", err);
}

/* Where the raw copy of disk i is now (the raw exporter moves it). */
static char *
copy_path(const struct convert *c, int i)
{
    if (!(c->plan->outputs & OUTPUT_RAW) || !c->copied[i])
        return strdup(c->images[i]);
    CLEANUP_FREE char *base = export_disk_base(c->plan, (enum plan_disk_id)i);
    char *path;
    return base && asprintf(&path, "%s/%s.raw", c->out.tmp, base) >= 0 ? path : NULL;
}

/* GCE's disk.raw, streamed out of its archive and compared byte for byte
 * with a raw image that equals the source: the source itself when raw,
 * else the copy the exporters read, compared with the source first. */
static int
compare_gce(struct convert *c, int i, const char *rel, struct ab_error *err)
{
    CLEANUP_FREE char *path = NULL, *raw = NULL;
    bool raw_ref = strcmp(c->ref_formats[i], "raw") == 0;
    if (asprintf(&path, "%s/%s", c->out.tmp, rel) < 0 ||
        !(raw = raw_ref ? strdup(c->refs[i]) : copy_path(c, i)))
        return ab_oom(err);
    if (!raw_ref && !(c->plan->outputs & OUTPUT_RAW) &&
        compare(c, i, "the raw copy", raw, "raw", err) < 0)
        return -1;
    step(c, rel);
    const char *argv[] = {"sh", "-c", "tar -xOzf \"$1\" disk.raw | cmp -s - \"$2\"", "sh", path,
                          raw,  NULL};
    if (spawn_run(argv, &c->run, err) < 0) {
        ab_error_prefix(err, "converted disk '%s' differs from its source; nothing was written",
                        rel);
        return -1;
    }
    return convert_report_compared(&c->report, rel, i, err);
}

static const struct {
    unsigned output;
    const char *ext, *format;
} disk_files[] = {
    {OUTPUT_VMDK, "vmdk", "vmdk"}, {OUTPUT_QCOW2, "qcow2", "qcow2"}, {OUTPUT_VHDX, "vhdx", "vhdx"},
    {OUTPUT_VDI, "vdi", "vdi"},    {OUTPUT_AZURE, "vhd", "vpc"},     {OUTPUT_RAW, "raw", "raw"},
};

static int
verify_disk(struct convert *c, int i, struct ab_error *err)
{
    const struct plan *p = c->plan;
    CLEANUP_FREE char *base = export_disk_base(p, (enum plan_disk_id)i);
    CLEANUP_FREE char *rel = NULL, *ova = NULL, *member = NULL;
    if (!base)
        return ab_oom(err);
    for (size_t k = 0; k < sizeof(disk_files) / sizeof(disk_files[0]); k++) {
        if (!(p->outputs & disk_files[k].output))
            continue;
        free(rel);
        if (asprintf(&rel, "%s.%s", base, disk_files[k].ext) < 0)
            return rel = NULL, ab_oom(err);
        if (compare_file(c, i, rel, disk_files[k].format, err) < 0)
            return -1;
    }
    free(rel);
    rel = NULL;
    if ((p->outputs & OUTPUT_OVF) &&
        (asprintf(&rel, "ovf/%s.vmdk", base) < 0 || compare_file(c, i, rel, "vmdk", err) < 0))
        return -1;
    free(rel);
    rel = NULL;
    if ((p->outputs & OUTPUT_VMX) &&
        (asprintf(&rel, "%s%s/%s.vmdk", p->stem, EXPORT_VMX_FOLDER, base) < 0 ||
         compare_file(c, i, rel, "vmdk", err) < 0))
        return -1;
    if ((p->outputs & OUTPUT_OVA) &&
        (!(ova = delivery_file(p, ".ova")) || asprintf(&member, "%s.vmdk", base) < 0 ||
         compare_ova_member(c, i, ova, member, err) < 0))
        return -1;
    free(rel);
    rel = NULL;
    if ((p->outputs & OUTPUT_GCE) &&
        (asprintf(&rel, "%s.tar.gz", base) < 0 || compare_gce(c, i, rel, err) < 0))
        return -1;
    return 0;
}

static int
do_verify(struct convert *c, struct ab_error *err)
{
    if (set_refs(c, err) < 0)
        return -1;
    for (int i = 0; i < PLAN_N_DISKS; i++)
        if (verify_disk(c, i, err) < 0)
            return -1;
    return 0;
}

/* ---- packages ---- */

/* Where the source's SBOM would be: STEM.spdx.json in the source folder,
 * beside an OVA, or above an OVF's folder (malloc'd; NULL: none, or the
 * source is two disks). */
static char *
source_sbom(const struct convert *c)
{
    const struct convert_source *s = &c->src;
    const char *path = s->path, *slash = path ? strrchr(path, '/') : NULL;
    char *out = NULL;
    size_t n = path ? strlen(path) : 0;
    if (strcmp(s->kind, "folder") == 0 && s->bundle && s->bundle->stem)
        return asprintf(&out, "%s/%s%s", path, s->bundle->stem, DELIVERY_SPDX) < 0 ? NULL : out;
    if (strcmp(s->kind, "ova") == 0 && n > 4)
        return asprintf(&out, "%.*s%s", (int)(n - 4), path, DELIVERY_SPDX) < 0 ? NULL : out;
    if (strcmp(s->kind, "ovf") == 0 && n > 4) {
        /* DIR/ovf/STEM.ovf -> DIR/STEM.spdx.json */
        const char *base = slash ? slash + 1 : path;
        const char *up = slash && slash > path ? memrchr(path, '/', (size_t)(slash - path)) : NULL;
        int dir = up ? (int)(up - path + 1) : 0;
        return asprintf(&out, "%.*s%.*s%s", dir, path, (int)(strlen(base) - 4), base,
                        DELIVERY_SPDX) < 0
                   ? NULL
                   : out;
    }
    return NULL;
}

/* The packages and the recipe's files from the source's SBOM: 1 when it
 * has one, 0 when not. */
static int
packages_from_sbom(struct convert *c, struct ab_error *err)
{
    CLEANUP_FREE char *path = source_sbom(c), *text = NULL;
    CLEANUP_FCLOSE FILE *f = path ? fopen(path, "re") : NULL;
    size_t len = 0;
    if (!f)
        return 0;
    FILE *mem = open_memstream(&text, &len);
    char buf[65536];
    size_t n;
    while (mem && len <= SBOM_MAX_BYTES && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, mem);
    if (!mem || fclose(mem) != 0)
        return ab_oom(err);
    struct sbom_doc d;
    if (sbom_parse_spdx(text, len, path, &d, err) < 0 ||
        digest_file(DIGEST_SHA256, path, c->sbom_sha256, err) < 0) {
        ab_error_prefix(err, "the source's SBOM");
        return -1;
    }
    c->packages = d.packages;
    c->files = d.files;
    d.packages = (struct pkg_list)PKG_LIST_INIT;
    d.files = (struct sbom_files){NULL, 0};
    sbom_doc_release(&d);
    const char *slash = strrchr(path, '/');
    if (!(c->sbom = strdup(slash ? slash + 1 : path)))
        return ab_oom(err);
    notice(c, "packages: from the source's SBOM '%s'", c->sbom);
    return 1;
}

/* What the SBOMs say of the OS disk's packages: the source's SBOM, else
 * the source's disks read through libguestfs (verify.h's reader). */
static int
do_packages(struct convert *c, struct ab_error *err)
{
    int r = packages_from_sbom(c, err);
    if (r != 0)
        return r < 0 ? -1 : 0;
    struct inspect_drive drives[PLAN_N_DISKS];
    for (int i = 0; i < PLAN_N_DISKS; i++)
        drives[i] = (struct inspect_drive){c->src.disks[i].path, c->src.disks[i].format,
                                           c->src.disks[i].label, c->src.disks[i].virtual_size};
    struct kvm_probe kvm;
    kvm_probe(&kvm, c->run.ctx);
    bool use_kvm = kvm_usable(&kvm);
    if (verify_packages_libguestfs(&use_kvm, drives, PLAN_N_DISKS, &c->packages, err) < 0) {
        ab_error_prefix(err, "while listing the source's packages");
        return -1;
    }
    notice(c, "packages: %zu, read from the source's OS disk", c->packages.n);
    return 0;
}

/* ---- finish ---- */

/* The SBOMs, the provenance (the source's disks and SBOM as its inputs),
 * SHA256SUMS and, with a key, their signatures (attest.h). */
static int
attest(struct convert *c, struct ab_error *err)
{
    struct provenance_source sources[PLAN_N_DISKS + 1];
    size_t n = 0;
    for (int i = 0; i < PLAN_N_DISKS; i++)
        if (c->report.src_sha256[i][0])
            sources[n++] = (struct provenance_source){c->src.disks[i].label,
                                                      c->report.src_sha256[i]};
    if (c->sbom)
        sources[n++] = (struct provenance_source){c->sbom, c->sbom_sha256};
    struct attest_job job = {
        .dir = c->out.tmp,
        .packages = &c->packages,
        .files = &c->files,
        .prov = {.plan = c->plan,
                 .build_type = PROVENANCE_CONVERT_TYPE,
                 .builder_id = c->req->builder_id,
                 .epoch = source_date_epoch(),
                 .packages = &c->packages,
                 .files = &c->files,
                 .sources = sources,
                 .n_sources = n},
        .key = c->key,
    };
    return attest_write(&job, &c->files_out, err);
}

static int
do_finish(struct convert *c, struct ab_error *err)
{
    rm_rf(c->out.tmp, c->raw_dir);
    /* SHA256SUMS lists the converted files, their INSTALL notes, the
     * SBOMs and the provenance, not the report (this run's times and
     * source). */
    if (export_files_collect(c->out.tmp, &c->files_out, NULL, err) < 0 ||
        delivery_write_install(c->plan, c->out.tmp, &c->files_out, err) < 0 ||
        attest(c, err) < 0 ||
        convert_report_write(&c->report, c->out.tmp, &c->files_out, err) < 0)
        return -1;
    return outdir_commit(&c->out, err);
}

/* ---- the pipeline ---- */

static void
convert_release(struct convert *c)
{
    if (c->digesting)
        pthread_join(c->digester, NULL);
    if (c->work)
        rm_rf(c->work, c->work);
    outdir_release(&c->out);
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        free(c->images[i]);
        free(c->refs[i]);
    }
    free(c->work);
    free(c->raw_dir);
    export_files_release(&c->files_out);
    sign_key_free(c->key);
    packages_release(&c->packages);
    sbom_files_release(&c->files);
    free(c->sbom);
    convert_report_release(&c->report);
    plan_free(c->plan);
    convert_source_release(&c->src);
    ab_error_release(&c->digest_err);
}

int
convert_run(const struct convert_request *req, struct ab_error *err)
{
    struct convert c = {.req = req, .out = OUTDIR_INIT, .digest_err = AB_ERROR_INIT};
    int r = -1;
    if (!req->out_dir || (!req->src && (!req->disks[0] || !req->disks[1])) || !req->outputs)
        return ab_error_set(err, AB_E_USAGE, 0, NULL, "convert needs a source, outputs and -o");
    c.run.ctx = &req->spawn;
    convert_report_init(&c.report, req, &c.src, &c.identity);
    if (stage(&c, "source", "reading the source", do_source, err) < 0)
        goto out;
    if (stage(&c, "disks", "copying the disks to raw and checking them", do_disks, err) < 0 ||
        (req->new_identity && stage(&c, "identity", "a new machine: machine-id and SSH host keys",
                                    do_identity, err) < 0) ||
        stage(&c, "export", "writing the outputs", do_export, err) < 0 ||
        stage(&c, "verify", "comparing every converted disk with its source", do_verify, err) < 0 ||
        stage(&c, "packages", "listing the packages for the SBOMs", do_packages, err) < 0 ||
        stage(&c, "finish", "writing checksums and the report", do_finish, err) < 0)
        goto out;
    r = 0;
out:
    convert_release(&c);
    return r;
}
