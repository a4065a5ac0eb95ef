/* test_dep5.c: DEP-5 copyright files and declared licenses made SPDX
 * license expressions (builder/common/dep5.c). The samples are shaped as
 * Debian 12's packages write them. */
#include "unit.h"

#include "appliance/cleanup.h"
#include "appliance/dep5.h"

static void
expect(const char *declared, const char *spdx)
{
    CLEANUP_FREE char *got = license_to_spdx(declared);
    assert_non_null(got);
    if (strcmp(got, spdx) != 0)
        print_error("license_to_spdx(\"%s\") = \"%s\", want \"%s\"\n", declared, got, spdx);
    assert_string_equal(got, spdx);
}

static void
test_names(void **state)
{
    (void)state;
    expect("GPL-2", "GPL-2.0-only");
    expect("GPL-2+", "GPL-2.0-or-later");
    expect("GPL-2.0+", "GPL-2.0-or-later");
    expect("GPL-2.0-or-later", "GPL-2.0-or-later");
    expect("GPLv3+", "GPL-3.0-or-later");
    expect("gpl-3", "GPL-3.0-only");
    expect("LGPL-2.1+", "LGPL-2.1-or-later");
    expect("LGPLv2", "LGPL-2.0-only");
    expect("AGPL-3+", "AGPL-3.0-or-later");
    expect("GFDL-1.3+", "GFDL-1.3-or-later");
    expect("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later");
    expect("GPL+", "GPL-1.0-or-later");
    expect("Expat", "MIT");
    expect("BSD-3-clause", "BSD-3-Clause");
    expect("zlib", "Zlib");
    expect("ASL 2.0", "Apache-2.0");
    expect("Apache-2", "Apache-2.0");
    expect("curl", "curl");
    expect("public-domain", "LicenseRef-public-domain");
    expect("Public Domain", "LicenseRef-Public-Domain");
    expect("GPL", "LicenseRef-GPL");
    expect("BSD", "LicenseRef-BSD");
    expect("GFDL-1", "LicenseRef-GFDL-1");
    expect("GPL-3+-WITH-BISON-EXCEPTION", "LicenseRef-GPL-3-plus-WITH-BISON-EXCEPTION");
    expect("   ", "NOASSERTION");
    expect("", "NOASSERTION");
    expect("++", "LicenseRef-plus-plus");
    expect("ééé", "LicenseRef-unknown");
}

static void
test_expressions(void **state)
{
    (void)state;
    expect("GPL-1+ or Artistic", "GPL-1.0-or-later OR Artistic-1.0-Perl");
    expect("LGPL-3+ or GPL-2+", "LGPL-3.0-or-later OR GPL-2.0-or-later");
    expect("GPLv2+ and LGPLv2+ and MIT", "GPL-2.0-or-later AND LGPL-2.0-or-later AND MIT");
    expect("(MIT or GPL-2) and BSD", "(MIT OR GPL-2.0-only) AND LicenseRef-BSD");
    /* DEP-5's comma closes a group. */
    expect("GPL-2+ or Artistic, and BSD-2-clause",
           "(GPL-2.0-or-later OR Artistic-1.0-Perl) AND BSD-2-Clause");
    expect("GPL-2+ with Autoconf exception", "GPL-2.0-or-later WITH Autoconf-exception-2.0");
    expect("GPL-3+ with Autoconf exception", "GPL-3.0-or-later WITH Autoconf-exception-3.0");
    expect("GPL-3+ with Bison exception", "GPL-3.0-or-later WITH Bison-exception-2.2");
    expect("GPL-2 with Linux-syscall-note exception", "GPL-2.0-only WITH Linux-syscall-note");
    expect("GPL-2+ with OpenSSL exception", "LicenseRef-GPL-2-plus-with-OpenSSL-exception");
    /* What does not fit the grammar is passed by, the rest kept. */
    expect("and MIT or", "MIT");
    expect("MIT and (", "MIT");
    expect("MIT)) or (ISC", "MIT OR ISC");
    expect("()", "NOASSERTION");
    expect("((((((((((((((((((((((((((((((((((((((((MIT", "MIT");
    expect("(MIT) ISC", "MIT AND ISC");
}

static char *
dep5(const char *text)
{
    char *expr = NULL;
    int r = dep5_license(text, strlen(text), &expr);
    assert_true(r >= 0);
    assert_true((r == 1) == (expr != NULL));
    return expr;
}

static const char header[] =
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
    "Upstream-Name: example\n"
    "Source: https://example.org/\n";

static void
test_copyright(void **state)
{
    (void)state;
    CLEANUP_FREE char *text = NULL, *expr = NULL;
    assert_true(asprintf(&text,
                         "%s\n"
                         "Files: *\nCopyright: 2020 A\nLicense: GPL-2+\n\n"
                         "# a comment\n"
                         "Files: lib/*\nCopyright: 2021 B\nLicense: LGPL-2.1+ or MIT\n"
                         " This library is free software...\n .\n more text\n\n"
                         "Files: debian/*\nCopyright: 2022 C\nLicense: GPL-2+\n\n"
                         "License: LGPL-2.1+\n On Debian systems, the full text...\n\n"
                         "License: Unused-Standalone\n text\n",
                         header) > 0);
    expr = dep5(text);
    assert_string_equal(expr, "GPL-2.0-or-later AND (LGPL-2.1-or-later OR MIT)");
}

static void
test_copyright_header_license(void **state)
{
    (void)state;
    CLEANUP_FREE char *text = NULL, *expr = NULL;
    assert_true(asprintf(&text, "%sLicense: ISC\r\n\r\nFiles: *\r\nLicense: ISC\r\n", header) > 0);
    expr = dep5(text);
    assert_string_equal(expr, "ISC");
}

/* Not machine-readable, or no license: NOASSERTION (0). */
static void
test_copyright_not_dep5(void **state)
{
    (void)state;
    assert_null(dep5(""));
    assert_null(dep5("This is the Debian prepackaged version of foo.\n\nLicense: GPL\n"));
    assert_null(dep5("Upstream-Name: x\n\nFormat: https://www.debian.org/doc/"
                     "packaging-manuals/copyright-format/1.0/\nFiles: *\nLicense: MIT\n"));
    CLEANUP_FREE char *text = NULL;
    assert_true(asprintf(&text, "%s\nFiles: *\nCopyright: x\nLicense:\n text only\n", header) > 0);
    assert_null(dep5(text));
    /* The old DEP-5 URL counts. */
    CLEANUP_FREE char *old = dep5("Format: http://dep.debian.net/deps/dep5\n\n"
                                  "Files: *\nLicense: BSD-2-clause\n");
    assert_string_equal(old, "BSD-2-Clause");
}

/* Bytes that are not text, and no final newline: no crash, no read past
 * the length. */
static void
test_copyright_bytes(void **state)
{
    (void)state;
    char text[] = "Format: copyright-format\n\nFiles: *\nLicense: MIT\0garbage";
    char *expr = NULL;
    assert_int_equal(dep5_license(text, sizeof(text) - 1, &expr), 1);
    assert_string_equal(expr, "MIT");
    free(expr);
    expr = NULL;
    /* Cut inside the value: what is there. */
    assert_int_equal(dep5_license(text, 45, &expr), 1);
    assert_string_equal(expr, "LicenseRef-M");
    free(expr);
    expr = NULL;
    /* Cut after the name: no license. */
    assert_int_equal(dep5_license(text, 43, &expr), 0);
    assert_null(expr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_expressions),
        cmocka_unit_test(test_copyright),
        cmocka_unit_test(test_copyright_header_license),
        cmocka_unit_test(test_copyright_not_dep5),
        cmocka_unit_test(test_copyright_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
