/* boot_disks.c: which of an output folder's files to boot. */
#include "appliance/boot_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/image_check.h"
#include "appliance/report.h"
#include "appliance/tar_member.h"

static const struct {
    const char *kind, *format;
    const char *output;       /* the output whose files these are in the report, or NULL */
    const char *folder, *ext; /* else DIR/FOLDER NAME-DISK EXT, as folders without a report hold */
} layouts[] = {
    {"qcow2", "qcow2", "qcow2", "", ".qcow2"}, {"raw", "raw", "raw", "", ".raw"},
    {"img", "raw", NULL, "", ".img"}, /* raw, as builds named them before the exporters */
    {"ovf", "vmdk", "ovf", "ovf/", ".vmdk"},   {"vmdk", "vmdk", "vmdk", "", ".vmdk"},
    {"vdi", "vdi", "vdi", "", ".vdi"},         {"vhdx", "vhdx", "vhdx", "", ".vhdx"},
};

static const char *const disk_ids[2] = {"os", "app"};

void
boot_disks_release(struct boot_disks *d)
{
    if (!d)
        return;
    for (int i = 0; i < 2; i++) {
        free(d->file[i]);
        free(d->backing[i]);
        free(d->member[i]);
    }
    memset(d, 0, sizeof(*d));
}

/* The path of layout l's file of disk i: the one the report lists, else
 * STEM-DISK.EXT as builds name them (the report's stem, NAME-VERSION; a
 * folder without a report holds NAME-DISK.EXT, as builds wrote before);
 * the legacy .img always NAME-DISK.img. */
static char *
layout_path(size_t l, int i, const char *dir, const char *name, const char *stem,
            const struct report_info *r)
{
    const char *rel = layouts[l].output && r->has_files
                          ? report_file_path(r, layouts[l].output, disk_ids[i])
                          : NULL;
    char *s;
    if (rel)
        return asprintf(&s, "%s/%s", dir, rel) >= 0 ? s : NULL;
    return asprintf(&s, "%s/%s%s-%s%s", dir, layouts[l].folder, layouts[l].output ? stem : name,
                    disk_ids[i], layouts[l].ext) < 0
               ? NULL
               : s;
}

/* 1: both files of layout l exist; 0: neither; -1: only one (an error). */
static int
try_layout(size_t l, const char *dir, const char *name, const char *stem,
           const struct report_info *r, struct boot_disks *d, struct ab_error *err)
{
    char *path[2] = {NULL, NULL};
    int present = 0;
    for (int i = 0; i < 2; i++) {
        if (!(path[i] = layout_path(l, i, dir, name, stem, r))) {
            free(i ? path[0] : NULL);
            return ab_oom(err);
        }
        present += access(path[i], F_OK) == 0;
    }
    if (present == 1) {
        int missing = access(path[0], F_OK) == 0;
        ab_build_error(err, ENOENT, "'%s' has '%s' but not '%s'", dir,
                       strrchr(path[!missing], '/') + 1, strrchr(path[missing], '/') + 1);
    }
    if (present != 2) {
        free(path[0]);
        free(path[1]);
        return present == 1 ? -1 : 0;
    }
    d->kind = layouts[l].kind;
    d->format = layouts[l].format;
    for (int i = 0; i < 2; i++) {
        d->file[i] = path[i];
        if (!(d->backing[i] = realpath(path[i], NULL)))
            return ab_build_error(err, errno, "cannot resolve '%s': %s", path[i], strerror(errno));
    }
    return 1;
}

static int
try_ova(const char *dir, const char *stem, const struct report_info *rep, struct boot_disks *d,
        struct ab_error *err)
{
    /* The OVA the report lists, else STEM.ova; its members are named with
     * the same stem (STEM-DISK.vmdk). */
    const char *rel = rep->has_files ? report_file_path(rep, "ova", NULL) : NULL;
    CLEANUP_FREE char *ova = NULL;
    if ((rel ? asprintf(&ova, "%s/%s", dir, rel) : asprintf(&ova, "%s/%s.ova", dir, stem)) < 0)
        return ab_oom(err);
    if (access(ova, F_OK) < 0)
        return 0;
    CLEANUP_FREE char *abs = realpath(ova, NULL);
    if (!abs)
        return ab_build_error(err, errno, "cannot resolve '%s': %s", ova, strerror(errno));
    for (int i = 0; i < 2; i++) {
        CLEANUP_FREE char *member = NULL;
        uint64_t offset, size;
        if (asprintf(&member, "%s-%s.vmdk", stem, disk_ids[i]) < 0)
            return ab_oom(err);
        int r = tar_member_find(abs, member, &offset, &size, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return ab_build_error(err, ENOENT, "'%s' holds no '%s'", ova, member);
        /* qemu reads the VMDK in place, through a raw node over its bytes. */
        d->offset[i] = offset;
        d->length[i] = size;
        if (!(d->file[i] = strdup(ova)) || !(d->member[i] = strdup(member)) ||
            !(d->backing[i] = image_member_name("vmdk", abs, offset, size)))
            return ab_oom(err);
    }
    d->kind = "ova";
    d->format = "vmdk";
    return 1;
}

int
boot_disks_find(const char *dir, const char *report, const char *name, struct boot_disks *d,
                struct ab_error *err)
{
    memset(d, 0, sizeof(*d));
    /* The report's file list names the disks; a folder without one (or an
     * unreadable one) is looked through by the names builds used to write. */
    struct report_info rep;
    struct ab_error ignored = AB_ERROR_INIT;
    if (access(report, F_OK) < 0 || report_load(report, &rep, &ignored) < 0)
        memset(&rep, 0, sizeof(rep));
    ab_error_release(&ignored);
    CLEANUP_FREE char *stem = report_stem(&rep);
    int r = stem || (stem = strdup(name)) ? 0 : ab_oom(err);
    for (size_t l = 0; r == 0 && l < sizeof(layouts) / sizeof(layouts[0]); l++)
        r = try_layout(l, dir, name, stem, &rep, d, err);
    if (r == 0)
        r = try_ova(dir, stem, &rep, d, err);
    report_info_release(&rep);
    if (r == 0)
        ab_build_error(err, ENOENT,
                       "no disks of '%s' in '%s' (looked for the files build-report.json lists, "
                       "%s-os.qcow2, .raw, %s-os.img, ovf/%s-os.vmdk, %s-os.vmdk, .vdi, .vhdx "
                       "and %s.ova)",
                       name, dir, stem, name, stem, stem, stem);
    if (r <= 0) {
        boot_disks_release(d);
        return -1;
    }
    return 0;
}

/* One disk as image_check sees it: refused when it names another file, or
 * when it is not in the format its name promises (the format qemu will be
 * told). */
static int
check_one(const struct boot_disks *d, int i, struct ab_error *err)
{
    struct image_info info;
    CLEANUP_FREE char *label = NULL;
    if (d->member[i] && asprintf(&label, "%s:%s", d->file[i], d->member[i]) < 0) {
        label = NULL;
        return ab_oom(err);
    }
    int r = d->member[i] ? image_check_member(d->file[i], d->offset[i], d->length[i], label, &info,
                                              NULL, err)
                         : image_check(d->file[i], d->file[i], &info, NULL, err);
    if (r < 0)
        return -1;
    if (strcmp(info.format, d->format) != 0)
        return ab_build_error(err, 0, "'%s' is a %s image, not %s as its name says",
                              label ? label : d->file[i], info.format, d->format);
    return 0;
}

int
boot_disks_check(const struct boot_disks *d, struct ab_error *err)
{
    for (int i = 0; i < 2; i++)
        if (check_one(d, i, err) < 0)
            return -1;
    return 0;
}
