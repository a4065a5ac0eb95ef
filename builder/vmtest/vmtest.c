/* vmtest.c: `appliance test`'s driver (vmtest.h): one boot per firmware,
 * watched second by second, then judged. */
#include "appliance/vmtest.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/clock.h"
#include "appliance/kvm.h"
#include "appliance/stop.h"

/* Once the report or the login prompt is there, how long to wait for the
 * other one before judging what came. */
#define GRACE_SECONDS 60

static const struct ab_enum_name firmware_names[] = {
    {VMTEST_BIOS, "bios"},
    {VMTEST_UEFI, "uefi"},
    {VMTEST_SECURE_BOOT, "secureboot"},
    {0, "all"},
};

const struct ab_enum_table vmtest_firmware_table = {
    firmware_names, sizeof(firmware_names) / sizeof(firmware_names[0]), 0};

static const char *
mode_name(unsigned mode)
{
    return ab_enum_to_string(&vmtest_firmware_table, (int)mode);
}

unsigned
vmtest_modes(const char *firmware, const struct boot_expect *e)
{
    int mode;
    if (ab_enum_from_string(&vmtest_firmware_table, firmware, &mode) == 0 && mode != 0)
        return (unsigned)mode;
    return ((e->firmware & FIRMWARE_BIOS) ? VMTEST_BIOS : 0) |
           ((e->firmware & FIRMWARE_UEFI) ? VMTEST_UEFI : 0) |
           (e->secure_boot ? VMTEST_SECURE_BOOT : 0);
}

static void __attribute__((format(printf, 2, 3)))
say(const struct vmtest_events *ev, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    if (!ev || !ev->line)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    ev->line(ev->ctx, text);
}

/* ---- one boot ------------------------------------------------------------ */

struct boot_run {
    const struct vmtest_opts *opts;
    double start;
    unsigned seen;
    double first_half; /* when the report or the prompt came, the other not yet */
};

static const char *
milestone(unsigned seen)
{
    if ((seen & BOOT_SEEN_REPORT) && (seen & BOOT_SEEN_LOGIN))
        return "report and login prompt";
    if (seen & BOOT_SEEN_REPORT)
        return "report seen, waiting for the login prompt";
    if (seen & BOOT_SEEN_LOGIN)
        return "login prompt, waiting for the report";
    if (seen & BOOT_SEEN_KERNEL)
        return "kernel started";
    return ""; /* the firmware and the boot loader: nothing on ttyS0 yet */
}

/* Whether waiting is over; adds the reason when it is not the guest's own. */
static bool
boot_over(struct boot_run *b, struct boot_vm *vm, int waited, struct boot_verdict *extra)
{
    double now = mono_now(), spent = now - b->start;
    unsigned both = BOOT_SEEN_REPORT | BOOT_SEEN_LOGIN;
    if (waited == 2) {
        const char *said = boot_vm_qemu_said(vm);
        if (WIFEXITED(vm->status) && WEXITSTATUS(vm->status) == 0)
            boot_verdict_add(extra, "qemu exited after %.0f s: the guest rebooted or powered off",
                             spent);
        else
            boot_verdict_add(extra, "qemu failed after %.0f s (%s %d)%s%s", spent,
                             WIFEXITED(vm->status) ? "exit" : "signal",
                             WIFEXITED(vm->status) ? WEXITSTATUS(vm->status) : WTERMSIG(vm->status),
                             *said ? ": " : "", said);
        return true;
    }
    if ((b->seen & both) == both || (b->seen & (BOOT_SEEN_EMERGENCY | BOOT_SEEN_PANIC)))
        return true;
    if ((b->seen & both) && b->first_half == 0)
        b->first_half = now;
    if (b->first_half && now - b->first_half >= GRACE_SECONDS) {
        boot_verdict_add(extra, "gave up %d s after the %s", GRACE_SECONDS,
                         b->seen & BOOT_SEEN_REPORT ? "report" : "login prompt");
        return true;
    }
    if (spent >= (double)b->opts->timeout) {
        boot_verdict_add(extra, "timed out after %ld s%s%s%s", b->opts->timeout,
                         b->seen ? " (" : ": nothing from the kernel on the console",
                         milestone(b->seen), b->seen ? ")" : "");
        return true;
    }
    return false;
}

/* Waits for the guest; returns -1 on an error or an interrupt. */
static int
watch(struct boot_run *b, struct boot_vm *vm, struct boot_verdict *extra, struct ab_error *err)
{
    const struct vmtest_events *ev = b->opts->events;
    for (;;) {
        int r = boot_vm_wait(vm, 1000, err);
        if (r < 0)
            return -1;
        if (stop_requested())
            return ab_build_error(err, EINTR, "interrupted");
        if (r == 1)
            b->seen = boot_console_scan(vm->log, vm->log_len);
        if (ev && ev->status)
            ev->status(ev->ctx, milestone(b->seen));
        if (boot_over(b, vm, r, extra))
            return 0;
    }
}

static const char *
secure_boot_said(const struct boot_vm_config *c, enum boot_secure_boot sb)
{
    if (c->firmware != FIRMWARE_UEFI)
        return "";
    return sb == BOOT_SB_ON    ? "; Secure Boot on"
           : sb == BOOT_SB_OFF ? "; Secure Boot off"
                               : "; the kernel said nothing of Secure Boot";
}

/* Why the wait ended first (already in extra), then what the console
 * lacked; enforced Secure Boot is only proven by the guest saying so. */
static void
verdict_merge(struct boot_verdict *extra, const struct boot_verdict *v,
              const struct boot_vm_config *c)
{
    for (size_t i = 0; i < v->n_reasons; i++)
        boot_verdict_add(extra, "%s", v->reasons[i]);
    extra->n_mounts = v->n_mounts;
    extra->n_swaps = v->n_swaps;
    extra->n_lvs = v->n_lvs;
    if (c->secure_boot && v->secure_boot != BOOT_SB_ON)
        boot_verdict_add(extra, "the guest's kernel did not say \"Secure boot enabled\"%s",
                         v->secure_boot == BOOT_SB_OFF ? ": it said Secure Boot is off" : "");
}

/* Boots once; 0 passed, 1 failed, -1 could not run (err set). */
static int
boot_one(struct boot_run *b, const struct boot_expect *e, const struct boot_disks *d,
         const struct boot_vm_config *c, FILE *keep, struct ab_error *err)
{
    const struct vmtest_events *ev = b->opts->events;
    const char *fw = c->secure_boot ? "secureboot" : c->firmware == FIRMWARE_UEFI ? "uefi" : "bios";
    char what[64];
    snprintf(what, sizeof(what), "booting (%s)", fw);
    if (ev && ev->boot_begin)
        ev->boot_begin(ev->ctx, what);
    struct boot_vm vm;
    if (boot_vm_start(&vm, c, d, NULL, keep, err) < 0)
        return -1;
    b->start = mono_now();
    struct boot_verdict extra = {0}, v = {0};
    int r = watch(b, &vm, &extra, err);
    boot_vm_stop(&vm);
    double seconds = mono_now() - b->start;
    if (r == 0)
        r = boot_judge(e, vm.log ? vm.log : "", vm.log_len, &v, err);
    free(vm.log);
    if (r == 0) {
        verdict_merge(&extra, &v, c);
        if (ev && ev->boot_end)
            ev->boot_end(ev->ctx, fw, &extra, secure_boot_said(c, v.secure_boot), seconds);
        r = extra.n_reasons ? 1 : 0;
    }
    boot_verdict_release(&extra);
    boot_verdict_release(&v);
    return r;
}

/* ---- every boot ---------------------------------------------------------- */

static void
say_accel(const struct vmtest_events *ev, const struct kvm_probe *k)
{
    if (kvm_usable(k))
        say(ev, "accel: KVM");
    else
        say(ev, "accel: TCG, software emulation (%s: %s)", kvm_state_reason(k->state), k->detail);
}

/* Boots each mode in turn; 0 or 1 as vmtest_run, -1 on an error. */
static int
boot_each(const struct vmtest_opts *o, const struct boot_expect *e, const struct boot_disks *d,
          struct boot_vm_config *c, const char *const ovmf[4], FILE *keep, struct ab_error *err)
{
    int failed = 0;
    struct boot_run b = {o, 0, 0, 0};
    bool first = true;
    for (unsigned mode = VMTEST_BIOS; mode <= VMTEST_SECURE_BOOT; mode <<= 1) {
        if (!(o->modes & mode))
            continue;
        c->firmware = mode == VMTEST_BIOS ? FIRMWARE_BIOS : FIRMWARE_UEFI;
        c->secure_boot = mode == VMTEST_SECURE_BOOT;
        c->ovmf_code = c->secure_boot ? ovmf[2] : ovmf[0];
        c->ovmf_vars = c->secure_boot ? ovmf[3] : ovmf[1];
        if (keep && (o->modes & (o->modes - 1)))
            fprintf(keep, "%s==== appliance test: %s ====\n", first ? "" : "\n", mode_name(mode));
        first = false;
        b.seen = 0;
        b.first_half = 0;
        int r = boot_one(&b, e, d, c, keep, err);
        if (r < 0)
            return -1;
        failed |= r;
    }
    return failed;
}

int
vmtest_run(const struct vmtest_opts *o, const struct boot_expect *e, const struct boot_disks *d,
           struct ab_error *err)
{
    struct kvm_probe k;
    struct boot_vm_config c = {.controller = e->controller,
                               .cpus = e->cpus,
                               .nics = e->nics,
                               .memory = e->memory,
                               .arch = e->arch};
    /* code and variables, then the same with Secure Boot enforced */
    const char *ovmf[4] = {NULL, NULL, NULL, NULL};
    if ((o->modes & VMTEST_UEFI) && boot_ovmf_find(e->arch, &ovmf[0], &ovmf[1], err) < 0)
        return -1;
    if ((o->modes & VMTEST_SECURE_BOOT) &&
        boot_ovmf_find_secure(e->arch, &ovmf[2], &ovmf[3], err) < 0)
        return -1;
    CLEANUP_FCLOSE FILE *keep = NULL;
    if (o->keep_log && !(keep = fopen(o->keep_log, "w")))
        return ab_build_error(err, errno, "cannot write '%s': %s", o->keep_log, strerror(errno));
    kvm_probe(&k, NULL);
    /* KVM runs the host's own architecture only: another is emulated. */
    c.kvm = kvm_usable(&k) && (e->arch ? e->arch : ARCH_X86_64) == arch_host();
    say_accel(o->events, &k);
    say(o->events, "disks (%s): %s, %s", d->kind, d->file[0], d->file[1]);
    int failed = boot_each(o, e, d, &c, ovmf, keep, err);
    if (failed < 0)
        return -1;
    if (keep && fclose(keep) != 0) {
        keep = NULL;
        return ab_build_error(err, errno, "cannot write '%s': %s", o->keep_log, strerror(errno));
    }
    keep = NULL;
    return failed;
}
