/* lvm_meta.h: LVM2 metadata written by the program, no lvm2 involved.
 *
 * From the plan, each disk's physical volume gets what lvm2 2.03's
 * pvcreate/vgcreate/lvcreate would leave on it, laid out as lvm2's text
 * format does (lib/format_text/layout.h, format-text.c, export.c):
 *
 *   PV byte 512     label sector: "LABELONE", its sector number (1), the
 *                   CRC of the rest of the sector, the offset (32) of the
 *                   pv_header and the type "LVM2 001"
 *   PV byte 544     pv_header: the PV's UUID, the device size, one data
 *                   area (at pe_start, to the end), one metadata area (at
 *                   4 KiB, up to pe_start), the extension (version 2,
 *                   PV_EXT_USED)
 *   PV byte 4096    metadata area header: checksum, magic, version 1, its
 *                   own start and size, and the location, size and
 *                   checksum of the one metadata text
 *   PV byte 4608    the metadata text, seqno 1: the VG, its PV and its LVs
 *                   in plan order, each one linear segment at the extent
 *                   the plan gave it
 *
 * Every checksum is lvm's CRC-32 (lvm_crc). Every UUID is derived from the
 * plan (name, version, disk, VG or LV, and the seed when there is one), and the times are one value
 * the caller gives (the build's SOURCE_DATE_EPOCH, epoch.h), so the same plan gives the same bytes.
 */
#ifndef APPLIANCE_LVM_META_H
#define APPLIANCE_LVM_META_H

#include <stddef.h>
#include <stdint.h>

#include "appliance/bytes.h"
#include "appliance/error.h"
#include "appliance/plan.h"

#define LVM_CRC_INITIAL UINT32_C(0xf597a6cf)
#define LVM_LABEL_SECTOR 1           /* lvm2 writes the label in sector 1 */
#define LVM_MDA_START UINT64_C(4096) /* the metadata area's header */
#define LVM_MDA_HEADER_SIZE 512      /* the text follows it */
#define LVM_UUID_LEN 32              /* as stored in the pv_header */
#define LVM_UUID_BUF 39              /* 6-4-4-4-4-4-6 with dashes, and NUL */
#define LVM_MDA_MAGIC " LVM2 x[5A%r0N*>"

/* lvm's CRC-32: the reflected polynomial 0xedb88320, no final inversion;
 * lvm starts it at LVM_CRC_INITIAL. */
uint32_t lvm_crc(uint32_t crc, const void *buf, size_t len);

/* The UUID of disk id's PV ("pv"), VG ("vg") or of its LV ("lv:NAME"), in
 * lvm's 62-character alphabet with lvm's dashes. */
void lvm_meta_uuid(const struct plan *plan, enum plan_disk_id id, const char *what,
                   char out[LVM_UUID_BUF]);

/* The metadata text of disk id's VG, NUL-terminated; *len counts the NUL,
 * as lvm's raw_locn size does. NULL when out of memory. */
char *lvm_meta_text(const struct plan *plan, enum plan_disk_id id, int64_t when, size_t *len);

/* The first bytes of disk id's PV, from its byte 0 to the end of the
 * text rounded up to a sector: *buf (malloc'd) of *len bytes. */
int lvm_meta_pv(const struct plan *plan, enum plan_disk_id id, int64_t when, unsigned char **buf,
                size_t *len, struct ab_error *err);

/* Writes lvm_meta_pv() into the disk image img at the PV partition's
 * offset. The image is the one hostfs_disk() made: the rest of the
 * metadata area is left as it is (zero). */
int lvm_meta_write(const struct plan *plan, enum plan_disk_id id, const char *img, int64_t when,
                   struct ab_error *err);

#endif
