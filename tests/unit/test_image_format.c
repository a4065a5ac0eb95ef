/* test_image_format.c: the table of image formats.
 *  - round trip through qemu-img: an image made with the create options a
 *    row gives is probed as that row and its header read gives the same
 *    options back (qemu-img writes, the table reads)
 *  - headers laid out here byte by byte (qcow2 v3 with a data file, VDI,
 *    a fixed VHD's footer), read field by field
 *  - every row found by its name; the refused formats by their magic. */
#include "unit.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "appliance/bytes.h"
#include "appliance/image_format.h"
#include "appliance/spawn.h"

/* The row of the image file at path, and its header. */
static const struct image_format *
probe_file(const char *path, struct image_header *hd)
{
    unsigned char h[IMAGE_HEAD_SIZE + 1], last[SECTOR];
    struct stat st;
    struct ab_error err = AB_ERROR_INIT;
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0 && fstat(fd, &st) == 0);
    ssize_t n = image_pread(fd, 0, (uint64_t)st.st_size, 0, h, IMAGE_HEAD_SIZE);
    assert_true(n >= 0);
    h[n] = '\0';
    const struct image_format *f = image_format_probe(h, (size_t)n);
    if (!f) {
        assert_int_equal(
            image_pread(fd, 0, (uint64_t)st.st_size, (uint64_t)st.st_size - SECTOR, last, SECTOR),
            SECTOR);
        f = image_format_probe_footer(last, hd);
    }
    if (f)
        unit_check_ok(image_format_read(f, fd, 0, (uint64_t)st.st_size, hd, &err), &err);
    close(fd);
    return f;
}

/* "img", made by qemu-img create -f format [-o opts], 4 MiB. */
static void
make_image(const char *format, const char *opts)
{
    const char *argv[] = {"qemu-img", "create", "-q", "-f", format, "img", "4M", NULL, NULL, NULL};
    if (*opts)
        argv[7] = "-o", argv[8] = opts;
    struct ab_error err = AB_ERROR_INIT;
    unlink("img");
    unit_check_ok(spawn_run(argv, NULL, &err), &err);
}

static void
test_qemu_round_trip(void **state)
{
    (void)state;
    unit_need("qemu-img");
    static const struct {
        const char *format, *opts;
    } cases[] = {
        {"qcow2", "compat=1.1"},
        {"qcow2", "compat=0.10"},
        {"vpc", "subformat=dynamic,force_size=on"},
        {"vpc", "subformat=fixed,force_size=on"},
        {"vdi", "static=on"},
        {"vdi", ""},
        {"vhdx", "subformat=dynamic"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        make_image(cases[i].format, cases[i].opts);
        struct image_header hd;
        const struct image_format *f = probe_file("img", &hd);
        assert_non_null(f);
        assert_string_equal(f->name, cases[i].format);
        assert_int_equal(f->kind, IMAGE_KIND_IMAGE);
        assert_null(hd.odd);
        assert_null(hd.differencing);
        assert_string_equal(f->create_options(&hd), cases[i].opts);
    }
    /* A sparse VMDK: its descriptor where the header says. */
    make_image("vmdk", "");
    struct image_header hd;
    const struct image_format *f = probe_file("img", &hd);
    assert_non_null(f);
    assert_string_equal(f->name, "vmdk");
    assert_null(f->create_options);
    assert_int_equal(hd.capacity, (4u << 20) / SECTOR);
    assert_true(hd.desc_sector > 0 && hd.desc_sectors > 0);
}

/* qcow2 version 3, a backing file at 0x1000 and a data file extension. */
static void
test_qcow2_bytes(void **state)
{
    (void)state;
    unsigned char h[IMAGE_HEAD_SIZE + 1] = {0};
    memcpy(h, "QFI\xfb", 4);
    put_be32(h + 4, 3);
    h[8 + 6] = 0x10; /* backing_file_offset 0x1000 */
    put_be32(h + 16, 7);
    h[72 + 7] = 1 << 2;     /* incompatible: external data file */
    put_be32(h + 100, 112); /* header_length */
    put_be32(h + 112, 0x44415441);
    put_be32(h + 116, 4);
    memcpy(h + 120, "data", 4);
    const struct image_format *f = image_format_probe(h, IMAGE_HEAD_SIZE);
    assert_non_null(f);
    assert_string_equal(f->name, "qcow2");
    assert_true(f->refs & IMAGE_REF_BACKING && f->refs & IMAGE_REF_DATA_FILE);
    struct image_header hd = {0};
    f->read(h, IMAGE_HEAD_SIZE, &hd);
    assert_int_equal(hd.version, 3);
    assert_int_equal(hd.backing_offset, 0x1000);
    assert_int_equal(hd.backing_size, 7);
    assert_true(hd.data_file);
    assert_int_equal(hd.data_file_at, 120);
    assert_int_equal(hd.data_file_len, 4);
    /* Version 1, and a version 3 header cut short. */
    put_be32(h + 4, 1);
    memset(&hd, 0, sizeof(hd));
    f->read(h, IMAGE_HEAD_SIZE, &hd);
    assert_string_equal(hd.odd, "a qcow (version 1) image");
    put_be32(h + 4, 3);
    memset(&hd, 0, sizeof(hd));
    f->read(h, 100, &hd);
    assert_string_equal(hd.odd, "a truncated qcow2 image");
    /* A version 2 header shorter than its 72 bytes, on a buffer of just
     * its bytes and the NUL: nothing past them is read (found by
     * tests/fuzz/image_fuzz.c, which read the backing file's size past
     * an 18-byte head). */
    for (size_t n = 8; n < 72; n++) {
        unsigned char *cut = malloc(n + 1);
        assert_non_null(cut);
        memcpy(cut, h, n);
        put_be32(cut + 4, 2);
        cut[n] = '\0';
        memset(&hd, 0, sizeof(hd));
        f->read(cut, n, &hd);
        assert_string_equal(hd.odd, "a truncated qcow2 image");
        assert_int_equal(hd.backing_offset, 0);
        free(cut);
    }
}

static void
test_vdi_vhd_bytes(void **state)
{
    (void)state;
    unsigned char h[IMAGE_HEAD_SIZE + 1] = {0};
    put_le32(h + 64, 0xbeda107f);
    put_le32(h + 76, 4);
    const struct image_format *f = image_format_probe(h, IMAGE_HEAD_SIZE);
    assert_non_null(f);
    assert_string_equal(f->name, "vdi");
    struct image_header hd = {0};
    f->read(h, IMAGE_HEAD_SIZE, &hd);
    assert_string_equal(hd.differencing, "a differencing VDI");
    /* A fixed VHD: raw at its start, "conectix" and type 2 at its end. */
    unsigned char last[SECTOR] = {0};
    memcpy(last, "conectix", 8);
    put_be32(last + 60, 2);
    f = image_format_probe_footer(last, &hd);
    assert_non_null(f);
    assert_string_equal(f->name, "vpc");
    assert_string_equal(f->create_options(&hd), "subformat=fixed,force_size=on");
    put_be32(last + 60, 3); /* a dynamic one has its header at its start too */
    assert_null(image_format_probe_footer(last, &hd));
}

static void
test_rows(void **state)
{
    (void)state;
    static const char *const names[] = {"raw", "qcow2", "vmdk", "vhdx", "vpc", "vdi"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const struct image_format *f = image_format_find(names[i]);
        assert_non_null(f);
        assert_string_equal(f->name, names[i]);
        assert_int_equal(f->kind, IMAGE_KIND_IMAGE);
    }
    assert_null(image_format_find("qed"));
    static const struct {
        const char *head, *what;
        size_t len;
    } refused[] = {
        {"QED\0", "a QED image", 4},
        {"COWD", "a VMDK3 (COWD) image", 4},
        {"WithoutFreeSpace", "a Parallels image", 16},
        {"LUKS\xba\xbe", "a LUKS volume", 6},
        {"version=1\n", "a VMDK descriptor", 10},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        unsigned char h[64] = {0};
        memcpy(h, refused[i].head, refused[i].len);
        const struct image_format *f = image_format_probe(h, refused[i].len);
        assert_non_null(f);
        assert_string_equal(f->what, refused[i].what);
        assert_int_not_equal(f->kind, IMAGE_KIND_IMAGE);
    }
    unsigned char zero[SECTOR] = {0};
    assert_null(image_format_probe(zero, sizeof(zero)));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_round_trip),
        cmocka_unit_test(test_qcow2_bytes),
        cmocka_unit_test(test_vdi_vhd_bytes),
        cmocka_unit_test(test_rows),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
