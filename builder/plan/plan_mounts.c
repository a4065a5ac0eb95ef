/* plan_mounts.c: mount point rules across both disks, and mount order. */
#include "plan_resolve.h"

#include <stdlib.h>
#include <string.h>

/* Kernel API filesystems: nothing from a disk may be mounted there. */
static const char *const api_mounts[] = {"/proc", "/sys", "/dev", "/run"};

/* /etc holds the fstab that mounts every volume, so it is read before
 * any is mounted; the others are symbolic links into /usr on every
 * distribution this builder installs (merged /usr): a volume mounted at
 * or under one of them hides what the system boots with. */
static const char *const system_mounts[] = {"/etc",   "/bin",   "/sbin",  "/lib",
                                             "/lib32", "/lib64", "/libx32"};

static bool
is_under(const char *path, const char *dir)
{
    size_t l = strlen(dir);
    return strncmp(path, dir, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

static const struct recipe_volume *
recipe_volume_of(const struct plan *plan, enum plan_disk_id id, size_t i)
{
    const struct recipe_disk *rd = id == PLAN_DISK_OS ? &plan->recipe->os_disk
                                                      : &plan->recipe->app_disk;
    return &rd->volumes[i];
}

static int
check_reserved(const struct plan_lv *lv, const struct recipe_volume *rv, struct ab_error *err)
{
    for (size_t i = 0; i < sizeof(api_mounts) / sizeof(api_mounts[0]); i++)
        if (is_under(lv->mount, api_mounts[i]))
            return ab_recipe_error(err, &rv->mount_pos,
                                   "mount point '%s' is reserved for the kernel's %s", lv->mount,
                                   api_mounts[i]);
    for (size_t i = 0; i < sizeof(system_mounts) / sizeof(system_mounts[0]); i++)
        if (is_under(lv->mount, system_mounts[i]))
            return ab_recipe_error(err, &rv->mount_pos,
                                   "mount point '%s' is at or under '%s', which the system "
                                   "needs before any volume is mounted: keep it on the root "
                                   "filesystem",
                                   lv->mount, system_mounts[i]);
    if (is_under(lv->mount, "/boot"))
        return ab_recipe_error(err, &rv->mount_pos,
                               "mount point '%s' is taken by the boot partition: volumes cannot "
                               "be mounted at or under '/boot'",
                               lv->mount);
    return 0;
}

/* Checks one volume's mount point against the rules and those before it. */
static int
check_lv_mount(const struct plan *plan, enum plan_disk_id id, size_t i, struct ab_error *err)
{
    const struct plan_lv *lv = &plan->disks[id].vg.lvs[i];
    const struct recipe_volume *rv = recipe_volume_of(plan, id, i);

    if (check_reserved(lv, rv, err) < 0)
        return -1;
    if (id == PLAN_DISK_APP && strcmp(lv->mount, "/") == 0)
        return ab_recipe_error(err, &rv->mount_pos, "the root filesystem '/' must be on disk 'os'");
    if (id == PLAN_DISK_APP && strcmp(lv->mount, "/usr") == 0)
        return ab_recipe_error(err, &rv->mount_pos,
                               "'/usr' must be on disk 'os': it holds the system's programs, "
                               "and disk 'app' is replaced on its own");
    for (int pd = PLAN_DISK_OS; pd <= (int)id; pd++) {
        const struct plan_disk *d = &plan->disks[pd];
        size_t n = pd == (int)id ? i : d->vg.n_lvs;
        for (size_t j = 0; j < n; j++) {
            const struct plan_lv *other = &d->vg.lvs[j];
            if (other->mount && strcmp(other->mount, lv->mount) == 0)
                return ab_recipe_error(err, &rv->mount_pos,
                                       "mount point '%s' is used twice: volume '%s' of disk '%s' "
                                       "has it already",
                                       lv->mount, other->name, d->id);
        }
    }
    return 0;
}

static int
check_root(const struct plan *plan, struct ab_error *err)
{
    const struct plan_disk *d = &plan->disks[PLAN_DISK_OS];
    for (size_t i = 0; i < d->vg.n_lvs; i++)
        if ((d->vg.lvs[i].mount && strcmp(d->vg.lvs[i].mount, "/") == 0) ||
            plan->recipe->os_disk.volumes[i].incomplete)
            return 0; /* an unknown key of an incomplete volume may have meant it */
    return ab_recipe_error(err, &plan->recipe->os_disk.volumes_pos,
                           "disk 'os' has no volume mounted at '/'");
}

static unsigned
depth(const char *path)
{
    unsigned n = 0;
    if (strcmp(path, "/") == 0)
        return 0;
    for (; *path; path++)
        n += *path == '/';
    return n;
}

static int
mount_cmp(const void *a, const void *b)
{
    const struct plan_mount *x = a, *y = b;
    unsigned dx = depth(x->path), dy = depth(y->path);
    if (dx != dy)
        return dx < dy ? -1 : 1;
    return strcmp(x->path, y->path);
}

static void
set_fstab_fields(struct plan_mount *m)
{
    switch (m->fs) {
    case FS_EXT4:
        m->options = "defaults";
        m->passno = strcmp(m->path, "/") == 0 ? 1 : 2;
        break;
    case FS_VFAT:
        m->options = "umask=0077";
        m->passno = 2;
        break;
    case FS_XFS:
    case FS_SWAP:
    case FS_NONE:
        m->options = "defaults";
        m->passno = 0;
        break;
    }
}

static void
collect_mounts(struct plan *plan)
{
    for (int id = PLAN_DISK_OS; id < PLAN_N_DISKS; id++) {
        const struct plan_disk *d = &plan->disks[id];
        for (size_t i = 0; i < d->n_parts; i++) {
            if (!d->parts[i].mount)
                continue;
            struct plan_mount *m = &plan->mounts[plan->n_mounts++];
            *m = (struct plan_mount){d->parts[i].mount, d->parts[i].fs, (enum plan_disk_id)id,
                                     NULL, &d->parts[i], NULL, 0};
            set_fstab_fields(m);
        }
        for (size_t i = 0; i < d->vg.n_lvs; i++) {
            if (!d->vg.lvs[i].mount)
                continue;
            struct plan_mount *m = &plan->mounts[plan->n_mounts++];
            *m = (struct plan_mount){d->vg.lvs[i].mount, d->vg.lvs[i].fs, (enum plan_disk_id)id,
                                     &d->vg.lvs[i], NULL, NULL, 0};
            set_fstab_fields(m);
        }
    }
    qsort(plan->mounts, plan->n_mounts, sizeof(*plan->mounts), mount_cmp);
}

int
plan_resolve_mounts(struct plan *plan, struct ab_error *err)
{
    int ret = 0;
    size_t total = 0;

    for (int id = PLAN_DISK_OS; id < PLAN_N_DISKS; id++) {
        const struct plan_disk *d = &plan->disks[id];
        total += d->n_parts + d->vg.n_lvs;
        for (size_t i = 0; i < d->vg.n_lvs; i++)
            if (d->vg.lvs[i].mount && check_lv_mount(plan, (enum plan_disk_id)id, i, err) < 0)
                ret = -1;
    }
    if (check_root(plan, err) < 0)
        ret = -1;
    if (ret < 0)
        return -1;
    plan->mounts = calloc(total ? total : 1, sizeof(*plan->mounts));
    if (!plan->mounts)
        return ab_oom(err);
    collect_mounts(plan);
    return 0;
}
