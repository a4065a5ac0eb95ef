/* cmd_recipe.c: the commands that read a recipe and stop at the plan,
 * `appliance validate` and `appliance plan`, and the one that describes
 * every recipe, `appliance schema`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "appliance/cli.h"
#include "appliance/plan.h"

#define RECIPE_OPTIONS_HELP                                                                        \
    "      --set KEY=VALUE  set a value of the recipe, as if written in it: a\n"                      \
    "                       dotted key such as os.hostname or disks.app.size\n"                      \
    "                       (repeatable); ${VAR} in the recipe's values reads\n"                     \
    "                       the environment, ${VAR:-DEFAULT} when unset or empty\n"                  \
    "      --werror         treat warnings as errors (exit 3)\n"

static const char validate_usage[] =
    "Usage: appliance validate RECIPE [--set KEY=VALUE]... [--werror]\n"
    "\n"
    "Check RECIPE against the recipe format (appliance-recipe(5)) and report\n"
    "every problem as FILE:LINE:COL: error: MESSAGE, and what builds but\n"
    "looks wrong as FILE:LINE:COL: warning: MESSAGE. Prints nothing when the\n"
    "recipe is valid and nothing is to be warned about.\n"
    "\n"
    "Options:\n" RECIPE_OPTIONS_HELP
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 valid, 2 usage error, 3 invalid recipe (or warnings with\n"
    "--werror).\n";

static const char plan_usage[] =
    "Usage: appliance plan RECIPE [--json] [--set KEY=VALUE]... [--werror]\n"
    "\n"
    "Print the resolved build plan of RECIPE: partition tables with byte\n"
    "offsets, volume groups and volumes in extents and bytes, mount order,\n"
    "OS source, add-ons and outputs. The same recipe always prints the same\n"
    "plan.\n"
    "\n"
    "Options:\n"
    "  -j, --json    print the plan as JSON (sizes in bytes)\n" RECIPE_OPTIONS_HELP
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 success, 2 usage error, 3 invalid recipe.\n";

static const char schema_usage[] =
    "Usage: appliance schema [--pod]\n"
    "\n"
    "Print the JSON Schema of the recipe format (appliance-recipe(5)), made\n"
    "from the table of keys that the parser reads: editors use it to complete\n"
    "and check recipes. It is installed as share/appliance/recipe.schema.json.\n"
    "\n"
    "Options:\n"
    "  -p, --pod     print the same table as the man page's key reference (POD)\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

int
cli_recipe_opts_add_set(struct cli_recipe_opts *o, const char *arg)
{
    const char **grown = realloc(o->set, (o->n_set + 1) * sizeof(*grown));
    if (!grown)
        return 1;
    o->set = grown;
    o->set[o->n_set++] = arg;
    return 0;
}

void
cli_recipe_opts_release(struct cli_recipe_opts *o)
{
    free(o->set);
    o->set = NULL;
    o->n_set = 0;
}

static const char *
env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

const struct plan *
cli_load_plan(const char *path, const struct cli_recipe_opts *o, int *status)
{
    struct ab_error err = AB_ERROR_INIT, warnings = AB_ERROR_INIT;
    struct recipe_opts ro = {o->set, o->n_set, env_lookup, NULL};
    struct recipe *recipe = recipe_parse_with(path, &ro, &err);
    const struct plan *plan = recipe ? plan_new(recipe, &err) : NULL;

    if (!plan) {
        *status = cli_report(&err);
        ab_error_release(&err);
        return NULL;
    }
    plan_warnings(plan, NULL, &warnings);
    ab_error_write_warnings(&warnings, stderr, o->werror);
    if (o->werror && warnings.n_diags) {
        *status = 3;
        plan_free(plan);
        plan = NULL;
    }
    ab_error_release(&warnings);
    return plan;
}

/* Shared option loop: --help, --set, --werror (and --json for plan). */
static int
parse_args(const char *command, const char *usage, int argc, char **argv, int *json,
           const char **recipe, struct cli_recipe_opts *ro)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"json", no_argument, NULL, 'j'},
        {"set", required_argument, NULL, 'S'},
        {"werror", no_argument, NULL, 'W'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, json ? ":hj" : ":h", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            return 0;
        case 'S':
            if (cli_recipe_opts_add_set(ro, optarg))
                return 1;
            break;
        case 'W':
            ro->werror = true;
            break;
        case 'j':
            if (json) {
                *json = 1;
                break;
            }
            return cli_usage_error(command, "unknown option '%s'", argv[optind - 1]);
        default:
            return cli_option_error(command, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error(command, "missing RECIPE");
    if (optind + 1 < argc)
        return cli_usage_error(command, "unexpected argument '%s'", argv[optind + 1]);
    *recipe = argv[optind];
    return -1;
}

int
cmd_validate(int argc, char **argv)
{
    const char *path = NULL;
    struct cli_recipe_opts ro = {0};
    int status = parse_args("validate", validate_usage, argc, argv, NULL, &path, &ro);
    if (status < 0) {
        CLEANUP_PLAN const struct plan *plan = cli_load_plan(path, &ro, &status);
        status = plan ? 0 : status;
    }
    cli_recipe_opts_release(&ro);
    return status;
}

int
cmd_plan(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    struct cli_recipe_opts ro = {0};
    int status = parse_args("plan", plan_usage, argc, argv, &json, &path, &ro);
    CLEANUP_PLAN const struct plan *plan = NULL;
    if (status < 0)
        plan = cli_load_plan(path, &ro, &status);
    cli_recipe_opts_release(&ro);
    if (!plan)
        return status;
    int r = json ? plan_write_json(plan, stdout) : plan_write_text(plan, stdout);
    if (r < 0 || fflush(stdout) != 0) {
        perror("appliance: error: writing the plan");
        return 1;
    }
    return 0;
}

int
cmd_schema(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"pod", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    int c, pod = 0;
    while ((c = getopt_long(argc, argv, ":hp", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(schema_usage, stdout);
            return 0;
        case 'p':
            pod = 1;
            break;
        default:
            return cli_option_error("schema", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("schema", "unexpected argument '%s'", argv[optind]);
    int r = pod ? recipe_keys_write_pod(stdout) : recipe_schema_write(stdout);
    if (r < 0 || fflush(stdout) != 0) {
        perror("appliance: error: writing the schema");
        return 1;
    }
    return 0;
}
