/* test_tar_member.c: members found in place in tars made byte by byte,
 * the headers that the hand-written walker before libarchive misread
 * (found by tests/fuzz/ova_fuzz.c). Ordinary ustar, pax and GNU tars
 * made by tar are read in test_boot_vm.c. */
#include "unit.h"

#include "appliance/tar_member.h"

#define BLOCK 512

/* A ustar header: name, typeflag, the 12 bytes of the size field as
 * given (octal digits, or base-256), a link's target, the checksum
 * computed. */
static void
header(unsigned char *h, const char *name, char type, const unsigned char size[12],
       const char *link)
{
    memset(h, 0, BLOCK);
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 157, 100, "%s", link);
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    memcpy(h + 124, size, 12);
    memcpy(h + 136, "00000000000", 12);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

/* An octal size field. */
static const unsigned char *
octal(unsigned long long v)
{
    static unsigned char f[12];
    snprintf((char *)f, sizeof(f), "%011llo", v);
    return f;
}

/* A base-256 size field: 0x80, then v big-endian in the last 8 bytes. */
static const unsigned char *
base256(uint64_t v)
{
    static unsigned char f[12];
    memset(f, 0, sizeof(f));
    f[0] = 0x80;
    for (int i = 0; i < 8; i++)
        f[11 - i] = (unsigned char)(v >> (8 * i));
    return f;
}

static void
write_blocks(const char *path, const unsigned char *blocks, size_t n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(blocks, BLOCK, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* tar_member_find(path, member): its result, the error's text in *msg. */
static int
find(const char *path, const char *member, uint64_t *offset, uint64_t *size, char **msg)
{
    struct ab_error err = AB_ERROR_INIT;
    int r = tar_member_find(path, member, offset, size, &err);
    assert_int_equal(r < 0, ab_error_is_set(&err));
    *msg = unit_error_text(&err);
    ab_error_release(&err);
    return r;
}

/* A size of 2^64 - 512 made the walk step by zero bytes, forever; one of
 * 2^63 - 512 overflowed the offset. Both are refused now. */
static void
test_huge_sizes(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {UINT64_C(0xfffffffffffffe00), UINT64_C(0x7ffffffffffffe00)};
    for (size_t i = 0; i < 2; i++) {
        unsigned char t[5 * BLOCK] = {0};
        header(t, "first", '0', base256(sizes[i]), "");
        header(t + BLOCK, "t-os.vmdk", '0', octal(5), "");
        memcpy(t + 2 * BLOCK, "hello", 5);
        write_blocks("huge.ova", t, 5);
        uint64_t offset = 0, size = 0;
        char *msg;
        assert_int_equal(find("huge.ova", "t-os.vmdk", &offset, &size, &msg), -1);
        assert_non_null(strstr(msg, "error: cannot read 'huge.ova': "));
        free(msg);
        assert_int_equal(find("huge.ova", "first", &offset, &size, &msg), -1);
        free(msg);
    }
}

/* A pax record's size is the member's, not the header's field. */
static void
test_pax_size(void **state)
{
    (void)state;
    static const char pax[] = "18 path=t-os.vmdk\n10 size=5\n";
    unsigned char t[6 * BLOCK] = {0};
    header(t, "PaxHeaders/x", 'x', octal(sizeof(pax) - 1), "");
    memcpy(t + BLOCK, pax, sizeof(pax) - 1);
    header(t + 2 * BLOCK, "short-name", '0', octal(0), "");
    memcpy(t + 3 * BLOCK, "hello", 5);
    write_blocks("pax.ova", t, 6);
    uint64_t offset = 0, size = 0;
    char *msg;
    assert_int_equal(find("pax.ova", "t-os.vmdk", &offset, &size, &msg), 1);
    assert_int_equal(offset, 3 * BLOCK);
    assert_int_equal(size, 5);
    free(msg);
    assert_int_equal(find("pax.ova", "short-name", &offset, &size, &msg), 0);
    free(msg);
}

/* The first member of the name decides: a hard link has no data of its
 * own there, so it cannot be read in place (a later regular member of
 * the same name is not what the other readers take). */
static void
test_first_is_a_link(void **state)
{
    (void)state;
    unsigned char t[5 * BLOCK] = {0};
    header(t, "t-os.vmdk", '1', octal(0), "elsewhere");
    header(t + BLOCK, "t-os.vmdk", '0', octal(5), "");
    memcpy(t + 2 * BLOCK, "hello", 5);
    write_blocks("link.ova", t, 5);
    uint64_t offset = 0, size = 0;
    char *msg;
    assert_int_equal(find("link.ova", "t-os.vmdk", &offset, &size, &msg), -1);
    assert_string_equal(msg, "appliance: error: member 't-os.vmdk' of 'link.ova' is not a regular "
                             "file stored whole: it cannot be read in place\n");
    free(msg);
}

/* Data cut short by the end of the file. */
static void
test_cut_short(void **state)
{
    (void)state;
    unsigned char t[2 * BLOCK] = {0};
    header(t, "t-os.vmdk", '0', octal(4096), "");
    write_blocks("short.ova", t, 2);
    uint64_t offset = 0, size = 0;
    char *msg;
    assert_int_equal(find("short.ova", "t-os.vmdk", &offset, &size, &msg), -1);
    assert_string_equal(msg, "appliance: error: cannot read 'short.ova': member 't-os.vmdk' goes "
                             "past its end\n");
    free(msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_sizes),
        cmocka_unit_test(test_pax_size),
        cmocka_unit_test(test_first_is_a_link),
        cmocka_unit_test(test_cut_short),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
