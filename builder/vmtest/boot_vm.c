/* boot_vm.c: qemu with overlays over the shipped disks, its console read
 * through a pipe. */
#include "appliance/boot_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/kvm.h"
#include "appliance/spawn.h"

#define LOG_LIMIT (32u << 20) /* console kept in memory; older halves dropped */
#define STOP_GRACE_MS 3000

/* Debian's UEFI builds, by arch_index(): the ovmf package's for x86_64
 * (the 4 MiB build first), qemu-efi-aarch64's AAVMF; the pair with
 * Microsoft's keys enrolled and Secure Boot on last. */
static const struct {
    const char *package;
    struct {
        const char *code, *vars;
    } plain[2], secure;
} firmware_files[ARCH_N] = {
    {"ovmf",
     {{"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"},
      {"/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"}},
     {"/usr/share/OVMF/OVMF_CODE_4M.ms.fd", "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"}},
    {"qemu-efi-aarch64",
     {{"/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd"}, {NULL, NULL}},
     {"/usr/share/AAVMF/AAVMF_CODE.ms.fd", "/usr/share/AAVMF/AAVMF_VARS.ms.fd"}},
};

int
boot_ovmf_find(enum arch arch, const char **code, const char **vars, struct ab_error *err)
{
    const unsigned a = arch_index(arch ? arch : ARCH_X86_64);
    const char *c = getenv("APPLIANCE_OVMF_CODE"), *v = getenv("APPLIANCE_OVMF_VARS");
    if (c && *c && v && *v) {
        if (access(c, R_OK) < 0 || access(v, R_OK) < 0)
            return ab_build_error(err, errno, "cannot read OVMF '%s' or '%s': %s", c, v,
                                  strerror(errno));
        *code = c;
        *vars = v;
        return 0;
    }
    for (size_t i = 0; i < 2 && firmware_files[a].plain[i].code; i++) {
        const char *fc = firmware_files[a].plain[i].code, *fv = firmware_files[a].plain[i].vars;
        if (access(fc, R_OK) == 0 && access(fv, R_OK) == 0) {
            *code = fc;
            *vars = fv;
            return 0;
        }
    }
    return ab_build_error(err, ENOENT,
                          "%s UEFI firmware not found: install the '%s' package, or set "
                          "APPLIANCE_OVMF_CODE and APPLIANCE_OVMF_VARS",
                          arch_row(arch ? arch : ARCH_X86_64)->name, firmware_files[a].package);
}

int
boot_ovmf_find_secure(enum arch arch, const char **code, const char **vars,
                      struct ab_error *err)
{
    const unsigned a = arch_index(arch ? arch : ARCH_X86_64);
    const char *c = getenv("APPLIANCE_OVMF_SB_CODE"), *v = getenv("APPLIANCE_OVMF_SB_VARS");
    if (!c || !*c || !v || !*v) {
        c = firmware_files[a].secure.code;
        v = firmware_files[a].secure.vars;
    }
    if (access(c, R_OK) < 0 || access(v, R_OK) < 0)
        return ab_build_error(err, errno,
                              "Secure Boot firmware '%s' or '%s' not readable: %s (install the "
                              "'%s' package, or set APPLIANCE_OVMF_SB_CODE and "
                              "APPLIANCE_OVMF_SB_VARS)",
                              c, v, strerror(errno), firmware_files[a].package);
    *code = c;
    *vars = v;
    return 0;
}

/* ---- the command line --------------------------------------------------- */

struct args {
    char **v;
    size_t n;
    bool failed;
};

static void __attribute__((format(printf, 2, 0))) vadd(struct args *a, const char *fmt, va_list ap)
{
    char *s = NULL;
    if (a->failed)
        return;
    char **grown = vasprintf(&s, fmt, ap) < 0 ? NULL : realloc(a->v, (a->n + 2) * sizeof(char *));
    if (!grown) {
        free(s);
        a->failed = true;
        return;
    }
    a->v = grown;
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

/* One word of the command line. */
static void __attribute__((format(printf, 2, 3))) word(struct args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(a, fmt, ap);
    va_end(ap);
}

/* An option and its value. */
static void __attribute__((format(printf, 3, 4)))
opt(struct args *a, const char *option, const char *fmt, ...)
{
    va_list ap;
    word(a, "%s", option);
    va_start(ap, fmt);
    vadd(a, fmt, ap);
    va_end(ap);
}

static void
add_disks(struct args *a, enum controller ctl, const struct arch_row *ar,
          const char *const disks[2])
{
    for (int i = 0; i < 2; i++)
        opt(a, "-drive", "file=%s,format=qcow2,if=none,id=disk%d,cache=unsafe,discard=unmap",
            disks[i], i);
    const char *boot[2] = {",bootindex=1", ""};
    /* The plan's controller is what the hypervisors give (SATA for
     * aarch64: VMware and Parallels); QEMU's firmware may boot another
     * alone (arch.h). */
    if (ar->qemu_boot_disk) {
        for (int i = 0; i < 2; i++)
            opt(a, "-device", "%s,drive=disk%d%s", ar->qemu_boot_disk, i, boot[i]);
        return;
    }
    switch (ctl) {
    case CONTROLLER_SCSI:
        opt(a, "-device", "virtio-scsi-pci,id=scsi0");
        for (int i = 0; i < 2; i++)
            opt(a, "-device", "scsi-hd,drive=disk%d,bus=scsi0.0%s", i, boot[i]);
        break;
    case CONTROLLER_SATA: /* q35's AHCI ports are ide.0 ... ide.5 */
        for (int i = 0; i < 2; i++)
            opt(a, "-device", "ide-hd,drive=disk%d,bus=ide.%d%s", i, i, boot[i]);
        break;
    case CONTROLLER_IDE:
        for (int i = 0; i < 2; i++)
            opt(a, "-device", "ide-hd,drive=disk%d,bus=ide.0,unit=%d%s", i, i, boot[i]);
        break;
    }
}

char **
boot_vm_argv(const struct boot_vm_config *c, const char *const disks[2], const char *vars)
{
    struct args a = {NULL, 0, false};
    const struct arch_row *ar = arch_row(c->arch ? c->arch : ARCH_X86_64);
    word(&a, "%s", ar->pc ? kvm_qemu_binary() : ar->qemu_system);
    enum controller ctl = c->controller;
    if (c->secure_boot && ctl == CONTROLLER_IDE)
        ctl = CONTROLLER_SATA; /* q35 has no PIIX */
    if (ar->pc)
        opt(&a, "-machine", "%s,accel=%s%s", ctl == CONTROLLER_IDE ? "pc" : "q35",
            c->kvm ? "kvm" : "tcg", c->secure_boot ? ",smm=on" : "");
    else /* AAVMF's Secure Boot needs no SMM */
        opt(&a, "-machine", "%s,accel=%s", ar->machine, c->kvm ? "kvm" : "tcg");
    if (c->kvm)
        opt(&a, "-cpu", "host");
    else if (!ar->pc) /* TCG's virt machine has no default CPU of 64 bits */
        opt(&a, "-cpu", "cortex-a72");
    opt(&a, "-m", "%lluM", (unsigned long long)(c->memory >> 20));
    opt(&a, "-smp", "%u", c->cpus ? c->cpus : 1);
    word(&a, "-nodefaults");
    word(&a, "-no-user-config");
    word(&a, "-no-reboot");
    opt(&a, "-display", "none");
    if (ar->pc)
        opt(&a, "-vga", "std");
    opt(&a, "-monitor", "none");
    opt(&a, "-serial", "stdio");
    if (c->firmware == FIRMWARE_UEFI) {
        if (c->secure_boot && ar->pc)
            opt(&a, "-global", "driver=cfi.pflash01,property=secure,value=on");
        opt(&a, "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=%s", c->ovmf_code);
        opt(&a, "-drive", "if=pflash,format=raw,unit=1,file=%s", vars);
    }
    add_disks(&a, ctl, ar, disks);
    if (c->nics == 0)
        opt(&a, "-nic", "none");
    for (unsigned i = 0; i < c->nics; i++)
        opt(&a, "-nic", "user,model=virtio-net-pci,restrict=on");
    if (a.failed) {
        ab_strv_free(a.v);
        return NULL;
    }
    return a.v;
}

/* ---- scratch ------------------------------------------------------------ */

static const char *const scratch_files[] = {"os.qcow2", "app.qcow2", "OVMF_VARS.fd"};

static void
remove_scratch(struct boot_vm *vm)
{
    if (!vm->scratch)
        return;
    for (size_t i = 0; i < sizeof(scratch_files) / sizeof(scratch_files[0]); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", vm->scratch, scratch_files[i]);
        unlink(path);
    }
    rmdir(vm->scratch);
    free(vm->scratch);
    vm->scratch = NULL;
}

static int
copy_file(const char *from, const char *to, struct ab_error *err)
{
    CLEANUP_CLOSE int in = open(from, O_RDONLY | O_CLOEXEC);
    CLEANUP_CLOSE int out = -1;
    if (in < 0 || (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return ab_build_error(err, errno, "cannot copy '%s' to '%s': %s", from, to,
                              strerror(errno));
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            return ab_build_error(err, errno, "cannot write '%s': %s", to, strerror(errno));
    if (n < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", from, strerror(errno));
    return 0;
}

/* The scratch folder, the two overlays and the variable store. */
static int
prepare(struct boot_vm *vm, const struct boot_vm_config *c, const struct boot_disks *d,
        const char *workroot, char *overlays[2], char **vars, struct ab_error *err)
{
    const char *root = workroot ? workroot : getenv("TMPDIR");
    if (!root || !*root)
        root = "/var/tmp";
    if (asprintf(&vm->scratch, "%s/appliance-test-XXXXXX", root) < 0) {
        vm->scratch = NULL;
        return ab_oom(err);
    }
    if (!mkdtemp(vm->scratch)) {
        int e = errno;
        free(vm->scratch);
        vm->scratch = NULL;
        return ab_build_error(err, e, "cannot create a scratch folder in '%s': %s", root,
                              strerror(e));
    }
    for (int i = 0; i < 2; i++) {
        if (asprintf(&overlays[i], "%s/%s", vm->scratch, scratch_files[i]) < 0)
            return ab_oom(err);
        const char *argv[] = {"qemu-img", "create", "-q",          "-f",        "qcow2", "-F",
                              d->format,  "-b",     d->backing[i], overlays[i], NULL};
        if (spawn_run(argv, NULL, err) < 0) {
            ab_error_prefix(err, "while making an overlay over '%s'", d->file[i]);
            return -1;
        }
    }
    if (c->firmware != FIRMWARE_UEFI)
        return 0;
    if (asprintf(vars, "%s/%s", vm->scratch, scratch_files[2]) < 0)
        return ab_oom(err);
    return copy_file(c->ovmf_vars, *vars, err);
}

/* ---- running ------------------------------------------------------------ */

/* qemu in its own process group (a Ctrl-C on the terminal is the parent's
 * to handle), dying with its parent; spawn_kill_all reaches it. */
static int
spawn_qemu(struct boot_vm *vm, char **argv, struct ab_error *err)
{
    struct spawn_opts o = {.quiet_argv = 1};
    unsigned flags = SPAWN_STDOUT_PIPE | SPAWN_STDERR_PIPE | SPAWN_DIE_WITH_PARENT;
    if (spawn_start((const char *const *)argv, &o, flags, &vm->qemu, err) < 0) {
        ab_error_prefix(err, "cannot start qemu");
        return -1;
    }
    return 0;
}

int
boot_vm_start(struct boot_vm *vm, const struct boot_vm_config *c, const struct boot_disks *d,
              const char *workroot, FILE *keep, struct ab_error *err)
{
    memset(vm, 0, sizeof(*vm));
    vm->qemu = (struct spawn_child)SPAWN_CHILD_INIT;
    vm->keep = keep;
    char *overlays[2] = {NULL, NULL};
    CLEANUP_FREE char *vars = NULL;
    CLEANUP_STRV char **argv = NULL;
    int r = prepare(vm, c, d, workroot, overlays, &vars, err);
    if (r == 0) {
        const char *const disks[2] = {overlays[0], overlays[1]};
        argv = boot_vm_argv(c, disks, vars);
        r = argv ? spawn_qemu(vm, argv, err) : ab_oom(err);
    }
    free(overlays[0]);
    free(overlays[1]);
    if (r < 0)
        boot_vm_stop(vm);
    return r;
}

static int
keep_console(struct boot_vm *vm, const char *buf, size_t n, struct ab_error *err)
{
    if (vm->keep && (fwrite(buf, 1, n, vm->keep) != n || fflush(vm->keep) != 0))
        return ab_build_error(err, errno, "cannot write the console log: %s", strerror(errno));
    if (vm->log_len + n + 1 > LOG_LIMIT && vm->log_len > LOG_LIMIT / 2) {
        size_t drop = vm->log_len - LOG_LIMIT / 2;
        memmove(vm->log, vm->log + drop, vm->log_len - drop);
        vm->log_len -= drop;
    }
    if (vm->log_len + n + 1 > vm->log_cap) {
        size_t cap = (vm->log_len + n + 1) * 2;
        char *grown = realloc(vm->log, cap);
        if (!grown)
            return ab_oom(err);
        vm->log = grown;
        vm->log_cap = cap;
    }
    memcpy(vm->log + vm->log_len, buf, n);
    vm->log_len += n;
    vm->log[vm->log_len] = '\0';
    return 0;
}

static void
keep_err(struct boot_vm *vm, const char *buf, size_t n)
{
    size_t room = sizeof(vm->err_tail) - 1;
    if (n >= room) {
        memcpy(vm->err_tail, buf + n - room, room);
        vm->err_len = room;
    } else {
        if (vm->err_len + n > room) {
            size_t drop = vm->err_len + n - room;
            memmove(vm->err_tail, vm->err_tail + drop, vm->err_len - drop);
            vm->err_len -= drop;
        }
        memcpy(vm->err_tail + vm->err_len, buf, n);
        vm->err_len += n;
    }
    vm->err_tail[vm->err_len] = '\0';
}

/* Reads what is there on fd; closes it at EOF. Returns bytes read. */
static ssize_t
drain(struct boot_vm *vm, int *fd, bool console, struct ab_error *err)
{
    char buf[65536];
    ssize_t n = read(*fd, buf, sizeof(buf));
    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : -1;
    if (n == 0) {
        close(*fd);
        *fd = -1;
        return 0;
    }
    if (!console)
        keep_err(vm, buf, (size_t)n);
    else if (keep_console(vm, buf, (size_t)n, err) < 0)
        return -2;
    return n;
}

static bool
reap(struct boot_vm *vm, bool block)
{
    if (vm->qemu.pid <= 0)
        return true;
    if (!spawn_reap(&vm->qemu, block))
        return false;
    vm->status = vm->qemu.status;
    vm->exited = true;
    return true;
}

int
boot_vm_wait(struct boot_vm *vm, int ms, struct ab_error *err)
{
    if (vm->exited)
        return 2;
    struct pollfd fds[2] = {{vm->qemu.out_fd, POLLIN, 0}, {vm->qemu.err_fd, POLLIN, 0}};
    int grew = 0;
    if (poll(fds, 2, ms) > 0) {
        ssize_t n = fds[0].revents ? drain(vm, &vm->qemu.out_fd, true, err) : 0;
        if (n == -2)
            return -1;
        grew = n > 0;
        if (fds[1].revents)
            drain(vm, &vm->qemu.err_fd, false, err);
    }
    /* qemu has exited once both pipes are closed, or when reaped. */
    if ((vm->qemu.out_fd < 0 && vm->qemu.err_fd < 0) || reap(vm, false)) {
        while (vm->qemu.out_fd >= 0 && drain(vm, &vm->qemu.out_fd, true, err) > 0)
            grew = 1;
        while (vm->qemu.err_fd >= 0 && drain(vm, &vm->qemu.err_fd, false, err) > 0)
            ;
        reap(vm, true);
        return 2;
    }
    return grew;
}

const char *
boot_vm_qemu_said(struct boot_vm *vm)
{
    while (vm->err_len &&
           (vm->err_tail[vm->err_len - 1] == '\n' || vm->err_tail[vm->err_len - 1] == ' '))
        vm->err_tail[--vm->err_len] = '\0';
    return vm->err_tail;
}

static void
sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
}

void
boot_vm_stop(struct boot_vm *vm)
{
    if (vm->qemu.pid > 0) {
        spawn_signal(&vm->qemu, SIGTERM);
        for (int waited = 0; waited < STOP_GRACE_MS && !reap(vm, false); waited += 50)
            sleep_ms(50);
        if (vm->qemu.pid > 0) {
            spawn_signal(&vm->qemu, SIGKILL);
            reap(vm, true);
        }
    }
    spawn_close(&vm->qemu);
    remove_scratch(vm);
}
