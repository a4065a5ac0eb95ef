/* test_manifest.c: OVF manifests and SHA256SUMS, read back. */
#include "unit.h"

#include "appliance/manifest.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H40 "da39a3ee5e6b4b0d3255bfef95601890afd80709"

static char *
mf_errors(const char *text,
          int (*parse)(const char *, const char *, size_t, struct manifest *, struct ab_error *))
{
    struct ab_error err = AB_ERROR_INIT;
    struct manifest m = MANIFEST_INIT;
    assert_int_equal(parse("x.mf", text, strlen(text), &m, &err), -1);
    char *msg = unit_error_text(&err);
    ab_error_release(&err);
    manifest_release(&m);
    return msg;
}

static void
test_mf_lines(void **state)
{
    (void)state;
    static const char text[] = "SHA256(demo.ovf)= " H64 "\n"
                               "\n"
                               "SHA1 (odd (name).vmdk) = " H40 "\r\n"
                               "sha256(last)=" H64;
    struct ab_error err = AB_ERROR_INIT;
    struct manifest m = MANIFEST_INIT;
    assert_int_equal(manifest_parse_mf("x.mf", text, strlen(text), &m, &err), 0);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.entries[0].name, "demo.ovf");
    assert_int_equal(m.entries[0].algo, DIGEST_SHA256);
    assert_string_equal(m.entries[0].hex, H64);
    assert_int_equal(m.entries[0].line, 1);
    assert_string_equal(m.entries[1].name, "odd (name).vmdk");
    assert_int_equal(m.entries[1].algo, DIGEST_SHA1);
    assert_string_equal(m.entries[1].hex, H40);
    assert_int_equal(m.entries[1].line, 3);
    assert_string_equal(m.entries[2].name, "last");
    assert_non_null(manifest_find(&m, "last"));
    assert_null(manifest_find(&m, "nope"));
    manifest_release(&m);
    assert_int_equal(m.n, 0);
}

static void
test_mf_upper_hex_lowered(void **state)
{
    (void)state;
    static const char text[] = "SHA1(a)= DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\n";
    struct ab_error err = AB_ERROR_INIT;
    struct manifest m = MANIFEST_INIT;
    assert_int_equal(manifest_parse_mf("x.mf", text, strlen(text), &m, &err), 0);
    assert_string_equal(m.entries[0].hex, H40);
    manifest_release(&m);
}

static void
test_mf_errors(void **state)
{
    (void)state;
    char *msg = mf_errors("SHA256(a)= " H64 "\n"
                          "garbage\n"
                          "MD5(b)= 00\n"
                          "SHA256(c)= abc\n"
                          "SHA1(d)= " H40 "zz\n"
                          "SHA256()= " H64 "\n",
                          manifest_parse_mf);
    assert_string_equal(msg, "x.mf:2:1: error: not a manifest line: want ALGO(file)= digest\n"
                             "x.mf:3:1: error: unsupported digest: want SHA1, SHA256 or SHA512\n"
                             "x.mf:4:12: error: a SHA256 digest has 64 hex digits, not 3\n"
                             "x.mf:5:10: error: a SHA1 digest has 40 hex digits, not 42\n"
                             "x.mf:6:8: error: empty file name in the manifest line\n");
    free(msg);
}

static void
test_sums(void **state)
{
    (void)state;
    static const char text[] = H64 "  build-report.json\n" H64 " *ovf/demo.ovf\n"
                                   "\\" H64 "  back\\\\slash\\nnewline\n";
    struct ab_error err = AB_ERROR_INIT;
    struct manifest m = MANIFEST_INIT;
    assert_int_equal(manifest_parse_sums("SHA256SUMS", text, strlen(text), &m, &err), 0);
    assert_int_equal(m.n, 3);
    assert_string_equal(m.entries[0].name, "build-report.json");
    assert_int_equal(m.entries[0].algo, DIGEST_SHA256);
    assert_string_equal(m.entries[1].name, "ovf/demo.ovf");
    assert_string_equal(m.entries[2].name, "back\\slash\nnewline");
    manifest_release(&m);
}

static void
test_sums_errors(void **state)
{
    (void)state;
    char *msg = mf_errors(H64 "\n" H40 "  short\nSHA256(a)= " H64 "\n", manifest_parse_sums);
    assert_string_equal(msg, "x.mf:1:65: error: not a sha256sum line: want 'digest  file'\n"
                             "x.mf:2:1: error: a SHA256 digest has 64 hex digits, not 40\n"
                             "x.mf:3:1: error: not a sha256sum line: want 'digest  file'\n");
    free(msg);
}

/* A NUL byte in a line: the line is refused, not cut there (an escaped
 * name was unescaped past the copy that ended at the NUL: fuzzed). */
static void
test_nul_byte(void **state)
{
    (void)state;
    static const char sums[] = "\\" H64 "  a\\b\0\\\\\\\n" H64 "  ok\n";
    static const char mf[] = "SHA1(a\0b)= " H40 "\n";
    struct ab_error err = AB_ERROR_INIT;
    struct manifest m = MANIFEST_INIT;
    assert_int_equal(manifest_parse_sums("x.sums", sums, sizeof(sums) - 1, &m, &err), -1);
    assert_int_equal(manifest_parse_mf("x.mf", mf, sizeof(mf) - 1, &m, &err), -1);
    char *msg = unit_error_text(&err);
    assert_string_equal(msg, "x.mf:1:7: error: a NUL byte in the manifest line\n"
                             "x.sums:1:71: error: a NUL byte in the manifest line\n");
    free(msg);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.entries[0].name, "ok");
    manifest_release(&m);
    ab_error_release(&err);
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(manifest_algo_name(DIGEST_SHA1), "SHA1");
    assert_string_equal(manifest_algo_name(DIGEST_SHA256), "SHA256");
    assert_string_equal(manifest_algo_name(DIGEST_SHA512), "SHA512");
    assert_int_equal(manifest_hex_len(DIGEST_SHA512), 128);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mf_lines),    cmocka_unit_test(test_mf_upper_hex_lowered),
        cmocka_unit_test(test_mf_errors),   cmocka_unit_test(test_sums),
        cmocka_unit_test(test_sums_errors), cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
