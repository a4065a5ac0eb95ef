/* configure_boot.c: fstab and GRUB's configuration in the tree. */
#include "appliance/configure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/fsids.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"
#include "appliance/nsrun.h"
#include "appliance/spawn.h"
#include "appliance/templates.h"

char *
configure_dm_name(const char *vg, const char *lv)
{
    size_t n = strlen("/dev/mapper/") + 2 * (strlen(vg) + strlen(lv)) + 2;
    char *out = malloc(n);
    if (!out)
        return NULL;
    char *o = out + sprintf(out, "/dev/mapper/");
    for (const char *s = vg; *s; s++)
        o += sprintf(o, *s == '-' ? "--" : "%c", *s);
    *o++ = '-';
    for (const char *s = lv; *s; s++)
        o += sprintf(o, *s == '-' ? "--" : "%c", *s);
    *o = '\0';
    return out;
}

void
configure_grub_names(const char *root, struct grub_names *names)
{
    struct ab_error ignored = AB_ERROR_INIT;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, &ignored);
    ab_error_release(&ignored);
    struct stat st;
    bool two =
        rootfd >= 0 && inroot_exists(rootfd, "/usr/bin/grub2-mkimage", &st) && S_ISREG(st.st_mode);
    names->dir = two ? "grub2" : "grub";
    names->mkimage = two ? "grub2-mkimage" : "grub-mkimage";
}

static const struct plan_mount *
mount_at(const struct plan *plan, const char *path)
{
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (strcmp(plan->mounts[i].path, path) == 0)
            return &plan->mounts[i];
    return NULL;
}

/* root=... and the rest of the kernel command line. */
static char *
kernel_args(const struct plan *plan)
{
    const struct plan_mount *root = mount_at(plan, "/");
    const char *vg = plan->disks[PLAN_DISK_OS].vg.name;
    CLEANUP_FREE char *dm = configure_dm_name(vg, root->lv->name);
    char *args = NULL;
    if (!dm || asprintf(&args, "root=%s ro rd.lvm.lv=%s/%s %s", dm, vg, root->lv->name,
                        plan->os.kernel_cmdline) < 0)
        return NULL;
    return args;
}

static int
write_fstab(const struct plan *plan, const char *root, struct ab_error *err)
{
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f || fstab_write(plan, f) < 0 || fclose(f) != 0)
        return ab_oom(err);
    return write_file(root, "/etc/fstab", text, 0644, err);
}

/* templates/grub.cfg, the same for BIOS and UEFI, and templates/default-grub,
 * what update-grub reads after a kernel update. */
static int
write_grub_cfg(const struct plan *plan, const char *root, const char *kver, struct ab_error *err)
{
    const struct plan_mount *boot = mount_at(plan, "/boot");
    char uuid[FSID_UUID_BUF];
    CLEANUP_FREE char *args = kernel_args(plan), *initrd = NULL;
    int r;

    fsid_of_mount(plan, boot, uuid);
    if (plan->os.family == FAMILY_RHEL)
        r = asprintf(&initrd, "initramfs-%s.img", kver);
    else
        r = asprintf(&initrd, "initrd.img-%s", kver);
    if (!args || r < 0)
        return ab_oom(err);
    struct grub_names names;
    CLEANUP_FREE char *cfg = NULL;
    configure_grub_names(root, &names);
    if (asprintf(&cfg, "/boot/%s/grub.cfg", names.dir) < 0)
        return ab_oom(err);
    const struct template_value cfg_values[] = {
        {"NAME", plan->name},
        {"VERSION", plan->version},
        {"BOOT_FS", boot->fs == FS_XFS ? "xfs" : "ext2"},
        {"BOOT_UUID", uuid},
        {"KERNEL_VERSION", kver},
        {"KERNEL_ARGS", args},
        {"INITRD", initrd},
        {NULL, NULL},
    };
    const struct template_value default_values[] = {
        {"ROOT_VG", plan->disks[PLAN_DISK_OS].vg.name},
        {"ROOT_LV", mount_at(plan, "/")->lv->name},
        {"KERNEL_CMDLINE", plan->os.kernel_cmdline},
        {NULL, NULL},
    };
    if (templates_write(root, cfg, 0644, "grub.cfg", cfg_values, err) < 0)
        return -1;
    return templates_write(root, "/etc/default/grub", 0644, "default-grub", default_values, err);
}

/* GRUB's modules where its core images look for them:
 * /boot/grub/<platform>, for the architecture's BIOS (if it has one) and
 * UEFI platforms. */
static int
copy_grub_modules(const char *root, enum arch arch, struct ab_error *err)
{
    const struct arch_row *a = arch_row(arch);
    const char *const platforms[] = {a->grub_efi, a->bios ? "i386-pc" : NULL};
    struct grub_names names;
    configure_grub_names(root, &names);
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    for (size_t i = 0; i < 2 && platforms[i]; i++) {
        CLEANUP_FREE char *src_path = NULL, *dst = NULL;
        if (asprintf(&src_path, "/usr/lib/grub/%s", platforms[i]) < 0 ||
            asprintf(&dst, "/boot/%s/%s", names.dir, platforms[i]) < 0)
            return ab_oom(err);
        /* Both ends in the tree: read and written through it, never the host. */
        CLEANUP_CLOSE int src = inroot_open(rootfd, src_path, O_RDONLY | O_DIRECTORY, 0, err);
        if (src < 0 || inroot_copy(src, rootfd, dst, err) < 0)
            return -1;
    }
    return 0;
}

/* The ESP is mounted at /boot/efi by fstab: systemd-gpt-auto-generator's
 * automount of it at /efi (made because /boot is in fstab and /efi is
 * not) would mount it a second time whenever something looks there, as
 * e2scrub_reap does at every boot. */
static int
mask_efi_automount(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
                   struct ab_error *err)
{
    if (!(plan->hardware.firmware & FIRMWARE_UEFI))
        return 0;
    return nsrun_chroot(ctx, root, err, "systemctl", "mask", "--quiet", "efi.automount", NULL);
}

int
configure_boot(const struct plan *plan, const char *root, const char *kver,
               const struct spawn_ctx *ctx, struct ab_error *err)
{
    if (write_fstab(plan, root, err) < 0 || write_grub_cfg(plan, root, kver, err) < 0 ||
        copy_grub_modules(root, plan->hardware.arch, err) < 0 || mask_efi_automount(plan, root, ctx, err) < 0) {
        ab_error_prefix(err, "while configuring the boot loader");
        return -1;
    }
    return 0;
}
