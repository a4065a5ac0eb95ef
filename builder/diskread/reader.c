/* reader.c: a guest's disks opened on the host, their partitions and
 * what each volume holds found (reader.h); LVM is reader_lvm.c's, the
 * filesystems' trees reader_tree.c's. */
#include "reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"

/* The host does not read this: said once, the first reason kept. */
int
reader_unreadable(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!r->why && vasprintf(&r->why, fmt, ap) < 0)
        r->why = NULL;
    va_end(ap);
    return 0;
}

struct dvol *
reader_new_vol(struct reader *r, struct ab_error *err)
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

/* A PV on v (its label found; its VG, when read, in pv->vg): kept for
 * the LVM step. */
static int
add_pv(struct reader *r, struct dvol *v, struct lvm_pv *pv, struct ab_error *err)
{
    struct pv_seen *grown = realloc(r->pvs, (r->n_pvs + 1) * sizeof(*grown));
    if (!grown) {
        lvm_pv_release(pv);
        return ab_oom(err);
    }
    r->pvs = grown;
    struct pv_seen *s = &grown[r->n_pvs++];
    *s = (struct pv_seen){.pv = *pv, .device = strdup(v->v.device)};
    return s->device ? 0 : ab_oom(err);
}

/* What v holds: a PV, a filesystem (or swap), or nothing known. */
int
reader_probe(struct reader *r, struct dvol *v, bool pv_ok, struct ab_error *err)
{
    struct byte_reader br = volume_reader(&v->v);
    const char *why = NULL;
    if (pv_ok) {
        struct lvm_pv pv;
        int found = lvm_pv_read(&br, &pv, &why, err);
        if (found < 0)
            return -1;
        if (found || pv.labelled)
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
        return reader_unreadable(r, "partition %u of '%s' lies outside the disk", e->number,
                                 d->name);
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
    struct dvol *v = reader_new_vol(r, err);
    if (!v || volume_init_range(&v->v, dev, r->images[drive], p->start, p->size, err) < 0)
        return -1;
    v->partition = true;
    gpt_guid_format(e->guid, v->partuuid);
    snprintf(v->partlabel, sizeof(v->partlabel), "%s", e->name);
    return reader_probe(r, v, true, err) < 0 ? -1 : 1;
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
        return reader_unreadable(
            r, "'%s' has an MBR partition table, which is read in the appliance", drive->name);
    struct dvol *v = reader_new_vol(r, err);
    if (!v || volume_init_range(&v->v, dev, r->images[i], 0, br->size, err) < 0)
        return -1;
    return reader_probe(r, v, true, err) < 0 ? -1 : 1;
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
    return reader_lvm(r, err);
}

struct dvol *
reader_vol(struct reader *r, const char *device)
{
    for (size_t i = 0; device && i < r->n_vols; i++)
        if (r->vols[i]->v.device && strcmp(r->vols[i]->v.device, device) == 0)
            return r->vols[i];
    return NULL;
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
        lvm_pv_release(&r->pvs[i].pv);
        free(r->pvs[i].device);
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
