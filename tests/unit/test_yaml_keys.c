/* test_yaml_keys.c: the generic key parsers, driven by table rows. */
#include "unit.h"

#include "appliance/cleanup.h"
#include "appliance/size.h"
#include "recipe/yaml_walk.h"

struct inner {
    unsigned guard1;
    int tristate; /* -1: not given */
    unsigned guard2;
};

struct target {
    uint64_t size;
    struct ab_pos size_pos;
    bool size_set;
    unsigned count;
    int nics; /* -1: not given */
    bool flag;
    enum fs_type fs;
    char *name;
    char **names;
    unsigned addons;
    struct inner in;
};

#define T(m) .at = YW_AT(struct target, m), .size = YW_SIZEOF(struct target, m)
#define I(m) .at = YW_AT(struct inner, m), .size = YW_SIZEOF(struct inner, m)

/* Refuses names with an 'x'. */
static const char *
no_x(const char *text)
{
    return strchr(text, 'x') ? "must not hold an x" : NULL;
}

static const struct yw_field inner_keys[] = {
    {"tristate", yw_key_bool, 0, YW_BOOL, I(tristate), .what = "'tristate'"},
};
static const struct yw_fields inner_table = {inner_keys, 1};

static const struct yw_field keys[] = {
    {"size", yw_key_size, 0, YW_SIZE, T(size), .pos_at = YW_AT(struct target, size_pos),
     .set_at = YW_AT(struct target, size_set), .what = "'size'"},
    {"count", yw_key_uint, 0, YW_UINT, T(count), .min = 1, .max = 8, .what = "'count'"},
    {"nics", yw_key_uint, 0, YW_UINT, T(nics), .min = 0, .max = 4, .what = "'nics'"},
    {"flag", yw_key_bool, 0, YW_BOOL, T(flag), .what = "'flag'"},
    {"fs", yw_key_enum, 0, YW_ENUM, T(fs), .what = "filesystem", .names = &fs_table},
    {"name", yw_key_string, 0, YW_STRING, T(name), .max = 8, .what = "name", .check = no_x},
    {"names", yw_key_string_list, 0, YW_STRING_LIST, T(names), .max = 8, .what = "'names'",
     .item = "name", .check = no_x},
    {"addons", yw_key_flags, 0, YW_FLAGS, T(addons), .what = "'addons'", .names = &addon_table},
    {"in", yw_key_mapping, 0, YW_MAPPING, T(in), .what = "'in'", .sub = &inner_table},
};

static struct target
fresh(void)
{
    return (struct target){.nics = -1, .in = {7, -1, 9}};
}

static int
parse(struct ab_error *err, const char *text, struct target *t)
{
    struct yw w;
    *err = (struct ab_error)AB_ERROR_INIT;
    assert_int_equal(yw_load(&w, "t.yaml", text, strlen(text), err), 0);
    int r = yw_mapping(&w, yw_root(&w), NULL, keys, sizeof(keys) / sizeof(keys[0]), t);
    yw_release(&w);
    return r;
}

static void
release(struct target *t, struct ab_error *err)
{
    free(t->name);
    ab_strv_free(t->names);
    ab_error_release(err);
}

/* Every value lands at its row's place and width, nothing beside it. */
static void
test_keys_store(void **state)
{
    (void)state;
    struct ab_error err;
    struct target t = fresh();
    assert_int_equal(parse(&err,
                           "size: 2GiB\ncount: 8\nnics: 0\nflag: true\nfs: ext4\n"
                           "name: abc\nnames: [a, b]\naddons: [kvm, vmware]\n"
                           "in: {tristate: true}\n",
                           &t),
                     0);
    assert_int_equal(t.size, 2 * GiB);
    assert_true(t.size_set);
    assert_int_equal(t.size_pos.line, 1);
    assert_int_equal(t.size_pos.col, 7);
    assert_int_equal(t.count, 8);
    assert_int_equal(t.nics, 0);
    assert_true(t.flag);
    assert_int_equal(t.fs, FS_EXT4);
    assert_string_equal(t.name, "abc");
    assert_string_equal(t.names[1], "b");
    assert_null(t.names[2]);
    assert_int_equal(t.addons, ADDON_KVM | ADDON_VMWARE);
    assert_int_equal(t.in.tristate, 1);
    assert_int_equal(t.in.guard1, 7);
    assert_int_equal(t.in.guard2, 9);
    release(&t, &err);
}

/* Bounds, names and forms come from the row; a value refused is not
 * stored and leaves the default. */
static void
test_keys_refuse(void **state)
{
    (void)state;
    struct ab_error err;
    struct target t = fresh();
    assert_int_equal(parse(&err,
                           "count: 9\nnics: 5\nfs: zfs\nname: xyz\nnames: [a, x]\n"
                           "in: {tristate: maybe}\n",
                           &t),
                     -1);
    assert_int_equal(err.n_diags, 6);
    assert_non_null(strstr(err.diags[0].msg, "from 1 to 8"));
    assert_non_null(strstr(err.diags[1].msg, "from 0 to 4"));
    assert_non_null(strstr(err.diags[2].msg, "unknown filesystem 'zfs'"));
    assert_non_null(strstr(err.diags[3].msg, "invalid name 'xyz': must not hold an x"));
    assert_non_null(strstr(err.diags[4].msg, "invalid name 'x'"));
    assert_int_equal(err.diags[4].col, 12);
    assert_non_null(strstr(err.diags[5].msg, "'tristate'"));
    assert_int_equal(t.count, 0);
    assert_int_equal(t.nics, -1);
    assert_int_equal(t.in.tristate, -1);
    release(&t, &err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_store),
        cmocka_unit_test(test_keys_refuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
