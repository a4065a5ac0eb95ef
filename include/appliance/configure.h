/* configure.h: the root tree made into this appliance, natively on the
 * host in a chroot of the tree (never in the emulated appliance). */
#ifndef APPLIANCE_CONFIGURE_H
#define APPLIANCE_CONFIGURE_H

#include <stdbool.h>

#include "appliance/error.h"
#include "appliance/packages.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

/* System settings: hostname, time zone, locale, network by DHCP on any
 * Ethernet interface, the console boot report, first-boot SSH host keys. */
int configure_system(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
                     struct ab_error *err);

/* Boot: /etc/fstab by UUID, GRUB's configuration and modules in /boot/grub
 * for kernel kver, /etc/default/grub for later kernel updates. */
int configure_boot(const struct plan *plan, const char *root, const char *kver,
                   const struct spawn_ctx *ctx, struct ab_error *err);

/* appliance-grow: a script and an enabled unit that grow, at every boot,
 * each disk's LVM partition, PV, growing volume (plan_vg.grow_lv) and its
 * filesystem when the disk has grown; one line per disk on the console. */
int configure_grow(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
                   struct ab_error *err);
/* The script itself, for the plan (malloc'd; NULL when out of memory). */
char *configure_grow_script(const struct plan *plan);
/* Its record of a disk as built, "DISK START SIZE\n": the disk's and its
 * LVM partition's sectors of 512 bytes (malloc'd; NULL when out of memory). */
char *configure_grow_record(const struct plan_disk *disk);

/* cloud-init, when the plan has it (plan.cloud): its datasource_list (the
 * clouds' and NoCloud), growpart, resizefs, network, apt, locale and GRUB
 * left to the image; for Azure its VF left to hv_netvsc and SSH kept alive.
 * Nothing without plan.cloud. */
int configure_cloud(const struct plan *plan, const char *root, struct ab_error *err);
/* The text of /etc/cloud/cloud.cfg.d/95_appliance.cfg for the plan
 * (malloc'd; NULL when out of memory). */
char *configure_cloud_config(const struct plan *plan);

/* The recipe's users, files and run lines, in that order. */
int configure_customize(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
                        struct ab_error *err);

/* Clone hygiene: empty machine-id, no SSH host keys, random seed, logs,
 * DHCP leases and package caches cleared. Last, after everything. */
int configure_hygiene(const struct plan *plan, const char *root, struct ab_error *err);

/* The path in the tree that a `files:` entry makes (malloc'd; NULL when
 * out of memory): dest itself, or dest/NAME of the source when dest ends
 * in '/' and the source is a file. A folder's files land below it, each
 * at its path relative to the source folder. */
char *configure_file_target(const struct plan_file *f, bool is_dir);

/* The container output's tree (export_container.h writes it): root, an
 * overlay of the configured tree (every file of the recipe, both disks'
 * included), made a container's by removing what only a virtual machine
 * has: /boot's contents (kernel, initramfs, GRUB), the kernel and add-on
 * packages (purged by the tree's own package manager) and /etc/fstab's
 * filesystems. The packages purged are those of the installed list
 * `packages` (packages_read()'s) that container_purged() names. */
int configure_container(const struct plan *plan, const char *root,
                        const struct pkg_list *packages, const struct spawn_ctx *ctx,
                        struct ab_error *err);

/* Whether a package of that name is left out of a container: a kernel
 * image or the add-on of a hypervisor. */
bool container_purged(const char *package);

/* GRUB's names in a tree: Debian's "grub" and grub-mkimage, or the CentOS
 * family's "grub2" and grub2-mkimage (found by looking at the tree). */
struct grub_names {
    const char *dir;     /* under /boot */
    const char *mkimage; /* the program */
};
void configure_grub_names(const char *root, struct grub_names *names);

/* SELinux labels, when the tree has a policy (the CentOS family): setfiles
 * in a chroot of the tree; if that cannot run, /.autorelabel makes the
 * first boot label it. Last: it labels what the other steps wrote. */
int configure_selinux(const char *root, const struct spawn_ctx *ctx, struct ab_error *err);

/* "/dev/mapper/vg_os-root": '-' in either name doubled, as dm names it. */
char *configure_dm_name(const char *vg, const char *lv);

#endif
