/* fsutil.h: small file system helpers shared by the build stages. */
#ifndef APPLIANCE_FSUTIL_H
#define APPLIANCE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "appliance/error.h"

/* mkdir -p; returns 0 or -1 with errno set. */
int mkdir_p(const char *path, mode_t mode);

/* rm -rf of path, which must be the folder scratch (the caller's own
 * scratch or output folder) or below it, as written: refused (EINVAL)
 * when it is not, or either is empty, "/" or holds a ".." component.
 * Never follows a symbolic link, never crosses into another mount: a
 * path with a mount point at or below it is refused whole (EBUSY),
 * nothing removed. 0 or -1 with errno set; absent is fine. */
int rm_rf(const char *scratch, const char *path);

/* Called by walk_tree for each entry: rel is its path below the folder
 * walked ("" for the folder itself, else "a/b" with no leading slash), st
 * its lstat (a link's own). Returns 0 to go on, more than 0 to stop the
 * walk, which returns that value, or -1 with errno set to fail it. */
typedef int (*walk_fn)(void *ctx, const char *rel, const struct stat *st);

/* Visits dir and everything below it, a folder before its entries, in the
 * order the filesystem lists them; never follows a symbolic link (one is
 * visited, not entered). All of its state is on the stack and in ctx, so
 * walks may run at once in threads. Returns 0, what visit stopped it with,
 * or -1 with errno set (ENOENT when dir is absent). */
int walk_tree(const char *dir, walk_fn visit, void *ctx);

/* Writes text to path, creating parent folders, replacing what is there
 * (a link is replaced, never followed), with the given mode. With root,
 * path is in the tree at root and resolved inside it (inroot.h); without,
 * a host path. */
int write_file(const char *root, const char *path, const char *text, mode_t mode,
               struct ab_error *err);

/* printf-style variant of write_file. */
int write_filef(const char *root, const char *path, mode_t mode, struct ab_error *err,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fills fd, a new file named tmp; returns 0 or -1 with err set. */
typedef int (*write_atomic_fn)(int fd, const char *tmp, void *ctx, struct ab_error *err);

/* Writes path all at once or not at all: fill() writes a new file beside
 * it (path.tmpXXXXXX, with mode), which is then synced, closed and renamed
 * over path. On failure the temporary file is removed and path is left as
 * it was. */
int write_atomic(const char *path, mode_t mode, write_atomic_fn fill, void *ctx,
                 struct ab_error *err);

/* write_atomic with len bytes of data as the content. */
int write_atomic_data(const char *path, mode_t mode, const void *data, size_t len,
                      struct ab_error *err);

/* Copies all of in to out (both from offset 0), holes kept as holes:
 * only the data extents (SEEK_DATA/SEEK_HOLE) are copied, in the kernel
 * (copy_file_range, a reflink where the filesystem can), and out is
 * truncated to in's size. Returns 0 or -1 with errno set. */
int copy_sparse(int in, int out);

/* Makes len bytes of out at to what len bytes of in at from are, holes
 * kept: in's data extents copied in the kernel (copy_file_range), its
 * holes punched in out (FALLOC_FL_PUNCH_HOLE, or zeros written where the
 * filesystem cannot punch), so that what was zero reads zero. in and out
 * may be one file when the two ranges do not overlap. out is not
 * extended past its size by a hole at its end. 0, or -1 with errno set. */
int copy_range_sparse(int in, uint64_t from, int out, uint64_t to, uint64_t len);

/* Makes len bytes of fd at off read zero: a hole punched, or zeros
 * written. 0, or -1 with errno set. */
int zero_range(int fd, uint64_t off, uint64_t len);

/* Reads len bytes at off of an image of size bytes open at fd, for the
 * readers of on-disk structures from outside (gpt.h, lvm.h): 1 read, 0
 * when they are not all inside the image (or the file is shorter), -1
 * on a read error. */
int read_inside(int fd, uint64_t size, uint64_t off, void *buf, size_t len, struct ab_error *err);

/* The whole of a small local text file (a /proc or /etc file, a
 * configuration), NUL-terminated and malloc'd; NULL when it is missing or
 * unreadable, or on no memory (errno says which). */
char *read_text_file(const char *path);

/* Bytes read at random: a file, an NBD export, a partition or a volume
 * inside one. The reader's byte 0 is byte offset of the file or of what
 * pread reads; pread reads all len bytes at off (already offset, and
 * inside size): 0, or -1 with err set. Without pread, the bytes are fd's. */
struct byte_reader {
    uint64_t size;
    uint64_t offset;
    int fd;
    int (*pread)(void *ctx, void *buf, size_t len, uint64_t off, struct ab_error *err);
    void *ctx;
};

/* A reader of the size bytes of the file open at fd. */
static inline struct byte_reader
byte_reader_fd(int fd, uint64_t size)
{
    return (struct byte_reader){size, 0, fd, NULL, NULL};
}

/* The size bytes of r from off on, as a reader of their own; size is cut
 * to what r has there. */
static inline struct byte_reader
byte_reader_window(const struct byte_reader *r, uint64_t off, uint64_t size)
{
    struct byte_reader w = *r;
    uint64_t left = off < r->size ? r->size - off : 0;
    w.offset = r->offset + off;
    w.size = size < left ? size : left;
    return w;
}

/* read_inside for any reader: 1 read, 0 when the bytes are not all inside
 * r, -1 on a read error. */
int reader_inside(const struct byte_reader *r, uint64_t off, void *buf, size_t len,
                  struct ab_error *err);

#endif
