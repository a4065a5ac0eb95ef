/* test_xfs_host.c: the protofile of a small folder, word for word; the
 * folders a protofile cannot carry refused with their reason; the sparse
 * copy. mkfs.xfs itself is judged by tests/integration/xfs-host.sh. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/xfs_host.h"

static char *
path_of(const char *dir, const char *name)
{
    char *p = NULL;
    assert_true(asprintf(&p, "%s/%s/%s", unit_tmpdir, dir, name) > 0);
    return p;
}

static void
put(const char *dir, const char *name, const char *text, mode_t mode)
{
    CLEANUP_FREE char *p = path_of(dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(p, mode), 0);
}

static void
folder(const char *dir, const char *name, mode_t mode)
{
    CLEANUP_FREE char *p = path_of(dir, name);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(chmod(p, mode), 0);
}

/* A fresh folder under the test's temporary folder. */
static void
fresh(const char *dir)
{
    CLEANUP_FREE char *p = NULL;
    assert_true(asprintf(&p, "%s/%s", unit_tmpdir, dir) > 0);
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(chmod(p, 0755), 0);
}

static void
proto_of(const char *dir, struct xfs_proto *p)
{
    CLEANUP_FREE char *abs = NULL;
    struct ab_error err = AB_ERROR_INIT;
    assert_true(asprintf(&abs, "%s/%s", unit_tmpdir, dir) > 0);
    assert_int_equal(xfs_host_proto(abs, p, &err), 0);
    assert_int_equal(err.n_diags, 0);
    ab_error_release(&err);
}

/* A file, a folder with a file, a symbolic link, a fifo, a setuid and a
 * setgid file and a sticky folder: every line as mkfs.xfs(8) reads it, in
 * name order, and the sticky bit in the xfs_db commands. */
static void
test_proto_tree(void **state)
{
    (void)state;
    fresh("t");
    put("t", "file", "hello\n", 0644);
    folder("t", "dir", 0750);
    put("t", "dir/inner", "x", 0600);
    CLEANUP_FREE char *l = path_of("t", "link"), *p = path_of("t", "fifo");
    assert_int_equal(symlink("dir/inner", l), 0);
    assert_int_equal(mkfifo(p, 0600), 0);
    assert_int_equal(chmod(p, 0620), 0);
    put("t", "suid", "#!/bin/sh\n", 04755);
    put("t", "sgid", "", 02711);
    folder("t", "tmp", 01777);
    CLEANUP_FREE char *f = path_of("t", "file");
    struct timespec times[2] = {{1700000000, 5}, {0, 0}};
    assert_int_equal(utimensat(AT_FDCWD, f, times, 0), 0);

    struct xfs_proto x = XFS_PROTO_INIT;
    proto_of("t", &x);
    assert_null(x.refuse);
    unsigned u = (unsigned)getuid(), g = (unsigned)getgid();
    CLEANUP_FREE char *want = NULL;
    assert_true(asprintf(&want,
                         "appliance\n0 0\n"
                         "d--755 %u %u\n"
                         "dir d--750 %u %u\n"
                         "inner ---600 %u %u %s/t/dir/inner\n"
                         "$\n"
                         "fifo p--620 %u %u\n"
                         "file ---644 %u %u %s/t/file\n"
                         "link l--777 %u %u dir/inner\n"
                         "sgid --g711 %u %u %s/t/sgid\n"
                         "suid -u-755 %u %u %s/t/suid\n"
                         "tmp d--777 %u %u\n"
                         "$\n"
                         "$\n"
                         "$\n",
                         u, g, u, g, u, g, unit_tmpdir, u, g, u, g, unit_tmpdir, u, g, u, g,
                         unit_tmpdir, u, g, unit_tmpdir, u, g) > 0);
    assert_string_equal(x.text, want);
    /* Times in xfs's bigtime encoding (ns since 1901-12-13 20:45:52): the
     * file's mtime as atime, mtime, ctime and crtime. */
    assert_non_null(strstr(x.fix, "path /file\n"
                                  "write core.atime.sec 2147483648000000000\n"
                                  "write core.mtime.sec 2147483648000000000\n"
                                  "write core.ctime.sec 2147483648000000000\n"
                                  "write v3.crtime.sec 2147483648000000000\n"
                                  "path /link\n"));
    /* The sticky bit, last: tmp is the last entry. */
    const char *tmp = strstr(x.fix, "path /tmp\n");
    assert_non_null(tmp);
    assert_non_null(strstr(tmp, "write core.mode 041777\n"));
    assert_string_equal(strstr(x.fix, "write core.mode"), "write core.mode 041777\n");
    xfs_host_proto_release(&x);
}

/* An empty folder: its root's times only. */
static void
test_proto_empty(void **state)
{
    (void)state;
    fresh("e");
    struct xfs_proto x = XFS_PROTO_INIT;
    proto_of("e", &x);
    assert_null(x.refuse);
    assert_non_null(x.fix);
    const char *root = "path /\nwrite core.atime.sec ";
    assert_int_equal(strncmp(x.fix, root, strlen(root)), 0);
    assert_null(strstr(x.fix, "core.mode"));
    assert_non_null(strstr(x.text, "\nd--755 "));
    xfs_host_proto_release(&x);
}

static void
assert_refused(const char *dir, const char *reason)
{
    struct xfs_proto x = XFS_PROTO_INIT;
    proto_of(dir, &x);
    assert_non_null(x.refuse);
    if (!strstr(x.refuse, reason))
        fail_msg("refused for '%s', not '%s'", x.refuse, reason);
    xfs_host_proto_release(&x);
}

static void
test_refuse_space(void **state)
{
    (void)state;
    fresh("s");
    folder("s", "a", 0755);
    put("s", "a/with space", "", 0644);
    assert_refused("s", "name 'a/with space'");
}

static void
test_refuse_odd_names(void **state)
{
    (void)state;
    fresh("o1");
    put("o1", "tab\there", "", 0644);
    assert_refused("o1", "name 'tab\there'");
    fresh("o2");
    put("o2", "$", "", 0644);
    assert_refused("o2", "name '$'");
    fresh("o3");
    put("o3", ":comment", "", 0644);
    assert_refused("o3", "name ':comment'");
    fresh("o4");
    CLEANUP_FREE char *l = path_of("o4", "link");
    assert_int_equal(symlink("a target", l), 0);
    assert_refused("o4", "symbolic link 'link' to 'a target'");
}

static void
test_refuse_hard_link(void **state)
{
    (void)state;
    fresh("h");
    put("h", "one", "same", 0644);
    CLEANUP_FREE char *a = path_of("h", "one"), *b = path_of("h", "two");
    assert_int_equal(link(a, b), 0);
    assert_refused("h", "hard link 'one' (2 links)");
}

static void
test_refuse_xattr(void **state)
{
    (void)state;
    fresh("x");
    put("x", "labelled", "", 0644);
    CLEANUP_FREE char *p = path_of("x", "labelled");
    if (setxattr(p, "user.test", "1", 1, 0) < 0) {
        assert_true(errno == ENOTSUP || errno == EPERM);
        skip();
    }
    assert_refused("x", "extended attributes on 'labelled'");
}

/* The refusal names the first entry in name order, and stops the walk. */
static void
test_refuse_first(void **state)
{
    (void)state;
    fresh("f");
    put("f", "b c", "", 0644);
    put("f", "a b", "", 0644);
    assert_refused("f", "name 'a b'");
}

/* Data at the start and the end, a hole and a zero block between: the
 * copy lands at the offset, and leaves the zero block unwritten. */
static void
test_copy_sparse(void **state)
{
    (void)state;
    CLEANUP_FREE char *src = NULL, *dst = NULL;
    assert_true(asprintf(&src, "%s/src", unit_tmpdir) > 0);
    assert_true(asprintf(&dst, "%s/dst", unit_tmpdir) > 0);
    char block[65536];
    CLEANUP_CLOSE int s = open(src, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CLEANUP_CLOSE int d = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(s >= 0 && d >= 0);
    assert_int_equal(ftruncate(s, 4 << 20), 0);
    assert_int_equal(ftruncate(d, 8 << 20), 0);
    memset(block, 'A', sizeof(block));
    assert_int_equal(pwrite(s, block, 100, 0), 100);
    memset(block, 0, sizeof(block));
    assert_int_equal(pwrite(s, block, sizeof(block), 1 << 20), (ssize_t)sizeof(block));
    memset(block, 'Z', sizeof(block));
    assert_int_equal(pwrite(s, block, 10, (4 << 20) - 10), 10);

    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(xfs_host_copy(src, dst, 1 << 20, &err), 0);
    char got[100];
    assert_int_equal(pread(d, got, 100, 1 << 20), 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(got[i], 'A');
    assert_int_equal(pread(d, got, 10, (5 << 20) - 10), 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(got[i], 'Z');
    struct stat st;
    assert_int_equal(fstat(d, &st), 0);
    assert_int_equal(st.st_size, 8 << 20);
    /* The first and last blocks only: far less than the source's 4 MiB. */
    assert_true((uint64_t)st.st_blocks * 512 < (1 << 20));
    ab_error_release(&err);
}

static void
test_copy_error(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(xfs_host_copy("/nonexistent/src", "/nonexistent/dst", 0, &err), -1);
    assert_int_equal(err.n_diags, 1);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_tree),       cmocka_unit_test(test_proto_empty),
        cmocka_unit_test(test_refuse_space),     cmocka_unit_test(test_refuse_odd_names),
        cmocka_unit_test(test_refuse_hard_link), cmocka_unit_test(test_refuse_xattr),
        cmocka_unit_test(test_refuse_first),     cmocka_unit_test(test_copy_sparse),
        cmocka_unit_test(test_copy_error),
    };
    umask(022);
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
