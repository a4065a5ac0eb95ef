/* lvm.c: LVM2's label, pv_header and metadata area header, encoded and
 * decoded, and a PV read whole through them (its text is lvm_text.c's)
 * (lvm.h). */
#include "appliance/lvm.h"

#include <stdlib.h>
#include <string.h>

#include "appliance/fsutil.h"
#include "appliance/gpt.h"

/* The label_header's fields, from the start of its sector. */
#define LABEL_CRC 16
#define LABEL_OFFSET 20
#define LABEL_TYPE 24
/* The mda_header's, from its start; its raw_locns begin at MDA_LOCN. */
#define MDA_CRC 0
#define MDA_MAGIC 4
#define MDA_LOCN 40

uint32_t
lvm_crc(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (crc & 1 ? UINT32_C(0xedb88320) : 0);
    }
    return crc;
}

/* label_header, then pv_header with its two area lists, each ended by a
 * pair of zeros, and the extension with its (empty) bootloader area list;
 * the CRC covers the sector from the offset field on. */
void
lvm_label_encode(unsigned char sector[SECTOR], const struct lvm_pv_header *h)
{
    unsigned char *pvh = sector + LVM_PV_HEADER_OFFSET;
    memset(sector, 0, SECTOR);
    memcpy(sector, LVM_LABEL_ID, 8);
    put_le64(sector + 8, LVM_LABEL_SECTOR);
    put_le32(sector + LABEL_OFFSET, LVM_PV_HEADER_OFFSET);
    memcpy(sector + LABEL_TYPE, LVM_LABEL_TYPE, 8);
    memcpy(pvh, h->uuid, LVM_UUID_LEN);
    put_le64(pvh + 32, h->dev_size);
    unsigned char *at = pvh + 40;
    put_le64(at, h->data_start);
    put_le64(at + 8, h->data_size);
    at += 32; /* the area and the list's end */
    if (h->has_mda) {
        put_le64(at, h->mda_start);
        put_le64(at + 8, h->mda_size);
        at += 16;
    }
    at += 16; /* the list's end */
    put_le32(at, h->ext_version);
    put_le32(at + 4, h->ext_flags);
    put_le32(sector + LABEL_CRC,
             lvm_crc(LVM_CRC_INITIAL, sector + LABEL_OFFSET, SECTOR - LABEL_OFFSET));
}

int
lvm_label_decode(const unsigned char sector[SECTOR], uint64_t number, struct lvm_pv_header *h)
{
    if (memcmp(sector, LVM_LABEL_ID, 8) != 0 || get_le64(sector + 8) != number ||
        memcmp(sector + LABEL_TYPE, LVM_LABEL_TYPE, 8) != 0)
        return 0;
    uint32_t off = get_le32(sector + LABEL_OFFSET);
    if (off < LVM_PV_HEADER_OFFSET || off > SECTOR - 40)
        return -1;
    const unsigned char *pvh = sector + off;
    size_t avail = SECTOR - off, at = 32 + 8; /* pv_uuid, device_size_xl */
    memset(h, 0, sizeof(*h));
    memcpy(h->uuid, pvh, LVM_UUID_LEN);
    h->dev_size = get_le64(pvh + 32);
    int list = 0; /* 0 the data areas, 1 the metadata areas, 2 past them */
    while (list < 2 && at + 16 <= avail) {
        uint64_t start = get_le64(pvh + at), size = get_le64(pvh + at + 8);
        at += 16;
        if (start == 0 && size == 0) {
            list++;
            continue;
        }
        if (list == 0 && !h->n_data++)
            h->data_start = start, h->data_size = size;
        else if (list == 1 && !h->n_mda++)
            h->has_mda = true, h->mda_start = start, h->mda_size = size;
    }
    if (list == 2 && at + 8 <= avail) {
        h->ext_version = get_le32(pvh + at);
        h->ext_flags = get_le32(pvh + at + 4);
    }
    return 1;
}

void
lvm_label_set_dev_size(unsigned char sector[SECTOR], uint64_t dev_size)
{
    uint32_t off = get_le32(sector + LABEL_OFFSET);
    if (off < LVM_PV_HEADER_OFFSET || off > SECTOR - 40)
        return;
    put_le64(sector + off + 32, dev_size);
    put_le32(sector + LABEL_CRC,
             lvm_crc(LVM_CRC_INITIAL, sector + LABEL_OFFSET, SECTOR - LABEL_OFFSET));
}

/* mda_header, one raw_locn and its terminator; the checksum covers the
 * header after the checksum field. */
void
lvm_mda_header_encode(unsigned char buf[LVM_MDA_HEADER_SIZE], const struct lvm_mda_header *m)
{
    memset(buf, 0, LVM_MDA_HEADER_SIZE);
    memcpy(buf + MDA_MAGIC, LVM_MDA_MAGIC, 16);
    put_le32(buf + 20, LVM_FMTT_VERSION);
    put_le64(buf + 24, m->start);
    put_le64(buf + 32, m->size);
    put_le64(buf + MDA_LOCN, m->text_offset);
    put_le64(buf + MDA_LOCN + 8, m->text_size);
    put_le32(buf + MDA_LOCN + 16, m->text_crc);
    put_le32(buf + MDA_LOCN + 20, 0); /* flags */
    put_le32(buf + MDA_CRC,
             lvm_crc(LVM_CRC_INITIAL, buf + MDA_MAGIC, LVM_MDA_HEADER_SIZE - MDA_MAGIC));
}

int
lvm_mda_header_decode(const unsigned char buf[LVM_MDA_HEADER_SIZE], struct lvm_mda_header *m)
{
    if (memcmp(buf + MDA_MAGIC, LVM_MDA_MAGIC, 16) != 0)
        return 0;
    m->start = get_le64(buf + 24);
    m->size = get_le64(buf + 32);
    m->text_offset = get_le64(buf + MDA_LOCN);
    m->text_size = get_le64(buf + MDA_LOCN + 8);
    m->text_crc = get_le32(buf + MDA_LOCN + 16);
    return 1;
}

bool
lvm_mda_header_crc_ok(const unsigned char buf[LVM_MDA_HEADER_SIZE])
{
    return get_le32(buf + MDA_CRC) ==
           lvm_crc(LVM_CRC_INITIAL, buf + MDA_MAGIC, LVM_MDA_HEADER_SIZE - MDA_MAGIC);
}

void
lvm_text_put_quoted(FILE *f, const char *value)
{
    fputc('"', f);
    for (const char *c = value; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        fputc(*c, f);
    }
    fputc('"', f);
}

void
lvm_text_put_string(FILE *f, const char *key, const char *value)
{
    fprintf(f, "%s = ", key);
    lvm_text_put_quoted(f, value);
    fputc('\n', f);
}

/* ---- a raw image's PV ------------------------------------------------- */

struct lvm_part {
    uint64_t size, start, end;
};

static int
note_lvm(void *ctx, const struct gpt_entry *e)
{
    struct lvm_part *p = ctx;
    if (!gpt_entry_is(e, GPT_TYPE_LVM))
        return 0;
    if (e->first_lba > e->last_lba || e->last_lba >= p->size / SECTOR)
        return 1; /* damaged: the whole disk is tried */
    p->start = e->first_lba * SECTOR;
    p->end = (e->last_lba + 1) * SECTOR;
    return 1;
}

/* The bytes of the first LVM partition of the GPT; the whole disk when it
 * has no GPT, no LVM partition or a damaged one. */
static int
pv_find(int fd, uint64_t size, uint64_t *start, uint64_t *end, struct ab_error *err)
{
    struct lvm_part p = {size, 0, size};
    int r = gpt_each(fd, size, note_lvm, &p, err);
    *start = p.start;
    *end = p.end;
    return r < 0 ? -1 : 0;
}

/* ---- a PV read whole ---------------------------------------------------- */

static int
pv_label(const struct byte_reader *r, struct lvm_pv *pv, const char **why, struct ab_error *err)
{
    *why = "no LVM physical volume";
    for (unsigned i = 0; i < LVM_LABEL_SCAN_SECTORS; i++) {
        int rr = reader_inside(r, (uint64_t)i * SECTOR, pv->label, SECTOR, err);
        if (rr <= 0)
            return rr;
        rr = lvm_label_decode(pv->label, i, &pv->header);
        if (rr < 0) {
            *why = "a damaged LVM label";
            return 0;
        }
        if (rr > 0) {
            pv->labelled = true;
            pv->label_sector = i;
            return 1;
        }
    }
    return 0;
}

static int
pv_mda(const struct byte_reader *r, struct lvm_pv *pv, const char **why, struct ab_error *err)
{
    const struct lvm_pv_header *h = &pv->header;
    unsigned char buf[LVM_MDA_HEADER_SIZE];
    struct lvm_mda_header *m = &pv->mda;
    if (!h->has_mda) {
        *why = "an LVM physical volume without a metadata area";
        return 0;
    }
    if (h->mda_start > pv->size || h->mda_size > pv->size - h->mda_start ||
        h->mda_size < 2 * LVM_MDA_HEADER_SIZE) {
        *why = "an LVM metadata area past the end of its PV";
        return 0;
    }
    int rr = reader_inside(r, h->mda_start, buf, sizeof(buf), err);
    if (rr <= 0 || !lvm_mda_header_decode(buf, m) || !lvm_mda_header_crc_ok(buf) ||
        m->start != h->mda_start || m->size != h->mda_size) {
        *why = "a damaged LVM metadata area header";
        return rr < 0 ? -1 : 0;
    }
    if (m->text_offset == 0 || m->text_size == 0) {
        *why = "an LVM physical volume in no volume group";
        return 0;
    }
    if (m->text_offset < LVM_MDA_HEADER_SIZE || m->text_offset >= m->size ||
        m->text_size > m->size - LVM_MDA_HEADER_SIZE || m->text_size > LVM_TEXT_MAX) {
        *why = "damaged LVM metadata area";
        return 0;
    }
    return 1;
}

/* The text, which may wrap around to just after the header (lvm's
 * circular buffer), its checksum checked. */
static int
pv_text(const struct byte_reader *r, struct lvm_pv *pv, const char **why, struct ab_error *err)
{
    const struct lvm_mda_header *m = &pv->mda;
    size_t len = (size_t)m->text_size;
    size_t first = m->size - m->text_offset < len ? (size_t)(m->size - m->text_offset) : len;
    if (!(pv->text = malloc(len + 1)))
        return ab_oom(err);
    int rr = reader_inside(r, m->start + m->text_offset, pv->text, first, err);
    if (rr > 0 && first < len)
        rr = reader_inside(r, m->start + LVM_MDA_HEADER_SIZE, pv->text + first, len - first, err);
    if (rr <= 0) {
        *why = "damaged LVM metadata area";
        return rr;
    }
    pv->text[len] = '\0';
    pv->text_len = len;
    if (lvm_crc(LVM_CRC_INITIAL, pv->text, len) != m->text_crc) {
        *why = "LVM metadata text whose checksum is wrong";
        return 0;
    }
    return 1;
}

int
lvm_pv_read(const struct byte_reader *r, struct lvm_pv *pv, const char **why, struct ab_error *err)
{
    memset(pv, 0, sizeof(*pv));
    pv->start = r->offset;
    pv->size = r->size;
    int rr = pv_label(r, pv, why, err);
    if (rr > 0)
        rr = pv_mda(r, pv, why, err);
    if (rr > 0)
        rr = pv_text(r, pv, why, err);
    if (rr > 0) {
        int p = lvm_vg_parse(pv->text, pv->text_len, &pv->vg, why);
        if (p == -2)
            rr = ab_oom(err);
        else
            rr = p == 0;
    }
    if (rr > 0 && (pv->index = lvm_vg_pv_index(&pv->vg, pv->header.uuid)) == SIZE_MAX) {
        *why = "LVM metadata that does not name its own physical volume";
        rr = 0;
    }
    if (rr <= 0)
        lvm_pv_release(pv);
    return rr;
}

int
lvm_image_pv_read(int fd, uint64_t size, struct lvm_pv *pv, const char **why, struct ab_error *err)
{
    uint64_t start = 0, end = 0;
    memset(pv, 0, sizeof(*pv));
    if (pv_find(fd, size, &start, &end, err) < 0)
        return -1;
    struct byte_reader r = byte_reader_fd(fd, size);
    r = byte_reader_window(&r, start, end - start);
    return lvm_pv_read(&r, pv, why, err);
}

void
lvm_pv_release(struct lvm_pv *pv)
{
    free(pv->text);
    pv->text = NULL;
    lvm_vg_release(&pv->vg);
}
