/* xfs-make: one xfs filesystem of a recipe made on the host from a folder,
 * for the integration tests (tests/integration/xfs-host.sh).
 *
 *   xfs-make RECIPE MOUNT DIR IMG SCRATCH
 *
 * The code path is the build's own: hostfs_disk() makes the sparse image
 * of the disk that holds MOUNT and its GPT, xfs_host_proto() the
 * protofile of DIR, xfs_host_make() the filesystem (mkfs.xfs -p in a
 * scratch file under SCRATCH, copied into IMG). Prints "OFFSET SIZE UUID"
 * of the filesystem in IMG (bytes; the plan's UUID); when the folder cannot go through a
 * protofile, prints "refused: REASON" and exits 4. Errors are printed the
 * way the CLI prints them, with its exit status (1 failed, 3 invalid
 * recipe). */
#include <stdio.h>
#include <string.h>

#include "appliance/error.h"
#include "appliance/fsids.h"
#include "appliance/hostfs.h"
#include "appliance/plan.h"
#include "appliance/recipe.h"
#include "appliance/xfs_host.h"

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
    if (argc != 6) {
        fputs("usage: xfs-make RECIPE MOUNT DIR IMG SCRATCH\n", stderr);
        return 2;
    }
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *recipe = recipe_parse(argv[1], &err);
    CLEANUP_PLAN const struct plan *plan = recipe ? plan_new(recipe, &err) : NULL;
    if (!plan)
        return fail(&err);
    const struct plan_mount *m = NULL;
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (strcmp(plan->mounts[i].path, argv[2]) == 0 && plan->mounts[i].fs == FS_XFS)
            m = &plan->mounts[i];
    if (!m) {
        fprintf(stderr, "xfs-make: no xfs mount '%s' in the recipe\n", argv[2]);
        return 2;
    }
    struct xfs_proto p = XFS_PROTO_INIT;
    if (hostfs_disk(plan, m->disk, argv[4], NULL, &err) < 0 ||
        xfs_host_proto(argv[3], &p, &err) < 0)
        return fail(&err);
    if (p.refuse) {
        printf("refused: %s\n", p.refuse);
        xfs_host_proto_release(&p);
        return 4;
    }
    int r = xfs_host_make(plan, m, argv[4], &p, argv[5], NULL, &err);
    xfs_host_proto_release(&p);
    if (r < 0)
        return fail(&err);
    uint64_t offset, size;
    hostfs_extent(plan, m, &offset, &size);
    char uuid[FSID_UUID_BUF];
    fsid_of_mount(plan, m, uuid);
    printf("%llu %llu %s\n", (unsigned long long)offset, (unsigned long long)size, uuid);
    return 0;
}
