/* os_debian.c: Debian and Ubuntu root trees through mmdebstrap (the rows
 * of distro.h whose tool it is: suite, components, sources, keys and
 * packages are the row's).
 *
 * The initramfs is configured before the kernel is installed (an
 * essential hook), and made once, by the customize hook, after every
 * package is in: with LVM and the storage and network drivers of every
 * hypervisor family. Until then INITRD=No keeps the kernel's postinst
 * from making one, and without one initramfs-tools' trigger
 * (update-initramfs -u, which packages installed after the kernel
 * activate) has nothing to update. Made twice, it cost 25 minutes more
 * under qemu-user (mkinitramfs runs thousands of small programs). */
#include "appliance/os_source.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/distro.h"
#include "appliance/hash.h"
#include "appliance/nsrun.h"
#include "appliance/spawn.h"
#include "appliance/templates.h"

/* Bump when the tree this source makes changes for the same inputs. */
#define DEBIAN_SOURCE_VERSION "debian-4"

/* The essential hook, templates/debian-essential-hook, configures the
 * initramfs; templates/debian-cloud-hook names the drivers each cloud
 * documents for its disks and NICs in the initramfs of a cloud build
 * (MODULES=most carries them already; this keeps them there whatever
 * initramfs-tools decides). */
#define AZURE_DRIVERS " hv_vmbus hv_storvsc hv_netvsc hv_utils mana mlx4_en mlx5_core"
#define GCE_DRIVERS " virtio_scsi virtio_net virtio_pci gve"

/* The cloud drivers' hook, or NULL when the plan names no cloud. */
static char *
cloud_hook(const struct plan *plan)
{
    CLEANUP_FREE char *drivers = NULL;
    if (!(plan->cloud & (PLAN_CLOUD_AZURE | PLAN_CLOUD_GCE)))
        return NULL;
    if (asprintf(&drivers, "%s%s", plan->cloud & PLAN_CLOUD_AZURE ? AZURE_DRIVERS : "",
                 plan->cloud & PLAN_CLOUD_GCE ? GCE_DRIVERS : "") < 0)
        return NULL;
    const struct template_value values[] = {{"CLOUD_DRIVERS", drivers}, {NULL, NULL}};
    struct ab_error ignored = AB_ERROR_INIT;
    char *hook = templates_render("debian-cloud-hook", values, &ignored);
    ab_error_release(&ignored);
    return hook;
}

/* lvm2, fdisk (sfdisk), e2fsprogs and xfsprogs: also what appliance-grow
 * runs at boot (configure_grow.c). GRUB's platforms come between lvm2 and
 * the rest (grub_packages). */
static const char *const base_packages[] = {
    "grub2-common", "zstd",      "systemd-sysv", "udev",     "dbus",
    "openssh-server", "e2fsprogs", "xfsprogs",   "dosfstools", "iproute2",
    "sudo",         "ca-certificates", "fdisk",  NULL,
};

/* GRUB's images for each firmware the architecture has (bootloader.c
 * makes them): grub-pc-bin for a BIOS, grub-efi-ARCH-bin for UEFI, ARCH
 * dpkg's name of it. */
static void
grub_packages(FILE *f, enum arch arch)
{
    const struct arch_row *a = arch_row(arch);
    fprintf(f, ",lvm2%s,grub-efi-%s-bin", a->bios ? ",grub-pc-bin" : "", a->debian);
}

/* The row of the plan's distribution (suite, components, sources, keys,
 * packages: distro.h). */
static const struct distro_row *
row(const struct plan *plan)
{
    return distro_row(plan->os.distro);
}

static bool
debian_handles(const struct plan *plan)
{
    const char *tool = row(plan)->package_tool;
    return tool && strcmp(tool, os_source_debian.name) == 0;
}

static bool
needs_locale_gen(const struct plan *plan)
{
    const char *l = plan->os.locale;
    return strcmp(l, "C") != 0 && strcmp(l, "POSIX") != 0 && strcmp(l, "C.UTF-8") != 0;
}

/* mmdebstrap's customize hook for the plan (templates/debian-customize-hook):
 * the tree's SSH host keys removed, its locale generated when it needs one
 * (the locale is checked by name_check_locale: letters, digits, "_.@-"). */
static char *
customize_hook(const struct plan *plan)
{
    CLEANUP_FREE char *line = NULL;
    const char *dot = strchr(plan->os.locale, '.');
    if (needs_locale_gen(plan) &&
        asprintf(&line, "%s %s", plan->os.locale, dot ? dot + 1 : "ISO-8859-1") < 0)
        return NULL;
    const struct template_value values[] = {{"LOCALE_GEN", line ? line : ""}, {NULL, NULL}};
    struct ab_error ignored = AB_ERROR_INIT;
    char *hook = templates_render("debian-customize-hook", values, &ignored);
    ab_error_release(&ignored);
    return hook;
}

/* The --include list: base, kernel, add-ons, locales, the recipe's. */
static char *
include_list(const struct plan *plan)
{
    char *list = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&list, &len);
    if (!f)
        return NULL;
    const struct distro_row *r = row(plan);
    const char *addons[DISTRO_N_ADDONS];
    size_t n_addons = distro_addon_packages(plan->os.distro, plan->addons, addons);
    fprintf(f, "%s,%s", distro_kernel_package(plan->os.distro, plan->hardware.arch),
            r->initramfs_package);
    grub_packages(f, plan->hardware.arch);
    for (const char *const *p = base_packages; *p; p++)
        fprintf(f, ",%s", *p);
    /* Secure Boot: the signed shim (with MokManager and mokutil) and the
     * signed monolithic GRUB; the kernel and its modules are signed already. */
    if (plan->hardware.secure_boot)
        fprintf(f, ",%s,%s",
                distro_signed_file(plan->os.distro, plan->hardware.arch, DISTRO_SIGNED_SHIM)->package,
                distro_signed_file(plan->os.distro, plan->hardware.arch, DISTRO_SIGNED_GRUB)->package);
    for (size_t i = 0; i < n_addons; i++)
        fprintf(f, ",%s", addons[i]);
    if (needs_locale_gen(plan))
        fputs(",locales", f);
    if (plan->cloud) /* configured by configure_cloud() */
        fputs(",cloud-init", f);
    for (char *const *p = plan->os.packages; p && *p; p++)
        fprintf(f, ",%s", *p);
    if (fclose(f) != 0) {
        free(list);
        return NULL;
    }
    return list;
}

/* Host apt source files, used when the recipe names no mirror. */
static int
host_sources(glob_t *g)
{
    int r = glob("/etc/apt/sources.list", 0, NULL, g);
    glob("/etc/apt/sources.list.d/*.sources", r == 0 ? GLOB_APPEND : 0, NULL, g);
    glob("/etc/apt/sources.list.d/*.list", g->gl_pathc ? GLOB_APPEND : 0, NULL, g);
    return (int)g->gl_pathc;
}

static void
key_host_sources(struct digest_ctx *key)
{
    glob_t g = {0};
    host_sources(&g);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        CLEANUP_FCLOSE FILE *f = fopen(g.gl_pathv[i], "r");
        char buf[4096];
        size_t n;
        digest_str(key, g.gl_pathv[i]);
        while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0)
            digest_update(key, buf, n);
    }
    globfree(&g);
}

static int
debian_key(const struct plan *plan, struct digest_ctx *key, struct ab_error *err)
{
    CLEANUP_FREE char *list = include_list(plan);
    if (!list)
        return ab_oom(err);
    digest_str(key, DEBIAN_SOURCE_VERSION);
    digest_str(key, distro_to_string(plan->os.distro));
    digest_str(key, list);
    digest_str(key, plan->os.locale);
    digest_str(key, templates_get("debian-essential-hook"));
    CLEANUP_FREE char *customize = customize_hook(plan);
    if (!customize)
        return ab_oom(err);
    digest_str(key, customize);
    if (plan->cloud & (PLAN_CLOUD_AZURE | PLAN_CLOUD_GCE)) {
        CLEANUP_FREE char *cloud = cloud_hook(plan);
        if (!cloud)
            return ab_oom(err);
        digest_str(key, cloud);
    }
    if (plan->os.mirror)
        digest_str(key, plan->os.mirror);
    else
        key_host_sources(key);
    return 0;
}

static int
write_text_file(const char *path, const char *text, mode_t mode, struct ab_error *err)
{
    CLEANUP_FCLOSE FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fflush(f) != 0 || fchmod(fileno(f), mode) < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

/* The sources mmdebstrap reads: the recipe's mirror or the host's files. */
static int
add_sources(const struct plan *plan, struct spawn_argv *argv, char **mirror_line, glob_t *g,
            struct ab_error *err)
{
    const struct distro_row *r = row(plan);
    if (plan->os.mirror) {
        if (asprintf(mirror_line, "deb %s %s %s", plan->os.mirror, r->suite, r->components) < 0)
            return ab_oom(err);
        spawn_argv_add(argv, *mirror_line);
        return 0;
    }
    const char *source = distro_default_source(plan->os.distro, plan->hardware.arch);
    if (source) {
        spawn_argv_add(argv, source);
        return 0;
    }
    if (host_sources(g) == 0)
        return ab_build_error(err, 0, "no apt sources on this host and no 'mirror' in the "
                                      "recipe: set os.mirror");
    for (size_t i = 0; i < g->gl_pathc; i++)
        spawn_argv_add(argv, g->gl_pathv[i]);
    return 0;
}

/* The cloud drivers' essential hook, when the plan names a cloud: *arg,
 * which argv borrows, is the caller's to free. */
static int
add_cloud_hook(const struct plan *plan, const char *scratch, struct spawn_argv *argv, char **arg,
               struct ab_error *err)
{
    CLEANUP_FREE char *text = cloud_hook(plan), *path = NULL;
    if (!(plan->cloud & (PLAN_CLOUD_AZURE | PLAN_CLOUD_GCE)))
        return 0;
    if (!text || asprintf(&path, "%s/cloud-hook", scratch) < 0 ||
        asprintf(arg, "--essential-hook=%s", path) < 0)
        return ab_oom(err);
    if (write_text_file(path, text, 0755, err) < 0)
        return -1;
    spawn_argv_add(argv, *arg);
    return 0;
}

/* The archive keys the distribution needs beside mmdebstrap's default:
 * *arg, which argv borrows, is the caller's to free. */
static int
add_keyring(const struct plan *plan, struct spawn_argv *argv, char **arg, struct ab_error *err)
{
    const struct distro_row *r = row(plan);
    if (!r->keyring)
        return 0;
    if (access(r->keyring, R_OK) < 0)
        return ab_build_error(err, ENOENT, "%s needs %s's archive keys in '%s' (package %s)",
                              r->key.name, r->vendor, r->keyring, r->keyring_package);
    if (asprintf(arg, "--keyring=%s", r->keyring) < 0)
        return ab_oom(err);
    spawn_argv_add(argv, *arg);
    return 0;
}

static int
debian_fetch(const struct plan *plan, const char *tar_path, const char *scratch,
             const struct spawn_ctx *ctx, struct ab_error *err)
{
    CLEANUP_FREE char *hook = NULL, *list = include_list(plan), *include = NULL;
    CLEANUP_FREE char *mirror_line = NULL, *customize_arg = NULL;
    glob_t g = {0};
    CLEANUP_SPAWN_ARGV struct spawn_argv argv = SPAWN_ARGV_INIT;

    if (!list || asprintf(&hook, "%s/essential-hook", scratch) < 0 ||
        asprintf(&include, "--include=%s", list) < 0)
        return ab_oom(err);
    if (write_text_file(hook, templates_get("debian-essential-hook"), 0755, err) < 0)
        return -1;
    CLEANUP_FREE char *arch = NULL;
    if (asprintf(&arch, "--architectures=%s", arch_row(plan->hardware.arch)->debian) < 0)
        return ab_oom(err);
    const char *fixed[] = {
        "mmdebstrap",
        "--mode=root",
        arch,
        "--variant=minbase",
        "--format=tar",
        include,
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        "--dpkgopt=path-include=/usr/share/locale/locale.alias",
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-include=/usr/share/doc/*/copyright",
        "--dpkgopt=path-exclude=/usr/share/info/*",
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        spawn_argv_add(&argv, fixed[i]);
    CLEANUP_FREE char *hook_arg = NULL;
    if (asprintf(&hook_arg, "--essential-hook=%s", hook) < 0)
        return ab_oom(err);
    spawn_argv_add(&argv, hook_arg);
    CLEANUP_FREE char *cloud_arg = NULL;
    if (add_cloud_hook(plan, scratch, &argv, &cloud_arg, err) < 0)
        return -1;
    CLEANUP_FREE char *customize = customize_hook(plan), *customize_path = NULL;
    if (!customize || asprintf(&customize_path, "%s/customize-hook", scratch) < 0 ||
        asprintf(&customize_arg, "--customize-hook=%s", customize_path) < 0)
        return ab_oom(err);
    if (write_text_file(customize_path, customize, 0755, err) < 0)
        return -1;
    spawn_argv_add(&argv, customize_arg);
    CLEANUP_FREE char *keyring_arg = NULL;
    if (add_keyring(plan, &argv, &keyring_arg, err) < 0)
        return -1;
    spawn_argv_add(&argv, row(plan)->suite);
    spawn_argv_add(&argv, tar_path);
    int r = add_sources(plan, &argv, &mirror_line, &g, err);
    if (r == 0 && argv.failed)
        r = ab_oom(err);
    /* Not --quiet, which hides apt's own errors ("E: Failed to fetch ...
     * Connection refused"): they go to the log, and the first of them
     * into the error. */
    static const char *const env[] = {"INITRD=No", NULL};
    struct spawn_opts o = {.ctx = ctx, .cause = "E: ", .env = env};
    /* mmdebstrap --mode=root mounts /proc, /sys and /dev in the tree it
     * makes: in a mount namespace of its own, never in the host's. */
    if (r == 0)
        r = nsrun_private(argv.v, &o, err);
    globfree(&g);
    if (r < 0)
        ab_error_prefix(err, "while installing %s with mmdebstrap",
                        distro_to_string(plan->os.distro));
    return r;
}

const struct os_source os_source_debian = {
    .name = "mmdebstrap",
    .handles = debian_handles,
    .key = debian_key,
    .fetch = debian_fetch,
};
