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
#include "appliance/guest_facts.h"

struct engine_inspect;

/* Adds every drive read-only and launches the appliance; software
 * emulation (force_tcg) unless use_kvm. Once it returns, the drives'
 * files may be removed: qemu holds them open. */
struct engine_inspect *engine_inspect_launch(const struct inspect_drive *drives, size_t n,
                                             bool use_kvm, struct ab_error *err);

/* Reads everything above into a new *out. */
int engine_inspect_read(struct engine_inspect *e, struct inspect_guest **out, struct ab_error *err);

/* Reads only the operating systems, appended to g's (what the reader on
 * the host could not: diskread.h), and the appliance's times. */
int engine_inspect_read_oses(struct engine_inspect *e, struct inspect_guest *g,
                             struct ab_error *err);

/* Shuts the appliance down and frees e; NULL-safe. */
int engine_inspect_close(struct engine_inspect *e, struct ab_error *err);

#endif
