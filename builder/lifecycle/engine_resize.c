/* engine_resize.c: PV, volumes and filesystems resized in one libguestfs
 * appliance over the raw working copy (engine_resize.h), driven call by
 * call through gfs.h (libguestfs itself is builder/guestfs/'s).
 *
 * libguestfs's API does each step it has a call for (pvresize,
 * resize2fs, lvresize, xfs_growfs, xfs_repair, vfs_minimum_size); LVM's
 * and e2fsprogs' own commands, run in the appliance through the daemon's
 * shell (guestfs_debug "sh"), do what it has no call for: the PV's
 * segments with their places (pvs --segments), pvmove, vgck and
 * e2fsck -fn (guestfs_e2fsck always repairs). Names in those
 * command lines come from the image: the VG is vg_os or vg_app, and LV
 * names are checked against LVM's own character set first. */
#include "engine_resize.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/gfs.h"
#include "appliance/size.h"

struct eng {
    struct gfs *g;
    struct resize_layout *l;
    char pv[32];        /* /dev/sdaN, as libguestfs's API names it */
    char pv_kernel[64]; /* the appliance kernel's name for it, as LVM's commands do: the
                           kernel may order the disks otherwise (/dev/sdb1) */
};

/* Runs a shell command line in the appliance (gfs_sh). */
static int
appliance_sh(struct eng *e, const char *cmd, char **out, struct ab_error *err)
{
    return gfs_sh(e->g, cmd, out, err);
}

static bool
lvm_name_ok(const char *s)
{
    if (!*s || *s == '-')
        return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-", *s))
            return false;
    return true;
}

/* One line of pvs --segments: PV:VG:PV_UUID:VG_UUID:PE_START:EXTENT:
 * PE_COUNT:PV_COUNT:SEG_START:SEG_SIZE:LV (LV empty for free space). */
struct seg {
    char pv[64], vg[RESIZE_NAME_MAX], pv_uuid[RESIZE_UUID_MAX], vg_uuid[RESIZE_UUID_MAX];
    uint64_t pe_start, extent, pe_count, pv_count, start, size;
    char lv[RESIZE_NAME_MAX];
};

static int
parse_seg(char *line, struct seg *s)
{
    char *f[11];
    size_t n = 0;
    line += strspn(line, " ");
    for (char *p = line; n < 11; n++) {
        f[n] = p;
        char *c = strchr(p, ':');
        if (!c) {
            n++;
            break;
        }
        *c = '\0';
        p = c + 1;
    }
    if (n != 11)
        return -1;
    memset(s, 0, sizeof(*s));
    if (snprintf(s->pv, sizeof(s->pv), "%s", f[0]) >= (int)sizeof(s->pv) ||
        snprintf(s->vg, sizeof(s->vg), "%s", f[1]) >= (int)sizeof(s->vg) ||
        snprintf(s->pv_uuid, sizeof(s->pv_uuid), "%s", f[2]) >= (int)sizeof(s->pv_uuid) ||
        snprintf(s->vg_uuid, sizeof(s->vg_uuid), "%s", f[3]) >= (int)sizeof(s->vg_uuid) ||
        snprintf(s->lv, sizeof(s->lv), "%s", f[10]) >= (int)sizeof(s->lv))
        return -1;
    uint64_t *num[] = {&s->pe_start, &s->extent, &s->pe_count, &s->pv_count, &s->start, &s->size};
    for (size_t i = 0; i < 6; i++) {
        char *end = NULL;
        *num[i] = strtoull(f[4 + i], &end, 10);
        if (end == f[4 + i] || *end)
            return -1;
    }
    return 0;
}

/* The PV's segments as LVM has them now; n_out gets their number. */
static struct seg *
read_segments(struct eng *e, size_t *n_out, struct ab_error *err)
{
    CLEANUP_FREE char *text = NULL;
    if (appliance_sh(e,
                     "lvm pvs --segments --units b --nosuffix --noheadings --separator : -o "
                     "pv_name,vg_name,pv_uuid,vg_uuid,pe_start,vg_extent_size,pv_pe_count,"
                     "pv_count,pvseg_start,pvseg_size,lv_name",
                     &text, err) < 0)
        return NULL;
    struct seg *segs = NULL;
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (strstr(line, "WARNING") || !strchr(line, ':'))
            continue;
        struct seg *grown = realloc(segs, (n + 1) * sizeof(*segs));
        if (!grown) {
            free(segs);
            ab_oom(err);
            return NULL;
        }
        segs = grown;
        if (parse_seg(line, &segs[n]) < 0) {
            ab_build_error(err, 0, "cannot read LVM's line '%s'", line);
            free(segs);
            return NULL;
        }
        n++;
    }
    if (n == 0) {
        ab_build_error(err, 0, "the disk holds no LVM physical volume");
        free(segs);
        return NULL;
    }
    *n_out = n;
    return segs;
}

/* The volume group as the segments show it: one PV, in the partition. */
static int
take_vg(struct eng *e, const struct seg *s, size_t n, struct ab_error *err)
{
    struct resize_layout *l = e->l;
    for (size_t i = 0; i < n; i++)
        if (strcmp(s[i].pv, s[0].pv) != 0)
            return ab_build_error(err, 0, "the disk holds more than one PV (%s, %s)", s[0].pv,
                                  s[i].pv);
    /* The API translates device names (LVM's commands print the kernel's):
     * the one PV it sees must be the last partition. */
    CLEANUP_STRV char **pvs = gfs_pvs(e->g, err);
    if (!pvs)
        return -1;
    if (!pvs[0] || pvs[1] || strcmp(pvs[0], e->pv) != 0)
        return ab_build_error(err, 0, "the PV is %s, not the last partition %s",
                              pvs[0] ? pvs[0] : "missing", e->pv);
    snprintf(e->pv_kernel, sizeof(e->pv_kernel), "%s", s[0].pv);
    if (strcmp(s[0].vg, "vg_os") != 0 && strcmp(s[0].vg, "vg_app") != 0)
        return ab_build_error(err, 0,
                              "the PV belongs to volume group '%s': an appliance disk holds "
                              "'vg_os' or 'vg_app'",
                              s[0].vg);
    if (s[0].pv_count != 1)
        return ab_build_error(err, 0, "volume group '%s' spans %" PRIu64 " PVs; resize one of 1",
                              s[0].vg, s[0].pv_count);
    snprintf(l->vg, sizeof(l->vg), "%s", s[0].vg);
    snprintf(l->vg_uuid, sizeof(l->vg_uuid), "%s", s[0].vg_uuid);
    snprintf(l->pv_uuid, sizeof(l->pv_uuid), "%s", s[0].pv_uuid);
    l->pe_start = s[0].pe_start;
    l->extent_size = s[0].extent;
    l->pe_count = s[0].pe_count;
    if (l->extent_size == 0 || l->extent_size % MiB)
        return ab_build_error(err, 0, "volume group '%s' has extents of %" PRIu64 " bytes", l->vg,
                              l->extent_size);
    return 0;
}

static struct resize_lv *
lv_of(struct resize_layout *l, const char *name)
{
    for (size_t i = 0; i < l->n_lvs; i++)
        if (strcmp(l->lvs[i].name, name) == 0)
            return &l->lvs[i];
    return NULL;
}

static int
take_lvs(struct eng *e, const struct seg *s, size_t n, struct ab_error *err)
{
    struct resize_layout *l = e->l;
    for (size_t i = 0; i < n; i++) {
        if (!*s[i].lv)
            continue;
        if (!lvm_name_ok(s[i].lv) || s[i].lv[0] == '[')
            return ab_build_error(err, 0, "volume '%s' of '%s' cannot be resized here", s[i].lv,
                                  l->vg);
        struct resize_lv *lv = lv_of(l, s[i].lv);
        if (!lv) {
            if (l->n_lvs == RESIZE_MAX_LVS)
                return ab_build_error(err, 0, "volume group '%s' has too many volumes", l->vg);
            lv = &l->lvs[l->n_lvs++];
            snprintf(lv->name, sizeof(lv->name), "%s", s[i].lv);
        }
        lv->extents += s[i].size;
    }
    return 0;
}

/* The volumes' order in the VG's metadata (the order the build made them
 * in, which pvmove does not change): "\t\tNAME {" lines of its
 * logical_volumes section. */
static int
take_order(struct eng *e, struct ab_error *err)
{
    struct resize_layout *l = e->l;
    size_t size = 0;
    CLEANUP_FREE char *meta = gfs_vgmeta(e->g, l->vg, &size, err);
    if (!meta)
        return -1;
    CLEANUP_FREE char *text = strndup(meta, size);
    if (!text)
        return ab_oom(err);
    char *p = strstr(text, "\n\tlogical_volumes {\n");
    char *end = p ? strstr(p + 1, "\n\t}") : NULL;
    unsigned order = 0;
    for (char *line = p ? strchr(p + 1, '\n') : NULL; line && line < end;
         line = strchr(line + 1, '\n')) {
        if (strncmp(line, "\n\t\t", 3) != 0 || line[3] == '\t')
            continue;
        size_t n = strcspn(line + 3, " \n");
        for (size_t i = 0; i < l->n_lvs; i++)
            if (strlen(l->lvs[i].name) == n && strncmp(l->lvs[i].name, line + 3, n) == 0)
                l->lvs[i].order = ++order;
    }
    for (size_t i = 0; i < l->n_lvs; i++)
        if (!l->lvs[i].order)
            return ab_build_error(err, 0, "volume '%s' is not in the metadata of '%s'",
                                  l->lvs[i].name, l->vg);
    return 0;
}

static char *
lv_dev(const struct resize_layout *l, const struct resize_lv *lv)
{
    char *dev = NULL;
    if (asprintf(&dev, "/dev/%s/%s", l->vg, lv->name) < 0)
        return NULL;
    return dev;
}

static bool
is_ext(const char *fs)
{
    return strncmp(fs, "ext", 3) == 0;
}

/* Reads what the volumes hold; ext ones that change are checked
 * (e2fsck -f) and measured (resize2fs -P) for shrinking. */
static int
read_filesystems(struct eng *e, struct ab_error *err)
{
    struct resize_layout *l = e->l;
    for (size_t i = 0; i < l->n_lvs; i++) {
        struct resize_lv *lv = &l->lvs[i];
        CLEANUP_FREE char *dev = lv_dev(l, lv);
        if (!dev)
            return ab_oom(err);
        CLEANUP_FREE char *type = gfs_vfs_type(e->g, dev);
        snprintf(lv->fs, sizeof(lv->fs), "%s", type ? type : "");
        if (is_ext(lv->fs))
            lv->fs_size = gfs_ext_size(e->g, dev);
    }
    return 0;
}

static int
measure_shrinking(struct eng *e, struct ab_error *err)
{
    struct resize_layout *l = e->l;
    for (size_t i = 0; i < l->n_lvs; i++) {
        struct resize_lv *lv = &l->lvs[i];
        if (lv->new_extents == lv->extents || !is_ext(lv->fs))
            continue;
        CLEANUP_FREE char *dev = lv_dev(l, lv);
        if (!dev)
            return ab_oom(err);
        if (gfs_e2fsck_force(e->g, dev, err) < 0) {
            ab_error_prefix(err, "while checking '%s'", dev);
            return -1;
        }
        if (lv->new_extents > lv->extents)
            continue;
        int64_t min = gfs_ext_minimum_size(e->g, dev, err);
        if (min < 0) {
            ab_error_prefix(err, "while measuring '%s'", dev);
            return -1;
        }
        lv->fs_min = (uint64_t)min;
    }
    return resize_check_minimum(l, err);
}

static int
lv_set_size(struct eng *e, const char *dev, const struct resize_lv *lv, struct ab_error *err)
{
    int mib = (int)(lv->new_extents * e->l->extent_size / MiB);
    return gfs_lvresize(e->g, dev, mib, err);
}

static int
shrink_lv(struct eng *e, struct resize_lv *lv, struct ab_error *err)
{
    CLEANUP_FREE char *dev = lv_dev(e->l, lv);
    if (!dev)
        return ab_oom(err);
    uint64_t bytes = lv->new_extents * e->l->extent_size;
    if (gfs_resize2fs_size(e->g, dev, bytes, err) < 0) {
        ab_error_prefix(err, "while shrinking the filesystem of '%s'", dev);
        return -1;
    }
    if (lv_set_size(e, dev, lv, err) < 0) {
        ab_error_prefix(err, "while shrinking '%s'", dev);
        return -1;
    }
    return 0;
}

static int
grow_xfs(struct eng *e, const char *dev, struct resize_lv *lv, struct ab_error *err)
{
    if (gfs_mount(e->g, dev, "/", false, err) < 0)
        return -1;
    lv->fs_size = gfs_xfs_size(e->g, "/");
    int r = gfs_xfs_growfs(e->g, "/", err);
    /* A failed unmount after a failed grow is not news. */
    struct ab_error ignored = AB_ERROR_INIT;
    if (gfs_umount_all(e->g, r == 0 ? err : &ignored) < 0)
        r = -1;
    ab_error_release(&ignored);
    return r;
}

static int
grow_lv(struct eng *e, struct resize_lv *lv, struct ab_error *err)
{
    CLEANUP_FREE char *dev = lv_dev(e->l, lv);
    if (!dev)
        return ab_oom(err);
    int r = lv_set_size(e, dev, lv, err);
    if (r == 0 && is_ext(lv->fs))
        r = gfs_resize2fs(e->g, dev, err);
    else if (r == 0 && strcmp(lv->fs, "xfs") == 0)
        r = grow_xfs(e, dev, lv, err);
    if (r < 0)
        ab_error_prefix(err, "while growing '%s'", dev);
    return r;
}

/* Free ranges below the new end as pvmove's "A-B:C-D", and the number of
 * allocated extents at or past it. */
static int
move_plan(const struct seg *s, size_t n, uint64_t end, char *ranges, size_t size, uint64_t *past)
{
    size_t len = 0;
    *past = 0;
    ranges[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        uint64_t a = s[i].start, b = s[i].start + s[i].size;
        if (*s[i].lv && b > end)
            *past += b - (a > end ? a : end);
        if (!*s[i].lv && a < end) {
            int w = snprintf(ranges + len, size - len, ":%" PRIu64 "-%" PRIu64, a,
                             (b < end ? b : end) - 1);
            if (w < 0 || (size_t)w >= size - len)
                return -1;
            len += (size_t)w;
        }
    }
    return 0;
}

/* Extents at or past the PV's new end go down into its free space. */
static int
move_down(struct eng *e, struct ab_error *err)
{
    struct resize_layout *l = e->l;
    size_t n = 0;
    struct seg *s = read_segments(e, &n, err);
    if (!s)
        return -1;
    char ranges[4096];
    uint64_t past = 0;
    int r = move_plan(s, n, l->new_pe_count, ranges, sizeof(ranges), &past);
    free(s);
    if (r < 0)
        return ab_build_error(err, 0, "the free space of '%s' is in too many pieces to move into",
                              l->vg);
    if (past == 0)
        return 0;
    if (!ranges[0])
        return ab_build_error(err, 0, "no free extents below the new end of the PV of '%s'", l->vg);
    CLEANUP_FREE char *cmd = NULL;
    if (asprintf(&cmd, "lvm pvmove --alloc anywhere %s:%" PRIu64 "-%" PRIu64 " %s%s", e->pv_kernel,
                 l->new_pe_count, l->pe_count - 1, e->pv_kernel, ranges) < 0)
        return ab_oom(err);
    if (appliance_sh(e, cmd, NULL, err) < 0) {
        ab_error_prefix(err, "while moving %" PRIu64 " extents of '%s' below the new end", past,
                        l->vg);
        return -1;
    }
    l->moved_extents = past;
    return 0;
}

static int
resize_volumes(struct eng *e, struct ab_error *err)
{
    struct resize_layout *l = e->l;
    bool grow_pv = l->new_pe_count > l->pe_count;
    if (grow_pv && gfs_pvresize(e->g, e->pv, err) < 0)
        return -1;
    for (size_t i = 0; i < l->n_lvs; i++)
        if (l->lvs[i].new_extents < l->lvs[i].extents && shrink_lv(e, &l->lvs[i], err) < 0)
            return -1;
    if (l->new_pe_count < l->pe_count) {
        if (move_down(e, err) < 0)
            return -1;
        if (gfs_pvresize_size(e->g, e->pv, l->new_part_sectors * SECTOR, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < l->n_lvs; i++)
        if (l->lvs[i].new_extents > l->lvs[i].extents && grow_lv(e, &l->lvs[i], err) < 0)
            return -1;
    return 0;
}

/* e2fsck -fn or xfs_repair -n of one volume, and its size afterwards. */
static int
check_fs(struct eng *e, struct resize_lv *lv, struct ab_error *err)
{
    CLEANUP_FREE char *dev = lv_dev(e->l, lv);
    if (!dev)
        return ab_oom(err);
    if (is_ext(lv->fs)) {
        CLEANUP_FREE char *cmd = NULL;
        if (asprintf(&cmd, "e2fsck -fn %s", dev) < 0)
            return ab_oom(err);
        if (appliance_sh(e, cmd, NULL, err) < 0)
            return -1;
        lv->new_fs_size = gfs_ext_size(e->g, dev);
    } else if (strcmp(lv->fs, "xfs") == 0) {
        int r = gfs_xfs_check(e->g, dev, err);
        if (r < 0)
            return -1;
        if (r != 0)
            return ab_build_error(err, 0, "xfs_repair -n found problems in '%s'", dev);
        if (lv->new_extents != lv->extents) {
            if (gfs_mount(e->g, dev, "/", true, err) < 0)
                return -1;
            lv->new_fs_size = gfs_xfs_size(e->g, "/");
            if (gfs_umount_all(e->g, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* What LVM says now against what was asked: the same VG and PV, the new
 * sizes, nothing past the end; then vgck and every filesystem. */
static int
verify(struct eng *e, struct ab_error *err)
{
    struct resize_layout *l = e->l;
    size_t n = 0;
    struct seg *s = read_segments(e, &n, err);
    if (!s)
        return -1;
    int r = 0;
    if (strcmp(s[0].vg, l->vg) != 0 || strcmp(s[0].vg_uuid, l->vg_uuid) != 0 ||
        strcmp(s[0].pv_uuid, l->pv_uuid) != 0)
        r = ab_build_error(err, 0, "the volume group changed: %s %s on PV %s, was %s %s on PV %s",
                           s[0].vg, s[0].vg_uuid, s[0].pv_uuid, l->vg, l->vg_uuid, l->pv_uuid);
    else if (s[0].pe_count != l->new_pe_count)
        r = ab_build_error(err, 0, "the PV has %" PRIu64 " extents, not %" PRIu64, s[0].pe_count,
                           l->new_pe_count);
    for (size_t i = 0; r == 0 && i < l->n_lvs; i++) {
        uint64_t got = 0;
        for (size_t j = 0; j < n; j++)
            if (strcmp(s[j].lv, l->lvs[i].name) == 0)
                got += s[j].size;
        if (got != l->lvs[i].new_extents)
            r = ab_build_error(err, 0, "volume '%s' has %" PRIu64 " extents, not %" PRIu64,
                               l->lvs[i].name, got, l->lvs[i].new_extents);
    }
    free(s);
    CLEANUP_FREE char *cmd = NULL;
    if (r == 0 && asprintf(&cmd, "lvm vgck %s", l->vg) < 0)
        return ab_oom(err);
    if (r == 0)
        r = appliance_sh(e, cmd, NULL, err);
    for (size_t i = 0; r == 0 && i < l->n_lvs; i++)
        r = check_fs(e, &l->lvs[i], err);
    if (r < 0)
        ab_error_prefix(err, "while checking the result");
    return r;
}

static int
work(struct eng *e, const struct resize_volume *v, size_t n, struct ab_error *err)
{
    size_t n_segs = 0;
    struct seg *segs = read_segments(e, &n_segs, err);
    if (!segs)
        return -1;
    int r = take_vg(e, segs, n_segs, err);
    if (r == 0)
        r = take_lvs(e, segs, n_segs, err);
    free(segs);
    if (r < 0 || take_order(e, err) < 0 || read_filesystems(e, err) < 0)
        return -1;
    struct resize_layout *l = e->l;
    l->new_pe_count = resize_pe_count(l->new_part_sectors * SECTOR, l->pe_start, l->extent_size);
    if (resize_plan_volumes(l, v, n, err) < 0 || measure_shrinking(e, err) < 0 ||
        resize_volumes(e, err) < 0 || verify(e, err) < 0)
        return -1;
    return 0;
}

int
engine_resize(const char *raw, struct resize_layout *l, const struct resize_volume *v, size_t n,
              bool use_kvm, struct ab_error *err)
{
    struct eng e = {NULL, l, "", ""};
    snprintf(e.pv, sizeof(e.pv), "/dev/sda%u", l->part_number);
    if (!(e.g = gfs_launch(raw, use_kvm, err)))
        return -1;
    int r = work(&e, v, n, err);
    if (r == 0)
        r = gfs_shutdown(e.g, err);
    gfs_close(e.g);
    return r;
}
