/* diskread.h: a guest's disks read on the host, with no VM, no root and
 * no /dev/kvm (builder/diskread/).
 *
 * The images are opened as disk_image.h says (raw in place, any other
 * format through qemu-nbd and libnbd); the GPT is read by gpt.h, LVM's
 * labels and metadata by lvm.h, each filesystem's type, UUID, label and
 * use from its superblock (fsprobe.h), and the files of ext2/3/4
 * through libext2fs: the OS found as libguestfs's inspection finds it
 * (guest_os.h), its filesystems put together as its fstab says.
 *
 * What the host does not read is said, never guessed: a disk it cannot
 * make sense of at all (an MBR table, a logical volume that is not
 * linear, a volume group missing a PV) makes diskread_guest return 0
 * with the reason, for the appliance to read instead; files on a
 * filesystem it does not read (xfs) leave the OS incomplete, with notes.
 * Devices are named as libguestfs names them (guest_facts.h). */
#ifndef APPLIANCE_DISKREAD_H
#define APPLIANCE_DISKREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/guest_facts.h"
#include "appliance/spawn.h"

/* Reads the drives into a new *out: 1; 0 when the host cannot read them
 * (*why, malloc'd); -1 on an error (a drive that cannot be opened or
 * read). spawn: for qemu-nbd and rpm, may be NULL. */
int diskread_guest(const struct inspect_drive *drives, size_t n, const struct spawn_ctx *spawn,
                   struct inspect_guest **out, char **why, struct ab_error *err);

/* True when some filesystem of g is of a type whose files the host does
 * not read, and no OS was found on the others: it may hold one. */
bool diskread_may_hide_os(const struct inspect_guest *g);

/* What a clone's edit did (engine_identity.h's, the appliance's twin). */
struct diskread_identity {
    bool machine_id_was_set; /* /etc/machine-id held an id */
    bool dbus_linked;        /* /var/lib/dbus/machine-id was made the symlink */
    unsigned host_keys_removed;
};

/* A clone made of the OS disk os_raw (a raw copy, written in place) with
 * app (read-only, of app_format) beside it: /etc/machine-id emptied,
 * /var/lib/dbus/machine-id a symlink to it, /etc/ssh/ssh_host_* removed,
 * on ext2/3/4 through libext2fs; new inodes dated now. 1 done; 0 when
 * the host cannot do it (*why, malloc'd: an xfs root, a journal that
 * needs replaying, ...) and nothing was written; -1 on an error, the
 * copy then unusable. */
int diskread_new_identity(const char *os_raw, const char *app, const char *app_format, int64_t now,
                          const struct spawn_ctx *spawn, struct diskread_identity *res, char **why,
                          struct ab_error *err);

#endif
