/* engine_disk.h: the build's libguestfs appliance (driven by
 * disk/engine_proc.c), for what only it does well without
 * root or loop devices: xfs (made and filled in the appliance, as xfsprogs
 * cannot fill a filesystem image from a tree), in the LVs of the volume
 * groups the program wrote itself (lvm_meta.h). A build starts it only
 * when the plan has an xfs volume; one launch per build. Like every
 * libguestfs call, it lives in builder/guestfs/. */
#ifndef APPLIANCE_ENGINE_DISK_H
#define APPLIANCE_ENGINE_DISK_H

#include <stdbool.h>
#include <stdio.h>

#include "appliance/error.h"
#include "appliance/plan.h"

struct engine;

/* Launches the appliance with both raw disks; software emulation unless
 * use_kvm. The appliance's messages go to log (may be NULL). */
struct engine *engine_launch(const char *os_img, const char *app_img, bool use_kvm, FILE *log,
                             struct ab_error *err);

/* Checks that the appliance's lvm2 sees both disks' VGs as the program
 * wrote them (lvm_meta.h): metadata unchanged (seqno 1), every LV one
 * segment where plan_lv_offset() says. */
int engine_check_lvm(struct engine *e, const struct plan *plan, struct ab_error *err);

/* Makes xfs on mount m (an LV or /boot) with its UUID, fills it from the
 * tar archive (xattrs, ACLs and SELinux labels kept). */
int engine_xfs(struct engine *e, const struct plan *plan, const struct plan_mount *m,
               const char *tar, struct ab_error *err);

/* Shuts the appliance down (reporting write errors) and frees e. */
int engine_finish(struct engine *e, struct ab_error *err);

/* Kills the appliance without waiting; for interrupts. NULL-safe. */
void engine_abort(struct engine *e);

#endif
