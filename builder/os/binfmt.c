/* binfmt.c: another architecture's programs through qemu-user (binfmt.h). */
#include "appliance/binfmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/userns.h"

/* The flags of a registration's "flags: POF" line. */
static bool
entry_fixed(const char *entry_path)
{
    CLEANUP_FCLOSE FILE *f = fopen(entry_path, "re");
    char line[256];
    bool enabled = false, fixed = false;
    while (f && fgets(line, sizeof(line), f)) {
        if (strcmp(line, "enabled\n") == 0)
            enabled = true;
        else if (strncmp(line, "flags: ", 7) == 0 && strchr(line + 7, 'F'))
            fixed = true;
    }
    return enabled && fixed;
}

/* The registration a binfmt_misc at BINFMT_DIR holds for name, enabled
 * and opened at registration (F): the only kind that runs in a chroot. */
static bool
registered(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), BINFMT_DIR "/%s", name);
    return entry_fixed(path);
}

/* qemu-user-static's registration line for row (its first line, into
 * conf's path and *entry), or -1 with the line that says to install it. */
static int
read_entry(const struct arch_row *row, char conf[static 128], char **entry, struct ab_error *err)
{
    snprintf(conf, 128, "/usr/lib/binfmt.d/%s.conf", row->qemu_user);
    *entry = read_text_file(conf);
    if (*entry)
        (*entry)[strcspn(*entry, "\n")] = '\0';
    if (!*entry || (*entry)[0] != ':')
        return ab_build_error(err, ENOENT,
                              "building for %s on this machine runs the tree's programs under "
                              "qemu-user, and '%s' is missing: apt-get install qemu-user-static",
                              row->name, conf);
    return 0;
}

static int
register_own(const struct arch_row *row, struct ab_error *err)
{
    char conf[128];
    CLEANUP_FREE char *entry = NULL;
    if (read_entry(row, conf, &entry, err) < 0)
        return -1;
    if (!userns_inside())
        return ab_build_error(err, EPERM,
                              "building for %s: the host has no binfmt_misc entry %s, and one "
                              "of the build's own needs a user namespace of its own",
                              row->name, row->qemu_user);
    if (mount("binfmt_misc", BINFMT_DIR, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
        0)
        return ab_build_error(err, errno,
                              "building for %s runs the tree's programs under qemu-user, and "
                              "this kernel gives no user namespace a binfmt_misc of its own "
                              "(%s; Linux 6.7 and later do): register %s on the host "
                              "(systemctl restart systemd-binfmt, or update-binfmts --enable %s)",
                              row->name, strerror(errno), row->qemu_user, row->qemu_user);
    int fd = open(BINFMT_DIR "/register", O_WRONLY | O_CLOEXEC);
    size_t n = strlen(entry);
    if (fd < 0 || write(fd, entry, n) != (ssize_t)n) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return ab_build_error(err, e, "cannot register %s from '%s' in the build's binfmt_misc: %s",
                              row->qemu_user, conf, strerror(e));
    }
    close(fd);
    if (!registered(row->qemu_user))
        return ab_build_error(err, EINVAL,
                              "'%s' registered no enabled entry %s with the F flag in the "
                              "build's binfmt_misc",
                              conf, row->qemu_user);
    return BINFMT_OWN;
}

int
binfmt_enable(enum arch arch, struct ab_error *err)
{
    if (arch == arch_host())
        return BINFMT_NATIVE;
    const struct arch_row *row = arch_row(arch);
    /* The binfmt_misc at BINFMT_DIR is the host's, whose instance a user
     * namespace without one of its own uses too, or this namespace's own,
     * registered already; an entry without F would not run in the tree. */
    if (registered(row->qemu_user))
        return BINFMT_FOUND;
    return register_own(row, err);
}

int
binfmt_check(enum arch arch, struct ab_error *err)
{
    if (arch == arch_host() || registered(arch_row(arch)->qemu_user))
        return 0;
    char conf[128];
    CLEANUP_FREE char *entry = NULL;
    return read_entry(arch_row(arch), conf, &entry, err);
}

void
binfmt_describe(enum arch arch, int how, char *out, size_t size)
{
    const struct arch_row *row = arch_row(arch);
    if (how == BINFMT_NATIVE) {
        snprintf(out, size, "%s", "");
        return;
    }
    snprintf(out, size, "cross-building: the tree's %s programs run under qemu-user (%s, %s)",
             row->name, row->qemu_user,
             how == BINFMT_FOUND ? "its binfmt_misc entry, registered already"
                                : "registered in the build's own binfmt_misc");
}
