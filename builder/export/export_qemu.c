/* export_qemu.c: the formats qemu-img writes fast and right: qcow2, VMDK
 * (monolithicSparse), VHDX, VDI and Azure's fixed VHD, one exporter each.
 * The random ids and times qemu-img writes into VMDK, VHDX, VDI and VHD
 * headers are replaced by derived ones (image_ids.c), so that the same
 * disks give the same files. */
#include "exporter.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/spawn.h"
#include "image_ids.h"

/* One qemu-img target: file extension, -O format, -o options. */
struct qemu_target {
    const char *ext;
    const char *format;
    const char *options;
    bool adapter; /* add the VMDK's adapter type, matching the OVF's controller */
};

struct convert {
    const struct qemu_target *target;
    const char *options;
};

/* qemu-img writes raw's image as tmp, its ids and times then derived. */
static int
convert_to(const struct export_job *job, enum plan_disk_id disk, const char *raw, const char *tmp,
           const struct convert *c, struct ab_error *err)
{
    const char *argv[] = {"qemu-img", "convert",  "-f", "raw", "-O", c->target->format,
                          "-o",       c->options, raw,  tmp,   NULL};
    const struct spawn_opts o = {.ctx = job->spawn};
    if (spawn_run(argv, &o, err) < 0)
        return -1;
    struct image_id_key key;
    image_id_key_for(job->plan, disk, c->target->format, &key);
    return image_ids_rewrite(tmp, c->target->format, &key, job->epoch, err);
}

/* Written in a folder of its own under job->dir with the final name (a
 * VMDK's descriptor names its extent, the file itself, by the name it was
 * written as), then moved into place whole. */
static int
convert_disk(const struct export_job *job, enum plan_disk_id disk, const char *raw,
             const char *path, const void *ctx, struct ab_error *err)
{
    const char *name = export_base_name(path);
    CLEANUP_FREE char *tmp_dir = NULL, *tmp = NULL;
    if (asprintf(&tmp_dir, "%s/.%s.tmp", job->dir, name) < 0 ||
        asprintf(&tmp, "%s/%s", tmp_dir, name) < 0)
        return ab_oom(err);
    if (mkdir(tmp_dir, 0700) < 0 && errno != EEXIST)
        return ab_build_error(err, errno, "cannot create '%s': %s", tmp_dir, strerror(errno));
    int rc = convert_to(job, disk, raw, tmp, ctx, err);
    if (rc < 0)
        ab_error_prefix(err, "writing %s", name);
    else if ((rc = rename(tmp, path)) < 0)
        ab_build_error(err, errno, "cannot rename '%s': %s", tmp, strerror(errno));
    if (rc < 0)
        unlink(tmp);
    rmdir(tmp_dir);
    return rc;
}

/* t's -o options for plan's disks; NULL when out of memory. */
static char *
target_options(const struct qemu_target *t, const struct plan *plan)
{
    const char *adapter = plan->hardware.controller == CONTROLLER_IDE ? "ide" : "lsilogic";
    char *options;
    if (asprintf(&options, "%s%s%s", t->options, t->adapter ? ",adapter_type=" : "",
                 t->adapter ? adapter : "") < 0)
        return NULL;
    return options;
}

static int
qemu_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    const struct qemu_target *t = self->data;
    CLEANUP_FREE char *options = target_options(t, job->plan);
    if (!options)
        return ab_oom(err);
    struct convert c = {t, options};
    return export_each_disk(job, t->ext, t->ext, true, convert_disk, &c, err);
}

static const struct qemu_target qcow2 = {"qcow2", "qcow2", "compat=1.1", false};
static const struct qemu_target vmdk = {"vmdk", "vmdk", "subformat=monolithicSparse", true};
static const struct qemu_target vhdx = {"vhdx", "vhdx", "subformat=dynamic", false};
static const struct qemu_target vdi = {"vdi", "vdi", "static=off", false};
/* Azure: fixed VHD whose virtual size is exactly the raw size (a whole
 * number of MiB, which the plan guarantees), not CHS-rounded. */
static const struct qemu_target azure = {"vhd", "vpc", "subformat=fixed,force_size=on", false};

const struct exporter exporter_qcow2 = {"qcow2", OUTPUT_QCOW2, &qcow2, qemu_write, NULL};

int
export_qcow2_file(const struct export_job *job, enum plan_disk_id disk, const char *path,
                  struct ab_error *err)
{
    struct convert c = {&qcow2, qcow2.options};
    return convert_disk(job, disk, job->images[disk], path, &c, err);
}
int
export_vmdk_file(const struct export_job *job, enum plan_disk_id disk, const char *raw,
                 const char *path, const void *ctx, struct ab_error *err)
{
    (void)ctx;
    CLEANUP_FREE char *options = target_options(&vmdk, job->plan);
    if (!options)
        return ab_oom(err);
    struct convert c = {&vmdk, options};
    return convert_disk(job, disk, raw, path, &c, err);
}
const struct exporter exporter_vmdk = {"vmdk", OUTPUT_VMDK, &vmdk, qemu_write, NULL};
const struct exporter exporter_vhdx = {"vhdx", OUTPUT_VHDX, &vhdx, qemu_write, NULL};
const struct exporter exporter_vdi = {"vdi", OUTPUT_VDI, &vdi, qemu_write, NULL};
const struct exporter exporter_azure = {"azure", OUTPUT_AZURE, &azure, qemu_write, NULL};
