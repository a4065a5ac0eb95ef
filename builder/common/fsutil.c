/* fsutil.c: small file system helpers shared by the build stages. */
#include "appliance/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/inroot.h"

int
mkdir_p(const char *path, mode_t mode)
{
    CLEANUP_FREE char *copy = strdup(path);
    if (!copy)
        return -1;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(copy, mode) < 0 && errno != EEXIST ? -1 : 0;
}

static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int r = type == FTW_DP ? rmdir(path) : unlink(path);
    return r < 0 && errno != ENOENT ? -1 : 0;
}

/* True when path is "", "/" or has a ".." component. */
static bool
path_unsafe(const char *path)
{
    if (!*path || strspn(path, "/") == strlen(path))
        return true;
    for (const char *c = path; *c;) {
        size_t l = strcspn(c, "/");
        if (l == 2 && c[0] == '.' && c[1] == '.')
            return true;
        c += l;
        c += strspn(c, "/");
    }
    return false;
}

/* True when path is scratch or below it, as written. */
static bool
path_under(const char *scratch, const char *path)
{
    size_t n = strlen(scratch);
    while (n > 1 && scratch[n - 1] == '/')
        n--;
    return strncmp(path, scratch, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* mountinfo's octal escapes (\040 for a space) decoded in place. */
static void
unescape_mount(char *s)
{
    char *o = s;
    for (char *c = s; *c; c++) {
        if (c[0] == '\\' && c[1] >= '0' && c[1] <= '3' && c[2] >= '0' && c[2] <= '7' &&
            c[3] >= '0' && c[3] <= '7') {
            *o++ = (char)((c[1] - '0') * 64 + (c[2] - '0') * 8 + (c[3] - '0'));
            c += 3;
        } else {
            *o++ = *c;
        }
    }
    *o = '\0';
}

/* True when a mount point of this mount namespace is at real or below it. */
static bool
has_mount_below(const char *real)
{
    CLEANUP_FCLOSE FILE *f = fopen("/proc/self/mountinfo", "r");
    CLEANUP_FREE char *line = NULL;
    size_t cap = 0;
    if (!f)
        return true; /* cannot tell: refuse */
    while (getline(&line, &cap, f) > 0) {
        char point[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
            continue;
        unescape_mount(point);
        if (path_under(real, point))
            return true;
    }
    return false;
}

int
rm_rf(const char *scratch, const char *path)
{
    struct stat st;
    if (!scratch || !path || path_unsafe(scratch) || path_unsafe(path) ||
        !path_under(scratch, path)) {
        errno = EINVAL;
        return -1;
    }
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (S_ISDIR(st.st_mode)) {
        CLEANUP_FREE char *real = realpath(path, NULL);
        if (!real)
            return -1;
        if (has_mount_below(real)) {
            errno = EBUSY;
            return -1;
        }
    }
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* The walk below one folder: rel grows and shrinks as it goes down. */
struct walk {
    walk_fn visit;
    void *ctx;
    char *rel;
    size_t len, cap;
};

static int
walk_push(struct walk *w, const char *name)
{
    size_t n = strlen(name), need = w->len + (w->len ? 1 : 0) + n + 1;
    if (need > w->cap) {
        char *grown = realloc(w->rel, need * 2);
        if (!grown)
            return -1;
        w->rel = grown;
        w->cap = need * 2;
    }
    if (w->len)
        w->rel[w->len++] = '/';
    memcpy(w->rel + w->len, name, n + 1);
    w->len += n;
    return 0;
}

static int walk_dir(struct walk *w, int fd);

/* The entry name of the folder open as dirfd: visited, and entered when
 * it is a folder. */
static int
walk_entry(struct walk *w, int dirfd, const char *name)
{
    struct stat st;
    size_t len = w->len;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1; /* gone meanwhile, as nftw skips it */
    if (walk_push(w, name) < 0)
        return -1;
    int r = w->visit(w->ctx, w->rel, &st);
    if (r == 0 && S_ISDIR(st.st_mode)) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = fd < 0 ? -1 : walk_dir(w, fd);
    }
    w->len = len;
    w->rel[len] = '\0';
    return r;
}

/* The entries of the folder open as fd, which this closes. */
static int
walk_dir(struct walk *w, int fd)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int r = 0;
    struct dirent *de;
    errno = 0;
    while (r == 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            r = walk_entry(w, dirfd(d), de->d_name);
        errno = 0;
    }
    if (r == 0 && errno != 0)
        r = -1;
    int e = errno;
    closedir(d);
    errno = e;
    return r;
}

int
walk_tree(const char *dir, walk_fn visit, void *ctx)
{
    struct walk w = {.visit = visit, .ctx = ctx, .rel = calloc(1, 64), .cap = 64};
    struct stat st;
    int r = -1;
    if (w.rel && lstat(dir, &st) == 0 && (r = visit(ctx, "", &st)) == 0 && S_ISDIR(st.st_mode)) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        r = fd < 0 ? -1 : walk_dir(&w, fd);
    }
    int e = errno;
    free(w.rel);
    errno = e;
    return r;
}

int
write_file(const char *root, const char *path, const char *text, mode_t mode,
           struct ab_error *err)
{
    size_t len = strlen(text);
    if (root) {
        if (mkdir_p(root, 0755) < 0) /* the tree's own folder: a host path */
            return ab_build_error(err, errno, "cannot create '%s': %s", root, strerror(errno));
        CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
        return rootfd < 0 ? -1 : inroot_write(rootfd, path, text, len, mode, err);
    }
    CLEANUP_FREE char *dir = strdup(path);
    if (!dir)
        return ab_oom(err);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir_p(dir, 0755) < 0)
            return ab_build_error(err, errno, "cannot create '%s': %s", dir, strerror(errno));
    }
    unlink(path); /* never write through a link put there */
    CLEANUP_CLOSE int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

int
write_filef(const char *root, const char *path, mode_t mode, struct ab_error *err,
            const char *fmt, ...)
{
    CLEANUP_FREE char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (r < 0)
        return ab_oom(err);
    return write_file(root, path, text, mode, err);
}

int
write_atomic(const char *path, mode_t mode, write_atomic_fn fill, void *ctx, struct ab_error *err)
{
    CLEANUP_FREE char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0) {
        tmp = NULL;
        return ab_oom(err);
    }
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", tmp, strerror(errno));
    int rc = 0;
    if (fchmod(fd, mode) < 0)
        rc = ab_build_error(err, errno, "cannot set mode of '%s': %s", tmp, strerror(errno));
    if (rc == 0)
        rc = fill(fd, tmp, ctx, err);
    if (rc == 0 && fsync(fd) < 0)
        rc = ab_build_error(err, errno, "cannot write '%s': %s", tmp, strerror(errno));
    if (close(fd) < 0 && rc == 0)
        rc = ab_build_error(err, errno, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) < 0)
        rc = ab_build_error(err, errno, "cannot rename '%s' to '%s': %s", tmp, path,
                            strerror(errno));
    if (rc < 0)
        unlink(tmp);
    return rc;
}

struct data_span {
    const char *data;
    size_t len;
};

static int
fill_data(int fd, const char *tmp, void *ctx, struct ab_error *err)
{
    const struct data_span *d = ctx;
    for (size_t done = 0; done < d->len;) {
        ssize_t n = write(fd, d->data + done, d->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ab_build_error(err, n < 0 ? errno : EIO, "cannot write '%s': %s", tmp,
                                  strerror(n < 0 ? errno : EIO));
        done += (size_t)n;
    }
    return 0;
}

int
write_atomic_data(const char *path, mode_t mode, const void *data, size_t len, struct ab_error *err)
{
    struct data_span d = {data, len};
    return write_atomic(path, mode, fill_data, &d, err);
}

int
copy_sparse(int in, int out)
{
    struct stat st;
    if (fstat(in, &st) < 0 || ftruncate(out, 0) < 0 || ftruncate(out, st.st_size) < 0)
        return -1;
    off_t pos = 0;
    while (pos < st.st_size) {
        off_t data = lseek(in, pos, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO)
                break; /* only a hole is left */
            return -1;
        }
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            return -1;
        off_t from = data, to = data;
        while (from < hole) {
            ssize_t n = copy_file_range(in, &from, out, &to, (size_t)(hole - from), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                if (n == 0)
                    errno = EIO;
                return -1;
            }
        }
        pos = hole;
    }
    return 0;
}

int
zero_range(int fd, uint64_t off, uint64_t len)
{
    if (len == 0 || fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
                              (off_t)len) == 0)
        return 0;
    if (errno != EOPNOTSUPP && errno != ENOSYS)
        return -1;
    static const char zeros[65536];
    while (len) {
        size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
        ssize_t w = pwrite(fd, zeros, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        off += (uint64_t)w;
        len -= (uint64_t)w;
    }
    return 0;
}

/* Copies [from, from + len) of in to out at to, in the kernel. */
static int
copy_data(int in, uint64_t from, int out, uint64_t to, uint64_t len)
{
    loff_t a = (loff_t)from, b = (loff_t)to;
    while (len) {
        size_t want = len < (UINT64_C(1) << 30) ? (size_t)len : (size_t)1 << 30;
        ssize_t n = copy_file_range(in, &a, out, &b, want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        len -= (uint64_t)n;
    }
    return 0;
}

int
copy_range_sparse(int in, uint64_t from, int out, uint64_t to, uint64_t len)
{
    uint64_t pos = from, end = from + len;
    while (pos < end) {
        off_t data = lseek(in, (off_t)pos, SEEK_DATA);
        if (data < 0 && errno != ENXIO)
            return -1;
        uint64_t d = data < 0 || (uint64_t)data > end ? end : (uint64_t)data;
        if (d > pos && zero_range(out, to + (pos - from), d - pos) < 0)
            return -1;
        if (d >= end)
            break;
        off_t hole = lseek(in, (off_t)d, SEEK_HOLE);
        if (hole < 0)
            return -1;
        uint64_t h = (uint64_t)hole > end ? end : (uint64_t)hole;
        if (copy_data(in, d, out, to + (d - from), h - d) < 0)
            return -1;
        pos = h;
    }
    return 0;
}

int
read_inside(int fd, uint64_t size, uint64_t off, void *buf, size_t len, struct ab_error *err)
{
    if (off > size || len > size - off)
        return 0;
    ssize_t n = pread(fd, buf, len, (off_t)off);
    if (n < 0)
        return ab_build_error(err, errno, "cannot read the disk image: %s", strerror(errno));
    return (size_t)n == len;
}

int
reader_inside(const struct byte_reader *r, uint64_t off, void *buf, size_t len,
              struct ab_error *err)
{
    if (off > r->size || len > r->size - off)
        return 0;
    if (len == 0)
        return 1;
    if (r->pread)
        return r->pread(r->ctx, buf, len, r->offset + off, err) == 0 ? 1 : -1;
    ssize_t n = pread(r->fd, buf, len, (off_t)(r->offset + off));
    if (n < 0)
        return ab_build_error(err, errno, "cannot read the disk image: %s", strerror(errno));
    return (size_t)n == len;
}

char *
read_text_file(const char *path)
{
    CLEANUP_FCLOSE FILE *f = fopen(path, "re");
    char *text = NULL;
    size_t size = 0;
    if (!f || getdelim(&text, &size, '\0', f) < 0) {
        free(text);
        return NULL;
    }
    return text;
}
