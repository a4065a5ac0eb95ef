/* build.c: the build pipeline, stage by stage. */
#include "appliance/build.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appliance/attest.h"
#include "appliance/binfmt.h"
#include "appliance/bootloader.h"
#include "appliance/cache.h"
#include "appliance/cleanup.h"
#include "appliance/clock.h"
#include "appliance/configure.h"
#include "appliance/delivery.h"
#include "appliance/engine_proc.h"
#include "appliance/epoch.h"
#include "appliance/export.h"
#include "appliance/fsutil.h"
#include "appliance/hostfs.h"
#include "appliance/kvm.h"
#include "appliance/lvm_meta.h"
#include "appliance/os_source.h"
#include "appliance/outdir.h"
#include "appliance/packages.h"
#include "appliance/report.h"
#include "appliance/sbom.h"
#include "appliance/sign.h"
#include "appliance/sparse_sha256.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"
#include "appliance/tree.h"
#include "appliance/userns.h"
#include "appliance/xfs_host.h"
#include "cache_registry.h"
#include "diskcache.h"
#include "preflight.h"

struct build {
    const struct plan *plan;
    const struct build_opts *opts;
    const struct spawn_ctx *run; /* &run_ctx: every tool's log, echo and environment */
    struct spawn_ctx run_ctx;    /* opts->spawn, with SOURCE_DATE_EPOCH once known */
    const char **run_env;        /* run_ctx.env: opts->spawn's, then epoch_env */
    char epoch_env[48];
    struct outdir out;
    const char *dir;           /* where the output is written: out.tmp, or opts->staging */
    char *work;                /* scratch folder, removed at the end */
    char *tree;                /* work/tree */
    bool overlay;              /* tree: the cache's unpacked tree + an overlay */
    struct tree_mounts mounts; /* the overlay and the filesystems' views */
    struct diskcache disks;    /* images and exports reused between builds */
    struct export_reuse reuse;
    bool reuse_checked; /* reuse_disks ran */
    char *images[PLAN_N_DISKS];
    char **fs_dirs; /* one per plan mount */
    char kver[128];
    struct kvm_probe kvm;
    struct build_report report;
    bool xfs;                     /* an xfs folder the host cannot make: the appliance does */
    bool *in_appliance;           /* per plan mount: its xfs is the appliance's to make */
    struct engine_proc appliance; /* runs beside the host's work */
    double appliance_start;
    char *raw_dir;                  /* dir/.raw: the disks before export */
    struct sha256_zeros *zeros;     /* runs of zeros hashed before (sparse_sha256.h) */
    struct export_digests *digests; /* the output's SHA-256s, made as it is written */
    struct export_files files;      /* what the output holds */
    double finish_start;
    bool report_written;       /* the report holds the stages timed so far */
    pthread_t sweeper;         /* removes the tree while exports run */
    bool sweeping;
    pthread_t prober; /* asks the tools their versions for the report, meanwhile */
    bool probing;
    int64_t epoch;    /* SOURCE_DATE_EPOCH, once known (epoch.h) */
    bool epoch_given; /* by the environment */
    struct sign_key *key;           /* --sign-key, read before anything else */
    struct pkg_list packages;       /* installed in the tree */
    struct pkg_list ct_packages;    /* installed in the container's tree */
    bool container;                 /* ct_packages was read */
    char tree_key[CACHE_KEY_HEX];   /* the root tree's cache key; "" unknown */
    char tree_sha256[HASH_HEX_MAX]; /* and its archive's SHA-256 */
    struct cache_registry creg;     /* --cache-registry */
    bool creg_on;
    char *root_tar;                 /* the local cache's roots/KEY.tar, for the registry */
};

static void
notice(struct build *b, const char *msg)
{
    const struct build_events *ev = b->opts->events;
    if (ev && ev->notice)
        ev->notice(ev->ctx, msg);
}

int
build_stage_begin(const struct build_events *ev, struct build_stage *st, const char *name,
                  const char *what, struct ab_error *err)
{
    if (stop_requested())
        return ab_build_error(err, EINTR, "interrupted");
    if (ev && ev->stage_begin)
        ev->stage_begin(ev->ctx, name, what);
    *st = (struct build_stage){.name = name, .start = mono_now(), .first_diag = err->n_diags};
    return 0;
}

int
build_stage_end(const struct build_events *ev, struct build_stage *st, int r, struct ab_error *err)
{
    st->seconds = mono_now() - st->start;
    if (ev && ev->stage_end && r == 0)
        ev->stage_end(ev->ctx, st->name, st->seconds);
    if (r < 0 && stop_requested())
        return ab_build_error(err, EINTR, "interrupted");
    if (r < 0)
        ab_error_prefix_since(err, st->first_diag, st->name);
    return r;
}

/* Runs one stage, timing it for the report and the progress display. */
static int
stage(struct build *b, const char *name, const char *what,
      int (*fn)(struct build *b, struct ab_error *err), struct ab_error *err)
{
    struct build_stage st;
    if (build_stage_begin(b->opts->events, &st, name, what, err) < 0)
        return -1;
    int r = build_stage_end(b->opts->events, &st, fn(b, err), err);
    if (!b->report_written) /* finish writes it, its own time recorded first */
        report_stage(&b->report, name, st.seconds);
    return r;
}

/* ---- stages ------------------------------------------------------------- */

static bool
plan_has_xfs(const struct plan *plan)
{
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (plan->mounts[i].fs == FS_XFS)
            return true;
    return false;
}

static int
do_preflight(struct build *b, struct ab_error *err)
{
    const char *root = b->opts->workroot ? b->opts->workroot : getenv("TMPDIR");
    if (!root || !*root)
        root = "/var/tmp";
    struct preflight_opts po = {b->opts->output, root, !b->opts->no_space_check};
    /* The signing key first: an unreadable one, or one others may read,
     * stops the build before anything is made. */
    if (b->opts->sign_key && !b->opts->key && sign_key_load(b->opts->sign_key, &b->key, err) < 0)
        return -1;
    int given = epoch_from_env(&b->epoch, err);
    if (given < 0)
        return -1;
    b->epoch_given = given > 0;
    /* The output's lock first: a second build into the same folder is
     * refused at once, before the KVM probe (up to 5 s where KVM hangs). */
    if (preflight_check(b->plan, &po, err) < 0)
        return -1;
    if (b->opts->staging)
        b->dir = b->opts->staging;
    else if (outdir_begin(&b->out, b->opts->output, err) < 0)
        return -1;
    else
        b->dir = b->out.tmp;
    if (asprintf(&b->work, "%s/appliance-XXXXXX", root) < 0 || !mkdtemp(b->work))
        return ab_build_error(err, errno, "cannot create a scratch folder in '%s': %s", root,
                              strerror(errno));
    if (asprintf(&b->tree, "%s/tree", b->work) < 0 ||
        !(b->fs_dirs = calloc(b->plan->n_mounts + 1, sizeof(char *))) ||
        !(b->in_appliance = calloc(b->plan->n_mounts + 1, sizeof(bool))))
        return ab_oom(err);
    return 0;
}

static int
reuse_fetch(void *ctx, enum plan_disk_id disk, const char *tag, const char *path, bool read_only,
            struct ab_error *err)
{
    struct build *b = ctx;
    return diskcache_fetch_file(&b->disks, disk, tag, path, read_only, err);
}

static int
reuse_store(void *ctx, enum plan_disk_id disk, const char *tag, const char *path,
            struct ab_error *err)
{
    struct build *b = ctx;
    return diskcache_store_file(&b->disks, disk, tag, path, err);
}

static int
reuse_digest(void *ctx, const char *path, enum digest algo, char hex[HASH_HEX_MAX])
{
    struct build *b = ctx;
    return diskcache_known_digest(&b->disks, path, algo, hex);
}

static void
reuse_keep_digest(void *ctx, const char *path, enum digest algo, const char *hex)
{
    struct build *b = ctx;
    diskcache_keep_digest(&b->disks, path, algo, hex);
}

static int
reuse_count(void *ctx, const char *path, const char *name, uint64_t *value)
{
    struct build *b = ctx;
    return diskcache_known_count(&b->disks, path, name, value);
}

static void
reuse_keep_count(void *ctx, const char *path, const char *name, uint64_t value)
{
    struct build *b = ctx;
    diskcache_keep_count(&b->disks, path, name, value);
}

/* The cache's folder (--cache-dir, else the default). */
static char *
cache_base(const struct build *b)
{
    return b->opts->cache.dir ? strdup(b->opts->cache.dir) : cache_default_dir();
}

/* The disks and exports of earlier builds (diskcache.h), in CACHE/disks;
 * off with --no-cache and --no-reuse. */
static int
open_disk_cache(struct build *b, struct ab_error *err)
{
    const struct os_source *src = os_source_for(b->plan);
    char key[CACHE_KEY_HEX];
    CLEANUP_FREE char *base = NULL, *dir = NULL;
    if (b->opts->cache.disabled || b->opts->cache.no_reuse || !src)
        return 0;
    base = cache_base(b);
    if (!base || asprintf(&dir, "%s/disks", base) < 0)
        return ab_oom(err);
    uint64_t max = b->opts->cache.max_bytes ? b->opts->cache.max_bytes : CACHE_DISKS_MAX_DEFAULT;
    if (cache_key(b->plan, src, key, err) < 0 ||
        diskcache_open(&b->disks, dir, max, b->plan, key, b->epoch, err) < 0)
        return -1;
    b->reuse = (struct export_reuse){reuse_fetch,
                                     reuse_store,
                                     reuse_digest,
                                     reuse_keep_digest,
                                     reuse_count,
                                     reuse_keep_count,
                                     b};
    return 0;
}

/* The table of the output's digests, and the runs of zeros hashed by
 * earlier builds in CACHE/disks/.sha256-zeros: kept unless --no-cache
 * (--no-reuse too: it holds a function's results, not a file's bytes). */
static int
open_digests(struct build *b, struct ab_error *err)
{
    CLEANUP_FREE char *base = NULL, *dir = NULL, *path = NULL;
    if (!b->opts->cache.disabled) {
        if (!(base = cache_base(b)) || asprintf(&dir, "%s/disks", base) < 0 ||
            asprintf(&path, "%s/.sha256-zeros", dir) < 0)
            return ab_oom(err);
        if (mkdir_p(dir, 0755) < 0)
            return ab_build_error(err, errno, "cannot create '%s': %s", dir, strerror(errno));
    }
    return sha256_zeros_open(path, &b->zeros, err) < 0 ||
                   export_digests_new(b->zeros, &b->digests, err) < 0
               ? -1
               : 0;
}

/* The raw disks live in the output's temporary folder (the raw output is
 * a rename away, and the free space checked is the output's), under a
 * hidden folder removed once the exports are written. Each gets its GPT
 * and its LVM metadata, written by the program (lvm_meta.h), whose
 * creation times are the epoch: this stage runs once the tree gave it. */
static int
do_disks(struct build *b, struct ab_error *err)
{
    /* After the os stage: the keys hold the build's SOURCE_DATE_EPOCH. */
    if (open_disk_cache(b, err) < 0 || open_digests(b, err) < 0)
        return -1;
    if (b->creg_on)
        cache_registry_pull_disks(&b->creg, &b->disks);
    if (asprintf(&b->raw_dir, "%s/.raw", b->dir) < 0)
        return ab_oom(err);
    if (mkdir(b->raw_dir, 0700) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", b->raw_dir, strerror(errno));
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        if (asprintf(&b->images[i], "%s/%s-%s.img", b->raw_dir, b->plan->name,
                     b->plan->disks[i].id) < 0)
            return ab_oom(err);
        if (hostfs_disk(b->plan, (enum plan_disk_id)i, b->images[i], b->run, err) < 0 ||
            lvm_meta_write(b->plan, (enum plan_disk_id)i, b->images[i], b->epoch, err) < 0)
            return -1;
    }
    notice(b, "LVM metadata written by the program");
    return 0;
}

static int
start_appliance(struct build *b, struct ab_error *err)
{
    CLEANUP_FREE char *scratch = NULL;
    if (!b->xfs)
        return 0;
    b->appliance_start = mono_now();
    if (asprintf(&scratch, "%s/g", b->work) < 0 || mkdir(scratch, 0700) < 0)
        return ab_build_error(err, errno, "cannot create '%s/g'", b->work);
    return engine_proc_start(&b->appliance, b->plan, b->images[0], b->images[1],
                             kvm_usable(&b->kvm), scratch, b->run, err);
}

/* SOURCE_DATE_EPOCH as the environment gave it, else the newest time in
 * the root tree's archive (the same for the same cache entry or rootfs
 * archive on any day), given to every child from here on through the
 * build's spawn context (the process's own environment is left alone):
 * mke2fs, mtools, the tree's own tools in run: lines, update-initramfs. */
static int
set_epoch(struct build *b, int64_t newest, struct ab_error *err)
{
    size_t n = 0;
    for (const char *const *e = b->opts->spawn.env; e && *e; e++)
        n++;
    free(b->run_env);
    if (!(b->run_env = calloc(n + 2, sizeof(char *))))
        return ab_oom(err);
    char msg[128];
    if (!b->epoch_given)
        b->epoch = newest > EPOCH_MAX ? EPOCH_MAX : newest;
    b->report.source_date_epoch = b->epoch;
    b->report.epoch_from_env = b->epoch_given;
    snprintf(msg, sizeof(msg), "SOURCE_DATE_EPOCH=%" PRId64 " (%s)", b->epoch,
             b->epoch_given ? "from the environment" : "the root tree's newest time");
    notice(b, msg);
    snprintf(b->epoch_env, sizeof(b->epoch_env), "%s=%" PRId64, EPOCH_ENV, b->epoch);
    for (size_t i = 0; i < n; i++)
        b->run_env[i] = b->opts->spawn.env[i];
    b->run_env[n] = b->epoch_env;
    b->run_ctx.env = b->run_env;
    return 0;
}

/* The root tree's cache key and its archive's SHA-256, for the
 * provenance: the cache's record of it, else read once now. */
static int
tree_identity(struct build *b, const char *tar, struct ab_error *err)
{
    const struct os_source *src = os_source_for(b->plan);
    if (src && cache_key(b->plan, src, b->tree_key, err) < 0)
        return -1;
    if (cache_entry_sha256(tar, b->tree_sha256))
        return 0;
    return digest_file(DIGEST_SHA256, tar, b->tree_sha256, err);
}

static void
registry_notice(void *ctx, const char *msg)
{
    notice(ctx, msg);
}

/* --cache-registry: the root tree's entry pulled into the local cache
 * when it lacks it. Off with --no-cache, and for a recipe whose tree has
 * no source to key it. */
static int
registry_root(struct build *b, struct ab_error *err)
{
    const struct os_source *src = os_source_for(b->plan);
    char key[CACHE_KEY_HEX];
    CLEANUP_FREE char *base = NULL, *scratch = NULL;
    if (!b->opts->cache_registry || b->opts->cache.disabled || !src)
        return 0;
    if (asprintf(&scratch, "%s/registry", b->work) < 0 || mkdir_p(scratch, 0700) < 0)
        return ab_build_error(err, errno, "cannot create '%s/registry'", b->work);
    if (cache_registry_open(&b->creg, b->opts->cache_registry, scratch, b->run, err) < 0)
        return -1;
    b->creg_on = true;
    b->creg.notice = registry_notice;
    b->creg.notice_ctx = b;
    if (!(base = cache_base(b)) || cache_key(b->plan, src, key, err) < 0 ||
        asprintf(&b->root_tar, "%s/roots/%s.tar", base, key) < 0)
        return ab_error_is_set(err) ? -1 : ab_oom(err);
    CLEANUP_FREE char *roots = NULL;
    if (asprintf(&roots, "%s/roots", base) < 0 || mkdir_p(roots, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s/roots'", base);
    cache_registry_pull_root(&b->creg, b->plan, key, b->root_tar);
    return 0;
}

/* After a build that succeeded: what the registry lacked, pushed. */
static void
registry_push_made(struct build *b)
{
    if (!b->creg_on)
        return;
    cache_registry_push_root(&b->creg, b->plan, b->tree_key, b->root_tar);
    cache_registry_push_disks(&b->creg, &b->disks);
}

static int
do_os(struct build *b, struct ab_error *err)
{
    CLEANUP_FREE char *tar = NULL, *scratch = NULL;
    bool hit = false;
    int64_t newest = 0;
    if (asprintf(&scratch, "%s/os", b->work) < 0 || mkdir_p(scratch, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s'", b->work);
    /* Another architecture's tree: its programs (mmdebstrap's maintainer
     * scripts, then every command of the configure stage) run under
     * qemu-user, and the log says so. */
    int how = binfmt_enable(b->plan->hardware.arch, err);
    if (how < 0)
        return -1;
    char cross[256];
    binfmt_describe(b->plan->hardware.arch, how, cross, sizeof(cross));
    if (cross[0])
        notice(b, cross);
    if (registry_root(b, err) < 0)
        return -1;
    if (cache_root_tree(b->plan, &b->opts->cache, b->opts->private_ns, scratch, &tar, &hit, b->run,
                        err) < 0)
        return -1;
    b->report.cache_hit = hit;
    if (hit)
        notice(b, "root tree: from the cache");
    if (tree_identity(b, tar, err) < 0)
        return -1;
    const char *what = b->plan->os.rootfs ? "rootfs" : "root tree";
    /* A cached tree is unpacked once and overlaid; without the cache, or
     * where the build cannot mount (no CAP_SYS_ADMIN, no overlayfs), it
     * is extracted into the scratch folder. */
    if (!b->opts->cache.disabled && b->opts->private_ns) {
        CLEANUP_FREE char *lower = NULL;
        if (cache_unpacked_tree(tar, what, &lower, err) < 0)
            return -1;
        struct ab_error why;
        ab_error_init(&why);
        if (tree_overlay(&b->mounts, lower, b->work, b->tree, &why) == 0) {
            b->overlay = true;
            notice(b, "root tree: the cache's unpacked tree under an overlay, nothing extracted");
            CLEANUP_STRV char **devices = NULL;
            if (tree_archive_newest(tar, what, &newest, &devices, err) < 0 ||
                tree_drop_devices(b->tree, devices, err) < 0)
                return -1;
            return set_epoch(b, newest, err);
        }
        char msg[512];
        snprintf(msg, sizeof(msg), "%s: extracting the tree instead",
                 why.n_diags ? why.diags[why.n_diags - 1].msg : "no overlay");
        ab_error_release(&why);
        notice(b, msg);
        rm_rf(b->work, b->tree);
    }
    if (mkdir(b->tree, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", b->tree, strerror(errno));
    if (tree_extract(tar, b->tree, what, &newest, err) < 0)
        return -1;
    return set_epoch(b, newest, err);
}

static void
export_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    struct build *b = ctx;
    const struct build_events *ev = b->opts->events;
    if (ev && ev->progress)
        ev->progress(ev->ctx, what, done, total);
}

static void
export_step(void *ctx, const char *what)
{
    struct build *b = ctx;
    const struct build_events *ev = b->opts->events;
    if (ev && ev->progress)
        ev->progress(ev->ctx, what, 0, 0);
}

/* The outputs made from the configured tree rather than the disks
 * (export_from_tree: the container templates), written into the output
 * from an overlay of the tree of their own, which configure_container()
 * makes a container's, unmounted before the split touches the tree below
 * it. Timed as a stage of its own in the report (inside configure's time). */
static int
do_tree_outputs(struct build *b, struct ab_error *err)
{
    CLEANUP_FREE char *dir = NULL, *root = NULL;
    struct tree_mounts mt = {0};
    double start = mono_now();
    if (!b->opts->private_ns)
        return ab_build_error(err, EPERM,
                              "the container output needs a private mount namespace "
                              "(an overlay of the tree): run the build as root");
    if (asprintf(&dir, "%s/ct", b->work) < 0 || asprintf(&root, "%s/ct/tree", b->work) < 0)
        return ab_oom(err);
    if (mkdir(dir, 0700) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", dir, strerror(errno));
    export_step(b, "container tree");
    int r = tree_overlay(&mt, b->tree, dir, root, err);
    if (r == 0)
        r = configure_container(b->plan, root, &b->packages, b->run, err);
    if (r == 0 && (r = packages_read(root, &b->ct_packages, b->run, err)) == 0)
        b->container = true;
    if (r == 0) {
        struct export_job job = {
            .plan = b->plan,
            .root = root,
            .dir = b->dir,
            .work = dir,
            .progress = export_progress,
            .progress_ctx = b,
            .step = export_step,
            .spawn = b->run,
            .epoch = b->epoch,
        };
        r = export_from_tree(&job, err);
    }
    tree_unmount(&mt);
    rm_rf(b->work, dir);
    report_stage(&b->report, "container", mono_now() - start);
    return r;
}

static int
do_configure(struct build *b, struct ab_error *err)
{
    const char *scratch = b->work;
    if (tree_kernel_version(b->tree, b->kver, sizeof(b->kver), err) < 0 ||
        configure_system(b->plan, b->tree, b->run, err) < 0 ||
        configure_grow(b->plan, b->tree, b->run, err) < 0 ||
        configure_cloud(b->plan, b->tree, err) < 0 ||
        configure_customize(b->plan, b->tree, b->run, err) < 0 ||
        configure_boot(b->plan, b->tree, b->kver, b->run, err) < 0 ||
        bootloader_images(b->plan, b->tree, scratch, b->run, err) < 0 ||
        configure_hygiene(b->plan, b->tree, err) < 0 ||
        configure_selinux(b->tree, b->run, err) < 0 ||
        packages_read(b->tree, &b->packages, b->run, err) < 0)
        return -1;
    b->report.packages = &b->packages;
    /* Before the split: the container takes the whole configured tree. */
    if (export_wants_tree(b->plan) && do_tree_outputs(b, err) < 0)
        return -1;
    CLEANUP_FREE char *fs = NULL;
    if (asprintf(&fs, "%s/fs", b->work) < 0)
        return ab_oom(err);
    if (b->overlay ? tree_views(&b->mounts, b->plan, b->tree, fs, b->fs_dirs, err) < 0
                   : tree_split(b->plan, b->tree, fs, b->fs_dirs, err) < 0)
        return -1;
    /* What the configuration wrote (and the mount points the split left)
     * gets the epoch, what it read an atime no later than its mtime:
     * mke2fs -d and tar copy both. */
    for (size_t i = 0; i < b->plan->n_mounts; i++)
        if (epoch_clamp_tree(b->fs_dirs[i], b->epoch, err) < 0)
            return -1;
    return 0;
}

/* A disk whose key an earlier build had is copied from the cache. */
static int
reuse_disks(struct build *b, struct ab_error *err)
{
    if (b->reuse_checked)
        return 0;
    b->reuse_checked = true;
    for (int d = 0; d < PLAN_N_DISKS; d++) {
        int got = diskcache_fetch_image(&b->disks, (enum plan_disk_id)d, b->images[d], err);
        char msg[256];
        if (got < 0)
            return -1;
        if (!b->disks.dir)
            continue;
        snprintf(msg, sizeof(msg),
                 got ? "%s disk: reused from the cache (key %.12s: the program, the root tree, "
                       "the plan and the files that land on it are unchanged)"
                     : "%s disk: built (key %.12s not in the cache)",
                 d == PLAN_DISK_OS ? "OS" : "application", b->disks.key[d]);
        notice(b, msg);
    }
    return 0;
}

/* Keeps the disks just built for the next build; a failure costs only
 * the reuse. */
static void
keep_disks(struct build *b)
{
    for (int d = 0; d < PLAN_N_DISKS; d++) {
        struct ab_error e = AB_ERROR_INIT;
        if (diskcache_store_image(&b->disks, (enum plan_disk_id)d, b->images[d], &e) < 0 &&
            e.n_diags) {
            char msg[512];
            snprintf(msg, sizeof(msg), "cache: %s", e.diags[0].msg);
            notice(b, msg);
        }
        ab_error_release(&e);
    }
}

/* Makes each xfs filesystem on the host (xfs_host.h). A folder that a
 * protofile cannot carry is the appliance's, which then starts: only the
 * appliance runs a virtual machine, so no qemu is started otherwise, not
 * even the KVM probe's. */
static int
do_xfs(struct build *b, struct ab_error *err)
{
    if (reuse_disks(b, err) < 0)
        return -1;
    for (size_t i = 0; i < b->plan->n_mounts; i++) {
        const struct plan_mount *m = &b->plan->mounts[i];
        struct xfs_proto p = XFS_PROTO_INIT;
        if (m->fs != FS_XFS || b->disks.hit[m->disk])
            continue;
        int r = xfs_host_proto(b->fs_dirs[i], &p, err);
        if (r == 0 && p.refuse && userns_inside())
            r = ab_build_error(err, ENOTSUP,
                               "xfs of '%s': mkfs.xfs -p cannot carry its %s, and the libguestfs "
                               "appliance that could does not start in a user namespace (supermin "
                               "sees the host's files as nobody's there): build as root",
                               m->path, p.refuse);
        else if (r == 0 && p.refuse) {
            char msg[1024];
            snprintf(msg, sizeof(msg),
                     "xfs of '%s': made in the libguestfs appliance: mkfs.xfs -p cannot "
                     "carry its %s",
                     m->path, p.refuse);
            notice(b, msg);
            b->in_appliance[i] = b->xfs = true;
        } else if (r == 0)
            r = xfs_host_make(b->plan, m, b->images[m->disk], &p, b->work, b->run, err);
        xfs_host_proto_release(&p);
        if (r < 0)
            return -1;
    }
    if (!b->xfs) {
        notice(b, "xfs made on the host (mkfs.xfs -p): no appliance started");
        return 0;
    }
    kvm_probe(&b->kvm, b->run);
    if (!kvm_usable(&b->kvm)) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s (%s): using software emulation, which is slower",
                 kvm_state_reason(b->kvm.state), b->kvm.detail);
        notice(b, msg);
    }
    return 0;
}

/* Starts the appliance and waits for it to see the volume groups; then
 * makes the xfs filesystems the host could not. */
static int
do_appliance(struct build *b, struct ab_error *err)
{
    if (start_appliance(b, err) < 0 || engine_proc_ready(&b->appliance, err) < 0)
        return -1;
    report_stage(&b->report, "appliance-launch", mono_now() - b->appliance_start);
    for (size_t i = 0; i < b->plan->n_mounts; i++) {
        const struct plan_mount *m = &b->plan->mounts[i];
        if (m->fs != FS_XFS || !b->in_appliance[i])
            continue;
        CLEANUP_FREE char *tar = NULL;
        if (asprintf(&tar, "%s/xfs-%zu.tar", b->work, i) < 0)
            return ab_oom(err);
        const char *argv[] = {"tar",    "--xattrs",    "--xattrs-include=*",
                              "--acls", "--selinux",   "--numeric-owner",
                              "-C",     b->fs_dirs[i], "-cf",
                              tar,      ".",           NULL};
        if (spawn_run(argv, &(const struct spawn_opts){.ctx = b->run}, err) < 0 ||
            engine_proc_xfs(&b->appliance, i, tar, err) < 0)
            return -1;
        unlink(tar);
    }
    return engine_proc_finish(&b->appliance, err);
}

/* The disks are whole: a raw output's digest is the one kept beside a
 * reused image, else made from now on, beside the exports (they read the
 * same bytes, which the page cache holds). */
static int
raw_digests(struct build *b, struct ab_error *err)
{
    if (!(b->plan->outputs & OUTPUT_RAW))
        return 0;
    for (int d = 0; d < PLAN_N_DISKS; d++) {
        char hex[HASH_HEX_MAX];
        int r = diskcache_known_digest(&b->disks, b->images[d], DIGEST_SHA256, hex) > 0
                    ? export_digests_set(b->digests, b->images[d], hex, err)
                    : export_digests_hash(b->digests, b->images[d], err);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int
do_filesystems(struct build *b, struct ab_error *err)
{
    CLEANUP_FREE char *efi = NULL;
    if (asprintf(&efi, "%s/efi-boot", b->work) < 0)
        return ab_oom(err);
    if (reuse_disks(b, err) < 0)
        return -1;
    for (size_t i = 0; i < b->plan->n_mounts; i++) {
        const struct plan_mount *m = &b->plan->mounts[i];
        if (m->fs == FS_XFS || b->disks.hit[m->disk])
            continue;
        if (hostfs_make(b->plan, m, b->images[m->disk], b->fs_dirs[i],
                        m->fs == FS_VFAT ? efi : NULL, b->epoch, b->run, err) < 0)
            return -1;
    }
    for (int d = 0; d < PLAN_N_DISKS; d++) {
        const struct plan_vg *vg = &b->plan->disks[d].vg;
        for (size_t i = 0; i < vg->n_lvs && !b->disks.hit[d]; i++)
            if (vg->lvs[i].fs == FS_SWAP && hostfs_swap(b->plan, (enum plan_disk_id)d, &vg->lvs[i],
                                                        b->images[d], b->work, b->run, err) < 0)
                return -1;
    }
    if ((b->plan->hardware.firmware & FIRMWARE_BIOS) && !b->disks.hit[PLAN_DISK_OS] &&
        bootloader_install_bios(b->plan, b->images[PLAN_DISK_OS], b->work, err) < 0)
        return -1;
    if (raw_digests(b, err) < 0)
        return -1;
    keep_disks(b);
    return 0;
}

/* The root tree and the per-filesystem folders are not needed once the
 * filesystems are written: tens of thousands of files, removed on another
 * thread while the exports compress (their cost is CPU, this one's I/O). */
static void *
sweep(void *arg)
{
    struct build *b = arg;
    CLEANUP_FREE char *fs = NULL, *upper = NULL;
    tree_unmount(&b->mounts);
    rm_rf(b->work, b->tree);
    if (asprintf(&fs, "%s/fs", b->work) >= 0)
        rm_rf(b->work, fs);
    if (asprintf(&upper, "%s/rw", b->work) >= 0)
        rm_rf(b->work, upper);
    return NULL;
}

static void *
probe_tools(void *arg)
{
    struct build *b = arg;
    report_probe_tools(&b->report, b->plan, b->run);
    return NULL;
}

static void
probe_tools_join(struct build *b)
{
    if (b->probing)
        pthread_join(b->prober, NULL);
    b->probing = false;
}

static int
do_export(struct build *b, struct ab_error *err)
{
    b->sweeping = pthread_create(&b->sweeper, NULL, sweep, b) == 0;
    b->probing = pthread_create(&b->prober, NULL, probe_tools, b) == 0;
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        struct stat st;
        if (stat(b->images[i], &st) < 0)
            return ab_build_error(err, errno, "cannot stat '%s': %s", b->images[i],
                                  strerror(errno));
        b->report.disk_size[i] = (uint64_t)st.st_size;
        b->report.disk_allocated[i] = (uint64_t)st.st_blocks * 512;
    }
    struct export_job job = {
        .plan = b->plan,
        .images = {b->images[0], b->images[1]},
        .dir = b->dir,
        .work = b->work,
        .progress = export_progress,
        .progress_ctx = b,
        .step = export_step,
        .reuse = b->disks.dir ? &b->reuse : NULL,
        .digests = b->digests,
        .spawn = b->run,
        .epoch = b->epoch,
    };
    if (export_all(&job, err) < 0)
        return -1;
    rm_rf(b->dir, b->raw_dir);
    return 0;
}

/* Keeps beside each cache entry this build copied the digest of its
 * copy: the exports by their paths, a raw output by its image's path
 * before the raw exporter moved it. */
static void
keep_digests(struct build *b)
{
    for (size_t i = 0; i < b->files.n; i++) {
        CLEANUP_FREE char *path = NULL;
        if (asprintf(&path, "%s/%s", b->dir, b->files.v[i].path) >= 0)
            diskcache_keep_digest(&b->disks, path, DIGEST_SHA256, b->files.v[i].sha256);
    }
    for (int d = 0; d < PLAN_N_DISKS && (b->plan->outputs & OUTPUT_RAW); d++) {
        CLEANUP_FREE char *name = delivery_disk_file(b->plan, (enum plan_disk_id)d, ".raw");
        for (size_t i = 0; name && i < b->files.n; i++)
            if (strcmp(b->files.v[i].path, name) == 0)
                diskcache_keep_digest(&b->disks, b->images[d], DIGEST_SHA256, b->files.v[i].sha256);
    }
}

/* Keeps the runs of zeros this build hashed for the next; a failure
 * costs only the time. */
static void
keep_zeros(struct build *b)
{
    struct sha256_zeros_stats st;
    sha256_zeros_stats(b->zeros, &st);
    if (st.looked_up || st.learnt) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "digests: %zu run(s) of zeros looked up (%.1f GiB not hashed), %zu hashed "
                 "(%.1f GiB)",
                 st.looked_up, (double)st.looked_up_bytes / (1 << 30), st.learnt,
                 (double)st.learnt_bytes / (1 << 30));
        notice(b, msg);
    }
    struct ab_error e = AB_ERROR_INIT;
    if (sha256_zeros_save(b->zeros, &e) < 0 && e.n_diags) {
        char msg[512];
        snprintf(msg, sizeof(msg), "cache: %s", e.diags[0].msg);
        notice(b, msg);
    }
    ab_error_release(&e);
}

/* The SBOMs, the provenance, SHA256SUMS and, with a key, their
 * signatures (attest.h). */
static int
attest(struct build *b, struct ab_error *err)
{
    struct sbom_files files = {NULL, 0};
    if (digest_file(DIGEST_SHA256, b->plan->recipe->path, b->report.recipe_sha256, err) < 0 ||
        sbom_recipe_files(b->plan, &files, err) < 0) {
        sbom_files_release(&files);
        return -1;
    }
    struct attest_job job = {
        .dir = b->dir,
        .packages = &b->packages,
        .ct_packages = b->container ? &b->ct_packages : NULL,
        .files = &files,
        .prov = {.plan = b->plan,
                 .build_type = PROVENANCE_BUILD_TYPE,
                 .builder_id = b->opts->builder_id,
                 .epoch = b->epoch,
                 .recipe_sha256 = b->report.recipe_sha256,
                 .packages = &b->packages,
                 .files = &files,
                 .tree_key = b->tree_key[0] ? b->tree_key : NULL,
                 .tree_sha256 = b->tree_sha256[0] ? b->tree_sha256 : NULL},
        .key = b->opts->key ? b->opts->key : b->key,
        .sums_unsigned = b->opts->staging != NULL,
    };
    int r = attest_write(&job, &b->files, err);
    sbom_files_release(&files);
    return r;
}

/* The SBOMs, the provenance, SHA256SUMS and the report. The digests were made as the files were
 * written, or kept by the cache beside reused copies, or are being made
 * on the workers since each file was whole: what is left is hashed now,
 * on every core. The report records this stage's time too, up to its own
 * writing. */
static int
do_finish(struct build *b, struct ab_error *err)
{
    b->finish_start = mono_now();
    b->report.kvm = b->xfs && kvm_usable(&b->kvm);
    snprintf(b->report.kernel, sizeof(b->report.kernel), "%s", b->kver);
    /* SHA256SUMS lists what ships, the same bytes from the same disks;
     * not the report, which holds this run's times. */
    if (export_files_collect(b->dir, &b->files, b->digests, err) < 0)
        return -1;
    keep_digests(b);
    keep_zeros(b);
    /* Each target's INSTALL file names the files above with their digests;
     * it ships too, so SHA256SUMS lists it. */
    if (delivery_write_install(b->plan, b->dir, &b->files, err) < 0 || attest(b, err) < 0)
        return -1;
    probe_tools_join(b);
    report_stage(&b->report, "finish", mono_now() - b->finish_start);
    b->report_written = true;
    if (b->creg_on) {
        b->report.registry = b->creg.ref_text;
        b->report.registry_root = cache_reg_state_name(b->creg.root);
        for (int d = 0; d < PLAN_N_DISKS; d++)
            b->report.registry_disk[d] = cache_reg_state_name(b->creg.disk[d]);
    }
    if (report_write(&b->report, b->plan, b->dir, &b->files, b->run, err) < 0)
        return -1;
    return b->opts->staging ? 0 : outdir_commit(&b->out, err);
}

/* ---- the pipeline ------------------------------------------------------- */

static void
build_release(struct build *b)
{
    /* First: its workers stop reading the images and the output. */
    export_digests_free(b->digests);
    engine_proc_kill(&b->appliance);
    if (b->sweeping)
        pthread_join(b->sweeper, NULL);
    probe_tools_join(b);
    tree_unmount(&b->mounts);
    if (b->work)
        rm_rf(b->work, b->work);
    outdir_release(&b->out);
    for (size_t i = 0; b->fs_dirs && i < b->plan->n_mounts; i++)
        free(b->fs_dirs[i]);
    free(b->fs_dirs);
    free(b->in_appliance);
    for (int i = 0; i < PLAN_N_DISKS; i++)
        free(b->images[i]);
    free(b->raw_dir);
    export_files_release(&b->files);
    sha256_zeros_free(b->zeros);
    diskcache_release(&b->disks);
    free(b->tree);
    free(b->work);
    report_release(&b->report);
    packages_release(&b->packages);
    packages_release(&b->ct_packages);
    sign_key_free(b->key);
    free(b->run_env);
    cache_registry_release(&b->creg);
    free(b->root_tar);
}

int
build_run(const struct plan *plan, const struct build_opts *opts, struct ab_error *err)
{
    struct build b = {.plan = plan,
                      .opts = opts,
                      .run = &b.run_ctx,
                      .run_ctx = opts->spawn,
                      .out = OUTDIR_INIT,
                      .appliance = ENGINE_PROC_INIT};
    int r = -1;

    report_init(&b.report);
    if (stage(&b, "preflight", "checking tools and folders", do_preflight, err) < 0 ||
        stage(&b, "os", "preparing the root tree", do_os, err) < 0 ||
        stage(&b, "disks", "partitioning the two disks", do_disks, err) < 0 ||
        stage(&b, "configure", "configuring the tree natively", do_configure, err) < 0 ||
        (plan_has_xfs(plan) && stage(&b, "xfs", "making xfs on the host", do_xfs, err) < 0) ||
        (b.xfs && stage(&b, "appliance", "making xfs in the appliance", do_appliance, err) < 0) ||
        stage(&b, "filesystems", "writing the filesystems and boot code", do_filesystems, err) <
            0 ||
        stage(&b, "export", "writing the outputs", do_export, err) < 0 ||
        stage(&b, "finish", "writing checksums and the report", do_finish, err) < 0)
        goto out;
    registry_push_made(&b);
    r = 0;
out:
    build_release(&b);
    return r;
}
