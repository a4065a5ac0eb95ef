/* export_raw.c: the raw output is the build's own sparse disks, renamed,
 * never copied (their digests, known or being made, follow them); the
 * images are gone from the job afterwards, so it runs last. */
#include "exporter.h"

static int
move_disk(const struct export_job *job, enum plan_disk_id disk, const char *raw, const char *path,
          const void *ctx, struct ab_error *err)
{
    (void)disk;
    (void)ctx;
    return export_digests_rename(job->digests, raw, path, err);
}

static int
raw_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    return export_each_disk(job, "raw", NULL, false, move_disk, NULL, err);
}

const struct exporter exporter_raw = {"raw", OUTPUT_RAW, NULL, raw_write, NULL};
