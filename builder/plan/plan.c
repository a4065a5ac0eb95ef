/* plan.c: recipe -> plan. Defaults, the OS source, outputs, files, and
 * the calls into the layout and mount resolvers. */
#include "appliance/plan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/names.h"
#include "appliance/distro.h"
#include "appliance/ova_target.h"
#include "plan_resolve.h"

#define DEFAULT_CPUS 2
#define DEFAULT_MEMORY (UINT64_C(2) << 30)
#define DEFAULT_NICS 1
/* no_timer_check: the kernel's IO-APIC timer check fails when the host is
 * slow to run the guest (emulated, or an overcommitted host) and panics
 * with "IO-APIC + timer doesn't work"; a VM's timer needs no such check
 * (libguestfs and the Fedora and RHEL cloud images pass it too). */
/* The consoles, then no_timer_check; the serial port is the
 * architecture's (arch.h: ttyS0, ttyAMA0). */
#define BASE_CMDLINE_FMT "console=tty0 console=%s,115200 no_timer_check"
/* What Azure documents for its serial console, beside console=ttyS0. */
#define AZURE_CMDLINE_FMT " earlyprintk=%s"

const char *
part_role_to_string(enum part_role role)
{
    switch (role) {
    case PART_BIOS_BOOT:
        return "bios-boot";
    case PART_ESP:
        return "esp";
    case PART_BOOT:
        return "boot";
    case PART_LVM:
        return "lvm";
    }
    return "?";
}

enum gpt_type
part_role_gpt_type(enum part_role role)
{
    switch (role) {
    case PART_BIOS_BOOT:
        return GPT_TYPE_BIOS_BOOT;
    case PART_ESP:
        return GPT_TYPE_ESP;
    case PART_BOOT:
        return GPT_TYPE_XBOOTLDR;
    case PART_LVM:
        return GPT_TYPE_LVM;
    }
    return GPT_N_TYPES;
}

const char *
part_role_type_guid(enum part_role role)
{
    return gpt_type_guid(part_role_gpt_type(role));
}

uint64_t
plan_lv_offset(const struct plan_disk *disk, const struct plan_lv *lv)
{
    const struct plan_partition *pv = &disk->parts[disk->vg.pv_partition - 1];
    return pv->start + disk->vg.pe_start + lv->first_extent * disk->vg.pe_size;
}

char *
plan_lv_device(const struct plan_vg *vg, const struct plan_lv *lv, char *buf, size_t size)
{
    snprintf(buf, size, "/dev/%s/%s", vg->name, lv->name);
    return buf;
}

/* The recipe's folder as its path was given ("." for "r.yaml"). */
static char *
folder_as_given(const char *recipe_path)
{
    const char *slash = strrchr(recipe_path, '/');
    if (!slash)
        return strdup(".");
    if (slash == recipe_path)
        return strdup("/");
    return strndup(recipe_path, (size_t)(slash - recipe_path));
}

/* "source 'app/dist/' not found: the recipe's folder 'x' has no 'app'",
 * naming the first part of path that is missing and the folder searched. */
static int
report_missing(const struct recipe *r, const char *path, const struct ab_pos *pos,
               const char *what, struct ab_error *err)
{
    CLEANUP_FREE char *folder = folder_as_given(r->path);
    size_t at = 0;

    if (!folder)
        return ab_oom(err);
    for (;;) {
        size_t len = strcspn(path + at, "/");
        CLEANUP_FREE char *probe = NULL;
        struct stat st;
        if (asprintf(&probe, "%s/%.*s", r->dir, (int)(at + len), path) < 0)
            return ab_oom(err);
        if (len && stat(probe, &st) < 0) {
            if (at == 0)
                return ab_error_set(err, AB_E_RECIPE, ENOENT, pos,
                                    "%s '%s' not found: the recipe's folder '%s' has no '%.*s'",
                                    what, path, folder, (int)len, path);
            return ab_error_set(err, AB_E_RECIPE, ENOENT, pos,
                                "%s '%s' not found: '%.*s' in the recipe's folder '%s' has no "
                                "'%.*s'",
                                what, path, (int)at - 1, path, folder, (int)len, path + at);
        }
        if (!path[at + len])
            break;
        at += len + 1;
    }
    return ab_error_set(err, AB_E_RECIPE, ENOENT, pos,
                        "%s '%s' not found in the recipe's folder '%s'", what, path, folder);
}

/* Resolves path (relative to the recipe's folder) and checks that it
 * exists and stays inside that folder, symbolic links followed. */
static int
resolve_inside(const struct recipe *r, const char *path, const struct ab_pos *pos,
               const char *what, char **out, struct ab_error *err)
{
    CLEANUP_FREE char *joined = NULL;

    if (!r->dir)
        return ab_recipe_error(err, pos, "cannot resolve the recipe's folder");
    if (asprintf(&joined, "%s/%s", r->dir, path) < 0)
        return ab_oom(err);
    char *real = realpath(joined, NULL);
    if (!real && errno == ENOENT)
        return report_missing(r, path, pos, what, err);
    if (!real)
        return ab_error_set(err, AB_E_RECIPE, errno, pos, "%s '%s': %s", what, path,
                            strerror(errno));
    size_t l = strlen(r->dir);
    bool inside = strcmp(r->dir, "/") == 0 ||
                  (strncmp(real, r->dir, l) == 0 && (real[l] == '\0' || real[l] == '/'));
    if (!inside) {
        free(real);
        return ab_recipe_error(err, pos,
                               "%s '%s' is outside the recipe's folder (through a symbolic link)",
                               what, path);
    }
    *out = real;
    return 0;
}

/* The length of the UTF-8 sequence at s (1-4), or 0 when it is not one
 * or is a control character XML 1.0 cannot hold. */
static size_t
utf8_char(const unsigned char *s)
{
    if (s[0] < 0x80)
        return s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r';
    size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (n == 4 && s[0] == 0xf4 && s[1] >= 0x90)
        return 0; /* beyond U+10FFFF */
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
        return 0; /* overlong, or a surrogate */
    if (n == 4 && s[0] == 0xf0 && s[1] < 0x90)
        return 0;
    return n;
}

#define EULA_MAX (256u << 10)

/* ova.eula: a text file inside the recipe's folder, read now, so that an
 * OVF never carries a license that is not UTF-8 text XML can hold. */
static int
resolve_eula(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    CLEANUP_FREE char *path = NULL;
    if (resolve_inside(r, r->ova_eula, &r->ova_eula_pos, "eula", &path, err) < 0)
        return -1;
    CLEANUP_FCLOSE FILE *f = fopen(path, "re");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode))
        return ab_error_set(err, AB_E_RECIPE, f ? 0 : errno, &r->ova_eula_pos,
                            "eula '%s' is not a readable file", r->ova_eula);
    if ((uint64_t)st.st_size > EULA_MAX || st.st_size == 0)
        return ab_recipe_error(err, &r->ova_eula_pos, "eula '%s' must hold 1 byte to %u KiB",
                               r->ova_eula, EULA_MAX >> 10);
    char *text = calloc(1, (size_t)st.st_size + 4);
    if (!text)
        return ab_oom(err);
    size_t len = fread(text, 1, (size_t)st.st_size, f);
    for (size_t i = 0, n; i < len; i += n) {
        if (!(n = utf8_char((const unsigned char *)text + i)) || i + n > len) {
            free(text);
            return ab_recipe_error(err, &r->ova_eula_pos,
                                   "eula '%s' is not UTF-8 text (byte %zu): the OVF holds it "
                                   "as XML text",
                                   r->ova_eula, i + 1);
        }
    }
    plan->ova.eula = text;
    return 0;
}

/* A rootfs is a tarball inside the recipe's folder, used as it is. */
static int
resolve_rootfs(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    struct stat st;
    int ret = 0;

    if (resolve_inside(r, r->os.rootfs, &r->os.rootfs_pos, "rootfs", &plan->os.rootfs_abs, err) < 0)
        ret = -1;
    else if (stat(plan->os.rootfs_abs, &st) < 0 || !S_ISREG(st.st_mode))
        ret = ab_recipe_error(err, &r->os.rootfs_pos,
                              "rootfs '%s' is not a file: it must be a tar archive", r->os.rootfs);
    if (r->os.mirror)
        ret = ab_recipe_error(err, &r->os.mirror_pos,
                              "'mirror' needs 'distro': a rootfs is used as it is");
    if (r->os.packages && r->os.packages[0])
        ret = ab_recipe_error(err, &r->os.packages_pos,
                              "'packages' needs 'distro': a rootfs is used as it is");
    return ret;
}

static int
resolve_os(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    int ret = 0;

    plan->os.distro = r->os.distro;
    plan->os.family = distro_family(r->os.distro);
    plan->os.rootfs = r->os.rootfs;
    plan->os.mirror = r->os.mirror;
    plan->os.packages = r->os.packages;
    plan->os.hostname = r->os.hostname ? r->os.hostname : r->name;
    plan->os.timezone = r->os.timezone ? r->os.timezone : "UTC";
    plan->os.locale = r->os.locale ? r->os.locale : "C.UTF-8";
    if (!r->os.hostname && r->name && name_check_hostname(r->name))
        ret = ab_recipe_error(err, &r->name_pos,
                              "name '%s' is not a valid hostname, which it is by default: set "
                              "'hostname' in 'os'",
                              r->name);
    if (r->os.distro != DISTRO_NONE && r->os.rootfs)
        return ab_recipe_error(err, &r->os.rootfs_pos,
                               "'distro' and 'rootfs' exclude each other: give one");
    if (r->os.distro == DISTRO_NONE && !r->os.rootfs && !r->partial)
        return ab_recipe_error(err, &r->os.pos, "'os' needs 'distro' or 'rootfs'");
    if (r->os.rootfs && resolve_rootfs(plan, err) < 0)
        ret = -1;
    return ret;
}

/* The fixed console, the clouds' own settings, then the recipe's. */
static int
resolve_cmdline(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    const char *serial = arch_row(plan->hardware.arch)->serial;
    char base[96], cloud[48] = "";
    snprintf(base, sizeof(base), BASE_CMDLINE_FMT, serial);
    if (plan->cloud & PLAN_CLOUD_AZURE)
        snprintf(cloud, sizeof(cloud), AZURE_CMDLINE_FMT, serial);
    if (asprintf(&plan->os.kernel_cmdline, "%s%s%s%s", base, cloud,
                 r->os.kernel_cmdline ? " " : "",
                 r->os.kernel_cmdline ? r->os.kernel_cmdline : "") < 0)
        return ab_oom(err);
    return 0;
}

const char *
plan_cloud_datasources(unsigned cloud, char *buf, size_t size)
{
    if (!(cloud & PLAN_CLOUD_INIT) || !(cloud & (PLAN_CLOUD_AZURE | PLAN_CLOUD_GCE)))
        return NULL;
    snprintf(buf, size, "%s%sNoCloud, None", cloud & PLAN_CLOUD_AZURE ? "Azure, " : "",
             cloud & PLAN_CLOUD_GCE ? "GCE, " : "");
    return buf;
}

/* cloud-init: with the azure or gce outputs unless `cloud: false`, or
 * with `cloud: true`; never added to a rootfs, which is used as it is. */
static int
resolve_cloud(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    unsigned clouds = (plan->outputs & OUTPUT_AZURE ? PLAN_CLOUD_AZURE : 0) |
                      (plan->outputs & OUTPUT_GCE ? PLAN_CLOUD_GCE : 0);
    if (r->cloud_set && r->cloud && r->os.rootfs)
        return ab_recipe_error(err, &r->cloud_pos,
                               "'cloud' needs 'distro': cloud-init is installed from the "
                               "distribution");
    if (r->os.rootfs)
        return 0;
    if (r->cloud_set && !r->cloud) {
        plan->cloud_off = clouds != 0;
        return 0;
    }
    if (clouds || (r->cloud_set && r->cloud))
        plan->cloud = PLAN_CLOUD_INIT | clouds;
    return 0;
}

/* Secure Boot: on by default wherever UEFI boots a distribution this
 * builder installs (its signed chain is installed with it); a rootfs
 * brings its own boot chain, so there only when the recipe asks. */
static int
resolve_secure_boot(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    bool uefi = plan->hardware.firmware & FIRMWARE_UEFI;
    if (r->hardware.secure_boot == 1 && !uefi)
        return ab_recipe_error(err, &r->hardware.secure_boot_pos,
                               "'secure_boot' needs UEFI: firmware '%s' has none",
                               firmware_to_string(plan->hardware.firmware));
    if (r->hardware.secure_boot >= 0)
        plan->hardware.secure_boot = r->hardware.secure_boot == 1;
    else
        plan->hardware.secure_boot = uefi && r->os.distro != DISTRO_NONE;
    return 0;
}

size_t
plan_arches(unsigned arches, enum arch out[2])
{
    size_t n = 0;
    if (!arches || (arches & ARCH_X86_64))
        out[n++] = ARCH_X86_64;
    if (arches & ARCH_AARCH64)
        out[n++] = ARCH_AARCH64;
    return n;
}

char *
plan_stem(const char *name, const char *version, const char *arch)
{
    char *s;
    if (asprintf(&s, "%s-%s%s%s", name, version, arch ? "-" : "", arch ? arch : "") < 0)
        return NULL;
    return s;
}

/* The stem of the plan's files: its architecture named when the recipe
 * lists more than one. */
static int
resolve_stem(struct plan *plan, struct ab_error *err)
{
    enum arch all[2];
    if (plan_arches(plan->hardware.arches, all) > 1)
        plan->folder_arch = arch_row(plan->hardware.arch)->name;
    if (!(plan->stem = plan_stem(plan->name, plan->version, plan->folder_arch)))
        return ab_oom(err);
    return 0;
}

/* The architecture, and what it decides of the hardware: aarch64 has no
 * BIOS (UEFI by default, a firmware with BIOS refused) and no LSI Logic
 * or IDE controller on the hypervisors that run it (SATA by default:
 * VMware Fusion on Apple Silicon takes SATA or NVMe only). A recipe that
 * lists both is judged for both, whichever this plan builds. */
static int
resolve_hardware(struct plan *plan, enum arch arch, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    int ret = 0;
    plan->hardware.arches = r->hardware.arches ? r->hardware.arches : ARCH_X86_64;
    enum arch list[2];
    plan_arches(plan->hardware.arches, list);
    plan->hardware.arch = arch ? arch : list[0];
    bool arm = plan->hardware.arch == ARCH_AARCH64;
    if (!(plan->hardware.arches & plan->hardware.arch))
        ret = ab_recipe_error(err, &r->hardware.arch_pos, "the recipe does not list arch '%s'",
                              arch_to_string(plan->hardware.arch));
    if ((plan->hardware.arches & ARCH_AARCH64) && (r->hardware.firmware & FIRMWARE_BIOS))
        ret = ab_recipe_error(err, &r->hardware.firmware_pos,
                              "firmware '%s' needs a BIOS, which aarch64 has none of: use uefi",
                              firmware_to_string(r->hardware.firmware));
    if ((plan->hardware.arches & ARCH_AARCH64) && r->hardware.controller_set &&
        r->hardware.controller != CONTROLLER_SATA)
        ret = ab_recipe_error(err, &r->hardware.controller_pos,
                              "controller '%s' does not exist for aarch64 guests (VMware Fusion "
                              "on Apple Silicon takes SATA or NVMe disks): use sata",
                              controller_to_string(r->hardware.controller));
    if ((plan->hardware.arches & ARCH_ALL) == ARCH_ALL && r->os.rootfs)
        ret = ab_recipe_error(err, &r->hardware.arch_pos,
                              "a 'rootfs' is one architecture's tree: list one arch with it");
    plan->hardware.cpus = r->hardware.cpus ? r->hardware.cpus : DEFAULT_CPUS;
    plan->hardware.memory = r->hardware.memory ? r->hardware.memory : DEFAULT_MEMORY;
    plan->hardware.firmware = r->hardware.firmware ? r->hardware.firmware
                              : arm                ? FIRMWARE_UEFI
                                                   : FIRMWARE_BOTH;
    plan->hardware.controller = arm ? CONTROLLER_SATA : r->hardware.controller;
    plan->hardware.nics = r->hardware.nics >= 0 ? (unsigned)r->hardware.nics : DEFAULT_NICS;
    return ret;
}

static int
resolve_addons_outputs(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;

    if (r->os.distro == DISTRO_NONE)
        plan->addons = 0;
    else
        plan->addons = r->addons_set ? r->addons : ADDON_ALL;
    if (r->os.rootfs && r->addons_set && r->addons)
        return ab_recipe_error(err, &r->addons_pos,
                               "'addons' needs 'distro': add-ons are installed from the "
                               "distribution");
    plan->outputs = r->outputs_set ? r->outputs : OUTPUT_OVA;
    if (r->outputs_set && r->outputs == 0)
        return ab_recipe_error(err, &r->outputs_pos, "'outputs' must name at least one output");
    plan->outputs_implied = output_implied(plan->outputs);
    plan->outputs |= plan->outputs_implied;
    return 0;
}

/* The profile for the plan's architecture: on aarch64 the family is
 * raised to the arch row's oldest and the NIC is the arch row's; the guest
 * ID is the same for both, vSphere's IDs naming no architecture
 * (ova_targets.c). */
void
plan_ova_from_profile(struct plan *plan, enum ova_target target)
{
    const struct ova_target_profile *t = ova_target_profile(target);
    enum arch arch = plan->hardware.arch;
    plan->ova.target = target;
    plan->ova_digest = t->digest;
    plan->ova.hardware_version = ova_target_family(t, arch);
    snprintf(plan->ova.family_buf, sizeof(plan->ova.family_buf), "vmx-%u",
             plan->ova.hardware_version);
    plan->hardware_family = plan->ova.family_buf;
    plan->ova.os_type = distro_guest_id(plan->os.distro, t->guest_release);
    plan->ova.nic = ova_target_nic(t, arch);
    plan->ova.controller = plan->hardware.controller == CONTROLLER_SCSI   ? t->scsi
                           : plan->hardware.controller == CONTROLLER_SATA ? t->sata
                                                                          : NULL;
}

/* ova.target against every architecture the recipe lists (whichever this
 * plan builds): an importer that runs no guest of one is an error at the
 * key, naming the targets that take them all. */
static int
judge_target_arches(const struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    const struct ova_target_profile *t = ova_target_profile(r->ova_target);
    unsigned listed = plan->hardware.arches;
    enum arch list[2];
    char takes[256];
    if (!(listed & ~t->arches))
        return 0;
    plan_arches(listed & ~t->arches, list);
    ova_target_list_for(listed, takes, sizeof(takes));
    return ab_recipe_error(err, &r->ova_target_pos,
                           "target '%s' imports no %s guest (%s runs %s guests only): the "
                           "targets for %s are %s",
                           ova_target_to_string(r->ova_target), arch_to_string(list[0]),
                           t->importer, arch_to_string((enum arch)(t->arches & ARCH_ALL)),
                           (listed & ARCH_ALL) == ARCH_ALL ? "both x86_64 and aarch64"
                                                           : arch_to_string(list[0]),
                           takes);
}

/* An explicit family older than one of the listed architectures runs. */
static int
judge_family_arches(const struct plan *plan, unsigned family, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    enum arch list[2];
    size_t n = plan_arches(plan->hardware.arches, list);
    for (size_t i = 0; i < n; i++) {
        unsigned min = arch_row(list[i])->vmware_hw_min;
        if (family < min)
            return ab_recipe_error(err, &r->ova_hardware_family_pos,
                                   "hardware family '%s' is older than %s guests run (vmx-%u "
                                   "at least): leave 'hardware_family' out, or write vmx-%u "
                                   "or newer",
                                   r->ova_hardware_family, arch_to_string(list[i]), min, min);
    }
    return 0;
}

/* ova.target's profile, then the recipe's own ova keys, which win unless
 * a named target cannot take them: a conflict is an error at the key.
 * generic (the default) refuses nothing: a recipe that sets a key without
 * naming a target chose for itself, as before targets existed. What an
 * architecture cannot run is refused whatever the target. */
static int
resolve_ova(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    const struct ova_target_profile *t = ova_target_profile(r->ova_target);
    const char *name = ova_target_to_string(r->ova_target);
    bool judge = r->ova_target != OVA_TARGET_GENERIC;
    int ret = judge_target_arches(plan, err);

    plan_ova_from_profile(plan, r->ova_target);
    if (r->ova_digest_set) {
        plan->ova_digest = r->ova_digest;
        if (judge && (t->digests_refused & (1u << r->ova_digest)))
            ret = ab_recipe_error(err, &r->ova_digest_pos,
                                  "digest '%s' is refused by target '%s' (%s): leave 'digest' "
                                  "out (the target's is '%s'), or choose another target",
                                  digest_to_string(r->ova_digest), name, t->importer,
                                  digest_to_string(t->digest));
    }
    if (r->ova_hardware_family) {
        plan->hardware_family = r->ova_hardware_family;
        plan->ova.hardware_version = (unsigned)atoi(r->ova_hardware_family + 4);
        if (judge_family_arches(plan, plan->ova.hardware_version, err) < 0)
            ret = -1;
        if (judge && t->max_family && plan->ova.hardware_version > t->max_family)
            ret = ab_recipe_error(err, &r->ova_hardware_family_pos,
                                  "hardware family '%s' is newer than target '%s' runs (%s: "
                                  "vmx-%u at most)",
                                  r->ova_hardware_family, name, t->importer, t->max_family);
    }
    return ret;
}

static int
resolve_users(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    int ret = 0;

    plan->users = r->users;
    plan->n_users = r->n_users;
    for (size_t i = 0; i < r->n_users; i++) {
        for (size_t j = 0; j < i; j++) {
            if (r->users[i].name && r->users[j].name &&
                strcmp(r->users[i].name, r->users[j].name) == 0) {
                ret = ab_recipe_error(err, &r->users[i].name_pos, "user '%s' is listed twice",
                                      r->users[i].name);
                break;
            }
        }
    }
    return ret;
}

static int
resolve_files(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    int ret = 0;

    plan->files = calloc(r->n_files ? r->n_files : 1, sizeof(*plan->files));
    if (!plan->files)
        return ab_oom(err);
    plan->n_files = r->n_files;
    for (size_t i = 0; i < r->n_files; i++) {
        const struct recipe_file *rf = &r->files[i];
        struct plan_file *f = &plan->files[i];
        f->src = rf->src;
        f->dest = rf->dest;
        f->owner = rf->owner ? rf->owner : "root:root";
        f->mode = rf->mode;
        if (rf->src && resolve_inside(r, rf->src, &rf->src_pos, "source", &f->src_abs, err) < 0)
            ret = -1;
    }
    return ret;
}

static int
resolve_disks(struct plan *plan, struct ab_error *err)
{
    const struct recipe *r = plan->recipe;
    int ret = 0;

    if (plan_resolve_disk(plan, PLAN_DISK_OS, err) < 0)
        ret = -1;
    if (plan_resolve_disk(plan, PLAN_DISK_APP, err) < 0)
        ret = -1;
    if (strcmp(plan->disks[0].vg.name, plan->disks[1].vg.name) == 0)
        ret = ab_recipe_error(err, r->app_disk.vg ? &r->app_disk.vg_pos : &r->os_disk.vg_pos,
                              "volume group '%s' is used by both disks: the two must differ%s",
                              plan->disks[1].vg.name,
                              r->app_disk.vg ? "" : " (disk 'app' uses it by default)");
    /* Mount rules need both disks' volumes, even when a size did not fit. */
    if (plan->disks[0].vg.lvs && plan->disks[1].vg.lvs && plan_resolve_mounts(plan, err) < 0)
        ret = -1;
    return ret;
}

const struct plan *
plan_new(struct recipe *recipe, struct ab_error *err)
{
    return plan_new_arch(recipe, 0, err);
}

const struct plan *
plan_new_arch(struct recipe *recipe, enum arch arch, struct ab_error *err)
{
    struct plan *plan = calloc(1, sizeof(*plan));
    if (!plan) {
        recipe_free(recipe);
        ab_oom(err);
        return NULL;
    }
    plan->recipe = recipe;
    plan->name = recipe->name;
    plan->version = recipe->version;
    plan->description = recipe->description ? recipe->description : "";
    plan->vendor = recipe->vendor ? recipe->vendor : "";
    plan->product_url = recipe->product_url ? recipe->product_url : "";
    plan->vendor_url = recipe->vendor_url ? recipe->vendor_url : "";
    plan->seed = recipe->seed ? recipe->seed : "";
    plan->run = recipe->run;

    int ret = resolve_hardware(plan, arch, err);
    if (resolve_os(plan, err) < 0)
        ret = -1;
    if (resolve_secure_boot(plan, err) < 0)
        ret = -1;
    if (resolve_addons_outputs(plan, err) < 0)
        ret = -1;
    if (resolve_ova(plan, err) < 0)
        ret = -1;
    if (plan->recipe->ova_eula && resolve_eula(plan, err) < 0)
        ret = -1;
    if (resolve_cloud(plan, err) < 0)
        ret = -1;
    if (resolve_cmdline(plan, err) < 0)
        ret = -1;
    if (resolve_users(plan, err) < 0)
        ret = -1;
    if (resolve_files(plan, err) < 0)
        ret = -1;
    if (resolve_disks(plan, err) < 0)
        ret = -1;
    if (ret == 0 && resolve_stem(plan, err) < 0)
        ret = -1;
    if (ret < 0 || ab_error_is_set(err)) {
        plan_free(plan);
        return NULL;
    }
    return plan;
}

void
plan_free(const struct plan *cplan)
{
    struct plan *plan = (struct plan *)cplan;
    if (!plan)
        return;
    for (int i = 0; i < PLAN_N_DISKS; i++)
        free(plan->disks[i].vg.lvs);
    free(plan->mounts);
    for (size_t i = 0; i < plan->n_files; i++)
        free(plan->files[i].src_abs);
    free(plan->files);
    free(plan->os.rootfs_abs);
    free(plan->ova.eula);
    free(plan->os.kernel_cmdline);
    free(plan->stem);
    recipe_free(plan->recipe);
    free(plan);
}
