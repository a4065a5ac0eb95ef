/* export_raw.c: the raw output is the build's own sparse disks, renamed,
 * never copied; the images are gone from the job afterwards, so it runs
 * last. */
#include "exporter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "appliance/cleanup.h"

static int
raw_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        CLEANUP_FREE char *path = export_disk_path(job, (enum plan_disk_id)i, "raw");
        if (!path)
            return ab_oom(err);
        if (rename(job->images[i], path) < 0)
            return ab_build_error(err, errno, "cannot move '%s' to '%s': %s", job->images[i], path,
                                  strerror(errno));
    }
    return 0;
}

const struct exporter exporter_raw = {"raw", OUTPUT_RAW, NULL, raw_write};
