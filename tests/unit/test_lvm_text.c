/* test_lvm_text.c: LVM's metadata text read (lvm_text.c): a text lvm2
 * 2.03.16 wrote (tests/data/lvm/lvm2-vg_test.txt: pvcreate, vgcreate,
 * lvcreate and lvresize in the libguestfs appliance, LVs of two
 * segments among them) read as lvm2's own lvs reported it (sizes, segment
 * counts); the text this project's writer made for a build; texts that
 * lie (segments past their PV or with gaps, numbers that overflow,
 * nesting without end, syntax cut short); and a PV's current text found
 * on a disk: a text that wraps round its metadata area, a wrong checksum,
 * a PV in no VG. */
#include "unit.h"

#include <sys/mman.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/lvm.h"

static char *
slurp(const char *rel, size_t *len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", getenv("TOP") ? getenv("TOP") : ".", rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open '%s'", path);
    char *text = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&text, &size);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, m);
    fclose(f);
    assert_int_equal(fclose(m), 0);
    *len = size;
    return text;
}

static const struct lvm_vg_lv *
lv_named(const struct lvm_vg *vg, const char *name)
{
    for (size_t i = 0; i < vg->n_lvs; i++)
        if (strcmp(vg->lvs[i].name, name) == 0)
            return &vg->lvs[i];
    fail_msg("no LV '%s'", name);
    return NULL;
}

static uint64_t
extents(const struct lvm_vg_lv *lv)
{
    uint64_t n = 0;
    for (size_t i = 0; i < lv->n_segs; i++)
        n += lv->segs[i].extent_count;
    return n;
}

/* What lvm2's lvs said in the appliance of these LVs (lvs-full): root
 * 20 MiB in 2 segments, data-1 8 MiB in 1, spill 12 MiB in 2. */
static void
test_lvm2s_text(void **state)
{
    (void)state;
    size_t len;
    CLEANUP_FREE char *text = slurp("tests/data/lvm/lvm2-vg_test.txt", &len);
    struct lvm_vg vg;
    const char *why = NULL;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(lvm_text_parse(text, len, &vg, &why, &err), 1);
    assert_string_equal(vg.name, "vg_test");
    assert_memory_equal(vg.uuid, "tO02siS7fQUXnckTWux4M3wwBlMtgIsj", LVM_UUID_LEN);
    assert_int_equal(vg.seqno, 7);
    assert_int_equal(vg.extent_size, 8192);
    assert_int_equal(vg.n_pvs, 1);
    assert_string_equal(vg.pvs[0].key, "pv0");
    assert_int_equal(vg.pvs[0].pe_start, 2048);
    assert_int_equal(vg.pvs[0].pe_count, 15);
    const struct {
        const char *name;
        uint64_t bytes;
        size_t segs;
    } want[] = {{"root", 20 << 20, 2}, {"data-1", 8 << 20, 1}, {"spill", 12 << 20, 2}};
    assert_int_equal(vg.n_lvs, 3);
    for (size_t i = 0; i < 3; i++) {
        const struct lvm_vg_lv *lv = lv_named(&vg, want[i].name);
        assert_true(lv->visible);
        assert_int_equal(lv->n_segs, want[i].segs);
        assert_int_equal(extents(lv) * vg.extent_size * SECTOR, want[i].bytes);
        for (size_t s = 0; s < lv->n_segs; s++) {
            assert_true(lv->segs[s].linear);
            assert_string_equal(lv->segs[s].type, "striped");
        }
    }
    /* root's second segment is where lvresize found room: after spill */
    const struct lvm_vg_lv *root = lv_named(&vg, "root");
    assert_int_equal(root->segs[1].start_extent, 3);
    assert_int_equal(root->segs[1].pe, 6);
    lvm_vg_release(&vg);
}

static void
test_our_text(void **state)
{
    (void)state;
    size_t len;
    CLEANUP_FREE char *text = slurp("tests/data/lvm/appliance-vg_os.txt", &len);
    struct lvm_vg vg;
    const char *why = NULL;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(lvm_text_parse(text, len, &vg, &why, &err), 1);
    assert_string_equal(vg.name, "vg_os");
    assert_int_equal(vg.n_lvs, 3);
    assert_int_equal(extents(lv_named(&vg, "root")), 512); /* 2 GiB of 4 MiB extents */
    assert_int_equal(lv_named(&vg, "log")->segs[0].pe, 576);
    lvm_vg_release(&vg);
}

#define HEAD "vg {\nid = \"aaaaaa-bbbb-cccc-dddd-eeee-ffff-gggggg\"\nseqno = 3\n"
#define PVS                                                                                        \
    "physical_volumes {\npv0 {\nid = \"aaaaaa-bbbb-cccc-dddd-eeee-ffff-hhhhhh\"\n"                  \
    "pe_start = 2048\npe_count = 10\n}\n}\n"

static void
test_lies(void **state)
{
    (void)state;
    const struct {
        const char *text, *why; /* why NULL: read, the LV not linear */
    } cases[] = {
        {"", "without a volume group"},
        {"vg {", "damaged LVM metadata text"},
        {"vg { id = \"open", "damaged LVM metadata text"},
        {"vg { a = [1, ] }", "damaged LVM metadata text"},
        {"vg { a = [1 2] }", "damaged LVM metadata text"},
        {"vg } {", "damaged LVM metadata text"},
        {"a{b{c{d{e{f{g{h{i{}}}}}}}}}", "damaged LVM metadata text"},
        {HEAD "extent_size = 0\n" PVS "}", "extent size"},
        {HEAD "extent_size = 99999999999999999999\n" PVS "}", "extent size"},
        {HEAD "}", "extent size"},
        {HEAD "extent_size = 8192\n}", "without physical volumes"},
        {HEAD "extent_size = 8192\nphysical_volumes {\npv0 {\nid = \"short\"\n"
              "pe_start = 1\npe_count = 1\n}\n}\n}",
         "a physical volume"},
        {HEAD "extent_size = 1099511627776\nphysical_volumes {\npv0 {\n"
              "id = \"aaaaaa-bbbb-cccc-dddd-eeee-ffff-hhhhhh\"\npe_start = 1\n"
              "pe_count = 18446744073709551615\n}\n}\n}",
         "a physical volume"},
        {HEAD "extent_size = 8192\n" PVS "logical_volumes {\nlv {\nseg1 {\nstart_extent = 0\n"
              "extent_count = 4\ntype = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 8]\n"
              "}\n}\n}\n}",
         NULL}, /* past its PV's 10 extents: not linear, never mapped */
        {HEAD "extent_size = 8192\n" PVS "logical_volumes {\nlv {\nseg1 {\nstart_extent = 1\n"
              "extent_count = 4\ntype = \"striped\"\n}\n}\n}\n}",
         "a segment"},
        {HEAD "extent_size = 8192\n" PVS "logical_volumes {\nlv {\nseg1 {\nstart_extent = 0\n"
              "extent_count = 0\ntype = \"striped\"\n}\n}\n}\n}",
         "a segment"},
        {HEAD "extent_size = 8192\n" PVS "logical_volumes {\nlv {\nseg1 {\nstart_extent = 0\n"
              "extent_count = 2\ntype = \"raid1\"\n}\n}\n}\n}",
         NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lvm_vg vg;
        const char *why = NULL;
        struct ab_error err = AB_ERROR_INIT;
        int r = lvm_text_parse(cases[i].text, strlen(cases[i].text), &vg, &why, &err);
        if (!cases[i].why) {
            if (r != 1)
                fail_msg("case %zu not read: %s", i, why);
            assert_int_equal(vg.n_lvs, 1);
            assert_false(vg.lvs[0].segs[0].linear);
            lvm_vg_release(&vg);
            continue;
        }
        if (r != 0 || !strstr(why, cases[i].why))
            fail_msg("case %zu: %d '%s', not '%s'", i, r, why ? why : "", cases[i].why);
        assert_null(vg.lvs);
        assert_null(vg.pvs);
    }
}

/* A PV of 64 KiB in memory: label, metadata area at 4 KiB of 8 KiB,
 * text at offset in it (wrapping round to just after the header). */
static unsigned char *
make_pv(const char *text, uint64_t offset, bool bad_crc)
{
    size_t len = strlen(text) + 1, area = 8192;
    unsigned char *pv = calloc(1, 65536);
    struct lvm_pv_header h = {.dev_size = 65536,
                              .data_start = 16384,
                              .has_mda = true,
                              .mda_start = 4096,
                              .mda_size = area,
                              .ext_version = LVM_PV_EXT_VERSION,
                              .ext_flags = LVM_PV_EXT_USED};
    memcpy(h.uuid, "aaaaaabbbbccccddddeeeeffffhhhhhh", LVM_UUID_LEN);
    lvm_label_encode(pv + SECTOR, &h);
    struct lvm_mda_header m = {4096, area, offset, len,
                               lvm_crc(LVM_CRC_INITIAL, text, len) ^ (bad_crc ? 1 : 0)};
    lvm_mda_header_encode(pv + 4096, &m);
    for (size_t i = 0, at = offset; i < len; i++, at++) {
        if (at == area)
            at = LVM_MDA_HEADER_SIZE;
        pv[4096 + at] = (unsigned char)text[i];
    }
    return pv;
}

static int
read_pv(const unsigned char *pv, struct lvm_pv_found *found, const char **why)
{
    int fd = memfd_create("pv", MFD_CLOEXEC);
    assert_int_equal(write(fd, pv, 65536), 65536);
    struct byte_reader r = byte_reader_fd(fd, 65536);
    struct ab_error err = AB_ERROR_INIT;
    int rc = lvm_pv_read(&r, found, why, &err);
    close(fd);
    return rc;
}

static void
test_pv_read(void **state)
{
    (void)state;
    const char *text = HEAD "extent_size = 8192\n" PVS "}\n";
    struct lvm_pv_found pv;
    const char *why = NULL;
    /* just after the header; then wrapping round the area's end */
    const uint64_t offsets[] = {LVM_MDA_HEADER_SIZE, 8192 - 40};
    for (size_t i = 0; i < 2; i++) {
        CLEANUP_FREE unsigned char *bytes = make_pv(text, offsets[i], false);
        assert_int_equal(read_pv(bytes, &pv, &why), 1);
        assert_non_null(pv.text);
        assert_string_equal(pv.text, text);
        assert_int_equal(pv.text_len, strlen(text) + 1);
        assert_memory_equal(pv.h.uuid, "aaaaaabbbbccccddddeeeeffffhhhhhh", LVM_UUID_LEN);
        free(pv.text);
    }
    /* a checksum that does not match: no text */
    CLEANUP_FREE unsigned char *bad = make_pv(text, LVM_MDA_HEADER_SIZE, true);
    assert_int_equal(read_pv(bad, &pv, &why), 1);
    assert_null(pv.text);
    assert_non_null(strstr(why, "checksum"));
    /* the raw location pointing past the area: no text */
    put_le64(bad + 4096 + 40, 9000);
    put_le32(bad + 4096, lvm_crc(LVM_CRC_INITIAL, bad + 4096 + 4, LVM_MDA_HEADER_SIZE - 4));
    assert_int_equal(read_pv(bad, &pv, &why), 1);
    assert_null(pv.text);
    /* a PV in no VG: its raw location empty */
    memset(bad + 4096 + 40, 0, 24);
    put_le32(bad + 4096, lvm_crc(LVM_CRC_INITIAL, bad + 4096 + 4, LVM_MDA_HEADER_SIZE - 4));
    assert_int_equal(read_pv(bad, &pv, &why), 1);
    assert_null(pv.text);
    assert_string_equal(why, "an LVM physical volume in no volume group");
    /* no label at all */
    memset(bad, 0, 4096);
    assert_int_equal(read_pv(bad, &pv, &why), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lvm2s_text),
        cmocka_unit_test(test_our_text),
        cmocka_unit_test(test_lies),
        cmocka_unit_test(test_pv_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
