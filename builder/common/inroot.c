/* inroot.c: paths inside a root tree, resolved as the tree's own root would
 * (openat2 with RESOLVE_IN_ROOT; see inroot.h). */
#include "appliance/inroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "appliance/cleanup.h"

#define RESOLVE_FLAGS (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static const char *
why(int e)
{
    return e == ELOOP ? "too many levels of symbolic links (a loop?)" : strerror(e);
}

static int
fail(struct ab_error *err, int e, const char *what, const char *path)
{
    return ab_build_error(err, e, "cannot %s '%s' in the tree: %s", what, path, why(e));
}

int
inroot_open_root(const char *root, struct ab_error *err)
{
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot open the tree '%s': %s", root, strerror(errno));
    return fd;
}

/* openat2 refuses a mode unless the file may be created (O_TMPFILE holds
 * O_DIRECTORY's bit: compare it whole). */
static bool
takes_mode(int flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

int
inroot_open_quiet(int rootfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = takes_mode(flags) ? 0644 : 0,
        .resolve = RESOLVE_FLAGS,
    };
    const char *p = *path ? path : "/";
    for (;;) {
        long fd = syscall(SYS_openat2, rootfd, p, &how, sizeof(how));
        if (fd >= 0 || errno != EAGAIN)
            return (int)fd;
        /* EAGAIN: a rename raced a ".." lookup; the kernel asks to retry. */
    }
}

int
inroot_open(int rootfd, const char *path, int flags, mode_t mode, struct ab_error *err)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .mode = takes_mode(flags) ? mode : 0,
        .resolve = RESOLVE_FLAGS,
    };
    long fd;
    do
        fd = syscall(SYS_openat2, rootfd, *path ? path : "/", &how, sizeof(how));
    while (fd < 0 && errno == EAGAIN);
    if (fd < 0)
        return fail(err, errno, "open", path);
    return (int)fd;
}

bool
inroot_exists(int rootfd, const char *path, struct stat *st)
{
    CLEANUP_CLOSE int fd = inroot_open_quiet(rootfd, path, O_PATH);
    struct stat ignored;
    return fd >= 0 && fstat(fd, st ? st : &ignored) == 0;
}

FILE *
inroot_fopen_read(int rootfd, const char *path)
{
    int fd = inroot_open_quiet(rootfd, path, O_RDONLY);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "r");
    if (!f)
        close(fd);
    return f;
}

/* Splits path into its folder (malloc'd, "/" at least) and its last
 * component (in path); trailing slashes are ignored. */
static char *
split(const char *path, const char **leaf, size_t *leaf_len)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t start = n;
    while (start > 0 && path[start - 1] != '/')
        start--;
    *leaf = path + start;
    *leaf_len = n - start;
    size_t dir_len = start;
    while (dir_len > 1 && path[dir_len - 1] == '/')
        dir_len--;
    return dir_len ? strndup(path, dir_len) : strdup("/");
}

static bool
leaf_ok(const char *leaf, size_t len)
{
    return len > 0 && !(len == 1 && leaf[0] == '.') &&
           !(len == 2 && leaf[0] == '.' && leaf[1] == '.') && leaf[0] != '/';
}

/* mkdir -p, returning an O_PATH descriptor of the folder. */
static int
mkdir_fd(int rootfd, const char *path, mode_t mode, struct ab_error *err)
{
    int fd = inroot_open_quiet(rootfd, path, O_PATH | O_DIRECTORY);
    if (fd >= 0 || errno != ENOENT) {
        if (fd < 0)
            return fail(err, errno, "open the folder", path);
        return fd;
    }
    const char *leaf;
    size_t leaf_len;
    CLEANUP_FREE char *dir = split(path, &leaf, &leaf_len);
    CLEANUP_FREE char *name = strndup(leaf, leaf_len);
    if (!dir || !name)
        return ab_oom(err);
    if (!leaf_ok(name, leaf_len))
        return fail(err, ENOENT, "create", path);
    CLEANUP_CLOSE int parent = mkdir_fd(rootfd, dir, 0755, err);
    if (parent < 0)
        return -1;
    /* mkdirat never follows name: a dangling link there stays an error. */
    if (mkdirat(parent, name, mode) < 0 && errno != EEXIST)
        return fail(err, errno, "create", path);
    fd = inroot_open_quiet(rootfd, path, O_PATH | O_DIRECTORY);
    if (fd < 0) {
        char target[PATH_MAX];
        int e = errno;
        ssize_t n = readlinkat(parent, name, target, sizeof(target) - 1);
        if (n < 0)
            return fail(err, e, "create", path);
        target[n] = '\0';
        /* mkdir -p in a chroot would not make a missing link target either. */
        return ab_build_error(err, e,
                              "cannot create '%s' in the tree: it is a symbolic link "
                              "to '%s', %s in the tree",
                              path, target, e == ENOENT ? "which does not exist" : why(e));
    }
    return fd;
}

int
inroot_mkdir_p(int rootfd, const char *path, mode_t mode, struct ab_error *err)
{
    int fd = mkdir_fd(rootfd, path, mode, err);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int
inroot_parent(int rootfd, const char *path, bool make, const char **leaf, struct ab_error *err)
{
    size_t leaf_len;
    CLEANUP_FREE char *dir = split(path, leaf, &leaf_len);
    if (!dir)
        return ab_oom(err);
    if (!leaf_ok(*leaf, leaf_len) || (*leaf)[leaf_len] != '\0')
        return ab_build_error(err, EINVAL, "'%s' in the tree: not a name to write", path);
    if (make)
        return mkdir_fd(rootfd, dir, 0755, err);
    int fd = inroot_open_quiet(rootfd, dir, O_PATH | O_DIRECTORY);
    if (fd < 0)
        return fail(err, errno, "open the folder of", path);
    return fd;
}

/* Removes a file or link at dir/name; absent is fine. */
static int
unlink_leaf(int dir, const char *name)
{
    if (unlinkat(dir, name, 0) == 0 || errno == ENOENT)
        return 0;
    return -1;
}

int
inroot_create(int rootfd, const char *path, mode_t mode, struct ab_error *err)
{
    const char *leaf;
    CLEANUP_CLOSE int dir = inroot_parent(rootfd, path, true, &leaf, err);
    if (dir < 0)
        return -1;
    if (unlink_leaf(dir, leaf) < 0)
        return fail(err, errno, "replace", path);
    int fd = openat(dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return fail(err, errno, "create", path);
    if (fchmod(fd, mode) < 0) {
        int e = errno;
        close(fd);
        return fail(err, e, "set the mode of", path);
    }
    return fd;
}

static int
write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int
inroot_write(int rootfd, const char *path, const void *data, size_t len, mode_t mode,
             struct ab_error *err)
{
    int fd = inroot_create(rootfd, path, mode, err);
    if (fd < 0)
        return -1;
    if (write_all(fd, data, len) < 0) {
        int e = errno;
        close(fd);
        return fail(err, e, "write", path);
    }
    if (close(fd) < 0)
        return fail(err, errno, "write", path);
    return 0;
}

int
inroot_symlink(int rootfd, const char *target, const char *path, struct ab_error *err)
{
    const char *leaf;
    CLEANUP_CLOSE int dir = inroot_parent(rootfd, path, true, &leaf, err);
    if (dir < 0)
        return -1;
    if (unlink_leaf(dir, leaf) < 0 || symlinkat(target, dir, leaf) < 0)
        return fail(err, errno, "make the link", path);
    return 0;
}

/* ---- removal ------------------------------------------------------------ */

static int
mount_id(int dir, const char *name, uint64_t *id, mode_t *type)
{
    struct statx stx;
    if (statx(dir, name, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, STATX_TYPE | STATX_MNT_ID, &stx) < 0)
        return -1;
    *id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
    *type = stx.stx_mode & S_IFMT;
    return 0;
}

static int remove_at(int dir, const char *name, uint64_t mnt, const char *shown,
                     struct ab_error *err);

static int
remove_contents(int fd, uint64_t mnt, const char *shown, struct ab_error *err)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return fail(err, errno, "read", shown);
    }
    int ret = 0;
    struct dirent *e;
    while (ret == 0 && (errno = 0, e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        ret = remove_at(dirfd(d), e->d_name, mnt, shown, err);
    }
    if (ret == 0 && errno)
        ret = fail(err, errno, "read", shown);
    closedir(d);
    return ret;
}

/* rm -rf of dir/name: links removed, not followed; a folder of another
 * mount (a mount point, a bind of the same filesystem too) refused. */
static int
remove_at(int dir, const char *name, uint64_t mnt, const char *shown, struct ab_error *err)
{
    uint64_t id;
    mode_t type;
    if (mount_id(dir, name, &id, &type) < 0)
        return errno == ENOENT ? 0 : fail(err, errno, "remove", shown);
    if (type != S_IFDIR)
        return unlink_leaf(dir, name) < 0 ? fail(err, errno, "remove", shown) : 0;
    if (mnt && id != mnt)
        return ab_build_error(err, EXDEV,
                              "cannot remove '%s' in the tree: a mount point "
                              "is below it: refused",
                              shown);
    int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errno, "remove", shown);
    if (remove_contents(fd, mnt, shown, err) < 0)
        return -1;
    if (unlinkat(dir, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return fail(err, errno, "remove", shown);
    return 0;
}

int
inroot_remove(int rootfd, const char *path, struct ab_error *err)
{
    const char *leaf;
    size_t leaf_len;
    CLEANUP_FREE char *dir_path = split(path, &leaf, &leaf_len);
    if (!dir_path)
        return ab_oom(err);
    if (!leaf_ok(leaf, leaf_len) || leaf[leaf_len] != '\0')
        return ab_build_error(err, EINVAL, "'%s' in the tree: not a name to remove", path);
    CLEANUP_CLOSE int dir = inroot_open_quiet(rootfd, dir_path, O_PATH | O_DIRECTORY);
    if (dir < 0) /* no folder, nothing to remove */
        return errno == ENOENT || errno == ENOTDIR ? 0 : fail(err, errno, "remove", path);
    uint64_t mnt;
    mode_t type;
    if (mount_id(dir, "", &mnt, &type) < 0)
        return fail(err, errno, "remove", path);
    return remove_at(dir, leaf, mnt, path, err);
}

int
inroot_remove_glob(int rootfd, const char *pattern, struct ab_error *err)
{
    const char *leaf;
    size_t leaf_len;
    CLEANUP_FREE char *dir_path = split(pattern, &leaf, &leaf_len);
    if (!dir_path)
        return ab_oom(err);
    if (strpbrk(dir_path, "*?[") || !leaf_ok(leaf, leaf_len))
        return ab_build_error(err, EINVAL, "pattern '%s': wildcards only in its last part",
                              pattern);
    if (!strpbrk(leaf, "*?["))
        return inroot_remove(rootfd, pattern, err);
    int fd = inroot_open_quiet(rootfd, dir_path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : fail(err, errno, "read", dir_path);
    uint64_t mnt;
    mode_t type;
    if (mount_id(fd, "", &mnt, &type) < 0) {
        close(fd);
        return fail(err, errno, "read", dir_path);
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return fail(err, errno, "read", dir_path);
    }
    int ret = 0;
    struct dirent *e;
    while (ret == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            fnmatch(leaf, e->d_name, FNM_PERIOD) != 0)
            continue;
        ret = remove_at(dirfd(d), e->d_name, mnt, pattern, err);
    }
    closedir(d);
    return ret;
}

/* ---- copies --------------------------------------------------------------- */

static int copy_dir(int src, int dst, const char *shown, struct ab_error *err);

static int
copy_bytes(int in, int out)
{
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        if (write_all(out, buf, (size_t)n) < 0)
            return -1;
    }
}

static void
keep_times(int fd, const struct stat *st)
{
    struct timespec t[2] = {st->st_atim, st->st_mtim};
    futimens(fd, t);
}

/* A regular file's copy at dir/name, replacing a file or link there. */
static int
copy_reg(int in, const struct stat *st, int dir, const char *name, const char *shown,
         struct ab_error *err)
{
    if (unlink_leaf(dir, name) < 0)
        return fail(err, errno, "replace", shown);
    CLEANUP_CLOSE int out =
        openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0 || copy_bytes(in, out) < 0 || fchmod(out, st->st_mode & 07777) < 0)
        return fail(err, errno, "write", shown);
    keep_times(out, st);
    return 0;
}

/* The folder dir/name, kept if it is one (never through a link), else
 * made in place of what is there; an O_RDONLY descriptor. */
static int
dir_at(int dir, const char *name, const char *shown, struct ab_error *err)
{
    int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    if ((errno != ENOENT && errno != ENOTDIR && errno != ELOOP) || unlink_leaf(dir, name) < 0 ||
        mkdirat(dir, name, 0700) < 0)
        return fail(err, errno, "create", shown);
    fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errno, "create", shown);
    return fd;
}

/* src/name copied to dst/name. */
static int
copy_entry(int src, int dst, const char *name, const char *shown, struct ab_error *err)
{
    struct stat st;
    if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return ab_build_error(err, errno, "cannot read '%s' of the source: %s", name,
                              strerror(errno));
    if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
        CLEANUP_CLOSE int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
            return ab_build_error(err, errno, "cannot read '%s' of the source: %s", name,
                                  strerror(errno));
        if (S_ISREG(st.st_mode))
            return copy_reg(in, &st, dst, name, shown, err);
        CLEANUP_CLOSE int out = dir_at(dst, name, shown, err);
        if (out < 0 || copy_dir(in, out, shown, err) < 0)
            return -1;
        if (fchmod(out, st.st_mode & 07777) < 0)
            return fail(err, errno, "set the mode of", shown);
        keep_times(out, &st);
        return 0;
    }
    if (unlink_leaf(dst, name) < 0)
        return fail(err, errno, "replace", shown);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
        if (n < 0)
            return ab_build_error(err, errno, "cannot read link '%s' of the source: %s", name,
                                  strerror(errno));
        target[n] = '\0';
        if (symlinkat(target, dst, name) < 0)
            return fail(err, errno, "make the link", shown);
        struct timespec t[2] = {st.st_atim, st.st_mtim};
        utimensat(dst, name, t, AT_SYMLINK_NOFOLLOW);
        return 0;
    }
    if (S_ISSOCK(st.st_mode))
        return ab_build_error(err, EINVAL, "cannot copy socket '%s' of the source", name);
    if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
        return fail(err, errno, "create", shown);
    return 0;
}

/* Every entry of folder src into folder dst (both O_RDONLY descriptors). */
static int
copy_dir(int src, int dst, const char *shown, struct ab_error *err)
{
    int fd = dup(src);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return ab_build_error(err, errno, "cannot read the source of '%s': %s", shown,
                              strerror(errno));
    }
    rewinddir(d);
    int ret = 0;
    struct dirent *e;
    while (ret == 0 && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            ret = copy_entry(src, dst, e->d_name, shown, err);
    closedir(d);
    return ret;
}

int
inroot_copy(int srcfd, int rootfd, const char *path, struct ab_error *err)
{
    struct stat st;
    if (fstat(srcfd, &st) < 0)
        return ab_build_error(err, errno, "cannot read the source of '%s': %s", path,
                              strerror(errno));
    if (S_ISREG(st.st_mode)) {
        int out = inroot_create(rootfd, path, st.st_mode & 07777, err);
        if (out < 0)
            return -1;
        int r = copy_bytes(srcfd, out);
        int e = errno;
        if (r == 0)
            keep_times(out, &st);
        if (close(out) < 0 && r == 0) {
            r = -1;
            e = errno;
        }
        return r < 0 ? fail(err, e, "write", path) : 0;
    }
    if (!S_ISDIR(st.st_mode))
        return ab_build_error(err, EINVAL, "the source of '%s' is neither a file nor a folder",
                              path);
    CLEANUP_CLOSE int dpath = mkdir_fd(rootfd, path, 0755, err);
    if (dpath < 0)
        return -1;
    /* O_PATH cannot be written through: reopen it as a folder. */
    CLEANUP_CLOSE int out = openat(dpath, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (out < 0)
        return fail(err, errno, "open the folder", path);
    if (copy_dir(srcfd, out, path, err) < 0)
        return -1;
    if (fchmod(out, st.st_mode & 07777) < 0)
        return fail(err, errno, "set the mode of", path);
    keep_times(out, &st);
    return 0;
}

int
inroot_copy_out(int rootfd, const char *path, const char *host_path, struct ab_error *err)
{
    CLEANUP_CLOSE int in = inroot_open(rootfd, path, O_RDONLY | O_NOCTTY, 0, err);
    if (in < 0)
        return -1;
    struct stat st;
    if (fstat(in, &st) < 0)
        return fail(err, errno, "read", path);
    if (!S_ISREG(st.st_mode))
        return ab_build_error(err, EINVAL, "'%s' in the tree is not a regular file", path);
    unlink(host_path);
    CLEANUP_CLOSE int out =
        open(host_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out < 0 || copy_bytes(in, out) < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", host_path, strerror(errno));
    return 0;
}

/* ---- mount points -------------------------------------------------------- */

int
inroot_api_dirs(int rootfd, struct ab_error *err)
{
    static const char *const dirs[] = {"proc", "sys", "dev"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        struct stat st;
        if (fstatat(rootfd, dirs[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT || mkdirat(rootfd, dirs[i], 0755) < 0)
                return ab_build_error(err, errno, "cannot make '/%s' in the tree: %s", dirs[i],
                                      strerror(errno));
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            return ab_build_error(err, ENOTDIR,
                                  "'/%s' in the tree is %s, not a folder: nothing is mounted "
                                  "through it: refused",
                                  dirs[i],
                                  S_ISLNK(st.st_mode) ? "a symbolic link" : "not a folder");
    }
    return 0;
}
