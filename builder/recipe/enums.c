/* enums.c: the name tables of the recipe enums. */
#include "appliance/enums.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "appliance/suggest.h"

#define TABLE(name, ...)                                                                           \
    static const struct ab_enum_name name##_names[] = {__VA_ARGS__};                               \
    const struct ab_enum_table name##_table = {name##_names,                                       \
                                               sizeof(name##_names) / sizeof(name##_names[0]), 0}

TABLE(family, {FAMILY_GENERIC, "generic"}, {FAMILY_RHEL, "rhel"}, {FAMILY_DEBIAN, "debian"});
TABLE(fs, {FS_XFS, "xfs"}, {FS_EXT4, "ext4"}, {FS_SWAP, "swap"});
TABLE(firmware, {FIRMWARE_BIOS, "bios"}, {FIRMWARE_UEFI, "uefi"}, {FIRMWARE_BOTH, "bios+uefi"});
TABLE(arch, {ARCH_X86_64, "x86_64"}, {ARCH_AARCH64, "aarch64"});
TABLE(controller, {CONTROLLER_SCSI, "scsi"}, {CONTROLLER_SATA, "sata"}, {CONTROLLER_IDE, "ide"});
TABLE(addon, {ADDON_VMWARE, "vmware"}, {ADDON_VIRTUALBOX, "virtualbox"}, {ADDON_HYPERV, "hyperv"},
      {ADDON_KVM, "kvm"});
TABLE(output, {OUTPUT_OVA, "ova"}, {OUTPUT_OVF, "ovf"}, {OUTPUT_VMDK, "vmdk"},
      {OUTPUT_QCOW2, "qcow2"}, {OUTPUT_LIBVIRT, "libvirt"}, {OUTPUT_VHDX, "vhdx"},
      {OUTPUT_HYPERV, "hyperv"}, {OUTPUT_VDI, "vdi"}, {OUTPUT_RAW, "raw"}, {OUTPUT_AZURE, "azure"},
      {OUTPUT_GCE, "gce"}, {OUTPUT_CONTAINER, "container"}, {OUTPUT_KUBEVIRT, "kubevirt"},
      {OUTPUT_VMX, "vmx"}, {OUTPUT_UTM, "utm"});
TABLE(digest, {DIGEST_SHA256, "sha256"}, {DIGEST_SHA1, "sha1"}, {DIGEST_SHA512, "sha512"});
TABLE(ova_target, {OVA_TARGET_GENERIC, "generic"}, {OVA_TARGET_ESXI_6_7, "esxi-6.7"},
      {OVA_TARGET_ESXI_7_0, "esxi-7.0"}, {OVA_TARGET_ESXI_8_0, "esxi-8.0"},
      {OVA_TARGET_WORKSTATION, "workstation"}, {OVA_TARGET_VIRTUALBOX, "virtualbox"},
      {OVA_TARGET_PROXMOX, "proxmox"}, {OVA_TARGET_XCP_NG, "xcp-ng"}, {OVA_TARGET_AWS, "aws"},
      {OVA_TARGET_FUSION_ARM64, "fusion-arm64"}, {OVA_TARGET_ESXI_ARM, "esxi-arm"});

const char *
ab_enum_to_string(const struct ab_enum_table *t, int value)
{
    for (size_t i = 0; i < t->n; i++)
        if (ab_enum_at(t, i)->value == value)
            return ab_enum_at(t, i)->name;
    return "?";
}

int
ab_enum_from_string(const struct ab_enum_table *t, const char *name, int *value)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(ab_enum_at(t, i)->name, name) == 0) {
            *value = ab_enum_at(t, i)->value;
            return 0;
        }
    }
    return -1;
}

char *
ab_enum_list(const struct ab_enum_table *t, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->n && used < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == t->n ? " or " : ", ";
        int r = snprintf(buf + used, size - used, "%s'%s'", sep, ab_enum_at(t, i)->name);
        if (r < 0)
            break;
        used += (size_t)r;
    }
    return buf;
}

const char *
family_to_string(enum distro_family f)
{
    return ab_enum_to_string(&family_table, f);
}

const char *
fs_to_string(enum fs_type fs)
{
    if (fs == FS_VFAT)
        return "vfat";
    if (fs == FS_NONE)
        return "none";
    return ab_enum_to_string(&fs_table, fs);
}

const char *
firmware_to_string(enum firmware fw)
{
    return ab_enum_to_string(&firmware_table, fw);
}

const char *
arch_to_string(enum arch a)
{
    return ab_enum_to_string(&arch_table, a);
}

const char *
controller_to_string(enum controller c)
{
    return ab_enum_to_string(&controller_table, c);
}

const char *
digest_to_string(enum digest d)
{
    return ab_enum_to_string(&digest_table, d);
}

const char *
ova_target_to_string(enum ova_target t)
{
    return ab_enum_to_string(&ova_target_table, t);
}

unsigned
output_implied(unsigned outputs)
{
    unsigned implied = 0;
    if ((outputs & OUTPUT_LIBVIRT) && !(outputs & OUTPUT_QCOW2))
        implied |= OUTPUT_QCOW2;
    if ((outputs & OUTPUT_HYPERV) && !(outputs & OUTPUT_VHDX))
        implied |= OUTPUT_VHDX;
    return implied;
}

const char *
ab_enum_closest(const struct ab_enum_table *t, const char *text)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < t->n; i++) {
        const char *name = ab_enum_at(t, i)->name;
        size_t d = suggest_distance(text, name);
        if (suggest_is_close(text, name) && d < best_d) {
            best = name;
            best_d = d;
        }
    }
    return best;
}
