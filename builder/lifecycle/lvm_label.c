/* lvm_label.c: the VG name of a raw disk image, from its bytes. */
#include "lvm_label.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "appliance/bytes.h"
#include "appliance/gpt.h"

#define MDA_MAGIC " LVM2 x[5A%r0N*>"
#define MDA_HEADER_SIZE 512

/* Reads len bytes at off, which must lie inside the image: 1 read, 0
 * outside the image or short, -1 error. */
static int
read_at(int fd, uint64_t size, uint64_t off, void *buf, size_t len, struct ab_error *err)
{
    if (off > size || len > size - off)
        return 0;
    ssize_t n = pread(fd, buf, len, (off_t)off);
    if (n < 0)
        return ab_build_error(err, errno, "cannot read the disk image: %s", strerror(errno));
    return (size_t)n == len;
}

struct lvm_part {
    uint64_t size, start, end;
    bool bad;
};

static int
note_lvm(void *ctx, const struct gpt_entry *e)
{
    struct lvm_part *p = ctx;
    if (!gpt_entry_is(e, GPT_TYPE_LVM))
        return 0;
    uint64_t first = e->first_lba, last = e->last_lba;
    if (first > last || last >= p->size / SECTOR) {
        p->bad = true;
        return 1;
    }
    p->start = first * SECTOR;
    p->end = (last + 1) * SECTOR;
    return 1;
}

/* The byte offset of the first LVM partition of the GPT; 0 when the disk
 * has no GPT or no LVM partition (then the whole disk is tried). */
static int
gpt_lvm_start(int fd, uint64_t size, uint64_t *start, uint64_t *end, struct ab_error *err)
{
    struct lvm_part p = {size, 0, size, false};
    int r = gpt_each(fd, size, note_lvm, &p, err);
    *start = p.start;
    *end = p.end;
    if (r < 0 || p.bad)
        return r < 0 ? -1 : 0;
    return r;
}

/* The label's sector (0-3) and the PV header's offset in the PV. */
static int
find_label(int fd, uint64_t size, uint64_t pv, uint64_t *pvh, struct ab_error *err)
{
    uint8_t s[SECTOR];
    for (unsigned i = 0; i < 4; i++) {
        int r = read_at(fd, size, pv + (uint64_t)i * SECTOR, s, sizeof(s), err);
        if (r <= 0)
            return r;
        if (memcmp(s, "LABELONE", 8) != 0 || get_le64(s + 8) != i || memcmp(s + 24, "LVM2 001", 8))
            continue;
        uint32_t off = get_le32(s + 20);
        if (off < 32 || off > SECTOR - 40)
            return 0;
        *pvh = pv + (uint64_t)i * SECTOR + off;
        return 1;
    }
    return 0;
}

/* The first metadata area of the PV header at pvh: its offset in the PV. */
static int
first_mda(int fd, uint64_t size, uint64_t pvh, uint64_t *mda, struct ab_error *err)
{
    uint8_t b[SECTOR];
    size_t avail = SECTOR - (size_t)(pvh % SECTOR);
    int r = read_at(fd, size, pvh, b, avail, err);
    if (r <= 0)
        return r;
    size_t at = 32 + 8; /* pv_uuid, device_size_xl */
    bool in_data = true;
    while (at + 16 <= avail) {
        uint64_t off = get_le64(b + at), len = get_le64(b + at + 8);
        at += 16;
        if (off == 0 && len == 0) {
            if (!in_data)
                return 0; /* the metadata list ended empty */
            in_data = false;
            continue;
        }
        if (!in_data) {
            *mda = off;
            return 1;
        }
    }
    return 0;
}

/* The VG name at the start of the metadata text: "NAME {". */
static int
take_name(const char *text, size_t len, char name[LVM_VG_NAME_MAX])
{
    size_t n = 0;
    while (n < len && n < LVM_VG_NAME_MAX - 1 &&
           (text[n] == '_' || text[n] == '-' || text[n] == '.' || text[n] == '+' ||
            (text[n] >= '0' && text[n] <= '9') || (text[n] >= 'a' && text[n] <= 'z') ||
            (text[n] >= 'A' && text[n] <= 'Z')))
        n++;
    if (n == 0 || n + 2 > len || text[n] != ' ' || text[n + 1] != '{')
        return 0;
    memcpy(name, text, n);
    name[n] = '\0';
    return 1;
}

static int
read_mda_text(int fd, uint64_t size, uint64_t mda_abs, char name[LVM_VG_NAME_MAX], const char **why,
              struct ab_error *err)
{
    uint8_t h[MDA_HEADER_SIZE];
    char text[LVM_VG_NAME_MAX + 2];
    int r = read_at(fd, size, mda_abs, h, sizeof(h), err);
    if (r <= 0 || memcmp(h + 4, MDA_MAGIC, 16) != 0) {
        *why = "no LVM metadata area header";
        return r < 0 ? -1 : 0;
    }
    uint64_t mda_size = get_le64(h + 32), off = get_le64(h + 40), len = get_le64(h + 48);
    if (off == 0 || len == 0) {
        *why = "an LVM physical volume in no volume group";
        return 0;
    }
    if (off >= mda_size || len > mda_size) {
        *why = "damaged LVM metadata area";
        return 0;
    }
    size_t want = len < sizeof(text) ? (size_t)len : sizeof(text);
    if (off + want > mda_size) /* the circular buffer wraps: the name cannot */
        want = (size_t)(mda_size - off);
    r = read_at(fd, size, mda_abs + off, text, want, err);
    if (r <= 0 || !take_name(text, want, name)) {
        *why = "damaged LVM metadata text";
        return r < 0 ? -1 : 0;
    }
    return 1;
}

int
lvm_label_vg_name(int fd, uint64_t size, char name[LVM_VG_NAME_MAX], const char **why,
                  struct ab_error *err)
{
    uint64_t start, end, pvh, mda;
    *why = "no LVM physical volume";
    int r = gpt_lvm_start(fd, size, &start, &end, err);
    if (r < 0)
        return -1;
    if ((r = find_label(fd, end, start, &pvh, err)) <= 0)
        return r;
    if ((r = first_mda(fd, end, pvh, &mda, err)) <= 0) {
        *why = "an LVM physical volume without a metadata area";
        return r;
    }
    if (mda > end - start)
        return 0;
    return read_mda_text(fd, end, start + mda, name, why, err);
}
