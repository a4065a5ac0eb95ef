/* plan_resolve.h: the steps of plan_new(), shared by the plan_*.c files.
 * Internal to the plan module; other modules use plan.h only. */
#ifndef APPLIANCE_PLAN_RESOLVE_H
#define APPLIANCE_PLAN_RESOLVE_H

#include "appliance/error.h"
#include "appliance/plan.h"

/* Partitions, PV, VG and LVs of one disk (plan_layout.c). */
int plan_resolve_disk(struct plan *plan, enum plan_disk_id id, struct ab_error *err);

/* Mount points: rules across both disks, then the mount order
 * (plan_mounts.c). Needs both disks resolved. */
int plan_resolve_mounts(struct plan *plan, struct ab_error *err);

/* The filesystem a volume gets when its recipe names none. */
enum fs_type plan_default_fs(enum distro_family family);

/* The OVA fields of plan from target's profile alone (plan.c): the
 * digest, family, guest ID (for plan->os.distro), NIC and controller
 * models (for plan->hardware.controller). */
void plan_ova_from_profile(struct plan *plan, enum ova_target target);

#endif
