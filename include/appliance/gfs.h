/* gfs.h: the libguestfs handle every engine starts from (engine.c's build
 * appliance, engine_inspect.c's read-only one, the resize engine), made in
 * one place so that each gets the same settings: no environment read but
 * libguestfs's own variables, errors kept for guestfs_last_error() instead
 * of printed, and software emulation (the backend's force_tcg) when KVM
 * cannot run a guest here (kvm.h). */
#ifndef APPLIANCE_GFS_H
#define APPLIANCE_GFS_H

#include <stdbool.h>

#include "appliance/error.h"

typedef struct guestfs_h guestfs_h; /* <guestfs.h>'s, for the engines */

/* A new handle, not launched; NULL with err set. */
guestfs_h *gfs_create(bool use_kvm, struct ab_error *err);

/* Sets err to "WHAT: <libguestfs's last error>" with its errno; returns -1. */
int gfs_failed(guestfs_h *g, struct ab_error *err, const char *what);

#endif
