/* enums.h: every recipe enum, with one name table each.
 *
 * The same table serves the parser (name -> value), the plan printer
 * (value -> name) and error messages (the list of accepted names). */
#ifndef APPLIANCE_ENUMS_H
#define APPLIANCE_ENUMS_H

#include <stddef.h>

#include "appliance/hash.h" /* enum digest, a recipe enum too (ova.digest) */

enum distro {
    DISTRO_NONE = 0, /* rootfs: instead of a distribution */
    DISTRO_CENTOS_STREAM_9,
    DISTRO_ROCKY_9,
    DISTRO_ALMALINUX_9,
    DISTRO_DEBIAN_12,
    DISTRO_UBUNTU_24_04,
    DISTRO_N, /* not a distribution: each value below has its row (distro.h) */
};

enum distro_family {
    FAMILY_GENERIC = 0, /* a prebuilt root tree of unknown family */
    FAMILY_RHEL,
    FAMILY_DEBIAN,
};

enum fs_type {
    FS_NONE = 0,
    FS_XFS,
    FS_EXT4,
    FS_SWAP,
    FS_VFAT, /* the EFI system partition only; not accepted in recipes */
};

enum firmware {
    FIRMWARE_BIOS = 1 << 0,
    FIRMWARE_UEFI = 1 << 1,
    FIRMWARE_BOTH = FIRMWARE_BIOS | FIRMWARE_UEFI,
};

/* hardware.arch: the machine the appliance is built for (arch.h has each
 * one's row). Flags: a recipe may list both. */
enum arch {
    ARCH_X86_64 = 1 << 0,
    ARCH_AARCH64 = 1 << 1,
    ARCH_ALL = (1 << 2) - 1,
};

enum controller {
    CONTROLLER_SCSI = 0,
    CONTROLLER_SATA,
    CONTROLLER_IDE,
};

/* ova.target: the importer an OVA is made for (ova_target.h has the rules). */
enum ova_target {
    OVA_TARGET_GENERIC = 0,
    OVA_TARGET_ESXI_6_7,
    OVA_TARGET_ESXI_7_0,
    OVA_TARGET_ESXI_8_0,
    OVA_TARGET_WORKSTATION,
    OVA_TARGET_VIRTUALBOX,
    OVA_TARGET_PROXMOX,
    OVA_TARGET_XCP_NG,
    OVA_TARGET_AWS,
    OVA_TARGET_FUSION_ARM64,
    OVA_TARGET_ESXI_ARM,
    OVA_N_TARGETS,
};

enum addon_flags {
    ADDON_VMWARE = 1 << 0,
    ADDON_VIRTUALBOX = 1 << 1,
    ADDON_HYPERV = 1 << 2,
    ADDON_KVM = 1 << 3,
    ADDON_ALL = (1 << 4) - 1,
};

enum output_flags {
    OUTPUT_OVA = 1 << 0,
    OUTPUT_OVF = 1 << 1,
    OUTPUT_VMDK = 1 << 2,
    OUTPUT_QCOW2 = 1 << 3,
    OUTPUT_LIBVIRT = 1 << 4,
    OUTPUT_VHDX = 1 << 5,
    OUTPUT_HYPERV = 1 << 6,
    OUTPUT_VDI = 1 << 7,
    OUTPUT_RAW = 1 << 8,
    OUTPUT_AZURE = 1 << 9,
    OUTPUT_GCE = 1 << 10,
    OUTPUT_CONTAINER = 1 << 11, /* from the configured tree, not the disks (export_container.h) */
    OUTPUT_KUBEVIRT = 1 << 12,  /* containerDisks and a VirtualMachine (export_kubevirt.c) */
    OUTPUT_VMX = 1 << 13,       /* a VMware VM folder, STEM.vmwarevm/ (export_vmx.c) */
    OUTPUT_UTM = 1 << 14,       /* a .utm bundle for UTM on macOS (export_utm.c) */
};

/* The outputs made from the configured tree, which only a build has:
 * `appliance convert`, which starts from disks, cannot write them. */
#define OUTPUTS_FROM_TREE ((unsigned)OUTPUT_CONTAINER)

struct ab_enum_name {
    int value;
    const char *name;
};

/* A name table: entries in the order they are listed to users. The
 * entries are stride bytes apart (0: an array of struct ab_enum_name), so
 * that a table of rows can be its own name table (distro.h's). */
struct ab_enum_table {
    const struct ab_enum_name *names;
    size_t n;
    size_t stride;
};

/* Entry i of t. */
static inline const struct ab_enum_name *
ab_enum_at(const struct ab_enum_table *t, size_t i)
{
    return t->stride ? (const struct ab_enum_name *)((const char *)t->names + i * t->stride)
                     : &t->names[i];
}

extern const struct ab_enum_table distro_table; /* distro.h's rows */
extern const struct ab_enum_table family_table;
extern const struct ab_enum_table fs_table;        /* the names a recipe may use */
extern const struct ab_enum_table firmware_table;
extern const struct ab_enum_table controller_table;
extern const struct ab_enum_table arch_table;
extern const struct ab_enum_table addon_table;
extern const struct ab_enum_table output_table;
extern const struct ab_enum_table digest_table;
extern const struct ab_enum_table ova_target_table;

/* Returns the name of value, or "?" if the table has none. */
const char *ab_enum_to_string(const struct ab_enum_table *t, int value);
/* Sets *value and returns 0 if name is in the table, else returns -1. */
int ab_enum_from_string(const struct ab_enum_table *t, const char *name, int *value);
/* Writes "a, b or c" into buf (always NUL-terminated); returns buf. */
char *ab_enum_list(const struct ab_enum_table *t, char *buf, size_t size);
/* The name in t that text most likely misspells (suggest.h), NULL when
 * none is close: for "did you mean" hints. */
const char *ab_enum_closest(const struct ab_enum_table *t, const char *text);

/* The outputs that outputs needs beside itself and does not name: qcow2
 * for libvirt, vhdx for hyperv. */
unsigned output_implied(unsigned outputs);

/* Per-enum conveniences built on the tables (distro's in distro.c). */
const char *distro_to_string(enum distro d);
const char *family_to_string(enum distro_family f);
const char *fs_to_string(enum fs_type fs);
const char *firmware_to_string(enum firmware fw);
const char *controller_to_string(enum controller c);
const char *arch_to_string(enum arch a);
const char *digest_to_string(enum digest d);
const char *ova_target_to_string(enum ova_target t);

/* The family a distribution belongs to (its row's, distro.h). */
enum distro_family distro_family(enum distro d);

#endif
