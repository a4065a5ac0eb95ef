/* registry.h: an OCI registry, through skopeo (builder/common/registry.c).
 *
 * skopeo, the containers project's client, does the talking: TLS (the
 * system's roots, SSL_CERT_FILE, /etc/containers/certs.d), the token and
 * basic authentication, retries, blob uploads, and the verification of
 * every blob's digest as it arrives. The credentials are its own to find,
 * in the containers' standard auth files (REGISTRY_AUTH_FILE,
 * $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json): this
 * program never reads them, never names them on a command line, and only
 * skopeo's own messages, redacted, reach a log.
 *
 * What goes up is an OCI image layout this program wrote (oci.h): the
 * files' blobs are symbolic links to them, so nothing is copied; what
 * comes down is a layout skopeo writes, from a manifest this program read
 * and judged first and then pinned by its digest, so that what arrives
 * is what was judged. */
#ifndef APPLIANCE_REGISTRY_H
#define APPLIANCE_REGISTRY_H

#include <stdint.h>

#include "appliance/error.h"
#include "appliance/oci.h"
#include "appliance/spawn.h"

struct registry {
    const struct spawn_ctx *spawn; /* the log; may be NULL */
    const char *tmpdir;            /* skopeo's temporary files; NULL: its default */
};

/* The manifest of ref ("HOST/PATH:TAG" or "@DIGEST"), as its bytes
 * (malloc'd into *text and *len, at most OCI_MANIFEST_MAX) and their
 * digest: 1 when there is one, 0 when the registry has no such tag or
 * repository, -1 when it cannot be asked (unreachable, refused, TLS,
 * credentials): the error quotes skopeo. */
int registry_get_manifest(const struct registry *reg, const char *ref, char **text, size_t *len,
                          char digest[OCI_DIGEST_LEN], struct ab_error *err);

/* Pushes source, in skopeo's words ("oci:LAYOUT:TAG", an OCI layout
 * this program wrote, or "oci-archive:PATH"), to ref; the digest of the
 * manifest pushed into digest (may be NULL). skopeo writes that digest
 * to a file in reg->tmpdir (or $TMPDIR). */
int registry_push(const struct registry *reg, const char *source, const char *ref,
                  char digest[OCI_DIGEST_LEN], struct ab_error *err);

/* Copies ref (pinned: "HOST/PATH@DIGEST") into a new layout at layout,
 * tagged tag; no file skopeo writes may grow past max_blob bytes. */
int registry_pull(const struct registry *reg, const char *ref, const char *layout,
                  const char *tag, uint64_t max_blob, struct ab_error *err);

#endif
