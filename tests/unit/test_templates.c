/* test_templates.c: the embedded templates/ files (templates.h) and their
 * @KEY@ placeholders: filled from the list, '@' elsewhere left as text,
 * values never read again for placeholders, and every mismatch between
 * the list and the template an error naming both. */
#include "unit.h"

#include "appliance/cleanup.h"
#include "appliance/templates.h"

static void
test_get(void **state)
{
    (void)state;
    assert_string_equal(templates_get("policy-rc.d"), "#!/bin/sh\nexit 101\n");
    assert_null(templates_get("no-such-template"));
    assert_null(templates_get(""));
}

/* The report unit holds '@' that are no placeholder (serial-getty@, right
 * before the @SERIAL@ one) and three that are; a value that looks like one
 * stays as it is. */
static void
test_render(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const struct template_value values[] = {
        {"NAME", "n@VERSION@"}, {"VERSION", "1.0@"}, {"SERIAL", "ttyS0"}, {NULL, NULL}};
    CLEANUP_FREE char *text = templates_render("appliance-console-report.service", values, &err);
    assert_non_null(text);
    assert_non_null(strstr(text, "\nExecStart=/usr/libexec/appliance/console-report "
                                 "n@VERSION@ 1.0@\n"));
    assert_non_null(strstr(text, " serial-getty@ttyS0.service getty@tty1.service\n"));
    assert_null(strstr(text, "@NAME@"));
    assert_false(ab_error_is_set(&err));
    /* Without placeholders, the text as it is. */
    CLEANUP_FREE char *plain = templates_render("policy-rc.d", NULL, &err);
    assert_string_equal(plain, templates_get("policy-rc.d"));
}

/* render NAME VALUES must fail with message want. */
static void
check_error(const char *name, const struct template_value *values, const char *want)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_null(templates_render(name, values, &err));
    assert_int_equal(err.code, AB_E_BUILD);
    assert_int_equal(err.n_diags, 1);
    assert_string_equal(err.diags[0].msg, want);
    ab_error_release(&err);
}

static void
test_errors(void **state)
{
    (void)state;
    check_error("appliance-console-report.service",
                (const struct template_value[]){{"NAME", "n"}, {"SERIAL", "ttyS0"}, {NULL, NULL}},
                "template 'appliance-console-report.service': no value for '@VERSION@'");
    check_error("appliance-console-report.service",
                (const struct template_value[]){{"NAME", "n"}, {"VERSION", "1"}, {NULL, NULL}},
                "template 'appliance-console-report.service': no value for '@SERIAL@'");
    check_error("policy-rc.d", (const struct template_value[]){{"NAME", "n"}, {NULL, NULL}},
                "template 'policy-rc.d' has no '@NAME@'");
    check_error("nope", NULL, "no template 'nope'");
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(templates_write(NULL, "/nonexistent/x", 0644, "nope", NULL, &err), -1);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
