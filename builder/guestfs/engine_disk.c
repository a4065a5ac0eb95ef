/* engine_disk.c: the build's libguestfs appliance (engine_disk.h): xfs,
 * in the volume groups the program wrote. */
#include "appliance/engine_disk.h"

#include <errno.h>
#include <guestfs.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/fsids.h"
#include "engine_handle.h"

struct engine {
    guestfs_h *g;
    FILE *log;
    char *devices[PLAN_N_DISKS]; /* /dev/sda, /dev/sdb */
};

static int
guestfs_failed(struct engine *e, struct ab_error *err, const char *what)
{
    return engine_handle_failed(e->g, err, what);
}

static int
add_disk(struct engine *e, int index, const char *img, struct ab_error *err)
{
    if (guestfs_add_drive_opts(e->g, img, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw",
                               GUESTFS_ADD_DRIVE_OPTS_CACHEMODE, "unsafe",
                               GUESTFS_ADD_DRIVE_OPTS_DISCARD, "besteffort", -1) < 0)
        return guestfs_failed(e, err, "cannot add disk to the appliance");
    return engine_handle_report_write_errors(e->g, index, err);
}

struct engine *
engine_launch(const char *os_img, const char *app_img, bool use_kvm, FILE *log,
              struct ab_error *err)
{
    struct engine *e = calloc(1, sizeof(*e));
    if (!e) {
        ab_oom(err);
        return NULL;
    }
    if (!(e->g = engine_handle_new(use_kvm, log, err))) {
        free(e);
        return NULL;
    }
    e->log = log;
    if (add_disk(e, 0, os_img, err) < 0 || add_disk(e, 1, app_img, err) < 0)
        goto out;
    if (guestfs_launch(e->g) < 0)
        goto fail;
    char **devs = guestfs_list_devices(e->g);
    if (!devs || !devs[0] || !devs[1]) {
        ab_build_error(err, 0, "the appliance does not see both disks");
        goto out;
    }
    e->devices[0] = devs[0];
    e->devices[1] = devs[1];
    for (size_t i = 2; devs[i]; i++)
        free(devs[i]);
    free(devs);
    return e;
fail:
    guestfs_failed(e, err, "cannot launch the libguestfs appliance");
out:
    engine_abort(e);
    return NULL;
}

static char *
partition_device(struct engine *e, enum plan_disk_id id, unsigned number)
{
    char *dev = NULL;
    if (asprintf(&dev, "%s%u", e->devices[id], number) < 0)
        return NULL;
    return dev;
}

/* Finds "key = N" after p (before end); -1 if absent. */
static int64_t
meta_number(const char *p, const char *end, const char *key)
{
    size_t kl = strlen(key);
    for (const char *q = p; q && q < end; q = strchr(q + 1, '\n')) {
        const char *s = q + strspn(q, "\n\t ");
        if (strncmp(s, key, kl) == 0 && s[kl] == ' ')
            return strtoll(s + kl + 3, NULL, 10);
    }
    return -1;
}

/* Checks in LVM's metadata that lv is one segment at its planned extent. */
static int
check_lv_placement(const char *meta, const struct plan_vg *vg, const struct plan_lv *lv,
                   struct ab_error *err)
{
    char head[160];
    snprintf(head, sizeof(head), "\n\t\t%s {", lv->name);
    const char *p = strstr(meta, head);
    const char *stripes = p ? strstr(p, "stripes = [") : NULL;
    const char *end = p ? strstr(p + strlen(head), "\n\t\t}") : NULL;
    if (!p || !stripes || !end || stripes > end)
        return ab_build_error(err, 0, "LVM metadata of '%s' has no volume '%s'", vg->name,
                              lv->name);
    int64_t segments = meta_number(p, end, "segment_count");
    int64_t count = meta_number(p, end, "extent_count");
    const char *comma = strchr(stripes, ',');
    int64_t first = comma ? strtoll(comma + 1, NULL, 10) : -1;
    if (segments != 1 || count != (int64_t)lv->extents || first != (int64_t)lv->first_extent)
        return ab_build_error(err, 0,
                              "LVM placed volume '%s' at extent %" PRId64 " (%" PRId64
                              " extents, %" PRId64 " segments), not at %" PRIu64 " as planned",
                              lv->name, first, count, segments, lv->first_extent);
    return 0;
}

int
engine_check_lvm(struct engine *e, const struct plan *plan, struct ab_error *err)
{
    for (int id = 0; id < PLAN_N_DISKS; id++) {
        const struct plan_vg *vg = &plan->disks[id].vg;
        size_t size = 0;
        CLEANUP_FREE char *meta = guestfs_vgmeta(e->g, vg->name, &size);
        if (!meta) {
            guestfs_failed(e, err, "vgmeta");
            goto fail;
        }
        CLEANUP_FREE char *text = strndup(meta, size);
        if (!text) {
            ab_oom(err);
            goto fail;
        }
        /* A metadata repair or update in the appliance would show here. */
        if (meta_number(text, text + strlen(text), "seqno") != 1) {
            ab_build_error(err, 0, "the appliance's lvm2 rewrote the metadata of '%s'", vg->name);
            goto fail;
        }
        for (size_t i = 0; i < vg->n_lvs; i++)
            if (check_lv_placement(text, vg, &vg->lvs[i], err) < 0)
                goto fail;
    }
    return 0;
fail:
    ab_error_prefix(err, "while reading the volume groups in the appliance");
    return -1;
}

static char *
mount_device(struct engine *e, const struct plan *plan, const struct plan_mount *m)
{
    char *dev = NULL;
    if (!m->lv)
        return partition_device(e, m->disk, m->partition->number);
    if (asprintf(&dev, "/dev/%s/%s", plan->disks[m->disk].vg.name, m->lv->name) < 0)
        return NULL;
    return dev;
}

int
engine_xfs(struct engine *e, const struct plan *plan, const struct plan_mount *m, const char *tar,
           struct ab_error *err)
{
    CLEANUP_FREE char *dev = mount_device(e, plan, m);
    char uuid[FSID_UUID_BUF], label[13];
    fsid_of_mount(plan, m, uuid);
    snprintf(label, sizeof(label), "%s", m->lv ? m->lv->name : "boot");
    if (!dev)
        return ab_oom(err);
    if (guestfs_mkfs_opts(e->g, "xfs", dev, GUESTFS_MKFS_OPTS_LABEL, label, -1) < 0 ||
        guestfs_set_uuid(e->g, dev, uuid) < 0 || guestfs_mount(e->g, dev, "/") < 0 ||
        guestfs_tar_in_opts(e->g, tar, "/", GUESTFS_TAR_IN_OPTS_XATTRS, 1,
                            GUESTFS_TAR_IN_OPTS_SELINUX, 1, GUESTFS_TAR_IN_OPTS_ACLS, 1, -1) < 0 ||
        guestfs_fstrim(e->g, "/", -1) < 0 || guestfs_umount_all(e->g) < 0) {
        guestfs_failed(e, err, "xfs");
        ab_error_prefix(err, "while making the xfs filesystem of '%s'", m->path);
        return -1;
    }
    return 0;
}

int
engine_finish(struct engine *e, struct ab_error *err)
{
    int r = 0;
    if (!e)
        return 0;
    if (guestfs_shutdown(e->g) < 0)
        r = guestfs_failed(e, err, "while shutting the appliance down");
    engine_handle_close(e->g);
    free(e->devices[0]);
    free(e->devices[1]);
    free(e);
    return r;
}

void
engine_abort(struct engine *e)
{
    if (!e)
        return;
    engine_handle_close(e->g); /* kills the appliance without syncing */
    free(e->devices[0]);
    free(e->devices[1]);
    free(e);
}
