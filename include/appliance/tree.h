/* tree.h: the root tree on the host: extracted, then split into one
 * folder per filesystem of the plan. */
#ifndef APPLIANCE_TREE_H
#define APPLIANCE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

/* A tree holds no device node: the archive's character and block
 * devices (mmdebstrap's /dev/null, /dev/console, ...) are left out of the
 * tree and so of every image, whose /dev is the kernel's devtmpfs from
 * the initramfs on. A build without root (userns.h) cannot make them, and
 * the bytes of its images are a root build's. */

/* Extracts a tar archive (plain, gz, xz, zst) into dir with owners,
 * modes, times, ACLs and xattrs, but no device node. An entry that would
 * land outside dir ('..', an absolute name, a write through a symbolic
 * link) is refused: `what` names the archive in the message. *newest
 * (when not NULL) gets the newest modification time among the members (0
 * for none): the build's SOURCE_DATE_EPOCH when the environment gives
 * none (epoch.h). */
int tree_extract(const char *archive, const char *dir, const char *what, int64_t *newest,
                 struct ab_error *err);

/* *newest: the newest modification time among the members of archive (0
 * for none), read from their headers only: what tree_extract gives, for a
 * tree that is not extracted (the overlay's). *devices (when not NULL):
 * the names of its device nodes, NULL-terminated, or NULL for none; the
 * caller frees it (ab_strv_free). */
int tree_archive_newest(const char *archive, const char *what, int64_t *newest, char ***devices,
                        struct ab_error *err);

/* Removes from the tree at root each of devices (archive member names)
 * that is a device node there: those of a cached tree unpacked before
 * trees held none, hidden by the overlay's whiteouts. */
int tree_drop_devices(const char *root, char *const *devices, struct ab_error *err);

/* The newest kernel in root/boot (the part after "vmlinuz-"). */
int tree_kernel_version(const char *root, char *out, size_t size, struct ab_error *err);

/* Moves each mounted subtree but "/" out of root into fsdir/m<i> (i its
 * index in plan->mounts), deepest first, leaving an empty mount point of
 * the same owner and mode. Folders that did not exist are created empty.
 * paths[i] receives the folder of mount i ("/" is root itself). */
int tree_split(const struct plan *plan, const char *root, const char *fsdir, char **paths,
               struct ab_error *err);

/* ---- the tree through overlayfs (tree_mount.c) ----------------------------
 *
 * A warm build does not extract its root tree: the cache keeps it unpacked
 * (cache_unpacked_tree), read-only below an overlay whose upper layer is
 * in the build's scratch folder, and each filesystem's folder is a bind
 * mount of the merged tree with the mounts below it hidden by empty
 * folders. Every mount is made in the build's private mount namespace:
 * none reaches the host, and all vanish with the build's process. */

/* The mounts made, unmounted in reverse order by tree_unmount. */
struct tree_mounts {
    char **paths;
    size_t n, cap;
};

/* Moves the calling thread, and the threads and processes it starts from
 * now on, into a private mount namespace. 0, or -1 with errno (EPERM
 * without CAP_SYS_ADMIN): then nothing changed. */
int tree_private_namespace(void);

/* Mounts lower (read-only) under an overlay at merged, its upper layer and
 * work folder made in work. */
int tree_overlay(struct tree_mounts *mt, const char *lower, const char *work, const char *merged,
                 struct ab_error *err);

/* What tree_split gives, without moving anything: paths[i] = fsdir/m<i>,
 * a bind mount of mount i's folder in root, where each mount of the plan
 * nearest below it is hidden by an empty folder of the same owner, mode
 * and times (on a tmpfs mounted on fsdir, so that its binds are noatime
 * in a user namespace too). A mount point must be a folder reached
 * through folders only (no symbolic link); one that does not exist is
 * made. */
int tree_views(struct tree_mounts *mt, const struct plan *plan, const char *root, const char *fsdir,
               char **paths, struct ab_error *err);

/* Detaches every mount of mt, the last first; mt may be reused. */
void tree_unmount(struct tree_mounts *mt);

#endif
