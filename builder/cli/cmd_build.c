/* cmd_build.c: `appliance build RECIPE [-o DIR]`. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appliance/build.h"
#include "appliance/arch.h"
#include "appliance/cache.h"
#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/clock.h"
#include "appliance/oci.h"
#include "appliance/plan.h"
#include "appliance/size.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"
#include "appliance/tree.h"
#include "appliance/userns.h"
#include "options.h"
#include "progress.h"

enum {
    OPT_CACHE_DIR = CLI_OPT_FIRST,
    OPT_NO_CACHE,
    OPT_NO_REUSE,
    OPT_CACHE_MAX,
    OPT_NO_SPACE_CHECK,
    OPT_SIGN_KEY,
    OPT_BUILDER_ID,
    OPT_CACHE_REGISTRY,
};

static const struct cli_option build_options[] = {
    {'o', 'o', "output", "DIR", "write the results to DIR\n(default: output/NAME-VERSION)", NULL},
    {OPT_CACHE_DIR, 0, "cache-dir", "DIR",
     "keep root trees and disks in DIR (default:\n$APPLIANCE_CACHE_DIR, else /var/cache/appliance\nfor root, ~/.cache/appliance for a user)",
     NULL},
    {OPT_NO_CACHE, 0, "no-cache", NULL,
     "build everything afresh and keep nothing: the root\ntree, the disks and their exports",
     NULL},
    {OPT_NO_REUSE, 0, "no-reuse", NULL,
     "build every disk and export afresh and keep none\n(the root tree still comes from the "
     "cache)",
     NULL},
    {OPT_CACHE_MAX, 0, "cache-max", "SIZE",
     "the cache's disks and exports take at most SIZE,\nthe least recently used go first "
     "(default 8GiB)",
     NULL},
    {OPT_NO_SPACE_CHECK, 0, "no-space-check", NULL, "build even when the free space looks too small",
     NULL},
    {OPT_SIGN_KEY, 0, "sign-key", "FILE",
     "sign SHA256SUMS (SHA256SUMS.sig) and the provenance\n(NAME-VERSION.intoto.jsonl) with "
     "FILE, an Ed25519\nor ECDSA P-256 private key in PEM that only its\nowner may read",
     NULL},
    {OPT_BUILDER_ID, 0, "builder-id", "URI",
     "the builder the provenance names (default: the\nrecipe's vendor_url)",
     NULL},
    CLI_PROGRESS_OPTION,
    {OPT_CACHE_REGISTRY, 0, "cache-registry", "REF",
     "share the root tree and disk caches through the OCI\nregistry repository REF "
     "(HOST[:PORT]/PATH; default:\n$APPLIANCE_CACHE_REGISTRY): pull what is there, push\n"
     "what was built; credentials from the containers'\nauth files only",
     NULL},
    CLI_RECIPE_OPTIONS,
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command build_command = {
    "build",
    "Usage: appliance build RECIPE [-o DIR] [OPTIONS]\n"
    "\n"
    "Build the appliance that RECIPE describes (the OS disk and the\n"
    "application disk) and write every output it asks for, each file named\n"
    "NAME-VERSION.* (NAME-VERSION.ova, NAME-VERSION-os.qcow2 + NAME-VERSION.xml,\n"
    "NAME-VERSION-os.vhdx + NAME-VERSION.ps1, ...), an INSTALL-TARGET.md for\n"
    "each import target they serve, the SBOMs (SPDX 2.3 and CycloneDX 1.6),\n"
    "the provenance (in-toto, SLSA v1), SHA256SUMS and build-report.json;\n"
    "with --sign-key, the signatures of SHA256SUMS and of the provenance. A\n"
    "recipe that lists both architectures (hardware.arch: [x86_64, aarch64])\n"
    "builds each into the one folder, its files named NAME-VERSION-ARCH.*,\n"
    "INSTALL-TARGET-ARCH.md and build-report-ARCH.json, under one SHA256SUMS. A\n"
    "failed or interrupted build leaves nothing behind and never touches a\n"
    "previous output.\n"
    "\n"
    "On a terminal each stage has one line, redrawn in place with the time\n"
    "spent and, for long writes, a bar with percent and bytes; elsewhere the\n"
    "same as plain timestamped lines; with --progress=json, one JSON object a\n"
    "line (stage, bytes done and total, percent). The log (--log) has every\n"
    "command the build runs and its output; --verbose prints the commands\n"
    "too. The recipe's warnings go to stderr as FILE:LINE:COL: warning:\n"
    "MESSAGE before the build starts, even with --quiet.\n"
    "\n"
    "Run by a user, it builds as root of a user namespace mapped to the\n"
    "user's subordinate ids (/etc/subuid, /etc/subgid; newuidmap from uidmap).\n",
    build_options,
    "With --json, prints {\"output\": DIR, \"seconds\": N} when the build succeeds.\n"
    "Exit status: 0 success, 1 build failed, 2 usage error, 3 invalid recipe\n"
    "(or warnings with --werror), 4 RECIPE cannot be read (missing), 129, 130\n"
    "or 143 interrupted (SIGHUP, SIGINT, SIGTERM).\n",
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

/* A user, or a container's root that may not mount, builds as root of a
 * user namespace (userns.h), before any thread starts, with the cache of
 * its own (cache.h), named before the build is root there: *cache_dir is
 * the caller's to free. Root of the host building for another
 * architecture (any of those the recipe lists) enters one where every id
 * is itself, to register qemu-user in a binfmt_misc the host never sees
 * (binfmt.h). */
static int
enter_userns(struct cli *c, const struct plan *plan, struct build_opts *opts, char **cache_dir)
{
    struct ab_error err = AB_ERROR_INIT;
    enum userns_need need = userns_needed();
    if (need == USERNS_NONE && (plan->hardware.arches & ~(unsigned)arch_host())) {
        if (userns_enter_identity(&opts->spawn, &err) == 0)
            return 0;
        int status = cli_report_to(c, &err);
        ab_error_release(&err);
        return status;
    }
    if (need == USERNS_NONE)
        return 0;
    /* The cache as the user or the container's root sees it, chosen
     * before the namespace makes either root. */
    if (!opts->cache.dir && !(opts->cache.dir = *cache_dir = cache_default_dir()))
        return 1;
    if ((need == USERNS_USER ? userns_enter(&opts->spawn, &err)
                             : userns_enter_nested(&opts->spawn, &err)) == 0)
        return 0;
    int status = cli_report_to(c, &err);
    ab_error_release(&err);
    return status;
}

/* Builds the plans of the recipe's architectures (n of them) into one
 * folder. */
static int
run_build(struct cli *c, const struct plan *const *plans, size_t n, const char *output,
          struct build_opts *opts)
{
    enum progress_level level = cli_progress_level(c);
    struct ab_error err = AB_ERROR_INIT;
    struct progress p;
    CLEANUP_FREE char *dir = NULL, *cache_dir = NULL;
    const struct plan *plan = plans[0];

    if (!output && asprintf(&dir, "output/%s-%s", plan->name, plan->version) < 0)
        return 1;
    int refused = enter_userns(c, plan, opts, &cache_dir);
    if (refused != 0)
        return refused;
    progress_init(&p, stderr, cli_progress_form(c), level);
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
    int r = n > 1 ? build_run_arches(plans, n, opts, &err) : build_run(plan, opts, &err);
    progress_release(&p);
    if (r < 0) {
        int status = stop_signal() ? 128 + stop_signal() : cli_report_to(c, &err);
        if (stop_signal()) {
            CLEANUP_FREE char *why = NULL;
            if (asprintf(&why, "nothing was written to '%s'", opts->output) >= 0)
                progress_interrupted(&p, why);
        }
        ab_error_release(&err);
        return status;
    }
    progress_done(&p, opts->output);
    return c->json ? cli_print_output(opts->output, mono_now() - p.start) : 0;
}

struct build_args {
    struct build_opts opts;
    const char *output;
    struct cli_recipe_opts recipe; /* --set, --werror */
};

static int
on_build_option(void *ctx, int id, const char *arg)
{
    struct build_args *a = ctx;
    const char *why = NULL;
    switch (id) {
    case 'o':
        a->output = arg;
        return 0;
    case OPT_CACHE_DIR:
        a->opts.cache.dir = arg;
        a->recipe.cache_dir = arg;
        return 0;
    case OPT_NO_CACHE:
        a->opts.cache.disabled = true;
        return 0;
    case OPT_NO_REUSE:
        a->opts.cache.no_reuse = true;
        return 0;
    case OPT_CACHE_MAX:
        if (size_parse(arg, &a->opts.cache.max_bytes, &why) < 0 || a->opts.cache.max_bytes == 0)
            return cli_usage_error("build", "--cache-max '%s': %s", arg,
                                   why ? why : "must be more than 0");
        return 0;
    case OPT_NO_SPACE_CHECK:
        a->opts.no_space_check = true;
        return 0;
    case OPT_SIGN_KEY:
        a->opts.sign_key = arg;
        return 0;
    case OPT_BUILDER_ID:
        a->opts.builder_id = arg;
        return 0;
    case OPT_CACHE_REGISTRY:
        a->opts.cache_registry = arg;
        return 0;
    default:
        return cli_recipe_option(&a->recipe, "build", id, arg);
    }
}

/* The plans' build, with the log and the cache registry the options and
 * the environment give. */
static int
build_plans(struct cli *c, struct build_args *a, const struct plan *const *plans, size_t n)
{
    int status = cli_open_log(c);
    if (status != 0)
        return status;
    a->opts.spawn.log = c->log;
    if (!a->opts.cache_registry) {
        const char *env = getenv("APPLIANCE_CACHE_REGISTRY");
        a->opts.cache_registry = env && *env ? env : NULL;
    }
    if (a->opts.cache_registry) {
        struct oci_ref ref;
        struct ab_error err = AB_ERROR_INIT;
        int bad = oci_ref_parse(a->opts.cache_registry, true, &ref, &err);
        oci_ref_release(&ref);
        if (bad < 0) {
            status = cli_report_to(c, &err);
            ab_error_release(&err);
            return status;
        }
    }
    return run_build(c, plans, n, a->output, &a->opts);
}

static int
build_recipe(struct cli *c, struct build_args *a)
{
    int status = 0;
    const struct plan *plans[2];
    size_t n = cli_load_plans(c, c->args[0], &a->recipe, plans, &status);
    if (!n)
        return status;
    status = build_plans(c, a, plans, n);
    for (size_t i = 0; i < n; i++)
        plan_free(plans[i]);
    return status;
}

int
cmd_build(int argc, char **argv)
{
    struct cli c;
    struct build_args a = {0};
    int status = cli_parse(&c, &build_command, argc, argv, on_build_option, &a);
    if (status < 0 && c.n_args < 1)
        status = cli_usage_error("build", "missing RECIPE");
    else if (status < 0 && c.n_args > 1)
        status = cli_usage_error("build", "unexpected argument '%s'", c.args[1]);
    if (status < 0)
        status = build_recipe(&c, &a);
    cli_recipe_opts_release(&a.recipe);
    return cli_release(&c, status);
}
