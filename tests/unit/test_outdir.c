/* test_outdir.c: output written whole or not at all, and the build lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/fsutil.h"
#include "appliance/outdir.h"

static char top[] = "/tmp/appliance-outdir-XXXXXX";

static void
put_file(const char *dir, const char *name, const char *text)
{
    char path[1100];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int
exists(const char *dir, const char *name)
{
    char path[1100];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Entries of top/out other than final's name: temporary leftovers. */
static int
leftovers(const char *parent)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s | grep -v '^result$')\"", parent);
    return system(cmd) != 0;
}

static void
test_commit_new(void **state)
{
    (void)state;
    char final[512], parent[256];
    struct outdir o = OUTDIR_INIT;
    struct ab_error err = AB_ERROR_INIT;
    snprintf(parent, sizeof(parent), "%s/new/deeper", top);
    snprintf(final, sizeof(final), "%s/result", parent);

    assert_int_equal(outdir_begin(&o, final, &err), 0);
    assert_non_null(o.tmp);
    put_file(o.tmp, "disk.img", "new");
    assert_false(exists(final, "disk.img"));
    assert_int_equal(outdir_commit(&o, &err), 0);
    outdir_release(&o);
    assert_true(exists(final, "disk.img"));
    assert_false(leftovers(parent));
}

static void
test_failed_build_keeps_previous(void **state)
{
    (void)state;
    char final[512];
    struct outdir o = OUTDIR_INIT;
    struct ab_error err = AB_ERROR_INIT;
    snprintf(final, sizeof(final), "%s/keep/result", top);

    assert_int_equal(outdir_begin(&o, final, &err), 0);
    put_file(o.tmp, "good.img", "good");
    assert_int_equal(outdir_commit(&o, &err), 0);
    outdir_release(&o);

    assert_int_equal(outdir_begin(&o, final, &err), 0);
    put_file(o.tmp, "half.img", "half");
    outdir_release(&o); /* the build failed: no commit */
    assert_true(exists(final, "good.img"));
    assert_false(exists(final, "half.img"));
    char parent[256];
    snprintf(parent, sizeof(parent), "%s/keep", top);
    assert_false(leftovers(parent));
}

static void
test_commit_replaces_previous(void **state)
{
    (void)state;
    char final[512];
    struct outdir o = OUTDIR_INIT;
    struct ab_error err = AB_ERROR_INIT;
    snprintf(final, sizeof(final), "%s/replace/result", top);

    assert_int_equal(outdir_begin(&o, final, &err), 0);
    put_file(o.tmp, "old.img", "old");
    assert_int_equal(outdir_commit(&o, &err), 0);
    outdir_release(&o);
    assert_int_equal(outdir_begin(&o, final, &err), 0);
    put_file(o.tmp, "new.img", "new");
    assert_int_equal(outdir_commit(&o, &err), 0);
    outdir_release(&o);
    assert_true(exists(final, "new.img"));
    assert_false(exists(final, "old.img"));
}

static void
test_second_build_refused(void **state)
{
    (void)state;
    char final[512];
    struct outdir a = OUTDIR_INIT, b = OUTDIR_INIT;
    struct ab_error err = AB_ERROR_INIT;
    snprintf(final, sizeof(final), "%s/locked/result", top);

    assert_int_equal(outdir_begin(&a, final, &err), 0);
    assert_int_equal(outdir_begin(&b, final, &err), -1);
    assert_int_equal(ab_error_exit_status(&err), 1);
    assert_int_equal(err.n_diags, 1);
    assert_non_null(strstr(err.diags[0].msg, "another build is writing"));
    char pid[32];
    snprintf(pid, sizeof(pid), "(process %ld)", (long)getpid());
    assert_non_null(strstr(err.diags[0].msg, pid));
    ab_error_release(&err);
    outdir_release(&b);
    outdir_release(&a);
    /* Once released, the next build may go. */
    assert_int_equal(outdir_begin(&b, final, &err), 0);
    outdir_release(&b);
}

static void
test_final_is_a_file(void **state)
{
    (void)state;
    char final[512], parent[256];
    struct outdir o = OUTDIR_INIT;
    struct ab_error err = AB_ERROR_INIT;
    snprintf(parent, sizeof(parent), "%s/file", top);
    snprintf(final, sizeof(final), "%s/result", parent);
    assert_int_equal(mkdir(parent, 0755), 0);
    put_file(parent, "result", "not a folder");

    assert_int_equal(outdir_begin(&o, final, &err), 0);
    assert_int_equal(outdir_commit(&o, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "is not a folder"));
    ab_error_release(&err);
    outdir_release(&o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_new),
        cmocka_unit_test(test_failed_build_keeps_previous),
        cmocka_unit_test(test_commit_replaces_previous),
        cmocka_unit_test(test_second_build_refused),
        cmocka_unit_test(test_final_is_a_file),
    };
    if (!mkdtemp(top))
        return 1;
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    if (rm_rf(top, top) < 0)
        r = 1;
    return r;
}
