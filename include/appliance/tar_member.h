/* tar_member.h: where a member's data lies in a tar file (an OVA), for
 * tools that read it in place (qemu through a raw node with an offset and
 * a size, image_check_member) instead of extracting it. */
#ifndef APPLIANCE_TAR_MEMBER_H
#define APPLIANCE_TAR_MEMBER_H

#include <stdint.h>

#include "appliance/error.h"

/* Where the member named member ("./" prefixes ignored) lies in the tar
 * (ustar, pax or GNU) file at path, as libarchive reads its headers.
 * Returns 1 found, 0 not there, -1 on a read error, a damaged tar, or a
 * first member of that name that is not a regular file stored whole in
 * the file (a link, a sparse file, one cut short). */
int tar_member_find(const char *path, const char *member, uint64_t *offset, uint64_t *size,
                    struct ab_error *err);

#endif
