/* bootloader.c: GRUB for BIOS and UEFI, installed without the appliance. */
#include "appliance/bootloader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/configure.h"
#include "appliance/fsids.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"
#include "appliance/nsrun.h"
#include "appliance/spawn.h"

#define SECTOR 512
/* Offsets in GRUB's boot.img and diskboot.img (grub/include/grub/i386/pc/boot.h). */
#define BOOT_KERNEL_SECTOR 0x5c
#define BOOT_DRIVE_CHECK 0x66
#define BOOT_MBR_KEEP 0x1b8 /* disk signature, partition table, 55AA */
#define DISKBOOT_BLOCKLIST (SECTOR - 12)
#define CORE_SEGMENT 0x820

static const char *const efi_modules[] = {
    "part_gpt", "part_msdos", "fat", "ext2", "xfs", "lvm", "search", "search_fs_uuid",
    "normal", "configfile", "linux", "echo", "gzio", "all_video", "efi_gop", "serial",
    "terminal", "test", NULL,
};

static const char *const pc_modules[] = {
    "biosdisk", "part_gpt", "ext2", "xfs", "search", "search_fs_uuid", "normal",
    "configfile", "serial", "terminal", NULL,
};

static const struct plan_mount *
boot_mount(const struct plan *plan)
{
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (strcmp(plan->mounts[i].path, "/boot") == 0)
            return &plan->mounts[i];
    return NULL;
}

/* grub-mkimage inside the tree; the image lands in the tree's /tmp. */
static int
mkimage(const char *root, const char *format, const char *out, const char *const *modules,
        struct ab_error *err)
{
    CLEANUP_SPAWN_ARGV struct spawn_argv argv = SPAWN_ARGV_INIT;
    struct grub_names names;
    CLEANUP_FREE char *dir = NULL, *prefix = NULL;
    configure_grub_names(root, &names);
    if (asprintf(&dir, "/usr/lib/grub/%s", format) < 0 ||
        asprintf(&prefix, "/%s", names.dir) < 0)
        return ab_oom(err);
    const char *head[] = {names.mkimage, "-O", format, "-d", dir, "-p", prefix,
                          "-c", "/tmp/appliance-early.cfg", "-o", out};
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
        spawn_argv_add(&argv, head[i]);
    for (const char *const *m = modules; *m; m++)
        spawn_argv_add(&argv, *m);
    if (argv.failed)
        return ab_oom(err);
    return nsrun(root, NSRUN_CHROOT, argv.v, NULL, err);
}

/* name in the tree (read through it, inroot.h) copied to scratch/as. */
static int
copy_out(const char *root, const char *name, const char *scratch, const char *as, bool remove,
         struct ab_error *err)
{
    CLEANUP_FREE char *to = NULL;
    if (asprintf(&to, "%s/%s", scratch, as) < 0)
        return ab_oom(err);
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0 || inroot_copy_out(rootfd, name, to, err) < 0)
        return -1;
    return remove ? inroot_remove(rootfd, name, err) : 0;
}

static int
make_images(const struct plan *plan, const char *root, const char *scratch, struct ab_error *err)
{
    char uuid[FSID_UUID_BUF];
    struct grub_names names;
    fsid_of_mount(plan, boot_mount(plan), uuid);
    configure_grub_names(root, &names);
    if (write_filef(root, "/tmp/appliance-early.cfg", 0644, err,
                    "search --no-floppy --fs-uuid --set=root %s\nset prefix=($root)/%s\n",
                    uuid, names.dir) < 0)
        return -1;
    if ((plan->hardware.firmware & FIRMWARE_UEFI) &&
        (mkimage(root, "x86_64-efi", "/tmp/BOOTX64.EFI", efi_modules, err) < 0 ||
         copy_out(root, "/tmp/BOOTX64.EFI", scratch, "BOOTX64.EFI", true, err) < 0))
        return -1;
    if ((plan->hardware.firmware & FIRMWARE_BIOS) &&
        (mkimage(root, "i386-pc", "/tmp/core.img", pc_modules, err) < 0 ||
         copy_out(root, "/tmp/core.img", scratch, "core.img", true, err) < 0 ||
         copy_out(root, "/usr/lib/grub/i386-pc/boot.img", scratch, "boot.img", false, err) < 0))
        return -1;
    return 0;
}

int
bootloader_images(const struct plan *plan, const char *root, const char *scratch,
                  struct ab_error *err)
{
    int r = make_images(plan, root, scratch, err);
    struct ab_error ignored = AB_ERROR_INIT;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, &ignored);
    if (rootfd >= 0)
        inroot_remove(rootfd, "/tmp/appliance-early.cfg", &ignored);
    ab_error_release(&ignored);
    if (r < 0)
        ab_error_prefix(err, "while making GRUB's images");
    return r;
}

static int
read_whole(const char *path, unsigned char **buf, size_t *len, size_t pad_to,
           struct ab_error *err)
{
    struct stat st;
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    size_t size = ((size_t)st.st_size + pad_to - 1) / pad_to * pad_to;
    *buf = calloc(1, size ? size : pad_to);
    if (!*buf)
        return ab_oom(err);
    if (read(fd, *buf, (size_t)st.st_size) != st.st_size)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    *len = size;
    return 0;
}

static void
put_le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

int
bootloader_install_bios(const struct plan *plan, const char *os_img, const char *scratch,
                        struct ab_error *err)
{
    const struct plan_disk *d = &plan->disks[PLAN_DISK_OS];
    CLEANUP_FREE char *boot_path = NULL, *core_path = NULL;
    CLEANUP_FREE unsigned char *boot = NULL, *core = NULL;
    size_t boot_len, core_len;
    unsigned char mbr[SECTOR];

    if (asprintf(&boot_path, "%s/boot.img", scratch) < 0 ||
        asprintf(&core_path, "%s/core.img", scratch) < 0)
        return ab_oom(err);
    if (read_whole(boot_path, &boot, &boot_len, SECTOR, err) < 0 ||
        read_whole(core_path, &core, &core_len, SECTOR, err) < 0)
        return -1;
    const struct plan_partition *bios_boot = &d->parts[0]; /* it comes first */
    uint64_t lba = bios_boot->start / SECTOR;
    if (d->n_parts == 0 || bios_boot->role != PART_BIOS_BOOT)
        return ab_build_error(err, 0, "disk '%s' has no BIOS boot partition for GRUB", d->id);
    if (boot_len != SECTOR)
        return ab_build_error(err, 0, "GRUB's boot image '%s' is not one sector", boot_path);
    /* diskboot.img and at least one sector that it loads. */
    if (core_len < 2 * SECTOR)
        return ab_build_error(err, 0, "GRUB's core image '%s' is too small (%zu bytes)", core_path,
                              core_len);
    if (core_len > bios_boot->size)
        return ab_build_error(err, 0,
                              "GRUB's core image (%zu bytes) does not fit the BIOS boot "
                              "partition (%" PRIu64 " bytes)",
                              core_len, bios_boot->size);
    CLEANUP_CLOSE int fd = open(os_img, O_RDWR | O_CLOEXEC);
    if (fd < 0 || pread(fd, mbr, SECTOR, 0) != SECTOR)
        return ab_build_error(err, errno, "cannot read '%s': %s", os_img, strerror(errno));
    /* boot.img: keep the protective MBR's table, point at core.img, and
     * boot from the BIOS drive whatever number it has. */
    memcpy(boot + BOOT_MBR_KEEP, mbr + BOOT_MBR_KEEP, SECTOR - BOOT_MBR_KEEP);
    put_le(boot + BOOT_KERNEL_SECTOR, lba, 8);
    boot[BOOT_DRIVE_CHECK] = 0x90;
    boot[BOOT_DRIVE_CHECK + 1] = 0x90;
    /* diskboot.img, core.img's first sector: where the rest of it lies. */
    put_le(core + DISKBOOT_BLOCKLIST, lba + 1, 8);
    put_le(core + DISKBOOT_BLOCKLIST + 8, core_len / SECTOR - 1, 2);
    put_le(core + DISKBOOT_BLOCKLIST + 10, CORE_SEGMENT, 2);
    if (pwrite(fd, core, core_len, (off_t)(lba * SECTOR)) != (ssize_t)core_len ||
        pwrite(fd, boot, SECTOR, 0) != SECTOR || fsync(fd) < 0)
        return ab_build_error(err, errno, "cannot write GRUB to '%s': %s", os_img,
                              strerror(errno));
    return 0;
}
