/* test_binfmt.c: another architecture's programs through qemu-user, by a
 * binfmt_misc of the build's own user namespace (binfmt.h). Judged by the
 * kernel and qemu-user-static: a hand-made aarch64 program (exit(42): an
 * ELF header, one program header, three instructions) that the kernel
 * refuses to run before the registration (ENOEXEC) and qemu runs after
 * it, in a chroot-like way (the emulator opened at registration, flag F).
 * Nothing reaches the host's binfmt_misc: the registration is made in a
 * forked child's namespaces, and the host's entries are compared before
 * and after. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "appliance/arch.h"
#include "appliance/binfmt.h"

/* exit(42) for aarch64 Linux, loaded at 0x400000. */
static const unsigned char exit42[] = {
    /* ELF header: 64-bit, little-endian, version 1, ET_EXEC, EM_AARCH64 */
    0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* e_ident */
    2, 0, 0xb7, 0, 1, 0, 0, 0,                               /* type, machine, version */
    0x78, 0, 0x40, 0, 0, 0, 0, 0,                            /* e_entry 0x400078 */
    0x40, 0, 0, 0, 0, 0, 0, 0,                               /* e_phoff 64 */
    0, 0, 0, 0, 0, 0, 0, 0,                                  /* e_shoff */
    0, 0, 0, 0, 0x40, 0, 0x38, 0,                            /* flags, ehsize, phentsize */
    1, 0, 0, 0, 0, 0, 0, 0,                                  /* phnum 1, no sections */
    /* PT_LOAD, R+X, the whole file at 0x400000 */
    1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0,
    0, 0, 0x84, 0, 0, 0, 0, 0, 0, 0, 0x84, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0,
    /* movz x0, #42; movz x8, #93 (exit); svc #0 */
    0x40, 0x05, 0x80, 0xd2, 0xa8, 0x0b, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4};

/* The host's binfmt_misc entries, one name per line ("" when it has no
 * binfmt_misc mounted). */
static void
host_entries(char *out, size_t size)
{
    out[0] = '\0';
    DIR *d = opendir(BINFMT_DIR);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            snprintf(out + strlen(out), size - strlen(out), "%s\n", e->d_name);
    if (d)
        closedir(d);
}

/* Runs path; its exit status, or -errno when exec failed. */
static int
run(const char *path)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid == 0) {
        char *const argv[] = {(char *)path, NULL};
        execv(path, argv);
        int e = errno;
        (void)!write(p[1], &e, sizeof(e));
        _exit(127);
    }
    close(p[1]);
    int e = 0, status = 0;
    ssize_t n = read(p[0], &e, sizeof(e));
    close(p[0]);
    waitpid(pid, &status, 0);
    if (n == (ssize_t)sizeof(e))
        return -e;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

/* Root of a new user namespace (this process's ids mapped to 0) in a
 * private mount namespace: 0, or -1. */
static int
enter_namespaces(void)
{
    char map[64];
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        return -1;
    int fd = open("/proc/self/setgroups", O_WRONLY);
    if (fd < 0 || write(fd, "deny", 4) != 4)
        return -1;
    close(fd);
    int n = snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
    if ((fd = open("/proc/self/uid_map", O_WRONLY)) < 0 || write(fd, map, (size_t)n) != n)
        return -1;
    close(fd);
    n = snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
    if ((fd = open("/proc/self/gid_map", O_WRONLY)) < 0 || write(fd, map, (size_t)n) != n)
        return -1;
    close(fd);
    return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

static void
test_native(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(binfmt_enable(arch_host(), &err), BINFMT_NATIVE);
    char line[256] = "x";
    binfmt_describe(arch_host(), BINFMT_NATIVE, line, sizeof(line));
    assert_string_equal(line, "");
    binfmt_describe(ARCH_AARCH64, BINFMT_OWN, line, sizeof(line));
    assert_string_equal(line, "cross-building: the tree's aarch64 programs run under qemu-user "
                              "(qemu-aarch64, registered in the build's own binfmt_misc)");
}

static void
test_own_registration(void **state)
{
    (void)state;
    if (arch_host() != ARCH_X86_64)
        unit_skip("the program is aarch64's: this host runs it natively");
    if (access("/usr/lib/binfmt.d/qemu-aarch64.conf", R_OK) < 0)
        unit_skip("qemu-user-static is not installed (make deps)");
    char before[4096], after[4096], path[PATH_MAX];
    host_entries(before, sizeof(before));
    if (strstr(before, "qemu-aarch64\n"))
        unit_skip("the host registers qemu-aarch64 itself: no registration of the build's own");
    char cwd[PATH_MAX - 16];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(path, sizeof(path), "%s/exit42", cwd);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, exit42, sizeof(exit42)), (ssize_t)sizeof(exit42));
    close(fd);
    assert_int_equal(run(path), -ENOEXEC);

    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        if (enter_namespaces() < 0) {
            dprintf(p[1], "SKIP no user and mount namespace here: %s", strerror(errno));
            _exit(0);
        }
        struct ab_error err = AB_ERROR_INIT;
        int how = binfmt_enable(ARCH_AARCH64, &err);
        if (how < 0) {
            dprintf(p[1], "%s%s", strstr(unit_error_text(&err), "this kernel") ? "SKIP " : "",
                    unit_error_text(&err));
            _exit(0);
        }
        /* Once registered, asking again finds it. */
        int again = binfmt_enable(ARCH_AARCH64, &err);
        dprintf(p[1], "how %d again %d exit %d", how, again, run(path));
        _exit(0);
    }
    close(p[1]);
    char got[1024] = "";
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(got) - 1 && (n = read(p[0], got + len, sizeof(got) - 1 - len)) > 0)
        len += (size_t)n;
    got[len] = '\0';
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (strncmp(got, "SKIP ", 5) == 0)
        unit_skip("%s", got + 5);
    char want[64];
    snprintf(want, sizeof(want), "how %d again %d exit 42", BINFMT_OWN, BINFMT_FOUND);
    assert_string_equal(got, want);
    /* The host's binfmt_misc is as it was, and still refuses the program. */
    host_entries(after, sizeof(after));
    assert_string_equal(before, after);
    assert_int_equal(run(path), -ENOEXEC);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native),
        cmocka_unit_test(test_own_registration),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
