/* image_ids.h: the identities and times in disk image headers, derived.
 *
 * qemu-img writes a random GUID or UUID (and VHD a creation time) into
 * every VHDX, VDI, VHD and VMDK it makes; an export must be the same bytes
 * from the same disks, so after qemu-img has written a file these
 * functions overwrite those fields with values derived from a key (a
 * digest of the plan's name, version, the disk and the format) and
 * SOURCE_DATE_EPOCH, and fix the checksums that cover them:
 *
 *   vhdx  both headers' FileWriteGuid, DataWriteGuid and SequenceNumber
 *         (random too: 2 for the header in use, 1 for the other); LogGuid
 *         zero (the file must have no log to replay; its log area, which
 *         holds qemu-img's replayed entries, is zeroed),
 *         the metadata's Page 83 data (the virtual disk id), the headers'
 *         CRC-32C
 *   vdi   uuidCreate and uuidModify (a differencing image is refused)
 *   vpc   the footer's Timestamp and Unique Id and its checksum, at the
 *         end and, for a dynamic VHD, its copy at the start
 *   vmdk  the descriptor's CID, the rest of the descriptor's sectors zeroed
 *         (qemu-img leaves the tail of a longer CID there)
 *
 * Each function checks the structures it reads (signatures, checksums,
 * offsets inside the file) and fails rather than write into a file it does
 * not understand. */
#ifndef APPLIANCE_IMAGE_IDS_H
#define APPLIANCE_IMAGE_IDS_H

#include <stdint.h>

#include "appliance/error.h"
#include "appliance/plan.h"

struct image_id_key {
    unsigned char b[32];
};

/* SHA-256 of "appliance-image-id", the plan's name and version, the disk's
 * id and format (qemu-img's name), each NUL-terminated. */
void image_id_key_for(const struct plan *plan, enum plan_disk_id disk, const char *format,
                      struct image_id_key *key);

/* SHA-256 of the key and what, first 16 bytes, with the version (4) and
 * variant bits of an RFC 4122 random UUID set for the byte order given:
 * big-endian as VHD stores it, or Microsoft's mixed-endian GUID layout
 * (VHDX, VDI) when mixed is set. */
void image_id_guid(const struct image_id_key *key, const char *what, int mixed,
                   unsigned char out[16]);

/* A VMDK content id from the key: never 0, 0xfffffffe or 0xffffffff
 * (which mean "none" and "no parent"). */
uint32_t image_id_cid(const struct image_id_key *key);

int image_ids_vhdx(const char *path, const struct image_id_key *key, struct ab_error *err);
int image_ids_vdi(const char *path, const struct image_id_key *key, struct ab_error *err);
/* epoch: seconds since 1970; times before 2000 (VHD's origin) become 0. */
int image_ids_vhd(const char *path, const struct image_id_key *key, int64_t epoch,
                  struct ab_error *err);
int image_ids_vmdk(const char *path, const struct image_id_key *key, struct ab_error *err);

/* The one of the above for qemu-img's format name ("vhdx", "vdi", "vpc",
 * "vmdk"); 0 and nothing done for formats without such fields (qcow2,
 * raw). */
int image_ids_rewrite(const char *path, const char *format, const struct image_id_key *key,
                      int64_t epoch, struct ab_error *err);

#endif
