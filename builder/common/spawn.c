/* spawn.c: running the tools the build relies on. */
#include "appliance/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/redact.h"

#define TAIL_SIZE 2048
#define MAX_CHILDREN 16

static FILE *log_file;
static void (*echo_fn)(void *ctx, const char *line);
static void *echo_ctx;
static volatile pid_t children[MAX_CHILDREN];
static volatile sig_atomic_t stopping; /* spawn_kill_all was called */

void
spawn_set_log(FILE *log)
{
    log_file = log;
}

static void
track(pid_t pid, int add)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (add ? children[i] == 0 : children[i] == pid) {
            children[i] = add ? pid : 0;
            return;
        }
    }
}

void
spawn_adopt(pid_t pid)
{
    track(pid, 1);
    if (stopping)
        kill(-pid, SIGTERM);
}

void
spawn_forget(pid_t pid)
{
    track(pid, 0);
}

void
spawn_kill_all(int sig)
{
    stopping = 1;
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0)
            kill(-children[i], sig);
}

int
spawn_have(const char *program)
{
    const char *path = getenv("PATH");
    if (strchr(program, '/'))
        return access(program, X_OK) == 0;
    CLEANUP_FREE char *copy = strdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
    for (char *dir = strtok(copy, ":"); dir; dir = strtok(NULL, ":")) {
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", dir, program);
        if (access(full, X_OK) == 0)
            return 1;
    }
    return 0;
}

void
spawn_set_echo(void (*echo)(void *ctx, const char *line), void *ctx)
{
    echo_fn = echo;
    echo_ctx = ctx;
}

/* The command line, with the values of secret-looking words hidden. */
static void
log_argv(const char *const *argv, const struct spawn_opts *o)
{
    if (!log_file && !echo_fn)
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
    const char *prefix = o && o->chroot ? "+ [chroot] " : "+ ";
    if (log_file) {
        fprintf(log_file, "%s%s\n", prefix, shown);
        fflush(log_file);
    }
    if (echo_fn) {
        CLEANUP_FREE char *echoed = NULL;
        if (asprintf(&echoed, "%s%s", prefix, shown) >= 0)
            echo_fn(echo_ctx, echoed);
    }
}

static void __attribute__((noreturn))
child(const char *const *argv, const struct spawn_opts *o, int in_fd, int out_fd, int err_fd)
{
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    if (o && o->env)
        for (const char *const *e = o->env; *e; e++)
            putenv((char *)*e);
    if (o && o->chroot && (chroot(o->chroot) < 0 || chdir("/") < 0)) {
        dprintf(STDERR_FILENO, "cannot enter %s: %s\n", o->chroot, strerror(errno));
        _exit(126);
    }
    if (o && o->cwd && chdir(o->cwd) < 0) {
        dprintf(STDERR_FILENO, "cannot enter %s: %s\n", o->cwd, strerror(errno));
        _exit(126);
    }
    execvp(argv[0], (char *const *)argv);
    dprintf(STDERR_FILENO, "cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
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
    if (log_file)
        fwrite(buf, 1, (size_t)n, log_file);
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
    if (p->in_fd >= 0)
        close(p->in_fd);
    return 0;
}

/* pump_all with SIGPIPE blocked in this thread: a child that exits
 * without reading its input makes write() fail with EPIPE instead of
 * killing the builder. The signal that write() raised is taken back
 * before the mask is restored. Blocked only after fork, so children
 * start with the caller's mask. */
static int
pump_all_guarded(struct pump *p)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipe_set, &old) != 0)
        return -1;
    int r = pump_all(p);
    if (p->input_broken && !sigismember(&old, SIGPIPE)) {
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
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

int
spawn_run(const char *const *argv, const struct spawn_opts *o, struct ab_error *err)
{
    int in[2] = {-1, -1}, out[2], errp[2];
    if (stopping)
        return ab_build_error(err, EINTR, "interrupted");
    if (!(o && o->quiet_argv))
        log_argv(argv, o);
    if (o && o->input && pipe2(in, O_CLOEXEC) < 0)
        return ab_build_error(err, errno, "cannot run '%s': %s", argv[0], strerror(errno));
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
        return ab_build_error(err, errno, "cannot run '%s': %s", argv[0], strerror(errno));
    pid_t pid = fork();
    if (pid == 0)
        child(argv, o, in[0] >= 0 ? in[0] : null, out[1], errp[1]);
    if (pid > 0) {
        setpgid(pid, pid); /* also here: the group exists before any kill */
        spawn_adopt(pid);
    }
    close(out[1]);
    close(errp[1]);
    close(null);
    if (in[0] >= 0)
        close(in[0]);
    /* Never block on the child's stdin while its output waits unread. */
    if (in[1] >= 0)
        fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    struct pump p = {.in_fd = in[1],
                     .out_fd = out[0],
                     .err_fd = errp[0],
                     .input = o ? o->input : NULL,
                     .input_left = o && o->input ? o->input_len : 0,
                     .cause = o ? o->cause : NULL};
    if (o && o->output && !(p.out = calloc(1, 1)))
        return ab_oom(err);
    int pr = pid > 0 ? pump_all_guarded(&p) : -1;
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    track(pid, 0);
    if (log_file)
        fflush(log_file);
    if (pid < 0 || pr < 0) {
        free(p.out);
        return ab_build_error(err, errno, "cannot run '%s': %s", argv[0], strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        free(p.out);
        return report_failure(argv[0], status, &p, err);
    }
    if (o && o->output)
        *o->output = p.out;
    return 0;
}

#define MAX_ARGS 64

static void
collect_args(const char **argv, const char *first, va_list ap)
{
    size_t n = 0;
    for (const char *a = first; a && n < MAX_ARGS - 1; a = va_arg(ap, const char *))
        argv[n++] = a;
    argv[n] = NULL;
}

int
spawn_cmd(struct ab_error *err, const char *first, ...)
{
    const char *argv[MAX_ARGS];
    va_list ap;
    va_start(ap, first);
    collect_args(argv, first, ap);
    va_end(ap);
    return spawn_run(argv, NULL, err);
}

int
spawn_chroot(const char *root, struct ab_error *err, const char *first, ...)
{
    const char *argv[MAX_ARGS];
    struct spawn_opts o = {.chroot = root};
    va_list ap;
    va_start(ap, first);
    collect_args(argv, first, ap);
    va_end(ap);
    return spawn_run(argv, &o, err);
}
