/* guest_os.h: what operating system a guest tree holds, found the way
 * libguestfs's inspection finds it (builder/diskread/guest_os.c).
 *
 *   distribution, product name, version   os-release, then lsb-release,
 *                   rocky-, centos-, redhat-release, debian_version, in
 *                   libguestfs's order and by its rules (Debian's and
 *                   CentOS's os-release give only the major version, so
 *                   their release files are read after it)
 *   architecture    the ELF header of /bin/bash (or ls, echo, rm, sh)
 *   hostname        /etc/HOSTNAME or /etc/hostname, its first line
 *   kernels         /boot/vmlinuz-*
 *   packages        deb: /var/lib/dpkg/status, the installed ones; rpm:
 *                   the database copied out and counted by the host's
 *                   rpm (rpm -qa --dbpath), when it has one
 *   grow service    appliance-grow's unit, program, wants link and size
 *                   records (configure_grow.c's paths)
 *   identity        /etc/machine-id, /etc/ssh/ssh_host_*
 *
 * What lies on a filesystem the host does not read (guest_tree.h) is
 * left unknown, with a note saying so, and the OS marked incomplete. */
#ifndef DISKREAD_GUEST_OS_H
#define DISKREAD_GUEST_OS_H

#include <stdbool.h>

#include "appliance/error.h"
#include "appliance/guest_facts.h"
#include "appliance/spawn.h"
#include "guest_tree.h"

/* True when fstab's entry belongs in the inspection's mount points: a
 * path under /, not swap, not a pseudo filesystem, not /dev, /proc,
 * /sys, /media, /selinux. */
bool guest_os_mount_wanted(const char *path, const char *type);

/* Fills os (root, mounts are the caller's) from the tree t; 0, or -1 on
 * an error that is not the guest's (out of memory). spawn: for rpm. */
int guest_os_read(struct guest_tree *t, struct inspect_os *os, const struct spawn_ctx *spawn,
                  struct ab_error *err);

#endif
