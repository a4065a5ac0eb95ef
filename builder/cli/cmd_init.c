/* cmd_init.c: `appliance init`, a commented starter recipe written for one
 * distribution. The recipe is templates/starter-recipe.yaml; the
 * distribution's row (distro.h) fills its placeholders. */
#include <errno.h>
#include <getopt.h>
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

#define INIT_FILE "appliance.yaml"
#define INIT_DEFAULT_DISTRO DISTRO_DEBIAN_12
#define INIT_DEFAULT_NAME "appliance"

static const char init_usage_head[] =
    "Usage: appliance init [--distro DISTRO] [--force] [DIR]\n"
    "\n"
    "Write a commented starter recipe, DIR/" INIT_FILE " (DIR: the current\n"
    "folder, made when it does not exist), that builds and boots as it\n"
    "stands: an OS disk and an application disk, a user 'admin' whose\n"
    "password hash is a placeholder (the password \"appliance\": make a real\n"
    "hash with 'openssl passwd -6'), and the outputs ova, qcow2 and libvirt.\n"
    "The recipe's name is DIR's, when that makes a valid name.\n"
    "\n"
    "Options:\n";

static const char init_usage_tail[] =
    "  --force           overwrite an existing " INIT_FILE "\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 written, 1 not written (the file exists, or DIR cannot be\n"
    "written), 2 usage error.\n";

static void
init_usage(void)
{
    char list[256];
    fputs(init_usage_head, stdout);
    printf("  --distro DISTRO   the distribution (default %s):\n"
           "                    %s\n",
           distro_to_string(INIT_DEFAULT_DISTRO), ab_enum_list(&distro_table, list, sizeof(list)));
    fputs(init_usage_tail, stdout);
}

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

/* Parses the options; returns -1 to go on, else the exit status. */
static int
init_args(int argc, char **argv, enum distro *d, bool *force, const char **dir)
{
    static const struct option options[] = {
        {"distro", required_argument, NULL, 'd'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    /* Long options only, but --help's -h: no letter taken from the others. */
    while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (init_distro(optarg, d) != 0)
                return 2;
            break;
        case 'f':
            *force = true;
            break;
        case 'h':
            init_usage();
            return 0;
        default:
            return cli_option_error("init", c, argv);
        }
    }
    if (optind < argc)
        *dir = argv[optind++];
    if (optind < argc)
        return cli_usage_error("init", "unexpected argument '%s'", argv[optind]);
    if (!**dir)
        return cli_usage_error("init", "DIR must not be empty");
    return -1;
}

int
cmd_init(int argc, char **argv)
{
    enum distro d = INIT_DEFAULT_DISTRO;
    bool force = false;
    const char *dir = ".";
    int status = init_args(argc, argv, &d, &force, &dir);
    if (status >= 0)
        return status;

    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *path = NULL, *name = NULL, *text = NULL;
    bool made = false;
    if (init_folder(dir, &made, &err) == 0) {
        if (asprintf(&path, "%s/%s", dir, INIT_FILE) < 0)
            path = NULL;
        if (!path || !(name = init_name(dir)))
            ab_oom(&err);
        else if ((text = init_render(d, name, &err)) && init_write(path, text, force, &err) == 0) {
            printf("wrote %s (%s, name '%s'); next: set a password (openssl passwd -6), then\n"
                   "  appliance validate %s\n"
                   "  sudo appliance build %s\n",
                   path, distro_row(d)->title, name, path, path);
        }
    }
    if (ab_error_is_set(&err) && made)
        rmdir(dir); /* a failed init leaves nothing */
    status = ab_error_is_set(&err) ? cli_report(&err) : 0;
    ab_error_release(&err);
    if (status == 0 && fflush(stdout) != 0) {
        perror("appliance: error: writing to stdout");
        return 1;
    }
    return status;
}
