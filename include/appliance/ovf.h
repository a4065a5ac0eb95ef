/* ovf.h: the OVF 1.0 descriptor (.ovf) of an appliance.
 *
 * ovf_write() writes the envelope in the OVF 1.0 namespace
 * (http://schemas.dmtf.org/ovf/envelope/1) that vSphere, VirtualBox,
 * virt-v2v and Proxmox import: References (one File per disk, its exact
 * size), DiskSection (capacity in bytes, streamOptimized VMDK format),
 * NetworkSection (when the plan has NICs) and one VirtualSystem with the
 * product, a numeric OS id plus vmw:osType, and the virtual hardware (CPU,
 * memory, the plan's disk controller, both disks, E1000 NICs, and
 * vmw:Config firmware=efi for UEFI-only appliances). The document is built
 * with libxml2's tree API and validates against the DMTF DSP8023 1.1.1
 * schema. */
#ifndef APPLIANCE_OVF_H
#define APPLIANCE_OVF_H

#include <stdint.h>

#include "appliance/error.h"
#include "appliance/plan.h"

#define OVF_NS "http://schemas.dmtf.org/ovf/envelope/1"
#define OVF_NS_RASD                                                                                \
    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
#define OVF_NS_VSSD "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
#define OVF_NS_VMW "http://www.vmware.com/schema/ovf"
#define OVF_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"
#define OVF_FORMAT_STREAM_OPTIMIZED                                                                \
    "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"

/* One disk of the bundle, indexed by enum plan_disk_id. */
struct ovf_disk_file {
    const char *href;        /* file name as shipped beside the .ovf, e.g. "demo-os.vmdk" */
    uint64_t size;           /* exact byte size of that file (File ovf:size) */
    uint64_t capacity;       /* virtual size in bytes: the raw disk's size */
    uint64_t populated_size; /* bytes allocated in the guest's view */
};

/* The numeric OperatingSystemSection ovf:id of plan's OS (its CIM id in
 * the distribution table, distro.h) and its VMware guest id, the
 * target's (plan->ova.os_type). */
unsigned ovf_os_id(const struct plan *plan);
const char *ovf_vmw_os_type(const struct plan *plan);

/* A disk's capacity as written: *quantity in the returned units, "byte *
 * 2^N" in buf, N the largest of 30, 20, 10 and 0 that divides capacity. */
const char *ovf_capacity_units(uint64_t capacity, uint64_t *quantity, char *buf, size_t size);

/* Writes the descriptor of plan, whose disks (OS, then application) are
 * described by disks, to path: under a temporary name in the same folder,
 * then renamed, so that path is either absent, the old file or complete.
 * Returns 0, or -1 with libxml2's or the system's error in err. */
int ovf_write(const struct plan *plan, const struct ovf_disk_file disks[2], const char *path,
              struct ab_error *err);

#endif
