/* cmd_test.c: `appliance test OUTPUT_DIR`: boot what a build wrote and
 * judge its console against the plan in build-report.json. The front:
 * the options, the checks of them against the report, the progress and
 * the verdicts printed; the boots are vmtest.h's. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/boot_judge.h"
#include "appliance/boot_vm.h"
#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/report.h"
#include "appliance/stop.h"
#include "appliance/vmtest.h"
#include "options.h"
#include "progress.h"

#define DEFAULT_TIMEOUT 600

enum {
    OPT_FIRMWARE = CLI_OPT_FIRST,
    OPT_TIMEOUT,
};

static const struct cli_option test_options[] = {
    {OPT_FIRMWARE, 0, "firmware", "FW",
     "bios, uefi (Secure Boot off), secureboot (OVMF with\nMicrosoft's keys enrolled and Secure "
     "Boot enforced: the\nguest's kernel must say Secure Boot is on), or all that\nthe appliance "
     "supports (default: all; secureboot when it\nwas built with Secure Boot)",
     NULL},
    {OPT_TIMEOUT, 0, "timeout", "SECS", "give up on a boot after SECS seconds (default 600)", NULL},
    /* The console's transcript is this command's log (--log); the old
     * name stays for the pipelines that keep it as a CI artifact. */
    {CLI_OPT_LOG, 0, "keep-log", "FILE", "deprecated: the same as --log", "log"},
    CLI_PROGRESS_OPTION,
    CLI_ARCH_OPTION,
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command test_command = {
    "test",
    "Usage: appliance test OUTPUT_DIR [OPTIONS]\n"
    "\n"
    "Boot the appliance that 'appliance build' wrote into OUTPUT_DIR under\n"
    "qemu (KVM when it works, else software emulation), once per firmware,\n"
    "and judge its serial console against the plan in build-report.json:\n"
    "login prompt reached, every planned filesystem mounted from its volume,\n"
    "every logical volume active, swap on. The disks booted are those that\n"
    "build-report.json lists: NAME-VERSION-os.qcow2 and NAME-VERSION-app.qcow2,\n"
    "else the .raw ones, else the VMDKs of ovf/, else .vmdk, .vdi, .vhdx, else\n"
    "those inside NAME-VERSION.ova (a folder without a report: NAME-os.qcow2,\n"
    "..., NAME.ova, as builds named them before the version was in the names).\n"
    "They are never written to. A disk that names another file (a backing\n"
    "file, a data file, VMDK extents or a parent) is refused before anything\n"
    "opens it. The log (--log FILE) is what the console printed. In a folder\n"
    "built for both architectures, --arch chooses which (build-report-ARCH.json\n"
    "and its files; default: this machine's).\n",
    test_options,
    "Prints PASS or FAIL per firmware on stdout, each failure with its reasons,\n"
    "and what the guest's kernel said of Secure Boot under UEFI; with --json,\n"
    "{\"passed\": true|false, \"boots\": [{\"firmware\", \"passed\", \"seconds\",\n"
    "\"secure_boot\", \"mounts\", \"swaps\", \"lvs\", \"reasons\": [...]}]}.\n"
    "Exit status: 0 every boot passed, 1 one failed or could not run,\n"
    "2 usage error, 4 OUTPUT_DIR does not exist, 130 or 143 interrupted.\n",
};

struct test_opts {
    const char *dir;
    const char *firmware; /* "bios", "uefi", "secureboot", "all" */
    long timeout;
    const char *keep_log;
    const char *arch; /* --arch */
};

/* One run: the display, and with --json the verdicts gathered. */
struct test_run {
    struct progress p;
    json_object *boots; /* --json; NULL: printed as they come */
};

/* ---- what the boots say -------------------------------------------------- */

static void
on_line(void *ctx, const char *text)
{
    struct test_run *t = ctx;
    progress_line(&t->p, PROGRESS_NORMAL, "%s", text);
}

static void
on_boot_begin(void *ctx, const char *what)
{
    struct test_run *t = ctx;
    progress_stage(&t->p, "test", what);
}

static void
on_status(void *ctx, const char *text)
{
    struct test_run *t = ctx;
    progress_status(&t->p, text);
}

static json_object *
verdict_json(const char *fw, const struct boot_verdict *v, const char *sb, double seconds)
{
    json_object *o = json_object_new_object(), *reasons = json_object_new_array();
    json_object_object_add(o, "firmware", json_object_new_string(fw));
    json_object_object_add(o, "passed", json_object_new_boolean(v->n_reasons == 0));
    json_object_object_add(o, "seconds", json_object_new_double(seconds));
    /* "; Secure Boot on" -> "Secure Boot on"; "" -> null */
    json_object_object_add(o, "secure_boot", *sb ? json_object_new_string(sb + 2) : NULL);
    json_object_object_add(o, "mounts", json_object_new_int64((int64_t)v->n_mounts));
    json_object_object_add(o, "swaps", json_object_new_int64((int64_t)v->n_swaps));
    json_object_object_add(o, "lvs", json_object_new_int64((int64_t)v->n_lvs));
    for (size_t i = 0; i < v->n_reasons; i++)
        json_object_array_add(reasons, json_object_new_string(v->reasons[i]));
    json_object_object_add(o, "reasons", reasons);
    return o;
}

static void
on_boot_end(void *ctx, const char *fw, const struct boot_verdict *v, const char *sb, double seconds)
{
    struct test_run *t = ctx;
    progress_stage_end(&t->p, seconds);
    if (t->boots) {
        json_object_array_add(t->boots, verdict_json(fw, v, sb, seconds));
        return;
    }
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
          struct test_run *t, struct ab_error *err)
{
    const struct vmtest_events ev = {t, on_line, on_boot_begin, on_status, on_boot_end};
    const struct vmtest_opts vo = {vmtest_modes(o->firmware, e), o->timeout, o->keep_log, &ev};
    return vmtest_run(&vo, e, d, err);
}

static int
print_boots(json_object *boots, int status)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "passed", json_object_new_boolean(status == 0));
    json_object_object_add(o, "boots", boots);
    int r = cli_print_json(o);
    return status == 0 ? r : status;
}

static int
test_dir(struct cli *c, const struct test_opts *o)
{
    struct ab_error err = AB_ERROR_INIT;
    struct boot_expect e;
    struct boot_disks d = {0};
    CLEANUP_FREE char *report = NULL;
    if (report_resolve(o->dir, o->arch, &report, &err) < 0) {
        int status = cli_report_to(c, &err);
        ab_error_release(&err);
        return status;
    }
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
        r = boot_disks_find(o->dir, report, e.name, &d, &err);
    if (r == 0)
        r = boot_disks_check(&d, &err);
    struct test_run t = {.boots = c->json ? json_object_new_array() : NULL};
    enum progress_level level = cli_progress_level(c);
    /* Verbose adds nothing to a boot's display: the console is the log. */
    progress_init(&t.p, stderr, cli_progress_form(c),
                  level == PROGRESS_VERBOSE ? PROGRESS_NORMAL : level);
    cli_stop_on_signals(CLI_STOP_CHILDREN); /* qemu is one of spawn's children */
    progress_start_ticker(&t.p);
    if (r == 0)
        r = run_tests(o, &e, &d, &t, &err);
    progress_release(&t.p);
    boot_disks_release(&d);
    boot_expect_release(&e);
    if (r < 0) {
        int status = stop_signal() ? 128 + stop_signal() : (cli_report_to(c, &err), 1);
        if (stop_signal())
            progress_interrupted(&t.p, "qemu stopped, nothing left behind");
        ab_error_release(&err);
        json_object_put(t.boots);
        return status;
    }
    return t.boots ? print_boots(t.boots, r) : r;
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

static int
on_test_option(void *ctx, int id, const char *arg)
{
    struct test_opts *o = ctx;
    switch (id) {
    case OPT_FIRMWARE: {
        int mode;
        char list[64];
        if (ab_enum_from_string(&vmtest_firmware_table, arg, &mode) < 0)
            return cli_usage_error("test", "invalid --firmware '%s': %s", arg,
                                   ab_enum_list(&vmtest_firmware_table, list, sizeof(list)));
        o->firmware = arg;
        return 0;
    }
    case OPT_TIMEOUT:
        return parse_timeout(arg, &o->timeout);
    case CLI_OPT_ARCH:
        return cli_arch_option("test", arg, &o->arch);
    default:
        return -1;
    }
}

int
cmd_test(int argc, char **argv)
{
    struct cli c;
    struct test_opts o = {NULL, "all", DEFAULT_TIMEOUT, NULL, NULL};
    int status = cli_parse(&c, &test_command, argc, argv, on_test_option, &o);
    if (status >= 0)
        return status;
    if (c.n_args < 1)
        return cli_usage_error("test", "missing OUTPUT_DIR");
    if (c.n_args > 1)
        return cli_usage_error("test", "unexpected argument '%s'", c.args[1]);
    o.dir = c.args[0];
    o.keep_log = c.log_path; /* the console's transcript, written by vmtest */
    if ((status = cli_check_inputs(&c, c.args, 1)) != 0)
        return cli_release(&c, status);
    return cli_release(&c, test_dir(&c, &o));
}
