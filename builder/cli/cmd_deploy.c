/* cmd_deploy.c: `appliance deploy OUTPUT_DIR [--connect URI] ...`. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cli.h"
#include "appliance/deploy.h"
#include "options.h"

enum {
    OPT_START = CLI_OPT_FIRST,
    OPT_REPLACE,
};

static const struct cli_option deploy_options[] = {
    {'c', 'c', "connect", "URI",
     "libvirt connection URI (default: libvirt's own,\n$LIBVIRT_DEFAULT_URI or qemu:///system for "
     "root)",
     NULL},
    {'n', 'n', "name", "NAME", "define the domain as NAME (new UUID and MAC addresses)", NULL},
    {OPT_START, 0, "start", NULL, "start the domain once it is defined", NULL},
    {OPT_REPLACE, 0, "replace", NULL, "redefine a domain of the same name that is not running",
     NULL},
    CLI_ARCH_OPTION,
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command deploy_command = {
    "deploy",
    "Usage: appliance deploy OUTPUT_DIR [--connect URI] [--name NAME] [--start] [--replace]\n"
    "                                   [--arch ARCH]\n"
    "\n"
    "Define the appliance built in OUTPUT_DIR as a libvirt domain: its\n"
    "NAME-VERSION.xml (the libvirt output's file that build-report.json lists,\n"
    "else the folder's only .xml), with the disks pointing at the qcow2 files\n"
    "(NAME-VERSION-os.qcow2, NAME-VERSION-app.qcow2) where the folder is now.\n"
    "In a folder built for both architectures, --arch chooses which\n"
    "(build-report-ARCH.json, NAME-VERSION-ARCH.xml).\n"
    "KVM is used when the host can run it (for this machine, it is probed), else\n"
    "software emulation; NICs on a network the host lacks get user-mode\n"
    "networking. The disks are used in place: deploy a copy of the folder to\n"
    "run the appliance twice. A disk that names another file (a backing file,\n"
    "a data file, VMDK extents or a parent) is refused before libvirt sees it.\n",
    deploy_options,
    "With --json, prints {\"name\", \"uri\", \"uuid\", \"type\", \"disks\": [{\"target\",\n"
    "\"file\"}], \"replaced\", \"started\"}.\n"
    "Exit status: 0 defined (and started), 1 failed, 2 usage error, 4 OUTPUT_DIR\n"
    "does not exist.\n",
};

static void
on_notice(void *ctx, const char *message)
{
    struct cli *c = ctx;
    if (cli_shows(c, CLI_NORMAL))
        fprintf(stderr, "appliance: notice: %s\n", message);
    if (c->log)
        fprintf(c->log, "notice: %s\n", message);
}

static json_object *
result_json(const struct deploy_result *r)
{
    json_object *o = json_object_new_object(), *disks = json_object_new_array();
    json_object_object_add(o, "name", json_object_new_string(r->name));
    json_object_object_add(o, "uri", r->uri ? json_object_new_string(r->uri) : NULL);
    json_object_object_add(o, "uuid", r->uuid ? json_object_new_string(r->uuid) : NULL);
    json_object_object_add(o, "type", r->type ? json_object_new_string(r->type) : NULL);
    for (size_t i = 0; r->disks && r->disks[i] && r->disks[i + 1]; i += 2) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "target", json_object_new_string(r->disks[i]));
        json_object_object_add(d, "file", json_object_new_string(r->disks[i + 1]));
        json_object_array_add(disks, d);
    }
    json_object_object_add(o, "disks", disks);
    json_object_object_add(o, "replaced", json_object_new_boolean(r->replaced));
    json_object_object_add(o, "started", json_object_new_boolean(r->started));
    return o;
}

static void
print_result(const struct deploy_result *r)
{
    printf("%s domain '%s' on %s\n", r->replaced ? "redefined" : "defined", r->name, r->uri);
    printf("  uuid  %s\n", r->uuid ? r->uuid : "?");
    printf("  type  %s\n", r->type ? r->type : "?");
    for (size_t i = 0; r->disks && r->disks[i] && r->disks[i + 1]; i += 2)
        printf("  disk  %-5s %s\n", r->disks[i], r->disks[i + 1]);
    if (r->started)
        printf("started domain '%s'\n", r->name);
}

static int
on_deploy_option(void *ctx, int id, const char *arg)
{
    struct deploy_opts *o = ctx;
    switch (id) {
    case 'c':
        o->uri = arg;
        return 0;
    case 'n':
        o->name = arg;
        return 0;
    case OPT_START:
        o->start = true;
        return 0;
    case OPT_REPLACE:
        o->replace = true;
        return 0;
    case CLI_OPT_ARCH:
        return cli_arch_option("deploy", arg, &o->arch);
    default:
        return -1;
    }
}

static int
deploy(struct cli *c, struct deploy_opts *o)
{
    struct ab_error err = AB_ERROR_INIT;
    struct deploy_result r = {0};
    int rc = deploy_run(o, &r, &err);
    int status = 0;
    if (r.name && c->json)
        status = cli_print_json(result_json(&r));
    else if (r.name)
        print_result(&r);
    if (rc < 0)
        status = cli_report_to(c, &err);
    if (fflush(stdout) != 0 && status == 0) {
        perror("appliance: error: writing the result");
        status = 1;
    }
    deploy_result_release(&r);
    ab_error_release(&err);
    return status;
}

int
cmd_deploy(int argc, char **argv)
{
    struct cli c;
    struct deploy_opts o = {.notice = on_notice, .ctx = &c};
    int status = cli_parse(&c, &deploy_command, argc, argv, on_deploy_option, &o);
    if (status >= 0)
        return status;
    if (c.n_args < 1)
        return cli_usage_error("deploy", "missing OUTPUT_DIR");
    if (c.n_args > 1)
        return cli_usage_error("deploy", "unexpected argument '%s'", c.args[1]);
    if (o.name && !*o.name)
        return cli_usage_error("deploy", "the --name must not be empty");
    o.dir = c.args[0];
    if ((status = cli_open_log(&c)) != 0 || (status = cli_check_inputs(&c, c.args, 1)))
        return cli_release(&c, status);
    return cli_release(&c, deploy(&c, &o));
}
