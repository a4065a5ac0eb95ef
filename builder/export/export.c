/* export.c: every output the recipe asks for, from the two raw disks.
 *
 * The OVF bundle uses the project's parallel VMDK writer (vmdk_stream.c);
 * qemu-img converts to the formats it writes fast and right (qcow2, VHDX,
 * VDI, monolithicSparse VMDK, fixed VHD); GNU tar and pigz make the GCE
 * archives; the raw output is the build's own sparse disks, renamed. */
#include "appliance/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/spawn.h"

static int
oom(struct ab_error *err)
{
    return ab_oom(err);
}

char *
export_disk_base(const struct plan *plan, enum plan_disk_id disk)
{
    char *s;
    return asprintf(&s, "%s-%s", plan->name, plan->disks[disk].id) < 0 ? NULL : s;
}

static void
step(const struct export_job *job, const char *what)
{
    if (job->step)
        job->step(job->progress_ctx, what);
}

/* One qemu-img target: its output flag, file extension, -O format, -o. */
struct qemu_target {
    unsigned output;
    const char *ext;
    const char *format;
    const char *options;
};

static const struct qemu_target qemu_targets[] = {
    {OUTPUT_QCOW2, "qcow2", "qcow2", "compat=1.1"},
    {OUTPUT_VMDK, "vmdk", "vmdk", "subformat=monolithicSparse"},
    {OUTPUT_VHDX, "vhdx", "vhdx", "subformat=dynamic"},
    {OUTPUT_VDI, "vdi", "vdi", "static=off"},
    /* Azure: fixed VHD whose virtual size is exactly the raw size (a whole
     * number of MiB, which the plan guarantees), not CHS-rounded. */
    {OUTPUT_AZURE, "vhd", "vpc", "subformat=fixed,force_size=on"},
};

static int
qemu_convert(const struct export_job *job, const struct qemu_target *t, struct ab_error *err)
{
    const struct plan *plan = job->plan;
    const char *adapter = plan->hardware.controller == CONTROLLER_IDE ? "ide" : "lsilogic";
    CLEANUP_FREE char *options = NULL;
    /* The VMDK's adapter type matches the OVF's controller. */
    if (asprintf(&options, "%s%s%s", t->options, t->output == OUTPUT_VMDK ? ",adapter_type=" : "",
                 t->output == OUTPUT_VMDK ? adapter : "") < 0)
        return oom(err);
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        CLEANUP_FREE char *base = export_disk_base(plan, (enum plan_disk_id)i);
        CLEANUP_FREE char *name = NULL, *path = NULL, *tmp = NULL;
        if (!base || asprintf(&name, "%s.%s", base, t->ext) < 0 ||
            asprintf(&path, "%s/%s", job->dir, name) < 0 ||
            asprintf(&tmp, "%s/.%s.tmp", job->dir, name) < 0)
            return oom(err);
        step(job, name);
        const char *argv[] = {"qemu-img", "convert", "-f", "raw", "-O", t->format, "-o",
                              options, job->images[i], tmp, NULL};
        if (spawn_run(argv, NULL, err) < 0) {
            unlink(tmp);
            ab_error_prefix(err, "writing %s", name);
            return -1;
        }
        if (rename(tmp, path) < 0) {
            unlink(tmp);
            return ab_build_error(err, errno, "cannot rename '%s': %s", tmp, strerror(errno));
        }
    }
    return 0;
}

static int
export_ovf_ova(const struct export_job *job, struct ab_error *err)
{
    const struct plan *plan = job->plan;
    bool keep = plan->outputs & OUTPUT_OVF;
    CLEANUP_FREE char *ovf_dir = NULL, *ova = NULL;
    if (asprintf(&ovf_dir, "%s/%s", keep ? job->dir : job->work, keep ? "ovf" : "ova") < 0 ||
        asprintf(&ova, "%s/%s.ova", job->dir, plan->name) < 0)
        return oom(err);
    if (export_ovf_folder(job, ovf_dir, err) < 0)
        return -1;
    if (plan->outputs & OUTPUT_OVA) {
        CLEANUP_FREE char *name = NULL;
        if (asprintf(&name, "%s.ova", plan->name) < 0)
            return oom(err);
        step(job, name);
        if (export_ova_pack(plan, ovf_dir, ova, err) < 0)
            return -1;
    }
    if (!keep)
        rm_rf(keep ? job->dir : job->work, ovf_dir);
    return 0;
}

static int
export_gce_all(const struct export_job *job, struct ab_error *err)
{
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        CLEANUP_FREE char *base = export_disk_base(job->plan, (enum plan_disk_id)i);
        CLEANUP_FREE char *name = NULL, *path = NULL;
        if (!base || asprintf(&name, "%s.tar.gz", base) < 0 ||
            asprintf(&path, "%s/%s", job->dir, name) < 0)
            return oom(err);
        step(job, name);
        if (export_gce(job->images[i], path, err) < 0)
            return -1;
    }
    return 0;
}

/* The raw output is the build's disks themselves: renamed, never copied. */
static int
export_raw(const struct export_job *job, struct ab_error *err)
{
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        CLEANUP_FREE char *base = export_disk_base(job->plan, (enum plan_disk_id)i);
        CLEANUP_FREE char *path = NULL;
        if (!base || asprintf(&path, "%s/%s.raw", job->dir, base) < 0)
            return oom(err);
        if (rename(job->images[i], path) < 0)
            return ab_build_error(err, errno, "cannot move '%s' to '%s': %s", job->images[i],
                                  path, strerror(errno));
    }
    return 0;
}

int
export_all(const struct export_job *job, struct ab_error *err)
{
    const struct plan *plan = job->plan;
    unsigned outs = plan->outputs;

    if ((outs & (OUTPUT_OVA | OUTPUT_OVF)) && export_ovf_ova(job, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(qemu_targets) / sizeof(qemu_targets[0]); i++)
        if ((outs & qemu_targets[i].output) && qemu_convert(job, &qemu_targets[i], err) < 0)
            return -1;
    if ((outs & OUTPUT_GCE) && export_gce_all(job, err) < 0)
        return -1;
    if (outs & OUTPUT_LIBVIRT) {
        CLEANUP_FREE char *xml = NULL, *os_base = export_disk_base(plan, PLAN_DISK_OS);
        CLEANUP_FREE char *app_base = export_disk_base(plan, PLAN_DISK_APP);
        CLEANUP_FREE char *os = NULL, *app = NULL;
        if (!os_base || !app_base || asprintf(&xml, "%s/%s.xml", job->dir, plan->name) < 0 ||
            asprintf(&os, "%s/%s.qcow2", job->final_dir, os_base) < 0 ||
            asprintf(&app, "%s/%s.qcow2", job->final_dir, app_base) < 0)
            return oom(err);
        const char *const qcow2[PLAN_N_DISKS] = {os, app};
        step(job, strrchr(xml, '/') + 1);
        if (export_libvirt_xml(plan, qcow2, xml, err) < 0)
            return -1;
    }
    if (outs & OUTPUT_HYPERV) {
        CLEANUP_FREE char *ps1 = NULL, *os_base = export_disk_base(plan, PLAN_DISK_OS);
        CLEANUP_FREE char *app_base = export_disk_base(plan, PLAN_DISK_APP);
        CLEANUP_FREE char *os = NULL, *app = NULL;
        if (!os_base || !app_base || asprintf(&ps1, "%s/%s.ps1", job->dir, plan->name) < 0 ||
            asprintf(&os, "%s.vhdx", os_base) < 0 || asprintf(&app, "%s.vhdx", app_base) < 0)
            return oom(err);
        const char *const vhdx[PLAN_N_DISKS] = {os, app};
        step(job, strrchr(ps1, '/') + 1);
        if (export_hyperv_script(plan, vhdx, ps1, err) < 0)
            return -1;
    }
    if (outs & OUTPUT_RAW)
        return export_raw(job, err);
    return 0;
}
