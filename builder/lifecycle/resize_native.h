/* resize_native.h: the LVM and filesystem half of `appliance resize`, on
 * the host, on the raw working copy (resize.h), with no VM and no root
 * for ext4:
 *
 *   the PV and its VG read (lvm.h's lvm_pv_read), what each volume holds
 *   probed (libblkid), the volumes' new sizes planned (resize_plan_volumes)
 *   and their extents laid out (resize_plan_extents); an ext volume that
 *   changes copied out to a sparse file of its own, checked (e2fsck -fp)
 *   and measured (resize2fs -P); extents past the PV's new end copied into
 *   free ones below it (copy_file_range, holes punched where the source
 *   has them); the ext copies resized (resize2fs) and written back into
 *   their volumes' new extents; the VG's metadata written anew (lvm_meta.h);
 *   a growing xfs grown by xfs_growfs, mounted through a loop device in a
 *   private mount namespace where this process may (root), else left for
 *   the libguestfs appliance (engine_resize.h).
 *
 * Why copies and not resize2fs on the volume's bytes in place: resize2fs
 * takes e2fsprogs' "?offset=" io option, but on a regular file it also
 * truncates the file to the filesystem's new end, which would cut the
 * working copy there. A copy of a volume holds only its data blocks
 * (SEEK_DATA), and copy_file_range makes it a reflink where the scratch
 * folder's filesystem can.
 *
 * Checked by resize_native_verify before the result counts: the PV and VG
 * read back (the VG's and PV's UUIDs and name, every volume's size, the
 * PV's extents), pvck --dump headers (lvm2's own reading of the label,
 * headers and text, their checksums) and, as root, vgck through a
 * read-only loop device; e2fsck -fn of every ext volume and xfs_repair -n
 * of every xfs one; every filesystem's type and UUID as before. */
#ifndef RESIZE_NATIVE_H
#define RESIZE_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/error.h"
#include "appliance/resize.h"
#include "appliance/spawn.h"

struct resize_native;

struct resize_native_opts {
    const char *work;    /* the raw working copy, its GPT already grown when growing */
    const char *scratch; /* a folder for the volumes' copies */
    const struct spawn_ctx *spawn;
    bool may_mount; /* may mount and use loop devices (root) */
    void (*step)(void *ctx, const char *what);
    void *ctx;
};

/* Reads the working copy's PV (l's partition), plans and makes every change
 * but the growth of xfs filesystems that cannot be mounted here; fills l.
 * *rn (to be freed with resize_native_free, also on failure) keeps what
 * resize_native_verify needs. */
int resize_native_apply(const struct resize_native_opts *o, struct resize_layout *l,
                        const struct resize_volume *v, size_t n, struct resize_native **rn,
                        struct ab_error *err);

/* The names of the volumes whose xfs is still to grow (in the appliance),
 * NULL-terminated; empty when none. */
const char *const *resize_native_xfs_left(const struct resize_native *rn);

/* The checks above, after the xfs volumes grew. */
int resize_native_verify(struct resize_native *rn, struct ab_error *err);

void resize_native_free(struct resize_native *rn);

#endif
