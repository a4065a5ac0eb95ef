/* ext2io.c: an io_manager of libext2fs over a struct volume (ext2io.h). */
#include "ext2io.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NAME_PREFIX "appliance-volume:"

static struct volume *
vol(io_channel ch)
{
    return ch->private_data;
}

/* Bytes of a request: count blocks, or -count bytes when negative. */
static int
span(io_channel ch, unsigned long long block, int count, uint64_t *off, size_t *len)
{
    uint64_t bs = (uint64_t)ch->block_size;
    uint64_t n = count < 0 ? (uint64_t) - (int64_t)count : (uint64_t)count * bs;
    if (bs == 0 || block > UINT64_MAX / bs || n > SIZE_MAX)
        return -1;
    *off = block * bs;
    *len = (size_t)n;
    return 0;
}

/* An error of the volume kept for the caller (volume.h's io_err), and
 * libext2fs's code for it. */
static errcode_t
failed(struct volume *v, struct ab_error *e, errcode_t code)
{
    ab_error_release(&v->io_err);
    v->io_err = *e;
    return code;
}

static errcode_t
read_blk64(io_channel ch, unsigned long long block, int count, void *data)
{
    struct ab_error e = AB_ERROR_INIT;
    uint64_t off;
    size_t len;
    if (span(ch, block, count, &off, &len) < 0)
        return EXT2_ET_LLSEEK_FAILED;
    if (volume_pread(vol(ch), data, len, off, &e) < 0)
        return failed(vol(ch), &e, EXT2_ET_SHORT_READ);
    return 0;
}

static errcode_t
read_blk(io_channel ch, unsigned long block, int count, void *data)
{
    return read_blk64(ch, block, count, data);
}

static errcode_t
write_blk64(io_channel ch, unsigned long long block, int count, const void *data)
{
    struct ab_error e = AB_ERROR_INIT;
    uint64_t off;
    size_t len;
    if (span(ch, block, count, &off, &len) < 0)
        return EXT2_ET_LLSEEK_FAILED;
    if (volume_pwrite(vol(ch), data, len, off, &e) < 0)
        return failed(vol(ch), &e, EXT2_ET_SHORT_WRITE);
    return 0;
}

static errcode_t
write_blk(io_channel ch, unsigned long block, int count, const void *data)
{
    return write_blk64(ch, block, count, data);
}

static errcode_t
write_byte(io_channel ch, unsigned long offset, int count, const void *data)
{
    struct ab_error e = AB_ERROR_INIT;
    if (count < 0)
        return EXT2_ET_INVALID_ARGUMENT;
    if (volume_pwrite(vol(ch), data, (size_t)count, offset, &e) < 0)
        return failed(vol(ch), &e, EXT2_ET_SHORT_WRITE);
    return 0;
}

static errcode_t
set_blksize(io_channel ch, int blksize)
{
    if (blksize <= 0)
        return EXT2_ET_INVALID_ARGUMENT;
    ch->block_size = blksize;
    return 0;
}

static errcode_t
flush(io_channel ch)
{
    (void)ch;
    return 0; /* every write went to the image; disk_image_close syncs it */
}

static errcode_t
set_option(io_channel ch, const char *option, const char *arg)
{
    (void)ch, (void)option, (void)arg;
    return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t
close_channel(io_channel ch)
{
    if (--ch->refcount > 0)
        return 0;
    ext2fs_free_mem(&ch->name);
    ext2fs_free_mem(&ch);
    return 0;
}

static errcode_t open_channel(const char *name, int flags, io_channel *out);

static struct struct_io_manager manager = {
    .magic = EXT2_ET_MAGIC_IO_MANAGER,
    .name = "appliance volume I/O",
    .open = open_channel,
    .close = close_channel,
    .set_blksize = set_blksize,
    .read_blk = read_blk,
    .write_blk = write_blk,
    .flush = flush,
    .write_byte = write_byte,
    .set_option = set_option,
    .read_blk64 = read_blk64,
    .write_blk64 = write_blk64,
};

static errcode_t
open_channel(const char *name, int flags, io_channel *out)
{
    void *p = NULL;
    io_channel ch = NULL;
    if (!name || strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) != 0 ||
        sscanf(name + strlen(NAME_PREFIX), "%p", &p) != 1 || !p)
        return EXT2_ET_BAD_DEVICE_NAME;
    struct volume *v = p;
    if ((flags & IO_FLAG_RW) && !v->writable)
        return EROFS;
    errcode_t r = ext2fs_get_memzero(sizeof(*ch), &ch);
    if (r)
        return r;
    if ((r = ext2fs_get_mem(strlen(name) + 1, &ch->name))) {
        ext2fs_free_mem(&ch);
        return r;
    }
    strcpy(ch->name, name);
    ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
    ch->manager = &manager;
    ch->block_size = 1024;
    ch->refcount = 1;
    ch->private_data = v;
    *out = ch;
    return 0;
}

io_manager
ext2io_manager(void)
{
    return &manager;
}

void
ext2io_name(struct volume *v, char out[EXT2IO_NAME_BUF])
{
    snprintf(out, EXT2IO_NAME_BUF, NAME_PREFIX "%p", (void *)v);
}
