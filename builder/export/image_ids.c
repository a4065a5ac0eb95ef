/* image_ids.c: qemu-img's random ids and times, overwritten with derived
 * ones (see image_ids.h). The layouts are those of the formats' own
 * specifications: Microsoft's MS-VHDX (2.2, 2.6) and "Virtual Hard Disk
 * Image Format Specification" (footer), VirtualBox's VDIHeader1 and
 * VMware's "Virtual Disk Format 1.1" (sparse extent header). */
#include "image_ids.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/fsids.h"
#include "appliance/hash.h"
#include "appliance/image_format.h"

/* ---- derived values ---- */

static void
hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned byte = 0;
        if (strlen(hex) >= 2 * (i + 1))
            sscanf(hex + 2 * i, "%2x", &byte);
        out[i] = (unsigned char)byte;
    }
}

void
image_id_key_for(const struct plan *plan, enum plan_disk_id disk, const char *format,
                 struct image_id_key *key)
{
    char hex[HASH_HEX_MAX];
    fsid_digest(plan, "appliance-image-id", plan->disks[disk].id, format, hex);
    hex_to_bytes(hex, key->b, sizeof(key->b));
}

void
image_id_guid(const struct image_id_key *key, const char *what, int mixed, unsigned char out[16])
{
    char hex[HASH_HEX_MAX] = "";
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    if (d) {
        digest_update(d, key->b, sizeof(key->b));
        digest_str(d, what);
        digest_hex(d, hex);
    }
    hex_to_bytes(hex, out, 16);
    /* The version nibble is the high one of time_hi_and_version, which a
     * GUID stores little-endian (its byte 7), a UUID big-endian (byte 6). */
    int v = mixed ? 7 : 6;
    out[v] = (unsigned char)((out[v] & 0x0f) | 0x40);
    out[8] = (unsigned char)((out[8] & 0x3f) | 0x80);
}

uint32_t
image_id_cid(const struct image_id_key *key)
{
    unsigned char b[16];
    image_id_guid(key, "vmdk-cid", 0, b);
    uint32_t cid = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    /* 0 reads as "none", 0xffffffff and 0xfffffffe as "no parent". */
    cid >>= 1;
    return cid ? cid : 1;
}

/* ---- file access ---- */

static int
read_at(int fd, const char *path, void *buf, size_t len, uint64_t off, struct ab_error *err)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        if (n == 0)
            return ab_build_error(err, EINVAL, "cannot read '%s': it ends at %llu", path,
                                  (unsigned long long)(off + got));
        got += (size_t)n;
    }
    return 0;
}

static int
write_at(int fd, const char *path, const void *buf, size_t len, uint64_t off, struct ab_error *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ab_build_error(err, errno, "cannot write '%s': %s", path, strerror(errno));
        done += (size_t)n;
    }
    return 0;
}

/* Opens path for the rewrite, and tells its size. */
static int
open_image(const char *path, uint64_t *size, struct ab_error *err)
{
    struct stat st;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ab_build_error(err, e, "cannot open '%s': %s", path, strerror(e));
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

/* Closes fd, reporting a late write error. */
static int
close_image(int *fd, const char *path, struct ab_error *err)
{
    int f = *fd;
    *fd = -1;
    if (close(f) < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

static int
not_understood(const char *path, const char *format, const char *why, struct ab_error *err)
{
    return ab_build_error(err, EINVAL, "cannot set the ids of %s '%s': %s", format, path, why);
}

static bool
all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* ---- VHDX ---- */

#define VHDX_HEADER_SIZE 4096u
#define VHDX_REGION_SIZE 65536u
#define VHDX_REGION_OFFSET (192u * 1024u)
#define VHDX_METADATA_ENTRY 32u

static const uint64_t vhdx_header_offset[2] = {64u * 1024u, 128u * 1024u};

/* {8B7CA206-4790-4B9A-B8FE-575F050F886E} and {BECA12AB-B2E6-4523-93EF-C309E000C746}
 * as stored (GUID byte order). */
static const unsigned char vhdx_metadata_region[16] = {
    0x06, 0xa2, 0x7c, 0x8b, 0x90, 0x47, 0x9a, 0x4b, 0xb8, 0xfe, 0x57, 0x5f, 0x05, 0x0f, 0x88, 0x6e};
static const unsigned char vhdx_page83[16] = {0xab, 0x12, 0xca, 0xbe, 0xe6, 0xb2, 0x23, 0x45,
                                              0x93, 0xef, 0xc3, 0x09, 0xe0, 0x00, 0xc7, 0x46};

/* CRC-32C (Castagnoli), as VHDX checksums its headers and region tables;
 * crc starts at 0xffffffff and the result is its complement. */
static uint32_t
crc32c_update(uint32_t crc, const unsigned char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (crc & 1 ? 0x82f63b78u : 0);
    }
    return crc;
}

/* The checksum of a VHDX structure whose own checksum, at byte 4, counts
 * as zero. */
static uint32_t
vhdx_checksum(const unsigned char *b, size_t len)
{
    static const unsigned char zero[4];
    uint32_t crc = crc32c_update(0xffffffffu, b, 4);
    crc = crc32c_update(crc, zero, 4);
    return ~crc32c_update(crc, b + 8, len - 8);
}

static bool
vhdx_valid(const unsigned char *b, size_t len, const char *sig)
{
    return memcmp(b, sig, 4) == 0 && get_le32(b + 4) == vhdx_checksum(b, len);
}

/* The offset of the Page 83 item (the virtual disk id) in the file. */
static int
vhdx_page83_offset(int fd, const char *path, uint64_t size, uint64_t *at, struct ab_error *err)
{
    CLEANUP_FREE unsigned char *rt = malloc(VHDX_REGION_SIZE);
    unsigned char table[VHDX_METADATA_ENTRY * 64];
    if (!rt)
        return ab_oom(err);
    if (read_at(fd, path, rt, VHDX_REGION_SIZE, VHDX_REGION_OFFSET, err) < 0)
        return -1;
    if (!vhdx_valid(rt, VHDX_REGION_SIZE, "regi"))
        return not_understood(path, "VHDX", "bad region table", err);
    uint32_t n = get_le32(rt + 8);
    uint64_t meta = 0;
    for (uint32_t i = 0; i < n && 16 + 32 * (i + 1) <= VHDX_REGION_SIZE; i++) {
        const unsigned char *e = rt + 16 + 32 * i;
        if (memcmp(e, vhdx_metadata_region, 16) == 0)
            meta = get_le64(e + 16);
    }
    if (meta == 0 || meta > size - sizeof(table))
        return not_understood(path, "VHDX", "no metadata region", err);
    if (read_at(fd, path, table, sizeof(table), meta, err) < 0)
        return -1;
    if (memcmp(table, "metadata", 8) != 0)
        return not_understood(path, "VHDX", "bad metadata table", err);
    uint16_t entries = get_le16(table + 10);
    for (uint16_t i = 0; i < entries && 32u * (i + 2u) <= sizeof(table); i++) {
        const unsigned char *e = table + 32 * (i + 1);
        if (memcmp(e, vhdx_page83, 16) != 0)
            continue;
        uint32_t off = get_le32(e + 16), len = get_le32(e + 20);
        if (len != 16 || meta + off > size - 16)
            return not_understood(path, "VHDX", "bad Page 83 item", err);
        *at = meta + off;
        return 0;
    }
    return not_understood(path, "VHDX", "no Page 83 item", err);
}

/* Both headers read and checked; cur: the one in use (the higher
 * sequence number). */
static int
vhdx_read_headers(int fd, const char *path, unsigned char h[2][VHDX_HEADER_SIZE], int *cur,
                  struct ab_error *err)
{
    bool ok[2];
    for (int i = 0; i < 2; i++) {
        if (read_at(fd, path, h[i], VHDX_HEADER_SIZE, vhdx_header_offset[i], err) < 0)
            return -1;
        ok[i] = vhdx_valid(h[i], VHDX_HEADER_SIZE, "head");
    }
    if (!ok[0] && !ok[1])
        return not_understood(path, "VHDX", "no valid header", err);
    *cur = !ok[0] || (ok[1] && get_le64(h[1] + 8) > get_le64(h[0] + 8));
    return 0;
}

/* Zeroes the log area: with LogGuid zero it is empty, but qemu-img leaves
 * its replayed entries (with their random log GUID) there. */
static int
vhdx_zero_log(int fd, const char *path, uint64_t size, const unsigned char *h, struct ab_error *err)
{
    uint32_t len = get_le32(h + 68);
    uint64_t off = get_le64(h + 72);
    if (len == 0)
        return 0;
    if (off < 1024 * 1024 || off > size || len > size - off)
        return not_understood(path, "VHDX", "bad log area", err);
    CLEANUP_FREE unsigned char *zeros = calloc(1, len);
    if (!zeros)
        return ab_oom(err);
    return write_at(fd, path, zeros, len, off, err);
}

int
image_ids_vhdx(const char *path, const struct image_id_key *key, struct ab_error *err)
{
    uint64_t size;
    CLEANUP_CLOSE int fd = open_image(path, &size, err);
    unsigned char h[2][VHDX_HEADER_SIZE], sig[8], guid[16];
    int cur = 0;
    uint64_t page83 = 0;
    if (fd < 0 || read_at(fd, path, sig, sizeof(sig), 0, err) < 0)
        return -1;
    if (memcmp(sig, IMAGE_VHDX_MAGIC, 8) != 0)
        return not_understood(path, "VHDX", "no vhdxfile signature", err);
    if (vhdx_read_headers(fd, path, h, &cur, err) < 0 ||
        vhdx_page83_offset(fd, path, size, &page83, err) < 0)
        return -1;
    if (!all_zero(h[cur] + 48, 16))
        return not_understood(path, "VHDX", "its log is not empty", err);
    if (vhdx_zero_log(fd, path, size, h[cur], err) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        /* qemu-img starts the sequence at a random number: the header in
         * use keeps the higher one, 2. */
        put_le64(h[i] + 8, i == cur ? 2 : 1);
        image_id_guid(key, "vhdx-file-write", 1, h[i] + 16);
        image_id_guid(key, "vhdx-data-write", 1, h[i] + 32);
        memset(h[i] + 48, 0, 16); /* LogGuid: no log */
        put_le32(h[i] + 4, vhdx_checksum(h[i], VHDX_HEADER_SIZE));
        if (write_at(fd, path, h[i], VHDX_HEADER_SIZE, vhdx_header_offset[i], err) < 0)
            return -1;
    }
    image_id_guid(key, "vhdx-page83", 1, guid);
    if (write_at(fd, path, guid, sizeof(guid), page83, err) < 0)
        return -1;
    return close_image(&fd, path, err);
}

/* ---- VDI ---- */

#define VDI_HEADER_BYTES 0x1c8u /* the pre-header and VDIHeader1 up to its UUIDs' end */
#define VDI_TYPE_DIFF 4u
#define VDI_UUID_CREATE 0x188u
#define VDI_UUID_MODIFY 0x198u
#define VDI_UUID_LINKAGE 0x1a8u /* then uuidParentModify */

int
image_ids_vdi(const char *path, const struct image_id_key *key, struct ab_error *err)
{
    uint64_t size;
    CLEANUP_CLOSE int fd = open_image(path, &size, err);
    unsigned char h[VDI_HEADER_BYTES];
    if (fd < 0 || read_at(fd, path, h, sizeof(h), 0, err) < 0)
        return -1;
    if (get_le32(h + 0x40) != IMAGE_VDI_SIGNATURE || get_le32(h + 0x44) != 0x00010001u ||
        get_le32(h + 0x48) < VDI_HEADER_BYTES - 0x48)
        return not_understood(path, "VDI", "not a VDI 1.1 header", err);
    if (get_le32(h + 0x4c) == VDI_TYPE_DIFF || !all_zero(h + VDI_UUID_LINKAGE, 32))
        return not_understood(path, "VDI", "a differencing image", err);
    image_id_guid(key, "vdi-create", 1, h + VDI_UUID_CREATE);
    image_id_guid(key, "vdi-modify", 1, h + VDI_UUID_MODIFY);
    if (write_at(fd, path, h + VDI_UUID_CREATE, 32, VDI_UUID_CREATE, err) < 0)
        return -1;
    return close_image(&fd, path, err);
}

/* ---- VHD ---- */

#define VHD_FOOTER 512u
#define VHD_EPOCH 946684800 /* 2000-01-01T00:00:00Z, VHD's time origin */
#define VHD_FIXED 2u
#define VHD_DYNAMIC 3u

/* The one's complement of the sum of the footer's bytes but its checksum. */
static uint32_t
vhd_checksum(const unsigned char *f)
{
    uint32_t sum = 0;
    for (unsigned i = 0; i < VHD_FOOTER; i++)
        if (i < 64 || i >= 68)
            sum += f[i];
    return ~sum;
}

static int
vhd_fix_footer(int fd, const char *path, uint64_t at, const struct image_id_key *key, int64_t epoch,
               uint32_t *type, struct ab_error *err)
{
    unsigned char f[VHD_FOOTER];
    if (read_at(fd, path, f, sizeof(f), at, err) < 0)
        return -1;
    if (memcmp(f, IMAGE_VHD_MAGIC, 8) != 0 || get_be32(f + 64) != vhd_checksum(f))
        return not_understood(path, "VHD", "no valid footer", err);
    *type = get_be32(f + 60);
    if (*type != VHD_FIXED && *type != VHD_DYNAMIC)
        return not_understood(path, "VHD", "neither fixed nor dynamic", err);
    int64_t t = epoch - VHD_EPOCH;
    put_be32(f + 24, t < 0 ? 0 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t);
    image_id_guid(key, "vhd-unique-id", 0, f + 68);
    put_be32(f + 64, vhd_checksum(f));
    return write_at(fd, path, f, sizeof(f), at, err);
}

int
image_ids_vhd(const char *path, const struct image_id_key *key, int64_t epoch, struct ab_error *err)
{
    uint64_t size;
    uint32_t type, first_type;
    CLEANUP_CLOSE int fd = open_image(path, &size, err);
    if (fd < 0)
        return -1;
    if (size < VHD_FOOTER)
        return not_understood(path, "VHD", "too short", err);
    if (vhd_fix_footer(fd, path, size - VHD_FOOTER, key, epoch, &type, err) < 0)
        return -1;
    /* A dynamic VHD starts with a copy of its footer. */
    if (type == VHD_DYNAMIC) {
        if (vhd_fix_footer(fd, path, 0, key, epoch, &first_type, err) < 0)
            return -1;
        if (first_type != type)
            return not_understood(path, "VHD", "its footer copies differ", err);
    }
    return close_image(&fd, path, err);
}

/* ---- VMDK ---- */

#define VMDK_DESC_MAX (1024u * 1024u)

/* The descriptor text with its CID line's value replaced. */
static char *
vmdk_new_descriptor(const char *desc, uint32_t cid)
{
    const char *line = strncmp(desc, "CID=", 4) == 0 ? desc : strstr(desc, "\nCID=");
    if (!line)
        return NULL;
    if (line != desc)
        line++;
    const char *end = strchr(line, '\n');
    char *out;
    if (asprintf(&out, "%.*sCID=%08x%s", (int)(line - desc), desc, (unsigned)cid, end ? end : "") <
        0)
        return NULL;
    return out;
}

int
image_ids_vmdk(const char *path, const struct image_id_key *key, struct ab_error *err)
{
    uint64_t size;
    CLEANUP_CLOSE int fd = open_image(path, &size, err);
    unsigned char h[SECTOR];
    if (fd < 0 || read_at(fd, path, h, sizeof(h), 0, err) < 0)
        return -1;
    uint64_t off = get_le64(h + 28) * SECTOR, len = get_le64(h + 36) * SECTOR;
    if (memcmp(h, IMAGE_VMDK_MAGIC, 4) != 0 || off == 0 || len == 0 || len > VMDK_DESC_MAX ||
        off > size || len > size - off)
        return not_understood(path, "VMDK", "no embedded descriptor", err);
    CLEANUP_FREE char *desc = calloc(1, len + 1), *text = NULL;
    if (!desc)
        return ab_oom(err);
    if (read_at(fd, path, desc, len, off, err) < 0)
        return -1;
    if (!(text = vmdk_new_descriptor(desc, image_id_cid(key))))
        return not_understood(path, "VMDK", "no CID in the descriptor", err);
    size_t n = strlen(text);
    if (n >= len)
        return not_understood(path, "VMDK", "no room for the descriptor", err);
    /* The new text, then zeros to the end of the descriptor's sectors. */
    memset(desc, 0, len);
    memcpy(desc, text, n);
    if (write_at(fd, path, desc, len, off, err) < 0)
        return -1;
    return close_image(&fd, path, err);
}

/* ---- by format ---- */

int
image_ids_rewrite(const char *path, const char *format, const struct image_id_key *key,
                  int64_t epoch, struct ab_error *err)
{
    if (strcmp(format, "vhdx") == 0)
        return image_ids_vhdx(path, key, err);
    if (strcmp(format, "vdi") == 0)
        return image_ids_vdi(path, key, err);
    if (strcmp(format, "vpc") == 0)
        return image_ids_vhd(path, key, epoch, err);
    if (strcmp(format, "vmdk") == 0)
        return image_ids_vmdk(path, key, err);
    return 0;
}
