/* configure_system.c: system settings and clone hygiene of the tree. */
#include "appliance/configure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"
#include "appliance/nsrun.h"
#include "appliance/spawn.h"
#include "appliance/templates.h"

static int
set_timezone(const struct plan *plan, const char *root, struct ab_error *err)
{
    CLEANUP_FREE char *target = NULL;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    if (asprintf(&target, "/usr/share/zoneinfo/%s", plan->os.timezone) < 0)
        return ab_oom(err);
    if (!inroot_exists(rootfd, target, NULL) && strcmp(plan->os.timezone, "UTC") != 0)
        return ab_build_error(err, 0, "timezone '%s' is not known to the installed system",
                              plan->os.timezone);
    if (inroot_symlink(rootfd, target, "/etc/localtime", err) < 0) {
        ab_error_prefix(err, "while setting the timezone");
        return -1;
    }
    return write_filef(root, "/etc/timezone", 0644, err, "%s\n", plan->os.timezone);
}

static int
set_identity(const struct plan *plan, const char *root, struct ab_error *err)
{
    const char *h = plan->os.hostname;
    const char *dot = strchr(h, '.');
    int shortlen = dot ? (int)(dot - h) : (int)strlen(h);
    /* The 127.0.1.1 line: the name as given, then its short form when it
     * has a domain. */
    CLEANUP_FREE char *names = NULL;
    if (asprintf(&names, "%s%s%.*s", h, dot ? " " : "", dot ? shortlen : 0, h) < 0)
        return ab_oom(err);
    const struct template_value hosts[] = {{"HOST_NAMES", names}, {NULL, NULL}};
    const struct template_value locale[] = {{"LOCALE", plan->os.locale}, {NULL, NULL}};
    if (write_filef(root, "/etc/hostname", 0644, err, "%.*s\n", shortlen, h) < 0 ||
        templates_write(root, "/etc/hosts", 0644, "hosts", hosts, err) < 0 ||
        templates_write(root, "/etc/default/locale", 0644, "locale.conf", locale, err) < 0 ||
        templates_write(root, "/etc/locale.conf", 0644, "locale.conf", locale, err) < 0)
        return -1;
    return set_timezone(plan, root, err);
}

static bool
unit_installed(const char *root, const char *unit)
{
    static const char *const dirs[] = {"/lib/systemd/system", "/usr/lib/systemd/system"};
    struct ab_error ignored = AB_ERROR_INIT;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, &ignored);
    ab_error_release(&ignored);
    for (size_t i = 0; rootfd >= 0 && i < 2; i++) {
        CLEANUP_FREE char *path = NULL;
        if (asprintf(&path, "%s/%s", dirs[i], unit) >= 0 && inroot_exists(rootfd, path, NULL))
            return true;
    }
    return false;
}

static int
install_services(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
                 struct ab_error *err)
{
    /* appliance-lvm activates both volume groups before local filesystems
     * are mounted, on any hypervisor: event activation alone can leave the
     * application disk's VG inactive when the initramfs already scanned it. */
    const struct template_value report[] = {{"NAME", plan->name},
                                            {"VERSION", plan->version},
                                            {"SERIAL", arch_row(plan->hardware.arch)->serial},
                                            {NULL, NULL}};
    if (templates_write(root, "/etc/systemd/network/80-appliance-dhcp.network", 0644,
                        "80-appliance-dhcp.network", NULL, err) < 0 ||
        templates_write(root, "/usr/libexec/appliance/console-report", 0755, "console-report", NULL,
                        err) < 0 ||
        templates_write(root, "/etc/systemd/system/appliance-console-report.service", 0644,
                        "appliance-console-report.service", report, err) < 0 ||
        templates_write(root, "/etc/systemd/system/appliance-ssh-host-keys.service", 0644,
                        "appliance-ssh-host-keys.service", NULL, err) < 0 ||
        templates_write(root, "/etc/systemd/system/appliance-lvm.service", 0644,
                        "appliance-lvm.service", NULL, err) < 0)
        return -1;
    /* NetworkManager (the CentOS family) configures every Ethernet
     * interface by DHCP on its own; elsewhere systemd-networkd does. */
    const char *network = unit_installed(root, "NetworkManager.service")
                              ? "NetworkManager.service"
                              : "systemd-networkd.service";
    return nsrun_chroot(ctx, root, err, "systemctl", "enable", "--quiet", network,
                        "appliance-console-report.service", "appliance-ssh-host-keys.service",
                        "appliance-lvm.service", NULL);
}

/* Each add-on's services start only on their own hypervisor, so one image
 * behaves well everywhere (systemd.unit(5), ConditionVirtualization=). */
static const struct {
    const char *unit;
    const char *condition;
} addon_units[] = {
    {"open-vm-tools.service", "ConditionVirtualization=vmware"},
    {"vgauth.service", "ConditionVirtualization=vmware"},
    {"hv-kvp-daemon.service", "ConditionVirtualization=microsoft"},
    {"hv-vss-daemon.service", "ConditionVirtualization=microsoft"},
    {"hv-fcopy-daemon.service", "ConditionVirtualization=microsoft"},
    {"hypervkvpd.service", "ConditionVirtualization=microsoft"},
    {"hypervvssd.service", "ConditionVirtualization=microsoft"},
    {"hypervfcopyd.service", "ConditionVirtualization=microsoft"},
    {"qemu-guest-agent.service", "ConditionVirtualization=|kvm\nConditionVirtualization=|qemu"},
};

static int
condition_addons(const char *root, struct ab_error *err)
{
    for (size_t i = 0; i < sizeof(addon_units) / sizeof(addon_units[0]); i++) {
        if (!unit_installed(root, addon_units[i].unit))
            continue;
        CLEANUP_FREE char *path = NULL;
        if (asprintf(&path, "/etc/systemd/system/%s.d/appliance-hypervisor.conf",
                     addon_units[i].unit) < 0)
            return ab_oom(err);
        const struct template_value values[] = {{"CONDITIONS", addon_units[i].condition},
                                                {NULL, NULL}};
        if (templates_write(root, path, 0644, "hypervisor.conf", values, err) < 0)
            return -1;
    }
    return 0;
}

int
configure_system(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
                 struct ab_error *err)
{
    if (set_identity(plan, root, err) < 0 || install_services(plan, root, ctx, err) < 0 ||
        condition_addons(root, err) < 0) {
        ab_error_prefix(err, "while configuring the system");
        return -1;
    }
    return 0;
}

static const char *const hygiene_removed[] = {
    "/etc/ssh/ssh_host_*",
    "/var/lib/dbus/machine-id",
    "/var/lib/systemd/random-seed",
    "/var/lib/systemd/credential.secret",
    "/var/lib/dhcp/*.leases",
    "/var/lib/NetworkManager/*.lease",
    "/var/lib/cloud/instances",
    "/var/log/journal/*",
    "/var/log/*.log",
    "/var/log/syslog*",
    "/var/log/messages*",
    "/var/log/wtmp",
    "/var/log/btmp",
    "/var/log/lastlog",
    "/var/log/apt/*",
    "/var/cache/apt/*.bin",
    "/var/cache/apt/archives/*.deb",
    "/var/lib/apt/lists/*_Packages",
    "/var/lib/apt/lists/*_InRelease",
    "/var/cache/dnf/*",
    "/root/.bash_history",
    "/tmp/*",
    "/var/tmp/*",
};

int
configure_hygiene(const struct plan *plan, const char *root, struct ab_error *err)
{
    (void)plan;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    /* Each pattern's folder is resolved in the tree: a `var/log -> /var/log`
     * link there empties the tree's own /var/log, never the host's. */
    for (size_t i = 0; i < sizeof(hygiene_removed) / sizeof(hygiene_removed[0]); i++)
        if (inroot_remove_glob(rootfd, hygiene_removed[i], err) < 0) {
            ab_error_prefix(err, "while clearing '%s'", hygiene_removed[i]);
            return -1;
        }
    /* Empty, not absent: systemd fills it on first boot (machine-id(5)). */
    if (inroot_write(rootfd, "/etc/machine-id", "", 0, 0444, err) < 0)
        return -1;
    if (inroot_exists(rootfd, "/var/lib/dbus", NULL) &&
        inroot_symlink(rootfd, "/etc/machine-id", "/var/lib/dbus/machine-id", err) < 0)
        return -1;
    return 0;
}

/* The policy type of /etc/selinux/config, or NULL when SELinux is off. */
static char *
selinux_type(const char *root)
{
    char line[256], type[64] = "targeted";
    bool enabled = false;
    struct ab_error ignored = AB_ERROR_INIT;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, &ignored);
    ab_error_release(&ignored);
    CLEANUP_FCLOSE FILE *f = rootfd >= 0 ? inroot_fopen_read(rootfd, "/etc/selinux/config") : NULL;
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "SELINUX=", 8) == 0)
            enabled = strncmp(line + 8, "disabled", 8) != 0;
        else if (sscanf(line, "SELINUXTYPE=%63s", type) == 1)
            continue;
    }
    return f && enabled ? strdup(type) : NULL;
}

int
configure_selinux(const char *root, const struct spawn_ctx *ctx, struct ab_error *err)
{
    CLEANUP_FREE char *type = selinux_type(root), *contexts = NULL;
    if (!type)
        return 0;
    if (asprintf(&contexts, "/etc/selinux/%s/contexts/files/file_contexts", type) < 0)
        return ab_oom(err);
    struct ab_error ignored = AB_ERROR_INIT;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    int r = inroot_exists(rootfd, contexts, NULL)
                ? nsrun_chroot(ctx, root, &ignored, "setfiles", "-F", "-e", "/proc", "-e", "/sys",
                               "-e", "/dev", contexts, "/", NULL)
                : -1;
    ab_error_release(&ignored);
    if (r == 0)
        return 0;
    return write_file(root, "/.autorelabel", "", 0644, err);
}
