/* plan_layout.c: partition tables, LVM extents and the fit of volumes. */
#include "plan_resolve.h"

#include <stdlib.h>
#include <string.h>

#include "appliance/size.h"

#define MIN_XFS (UINT64_C(300) << 20) /* mkfs.xfs refuses smaller */
#define MIN_EXT4 (UINT64_C(16) << 20)
#define MIN_SWAP (UINT64_C(4) << 20)
#define MIN_BOOT_EXT4 (UINT64_C(64) << 20)

static uint64_t
fs_min_size(enum fs_type fs)
{
    switch (fs) {
    case FS_XFS:
        return MIN_XFS;
    case FS_EXT4:
        return MIN_EXT4;
    case FS_SWAP:
        return MIN_SWAP;
    case FS_VFAT:
    case FS_NONE:
        break;
    }
    return 0;
}

static const struct recipe_disk *
recipe_disk_of(const struct plan *plan, enum plan_disk_id id)
{
    return id == PLAN_DISK_OS ? &plan->recipe->os_disk : &plan->recipe->app_disk;
}

static void
add_partition(struct plan_disk *d, enum part_role role, uint64_t *cursor, uint64_t size,
              enum fs_type fs, const char *mount)
{
    struct plan_partition *p = &d->parts[d->n_parts];
    p->number = (unsigned)++d->n_parts;
    p->role = role;
    p->start = *cursor;
    p->size = size;
    p->fs = fs;
    p->mount = mount;
    *cursor += size;
}

/* The VMDK's limit holds only when a VMDK is written. */
static int
check_disk_size(const struct plan *plan, const struct recipe_disk *rd, const char *id,
                struct ab_error *err)
{
    char a[SIZE_BUF], b[SIZE_BUF];
    unsigned vmdk = plan->outputs & (OUTPUT_OVA | OUTPUT_OVF | OUTPUT_VMDK | OUTPUT_VMX);

    if (rd->size % PLAN_ALIGN)
        return ab_recipe_error(err, &rd->size_pos,
                               "size of disk '%s' (%s) must be a whole number of MiB", id,
                               size_format_exact(rd->size, a, sizeof(a)));
    /* A VHDX's limit is the tool's own for every output: named as the
     * VHDX's only when one is asked for. */
    if (rd->size > PLAN_MAX_DISK && plan->outputs & (OUTPUT_VHDX | OUTPUT_HYPERV))
        return ab_recipe_error(err, &rd->size_pos,
                               "disk '%s' (%s) is larger than %s, the most a VHDX can hold, "
                               "which output %s writes",
                               id, size_format(rd->size, a, sizeof(a)),
                               size_format(PLAN_MAX_DISK, b, sizeof(b)),
                               plan->outputs & OUTPUT_HYPERV ? "'hyperv'" : "'vhdx'");
    if (rd->size > PLAN_MAX_DISK)
        return ab_recipe_error(
            err, &rd->size_pos, "disk '%s' (%s) is larger than %s, the most this tool builds", id,
            size_format(rd->size, a, sizeof(a)), size_format(PLAN_MAX_DISK, b, sizeof(b)));
    if (vmdk && rd->size > PLAN_MAX_VMDK) {
        return ab_recipe_error(err, &rd->size_pos,
                               "disk '%s' (%s) is larger than %s, the most a sparse VMDK can "
                               "hold, which output %s writes",
                               id, size_format(rd->size, a, sizeof(a)),
                               size_format(PLAN_MAX_VMDK, b, sizeof(b)),
                               vmdk & OUTPUT_OVA    ? "'ova'"
                               : vmdk & OUTPUT_OVF  ? "'ovf'"
                               : vmdk & OUTPUT_VMDK ? "'vmdk'"
                                                    : "'vmx'");
    }
    return 0;
}

static int
check_boot(const struct plan *plan, const struct recipe_disk *rd, uint64_t boot,
           enum fs_type fs, struct ab_error *err)
{
    char a[SIZE_BUF], b[SIZE_BUF];
    uint64_t min = fs == FS_XFS ? MIN_XFS : MIN_BOOT_EXT4;
    const struct ab_pos *pos = rd->boot_set ? &rd->boot_pos : &rd->pos;

    if (boot % PLAN_ALIGN)
        return ab_recipe_error(err, pos, "boot partition size (%s) must be a whole number of MiB",
                               size_format_exact(boot, a, sizeof(a)));
    if (boot < min)
        return ab_recipe_error(err, pos, "boot partition (%s) is too small for %s: at least %s",
                               size_format(boot, a, sizeof(a)), fs_to_string(fs),
                               size_format(min, b, sizeof(b)));
    /* Also keeps the partition cursor from wrapping around 2^64. */
    if (boot > plan->disks[PLAN_DISK_OS].size)
        return ab_recipe_error(err, pos, "boot partition (%s) does not fit in disk 'os' (%s)",
                               size_format(boot, a, sizeof(a)),
                               size_format(plan->disks[PLAN_DISK_OS].size, b, sizeof(b)));
    return 0;
}

/* Lays out the partitions; the LVM PV takes what is left. */
static int
layout_partitions(struct plan *plan, enum plan_disk_id id, const struct recipe_disk *rd,
                  struct ab_error *err)
{
    struct plan_disk *d = &plan->disks[id];
    uint64_t cursor = PLAN_ALIGN;
    char a[SIZE_BUF], b[SIZE_BUF];

    if (id == PLAN_DISK_OS) {
        enum fs_type boot_fs = plan_default_fs(plan->os.family);
        uint64_t boot = rd->boot_set ? rd->boot : PLAN_DEFAULT_BOOT;
        if (plan->hardware.firmware & FIRMWARE_BIOS)
            add_partition(d, PART_BIOS_BOOT, &cursor, PLAN_BIOS_BOOT_SIZE, FS_NONE, NULL);
        if (plan->hardware.firmware & FIRMWARE_UEFI)
            add_partition(d, PART_ESP, &cursor, PLAN_ESP_SIZE, FS_VFAT, "/boot/efi");
        if (check_boot(plan, rd, boot, boot_fs, err) < 0)
            return -1;
        add_partition(d, PART_BOOT, &cursor, boot, boot_fs, "/boot");
    }
    uint64_t end = d->size - PLAN_GPT_TAIL;
    uint64_t need = cursor + PLAN_PE_START + PLAN_PE_SIZE;
    if (d->size < PLAN_GPT_TAIL || end < need)
        return ab_recipe_error(err, &rd->size_pos,
                               "disk '%s' (%s) is too small: its partitions and LVM need at least %s",
                               d->id, size_format(d->size, a, sizeof(a)),
                               size_format(need + PLAN_GPT_TAIL, b, sizeof(b)));
    add_partition(d, PART_LVM, &cursor, end - cursor, FS_NONE, NULL);
    d->vg.pv_partition = d->parts[d->n_parts - 1].number;
    d->vg.pe_size = PLAN_PE_SIZE;
    d->vg.pe_start = PLAN_PE_START;
    d->vg.extents = (d->parts[d->n_parts - 1].size - PLAN_PE_START) / PLAN_PE_SIZE;
    return 0;
}

static uint64_t
extents_for(uint64_t bytes)
{
    /* Not (bytes + PE - 1) / PE: that wraps to 0 extents near 2^64. */
    return bytes / PLAN_PE_SIZE + (bytes % PLAN_PE_SIZE != 0);
}

static int
check_min_size(const struct plan_disk *d, const struct recipe_volume *rv, const struct plan_lv *lv,
               struct ab_error *err)
{
    char a[SIZE_BUF], b[SIZE_BUF];
    uint64_t min = fs_min_size(lv->fs);

    if (lv->size >= min)
        return 0;
    if (lv->rest)
        return ab_recipe_error(err, &rv->size_pos,
                               "volume '%s' gets %s (rest of disk '%s'), too small for %s: at least %s",
                               lv->name, size_format(lv->size, a, sizeof(a)), d->id,
                               fs_to_string(lv->fs), size_format(min, b, sizeof(b)));
    return ab_recipe_error(err, &rv->size_pos, "volume '%s' (%s) is too small for %s: at least %s",
                           lv->name, size_format(lv->requested, a, sizeof(a)),
                           fs_to_string(lv->fs), size_format(min, b, sizeof(b)));
}

/* Gives each fixed-size volume its extents, in recipe order. */
static int
allocate_fixed(struct plan_disk *d, const struct recipe_disk *rd, uint64_t *left,
               struct ab_error *err)
{
    char a[SIZE_BUF], b[SIZE_BUF];
    int ret = 0;

    for (size_t i = 0; i < d->vg.n_lvs; i++) {
        struct plan_lv *lv = &d->vg.lvs[i];
        if (lv->rest)
            continue;
        uint64_t need = extents_for(lv->requested);
        if (need > *left) {
            ret = ab_recipe_error(err, &rd->volumes[i].size_pos,
                                  "volume '%s' (%s) does not fit in disk '%s': %s left", lv->name,
                                  size_format(lv->requested, a, sizeof(a)), d->id,
                                  size_format_round(*left * d->vg.pe_size, b, sizeof(b)));
            continue;
        }
        lv->extents = need;
        lv->size = need * d->vg.pe_size;
        *left -= need;
    }
    return ret;
}

static int
allocate_rest(struct plan_disk *d, const struct recipe_disk *rd, uint64_t *left,
              struct ab_error *err)
{
    const struct recipe_volume *first = NULL;

    for (size_t i = 0; i < d->vg.n_lvs; i++) {
        struct plan_lv *lv = &d->vg.lvs[i];
        if (!lv->rest)
            continue;
        if (first)
            return ab_recipe_error(err, &rd->volumes[i].size_pos,
                                   "only one volume per disk may take the rest: '%s' already does",
                                   first->name);
        first = &rd->volumes[i];
        if (*left == 0)
            return ab_recipe_error(err, &rd->volumes[i].size_pos,
                                   "volume '%s' takes the rest of disk '%s', but nothing is left",
                                   lv->name, d->id);
        lv->extents = *left;
        lv->size = *left * d->vg.pe_size;
        *left = 0;
    }
    return 0;
}

static int
check_lv_names(const struct plan_disk *d, const struct recipe_disk *rd, struct ab_error *err)
{
    int ret = 0;
    for (size_t i = 0; i < d->vg.n_lvs; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(d->vg.lvs[i].name, d->vg.lvs[j].name) == 0) {
                ret = ab_recipe_error(err, &rd->volumes[i].name_pos,
                                      "volume name '%s' is used twice in disk '%s'",
                                      d->vg.lvs[i].name, d->id);
                break;
            }
        }
    }
    return ret;
}

/* The volume marked `grow: true`, at most one per disk, never against a
 * disk's `grow: false`; NULL with *ret -1 after reporting. */
static struct plan_lv *
marked_grow_lv(struct plan_disk *d, const struct recipe_disk *rd, int *ret, struct ab_error *err)
{
    struct plan_lv *marked = NULL;
    for (size_t i = 0; i < d->vg.n_lvs; i++) {
        const struct recipe_volume *rv = &rd->volumes[i];
        if (!rv->grow_set || !rv->grow)
            continue;
        if (rd->grow_set && !rd->grow)
            *ret = ab_recipe_error(err, &rv->grow_pos,
                                   "volume '%s' cannot grow: disk '%s' has 'grow: false'", rv->name,
                                   d->id);
        else if (marked)
            *ret = ab_recipe_error(err, &rv->grow_pos,
                                   "volume '%s' cannot grow: volume '%s' already grows with disk "
                                   "'%s' (at most one per disk)",
                                   rv->name, marked->name, d->id);
        else
            marked = &d->vg.lvs[i];
    }
    return marked;
}

/* Which volume takes the space of a grown disk: the one with `grow: true`,
 * else the `rest` volume unless it is swap or says `grow: false`. */
static int
resolve_grow(struct plan_disk *d, const struct recipe_disk *rd, struct ab_error *err)
{
    int ret = 0;
    struct plan_lv *lv = marked_grow_lv(d, rd, &ret, err);
    const char *why = "no volume takes the rest";

    d->vg.grow = lv ? PLAN_GROW_VOLUME : PLAN_GROW_NONE;
    for (size_t i = 0; !lv && i < d->vg.n_lvs; i++) {
        struct plan_lv *rest = &d->vg.lvs[i];
        if (!rest->rest)
            continue;
        if (rest->fs == FS_SWAP)
            why = "the volume that takes the rest is swap";
        else if (rd->volumes[i].grow_set)
            why = "the volume that takes the rest has 'grow: false'";
        else {
            lv = rest;
            d->vg.grow = PLAN_GROW_REST;
        }
    }
    d->vg.grow_why = why;
    if (rd->grow_set && !rd->grow) {
        d->vg.grow = PLAN_GROW_OFF;
        return ret;
    }
    if (!lv && rd->grow_set)
        return ab_recipe_error(err, &rd->grow_pos,
                               "disk '%s' cannot grow: %s (give one volume 'grow: true')", d->id,
                               why);
    if (lv) {
        lv->grows = true;
        d->vg.grow_lv = lv;
    }
    return ret;
}

static int
resolve_volumes(struct plan *plan, struct plan_disk *d, const struct recipe_disk *rd,
                struct ab_error *err)
{
    d->vg.lvs = calloc(rd->n_volumes, sizeof(*d->vg.lvs));
    if (!d->vg.lvs)
        return ab_oom(err);
    d->vg.n_lvs = rd->n_volumes;
    for (size_t i = 0; i < rd->n_volumes; i++) {
        const struct recipe_volume *rv = &rd->volumes[i];
        struct plan_lv *lv = &d->vg.lvs[i];
        lv->name = rv->name;
        lv->mount = rv->mount;
        lv->fs = rv->fs != FS_NONE ? rv->fs : plan_default_fs(plan->os.family);
        lv->requested = rv->size;
        lv->rest = rv->rest;
    }
    if (check_lv_names(d, rd, err) < 0)
        return -1;
    int grow_ret = resolve_grow(d, rd, err);

    uint64_t left = d->vg.extents;
    int ret = allocate_fixed(d, rd, &left, err);
    if (allocate_rest(d, rd, &left, err) < 0)
        ret = -1;
    d->vg.free_extents = left;
    if (ret < 0 || grow_ret < 0)
        return -1;
    uint64_t next = 0;
    for (size_t i = 0; i < d->vg.n_lvs; i++) {
        d->vg.lvs[i].first_extent = next;
        next += d->vg.lvs[i].extents;
    }
    for (size_t i = 0; i < d->vg.n_lvs; i++)
        if (!rd->volumes[i].incomplete && check_min_size(d, &rd->volumes[i], &d->vg.lvs[i], err) < 0)
            ret = -1;
    return ret;
}

const char *
plan_disk_name(enum plan_disk_id id)
{
    return id == PLAN_DISK_OS ? "os" : "app";
}

const char *
plan_default_vg(enum plan_disk_id id)
{
    return id == PLAN_DISK_OS ? "vg_os" : "vg_app";
}

int
plan_resolve_disk(struct plan *plan, enum plan_disk_id id, struct ab_error *err)
{
    const struct recipe_disk *rd = recipe_disk_of(plan, id);
    struct plan_disk *d = &plan->disks[id];

    d->id = plan_disk_name(id);
    d->size = rd->size;
    d->vg.name = rd->vg ? rd->vg : plan_default_vg(id);
    if (check_disk_size(plan, rd, d->id, err) < 0)
        return -1;
    if (layout_partitions(plan, id, rd, err) < 0)
        return -1;
    return resolve_volumes(plan, d, rd, err);
}

enum fs_type
plan_default_fs(enum distro_family family)
{
    return family == FAMILY_RHEL ? FS_XFS : FS_EXT4;
}
