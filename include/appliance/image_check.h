/* image_check.h: a disk image from outside, checked before anything opens it.
 *
 * A disk image can name other files that qemu opens with it: a qcow2's
 * backing file or external data file, a VMDK descriptor's extents, a
 * VMDK's parent. Handed to qemu or libguestfs, such an image makes them
 * open (and show a guest) whatever host file its author chose: a
 * four-line VMDK descriptor whose flat extent is "/etc/shadow" is a disk
 * holding the host's password hashes. Proxmox's importer refuses these
 * ("untrusted image"); so does appliance, for every image it did not
 * just write itself (inspect, test, deploy, and later convert, resize).
 *
 * image_check reads the image's first bytes itself and tells its format
 * from them with the table of image_format.h, without qemu's probe: qcow2 (versions 2 and 3), a
 * sparse VMDK ("KDMV": monolithicSparse, streamOptimized), VHDX, VHD (qemu's "vpc", dynamic or
 * fixed), VDI, and raw for anything else. Before any tool opens the file it refuses every reference
 * it can see there (a qcow2 backing file or external data file; a VMDK descriptor file, which has
 * no data of its own, whatever its createType: monolithicFlat, twoGbMaxExtent*, vmfs*; a sparse
 * VMDK that qemu would read as a descriptor, or that names a parent; a differencing VHD or VDI) and
 * the formats it cannot vouch for (qcow 1, QED, VMDK3 "COWD", Parallels, Bochs, cloop, LUKS). Only
 * then does it run `qemu-img info
 * --output=json -U -f FORMAT` on it (never following a chain) and judge
 * that answer with json-c as well: the format it found, no backing file,
 * no data file, no VMDK extent but the image itself, no child node but
 * its file. Callers then give the format found explicitly to whatever
 * opens the image (libguestfs add_drive FORMAT, qemu -drive format=,
 * qemu-img -f/-F, libvirt <driver type=>), so that nothing is probed.
 *
 * A refusal is an AB_E_BUILD error (exit 1) naming the image as the caller
 * shows it and the reference: "'evil.vmdk' names another file: extent
 * '/etc/shadow'; refusing an image that refers to files outside itself".
 *
 * Between the check and the open the file could be replaced by someone
 * who can write its folder; that is outside what a check can promise. */
#ifndef APPLIANCE_IMAGE_CHECK_H
#define APPLIANCE_IMAGE_CHECK_H

#include <stdint.h>

#include "appliance/error.h"
#include "appliance/image_format.h"
#include "appliance/spawn.h"

struct image_info {
    char format[IMAGE_FORMAT_MAX]; /* qemu's driver: raw, qcow2, vmdk, vhdx, vpc, vdi */
    uint64_t virtual_size;         /* bytes, as qemu-img info says */
};

/* Checks the image file at path (label: how messages name it) and fills
 * info. -1 when it is refused, unreadable, or qemu-img cannot read it.
 * qemu-img is run with ctx (may be NULL): its log. */
int image_check(const char *path, const char *label, struct image_info *info,
                const struct spawn_ctx *ctx, struct ab_error *err);

/* The same for an image that is the length bytes at offset in path (an
 * OVA member, read in place): qemu-img reads it through a raw node with
 * that offset and size, named as image_member_name() names it. */
int image_check_member(const char *path, uint64_t offset, uint64_t length, const char *label,
                       struct image_info *info, const struct spawn_ctx *ctx, struct ab_error *err);

/* The name qemu opens such a member by: json:{"driver":FORMAT,"file":
 * {"driver":"raw","offset":N,"size":M,"file":{"driver":"file",
 * "filename":PATH}}}. path should be absolute. To be freed; NULL when out
 * of memory. */
char *image_member_name(const char *format, const char *path, uint64_t offset, uint64_t length);

/* The two steps, on their own for the tests. */

/* The format of the image that is the length bytes at offset in fd, from
 * its bytes alone; -1 when they show a reference to another file or a
 * format it cannot vouch for. */
int image_sniff(int fd, uint64_t offset, uint64_t length, const char *label,
                char format[IMAGE_FORMAT_MAX], struct ab_error *err);

/* Judges json, what `qemu-img info --output=json` said of the image it
 * was given as qemu_name (a path, or image_member_name()'s), which
 * image_sniff found to be format; fills info. */
int image_judge_info(const char *json, const char *qemu_name, const char *label, const char *format,
                     struct image_info *info, struct ab_error *err);

#endif
