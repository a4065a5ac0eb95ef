/* convert_source.h: what `appliance convert` was given, opened and
 * checked: the two disk images (os, then app), each passed by image_check
 * with its format, and the machine the source describes. */
#ifndef APPLIANCE_CONVERT_SOURCE_H
#define APPLIANCE_CONVERT_SOURCE_H

#include <stdint.h>

#include "appliance/bundle.h"
#include "appliance/convert.h"
#include "appliance/image_check.h"
#include "appliance/lvm.h"
#include "appliance/plan.h"

struct convert_disk {
    char *path;  /* absolute; an OVA's member is extracted to scratch */
    char *label; /* as messages and the report name it */
    char format[IMAGE_FORMAT_MAX];
    uint64_t virtual_size;
    uint64_t file_size;
};

struct convert_source {
    const char *kind; /* "folder", "ova", "ovf", "disks" */
    char *path;       /* SRC as given, or the OS disk's */
    struct bundle *bundle;
    struct convert_disk disks[PLAN_N_DISKS];
    struct convert_hardware hw; /* the source's, --hardware-from's, the options' */
    const char *hw_from;        /* which of them gave the hardware, for people */
    char vg[PLAN_N_DISKS][LVM_VG_NAME_MAX]; /* each disk's volume group, once read */
};

/* Opens req's source; an OVA's disks are extracted into scratch (a folder
 * that does not exist yet). Fills in the hardware, layered: the source's
 * description, then req->hardware_from, then req's explicit values. */
int convert_source_open(const struct convert_request *req, const char *scratch,
                        struct convert_source *s, struct ab_error *err);

/* The plan the exporters get: the hardware, the disks' virtual sizes and
 * the outputs; -1 when the hardware is not known well enough. */
const struct plan *convert_source_plan(const struct convert_source *s,
                                       const struct convert_request *req, struct ab_error *err);

void convert_source_release(struct convert_source *s);

#endif
