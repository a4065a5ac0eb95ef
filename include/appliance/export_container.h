/* export_container.h: the appliance as container templates, from the
 * configured root tree (output `container`).
 *
 *   NAME-container.tar   an OCI image layout in a tar (`podman load -i`,
 *                        `skopeo copy oci-archive:`): one gzip'd
 *                        layer, the application disk's mount points as
 *                        the config's Volumes, Cmd ["/sbin/init"]
 *   NAME-ct.tar.zst      the same tree as a plain tar, members "./...",
 *                        for Proxmox CT, LXC/Incus and OpenVZ
 *
 * The tree is the one configure_container() (configure.h) made a
 * container's. Both files are the same bytes from the same tree and
 * SOURCE_DATE_EPOCH: members in byte order of their names, numeric owners
 * only, every time the file's mtime clamped to the epoch, extended
 * attributes kept (in name order), hard links as links. */
#ifndef APPLIANCE_EXPORT_CONTAINER_H
#define APPLIANCE_EXPORT_CONTAINER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "appliance/error.h"
#include "appliance/plan.h"

/* Writes NAME-container.tar and NAME-ct.tar.zst of root into dir, each
 * under a temporary name renamed when complete; work is scratch space
 * (the layer, as large as the tree). */
int export_container(const struct plan *plan, const char *root, int64_t epoch, const char *dir,
                     const char *work, struct ab_error *err);

/* ---- the OCI documents (export_container.c), for the tests ------------- */

/* The image's reference, "NAME:TAG": the recipe's name in lowercase with
 * what a repository name cannot hold as '-', its version as a tag (what a
 * tag cannot hold as '-', at most 128 characters). malloc'd. */
char *container_ref(const struct plan *plan);

struct archive;

/* One member of an OCI archive (the container template's, a KubeVirt
 * containerDisk's): a folder (text and path NULL), text, or the file at
 * path, owned by id:id with perm, dated epoch. */
int oci_archive_member(struct archive *a, const char *name, int64_t epoch, int id, mode_t perm,
                       const char *text, const char *path, struct ab_error *err);

/* "YYYY-MM-DDTHH:MM:SSZ" of epoch (UTC). */
void container_time(int64_t epoch, char out[32]);

/* The image config: amd64, linux, created at the epoch, Cmd
 * ["/sbin/init"], the application disk's mount points as Volumes, the
 * layer's uncompressed digest ("sha256:HEX") as its one diff_id.
 * malloc'd JSON text without a newline. */
char *container_config_json(const struct plan *plan, int64_t epoch, const char *diff_id);

/* The manifest of a config and a layer given as digests and sizes. */
char *container_manifest_json(const struct plan *plan, int64_t epoch, const char *config_digest,
                              uint64_t config_size, const char *layer_digest, uint64_t layer_size);

/* index.json: the one manifest, named container_ref() by its
 * org.opencontainers.image.ref.name annotation. */
char *container_index_json(const struct plan *plan, const char *manifest_digest,
                           uint64_t manifest_size);

/* Docker's manifest.json ("docker save" format) of the same blobs: the
 * config and the layer as blobs/sha256/HEX, RepoTags [container_ref()]. */
char *container_docker_manifest_json(const struct plan *plan, const char *config_hex,
                                     const char *layer_hex);

#endif
