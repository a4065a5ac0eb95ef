/* test_image_ids.c: qemu-img's random header ids and times replaced by
 * derived ones: two conversions of one raw disk become the same bytes,
 * and qemu-img still checks them and finds the raw disk's contents. */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/image_check.h"
#include "export/image_ids.h"

#define MiB (1024u * 1024u)
#define EPOCH 1700000000

static int
shell(const char *cmd)
{
    int r = system(cmd);
    if (r != 0)
        print_error("failed (%d): %s\n", r, cmd);
    return r;
}

static void
need_qemu_img(void)
{
    if (system("qemu-img --version >/dev/null 2>&1") != 0)
        unit_skip("qemu-img is not installed: no image to rewrite");
}

/* 64 MiB, sparse, with data at 5 MiB and 40 MiB. */
static void
make_raw(const char *path)
{
    static unsigned char buf[MiB];
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < sizeof(buf); i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 64 * MiB), 0);
    assert_int_equal(pwrite(fd, buf, MiB, 5 * MiB), (ssize_t)MiB);
    assert_int_equal(pwrite(fd, buf, MiB / 2, 40 * MiB), (ssize_t)(MiB / 2));
    assert_int_equal(close(fd), 0);
}

static void
convert(const char *format, const char *options, const char *out)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "qemu-img convert -f raw -O %s -o %s raw.img %s", format, options,
             out);
    assert_int_equal(shell(cmd), 0);
}

static int
rewrite(const char *path, const char *format, const struct image_id_key *key)
{
    struct ab_error err = AB_ERROR_INIT;
    int r = image_ids_rewrite(path, format, key, EPOCH, &err);
    if (r < 0) {
        char *msg = unit_error_text(&err);
        print_error("%s", msg);
        free(msg);
    }
    ab_error_release(&err);
    return r;
}

static int
files_equal(const char *a, const char *b)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
    return system(cmd) == 0;
}

/* Converts raw.img twice, rewrites both, and judges them. The files have
 * the same name (a VMDK's descriptor holds it), in two folders. */
static void
judge_format(const char *format, const char *options, bool checkable)
{
    char cmd[512];
    const struct image_id_key key = {{1, 2, 3, 4}};
    need_qemu_img();
    make_raw("raw.img");
    assert_int_equal(shell("mkdir -p one two three"), 0);
    convert(format, options, "one/d.img");
    convert(format, options, "two/d.img");
    assert_false(files_equal("one/d.img", "two/d.img")); /* qemu-img's own ids differ */
    assert_int_equal(rewrite("one/d.img", format, &key), 0);
    assert_int_equal(rewrite("two/d.img", format, &key), 0);
    assert_true(files_equal("one/d.img", "two/d.img"));
    /* Once more: nothing changes. */
    assert_int_equal(shell("cp one/d.img three/d.img"), 0);
    assert_int_equal(rewrite("three/d.img", format, &key), 0);
    assert_true(files_equal("one/d.img", "three/d.img"));
    if (checkable) {
        snprintf(cmd, sizeof(cmd), "qemu-img check -q -f %s one/d.img", format);
        assert_int_equal(shell(cmd), 0);
    }
    snprintf(cmd, sizeof(cmd), "qemu-img compare -q -f raw -F %s raw.img one/d.img", format);
    assert_int_equal(shell(cmd), 0);
    /* What inspect, test and deploy accept of images from outside. */
    struct ab_error err = AB_ERROR_INIT;
    struct image_info info;
    assert_int_equal(image_check("one/d.img", "one/d.img", &info, NULL, &err), 0);
    ab_error_release(&err);
    /* Another key: other ids. */
    const struct image_id_key other = {{9}};
    assert_int_equal(rewrite("two/d.img", format, &other), 0);
    assert_false(files_equal("one/d.img", "two/d.img"));
    assert_int_equal(shell("rm -rf one two three raw.img"), 0);
}

static void
test_vhdx(void **state)
{
    (void)state;
    judge_format("vhdx", "subformat=dynamic", true);
}

static void
test_vdi(void **state)
{
    (void)state;
    judge_format("vdi", "static=off", true);
}

static void
test_vhd_fixed(void **state)
{
    (void)state;
    judge_format("vpc", "subformat=fixed,force_size=on", false);
    /* The footer's time is SOURCE_DATE_EPOCH's, counted from 2000. */
    make_raw("raw.img");
    convert("vpc", "subformat=fixed,force_size=on", "t.vhd");
    const struct image_id_key key = {{7}};
    assert_int_equal(rewrite("t.vhd", "vpc", &key), 0);
    size_t len = 0;
    unsigned char *data = (unsigned char *)unit_slurp("t.vhd", &len);
    const unsigned char *f = data + len - 512;
    uint32_t t = (uint32_t)f[24] << 24 | (uint32_t)f[25] << 16 | (uint32_t)f[26] << 8 | f[27];
    assert_int_equal(t, EPOCH - 946684800);
    free(data);
    unlink("t.vhd"), unlink("raw.img");
}

static void
test_vhd_dynamic(void **state)
{
    (void)state;
    judge_format("vpc", "subformat=dynamic", false);
}

static void
test_vmdk(void **state)
{
    (void)state;
    judge_format("vmdk", "subformat=monolithicSparse", true);
    judge_format("vmdk", "subformat=streamOptimized", true);
}

static void
test_refused(void **state)
{
    (void)state;
    const struct image_id_key key = {{1}};
    struct ab_error err = AB_ERROR_INIT;
    unit_write_file("junk.img", "not an image at all");
    const char *formats[] = {"vhdx", "vdi", "vpc", "vmdk"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(image_ids_rewrite("junk.img", formats[i], &key, 0, &err), -1);
    assert_int_equal(image_ids_rewrite("missing.img", "vdi", &key, 0, &err), -1);
    /* Nothing to do for qcow2 and raw. */
    assert_int_equal(image_ids_rewrite("junk.img", "qcow2", &key, 0, &err), 0);
    char *text = unit_slurp("junk.img", NULL);
    assert_string_equal(text, "not an image at all");
    free(text);
    ab_error_release(&err);
}

static void
test_derived(void **state)
{
    (void)state;
    static const char recipe[] =
        "recipe: 1\nname: t\nversion: '1'\nos: {distro: debian-12}\ndisks:\n"
        "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
        "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n";
    CLEANUP_PLAN const struct plan *plan = unit_plan(recipe);
    struct image_id_key os, os2, app, vdi;
    image_id_key_for(plan, PLAN_DISK_OS, "vhdx", &os);
    image_id_key_for(plan, PLAN_DISK_OS, "vhdx", &os2);
    image_id_key_for(plan, PLAN_DISK_APP, "vhdx", &app);
    image_id_key_for(plan, PLAN_DISK_OS, "vdi", &vdi);
    assert_memory_equal(os.b, os2.b, sizeof(os.b));
    assert_memory_not_equal(os.b, app.b, sizeof(os.b));
    assert_memory_not_equal(os.b, vdi.b, sizeof(os.b));
    unsigned char g[16], m[16];
    image_id_guid(&os, "x", 0, g);
    image_id_guid(&os, "x", 1, m);
    assert_int_equal(g[6] >> 4, 4); /* version 4, big-endian */
    assert_int_equal(m[7] >> 4, 4); /* version 4, GUID order */
    assert_int_equal(g[8] & 0xc0, 0x80);
    uint32_t cid = image_id_cid(&os);
    assert_true(cid != 0 && cid < 0xfffffffeu);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vhdx),      cmocka_unit_test(test_vdi),
        cmocka_unit_test(test_vhd_fixed), cmocka_unit_test(test_vhd_dynamic),
        cmocka_unit_test(test_vmdk),      cmocka_unit_test(test_refused),
        cmocka_unit_test(test_derived),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
