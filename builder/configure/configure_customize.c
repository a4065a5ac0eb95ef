/* configure_customize.c: the recipe's users, files and run lines, in a
 * chroot of the tree on the host. */
#include "appliance/configure.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/redact.h"
#include "appliance/spawn.h"

static int
add_user(const char *root, const struct recipe_user *u, struct ab_error *err)
{
    CLEANUP_FREE char *groups = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&groups, &len);
    for (char **g = u->groups; g && *g; g++) {
        fprintf(f, "%s%s", g == u->groups ? "" : ",", *g);
        if (spawn_chroot(root, err, "groupadd", "-f", *g, NULL) < 0)
            return -1;
    }
    fclose(f);
    struct spawn_opts exists = {.chroot = root};
    const char *getent[] = {"getent", "passwd", u->name, NULL};
    struct ab_error ignored = AB_ERROR_INIT;
    bool known = spawn_run(getent, &exists, &ignored) == 0;
    ab_error_release(&ignored);
    if (!known && spawn_chroot(root, err, "useradd", "-m", "-s", "/bin/bash", u->name, NULL) < 0)
        return -1;
    if (*groups && spawn_chroot(root, err, "usermod", "-a", "-G", groups, u->name, NULL) < 0)
        return -1;
    if (!u->password_hash)
        return 0;
    /* The hash goes through stdin, never on a command line or in the log. */
    CLEANUP_FREE char *line = NULL;
    if (asprintf(&line, "%s:%s\n", u->name, u->password_hash) < 0)
        return ab_oom(err);
    const char *chpasswd[] = {"chpasswd", "-e", NULL};
    struct spawn_opts o = {.chroot = root, .input = line, .input_len = strlen(line)};
    return spawn_run(chpasswd, &o, err);
}

static int
add_keys(const char *root, const struct recipe_user *u, struct ab_error *err)
{
    if (!u->ssh_authorized_keys || !u->ssh_authorized_keys[0])
        return 0;
    CLEANUP_FREE char *home = NULL, *keys = NULL, *file = NULL, *owner = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&keys, &len);
    for (char **k = u->ssh_authorized_keys; *k; k++)
        fprintf(f, "%s\n", *k);
    if (fclose(f) != 0 ||
        (strcmp(u->name, "root") == 0 ? asprintf(&home, "/root/.ssh")
                                      : asprintf(&home, "/home/%s/.ssh", u->name)) < 0 ||
        asprintf(&file, "%s/authorized_keys", home) < 0 || asprintf(&owner, "%s:", u->name) < 0)
        return ab_oom(err);
    if (write_file(root, file, keys, 0600, err) < 0)
        return -1;
    return spawn_chroot(root, err, "chown", "-R", owner, home, NULL) < 0 ||
                   spawn_chroot(root, err, "chmod", "0700", home, NULL) < 0
               ? -1
               : 0;
}

static int
copy_file(const char *root, const struct plan_file *f, struct ab_error *err)
{
    struct stat st;
    CLEANUP_FREE char *dest = NULL, *src = NULL, *inside = NULL;
    size_t dl = strlen(f->dest);
    bool into = f->dest[dl - 1] == '/';

    if (stat(f->src_abs, &st) < 0)
        return ab_build_error(err, errno, "source '%s': %s", f->src, strerror(errno));
    if (S_ISDIR(st.st_mode) || !into)
        inside = strndup(f->dest, into && dl > 1 ? dl - 1 : dl);
    else if (asprintf(&inside, "%s%s", f->dest, strrchr(f->src_abs, '/') + 1) < 0)
        inside = NULL;
    if (!inside || asprintf(&dest, "%s%s", root, inside) < 0 ||
        asprintf(&src, "%s%s", f->src_abs, S_ISDIR(st.st_mode) ? "/." : "") < 0)
        return ab_oom(err);
    CLEANUP_FREE char *parent = strdup(dest);
    if (!parent)
        return ab_oom(err);
    *strrchr(parent, '/') = '\0';
    if (mkdir_p(S_ISDIR(st.st_mode) ? dest : parent, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", inside, strerror(errno));
    if (spawn_cmd(err, "cp", "-a", "--no-preserve=ownership", src, dest, NULL) < 0 ||
        spawn_chroot(root, err, "chown", "-R", f->owner, inside, NULL) < 0)
        return -1;
    if (f->mode >= 0) {
        char mode[16];
        snprintf(mode, sizeof(mode), "%04o", (unsigned)f->mode & 07777);
        return spawn_chroot(root, err, "chmod", mode, inside, NULL);
    }
    return 0;
}

/* /proc, /sys and /dev for run lines; services are kept from starting. */
static int
enter_mounts(const char *root, bool enter, struct ab_error *err)
{
    static const char *const dirs[] = {"/proc", "/sys", "/dev"};
    for (size_t i = 0; i < 3; i++) {
        size_t k = enter ? i : 2 - i;
        CLEANUP_FREE char *at = NULL;
        if (asprintf(&at, "%s%s", root, dirs[k]) < 0)
            return ab_oom(err);
        if (!enter) {
            umount2(at, MNT_DETACH);
            continue;
        }
        mkdir_p(at, 0755);
        int r = k == 0   ? mount("proc", at, "proc", 0, NULL)
                : k == 1 ? mount("sysfs", at, "sysfs", 0, NULL)
                         : mount("/dev", at, NULL, MS_BIND, NULL);
        if (r < 0)
            return ab_build_error(err, errno, "cannot mount %s in the tree: %s", dirs[k],
                                  strerror(errno));
    }
    return 0;
}

/* "run line N 'TEXT'": its first line, secret values hidden. */
static void
run_line_context(struct ab_error *err, size_t i, const char *line)
{
    size_t first = strcspn(line, "\n");
    CLEANUP_FREE char *head = strndup(line, first);
    CLEANUP_FREE char *shown = head ? redact(head) : NULL;
    ab_error_prefix(err, "run line %zu '%s%s'", i + 1, shown ? shown : "",
                    line[first] && line[first + 1] ? " ..." : "");
}

static int
run_lines(const struct plan *plan, const char *root, struct ab_error *err)
{
    if (!plan->run || !plan->run[0])
        return 0;
    if (write_file(root, "/usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", 0755, err) < 0)
        return -1;
    int ret = enter_mounts(root, true, err);
    for (size_t i = 0; ret == 0 && plan->run[i]; i++) {
        const char *argv[] = {"/bin/sh", "-e", "-c", plan->run[i], NULL};
        struct spawn_opts o = {.chroot = root};
        if (spawn_run(argv, &o, err) < 0) {
            run_line_context(err, i, plan->run[i]);
            ret = -1;
        }
    }
    enter_mounts(root, false, err);
    CLEANUP_FREE char *rc = NULL;
    if (asprintf(&rc, "%s/usr/sbin/policy-rc.d", root) >= 0)
        unlink(rc);
    return ret;
}

int
configure_customize(const struct plan *plan, const char *root, struct ab_error *err)
{
    for (size_t i = 0; i < plan->n_users; i++) {
        if (add_user(root, &plan->users[i], err) < 0 || add_keys(root, &plan->users[i], err) < 0) {
            ab_error_prefix(err, "while adding user '%s'", plan->users[i].name);
            return -1;
        }
    }
    for (size_t i = 0; i < plan->n_files; i++) {
        if (copy_file(root, &plan->files[i], err) < 0) {
            ab_error_prefix(err, "while copying '%s' to '%s'", plan->files[i].src,
                            plan->files[i].dest);
            return -1;
        }
    }
    return run_lines(plan, root, err);
}
