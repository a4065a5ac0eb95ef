/* engine_inspect.h: what a set of disk images holds, read through one
 * read-only libguestfs appliance (builder/guestfs/engine_inspect.c).
 *
 * All the disks are added to one appliance, launched once (10-20 s under
 * software emulation): partition tables and partitions (with their GPT
 * names and types), LVM physical volumes, volume groups and logical
 * volumes, every filesystem's type, label, UUID and size (one blkid per
 * partition and volume, cheaper than libguestfs's list_filesystems), and
 * the operating systems libguestfs's inspection finds, with their kernels
 * and package counts. Nothing is written to the images. */
#ifndef APPLIANCE_ENGINE_INSPECT_H
#define APPLIANCE_ENGINE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"

struct inspect_drive {
    const char *path;   /* absolute */
    const char *format; /* qemu's name: raw, qcow2, vmdk, ... (image_check.h); required */
    const char *name;   /* as shown */
    uint64_t size;      /* virtual size in bytes */
};

struct inspect_part {
    unsigned number;
    char *device; /* "/dev/sda1" */
    uint64_t start, size;
    char *name;            /* GPT partition name, may be NULL */
    char *type;            /* GPT type GUID or MBR id ("0x83"), may be NULL */
    const char *type_name; /* "EFI System", "Linux LVM", ... or NULL */
};

struct inspect_disk {
    char *device;              /* "/dev/sda" */
    const char *name, *format; /* the drive's, not owned */
    uint64_t size;
    char *table; /* "gpt", "msdos", NULL: none */
    struct inspect_part *parts;
    size_t n_parts;
};

struct inspect_pv {
    char *device;
    uint64_t size, free;
    char *vg; /* NULL: in no volume group */
};

struct inspect_vg {
    char *name;
    uint64_t size, free;
    unsigned n_pvs, n_lvs;
};

struct inspect_lv {
    char *device; /* "/dev/vg_os/root" */
    char *vg, *name;
    uint64_t size;
};

struct inspect_fs {
    char *device;
    char *type;         /* blkid's TYPE: ext4, xfs, vfat, swap, ... */
    char *label, *uuid; /* may be NULL */
    uint64_t size;
};

struct inspect_os {
    char *root;
    char *type, *distro, *product, *hostname, *arch, *package_format; /* may be NULL */
    int major, minor;
    char **mounts;  /* NULL-terminated pairs: mount point, device; shortest first */
    char **kernels; /* NULL-terminated: "6.1.0-56-amd64" (from /boot/vmlinuz-*) */
    long packages;  /* -1: unknown */
    /* The installed packages as libguestfs lists them, one
     * "name\tversion\tarch\n" line each, the version whole as the package
     * database has it ("1:2.38.1-5+deb12u3", "5.1.8-6.el9"); NULL: unknown. */
    char *package_list;
    /* appliance-grow (configure_grow.c): its unit, whether a target wants
     * it, and the VGs it has a size record of (NULL-terminated). */
    bool grow_unit, grow_enabled;
    char **grow_vgs;
};

struct inspect_guest {
    struct inspect_disk *disks;
    size_t n_disks;
    struct inspect_pv *pvs;
    size_t n_pvs;
    struct inspect_vg *vgs;
    size_t n_vgs;
    struct inspect_lv *lvs;
    size_t n_lvs;
    struct inspect_fs *fss;
    size_t n_fss;
    struct inspect_os *oses;
    size_t n_oses;
    double launch_seconds; /* the appliance's start */
    double read_seconds;   /* everything after it */
};

struct engine_inspect;

/* Adds every drive read-only and launches the appliance; software
 * emulation (force_tcg) unless use_kvm. Once it returns, the drives'
 * files may be removed: qemu holds them open. */
struct engine_inspect *engine_inspect_launch(const struct inspect_drive *drives, size_t n,
                                             bool use_kvm, struct ab_error *err);

/* Reads everything above into a new *out. */
int engine_inspect_read(struct engine_inspect *e, struct inspect_guest **out, struct ab_error *err);

/* Shuts the appliance down and frees e; NULL-safe. */
int engine_inspect_close(struct engine_inspect *e, struct ab_error *err);

void inspect_guest_free(struct inspect_guest *g);

/* A GPT type GUID's or MBR id's name, as fdisk calls it; NULL if unknown. */
const char *inspect_part_type_name(const char *type);

#endif
