/* configure_container.c: the configured tree made a container's, on an
 * overlay of its own (configure.h): what only a virtual machine has is
 * taken out, the rest is the appliance as built.
 *
 * - /boot emptied: no kernel, initramfs or GRUB (the boot loader's
 *   packages stay installed, their files in /usr unused);
 * - the kernel images and the hypervisors' add-ons purged by the tree's
 *   own package manager (dpkg --purge, rpm -e), so that its database
 *   says what the tree holds: a container runs on its host's kernel and
 *   on no hypervisor;
 * - the add-ons' drop-ins (ConditionVirtualization=) of the units purged
 *   with them removed;
 * - the application disk's mount points made, where the platform mounts
 *   the volumes;
 * - what the purge left that differs from build to build removed: dpkg's
 *   log, ldconfig's aux-cache (inode numbers and ctimes);
 * - /etc/fstab without the disks' filesystems: the platform mounts the
 *   container's root and volumes (templates/container-fstab);
 * - appliance-lvm and appliance-grow, the volume groups' services, kept
 *   from starting in a container (ConditionVirtualization=!container,
 *   templates/container.conf). */
#include "appliance/configure.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"
#include "appliance/nsrun.h"
#include "appliance/distro.h"
#include "appliance/templates.h"

bool
container_purged(const char *package)
{
    /* The guest tools and kernels of every row: the tree's own packages
     * decide, whatever the plan's distribution. */
    return distro_is_addon_package(package) || distro_is_kernel_package(package);
}

/* argv: prefix, then the installed packages container_purged() names, in
 * the list's (sorted) order; *n the number of those. The names are
 * borrowed from the list. */
static const char **
purge_argv(const struct pkg_list *packages, const char *const *prefix, size_t np, size_t *n)
{
    const char **argv = calloc(np + packages->n + 1, sizeof(char *));
    size_t k = np;
    if (!argv)
        return NULL;
    for (size_t i = 0; i < np; i++)
        argv[i] = prefix[i];
    for (size_t i = 0; i < packages->n; i++)
        if (container_purged(packages->v[i].name))
            argv[k++] = packages->v[i].name;
    *n = k - np;
    return argv;
}

/* The kernel and the add-ons, by the tree's own package manager, the one
 * whose database the tree holds (as packages_read() read it): a rootfs:
 * tree's kernel goes too. */
static int
purge(int rootfd, const char *root, const struct pkg_list *packages,
      const struct spawn_ctx *ctx, struct ab_error *err)
{
    static const char *const dpkg[] = {"dpkg", "--purge", NULL};
    static const char *const rpm[] = {"rpm", "-e", "--nodeps", NULL};
    const char *const *prefix = inroot_exists(rootfd, "/var/lib/dpkg/status", NULL) ? dpkg
                                : inroot_exists(rootfd, "/usr/lib/sysimage/rpm", NULL) ||
                                        inroot_exists(rootfd, "/var/lib/rpm", NULL)
                                    ? rpm
                                    : NULL;
    size_t n = 0, skip = prefix == dpkg ? 2 : 3;
    if (!prefix)
        return 0; /* no package database: nothing is installed as a package */
    CLEANUP_FREE const char **argv = purge_argv(packages, prefix, skip, &n);
    if (!argv)
        return ab_oom(err);
    return n ? nsrun(root, NSRUN_CHROOT, argv, &(const struct spawn_opts){.ctx = ctx}, err) : 0;
}

static bool
unit_exists(int rootfd, const char *unit)
{
    static const char *const dirs[] = {"/lib/systemd/system", "/usr/lib/systemd/system",
                                       "/etc/systemd/system"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        CLEANUP_FREE char *path = NULL;
        if (asprintf(&path, "%s/%s", dirs[i], unit) >= 0 && inroot_exists(rootfd, path, NULL))
            return true;
    }
    return false;
}

/* The add-ons' drop-ins (configure_system.c) of units purged with them. */
static int
remove_orphan_dropins(int rootfd, struct ab_error *err)
{
    int fd = inroot_open_quiet(rootfd, "/etc/systemd/system", O_RDONLY | O_DIRECTORY);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    int r = 0;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    for (struct dirent *e; r == 0 && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        CLEANUP_FREE char *unit = NULL, *conf = NULL, *dir = NULL;
        if (len < 3 || strcmp(e->d_name + len - 2, ".d") != 0)
            continue;
        if (!(unit = strndup(e->d_name, len - 2)) ||
            asprintf(&dir, "/etc/systemd/system/%s", e->d_name) < 0 ||
            asprintf(&conf, "%s/appliance-hypervisor.conf", dir) < 0) {
            r = ab_oom(err);
            break;
        }
        if (!inroot_exists(rootfd, conf, NULL) || unit_exists(rootfd, unit))
            continue;
        r = inroot_remove(rootfd, conf, err);
        if (r == 0)
            unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR); /* when nothing else is there */
    }
    closedir(d);
    return r;
}

/* The application disk's mount points, which a container gets as volumes. */
static int
mount_points(const struct plan *plan, int rootfd, struct ab_error *err)
{
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (plan->mounts[i].disk == PLAN_DISK_APP &&
            inroot_mkdir_p(rootfd, plan->mounts[i].path, 0755, err) < 0)
            return -1;
    return 0;
}

int
configure_container(const struct plan *plan, const char *root, const struct pkg_list *packages,
                    const struct spawn_ctx *ctx, struct ab_error *err)
{
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    /* /boot first: the kernel's removal then finds no GRUB to update. */
    if (inroot_remove_glob(rootfd, "/boot/*", err) < 0 ||
        purge(rootfd, root, packages, ctx, err) < 0 || remove_orphan_dropins(rootfd, err) < 0 ||
        mount_points(plan, rootfd, err) < 0 ||
        inroot_remove_glob(rootfd, "/var/log/*.log", err) < 0 ||
        /* the libc trigger's ldconfig records the libraries' inode numbers
         * and ctimes there: a cache, made again when missing */
        inroot_remove(rootfd, "/var/cache/ldconfig/aux-cache", err) < 0 ||
        templates_write(root, "/etc/fstab", 0644, "container-fstab", NULL, err) < 0 ||
        templates_write(root,
                        "/etc/systemd/system/appliance-lvm.service.d/appliance-container.conf",
                        0644, "container.conf", NULL, err) < 0 ||
        templates_write(root,
                        "/etc/systemd/system/appliance-grow.service.d/appliance-container.conf",
                        0644, "container.conf", NULL, err) < 0) {
        ab_error_prefix(err, "while making the container's tree");
        return -1;
    }
    return 0;
}
