/* new_identity.c: a clone's machine-id and SSH host keys cleared in
 * place through libext2fs (diskread.h). Everything that could stop the
 * edit is checked before the first byte is written. */
#include "appliance/diskread.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "reader.h"

#define MACHINE_ID "/etc/machine-id"
#define DBUS_DIR "/var/lib/dbus"
#define DBUS_ID DBUS_DIR "/machine-id"
#define SSH_DIR "/etc/ssh"

static int cannot(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
cannot(char **why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(why, fmt, ap) < 0)
        *why = NULL;
    va_end(ap);
    return 0;
}

/* The OS disk's root: the first root on drive 0. */
static struct dvol *
find_root(struct reader *r, char **why)
{
    const char *other = NULL;
    for (size_t i = 0; i < r->n_vols; i++) {
        struct dvol *v = r->vols[i];
        if (v->v.n_ext == 0 || v->v.ext[0].image != r->images[0])
            continue;
        if (reader_is_root(r, v))
            return v;
        if (v->has_fs && strncmp(v->probe.type, "ext", 3) != 0 && strcmp(v->probe.type, "swap") &&
            strcmp(v->probe.type, "vfat") && !other)
            other = v->v.device;
    }
    if (other)
        cannot(why, "the OS disk's root may be %s (%s), whose files are not edited on the host",
               other, reader_vol(r, other)->probe.type);
    else
        cannot(why, "no Linux root filesystem (ext2/3/4 with /etc/fstab) on the OS disk");
    return NULL;
}

/* Whether the filesystem holding path's folder can be edited here: 1, 0
 * with *why, -1 on an error. A missing folder needs no edit. */
static int
editable(struct guest_tree *t, const char *path, char **why, struct ab_error *err)
{
    struct tree_fs *fs = NULL;
    int r = tree_fs_of(t, path, &fs, err);
    if (r == TREE_ERROR)
        return -1;
    if (r == TREE_MISSING)
        return 1;
    if (r == TREE_UNREADABLE || !fs->fs)
        return cannot(why, "%s is on %s (%s), whose files are not edited on the host", path,
                      fs->device, fs->type);
    const struct ext2_super_block *sb = fs->fs->super;
    if (sb->s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER)
        return cannot(why,
                      "%s is on %s, whose journal needs replaying (the guest was not shut "
                      "down cleanly)",
                      path, fs->device);
    if (sb->s_state & EXT2_ERROR_FS)
        return cannot(why, "%s is on %s, which has errors (e2fsck it first)", path, fs->device);
    if (!(fs->fs->flags & EXT2_FLAG_RW))
        return ab_build_error(err, 0,
                              "%s is on %s, on the application disk, which a clone "
                              "does not change",
                              path, fs->device);
    return 1;
}

static int
check(int r, const char *path, struct ab_error *err)
{
    if (r == TREE_UNREADABLE)
        return ab_build_error(err, 0, "'%s' cannot be edited on the host", path);
    return r;
}

static int
clear_machine_id(struct guest_tree *t, struct diskread_identity *res, struct ab_error *err)
{
    struct tree_node n;
    int r = check(tree_lookup(t, MACHINE_ID, false, &n, err), MACHINE_ID, err);
    if (r == TREE_FOUND && LINUX_S_ISREG(n.inode.i_mode))
        return check(tree_truncate(t, MACHINE_ID, &res->machine_id_was_set, err), MACHINE_ID, err);
    if (r == TREE_FOUND)
        r = check(tree_unlink(t, MACHINE_ID, err), MACHINE_ID, err);
    if (r < 0)
        return -1;
    /* as the appliance leaves it: an empty file, read-only for all */
    return check(tree_create_empty(t, MACHINE_ID, 0444, err), MACHINE_ID, err);
}

static int
link_dbus_id(struct guest_tree *t, struct diskread_identity *res, struct ab_error *err)
{
    struct tree_node n;
    CLEANUP_FREE char *target = NULL;
    int r = check(tree_lookup(t, DBUS_DIR, true, &n, err), DBUS_DIR, err);
    if (r != TREE_FOUND || !LINUX_S_ISDIR(n.inode.i_mode))
        return r < 0 ? -1 : 0;
    r = check(tree_readlink(t, DBUS_ID, &target, err), DBUS_ID, err);
    if (r < 0)
        return -1;
    if (r == TREE_FOUND && strcmp(target, MACHINE_ID) == 0)
        return 0;
    r = check(tree_unlink(t, DBUS_ID, err), DBUS_ID, err);
    if (r < 0 || check(tree_symlink(t, DBUS_ID, MACHINE_ID, err), DBUS_ID, err) < 0)
        return -1;
    res->dbus_linked = true;
    return 0;
}

static int
remove_host_keys(struct guest_tree *t, struct diskread_identity *res, struct ab_error *err)
{
    CLEANUP_STRV char **names = NULL;
    int r = check(tree_list(t, SSH_DIR, &names, err), SSH_DIR, err);
    if (r != TREE_FOUND)
        return r < 0 ? -1 : 0;
    for (size_t i = 0; names[i]; i++) {
        CLEANUP_FREE char *path = NULL;
        if (strncmp(names[i], "ssh_host_", 9) != 0)
            continue;
        if (asprintf(&path, SSH_DIR "/%s", names[i]) < 0)
            return ab_oom(err);
        if (check(tree_unlink(t, path, err), path, err) < 0)
            return -1;
        res->host_keys_removed++;
    }
    return 0;
}

/* Checks, then edits. */
static int
edit(struct reader *r, struct diskread_identity *res, char **why, struct ab_error *err)
{
    struct dvol *root = find_root(r, why);
    if (!root)
        return 0;
    struct guest_tree t = {0};
    CLEANUP_STRV char **mounts = NULL;
    static const char *const paths[] = {MACHINE_ID, DBUS_ID, SSH_DIR "/ssh_host_"};
    int rc = reader_tree(r, root, &t, &mounts, err) < 0 ? -1 : 1;
    for (size_t i = 0; rc > 0 && i < sizeof(paths) / sizeof(paths[0]); i++)
        rc = editable(&t, paths[i], why, err);
    if (rc > 0 && (clear_machine_id(&t, res, err) < 0 || link_dbus_id(&t, res, err) < 0 ||
                   remove_host_keys(&t, res, err) < 0))
        rc = -1;
    tree_release(&t);
    return rc;
}

int
diskread_new_identity(const char *os_raw, const char *app, const char *app_format, int64_t now,
                      const struct spawn_ctx *spawn, struct diskread_identity *res, char **why,
                      struct ab_error *err)
{
    const struct inspect_drive drives[2] = {{os_raw, "raw", "the OS disk", 0},
                                            {app, app_format, "the application disk", 0}};
    struct reader r = {.drives = drives,
                       .n_drives = 2,
                       .spawn = spawn,
                       .write_first = true,
                       .now = now > 0 ? now : 1};
    *res = (struct diskread_identity){0};
    *why = NULL;
    int rc = reader_open(&r, err);
    if (rc == 0) {
        *why = r.why;
        r.why = NULL;
    }
    if (rc > 0)
        rc = edit(&r, res, why, err);
    inspect_guest_free(r.g);
    r.g = NULL;
    if (reader_close(&r, rc < 0 ? NULL : err) < 0)
        rc = -1;
    if (rc == 0 && !*why)
        *why = strdup("the OS disk is not edited on the host");
    return rc;
}
