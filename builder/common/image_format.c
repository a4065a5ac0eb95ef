/* image_format.c: the table of disk image formats (image_format.h). The
 * header layouts are those of qemu's block drivers (block/qcow2.h,
 * block/vmdk.c, block/vpc.c, block/vdi.c) and of the formats' own
 * specifications. */
#include "appliance/image_format.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "appliance/bytes.h"

#define QCOW2_EXT_DATA_FILE 0x44415441 /* "DATA" */
#define QCOW2_INCOMPAT_DATA_FILE (UINT64_C(1) << 2)
#define VHD_FIXED 2
#define VDI_STATIC 2

static bool
has_magic(const unsigned char *h, size_t n, const char *magic, size_t len)
{
    return n >= len && memcmp(h, magic, len) == 0;
}

/* ---- qcow2 (block/qcow2.h): big-endian; a backing file at
 * backing_file_offset; with incompatible feature bit 2, an external data
 * file named by header extension 0x44415441. */

static bool
qcow2_probe(const unsigned char *h, size_t n)
{
    return has_magic(h, n, IMAGE_QCOW2_MAGIC, 4);
}

static void
qcow2_extensions(const unsigned char *h, size_t n, uint32_t at, struct image_header *hd)
{
    while ((uint64_t)at + 8 <= n) {
        uint32_t type = get_be32(h + at), len = get_be32(h + at + 4);
        if (type == 0)
            break;
        if (type == QCOW2_EXT_DATA_FILE) {
            size_t room = n - at - 8;
            hd->data_file_at = at + 8;
            hd->data_file_len = len < room ? len : room;
            return;
        }
        if (len > n)
            break;
        at += 8 + ((len + 7) & ~7u);
    }
}

static void
qcow2_read(const unsigned char *h, size_t n, struct image_header *hd)
{
    hd->version = n >= 8 ? get_be32(h + 4) : 0;
    if (hd->version != 2 && hd->version != 3) {
        hd->odd =
            hd->version == 1 ? "a qcow (version 1) image" : "a qcow image of an unknown version";
        return;
    }
    /* The fixed header: 72 bytes in version 2, 104 in version 3. */
    if (n < (hd->version == 3 ? 104u : 72u)) {
        hd->odd = "a truncated qcow2 image";
        return;
    }
    hd->backing_offset = get_be64(h + 8);
    hd->backing_size = get_be32(h + 16);
    hd->data_file = hd->version == 3 && (get_be64(h + 72) & QCOW2_INCOMPAT_DATA_FILE);
    qcow2_extensions(h, n, hd->version == 3 ? get_be32(h + 100) : 72, hd);
}

static const char *
qcow2_options(const struct image_header *hd)
{
    return hd->version == 2 ? "compat=0.10" : "compat=1.1";
}

/* ---- a sparse VMDK (block/vmdk.c, VMDK4Header): little-endian; its
 * capacity, and its embedded descriptor's place, in sectors. */

static bool
vmdk4_probe(const unsigned char *h, size_t n)
{
    return has_magic(h, n, IMAGE_VMDK_MAGIC, 4);
}

static void
vmdk4_read(const unsigned char *h, size_t n, struct image_header *hd)
{
    if (n < 44) {
        hd->odd = "a truncated VMDK";
        return;
    }
    hd->capacity = get_le64(h + 12);
    hd->desc_sector = get_le64(h + 28);
    hd->desc_sectors = get_le64(h + 36);
}

/* ---- VHDX: qemu refuses VHDX images with a parent. */

static bool
vhdx_probe(const unsigned char *h, size_t n)
{
    return has_magic(h, n, IMAGE_VHDX_MAGIC, 8);
}

static const char *
vhdx_options(const struct image_header *hd)
{
    (void)hd;
    return "subformat=dynamic";
}

/* ---- VHD (qemu's "vpc", block/vpc.c): a big-endian footer in the last
 * sector, copied to the first one when dynamic; its disk type at 60. */

static bool
vhd_probe(const unsigned char *h, size_t n)
{
    return n >= SECTOR && has_magic(h, n, IMAGE_VHD_MAGIC, 8);
}

/* VHD's and VDI's types: one differencing (DIFFERENCING in both), the
 * others known only when in mask (1 << type). */
#define DIFFERENCING 4

static void
note_disk_type(struct image_header *hd, uint32_t type, unsigned mask, const char *differencing,
               const char *unknown)
{
    hd->disk_type = type;
    if (type == DIFFERENCING)
        hd->differencing = differencing;
    else if (type >= 32 || !(mask & (1u << type)))
        hd->odd = unknown;
}

static void
vhd_read(const unsigned char *h, size_t n, struct image_header *hd)
{
    (void)n;
    note_disk_type(hd, get_be32(h + 60), 1u << 2 | 1u << 3, "a differencing VHD",
                   "a VHD of an unknown disk type");
}

static const char *
vhd_options(const struct image_header *hd)
{
    return hd->disk_type == VHD_FIXED ? "subformat=fixed,force_size=on"
                                      : "subformat=dynamic,force_size=on";
}

/* ---- VDI (block/vdi.c): little-endian; the signature at 64, the image
 * type at 76. */

static bool
vdi_probe(const unsigned char *h, size_t n)
{
    return n >= 68 && get_le32(h + 64) == IMAGE_VDI_SIGNATURE;
}

static void
vdi_read(const unsigned char *h, size_t n, struct image_header *hd)
{
    note_disk_type(hd, n >= 80 ? get_le32(h + 76) : 0, 1u << 1 | 1u << 2, "a differencing VDI",
                   "a VDI of an unknown image type");
}

static const char *
vdi_options(const struct image_header *hd)
{
    return hd->disk_type == VDI_STATIC ? "static=on" : "";
}

/* ---- a VMDK descriptor file: qemu's vmdk_probe, comment and blank lines,
 * then "version=N"; or the header comment VMware writes. */

static const char *
next_line(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? nl + 1 : NULL;
}

static bool
descriptor_probe(const unsigned char *h, size_t n)
{
    const char *text = (const char *)h;
    (void)n; /* h is NUL-terminated */
    if (strncmp(text, "# Disk DescriptorFile", 21) == 0)
        return true;
    for (const char *p = text; p && *p; p = next_line(p)) {
        const char *q = p + strspn(p, " \t\r");
        if (*q == '#' || *q == '\n')
            continue;
        return strncmp(q, "version=", 8) == 0 && q[8] >= '1' && q[8] <= '3' &&
               (q[9] == '\n' || q[9] == '\r');
    }
    return false;
}

/* ---- raw: whatever else. */

static const char *
raw_options(const struct image_header *hd)
{
    (void)hd;
    return "";
}

/* ---- the formats only refused, by their magic. */

#define MAGIC_PROBE(name)                                                                          \
    static bool probe_##name(const unsigned char *h, size_t n)                                     \
    {                                                                                              \
        return has_magic(h, n, name##_MAGIC, sizeof(name##_MAGIC) - 1);                            \
    }

#define QED_MAGIC "QED\0"
#define COWD_MAGIC "COWD"
#define PARALLELS_MAGIC "WithoutFreeSpace"
#define PARALLELS_EXT_MAGIC "WithouFreSpacExt"
#define BOCHS_MAGIC "Bochs Virtual HD Image"
#define CLOOP_MAGIC "#!/bin/sh\n#V2.0 Format\n"
#define LUKS_MAGIC "LUKS\xba\xbe"
MAGIC_PROBE(QED)
MAGIC_PROBE(COWD)
MAGIC_PROBE(PARALLELS)
MAGIC_PROBE(PARALLELS_EXT)
MAGIC_PROBE(BOCHS)
MAGIC_PROBE(CLOOP)
MAGIC_PROBE(LUKS)

/* In the order the probes are tried. */
static const struct image_format formats[] = {
    {"qcow2", "a qcow2 image", IMAGE_KIND_IMAGE, IMAGE_REF_BACKING | IMAGE_REF_DATA_FILE,
     qcow2_probe, qcow2_read, qcow2_options, false},
    {"vmdk", "a sparse VMDK", IMAGE_KIND_IMAGE, IMAGE_REF_EXTENTS | IMAGE_REF_PARENT, vmdk4_probe,
     vmdk4_read, NULL, false},
    {"vhdx", "a VHDX image", IMAGE_KIND_IMAGE, IMAGE_REF_PARENT, vhdx_probe, NULL, vhdx_options,
     false},
    {"vpc", "a VHD", IMAGE_KIND_IMAGE, IMAGE_REF_PARENT, vhd_probe, vhd_read, vhd_options, true},
    {"vdi", "a VDI", IMAGE_KIND_IMAGE, IMAGE_REF_PARENT, vdi_probe, vdi_read, vdi_options, false},
    {NULL, "a VMDK descriptor", IMAGE_KIND_DESCRIPTOR, IMAGE_REF_EXTENTS | IMAGE_REF_PARENT,
     descriptor_probe, NULL, NULL, false},
    {NULL, "a QED image", IMAGE_KIND_REFUSED, IMAGE_REF_BACKING, probe_QED, NULL, NULL, false},
    {NULL, "a VMDK3 (COWD) image", IMAGE_KIND_REFUSED, IMAGE_REF_PARENT, probe_COWD, NULL, NULL,
     false},
    {NULL, "a Parallels image", IMAGE_KIND_REFUSED, 0, probe_PARALLELS, NULL, NULL, false},
    {NULL, "a Parallels image", IMAGE_KIND_REFUSED, 0, probe_PARALLELS_EXT, NULL, NULL, false},
    {NULL, "a Bochs image", IMAGE_KIND_REFUSED, 0, probe_BOCHS, NULL, NULL, false},
    {NULL, "a cloop image", IMAGE_KIND_REFUSED, 0, probe_CLOOP, NULL, NULL, false},
    {NULL, "a LUKS volume", IMAGE_KIND_REFUSED, 0, probe_LUKS, NULL, NULL, false},
};

static const struct image_format raw = {"raw", "a raw image", IMAGE_KIND_IMAGE, 0,
                                        NULL,  NULL,          raw_options,      false};

const struct image_format *
image_format_probe(const unsigned char *h, size_t n)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i].probe(h, n))
            return &formats[i];
    return NULL;
}

const struct image_format *
image_format_probe_footer(const unsigned char *last, struct image_header *hd)
{
    const struct image_format *vpc = image_format_find("vpc");
    memset(hd, 0, sizeof(*hd));
    if (!vhd_probe(last, SECTOR))
        return NULL;
    vhd_read(last, SECTOR, hd);
    return hd->disk_type == VHD_FIXED ? vpc : NULL;
}

const struct image_format *
image_format_find(const char *name)
{
    if (strcmp(name, raw.name) == 0)
        return &raw;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i].name && strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}

ssize_t
image_pread(int fd, uint64_t offset, uint64_t length, uint64_t at, void *buf, size_t n)
{
    if (at >= length)
        return 0;
    if (n > length - at)
        n = (size_t)(length - at);
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(offset + at + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

int
image_format_read(const struct image_format *f, int fd, uint64_t offset, uint64_t length,
                  struct image_header *hd, struct ab_error *err)
{
    unsigned char h[IMAGE_HEAD_SIZE + 1] = {0};
    uint64_t at = f->footer && length >= SECTOR ? length - SECTOR : 0;
    ssize_t n = image_pread(fd, offset, length, at, h, f->footer ? SECTOR : IMAGE_HEAD_SIZE);
    memset(hd, 0, sizeof(*hd));
    if (n < 0)
        return ab_build_error(err, errno, "cannot read the disk image: %s", strerror(errno));
    h[n] = '\0';
    if (f->read)
        f->read(h, (size_t)n, hd);
    return 0;
}
