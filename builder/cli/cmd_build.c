/* cmd_build.c: `appliance build RECIPE [-o DIR]`. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appliance/build.h"
#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/clock.h"
#include "appliance/plan.h"
#include "appliance/size.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"
#include "appliance/tree.h"
#include "progress.h"

static const char build_usage[] =
    "Usage: appliance build RECIPE [-o DIR] [OPTIONS]\n"
    "\n"
    "Build the appliance that RECIPE describes (the OS disk and the\n"
    "application disk) and write every output it asks for (OVA, qcow2 +\n"
    "libvirt XML, VHDX + Hyper-V script, ...), SHA256SUMS and\n"
    "build-report.json. A failed or interrupted build leaves nothing\n"
    "behind and never touches a previous output.\n"
    "\n"
    "On a terminal each stage has one line, redrawn in place with the time\n"
    "spent and, for long writes, a bar with percent and bytes; elsewhere the\n"
    "same as plain timestamped lines.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR     write the results to DIR\n"
    "                       (default: output/NAME-VERSION)\n"
    "      --cache-dir DIR  keep root trees in DIR (default: /var/cache/appliance\n"
    "                       as root, or $APPLIANCE_CACHE_DIR)\n"
    "      --no-cache       build everything afresh and keep nothing: the root\n"
    "                       tree, the disks and their exports\n"
    "      --no-reuse       build every disk and export afresh and keep none\n"
    "                       (the root tree still comes from the cache)\n"
    "      --cache-max SIZE the cache's disks and exports take at most SIZE,\n"
    "                       the least recently used go first (default 8GiB)\n"
    "      --log FILE       write every command and its output to FILE\n"
    "      --no-space-check build even when the free space looks too small\n"
    "      --set KEY=VALUE  set a value of the recipe, as if written in it\n"
    "                       (os.hostname, disks.app.size; repeatable)\n"
    "      --werror         treat the recipe's warnings as errors (exit 3)\n"
    "  -q, --quiet          print errors only\n"
    "  -v, --verbose        also print each command the build runs\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 success, 1 build failed, 2 usage error, 3 invalid recipe,\n"
    "129, 130 or 143 interrupted (SIGHUP, SIGINT, SIGTERM).\n";

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

static int
run_build(const struct plan *plan, const char *output, struct build_opts *opts,
          enum progress_level level)
{
    struct ab_error err = AB_ERROR_INIT;
    struct progress p;
    CLEANUP_FREE char *dir = NULL;

    if (!output && asprintf(&dir, "output/%s-%s", plan->name, plan->version) < 0)
        return 1;
    progress_init(&p, stderr, cli_stderr_is_terminal(), level);
    struct build_events ev = {&p, on_begin, on_end, on_notice, on_progress};
    opts->output = output ? output : dir;
    opts->events = &ev;
    if (level >= PROGRESS_VERBOSE) {
        opts->spawn.echo = on_command;
        opts->spawn.echo_arg = &p;
    }
    /* The process's own changes, made here once, before any thread: mtools
     * must not check the ESP's geometry against its size (mkfs.vfat's
     * --offset), and the build's mounts go in a namespace of its own. */
    setenv("MTOOLS_SKIP_CHECK", "1", 1);
    opts->private_ns = tree_private_namespace() == 0;
    cli_stop_on_signals(CLI_STOP_CHILDREN);
    progress_start_ticker(&p);
    int r = build_run(plan, opts, &err);
    progress_release(&p);
    if (r < 0) {
        int status = stop_signal() ? 128 + stop_signal() : cli_report(&err);
        if (stop_signal())
            fprintf(stderr, "appliance: interrupted: nothing was written to '%s'\n", opts->output);
        ab_error_release(&err);
        return status;
    }
    if (level >= PROGRESS_NORMAL)
        fprintf(stderr, "[%6.1fs] done: %s\n", mono_now() - p.start, opts->output);
    return 0;
}

int
cmd_build(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"cache-dir", required_argument, NULL, 'C'},
        {"no-cache", no_argument, NULL, 'N'},
        {"no-reuse", no_argument, NULL, 'R'},
        {"cache-max", required_argument, NULL, 'M'},
        {"log", required_argument, NULL, 'L'},
        {"no-space-check", no_argument, NULL, 'S'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"set", required_argument, NULL, 's'},
        {"werror", no_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct build_opts opts = {0};
    struct cli_recipe_opts ro = {0};
    const char *output = NULL, *log_path = NULL;
    enum progress_level level = PROGRESS_NORMAL;
    bool quiet = false;
    int c;

    while ((c = getopt_long(argc, argv, ":o:qvh", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'C':
            opts.cache.dir = optarg;
            break;
        case 'N':
            opts.cache.disabled = true;
            break;
        case 'R':
            opts.cache.no_reuse = true;
            break;
        case 'M': {
            const char *why = NULL;
            if (size_parse(optarg, &opts.cache.max_bytes, &why) < 0 || opts.cache.max_bytes == 0)
                return cli_usage_error("build", "--cache-max '%s': %s", optarg,
                                       why ? why : "must be more than 0");
            break;
        }
        case 'L':
            log_path = optarg;
            break;
        case 'S':
            opts.no_space_check = true;
            break;
        case 's':
            if (cli_recipe_opts_add_set(&ro, optarg))
                return 1;
            break;
        case 'W':
            ro.werror = true;
            break;
        case 'q':
            level = PROGRESS_QUIET;
            quiet = true;
            break;
        case 'v':
            level = PROGRESS_VERBOSE;
            break;
        case 'h':
            fputs(build_usage, stdout);
            return 0;
        default:
            return cli_option_error("build", c, argv);
        }
    }
    if (quiet && level == PROGRESS_VERBOSE)
        return cli_usage_error("build", "options '--quiet' and '--verbose' exclude each other");
    if (optind >= argc)
        return cli_usage_error("build", "missing RECIPE");
    if (optind + 1 < argc)
        return cli_usage_error("build", "unexpected argument '%s'", argv[optind + 1]);

    int status = 0;
    CLEANUP_PLAN const struct plan *plan = cli_load_plan(argv[optind], &ro, &status);
    cli_recipe_opts_release(&ro);
    if (!plan)
        return status;
    CLEANUP_FCLOSE FILE *log = NULL;
    if (log_path && !(log = fopen(log_path, "w"))) {
        fprintf(stderr, "appliance: error: cannot write log '%s': %s\n", log_path, strerror(errno));
        return 1;
    }
    opts.spawn.log = log;
    return run_build(plan, output, &opts, level);
}
