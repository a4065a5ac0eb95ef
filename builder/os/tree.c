/* tree.c: the root tree on the host. */
#include "appliance/tree.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"

/* A member name that stays inside the root: relative, no '..'. */
static bool
member_name_safe(const char *name)
{
    if (name[0] == '/')
        return false;
    for (const char *c = name; *c;) {
        size_t l = strcspn(c, "/");
        if (l == 2 && c[0] == '.' && c[1] == '.')
            return false;
        c += l;
        while (*c == '/')
            c++;
    }
    return true;
}

/* Rewrites the entry's name (and hard link target) to dir/name. */
static int
place_entry(struct archive_entry *e, const char *dir, const char *what, struct ab_error *err)
{
    const char *name = archive_entry_pathname(e);
    const char *link = archive_entry_hardlink(e);
    CLEANUP_FREE char *full = NULL, *full_link = NULL;

    if (!name || !member_name_safe(name))
        return ab_build_error(err, 0, "%s: entry '%s' escapes the root: refused", what,
                              name ? name : "?");
    if (link && !member_name_safe(link))
        return ab_build_error(err, 0, "%s: hard link '%s' -> '%s' escapes the root: refused", what,
                              name, link);
    if (asprintf(&full, "%s/%s", dir, name) < 0 ||
        (link && asprintf(&full_link, "%s/%s", dir, link) < 0))
        return ab_oom(err);
    archive_entry_copy_pathname(e, full);
    if (link)
        archive_entry_copy_hardlink(e, full_link);
    return 0;
}

static int
copy_data(struct archive *in, struct archive *out)
{
    const void *buf;
    size_t size;
    la_int64_t offset;
    for (;;) {
        int r = archive_read_data_block(in, &buf, &size, &offset);
        if (r == ARCHIVE_EOF)
            return ARCHIVE_OK;
        if (r < ARCHIVE_OK)
            return r;
        if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_OK)
            return ARCHIVE_FATAL;
    }
}

/* libarchive's message, with the system's reason when it leaves it out:
 * its disk writer says "Write failed" for a full disk. EILSEQ and EINVAL
 * are its own codes for a bad archive and a misuse, not the system's. */
static const char *
archive_why(struct archive *a, char *buf, size_t size)
{
    const char *msg = archive_error_string(a);
    int e = archive_errno(a);
    if (!msg)
        msg = "unknown error";
    if (e <= 0 || e == EILSEQ || e == EINVAL || strstr(msg, strerror(e)))
        return msg;
    snprintf(buf, size, "%s: %s", msg, strerror(e));
    return buf;
}

/* Device nodes are left out of every tree (tree.h). */
static bool
is_device(struct archive_entry *e)
{
    mode_t type = archive_entry_filetype(e);
    return type == AE_IFCHR || type == AE_IFBLK;
}

static int
extract_all(struct archive *in, struct archive *out, const char *dir, const char *what,
            int64_t *newest, struct ab_error *err)
{
    struct archive_entry *e;
    char why[512];
    for (;;) {
        int r = archive_read_next_header(in, &e);
        if (r == ARCHIVE_EOF)
            return 0;
        if (stop_requested())
            return ab_build_error(err, EINTR, "interrupted");
        if (r < ARCHIVE_WARN)
            return ab_build_error(err, 0, "%s: %s", what, archive_error_string(in));
        if (archive_entry_mtime_is_set(e) && (int64_t)archive_entry_mtime(e) > *newest)
            *newest = (int64_t)archive_entry_mtime(e);
        if (is_device(e))
            continue;
        if (place_entry(e, dir, what, err) < 0)
            return -1;
        r = archive_write_header(out, e);
        if (r < ARCHIVE_WARN)
            return ab_build_error(err, 0, "%s: '%s': %s", what,
                                  archive_entry_pathname(e) + strlen(dir) + 1,
                                  archive_why(out, why, sizeof(why)));
        if (archive_entry_size(e) > 0 && copy_data(in, out) < ARCHIVE_OK)
            return ab_build_error(err, 0, "%s: '%s': %s", what,
                                  archive_entry_pathname(e) + strlen(dir) + 1,
                                  archive_why(archive_errno(in) ? in : out, why, sizeof(why)));
        if (archive_write_finish_entry(out) < ARCHIVE_WARN)
            return ab_build_error(err, 0, "%s: %s", what, archive_why(out, why, sizeof(why)));
    }
}

int
tree_extract(const char *archive, const char *dir, const char *what, int64_t *newest,
             struct ab_error *err)
{
    int64_t ignored = 0;
    if (!newest)
        newest = &ignored;
    *newest = 0;
    /* Entries are written as dir/name, and libarchive refuses any symbolic
     * link on that whole path: the host's own (a linked /home or /var/tmp)
     * must be resolved first, so that only the tree's links count. */
    CLEANUP_FREE char *real = realpath(dir, NULL);
    if (!real)
        return ab_build_error(err, errno, "%s: cannot extract into '%s': %s", what, dir,
                              strerror(errno));
    struct archive *in = archive_read_new();
    struct archive *out = archive_write_disk_new();
    int ret = -1;

    if (!in || !out) {
        ab_oom(err);
        goto done;
    }
    archive_read_support_filter_all(in);
    archive_read_support_format_tar(in);
    archive_read_support_format_gnutar(in);
    archive_write_disk_set_options(out, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                            ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_ACL |
                                            ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_FFLAGS |
                                            ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                            ARCHIVE_EXTRACT_SECURE_NODOTDOT);
    archive_write_disk_set_standard_lookup(out);
    if (archive_read_open_filename(in, archive, 1 << 20) != ARCHIVE_OK) {
        ab_build_error(err, 0, "%s: %s", what, archive_error_string(in));
        goto done;
    }
    ret = extract_all(in, out, real, what, newest, err);
    char why[512];
    if (ret == 0 && archive_write_close(out) != ARCHIVE_OK)
        ret = ab_build_error(err, 0, "%s: %s", what, archive_why(out, why, sizeof(why)));
done:
    archive_read_free(in);
    archive_write_free(out);
    return ret;
}

/* Appends the entry's name to *devices (of *n). */
static int
add_device(char ***devices, size_t *n, struct archive_entry *e, struct ab_error *err)
{
    const char *name = archive_entry_pathname(e);
    char **grown = realloc(*devices, (*n + 2) * sizeof(char *));
    if (!grown)
        return ab_oom(err);
    *devices = grown;
    if (!name || !(grown[*n] = strdup(name)))
        return ab_oom(err);
    grown[++*n] = NULL;
    return 0;
}

int
tree_archive_newest(const char *archive, const char *what, int64_t *newest, char ***devices,
                    struct ab_error *err)
{
    struct archive *in = archive_read_new();
    struct archive_entry *e;
    size_t n_devices = 0;
    int ret = -1;
    *newest = 0;
    if (devices)
        *devices = NULL;
    if (!in)
        return ab_oom(err);
    archive_read_support_filter_all(in);
    archive_read_support_format_tar(in);
    archive_read_support_format_gnutar(in);
    if (archive_read_open_filename(in, archive, 1 << 20) != ARCHIVE_OK) {
        ab_build_error(err, 0, "%s: %s", what, archive_error_string(in));
        goto done;
    }
    /* Headers only: the members' data is skipped (seeked over in a plain
     * tar), never read. */
    for (;;) {
        int r = archive_read_next_header(in, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (stop_requested()) {
            ab_build_error(err, EINTR, "interrupted");
            goto done;
        }
        if (r < ARCHIVE_WARN) {
            ab_build_error(err, 0, "%s: %s", what, archive_error_string(in));
            goto done;
        }
        if (archive_entry_mtime_is_set(e) && (int64_t)archive_entry_mtime(e) > *newest)
            *newest = (int64_t)archive_entry_mtime(e);
        if (devices && is_device(e) && add_device(devices, &n_devices, e, err) < 0)
            goto done;
    }
    ret = 0;
done:
    archive_read_free(in);
    if (ret < 0 && devices) {
        ab_strv_free(*devices);
        *devices = NULL;
    }
    return ret;
}

int
tree_drop_devices(const char *root, char *const *devices, struct ab_error *err)
{
    CLEANUP_CLOSE int rootfd = -1;
    for (char *const *d = devices; d && *d; d++) {
        CLEANUP_FREE char *parent = strdup(*d);
        if (!parent)
            return ab_oom(err);
        char *slash = strrchr(parent, '/');
        const char *leaf = slash ? slash + 1 : parent;
        if (!*leaf || strcmp(leaf, ".") == 0 || strcmp(leaf, "..") == 0)
            continue;
        if (slash)
            *slash = '\0';
        if (rootfd < 0 && (rootfd = inroot_open_root(root, err)) < 0)
            return -1;
        /* Resolved in the tree; a folder that is gone took its node along. */
        CLEANUP_CLOSE int dir =
            inroot_open_quiet(rootfd, slash && *parent ? parent : ".", O_PATH | O_DIRECTORY);
        struct stat st;
        if (dir < 0 || fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
            continue;
        if (unlinkat(dir, leaf, 0) < 0)
            return ab_build_error(err, errno, "cannot leave out the device node '%s': %s", *d,
                                  strerror(errno));
    }
    return 0;
}

/* Compares kernel versions the way sort -V would, near enough. */
static int
version_cmp(const struct dirent **a, const struct dirent **b)
{
    return strverscmp((*a)->d_name, (*b)->d_name);
}

static int
is_kernel(const struct dirent *d)
{
    return strncmp(d->d_name, "vmlinuz-", 8) == 0;
}

int
tree_kernel_version(const char *root, char *out, size_t size, struct ab_error *err)
{
    struct dirent **list = NULL;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    /* The tree's /boot, resolved in the tree: read through its descriptor. */
    CLEANUP_CLOSE int boot = inroot_open_quiet(rootfd, "/boot", O_RDONLY | O_DIRECTORY);
    int n = boot >= 0 ? scandirat(boot, ".", &list, is_kernel, version_cmp) : -1;
    if (n <= 0) {
        free(list);
        return ab_build_error(err, 0, "the root tree has no kernel (no /boot/vmlinuz-*)");
    }
    int len = snprintf(out, size, "%s", list[n - 1]->d_name + 8);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    if (len < 0 || (size_t)len >= size)
        return ab_build_error(err, 0, "kernel version '%s' is too long", out);
    return 0;
}

/* Each part of mount point path that exists in the tree at src (root +
 * path) must be a folder: a symbolic link on the way (the tree's own
 * `srv -> /`, say) would send the split out of the tree, moving or making
 * the host's folders, and a link or a file cannot be mounted on. */
static int
check_mount_point(const char *src, size_t root_len, const char *path, struct ab_error *err)
{
    CLEANUP_FREE char *part = strdup(src);
    struct stat st;
    if (!part)
        return ab_oom(err);
    for (char *c = part + root_len + 1;; c++) {
        if (*c != '/' && *c != '\0')
            continue;
        char saved = *c;
        *c = '\0';
        if (lstat(part, &st) < 0) {
            if (errno == ENOENT)
                return 0; /* the rest is made as folders */
            return ab_build_error(err, errno, "cannot split '%s' out of the tree: %s", path,
                                  strerror(errno));
        }
        if (S_ISLNK(st.st_mode))
            return ab_build_error(err, 0, "mount point '%s': '%s' is a symbolic link in the tree",
                                  path, part + root_len);
        if (!S_ISDIR(st.st_mode))
            return ab_build_error(err, 0, "mount point '%s': '%s' is not a folder in the tree",
                                  path, part + root_len);
        if (!saved)
            return 0;
        *c = saved;
    }
}

/* Moves root+path to dest and leaves an empty mount point behind. */
static int
move_out(const char *root, const char *path, const char *dest, struct ab_error *err)
{
    CLEANUP_FREE char *src = NULL;
    struct stat st;
    if (asprintf(&src, "%s%s", root, path) < 0)
        return ab_oom(err);
    if (check_mount_point(src, strlen(root), path, err) < 0)
        return -1;
    if (lstat(src, &st) < 0) {
        if (mkdir(dest, 0755) < 0 || mkdir_p(src, 0755) < 0)
            return ab_build_error(err, errno, "cannot make mount point '%s': %s", path,
                                  strerror(errno));
        return 0;
    }
    if (rename(src, dest) < 0 || mkdir(src, st.st_mode & 07777) < 0 ||
        lchown(src, st.st_uid, st.st_gid) < 0 || chmod(src, st.st_mode & 07777) < 0)
        return ab_build_error(err, errno, "cannot split '%s' out of the tree: %s", path,
                              strerror(errno));
    return 0;
}

int
tree_split(const struct plan *plan, const char *root, const char *fsdir, char **paths,
           struct ab_error *err)
{
    if (mkdir(fsdir, 0755) < 0 && errno != EEXIST)
        return ab_build_error(err, errno, "cannot create '%s': %s", fsdir, strerror(errno));
    for (size_t i = plan->n_mounts; i-- > 0;) {
        const struct plan_mount *m = &plan->mounts[i];
        if (strcmp(m->path, "/") == 0) {
            if (!(paths[i] = strdup(root)))
                return ab_oom(err);
            continue;
        }
        if (asprintf(&paths[i], "%s/m%zu", fsdir, i) < 0)
            return ab_oom(err);
        if (move_out(root, m->path, paths[i], err) < 0)
            return -1;
    }
    return 0;
}

