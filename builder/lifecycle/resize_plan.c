/* resize_plan.c: the arithmetic of `appliance resize`, apart from any
 * disk: sizes and relative sizes, the partition's new end, the extents
 * each volume gets, and what cannot be done (resize.h). */
#include "appliance/resize.h"

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
