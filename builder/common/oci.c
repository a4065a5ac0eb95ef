/* oci.c: OCI image manifests, descriptors, references and image layouts
 * (oci.h): the one writer and reader. */
#include "appliance/oci.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/hash.h"
#include "appliance/jsonutil.h"

/* ---- annotations and descriptors ---------------------------------------- */

static void
annotations_free(struct oci_annotation *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].key);
        free(a[i].value);
    }
    free(a);
}

/* Adds key=value to the list, keeping it sorted by key; replaces a value. */
static int
annotations_put(struct oci_annotation **a, size_t *n, const char *key, const char *value,
                struct ab_error *err)
{
    size_t i = 0;
    while (i < *n && strcmp((*a)[i].key, key) < 0)
        i++;
    char *v = strdup(value);
    if (!v)
        return ab_oom(err);
    if (i < *n && strcmp((*a)[i].key, key) == 0) {
        free((*a)[i].value);
        (*a)[i].value = v;
        return 0;
    }
    char *k = strdup(key);
    struct oci_annotation *grown = k ? realloc(*a, (*n + 1) * sizeof(**a)) : NULL;
    if (!grown) {
        free(k);
        free(v);
        return ab_oom(err);
    }
    memmove(grown + i + 1, grown + i, (*n - i) * sizeof(*grown));
    grown[i].key = k;
    grown[i].value = v;
    *a = grown;
    (*n)++;
    return 0;
}

const char *
oci_annotation_get(const struct oci_annotation *a, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].key, key) == 0)
            return a[i].value;
    return NULL;
}

bool
oci_digest_ok(const char *s)
{
    if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
        return false;
    for (const char *p = s + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

int
oci_descriptor_set(struct oci_descriptor *d, const char *media_type, const char *digest,
                   uint64_t size, struct ab_error *err)
{
    char full[OCI_DIGEST_LEN + 8];
    snprintf(full, sizeof(full), "%s%s", strncmp(digest, "sha256:", 7) == 0 ? "" : "sha256:",
             digest);
    if (!oci_digest_ok(full))
        return ab_build_error(err, 0, "invalid digest '%s'", digest);
    char *t = strdup(media_type);
    if (!t)
        return ab_oom(err);
    free(d->media_type);
    d->media_type = t;
    memcpy(d->digest, full, sizeof(d->digest));
    d->size = size;
    return 0;
}

int
oci_descriptor_annotate(struct oci_descriptor *d, const char *key, const char *value,
                        struct ab_error *err)
{
    return annotations_put(&d->annotations, &d->n_annotations, key, value, err);
}

int
oci_manifest_annotate(struct oci_manifest *m, const char *key, const char *value,
                      struct ab_error *err)
{
    return annotations_put(&m->annotations, &m->n_annotations, key, value, err);
}

struct oci_descriptor *
oci_manifest_add_layer(struct oci_manifest *m, struct ab_error *err)
{
    struct oci_descriptor *grown = realloc(m->layers, (m->n_layers + 1) * sizeof(*grown));
    if (!grown) {
        ab_oom(err);
        return NULL;
    }
    m->layers = grown;
    memset(&grown[m->n_layers], 0, sizeof(*grown));
    return &grown[m->n_layers++];
}

int
oci_manifest_set_artifact(struct oci_manifest *m, const char *artifact_type,
                          struct ab_error *err)
{
    char *t = strdup(artifact_type);
    if (!t)
        return ab_oom(err);
    free(m->artifact_type);
    m->artifact_type = t;
    return oci_descriptor_set(&m->config, OCI_EMPTY_TYPE, OCI_EMPTY_DIGEST,
                              strlen(OCI_EMPTY_DATA), err);
}

const char *
oci_descriptor_title(const struct oci_descriptor *d)
{
    return oci_annotation_get(d->annotations, d->n_annotations, OCI_TITLE);
}

const struct oci_descriptor *
oci_manifest_layer(const struct oci_manifest *m, const char *title)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *t = oci_descriptor_title(&m->layers[i]);
        if (t && strcmp(t, title) == 0)
            return &m->layers[i];
    }
    return NULL;
}

void
oci_descriptor_release(struct oci_descriptor *d)
{
    if (!d)
        return;
    free(d->media_type);
    annotations_free(d->annotations, d->n_annotations);
    memset(d, 0, sizeof(*d));
}

void
oci_manifest_release(struct oci_manifest *m)
{
    if (!m)
        return;
    free(m->artifact_type);
    oci_descriptor_release(&m->config);
    for (size_t i = 0; i < m->n_layers; i++)
        oci_descriptor_release(&m->layers[i]);
    free(m->layers);
    annotations_free(m->annotations, m->n_annotations);
    memset(m, 0, sizeof(*m));
}

/* ---- the writer ----------------------------------------------------------- */

static json_object *
annotations_json(const struct oci_annotation *a, size_t n)
{
    json_object *o = json_object_new_object();
    for (size_t i = 0; o && i < n; i++)
        put_str(o, a[i].key, a[i].value);
    return o;
}

static json_object *
descriptor_json(const struct oci_descriptor *d)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    put_str(o, "mediaType", d->media_type);
    put_str(o, "digest", d->digest);
    put_u64(o, "size", d->size);
    if (d->n_annotations)
        json_object_object_add(o, "annotations",
                               annotations_json(d->annotations, d->n_annotations));
    return o;
}

int
oci_manifest_write(const struct oci_manifest *m, char **text, size_t *len, struct ab_error *err)
{
    json_object *o = json_object_new_object();
    json_object *layers = json_object_new_array();
    if (!o || !layers) {
        json_object_put(o);
        json_object_put(layers);
        return ab_oom(err);
    }
    json_object_object_add(o, "schemaVersion", json_object_new_int(2));
    put_str(o, "mediaType", OCI_MANIFEST_TYPE);
    if (m->artifact_type)
        put_str(o, "artifactType", m->artifact_type);
    json_object_object_add(o, "config", descriptor_json(&m->config));
    for (size_t i = 0; i < m->n_layers; i++)
        json_object_array_add(layers, descriptor_json(&m->layers[i]));
    json_object_object_add(o, "layers", layers);
    if (m->n_annotations)
        json_object_object_add(o, "annotations",
                               annotations_json(m->annotations, m->n_annotations));
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE);
    *text = s ? strdup(s) : NULL;
    json_object_put(o);
    if (!*text)
        return ab_oom(err);
    *len = strlen(*text);
    return 0;
}

/* ---- the reader ----------------------------------------------------------- */

bool
oci_title_ok(const char *title)
{
    size_t parts = 0, len = 0;
    if (!title || !*title)
        return false;
    for (const char *p = title;; p++) {
        if (*p == '/' || *p == '\0') {
            if (len == 0 || len > 128 || ++parts > 4)
                return false;
            if (*p == '\0')
                return true;
            len = 0;
            continue;
        }
        bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9');
        if (len == 0 && !alnum && *p != '_' && *p != '+')
            return false; /* no ".", "..", hidden or option-like component */
        if (!alnum && !strchr("._+-", *p))
            return false;
        len++;
    }
}

/* A string member of o no longer than OCI_MAX_STRING: 1 and *out, 0 when
 * absent, -1 when of another type or too long. */
static int
get_string(json_object *o, const char *key, const char **out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return 0;
    if (!json_object_is_type(v, json_type_string) ||
        json_object_get_string_len(v) > OCI_MAX_STRING ||
        strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
        return -1;
    *out = json_object_get_string(v);
    return 1;
}

static int
parse_annotations(json_object *o, struct oci_annotation **a, size_t *n, const char *what,
                  struct ab_error *err)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "annotations", &v) || !v)
        return 0;
    if (!json_object_is_type(v, json_type_object))
        return ab_build_error(err, 0, "%s: \"annotations\" is not an object", what);
    if (json_object_object_length(v) > OCI_MAX_ANNOTATIONS)
        return ab_build_error(err, 0, "%s: more than %d annotations", what, OCI_MAX_ANNOTATIONS);
    json_object_object_foreach(v, key, val)
    {
        if (!val || !json_object_is_type(val, json_type_string) || strlen(key) > OCI_MAX_STRING ||
            json_object_get_string_len(val) > OCI_MAX_STRING ||
            strlen(json_object_get_string(val)) != (size_t)json_object_get_string_len(val))
            return ab_build_error(err, 0, "%s: annotation '%.64s' is not a short string", what,
                                  key);
        if (annotations_put(a, n, key, json_object_get_string(val), err) < 0)
            return -1;
    }
    return 0;
}

static int
parse_descriptor(json_object *o, struct oci_descriptor *d, const char *what,
                 struct ab_error *err)
{
    const char *type = NULL, *digest = NULL;
    json_object *size;
    if (!o || !json_object_is_type(o, json_type_object))
        return ab_build_error(err, 0, "%s is not an object", what);
    if (get_string(o, "mediaType", &type) != 1 || !*type)
        return ab_build_error(err, 0, "%s has no \"mediaType\"", what);
    if (get_string(o, "digest", &digest) != 1 || !oci_digest_ok(digest))
        return ab_build_error(err, 0, "%s has no \"digest\" of the form sha256:HEX", what);
    if (!json_object_object_get_ex(o, "size", &size) || !size ||
        !json_object_is_type(size, json_type_int) || json_object_get_int64(size) < 0 ||
        (uint64_t)json_object_get_int64(size) > OCI_MAX_SIZE)
        return ab_build_error(err, 0, "%s has no \"size\" between 0 and 2^53", what);
    if (oci_descriptor_set(d, type, digest, (uint64_t)json_object_get_int64(size), err) < 0)
        return -1;
    return parse_annotations(o, &d->annotations, &d->n_annotations, what, err);
}

/* Every layer titled, each title a plain path, none twice. */
static int
check_titles(const struct oci_manifest *m, const char *what, struct ab_error *err)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const char *t = oci_descriptor_title(&m->layers[i]);
        if (!t)
            return ab_build_error(err, 0, "%s: layer %zu has no title", what, i + 1);
        if (!oci_title_ok(t))
            return ab_build_error(err, 0, "%s: layer %zu's title '%.128s' is not a plain file name",
                                  what, i + 1, t);
        for (size_t j = 0; j < i; j++)
            if (strcmp(t, oci_descriptor_title(&m->layers[j])) == 0)
                return ab_build_error(err, 0, "%s: two layers are titled '%s'", what, t);
    }
    return 0;
}

static int
parse_layers(json_object *o, struct oci_manifest *m, const char *what, struct ab_error *err)
{
    json_object *layers;
    if (!json_object_object_get_ex(o, "layers", &layers) || !layers ||
        !json_object_is_type(layers, json_type_array))
        return ab_build_error(err, 0, "%s has no \"layers\" list", what);
    size_t n = json_object_array_length(layers);
    if (n > OCI_MAX_LAYERS)
        return ab_build_error(err, 0, "%s has more than %d layers", what, OCI_MAX_LAYERS);
    for (size_t i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "layer %zu", i + 1);
        struct oci_descriptor *d = oci_manifest_add_layer(m, err);
        if (!d || parse_descriptor(json_object_array_get_idx(layers, i), d, name, err) < 0) {
            ab_error_prefix(err, "%s", what);
            return -1;
        }
    }
    return 0;
}

int
oci_manifest_parse(const char *text, size_t len, const char *what, struct oci_manifest *m,
                   struct ab_error *err)
{
    if (len > OCI_MANIFEST_MAX)
        return ab_build_error(err, 0, "%s: larger than %u bytes", what, OCI_MANIFEST_MAX);
    json_tokener *tok = json_tokener_new_ex(32);
    if (!tok)
        return ab_oom(err);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    bool trailing = false;
    for (size_t i = o ? json_tokener_get_parse_end(tok) : len; i < len; i++)
        trailing |= !strchr(" \t\r\n", text[i]) || text[i] == '\0';
    json_tokener_free(tok);
    if (!o || jerr != json_tokener_success || trailing) {
        json_object_put(o);
        const char *why = trailing                         ? "bytes after the value"
                          : jerr == json_tokener_continue ? "it ends too early"
                          : jerr != json_tokener_success  ? json_tokener_error_desc(jerr)
                                                          : "empty";
        return ab_build_error(err, 0, "%s is not JSON: %s", what, why);
    }
    int r = -1;
    const char *type = NULL, *artifact = NULL;
    json_object *version;
    if (!json_object_is_type(o, json_type_object))
        ab_build_error(err, 0, "%s is not a JSON object", what);
    else if (!json_object_object_get_ex(o, "schemaVersion", &version) || !version ||
             !json_object_is_type(version, json_type_int) || json_object_get_int64(version) != 2)
        ab_build_error(err, 0, "%s: \"schemaVersion\" is not 2", what);
    else if (get_string(o, "mediaType", &type) < 0 || (type && strcmp(type, OCI_MANIFEST_TYPE)))
        ab_build_error(err, 0, "%s is a '%.128s', not an OCI image manifest", what,
                       type ? type : "?");
    else if (get_string(o, "artifactType", &artifact) < 0)
        ab_build_error(err, 0, "%s: \"artifactType\" is not a short string", what);
    else if (artifact && !(m->artifact_type = strdup(artifact)))
        ab_oom(err);
    else {
        json_object *config = NULL;
        json_object_object_get_ex(o, "config", &config);
        r = parse_descriptor(config, &m->config, "config", err) < 0 ||
                    parse_layers(o, m, what, err) < 0 ||
                    parse_annotations(o, &m->annotations, &m->n_annotations, what, err) < 0 ||
                    check_titles(m, what, err) < 0
                ? -1
                : 0;
        if (r < 0 && !config)
            ab_error_prefix(err, "%s", what);
    }
    json_object_put(o);
    return r;
}

/* ---- references ----------------------------------------------------------- */

bool
oci_tag_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 128 || *s == '.' || *s == '-')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("_.-", *s)))
            return false;
    return true;
}

/* A host: [A-Za-z0-9.-]+ with an optional :PORT, or a bracketed IPv6. */
static bool
host_ok(const char *h, size_t n)
{
    if (n == 0 || n > 255 || h[0] == '-' || h[0] == '.')
        return false;
    size_t i = 0;
    if (h[0] == '[') {
        while (i < n && h[i] != ']')
            if (!strchr("[0123456789abcdefABCDEF:", h[i++]))
                return false;
        if (i == n)
            return false;
        i++;
    } else {
        for (; i < n && h[i] != ':'; i++)
            if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
                  (h[i] >= '0' && h[i] <= '9') || h[i] == '.' || h[i] == '-'))
                return false;
    }
    if (i == n)
        return true;
    if (h[i] != ':' || i + 1 == n || n - i - 1 > 5)
        return false;
    for (i++; i < n; i++)
        if (h[i] < '0' || h[i] > '9')
            return false;
    return true;
}

/* A path: components of [a-z0-9] separated by '.', '_', '__' or '-'s. */
static bool
path_ok(const char *p)
{
    size_t n = strlen(p);
    if (n == 0 || n > 255)
        return false;
    bool start = true;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (alnum) {
            start = false;
            continue;
        }
        if (start)
            return false;
        if (c == '/') {
            start = true;
            continue;
        }
        if (c == '.' || c == '_' || c == '-') {
            if (c == '_' && p[i + 1] == '_')
                i++;
            else if (c == '-')
                while (p[i + 1] == '-')
                    i++;
            if (!((p[i + 1] >= 'a' && p[i + 1] <= 'z') || (p[i + 1] >= '0' && p[i + 1] <= '9')))
                return false;
            continue;
        }
        return false;
    }
    return !start;
}

void
oci_ref_release(struct oci_ref *r)
{
    if (!r)
        return;
    free(r->host);
    free(r->path);
    free(r->tag);
    free(r->digest);
    memset(r, 0, sizeof(*r));
}

static int
ref_error(struct ab_error *err, const char *text, const char *reason)
{
    return ab_error_set(err, AB_E_USAGE, 0, NULL, "invalid registry reference '%.300s': %s", text,
                        reason);
}

int
oci_ref_parse(const char *text, bool default_latest, struct oci_ref *r, struct ab_error *err)
{
    memset(r, 0, sizeof(*r));
    if (strlen(text) > 1024)
        return ref_error(err, "...", "longer than 1024 characters");
    const char *slash = strchr(text, '/');
    if (!slash)
        return ref_error(err, text, "it names no registry (HOST[:PORT]/PATH[:TAG])");
    size_t hn = (size_t)(slash - text);
    if (!host_ok(text, hn) ||
        !(memchr(text, '.', hn) || memchr(text, ':', hn) ||
          (hn == 9 && memcmp(text, "localhost", 9) == 0)))
        return ref_error(err, text, "its first part is not a registry host (HOST[:PORT])");
    CLEANUP_FREE char *rest = strdup(slash + 1);
    if (!(r->host = strndup(text, hn)) || !rest)
        return ab_oom(err);
    char *at = strchr(rest, '@');
    if (at) {
        *at = '\0';
        if (!oci_digest_ok(at + 1))
            return ref_error(err, text, "its digest is not sha256: and 64 lowercase hex digits");
        if (!(r->digest = strdup(at + 1)))
            return ab_oom(err);
    }
    char *colon = strrchr(rest, ':');
    if (colon && !at) {
        *colon = '\0';
        if (!oci_tag_ok(colon + 1))
            return ref_error(err, text, "its tag is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
        if (!(r->tag = strdup(colon + 1)))
            return ab_oom(err);
    } else if (colon) {
        return ref_error(err, text, "it has both a tag and a digest");
    }
    if (!path_ok(rest))
        return ref_error(err, text,
                         "its repository path is not lowercase letters and digits separated "
                         "by '/', '.', '_' or '-'");
    if (!(r->path = strdup(rest)))
        return ab_oom(err);
    if (!r->tag && !r->digest) {
        if (!default_latest)
            return ref_error(err, text, "it has no tag");
        if (!(r->tag = strdup("latest")))
            return ab_oom(err);
    }
    return 0;
}

char *
oci_ref_string(const struct oci_ref *r)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s%s%s", r->host, r->path, r->digest ? "@" : ":",
                 r->digest ? r->digest : r->tag) < 0)
        return NULL;
    return s;
}

char *
oci_ref_with_tag(const struct oci_ref *r, const char *tag)
{
    char *s = NULL;
    return asprintf(&s, "%s/%s:%s", r->host, r->path, tag) < 0 ? NULL : s;
}

char *
oci_ref_with_digest(const struct oci_ref *r, const char *digest)
{
    char *s = NULL;
    return asprintf(&s, "%s/%s@%s", r->host, r->path, digest) < 0 ? NULL : s;
}

/* ---- layouts ------------------------------------------------------------ */

char *
oci_layout_blob_path(const char *dir, const char *digest)
{
    char *s = NULL;
    if (!oci_digest_ok(digest))
        return NULL;
    return asprintf(&s, "%s/blobs/sha256/%s", dir, digest + 7) < 0 ? NULL : s;
}

int
oci_layout_init(const char *dir, struct ab_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/blobs/sha256", dir);
    if (mkdir_p(path, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", path, strerror(errno));
    snprintf(path, sizeof(path), "%s/oci-layout", dir);
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    return write_atomic_data(path, 0644, layout, strlen(layout), err);
}

int
oci_layout_link_blob(const char *dir, const char *path, const char *digest, struct ab_error *err)
{
    CLEANUP_FREE char *blob = oci_layout_blob_path(dir, digest);
    CLEANUP_FREE char *target = realpath(path, NULL);
    if (!blob)
        return ab_build_error(err, 0, "invalid digest '%s' of '%s'", digest, path);
    if (!target)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    if (symlink(target, blob) < 0 && errno != EEXIST)
        return ab_build_error(err, errno, "cannot link '%s' into '%s': %s", path, dir,
                              strerror(errno));
    return 0;
}

static void
sha256_of(const void *data, size_t len, char digest[OCI_DIGEST_LEN])
{
    char hex[HASH_HEX_MAX];
    struct digest_ctx *d = digest_new(DIGEST_SHA256);
    if (!d) {
        digest[0] = '\0';
        return;
    }
    digest_update(d, data, len);
    digest_hex(d, hex);
    digest_free(d);
    snprintf(digest, OCI_DIGEST_LEN, "sha256:%.64s", hex);
}

int
oci_layout_put_blob(const char *dir, const void *data, size_t len, char digest[OCI_DIGEST_LEN],
                    struct ab_error *err)
{
    sha256_of(data, len, digest);
    CLEANUP_FREE char *blob = oci_layout_blob_path(dir, digest);
    if (!blob)
        return ab_oom(err);
    return write_atomic_data(blob, 0644, data, len, err);
}

int
oci_layout_put_manifest(const char *dir, const struct oci_manifest *m, const char *tag,
                        char digest[OCI_DIGEST_LEN], uint64_t *size, struct ab_error *err)
{
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;
    if (oci_manifest_write(m, &text, &len, err) < 0 ||
        oci_layout_put_blob(dir, text, len, digest, err) < 0)
        return -1;
    if (size)
        *size = len;
    if (m->config.media_type && strcmp(m->config.digest, OCI_EMPTY_DIGEST) == 0) {
        char empty[OCI_DIGEST_LEN];
        if (oci_layout_put_blob(dir, OCI_EMPTY_DATA, strlen(OCI_EMPTY_DATA), empty, err) < 0)
            return -1;
    }
    json_object *index = json_object_new_object(), *list = json_object_new_array(),
                *desc = json_object_new_object(), *ann = json_object_new_object();
    if (!index || !list || !desc || !ann) {
        json_object_put(index);
        json_object_put(list);
        json_object_put(desc);
        json_object_put(ann);
        return ab_oom(err);
    }
    json_object_object_add(index, "schemaVersion", json_object_new_int(2));
    put_str(index, "mediaType", OCI_INDEX_TYPE);
    put_str(desc, "mediaType", OCI_MANIFEST_TYPE);
    put_str(desc, "digest", digest);
    put_u64(desc, "size", len);
    put_str(ann, OCI_REF_NAME, tag);
    json_object_object_add(desc, "annotations", ann);
    json_object_array_add(list, desc);
    json_object_object_add(index, "manifests", list);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/index.json", dir);
    const char *s = json_object_to_json_string_ext(index, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
    int r = s ? write_atomic_data(path, 0644, s, strlen(s), err) : ab_oom(err);
    json_object_put(index);
    return r;
}
