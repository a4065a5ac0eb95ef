/* test_error.c: the error type: append, cap, prefix, sort, exit status. */
#include "unit.h"

#include <errno.h>

static char *
written(const struct ab_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ab_error_write(err, f);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void
test_init_and_release(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_false(ab_error_is_set(&err));
    assert_int_equal(ab_error_exit_status(&err), 0);
    char *text = written(&err);
    assert_string_equal(text, "");
    free(text);

    assert_int_equal(ab_recipe_error(&err, NULL, "one %d", 1), -1);
    assert_true(ab_error_is_set(&err));
    ab_error_release(&err);
    assert_false(ab_error_is_set(&err));
    assert_int_equal(err.n_diags, 0);
    assert_null(err.diags);
    assert_int_equal(err.code, AB_OK);
    ab_error_release(NULL); /* NULL-safe */

    ab_error_init(&err);
    assert_int_equal(err.n_dropped, 0);
    assert_int_equal(err.errnum, 0);
}

static void
test_append(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char file[] = "recipe.yaml";
    struct ab_pos pos = {file, 12, 5};

    assert_int_equal(ab_recipe_error(&err, &pos, "size of volume '%s' must be positive", "data"),
                     -1);
    file[0] = 'X'; /* the diagnostic keeps its own copy of the name */
    assert_int_equal(ab_build_error(&err, ENOSPC, "while writing '%s'", "os.img"), -1);
    struct ab_pos nofile = {NULL, 3, 4};
    ab_error_set(&err, AB_E_RECIPE, 0, &nofile, "no file");
    struct ab_pos noline = {"r.yaml", 0, 0};
    ab_error_set(&err, AB_E_RECIPE, EACCES, &noline, "cannot read recipe");

    assert_int_equal(err.n_diags, 4);
    assert_string_equal(err.diags[0].file, "recipe.yaml");
    assert_int_equal(err.diags[0].line, 12);
    assert_int_equal(err.diags[0].col, 5);
    assert_string_equal(err.diags[0].msg, "size of volume 'data' must be positive");
    assert_null(err.diags[1].file);
    assert_int_equal(err.diags[1].line, 0);
    assert_null(err.diags[2].file); /* a position needs a file */
    assert_int_equal(err.diags[2].line, 0);
    /* The first code and errno win. */
    assert_int_equal(err.code, AB_E_RECIPE);
    assert_int_equal(err.errnum, 0);
    assert_int_equal(ab_error_exit_status(&err), 3);

    char *text = written(&err);
    assert_string_equal(text, "recipe.yaml:12:5: error: size of volume 'data' must be positive\n"
                              "appliance: error: while writing 'os.img'\n"
                              "appliance: error: no file\n"
                              "r.yaml: error: cannot read recipe\n");
    free(text);
    ab_error_release(&err);
}

static void
test_exit_status(void **state)
{
    (void)state;
    const struct {
        enum ab_error_code code;
        int status;
    } cases[] = {
        {AB_E_BUILD, 1},
        {AB_E_USAGE, 2},
        {AB_E_RECIPE, 3},
        {AB_E_NOMEM, 1},
        {AB_E_NOFILE, 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ab_error err = AB_ERROR_INIT;
        ab_error_set(&err, cases[i].code, EIO, NULL, "x");
        assert_int_equal(err.code, cases[i].code);
        assert_int_equal(err.errnum, EIO);
        assert_int_equal(ab_error_exit_status(&err), cases[i].status);
        ab_error_set(&err, AB_E_USAGE, 0, NULL, "later");
        assert_int_equal(err.code, cases[i].code);
        assert_int_equal(err.errnum, EIO);
        ab_error_release(&err);
    }
}

static void
test_cap(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct ab_pos pos = {"r.yaml", 1, 1};
    for (unsigned i = 0; i < AB_ERROR_MAX_DIAGS + 6; i++) {
        pos.line = i + 1;
        assert_int_equal(ab_recipe_error(&err, &pos, "error %u", i), -1);
    }
    assert_int_equal(err.n_diags, AB_ERROR_MAX_DIAGS);
    assert_int_equal(err.n_dropped, 6);
    assert_string_equal(err.diags[AB_ERROR_MAX_DIAGS - 1].msg, "error 63");
    assert_int_equal(err.diags[AB_ERROR_MAX_DIAGS - 1].line, AB_ERROR_MAX_DIAGS);

    char *text = written(&err);
    const char *tail = "r.yaml:64:1: error: error 63\nappliance: 6 more errors not shown\n";
    size_t lt = strlen(text), ltail = strlen(tail);
    assert_true(lt > ltail);
    assert_string_equal(text + lt - ltail, tail);
    assert_int_equal(strncmp(text, "r.yaml:1:1: error: error 0\n", 27), 0);
    free(text);
    ab_error_release(&err);
    assert_int_equal(err.n_dropped, 0);
}

static void
test_prefix(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    ab_error_prefix(&err, "while %s", "nothing"); /* no diagnostic: no effect */
    assert_false(ab_error_is_set(&err));

    ab_build_error(&err, ENOSPC, "first");
    ab_build_error(&err, ENOSPC, "No space left on device");
    ab_error_prefix(&err, "while writing partition table of '%s'", "os");
    ab_error_prefix(&err, "while building '%s'", "demo");
    assert_string_equal(err.diags[0].msg, "first");
    assert_string_equal(err.diags[1].msg, "while building 'demo': while writing partition table "
                                          "of 'os': No space left on device");
    ab_error_release(&err);
}

static void
test_sort(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const unsigned at[][2] = {{3, 1}, {1, 5}, {10, 2}, {1, 2}, {3, 1}, {2, 9}};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        struct ab_pos pos = {"r.yaml", at[i][0], at[i][1]};
        ab_recipe_error(&err, &pos, "%zu", i);
    }
    ab_error_sort(&err);
    /* By line, then column; equal positions keep their order. */
    const char *order[] = {"3", "1", "5", "0", "4", "2"};
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        assert_string_equal(err.diags[i].msg, order[i]);
    assert_int_equal(err.diags[0].line, 1);
    assert_int_equal(err.diags[0].col, 2);
    assert_int_equal(err.diags[5].line, 10);
    ab_error_release(&err);

    ab_error_sort(&err); /* empty: no effect */
    assert_int_equal(err.n_diags, 0);
}

static void
test_nomem_line(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    ab_error_set(&err, AB_E_NOMEM, ENOMEM, NULL, "out of memory");
    char *text = written(&err);
    char want[200];
    snprintf(want, sizeof(want), "appliance: error: out of memory\nappliance: error: %s\n",
             strerror(ENOMEM));
    assert_string_equal(text, want);
    free(text);
    assert_int_equal(ab_error_exit_status(&err), 1);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_release), cmocka_unit_test(test_append),
        cmocka_unit_test(test_exit_status),      cmocka_unit_test(test_cap),
        cmocka_unit_test(test_prefix),           cmocka_unit_test(test_sort),
        cmocka_unit_test(test_nomem_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
