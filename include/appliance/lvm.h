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
 * through the encoders (disk/lvm_meta.c, from the plan, and again for
 * resize); inspect (diskread/), resize and convert read a disk's PV and
 * VG through lvm_pv_read, over any byte_reader (a file, an NBD export, a
 * partition inside one), which checks every offset, length and checksum
 * against the bytes, and parses its text with lvm_vg_parse (lvm_text.c),
 * bounded: the image comes from outside. */
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
#define LVM_VG_NAME_MAX 128          /* lvm2's NAME_LEN: a VG's or LV's name and NUL */
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
    unsigned n_data, n_mda;          /* how many of each the lists hold (decoded) */
};

/* The label sector (sector number LVM_LABEL_SECTOR) for h, CRC included;
 * the rest of the sector zero. */
void lvm_label_encode(unsigned char sector[SECTOR], const struct lvm_pv_header *h);

/* Reads the label sector that is the PV's sector number; 1 with h filled,
 * 0 when it holds no label of its own number, -1 when it holds one whose
 * pv_header offset does not fit the sector. The CRC is not checked: what
 * is read is bounded by the image, whatever the bytes say. */
int lvm_label_decode(const unsigned char sector[SECTOR], uint64_t number, struct lvm_pv_header *h);

/* Sets the device size in a label sector that lvm_label_decode accepted
 * (its pv_header where the label says) and its CRC anew. */
void lvm_label_set_dev_size(unsigned char sector[SECTOR], uint64_t dev_size);

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

/* Whether the header's own checksum is right. */
bool lvm_mda_header_crc_ok(const unsigned char buf[LVM_MDA_HEADER_SIZE]);

/* ---- the metadata text ------------------------------------------------ */

/* key = "value"\n, with lvm's escapes for '"' and '\'. */
void lvm_text_put_string(FILE *f, const char *key, const char *value);

/* lvm's quoting of value, with the quotes. */
void lvm_text_put_quoted(FILE *f, const char *value);

/* ---- the metadata text as a tree (lvm_text.c) ------------------------- */

/* lvm2's configuration syntax, which its metadata text is written in:
 * `key = value`, `name { ... }` sections, values that are numbers,
 * "strings" (with \-escapes) or [lists, of, them], # comments. */
enum lvm_cfg_type { LVM_CFG_SECTION, LVM_CFG_NUMBER, LVM_CFG_STRING, LVM_CFG_ARRAY };

struct lvm_cfg {
    char *key; /* NULL: an array's element, or the root */
    enum lvm_cfg_type type;
    char *str;             /* STRING: the value unescaped; NUMBER: its text as written */
    int64_t num;           /* NUMBER: its value ... */
    bool is_int;           /* ... when it is an integer that fits */
    struct lvm_cfg *child; /* a section's entries, an array's elements */
    struct lvm_cfg *next;
};

/* The most a text may nest, and the most entries it may have. */
#define LVM_CFG_DEPTH 16
#define LVM_CFG_NODES 200000
/* The longest metadata text read from an image. */
#define LVM_TEXT_MAX (16u << 20)

/* Parses len bytes of text (a NUL ends it early): the root, a section
 * without a key holding the top-level entries; NULL with *why set (a
 * static reason, "at byte N" not included) when the text breaks the syntax
 * or the bounds above, or memory runs out. */
struct lvm_cfg *lvm_cfg_parse(const char *text, size_t len, const char **why);

/* Frees a tree; NULL-safe. */
void lvm_cfg_free(struct lvm_cfg *c);

/* The first entry of section named key; NULL when none. */
struct lvm_cfg *lvm_cfg_get(const struct lvm_cfg *section, const char *key);

/* Sets section's entry key to the integer v (added at the end when it has
 * none, made a number when it was something else). -1: out of memory. */
int lvm_cfg_set_int(struct lvm_cfg *section, const char *key, int64_t v);

/* Adds an empty section, or a string or number entry, at the end of
 * section; array elements are added to an array with key NULL. NULL: out
 * of memory. */
struct lvm_cfg *lvm_cfg_add(struct lvm_cfg *section, const char *key, enum lvm_cfg_type type);
struct lvm_cfg *lvm_cfg_add_string(struct lvm_cfg *section, const char *key, const char *v);
struct lvm_cfg *lvm_cfg_add_int(struct lvm_cfg *section, const char *key, int64_t v);

/* Removes and frees every entry of section named prefix and a number
 * ("segment1", "segment2", ...). */
void lvm_cfg_remove_numbered(struct lvm_cfg *section, const char *prefix);

/* Writes the root's entries as text lvm2 reads (comments are not kept). */
void lvm_cfg_print(FILE *f, const struct lvm_cfg *root);

/* ---- a volume group, as its text says ---------------------------------- */

/* What a VG's text says of it, read by lvm_vg_parse: sizes in bytes (the
 * text has sectors), strings borrowed from the tree. Each LV's segments
 * in order; a linear one maps extent_count extents from the LV's
 * start_extent to the PV's pe (lvm's "striped" type with one stripe). */
struct lvm_seg {
    uint64_t start, count; /* extents of the LV */
    size_t pv;             /* index into the VG's pvs */
    uint64_t pe;           /* its first extent on that PV */
};

struct lvm_lv {
    const char *name, *uuid;
    struct lvm_cfg *node;
    bool visible;     /* its status lists "VISIBLE": lvs shows it */
    bool linear;      /* every segment one stripe: segs is filled */
    const char *type; /* not linear: the type of its first segment that is not */
    uint64_t extents; /* its size */
    struct lvm_seg *segs;
    size_t n_segs;
};

struct lvm_vg_pv {
    const char *key, *uuid; /* "pv0", lvm's form with dashes */
    struct lvm_cfg *node;
    uint64_t dev_size, pe_start, pe_count; /* bytes, bytes, extents */
};

/* The tag the build puts on each VG: "appliance.disk=" and the disk's
 * role ("os", "app"), so that the lifecycle commands know a disk whatever
 * the recipe named its VG. */
#define LVM_ROLE_TAG "appliance.disk="
#define LVM_ROLE_MAX 16

struct lvm_vg {
    struct lvm_cfg *root, *node; /* the whole text, and the VG's section */
    const char *name, *uuid;
    uint64_t seqno, extent_size; /* extent_size in bytes */
    char role[LVM_ROLE_MAX];     /* from LVM_ROLE_TAG; "" without one */
    struct lvm_vg_pv *pvs;
    size_t n_pvs;
    struct lvm_lv *lvs; /* in the text's order: the order they were made in */
    size_t n_lvs;
};

/* Parses a VG's metadata text into vg (which then owns the tree): 0, or -1
 * with *why set when the text is not one lvm2 would accept as far as this
 * reads it: the syntax, every number in range, every linear segment in
 * its PV and in no other's place, each LV's segments in order. An LV of
 * another kind (thin, RAID, ...) is read, marked not linear. -2: out of
 * memory. */
int lvm_vg_parse(const char *text, size_t len, struct lvm_vg *vg, const char **why);

void lvm_vg_release(struct lvm_vg *vg);

/* The VG's LV of that name; NULL when none. */
struct lvm_lv *lvm_vg_lv(const struct lvm_vg *vg, const char *name);

/* The index in vg->pvs of the PV whose UUID is uuid (as a pv_header holds
 * it, without dashes); SIZE_MAX when the VG has none such. */
size_t lvm_vg_pv_index(const struct lvm_vg *vg, const char uuid[LVM_UUID_LEN]);

/* ---- reading a PV (lvm.c) ------------------------------------------------ */

/* One PV read whole: its label, its first metadata area's header and
 * text, and the VG the text describes. */
struct lvm_pv {
    uint64_t start, size;        /* the reader's window: r->offset, r->size */
    bool labelled;               /* a label was found: header holds it */
    unsigned label_sector;       /* 0-3, from the PV's start */
    unsigned char label[SECTOR]; /* the sector as read */
    struct lvm_pv_header header;
    struct lvm_mda_header mda;
    char *text; /* the metadata text as read (NUL-terminated) */
    size_t text_len;
    struct lvm_vg vg;
    size_t index; /* this PV in vg.pvs */
};

/* Reads the PV whose bytes r holds (a partition, a whole disk, a logical
 * window of an image): 1 with pv filled; 0 with *why (static) when it is
 * no PV read whole (no label, no metadata area, no VG, a checksum wrong,
 * a text lvm_vg_parse refuses, the VG's PV not this one), pv->labelled
 * then saying whether it has a label (pv->header); -1 on a read error.
 * Of several metadata areas the first is read (header.n_mda says how
 * many). After 1, lvm_pv_release; after 0 or -1 pv holds nothing to
 * free. */
int lvm_pv_read(const struct byte_reader *r, struct lvm_pv *pv, const char **why,
                struct ab_error *err);

/* lvm_pv_read of the raw image open at fd (size bytes): its GPT's first
 * "Linux LVM" partition, or without one (or with a damaged one) the whole
 * image, read as a PV. */
int lvm_image_pv_read(int fd, uint64_t size, struct lvm_pv *pv, const char **why,
                      struct ab_error *err);

void lvm_pv_release(struct lvm_pv *pv);

#endif
