/* test_size.c: size_parse() and size_format(). */
#include "unit.h"

#include "appliance/size.h"

/* Parses text, which must be accepted, and returns its bytes. */
static uint64_t
parse_ok(const char *text)
{
    uint64_t bytes = 12345;
    const char *why = NULL;
    int r = size_parse(text, &bytes, &why);
    if (r != 0)
        print_error("size_parse(\"%s\") refused: %s\n", text, why);
    assert_int_equal(r, 0);
    return bytes;
}

/* Parses text, which must be refused, and returns the reason. */
static const char *
parse_bad(const char *text)
{
    uint64_t bytes = 12345;
    const char *why = NULL;
    assert_int_equal(size_parse(text, &bytes, &why), -1);
    assert_non_null(why);
    assert_int_equal(bytes, 12345); /* untouched on failure */
    return why;
}

static void
test_every_unit(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0B"), 0);
    assert_int_equal(parse_ok("1B"), 1);
    assert_int_equal(parse_ok("1536B"), 1536);
    assert_int_equal(parse_ok("1KiB"), 1024);
    assert_int_equal(parse_ok("3K"), 3 * 1024);
    assert_int_equal(parse_ok("1MiB"), 1048576);
    assert_int_equal(parse_ok("512M"), UINT64_C(536870912));
    assert_int_equal(parse_ok("1GiB"), UINT64_C(1073741824));
    assert_int_equal(parse_ok("20G"), UINT64_C(21474836480));
    assert_int_equal(parse_ok("1TiB"), UINT64_C(1099511627776));
    assert_int_equal(parse_ok("2T"), UINT64_C(2199023255552));
    assert_int_equal(parse_ok("007MiB"), 7 * MiB);
}

static void
test_limits_and_overflow(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("18446744073709551615B"), UINT64_MAX);
    assert_string_equal(parse_bad("18446744073709551616B"), "number is too large");
    assert_string_equal(parse_bad("99999999999999999999999GiB"), "number is too large");
    /* 2^24 - 1 TiB is the largest whole number of TiB in 64 bits. */
    assert_int_equal(parse_ok("16777215TiB"), UINT64_C(16777215) << 40);
    assert_string_equal(parse_bad("16777216TiB"), "size is too large");
    assert_int_equal(parse_ok("17179869183GiB"), UINT64_C(17179869183) << 30);
    assert_string_equal(parse_bad("17179869184G"), "size is too large");
    assert_int_equal(parse_ok("17592186044415MiB"), UINT64_C(17592186044415) << 20);
    assert_string_equal(parse_bad("17592186044416M"), "size is too large");
    assert_int_equal(parse_ok("18014398509481983KiB"), UINT64_C(18014398509481983) << 10);
    assert_string_equal(parse_bad("18014398509481984K"), "size is too large");
}

static void
test_refused_forms(void **state)
{
    (void)state;
    const char *no_number = "expected an integer with a unit (B, KiB, MiB, GiB, TiB)";
    assert_string_equal(parse_bad(""), no_number);
    assert_string_equal(parse_bad("GiB"), no_number);
    assert_string_equal(parse_bad("-1GiB"), no_number);
    assert_string_equal(parse_bad(" 1GiB"), no_number);
    assert_string_equal(parse_bad("rest"), no_number);
    assert_string_equal(parse_bad("10"), "size has no unit (B, KiB, MiB, GiB, TiB)");
    const char *whole = "sizes are whole numbers: use a smaller unit (1536MiB, not 1.5GiB)";
    assert_string_equal(parse_bad("1.5GiB"), whole);
    assert_string_equal(parse_bad("1,5GiB"), whole);
    const char *space = "no space between the number and its unit: write them together, as in 8GiB";
    assert_string_equal(parse_bad("8 GiB"), space);
    assert_string_equal(parse_bad("8\tGiB"), space);
    const char *binary = "units are binary: write KiB, MiB, GiB or TiB";
    assert_string_equal(parse_bad("1GB"), binary);
    assert_string_equal(parse_bad("1kB"), binary);
    assert_string_equal(parse_bad("1k"), binary);
    assert_string_equal(parse_bad("1Mb"), binary);
    assert_string_equal(parse_bad("1TB"), binary);
    const char *unknown = "unknown unit: use B, KiB, MiB, GiB or TiB";
    assert_string_equal(parse_bad("1gib"), unknown);
    assert_string_equal(parse_bad("1GiBs"), unknown);
    assert_string_equal(parse_bad("1PiB"), unknown);
    assert_string_equal(parse_bad("1b"), unknown);
}

static const char *
fmt(uint64_t bytes)
{
    static char buf[SIZE_BUF];
    memset(buf, 'x', sizeof(buf));
    return size_format(bytes, buf, sizeof(buf));
}

static void
test_format_exact(void **state)
{
    (void)state;
    assert_string_equal(fmt(0), "0B");
    assert_string_equal(fmt(1), "1B");
    assert_string_equal(fmt(1023), "1023B");
    assert_string_equal(fmt(1024), "1KiB");
    assert_string_equal(fmt(3 * KiB), "3KiB");
    assert_string_equal(fmt(MiB), "1MiB");
    assert_string_equal(fmt(512 * MiB), "512MiB");
    assert_string_equal(fmt(5373 * MiB), "5373MiB");
    assert_string_equal(fmt(4 * GiB), "4GiB");
    assert_string_equal(fmt(1024 * GiB), "1TiB");
    assert_string_equal(fmt(2 * TiB), "2TiB");
    assert_string_equal(fmt(UINT64_C(16777215) << 40), "16777215TiB");
}

static void
test_format_rounds_down(void **state)
{
    (void)state;
    assert_string_equal(fmt(1536), "1.5KiB");
    assert_string_equal(fmt(1025), "1.0KiB");
    assert_string_equal(fmt(GiB + GiB / 5 + 1), "1.2GiB");
    assert_string_equal(fmt(2 * GiB - 1), "1.9GiB"); /* not 2.0 */
    assert_string_equal(fmt(MiB + 1), "1.0MiB");
    assert_string_equal(fmt(TiB + 1), "1.0TiB");
    assert_string_equal(fmt(UINT64_MAX), "16777215.9TiB");
    assert_true(strlen(fmt(UINT64_MAX)) < SIZE_BUF);
}

static void
test_format_small_buffer(void **state)
{
    (void)state;
    char buf[4];
    assert_ptr_equal(size_format(4 * GiB + 1, buf, sizeof(buf)), buf);
    assert_string_equal(buf, "4.0");
    assert_string_equal(size_format(1, buf, 1), "");
}

static void
test_format_exact_never_rounds(void **state)
{
    (void)state;
    char buf[SIZE_BUF];
    assert_string_equal(size_format_exact(0, buf, sizeof(buf)), "0B");
    assert_string_equal(size_format_exact(1025 * MiB, buf, sizeof(buf)), "1025MiB");
    assert_string_equal(size_format_exact(4 * GiB, buf, sizeof(buf)), "4GiB");
    assert_string_equal(size_format_exact(GiB + KiB, buf, sizeof(buf)), "1048577KiB");
    assert_string_equal(size_format_exact(GiB + 1, buf, sizeof(buf)), "1073741825B");
    assert_string_equal(size_format_exact(1536, buf, sizeof(buf)), "1536B");
    assert_string_equal(size_format_exact(UINT64_MAX, buf, sizeof(buf)), "18446744073709551615B");
}

static void
test_format_round(void **state)
{
    (void)state;
    char buf[SIZE_BUF];
    assert_string_equal(size_format_round(0, buf, sizeof(buf)), "0B");
    assert_string_equal(size_format_round(1023, buf, sizeof(buf)), "1023B");
    assert_string_equal(size_format_round(1536, buf, sizeof(buf)), "1.5KiB");
    assert_string_equal(size_format_round(1020 * MiB, buf, sizeof(buf)), "1020MiB");
    assert_string_equal(size_format_round(2044 * MiB, buf, sizeof(buf)), "1.9GiB");
    assert_string_equal(size_format_round(GiB, buf, sizeof(buf)), "1GiB");
    assert_string_equal(size_format_round(1536 * GiB, buf, sizeof(buf)), "1.5TiB");
    assert_string_equal(size_format_round(2 * TiB - 1, buf, sizeof(buf)), "1.9TiB");
    assert_string_equal(size_format_round(UINT64_MAX, buf, sizeof(buf)), "16777215.9TiB");
}

/* Every formatted exact size parses back to itself. */
static void
test_round_trip(void **state)
{
    (void)state;
    const uint64_t sizes[] = {1, 1023, KiB, 7 * KiB, MiB, 300 * MiB, GiB, 20 * GiB, TiB, 2 * TiB};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        assert_int_equal(parse_ok(fmt(sizes[i])), sizes[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_unit),         cmocka_unit_test(test_limits_and_overflow),
        cmocka_unit_test(test_refused_forms),      cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_format_rounds_down), cmocka_unit_test(test_format_small_buffer),
        cmocka_unit_test(test_round_trip),         cmocka_unit_test(test_format_exact_never_rounds),
        cmocka_unit_test(test_format_round),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
