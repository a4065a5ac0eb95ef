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

#include "appliance/arch.h"
#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/configure.h"
#include "appliance/distro.h"
#include "appliance/fsids.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"
#include "appliance/nsrun.h"
#include "appliance/spawn.h"
#include "appliance/templates.h"

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

/* shim on the removable path (BOOTX64.EFI, BOOTAA64.EFI) loads grubx64.efi
 * (grubaa64.efi) and MokManager from its own folder; fbx64.efi stays out
 * of it, or the firmware's first boot would go to the fallback, which
 * makes boot entries and resets. Where each distribution installs them is
 * its row's (distro.h); the suffix is the architecture's (arch.h). */
static const char *const signed_as[DISTRO_N_SIGNED] = {
    [DISTRO_SIGNED_SHIM] = "BOOT",
    [DISTRO_SIGNED_GRUB] = "grub",
    [DISTRO_SIGNED_MOK] = "mm",
};

/* name (signed_as's, or "fb") with arch's UEFI suffix and ".efi", in
 * capitals for BOOT*.EFI as the removable path has it, into out. */
static void
efi_name(const char *name, enum arch arch, char *out, size_t size)
{
    bool upper = strcmp(name, "BOOT") == 0;
    const struct arch_row *row = arch_row(arch);
    snprintf(out, size, "%s%s%s", name, upper ? row->efi : row->efi_lower, upper ? ".EFI" : ".efi");
}

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
        const struct spawn_ctx *ctx, struct ab_error *err)
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
    return nsrun(root, NSRUN_CHROOT, argv.v, &(const struct spawn_opts){.ctx = ctx}, err);
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

static const char *
first_of(int rootfd, const struct distro_signed_file *f)
{
    struct stat st;
    for (size_t i = 0; i < DISTRO_MAX_SIGNED_PATHS && f->paths[i]; i++)
        if (inroot_exists(rootfd, f->paths[i], &st) && S_ISREG(st.st_mode))
            return f->paths[i];
    return NULL;
}

/* Signed file k as the tree holds it: where the plan's distribution puts
 * it, else where any row's does (a root tree of another layout), else
 * where an unknown tree might (the unknown row's). */
static const char *
first_in_tree(int rootfd, enum distro d, enum arch arch, enum distro_signed k)
{
    const char *found = first_of(rootfd, distro_signed_file(d, arch, k));
    for (size_t i = 0; !found && i < distro_n_rows; i++)
        found = first_of(rootfd, distro_signed_file((enum distro)distro_rows[i].key.value, arch, k));
    return found ? found : first_of(rootfd, distro_signed_file(DISTRO_NONE, arch, k));
}

/* The signed GRUB reads grub.cfg from the folder it was loaded from (its
 * built-in prefix, the vendor's folder, when that holds one): this one
 * finds /boot by UUID and reads the configuration there. */
static int
write_signed_cfg(const char *dir, const char *at, const char *uuid, const char *grub_dir,
                 struct ab_error *err)
{
    const struct template_value values[] = {
        {"BOOT_UUID", uuid}, {"GRUB_DIR", grub_dir}, {NULL, NULL}};
    return templates_write(dir, at, 0644, "grub-signed.cfg", values, err);
}

/* Secure Boot: the tree's signed shim, GRUB and MokManager into
 * scratch/efi-boot, with the configuration beside them. */
static int
signed_images(const struct plan *plan, const char *root, const char *scratch, const char *uuid,
              const char *grub_dir, struct ab_error *err)
{
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    for (unsigned k = 0; k < DISTRO_N_SIGNED; k++) {
        const struct distro_signed_file *f =
            distro_signed_file(plan->os.distro, plan->hardware.arch, k);
        const char *from = first_in_tree(rootfd, plan->os.distro, plan->hardware.arch, k);
        CLEANUP_FREE char *as = NULL;
        if (!from)
            return ab_build_error(err, ENOENT,
                                  "Secure Boot needs '%s' (from %s), which the tree does not "
                                  "have: install it, or set 'hardware.secure_boot: false'",
                                  f->paths[0], f->package);
        char name[32];
        efi_name(signed_as[k], plan->hardware.arch, name, sizeof(name));
        if (asprintf(&as, "efi-boot/%s", name) < 0)
            return ab_oom(err);
        if (copy_out(root, from, scratch, as, false, err) < 0)
            return -1;
        /* The CentOS family's GRUB looks in its vendor's folder first. */
        if (strncmp(from, "/boot/efi/EFI/", 14) == 0 && k == DISTRO_SIGNED_GRUB) {
            CLEANUP_FREE char *cfg = strdup(from);
            if (!cfg)
                return ab_oom(err);
            strcpy(strrchr(cfg, '/') + 1, "grub.cfg");
            if (write_signed_cfg(root, cfg, uuid, grub_dir, err) < 0)
                return -1;
        }
    }
    /* shim-x64 puts the fallback there too: out. */
    char fallback[64], fb[16];
    efi_name("fb", plan->hardware.arch, fb, sizeof(fb));
    snprintf(fallback, sizeof(fallback), "/boot/efi/EFI/BOOT/%s", fb);
    struct stat st;
    if (inroot_exists(rootfd, fallback, &st) && inroot_remove(rootfd, fallback, err) < 0)
        return -1;
    return write_signed_cfg(scratch, "/efi-boot/grub.cfg", uuid, grub_dir, err);
}

static int
make_images(const struct plan *plan, const char *root, const char *scratch,
            const struct spawn_ctx *ctx, struct ab_error *err)
{
    char uuid[FSID_UUID_BUF];
    struct grub_names names;
    CLEANUP_FREE char *efi_dir = NULL;
    fsid_of_mount(plan, boot_mount(plan), uuid);
    configure_grub_names(root, &names);
    if (asprintf(&efi_dir, "%s/efi-boot", scratch) < 0)
        return ab_oom(err);
    if ((plan->hardware.firmware & FIRMWARE_UEFI) && mkdir(efi_dir, 0755) < 0 && errno != EEXIST)
        return ab_build_error(err, errno, "cannot create '%s': %s", efi_dir, strerror(errno));
    /* The configuration built into the core images: where /boot is. */
    const struct template_value early[] = {
        {"BOOT_UUID", uuid}, {"GRUB_DIR", names.dir}, {NULL, NULL}};
    if (templates_write(root, "/tmp/appliance-early.cfg", 0644, "grub-early.cfg", early, err) < 0)
        return -1;
    if (plan->hardware.secure_boot) {
        if (signed_images(plan, root, scratch, uuid, names.dir, err) < 0)
            return -1;
    } else if (plan->hardware.firmware & FIRMWARE_UEFI) {
        char name[32], in_tree[48], as[48];
        efi_name(signed_as[DISTRO_SIGNED_SHIM], plan->hardware.arch, name, sizeof(name));
        snprintf(in_tree, sizeof(in_tree), "/tmp/%s", name);
        snprintf(as, sizeof(as), "efi-boot/%s", name);
        if (mkimage(root, arch_row(plan->hardware.arch)->grub_efi, in_tree, efi_modules, ctx,
                    err) < 0 ||
            copy_out(root, in_tree, scratch, as, true, err) < 0)
            return -1;
    }
    if ((plan->hardware.firmware & FIRMWARE_BIOS) &&
        (mkimage(root, "i386-pc", "/tmp/core.img", pc_modules, ctx, err) < 0 ||
         copy_out(root, "/tmp/core.img", scratch, "core.img", true, err) < 0 ||
         copy_out(root, "/usr/lib/grub/i386-pc/boot.img", scratch, "boot.img", false, err) < 0))
        return -1;
    return 0;
}

int
bootloader_images(const struct plan *plan, const char *root, const char *scratch,
                  const struct spawn_ctx *ctx, struct ab_error *err)
{
    int r = make_images(plan, root, scratch, ctx, err);
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
