/* test_sparse_sha256.c: the SHA-256 of sparse files, against OpenSSL's of
 * the same bytes, and the table of remembered runs of zeros. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/hash.h"
#include "appliance/sparse_sha256.h"

#define MIB (1u << 20)

/* A sparse file and the same bytes in memory: data, a 3 MiB hole, data
 * holding an aligned MiB of zeros written out, a hole, a short tail (its
 * size no multiple of 64). */
static unsigned char *
make_sparse(const char *path, size_t *len)
{
    size_t size = 12 * MIB + 100;
    unsigned char *buf = calloc(1, size);
    assert_non_null(buf);
    for (size_t i = 0; i < 5000; i++)
        buf[i] = (unsigned char)(i * 13 + 1);
    for (size_t i = 4 * MIB; i < 7 * MIB; i++)
        buf[i] = i >= 5 * MIB && i < 6 * MIB ? 0 : (unsigned char)(i >> 3 | 1);
    for (size_t i = size - 100; i < size; i++)
        buf[i] = 0x5a;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, 5000, 0), 5000);
    assert_int_equal(pwrite(fd, buf + 4 * MIB, 3 * MIB, 4 * MIB), 3 * MIB);
    assert_int_equal(pwrite(fd, buf + size - 100, 100, (off_t)(size - 100)), 100);
    assert_int_equal(close(fd), 0);
    *len = size;
    return buf;
}

static void
sha256_of(const void *data, size_t len, char *hex)
{
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    assert_non_null(d);
    digest_update(d, data, len);
    digest_hex(d, hex);
}

/* Without a table, and with one, the digest of the bytes; the file is
 * read through its holes. */
static void
test_sparse_digest(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char want[HASH_HEX_MAX], hex[HASH_HEX_MAX];
    size_t len;
    CLEANUP_FREE unsigned char *buf = make_sparse("sparse.img", &len);
    sha256_of(buf, len, want);
    assert_int_equal(sparse_sha256_file("sparse.img", NULL, NULL, hex, &err), 0);
    assert_string_equal(hex, want);

    CLEANUP_SHA256_ZEROS struct sha256_zeros *z = NULL;
    struct sha256_zeros_stats st;
    assert_int_equal(sha256_zeros_open(NULL, &z, &err), 0);
    assert_int_equal(sparse_sha256_file("sparse.img", z, NULL, hex, &err), 0);
    assert_string_equal(hex, want);
    sha256_zeros_stats(z, &st);
    /* The runs of at least 1 MiB: the first hole, the MiB of zeros written
     * out, the hole before the tail. */
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.learnt, 3);
    assert_int_equal(st.looked_up, 0);
    assert_int_equal(st.learnt_bytes, 9 * MIB); /* whole MiBs, at multiples of a MiB */
    /* Again: every run looked up, nothing learnt, the same digest. */
    assert_int_equal(sparse_sha256_file("sparse.img", z, NULL, hex, &err), 0);
    assert_string_equal(hex, want);
    sha256_zeros_stats(z, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.learnt, 3);
    assert_int_equal(st.looked_up, 3);
    assert_int_equal(st.looked_up_bytes, st.learnt_bytes);

    /* The same bytes written out, no hole: the same runs, all looked up. */
    FILE *f = fopen("dense.img", "w");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(sparse_sha256_file("dense.img", z, NULL, hex, &err), 0);
    assert_string_equal(hex, want);
    sha256_zeros_stats(z, &st);
    assert_int_equal(st.learnt, 3);
    assert_int_equal(st.looked_up, 6);

    /* The small files and the empty one too. */
    unit_write_file("abc.txt", "abc");
    assert_int_equal(sparse_sha256_file("abc.txt", z, NULL, hex, &err), 0);
    sha256_of("abc", 3, want);
    assert_string_equal(hex, want);
    unit_write_file("empty", "");
    assert_int_equal(sparse_sha256_file("empty", z, NULL, hex, &err), 0);
    sha256_of("", 0, want);
    assert_string_equal(hex, want);
    assert_false(ab_error_is_set(&err));

    assert_int_equal(sparse_sha256_file("no-such-file", z, NULL, hex, &err), -1);
    assert_string_equal(err.diags[0].msg, "cannot read 'no-such-file': No such file or directory");
    ab_error_release(&err);
}

/* The table kept in a file is read back and used: a run's state changed
 * in the file changes the digest (so the lookup is what hashed the run),
 * and lines that do not parse are dropped. */
static void
test_zeros_file(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char want[HASH_HEX_MAX], hex[HASH_HEX_MAX];
    size_t len;
    struct sha256_zeros_stats st;
    CLEANUP_FREE unsigned char *buf = make_sparse("kept.img", &len);
    sha256_of(buf, len, want);

    struct sha256_zeros *z = NULL;
    assert_int_equal(sha256_zeros_open("zeros", &z, &err), 0);
    assert_int_equal(sha256_zeros_save(z, &err), 0); /* nothing learnt: nothing written */
    assert_int_equal(access("zeros", F_OK), -1);
    assert_int_equal(sparse_sha256_file("kept.img", z, NULL, hex, &err), 0);
    assert_int_equal(sha256_zeros_save(z, &err), 0);
    sha256_zeros_free(z);

    assert_int_equal(sha256_zeros_open("zeros", &z, &err), 0);
    sha256_zeros_stats(z, &st);
    assert_int_equal(st.entries, 3);
    assert_int_equal(st.learnt, 0);
    assert_int_equal(sparse_sha256_file("kept.img", z, NULL, hex, &err), 0);
    assert_string_equal(hex, want);
    sha256_zeros_stats(z, &st);
    assert_int_equal(st.learnt, 0);
    assert_int_equal(st.looked_up, 3);
    sha256_zeros_free(z);

    /* Each line's last digit changed: every run's state after it is wrong. */
    CLEANUP_FREE char *text = NULL;
    size_t text_len = 0;
    FILE *f = fopen("zeros", "r");
    assert_non_null(f);
    assert_true(getdelim(&text, &text_len, '\0', f) > 0);
    fclose(f);
    for (char *nl = strchr(text, '\n'); nl; nl = strchr(nl + 1, '\n'))
        if (nl != strchr(text, '\n'))
            nl[-1] = nl[-1] == '0' ? '1' : '0';
    const char *run = strchr(text, '\n') + 1;
    char *bad = NULL;
    assert_true(asprintf(&bad, "%snot a run\n%.64s 12 %.64s\n%.20s", text, run, run, run) > 0);
    unit_write_file("zeros", bad);
    free(bad);
    assert_int_equal(sha256_zeros_open("zeros", &z, &err), 0);
    sha256_zeros_stats(z, &st);
    assert_int_equal(st.entries, 3); /* the garbage, a run too short, a cut line: dropped */
    assert_int_equal(sparse_sha256_file("kept.img", z, NULL, hex, &err), 0);
    assert_string_not_equal(hex, want);
    sha256_zeros_free(z);

    /* Another format: started anew. */
    unit_write_file("zeros", "appliance-sha256-zeros 999\n");
    assert_int_equal(sha256_zeros_open("zeros", &z, &err), 0);
    sha256_zeros_stats(z, &st);
    assert_int_equal(st.entries, 0);
    assert_int_equal(sparse_sha256_file("kept.img", z, NULL, hex, &err), 0);
    assert_string_equal(hex, want);
    sha256_zeros_free(z);
    assert_false(ab_error_is_set(&err));
}

/* A stop requested: EINTR, no digest. */
static void
test_stop(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char hex[HASH_HEX_MAX];
    size_t len;
    CLEANUP_FREE unsigned char *buf = make_sparse("stop.img", &len);
    volatile sig_atomic_t stop = 1;
    assert_int_equal(sparse_sha256_file("stop.img", NULL, &stop, hex, &err), -1);
    assert_int_equal(err.errnum, EINTR);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sparse_digest),
        cmocka_unit_test(test_zeros_file),
        cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
