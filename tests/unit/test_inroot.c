/* test_inroot.c: paths resolved inside a hostile tree, and rm_rf bounded
 * by its scratch folder and its mount.
 *
 * Each case has a tree ("t") and, beside it, a decoy folder ("decoy"),
 * which every link of the tree points at as the host would resolve it
 * (t/etc/../../decoy); every case asserts the decoy unchanged. Inside the
 * tree, the same links end at the tree's own /decoy. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"

/* Every name, type, size, link target and content under decoy. */
static char *
decoy_state(void)
{
    CLEANUP_FREE char *out = NULL;
    FILE *p = popen("cd decoy && find . -printf '%p %y %m %s %l\\n' | sort && "
                    "find . -type f -print0 | sort -z | xargs -0 -r sha256sum",
                    "r");
    assert_non_null(p);
    size_t cap = 0;
    ssize_t n = getdelim(&out, &cap, '\0', p);
    assert_int_equal(pclose(p), 0);
    assert_true(n > 0);
    char *r = out;
    out = NULL;
    return r;
}

static void
mkdirs(const char *path)
{
    CLEANUP_FREE char *cmd = NULL;
    assert_true(asprintf(&cmd, "mkdir -p '%s'", path) > 0);
    assert_int_equal(system(cmd), 0);
}

/* A fresh tree t/ with etc/ and usr/, and the decoy beside it. */
static char *
fresh(void)
{
    assert_int_equal(system("rm -rf t decoy src"), 0);
    mkdirs("t/etc");
    mkdirs("t/usr");
    mkdirs("decoy/systemd/system");
    mkdirs("decoy/ssh");
    mkdirs("decoy/app");
    unit_write_file("decoy/systemd/system/host.service", "the host's\n");
    unit_write_file("decoy/ssh/ssh_host_rsa_key", "the host's key\n");
    unit_write_file("decoy/app/keep", "the host's app\n");
    unit_write_file("decoy/passwd", "root:x:0:0\n");
    return decoy_state();
}

static int
root_fd(void)
{
    struct ab_error err = AB_ERROR_INIT;
    int fd = inroot_open_root("t", &err);
    assert_true(fd >= 0);
    return fd;
}

static void
assert_file(const char *path, const char *want)
{
    CLEANUP_FREE char *got = read_text_file(path);
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void
test_absolute_link(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh(), *abs = realpath("decoy", NULL), *inside = NULL;
    CLEANUP_FREE char *target = NULL;
    assert_true(asprintf(&target, "%s/systemd", abs) > 0);
    assert_int_equal(symlink(target, "t/etc/systemd"), 0);
    CLEANUP_CLOSE int root = root_fd();
    struct ab_error dangling = AB_ERROR_INIT;
    /* Its target is not in the tree: an error, as mkdir -p in a chroot. */
    assert_int_equal(inroot_write(root, "/etc/systemd/system/u", "u", 1, 0644, &dangling), -1);
    CLEANUP_FREE char *msg = unit_error_text(&dangling);
    assert_non_null(strstr(msg, "cannot create '/etc/systemd' in the tree: it is a symbolic link"));
    assert_non_null(strstr(msg, "which does not exist in the tree"));
    ab_error_release(&dangling);
    assert_true(asprintf(&inside, "t%s/systemd/system", abs) > 0);
    mkdirs(inside);
    free(inside);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(inroot_write(root, "/etc/systemd/system/unit.service", "u\n", 2, 0644, &err),
                     0);
    /* The link's target, read in the tree: t/<absolute path of decoy>. */
    assert_true(asprintf(&inside, "t%s/systemd/system/unit.service", abs) > 0);
    assert_file(inside, "u\n");
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

static void
test_relative_dotdot_link(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh();
    /* On the host t/usr/../../decoy is the decoy; in the tree, /decoy. */
    assert_int_equal(symlink("../../decoy/libexec", "t/usr/libexec"), 0);
    assert_int_equal(symlink("../../../../../../../../decoy/systemd", "t/etc/systemd"), 0);
    mkdirs("t/decoy/libexec");
    mkdirs("t/decoy/systemd/system");
    CLEANUP_CLOSE int root = root_fd();
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(
        inroot_write(root, "/usr/libexec/appliance/report", "#!/bin/sh\n", 10, 0755, &err), 0);
    assert_int_equal(
        inroot_write(root, "/etc/systemd/system/host.service", "mine\n", 5, 0644, &err), 0);
    assert_file("t/decoy/libexec/appliance/report", "#!/bin/sh\n");
    assert_file("t/decoy/systemd/system/host.service", "mine\n");
    struct stat st;
    assert_int_equal(stat("t/decoy/libexec/appliance/report", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

static void
test_chain_of_links(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh();
    mkdirs("t/opt");
    assert_int_equal(symlink("../opt/one", "t/usr/libexec"), 0);
    assert_int_equal(symlink("two", "t/opt/one"), 0);
    assert_int_equal(symlink("/../../decoy/systemd", "t/opt/two"), 0);
    mkdirs("t/decoy/systemd");
    CLEANUP_CLOSE int root = root_fd();
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(inroot_write(root, "/usr/libexec/x", "x", 1, 0644, &err), 0);
    assert_file("t/decoy/systemd/x", "x");
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

static void
test_dotdot_at_root(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh();
    CLEANUP_CLOSE int root = root_fd();
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(inroot_write(root, "/../../decoy/passwd", "evil\n", 5, 0644, &err), 0);
    assert_int_equal(inroot_write(root, "../etc/../../x", "x", 1, 0644, &err), 0);
    assert_file("t/decoy/passwd", "evil\n");
    assert_file("t/x", "x");
    assert_int_equal(inroot_mkdir_p(root, "/../..", 0755, &err), 0);
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

static void
test_loop(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh();
    assert_int_equal(symlink("b", "t/etc/a"), 0);
    assert_int_equal(symlink("a", "t/etc/b"), 0);
    CLEANUP_CLOSE int root = root_fd();
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(inroot_write(root, "/etc/a/file", "x", 1, 0644, &err), -1);
    assert_int_equal(err.errnum, ELOOP);
    CLEANUP_FREE char *text = unit_error_text(&err);
    assert_non_null(
        strstr(text, "'/etc/a' in the tree: too many levels of symbolic links (a loop?)"));
    ab_error_release(&err);
    assert_int_equal(inroot_mkdir_p(root, "/etc/b/d", 0755, &err), -1);
    assert_int_equal(err.errnum, ELOOP);
    ab_error_release(&err);
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

/* A link as the last component of a file written is replaced, never
 * followed: the file is written in its place, the target untouched. */
static void
test_last_link_replaced(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh();
    assert_int_equal(symlink("../../decoy/passwd", "t/etc/passwd"), 0);
    assert_int_equal(symlink("../../decoy/nothing", "t/etc/dangling"), 0);
    CLEANUP_CLOSE int root = root_fd();
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(inroot_write(root, "/etc/passwd", "mine\n", 5, 0644, &err), 0);
    assert_int_equal(inroot_write(root, "/etc/dangling", "d\n", 2, 0600, &err), 0);
    assert_int_equal(write_file("t", "/etc/passwd", "again\n", 0644, &err), 0);
    assert_int_equal(inroot_symlink(root, "/etc/machine-id", "/etc/dangling", &err), 0);
    struct stat st;
    assert_int_equal(lstat("t/etc/passwd", &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_file("t/etc/passwd", "again\n");
    char target[64] = "";
    assert_true(readlink("t/etc/dangling", target, sizeof(target) - 1) > 0);
    assert_string_equal(target, "/etc/machine-id");
    /* A folder there is an error, not replaced. */
    assert_int_equal(inroot_write(root, "/etc", "x", 1, 0644, &err), -1);
    ab_error_release(&err);
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

static void
test_mkdir_through_link(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh();
    assert_int_equal(symlink("../../decoy/systemd", "t/etc/systemd"), 0);
    mkdirs("t/decoy/systemd");
    CLEANUP_CLOSE int root = root_fd();
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(inroot_mkdir_p(root, "/etc/systemd/system/x.d", 0700, &err), 0);
    struct stat st;
    assert_int_equal(stat("t/decoy/systemd/system/x.d", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(stat("t/decoy/systemd/system", &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    /* Existing folders are fine, a file on the way is not. */
    assert_int_equal(inroot_mkdir_p(root, "/etc/systemd/system/x.d", 0700, &err), 0);
    unit_write_file("t/etc/file", "");
    assert_int_equal(inroot_mkdir_p(root, "/etc/file/sub", 0755, &err), -1);
    ab_error_release(&err);
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

static void
test_glob_removal_through_link(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh();
    assert_int_equal(symlink("../../decoy/ssh", "t/etc/ssh"), 0);
    mkdirs("t/decoy/ssh");
    unit_write_file("t/decoy/ssh/ssh_host_ed25519_key", "tree's key\n");
    unit_write_file("t/decoy/ssh/sshd_config", "kept\n");
    unit_write_file("t/decoy/ssh/.ssh_host_hidden", "dot files match only explicitly\n");
    /* A folder that matches, holding a link to the decoy: the link goes,
     * never what it points at. */
    mkdirs("t/decoy/ssh/ssh_host_dir");
    assert_int_equal(symlink("../../../../decoy", "t/decoy/ssh/ssh_host_dir/up"), 0);
    mkdirs("t/var/log");
    assert_int_equal(symlink("../../../decoy/app", "t/var/log/journal"), 0);
    CLEANUP_CLOSE int root = root_fd();
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(inroot_remove_glob(root, "/etc/ssh/ssh_host_*", &err), 0);
    assert_int_equal(inroot_remove_glob(root, "/var/log/journal/*", &err), 0);
    assert_int_equal(inroot_remove_glob(root, "/var/lib/absent/*", &err), 0);
    assert_int_equal(inroot_remove_glob(root, "/var/log/journal", &err), 0);
    struct stat st;
    assert_int_equal(lstat("t/decoy/ssh/ssh_host_ed25519_key", &st), -1);
    assert_int_equal(lstat("t/decoy/ssh/ssh_host_dir", &st), -1);
    assert_int_equal(lstat("t/decoy/ssh/sshd_config", &st), 0);
    assert_int_equal(lstat("t/decoy/ssh/.ssh_host_hidden", &st), 0);
    assert_int_equal(lstat("t/var/log/journal", &st), -1);
    assert_int_equal(inroot_remove_glob(root, "/etc/*/x", &err), -1);
    ab_error_release(&err);
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

static void
test_copy_into_linked_dir(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh();
    mkdirs("t/opt");
    assert_int_equal(symlink("../../decoy/app", "t/opt/app"), 0);
    mkdirs("t/decoy/app/sub");
    mkdirs("t/decoy/app");
    /* Below the destination, links are replaced, never followed. */
    assert_int_equal(symlink("../../../../decoy/app", "t/decoy/app/sub/deeper"), 0);
    assert_int_equal(symlink("../../../../decoy/app/keep", "t/decoy/app/keep"), 0);
    mkdirs("src/sub/deeper");
    unit_write_file("src/keep", "copied\n");
    unit_write_file("src/sub/deeper/file", "deep\n");
    assert_int_equal(chmod("src/keep", 0640), 0);
    assert_int_equal(symlink("/etc/hostname", "src/link"), 0);
    assert_int_equal(mkfifo("src/fifo", 0600), 0);
    CLEANUP_CLOSE int root = root_fd();
    CLEANUP_CLOSE int src = open("src", O_RDONLY | O_DIRECTORY);
    CLEANUP_CLOSE int file = open("src/keep", O_RDONLY);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(inroot_copy(src, root, "/opt/app", &err), 0);
    assert_int_equal(inroot_copy(file, root, "/etc/motd", &err), 0);
    assert_file("t/decoy/app/keep", "copied\n");
    assert_file("t/decoy/app/sub/deeper/file", "deep\n");
    assert_file("t/etc/motd", "copied\n");
    struct stat st;
    assert_int_equal(lstat("t/decoy/app/keep", &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(lstat("t/decoy/app/sub/deeper", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(lstat("t/decoy/app/fifo", &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    char target[64] = "";
    assert_true(readlink("t/decoy/app/link", target, sizeof(target) - 1) > 0);
    assert_string_equal(target, "/etc/hostname");
    /* Tree to tree, then out of the tree: read through the tree too. */
    assert_int_equal(symlink("../../decoy/app", "t/usr/lib"), 0);
    CLEANUP_CLOSE int from = inroot_open(root, "/usr/lib/sub", O_RDONLY | O_DIRECTORY, 0, &err);
    assert_true(from >= 0);
    assert_int_equal(inroot_copy(from, root, "/boot/grub/sub", &err), 0);
    assert_file("t/boot/grub/sub/deeper/file", "deep\n");
    assert_int_equal(inroot_copy_out(root, "/opt/app/keep", "out", &err), 0);
    assert_file("out", "copied\n");
    assert_false(ab_error_is_set(&err));
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

static void
test_api_dirs(void **state)
{
    (void)state;
    CLEANUP_FREE char *before = fresh();
    CLEANUP_CLOSE int root = root_fd();
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(inroot_api_dirs(root, &err), 0);
    struct stat st;
    assert_int_equal(lstat("t/proc", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(rmdir("t/dev"), 0);
    assert_int_equal(symlink("../decoy", "t/dev"), 0);
    assert_int_equal(inroot_api_dirs(root, &err), -1);
    CLEANUP_FREE char *text = unit_error_text(&err);
    assert_string_equal(text, "appliance: error: '/dev' in the tree is a symbolic link, not a "
                              "folder: nothing is mounted through it: refused\n");
    ab_error_release(&err);
    CLEANUP_FREE char *after = decoy_state();
    assert_string_equal(after, before);
}

static void
test_rm_rf_scratch(void **state)
{
    (void)state;
    mkdirs("scratch/a/b");
    unit_write_file("scratch/a/b/f", "x");
    mkdirs("outside");
    assert_int_equal(symlink("../../outside", "scratch/a/out"), 0);
    unit_write_file("outside/precious", "host's\n");
    errno = 0;
    assert_int_equal(rm_rf("scratch", "outside"), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(rm_rf("scratch", "scratch-other"), -1);
    assert_int_equal(rm_rf("scratch", "scratch/../outside"), -1);
    assert_int_equal(rm_rf("/", "/"), -1);
    assert_int_equal(rm_rf("", ""), -1);
    assert_int_equal(rm_rf("scratch", ""), -1);
    assert_int_equal(rm_rf("//", "//x"), -1);
    assert_int_equal(rm_rf("scratch", "scratch/a"), 0);
    struct stat st;
    assert_int_equal(lstat("scratch/a", &st), -1);
    assert_file("outside/precious", "host's\n");
    assert_int_equal(rm_rf("scratch/", "scratch"), 0);
    assert_int_equal(rm_rf("scratch", "scratch"), 0); /* absent: fine */
    assert_int_equal(system("rm -rf outside"), 0);
}

/* In a child with a mount namespace of its own: a tmpfs below the folder
 * removed; rm_rf and inroot_remove refuse it and keep what it holds. */
static int
mount_child(void)
{
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return 10;
    if (system("mkdir -p ms/tree/m ms/tree/keep && echo x > ms/tree/keep/f") != 0)
        return 11;
    if (mount("tmpfs", "ms/tree/m", "tmpfs", 0, "size=1m") < 0)
        return 12;
    FILE *f = fopen("ms/tree/m/held", "w");
    if (!f || fclose(f) != 0)
        return 13;
    errno = 0;
    if (rm_rf("ms", "ms/tree") != -1 || errno != EBUSY)
        return 14;
    if (rm_rf("ms/tree/m", "ms/tree/m") != -1) /* the mount point itself */
        return 15;
    if (access("ms/tree/m/held", F_OK) < 0 || access("ms/tree/keep/f", F_OK) < 0)
        return 16;
    struct ab_error err = AB_ERROR_INIT;
    int root = inroot_open_root("ms", &err);
    if (root < 0 || inroot_remove(root, "/tree", &err) != -1 || err.errnum != EXDEV)
        return 17;
    if (access("ms/tree/m/held", F_OK) < 0)
        return 18;
    if (umount("ms/tree/m") < 0 || rm_rf("ms", "ms") < 0)
        return 19;
    return 0;
}

static void
test_rm_rf_mount_point(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* mounting needs root */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(mount_child());
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 10)
        skip(); /* no mount namespace here */
    assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_absolute_link),
        cmocka_unit_test(test_relative_dotdot_link),
        cmocka_unit_test(test_chain_of_links),
        cmocka_unit_test(test_dotdot_at_root),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_last_link_replaced),
        cmocka_unit_test(test_mkdir_through_link),
        cmocka_unit_test(test_glob_removal_through_link),
        cmocka_unit_test(test_copy_into_linked_dir),
        cmocka_unit_test(test_api_dirs),
        cmocka_unit_test(test_rm_rf_scratch),
        cmocka_unit_test(test_rm_rf_mount_point),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
