/* os-fetch: runs the OS stage alone, for the integration tests.
 *
 *   os-fetch RECIPE                      prints "source NAME" and "key KEY"
 *   os-fetch RECIPE SCRATCH TAR LOG      the same, then writes the root tree
 *                                        at TAR through the recipe's OS
 *                                        source (scratch folder SCRATCH,
 *                                        commands and tool output in LOG)
 *
 * The code path is the build's own: os_source_for(plan), cache_key() and
 * the source's fetch(). Errors are printed the way the CLI prints them;
 * the exit status is the CLI's (1 build failed, 3 invalid recipe). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "appliance/cache.h"
#include "appliance/cleanup.h"
#include "appliance/error.h"
#include "appliance/os_source.h"
#include "appliance/plan.h"
#include "appliance/recipe.h"
#include "appliance/spawn.h"

static int
fail(struct ab_error *err)
{
    ab_error_write(err, stderr);
    int status = ab_error_exit_status(err);
    ab_error_release(err);
    return status;
}

int
main(int argc, char **argv)
{
    if (argc != 2 && argc != 5) {
        fputs("usage: os-fetch RECIPE [SCRATCH TAR LOG]\n", stderr);
        return 2;
    }
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *recipe = recipe_parse(argv[1], &err);
    CLEANUP_PLAN const struct plan *plan = recipe ? plan_new(recipe, &err) : NULL;
    if (!plan)
        return fail(&err);
    const struct os_source *src = os_source_for(plan);
    char key[CACHE_KEY_HEX];
    if (!src) {
        fputs("os-fetch: no OS source for this recipe\n", stderr);
        return 1;
    }
    printf("source %s\n", src->name);
    if (cache_key(plan, src, key, &err) < 0)
        return fail(&err);
    printf("key %s\n", key);
    fflush(stdout);
    if (argc == 2)
        return 0;
    CLEANUP_FCLOSE FILE *log = fopen(argv[4], "w");
    if (!log) {
        fprintf(stderr, "os-fetch: cannot write '%s': %s\n", argv[4], strerror(errno));
        return 1;
    }
    const struct spawn_ctx ctx = {.log = log};
    int r = src->fetch(plan, argv[3], argv[2], &ctx, &err);
    return r < 0 ? fail(&err) : 0;
}
