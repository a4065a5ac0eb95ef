/* userns.h: a build without root, in a user namespace of its own.
 *
 * A user who is not root builds as root of a new user namespace: the
 * user's own uid and gid are 0 there, and ids 1 up to the size of the
 * user's subordinate range (/etc/subuid, /etc/subgid) are that range, so
 * that a tree's files keep the owners they have in the image (root's
 * system files, the recipe's users, nobody). The maps are written by
 * newuidmap and newgidmap (the uidmap package), the one setuid helper:
 * the program has none of its own. Files the build writes outside its
 * tree (the output, the cache, the scratch folder) belong to the user. */
#ifndef APPLIANCE_USERNS_H
#define APPLIANCE_USERNS_H

#include <stdbool.h>

#include "appliance/error.h"
#include "appliance/spawn.h"

/* The ids a tree's owners take, 0 to 65535 (65534 is nobody): the
 * subordinate range must hold 1 to 65535 of them. */
#define USERNS_IDS 65536UL

struct userns_range {
    unsigned long start, count;
};

/* The first range of text (the lines of /etc/subuid or /etc/subgid,
 * NAME_OR_ID:START:COUNT) given to name or to id that holds at least
 * USERNS_IDS - 1 ids: 1 with *r set, 0 when there is none. */
int userns_subid_range(const char *text, const char *name, unsigned long id,
                       struct userns_range *r);

/* Moves this process, which must have one thread and must not be root,
 * into a new user namespace where it is uid 0 and gid 0 with every
 * capability. -1 when it cannot, with one line per cause, each naming
 * the fix: user namespaces off (kernel.unprivileged_userns_clone,
 * user.max_user_namespaces, AppArmor's restriction), newuidmap or
 * newgidmap missing, no subordinate range for the user, or what
 * unshare(2) or the map helpers said. Only a failure of the helpers
 * leaves the process in a namespace (without its maps): it is then fit
 * for nothing but reporting the error and exiting. */
int userns_enter(const struct spawn_ctx *ctx, struct ab_error *err);

/* How the ids of a user namespace's uid_map or gid_map text (its lines
 * INNER OUTER COUNT) run from 0: the number of ids 0, 1, 2... mapped
 * without a gap (0 when 0 is not mapped). */
unsigned long userns_ids_from_zero(const char *map_text);

/* The map that gives a nested namespace ids 0 to ids - 1 as the same ids
 * of this one, written into out (size bytes): one line per line of
 * map_text (this namespace's own map) that holds some of them, since
 * the kernel maps each line of a new map inside one line of its parent's
 * (rootless podman's container has two: its user, then the subordinate
 * range). The length written, or -1 when out is too small. */
int userns_identity_map(const char *map_text, unsigned long ids, char *out, size_t size);

/* What a build needs before it can mount and chroot. */
enum userns_need {
    USERNS_NONE,           /* root with CAP_SYS_ADMIN: the host's root */
    USERNS_USER,           /* a user: the subordinate ids, newuidmap */
    USERNS_CONTAINER_ROOT, /* root of a container's user namespace without
                            * CAP_SYS_ADMIN (rootless podman, docker,
                            * a pod): a nested namespace whose ids are the
                            * container's own 0 to 65535, mapped by the
                            * build itself with CAP_SETUID and CAP_SETGID */
};
enum userns_need userns_needed(void);

/* Moves this process, root of a container's user namespace without
 * CAP_SYS_ADMIN, into a nested one with every capability, where ids 0 to
 * 65535 are the container's 0 to 65535. -1 with one line naming what the
 * container lacks: user namespaces (a seccomp profile that forbids
 * unshare), CAP_SETUID and CAP_SETGID, or 65536 ids. */
int userns_enter_nested(const struct spawn_ctx *ctx, struct ab_error *err);

/* Moves this process, root of the host, into a new user namespace where
 * every id is itself, with every capability there: a cross build's,
 * which mounts a binfmt_misc of its own there (binfmt.h) that the host
 * never sees. -1 with the kernel's reason. */
int userns_enter_identity(const struct spawn_ctx *ctx, struct ab_error *err);

/* True when this process is in a user namespace other than the host's
 * initial one: root there, if at all, but not of the host, even where
 * every id is mapped to itself (a cross build's: binfmt.h). */
bool userns_inside(void);

#endif
