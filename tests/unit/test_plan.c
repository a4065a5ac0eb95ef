/* test_plan.c: plan_new(): layout math against hand-computed numbers,
 * rest and rounding, fit errors, mount order, implied outputs, defaults. */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/size.h"

/* A recipe whose lines are fixed: line 7 is the OS disk, line 8 the
 * application disk, so diagnostics can be checked by line and column. */
static const char *
recipe(const char *os, const char *hardware, const char *os_disk, const char *app_disk,
       const char *extra)
{
    static char buf[4096];
    int n = snprintf(buf, sizeof(buf),
                     "recipe: 1\n"    /* 1 */
                     "name: t\n"      /* 2 */
                     "version: '1'\n" /* 3 */
                     "os: %s\n"       /* 4 */
                     "hardware: %s\n" /* 5 */
                     "disks:\n"       /* 6 */
                     "  os: %s\n"     /* 7 */
                     "  app: %s\n"    /* 8 */
                     "%s",            /* 9... */
                     os, hardware, os_disk, app_disk, extra ? extra : "");
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    return buf;
}

#define DEBIAN "{distro: debian-12}"
#define BIOS "{firmware: bios}"
#define UEFI "{firmware: uefi}"
#define BOTH "{firmware: bios+uefi}"
#define OS_10G                                                                                     \
    "{size: 10GiB, volumes: [{name: root, mount: /, size: 4GiB}, "                                 \
    "{name: swap, size: 1GiB, fs: swap}, {name: log, mount: /var/log, size: rest}]}"
#define APP_2G "{size: 2GiB, volumes: [{name: data, mount: /srv, size: rest}]}"

static void
assert_part(const struct plan_partition *p, unsigned number, enum part_role role, uint64_t start,
            uint64_t size, enum fs_type fs, const char *mount)
{
    assert_int_equal(p->number, number);
    assert_int_equal(p->role, role);
    assert_int_equal(p->start, start);
    assert_int_equal(p->size, size);
    assert_int_equal(p->fs, fs);
    if (mount)
        assert_string_equal(p->mount, mount);
    else
        assert_null(p->mount);
}

/* Rules every disk obeys: partitions back to back from 1MiB, aligned,
 * the last ending 1MiB before the end (backup GPT); the PV's extents are
 * (partition size - 1MiB) / 4MiB; the LVs and free extents add up. */
static void
assert_disk_rules(const struct plan_disk *d)
{
    uint64_t cursor = MiB;
    for (size_t i = 0; i < d->n_parts; i++) {
        assert_int_equal(d->parts[i].start, cursor);
        assert_int_equal(d->parts[i].start % MiB, 0);
        assert_int_equal(d->parts[i].size % MiB, 0);
        cursor += d->parts[i].size;
    }
    assert_int_equal(cursor + MiB, d->size);
    const struct plan_partition *pv = &d->parts[d->n_parts - 1];
    assert_int_equal(pv->role, PART_LVM);
    assert_int_equal(d->vg.pv_partition, pv->number);
    assert_int_equal(d->vg.pe_size, 4 * MiB);
    assert_int_equal(d->vg.pe_start, MiB);
    assert_int_equal(d->vg.extents, (pv->size - MiB) / (4 * MiB));
    uint64_t used = 0;
    for (size_t i = 0; i < d->vg.n_lvs; i++) {
        assert_int_equal(d->vg.lvs[i].size, d->vg.lvs[i].extents * 4 * MiB);
        used += d->vg.lvs[i].extents;
    }
    assert_int_equal(used + d->vg.free_extents, d->vg.extents);
}

static void
test_layout_bios(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe(DEBIAN, BIOS, OS_10G, APP_2G, NULL));
    const struct plan_disk *os = &p->disks[PLAN_DISK_OS];
    assert_string_equal(os->id, "os");
    assert_int_equal(os->size, UINT64_C(10737418240));
    assert_int_equal(os->n_parts, 3);
    assert_part(&os->parts[0], 1, PART_BIOS_BOOT, 1048576, 1048576, FS_NONE, NULL);
    assert_part(&os->parts[1], 2, PART_BOOT, 2097152, 1073741824, FS_EXT4, "/boot");
    /* 10240MiB - 1MiB (backup GPT) - 1026MiB = 9213MiB */
    assert_part(&os->parts[2], 3, PART_LVM, 1075838976, UINT64_C(9660530688), FS_NONE, NULL);
    assert_int_equal(os->vg.extents, 2303); /* (9213 - 1) / 4 */
    assert_string_equal(os->vg.name, "vg_os");
    assert_int_equal(os->vg.pv_partition, 3);
    /* root 4GiB = 1024, swap 1GiB = 256, log takes 2303 - 1280 = 1023. */
    assert_int_equal(os->vg.n_lvs, 3);
    assert_int_equal(os->vg.lvs[0].extents, 1024);
    assert_int_equal(os->vg.lvs[1].extents, 256);
    assert_true(os->vg.lvs[2].rest);
    assert_int_equal(os->vg.lvs[2].requested, 0);
    assert_int_equal(os->vg.lvs[2].extents, 1023);
    assert_int_equal(os->vg.lvs[2].size, UINT64_C(4290772992));
    assert_int_equal(os->vg.free_extents, 0);
    assert_disk_rules(os);

    const struct plan_disk *app = &p->disks[PLAN_DISK_APP];
    assert_string_equal(app->id, "app");
    assert_int_equal(app->n_parts, 1);
    /* 2048MiB - 1MiB - 1MiB = 2046MiB; (2046 - 1) / 4 = 511 */
    assert_part(&app->parts[0], 1, PART_LVM, 1048576, UINT64_C(2145386496), FS_NONE, NULL);
    assert_int_equal(app->vg.extents, 511);
    assert_string_equal(app->vg.name, "vg_app");
    assert_int_equal(app->vg.lvs[0].extents, 511);
    assert_disk_rules(app);
    plan_free(p);
}

static void
test_layout_uefi(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe(DEBIAN, UEFI, OS_10G, APP_2G, NULL));
    const struct plan_disk *os = &p->disks[PLAN_DISK_OS];
    assert_int_equal(os->n_parts, 3);
    assert_part(&os->parts[0], 1, PART_ESP, 1048576, 268435456, FS_VFAT, "/boot/efi");
    assert_part(&os->parts[1], 2, PART_BOOT, 269484032, 1073741824, FS_EXT4, "/boot");
    /* 10240 - 1 - 1281 = 8958MiB; (8958 - 1) / 4 = 2239 (rounded down) */
    assert_part(&os->parts[2], 3, PART_LVM, UINT64_C(1343225856), UINT64_C(9393143808), FS_NONE,
                NULL);
    assert_int_equal(os->vg.extents, 2239);
    assert_int_equal(os->vg.lvs[2].extents, 2239 - 1280);
    assert_disk_rules(os);
    plan_free(p);
}

static void
test_layout_both(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe(DEBIAN, BOTH, OS_10G, APP_2G, NULL));
    const struct plan_disk *os = &p->disks[PLAN_DISK_OS];
    assert_int_equal(os->n_parts, 4);
    assert_part(&os->parts[0], 1, PART_BIOS_BOOT, 1048576, 1048576, FS_NONE, NULL);
    assert_part(&os->parts[1], 2, PART_ESP, 2097152, 268435456, FS_VFAT, "/boot/efi");
    assert_part(&os->parts[2], 3, PART_BOOT, 270532608, 1073741824, FS_EXT4, "/boot");
    /* 10240 - 1 - 1282 = 8957MiB; (8957 - 1) / 4 = 2239 */
    assert_part(&os->parts[3], 4, PART_LVM, UINT64_C(1344274432), UINT64_C(9392095232), FS_NONE,
                NULL);
    assert_int_equal(os->vg.extents, 2239);
    assert_int_equal(os->vg.pv_partition, 4);
    assert_disk_rules(os);
    /* The default firmware is both. */
    const struct plan *q = unit_plan(recipe(DEBIAN, "{}", OS_10G, APP_2G, NULL));
    assert_int_equal(q->hardware.firmware, FIRMWARE_BOTH);
    assert_int_equal(q->disks[0].n_parts, 4);
    assert_int_equal(q->disks[0].parts[3].start, os->parts[3].start);
    plan_free(q);
    plan_free(p);
}

static void
test_layout_boot_size_and_smallest_disk(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe(
        DEBIAN, BIOS, "{size: 10GiB, boot: 512MiB, volumes: [{name: root, mount: /, size: rest}]}",
        "{size: 7MiB, volumes: [{name: d, size: rest, fs: swap}]}", NULL));
    const struct plan_disk *os = &p->disks[PLAN_DISK_OS];
    assert_part(&os->parts[1], 2, PART_BOOT, 2 * MiB, 512 * MiB, FS_EXT4, "/boot");
    /* 10240 - 1 - 514 = 9725MiB; (9725 - 1) / 4 = 2431 */
    assert_part(&os->parts[2], 3, PART_LVM, 514 * MiB, 9725 * MiB, FS_NONE, NULL);
    assert_int_equal(os->vg.extents, 2431);
    assert_disk_rules(os);
    /* 7MiB is the least: 1MiB table, 1MiB metadata, one extent, 1MiB tail. */
    const struct plan_disk *app = &p->disks[PLAN_DISK_APP];
    assert_part(&app->parts[0], 1, PART_LVM, MiB, 5 * MiB, FS_NONE, NULL);
    assert_int_equal(app->vg.extents, 1);
    assert_disk_rules(app);
    plan_free(p);
}

static void
test_extents_rounded_up(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(
        recipe(DEBIAN, BIOS,
               "{size: 10GiB, volumes: [{name: log, mount: /var/log, size: rest}, "
               "{name: root, mount: /, size: 1023MiB}, {name: var, mount: /var, size: 4097MiB}, "
               "{name: swap, size: 1B, fs: swap}, {name: tmp, mount: /tmp, size: 16MiB}]}",
               APP_2G, NULL));
    const struct plan_vg *vg = &p->disks[PLAN_DISK_OS].vg;
    assert_int_equal(vg->lvs[1].requested, 1023 * MiB);
    assert_int_equal(vg->lvs[1].extents, 256);
    assert_int_equal(vg->lvs[1].size, 1024 * MiB);
    assert_int_equal(vg->lvs[2].requested, 4097 * MiB);
    assert_int_equal(vg->lvs[2].extents, 1025);
    assert_int_equal(vg->lvs[3].requested, 1);
    assert_int_equal(vg->lvs[3].extents, 1);
    assert_int_equal(vg->lvs[4].extents, 4);
    assert_int_equal(vg->lvs[4].size, vg->lvs[4].requested);
    /* The rest is resolved after the fixed sizes, wherever it is listed. */
    assert_int_equal(vg->lvs[0].extents, 2303 - 256 - 1025 - 1 - 4);
    assert_int_equal(vg->free_extents, 0);
    assert_disk_rules(&p->disks[PLAN_DISK_OS]);
    plan_free(p);

    /* Without a rest volume the remainder stays free. */
    p = unit_plan(recipe(DEBIAN, BIOS,
                         "{size: 10GiB, volumes: [{name: root, mount: /, size: 1GiB}]}", APP_2G,
                         NULL));
    assert_int_equal(p->disks[0].vg.free_extents, 2303 - 256);
    assert_disk_rules(&p->disks[PLAN_DISK_OS]);
    plan_free(p);
}

/* The plan is refused with exactly the one diagnostic want. */
static void
assert_refused(const char *text, const char *want)
{
    int status = 0;
    char *got = unit_plan_errors(text, &status);
    if (strcmp(got, want) != 0)
        print_error("got:  %swant: %s", got, want);
    assert_string_equal(got, want);
    assert_int_equal(status, 3);
    free(got);
}

/* Refused with one diagnostic, at where `at` is on line, whose message
 * holds every part of parts ("a|b"): for the messages whose wording the
 * golden recipe tests pin down. */
static void
assert_refused_has(const char *text, unsigned line, const char *at, const char *parts)
{
    int status = 0;
    char *got = unit_plan_errors(text, &status);
    char prefix[64], part[256];
    snprintf(prefix, sizeof(prefix), "recipe.yaml:%u:%u: error: ", line, col_of(text, line, at));
    bool ok = strncmp(got, prefix, strlen(prefix)) == 0 && strchr(got, '\n')[1] == '\0';
    for (const char *p = parts; *p;) {
        size_t l = strcspn(p, "|");
        snprintf(part, sizeof(part), "%.*s", (int)l, p);
        ok = ok && strstr(got, part);
        p += l + (p[l] == '|');
    }
    if (!ok)
        print_error("got:  %swant: %s...%s...\n", got, prefix, parts);
    assert_true(ok);
    assert_int_equal(status, 3);
    free(got);
}

/* "recipe.yaml:LINE:COL: error: MSG\n" with COL where at is on line. */
static const char *
diag(const char *text, unsigned line, const char *at, const char *msg)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf), "recipe.yaml:%u:%u: error: %s\n", line, col_of(text, line, at), msg);
    return buf;
}

static void
test_fit_error(void **state)
{
    (void)state;
    /* 2303 extents: root takes 2048, 255 (1020MiB) are left for var. */
    const char *text = recipe(DEBIAN, BIOS,
                              "{size: 10GiB, volumes: [{name: root, mount: /, size: 8GiB}, "
                              "{name: var, mount: /var, size: 4GiB}, "
                              "{name: tmp, mount: /tmp, size: 1020MiB}]}",
                              APP_2G, NULL);
    assert_refused(
        text, diag(text, 7, "4GiB", "volume 'var' (4GiB) does not fit in disk 'os': 1020MiB left"));

    text = recipe(DEBIAN, BIOS, OS_10G,
                  "{size: 2GiB, volumes: [{name: a, mount: /a, size: 1GiB}, "
                  "{name: b, mount: /b, size: 1200MiB}]}",
                  NULL);
    assert_refused(text, diag(text, 8, "1200MiB",
                              "volume 'b' (1200MiB) does not fit in disk 'app': 1020MiB left"));
}

static void
test_rest_errors(void **state)
{
    (void)state;
    const char *text = recipe(DEBIAN, BIOS,
                              "{size: 10GiB, volumes: [{name: root, mount: /, size: rest}, "
                              "{name: var, mount: /var, size: rest}]}",
                              APP_2G, NULL);
    assert_refused(text, diag(text, 7, "rest}]",
                              "only one volume per disk may take the rest: 'root' already does"));

    text = recipe(DEBIAN, BIOS, OS_10G,
                  "{size: 2GiB, volumes: [{name: a, mount: /a, size: 2044MiB}, "
                  "{name: b, mount: /b, size: rest}]}",
                  NULL);
    assert_refused(text, diag(text, 8, "rest",
                              "volume 'b' takes the rest of disk 'app', but nothing is left"));
}

/* The volume that takes a grown disk's space: the rest volume by default,
 * the one marked `grow: true`, none when the rest is swap or growth is off. */
static void
test_grow(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe(DEBIAN, BIOS, OS_10G, APP_2G, NULL));
    const struct plan_vg *os = &p->disks[PLAN_DISK_OS].vg, *app = &p->disks[PLAN_DISK_APP].vg;
    assert_int_equal(os->grow, PLAN_GROW_REST);
    assert_ptr_equal(os->grow_lv, &os->lvs[2]);
    assert_true(os->lvs[2].grows);
    assert_false(os->lvs[0].grows || os->lvs[1].grows);
    assert_int_equal(app->grow, PLAN_GROW_REST);
    assert_ptr_equal(app->grow_lv, &app->lvs[0]);
    plan_free(p);

    p = unit_plan(recipe(DEBIAN, BIOS,
                         "{size: 10GiB, grow: true, volumes: [{name: root, mount: /, size: 4GiB, "
                         "grow: true}, {name: log, mount: /var/log, size: rest}]}",
                         "{size: 2GiB, grow: false, volumes: [{name: data, mount: /srv, size: "
                         "rest}]}",
                         NULL));
    os = &p->disks[PLAN_DISK_OS].vg, app = &p->disks[PLAN_DISK_APP].vg;
    assert_int_equal(os->grow, PLAN_GROW_VOLUME);
    assert_ptr_equal(os->grow_lv, &os->lvs[0]);
    assert_false(os->lvs[1].grows);
    assert_int_equal(app->grow, PLAN_GROW_OFF);
    assert_null(app->grow_lv);
    assert_false(app->lvs[0].grows);
    plan_free(p);

    p = unit_plan(recipe(DEBIAN, BIOS,
                         "{size: 10GiB, volumes: [{name: root, mount: /, size: 4GiB}, "
                         "{name: log, mount: /var/log, size: rest, grow: false}]}",
                         "{size: 2GiB, volumes: [{name: data, mount: /srv, size: 1GiB}, "
                         "{name: swap, size: rest, fs: swap}]}",
                         NULL));
    os = &p->disks[PLAN_DISK_OS].vg, app = &p->disks[PLAN_DISK_APP].vg;
    assert_int_equal(os->grow, PLAN_GROW_NONE);
    assert_null(os->grow_lv);
    assert_string_equal(os->grow_why, "the volume that takes the rest has 'grow: false'");
    assert_int_equal(app->grow, PLAN_GROW_NONE);
    assert_string_equal(app->grow_why, "the volume that takes the rest is swap");
    plan_free(p);
}

static void
test_grow_errors(void **state)
{
    (void)state;
    const char *text =
        recipe(DEBIAN, BIOS, OS_10G,
               "{size: 2GiB, volumes: [{name: a, mount: /a, size: 1GiB, grow: true}, "
               "{name: b, mount: /b, size: rest, grow: true}]}",
               NULL);
    assert_refused(text, diag(text, 8, "true}]",
                              "volume 'b' cannot grow: volume 'a' already grows with disk 'app' "
                              "(at most one per disk)"));

    text = recipe(DEBIAN, BIOS, OS_10G,
                  "{size: 2GiB, grow: true, volumes: [{name: a, mount: /a, size: 1GiB}]}", NULL);
    assert_refused(text, diag(text, 8, "true,",
                              "disk 'app' cannot grow: no volume takes the rest (give one volume "
                              "'grow: true')"));

    text = recipe(DEBIAN, BIOS, OS_10G,
                  "{size: 2GiB, grow: false, volumes: [{name: a, mount: /a, size: rest, "
                  "grow: true}]}",
                  NULL);
    assert_refused(text,
                   diag(text, 8, "true}]", "volume 'a' cannot grow: disk 'app' has 'grow: false'"));

    text = recipe(DEBIAN, BIOS,
                  "{size: 10GiB, volumes: [{name: root, mount: /, size: rest}, "
                  "{name: swap, size: 1GiB, fs: swap, grow: true}]}",
                  APP_2G, NULL);
    assert_refused(text, diag(text, 7, "true}]",
                              "swap volume 'swap' cannot grow: only a filesystem grows with its "
                              "disk"));
}

static void
test_size_errors(void **state)
{
    (void)state;
    const char *text = recipe(DEBIAN, BIOS, OS_10G,
                              "{size: 2GiB, volumes: [{name: a, mount: /a, size: 8MiB, fs: xfs}, "
                              "{name: b, mount: /b, size: rest}]}",
                              NULL);
    assert_refused(
        text, diag(text, 8, "8MiB", "volume 'a' (8MiB) is too small for xfs: at least 300MiB"));

    text = recipe(DEBIAN, BIOS, OS_10G,
                  "{size: 2GiB, volumes: [{name: a, mount: /a, size: 2040MiB}, "
                  "{name: b, mount: /b, size: rest}]}",
                  NULL);
    assert_refused(text, diag(text, 8, "rest",
                              "volume 'b' gets 4MiB (rest of disk 'app'), too small for ext4: at "
                              "least 16MiB"));

    text = recipe("{distro: rocky-9}", BIOS,
                  "{size: 10GiB, boot: 256MiB, volumes: [{name: root, mount: /, size: rest}]}",
                  APP_2G, NULL);
    assert_refused(text, diag(text, 7, "256MiB",
                              "boot partition (256MiB) is too small for xfs: at least 300MiB"));

    text = recipe(DEBIAN, BIOS, OS_10G,
                  "{size: 1000KiB, volumes: [{name: b, mount: /b, size: rest}]}", NULL);
    assert_refused(text, diag(text, 8, "1000KiB",
                              "size of disk 'app' (1000KiB) must be a whole number of MiB"));

    text = recipe(DEBIAN, BIOS, OS_10G, "{size: 3TiB, volumes: [{name: b, mount: /b, size: rest}]}",
                  NULL);
    assert_refused(text, diag(text, 8, "3TiB",
                              "disk 'app' (3TiB) is larger than 2TiB, the most a sparse VMDK can "
                              "hold, which output 'ova' writes"));

    text = recipe(DEBIAN, BIOS, OS_10G, "{size: 6MiB, volumes: [{name: b, mount: /b, size: rest}]}",
                  NULL);
    assert_refused(text, diag(text, 8, "6MiB",
                              "disk 'app' (6MiB) is too small: its partitions and LVM need at "
                              "least 7MiB"));
}

/* Sizes near 2^64 must not wrap around into plans that look valid. */
static void
test_size_overflow(void **state)
{
    (void)state;
    /* 2^64 - 1MiB of /boot once wrapped the partition cursor to 257MiB. */
    const char *text = recipe(DEBIAN, BIOS,
                              "{size: 10GiB, boot: 17592186044415MiB, "
                              "volumes: [{name: root, mount: /, size: rest}]}",
                              APP_2G, NULL);
    assert_refused(text,
                   diag(text, 7, "17592186044415MiB",
                        "boot partition (17592186044415MiB) does not fit in disk 'os' (10GiB)"));

    /* 2^64 - 1 bytes once rounded up to 0 extents. */
    text =
        recipe(DEBIAN, BIOS, OS_10G,
               "{size: 2GiB, volumes: [{name: b, mount: /b, size: 18446744073709551615B}]}", NULL);
    assert_refused(text, diag(text, 8, "18446744073709551615B",
                              "volume 'b' (16777215.9TiB) does not fit in disk 'app': 1.9GiB "
                              "left"));
}

static void
test_mount_order(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(
        recipe("{distro: centos-stream-9}", BOTH,
               "{size: 20GiB, volumes: [{name: log, mount: /var/log, size: 1GiB}, "
               "{name: var, mount: /var, size: 1GiB}, {name: swap, size: 1GiB, fs: swap}, "
               "{name: root, mount: /, size: 4GiB, fs: ext4}]}",
               "{size: 4GiB, volumes: [{name: data, mount: /srv/data, size: 1GiB}, "
               "{name: opt, mount: /opt/app, size: 1GiB}, {name: srv, mount: /srv, size: rest}]}",
               NULL));
    const char *want[] = {"/",         "/boot",    "/srv",      "/var",
                          "/boot/efi", "/opt/app", "/srv/data", "/var/log"};
    assert_int_equal(p->n_mounts, 8);
    for (size_t i = 0; i < p->n_mounts; i++)
        assert_string_equal(p->mounts[i].path, want[i]);
    /* Parents first: every mount comes after the mounts it sits under. */
    for (size_t i = 0; i < p->n_mounts; i++) {
        for (size_t j = i + 1; j < p->n_mounts; j++) {
            const char *child = p->mounts[i].path, *parent = p->mounts[j].path;
            size_t l = strlen(parent);
            bool under =
                strcmp(parent, "/") == 0 || (strncmp(child, parent, l) == 0 && child[l] == '/');
            assert_false(under);
        }
    }
    const struct plan_mount *m = p->mounts;
    assert_int_equal(m[0].disk, PLAN_DISK_OS);
    assert_ptr_equal(m[0].lv, &p->disks[0].vg.lvs[3]);
    assert_null(m[0].partition);
    assert_int_equal(m[0].fs, FS_EXT4);
    assert_string_equal(m[0].options, "defaults");
    assert_int_equal(m[0].passno, 1);
    assert_ptr_equal(m[1].partition, &p->disks[0].parts[2]); /* /boot, xfs on CentOS */
    assert_null(m[1].lv);
    assert_int_equal(m[1].fs, FS_XFS);
    assert_int_equal(m[1].passno, 0);
    assert_int_equal(m[2].disk, PLAN_DISK_APP);
    assert_int_equal(m[4].fs, FS_VFAT);
    assert_string_equal(m[4].options, "umask=0077");
    assert_int_equal(m[4].passno, 2);
    assert_int_equal(m[7].fs, FS_XFS);
    char dev[64];
    assert_string_equal(plan_lv_device(&p->disks[1].vg, m[6].lv, dev, sizeof(dev)),
                        "/dev/vg_app/data");
    assert_string_equal(plan_lv_device(&p->disks[0].vg, &p->disks[0].vg.lvs[2], dev, 10),
                        "/dev/vg_o");
    plan_free(p);
}

static void
test_mount_errors(void **state)
{
    (void)state;
    const char *text =
        recipe(DEBIAN, BIOS, OS_10G,
               "{size: 2GiB, volumes: [{name: data, mount: /var/log, size: rest}]}", NULL);
    assert_refused_has(text, 8, "/var/log", "'/var/log'|twice|'log'|'os'");

    text = recipe(DEBIAN, BIOS, "{size: 10GiB, volumes: [{name: var, mount: /var, size: rest}]}",
                  "{size: 2GiB, volumes: [{name: root, mount: /, size: rest}]}", NULL);
    /* Two problems: '/' on the wrong disk, and so none on the right one. */
    char *got = unit_plan_errors(text, NULL);
    char want[128];
    snprintf(want, sizeof(want), "recipe.yaml:7:%u: error: ", col_of(text, 7, "[{"));
    assert_int_equal(strncmp(got, want, strlen(want)), 0);
    snprintf(want, sizeof(want), "\nrecipe.yaml:8:%u: error: ", col_of(text, 8, "/,"));
    assert_non_null(strstr(got, want));
    assert_non_null(strstr(strstr(got, want), "'os'"));
    assert_int_equal(strchr(strstr(got, want) + 1, '\n')[1], '\0');
    free(got);
}

static void
test_mount_reserved(void **state)
{
    (void)state;
    const struct {
        const char *mount, *msg;
    } cases[] = {
        {"/boot/x", "'/boot/x'|boot partition"},
        {"/boot", "'/boot'|boot partition"},
        {"/proc", "'/proc'|kernel"},
        {"/dev/shm", "'/dev/shm'|kernel|/dev"},
        {"/run", "'/run'|kernel"},
        {"/sys/x", "'/sys/x'|kernel|/sys"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char app[200];
        snprintf(app, sizeof(app), "{size: 2GiB, volumes: [{name: d, mount: %s, size: rest}]}",
                 cases[i].mount);
        const char *text = recipe(DEBIAN, BIOS, OS_10G, app, NULL);
        assert_refused_has(text, 8, cases[i].mount, cases[i].msg);
    }
    /* Only whole components count. */
    const struct plan *p =
        unit_plan(recipe(DEBIAN, BIOS, OS_10G,
                         "{size: 2GiB, volumes: [{name: d, mount: /bootx, size: rest}]}", NULL));
    plan_free(p);
}

static void
test_no_root(void **state)
{
    (void)state;
    const char *text =
        recipe(DEBIAN, BIOS, "{size: 10GiB, volumes: [{name: var, mount: /var, size: rest}]}",
               APP_2G, NULL);
    assert_refused_has(text, 7, "[{", "'os'|'/'");
}

static void
test_implied_outputs(void **state)
{
    (void)state;
    const struct {
        const char *outputs;
        unsigned want, implied;
    } cases[] = {
        {"", OUTPUT_OVA, 0},
        {"outputs: [libvirt]\n", OUTPUT_LIBVIRT | OUTPUT_QCOW2, OUTPUT_QCOW2},
        {"outputs: [hyperv]\n", OUTPUT_HYPERV | OUTPUT_VHDX, OUTPUT_VHDX},
        {"outputs: [libvirt, qcow2]\n", OUTPUT_LIBVIRT | OUTPUT_QCOW2, 0},
        {"outputs: [hyperv, libvirt, raw]\n",
         OUTPUT_HYPERV | OUTPUT_VHDX | OUTPUT_LIBVIRT | OUTPUT_QCOW2 | OUTPUT_RAW,
         OUTPUT_VHDX | OUTPUT_QCOW2},
        {"outputs: [gce]\n", OUTPUT_GCE, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct plan *p = unit_plan(recipe(DEBIAN, BIOS, OS_10G, APP_2G, cases[i].outputs));
        assert_int_equal(p->outputs, cases[i].want);
        assert_int_equal(p->outputs_implied, cases[i].implied);
        plan_free(p);
    }
    const char *text = recipe(DEBIAN, BIOS, OS_10G, APP_2G, "outputs: []\n");
    assert_refused_has(text, 9, "[]", "'outputs'");
}

/* cloud-init: with the azure and gce outputs, or `cloud: true`; never
 * with `cloud: false`, never added to a rootfs. */
static void
test_cloud(void **state)
{
    (void)state;
    const struct {
        const char *extra;
        unsigned want;
        bool off;
        const char *datasources, *cmdline;
    } cases[] = {
        {"", 0, false, NULL, "console=tty0 console=ttyS0,115200 no_timer_check"},
        {"outputs: [qcow2, raw, ova]\n", 0, false, NULL, "console=tty0 console=ttyS0,115200 no_timer_check"},
        {"outputs: [azure]\n", PLAN_CLOUD_INIT | PLAN_CLOUD_AZURE, false, "Azure, NoCloud, None",
         "console=tty0 console=ttyS0,115200 no_timer_check earlyprintk=ttyS0"},
        {"outputs: [gce, qcow2]\n", PLAN_CLOUD_INIT | PLAN_CLOUD_GCE, false, "GCE, NoCloud, None",
         "console=tty0 console=ttyS0,115200 no_timer_check"},
        {"outputs: [azure, gce]\n", PLAN_CLOUD_INIT | PLAN_CLOUD_AZURE | PLAN_CLOUD_GCE, false,
         "Azure, GCE, NoCloud, None", "console=tty0 console=ttyS0,115200 no_timer_check earlyprintk=ttyS0"},
        {"outputs: [qcow2]\ncloud: true\n", PLAN_CLOUD_INIT, false, NULL,
         "console=tty0 console=ttyS0,115200 no_timer_check"},
        {"outputs: [azure, gce]\ncloud: true\n",
         PLAN_CLOUD_INIT | PLAN_CLOUD_AZURE | PLAN_CLOUD_GCE, false, "Azure, GCE, NoCloud, None",
         NULL},
        {"outputs: [azure, gce]\ncloud: false\n", 0, true, NULL,
         "console=tty0 console=ttyS0,115200 no_timer_check"},
        {"outputs: [qcow2]\ncloud: false\n", 0, false, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct plan *p = unit_plan(recipe(DEBIAN, BIOS, OS_10G, APP_2G, cases[i].extra));
        char ds[64];
        const char *list = plan_cloud_datasources(p->cloud, ds, sizeof(ds));
        assert_int_equal(p->cloud, cases[i].want);
        assert_int_equal(p->cloud_off, cases[i].off);
        if (cases[i].datasources)
            assert_string_equal(list, cases[i].datasources);
        else
            assert_null(list);
        if (cases[i].cmdline)
            assert_string_equal(p->os.kernel_cmdline, cases[i].cmdline);
        plan_free(p);
    }
    /* Azure's settings come before the recipe's own. */
    const struct plan *p = unit_plan(recipe("{distro: debian-12, kernel_cmdline: quiet}", BIOS,
                                            OS_10G, APP_2G, "outputs: [azure]\n"));
    assert_string_equal(p->os.kernel_cmdline,
                        "console=tty0 console=ttyS0,115200 no_timer_check earlyprintk=ttyS0 quiet");
    plan_free(p);
    /* A rootfs is used as it is: the cloud outputs add nothing to it. */
    unit_write_file("rootfs.tar", "");
    p = unit_plan(recipe("{rootfs: rootfs.tar}", BIOS, OS_10G, APP_2G, "outputs: [azure]\n"));
    assert_int_equal(p->cloud, 0);
    plan_free(p);
    assert_refused(recipe("{rootfs: rootfs.tar}", BIOS, OS_10G, APP_2G, "cloud: true\n"),
                   "recipe.yaml:9:8: error: 'cloud' needs 'distro': cloud-init is installed from "
                   "the distribution\n");
    assert_refused(recipe(DEBIAN, BIOS, OS_10G, APP_2G, "cloud: yes\n"),
                   "recipe.yaml:9:8: error: 'cloud' must be true or false, not 'yes'\n");
}

static void
test_family_defaults(void **state)
{
    (void)state;
    const struct {
        const char *os;
        enum distro distro;
        enum distro_family family;
        enum fs_type fs;
    } cases[] = {
        {"{distro: centos-stream-9}", DISTRO_CENTOS_STREAM_9, FAMILY_RHEL, FS_XFS},
        {"{distro: rocky-9}", DISTRO_ROCKY_9, FAMILY_RHEL, FS_XFS},
        {"{distro: almalinux-9}", DISTRO_ALMALINUX_9, FAMILY_RHEL, FS_XFS},
        {"{distro: debian-12}", DISTRO_DEBIAN_12, FAMILY_DEBIAN, FS_EXT4},
        {"{distro: ubuntu-24.04}", DISTRO_UBUNTU_24_04, FAMILY_DEBIAN, FS_EXT4},
        {"{rootfs: root.tar}", DISTRO_NONE, FAMILY_GENERIC, FS_EXT4},
    };
    unit_write_file("root.tar", "");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct plan *p = unit_plan(recipe(cases[i].os, BIOS, OS_10G, APP_2G, NULL));
        assert_int_equal(p->os.distro, cases[i].distro);
        assert_int_equal(p->os.family, cases[i].family);
        assert_int_equal(p->disks[0].parts[1].fs, cases[i].fs); /* /boot */
        assert_int_equal(p->disks[0].vg.lvs[0].fs, cases[i].fs);
        assert_int_equal(p->disks[0].vg.lvs[1].fs, FS_SWAP); /* asked for */
        assert_int_equal(p->disks[0].vg.lvs[2].fs, cases[i].fs);
        assert_int_equal(p->disks[1].vg.lvs[0].fs, cases[i].fs);
        assert_int_equal(p->addons, cases[i].distro == DISTRO_NONE ? 0 : ADDON_ALL);
        plan_free(p);
    }
    /* An explicit fs wins over the family's. */
    const struct plan *p = unit_plan(
        recipe(DEBIAN, BIOS, OS_10G,
               "{size: 2GiB, volumes: [{name: d, mount: /srv, size: rest, fs: xfs}]}", NULL));
    assert_int_equal(p->disks[1].vg.lvs[0].fs, FS_XFS);
    plan_free(p);
}

static void
test_other_defaults(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe(DEBIAN, "{}", OS_10G, APP_2G, NULL));
    assert_string_equal(p->name, "t");
    assert_string_equal(p->version, "1");
    assert_string_equal(p->description, "");
    assert_string_equal(p->vendor, "");
    assert_string_equal(p->os.hostname, "t");
    assert_string_equal(p->os.timezone, "UTC");
    assert_string_equal(p->os.locale, "C.UTF-8");
    assert_null(p->os.mirror);
    assert_string_equal(p->os.kernel_cmdline, "console=tty0 console=ttyS0,115200 no_timer_check");
    assert_int_equal(p->hardware.cpus, 2);
    assert_int_equal(p->hardware.memory, 2 * GiB);
    assert_int_equal(p->hardware.controller, CONTROLLER_SCSI);
    assert_int_equal(p->hardware.nics, 1);
    assert_int_equal(p->addons, ADDON_ALL);
    assert_int_equal(p->ova_digest, DIGEST_SHA256);
    assert_string_equal(p->hardware_family, "vmx-13");
    assert_int_equal(p->n_users, 0);
    assert_int_equal(p->n_files, 0);
    assert_null(p->run);
    plan_free(p);

    p = unit_plan(recipe("{distro: debian-12, kernel_cmdline: quiet, hostname: box}",
                         "{cpus: 8, memory: 512MiB, controller: ide, nics: 0}", OS_10G, APP_2G,
                         "addons: []\n"));
    assert_string_equal(p->os.kernel_cmdline, "console=tty0 console=ttyS0,115200 no_timer_check quiet");
    assert_string_equal(p->os.hostname, "box");
    assert_int_equal(p->hardware.cpus, 8);
    assert_int_equal(p->hardware.memory, 512 * MiB);
    assert_int_equal(p->hardware.controller, CONTROLLER_IDE);
    assert_int_equal(p->hardware.nics, 0);
    assert_int_equal(p->addons, 0);
    plan_free(p);
}

static void
test_os_errors(void **state)
{
    (void)state;
    unit_write_file("root.tar", "");
    const char *text = recipe("{distro: debian-12, rootfs: root.tar}", BIOS, OS_10G, APP_2G, NULL);
    assert_refused_has(text, 4, "root.tar", "'distro'|'rootfs'");
    text = recipe("{hostname: x}", BIOS, OS_10G, APP_2G, NULL);
    assert_refused_has(text, 4, "{hostname", "'distro'|'rootfs'");
    text = recipe("{rootfs: root.tar, packages: [vim]}", BIOS, OS_10G, APP_2G, NULL);
    assert_refused_has(text, 4, "[vim]", "'packages'|'distro'");
    text = recipe("{rootfs: root.tar}", BIOS, OS_10G, APP_2G, "addons: [kvm]\n");
    assert_refused_has(text, 9, "[kvm]", "'distro'");
    text = recipe("{rootfs: missing.tar}", BIOS, OS_10G, APP_2G, NULL);
    assert_refused_has(text, 4, "missing.tar", "'missing.tar'|not found");
}

/* hardware.arch: x86_64 by default; aarch64 with UEFI and SATA by
 * default, and a BIOS or another controller refused at its key, also
 * when aarch64 is one of a list; a list planned for each. */
static void
test_arch(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe(DEBIAN, "{}", OS_10G, APP_2G, NULL));
    assert_int_equal(p->hardware.arch, ARCH_X86_64);
    assert_int_equal(p->hardware.arches, ARCH_X86_64);
    plan_free(p);

    p = unit_plan(recipe(DEBIAN, "{arch: aarch64}", OS_10G, APP_2G, NULL));
    assert_int_equal(p->hardware.arch, ARCH_AARCH64);
    assert_int_equal(p->hardware.firmware, FIRMWARE_UEFI);
    assert_int_equal(p->hardware.controller, CONTROLLER_SATA);
    assert_true(p->hardware.secure_boot);
    /* No BIOS boot partition: the ESP is the first. */
    assert_int_equal(p->disks[PLAN_DISK_OS].parts[0].role, PART_ESP);
    plan_free(p);

    const char *both = recipe(DEBIAN, "{arch: [aarch64, x86_64]}", OS_10G, APP_2G, NULL);
    p = unit_plan(both);
    assert_int_equal(p->hardware.arch, ARCH_X86_64);
    assert_int_equal(p->hardware.arches, ARCH_ALL);
    assert_int_equal(p->hardware.firmware, FIRMWARE_BOTH);
    plan_free(p);
    struct ab_error err = {0};
    p = plan_new_arch(unit_parse(both, &err), ARCH_AARCH64, &err);
    assert_non_null(p);
    assert_int_equal(p->hardware.arch, ARCH_AARCH64);
    assert_int_equal(p->hardware.firmware, FIRMWARE_UEFI);
    plan_free(p);

    enum arch order[2];
    assert_int_equal(plan_arches(0, order), 1);
    assert_int_equal(order[0], ARCH_X86_64);
    assert_int_equal(plan_arches(ARCH_AARCH64 | ARCH_X86_64, order), 2);
    assert_int_equal(order[1], ARCH_AARCH64);

    const char *text = recipe(DEBIAN, "{arch: aarch64, firmware: bios+uefi}", OS_10G, APP_2G, NULL);
    assert_refused_has(text, 5, "bios+uefi", "'bios+uefi'|aarch64|uefi");
    text = recipe(DEBIAN, "{arch: [x86_64, aarch64], firmware: bios}", OS_10G, APP_2G, NULL);
    assert_refused_has(text, 5, "bios}", "BIOS|aarch64");
    text = recipe(DEBIAN, "{arch: aarch64, controller: scsi}", OS_10G, APP_2G, NULL);
    assert_refused_has(text, 5, "scsi", "'scsi'|aarch64|sata");
    unit_write_file("root.tar", "");
    text = recipe("{rootfs: root.tar}", "{arch: [x86_64, aarch64]}", OS_10G, APP_2G, NULL);
    assert_refused_has(text, 5, "[x86_64", "'rootfs'|one arch");
}

static void
test_files(void **state)
{
    (void)state;
    assert_true(mkdir("app", 0755) == 0 || access("app", F_OK) == 0);
    unit_write_file("app/motd", "hello\n");
    unlink("escape");
    assert_int_equal(symlink("/etc", "escape"), 0);

    const struct plan *p =
        unit_plan(recipe(DEBIAN, BIOS, OS_10G, APP_2G,
                         "files:\n  - {src: app/, dest: /opt/app/, mode: '0750'}\n"
                         "  - {src: app/../app/motd, dest: /etc/motd, owner: 'daemon:adm'}\n"));
    assert_int_equal(p->n_files, 2);
    char *cwd = realpath(".", NULL);
    char want[PATH_MAX + 20];
    snprintf(want, sizeof(want), "%s/app", cwd);
    assert_string_equal(p->files[0].src_abs, want);
    assert_string_equal(p->files[0].src, "app/");
    assert_string_equal(p->files[0].dest, "/opt/app/");
    assert_string_equal(p->files[0].owner, "root:root");
    assert_int_equal(p->files[0].mode, 0750);
    snprintf(want, sizeof(want), "%s/app/motd", cwd);
    assert_string_equal(p->files[1].src_abs, want);
    assert_string_equal(p->files[1].owner, "daemon:adm");
    assert_int_equal(p->files[1].mode, -1);
    free(cwd);
    plan_free(p);

    const char *text =
        recipe(DEBIAN, BIOS, OS_10G, APP_2G, "files:\n  - {src: escape/passwd, dest: /etc/x}\n");
    assert_refused_has(text, 10, "escape/passwd", "'escape/passwd'|outside|symbolic link");
    text = recipe(DEBIAN, BIOS, OS_10G, APP_2G, "files:\n  - {src: nothing, dest: /etc/x}\n");
    assert_refused_has(text, 10, "nothing", "'nothing'|not found");
}

static void
test_names_across_disks(void **state)
{
    (void)state;
    const char *text =
        recipe(DEBIAN, BIOS, OS_10G,
               "{size: 2GiB, vg: vg_os, volumes: [{name: d, mount: /srv, size: rest}]}", NULL);
    assert_refused_has(text, 8, "vg_os", "'vg_os'|both disks");
    /* The same LV name on both disks is fine: they are in different VGs. */
    const struct plan *p =
        unit_plan(recipe(DEBIAN, BIOS, OS_10G,
                         "{size: 2GiB, volumes: [{name: root, mount: /srv, size: rest}]}", NULL));
    plan_free(p);

    text = recipe(DEBIAN, BIOS,
                  "{size: 10GiB, volumes: [{name: root, mount: /, size: 1GiB}, "
                  "{name: root, mount: /x, size: 1GiB}]}",
                  APP_2G, NULL);
    assert_refused_has(text, 7, "root, mount: /x", "'root'|twice|'os'");

    text = recipe(DEBIAN, BIOS, OS_10G, APP_2G, "users:\n  - {name: a}\n  - {name: a}\n");
    assert_refused_has(text, 11, "a}", "'a'|twice");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_bios),
        cmocka_unit_test(test_layout_uefi),
        cmocka_unit_test(test_layout_both),
        cmocka_unit_test(test_layout_boot_size_and_smallest_disk),
        cmocka_unit_test(test_extents_rounded_up),
        cmocka_unit_test(test_fit_error),
        cmocka_unit_test(test_rest_errors),
        cmocka_unit_test(test_grow),
        cmocka_unit_test(test_grow_errors),
        cmocka_unit_test(test_size_errors),
        cmocka_unit_test(test_size_overflow),
        cmocka_unit_test(test_mount_order),
        cmocka_unit_test(test_mount_errors),
        cmocka_unit_test(test_mount_reserved),
        cmocka_unit_test(test_no_root),
        cmocka_unit_test(test_implied_outputs),
        cmocka_unit_test(test_cloud),
        cmocka_unit_test(test_family_defaults),
        cmocka_unit_test(test_other_defaults),
        cmocka_unit_test(test_os_errors),
        cmocka_unit_test(test_arch),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_names_across_disks),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
