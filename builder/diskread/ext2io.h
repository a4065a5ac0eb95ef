/* ext2io.h: libext2fs's I/O on a volume inside a disk image
 * (builder/diskread/ext2io.c).
 *
 * libext2fs reads a filesystem through an io_manager, which opens a
 * channel by name. This one's channels read a struct volume (volume.h):
 * a partition or a logical volume of an image read in place or served by
 * qemu-nbd. The name handed to ext2fs_open2 carries the volume's address
 * (ext2io_name), so that no table of open volumes is kept. Writes go to
 * the volume only when it was opened writable. */
#ifndef DISKREAD_EXT2IO_H
#define DISKREAD_EXT2IO_H

#include <ext2fs/ext2fs.h>

#include "volume.h"

#define EXT2IO_NAME_BUF 48

/* The io_manager. */
io_manager ext2io_manager(void);

/* The name of v's channel, for ext2fs_open2 with ext2io_manager(). */
void ext2io_name(struct volume *v, char out[EXT2IO_NAME_BUF]);

#endif
