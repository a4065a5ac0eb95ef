/* test_gpt.c: the GPT module: type GUIDs stored as the UEFI specification
 * stores them (bytes computed by hand), a table written through sfdisk
 * from gpt_script_* and read back by gpt_each, sfdisk's own reading of
 * it, and the reader on crafted, damaged tables. */
#include "unit.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/gpt.h"
#include "appliance/spawn.h"

#define DISK_SIZE (8u << 20)

/* C12A7328-F81F-11D2-BA4B-00A0C93EC93B: 0xC12A7328 little-endian, 0xF81F,
 * 0x11D2 little-endian, then BA 4B 00 A0 C9 3E C9 3B as written. */
static const unsigned char esp_bytes[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                            0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
/* E6D6D379-F507-44C2-A23C-238F2A3DF928 */
static const unsigned char lvm_bytes[16] = {0x79, 0xd3, 0xd6, 0xe6, 0x07, 0xf5, 0xc2, 0x44,
                                            0xa2, 0x3c, 0x23, 0x8f, 0x2a, 0x3d, 0xf9, 0x28};
/* 21686148-6449-6E6F-744E-656564454649: "Hah!IdontNeedEFI" as stored. */
static const unsigned char bios_bytes[16] = "Hah!IdontNeedEFI";

static void
test_guid_bytes(void **state)
{
    (void)state;
    unsigned char b[GPT_GUID_LEN];
    assert_int_equal(gpt_guid_encode(gpt_type_guid(GPT_TYPE_ESP), b), 0);
    assert_memory_equal(b, esp_bytes, 16);
    assert_int_equal(gpt_guid_encode(gpt_type_guid(GPT_TYPE_LVM), b), 0);
    assert_memory_equal(b, lvm_bytes, 16);
    assert_int_equal(gpt_guid_encode("21686148-6449-6e6f-744e-656564454649", b), 0);
    assert_memory_equal(b, bios_bytes, 16);
    assert_int_equal(gpt_guid_encode("21686148-6449-6E6F-744E-65656445464", b), -1);
    assert_int_equal(gpt_guid_encode("21686148-6449-6E6F-744E_656564454649", b), -1);
    assert_int_equal(gpt_guid_encode("2168614g-6449-6E6F-744E-656564454649", b), -1);
}

/* Every row: a GUID that encodes, found again from its text in any case. */
static void
test_table(void **state)
{
    (void)state;
    for (int t = 0; t < GPT_N_TYPES; t++) {
        unsigned char b[GPT_GUID_LEN];
        char lower[64];
        const char *g = gpt_type_guid((enum gpt_type)t);
        assert_int_equal(gpt_guid_encode(g, b), 0);
        assert_int_equal(gpt_type_from_guid(g), t);
        for (size_t i = 0; i <= strlen(g); i++)
            lower[i] = (char)tolower((unsigned char)g[i]);
        assert_int_equal(gpt_type_from_guid(lower), t);
        assert_true(strlen(gpt_type_name((enum gpt_type)t)) > 0);
    }
    assert_string_equal(gpt_type_name(GPT_TYPE_LVM), "Linux LVM");
    assert_string_equal(gpt_type_name(GPT_TYPE_ESP), "EFI System");
    assert_int_equal(gpt_type_from_guid("00000000-0000-0000-0000-000000000000"), -1);
    assert_int_equal(gpt_type_from_guid(NULL), -1);
}

struct seen {
    size_t n;
    struct gpt_entry e[8];
};

static int
collect(void *ctx, const struct gpt_entry *e)
{
    struct seen *s = ctx;
    unsigned char zero[GPT_GUID_LEN] = {0};
    if (memcmp(e->type, zero, sizeof(zero)) != 0 && s->n < 8)
        s->e[s->n++] = *e;
    return 0;
}

/* The script, as the disk engine gives it to sfdisk, and the table read
 * back: by gpt_each, and by sfdisk itself. */
static void
test_round_trip(void **state)
{
    (void)state;
    unit_need("sfdisk");
    CLEANUP_FREE char *script = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&script, &len);
    assert_non_null(f);
    gpt_script_head(f, "11111111-2222-3333-4444-555555555555", 2048);
    gpt_script_part(f, 1 << 20, 1 << 20, GPT_TYPE_BIOS_BOOT, "11111111-2222-3333-4444-000000000001",
                    "bios-boot");
    gpt_script_part(f, 2 << 20, 2 << 20, GPT_TYPE_ESP, "11111111-2222-3333-4444-000000000002",
                    "EFI System");
    gpt_script_part(f, 4 << 20, 3 << 20, GPT_TYPE_LVM, "11111111-2222-3333-4444-000000000003",
                    "lvm");
    assert_int_equal(fclose(f), 0);
    assert_string_equal(script, "label: gpt\n"
                                "label-id: 11111111-2222-3333-4444-555555555555\n"
                                "unit: sectors\n"
                                "first-lba: 2048\n"
                                "start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, "
                                "uuid=11111111-2222-3333-4444-000000000001, name=\"bios-boot\"\n"
                                "start=4096, size=4096, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, "
                                "uuid=11111111-2222-3333-4444-000000000002, name=\"EFI System\"\n"
                                "start=8192, size=6144, type=E6D6D379-F507-44C2-A23C-238F2A3DF928, "
                                "uuid=11111111-2222-3333-4444-000000000003, name=\"lvm\"\n");
    int fd = open("disk.img", O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)(16u << 20)), 0);
    const char *argv[] = {"sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", "disk.img", NULL};
    struct spawn_opts o = {.input = script, .input_len = strlen(script)};
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(spawn_run(argv, &o, &err), &err);

    struct seen s = {0};
    assert_int_equal(gpt_each(fd, 16u << 20, collect, &s, &err), 0);
    assert_int_equal(s.n, 3);
    static const enum gpt_type want[] = {GPT_TYPE_BIOS_BOOT, GPT_TYPE_ESP, GPT_TYPE_LVM};
    static const uint64_t first[] = {2048, 4096, 8192}, last[] = {4095, 8191, 14335};
    for (size_t i = 0; i < 3; i++) {
        assert_true(gpt_entry_is(&s.e[i], want[i]));
        assert_int_equal(s.e[i].first_lba, first[i]);
        assert_int_equal(s.e[i].last_lba, last[i]);
    }
    assert_false(gpt_entry_is(&s.e[0], GPT_TYPE_ESP));
    assert_int_equal(gpt_boot_kinds(fd, 16u << 20, &err), GPT_BOOT_BIOS | GPT_BOOT_UEFI);

    /* sfdisk reads the types back as the table names them. */
    CLEANUP_FREE char *dump = NULL;
    const char *dargv[] = {"sfdisk", "--dump", "disk.img", NULL};
    struct spawn_opts d = {.output = &dump};
    unit_check_ok(spawn_run(dargv, &d, &err), &err);
    for (size_t i = 0; i < 3; i++)
        assert_non_null(strstr(dump, gpt_type_guid(want[i])));
    close(fd);
}

/* A hand-made table: an ESP in entry 0, then a BIOS boot partition. */
static int
crafted(unsigned char *disk)
{
    memset(disk, 0, DISK_SIZE);
    unsigned char *h = disk + SECTOR;
    memcpy(h, "EFI PART", 8);
    put_le64(h + 72, 2);   /* entries at LBA 2 */
    put_le32(h + 80, 128); /* 128 entries */
    put_le32(h + 84, 128); /* of 128 bytes */
    unsigned char *e = disk + 2 * SECTOR;
    memcpy(e, esp_bytes, 16);
    put_le64(e + 32, 34);
    put_le64(e + 40, 2047);
    int fd = memfd_create("disk", 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, disk, DISK_SIZE), (ssize_t)DISK_SIZE);
    return fd;
}

static void
test_boot_kinds(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    unsigned char *disk = malloc(DISK_SIZE);
    assert_non_null(disk);
    int fd = crafted(disk);
    assert_int_equal(gpt_boot_kinds(fd, DISK_SIZE, &err), GPT_BOOT_UEFI);
    assert_int_equal(pwrite(fd, bios_bytes, 16, 2 * SECTOR + 256), 16);
    assert_int_equal(gpt_boot_kinds(fd, DISK_SIZE, &err), GPT_BOOT_UEFI | GPT_BOOT_BIOS);
    assert_int_equal(pwrite(fd, "NOT PART", 8, SECTOR), 8);
    assert_int_equal(gpt_boot_kinds(fd, DISK_SIZE, &err), 0);
    close(fd);
    free(disk);
    ab_error_release(&err);
}

/* Headers whose entries cannot be read as they say are no GPT. */
static void
test_hostile(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    unsigned char *disk = malloc(DISK_SIZE);
    assert_non_null(disk);
    struct {
        size_t at;
        uint64_t value;
        int width;
    } bad[] = {
        {SECTOR + 80, GPT_ENTRY_MAX + 1, 4},      /* too many entries */
        {SECTOR + 84, 64, 4},                     /* entries too small */
        {SECTOR + 72, (uint64_t)DISK_SIZE, 8},    /* entries past the end */
        {SECTOR + 72, DISK_SIZE / SECTOR - 1, 8}, /* running off the end */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int fd = crafted(disk);
        unsigned char v[8];
        bytes_put_le(v, bad[i].value, bad[i].width);
        assert_int_equal(pwrite(fd, v, (size_t)bad[i].width, (off_t)bad[i].at), bad[i].width);
        struct seen s = {0};
        assert_int_equal(gpt_each(fd, DISK_SIZE, collect, &s, &err), 0);
        assert_int_equal(s.n, 0);
        close(fd);
    }
    free(disk);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guid_bytes), cmocka_unit_test(test_table),
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_boot_kinds),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
