/* tar_member.c: a tar member's data found in place, without extracting it.
 *
 * The headers are libarchive's to read, as for every other reading of an
 * OVA (ova_read.c): one reader of the format, so that the member found
 * here is the one inspect digested and extracted, whatever pax records,
 * GNU long names or base-256 sizes the archive holds. */
#include "appliance/tar_member.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"

static int
archive_failed(struct archive *a, const char *path, struct ab_error *err)
{
    const char *msg = archive_error_string(a);
    return ab_build_error(err, archive_errno(a) > 0 ? archive_errno(a) : EIO, "cannot read '%s': %s",
                          path, msg ? msg : "damaged tar archive");
}

/* Where the data of the entry just read lies: the bytes libarchive has
 * consumed, its headers' included. Only a regular file stored whole can
 * be read in place: not a link (a hard link's data is another entry's), not a
 * sparse file (its holes are not in the archive). */
static int
entry_place(struct archive *a, struct archive_entry *e, const char *path, const char *member,
            uint64_t file_size, uint64_t *offset, uint64_t *size, struct ab_error *err)
{
    la_int64_t at = archive_filter_bytes(a, 0), len = archive_entry_size(e);
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
        archive_entry_symlink(e) || archive_entry_sparse_count(e) > 0 ||
        !archive_entry_size_is_set(e))
        return ab_build_error(err, 0,
                              "member '%s' of '%s' is not a regular file stored whole: it cannot "
                              "be read in place",
                              member, path);
    if (at < 0 || len < 0 || (uint64_t)at > file_size || (uint64_t)len > file_size - (uint64_t)at)
        return ab_build_error(err, EIO, "cannot read '%s': member '%s' goes past its end", path,
                              member);
    *offset = (uint64_t)at;
    *size = (uint64_t)len;
    return 1;
}

int
tar_member_find(const char *path, const char *member, uint64_t *offset, uint64_t *size,
                struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    struct archive *a = archive_read_new();
    if (!a)
        return ab_oom(err);
    /* Plain tar only: a member of a compressed archive has no place. */
    archive_read_support_format_tar(a);
    int rc = 0;
    if (archive_read_open_fd(a, fd, 10240) != ARCHIVE_OK)
        rc = archive_failed(a, path, err);
    while (rc == 0) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            rc = archive_failed(a, path, err);
            break;
        }
        const char *name = archive_entry_pathname(e);
        if (name && strncmp(name, "./", 2) == 0)
            name += 2;
        if (name && strcmp(name, member) == 0)
            rc = entry_place(a, e, path, member, (uint64_t)st.st_size, offset, size, err);
    }
    archive_read_free(a);
    return rc;
}
