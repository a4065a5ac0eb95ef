/* arch.c: the architecture table (arch.h). */
#include "appliance/arch.h"

#include <string.h>
#include <sys/utsname.h>

static const struct arch_row rows[ARCH_N] = {
    {
        .arch = ARCH_X86_64,
        .name = "x86_64",
        .debian = "amd64",
        .oci = "amd64",
        .efi = "X64",
        .efi_lower = "x64",
        .grub_efi = "x86_64-efi",
        .libvirt = "x86_64",
        .machine = "q35",
        .qemu_system = "qemu-system-x86_64",
        .qemu_user = "qemu-x86_64",
        .elf_machine = "x86-64",
        .serial = "ttyS0",
        .bios = true,
        .pc = true,
        .libvirt_cpu = "host-model",
        .libvirt_video = "vga",
        .vmware_nic = "vmxnet3", /* VMware's paravirtual NIC; Linux has its driver */
    },
    {
        .arch = ARCH_AARCH64,
        .name = "aarch64",
        .debian = "arm64",
        .oci = "arm64",
        .efi = "AA64",
        .efi_lower = "aa64",
        .grub_efi = "arm64-efi",
        .libvirt = "aarch64",
        .machine = "virt",
        .qemu_system = "qemu-system-aarch64",
        .qemu_user = "qemu-aarch64",
        .elf_machine = "ARM aarch64",
        /* QEMU's virt machine, and Fusion, Parallels and UTM on Apple
         * Silicon, give a PL011 UART. */
        .serial = "ttyAMA0",
        .bios = false,
        .pc = false,
        .libvirt_cpu = "host-passthrough",
        .libvirt_video = "virtio",
        .vmware_hw_min = 20,
        /* Fusion on Apple Silicon offers e1000e, not vmxnet3; nor e1000,
         * the x86 OVA's widest (builder/plan/ova_targets.c). */
        .vmware_nic = "e1000e",
        .addons_none = ADDON_VIRTUALBOX,
        .addons_none_why = "Linux builds VirtualBox's guest drivers (vboxguest, vboxsf) for "
                           "x86 only, and VirtualBox has no package of guest tools for it",
        .ovf_nic = "E1000e",
        .qemu_boot_disk = "virtio-blk-pci",
    },
};

unsigned
arch_index(enum arch arch)
{
    return arch == ARCH_AARCH64 ? 1 : 0;
}

const struct arch_row *
arch_row(enum arch arch)
{
    return &rows[arch_index(arch)];
}

enum arch
arch_host(void)
{
    struct utsname u;
    if (uname(&u) == 0 && strcmp(u.machine, "aarch64") == 0)
        return ARCH_AARCH64;
    return ARCH_X86_64;
}

const struct arch_row *
arch_by_debian(const char *name)
{
    for (unsigned i = 0; i < ARCH_N; i++)
        if (strcmp(rows[i].debian, name) == 0)
            return &rows[i];
    return NULL;
}
