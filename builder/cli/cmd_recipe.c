/* cmd_recipe.c: the commands that read a recipe and stop at the plan,
 * `appliance validate` and `appliance plan`, and the one that describes
 * every recipe, `appliance schema`. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "appliance/cli.h"
#include "appliance/plan.h"
#include "options.h"

static const struct cli_command validate_command = {
    "validate",
    "Usage: appliance validate [OPTIONS] RECIPE...\n"
    "\n"
    "Check each RECIPE against the recipe format (appliance-recipe(5)) and\n"
    "report every problem as FILE:LINE:COL: error: MESSAGE. Prints nothing when\n"
    "every recipe is valid (with --verbose, one line per valid recipe).\n",
    NULL,
    "With --json, prints {\"valid\": true|false, \"files\": [{\"file\", \"valid\"}]}.\n"
    "Exit status: 0 all valid, 2 usage error, 3 a recipe is invalid,\n"
    "4 a recipe cannot be read (missing); the highest of them all.\n",
};

static const struct cli_command plan_command = {
    "plan",
    "Usage: appliance plan [OPTIONS] RECIPE\n"
    "\n"
    "Print the resolved build plan of RECIPE: partition tables with byte\n"
    "offsets, volume groups and volumes in extents and bytes, mount order,\n"
    "OS source, add-ons and outputs. The same recipe always prints the same\n"
    "plan; with --json, as JSON (sizes in bytes).\n",
    NULL,
    "Exit status: 0 success, 2 usage error, 3 invalid recipe, 4 RECIPE cannot\n"
    "be read (missing).\n",
};

enum { OPT_POD = 'p' };

static const struct cli_option schema_options[] = {
    {OPT_POD, 'p', "pod", NULL, "print the same table as the man page's key reference (POD)",
     NULL},
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command schema_command = {
    "schema",
    "Usage: appliance schema [--pod]\n"
    "\n"
    "Print the JSON Schema of the recipe format (appliance-recipe(5)), made\n"
    "from the table of keys that the parser reads: editors use it to complete\n"
    "and check recipes. It is installed as share/appliance/recipe.schema.json.\n"
    "It is JSON with or without --json.\n",
    schema_options,
    "Exit status: 0 success, 1 failure, 2 usage error.\n",
};

/* Parses and resolves path; on failure reports the diagnostics. */
static const struct plan *
load_plan(struct cli *c, const char *path, int *status)
{
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *recipe = recipe_parse(path, &err);
    const struct plan *plan = recipe ? plan_new(recipe, &err) : NULL;
    if (!plan)
        *status = cli_report_to(c, &err);
    ab_error_release(&err);
    return plan;
}

static int
validate_files(struct cli *c)
{
    int worst = 0;
    json_object *files = c->json ? json_object_new_array() : NULL;
    for (int i = 0; i < c->n_args; i++) {
        int status = 0;
        CLEANUP_PLAN const struct plan *plan = load_plan(c, c->args[i], &status);
        if (plan && cli_shows(c, CLI_VERBOSE) && !c->json)
            fprintf(stderr, "%s: valid\n", c->args[i]);
        if (status > worst)
            worst = status;
        if (!files)
            continue;
        json_object *f = json_object_new_object();
        json_object_object_add(f, "file", json_object_new_string(c->args[i]));
        json_object_object_add(f, "valid", json_object_new_boolean(plan != NULL));
        json_object_array_add(files, f);
    }
    if (c->json) {
        json_object *root = json_object_new_object();
        json_object_object_add(root, "valid", json_object_new_boolean(worst == 0));
        json_object_object_add(root, "files", files);
        if (cli_print_json(root) != 0 && worst == 0)
            worst = 1;
    }
    return worst;
}

int
cmd_validate(int argc, char **argv)
{
    struct cli c;
    int status = cli_parse(&c, &validate_command, argc, argv, NULL, NULL);
    if (status >= 0)
        return status;
    if (c.n_args < 1)
        return cli_usage_error("validate", "missing RECIPE");
    if ((status = cli_open_log(&c)) != 0)
        return cli_release(&c, status);
    return cli_release(&c, validate_files(&c));
}

static int
print_plan(struct cli *c, const char *path)
{
    int status = 0;
    CLEANUP_PLAN const struct plan *plan = load_plan(c, path, &status);
    if (!plan)
        return status;
    int r = c->json ? plan_write_json(plan, stdout) : plan_write_text(plan, stdout);
    if (r < 0 || fflush(stdout) != 0) {
        perror("appliance: error: writing the plan");
        return 1;
    }
    return 0;
}

int
cmd_plan(int argc, char **argv)
{
    struct cli c;
    int status = cli_parse(&c, &plan_command, argc, argv, NULL, NULL);
    if (status >= 0)
        return status;
    if (c.n_args < 1)
        return cli_usage_error("plan", "missing RECIPE");
    if (c.n_args > 1)
        return cli_usage_error("plan", "unexpected argument '%s'", c.args[1]);
    if ((status = cli_open_log(&c)) != 0)
        return cli_release(&c, status);
    return cli_release(&c, print_plan(&c, c.args[0]));
}

static int
on_schema_option(void *ctx, int id, const char *arg)
{
    (void)arg;
    if (id != OPT_POD)
        return -1;
    *(bool *)ctx = true;
    return 0;
}

int
cmd_schema(int argc, char **argv)
{
    struct cli c;
    bool pod = false;
    int status = cli_parse(&c, &schema_command, argc, argv, on_schema_option, &pod);
    if (status >= 0)
        return status;
    if (c.n_args > 0)
        return cli_usage_error("schema", "unexpected argument '%s'", c.args[0]);
    if (pod && c.json)
        return cli_usage_error("schema", "options '--pod' and '--json' exclude each other");
    if ((status = cli_open_log(&c)) != 0)
        return cli_release(&c, status);
    int r = pod ? recipe_keys_write_pod(stdout) : recipe_schema_write(stdout);
    if (r < 0 || fflush(stdout) != 0) {
        perror("appliance: error: writing the schema");
        return cli_release(&c, 1);
    }
    return cli_release(&c, 0);
}
