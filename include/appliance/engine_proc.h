/* engine_proc.h: the libguestfs appliance driven from a child process.
 *
 * The appliance boots (15-25 s under emulation) while the host prepares
 * the tree, so it runs beside the build, in a child process that the build
 * can stop at once when it fails or is interrupted: libguestfs's recovery
 * process then kills qemu, and nothing is left running. Requests and
 * replies are lines over a socket pair. */
#ifndef APPLIANCE_ENGINE_PROC_H
#define APPLIANCE_ENGINE_PROC_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

struct engine_proc {
    struct spawn_child child; /* child.pid 0: not running */
    int fd;
};

#define ENGINE_PROC_INIT {SPAWN_CHILD_INIT, -1}

/* Starts the child: it launches the appliance and checks that it sees the
 * volume groups the program wrote (engine_check_lvm()).
 * libguestfs's temporary files go into scratch (an existing folder); its
 * messages go to ctx's log, and ctx's environment entries are the
 * child's (ctx may be NULL). */
int engine_proc_start(struct engine_proc *p, const struct plan *plan, const char *os_img,
                      const char *app_img, bool use_kvm, const char *scratch,
                      const struct spawn_ctx *ctx, struct ab_error *err);

/* Waits until the appliance is up and has checked the volume groups (or
 * has failed). */
int engine_proc_ready(struct engine_proc *p, struct ab_error *err);

/* Makes the xfs filesystem of plan->mounts[mount] from the tar archive. */
int engine_proc_xfs(struct engine_proc *p, size_t mount, const char *tar, struct ab_error *err);

/* Shuts the appliance down cleanly and reaps the child. */
int engine_proc_finish(struct engine_proc *p, struct ab_error *err);

/* Stops the child and its appliance now; safe in every state. */
void engine_proc_kill(struct engine_proc *p);

#endif
