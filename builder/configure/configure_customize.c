/* configure_customize.c: the recipe's users, files and run lines, in a
 * chroot of the tree on the host, each in a private mount namespace. */
#include "appliance/configure.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/inroot.h"
#include "appliance/nsrun.h"
#include "appliance/redact.h"
#include "appliance/spawn.h"
#include "appliance/templates.h"

static int
add_user(const char *root, const struct recipe_user *u, const struct spawn_ctx *ctx,
         struct ab_error *err)
{
    CLEANUP_FREE char *groups = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&groups, &len);
    for (char **g = u->groups; g && *g; g++) {
        fprintf(f, "%s%s", g == u->groups ? "" : ",", *g);
        if (nsrun_chroot(ctx, root, err, "groupadd", "-f", *g, NULL) < 0)
            return -1;
    }
    fclose(f);
    const char *getent[] = {"getent", "passwd", u->name, NULL};
    struct ab_error ignored = AB_ERROR_INIT;
    bool known =
        nsrun(root, NSRUN_CHROOT, getent, &(const struct spawn_opts){.ctx = ctx}, &ignored) == 0;
    ab_error_release(&ignored);
    if (!known &&
        nsrun_chroot(ctx, root, err, "useradd", "-m", "-s", "/bin/bash", u->name, NULL) < 0)
        return -1;
    if (*groups && nsrun_chroot(ctx, root, err, "usermod", "-a", "-G", groups, u->name, NULL) < 0)
        return -1;
    if (!u->password_hash)
        return 0;
    /* The hash goes through stdin, never on a command line or in the log. */
    CLEANUP_FREE char *line = NULL;
    if (asprintf(&line, "%s:%s\n", u->name, u->password_hash) < 0)
        return ab_oom(err);
    const char *chpasswd[] = {"chpasswd", "-e", NULL};
    struct spawn_opts o = {.ctx = ctx, .input = line, .input_len = strlen(line)};
    return nsrun(root, NSRUN_CHROOT, chpasswd, &o, err);
}

static int
add_keys(const char *root, const struct recipe_user *u, const struct spawn_ctx *ctx,
         struct ab_error *err)
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
    return nsrun_chroot(ctx, root, err, "chown", "-R", owner, home, NULL) < 0 ||
                   nsrun_chroot(ctx, root, err, "chmod", "0700", home, NULL) < 0
               ? -1
               : 0;
}

char *
configure_file_target(const struct plan_file *f, bool is_dir)
{
    size_t dl = strlen(f->dest);
    bool into = f->dest[dl - 1] == '/';
    char *inside = NULL;
    if (is_dir || !into)
        return strndup(f->dest, into && dl > 1 ? dl - 1 : dl);
    if (asprintf(&inside, "%s%s", f->dest, strrchr(f->src_abs, '/') + 1) < 0)
        return NULL;
    return inside;
}

/* The source (a trusted host file or folder) copied by descriptors into
 * the tree, every destination folder resolved inside it (inroot.h); the
 * owner and mode are then set in a chroot, by the tree's own names. */
static int
copy_file(const char *root, const struct plan_file *f, const struct spawn_ctx *ctx,
          struct ab_error *err)
{
    struct stat st;
    CLEANUP_CLOSE int src = open(f->src_abs, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (src < 0 || fstat(src, &st) < 0)
        return ab_build_error(err, errno, "source '%s': %s", f->src, strerror(errno));
    CLEANUP_FREE char *inside = configure_file_target(f, S_ISDIR(st.st_mode));
    if (!inside)
        return ab_oom(err);
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0 || inroot_copy(src, rootfd, inside, err) < 0 ||
        nsrun_chroot(ctx, root, err, "chown", "-R", f->owner, inside, NULL) < 0)
        return -1;
    if (f->mode >= 0) {
        char mode[16];
        snprintf(mode, sizeof(mode), "%04o", (unsigned)f->mode & 07777);
        return nsrun_chroot(ctx, root, err, "chmod", mode, inside, NULL);
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
run_lines(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
          struct ab_error *err)
{
    if (!plan->run || !plan->run[0])
        return 0;
    /* No service starts while the lines install packages (invoke-rc.d). */
    if (templates_write(root, "/usr/sbin/policy-rc.d", 0755, "policy-rc.d", NULL, err) < 0)
        return -1;
    /* Each line in a chroot of its own private mount namespace (nsrun.h):
     * /proc, /sys and /dev are the line's alone and end with it. */
    int ret = 0;
    for (size_t i = 0; ret == 0 && plan->run[i]; i++) {
        const char *argv[] = {"/bin/sh", "-e", "-c", plan->run[i], NULL};
        if (nsrun(root, NSRUN_CHROOT, argv, &(const struct spawn_opts){.ctx = ctx}, err) < 0) {
            run_line_context(err, i, plan->run[i]);
            ret = -1;
        }
    }
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0 || inroot_remove(rootfd, "/usr/sbin/policy-rc.d", err) < 0)
        ret = -1;
    return ret;
}

int
configure_customize(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
                    struct ab_error *err)
{
    for (size_t i = 0; i < plan->n_users; i++) {
        if (add_user(root, &plan->users[i], ctx, err) < 0 ||
            add_keys(root, &plan->users[i], ctx, err) < 0) {
            ab_error_prefix(err, "while adding user '%s'", plan->users[i].name);
            return -1;
        }
    }
    for (size_t i = 0; i < plan->n_files; i++) {
        if (copy_file(root, &plan->files[i], ctx, err) < 0) {
            ab_error_prefix(err, "while copying '%s' to '%s'", plan->files[i].src,
                            plan->files[i].dest);
            return -1;
        }
    }
    return run_lines(plan, root, ctx, err);
}
