/* provenance.c: the in-toto statement with SLSA provenance (provenance.h). */
#include "appliance/provenance.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/distro.h"
#include "appliance/jsonutil.h"
#include "appliance/names.h"
#include "appliance/redact.h"
#include "appliance/version.h"
#include "sbom_json.h"

static json_object *
digest_set(const char *sha256, const char *sha1)
{
    json_object *d = json_object_new_object();
    if (sha256 && sha256[0])
        put_str(d, "sha256", sha256);
    if (sha1 && sha1[0])
        put_str(d, "sha1", sha1);
    return d;
}

static json_object *
subjects(const struct export_files *files)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; files && i < files->n; i++) {
        json_object *s = json_object_new_object();
        put_str(s, "name", files->v[i].path);
        json_object_object_add(s, "digest", digest_set(files->v[i].sha256, NULL));
        json_object_array_add(a, s);
    }
    return a;
}

static json_object *
external_parameters(const struct provenance_input *in)
{
    const struct plan *plan = in->plan;
    json_object *p = json_object_new_object();
    if (in->recipe_sha256) {
        const char *path = plan->recipe->path, *slash = strrchr(path, '/');
        json_object *r = json_object_new_object();
        put_str(r, "name", slash ? slash + 1 : path);
        json_object_object_add(r, "digest", digest_set(in->recipe_sha256, NULL));
        json_object_object_add(p, "recipe", r);
    }
    json_object *params = json_object_new_array();
    for (size_t i = 0; plan->recipe && i < plan->recipe->n_params; i++) {
        const struct recipe_param *rp = &plan->recipe->params[i];
        json_object *one = json_object_new_object();
        /* As the plan shows them, and a secret-looking word or a URL's
         * credentials hidden (redact.h). */
        CLEANUP_FREE char *value = rp->value ? redact(rp->value) : NULL;
        CLEANUP_FREE char *from = rp->from ? redact(rp->from) : NULL;
        put_str(one, "key", rp->key);
        put_str(one, "value", value);
        put_str(one, "from", from);
        json_object_array_add(params, one);
    }
    json_object_object_add(p, "parameters", params);
    json_object *outputs = json_object_new_array();
    for (int b = 0; b < 32; b++)
        if (plan->outputs & (1u << b))
            json_object_array_add(outputs, json_object_new_string(
                                               ab_enum_to_string(&output_table, (int)(1u << b))));
    json_object_object_add(p, "outputs", outputs);
    return p;
}

static json_object *
internal_parameters(const struct provenance_input *in)
{
    json_object *p = json_object_new_object();
    json_object_object_add(p, "SOURCE_DATE_EPOCH", json_object_new_int64(in->epoch));
    put_str(p, "seed", in->plan->seed ? in->plan->seed : "");
    return p;
}

static json_object *
descriptor(const char *name, const char *uri, json_object *digest)
{
    json_object *d = json_object_new_object();
    put_str(d, "name", name);
    if (uri)
        put_str(d, "uri", uri);
    if (digest)
        json_object_object_add(d, "digest", digest);
    return d;
}

/* The root tree: its key and digest, and where it came from. */
static json_object *
root_tree(const struct provenance_input *in)
{
    const struct plan *plan = in->plan;
    const struct distro_row *row = distro_row(plan->os.distro);
    json_object *d = descriptor("root-tree", NULL, digest_set(in->tree_sha256, NULL));
    json_object *a = json_object_new_object();
    if (in->tree_key)
        put_str(a, "cache_key", in->tree_key);
    if (plan->os.rootfs) {
        const char *slash = strrchr(plan->os.rootfs, '/');
        put_str(a, "rootfs", slash ? slash + 1 : plan->os.rootfs);
    } else {
        char mirror[1024];
        put_str(a, "distro", distro_to_string(plan->os.distro));
        put_str(a, "tool", row->package_tool);
        const char *source = distro_default_source(plan->os.distro, plan->hardware.arch);
        url_redact(plan->os.mirror ? plan->os.mirror
                   : row->mirror   ? row->mirror
                   : source        ? source
                                   : "the build host's apt sources",
                   mirror, sizeof(mirror));
        put_str(a, "mirror", mirror);
        if (row->suite)
            put_str(a, "suite", row->suite);
        if (row->release)
            put_str(a, "release", row->release);
    }
    json_object_object_add(d, "annotations", a);
    return d;
}

static json_object *
dependencies(const struct provenance_input *in)
{
    json_object *a = json_object_new_array();
    if (in->recipe_sha256) {
        const char *path = in->plan->recipe->path, *slash = strrchr(path, '/');
        json_object_array_add(a, descriptor("recipe", slash ? slash + 1 : path,
                                            digest_set(in->recipe_sha256, NULL)));
    }
    if (in->tree_key || in->tree_sha256)
        json_object_array_add(a, root_tree(in));
    char tool[HASH_HEX_MAX] = "";
    struct ab_error ignored = AB_ERROR_INIT;
    if (!in->tool_sha256 && digest_file(DIGEST_SHA256, "/proc/self/exe", tool, &ignored) < 0)
        tool[0] = '\0';
    ab_error_release(&ignored);
    const char *self = in->tool_sha256 ? in->tool_sha256 : tool[0] ? tool : NULL;
    json_object_array_add(a, descriptor("appliance", "pkg:generic/appliance@" APPLIANCE_VERSION,
                                        self ? digest_set(self, NULL) : NULL));
    for (size_t i = 0; in->sources && i < in->n_sources; i++)
        json_object_array_add(a, descriptor(in->sources[i].name, NULL,
                                            digest_set(in->sources[i].sha256, NULL)));
    for (size_t i = 0; in->files && i < in->files->n; i++) {
        const struct sbom_file *f = &in->files->v[i];
        json_object_array_add(a, descriptor(f->source, NULL, digest_set(f->sha256, f->sha1)));
    }
    for (size_t i = 0; in->packages && i < in->packages->n; i++) {
        const struct pkg *p = &in->packages->v[i];
        CLEANUP_FREE char *purl = sbom_purl(in->plan, in->packages->format, p);
        json_object *d = descriptor(p->name, purl ? purl : "", NULL);
        json_object *ann = json_object_new_object();
        put_str(ann, "version", p->version);
        put_str(ann, "arch", p->arch);
        json_object_object_add(d, "annotations", ann);
        json_object_array_add(a, d);
    }
    return a;
}

static const char *
builder_id(const struct provenance_input *in)
{
    if (in->builder_id && in->builder_id[0])
        return in->builder_id;
    if (in->plan->vendor_url && in->plan->vendor_url[0])
        return in->plan->vendor_url;
    return PROVENANCE_DEFAULT_BUILDER;
}

int
provenance_text(const struct provenance_input *in, char **text, struct ab_error *err)
{
    json_object *st = json_object_new_object(), *pred = json_object_new_object();
    json_object *def = json_object_new_object(), *run = json_object_new_object();
    json_object *builder = json_object_new_object(), *version = json_object_new_object();
    put_str(st, "_type", "https://in-toto.io/Statement/v1");
    json_object_object_add(st, "subject", subjects(in->subjects));
    put_str(st, "predicateType", "https://slsa.dev/provenance/v1");
    put_str(def, "buildType", in->build_type);
    json_object_object_add(def, "externalParameters", external_parameters(in));
    json_object_object_add(def, "internalParameters", internal_parameters(in));
    json_object_object_add(def, "resolvedDependencies", dependencies(in));
    json_object_object_add(pred, "buildDefinition", def);
    put_str(builder, "id", builder_id(in));
    put_str(version, "appliance", APPLIANCE_VERSION);
    json_object_object_add(builder, "version", version);
    json_object_object_add(run, "builder", builder);
    json_object_object_add(pred, "runDetails", run);
    json_object_object_add(st, "predicate", pred);
    int r = sbom_json_text(st, text, err);
    json_object_put(st);
    return r;
}

/* ---- reading ------------------------------------------------------------ */

static const char *
str(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static int
read_subjects(json_object *list, struct export_files *out)
{
    size_t n = json_object_array_length(list);
    if (!(out->v = calloc(n + 1, sizeof(*out->v))))
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(list, i), *digest = NULL;
        const char *name = str(s, "name");
        if (!name)
            continue;
        struct export_file *f = &out->v[out->n];
        if (!(f->path = strdup(name)))
            return -1;
        out->n++;
        const char *hex = json_object_object_get_ex(s, "digest", &digest) ? str(digest, "sha256")
                                                                          : NULL;
        snprintf(f->sha256, sizeof(f->sha256), "%.*s", HASH_HEX_MAX - 1, hex ? hex : "");
    }
    return 0;
}

int
provenance_subjects(const char *text, size_t len, const char *what,
                    struct export_files *subjects, struct ab_error *err)
{
    *subjects = (struct export_files){NULL, 0};
    if (len > PROVENANCE_MAX_BYTES)
        return ab_build_error(err, 0, "'%s' is larger than %u MiB: not an in-toto statement",
                              what, PROVENANCE_MAX_BYTES >> 20);
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return ab_oom(err);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len), *list = NULL;
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    const char *type = str(root, "_type");
    const char *why = jerr != json_tokener_success ? json_tokener_error_desc(jerr)
                      : !type || strcmp(type, "https://in-toto.io/Statement/v1") != 0
                          ? "no _type https://in-toto.io/Statement/v1"
                      : !json_object_object_get_ex(root, "subject", &list) ||
                              !json_object_is_type(list, json_type_array)
                          ? "no subject list"
                          : NULL;
    int r = why ? ab_build_error(err, 0, "'%s' is not an in-toto statement: %s", what, why) : 0;
    if (r == 0 && read_subjects(list, subjects) < 0) {
        export_files_release(subjects);
        r = ab_oom(err);
    }
    json_object_put(root);
    return r;
}
