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
 *   PV byte 4608    the metadata text, seqno 1: the VG (tagged with the
 *                   disk's role, LVM_ROLE_TAG), its PV and its LVs in plan
 *                   order, each one linear segment at the extent the plan
 *                   gave it
 *
 * And for `appliance resize`, a VG read back (lvm.h's lvm_pv_read) and
 * edited is written again: its text, every entry kept, with the PV's new
 * size and extent count and each linear LV's segments as the caller set
 * them, the seqno one more, just after the metadata area's header.
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

/* The text of vg (read by lvm_vg_parse) with the values of its typed
 * view put back into its tree: each PV's dev_size and pe_count, each
 * linear LV's segments; seqno one more (also in vg). NUL-terminated, *len
 * counting the NUL. NULL when out of memory. */
char *lvm_meta_vg_text(struct lvm_vg *vg, size_t *len);

/* Writes pv->vg's text (lvm_meta_vg_text) into pv's metadata area of the
 * image open at fd, just after the area's header, then the header (one
 * text, its checksum) and the label with the PV's new device size
 * (pv->vg.pvs[pv->index].dev_size). -1 when the text does not fit. */
int lvm_meta_pv_rewrite(int fd, struct lvm_pv *pv, struct ab_error *err);

#endif
