/* cmd_publish.c: `appliance push OUTPUT_DIR REF` and `appliance pull REF -o DIR`,
 * the two halves of one artifact (publish.h). */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/fsutil.h"
#include "appliance/jsonutil.h"
#include "appliance/publish.h"
#include "appliance/stop.h"
#include "options.h"

static const struct cli_option push_options[] = {
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command push_command = {
    "push",
    "Usage: appliance push [OPTIONS] OUTPUT_DIR REF\n"
    "\n"
    "Publish a build's output folder as one OCI artifact at REF\n"
    "(HOST[:PORT]/PATH[:TAG], the tag 'latest' when none): every file\n"
    "SHA256SUMS lists, SHA256SUMS (and its signature) and build-report.json\n"
    "(of a folder built for both architectures, each build-report-ARCH.json),\n"
    "one layer each with its media type, the recipe's name, version and\n"
    "SHA256SUMS's digest as annotations. With the kubevirt output, each\n"
    "disk's containerDisk is pushed too, as REF's tag with -os and -app (not\n"
    "from a folder of both architectures, which holds two of each).\n"
    "skopeo talks to the registry; credentials come from the containers'\n"
    "auth files only (REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/\n"
    "auth.json, ~/.docker/config.json: 'skopeo login' or 'podman login'\n"
    "writes them).\n",
    push_options,
    "Prints the artifact's reference pinned by its digest (with --json, an\n"
    "object: ref, digest, files, bytes, containerdisks).\n"
    "Exit status: 0 pushed, 1 failed, 2 usage error, 4 OUTPUT_DIR does not\n"
    "exist.\n",
};

static const struct cli_option pull_options[] = {
    {'o', 'o', "output", "DIR", "write the files to DIR (must be given)", NULL},
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command pull_command = {
    "pull",
    "Usage: appliance pull [OPTIONS] REF -o DIR\n"
    "\n"
    "Bring back a build that 'appliance push' published at REF: the\n"
    "manifest is read and judged first (an appliance build, plain file\n"
    "names, room for it), then exactly that manifest is copied, every file\n"
    "hashed again and checked against SHA256SUMS, and DIR swapped into\n"
    "place only then: a failed pull leaves nothing.\n",
    pull_options,
    "Prints the reference pulled, pinned by its digest (with --json, an\n"
    "object: ref, digest, output, files, bytes).\n"
    "Exit status: 0 pulled, 1 failed, 2 usage error.\n",
};

static int
report_error(struct cli *c, struct ab_error *err)
{
    int status = cli_report_to(c, err);
    ab_error_release(err);
    return status;
}

static int
print_result(const struct cli *c, const struct publish_result *r, const char *output)
{
    if (!c->json) {
        printf("%s\n", r->ref);
        for (int d = 0; d < 2; d++)
            if (r->containerdisk[d])
                printf("containerdisk %s: %s\n", d ? "app" : "os", r->containerdisk[d]);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    json_object *o = json_object_new_object();
    if (!o)
        return 1;
    put_str(o, "ref", r->ref);
    put_str(o, "digest", r->digest);
    if (output)
        put_str(o, "output", output);
    put_u64(o, "files", r->n_files);
    put_u64(o, "bytes", r->bytes);
    if (r->containerdisk[0] || r->containerdisk[1]) {
        json_object *cd = json_object_new_object();
        put_str(cd, "os", r->containerdisk[0]);
        put_str(cd, "app", r->containerdisk[1]);
        json_object_object_add(o, "containerdisks", cd);
    }
    return cli_print_json(o);
}

/* A scratch folder for the layout that push writes. */
static char *
make_scratch(struct ab_error *err)
{
    const char *tmp = getenv("TMPDIR");
    char *s = NULL;
    if (asprintf(&s, "%s/appliance-push.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
        ab_oom(err);
        return NULL;
    }
    if (!mkdtemp(s)) {
        ab_build_error(err, errno, "cannot create '%s': %s", s, strerror(errno));
        free(s);
        return NULL;
    }
    return s;
}

static int
push(struct cli *c)
{
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *scratch = make_scratch(&err);
    if (!scratch)
        return report_error(c, &err);
    struct spawn_ctx ctx = {.log = c->log};
    struct registry reg = {.spawn = &ctx, .tmpdir = scratch};
    struct publish_result r;
    cli_stop_on_signals(CLI_STOP_CHILDREN);
    int rc = publish_push(&reg, c->args[0], c->args[1], scratch, &r, &err);
    rm_rf(scratch, scratch);
    if (stop_requested()) {
        publish_result_release(&r);
        ab_error_release(&err);
        return 128 + stop_signal();
    }
    if (rc < 0) {
        publish_result_release(&r);
        return report_error(c, &err);
    }
    int status = print_result(c, &r, NULL);
    publish_result_release(&r);
    return status;
}

int
cmd_push(int argc, char **argv)
{
    struct cli c;
    int status = cli_parse(&c, &push_command, argc, argv, NULL, NULL);
    if (status >= 0)
        return status;
    if (c.n_args < 2)
        return cli_release(&c, cli_usage_error("push", "missing %s", c.n_args ? "REF"
                                                                             : "OUTPUT_DIR"));
    if (c.n_args > 2)
        return cli_release(&c, cli_usage_error("push", "unexpected argument '%s'", c.args[2]));
    if ((status = cli_open_log(&c)) != 0 || (status = cli_check_inputs(&c, c.args, 1)))
        return cli_release(&c, status);
    return cli_release(&c, push(&c));
}

struct pull_args {
    const char *output;
};

static int
on_pull_option(void *ctx, int id, const char *arg)
{
    struct pull_args *a = ctx;
    if (id != 'o')
        return -1;
    a->output = arg;
    return 0;
}

static int
pull(struct cli *c, const char *output)
{
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *scratch = make_scratch(&err);
    if (!scratch)
        return report_error(c, &err);
    struct spawn_ctx ctx = {.log = c->log};
    struct registry reg = {.spawn = &ctx, .tmpdir = scratch};
    struct publish_result r;
    cli_stop_on_signals(CLI_STOP_CHILDREN);
    int rc = publish_pull(&reg, c->args[0], output, &r, &err);
    rm_rf(scratch, scratch);
    if (stop_requested()) {
        publish_result_release(&r);
        ab_error_release(&err);
        return 128 + stop_signal();
    }
    if (rc < 0) {
        publish_result_release(&r);
        return report_error(c, &err);
    }
    int status = print_result(c, &r, output);
    publish_result_release(&r);
    return status;
}

int
cmd_pull(int argc, char **argv)
{
    struct cli c;
    struct pull_args a = {NULL};
    int status = cli_parse(&c, &pull_command, argc, argv, on_pull_option, &a);
    if (status >= 0)
        return status;
    if (c.n_args < 1)
        return cli_release(&c, cli_usage_error("pull", "missing REF"));
    if (c.n_args > 1)
        return cli_release(&c, cli_usage_error("pull", "unexpected argument '%s'", c.args[1]));
    if (!a.output)
        return cli_release(&c, cli_usage_error("pull", "missing -o DIR"));
    if ((status = cli_open_log(&c)) != 0)
        return cli_release(&c, status);
    return cli_release(&c, pull(&c, a.output));
}
