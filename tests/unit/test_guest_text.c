/* test_guest_text.c: the parsers of a guest's own files (diskread's
 * guest_text.c): os-release's shell quoting, release files' versions as
 * libguestfs finds them, fstab's fields and escapes, dpkg's status, ELF
 * headers (the host's own /bin/sh among them); and their bounds: a text
 * is never read past its length, NUL or no NUL. */
#include "unit.h"

#include <fcntl.h>

#include "appliance/cleanup.h"
#include "diskread/guest_text.h"

#define T(s) (s), strlen(s)

static void
test_kv(void **state)
{
    (void)state;
    const char *text = "NAME=\"Debian GNU/Linux\"\n"
                       "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
                       "ID=debian\n"
                       "  VERSION_ID='12'\n"
                       "QUOTED=\"a \\\"b\\\" \\\\c \\$d\"\n"
                       "MIXED=a'b c'\"d\"  # comment\n"
                       "ID=debian-last\n"
                       "EMPTY=\n"
                       "NOEQ\n";
    const struct {
        const char *key, *want;
    } cases[] = {
        {"PRETTY_NAME", "Debian GNU/Linux 12 (bookworm)"},
        {"ID", "debian-last"}, /* the last one wins, as the shell's */
        {"VERSION_ID", "12"},
        {"QUOTED", "a \"b\" \\c $d"},
        {"MIXED", "ab cd"},
        {"EMPTY", ""},
        {"NOEQ", NULL},
        {"NAM", NULL},
        {"MISSING", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CLEANUP_FREE char *v = text_kv_get(T(text), cases[i].key);
        if (!cases[i].want)
            assert_null(v);
        else
            assert_string_equal(v, cases[i].want);
    }
    /* An unterminated quote ends with the text; a NUL ends a value. */
    CLEANUP_FREE char *open = text_kv_get(T("ID=\"debi"), "ID");
    assert_string_equal(open, "debi");
    static const char nul[] = "ID=de\0bian\n";
    CLEANUP_FREE char *cut = text_kv_get(nul, sizeof(nul) - 1, "ID");
    assert_string_equal(cut, "de");
    /* Only the length given is read: no terminating NUL needed. */
    char raw[6] = {'I', 'D', '=', 'a', 'b', 'c'};
    CLEANUP_FREE char *bounded = text_kv_get(raw, sizeof(raw), "ID");
    assert_string_equal(bounded, "abc");
}

static void
test_first_line_and_version(void **state)
{
    (void)state;
    CLEANUP_FREE char *a = text_first_line(T("12.7\nsecond\n"));
    assert_string_equal(a, "12.7");
    CLEANUP_FREE char *b = text_first_line(T("CentOS Stream release 9\r\n"));
    assert_string_equal(b, "CentOS Stream release 9");
    CLEANUP_FREE char *c = text_first_line("", 0);
    assert_string_equal(c, "");
    const struct {
        const char *s;
        bool ok;
        int major, minor;
    } v[] = {
        {"12.7", true, 12, 7},
        {"12", true, 12, 0},
        {"trixie/sid", false, 0, 0},
        {"AlmaLinux release 9.4 (Seafoam Ocelot)", true, 9, 4},
        {"release 9 then 1.2", true, 1, 2}, /* N.M anywhere first, as libguestfs */
        {"24.04.1 LTS", true, 24, 4},
        {"99999999999", false, 0, 0}, /* too long for an int: no number */
        {"99999999999.1", true, 1, 0},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        int major = -1, minor = -1;
        assert_int_equal(text_version(v[i].s, &major, &minor), v[i].ok);
        if (v[i].ok) {
            assert_int_equal(major, v[i].major);
            assert_int_equal(minor, v[i].minor);
        }
    }
}

static void
test_fstab(void **state)
{
    (void)state;
    const char *text = "# /etc/fstab\n"
                       "UUID=abc / ext4 defaults 0 1\n"
                       "\n"
                       "  LABEL=my\\040disk\t/mnt/with\\040space  xfs  ro 0 2\n"
                       "/dev/mapper/vg_os-swap none swap sw 0 0\n"
                       "short line\n"
                       "/dev/sda1 /boot/efi vfat umask=0077 0 1";
    size_t n = 0;
    struct fstab_entry *e = text_fstab(T(text), &n);
    assert_non_null(e);
    assert_int_equal(n, 4);
    assert_string_equal(e[0].spec, "UUID=abc");
    assert_string_equal(e[0].path, "/");
    assert_string_equal(e[0].type, "ext4");
    assert_string_equal(e[1].spec, "LABEL=my disk");
    assert_string_equal(e[1].path, "/mnt/with space");
    assert_string_equal(e[2].path, "none");
    assert_string_equal(e[3].spec, "/dev/sda1");
    assert_null(e[4].spec);
    text_fstab_free(e, n);
    /* A trailing backslash, an escape cut short, an escape of NUL. */
    e = text_fstab(T("a\\ b\\04 c\\000d"), &n);
    assert_non_null(e);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].spec, "a\\");
    assert_string_equal(e[0].path, "b\\04");
    assert_string_equal(e[0].type, "cd");
    text_fstab_free(e, n);
}

static void
test_dpkg(void **state)
{
    (void)state;
    const char *status = "Package: a\n"
                         "Status: install ok installed\n"
                         "Description: one\n"
                         " continued Status: install ok installed\n"
                         "\n"
                         "Package: b\n"
                         "Status: deinstall ok config-files\n"
                         "\n"
                         "Package: c\n"
                         "Status: purge ok not-installed\n"
                         "\n"
                         "Package: d\n"
                         "Status: install ok half-installed\n"
                         "\n"
                         "Status: install ok installed\n" /* no Package: not one */
                         "\n"
                         "Package: e\r\n"
                         "Status: hold ok installed  \r\n"
                         "\r\n"
                         "Package: f\n"
                         "Status: install ok installed"; /* no blank line at the end */
    assert_int_equal(text_dpkg_installed(T(status)), 3);
    assert_int_equal(text_dpkg_installed("", 0), 0);
}

static void
test_elf(void **state)
{
    (void)state;
    unsigned char head[64] = {0x7f, 'E', 'L', 'F', 2, 1};
    head[18] = 62;
    assert_string_equal(text_elf_arch(head, sizeof(head)), "x86_64");
    head[18] = 183;
    assert_string_equal(text_elf_arch(head, sizeof(head)), "aarch64");
    head[4] = 1, head[18] = 3;
    assert_string_equal(text_elf_arch(head, sizeof(head)), "i386");
    head[5] = 2, head[18] = 0, head[19] = 21, head[4] = 2;
    assert_string_equal(text_elf_arch(head, sizeof(head)), "ppc64");
    head[19] = 99;
    assert_null(text_elf_arch(head, sizeof(head)));
    assert_null(text_elf_arch(head, 19));
    assert_null(text_elf_arch((const unsigned char *)"#!/bin/sh\n", 10));

    /* The host's own shell: x86_64 on the reference machine, whatever
     * file(1) says elsewhere. */
    int fd = open("/bin/sh", O_RDONLY);
    if (fd < 0)
        unit_skip("no /bin/sh");
    unsigned char sh[64];
    assert_int_equal(read(fd, sh, sizeof(sh)), (ssize_t)sizeof(sh));
    close(fd);
#if defined(__x86_64__)
    assert_string_equal(text_elf_arch(sh, sizeof(sh)), "x86_64");
#else
    assert_non_null(text_elf_arch(sh, sizeof(sh)));
#endif
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv),    cmocka_unit_test(test_first_line_and_version),
        cmocka_unit_test(test_fstab), cmocka_unit_test(test_dpkg),
        cmocka_unit_test(test_elf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
