/* hostfs.h: partition tables and filesystems written on the host,
 * straight into the sparse raw disks at their final byte offsets, with
 * util-linux, e2fsprogs, dosfstools and mtools. No root, no loop device,
 * and no file data through the emulated appliance. */
#ifndef APPLIANCE_HOSTFS_H
#define APPLIANCE_HOSTFS_H

#include <stdint.h>

#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

/* Every tool runs with the caller's ctx: its log and echo (may be NULL). */

/* Creates the sparse disk image of the plan's disk and its GPT (sfdisk). */
int hostfs_disk(const struct plan *plan, enum plan_disk_id id, const char *img,
                const struct spawn_ctx *ctx, struct ab_error *err);

/* Makes mount m's filesystem at its place in img, filled from dir:
 * ext4 with mke2fs -d, the FAT ESP with mkfs.vfat and mcopy (plus
 * the files of efi_dir in EFI/BOOT). xfs is made by xfs_host.h.
 * Every identity comes from the plan and every time the filesystem
 * itself stamps is epoch (SOURCE_DATE_EPOCH), so the same plan, tree and
 * epoch give the same bytes; the files' own times are dir's, which the
 * build clamps to the epoch first (epoch_clamp_tree). */
int hostfs_make(const struct plan *plan, const struct plan_mount *m, const char *img,
                const char *dir, const char *efi_dir, int64_t epoch, const struct spawn_ctx *ctx,
                struct ab_error *err);

/* Writes the swap signature of swap LV lv of disk id (mkswap). */
int hostfs_swap(const struct plan *plan, enum plan_disk_id id, const struct plan_lv *lv,
                const char *img, const char *scratch, const struct spawn_ctx *ctx,
                struct ab_error *err);

/* The byte offset and size of mount m's filesystem in its disk. */
void hostfs_extent(const struct plan *plan, const struct plan_mount *m, uint64_t *offset,
                   uint64_t *size);

#endif
