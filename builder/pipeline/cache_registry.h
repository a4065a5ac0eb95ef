/* cache_registry.h: the build caches shared through an OCI registry
 * (--cache-registry REF, APPLIANCE_CACHE_REGISTRY).
 *
 * Before a build looks in its local caches, each entry it lacks is
 * looked up in the registry, in REF's repository, and pulled into the
 * local cache when there: the root tree under the tag root-KEY (KEY:
 * cache.h's key), each disk under disk-KEY (diskcache.h's key of that
 * disk). After a build that succeeded, each entry the registry did not
 * have is pushed. An entry is an OCI artifact of artifactType
 * CACHE_REGISTRY_TYPE, one layer per file (the root tree's archive; a
 * disk's image, as qcow2, and each export kept for it), the kind, key
 * and what else decides its use in annotations.
 *
 * A pulled entry is used only once its manifest is judged (artifact
 * type, kind and key, plain titles, sizes) and every file hashed again
 * against its layer; the disk image is checked (image_check.h) before
 * qemu-img reads it. A corrupt, partial or foreign entry is refused with
 * a notice and built, and the build's push then writes its own entry
 * (a blob corrupted in the registry's storage stays: the registry says
 * it has that digest, so a pull refuses it until it is removed). A registry
 * that cannot be reached makes a local build with one notice, and is not
 * asked again in that build. Nothing here reads credentials: skopeo
 * finds them (registry.h). */
#ifndef APPLIANCE_CACHE_REGISTRY_H
#define APPLIANCE_CACHE_REGISTRY_H

#include <stdbool.h>

#include "appliance/cache.h"
#include "appliance/error.h"
#include "appliance/oci.h"
#include "appliance/plan.h"
#include "appliance/registry.h"
#include "diskcache.h"

#define CACHE_REGISTRY_TYPE "application/vnd.appliance.cache.v1+json"
#define CACHE_ANN_KIND "vnd.appliance.cache.kind"
#define CACHE_ANN_KEY "vnd.appliance.cache.key"
#define CACHE_ANN_SALT "vnd.appliance.cache.export-salt"
#define CACHE_ANN_DISTRO "vnd.appliance.cache.distro"

/* What became of one entry, for the report and the notices. */
enum cache_reg_state {
    CACHE_REG_NONE = 0, /* not looked up (off, or the local cache had it) */
    CACHE_REG_PULLED,   /* pulled into the local cache */
    CACHE_REG_MISSING,  /* not in the registry (then pushed, when the build succeeded) */
    CACHE_REG_REFUSED,  /* there, refused (then pushed anew) */
    CACHE_REG_PUSHED,
    CACHE_REG_PRESENT,  /* the local cache had it; the registry too, or it was pushed */
    CACHE_REG_OFFLINE,  /* the registry could not be asked */
};

const char *cache_reg_state_name(enum cache_reg_state s);

struct cache_registry {
    struct registry reg; /* its tmpdir: scratch */
    char *scratch;       /* a copy of the scratch folder, for the layouts pushed */
    struct oci_ref ref;
    char *ref_text;
    bool offline;
    enum cache_reg_state root;
    enum cache_reg_state disk[PLAN_N_DISKS];
    /* Notices for the build to show (it owns the display). */
    void (*notice)(void *ctx, const char *msg);
    void *notice_ctx;
};

/* Parses ref (a usage error when invalid); scratch (copied) holds the
 * layouts and qcow2 images made to push, and skopeo's own files. */
int cache_registry_open(struct cache_registry *cr, const char *ref, const char *scratch,
                        const struct spawn_ctx *spawn, struct ab_error *err);
void cache_registry_release(struct cache_registry *cr);

/* The root tree of key into CACHE/roots when the local cache lacks it
 * (tar: its roots/KEY.tar). Errors are notices: returns nothing. */
void cache_registry_pull_root(struct cache_registry *cr, const struct plan *plan,
                              const char *key, const char *tar);
/* The same for each disk of dc the local cache lacks. */
void cache_registry_pull_disks(struct cache_registry *cr, struct diskcache *dc);

/* After a build that succeeded: the entries the registry lacked. */
void cache_registry_push_root(struct cache_registry *cr, const struct plan *plan,
                              const char *key, const char *tar);
void cache_registry_push_disks(struct cache_registry *cr, struct diskcache *dc);

/* The manifest of an entry judged as a pull judges it: of
 * CACHE_REGISTRY_TYPE, kind and key as expected, every layer titled. */
int cache_registry_check(const struct oci_manifest *m, const char *kind, const char *key,
                         const char *what, struct ab_error *err);

#endif
