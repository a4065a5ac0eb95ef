/* inroot.h: paths inside a root tree, resolved as the tree's own root would.
 *
 * A root tree from outside (a `rootfs:` archive) is hostile: any folder in
 * it may be a symbolic link out of it (`etc/systemd -> /etc/systemd`,
 * `usr -> ../../..`). Every path handed to these functions is resolved by
 * openat2(2) with RESOLVE_IN_ROOT on a descriptor of the tree's root: an
 * absolute link or a `..` jumps to the tree's root, never above it, just as
 * they would for the tree's own programs in a chroot. Magic links
 * (/proc/self/...) are refused. The last component of a path that is
 * written (a file, a link, a removal) is never followed: whatever is there
 * is replaced or removed, not what it points at.
 *
 * Paths are absolute in the tree ("/etc/fstab"); a relative one means the
 * same. Every function returns 0 (or a descriptor) or -1 with err set;
 * a symbolic link loop is reported as such (ELOOP). */
#ifndef APPLIANCE_INROOT_H
#define APPLIANCE_INROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "appliance/error.h"

/* The tree at root (a host path, trusted: the build's own folder) as an
 * O_PATH descriptor, the anchor of the other calls. */
int inroot_open_root(const char *root, struct ab_error *err);

/* openat(2) of path in the tree (flags as for open, O_CLOEXEC added; with
 * O_CREAT the last component may be a link, which is followed inside the
 * tree: use inroot_create to replace one). Returns the descriptor. */
int inroot_open(int rootfd, const char *path, int flags, mode_t mode, struct ab_error *err);

/* Like inroot_open without an error: -1 with errno (ENOENT, ELOOP, ...). */
int inroot_open_quiet(int rootfd, const char *path, int flags);

/* True when path exists in the tree (links followed inside it); with
 * st, its stat. */
bool inroot_exists(int rootfd, const char *path, struct stat *st);

/* fopen(path, "r") in the tree; NULL with errno. */
FILE *inroot_fopen_read(int rootfd, const char *path);

/* mkdir -p of path in the tree: the folders made have mode (those
 * between, 0755). An existing link to a folder (inside the tree) counts
 * as that folder; a link to nothing is an error, as for mkdir -p in a
 * chroot: its target is not made. */
int inroot_mkdir_p(int rootfd, const char *path, mode_t mode, struct ab_error *err);

/* The folder holding path's last component, made (mkdir -p, 0755) when
 * make, as an O_PATH descriptor; *leaf points at that last component in
 * path. A path whose last component is "", "." or ".." is refused. */
int inroot_parent(int rootfd, const char *path, bool make, const char **leaf, struct ab_error *err);

/* A new regular file at path opened for writing, mode; its folders made.
 * What was at path (a file, a link: never followed) is removed first; a
 * folder there is an error (EISDIR). */
int inroot_create(int rootfd, const char *path, mode_t mode, struct ab_error *err);

/* inroot_create with len bytes of data, closed and checked. */
int inroot_write(int rootfd, const char *path, const void *data, size_t len, mode_t mode,
                 struct ab_error *err);

/* A symbolic link at path to target (not resolved: it is the tree's
 * business), replacing a file or link there. */
int inroot_symlink(int rootfd, const char *target, const char *path, struct ab_error *err);

/* rm -rf of path's last component in the tree: never follows a link
 * (removes it), never crosses into another mount; absent is fine. */
int inroot_remove(int rootfd, const char *path, struct ab_error *err);

/* Removes what pattern matches in the tree. Only its last component may
 * hold wildcards (fnmatch(3), a leading '.' matched only explicitly, as
 * glob(3) does); its folder is resolved in the tree, absent is fine.
 * Each match is removed as by inroot_remove. */
int inroot_remove_glob(int rootfd, const char *pattern, struct ab_error *err);

/* Copies what srcfd is open on (O_RDONLY; a host file or folder, trusted,
 * or one opened in a tree) to path in the tree, as `cp -a` would without
 * owners: a folder's contents are merged into the folder path (made, and
 * given the source folder's mode and times), a file replaces path.
 * Links in the source are copied as links; in the destination, links
 * below path are never followed but replaced. Files made are the caller's
 * (root's); modes, times and device numbers are kept. */
int inroot_copy(int srcfd, int rootfd, const char *path, struct ab_error *err);

/* Copies the file path in the tree to host_path (a host file, replaced). */
int inroot_copy_out(int rootfd, const char *path, const char *host_path, struct ab_error *err);

/* /proc, /sys and /dev of the tree, ready to be mounted on: each must be
 * a real folder in the tree (made when absent); a link or a file there is
 * refused, so that no mount can be sent elsewhere. */
int inroot_api_dirs(int rootfd, struct ab_error *err);

#endif
