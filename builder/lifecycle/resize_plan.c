/* resize_plan.c: the arithmetic of `appliance resize`, apart from any
 * disk: sizes and relative sizes, the partition's new end, the extents
 * each volume gets, and what cannot be done (resize.h). */
#include "appliance/resize.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/bytes.h"
#include "appliance/gpt.h"
#include "appliance/size.h"

int
resize_amount_parse(const char *text, struct resize_amount *a, const char **why)
{
    a->rel = RESIZE_ABS;
    if (*text == '+' || *text == '-')
        a->rel = *text++ == '+' ? RESIZE_PLUS : RESIZE_MINUS;
    if (size_parse(text, &a->bytes, why) < 0)
        return -1;
    if (a->bytes == 0) {
        *why = a->rel == RESIZE_ABS ? "size must be positive" : "a change of 0 changes nothing";
        return -1;
    }
    return 0;
}

int
resize_amount_apply(const struct resize_amount *a, uint64_t old, uint64_t *out, const char **why)
{
    switch (a->rel) {
    case RESIZE_ABS:
        *out = a->bytes;
        return 0;
    case RESIZE_PLUS:
        if (old > UINT64_MAX - a->bytes) {
            *why = "size is too large";
            return -1;
        }
        *out = old + a->bytes;
        return 0;
    case RESIZE_MINUS:
        if (a->bytes >= old) {
            *why = "the change would leave nothing";
            return -1;
        }
        *out = old - a->bytes;
        return 0;
    }
    *why = "unknown kind of size";
    return -1;
}

int
resize_volume_parse(const char *arg, struct resize_volume *v, const char **why)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        *why = "expected NAME=SIZE";
        return -1;
    }
    size_t len = (size_t)(eq - arg);
    if (len >= sizeof(v->name)) {
        *why = "volume name is too long";
        return -1;
    }
    /* LVM's own rule for names: letters, digits, '+', '_', '.', '-'. */
    for (size_t i = 0; i < len; i++) {
        char c = arg[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '_' || c == '.' || c == '-')) {
            *why = "a volume name has only letters, digits, '+', '_', '.' and '-'";
            return -1;
        }
    }
    memcpy(v->name, arg, len);
    v->name[len] = '\0';
    return resize_amount_parse(eq + 1, &v->size, why);
}

uint64_t
resize_part_last_sector(uint64_t disk_bytes)
{
    uint64_t sectors = disk_bytes / SECTOR;
    if (sectors < GPT_BACKUP_LBAS + 2048 * 2)
        return 0;
    return (sectors - GPT_BACKUP_LBAS) / 2048 * 2048 - 1;
}

uint64_t
resize_pe_count(uint64_t part_bytes, uint64_t pe_start, uint64_t extent_size)
{
    if (extent_size == 0 || part_bytes <= pe_start)
        return 0;
    return (part_bytes - pe_start) / extent_size;
}

static struct resize_lv *
find_lv(struct resize_layout *l, const char *name)
{
    for (size_t i = 0; i < l->n_lvs; i++)
        if (strcmp(l->lvs[i].name, name) == 0)
            return &l->lvs[i];
    return NULL;
}

static bool
fs_is_ext(const char *fs)
{
    return strcmp(fs, "ext2") == 0 || strcmp(fs, "ext3") == 0 || strcmp(fs, "ext4") == 0;
}

/* What a volume that changes may hold. */
static int
check_change(const struct resize_layout *l, const struct resize_lv *lv, struct ab_error *err)
{
    char a[SIZE_BUF], b[SIZE_BUF];
    size_format(lv->extents * l->extent_size, a, sizeof(a));
    size_format(lv->new_extents * l->extent_size, b, sizeof(b));
    if (lv->new_extents < lv->extents && strcmp(lv->fs, "xfs") == 0)
        return ab_build_error(err, 0,
                              "volume '%s/%s' holds xfs, which cannot shrink (%s to %s); "
                              "name an ext4 volume to shrink with --volume NAME=SIZE",
                              l->vg, lv->name, a, b);
    if (!fs_is_ext(lv->fs) && strcmp(lv->fs, "xfs") != 0)
        return ab_build_error(err, 0,
                              "volume '%s/%s' holds %s%s%s: only volumes with ext4 or xfs are "
                              "resized (%s to %s)",
                              l->vg, lv->name, *lv->fs ? "'" : "",
                              *lv->fs ? lv->fs : "no filesystem", *lv->fs ? "'" : "", a, b);
    return 0;
}

static int
apply_named(struct resize_layout *l, const struct resize_volume *v, size_t n, struct ab_error *err)
{
    for (size_t i = 0; i < n; i++) {
        struct resize_lv *lv = find_lv(l, v[i].name);
        if (!lv)
            return ab_build_error(err, 0, "volume group '%s' has no volume '%s'", l->vg, v[i].name);
        uint64_t bytes = 0;
        const char *why = NULL;
        if (resize_amount_apply(&v[i].size, lv->extents * l->extent_size, &bytes, &why) < 0)
            return ab_build_error(err, 0, "size of volume '%s': %s", v[i].name, why);
        lv->new_extents = (bytes + l->extent_size - 1) / l->extent_size;
    }
    return 0;
}

/* Without --volume: the VG's last volume takes the difference. */
static int
apply_last(struct resize_layout *l, uint64_t sum, struct ab_error *err)
{
    struct resize_lv *last = NULL;
    for (size_t i = 0; i < l->n_lvs; i++)
        if (!last || l->lvs[i].order > last->order)
            last = &l->lvs[i];
    if (!last)
        return ab_build_error(err, 0, "volume group '%s' has no volume", l->vg);
    if (l->new_pe_count >= sum) {
        last->new_extents = last->extents + (l->new_pe_count - sum);
        return 0;
    }
    uint64_t short_by = sum - l->new_pe_count;
    if (short_by >= last->extents) {
        char need[SIZE_BUF], have[SIZE_BUF];
        return ab_build_error(err, 0,
                              "the volumes of '%s' hold %s and cannot shrink to fit a PV of %s by "
                              "shrinking its last volume '%s' alone",
                              l->vg, size_format(sum * l->extent_size, need, sizeof(need)),
                              size_format(l->new_pe_count * l->extent_size, have, sizeof(have)),
                              last->name);
    }
    last->new_extents = last->extents - short_by;
    return 0;
}

int
resize_plan_volumes(struct resize_layout *l, const struct resize_volume *v, size_t n,
                    struct ab_error *err)
{
    uint64_t sum = 0;
    if (l->extent_size == 0)
        return ab_build_error(err, 0, "volume group '%s' has no extent size", l->vg);
    for (size_t i = 0; i < l->n_lvs; i++) {
        l->lvs[i].new_extents = l->lvs[i].extents;
        sum += l->lvs[i].extents;
    }
    if ((n ? apply_named(l, v, n, err) : apply_last(l, sum, err)) < 0)
        return -1;
    uint64_t new_sum = 0;
    for (size_t i = 0; i < l->n_lvs; i++)
        new_sum += l->lvs[i].new_extents;
    if (new_sum > l->new_pe_count) {
        char need[SIZE_BUF], have[SIZE_BUF], disk[SIZE_BUF];
        return ab_build_error(
            err, 0, "the volumes of '%s' need %s, but a disk of %s holds a PV of only %s%s", l->vg,
            size_format(new_sum * l->extent_size, need, sizeof(need)),
            size_format(l->new_disk_size, disk, sizeof(disk)),
            size_format(l->new_pe_count * l->extent_size, have, sizeof(have)),
            n ? ": shrink more volumes with --volume NAME=SIZE" : "");
    }
    for (size_t i = 0; i < l->n_lvs; i++)
        if (l->lvs[i].new_extents != l->lvs[i].extents && check_change(l, &l->lvs[i], err) < 0)
            return -1;
    return 0;
}

int
resize_check_minimum(const struct resize_layout *l, struct ab_error *err)
{
    for (size_t i = 0; i < l->n_lvs; i++) {
        const struct resize_lv *lv = &l->lvs[i];
        uint64_t bytes = lv->new_extents * l->extent_size;
        if (lv->new_extents >= lv->extents || bytes >= lv->fs_min)
            continue;
        char a[SIZE_BUF], b[SIZE_BUF];
        return ab_build_error(err, 0,
                              "volume '%s/%s' cannot shrink to %s: its %s filesystem needs at "
                              "least %s for its data (resize2fs -P)",
                              l->vg, lv->name, size_format_exact(bytes, a, sizeof(a)), lv->fs,
                              size_format_round(lv->fs_min, b, sizeof(b)));
    }
    return 0;
}

/* The value of KEY = "VALUE" in a VMDK descriptor, into out. */
static bool
desc_value(const char *desc, const char *key, char *out, size_t size)
{
    size_t kl = strlen(key);
    for (const char *p = desc; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        p += strspn(p, " \t");
        if (strncmp(p, key, kl) != 0)
            continue;
        const char *q = p + kl + strspn(p + kl, " \t");
        if (*q != '=')
            continue;
        q += 1 + strspn(q + 1, " \t");
        if (*q == '"')
            q++;
        size_t n = strcspn(q, "\"\r\n");
        if (n >= size)
            return false;
        memcpy(out, q, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

char *
resize_vmdk_options(const char *desc)
{
    static const char *const subformats[] = {"monolithicSparse", "streamOptimized"};
    static const char *const adapters[] = {"ide", "buslogic", "lsilogic", "legacyESX"};
    char type[32] = "", adapter[32] = "";
    const char *sub = NULL, *ad = NULL;
    if (!desc_value(desc, "createType", type, sizeof(type)))
        return NULL;
    for (size_t i = 0; i < sizeof(subformats) / sizeof(subformats[0]); i++)
        if (strcmp(type, subformats[i]) == 0)
            sub = subformats[i];
    if (!sub)
        return NULL;
    if (desc_value(desc, "ddb.adapterType", adapter, sizeof(adapter)))
        for (size_t i = 0; i < sizeof(adapters) / sizeof(adapters[0]); i++)
            if (strcmp(adapter, adapters[i]) == 0)
                ad = adapters[i];
    char *opts = NULL;
    if (asprintf(&opts, "subformat=%s%s%s", sub, ad ? ",adapter_type=" : "", ad ? ad : "") < 0)
        return NULL;
    return opts;
}

/* ---- the extents: where each volume's are after the resize ------------- */

/* Free runs of PV extents, in order, and the moves made so far. */
struct layout {
    struct lvm_seg *free; /* pv unused, pe and count only */
    size_t n_free;
    struct resize_move *moves;
    size_t n_moves;
};

static int
by_pe(const void *a, const void *b)
{
    const struct lvm_seg *x = a, *y = b;
    return x->pe < y->pe ? -1 : x->pe > y->pe;
}

/* The runs below end that no segment of vg holds. */
static int
free_runs(const struct lvm_vg *vg, uint64_t end, struct layout *o)
{
    size_t n = 0;
    for (size_t i = 0; i < vg->n_lvs; i++)
        n += vg->lvs[i].n_segs;
    struct lvm_seg *used = calloc(n + 1, sizeof(*used));
    if (!used || !(o->free = calloc(n + 1, sizeof(*o->free)))) {
        free(used);
        return -1;
    }
    n = 0;
    for (size_t i = 0; i < vg->n_lvs; i++)
        for (size_t k = 0; k < vg->lvs[i].n_segs; k++)
            used[n++] = vg->lvs[i].segs[k];
    qsort(used, n, sizeof(*used), by_pe);
    uint64_t at = 0;
    for (size_t i = 0; i <= n && at < end; i++) {
        uint64_t next = i < n && used[i].pe < end ? used[i].pe : end;
        if (next > at)
            o->free[o->n_free++] = (struct lvm_seg){.pe = at, .count = next - at};
        if (i < n && used[i].pe + used[i].count > at)
            at = used[i].pe + used[i].count;
    }
    free(used);
    return 0;
}

/* Takes up to want extents from the free run at index r. */
static struct lvm_seg
take_run(struct layout *o, size_t r, uint64_t want)
{
    struct lvm_seg *f = &o->free[r], got = {.pe = f->pe};
    got.count = want < f->count ? want : f->count;
    f->pe += got.count;
    f->count -= got.count;
    if (f->count == 0) {
        memmove(f, f + 1, (o->n_free - r - 1) * sizeof(*f));
        o->n_free--;
    }
    return got;
}

/* The free run that starts at pe, or the lowest one (SIZE_MAX: none). */
static size_t
pick_run(const struct layout *o, uint64_t pe)
{
    for (size_t r = 0; r < o->n_free; r++)
        if (o->free[r].pe == pe)
            return r;
    return o->n_free ? 0 : SIZE_MAX;
}

/* Appends extents to lv's new segments, merging with its last one. */
static int
push_seg(struct lvm_seg **segs, size_t *n, size_t *cap, struct lvm_seg s)
{
    if (*n && (*segs)[*n - 1].pe + (*segs)[*n - 1].count == s.pe &&
        (*segs)[*n - 1].start + (*segs)[*n - 1].count == s.start) {
        (*segs)[*n - 1].count += s.count;
        return 0;
    }
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 8;
        struct lvm_seg *g = realloc(*segs, c * sizeof(*g));
        if (!g)
            return -1;
        *segs = g;
        *cap = c;
    }
    (*segs)[(*n)++] = s;
    return 0;
}

static int
push_move(struct layout *o, size_t lv, uint64_t from, uint64_t to, uint64_t count)
{
    struct resize_move *m = realloc(o->moves, (o->n_moves + 1) * sizeof(*m));
    if (!m)
        return -1;
    o->moves = m;
    o->moves[o->n_moves++] = (struct resize_move){lv, from, to, count};
    return 0;
}

#define NO_SOURCE UINT64_MAX

/* Places count extents of volume lv from its extent start, taking free
 * runs (the one at prefer first); when they come from PV extent src, the
 * copies that carry them are added. 1 when the free runs ran out. */
static int
place(struct layout *o, size_t lv, struct lvm_seg **segs, size_t *n, size_t *cap, uint64_t start,
      uint64_t count, uint64_t prefer, uint64_t src)
{
    while (count) {
        size_t r = pick_run(o, prefer);
        if (r == SIZE_MAX)
            return 1;
        struct lvm_seg got = take_run(o, r, count);
        got.start = start;
        if (push_seg(segs, n, cap, got) < 0 ||
            (src != NO_SOURCE && push_move(o, lv, src, got.pe, got.count) < 0))
            return -1;
        if (src != NO_SOURCE)
            src += got.count;
        start += got.count;
        count -= got.count;
        prefer = got.pe + got.count;
    }
    return 0;
}

/* lv cut to extents: segments past it dropped, the last one shortened. */
static void
cut(struct lvm_lv *lv, uint64_t extents)
{
    size_t k = 0;
    while (k < lv->n_segs && lv->segs[k].start < extents) {
        if (lv->segs[k].start + lv->segs[k].count > extents)
            lv->segs[k].count = extents - lv->segs[k].start;
        k++;
    }
    lv->n_segs = k;
    lv->extents = extents;
}

/* Volume index's segments at or past end moved into free runs below it,
 * and then grown to extents. */
static int
relayout(struct layout *o, struct lvm_lv *lv, size_t index, uint64_t end, uint64_t extents)
{
    struct lvm_seg *segs = NULL;
    size_t n = 0, cap = 0;
    int r = 0;
    for (size_t k = 0; r == 0 && k < lv->n_segs; k++) {
        struct lvm_seg s = lv->segs[k];
        uint64_t stay = s.pe >= end ? 0 : s.pe + s.count <= end ? s.count : end - s.pe;
        if (stay)
            r = push_seg(&segs, &n, &cap, (struct lvm_seg){s.start, stay, s.pv, s.pe});
        if (r == 0 && stay < s.count)
            r = place(o, index, &segs, &n, &cap, s.start + stay, s.count - stay, NO_SOURCE,
                      s.pe + stay);
    }
    if (r == 0 && extents > lv->extents) {
        uint64_t after = n ? segs[n - 1].pe + segs[n - 1].count : NO_SOURCE;
        r = place(o, index, &segs, &n, &cap, lv->extents, extents - lv->extents, after,
                  NO_SOURCE);
    }
    if (r != 0) {
        free(segs);
        return r;
    }
    free(lv->segs);
    lv->segs = segs;
    lv->n_segs = n;
    lv->extents = extents;
    return 0;
}

int
resize_plan_extents(struct lvm_vg *vg, const struct resize_layout *l,
                    struct resize_move **moves, size_t *n_moves, struct ab_error *err)
{
    struct layout o = {0};
    int r = 0;
    if (vg->n_pvs != 1)
        return ab_build_error(err, 0, "volume group '%s' spans %zu PVs; resize one of 1", vg->name,
                              vg->n_pvs);
    for (size_t i = 0; i < l->n_lvs; i++) {
        struct lvm_lv *lv = lvm_vg_lv(vg, l->lvs[i].name);
        if (!lv || !lv->linear)
            return ab_build_error(err, 0, "volume '%s' of '%s' is not a linear volume",
                                  l->lvs[i].name, vg->name);
        if (l->lvs[i].new_extents < lv->extents)
            cut(lv, l->lvs[i].new_extents);
    }
    if (free_runs(vg, l->new_pe_count, &o) < 0)
        return ab_oom(err);
    for (size_t i = 0; r == 0 && i < vg->n_lvs; i++) {
        const struct resize_lv *want = NULL;
        for (size_t k = 0; k < l->n_lvs; k++)
            if (strcmp(l->lvs[k].name, vg->lvs[i].name) == 0)
                want = &l->lvs[k];
        r = relayout(&o, &vg->lvs[i], i, l->new_pe_count,
                     want ? want->new_extents : vg->lvs[i].extents);
    }
    free(o.free);
    if (r != 0) {
        free(o.moves);
        return r < 0 ? ab_oom(err)
                     : ab_build_error(err, 0, "the volumes of '%s' do not fit a PV of %" PRIu64
                                              " extents", vg->name, l->new_pe_count);
    }
    vg->pvs[0].pe_count = l->new_pe_count;
    *moves = o.moves;
    *n_moves = o.n_moves;
    return 0;
}
