/* resize.h: `appliance resize`: one disk of the appliance grown or shrunk
 * offline, in the format it is in (qcow2, VMDK, VHDX, VHD, VDI, raw).
 *
 * The disk is any disk the build made (its VG tagged with its role, os or
 * app, whatever the recipe named the VG) or like one: GPT, one VG whose
 * one PV is the last partition, linear volumes. The image given is never
 * written: it is checked (image_check.h), converted to a sparse raw copy
 * in a scratch folder beside the destination, and the work is done on
 * that copy; the copy, converted back to the image's own format (and VMDK
 * subformat and adapter type), is renamed over the image (or to the
 * output) only when every check has passed. A failure or an interrupt
 * leaves the image as it was and removes the scratch folder.
 *
 * Growing: the copy is enlarged, its backup GPT moved to the new end and
 * the LVM partition grown to the end (sfdisk); the PV takes the new
 * extents, the growing volumes (the VG's last volume, or those --volume
 * names) take theirs, their ext4 grown by resize2fs, their xfs by
 * xfs_growfs, mounted.
 *
 * Shrinking: the ext4 filesystems shrunk by resize2fs (never below
 * resize2fs -P's minimum; xfs cannot shrink and is refused), the volumes
 * reduced, extents that lie past the PV's new end moved into free ones
 * below it; then the partition shrunk, the copy truncated and its backup
 * GPT rewritten at the new end.
 *
 * Everything but growing an xfs is done on the host, without a VM and,
 * for ext4, without root (resize_native.h): LVM's metadata read and
 * written by the program's own LVM module (lvm.h, lvm_meta.h), extents
 * moved within the copy, resize2fs run on a sparse copy of each volume.
 * xfs_growfs needs the filesystem mounted: as root on the host through a
 * loop device in a private mount namespace, else in one libguestfs
 * appliance (engine_resize.h); the summary says which.
 *
 * Checked before the result replaces anything: e2fsck -fn on every ext
 * volume, xfs_repair -n on every xfs one, pvck (and as root vgck), the
 * VG's name and its VG and PV UUIDs unchanged, every filesystem's type and
 * UUID unchanged; the GPT read back (sfdisk --verify, the partition where
 * it was, same type, UUID and name); the converted image checked again
 * and of the size asked for.
 *
 * Why not virt-resize: it copies every byte through its appliance into a
 * new disk (slow under emulation), can grow an LV but never shrink a
 * filesystem or an LV, and never moves extents. */
#ifndef APPLIANCE_RESIZE_H
#define APPLIANCE_RESIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/image_check.h"
#include "appliance/lvm.h"
#include "appliance/spawn.h"

/* ---- sizes: "4GiB", "+1GiB", "-512MiB" -------------------------------- */

enum resize_rel { RESIZE_ABS, RESIZE_PLUS, RESIZE_MINUS };

struct resize_amount {
    enum resize_rel rel;
    uint64_t bytes;
};

/* Parses the project's size syntax (size.h), optionally with a leading
 * '+' or '-' (relative to the current size). 0, or -1 with *why set. */
int resize_amount_parse(const char *text, struct resize_amount *a, const char **why);

/* The size a gives for something of size old: 0, or -1 with *why set when
 * it would be zero or less, or overflow. */
int resize_amount_apply(const struct resize_amount *a, uint64_t old, uint64_t *out,
                        const char **why);

#define RESIZE_NAME_MAX 128

/* --volume NAME=SIZE */
struct resize_volume {
    char name[RESIZE_NAME_MAX];
    struct resize_amount size;
};

/* Parses NAME=SIZE: 0, or -1 with *why set. */
int resize_volume_parse(const char *arg, struct resize_volume *v, const char **why);

/* ---- what the disk holds, and what it becomes ------------------------- */

#define RESIZE_MAX_LVS 64
#define RESIZE_FS_MAX 16
#define RESIZE_UUID_MAX 64

struct resize_lv {
    char name[RESIZE_NAME_MAX];
    char fs[RESIZE_FS_MAX]; /* blkid's type: ext4, xfs, swap; "" none found */
    unsigned order;         /* in the VG's metadata: the order they were made in */
    uint64_t extents, new_extents;
    uint64_t fs_size, new_fs_size; /* bytes, 0 unknown */
    uint64_t fs_min;               /* ext: resize2fs -P, in bytes; 0 unknown */
};

struct resize_layout {
    char format[IMAGE_FORMAT_MAX];
    uint64_t disk_size, new_disk_size; /* bytes */
    unsigned part_number;              /* the PV's partition */
    uint64_t part_start;               /* sectors of 512 bytes */
    uint64_t part_sectors, new_part_sectors;
    char vg[RESIZE_NAME_MAX];
    char role[LVM_ROLE_MAX]; /* the disk's, as the build tagged its VG: "os", "app"; "" unknown */
    char vg_uuid[RESIZE_UUID_MAX], pv_uuid[RESIZE_UUID_MAX];
    uint64_t pe_start, extent_size; /* bytes */
    uint64_t pe_count, new_pe_count;
    struct resize_lv lvs[RESIZE_MAX_LVS];
    size_t n_lvs;
    uint64_t moved_extents; /* moved below the PV's new end */
    unsigned xfs_in_appliance; /* xfs volumes grown in the libguestfs appliance */
};

/* The last sector of a partition that ends where a GPT disk of disk_bytes
 * leaves room for the backup table (33 sectors), aligned down so that it
 * ends on a MiB boundary, as the build lays the disks out. 0 when the
 * disk is too small. */
uint64_t resize_part_last_sector(uint64_t disk_bytes);

/* The whole extents a PV of part_bytes holds after pe_start bytes. */
uint64_t resize_pe_count(uint64_t part_bytes, uint64_t pe_start, uint64_t extent_size);

/* Sets every lvs[].new_extents for l->new_pe_count: the volumes named get
 * their sizes (rounded up to whole extents); without any, the VG's last
 * volume (the last one made: the last in its metadata) takes what the PV gains or loses.
 * -1 when a name is unknown, the volumes do not fit, a volume would shrink
 * that holds xfs (which cannot shrink), or a volume that changes holds
 * neither ext2/3/4 nor xfs. */
int resize_plan_volumes(struct resize_layout *l, const struct resize_volume *v, size_t n,
                        struct ab_error *err);

/* -1 when a volume to shrink is below its filesystem's fs_min. */
int resize_check_minimum(const struct resize_layout *l, struct ab_error *err);

/* A run of a volume's extents copied down the PV: count extents from PV
 * extent from to PV extent to (the two never overlap). */
struct resize_move {
    size_t lv; /* in vg->lvs */
    uint64_t from, to, count;
};

/* Lays the volumes of vg (one PV, every volume linear) out anew for l:
 * each gets l's new_extents (by name); a shrinking one loses extents from
 * its end; extents at or past l->new_pe_count are moved into free ones
 * below it, the lowest first, volume by volume in the VG's order; a
 * growing one takes the extents just after its last one while they are
 * free, then the lowest free ones. Sets vg's segments (adjacent ones
 * merged) and its PV's pe_count; *moves (malloc'd, *n_moves of them) are
 * the copies that carry the moved extents' bytes, in order. -1 when the
 * volumes do not fit. */
int resize_plan_extents(struct lvm_vg *vg, const struct resize_layout *l,
                        struct resize_move **moves, size_t *n_moves, struct ab_error *err);

/* The qemu-img create options that give back an image like the one whose
 * embedded VMDK descriptor is desc: subformat and adapter type (only
 * values qemu knows are taken). NULL when desc names a createType this
 * cannot write. To be freed. */
char *resize_vmdk_options(const char *desc);

/* ---- the command ------------------------------------------------------- */

struct resize_opts {
    const char *image;  /* the disk image */
    const char *output; /* NULL: the image is replaced */
    struct resize_amount size;
    const struct resize_volume *volumes;
    size_t n_volumes;
    struct spawn_ctx spawn; /* the log of the tools run */
    /* Asked once, only when the appliance is to start (an xfs volume
     * grows and cannot be mounted here): whether KVM can run it. NULL:
     * software emulation. */
    bool (*kvm)(void *ctx);
    void (*step)(void *ctx, const char *what); /* progress, may be NULL */
    void *ctx;
};

/* Resizes; fills l (for the summary) as it goes. */
int resize_run(const struct resize_opts *o, struct resize_layout *l, struct ab_error *err);

#endif
