/* volume.c: a partition or logical volume read and written extent by
 * extent (volume.h). */
#include "volume.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
volume_add(struct volume *v, struct disk_image *im, uint64_t at, uint64_t len, struct ab_error *err)
{
    uint64_t isize = disk_image_reader(im)->size;
    if (at > isize || len > isize - at || v->size + len < v->size)
        return ab_build_error(err, 0, "volume '%s' reaches past the end of its disk",
                              v->device ? v->device : "?");
    struct volume_extent *grown = realloc(v->ext, (v->n_ext + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    v->ext = grown;
    v->ext[v->n_ext++] = (struct volume_extent){v->size, len, im, at};
    v->size += len;
    return 0;
}

int
volume_init_range(struct volume *v, const char *device, struct disk_image *im, uint64_t at,
                  uint64_t len, struct ab_error *err)
{
    *v = (struct volume){.io_err = AB_ERROR_INIT};
    if (!(v->device = strdup(device)))
        return ab_oom(err);
    return volume_add(v, im, at, len, err);
}

void
volume_release(struct volume *v)
{
    free(v->device);
    free(v->ext);
    ab_error_release(&v->io_err);
    *v = (struct volume){.io_err = AB_ERROR_INIT};
}

/* The extent holding byte off (off < v->size). */
static const struct volume_extent *
extent_at(const struct volume *v, uint64_t off)
{
    size_t lo = 0, hi = v->n_ext;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (v->ext[mid].start <= off)
            lo = mid;
        else
            hi = mid;
    }
    return &v->ext[lo];
}

static int
transfer(struct volume *v, void *rbuf, const void *wbuf, size_t len, uint64_t off,
         struct ab_error *err)
{
    if (off > v->size || len > v->size - off)
        return ab_build_error(err, EINVAL, "a %s past the end of volume '%s'",
                              wbuf ? "write" : "read", v->device);
    while (len) {
        const struct volume_extent *e = extent_at(v, off);
        uint64_t in = off - e->start, n = e->len - in < len ? e->len - in : len;
        int r;
        if (wbuf) {
            r = disk_image_pwrite(e->image, wbuf, (size_t)n, e->at + in, err);
            wbuf = (const char *)wbuf + n;
        } else {
            r = reader_inside(disk_image_reader(e->image), e->at + in, rbuf, (size_t)n, err);
            r = r > 0 ? 0 : r < 0 ? -1 : ab_build_error(err, EIO, "short read of '%s'", v->device);
            rbuf = (char *)rbuf + n;
        }
        if (r < 0)
            return -1;
        off += n;
        len -= (size_t)n;
    }
    return 0;
}

int
volume_pread(struct volume *v, void *buf, size_t len, uint64_t off, struct ab_error *err)
{
    return transfer(v, buf, NULL, len, off, err);
}

int
volume_pwrite(struct volume *v, const void *buf, size_t len, uint64_t off, struct ab_error *err)
{
    if (!v->writable)
        return ab_build_error(err, EROFS, "volume '%s' is read-only", v->device);
    return transfer(v, NULL, buf, len, off, err);
}

static int
reader_cb(void *ctx, void *buf, size_t len, uint64_t off, struct ab_error *err)
{
    return volume_pread(ctx, buf, len, off, err);
}

struct byte_reader
volume_reader(struct volume *v)
{
    return (struct byte_reader){v->size, 0, -1, reader_cb, v};
}
