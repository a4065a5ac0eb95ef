/* convert.h: an existing appliance moved to other hypervisors.
 *
 * `appliance convert SRC -o DIR --to OUTPUTS`: the source (an output folder
 * as build wrote it, an OVA, an OVF, or two disk images) is read, its
 * disks checked and copied to raw scratch files, and the same exporters a
 * build runs (export_all(), builder/export/) write the outputs from a plan
 * synthesized from the source's hardware (plan_for_convert()). Every
 * converted disk is compared with its source (`qemu-img compare`) before
 * the folder is swapped into place; the guest's data is never changed
 * (with new_identity, only the OS disk's machine-id and SSH host keys).
 * No guest change is needed for another hypervisor: every image of this
 * project carries every hypervisor's drivers and add-ons; a source whose
 * disks are not this project's is refused: each disk's volume group must
 * say which disk it is, by the role tag the build puts on it (lvm.h's
 * LVM_ROLE_TAG, whatever the recipe named the VG) or, for a build made
 * before the tag, by its default name (vg_os, vg_app).
 *
 * Library code: progress goes through struct build_events; nothing here
 * prints. A failure or an interrupt leaves no output folder and never
 * touches the source or a previous output in out_dir. */
#ifndef APPLIANCE_CONVERT_H
#define APPLIANCE_CONVERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "appliance/build.h"
#include "appliance/error.h"
#include "appliance/spawn.h"

struct convert_request {
    const char *src;           /* folder, .ova, .ovf, or NULL when disks[] are given */
    const char *disks[2];      /* explicit images, os then app (or NULL) */
    const char *hardware_from; /* build-report.json, an .ovf, or a libvirt domain XML; or NULL */
    unsigned cpus;             /* 0: from the source */
    uint64_t memory;           /* bytes; 0: from the source */
    int firmware;              /* enum firmware; 0: from the source */
    const char *name;          /* NULL: from the source */
    unsigned outputs;          /* enum output_flags, as asked (implied ones added) */
    const char *out_dir;       /* the output folder */
    bool new_identity;         /* a clone: machine-id emptied, SSH host keys removed */
    const char *workroot;      /* where scratch goes; NULL: $TMPDIR or /var/tmp */
    struct spawn_ctx spawn;    /* the log and echo of every tool run; zero: neither */
    const char *sign_key;      /* --sign-key: signs SHA256SUMS and the provenance; NULL: none */
    const char *builder_id;    /* --builder-id: the provenance's builder; NULL: the default */
    const struct build_events *events; /* may be NULL */
    const char *arch; /* --arch: which of a folder of several architectures; NULL: not asked */
};

/* What a source says about the machine (convert_source.c): every field is
 * 0/NULL when the source does not say. */
struct convert_hardware {
    char *name;
    char *version;
    char *description, *vendor;
    unsigned cpus;
    uint64_t memory;        /* bytes */
    int firmware;           /* enum firmware, 0: unknown */
    bool firmware_from_ovf; /* an OVF's, where saying nothing means BIOS */
    int secure_boot;        /* 1 on, -1 off, 0: unknown (taken as off) */
    int controller;         /* enum controller + 1, 0: unknown */
    unsigned nics;
    int distro; /* enum distro, 0 (DISTRO_NONE): unknown */
    int arch;   /* enum arch, 0: unknown (x86_64) */
    char *from; /* the file it was read from, for the report */
};

void convert_hardware_release(struct convert_hardware *hw);

/* Reads the hardware from path: a build-report.json, an .ovf, or a libvirt
 * domain XML (`virsh dumpxml`: vcpu, memory, os firmware or loader,
 * interfaces), told apart by content. Fields the file does not give stay
 * as they were, so that several sources can be layered. */
int convert_hardware_read(const char *path, struct convert_hardware *hw, struct ab_error *err);

/* The same from an OVF summary already read (ovf_read.h). */
struct ovf_summary;
int convert_hardware_from_ovf(const struct ovf_summary *s, struct convert_hardware *hw,
                              struct ab_error *err);

/* Converts req->src (or req->disks) into req->out_dir. */
int convert_run(const struct convert_request *req, struct ab_error *err);

#endif
