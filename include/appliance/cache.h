/* cache.h: root trees cached by a content hash of what shapes them.
 *
 * An entry is `roots/KEY.tar` with `roots/KEY.sum` beside it ("SHA256
 * SIZE"), written only once the archive is whole. An entry whose archive
 * is missing, of the wrong size or digest is removed and built again:
 * a partial or corrupt entry is never used. Beside it, `roots/KEY.tree`
 * is the same tree unpacked, made by the first build that lays an overlay
 * on it, removed with the entry, and `roots/KEY.distro`, the release
 * its tree is of ("debian-12\n"). */
#ifndef APPLIANCE_CACHE_H
#define APPLIANCE_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/hash.h"
#include "appliance/os_source.h"
#include "appliance/plan.h"

#define CACHE_KEY_HEX 65

struct cache_opts {
    const char *dir;    /* NULL: the default (cache_default_dir) */
    bool disabled;      /* --no-cache: build into scratch, store nothing */
    uint64_t max_bytes; /* --cache-max: the disks' and exports' part; 0: default */
    bool no_reuse;      /* --no-reuse: root tree from the cache, all else built */
};

/* The default size limit of the cache's disks/ folder (--cache-max). */
#define CACHE_DISKS_MAX_DEFAULT (UINT64_C(8) << 30)

/* $APPLIANCE_CACHE_DIR, else /var/cache/appliance for root, else
 * $XDG_CACHE_HOME/appliance or ~/.cache/appliance (a user's build asks
 * before it is root of its user namespace: userns.h). Returns malloc'd. */
char *cache_default_dir(void);

/* The cache key of plan's root tree. */
int cache_key(const struct plan *plan, const struct os_source *src, char key[CACHE_KEY_HEX],
              struct ab_error *err);

/* Gives the path of plan's root tree archive in *tar_path, from the cache
 * (*hit true) or fetched now (stored unless disabled). scratch is a
 * private folder of the build. for_overlay: the caller uses the unpacked
 * tree (cache_unpacked_tree) when there is one, so an entry that has one
 * is checked by its archive's size, not its digest. A fetch runs its
 * tools with ctx (may be NULL). */
int cache_root_tree(const struct plan *plan, const struct cache_opts *opts, bool for_overlay,
                    const char *scratch, char **tar_path, bool *hit, const struct spawn_ctx *ctx,
                    struct ab_error *err);

/* The SHA-256 of a cache entry's archive as its sum file records it
 * (roots/KEY.sum beside roots/KEY.tar, whose size it still has): 1 and
 * hex, else 0 (not an entry of the cache, or no sum: the caller hashes). */
int cache_entry_sha256(const char *tar_path, char hex[HASH_HEX_MAX]);

/* The entry of tar_path (a cache entry's archive) unpacked beside it, as
 * roots/KEY.tree: extracted once, into a temporary name renamed when whole,
 * and read-only from then on (the builds lay an overlay on it). One that
 * another user unpacked is refused: its owners are not those this build
 * would give the image. *dir is malloc'd. */
int cache_unpacked_tree(const char *tar_path, const char *what, char **dir, struct ab_error *err);

/* The unpacked trees (KEY.tree) in the cache at dir (NULL: the default)
 * of plan's release, best first: plan's own tree, then those that builds
 * of other recipes of the same release left (their KEY.distro names it),
 * in name order. None for a `rootfs:` recipe (its archive is not hashed
 * for this). A NULL-terminated malloc'd list, empty when there is none;
 * NULL only when out of memory. For the warnings that judge a recipe by
 * its release's own lists (plan_warnings). */
char **cache_distro_trees(const struct plan *plan, const char *dir);

#endif
