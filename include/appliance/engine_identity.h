/* engine_identity.h: a converted copy made a new machine (--new-identity),
 * through one libguestfs appliance on the raw scratch copy of the OS disk
 * (the source is never opened for writing).
 *
 * The guest is found by libguestfs's inspection and its filesystems are
 * mounted as its fstab says (those of the application disk read-only);
 * then, and nothing else:
 *
 *   /etc/machine-id            truncated to zero bytes (systemd makes a new
 *                              one at first boot, machine-id(5))
 *   /var/lib/dbus/machine-id   a symlink to /etc/machine-id (as a build
 *                              leaves it), when /var/lib/dbus exists
 *   /etc/ssh/ssh_host_*        removed (the image's first-boot unit, or
 *                              sshd's own, makes new keys: ssh-keygen -A) */
#ifndef APPLIANCE_ENGINE_IDENTITY_H
#define APPLIANCE_ENGINE_IDENTITY_H

#include <stdbool.h>
#include <stdio.h>

#include "appliance/error.h"

struct identity_result {
    bool machine_id_was_set; /* /etc/machine-id held an id */
    bool dbus_linked;        /* /var/lib/dbus/machine-id was made the symlink */
    unsigned host_keys_removed;
    double seconds; /* the appliance's launch included */
};

/* os_raw (read-write; its volume group os_vg) and app (read-only, of
 * app_format) are the copies to change. */
int engine_identity_clear(const char *os_raw, const char *os_vg, const char *app,
                          const char *app_format, bool use_kvm, FILE *log,
                          struct identity_result *res, struct ab_error *err);

#endif
