/* test_bootloader.c: GRUB's boot.img and core.img placed for BIOS, as
 * grub-bios-setup places them, checked byte by byte. */
#include "unit.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "appliance/bootloader.h"
#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/hostfs.h"

#define SECTOR 512

static const struct plan *
plan_for(const char *firmware)
{
    CLEANUP_FREE char *text = NULL;
    assert_true(asprintf(&text,
                         "recipe: 1\n"
                         "name: boot\n"
                         "version: \"1\"\n"
                         "os: { distro: debian-12 }\n"
                         "hardware: { firmware: %s }\n"
                         "disks:\n"
                         "  os:\n"
                         "    size: 8GiB\n"
                         "    volumes:\n"
                         "      - { name: root, mount: /, size: rest }\n"
                         "  app:\n"
                         "    size: 1GiB\n"
                         "    volumes:\n"
                         "      - { name: data, mount: /srv/data, size: rest }\n",
                         firmware) > 0);
    return unit_plan(text);
}

static void
write_bytes(const char *path, const unsigned char *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void
read_at(const char *img, uint64_t offset, unsigned char *buf, size_t len)
{
    int fd = open(img, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, len, (off_t)offset), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static uint64_t
le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* A boot.img with a recognisable pattern everywhere, and a core.img of
 * len bytes with another. */
static void
make_images(size_t core_len)
{
    unsigned char boot[SECTOR];
    for (size_t i = 0; i < SECTOR; i++)
        boot[i] = (unsigned char)(i * 7 + 3);
    write_bytes("scratch/boot.img", boot, sizeof(boot));
    unsigned char *core = malloc(core_len ? core_len : 1);
    assert_non_null(core);
    for (size_t i = 0; i < core_len; i++)
        core[i] = (unsigned char)(i * 13 + 1 + i / SECTOR);
    write_bytes("scratch/core.img", core, core_len);
    free(core);
}

/* A fresh OS disk with its GPT, and an empty scratch folder; skips the
 * test if sfdisk is missing. */
static void
make_gpt(const struct plan *plan)
{
    struct ab_error err = AB_ERROR_INIT;
    unit_need("sfdisk");
    assert_int_equal(rm_rf("scratch", "scratch"), 0);
    assert_int_equal(mkdir("scratch", 0700), 0);
    if (hostfs_disk(plan, PLAN_DISK_OS, "os.img", &err) < 0)
        fail_msg("%s", err.diags[0].msg);
}

static const struct plan_partition *
make_disk(const struct plan *plan)
{
    make_gpt(plan);
    const struct plan_partition *p = &plan->disks[PLAN_DISK_OS].parts[0];
    assert_int_equal(p->role, PART_BIOS_BOOT);
    return p;
}

static void
check_installed(const struct plan *plan, size_t core_file_len)
{
    struct ab_error err = AB_ERROR_INIT;
    const struct plan_partition *bb = make_disk(plan);
    uint64_t lba = bb->start / SECTOR;
    size_t sectors = (core_file_len + SECTOR - 1) / SECTOR;
    unsigned char mbr_before[SECTOR], gpt_before[33 * SECTOR];
    read_at("os.img", 0, mbr_before, SECTOR);
    read_at("os.img", SECTOR, gpt_before, sizeof(gpt_before));
    /* sfdisk wrote a protective MBR: one partition of type 0xee, 55AA. */
    assert_int_equal(mbr_before[0x1be + 4], 0xee);
    assert_int_equal(mbr_before[0x1fe], 0x55);
    assert_int_equal(mbr_before[0x1ff], 0xaa);
    make_images(core_file_len);

    if (bootloader_install_bios(plan, "os.img", "scratch", &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    assert_false(ab_error_is_set(&err));

    /* The MBR: boot.img's code, the table kept, the two patches. */
    unsigned char mbr[SECTOR], boot[SECTOR];
    read_at("os.img", 0, mbr, SECTOR);
    read_at("scratch/boot.img", 0, boot, SECTOR);
    assert_memory_equal(mbr + 0x1b8, mbr_before + 0x1b8, SECTOR - 0x1b8);
    assert_int_equal(le(mbr + 0x5c, 8), lba);
    assert_int_equal(mbr[0x66], 0x90);
    assert_int_equal(mbr[0x67], 0x90);
    for (size_t i = 0; i < 0x1b8; i++) {
        if ((i >= 0x5c && i < 0x64) || i == 0x66 || i == 0x67)
            continue;
        if (mbr[i] != boot[i])
            fail_msg("MBR byte 0x%zx is 0x%02x, not boot.img's 0x%02x", i, mbr[i], boot[i]);
    }

    /* core.img at the partition's first sector, its blocklist patched,
     * padded with zeros to a whole sector. */
    size_t len = sectors * SECTOR;
    unsigned char *core = calloc(1, len), *disk = malloc(len + SECTOR);
    assert_true(core && disk);
    read_at("scratch/core.img", 0, core, core_file_len);
    read_at("os.img", lba * SECTOR, disk, len + SECTOR);
    assert_memory_equal(disk, core, SECTOR - 12);
    assert_int_equal(le(disk + SECTOR - 12, 8), lba + 1);
    assert_int_equal(le(disk + SECTOR - 4, 2), sectors - 1);
    assert_int_equal(le(disk + SECTOR - 2, 2), 0x820);
    assert_memory_equal(disk + SECTOR, core + SECTOR, len - SECTOR);
    for (size_t i = len; i < len + SECTOR; i++)
        assert_int_equal(disk[i], 0); /* nothing past it */
    free(core);
    free(disk);

    /* The GPT is untouched and still reads as the plan's. */
    unsigned char gpt[33 * SECTOR];
    read_at("os.img", SECTOR, gpt, sizeof(gpt));
    assert_memory_equal(gpt, gpt_before, sizeof(gpt));
    assert_int_equal(system("sfdisk --verify --quiet os.img >/dev/null 2>&1"), 0);
    assert_int_equal(unlink("os.img"), 0);
}

static void
test_install_both(void **state)
{
    (void)state;
    const struct plan *plan = plan_for("bios+uefi");
    check_installed(plan, 3 * SECTOR);
    plan_free(plan);
}

static void
test_install_bios_only(void **state)
{
    (void)state;
    const struct plan *plan = plan_for("bios");
    check_installed(plan, 3 * SECTOR);
    plan_free(plan);
}

/* A core.img that is not a whole number of sectors is padded. */
static void
test_install_partial_sector(void **state)
{
    (void)state;
    const struct plan *plan = plan_for("bios");
    check_installed(plan, 3 * SECTOR - 100);
    plan_free(plan);
}

/* The largest core.img that fits: the whole partition. */
static void
test_install_exactly_full(void **state)
{
    (void)state;
    const struct plan *plan = plan_for("bios+uefi");
    check_installed(plan, PLAN_BIOS_BOOT_SIZE);
    plan_free(plan);
}

/* Refused, with the message given, and the disk left as it was. */
static void
check_refused(const struct plan *plan, const char *want)
{
    struct ab_error err = AB_ERROR_INIT;
    unsigned char before[SECTOR], after[SECTOR];
    read_at("os.img", 0, before, SECTOR);
    assert_int_equal(bootloader_install_bios(plan, "os.img", "scratch", &err), -1);
    assert_int_equal(err.code, AB_E_BUILD);
    assert_int_equal(err.n_diags, 1);
    assert_string_equal(err.diags[0].msg, want);
    ab_error_release(&err);
    read_at("os.img", 0, after, SECTOR);
    assert_memory_equal(before, after, SECTOR);
    struct stat st;
    assert_int_equal(stat("os.img", &st), 0);
    assert_true(st.st_blocks * 512 <= (1 << 20)); /* nothing written */
}

static void
test_core_too_large(void **state)
{
    (void)state;
    const struct plan *plan = plan_for("bios+uefi");
    make_disk(plan);
    make_images(PLAN_BIOS_BOOT_SIZE + 1);
    check_refused(plan, "GRUB's core image (1049088 bytes) does not fit the BIOS boot partition "
                        "(1048576 bytes)");
    assert_int_equal(unlink("os.img"), 0);
    plan_free(plan);
}

static void
test_bad_images(void **state)
{
    (void)state;
    const struct plan *plan = plan_for("bios");
    make_disk(plan);

    make_images(SECTOR);
    check_refused(plan, "GRUB's core image 'scratch/core.img' is too small (512 bytes)");
    make_images(0);
    check_refused(plan, "GRUB's core image 'scratch/core.img' is too small (0 bytes)");

    make_images(3 * SECTOR);
    unsigned char big[SECTOR + 1] = {0};
    write_bytes("scratch/boot.img", big, sizeof(big));
    check_refused(plan, "GRUB's boot image 'scratch/boot.img' is not one sector");

    assert_int_equal(unlink("scratch/boot.img"), 0);
    check_refused(plan, "cannot read 'scratch/boot.img': No such file or directory");
    assert_int_equal(unlink("os.img"), 0);
    plan_free(plan);
}

/* UEFI only: there is no BIOS boot partition to put GRUB in. */
static void
test_no_bios_boot_partition(void **state)
{
    (void)state;
    const struct plan *plan = plan_for("uefi");
    make_gpt(plan);
    make_images(3 * SECTOR);
    check_refused(plan, "disk 'os' has no BIOS boot partition for GRUB");
    assert_int_equal(unlink("os.img"), 0);
    plan_free(plan);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install_both),           cmocka_unit_test(test_install_bios_only),
        cmocka_unit_test(test_install_partial_sector), cmocka_unit_test(test_install_exactly_full),
        cmocka_unit_test(test_core_too_large),         cmocka_unit_test(test_bad_images),
        cmocka_unit_test(test_no_bios_boot_partition),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
