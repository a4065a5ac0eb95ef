/* ova_target.h: the import targets of an OVA (the recipe's ova.target).
 *
 * Each importer reads the OVF descriptor its own way (IMPORTERS.md): the
 * newest virtual hardware family it runs, the guest OS IDs it knows, the
 * manifest digests it accepts, the NIC and controller models it keeps. A
 * profile records those choices for one importer; the plan stage resolves
 * the recipe's target into the plan's OVA fields (plan.h), the exporter
 * writes them, and `appliance inspect --target` judges a descriptor by the
 * same rows (target_check.h). The table and the source of every rule are
 * in builder/plan/ova_targets.c. */
#ifndef APPLIANCE_OVA_TARGET_H
#define APPLIANCE_OVA_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "appliance/enums.h"

/* vSphere releases, as major * 100 + minor * 10 + update: the guest OS IDs
 * a release knows are those of its API (vSphere's GuestOS enum). */
#define VSPHERE_6_5 650
#define VSPHERE_6_7 670
#define VSPHERE_7_0 700
#define VSPHERE_7_0_U1 701
#define VSPHERE_8_0_U1 801

struct ova_target_profile {
    enum ova_target target;
    const char *importer;     /* for people: "VMware ESXi and vCenter 6.7" */
    unsigned family;          /* the vmx-NN written (and the VMDKs' virtualHWVersion) */
    unsigned max_family;      /* the newest vmx-NN it runs; 0: it reads no family */
    unsigned guest_release;   /* whose guest IDs vmw:osType takes (VSPHERE_*) */
    bool reads_os_type;       /* it judges vmw:osType (VMware's importers) */
    enum digest digest;       /* the manifest's */
    unsigned digests_refused; /* 1 << enum digest: manifests it refuses */
    const char *nic;          /* rasd:ResourceSubType of the NICs */
    const char *scsi;         /* of a SCSI controller */
    const char *sata;         /* of a SATA controller */
    bool strict_units;        /* reads disk capacities only in the byte * 2^N form */
    bool nic_fallback;        /* NICs other than e1000, e1000e, vmxnet3 become e1000 */
    bool drops_detached;      /* a disk no Item attaches is dropped silently */
    bool needs_os_id;         /* refuses an OperatingSystemSection without numeric ovf:id */
    bool checks_sata;         /* refuses a SATA controller not AHCI or vmware.sata.ahci */
};

/* The profile of t (every enum value has one). */
const struct ova_target_profile *ova_target_profile(enum ova_target t);

/* The newest guest OS ID for d that release knows; DISTRO_NONE (a tree
 * of unknown kind) gets an "other Linux" ID. */
const char *ova_guest_id(enum distro d, unsigned release);

/* The release that introduced guest ID id: 0 and *release set, or -1 when
 * the table does not list id (it cannot judge it). */
int ova_guest_id_since(const char *id, unsigned *release);

/* What a release knows in id's place: the newest of the same kind (the
 * same distribution's, or "other Linux") that release knows. */
const char *ova_guest_id_fallback(const char *id, unsigned release);

/* "6.7", "7.0 Update 1", "8.0 Update 1": a release for people. */
const char *ova_release_name(unsigned release);

/* N of the "byte * 2^N" units a disk's capacity is written in: the
 * largest of 30, 20, 10 and 0 that divides bytes exactly. */
unsigned ova_capacity_shift(uint64_t bytes);

#endif
