/* cmd_test.c: `appliance test OUTPUT_DIR`: boot what a build wrote and
 * judge its console against the plan in build-report.json. The front:
 * the options, the checks of them against the report, the progress and
 * the verdicts printed; the boots are vmtest.h's. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/boot_judge.h"
#include "appliance/boot_vm.h"
#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/stop.h"
#include "appliance/vmtest.h"
#include "progress.h"

#define DEFAULT_TIMEOUT 600

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

/* ---- what the boots say -------------------------------------------------- */

static void
on_line(void *ctx, const char *text)
{
    progress_line(ctx, PROGRESS_NORMAL, "%s", text);
}

static void
on_boot_begin(void *ctx, const char *what)
{
    progress_stage(ctx, "test", what);
}

static void
on_status(void *ctx, const char *text)
{
    progress_status(ctx, text);
}

static void
on_boot_end(void *ctx, const char *fw, const struct boot_verdict *v, const char *sb, double seconds)
{
    progress_stage_end(ctx, seconds);
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

/* ---- the command --------------------------------------------------------- */

static int
run_tests(const struct test_opts *o, const struct boot_expect *e, const struct boot_disks *d,
          struct progress *p, struct ab_error *err)
{
    const struct vmtest_events ev = {p, on_line, on_boot_begin, on_status, on_boot_end};
    const struct vmtest_opts vo = {vmtest_modes(o->firmware, e), o->timeout, o->keep_log, &ev};
    return vmtest_run(&vo, e, d, err);
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
