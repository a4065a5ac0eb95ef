/* diskcache.h: incremental builds. Each disk's image, and each file an
 * exporter writes from one disk, is kept in the cache under a key of
 * everything that can change its bytes, and reused by the next build whose
 * key is the same.
 *
 * A disk's key digests: the program itself (its executable's bytes), the
 * root tree's cache key, SOURCE_DATE_EPOCH, the plan (with, for the OS
 * disk, the application disk reduced to what the OS disk holds of it: its
 * VG, LV names, filesystems and mount points, as /etc/fstab and the grow
 * service name them, not its sizes), and the contents, modes and owners
 * of the `files:` that land on it. A `files:` entry landing on the
 * application disk counts for the OS disk too when the recipe has `run:`
 * lines, which could read it. An export's key is its disk's key with the
 * exporter's tag and the plan's hardware and OVA settings.
 *
 * Entries live in CACHE/disks/ as KEY.img (a sparse raw image) and
 * KEY.TAG (an exported file), written under a temporary name and renamed
 * when whole, each store holding CACHE/disks/.lock; a reused entry's time
 * is touched, and after each store the least recently used entries go
 * until the folder is under its size limit. Beside an entry, ENTRY.sha256
 * (and .sha1, .sha512) hold its digests once a build computed them, so
 * that a reused copy is never read to be hashed, and ENTRY.populated a
 * VMDK's count of data; they go with it. The
 * folder also holds .sha256-zeros, the runs of zeros whose SHA-256 states
 * are remembered (sparse_sha256.h), which --no-reuse still uses: it is a
 * table of a function's results, not of any file. */
#ifndef APPLIANCE_DISKCACHE_H
#define APPLIANCE_DISKCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/hash.h"
#include "appliance/plan.h"

#define DISKCACHE_KEY_HEX 65

struct diskcache_copy {
    char *entry; /* CACHE/disks/KEY.img or KEY.TAG */
    char *file;  /* this build's copy of it */
    enum plan_disk_id disk;
    char *tag;   /* NULL: the image */
};

struct diskcache {
    char *dir;          /* CACHE/disks; NULL: off */
    uint64_t max_bytes; /* the folder's size limit */
    char key[PLAN_N_DISKS][DISKCACHE_KEY_HEX];
    char export_salt[DISKCACHE_KEY_HEX]; /* the plan's hardware and OVA */
    bool hit[PLAN_N_DISKS];              /* the image was reused */
    struct diskcache_copy *copies;       /* images and exports fetched or stored */
    size_t n_copies;
};

/* Computes the keys; tree_key is the root tree's cache key, epoch the
 * build's SOURCE_DATE_EPOCH. dir NULL turns the cache off (every other
 * call then does nothing). */
int diskcache_open(struct diskcache *dc, const char *dir, uint64_t max_bytes,
                   const struct plan *plan, const char *tree_key, int64_t epoch,
                   struct ab_error *err);

/* 1 when disk's image was in the cache and is now copied to img, 0 when
 * not, -1 on error. */
int diskcache_fetch_image(struct diskcache *dc, enum plan_disk_id disk, const char *img,
                          struct ab_error *err);

/* Stores img as disk's image (errors are not fatal: the cache is an
 * optimisation; they are returned for the log). */
int diskcache_store_image(struct diskcache *dc, enum plan_disk_id disk, const char *img,
                          struct ab_error *err);

/* The same for a file an exporter writes from one disk, tag naming the
 * exporter and format ("qcow2", "ovf.vmdk"); read_only: path is only read
 * and then removed by this build, so a hard link to the entry does where
 * both are on one file system (no bytes copied), else a copy. */
int diskcache_fetch_file(struct diskcache *dc, enum plan_disk_id disk, const char *tag,
                         const char *path, bool read_only, struct ab_error *err);
int diskcache_store_file(struct diskcache *dc, enum plan_disk_id disk, const char *tag,
                         const char *path, struct ab_error *err);

/* The digest in algo of file, this build's copy of an entry (an image or
 * an export, fetched or stored), when a build kept it beside the entry:
 * 1 and hex, else 0. */
int diskcache_known_digest(struct diskcache *dc, const char *file, enum digest algo,
                           char hex[HASH_HEX_MAX]);

/* Keeps hex, the digest in algo of file (this build's copy of an entry),
 * beside the entry as ENTRY.ALGO, unless one is there; failures only cost
 * the reuse. */
void diskcache_keep_digest(struct diskcache *dc, const char *file, enum digest algo,
                           const char *hex);

/* The same for a count an exporter made while writing file, kept as
 * ENTRY.NAME; name is one the cache knows ("populated": a VMDK's bytes of
 * data, the OVF's populatedSize). */
int diskcache_known_count(struct diskcache *dc, const char *file, const char *name,
                          uint64_t *value);
void diskcache_keep_count(struct diskcache *dc, const char *file, const char *name, uint64_t value);

/* The path of disk's entry in the cache: its image (tag NULL) or an
 * export's; NULL when the cache is off or out of memory (malloc'd). For
 * the registry cache (cache_registry.h), which fills and reads them. */
char *diskcache_entry(const struct diskcache *dc, enum plan_disk_id disk, const char *tag);

void diskcache_release(struct diskcache *dc);

#endif
