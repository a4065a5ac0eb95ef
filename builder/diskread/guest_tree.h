/* guest_tree.h: a guest's files, its filesystems put together as its
 * fstab mounts them, read (and for a clone, edited) through libext2fs
 * (builder/diskread/guest_tree.c).
 *
 * Paths are the guest's: resolved component by component from its root,
 * crossing into a mounted filesystem where a mount point is reached, a
 * symbolic link followed inside the guest (an absolute target from the
 * guest's root, never the host's), at most 40 links in a path. A
 * filesystem libext2fs does not read (xfs, vfat) is in the tree all the
 * same: a path that reaches into it is TREE_UNREADABLE, and the tree
 * says which one (blocked). */
#ifndef DISKREAD_GUEST_TREE_H
#define DISKREAD_GUEST_TREE_H

#include <ext2fs/ext2fs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"

/* One filesystem of the guest. */
struct tree_fs {
    const char *device; /* as the report names it: "/dev/vg_os/root" */
    const char *type;   /* "ext4", "xfs", ... */
    ext2_filsys fs;     /* NULL: not readable on the host */
};

struct tree_mount {
    char *path; /* "/", "/var/log": no trailing slash but the root's */
    struct tree_fs *fs;
};

struct guest_tree {
    struct tree_mount *mounts;
    size_t n_mounts;
    const struct tree_fs *blocked; /* the filesystem the last TREE_UNREADABLE met */
};

enum tree_result {
    TREE_ERROR = -1,     /* err says why */
    TREE_MISSING = 0,    /* no such path (or a component is no folder) */
    TREE_FOUND = 1,      /* what was asked */
    TREE_UNREADABLE = 2, /* the path reaches into a filesystem not read here */
};

/* Adds a mount (path copied): -1 out of memory. */
int tree_mount(struct guest_tree *t, const char *path, struct tree_fs *fs, struct ab_error *err);

void tree_release(struct guest_tree *t);

/* What a path is. */
struct tree_node {
    struct tree_fs *fs;
    ext2_ino_t ino;
    struct ext2_inode inode;
};

/* Finds path; follow: a symbolic link at its end is followed too. */
int tree_lookup(struct guest_tree *t, const char *path, bool follow, struct tree_node *out,
                struct ab_error *err);

/* A regular file's bytes (following links), NUL-terminated, at most max
 * of them (longer: TREE_ERROR). Not a regular file: TREE_MISSING. */
int tree_read_file(struct guest_tree *t, const char *path, size_t max, char **data, size_t *len,
                   struct ab_error *err);

/* Up to n first bytes of a regular file (following links) into buf;
 * *got how many. Not a regular file: TREE_MISSING. */
int tree_read_head(struct guest_tree *t, const char *path, void *buf, size_t n, size_t *got,
                   struct ab_error *err);

/* A symbolic link's target (not followed). Not a link: TREE_MISSING. */
int tree_readlink(struct guest_tree *t, const char *path, char **target, struct ab_error *err);

/* The names in a folder (following links), sorted, without "." and
 * "..", NULL-terminated. */
int tree_list(struct guest_tree *t, const char *dir, char ***names, struct ab_error *err);

/* ---- edits (the filesystem open read-write) ---- */

/* Truncates a regular file (not followed) to zero bytes; *was_set: it
 * held any. */
int tree_truncate(struct guest_tree *t, const char *path, bool *was_set, struct ab_error *err);

/* Removes a file or link (not a folder): its blocks and inode freed when
 * it was the last link. TREE_MISSING when there was none. */
int tree_unlink(struct guest_tree *t, const char *path, struct ab_error *err);

/* Makes path an empty regular file of mode (owned by root). */
int tree_create_empty(struct guest_tree *t, const char *path, unsigned mode, struct ab_error *err);

/* The filesystem holding path's folder (following links) into *fs:
 * TREE_FOUND, or what the lookup gave. */
int tree_fs_of(struct guest_tree *t, const char *path, struct tree_fs **fs, struct ab_error *err);

/* Makes path a symbolic link to target (path must not exist). */
int tree_symlink(struct guest_tree *t, const char *path, const char *target, struct ab_error *err);

#endif
