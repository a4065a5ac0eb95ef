/* lvm_label.h: the name of the LVM volume group on a raw disk image, read
 * from the bytes (no libguestfs launch, no lvm2 on the host).
 *
 * The GPT's first "Linux LVM" partition (or, without one, the whole disk)
 * is read as an LVM2 physical volume (lvm2's lib/format_text/layout.h):
 * the label "LABELONE" in one of its first four sectors, the PV header it
 * points to with its lists of data and metadata areas, the first metadata
 * area's header (magic " LVM2 x[5A%r0N*>") and its first raw location,
 * whose text starts with the VG's name and " {". Every offset and length
 * is checked against the image: the image comes from outside. */
#ifndef APPLIANCE_LVM_LABEL_H
#define APPLIANCE_LVM_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"

#define LVM_VG_NAME_MAX 128

/* Reads the VG name of the raw image open at fd (size bytes). Returns 1
 * with name set; 0 when there is no PV or no VG in it, with *why a static
 * reason ("no LVM physical volume", ...); -1 on a read error. */
int lvm_label_vg_name(int fd, uint64_t size, char name[LVM_VG_NAME_MAX], const char **why,
                      struct ab_error *err);

#endif
