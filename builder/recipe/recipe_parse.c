/* recipe_parse.c: recipe text -> struct recipe, with positions.
 *
 * One table of known keys per mapping of the format; each key has a small
 * parser that checks the value's type and form. Every problem is reported
 * and the walk goes on, so one run shows all the errors of a file. */
#include "appliance/recipe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/names.h"
#include "appliance/size.h"
#include "yaml_walk.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Reports "invalid WHAT 'text': why" at n when check() refuses text. */
static int
checked_string(struct yw *w, yaml_node_t *n, const char *what, size_t max,
               const char *(*check)(const char *), char **out)
{
    if (yw_string(w, n, what, max, out) < 0)
        return -1;
    const char *why = check ? check(*out) : NULL;
    if (!why)
        return 0;
    struct ab_pos pos = yw_pos(w, n);
    return ab_recipe_error(w->err, &pos, "invalid %s '%s': %s", what, *out, why);
}

/* A list (named list_what) of strings (each an item_what) each checked
 * by check(). */
static int
checked_list(struct yw *w, yaml_node_t *n, const char *list_what, const char *what, size_t max_len,
             const char *(*check)(const char *), char ***out)
{
    int ret = yw_string_list(w, n, list_what, max_len, out);
    if (ret < 0 || !check)
        return ret;
    yaml_node_item_t *item = n->data.sequence.items.start;
    for (char **s = *out; *s; s++, item++) {
        const char *why = check(*s);
        if (why) {
            struct ab_pos pos = yw_pos(w, yw_node(w, *item));
            ret = ab_recipe_error(w->err, &pos, "invalid %s '%s': %s", what, *s, why);
        }
    }
    return ret;
}

/* ---- top level ---------------------------------------------------------- */

static int
parse_format(struct yw *w, yaml_node_t *n, void *ctx)
{
    (void)ctx;
    uint64_t v;
    if (yw_uint(w, n, "'recipe'", 0, UINT64_MAX, &v) < 0)
        return -1;
    if (v != 1) {
        struct ab_pos pos = yw_pos(w, n);
        return ab_recipe_error(w->err, &pos,
                               "unsupported recipe format %llu: this appliance reads format 1",
                               (unsigned long long)v);
    }
    return 0;
}

static int
parse_name(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->name_pos = yw_pos(w, n);
    return checked_string(w, n, "name", 63, name_check_appliance, &r->name);
}

static int
parse_version(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    return checked_string(w, n, "version", 64, name_check_version, &r->version);
}

static int
parse_description(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    return yw_string(w, n, "'description'", 1024, &r->description);
}

static int
parse_vendor(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    return yw_string(w, n, "'vendor'", 256, &r->vendor);
}

/* Any single line: two builds of one recipe with different seeds get
 * different UUIDs (fsids.h, lvm_meta.h), the same seed the same ones. */
static int
parse_seed(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->seed_pos = yw_pos(w, n);
    return yw_string(w, n, "'seed'", 256, &r->seed);
}

/* ---- os ----------------------------------------------------------------- */

static int
parse_distro(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    int v;
    r->os.distro_pos = yw_pos(w, n);
    if (yw_enum(w, n, "distro", &distro_table, &v) < 0)
        return -1;
    r->os.distro = (enum distro)v;
    return 0;
}

static int
parse_rootfs(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->os.rootfs_pos = yw_pos(w, n);
    return checked_string(w, n, "rootfs path", PATH_MAX, path_check_relative_inside,
                          &r->os.rootfs);
}

static int
parse_mirror(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->os.mirror_pos = yw_pos(w, n);
    return checked_string(w, n, "mirror", 2048, name_check_mirror, &r->os.mirror);
}

static int
parse_packages(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->os.packages_pos = yw_pos(w, n);
    return checked_list(w, n, "'packages'", "package name", 200, name_check_package,
                        &r->os.packages);
}

static int
parse_hostname(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    return checked_string(w, n, "hostname", 253, name_check_hostname, &r->os.hostname);
}

static int
parse_timezone(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    return checked_string(w, n, "timezone", 64, name_check_timezone, &r->os.timezone);
}

static int
parse_locale(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    return checked_string(w, n, "locale", 64, name_check_locale, &r->os.locale);
}

static int
parse_cmdline(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    return yw_string(w, n, "'kernel_cmdline'", 2048, &r->os.kernel_cmdline);
}

static const struct yw_field os_fields[] = {
    {"distro", parse_distro, 0},         {"rootfs", parse_rootfs, 0},
    {"mirror", parse_mirror, 0},         {"packages", parse_packages, 0},
    {"hostname", parse_hostname, 0},     {"timezone", parse_timezone, 0},
    {"locale", parse_locale, 0},         {"kernel_cmdline", parse_cmdline, 0},
};

static int
parse_os(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->os_present = true;
    r->os.pos = yw_pos(w, n);
    return yw_mapping(w, n, "'os'", os_fields, N(os_fields), r);
}

/* ---- hardware ----------------------------------------------------------- */

static int
parse_cpus(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    uint64_t v;
    if (yw_uint(w, n, "'cpus'", 1, 128, &v) < 0)
        return -1;
    r->hardware.cpus = (unsigned)v;
    return 0;
}

static int
parse_memory(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    char buf[SIZE_BUF];
    r->hardware.memory_pos = yw_pos(w, n);
    if (yw_size(w, n, "memory size", false, &r->hardware.memory, NULL) < 0)
        return -1;
    if (r->hardware.memory < 256 * MiB)
        return ab_recipe_error(w->err, &r->hardware.memory_pos,
                               "memory (%s) must be at least 256MiB",
                               size_format(r->hardware.memory, buf, sizeof(buf)));
    if (r->hardware.memory > 4 * TiB)
        return ab_recipe_error(w->err, &r->hardware.memory_pos,
                               "memory (%s) must be at most 4TiB",
                               size_format(r->hardware.memory, buf, sizeof(buf)));
    if (r->hardware.memory % MiB)
        return ab_recipe_error(w->err, &r->hardware.memory_pos,
                               "memory (%s) must be a whole number of MiB",
                               size_format_exact(r->hardware.memory, buf, sizeof(buf)));
    return 0;
}

static int
parse_firmware(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    int v;
    if (yw_enum(w, n, "firmware", &firmware_table, &v) < 0)
        return -1;
    r->hardware.firmware = (enum firmware)v;
    return 0;
}

static int
parse_controller(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    int v;
    if (yw_enum(w, n, "controller", &controller_table, &v) < 0)
        return -1;
    r->hardware.controller = (enum controller)v;
    r->hardware.controller_set = true;
    return 0;
}

static int
parse_nics(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    uint64_t v;
    if (yw_uint(w, n, "'nics'", 0, 4, &v) < 0)
        return -1;
    r->hardware.nics = (int)v;
    return 0;
}

static int
parse_secure_boot(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    bool v;
    r->hardware.secure_boot_pos = yw_pos(w, n);
    if (yw_bool(w, n, "'secure_boot'", &v) < 0)
        return -1;
    r->hardware.secure_boot = v;
    return 0;
}

static const struct yw_field hardware_fields[] = {
    {"cpus", parse_cpus, 0},         {"memory", parse_memory, 0},
    {"firmware", parse_firmware, 0}, {"controller", parse_controller, 0},
    {"nics", parse_nics, 0},         {"secure_boot", parse_secure_boot, 0},
};

static int
parse_hardware(struct yw *w, yaml_node_t *n, void *ctx)
{
    return yw_mapping(w, n, "'hardware'", hardware_fields, N(hardware_fields), ctx);
}

/* ---- disks and volumes -------------------------------------------------- */

static int
parse_vol_name(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_volume *v = ctx;
    v->name_pos = yw_pos(w, n);
    return checked_string(w, n, "volume name", 127, name_check_lvm, &v->name);
}

static int
parse_vol_mount(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_volume *v = ctx;
    v->mount_pos = yw_pos(w, n);
    if (yw_string(w, n, "'mount'", 1024, &v->mount) < 0)
        return -1;
    const char *why = path_check_absolute(v->mount, 0);
    if (why)
        return ab_recipe_error(w->err, &v->mount_pos, "mount point '%s' %s", v->mount, why);
    return 0;
}

static int
parse_vol_size(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_volume *v = ctx;
    v->size_pos = yw_pos(w, n);
    if (yw_size(w, n, "volume size", true, &v->size, &v->rest) < 0)
        return -1;
    if (!v->rest && v->size == 0)
        return ab_recipe_error(w->err, &v->size_pos, "volume size must be positive");
    return 0;
}

static int
parse_vol_fs(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_volume *v = ctx;
    int fs;
    v->fs_pos = yw_pos(w, n);
    if (yw_enum(w, n, "filesystem", &fs_table, &fs) < 0)
        return -1;
    v->fs = (enum fs_type)fs;
    return 0;
}

static int
parse_vol_grow(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_volume *v = ctx;
    v->grow_pos = yw_pos(w, n);
    if (yw_bool(w, n, "'grow'", &v->grow) < 0)
        return -1;
    v->grow_set = true;
    return 0;
}

static const struct yw_field volume_fields[] = {
    {"name", parse_vol_name, YW_REQUIRED}, {"mount", parse_vol_mount, 0},
    {"size", parse_vol_size, YW_REQUIRED}, {"fs", parse_vol_fs, 0},
    {"grow", parse_vol_grow, 0},
};

/* Swap has no mount point; every other volume has one. */
static int
check_volume_mount(struct recipe_volume *v, struct ab_error *err)
{
    const char *name = v->name ? v->name : "?";
    if (v->fs == FS_SWAP && v->mount)
        return ab_recipe_error(err, &v->mount_pos, "swap volume '%s' cannot have a mount point",
                               name);
    if (v->fs != FS_SWAP && !v->mount)
        return ab_recipe_error(err, &v->pos,
                               "volume '%s' has no mount point (only swap volumes have none)",
                               name);
    if (v->fs == FS_SWAP && v->grow_set && v->grow)
        return ab_recipe_error(
            err, &v->grow_pos,
            "swap volume '%s' cannot grow: only a filesystem grows with its disk", name);
    return 0;
}

static int
parse_volumes(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_disk *d = ctx;
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    d->volumes_pos = yw_pos(w, n);
    if (yw_seq(w, n, "'volumes'", 256, &items, &count) < 0)
        return -1;
    if (count == 0)
        return ab_recipe_error(w->err, &d->volumes_pos, "'volumes' must list at least one volume");
    d->volumes = calloc(count, sizeof(*d->volumes));
    if (!d->volumes)
        return ab_oom(w->err);
    d->n_volumes = count;
    for (size_t i = 0; i < count; i++) {
        struct recipe_volume *v = &d->volumes[i];
        yaml_node_t *item = yw_node(w, items[i]);
        char where[64];
        snprintf(where, sizeof(where), "volume %zu of disk '%s'", i + 1, d->id);
        v->pos = yw_pos(w, item);
        size_t unknown = w->unknown_keys;
        if (yw_mapping(w, item, where, volume_fields, N(volume_fields), v) < 0) {
            ret = -1;
            /* A misspelt key or a bad fs: "no mount point" would follow from it. */
            bool bad_fs = v->fs_pos.line && v->fs == FS_NONE;
            if (!v->name || w->over_budget || w->unknown_keys != unknown || bad_fs)
                continue;
        }
        if (check_volume_mount(v, w->err) < 0)
            ret = -1;
    }
    return ret;
}

static int
parse_disk_size(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_disk *d = ctx;
    d->size_pos = yw_pos(w, n);
    return yw_size(w, n, "disk size", false, &d->size, NULL);
}

static int
parse_disk_vg(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_disk *d = ctx;
    d->vg_pos = yw_pos(w, n);
    return checked_string(w, n, "volume group name", 127, name_check_lvm, &d->vg);
}

static int
parse_disk_boot(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_disk *d = ctx;
    d->boot_pos = yw_pos(w, n);
    d->boot_set = true;
    return yw_size(w, n, "boot partition size", false, &d->boot, NULL);
}

static int
parse_disk_grow(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_disk *d = ctx;
    d->grow_pos = yw_pos(w, n);
    if (yw_bool(w, n, "'grow'", &d->grow) < 0)
        return -1;
    d->grow_set = true;
    return 0;
}

static const struct yw_field os_disk_fields[] = {
    {"size", parse_disk_size, YW_REQUIRED},
    {"vg", parse_disk_vg, 0},
    {"boot", parse_disk_boot, 0},
    {"grow", parse_disk_grow, 0},
    {"volumes", parse_volumes, YW_REQUIRED},
};

/* `boot` in disk 'app': reported by report_app_boot() at the key. */
static int
parse_app_boot(struct yw *w, yaml_node_t *n, void *ctx)
{
    (void)w, (void)n, (void)ctx;
    return -1;
}

/* Reports a `boot` key in disk 'app' where it stands, with the reason. */
static void
report_app_boot(struct yw *w, yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *key = yw_node(w, p->key);
        if (key->type == YAML_SCALAR_NODE && strcmp((char *)key->data.scalar.value, "boot") == 0) {
            struct ab_pos pos = yw_pos(w, key);
            ab_recipe_error(w->err, &pos,
                            "disk 'app' has no boot partition: 'boot' belongs in disk 'os'");
        }
    }
}

static const struct yw_field app_disk_fields[] = {
    {"size", parse_disk_size, YW_REQUIRED},
    {"vg", parse_disk_vg, 0},
    {"boot", parse_app_boot, 0},
    {"grow", parse_disk_grow, 0},
    {"volumes", parse_volumes, YW_REQUIRED},
};

static int
parse_os_disk(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->os_disk.id = "os";
    r->os_disk.present = true;
    r->os_disk.pos = yw_pos(w, n);
    return yw_mapping(w, n, "disk 'os'", os_disk_fields, N(os_disk_fields), &r->os_disk);
}

static int
parse_app_disk(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->app_disk.id = "app";
    r->app_disk.present = true;
    r->app_disk.pos = yw_pos(w, n);
    report_app_boot(w, n);
    return yw_mapping(w, n, "disk 'app'", app_disk_fields, N(app_disk_fields), &r->app_disk);
}

static const struct yw_field disks_fields[] = {
    {"os", parse_os_disk, YW_REQUIRED},
    {"app", parse_app_disk, YW_REQUIRED},
};

static int
parse_disks(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->disks_present = true;
    r->disks_pos = yw_pos(w, n);
    return yw_mapping(w, n, "'disks'", disks_fields, N(disks_fields), r);
}

/* ---- addons, users, files, run, outputs, ova ---------------------------- */

static int
parse_addons(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->addons_set = true;
    r->addons_pos = yw_pos(w, n);
    return yw_flag_list(w, n, "'addons'", &addon_table, &r->addons);
}

static int
parse_user_name(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_user *u = ctx;
    u->name_pos = yw_pos(w, n);
    return checked_string(w, n, "user name", 32, name_check_user, &u->name);
}

static int
parse_user_groups(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_user *u = ctx;
    return checked_list(w, n, "'groups'", "group name", 32, name_check_user, &u->groups);
}

static int
parse_user_password(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_user *u = ctx;
    if (yw_string(w, n, "'password_hash'", 512, &u->password_hash) < 0)
        return -1;
    const char *why = name_check_password_hash(u->password_hash);
    if (!why)
        return 0;
    /* Never echo the value: it may be a plain password. */
    struct ab_pos pos = yw_pos(w, n);
    return ab_recipe_error(w->err, &pos, "'password_hash' %s", why);
}

static int
parse_user_keys(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_user *u = ctx;
    int ret = yw_string_list(w, n, "'ssh_authorized_keys'", 16384, &u->ssh_authorized_keys);
    if (ret < 0)
        return ret;
    yaml_node_item_t *item = n->data.sequence.items.start;
    for (char **k = u->ssh_authorized_keys; *k; k++, item++) {
        const char *why = name_check_ssh_key(*k);
        if (why) {
            struct ab_pos pos = yw_pos(w, yw_node(w, *item));
            ret = ab_recipe_error(w->err, &pos, "SSH key %s", why);
        }
    }
    return ret;
}

static const struct yw_field user_fields[] = {
    {"name", parse_user_name, YW_REQUIRED},
    {"groups", parse_user_groups, 0},
    {"password_hash", parse_user_password, 0},
    {"ssh_authorized_keys", parse_user_keys, 0},
};

static int
parse_users(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    if (yw_seq(w, n, "'users'", 256, &items, &count) < 0)
        return -1;
    r->users = calloc(count ? count : 1, sizeof(*r->users));
    if (!r->users)
        return ab_oom(w->err);
    r->n_users = count;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yw_node(w, items[i]);
        char where[64];
        snprintf(where, sizeof(where), "user %zu", i + 1);
        r->users[i].pos = yw_pos(w, item);
        if (yw_mapping(w, item, where, user_fields, N(user_fields), &r->users[i]) < 0)
            ret = -1;
    }
    return ret;
}

static int
parse_file_src(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_file *f = ctx;
    f->src_pos = yw_pos(w, n);
    return checked_string(w, n, "source path", PATH_MAX, path_check_relative_inside, &f->src);
}

static int
parse_file_dest(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_file *f = ctx;
    f->dest_pos = yw_pos(w, n);
    if (yw_string(w, n, "'dest'", 1024, &f->dest) < 0)
        return -1;
    const char *why = path_check_absolute(f->dest, 1);
    if (why)
        return ab_recipe_error(w->err, &f->dest_pos, "destination '%s' %s", f->dest, why);
    return 0;
}

static int
parse_file_owner(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_file *f = ctx;
    return checked_string(w, n, "owner", 65, name_check_owner, &f->owner);
}

static int
parse_file_mode(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe_file *f = ctx;
    const char *text;
    if (yw_scalar(w, n, "'mode'", &text) < 0)
        return -1;
    f->mode = mode_parse(text);
    if (f->mode >= 0)
        return 0;
    struct ab_pos pos = yw_pos(w, n);
    return ab_recipe_error(w->err, &pos, "invalid mode '%s': expected octal such as \"0644\"",
                           text);
}

static const struct yw_field file_fields[] = {
    {"src", parse_file_src, YW_REQUIRED},
    {"dest", parse_file_dest, YW_REQUIRED},
    {"owner", parse_file_owner, 0},
    {"mode", parse_file_mode, 0},
};

static int
parse_files(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    if (yw_seq(w, n, "'files'", 1024, &items, &count) < 0)
        return -1;
    r->files = calloc(count ? count : 1, sizeof(*r->files));
    if (!r->files)
        return ab_oom(w->err);
    r->n_files = count;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yw_node(w, items[i]);
        char where[64];
        snprintf(where, sizeof(where), "file %zu", i + 1);
        r->files[i].pos = yw_pos(w, item);
        r->files[i].mode = -1;
        if (yw_mapping(w, item, where, file_fields, N(file_fields), &r->files[i]) < 0)
            ret = -1;
    }
    return ret;
}

static int
parse_run(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    if (yw_seq(w, n, "'run'", 1024, &items, &count) < 0)
        return -1;
    char **v = calloc(count + 1, sizeof(*v));
    if (!v)
        return ab_oom(w->err);
    for (size_t i = 0; i < count; i++) {
        const char *text;
        char what[64];
        snprintf(what, sizeof(what), "run line %zu", i + 1);
        yaml_node_t *item = yw_node(w, items[i]);
        if (yw_scalar(w, item, what, &text) < 0)
            ret = -1;
        else if (text[strspn(text, " \t\n")] == '\0') {
            struct ab_pos pos = yw_pos(w, item);
            ret = ab_recipe_error(w->err, &pos, "%s is blank", what);
        } else if (!(v[i] = strdup(text)))
            ret = ab_oom(w->err);
        if (!v[i] && !(v[i] = strdup("")))
            ret = -1;
    }
    ab_strv_free(r->run);
    r->run = v;
    return ret;
}

static int
parse_outputs(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->outputs_set = true;
    r->outputs_pos = yw_pos(w, n);
    return yw_flag_list(w, n, "'outputs'", &output_table, &r->outputs);
}

static int
parse_ova_digest(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    int v;
    if (yw_enum(w, n, "digest", &digest_table, &v) < 0)
        return -1;
    r->ova_digest = (enum digest)v;
    r->ova_digest_set = true;
    r->ova_digest_pos = yw_pos(w, n);
    return 0;
}

static int
parse_ova_target(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    int v;
    if (yw_enum(w, n, "target", &ova_target_table, &v) < 0)
        return -1;
    r->ova_target = (enum ova_target)v;
    r->ova_target_pos = yw_pos(w, n);
    return 0;
}

static int
parse_ova_family(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->ova_hardware_family_pos = yw_pos(w, n);
    return checked_string(w, n, "hardware_family", 16, name_check_hardware_family,
                          &r->ova_hardware_family);
}

static const struct yw_field ova_fields[] = {
    {"digest", parse_ova_digest, 0},
    {"hardware_family", parse_ova_family, 0},
    {"target", parse_ova_target, 0},
};

static int
parse_ova(struct yw *w, yaml_node_t *n, void *ctx)
{
    return yw_mapping(w, n, "'ova'", ova_fields, N(ova_fields), ctx);
}

/* cloud-init in the image: on by default with the azure or gce outputs. */
static int
parse_cloud(struct yw *w, yaml_node_t *n, void *ctx)
{
    struct recipe *r = ctx;
    r->cloud_pos = yw_pos(w, n);
    if (yw_bool(w, n, "'cloud'", &r->cloud) < 0)
        return -1;
    r->cloud_set = true;
    return 0;
}

static const struct yw_field top_fields[] = {
    {"recipe", parse_format, YW_REQUIRED},
    {"name", parse_name, YW_REQUIRED},
    {"version", parse_version, YW_REQUIRED},
    {"description", parse_description, 0},
    {"vendor", parse_vendor, 0},
    {"seed", parse_seed, 0},
    {"os", parse_os, YW_REQUIRED},
    {"hardware", parse_hardware, 0},
    {"disks", parse_disks, YW_REQUIRED},
    {"addons", parse_addons, 0},
    {"users", parse_users, 0},
    {"files", parse_files, 0},
    {"run", parse_run, 0},
    {"outputs", parse_outputs, 0},
    {"cloud", parse_cloud, 0},
    {"ova", parse_ova, 0},
};

/* ---- entry points ------------------------------------------------------- */

static struct recipe *
recipe_new(const char *path)
{
    struct recipe *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->path = strdup(path);
    r->hardware.nics = -1;
    r->hardware.secure_boot = -1;
    r->ova_digest = DIGEST_SHA256;
    r->pos = (struct ab_pos){r->path, 1, 1};
    return r;
}

/* The absolute folder of the recipe file, for its relative paths. */
static char *
recipe_folder(const char *path)
{
    CLEANUP_FREE char *copy = strdup(path);
    if (!copy)
        return NULL;
    char *slash = strrchr(copy, '/');
    const char *dir = ".";
    if (slash == copy)
        dir = "/";
    else if (slash) {
        *slash = '\0';
        dir = copy;
    }
    return realpath(dir, NULL);
}

struct recipe *
recipe_parse_buffer(const char *path, const char *text, size_t len, struct ab_error *err)
{
    struct recipe *r = recipe_new(path);
    struct yw w;

    if (!r || !r->path) {
        recipe_free(r);
        ab_oom(err);
        return NULL;
    }
    r->dir = recipe_folder(path);
    if (yw_load(&w, r->path, text, len, err) < 0) {
        yw_release(&w);
        recipe_free(r);
        return NULL;
    }
    w.max_visits = RECIPE_MAX_NODES;
    w.max_scalar = RECIPE_MAX_SCALAR;
    int ret = yw_mapping(&w, yw_root(&w), NULL, top_fields, N(top_fields), r);
    yw_release(&w);
    if (ret < 0 || ab_error_is_set(err)) {
        recipe_free(r);
        return NULL;
    }
    return r;
}

/* Reads at most RECIPE_MAX_FILE_BYTES of path into *text. */
static int
read_recipe_file(const char *path, char **text, size_t *len, struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct ab_pos pos = {path, 0, 0};
    struct stat st;

    if (fd < 0 || fstat(fd, &st) < 0)
        return ab_error_set(err, AB_E_RECIPE, errno, &pos, "cannot read recipe: %s",
                            strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ab_error_set(err, AB_E_RECIPE, 0, &pos, "recipe is not a regular file");
    if (st.st_size > RECIPE_MAX_FILE_BYTES)
        return ab_error_set(err, AB_E_RECIPE, 0, &pos,
                            "recipe is too large (%lld bytes, at most %d)",
                            (long long)st.st_size, RECIPE_MAX_FILE_BYTES);
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return ab_oom(err);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            free(buf);
            return ab_error_set(err, AB_E_RECIPE, errno, &pos, "cannot read recipe: %s",
                                r < 0 ? strerror(errno) : "file shrank while reading");
        }
        got += (size_t)r;
    }
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return 0;
}

struct recipe *
recipe_parse(const char *path, struct ab_error *err)
{
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;

    if (read_recipe_file(path, &text, &len, err) < 0)
        return NULL;
    return recipe_parse_buffer(path, text, len, err);
}

bool
recipe_user_password_set(const struct recipe_user *u)
{
    return u->password_hash && strcmp(u->password_hash, "!") != 0 &&
           strcmp(u->password_hash, "*") != 0;
}

void
recipe_free(struct recipe *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->dir);
    free(r->name);
    free(r->version);
    free(r->description);
    free(r->vendor);
    free(r->seed);
    free(r->os.rootfs);
    free(r->os.mirror);
    ab_strv_free(r->os.packages);
    free(r->os.hostname);
    free(r->os.timezone);
    free(r->os.locale);
    free(r->os.kernel_cmdline);
    struct recipe_disk *disks[] = {&r->os_disk, &r->app_disk};
    for (size_t d = 0; d < 2; d++) {
        free(disks[d]->vg);
        for (size_t i = 0; i < disks[d]->n_volumes; i++) {
            free(disks[d]->volumes[i].name);
            free(disks[d]->volumes[i].mount);
        }
        free(disks[d]->volumes);
    }
    for (size_t i = 0; i < r->n_users; i++) {
        free(r->users[i].name);
        ab_strv_free(r->users[i].groups);
        free(r->users[i].password_hash);
        ab_strv_free(r->users[i].ssh_authorized_keys);
    }
    free(r->users);
    for (size_t i = 0; i < r->n_files; i++) {
        free(r->files[i].src);
        free(r->files[i].dest);
        free(r->files[i].owner);
    }
    free(r->files);
    ab_strv_free(r->run);
    free(r->ova_hardware_family);
    free(r);
}
