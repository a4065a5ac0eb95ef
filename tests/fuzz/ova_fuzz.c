/* ova_fuzz.c: libFuzzer harness for the two OVA member walkers: ova_read
 * (ova_read.h, libarchive's one pass that inspect, convert and verify
 * make) and tar_member_find (tar_member.h, a member found in place for
 * qemu's raw node, image_check_member and inspect --no-disks).
 *
 * Each input is an OVA, read through a memfd: by ova_read headers only
 * (member data skipped with lseek), then with every digest and every
 * plain member extracted into a scratch folder, as inspect asks for its
 * disks. The second pass must digest the whole file as it is and write
 * nothing outside the scratch folder. Then each member name is looked up
 * with tar_member_find, and a name that no member has (a walk over every
 * header, as when test looks for a disk an OVA lacks, whatever
 * libarchive made of it), and the walkers must agree: a plain member that
 * libarchive read whole is found in place with the same size and the
 * same bytes, or refused (-1), never missed or misplaced, since the
 * bytes judged in place are those qemu reads. Seeds: OVAs that tar
 * writes here and now, in the layouts export_ova.c, VMware and
 * VirtualBox use (ustar, pax, GNU long names; tests/fuzz/seeds.sh). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "appliance/error.h"
#include "appliance/hash.h"
#include "appliance/tar_member.h"
#include "inspect/ova_read.h"

#include "fuzz.h"

static bool
extract_all(void *ctx, const char *name)
{
    (void)ctx, (void)name;
    return true;
}

/* The extracted file at path holds exactly want (size bytes). */
static bool
holds(const char *path, const uint8_t *want, uint64_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    bool same = fstat(fd, &st) == 0 && (uint64_t)st.st_size == size;
    unsigned char buf[4096];
    for (uint64_t at = 0; same && at < size;) {
        size_t n = size - at < sizeof(buf) ? (size_t)(size - at) : sizeof(buf);
        same = pread(fd, buf, n, (off_t)at) == (ssize_t)n && memcmp(buf, want + at, n) == 0;
        at += n;
    }
    close(fd);
    return same;
}

/* The first member named as c->members[i] is, or i. */
static bool
first_of_name(const struct ova_contents *c, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(c->members[j].name, c->members[i].name) == 0)
            return false;
    return true;
}

/* tar_member_find(path, name), checked: 1 found, 0 not, -1 refused. */
static int
find(const char *path, const char *name, size_t size, uint64_t *offset, uint64_t *length)
{
    struct ab_error err = AB_ERROR_INIT;
    int r = tar_member_find(path, name, offset, length, &err);
    if (r < -1 || r > 1 || (r == 1 && (*offset > size || *offset % 512 != 0)))
        abort(); /* data that starts past the end, or off a block */
    if ((r < 0) != ab_error_is_set(&err))
        abort(); /* an error without a message, or the reverse */
    ab_error_release(&err);
    return r;
}

/* Each member as tar_member_find sees it, against libarchive's reading
 * (c: the extracting pass, complete when whole). */
static void
find_each(const char *path, const uint8_t *data, size_t size, const struct ova_contents *c,
          bool whole)
{
    uint64_t offset = 0, length = 0;
    find(path, "absent-from-every-seed.vmdk", size, &offset, &length);
    for (size_t i = 0; i < c->n && i < 64; i++) {
        const struct ova_member *m = &c->members[i];
        int r = find(path, m->name, size, &offset, &length);
        if (!whole || !m->plain || !m->extracted || !first_of_name(c, i) || r < 0)
            continue;
        if (r == 0 || length != m->size || offset + length > size ||
            !holds(m->extracted, data + offset, length))
            abort(); /* judged in place, a plain member is missed or is other bytes */
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[32], scratch[PATH_MAX];
    fuzz_memfd_path(data, size, path);

    struct ab_error err = AB_ERROR_INIT;
    struct ova_contents c = OVA_CONTENTS_INIT;
    struct ova_read_opts skim = {0};
    if (ova_read(path, &skim, &c, &err) == 0 &&
        (c.ovf >= (int)c.n || c.mf >= (int)c.n || (c.ovf >= 0 && !c.ovf_text) ||
         (c.mf >= 0 && !c.mf_text)))
        abort(); /* an index outside the members, a text not kept */
    ova_contents_release(&c);
    ab_error_release(&err);

    snprintf(scratch, sizeof(scratch), "%s/scratch", fuzz_dir());
    if (mkdir(scratch, 0700) < 0)
        abort();
    struct ova_read_opts all = {OVA_READ_DIGESTS, scratch, extract_all, NULL, NULL};
    bool whole = ova_read(path, &all, &c, &err) == 0;
    ab_error_release(&err);
    if (whole) {
        char hex[HASH_HEX_MAX];
        struct digest_ctx *d = digest_new(DIGEST_SHA256);
        digest_update(d, data, size);
        digest_hex(d, hex);
        digest_free(d);
        if (!c.has_whole || strcmp(hex, c.whole_sha256) != 0)
            abort(); /* the whole file's digest is not the file's */
    }
    size_t len = strlen(scratch);
    for (size_t i = 0; i < c.n; i++) {
        const char *x = c.members[i].extracted;
        if (x && (strncmp(x, scratch, len) != 0 || x[len] != '/' || strchr(x + len + 1, '/')))
            abort(); /* a member written outside the scratch folder */
    }
    find_each(path, data, size, &c, whole);
    ova_contents_release(&c);
    fuzz_remove_tree(scratch);
    return 0;
}
