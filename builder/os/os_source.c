/* os_source.c: the table of OS sources, and the rootfs source. */
#include "appliance/os_source.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/hash.h"

static const struct os_source *const sources[] = {
    &os_source_debian,
    &os_source_dnf,
    &os_source_rootfs,
};

const struct os_source *
os_source_for(const struct plan *plan)
{
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
        if (sources[i]->handles(plan))
            return sources[i];
    return NULL;
}

static bool
rootfs_handles(const struct plan *plan)
{
    return plan->os.rootfs_abs != NULL;
}

static int
rootfs_key(const struct plan *plan, struct digest_ctx *key, struct ab_error *err)
{
    char hex[HASH_HEX_MAX];
    if (digest_file(DIGEST_SHA256, plan->os.rootfs_abs, hex, err) < 0)
        return -1;
    digest_str(key, "rootfs-1");
    digest_str(key, hex);
    return 0;
}

/* The archive is the tree: copy it into the cache as it is (compressed or
 * not); the extractor checks every entry. */
static int
rootfs_fetch(const struct plan *plan, const char *tar_path, const char *scratch,
             const struct spawn_ctx *ctx, struct ab_error *err)
{
    (void)scratch;
    (void)ctx;
    CLEANUP_CLOSE int in = open(plan->os.rootfs_abs, O_RDONLY | O_CLOEXEC);
    CLEANUP_CLOSE int out = open(tar_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct stat st;
    if (in < 0 || fstat(in, &st) < 0)
        return ab_build_error(err, errno, "cannot read rootfs '%s': %s", plan->os.rootfs,
                              strerror(errno));
    if (out < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", tar_path, strerror(errno));
    for (off_t left = st.st_size; left > 0;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n <= 0)
            return ab_build_error(err, errno, "cannot copy rootfs '%s': %s", plan->os.rootfs,
                                  n < 0 ? strerror(errno) : "file shrank");
        left -= n;
    }
    return 0;
}

const struct os_source os_source_rootfs = {
    .name = "rootfs",
    .handles = rootfs_handles,
    .key = rootfs_key,
    .fetch = rootfs_fetch,
};
