/* gfs.h: one libguestfs appliance over one raw disk, as plain calls that
 * carry no libguestfs type, for code outside builder/guestfs/ that drives
 * the appliance step by step (lifecycle/engine_resize.c).
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

/* Runs a shell command line in the appliance (the daemon's "sh"); *out
 * (may be NULL) gets its output. -1 with its output in the message when
 * it exits non-zero. */
int gfs_sh(struct gfs *g, const char *cmd, char **out, struct ab_error *err);

/* ---- LVM ------------------------------------------------------------------ */

/* The PVs, NULL-terminated (ab_strv_free). */
char **gfs_pvs(struct gfs *g, struct ab_error *err);
/* The metadata text of volume group vg (not NUL-terminated); *size its length. */
char *gfs_vgmeta(struct gfs *g, const char *vg, size_t *size, struct ab_error *err);
int gfs_pvresize(struct gfs *g, const char *pv, struct ab_error *err);
int gfs_pvresize_size(struct gfs *g, const char *pv, uint64_t bytes, struct ab_error *err);
int gfs_lvresize(struct gfs *g, const char *lv, int mib, struct ab_error *err);

/* ---- filesystems ---------------------------------------------------------- */

/* blkid's type of dev ("ext4", "xfs"), or NULL when it has none. */
char *gfs_vfs_type(struct gfs *g, const char *dev);
/* An ext filesystem's size from its superblock (tune2fs -l); 0 when unknown. */
uint64_t gfs_ext_size(struct gfs *g, const char *dev);
/* The size of the xfs mounted at path (xfs_info); 0 when unknown. */
uint64_t gfs_xfs_size(struct gfs *g, const char *path);
/* e2fsck -f, repairing what it may without asking. */
int gfs_e2fsck_force(struct gfs *g, const char *dev, struct ab_error *err);
/* resize2fs -P: the smallest size the filesystem shrinks to, in bytes. */
int64_t gfs_ext_minimum_size(struct gfs *g, const char *dev, struct ab_error *err);
/* resize2fs: the filesystem made to fill dev, or made bytes long. */
int gfs_resize2fs(struct gfs *g, const char *dev, struct ab_error *err);
int gfs_resize2fs_size(struct gfs *g, const char *dev, uint64_t bytes, struct ab_error *err);
/* xfs_growfs -d of the xfs mounted at path. */
int gfs_xfs_growfs(struct gfs *g, const char *path, struct ab_error *err);
/* xfs_repair -n: 0 clean, 1 problems found, -1 could not run. */
int gfs_xfs_check(struct gfs *g, const char *dev, struct ab_error *err);

int gfs_mount(struct gfs *g, const char *dev, const char *path, bool read_only,
              struct ab_error *err);
int gfs_umount_all(struct gfs *g, struct ab_error *err);

#endif
