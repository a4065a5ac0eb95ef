/* gfs.c: one libguestfs appliance over one raw disk, call by call (gfs.h). */
#include "appliance/gfs.h"

#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "engine_handle.h"

struct gfs {
    guestfs_h *g;
};

static int
failed(struct gfs *g, struct ab_error *err, const char *what)
{
    return engine_handle_failed(g->g, err, what);
}

struct gfs *
gfs_launch(const char *raw, bool use_kvm, struct ab_error *err)
{
    struct gfs *g = calloc(1, sizeof(*g));
    if (!g) {
        ab_oom(err);
        return NULL;
    }
    if (!(g->g = engine_handle_new(use_kvm, NULL, err))) {
        free(g);
        return NULL;
    }
    int r = -1;
    if (guestfs_add_drive_opts(g->g, raw, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw",
                               GUESTFS_ADD_DRIVE_OPTS_CACHEMODE, "unsafe", -1) < 0)
        failed(g, err, "cannot add the disk to the appliance");
    else if (engine_handle_report_write_errors(g->g, 0, err) == 0) {
        if (guestfs_launch(g->g) < 0)
            failed(g, err, "cannot launch the libguestfs appliance");
        else
            r = 0;
    }
    if (r < 0) {
        gfs_close(g);
        return NULL;
    }
    return g;
}

int
gfs_shutdown(struct gfs *g, struct ab_error *err)
{
    if (guestfs_shutdown(g->g) < 0)
        return failed(g, err, "while shutting the appliance down");
    return 0;
}

void
gfs_close(struct gfs *g)
{
    if (!g)
        return;
    engine_handle_close(g->g);
    free(g);
}

uint64_t
gfs_xfs_size(struct gfs *g, const char *path)
{
    struct guestfs_xfsinfo *x = guestfs_xfs_info(g->g, path);
    uint64_t size = x ? (uint64_t)x->xfs_blocksize * x->xfs_datablocks : 0;
    guestfs_free_xfsinfo(x);
    return size;
}

int
gfs_xfs_growfs(struct gfs *g, const char *path, struct ab_error *err)
{
    if (guestfs_xfs_growfs(g->g, path, GUESTFS_XFS_GROWFS_DATASEC, 1, -1) < 0)
        return failed(g, err, "xfs_growfs");
    return 0;
}

int
gfs_mount(struct gfs *g, const char *dev, const char *path, bool read_only, struct ab_error *err)
{
    int r = read_only ? guestfs_mount_ro(g->g, dev, path) : guestfs_mount(g->g, dev, path);
    return r < 0 ? failed(g, err, "mount") : 0;
}

int
gfs_umount_all(struct gfs *g, struct ab_error *err)
{
    return guestfs_umount_all(g->g) < 0 ? failed(g, err, "umount") : 0;
}
