/* xfs_host.c: xfs made on the host from a protofile (xfs_host.h). */
#include "appliance/xfs_host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsids.h"
#include "appliance/hostfs.h"
#include "appliance/spawn.h"

/* One walk of a folder: the protofile and the xfs_db commands as they grow. */
struct walk {
    FILE *proto, *fix;
    unsigned long long root_time;
    char *refuse;
    struct ab_error *err;
};

static void walk_refuse(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
walk_refuse(struct walk *w, const char *fmt, ...)
{
    va_list ap;
    if (w->refuse)
        return;
    va_start(ap, fmt);
    if (vasprintf(&w->refuse, fmt, ap) < 0)
        w->refuse = NULL;
    va_end(ap);
}

/* A word mkfs.xfs's tokenizer reads back as it is: no space, tab or
 * newline (its separators), no control byte, not starting with ':' (a
 * comment), not "$" (the end of a folder). */
static bool
proto_word_ok(const char *s)
{
    if (!*s || *s == ':' || strcmp(s, "$") == 0)
        return false;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c <= ' ' || *c == 0x7f)
            return false;
    return true;
}

static int
proto_sort(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int
no_dots(const struct dirent *e)
{
    return strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
}

/* The checks every entry passes: name, links, extended attributes. */
static void
check_entry(struct walk *w, const char *host, const char *inside, const struct stat *st)
{
    const char *name = strrchr(inside, '/');
    name = name ? name + 1 : inside;
    if (*inside && !proto_word_ok(name))
        walk_refuse(w, "name '%s' (whitespace, a control byte, or mkfs.xfs's ':' or '$')", inside);
    else if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
        walk_refuse(w, "hard link '%s' (%ju links)", inside, (uintmax_t)st->st_nlink);
    else if (llistxattr(host, NULL, 0) > 0)
        walk_refuse(w, "extended attributes on '%s'", *inside ? inside : "/");
    else if (S_ISSOCK(st->st_mode))
        walk_refuse(w, "socket '%s'", inside);
    else if (S_ISREG(st->st_mode) && st->st_size > INT_MAX)
        walk_refuse(w, "file '%s' of 2 GiB or more", inside);
}

/* A time as xfs's big timestamps hold it (bigtime, mkfs.xfs 6.1's default,
 * asked for explicitly below), and xfs_db writes the field: nanoseconds
 * since 1901-12-13 20:45:52 UTC, clamped to what xfs can hold. */
static unsigned long long
big_time(const struct timespec *ts)
{
    const long long min = -2147483648LL, max = 16299260424LL;
    long long s = ts->tv_sec < min ? min : ts->tv_sec > max ? max : ts->tv_sec;
    return (unsigned long long)(s - min) * 1000000000ULL + (unsigned long long)ts->tv_nsec;
}

/* "d--755 0 0"; the sticky bit and the times left to the fix commands
 * (mkfs.xfs gives every inode its clock): all four the folder's mtime, so
 * the same folder gives the same inodes (its atimes change as it is read,
 * mkfs.xfs's reading included). */
static void
put_mode(struct walk *w, const char *inside, const struct stat *st)
{
    char type = S_ISDIR(st->st_mode)    ? 'd'
                : S_ISLNK(st->st_mode)  ? 'l'
                : S_ISBLK(st->st_mode)  ? 'b'
                : S_ISCHR(st->st_mode)  ? 'c'
                : S_ISFIFO(st->st_mode) ? 'p'
                                        : '-';
    fprintf(w->proto, "%c%c%c%03o %u %u", type, (st->st_mode & S_ISUID) ? 'u' : '-',
            (st->st_mode & S_ISGID) ? 'g' : '-', (unsigned)(st->st_mode & 0777),
            (unsigned)st->st_uid, (unsigned)st->st_gid);
    unsigned long long m = big_time(&st->st_mtim);
    if (!*inside)
        w->root_time = m;
    fprintf(w->fix,
            "path /%s\nwrite core.atime.sec %llu\nwrite core.mtime.sec %llu\n"
            "write core.ctime.sec %llu\nwrite v3.crtime.sec %llu\n",
            inside, m, m, m, m);
    if (st->st_mode & S_ISVTX)
        fprintf(w->fix, "write core.mode 0%o\n", (unsigned)st->st_mode);
}

static int walk_dir(struct walk *w, const char *host, const char *inside);

/* One entry: its line, and for a folder its entries and "$". */
static int
walk_entry(struct walk *w, const char *host, const char *inside)
{
    struct stat st;
    if (lstat(host, &st) < 0)
        return ab_build_error(w->err, errno, "cannot read '%s': %s", host, strerror(errno));
    check_entry(w, host, inside, &st);
    if (w->refuse)
        return 0;
    const char *name = strrchr(inside, '/');
    if (*inside)
        fprintf(w->proto, "%s ", name ? name + 1 : inside);
    put_mode(w, inside, &st);
    if (S_ISREG(st.st_mode))
        fprintf(w->proto, " %s\n", host);
    else if (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode))
        fprintf(w->proto, " %u %u\n", major(st.st_rdev), minor(st.st_rdev));
    else if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(host, target, sizeof(target) - 1);
        if (n < 0)
            return ab_build_error(w->err, errno, "cannot read '%s': %s", host, strerror(errno));
        target[n] = '\0';
        if (!proto_word_ok(target))
            walk_refuse(w, "symbolic link '%s' to '%s' (whitespace, a control byte, ':' or '$')",
                        inside, target);
        fprintf(w->proto, " %s\n", target);
    } else if (S_ISDIR(st.st_mode)) {
        fputc('\n', w->proto);
        if (walk_dir(w, host, inside) < 0)
            return -1;
        fputs("$\n", w->proto);
    } else
        fputc('\n', w->proto);
    return 0;
}

static int
walk_dir(struct walk *w, const char *host, const char *inside)
{
    struct dirent **names = NULL;
    int n = scandir(host, &names, no_dots, proto_sort);
    int r = 0;
    if (n < 0)
        return ab_build_error(w->err, errno, "cannot read '%s': %s", host, strerror(errno));
    for (int i = 0; i < n; i++) {
        CLEANUP_FREE char *h = NULL, *in = NULL;
        if (r == 0 && !w->refuse &&
            (asprintf(&h, "%s/%s", host, names[i]->d_name) < 0 ||
             asprintf(&in, "%s%s%s", inside, *inside ? "/" : "", names[i]->d_name) < 0))
            r = ab_oom(w->err);
        else if (r == 0 && !w->refuse)
            r = walk_entry(w, h, in);
        free(names[i]);
    }
    free(names);
    return r;
}

int
xfs_host_proto(const char *dir, struct xfs_proto *p, struct ab_error *err)
{
    size_t plen = 0, flen = 0;
    struct walk w = {.err = err};
    xfs_host_proto_release(p);
    w.proto = open_memstream(&p->text, &plen);
    w.fix = open_memstream(&p->fix, &flen);
    if (!w.proto || !w.fix) {
        if (w.proto)
            fclose(w.proto);
        return ab_oom(err);
    }
    if (!proto_word_ok(dir) || dir[0] != '/')
        walk_refuse(&w, "the folder's path '%s' is not one protofile word", dir);
    fputs("appliance\n0 0\n", w.proto);
    int r = w.refuse ? 0 : walk_entry(&w, dir, "");
    fputs("$\n", w.proto);
    int closed = fclose(w.proto);
    if (fclose(w.fix) != 0 || closed != 0)
        r = r < 0 ? r : ab_oom(err);
    p->refuse = w.refuse;
    p->root_time = w.root_time;
    if (p->fix && !*p->fix) {
        free(p->fix);
        p->fix = NULL;
    }
    return r;
}

void
xfs_host_proto_release(struct xfs_proto *p)
{
    free(p->text);
    free(p->fix);
    free(p->refuse);
    p->text = p->fix = p->refuse = NULL;
}

/* ---- the filesystem ---------------------------------------------------- */

#define COPY_BLOCK (64 * 1024)

static bool
all_zero(const char *b, size_t n)
{
    return n == 0 || (b[0] == 0 && memcmp(b, b + 1, n - 1) == 0);
}

/* Copies [from, to) of in to out at from + at, zero blocks skipped. */
static int
copy_range(int in, int out, off_t from, off_t to, uint64_t at, char *buf)
{
    while (from < to) {
        size_t want = (size_t)(to - from) < COPY_BLOCK ? (size_t)(to - from) : COPY_BLOCK;
        ssize_t n = pread(in, buf, want, from);
        if (n <= 0)
            return n == 0 ? (errno = EIO, -1) : -1;
        if (!all_zero(buf, (size_t)n) && pwrite(out, buf, (size_t)n, from + (off_t)at) != n)
            return -1;
        from += n;
    }
    return 0;
}

int
xfs_host_copy(const char *src, const char *dst, uint64_t at, struct ab_error *err)
{
    CLEANUP_CLOSE int in = open(src, O_RDONLY | O_CLOEXEC);
    CLEANUP_CLOSE int out = open(dst, O_WRONLY | O_CLOEXEC);
    CLEANUP_FREE char *buf = malloc(COPY_BLOCK);
    struct stat st;
    if (!buf)
        return ab_oom(err);
    if (in < 0 || out < 0 || fstat(in, &st) < 0)
        return ab_build_error(err, errno, "cannot open '%s' or '%s': %s", src, dst,
                              strerror(errno));
    off_t data = 0;
    while (data < st.st_size) {
        data = lseek(in, data, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break; /* only a hole is left */
        off_t hole = data < 0 ? -1 : lseek(in, data, SEEK_HOLE);
        if (hole < 0 || copy_range(in, out, data, hole, at, buf) < 0)
            return ab_build_error(err, errno, "cannot copy '%s' into '%s': %s", src, dst,
                                  strerror(errno));
        data = hole;
    }
    if (fsync(out) < 0 || close(out) < 0) {
        out = -1;
        return ab_build_error(err, errno, "cannot write '%s': %s", dst, strerror(errno));
    }
    out = -1;
    return 0;
}

/* The scratch file of the filesystem's size, sparse, and the protofile. */
static int
make_scratch(const char *img, const char *proto_path, const struct xfs_proto *p, uint64_t size,
             struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", img, strerror(errno));
    CLEANUP_FCLOSE FILE *f = fopen(proto_path, "we");
    if (!f || fputs(p->text, f) < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", proto_path, strerror(errno));
    int r = fclose(f);
    f = NULL;
    if (r != 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", proto_path, strerror(errno));
    return 0;
}

/* p's fix commands, and the times of the realtime bitmap and summary
 * inodes mkfs.xfs makes with its clock (the only ones left with it). */
static int
own_inodes(const char *img, const struct xfs_proto *p, char **fix, const struct spawn_ctx *ctx,
           struct ab_error *err)
{
    CLEANUP_FREE char *out = NULL;
    unsigned long long rbm, rsum;
    const char *argv[] = {"xfs_db", "-r", "-c", "sb 0", "-c", "print rbmino rsumino", img, NULL};
    struct spawn_opts o = {.ctx = ctx, .output = &out};
    if (spawn_run(argv, &o, err) < 0)
        return -1;
    if (!out || sscanf(out, "rbmino = %llu rsumino = %llu", &rbm, &rsum) != 2)
        return ab_build_error(err, 0, "xfs_db printed no rbmino and rsumino: '%s'", out ? out : "");
    unsigned long long t = p->root_time;
    if (asprintf(fix,
                 "%s"
                 "inode %llu\nwrite core.atime.sec %llu\nwrite core.mtime.sec %llu\n"
                 "write core.ctime.sec %llu\nwrite v3.crtime.sec %llu\n"
                 "inode %llu\nwrite core.atime.sec %llu\nwrite core.mtime.sec %llu\n"
                 "write core.ctime.sec %llu\nwrite v3.crtime.sec %llu\n",
                 p->fix ? p->fix : "", rbm, t, t, t, t, rsum, t, t, t, t) < 0) {
        *fix = NULL;
        return ab_oom(err);
    }
    return 0;
}

static int
mkfs_scratch(const struct plan *plan, const struct plan_mount *m, const char *img,
             const char *proto_path, const struct xfs_proto *p, uint64_t size,
             const struct spawn_ctx *ctx, struct ab_error *err)
{
    char uuid[FSID_UUID_BUF], label[13];
    CLEANUP_FREE char *uuid_opt = NULL, *data_opt = NULL;
    fsid_of_mount(plan, m, uuid);
    snprintf(label, sizeof(label), "%s", m->lv ? m->lv->name : "boot");
    if (asprintf(&uuid_opt, "uuid=%s", uuid) < 0 ||
        asprintf(&data_opt, "file,name=%s,size=%" PRIu64 "k", img, size / 1024) < 0)
        return ab_oom(err);
    if (spawn_cmd(ctx, err, "mkfs.xfs", "-q", "-f", "-p", proto_path, "-m", uuid_opt, "-m",
                  "bigtime=1", "-L", label, "-d", data_opt, NULL) < 0)
        return -1;
    CLEANUP_FREE char *fix = NULL;
    if (own_inodes(img, p, &fix, ctx, err) < 0)
        return -1;
    const char *argv[] = {"xfs_db", "-x", img, NULL};
    struct spawn_opts o = {.ctx = ctx, .input = fix, .input_len = strlen(fix)};
    if (spawn_run(argv, &o, err) < 0) {
        ab_error_prefix(err, "while setting times and sticky bits");
        return -1;
    }
    return 0;
}

int
xfs_host_make(const struct plan *plan, const struct plan_mount *m, const char *img,
              const struct xfs_proto *p, const char *scratch, const struct spawn_ctx *ctx,
              struct ab_error *err)
{
    uint64_t offset, size;
    CLEANUP_FREE char *fs = NULL, *proto = NULL;
    hostfs_extent(plan, m, &offset, &size);
    if (asprintf(&fs, "%s/xfs-%s.img", scratch, m->lv ? m->lv->name : "boot") < 0 ||
        asprintf(&proto, "%s/xfs-%s.proto", scratch, m->lv ? m->lv->name : "boot") < 0)
        return ab_oom(err);
    int r = make_scratch(fs, proto, p, size, err);
    if (r == 0)
        r = mkfs_scratch(plan, m, fs, proto, p, size, ctx, err);
    if (r == 0)
        r = xfs_host_copy(fs, img, offset, err);
    unlink(fs);
    unlink(proto);
    if (r < 0)
        ab_error_prefix(err, "while making the xfs filesystem of '%s'", m->path);
    return r;
}
