/* disk_image.h: a disk image's bytes on the host, whatever its format,
 * with no VM and no root (builder/diskread/disk_image.c).
 *
 * A raw image is read (and, when asked, written) in place with pread and
 * pwrite. Any other format qemu knows (qcow2, vmdk, vhdx, vdi, vpc) is
 * served read-only by qemu-nbd on a unix socket in a private folder
 * (mode 0700) and read with libnbd: qemu decodes the format, nothing
 * else of qemu runs. qemu-nbd is a child of spawn.h (its own process
 * group, SIGKILLed should this process die, stopped by spawn_kill_all on
 * an interrupt) and ends when its one client goes; closing the image
 * stops it, reaps it and removes the socket and its folder, on errors
 * too. The format is always given (image_check.h has checked the image
 * names no other file); qemu never probes it. */
#ifndef APPLIANCE_DISK_IMAGE_H
#define APPLIANCE_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/fsutil.h"
#include "appliance/spawn.h"

struct disk_image;

enum disk_image_flags {
    DISK_IMAGE_WRITE = 1 << 0, /* raw only: written in place */
};

/* Opens path, of qemu's format name format. ctx logs qemu-nbd's command
 * line (may be NULL). */
struct disk_image *disk_image_open(const char *path, const char *format, unsigned flags,
                                   const struct spawn_ctx *ctx, struct ab_error *err);

/* The image's bytes, all of its virtual size. */
const struct byte_reader *disk_image_reader(const struct disk_image *im);

/* Writes len bytes at off (DISK_IMAGE_WRITE only): 0 or -1. */
int disk_image_pwrite(struct disk_image *im, const void *buf, size_t len, uint64_t off,
                      struct ab_error *err);

/* How the bytes are read, for people: "read in place", "served by qemu-nbd". */
const char *disk_image_how(const struct disk_image *im);

/* Closes the file (what was written is in it; not synced: the images
 * written are scratch copies), stops qemu-nbd, removes the socket, frees
 * im; NULL-safe. With err NULL, an error on the way is dropped. */
int disk_image_close(struct disk_image *im, struct ab_error *err);

#endif
