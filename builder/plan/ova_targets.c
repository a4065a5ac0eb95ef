/* ova_targets.c: the import targets' profiles: the one place that says
 * what each importer wants. The guest OS IDs of each distribution and
 * vSphere release are the distribution table's (distro.h).
 *
 * Sources, cited per rule below:
 *   [IMP]  /work/shared/IMPORTERS.md, the importers' rules gathered from
 *          their sources and bug trackers (docs/importers.md retells them).
 *   [API]  the vSphere API's GuestOS enum as VMware's vSphere Automation SDK
 *          documents it ("This class attribute was added in vSphere API
 *          X"), cross-checked with govmomi 0.24.2 as Debian packages it
 *          (golang-github-vmware-govmomi-dev, vim25/types/enum.go: it has
 *          debian11_64Guest, rhel9_64Guest, centos9_64Guest and
 *          other5xLinux64Guest, and none of the 8.0 Update 1 IDs).
 *   [HW]   VMware's table of ESXi releases and the virtual hardware versions
 *          they run (KB 1003746): vmx-13 6.5, vmx-14 6.7, vmx-15 6.7 Update 2,
 *          vmx-17 7.0, vmx-18 7.0 Update 1, vmx-19 7.0 Update 2, vmx-20 8.0,
 *          vmx-21 8.0 Update 2; Workstation 16.2 runs vmx-19. */
#include "appliance/ova_target.h"

#include <stddef.h>

#define BIT(d) (1u << (d))

/* The NIC every importer of [IMP] knows: VMware, VirtualBox, virt-v2v and
 * Proxmox (which keeps e1000, e1000e and vmxnet3 and turns others into e1000). */
#define NIC_WIDEST "E1000"
/* VMware's paravirtual NIC; Linux has its driver (vmxnet3) built in. [IMP] */
#define NIC_VMWARE "VmxNet3"
/* The one SCSI subtype VMware, VirtualBox and virt-v2v all accept. [IMP] */
#define SCSI_WIDEST "lsilogic"
/* SATA: VirtualBox errors on anything but AHCI or vmware.sata.ahci; VMware
 * writes the latter, VirtualBox the former. [IMP] */
#define SATA_WIDEST "AHCI"
#define SATA_VMWARE "vmware.sata.ahci"

static const struct ova_target_profile profiles[OVA_N_TARGETS] = {
    /* The widest: vmx-13 runs on ESXi 6.5 and later [HW] (6.0 stops at
     * vmx-11 [IMP]); VirtualBox, Proxmox, XCP-ng and AWS do not judge the
     * family. Guest IDs of 6.5. SHA256: vCenter 6.5 and later refuse SHA1
     * [IMP], and the hosts that want SHA1 (5.5-6.0) cannot run vmx-13 anyway. */
    [OVA_TARGET_GENERIC] = {.target = OVA_TARGET_GENERIC,
                            .importer = "any importer (VMware 6.5 and later, VirtualBox, "
                                        "Proxmox, XCP-ng, AWS, virt-v2v)",
                            .family = 13,
                            .max_family = 13,
                            .guest_release = VSPHERE_6_5,
                            .reads_os_type = true,
                            .digest = DIGEST_SHA256,
                            .digests_refused = BIT(DIGEST_SHA1),
                            .nic = NIC_WIDEST,
                            .scsi = SCSI_WIDEST,
                            .sata = SATA_WIDEST,
                            .strict_units = true,
                            .nic_fallback = true,
                            .drops_detached = true,
                            .needs_os_id = true,
                            .checks_sata = true},
    /* Every 6.7 host runs vmx-14; vmx-15 needs 6.7 Update 2 [HW]. Guest IDs
     * of 6.7 [API]. vCenter 6.7 refuses SHA1 [IMP]. */
    [OVA_TARGET_ESXI_6_7] = {.target = OVA_TARGET_ESXI_6_7,
                             .importer = "VMware ESXi and vCenter 6.7",
                             .family = 14,
                             .max_family = 15,
                             .guest_release = VSPHERE_6_7,
                             .reads_os_type = true,
                             .digest = DIGEST_SHA256,
                             .digests_refused = BIT(DIGEST_SHA1),
                             .nic = NIC_VMWARE,
                             .scsi = SCSI_WIDEST,
                             .sata = SATA_VMWARE},
    /* 7.0 Update 1 and later: vmx-18 [HW]; its guest IDs include
     * debian11_64Guest (7.0), rhel9_64Guest, centos9_64Guest and
     * other5xLinux64Guest (7.0 Update 1) [API]. A 7.0 GA host takes the
     * esxi-6.7 profile. */
    [OVA_TARGET_ESXI_7_0] = {.target = OVA_TARGET_ESXI_7_0,
                             .importer = "VMware ESXi and vCenter 7.0 Update 1 and later",
                             .family = 18,
                             .max_family = 19,
                             .guest_release = VSPHERE_7_0_U1,
                             .reads_os_type = true,
                             .digest = DIGEST_SHA256,
                             .digests_refused = BIT(DIGEST_SHA1),
                             .nic = NIC_VMWARE,
                             .scsi = SCSI_WIDEST,
                             .sata = SATA_VMWARE},
    /* 8.0 Update 1 and later: debian12_64Guest, rockylinux_64Guest and
     * almalinux_64Guest exist from 8.0 Update 1 [API] [IMP]; vmx-20 runs
     * on every 8.0, vmx-21 from Update 2 [HW]. vCenter 8 refuses SHA1 [IMP]. */
    [OVA_TARGET_ESXI_8_0] = {.target = OVA_TARGET_ESXI_8_0,
                             .importer = "VMware ESXi and vCenter 8.0 Update 1 and later",
                             .family = 20,
                             .max_family = 21,
                             .guest_release = VSPHERE_8_0_U1,
                             .reads_os_type = true,
                             .digest = DIGEST_SHA256,
                             .digests_refused = BIT(DIGEST_SHA1),
                             .nic = NIC_VMWARE,
                             .scsi = SCSI_WIDEST,
                             .sata = SATA_VMWARE},
    /* Workstation (and Player) 16.2 and later: vmx-19 [HW]. Its guest list
     * is taken to be that of vSphere 7.0, the VMware release of its time
     * (an assumption: no Workstation was at hand to check). */
    [OVA_TARGET_WORKSTATION] = {.target = OVA_TARGET_WORKSTATION,
                                .importer = "VMware Workstation and Player 16.2 and later",
                                .family = 19,
                                .max_family = 19,
                                .guest_release = VSPHERE_7_0,
                                .reads_os_type = true,
                                .digest = DIGEST_SHA256,
                                .nic = NIC_WIDEST,
                                .scsi = SCSI_WIDEST,
                                .sata = SATA_VMWARE},
    /* VirtualBox reads the numeric ovf:id, not vmw:osType, and no vmx
     * family; it accepts SHA1, SHA256 and SHA512 manifests, and errors on a
     * SATA subtype other than AHCI [IMP]. The guest ID is the widest's. */
    [OVA_TARGET_VIRTUALBOX] = {.target = OVA_TARGET_VIRTUALBOX,
                               .importer = "Oracle VirtualBox",
                               .family = 13,
                               .guest_release = VSPHERE_6_5,
                               .digest = DIGEST_SHA256,
                               .nic = NIC_WIDEST,
                               .scsi = SCSI_WIDEST,
                               .sata = SATA_WIDEST,
                               .needs_os_id = true,
                               .checks_sata = true},
    /* Proxmox VE (qm importovf, the GUI's OVA import) reads capacities only
     * as byte * 2^N, turns NICs other than e1000, e1000e and vmxnet3 into
     * e1000, and reads no family or guest ID of VMware's [IMP]. */
    [OVA_TARGET_PROXMOX] = {.target = OVA_TARGET_PROXMOX,
                            .importer = "Proxmox VE (qm importovf, OVA import)",
                            .family = 13,
                            .guest_release = VSPHERE_6_5,
                            .digest = DIGEST_SHA256,
                            .nic = NIC_WIDEST,
                            .scsi = SCSI_WIDEST,
                            .sata = SATA_WIDEST,
                            .strict_units = true,
                            .nic_fallback = true},
    /* XCP-ng / Xen Orchestra converts each streamOptimized VMDK to VHD and
     * drops a disk whose Item is missing, silently [IMP]. */
    [OVA_TARGET_XCP_NG] = {.target = OVA_TARGET_XCP_NG,
                           .importer = "XCP-ng / Xen Orchestra",
                           .family = 13,
                           .guest_release = VSPHERE_6_5,
                           .digest = DIGEST_SHA256,
                           .nic = NIC_WIDEST,
                           .scsi = SCSI_WIDEST,
                           .sata = SATA_WIDEST,
                           .drops_detached = true},
    /* AWS VM Import takes an OVA with streamOptimized VMDKs [IMP]; nothing
     * more of its reading is recorded, so the widest choices. */
    [OVA_TARGET_AWS] = {.target = OVA_TARGET_AWS,
                        .importer = "AWS VM Import",
                        .family = 13,
                        .guest_release = VSPHERE_6_5,
                        .digest = DIGEST_SHA256,
                        .nic = NIC_WIDEST,
                        .scsi = SCSI_WIDEST,
                        .sata = SATA_WIDEST},
};

const struct ova_target_profile *
ova_target_profile(enum ova_target t)
{
    return (unsigned)t < OVA_N_TARGETS ? &profiles[t] : &profiles[OVA_TARGET_GENERIC];
}

const char *
ova_release_name(unsigned release)
{
    switch (release) {
    case VSPHERE_6_5:
        return "6.5";
    case VSPHERE_6_7:
        return "6.7";
    case VSPHERE_7_0:
        return "7.0";
    case VSPHERE_7_0_U1:
        return "7.0 Update 1";
    case VSPHERE_8_0_U1:
        return "8.0 Update 1";
    default:
        return "?";
    }
}

unsigned
ova_capacity_shift(uint64_t bytes)
{
    static const unsigned shifts[] = {30, 20, 10};
    for (size_t i = 0; i < sizeof(shifts) / sizeof(shifts[0]); i++)
        if (bytes % (UINT64_C(1) << shifts[i]) == 0)
            return shifts[i];
    return 0;
}
