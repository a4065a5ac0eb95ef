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
 *          vmx-21 8.0 Update 2; Workstation 16.2 runs vmx-19; Fusion 13.0,
 *          the first for Apple Silicon, vmx-20, Fusion 13.5 vmx-21.
 *   [GOV]  govmomi's newest vim25/types/enum.go (commit fd06160, August
 *          2026): VirtualMachineGuestOsIdentifier has no arm-specific
 *          guest ID, and its minAPIVersionForEnumValue adds none of our
 *          distributions' IDs between 7.0.1.0 (7.0 Update 1) and 8.0.0.1
 *          (8.0 Update 1). The API separates the architecture only from
 *          vSphere API 9.1 (VirtualMachineGuestArchitecture: x86, arm; not
 *          in that govmomi yet): an aarch64 guest's vmw:osType is the x86
 *          one (debian12_64Guest), the architecture is the host's. (A
 *          .vmx's guestOS does have arm-* names: distro.h, export_vmx.c.)
 *   [ARM]  what an aarch64 guest gets on Apple Silicon under Fusion 13 and
 *          later, as recorded for issue 23: SATA (vmware.sata.ahci) or
 *          NVMe disks, an e1000e NIC (rasd:ResourceSubType E1000e), EFI
 *          firmware; no e1000, no vmxnet3, no family below vmx-20 (arch.c).
 *   [AWS]  AWS VM Import (aws ec2 import-image) takes arm64 images, with
 *          --boot-mode uefi.
 *
 * The x86-only importers (ESXi and vCenter, Workstation, VirtualBox,
 * Proxmox, XCP-ng) import no aarch64 guest from an OVA, as far as
 * recorded: their rows take x86_64 only, and ESXi-Arm and Fusion on Apple
 * Silicon have rows of their own. An aarch64 plan's family is raised to
 * the arch row's oldest and its NIC is the arch row's (ova_target_family,
 * ova_target_nic). */
#include "appliance/ova_target.h"

#include <stddef.h>
#include <stdio.h>

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
     * [IMP], and the hosts that want SHA1 (5.5-6.0) cannot run vmx-13 anyway.
     * It takes aarch64 too: its importers there are Fusion 13 and later,
     * ESXi-Arm and AWS [ARM] [AWS], so the family is raised to vmx-20 and
     * the NIC is E1000e (arch.c); the guest IDs stay 6.5's [GOV]. */
    [OVA_TARGET_GENERIC] = {.target = OVA_TARGET_GENERIC,
                            .importer = "any importer (VMware 6.5 and later, VirtualBox, "
                                        "Proxmox, XCP-ng, AWS, virt-v2v; for aarch64 "
                                        "Fusion 13 and later, ESXi-Arm, AWS)",
                            .arches = ARCH_ALL,
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
                             .arches = ARCH_X86_64,
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
                             .arches = ARCH_X86_64,
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
                             .arches = ARCH_X86_64,
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
                                .arches = ARCH_X86_64,
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
                               .arches = ARCH_X86_64,
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
                            .arches = ARCH_X86_64,
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
                           .arches = ARCH_X86_64,
                           .family = 13,
                           .guest_release = VSPHERE_6_5,
                           .digest = DIGEST_SHA256,
                           .nic = NIC_WIDEST,
                           .scsi = SCSI_WIDEST,
                           .sata = SATA_WIDEST,
                           .drops_detached = true},
    /* AWS VM Import takes an OVA with streamOptimized VMDKs [IMP], of
     * either architecture (arm64 with --boot-mode uefi [AWS]); nothing more
     * of its reading is recorded, so the widest choices (and on aarch64
     * the arch row's family and NIC). */
    [OVA_TARGET_AWS] = {.target = OVA_TARGET_AWS,
                        .importer = "AWS VM Import",
                        .arches = ARCH_ALL,
                        .family = 13,
                        .guest_release = VSPHERE_6_5,
                        .digest = DIGEST_SHA256,
                        .nic = NIC_WIDEST,
                        .scsi = SCSI_WIDEST,
                        .sata = SATA_WIDEST},
    /* Fusion 13 and later on Apple Silicon: aarch64 guests only, vmx-20
     * from 13.0 and vmx-21 from 13.5 [HW], SATA as VMware writes it, the
     * NIC e1000e (the arch row's) [ARM]. Guest IDs: 13.0 came with vSphere
     * 8.0, which added none of ours over 7.0 Update 1 [GOV], so 7.0 Update
     * 1's (an assumption as workstation's: no Fusion was at hand to check;
     * it reads vmw:osType as VMware's importers do). No SCSI on aarch64
     * (plan.c makes every aarch64 plan SATA). */
    [OVA_TARGET_FUSION_ARM64] = {.target = OVA_TARGET_FUSION_ARM64,
                                 .importer = "VMware Fusion 13 and later on Apple Silicon",
                                 .arches = ARCH_AARCH64,
                                 .family = 20,
                                 .max_family = 21,
                                 .guest_release = VSPHERE_7_0_U1,
                                 .reads_os_type = true,
                                 .digest = DIGEST_SHA256,
                                 .sata = SATA_VMWARE},
    /* ESXi-Arm (the Fling; releases based on ESXi 8.0): taken to run
     * vmx-20 at most, as 8.0 GA does [HW], SATA as VMware writes it and
     * e1000e as Fusion on Apple Silicon [ARM]; guest IDs of 7.0 Update 1,
     * the conservative choice [GOV]; SHA1 refused as vCenter 8 refuses it
     * [IMP]. All assumed from its 8.0 base: no ESXi-Arm host was at hand
     * to check. */
    [OVA_TARGET_ESXI_ARM] = {.target = OVA_TARGET_ESXI_ARM,
                             .importer = "VMware ESXi-Arm Fling, 8.0-based releases",
                             .arches = ARCH_AARCH64,
                             .family = 20,
                             .max_family = 20,
                             .guest_release = VSPHERE_7_0_U1,
                             .reads_os_type = true,
                             .digest = DIGEST_SHA256,
                             .digests_refused = BIT(DIGEST_SHA1),
                             .sata = SATA_VMWARE},
};

const struct ova_target_profile *
ova_target_profile(enum ova_target t)
{
    return (unsigned)t < OVA_N_TARGETS ? &profiles[t] : &profiles[OVA_TARGET_GENERIC];
}

unsigned
ova_target_family(const struct ova_target_profile *t, enum arch arch)
{
    unsigned min = arch_row(arch)->vmware_hw_min;
    return t->family < min ? min : t->family;
}

unsigned
ova_target_max_family(const struct ova_target_profile *t, enum arch arch)
{
    unsigned family = ova_target_family(t, arch);
    if (!t->max_family)
        return 0;
    return t->max_family < family ? family : t->max_family;
}

const char *
ova_target_nic(const struct ova_target_profile *t, enum arch arch)
{
    const char *nic = arch_row(arch)->ovf_nic;
    return nic ? nic : t->nic;
}

char *
ova_target_list_for(unsigned arches, char *buf, size_t size)
{
    size_t used = 0, n = 0, k = 0;
    for (size_t i = 0; i < ova_target_table.n; i++)
        n += (ova_target_profile(ab_enum_at(&ova_target_table, i)->value)->arches & arches) ==
             arches;
    buf[0] = '\0';
    for (size_t i = 0; i < ova_target_table.n && used < size; i++) {
        const struct ab_enum_name *e = ab_enum_at(&ova_target_table, i);
        if ((ova_target_profile(e->value)->arches & arches) != arches)
            continue;
        k++;
        const char *sep = k == 1 ? "" : k == n ? " or " : ", ";
        int r = snprintf(buf + used, size - used, "%s'%s'", sep, e->name);
        if (r < 0)
            break;
        used += (size_t)r;
    }
    return buf;
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
