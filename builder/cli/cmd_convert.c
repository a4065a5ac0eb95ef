/* cmd_convert.c: `appliance convert SRC -o DIR --to OUTPUTS`. */
#include <errno.h>
#include <getopt.h>
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
#include "progress.h"

static const char convert_usage[] =
    "Usage: appliance convert SRC -o DIR --to OUTPUTS [OPTIONS]\n"
    "       appliance convert OS_DISK APP_DISK -o DIR --to OUTPUTS [OPTIONS]\n"
    "       appliance convert --connect URI --domain NAME --live -o DIR --to OUTPUTS\n"
    "\n"
    "Move an existing appliance to other hypervisors. SRC is an output folder\n"
    "as build wrote it (its two disks in any one format beside\n"
    "build-report.json or the OVF), an .ova or an .ovf; or give the two disk\n"
    "images (os, then app) with --hardware-from or --cpus/--memory/--firmware.\n"
    "Writes the same outputs a build writes, with SHA256SUMS and\n"
    "convert-report.json, and compares every converted disk with its source\n"
    "(qemu-img compare) before the folder is put in place. The guest is not\n"
    "changed: every image of this project carries every hypervisor's drivers\n"
    "and add-ons. A source without the volume groups vg_os and vg_app is\n"
    "refused. A failed or interrupted convert leaves nothing behind.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR        write the results to DIR (must be given)\n"
    "  -t, --to OUTPUTS        comma-separated: ova, ovf, vmdk, qcow2, libvirt,\n"
    "                          vhdx, hyperv, vdi, raw, azure, gce\n"
    "      --hardware-from FILE  the hardware from a build-report.json, an .ovf\n"
    "                          or a libvirt domain XML (virsh dumpxml)\n"
    "      --cpus N            virtual CPUs (overrides the source)\n"
    "      --memory SIZE       memory, e.g. 2GiB (overrides the source)\n"
    "      --firmware FW       bios, uefi or bios+uefi (overrides the source)\n"
    "      --name NAME         the name of the outputs (default: the source's)\n"
    "      --new-identity      a clone: machine-id emptied and SSH host keys\n"
    "                          removed in the copies (regenerated at first boot)\n"
    "  -c, --connect URI       libvirt connection URI of --domain (default: libvirt's)\n"
    "      --domain NAME       convert this running libvirt domain (with --live)\n"
    "      --live              while it runs: its filesystems frozen through the\n"
    "                          qemu guest agent for a disk-only snapshot, its\n"
    "                          disks copied, the snapshot committed back\n"
    "      --allow-crash-consistent  without a guest agent that can freeze,\n"
    "                          snapshot anyway (as a power cut would leave it)\n"
    "      --log FILE          write every command and its output to FILE\n"
    "  -q, --quiet             print errors only\n"
    "  -v, --verbose           also print each command convert runs\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 success, 1 convert failed or the source was refused,\n"
    "2 usage error, 129, 130 or 143 interrupted (SIGHUP, SIGINT, SIGTERM).\n";

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
        if (v == OUTPUT_CONTAINER) {
            cli_usage_error("convert", "output 'container' is made from the configured root "
                                       "tree: only 'appliance build' writes it");
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
run_convert(struct convert_request *req, const struct convert_live_args *live,
            enum progress_level level)
{
    struct ab_error err = AB_ERROR_INIT;
    struct progress p;

    progress_init(&p, stderr, cli_stderr_is_terminal(), level);
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
        int status = stop_signal() ? 128 + stop_signal() : cli_report(&err);
        if (stop_signal())
            fprintf(stderr, "appliance: interrupted: nothing was written to '%s'\n", req->out_dir);
        ab_error_release(&err);
        return status;
    }
    if (level >= PROGRESS_NORMAL)
        fprintf(stderr, "[%6.1fs] done: %s\n", mono_now() - p.start, req->out_dir);
    return 0;
}

enum {
    OPT_HARDWARE_FROM = 256,
    OPT_CPUS,
    OPT_MEMORY,
    OPT_FIRMWARE,
    OPT_NAME,
    OPT_NEW_IDENTITY,
    OPT_LOG,
    OPT_DOMAIN,
    OPT_LIVE,
    OPT_ALLOW_CRASH_CONSISTENT,
};

/* --connect, --domain, --live, --allow-crash-consistent; -1: not one. */
static int
parse_live_option(int c, struct convert_live_args *live)
{
    switch (c) {
    case 'c':
        live->uri = optarg;
        return 0;
    case OPT_DOMAIN:
        live->domain = optarg;
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
parse_option(int c, struct convert_request *req, const char **log_path)
{
    int v;
    const char *why;
    switch (c) {
    case 'o':
        req->out_dir = optarg;
        return 0;
    case 't':
        return parse_outputs(optarg, &req->outputs) < 0 ? 2 : 0;
    case OPT_HARDWARE_FROM:
        req->hardware_from = optarg;
        return 0;
    case OPT_CPUS:
        return parse_number("--cpus", optarg, &req->cpus);
    case OPT_MEMORY:
        if (size_parse(optarg, &req->memory, &why) < 0 || req->memory < 64 * MiB)
            return cli_usage_error(
                "convert", "option '--memory' needs a size of at least 64MiB, not '%s'", optarg);
        return 0;
    case OPT_FIRMWARE:
        if (ab_enum_from_string(&firmware_table, optarg, &v) < 0)
            return cli_usage_error(
                "convert", "unknown firmware '%s' (expected bios, uefi or bios+uefi)", optarg);
        req->firmware = v;
        return 0;
    case OPT_NAME:
        req->name = optarg;
        return 0;
    case OPT_NEW_IDENTITY:
        req->new_identity = true;
        return 0;
    case OPT_LOG:
        *log_path = optarg;
        return 0;
    default:
        return -1;
    }
}

int
cmd_convert(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"to", required_argument, NULL, 't'},
        {"hardware-from", required_argument, NULL, OPT_HARDWARE_FROM},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"firmware", required_argument, NULL, OPT_FIRMWARE},
        {"name", required_argument, NULL, OPT_NAME},
        {"new-identity", no_argument, NULL, OPT_NEW_IDENTITY},
        {"log", required_argument, NULL, OPT_LOG},
        {"connect", required_argument, NULL, 'c'},
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"live", no_argument, NULL, OPT_LIVE},
        {"allow-crash-consistent", no_argument, NULL, OPT_ALLOW_CRASH_CONSISTENT},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct convert_request req = {0};
    struct convert_live_args live = {0};
    const char *log_path = NULL;
    enum progress_level level = PROGRESS_NORMAL;
    bool quiet = false;
    int c, r;

    while ((c = getopt_long(argc, argv, ":o:t:c:qvh", options, NULL)) != -1) {
        switch (c) {
        case 'q':
            level = PROGRESS_QUIET;
            quiet = true;
            break;
        case 'v':
            level = PROGRESS_VERBOSE;
            break;
        case 'h':
            fputs(convert_usage, stdout);
            return 0;
        default:
            r = parse_live_option(c, &live);
            if (r < 0)
                r = parse_option(c, &req, &log_path);
            if (r < 0)
                return cli_option_error("convert", c, argv);
            if (r > 0)
                return r;
        }
    }
    if (quiet && level == PROGRESS_VERBOSE)
        return cli_usage_error("convert", "options '--quiet' and '--verbose' exclude each other");
    int n_args = argc - optind;
    if ((r = convert_live_check_usage(&live, n_args)) != 0)
        return r;
    if (n_args < 1 && !live.domain)
        return cli_usage_error("convert", "missing SRC");
    if (n_args > 2)
        return cli_usage_error("convert", "unexpected argument '%s'", argv[optind + 2]);
    if (!req.out_dir)
        return cli_usage_error("convert", "missing option '-o DIR'");
    if (!req.outputs)
        return cli_usage_error("convert", "missing option '--to OUTPUTS'");
    if (n_args == 2) {
        req.disks[0] = argv[optind];
        req.disks[1] = argv[optind + 1];
    } else {
        req.src = argv[optind];
    }

    CLEANUP_FCLOSE FILE *log = NULL;
    if (log_path && !(log = fopen(log_path, "w"))) {
        fprintf(stderr, "appliance: error: cannot write log '%s': %s\n", log_path, strerror(errno));
        return 1;
    }
    req.spawn.log = log;
    return run_convert(&req, &live, level);
}
