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

/* In a child, root of a user namespace and a private mount namespace of
 * its own: the registration, asked for twice, and the program's exit
 * status after it ("SKIP reason" where it cannot be tried). */
static void
register_and_run(FILE *out, void *arg)
{
    const char *path = arg;
    if (unit_enter_user_namespace(CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        fprintf(out, "SKIP no user and mount namespace here: %s", strerror(errno));
        return;
    }
    struct ab_error err = AB_ERROR_INIT;
    int how = binfmt_enable(ARCH_AARCH64, &err);
    if (how < 0) {
        const char *text = unit_error_text(&err);
        fprintf(out, "%s%s", strstr(text, "this kernel") ? "SKIP " : "", text);
        return;
    }
    int again = binfmt_enable(ARCH_AARCH64, &err);
    fprintf(out, "how %d again %d exit %d", how, again, run(path));
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

    char *got = unit_in_child(register_and_run, path);
    if (strncmp(got, "SKIP ", 5) == 0)
        unit_skip("%s", got + 5);
    char want[64];
    snprintf(want, sizeof(want), "how %d again %d exit 42", BINFMT_OWN, BINFMT_FOUND);
    assert_string_equal(got, want);
    free(got);
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
