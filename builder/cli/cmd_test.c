/* cmd_test.c: `appliance test OUTPUT_DIR`: boot what a build wrote and
 * judge its console against the plan in build-report.json. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "appliance/boot_judge.h"
#include "appliance/boot_vm.h"
#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/clock.h"
#include "appliance/kvm.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"
#include "progress.h"

#define DEFAULT_TIMEOUT 600
/* Once the report or the login prompt is there, how long to wait for the
 * other one before judging what came. */
#define GRACE_SECONDS 60

static const char test_usage[] =
    "Usage: appliance test OUTPUT_DIR [OPTIONS]\n"
    "\n"
    "Boot the appliance that 'appliance build' wrote into OUTPUT_DIR under\n"
    "qemu (KVM when it works, else software emulation), once per firmware,\n"
    "and judge its serial console against the plan in build-report.json:\n"
    "login prompt reached, every planned filesystem mounted from its volume,\n"
    "every logical volume active, swap on. The disks booted are NAME-*.qcow2,\n"
    "else NAME-*.raw or .img, else the VMDKs of ovf/, else .vmdk, .vdi, .vhdx,\n"
    "else those inside NAME.ova; they are never written to. A disk that names\n"
    "another file (a backing file, a data file, VMDK extents or a parent) is\n"
    "refused before anything opens it.\n"
    "\n"
    "Options:\n"
    "      --firmware FW    bios, uefi (Secure Boot off), secureboot (OVMF with\n"
    "                       Microsoft's keys enrolled and Secure Boot enforced: the\n"
    "                       guest's kernel must say Secure Boot is on), or all that\n"
    "                       the appliance supports (default: all; secureboot when it\n"
    "                       was built with Secure Boot)\n"
    "      --timeout SECS   give up on a boot after SECS seconds (default 600)\n"
    "      --keep-log FILE  write what the console printed to FILE\n"
    "  -h, --help           show this help\n"
    "\n"
    "Prints PASS or FAIL per firmware on stdout, each failure with its reasons,\n"
    "and what the guest's kernel said of Secure Boot under UEFI.\n"
    "Exit status: 0 every boot passed, 1 one failed or could not run,\n"
    "2 usage error, 130 or 143 interrupted.\n";

struct test_opts {
    const char *dir;
    const char *firmware; /* "bios", "uefi", "secureboot", "all" */
    long timeout;
    const char *keep_log;
};

/* The boots `--firmware` asks for. */
enum test_mode {
    MODE_BIOS = 1 << 0,
    MODE_UEFI = 1 << 1,
    MODE_SECURE_BOOT = 1 << 2,
};

static const char *
mode_name(unsigned mode)
{
    return mode == MODE_BIOS ? "bios" : mode == MODE_UEFI ? "uefi" : "secureboot";
}

static unsigned
modes_wanted(const char *firmware, const struct boot_expect *e)
{
    if (strcmp(firmware, "bios") == 0)
        return MODE_BIOS;
    if (strcmp(firmware, "uefi") == 0)
        return MODE_UEFI;
    if (strcmp(firmware, "secureboot") == 0)
        return MODE_SECURE_BOOT;
    return ((e->firmware & FIRMWARE_BIOS) ? MODE_BIOS : 0) |
           ((e->firmware & FIRMWARE_UEFI) ? MODE_UEFI : 0) |
           (e->secure_boot ? MODE_SECURE_BOOT : 0);
}

/* ---- one boot ------------------------------------------------------------ */

struct boot_run {
    struct progress *progress;
    const struct test_opts *opts;
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
    for (;;) {
        int r = boot_vm_wait(vm, 1000, err);
        if (r < 0)
            return -1;
        if (stop_requested())
            return ab_build_error(err, EINTR, "interrupted");
        if (r == 1)
            b->seen = boot_console_scan(vm->log, vm->log_len);
        char status[128];
        snprintf(status, sizeof(status), "%s", milestone(b->seen));
        progress_status(b->progress, status);
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

static void
print_verdict(const char *fw, const struct boot_verdict *v, const char *sb, double seconds)
{
    if (v->n_reasons == 0) {
        printf("PASS %s: login prompt after %.0f s; %zu mount%s, %zu swap, %zu LV%s as "
               "planned%s\n",
               fw, seconds, v->n_mounts, v->n_mounts == 1 ? "" : "s", v->n_swaps, v->n_lvs,
               v->n_lvs == 1 ? "" : "s", sb);
    } else {
        printf("FAIL %s: %zu problem%s after %.0f s%s\n", fw, v->n_reasons,
               v->n_reasons == 1 ? "" : "s", seconds, sb);
        for (size_t i = 0; i < v->n_reasons; i++)
            printf("  - %s\n", v->reasons[i]);
    }
    fflush(stdout);
}

/* Boots once; 0 passed, 1 failed, -1 could not run (err set). */
static int
boot_one(struct boot_run *b, const struct boot_expect *e, const struct boot_disks *d,
         const struct boot_vm_config *c, FILE *keep, struct ab_error *err)
{
    const char *fw = c->secure_boot ? "secureboot" : c->firmware == FIRMWARE_UEFI ? "uefi" : "bios";
    char what[64];
    snprintf(what, sizeof(what), "booting (%s)", fw);
    progress_stage(b->progress, "test", what);
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
        progress_stage_end(b->progress, seconds);
        /* Why the wait ended first, then what the console lacked. */
        for (size_t i = 0; i < v.n_reasons; i++)
            boot_verdict_add(&extra, "%s", v.reasons[i]);
        extra.n_mounts = v.n_mounts;
        extra.n_swaps = v.n_swaps;
        extra.n_lvs = v.n_lvs;
        /* Enforced is only proven by the guest saying so. */
        if (c->secure_boot && v.secure_boot != BOOT_SB_ON)
            boot_verdict_add(&extra, "the guest's kernel did not say \"Secure boot enabled\"%s",
                             v.secure_boot == BOOT_SB_OFF ? ": it said Secure Boot is off" : "");
        print_verdict(fw, &extra, secure_boot_said(c, v.secure_boot), seconds);
        r = extra.n_reasons ? 1 : 0;
    }
    boot_verdict_release(&extra);
    boot_verdict_release(&v);
    return r;
}

/* ---- the command --------------------------------------------------------- */

static void
say_accel(struct progress *p, const struct kvm_probe *k)
{
    if (kvm_usable(k))
        progress_line(p, PROGRESS_NORMAL, "accel: KVM");
    else
        progress_line(p, PROGRESS_NORMAL, "accel: TCG, software emulation (%s: %s)",
                      kvm_state_reason(k->state), k->detail);
}

static int
run_tests(const struct test_opts *o, const struct boot_expect *e, const struct boot_disks *d,
          struct progress *p, struct ab_error *err)
{
    struct kvm_probe k;
    struct boot_vm_config c = {0,     e->controller, e->cpus, e->nics, e->memory,
                               false, NULL,          NULL,    false};
    unsigned modes = modes_wanted(o->firmware, e);
    const char *code = NULL, *vars = NULL, *sb_code = NULL, *sb_vars = NULL;
    if ((modes & MODE_UEFI) && boot_ovmf_find(&code, &vars, err) < 0)
        return -1;
    if ((modes & MODE_SECURE_BOOT) && boot_ovmf_find_secure(&sb_code, &sb_vars, err) < 0)
        return -1;
    CLEANUP_FCLOSE FILE *keep = NULL;
    if (o->keep_log && !(keep = fopen(o->keep_log, "w")))
        return ab_build_error(err, errno, "cannot write '%s': %s", o->keep_log, strerror(errno));
    kvm_probe(&k, NULL);
    c.kvm = kvm_usable(&k);
    say_accel(p, &k);
    progress_line(p, PROGRESS_NORMAL, "disks (%s): %s, %s", d->kind, d->file[0], d->file[1]);
    int failed = 0;
    struct boot_run b = {p, o, 0, 0, 0};
    bool first = true;
    for (unsigned mode = MODE_BIOS; mode <= MODE_SECURE_BOOT; mode <<= 1) {
        if (!(modes & mode))
            continue;
        c.firmware = mode == MODE_BIOS ? FIRMWARE_BIOS : FIRMWARE_UEFI;
        c.secure_boot = mode == MODE_SECURE_BOOT;
        c.ovmf_code = c.secure_boot ? sb_code : code;
        c.ovmf_vars = c.secure_boot ? sb_vars : vars;
        if (keep && (modes & (modes - 1)))
            fprintf(keep, "%s==== appliance test: %s ====\n", first ? "" : "\n", mode_name(mode));
        first = false;
        b.seen = 0;
        b.first_half = 0;
        int r = boot_one(&b, e, d, &c, keep, err);
        if (r < 0)
            return -1;
        failed |= r;
    }
    if (keep && fclose(keep) != 0) {
        keep = NULL;
        return ab_build_error(err, errno, "cannot write '%s': %s", o->keep_log, strerror(errno));
    }
    keep = NULL;
    return failed;
}

static int
test_dir(const struct test_opts *o)
{
    struct ab_error err = AB_ERROR_INIT;
    struct boot_expect e;
    struct boot_disks d = {0};
    CLEANUP_FREE char *report = NULL;
    if (asprintf(&report, "%s/build-report.json", o->dir) < 0)
        return 1;
    unsigned want = strcmp(o->firmware, "bios") == 0  ? FIRMWARE_BIOS
                    : strcmp(o->firmware, "all") == 0 ? 0
                                                      : FIRMWARE_UEFI;
    int r = boot_expect_load(&e, report, &err);
    if (r == 0 && want && !(e.firmware & want)) {
        int status = cli_usage_error("test", "'%s' boots with %s only, not %s", e.name,
                                     firmware_to_string(e.firmware), o->firmware);
        boot_expect_release(&e);
        return status;
    }
    if (r == 0 && strcmp(o->firmware, "secureboot") == 0 && !e.secure_boot) {
        int status = cli_usage_error("test",
                                     "'%s' was built without Secure Boot "
                                     "(hardware.secure_boot: false): test it with uefi",
                                     e.name);
        boot_expect_release(&e);
        return status;
    }
    if (r == 0)
        r = boot_disks_find(o->dir, e.name, &d, &err);
    if (r == 0)
        r = boot_disks_check(&d, &err);
    struct progress p;
    progress_init(&p, stderr, cli_stderr_is_terminal(), PROGRESS_NORMAL);
    cli_stop_on_signals(CLI_STOP_CHILDREN); /* qemu is one of spawn's children */
    progress_start_ticker(&p);
    if (r == 0)
        r = run_tests(o, &e, &d, &p, &err);
    progress_release(&p);
    boot_disks_release(&d);
    boot_expect_release(&e);
    if (r < 0) {
        int status = stop_signal() ? 128 + stop_signal() : (cli_report(&err), 1);
        if (stop_signal())
            fputs("appliance: interrupted: qemu stopped, nothing left behind\n", stderr);
        ab_error_release(&err);
        return status;
    }
    return r;
}

static int
parse_timeout(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > 86400)
        return cli_usage_error("test", "invalid --timeout '%s': seconds from 1 to 86400", s);
    *out = v;
    return 0;
}

int
cmd_test(int argc, char **argv)
{
    static const struct option options[] = {
        {"firmware", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 't'},
        {"keep-log", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct test_opts o = {NULL, "all", DEFAULT_TIMEOUT, NULL};
    int c;
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "bios") != 0 && strcmp(optarg, "uefi") != 0 &&
                strcmp(optarg, "secureboot") != 0 && strcmp(optarg, "all") != 0)
                return cli_usage_error(
                    "test", "invalid --firmware '%s': bios, uefi, secureboot or all", optarg);
            o.firmware = optarg;
            break;
        case 't':
            if (parse_timeout(optarg, &o.timeout) != 0)
                return 2;
            break;
        case 'k':
            o.keep_log = optarg;
            break;
        case 'h':
            fputs(test_usage, stdout);
            return 0;
        default:
            return cli_option_error("test", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("test", "missing OUTPUT_DIR");
    if (optind + 1 < argc)
        return cli_usage_error("test", "unexpected argument '%s'", argv[optind + 1]);
    o.dir = argv[optind];
    return test_dir(&o);
}
