/* export_raw.c: the raw output is the build's own sparse disks, renamed,
 * never copied; the images are gone from the job afterwards, so it runs
 * last. */
#include "exporter.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int
move_disk(const struct export_job *job, enum plan_disk_id disk, const char *raw, const char *path,
          const void *ctx, struct ab_error *err)
{
    (void)job;
    (void)disk;
    (void)ctx;
    if (rename(raw, path) < 0)
        return ab_build_error(err, errno, "cannot move '%s' to '%s': %s", raw, path,
                              strerror(errno));
    return 0;
}

static int
raw_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    return export_each_disk(job, "raw", NULL, false, move_disk, NULL, err);
}

const struct exporter exporter_raw = {"raw", OUTPUT_RAW, NULL, raw_write, NULL};
