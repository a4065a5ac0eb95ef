/* test_build_arches.c: each architecture's files moved into the one
 * folder of a recipe that lists several (builder/pipeline/build_arches.c). */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "pipeline/build_arches.h"

static void
put(const char *path)
{
    CLEANUP_FREE char *dir = strdup(path);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(mkdir_p(dir, 0755), 0);
    unit_write_file(path, path);
}

/* Every file lands in the one folder by its path; a folder both have
 * (ovf/) holds both's files; the builds' folders are left empty but for
 * their SHA256SUMS. */
static void
test_merge(void **state)
{
    (void)state;
    put("out/.x86_64/d-1-x86_64.ova");
    put("out/.x86_64/ovf/d-1-x86_64.ovf");
    put("out/.x86_64/d-1-x86_64.utm/Data/d-1-x86_64-os.qcow2");
    put("out/.x86_64/SHA256SUMS");
    put("out/.aarch64/d-1-aarch64.ova");
    put("out/.aarch64/ovf/d-1-aarch64.ovf");
    put("out/.aarch64/build-report-aarch64.json");
    put("out/.aarch64/SHA256SUMS");
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(arches_merge("out/.x86_64", "out", &err), &err);
    unit_check_ok(arches_merge("out/.aarch64", "out", &err), &err);
    static const char *const want[] = {"out/d-1-x86_64.ova",
                                       "out/ovf/d-1-x86_64.ovf",
                                       "out/d-1-x86_64.utm/Data/d-1-x86_64-os.qcow2",
                                       "out/d-1-aarch64.ova",
                                       "out/ovf/d-1-aarch64.ovf",
                                       "out/build-report-aarch64.json",
                                       "out/.x86_64/SHA256SUMS",
                                       "out/.aarch64/SHA256SUMS"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        print_message("%s\n", want[i]);
        assert_int_equal(access(want[i], F_OK), 0);
    }
    CLEANUP_FREE char *moved = unit_slurp("out/ovf/d-1-aarch64.ovf", NULL);
    assert_string_equal(moved, "out/.aarch64/ovf/d-1-aarch64.ovf"); /* the bytes it had */
    assert_int_equal(access("out/SHA256SUMS", F_OK), -1);
    assert_int_equal(access("out/.aarch64/ovf", F_OK), -1);
    assert_int_equal(access("out/.x86_64/d-1-x86_64.ova", F_OK), -1);
}

/* Two builds that wrote one name: an internal error naming it, and the
 * file already there kept. */
static void
test_merge_collision(void **state)
{
    (void)state;
    put("twice/.a/INSTALL-kvm.md");
    put("twice/.a/ovf/same.ovf");
    put("twice/.b/ovf/same.ovf");
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(arches_merge("twice/.a", "twice", &err), &err);
    assert_int_equal(arches_merge("twice/.b", "twice", &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: internal error: two architectures' builds "
                             "both wrote 'ovf/same.ovf'\n");
    ab_error_release(&err);
    CLEANUP_FREE char *kept = unit_slurp("twice/ovf/same.ovf", NULL);
    assert_string_equal(kept, "twice/.a/ovf/same.ovf");
    assert_int_equal(arches_merge("no-such-folder", "twice", &err), -1);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_merge_collision),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
