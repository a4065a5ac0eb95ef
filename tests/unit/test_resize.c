/* test_resize.c: the arithmetic of `appliance resize` (resize_plan.c):
 * sizes and relative sizes, --volume NAME=SIZE, the partition's new end,
 * the extents each volume gets, the refusals, and the VMDK options kept.
 * Expected values are worked out by hand from the layout recipe's
 * application disk (tests/integration/recipes/layout.yaml), as sfdisk and
 * LVM laid it out: partition 1 at sector 2048 of 3141632 sectors, PV with
 * pe_start 1MiB and 4MiB extents, 383 extents: app 64 (ext4), data 287
 * (xfs), app-cache 32 (ext4), made in that order. */
#include "unit.h"

#include <inttypes.h>

#include "appliance/cleanup.h"
#include "appliance/resize.h"
#include "appliance/size.h"

static void
amount_ok(const char *text, enum resize_rel rel, uint64_t bytes)
{
    struct resize_amount a = {RESIZE_ABS, 0};
    const char *why = NULL;
    if (resize_amount_parse(text, &a, &why) != 0)
        print_error("'%s' refused: %s\n", text, why);
    assert_int_equal(a.rel, rel);
    assert_int_equal(a.bytes, bytes);
}

static void
amount_bad(const char *text)
{
    struct resize_amount a;
    const char *why = NULL;
    assert_int_equal(resize_amount_parse(text, &a, &why), -1);
    assert_non_null(why);
}

static void
test_amount_parse(void **state)
{
    (void)state;
    amount_ok("8GiB", RESIZE_ABS, 8 * GiB);
    amount_ok("1536MiB", RESIZE_ABS, 1536 * MiB);
    amount_ok("+2G", RESIZE_PLUS, 2 * GiB);
    amount_ok("-512MiB", RESIZE_MINUS, 512 * MiB);
    amount_bad("");
    amount_bad("+");
    amount_bad("0MiB");
    amount_bad("-0GiB");
    amount_bad("1.5GiB");
    amount_bad("2GB");
    amount_bad("--1GiB");
    amount_bad("+-1GiB");
    amount_bad("12");
}

static void
test_amount_apply(void **state)
{
    (void)state;
    struct resize_amount a;
    const char *why = NULL;
    uint64_t out = 0;
    a = (struct resize_amount){RESIZE_ABS, 3 * GiB};
    assert_int_equal(resize_amount_apply(&a, 1 * GiB, &out, &why), 0);
    assert_int_equal(out, 3 * GiB);
    a = (struct resize_amount){RESIZE_PLUS, 704 * MiB};
    assert_int_equal(resize_amount_apply(&a, 1344 * MiB, &out, &why), 0);
    assert_int_equal(out, 2 * GiB);
    a = (struct resize_amount){RESIZE_MINUS, 256 * MiB};
    assert_int_equal(resize_amount_apply(&a, 1536 * MiB, &out, &why), 0);
    assert_int_equal(out, 1280 * MiB);
    /* Nothing left, or less than nothing; and overflow. */
    a = (struct resize_amount){RESIZE_MINUS, 1536 * MiB};
    assert_int_equal(resize_amount_apply(&a, 1536 * MiB, &out, &why), -1);
    a = (struct resize_amount){RESIZE_MINUS, 2 * GiB};
    assert_int_equal(resize_amount_apply(&a, 1 * GiB, &out, &why), -1);
    a = (struct resize_amount){RESIZE_PLUS, UINT64_MAX - 10};
    assert_int_equal(resize_amount_apply(&a, 11, &out, &why), -1);
    assert_non_null(why);
}

static void
test_volume_parse(void **state)
{
    (void)state;
    struct resize_volume v;
    const char *why = NULL;
    assert_int_equal(resize_volume_parse("app-cache=+1GiB", &v, &why), 0);
    assert_string_equal(v.name, "app-cache");
    assert_int_equal(v.size.rel, RESIZE_PLUS);
    assert_int_equal(v.size.bytes, GiB);
    assert_int_equal(resize_volume_parse("data=64MiB", &v, &why), 0);
    assert_string_equal(v.name, "data");
    assert_int_equal(v.size.rel, RESIZE_ABS);
    assert_int_equal(resize_volume_parse("=1GiB", &v, &why), -1);
    assert_int_equal(resize_volume_parse("data", &v, &why), -1);
    assert_int_equal(resize_volume_parse("data=", &v, &why), -1);
    assert_int_equal(resize_volume_parse("da ta=1GiB", &v, &why), -1);
    assert_int_equal(resize_volume_parse("a;rm=1GiB", &v, &why), -1);
    assert_int_equal(resize_volume_parse("x=1.5GiB", &v, &why), -1);
    char longname[200];
    memset(longname, 'a', 150);
    strcpy(longname + 150, "=1GiB");
    assert_int_equal(resize_volume_parse(longname, &v, &why), -1);
}

static void
test_part_end(void **state)
{
    (void)state;
    /* As the build laid out the 1536MiB disk: 2048 + 3141632 - 1. */
    assert_int_equal(resize_part_last_sector(1536 * MiB), 3143679);
    assert_int_equal(resize_part_last_sector(1344 * MiB) - 2048 + 1, 2748416);
    assert_int_equal(resize_part_last_sector(2 * GiB) - 2048 + 1, 2046 * 2048);
    /* The backup GPT's 33 sectors always fit after the end. */
    for (uint64_t m = 3; m < 5000; m += 7) {
        uint64_t end = resize_part_last_sector(m * MiB);
        assert_true(end + 33 < m * MiB / 512);
        assert_int_equal((end + 1) % 2048, 0);
    }
    assert_int_equal(resize_part_last_sector(1 * MiB), 0);
    assert_int_equal(resize_pe_count(3141632 * UINT64_C(512), MiB, 4 * MiB), 383);
    assert_int_equal(resize_pe_count(2748416 * UINT64_C(512), MiB, 4 * MiB), 335);
    assert_int_equal(resize_pe_count(MiB, MiB, 4 * MiB), 0);
    assert_int_equal(resize_pe_count(8 * MiB, MiB, 0), 0);
}

/* The layout recipe's application disk, resized to disk_mib. */
static void
layout(struct resize_layout *l, uint64_t disk_mib)
{
    memset(l, 0, sizeof(*l));
    strcpy(l->vg, "vg_app");
    l->disk_size = 1536 * MiB;
    l->new_disk_size = disk_mib * MiB;
    l->pe_start = MiB;
    l->extent_size = 4 * MiB;
    l->pe_count = 383;
    l->new_part_sectors = resize_part_last_sector(l->new_disk_size) - 2048 + 1;
    l->new_pe_count = resize_pe_count(l->new_part_sectors * 512, l->pe_start, l->extent_size);
    const struct {
        const char *name, *fs;
        uint64_t extents;
    } lvs[] = {{"app", "ext4", 64}, {"data", "xfs", 287}, {"app-cache", "ext4", 32}};
    for (size_t i = 0; i < 3; i++) {
        strcpy(l->lvs[i].name, lvs[i].name);
        strcpy(l->lvs[i].fs, lvs[i].fs);
        l->lvs[i].extents = lvs[i].extents;
        l->lvs[i].order = (unsigned)i + 1;
    }
    l->n_lvs = 3;
}

static const char *
plan_error(struct resize_layout *l, const struct resize_volume *v, size_t n)
{
    static char msg[512];
    struct ab_error err = AB_ERROR_INIT;
    int r = resize_plan_volumes(l, v, n, &err);
    snprintf(msg, sizeof(msg), "%s", r < 0 && err.n_diags ? err.diags[0].msg : "");
    ab_error_release(&err);
    return r < 0 ? msg : NULL;
}

static struct resize_volume
vol(const char *arg)
{
    struct resize_volume v;
    const char *why = NULL;
    assert_int_equal(resize_volume_parse(arg, &v, &why), 0);
    return v;
}

static void
test_grow_last_volume(void **state)
{
    (void)state;
    struct resize_layout l;
    layout(&l, 2048);
    assert_int_equal(l.new_pe_count, 511);
    assert_null(plan_error(&l, NULL, 0));
    /* The last one made takes it all, though 'data' lies in the middle. */
    assert_int_equal(l.lvs[0].new_extents, 64);
    assert_int_equal(l.lvs[1].new_extents, 287);
    assert_int_equal(l.lvs[2].new_extents, 32 + 128);
    /* The order, not the place, decides. */
    layout(&l, 2048);
    l.lvs[1].order = 9;
    assert_null(plan_error(&l, NULL, 0));
    assert_int_equal(l.lvs[1].new_extents, 287 + 128);
}

static void
test_grow_named(void **state)
{
    (void)state;
    struct resize_layout l;
    layout(&l, 2048);
    struct resize_volume v[] = {vol("data=+256MiB"), vol("app=321MiB")};
    assert_null(plan_error(&l, v, 2));
    assert_int_equal(l.lvs[1].new_extents, 287 + 64);
    assert_int_equal(l.lvs[0].new_extents, 81); /* rounded up to a whole extent */
    assert_int_equal(l.lvs[2].new_extents, 32); /* not named: unchanged */
}

static void
test_shrink(void **state)
{
    (void)state;
    struct resize_layout l;
    /* 1344MiB: 335 extents; app 64 -> 16 leaves exactly enough. */
    layout(&l, 1344);
    assert_int_equal(l.new_pe_count, 335);
    struct resize_volume v[] = {vol("app=64MiB")};
    assert_null(plan_error(&l, v, 1));
    assert_int_equal(l.lvs[0].new_extents, 16);
    /* By default the last volume gives: 1472MiB holds 367 extents. */
    layout(&l, 1472);
    assert_null(plan_error(&l, NULL, 0));
    assert_int_equal(l.lvs[2].new_extents, 32 - 16);
}

static void
test_shrink_refused(void **state)
{
    (void)state;
    struct resize_layout l;
    const char *msg;
    /* xfs never shrinks. */
    layout(&l, 1280);
    struct resize_volume x[] = {vol("data=-256MiB")};
    msg = plan_error(&l, x, 1);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "'vg_app/data' holds xfs, which cannot shrink"));
    /* The volumes do not fit. */
    layout(&l, 1344);
    struct resize_volume a[] = {vol("app=128MiB")};
    msg = plan_error(&l, a, 1);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "need 1404MiB, but a disk of 1344MiB holds a PV of only 1340MiB"));
    /* The last volume alone cannot give that much. */
    layout(&l, 1024);
    msg = plan_error(&l, NULL, 0);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "its last volume 'app-cache' alone"));
    /* A name the VG does not have. */
    layout(&l, 2048);
    struct resize_volume n[] = {vol("nosuch=1GiB")};
    msg = plan_error(&l, n, 1);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "has no volume 'nosuch'"));
    /* Swap (or nothing known) is not resized. */
    layout(&l, 2048);
    strcpy(l.lvs[2].fs, "swap");
    msg = plan_error(&l, NULL, 0);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "holds 'swap'"));
}

static void
test_minimum(void **state)
{
    (void)state;
    struct resize_layout l;
    struct ab_error err = AB_ERROR_INIT;
    layout(&l, 1344);
    struct resize_volume v[] = {vol("app=8MiB")};
    assert_null(plan_error(&l, v, 1));
    l.lvs[0].fs_min = 27698176; /* resize2fs -P of the real 'app' */
    assert_int_equal(resize_check_minimum(&l, &err), -1);
    assert_non_null(strstr(err.diags[0].msg,
                           "'vg_app/app' cannot shrink to 8MiB: its ext4 filesystem needs "
                           "at least 26.4MiB"));
    ab_error_release(&err);
    l.lvs[0].new_extents = 7; /* 28MiB: enough */
    assert_int_equal(resize_check_minimum(&l, &err), 0);
    /* Growing volumes are not measured. */
    l.lvs[0].new_extents = 80;
    l.lvs[0].fs_min = 1 * GiB;
    assert_int_equal(resize_check_minimum(&l, &err), 0);
}

static void
test_vmdk_options(void **state)
{
    (void)state;
    char *o = resize_vmdk_options("# Disk DescriptorFile\nversion=1\nCID=12345678\n"
                                  "createType=\"streamOptimized\"\n"
                                  "RW 4194304 SPARSE \"x.vmdk\"\n"
                                  "ddb.adapterType = \"lsilogic\"\n");
    assert_string_equal(o, "subformat=streamOptimized,adapter_type=lsilogic");
    free(o);
    o = resize_vmdk_options("createType=\"monolithicSparse\"\nddb.adapterType = \"ide\"\n");
    assert_string_equal(o, "subformat=monolithicSparse,adapter_type=ide");
    free(o);
    /* An adapter qemu does not know, or one that smuggles options in. */
    o = resize_vmdk_options("createType=\"monolithicSparse\"\n"
                            "ddb.adapterType = \"lsilogic,zeroed_grain=on\"\n");
    assert_string_equal(o, "subformat=monolithicSparse");
    free(o);
    assert_null(resize_vmdk_options("createType=\"monolithicFlat\"\n"));
    assert_null(resize_vmdk_options("createType=\"streamOptimized,x=y\"\n"));
    assert_null(resize_vmdk_options("nothing here\n"));
}

/* ---- the extents ---------------------------------------------------------- */

/* The layout disk's VG as the build wrote it (segments given as
 * "NAME:START:COUNT,..." of PV extents, each LV's in its order), read by
 * lvm_vg_parse as resize reads it. */
static void
vg_of(struct lvm_vg *vg, uint64_t pe_count, const char *spec)
{
    CLEANUP_FREE char *text = NULL, *copy = strdup(spec);
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "vg_app {\nid = \"v\"\nseqno = 1\nextent_size = 8192\nphysical_volumes {\n"
               "pv0 {\nid = \"p\"\ndev_size = %" PRIu64 "\npe_start = 2048\npe_count = %" PRIu64
               "\n}\n}\nlogical_volumes {\n",
            (pe_count * 4 + 2) * 2048, pe_count);
    char last[64] = "";
    uint64_t start = 0, n = 0;
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        char name[64];
        unsigned long long pe, count;
        assert_int_equal(sscanf(tok, "%63[^:]:%llu:%llu", name, &pe, &count), 3);
        if (strcmp(name, last) != 0) {
            if (*last)
                fprintf(f, "segment_count = %" PRIu64 "\n}\n", n);
            fprintf(f, "%s {\nid = \"%s\"\n", name, name);
            snprintf(last, sizeof(last), "%s", name);
            start = n = 0;
        }
        fprintf(f, "segment%" PRIu64 " {\nstart_extent = %" PRIu64 "\nextent_count = %llu\n"
                   "type = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", %llu]\n}\n",
                ++n, start, count, pe);
        start += count;
    }
    fprintf(f, "segment_count = %" PRIu64 "\n}\n}\n}\n", n);
    assert_int_equal(fclose(f), 0);
    const char *why = NULL;
    if (lvm_vg_parse(text, len + 1, vg, &why) != 0)
        fail_msg("%s: %s", why, text);
}

/* The PV extent that logical extent x of lv is on, before or after. */
static uint64_t
where(const struct lvm_seg *segs, size_t n, uint64_t x)
{
    for (size_t k = 0; k < n; k++)
        if (x >= segs[k].start && x < segs[k].start + segs[k].count)
            return segs[k].pe + (x - segs[k].start);
    return UINT64_MAX;
}

/* Lays l out on vg and checks what must hold whatever the choices: each
 * volume its new size, every extent below the new end, none shared; each
 * kept extent that changed place carried by exactly one move, from where
 * it was to where it is. Returns the moved extents' count. */
static uint64_t
relayout(struct lvm_vg *vg, const struct resize_layout *l)
{
    struct lvm_seg *before[8];
    size_t n_before[8];
    for (size_t i = 0; i < vg->n_lvs; i++) {
        before[i] = malloc(vg->lvs[i].n_segs * sizeof(struct lvm_seg));
        memcpy(before[i], vg->lvs[i].segs, vg->lvs[i].n_segs * sizeof(struct lvm_seg));
        n_before[i] = vg->lvs[i].n_segs;
    }
    struct resize_move *moves = NULL;
    size_t n_moves = 0;
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(resize_plan_extents(vg, l, &moves, &n_moves, &err), &err);
    assert_int_equal(vg->pvs[0].pe_count, l->new_pe_count);
    CLEANUP_FREE unsigned char *owner = calloc(l->new_pe_count, 1);
    uint64_t moved = 0;
    for (size_t i = 0; i < vg->n_lvs; i++) {
        const struct lvm_lv *lv = &vg->lvs[i];
        assert_int_equal(lv->extents, l->lvs[i].new_extents);
        uint64_t at = 0;
        for (size_t k = 0; k < lv->n_segs; k++) {
            const struct lvm_seg *s = &lv->segs[k];
            assert_int_equal(s->start, at);
            at += s->count;
            assert_true(s->pe + s->count <= l->new_pe_count);
            if (k)
                assert_true(lv->segs[k - 1].pe + lv->segs[k - 1].count != s->pe);
            for (uint64_t e = s->pe; e < s->pe + s->count; e++) {
                assert_int_equal(owner[e], 0);
                owner[e] = (unsigned char)(i + 1);
            }
        }
        assert_int_equal(at, lv->extents);
        uint64_t kept = l->lvs[i].extents < lv->extents ? l->lvs[i].extents : lv->extents;
        for (uint64_t x = 0; x < kept; x++) {
            uint64_t from = where(before[i], n_before[i], x), to = where(lv->segs, lv->n_segs, x);
            size_t carried = 0;
            for (size_t m = 0; m < n_moves; m++)
                if (moves[m].lv == i && from >= moves[m].from &&
                    from < moves[m].from + moves[m].count &&
                    to == moves[m].to + (from - moves[m].from))
                    carried++;
            assert_int_equal(carried, from == to ? 0 : 1);
        }
        free(before[i]);
    }
    for (size_t m = 0; m < n_moves; m++) {
        assert_true(moves[m].from >= l->new_pe_count);
        assert_true(moves[m].to + moves[m].count <= l->new_pe_count);
        moved += moves[m].count;
    }
    free(moves);
    ab_error_release(&err);
    return moved;
}

/* Shrunk to 1344MiB with app at 64MiB: the 48 extents past the new end
 * (data's last 16, all of app-cache) go into app's freed ones, in order. */
static void
test_extents_shrink(void **state)
{
    (void)state;
    struct resize_layout l;
    struct lvm_vg vg;
    struct resize_volume v = vol("app=64MiB");
    layout(&l, 1344);
    assert_null(plan_error(&l, &v, 1));
    vg_of(&vg, 383, "app:0:64,data:64:287,app-cache:351:32");
    assert_int_equal(relayout(&vg, &l), 48);
    const struct lvm_lv *data = lvm_vg_lv(&vg, "data"), *cache = lvm_vg_lv(&vg, "app-cache");
    assert_int_equal(data->n_segs, 2);
    assert_int_equal(data->segs[0].pe, 64);
    assert_int_equal(data->segs[0].count, 271);
    assert_int_equal(data->segs[1].pe, 16);
    assert_int_equal(data->segs[1].count, 16);
    assert_int_equal(cache->n_segs, 1);
    assert_int_equal(cache->segs[0].pe, 32);
    lvm_vg_release(&vg);
}

/* Grown: the last volume extends where it ends; a middle one, with no
 * room after it, takes the PV's new extents. */
static void
test_extents_grow(void **state)
{
    (void)state;
    struct resize_layout l;
    struct lvm_vg vg;
    layout(&l, 3584);
    assert_null(plan_error(&l, NULL, 0));
    vg_of(&vg, 383, "app:0:64,data:64:287,app-cache:351:32");
    assert_int_equal(relayout(&vg, &l), 0);
    const struct lvm_lv *cache = lvm_vg_lv(&vg, "app-cache");
    assert_int_equal(cache->n_segs, 1);
    assert_int_equal(cache->segs[0].count, 32 + 512);
    lvm_vg_release(&vg);

    struct resize_volume v = vol("data=+256MiB");
    layout(&l, 2048);
    assert_null(plan_error(&l, &v, 1));
    vg_of(&vg, 383, "app:0:64,data:64:287,app-cache:351:32");
    assert_int_equal(relayout(&vg, &l), 0);
    const struct lvm_lv *data = lvm_vg_lv(&vg, "data");
    assert_int_equal(data->n_segs, 2);
    assert_int_equal(data->segs[1].pe, 383);
    assert_int_equal(data->segs[1].count, 64);
    lvm_vg_release(&vg);
}

/* A layout lvm2 left in pieces: shrinking and growing at once, free runs
 * between the volumes, a volume that grows into the runs its own
 * relocation left. */
static void
test_extents_pieces(void **state)
{
    (void)state;
    struct resize_layout l;
    struct lvm_vg vg;
    layout(&l, 1536);
    l.pe_count = 383;
    l.new_pe_count = 320;
    l.lvs[0].extents = 40, l.lvs[1].extents = 200, l.lvs[2].extents = 60;
    struct resize_volume v[] = {vol("app=+80MiB"), vol("app-cache=-40MiB")};
    assert_null(plan_error(&l, v, 2));
    vg_of(&vg, 383, "app:0:20,app:250:20,data:20:100,data:340:43,data:150:57,"
                    "app-cache:300:40,app-cache:207:20");
    assert_int_equal(relayout(&vg, &l), 43 + 20 + 0);
    lvm_vg_release(&vg);
    /* Too little room: refused, nothing half done to the caller's view. */
    layout(&l, 1536);
    l.new_pe_count = 100;
    l.lvs[0].new_extents = 64, l.lvs[1].new_extents = 287, l.lvs[2].new_extents = 32;
    vg_of(&vg, 383, "app:0:64,data:64:287,app-cache:351:32");
    struct resize_move *moves = NULL;
    size_t n = 0;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(resize_plan_extents(&vg, &l, &moves, &n, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "do not fit a PV of 100 extents"));
    ab_error_release(&err);
    lvm_vg_release(&vg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amount_parse),     cmocka_unit_test(test_amount_apply),
        cmocka_unit_test(test_volume_parse),     cmocka_unit_test(test_part_end),
        cmocka_unit_test(test_grow_last_volume), cmocka_unit_test(test_grow_named),
        cmocka_unit_test(test_shrink),           cmocka_unit_test(test_shrink_refused),
        cmocka_unit_test(test_minimum),          cmocka_unit_test(test_vmdk_options),
        cmocka_unit_test(test_extents_shrink),   cmocka_unit_test(test_extents_grow),
        cmocka_unit_test(test_extents_pieces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
