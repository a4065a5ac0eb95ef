/* exporter.h: one output format as the dispatcher (export.c) sees it.
 *
 * Each export_FORMAT.c defines its exporter(s); export.c lists them in the
 * order they run and calls those whose outputs the plan asks for, through
 * this table only. Most are made from the two raw disks (write); the
 * container templates are made from the configured tree before the disks
 * exist (from_tree). What several exporters share, the names of the disks'
 * files and the step shown while one is written, is in export_job.c. */
#ifndef APPLIANCE_EXPORTER_H
#define APPLIANCE_EXPORTER_H

#include <stdbool.h>
#include <stdio.h>

#include "appliance/error.h"
#include "appliance/export.h"

struct exporter {
    const char *name;
    unsigned outputs; /* the OUTPUT_* it writes: it runs when the plan asks for any */
    const void *data; /* its own constants (qemu-img's target), or NULL */
    /* Its outputs from the two raw disks, job->images (export_all), or NULL. */
    int (*write)(const struct exporter *self, const struct export_job *job, struct ab_error *err);
    /* Its outputs from the configured tree, job->root (export_from_tree), or NULL. */
    int (*from_tree)(const struct exporter *self, const struct export_job *job,
                     struct ab_error *err);
};

/* export_ova.c: ovf/ (OUTPUT_OVF) and NAME-VERSION.ova (OUTPUT_OVA). */
extern const struct exporter exporter_ovf;
/* export_qemu.c: converted by qemu-img. */
extern const struct exporter exporter_qcow2, exporter_vmdk, exporter_vhdx, exporter_vdi,
    exporter_azure;
/* export_gce.c, export_libvirt.c, export_hyperv.c. */
extern const struct exporter exporter_gce, exporter_libvirt, exporter_hyperv;
/* export_kubevirt.c: each disk's containerDisk and the VirtualMachine (OUTPUT_KUBEVIRT). */
extern const struct exporter exporter_kubevirt;
/* The VirtualMachine of plan whose disks are the containerDisk images
 * os_image and app_image, as YAML to f; -1 on a write error. */
int kubevirt_vm_write(const struct plan *plan, const char *os_image, const char *app_image,
                      FILE *f);
/* The qcow2 of disk written at path (in job->dir's file system), as the
 * qcow2 output writes it (export_qemu.c). */
int export_qcow2_file(const struct export_job *job, enum plan_disk_id disk, const char *path,
                      struct ab_error *err);
/* The monolithicSparse VMDK of disk (its raw image raw) written at path
 * (in job->dir's file system), as the vmdk output writes it
 * (export_qemu.c): an export_disk_fn, ctx unused. */
int export_vmdk_file(const struct export_job *job, enum plan_disk_id disk, const char *raw,
                     const char *path, const void *ctx, struct ab_error *err);
/* export_vmx.c: the VMware VM folder, STEM.vmwarevm/ (OUTPUT_VMX). */
extern const struct exporter exporter_vmx;
/* export_utm.c: NAME-VERSION.utm/, config.plist and Data/ with the qcow2 disks (OUTPUT_UTM). */
extern const struct exporter exporter_utm;
/* export_raw.c: the raw disks themselves, moved: it runs last. */
extern const struct exporter exporter_raw;
/* export_container.c: the container templates, from the tree (OUTPUT_CONTAINER). */
extern const struct exporter exporter_container;

/* Tells job->step that writing what (a file name) begins. */
void export_step(const struct export_job *job, const char *what);

/* "NAME-VERSION-os.EXT" / "NAME-VERSION-app.EXT"; NULL when out of memory. */
char *export_disk_file(const struct plan *plan, enum plan_disk_id disk, const char *ext);
/* The same in job->dir ("DIR/NAME-VERSION-os.EXT"); NULL when out of memory. */
char *export_disk_path(const struct export_job *job, enum plan_disk_id disk, const char *ext);
/* The file name part of such a path. */
const char *export_base_name(const char *path);

/* One disk's file: the disk, its raw image and the path of the file to write. */
typedef int (*export_disk_fn)(const struct export_job *job, enum plan_disk_id disk, const char *raw,
                              const char *path, const void *ctx, struct ab_error *err);

/* Writes one disk's file at path with fn, announced as a step, unless
 * job->reuse has it for that disk and tag (then it is copied from there
 * and announced as reused); a file written is offered to job->reuse.
 * Either way its SHA-256 goes to job->digests: the one fn set there
 * while writing, else the one kept beside the cache entry, else it is
 * hashed from then on. read_only: the file is only read, then removed, by
 * this build (export_reuse.fetch may link it to the entry). */
int export_disk_file_reused(const struct export_job *job, enum plan_disk_id disk, const char *tag,
                            const char *path, bool read_only, export_disk_fn fn, const void *ctx,
                            struct ab_error *err);

/* Calls fn for each disk with export_disk_path(job, disk, ext), first
 * announcing the file as a step when announce is set; stops at the first
 * failure. With a tag, each file goes through export_disk_file_reused. */
int export_each_disk(const struct export_job *job, const char *ext, const char *tag, bool announce,
                     export_disk_fn fn, const void *ctx, struct ab_error *err);

#endif
