/* publish.c: an output folder as one OCI artifact, pushed and pulled
 * (publish.h). */
#include "appliance/publish.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/fsutil.h"
#include "appliance/hash.h"
#include "appliance/manifest.h"
#include "appliance/outdir.h"
#include "appliance/report.h"

#define SUMS_MAX_BYTES (16u << 20)
#define PULL_TAG "pulled"
#define PUSH_TAG "push"

/* Media types by the end of a file's name: the IANA ones, else those of
 * freedesktop.org's shared-mime-info (what file managers and browsers
 * call these files), else the project's own. First match wins. */
static const struct {
    const char *suffix;
    const char *type;
} media_types[] = {
    {".containerdisk.tar", "application/vnd.oci.image.layout.v1.tar"},
    {".spdx.json", "application/spdx+json"},
    {".cdx.json", "application/vnd.cyclonedx+json"},
    {".intoto.jsonl", "application/vnd.dsse.envelope.v1+json"},
    {".provenance.json", "application/vnd.in-toto+json"},
    {PUBLISH_REPORT, PUBLISH_REPORT_TYPE},
    {DELIVERY_SUMS_SIG, "application/octet-stream"},
    {DELIVERY_SUMS, "text/plain"},
    {".ova", "application/x-virtualbox-ova"},
    {".ovf", "application/x-virtualbox-ovf"},
    {".mf", "text/plain"},
    {".vmdk", "application/x-vmdk-disk"},
    {".qcow2", "application/x-qemu-disk"},
    {".vhdx", "application/x-virtualbox-vhdx"},
    {".vhd", "application/x-virtualbox-vhd"},
    {".vdi", "application/x-virtualbox-vdi"},
    {".raw", "application/x-raw-disk-image"},
    {".tar.gz", "application/gzip"},
    {".tar.zst", "application/zstd"},
    {".tar", "application/x-tar"},
    {".xml", "application/xml"},
    {".yaml", "application/yaml"},
    {".json", "application/json"},
    {".md", "text/markdown"},
    {".ps1", "text/plain"},
};

const char *
publish_media_type(const char *name)
{
    size_t n = strlen(name);
    if (delivery_arch_doc_of(name, DELIVERY_REPORT, ".json")) /* build-report-ARCH.json too */
        return PUBLISH_REPORT_TYPE;
    for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++) {
        size_t s = strlen(media_types[i].suffix);
        if (n >= s && strcmp(name + n - s, media_types[i].suffix) == 0)
            return media_types[i].type;
    }
    return "application/octet-stream";
}

void
publish_result_release(struct publish_result *r)
{
    if (!r)
        return;
    free(r->ref);
    free(r->containerdisk[0]);
    free(r->containerdisk[1]);
    memset(r, 0, sizeof(*r));
}

/* Reads at most max bytes of path into *text (NUL-terminated). */
static int
read_small(const char *path, size_t max, char **text, size_t *len, struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return ab_error_set(err, errno == ENOENT ? AB_E_NOFILE : AB_E_BUILD, errno, NULL,
                            "cannot read '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max)
        return ab_build_error(err, 0, "'%s' is not a file of at most %zu bytes", path, max);
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return ab_oom(err);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0) {
            free(buf);
            return ab_build_error(err, errno, "cannot read '%s': %s", path,
                                  n < 0 ? strerror(errno) : "it shrank");
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return 0;
}

/* ---- push ----------------------------------------------------------------- */

/* One file of dir as a layer of m, linked into layout. hex: its SHA-256
 * when known (SHA256SUMS), else "" and it is hashed. */
static int
add_file(struct oci_manifest *m, const char *layout, const char *dir, const char *rel,
         const char *hex, struct publish_result *res, struct ab_error *err)
{
    char path[PATH_MAX], own[HASH_HEX_MAX];
    struct stat st;
    if (!oci_title_ok(rel))
        return ab_build_error(err, 0, "'%s' in '%s' is not a name an artifact can carry", rel,
                              dir);
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (lstat(path, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ab_build_error(err, 0, "'%s' is not a regular file", path);
    if (!*hex) {
        if (digest_file(DIGEST_SHA256, path, own, err) < 0)
            return -1;
        hex = own;
    }
    struct oci_descriptor *d = oci_manifest_add_layer(m, err);
    if (!d || oci_descriptor_set(d, publish_media_type(rel), hex, (uint64_t)st.st_size, err) < 0 ||
        oci_descriptor_annotate(d, OCI_TITLE, rel, err) < 0 ||
        oci_layout_link_blob(layout, path, d->digest, err) < 0)
        return -1;
    res->n_files++;
    res->bytes += (uint64_t)st.st_size;
    return 0;
}

/* Pushes a containerDisk archive of the folder as REF's repository, tag
 * TAG-DISK; its pinned reference into *pinned. */
static int
push_containerdisk(const struct registry *reg, const struct oci_ref *r, const char *archive,
                   const char *disk, char **pinned, struct ab_error *err)
{
    CLEANUP_FREE char *tag = NULL, *ref = NULL, *src = NULL;
    char digest[OCI_DIGEST_LEN];
    if (asprintf(&tag, "%.120s-%s", r->tag ? r->tag : "latest", disk) < 0 ||
        !(ref = oci_ref_with_tag(r, tag)) || asprintf(&src, "oci-archive:%s", archive) < 0)
        return ab_oom(err);
    if (!oci_tag_ok(tag))
        return ab_build_error(err, 0, "tag '%s' is not valid", tag);
    /* skopeo reads the archive itself. */
    if (registry_push(reg, src, ref, digest, err) < 0)
        return -1;
    if (!(*pinned = oci_ref_with_digest(r, digest)))
        return ab_oom(err);
    return 0;
}

/* Every entry of SHA256SUMS, then SHA256SUMS, its signature, the reports. */
static int
add_files(struct oci_manifest *m, const char *layout, const char *dir,
          const struct manifest *sums, struct publish_result *res, struct ab_error *err)
{
    for (size_t i = 0; i < sums->n; i++)
        if (add_file(m, layout, dir, sums->entries[i].name, sums->entries[i].hex, res, err) < 0)
            return -1;
    if (add_file(m, layout, dir, DELIVERY_SUMS, "", res, err) < 0)
        return -1;
    char sig[PATH_MAX];
    snprintf(sig, sizeof(sig), "%s/%s", dir, DELIVERY_SUMS_SIG);
    if (access(sig, F_OK) == 0 && add_file(m, layout, dir, DELIVERY_SUMS_SIG, "", res, err) < 0)
        return -1;
    char *reports[ARCH_N] = {NULL};
    size_t n = report_names(dir, reports);
    int r = 0;
    for (size_t i = 0; i < n; i++)
        if (r == 0)
            r = reports[i] ? add_file(m, layout, dir, reports[i], "", res, err) : ab_oom(err);
    for (size_t i = 0; i < n; i++)
        free(reports[i]);
    return r;
}

/* The recipe's name and version, from the (first) report. */
static int
annotate(struct oci_manifest *m, const char *dir, struct ab_error *err)
{
    char path[PATH_MAX];
    char *reports[ARCH_N] = {NULL};
    size_t n = report_names(dir, reports);
    snprintf(path, sizeof(path), "%s/%s", dir, reports[0] ? reports[0] : PUBLISH_REPORT);
    for (size_t i = 0; i < n; i++)
        free(reports[i]);
    struct report_info info;
    memset(&info, 0, sizeof(info));
    int r = report_load(path, &info, err);
    if (r == 0 && (!info.name || !info.version))
        r = ab_build_error(err, 0, "'%s' names no appliance and version", path);
    if (r == 0)
        r = oci_manifest_annotate(m, PUBLISH_ANN_NAME, info.name, err) < 0 ||
                    oci_manifest_annotate(m, PUBLISH_ANN_VERSION, info.version, err) < 0 ||
                    oci_manifest_annotate(m, OCI_TITLE, info.name, err) < 0 ||
                    oci_manifest_annotate(m, "org.opencontainers.image.version", info.version,
                                          err) < 0
                ? -1
                : 0;
    report_info_release(&info);
    return r;
}

/* The containerDisks of the folder, pushed first so that the artifact
 * names them. */
static int
push_containerdisks(const struct registry *reg, const struct oci_ref *r, const char *dir,
                    const struct manifest *sums, struct oci_manifest *m,
                    struct publish_result *res, struct ab_error *err)
{
    static const char *const disks[2] = {"os", "app"};
    for (size_t i = 0; i < sums->n; i++) {
        const char *name = sums->entries[i].name;
        for (int d = 0; d < 2; d++) {
            char suffix[64];
            snprintf(suffix, sizeof(suffix), "-%s.containerdisk.tar", disks[d]);
            size_t n = strlen(name), s = strlen(suffix);
            if (n <= s || strcmp(name + n - s, suffix) != 0)
                continue;
            /* One image a disk: a folder built for several architectures
             * has one each, which one tag cannot name. */
            if (res->containerdisk[d])
                return ab_build_error(err, 0,
                                      "'%s' holds more than one containerDisk of the %s disk (a "
                                      "folder built for several architectures): push takes one "
                                      "a disk",
                                      dir, disks[d]);
            char path[PATH_MAX], key[128];
            snprintf(path, sizeof(path), "%s/%s", dir, name);
            snprintf(key, sizeof(key), "%s%s", PUBLISH_ANN_CONTAINERDISK, disks[d]);
            if (push_containerdisk(reg, r, path, disks[d], &res->containerdisk[d], err) < 0 ||
                oci_manifest_annotate(m, key, res->containerdisk[d], err) < 0)
                return -1;
        }
    }
    return 0;
}

int
publish_push(const struct registry *reg, const char *dir, const char *ref, const char *work,
             struct publish_result *res, struct ab_error *err)
{
    struct oci_ref r;
    struct oci_manifest m;
    struct manifest sums = MANIFEST_INIT;
    CLEANUP_FREE char *text = NULL, *layout = NULL, *target = NULL, *source = NULL;
    size_t len = 0;
    char path[PATH_MAX], digest[OCI_DIGEST_LEN];
    memset(&m, 0, sizeof(m));
    memset(res, 0, sizeof(*res));
    snprintf(path, sizeof(path), "%s/%s", dir, DELIVERY_SUMS);
    int rc = -1;
    if (oci_ref_parse(ref, true, &r, err) < 0)
        goto out;
    if (!r.tag) {
        ab_error_set(err, AB_E_USAGE, 0, NULL, "push needs a tag, not a digest: '%s'", ref);
        goto out;
    }
    if (read_small(path, SUMS_MAX_BYTES, &text, &len, err) < 0 ||
        manifest_parse_sums(path, text, len, &sums, err) < 0 ||
        oci_manifest_set_artifact(&m, PUBLISH_ARTIFACT_TYPE, err) < 0 ||
        annotate(&m, dir, err) < 0)
        goto out;
    if (asprintf(&layout, "%s/layout", work) < 0 ||
        asprintf(&source, "oci:%s:%s", layout, PUSH_TAG) < 0 || !(target = oci_ref_string(&r))) {
        ab_oom(err);
        goto out;
    }
    if (oci_layout_init(layout, err) < 0 || add_files(&m, layout, dir, &sums, res, err) < 0)
        goto out;
    const struct oci_descriptor *s = oci_manifest_layer(&m, DELIVERY_SUMS);
    if (oci_manifest_annotate(&m, PUBLISH_ANN_SUMS, s->digest, err) < 0 ||
        push_containerdisks(reg, &r, dir, &sums, &m, res, err) < 0 ||
        oci_layout_put_manifest(layout, &m, PUSH_TAG, digest, NULL, err) < 0 ||
        registry_push(reg, source, target, res->digest, err) < 0)
        goto out;
    if (strcmp(digest, res->digest) != 0) {
        ab_build_error(err, 0, "the registry stored '%s' as %s, not as written (%s)", target,
                       res->digest, digest);
        goto out;
    }
    if (!(res->ref = oci_ref_with_digest(&r, res->digest)))
        ab_oom(err);
    else
        rc = 0;
out:
    oci_ref_release(&r);
    oci_manifest_release(&m);
    manifest_release(&sums);
    return rc;
}

/* ---- pull ----------------------------------------------------------------- */

static bool
is_own_document(const char *title)
{
    return strcmp(title, DELIVERY_SUMS) == 0 || strcmp(title, DELIVERY_SUMS_SIG) == 0 ||
           delivery_arch_doc_of(title, DELIVERY_REPORT, ".json");
}

/* Whether m carries a build report: build-report.json, or one of a folder
 * of several architectures. */
static bool
has_report(const struct oci_manifest *m)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *t = oci_descriptor_title(&m->layers[i]);
        if (t && delivery_arch_doc_of(t, DELIVERY_REPORT, ".json"))
            return true;
    }
    return false;
}

int
publish_check_manifest(const struct oci_manifest *m, const char *what, struct ab_error *err)
{
    if (!m->artifact_type || strcmp(m->artifact_type, PUBLISH_ARTIFACT_TYPE) != 0)
        return ab_build_error(err, 0, "%s is not an appliance build (artifact type '%.128s', "
                                      "not '%s')",
                              what, m->artifact_type ? m->artifact_type : "none",
                              PUBLISH_ARTIFACT_TYPE);
    const struct oci_descriptor *s = oci_manifest_layer(m, DELIVERY_SUMS);
    if (!s || !has_report(m))
        return ab_build_error(err, 0, "%s has no %s or no %s", what, DELIVERY_SUMS,
                              PUBLISH_REPORT);
    const char *sums = oci_annotation_get(m->annotations, m->n_annotations, PUBLISH_ANN_SUMS);
    if (!sums || strcmp(sums, s->digest) != 0)
        return ab_build_error(err, 0, "%s: the %s layer is not the one its annotation names",
                              what, DELIVERY_SUMS);
    return 0;
}

int
publish_check_sums(const struct oci_manifest *m, const char *text, size_t len,
                   struct ab_error *err)
{
    struct manifest sums = MANIFEST_INIT;
    int rc = -1;
    if (manifest_parse_sums(DELIVERY_SUMS, text, len, &sums, err) < 0)
        goto out;
    for (size_t i = 0; i < sums.n; i++) {
        const struct oci_descriptor *d = oci_manifest_layer(m, sums.entries[i].name);
        if (!d || is_own_document(sums.entries[i].name)) {
            ab_build_error(err, 0, "%s lists '%.256s', which the artifact does not carry",
                           DELIVERY_SUMS, sums.entries[i].name);
            goto out;
        }
        if (strcmp(d->digest + 7, sums.entries[i].hex) != 0) {
            ab_build_error(err, 0, "'%s': %s gives sha256:%s, the artifact %s",
                           sums.entries[i].name, DELIVERY_SUMS, sums.entries[i].hex, d->digest);
            goto out;
        }
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *t = oci_descriptor_title(&m->layers[i]);
        if (!is_own_document(t) && !manifest_find(&sums, t)) {
            ab_build_error(err, 0, "the artifact carries '%s', which %s does not list", t,
                           DELIVERY_SUMS);
            goto out;
        }
    }
    rc = 0;
out:
    manifest_release(&sums);
    return rc;
}

/* The largest layer, and all of them, against the free space at dir. */
static int
check_space(const struct oci_manifest *m, const char *dir, uint64_t *largest,
            struct ab_error *err)
{
    uint64_t total = 0;
    *largest = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        total += m->layers[i].size;
        if (m->layers[i].size > *largest)
            *largest = m->layers[i].size;
    }
    struct statvfs vfs;
    if (statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < total)
        return ab_build_error(err, ENOSPC,
                              "the artifact holds %" PRIu64 " bytes, '%s' has %" PRIu64 " free",
                              total, dir, (uint64_t)vfs.f_bavail * vfs.f_frsize);
    return 0;
}

/* Moves (or, for a digest already moved, copies) a layer's blob from the
 * layout to tmp/TITLE, then hashes it again and checks its size. */
static int
place_layer(const struct oci_manifest *m, size_t i, const char *layout, const char *tmp,
            struct ab_error *err)
{
    const struct oci_descriptor *d = &m->layers[i];
    const char *title = oci_descriptor_title(d);
    CLEANUP_FREE char *blob = oci_layout_blob_path(layout, d->digest);
    char path[PATH_MAX], hex[HASH_HEX_MAX];
    snprintf(path, sizeof(path), "%s/%s", tmp, title);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    if (mkdir_p(path, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", path, strerror(errno));
    *slash = '/';
    if (!blob)
        return ab_oom(err);
    if (rename(blob, path) < 0) {
        size_t j = 0;
        while (j < i && strcmp(m->layers[j].digest, d->digest) != 0)
            j++;
        char first[PATH_MAX];
        snprintf(first, sizeof(first), "%s/%s", tmp, oci_descriptor_title(&m->layers[j]));
        CLEANUP_CLOSE int in = j < i ? open(first, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        CLEANUP_CLOSE int out =
            in >= 0 ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;
        if (out < 0 || copy_sparse(in, out) < 0)
            return ab_build_error(err, errno, "the pull brought no blob for '%s'", title);
    }
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != d->size)
        return ab_build_error(err, 0, "'%s' is not of the size its layer gives (%" PRIu64 ")",
                              title, d->size);
    if (chmod(path, 0644) < 0 || digest_file(DIGEST_SHA256, path, hex, err) < 0)
        return -1;
    if (strcmp(hex, d->digest + 7) != 0)
        return ab_build_error(err, 0, "'%s' has digest sha256:%s, its layer %s", title, hex,
                              d->digest);
    return 0;
}

/* What pull does between the manifest judged and the folder swapped in. */
static int
pull_into(const struct registry *reg, const struct oci_ref *r, const struct oci_manifest *m,
          const char *digest, const char *tmp, struct publish_result *res, struct ab_error *err)
{
    uint64_t largest = 0;
    CLEANUP_FREE char *layout = NULL, *pinned = NULL, *sums = NULL;
    size_t len = 0;
    char path[PATH_MAX];
    if (asprintf(&layout, "%s/.oci-layout", tmp) < 0 || !(pinned = oci_ref_with_digest(r, digest)))
        return ab_oom(err);
    if (check_space(m, tmp, &largest, err) < 0 ||
        registry_pull(reg, pinned, layout, PULL_TAG, largest, err) < 0)
        return -1;
    for (size_t i = 0; i < m->n_layers; i++) {
        if (place_layer(m, i, layout, tmp, err) < 0)
            return -1;
        res->n_files++;
        res->bytes += m->layers[i].size;
    }
    if (rm_rf(tmp, layout) < 0)
        return ab_build_error(err, errno, "cannot remove '%s': %s", layout, strerror(errno));
    snprintf(path, sizeof(path), "%s/%s", tmp, DELIVERY_SUMS);
    if (read_small(path, SUMS_MAX_BYTES, &sums, &len, err) < 0 ||
        publish_check_sums(m, sums, len, err) < 0)
        return -1;
    res->ref = pinned;
    pinned = NULL;
    return 0;
}

int
publish_pull(const struct registry *reg, const char *ref, const char *dir,
             struct publish_result *res, struct ab_error *err)
{
    struct oci_ref r;
    struct oci_manifest m;
    struct outdir out = OUTDIR_INIT;
    CLEANUP_FREE char *text = NULL, *what = NULL;
    size_t len = 0;
    memset(&m, 0, sizeof(m));
    memset(res, 0, sizeof(*res));
    int rc = -1;
    if (oci_ref_parse(ref, true, &r, err) < 0)
        goto out;
    if (asprintf(&what, "'%s'", ref) < 0) {
        ab_oom(err);
        goto out;
    }
    int got = registry_get_manifest(reg, ref, &text, &len, res->digest, err);
    if (got == 0)
        ab_build_error(err, 0, "registry has no '%s'", ref);
    if (got <= 0 || oci_manifest_parse(text, len, what, &m, err) < 0 ||
        publish_check_manifest(&m, what, err) < 0 || outdir_begin(&out, dir, err) < 0 ||
        pull_into(reg, &r, &m, res->digest, out.tmp, res, err) < 0 ||
        outdir_commit(&out, err) < 0)
        goto out;
    rc = 0;
out:
    outdir_release(&out);
    oci_ref_release(&r);
    oci_manifest_release(&m);
    return rc;
}
