/* arch.h: the architecture table, one row per machine an appliance is
 * built for (hardware.arch).
 *
 * What differs between x86_64 and aarch64 outside a distribution's own
 * packages lives in its row (builder/recipe/arch.c): the names each tool
 * gives it (dpkg, OCI, libvirt, QEMU), the UEFI removable path's suffix,
 * GRUB's EFI platform, whether a BIOS exists, the emulator that runs its
 * programs on another host. What a distribution installs per
 * architecture (kernel, signed shim and GRUB) is the distribution row's
 * (distro.h), by this table's index. The stages ask; none keeps a copy. */
#ifndef APPLIANCE_ARCH_H
#define APPLIANCE_ARCH_H

#include <stdbool.h>

#include "appliance/enums.h"

#define ARCH_N 2 /* rows: ARCH_X86_64 is 0, ARCH_AARCH64 is 1 (arch_index) */

struct arch_row {
    enum arch arch;
    const char *name;        /* the recipe's, the plan's, file names': "aarch64" */
    const char *debian;      /* dpkg's and mmdebstrap's: "arm64" */
    const char *oci;         /* an OCI image config's "architecture": "arm64" */
    const char *efi;         /* the UEFI removable path's suffix: BOOT<EFI>.EFI: "AA64" */
    const char *efi_lower;   /* the same in small letters, as file names have it: "aa64" */
    const char *grub_efi;    /* GRUB's platform: "arm64-efi" */
    const char *libvirt;     /* a domain's <type arch=>: "aarch64" */
    const char *machine;     /* QEMU's and libvirt's machine type: "virt" */
    const char *qemu_system; /* the system emulator: "qemu-system-aarch64" */
    const char *qemu_user;   /* the user emulator binfmt_misc registers: "qemu-aarch64" */
    const char *elf_machine; /* ELF e_machine as file(1) and the kernel name it: "ARM aarch64" */
    const char *serial;      /* the kernel's first serial port on its VMs: "ttyAMA0" (PL011) */
    bool bios;               /* has a BIOS (legacy boot): only x86_64 */
    bool pc;                 /* a PC's platform devices: APIC, PIT, HPET, SMM */
    /* A libvirt domain's CPU mode and video model: host-model where
     * libvirt names the host's CPU as a model (x86_64); host-passthrough
     * on aarch64, where it cannot. VGA is a PC's; virtio-gpu elsewhere. */
    const char *libvirt_cpu;
    const char *libvirt_video;
    /* The oldest VMware virtual hardware version (vmx-NN) that runs it:
     * 20 for aarch64, Fusion 13's, the first Fusion for Apple Silicon;
     * 0: every one. */
    unsigned vmware_hw_min;
    const char *vmware_nic; /* a .vmx's ethernetN.virtualDev: "e1000e" */
    /* The add-ons (enum addon flags) that have nothing for it, and why:
     * Linux builds VirtualBox's guest drivers (vboxguest, vboxsf) for x86
     * only (their Kconfig depends on X86). */
    unsigned addons_none;
    const char *addons_none_why;
    /* An OVF's NIC model (rasd:ResourceSubType) for every import target
     * of this architecture: "E1000e" for aarch64; NULL: the target's own
     * (ova_target.h), as on x86_64. */
    const char *ovf_nic;
    /* The disk device QEMU boots it from whatever controller the plan
     * names (appliance test and deploy: vmtest.h): "virtio-blk-pci" for
     * aarch64, Debian's AAVMF having no AHCI driver (it finds no SATA
     * disk to boot), as the libvirt and UTM outputs have it; NULL: the
     * plan's controller's. */
    const char *qemu_boot_disk;
};

/* The row of arch (one architecture, not a set of them). */
const struct arch_row *arch_row(enum arch arch);
/* 0 for x86_64, 1 for aarch64: the index of arch's row and of the
 * distribution rows' per-architecture values. */
unsigned arch_index(enum arch arch);
/* The architecture this program runs on (the host's), from uname. */
enum arch arch_host(void);
/* The row whose debian name is name ("arm64"), or NULL. */
const struct arch_row *arch_by_debian(const char *name);

#endif
