/* test_lvm_meta.c: LVM2 metadata written from the plan, against bytes
 * lvm2 2.03.16 itself wrote (pvcreate/vgcreate/lvcreate in the libguestfs
 * appliance, for a PV of the same size), against lvm's CRC definition,
 * and against a golden metadata text. */
#include "unit.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/lvm_meta.h"
#include "appliance/size.h"

/* The PV of tests/integration/recipes/layout.yaml's application disk as
 * lvm2 2.03.16 wrote it: the label sector up to the end of the pv_header
 * extension (the rest of the sector is zero) ... */
static const unsigned char lvm2_label[152] = {
    0x4c, 0x41, 0x42, 0x45, 0x4c, 0x4f, 0x4e, 0x45, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x59, 0x66, 0x2f, 0x76, 0x20, 0x00, 0x00, 0x00, 0x4c, 0x56, 0x4d, 0x32, 0x20, 0x30, 0x30, 0x31,
    0x35, 0x72, 0x52, 0x58, 0x6c, 0x71, 0x41, 0x36, 0x39, 0x54, 0x6b, 0x30, 0x43, 0x63, 0x6e, 0x51,
    0x4d, 0x79, 0x4d, 0x78, 0x54, 0x53, 0x50, 0x39, 0x37, 0x31, 0x71, 0x67, 0x47, 0x55, 0x4f, 0x6c,
    0x00, 0x00, 0xe0, 0x5f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xf0, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* ... and its metadata area header up to the end of the first raw_locn
 * (its fourth text, seqno 4, at 4608 bytes into the area: lvm2 had
 * written one per command). */
static const unsigned char lvm2_mda[64] = {
    0x22, 0x18, 0xd6, 0x48, 0x20, 0x4c, 0x56, 0x4d, 0x32, 0x20, 0x78, 0x5b, 0x35, 0x41, 0x25, 0x72,
    0x30, 0x4e, 0x2a, 0x3e, 0x01, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xf0, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x60, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x18, 0xf3, 0x28, 0xf4, 0x00, 0x00, 0x00, 0x00,
};

/* Its application disk is layout.yaml's: 1536MiB, a 1534MiB PV. */
static const char recipe_small[] =
    "recipe: 1\n"
    "name: small\n"
    "version: \"1.0\"\n"
    "os: { distro: debian-12 }\n"
    "disks:\n"
    "  os:\n"
    "    size: 3GiB\n"
    "    volumes:\n"
    "      - { name: root, mount: /, size: 1GiB }\n"
    "      - { name: swap, size: 64MiB, fs: swap }\n"
    "      - { name: log, mount: /var/log, size: rest }\n"
    "      - { name: tmp, mount: /tmp, size: 32MiB }\n"
    "  app:\n"
    "    size: %s\n"
    "    volumes:\n"
    "      - { name: data, mount: /srv/data, size: rest }\n"
    "      - { name: app-cache, mount: /var/cache/app, size: 16MiB }\n";

static const char golden_app_text[] = "vg_app {\n"
                                      "id = \"3cU9ea-1ISh-QkEQ-PLzR-f3lG-lXYu-Cax5hO\"\n"
                                      "seqno = 1\n"
                                      "format = \"lvm2\"\n"
                                      "status = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\n"
                                      "flags = []\n"
                                      "tags = [\"appliance.disk=app\"]\n"
                                      "extent_size = 8192\n"
                                      "max_lv = 0\n"
                                      "max_pv = 0\n"
                                      "metadata_copies = 0\n"
                                      "\n"
                                      "physical_volumes {\n"
                                      "\n"
                                      "pv0 {\n"
                                      "id = \"Z65fMH-YwIT-enpm-Ptvt-Fl6c-MBdW-Rln598\"\n"
                                      "device = \"/dev/sdb1\"\n"
                                      "\n"
                                      "status = [\"ALLOCATABLE\"]\n"
                                      "flags = []\n"
                                      "dev_size = 126976\n"
                                      "pe_start = 2048\n"
                                      "pe_count = 15\n"
                                      "}\n"
                                      "}\n"
                                      "\n"
                                      "logical_volumes {\n"
                                      "\n"
                                      "data {\n"
                                      "id = \"aSzJH6-8GRB-cGB5-16tD-hsob-G6lt-MCqC43\"\n"
                                      "status = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
                                      "flags = []\n"
                                      "creation_time = 1700000000\n"
                                      "creation_host = \"small\"\n"
                                      "segment_count = 1\n"
                                      "\n"
                                      "segment1 {\n"
                                      "start_extent = 0\n"
                                      "extent_count = 11\n"
                                      "\n"
                                      "type = \"striped\"\n"
                                      "stripe_count = 1\n"
                                      "\n"
                                      "stripes = [\n"
                                      "\"pv0\", 0\n"
                                      "]\n"
                                      "}\n"
                                      "}\n"
                                      "\n"
                                      "app-cache {\n"
                                      "id = \"CD8iYd-hlaI-HEP0-3Bsf-rVUJ-w3fY-mL2HIj\"\n"
                                      "status = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
                                      "flags = []\n"
                                      "creation_time = 1700000000\n"
                                      "creation_host = \"small\"\n"
                                      "segment_count = 1\n"
                                      "\n"
                                      "segment1 {\n"
                                      "start_extent = 0\n"
                                      "extent_count = 4\n"
                                      "\n"
                                      "type = \"striped\"\n"
                                      "stripe_count = 1\n"
                                      "\n"
                                      "stripes = [\n"
                                      "\"pv0\", 11\n"
                                      "]\n"
                                      "}\n"
                                      "}\n"
                                      "}\n"
                                      "\n"
                                      "}\n"
                                      "# Generated by appliance from the plan of small 1.0\n"
                                      "\n"
                                      "contents = \"Text Format Volume Group\"\n"
                                      "version = 1\n"
                                      "\n"
                                      "description = \"Written by appliance for small 1.0\"\n"
                                      "\n"
                                      "creation_host = \"small\"\n"
                                      "creation_time = 1700000000\t# Tue Nov 14 22:13:20 2023\n"
                                      "\n";

static const struct plan *
small_plan(const char *app_size)
{
    CLEANUP_FREE char *text = NULL;
    assert_true(asprintf(&text, recipe_small, app_size) > 0);
    return unit_plan(text);
}

/* lvm's definition (lib/misc/crc.c): CRC-32 without the final inversion,
 * started at 0xf597a6cf; the values lvm2 wrote check with it. */
static void
test_crc(void **state)
{
    (void)state;
    unsigned char sector[SECTOR] = {0}, mda[LVM_MDA_HEADER_SIZE] = {0};
    assert_int_equal(lvm_crc(LVM_CRC_INITIAL, "", 0), LVM_CRC_INITIAL);
    assert_int_equal(lvm_crc(LVM_CRC_INITIAL, "123456789", 9), 0x4991cf02);
    /* The standard CRC-32 is the same function, inverted at both ends. */
    assert_int_equal(lvm_crc(0xffffffff, "123456789", 9) ^ 0xffffffff, 0xcbf43926);
    memcpy(sector, lvm2_label, sizeof(lvm2_label));
    assert_int_equal(lvm_crc(LVM_CRC_INITIAL, sector + 20, SECTOR - 20), get_le32(sector + 16));
    memcpy(mda, lvm2_mda, sizeof(lvm2_mda));
    assert_int_equal(lvm_crc(LVM_CRC_INITIAL, mda + 4, sizeof(mda) - 4), get_le32(mda));
}

/* Ours, given lvm2's UUID for the same PV, is lvm2's sector byte for byte. */
static void
test_label_is_lvm2s(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = small_plan("1536MiB");
    CLEANUP_FREE unsigned char *buf = NULL;
    struct ab_error err = AB_ERROR_INIT;
    size_t len = 0;
    assert_int_equal(lvm_meta_pv(plan, PLAN_DISK_APP, 0, &buf, &len, &err), 0);
    unsigned char *ours = buf + SECTOR, theirs[SECTOR] = {0};
    memcpy(theirs, lvm2_label, sizeof(lvm2_label));
    memcpy(ours + 32, theirs + 32, LVM_UUID_LEN);
    uint32_t crc = lvm_crc(LVM_CRC_INITIAL, ours + 20, SECTOR - 20);
    ours[16] = (unsigned char)crc, ours[17] = (unsigned char)(crc >> 8);
    ours[18] = (unsigned char)(crc >> 16), ours[19] = (unsigned char)(crc >> 24);
    assert_memory_equal(ours, theirs, SECTOR);
    /* The metadata area header: magic, version, start and size as lvm2's;
     * lvm2's text had moved on to its fourth place, ours is the first. */
    const unsigned char *mda = buf + LVM_MDA_START;
    assert_memory_equal(mda + 4, lvm2_mda + 4, 40 - 4);
    assert_int_equal(get_le64(mda + 40), LVM_MDA_HEADER_SIZE);
}

/* Every offset and checksum of the first bytes of a PV. */
static void
check_pv_bytes(const struct plan *plan, enum plan_disk_id id, const unsigned char *b, size_t len)
{
    const struct plan_vg *vg = &plan->disks[id].vg;
    const struct plan_partition *part = &plan->disks[id].parts[vg->pv_partition - 1];
    const unsigned char *s = b + SECTOR, *pvh = s + 32, *mda = b + LVM_MDA_START;
    assert_true(len >= LVM_MDA_START + LVM_MDA_HEADER_SIZE && len % SECTOR == 0);
    for (size_t i = 0; i < SECTOR; i++)
        assert_int_equal(b[i], 0);
    assert_memory_equal(s, "LABELONE", 8);
    assert_int_equal(get_le64(s + 8), 1);
    assert_int_equal(get_le32(s + 16), lvm_crc(LVM_CRC_INITIAL, s + 20, SECTOR - 20));
    assert_int_equal(get_le32(s + 20), 32);
    assert_memory_equal(s + 24, "LVM2 001", 8);
    for (int i = 0; i < LVM_UUID_LEN; i++)
        assert_non_null(
            strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", pvh[i]));
    assert_int_equal(get_le64(pvh + 32), part->size);
    assert_int_equal(get_le64(pvh + 40), vg->pe_start);
    assert_int_equal(get_le64(pvh + 48), 0);
    assert_int_equal(get_le64(pvh + 72), LVM_MDA_START);
    assert_int_equal(get_le64(pvh + 80), vg->pe_start - LVM_MDA_START);
    assert_int_equal(get_le32(pvh + 104), 2);
    assert_int_equal(get_le32(pvh + 108), 1);
    assert_int_equal(get_le32(mda), lvm_crc(LVM_CRC_INITIAL, mda + 4, LVM_MDA_HEADER_SIZE - 4));
    assert_memory_equal(mda + 4, LVM_MDA_MAGIC, 16);
    assert_int_equal(get_le32(mda + 20), 1);
    assert_int_equal(get_le64(mda + 24), LVM_MDA_START);
    assert_int_equal(get_le64(mda + 32), vg->pe_start - LVM_MDA_START);
    uint64_t off = get_le64(mda + 40), size = get_le64(mda + 48);
    assert_int_equal(off, LVM_MDA_HEADER_SIZE);
    assert_true(size > 0 && LVM_MDA_START + off + size <= len);
    const char *text = (const char *)mda + off;
    assert_int_equal(get_le32(mda + 56), lvm_crc(LVM_CRC_INITIAL, text, size));
    assert_int_equal(text[size - 1], '\0');
    assert_int_equal(strlen(text), size - 1);
    char head[80];
    snprintf(head, sizeof(head), "%s {\nid = \"", vg->name);
    assert_memory_equal(text, head, strlen(head));
    /* The label's PV UUID is the text's, without the dashes. */
    const char *pvid = strstr(text, "pv0 {\nid = \"");
    assert_non_null(pvid);
    pvid += strlen("pv0 {\nid = \"");
    char undashed[LVM_UUID_LEN + 1];
    size_t n = 0;
    for (const char *c = pvid; *c != '"' && n < LVM_UUID_LEN; c++)
        if (*c != '-')
            undashed[n++] = *c;
    assert_memory_equal(undashed, pvh, LVM_UUID_LEN);
}

static void
test_pv_bytes(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = small_plan("64MiB");
    for (int id = 0; id < PLAN_N_DISKS; id++) {
        CLEANUP_FREE unsigned char *buf = NULL;
        struct ab_error err = AB_ERROR_INIT;
        size_t len = 0;
        assert_int_equal(lvm_meta_pv(plan, (enum plan_disk_id)id, 0, &buf, &len, &err), 0);
        check_pv_bytes(plan, (enum plan_disk_id)id, buf, len);
    }
}

static void
test_golden_text(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = small_plan("64MiB");
    size_t len = 0;
    CLEANUP_FREE char *text = lvm_meta_text(plan, PLAN_DISK_APP, 1700000000, &len);
    assert_non_null(text);
    assert_int_equal(len, sizeof(golden_app_text));
    assert_string_equal(text, golden_app_text);
}

/* LVs in plan order, each at the extent the plan gave it, `rest` in the
 * middle of the list included: the segments follow each other. */
static void
test_extent_order(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = small_plan("64MiB");
    const struct plan_vg *vg = &plan->disks[PLAN_DISK_OS].vg;
    size_t len = 0;
    CLEANUP_FREE char *text = lvm_meta_text(plan, PLAN_DISK_OS, 0, &len);
    assert_non_null(text);
    const char *at = text;
    uint64_t next = 0;
    assert_int_equal(vg->n_lvs, 4);
    assert_true(vg->lvs[2].rest);
    for (size_t i = 0; i < vg->n_lvs; i++) {
        char want[200];
        assert_int_equal(vg->lvs[i].first_extent, next);
        next += vg->lvs[i].extents;
        snprintf(want, sizeof(want), "\n%s {\nid = \"", vg->lvs[i].name);
        const char *lv = strstr(at, want);
        assert_non_null(lv);
        snprintf(want, sizeof(want),
                 "extent_count = %" PRIu64 "\n\ntype = \"striped\"\nstripe_count = 1\n\n"
                 "stripes = [\n\"pv0\", %" PRIu64 "\n]\n",
                 vg->lvs[i].extents, vg->lvs[i].first_extent);
        const char *seg = strstr(lv, want);
        assert_non_null(seg);
        at = seg;
    }
    assert_int_equal(next + vg->free_extents, vg->extents);
}

/* The largest disk a plan allows and the smallest VG fit their areas. */
static void
test_sizes(void **state)
{
    (void)state;
    const char *sizes[] = {"2TiB", "40MiB"};
    for (size_t i = 0; i < 2; i++) {
        CLEANUP_PLAN const struct plan *plan = small_plan(sizes[i]);
        CLEANUP_FREE unsigned char *buf = NULL;
        struct ab_error err = AB_ERROR_INIT;
        size_t len = 0;
        assert_int_equal(lvm_meta_pv(plan, PLAN_DISK_APP, 0, &buf, &len, &err), 0);
        check_pv_bytes(plan, PLAN_DISK_APP, buf, len);
        char count[64];
        snprintf(count, sizeof(count), "\npe_count = %" PRIu64 "\n",
                 plan->disks[PLAN_DISK_APP].vg.extents);
        assert_non_null(strstr((const char *)buf + LVM_MDA_START + LVM_MDA_HEADER_SIZE, count));
    }
}

/* Written at the PV's offset of the image, nothing else touched. */
static void
test_write(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = small_plan("64MiB");
    const struct plan_disk *d = &plan->disks[PLAN_DISK_APP];
    const struct plan_partition *part = &d->parts[d->vg.pv_partition - 1];
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE unsigned char *want = NULL;
    size_t len = 0;
    int fd = open("app.img", O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)d->size), 0);
    assert_int_equal(lvm_meta_write(plan, PLAN_DISK_APP, "app.img", 42, &err), 0);
    assert_int_equal(lvm_meta_pv(plan, PLAN_DISK_APP, 42, &want, &len, &err), 0);
    unsigned char *got = calloc(1, part->start + d->vg.pe_start);
    assert_non_null(got);
    assert_int_equal(pread(fd, got, part->start + d->vg.pe_start, 0),
                     (ssize_t)(part->start + d->vg.pe_start));
    for (size_t i = 0; i < part->start; i++)
        assert_int_equal(got[i], 0);
    assert_memory_equal(got + part->start, want, len);
    for (size_t i = part->start + len; i < part->start + d->vg.pe_start; i++)
        assert_int_equal(got[i], 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, (off_t)d->size);
    free(got);
    close(fd);
    /* A missing image is an error that names it. */
    assert_int_equal(lvm_meta_write(plan, PLAN_DISK_APP, "missing/app.img", 42, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "missing/app.img"));
    ab_error_release(&err);
}

/* The same plan, the same identities; each object its own; another
 * version of the appliance, others. */
static void
test_uuids(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = small_plan("64MiB");
    const char *what[] = {"vg", "pv", "lv:root", "lv:swap"};
    char ids[2][4][LVM_UUID_BUF], again[LVM_UUID_BUF];
    for (int d = 0; d < 2; d++)
        for (int w = 0; w < 4; w++) {
            lvm_meta_uuid(plan, (enum plan_disk_id)d, what[w], ids[d][w]);
            assert_int_equal(strlen(ids[d][w]), 38);
            for (int i = 0; i < 38; i++)
                assert_true((i == 6 || i == 11 || i == 16 || i == 21 || i == 26 || i == 31)
                                ? ids[d][w][i] == '-'
                                : isalnum((unsigned char)ids[d][w][i]) != 0);
            lvm_meta_uuid(plan, (enum plan_disk_id)d, what[w], again);
            assert_string_equal(again, ids[d][w]);
        }
    for (int a = 0; a < 8; a++)
        for (int b = a + 1; b < 8; b++)
            assert_string_not_equal(ids[a / 4][a % 4], ids[b / 4][b % 4]);
    CLEANUP_FREE char *text = NULL;
    assert_true(asprintf(&text, recipe_small, "64MiB") > 0);
    char *v = strstr(text, "\"1.0\"");
    v[3] = '1';
    CLEANUP_PLAN const struct plan *other = unit_plan(text);
    lvm_meta_uuid(other, PLAN_DISK_OS, "vg", again);
    assert_string_not_equal(again, ids[0][0]);
}

/* A seed changes every LVM identity (label and text alike); the same
 * seed gives the same ones; a seed-less recipe keeps those it had. */
static void
test_seed(void **state)
{
    (void)state;
    static const char *const seeds[] = {NULL, "", "one", "one", "two"};
    const char *what[] = {"vg", "pv", "lv:root", "lv:data"};
    char ids[5][4][LVM_UUID_BUF];
    for (int s = 0; s < 5; s++) {
        CLEANUP_FREE char *text = NULL, *seeded = NULL;
        assert_true(asprintf(&text, recipe_small, "64MiB") > 0);
        char *os = strstr(text, "os:");
        assert_true(asprintf(&seeded, "%.*s%s%s%s%s", (int)(os - text), text,
                             seeds[s] ? "seed: \"" : "", seeds[s] ? seeds[s] : "",
                             seeds[s] ? "\"\n" : "", os) > 0);
        CLEANUP_PLAN const struct plan *plan = unit_plan(seeded);
        for (int w = 0; w < 4; w++)
            lvm_meta_uuid(plan, w == 3 ? PLAN_DISK_APP : PLAN_DISK_OS, what[w], ids[s][w]);
        if (s == 3) {
            CLEANUP_FREE unsigned char *buf = NULL;
            size_t len = 0;
            struct ab_error err = AB_ERROR_INIT;
            assert_int_equal(lvm_meta_pv(plan, PLAN_DISK_OS, 0, &buf, &len, &err), 0);
            check_pv_bytes(plan, PLAN_DISK_OS, buf, len);
        }
    }
    for (int w = 0; w < 4; w++) {
        assert_string_equal(ids[0][w], ids[1][w]);
        assert_string_equal(ids[2][w], ids[3][w]);
        assert_string_not_equal(ids[0][w], ids[2][w]);
        assert_string_not_equal(ids[2][w], ids[4][w]);
    }
}

/* Read back whole (lvm_pv_read), its VG tagged with its role; edited and
 * written again (lvm_meta_pv_rewrite): the PV's new size in the label and
 * the text, each volume's new segments, seqno 2, every other entry kept,
 * the checksums right; then read back once more. */
static void
test_rewrite(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = small_plan("64MiB");
    const struct plan_disk *d = &plan->disks[PLAN_DISK_APP];
    const struct plan_partition *part = &d->parts[d->vg.pv_partition - 1];
    struct ab_error err = AB_ERROR_INIT;
    uint64_t grown = part->size + 8 * MiB;
    int fd = open("rw.img", O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)(d->size + 8 * MiB)), 0);
    assert_int_equal(lvm_meta_write(plan, PLAN_DISK_APP, "rw.img", 42, &err), 0);
    struct lvm_pv pv;
    const char *why = NULL;
    struct byte_reader br = byte_reader_fd(fd, d->size + 8 * MiB);
    br = byte_reader_window(&br, part->start, grown);
    assert_int_equal(lvm_pv_read(&br, &pv, &why, &err), 1);
    assert_string_equal(pv.vg.name, d->vg.name);
    assert_string_equal(pv.vg.role, "app");
    assert_int_equal(pv.vg.n_lvs, d->vg.n_lvs);
    struct lvm_lv *lv = &pv.vg.lvs[pv.vg.n_lvs - 1];
    uint64_t old_pe = pv.vg.pvs[0].pe_count, old_extents = lv->extents;
    /* The PV two extents longer, the last volume one more segment there. */
    pv.vg.pvs[0].dev_size = grown;
    pv.vg.pvs[0].pe_count = old_pe + 2;
    lv->segs = realloc(lv->segs, (lv->n_segs + 1) * sizeof(*lv->segs));
    lv->segs[lv->n_segs++] = (struct lvm_seg){old_extents, 2, 0, old_pe};
    assert_int_equal(lvm_meta_pv_rewrite(fd, &pv, &err), 0);
    assert_int_equal(pv.vg.seqno, 2);
    lvm_pv_release(&pv);

    assert_int_equal(lvm_pv_read(&br, &pv, &why, &err), 1);
    assert_int_equal(pv.vg.seqno, 2);
    assert_int_equal(pv.header.dev_size, grown);
    assert_int_equal(pv.vg.pvs[0].dev_size, grown);
    assert_int_equal(pv.vg.pvs[0].pe_count, old_pe + 2);
    lv = &pv.vg.lvs[pv.vg.n_lvs - 1];
    assert_int_equal(lv->extents, old_extents + 2);
    assert_int_equal(lv->n_segs, 2);
    assert_int_equal(lv->segs[1].pe, old_pe);
    assert_string_equal(pv.vg.role, "app");
    /* The entries this never touches, as the build wrote them. */
    assert_non_null(strstr(pv.text, "\ncreation_time = 42\n"));
    assert_non_null(strstr(pv.text, "\ncontents = \"Text Format Volume Group\"\n"));
    assert_non_null(strstr(pv.text, "\ndescription = \"Written by appliance for "));
    assert_int_equal(strncmp(pv.text, d->vg.name, strlen(d->vg.name)), 0);
    /* The label's checksum, as lvm computes it. */
    assert_int_equal(get_le32(pv.label + 16),
                     lvm_crc(LVM_CRC_INITIAL, pv.label + 20, SECTOR - 20));
    lvm_pv_release(&pv);
    close(fd);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc),          cmocka_unit_test(test_label_is_lvm2s),
        cmocka_unit_test(test_pv_bytes),     cmocka_unit_test(test_golden_text),
        cmocka_unit_test(test_extent_order), cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_write),        cmocka_unit_test(test_uuids),
        cmocka_unit_test(test_seed),         cmocka_unit_test(test_rewrite),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
