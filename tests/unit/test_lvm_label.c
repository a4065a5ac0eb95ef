/* test_lvm_label.c: the VG name read from a crafted disk: a GPT with an
 * LVM partition holding an LVM2 label, PV header, metadata area header and
 * metadata text, laid out as lvm2 writes them (lib/format_text/layout.h);
 * and the damaged and hostile variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format off: cmocka.h needs the four above first */
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "appliance/bytes.h"
#include "lifecycle/lvm_label.h"

#define DISK_SIZE (8u << 20)
#define PART_START (1u << 20) /* LBA 2048 */
#define MDA_AT 4096           /* the metadata area, from the PV's start */

static uint8_t disk[DISK_SIZE];

static const uint8_t lvm_guid[16] = {0x79, 0xd3, 0xd6, 0xe6, 0x07, 0xf5, 0xc2, 0x44,
                                     0xa2, 0x3c, 0x23, 0x8f, 0x2a, 0x3d, 0xf9, 0x28};
static const uint8_t esp_guid[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                     0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};

/* A GPT whose second entry is the LVM partition; a PV with one data and
 * one metadata area; the VG text at offset 512 of the metadata area. */
static void
craft(const char *text)
{
    memset(disk, 0, sizeof(disk));
    uint8_t *h = disk + 512;
    memcpy(h, "EFI PART", 8);
    put_le64(h + 72, 2);   /* entries at LBA 2 */
    put_le32(h + 80, 128); /* 128 entries */
    put_le32(h + 84, 128); /* of 128 bytes */
    uint8_t *e = disk + 1024;
    memcpy(e, esp_guid, 16);
    put_le64(e + 32, 34);
    put_le64(e + 40, 2047);
    e += 128;
    memcpy(e, lvm_guid, 16);
    put_le64(e + 32, PART_START / 512);
    put_le64(e + 40, DISK_SIZE / 512 - 34);

    uint8_t *pv = disk + PART_START, *l = pv + 512; /* the label in sector 1 */
    memcpy(l, "LABELONE", 8);
    put_le64(l + 8, 1);
    put_le32(l + 20, 32);
    memcpy(l + 24, "LVM2 001", 8);
    uint8_t *ph = l + 32;
    memcpy(ph, "0123456789abcdef0123456789abcdef", 32);
    put_le64(ph + 32, DISK_SIZE - PART_START);
    put_le64(ph + 40, 1 << 20); /* data area: offset, size 0 (to the end) */
    put_le64(ph + 48, 0);
    /* the data list's end, then the metadata area */
    put_le64(ph + 72, MDA_AT);
    put_le64(ph + 80, 1 << 20);

    uint8_t *m = pv + MDA_AT;
    memcpy(m + 4, " LVM2 x[5A%r0N*>", 16);
    put_le32(m + 20, 1);
    put_le64(m + 24, PART_START + MDA_AT);
    put_le64(m + 32, (1 << 20) - MDA_AT);
    put_le64(m + 40, 512);
    put_le64(m + 48, strlen(text));
    memcpy(m + 512, text, strlen(text));
}

static int
read_name(char name[LVM_VG_NAME_MAX], const char **why)
{
    int fd = memfd_create("disk", 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, disk, sizeof(disk)), (ssize_t)sizeof(disk));
    struct ab_error err = AB_ERROR_INIT;
    int r = lvm_label_vg_name(fd, sizeof(disk), name, why, &err);
    assert_false(r < 0);
    ab_error_release(&err);
    close(fd);
    return r;
}

static void
test_vg_name(void **state)
{
    (void)state;
    char name[LVM_VG_NAME_MAX];
    const char *why = NULL;
    craft("vg_app {\nid = \"abc\"\nseqno = 3\n}\n");
    assert_int_equal(read_name(name, &why), 1);
    assert_string_equal(name, "vg_app");
}

static void
test_no_pv(void **state)
{
    (void)state;
    char name[LVM_VG_NAME_MAX];
    const char *why = NULL;
    memset(disk, 0, sizeof(disk));
    assert_int_equal(read_name(name, &why), 0);
    assert_string_equal(why, "no LVM physical volume");
}

static void
test_orphan_pv(void **state)
{
    (void)state;
    char name[LVM_VG_NAME_MAX];
    const char *why = NULL;
    craft("vg_os {\n}\n");
    put_le64(disk + PART_START + MDA_AT + 40, 0); /* no raw location */
    assert_int_equal(read_name(name, &why), 0);
    assert_string_equal(why, "an LVM physical volume in no volume group");
}

static void
test_hostile(void **state)
{
    (void)state;
    char name[LVM_VG_NAME_MAX];
    const char *why = NULL;
    /* A metadata area far past the end of the image. */
    craft("vg_os {\n}\n");
    put_le64(disk + PART_START + 512 + 32 + 72, UINT64_C(1) << 62);
    assert_int_equal(read_name(name, &why), 0);
    /* A text location past the area. */
    craft("vg_os {\n}\n");
    put_le64(disk + PART_START + MDA_AT + 40, UINT64_C(1) << 40);
    assert_int_equal(read_name(name, &why), 0);
    assert_string_equal(why, "damaged LVM metadata area");
    /* Text that is not "NAME {". */
    craft("vg/os {\n}\n");
    assert_int_equal(read_name(name, &why), 0);
    assert_string_equal(why, "damaged LVM metadata text");
    /* A label in a sector other than the one it names. */
    craft("vg_os {\n}\n");
    put_le64(disk + PART_START + 512 + 8, 0);
    assert_int_equal(read_name(name, &why), 0);
    /* A partition entry past the disk's end. */
    craft("vg_os {\n}\n");
    put_le64(disk + 1024 + 128 + 40, UINT64_C(1) << 40);
    assert_int_equal(read_name(name, &why), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vg_name),
        cmocka_unit_test(test_no_pv),
        cmocka_unit_test(test_orphan_pv),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
