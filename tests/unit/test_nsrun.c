/* test_nsrun.c: nsrun()'s mount namespace, made by the child between
 * fork and exec: as root of the host (a new proc and sysfs, device nodes
 * made) and as root of a user namespace (a build without root: the host's
 * /proc and /sys bound, /dev/null and friends bound onto files of a tmpfs
 * /dev). Either way the command finds /proc, a read-only /sys and
 * /proc/sys, working device nodes and the /dev links; nothing stays
 * mounted on the host and the tree's /dev is left empty; a link where
 * /dev should be is refused. The probe is a host shell run on the tree
 * (NSRUN_HOST, as dnf is run). A command run in the tree (NSRUN_CHROOT, a
 * shell copied in) finds its root a mount of the tree and the host's root
 * gone: pivot_root(2), which container seccomp profiles allow without
 * CAP_SYS_CHROOT, not chroot(2), which they refuse. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "appliance/nsrun.h"

/* What the command checks, inside the mounts, about the tree $1. */
static const char probe[] =
    "R=$1\n"
    "for n in null zero full random urandom tty; do\n"
    "    [ -c \"$R/dev/$n\" ] || echo \"no device $n\"\n"
    "done\n"
    "echo data >\"$R/dev/null\" || echo \"/dev/null not writable\"\n"
    "[ \"$(head -c 4 \"$R/dev/zero\" | od -An -tx1 | tr -d ' ')\" = 00000000 ] || echo \"no zeros\"\n"
    "[ -r \"$R/proc/self/status\" ] || echo \"no /proc\"\n"
    "[ -d \"$R/sys/kernel\" ] || echo \"no /sys\"\n"
    "(: >\"$R/sys/probe\") 2>/dev/null && echo \"/sys writable\"\n"
    "(: >\"$R/proc/sys/kernel/hostname\") 2>/dev/null && echo \"/proc/sys writable\"\n"
    "[ \"$(readlink \"$R/dev/fd\")\" = /proc/self/fd ] || echo \"no /dev/fd link\"\n"
    "[ \"$(readlink \"$R/dev/stderr\")\" = /proc/self/fd/2 ] || echo \"no /dev/stderr link\"\n"
    "[ -d \"$R/dev/pts\" ] && [ -d \"$R/dev/shm\" ] || echo \"no /dev/pts or /dev/shm\"\n"
    "[ \"$(stat -c %a \"$R/dev/shm\")\" = 1777 ] || echo \"/dev/shm not 1777\"\n"
    "echo done\n";

static char tree[PATH_MAX];

static void
make_tree(void)
{
    char cwd[PATH_MAX - 16], path[PATH_MAX + 16];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(tree, sizeof(tree), "%s/tree", cwd);
    assert_int_equal(system("rm -rf tree && mkdir -p tree/proc tree/sys tree/dev"), 0);
    snprintf(path, sizeof(path), "%s/dev", tree);
    assert_int_equal(access(path, F_OK), 0);
}

/* The probe's output through nsrun, or "" with err set. */
static char *
run_probe(struct ab_error *err)
{
    const char *argv[] = {"sh", "-c", probe, "probe", tree, NULL};
    char *out = NULL;
    struct spawn_opts o = {.output = &out};
    if (nsrun(tree, NSRUN_HOST, argv, &o, err) < 0) {
        free(out);
        return strdup("");
    }
    return out ? out : strdup("");
}

/* Nothing of the tree in this process's mount table. */
static bool
nothing_mounted(void)
{
    FILE *f = fopen("/proc/self/mountinfo", "r");
    char line[4096];
    bool clean = f != NULL;
    while (f && fgets(line, sizeof(line), f))
        if (strstr(line, tree))
            clean = false;
    if (f)
        fclose(f);
    return clean;
}

static bool
dev_empty(void)
{
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof(cmd), "[ -z \"$(ls -A '%s/dev')\" ]", tree);
    return system(cmd) == 0;
}

static void
test_host_root(void **state)
{
    (void)state;
    if (geteuid() != 0 || unshare(0) < 0)
        unit_skip("not root of the host: the host's own mounts are not tried");
    make_tree();
    struct ab_error err = {0};
    char *out = run_probe(&err);
    if (strcmp(out, "done\n") != 0)
        fail_msg("probe: %s%s", out, unit_error_text(&err));
    free(out);
    assert_true(nothing_mounted());
    assert_true(dev_empty());
}

/* In a child: the probe as root of a user namespace of its own. */
static void
probe_in_user_namespace(FILE *out, void *arg)
{
    (void)arg;
    if (unit_enter_user_namespace(0) < 0) {
        fprintf(out, "SKIP no user namespace here: %s", strerror(errno));
        return;
    }
    struct ab_error err = {0};
    char *got = run_probe(&err);
    fprintf(out, "%s%s", got, unit_error_text(&err));
}

static void
test_user_namespace(void **state)
{
    (void)state;
    make_tree();
    char *got = unit_in_child(probe_in_user_namespace, NULL);
    if (strncmp(got, "SKIP ", 5) == 0)
        unit_skip("%s", got + 5);
    if (strcmp(got, "done\n") != 0)
        fail_msg("probe in a user namespace: %s", got);
    free(got);
    assert_true(nothing_mounted());
    assert_true(dev_empty());
}

/* What a shell in the tree checks about its root, with dash's builtins
 * only: one mount at "/", a bind of the tree (pivot_root), not the
 * host's root mount hidden by chroot(2) (no mount at "/" then). */
static const char in_tree[] =
    "[ -e /marker ] || echo 'not in the tree'\n"
    "n=0 at=\n"
    "while read -r id parent dev root mnt rest; do\n"
    "    [ \"$mnt\" = / ] && n=$((n + 1)) at=$root\n"
    "done </proc/self/mountinfo\n"
    "[ \"$n\" = 1 ] || echo \"$n mounts at /\"\n"
    "case $at in */tree) ;; *) echo \"the root is no mount of the tree: '$at'\" ;; esac\n"
    "echo done\n";

/* In a child: in_tree through nsrun, in a user namespace of its own
 * when *arg. */
static void
in_tree_child(FILE *out, void *arg)
{
    if (*(const bool *)arg && unit_enter_user_namespace(0) < 0) {
        fprintf(out, "SKIP no user namespace here: %s", strerror(errno));
        return;
    }
    const char *argv[] = {"/bin/sh", "-c", in_tree, NULL};
    char *got = NULL;
    struct ab_error err = {0};
    struct spawn_opts o = {.output = &got};
    int r = nsrun(tree, NSRUN_CHROOT, argv, &o, &err);
    fprintf(out, "%s%s", r == 0 && got ? got : "", unit_error_text(&err));
}

/* nsrun(NSRUN_CHROOT) of in_tree, in a forked child (in a user namespace
 * of its own if userns): its output, or "SKIP reason". */
static char *
run_in_tree(bool userns)
{
    make_tree();
    assert_int_equal(system("mkdir -p tree/bin && cp -L /bin/sh tree/bin/sh && "
                            "for l in $(ldd /bin/sh | grep -o '/[^ ]*'); do "
                            "cp -L --parents \"$l\" tree || exit 1; done && : >tree/marker"),
                     0);
    return unit_in_child(in_tree_child, &userns);
}

static void
test_pivot(bool userns)
{
    if (!userns && (geteuid() != 0 || unshare(0) < 0))
        unit_skip("not root of the host: the host's own mounts are not tried");
    char *got = run_in_tree(userns);
    if (strncmp(got, "SKIP ", 5) == 0)
        unit_skip("%s", got + 5);
    if (strcmp(got, "done\n") != 0)
        fail_msg("in the tree%s: %s", userns ? ", in a user namespace" : "", got);
    free(got);
    assert_true(nothing_mounted());
    assert_true(dev_empty());
}

static void
test_pivot_host_root(void **state)
{
    (void)state;
    test_pivot(false);
}

static void
test_pivot_user_namespace(void **state)
{
    (void)state;
    test_pivot(true);
}

/* A link where /dev should be: refused before anything runs. */
static void
test_link_refused(void **state)
{
    (void)state;
    make_tree();
    char dev[PATH_MAX + 8];
    snprintf(dev, sizeof(dev), "%s/dev", tree);
    assert_int_equal(rmdir(dev), 0);
    assert_int_equal(symlink("/dev", dev), 0);
    struct ab_error err = {0};
    char *out = run_probe(&err);
    assert_string_equal(out, "");
    assert_true(ab_error_is_set(&err));
    free(out);
    ab_error_release(&err);
    assert_true(nothing_mounted());
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_root),
        cmocka_unit_test(test_user_namespace),
        cmocka_unit_test(test_pivot_host_root),
        cmocka_unit_test(test_pivot_user_namespace),
        cmocka_unit_test(test_link_refused),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
