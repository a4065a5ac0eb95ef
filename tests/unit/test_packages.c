/* test_packages.c: a tree's installed packages (builder/os/packages.c):
 * the tools' output parsed, the database read inside the tree, the
 * licenses of the DEP-5 copyright files. */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/packages.h"

static void
fresh_dir(const char *path)
{
    assert_int_equal(rm_rf(path, path), 0);
    assert_int_equal(mkdir_p(path, 0755), 0);
}

/* dpkg-query's lines: installed ones only, sorted by name, the source
 * package defaulting to the binary's own name and version. */
static void
test_parse_deb(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct pkg_list l;
    const char *text = "ii \tzlib1g\t1:1.2.13-1\tamd64\tzlib\t1:1.2.13-1\tMark <m@d.org>\n"
                       "rc \tgone\t1.0\tamd64\t\t\tX <x@y>\n"
                       "ii \tbash\t5.2.15-2+b2\tamd64\t\t\tMatthias <doko@debian.org>\n"
                       "not a package line\n";
    unit_check_ok(packages_parse(text, PKG_DEB, &l, &err), &err);
    assert_int_equal(l.format, PKG_DEB);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].name, "bash");
    assert_string_equal(l.v[0].source, "bash");
    assert_string_equal(l.v[0].source_version, "5.2.15-2+b2");
    assert_string_equal(l.v[0].supplier, "Matthias <doko@debian.org>");
    assert_string_equal(l.v[0].license, "NOASSERTION");
    assert_string_equal(l.v[1].name, "zlib1g");
    assert_string_equal(l.v[1].version, "1:1.2.13-1");
    assert_string_equal(l.v[1].source, "zlib");
    assert_non_null(packages_find(&l, "zlib1g", "amd64"));
    assert_null(packages_find(&l, "zlib1g", "i386"));
    assert_null(packages_find(&l, "gone", NULL));
    packages_release(&l);
}

/* rpm's lines: the source package from SOURCERPM, the license from the
 * header made SPDX, "(none)" as nothing. */
static void
test_parse_rpm(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct pkg_list l;
    const char *text = "bash\t5.1.8-6.el9\tx86_64\tbash-5.1.8-6.el9.src.rpm\tRocky\tGPLv3+\n"
                       "gpg-pubkey\t350d275d-6279464b\t(none)\t(none)\t(none)\tpubkey\n"
                       "shadow-utils\t2:4.9-8.el9\tx86_64\tshadow-utils-4.9-8.el9.src.rpm\t"
                       "Rocky\tBSD and GPLv2+\n";
    unit_check_ok(packages_parse(text, PKG_RPM, &l, &err), &err);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0].name, "bash");
    assert_string_equal(l.v[0].license, "GPL-3.0-or-later");
    assert_string_equal(l.v[0].source, "bash");
    assert_string_equal(l.v[0].source_version, "5.1.8-6.el9");
    assert_string_equal(l.v[0].supplier, "Rocky");
    assert_string_equal(l.v[1].name, "gpg-pubkey");
    assert_string_equal(l.v[1].arch, "");
    assert_null(l.v[1].supplier);
    assert_string_equal(l.v[1].source, "gpg-pubkey");
    assert_string_equal(l.v[2].license, "LicenseRef-BSD AND GPL-2.0-or-later");
    assert_string_equal(l.v[2].version, "2:4.9-8.el9");
    packages_release(&l);
}

/* The package database is read as the tree resolves it: a link
 * `var/lib/dpkg -> /db` reads the tree's /db, never the host's; the
 * license comes from the tree's copyright file, through its links. */
static void
test_read_inside_the_tree(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    unit_need("dpkg-query");
    fresh_dir("pk/db");
    fresh_dir("pk/var/lib");
    fresh_dir("pk/usr/share/doc/inside-common");
    unit_write_file("pk/db/status", "Package: inside\nStatus: install ok installed\n"
                                    "Version: 1.0\nArchitecture: amd64\n"
                                    "Maintainer: A Team <team@lists.example.org>\n"
                                    "Source: inside-src (0.9)\n"
                                    "Description: a package of the tree\n\n"
                                    "Package: removed\nStatus: deinstall ok config-files\n"
                                    "Version: 2.0\nArchitecture: amd64\n"
                                    "Description: only its configuration is left\n\n");
    unit_write_file("pk/usr/share/doc/inside-common/copyright",
                    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
                    "\nFiles: *\nCopyright: someone\nLicense: GPL-2+\n");
    assert_int_equal(symlink("inside-common", "pk/usr/share/doc/inside"), 0);
    assert_int_equal(symlink("/db", "pk/var/lib/dpkg"), 0);
    struct pkg_list l;
    unit_check_ok(packages_read("pk", &l, NULL, &err), &err);
    assert_int_equal(l.format, PKG_DEB);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].name, "inside");
    assert_string_equal(l.v[0].source, "inside-src");
    assert_string_equal(l.v[0].source_version, "0.9");
    assert_string_equal(l.v[0].supplier, "A Team <team@lists.example.org>");
    assert_string_equal(l.v[0].license, "GPL-2.0-or-later");
    packages_release(&l);

    /* A link to the host's own database path loops inside the tree: no
     * database there, an empty list, never the host's packages. */
    assert_int_equal(unlink("pk/var/lib/dpkg"), 0);
    assert_int_equal(symlink("/var/lib/dpkg", "pk/var/lib/dpkg"), 0);
    unit_check_ok(packages_read("pk", &l, NULL, &err), &err);
    assert_int_equal(l.format, PKG_NONE);
    assert_int_equal(l.n, 0);
    packages_release(&l);

    /* A copyright file linked out of the tree is read inside it: none. */
    assert_int_equal(unlink("pk/var/lib/dpkg"), 0);
    assert_int_equal(symlink("/db", "pk/var/lib/dpkg"), 0);
    assert_int_equal(unlink("pk/usr/share/doc/inside"), 0);
    assert_int_equal(symlink("/../../../../../../etc", "pk/usr/share/doc/inside"), 0);
    unit_check_ok(packages_read("pk", &l, NULL, &err), &err);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].license, "NOASSERTION");
    packages_release(&l);
    assert_int_equal(rm_rf("pk", "pk"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_deb),
        cmocka_unit_test(test_parse_rpm),
        cmocka_unit_test(test_read_inside_the_tree),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
