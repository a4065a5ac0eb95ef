/* os_source.h: where root trees come from, one table row per kind.
 *
 * Like QEMU's BlockDriver: each source describes what shapes its tree (for
 * the cache key) and writes the tree as a tar archive. Sources run their
 * tools natively on the host, never in the emulated appliance. */
#ifndef APPLIANCE_OS_SOURCE_H
#define APPLIANCE_OS_SOURCE_H

#include <stdbool.h>

#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

struct digest_ctx; /* hash.h */

struct os_source {
    const char *name;
    bool (*handles)(const struct plan *plan);
    /* Feeds everything that shapes the tree into the cache key. */
    int (*key)(const struct plan *plan, struct digest_ctx *key, struct ab_error *err);
    /* Writes the root tree as a tar archive at tar_path; scratch is a
     * private folder for the source's own files; the tools run with ctx
     * (may be NULL): its log and echo. */
    int (*fetch)(const struct plan *plan, const char *tar_path, const char *scratch,
                 const struct spawn_ctx *ctx, struct ab_error *err);
};

extern const struct os_source os_source_debian;
extern const struct os_source os_source_dnf;
extern const struct os_source os_source_rootfs;

/* The source that builds plan's tree; never NULL for a valid plan. */
const struct os_source *os_source_for(const struct plan *plan);

#endif
