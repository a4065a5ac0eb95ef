/* tree_mount.c: the root tree seen through overlayfs, and the folder of
 * each filesystem as a bind mount of the merged tree, all in the build's
 * private mount namespace. */
#include "appliance/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/userns.h"

int
tree_private_namespace(void)
{
    if (unshare(CLONE_NEWNS) < 0)
        return -1;
    /* Nothing mounted from now on propagates back to the host's namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -1;
    return 0;
}

static int
remember(struct tree_mounts *mt, const char *path, struct ab_error *err)
{
    if (mt->n == mt->cap) {
        size_t cap = mt->cap ? mt->cap * 2 : 8;
        char **p = realloc(mt->paths, cap * sizeof(*p));
        if (!p)
            return ab_oom(err);
        mt->paths = p, mt->cap = cap;
    }
    if (!(mt->paths[mt->n] = strdup(path)))
        return ab_oom(err);
    mt->n++;
    return 0;
}

void
tree_unmount(struct tree_mounts *mt)
{
    while (mt->n > 0) {
        char *p = mt->paths[--mt->n];
        umount2(p, MNT_DETACH);
        free(p);
    }
    free(mt->paths);
    mt->paths = NULL;
    mt->cap = 0;
}

/* The flags path's mount has (statvfs), as mount(2) takes them. */
static unsigned long
mount_flags(const char *path)
{
    static const struct {
        unsigned long st, ms;
    } map[] = {
        {ST_RDONLY, MS_RDONLY},   {ST_NOSUID, MS_NOSUID},         {ST_NODEV, MS_NODEV},
        {ST_NOEXEC, MS_NOEXEC},   {ST_NOATIME, MS_NOATIME},       {ST_NODIRATIME, MS_NODIRATIME},
        {ST_RELATIME, MS_RELATIME},
    };
    struct statvfs v;
    unsigned long f = 0;
    if (statvfs(path, &v) < 0)
        return 0;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (v.f_flag & map[i].st)
            f |= map[i].ms;
    return f & (MS_NOATIME | MS_RELATIME) ? f : f | MS_STRICTATIME;
}

/* Binds path on itself, without access times: a read there changes no
 * time that a filesystem made from it would copy. In a user namespace
 * (userns.h) a mount of the host's keeps its atime, nosuid, nodev, noexec
 * and read-only settings, which the namespace may not change: such a
 * bind keeps them, and only adds extra. That is a layer of the overlay
 * alone (the cache's tree, the scratch upper layer), which the overlay
 * reads with O_NOATIME all the same. */
static int
bind_noatime(struct tree_mounts *mt, const char *from, const char *path, unsigned long extra,
             struct ab_error *err)
{
    if (mount(from, path, NULL, MS_BIND, NULL) < 0)
        return ab_build_error(err, errno, "cannot bind '%s': %s", path, strerror(errno));
    if (remember(mt, path, err) < 0)
        return -1;
    if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_NOATIME | extra, NULL) < 0 &&
        (errno != EPERM ||
         mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | mount_flags(path) | extra, NULL) < 0))
        return ab_build_error(err, errno, "cannot make '%s' noatime: %s", path, strerror(errno));
    return 0;
}

int
tree_overlay(struct tree_mounts *mt, const char *lower, const char *work, const char *merged,
             struct ab_error *err)
{
    CLEANUP_FREE char *rw = NULL, *upper = NULL, *ovl = NULL, *opts = NULL, *ro = NULL;
    if (asprintf(&rw, "%s/rw", work) < 0 || asprintf(&upper, "%s/rw/upper", work) < 0 ||
        asprintf(&ovl, "%s/rw/ovl", work) < 0 || asprintf(&ro, "%s/lower", work) < 0)
        return ab_oom(err);
    if (strpbrk(ro, ",:") || strpbrk(upper, ",:"))
        return ab_build_error(err, 0, "overlay: a folder name holds ',' or ':'");
    /* Root of a user namespace may not set the trusted.overlay.* xattrs
     * the overlay keeps its whiteouts' folders and copies up with (it
     * then fails removals with EIO): user.overlay.* instead (Linux 5.11). */
    if (asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s%s", ro, upper, ovl,
                 userns_inside() ? ",userxattr" : "") < 0)
        return ab_oom(err);
    if ((mkdir(rw, 0755) < 0 && errno != EEXIST) || (mkdir(ro, 0755) < 0 && errno != EEXIST) ||
        (mkdir(merged, 0755) < 0 && errno != EEXIST))
        return ab_build_error(err, errno, "cannot create the overlay's folders in '%s': %s", work,
                              strerror(errno));
    /* Below the overlay, the cache's tree read-only and both layers without
     * access times: reading the tree (configure, the clamp, mke2fs -d,
     * tar) changes nothing in it, not even the atime that the overlay's
     * own reads of a folder would give it after the build clamped it. */
    if (bind_noatime(mt, lower, ro, MS_RDONLY, err) < 0 || bind_noatime(mt, rw, rw, 0, err) < 0)
        return -1;
    if ((mkdir(upper, 0755) < 0 && errno != EEXIST) || (mkdir(ovl, 0700) < 0 && errno != EEXIST))
        return ab_build_error(err, errno, "cannot create the overlay's folders in '%s': %s", rw,
                              strerror(errno));
    if (mount("overlay", merged, "overlay", MS_NOATIME, opts) < 0)
        return ab_build_error(err, errno, "cannot mount the root tree's overlay: %s",
                              strerror(errno));
    return remember(mt, merged, err);
}

/* A descriptor of folder path inside root, walked one folder at a time
 * with no symbolic link on the way (the tree's `srv -> /` would mount the
 * host's folders); folders that do not exist are made, as the mount point
 * a filesystem needs. */
static int
mount_point_fd(const char *root, const char *path, struct ab_error *err)
{
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot open '%s': %s", root, strerror(errno));
    CLEANUP_FREE char *copy = strdup(path);
    if (!copy) {
        close(fd);
        return ab_oom(err);
    }
    char *save = NULL, done[PATH_MAX] = "";
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        struct stat st;
        const char *why = NULL;
        size_t at = strlen(done);
        snprintf(done + at, sizeof(done) - at, "/%s", c);
        if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
            why = "is '.' or '..'";
        else if (fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT || (mkdirat(fd, c, 0755) < 0 && errno != EEXIST))
                why = strerror(errno);
        } else if (S_ISLNK(st.st_mode))
            why = "is a symbolic link in the tree";
        else if (!S_ISDIR(st.st_mode))
            why = "is not a folder in the tree";
        int next = why ? -1 : openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        if (next < 0)
            return ab_build_error(err, why ? 0 : errno, "mount point '%s': '%s' %s", path, done,
                                  why ? why : strerror(errno));
        fd = next;
    }
    return fd;
}

static int
bind_fd(struct tree_mounts *mt, int src, const char *target, struct ab_error *err)
{
    char from[64];
    snprintf(from, sizeof(from), "/proc/self/fd/%d", src);
    return bind_noatime(mt, from, target, 0, err);
}

/* The nearest mount of the plan above mount c, or -1. */
static long
parent_of(const struct plan *plan, size_t c)
{
    const char *cp = plan->mounts[c].path;
    long best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < plan->n_mounts; i++) {
        const char *p = plan->mounts[i].path;
        size_t n = strlen(p);
        bool above = i != c && (strcmp(p, "/") == 0 ? strcmp(cp, "/") != 0
                                                    : strncmp(cp, p, n) == 0 && cp[n] == '/');
        if (above && (best < 0 || n > best_len))
            best = (long)i, best_len = n;
    }
    return best;
}

/* Hides mount c's contents in the view of its parent with an empty folder
 * of the same owner, mode and times. */
static int
mask(const struct plan *plan, size_t c, const char *fsdir, char **paths, struct ab_error *err)
{
    long p = parent_of(plan, c);
    if (p < 0)
        return 0;
    const char *cp = plan->mounts[c].path, *pp = plan->mounts[p].path;
    const char *below = strcmp(pp, "/") == 0 ? cp : cp + strlen(pp);
    CLEANUP_FREE char *empty = NULL;
    CLEANUP_CLOSE int target = mount_point_fd(paths[p], below, err);
    struct stat st;
    if (target < 0)
        return -1;
    if (fstat(target, &st) < 0 || asprintf(&empty, "%s/e%zu", fsdir, c) < 0)
        return ab_build_error(err, errno, "mount point '%s': %s", cp, strerror(errno));
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (mkdir(empty, 0700) < 0 || chown(empty, st.st_uid, st.st_gid) < 0 ||
        chmod(empty, st.st_mode & 07777) < 0 || utimensat(AT_FDCWD, empty, times, 0) < 0)
        return ab_build_error(err, errno, "cannot make '%s': %s", empty, strerror(errno));
    CLEANUP_CLOSE int src = open(empty, O_PATH | O_DIRECTORY | O_CLOEXEC);
    char at[64];
    snprintf(at, sizeof(at), "/proc/self/fd/%d", target);
    if (src < 0)
        return ab_build_error(err, errno, "cannot open '%s': %s", empty, strerror(errno));
    char from[64];
    snprintf(from, sizeof(from), "/proc/self/fd/%d", src);
    /* Mounted through the descriptor of the folder it hides; remounted by
     * its path, which mount_point_fd just walked folder by folder. */
    CLEANUP_FREE char *hidden = NULL;
    if (asprintf(&hidden, "%s%s", paths[p], below) < 0)
        return ab_oom(err);
    if (mount(from, at, NULL, MS_BIND, NULL) < 0 ||
        mount(NULL, hidden, NULL, MS_REMOUNT | MS_BIND | MS_NOATIME, NULL) < 0)
        return ab_build_error(err, errno, "cannot hide '%s' from the filesystem of '%s': %s", cp,
                              pp, strerror(errno));
    /* Unmounted with the view it sits in (MNT_DETACH takes both). */
    return 0;
}

int
tree_views(struct tree_mounts *mt, const struct plan *plan, const char *root, const char *fsdir,
           char **paths, struct ab_error *err)
{
    if (mkdir(fsdir, 0755) < 0 && errno != EEXIST)
        return ab_build_error(err, errno, "cannot create '%s': %s", fsdir, strerror(errno));
    /* A tmpfs of the build's own, whose binds (the empty folders that hide
     * mounts) may be noatime in a user namespace too: mke2fs -d reads
     * them after their times were set. */
    if (mount("tmpfs", fsdir, "tmpfs", MS_NOATIME | MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        return ab_build_error(err, errno, "cannot mount a tmpfs on '%s': %s", fsdir,
                              strerror(errno));
    if (remember(mt, fsdir, err) < 0)
        return -1;
    for (size_t i = 0; i < plan->n_mounts; i++) {
        CLEANUP_CLOSE int src = mount_point_fd(root, plan->mounts[i].path, err);
        if (src < 0)
            return -1;
        if (asprintf(&paths[i], "%s/m%zu", fsdir, i) < 0)
            return ab_oom(err);
        if (mkdir(paths[i], 0700) < 0)
            return ab_build_error(err, errno, "cannot create '%s': %s", paths[i], strerror(errno));
        if (bind_fd(mt, src, paths[i], err) < 0)
            return -1;
    }
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (mask(plan, i, fsdir, paths, err) < 0)
            return -1;
    return 0;
}
