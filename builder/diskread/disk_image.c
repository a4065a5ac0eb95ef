/* disk_image.c: a disk image read in place (raw) or through qemu-nbd and
 * libnbd (disk_image.h). */
#include "appliance/disk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <libnbd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/clock.h"
#include "appliance/stop.h"

#define NBD_CHUNK (4u << 20)      /* qemu-nbd serves requests of up to 32 MiB */
#define NBD_START_SECONDS 30.0    /* qemu-nbd's start, at most */
#define NBD_POLL_NS (5 * 1000000) /* between two tries to connect */

struct disk_image {
    struct byte_reader reader;
    int fd; /* raw */
    bool writable;
    struct nbd_handle *nbd;
    uint64_t align; /* the server's minimum block size */
    struct spawn_child server;
    char dir[4096]; /* the socket's folder; "" none */
    char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Reads whole blocks of the server's minimum size (qemu-nbd's is the
 * image's sector: 4 KiB for some VHDX): what is asked is cut out of them. */
static int
nbd_read_aligned(struct disk_image *im, void *buf, size_t len, uint64_t off, struct ab_error *err)
{
    while (len) {
        size_t n = len < NBD_CHUNK ? len : NBD_CHUNK;
        if (nbd_pread(im->nbd, buf, n, off, 0) < 0)
            return ab_build_error(err, nbd_get_errno(),
                                  "cannot read the disk image through qemu-nbd: %s",
                                  nbd_get_error());
        buf = (char *)buf + n;
        off += n;
        len -= n;
    }
    return 0;
}

static int
nbd_read(void *ctx, void *buf, size_t len, uint64_t off, struct ab_error *err)
{
    struct disk_image *im = ctx;
    uint64_t a = im->align, start = off / a * a, end = (off + len + a - 1) / a * a;
    if (start == off && end == off + len)
        return nbd_read_aligned(im, buf, len, off, err);
    if (end > im->reader.size)
        return ab_build_error(err, EIO, "a read past the end of the disk image");
    CLEANUP_FREE unsigned char *tmp = malloc((size_t)(end - start));
    if (!tmp)
        return ab_oom(err);
    if (nbd_read_aligned(im, tmp, (size_t)(end - start), start, err) < 0)
        return -1;
    memcpy(buf, tmp + (off - start), len);
    return 0;
}

static int
open_raw(struct disk_image *im, const char *path, unsigned flags, struct ab_error *err)
{
    struct stat st;
    im->writable = flags & DISK_IMAGE_WRITE;
    im->fd = open(path, (im->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (im->fd < 0 || fstat(im->fd, &st) < 0)
        return ab_build_error(err, errno, "cannot open '%s': %s", path, strerror(errno));
    im->reader = byte_reader_fd(im->fd, (uint64_t)st.st_size);
    return 0;
}

/* A private folder for the socket: TMPDIR's, or /tmp's when TMPDIR's
 * path is too long for a unix socket. */
static int
make_socket_dir(struct disk_image *im, struct ab_error *err)
{
    const char *tmp = getenv("TMPDIR");
    const char *roots[] = {tmp && *tmp ? tmp : "/tmp", "/tmp"};
    for (size_t i = 0; i < 2; i++) {
        int n = snprintf(im->dir, sizeof(im->dir), "%s/appliance-nbd.XXXXXX", roots[i]);
        if (n < 0 || (size_t)n + sizeof("/sock") > sizeof(im->sock))
            continue;
        if (!mkdtemp(im->dir)) {
            int e = errno;
            im->dir[0] = '\0';
            return ab_build_error(err, e, "cannot create a folder in '%s': %s", roots[i],
                                  strerror(e));
        }
        /* fits: checked above */
        memcpy(im->sock, im->dir, (size_t)n);
        memcpy(im->sock + n, "/sock", sizeof("/sock"));
        return 0;
    }
    im->dir[0] = '\0';
    return ab_build_error(err, ENAMETOOLONG, "no folder for qemu-nbd's socket: TMPDIR too long");
}

/* What qemu-nbd said on its way out (its stderr), into err. */
static int
server_failed(struct disk_image *im, const char *path, struct ab_error *err)
{
    char text[1024] = "";
    size_t n = 0;
    ssize_t r;
    while (im->server.err_fd >= 0 && n + 1 < sizeof(text) &&
           (r = read(im->server.err_fd, text + n, sizeof(text) - 1 - n)) > 0)
        n += (size_t)r;
    text[n] = '\0';
    while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
        text[--n] = '\0';
    return ab_build_error(err, 0, "qemu-nbd cannot serve '%s'%s%s", path, n ? ": " : "", text);
}

/* Connects to qemu-nbd once its socket listens. */
static int
connect_server(struct disk_image *im, const char *path, struct ab_error *err)
{
    double start = mono_now();
    for (;;) {
        if (stop_requested())
            return ab_build_error(err, EINTR, "interrupted");
        if (spawn_reap(&im->server, false) == 1)
            return server_failed(im, path, err);
        if (!(im->nbd = nbd_create()))
            return ab_build_error(err, nbd_get_errno(), "libnbd: %s", nbd_get_error());
        if (access(im->sock, F_OK) == 0 && nbd_connect_unix(im->nbd, im->sock) == 0)
            return 0;
        nbd_close(im->nbd);
        im->nbd = NULL;
        if (mono_now() - start > NBD_START_SECONDS)
            return ab_build_error(err, ETIMEDOUT, "qemu-nbd did not listen within %.0f s",
                                  NBD_START_SECONDS);
        nanosleep(&(struct timespec){0, NBD_POLL_NS}, NULL);
    }
}

static int
open_nbd(struct disk_image *im, const char *path, const char *format, const struct spawn_ctx *ctx,
         struct ab_error *err)
{
    if (make_socket_dir(im, err) < 0)
        return -1;
    CLEANUP_FREE char *fmt = NULL, *sock = NULL;
    if (asprintf(&fmt, "--format=%s", format) < 0 || asprintf(&sock, "--socket=%s", im->sock) < 0)
        return ab_oom(err);
    /* One client, read-only; it ends when the client goes. */
    const char *argv[] = {"qemu-nbd", "--read-only", "--shared=1", fmt, sock, path, NULL};
    struct spawn_opts o = {.ctx = ctx};
    if (spawn_start(argv, &o, SPAWN_STDERR_PIPE | SPAWN_DIE_WITH_PARENT, &im->server, err) < 0)
        return -1;
    if (connect_server(im, path, err) < 0)
        return -1;
    int64_t size = nbd_get_size(im->nbd);
    int64_t align = nbd_get_block_size(im->nbd, LIBNBD_SIZE_MINIMUM);
    if (size < 0)
        return ab_build_error(err, nbd_get_errno(), "libnbd: %s", nbd_get_error());
    im->align = align > 0 && align <= 65536 ? (uint64_t)align : 1;
    im->reader = (struct byte_reader){(uint64_t)size, 0, -1, nbd_read, im};
    return 0;
}

struct disk_image *
disk_image_open(const char *path, const char *format, unsigned flags, const struct spawn_ctx *ctx,
                struct ab_error *err)
{
    struct disk_image *im = calloc(1, sizeof(*im));
    if (!im) {
        ab_oom(err);
        return NULL;
    }
    im->fd = -1;
    im->server = (struct spawn_child)SPAWN_CHILD_INIT;
    int r;
    if (!format || !*format)
        r = ab_build_error(err, 0, "disk '%s' has no format: it was not checked", path);
    else if (strcmp(format, "raw") == 0)
        r = open_raw(im, path, flags, err);
    else if (flags & DISK_IMAGE_WRITE)
        r = ab_build_error(err, 0, "'%s' is %s: only a raw image is written in place", path,
                           format);
    else
        r = open_nbd(im, path, format, ctx, err);
    if (r < 0) {
        disk_image_close(im, NULL);
        return NULL;
    }
    return im;
}

const struct byte_reader *
disk_image_reader(const struct disk_image *im)
{
    return &im->reader;
}

const char *
disk_image_how(const struct disk_image *im)
{
    return im->nbd ? "served by qemu-nbd" : "read in place";
}

int
disk_image_pwrite(struct disk_image *im, const void *buf, size_t len, uint64_t off,
                  struct ab_error *err)
{
    if (!im->writable)
        return ab_build_error(err, EROFS, "the disk image is open read-only");
    if (off > im->reader.size || len > im->reader.size - off)
        return ab_build_error(err, EINVAL, "a write past the end of the disk image");
    while (len) {
        ssize_t n = pwrite(im->fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ab_build_error(err, n < 0 ? errno : EIO, "cannot write the disk image: %s",
                                  strerror(n < 0 ? errno : EIO));
        buf = (const char *)buf + n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* qemu-nbd stopped and reaped (it ends by itself once its client goes;
 * SIGTERM when it has not within a second, SIGKILL after 5 more). */
static void
stop_server(struct disk_image *im)
{
    if (im->nbd) {
        nbd_shutdown(im->nbd, 0);
        nbd_close(im->nbd);
        im->nbd = NULL;
    }
    double start = mono_now();
    int sig = 0;
    while (im->server.pid && spawn_reap(&im->server, false) == 0) {
        double t = mono_now() - start;
        if ((t > 1.0 && sig == 0) || (t > 6.0 && sig == SIGTERM)) {
            sig = sig ? SIGKILL : SIGTERM;
            spawn_signal(&im->server, sig);
        }
        nanosleep(&(struct timespec){0, NBD_POLL_NS}, NULL);
    }
    spawn_close(&im->server);
}

int
disk_image_close(struct disk_image *im, struct ab_error *err)
{
    int r = 0;
    if (!im)
        return 0;
    stop_server(im);
    if (im->sock[0])
        unlink(im->sock);
    if (im->dir[0])
        rmdir(im->dir);
    if (im->fd >= 0 && close(im->fd) < 0 && im->writable && err)
        r = ab_build_error(err, errno, "cannot write the disk image: %s", strerror(errno));
    free(im);
    return r;
}
