/* guest_facts.h: what a set of disk images holds, as `appliance inspect`
 * reports it, whoever read it: the reader on the host (diskread.h), the
 * libguestfs appliance (engine_inspect.h), or both, each fact saying
 * which (builder/common/guest_facts.c).
 *
 * Devices are named as libguestfs names them, so that both readers give
 * the same names: the drives /dev/sda, /dev/sdb, ... in the order given,
 * partitions /dev/sda1 by their GPT entry's number, logical volumes
 * /dev/VG/LV. */
#ifndef APPLIANCE_GUEST_FACTS_H
#define APPLIANCE_GUEST_FACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    int64_t used; /* bytes in use, from the superblock; -1: unknown */
};

/* /etc/machine-id, as found. */
enum inspect_machine_id {
    MACHINE_ID_UNKNOWN, /* not read */
    MACHINE_ID_ABSENT,
    MACHINE_ID_EMPTY, /* a clone's: systemd makes one at first boot */
    MACHINE_ID_SET,
};

/* Who read a fact. */
enum inspect_source {
    SOURCE_HOST,      /* read on the host, no VM (diskread.h) */
    SOURCE_APPLIANCE, /* the libguestfs appliance (engine_inspect.h) */
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
     * database has it ("1:2.38.1-5+deb12u3", "5.1.8-6.el9"); NULL: unknown
     * (the native reader does not list them; verify asks libguestfs). */
    char *package_list;
    /* appliance-grow (configure_grow.c): its unit, whether a target wants
     * it, and the VGs it has a size record of (NULL-terminated). */
    bool grow_unit, grow_enabled;
    char **grow_vgs;
    /* The identity a clone must not share: the machine-id and the SSH
     * host key files (/etc/ssh/ssh_host_*, names, NULL-terminated). */
    enum inspect_machine_id machine_id;
    char **host_keys;
    enum inspect_source source;
    char **notes;    /* NULL-terminated: what could not be read, and why */
    bool incomplete; /* the host could not read all of it: the appliance may */
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
    enum inspect_source source; /* who read the disks, LVM and filesystems */
    double host_seconds;        /* the reading on the host; 0: none */
    char *appliance_why;        /* why the appliance was started; NULL: it was not */
    char **notes;               /* NULL-terminated: what was not read, and why */
    double launch_seconds;      /* the appliance's start */
    double read_seconds;        /* everything after it */
};

void inspect_guest_free(struct inspect_guest *g);

/* Frees what os holds (not os). */
void inspect_os_release(struct inspect_os *os);

/* A GPT type GUID's or MBR id's name, as fdisk calls it; NULL if unknown. */
const char *inspect_part_type_name(const char *type);

/* The device name of drive i: "/dev/sda", ..., "/dev/sdz", "/dev/sdaa". */
void inspect_drive_device(size_t i, char out[16]);

/* Appends a note (printf-style) to a NULL-terminated list: -1 out of
 * memory. */
int inspect_note(char ***notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
