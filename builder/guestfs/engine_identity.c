/* engine_identity.c: machine-id and SSH host keys cleared in a converted
 * copy, through libguestfs (engine_identity.h). */
#include "appliance/engine_identity.h"

#include <guestfs.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/configure.h"
#include "appliance/clock.h"
#include "engine_handle.h"

static void
free_strv(char **v)
{
    ab_strv_free(v);
}

static int
by_length(const void *a, const void *b)
{
    size_t x = strlen(*(char *const *)a), y = strlen(*(char *const *)b);
    return x < y ? -1 : x > y;
}

/* Whether dev is on the OS disk: its first partitions (libguestfs names
 * the first disk added sda) or a volume of its VG, os_vg. */
static bool
on_os_disk(const char *dev, const char *os_vg)
{
    CLEANUP_FREE char *lv = NULL, *mapper = configure_dm_name(os_vg, "");
    if (asprintf(&lv, "/dev/%s/", os_vg) < 0)
        lv = NULL;
    return strncmp(dev, "/dev/sda", 8) == 0 || (lv && strncmp(dev, lv, strlen(lv)) == 0) ||
           (mapper && strncmp(dev, mapper, strlen(mapper)) == 0);
}

/* Mounts the guest's filesystems, parents first; those on the read-only
 * application disk read-only. */
static int
mount_guest(guestfs_h *g, const char *os_vg, struct ab_error *err)
{
    char **roots = guestfs_inspect_os(g);
    if (!roots)
        return engine_handle_failed(g, err, "while inspecting the OS disk");
    if (!roots[0]) {
        free_strv(roots);
        return ab_build_error(err, 0, "libguestfs finds no operating system on the OS disk");
    }
    char **mp = guestfs_inspect_get_mountpoints(g, roots[0]);
    free_strv(roots);
    if (!mp)
        return engine_handle_failed(g, err, "while reading the guest's mount points");
    size_t n = 0;
    while (mp[2 * n])
        n++;
    char **paths = calloc(n + 1, sizeof(char *));
    int r = paths ? 0 : ab_oom(err);
    for (size_t i = 0; paths && i < n; i++)
        paths[i] = mp[2 * i];
    if (paths)
        qsort(paths, n, sizeof(char *), by_length);
    for (size_t i = 0; r == 0 && i < n; i++) {
        const char *dev = NULL;
        for (size_t k = 0; k < n; k++)
            if (mp[2 * k] == paths[i])
                dev = mp[2 * k + 1];
        if (!dev)
            continue;
        if ((on_os_disk(dev, os_vg) ? guestfs_mount(g, dev, paths[i]) : guestfs_mount_ro(g, dev, paths[i])) < 0)
            r = engine_handle_failed(g, err, "while mounting the guest's filesystems");
    }
    free(paths);
    free_strv(mp);
    return r;
}

static int
clear_machine_id(guestfs_h *g, struct identity_result *res, struct ab_error *err)
{
    const char *p = "/etc/machine-id";
    if (guestfs_is_file_opts(g, p, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 0, -1) == 1) {
        int64_t size = guestfs_filesize(g, p);
        res->machine_id_was_set = size > 0;
        /* Truncated in place: its owner, mode and labels stay. */
        if (size > 0 && guestfs_truncate(g, p) < 0)
            return engine_handle_failed(g, err, "while emptying /etc/machine-id");
    } else if (guestfs_rm_f(g, p) < 0 || guestfs_write(g, p, "", 0) < 0 ||
               guestfs_chmod(g, 0444, p) < 0) {
        return engine_handle_failed(g, err, "while emptying /etc/machine-id");
    }
    const char *dbus = "/var/lib/dbus/machine-id";
    if (guestfs_is_dir(g, "/var/lib/dbus") != 1)
        return 0;
    CLEANUP_FREE char *target = guestfs_is_symlink(g, dbus) == 1 ? guestfs_readlink(g, dbus) : NULL;
    if (target && strcmp(target, "/etc/machine-id") == 0)
        return 0;
    if (guestfs_rm_f(g, dbus) < 0 || guestfs_ln_s(g, "/etc/machine-id", dbus) < 0)
        return engine_handle_failed(g, err, "while linking /var/lib/dbus/machine-id");
    res->dbus_linked = true;
    return 0;
}

static int
remove_host_keys(guestfs_h *g, struct identity_result *res, struct ab_error *err)
{
    if (guestfs_is_dir(g, "/etc/ssh") != 1)
        return 0;
    char **keys = guestfs_glob_expand(g, "/etc/ssh/ssh_host_*");
    if (!keys)
        return engine_handle_failed(g, err, "while listing the SSH host keys");
    int r = 0;
    for (size_t i = 0; keys[i] && r == 0; i++) {
        if (guestfs_rm_f(g, keys[i]) < 0)
            r = engine_handle_failed(g, err, "while removing the SSH host keys");
        else
            res->host_keys_removed++;
    }
    free_strv(keys);
    return r;
}

int
engine_identity_clear(const char *os_raw, const char *os_vg, const char *app,
                      const char *app_format, bool use_kvm, FILE *log,
                      struct identity_result *res, struct ab_error *err)
{
    double start = mono_now();
    *res = (struct identity_result){0};
    guestfs_h *g = engine_handle_new(use_kvm, log, err);
    if (!g)
        return -1;
    int r = -1;
    if (guestfs_add_drive_opts(g, os_raw, GUESTFS_ADD_DRIVE_OPTS_FORMAT, "raw", -1) < 0 ||
        guestfs_add_drive_opts(g, app, GUESTFS_ADD_DRIVE_OPTS_FORMAT, app_format,
                               GUESTFS_ADD_DRIVE_OPTS_READONLY, 1, -1) < 0) {
        engine_handle_failed(g, err, "cannot add the disks to the appliance");
        goto out;
    }
    if (engine_handle_report_write_errors(g, 0, err) < 0)
        goto out;
    if (guestfs_launch(g) < 0) {
        engine_handle_failed(g, err, "cannot launch the libguestfs appliance");
        goto out;
    }
    if (mount_guest(g, os_vg, err) < 0 || clear_machine_id(g, res, err) < 0 ||
        remove_host_keys(g, res, err) < 0)
        goto out;
    if (guestfs_umount_all(g) < 0 || guestfs_shutdown(g) < 0) {
        engine_handle_failed(g, err, "while writing the OS disk's changes");
        goto out;
    }
    r = 0;
out:
    engine_handle_close(g);
    res->seconds = mono_now() - start;
    return r;
}
