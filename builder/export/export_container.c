/* export_container.c: the container tree as NAME-VERSION-container.tar (an OCI
 * image layout in a tar) and NAME-VERSION-ct.tar.zst (export_container.h).
 *
 * One walk of the tree writes, with libarchive, the layer three ways at
 * once: as a plain tar only hashed (its digest is the config's diff_id),
 * gzip'd with no time in its header (the blob, named by its digest), and
 * as the zstd'd template (names "./..."): members in byte order of their names, no user or group
 * names, mtimes clamped to SOURCE_DATE_EPOCH and no other time, xattrs in
 * name order, a file's later hard links as links to its first name.
 * The OCI documents are json-c's plain text, members in a fixed order;
 * beside index.json, Docker's manifest.json names the same config and
 * layer, so `docker load` before Docker 25 (which reads only that) takes
 * the archive too;
 * the archive around them is a ustar of fixed owners, modes and times. */
#include "appliance/export_container.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <locale.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/hash.h"
#include "exporter.h"

#define MT_LAYER "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_INDEX "application/vnd.oci.image.index.v1+json"

/* ---- the documents ------------------------------------------------------ */

static char *
json_text(struct json_object *o)
{
    char *s = NULL;
    if (o)
        s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

static void
put_str(struct json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value));
}

static void
sanitise(char *s, const char *keep, bool lower)
{
    for (; *s; s++) {
        if (lower)
            *s = (char)tolower((unsigned char)*s);
        if (!isalnum((unsigned char)*s) && !strchr(keep, *s))
            *s = '-';
    }
}

char *
container_ref(const struct plan *plan)
{
    CLEANUP_FREE char *name = strdup(plan->name), *tag = strndup(plan->version, 128);
    char *ref;
    if (!name || !tag)
        return NULL;
    sanitise(name, "._-", true);
    sanitise(tag, "._-", false);
    /* A tag starts with a letter, a digit or '_'. */
    if (tag[0] == '.' || tag[0] == '-')
        tag[0] = '_';
    return asprintf(&ref, "%s:%s", name, *tag ? tag : "latest") < 0 ? NULL : ref;
}

void
container_time(int64_t epoch, char out[32])
{
    time_t t = (time_t)epoch;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

static struct json_object *
image_config(const struct plan *plan)
{
    struct json_object *c = json_object_new_object(), *env = json_object_new_array(),
                       *cmd = json_object_new_array(), *vols = json_object_new_object(),
                       *labels = json_object_new_object();
    json_object_array_add(env, json_object_new_string("PATH=/usr/local/sbin:/usr/local/bin:"
                                                      "/usr/sbin:/usr/bin:/sbin:/bin"));
    json_object_array_add(env, json_object_new_string("container=oci"));
    json_object_array_add(cmd, json_object_new_string("/sbin/init"));
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (plan->mounts[i].disk == PLAN_DISK_APP)
            json_object_object_add(vols, plan->mounts[i].path, json_object_new_object());
    put_str(labels, "org.opencontainers.image.title", plan->name);
    put_str(labels, "org.opencontainers.image.version", plan->version);
    if (*plan->vendor)
        put_str(labels, "org.opencontainers.image.vendor", plan->vendor);
    if (*plan->description)
        put_str(labels, "org.opencontainers.image.description", plan->description);
    json_object_object_add(c, "Env", env);
    json_object_object_add(c, "Cmd", cmd);
    json_object_object_add(c, "Volumes", vols);
    json_object_object_add(c, "Labels", labels);
    put_str(c, "StopSignal", "SIGRTMIN+3"); /* systemd's way to halt */
    return c;
}

char *
container_config_json(const struct plan *plan, int64_t epoch, const char *diff_id)
{
    char created[32];
    container_time(epoch, created);
    struct json_object *o = json_object_new_object(), *rootfs = json_object_new_object(),
                       *ids = json_object_new_array(), *history = json_object_new_array(),
                       *h = json_object_new_object();
    put_str(o, "created", created);
    put_str(o, "architecture", arch_row(plan->hardware.arch)->oci);
    put_str(o, "os", "linux");
    json_object_object_add(o, "config", image_config(plan));
    put_str(rootfs, "type", "layers");
    json_object_array_add(ids, json_object_new_string(diff_id));
    json_object_object_add(rootfs, "diff_ids", ids);
    json_object_object_add(o, "rootfs", rootfs);
    put_str(h, "created", created);
    put_str(h, "created_by", "appliance build (output container)");
    json_object_array_add(history, h);
    json_object_object_add(o, "history", history);
    return json_text(o);
}

static struct json_object *
descriptor(const char *media_type, const char *digest, uint64_t size)
{
    struct json_object *d = json_object_new_object();
    put_str(d, "mediaType", media_type);
    put_str(d, "digest", digest);
    json_object_object_add(d, "size", json_object_new_int64((int64_t)size));
    return d;
}

char *
container_manifest_json(const struct plan *plan, int64_t epoch, const char *config_digest,
                        uint64_t config_size, const char *layer_digest, uint64_t layer_size)
{
    char created[32];
    container_time(epoch, created);
    struct json_object *o = json_object_new_object(), *layers = json_object_new_array(),
                       *ann = json_object_new_object();
    json_object_object_add(o, "schemaVersion", json_object_new_int(2));
    put_str(o, "mediaType", MT_MANIFEST);
    json_object_object_add(o, "config", descriptor(MT_CONFIG, config_digest, config_size));
    json_object_array_add(layers, descriptor(MT_LAYER, layer_digest, layer_size));
    json_object_object_add(o, "layers", layers);
    put_str(ann, "org.opencontainers.image.created", created);
    put_str(ann, "org.opencontainers.image.title", plan->name);
    put_str(ann, "org.opencontainers.image.version", plan->version);
    json_object_object_add(o, "annotations", ann);
    return json_text(o);
}

char *
container_index_json(const struct plan *plan, const char *manifest_digest, uint64_t manifest_size)
{
    CLEANUP_FREE char *ref = container_ref(plan);
    if (!ref)
        return NULL;
    struct json_object *o = json_object_new_object(), *list = json_object_new_array(),
                       *m = descriptor(MT_MANIFEST, manifest_digest, manifest_size),
                       *ann = json_object_new_object();
    put_str(ann, "org.opencontainers.image.ref.name", ref);
    json_object_object_add(m, "annotations", ann);
    json_object_array_add(list, m);
    json_object_object_add(o, "schemaVersion", json_object_new_int(2));
    put_str(o, "mediaType", MT_INDEX);
    json_object_object_add(o, "manifests", list);
    return json_text(o);
}

char *
container_docker_manifest_json(const struct plan *plan, const char *config_hex,
                               const char *layer_hex)
{
    CLEANUP_FREE char *ref = container_ref(plan), *cfg = NULL, *layer = NULL;
    if (!ref || asprintf(&cfg, "blobs/sha256/%s", config_hex) < 0 ||
        asprintf(&layer, "blobs/sha256/%s", layer_hex) < 0)
        return NULL;
    struct json_object *list = json_object_new_array(), *m = json_object_new_object(),
                       *tags = json_object_new_array(), *layers = json_object_new_array();
    put_str(m, "Config", cfg);
    json_object_array_add(tags, json_object_new_string(ref));
    json_object_object_add(m, "RepoTags", tags);
    json_object_array_add(layers, json_object_new_string(layer));
    json_object_object_add(m, "Layers", layers);
    json_object_array_add(list, m);
    return json_text(list);
}

/* ---- the tree's walk ---------------------------------------------------- */

/* An archive's bytes go through a digest, and to a file unless fd < 0. */
struct sink {
    int fd;
    struct digest_ctx *digest;
    uint64_t size;
};

static la_ssize_t
sink_write(struct archive *a, void *ctx, const void *buf, size_t len)
{
    struct sink *s = ctx;
    const char *p = buf;
    for (size_t done = 0; s->fd >= 0 && done < len;) {
        ssize_t n = write(s->fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            archive_set_error(a, errno, "%s", strerror(errno));
            return -1;
        }
        done += (size_t)n;
    }
    digest_update(s->digest, buf, len);
    s->size += len;
    return (la_ssize_t)len;
}

/* A file already written under another name: its inode, and that name. */
struct link {
    dev_t dev;
    ino_t ino;
    char *path;
};

static int
link_cmp(const void *a, const void *b)
{
    const struct link *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void
link_free(void *p)
{
    struct link *l = p;
    free(l->path);
    free(l);
}

/* The layer uncompressed (hashed only: its diff_id), the layer gzip'd
 * (the blob) and the template. */
enum { OUT_TAR, OUT_LAYER, OUT_CT, N_OUT };
enum filter { FILTER_NONE, FILTER_GZIP, FILTER_ZSTD };

struct walk {
    struct archive *out[N_OUT];
    int64_t epoch;
    void *links; /* tsearch tree of struct link */
    char buf[1 << 16];
    struct ab_error *err;
};

static const char *const out_prefix[N_OUT] = {"", "", "./"};

static int
archive_fail(struct walk *w, int i, const char *path)
{
    return ab_build_error(w->err, archive_errno(w->out[i]), "while writing '%s' of the %s: %s",
                          path, i != OUT_CT ? "container layer" : "container template",
                          archive_error_string(w->out[i]));
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int
not_dots(const struct dirent *d)
{
    return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int
xattr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The file's extended attributes, in name order. */
static int
add_xattrs(struct walk *w, struct archive_entry *e, int fd, const char *path)
{
    ssize_t len = flistxattr(fd, NULL, 0);
    if (len <= 0)
        return 0;
    CLEANUP_FREE char *names = malloc((size_t)len);
    CLEANUP_FREE const char **v = calloc((size_t)len, sizeof(char *));
    if (!names || !v)
        return ab_oom(w->err);
    if ((len = flistxattr(fd, names, (size_t)len)) < 0)
        return ab_build_error(w->err, errno, "cannot list the attributes of '%s': %s", path,
                              strerror(errno));
    size_t n = 0;
    for (char *p = names; p < names + len; p += strlen(p) + 1)
        v[n++] = p;
    qsort(v, n, sizeof(*v), xattr_cmp);
    for (size_t i = 0; i < n; i++) {
        ssize_t vlen = fgetxattr(fd, v[i], NULL, 0);
        CLEANUP_FREE char *value = vlen >= 0 ? malloc((size_t)vlen + 1) : NULL;
        if (vlen < 0 || !value || (vlen = fgetxattr(fd, v[i], value, (size_t)vlen)) < 0)
            return ab_build_error(w->err, errno, "cannot read attribute '%s' of '%s': %s", v[i],
                                  path, strerror(errno));
        archive_entry_xattr_add_entry(e, v[i], value, (size_t)vlen);
    }
    return 0;
}

/* 1 when st is a later name of a file written before (e is then its hard
 * link), 0 when it is the first (remembered), -1 on error. */
static int
hard_link(struct walk *w, struct archive_entry *e, const struct stat *st, const char *path)
{
    if (!S_ISREG(st->st_mode) || st->st_nlink < 2)
        return 0;
    struct link key = {st->st_dev, st->st_ino, NULL};
    struct link **found = tfind(&key, &w->links, link_cmp);
    if (found) {
        archive_entry_set_hardlink(e, (*found)->path);
        archive_entry_set_size(e, 0);
        return 1;
    }
    struct link *l = malloc(sizeof(*l));
    if (l)
        *l = (struct link){st->st_dev, st->st_ino, strdup(path)};
    if (!l || !l->path || !tsearch(l, &w->links, link_cmp)) {
        if (l)
            free(l->path);
        free(l);
        return ab_oom(w->err);
    }
    return 0;
}

/* Writes e (its path relative to the tree, without a prefix) to both
 * archives, then fd's data when it is a regular file's first name. */
static int
put_entry(struct walk *w, struct archive_entry *e, const char *rel, int fd, bool data)
{
    CLEANUP_FREE char *link = archive_entry_hardlink(e) ? strdup(archive_entry_hardlink(e)) : NULL;
    for (int i = 0; i < N_OUT; i++) {
        CLEANUP_FREE char *name = NULL, *target = NULL;
        if (!*rel && i != OUT_CT)
            continue; /* a layer names no root folder; the template has "./" */
        if (asprintf(&name, "%s%s", out_prefix[i], rel) < 0 ||
            (link && asprintf(&target, "%s%s", out_prefix[i], link) < 0))
            return ab_oom(w->err);
        archive_entry_set_pathname(e, name);
        if (link)
            archive_entry_set_hardlink(e, target);
        if (archive_write_header(w->out[i], e) != ARCHIVE_OK)
            return archive_fail(w, i, rel);
    }
    if (!data)
        return 0;
    for (;;) {
        ssize_t n = read(fd, w->buf, sizeof(w->buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ab_build_error(w->err, errno, "cannot read '%s': %s", rel, strerror(errno));
        if (n == 0)
            return 0;
        for (int i = 0; i < N_OUT; i++)
            if (archive_write_data(w->out[i], w->buf, (size_t)n) != n)
                return archive_fail(w, i, rel);
    }
}

static int walk_dir(struct walk *w, int dirfd, const char *rel);

/* One entry of the tree: name in folder dirfd, rel its path ("" for the
 * root, which is dirfd itself). */
static int
walk_entry(struct walk *w, int dirfd, const char *name, const char *rel)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return ab_build_error(w->err, errno, "cannot stat '%s': %s", rel, strerror(errno));
    if (S_ISSOCK(st.st_mode))
        return 0; /* made by a running program; tar carries none */
    struct archive_entry *e = archive_entry_new();
    CLEANUP_CLOSE int fd = -1;
    int r = -1;
    if (!e)
        return ab_oom(w->err);
    archive_entry_copy_stat(e, &st);
    archive_entry_unset_atime(e);
    archive_entry_unset_ctime(e);
    archive_entry_unset_birthtime(e);
    archive_entry_set_mtime(e, st.st_mtime < w->epoch ? st.st_mtime : w->epoch, 0);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        if (n < 0) {
            ab_build_error(w->err, errno, "cannot read link '%s': %s", rel, strerror(errno));
            goto out;
        }
        target[n] = '\0';
        archive_entry_set_symlink(e, target);
    } else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
        fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            ab_build_error(w->err, errno, "cannot open '%s': %s", rel, strerror(errno));
            goto out;
        }
        if (add_xattrs(w, e, fd, rel) < 0)
            goto out;
    }
    int later = hard_link(w, e, &st, rel);
    if (later < 0 || put_entry(w, e, rel, fd, S_ISREG(st.st_mode) && !later) < 0)
        goto out;
    r = S_ISDIR(st.st_mode) ? walk_dir(w, fd, rel) : 0;
out:
    archive_entry_free(e);
    return r;
}

static int
walk_dir(struct walk *w, int dirfd, const char *rel)
{
    struct dirent **list = NULL;
    int n = scandirat(dirfd, ".", &list, not_dots, by_name);
    int r = 0;
    if (n < 0)
        return ab_build_error(w->err, errno, "cannot read folder '%s': %s", *rel ? rel : "/",
                              strerror(errno));
    for (int i = 0; i < n; i++) {
        CLEANUP_FREE char *child = NULL;
        if (r == 0 && asprintf(&child, "%s%s%s", rel, *rel ? "/" : "", list[i]->d_name) < 0)
            r = ab_oom(w->err);
        if (r == 0)
            r = walk_entry(w, dirfd, list[i]->d_name, child);
        free(list[i]);
    }
    free(list);
    return r;
}

/* ---- the files ---------------------------------------------------------- */

static int
open_tar(struct archive **a, enum filter filter, struct walk *w)
{
    *a = archive_write_new();
    if (!*a)
        return ab_oom(w->err);
    /* pax only where ustar cannot say it (long names, xattrs); no
     * per-file times but the mtime; no time in the gzip header. */
    if (archive_write_set_format_pax_restricted(*a) != ARCHIVE_OK ||
        (filter == FILTER_ZSTD && archive_write_add_filter_zstd(*a) != ARCHIVE_OK) ||
        (filter == FILTER_GZIP &&
         (archive_write_add_filter_gzip(*a) != ARCHIVE_OK ||
          archive_write_set_filter_option(*a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
          archive_write_set_filter_option(*a, "gzip", "compression-level", "1") != ARCHIVE_OK)) ||
        archive_write_set_bytes_in_last_block(*a, 1) != ARCHIVE_OK)
        return ab_build_error(w->err, archive_errno(*a), "cannot set up a tar writer: %s",
                              archive_error_string(*a));
    return 0;
}

/* What write_trees tells of the layer. */
struct layer_info {
    char diff_hex[HASH_HEX_MAX]; /* uncompressed */
    char blob_hex[HASH_HEX_MAX]; /* gzip'd */
    uint64_t size;               /* gzip'd */
};

/* The gzip'd layer at layer and the template at ct. */
static int
write_trees_utf8(const char *root, int64_t epoch, const char *layer, const char *ct,
                 struct layer_info *info, struct ab_error *err)
{
    struct walk w = {.epoch = epoch, .err = err};
    CLEANUP_DIGEST struct digest_ctx *d_tar = digest_new(DIGEST_SHA256);
    CLEANUP_DIGEST struct digest_ctx *d_gz = digest_new(DIGEST_SHA256);
    CLEANUP_CLOSE int fd = open(layer, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CLEANUP_CLOSE int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct sink s_tar = {-1, d_tar, 0}, s_gz = {fd, d_gz, 0};
    int r = -1;
    if (!d_tar || !d_gz)
        return ab_oom(err);
    if (fd < 0 || rootfd < 0)
        return ab_build_error(err, errno, "cannot open '%s': %s", fd < 0 ? layer : root,
                              strerror(errno));
    if (open_tar(&w.out[OUT_TAR], FILTER_NONE, &w) < 0 ||
        open_tar(&w.out[OUT_LAYER], FILTER_GZIP, &w) < 0 ||
        open_tar(&w.out[OUT_CT], FILTER_ZSTD, &w) < 0)
        goto out;
    if (archive_write_open2(w.out[OUT_TAR], &s_tar, NULL, sink_write, NULL, NULL) != ARCHIVE_OK ||
        archive_write_open2(w.out[OUT_LAYER], &s_gz, NULL, sink_write, NULL, NULL) != ARCHIVE_OK ||
        archive_write_open_filename(w.out[OUT_CT], ct) != ARCHIVE_OK) {
        archive_fail(&w, archive_errno(w.out[OUT_LAYER]) ? OUT_LAYER : OUT_CT, "/");
        goto out;
    }
    if (walk_entry(&w, rootfd, ".", "") < 0)
        goto out;
    for (int i = 0; i < N_OUT; i++)
        if (archive_write_close(w.out[i]) != ARCHIVE_OK) {
            archive_fail(&w, i, "the end");
            goto out;
        }
    if (close(fd) < 0) {
        fd = -1;
        ab_build_error(err, errno, "cannot write '%s': %s", layer, strerror(errno));
        goto out;
    }
    fd = -1;
    digest_hex(d_tar, info->diff_hex);
    digest_hex(d_gz, info->blob_hex);
    info->size = s_gz.size;
    r = 0;
out:
    for (int i = 0; i < N_OUT; i++)
        archive_write_free(w.out[i]);
    tdestroy(w.links, link_free);
    return r;
}

/* pax names are UTF-8: this thread works in C.UTF-8 meanwhile, so the
 * tree's names (UTF-8 already) are written as they are, whatever the
 * program's locale. */
static int
write_trees(const char *root, int64_t epoch, const char *layer, const char *ct,
            struct layer_info *info, struct ab_error *err)
{
    locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (!utf8)
        return ab_build_error(err, errno, "cannot use the locale C.UTF-8: %s", strerror(errno));
    locale_t old = uselocale(utf8);
    int r = write_trees_utf8(root, epoch, layer, ct, info, err);
    uselocale(old);
    freelocale(utf8);
    return r;
}

int
oci_archive_member(struct archive *a, const char *name, int64_t epoch, int id, mode_t perm,
                   const char *text, const char *path, struct ab_error *err)
{
    struct archive_entry *e = archive_entry_new();
    CLEANUP_CLOSE int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    struct stat st = {0};
    int r = -1;
    if (!e)
        return ab_oom(err);
    if (path && (fd < 0 || fstat(fd, &st) < 0)) {
        ab_build_error(err, errno, "cannot open '%s': %s", path, strerror(errno));
        goto out;
    }
    archive_entry_set_pathname(e, name);
    archive_entry_set_mtime(e, epoch, 0);
    archive_entry_set_uid(e, id);
    archive_entry_set_gid(e, id);
    archive_entry_set_filetype(e, text || path ? AE_IFREG : AE_IFDIR);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, text ? (la_int64_t)strlen(text) : path ? st.st_size : 0);
    if (archive_write_header(a, e) != ARCHIVE_OK)
        goto fail;
    if (text && archive_write_data(a, text, strlen(text)) != (la_ssize_t)strlen(text))
        goto fail;
    for (char buf[1 << 16]; path;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (archive_write_data(a, buf, (size_t)n) != n)
            goto fail;
    }
    r = 0;
    goto out;
fail:
    ab_build_error(err, archive_errno(a), "while writing '%s' of an OCI archive: %s", name,
                   archive_error_string(a));
out:
    archive_entry_free(e);
    return r;
}

struct blob {
    char name[HASH_HEX_MAX + 16]; /* blobs/sha256/HEX */
    const char *text;
    const char *path;
};

static int
blob_cmp(const void *a, const void *b)
{
    return strcmp(((const struct blob *)a)->name, ((const struct blob *)b)->name);
}

static void
text_digest(const char *text, char hex[HASH_HEX_MAX])
{
    struct digest_ctx *d = digest_new(DIGEST_SHA256);
    if (d)
        digest_update(d, text, strlen(text));
    if (d)
        digest_hex(d, hex);
    else
        snprintf(hex, HASH_HEX_MAX, "0");
    digest_free(d);
}

/* The OCI image layout around the layer, as a ustar at path. */
static int
write_oci(const struct plan *plan, int64_t epoch, const char *layer, const struct layer_info *info,
          const char *path, struct ab_error *err)
{
    char diff_id[HASH_HEX_MAX + 8], cfg_hex[HASH_HEX_MAX], man_hex[HASH_HEX_MAX];
    char cfg_id[HASH_HEX_MAX + 8], man_id[HASH_HEX_MAX + 8], layer_id[HASH_HEX_MAX + 8];
    snprintf(diff_id, sizeof(diff_id), "sha256:%s", info->diff_hex);
    snprintf(layer_id, sizeof(layer_id), "sha256:%s", info->blob_hex);
    CLEANUP_FREE char *config = container_config_json(plan, epoch, diff_id);
    if (!config)
        return ab_oom(err);
    text_digest(config, cfg_hex);
    snprintf(cfg_id, sizeof(cfg_id), "sha256:%s", cfg_hex);
    CLEANUP_FREE char *manifest =
        container_manifest_json(plan, epoch, cfg_id, strlen(config), layer_id, info->size);
    if (!manifest)
        return ab_oom(err);
    text_digest(manifest, man_hex);
    snprintf(man_id, sizeof(man_id), "sha256:%s", man_hex);
    CLEANUP_FREE char *index = container_index_json(plan, man_id, strlen(manifest));
    CLEANUP_FREE char *docker = container_docker_manifest_json(plan, cfg_hex, info->blob_hex);
    if (!index || !docker)
        return ab_oom(err);
    struct blob blobs[3] = {{"", config, NULL}, {"", manifest, NULL}, {"", NULL, layer}};
    snprintf(blobs[0].name, sizeof(blobs[0].name), "blobs/sha256/%s", cfg_hex);
    snprintf(blobs[1].name, sizeof(blobs[1].name), "blobs/sha256/%s", man_hex);
    snprintf(blobs[2].name, sizeof(blobs[2].name), "blobs/sha256/%s", info->blob_hex);
    qsort(blobs, 3, sizeof(blobs[0]), blob_cmp);

    struct archive *a = archive_write_new();
    int r = -1;
    if (!a)
        return ab_oom(err);
    if (archive_write_set_format_ustar(a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open_filename(a, path) != ARCHIVE_OK) {
        ab_build_error(err, archive_errno(a), "cannot write '%s': %s", path,
                       archive_error_string(a));
        goto out;
    }
    if (oci_archive_member(a, "blobs/", epoch, 0, 0755, NULL, NULL, err) < 0 ||
        oci_archive_member(a, "blobs/sha256/", epoch, 0, 0755, NULL, NULL, err) < 0)
        goto out;
    for (int i = 0; i < 3; i++)
        if (oci_archive_member(a, blobs[i].name, epoch, 0, 0644, blobs[i].text, blobs[i].path, err) < 0)
            goto out;
    if (oci_archive_member(a, "index.json", epoch, 0, 0644, index, NULL, err) < 0 ||
        oci_archive_member(a, "manifest.json", epoch, 0, 0644, docker, NULL, err) < 0 ||
        oci_archive_member(a, "oci-layout", epoch, 0, 0644, "{\"imageLayoutVersion\":\"1.0.0\"}", NULL, err) < 0)
        goto out;
    if (archive_write_close(a) != ARCHIVE_OK) {
        ab_build_error(err, archive_errno(a), "cannot write '%s': %s", path,
                       archive_error_string(a));
        goto out;
    }
    r = 0;
out:
    archive_write_free(a);
    return r;
}

static int
rename_into_place(const char *tmp, const char *path, struct ab_error *err)
{
    if (rename(tmp, path) < 0)
        return ab_build_error(err, errno, "cannot rename '%s': %s", tmp, strerror(errno));
    return 0;
}

int
export_container(const struct plan *plan, const char *root, int64_t epoch, const char *dir,
                 const char *work, struct ab_error *err)
{
    CLEANUP_FREE char *layer = NULL, *oci = NULL, *oci_tmp = NULL, *ct = NULL, *ct_tmp = NULL;
    struct layer_info info = {{0}, {0}, 0};
    if (asprintf(&layer, "%s/container-layer.tar.gz", work) < 0 ||
        !(oci = delivery_path(plan, dir, "-container.tar")) ||
        asprintf(&oci_tmp, "%s.tmp", oci) < 0 || !(ct = delivery_path(plan, dir, "-ct.tar.zst")) ||
        asprintf(&ct_tmp, "%s.tmp", ct) < 0)
        return ab_oom(err);
    int r = write_trees(root, epoch, layer, ct_tmp, &info, err);
    if (r == 0)
        r = write_oci(plan, epoch, layer, &info, oci_tmp, err);
    unlink(layer);
    if (r == 0)
        r = rename_into_place(oci_tmp, oci, err);
    if (r == 0)
        r = rename_into_place(ct_tmp, ct, err);
    if (r < 0) {
        unlink(oci_tmp);
        unlink(ct_tmp);
        unlink(oci);
    }
    return r;
}

static int
container_from_tree(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    export_step(job, "container templates");
    return export_container(job->plan, job->root, job->epoch, job->dir, job->work, err);
}

const struct exporter exporter_container = {"container", OUTPUT_CONTAINER, NULL, NULL,
                                            container_from_tree};
