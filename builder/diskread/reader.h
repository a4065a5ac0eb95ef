/* reader.h: the disks of one guest opened on the host, their partitions,
 * LVM and filesystems found (builder/diskread/reader.c, reader_lvm.c,
 * reader_tree.c), shared by inspection (diskread.c) and the clone's edit
 * (new_identity.c). */
#ifndef DISKREAD_READER_H
#define DISKREAD_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/disk_image.h"
#include "appliance/error.h"
#include "appliance/gpt.h"
#include "appliance/guest_facts.h"
#include "appliance/lvm.h"
#include "appliance/spawn.h"
#include "fsprobe.h"
#include "guest_tree.h"
#include "volume.h"

/* A partition, a whole disk or a logical volume. */
struct dvol {
    struct volume v;
    struct fs_probe probe;
    bool has_fs;
    bool opened; /* libext2fs was asked (tfs.fs is its answer) */
    struct tree_fs tfs;
    char *fs_why; /* when tfs.fs stays NULL: why */
    bool partition;
    char partuuid[GPT_GUID_TEXT_BUF];
    char partlabel[GPT_NAME_BUF];
};

struct pv_seen {
    struct lvm_pv pv; /* pv.vg.root NULL: no VG read from it */
    char *device;
};

struct reader {
    const struct inspect_drive *drives;
    size_t n_drives;
    struct disk_image **images;
    struct dvol **vols;
    size_t n_vols;
    struct pv_seen *pvs;
    size_t n_pvs;
    struct inspect_guest *g;
    const struct spawn_ctx *spawn;
    bool write_first; /* drive 0 open read-write (a clone's OS disk) */
    int64_t now;      /* the time of what is written (SOURCE_DATE_EPOCH) */
    char *why;        /* what the host cannot read at all */
};

/* Opens the drives and finds their partitions, PVs, VGs, LVs and
 * filesystems into r->g: 1, 0 when something is not read on the host at
 * all (r->why), -1 on an error. */
int reader_open(struct reader *r, struct ab_error *err);

/* A new volume, kept by r: NULL out of memory. */
struct dvol *reader_new_vol(struct reader *r, struct ab_error *err);

/* What v holds (a PV when pv_ok, else or then a filesystem or swap),
 * added to the guest's facts: 0 or -1. */
int reader_probe(struct reader *r, struct dvol *v, bool pv_ok, struct ab_error *err);

/* The host does not read this (printf-style): r->why, the first kept;
 * returns 0. */
int reader_unreadable(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The VGs of the PVs found, their LVs mapped and probed: 1, 0 (r->why)
 * or -1. */
int reader_lvm(struct reader *r, struct ab_error *err);

/* The volume named device ("/dev/sda3", "/dev/vg_os/root"), or NULL. */
struct dvol *reader_vol(struct reader *r, const char *device);

/* Opens v's filesystem through libext2fs when it is ext2/3/4 (once):
 * v->tfs.fs set, or left NULL with v->fs_why. -1 only out of memory. */
int reader_open_fs(struct reader *r, struct dvol *v, struct ab_error *err);

/* True when v holds a Linux root: an ext filesystem with /etc/fstab. */
bool reader_is_root(struct reader *r, struct dvol *v);

/* The guest tree of the root on v: it and what its fstab mounts (each
 * filesystem opened), and the mount points as inspect lists them (pairs,
 * shortest first). 0 or -1. */
int reader_tree(struct reader *r, struct dvol *root, struct guest_tree *t, char ***mounts,
                struct ab_error *err);

/* Closes the filesystems (writing back what changed: an error then is
 * err's, when err is given) and the images. */
int reader_close(struct reader *r, struct ab_error *err);

#endif
