/* reader.c: a guest's disks opened on the host; partitions, LVM and
 * filesystems found; a root's tree put together (reader.h). */
#include "reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "ext2io.h"
#include "guest_os.h"
#include "guest_text.h"

#define FSTAB_MAX (1u << 20)

static int unreadable(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The host does not read this: said once, the first reason kept. */
static int
unreadable(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!r->why && vasprintf(&r->why, fmt, ap) < 0)
        r->why = NULL;
    va_end(ap);
    return 0;
}

static struct dvol *
new_vol(struct reader *r, struct ab_error *err)
{
    struct dvol **grown = realloc(r->vols, (r->n_vols + 1) * sizeof(*grown));
    struct dvol *v = grown ? calloc(1, sizeof(*v)) : NULL;
    if (grown)
        r->vols = grown;
    if (!v) {
        ab_oom(err);
        return NULL;
    }
    v->v.io_err = (struct ab_error)AB_ERROR_INIT;
    v->probe.used = -1;
    r->vols[r->n_vols++] = v;
    return v;
}

static char *
dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* The filesystem on v, if any, added to the guest's list. */
static int
add_fs(struct reader *r, struct dvol *v, struct ab_error *err)
{
    struct inspect_guest *g = r->g;
    if (!v->has_fs)
        return 0;
    struct inspect_fs *grown = realloc(g->fss, (g->n_fss + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    g->fss = grown;
    struct inspect_fs *f = &grown[g->n_fss++];
    *f = (struct inspect_fs){strdup(v->v.device),
                             strdup(v->probe.type),
                             dup_or_null(v->probe.label),
                             dup_or_null(v->probe.uuid),
                             v->v.size,
                             v->probe.used};
    v->tfs.device = v->v.device;
    v->tfs.type = v->probe.type;
    return f->device && f->type ? 0 : ab_oom(err);
}

/* A PV on v (its label found): kept for the LVM step. */
static int
add_pv(struct reader *r, struct dvol *v, struct lvm_pv_found *pv, struct ab_error *err)
{
    struct pv_seen *grown = realloc(r->pvs, (r->n_pvs + 1) * sizeof(*grown));
    if (!grown) {
        free(pv->text);
        return ab_oom(err);
    }
    r->pvs = grown;
    struct pv_seen *s = &grown[r->n_pvs++];
    *s = (struct pv_seen){.pv = *pv, .device = strdup(v->v.device)};
    if (!s->device)
        return ab_oom(err);
    const char *why = NULL;
    if (s->pv.text && lvm_text_parse(s->pv.text, s->pv.text_len, &s->vg, &why, err) < 0)
        return -1;
    return 0;
}

/* What v holds: a PV, a filesystem (or swap), or nothing known. */
static int
probe(struct reader *r, struct dvol *v, bool pv_ok, struct ab_error *err)
{
    struct byte_reader br = volume_reader(&v->v);
    const char *why = NULL;
    if (pv_ok) {
        struct lvm_pv_found pv;
        int found = lvm_pv_read(&br, &pv, &why, err);
        if (found < 0)
            return -1;
        if (found)
            return add_pv(r, v, &pv, err);
    }
    size_t n = v->v.size < FSPROBE_BYTES ? (size_t)v->v.size : FSPROBE_BYTES;
    CLEANUP_FREE unsigned char *buf = malloc(n ? n : 1);
    if (!buf)
        return ab_oom(err);
    if (n && volume_pread(&v->v, buf, n, 0, err) < 0)
        return -1;
    v->has_fs = fs_probe(buf, n, v->v.size, &v->probe) == 1;
    return add_fs(r, v, err);
}

/* ---- disks and partitions ---- */

struct gpt_list {
    struct gpt_entry *e;
    size_t n;
    bool oom;
};

static int
note_entry(void *ctx, const struct gpt_entry *e)
{
    struct gpt_list *l = ctx;
    if (!gpt_entry_used(e))
        return 0;
    struct gpt_entry *grown = realloc(l->e, (l->n + 1) * sizeof(*grown));
    if (!grown) {
        l->oom = true;
        return 1;
    }
    l->e = grown;
    l->e[l->n++] = *e;
    return 0;
}

static int
add_partition(struct reader *r, struct inspect_disk *d, size_t drive, const struct gpt_entry *e,
              struct ab_error *err)
{
    uint64_t size = disk_image_reader(r->images[drive])->size;
    if (e->first_lba > e->last_lba || e->last_lba >= size / SECTOR)
        return unreadable(r, "partition %u of '%s' lies outside the disk", e->number, d->name);
    struct inspect_part *grown = realloc(d->parts, (d->n_parts + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    d->parts = grown;
    struct inspect_part *p = &grown[d->n_parts++];
    char type[GPT_GUID_TEXT_BUF], dev[32];
    gpt_guid_format(e->type, type);
    snprintf(dev, sizeof(dev), "%s%u", d->device, e->number);
    *p = (struct inspect_part){e->number,
                               strdup(dev),
                               e->first_lba * SECTOR,
                               (e->last_lba - e->first_lba + 1) * SECTOR,
                               dup_or_null(e->name),
                               strdup(type),
                               inspect_part_type_name(type)};
    if (!p->device || !p->type || (e->name[0] && !p->name))
        return ab_oom(err);
    struct dvol *v = new_vol(r, err);
    if (!v || volume_init_range(&v->v, dev, r->images[drive], p->start, p->size, err) < 0)
        return -1;
    v->partition = true;
    gpt_guid_format(e->guid, v->partuuid);
    snprintf(v->partlabel, sizeof(v->partlabel), "%s", e->name);
    return probe(r, v, true, err) < 0 ? -1 : 1;
}

static int
read_disk(struct reader *r, size_t i, struct ab_error *err)
{
    const struct inspect_drive *drive = &r->drives[i];
    const struct byte_reader *br = disk_image_reader(r->images[i]);
    struct inspect_disk *d = &r->g->disks[r->g->n_disks++];
    char dev[16], sector[SECTOR * 2];
    inspect_drive_device(i, dev);
    *d = (struct inspect_disk){strdup(dev), drive->name, drive->format, drive->size, NULL, NULL, 0};
    if (!d->device)
        return ab_oom(err);
    int got = reader_inside(br, 0, sector, sizeof(sector), err);
    if (got < 0)
        return -1;
    if (got && memcmp(sector + SECTOR, "EFI PART", 8) == 0) {
        struct gpt_list l = {0};
        int rr = gpt_read_each(br, note_entry, &l, err);
        if (rr < 0 || l.oom || !(d->table = strdup("gpt"))) {
            free(l.e);
            return rr < 0 ? -1 : ab_oom(err);
        }
        for (size_t p = 0; rr >= 0 && p < l.n; p++)
            rr = add_partition(r, d, i, &l.e[p], err);
        free(l.e);
        return rr < 0 ? -1 : r->why ? 0 : 1;
    }
    if (got && fs_probe_mbr((const unsigned char *)sector, SECTOR))
        return unreadable(r, "'%s' has an MBR partition table, which is read in the appliance",
                          drive->name);
    struct dvol *v = new_vol(r, err);
    if (!v || volume_init_range(&v->v, dev, r->images[i], 0, br->size, err) < 0)
        return -1;
    return probe(r, v, true, err) < 0 ? -1 : 1;
}

/* ---- LVM ---- */

/* The newest metadata of VG name among the PVs seen. */
static const struct lvm_vg *
newest(const struct reader *r, const char *name)
{
    const struct lvm_vg *best = NULL;
    for (size_t i = 0; i < r->n_pvs; i++) {
        const struct lvm_vg *vg = &r->pvs[i].vg;
        if (vg->extent_size && strcmp(vg->name, name) == 0 && (!best || vg->seqno > best->seqno))
            best = vg;
    }
    return best;
}

/* The seen PV that is the VG's i-th, or NULL. */
static const struct pv_seen *
pv_of(const struct reader *r, const struct lvm_vg *vg, size_t i)
{
    for (size_t k = 0; k < r->n_pvs; k++)
        if (memcmp(r->pvs[k].pv.h.uuid, vg->pvs[i].uuid, LVM_UUID_LEN) == 0)
            return &r->pvs[k];
    return NULL;
}

/* The extents of the VG's LVs on its i-th PV (every segment counted,
 * hidden LVs' too). */
static uint64_t
allocated(const struct lvm_vg *vg, size_t pv, bool all)
{
    uint64_t n = 0;
    for (size_t l = 0; l < vg->n_lvs; l++)
        for (size_t s = 0; s < vg->lvs[l].n_segs; s++)
            if (all || (vg->lvs[l].segs[s].linear && vg->lvs[l].segs[s].pv == pv))
                n += vg->lvs[l].segs[s].extent_count;
    return n;
}

static int
add_lv(struct reader *r, const struct lvm_vg *vg, const struct lvm_vg_lv *lv, struct ab_error *err)
{
    struct inspect_guest *g = r->g;
    uint64_t extent = vg->extent_size * SECTOR, extents = 0;
    char dev[2 * LVM_NAME_BUF + 8];
    snprintf(dev, sizeof(dev), "/dev/%s/%s", vg->name, lv->name);
    struct dvol *v = new_vol(r, err);
    if (!v || !(v->v.device = strdup(dev)))
        return v ? ab_oom(err) : -1;
    for (size_t s = 0; s < lv->n_segs; s++) {
        const struct lvm_vg_seg *seg = &lv->segs[s];
        const struct pv_seen *pv = seg->linear ? pv_of(r, vg, seg->pv) : NULL;
        extents += seg->extent_count;
        if (!seg->linear)
            return unreadable(r,
                              "logical volume '%s' is of type '%s', which is read in the "
                              "appliance",
                              dev, seg->type);
        if (!pv)
            return unreadable(r, "volume group '%s' misses the physical volume of '%s'", vg->name,
                              dev);
        struct dvol *pvv = reader_vol(r, pv->device);
        uint64_t at = (vg->pvs[seg->pv].pe_start + seg->pe * vg->extent_size) * SECTOR;
        if (!pvv || at > pvv->v.size || seg->extent_count * extent > pvv->v.size - at)
            return unreadable(r, "logical volume '%s' lies outside its physical volume", dev);
        if (volume_add(&v->v, pvv->v.ext[0].image, pvv->v.ext[0].at + at,
                       seg->extent_count * extent, err) < 0)
            return -1;
    }
    struct inspect_lv *grown = realloc(g->lvs, (g->n_lvs + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    g->lvs = grown;
    struct inspect_lv *l = &grown[g->n_lvs++];
    *l = (struct inspect_lv){strdup(dev), strdup(vg->name), strdup(lv->name), extents * extent};
    return l->device && l->vg && l->name ? 1 : ab_oom(err);
}

static int
add_vg(struct reader *r, const struct lvm_vg *vg, struct ab_error *err)
{
    struct inspect_guest *g = r->g;
    uint64_t extent = vg->extent_size * SECTOR, total = 0;
    unsigned visible = 0;
    for (size_t i = 0; i < vg->n_pvs; i++)
        total += vg->pvs[i].pe_count;
    for (size_t l = 0; l < vg->n_lvs; l++)
        visible += vg->lvs[l].visible;
    struct inspect_vg *grown = realloc(g->vgs, (g->n_vgs + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    g->vgs = grown;
    uint64_t used = allocated(vg, 0, true);
    grown[g->n_vgs] = (struct inspect_vg){strdup(vg->name), total * extent,
                                          used <= total ? (total - used) * extent : 0,
                                          (unsigned)vg->n_pvs, visible};
    if (!grown[g->n_vgs++].name)
        return ab_oom(err);
    return 1;
}

static int
add_pv_fact(struct reader *r, const struct pv_seen *s, struct ab_error *err)
{
    struct inspect_guest *g = r->g;
    struct inspect_pv *grown = realloc(g->pvs, (g->n_pvs + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    g->pvs = grown;
    struct inspect_pv *p = &grown[g->n_pvs++];
    *p = (struct inspect_pv){strdup(s->device), s->pv.h.dev_size, 0, NULL};
    if (!p->device)
        return ab_oom(err);
    const struct lvm_vg *vg = s->vg.extent_size ? newest(r, s->vg.name) : NULL;
    for (size_t i = 0; vg && i < vg->n_pvs; i++) {
        if (memcmp(vg->pvs[i].uuid, s->pv.h.uuid, LVM_UUID_LEN) != 0)
            continue;
        uint64_t extent = vg->extent_size * SECTOR, used = allocated(vg, i, false);
        p->size = vg->pvs[i].pe_count ? vg->pvs[i].pe_count * extent : s->pv.h.dev_size;
        p->free = used <= vg->pvs[i].pe_count ? (vg->pvs[i].pe_count - used) * extent : 0;
        if (!(p->vg = strdup(vg->name)))
            return ab_oom(err);
    }
    return 0;
}

/* By VG (those in none last), then device, as the appliance's lvm lists them. */
static int
by_pv(const void *a, const void *b)
{
    const struct inspect_pv *x = a, *y = b;
    if (!x->vg != !y->vg)
        return x->vg ? -1 : 1;
    int c = x->vg ? strcmp(x->vg, y->vg) : 0;
    return c ? c : strcmp(x->device, y->device);
}

static int
by_vg_name(const void *a, const void *b)
{
    return strcmp(((const struct inspect_vg *)a)->name, ((const struct inspect_vg *)b)->name);
}

static int
by_lv(const void *a, const void *b)
{
    const struct inspect_lv *x = a, *y = b;
    int c = strcmp(x->vg, y->vg);
    return c ? c : strcmp(x->name, y->name);
}

/* Each VG once (its newest text), its visible LVs as volumes; PVs, VGs
 * and LVs sorted as lvm's reports sort them; then each LV probed. */
static int
read_lvm(struct reader *r, struct ab_error *err)
{
    struct inspect_guest *g = r->g;
    int rr = 1;
    for (size_t i = 0; rr > 0 && i < r->n_pvs; i++) {
        const struct pv_seen *s = &r->pvs[i];
        if (add_pv_fact(r, s, err) < 0)
            return -1;
        const struct lvm_vg *vg = s->vg.extent_size ? newest(r, s->vg.name) : NULL;
        if (vg != &s->vg)
            continue; /* none, or another PV's text is newer */
        if ((rr = add_vg(r, vg, err)) <= 0)
            break;
        for (size_t l = 0; rr > 0 && l < vg->n_lvs; l++)
            if (vg->lvs[l].visible)
                rr = add_lv(r, vg, &vg->lvs[l], err);
    }
    if (rr <= 0)
        return rr;
    if (g->n_pvs)
        qsort(g->pvs, g->n_pvs, sizeof(*g->pvs), by_pv);
    if (g->n_vgs)
        qsort(g->vgs, g->n_vgs, sizeof(*g->vgs), by_vg_name);
    if (g->n_lvs)
        qsort(g->lvs, g->n_lvs, sizeof(*g->lvs), by_lv);
    for (size_t l = 0; l < g->n_lvs; l++)
        if (probe(r, reader_vol(r, g->lvs[l].device), false, err) < 0)
            return -1;
    return 1;
}

int
reader_open(struct reader *r, struct ab_error *err)
{
    if (!(r->g = calloc(1, sizeof(*r->g))) ||
        !(r->g->disks = calloc(r->n_drives + 1, sizeof(*r->g->disks))) ||
        !(r->images = calloc(r->n_drives + 1, sizeof(*r->images))))
        return ab_oom(err);
    r->g->source = SOURCE_HOST;
    for (size_t i = 0; i < r->n_drives; i++) {
        unsigned flags = r->write_first && i == 0 ? DISK_IMAGE_WRITE : 0;
        if (!(r->images[i] =
                  disk_image_open(r->drives[i].path, r->drives[i].format, flags, r->spawn, err))) {
            ab_error_prefix(err, "while opening '%s'", r->drives[i].name);
            return -1;
        }
    }
    for (size_t i = 0; i < r->n_drives; i++) {
        int rr = read_disk(r, i, err);
        if (rr <= 0)
            return rr;
    }
    return read_lvm(r, err);
}

struct dvol *
reader_vol(struct reader *r, const char *device)
{
    for (size_t i = 0; device && i < r->n_vols; i++)
        if (r->vols[i]->v.device && strcmp(r->vols[i]->v.device, device) == 0)
            return r->vols[i];
    return NULL;
}

/* ---- filesystems and the tree ---- */

static bool
is_ext(const struct dvol *v)
{
    return v->has_fs && strncmp(v->probe.type, "ext", 3) == 0;
}

int
reader_open_fs(struct reader *r, struct dvol *v, struct ab_error *err)
{
    if (v->opened)
        return 0;
    v->opened = true;
    if (!is_ext(v)) {
        const char *what = v->has_fs ? v->probe.type : "no filesystem";
        return asprintf(&v->fs_why, "%s, whose files are not read on the host", what) < 0
                   ? ab_oom(err)
                   : 0;
    }
    char name[EXT2IO_NAME_BUF];
    int flags = EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP;
    v->v.writable = r->write_first && v->v.ext[0].image == r->images[0];
    if (v->v.writable)
        flags |= EXT2_FLAG_RW;
    ext2io_name(&v->v, name);
    initialize_ext2_error_table();
    errcode_t e = ext2fs_open2(name, NULL, flags, 0, 0, ext2io_manager(), &v->tfs.fs);
    if (e == 0 && v->v.writable && (e = ext2fs_read_bitmaps(v->tfs.fs)) != 0) {
        ext2fs_close_free(&v->tfs.fs);
        v->tfs.fs = NULL;
    }
    if (e) {
        v->tfs.fs = NULL;
        const char *io = v->v.io_err.n_diags ? v->v.io_err.diags[0].msg : NULL;
        if (asprintf(&v->fs_why, "libext2fs cannot open it: %s%s%s", error_message(e),
                     io ? ": " : "", io ? io : "") < 0)
            return ab_oom(err);
        return 0;
    }
    if (r->now)
        v->tfs.fs->now = (time_t)r->now;
    return 0;
}

bool
reader_is_root(struct reader *r, struct dvol *v)
{
    struct ab_error err = AB_ERROR_INIT;
    struct tree_node n;
    if (!is_ext(v) || reader_open_fs(r, v, &err) < 0 || !v->tfs.fs) {
        ab_error_release(&err);
        return false;
    }
    struct guest_tree t = {0};
    bool root = tree_mount(&t, "/", &v->tfs, &err) == 0 &&
                tree_lookup(&t, "/etc/fstab", false, &n, &err) == TREE_FOUND &&
                LINUX_S_ISREG(n.inode.i_mode);
    tree_release(&t);
    ab_error_release(&err);
    return root;
}

/* An fstab spec's volume, as libguestfs resolves one. */
static struct dvol *
resolve(struct reader *r, const char *spec)
{
    static const struct {
        const char *prefix, *by;
    } forms[] = {
        {"UUID=", "uuid"},
        {"LABEL=", "label"},
        {"PARTUUID=", "partuuid"},
        {"PARTLABEL=", "partlabel"},
        {"/dev/disk/by-uuid/", "uuid"},
        {"/dev/disk/by-label/", "label"},
        {"/dev/disk/by-partuuid/", "partuuid"},
        {"/dev/disk/by-partlabel/", "partlabel"},
    };
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        size_t n = strlen(forms[f].prefix);
        if (strncmp(spec, forms[f].prefix, n) != 0)
            continue;
        const char *want = spec + n, *by = forms[f].by;
        for (size_t i = 0; i < r->n_vols; i++) {
            const struct dvol *v = r->vols[i];
            const char *have = strcmp(by, "uuid") == 0       ? (v->has_fs ? v->probe.uuid : "")
                               : strcmp(by, "label") == 0    ? (v->has_fs ? v->probe.label : "")
                               : !v->partition               ? ""
                               : strcmp(by, "partuuid") == 0 ? v->partuuid
                                                             : v->partlabel;
            if (*have && strcasecmp(have, want) == 0)
                return r->vols[i];
        }
        return NULL;
    }
    char dev[512];
    if (strncmp(spec, "/dev/mapper/", 12) == 0) {
        /* VG-LV, with each '-' of a name doubled */
        size_t o = snprintf(dev, sizeof(dev), "/dev/"), n = strlen(spec);
        for (size_t i = 12; i < n && o + 2 < sizeof(dev); i++) {
            if (spec[i] == '-' && spec[i + 1] == '-')
                dev[o++] = '-', i++;
            else
                dev[o++] = spec[i] == '-' ? '/' : spec[i];
        }
        dev[o] = '\0';
        return reader_vol(r, dev);
    }
    static const char *const disks[] = {"/dev/vd", "/dev/hd", "/dev/xvd", "/dev/sd"};
    for (size_t i = 0; i < sizeof(disks) / sizeof(disks[0]); i++)
        if (strncmp(spec, disks[i], strlen(disks[i])) == 0) {
            snprintf(dev, sizeof(dev), "/dev/sd%s", spec + strlen(disks[i]));
            return reader_vol(r, dev);
        }
    return reader_vol(r, spec);
}

static int
by_length(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    size_t lx = strlen(x[0]), ly = strlen(y[0]);
    return lx < ly ? -1 : lx > ly ? 1 : strcmp(x[0], y[0]);
}

static int
add_mount(char ***mounts, size_t *n, const char *path, const char *device)
{
    char **grown = realloc(*mounts, (2 * *n + 3) * sizeof(char *));
    if (!grown)
        return -1;
    *mounts = grown;
    grown[2 * *n] = strdup(path);
    grown[2 * *n + 1] = strdup(device);
    grown[2 * *n + 2] = NULL;
    if (!grown[2 * *n] || !grown[2 * *n + 1]) {
        free(grown[2 * *n]);
        free(grown[2 * *n + 1]);
        grown[2 * *n] = NULL;
        return -1;
    }
    (*n)++;
    return 0;
}

int
reader_tree(struct reader *r, struct dvol *root, struct guest_tree *t, char ***mounts,
            struct ab_error *err)
{
    size_t len = 0, n_entries = 0, n_mounts = 0;
    CLEANUP_FREE char *text = NULL;
    *mounts = calloc(1, sizeof(char *));
    if (!*mounts || tree_mount(t, "/", &root->tfs, err) < 0)
        return *mounts ? -1 : ab_oom(err);
    int rr = tree_read_file(t, "/etc/fstab", FSTAB_MAX, &text, &len, err);
    if (rr == TREE_ERROR)
        return -1;
    struct fstab_entry *e = rr == TREE_FOUND ? text_fstab(text, len, &n_entries) : NULL;
    if (rr == TREE_FOUND && !e)
        return ab_oom(err);
    for (size_t i = 0; i < n_entries; i++) {
        struct dvol *v = resolve(r, e[i].spec);
        if (!v || !guest_os_mount_wanted(e[i].path, e[i].type))
            continue;
        if (reader_open_fs(r, v, err) < 0 ||
            add_mount(mounts, &n_mounts, e[i].path, v->v.device) < 0 ||
            (v != root && tree_mount(t, e[i].path, &v->tfs, err) < 0)) {
            text_fstab_free(e, n_entries);
            return ab_error_is_set(err) ? -1 : ab_oom(err);
        }
        if (!v->tfs.device) {
            v->tfs.device = v->v.device;
            v->tfs.type = v->has_fs ? v->probe.type : "no filesystem";
        }
    }
    text_fstab_free(e, n_entries);
    if (n_mounts)
        qsort(*mounts, n_mounts, 2 * sizeof(char *), by_length);
    return 0;
}

int
reader_close(struct reader *r, struct ab_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < r->n_vols; i++) {
        struct dvol *v = r->vols[i];
        if (v->tfs.fs) {
            errcode_t e = ext2fs_close2(v->tfs.fs, 0);
            if (e && err && rc == 0) {
                const char *io = v->v.io_err.n_diags ? v->v.io_err.diags[0].msg : "";
                rc = ab_build_error(err, 0, "cannot write '%s' back: %s%s%s", v->v.device,
                                    error_message(e), *io ? ": " : "", io);
            }
            if (e)
                ext2fs_free(v->tfs.fs);
        }
        volume_release(&v->v);
        free(v->fs_why);
        free(v);
    }
    free(r->vols);
    for (size_t i = 0; i < r->n_pvs; i++) {
        free(r->pvs[i].pv.text);
        free(r->pvs[i].device);
        lvm_vg_release(&r->pvs[i].vg);
    }
    free(r->pvs);
    for (size_t i = 0; r->images && i < r->n_drives; i++)
        if (disk_image_close(r->images[i], rc == 0 ? err : NULL) < 0)
            rc = -1;
    free(r->images);
    free(r->why);
    *r = (struct reader){0};
    return rc;
}
