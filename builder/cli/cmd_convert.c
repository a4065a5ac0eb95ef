/* cmd_convert.c: `appliance convert SRC -o DIR --to OUTPUTS`. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/clock.h"
#include "appliance/convert.h"
#include "appliance/enums.h"
#include "appliance/size.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"
#include "convert_live.h"
#include "options.h"
#include "progress.h"

enum {
    OPT_HARDWARE_FROM = CLI_OPT_FIRST,
    OPT_CPUS,
    OPT_MEMORY,
    OPT_FIRMWARE,
    OPT_NAME,
    OPT_NEW_IDENTITY,
    OPT_DOMAIN,
    OPT_LIVE,
    OPT_ALLOW_CRASH_CONSISTENT,
    OPT_SIGN_KEY,
    OPT_BUILDER_ID,
};

static const struct cli_option convert_options[] = {
    {'o', 'o', "output", "DIR", "write the results to DIR (must be given)", NULL},
    {'t', 't', "to", "OUTPUTS",
     "comma-separated: ova, ovf, vmdk, qcow2, libvirt,\nvhdx, hyperv, vdi, raw, azure, gce, vmx, "
     "utm",
     NULL},
    {OPT_HARDWARE_FROM, 0, "hardware-from", "FILE",
     "the hardware from a build-report.json, an .ovf\nor a libvirt domain XML (virsh dumpxml)",
     NULL},
    {OPT_CPUS, 0, "cpus", "N", "virtual CPUs (overrides the source)", NULL},
    {OPT_MEMORY, 0, "memory", "SIZE", "memory, e.g. 2GiB (overrides the source)", NULL},
    {OPT_FIRMWARE, 0, "firmware", "FW", "bios, uefi or bios+uefi (overrides the source)", NULL},
    {OPT_NAME, 'n', "name", "NAME", "the name of the outputs (default: the source's)", NULL},
    {OPT_NEW_IDENTITY, 0, "new-identity", NULL,
     "a clone: machine-id emptied and SSH host keys\nremoved in the copies (regenerated at first "
     "boot)",
     NULL},
    {OPT_SIGN_KEY, 0, "sign-key", "FILE",
     "sign SHA256SUMS and the provenance with FILE, an\nEd25519 or ECDSA P-256 private key in PEM "
     "that\nonly its owner may read (as build --sign-key)",
     NULL},
    {OPT_BUILDER_ID, 0, "builder-id", "URI", "the builder the provenance names", NULL},
    {'c', 'c', "connect", "URI", "libvirt connection URI of --domain (default: libvirt's)", NULL},
    {OPT_DOMAIN, 0, "domain", "NAME", "convert this running libvirt domain (with --live)", NULL},
    {OPT_LIVE, 0, "live", NULL,
     "while it runs: its filesystems frozen through the\nqemu guest agent for a disk-only "
     "snapshot, its\ndisks copied, the snapshot committed back",
     NULL},
    {OPT_ALLOW_CRASH_CONSISTENT, 0, "allow-crash-consistent", NULL,
     "without a guest agent that can freeze,\nsnapshot anyway (as a power cut would leave it)",
     NULL},
    CLI_PROGRESS_OPTION,
    CLI_ARCH_OPTION,
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command convert_command = {
    "convert",
    "Usage: appliance convert SRC -o DIR --to OUTPUTS [OPTIONS]\n"
    "       appliance convert OS_DISK APP_DISK -o DIR --to OUTPUTS [OPTIONS]\n"
    "       appliance convert --connect URI --domain NAME --live -o DIR --to OUTPUTS\n"
    "\n"
    "Move an existing appliance to other hypervisors. SRC is an output folder\n"
    "as build wrote it (its two disks in any one format beside\n"
    "build-report.json or the OVF), an .ova or an .ovf; or give the two disk\n"
    "images (os, then app) with --hardware-from or --cpus/--memory/--firmware.\n"
    "Writes the same outputs a build writes, named NAME-VERSION.* as a build\n"
    "names them, with INSTALL-TARGET.md, the SBOMs (their packages from the\n"
    "source's SBOM, else read from its OS disk), the provenance, SHA256SUMS\n"
    "and convert-report.json, and compares every converted disk\n"
    "with its source (qemu-img compare) before the folder is put in place.\n"
    "The guest is not changed: every image of this project carries every\n"
    "hypervisor's drivers and add-ons. A source whose disks this project did\n"
    "not build (each one's volume group tagged os or app by the build, or\n"
    "named vg_os and vg_app) is refused. A failed or interrupted convert\n"
    "leaves nothing behind. Of a folder built for both architectures, --arch\n"
    "chooses which to convert (default: this machine's).\n",
    convert_options,
    "With --json, prints {\"output\": DIR, \"seconds\": N} when it succeeds.\n"
    "Exit status: 0 success, 1 convert failed or the source was refused,\n"
    "2 usage error, 4 SRC (or a disk) does not exist, 129, 130 or 143\n"
    "interrupted (SIGHUP, SIGINT, SIGTERM).\n",
};

static void
on_begin(void *ctx, const char *stage, const char *what)
{
    progress_stage(ctx, stage, what);
}

static void
on_end(void *ctx, const char *stage, double seconds)
{
    (void)stage;
    progress_stage_end(ctx, seconds);
}

static void
on_notice(void *ctx, const char *message)
{
    progress_notice(ctx, message);
}

static void
on_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    progress_bytes(ctx, what, done, total);
}

static void
on_command(void *ctx, const char *line)
{
    progress_line(ctx, PROGRESS_VERBOSE, "%s", line);
}

/* "vhdx,hyperv,ova" -> enum output_flags; 0 after a usage error. */
static int
parse_outputs(const char *text, unsigned *outputs)
{
    CLEANUP_FREE char *copy = strdup(text);
    char *save = NULL;
    if (!copy)
        return -1;
    *outputs = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int v;
        if (ab_enum_from_string(&output_table, tok, &v) < 0) {
            char list[256];
            cli_usage_error("convert", "unknown output '%s' (expected %s)", tok,
                            ab_enum_list(&output_table, list, sizeof(list)));
            return -1;
        }
        if ((unsigned)v & OUTPUTS_FROM_TREE) {
            cli_usage_error("convert",
                            "output '%s' is made from the configured root tree: only "
                            "'appliance build' writes it",
                            tok);
            return -1;
        }
        *outputs |= (unsigned)v;
    }
    if (!*outputs) {
        cli_usage_error("convert", "option '--to' names no output");
        return -1;
    }
    return 0;
}

static int
parse_number(const char *opt, const char *text, unsigned *n)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || v == 0 || v > 1024 || text[0] == '-')
        return cli_usage_error("convert", "option '%s' needs a number from 1 to 1024, not '%s'",
                               opt, text);
    *n = (unsigned)v;
    return 0;
}

static int
run_convert(struct cli *c, struct convert_request *req, const struct convert_live_args *live)
{
    enum progress_level level = cli_progress_level(c);
    struct ab_error err = AB_ERROR_INIT;
    struct progress p;

    progress_init(&p, stderr, cli_progress_form(c), level);
    struct build_events ev = {&p, on_begin, on_end, on_notice, on_progress};
    req->events = &ev;
    if (level >= PROGRESS_VERBOSE) {
        req->spawn.echo = on_command;
        req->spawn.echo_arg = &p;
    }
    cli_stop_on_signals(CLI_STOP_CHILDREN);
    progress_start_ticker(&p);
    int r = live->domain ? convert_live_run(req, live, &p, &err) : convert_run(req, &err);
    progress_release(&p);
    if (r < 0) {
        int status = stop_signal() ? 128 + stop_signal() : cli_report_to(c, &err);
        if (stop_signal()) {
            CLEANUP_FREE char *why = NULL;
            if (asprintf(&why, "nothing was written to '%s'", req->out_dir) >= 0)
                progress_interrupted(&p, why);
        }
        ab_error_release(&err);
        return status;
    }
    progress_done(&p, req->out_dir);
    return c->json ? cli_print_output(req->out_dir, mono_now() - p.start) : 0;
}

/* --connect, --domain, --live, --allow-crash-consistent; -1: not one. */
static int
parse_live_option(int c, const char *arg, struct convert_live_args *live)
{
    switch (c) {
    case 'c':
        live->uri = arg;
        return 0;
    case OPT_DOMAIN:
        live->domain = arg;
        return 0;
    case OPT_LIVE:
        live->live = true;
        return 0;
    case OPT_ALLOW_CRASH_CONSISTENT:
        live->allow_crash_consistent = true;
        return 0;
    default:
        return -1;
    }
}

static int
parse_option(int c, const char *arg, struct convert_request *req)
{
    int v;
    const char *why;
    switch (c) {
    case 'o':
        req->out_dir = arg;
        return 0;
    case 't':
        return parse_outputs(arg, &req->outputs) < 0 ? 2 : 0;
    case OPT_HARDWARE_FROM:
        req->hardware_from = arg;
        return 0;
    case OPT_CPUS:
        return parse_number("--cpus", arg, &req->cpus);
    case OPT_MEMORY:
        if (size_parse(arg, &req->memory, &why) < 0 || req->memory < 64 * MiB)
            return cli_usage_error(
                "convert", "option '--memory' needs a size of at least 64MiB, not '%s'", arg);
        return 0;
    case OPT_FIRMWARE:
        if (ab_enum_from_string(&firmware_table, arg, &v) < 0)
            return cli_usage_error(
                "convert", "unknown firmware '%s' (expected bios, uefi or bios+uefi)", arg);
        req->firmware = v;
        return 0;
    case OPT_NAME:
        req->name = arg;
        return 0;
    case OPT_NEW_IDENTITY:
        req->new_identity = true;
        return 0;
    case OPT_SIGN_KEY:
        req->sign_key = arg;
        return 0;
    case OPT_BUILDER_ID:
        req->builder_id = arg;
        return 0;
    case CLI_OPT_ARCH:
        return cli_arch_option("convert", arg, &req->arch);
    default:
        return -1;
    }
}

struct convert_args {
    struct convert_request req;
    struct convert_live_args live;
};

static int
on_convert_option(void *ctx, int id, const char *arg)
{
    struct convert_args *a = ctx;
    int r = parse_live_option(id, arg, &a->live);
    return r < 0 ? parse_option(id, arg, &a->req) : r;
}

/* The positional arguments and the options that must be given. */
static int
check_usage(struct cli *c, struct convert_args *a)
{
    int r;
    if ((r = convert_live_check_usage(&a->live, c->n_args)) != 0)
        return r;
    if (c->n_args < 1 && !a->live.domain)
        return cli_usage_error("convert", "missing SRC");
    if (c->n_args > 2)
        return cli_usage_error("convert", "unexpected argument '%s'", c->args[2]);
    if (!a->req.out_dir)
        return cli_usage_error("convert", "missing option '-o DIR'");
    if (!a->req.outputs)
        return cli_usage_error("convert", "missing option '--to OUTPUTS'");
    if (c->n_args == 2) {
        a->req.disks[0] = c->args[0];
        a->req.disks[1] = c->args[1];
    } else if (c->n_args == 1) {
        a->req.src = c->args[0];
    }
    return 0;
}

int
cmd_convert(int argc, char **argv)
{
    struct cli c;
    struct convert_args a = {0};
    int status = cli_parse(&c, &convert_command, argc, argv, on_convert_option, &a);
    if (status >= 0)
        return status;
    if ((status = check_usage(&c, &a)) != 0)
        return status;
    if ((status = cli_open_log(&c)) != 0 || (status = cli_check_inputs(&c, c.args, c.n_args)))
        return cli_release(&c, status);
    a.req.spawn.log = c.log;
    return cli_release(&c, run_convert(&c, &a.req, &a.live));
}
