/* export_gce.c: a disk for Google Compute Engine, "disk.raw" alone in a
 * gzip'd tar in GNU format.
 *
 * GNU tar writes it (--format=oldgnu, --sparse: the disk's holes are not
 * stored, as Google's own instructions do it) and pigz compresses on every
 * core; libarchive's writers store no sparse members, which for a mostly
 * empty disk means compressing gigabytes of zeros. The archive depends on
 * the disk's contents and SOURCE_DATE_EPOCH alone. */
#include "exporter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/spawn.h"

int
export_gce(const char *raw, const char *tar_gz, int64_t epoch, const struct spawn_ctx *ctx,
           struct ab_error *err)
{
    /* The member must be named disk.raw: a hard link of that name in a
     * folder of its own beside the output (same filesystem as raw). */
    CLEANUP_FREE char *dir = NULL, *link_path = NULL, *tmp = NULL;
    if (asprintf(&dir, "%s.parts", tar_gz) < 0 || asprintf(&link_path, "%s/disk.raw", dir) < 0 ||
        asprintf(&tmp, "%s.tmp", tar_gz) < 0)
        return ab_oom(err);
    if (mkdir(dir, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", dir, strerror(errno));
    int rc = 0;
    if (link(raw, link_path) < 0) {
        rc = ab_build_error(err, errno, "cannot link '%s' as '%s': %s", raw, link_path,
                            strerror(errno));
    } else {
        /* Reproducible: the member's owner, mode and time fixed, its holes
         * found from its contents (not from how the file happens to be
         * allocated), no name or time in the gzip header; pigz's output
         * is the same whatever its thread count. */
        char mtime[40];
        snprintf(mtime, sizeof(mtime), "--mtime=@%lld", (long long)epoch);
        const char *argv[] = {"tar",
                              "--format=oldgnu",
                              "--sparse",
                              "--hole-detection=raw",
                              "--sort=name",
                              mtime,
                              "--owner=0",
                              "--group=0",
                              "--numeric-owner",
                              "--mode=0644",
                              "--use-compress-program=pigz -n",
                              "-C",
                              dir,
                              "-cf",
                              tmp,
                              "disk.raw",
                              NULL};
        const struct spawn_opts o = {.ctx = ctx};
        rc = spawn_run(argv, &o, err);
        if (rc == 0 && rename(tmp, tar_gz) < 0)
            rc = ab_build_error(err, errno, "cannot rename '%s': %s", tmp, strerror(errno));
    }
    if (rc < 0)
        unlink(tmp);
    rm_rf(dir, dir);
    return rc;
}

static int
gce_disk(const struct export_job *job, enum plan_disk_id disk, const char *raw, const char *path,
         const void *ctx, struct ab_error *err)
{
    (void)disk;
    (void)ctx;
    return export_gce(raw, path, job->epoch, job->spawn, err);
}

static int
gce_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    return export_each_disk(job, "tar.gz", "gce.tar.gz", true, gce_disk, NULL, err);
}

const struct exporter exporter_gce = {"gce", OUTPUT_GCE, NULL, gce_write, NULL};
