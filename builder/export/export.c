/* export.c: every output the recipe asks for, from the configured tree
 * or from the two raw disks.
 *
 * The dispatcher only: each format is an exporter of its own file
 * (exporter.h), run in the order of this table. The OVF bundle uses the
 * project's parallel VMDK writer (export_ova.c); qemu-img converts to the
 * formats it writes fast and right (export_qemu.c); GNU tar and pigz make
 * the GCE archives; the raw output is the build's own disks, renamed. */
#include "exporter.h"

static const struct exporter *const exporters[] = {
    /* From the configured tree, before the disks are made. */
    &exporter_container,
    /* From the disks. */
    &exporter_ovf, &exporter_qcow2, &exporter_vmdk, &exporter_vhdx, &exporter_vdi, &exporter_azure,
    &exporter_gce, &exporter_libvirt, &exporter_hyperv, &exporter_kubevirt, &exporter_vmx,
    &exporter_utm,
    &exporter_raw, /* last: it moves the images the others read */
};

#define N_EXPORTERS (sizeof(exporters) / sizeof(exporters[0]))

bool
export_wants_tree(const struct plan *plan)
{
    for (size_t i = 0; i < N_EXPORTERS; i++)
        if (exporters[i]->from_tree && (plan->outputs & exporters[i]->outputs))
            return true;
    return false;
}

/* Runs the from_tree or the write hook of every row the plan asks for. */
static int
run_rows(const struct export_job *job, bool from_tree, struct ab_error *err)
{
    for (size_t i = 0; i < N_EXPORTERS; i++) {
        const struct exporter *e = exporters[i];
        int (*hook)(const struct exporter *, const struct export_job *, struct ab_error *) =
            from_tree ? e->from_tree : e->write;
        if (hook && (job->plan->outputs & e->outputs) && hook(e, job, err) < 0)
            return -1;
    }
    return 0;
}

int
export_from_tree(const struct export_job *job, struct ab_error *err)
{
    return run_rows(job, true, err);
}

int
export_all(const struct export_job *job, struct ab_error *err)
{
    return run_rows(job, false, err);
}
