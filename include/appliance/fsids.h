/* fsids.h: the identities of a build's filesystems, and /etc/fstab.
 *
 * Every filesystem and swap area gets a UUID derived from the appliance's
 * name and version, the disk and the volume, and the recipe's seed when it
 * has one: the same recipe gives the same identities, so builds are reproducible and fstab,
 * grub.cfg and the filesystems agree without asking each other. (Deployed clones share filesystem
 * UUIDs in any case; machine-id is what makes them distinct.) */
#ifndef APPLIANCE_FSIDS_H
#define APPLIANCE_FSIDS_H

#include <stdint.h>
#include <stdio.h>

#include "appliance/hash.h"
#include "appliance/plan.h"

/* The SHA-256, in hex, of "DOMAIN\0name\0version\0DISK\0WHAT\0" and then
 * "seed\0" when the recipe has one: what every identity the program
 * derives (filesystem UUIDs, LVM UUIDs, GPT GUIDs, image ids) starts from,
 * each DOMAIN its own. */
void fsid_digest(const struct plan *plan, const char *domain, const char *disk, const char *what,
                 char hex[HASH_HEX_MAX]);

#define FSID_UUID_BUF 37

/* The UUID (lowercase, 8-4-4-4-12) of the filesystem on partition part or
 * on lv (exactly one is non-NULL) of disk. */
void fsid_uuid(const struct plan *plan, enum plan_disk_id disk, const struct plan_partition *part,
               const struct plan_lv *lv, char out[FSID_UUID_BUF]);

/* The GUID (uppercase, as sfdisk writes it) of disk's GPT (part NULL) or
 * of its partition part: the label-id and the partitions' unique GUIDs. */
void fsid_gpt_guid(const struct plan *plan, enum plan_disk_id disk,
                   const struct plan_partition *part, char out[FSID_UUID_BUF]);

/* The directory hash seed (a UUID, as mke2fs -E hash_seed= takes it) of
 * mount m's ext4: htree order depends on it. */
void fsid_ext4_hash_seed(const struct plan *plan, const struct plan_mount *m,
                         char out[FSID_UUID_BUF]);

/* The FAT volume id of the EFI system partition, and its "XXXX-XXXX" form. */
uint32_t fsid_fat_serial(const struct plan *plan);
void fsid_fat_serial_text(uint32_t serial, char out[10]);

/* The UUID of a mount's filesystem ("XXXX-XXXX" for the ESP). */
void fsid_of_mount(const struct plan *plan, const struct plan_mount *m, char out[FSID_UUID_BUF]);

/* Writes /etc/fstab for the plan: every mount by UUID in mount order, then
 * swap. Returns 0, or -1 on a write error. */
int fstab_write(const struct plan *plan, FILE *out);

#endif
