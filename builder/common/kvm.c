/* kvm.c: probe whether qemu can run a guest with KVM. */
#include "appliance/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appliance/cleanup.h"

#define PROBE_TIMEOUT_MS 10000

const char *
kvm_qemu_binary(void)
{
    const char *q = getenv("APPLIANCE_QEMU");
    return q && *q ? q : "qemu-system-x86_64";
}

const char *
kvm_state_reason(enum kvm_state s)
{
    switch (s) {
    case KVM_USABLE:
        return "KVM is usable";
    case KVM_MISSING:
        return "no /dev/kvm";
    case KVM_NO_ACCESS:
        return "/dev/kvm cannot be opened";
    case KVM_BROKEN:
        return "KVM cannot run a guest here";
    case KVM_NO_QEMU:
        return "qemu cannot be started";
    }
    return "?";
}

static void
child_exec(int in_fd, int err_fd)
{
    const char *qemu = kvm_qemu_binary();
    dup2(in_fd, STDIN_FILENO);
    dup2(err_fd, STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0)
        dup2(null, STDOUT_FILENO);
    execlp(qemu, qemu, "-machine", "accel=kvm", "-cpu", "host", "-display", "none",
           "-nodefaults", "-S", "-monitor", "stdio", "-serial", "none", (char *)NULL);
    dprintf(err_fd, "cannot run %s: %s\n", qemu, strerror(errno));
    _exit(127);
}

/* Reads the child's stderr until it closes or the deadline passes;
 * keeps its first line. Returns false on timeout. */
static bool
read_stderr(int fd, char *line, size_t size)
{
    char buf[4096];
    size_t used = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        struct pollfd pfd = {fd, POLLIN, 0};
        if (spent >= PROBE_TIMEOUT_MS || poll(&pfd, 1, (int)(PROBE_TIMEOUT_MS - spent)) == 0)
            return false;
        ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == sizeof(buf) - 1)
            break;
    }
    buf[used] = '\0';
    size_t l = strcspn(buf, "\n");
    if (l >= size)
        l = size - 1;
    memcpy(line, buf, l);
    line[l] = '\0';
    return true;
}

/* Writes "quit" to qemu's monitor. A qemu that aborted at once (as it
 * does when KVM is broken) has closed the pipe already: the write must
 * fail with EPIPE, not kill the caller with SIGPIPE. */
static void
write_quit(int fd)
{
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigset_t pending;
    bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    if (write(fd, "quit\n", 5) < 0 && errno == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_set, NULL, &zero); /* the SIGPIPE that write raised */
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void
run_qemu_probe(struct kvm_probe *p)
{
    int in[2], err[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        goto fail;
    if (pipe2(err, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        goto fail;
    }
    pid_t pid = fork();
    if (pid == 0)
        child_exec(in[0], err[1]);
    close(in[0]);
    close(err[1]);
    if (pid < 0) {
        close(in[1]);
        close(err[0]);
        goto fail;
    }
    /* "quit" waits in the pipe; qemu reads it once its monitor is up. */
    write_quit(in[1]);
    bool done = read_stderr(err[0], p->detail, sizeof(p->detail));
    if (!done)
        kill(pid, SIGKILL);
    close(in[1]);
    close(err[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!done)
        snprintf(p->detail, sizeof(p->detail), "qemu did not quit within %d s",
                 PROBE_TIMEOUT_MS / 1000);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        p->state = KVM_NO_QEMU;
    else if (done && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        p->state = KVM_USABLE;
    else
        p->state = KVM_BROKEN;
    return;
fail:
    p->state = KVM_NO_QEMU;
    snprintf(p->detail, sizeof(p->detail), "%s", strerror(errno));
}

void
kvm_probe(struct kvm_probe *p)
{
    memset(p, 0, sizeof(*p));
    if (access("/dev/kvm", F_OK) < 0) {
        p->state = KVM_MISSING;
        snprintf(p->detail, sizeof(p->detail), "%s", strerror(errno));
        return;
    }
    CLEANUP_CLOSE int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        p->state = KVM_NO_ACCESS;
        snprintf(p->detail, sizeof(p->detail), "%s", strerror(errno));
        return;
    }
    run_qemu_probe(p);
}
