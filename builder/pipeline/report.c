/* report.c: build-report.json. */
#include "appliance/report.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <libdeflate.h>
#include <libxml/xmlversion.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/distro.h"
#include "appliance/hash.h"
#include "appliance/names.h"
#include "appliance/spawn.h"
#include "appliance/version.h"

void
report_init(struct build_report *r)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
}

void
report_release(struct build_report *r)
{
    free(r->qemu_img_version);
    free(r->package_tool_version);
    pthread_mutex_destroy(&r->lock);
}

void
report_stage(struct build_report *r, const char *name, double seconds)
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
disks_array(const struct build_report *r, const struct plan *plan)
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

json_object *
report_files_json(const struct plan *plan, const struct export_files *files)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; files && i < files->n; i++) {
        json_object *f = json_object_new_object();
        struct delivery_role role;
        delivery_classify(plan->stem, plan->outputs, files->v[i].path, &role);
        json_object_object_add(f, "path", json_object_new_string(files->v[i].path));
        json_object_object_add(f, "size", json_object_new_int64((int64_t)files->v[i].size));
        json_object_object_add(f, "sha256", json_object_new_string(files->v[i].sha256));
        if (role.output)
            json_object_object_add(f, "output", json_object_new_string(role.output));
        if (role.disk)
            json_object_object_add(f, "disk", json_object_new_string(role.disk));
        json_object *targets = json_object_new_array();
        for (size_t t = 0; role.targets[t]; t++)
            json_object_array_add(targets, json_object_new_string(role.targets[t]));
        json_object_object_add(f, "for", targets);
        json_object_array_add(a, f);
    }
    return a;
}

/* The packages, sorted by name (packages.h), as objects. */
static json_object *
packages_array(const struct pkg_list *list)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; list && i < list->n; i++) {
        const struct pkg *pk = &list->v[i];
        json_object *p = json_object_new_object();
        json_object_object_add(p, "name", json_object_new_string(pk->name));
        json_object_object_add(p, "version", json_object_new_string(pk->version));
        json_object_object_add(p, "arch", json_object_new_string(pk->arch));
        json_object_array_add(a, p);
    }
    return a;
}

/* The first line a tool prints for --version, or NULL. */
static char *
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
    return out;
}

/* The package tool whose version the report gives, or NULL. */
static const char *
package_tool(const struct plan *plan)
{
    const char *tool = distro_row(plan->os.distro)->package_tool;
    return tool && !plan->os.rootfs ? tool : NULL;
}

void
report_probe_tools(struct build_report *r, const struct plan *plan, const struct spawn_ctx *ctx)
{
    const char *tool = package_tool(plan);
    r->qemu_img_version = tool_version("qemu-img", ctx);
    r->package_tool_version = tool ? tool_version(tool, ctx) : NULL;
    r->tools_probed = true;
}

static json_object *
version_string(const char *v)
{
    return v ? json_object_new_string(v) : NULL;
}

static json_object *
tools_object(struct build_report *r, const struct plan *plan, const struct spawn_ctx *ctx)
{
    json_object *t = json_object_new_object();
    if (!r->tools_probed)
        report_probe_tools(r, plan, ctx);
    json_object_object_add(t, "qemu-img", version_string(r->qemu_img_version));
    const char *tool = package_tool(plan);
    if (tool)
        json_object_object_add(t, tool, version_string(r->package_tool_version));
    json_object_object_add(t, "libarchive", json_object_new_string(archive_version_details()));
    json_object_object_add(t, "libxml2", json_object_new_string(LIBXML_DOTTED_VERSION));
    json_object_object_add(t, "libdeflate", json_object_new_string(LIBDEFLATE_VERSION_STRING));
    json_object_object_add(t, "openssl", json_object_new_string(OpenSSL_version(OPENSSL_VERSION)));
    json_object_object_add(t, "libyaml", json_object_new_string(yaml_get_version_string()));
    json_object_object_add(t, "json-c", json_object_new_string(json_c_version()));
    return t;
}

int
report_write(struct build_report *r, const struct plan *plan, const char *dir,
             const struct export_files *files, const struct spawn_ctx *ctx, struct ab_error *err)
{
    char recipe_sha[HASH_HEX_MAX] = "";
    if (r->recipe_sha256[0])
        memcpy(recipe_sha, r->recipe_sha256, sizeof(recipe_sha));
    else if (digest_file(DIGEST_SHA256, plan->recipe->path, recipe_sha, err) < 0)
        return -1;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "format", json_object_new_int(REPORT_FORMAT));
    json_object_object_add(o, "appliance", json_object_new_string(APPLIANCE_VERSION));
    json_object_object_add(o, "name", json_object_new_string(plan->name));
    json_object_object_add(o, "version", json_object_new_string(plan->version));
    json_object *recipe = json_object_new_object();
    json_object_object_add(recipe, "path", json_object_new_string(plan->recipe->path));
    json_object_object_add(recipe, "sha256", json_object_new_string(recipe_sha));
    json_object_object_add(o, "recipe", recipe);
    json_object_object_add(o, "tools", tools_object(r, plan, ctx));
    json_object_object_add(o, "kernel", json_object_new_string(r->kernel));
    json_object_object_add(o, "kvm", json_object_new_boolean(r->kvm));
    json_object_object_add(o, "root_tree_from_cache", json_object_new_boolean(r->cache_hit));
    if (r->registry) {
        json_object *reg = json_object_new_object(), *disks = json_object_new_object();
        json_object_object_add(reg, "ref", json_object_new_string(r->registry));
        json_object_object_add(reg, "root_tree", json_object_new_string(r->registry_root));
        for (int d = 0; d < PLAN_N_DISKS; d++)
            json_object_object_add(disks, plan->disks[d].id,
                                   json_object_new_string(r->registry_disk[d]));
        json_object_object_add(reg, "disks", disks);
        json_object_object_add(o, "cache_registry", reg);
    }
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
    json_object_object_add(o, "files", report_files_json(plan, files));
    json_object_object_add(o, "packages", packages_array(r->packages));
    json_object_object_add(o, "plan", plan_json_object(plan));

    CLEANUP_FREE char *name = delivery_arch_doc(DELIVERY_REPORT, plan->folder_arch, ".json");
    CLEANUP_FREE char *path = NULL;
    if (!name || asprintf(&path, "%s/%s", dir, name) < 0) {
        json_object_put(o);
        return ab_oom(err);
    }
    int ret = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    json_object_put(o);
    if (ret < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}

/* ---- reading ------------------------------------------------------------ */

/* o's member key if it has type, else NULL; o may be anything. */
static json_object *
member(json_object *o, const char *key, json_type type)
{
    json_object *v = NULL;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, type))
        return NULL;
    return v;
}

/* A copy of o's string member key into *out (NULL when absent). */
static int
take_str(json_object *o, const char *key, char **out, struct ab_error *err)
{
    json_object *v = member(o, key, json_type_string);
    *out = NULL;
    if (v && !(*out = strdup(json_object_get_string(v))))
        return ab_oom(err);
    return 0;
}

static int64_t
take_int(json_object *o, const char *key)
{
    json_object *v = member(o, key, json_type_int);
    return v ? json_object_get_int64(v) : -1;
}

static int
read_hardware(json_object *h, struct report_hardware *hw, struct ab_error *err)
{
    json_object *sb = member(h, "secure_boot", json_type_boolean);
    hw->secure_boot = sb ? (json_object_get_boolean(sb) ? 1 : -1) : 0;
    hw->cpus = take_int(h, "cpus");
    hw->memory = take_int(h, "memory");
    hw->nics = take_int(h, "nics");
    json_object *arches = member(h, "arches", json_type_array);
    for (size_t i = 0; arches && i < json_object_array_length(arches); i++) {
        json_object *a = json_object_array_get_idx(arches, i);
        int v;
        if (json_object_is_type(a, json_type_string) &&
            ab_enum_from_string(&arch_table, json_object_get_string(a), &v) == 0)
            hw->arches |= (unsigned)v;
    }
    if (take_str(h, "arch", &hw->arch, err) < 0 || take_str(h, "firmware", &hw->firmware, err) < 0 ||
        take_str(h, "controller", &hw->controller, err) < 0)
        return -1;
    return 0;
}

static int
read_mounts(json_object *mounts, struct report_plan *p, struct ab_error *err)
{
    size_t n = json_object_array_length(mounts);
    if (n && !(p->mounts = calloc(n, sizeof(*p->mounts))))
        return ab_oom(err);
    for (; p->n_mounts < n; p->n_mounts++) {
        json_object *m = json_object_array_get_idx(mounts, p->n_mounts);
        struct report_mount *rm = &p->mounts[p->n_mounts];
        json_object *part = member(m, "partition", json_type_int);
        rm->has_partition = part != NULL;
        rm->partition = part ? json_object_get_int(part) : 0;
        if (take_str(m, "path", &rm->path, err) < 0 || take_str(m, "fs", &rm->fs, err) < 0 ||
            take_str(m, "disk", &rm->disk, err) < 0 || take_str(m, "lv", &rm->lv, err) < 0) {
            p->n_mounts++; /* released with the others */
            return -1;
        }
    }
    return 0;
}

static int
read_vg(json_object *vg, struct report_vg *v, struct ab_error *err)
{
    json_object *lvs = member(vg, "lvs", json_type_array);
    if (take_str(vg, "name", &v->name, err) < 0)
        return -1;
    v->has_lvs = lvs != NULL;
    size_t n = lvs ? json_object_array_length(lvs) : 0;
    if (n && !(v->lvs = calloc(n, sizeof(*v->lvs))))
        return ab_oom(err);
    for (; v->n_lvs < n; v->n_lvs++) {
        json_object *lv = json_object_array_get_idx(lvs, v->n_lvs);
        struct report_lv *l = &v->lvs[v->n_lvs];
        if (take_str(lv, "name", &l->name, err) < 0 || take_str(lv, "fs", &l->fs, err) < 0) {
            v->n_lvs++;
            return -1;
        }
    }
    return 0;
}

static int
read_vgs(json_object *disks, struct report_plan *p, struct ab_error *err)
{
    size_t n = json_object_array_length(disks);
    if (n && !(p->vgs = calloc(n, sizeof(*p->vgs))))
        return ab_oom(err);
    for (size_t d = 0; d < n; d++) {
        json_object *vg = member(json_object_array_get_idx(disks, d), "vg", json_type_object);
        if (!vg)
            continue;
        if (read_vg(vg, &p->vgs[p->n_vgs++], err) < 0)
            return -1;
    }
    return 0;
}

static int
read_plan(json_object *plan, struct report_plan *p, struct ab_error *err)
{
    json_object *hw = member(plan, "hardware", json_type_object);
    json_object *disks = member(plan, "disks", json_type_array);
    json_object *mounts = member(plan, "mounts", json_type_array);
    if (take_str(plan, "name", &p->name, err) < 0 ||
        take_str(plan, "version", &p->version, err) < 0 ||
        take_str(plan, "description", &p->description, err) < 0 ||
        take_str(plan, "vendor", &p->vendor, err) < 0 ||
        take_str(member(plan, "os", json_type_object), "distro", &p->distro, err) < 0)
        return -1;
    p->has_hardware = hw != NULL;
    p->has_disks = disks != NULL;
    p->has_mounts = mounts != NULL;
    p->hardware = (struct report_hardware){.cpus = -1, .memory = -1, .nics = -1};
    if ((hw && read_hardware(hw, &p->hardware, err) < 0) ||
        (mounts && read_mounts(mounts, p, err) < 0) || (disks && read_vgs(disks, p, err) < 0))
        return -1;
    return 0;
}

static int
read_file_entry(json_object *f, struct report_file *rf, struct ab_error *err)
{
    json_object *targets = member(f, "for", json_type_array);
    size_t n = targets ? json_object_array_length(targets) : 0;
    rf->size = take_int(f, "size");
    if (take_str(f, "path", &rf->path, err) < 0 || take_str(f, "sha256", &rf->sha256, err) < 0 ||
        take_str(f, "output", &rf->output, err) < 0 || take_str(f, "disk", &rf->disk, err) < 0)
        return -1;
    if (!(rf->targets = calloc(n + 1, sizeof(*rf->targets))))
        return ab_oom(err);
    for (size_t i = 0, k = 0; i < n; i++) {
        json_object *t = json_object_array_get_idx(targets, i);
        if (json_object_is_type(t, json_type_string) &&
            !(rf->targets[k++] = strdup(json_object_get_string(t))))
            return ab_oom(err);
    }
    return 0;
}

/* A format 1 file's output and disk, from its name as format 1 wrote
 * it: the stem was the appliance's name alone. */
static int
classify_v1(const char *name, struct report_file *rf, struct ab_error *err)
{
    struct delivery_role role;
    if (!name || !rf->path)
        return 0;
    delivery_classify(name, ~0u, rf->path, &role);
    if ((role.output && !(rf->output = strdup(role.output))) ||
        (role.disk && !(rf->disk = strdup(role.disk))))
        return ab_oom(err);
    return 0;
}

static int
read_files(json_object *files, struct report_info *r, struct ab_error *err)
{
    size_t n = json_object_array_length(files);
    r->has_files = true;
    if (n && !(r->files = calloc(n, sizeof(*r->files))))
        return ab_oom(err);
    for (; r->n_files < n; r->n_files++) {
        struct report_file *rf = &r->files[r->n_files];
        if (read_file_entry(json_object_array_get_idx(files, r->n_files), rf, err) < 0 ||
            (r->format < 2 && classify_v1(r->name, rf, err) < 0)) {
            r->n_files++; /* released with the others */
            return -1;
        }
    }
    return 0;
}

int
report_parse(const char *text, const char *what, struct report_info *r, struct ab_error *err)
{
    memset(r, 0, sizeof(*r));
    r->plan.hardware = (struct report_hardware){.cpus = -1, .memory = -1, .nics = -1};
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return ab_oom(err);
    json_object *root = json_tokener_parse_ex(tok, text, (int)strnlen(text, INT32_MAX));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (jerr != json_tokener_success) { /* a JSON null is no error: NULL, success */
        json_object_put(root);
        return ab_build_error(err, 0, "'%s' is not JSON: %s", what,
                              jerr == json_tokener_continue ? "unexpected end of data"
                                                            : json_tokener_error_desc(jerr));
    }
    json_object *plan = member(root, "plan", json_type_object);
    json_object *files = member(root, "files", json_type_array);
    int64_t format = take_int(root, "format");
    r->has_plan = plan != NULL;
    r->format = format > 0 && format <= INT32_MAX ? (int)format : 1;
    int rc = take_str(root, "name", &r->name, err) < 0 ||
                     take_str(root, "version", &r->version, err) < 0 ||
                     read_plan(plan ? plan : root, &r->plan, err) < 0 ||
                     (files && read_files(files, r, err) < 0)
                 ? -1
                 : 0;
    json_object_put(root);
    return rc;
}

int
report_load(const char *path, struct report_info *r, struct ab_error *err)
{
    memset(r, 0, sizeof(*r));
    CLEANUP_FCLOSE FILE *f = fopen(path, "re");
    if (!f)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    CLEANUP_FREE char *text = malloc(REPORT_MAX_BYTES + 1);
    if (!text)
        return ab_oom(err);
    size_t len = fread(text, 1, REPORT_MAX_BYTES + 1, f);
    if (ferror(f))
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    if (len > REPORT_MAX_BYTES)
        return ab_build_error(err, EFBIG, "'%s' is larger than %u MiB: not a report", path,
                              REPORT_MAX_BYTES >> 20);
    text[len] = '\0';
    return report_parse(text, path, r, err);
}

static void
plan_release(struct report_plan *p)
{
    free(p->name);
    free(p->version);
    free(p->description);
    free(p->vendor);
    free(p->distro);
    free(p->hardware.arch);
    free(p->hardware.firmware);
    free(p->hardware.controller);
    for (size_t i = 0; i < p->n_mounts; i++) {
        free(p->mounts[i].path);
        free(p->mounts[i].fs);
        free(p->mounts[i].disk);
        free(p->mounts[i].lv);
    }
    free(p->mounts);
    for (size_t i = 0; i < p->n_vgs; i++) {
        for (size_t j = 0; j < p->vgs[i].n_lvs; j++) {
            free(p->vgs[i].lvs[j].name);
            free(p->vgs[i].lvs[j].fs);
        }
        free(p->vgs[i].lvs);
        free(p->vgs[i].name);
    }
    free(p->vgs);
}

void
report_info_release(struct report_info *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->version);
    for (size_t i = 0; i < r->n_files; i++) {
        struct report_file *f = &r->files[i];
        free(f->path);
        free(f->sha256);
        free(f->output);
        free(f->disk);
        for (size_t t = 0; f->targets && f->targets[t]; t++)
            free(f->targets[t]);
        free(f->targets);
    }
    free(r->files);
    plan_release(&r->plan);
    memset(r, 0, sizeof(*r));
}

char *
report_load_name(const char *path)
{
    struct report_info r;
    struct ab_error ignored = AB_ERROR_INIT;
    char *name = NULL;
    if (report_load(path, &r, &ignored) == 0 && r.name)
        name = strdup(r.name);
    report_info_release(&r);
    ab_error_release(&ignored);
    return name;
}

const char *
report_file_path(const struct report_info *r, const char *output, const char *disk)
{
    for (size_t i = 0; i < r->n_files; i++) {
        const struct report_file *f = &r->files[i];
        if (f->path && f->output && strcmp(f->output, output) == 0 &&
            (disk ? f->disk && strcmp(f->disk, disk) == 0 : !f->disk))
            return f->path;
    }
    return NULL;
}

char *
report_find_file(const char *report, const char *output, const char *disk)
{
    const char *slash = strrchr(report, '/');
    CLEANUP_FREE char *dir = slash ? strndup(report, (size_t)(slash - report)) : strdup(".");
    struct report_info r;
    struct ab_error ignored = AB_ERROR_INIT;
    char *path = NULL;
    if (!dir)
        return NULL;
    if (report_load(report, &r, &ignored) == 0) {
        const char *rel = report_file_path(&r, output, disk);
        if (rel && rel[0] != '/' && !strstr(rel, "..") && asprintf(&path, "%s/%s", dir, rel) < 0)
            path = NULL;
    }
    report_info_release(&r);
    ab_error_release(&ignored);
    return path;
}

int
report_folder_arch(const struct report_info *r, const char **arch)
{
    enum arch all[2];
    int v;
    *arch = NULL;
    if (plan_arches(r->plan.hardware.arches, all) < 2)
        return 0;
    if (!r->plan.hardware.arch || ab_enum_from_string(&arch_table, r->plan.hardware.arch, &v) < 0 ||
        !(r->plan.hardware.arches & (unsigned)v))
        return -1;
    *arch = arch_row((enum arch)v)->name;
    return 0;
}

char *
report_stem(const struct report_info *r)
{
    const char *arch;
    /* From outside: only names a recipe could have given. */
    if (!r->name || name_check_appliance(r->name))
        return NULL;
    if (r->format < 2)
        return strdup(r->name);
    if (!r->version || name_check_version(r->version) || report_folder_arch(r, &arch) < 0)
        return NULL;
    return plan_stem(r->name, r->version, arch);
}

/* ---- the report of a folder ------------------------------------------------ */

/* The architecture of the arch table named name, or 0. */
static enum arch
arch_named(const char *name)
{
    int v;
    return name && ab_enum_from_string(&arch_table, name, &v) == 0 ? (enum arch)v : 0;
}

unsigned
report_arches(const char *dir, bool *single)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    unsigned arches = 0;
    *single = false;
    while (d && (e = readdir(d))) {
        const char *arch = delivery_arch_doc_of(e->d_name, DELIVERY_REPORT, ".json");
        if (arch && !*arch)
            *single = true;
        else if (arch)
            arches |= (unsigned)arch_named(arch);
    }
    if (d)
        closedir(d);
    return arches;
}

size_t
report_names(const char *dir, char *names[ARCH_N])
{
    bool single;
    unsigned arches = report_arches(dir, &single);
    enum arch all[ARCH_N];
    size_t n = 0, k = !single && arches ? plan_arches(arches, all) : 0;
    if (!k)
        names[n++] = delivery_arch_doc(DELIVERY_REPORT, NULL, ".json");
    for (size_t i = 0; i < k; i++)
        names[n++] = delivery_arch_doc(DELIVERY_REPORT, arch_row(all[i])->name, ".json");
    return n;
}

/* "x86_64, aarch64": the architectures of arches, in build order. */
static void
arch_list(unsigned arches, char *buf, size_t size)
{
    enum arch all[2];
    size_t n = plan_arches(arches, all), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                                 arch_row(all[i])->name);
}

/* dir/build-report.json, which must be of arch when one is asked: a
 * report that cannot be read is its reader's to report. */
static int
resolve_single(const char *dir, enum arch arch, char **path, struct ab_error *err)
{
    CLEANUP_FREE char *name = delivery_arch_doc(DELIVERY_REPORT, NULL, ".json");
    if (!name || asprintf(path, "%s/%s", dir, name) < 0)
        return ab_oom(err);
    struct report_info r;
    struct ab_error ignored = AB_ERROR_INIT;
    enum arch has = 0;
    if (!arch)
        return 0;
    if (report_load(*path, &r, &ignored) == 0)
        has = r.plan.hardware.arch ? arch_named(r.plan.hardware.arch) : ARCH_X86_64;
    report_info_release(&r);
    ab_error_release(&ignored);
    if (has && has != arch) {
        free(*path);
        *path = NULL;
        return ab_error_set(err, AB_E_USAGE, 0, NULL, "'%s' holds an %s appliance, not %s", dir,
                            arch_row(has)->name, arch_row(arch)->name);
    }
    return 0;
}

int
report_resolve(const char *dir, const char *arch_name, char **path, struct ab_error *err)
{
    bool single;
    enum arch arch = arch_named(arch_name), host = arch_host();
    *path = NULL;
    if (arch_name && !arch)
        return ab_error_set(err, AB_E_USAGE, 0, NULL, "unknown architecture '%s'", arch_name);
    unsigned arches = report_arches(dir, &single);
    if (single || !arches)
        return resolve_single(dir, arch, path, err);
    char list[64];
    arch_list(arches, list, sizeof(list));
    enum arch all[2];
    enum arch pick = arch                            ? arch
                     : plan_arches(arches, all) == 1 ? all[0]
                     : (arches & host)               ? host
                                                     : 0;
    if (!pick)
        return ab_error_set(err, AB_E_USAGE, 0, NULL,
                            "'%s' holds the appliance for several architectures (%s): choose one "
                            "with --arch",
                            dir, list);
    if (!(arches & pick))
        return ab_error_set(err, AB_E_USAGE, 0, NULL,
                            "'%s' holds no %s appliance: its architectures are %s", dir,
                            arch_row(pick)->name, list);
    CLEANUP_FREE char *name = delivery_arch_doc(DELIVERY_REPORT, arch_row(pick)->name, ".json");
    if (!name || asprintf(path, "%s/%s", dir, name) < 0)
        return ab_oom(err);
    return 0;
}
