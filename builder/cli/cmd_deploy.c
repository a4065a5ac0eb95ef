/* cmd_deploy.c: `appliance deploy OUTPUT_DIR [--connect URI] ...`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cli.h"
#include "appliance/deploy.h"

static const char deploy_usage[] =
    "Usage: appliance deploy OUTPUT_DIR [--connect URI] [--name NAME] [--start] [--replace]\n"
    "\n"
    "Define the appliance built in OUTPUT_DIR as a libvirt domain: its NAME.xml,\n"
    "with the disks pointing at the qcow2 files where the folder is now. KVM is\n"
    "used when the host can run it (for this machine, it is probed), else\n"
    "software emulation; NICs on a network the host lacks get user-mode\n"
    "networking. The disks are used in place: deploy a copy of the folder to\n"
    "run the appliance twice. A disk that names another file (a backing file,\n"
    "a data file, VMDK extents or a parent) is refused before libvirt sees it.\n"
    "\n"
    "Options:\n"
    "  -c, --connect URI   libvirt connection URI (default: libvirt's own,\n"
    "                      $LIBVIRT_DEFAULT_URI or qemu:///system for root)\n"
    "  -n, --name NAME     define the domain as NAME (new UUID and MAC addresses)\n"
    "  -s, --start         start the domain once it is defined\n"
    "      --replace       redefine a domain of the same name that is not running\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 defined (and started), 1 failed, 2 usage error.\n";

static void
on_notice(void *ctx, const char *message)
{
    (void)ctx;
    fprintf(stderr, "appliance: notice: %s\n", message);
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

int
cmd_deploy(int argc, char **argv)
{
    static const struct option options[] = {
        {"connect", required_argument, NULL, 'c'}, {"name", required_argument, NULL, 'n'},
        {"start", no_argument, NULL, 's'},         {"replace", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    struct deploy_opts o = {.notice = on_notice};
    int c;
    while ((c = getopt_long(argc, argv, ":c:n:sh", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            o.uri = optarg;
            break;
        case 'n':
            o.name = optarg;
            break;
        case 's':
            o.start = true;
            break;
        case 'R':
            o.replace = true;
            break;
        case 'h':
            fputs(deploy_usage, stdout);
            return 0;
        default:
            return cli_option_error("deploy", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("deploy", "missing OUTPUT_DIR");
    if (optind + 1 < argc)
        return cli_usage_error("deploy", "unexpected argument '%s'", argv[optind + 1]);
    if (o.name && !*o.name)
        return cli_usage_error("deploy", "the --name must not be empty");
    o.dir = argv[optind];

    struct ab_error err = AB_ERROR_INIT;
    struct deploy_result r = {0};
    int rc = deploy_run(&o, &r, &err);
    if (r.name)
        print_result(&r);
    int status = rc < 0 ? cli_report(&err) : 0;
    if (fflush(stdout) != 0 && status == 0) {
        perror("appliance: error: writing the result");
        status = 1;
    }
    deploy_result_release(&r);
    ab_error_release(&err);
    return status;
}
