/* ova_target.h: the import targets of an OVA (the recipe's ova.target).
 *
 * Each importer reads the OVF descriptor its own way (IMPORTERS.md): the
 * newest virtual hardware family it runs, the guest OS IDs it knows, the
 * manifest digests it accepts, the NIC and controller models it keeps. A
 * profile records those choices for one importer; the plan stage resolves
 * the recipe's target into the plan's OVA fields (plan.h), the exporter
 * writes them, and `appliance inspect --target` judges a descriptor by the
 * same rows (target_check.h). The table and the source of every rule are
 * in builder/plan/ova_targets.c.
 *
 * A profile imports guests of some architectures (arches). What an
 * architecture decides whatever the importer, the oldest family its
 * guests run and the NIC model its importers offer, is its row's
 * (arch.h); the functions below combine the two for a plan or a judge. */
#ifndef APPLIANCE_OVA_TARGET_H
#define APPLIANCE_OVA_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/arch.h"
#include "appliance/distro.h" /* VSPHERE_*, the guest ids of each release */

struct ova_target_profile {
    enum ova_target target;
    const char *importer;     /* for people: "VMware ESXi and vCenter 6.7" */
    unsigned arches;          /* enum arch flags: the guests it imports */
    unsigned family;          /* the vmx-NN written (and the VMDKs' virtualHWVersion) */
    unsigned max_family;      /* the newest vmx-NN it runs; 0: it reads no family */
    unsigned guest_release;   /* whose guest IDs vmw:osType takes (VSPHERE_*, distro.h) */
    bool reads_os_type;       /* it judges vmw:osType (VMware's importers) */
    enum digest digest;       /* the manifest's */
    unsigned digests_refused; /* 1 << enum digest: manifests it refuses */
    const char *nic;          /* rasd:ResourceSubType of the NICs, unless the arch row's */
    const char *scsi;         /* of a SCSI controller; NULL: it takes none */
    const char *sata;         /* of a SATA controller */
    bool strict_units;        /* reads disk capacities only in the byte * 2^N form */
    bool nic_fallback;        /* NICs other than e1000, e1000e, vmxnet3 become e1000 */
    bool drops_detached;      /* a disk no Item attaches is dropped silently */
    bool needs_os_id;         /* refuses an OperatingSystemSection without numeric ovf:id */
    bool checks_sata;         /* refuses a SATA controller not AHCI or vmware.sata.ahci */
};

/* The profile of t (every enum value has one). */
const struct ova_target_profile *ova_target_profile(enum ova_target t);

/* The vmx-NN family t writes for a guest of arch: its own, raised to the
 * oldest that arch's guests run (arch.h's vmware_hw_min). */
unsigned ova_target_family(const struct ova_target_profile *t, enum arch arch);

/* The newest vmx-NN t runs for a guest of arch, never below the family it
 * writes for it; 0: t reads no family. */
unsigned ova_target_max_family(const struct ova_target_profile *t, enum arch arch);

/* The NIC model t's OVA has for a guest of arch: the arch row's, else t's. */
const char *ova_target_nic(const struct ova_target_profile *t, enum arch arch);

/* Writes the targets that import guests of every architecture in arches
 * into buf as "'generic' or 'aws'" (always NUL-terminated); returns buf. */
char *ova_target_list_for(unsigned arches, char *buf, size_t size);

/* "6.7", "7.0 Update 1", "8.0 Update 1": a release for people. */
const char *ova_release_name(unsigned release);

/* N of the "byte * 2^N" units a disk's capacity is written in: the
 * largest of 30, 20, 10 and 0 that divides bytes exactly. */
unsigned ova_capacity_shift(uint64_t bytes);

#endif
