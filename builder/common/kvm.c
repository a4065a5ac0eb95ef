/* kvm.c: probe whether qemu can run a guest with KVM. */
#include "appliance/kvm.h"

#include <dirent.h>
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

#define PROBE_TIMEOUT_MS 5000

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

/* The probe boots the host's kernel (the one libguestfs boots too) with
 * accel=kvm and waits for its "Linux version" line on the serial port.
 * Starting qemu proves nothing: on some hosts /dev/kvm opens, qemu starts
 * and SeaBIOS runs, but the kernel's real-mode setup never finishes, and
 * every libguestfs launch then hangs for good. With KVM working the line
 * comes within a second. Without a kernel in /boot, the guest is a
 * seven-byte firmware that exits through an isa-debug-exit port: it
 * catches qemu's aborts ("failed to set MSR 0x10a"), not that hang. */
#define PROBE_BANNER "Linux version"
#define PROBE_EXIT_STATUS ((0x2a << 1) | 1)

/* The newest /boot/vmlinuz-*, or "" when there is none. */
static void
probe_kernel(char *path, size_t size)
{
    path[0] = '\0';
    DIR *d = opendir("/boot");
    struct dirent *e;
    char best[256] = "";
    while (d && (e = readdir(d)))
        if (strncmp(e->d_name, "vmlinuz-", 8) == 0 && strlen(e->d_name) < sizeof(best) &&
            strverscmp(e->d_name, best) > 0)
            snprintf(best, sizeof(best), "%s", e->d_name);
    if (d)
        closedir(d);
    if (best[0])
        snprintf(path, size, "/boot/%s", best);
    if (path[0] && access(path, R_OK) < 0)
        path[0] = '\0';
}

static int
write_probe_firmware(char *path, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    if (snprintf(path, size, "%s/appliance-kvm-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp") >=
        (int)size)
        return -1;
    CLEANUP_CLOSE int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0)
        return -1;
    /* Made per probe (no buffer shared between threads probing at once). */
    enum { FW_SIZE = 65536 };
    CLEANUP_FREE unsigned char *fw = malloc(FW_SIZE);
    /* At F000:FFF0: mov al, 0x2a; out 0xf4, al; hlt; jmp $-3. */
    static const unsigned char reset[] = {0xb0, 0x2a, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd};
    if (fw) {
        memset(fw, 0xf4, FW_SIZE);
        memcpy(fw + FW_SIZE - 16, reset, sizeof(reset));
    }
    if (!fw || write(fd, fw, FW_SIZE) != (ssize_t)FW_SIZE) {
        unlink(path);
        return -1;
    }
    return 0;
}

enum probe_read { PROBE_EOF, PROBE_BANNER_SEEN, PROBE_TIMEOUT };

/* Reads the guest's serial port (fds[0], qemu's stdout) and qemu's stderr
 * (fds[1]) until both close, the banner shows or the deadline passes;
 * keeps stderr's first line (qemu's error, if it failed). */
static enum probe_read
read_output(const int fds[2], char *line, size_t size)
{
    char serial[8192], err[4096];
    size_t n_serial = 0, n_err = 0;
    struct pollfd pfd[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    double deadline = mono_now() + PROBE_TIMEOUT_MS / 1000.0;
    enum probe_read r = PROBE_EOF;
    while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
        int left = (int)((deadline - mono_now()) * 1000);
        if (left <= 0 || poll(pfd, 2, left) == 0) {
            r = PROBE_TIMEOUT;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (pfd[i].fd < 0 || !pfd[i].revents)
                continue;
            char *buf = i ? err : serial, spill[4096];
            size_t *used = i ? &n_err : &n_serial, cap = i ? sizeof(err) : sizeof(serial);
            if (!i && *used == cap - 1) /* the banner is at the serial port's tail */
                *used = 0;
            bool full = *used == cap - 1; /* stderr: its head is kept, the rest read away */
            ssize_t n = full ? read(pfd[i].fd, spill, sizeof(spill))
                             : read(pfd[i].fd, buf + *used, cap - 1 - *used);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                pfd[i].fd = -1;
                continue;
            }
            if (!full)
                *used += (size_t)n;
            buf[*used] = '\0';
        }
        if (memmem(serial, n_serial, PROBE_BANNER, strlen(PROBE_BANNER))) {
            r = PROBE_BANNER_SEEN;
            break;
        }
    }
    err[n_err] = '\0';
    size_t l = strcspn(err, "\n");
    if (l >= size)
        l = size - 1;
    memcpy(line, err, l);
    line[l] = '\0';
    return r;
}

static void
run_qemu_probe(struct kvm_probe *p, const struct spawn_ctx *ctx)
{
    char kernel[512], firmware[4096] = "", device[] = "isa-debug-exit,iobase=0xf4,iosize=1";
    probe_kernel(kernel, sizeof(kernel));
    if (!kernel[0] && write_probe_firmware(firmware, sizeof(firmware)) < 0) {
        p->state = KVM_NO_QEMU;
        snprintf(p->detail, sizeof(p->detail), "cannot write the probe's firmware: %s",
                 strerror(errno));
        return;
    }
    const char *const boot[] = {kvm_qemu_binary(), "-machine", "accel=kvm", "-cpu", "host", "-m",
                                "256", "-display", "none", "-nodefaults", "-no-reboot", "-serial",
                                "stdio", "-kernel", kernel, "-append",
                                "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1", NULL};
    const char *const bare[] = {kvm_qemu_binary(), "-machine", "accel=kvm", "-cpu", "host", "-m",
                                "16", "-display", "none", "-nodefaults", "-serial", "none",
                                "-bios", firmware, "-device", device, NULL};
    struct spawn_child c;
    struct ab_error err = AB_ERROR_INIT;
    const struct spawn_opts o = {.ctx = ctx};
    if (spawn_start(kernel[0] ? boot : bare, &o, SPAWN_STDOUT_PIPE | SPAWN_STDERR_PIPE, &c, &err) <
        0) {
        if (firmware[0])
            unlink(firmware);
        p->state = KVM_NO_QEMU;
        snprintf(p->detail, sizeof(p->detail), "%s",
                 err.n_diags ? err.diags[0].msg : strerror(err.errnum));
        ab_error_release(&err);
        return;
    }
    const int fds[2] = {c.out_fd, c.err_fd};
    enum probe_read r = read_output(fds, p->detail, sizeof(p->detail));
    if (r != PROBE_EOF)
        spawn_signal(&c, SIGKILL);
    spawn_close(&c);
    spawn_reap(&c, true);
    if (firmware[0])
        unlink(firmware);
    if (r == PROBE_BANNER_SEEN ||
        (firmware[0] && WIFEXITED(c.status) && WEXITSTATUS(c.status) == PROBE_EXIT_STATUS))
        p->state = KVM_USABLE;
    else
        p->state = KVM_BROKEN;
    if (p->state == KVM_USABLE)
        p->detail[0] = '\0';
    else if (r == PROBE_TIMEOUT)
        snprintf(p->detail, sizeof(p->detail),
                 "qemu started with KVM, but its guest did not boot within %d s",
                 PROBE_TIMEOUT_MS / 1000);
}

void
kvm_probe(struct kvm_probe *p, const struct spawn_ctx *ctx)
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
    run_qemu_probe(p, ctx);
}
