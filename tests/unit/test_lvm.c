/* test_lvm.c: the LVM format module. Its encoders against bytes placed by
 * hand, decoders reading what the encoders wrote, a whole PV as the disk
 * engine writes it (GPT by sfdisk, LVM by lvm_meta) read back by
 * lvm_image_pv_read; and the PV read from a crafted disk: a GPT with an
 * LVM partition holding an LVM2 label and PV header placed by hand, a
 * metadata area header and a VG's text, laid out as lvm2 writes them
 * (lib/format_text/layout.h), with its damaged and hostile variants. (test_gpt.c checks the GUIDs'
 * bytes; test_lvm_meta.c compares the PV's with those lvm2 itself wrote.) */
#include "unit.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/gpt.h"
#include "appliance/hostfs.h"
#include "appliance/lvm.h"
#include "appliance/lvm_meta.h"

#define DISK_SIZE (8u << 20)
#define PART_START (1u << 20) /* LBA 2048 */
#define MDA_AT 4096           /* the metadata area, from the PV's start */

static uint8_t disk[DISK_SIZE];

static void set_text(const char *text, uint64_t offset, uint64_t size);

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
    assert_int_equal(gpt_guid_encode(gpt_type_guid(GPT_TYPE_ESP), e), 0);
    put_le64(e + 32, 34);
    put_le64(e + 40, 2047);
    e += 128;
    assert_int_equal(gpt_guid_encode(gpt_type_guid(GPT_TYPE_LVM), e), 0);
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

    set_text(text, 512, strlen(text));
}

/* The metadata area's header (its checksum right) pointing at size bytes
 * at offset in the area, the text there. */
static void
set_text(const char *text, uint64_t offset, uint64_t size)
{
    uint8_t *m = disk + PART_START + MDA_AT;
    struct lvm_mda_header h = {MDA_AT, 1 << 20, offset, size,
                               lvm_crc(LVM_CRC_INITIAL, text, strlen(text))};
    lvm_mda_header_encode(m, &h);
    memcpy(m + 512, text, strlen(text));
}

/* A VG whose one PV is the crafted one (its UUID, dashed). */
#define VG(name)                                                                                   \
    name " {\nid = \"abcdef-ghij-klmn-opqr-stuv-wxyz-ABCDEF\"\nseqno = 3\n"                        \
         "tags = [\"appliance.disk=app\"]\nextent_size = 8192\nphysical_volumes {\npv0 {\n"        \
         "id = \"012345-6789-abcd-ef01-2345-6789-abcdef\"\ndev_size = 14336\n"                     \
         "pe_start = 2048\npe_count = 1\n}\n}\n}\n"

static int
read_vg(struct lvm_pv *pv, const char **why)
{
    int fd = memfd_create("disk", 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, disk, sizeof(disk)), (ssize_t)sizeof(disk));
    struct ab_error err = AB_ERROR_INIT;
    int r = lvm_image_pv_read(fd, sizeof(disk), pv, why, &err);
    assert_false(r < 0);
    ab_error_release(&err);
    close(fd);
    return r;
}

static void
test_vg_name(void **state)
{
    (void)state;
    struct lvm_pv pv;
    const char *why = NULL;
    craft(VG("vg_app"));
    if (read_vg(&pv, &why) != 1)
        fail_msg("not read: %s", why);
    assert_string_equal(pv.vg.name, "vg_app");
    assert_string_equal(pv.vg.role, "app");
    assert_int_equal(pv.start, PART_START);
    assert_int_equal(pv.size, DISK_SIZE - PART_START - 33 * 512);
    lvm_pv_release(&pv);
}

static void
test_no_pv(void **state)
{
    (void)state;
    struct lvm_pv pv;
    const char *why = NULL;
    memset(disk, 0, sizeof(disk));
    assert_int_equal(read_vg(&pv, &why), 0);
    assert_string_equal(why, "no LVM physical volume");
    assert_false(pv.labelled);
}

static void
test_orphan_pv(void **state)
{
    (void)state;
    struct lvm_pv pv;
    const char *why = NULL;
    craft(VG("vg_os"));
    set_text("", 0, 0); /* no raw location */
    assert_int_equal(read_vg(&pv, &why), 0);
    assert_string_equal(why, "an LVM physical volume in no volume group");
    assert_true(pv.labelled);
}

static void
test_hostile(void **state)
{
    (void)state;
    struct lvm_pv pv;
    const char *why = NULL;
    /* A metadata area far past the end of the image. */
    craft(VG("vg_os"));
    put_le64(disk + PART_START + 512 + 32 + 72, UINT64_C(1) << 62);
    assert_int_equal(read_vg(&pv, &why), 0);
    assert_string_equal(why, "an LVM metadata area past the end of its PV");
    /* A text location past the area. */
    craft(VG("vg_os"));
    set_text(VG("vg_os"), UINT64_C(1) << 40, strlen(VG("vg_os")));
    assert_int_equal(read_vg(&pv, &why), 0);
    assert_string_equal(why, "damaged LVM metadata area");
    /* A name lvm2 does not allow: the lifecycle commands make paths of it. */
    craft(VG("vg/os"));
    assert_int_equal(read_vg(&pv, &why), 0);
    assert_string_equal(why, "a volume group whose name lvm2 does not allow");
    craft(VG(".."));
    assert_int_equal(read_vg(&pv, &why), 0);
    /* A text that is not one VG's. */
    craft("vg_os {\n}\n");
    assert_int_equal(read_vg(&pv, &why), 0);
    assert_string_equal(why, "a volume group without its id, seqno or extent_size");
    /* A label in a sector other than the one it names. */
    craft(VG("vg_os"));
    put_le64(disk + PART_START + 512 + 8, 0);
    assert_int_equal(read_vg(&pv, &why), 0);
    assert_false(pv.labelled);
    /* A partition entry past the disk's end: the whole disk is tried, and
     * holds no label at its start. */
    craft(VG("vg_os"));
    put_le64(disk + 1024 + 128 + 40, UINT64_C(1) << 40);
    assert_int_equal(read_vg(&pv, &why), 0);
    assert_string_equal(why, "no LVM physical volume");
}

static const struct lvm_pv_header sample_pv = {
    .uuid = "0123456789abcdefghijABCDEFGHIJ+-",
    .dev_size = UINT64_C(0x123456789a),
    .data_start = 1 << 20,
    .has_mda = true,
    .mda_start = 4096,
    .mda_size = (1 << 20) - 4096,
    .ext_version = 2,
    .ext_flags = 1,
};

/* The label sector, field by field, as layout.h places them. */
static void
test_label_bytes(void **state)
{
    (void)state;
    unsigned char s[SECTOR], want[SECTOR] = {0};
    memcpy(want, "LABELONE", 8);
    want[8] = 1;                      /* sector_xl */
    want[20] = 32;                    /* offset_xl */
    memcpy(want + 24, "LVM2 001", 8); /* type */
    memcpy(want + 32, sample_pv.uuid, 32);
    memcpy(want + 64, "\x9a\x78\x56\x34\x12\0\0\0", 8); /* device_size_xl */
    want[72 + 2] = 0x10;                                /* data area at 1 MiB, size 0 */
    /* 88: the data list's end */
    want[104 + 1] = 0x10;                            /* metadata area at 4096 */
    memcpy(want + 112, "\x00\xf0\x0f\0\0\0\0\0", 8); /* of 1 MiB - 4 KiB */
    /* 120: the metadata list's end */
    want[136] = 2; /* extension version */
    want[140] = 1; /* PV_EXT_USED */
    uint32_t crc = lvm_crc(LVM_CRC_INITIAL, want + 20, SECTOR - 20);
    memcpy(want + 16,
           (unsigned char[4]){(unsigned char)crc, (unsigned char)(crc >> 8),
                              (unsigned char)(crc >> 16), (unsigned char)(crc >> 24)},
           4);
    lvm_label_encode(s, &sample_pv);
    assert_memory_equal(s, want, SECTOR);
}

static void
test_label_round_trip(void **state)
{
    (void)state;
    unsigned char s[SECTOR];
    struct lvm_pv_header h;
    lvm_label_encode(s, &sample_pv);
    assert_int_equal(lvm_label_decode(s, LVM_LABEL_SECTOR, &h), 1);
    assert_memory_equal(h.uuid, sample_pv.uuid, LVM_UUID_LEN);
    assert_int_equal(h.dev_size, sample_pv.dev_size);
    assert_int_equal(h.data_start, sample_pv.data_start);
    assert_int_equal(h.data_size, 0);
    assert_true(h.has_mda);
    assert_int_equal(h.mda_start, sample_pv.mda_start);
    assert_int_equal(h.mda_size, sample_pv.mda_size);
    assert_int_equal(h.ext_version, 2);
    assert_int_equal(h.ext_flags, 1);
    /* A label names its own sector; one elsewhere is not it. */
    assert_int_equal(lvm_label_decode(s, 0, &h), 0);
    /* Without a metadata area. */
    struct lvm_pv_header bare = sample_pv;
    bare.has_mda = false;
    lvm_label_encode(s, &bare);
    assert_int_equal(lvm_label_decode(s, LVM_LABEL_SECTOR, &h), 1);
    assert_false(h.has_mda);
    /* A pv_header that cannot fit the sector. */
    put_le32(s + 20, SECTOR - 39);
    assert_int_equal(lvm_label_decode(s, LVM_LABEL_SECTOR, &h), -1);
}

static void
test_mda_round_trip(void **state)
{
    (void)state;
    unsigned char b[LVM_MDA_HEADER_SIZE];
    struct lvm_mda_header m = {4096, 1 << 20, 512, 1234, 0xdeadbeef}, back;
    lvm_mda_header_encode(b, &m);
    assert_memory_equal(b + 4, " LVM2 x[5A%r0N*>", 16);
    assert_int_equal(get_le32(b + 20), 1);
    assert_int_equal(get_le64(b + 24), 4096);
    assert_int_equal(get_le64(b + 32), 1 << 20);
    assert_int_equal(get_le64(b + 40), 512);
    assert_int_equal(get_le64(b + 48), 1234);
    assert_int_equal(get_le32(b + 56), 0xdeadbeef);
    assert_int_equal(get_le32(b), lvm_crc(LVM_CRC_INITIAL, b + 4, LVM_MDA_HEADER_SIZE - 4));
    assert_int_equal(lvm_mda_header_decode(b, &back), 1);
    /* Field by field: the struct's padding is nobody's. */
    assert_int_equal(back.start, m.start);
    assert_int_equal(back.size, m.size);
    assert_int_equal(back.text_offset, m.text_offset);
    assert_int_equal(back.text_size, m.text_size);
    assert_int_equal(back.text_crc, m.text_crc);
    assert_true(lvm_mda_header_crc_ok(b));
    b[30] ^= 1;
    assert_false(lvm_mda_header_crc_ok(b));
    b[30] ^= 1;
    b[4] = 'X';
    assert_int_equal(lvm_mda_header_decode(b, &back), 0);
}

static void
test_text(void **state)
{
    (void)state;
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    lvm_text_put_string(f, "id", "a\"b\\c");
    assert_int_equal(fclose(f), 0);
    assert_string_equal(text, "id = \"a\\\"b\\\\c\"\n");
}

/* What the disk engine writes (the GPT through sfdisk, the PV through
 * lvm_meta) is what the reader reads. */
static void
test_engine_round_trip(void **state)
{
    (void)state;
    unit_need("sfdisk");
    CLEANUP_PLAN const struct plan *plan =
        unit_plan("recipe: 1\nname: rt\nversion: \"1\"\nos: { distro: debian-12 }\n"
                  "disks:\n  os:\n    size: 3GiB\n    volumes:\n"
                  "      - { name: root, mount: /, size: rest }\n"
                  "  app:\n    size: 64MiB\n    volumes:\n"
                  "      - { name: data, mount: /srv, size: rest }\n");
    static const char *const img[] = {"os.img", "app.img"};
    for (int id = 0; id < PLAN_N_DISKS; id++) {
        struct ab_error err = AB_ERROR_INIT;
        const struct plan_disk *d = &plan->disks[id];
        unit_check_ok(hostfs_disk(plan, (enum plan_disk_id)id, img[id], NULL, &err), &err);
        unit_check_ok(lvm_meta_write(plan, (enum plan_disk_id)id, img[id], 7, &err), &err);
        int fd = open(img[id], O_RDONLY);
        assert_true(fd >= 0);
        struct lvm_pv read;
        const char *why = NULL;
        assert_int_equal(lvm_image_pv_read(fd, d->size, &read, &why, &err), 1);
        assert_string_equal(read.vg.name, d->vg.name);
        assert_string_equal(read.vg.role, plan_disk_name((enum plan_disk_id)id));
        lvm_pv_release(&read);
        /* The label: the plan's PV UUID and size, the engine's areas. */
        const struct plan_partition *pv = &d->parts[d->vg.pv_partition - 1];
        unsigned char s[SECTOR];
        struct lvm_pv_header h;
        char uuid[LVM_UUID_BUF], undashed[LVM_UUID_LEN];
        assert_int_equal(pread(fd, s, SECTOR, (off_t)(pv->start + SECTOR)), SECTOR);
        assert_int_equal(lvm_label_decode(s, LVM_LABEL_SECTOR, &h), 1);
        lvm_meta_uuid(plan, (enum plan_disk_id)id, "pv", uuid);
        for (size_t i = 0, n = 0; uuid[i]; i++)
            if (uuid[i] != '-')
                undashed[n++] = uuid[i];
        assert_memory_equal(h.uuid, undashed, LVM_UUID_LEN);
        assert_int_equal(h.dev_size, pv->size);
        assert_int_equal(h.data_start, d->vg.pe_start);
        assert_int_equal(h.mda_start, LVM_MDA_START);
        assert_int_equal(gpt_boot_kinds(fd, d->size, &err),
                         id == PLAN_DISK_OS ? GPT_BOOT_BIOS | GPT_BOOT_UEFI : 0);
        close(fd);
        ab_error_release(&err);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vg_name),           cmocka_unit_test(test_no_pv),
        cmocka_unit_test(test_orphan_pv),         cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_label_bytes),       cmocka_unit_test(test_label_round_trip),
        cmocka_unit_test(test_mda_round_trip),    cmocka_unit_test(test_text),
        cmocka_unit_test(test_engine_round_trip),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
