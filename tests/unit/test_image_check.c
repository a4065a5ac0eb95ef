/* test_image_check.c: images that name other files, refused.
 *  - the judgement of qemu-img info's JSON, on what qemu-img 7.2 said of
 *    images it made (tests/data/images/, README.md there), and on the
 *    "children" form of qemu 8
 *  - the sniff of an image's own bytes, on headers written here byte by
 *    byte (qcow2 with a backing file or data file, a sparse VMDK read as a
 *    descriptor or naming a parent, text descriptors, VHD, VDI, odd
 *    formats), whole files and members inside a bigger file
 *  - image_check end to end with qemu-img, on images qemu-img made. */
#include "unit.h"

#include <fcntl.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/image_check.h"

#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

#define REFUSAL "; refusing an image that refers to files outside itself\n"

/* ---- qemu-img info's JSON ---------------------------------------------- */

/* Judges tests/data/images/NAME.json as qemu-img's answer about qemu_name
 * (default: NAME); returns the error text (NULL when accepted). */
static char *
judge(const char *name, const char *qemu_name, const char *format, struct image_info *info)
{
    char path[PATH_MAX];
    FMT(path, "%s/tests/data/images/%s.json", unit_top_dir(), name);
    CLEANUP_FREE char *json = unit_slurp(path, NULL);
    assert_non_null(json);
    struct ab_error err = AB_ERROR_INIT;
    struct image_info ignored;
    int r = image_judge_info(json, qemu_name ? qemu_name : name, name, format,
                             info ? info : &ignored, &err);
    char *msg = r < 0 ? unit_error_text(&err) : NULL;
    assert_int_equal(r < 0, ab_error_is_set(&err));
    ab_error_release(&err);
    return msg;
}

static void
accepted(const char *name, const char *format, uint64_t size)
{
    struct image_info info;
    char *msg = judge(name, NULL, format, &info);
    if (msg)
        print_message("%s", msg);
    assert_null(msg);
    assert_string_equal(info.format, format);
    assert_int_equal(info.virtual_size, size);
}

static void
refused(const char *name, const char *format, const char *want)
{
    CLEANUP_FREE char *msg = judge(name, NULL, format, NULL);
    assert_non_null(msg);
    assert_string_equal(msg, want);
}

static void
test_json_accepted(void **state)
{
    (void)state;
    accepted("plain.qcow2", "qcow2", 1 << 20);
    accepted("sparse.vmdk", "vmdk", 1 << 20);
    accepted("stream.vmdk", "vmdk", 1 << 20);
    accepted("plain.raw", "raw", 1 << 20);
    accepted("plain.vhdx", "vhdx", 1 << 20);
    accepted("plain.vdi", "vdi", 1 << 20);
    accepted("plain.vhd", "vpc", 1079296); /* VHD's CHS rounding */
}

static void
test_json_refused(void **state)
{
    (void)state;
    refused("backing.qcow2", "qcow2",
            "appliance: error: 'backing.qcow2' names another file: backing file "
            "'plain.qcow2'" REFUSAL);
    refused("datafile.qcow2", "qcow2",
            "appliance: error: 'datafile.qcow2' names another file: data file "
            "'datafile.raw'" REFUSAL);
    refused("flat.vmdk", "vmdk",
            "appliance: error: 'flat.vmdk' names another file: extent '/etc/shadow'" REFUSAL);
    refused("twogbflat.vmdk", "vmdk",
            "appliance: error: 'twogbflat.vmdk' names another file: extent "
            "'twogbflat-f001.vmdk'" REFUSAL);
    refused("twogbsparse.vmdk", "vmdk",
            "appliance: error: 'twogbsparse.vmdk' names another file: extent "
            "'twogbsparse-s001.vmdk'" REFUSAL);
    refused("child.vmdk", "vmdk",
            "appliance: error: 'child.vmdk' names another file: backing file "
            "'sparse.vmdk'" REFUSAL);
    refused("children-data-file.qcow2", "qcow2",
            "appliance: error: 'children-data-file.qcow2' names another file: node "
            "'data-file'" REFUSAL);
}

static void
test_json_format_and_garbage(void **state)
{
    (void)state;
    /* What the bytes said must be what qemu-img reads. */
    CLEANUP_FREE char *msg = judge("plain.raw", NULL, "qcow2", NULL);
    assert_string_equal(msg, "appliance: error: 'plain.raw' looks like a qcow2 image, but "
                             "qemu-img reads it as raw\n");
    struct ab_error err = AB_ERROR_INIT;
    struct image_info info;
    assert_int_equal(image_judge_info("not json", "x", "x", "raw", &info, &err), -1);
    CLEANUP_FREE char *m2 = unit_error_text(&err);
    assert_string_equal(m2, "appliance: error: cannot read what 'qemu-img info' says of 'x'\n");
    ab_error_release(&err);
    assert_int_equal(image_judge_info("{\"format\": \"raw\"}", "x", "x", "raw", &info, &err), -1);
    ab_error_release(&err);
    /* A VMDK's extent that is the image itself under another name is not. */
    CLEANUP_FREE char *m3 = judge("sparse.vmdk", "/elsewhere/sparse.vmdk", "vmdk", NULL);
    assert_string_equal(m3, "appliance: error: 'sparse.vmdk' names another file: extent "
                            "'sparse.vmdk'" REFUSAL);
}

/* An OVA member read in place: its extent is the raw node over its bytes. */
static void
test_json_member(void **state)
{
    (void)state;
    CLEANUP_FREE char *name = image_member_name("vmdk", "/tmp/appliance-fixture/n.ova", 512, 65536);
    assert_string_equal(name,
                        "json:{\"driver\":\"vmdk\",\"file\":{\"driver\":\"raw\",\"offset\":512,"
                        "\"size\":65536,\"file\":{\"driver\":\"file\",\"filename\":"
                        "\"/tmp/appliance-fixture/n.ova\"}}}");
    struct image_info info;
    CLEANUP_FREE char *msg = judge("member.vmdk", name, "vmdk", &info);
    assert_null(msg);
    assert_int_equal(info.virtual_size, 1 << 20);
    /* The same answer about another member (another offset) is refused. */
    CLEANUP_FREE char *other =
        image_member_name("vmdk", "/tmp/appliance-fixture/n.ova", 1024, 65536);
    CLEANUP_FREE char *m2 = judge("member.vmdk", other, "vmdk", NULL);
    assert_non_null(m2);
    assert_non_null(strstr(m2, "names another file: extent 'json:{"));
}

/* ---- the image's own bytes ---------------------------------------------- */

static void
put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void
put_be64(unsigned char *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static void
put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static void
put_le64(unsigned char *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Writes len bytes to path at offset (the file made or grown first). */
static void
write_at(const char *path, const void *buf, size_t len, off_t at)
{
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, at), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* Sniffs the length bytes at offset of path (length 0: the whole file);
 * the format in format, the error text returned (NULL when accepted). */
static char *
sniff(const char *path, uint64_t offset, uint64_t length, char format[IMAGE_FORMAT_MAX])
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    if (!length)
        length = (uint64_t)lseek(fd, 0, SEEK_END);
    struct ab_error err = AB_ERROR_INIT;
    char f[IMAGE_FORMAT_MAX] = "";
    int r = image_sniff(fd, offset, length, path, format ? format : f, &err);
    close(fd);
    char *msg = r < 0 ? unit_error_text(&err) : NULL;
    ab_error_release(&err);
    return msg;
}

static void
sniffs_as(const char *path, const char *want)
{
    char format[IMAGE_FORMAT_MAX] = "";
    char *msg = sniff(path, 0, 0, format);
    if (msg)
        print_message("%s", msg);
    assert_null(msg);
    assert_string_equal(format, want);
}

static void
sniff_refused(const char *path, const char *want)
{
    CLEANUP_FREE char *msg = sniff(path, 0, 0, NULL);
    assert_non_null(msg);
    assert_string_equal(msg, want);
}

/* A qcow2 version 3 header: 104 bytes, clusters of 64 KiB. */
static void
qcow2_header(unsigned char *h, uint64_t incompatible)
{
    memcpy(h, "QFI\xfb", 4);
    put_be32(h + 4, 3);
    put_be32(h + 20, 16);
    put_be64(h + 24, 1 << 20);
    put_be64(h + 72, incompatible);
    put_be32(h + 96, 4);
    put_be32(h + 100, 104);
}

static void
test_sniff_qcow2(void **state)
{
    (void)state;
    unsigned char h[4096] = {0};
    qcow2_header(h, 0);
    write_at("ok.qcow2", h, sizeof(h), 0);
    sniffs_as("ok.qcow2", "qcow2");

    put_be64(h + 8, 1024); /* backing_file_offset */
    put_be32(h + 16, 11);  /* backing_file_size */
    memcpy(h + 1024, "/etc/shadow", 11);
    write_at("backing.qcow2", h, sizeof(h), 0);
    sniff_refused("backing.qcow2", "appliance: error: 'backing.qcow2' names another file: "
                                   "backing file '/etc/shadow'" REFUSAL);

    memset(h, 0, sizeof(h));
    qcow2_header(h, 1 << 2); /* external data file */
    put_be32(h + 104, 0x44415441);
    put_be32(h + 108, 9);
    memcpy(h + 112, "/dev/sda1", 9);
    write_at("data.qcow2", h, sizeof(h), 0);
    sniff_refused(
        "data.qcow2",
        "appliance: error: 'data.qcow2' names another file: data file '/dev/sda1'" REFUSAL);
    memset(h + 104, 0, 20); /* the bit alone */
    write_at("data2.qcow2", h, sizeof(h), 0);
    sniff_refused(
        "data2.qcow2",
        "appliance: error: 'data2.qcow2' keeps its data in an external data file" REFUSAL);

    memset(h, 0, sizeof(h));
    memcpy(h, "QFI\xfb\0\0\0\1", 8);
    write_at("v1.qcow", h, sizeof(h), 0);
    sniff_refused("v1.qcow", "appliance: error: 'v1.qcow' is a qcow (version 1) image, a format "
                             "appliance cannot vouch for; refusing it\n");

    /* A version 2 file shorter than its 72-byte header: its backing file
     * fields were read from past the bytes read (found by
     * tests/fuzz/image_fuzz.c), here the stack's leftovers. */
    memset(h, 0, sizeof(h));
    memcpy(h, "QFI\xfb\0\0\0\2\0\0\0\0", 12);
    write_at("short.qcow2", h, 12, 0);
    sniff_refused("short.qcow2", "appliance: error: 'short.qcow2' is a truncated qcow2 image, a "
                                 "format appliance cannot vouch for; refusing it\n");
}

/* A sparse VMDK header (VMDK4Header) with a descriptor at sector 1. */
static void
vmdk_header(unsigned char *h, uint64_t capacity, const char *descriptor)
{
    memcpy(h, "KDMV", 4);
    put_le32(h + 4, 1);
    put_le32(h + 8, 3);
    put_le64(h + 12, capacity);
    put_le64(h + 20, 128);
    put_le64(h + 28, 1);
    put_le64(h + 36, 20);
    memcpy(h + 512, descriptor, strlen(descriptor));
}

static void
test_sniff_vmdk(void **state)
{
    (void)state;
    unsigned char h[16384] = {0};
    vmdk_header(h, 2048,
                "# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=ffffffff\n"
                "createType=\"monolithicSparse\"\nRW 2048 SPARSE \"ok.vmdk\"\n");
    write_at("ok.vmdk", h, sizeof(h), 0);
    sniffs_as("ok.vmdk", "vmdk");

    /* Capacity 0: qemu reads the embedded descriptor as a descriptor file. */
    memset(h, 0, sizeof(h));
    vmdk_header(h, 0,
                "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n"
                "RW 2048 FLAT \"/etc/shadow\" 0\n");
    write_at("zero.vmdk", h, sizeof(h), 0);
    sniff_refused("zero.vmdk",
                  "appliance: error: 'zero.vmdk' names another file: extent '/etc/shadow'" REFUSAL);

    memset(h, 0, sizeof(h));
    vmdk_header(h, 2048,
                "# Disk DescriptorFile\nversion=1\nCID=2\nparentCID=1\n"
                "createType=\"monolithicSparse\"\nparentFileNameHint=\"/var/lib/base.vmdk\"\n"
                "RW 2048 SPARSE \"child.vmdk\"\n");
    write_at("child.vmdk", h, sizeof(h), 0);
    sniff_refused("child.vmdk", "appliance: error: 'child.vmdk' names another file: parent "
                                "'/var/lib/base.vmdk'" REFUSAL);

    memset(h, 0, sizeof(h));
    memcpy(h, "COWD", 4);
    write_at("cowd.vmdk", h, sizeof(h), 0);
    sniff_refused("cowd.vmdk", "appliance: error: 'cowd.vmdk' is a VMDK3 (COWD) image, a format "
                               "appliance cannot vouch for; refusing it\n");
}

static void
test_sniff_descriptors(void **state)
{
    (void)state;
    unit_write_file("evil.vmdk", "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n"
                                 "RW 2048 FLAT \"/etc/shadow\" 0\n");
    sniff_refused("evil.vmdk",
                  "appliance: error: 'evil.vmdk' names another file: extent '/etc/shadow'" REFUSAL);
    /* qemu's own probe: comments and blank lines, then version=. */
    unit_write_file("probe.vmdk", "# made by hand\n\n   \nversion=1\r\ncreateType=\"vmfs\"\r\n"
                                  "RW 4096 VMFS \"disk-flat.vmdk\"\r\n");
    sniff_refused("probe.vmdk", "appliance: error: 'probe.vmdk' names another file: extent "
                                "'disk-flat.vmdk'" REFUSAL);
    unit_write_file("split.vmdk", "# Disk DescriptorFile\nversion=1\n"
                                  "createType=\"twoGbMaxExtentSparse\"\n"
                                  "RW 4192256 SPARSE \"split-s001.vmdk\"\n"
                                  "RW 4192256 SPARSE \"split-s002.vmdk\"\n");
    sniff_refused("split.vmdk", "appliance: error: 'split.vmdk' names another file: extent "
                                "'split-s001.vmdk'" REFUSAL);
    unit_write_file("bare.vmdk",
                    "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n");
    sniff_refused("bare.vmdk", "appliance: error: 'bare.vmdk' is a VMDK descriptor, whose data can "
                               "only be in other files" REFUSAL);
    /* Control characters in a name are not written to the terminal. */
    unit_write_file("esc.vmdk", "# Disk DescriptorFile\nversion=1\n"
                                "RW 1 FLAT \"/x\033[2J\" 0\n");
    sniff_refused("esc.vmdk",
                  "appliance: error: 'esc.vmdk' names another file: extent '/x?[2J'" REFUSAL);
    /* Text that is no descriptor is a raw disk (qemu is told raw). */
    unit_write_file("notes.img", "version=9\nRW 1 FLAT \"/etc/shadow\" 0\n");
    sniffs_as("notes.img", "raw");
}

static void
test_sniff_other_formats(void **state)
{
    (void)state;
    unsigned char h[4096] = {0};
    memcpy(h, "vhdxfile", 8);
    write_at("a.vhdx", h, sizeof(h), 0);
    sniffs_as("a.vhdx", "vhdx");

    memset(h, 0, sizeof(h));
    memcpy(h, "conectix", 8);
    put_be32(h + 60, 3);
    write_at("dyn.vhd", h, sizeof(h), 0);
    sniffs_as("dyn.vhd", "vpc");
    put_be32(h + 60, 4);
    write_at("diff.vhd", h, sizeof(h), 0);
    sniff_refused("diff.vhd", "appliance: error: 'diff.vhd' is a differencing VHD, whose parent "
                              "is another file" REFUSAL);
    /* A fixed VHD: raw data, then the footer. */
    unsigned char footer[512] = {0};
    memcpy(footer, "conectix", 8);
    put_be32(footer + 60, 2);
    write_at("fixed.vhd", footer, sizeof(footer), 1 << 20);
    sniffs_as("fixed.vhd", "vpc");

    memset(h, 0, sizeof(h));
    memcpy(h, "<<< Oracle VM VirtualBox Disk Image >>>\n", 40);
    put_le32(h + 64, 0xbeda107f);
    put_le32(h + 76, 1);
    write_at("a.vdi", h, sizeof(h), 0);
    sniffs_as("a.vdi", "vdi");
    put_le32(h + 76, 4);
    write_at("diff.vdi", h, sizeof(h), 0);
    sniff_refused("diff.vdi", "appliance: error: 'diff.vdi' is a differencing VDI, whose parent "
                              "is another file" REFUSAL);

    memset(h, 0, sizeof(h));
    memcpy(h, "QED\0", 4);
    write_at("a.qed", h, sizeof(h), 0);
    sniff_refused("a.qed", "appliance: error: 'a.qed' is a QED image, a format appliance cannot "
                           "vouch for; refusing it\n");
    memcpy(h, "LUKS\xba\xbe", 6);
    write_at("a.luks", h, sizeof(h), 0);
    sniff_refused("a.luks", "appliance: error: 'a.luks' is a LUKS volume, a format appliance "
                            "cannot vouch for; refusing it\n");

    memset(h, 0, sizeof(h));
    h[510] = 0x55, h[511] = 0xaa; /* an MBR */
    write_at("disk.raw", h, sizeof(h), 0);
    sniffs_as("disk.raw", "raw");
    unit_write_file("empty.raw", "");
    sniffs_as("empty.raw", "raw");
}

/* A member of a bigger file is judged by its own bytes, not the file's. */
static void
test_sniff_member(void **state)
{
    (void)state;
    const char *desc = "# Disk DescriptorFile\nversion=1\nRW 8 FLAT \"decoy\" 0\n";
    unsigned char h[4096] = {0};
    qcow2_header(h, 0);
    write_at("pack", h, sizeof(h), 0);
    write_at("pack", desc, strlen(desc), 4096);
    char format[IMAGE_FORMAT_MAX];
    char *msg = sniff("pack", 0, 4096, format);
    assert_null(msg);
    assert_string_equal(format, "qcow2");
    CLEANUP_FREE char *m2 = sniff("pack", 4096, strlen(desc), NULL);
    assert_string_equal(m2, "appliance: error: 'pack' names another file: extent 'decoy'" REFUSAL);
}

/* ---- with qemu-img ---------------------------------------------------- */

static char *
check(const char *path, struct image_info *info)
{
    struct ab_error err = AB_ERROR_INIT;
    int r = image_check(path, path, info, NULL, &err);
    char *msg = r < 0 ? unit_error_text(&err) : NULL;
    ab_error_release(&err);
    return msg;
}

static void
test_check_with_qemu_img(void **state)
{
    (void)state;
    if (system("command -v qemu-img >/dev/null") != 0)
        skip();
    assert_int_equal(system("qemu-img create -q -f qcow2 q.qcow2 2M && "
                            "qemu-img create -q -f qcow2 -b q.qcow2 -F qcow2 b.qcow2 && "
                            "qemu-img create -q -f vmdk -o subformat=streamOptimized s.vmdk 3M && "
                            "qemu-img create -q -f vmdk -o subformat=monolithicFlat f.vmdk 1M"),
                     0);
    struct image_info info;
    char *msg = check("q.qcow2", &info);
    assert_null(msg);
    assert_string_equal(info.format, "qcow2");
    assert_int_equal(info.virtual_size, 2 << 20);
    msg = check("s.vmdk", &info);
    assert_null(msg);
    assert_string_equal(info.format, "vmdk");
    assert_int_equal(info.virtual_size, 3 << 20);
    CLEANUP_FREE char *b = check("b.qcow2", &info);
    assert_string_equal(b, "appliance: error: 'b.qcow2' names another file: backing file "
                           "'q.qcow2'" REFUSAL);
    CLEANUP_FREE char *f = check("f.vmdk", &info);
    assert_string_equal(f, "appliance: error: 'f.vmdk' names another file: extent "
                           "'f-flat.vmdk'" REFUSAL);
    CLEANUP_FREE char *n = check("nope.img", &info);
    assert_string_equal(n, "appliance: error: cannot read disk image 'nope.img': No such file or "
                           "directory\n");
    CLEANUP_FREE char *d = check(".", &info);
    assert_string_equal(d, "appliance: error: disk image '.' is not a regular file\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_accepted),
        cmocka_unit_test(test_json_refused),
        cmocka_unit_test(test_json_format_and_garbage),
        cmocka_unit_test(test_json_member),
        cmocka_unit_test(test_sniff_qcow2),
        cmocka_unit_test(test_sniff_vmdk),
        cmocka_unit_test(test_sniff_descriptors),
        cmocka_unit_test(test_sniff_other_formats),
        cmocka_unit_test(test_sniff_member),
        cmocka_unit_test(test_check_with_qemu_img),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
