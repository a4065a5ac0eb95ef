/* resize_native.c: PV, volumes and filesystems resized on the host, on
 * the raw working copy (resize_native.h). */
#include "resize_native.h"

#include <blkid/blkid.h>
#include <errno.h>
#include <ext2fs/ext2fs.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/lvm_meta.h"
#include "appliance/nsrun.h"
#include "appliance/size.h"
#include "appliance/stop.h"

struct vol {
    struct lvm_seg *old; /* its segments before */
    size_t n_old;
    char type[RESIZE_FS_MAX], uuid[RESIZE_UUID_MAX]; /* what libblkid saw before */
    char *copy;                                      /* an ext volume resized apart */
    int copy_fd;
};

struct resize_native {
    const struct resize_native_opts *o;
    struct spawn_opts run;
    struct resize_layout *l;
    int fd;
    uint64_t size; /* the working copy's */
    struct lvm_pv pv;
    struct vol vols[RESIZE_MAX_LVS];
    const char *xfs_left[RESIZE_MAX_LVS + 1];
    size_t n_xfs_left;
};

static void
step(const struct resize_native *rn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
step(const struct resize_native *rn, const char *fmt, ...)
{
    CLEANUP_FREE char *what = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&what, fmt, ap);
    va_end(ap);
    if (n >= 0 && rn->o->step)
        rn->o->step(rn->o->ctx, what);
}

static int
interrupted(struct ab_error *err)
{
    return stop_requested() ? ab_build_error(err, EINTR, "interrupted") : 0;
}

static bool
is_ext(const char *fs)
{
    return strcmp(fs, "ext2") == 0 || strcmp(fs, "ext3") == 0 || strcmp(fs, "ext4") == 0;
}

/* Where PV extent pe starts in the working copy. */
static uint64_t
pe_at(const struct resize_native *rn, uint64_t pe)
{
    return rn->pv.start + rn->pv.vg.pvs[0].pe_start + pe * rn->pv.vg.extent_size;
}

static uint64_t
extents_bytes(const struct resize_native *rn, uint64_t n)
{
    return n * rn->pv.vg.extent_size;
}

/* Runs a tool: 0, or -1 with its own words. */
static int
run(struct resize_native *rn, const char *const *argv, unsigned ok_exits, char **out,
    struct ab_error *err)
{
    struct spawn_opts o = rn->run;
    o.ok_exits = ok_exits;
    o.output = out;
    return spawn_run(argv, &o, err);
}

/* ---- what the volumes hold ---------------------------------------------- */

/* libblkid's TYPE and UUID of the bytes at off (size long) of fd: "" for
 * what it cannot name, or names twice. */
static int
probe(int fd, uint64_t off, uint64_t size, char type[RESIZE_FS_MAX], char uuid[RESIZE_UUID_MAX],
      struct ab_error *err)
{
    type[0] = uuid[0] = '\0';
    blkid_probe pr = blkid_new_probe();
    if (!pr)
        return ab_oom(err);
    int r = blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)size);
    if (r == 0) {
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID);
        r = blkid_do_safeprobe(pr);
    }
    const char *v = NULL;
    if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0)
        snprintf(type, RESIZE_FS_MAX, "%s", v);
    if (r == 0 && blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0)
        snprintf(uuid, RESIZE_UUID_MAX, "%s", v);
    blkid_free_probe(pr);
    if (r == -1)
        return ab_build_error(err, errno, "cannot read the filesystems of the disk: %s",
                              strerror(errno));
    return 0;
}

/* An ext filesystem's block count and size from its superblock (at
 * byte offset of path), read through libext2fs. */
static int
ext_geometry(const char *path, uint64_t offset, uint64_t *blocks, unsigned *block_size,
             struct ab_error *err)
{
    char opts[64];
    snprintf(opts, sizeof(opts), "offset=%" PRIu64, offset);
    ext2_filsys fs = NULL;
    errcode_t e = ext2fs_open2(path, offset ? opts : NULL, EXT2_FLAG_SUPER_ONLY | EXT2_FLAG_64BITS,
                               0, 0, unix_io_manager, &fs);
    if (e)
        return ab_build_error(err, 0, "cannot read the ext superblock in '%s': %s", path,
                              error_message(e));
    *blocks = ext2fs_blocks_count(fs->super);
    *block_size = fs->blocksize;
    ext2fs_close_free(&fs);
    return 0;
}

static int
probe_volumes(struct resize_native *rn, struct ab_error *err)
{
    struct resize_layout *l = rn->l;
    for (size_t i = 0; i < l->n_lvs; i++) {
        const struct lvm_seg *first = &rn->vols[i].old[0];
        struct vol *v = &rn->vols[i];
        uint64_t at = pe_at(rn, first->pe);
        if (probe(rn->fd, at, extents_bytes(rn, first->count), v->type, v->uuid, err) < 0)
            return -1;
        snprintf(l->lvs[i].fs, sizeof(l->lvs[i].fs), "%s", v->type);
        uint64_t blocks = 0;
        unsigned bs = 0;
        if (is_ext(v->type) && ext_geometry(rn->o->work, at, &blocks, &bs, err) < 0)
            return -1;
        l->lvs[i].fs_size = blocks * bs;
    }
    return 0;
}

/* ---- the PV and its VG ---------------------------------------------------- */

static int
open_pv(struct resize_native *rn, struct ab_error *err)
{
    struct resize_layout *l = rn->l;
    struct stat st;
    rn->fd = open(rn->o->work, O_RDWR | O_CLOEXEC);
    if (rn->fd < 0 || fstat(rn->fd, &st) < 0)
        return ab_build_error(err, errno, "cannot open '%s': %s", rn->o->work, strerror(errno));
    rn->size = (uint64_t)st.st_size;
    uint64_t sectors = l->part_sectors > l->new_part_sectors ? l->part_sectors : l->new_part_sectors;
    const char *why = NULL;
    struct byte_reader br = byte_reader_fd(rn->fd, rn->size);
    br = byte_reader_window(&br, l->part_start * SECTOR, sectors * SECTOR);
    int r = lvm_pv_read(&br, &rn->pv, &why, err);
    if (r == 0)
        return ab_build_error(err, 0, "partition %u holds %s", l->part_number, why);
    return r < 0 ? -1 : 0;
}

static int
take_lvs(struct resize_native *rn, struct ab_error *err)
{
    struct resize_layout *l = rn->l;
    const struct lvm_vg *vg = &rn->pv.vg;
    if (vg->n_lvs > RESIZE_MAX_LVS)
        return ab_build_error(err, 0, "volume group '%s' has too many volumes", l->vg);
    for (size_t i = 0; i < vg->n_lvs; i++) {
        const struct lvm_lv *lv = &vg->lvs[i];
        struct resize_lv *r = &l->lvs[l->n_lvs++];
        if (!lv->linear)
            return ab_build_error(err, 0,
                                  "volume '%s/%s' is not a linear volume (thin, RAID, mirror or "
                                  "snapshot): only linear volumes are resized",
                                  l->vg, lv->name);
        if (strlen(lv->name) >= sizeof(r->name))
            return ab_build_error(err, 0, "volume '%s' of '%s' has too long a name", lv->name,
                                  l->vg);
        snprintf(r->name, sizeof(r->name), "%s", lv->name);
        r->extents = lv->extents;
        r->order = (unsigned)i + 1;
        struct vol *v = &rn->vols[i];
        v->copy_fd = -1;
        if (!(v->old = malloc(lv->n_segs * sizeof(*v->old))))
            return ab_oom(err);
        memcpy(v->old, lv->segs, lv->n_segs * sizeof(*v->old));
        v->n_old = lv->n_segs;
    }
    return 0;
}

static int
take_vg(struct resize_native *rn, struct ab_error *err)
{
    struct resize_layout *l = rn->l;
    const struct lvm_vg *vg = &rn->pv.vg;
    if (strlen(vg->name) >= sizeof(l->vg) || strlen(vg->uuid) >= sizeof(l->vg_uuid) ||
        strlen(vg->pvs[rn->pv.index].uuid) >= sizeof(l->pv_uuid))
        return ab_build_error(err, 0, "volume group '%s' has too long a name", vg->name);
    snprintf(l->vg, sizeof(l->vg), "%s", vg->name);
    snprintf(l->vg_uuid, sizeof(l->vg_uuid), "%s", vg->uuid);
    snprintf(l->pv_uuid, sizeof(l->pv_uuid), "%s", vg->pvs[rn->pv.index].uuid);
    snprintf(l->role, sizeof(l->role), "%s", vg->role);
    if (vg->n_pvs != 1)
        return ab_build_error(err, 0, "volume group '%s' spans %zu PVs; resize one of 1", l->vg,
                              vg->n_pvs);
    if (rn->pv.header.n_mda != 1)
        return ab_build_error(err, 0,
                              "the PV of '%s' has %u metadata areas (pvcreate --metadatacopies): "
                              "resize rewrites one",
                              l->vg, rn->pv.header.n_mda);
    l->pe_start = vg->pvs[0].pe_start;
    l->extent_size = vg->extent_size;
    l->pe_count = vg->pvs[0].pe_count;
    if (l->extent_size % MiB)
        return ab_build_error(err, 0, "volume group '%s' has extents of %" PRIu64 " bytes", l->vg,
                              l->extent_size);
    return take_lvs(rn, err);
}

/* ---- ext volumes, each in a copy of its own -------------------------------- */

/* The volume's bytes as its segments segs say, into a new sparse file of
 * size bytes. */
static int
copy_out(struct resize_native *rn, const struct lvm_seg *segs, size_t n, const char *path,
         uint64_t size, int *fd_out, struct ab_error *err)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ab_build_error(err, e, "cannot make '%s': %s", path, strerror(e));
    }
    for (size_t k = 0; k < n; k++) {
        uint64_t to = extents_bytes(rn, segs[k].start), len = extents_bytes(rn, segs[k].count);
        if (to >= size)
            break;
        if (len > size - to)
            len = size - to;
        if (copy_range_sparse(rn->fd, pe_at(rn, segs[k].pe), fd, to, len) < 0) {
            int e = errno;
            close(fd);
            return ab_build_error(err, e, "cannot copy a volume to '%s': %s", path, strerror(e));
        }
    }
    *fd_out = fd;
    return 0;
}

/* e2fsck -fp of the copy (a journal replayed, what is safe to fix fixed,
 * the last check's time set, as resize2fs wants), and when it shrinks,
 * resize2fs -P's minimum. */
static int
prepare_ext(struct resize_native *rn, size_t i, struct ab_error *err)
{
    struct resize_lv *lv = &rn->l->lvs[i];
    struct vol *v = &rn->vols[i];
    uint64_t size = extents_bytes(rn, lv->extents > lv->new_extents ? lv->extents : lv->new_extents);
    if (asprintf(&v->copy, "%s/volume-%zu.img", rn->o->scratch, i) < 0) {
        v->copy = NULL;
        return ab_oom(err);
    }
    step(rn, "checking '%s/%s' (e2fsck -fp, on a copy of the volume)", rn->l->vg, lv->name);
    if (copy_out(rn, v->old, v->n_old, v->copy, size, &v->copy_fd, err) < 0)
        return -1;
    const char *fsck[] = {"e2fsck", "-fp", v->copy, NULL};
    if (run(rn, fsck, 1u << 1 | 1u << 2, NULL, err) < 0) {
        ab_error_prefix(err, "while checking '%s/%s'", rn->l->vg, lv->name);
        return -1;
    }
    if (lv->new_extents >= lv->extents)
        return 0;
    CLEANUP_FREE char *out = NULL;
    const char *measure[] = {"resize2fs", "-P", v->copy, NULL};
    uint64_t blocks = 0;
    unsigned bs = 0;
    if (run(rn, measure, 0, &out, err) < 0 || ext_geometry(v->copy, 0, &blocks, &bs, err) < 0) {
        ab_error_prefix(err, "while measuring '%s/%s'", rn->l->vg, lv->name);
        return -1;
    }
    const char *at = out ? strstr(out, "minimum size of the filesystem: ") : NULL;
    unsigned long long min = 0;
    if (!at || sscanf(at + strlen("minimum size of the filesystem: "), "%llu", &min) != 1)
        return ab_build_error(err, 0, "resize2fs -P printed no minimum size for '%s/%s'",
                              rn->l->vg, lv->name);
    lv->fs_min = (uint64_t)min * bs;
    return 0;
}

static int
resize_copy(struct resize_native *rn, size_t i, struct ab_error *err)
{
    struct resize_lv *lv = &rn->l->lvs[i];
    struct vol *v = &rn->vols[i];
    char size[32];
    snprintf(size, sizeof(size), "%" PRIu64 "K", extents_bytes(rn, lv->new_extents) / 1024);
    step(rn, "%s the ext filesystem of '%s/%s' (resize2fs)",
         lv->new_extents > lv->extents ? "growing" : "shrinking", rn->l->vg, lv->name);
    const char *argv[] = {"resize2fs", v->copy, size, NULL};
    uint64_t blocks = 0;
    unsigned bs = 0;
    if (run(rn, argv, 0, NULL, err) < 0 || ext_geometry(v->copy, 0, &blocks, &bs, err) < 0) {
        ab_error_prefix(err, "while resizing the filesystem of '%s/%s'", rn->l->vg, lv->name);
        return -1;
    }
    lv->new_fs_size = blocks * bs;
    return 0;
}

/* The copy written into the volume's new extents. */
static int
copy_back(struct resize_native *rn, size_t i, struct ab_error *err)
{
    const struct lvm_lv *lv = &rn->pv.vg.lvs[i];
    const struct vol *v = &rn->vols[i];
    for (size_t k = 0; k < lv->n_segs; k++)
        if (copy_range_sparse(v->copy_fd, extents_bytes(rn, lv->segs[k].start), rn->fd,
                              pe_at(rn, lv->segs[k].pe), extents_bytes(rn, lv->segs[k].count)) < 0)
            return ab_build_error(err, errno, "cannot write volume '%s' back: %s", lv->name,
                                  strerror(errno));
    return 0;
}

/* A growing volume that is not copied: its new extents read zero, as
 * lvextend's would on a fresh disk (they may hold a shrunk volume's old
 * bytes). */
static int
zero_new(struct resize_native *rn, size_t i, struct ab_error *err)
{
    const struct lvm_lv *lv = &rn->pv.vg.lvs[i];
    uint64_t from = rn->l->lvs[i].extents;
    for (size_t k = 0; k < lv->n_segs; k++) {
        const struct lvm_seg *s = &lv->segs[k];
        if (s->start + s->count <= from)
            continue;
        uint64_t skip = s->start >= from ? 0 : from - s->start;
        if (zero_range(rn->fd, pe_at(rn, s->pe + skip), extents_bytes(rn, s->count - skip)) < 0)
            return ab_build_error(err, errno, "cannot clear the new extents of '%s': %s", lv->name,
                                  strerror(errno));
    }
    return 0;
}

/* ---- moving extents and writing LVM ----------------------------------------- */

static int
move_extents(struct resize_native *rn, const struct resize_move *m, size_t n, struct ab_error *err)
{
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += m[i].count;
    rn->l->moved_extents = total;
    if (total)
        step(rn, "moving %" PRIu64 " extents below the new end of the PV", total);
    for (size_t i = 0; i < n; i++) {
        if (rn->vols[m[i].lv].copy)
            continue; /* its copy is written to the new place */
        if (interrupted(err) < 0)
            return -1;
        if (copy_range_sparse(rn->fd, pe_at(rn, m[i].from), rn->fd, pe_at(rn, m[i].to),
                              extents_bytes(rn, m[i].count)) < 0)
            return ab_build_error(err, errno, "cannot move extents of '%s': %s",
                                  rn->pv.vg.lvs[m[i].lv].name, strerror(errno));
    }
    return 0;
}

static int
relayout(struct resize_native *rn, struct ab_error *err)
{
    struct resize_layout *l = rn->l;
    CLEANUP_FREE struct resize_move *moves = NULL;
    size_t n_moves = 0;
    if (resize_plan_extents(&rn->pv.vg, l, &moves, &n_moves, err) < 0 ||
        move_extents(rn, moves, n_moves, err) < 0)
        return -1;
    for (size_t i = 0; i < l->n_lvs; i++) {
        const struct resize_lv *lv = &l->lvs[i];
        if (lv->new_extents == lv->extents)
            continue;
        if (interrupted(err) < 0)
            return -1;
        if (rn->vols[i].copy
                ? resize_copy(rn, i, err) < 0 || copy_back(rn, i, err) < 0
                : lv->new_extents > lv->extents && zero_new(rn, i, err) < 0)
            return -1;
    }
    step(rn, "writing the LVM metadata of '%s'", l->vg);
    rn->pv.vg.pvs[0].dev_size = l->new_part_sectors * SECTOR;
    if (lvm_meta_pv_rewrite(rn->fd, &rn->pv, err) < 0) {
        ab_error_prefix(err, "while writing the LVM metadata of '%s'", l->vg);
        return -1;
    }
    return 0;
}

/* ---- xfs, grown mounted ------------------------------------------------------ */

/* xfs_growfs's "data blocks changed from A to B" and the data section's
 * block size. */
static void
xfs_sizes(const char *out, struct resize_lv *lv)
{
    const char *d = out ? strstr(out, "\ndata ") : NULL, *bs = d ? strstr(d, "bsize=") : NULL;
    const char *ch = out ? strstr(out, "data blocks changed from ") : NULL;
    unsigned long long a = 0, b = 0, size = 0;
    if (bs && ch && sscanf(bs, "bsize=%llu", &size) == 1 &&
        sscanf(ch, "data blocks changed from %llu to %llu", &a, &b) == 2) {
        lv->fs_size = a * size;
        lv->new_fs_size = b * size;
    }
}

/* Runs templates/resize-xfs-grow.sh on the bytes at off of img: 1 grown,
 * 0 when it cannot be mounted here. */
static int
grow_mounted(struct resize_native *rn, size_t i, const char *img, uint64_t off,
             struct ab_error *err)
{
    struct resize_lv *lv = &rn->l->lvs[i];
    CLEANUP_FREE char *mnt = NULL, *out = NULL;
    char o[32], s[32];
    snprintf(o, sizeof(o), "%" PRIu64, off);
    snprintf(s, sizeof(s), "%" PRIu64, extents_bytes(rn, lv->new_extents));
    if (asprintf(&mnt, "%s/mnt", rn->o->scratch) < 0)
        return ab_oom(err);
    if (mkdir(mnt, 0700) < 0 && errno != EEXIST)
        return ab_build_error(err, errno, "cannot make '%s': %s", mnt, strerror(errno));
    const char *args[] = {img, o, s, mnt, NULL};
    struct spawn_opts so = rn->run;
    so.output = &out;
    if (nsrun_script("resize-xfs-grow.sh", args, true, &so, err) < 0)
        return -1;
    if (out && strstr(out, "unmountable"))
        return 0;
    xfs_sizes(out, lv);
    return 1;
}

static int
grow_xfs(struct resize_native *rn, size_t i, struct ab_error *err)
{
    const struct lvm_lv *lv = &rn->pv.vg.lvs[i];
    struct vol *v = &rn->vols[i];
    if (!rn->o->may_mount) {
        rn->xfs_left[rn->n_xfs_left++] = lv->name;
        return 0;
    }
    step(rn, "growing the xfs filesystem of '%s/%s' (xfs_growfs, mounted through a loop device)",
         rn->l->vg, lv->name);
    int r;
    if (lv->n_segs == 1) {
        r = grow_mounted(rn, i, rn->o->work, pe_at(rn, lv->segs[0].pe), err);
    } else {
        if (asprintf(&v->copy, "%s/volume-%zu.img", rn->o->scratch, i) < 0) {
            v->copy = NULL;
            return ab_oom(err);
        }
        r = copy_out(rn, lv->segs, lv->n_segs, v->copy, extents_bytes(rn, lv->extents),
                     &v->copy_fd, err);
        if (r == 0)
            r = grow_mounted(rn, i, v->copy, 0, err);
        if (r > 0 && copy_back(rn, i, err) < 0)
            r = -1;
    }
    if (r == 0) {
        step(rn, "'%s/%s' cannot be mounted here: its xfs grows in the libguestfs appliance",
             rn->l->vg, lv->name);
        rn->xfs_left[rn->n_xfs_left++] = lv->name;
    }
    return r < 0 ? -1 : 0;
}

static int
grow_xfs_all(struct resize_native *rn, struct ab_error *err)
{
    const struct resize_layout *l = rn->l;
    for (size_t i = 0; i < l->n_lvs; i++)
        if (l->lvs[i].new_extents > l->lvs[i].extents && strcmp(l->lvs[i].fs, "xfs") == 0 &&
            (interrupted(err) < 0 || grow_xfs(rn, i, err) < 0))
            return -1;
    rn->xfs_left[rn->n_xfs_left] = NULL;
    return 0;
}

/* ---- the checks -------------------------------------------------------------- */

/* The PV read back: the same VG and PV, the sizes asked for. */
static int
check_lvm_read(struct resize_native *rn, struct ab_error *err)
{
    const struct resize_layout *l = rn->l;
    struct lvm_pv pv;
    struct stat st;
    const char *why = NULL;
    if (fstat(rn->fd, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", rn->o->work, strerror(errno));
    rn->size = (uint64_t)st.st_size;
    struct byte_reader br = byte_reader_fd(rn->fd, rn->size);
    br = byte_reader_window(&br, l->part_start * SECTOR, l->new_part_sectors * SECTOR);
    int r = lvm_pv_read(&br, &pv, &why, err);
    if (r <= 0)
        return r < 0 ? -1 : ab_build_error(err, 0, "the result holds %s", why);
    const struct lvm_vg *vg = &pv.vg;
    if (strcmp(vg->name, l->vg) != 0 || strcmp(vg->uuid, l->vg_uuid) != 0 || vg->n_pvs != 1 ||
        strcmp(vg->pvs[0].uuid, l->pv_uuid) != 0)
        r = ab_build_error(err, 0, "the volume group changed: %s %s on PV %s, was %s %s on PV %s",
                           vg->name, vg->uuid, vg->pvs[0].uuid, l->vg, l->vg_uuid, l->pv_uuid);
    else if (vg->pvs[0].pe_count != l->new_pe_count ||
             vg->pvs[0].dev_size != l->new_part_sectors * SECTOR)
        r = ab_build_error(err, 0, "the PV has %" PRIu64 " extents, not %" PRIu64,
                           vg->pvs[0].pe_count, l->new_pe_count);
    for (size_t i = 0; r > 0 && i < l->n_lvs; i++) {
        const struct lvm_lv *lv = lvm_vg_lv(vg, l->lvs[i].name);
        if (!lv || lv->extents != l->lvs[i].new_extents)
            r = ab_build_error(err, 0, "volume '%s' has %" PRIu64 " extents, not %" PRIu64,
                               l->lvs[i].name, lv ? lv->extents : 0, l->lvs[i].new_extents);
    }
    lvm_pv_release(&pv);
    return r < 0 ? -1 : 0;
}

/* lvm2's own reading: pvck of the PV's headers and text (a copy of its
 * metadata bytes, which pvck reads from a file) and, where loop devices
 * may be had, vgck. */
static int
check_lvm_tools(struct resize_native *rn, struct ab_error *err)
{
    const struct resize_layout *l = rn->l;
    uint64_t pv_size = l->new_part_sectors * SECTOR;
    CLEANUP_FREE char *path = NULL, *out = NULL, *want = NULL, *loop = NULL;
    int fd = -1;
    if (asprintf(&path, "%s/pv-headers.img", rn->o->scratch) < 0 ||
        asprintf(&want, "# vgname %s seqno %" PRIu64, l->vg, rn->pv.vg.seqno) < 0)
        return ab_oom(err);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)pv_size) < 0 ||
        copy_range_sparse(rn->fd, rn->pv.start, fd, 0, l->pe_start) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ab_build_error(err, e, "cannot copy the PV's headers to '%s': %s", path,
                              strerror(e));
    }
    close(fd);
    const char *pvck[] = {"pvck", "--dump", "headers", path, NULL};
    const char *env[] = {"LVM_SUPPRESS_FD_WARNINGS=1", NULL};
    struct spawn_opts so = rn->run;
    so.output = &out;
    so.env = env;
    int r = spawn_run(pvck, &so, err);
    unlink(path);
    if (r < 0)
        return -1;
    if (!out || strstr(out, "CHECK") || !strstr(out, want))
        return ab_build_error(err, 0, "pvck --dump headers does not read '%s' seqno %" PRIu64
                                      " as written: %s",
                              l->vg, rn->pv.vg.seqno, out ? out : "");
    if (!rn->o->may_mount)
        return 0;
    char o[32], s[32];
    snprintf(o, sizeof(o), "%" PRIu64, rn->pv.start);
    snprintf(s, sizeof(s), "%" PRIu64, pv_size);
    const char *args[] = {rn->o->work, o, s, l->vg, NULL};
    so.output = &loop;
    so.env = NULL;
    if (nsrun_script("resize-vgck.sh", args, false, &so, err) < 0)
        return -1;
    if (loop && strstr(loop, "no-loop"))
        step(rn, "no loop device for vgck: the LVM metadata was checked by pvck alone");
    return 0;
}

/* The volume's new bytes: where they are in the working copy when they
 * are one run (*off), else a copy of them (*copy, to be removed). */
static int
volume_file(struct resize_native *rn, size_t i, char **copy, uint64_t *off, struct ab_error *err)
{
    const struct lvm_lv *lv = &rn->pv.vg.lvs[i];
    *copy = NULL;
    *off = 0;
    if (lv->n_segs == 1) {
        *off = pe_at(rn, lv->segs[0].pe);
        return 0;
    }
    int fd = -1;
    if (asprintf(copy, "%s/check-%zu.img", rn->o->scratch, i) < 0) {
        *copy = NULL;
        return ab_oom(err);
    }
    if (copy_out(rn, lv->segs, lv->n_segs, *copy, extents_bytes(rn, lv->extents), &fd, err) < 0)
        return -1;
    close(fd);
    return 0;
}

static int
check_ext(struct resize_native *rn, size_t i, struct ab_error *err)
{
    struct resize_lv *lv = &rn->l->lvs[i];
    CLEANUP_FREE char *copy = NULL, *dev = NULL;
    uint64_t off = 0, blocks = 0;
    unsigned bs = 0;
    if (volume_file(rn, i, &copy, &off, err) < 0)
        return -1;
    int n = copy ? asprintf(&dev, "%s", copy)
                 : asprintf(&dev, "%s?offset=%" PRIu64, rn->o->work, off);
    if (n < 0) {
        dev = NULL;
        if (copy)
            unlink(copy);
        return ab_oom(err);
    }
    const char *argv[] = {"e2fsck", "-fn", dev, NULL};
    int r = run(rn, argv, 0, NULL, err);
    if (r == 0)
        r = ext_geometry(copy ? copy : rn->o->work, off, &blocks, &bs, err);
    if (copy)
        unlink(copy);
    if (r < 0)
        return -1;
    lv->new_fs_size = blocks * bs;
    if (lv->new_fs_size > extents_bytes(rn, lv->new_extents))
        return ab_build_error(err, 0, "the filesystem of '%s' is larger than its volume",
                              lv->name);
    return 0;
}

static int
check_xfs(struct resize_native *rn, size_t i, struct ab_error *err)
{
    const struct lvm_lv *lv = &rn->pv.vg.lvs[i];
    CLEANUP_FREE char *copy = NULL;
    int fd = -1;
    if (asprintf(&copy, "%s/check-%zu.img", rn->o->scratch, i) < 0) {
        copy = NULL;
        return ab_oom(err);
    }
    if (copy_out(rn, lv->segs, lv->n_segs, copy, extents_bytes(rn, lv->extents), &fd, err) < 0)
        return -1;
    close(fd);
    const char *argv[] = {"xfs_repair", "-n", "-f", copy, NULL};
    int r = run(rn, argv, 0, NULL, err);
    unlink(copy);
    return r;
}

static int
check_volume(struct resize_native *rn, size_t i, struct ab_error *err)
{
    const struct vol *v = &rn->vols[i];
    const struct lvm_lv *lv = &rn->pv.vg.lvs[i];
    char type[RESIZE_FS_MAX], uuid[RESIZE_UUID_MAX];
    if (probe(rn->fd, pe_at(rn, lv->segs[0].pe), extents_bytes(rn, lv->segs[0].count), type, uuid,
              err) < 0)
        return -1;
    if (strcmp(type, v->type) != 0 || strcmp(uuid, v->uuid) != 0)
        return ab_build_error(err, 0, "volume '%s' holds %s %s, not %s %s as before", lv->name,
                              *type ? type : "nothing known", uuid, *v->type ? v->type : "nothing",
                              v->uuid);
    int r = 0;
    if (is_ext(type))
        r = check_ext(rn, i, err);
    else if (strcmp(type, "xfs") == 0)
        r = check_xfs(rn, i, err);
    if (r < 0)
        ab_error_prefix(err, "while checking '%s/%s'", rn->l->vg, lv->name);
    return r;
}

int
resize_native_verify(struct resize_native *rn, struct ab_error *err)
{
    step(rn, "checking the result (pvck%s, e2fsck -fn, xfs_repair -n)",
         rn->o->may_mount ? ", vgck" : "");
    if (check_lvm_read(rn, err) < 0 || check_lvm_tools(rn, err) < 0)
        goto failed;
    for (size_t i = 0; i < rn->l->n_lvs; i++)
        if (interrupted(err) < 0 || check_volume(rn, i, err) < 0)
            goto failed;
    return 0;
failed:
    ab_error_prefix(err, "while checking the result");
    return -1;
}

/* ---- the whole ------------------------------------------------------------- */

int
resize_native_apply(const struct resize_native_opts *o, struct resize_layout *l,
                    const struct resize_volume *v, size_t n, struct resize_native **out,
                    struct ab_error *err)
{
    struct resize_native *rn = calloc(1, sizeof(*rn));
    if (!(*out = rn))
        return ab_oom(err);
    rn->o = o;
    rn->l = l;
    rn->fd = -1;
    rn->run = (struct spawn_opts){.ctx = o->spawn};
    step(rn, "reading the LVM physical volume");
    if (open_pv(rn, err) < 0 || take_vg(rn, err) < 0 || probe_volumes(rn, err) < 0)
        return -1;
    l->new_pe_count = resize_pe_count(l->new_part_sectors * SECTOR, l->pe_start, l->extent_size);
    if (resize_plan_volumes(l, v, n, err) < 0)
        return -1;
    for (size_t i = 0; i < l->n_lvs; i++)
        if (l->lvs[i].new_extents != l->lvs[i].extents && is_ext(l->lvs[i].fs) &&
            (interrupted(err) < 0 || prepare_ext(rn, i, err) < 0))
            return -1;
    if (resize_check_minimum(l, err) < 0 || interrupted(err) < 0 || relayout(rn, err) < 0)
        return -1;
    return grow_xfs_all(rn, err);
}

const char *const *
resize_native_xfs_left(const struct resize_native *rn)
{
    return rn->xfs_left;
}

void
resize_native_free(struct resize_native *rn)
{
    if (!rn)
        return;
    for (size_t i = 0; i < RESIZE_MAX_LVS; i++) {
        struct vol *v = &rn->vols[i];
        if (v->copy_fd >= 0 && v->copy)
            close(v->copy_fd);
        if (v->copy)
            unlink(v->copy);
        free(v->copy);
        free(v->old);
    }
    if (rn->fd >= 0)
        close(rn->fd);
    lvm_pv_release(&rn->pv);
    free(rn);
}
