/* test_fsutil.c: byte ranges copied with their holes (copy_range_sparse)
 * and made zero (zero_range), as resize moves extents and writes volumes
 * back: into a file full of other bytes, from a file with holes and past
 * its end, within one file; what was zero reads zero and stays a hole. */
#include "unit.h"

#include <fcntl.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"

#define K 1024
#define M (1024 * 1024)

static int
file_of(const char *name, unsigned char fill, size_t size)
{
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    CLEANUP_FREE unsigned char *buf = malloc(size);
    memset(buf, fill, size);
    if (fill)
        assert_int_equal(pwrite(fd, buf, size, 0), (ssize_t)size);
    else
        assert_int_equal(ftruncate(fd, (off_t)size), 0);
    return fd;
}

/* Every byte of [off, off + len) of fd is want. */
static void
all(int fd, uint64_t off, size_t len, unsigned char want)
{
    CLEANUP_FREE unsigned char *buf = malloc(len);
    assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
    for (size_t i = 0; i < len; i++)
        if (buf[i] != want)
            fail_msg("byte %zu after %llu is 0x%02x, not 0x%02x", i, (unsigned long long)off,
                     buf[i], want);
}

static void
test_copy_range(void **state)
{
    (void)state;
    /* in: 4 KiB of 0x11, a hole to 1 MiB, 8 KiB of 0x22; 1 MiB + 8 KiB long. */
    int in = file_of("in", 0, 0);
    unsigned char a[4 * K], b[8 * K];
    memset(a, 0x11, sizeof(a));
    memset(b, 0x22, sizeof(b));
    assert_int_equal(pwrite(in, a, sizeof(a), 0), (ssize_t)sizeof(a));
    assert_int_equal(pwrite(in, b, sizeof(b), M), (ssize_t)sizeof(b));
    int out = file_of("out", 0xaa, 4 * M);
    /* 2 MiB from in, past its end, to 1 MiB of out. */
    assert_int_equal(copy_range_sparse(in, 0, out, M, 2 * M), 0);
    all(out, 0, M, 0xaa);
    all(out, M, sizeof(a), 0x11);
    all(out, M + sizeof(a), M - sizeof(a), 0);
    all(out, 2 * M, sizeof(b), 0x22);
    all(out, 2 * M + sizeof(b), M - sizeof(b), 0);
    all(out, 3 * M, M, 0xaa);
    struct stat st;
    assert_int_equal(fstat(out, &st), 0);
    assert_int_equal(st.st_size, 4 * M);
    /* The zeros are holes where the filesystem punches them. */
    off_t data = lseek(out, M + 64 * K, SEEK_DATA);
    assert_true(data == 2 * M || data == M + 64 * K);
    /* Within one file: the 1 MiB at 2 MiB moved down to 0. */
    assert_int_equal(copy_range_sparse(out, 2 * M, out, 0, M), 0);
    all(out, 0, sizeof(b), 0x22);
    all(out, sizeof(b), M - sizeof(b), 0);
    close(in);
    close(out);
}

static void
test_zero_range(void **state)
{
    (void)state;
    int fd = file_of("z", 0x5a, 3 * M);
    assert_int_equal(zero_range(fd, M, M), 0);
    assert_int_equal(zero_range(fd, 0, 0), 0);
    all(fd, 0, M, 0x5a);
    all(fd, M, M, 0);
    all(fd, 2 * M, M, 0x5a);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 3 * M);
    close(fd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_range),
        cmocka_unit_test(test_zero_range),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
