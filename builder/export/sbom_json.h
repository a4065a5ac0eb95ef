/* sbom_json.h: what the SBOM and provenance writers of builder/export/
 * share (sbom.c): JSON text, UUIDs from digests, the shipped files'
 * roles, the mount that holds a path. */
#ifndef APPLIANCE_EXPORT_SBOM_JSON_H
#define APPLIANCE_EXPORT_SBOM_JSON_H

#include <json-c/json.h>
#include <stdbool.h>

#include "appliance/delivery.h"
#include "appliance/error.h"
#include "appliance/plan.h"

/* o as pretty JSON text with a final newline (malloc'd into *text). */
int sbom_json_text(json_object *o, char **text, struct ab_error *err);

/* A UUID (RFC 9562 version 8, from the SHA-256 of text, domain first):
 * "xxxxxxxx-xxxx-8xxx-yxxx-xxxxxxxxxxxx" into out. */
void sbom_uuid(const char *domain, const char *text, char out[37]);

/* What a shipped file is (delivery_classify with the plan's stem and
 * outputs), and the disks it holds: a disk's own file holds that disk, an
 * OVA both. */
void sbom_shipped_role(const struct plan *plan, const char *path, struct delivery_role *role,
                       bool disks[PLAN_N_DISKS]);

/* The disk of the mount of plan that holds path (the longest mount point
 * that is path or one of its parents); -1 when the plan has no mounts. */
int sbom_disk_of(const struct plan *plan, const char *path);

/* The operating system's name for package URLs and SBOMs: the distribution's
 * name up to its first '-' (its os-release ID: debian, ubuntu, centos,
 * rocky, almalinux); NULL for a rootfs: tree. */
const char *sbom_os_id(const struct plan *plan, char *buf, size_t size);

/* A maintainer as "NAME <EMAIL>" split into name and email (either may be
 * empty), into the buffers. */
void sbom_split_contact(const char *contact, char *name, size_t nsize, char *email,
                        size_t esize);

#endif
