/* test_preflight.c: the free space estimate, the folder checks, the
 * missing tools and archive keys. */
#include "pipeline/preflight.h"
#include "unit.h"

#include "appliance/distro.h"

static char *
recipe_for(const char *distro, const char *outputs, const char *os_size)
{
    char *text = NULL;
    assert_true(
        asprintf(&text,
                 "recipe: 1\nname: t\nversion: '1'\nos: {distro: %s}\n"
                 "disks:\n"
                 "  os: {size: %s, boot: 256MiB, volumes: [{name: root, mount: /, size: rest}]}\n"
                 "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
                 "outputs: [%s]\n",
                 distro, os_size, outputs) > 0);
    return text;
}

static char *
recipe_with(const char *outputs, const char *os_size)
{
    return recipe_for("debian-12", outputs, os_size);
}

static uint64_t
need_output(const char *outputs, const char *os_size)
{
    char *text = recipe_with(outputs, os_size);
    const struct plan *p = unit_plan(text);
    struct preflight_need need;
    preflight_estimate(p, &need);
    plan_free(p);
    free(text);
    return need.output;
}

static void
test_estimate(void **state)
{
    (void)state;
    const uint64_t G = UINT64_C(1) << 30;
    /* raw alone: the sparse disks' data; each full-size format adds as much. */
    assert_int_equal(need_output("raw", "8GiB"), G);
    assert_int_equal(need_output("qcow2", "8GiB"), 2 * G);
    assert_int_equal(need_output("qcow2, vdi, vhdx", "8GiB"), 4 * G);
    /* The OVA's VMDKs are compressed: less than another full copy. */
    assert_true(need_output("ova", "8GiB") > G && need_output("ova", "8GiB") < 2 * G);
    assert_true(need_output("ova, ovf", "8GiB") >= need_output("ova", "8GiB"));
    /* More outputs never need less. */
    assert_true(need_output("ova, qcow2, libvirt", "8GiB") > need_output("ova", "8GiB"));
    /* A disk smaller than the estimate bounds it. */
    assert_true(need_output("raw", "600MiB") <= (UINT64_C(600) << 20));
}

static void
test_folders(void **state)
{
    (void)state;
    char *text = recipe_with("raw", "8GiB");
    CLEANUP_PLAN const struct plan *p = unit_plan(text);
    free(text);
    unit_write_file("file", "x");
    struct ab_error err = AB_ERROR_INIT;
    /* A folder that does not exist yet is fine if its parent is writable
     * (the space check is off: this folder's filesystem may be small). */
    struct preflight_opts ok = {"not/yet/there", ".", false};
    if (geteuid() == 0)
        assert_int_equal(preflight_check(p, &ok, &err), 0);
    else
        unit_skip_part(
            "a good folder passing preflight: checked only as root (a build needs root)");
    ab_error_release(&err);
    /* Below a file: one line per folder. */
    struct preflight_opts bad = {"file/out", "file/scratch", false};
    assert_int_equal(preflight_check(p, &bad, &err), -1);
    char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "output folder 'file/out': 'file' is not a folder"));
    assert_non_null(strstr(msg, "scratch folder 'file/scratch': 'file' is not a folder"));
    free(msg);
    ab_error_release(&err);
}

/* Ubuntu's archive keys (ubuntu-keyring) are missed in preflight, with
 * the package that installs them, not in the os stage. */
static void
test_keyring(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct preflight_opts o = {"out", ".", false};
    const char *keyring = distro_row(DISTRO_UBUNTU_24_04)->keyring;
    assert_non_null(keyring);
    char *text = recipe_for("ubuntu-24.04", "raw", "8GiB");
    CLEANUP_PLAN const struct plan *p = unit_plan(text);
    free(text);
    preflight_check(p, &o, &err);
    char *msg = unit_error_text(&err);
    bool said = strstr(msg, "ubuntu-24.04 needs Ubuntu's archive keys in "
                            "'/usr/share/keyrings/ubuntu-archive-keyring.gpg'") &&
                strstr(msg, "(apt-get install ubuntu-keyring; Debian 12 has it in "
                            "bookworm-backports");
    assert_true(said == (access(keyring, R_OK) < 0));
    free(msg);
    ab_error_release(&err);
    /* Debian's are mmdebstrap's own: never asked for. */
    text = recipe_with("raw", "8GiB");
    CLEANUP_PLAN const struct plan *d = unit_plan(text);
    free(text);
    preflight_check(d, &o, &err);
    msg = unit_error_text(&err);
    assert_null(strstr(msg, "archive keys"));
    assert_null(strstr(msg, "make deps"));
    free(msg);
    ab_error_release(&err);
}

/* An aarch64 appliance is built on this x86_64 host with qemu-user:
 * preflight asks for qemu-user-static's entry when neither the host nor
 * the package has one, once also for a list of both (whose plans are
 * checked together, build_arches.c), and for nothing else; the x86_64
 * plan of a list asks for nothing of aarch64's. */
static void
test_arch_cross(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct preflight_opts o = {"not/yet/there", ".", false};
    bool have = access("/usr/lib/binfmt.d/qemu-aarch64.conf", R_OK) == 0 ||
                access("/proc/sys/fs/binfmt_misc/qemu-aarch64", R_OK) == 0;
    const char *arches[] = {"aarch64", "[x86_64, aarch64]"};
    for (size_t i = 0; i < 2; i++) {
        char *base = recipe_with("raw", "8GiB"), *text = NULL;
        assert_true(asprintf(&text, "%shardware: {arch: %s}\n", base, arches[i]) > 0);
        free(base);
        CLEANUP_PLAN const struct plan *p0 = unit_plan(text);
        CLEANUP_PLAN const struct plan *p1 = i ? unit_plan_arch(text, ARCH_AARCH64) : NULL;
        free(text);
        const struct plan *plans[] = {p0, p1};
        preflight_check_all(plans, i + 1, &o, &err);
        char *msg = unit_error_text(&err);
        const char *at = strstr(msg, "apt-get install qemu-user-static");
        if (have)
            assert_null(strstr(msg, "qemu-user"));
        else
            assert_true(at && !strstr(at + 1, "apt-get install qemu-user-static"));
        assert_null(strstr(msg, "not supported"));
        free(msg);
        ab_error_release(&err);
        if (i) {
            preflight_check(p0, &o, &err);
            msg = unit_error_text(&err);
            assert_null(strstr(msg, "qemu-user"));
            free(msg);
            ab_error_release(&err);
        }
    }
}

/* A missing tool names the Debian package that installs it: an
 * installed program has no Makefile to point at. */
static void
test_tools(void **state)
{
    (void)state;
    char *old = strdup(getenv("PATH") ? getenv("PATH") : "");
    assert_int_equal(setenv("PATH", "/nonexistent", 1), 0);
    struct ab_error err = AB_ERROR_INIT;
    struct preflight_opts o = {"out", ".", false};
    CLEANUP_PLAN const struct plan *p =
        unit_plan("recipe: 1\nname: t\nversion: '1'\nos: {distro: rocky-9}\n"
                  "disks:\n"
                  "  os: {size: 8GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
                  "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
                  "outputs: [gce]\n");
    assert_int_equal(preflight_check(p, &o, &err), -1);
    assert_int_equal(setenv("PATH", old, 1), 0);
    free(old);
    char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "'sfdisk' is not installed (apt-get install fdisk)"));
    assert_non_null(strstr(msg, "'qemu-img' is not installed (apt-get install qemu-utils)"));
    assert_non_null(
        strstr(msg, "'dnf' is not installed: it installs rocky-9 (apt-get install dnf)"));
    assert_non_null(
        strstr(msg, "'mkfs.xfs' is not installed: xfs volumes need it (apt-get install xfsprogs)"));
    assert_non_null(
        strstr(msg, "'pigz' is not installed: the gce output needs it (apt-get install pigz)"));
    assert_null(strstr(msg, "make deps"));
    free(msg);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estimate),
        cmocka_unit_test(test_folders),
        cmocka_unit_test(test_keyring),
        cmocka_unit_test(test_arch_cross),
        cmocka_unit_test(test_tools),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
