/* lvm_meta.c: LVM2 labels, headers and metadata text, from the plan. */
#include "appliance/lvm_meta.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/fsids.h"
#include "appliance/hash.h"

#define LVM_LABEL_ID "LABELONE"
#define LVM_LABEL_TYPE "LVM2 001"
#define LVM_PV_EXT_VERSION 2
#define LVM_PV_EXT_USED 0x1
#define LVM_FMTT_VERSION 1

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

/* The 32 characters of a UUID as lvm stores them: SHA-256 of
 * "appliance-lvm\0name\0version\0disk\0what\0", then "seed\0" when the
 * recipe has one, one byte per character. */
static void
uuid_raw(const struct plan *plan, enum plan_disk_id id, const char *what, char out[LVM_UUID_LEN])
{
    static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    char hex[HASH_HEX_MAX];
    fsid_digest(plan, "appliance-lvm", plan->disks[id].id, what, hex);
    for (size_t i = 0; i < LVM_UUID_LEN; i++) {
        unsigned byte = 0;
        if (strlen(hex) >= 2 * LVM_UUID_LEN)
            sscanf(hex + 2 * i, "%2x", &byte);
        out[i] = alphabet[byte % (sizeof(alphabet) - 1)];
    }
}

void
lvm_meta_uuid(const struct plan *plan, enum plan_disk_id id, const char *what,
              char out[LVM_UUID_BUF])
{
    static const int groups[] = {6, 4, 4, 4, 4, 4, 6};
    char raw[LVM_UUID_LEN];
    size_t n = 0, at = 0;
    uuid_raw(plan, id, what, raw);
    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
        if (g)
            out[n++] = '-';
        for (int i = 0; i < groups[g]; i++)
            out[n++] = raw[at++];
    }
    out[n] = '\0';
}

static const struct plan_partition *
pv_partition(const struct plan_disk *d)
{
    for (size_t i = 0; i < d->n_parts; i++)
        if (d->parts[i].number == d->vg.pv_partition && d->parts[i].role == PART_LVM)
            return &d->parts[i];
    return NULL;
}

/* The date lvm puts in its comments, in UTC: "Thu Jan  1 00:00:00 1970". */
static void
comment_date(int64_t when, char buf[64])
{
    time_t t = (time_t)when;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, 64, "%a %b %e %H:%M:%S %Y", &tm))
        snprintf(buf, 64, "%" PRId64, when);
}

/* A quoted string value, with lvm's escapes for '"' and '\'. */
static void
put_string(FILE *f, const char *key, const char *value)
{
    fprintf(f, "%s = \"", key);
    for (const char *c = value; *c; c++) {
        if (*c == '"' || *c == '\\')
            fputc('\\', f);
        fputc(*c, f);
    }
    fputs("\"\n", f);
}

static void
put_pv(FILE *f, const struct plan *plan, enum plan_disk_id id)
{
    const struct plan_disk *d = &plan->disks[id];
    const struct plan_partition *part = pv_partition(d);
    char uuid[LVM_UUID_BUF], hint[32];
    lvm_meta_uuid(plan, id, "pv", uuid);
    /* Only a hint: lvm finds the PV by its label wherever the disk is. */
    snprintf(hint, sizeof(hint), "/dev/sd%c%u", 'a' + (int)id, d->vg.pv_partition);
    fputs("\nphysical_volumes {\n\npv0 {\n", f);
    put_string(f, "id", uuid);
    put_string(f, "device", hint);
    fputs("\nstatus = [\"ALLOCATABLE\"]\nflags = []\n", f);
    fprintf(f, "dev_size = %" PRIu64 "\npe_start = %" PRIu64 "\npe_count = %" PRIu64 "\n}\n}\n",
            part->size / SECTOR, d->vg.pe_start / SECTOR, d->vg.extents);
}

static void
put_lv(FILE *f, const struct plan *plan, enum plan_disk_id id, const struct plan_lv *lv,
       int64_t when)
{
    char uuid[LVM_UUID_BUF], what[160];
    snprintf(what, sizeof(what), "lv:%s", lv->name);
    lvm_meta_uuid(plan, id, what, uuid);
    fprintf(f, "\n%s {\n", lv->name);
    put_string(f, "id", uuid);
    fputs("status = [\"READ\", \"WRITE\", \"VISIBLE\"]\nflags = []\n", f);
    fprintf(f, "creation_time = %" PRId64 "\n", when);
    put_string(f, "creation_host", plan->name);
    fputs("segment_count = 1\n\nsegment1 {\nstart_extent = 0\n", f);
    fprintf(f, "extent_count = %" PRIu64 "\n\ntype = \"striped\"\nstripe_count = 1\n", lv->extents);
    fprintf(f, "\nstripes = [\n\"pv0\", %" PRIu64 "\n]\n}\n}\n", lv->first_extent);
}

char *
lvm_meta_text(const struct plan *plan, enum plan_disk_id id, int64_t when, size_t *len)
{
    const struct plan_vg *vg = &plan->disks[id].vg;
    char uuid[LVM_UUID_BUF], date[64];
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return NULL;
    lvm_meta_uuid(plan, id, "vg", uuid);
    comment_date(when, date);
    fprintf(f, "%s {\n", vg->name);
    put_string(f, "id", uuid);
    fputs("seqno = 1\nformat = \"lvm2\"\nstatus = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\n"
          "flags = []\n",
          f);
    fprintf(f, "extent_size = %" PRIu64 "\n", vg->pe_size / SECTOR);
    fputs("max_lv = 0\nmax_pv = 0\nmetadata_copies = 0\n", f);
    put_pv(f, plan, id);
    if (vg->n_lvs) {
        fputs("\nlogical_volumes {\n", f);
        for (size_t i = 0; i < vg->n_lvs; i++)
            put_lv(f, plan, id, &vg->lvs[i], when);
        fputs("}\n", f);
    }
    fprintf(f, "\n}\n# Generated by appliance from the plan of %s %s\n\n", plan->name,
            plan->version);
    fputs("contents = \"Text Format Volume Group\"\nversion = 1\n\n", f);
    fprintf(f, "description = \"Written by appliance for %s %s\"\n\n", plan->name, plan->version);
    put_string(f, "creation_host", plan->name);
    fprintf(f, "creation_time = %" PRId64 "\t# %s\n\n", when, date);
    fputc('\0', f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    *len = size;
    return text;
}

/* Sector 1: label_header, then pv_header with its two area lists and the
 * extension (no bootloader area); the CRC covers the sector from the
 * offset field on. */
static void
put_label(unsigned char *s, const struct plan *plan, enum plan_disk_id id, uint64_t dev_size)
{
    const struct plan_vg *vg = &plan->disks[id].vg;
    unsigned char *pvh = s + 32;
    memcpy(s, LVM_LABEL_ID, 8);
    put_le64(s + 8, LVM_LABEL_SECTOR);
    put_le32(s + 20, 32);
    memcpy(s + 24, LVM_LABEL_TYPE, 8);
    uuid_raw(plan, id, "pv", (char *)pvh);
    put_le64(pvh + 32, dev_size);
    put_le64(pvh + 40, vg->pe_start); /* data area, size 0: to the end */
    /* pvh + 56: the data areas' terminator */
    put_le64(pvh + 72, LVM_MDA_START);
    put_le64(pvh + 80, vg->pe_start - LVM_MDA_START);
    /* pvh + 88: the metadata areas' terminator */
    put_le32(pvh + 104, LVM_PV_EXT_VERSION);
    put_le32(pvh + 108, LVM_PV_EXT_USED);
    /* pvh + 112: the (empty) bootloader areas' terminator */
    put_le32(s + 16, lvm_crc(LVM_CRC_INITIAL, s + 20, SECTOR - 20));
}

/* mda_header, one raw_locn for the text just after it and its terminator;
 * the checksum covers the header after the checksum field. */
static void
put_mda_header(unsigned char *h, uint64_t mda_size, const char *text, size_t len)
{
    memcpy(h + 4, LVM_MDA_MAGIC, 16);
    put_le32(h + 20, LVM_FMTT_VERSION);
    put_le64(h + 24, LVM_MDA_START);
    put_le64(h + 32, mda_size);
    put_le64(h + 40, LVM_MDA_HEADER_SIZE);
    put_le64(h + 48, len);
    put_le32(h + 56, lvm_crc(LVM_CRC_INITIAL, text, len));
    put_le32(h + 60, 0);
    put_le32(h, lvm_crc(LVM_CRC_INITIAL, h + 4, LVM_MDA_HEADER_SIZE - 4));
}

int
lvm_meta_pv(const struct plan *plan, enum plan_disk_id id, int64_t when, unsigned char **buf,
            size_t *len, struct ab_error *err)
{
    const struct plan_disk *d = &plan->disks[id];
    const struct plan_partition *part = pv_partition(d);
    uint64_t mda_size = d->vg.pe_start - LVM_MDA_START;
    size_t text_len = 0;
    if (!part || d->vg.pe_start % SECTOR || d->vg.pe_size % SECTOR ||
        d->vg.pe_start <= LVM_MDA_START + LVM_MDA_HEADER_SIZE ||
        d->vg.pe_start + d->vg.extents * d->vg.pe_size > part->size)
        return ab_build_error(err, 0, "the plan of volume group '%s' does not fit its PV",
                              d->vg.name);
    CLEANUP_FREE char *text = lvm_meta_text(plan, id, when, &text_len);
    if (!text)
        return ab_oom(err);
    if (text_len > mda_size - LVM_MDA_HEADER_SIZE)
        return ab_build_error(err, 0,
                              "the LVM metadata of '%s' (%zu bytes) does not fit its metadata "
                              "area (%" PRIu64 " bytes)",
                              d->vg.name, text_len, mda_size - LVM_MDA_HEADER_SIZE);
    size_t total = LVM_MDA_START + LVM_MDA_HEADER_SIZE + (text_len + SECTOR - 1) / SECTOR * SECTOR;
    unsigned char *b = calloc(1, total);
    if (!b)
        return ab_oom(err);
    put_label(b + LVM_LABEL_SECTOR * SECTOR, plan, id, part->size);
    put_mda_header(b + LVM_MDA_START, mda_size, text, text_len);
    memcpy(b + LVM_MDA_START + LVM_MDA_HEADER_SIZE, text, text_len);
    *buf = b;
    *len = total;
    return 0;
}

int
lvm_meta_write(const struct plan *plan, enum plan_disk_id id, const char *img, int64_t when,
               struct ab_error *err)
{
    const struct plan_disk *d = &plan->disks[id];
    const struct plan_partition *part = pv_partition(d);
    CLEANUP_FREE unsigned char *buf = NULL;
    size_t len = 0;
    if (lvm_meta_pv(plan, id, when, &buf, &len, err) < 0)
        return -1;
    CLEANUP_CLOSE int fd = open(img, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot open disk '%s': %s", img, strerror(errno));
    ssize_t w = pwrite(fd, buf, len, (off_t)part->start);
    if (w != (ssize_t)len)
        return ab_build_error(err, w < 0 ? errno : EIO,
                              "cannot write the LVM metadata of '%s' into '%s': %s", d->vg.name,
                              img, w < 0 ? strerror(errno) : "short write");
    if (close(fd) < 0) {
        fd = -1;
        return ab_build_error(err, errno, "cannot write '%s': %s", img, strerror(errno));
    }
    fd = -1;
    return 0;
}
