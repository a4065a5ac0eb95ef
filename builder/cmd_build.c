/* cmd_build.c: `appliance build RECIPE [-o DIR]`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/plan.h"

static const char build_usage[] =
    "Usage: appliance build RECIPE [-o DIR]\n"
    "\n"
    "Build the appliance that RECIPE describes: the OS disk and the\n"
    "application disk, exported to the recipe's outputs.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR   write the results to DIR\n"
    "                     (default: output/NAME-VERSION)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 success, 1 build failed, 2 usage error, 3 invalid recipe.\n";

int
cmd_build(int argc, char **argv)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    int c;

    while ((c = getopt_long(argc, argv, ":o:h", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            output = optarg;
            break;
        case 'h':
            fputs(build_usage, stdout);
            return 0;
        default:
            return cli_option_error("build", c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("build", "missing RECIPE");
    if (optind + 1 < argc)
        return cli_usage_error("build", "unexpected argument '%s'", argv[optind + 1]);

    struct ab_error err = AB_ERROR_INIT;
    struct recipe *recipe = recipe_parse(argv[optind], &err);
    CLEANUP_PLAN const struct plan *plan = recipe ? plan_new(recipe, &err) : NULL;
    if (!plan) {
        int status = cli_report(&err);
        ab_error_release(&err);
        return status;
    }
    CLEANUP_FREE char *dir = NULL;
    if (!output && asprintf(&dir, "output/%s-%s", plan->name, plan->version) < 0)
        return 1;
    fprintf(stderr,
            "appliance: recipe '%s' is valid (see 'appliance plan %s')\n"
            "appliance: not yet built: the disk engine that writes %s is not implemented yet\n",
            argv[optind], argv[optind], output ? output : dir);
    return 1;
}
