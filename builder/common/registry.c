/* registry.c: an OCI registry through skopeo (registry.h). */
#include "appliance/registry.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/hash.h"

/* skopeo's first words, with the options every call takes. */
static void
skopeo_argv(struct spawn_argv *a, const struct registry *reg, const char *verb)
{
    spawn_argv_add(a, "skopeo");
    if (reg->tmpdir) {
        spawn_argv_add(a, "--tmpdir");
        spawn_argv_add(a, reg->tmpdir);
    }
    spawn_argv_add(a, verb);
}

/* Whether skopeo's error says the registry answered that there is no such
 * manifest or repository (the distribution API's MANIFEST_UNKNOWN and
 * NAME_UNKNOWN), rather than that it could not be asked. */
static bool
says_unknown(const struct ab_error *err)
{
    for (size_t i = 0; i < err->n_diags; i++)
        if (strstr(err->diags[i].msg, "manifest unknown") ||
            strstr(err->diags[i].msg, "name unknown") ||
            strstr(err->diags[i].msg, "StatusCode: 404"))
            return true;
    return false;
}

int
registry_get_manifest(const struct registry *reg, const char *ref, char **text, size_t *len,
                      char digest[OCI_DIGEST_LEN], struct ab_error *err)
{
    CLEANUP_SPAWN_ARGV struct spawn_argv a = SPAWN_ARGV_INIT;
    CLEANUP_FREE char *url = NULL;
    if (asprintf(&url, "docker://%s", ref) < 0)
        return ab_oom(err);
    skopeo_argv(&a, reg, "inspect");
    spawn_argv_add(&a, "--raw");
    spawn_argv_add(&a, "--retry-times");
    spawn_argv_add(&a, "1");
    spawn_argv_add(&a, url);
    if (a.failed)
        return ab_oom(err);
    char *out = NULL;
    struct ab_error e = AB_ERROR_INIT;
    struct spawn_opts o = {.ctx = reg->spawn, .output = &out};
    if (spawn_run(a.v, &o, &e) < 0) {
        bool unknown = says_unknown(&e);
        if (unknown) {
            ab_error_release(&e);
            return 0;
        }
        for (size_t i = 0; i < e.n_diags; i++)
            ab_build_error(err, e.errnum, "registry '%s': %s", ref, e.diags[i].msg);
        ab_error_release(&e);
        return -1;
    }
    size_t n = strlen(out);
    if (n > OCI_MANIFEST_MAX) {
        free(out);
        return ab_build_error(err, 0, "registry '%s': a manifest larger than %u bytes", ref,
                              OCI_MANIFEST_MAX);
    }
    char hex[HASH_HEX_MAX];
    struct digest_ctx *d = digest_new(DIGEST_SHA256);
    if (!d) {
        free(out);
        return ab_oom(err);
    }
    digest_update(d, out, n);
    digest_hex(d, hex);
    digest_free(d);
    snprintf(digest, OCI_DIGEST_LEN, "sha256:%.64s", hex);
    *text = out;
    *len = n;
    return 1;
}

/* Reads the digest skopeo wrote to path. */
static int
read_digest(const char *path, char digest[OCI_DIGEST_LEN], struct ab_error *err)
{
    CLEANUP_FCLOSE FILE *f = fopen(path, "re");
    char line[128] = "";
    if (!f || !fgets(line, sizeof(line), f))
        return ab_build_error(err, errno, "skopeo wrote no digest to '%s'", path);
    line[strcspn(line, "\r\n")] = '\0';
    if (!oci_digest_ok(line))
        return ab_build_error(err, 0, "skopeo wrote '%.80s', not a digest", line);
    memcpy(digest, line, OCI_DIGEST_LEN);
    return 0;
}

int
registry_push(const struct registry *reg, const char *source, const char *ref,
              char digest[OCI_DIGEST_LEN], struct ab_error *err)
{
    CLEANUP_SPAWN_ARGV struct spawn_argv a = SPAWN_ARGV_INIT;
    CLEANUP_FREE char *dst = NULL, *digest_file = NULL;
    const char *tmp = reg->tmpdir ? reg->tmpdir : getenv("TMPDIR");
    if (asprintf(&dst, "docker://%s", ref) < 0 ||
        asprintf(&digest_file, "%s/appliance-digest.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
        return ab_oom(err);
    int fd = mkstemp(digest_file);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", digest_file, strerror(errno));
    close(fd);
    skopeo_argv(&a, reg, "copy");
    spawn_argv_add(&a, "--quiet");
    spawn_argv_add(&a, "--preserve-digests");
    spawn_argv_add(&a, "--retry-times");
    spawn_argv_add(&a, "1");
    spawn_argv_add(&a, "--digestfile");
    spawn_argv_add(&a, digest_file);
    spawn_argv_add(&a, source);
    spawn_argv_add(&a, dst);
    int r = a.failed ? ab_oom(err) : 0;
    struct spawn_opts o = {.ctx = reg->spawn};
    if (r == 0)
        r = spawn_run(a.v, &o, err);
    if (r == 0 && digest)
        r = read_digest(digest_file, digest, err);
    unlink(digest_file);
    if (r < 0)
        ab_error_prefix(err, "while pushing to '%s'", ref);
    return r;
}

int
registry_pull(const struct registry *reg, const char *ref, const char *layout, const char *tag,
              uint64_t max_blob, struct ab_error *err)
{
    CLEANUP_SPAWN_ARGV struct spawn_argv a = SPAWN_ARGV_INIT;
    CLEANUP_FREE char *src = NULL, *dst = NULL, *fsize = NULL;
    if (!strchr(ref, '@'))
        return ab_build_error(err, 0, "'%s' is not pinned by a digest", ref);
    /* The bound on what a hostile registry can make skopeo write: every
     * file at most the largest blob judged (util-linux's prlimit). */
    if (asprintf(&src, "docker://%s", ref) < 0 || asprintf(&dst, "oci:%s:%s", layout, tag) < 0 ||
        asprintf(&fsize, "--fsize=%" PRIu64, max_blob < OCI_MANIFEST_MAX ? OCI_MANIFEST_MAX
                                                                         : max_blob) < 0)
        return ab_oom(err);
    spawn_argv_add(&a, "prlimit");
    spawn_argv_add(&a, fsize);
    spawn_argv_add(&a, "--");
    skopeo_argv(&a, reg, "copy");
    spawn_argv_add(&a, "--quiet");
    spawn_argv_add(&a, "--preserve-digests");
    spawn_argv_add(&a, "--retry-times");
    spawn_argv_add(&a, "1");
    spawn_argv_add(&a, src);
    spawn_argv_add(&a, dst);
    if (a.failed)
        return ab_oom(err);
    struct spawn_opts o = {.ctx = reg->spawn};
    if (spawn_run(a.v, &o, err) < 0) {
        ab_error_prefix(err, "while pulling '%s'", ref);
        return -1;
    }
    return 0;
}
