/* cache.c: root trees cached by a content hash of what shapes them. */
#include "appliance/cache.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/enums.h"
#include "appliance/epoch.h"
#include "appliance/fsutil.h"
#include "appliance/hash.h"
#include "appliance/tree.h"

char *
cache_default_dir(void)
{
    const char *env = getenv("APPLIANCE_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char *dir = NULL;
    int r;

    if (env && *env)
        r = asprintf(&dir, "%s", env);
    else if (geteuid() == 0)
        r = asprintf(&dir, "/var/cache/appliance");
    else if (xdg && *xdg)
        r = asprintf(&dir, "%s/appliance", xdg);
    else
        r = asprintf(&dir, "%s/.cache/appliance", home ? home : "/tmp");
    return r < 0 ? NULL : dir;
}

int
cache_key(const struct plan *plan, const struct os_source *src, char key[CACHE_KEY_HEX],
          struct ab_error *err)
{
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    if (!d)
        return ab_oom(err);
    digest_str(d, "appliance-root-tree-1");
    digest_str(d, src->name);
    digest_str(d, arch_to_string(plan->hardware.arch));
    if (src->key(plan, d, err) < 0)
        return -1;
    digest_hex(d, key);
    return 0;
}

/* 1 when tar and its sum file agree in size and digest, 0 when they do
 * not (or one is missing): the entry is to be made anew. -1 when tar
 * cannot be read to the end (an I/O error): an entry that may well be
 * good is not thrown away for it. */
static int
entry_check(const char *tar, const char *sum, bool size_only, struct ab_error *err)
{
    CLEANUP_FCLOSE FILE *f = fopen(sum, "r");
    char want[HASH_HEX_MAX], got[HASH_HEX_MAX];
    uint64_t size = 0;
    struct stat st;

    if (!f || fscanf(f, "%128s %" SCNu64, want, &size) != 2)
        return 0;
    if (stat(tar, &st) < 0 || (uint64_t)st.st_size != size)
        return 0;
    if (size_only)
        return 1;
    if (digest_file(DIGEST_SHA256, tar, got, err) < 0) {
        ab_error_prefix(err, "root-tree cache");
        return -1;
    }
    return strcmp(want, got) == 0;
}

static int
write_sum(const char *tar, const char *sum, struct ab_error *err)
{
    char hex[HASH_HEX_MAX];
    struct stat st;
    CLEANUP_FREE char *tmp = NULL;

    if (digest_file(DIGEST_SHA256, tar, hex, err) < 0 || stat(tar, &st) < 0)
        return -1;
    if (asprintf(&tmp, "%s.part", sum) < 0)
        return ab_oom(err);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return ab_build_error(err, errno, "cannot write '%s': %s", tmp, strerror(errno));
    fprintf(f, "%s %" PRIu64 "\n", hex, (uint64_t)st.st_size);
    if (fflush(f) != 0 || fsync(fileno(f)) < 0 || fclose(f) != 0 || rename(tmp, sum) < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", sum, strerror(errno));
    return 0;
}

/* roots/KEY.tar -> roots/KEY.distro: the release the entry's tree is of
 * ("debian-12"), for the warnings that judge a recipe by its release's
 * own lists (cache_distro_trees). */
static void
write_distro_mark(const struct plan *plan, const char *tar)
{
    CLEANUP_FREE char *mark = NULL;
    struct stat st;
    const char *name = distro_to_string(plan->os.distro);
    size_t n = strlen(tar);
    if (asprintf(&mark, "%.*s.distro", (int)(n - 4), tar) < 0 || stat(mark, &st) == 0)
        return;
    /* A hint, not a build input: a cache the build cannot write to (it
     * only reads it) is no reason to fail. */
    struct ab_error ignored = AB_ERROR_INIT;
    CLEANUP_FREE char *line = NULL;
    if (asprintf(&line, "%s\n", name) >= 0)
        write_atomic_data(mark, 0644, line, strlen(line), &ignored);
    ab_error_release(&ignored);
}

/* Fetches into path.part, then moves it into place and records its sum. */
static int
fetch_entry(const struct plan *plan, const struct os_source *src, const char *tar, const char *sum,
            const char *scratch, const struct spawn_ctx *ctx, struct ab_error *err)
{
    CLEANUP_FREE char *part = NULL;
    if (asprintf(&part, "%s.part-%ld", tar, (long)getpid()) < 0)
        return ab_oom(err);
    unlink(sum);
    if (src->fetch(plan, part, scratch, ctx, err) < 0) {
        unlink(part);
        return -1;
    }
    if (rename(part, tar) < 0) {
        unlink(part);
        return ab_build_error(err, errno, "cannot store '%s': %s", tar, strerror(errno));
    }
    return write_sum(tar, sum, err);
}

/* roots/KEY.tar -> roots/KEY.tree */
static int
unpacked_path(const char *tar, char **tree, struct ab_error *err)
{
    size_t n = strlen(tar);
    if (n < 4 || strcmp(tar + n - 4, ".tar") != 0)
        return ab_build_error(err, 0, "'%s' is not a cache entry", tar);
    if (asprintf(tree, "%.*s.tree", (int)(n - 4), tar) < 0)
        return ab_oom(err);
    return 0;
}

int
cache_unpacked_tree(const char *tar, const char *what, char **dir, struct ab_error *err)
{
    CLEANUP_FREE char *part = NULL, *roots = NULL;
    struct stat st;
    if (unpacked_path(tar, dir, err) < 0)
        return -1;
    /* Its owners land in the image as they are: a tree unpacked by
     * another user (root's, seen from a user's namespace as nobody; a
     * user's, seen by root as the user's subordinate ids) is not this
     * build's to use. */
    if (stat(*dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid != geteuid())
        return ab_build_error(err, EPERM,
                              "root-tree cache: '%s' was unpacked by another user (its owner is "
                              "uid %u here, not %u): give the build a cache of its own "
                              "(--cache-dir)",
                              *dir, (unsigned)st.st_uid, (unsigned)geteuid());
    if (stat(*dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    const char *slash = strrchr(tar, '/');
    if (!slash || asprintf(&roots, "%.*s", (int)(slash - tar), tar) < 0 ||
        asprintf(&part, "%s.part-%ld", *dir, (long)getpid()) < 0)
        return ab_oom(err);
    rm_rf(roots, part);
    if (mkdir(part, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", part, strerror(errno));
    /* libarchive gives each file the time of extraction as its atime (a
     * tar has none): atime := mtime, so that a build's clamp to its epoch
     * (epoch.h) has nothing to change, and copies up nothing, in a tree
     * whose files are all older than the epoch. */
    if (tree_extract(tar, part, what, NULL, err) < 0 || epoch_clamp_tree(part, EPOCH_MAX, err) < 0) {
        rm_rf(roots, part);
        return -1;
    }
    /* Another build may have unpacked the same entry meanwhile: its tree
     * is as good as this one. */
    if (rename(part, *dir) < 0) {
        int e = errno;
        rm_rf(roots, part);
        if (e != EEXIST && e != ENOTEMPTY)
            return ab_build_error(err, e, "cannot store '%s': %s", *dir, strerror(e));
    }
    return 0;
}

int
cache_root_tree(const struct plan *plan, const struct cache_opts *opts, bool for_overlay,
                const char *scratch, char **tar_path, bool *hit, const struct spawn_ctx *ctx,
                struct ab_error *err)
{
    const struct os_source *src = os_source_for(plan);
    char key[CACHE_KEY_HEX];
    CLEANUP_FREE char *dir = NULL, *sum = NULL;

    *hit = false;
    if (!src)
        return ab_build_error(err, 0, "no OS source can build this recipe's tree");
    if (opts->disabled) {
        if (asprintf(tar_path, "%s/root.tar", scratch) < 0)
            return ab_oom(err);
        return src->fetch(plan, *tar_path, scratch, ctx, err);
    }
    if (cache_key(plan, src, key, err) < 0)
        return -1;
    dir = opts->dir ? strdup(opts->dir) : cache_default_dir();
    if (!dir || asprintf(tar_path, "%s/roots/%s.tar", dir, key) < 0 ||
        asprintf(&sum, "%s/roots/%s.sum", dir, key) < 0)
        return ab_oom(err);
    CLEANUP_FREE char *roots = NULL;
    if (asprintf(&roots, "%s/roots", dir) < 0 || mkdir_p(roots, 0755) < 0)
        return ab_build_error(err, errno, "cannot create cache folder '%s/roots': %s", dir,
                              strerror(errno));
    /* A tree unpacked from the archive once its digest was checked is what
     * an overlay build uses: the archive is then only read for its
     * headers, and its digest (1-2 s for a Debian tree) is not computed
     * again; an archive to extract is checked whole. */
    CLEANUP_FREE char *unpacked = NULL;
    struct stat ust;
    if (unpacked_path(*tar_path, &unpacked, err) < 0)
        return -1;
    bool size_only = for_overlay && stat(unpacked, &ust) == 0 && S_ISDIR(ust.st_mode);
    int valid = entry_check(*tar_path, sum, size_only, err);
    if (valid < 0)
        return -1;
    if (valid) {
        *hit = true;
        write_distro_mark(plan, *tar_path); /* entries made before marks were */
        return 0;
    }
    unlink(*tar_path);
    CLEANUP_FREE char *tree = NULL;
    if (unpacked_path(*tar_path, &tree, err) < 0)
        return -1;
    if (rm_rf(roots, tree) < 0)
        return ab_build_error(err, errno, "cannot remove the stale '%s': %s", tree,
                              strerror(errno));
    if (fetch_entry(plan, src, *tar_path, sum, scratch, ctx, err) < 0)
        return -1;
    write_distro_mark(plan, *tar_path);
    return 0;
}

/* Appends path to the NULL-terminated *list (of *n); -1 when out of memory. */
static int
list_add(char ***list, size_t *n, char *path)
{
    char **grown = path ? realloc(*list, (*n + 2) * sizeof(**list)) : NULL;
    if (!grown) {
        free(path);
        return -1;
    }
    grown[(*n)++] = path;
    grown[*n] = NULL;
    *list = grown;
    return 0;
}

static bool
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether the mark at path names exactly the release name. */
static bool
mark_names(const char *path, const char *name)
{
    CLEANUP_FCLOSE FILE *f = fopen(path, "re");
    char line[64];
    if (!f || !fgets(line, sizeof(line), f))
        return false;
    line[strcspn(line, "\n")] = '\0';
    return strcmp(line, name) == 0;
}

/* The trees of roots whose mark names the release name, but own, in
 * name order, appended to *list. */
static int
add_release_trees(const char *roots, const char *name, const char *own, char ***list, size_t *n)
{
    struct dirent **entries = NULL;
    int count = scandir(roots, &entries, NULL, alphasort);
    int rc = 0;
    for (int i = 0; i < count; i++) {
        const char *e = entries[i]->d_name;
        size_t len = strlen(e);
        CLEANUP_FREE char *mark = NULL, *tree = NULL;
        if (rc == 0 && len > 7 && strcmp(e + len - 7, ".distro") == 0 &&
            asprintf(&mark, "%s/%s", roots, e) >= 0 &&
            asprintf(&tree, "%s/%.*s.tree", roots, (int)(len - 7), e) >= 0 &&
            (!own || strcmp(tree, own) != 0) && is_dir(tree) && mark_names(mark, name)) {
            rc = list_add(list, n, tree);
            tree = NULL;
        }
        free(entries[i]);
    }
    free(entries);
    return rc;
}

char **
cache_distro_trees(const struct plan *plan, const char *dir)
{
    char **list = calloc(1, sizeof(*list));
    size_t n = 0;
    const struct os_source *src = os_source_for(plan);
    if (!list || plan->os.distro == DISTRO_NONE || !src)
        return list;
    CLEANUP_FREE char *base = dir ? strdup(dir) : cache_default_dir();
    CLEANUP_FREE char *roots = NULL, *own = NULL;
    char key[CACHE_KEY_HEX];
    struct ab_error ignored = AB_ERROR_INIT;
    if (!base || asprintf(&roots, "%s/roots", base) < 0)
        goto oom;
    /* The key of a tree fetched from local repositories reads their
     * index: one that is not there means no tree of the recipe's own. */
    if (cache_key(plan, src, key, &ignored) == 0) {
        if (asprintf(&own, "%s/%s.tree", roots, key) < 0)
            goto oom;
        if (is_dir(own) && list_add(&list, &n, strdup(own)) < 0)
            goto oom;
    }
    ab_error_release(&ignored);
    if (add_release_trees(roots, distro_to_string(plan->os.distro), own, &list, &n) < 0)
        goto oom;
    return list;
oom:
    ab_error_release(&ignored);
    ab_strv_free(list);
    return NULL;
}

int
cache_entry_sha256(const char *tar_path, char hex[HASH_HEX_MAX])
{
    size_t n = strlen(tar_path);
    CLEANUP_FREE char *sum = NULL;
    if (n < 4 || strcmp(tar_path + n - 4, ".tar") != 0 ||
        asprintf(&sum, "%.*s.sum", (int)(n - 4), tar_path) < 0)
        return 0;
    CLEANUP_FCLOSE FILE *f = fopen(sum, "re");
    uint64_t size = 0;
    struct stat st;
    if (!f || fscanf(f, "%128s %" SCNu64, hex, &size) != 2 || strlen(hex) != 64 ||
        stat(tar_path, &st) < 0 || (uint64_t)st.st_size != size) {
        hex[0] = '\0';
        return 0;
    }
    return 1;
}
