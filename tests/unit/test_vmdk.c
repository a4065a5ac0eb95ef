/* test_vmdk.c: the streamOptimized VMDK writer, judged by qemu-img check and
 * compare and by reading the file's structure back. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/hash.h"
#include "appliance/image_check.h"
#include "export/vmdk.h"

#define GRAIN 65536u
#define MiB (1024u * 1024u)

/* ---- making raw images ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static void
fill_random(unsigned char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        buf[i] = (unsigned char)rng_state;
    }
}

/* Half random, half text-like, so that grains compress but not to nothing. */
static void
put_data(const char *path, uint64_t off, size_t len)
{
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    fill_random(buf, len);
    for (size_t i = 0; i < len; i += 2)
        buf[i] = (unsigned char)('a' + i % 26);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    free(buf);
}

/* Zeros written out: allocated, unlike a hole. */
static void
put_zeros(const char *path, uint64_t off, size_t len)
{
    unsigned char *buf = calloc(1, len);
    assert_non_null(buf);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    free(buf);
}

static void
make_sparse(const char *path, uint64_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)size), 0);
    assert_int_equal(close(fd), 0);
}

/* ---- qemu-img, the judge ---- */

static int
have_qemu_img(void)
{
    return system("qemu-img --version >/dev/null 2>&1") == 0;
}

static int
shell(const char *cmd)
{
    int r = system(cmd);
    if (r != 0)
        print_error("failed (%d): %s\n", r, cmd);
    return r;
}

static int
qemu_check(const char *vmdk)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "qemu-img check -q -f vmdk '%s'", vmdk);
    return shell(cmd);
}

static void
judge(const char *raw, const char *vmdk)
{
    char cmd[512];
    if (!have_qemu_img())
        unit_skip("qemu-img is not installed: the VMDK is not judged by qemu-img check/compare");
    assert_int_equal(qemu_check(vmdk), 0);
    snprintf(cmd, sizeof(cmd), "qemu-img compare -q -f raw -F vmdk '%s' '%s'", raw, vmdk);
    assert_int_equal(shell(cmd), 0);
    /* What inspect, test and deploy check of images from outside passes. */
    struct ab_error err = AB_ERROR_INIT;
    struct image_info info;
    int r = image_check(vmdk, vmdk, &info, NULL, &err);
    unit_check_ok(r, &err);
    assert_string_equal(info.format, "vmdk");
}

/* ---- reading the VMDK back ---- */

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void
read_at(int fd, uint64_t off, void *buf, size_t len)
{
    assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
}

struct parsed {
    uint64_t capacity;
    uint64_t gd_offset; /* from the footer */
    uint64_t grains;    /* grain table entries in use */
    uint64_t tables;    /* grain tables written */
    char descriptor[10240];
};

static void
check_header(const unsigned char *h, uint64_t gd_offset)
{
    assert_memory_equal(h, "KDMV", 4);
    assert_int_equal(le32(h + 4), 3);                                   /* version */
    assert_int_equal(le32(h + 8), (1u << 0) | (1u << 16) | (1u << 17)); /* flags */
    assert_int_equal(le64(h + 20), 128);                                /* grain size */
    assert_int_equal(le64(h + 28), 1);                                  /* descriptor */
    assert_int_equal(le32(h + 44), 512);                                /* GTEs per GT */
    assert_int_equal(le64(h + 56), gd_offset);
    assert_memory_equal(h + 73, "\n \r\n", 4);
    assert_int_equal(h[77] | h[78] << 8, 1); /* deflate */
}

/* Checks one grain table entry: a grain marker for that grain's LBA. */
static void
check_grain(int fd, uint64_t grain, uint32_t sector)
{
    unsigned char m[12];
    read_at(fd, (uint64_t)sector * 512, m, sizeof(m));
    assert_int_equal(le64(m), grain * 128);
    assert_true(le32(m + 8) > 0);
}

static void
parse(const char *vmdk, struct parsed *p)
{
    unsigned char h[512], tail[1536], gt[2048];
    struct stat st;
    int fd = open(vmdk, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size % 512, 0);
    memset(p, 0, sizeof(*p));

    read_at(fd, 0, h, sizeof(h));
    check_header(h, UINT64_MAX); /* the directory is at the end */
    p->capacity = le64(h + 12);
    read_at(fd, 512, p->descriptor, sizeof(p->descriptor) - 1);

    /* Footer marker, footer, end-of-stream marker. */
    read_at(fd, (uint64_t)st.st_size - sizeof(tail), tail, sizeof(tail));
    assert_int_equal(le64(tail), 1);
    assert_int_equal(le32(tail + 8), 0);
    assert_int_equal(le32(tail + 12), 3);
    p->gd_offset = le64(tail + 512 + 56);
    check_header(tail + 512, p->gd_offset);
    assert_int_equal(le64(tail + 512 + 12), p->capacity);
    for (int i = 0; i < 512; i++)
        assert_int_equal(tail[1024 + i], 0);

    uint64_t n_gd = (p->capacity + 128 * 512 - 1) / (128 * 512);
    unsigned char *gd = calloc(n_gd + 1, 4), marker[512];
    assert_non_null(gd);
    read_at(fd, (p->gd_offset - 1) * 512, marker, sizeof(marker));
    assert_int_equal(le64(marker), (n_gd * 4 + 511) / 512);
    assert_int_equal(le32(marker + 12), 2);
    if (n_gd)
        read_at(fd, p->gd_offset * 512, gd, n_gd * 4);
    for (uint64_t t = 0; t < n_gd; t++) {
        uint32_t at = le32(gd + 4 * t);
        if (!at)
            continue;
        p->tables++;
        read_at(fd, (uint64_t)(at - 1) * 512, marker, sizeof(marker));
        assert_int_equal(le64(marker), 4);
        assert_int_equal(le32(marker + 12), 1);
        read_at(fd, (uint64_t)at * 512, gt, sizeof(gt));
        for (uint64_t e = 0; e < 512; e++) {
            if (!le32(gt + 4 * e))
                continue;
            check_grain(fd, t * 512 + e, le32(gt + 4 * e));
            p->grains++;
        }
    }
    free(gd);
    assert_int_equal(close(fd), 0);
}

static void
convert(const char *raw, const char *vmdk, const struct vmdk_opts *o)
{
    struct ab_error err = AB_ERROR_INIT;
    int r = vmdk_stream_write(raw, vmdk, o, &err);
    unit_check_ok(r, &err);
}

/* The folder holds these names (space-separated, sorted) and nothing
 * else: no temporary file was left behind. */
static int
only_files(const char *names)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "test \"$(ls -A | xargs)\" = '%s'", names);
    int r = system(cmd);
    if (r != 0)
        assert_int_equal(system("ls -la >&2"), 0);
    return r == 0;
}

static void
clean_folder(void)
{
    assert_int_equal(system("rm -rf -- * .[!.]*"), 0);
}

static void
expect_failure(const char *raw, const char *vmdk, const struct vmdk_opts *o, const char *needle)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(vmdk_stream_write(raw, vmdk, o, &err), -1);
    char *msg = unit_error_text(&err);
    if (!strstr(msg, needle))
        print_error("unexpected message: %s", msg);
    assert_non_null(strstr(msg, needle));
    assert_int_equal(ab_error_exit_status(&err), 1);
    free(msg);
    ab_error_release(&err);
}

/* ---- the tests ---- */

static void
test_holes_and_data(void **state)
{
    (void)state;
    struct parsed p;
    make_sparse("disk.img", 100 * MiB);
    put_data("disk.img", 0, 3 * GRAIN);                /* grains 0-2 */
    put_data("disk.img", 5 * GRAIN + 1000, 200);       /* inside grain 5 */
    put_data("disk.img", 9 * GRAIN - 300, 600);        /* across grains 8 and 9 */
    put_data("disk.img", 70 * MiB + 12345, 3 * GRAIN); /* third grain table */
    put_data("disk.img", 100 * MiB - 512, 512);        /* the very last sector */
    convert("disk.img", "disk.vmdk", NULL);
    judge("disk.img", "disk.vmdk");

    parse("disk.vmdk", &p);
    assert_int_equal(p.capacity, 100 * MiB / 512);
    assert_int_equal(p.grains, 3 + 1 + 2 + 4 + 1);
    assert_int_equal(p.tables, 3); /* of four: the second is empty, and left out */
    assert_non_null(strstr(p.descriptor, "createType=\"streamOptimized\"\n"));
    assert_non_null(strstr(p.descriptor, "\nRW 204800 SPARSE \"disk.vmdk\"\n"));
    assert_non_null(strstr(p.descriptor, "\nddb.adapterType = \"lsilogic\"\n"));
    assert_non_null(strstr(p.descriptor, "\nddb.virtualHWVersion = \"4\"\n"));
    assert_non_null(strstr(p.descriptor, "\nddb.geometry.cylinders = \"12\"\n"));
    assert_non_null(strstr(p.descriptor, "\nddb.geometry.heads = \"255\"\n"));
    assert_non_null(strstr(p.descriptor, "\nddb.geometry.sectors = \"63\"\n"));
    assert_true(only_files("disk.img disk.vmdk"));
    clean_folder();
}

static void
test_zero_grains_are_skipped(void **state)
{
    (void)state;
    struct parsed p;
    make_sparse("zeros.img", 0);
    put_zeros("zeros.img", 0, 4 * MiB); /* allocated, all zero */
    put_data("zeros.img", 2 * MiB, GRAIN);
    struct vmdk_opts o = VMDK_OPTS_INIT;
    uint64_t populated = 0;
    o.populated = &populated;
    convert("zeros.img", "zeros.vmdk", &o);
    judge("zeros.img", "zeros.vmdk");
    parse("zeros.vmdk", &p);
    assert_int_equal(p.grains, 1);
    /* The allocated zeros are not populated: only the grain of data. */
    assert_int_equal(populated, GRAIN);
    /* No CID given: one derived, not random; the same bytes again. */
    assert_int_equal(mkdir("again", 0755), 0);
    convert("zeros.img", "again/zeros.vmdk", NULL);
    assert_int_equal(shell("cmp zeros.vmdk again/zeros.vmdk"), 0);
    clean_folder();
}

static void
hash_written(const void *buf, size_t len, void *opaque)
{
    digest_update(opaque, buf, len);
}

/* The bytes given to written are the file's, in order: their digest is
 * the file's. */
static void
test_written_bytes(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char streamed[HASH_HEX_MAX], read_back[HASH_HEX_MAX];
    make_sparse("seen.img", 80 * MiB);
    put_data("seen.img", 0, 5 * MiB);
    put_data("seen.img", 40 * MiB + 777, 3 * GRAIN);
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    assert_non_null(d);
    struct vmdk_opts o = VMDK_OPTS_INIT;
    o.written = hash_written;
    o.written_opaque = d;
    convert("seen.img", "seen.vmdk", &o);
    digest_hex(d, streamed);
    assert_int_equal(digest_file(DIGEST_SHA256, "seen.vmdk", read_back, &err), 0);
    assert_string_equal(streamed, read_back);
    clean_folder();
}

static void
test_random_data_any_thread_count(void **state)
{
    (void)state;
    struct vmdk_opts o = VMDK_OPTS_INIT;
    struct parsed p;
    unsigned char *buf = malloc(12 * MiB);
    assert_non_null(buf);
    make_sparse("rand.img", 40 * MiB);
    fill_random(buf, 12 * MiB); /* incompressible: six jobs' worth */
    int fd = open("rand.img", O_WRONLY);
    assert_int_equal(pwrite(fd, buf, 10 * MiB, MiB), (ssize_t)(10 * MiB));
    assert_int_equal(pwrite(fd, buf + 10 * MiB, 2 * MiB, 33 * MiB), (ssize_t)(2 * MiB));
    assert_int_equal(close(fd), 0);
    free(buf);

    /* The same name in two folders, as the descriptor holds the name. */
    assert_int_equal(mkdir("one", 0755), 0);
    assert_int_equal(mkdir("seven", 0755), 0);
    o.cid = 0x12345678;
    o.threads = 1;
    convert("rand.img", "one/disk.vmdk", &o);
    o.threads = 7;
    convert("rand.img", "seven/disk.vmdk", &o);
    o.level = 1;
    convert("rand.img", "fast.vmdk", &o);
    judge("rand.img", "seven/disk.vmdk");
    judge("rand.img", "fast.vmdk");
    parse("seven/disk.vmdk", &p);
    assert_int_equal(p.grains, 12 * MiB / GRAIN);
    assert_int_equal(p.tables, 2);
    /* Written in order whatever the threads: the same bytes. */
    assert_int_equal(shell("cmp one/disk.vmdk seven/disk.vmdk"), 0);
    assert_non_null(strstr(p.descriptor, "\nCID=12345678\n"));
    clean_folder();
}

static void
test_size_not_a_multiple_of_a_grain(void **state)
{
    (void)state;
    struct vmdk_opts o = VMDK_OPTS_INIT;
    struct parsed p;
    uint64_t size = 3 * MiB + 7 * 512;
    make_sparse("odd.img", size);
    put_data("odd.img", size - GRAIN - 512, GRAIN + 512); /* the partial last grain too */
    o.adapter = VMDK_ADAPTER_IDE;
    uint64_t populated = 0;
    o.populated = &populated;
    convert("odd.img", "odd.vmdk", &o);
    assert_int_equal(populated, GRAIN + 7 * 512); /* the last grain cut at the end */
    judge("odd.img", "odd.vmdk");
    parse("odd.vmdk", &p);
    assert_int_equal(p.capacity, size / 512);
    assert_int_equal(p.grains, 2);
    assert_non_null(strstr(p.descriptor, "\nddb.adapterType = \"ide\"\n"));
    assert_non_null(strstr(p.descriptor, "\nddb.geometry.heads = \"16\"\n"));
    clean_folder();
}

static void
test_size_not_a_multiple_of_a_sector(void **state)
{
    (void)state;
    struct parsed p;
    make_sparse("tail.img", 0);
    put_data("tail.img", 0, 1000); /* rounded up to two sectors, zero-filled */
    convert("tail.img", "tail.vmdk", NULL);
    parse("tail.vmdk", &p);
    assert_int_equal(p.capacity, 2);
    assert_int_equal(p.grains, 1);
    judge("tail.img", "tail.vmdk");
    clean_folder();
}

static void
test_empty_disks(void **state)
{
    (void)state;
    struct parsed p;
    make_sparse("holes.img", 40 * MiB);
    convert("holes.img", "holes.vmdk", NULL);
    judge("holes.img", "holes.vmdk");
    parse("holes.vmdk", &p);
    assert_int_equal(p.grains, 0);
    assert_int_equal(p.tables, 0);

    /* No sectors at all: qemu-img cannot open such a VMDK, even its own. */
    make_sparse("none.img", 0);
    expect_failure("none.img", "none.vmdk", NULL, "cannot convert 'none.img': the disk is empty");
    assert_true(only_files("holes.img holes.vmdk none.img"));
    clean_folder();
}

static uint64_t progress_last, progress_calls;

static void
note_progress(uint64_t done, uint64_t total, void *opaque)
{
    assert_ptr_equal(opaque, &progress_last);
    assert_int_equal(total, 8 * MiB);
    assert_true(done >= progress_last && done <= total);
    progress_last = done;
    progress_calls++;
}

static void
test_progress(void **state)
{
    (void)state;
    struct vmdk_opts o = VMDK_OPTS_INIT;
    make_sparse("p.img", 8 * MiB);
    put_data("p.img", 0, MiB);
    put_data("p.img", 6 * MiB, MiB);
    o.progress = note_progress;
    o.progress_opaque = &progress_last;
    convert("p.img", "p.vmdk", &o);
    assert_int_equal(progress_last, 8 * MiB);
    assert_true(progress_calls >= 2);
    clean_folder();
}

/* A stop requested through opts.stop ends the write, leaving nothing. */
static void
test_stop_leaves_nothing(void **state)
{
    (void)state;
    volatile sig_atomic_t stop = 1;
    struct vmdk_opts o = VMDK_OPTS_INIT;
    make_sparse("s.img", 8 * MiB);
    put_data("s.img", 0, MiB);
    o.stop = &stop;
    expect_failure("s.img", "s.vmdk", &o, "while writing 's.vmdk': interrupted");
    assert_true(only_files("s.img"));
    clean_folder();
}

static void
test_unreadable_input_leaves_nothing(void **state)
{
    (void)state;
    struct vmdk_opts o = VMDK_OPTS_INIT;
    expect_failure("missing.img", "out.vmdk", NULL,
                   "while writing 'out.vmdk': cannot read 'missing.img': No such file");
    assert_int_equal(mkdir("dir.img", 0755), 0);
    expect_failure("dir.img", "out.vmdk", NULL, "cannot read 'dir.img': not a file");
    assert_true(only_files("dir.img"));
    make_sparse("ok.img", MiB);
    o.level = 13;
    expect_failure("ok.img", "out.vmdk", &o, "compression level 13 is not between 1 and 12");
    assert_int_equal(rmdir("dir.img"), 0);
    assert_true(only_files("ok.img"));
    clean_folder();
}

/* A write that fails half-way (file size limit) removes the partial file. */
static void
test_failed_write_leaves_nothing(void **state)
{
    (void)state;
    struct rlimit old, small;
    make_sparse("big.img", 0);
    put_data("big.img", 0, 4 * MiB);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 256 * 1024;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    struct ab_error err = AB_ERROR_INIT;
    int r = vmdk_stream_write("big.img", "big.vmdk", NULL, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(r, -1);
    assert_int_equal(err.errnum, EFBIG);
    ab_error_release(&err);
    assert_true(only_files("big.img"));
    clean_folder();
}

static void
test_adapter_names(void **state)
{
    (void)state;
    enum vmdk_adapter a = VMDK_ADAPTER_IDE;
    assert_int_equal(vmdk_adapter_from_string("lsilogic", &a), 0);
    assert_int_equal(a, VMDK_ADAPTER_LSILOGIC);
    assert_int_equal(vmdk_adapter_from_string("legacyESX", &a), 0);
    assert_int_equal(a, VMDK_ADAPTER_LEGACY_ESX);
    assert_int_equal(vmdk_adapter_from_string("pvscsi", &a), -1);
    assert_string_equal(vmdk_adapter_to_string(VMDK_ADAPTER_BUSLOGIC), "buslogic");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holes_and_data),
        cmocka_unit_test(test_zero_grains_are_skipped),
        cmocka_unit_test(test_written_bytes),
        cmocka_unit_test(test_random_data_any_thread_count),
        cmocka_unit_test(test_size_not_a_multiple_of_a_grain),
        cmocka_unit_test(test_size_not_a_multiple_of_a_sector),
        cmocka_unit_test(test_empty_disks),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_stop_leaves_nothing),
        cmocka_unit_test(test_unreadable_input_leaves_nothing),
        cmocka_unit_test(test_failed_write_leaves_nothing),
        cmocka_unit_test(test_adapter_names),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
