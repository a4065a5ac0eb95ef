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

int
gfs_sh(struct gfs *g, const char *cmd, char **out, struct ab_error *err)
{
    CLEANUP_FREE char *line = NULL;
    if (asprintf(&line, "%s 2>&1; echo \"rc=$?\"", cmd) < 0)
        return ab_oom(err);
    char *args[] = {line, NULL};
    char *text = guestfs_debug(g->g, "sh", args);
    if (!text)
        return failed(g, err, cmd);
    char *rc = strrchr(text, '\n');
    rc = rc ? rc + 1 : text;
    int status = strncmp(rc, "rc=", 3) == 0 ? atoi(rc + 3) : -1;
    *rc = '\0';
    if (rc > text && rc[-1] == '\n')
        rc[-1] = '\0';
    if (status != 0) {
        ab_build_error(err, 0, "'%s' failed (exit %d): %s", cmd, status, text);
        free(text);
        return -1;
    }
    if (out)
        *out = text;
    else
        free(text);
    return 0;
}

/* ---- LVM ------------------------------------------------------------------ */

char **
gfs_pvs(struct gfs *g, struct ab_error *err)
{
    char **pvs = guestfs_pvs(g->g);
    if (!pvs)
        failed(g, err, "pvs");
    return pvs;
}

char *
gfs_vgmeta(struct gfs *g, const char *vg, size_t *size, struct ab_error *err)
{
    char *meta = guestfs_vgmeta(g->g, vg, size);
    if (!meta)
        failed(g, err, "vgmeta");
    return meta;
}

int
gfs_pvresize(struct gfs *g, const char *pv, struct ab_error *err)
{
    return guestfs_pvresize(g->g, pv) < 0 ? failed(g, err, "pvresize") : 0;
}

int
gfs_pvresize_size(struct gfs *g, const char *pv, uint64_t bytes, struct ab_error *err)
{
    if (guestfs_pvresize_size(g->g, pv, (int64_t)bytes) < 0)
        return failed(g, err, "pvresize --setphysicalvolumesize");
    return 0;
}

int
gfs_lvresize(struct gfs *g, const char *lv, int mib, struct ab_error *err)
{
    return guestfs_lvresize(g->g, lv, mib) < 0 ? failed(g, err, "lvresize") : 0;
}

/* ---- filesystems ---------------------------------------------------------- */

char *
gfs_vfs_type(struct gfs *g, const char *dev)
{
    return guestfs_vfs_type(g->g, dev);
}

uint64_t
gfs_ext_size(struct gfs *g, const char *dev)
{
    CLEANUP_STRV char **kv = guestfs_tune2fs_l(g->g, dev);
    uint64_t count = 0, block = 0;
    for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
        if (strcmp(kv[i], "Block count") == 0)
            count = strtoull(kv[i + 1], NULL, 10);
        else if (strcmp(kv[i], "Block size") == 0)
            block = strtoull(kv[i + 1], NULL, 10);
    }
    return count * block;
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
gfs_e2fsck_force(struct gfs *g, const char *dev, struct ab_error *err)
{
    if (guestfs_e2fsck(g->g, dev, GUESTFS_E2FSCK_CORRECT, 1, -1) < 0)
        return failed(g, err, "e2fsck -f");
    return 0;
}

int64_t
gfs_ext_minimum_size(struct gfs *g, const char *dev, struct ab_error *err)
{
    int64_t min = guestfs_vfs_minimum_size(g->g, dev);
    if (min < 0)
        return failed(g, err, "resize2fs -P");
    return min;
}

int
gfs_resize2fs(struct gfs *g, const char *dev, struct ab_error *err)
{
    return guestfs_resize2fs(g->g, dev) < 0 ? failed(g, err, "resize2fs") : 0;
}

int
gfs_resize2fs_size(struct gfs *g, const char *dev, uint64_t bytes, struct ab_error *err)
{
    if (guestfs_resize2fs_size(g->g, dev, (int64_t)bytes) < 0)
        return failed(g, err, "resize2fs");
    return 0;
}

int
gfs_xfs_growfs(struct gfs *g, const char *path, struct ab_error *err)
{
    if (guestfs_xfs_growfs(g->g, path, GUESTFS_XFS_GROWFS_DATASEC, 1, -1) < 0)
        return failed(g, err, "xfs_growfs");
    return 0;
}

int
gfs_xfs_check(struct gfs *g, const char *dev, struct ab_error *err)
{
    int r = guestfs_xfs_repair(g->g, dev, GUESTFS_XFS_REPAIR_NOMODIFY, 1, -1);
    if (r < 0)
        return failed(g, err, "xfs_repair -n");
    return r != 0;
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
