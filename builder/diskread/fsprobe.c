/* fsprobe.c: a volume's filesystem from its first bytes (fsprobe.h). */
#include "fsprobe.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "appliance/bytes.h"

/* ext2's superblock, at byte 1024 of the volume. */
#define EXT_SB 1024
#define EXT_MAGIC 0xEF53
#define EXT_COMPAT_HAS_JOURNAL 0x4
#define EXT_INCOMPAT_JOURNAL_DEV 0x8
#define EXT_INCOMPAT_64BIT 0x80
/* What ext2 and ext3 know: a filesystem with more is ext4 (blkid's rule). */
#define EXT3_RO_COMPAT_SUPP 0x7 /* sparse_super, large_file, btree_dir */
#define EXT3_INCOMPAT_SUPP 0x16 /* filetype, recover, meta_bg */
#define EXT2_INCOMPAT_SUPP 0x12 /* filetype, meta_bg */

static bool
has(const unsigned char *buf, size_t len, size_t off, const void *magic, size_t n)
{
    return off <= len && n <= len - off && memcmp(buf + off, magic, n) == 0;
}

static void
format_uuid(const unsigned char *u, char out[40])
{
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

static bool
all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* A label of up to n bytes, NUL- or space-padded; others than printable
 * ASCII and UTF-8's bytes become '?'. */
static void
copy_label(const unsigned char *p, size_t n, bool trim_spaces, char out[64])
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < 63 && p[i]; i++)
        out[o++] = p[i] < 0x20 || p[i] == 0x7f ? '?' : (char)p[i];
    while (trim_spaces && o && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

static int
probe_ext(const unsigned char *buf, size_t len, struct fs_probe *p)
{
    if (len < EXT_SB + 1024 || get_le16(buf + EXT_SB + 56) != EXT_MAGIC)
        return 0;
    const unsigned char *sb = buf + EXT_SB;
    uint32_t compat = get_le32(sb + 92), incompat = get_le32(sb + 96), ro = get_le32(sb + 100);
    uint32_t log = get_le32(sb + 24);
    if (incompat & EXT_INCOMPAT_JOURNAL_DEV || log > 6)
        return 0;
    bool beyond3 = (ro & ~EXT3_RO_COMPAT_SUPP) || (incompat & ~EXT3_INCOMPAT_SUPP);
    bool journal = compat & EXT_COMPAT_HAS_JOURNAL;
    const char *type = beyond3                            ? "ext4"
                       : journal                          ? "ext3"
                       : (incompat & ~EXT2_INCOMPAT_SUPP) ? "ext4"
                                                          : "ext2";
    snprintf(p->type, sizeof(p->type), "%s", type);
    if (!all_zero(sb + 104, 16))
        format_uuid(sb + 104, p->uuid);
    copy_label(sb + 120, 16, false, p->label);
    uint64_t blocks = get_le32(sb + 4), free = get_le32(sb + 12);
    if (incompat & EXT_INCOMPAT_64BIT) {
        blocks |= (uint64_t)get_le32(sb + 0x150) << 32;
        free |= (uint64_t)get_le32(sb + 0x158) << 32;
    }
    p->block_size = UINT64_C(1024) << log;
    p->used = free <= blocks && blocks - free <= INT64_MAX / p->block_size
                  ? (int64_t)((blocks - free) * p->block_size)
                  : -1;
    return 1;
}

static bool
power_of_two(uint64_t v)
{
    return v && (v & (v - 1)) == 0;
}

static int
probe_xfs(const unsigned char *buf, size_t len, struct fs_probe *p)
{
    if (len < 512 || memcmp(buf, "XFSB", 4) != 0)
        return 0;
    uint32_t bsize = get_be32(buf + 4), agblocks = get_be32(buf + 84), agcount = get_be32(buf + 88);
    uint64_t dblocks = get_be64(buf + 8), fdblocks = get_be64(buf + 144);
    if (!power_of_two(bsize) || bsize < 512 || bsize > 65536 || dblocks == 0 || agblocks == 0 ||
        agcount == 0)
        return 0;
    snprintf(p->type, sizeof(p->type), "xfs");
    if (!all_zero(buf + 32, 16))
        format_uuid(buf + 32, p->uuid);
    copy_label(buf + 108, 12, false, p->label);
    p->block_size = bsize;
    p->used = fdblocks <= dblocks && dblocks - fdblocks <= INT64_MAX / bsize
                  ? (int64_t)((dblocks - fdblocks) * bsize)
                  : -1;
    return 1;
}

/* A boot sector's BPB that FAT would accept. */
static bool
fat_bpb(const unsigned char *b)
{
    unsigned bps = get_le16(b + 11), spc = b[13], fats = b[16], media = b[21];
    return (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) && power_of_two(spc) &&
           get_le16(b + 14) > 0 && (fats == 1 || fats == 2) && (media >= 0xf8 || media == 0xf0);
}

static int
probe_vfat(const unsigned char *buf, size_t len, struct fs_probe *p)
{
    if (len < 512 || buf[510] != 0x55 || buf[511] != 0xaa || !fat_bpb(buf))
        return 0;
    size_t serial;
    if (memcmp(buf + 82, "FAT32   ", 8) == 0)
        serial = 67;
    else if (memcmp(buf + 54, "FAT1", 4) == 0)
        serial = 39;
    else
        return 0;
    snprintf(p->type, sizeof(p->type), "vfat");
    const unsigned char *s = buf + serial;
    snprintf(p->uuid, sizeof(p->uuid), "%02X%02X-%02X%02X", s[3], s[2], s[1], s[0]);
    copy_label(buf + serial + 4, 11, true, p->label);
    if (strcmp(p->label, "NO NAME") == 0)
        p->label[0] = '\0';
    p->used = -1;
    return 1;
}

static int
probe_swap(const unsigned char *buf, size_t len, struct fs_probe *p)
{
    for (size_t page = 4096; page <= 65536; page *= 2) {
        if (!has(buf, len, page - 10, "SWAPSPACE2", 10) &&
            !has(buf, len, page - 10, "SWAP-SPACE", 10))
            continue;
        snprintf(p->type, sizeof(p->type), "swap");
        if (has(buf, len, page - 10, "SWAPSPACE2", 10) && len >= 1024 + 44) {
            if (!all_zero(buf + 1036, 16))
                format_uuid(buf + 1036, p->uuid);
            copy_label(buf + 1052, 16, false, p->label);
        }
        p->used = -1;
        return 1;
    }
    return 0;
}

int
fs_probe(const unsigned char *buf, size_t len, uint64_t size, struct fs_probe *p)
{
    *p = (struct fs_probe){.used = -1};
    if (size < len)
        len = (size_t)size;
    if (probe_ext(buf, len, p) || probe_xfs(buf, len, p) || probe_swap(buf, len, p) ||
        probe_vfat(buf, len, p))
        return 1;
    *p = (struct fs_probe){.used = -1};
    return 0;
}

int
fs_probe_mbr(const unsigned char *s, size_t len)
{
    if (len < 512 || s[510] != 0x55 || s[511] != 0xaa || fat_bpb(s))
        return 0;
    bool any = false;
    for (int i = 0; i < 4; i++) {
        const unsigned char *e = s + 446 + 16 * i;
        if (e[0] != 0 && e[0] != 0x80)
            return 0;
        any |= e[4] != 0 && get_le32(e + 12) != 0;
    }
    return any;
}
