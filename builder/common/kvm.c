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
#include <time.h>
#include <unistd.h>

#include "appliance/cleanup.h"

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
    static unsigned char fw[65536];
    /* At F000:FFF0: mov al, 0x2a; out 0xf4, al; hlt; jmp $-3. */
    static const unsigned char reset[] = {0xb0, 0x2a, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd};
    memset(fw, 0xf4, sizeof(fw));
    memcpy(fw + sizeof(fw) - 16, reset, sizeof(reset));
    if (write(fd, fw, sizeof(fw)) != (ssize_t)sizeof(fw)) {
        unlink(path);
        return -1;
    }
    return 0;
}

/* Between fork and exec: the kernel's (or the firmware's) qemu with its
 * serial port and stderr on out_fd. */
static void
child_exec(const char *kernel, const char *firmware, int out_fd)
{
    const char *qemu = kvm_qemu_binary();
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0)
        dup2(null, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    if (kernel[0])
        execlp(qemu, qemu, "-machine", "accel=kvm", "-cpu", "host", "-m", "256", "-display", "none",
               "-nodefaults", "-no-reboot", "-serial", "stdio", "-kernel", kernel, "-append",
               "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1", (char *)NULL);
    else
        execlp(qemu, qemu, "-machine", "accel=kvm", "-cpu", "host", "-m", "16", "-display", "none",
               "-nodefaults", "-serial", "none", "-bios", firmware, "-device",
               "isa-debug-exit,iobase=0xf4,iosize=1", (char *)NULL);
    dprintf(out_fd, "cannot run %s: %s\n", qemu, strerror(errno));
    _exit(127);
}

enum probe_read { PROBE_EOF, PROBE_BANNER_SEEN, PROBE_TIMEOUT };

/* Reads the child's output until it closes, shows the banner or the
 * deadline passes; keeps its first line (qemu's error, if it failed). */
static enum probe_read
read_output(int fd, char *line, size_t size)
{
    char buf[8192];
    size_t used = 0;
    enum probe_read r = PROBE_EOF;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        struct pollfd pfd = {fd, POLLIN, 0};
        if (spent >= PROBE_TIMEOUT_MS || poll(&pfd, 1, (int)(PROBE_TIMEOUT_MS - spent)) == 0) {
            r = PROBE_TIMEOUT;
            break;
        }
        ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
        buf[used] = '\0';
        if (memmem(buf, used, PROBE_BANNER, strlen(PROBE_BANNER))) {
            r = PROBE_BANNER_SEEN;
            break;
        }
        if (used == sizeof(buf) - 1) /* keep the first line, look at the rest */
            used = strcspn(buf, "\n") + 1 < used ? strcspn(buf, "\n") + 1 : used;
    }
    buf[used] = '\0';
    size_t l = strcspn(buf, "\n");
    if (l >= size)
        l = size - 1;
    memcpy(line, buf, l);
    line[l] = '\0';
    return r;
}

static void
run_qemu_probe(struct kvm_probe *p)
{
    char kernel[512], firmware[4096] = "";
    int out[2];
    probe_kernel(kernel, sizeof(kernel));
    if (!kernel[0] && write_probe_firmware(firmware, sizeof(firmware)) < 0)
        goto fail;
    if (pipe2(out, O_CLOEXEC) < 0)
        goto fail;
    pid_t pid = fork();
    if (pid == 0)
        child_exec(kernel, firmware, out[1]);
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        goto fail;
    }
    enum probe_read r = read_output(out[0], p->detail, sizeof(p->detail));
    if (r != PROBE_EOF)
        kill(pid, SIGKILL);
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (firmware[0])
        unlink(firmware);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        p->state = KVM_NO_QEMU;
    else if (r == PROBE_BANNER_SEEN ||
             (firmware[0] && WIFEXITED(status) && WEXITSTATUS(status) == PROBE_EXIT_STATUS))
        p->state = KVM_USABLE;
    else
        p->state = KVM_BROKEN;
    if (p->state == KVM_USABLE)
        p->detail[0] = '\0';
    else if (r == PROBE_TIMEOUT)
        snprintf(p->detail, sizeof(p->detail),
                 "qemu started with KVM, but its guest did not boot within %d s",
                 PROBE_TIMEOUT_MS / 1000);
    return;
fail:
    if (firmware[0])
        unlink(firmware);
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
