/* report.c: build-report.json. */
#include "report.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <archive.h>
#include <libdeflate.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "appliance/cleanup.h"
#include "appliance/version.h"
#include "appliance/hash.h"
#include "appliance/spawn.h"

void
report_init(struct report *r)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
}

void
report_release(struct report *r)
{
    free(r->packages);
    pthread_mutex_destroy(&r->lock);
}

void
report_stage(struct report *r, const char *name, double seconds)
{
    pthread_mutex_lock(&r->lock);
    if (r->n_stages < REPORT_MAX_STAGES) {
        r->stages[r->n_stages].name = name;
        r->stages[r->n_stages].seconds = seconds;
        r->n_stages++;
    }
    pthread_mutex_unlock(&r->lock);
}

static json_object *
disks_array(const struct report *r, const struct plan *plan)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "disk", json_object_new_string(plan->disks[i].id));
        json_object_object_add(d, "vg", json_object_new_string(plan->disks[i].vg.name));
        json_object_object_add(d, "size", json_object_new_int64((int64_t)r->disk_size[i]));
        json_object_object_add(d, "allocated",
                               json_object_new_int64((int64_t)r->disk_allocated[i]));
        json_object_array_add(a, d);
    }
    return a;
}

static json_object *
files_array(const struct export_files *files)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; files && i < files->n; i++) {
        json_object *f = json_object_new_object();
        json_object_object_add(f, "path", json_object_new_string(files->v[i].path));
        json_object_object_add(f, "size", json_object_new_int64((int64_t)files->v[i].size));
        json_object_object_add(f, "sha256", json_object_new_string(files->v[i].sha256));
        json_object_array_add(a, f);
    }
    return a;
}

static int
by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The package list, "name\tversion\tarch" lines, as sorted objects. */
static json_object *
packages_array(const char *list)
{
    json_object *a = json_object_new_array();
    CLEANUP_FREE char *copy = strdup(list ? list : "");
    size_t n = 0, cap = 0;
    CLEANUP_FREE char **lines = NULL;
    char *save = NULL;
    for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **grown = realloc(lines, cap * sizeof(*lines));
            if (!grown)
                break;
            lines = grown;
        }
        lines[n++] = l;
    }
    if (n)
        qsort(lines, n, sizeof(*lines), by_string);
    for (size_t i = 0; i < n; i++) {
        char *version = strchr(lines[i], '\t');
        if (!version)
            continue;
        *version++ = '\0';
        char *arch = strchr(version, '\t');
        if (arch)
            *arch++ = '\0';
        json_object *p = json_object_new_object();
        json_object_object_add(p, "name", json_object_new_string(lines[i]));
        json_object_object_add(p, "version", json_object_new_string(version));
        if (arch)
            json_object_object_add(p, "arch", json_object_new_string(arch));
        json_object_array_add(a, p);
    }
    return a;
}

/* The first line a tool prints for --version, or NULL. */
static json_object *
tool_version(const char *tool, const struct spawn_ctx *ctx)
{
    char *out = NULL;
    const char *argv[] = {tool, "--version", NULL};
    struct spawn_opts o = {.ctx = ctx, .output = &out, .quiet_argv = 1};
    struct ab_error ignored = AB_ERROR_INIT;
    int r = spawn_run(argv, &o, &ignored);
    ab_error_release(&ignored);
    if (r < 0 || !out) {
        free(out);
        return NULL;
    }
    out[strcspn(out, "\n")] = '\0';
    json_object *s = json_object_new_string(out);
    free(out);
    return s;
}

static json_object *
tools_object(const struct plan *plan, const struct spawn_ctx *ctx)
{
    json_object *t = json_object_new_object();
    json_object_object_add(t, "qemu-img", tool_version("qemu-img", ctx));
    if (plan->os.family == FAMILY_DEBIAN && !plan->os.rootfs)
        json_object_object_add(t, "mmdebstrap", tool_version("mmdebstrap", ctx));
    else if (!plan->os.rootfs)
        json_object_object_add(t, "dnf", tool_version("dnf", ctx));
    json_object_object_add(t, "libarchive", json_object_new_string(archive_version_details()));
    json_object_object_add(t, "libxml2", json_object_new_string(LIBXML_DOTTED_VERSION));
    json_object_object_add(t, "libdeflate", json_object_new_string(LIBDEFLATE_VERSION_STRING));
    json_object_object_add(t, "openssl", json_object_new_string(OpenSSL_version(OPENSSL_VERSION)));
    json_object_object_add(t, "libyaml", json_object_new_string(yaml_get_version_string()));
    json_object_object_add(t, "json-c", json_object_new_string(json_c_version()));
    return t;
}

int
report_write(struct report *r, const struct plan *plan, const char *dir,
             const struct export_files *files, const struct spawn_ctx *ctx, struct ab_error *err)
{
    char recipe_sha[HASH_HEX_MAX] = "";
    if (digest_file(DIGEST_SHA256, plan->recipe->path, recipe_sha, err) < 0)
        return -1;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "appliance", json_object_new_string(APPLIANCE_VERSION));
    json_object_object_add(o, "name", json_object_new_string(plan->name));
    json_object_object_add(o, "version", json_object_new_string(plan->version));
    json_object *recipe = json_object_new_object();
    json_object_object_add(recipe, "path", json_object_new_string(plan->recipe->path));
    json_object_object_add(recipe, "sha256", json_object_new_string(recipe_sha));
    json_object_object_add(o, "recipe", recipe);
    json_object_object_add(o, "tools", tools_object(plan, ctx));
    json_object_object_add(o, "kernel", json_object_new_string(r->kernel));
    json_object_object_add(o, "kvm", json_object_new_boolean(r->kvm));
    json_object_object_add(o, "root_tree_from_cache", json_object_new_boolean(r->cache_hit));
    json_object_object_add(o, "source_date_epoch", json_object_new_int64(r->source_date_epoch));
    json_object_object_add(o, "source_date_epoch_from",
                           json_object_new_string(r->epoch_from_env ? "environment" : "root tree"));
    json_object *stages = json_object_new_array();
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_stages; i++) {
        json_object *s = json_object_new_object();
        json_object_object_add(s, "stage", json_object_new_string(r->stages[i].name));
        json_object_object_add(s, "seconds", json_object_new_double(r->stages[i].seconds));
        json_object_array_add(stages, s);
    }
    pthread_mutex_unlock(&r->lock);
    json_object_object_add(o, "stages", stages);
    json_object_object_add(o, "disks", disks_array(r, plan));
    json_object_object_add(o, "files", files_array(files));
    json_object_object_add(o, "packages", packages_array(r->packages));
    json_object_object_add(o, "plan", plan_json_object(plan));

    char path[4096];
    snprintf(path, sizeof(path), "%s/build-report.json", dir);
    int ret = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    json_object_put(o);
    if (ret < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}
