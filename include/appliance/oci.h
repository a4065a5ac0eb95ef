/* oci.h: OCI image manifests, descriptors and image layouts
 * (builder/common/oci.c), the one module that writes and reads them.
 *
 * What the project publishes through a registry is an OCI artifact: an
 * image manifest (schemaVersion 2) with an artifactType of the project's
 * own, the empty config ("{}", as OCI image-spec 1.1 asks of artifacts),
 * one layer per file, each file's name in the layer's
 * org.opencontainers.image.title annotation, and what the artifact is
 * (recipe name, version, cache key) in the manifest's annotations. The
 * writer makes the same bytes from the same descriptors: members in a
 * fixed order, annotations sorted by key.
 *
 * A manifest read from a registry is hostile: the reader takes any bytes,
 * bounds its size, the number of layers and annotations and the length
 * of every string, accepts only "sha256:" digests of 64 lowercase hex
 * digits and sizes below 2^53, and refuses a title that is not a plain
 * relative path (oci_title_ok). The caller then judges the artifact type
 * and the annotations it needs. */
#ifndef APPLIANCE_OCI_H
#define APPLIANCE_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"

#define OCI_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define OCI_INDEX_TYPE "application/vnd.oci.image.index.v1+json"
#define OCI_CONFIG_TYPE "application/vnd.oci.image.config.v1+json"
#define OCI_LAYER_TAR_TYPE "application/vnd.oci.image.layer.v1.tar"
#define OCI_EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define OCI_EMPTY_DATA "{}"
#define OCI_EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define OCI_TITLE "org.opencontainers.image.title"
#define OCI_REF_NAME "org.opencontainers.image.ref.name"

/* The reader's bounds: a manifest's bytes (the distribution registry's
 * own limit), its layers, its and each layer's annotations, a string. */
#define OCI_MANIFEST_MAX (4u << 20)
#define OCI_MAX_LAYERS 256
#define OCI_MAX_ANNOTATIONS 64
#define OCI_MAX_STRING 4096
/* Sizes are JSON numbers: exact only below 2^53. */
#define OCI_MAX_SIZE ((UINT64_C(1) << 53) - 1)

/* "sha256:" and 64 hex digits, and the NUL. */
#define OCI_DIGEST_LEN 72

struct oci_annotation {
    char *key, *value;
};

struct oci_descriptor {
    char *media_type;
    char digest[OCI_DIGEST_LEN];
    uint64_t size;
    struct oci_annotation *annotations;
    size_t n_annotations;
};

struct oci_manifest {
    char *artifact_type; /* NULL: none */
    struct oci_descriptor config;
    struct oci_descriptor *layers;
    size_t n_layers;
    struct oci_annotation *annotations;
    size_t n_annotations;
};

/* ---- descriptors and manifests, built by the writer's caller ----------- */

/* Sets d to media_type, digest ("sha256:HEX", or 64 hex digits alone)
 * and size; -1 (out of memory, or a digest of another form). */
int oci_descriptor_set(struct oci_descriptor *d, const char *media_type, const char *digest,
                       uint64_t size, struct ab_error *err);
/* Adds (or replaces) an annotation of d, or of the manifest. */
int oci_descriptor_annotate(struct oci_descriptor *d, const char *key, const char *value,
                            struct ab_error *err);
int oci_manifest_annotate(struct oci_manifest *m, const char *key, const char *value,
                          struct ab_error *err);
/* Appends a layer to m and returns it (zeroed), NULL when out of memory. */
struct oci_descriptor *oci_manifest_add_layer(struct oci_manifest *m, struct ab_error *err);
/* Gives m the artifact type and the empty config of an artifact. */
int oci_manifest_set_artifact(struct oci_manifest *m, const char *artifact_type,
                              struct ab_error *err);

/* The value of key among annotations, or NULL. */
const char *oci_annotation_get(const struct oci_annotation *a, size_t n, const char *key);
/* The layer whose title is title, or NULL. */
const struct oci_descriptor *oci_manifest_layer(const struct oci_manifest *m, const char *title);
/* The title of a layer, or NULL. */
const char *oci_descriptor_title(const struct oci_descriptor *d);

void oci_descriptor_release(struct oci_descriptor *d);
void oci_manifest_release(struct oci_manifest *m);

/* The manifest as JSON text without a newline (malloc'd into *text,
 * its length in *len). */
int oci_manifest_write(const struct oci_manifest *m, char **text, size_t *len,
                       struct ab_error *err);

/* Parses len bytes of text, a manifest from a registry, into m (which the
 * caller releases either way); what names it in messages ("manifest of
 * 'REF'"). Refuses an index, a manifest of another schemaVersion or media
 * type, and anything past the bounds above; every layer must have a
 * title that oci_title_ok accepts, no two the same. */
int oci_manifest_parse(const char *text, size_t len, const char *what, struct oci_manifest *m,
                       struct ab_error *err);

/* Whether s is "sha256:" and 64 lowercase hex digits. */
bool oci_digest_ok(const char *s);

/* Whether a layer's title is a relative path a folder may hold: 1 to 4
 * components joined by '/', each 1 to 128 characters of [A-Za-z0-9._+-],
 * not starting with '.' or '-'. */
bool oci_title_ok(const char *title);

/* ---- registry references --------------------------------------------- */

/* A reference "HOST[:PORT]/PATH[:TAG]" or "HOST[:PORT]/PATH@sha256:HEX",
 * as the distribution registry's grammar has it, with the host always
 * named (it holds a '.' or a ':', or is "localhost"), so that no name is
 * taken to mean Docker Hub. */
struct oci_ref {
    char *host;   /* "registry.example.com:5000" */
    char *path;   /* "team/app" */
    char *tag;    /* NULL when by digest */
    char *digest; /* NULL when by tag */
};

/* Parses text into r (released by the caller either way); -1 with
 * "invalid registry reference 'TEXT': REASON" (AB_E_USAGE). A reference
 * without tag or digest gets tag "latest" when default_latest, else is
 * refused. */
int oci_ref_parse(const char *text, bool default_latest, struct oci_ref *r, struct ab_error *err);
void oci_ref_release(struct oci_ref *r);
/* "HOST/PATH:TAG", "HOST/PATH@DIGEST" (malloc'd, NULL when out of memory). */
char *oci_ref_string(const struct oci_ref *r);
/* The same repository with another tag, or pinned to digest. */
char *oci_ref_with_tag(const struct oci_ref *r, const char *tag);
char *oci_ref_with_digest(const struct oci_ref *r, const char *digest);
/* Whether s is a valid tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
bool oci_tag_ok(const char *s);

/* ---- image layouts (the oci: transport's folder) ---------------------- */

/* Makes dir an empty OCI image layout: oci-layout, blobs/sha256/. */
int oci_layout_init(const char *dir, struct ab_error *err);
/* Puts the file at path into dir's blobs under digest, as a symbolic
 * link to its absolute path (the files are the build's: nothing is
 * copied). */
int oci_layout_link_blob(const char *dir, const char *path, const char *digest,
                         struct ab_error *err);
/* Writes len bytes of data as a blob; its digest into digest. */
int oci_layout_put_blob(const char *dir, const void *data, size_t len,
                        char digest[OCI_DIGEST_LEN], struct ab_error *err);
/* Writes m as a blob and index.json naming it, tagged tag; the
 * manifest's digest and size into digest and *size (may be NULL). */
int oci_layout_put_manifest(const char *dir, const struct oci_manifest *m, const char *tag,
                            char digest[OCI_DIGEST_LEN], uint64_t *size, struct ab_error *err);
/* "DIR/blobs/sha256/HEX" of digest (malloc'd), NULL when out of memory. */
char *oci_layout_blob_path(const char *dir, const char *digest);

#endif
