/* export_job.c: what every exporter shares: the names of the disks' files
 * and the steps it announces. */
#include "exporter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/delivery.h"

char *
export_disk_base(const struct plan *plan, enum plan_disk_id disk)
{
    return delivery_disk_file(plan, disk, "");
}

char *
export_disk_file(const struct plan *plan, enum plan_disk_id disk, const char *ext)
{
    CLEANUP_FREE char *suffix = NULL;
    if (asprintf(&suffix, ".%s", ext) < 0)
        return NULL;
    return delivery_disk_file(plan, disk, suffix);
}

char *
export_disk_path(const struct export_job *job, enum plan_disk_id disk, const char *ext)
{
    CLEANUP_FREE char *name = export_disk_file(job->plan, disk, ext);
    char *s;
    return name && asprintf(&s, "%s/%s", job->dir, name) >= 0 ? s : NULL;
}

const char *
export_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The SHA-256 of a file of the output that is whole: the one kept beside
 * its cache entry, else hashed from now on (export_digests), unless its
 * writer gave it. */
static int
note_digest(const struct export_job *job, const char *path, struct ab_error *err)
{
    const struct export_reuse *r = job->reuse;
    char hex[HASH_HEX_MAX];
    struct ab_error ignored = AB_ERROR_INIT;
    int known = export_digests_get(job->digests, path, hex, &ignored);
    ab_error_release(&ignored);
    if (!job->digests || known > 0)
        return 0;
    if (r && r->digest && r->digest(r->ctx, path, DIGEST_SHA256, hex) > 0)
        return export_digests_set(job->digests, path, hex, err);
    return export_digests_hash(job->digests, path, err);
}

int
export_disk_file_reused(const struct export_job *job, enum plan_disk_id disk, const char *tag,
                        const char *path, bool read_only, export_disk_fn fn, const void *ctx,
                        struct ab_error *err)
{
    const struct export_reuse *r = job->reuse;
    if (r && r->fetch) {
        int got = r->fetch(r->ctx, disk, tag, path, read_only, err);
        if (got < 0)
            return -1;
        if (got > 0) {
            CLEANUP_FREE char *what = NULL;
            if (asprintf(&what, "%s (reused)", export_base_name(path)) < 0)
                return ab_oom(err);
            export_step(job, what);
            return note_digest(job, path, err);
        }
    }
    export_step(job, export_base_name(path));
    if (fn(job, disk, job->images[disk], path, ctx, err) < 0)
        return -1;
    if (r && r->store) {
        struct ab_error ignored = AB_ERROR_INIT;
        r->store(r->ctx, disk, tag, path, &ignored);
        ab_error_release(&ignored);
    }
    return note_digest(job, path, err);
}

int
export_each_disk(const struct export_job *job, const char *ext, const char *tag, bool announce,
                 export_disk_fn fn, const void *ctx, struct ab_error *err)
{
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        CLEANUP_FREE char *path = export_disk_path(job, (enum plan_disk_id)i, ext);
        if (!path)
            return ab_oom(err);
        if (tag) {
            if (export_disk_file_reused(job, (enum plan_disk_id)i, tag, path, false, fn, ctx,
                                        err) < 0)
                return -1;
            continue;
        }
        if (announce)
            export_step(job, export_base_name(path));
        if (fn(job, (enum plan_disk_id)i, job->images[i], path, ctx, err) < 0)
            return -1;
    }
    return 0;
}

void
export_step(const struct export_job *job, const char *what)
{
    if (job->step)
        job->step(job->progress_ctx, what);
}
