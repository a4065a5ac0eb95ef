/* cmd_init.c: `appliance init`, a commented starter recipe written for one
 * distribution. The recipe is templates/starter-recipe.yaml; the
 * distribution's row (distro.h) fills its placeholders. */
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/cli.h"
#include "appliance/distro.h"
#include "appliance/fsutil.h"
#include "appliance/names.h"
#include "appliance/templates.h"
#include "options.h"

#define INIT_FILE "appliance.yaml"
#define INIT_DEFAULT_DISTRO DISTRO_DEBIAN_12
#define INIT_DEFAULT_NAME "appliance"

enum {
    OPT_DISTRO = CLI_OPT_FIRST,
    OPT_FORCE,
};

static const struct cli_option init_options[] = {
    {OPT_DISTRO, 0, "distro", "DISTRO", "the distribution (default debian-12; the list below)",
     NULL},
    {OPT_FORCE, 0, "force", NULL, "overwrite an existing " INIT_FILE, NULL},
    {0, 0, NULL, NULL, NULL, NULL},
};

static const char init_usage[] =
    "Usage: appliance init [--distro DISTRO] [--force] [DIR]\n"
    "\n"
    "Write a commented starter recipe, DIR/" INIT_FILE " (DIR: the current\n"
    "folder, made when it does not exist), that builds and boots as it\n"
    "stands: an OS disk and an application disk, a user 'admin' whose\n"
    "password hash is a placeholder (the password \"appliance\": make a real\n"
    "hash with 'openssl passwd -6'), and the outputs ova, qcow2 and libvirt.\n"
    "The recipe's name is DIR's, when that makes a valid name.\n";

struct init_opts {
    enum distro distro;
    bool force;
};

/* The distribution named text, or a usage error (with a hint when text
 * looks like a misspelt name). */
static int
init_distro(const char *text, enum distro *d)
{
    int v;
    char list[256];
    if (ab_enum_from_string(&distro_table, text, &v) == 0) {
        *d = (enum distro)v;
        return 0;
    }
    const char *hint = ab_enum_closest(&distro_table, text);
    ab_enum_list(&distro_table, list, sizeof(list));
    if (hint)
        return cli_usage_error("init",
                               "unknown distribution '%s' (did you mean '%s'?): "
                               "expected %s",
                               text, hint, list);
    return cli_usage_error("init", "unknown distribution '%s': expected %s", text, list);
}

/* The recipe's name, and host name, from the folder's own: lowercase,
 * any character a name cannot hold made '-'; INIT_DEFAULT_NAME when that
 * is not a name or not a host name ("x-"). */
static char *
init_name(const char *dir)
{
    CLEANUP_FREE char *real = realpath(dir, NULL);
    char *name = strdup(real ? basename(real) : INIT_DEFAULT_NAME);
    if (!name)
        return NULL;
    for (char *p = name; *p; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            *p = '-';
    }
    if (name_check_appliance(name) || name_check_hostname(name)) {
        free(name);
        name = strdup(INIT_DEFAULT_NAME);
    }
    return name;
}

/* The starter recipe's text for d, named name. */
static char *
init_render(enum distro d, const char *name, struct ab_error *err)
{
    const struct distro_row *r = distro_row(d);
    char list[256];
    /* "centos-stream-9 | rocky-9 | ...", as the recipe's comments list them. */
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < distro_n_rows && used < sizeof(list); i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? " | " : "",
                                 distro_rows[i].key.name);
    const struct template_value values[] = {
        {"TITLE", r->title},
        {"NAME", name},
        {"DISTRO", r->key.name},
        {"DISTROS", list},
        {"ADMIN_GROUP", r->admin_group},
        {NULL, NULL},
    };
    return templates_render("starter-recipe.yaml", values, err);
}

/* Makes dir when it does not exist (its parent must; *made says so) and
 * checks that a file can be made in it. */
static int
init_folder(const char *dir, bool *made, struct ab_error *err)
{
    struct stat st;
    if (stat(dir, &st) < 0) {
        if (errno != ENOENT || mkdir(dir, 0777) < 0)
            return ab_build_error(err, errno, "cannot make folder '%s': %s", dir, strerror(errno));
        *made = true;
    } else if (!S_ISDIR(st.st_mode)) {
        return ab_build_error(err, ENOTDIR, "'%s' is not a folder", dir);
    }
    if (access(dir, W_OK | X_OK) < 0)
        return ab_build_error(err, errno, "cannot write in '%s': %s", dir, strerror(errno));
    return 0;
}

/* Writes the recipe at path, all at once; an existing file only when
 * force. (Two inits racing on one folder may both pass the check; the
 * file is then whole, from the last.) */
static int
init_write(const char *path, const char *text, bool force, struct ab_error *err)
{
    struct stat st;
    if (!force && lstat(path, &st) == 0)
        return ab_build_error(err, EEXIST, "'%s' already exists: --force overwrites it", path);
    return write_atomic_data(path, 0644, text, strlen(text), err);
}

static int
on_init_option(void *ctx, int id, const char *arg)
{
    struct init_opts *o = ctx;
    switch (id) {
    case OPT_DISTRO:
        return init_distro(arg, &o->distro) != 0 ? 2 : 0;
    case OPT_FORCE:
        o->force = true;
        return 0;
    default:
        return -1;
    }
}

static void
print_result(const struct cli *c, const char *path, enum distro d, const char *name)
{
    if (c->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "recipe", json_object_new_string(path));
        json_object_object_add(o, "distro", json_object_new_string(distro_row(d)->key.name));
        json_object_object_add(o, "name", json_object_new_string(name));
        cli_print_json(o);
    } else if (cli_shows(c, CLI_NORMAL)) {
        printf("wrote %s (%s, name '%s'); next: set a password (openssl passwd -6), then\n"
               "  appliance validate %s\n"
               "  sudo appliance build %s\n",
               path, distro_row(d)->title, name, path, path);
    }
}

static int
init(struct cli *c, const struct init_opts *o, const char *dir)
{
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *path = NULL, *name = NULL, *text = NULL;
    bool made = false;
    if (init_folder(dir, &made, &err) == 0) {
        if (asprintf(&path, "%s/%s", dir, INIT_FILE) < 0)
            path = NULL;
        if (!path || !(name = init_name(dir)))
            ab_oom(&err);
        else if ((text = init_render(o->distro, name, &err)) &&
                 init_write(path, text, o->force, &err) == 0)
            print_result(c, path, o->distro, name);
    }
    if (ab_error_is_set(&err) && made)
        rmdir(dir); /* a failed init leaves nothing */
    int status = ab_error_is_set(&err) ? cli_report_to(c, &err) : 0;
    ab_error_release(&err);
    if (status == 0 && fflush(stdout) != 0) {
        perror("appliance: error: writing to stdout");
        return 1;
    }
    return status;
}

int
cmd_init(int argc, char **argv)
{
    char list[256], footer[512];
    snprintf(footer, sizeof(footer),
             "Distributions: %s.\n"
             "With --json, prints {\"recipe\", \"distro\", \"name\"}.\n"
             "Exit status: 0 written, 1 not written (the file exists, or DIR cannot be\n"
             "written), 2 usage error.\n",
             ab_enum_list(&distro_table, list, sizeof(list)));
    const struct cli_command command = {"init", init_usage, init_options, footer};
    struct cli c;
    struct init_opts o = {.distro = INIT_DEFAULT_DISTRO};
    int status = cli_parse(&c, &command, argc, argv, on_init_option, &o);
    if (status >= 0)
        return status;
    if (c.n_args > 1)
        return cli_usage_error("init", "unexpected argument '%s'", c.args[1]);
    const char *dir = c.n_args ? c.args[0] : ".";
    if (!*dir)
        return cli_usage_error("init", "DIR must not be empty");
    if ((status = cli_open_log(&c)) != 0)
        return cli_release(&c, status);
    return cli_release(&c, init(&c, &o, dir));
}
