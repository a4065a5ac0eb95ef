/* test_bootloader.c: GRUB's boot.img and core.img placed for BIOS, as
 * grub-bios-setup places them, checked byte by byte. */
#include "unit.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "appliance/bootloader.h"
#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/fsids.h"
#include "appliance/fsutil.h"
#include "appliance/hostfs.h"

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
    if (hostfs_disk(plan, PLAN_DISK_OS, "os.img", NULL, &err) < 0)
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

/* ---- Secure Boot: the signed chain on the removable path ---------------- */

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = calloc(1, 4096);
    assert_non_null(text);
    assert_true(fread(text, 1, 4095, f) > 0);
    fclose(f);
    return text;
}

/* A tree holding files (each's text its own name), the scratch folder
 * empty; returns the absolute tree and scratch paths. */
static void
fake_tree(const char *const *files, char **tree, char **scratch)
{
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_true(asprintf(tree, "%s/tree", cwd) > 0);
    assert_true(asprintf(scratch, "%s/scratch", cwd) > 0);
    assert_int_equal(rm_rf(cwd, *tree), 0);
    assert_int_equal(rm_rf(cwd, *scratch), 0);
    assert_int_equal(mkdir_p(*scratch, 0755), 0);
    CLEANUP_FREE char *tmp = NULL;
    assert_true(asprintf(&tmp, "%s/tmp", *tree) > 0);
    assert_int_equal(mkdir_p(tmp, 01777), 0);
    for (const char *const *f = files; *f; f++) {
        CLEANUP_FREE char *path = NULL;
        assert_true(asprintf(&path, "%s%s", *tree, *f) > 0);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        assert_int_equal(mkdir_p(path, 0755), 0);
        *slash = '/';
        unit_write_file(path, *f);
    }
}

static void
assert_file(const char *dir, const char *name, const char *text)
{
    CLEANUP_FREE char *path = NULL, *got = NULL;
    assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
    got = slurp(path);
    if (!got)
        fail_msg("no '%s'", path);
    if (!strstr(got, text))
        fail_msg("'%s' lacks '%s':\n%s", path, text, got);
}

static void
test_secure_boot_debian(void **state)
{
    (void)state;
    static const char *const files[] = {
        "/usr/lib/shim/shimx64.efi.signed",
        "/usr/lib/shim/mmx64.efi.signed",
        "/usr/lib/shim/fbx64.efi.signed",
        "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed",
        NULL,
    };
    const struct plan *plan = plan_for("uefi");
    assert_true(plan->hardware.secure_boot);
    CLEANUP_FREE char *tree = NULL, *scratch = NULL, *boot = NULL;
    fake_tree(files, &tree, &scratch);
    struct ab_error err = AB_ERROR_INIT;
    if (bootloader_images(plan, tree, scratch, NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    assert_true(asprintf(&boot, "%s/efi-boot", scratch) > 0);
    assert_file(boot, "BOOTX64.EFI", "/usr/lib/shim/shimx64.efi.signed");
    assert_file(boot, "grubx64.efi", "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed");
    assert_file(boot, "mmx64.efi", "/usr/lib/shim/mmx64.efi.signed");
    /* /boot found by its UUID, its grub.cfg read. */
    char uuid[FSID_UUID_BUF];
    fsid_of_mount(plan, &plan->mounts[1], uuid);
    assert_string_equal(plan->mounts[1].path, "/boot");
    CLEANUP_FREE char *search = NULL;
    assert_true(asprintf(&search, "search --no-floppy --fs-uuid --set=root %s\n", uuid) > 0);
    assert_file(boot, "grub.cfg", search);
    assert_file(boot, "grub.cfg", "set prefix=($root)/grub\nconfigfile $prefix/grub.cfg\n");
    /* Nothing else: no fallback (it would reset to make boot entries). */
    CLEANUP_FREE char *listing = NULL;
    struct stat st;
    assert_true(asprintf(&listing, "%s/fbx64.efi", boot) > 0);
    assert_int_equal(stat(listing, &st), -1);
    plan_free(plan);
}

static void
test_secure_boot_centos_layout(void **state)
{
    (void)state;
    static const char *const files[] = {
        "/usr/bin/grub2-mkimage",
        "/boot/efi/EFI/centos/shimx64.efi",
        "/boot/efi/EFI/centos/grubx64.efi",
        "/boot/efi/EFI/centos/mmx64.efi",
        "/boot/efi/EFI/BOOT/BOOTX64.EFI",
        "/boot/efi/EFI/BOOT/fbx64.efi",
        NULL,
    };
    const struct plan *plan = plan_for("uefi");
    CLEANUP_FREE char *tree = NULL, *scratch = NULL, *boot = NULL, *vendor = NULL, *fb = NULL;
    fake_tree(files, &tree, &scratch);
    struct ab_error err = AB_ERROR_INIT;
    if (bootloader_images(plan, tree, scratch, NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    assert_true(asprintf(&boot, "%s/efi-boot", scratch) > 0);
    assert_file(boot, "BOOTX64.EFI", "/boot/efi/EFI/centos/shimx64.efi");
    assert_file(boot, "grubx64.efi", "/boot/efi/EFI/centos/grubx64.efi");
    assert_file(boot, "mmx64.efi", "/boot/efi/EFI/centos/mmx64.efi");
    assert_file(boot, "grub.cfg", "set prefix=($root)/grub2\n");
    /* The vendor's GRUB reads its own folder first: the same config there. */
    assert_true(asprintf(&vendor, "%s/boot/efi/EFI/centos", tree) > 0);
    assert_file(vendor, "grub.cfg", "set prefix=($root)/grub2\n");
    struct stat st;
    assert_true(asprintf(&fb, "%s/boot/efi/EFI/BOOT/fbx64.efi", tree) > 0);
    assert_int_equal(stat(fb, &st), -1);
    plan_free(plan);
}

static void
test_secure_boot_missing_shim(void **state)
{
    (void)state;
    static const char *const files[] = {"/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", NULL};
    const struct plan *plan = plan_for("uefi");
    CLEANUP_FREE char *tree = NULL, *scratch = NULL;
    fake_tree(files, &tree, &scratch);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(bootloader_images(plan, tree, scratch, NULL, &err), -1);
    CLEANUP_FREE char *text = unit_error_text(&err);
    /* The plan's distribution's own file and package (debian-12's). */
    if (!strstr(text, "Secure Boot needs '/usr/lib/shim/shimx64.efi.signed' (from shim-signed)") ||
        !strstr(text, "'hardware.secure_boot: false'"))
        fail_msg("%s", text);
    ab_error_release(&err);
    plan_free(plan);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install_both),
        cmocka_unit_test(test_install_bios_only),
        cmocka_unit_test(test_install_partial_sector),
        cmocka_unit_test(test_install_exactly_full),
        cmocka_unit_test(test_core_too_large),
        cmocka_unit_test(test_bad_images),
        cmocka_unit_test(test_no_bios_boot_partition),
        cmocka_unit_test(test_secure_boot_debian),
        cmocka_unit_test(test_secure_boot_centos_layout),
        cmocka_unit_test(test_secure_boot_missing_shim),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
