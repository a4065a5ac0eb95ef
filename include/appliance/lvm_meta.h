/* lvm_meta.h: LVM2 metadata written by the program from the plan, no lvm2
 * involved; the format's bytes are lvm.h's.
 *
 * From the plan, each disk's physical volume gets what lvm2 2.03's
 * pvcreate/vgcreate/lvcreate would leave on it:
 *
 *   PV byte 512     the label (lvm.h): the PV's UUID and size, one data
 *                   area (at pe_start, to the end), one metadata area (at
 *                   4 KiB, up to pe_start), the extension (version 2,
 *                   PV_EXT_USED)
 *   PV byte 4096    the metadata area header (lvm.h): one text, just after
 *   PV byte 4608    the metadata text, seqno 1: the VG, its PV and its LVs
 *                   in plan order, each one linear segment at the extent
 *                   the plan gave it
 *
 * Every UUID is derived from the plan (name, version, disk, VG or LV, and
 * the seed when there is one), and the times are one value the caller
 * gives (the build's SOURCE_DATE_EPOCH, epoch.h), so the same plan gives
 * the same bytes.
 */
#ifndef APPLIANCE_LVM_META_H
#define APPLIANCE_LVM_META_H

#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/lvm.h"
#include "appliance/plan.h"

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
