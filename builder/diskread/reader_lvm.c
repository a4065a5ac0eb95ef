/* reader_lvm.c: the volume groups of the PVs seen, each read once from its
 * newest metadata text, its logical volumes mapped onto the disks
 * (reader.h). */
#include "reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"

/* The VG read from s's text; NULL when none was. */
static const struct lvm_vg *
vg_of(const struct pv_seen *s)
{
    return s->pv.vg.root ? &s->pv.vg : NULL;
}

/* The newest metadata of VG name among the PVs seen. */
static const struct lvm_vg *
newest(const struct reader *r, const char *name)
{
    const struct lvm_vg *best = NULL;
    for (size_t i = 0; i < r->n_pvs; i++) {
        const struct lvm_vg *vg = vg_of(&r->pvs[i]);
        if (vg && strcmp(vg->name, name) == 0 && (!best || vg->seqno > best->seqno))
            best = vg;
    }
    return best;
}

/* The seen PV that is the VG's i-th, or NULL. */
static const struct pv_seen *
pv_of(const struct reader *r, const struct lvm_vg *vg, size_t i)
{
    for (size_t k = 0; k < r->n_pvs; k++)
        if (lvm_vg_pv_index(vg, r->pvs[k].pv.header.uuid) == i)
            return &r->pvs[k];
    return NULL;
}

/* The extents of the VG's LVs on its i-th PV (every linear segment
 * counted, hidden LVs' too); all: of every LV, whatever its kind. */
static uint64_t
allocated(const struct lvm_vg *vg, size_t pv, bool all)
{
    uint64_t n = 0;
    for (size_t l = 0; l < vg->n_lvs; l++) {
        const struct lvm_lv *lv = &vg->lvs[l];
        if (all) {
            n += lv->extents;
            continue;
        }
        for (size_t s = 0; s < lv->n_segs; s++)
            if (lv->segs[s].pv == pv)
                n += lv->segs[s].count;
    }
    return n;
}

static int
add_lv(struct reader *r, const struct lvm_vg *vg, const struct lvm_lv *lv, struct ab_error *err)
{
    struct inspect_guest *g = r->g;
    uint64_t extent = vg->extent_size;
    CLEANUP_FREE char *dev = NULL;
    if (asprintf(&dev, "/dev/%s/%s", vg->name, lv->name) < 0) {
        dev = NULL;
        return ab_oom(err);
    }
    struct dvol *v = reader_new_vol(r, err);
    if (!v || !(v->v.device = strdup(dev)))
        return v ? ab_oom(err) : -1;
    if (!lv->linear)
        return reader_unreadable(r,
                                 "logical volume '%s' is of type '%s', which is read in the "
                                 "appliance",
                                 dev, lv->type);
    for (size_t s = 0; s < lv->n_segs; s++) {
        const struct lvm_seg *seg = &lv->segs[s];
        const struct pv_seen *pv = pv_of(r, vg, seg->pv);
        if (!pv)
            return reader_unreadable(r, "volume group '%s' misses the physical volume of '%s'",
                                     vg->name, dev);
        struct dvol *pvv = reader_vol(r, pv->device);
        uint64_t at = vg->pvs[seg->pv].pe_start + seg->pe * extent;
        if (!pvv || at > pvv->v.size || seg->count * extent > pvv->v.size - at)
            return reader_unreadable(r, "logical volume '%s' lies outside its physical volume",
                                     dev);
        if (volume_add(&v->v, pvv->v.ext[0].image, pvv->v.ext[0].at + at, seg->count * extent,
                       err) < 0)
            return -1;
    }
    struct inspect_lv *grown = realloc(g->lvs, (g->n_lvs + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    g->lvs = grown;
    struct inspect_lv *l = &grown[g->n_lvs++];
    *l = (struct inspect_lv){strdup(dev), strdup(vg->name), strdup(lv->name), lv->extents * extent};
    return l->device && l->vg && l->name ? 1 : ab_oom(err);
}

static int
add_vg(struct reader *r, const struct lvm_vg *vg, struct ab_error *err)
{
    struct inspect_guest *g = r->g;
    uint64_t extent = vg->extent_size, total = 0;
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
    *p = (struct inspect_pv){strdup(s->device), s->pv.header.dev_size, 0, NULL};
    if (!p->device)
        return ab_oom(err);
    const struct lvm_vg *vg = vg_of(s) ? newest(r, s->pv.vg.name) : NULL;
    size_t i = vg ? lvm_vg_pv_index(vg, s->pv.header.uuid) : SIZE_MAX;
    if (i == SIZE_MAX)
        return 0;
    uint64_t extent = vg->extent_size, used = allocated(vg, i, false);
    p->size = vg->pvs[i].pe_count ? vg->pvs[i].pe_count * extent : s->pv.header.dev_size;
    p->free = used <= vg->pvs[i].pe_count ? (vg->pvs[i].pe_count - used) * extent : 0;
    return (p->vg = strdup(vg->name)) ? 0 : ab_oom(err);
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
int
reader_lvm(struct reader *r, struct ab_error *err)
{
    struct inspect_guest *g = r->g;
    int rr = 1;
    for (size_t i = 0; rr > 0 && i < r->n_pvs; i++) {
        const struct pv_seen *s = &r->pvs[i];
        if (add_pv_fact(r, s, err) < 0)
            return -1;
        const struct lvm_vg *vg = vg_of(s) ? newest(r, s->pv.vg.name) : NULL;
        if (!vg || vg != vg_of(s))
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
        if (reader_probe(r, reader_vol(r, g->lvs[l].device), false, err) < 0)
            return -1;
    return 1;
}
