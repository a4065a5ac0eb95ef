/* cmd_recipe.c: the commands that read a recipe and stop at the plan,
 * `appliance validate` and `appliance plan`, and the one that describes
 * every recipe, `appliance schema`. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cache.h"
#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/plan.h"
#include "options.h"

/* validate, plan and build: --set and --werror (options.h). */
static const struct cli_option recipe_options[] = {
    CLI_RECIPE_OPTIONS,
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command validate_command = {
    "validate",
    "Usage: appliance validate [OPTIONS] RECIPE...\n"
    "\n"
    "Check each RECIPE against the recipe format (appliance-recipe(5)) and\n"
    "report every problem as FILE:LINE:COL: error: MESSAGE, and what builds\n"
    "but looks wrong as FILE:LINE:COL: warning: MESSAGE (even with --quiet).\n"
    "Prints nothing when every recipe is valid and nothing is to be warned\n"
    "about (with --verbose, one line per valid recipe). Each --set applies to\n"
    "every RECIPE.\n",
    recipe_options,
    "With --json, prints {\"valid\": true|false, \"files\": [{\"file\", \"valid\"}]},\n"
    "and the errors and warnings as {\"errors\": [...], \"warnings\": [...]} on\n"
    "stderr.\n"
    "Exit status: 0 all valid, 2 usage error, 3 a recipe is invalid (or has\n"
    "warnings, with --werror), 4 a recipe cannot be read (missing); the\n"
    "highest of them all.\n",
};

static const struct cli_command plan_command = {
    "plan",
    "Usage: appliance plan [OPTIONS] RECIPE\n"
    "\n"
    "Print the resolved build plan of RECIPE: partition tables with byte\n"
    "offsets, volume groups and volumes in extents and bytes, mount order,\n"
    "OS source, add-ons and outputs. The same recipe always prints the same\n"
    "plan; with --json, as JSON (sizes in bytes). The recipe's warnings go to\n"
    "stderr as FILE:LINE:COL: warning: MESSAGE (with --json, as JSON).\n",
    recipe_options,
    "Exit status: 0 success, 2 usage error, 3 invalid recipe (or warnings with\n"
    "--werror), 4 RECIPE cannot be read (missing).\n",
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

static const char *
env_lookup(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

/* Whether warnings holds d already (the same place and words). */
static bool
has_warning(const struct ab_error *warnings, const struct ab_diag *d)
{
    for (size_t i = 0; i < warnings->n_diags; i++) {
        const struct ab_diag *w = &warnings->diags[i];
        if (w->line == d->line && w->col == d->col && strcmp(w->msg, d->msg) == 0 &&
            (w->file && d->file ? strcmp(w->file, d->file) == 0 : w->file == d->file))
            return true;
    }
    return false;
}

/* The plan of path for arch (0: the first it lists), its errors reported
 * through c; its warnings added to warnings, but those already there. */
static const struct plan *
load_plan(struct cli *c, const char *path, const struct cli_recipe_opts *o, enum arch arch,
          struct ab_error *warnings, int *status)
{
    struct ab_error err = AB_ERROR_INIT, mine = AB_ERROR_INIT;
    struct recipe_opts ro = {o->set, o->n_set, env_lookup, NULL};
    struct recipe *recipe = recipe_parse_with(path, &ro, &err);
    const struct plan *plan = recipe ? plan_new_arch(recipe, arch, &err) : NULL;

    if (!plan) {
        *status = cli_report_to(c, &err);
        ab_error_release(&err);
        return NULL;
    }
    /* The release's own time zones and locales when its tree is cached. */
    CLEANUP_STRV char **trees = cache_distro_trees(plan, o->cache_dir);
    const struct plan_warn_opts wo = {.trees = (const char *const *)trees};
    plan_warnings(plan, &wo, &mine);
    for (size_t i = 0; i < mine.n_diags; i++) {
        const struct ab_diag *d = &mine.diags[i];
        struct ab_pos pos = {d->file, d->line, d->col};
        if (!has_warning(warnings, d))
            ab_warn(warnings, d->file ? &pos : NULL, "%s", d->msg);
    }
    ab_error_release(&mine);
    return plan;
}

const struct plan *
cli_load_plan(struct cli *c, const char *path, const struct cli_recipe_opts *o, int *status)
{
    struct ab_error warnings = AB_ERROR_INIT;
    const struct plan *plan = load_plan(c, path, o, 0, &warnings, status);
    if (plan && cli_report_warnings_to(c, &warnings, o->werror) != 0) {
        *status = 3;
        plan_free(plan);
        plan = NULL;
    }
    ab_error_release(&warnings);
    return plan;
}

size_t
cli_load_plans(struct cli *c, const char *path, const struct cli_recipe_opts *o,
               const struct plan *plans[2], int *status)
{
    struct ab_error warnings = AB_ERROR_INIT;
    enum arch all[2];
    size_t n = 0, want = 1;
    plans[0] = plans[1] = NULL;
    for (; n < want; n++) {
        if (!(plans[n] = load_plan(c, path, o, n ? all[n] : 0, &warnings, status)))
            break;
        if (n == 0)
            want = plan_arches(plans[0]->hardware.arches, all);
    }
    ab_error_sort(&warnings);
    bool refused = n == want && cli_report_warnings_to(c, &warnings, o->werror) != 0;
    ab_error_release(&warnings);
    if (refused)
        *status = 3;
    if (n == want && !refused)
        return n;
    for (size_t i = 0; i < n; i++)
        plan_free(plans[i]);
    plans[0] = plans[1] = NULL;
    return 0;
}

static int
on_validate_option(void *ctx, int id, const char *arg)
{
    return cli_recipe_option(ctx, "validate", id, arg);
}

static int
on_plan_option(void *ctx, int id, const char *arg)
{
    return cli_recipe_option(ctx, "plan", id, arg);
}

static int
validate_files(struct cli *c, const struct cli_recipe_opts *ro)
{
    int worst = 0;
    json_object *files = c->json ? json_object_new_array() : NULL;
    for (int i = 0; i < c->n_args; i++) {
        int status = 0;
        CLEANUP_PLAN const struct plan *plan = cli_load_plan(c, c->args[i], ro, &status);
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
    struct cli_recipe_opts ro = {0};
    int status = cli_parse(&c, &validate_command, argc, argv, on_validate_option, &ro);
    if (status < 0 && c.n_args < 1)
        status = cli_usage_error("validate", "missing RECIPE");
    if (status < 0 && (status = cli_open_log(&c)) == 0)
        status = validate_files(&c, &ro);
    cli_recipe_opts_release(&ro);
    return cli_release(&c, status);
}

static int
print_plan(struct cli *c, const char *path, const struct cli_recipe_opts *ro)
{
    int status = 0;
    CLEANUP_PLAN const struct plan *plan = cli_load_plan(c, path, ro, &status);
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
    struct cli_recipe_opts ro = {0};
    int status = cli_parse(&c, &plan_command, argc, argv, on_plan_option, &ro);
    if (status < 0 && c.n_args < 1)
        status = cli_usage_error("plan", "missing RECIPE");
    else if (status < 0 && c.n_args > 1)
        status = cli_usage_error("plan", "unexpected argument '%s'", c.args[1]);
    if (status < 0 && (status = cli_open_log(&c)) == 0)
        status = print_plan(&c, c.args[0], &ro);
    cli_recipe_opts_release(&ro);
    return cli_release(&c, status);
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
