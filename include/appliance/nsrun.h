/* nsrun.h: commands that need a root tree's /proc, /sys and /dev (a
 * chroot of the tree, or dnf filling a new root), run in a private mount
 * namespace.
 *
 * The command's process enters a mount namespace of its own between fork
 * and exec (unshare(2), propagation private) and mounts there, with
 * system calls and no helper process (spawn_opts.prepare): the
 * tree's /proc (procfs, /proc/sys read-only), /sys (sysfs, read-only) and
 * /dev (a tmpfs with null, zero, full, random, urandom, tty, pts/, shm/ and
 * the fd links) are mounted in that namespace only, so nothing is ever
 * mounted in the host's and the mounts end with the command, whatever
 * happens to it: no unmount can fail and leave the host's /dev in the
 * tree. /proc, /sys and /dev must be real folders of the tree (made when
 * absent; a link or a file there is refused), so no mount is sent outside
 * it. The command's failure is reported under its own name. */
#ifndef APPLIANCE_NSRUN_H
#define APPLIANCE_NSRUN_H

#include <stdbool.h>

#include "appliance/error.h"
#include "appliance/spawn.h"

enum nsrun_where {
    NSRUN_CHROOT, /* argv runs chrooted into the tree (PATH searched there) */
    NSRUN_HOST,   /* argv is a host program working on the tree (dnf --installroot) */
};

/* What the namespace holds, for the cache keys of trees made in it (dnf's):
 * a change to the mounts below changes this text. */
#define NSRUN_MOUNTS                                                                               \
    "nsrun 2: proc (nosuid,nodev,noexec) or the host's bound; sysfs ro or the host's bound ro; "  \
    "/proc/sys bound ro; dev tmpfs mode=0755 with null zero full random urandom tty (made or "    \
    "bound), pts, shm (1777) and the fd links"

/* Runs argv as spawn_run would (opts as there; opts->chroot must be NULL,
 * opts->cwd is not supported), with the tree root's /proc, /sys and /dev
 * in a private mount namespace. */
int nsrun(const char *root, enum nsrun_where where, const char *const *argv,
          const struct spawn_opts *opts, struct ab_error *err);

/* Runs argv in a private mount namespace of its own and nothing more
 * (mmdebstrap, which mounts /proc, /sys and /dev in the tree it makes:
 * those mounts stay in that namespace). Failures named after argv[0]. */
int nsrun_private(const char *const *argv, const struct spawn_opts *opts, struct ab_error *err);

/* Runs templates/NAME (a host-side shell script) with args ($1, $2, ...)
 * as spawn_run would (opts as there), with private_mounts in a private
 * mount namespace of its own: what it mounts is unmounted when it ends,
 * however it ends. Failures named after the template. */
int nsrun_script(const char *name, const char *const *args, bool private_mounts,
                 const struct spawn_opts *opts, struct ab_error *err);

/* nsrun(root, NSRUN_CHROOT, ...) of the arguments, no other options but
 * ctx (may be NULL): what spawn_chroot was for. */
int nsrun_chroot(const struct spawn_ctx *ctx, const char *root, struct ab_error *err,
                 const char *first, ...) __attribute__((sentinel));

#endif
