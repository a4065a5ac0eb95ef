/* xfs_host.h: xfs filesystems made on the host, without the appliance.
 *
 * mkfs.xfs -p fills a new filesystem from a protofile (mkfs.xfs(8), "-p
 * protofile"): one line per entry, "NAME MODE UID GID" and then the host
 * file to copy, the symbolic link's target or the device numbers, each
 * directory closed by "$". The filesystem is made in a sparse scratch file
 * of the volume's size, and its data copied into the raw disk at the
 * volume's offset, holes and zero blocks skipped.
 *
 * The protofile carries names, owners, modes with setuid and setgid,
 * regular files, directories, symbolic links, device nodes and fifos. It
 * does not carry the sticky bit (mkfs.xfs reads three octal digits) nor
 * times (every inode gets mkfs.xfs's clock): xfs_db sets them afterwards,
 * atime, mtime, ctime and crtime all the folder's mtime. Nor does it
 * carry hard links, extended attributes (ACLs
 * and SELinux labels included), sockets, names with whitespace or control
 * bytes, or files of 2 GiB or more (mkfs.xfs 6.1 reads each file into one
 * buffer of int size). A folder with any of those is refused, with the
 * reason, and the caller makes that filesystem some other way (the
 * libguestfs appliance, which takes a tar of the folder). */
#ifndef APPLIANCE_XFS_HOST_H
#define APPLIANCE_XFS_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

struct xfs_proto {
    char *text;                   /* the protofile (malloc'd) */
    char *fix;                    /* xfs_db commands that set the times and sticky bits */
    char *refuse;                 /* set: why the folder cannot go through a protofile */
    unsigned long long root_time; /* the folder's mtime as xfs_db writes it, also
                                     given to the inodes mkfs.xfs makes for itself */
};

#define XFS_PROTO_INIT                                                                             \
    {                                                                                              \
        NULL, NULL, NULL, 0                                                                        \
    }

/* Writes the protofile of folder dir into p (dir's own owner and mode are
 * the root's). Returns 0, with p->refuse set (malloc'd, "hard link
 * 'usr/bin/x' (2 links)") when the folder holds what a protofile cannot
 * carry; -1 on a read error or out of memory. Entries are in byte order
 * of their names, so the same folder gives the same text. */
int xfs_host_proto(const char *dir, struct xfs_proto *p, struct ab_error *err);

void xfs_host_proto_release(struct xfs_proto *p);

/* Makes mount m's xfs filesystem from p (written by xfs_host_proto for
 * the folder of m): mkfs.xfs -p in a scratch file under scratch, with the
 * plan's UUID and the volume's name as label, xfs_db for p->fix, then
 * copied into img at the mount's offset. The tools run with ctx (may be
 * NULL): its log and echo. */
int xfs_host_make(const struct plan *plan, const struct plan_mount *m, const char *img,
                  const struct xfs_proto *p, const char *scratch, const struct spawn_ctx *ctx,
                  struct ab_error *err);

/* Copies the data of file src into file dst at byte offset at, skipping
 * holes (SEEK_DATA, SEEK_HOLE) and blocks of zeros: dst must read as zeros
 * there already (a new sparse disk does). */
int xfs_host_copy(const char *src, const char *dst, uint64_t at, struct ab_error *err);

#endif
