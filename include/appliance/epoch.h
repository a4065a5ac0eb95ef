/* epoch.h: the build's one time, SOURCE_DATE_EPOCH.
 *
 * Every time a build writes into the disks (filesystem and inode times,
 * LVM's creation times, FAT directory entries, what the tree's own tools
 * stamp) is this one value: the environment's SOURCE_DATE_EPOCH when it
 * is set, else the newest modification time among the root tree
 * archive's members (tree_extract), which is the same for the same cache
 * entry or rootfs archive whatever the day. The build hands it to every
 * child it starts as SOURCE_DATE_EPOCH (through its spawn context,
 * spawn.h: the process's environment is not changed) and to the
 * exporters as a value (export_job.epoch); this file is the only place
 * that parses it
 * (https://reproducible-builds.org/specs/source-date-epoch/). */
#ifndef APPLIANCE_EPOCH_H
#define APPLIANCE_EPOCH_H

#include <stdint.h>

#include "appliance/error.h"

#define EPOCH_ENV "SOURCE_DATE_EPOCH"
/* The latest time every format it lands in can hold: FAT's dates end in
 * 2107, ext4's and LVM's later; 4102444799 is 2099-12-31 23:59:59 UTC. */
#define EPOCH_MAX INT64_C(4102444799)

/* Parses text as a SOURCE_DATE_EPOCH: decimal digits only (seconds since
 * 1970-01-01 UTC), at most EPOCH_MAX. 0 and *out, or -1. */
int epoch_parse(const char *text, int64_t *out);

/* The environment's SOURCE_DATE_EPOCH: 1 and *out when it is set, 0 when
 * it is unset or empty, -1 with "SOURCE_DATE_EPOCH 'X' is not ..." when it
 * is set to something else (the specification's "exit with an error"). */
int epoch_from_env(int64_t *out, struct ab_error *err);

/* The environment's SOURCE_DATE_EPOCH for code that only reads it
 * (convert, for its exports): its value when it is set to what
 * epoch_parse accepts, else 0, never the wall clock. */
int64_t source_date_epoch(void);

/* Gives every entry of the tree at dir (dir itself included; links not
 * followed, other filesystems not entered) the modification and access
 * time min(its mtime, epoch): what was written after the epoch (by the
 * build, by the tree's tools) gets the epoch, what is older keeps its
 * time. Paths are opened below dir one component at a time, never
 * through a link, so an untrusted tree cannot point the walk out of
 * itself. */
int epoch_clamp_tree(const char *dir, int64_t epoch, struct ab_error *err);

#endif
