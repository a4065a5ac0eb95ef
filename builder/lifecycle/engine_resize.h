/* engine_resize.h: what `appliance resize` leaves to one libguestfs
 * appliance over the raw working copy (resize.h): growing xfs
 * filesystems, which only the kernel can do (xfs_growfs of a mounted
 * filesystem), when this process cannot mount them on the host
 * (resize_native.h). Driven through gfs.h. */
#ifndef ENGINE_RESIZE_H
#define ENGINE_RESIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/error.h"
#include "appliance/resize.h"

/* Grows the xfs filesystem of each volume names[] (NULL-terminated) of
 * l->vg to its volume, whose LVM metadata is already written: mounted,
 * xfs_growfs, unmounted. Sets those volumes' fs_size and new_fs_size in
 * l, and shuts the appliance down. */
int engine_resize_xfs(const char *raw, struct resize_layout *l, const char *const *names,
                      bool use_kvm, struct ab_error *err);

#endif
