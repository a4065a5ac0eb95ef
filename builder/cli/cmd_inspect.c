/* cmd_inspect.c: `appliance inspect BUNDLE|DISK...`. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/bundle.h"
#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/fsutil.h"
#include "appliance/guest_read.h"
#include "appliance/inspect.h"
#include "appliance/stop.h"
#include "options.h"

enum {
    OPT_NO_DISKS = CLI_OPT_FIRST,
    OPT_NO_APPLIANCE,
    OPT_NO_VERIFY,
    OPT_TARGET,
};

static const struct cli_option inspect_options[] = {
    {OPT_NO_DISKS, 0, "no-disks", NULL,
     "do not read the disks; the disk files there are still\nchecked", NULL},
    {OPT_NO_APPLIANCE, 0, "no-appliance", NULL,
     "read the disks on the host only: what only the libguestfs\nappliance reads (files on "
     "xfs) is noted, not read",
     NULL},
    {OPT_NO_VERIFY, 0, "no-verify", NULL, "do not recompute the manifests' digests", NULL},
    {OPT_TARGET, 0, "target", "T",
     "judge each bundle by import target T's rules (generic,\nesxi-6.7, esxi-7.0, esxi-8.0, "
     "workstation, virtualbox,\nproxmox, xcp-ng, aws, fusion-arm64, esxi-arm): what it\nwould "
     "reject or ignore",
     NULL},
    CLI_ARCH_OPTION,
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command inspect_command = {
    "inspect",
    "Usage: appliance inspect [OPTIONS] BUNDLE|DISK...\n"
    "\n"
    "Describe built appliances and check them. A BUNDLE is an output folder,\n"
    "an .ova, or an .ovf with its files beside it; a DISK is any disk image\n"
    "(raw, qcow2, vmdk, vhdx, vdi, vhd). Prints the OVF summary (product, OS,\n"
    "CPUs, memory, controller, NICs, firmware, disks), recomputes every digest\n"
    "of the manifests (.mf, SHA256SUMS), and reads the disks on the host,\n"
    "read-only, with no VM and no root: partitions, LVM, filesystems and the\n"
    "operating system (files on ext2/3/4 through libext2fs, any image format\n"
    "through qemu-nbd). Only what the host cannot read (files on xfs) is read\n"
    "through one read-only libguestfs appliance, which the output names. The\n"
    "disks of all arguments are read together. A disk\n"
    "image that names another file (a backing file, a data file, VMDK extents\n"
    "or a parent) is refused before anything opens it. Of a folder built for\n"
    "both architectures, one is described (--arch; default: this machine's),\n"
    "and every digest of its SHA256SUMS checked. With --json, the findings as\n"
    "JSON (sizes in bytes).\n",
    inspect_options,
    "Exit status: 0 all is well, 1 a file could not be read, a disk image was\n"
    "refused, a digest does not match, the bundle has a problem or the --target\n"
    "importer would reject it, 2 usage error, 4 a BUNDLE or DISK does not exist.\n",
};

struct inspect_opts {
    const struct cli *cli;
    bool disks, verify, appliance;
    int target;       /* enum ova_target; -1: none */
    const char *arch; /* --arch */
};

static void progress(const struct inspect_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Progress for people watching: on a terminal, else with --verbose; never
 * with --quiet. */
static void
progress(const struct inspect_opts *o, const char *fmt, ...)
{
    if (!cli_shows(o->cli, isatty(STDERR_FILENO) ? CLI_NORMAL : CLI_VERBOSE))
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("appliance: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Moves err's messages into the report (and releases err). */
static void
take_errors(struct inspect_report *r, struct ab_error *err)
{
    for (size_t i = 0; i < err->n_diags; i++) {
        const struct ab_diag *d = &err->diags[i];
        char *msg = NULL;
        char **grown = realloc(r->errors, (r->n_errors + 2) * sizeof(char *));
        if (!grown)
            break;
        r->errors = grown;
        if (d->file && asprintf(&msg, "%s: %s", d->file, d->msg) < 0)
            msg = NULL;
        grown[r->n_errors] = d->file ? msg : strdup(d->msg);
        if (grown[r->n_errors])
            r->n_errors++;
        grown[r->n_errors] = NULL;
    }
    if (err->code == AB_E_NOMEM && err->n_diags == 0) {
        char **grown = realloc(r->errors, (r->n_errors + 2) * sizeof(char *));
        if (grown && (grown[r->n_errors] = strdup(strerror(ENOMEM))))
            grown[++r->n_errors] = NULL;
        if (grown)
            r->errors = grown;
    }
    ab_error_release(err);
}

/* The disks' side, run beside the digests in its own thread. */
struct guest_job {
    struct inspect_drive *drives;
    size_t n;
    const struct inspect_opts *o;
    struct inspect_guest *guest;
    struct ab_error err;
};

static void
guest_notice(void *ctx, const char *msg)
{
    const struct inspect_opts *o = ctx;
    if (cli_shows(o->cli, CLI_NORMAL))
        fprintf(stderr, "appliance: notice: %s\n", msg);
}

static void *
guest_thread(void *arg)
{
    struct guest_job *j = arg;
    struct guest_read_opts ro = {NULL, j->o->appliance, guest_notice, (void *)j->o};
    guest_read(j->drives, j->n, &ro, &j->guest, &j->err);
    return NULL;
}

static size_t
collect_drives(const struct inspect_report *r, struct inspect_drive **out)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_bundles; i++)
        n += r->bundles[i]->n_disks;
    *out = n ? calloc(n, sizeof(**out)) : NULL;
    if (!*out)
        return 0;
    n = 0;
    for (size_t i = 0; i < r->n_bundles; i++)
        for (size_t d = 0; d < r->bundles[i]->n_disks; d++) {
            const struct bundle_disk *bd = &r->bundles[i]->disks[d];
            (*out)[n++] = (struct inspect_drive){bd->path, bd->format, bd->name, bd->virtual_size};
        }
    return n;
}

static void
open_bundles(struct inspect_report *r, char **paths, size_t n, const struct inspect_opts *o,
             const char *scratch)
{
    unsigned flags = (o->disks ? BUNDLE_DISKS : 0) | (o->verify ? BUNDLE_VERIFY : 0);
    r->bundles = calloc(n, sizeof(*r->bundles));
    for (size_t i = 0; r->bundles && i < n && !stop_requested(); i++) {
        struct ab_error err = AB_ERROR_INIT;
        CLEANUP_FREE char *sub = NULL;
        if (asprintf(&sub, "%s/%zu", scratch, i) < 0) {
            sub = NULL;
            break;
        }
        progress(o, "reading '%s'", paths[i]);
        struct bundle *b = bundle_open(paths[i], o->arch, flags, sub, NULL, &err);
        if (b)
            r->bundles[r->n_bundles++] = b;
        take_errors(r, &err);
    }
}

static void
verify_bundles(struct inspect_report *r, const struct inspect_opts *o)
{
    for (size_t i = 0; i < r->n_bundles && !stop_requested(); i++) {
        struct ab_error err = AB_ERROR_INIT;
        if (r->bundles[i]->n_checks)
            progress(o, "checking the digests of '%s'", r->bundles[i]->path);
        bundle_verify(r->bundles[i], &err);
        take_errors(r, &err);
    }
}

/* --target: each bundle judged by the target's rules. */
static void
judge_bundles(struct inspect_report *r, const struct inspect_opts *o)
{
    if (o->target < 0 || !(r->targets = calloc(r->n_bundles + 1, sizeof(*r->targets))))
        return;
    for (size_t i = 0; i < r->n_bundles; i++) {
        struct ab_error err = AB_ERROR_INIT;
        target_check(r->bundles[i], (enum ova_target)o->target, &r->targets[i], &err);
        take_errors(r, &err);
    }
}

/* The report's errors, each "FILE: message", as text or JSON. */
static void
report_errors(const struct inspect_opts *o, const struct inspect_report *r)
{
    struct ab_error all = AB_ERROR_INIT;
    for (size_t i = 0; i < r->n_errors; i++)
        ab_error_set(&all, AB_E_BUILD, 0, NULL, "%s", r->errors[i]);
    cli_report_to((struct cli *)o->cli, &all);
    ab_error_release(&all);
}

static int
run(struct inspect_report *r, char **paths, size_t n, const struct inspect_opts *o,
    const char *scratch)
{
    open_bundles(r, paths, n, o, scratch);
    CLEANUP_FREE struct inspect_drive *drives = NULL;
    struct guest_job job = {.o = o, .err = AB_ERROR_INIT};
    pthread_t thread;
    bool started = false;
    if (o->disks && !stop_requested() && (job.n = collect_drives(r, &drives)) > 0) {
        job.drives = drives;
        progress(o, "reading %zu disk%s", job.n, job.n == 1 ? "" : "s");
        started = pthread_create(&thread, NULL, guest_thread, &job) == 0;
        if (!started)
            ab_build_error(&job.err, errno, "cannot start a thread: %s", strerror(errno));
    }
    if (o->verify)
        verify_bundles(r, o);
    judge_bundles(r, o);
    r->verified = o->verify && !stop_requested();
    if (started)
        pthread_join(thread, NULL);
    r->guest = job.guest;
    take_errors(r, &job.err);
    if (stop_requested())
        return 128 + stop_signal();
    int rc = o->cli->json ? inspect_write_json(r, stdout) : inspect_write_text(r, stdout);
    report_errors(o, r);
    if (rc < 0 || fflush(stdout) != 0) {
        perror("appliance: error: writing the findings");
        return 1;
    }
    return inspect_report_ok(r) ? 0 : 1;
}

static void
report_release(struct inspect_report *r)
{
    for (size_t i = 0; i < r->n_bundles; i++)
        bundle_free(r->bundles[i]);
    for (size_t i = 0; r->targets && i < r->n_bundles; i++)
        target_report_free(r->targets[i]);
    free(r->targets);
    free(r->bundles);
    ab_strv_free(r->errors);
    inspect_guest_free(r->guest);
}

static int
on_inspect_option(void *ctx, int id, const char *arg)
{
    struct inspect_opts *o = ctx;
    switch (id) {
    case OPT_TARGET:
        if (ab_enum_from_string(&ova_target_table, arg, &o->target) < 0) {
            char list[256];
            return cli_usage_error("inspect", "unknown target '%s': use %s", arg,
                                   ab_enum_list(&ova_target_table, list, sizeof(list)));
        }
        return 0;
    case OPT_NO_DISKS:
        o->disks = false;
        return 0;
    case OPT_NO_APPLIANCE:
        o->appliance = false;
        return 0;
    case OPT_NO_VERIFY:
        o->verify = false;
        return 0;
    case CLI_OPT_ARCH:
        return cli_arch_option("inspect", arg, &o->arch);
    default:
        return -1;
    }
}

static int
inspect(struct cli *c, const struct inspect_opts *o)
{
    const char *tmp = getenv("TMPDIR");
    char scratch[4096];
    snprintf(scratch, sizeof(scratch), "%s/appliance-inspect.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        struct ab_error err = AB_ERROR_INIT;
        ab_build_error(&err, errno, "cannot create a folder in '%s': %s",
                       tmp && *tmp ? tmp : "/tmp", strerror(errno));
        int status = cli_report_to(c, &err);
        ab_error_release(&err);
        return status;
    }
    cli_stop_on_signals(CLI_STOP_RESTART | CLI_STOP_CHILDREN);
    struct inspect_report r = {0};
    int status = run(&r, c->args, (size_t)c->n_args, o, scratch);
    rm_rf(scratch, scratch);
    report_release(&r);
    return status;
}

int
cmd_inspect(int argc, char **argv)
{
    struct cli c;
    struct inspect_opts o = {&c, true, true, true, -1, NULL};
    int status = cli_parse(&c, &inspect_command, argc, argv, on_inspect_option, &o);
    if (status >= 0)
        return status;
    if (c.n_args < 1)
        return cli_usage_error("inspect", "missing BUNDLE or DISK");
    if ((status = cli_open_log(&c)) != 0 || (status = cli_check_inputs(&c, c.args, c.n_args)))
        return cli_release(&c, status);
    return cli_release(&c, inspect(&c, &o));
}
