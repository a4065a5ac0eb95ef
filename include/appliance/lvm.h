/* lvm.h: LVM2's on-disk format, written and read (lvm2's
 * lib/format_text/layout.h, format-text.c, export.c), no lvm2 involved.
 *
 * The one owner of what the program knows of a physical volume's bytes:
 *
 *   PV sector 0-3   label_header: "LABELONE", its own sector number, the
 *                   CRC of the sector from byte 20 on, the offset of the
 *                   pv_header (32) and the type "LVM2 001"
 *   label + 32      pv_header: the PV's UUID (32 characters, no dashes),
 *                   the device size, the list of data areas and the list
 *                   of metadata areas (offset and size each, a pair of
 *                   zeros ends a list), the extension (version 2, flags)
 *   metadata area   mda_header: checksum, magic " LVM2 x[5A%r0N*>",
 *                   version 1, its own start and size, then raw_locns
 *                   (offset from the area's start, size and checksum of
 *                   a metadata text; a zero one ends them)
 *   the text        "VGNAME {\nid = \"...\"\n..." with lvm's quoting
 *
 * Every checksum is lvm's CRC-32 (lvm_crc). The disk engine writes PVs
 * through the encoders (disk/lvm_meta.c, from the plan); convert reads a
 * disk's VG name through lvm_vg_name, which checks every offset and length
 * against the image: the image comes from outside. */
#ifndef APPLIANCE_LVM_H
#define APPLIANCE_LVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "appliance/bytes.h"
#include "appliance/error.h"
#include "appliance/fsutil.h"

#define LVM_LABEL_ID "LABELONE"
#define LVM_LABEL_TYPE "LVM2 001"
#define LVM_MDA_MAGIC " LVM2 x[5A%r0N*>"
#define LVM_CRC_INITIAL UINT32_C(0xf597a6cf)
#define LVM_LABEL_SCAN_SECTORS 4     /* lvm looks for the label in sectors 0-3 */
#define LVM_LABEL_SECTOR 1           /* and writes it in sector 1 */
#define LVM_PV_HEADER_OFFSET 32      /* in the label sector */
#define LVM_MDA_START UINT64_C(4096) /* where lvm puts the first metadata area */
#define LVM_MDA_HEADER_SIZE 512      /* the text follows it */
#define LVM_UUID_LEN 32              /* as stored in the pv_header */
#define LVM_UUID_BUF 39              /* 6-4-4-4-4-4-6 with dashes, and NUL */
#define LVM_VG_NAME_MAX 128
#define LVM_PV_EXT_VERSION 2
#define LVM_PV_EXT_USED 0x1
#define LVM_FMTT_VERSION 1

/* lvm's CRC-32: the reflected polynomial 0xedb88320, no final inversion;
 * lvm starts it at LVM_CRC_INITIAL. */
uint32_t lvm_crc(uint32_t crc, const void *buf, size_t len);

/* A PV's label and pv_header: one data area and one metadata area (all
 * this program writes, and the first of each that it reads). */
struct lvm_pv_header {
    char uuid[LVM_UUID_LEN];         /* not NUL-terminated */
    uint64_t dev_size;               /* bytes */
    uint64_t data_start, data_size;  /* from the PV's start; size 0: to the end */
    bool has_mda;                    /* a metadata area listed: */
    uint64_t mda_start, mda_size;    /* from the PV's start */
    uint32_t ext_version, ext_flags; /* the extension */
};

/* The label sector (sector number LVM_LABEL_SECTOR) for h, CRC included;
 * the rest of the sector zero. */
void lvm_label_encode(unsigned char sector[SECTOR], const struct lvm_pv_header *h);

/* Reads the label sector that is the PV's sector number; 1 with h filled,
 * 0 when it holds no label of its own number, -1 when it holds one whose
 * pv_header offset does not fit the sector. The CRC is not checked: what
 * is read is bounded by the image, whatever the bytes say. */
int lvm_label_decode(const unsigned char sector[SECTOR], uint64_t number, struct lvm_pv_header *h);

/* A metadata area's header with its first raw location. */
struct lvm_mda_header {
    uint64_t start, size;            /* the area, from the PV's start */
    uint64_t text_offset, text_size; /* from the area's start; 0, 0: no text */
    uint32_t text_crc;
};

/* The header for m, its checksum included, the rest zero. */
void lvm_mda_header_encode(unsigned char buf[LVM_MDA_HEADER_SIZE], const struct lvm_mda_header *m);

/* 1 with m filled when buf starts with a header (its magic); 0 when not. */
int lvm_mda_header_decode(const unsigned char buf[LVM_MDA_HEADER_SIZE], struct lvm_mda_header *m);

/* ---- the metadata text ------------------------------------------------ */

/* key = "value"\n, with lvm's escapes for '"' and '\'. */
void lvm_text_put_string(FILE *f, const char *key, const char *value);

/* The VG name at the start of a text of len bytes ("NAME {"): 1 with name
 * set, 0 when the text does not start so. */
int lvm_text_vg_name(const char *text, size_t len, char name[LVM_VG_NAME_MAX]);

/* ---- the metadata text read (lvm_text.c) ------------------------------ */

#define LVM_TEXT_MAX (16u << 20) /* the longest text read */
#define LVM_NAME_BUF 128         /* a VG's, LV's or PV's name in the text */

/* One segment of an LV: only linear ones ("striped" with one stripe) map
 * to a PV; for any other, type says what it is. */
struct lvm_vg_seg {
    uint64_t start_extent, extent_count;
    char type[32];
    bool linear;
    size_t pv;   /* linear: the index of its PV in the VG's pvs */
    uint64_t pe; /* linear: its first physical extent there */
};

struct lvm_vg_lv {
    char name[LVM_NAME_BUF];
    bool visible; /* status holds "VISIBLE": lvs lists it */
    struct lvm_vg_seg *segs;
    size_t n_segs;
};

struct lvm_vg_pv {
    char key[LVM_NAME_BUF];  /* the text's own name for it: "pv0" */
    char uuid[LVM_UUID_LEN]; /* without dashes, not NUL-terminated */
    uint64_t dev_size;       /* sectors */
    uint64_t pe_start;       /* sectors from the PV's start */
    uint64_t pe_count;
};

/* A volume group as its metadata text describes it. */
struct lvm_vg {
    char name[LVM_NAME_BUF];
    char uuid[LVM_UUID_LEN]; /* without dashes, not NUL-terminated */
    uint64_t seqno;
    uint64_t extent_size; /* sectors, not 0 */
    struct lvm_vg_pv *pvs;
    size_t n_pvs;
    struct lvm_vg_lv *lvs;
    size_t n_lvs;
};

/* Parses a metadata text of len bytes (LVM2's config syntax: sections,
 * "key = value", strings, numbers, lists, '#' comments): 1 with *vg
 * filled, 0 when the text is malformed or describes no usable VG (*why
 * a static reason), -1 out of memory. Every number is checked against
 * the others (an extent past its PV, a segment past its LV), never
 * trusted. */
int lvm_text_parse(const char *text, size_t len, struct lvm_vg *vg, const char **why,
                   struct ab_error *err);

/* Frees what vg holds; NULL-safe, vg itself is the caller's. */
void lvm_vg_release(struct lvm_vg *vg);

/* A PV found on a disk, and its metadata. */
struct lvm_pv_found {
    struct lvm_pv_header h;
    char *text; /* its first metadata area's current text (NUL-terminated); NULL: none */
    size_t text_len;
};

/* Reads the PV whose bytes r holds (a partition, a whole disk): 1 with
 * *pv filled (pv->text NULL when it has no metadata text: *why says
 * why), 0 when r holds no PV label, -1 on a read error. A text whose
 * checksum does not match is none. Free pv->text. */
int lvm_pv_read(const struct byte_reader *r, struct lvm_pv_found *pv, const char **why,
                struct ab_error *err);

/* ---- reading a raw image ---------------------------------------------- */

/* Reads the VG name of the raw image open at fd (size bytes): its GPT's
 * first "Linux LVM" partition, or without one the whole disk, read as a
 * PV. Returns 1 with name set; 0 when there is no PV or no VG in it, with
 * *why a static reason ("no LVM physical volume", ...); -1 on a read
 * error. */
int lvm_vg_name(int fd, uint64_t size, char name[LVM_VG_NAME_MAX], const char **why,
                struct ab_error *err);

#endif
