/* fsprobe.h: which filesystem (or swap) a volume holds, from its first
 * bytes, the way blkid names it (builder/diskread/fsprobe.c).
 *
 *   ext2/ext3/ext4  the superblock at 1024: magic 0xEF53 at 56, blocks
 *                   and free blocks (with their high halves when 64-bit),
 *                   the block size, UUID at 104, label at 120; ext4 when
 *                   it has a feature ext3 lacks, ext3 with a journal
 *   xfs             the superblock at 0, big-endian: "XFSB", block size,
 *                   data blocks, UUID at 32, AG size and count, label at
 *                   108, free blocks at 144
 *   vfat            a boot sector with a sane BPB, "FAT32   " at 82 (or
 *                   "FAT1x" at 54): the serial number and label after it
 *   swap            "SWAPSPACE2" just before the end of a page (4 to 64
 *                   KiB): UUID and label in the header at 1024
 *
 * and whether a disk's first sector is an MBR partition table. Pure
 * functions of the bytes given, every offset checked against their
 * length: they come from outside (tests/fuzz/fsprobe_fuzz.c). */
#ifndef DISKREAD_FSPROBE_H
#define DISKREAD_FSPROBE_H

#include <stddef.h>
#include <stdint.h>

#define FSPROBE_BYTES 65536 /* the bytes of a volume's start that the probe wants */

struct fs_probe {
    char type[16];  /* blkid's TYPE: "ext4", "xfs", "vfat", "swap" */
    char uuid[40];  /* blkid's form ("xxxxxxxx-xxxx-..." or "ABCD-1234"); "" none */
    char label[64]; /* printable (others '?'); "" none */
    uint64_t block_size;
    int64_t used; /* bytes, from the superblock's free count; -1: unknown */
};

/* buf holds the first len bytes of a volume of size bytes: 1 with *p
 * filled when they hold a filesystem or swap, 0 when not. */
int fs_probe(const unsigned char *buf, size_t len, uint64_t size, struct fs_probe *p);

/* 1 when sector (512 bytes) is an MBR with at least one partition (and
 * not a FAT boot sector), 0 when not. */
int fs_probe_mbr(const unsigned char *sector, size_t len);

#endif
