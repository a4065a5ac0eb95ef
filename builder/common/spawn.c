/* spawn.c: running the tools the build relies on; the one place that forks. */
#include "appliance/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/redact.h"
#include "appliance/stop.h"

#define TAIL_SIZE 2048
#define DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

extern char **environ;

/* The log of o's context, if any. */
static FILE *
log_of(const struct spawn_opts *o)
{
    return o && o->ctx ? o->ctx->log : NULL;
}

/* ---- the children spawn_kill_all reaches ------------------------------- */

/* A list that only grows, one slot per child running at once: a signal
 * handler may walk it at any moment, so a slot is never freed or moved,
 * only published (head) once complete, and claimed or released by an
 * atomic change of its pid (0 free, -1 reserved for a fork under way). */
struct slot {
    pid_t pid;
    struct slot *next;
};

static struct slot *slots;

/* A slot for the next child, reserved before fork so that registering it
 * cannot fail afterwards. NULL when out of memory. */
static struct slot *
slot_reserve(void)
{
    for (struct slot *s = __atomic_load_n(&slots, __ATOMIC_ACQUIRE); s; s = s->next) {
        pid_t free_pid = 0;
        if (__atomic_compare_exchange_n(&s->pid, &free_pid, -1, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            return s;
    }
    struct slot *s = malloc(sizeof(*s));
    if (!s)
        return NULL;
    s->pid = -1;
    s->next = __atomic_load_n(&slots, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&slots, &s->next, s, false, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED))
        ;
    return s;
}

static void
slot_release(struct slot *s)
{
    __atomic_store_n(&s->pid, 0, __ATOMIC_RELEASE);
}

/* The child is in slot s: an interrupt that came since the fork reaches
 * it now. */
static void
slot_fill(struct slot *s, pid_t pid)
{
    __atomic_store_n(&s->pid, pid, __ATOMIC_RELEASE);
    if (stop_requested())
        kill(-pid, SIGTERM);
}

static void
forget(pid_t pid)
{
    for (struct slot *s = __atomic_load_n(&slots, __ATOMIC_ACQUIRE); s; s = s->next) {
        pid_t p = pid;
        if (__atomic_compare_exchange_n(&s->pid, &p, 0, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            return;
    }
}

void
spawn_kill_all(int sig)
{
    for (struct slot *s = __atomic_load_n(&slots, __ATOMIC_ACQUIRE); s; s = s->next) {
        pid_t pid = __atomic_load_n(&s->pid, __ATOMIC_ACQUIRE);
        if (pid > 0)
            kill(-pid, sig);
    }
}

/* ---- SIGPIPE ------------------------------------------------------------ */

/* Writing to a child that closed its stdin must fail with EPIPE, not kill
 * the builder: SIGPIPE is blocked in this thread meanwhile, and the
 * signal such a write raised is taken back before the mask is restored. */
static int
sigpipe_block(sigset_t *old)
{
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    return pthread_sigmask(SIG_BLOCK, &pipe_set, old) == 0 ? 0 : -1;
}

static void
sigpipe_restore(const sigset_t *old, bool raised)
{
    if (raised && !sigismember(old, SIGPIPE)) {
        sigset_t pipe_set;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
    }
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

int
spawn_write(int fd, const void *buf, size_t len)
{
    sigset_t old;
    if (sigpipe_block(&old) < 0)
        return -1;
    const char *p = buf;
    int r = 0;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -1;
            break;
        }
        p += n;
        len -= (size_t)n;
    }
    int e = errno;
    sigpipe_restore(&old, r < 0 && e == EPIPE);
    errno = e;
    return r;
}

int
spawn_have(const char *program)
{
    const char *path = getenv("PATH");
    if (strchr(program, '/'))
        return access(program, X_OK) == 0;
    CLEANUP_FREE char *copy = strdup(path ? path : DEFAULT_PATH);
    for (char *dir = copy ? strtok(copy, ":") : NULL; dir; dir = strtok(NULL, ":")) {
        CLEANUP_FREE char *full = NULL;
        if (asprintf(&full, "%s/%s", dir, program) < 0)
            return 0;
        if (access(full, X_OK) == 0)
            return 1;
    }
    return 0;
}

/* The command line, with the values of secret-looking words hidden. */
static void
log_argv(const char *const *argv, const struct spawn_opts *o)
{
    const struct spawn_ctx *ctx = o ? o->ctx : NULL;
    if (!ctx || (!ctx->log && !ctx->echo))
        return;
    CLEANUP_FREE char *line = NULL, *shown = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    if (!f)
        return;
    for (const char *const *a = argv; *a; a++)
        fprintf(f, "%s%s", *a, a[1] ? " " : "");
    if (fclose(f) != 0 || !(shown = redact(line)))
        return;
    const char *prefix = o && o->prepare ? (o->chroot ? "+ [chroot, private mounts] "
                                                      : "+ [private mounts] ")
                         : o && o->chroot ? "+ [chroot] "
                                          : "+ ";
    if (ctx->log) {
        fprintf(ctx->log, "%s%s\n", prefix, shown);
        fflush(ctx->log);
    }
    if (ctx->echo) {
        CLEANUP_FREE char *echoed = NULL;
        if (asprintf(&echoed, "%s%s", prefix, shown) >= 0)
            ctx->echo(ctx->echo_arg, echoed);
    }
}

/* ---- fork and exec ------------------------------------------------------ */

/* Everything the child needs, made before the fork: after it, the child
 * calls only async-signal-safe functions (no malloc, no stdio, no locks). */
struct launch {
    const char *const *argv;
    char **paths;  /* where argv[0] may be, in PATH order (NULL-terminated) */
    char **envp;   /* the environment, opts->env entries replacing their names */
    const char *chroot, *cwd;
    int fd[3];     /* become its stdin, stdout, stderr; -1: inherited */
    int report;    /* write end of the pipe that tells the parent why exec failed */
    bool die_with_parent;
    pid_t parent;
    int (*fn)(void *arg); /* spawn_fork_fn: run this instead of exec */
    void *arg;
    int (*prepare)(const void *arg); /* spawn_opts.prepare */
    const void *prepare_arg;
    const char *prepare_what;
};

enum launch_stage { STAGE_SETUP, STAGE_PREPARE, STAGE_CHROOT, STAGE_CWD, STAGE_EXEC };

static void
launch_release(struct launch *l)
{
    ab_strv_free(l->paths);
    free(l->envp);
}

/* Whether env has an entry for the name of entry (NAME=value): a value,
 * or NAME alone, which removes it. */
static bool
env_overrides(const char *const *env, const char *entry)
{
    size_t len = strcspn(entry, "=");
    for (const char *const *e = env; e && *e; e++)
        if (strncmp(*e, entry, len) == 0 && ((*e)[len] == '=' || (*e)[len] == '\0'))
            return true;
    return false;
}

/* The child's environment: ours, then the context's entries, then the
 * run's, each replacing the names of those before it (an entry of a name
 * alone, "TMPDIR", removes it). */
static int
make_envp(struct launch *l, const char *const *ctx_env, const char *const *extra)
{
    size_t n = 0, m = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    for (const char *const *e = ctx_env; e && *e; e++)
        n++;
    for (const char *const *e = extra; e && *e; e++)
        n++;
    if (!(l->envp = calloc(n + 1, sizeof(char *))))
        return -1;
    for (char **e = environ; e && *e; e++)
        if (!env_overrides(ctx_env, *e) && !env_overrides(extra, *e))
            l->envp[m++] = *e;
    for (const char *const *e = ctx_env; e && *e; e++)
        if (!env_overrides(extra, *e))
            l->envp[m++] = (char *)*e;
    for (const char *const *e = extra; e && *e; e++)
        if (strchr(*e, '='))
            l->envp[m++] = (char *)*e;
    return 0;
}

/* PATH of the child: the run's, else the context's, else ours. */
static const char *
child_path(const char *const *ctx_env, const char *const *extra)
{
    for (const char *const *e = extra; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    for (const char *const *e = ctx_env; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            return *e + 5;
    const char *path = getenv("PATH");
    return path ? path : DEFAULT_PATH;
}

/* Every file argv[0] may be, tried in turn by the child as execvp would
 * (inside the chroot, if any). */
static int
make_paths(struct launch *l, const char *prog, const char *const *ctx_env, const char *const *extra)
{
    CLEANUP_FREE char *copy = strdup(strchr(prog, '/') ? "" : child_path(ctx_env, extra));
    size_t n = 1;
    if (!copy)
        return -1;
    for (const char *c = copy; *c; c++)
        n += *c == ':';
    if (!(l->paths = calloc(n + 2, sizeof(char *))))
        return -1;
    if (strchr(prog, '/'))
        return (l->paths[0] = strdup(prog)) ? 0 : -1;
    size_t i = 0;
    for (char *dir = copy, *next; dir; dir = next) {
        if ((next = strchr(dir, ':')))
            *next++ = '\0';
        if (asprintf(&l->paths[i], "%s/%s", *dir ? dir : ".", prog) < 0) {
            l->paths[i] = NULL;
            return -1;
        }
        i++;
    }
    return 0;
}

static void
child_report(const struct launch *l, enum launch_stage stage, int errnum)
{
    int msg[2] = {(int)stage, errnum};
    if (l->report >= 0 && write(l->report, msg, sizeof(msg)) < 0)
        return;
}

/* Its own process group, default signal handlers (the builder's must not
 * run in it), no signal blocked, and its descriptors in place. */
static int
child_setup(const struct launch *l)
{
    setpgid(0, 0);
    if (l->die_with_parent &&
        (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != l->parent))
        return -1;
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction old;
        if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &old) < 0)
            continue;
        if (sig == SIGPIPE || (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN))
            sigaction(sig, &dfl, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int fd[3];
    for (int i = 0; i < 3; i++) {
        fd[i] = l->fd[i];
        /* Out of the way of the dup2 calls: one may already be 0, 1 or 2. */
        if (fd[i] >= 0 && fd[i] < 3 && (fd[i] = fcntl(fd[i], F_DUPFD_CLOEXEC, 3)) < 0)
            return -1;
    }
    for (int i = 0; i < 3; i++)
        if (fd[i] >= 0 && dup2(fd[i], i) < 0)
            return -1;
    return 0;
}

/* The child enters root. In a mount namespace of its own (prepare made
 * one) it pivots into a bind of root and detaches the old root, as
 * unshare --root and bubblewrap do: podman's, docker's and Kubernetes'
 * default seccomp profiles refuse chroot(2) to a container without
 * CAP_SYS_CHROOT, and allow pivot_root(2). chroot(2) where the pivot
 * cannot be made (the current root is no mount point: a chroot already). */
static int
child_enter(const char *root, bool own_mounts)
{
    if (own_mounts && mount(root, root, NULL, MS_BIND | MS_REC, NULL) == 0 && chdir(root) == 0 &&
        syscall(SYS_pivot_root, ".", ".") == 0)
        return umount2(".", MNT_DETACH) < 0 || chdir("/") < 0 ? -1 : 0;
    return chroot(root) < 0 || chdir("/") < 0 ? -1 : 0;
}

static void __attribute__((noreturn))
child_run(const struct launch *l)
{
    if (child_setup(l) < 0) {
        child_report(l, STAGE_SETUP, errno);
        _exit(126);
    }
    if (l->fn)
        _exit(l->fn(l->arg));
    if (l->prepare && l->prepare(l->prepare_arg) < 0) {
        child_report(l, STAGE_PREPARE, errno);
        _exit(126);
    }
    if (l->chroot && child_enter(l->chroot, l->prepare != NULL) < 0) {
        child_report(l, STAGE_CHROOT, errno);
        _exit(126);
    }
    if (l->cwd && chdir(l->cwd) < 0) {
        child_report(l, STAGE_CWD, errno);
        _exit(126);
    }
    int why = ENOENT;
    for (char **p = l->paths; *p; p++) {
        execve(*p, (char *const *)l->argv, l->envp);
        if (errno == EACCES)
            why = EACCES;
        else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE && errno != ENODEV &&
                 errno != ETIMEDOUT) {
            why = errno;
            break;
        }
    }
    child_report(l, STAGE_EXEC, why);
    _exit(127);
}

/* Forks with every signal blocked, so that no handler of the builder runs
 * in the child before child_setup has reset them. */
static pid_t
launch_fork(const struct launch *l)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0)
        child_run(l);
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return pid;
}

/* Why the child could not exec, if it says so before the report pipe
 * closes (at exec). Returns 0 when it runs, else -1 with err set. */
static int
await_exec(const struct launch *l, int report, struct ab_error *err)
{
    int msg[2];
    size_t got = 0;
    while (got < sizeof(msg)) {
        ssize_t n = read(report, (char *)msg + got, sizeof(msg) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof(msg))
        return 0;
    const char *what = msg[0] == STAGE_CHROOT ? l->chroot : msg[0] == STAGE_CWD ? l->cwd : NULL;
    if (what)
        return ab_build_error(err, msg[1], "cannot enter '%s': %s", what, strerror(msg[1]));
    if (msg[0] == STAGE_PREPARE)
        return ab_build_error(err, msg[1], "cannot %s for '%s': %s",
                              l->prepare_what ? l->prepare_what : "prepare", l->argv[0],
                              strerror(msg[1]));
    return ab_build_error(err, msg[1], "cannot run '%s': %s", l->argv[0], strerror(msg[1]));
}

static void
close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void
spawn_close(struct spawn_child *c)
{
    close_fd(&c->in_fd);
    close_fd(&c->out_fd);
    close_fd(&c->err_fd);
}

int
spawn_reap(struct spawn_child *c, bool block)
{
    if (c->pid <= 0)
        return 1;
    /* Waited for without reaping first: the pid stays ours, and so its
     * group for spawn_kill_all, until it is forgotten. */
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    int r;
    while ((r = waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOWAIT | (block ? 0 : WNOHANG))) <
               0 &&
           errno == EINTR)
        ;
    if (r == 0 && info.si_pid == 0)
        return 0;
    forget(c->pid);
    c->status = 0;
    while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR)
        ;
    c->pid = 0;
    return 1;
}

void
spawn_signal(const struct spawn_child *c, int sig)
{
    if (c->pid > 0)
        kill(-c->pid, sig);
}

/* Forks l's child into c, registered in slot, then waits for its exec. */
static int
launch_start(struct launch *l, struct spawn_child *c, struct ab_error *err)
{
    int report[2] = {-1, -1};
    struct slot *slot = slot_reserve();
    if (!slot)
        return ab_oom(err);
    if (!l->fn && pipe2(report, O_CLOEXEC) < 0) {
        slot_release(slot);
        return ab_build_error(err, errno, "cannot run '%s': %s", l->argv[0], strerror(errno));
    }
    l->report = report[1];
    l->parent = getpid();
    pid_t pid = launch_fork(l);
    int e = errno;
    close_fd(&report[1]);
    if (pid < 0) {
        slot_release(slot);
        close_fd(&report[0]);
        if (l->fn)
            return ab_build_error(err, e, "cannot fork: %s", strerror(e));
        return ab_build_error(err, e, "cannot run '%s': %s", l->argv[0], strerror(e));
    }
    setpgid(pid, pid); /* also here: the group exists before any kill */
    slot_fill(slot, pid);
    c->pid = pid;
    int r = l->fn ? 0 : await_exec(l, report[0], err);
    close_fd(&report[0]);
    if (r < 0)
        spawn_reap(c, true);
    return r;
}

/* The pipes of flags, the caller's ends into c, the child's into l->fd;
 * /dev/null for the others. */
static int
open_pipes(struct launch *l, unsigned flags, struct spawn_child *c, int null[2])
{
    static const unsigned want[3] = {SPAWN_STDIN_PIPE, SPAWN_STDOUT_PIPE, SPAWN_STDERR_PIPE};
    int *mine[3] = {&c->in_fd, &c->out_fd, &c->err_fd};
    if ((null[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 ||
        (null[1] = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        int p[2];
        l->fd[i] = null[i == 0 ? 0 : 1];
        if (!(flags & want[i]))
            continue;
        if (pipe2(p, O_CLOEXEC) < 0)
            return -1;
        *mine[i] = p[i == 0 ? 1 : 0];
        l->fd[i] = p[i == 0 ? 0 : 1];
    }
    return 0;
}

/* The child's ends, once it has them. */
static void
close_child_ends(struct launch *l, const struct spawn_child *c, int null[2])
{
    const int *mine[3] = {&c->in_fd, &c->out_fd, &c->err_fd};
    for (int i = 0; i < 3; i++)
        if (*mine[i] >= 0 && l->fd[i] >= 0)
            close(l->fd[i]);
    close_fd(&null[0]);
    close_fd(&null[1]);
}

int
spawn_start(const char *const *argv, const struct spawn_opts *o, unsigned flags,
            struct spawn_child *c, struct ab_error *err)
{
    struct launch l = {.argv = argv,
                       .chroot = o ? o->chroot : NULL,
                       .cwd = o ? o->cwd : NULL,
                       .fd = {-1, -1, -1},
                       .report = -1,
                       .die_with_parent = flags & SPAWN_DIE_WITH_PARENT,
                       .prepare = o ? o->prepare : NULL,
                       .prepare_arg = o ? o->prepare_arg : NULL,
                       .prepare_what = o ? o->prepare_what : NULL};
    int null[2] = {-1, -1};
    *c = (struct spawn_child)SPAWN_CHILD_INIT;
    if (stop_requested())
        return ab_build_error(err, EINTR, "interrupted");
    if (!argv[0] || !*argv[0])
        return ab_build_error(err, EINVAL, "cannot run a program without a name");
    if (!(o && o->quiet_argv))
        log_argv(argv, o);
    const char *const *ctx_env = o && o->ctx ? o->ctx->env : NULL;
    const char *const *env = o ? o->env : NULL;
    if (make_envp(&l, ctx_env, env) < 0 || make_paths(&l, argv[0], ctx_env, env) < 0) {
        launch_release(&l);
        return ab_oom(err);
    }
    int r = 0;
    if (open_pipes(&l, flags, c, null) < 0)
        r = ab_build_error(err, errno, "cannot run '%s': %s", argv[0], strerror(errno));
    if (log_of(o))
        fflush(log_of(o));
    if (r == 0)
        r = launch_start(&l, c, err);
    close_child_ends(&l, c, null);
    launch_release(&l);
    if (r < 0)
        spawn_close(c);
    return r;
}

int
spawn_fork_fn(int (*fn)(void *arg), void *arg, struct spawn_child *c, struct ab_error *err)
{
    struct launch l = {.fn = fn, .arg = arg, .fd = {-1, -1, -1}, .report = -1};
    *c = (struct spawn_child)SPAWN_CHILD_INIT;
    if (stop_requested())
        return ab_build_error(err, EINTR, "interrupted");
    fflush(NULL);
    return launch_start(&l, c, err);
}

/* Keeps the last TAIL_SIZE bytes of what the child said, for errors. */
static void
keep_tail(char *tail, size_t *len, const char *buf, size_t n)
{
    if (n >= TAIL_SIZE) {
        memcpy(tail, buf + n - TAIL_SIZE, TAIL_SIZE);
        *len = TAIL_SIZE;
        return;
    }
    if (*len + n > TAIL_SIZE) {
        size_t drop = *len + n - TAIL_SIZE;
        memmove(tail, tail + drop, *len - drop);
        *len -= drop;
    }
    memcpy(tail + *len, buf, n);
    *len += n;
}

#define CAUSE_LINES 4
#define LINE_SIZE 512

struct pump {
    int in_fd, out_fd, err_fd;
    const char *input;
    size_t input_left;
    int input_broken; /* the child closed its stdin: SIGPIPE is pending */
    char *out;
    size_t out_len;
    char tail[TAIL_SIZE];
    size_t tail_len;
    const char *cause;       /* spawn_opts.cause */
    FILE *log;               /* spawn_opts.ctx's, or NULL */
    char line[2][LINE_SIZE]; /* the line being read, from stderr and stdout */
    size_t line_len[2];
    char causes[TAIL_SIZE]; /* the first CAUSE_LINES lines starting with cause */
    size_t causes_len;
    int n_causes;
};

/* Keeps the first lines of the tool's output that start with p->cause. */
static void
keep_causes(struct pump *p, int is_stdout, const char *buf, size_t n)
{
    char *line = p->line[is_stdout];
    size_t *len = &p->line_len[is_stdout], plen = strlen(p->cause);
    for (size_t i = 0; i < n && p->n_causes < CAUSE_LINES; i++) {
        if (buf[i] != '\n') {
            if (*len < LINE_SIZE)
                line[(*len)++] = buf[i];
            continue;
        }
        if (*len >= plen && memcmp(line, p->cause, plen) == 0 &&
            p->causes_len + *len + 1 <= sizeof(p->causes)) {
            memcpy(p->causes + p->causes_len, line, *len);
            p->causes_len += *len;
            p->causes[p->causes_len++] = '\n';
            p->n_causes++;
        }
        *len = 0;
    }
}

static int
pump_read(struct pump *p, int *fd, int is_stdout)
{
    char buf[65536];
    ssize_t n = read(*fd, buf, sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0) {
        close(*fd);
        *fd = -1;
        return 0;
    }
    if (is_stdout && p->out) {
        char *grown = realloc(p->out, p->out_len + (size_t)n + 1);
        if (!grown)
            return -1;
        p->out = grown;
        memcpy(p->out + p->out_len, buf, (size_t)n);
        p->out_len += (size_t)n;
        p->out[p->out_len] = '\0';
        return 0;
    }
    keep_tail(p->tail, &p->tail_len, buf, (size_t)n);
    if (p->cause)
        keep_causes(p, is_stdout, buf, (size_t)n);
    if (p->log)
        fwrite(buf, 1, (size_t)n, p->log);
    return 0;
}

static void
pump_write(struct pump *p)
{
    ssize_t n = write(p->in_fd, p->input, p->input_left);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n < 0 && errno == EPIPE)
        p->input_broken = 1;
    if (n <= 0 || (size_t)n == p->input_left) {
        close(p->in_fd);
        p->in_fd = -1;
        return;
    }
    p->input += n;
    p->input_left -= (size_t)n;
}

static int
pump_all(struct pump *p)
{
    while (p->out_fd >= 0 || p->err_fd >= 0) {
        struct pollfd fds[3] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0},
                                {p->in_fd, POLLOUT, 0}};
        if (poll(fds, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (fds[0].revents && pump_read(p, &p->out_fd, 1) < 0)
            return -1;
        if (fds[1].revents && pump_read(p, &p->err_fd, 0) < 0)
            return -1;
        if (fds[2].revents && p->in_fd >= 0)
            pump_write(p);
    }
    return 0;
}

/* pump_all with SIGPIPE blocked in this thread: a child that exits
 * without reading its input makes write() fail with EPIPE instead of
 * killing the builder. */
static int
pump_all_guarded(struct pump *p)
{
    sigset_t old;
    if (sigpipe_block(&old) < 0)
        return -1;
    int r = pump_all(p);
    sigpipe_restore(&old, p->input_broken);
    return r;
}

static int
report_failure(const char *tool, int status, struct pump *p, struct ab_error *err)
{
    /* The lines marked as errors, else the last three, say why in the
     * tool's own words. */
    char *why = p->causes_len ? p->causes : p->tail;
    size_t len = p->causes_len ? p->causes_len : p->tail_len;
    while (len && (why[len - 1] == '\n' || why[len - 1] == ' '))
        len--;
    size_t start = p->causes_len ? 0 : len;
    for (int lines = 0; start > 0 && lines < 3; start--)
        if (why[start - 1] == '\n' && ++lines == 3)
            break;
    char how[64];
    if (WIFEXITED(status))
        snprintf(how, sizeof(how), "exit %d", WEXITSTATUS(status));
    else
        snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
    CLEANUP_FREE char *text = strndup(why + start, len - start);
    CLEANUP_FREE char *shown = text ? redact(text) : NULL;
    if (!shown)
        return ab_oom(err);
    return ab_build_error(err, 0, "'%s' failed (%s)%s%s", tool, how, *shown ? ": " : "", shown);
}

/* The child's pipes, read and written until it closes its output. */
static int
pump_child(struct spawn_child *c, const struct spawn_opts *o, struct pump *p)
{
    p->in_fd = c->in_fd;
    p->out_fd = c->out_fd;
    p->err_fd = c->err_fd;
    /* Never block on the child's stdin while its output waits unread. */
    if (p->in_fd >= 0)
        fcntl(p->in_fd, F_SETFL, fcntl(p->in_fd, F_GETFL) | O_NONBLOCK);
    p->input = o ? o->input : NULL;
    p->input_left = o && o->input ? o->input_len : 0;
    p->cause = o ? o->cause : NULL;
    p->log = log_of(o);
    int r = pump_all_guarded(p);
    int e = errno;
    c->in_fd = p->in_fd;
    c->out_fd = p->out_fd;
    c->err_fd = p->err_fd;
    spawn_close(c);
    errno = e;
    return r;
}

int
spawn_run(const char *const *argv, const struct spawn_opts *o, struct ab_error *err)
{
    struct spawn_child c = SPAWN_CHILD_INIT;
    unsigned flags = SPAWN_STDOUT_PIPE | SPAWN_STDERR_PIPE | (o && o->input ? SPAWN_STDIN_PIPE : 0);
    struct pump pump = {.out = NULL}, *p = &pump;
    if (o && o->output && !(p->out = calloc(1, 1)))
        return ab_oom(err);
    if (spawn_start(argv, o, flags, &c, err) < 0) {
        free(p->out);
        return -1;
    }
    int pr = pump_child(&c, o, p);
    int e = errno;
    spawn_reap(&c, true);
    if (log_of(o))
        fflush(log_of(o));
    if (pr < 0) {
        free(p->out);
        return ab_build_error(err, e, "cannot run '%s': %s", argv[0], strerror(e));
    }
    int code = WIFEXITED(c.status) ? WEXITSTATUS(c.status) : -1;
    if (code != 0 && (code < 0 || code >= 32 || !o || !(o->ok_exits & (1u << code)))) {
        free(p->out);
        return report_failure(argv[0], c.status, p, err);
    }
    if (o && o->exit_status)
        *o->exit_status = code;
    if (o && o->output)
        *o->output = p->out;
    else
        free(p->out);
    return 0;
}

void
spawn_argv_add(struct spawn_argv *a, const char *word)
{
    if (a->failed)
        return;
    if (a->n + 2 > a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        const char **grown = realloc(a->v, cap * sizeof(*grown));
        if (!grown) {
            a->failed = true;
            return;
        }
        a->v = grown;
        a->cap = cap;
    }
    a->v[a->n++] = word;
    a->v[a->n] = NULL;
}

void
spawn_argv_release(struct spawn_argv *a)
{
    free(a->v);
    *a = (struct spawn_argv)SPAWN_ARGV_INIT;
}

/* spawn_run of first and the words after it, up to the NULL. */
static int
run_words(const struct spawn_opts *o, struct ab_error *err, const char *first, va_list ap)
{
    CLEANUP_SPAWN_ARGV struct spawn_argv a = SPAWN_ARGV_INIT;
    for (const char *w = first; w; w = va_arg(ap, const char *))
        spawn_argv_add(&a, w);
    if (a.failed || !a.v)
        return a.failed ? ab_oom(err) : ab_build_error(err, EINVAL, "no command to run");
    return spawn_run(a.v, o, err);
}

int
spawn_cmd(const struct spawn_ctx *ctx, struct ab_error *err, const char *first, ...)
{
    struct spawn_opts o = {.ctx = ctx};
    va_list ap;
    va_start(ap, first);
    int r = run_words(&o, err, first, ap);
    va_end(ap);
    return r;
}

