/* convert_source.c: the source of `appliance convert`, opened through the
 * same reader `appliance inspect` uses (bundle.c: an output folder, an
 * OVA, an OVF, a disk), its two disks found and checked, its hardware
 * read. */
#include "convert_source.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/names.h"
#include "appliance/ovf_read.h"
#include "appliance/report.h"

static const char *const roles[PLAN_N_DISKS] = {"os", "app"};

static int
take_disk(struct convert_disk *d, const char *path, const char *label, const char *format,
          uint64_t virtual_size, uint64_t file_size, struct ab_error *err)
{
    d->path = strdup(path);
    d->label = strdup(label);
    if (!d->path || !d->label)
        return ab_oom(err);
    snprintf(d->format, sizeof(d->format), "%s", format);
    d->virtual_size = virtual_size;
    d->file_size = file_size;
    return 0;
}

/* Two disk images given as such: each checked here. */
static int
open_disks(const struct convert_request *req, struct convert_source *s, struct ab_error *err)
{
    s->kind = "disks";
    if (!(s->path = strdup(req->disks[0])))
        return ab_oom(err);
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        struct image_info info;
        struct stat st;
        CLEANUP_FREE char *real = realpath(req->disks[i], NULL);
        if (!real)
            return ab_build_error(err, errno, "cannot read disk image '%s': %s", req->disks[i],
                                  strerror(errno));
        if (image_check(real, req->disks[i], &info, &req->spawn, err) < 0 || stat(real, &st) < 0)
            return -1;
        if (take_disk(&s->disks[i], real, req->disks[i], info.format, info.virtual_size,
                      (uint64_t)st.st_size, err) < 0)
            return -1;
    }
    return 0;
}

/* The OVF's disks in the order they hang on their controllers (the
 * controller's place in the hardware, then the address on it). */
static int
by_controller(const void *a, const void *b)
{
    const struct ovf_disk *x = *(const struct ovf_disk *const *)a;
    const struct ovf_disk *y = *(const struct ovf_disk *const *)b;
    if (x->controller != y->controller)
        return x->controller < y->controller ? -1 : 1;
    long ax = x->address ? strtol(x->address, NULL, 10) : 0;
    long ay = y->address ? strtol(y->address, NULL, 10) : 0;
    return ax < ay ? -1 : ax > ay;
}

static const struct bundle_disk *
bundle_disk_named(const struct bundle *b, const char *href)
{
    size_t n = strlen(href);
    for (size_t i = 0; i < b->n_disks; i++) {
        const char *name = b->disks[i].name;
        size_t l = strlen(name);
        if (l >= n && strcmp(name + l - n, href) == 0 && (l == n || name[l - n - 1] == ':'))
            return &b->disks[i];
    }
    return NULL;
}

/* An OVA or OVF: its first disk is the OS disk, its second the app disk. */
static int
disks_from_ovf(struct convert_source *s, struct ab_error *err)
{
    const struct bundle *b = s->bundle;
    const struct ovf_summary *o = b->ovf;
    if (!o || o->n_disks != PLAN_N_DISKS)
        return ab_build_error(err, 0,
                              "'%s' describes %zu disks: an appliance has two, the OS disk "
                              "and the application disk",
                              s->path, o ? o->n_disks : 0);
    const struct ovf_disk *order[PLAN_N_DISKS] = {&o->disks[0], &o->disks[1]};
    qsort(order, PLAN_N_DISKS, sizeof(order[0]), by_controller);
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        int f = order[i]->file;
        const char *href = f >= 0 && (size_t)f < o->n_files ? o->files[f].href : NULL;
        const struct bundle_disk *d = href ? bundle_disk_named(b, href) : NULL;
        if (!d)
            return ab_build_error(err, 0, "the %s disk of '%s' ('%s') is not there", roles[i],
                                  s->path, href ? href : "no file");
        if (take_disk(&s->disks[i], d->path, d->name, d->format, d->virtual_size, d->file_size,
                      err) < 0)
            return -1;
    }
    return 0;
}

/* An output folder: STEM-os.* and STEM-app.* as bundle.c found them (the
 * stem NAME-VERSION from the folder's build report, or NAME from an older
 * folder). */
static int
disks_from_folder(struct convert_source *s, struct ab_error *err)
{
    const struct bundle *b = s->bundle;
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        char want[NAME_MAX + 1];
        snprintf(want, sizeof(want), "%s-%s.", b->stem ? b->stem : b->name, roles[i]);
        const struct bundle_disk *d = NULL;
        for (size_t k = 0; k < b->n_disks && !d; k++) {
            const char *name = strrchr(b->disks[k].name, '/');
            name = name ? name + 1 : b->disks[k].name;
            const char *colon = strrchr(name, ':');
            name = colon ? colon + 1 : name;
            if (strncmp(name, want, strlen(want)) == 0)
                d = &b->disks[k];
        }
        if (!d)
            return ab_build_error(err, 0, "no disk image of the %s disk ('%s*') in '%s'", roles[i],
                                  want, s->path);
        if (take_disk(&s->disks[i], d->path, d->name, d->format, d->virtual_size, d->file_size,
                      err) < 0)
            return -1;
    }
    return 0;
}

/* The hardware of the folder's build report (bundle_open found it), else
 * of its convert-report.json, else of its OVF. */
static int
folder_hardware(struct convert_source *s, struct ab_error *err)
{
    static const char converted[] = "convert-report.json";
    CLEANUP_FREE char *path = NULL;
    const char *report = s->bundle->report, *slash = report ? strrchr(report, '/') : NULL;
    struct stat st;
    if (report && stat(report, &st) == 0) {
        s->hw_from = slash ? slash + 1 : report; /* the bundle's, which outlives it */
        return convert_hardware_read(report, &s->hw, err);
    }
    if (asprintf(&path, "%s/%s", s->path, converted) < 0)
        return ab_oom(err);
    if (stat(path, &st) == 0) {
        s->hw_from = converted;
        return convert_hardware_read(path, &s->hw, err);
    }
    if (s->bundle->ovf) {
        s->hw_from = s->bundle->ovf_source;
        return convert_hardware_from_ovf(s->bundle->ovf, &s->hw, err);
    }
    return 0;
}

static int
open_bundle(const struct convert_request *req, const char *scratch, struct convert_source *s,
            struct ab_error *err)
{
    if (!(s->path = strdup(req->src)))
        return ab_oom(err);
    if (!(s->bundle = bundle_open(req->src, req->arch, BUNDLE_DISKS, scratch, &req->spawn, err)))
        return -1;
    switch (s->bundle->kind) {
    case BUNDLE_FOLDER:
        s->kind = "folder";
        return folder_hardware(s, err) < 0 ? -1 : disks_from_folder(s, err);
    case BUNDLE_OVA:
    case BUNDLE_OVF:
        s->kind = s->bundle->kind == BUNDLE_OVA ? "ova" : "ovf";
        s->hw_from = s->bundle->ovf_source ? s->bundle->ovf_source : s->path;
        if (s->bundle->ovf && convert_hardware_from_ovf(s->bundle->ovf, &s->hw, err) < 0)
            return -1;
        return disks_from_ovf(s, err);
    case BUNDLE_DISK:
        break;
    }
    return ab_build_error(err, 0,
                          "'%s' is one disk image: give both disks (OS_DISK APP_DISK), or an "
                          "output folder, an .ova or an .ovf",
                          req->src);
}

/* The name and version of the build report dir/name when it lists base
 * as its OS disk's file: 1, else 0 (or -1). */
static int
name_from_report(const char *dir, const char *name, const char *base, struct convert_hardware *hw,
                 struct ab_error *err)
{
    CLEANUP_FREE char *report = NULL;
    if (asprintf(&report, "%s/%s", dir, name) < 0)
        return ab_oom(err);
    struct report_info r;
    struct ab_error ignored = AB_ERROR_INIT;
    bool listed = access(report, F_OK) == 0 && report_load(report, &r, &ignored) == 0;
    ab_error_release(&ignored);
    if (!listed)
        return 0;
    bool ours = false;
    for (size_t i = 0; i < r.n_files && !ours; i++)
        ours = r.files[i].disk && strcmp(r.files[i].disk, "os") == 0 && r.files[i].path &&
               strcmp(r.files[i].path, base) == 0;
    int rc = 0;
    if (ours && r.name && !name_check_appliance(r.name)) {
        rc = !(hw->name = strdup(r.name)) || (r.version && !name_check_version(r.version) &&
                                              !(hw->version = strdup(r.version)))
                 ? ab_oom(err)
                 : 1;
    }
    report_info_release(&r);
    return rc;
}

/* The same of each build report in dir: build-report.json, and in a
 * folder of several architectures each one's. */
static int
name_from_reports(const char *dir, const char *base, struct convert_hardware *hw,
                  struct ab_error *err)
{
    char *names[ARCH_N] = {NULL};
    size_t n = report_names(dir, names);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = names[i] ? name_from_report(dir, names[i], base, hw, err) : ab_oom(err);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    return rc;
}

/* The name and version of disks given without a name: a build report
 * beside the OS disk that lists that file as its OS disk's; else from
 * the file's name, "NAME-VERSION-os.EXT" (NAME the longest part before a
 * '-' that is an appliance's name, as builds name their files) or, as
 * builds named them before versions, "NAME-os.EXT". */
static int
name_from_disk(const char *path, struct convert_hardware *hw, struct ab_error *err)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    CLEANUP_FREE char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return ab_oom(err);
    int rc = name_from_reports(dir, base, hw, err);
    if (rc)
        return rc;
    const char *dash = strstr(base, "-os.");
    if (!dash || dash == base)
        return 0;
    CLEANUP_FREE char *stem = strndup(base, (size_t)(dash - base));
    if (!stem)
        return ab_oom(err);
    if (!name_check_appliance(stem))
        return (hw->name = strdup(stem)) ? 1 : ab_oom(err);
    for (char *cut = strrchr(stem, '-'); cut; cut = strrchr(stem, '-')) {
        *cut = '\0';
        if (!name_check_appliance(stem) && !name_check_version(cut + 1))
            return (hw->name = strdup(stem)) && (hw->version = strdup(cut + 1)) ? 1 : ab_oom(err);
    }
    return 0;
}

static void
apply_request(const struct convert_request *req, struct convert_hardware *hw)
{
    if (req->cpus)
        hw->cpus = req->cpus;
    if (req->memory)
        hw->memory = req->memory;
    if (req->firmware)
        hw->firmware = req->firmware;
}

int
convert_source_open(const struct convert_request *req, const char *scratch,
                    struct convert_source *s, struct ab_error *err)
{
    int r = req->src ? open_bundle(req, scratch, s, err) : open_disks(req, s, err);
    if (r < 0)
        return -1;
    if (req->hardware_from) {
        s->hw_from = req->hardware_from;
        if (convert_hardware_read(req->hardware_from, &s->hw, err) < 0)
            return -1;
    }
    apply_request(req, &s->hw);
    if (!s->hw.name && !req->name && !req->src && name_from_disk(req->disks[0], &s->hw, err) < 0)
        return -1;
    return 0;
}

static int
need(bool have, const char *what, const char *option, struct ab_error *err)
{
    if (have)
        return 0;
    return ab_build_error(err, 0, "the source does not say its %s: give %s or --hardware-from",
                          what, option);
}

const struct plan *
convert_source_plan(const struct convert_source *s, const struct convert_request *req,
                    struct ab_error *err)
{
    const struct convert_hardware *hw = &s->hw;
    if (need(hw->cpus, "CPU count", "--cpus", err) < 0 ||
        need(hw->memory, "memory", "--memory", err) < 0 ||
        need(hw->firmware, "firmware", "--firmware", err) < 0)
        return NULL;
    struct plan_convert c = {
        .name = req->name ? req->name : hw->name,
        .version = hw->version,
        .description = hw->description,
        .vendor = hw->vendor,
        .distro = (enum distro)hw->distro,
        .arch = (enum arch)hw->arch,
        .cpus = hw->cpus,
        .memory = hw->memory,
        .firmware = (enum firmware)hw->firmware,
        .secure_boot = hw->secure_boot > 0,
        .controller = hw->controller ? (enum controller)(hw->controller - 1) : CONTROLLER_SCSI,
        .nics = hw->nics ? hw->nics : 1,
        .disk_sizes = {s->disks[0].virtual_size, s->disks[1].virtual_size},
        .vgs = {*s->vg[0] ? s->vg[0] : NULL, *s->vg[1] ? s->vg[1] : NULL},
        .outputs = req->outputs,
    };
    return plan_for_convert(&c, err);
}

void
convert_source_release(struct convert_source *s)
{
    if (!s)
        return;
    bundle_free(s->bundle);
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        free(s->disks[i].path);
        free(s->disks[i].label);
    }
    convert_hardware_release(&s->hw);
    free(s->path);
    *s = (struct convert_source){0};
}
