/* test_hash.c: message digests against published test vectors. */
#include "unit.h"

#include "appliance/cleanup.h"
#include "appliance/hash.h"

/* FIPS 180-2 examples for "abc", and the digests of the empty string. */
#define SHA1_ABC "a9993e364706816aba3e25717850c26c9cd0d89d"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA512_ABC                                                                                 \
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"                             \
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* FIPS 180-2: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq". */
#define SHA256_448 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

static void
digest_of(enum digest algo, const void *data, size_t len, char *hex)
{
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(algo);
    assert_non_null(d);
    digest_update(d, data, len);
    digest_hex(d, hex);
}

static void
test_vectors(void **state)
{
    (void)state;
    char hex[HASH_HEX_MAX];
    digest_of(DIGEST_SHA1, "abc", 3, hex);
    assert_string_equal(hex, SHA1_ABC);
    digest_of(DIGEST_SHA256, "abc", 3, hex);
    assert_string_equal(hex, SHA256_ABC);
    digest_of(DIGEST_SHA512, "abc", 3, hex);
    assert_string_equal(hex, SHA512_ABC);
    digest_of(DIGEST_SHA256, "", 0, hex);
    assert_string_equal(hex, SHA256_EMPTY);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    digest_of(DIGEST_SHA256, m, strlen(m), hex);
    assert_string_equal(hex, SHA256_448);
}

/* Updates in pieces give the digest of the whole. */
static void
test_incremental(void **state)
{
    (void)state;
    char hex[HASH_HEX_MAX];
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA512);
    assert_non_null(d);
    digest_update(d, "a", 1);
    digest_update(d, "", 0);
    digest_update(d, "bc", 2);
    digest_hex(d, hex);
    assert_string_equal(hex, SHA512_ABC);
    assert_int_equal(strlen(hex), 128);
}

/* digest_str keeps the string boundaries; digest_u64 is little-endian. */
static void
test_str_and_u64(void **state)
{
    (void)state;
    char h1[HASH_HEX_MAX], h2[HASH_HEX_MAX], h3[HASH_HEX_MAX];
    CLEANUP_DIGEST struct digest_ctx *a = digest_new(DIGEST_SHA256);
    CLEANUP_DIGEST struct digest_ctx *b = digest_new(DIGEST_SHA256);
    CLEANUP_DIGEST struct digest_ctx *c = digest_new(DIGEST_SHA256);
    assert_true(a && b && c);
    digest_str(a, "ab");
    digest_str(a, "c");
    digest_str(b, "a");
    digest_str(b, "bc");
    digest_update(c, "ab\0c\0", 5);
    digest_hex(a, h1);
    digest_hex(b, h2);
    digest_hex(c, h3);
    assert_string_not_equal(h1, h2);
    assert_string_equal(h1, h3);

    CLEANUP_DIGEST struct digest_ctx *u = digest_new(DIGEST_SHA256);
    assert_non_null(u);
    digest_u64(u, UINT64_C(0x0102030405060708));
    digest_hex(u, h1);
    digest_of(DIGEST_SHA256, "\x08\x07\x06\x05\x04\x03\x02\x01", 8, h2);
    assert_string_equal(h1, h2);

    /* NULL is fed as the empty string. */
    CLEANUP_DIGEST struct digest_ctx *n = digest_new(DIGEST_SHA256);
    assert_non_null(n);
    digest_str(n, NULL);
    digest_hex(n, h1);
    digest_of(DIGEST_SHA256, "", 1, h2);
    assert_string_equal(h1, h2);
}

static void
test_digest_file(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char hex[HASH_HEX_MAX];

    unit_write_file("abc.txt", "abc");
    assert_int_equal(digest_file(DIGEST_SHA1, "abc.txt", hex, &err), 0);
    assert_string_equal(hex, SHA1_ABC);
    assert_int_equal(digest_file(DIGEST_SHA256, "abc.txt", hex, &err), 0);
    assert_string_equal(hex, SHA256_ABC);
    assert_int_equal(digest_file(DIGEST_SHA512, "abc.txt", hex, &err), 0);
    assert_string_equal(hex, SHA512_ABC);

    unit_write_file("empty", "");
    assert_int_equal(digest_file(DIGEST_SHA256, "empty", hex, &err), 0);
    assert_string_equal(hex, SHA256_EMPTY);

    /* Larger than one read: the same as the digest of the bytes. */
    size_t len = (3u << 20) + 123;
    CLEANUP_FREE unsigned char *buf = malloc(len);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(i * 7 + (i >> 12));
    FILE *f = fopen("big", "w");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    char want[HASH_HEX_MAX];
    digest_of(DIGEST_SHA256, buf, len, want);
    assert_int_equal(digest_file(DIGEST_SHA256, "big", hex, &err), 0);
    assert_string_equal(hex, want);
    assert_false(ab_error_is_set(&err));

    assert_int_equal(digest_file(DIGEST_SHA256, "no-such-file", hex, &err), -1);
    assert_int_equal(err.n_diags, 1);
    assert_string_equal(err.diags[0].msg, "cannot read 'no-such-file': No such file or directory");
    ab_error_release(&err);

    assert_int_equal(digest_file(DIGEST_SHA256, ".", hex, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "cannot read '.'"));
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_str_and_u64),
        cmocka_unit_test(test_digest_file),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
