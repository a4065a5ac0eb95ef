/* cmd_verify.c: `appliance verify DIR|OVA [--key PUB]`. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/fsutil.h"
#include "appliance/kvm.h"
#include "appliance/stop.h"
#include "appliance/verify.h"
#include "options.h"

enum {
    OPT_KEY = CLI_OPT_FIRST,
    OPT_NO_DISKS,
};

static const struct cli_option verify_options[] = {
    {OPT_KEY, 0, "key", "PUB",
     "check the signatures with PUB, the signer's public key\nin PEM (openssl pkey -pubout); "
     "without it they are\nskipped",
     NULL},
    {OPT_NO_DISKS, 0, "no-disks", NULL,
     "do not read the disks (no appliance: takes seconds); the\npackage lists are then not "
     "compared",
     NULL},
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command verify_command = {
    "verify",
    "Usage: appliance verify [OPTIONS] DIR|OVA\n"
    "\n"
    "Check a delivery against what it says of itself: with --key, the\n"
    "signature of SHA256SUMS (SHA256SUMS.sig) and of the provenance\n"
    "(NAME-VERSION.intoto.jsonl, whose payload must be\n"
    "NAME-VERSION.provenance.json); every digest of SHA256SUMS, and no file\n"
    "it leaves out; each SBOM's shipped files and disks against SHA256SUMS,\n"
    "and the provenance's subjects; and, reading the disks through one\n"
    "read-only libguestfs appliance, that the packages installed on the OS\n"
    "disk are exactly those the SBOMs list. DIR is an output folder; OVA an\n"
    ".ova with the folder's other files beside it (files SHA256SUMS lists\n"
    "that are not there are skipped). A folder built for both architectures\n"
    "is checked whole: its one SHA256SUMS, and each architecture's\n"
    "provenance, SBOMs and disks. Prints each check as OK, FAIL or SKIP\n"
    "with what it found; writes nothing. A published build is checked\n"
    "once 'appliance pull' brought it back.\n",
    verify_options,
    "With --json, the checks as one JSON object.\n"
    "Exit status: 0 every check passed (some may be skipped), 1 a check\n"
    "failed, 2 usage error, 4 DIR or OVA does not exist.\n",
};

struct verify_args {
    const struct cli *cli;
    const char *key;
    bool disks;
};

static void
progress(void *ctx, const char *what)
{
    const struct cli *c = ctx;
    if (cli_shows(c, isatty(STDERR_FILENO) ? CLI_NORMAL : CLI_VERBOSE))
        fprintf(stderr, "appliance: %s\n", what);
}

static bool
probe_kvm(const struct cli *c)
{
    struct kvm_probe kvm;
    kvm_probe(&kvm, NULL);
    if (!kvm_usable(&kvm) && cli_shows(c, CLI_NORMAL))
        fprintf(stderr,
                "appliance: notice: %s (%s): the appliance runs under software "
                "emulation\n",
                kvm_state_reason(kvm.state), kvm.detail);
    return kvm_usable(&kvm);
}

static int
report_error(struct cli *c, struct ab_error *err)
{
    int status = cli_report_to(c, err);
    ab_error_release(err);
    return status;
}

static int
verify(struct cli *c, const struct verify_args *a)
{
    const char *tmp = getenv("TMPDIR");
    char scratch[4096], sub[4200];
    struct ab_error err = AB_ERROR_INIT;
    snprintf(scratch, sizeof(scratch), "%s/appliance-verify.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        ab_build_error(&err, errno, "cannot create a folder in '%s': %s",
                       tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return report_error(c, &err);
    }
    snprintf(sub, sizeof(sub), "%s/disks", scratch);
    cli_stop_on_signals(CLI_STOP_RESTART);
    bool use_kvm = a->disks && probe_kvm(c);
    struct verify_opts o = {.key = a->key,
                            .disks = a->disks,
                            .scratch = sub,
                            .packages_ctx = &use_kvm,
                            .progress = progress,
                            .progress_ctx = (void *)c};
    struct verify_report r;
    int rc = verify_run(c->args[0], &o, &r, &err);
    rm_rf(scratch, scratch);
    if (stop_requested()) {
        verify_report_release(&r);
        ab_error_release(&err);
        return 128 + stop_signal();
    }
    if (rc < 0) {
        verify_report_release(&r);
        return report_error(c, &err);
    }
    int w = c->json ? verify_write_json(&r, stdout) : verify_write_text(&r, stdout);
    int status = verify_ok(&r) ? 0 : 1;
    verify_report_release(&r);
    if (w < 0 || fflush(stdout) != 0) {
        perror("appliance: error: writing the checks");
        return 1;
    }
    return status;
}

static int
on_verify_option(void *ctx, int id, const char *arg)
{
    struct verify_args *a = ctx;
    switch (id) {
    case OPT_KEY:
        a->key = arg;
        return 0;
    case OPT_NO_DISKS:
        a->disks = false;
        return 0;
    default:
        return -1;
    }
}

int
cmd_verify(int argc, char **argv)
{
    struct cli c;
    struct verify_args a = {&c, NULL, true};
    int status = cli_parse(&c, &verify_command, argc, argv, on_verify_option, &a);
    if (status >= 0)
        return status;
    if (c.n_args < 1)
        return cli_release(&c, cli_usage_error("verify", "missing DIR or OVA"));
    if (c.n_args > 1)
        return cli_release(&c, cli_usage_error("verify", "unexpected argument '%s'", c.args[1]));
    char *inputs[2] = {c.args[0], (char *)a.key};
    if ((status = cli_open_log(&c)) != 0 ||
        (status = cli_check_inputs(&c, inputs, a.key ? 2 : 1)))
        return cli_release(&c, status);
    return cli_release(&c, verify(&c, &a));
}
