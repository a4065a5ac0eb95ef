/* test_fsids.c: derived filesystem identities and /etc/fstab. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/fsids.h"

static const char recipe_text[] =
    "recipe: 1\n"
    "name: ids\n"
    "version: \"1\"\n"
    "os: { distro: debian-12 }\n"
    "disks:\n"
    "  os:\n"
    "    size: 4GiB\n"
    "    volumes:\n"
    "      - { name: root, mount: /, size: 2GiB }\n"
    "      - { name: swap, size: 256MiB, fs: swap }\n"
    "  app:\n"
    "    size: 1GiB\n"
    "    volumes:\n"
    "      - { name: data, mount: /srv/data, size: rest, fs: xfs }\n";

static const struct plan *
load(const char *text)
{
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = recipe_parse_buffer("/tmp/ids.yaml", text, strlen(text), &err);
    const struct plan *p = r ? plan_new(r, &err) : NULL;
    if (!p)
        ab_error_write(&err, stderr);
    ab_error_release(&err);
    assert_non_null(p);
    return p;
}

static void
assert_uuid_form(const char *u)
{
    assert_int_equal(strlen(u), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(u[i], '-');
        else
            assert_true(isxdigit((unsigned char)u[i]) && !isupper((unsigned char)u[i]));
    }
    assert_int_equal(u[14], '4');              /* version 4 */
    assert_non_null(strchr("89ab", u[19]));    /* RFC 4122 variant */
}

static void
test_uuids_are_stable_and_distinct(void **state)
{
    (void)state;
    const struct plan *a = load(recipe_text), *b = load(recipe_text);
    char u1[FSID_UUID_BUF], u2[FSID_UUID_BUF], u3[FSID_UUID_BUF], u4[FSID_UUID_BUF];

    fsid_uuid(a, PLAN_DISK_OS, NULL, &a->disks[0].vg.lvs[0], u1);
    fsid_uuid(b, PLAN_DISK_OS, NULL, &b->disks[0].vg.lvs[0], u2);
    fsid_uuid(a, PLAN_DISK_OS, NULL, &a->disks[0].vg.lvs[1], u3);
    const struct plan_partition *boot = &a->disks[0].parts[2];
    assert_int_equal(boot->role, PART_BOOT);
    fsid_uuid(a, PLAN_DISK_OS, boot, NULL, u4);
    assert_uuid_form(u1);
    assert_uuid_form(u3);
    assert_uuid_form(u4);
    assert_string_equal(u1, u2);
    assert_string_not_equal(u1, u3);
    assert_string_not_equal(u1, u4);
    plan_free(a);
    plan_free(b);
}

static void
test_version_changes_uuids(void **state)
{
    (void)state;
    char other[sizeof(recipe_text)];
    memcpy(other, recipe_text, sizeof(recipe_text));
    memcpy(strstr(other, "\"1\""), "\"2\"", 3);
    const struct plan *a = load(recipe_text), *b = load(other);
    char u1[FSID_UUID_BUF], u2[FSID_UUID_BUF];
    fsid_uuid(a, PLAN_DISK_APP, NULL, &a->disks[1].vg.lvs[0], u1);
    fsid_uuid(b, PLAN_DISK_APP, NULL, &b->disks[1].vg.lvs[0], u2);
    assert_string_not_equal(u1, u2);
    plan_free(a);
    plan_free(b);
}

/* recipe_text with "seed: SEED" after its version (none when NULL). */
static const struct plan *
load_seeded(const char *seed)
{
    char text[sizeof(recipe_text) + 300];
    const char *at = strstr(recipe_text, "os:");
    if (!seed)
        return load(recipe_text);
    snprintf(text, sizeof(text), "%.*sseed: \"%s\"\n%s", (int)(at - recipe_text), recipe_text, seed,
             at);
    return load(text);
}

/* A seed changes every identity; the same seed gives the same ones; none
 * (or an empty one) gives those a seed-less recipe always had. */
static void
test_seed_changes_uuids(void **state)
{
    (void)state;
    const struct plan *none = load_seeded(NULL), *empty = load_seeded("");
    const struct plan *a = load_seeded("customer-a"), *a2 = load_seeded("customer-a");
    const struct plan *b = load_seeded("customer-b");
    const struct plan *p[] = {none, empty, a, a2, b};
    char u[5][3][FSID_UUID_BUF];
    uint32_t serial[5];
    for (int i = 0; i < 5; i++) {
        fsid_uuid(p[i], PLAN_DISK_OS, NULL, &p[i]->disks[0].vg.lvs[0], u[i][0]);
        fsid_uuid(p[i], PLAN_DISK_OS, &p[i]->disks[0].parts[2], NULL, u[i][1]);
        fsid_uuid(p[i], PLAN_DISK_APP, NULL, &p[i]->disks[1].vg.lvs[0], u[i][2]);
        serial[i] = fsid_fat_serial(p[i]);
        for (int k = 0; k < 3; k++)
            assert_uuid_form(u[i][k]);
    }
    assert_string_equal(a->seed, "customer-a");
    assert_string_equal(none->seed, "");
    /* Pinned: the seed-less identities of this recipe before seeds existed. */
    assert_string_equal(u[0][0], "726f298b-3ad5-42d2-8c94-42ef3e2c6abd");
    assert_int_equal(serial[0], 0x48D29F97);
    for (int k = 0; k < 3; k++) {
        assert_string_equal(u[0][k], u[1][k]);
        assert_string_equal(u[2][k], u[3][k]);
        assert_string_not_equal(u[0][k], u[2][k]);
        assert_string_not_equal(u[2][k], u[4][k]);
        assert_string_not_equal(u[0][k], u[4][k]);
    }
    /* The GPT's GUIDs: one per disk and partition, each its own, seeded. */
    char g[5][3][FSID_UUID_BUF];
    for (int i = 0; i < 5; i++) {
        fsid_gpt_guid(p[i], PLAN_DISK_OS, NULL, g[i][0]);
        fsid_gpt_guid(p[i], PLAN_DISK_OS, &p[i]->disks[0].parts[2], g[i][1]);
        fsid_gpt_guid(p[i], PLAN_DISK_APP, NULL, g[i][2]);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(strlen(g[i][k]), 36);
            assert_string_not_equal(g[i][k], u[i][1]);
        }
        assert_string_not_equal(g[i][0], g[i][1]);
        assert_string_not_equal(g[i][0], g[i][2]);
    }
    for (int k = 0; k < 3; k++) {
        assert_string_equal(g[0][k], g[1][k]);
        assert_string_equal(g[2][k], g[3][k]);
        assert_string_not_equal(g[0][k], g[2][k]);
        assert_string_not_equal(g[2][k], g[4][k]);
    }
    assert_int_equal(serial[2], serial[3]);
    assert_int_not_equal(serial[0], serial[2]);
    assert_int_not_equal(serial[2], serial[4]);
    for (int i = 0; i < 5; i++)
        plan_free(p[i]);
}

static void
test_fat_serial_text(void **state)
{
    (void)state;
    char t[10];
    fsid_fat_serial_text(0x1234abcd, t);
    assert_string_equal(t, "1234-ABCD");
}

static void
test_fstab(void **state)
{
    (void)state;
    const struct plan *p = load(recipe_text);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(fstab_write(p, f), 0);
    assert_int_equal(fclose(f), 0);

    char root[FSID_UUID_BUF], swap[FSID_UUID_BUF], data[FSID_UUID_BUF], line[200];
    fsid_uuid(p, PLAN_DISK_OS, NULL, &p->disks[0].vg.lvs[0], root);
    fsid_uuid(p, PLAN_DISK_OS, NULL, &p->disks[0].vg.lvs[1], swap);
    fsid_uuid(p, PLAN_DISK_APP, NULL, &p->disks[1].vg.lvs[0], data);
    snprintf(line, sizeof(line), "\nUUID=%s / ext4 defaults 0 1\n", root);
    assert_non_null(strstr(buf, line));
    snprintf(line, sizeof(line), "\nUUID=%s /srv/data xfs defaults 0 0\n", data);
    assert_non_null(strstr(buf, line));
    snprintf(line, sizeof(line), "\nUUID=%s none swap sw 0 0\n", swap);
    assert_non_null(strstr(buf, line));
    assert_non_null(strstr(buf, " /boot ext4 defaults 0 2\n"));
    assert_non_null(strstr(buf, " /boot/efi vfat umask=0077 0 2\n"));
    /* Parents before children: / first, never a /dev/sdX name. */
    assert_true(strstr(buf, " / ext4") < strstr(buf, " /boot "));
    assert_null(strstr(buf, "/dev/sd"));
    free(buf);
    plan_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuids_are_stable_and_distinct),
        cmocka_unit_test(test_version_changes_uuids),
        cmocka_unit_test(test_seed_changes_uuids),
        cmocka_unit_test(test_fat_serial_text),
        cmocka_unit_test(test_fstab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
