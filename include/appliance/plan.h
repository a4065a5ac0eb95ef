/* plan.h: the validated, fully resolved build plan.
 *
 * plan_new() checks a parsed recipe as a whole and resolves it: defaults
 * filled in, sizes in bytes, partition tables with byte offsets, LVM
 * extents per volume, mount order, implied outputs. The plan is immutable
 * once made and is the only thing that flows from the front end (recipe)
 * to the back end (engine, exporters). The same recipe always gives the
 * same plan, and plan_write_text() the same bytes. */
#ifndef APPLIANCE_PLAN_H
#define APPLIANCE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "appliance/enums.h"
#include "appliance/error.h"
#include "appliance/gpt.h"
#include "appliance/recipe.h"

/* Layout constants, shared with the engine. */
#define PLAN_ALIGN (UINT64_C(1) << 20)          /* partitions start on 1MiB */
#define PLAN_BIOS_BOOT_SIZE (UINT64_C(1) << 20) /* GRUB core image for BIOS */
#define PLAN_ESP_SIZE (UINT64_C(256) << 20)     /* FAT EFI system partition */
#define PLAN_GPT_TAIL (UINT64_C(1) << 20)       /* backup GPT, kept aligned */
#define PLAN_PE_SIZE (UINT64_C(4) << 20)        /* LVM physical extent */
#define PLAN_PE_START (UINT64_C(1) << 20)       /* LVM metadata before data */
#define PLAN_DEFAULT_BOOT (UINT64_C(1) << 30)
#define PLAN_MAX_VMDK (UINT64_C(2) << 40) /* a sparse VMDK holds 2TiB: ova, ovf, vmdk */
/* A VHDX holds 64TiB; the tool builds no larger disk for any output. */
#define PLAN_MAX_DISK (UINT64_C(64) << 40)

enum part_role {
    PART_BIOS_BOOT,
    PART_ESP,
    PART_BOOT,
    PART_LVM,
};

const char *part_role_to_string(enum part_role role);
/* The GPT partition type of a role, and its GUID (gpt.h owns both). */
enum gpt_type part_role_gpt_type(enum part_role role);
const char *part_role_type_guid(enum part_role role);

struct plan_partition {
    unsigned number; /* 1-based, as the kernel names it */
    enum part_role role;
    uint64_t start;  /* bytes from the start of the disk */
    uint64_t size;   /* bytes */
    enum fs_type fs; /* FS_NONE for BIOS boot and LVM */
    const char *mount;
};

struct plan_lv {
    const char *name;
    const char *mount; /* NULL for swap */
    enum fs_type fs;
    uint64_t requested; /* bytes asked for; 0 for rest */
    bool rest;
    uint64_t extents;
    uint64_t size;         /* extents * PE size */
    uint64_t first_extent; /* where LVM puts it, creating the LVs in order */
    bool grows;            /* the volume that takes a grown disk's space */
};

/* Why a disk's volume group grows with its disk, or not (appliance-grow,
 * configure_grow()). */
enum plan_grow {
    PLAN_GROW_REST,   /* the volume of size `rest` grows */
    PLAN_GROW_VOLUME, /* the volume with `grow: true` grows */
    PLAN_GROW_OFF,    /* `grow: false` on the disk */
    PLAN_GROW_NONE,   /* no volume can: no rest volume, or it is swap or `grow: false` */
};

struct plan_vg {
    const char *name;
    unsigned pv_partition; /* partition number of its only PV */
    uint64_t pe_size;
    uint64_t pe_start;
    uint64_t extents;      /* in the PV */
    uint64_t free_extents; /* left unallocated */
    struct plan_lv *lvs;
    size_t n_lvs;
    enum plan_grow grow;
    const struct plan_lv *grow_lv; /* the LV among lvs that grows; NULL: none */
    const char *grow_why;          /* PLAN_GROW_NONE: the reason, for people */
};

enum plan_disk_id {
    PLAN_DISK_OS = 0,
    PLAN_DISK_APP = 1,
    PLAN_N_DISKS = 2,
};

struct plan_disk {
    const char *id; /* "os" or "app" */
    uint64_t size;
    struct plan_partition parts[4];
    size_t n_parts;
    struct plan_vg vg;
};

struct plan_mount {
    const char *path;
    enum fs_type fs;
    enum plan_disk_id disk;
    const struct plan_lv *lv;              /* NULL when a partition */
    const struct plan_partition *partition; /* NULL when an LV */
    const char *options;                    /* fstab options */
    unsigned passno;                        /* fstab fsck pass */
};

/* cloud-init in the image (configure_cloud.c), and the clouds whose
 * datasources it is given. PLAN_CLOUD_INIT without a cloud: every
 * datasource the distribution's cloud-init knows. */
enum plan_cloud_flags {
    PLAN_CLOUD_INIT = 1 << 0,  /* cloud-init installed; NoCloud always configured */
    PLAN_CLOUD_AZURE = 1 << 1, /* output azure: the Azure datasource */
    PLAN_CLOUD_GCE = 1 << 2,   /* output gce: the GCE datasource */
};

/* The datasource_list cloud-init is given for cloud ("Azure, GCE,
 * NoCloud, None" style, into buf), or NULL when it keeps the
 * distribution's own list (PLAN_CLOUD_INIT alone) or is not installed. */
const char *plan_cloud_datasources(unsigned cloud, char *buf, size_t size);

struct plan_file {
    const char *src;  /* as written in the recipe */
    char *src_abs;    /* resolved, inside the recipe's folder */
    const char *dest;
    const char *owner; /* "root:root" by default */
    int mode;          /* -1: keep the source's */
};

struct plan {
    struct recipe *recipe; /* owned; the plan's strings point into it */

    const char *name;
    const char *version;
    const char *description; /* "" when not given */
    const char *vendor;      /* "" when not given */
    const char *product_url; /* "" when not given: the OVF's ProductUrl */
    const char *vendor_url;  /* "" when not given: the OVF's VendorUrl */
    const char *seed;        /* "" when not given: part of every derived identity */
    /* How every file of the output folder begins (plan_stem): NAME-VERSION,
     * or NAME-VERSION-ARCH when the recipe lists several architectures,
     * whose files share one folder; folder_arch is then ARCH (the arch
     * row's name, which also names the folder's documents of each
     * architecture: delivery.h), else NULL. */
    char *stem;
    const char *folder_arch;

    struct {
        enum distro distro; /* DISTRO_NONE with rootfs */
        enum distro_family family;
        const char *rootfs;  /* as written, or NULL */
        char *rootfs_abs;    /* resolved, or NULL */
        const char *mirror;  /* NULL: the distribution's default */
        char *const *packages;
        const char *hostname;
        const char *timezone;
        const char *locale;
        char *kernel_cmdline; /* defaults + the recipe's */
    } os;

    struct {
        enum arch arch;   /* the one this plan builds (arch.h has its row) */
        unsigned arches;  /* enum arch flags: all the recipe builds, arch among them */
        unsigned cpus;
        uint64_t memory;
        enum firmware firmware;
        enum controller controller;
        unsigned nics;
        /* UEFI boots the distribution's signed shim, GRUB and kernel
         * (bootloader.h), and the exports ask for Secure Boot. */
        bool secure_boot;
    } hardware;

    struct plan_disk disks[PLAN_N_DISKS];

    struct plan_mount *mounts; /* in mount order: parents first */
    size_t n_mounts;

    unsigned addons;           /* enum addon_flags */
    unsigned cloud;            /* enum plan_cloud_flags; 0: no cloud-init */
    bool cloud_off;            /* `cloud: false` turned the cloud outputs' cloud-init off */
    const struct recipe_user *users;
    size_t n_users;
    struct plan_file *files;
    size_t n_files;
    char *const *run;

    unsigned outputs;         /* enum output_flags, implied ones included */
    unsigned outputs_implied; /* those added because another needs them */
    /* The OVA's choices: ova.target's profile (ova_target.h), where the
     * recipe's ova.digest and ova.hardware_family win when the target
     * takes them. */
    enum digest ova_digest;
    const char *hardware_family; /* "vmx-13" */
    struct {
        enum ova_target target;
        unsigned hardware_version; /* NN of vmx-NN: the VMDKs' ddb.virtualHWVersion */
        const char *os_type;       /* vmw:osType */
        const char *nic;           /* rasd:ResourceSubType of the NICs */
        const char *controller;    /* of the disk controller; NULL: none (IDE) */
        char family_buf[16];       /* hardware_family when the profile chose it */
        char *eula;                /* ova.eula's text, read and checked; NULL: none */
    } ova;
};

/* Checks and resolves recipe, taking ownership of it in every case.
 * Returns the plan, or NULL with every problem found in err. A recipe
 * that lists architectures is planned for the first (x86_64 first). */
const struct plan *plan_new(struct recipe *recipe, struct ab_error *err);
/* The same for one architecture arch of those the recipe lists (each of
 * a multi-architecture build has its plan, from its own recipe). */
const struct plan *plan_new_arch(struct recipe *recipe, enum arch arch, struct ab_error *err);
/* The architectures recipe lists, in build order (x86_64 first), into
 * out; returns how many (1 when it names none: x86_64). */
size_t plan_arches(unsigned arches, enum arch out[2]);
/* The stem of an output folder's file names: "NAME-VERSION", or
 * "NAME-VERSION-ARCH" for arch, the name of one architecture of a folder
 * that holds several (NULL: the folder holds one). malloc'd; NULL when
 * out of memory. The plan's is its stem; the commands that open a folder
 * make theirs with it from the build report. */
char *plan_stem(const char *name, const char *version, const char *arch);
void plan_free(const struct plan *plan);

/* Where plan_warnings() looks the time zone and the locale up: in
 * /usr/share/zoneinfo and /usr/share/i18n/SUPPORTED of the first of trees
 * that has each (the plan's release's root trees, unpacked in the cache:
 * cache_distro_trees()), else of the host's; paths are resolved inside
 * each tree (inroot.h). */
struct plan_warn_opts {
    const char *const *trees; /* NULL-terminated; NULL: none */
    const char *host;         /* the host's root; NULL: "/" (tests give another) */
};

/* Appends to warnings (ab_warn()) what builds but a reviewer would flag:
 * nobody can log in, the application disk holding the OS's files, a time
 * zone or locale that does not exist, a /boot or / too small to live in,
 * swap past twice the memory, a password hash or SSH key that cannot
 * work, the other family's admin group or package tool, a console= that
 * hides the serial console (appliance-recipe(5), "Warnings"). Sorted by
 * position. Returns the number added; never fails. */
size_t plan_warnings(const struct plan *plan, const struct plan_warn_opts *opts,
                     struct ab_error *warnings);

/* What `appliance convert` knows of an appliance it did not build: the
 * source's hardware and its disks' sizes (plan_convert.c). */
struct plan_convert {
    const char *name;                 /* required; checked as a recipe's name is */
    const char *version;              /* NULL: "0" */
    const char *description, *vendor; /* NULL: "" */
    enum distro distro;               /* DISTRO_NONE: unknown (the OVF says "other Linux") */
    enum arch arch;                   /* the source's; 0: x86_64 */
    unsigned cpus;
    uint64_t memory;
    enum firmware firmware;
    bool secure_boot; /* the source's; kept only with UEFI */
    enum controller controller;
    unsigned nics;
    uint64_t disk_sizes[PLAN_N_DISKS]; /* the images' virtual sizes */
    const char *vgs[PLAN_N_DISKS];     /* the disks' volume groups; NULL: the default */
    unsigned outputs;                  /* as asked; implied ones are added */
};

/* A disk's id as recipes, plans and reports name it ("os", "app"), and the
 * volume group it gets when its recipe names none (vg_os, vg_app). */
const char *plan_disk_name(enum plan_disk_id id);
const char *plan_default_vg(enum plan_disk_id id);

/* The plan the exporters need for an existing appliance: name, version,
 * hardware, every add-on (each image of this project carries them all),
 * the disks' ids, sizes and VG names (no partitions or volumes: nothing
 * is laid out), the outputs, the OVA's digest and hardware family as a
 * build's defaults. Freed with plan_free(). */
const struct plan *plan_for_convert(const struct plan_convert *c, struct ab_error *err);

static inline void
plan_cleanup(const struct plan **p)
{
    plan_free(*p);
}
#define CLEANUP_PLAN __attribute__((cleanup(plan_cleanup)))

/* The human-readable plan, byte-identical for the same recipe. */
int plan_write_text(const struct plan *plan, FILE *out);
/* The same as JSON, for pipelines. */
int plan_write_json(const struct plan *plan, FILE *out);
/* The same as a json-c object, which the caller puts (build-report.json
 * embeds it). */
struct json_object;
struct json_object *plan_json_object(const struct plan *plan);

/* Byte offset of lv's data in its disk: the PV partition's start, the PV's
 * data offset and the extents before it. */
uint64_t plan_lv_offset(const struct plan_disk *disk, const struct plan_lv *lv);

/* "/dev/vg_os/root" style name of an LV, written into buf. */
char *plan_lv_device(const struct plan_vg *vg, const struct plan_lv *lv, char *buf, size_t size);

#endif
