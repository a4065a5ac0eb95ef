/* test_export.c: manifest lines, SHA256SUMS, the OVA's tar format and
 * member order, read back with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/export.h"
#include "appliance/fsutil.h"
#include "unit.h"

/* sha1/sha256/sha512 of "abc" (FIPS 180 examples). */
#define ABC_SHA1 "a9993e364706816aba3e25717850c26c9cd0d89d"
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_SHA512                                                                                 \
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feeb" \
    "bd454d4423643ce80e2a9ac94fa54ca49f"

static void
test_manifest_line(void **state)
{
    (void)state;
    unit_write_file("abc", "abc");
    struct {
        enum digest algo;
        const char *want;
    } cases[] = {
        {DIGEST_SHA256, "SHA256(abc)= " ABC_SHA256 "\n"},
        {DIGEST_SHA1, "SHA1(abc)= " ABC_SHA1 "\n"},
        {DIGEST_SHA512, "SHA512(abc)= " ABC_SHA512 "\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ab_error err = AB_ERROR_INIT;
        char *line = NULL;
        assert_int_equal(export_manifest_line(cases[i].algo, ".", "abc", &line, &err), 0);
        assert_string_equal(line, cases[i].want);
        free(line);
    }
    struct ab_error err = AB_ERROR_INIT;
    char *line = NULL;
    assert_int_equal(export_manifest_line(DIGEST_SHA256, ".", "missing", &line, &err), -1);
    assert_null(line);
    ab_error_release(&err);
}

static void
test_tar_format(void **state)
{
    (void)state;
    uint64_t small[] = {4096, 300 << 20, (UINT64_C(8) << 30) - 1};
    assert_int_equal(export_ova_tar_format(small, 3), ARCHIVE_FORMAT_TAR_USTAR);
    uint64_t big[] = {4096, UINT64_C(8) << 30};
    assert_int_equal(export_ova_tar_format(big, 2), ARCHIVE_FORMAT_TAR_GNUTAR);
    assert_int_equal(export_ova_tar_format(NULL, 0), ARCHIVE_FORMAT_TAR_USTAR);
}

static size_t
count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

static void
test_sums(void **state)
{
    (void)state;
    assert_int_equal(mkdir("sums", 0755), 0);
    assert_int_equal(mkdir("sums/ovf", 0755), 0);
    unit_write_file("sums/b.txt", "abc");
    unit_write_file("sums/ovf/a.txt", "abc");
    unit_write_file("sums/a.txt", "");
    unit_write_file("sums/SHA256SUMS", "stale");
    struct ab_error err = AB_ERROR_INIT;
    struct export_files files = {NULL, 0};
    assert_int_equal(export_files_collect("sums", &files, NULL, &err), 0);
    assert_int_equal(files.n, 3);
    assert_string_equal(files.v[0].path, "a.txt");
    assert_string_equal(files.v[1].path, "b.txt");
    assert_string_equal(files.v[2].path, "ovf/a.txt");
    assert_int_equal(files.v[1].size, 3);
    unit_write_file("sums/report.json", "abc");
    assert_int_equal(export_files_add("sums", "report.json", &files, &err), 0);
    assert_int_equal(export_sums_write("sums", &files, &err), 0);
    char *text = unit_slurp("sums/SHA256SUMS", NULL);
    assert_string_equal(text, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                              "  a.txt\n" ABC_SHA256 "  b.txt\n" ABC_SHA256 "  ovf/a.txt\n" ABC_SHA256
                              "  report.json\n");
    free(text);
    export_files_release(&files);
    assert_int_equal(files.n, 0);
    assert_int_equal(export_files_collect("no-such-folder", &files, NULL, &err), -1);
    ab_error_release(&err);
    export_files_release(&files);
}

/* Files with these names and contents in dir, and its SHA256SUMS as a
 * build writes it. */
static void
sums_folder(const char *dir, const char *const *names)
{
    struct ab_error err = AB_ERROR_INIT;
    struct export_files files = {NULL, 0};
    assert_int_equal(mkdir_p(dir, 0755), 0);
    for (size_t i = 0; names[i]; i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        assert_int_equal(mkdir_p(path, 0755), 0);
        *slash = '/';
        unit_write_file(path, names[i]); /* each its own bytes */
    }
    unit_check_ok(export_files_collect(dir, &files, NULL, &err), &err);
    unit_check_ok(export_sums_write(dir, &files, &err), &err);
    export_files_release(&files);
}

/* A folder of both architectures: one SHA256SUMS holding every line of
 * each build's, byte for byte what one build's writer gives for all those
 * files (the same order: by path, as strcmp sorts). */
static void
test_sums_merge(void **state)
{
    (void)state;
    static const char *const x86[] = {"d-1-x86_64.ova", "INSTALL-kvm-x86_64.md",
                                      "d-1-x86_64-os.qcow2", "ovf/d-1-x86_64.ovf",
                                      "d-1-x86_64.utm/Data/d-1-x86_64-os.qcow2", NULL};
    static const char *const arm[] = {"d-1-aarch64.ova", "INSTALL-kvm-aarch64.md",
                                      "d-1-aarch64-os.qcow2", "ovf/d-1-aarch64.ovf",
                                      "d-1-aarch64-app.qcow2", NULL};
    sums_folder("m/.x86_64", x86);
    sums_folder("m/.aarch64", arm);
    const char *parts[] = {"m/.x86_64", "m/.aarch64"};
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(export_sums_merge("m", parts, 2, &err), &err);

    /* The same files in one folder, summed by one build's writer. */
    const char *all[12];
    size_t n = 0;
    for (size_t i = 0; x86[i]; i++)
        all[n++] = x86[i];
    for (size_t i = 0; arm[i]; i++)
        all[n++] = arm[i];
    all[n] = NULL;
    sums_folder("one", all);
    CLEANUP_FREE char *merged = unit_slurp("m/SHA256SUMS", NULL);
    CLEANUP_FREE char *want = unit_slurp("one/SHA256SUMS", NULL);
    assert_string_equal(merged, want);
    assert_int_equal(count_lines(merged), 10);

    /* Read back: each line's path and digest. */
    struct export_files files = {NULL, 0};
    unit_check_ok(export_sums_read("m", &files, &err), &err);
    assert_int_equal(files.n, 10);
    assert_string_equal(files.v[0].path, "INSTALL-kvm-aarch64.md");
    assert_int_equal(strlen(files.v[0].sha256), 64);
    export_files_release(&files);

    /* A path both list, or a line of another shape, is an error. */
    sums_folder("twice/a", x86);
    sums_folder("twice/b", x86);
    const char *twice[] = {"twice/a", "twice/b"};
    assert_int_equal(export_sums_merge("twice", twice, 2, &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "'INSTALL-kvm-x86_64.md' is listed by two SHA256SUMS files"));
    ab_error_release(&err);
    assert_int_equal(access("twice/SHA256SUMS", F_OK), -1);
    unit_write_file("m/.aarch64/SHA256SUMS", "not a digest  x\n");
    assert_int_equal(export_sums_merge("m", parts, 2, &err), -1);
    CLEANUP_FREE char *bad = unit_error_text(&err);
    assert_non_null(strstr(bad, "'m/.aarch64/SHA256SUMS', line 1: not a line of sha256sum"));
    ab_error_release(&err);
}

#define FAKE_SHA256 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Digests known while the files are written: given (and then taken as
 * they are, never read again), hashed by workers, following a rename;
 * a failed hashing is tried again by the collection, which says why. */
static void
test_digests(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char hex[HASH_HEX_MAX];
    assert_int_equal(mkdir("dg", 0755), 0);
    unit_write_file("dg/given.txt", "abc");
    unit_write_file("dg/hashed.txt", "abc");
    unit_write_file("dg/moving.txt", "abc");
    unit_write_file("dg/unknown.txt", "abc");
    CLEANUP_SHA256_ZEROS struct sha256_zeros *zeros = NULL;
    CLEANUP_EXPORT_DIGESTS struct export_digests *d = NULL;
    assert_int_equal(sha256_zeros_open(NULL, &zeros, &err), 0);
    assert_int_equal(export_digests_new(zeros, &d, &err), 0);
    assert_int_equal(export_digests_set(d, "dg/given.txt", FAKE_SHA256, &err), 0);
    assert_int_equal(export_digests_hash(d, "dg/hashed.txt", &err), 0);
    assert_int_equal(export_digests_hash(d, "dg/moving.txt", &err), 0);
    assert_int_equal(export_digests_rename(d, "dg/moving.txt", "dg/moved.txt", &err), 0);
    assert_int_equal(access("dg/moving.txt", F_OK), -1);
    assert_int_equal(export_digests_hash(d, "dg/gone.txt", &err), 0);
    assert_int_equal(export_digests_get(d, "dg/hashed.txt", hex, &err), 1);
    assert_string_equal(hex, ABC_SHA256);
    assert_int_equal(export_digests_get(d, "dg/unknown.txt", hex, &err), 0);
    assert_int_equal(export_digests_get(d, "dg/gone.txt", hex, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "cannot read 'dg/gone.txt'"));
    ab_error_release(&err);
    /* Appears once its worker failed: the collection hashes it itself. */
    unit_write_file("dg/gone.txt", "");

    struct export_files files = {NULL, 0};
    assert_int_equal(export_files_collect("dg", &files, d, &err), 0);
    assert_int_equal(files.n, 5);
    assert_string_equal(files.v[0].path, "given.txt");
    assert_string_equal(files.v[0].sha256, FAKE_SHA256);
    assert_string_equal(files.v[1].path, "gone.txt");
    assert_string_equal(files.v[1].sha256,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    for (size_t i = 2; i < files.n; i++)
        assert_string_equal(files.v[i].sha256, ABC_SHA256);
    assert_string_equal(files.v[3].path, "moved.txt");
    export_files_release(&files);
    /* No table: every call does nothing. */
    assert_int_equal(export_digests_set(NULL, "x", FAKE_SHA256, &err), 0);
    assert_int_equal(export_digests_hash(NULL, "x", &err), 0);
    assert_int_equal(export_digests_get(NULL, "x", hex, &err), 0);
    assert_int_equal(export_digests_rename(NULL, "dg/given.txt", "dg/given2.txt", &err), 0);
    assert_int_equal(access("dg/given2.txt", F_OK), 0);
    assert_false(ab_error_is_set(&err));
    assert_int_equal(export_digests_rename(NULL, "dg/no-such", "dg/x", &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "cannot move 'dg/no-such' to 'dg/x'"));
    ab_error_release(&err);
}

static const char recipe[] = "recipe: 1\n"
                             "name: t\n"
                             "version: '1'\n"
                             "os: {distro: debian-12}\n"
                             "disks:\n"
                             "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
                             "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n";

static void
test_ova_pack(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = unit_plan(recipe);
    assert_int_equal(mkdir("ova", 0755), 0);
    unit_write_file("ova/t-1-os.vmdk", "os disk");
    unit_write_file("ova/t-1-app.vmdk", "app disk");
    unit_write_file("ova/t-1.ovf", "<Envelope/>");
    unit_write_file("ova/t-1.mf", "SHA256(t-1.ovf)= x\n");
    unit_write_file("ova/stray", "not shipped");
    struct ab_error err = AB_ERROR_INIT;
    char streamed[HASH_HEX_MAX], read_back[HASH_HEX_MAX];
    assert_int_equal(export_ova_pack(plan, "ova", "t.ova", 1700000000, streamed, &err), 0);
    /* Its digest, made as it was written, is the file's. */
    assert_int_equal(digest_file(DIGEST_SHA256, "t.ova", read_back, &err), 0);
    assert_string_equal(streamed, read_back);
    /* Four members of a block and their headers, the two end blocks, and
     * no padding of the last block to 10 KiB. */
    struct stat st;
    assert_int_equal(stat("t.ova", &st), 0);
    assert_int_equal(st.st_size, 4 * 1024 + 1024);

    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    assert_int_equal(archive_read_open_filename(a, "t.ova", 10240), ARCHIVE_OK);
    const char *order[] = {"t-1.ovf", "t-1.mf", "t-1-os.vmdk", "t-1-app.vmdk"};
    const char *data[] = {"<Envelope/>", "SHA256(t-1.ovf)= x\n", "os disk", "app disk"};
    struct archive_entry *e;
    size_t n = 0;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        assert_true(n < 4);
        assert_string_equal(archive_entry_pathname(e), order[n]);
        assert_int_equal(archive_format(a), ARCHIVE_FORMAT_TAR_USTAR);
        assert_int_equal(archive_entry_filetype(e), AE_IFREG);
        /* Reproducible: fixed owner, mode and time. */
        assert_int_equal(archive_entry_mtime(e), 1700000000);
        assert_int_equal(archive_entry_uid(e), 0);
        assert_int_equal(archive_entry_gid(e), 0);
        const char *uname = archive_entry_uname(e), *gname = archive_entry_gname(e);
        assert_true(!uname || !*uname);
        assert_true(!gname || !*gname);
        assert_int_equal(archive_entry_perm(e), 0644);
        char buf[64] = "";
        assert_int_equal(archive_read_data(a, buf, sizeof(buf) - 1), strlen(data[n]));
        assert_string_equal(buf, data[n]);
        n++;
    }
    assert_int_equal(n, 4);
    archive_read_free(a);

    /* Packed again, the members' own times and modes changed: the same bytes. */
    struct timespec old[2] = {{.tv_sec = 1}, {.tv_sec = 1}};
    assert_int_equal(utimensat(AT_FDCWD, "ova/t-1.ovf", old, 0), 0);
    assert_int_equal(chmod("ova/t-1.mf", 0600), 0);
    assert_int_equal(export_ova_pack(plan, "ova", "again.ova", 1700000000, NULL, &err), 0);
    assert_int_equal(system("cmp -s t.ova again.ova"), 0);

    /* A member missing: an error, and no OVA left behind. */
    assert_int_equal(unlink("ova/t-1-app.vmdk"), 0);
    assert_int_equal(export_ova_pack(plan, "ova", "u.ova", 1700000000, NULL, &err), -1);
    assert_int_equal(access("u.ova", F_OK), -1);
    assert_int_equal(access("u.ova.tmp", F_OK), -1);
    ab_error_release(&err);
}

static void
test_disk_base(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = unit_plan(recipe);
    CLEANUP_FREE char *os = export_disk_base(plan, PLAN_DISK_OS);
    CLEANUP_FREE char *app = export_disk_base(plan, PLAN_DISK_APP);
    assert_string_equal(os, "t-1-os");
    assert_string_equal(app, "t-1-app");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_line), cmocka_unit_test(test_tar_format),
        cmocka_unit_test(test_sums),          cmocka_unit_test(test_sums_merge),
        cmocka_unit_test(test_digests),
        cmocka_unit_test(test_ova_pack),      cmocka_unit_test(test_disk_base),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
