/* test_epoch.c: SOURCE_DATE_EPOCH parsed, exported, and a tree's times
 * clamped to it. */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "appliance/epoch.h"

#define OLD 1000000000
#define EPOCH 1700000000

static void
test_parse(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_int_equal(epoch_parse("1700000000", &v), 0);
    assert_int_equal(v, 1700000000);
    assert_int_equal(epoch_parse("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(epoch_parse("4102444799", &v), 0);
    assert_int_equal(v, EPOCH_MAX);
    static const char *const bad[] = {"",   "soon", "-5",   "+5",         " 5",
                                      "5 ", "1.5",  "0x10", "4102444800", "99999999999999999999999",
                                      NULL};
    for (const char *const *b = bad; *b; b++) {
        v = 7;
        if (epoch_parse(*b, &v) != -1)
            fail_msg("'%s' was taken as an epoch", *b);
        assert_int_equal(v, 7);
    }
}

static void
test_env(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    int64_t v = 5;
    unsetenv(EPOCH_ENV);
    assert_int_equal(epoch_from_env(&v, &err), 0);
    setenv(EPOCH_ENV, "", 1);
    assert_int_equal(epoch_from_env(&v, &err), 0);
    assert_int_equal(v, 5);
    setenv(EPOCH_ENV, "1234", 1);
    assert_int_equal(epoch_from_env(&v, &err), 1);
    assert_int_equal(v, 1234);
    /* Malformed: an error that quotes it, never a silent 0. */
    setenv(EPOCH_ENV, "yesterday", 1);
    assert_int_equal(epoch_from_env(&v, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "SOURCE_DATE_EPOCH 'yesterday'"));
    ab_error_release(&err);
    unsetenv(EPOCH_ENV);
}

static void
set_time(const char *path, time_t mtime, time_t atime)
{
    struct timespec t[2] = {{atime, 5}, {mtime, 7}};
    assert_int_equal(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
}

static void
assert_times(const char *path, time_t mtime)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    if (st.st_mtim.tv_sec != mtime || st.st_atim.tv_sec != mtime ||
        st.st_atim.tv_nsec != st.st_mtim.tv_nsec)
        fail_msg("'%s': mtime %lld, atime %lld, not %lld", path, (long long)st.st_mtim.tv_sec,
                 (long long)st.st_atim.tv_sec, (long long)mtime);
}

/* Newer times become the epoch, older ones stay, every atime its mtime;
 * links are not followed, not out of the tree either. */
static void
test_clamp(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(mkdir("t", 0755), 0);
    assert_int_equal(mkdir("t/d", 0755), 0);
    assert_int_equal(mkdir("t/d/e", 0700), 0);
    assert_int_equal(mkdir("outside", 0755), 0);
    unit_write_file("t/new", "new\n");
    unit_write_file("t/d/old", "old\n");
    unit_write_file("t/d/e/read", "read\n");
    unit_write_file("outside/target", "x\n");
    assert_int_equal(symlink("../outside", "t/out"), 0);
    assert_int_equal(symlink("/nowhere", "t/d/dangling"), 0);
    set_time("t/d/old", OLD, OLD + 10);
    set_time("t/d/e/read", OLD, EPOCH + 50); /* read after the epoch */
    set_time("t/out", OLD, OLD);
    set_time("outside", EPOCH + 100, EPOCH + 100);
    set_time("outside/target", EPOCH + 100, EPOCH + 100);
    set_time("t/d/e", EPOCH + 3, EPOCH + 3);
    assert_int_equal(epoch_clamp_tree("t", EPOCH, &err), 0);
    assert_false(ab_error_is_set(&err));
    assert_times("t", EPOCH);
    assert_times("t/new", EPOCH);
    assert_times("t/d", EPOCH);
    assert_times("t/d/old", OLD);
    assert_times("t/d/e", EPOCH);
    assert_times("t/d/e/read", OLD);
    assert_times("t/out", OLD);
    assert_times("t/d/dangling", EPOCH);
    struct stat st;
    assert_int_equal(stat("outside/target", &st), 0);
    assert_int_equal(st.st_mtim.tv_sec, EPOCH + 100);
    assert_int_equal(stat("outside", &st), 0);
    assert_int_equal(st.st_mtim.tv_sec, EPOCH + 100);
    /* A second run changes nothing. */
    assert_int_equal(epoch_clamp_tree("t", EPOCH, &err), 0);
    assert_times("t/d/old", OLD);
    /* Not a folder, or missing: an error naming it. */
    assert_int_equal(epoch_clamp_tree("t/new", EPOCH, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "t/new"));
    ab_error_release(&err);
    assert_int_equal(epoch_clamp_tree("missing", EPOCH, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "missing"));
    ab_error_release(&err);
}

/* source_date_epoch: what the exporters read; 0 for anything but a plain
 * number in range, never the wall clock. */
static void
test_source_date_epoch(void **state)
{
    (void)state;
    unsetenv("SOURCE_DATE_EPOCH");
    assert_int_equal(source_date_epoch(), 0);
    setenv("SOURCE_DATE_EPOCH", "", 1);
    assert_int_equal(source_date_epoch(), 0);
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    assert_int_equal(source_date_epoch(), 1700000000);
    setenv("SOURCE_DATE_EPOCH", "4102444799", 1); /* EPOCH_MAX: past 32 bits */
    assert_int_equal(source_date_epoch(), INT64_C(4102444799));
    const char *bad[] = {"soon", "-5", "12abc", "99999999999999999999999", " 1", "4102444800"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("SOURCE_DATE_EPOCH", bad[i], 1);
        assert_int_equal(source_date_epoch(), 0);
    }
    unsetenv("SOURCE_DATE_EPOCH");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_clamp),
        cmocka_unit_test(test_source_date_epoch),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
