/* cmd_inspect.c: `appliance inspect BUNDLE|DISK...`. */
#include <errno.h>
#include <getopt.h>
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
#include "appliance/engine_inspect.h"
#include "appliance/fsutil.h"
#include "appliance/inspect.h"
#include "appliance/kvm.h"
#include "appliance/stop.h"

static const char inspect_usage[] =
    "Usage: appliance inspect [OPTIONS] BUNDLE|DISK...\n"
    "\n"
    "Describe built appliances and check them. A BUNDLE is an output folder,\n"
    "an .ova, or an .ovf with its files beside it; a DISK is any disk image\n"
    "(raw, qcow2, vmdk, vhdx, vdi, vhd). Prints the OVF summary (product, OS,\n"
    "CPUs, memory, controller, NICs, firmware, disks), recomputes every digest\n"
    "of the manifests (.mf, SHA256SUMS), and reads the disks through one\n"
    "read-only libguestfs appliance: partitions, LVM, filesystems and the\n"
    "operating system. The disks of all arguments are read together. A disk\n"
    "image that names another file (a backing file, a data file, VMDK extents\n"
    "or a parent) is refused before anything opens it.\n"
    "\n"
    "Options:\n"
    "  -j, --json       print the findings as JSON (sizes in bytes)\n"
    "      --no-disks   do not read the disks (no appliance: takes seconds); the\n"
    "                   disk files there are still checked\n"
    "      --no-verify  do not recompute the manifests' digests\n"
    "  -t, --target T   judge each bundle by import target T's rules (generic,\n"
    "                   esxi-6.7, esxi-7.0, esxi-8.0, workstation, virtualbox,\n"
    "                   proxmox, xcp-ng, aws): what it would reject or ignore\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 all is well, 1 a file could not be read, a disk image was\n"
    "refused, a digest does not match, the bundle has a problem or the --target\n"
    "importer would reject it, 2 usage error.\n";

static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress for people watching; nothing when stderr is not a terminal. */
static void
progress(const char *fmt, ...)
{
    if (!isatty(STDERR_FILENO))
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

/* The libguestfs side, run beside the digests in its own thread. */
struct guest_job {
    struct inspect_drive *drives;
    size_t n;
    bool use_kvm;
    const char *scratch;
    struct inspect_guest *guest;
    struct ab_error err;
};

static void *
guest_thread(void *arg)
{
    struct guest_job *j = arg;
    struct engine_inspect *e = engine_inspect_launch(j->drives, j->n, j->use_kvm, &j->err);
    /* qemu holds the disks open: the extracted copies can go now. */
    rm_rf(j->scratch, j->scratch);
    if (e)
        engine_inspect_read(e, &j->guest, &j->err);
    engine_inspect_close(e, &j->err);
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

static bool
probe_kvm(void)
{
    struct kvm_probe kvm;
    kvm_probe(&kvm, NULL);
    if (!kvm_usable(&kvm))
        fprintf(stderr,
                "appliance: notice: %s (%s): the appliance runs under software "
                "emulation\n",
                kvm_state_reason(kvm.state), kvm.detail);
    return kvm_usable(&kvm);
}

struct inspect_opts {
    bool json, disks, verify;
    int target; /* enum ova_target; -1: none */
};

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
        progress("reading '%s'", paths[i]);
        struct bundle *b = bundle_open(paths[i], flags, sub, NULL, &err);
        if (b)
            r->bundles[r->n_bundles++] = b;
        take_errors(r, &err);
    }
}

static void
verify_bundles(struct inspect_report *r)
{
    for (size_t i = 0; i < r->n_bundles && !stop_requested(); i++) {
        struct ab_error err = AB_ERROR_INIT;
        if (r->bundles[i]->n_checks)
            progress("checking the digests of '%s'", r->bundles[i]->path);
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

static int
run(struct inspect_report *r, char **paths, size_t n, const struct inspect_opts *o,
    const char *scratch)
{
    open_bundles(r, paths, n, o, scratch);
    CLEANUP_FREE struct inspect_drive *drives = NULL;
    struct guest_job job = {.scratch = scratch, .err = AB_ERROR_INIT};
    pthread_t thread;
    bool started = false;
    if (o->disks && !stop_requested() && (job.n = collect_drives(r, &drives)) > 0) {
        job.drives = drives;
        job.use_kvm = probe_kvm();
        progress("starting a libguestfs appliance with %zu disk%s", job.n, job.n == 1 ? "" : "s");
        started = pthread_create(&thread, NULL, guest_thread, &job) == 0;
        if (!started)
            ab_build_error(&job.err, errno, "cannot start a thread: %s", strerror(errno));
    }
    if (o->verify)
        verify_bundles(r);
    judge_bundles(r, o);
    r->verified = o->verify && !stop_requested();
    if (started)
        pthread_join(thread, NULL);
    r->guest = job.guest;
    take_errors(r, &job.err);
    if (stop_requested())
        return 128 + stop_signal();
    int rc = o->json ? inspect_write_json(r, stdout) : inspect_write_text(r, stdout);
    for (size_t i = 0; i < r->n_errors; i++)
        fprintf(stderr, "appliance: error: %s\n", r->errors[i]);
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

int
cmd_inspect(int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},      {"no-disks", no_argument, NULL, 'D'},
        {"no-verify", no_argument, NULL, 'V'}, {"target", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    struct inspect_opts o = {false, true, true, -1};
    int c;
    while ((c = getopt_long(argc, argv, ":jht:", options, NULL)) != -1) {
        switch (c) {
        case 't':
            if (ab_enum_from_string(&ova_target_table, optarg, &o.target) < 0) {
                char list[256];
                fprintf(stderr, "appliance: error: unknown target '%s': use %s\n", optarg,
                        ab_enum_list(&ova_target_table, list, sizeof(list)));
                return 2;
            }
            break;
        case 'j':
            o.json = true;
            break;
        case 'D':
            o.disks = false;
            break;
        case 'V':
            o.verify = false;
            break;
        case 'h':
            fputs(inspect_usage, stdout);
            return 0;
        default:
            return cli_option_error("inspect", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("inspect", "missing BUNDLE or DISK");

    const char *tmp = getenv("TMPDIR");
    char scratch[4096];
    snprintf(scratch, sizeof(scratch), "%s/appliance-inspect.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        fprintf(stderr, "appliance: error: cannot create a folder in '%s': %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return 1;
    }
    cli_stop_on_signals(CLI_STOP_RESTART);
    struct inspect_report r = {0};
    int status = run(&r, argv + optind, (size_t)(argc - optind), &o, scratch);
    rm_rf(scratch, scratch);
    report_release(&r);
    return status;
}
