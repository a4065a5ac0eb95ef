/* sbom_cdx.c: the CycloneDX 1.6 document, written and read back (sbom.h).
 * https://cyclonedx.org/docs/1.6/json/ */
#include "appliance/sbom.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/distro.h"
#include "appliance/jsonutil.h"
#include "appliance/version.h"
#include "sbom_json.h"

#define CDX_VERSION "1.6"

/* ---- writing ------------------------------------------------------------ */

static json_object *
component(const char *type, const char *ref, const char *name, const char *version)
{
    json_object *c = json_object_new_object();
    put_str(c, "type", type);
    put_str(c, "bom-ref", ref);
    put_str(c, "name", name);
    if (version)
        put_str(c, "version", version);
    return c;
}

static void
add_property(json_object *c, const char *name, const char *value)
{
    json_object *props = NULL;
    if (!json_object_object_get_ex(c, "properties", &props)) {
        props = json_object_new_array();
        json_object_object_add(c, "properties", props);
    }
    json_object *p = json_object_new_object();
    put_str(p, "name", name);
    put_str(p, "value", value);
    json_object_array_add(props, p);
}

static json_object *
hash(const char *alg, const char *hex)
{
    json_object *h = json_object_new_object();
    put_str(h, "alg", alg);
    put_str(h, "content", hex);
    return h;
}

/* {"name": NAME, "contact": [{"email": EMAIL}]} of "NAME <EMAIL>". */
static json_object *
supplier(const char *contact)
{
    char name[512], email[256];
    sbom_split_contact(contact, name, sizeof(name), email, sizeof(email));
    json_object *s = json_object_new_object();
    put_str(s, "name", name[0] ? name : email);
    if (email[0]) {
        json_object *who = json_object_new_array(), *c = json_object_new_object();
        put_str(c, "email", email);
        json_object_array_add(who, c);
        json_object_object_add(s, "contact", who);
    }
    return s;
}

struct cdx {
    const struct sbom_input *in;
    json_object *deps; /* "dependencies" */
    bool oom;
};

static json_object *
nested(json_object *c)
{
    json_object *kids = NULL;
    if (!json_object_object_get_ex(c, "components", &kids)) {
        kids = json_object_new_array();
        json_object_object_add(c, "components", kids);
    }
    return kids;
}

static void
add_os(struct cdx *x, json_object *holder)
{
    const struct plan *plan = x->in->plan;
    const struct distro_row *row = distro_row(plan->os.distro);
    bool known = !plan->os.rootfs && plan->os.distro != DISTRO_NONE;
    json_object *c = component("operating-system", "os",
                               known ? distro_to_string(plan->os.distro)
                               : plan->os.rootfs ? "rootfs"
                                                 : "unknown",
                               NULL);
    if (known) {
        json_object *s = json_object_new_object();
        put_str(s, "name", row->vendor);
        json_object_object_add(c, "supplier", s);
        put_str(c, "description", row->title);
    } else if (plan->os.rootfs)
        put_str(c, "description", "the root tree of the recipe's rootfs: archive");
    json_object_array_add(nested(holder), c);
}

static void
add_packages(struct cdx *x, json_object *holder)
{
    const struct pkg_list *l = x->in->packages;
    for (size_t i = 0; i < l->n; i++) {
        const struct pkg *pk = &l->v[i];
        CLEANUP_FREE char *purl = sbom_purl(x->in->plan, l->format, pk), *source = NULL;
        if (!purl || asprintf(&source, "%s %s", pk->source, pk->source_version) < 0) {
            x->oom = true;
            continue;
        }
        json_object *c = component("library", purl, pk->name, pk->version);
        if (pk->supplier)
            json_object_object_add(c, "supplier", supplier(pk->supplier));
        if (strcmp(pk->license, "NOASSERTION") != 0) {
            json_object *lics = json_object_new_array(), *e = json_object_new_object();
            put_str(e, "expression", pk->license);
            json_object_array_add(lics, e);
            json_object_object_add(c, "licenses", lics);
        }
        put_str(c, "purl", purl);
        add_property(c, "appliance:arch", pk->arch);
        add_property(c, "appliance:source-package", source);
        json_object_array_add(nested(holder), c);
    }
}

/* Each filesystem of disk d as a property: mount point, type, where. */
static void
add_filesystems(const struct plan *plan, int d, json_object *c)
{
    for (size_t i = 0; i < plan->n_mounts; i++) {
        const struct plan_mount *m = &plan->mounts[i];
        char text[512];
        if ((int)m->disk != d)
            continue;
        if (m->lv)
            snprintf(text, sizeof(text),
                     "%s: %s on logical volume %s/%s, holding the configured root tree's %s",
                     m->path, fs_to_string(m->fs), plan->disks[d].vg.name, m->lv->name, m->path);
        else
            snprintf(text, sizeof(text),
                     "%s: %s on partition %u, holding the configured root tree's %s", m->path,
                     fs_to_string(m->fs), m->partition->number, m->path);
        add_property(c, "appliance:filesystem", text);
    }
}

static void
add_addons(struct cdx *x, json_object *holder)
{
    const struct plan *plan = x->in->plan;
    for (int a = 0; a < DISTRO_N_ADDONS; a++) {
        if (!(plan->addons & (1u << a)))
            continue;
        const char *hv = ab_enum_to_string(&addon_table, 1 << a);
        const char *tools[DISTRO_N_ADDONS] = {NULL};
        size_t n = distro_addon_packages(plan->os.distro, 1u << a, tools);
        char ref[64], name[64], desc[256];
        snprintf(ref, sizeof(ref), "addon-%s", hv);
        snprintf(name, sizeof(name), "%s add-on", hv);
        snprintf(desc, sizeof(desc),
                 n ? "what the appliance runs under %s: its guest tools (%s), started only there"
                   : "what the appliance runs under %s: the kernel's own drivers%s",
                 hv, n ? tools[0] : "");
        json_object *c = component("application", ref, name, NULL);
        put_str(c, "description", desc);
        json_object_array_add(nested(holder), c);
        const struct pkg *tool = n ? packages_find(x->in->packages, tools[0], NULL) : NULL;
        CLEANUP_FREE char *purl =
            tool ? sbom_purl(plan, x->in->packages->format, tool) : NULL;
        json_object *dep = json_object_new_object(), *on = json_object_new_array();
        put_str(dep, "ref", ref);
        if (purl)
            json_object_array_add(on, json_object_new_string(purl));
        json_object_object_add(dep, "dependsOn", on);
        json_object_array_add(x->deps, dep);
    }
}

static void
add_recipe_files(struct cdx *x, json_object *const holders[PLAN_N_DISKS], json_object *other)
{
    const struct sbom_files *fs = x->in->files;
    for (size_t i = 0; fs && i < fs->n; i++) {
        const struct sbom_file *f = &fs->v[i];
        char ref[64];
        snprintf(ref, sizeof(ref), "recipe-file-%zu", i + 1);
        json_object *c = component("file", ref, f->path, NULL), *hashes = json_object_new_array();
        json_object_array_add(hashes, hash("SHA-1", f->sha1));
        json_object_array_add(hashes, hash("SHA-256", f->sha256));
        json_object_object_add(c, "hashes", hashes);
        add_property(c, "appliance:recipe-source", f->source);
        json_object *holder =
            holders && f->disk >= 0 && f->disk < PLAN_N_DISKS ? holders[f->disk] : other;
        json_object_array_add(nested(holder), c);
    }
}

static void
add_shipped(struct cdx *x, json_object *list)
{
    const struct export_files *sh = x->in->shipped;
    for (size_t i = 0; sh && i < sh->n; i++) {
        const struct export_file *f = &sh->v[i];
        struct delivery_role role;
        bool disks[PLAN_N_DISKS];
        char ref[64];
        sbom_shipped_role(x->in->plan, f->path, &role, disks);
        snprintf(ref, sizeof(ref), "shipped-%zu", i + 1);
        json_object *c = component("file", ref, f->path, NULL), *hashes = json_object_new_array();
        json_object_array_add(hashes, hash("SHA-256", f->sha256));
        json_object_object_add(c, "hashes", hashes);
        if (role.output)
            add_property(c, "appliance:output", role.output);
        for (int d = 0; d < PLAN_N_DISKS && !x->in->container; d++) {
            char disk[64];
            snprintf(disk, sizeof(disk), "disk-%s", x->in->plan->disks[d].id);
            if (disks[d])
                add_property(c, "appliance:contains", disk);
        }
        json_object_array_add(list, c);
    }
}

static json_object *
top_component(const struct sbom_input *in)
{
    const struct plan *plan = in->plan;
    CLEANUP_FREE char *name = NULL;
    if (asprintf(&name, "%s%s", plan->name, in->container ? "-container" : "") < 0)
        return NULL;
    json_object *c = component(in->container ? "container" : "application",
                               in->container ? "container" : "appliance", name, plan->version);
    if (plan->vendor[0]) {
        json_object *s = json_object_new_object();
        put_str(s, "name", plan->vendor);
        json_object_object_add(c, "supplier", s);
    }
    if (plan->description[0])
        put_str(c, "description", plan->description);
    return c;
}

static json_object *
metadata(const struct sbom_input *in, json_object *top)
{
    char created[32];
    sbom_time(in->epoch, created);
    json_object *m = json_object_new_object(), *tools = json_object_new_object();
    json_object *list = json_object_new_array();
    put_str(m, "timestamp", created);
    json_object_array_add(list, component("application", "tool-appliance", "appliance",
                                          APPLIANCE_VERSION));
    json_object_object_add(tools, "components", list);
    json_object_object_add(m, "tools", tools);
    json_object_object_add(m, "component", top);
    return m;
}

/* The disks as components of the appliance, each holding its contents. */
static void
add_disks(struct cdx *x, json_object *components, json_object *holders[PLAN_N_DISKS])
{
    const struct plan *plan = x->in->plan;
    for (int d = 0; d < PLAN_N_DISKS; d++) {
        char ref[64], name[64], desc[128];
        snprintf(ref, sizeof(ref), "disk-%s", plan->disks[d].id);
        snprintf(name, sizeof(name), "%s disk", plan->disks[d].id);
        snprintf(desc, sizeof(desc), "the %s disk of %s %s: GPT, LVM volume group %s",
                 d == PLAN_DISK_OS ? "operating system's" : "application's", plan->name,
                 plan->version, plan->disks[d].vg.name);
        holders[d] = component("data", ref, name, NULL);
        put_str(holders[d], "description", desc);
        add_filesystems(plan, d, holders[d]);
        json_object_array_add(components, holders[d]);
    }
}

int
sbom_cdx_text(const struct sbom_input *in, char **text, struct ab_error *err)
{
    struct cdx x = {.in = in, .deps = json_object_new_array()};
    json_object *doc = json_object_new_object(), *components = json_object_new_array();
    json_object *top = top_component(in);
    json_object *holders[PLAN_N_DISKS] = {NULL, NULL};
    x.oom |= !top;
    put_str(doc, "$schema", "http://cyclonedx.org/schema/bom-1.6.schema.json");
    put_str(doc, "bomFormat", "CycloneDX");
    put_str(doc, "specVersion", CDX_VERSION);
    put_str(doc, "serialNumber", ""); /* set once the rest is written */
    json_object_object_add(doc, "version", json_object_new_int(1));
    json_object_object_add(doc, "metadata", metadata(in, top));
    if (!in->container) {
        add_disks(&x, components, holders);
        add_os(&x, holders[PLAN_DISK_OS]);
        add_packages(&x, holders[PLAN_DISK_OS]);
        add_addons(&x, holders[PLAN_DISK_OS]);
        add_recipe_files(&x, holders, components);
    } else {
        /* The container's contents are the top-level components. */
        json_object *wrap = json_object_new_object();
        add_os(&x, wrap);
        add_packages(&x, wrap);
        add_recipe_files(&x, NULL, wrap);
        json_object *kids = nested(wrap);
        for (size_t i = 0; i < json_object_array_length(kids); i++)
            json_object_array_add(components, json_object_get(json_object_array_get_idx(kids, i)));
        json_object_put(wrap);
    }
    add_shipped(&x, components);
    json_object_object_add(doc, "components", components);
    json_object_object_add(doc, "dependencies", x.deps);
    CLEANUP_FREE char *draft = NULL;
    int r = x.oom ? ab_oom(err) : sbom_json_text(doc, &draft, err);
    if (r == 0) {
        char uuid[37], serial[64];
        sbom_uuid("cyclonedx", draft, uuid);
        snprintf(serial, sizeof(serial), "urn:uuid:%s", uuid);
        put_str(doc, "serialNumber", serial);
        r = sbom_json_text(doc, text, err);
    }
    json_object_put(doc);
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

static json_object *
array(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_array))
        return NULL;
    return v;
}

/* The value of the first property name of c, or NULL. */
static const char *
property(json_object *c, const char *name)
{
    json_object *props = array(c, "properties");
    for (size_t i = 0; props && i < json_object_array_length(props); i++) {
        json_object *p = json_object_array_get_idx(props, i);
        const char *n = str(p, "name"), *v = str(p, "value");
        if (n && v && strcmp(n, name) == 0)
            return v;
    }
    return NULL;
}

static bool
has_property(json_object *c, const char *name, const char *value)
{
    json_object *props = array(c, "properties");
    for (size_t i = 0; props && i < json_object_array_length(props); i++) {
        json_object *p = json_object_array_get_idx(props, i);
        const char *n = str(p, "name"), *v = str(p, "value");
        if (n && v && strcmp(n, name) == 0 && strcmp(v, value) == 0)
            return true;
    }
    return false;
}

static const char *
hash_of(json_object *c, const char *alg)
{
    json_object *hashes = array(c, "hashes");
    for (size_t i = 0; hashes && i < json_object_array_length(hashes); i++) {
        json_object *h = json_object_array_get_idx(hashes, i);
        const char *a = str(h, "alg"), *v = str(h, "content");
        if (a && v && strcmp(a, alg) == 0)
            return v;
    }
    return NULL;
}

static void
copy_hex(char out[HASH_HEX_MAX], const char *hex)
{
    snprintf(out, HASH_HEX_MAX, "%.*s", HASH_HEX_MAX - 1, hex ? hex : "");
}

static int
read_package(json_object *c, struct sbom_doc *doc)
{
    const char *purl = str(c, "purl"), *name = str(c, "name"), *version = str(c, "version");
    bool deb = purl && strncmp(purl, "pkg:deb/", 8) == 0;
    bool rpm = purl && strncmp(purl, "pkg:rpm/", 8) == 0;
    if ((!deb && !rpm) || !name || !version)
        return 0;
    struct pkg_list *l = &doc->packages;
    struct pkg *g = realloc(l->v, (l->n + 1) * sizeof(*g));
    if (!g)
        return -1;
    l->v = g;
    l->format = deb ? PKG_DEB : PKG_RPM;
    struct pkg *pk = &g[l->n++];
    const char *arch = property(c, "appliance:arch"), *src = property(c, "appliance:source-package");
    json_object *lics = array(c, "licenses");
    const char *expr = lics ? str(json_object_array_get_idx(lics, 0), "expression") : NULL;
    const char *sp = src ? strchr(src, ' ') : NULL;
    *pk = (struct pkg){
        .name = strdup(name),
        .version = strdup(version),
        .arch = strdup(arch ? arch : ""),
        .source = sp ? strndup(src, (size_t)(sp - src)) : strdup(src ? src : name),
        .source_version = strdup(sp ? sp + 1 : version),
        .license = strdup(expr ? expr : "NOASSERTION"),
    };
    json_object *sup = NULL;
    const char *sname = json_object_object_get_ex(c, "supplier", &sup) ? str(sup, "name") : NULL;
    json_object *contact = sname ? array(sup, "contact") : NULL;
    const char *email = contact ? str(json_object_array_get_idx(contact, 0), "email") : NULL;
    if (sname && asprintf(&pk->supplier, email ? "%s <%s>" : "%s", sname, email) < 0)
        pk->supplier = NULL;
    return pk->name && pk->version && pk->arch && pk->source && pk->source_version && pk->license
               ? 0
               : -1;
}

static int
read_file(json_object *c, int disk, struct sbom_doc *doc)
{
    const char *name = str(c, "name"), *src = property(c, "appliance:recipe-source");
    if (!name || !src)
        return 0;
    struct sbom_file *g = realloc(doc->files.v, (doc->files.n + 1) * sizeof(*g));
    if (!g)
        return -1;
    doc->files.v = g;
    struct sbom_file *f = &g[doc->files.n++];
    *f = (struct sbom_file){.path = strdup(name), .source = strdup(src), .disk = disk};
    copy_hex(f->sha256, hash_of(c, "SHA-256"));
    copy_hex(f->sha1, hash_of(c, "SHA-1"));
    return f->path && f->source ? 0 : -1;
}

static int
read_shipped(json_object *c, struct sbom_doc *doc)
{
    const char *ref = str(c, "bom-ref"), *name = str(c, "name");
    if (!ref || !name || strncmp(ref, "shipped-", 8) != 0)
        return 0;
    struct sbom_shipped *g = realloc(doc->shipped, (doc->n_shipped + 1) * sizeof(*g));
    if (!g)
        return -1;
    doc->shipped = g;
    struct sbom_shipped *sh = &g[doc->n_shipped++];
    *sh = (struct sbom_shipped){.path = strdup(name)};
    copy_hex(sh->sha256, hash_of(c, "SHA-256"));
    sh->disks[PLAN_DISK_OS] = has_property(c, "appliance:contains", "disk-os");
    sh->disks[PLAN_DISK_APP] = has_property(c, "appliance:contains", "disk-app");
    return sh->path ? 0 : -1;
}

#define MAX_NESTING 8

/* The components of list and below them; disk: the disk holding them. */
static int
read_components(json_object *list, int disk, int depth, struct sbom_doc *doc)
{
    for (size_t i = 0; list && i < json_object_array_length(list); i++) {
        json_object *c = json_object_array_get_idx(list, i);
        const char *ref = str(c, "bom-ref"), *type = str(c, "type");
        int d = disk;
        if (ref && strcmp(ref, "disk-os") == 0)
            d = PLAN_DISK_OS;
        else if (ref && strcmp(ref, "disk-app") == 0)
            d = PLAN_DISK_APP;
        if (d != disk)
            doc->disk[d] = true;
        if (type && strcmp(type, "library") == 0 && read_package(c, doc) < 0)
            return -1;
        if (type && strcmp(type, "file") == 0 && (read_file(c, d, doc) < 0 || read_shipped(c, doc) < 0))
            return -1;
        if (depth < MAX_NESTING && read_components(array(c, "components"), d, depth + 1, doc) < 0)
            return -1;
    }
    return 0;
}

int
sbom_parse_cdx(const char *text, size_t len, const char *what, struct sbom_doc *doc,
               struct ab_error *err)
{
    memset(doc, 0, sizeof(*doc));
    if (len > SBOM_MAX_BYTES)
        return ab_build_error(err, EFBIG, "'%s' is larger than %u MiB: not an SBOM", what,
                              SBOM_MAX_BYTES >> 20);
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return ab_oom(err);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    const char *format = str(root, "bomFormat"), *spec = str(root, "specVersion");
    if (jerr != json_tokener_success || !format || strcmp(format, "CycloneDX") != 0 || !spec ||
        strcmp(spec, CDX_VERSION) != 0) {
        json_object_put(root);
        return ab_build_error(err, 0, "'%s' is not a CycloneDX 1.6 document: %s", what,
                              jerr != json_tokener_success ? json_tokener_error_desc(jerr)
                                                           : "no bomFormat CycloneDX 1.6");
    }
    json_object *meta = NULL, *top = NULL;
    if (json_object_object_get_ex(root, "metadata", &meta) &&
        json_object_object_get_ex(meta, "component", &top)) {
        const char *n = str(top, "name"), *v = str(top, "version");
        doc->name = n ? strdup(n) : NULL;
        doc->version = v ? strdup(v) : NULL;
    }
    int r = read_components(array(root, "components"), -1, 0, doc);
    json_object_put(root);
    if (r < 0) {
        sbom_doc_release(doc);
        return ab_oom(err);
    }
    return 0;
}
