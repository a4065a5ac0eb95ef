/* nsrun.c: chroot work (and dnf) in a private mount namespace with the
 * tree's own /proc, /sys and /dev (see nsrun.h). */
#include "appliance/nsrun.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/inroot.h"
#include "appliance/templates.h"
#include "appliance/userns.h"

/* The mounts are made by the child itself between fork and exec
 * (spawn_opts.prepare), with system calls only: no shell and no mount(8),
 * mknod(1) or ln(1) run for them, which cost a quarter of a second of
 * process starts for each command in the tree. Every path is made before
 * the fork; the child touches nothing else. A path of the tree is
 * checked again there to be a folder and not a link (inroot_api_dirs did
 * it first, with a clear error); even a link swapped in between would
 * only send a mount of this namespace, which the host never sees. */

#define NS_NODES 6

struct ns_plan {
    /* Root of the host mounts a proc, a sysfs and nodes of its own; root of
     * a user namespace (a build without root, a cross build) may not, and
     * binds the host's instead, as mmdebstrap and podman do. */
    bool host_root;
    char *proc, *sys, *proc_sys, *dev;
    char *nodes[NS_NODES];
    char *host_nodes[NS_NODES]; /* the host's, bound where nodes cannot be made */
    char *pts, *shm;
    char *links[4]; /* fd, stdin, stdout, stderr */
};

static const struct {
    const char *name;
    unsigned major, minor;
} ns_nodes[NS_NODES] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};
static const char *const ns_links[4][2] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

static void
ns_plan_free(struct ns_plan *p)
{
    free(p->proc);
    free(p->sys);
    free(p->proc_sys);
    free(p->dev);
    for (int i = 0; i < NS_NODES; i++) {
        free(p->nodes[i]);
        free(p->host_nodes[i]);
    }
    free(p->pts);
    free(p->shm);
    for (int i = 0; i < 4; i++)
        free(p->links[i]);
}

static int
ns_plan_make(struct ns_plan *p, const char *root)
{
    *p = (struct ns_plan){.host_root = !userns_inside()};
    if (asprintf(&p->proc, "%s/proc", root) < 0 || asprintf(&p->sys, "%s/sys", root) < 0 ||
        asprintf(&p->proc_sys, "%s/proc/sys", root) < 0 || asprintf(&p->dev, "%s/dev", root) < 0 ||
        asprintf(&p->pts, "%s/dev/pts", root) < 0 || asprintf(&p->shm, "%s/dev/shm", root) < 0)
        return -1;
    for (int i = 0; i < NS_NODES; i++)
        if (asprintf(&p->nodes[i], "%s/dev/%s", root, ns_nodes[i].name) < 0 ||
            asprintf(&p->host_nodes[i], "/dev/%s", ns_nodes[i].name) < 0)
            return -1;
    for (int i = 0; i < 4; i++)
        if (asprintf(&p->links[i], "%s/dev/%s", root, ns_links[i][0]) < 0)
            return -1;
    return 0;
}

/* The child: async-signal-safe calls only. */
static int
ns_is_dir(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* A bind mount made read-only, its other flags kept: root of a user
 * namespace may not drop the nosuid, nodev, noexec or atime flags the
 * host's mount has (they are locked), and mount(2) would. */
static int
ns_read_only(const char *path)
{
    struct statfs st;
    if (statfs(path, &st) < 0)
        return -1;
    unsigned long keep = (unsigned long)st.f_flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                                      MS_NODIRATIME | MS_RELATIME);
    return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | keep, NULL);
}

static int
ns_prepare(const void *arg)
{
    const struct ns_plan *p = arg;
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -1;
    if (ns_is_dir(p->proc) < 0 || ns_is_dir(p->sys) < 0 || ns_is_dir(p->dev) < 0)
        return -1;
    umask(0);
    if (p->host_root) {
        if (mount("proc", p->proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
            mount("sysfs", p->sys, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
                0)
            return -1;
    } else if (mount("/proc", p->proc, NULL, MS_BIND | MS_REC, NULL) < 0 ||
               mount("/sys", p->sys, NULL, MS_BIND | MS_REC, NULL) < 0 || ns_read_only(p->sys) < 0) {
        return -1;
    }
    if (mount(p->proc_sys, p->proc_sys, NULL, MS_BIND | MS_REC, NULL) < 0 ||
        ns_read_only(p->proc_sys) < 0 || mount("dev", p->dev, "tmpfs", MS_NOSUID, "mode=0755") < 0)
        return -1;
    for (int i = 0; i < NS_NODES; i++) {
        if (p->host_root) {
            if (mknod(p->nodes[i], S_IFCHR | 0666, makedev(ns_nodes[i].major, ns_nodes[i].minor)) <
                0)
                return -1;
            continue;
        }
        int fd = open(p->nodes[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            return -1;
        close(fd);
        if (mount(p->host_nodes[i], p->nodes[i], NULL, MS_BIND, NULL) < 0)
            return -1;
    }
    if (mkdir(p->pts, 0755) < 0 || mkdir(p->shm, 01777) < 0)
        return -1;
    for (int i = 0; i < 4; i++)
        if (symlink(ns_links[i][1], p->links[i]) < 0)
            return -1;
    umask(022);
    return 0;
}

int
nsrun(const char *root, enum nsrun_where where, const char *const *argv,
      const struct spawn_opts *opts, struct ab_error *err)
{
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0 || inroot_api_dirs(rootfd, err) < 0)
        return -1;
    size_t n_env = 0;
    for (const char *const *e = opts && opts->env ? opts->env : NULL; e && *e; e++)
        n_env++;
    struct ns_plan plan;
    CLEANUP_FREE const char **env = calloc(n_env + 2, sizeof(char *));
    if (!env || ns_plan_make(&plan, root) < 0) {
        ns_plan_free(&plan);
        return ab_oom(err);
    }
    for (size_t i = 0; i < n_env; i++)
        env[i] = opts->env[i];
    /* The host's scratch folder is not in the tree. */
    if (where == NSRUN_CHROOT)
        env[n_env] = "TMPDIR";
    struct spawn_opts o = opts ? *opts : (struct spawn_opts){0};
    o.chroot = where == NSRUN_CHROOT ? root : NULL;
    o.cwd = NULL;
    o.env = env;
    o.prepare = ns_prepare;
    o.prepare_arg = &plan;
    o.prepare_what = "mount /proc, /sys and /dev in the tree";
    int r = spawn_run(argv, &o, err);
    ns_plan_free(&plan);
    return r;
}

/* spawn_run names the program it started, unshare; the failure is the
 * command's (or, in the script's own words, the mounts'). */
static void
name_started(struct ab_error *err, size_t first, const char *program, const char *tool)
{
    char started[32];
    snprintf(started, sizeof(started), "'%s' ", program);
    for (size_t i = first; i < err->n_diags; i++) {
        struct ab_diag *d = &err->diags[i];
        char *renamed = NULL;
        if (strncmp(d->msg, started, strlen(started)) == 0 &&
            asprintf(&renamed, "'%s' %s", tool, d->msg + strlen(started)) >= 0) {
            free(d->msg);
            d->msg = renamed;
        }
    }
}

int
nsrun_private(const char *const *argv, const struct spawn_opts *opts, struct ab_error *err)
{
    size_t n_argv = 0;
    while (argv[n_argv])
        n_argv++;
    const char *head[] = {"unshare", "--mount", "--propagation", "private", "--"};
    size_t n_head = sizeof(head) / sizeof(head[0]), n = 0;
    CLEANUP_FREE const char **args = calloc(n_head + n_argv + 1, sizeof(char *));
    if (!args)
        return ab_oom(err);
    for (size_t i = 0; i < n_head; i++)
        args[n++] = head[i];
    for (size_t i = 0; i < n_argv; i++)
        args[n++] = argv[i];
    size_t first = err->n_diags;
    if (spawn_run(args, opts, err) < 0) {
        name_started(err, first, "unshare", argv[0]);
        return -1;
    }
    return 0;
}

int
nsrun_script(const char *name, const char *const *args, bool private_mounts,
             const struct spawn_opts *opts, struct ab_error *err)
{
    size_t n_args = 0, n_env = 0;
    while (args[n_args])
        n_args++;
    for (const char *const *e = opts && opts->env ? opts->env : NULL; e && *e; e++)
        n_env++;
    const char *text = templates_get(name);
    if (!text)
        return ab_build_error(err, 0, "no template '%s'", name);
    const char *head[] = {"unshare", "--mount", "--propagation", "private", "--",
                          "sh",      "-c",      "eval \"$APPLIANCE_SCRIPT\"", name};
    size_t n_head = sizeof(head) / sizeof(head[0]), n = 0, skip = private_mounts ? 0 : 5;
    CLEANUP_FREE char *script = NULL;
    CLEANUP_FREE const char **argv = calloc(n_head + n_args + 1, sizeof(char *));
    CLEANUP_FREE const char **env = calloc(n_env + 2, sizeof(char *));
    if (!argv || !env || asprintf(&script, "APPLIANCE_SCRIPT=%s", text) < 0)
        return ab_oom(err);
    for (size_t i = skip; i < n_head; i++)
        argv[n++] = head[i];
    for (size_t i = 0; i < n_args; i++)
        argv[n++] = args[i];
    for (size_t i = 0; i < n_env; i++)
        env[i] = opts->env[i];
    env[n_env] = script;
    struct spawn_opts o = opts ? *opts : (struct spawn_opts){0};
    o.env = env;
    size_t first = err->n_diags;
    if (spawn_run(argv, &o, err) < 0) {
        name_started(err, first, argv[0], name);
        return -1;
    }
    return 0;
}

int
nsrun_chroot(const struct spawn_ctx *ctx, const char *root, struct ab_error *err, const char *first,
             ...)
{
    CLEANUP_SPAWN_ARGV struct spawn_argv argv = SPAWN_ARGV_INIT;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        spawn_argv_add(&argv, a);
    va_end(ap);
    if (argv.failed || !argv.v)
        return ab_oom(err);
    struct spawn_opts o = {.ctx = ctx};
    return nsrun(root, NSRUN_CHROOT, argv.v, &o, err);
}
