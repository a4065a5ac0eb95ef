/* kvm.c: probe whether qemu can run a guest with KVM. */
#include "appliance/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/clock.h"
#include "appliance/spawn.h"

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

/* Reads the child's stderr until it closes or the deadline passes;
 * keeps its first line. Returns false on timeout. */
static bool
read_stderr(int fd, char *line, size_t size)
{
    char buf[4096];
    size_t used = 0;
    double deadline = mono_now() + PROBE_TIMEOUT_MS / 1000.0;
    for (;;) {
        int left = (int)((deadline - mono_now()) * 1000);
        struct pollfd pfd = {fd, POLLIN, 0};
        if (left <= 0 || poll(&pfd, 1, left) == 0)
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

static void
run_qemu_probe(struct kvm_probe *p)
{
    const char *const argv[] = {kvm_qemu_binary(), "-machine", "accel=kvm", "-cpu", "host",
                                "-display", "none", "-nodefaults", "-S", "-monitor", "stdio",
                                "-serial", "none", NULL};
    struct spawn_child c;
    struct ab_error err = AB_ERROR_INIT;
    if (spawn_start(argv, NULL, SPAWN_STDIN_PIPE | SPAWN_STDERR_PIPE, &c, &err) < 0) {
        p->state = KVM_NO_QEMU;
        snprintf(p->detail, sizeof(p->detail), "%s",
                 err.n_diags ? err.diags[0].msg : strerror(err.errnum));
        ab_error_release(&err);
        return;
    }
    /* "quit" waits in the pipe; qemu reads it once its monitor is up. A
     * qemu that aborted at once (as it does when KVM is broken) has closed
     * it already: that is EPIPE, never SIGPIPE. */
    spawn_write(c.in_fd, "quit\n", 5);
    bool done = read_stderr(c.err_fd, p->detail, sizeof(p->detail));
    if (!done)
        spawn_signal(&c, SIGKILL);
    spawn_close(&c);
    spawn_reap(&c, true);
    if (!done)
        snprintf(p->detail, sizeof(p->detail), "qemu did not quit within %d s",
                 PROBE_TIMEOUT_MS / 1000);
    if (done && WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0)
        p->state = KVM_USABLE;
    else
        p->state = KVM_BROKEN;
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
