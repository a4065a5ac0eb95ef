/* engine_proc.c: the libguestfs appliance driven from a child process. */
#include "appliance/engine_proc.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/engine_disk.h"
#include "appliance/spawn.h"

#define LINE_MAX_LEN 8192

/* Reads one '\n'-terminated line (without it) into buf. */
static int
read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t r = read(fd, buf + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
    return 0;
}

/* A peer that has gone makes it fail with EPIPE, not kill us. */
static int
write_line(int fd, const char *line)
{
    return spawn_write(fd, line, strlen(line));
}

/* "ok" or "error MESSAGE" for the parent. */
static void
reply(int fd, struct ab_error *err)
{
    char line[LINE_MAX_LEN];
    if (!ab_error_is_set(err)) {
        write_line(fd, "ok\n");
        return;
    }
    snprintf(line, sizeof(line), "error %s", err->n_diags ? err->diags[0].msg : "failed");
    for (char *c = line; *c; c++)
        if (*c == '\n')
            *c = ' ';
    strcat(line, "\n");
    write_line(fd, line);
    ab_error_release(err);
}

/* libguestfs's temporary files and sockets go into the build's scratch
 * folder, removed with it even when this process is killed; its appliance
 * cache stays where it was, shared between builds. */
static void
private_tmpdir(const char *scratch)
{
    const char *tmp = getenv("TMPDIR");
    setenv("LIBGUESTFS_CACHEDIR", tmp && *tmp ? tmp : "/var/tmp", 0);
    setenv("TMPDIR", scratch, 1);
    setenv("XDG_RUNTIME_DIR", scratch, 1);
}

/* What the child gets: its end of the socket pair and the work. */
struct child_args {
    int fd, parent_fd;
    const struct plan *plan;
    const char *os_img, *app_img, *scratch;
    bool use_kvm;
    FILE *log;
    const char *const *env; /* the spawn context's, for what libguestfs starts */
};

/* In its own process group (spawn_fork_fn's), which qemu joins: the parent
 * stops them all with one kill(), and decides when (terminal signals do
 * not reach it). */
static int
child_main(void *arg)
{
    const struct child_args *a = arg;
    const struct plan *plan = a->plan;
    int fd = a->fd;
    struct ab_error err = AB_ERROR_INIT;
    char line[LINE_MAX_LEN];

    close(a->parent_fd);
    signal(SIGINT, SIG_IGN);
    private_tmpdir(a->scratch);
    /* This child's own environment, at its top: what the build gives the
     * tools it runs (SOURCE_DATE_EPOCH) reaches libguestfs's too. The
     * entries live in this copy of the parent's memory. */
    for (const char *const *env = a->env; env && *env; env++)
        putenv((char *)*env);
    struct engine *e = engine_launch(a->os_img, a->app_img, a->use_kvm, a->log, &err);
    if (e)
        engine_check_lvm(e, plan, &err);
    bool failed = ab_error_is_set(&err);
    reply(fd, &err);
    while (!failed && read_line(fd, line, sizeof(line)) == 0) {
        size_t mount;
        int at = 0;
        if (sscanf(line, "xfs %zu %n", &mount, &at) == 1 && at && mount < plan->n_mounts) {
            engine_xfs(e, plan, &plan->mounts[mount], line + at, &err);
            failed = ab_error_is_set(&err);
            reply(fd, &err);
        } else if (strcmp(line, "finish") == 0) {
            engine_finish(e, &err);
            e = NULL;
            reply(fd, &err);
            break;
        }
    }
    engine_abort(e);
    if (a->log)
        fflush(a->log);
    return 0;
}

int
engine_proc_start(struct engine_proc *p, const struct plan *plan, const char *os_img,
                  const char *app_img, bool use_kvm, const char *scratch,
                  const struct spawn_ctx *ctx, struct ab_error *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return ab_build_error(err, errno, "cannot start the appliance: %s", strerror(errno));
    struct child_args a = {sv[1],
                           sv[0],
                           plan,
                           os_img,
                           app_img,
                           scratch,
                           use_kvm,
                           ctx ? ctx->log : NULL,
                           ctx ? ctx->env : NULL};
    /* Known to spawn_kill_all: an interrupt stops the appliance at once. */
    int r = spawn_fork_fn(child_main, &a, &p->child, err);
    close(sv[1]);
    if (r < 0) {
        close(sv[0]);
        ab_error_prefix(err, "while starting the appliance");
        return -1;
    }
    p->fd = sv[0];
    return 0;
}

static int
await_reply(struct engine_proc *p, const char *what, struct ab_error *err)
{
    char line[LINE_MAX_LEN];
    if (read_line(p->fd, line, sizeof(line)) < 0)
        return ab_build_error(err, 0, "the appliance process ended unexpectedly %s", what);
    if (strcmp(line, "ok") == 0)
        return 0;
    return ab_build_error(err, 0, "%s", strncmp(line, "error ", 6) == 0 ? line + 6 : line);
}

int
engine_proc_ready(struct engine_proc *p, struct ab_error *err)
{
    if (await_reply(p, "while reading the volume groups", err) < 0) {
        engine_proc_kill(p);
        return -1;
    }
    return 0;
}

int
engine_proc_xfs(struct engine_proc *p, size_t mount, const char *tar, struct ab_error *err)
{
    CLEANUP_FREE char *line = NULL;
    if (asprintf(&line, "xfs %zu %s\n", mount, tar) < 0)
        return ab_oom(err);
    if (write_line(p->fd, line) < 0 || await_reply(p, "while making xfs", err) < 0) {
        engine_proc_kill(p);
        return -1;
    }
    return 0;
}

int
engine_proc_finish(struct engine_proc *p, struct ab_error *err)
{
    int r = write_line(p->fd, "finish\n") < 0 ? -1 : await_reply(p, "while shutting down", err);
    close(p->fd);
    p->fd = -1;
    spawn_reap(&p->child, true);
    return r;
}

void
engine_proc_kill(struct engine_proc *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
    pid_t group = p->child.pid;
    if (group > 0) {
        spawn_signal(&p->child, SIGKILL);
        spawn_reap(&p->child, true);
        /* qemu and libguestfs's helpers share the child's group: wait until
         * every one is gone, so that none writes into the scratch folder
         * while the build removes it (at most 5 s). */
        for (int i = 0; i < 500 && kill(-group, 0) == 0; i++) {
            kill(-group, SIGKILL);
            usleep(10000);
        }
    }
}
