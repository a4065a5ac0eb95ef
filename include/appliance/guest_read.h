/* guest_read.h: the disks `appliance inspect` reads, on the host first
 * and through the libguestfs appliance only for what the host cannot
 * read (builder/inspect/guest_read.c).
 *
 *   the host (diskread.h)   partitions, LVM, every filesystem's type,
 *                           UUID, label and use, and the OS's files on
 *                           ext2/3/4: seconds, no VM, no root
 *   the appliance           the whole guest when the host cannot make
 *   (engine_inspect.h)      sense of its disks (an MBR table, a logical
 *                           volume that is not linear) or the host's
 *                           reading fails; else only the operating
 *                           systems, when one's files lie on a filesystem
 *                           the host does not read (an xfs root), or no
 *                           OS was found and such a filesystem may hold
 *                           one. Its OS replaces the host's incomplete
 *                           one; the report says who read what, and why
 *                           the appliance was started. */
#ifndef APPLIANCE_GUEST_READ_H
#define APPLIANCE_GUEST_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "appliance/error.h"
#include "appliance/guest_facts.h"
#include "appliance/spawn.h"

struct guest_read_opts {
    const struct spawn_ctx *spawn; /* qemu-nbd's, rpm's, the KVM probe's log; may be NULL */
    bool appliance;                /* may start the appliance (else what is left is noted) */
    /* Each notice for people (why the appliance starts, that it runs
     * emulated); may be NULL. */
    void (*notice)(void *ctx, const char *msg);
    void *ctx;
};

/* Reads the drives into a new *out: 0, or -1 with err set. */
int guest_read(const struct inspect_drive *drives, size_t n, const struct guest_read_opts *o,
               struct inspect_guest **out, struct ab_error *err);

#endif
