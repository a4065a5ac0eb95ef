/* engine_resize.c: xfs filesystems grown in one libguestfs appliance over
 * the raw working copy (engine_resize.h), driven call by call through
 * gfs.h (libguestfs itself is builder/guestfs/'s). */
#include "engine_resize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/gfs.h"

static struct resize_lv *
lv_of(struct resize_layout *l, const char *name)
{
    for (size_t i = 0; i < l->n_lvs; i++)
        if (strcmp(l->lvs[i].name, name) == 0)
            return &l->lvs[i];
    return NULL;
}

static int
grow(struct gfs *g, struct resize_layout *l, const char *name, struct ab_error *err)
{
    struct resize_lv *lv = lv_of(l, name);
    CLEANUP_FREE char *dev = NULL;
    if (!lv)
        return ab_build_error(err, 0, "volume group '%s' has no volume '%s'", l->vg, name);
    if (asprintf(&dev, "/dev/%s/%s", l->vg, name) < 0) {
        dev = NULL;
        return ab_oom(err);
    }
    if (gfs_mount(g, dev, "/", false, err) < 0)
        goto failed;
    lv->fs_size = gfs_xfs_size(g, "/");
    int r = gfs_xfs_growfs(g, "/", err);
    if (r == 0)
        lv->new_fs_size = gfs_xfs_size(g, "/");
    /* A failed unmount after a failed grow is not news. */
    struct ab_error ignored = AB_ERROR_INIT;
    if (gfs_umount_all(g, r == 0 ? err : &ignored) < 0)
        r = -1;
    ab_error_release(&ignored);
    if (r == 0)
        return 0;
failed:
    ab_error_prefix(err, "while growing '%s'", dev);
    return -1;
}

int
engine_resize_xfs(const char *raw, struct resize_layout *l, const char *const *names,
                  bool use_kvm, struct ab_error *err)
{
    struct gfs *g = gfs_launch(raw, use_kvm, err);
    if (!g)
        return -1;
    int r = 0;
    for (const char *const *n = names; r == 0 && *n; n++)
        r = grow(g, l, *n, err);
    if (r == 0)
        r = gfs_shutdown(g, err);
    gfs_close(g);
    return r;
}
