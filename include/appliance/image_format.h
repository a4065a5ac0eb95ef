/* image_format.h: the disk image formats, one row each, in the manner of
 * QEMU's BlockDriver (block/qcow2.c, vmdk.c, vhdx.c, vpc.c, vdi.c).
 *
 * The one owner of what the program knows of an image's header: each row
 * has qemu's driver name, the probe that tells the format from the image's
 * first bytes (its magic), the references to other files an image of it
 * may carry, the header fields read, and the options qemu-img create
 * takes to make an image of it as it was made. The reference check
 * (image_check.c: what to refuse, said how) asks it for the format and the
 * fields; inspect reaches it through the check; resize asks it for the
 * create options of the image it rewrites.
 *
 * Besides the formats appliance vouches for (qcow2 2 and 3, a sparse
 * VMDK, VHDX, VHD, VDI, and raw for anything else) the table holds those
 * it recognises only to refuse: a VMDK descriptor file (its data are in
 * other files), qcow 1 (by its version), QED, VMDK3 "COWD", Parallels,
 * Bochs, cloop, LUKS. */
#ifndef APPLIANCE_IMAGE_FORMAT_H
#define APPLIANCE_IMAGE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "appliance/error.h"

#define IMAGE_FORMAT_MAX 8

/* The magic numbers, for the writers and editors of images too (the VMDK
 * writer, export's image_ids.c). */
#define IMAGE_QCOW2_MAGIC "QFI\xfb"     /* at 0 */
#define IMAGE_VMDK_MAGIC "KDMV"         /* at 0: a sparse extent */
#define IMAGE_VHDX_MAGIC "vhdxfile"     /* at 0 */
#define IMAGE_VHD_MAGIC "conectix"      /* at 0 of the footer */
#define IMAGE_VDI_SIGNATURE 0xbeda107fu /* at 64, little-endian */
#define IMAGE_HEAD_SIZE 4096 /* what the probes and the header readers see */

/* The references to other files an image of a format may carry. */
enum image_refs {
    IMAGE_REF_BACKING = 1 << 0,   /* qcow2's backing file */
    IMAGE_REF_DATA_FILE = 1 << 1, /* qcow2's external data file */
    IMAGE_REF_EXTENTS = 1 << 2,   /* a VMDK descriptor's extents */
    IMAGE_REF_PARENT = 1 << 3,    /* a VMDK's parent; a differencing VHD, VDI, VHDX */
};

enum image_kind {
    IMAGE_KIND_IMAGE,      /* a format appliance opens, once checked */
    IMAGE_KIND_DESCRIPTOR, /* a VMDK descriptor file: no data of its own */
    IMAGE_KIND_REFUSED,    /* a format appliance cannot vouch for */
};

/* The header fields read, as stored (nothing is checked but the bounds
 * of the bytes seen).
 *
 * odd: set when the header is of a kind not vouched for ("a qcow (version
 * 1) image", "a truncated VMDK", "a VHD of an unknown disk type", ...).
 * qcow2: version; backing_offset (0: none) and backing_size; data_file,
 * incompatible feature bit 2 (v3); data_file_at and data_file_len, the
 * name in header extension 0x44415441 as bytes of the head (0, 0: none).
 * VMDK: capacity, desc_sector and desc_sectors, in sectors. VHD: disk_type
 * 2 fixed, 3 dynamic, 4 differencing; VDI: 1 dynamic, 2 static, 4
 * differencing. differencing: set for an image whose parent is another
 * file ("a differencing VHD", "a differencing VDI"). */
struct image_header {
    const char *odd;
    uint32_t version;
    uint64_t backing_offset;
    uint32_t backing_size;
    bool data_file;
    size_t data_file_at, data_file_len;
    uint64_t capacity;
    uint64_t desc_sector, desc_sectors;
    uint32_t disk_type;
    const char *differencing;
};

struct image_format {
    const char *name; /* qemu's driver: "qcow2", "vmdk", ...; the refused ones: NULL */
    const char *what; /* as messages name it: "a QED image", ... */
    enum image_kind kind;
    unsigned refs; /* enum image_refs */
    /* True when the head (n bytes, NUL after them) is of this format. */
    bool (*probe)(const unsigned char *h, size_t n);
    /* The header fields, from the head; NULL: none read. */
    void (*read)(const unsigned char *h, size_t n, struct image_header *hd);
    /* qemu-img create's -o for an image like this one; NULL: the options
     * are in the image's descriptor (VMDK: resize reads it). */
    const char *(*create_options)(const struct image_header *hd);
    bool footer; /* its header is (also) its last sector: VHD */
};

/* The row whose probe takes the head h (n bytes, h[n] == 0); NULL: raw,
 * unless a footer says otherwise (image_format_probe_footer). */
const struct image_format *image_format_probe(const unsigned char *h, size_t n);

/* The row a fixed image's last sector names (a fixed VHD's footer), with
 * its fields read into hd; NULL when none. */
const struct image_format *image_format_probe_footer(const unsigned char *last,
                                                     struct image_header *hd);

/* The row of qemu's driver name; NULL for one not in the table. */
const struct image_format *image_format_find(const char *name);

/* Up to n bytes at at of the image that is the length bytes at offset in
 * fd; fewer at its end. -1 on a read error (errno set). */
ssize_t image_pread(int fd, uint64_t offset, uint64_t length, uint64_t at, void *buf, size_t n);

/* The header fields of the image of format f that is the length bytes at
 * offset in fd: its head, and for a VHD its footer. -1 on a read error. */
int image_format_read(const struct image_format *f, int fd, uint64_t offset, uint64_t length,
                      struct image_header *hd, struct ab_error *err);

#endif
