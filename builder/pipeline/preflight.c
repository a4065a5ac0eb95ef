/* preflight.c: what a build needs, checked before any long work: root
 * (of the host or of the build's user namespace),
 * the tools of the recipe's sources and outputs, the distribution's
 * archive keys, folders that can be written, and free space for the disks
 * and the outputs. Every problem is one line of the error, all of them in
 * one run. */
#include "preflight.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "appliance/binfmt.h"
#include "appliance/cleanup.h"
#include "appliance/distro.h"
#include "appliance/size.h"
#include "appliance/spawn.h"

/* Bytes of data in the OS disk of a small appliance (the demo holds
 * 0.8 GiB); the estimate is meant to catch a folder that is clearly too
 * small, not to predict the build to the byte. */
#define DATA_ESTIMATE (UINT64_C(1) << 30)

static uint64_t
pct(uint64_t v, unsigned percent)
{
    return v / 100 * percent;
}

void
preflight_estimate(const struct plan *plan, struct preflight_need *need)
{
    uint64_t d = DATA_ESTIMATE;
    if (plan->disks[PLAN_DISK_OS].size < d)
        d = plan->disks[PLAN_DISK_OS].size;
    unsigned o = plan->outputs;
    uint64_t out = d; /* the raw disks, sparse */
    if (o & OUTPUT_OVF)
        out += pct(d, 40); /* compressed VMDKs */
    if (o & OUTPUT_OVA)
        out += pct(d, (o & OUTPUT_OVF) ? 40 : 80); /* the VMDKs, then the tar */
    static const unsigned whole[] = {OUTPUT_VMDK, OUTPUT_QCOW2, OUTPUT_VHDX,
                                     OUTPUT_VDI,  OUTPUT_AZURE, OUTPUT_VMX,
                                     OUTPUT_UTM /* its qcow2 */};
    for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
        if (o & whole[i])
            out += d;
    if (o & OUTPUT_GCE)
        out += pct(d, 40);
    if (o & OUTPUT_CONTAINER)
        out += d + pct(d, 40); /* the OCI archive's layer, the zstd'd template */
    if (o & OUTPUT_KUBEVIRT)
        out += 2 * d; /* each containerDisk's layer while its archive is written, the archive */
    need->output = out;
    /* The root tree, and each xfs filesystem's scratch file (or tar) while it is made;
     * the container's layer. */
    need->scratch = (o & OUTPUT_CONTAINER) ? 3 * d : 2 * d;
}

/* The nearest folder of path that exists (path itself, or a parent). */
static char *
existing_parent(const char *path)
{
    char *p = strdup(path);
    while (p) {
        struct stat st;
        if (stat(p, &st) == 0)
            return p;
        char *slash = strrchr(p, '/');
        if (!slash) {
            free(p);
            return strdup(".");
        }
        if (slash == p) {
            slash[1] = '\0';
            continue;
        }
        *slash = '\0';
    }
    return NULL;
}

static void
check_folder(const char *what, const char *path, uint64_t need, bool space,
             struct ab_error *err)
{
    CLEANUP_FREE char *dir = existing_parent(path);
    if (!dir) {
        ab_oom(err);
        return;
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        ab_build_error(err, ENOTDIR, "%s '%s': '%s' is not a folder", what, path, dir);
        return;
    }
    if (access(dir, W_OK | X_OK) < 0) {
        ab_build_error(err, errno, "%s '%s': cannot write in '%s': %s", what, path, dir,
                       strerror(errno));
        return;
    }
    struct statvfs vfs;
    if (!space || statvfs(dir, &vfs) < 0)
        return;
    uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    if (avail < need) {
        char a[32], n[32];
        size_format_round(avail, a, sizeof(a));
        size_format_round(need, n, sizeof(n));
        ab_build_error(err, ENOSPC,
                       "%s '%s': %s free, the build needs about %s (use --no-space-check "
                       "to try anyway)",
                       what, dir, a, n);
    }
}

/* The Debian package of each program a build may run (the Makefile's
 * DEPS_RUN), for the command that installs a missing one. */
static const struct {
    const char *tool, *package;
} tool_packages[] = {
    {"sfdisk", "fdisk"},          {"mke2fs", "e2fsprogs"}, {"mkswap", "util-linux"},
    {"mkfs.vfat", "dosfstools"},  {"mcopy", "mtools"},     {"mmd", "mtools"},
    {"debugfs", "e2fsprogs"},     {"tar", "tar"},          {"qemu-img", "qemu-utils"},
    {"mkfs.xfs", "xfsprogs"},     {"xfs_db", "xfsprogs"},  {"pigz", "pigz"},
    {"mmdebstrap", "mmdebstrap"}, {"dnf", "dnf"},
};

static const char *
tool_package(const char *tool)
{
    for (size_t i = 0; i < sizeof(tool_packages) / sizeof(tool_packages[0]); i++)
        if (strcmp(tool_packages[i].tool, tool) == 0)
            return tool_packages[i].package;
    return tool;
}

/* One line when tool is missing: why it is needed (NULL: every build). */
static void
need_tool(const char *tool, const char *why, struct ab_error *err)
{
    if (spawn_have(tool))
        return;
    ab_build_error(err, ENOENT, "'%s' is not installed%s%s (apt-get install %s)", tool,
                   why ? ": " : "", why ? why : "", tool_package(tool));
}

/* The programs a build of plan runs, beyond those every build needs. */
static void
check_tools(const struct plan *plan, struct ab_error *err)
{
    static const char *const always[] = {"sfdisk", "mke2fs", "mkswap", "mkfs.vfat", "mcopy",
                                         "mmd",    "debugfs", "tar",  "qemu-img", NULL};
    for (const char *const *t = always; *t; t++)
        need_tool(*t, NULL, err);
    const struct distro_row *r = distro_row(plan->os.distro);
    if (!plan->os.rootfs && r->package_tool) {
        char why[64];
        snprintf(why, sizeof(why), "it installs %s", r->key.name);
        need_tool(r->package_tool, why, err);
    }
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (plan->mounts[i].fs == FS_XFS) {
            need_tool("mkfs.xfs", "xfs volumes need it", err);
            need_tool("xfs_db", "xfs volumes need it", err);
            break;
        }
    if (plan->outputs & OUTPUT_GCE)
        need_tool("pigz", "the gce output needs it", err);
}

/* The archive keys that the distribution's tool checks its packages
 * with, when they are not the tool's own (distro.h's keyring). Debian 12
 * has the only such package, ubuntu-keyring, in bookworm-backports alone
 * (the Makefile's DEPS_UBUNTU). */
static void
check_keyring(const struct plan *plan, struct ab_error *err)
{
    const struct distro_row *r = distro_row(plan->os.distro);
    if (plan->os.rootfs || !r->keyring || access(r->keyring, R_OK) == 0)
        return;
    ab_build_error(err, ENOENT,
                   "%s needs %s's archive keys in '%s': %s (apt-get install %s; Debian 12 "
                   "has it in bookworm-backports: apt-get install -t bookworm-backports %s)",
                   r->key.name, r->vendor, r->keyring, strerror(errno), r->keyring_package,
                   r->keyring_package);
}

/* What a build of the recipe needs whichever architecture it builds. */
static void
check_recipe(const struct plan *plan, const struct preflight_opts *o, struct ab_error *err)
{
    /* A user's build is root of a user namespace by now (userns.h). */
    if (geteuid() != 0)
        ab_build_error(err, EPERM,
                       "building needs root, or a user namespace where the build "
                       "is root: the tree is configured in a chroot and owned by "
                       "many users");
    check_tools(plan, err);
    check_keyring(plan, err);
    struct preflight_need need;
    preflight_estimate(plan, &need);
    /* Both on one filesystem: it must hold both. */
    CLEANUP_FREE char *a = existing_parent(o->output), *b = existing_parent(o->scratch);
    struct stat sa, sb;
    bool shared = a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev;
    check_folder("output folder", o->output, need.output + (shared ? need.scratch : 0),
                 o->check_space, err);
    check_folder("scratch folder", o->scratch, need.scratch, o->check_space && !shared, err);
}

int
preflight_check(const struct plan *plan, const struct preflight_opts *o, struct ab_error *err)
{
    return preflight_check_all(&plan, 1, o, err);
}

/* The plans of one recipe differ in their architecture alone: the
 * recipe's needs are checked once, and each architecture's qemu-user
 * (another architecture's tree runs its programs under it) once for its
 * plan, so that a missing one is said once. */
int
preflight_check_all(const struct plan *const *plans, size_t n, const struct preflight_opts *o,
                    struct ab_error *err)
{
    size_t before = err->n_diags;
    for (size_t i = 0; i < n; i++)
        binfmt_check(plans[i]->hardware.arch, err);
    if (n > 0)
        check_recipe(plans[0], o, err);
    return err->n_diags > before ? -1 : 0;
}
