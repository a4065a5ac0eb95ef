/* build.h: the build pipeline, plan -> the two raw disks of the appliance
 * -> every output.
 *
 *   preflight -> os (the cached tree under an overlay, SOURCE_DATE_EPOCH)
 *   -> disks (GPT, LVM metadata written by the program)
 *   -> configure (natively, GRUB; a view per filesystem, times clamped)
 *   -> disks reused from the cache, or xfs (mkfs.xfs -p; the appliance
 *      only for what a protofile cannot carry) and the other filesystems
 *      on the host -> boot code -> exports (reused per disk when the
 *      cache has them) -> SHA256SUMS, report -> output swapped into place
 *
 * Library code: progress and notices go through struct build_events, the
 * log and echo through opts->spawn; nothing here prints, and the
 * process's environment and namespaces are the caller's to set (the top
 * of `appliance build`, cli/cmd_build.c). */
#ifndef APPLIANCE_BUILD_H
#define APPLIANCE_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "appliance/cache.h"
#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

struct build_events {
    void *ctx;
    void (*stage_begin)(void *ctx, const char *stage, const char *what);
    void (*stage_end)(void *ctx, const char *stage, double seconds);
    void (*notice)(void *ctx, const char *message);
    /* A long step within a stage (an export, a disk fill): what it is,
     * and bytes done of total; total 0 when unknown. Called often: the
     * receiver decides how often to draw. May be NULL. */
    void (*progress)(void *ctx, const char *what, uint64_t done, uint64_t total);
};

/* One stage of a command's pipeline (the build's, convert's), between
 * build_stage_begin and build_stage_end: its name and how long it took. */
struct build_stage {
    const char *name;
    double start, seconds;
    size_t first_diag;
};

/* Starts stage NAME (WHAT for the display): -1 with "interrupted" when a
 * stop was asked for, else 0 after telling ev (which may be NULL). */
int build_stage_begin(const struct build_events *ev, struct build_stage *st, const char *name,
                      const char *what, struct ab_error *err);

/* Ends st with its function's result r, which it returns: its seconds
 * set, ev told when it succeeded, "interrupted" when a stop ended it, else
 * its errors prefixed with its name. */
int build_stage_end(const struct build_events *ev, struct build_stage *st, int r,
                    struct ab_error *err);

struct build_opts {
    const char *output;   /* the output folder */
    const char *workroot; /* where scratch folders go; NULL: $TMPDIR or /var/tmp */
    struct cache_opts cache;
    struct spawn_ctx spawn; /* the log and echo of every tool run; zero: neither */
    bool no_space_check;  /* --no-space-check: skip the free space estimate */
    /* The caller runs in a mount namespace of its own (tree.h's
     * tree_private_namespace, entered before any thread): the build
     * mounts its overlay and views there; else it copies the tree. */
    bool private_ns;
    const struct build_events *events;
    const char *sign_key;   /* --sign-key: the private key that signs SHA256SUMS and the
                               provenance (sign.h); NULL: nothing is signed */
    const char *builder_id; /* --builder-id: the provenance's builder; NULL: the recipe's */
    /* --cache-registry: the repository that shares the root tree and disk
     * caches (pipeline/cache_registry.h); NULL: none. */
    const char *cache_registry;
    /* One architecture of a folder of several (build_run_arches): an
     * existing folder, the caller's, that the build fills in place of
     * taking opts->output's lock and swapping it into place itself; its
     * SHA256SUMS is left unsigned (the caller signs the folder's one).
     * NULL: the build owns opts->output. */
    const char *staging;
    /* sign_key read already (build_run_arches reads it once for every
     * architecture, so that one key signs them all); NULL: the build
     * reads sign_key itself. */
    const struct sign_key *key;
};

/* Builds the appliance; on failure nothing is left behind and a previous
 * output in opts->output is untouched. */
int build_run(const struct plan *plan, const struct build_opts *opts, struct ab_error *err);

/* Builds the n plans of one recipe (plan_new_arch: one per architecture
 * it lists, in build order, n at most 2) into the one folder
 * opts->output: each into a folder of its own inside the output's
 * temporary folder (outdir.h) with build_run, its progress and notices
 * naming its architecture, then every file moved into the one folder
 * (two with one name is an error), one SHA256SUMS of them all
 * (export_sums_merge) and, with opts->sign_key, its signature. The
 * folder is swapped into place once all of it succeeded: a failed or
 * interrupted build of any architecture leaves nothing, and a previous
 * output untouched. */
int build_run_arches(const struct plan *const *plans, size_t n, const struct build_opts *opts,
                     struct ab_error *err);

#endif
