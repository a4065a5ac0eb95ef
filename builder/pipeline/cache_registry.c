/* cache_registry.c: the build caches shared through an OCI registry
 * (cache_registry.h). */
#include "cache_registry.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/distro.h"
#include "appliance/fsutil.h"
#include "appliance/hash.h"
#include "appliance/image_check.h"

#define ROOT_LAYER "root.tar"
#define IMAGE_LAYER "image.qcow2"
#define EXPORT_PREFIX "export."
#define POPULATED ".populated"
#define LAYOUT_TAG "cache"

static const char *const state_names[] = {
    [CACHE_REG_NONE] = "none",       [CACHE_REG_PULLED] = "pulled",
    [CACHE_REG_MISSING] = "missing", [CACHE_REG_REFUSED] = "refused",
    [CACHE_REG_PUSHED] = "pushed",   [CACHE_REG_PRESENT] = "present",
    [CACHE_REG_OFFLINE] = "unreachable",
};

const char *
cache_reg_state_name(enum cache_reg_state s)
{
    return (size_t)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

static void
say(const struct cache_registry *cr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(const struct cache_registry *cr, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (cr->notice)
        cr->notice(cr->notice_ctx, msg);
}

/* The first diagnostic of err, for a notice. */
static const char *
first(const struct ab_error *err)
{
    return err->n_diags ? err->diags[0].msg : "unknown error";
}

int
cache_registry_open(struct cache_registry *cr, const char *ref, const char *scratch,
                    const struct spawn_ctx *spawn, struct ab_error *err)
{
    memset(cr, 0, sizeof(*cr));
    cr->reg.spawn = spawn;
    if (!(cr->scratch = strdup(scratch)))
        return ab_oom(err);
    cr->reg.tmpdir = cr->scratch;
    if (oci_ref_parse(ref, true, &cr->ref, err) < 0)
        return -1;
    if (cr->ref.digest)
        return ab_error_set(err, AB_E_USAGE, 0, NULL,
                            "--cache-registry names a repository, not a digest: '%s'", ref);
    if (!(cr->ref_text = strdup(ref)))
        return ab_oom(err);
    return 0;
}

void
cache_registry_release(struct cache_registry *cr)
{
    if (!cr)
        return;
    oci_ref_release(&cr->ref);
    free(cr->ref_text);
    free(cr->scratch);
    memset(cr, 0, sizeof(*cr));
}

int
cache_registry_check(const struct oci_manifest *m, const char *kind, const char *key,
                     const char *what, struct ab_error *err)
{
    const struct oci_annotation *a = m->annotations;
    size_t n = m->n_annotations;
    const char *k = oci_annotation_get(a, n, CACHE_ANN_KIND);
    const char *v = oci_annotation_get(a, n, CACHE_ANN_KEY);
    if (!m->artifact_type || strcmp(m->artifact_type, CACHE_REGISTRY_TYPE) != 0)
        return ab_build_error(err, 0, "%s is not a cache entry (artifact type '%.128s')", what,
                              m->artifact_type ? m->artifact_type : "none");
    if (!k || strcmp(k, kind) != 0 || !v || strcmp(v, key) != 0)
        return ab_build_error(err, 0, "%s is the entry of another %s or key", what, kind);
    if (!oci_manifest_layer(m, strcmp(kind, "root") == 0 ? ROOT_LAYER : IMAGE_LAYER))
        return ab_build_error(err, 0, "%s has no %s layer", what,
                              strcmp(kind, "root") == 0 ? ROOT_LAYER : IMAGE_LAYER);
    return 0;
}

/* The entry's tag in REF's repository: KIND-KEY. */
static char *
entry_ref(const struct cache_registry *cr, const char *kind, const char *key)
{
    char tag[128];
    snprintf(tag, sizeof(tag), "%s-%.64s", kind, key);
    return oci_ref_with_tag(&cr->ref, tag);
}

/* Looks the entry up: 1 with m and digest when it is there and judged
 * sound, 0 when it is not there, refused, or the registry is off
 * (*state says which). */
static int
lookup(struct cache_registry *cr, const char *kind, const char *key, struct oci_manifest *m,
       char digest[OCI_DIGEST_LEN], enum cache_reg_state *state)
{
    CLEANUP_FREE char *ref = entry_ref(cr, kind, key), *text = NULL;
    size_t len = 0;
    struct ab_error err = AB_ERROR_INIT;
    memset(m, 0, sizeof(*m));
    if (cr->offline || !ref) {
        *state = CACHE_REG_OFFLINE;
        return 0;
    }
    int got = registry_get_manifest(&cr->reg, ref, &text, &len, digest, &err);
    if (got < 0) {
        cr->offline = true;
        *state = CACHE_REG_OFFLINE;
        say(cr, "cache registry '%s' cannot be reached, building locally: %s", cr->ref_text,
            first(&err));
    } else if (got == 0) {
        *state = CACHE_REG_MISSING;
    } else if (oci_manifest_parse(text, len, ref, m, &err) < 0 ||
               cache_registry_check(m, kind, key, ref, &err) < 0) {
        *state = CACHE_REG_REFUSED;
        say(cr, "cache registry: entry refused, building it: %s", first(&err));
        got = 0;
    }
    ab_error_release(&err);
    return got > 0;
}

/* Copies the entry pinned at digest into layout, checks every layer's
 * size and digest; 0, or -1 with a notice (the entry then refused). */
static int
pull_checked(struct cache_registry *cr, const char *digest, const struct oci_manifest *m,
             const char *layout)
{
    CLEANUP_FREE char *pinned = oci_ref_with_digest(&cr->ref, digest);
    struct ab_error err = AB_ERROR_INIT;
    uint64_t largest = 0;
    for (size_t i = 0; i < m->n_layers; i++)
        largest = m->layers[i].size > largest ? m->layers[i].size : largest;
    int r = pinned ? registry_pull(&cr->reg, pinned, layout, LAYOUT_TAG, largest, &err) : -1;
    for (size_t i = 0; r == 0 && i < m->n_layers; i++) {
        CLEANUP_FREE char *blob = oci_layout_blob_path(layout, m->layers[i].digest);
        char hex[HASH_HEX_MAX];
        struct stat st;
        if (!blob || lstat(blob, &st) < 0 || !S_ISREG(st.st_mode) ||
            (uint64_t)st.st_size != m->layers[i].size)
            r = ab_build_error(&err, 0, "layer '%s' is missing or of the wrong size",
                               oci_descriptor_title(&m->layers[i]));
        else if (digest_file(DIGEST_SHA256, blob, hex, &err) < 0)
            r = -1;
        else if (strcmp(hex, m->layers[i].digest + 7) != 0)
            r = ab_build_error(&err, 0, "layer '%s' has digest sha256:%s, not %s",
                               oci_descriptor_title(&m->layers[i]), hex, m->layers[i].digest);
    }
    if (r < 0)
        say(cr, "cache registry: entry %s refused, building it: %s", digest, first(&err));
    ab_error_release(&err);
    return r;
}

/* A layout folder beside dest (same file system: the blobs are renamed). */
static char *
layout_beside(const char *dir)
{
    char *s = NULL;
    return asprintf(&s, "%s/.registry-%ld", dir, (long)getpid()) < 0 ? NULL : s;
}

static int
write_text(const char *path, const char *text)
{
    struct ab_error err = AB_ERROR_INIT;
    int r = write_atomic_data(path, 0644, text, strlen(text), &err);
    ab_error_release(&err);
    return r;
}

/* ---- the root tree --------------------------------------------------- */

void
cache_registry_pull_root(struct cache_registry *cr, const struct plan *plan, const char *key,
                         const char *tar)
{
    struct oci_manifest m;
    char digest[OCI_DIGEST_LEN];
    (void)plan;
    int found = lookup(cr, "root", key, &m, digest, &cr->root);
    if (found && access(tar, R_OK) == 0)
        cr->root = CACHE_REG_PRESENT;
    if (!found || cr->root == CACHE_REG_PRESENT) {
        oci_manifest_release(&m);
        return;
    }
    CLEANUP_FREE char *dir = strdup(tar), *layout = NULL, *sum = NULL, *part = NULL;
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *slash = '\0';
    if (!slash || !(layout = layout_beside(dir)) ||
        asprintf(&sum, "%.*s.sum", (int)(strlen(tar) - 4), tar) < 0 ||
        asprintf(&part, "%s.part", tar) < 0) {
        oci_manifest_release(&m);
        return;
    }
    const struct oci_descriptor *d = oci_manifest_layer(&m, ROOT_LAYER);
    if (pull_checked(cr, digest, &m, layout) == 0) {
        CLEANUP_FREE char *blob = oci_layout_blob_path(layout, d->digest);
        char line[128];
        snprintf(line, sizeof(line), "%s %" PRIu64 "\n", d->digest + 7, d->size);
        if (blob && rename(blob, part) == 0 && rename(part, tar) == 0 && write_text(sum, line) == 0) {
            cr->root = CACHE_REG_PULLED;
            say(cr, "root tree: pulled from the cache registry (key %.12s)", key);
        } else {
            unlink(part);
            cr->root = CACHE_REG_REFUSED;
        }
    } else {
        cr->root = CACHE_REG_REFUSED;
    }
    rm_rf(dir, layout);
    oci_manifest_release(&m);
}

/* Pushes the entry whose layers are files[i] titled titles[i]. */
static int
push_entry(struct cache_registry *cr, const char *kind, const char *key, const char *const *files,
           const char *const *titles, size_t n, const char *const *ann, struct ab_error *err)
{
    struct oci_manifest m;
    memset(&m, 0, sizeof(m));
    CLEANUP_FREE char *layout = NULL, *source = NULL, *ref = entry_ref(cr, kind, key);
    int r = -1;
    if (!ref || asprintf(&layout, "%s/%s-%.12s", cr->reg.tmpdir, kind, key) < 0 ||
        asprintf(&source, "oci:%s:%s", layout, LAYOUT_TAG) < 0) {
        ab_oom(err);
        goto out;
    }
    if (oci_manifest_set_artifact(&m, CACHE_REGISTRY_TYPE, err) < 0 ||
        oci_manifest_annotate(&m, CACHE_ANN_KIND, kind, err) < 0 ||
        oci_manifest_annotate(&m, CACHE_ANN_KEY, key, err) < 0 || oci_layout_init(layout, err) < 0)
        goto out;
    for (size_t i = 0; ann && ann[i]; i += 2)
        if (oci_manifest_annotate(&m, ann[i], ann[i + 1], err) < 0)
            goto out;
    for (size_t i = 0; i < n; i++) {
        char hex[HASH_HEX_MAX];
        struct stat st;
        struct oci_descriptor *d = oci_manifest_add_layer(&m, err);
        if (!d || stat(files[i], &st) < 0 || digest_file(DIGEST_SHA256, files[i], hex, err) < 0 ||
            oci_descriptor_set(d, "application/octet-stream", hex, (uint64_t)st.st_size, err) < 0 ||
            oci_descriptor_annotate(d, OCI_TITLE, titles[i], err) < 0 ||
            oci_layout_link_blob(layout, files[i], d->digest, err) < 0) {
            if (!ab_error_is_set(err))
                ab_build_error(err, errno, "cannot read '%s': %s", files[i], strerror(errno));
            goto out;
        }
    }
    char digest[OCI_DIGEST_LEN];
    if (oci_layout_put_manifest(layout, &m, LAYOUT_TAG, digest, NULL, err) < 0 ||
        registry_push(&cr->reg, source, ref, NULL, err) < 0)
        goto out;
    r = 0;
out:
    if (layout)
        rm_rf(cr->reg.tmpdir, layout);
    oci_manifest_release(&m);
    return r;
}

static bool
wants_push(const struct cache_registry *cr, enum cache_reg_state s)
{
    return !cr->offline && (s == CACHE_REG_MISSING || s == CACHE_REG_REFUSED);
}

void
cache_registry_push_root(struct cache_registry *cr, const struct plan *plan, const char *key,
                         const char *tar)
{
    if (!wants_push(cr, cr->root) || access(tar, R_OK) < 0)
        return;
    struct ab_error err = AB_ERROR_INIT;
    const char *files[] = {tar}, *titles[] = {ROOT_LAYER};
    const char *ann[] = {CACHE_ANN_DISTRO, distro_to_string(plan->os.distro), NULL};
    if (push_entry(cr, "root", key, files, titles, 1, ann, &err) == 0) {
        cr->root = CACHE_REG_PUSHED;
        say(cr, "root tree: pushed to the cache registry (key %.12s)", key);
    } else {
        say(cr, "cache registry: the root tree was not pushed: %s", first(&err));
    }
    ab_error_release(&err);
}

/* ---- the disks -------------------------------------------------------- */

/* image.qcow2 of the layout, checked, as a raw image at entry. */
static int
install_image(struct cache_registry *cr, const char *blob, const char *entry, struct ab_error *err)
{
    struct image_info info;
    CLEANUP_FREE char *tmp = NULL;
    if (image_check(blob, IMAGE_LAYER, &info, cr->reg.spawn, err) < 0)
        return -1;
    if (strcmp(info.format, "qcow2") != 0)
        return ab_build_error(err, 0, "%s is '%s', not qcow2", IMAGE_LAYER, info.format);
    if (asprintf(&tmp, "%s.tmp-%ld", entry, (long)getpid()) < 0)
        return ab_oom(err);
    if (spawn_cmd(cr->reg.spawn, err, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", blob, tmp,
                  (char *)NULL) < 0 ||
        rename(tmp, entry) < 0) {
        unlink(tmp);
        return ab_error_is_set(err) ? -1
                                    : ab_build_error(err, errno, "cannot store '%s'", entry);
    }
    return 0;
}

/* Each export.TAG layer as the entry of disk and TAG, with its notes. */
static void
install_exports(struct diskcache *dc, enum plan_disk_id disk, const struct oci_manifest *m,
                const char *layout)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *t = oci_descriptor_title(&m->layers[i]);
        size_t n = strlen(t), p = strlen(POPULATED);
        if (strncmp(t, EXPORT_PREFIX, strlen(EXPORT_PREFIX)) != 0 ||
            (n > p && strcmp(t + n - p, POPULATED) == 0))
            continue;
        const char *tag = t + strlen(EXPORT_PREFIX);
        CLEANUP_FREE char *entry = diskcache_entry(dc, disk, tag), *sha = NULL, *pop = NULL,
                          *pop_title = NULL;
        CLEANUP_FREE char *blob = oci_layout_blob_path(layout, m->layers[i].digest);
        if (!entry || !blob || asprintf(&sha, "%s.sha256", entry) < 0 ||
            asprintf(&pop_title, "%s%s", t, POPULATED) < 0 || rename(blob, entry) < 0)
            continue;
        char line[80];
        snprintf(line, sizeof(line), "%s\n", m->layers[i].digest + 7);
        write_text(sha, line);
        const struct oci_descriptor *pd = oci_manifest_layer(m, pop_title);
        CLEANUP_FREE char *pblob = pd ? oci_layout_blob_path(layout, pd->digest) : NULL;
        if (pblob && asprintf(&pop, "%s.populated", entry) >= 0 && pd->size < 32)
            rename(pblob, pop);
    }
}

static void
pull_disk(struct cache_registry *cr, struct diskcache *dc, enum plan_disk_id disk)
{
    struct oci_manifest m;
    char digest[OCI_DIGEST_LEN];
    CLEANUP_FREE char *entry = diskcache_entry(dc, disk, NULL), *layout = layout_beside(dc->dir);
    int found = entry && layout ? lookup(cr, "disk", dc->key[disk], &m, digest, &cr->disk[disk])
                                : (memset(&m, 0, sizeof(m)), 0);
    if (found && access(entry, R_OK) == 0)
        cr->disk[disk] = CACHE_REG_PRESENT;
    if (!found || cr->disk[disk] == CACHE_REG_PRESENT) {
        oci_manifest_release(&m);
        return;
    }
    struct ab_error err = AB_ERROR_INIT;
    const char *name = disk == PLAN_DISK_OS ? "OS" : "application";
    cr->disk[disk] = CACHE_REG_REFUSED;
    if (pull_checked(cr, digest, &m, layout) == 0) {
        CLEANUP_FREE char *blob =
            oci_layout_blob_path(layout, oci_manifest_layer(&m, IMAGE_LAYER)->digest);
        const char *salt = oci_annotation_get(m.annotations, m.n_annotations, CACHE_ANN_SALT);
        if (blob && install_image(cr, blob, entry, &err) == 0) {
            cr->disk[disk] = CACHE_REG_PULLED;
            if (salt && strcmp(salt, dc->export_salt) == 0)
                install_exports(dc, disk, &m, layout);
            say(cr, "%s disk: pulled from the cache registry (key %.12s)", name, dc->key[disk]);
        } else {
            say(cr, "cache registry: %s disk's entry refused, building it: %s", name, first(&err));
        }
    }
    rm_rf(dc->dir, layout);
    ab_error_release(&err);
    oci_manifest_release(&m);
}

void
cache_registry_pull_disks(struct cache_registry *cr, struct diskcache *dc)
{
    if (!dc->dir)
        return;
    for (int d = 0; d < PLAN_N_DISKS; d++)
        pull_disk(cr, dc, (enum plan_disk_id)d);
}

/* The layers of disk's entry: its image as qcow2 (made in scratch), and
 * each export this build fetched or stored for it, with its count. */
static void
push_disk(struct cache_registry *cr, struct diskcache *dc, enum plan_disk_id disk)
{
    enum { MAX_FILES = 64 };
    const char *files[MAX_FILES], *titles[MAX_FILES];
    char *owned[2 * MAX_FILES];
    size_t n = 0, n_owned = 0;
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *entry = diskcache_entry(dc, disk, NULL), *qcow2 = NULL;
    const char *name = disk == PLAN_DISK_OS ? "OS" : "application";
    if (!entry || asprintf(&qcow2, "%s/disk-%.12s.qcow2", cr->reg.tmpdir, dc->key[disk]) < 0)
        return;
    if (access(entry, R_OK) < 0) {
        say(cr, "cache registry: the %s disk was not pushed: the local cache no longer holds it",
            name);
        return;
    }
    if (spawn_cmd(cr->reg.spawn, &err, "qemu-img", "convert", "-f", "raw", "-O", "qcow2", entry,
                  qcow2, (char *)NULL) < 0)
        goto out;
    files[n] = qcow2;
    titles[n++] = IMAGE_LAYER;
    for (size_t i = 0; i < dc->n_copies && n + 2 <= MAX_FILES; i++) {
        const struct diskcache_copy *c = &dc->copies[i];
        char *title = NULL, *pop = NULL;
        if (c->disk != disk || !c->tag || access(c->entry, R_OK) < 0 ||
            asprintf(&title, "%s%s", EXPORT_PREFIX, c->tag) < 0)
            continue;
        owned[n_owned++] = title;
        if (!oci_title_ok(title))
            continue;
        files[n] = c->entry;
        titles[n++] = title;
        if (asprintf(&pop, "%s.populated", c->entry) >= 0 && access(pop, R_OK) == 0) {
            char *pt = NULL;
            if (asprintf(&pt, "%s%s", title, POPULATED) >= 0) {
                owned[n_owned++] = pt;
                owned[n_owned++] = pop;
                files[n] = pop;
                titles[n++] = pt;
                continue;
            }
        }
        free(pop);
    }
    const char *ann[] = {CACHE_ANN_SALT, dc->export_salt, NULL};
    if (push_entry(cr, "disk", dc->key[disk], files, titles, n, ann, &err) == 0) {
        cr->disk[disk] = CACHE_REG_PUSHED;
        say(cr, "%s disk: pushed to the cache registry (key %.12s)", name, dc->key[disk]);
    }
out:
    if (ab_error_is_set(&err))
        say(cr, "cache registry: the %s disk was not pushed: %s", name, first(&err));
    unlink(qcow2);
    for (size_t i = 0; i < n_owned; i++)
        free(owned[i]);
    ab_error_release(&err);
}

void
cache_registry_push_disks(struct cache_registry *cr, struct diskcache *dc)
{
    if (!dc->dir)
        return;
    for (int d = 0; d < PLAN_N_DISKS; d++)
        if (wants_push(cr, cr->disk[d]))
            push_disk(cr, dc, (enum plan_disk_id)d);
}
