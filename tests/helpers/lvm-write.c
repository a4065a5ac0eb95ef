/* lvm-write: the disks of a recipe with their partition tables and LVM
 * metadata only, for the integration tests (tests/integration/lvm-meta.sh).
 *
 *   lvm-write RECIPE OS_IMG APP_IMG
 *
 * The code path is the build's own: hostfs_disk() makes each sparse image
 * and its GPT, lvm_meta_write() its PV label, headers and metadata text,
 * with SOURCE_DATE_EPOCH (else 0; epoch_from_env()) as the creation time.
 * Errors are printed the way the CLI prints them; the exit status is the
 * CLI's (1 build failed, 3 invalid recipe). */
#include <stdio.h>

#include "appliance/epoch.h"
#include "appliance/error.h"
#include "appliance/hostfs.h"
#include "appliance/lvm_meta.h"
#include "appliance/plan.h"
#include "appliance/recipe.h"

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
    if (argc != 4) {
        fputs("usage: lvm-write RECIPE OS_IMG APP_IMG\n", stderr);
        return 2;
    }
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *recipe = recipe_parse(argv[1], &err);
    CLEANUP_PLAN const struct plan *plan = recipe ? plan_new(recipe, &err) : NULL;
    int64_t when = 0;
    if (!plan || epoch_from_env(&when, &err) < 0)
        return fail(&err);
    for (int i = 0; i < PLAN_N_DISKS; i++)
        if (hostfs_disk(plan, (enum plan_disk_id)i, argv[2 + i], NULL, &err) < 0 ||
            lvm_meta_write(plan, (enum plan_disk_id)i, argv[2 + i], when, &err) < 0)
            return fail(&err);
    return 0;
}
