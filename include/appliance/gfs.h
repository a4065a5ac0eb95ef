/* gfs.h: one libguestfs appliance over one raw disk, as plain calls that
 * carry no libguestfs type, for code outside builder/guestfs/ that drives
 * the appliance step by step (lifecycle/engine_resize.c: an xfs grown
 * where the host cannot mount it).
 *
 * The handle is made as every engine's (engine_handle.h): software
 * emulation unless use_kvm, errors kept rather than printed. A failed
 * call sets err to "WHAT: <libguestfs's own message>" and returns -1 (or
 * NULL); the device names are libguestfs's (/dev/sda1, /dev/VG/LV). */
#ifndef APPLIANCE_GFS_H
#define APPLIANCE_GFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"

struct gfs;

/* Adds raw (format raw, cache unsafe, a failed write an I/O error in the
 * guest) and launches the appliance; NULL with err set. */
struct gfs *gfs_launch(const char *raw, bool use_kvm, struct ab_error *err);
/* Shuts the appliance down, reporting write errors. */
int gfs_shutdown(struct gfs *g, struct ab_error *err);
/* Kills the appliance if it still runs and frees g; NULL-safe. */
void gfs_close(struct gfs *g);

/* ---- xfs, which only the kernel grows ----------------------------------- */

/* The size of the xfs mounted at path (xfs_info); 0 when unknown. */
uint64_t gfs_xfs_size(struct gfs *g, const char *path);
/* xfs_growfs -d of the xfs mounted at path. */
int gfs_xfs_growfs(struct gfs *g, const char *path, struct ab_error *err);

int gfs_mount(struct gfs *g, const char *dev, const char *path, bool read_only,
              struct ab_error *err);
int gfs_umount_all(struct gfs *g, struct ab_error *err);

#endif
