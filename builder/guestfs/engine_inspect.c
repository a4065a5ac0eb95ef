/* engine_inspect.c: disk images read through one read-only libguestfs
 * appliance. Calls that find nothing (blkid on a device without a
 * signature) are not errors; calls that fail for any other reason are,
 * with libguestfs's own message. */
#include "appliance/engine_inspect.h"

#include <errno.h>
#include <guestfs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/clock.h"
#include "appliance/gpt.h"
#include "engine_handle.h"

/* An LVM physical volume blkid saw: LVM's own device names can be the
 * appliance kernel's (which may order the disks differently), so PVs are
 * named by matching their UUIDs with these. */
struct pv_seen {
    char uuid[64]; /* without dashes */
    char *device;
};

struct engine_inspect {
    guestfs_h *g;
    const struct inspect_drive *drives;
    size_t n_drives;
    struct pv_seen *pvs_seen;
    size_t n_pvs_seen;
    double launch_seconds;
};

static int
failed(struct engine_inspect *e, struct ab_error *err, const char *what)
{
    return engine_handle_failed(e->g, err, what);
}

/* A value of a key/value list (blkid's, inspection's), or NULL. */
static const char *
hash_get(char *const *h, const char *key)
{
    for (size_t i = 0; h && h[i] && h[i + 1]; i += 2)
        if (strcmp(h[i], key) == 0)
            return h[i + 1];
    return NULL;
}

static char *
dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* blkid -o export (which guestfs_blkid runs) escapes spaces and other
 * characters with a backslash: the value as it is, or NULL. */
static char *
dup_unescaped(const char *s)
{
    char *out = dup_or_null(s), *w = out;
    for (const char *r = out; r && *r; r++) {
        if (*r == '\\' && r[1])
            r++;
        *w++ = *r;
    }
    if (w)
        *w = '\0';
    return out;
}

struct engine_inspect *
engine_inspect_launch(const struct inspect_drive *drives, size_t n, bool use_kvm,
                      struct ab_error *err)
{
    struct engine_inspect *e = calloc(1, sizeof(*e));
    if (!e) {
        ab_oom(err);
        return NULL;
    }
    if (!(e->g = engine_handle_new(use_kvm, NULL, err))) {
        free(e);
        return NULL;
    }
    e->drives = drives;
    e->n_drives = n;
    double start = mono_now();
    for (size_t i = 0; i < n; i++) {
        /* A drive without its format would be probed by qemu: every
         * drive comes through image_check (image_check.h), which tells it. */
        if (!drives[i].format || !*drives[i].format) {
            ab_build_error(err, 0, "disk '%s' has no format: it was not checked", drives[i].name);
            engine_inspect_close(e, NULL);
            return NULL;
        }
        if (guestfs_add_drive_opts(e->g, drives[i].path, GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
                                   GUESTFS_ADD_DRIVE_OPTS_FORMAT, drives[i].format, -1) < 0) {
            failed(e, err, "cannot add a disk to the appliance");
            ab_error_prefix(err, "while adding '%s'", drives[i].name);
            engine_inspect_close(e, NULL);
            return NULL;
        }
    }
    if (guestfs_launch(e->g) < 0)
        goto fail;
    e->launch_seconds = mono_now() - start;
    return e;
fail:
    failed(e, err, "cannot launch the libguestfs appliance");
    engine_inspect_close(e, NULL);
    return NULL;
}

int
engine_inspect_close(struct engine_inspect *e, struct ab_error *err)
{
    int r = 0;
    if (!e)
        return 0;
    if (err && guestfs_shutdown(e->g) < 0)
        r = failed(e, err, "while shutting the appliance down");
    engine_handle_close(e->g);
    for (size_t i = 0; i < e->n_pvs_seen; i++)
        free(e->pvs_seen[i].device);
    free(e->pvs_seen);
    free(e);
    return r;
}

/* ---- partitions ---- */

/* blkid's view of dev; NULL (no error) when it finds no signature. */
static char **
blkid(struct engine_inspect *e, const char *dev)
{
    return guestfs_blkid(e->g, dev);
}

/* LVM's UUIDs with their dashes taken out, for comparing. */
static void
undash(const char *in, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && in[i] && o + 1 < size; i++)
        if (in[i] != '-')
            out[o++] = in[i];
    out[o] = '\0';
}

static int
note_pv(struct engine_inspect *e, const char *dev, const char *uuid, struct ab_error *err)
{
    struct pv_seen *grown = realloc(e->pvs_seen, (e->n_pvs_seen + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    e->pvs_seen = grown;
    struct pv_seen *p = &grown[e->n_pvs_seen];
    undash(uuid, strlen(uuid), p->uuid, sizeof(p->uuid));
    if (!(p->device = strdup(dev)))
        return ab_oom(err);
    e->n_pvs_seen++;
    return 0;
}

/* A filesystem (or swap) that blkid found on dev; a PV is noted instead. */
static int
add_fs(struct engine_inspect *e, struct inspect_guest *g, const char *dev, char *const *id,
       uint64_t size, struct ab_error *err)
{
    const char *type = hash_get(id, "TYPE");
    const char *uuid = hash_get(id, "UUID");
    if (type && uuid && strcmp(type, "LVM2_member") == 0)
        return note_pv(e, dev, uuid, err);
    if (!type)
        return 0;
    struct inspect_fs *grown = realloc(g->fss, (g->n_fss + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    g->fss = grown;
    struct inspect_fs *f = &grown[g->n_fss++];
    *f = (struct inspect_fs){strdup(dev),
                             strdup(type),
                             dup_unescaped(hash_get(id, "LABEL")),
                             dup_or_null(hash_get(id, "UUID")),
                             size,
                             -1};
    return f->device && f->type ? 0 : ab_oom(err);
}

/* A number from blkid's output, or 0. */
static uint64_t
hash_u64(char *const *h, const char *key)
{
    const char *v = hash_get(h, key);
    return v ? strtoull(v, NULL, 10) : 0;
}

/* A partition of d, from blkid's PART_ENTRY_* (in 512-byte sectors):
 * cheaper than part_list, which runs parted under emulation. */
static int
add_partition(struct engine_inspect *e, struct inspect_guest *g, struct inspect_disk *d,
              const char *dev, struct ab_error *err)
{
    struct inspect_part *grown = realloc(d->parts, (d->n_parts + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    d->parts = grown;
    struct inspect_part *p = &grown[d->n_parts++];
    *p = (struct inspect_part){0};
    if (!(p->device = strdup(dev)))
        return ab_oom(err);
    CLEANUP_STRV char **id = blkid(e, dev);
    p->number = (unsigned)hash_u64(id, "PART_ENTRY_NUMBER");
    p->start = hash_u64(id, "PART_ENTRY_OFFSET") * SECTOR;
    p->size = hash_u64(id, "PART_ENTRY_SIZE") * SECTOR;
    p->name = dup_unescaped(hash_get(id, "PART_ENTRY_NAME"));
    p->type = dup_or_null(hash_get(id, "PART_ENTRY_TYPE"));
    p->type_name = inspect_part_type_name(p->type);
    return add_fs(e, g, dev, id, p->size, err);
}

/* True if part ("/dev/sda1") is a partition of disk ("/dev/sda"). */
static bool
partition_of(const char *part, const char *disk)
{
    size_t n = strlen(disk);
    return strncmp(part, disk, n) == 0 && part[n] >= '0' && part[n] <= '9';
}

static int
read_disks(struct engine_inspect *e, struct inspect_guest *g, struct ab_error *err)
{
    CLEANUP_STRV char **devs = guestfs_list_devices(e->g);
    CLEANUP_STRV char **parts = devs ? guestfs_list_partitions(e->g) : NULL;
    if (!devs || !parts)
        return failed(e, err, "list_devices");
    g->disks = calloc(e->n_drives + 1, sizeof(*g->disks));
    if (!g->disks)
        return ab_oom(err);
    for (size_t i = 0; i < e->n_drives && devs[i]; i++) {
        struct inspect_disk *d = &g->disks[g->n_disks++];
        d->name = e->drives[i].name;
        d->format = e->drives[i].format;
        d->size = e->drives[i].size;
        if (!(d->device = strdup(devs[i])))
            return ab_oom(err);
        CLEANUP_STRV char **id = blkid(e, d->device);
        const char *pt = hash_get(id, "PTTYPE");
        if (pt && !(d->table = strdup(strcmp(pt, "dos") == 0 ? "msdos" : pt)))
            return ab_oom(err);
        if (!pt && add_fs(e, g, d->device, id, d->size, err) < 0)
            return -1;
        for (size_t p = 0; pt && parts[p]; p++)
            if (partition_of(parts[p], d->device) && add_partition(e, g, d, parts[p], err) < 0)
                return -1;
    }
    return 0;
}

/* ---- LVM ---- */

/* Which VG each PV is in: by UUID, as virt-filesystems' own column can
 * be wrong when there are two VGs (docs/design.md, Pitfalls). */
static int
assign_pvs(struct engine_inspect *e, struct inspect_guest *g, const struct guestfs_lvm_pv_list *pvs,
           struct ab_error *err)
{
    for (size_t v = 0; v < g->n_vgs; v++) {
        CLEANUP_STRV char **uuids = guestfs_vgpvuuids(e->g, g->vgs[v].name);
        if (!uuids)
            return failed(e, err, "vgpvuuids");
        for (size_t u = 0; uuids[u]; u++) {
            char want[64], have[64];
            undash(uuids[u], strlen(uuids[u]), want, sizeof(want));
            for (uint32_t p = 0; p < pvs->len; p++) {
                undash(pvs->val[p].pv_uuid, sizeof(pvs->val[p].pv_uuid), have, sizeof(have));
                if (strcmp(want, have) == 0 && !g->pvs[p].vg &&
                    !(g->pvs[p].vg = strdup(g->vgs[v].name)))
                    return ab_oom(err);
            }
        }
    }
    return 0;
}

static int
read_vgs(struct engine_inspect *e, struct inspect_guest *g, struct ab_error *err)
{
    struct guestfs_lvm_vg_list *vgs = guestfs_vgs_full(e->g);
    if (!vgs)
        return failed(e, err, "vgs");
    g->vgs = calloc(vgs->len + 1, sizeof(*g->vgs));
    int rc = g->vgs ? 0 : ab_oom(err);
    for (uint32_t i = 0; rc == 0 && i < vgs->len; i++) {
        struct inspect_vg *v = &g->vgs[g->n_vgs++];
        v->size = (uint64_t)vgs->val[i].vg_size;
        v->free = (uint64_t)vgs->val[i].vg_free;
        v->n_pvs = (unsigned)vgs->val[i].pv_count;
        v->n_lvs = (unsigned)vgs->val[i].lv_count;
        if (!(v->name = strdup(vgs->val[i].vg_name)))
            rc = ab_oom(err);
    }
    guestfs_free_lvm_vg_list(vgs);
    return rc;
}

/* The PV's device as libguestfs names it (/dev/sda3 for the first
 * drive's third partition), found by its UUID; else LVM's name. */
static const char *
pv_device(const struct engine_inspect *e, const struct guestfs_lvm_pv *pv)
{
    char uuid[64];
    undash(pv->pv_uuid, sizeof(pv->pv_uuid), uuid, sizeof(uuid));
    for (size_t i = 0; i < e->n_pvs_seen; i++)
        if (strcmp(e->pvs_seen[i].uuid, uuid) == 0)
            return e->pvs_seen[i].device;
    return pv->pv_name;
}

static int
read_pvs(struct engine_inspect *e, struct inspect_guest *g, struct ab_error *err)
{
    struct guestfs_lvm_pv_list *pvs = guestfs_pvs_full(e->g);
    if (!pvs)
        return failed(e, err, "pvs");
    g->pvs = calloc(pvs->len + 1, sizeof(*g->pvs));
    int rc = g->pvs ? 0 : ab_oom(err);
    for (uint32_t i = 0; rc == 0 && i < pvs->len; i++) {
        struct inspect_pv *p = &g->pvs[g->n_pvs++];
        p->size = pvs->val[i].pv_size;
        p->free = pvs->val[i].pv_free;
        if (!(p->device = strdup(pv_device(e, &pvs->val[i]))))
            rc = ab_oom(err);
    }
    if (rc == 0)
        rc = assign_pvs(e, g, pvs, err);
    guestfs_free_lvm_pv_list(pvs);
    return rc;
}

/* An LV's size from lvs_full, which does not say which VG an LV is in:
 * -1 unless exactly one LV has that name. */
static int64_t
lv_size(const struct guestfs_lvm_lv_list *full, const char *name)
{
    int64_t size = -1;
    for (uint32_t i = 0; i < full->len; i++) {
        if (strcmp(full->val[i].lv_name, name) != 0)
            continue;
        if (size >= 0)
            return -1;
        size = (int64_t)full->val[i].lv_size;
    }
    return size;
}

/* The LVs, with their sizes from lvs_full when their names are unique,
 * else asked for one by one. */
static int
read_lvs(struct engine_inspect *e, struct inspect_guest *g, struct ab_error *err)
{
    CLEANUP_STRV char **lvs = guestfs_lvs(e->g);
    struct guestfs_lvm_lv_list *full = lvs ? guestfs_lvs_full(e->g) : NULL;
    if (!lvs || !full)
        return failed(e, err, "lvs");
    size_t n = 0;
    while (lvs[n])
        n++;
    g->lvs = calloc(n + 1, sizeof(*g->lvs));
    int rc = g->lvs ? 0 : ab_oom(err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct inspect_lv *l = &g->lvs[g->n_lvs++];
        const char *vg = lvs[i] + (strncmp(lvs[i], "/dev/", 5) == 0 ? 5 : 0);
        const char *slash = strchr(vg, '/');
        l->device = strdup(lvs[i]);
        l->vg = slash ? strndup(vg, (size_t)(slash - vg)) : strdup(vg);
        l->name = strdup(slash ? slash + 1 : vg);
        if (!l->device || !l->vg || !l->name) {
            rc = ab_oom(err);
            break;
        }
        int64_t size = lv_size(full, l->name);
        if (size < 0)
            size = guestfs_blockdev_getsize64(e->g, l->device);
        if (size < 0)
            rc = failed(e, err, "blockdev_getsize64");
        l->size = (uint64_t)size;
        CLEANUP_STRV char **id = rc == 0 ? blkid(e, l->device) : NULL;
        if (rc == 0)
            rc = add_fs(e, g, l->device, id, l->size, err);
    }
    guestfs_free_lvm_lv_list(full);
    return rc;
}

/* ---- operating systems ---- */

static int
by_length(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    size_t lx = strlen(x[0]), ly = strlen(y[0]);
    return lx < ly ? -1 : lx > ly ? 1 : strcmp(x[0], y[0]);
}

/* The inspection's mount points as pairs, sorted so that parents come
 * before their children. */
static char **
mountpoints(struct engine_inspect *e, const char *root)
{
    char **m = guestfs_inspect_get_mountpoints(e->g, root);
    size_t n = 0;
    while (m && m[n] && m[n + 1])
        n += 2;
    if (m)
        qsort(m, n / 2, 2 * sizeof(char *), by_length);
    return m;
}

/* The paths of the mounted guest matching prefix + pattern, without the
 * prefix, NULL-terminated; NULL when out of memory. */
static char **
glob_names(struct engine_inspect *e, const char *prefix, const char *pattern)
{
    CLEANUP_FREE char *glob = NULL;
    if (asprintf(&glob, "%s%s", prefix, pattern) < 0)
        return NULL;
    CLEANUP_STRV char **paths = guestfs_glob_expand(e->g, glob);
    size_t n = 0;
    while (paths && paths[n])
        n++;
    char **names = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; names && i < n; i++)
        names[i] = strdup(paths[i] + strlen(prefix));
    return names;
}

/* Whether the OS carries appliance-grow, is set to start it, and which VGs
 * it knows the size of (the paths configure_grow.c writes). */
static void
read_grow(struct engine_inspect *e, struct inspect_os *os)
{
    os->grow_unit = guestfs_is_file(e->g, "/etc/systemd/system/appliance-grow.service") > 0 &&
                    guestfs_is_file(e->g, "/usr/libexec/appliance/appliance-grow") > 0;
    CLEANUP_STRV char **wants =
        guestfs_glob_expand(e->g, "/etc/systemd/system/*.wants/appliance-grow.service");
    os->grow_enabled = wants && wants[0];
    os->grow_vgs = glob_names(e, "/var/lib/appliance/grow/", "*");
}

/* The applications as "name\tversion\tarch" lines: the version put back
 * together from libguestfs's epoch, version and release as the package
 * database writes it (EPOCH:VERSION-RELEASE). A field holding a tab or a
 * line break (a hostile database) is cut there. */
static char *
package_lines(const struct guestfs_application2_list *apps)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    for (uint32_t i = 0; i < apps->len; i++) {
        const struct guestfs_application2 *a = &apps->val[i];
        const char *rel = a->app2_release ? a->app2_release : "";
        int n = (int)strcspn(a->app2_name, "\t\n");
        fprintf(out, "%.*s\t", n, a->app2_name);
        if (a->app2_epoch > 0)
            fprintf(out, "%d:", a->app2_epoch);
        fprintf(out, "%.*s%s%.*s\t%.*s\n", (int)strcspn(a->app2_version, "\t\n"),
                a->app2_version, rel[0] ? "-" : "", (int)strcspn(rel, "\t\n"), rel,
                (int)strcspn(a->app2_arch ? a->app2_arch : "", "\t\n"),
                a->app2_arch ? a->app2_arch : "");
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The identity a clone must not share: machine-id and SSH host keys. */
static void
read_identity(struct engine_inspect *e, struct inspect_os *os)
{
    const char *p = "/etc/machine-id";
    int64_t size = guestfs_is_file(e->g, p) > 0 ? guestfs_filesize(e->g, p) : -1;
    os->machine_id = size > 0                      ? MACHINE_ID_SET
                     : size == 0                   ? MACHINE_ID_EMPTY
                     : guestfs_exists(e->g, p) > 0 ? MACHINE_ID_UNKNOWN
                                                   : MACHINE_ID_ABSENT;
    os->host_keys = glob_names(e, "/etc/ssh/", "ssh_host_*");
}

/* Mounts the OS read-only to list its kernels and count its packages;
 * what cannot be mounted or read is left out, not an error. */
static void
read_os_files(struct engine_inspect *e, struct inspect_os *os)
{
    for (size_t i = 0; os->mounts && os->mounts[i] && os->mounts[i + 1]; i += 2)
        guestfs_mount_ro(e->g, os->mounts[i + 1], os->mounts[i]);
    os->kernels = glob_names(e, "/boot/vmlinuz-", "*");
    read_grow(e, os);
    read_identity(e, os);
    struct guestfs_application2_list *apps = guestfs_inspect_list_applications2(e->g, os->root);
    os->packages = apps ? (long)apps->len : -1;
    os->package_list = apps ? package_lines(apps) : NULL;
    if (apps)
        guestfs_free_application2_list(apps);
    guestfs_umount_all(e->g);
}

static int
read_oses(struct engine_inspect *e, struct inspect_guest *g, struct ab_error *err)
{
    CLEANUP_STRV char **roots = guestfs_inspect_os(e->g);
    if (!roots)
        return failed(e, err, "inspect_os");
    size_t n = 0;
    while (roots[n])
        n++;
    struct inspect_os *grown = realloc(g->oses, (g->n_oses + n + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    g->oses = grown;
    memset(grown + g->n_oses, 0, (n + 1) * sizeof(*grown));
    for (size_t i = 0; i < n; i++) {
        struct inspect_os *os = &g->oses[g->n_oses++];
        const char *r = roots[i];
        if (!(os->root = strdup(r)))
            return ab_oom(err);
        os->type = guestfs_inspect_get_type(e->g, r);
        os->distro = guestfs_inspect_get_distro(e->g, r);
        os->product = guestfs_inspect_get_product_name(e->g, r);
        os->hostname = guestfs_inspect_get_hostname(e->g, r);
        os->arch = guestfs_inspect_get_arch(e->g, r);
        os->package_format = guestfs_inspect_get_package_format(e->g, r);
        os->major = guestfs_inspect_get_major_version(e->g, r);
        os->minor = guestfs_inspect_get_minor_version(e->g, r);
        os->mounts = mountpoints(e, r);
        os->source = SOURCE_APPLIANCE;
        read_os_files(e, os);
    }
    return 0;
}

int
engine_inspect_read(struct engine_inspect *e, struct inspect_guest **out, struct ab_error *err)
{
    double start = mono_now();
    struct inspect_guest *g = calloc(1, sizeof(*g));
    if (!g)
        return ab_oom(err);
    g->source = SOURCE_APPLIANCE;
    g->launch_seconds = e->launch_seconds;
    if (read_disks(e, g, err) < 0 || read_vgs(e, g, err) < 0 || read_pvs(e, g, err) < 0 ||
        read_lvs(e, g, err) < 0 || read_oses(e, g, err) < 0) {
        ab_error_prefix(err, "while inspecting the disks");
        inspect_guest_free(g);
        return -1;
    }
    g->read_seconds = mono_now() - start;
    *out = g;
    return 0;
}

int
engine_inspect_read_oses(struct engine_inspect *e, struct inspect_guest *g, struct ab_error *err)
{
    double start = mono_now();
    g->launch_seconds = e->launch_seconds;
    if (read_oses(e, g, err) < 0) {
        ab_error_prefix(err, "while inspecting the operating systems");
        return -1;
    }
    g->read_seconds = mono_now() - start;
    return 0;
}
