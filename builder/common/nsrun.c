/* nsrun.c: chroot work (and dnf) in a private mount namespace with the
 * tree's own /proc, /sys and /dev (see nsrun.h). */
#include "appliance/nsrun.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/inroot.h"
#include "appliance/templates.h"

/* templates/nsrun.sh is run by `unshare --mount --propagation private --
 * sh -c`, handed over in the environment so that the log shows the
 * command, not the script.
 * mount(8) resolves "$R/proc" on the host: each of the three is checked
 * again here to be a folder and not a link (inroot_api_dirs did it first,
 * with a clear error); even a link swapped in between would only send a
 * mount of this namespace, which the host never sees. */

/* spawn_run names the program it started, unshare; the failure is the
 * command's (or, in the script's own words, the mounts'). */
static void
name_started(struct ab_error *err, size_t first, const char *program, const char *tool)
{
    char started[32];
    snprintf(started, sizeof(started), "'%s' ", program);
    for (size_t i = first; i < err->n_diags; i++) {
        struct ab_diag *d = &err->diags[i];
        char *renamed = NULL;
        if (strncmp(d->msg, started, strlen(started)) == 0 &&
            asprintf(&renamed, "'%s' %s", tool, d->msg + strlen(started)) >= 0) {
            free(d->msg);
            d->msg = renamed;
        }
    }
}

static void
name_command(struct ab_error *err, size_t first, const char *tool)
{
    name_started(err, first, "unshare", tool);
}

int
nsrun(const char *root, enum nsrun_where where, const char *const *argv,
      const struct spawn_opts *opts, struct ab_error *err)
{
    size_t n_argv = 0, n_env = 0;
    while (argv[n_argv])
        n_argv++;
    for (const char *const *e = opts && opts->env ? opts->env : NULL; e && *e; e++)
        n_env++;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0 || inroot_api_dirs(rootfd, err) < 0)
        return -1;
    const char *head[] = {"unshare",
                          "--mount",
                          "--propagation",
                          "private",
                          "--",
                          "sh",
                          "-c",
                          "eval \"$APPLIANCE_NSRUN\"",
                          "appliance-nsrun",
                          root,
                          where == NSRUN_CHROOT ? "chroot" : "host"};
    size_t n_head = sizeof(head) / sizeof(head[0]);
    CLEANUP_FREE char *script = NULL;
    CLEANUP_FREE const char **args = calloc(n_head + n_argv + 1, sizeof(char *));
    CLEANUP_FREE const char **env = calloc(n_env + 2, sizeof(char *));
    if (!args || !env || asprintf(&script, "APPLIANCE_NSRUN=%s", templates_get("nsrun.sh")) < 0)
        return ab_oom(err);
    size_t n = 0;
    for (size_t i = 0; i < n_head; i++)
        args[n++] = head[i];
    for (size_t i = 0; i < n_argv; i++)
        args[n++] = argv[i];
    for (size_t i = 0; i < n_env; i++)
        env[i] = opts->env[i];
    env[n_env] = script;
    struct spawn_opts o = opts ? *opts : (struct spawn_opts){0};
    o.chroot = NULL;
    o.cwd = NULL;
    o.env = env;
    size_t first = err->n_diags;
    if (spawn_run(args, &o, err) < 0) {
        name_command(err, first, argv[0]);
        return -1;
    }
    return 0;
}

int
nsrun_private(const char *const *argv, const struct spawn_opts *opts, struct ab_error *err)
{
    size_t n_argv = 0;
    while (argv[n_argv])
        n_argv++;
    const char *head[] = {"unshare", "--mount", "--propagation", "private", "--"};
    size_t n_head = sizeof(head) / sizeof(head[0]), n = 0;
    CLEANUP_FREE const char **args = calloc(n_head + n_argv + 1, sizeof(char *));
    if (!args)
        return ab_oom(err);
    for (size_t i = 0; i < n_head; i++)
        args[n++] = head[i];
    for (size_t i = 0; i < n_argv; i++)
        args[n++] = argv[i];
    size_t first = err->n_diags;
    if (spawn_run(args, opts, err) < 0) {
        name_command(err, first, argv[0]);
        return -1;
    }
    return 0;
}

int
nsrun_script(const char *name, const char *const *args, bool private_mounts,
             const struct spawn_opts *opts, struct ab_error *err)
{
    size_t n_args = 0, n_env = 0;
    while (args[n_args])
        n_args++;
    for (const char *const *e = opts && opts->env ? opts->env : NULL; e && *e; e++)
        n_env++;
    const char *text = templates_get(name);
    if (!text)
        return ab_build_error(err, 0, "no template '%s'", name);
    const char *head[] = {"unshare", "--mount", "--propagation", "private", "--",
                          "sh",      "-c",      "eval \"$APPLIANCE_SCRIPT\"", name};
    size_t n_head = sizeof(head) / sizeof(head[0]), n = 0, skip = private_mounts ? 0 : 5;
    CLEANUP_FREE char *script = NULL;
    CLEANUP_FREE const char **argv = calloc(n_head + n_args + 1, sizeof(char *));
    CLEANUP_FREE const char **env = calloc(n_env + 2, sizeof(char *));
    if (!argv || !env || asprintf(&script, "APPLIANCE_SCRIPT=%s", text) < 0)
        return ab_oom(err);
    for (size_t i = skip; i < n_head; i++)
        argv[n++] = head[i];
    for (size_t i = 0; i < n_args; i++)
        argv[n++] = args[i];
    for (size_t i = 0; i < n_env; i++)
        env[i] = opts->env[i];
    env[n_env] = script;
    struct spawn_opts o = opts ? *opts : (struct spawn_opts){0};
    o.env = env;
    size_t first = err->n_diags;
    if (spawn_run(argv, &o, err) < 0) {
        name_started(err, first, argv[0], name);
        return -1;
    }
    return 0;
}

int
nsrun_chroot(const struct spawn_ctx *ctx, const char *root, struct ab_error *err, const char *first,
             ...)
{
    CLEANUP_SPAWN_ARGV struct spawn_argv argv = SPAWN_ARGV_INIT;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        spawn_argv_add(&argv, a);
    va_end(ap);
    if (argv.failed || !argv.v)
        return ab_oom(err);
    struct spawn_opts o = {.ctx = ctx};
    return nsrun(root, NSRUN_CHROOT, argv.v, &o, err);
}
