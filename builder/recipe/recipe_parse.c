/* recipe_parse.c: recipe text -> struct recipe, with positions.
 *
 * The recipe's keys are one table (below, "the key table"), a row per key
 * in the manner of systemd's conf-parser tables: its type, the place of
 * its value, its bounds, names and form, its default and one line of
 * documentation. yw_mapping() walks a mapping against its rows; most rows
 * name a generic parser (yaml_keys.c), and the keys that check more have
 * a parser of their own, above the table, that reads the same row. The
 * man page's key list and the JSON Schema are written from the table too
 * (recipe_doc.c). Every problem is reported and the walk goes on, so one
 * run shows all the errors of a file. */
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
#include "recipe_keys.h"
#include "recipe_params.h"
#include "yaml_walk.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* clang-format off */
#define KEYS(a) {(a), N(a)}
/* clang-format on */

/* The place of a member: R for the recipe, D a disk, V a volume, U a
 * user, F a file. */
#define R(m) .at = YW_AT(struct recipe, m), .size = YW_SIZEOF(struct recipe, m)
#define R_POS(m) .pos_at = YW_AT(struct recipe, m)
#define R_SET(m) .set_at = YW_AT(struct recipe, m)
#define D(m) .at = YW_AT(struct recipe_disk, m), .size = YW_SIZEOF(struct recipe_disk, m)
#define D_POS(m) .pos_at = YW_AT(struct recipe_disk, m)
#define D_SET(m) .set_at = YW_AT(struct recipe_disk, m)
#define V(m) .at = YW_AT(struct recipe_volume, m), .size = YW_SIZEOF(struct recipe_volume, m)
#define V_POS(m) .pos_at = YW_AT(struct recipe_volume, m)
#define V_SET(m) .set_at = YW_AT(struct recipe_volume, m)
#define U(m) .at = YW_AT(struct recipe_user, m), .size = YW_SIZEOF(struct recipe_user, m)
#define U_POS(m) .pos_at = YW_AT(struct recipe_user, m)
#define F(m) .at = YW_AT(struct recipe_file, m), .size = YW_SIZEOF(struct recipe_file, m)
#define F_POS(m) .pos_at = YW_AT(struct recipe_file, m)

/* One line of text, for the schema of free-text keys. */
#define ONE_LINE "^[^\\r\\n]*$"

/* ---- the keys whose parsers check more than their row says --------------- */

static int
parse_format(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    (void)ctx;
    uint64_t v;
    if (yw_uint(w, n, f->what, 0, UINT64_MAX, &v) < 0)
        return -1;
    if (v < f->min || v > f->max) {
        struct ab_pos pos = yw_pos(w, n);
        return ab_recipe_error(w->err, &pos,
                               "unsupported recipe format %llu: this appliance reads format %llu",
                               (unsigned long long)v, (unsigned long long)f->max);
    }
    return 0;
}

static int
parse_memory(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct recipe *r = ctx;
    char buf[SIZE_BUF], bound[SIZE_BUF];
    r->hardware.memory_pos = yw_pos(w, n);
    if (yw_size(w, n, f->what, false, &r->hardware.memory, NULL) < 0)
        return -1;
    uint64_t m = r->hardware.memory;
    r->hardware.memory = 0; /* until it is judged: a refused one is not given */
    if (m < f->min)
        return ab_recipe_error(w->err, &r->hardware.memory_pos, "memory (%s) must be at least %s",
                               size_format(m, buf, sizeof(buf)),
                               size_format(f->min, bound, sizeof(bound)));
    if (m > f->max)
        return ab_recipe_error(w->err, &r->hardware.memory_pos, "memory (%s) must be at most %s",
                               size_format(m, buf, sizeof(buf)),
                               size_format(f->max, bound, sizeof(bound)));
    if (m % MiB)
        return ab_recipe_error(w->err, &r->hardware.memory_pos,
                               "memory (%s) must be a whole number of MiB",
                               size_format_exact(m, buf, sizeof(buf)));
    r->hardware.memory = m;
    return 0;
}

/* A string, then an absolute path: "WHAT 'text' why". */
static int
absolute_path(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx, const char *what,
              int allow_trailing_slash)
{
    char **out = (char **)((char *)ctx + f->at - 1);
    struct ab_pos *pos = (struct ab_pos *)((char *)ctx + f->pos_at - 1);
    *pos = yw_pos(w, n);
    if (yw_string(w, n, f->what, (size_t)f->max, out) < 0)
        return -1;
    const char *why = path_check_absolute(*out, allow_trailing_slash);
    if (!why)
        return 0;
    ab_recipe_error(w->err, pos, "%s '%s' %s", what, *out, why);
    free(*out); /* not given: nothing is judged by a refused path */
    *out = NULL;
    return -1;
}

static int
parse_vol_mount(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    return absolute_path(w, n, f, ctx, "mount point", 0);
}

static int
parse_file_dest(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    return absolute_path(w, n, f, ctx, "destination", 1);
}

static int
parse_vol_size(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct recipe_volume *v = ctx;
    v->size_pos = yw_pos(w, n);
    if (yw_size(w, n, f->what, true, &v->size, &v->rest) < 0)
        return -1;
    if (!v->rest && v->size == 0)
        return ab_recipe_error(w->err, &v->size_pos, "volume size must be positive");
    return 0;
}

/* Swap has no mount point; every other volume has one. */
static int
check_volume_mount(struct recipe_volume *v, struct ab_error *err)
{
    const char *name = v->name ? v->name : "?";
    if (v->fs == FS_SWAP && v->mount)
        return ab_recipe_error(err, &v->mount_pos, "swap volume '%s' cannot have a mount point",
                               name);
    if (v->fs != FS_SWAP && !v->mount)
        return ab_recipe_error(
            err, &v->pos, "volume '%s' has no mount point (only swap volumes have none)", name);
    if (v->fs == FS_SWAP && v->grow_set && v->grow)
        return ab_recipe_error(
            err, &v->grow_pos,
            "swap volume '%s' cannot grow: only a filesystem grows with its disk", name);
    return 0;
}

/* Checks n is a list of f->min to f->max mappings; *items gets them and
 * *array room for their count (at least one). */
static int
mapping_list(struct yw *w, yaml_node_t *n, const struct yw_field *f, size_t item_size,
             yaml_node_item_t **items, size_t *count, void **array)
{
    if (yw_seq(w, n, f->what, (size_t)f->max, items, count) < 0)
        return -1;
    if (*count < f->min) {
        struct ab_pos pos = yw_pos(w, n);
        return ab_recipe_error(w->err, &pos, "%s must list at least one volume", f->what);
    }
    *array = calloc(*count ? *count : 1, item_size);
    return *array ? 0 : ab_oom(w->err);
}

static int
parse_volumes(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct recipe_disk *d = ctx;
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    d->volumes_pos = yw_pos(w, n);
    if (mapping_list(w, n, f, sizeof(*d->volumes), &items, &count, (void **)&d->volumes) < 0)
        return -1;
    d->n_volumes = count;
    for (size_t i = 0; i < count; i++) {
        struct recipe_volume *v = &d->volumes[i];
        yaml_node_t *item = yw_node(w, items[i]);
        char where[64];
        snprintf(where, sizeof(where), "volume %zu of disk '%s'", i + 1, d->id);
        v->pos = yw_pos(w, item);
        size_t unknown = w->unknown_keys;
        if (yw_mapping(w, item, where, f->sub->v, f->sub->n, v) < 0) {
            ret = -1;
            /* A misspelt key, a bad fs or mount: "no mount point" would
             * follow from it. */
            bool bad_fs = v->fs_pos.line && v->fs == FS_NONE;
            bool bad_mount = v->mount_pos.line && !v->mount;
            v->incomplete = w->unknown_keys != unknown;
            if (!v->name || w->over_budget || v->incomplete || bad_fs || bad_mount)
                continue;
        }
        if (check_volume_mount(v, w->err) < 0)
            ret = -1;
    }
    return ret;
}

/* `boot` in disk 'app': reported by report_app_boot() at the key. */
static int
parse_app_boot(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    (void)w, (void)n, (void)f, (void)ctx;
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

static int
parse_app_disk(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    report_app_boot(w, n);
    return yw_key_mapping(w, n, f, ctx);
}

static int
parse_user_password(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct recipe_user *u = ctx;
    u->password_hash_pos = yw_pos(w, n);
    if (yw_string(w, n, f->what, (size_t)f->max, &u->password_hash) < 0)
        return -1;
    const char *why = name_check_password_hash(u->password_hash);
    if (!why)
        return 0;
    /* Never echo the value: it may be a plain password; nor keep it. */
    struct ab_pos pos = yw_pos(w, n);
    ab_recipe_error(w->err, &pos, "%s %s", f->what, why);
    free(u->password_hash);
    u->password_hash = NULL;
    return -1;
}

static int
parse_user_keys(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct recipe_user *u = ctx;
    int ret = yw_string_list(w, n, f->what, (size_t)f->max, &u->ssh_authorized_keys);
    if (ret < 0)
        return ret;
    yaml_node_item_t *item = n->data.sequence.items.start;
    size_t count = (size_t)(n->data.sequence.items.top - item);
    free(u->ssh_key_pos);
    if (!(u->ssh_key_pos = calloc(count ? count : 1, sizeof(*u->ssh_key_pos))))
        return ab_oom(w->err);
    for (char **k = u->ssh_authorized_keys; *k; k++, item++) {
        const char *why = name_check_ssh_key(*k);
        struct ab_pos pos = yw_pos(w, yw_node(w, *item));
        u->ssh_key_pos[k - u->ssh_authorized_keys] = pos;
        if (why)
            ret = ab_recipe_error(w->err, &pos, "%s %s", f->item, why);
    }
    return ret;
}

static int
parse_users(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct recipe *r = ctx;
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    if (mapping_list(w, n, f, sizeof(*r->users), &items, &count, (void **)&r->users) < 0)
        return -1;
    r->n_users = count;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yw_node(w, items[i]);
        char where[64];
        snprintf(where, sizeof(where), "user %zu", i + 1);
        r->users[i].pos = yw_pos(w, item);
        if (yw_mapping(w, item, where, f->sub->v, f->sub->n, &r->users[i]) < 0)
            ret = -1;
    }
    return ret;
}

static int
parse_file_mode(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct recipe_file *file = ctx;
    const char *text;
    if (yw_scalar(w, n, f->what, &text) < 0)
        return -1;
    file->mode = mode_parse(text);
    if (file->mode >= 0)
        return 0;
    struct ab_pos pos = yw_pos(w, n);
    return ab_recipe_error(w->err, &pos, "invalid mode '%s': expected octal such as \"0644\"",
                           text);
}

static int
parse_files(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct recipe *r = ctx;
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    if (mapping_list(w, n, f, sizeof(*r->files), &items, &count, (void **)&r->files) < 0)
        return -1;
    r->n_files = count;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yw_node(w, items[i]);
        char where[64];
        snprintf(where, sizeof(where), "file %zu", i + 1);
        r->files[i].pos = yw_pos(w, item);
        r->files[i].mode = -1;
        if (yw_mapping(w, item, where, f->sub->v, f->sub->n, &r->files[i]) < 0)
            ret = -1;
    }
    return ret;
}

static int
parse_run(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct recipe *r = ctx;
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    if (yw_seq(w, n, f->what, (size_t)f->max, &items, &count) < 0)
        return -1;
    char **v = calloc(count + 1, sizeof(*v));
    struct ab_pos *pos_of = calloc(count + 1, sizeof(*pos_of));
    if (!v || !pos_of) {
        free(v);
        free(pos_of);
        return ab_oom(w->err);
    }
    free(r->run_pos);
    r->run_pos = pos_of;
    for (size_t i = 0; i < count; i++) {
        const char *text;
        char what[64];
        snprintf(what, sizeof(what), "run line %zu", i + 1);
        yaml_node_t *item = yw_node(w, items[i]);
        pos_of[i] = yw_pos(w, item);
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

/* ---- the key table ------------------------------------------------------- */

static const struct yw_field os_keys[] = {
    {"distro", yw_key_enum, 0, YW_ENUM, R(os.distro), R_POS(os.distro_pos), .what = "distro",
     .names = &distro_table, .doc = "the distribution to install (or rootfs)"},
    {"rootfs", yw_key_string, 0, YW_STRING, R(os.rootfs), R_POS(os.rootfs_pos), .max = PATH_MAX,
     .what = "rootfs path", .check = path_check_relative_inside, .pattern = ONE_LINE,
     .doc = "instead of distro: a root tree as a tar archive inside the recipe's folder"},
    {"mirror", yw_key_string, 0, YW_STRING, R(os.mirror), R_POS(os.mirror_pos), .max = 2048,
     .what = "mirror", .check = name_check_mirror, .pattern = "^(https?://|file:///)[^\\s]*$",
     .doc = "the package mirror: http://, https:// or file:///; default the distribution's"},
    {"packages", yw_key_string_list, 0, YW_STRING_LIST, R(os.packages), R_POS(os.packages_pos),
     .max = 200, .what = "'packages'", .item = "package name", .check = name_check_package,
     .doc = "extra packages; a name starting with @ is a package group"},
    {"hostname", yw_key_string, 0, YW_STRING, R(os.hostname), .max = 253, .what = "hostname",
     .check = name_check_hostname, .pattern = "^[a-z0-9.-]+$",
     .doc = "the host name; default the recipe's name"},
    {"timezone", yw_key_string, 0, YW_STRING, R(os.timezone), R_POS(os.timezone_pos), .max = 64, .what = "timezone",
     .check = name_check_timezone, .pattern = ONE_LINE, .dflt = "UTC",
     .doc = "a zone name such as Europe/Paris"},
    {"locale", yw_key_string, 0, YW_STRING, R(os.locale), R_POS(os.locale_pos), .max = 64, .what = "locale",
     .check = name_check_locale, .pattern = ONE_LINE, .dflt = "C.UTF-8",
     .doc = "the system locale"},
    {"kernel_cmdline", yw_key_string, 0, YW_STRING, R(os.kernel_cmdline),
     R_POS(os.kernel_cmdline_pos), .max = 2048,
     .what = "'kernel_cmdline'", .pattern = ONE_LINE,
     .doc = "appended to console=tty0 console=ttyS0,115200 no_timer_check (ttyAMA0 on aarch64)"},
};

static const struct yw_field hardware_keys[] = {
    {"cpus", yw_key_uint, 0, YW_UINT, R(hardware.cpus), .min = 1, .max = 128, .what = "'cpus'",
     .dflt = "2", .doc = "virtual CPUs"},
    {"memory", parse_memory, 0, YW_SIZE, .min = 256 * MiB, .max = 4 * TiB, .what = "memory size",
     .dflt = "2GiB", .doc = "memory, a whole number of MiB"},
    {"arch", yw_key_names, 0, YW_NAMES, R(hardware.arches), R_POS(hardware.arch_pos),
     .what = "arch", .names = &arch_table, .dflt = "x86_64",
     .doc = "the machine it runs on; a list builds each into one output folder"},
    {"firmware", yw_key_enum, 0, YW_ENUM, R(hardware.firmware), R_POS(hardware.firmware_pos),
     .what = "firmware",
     .names = &firmware_table, .dflt = "bios+uefi",
     .doc = "the firmware the image boots with; bios+uefi: one image boots either"},
    {"controller", yw_key_enum, 0, YW_ENUM, R(hardware.controller), R_SET(hardware.controller_set),
     R_POS(hardware.controller_pos),
     .what = "controller", .names = &controller_table, .dflt = "scsi",
     .doc = "the disk controller (scsi: LSI Logic)"},
    {"nics", yw_key_uint, 0, YW_UINT, R(hardware.nics), .min = 0, .max = 4, .what = "'nics'",
     .dflt = "1", .doc = "network interfaces"},
    {"secure_boot", yw_key_bool, 0, YW_BOOL, R(hardware.secure_boot),
     R_POS(hardware.secure_boot_pos), .what = "'secure_boot'",
     .doc = "boot the distribution's signed chain; default true with UEFI and a distro"},
};

static const struct yw_field volume_keys[] = {
    {"name", yw_key_string, YW_REQUIRED, YW_STRING, V(name), V_POS(name_pos), .max = 127,
     .what = "volume name", .check = name_check_lvm, .pattern = "^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$",
     .doc = "the logical volume's name"},
    {"mount", parse_vol_mount, 0, YW_STRING, V(mount), V_POS(mount_pos), .max = 1024,
     .what = "'mount'", .pattern = "^/[^\\r\\n]*$",
     .doc = "the mount point: absolute, normalised; none for swap"},
    {"size", parse_vol_size, YW_REQUIRED, YW_SIZE_OR_REST, .what = "volume size",
     .doc = "rest: the extents left (at most one volume per disk)"},
    {"fs", yw_key_enum, 0, YW_ENUM, V(fs), V_POS(fs_pos), .what = "filesystem", .names = &fs_table,
     .doc = "the filesystem; default the family's (xfs or ext4)"},
    {"grow", yw_key_bool, 0, YW_BOOL, V(grow), V_POS(grow_pos), V_SET(grow_set), .what = "'grow'",
     .doc = "this volume takes a grown disk's space; default the volume of size rest"},
};

static const struct yw_fields volume_table = KEYS(volume_keys);

/* The keys both disks have; disk 'os' has boot too. */
/* clang-format off */
#define DISK_SIZE_KEY                                                                              \
    {"size", yw_key_size, YW_REQUIRED, YW_SIZE, D(size), D_POS(size_pos), .what = "disk size",   \
     .doc = "the disk's size, a whole number of MiB; at most 2TiB with ova, ovf or vmdk"}
#define DISK_VG_KEY                                                                                \
    {"vg", yw_key_string, 0, YW_STRING, D(vg), D_POS(vg_pos), .max = 127,                        \
     .what = "volume group name", .check = name_check_lvm,                                        \
     .pattern = "^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$",                                              \
     .doc = "the volume group; default vg_os or vg_app, the two must differ"}
#define DISK_GROW_KEY                                                                              \
    {"grow", yw_key_bool, 0, YW_BOOL, D(grow), D_POS(grow_pos), D_SET(grow_set),                 \
     .what = "'grow'",                                                                            \
     .doc = "the volume group grows with the disk at boot; default: when a volume can"}
#define DISK_VOLUMES_KEY                                                                           \
    {"volumes", parse_volumes, YW_REQUIRED, YW_LIST, .min = 1, .max = 256, .what = "'volumes'",  \
     .sub = &volume_table, .doc = "the logical volumes"}
/* clang-format on */

static const struct yw_field os_disk_keys[] = {
    DISK_SIZE_KEY,
    DISK_VG_KEY,
    {"boot", yw_key_size, 0, YW_SIZE, D(boot), D_POS(boot_pos), D_SET(boot_set),
     .what = "boot partition size", .dflt = "1GiB",
     .doc = "the size of the /boot partition outside LVM"},
    DISK_GROW_KEY,
    DISK_VOLUMES_KEY,
};

static const struct yw_field app_disk_keys[] = {
    DISK_SIZE_KEY,
    DISK_VG_KEY,
    {"boot", parse_app_boot, YW_REFUSED, YW_SIZE, .doc = "refused: disk 'os' only"},
    DISK_GROW_KEY,
    DISK_VOLUMES_KEY,
};

static const struct yw_fields os_disk_table = KEYS(os_disk_keys);
static const struct yw_fields app_disk_table = KEYS(app_disk_keys);

static const struct yw_field disks_keys[] = {
    {"os", yw_key_mapping, YW_REQUIRED, YW_MAPPING, R(os_disk),
     .pos_at = YW_AT(struct recipe, os_disk.pos), .set_at = YW_AT(struct recipe, os_disk.present),
     .what = "disk 'os'", .sub = &os_disk_table,
     .doc = "the OS disk: GPT, BIOS boot and EFI partitions, /boot, one LVM PV"},
    {"app", parse_app_disk, YW_REQUIRED, YW_MAPPING, R(app_disk),
     .pos_at = YW_AT(struct recipe, app_disk.pos), .set_at = YW_AT(struct recipe, app_disk.present),
     .what = "disk 'app'", .sub = &app_disk_table, .doc = "the application disk: one LVM PV"},
};

static const struct yw_field user_keys[] = {
    {"name", yw_key_string, YW_REQUIRED | YW_JUDGE_WITHOUT, YW_STRING, U(name), U_POS(name_pos),
     .max = 32, .what = "user name", .check = name_check_user, .pattern = "^[a-z_][a-z0-9_-]*$",
     .doc = "the login name"},
    {"groups", yw_key_string_list, 0, YW_STRING_LIST, U(groups), U_POS(groups_pos), .max = 32,
     .what = "'groups'", .item = "group name", .check = name_check_user,
     .pattern = "^[a-z_][a-z0-9_-]*$", .doc = "supplementary groups"},
    {"password_hash", parse_user_password, 0, YW_STRING, .max = 512, .what = "'password_hash'",
     .pattern = ONE_LINE,
     .doc = "a crypt(3) hash such as $6$..., or ! for a locked password; never a plain password"},
    {"ssh_authorized_keys", parse_user_keys, 0, YW_STRING_LIST, .max = 16384,
     .what = "'ssh_authorized_keys'", .item = "SSH key", .pattern = ONE_LINE,
     .doc = "public keys, one line each"},
};

static const struct yw_fields user_table = KEYS(user_keys);

static const struct yw_field file_keys[] = {
    {"src", yw_key_string, YW_REQUIRED | YW_JUDGE_WITHOUT, YW_STRING, F(src), F_POS(src_pos),
     .max = PATH_MAX, .what = "source path", .check = path_check_relative_inside,
     .pattern = ONE_LINE, .doc = "the file or folder to copy, inside the recipe's folder"},
    {"dest", parse_file_dest, YW_REQUIRED | YW_JUDGE_WITHOUT, YW_STRING, F(dest), F_POS(dest_pos),
     .max = 1024, .what = "'dest'", .pattern = "^/[^\\r\\n]*$",
     .doc = "where in the image: absolute; a trailing / names a folder"},
    {"owner", yw_key_string, 0, YW_STRING, F(owner), .max = 65, .what = "owner",
     .check = name_check_owner, .pattern = ONE_LINE, .dflt = "root:root",
     .doc = "user[:group], by name or number"},
    {"mode", parse_file_mode, 0, YW_MODE, .what = "'mode'",
     .doc = "permissions in octal, such as \"0644\"; default the source's"},
};

static const struct yw_fields file_table = KEYS(file_keys);

static const struct yw_field ova_keys[] = {
    {"digest", yw_key_enum, 0, YW_ENUM, R(ova_digest), R_POS(ova_digest_pos), R_SET(ova_digest_set),
     .what = "digest", .names = &digest_table,
     .doc = "the manifest's digest; default the target's"},
    {"hardware_family", yw_key_string, 0, YW_STRING, R(ova_hardware_family),
     R_POS(ova_hardware_family_pos), .max = 16, .what = "hardware_family",
     .check = name_check_hardware_family, .pattern = "^vmx-[0-9]+$",
     .doc = "the virtual hardware family vmx-NN; default the target's"},
    {"target", yw_key_enum, 0, YW_ENUM, R(ova_target), R_POS(ova_target_pos), .what = "target",
     .names = &ova_target_table, .dflt = "generic",
     .doc = "the importer the OVA and OVF are made for"},
    {"eula", yw_key_string, 0, YW_STRING, R(ova_eula), R_POS(ova_eula_pos), .max = PATH_MAX,
     .what = "eula path", .check = path_check_relative_inside, .pattern = ONE_LINE,
     .doc = "a UTF-8 text file inside the recipe's folder: the license the OVF's EulaSection "
            "holds, which VMware and VirtualBox show on import"},
};

static const struct yw_fields os_table = KEYS(os_keys);
static const struct yw_fields hardware_table = KEYS(hardware_keys);
static const struct yw_fields disks_table = KEYS(disks_keys);
static const struct yw_fields ova_table = KEYS(ova_keys);

static const struct yw_field top_keys[] = {
    {"recipe", parse_format, YW_REQUIRED, YW_UINT, .min = 1, .max = 1, .what = "'recipe'",
     .doc = "the format version"},
    {"name", yw_key_string, YW_REQUIRED | YW_JUDGE_WITHOUT, YW_STRING, R(name), R_POS(name_pos),
     .max = 63, .what = "name", .check = name_check_appliance, .pattern = "^[a-z0-9][a-z0-9-]*$",
     .doc = "lowercase letters, digits and -, first a letter or digit; names the output files "
            "and the virtual machine"},
    {"version", yw_key_string, YW_REQUIRED | YW_JUDGE_WITHOUT, YW_STRING, R(version), .max = 64,
     .what = "version", .check = name_check_version, .pattern = "^[^/\\s]+$",
     .doc = "the appliance's version: no / and no white space"},
    {"description", yw_key_string, 0, YW_STRING, R(description), .max = 1024,
     .what = "'description'", .pattern = ONE_LINE, .doc = "written into the OVF's product section"},
    {"vendor", yw_key_string, 0, YW_STRING, R(vendor), .max = 256, .what = "'vendor'",
     .pattern = ONE_LINE, .doc = "written into the OVF's product section"},
    {"product_url", yw_key_string, 0, YW_STRING, R(product_url), .max = 1024, .what = "product_url",
     .check = name_check_web_url, .pattern = "^https?://[^\\s]+$",
     .doc = "the product's web page: the OVF's ProductUrl"},
    {"vendor_url", yw_key_string, 0, YW_STRING, R(vendor_url), .max = 1024, .what = "vendor_url",
     .check = name_check_web_url, .pattern = "^https?://[^\\s]+$",
     .doc = "the vendor's web page: the OVF's VendorUrl"},
    {"seed", yw_key_string, 0, YW_STRING, R(seed), R_POS(seed_pos), .max = 256, .what = "'seed'",
     .pattern = ONE_LINE, .doc = "mixed into every identity the build derives (UUIDs, serials)"},
    {"os", yw_key_mapping, YW_REQUIRED, YW_MAPPING, R_POS(os.pos), R_SET(os_present),
     .what = "'os'", .sub = &os_table, .doc = "what the image runs"},
    {"hardware", yw_key_mapping, 0, YW_MAPPING, .what = "'hardware'", .sub = &hardware_table,
     .doc = "the virtual machine"},
    {"disks", yw_key_mapping, YW_REQUIRED, YW_MAPPING, R_POS(disks_pos), R_SET(disks_present),
     .what = "'disks'", .sub = &disks_table, .doc = "exactly two disks, os and app"},
    {"addons", yw_key_flags, 0, YW_FLAGS, R(addons), R_POS(addons_pos), R_SET(addons_set),
     .what = "'addons'", .names = &addon_table,
     .doc = "guest tools, each started on its own hypervisor only; default all four"},
    {"users", parse_users, 0, YW_LIST, .max = 256, .what = "'users'", .sub = &user_table,
     .doc = "users to create"},
    {"files", parse_files, 0, YW_LIST, .max = 1024, .what = "'files'", .sub = &file_table,
     .doc = "copies into the image after the OS is installed"},
    {"run", parse_run, 0, YW_LINES, .max = 1024, .what = "'run'",
     .doc = "shell lines run inside the installed system, in order"},
    {"outputs", yw_key_flags, 0, YW_FLAGS, R(outputs), R_POS(outputs_pos), R_SET(outputs_set),
     .what = "'outputs'", .names = &output_table, .doc = "what the build writes; default ova"},
    {"cloud", yw_key_bool, 0, YW_BOOL, R(cloud), R_POS(cloud_pos), R_SET(cloud_set),
     .what = "'cloud'", .doc = "cloud-init in the image; default true with azure or gce"},
    {"ova", yw_key_mapping, 0, YW_MAPPING, .what = "'ova'", .sub = &ova_table,
     .doc = "how the OVA and OVF are written"},
};

/* The whole recipe: the root of the key table. */
const struct yw_fields recipe_keys = KEYS(top_keys);

/* ---- entry points ------------------------------------------------------- */

static struct recipe *
recipe_new(const char *path)
{
    struct recipe *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->path = strdup(path);
    r->os_disk.id = "os";
    r->app_disk.id = "app";
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

/* Whether the walk's only problems were keys the format does not have
 * (none misspelling a required key): every value is then as written, and
 * plan_new() can judge the recipe in the same run. */
static bool
only_unknown_keys(const struct yw *w, const struct ab_error *err, size_t before)
{
    size_t added = err->n_diags + err->n_dropped - before;
    return err->code == AB_E_RECIPE && !w->over_budget && w->hinted_missing == 0 &&
           added == w->unknown_keys + w->bad_values;
}

struct recipe *
recipe_parse_buffer_with(const char *path, const char *text, size_t len,
                         const struct recipe_opts *o, struct ab_error *err)
{
    struct recipe *r = recipe_new(path);
    struct yw w;

    if (!r || !r->path) {
        recipe_free(r);
        ab_oom(err);
        return NULL;
    }
    r->dir = recipe_folder(path);
    size_t before = err->n_diags + err->n_dropped;
    if (yw_load(&w, r->path, text, len, err) < 0 || recipe_expand_env(&w, o, r) < 0) {
        yw_release(&w);
        recipe_free(r);
        return NULL;
    }
    /* A --set that cannot be placed is reported, and the rest judged. */
    recipe_apply_set(&w, o, r);
    w.max_visits = RECIPE_MAX_NODES;
    w.max_scalar = RECIPE_MAX_SCALAR;
    w.root = &recipe_keys;
    int ret = yw_mapping(&w, yw_root(&w), NULL, top_keys, N(top_keys), r);
    bool partial = ret < 0 && only_unknown_keys(&w, err, before);
    r->partial = partial;
    yw_release(&w);
    if ((ret < 0 || ab_error_is_set(err)) && !partial) {
        recipe_free(r);
        return NULL;
    }
    return r;
}

/* The entry points without options: a recipe with errors is no recipe. */
static struct recipe *
whole_or_null(struct recipe *r, const struct ab_error *err)
{
    if (r && ab_error_is_set(err)) {
        recipe_free(r);
        return NULL;
    }
    return r;
}

struct recipe *
recipe_parse_buffer(const char *path, const char *text, size_t len, struct ab_error *err)
{
    return whole_or_null(recipe_parse_buffer_with(path, text, len, NULL, err), err);
}

/* Reads at most RECIPE_MAX_FILE_BYTES of path into *text. */
static int
read_recipe_file(const char *path, char **text, size_t *len, struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct ab_pos pos = {path, 0, 0};
    struct stat st;

    if (fd < 0 || fstat(fd, &st) < 0)
        return ab_error_set(err, AB_E_NOFILE, errno, &pos, "cannot read recipe: %s",
                            strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ab_error_set(err, AB_E_NOFILE, 0, &pos, "recipe is not a regular file");
    if (st.st_size > RECIPE_MAX_FILE_BYTES)
        return ab_error_set(err, AB_E_RECIPE, 0, &pos,
                            "recipe is too large (%lld bytes, at most %d)", (long long)st.st_size,
                            RECIPE_MAX_FILE_BYTES);
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
            return ab_error_set(err, AB_E_NOFILE, errno, &pos, "cannot read recipe: %s",
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
recipe_parse_with(const char *path, const struct recipe_opts *o, struct ab_error *err)
{
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;

    if (read_recipe_file(path, &text, &len, err) < 0)
        return NULL;
    return recipe_parse_buffer_with(path, text, len, o, err);
}

struct recipe *
recipe_parse(const char *path, struct ab_error *err)
{
    return whole_or_null(recipe_parse_with(path, NULL, err), err);
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
    free(r->product_url);
    free(r->vendor_url);
    free(r->ova_eula);
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
        free(r->users[i].ssh_key_pos);
    }
    free(r->users);
    for (size_t i = 0; i < r->n_files; i++) {
        free(r->files[i].src);
        free(r->files[i].dest);
        free(r->files[i].owner);
    }
    free(r->files);
    ab_strv_free(r->run);
    free(r->run_pos);
    for (size_t i = 0; i < r->n_params; i++) {
        free(r->params[i].key);
        free(r->params[i].value);
        free(r->params[i].from);
    }
    free(r->params);
    free(r->ova_hardware_family);
    free(r);
}
