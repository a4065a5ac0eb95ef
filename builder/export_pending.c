/* export_pending.c: the libvirt and Hyper-V writers, until they land. */
#include "appliance/export.h"

int
export_libvirt_xml(const struct plan *plan, const char *const qcow2[PLAN_N_DISKS],
                   const char *path, struct ab_error *err)
{
    (void)plan, (void)qcow2;
    return ab_build_error(err, 0, "%s: the libvirt output is not written yet", path);
}

int
export_hyperv_script(const struct plan *plan, const char *const vhdx[PLAN_N_DISKS],
                     const char *path, struct ab_error *err)
{
    (void)plan, (void)vhdx;
    return ab_build_error(err, 0, "%s: the hyperv output is not written yet", path);
}
