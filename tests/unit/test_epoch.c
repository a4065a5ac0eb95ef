/* test_epoch.c: SOURCE_DATE_EPOCH, the one time shipped files carry. */
#include "unit.h"

#include "appliance/epoch.h"

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
    setenv("SOURCE_DATE_EPOCH", "4102444800", 1); /* 2100: past 32 bits */
    assert_int_equal(source_date_epoch(), INT64_C(4102444800));
    /* Not a plain non-negative decimal number: 0, never the wall clock. */
    const char *bad[] = {"soon", "-5", "12abc", "99999999999999999999999", " 1"};
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
        cmocka_unit_test(test_source_date_epoch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
