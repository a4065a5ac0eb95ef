/* volume.h: a partition or a logical volume as a run of bytes
 * (builder/diskread/volume.c).
 *
 * A volume is a list of extents, each a run of bytes of one disk image:
 * a partition has one, a linear logical volume one per segment (its
 * physical extents, on whichever PV). Reads and writes go extent by
 * extent; nothing past the volume's end is reachable. */
#ifndef DISKREAD_VOLUME_H
#define DISKREAD_VOLUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/disk_image.h"
#include "appliance/error.h"
#include "appliance/fsutil.h"

struct volume_extent {
    uint64_t start; /* in the volume */
    uint64_t len;
    struct disk_image *image; /* not owned */
    uint64_t at;              /* in the image */
};

struct volume {
    char *device; /* "/dev/sda2", "/dev/vg_os/root" */
    struct volume_extent *ext;
    size_t n_ext;
    uint64_t size;
    bool writable;
    struct ab_error io_err; /* the last error of a read or write through ext2io.h */
};

/* A volume of one extent (a partition, a whole disk): 0 or -1. */
int volume_init_range(struct volume *v, const char *device, struct disk_image *im, uint64_t at,
                      uint64_t len, struct ab_error *err);

/* Appends an extent at the volume's end: 0 or -1 (out of memory, or
 * outside its image). */
int volume_add(struct volume *v, struct disk_image *im, uint64_t at, uint64_t len,
               struct ab_error *err);

void volume_release(struct volume *v);

int volume_pread(struct volume *v, void *buf, size_t len, uint64_t off, struct ab_error *err);
int volume_pwrite(struct volume *v, const void *buf, size_t len, uint64_t off,
                  struct ab_error *err);

/* The volume's bytes as a reader (fsutil.h); v must outlive it. */
struct byte_reader volume_reader(struct volume *v);

#endif
