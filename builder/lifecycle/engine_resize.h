/* engine_resize.h: the LVM and filesystem half of `appliance resize`, in
 * one libguestfs appliance over the raw working copy (resize.h), driven
 * through gfs.h. */
#ifndef ENGINE_RESIZE_H
#define ENGINE_RESIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/error.h"
#include "appliance/resize.h"

/* On entry l has the disk and partition as they are (and, when growing,
 * already are on the copy), and new_part_sectors. Reads the volume group,
 * plans the volumes (resize_plan_volumes), resizes PV, volumes and
 * filesystems, moves extents that lie past the new end, checks everything
 * (e2fsck -fn, xfs_repair -n, vgck, names and UUIDs) and shuts the
 * appliance down. Fills the rest of l. */
int engine_resize(const char *raw, struct resize_layout *l, const struct resize_volume *v, size_t n,
                  bool use_kvm, struct ab_error *err);

#endif
