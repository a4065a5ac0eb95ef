/* engine_handle.h: a libguestfs handle made the one way every engine of
 * this folder makes it (engine_disk.c, engine_inspect.c,
 * engine_identity.c, gfs.c): no environment but libguestfs's own
 * variables, errors kept for guestfs_last_error() instead of printed,
 * software emulation (force_tcg) unless KVM is usable, and, when a log is
 * given, the appliance's messages written to it. */
#ifndef APPLIANCE_ENGINE_HANDLE_H
#define APPLIANCE_ENGINE_HANDLE_H

#include <stdbool.h>
#include <stdio.h>

#include "appliance/error.h"

struct guestfs_h;

/* A new handle, not launched; NULL with err set. */
struct guestfs_h *engine_handle_new(bool use_kvm, FILE *log, struct ab_error *err);

/* Closes a handle made by engine_handle_new() (guestfs_close(), which
 * kills the appliance if it still runs), then writes the rest of its log
 * and frees it; NULL-safe. Every such handle is closed this way. */
void engine_handle_close(struct guestfs_h *g);

/* Makes qemu report a failed write of drive index (0 for the first added)
 * to the guest as an I/O error, which fails the call that wrote, instead
 * of pausing the appliance for good (qemu's default for a full host disk:
 * werror=enospc). Call once per writable drive, before the launch. */
int engine_handle_report_write_errors(struct guestfs_h *g, int index, struct ab_error *err);

/* "WHAT: <libguestfs's last error>" into err; returns -1. */
int engine_handle_failed(struct guestfs_h *g, struct ab_error *err, const char *what);

#endif
