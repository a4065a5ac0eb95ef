/* sbom_spdx.c: the SPDX 2.3 document, written and read back (sbom.h).
 * https://spdx.github.io/spdx-spec/v2.3/ */
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

#define SPDX_VERSION "SPDX-2.3"
#define NOASSERTION "NOASSERTION"

/* ---- writing ------------------------------------------------------------ */

static json_object *
relationship(const char *a, const char *type, const char *b)
{
    json_object *r = json_object_new_object();
    put_str(r, "spdxElementId", a);
    put_str(r, "relationshipType", type);
    put_str(r, "relatedSpdxElement", b);
    return r;
}

/* A package with what every package of the document has. */
static json_object *
package(const char *id, const char *name, const char *version, const char *purpose)
{
    json_object *p = json_object_new_object();
    put_str(p, "SPDXID", id);
    put_str(p, "name", name);
    if (version)
        put_str(p, "versionInfo", version);
    put_str(p, "downloadLocation", NOASSERTION);
    json_object_object_add(p, "filesAnalyzed", json_object_new_boolean(0));
    if (purpose)
        put_str(p, "primaryPackagePurpose", purpose);
    return p;
}

static void
no_license(json_object *p)
{
    put_str(p, "licenseConcluded", NOASSERTION);
    put_str(p, "licenseDeclared", NOASSERTION);
    put_str(p, "copyrightText", NOASSERTION);
}

static json_object *
checksum(const char *algo, const char *hex)
{
    json_object *c = json_object_new_object();
    put_str(c, "algorithm", algo);
    put_str(c, "checksumValue", hex);
    return c;
}

/* "Organization: NAME (EMAIL)", or Person for what names one person. */
static void
put_supplier(json_object *p, const char *contact, bool organization)
{
    char name[512], email[256], text[800];
    if (!contact || !*contact) {
        put_str(p, "supplier", NOASSERTION);
        return;
    }
    sbom_split_contact(contact, name, sizeof(name), email, sizeof(email));
    /* SPDX reads the parentheses: none inside the name. */
    for (char *c = name; *c; c++)
        if (*c == '(' || *c == ')')
            *c = ' ';
    snprintf(text, sizeof(text), "%s: %s%s%s%s", organization ? "Organization" : "Person", name,
             email[0] ? " (" : "", email, email[0] ? ")" : "");
    put_str(p, "supplier", text);
}

/* Whether a maintainer names a team rather than a person. */
static bool
is_team(const char *contact)
{
    static const char *const words[] = {"team", "maintainers", "project", "group", "developers",
                                        "list", "packagers", "debian", "ubuntu"};
    char name[512], email[256];
    sbom_split_contact(contact, name, sizeof(name), email, sizeof(email));
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasestr(name, words[i]) || strcasestr(email, "lists."))
            return true;
    return false;
}

struct spdx {
    const struct sbom_input *in;
    json_object *packages, *files, *rels;
    char **refs; /* the LicenseRef- ids met, sorted, unique */
    size_t n_refs;
    bool oom;
};

/* Notes each LicenseRef- of expr. */
static void
note_refs(struct spdx *s, const char *expr)
{
    for (const char *p = expr; (p = strstr(p, "LicenseRef-"));) {
        size_t n = strcspn(p, " ()");
        bool seen = false;
        for (size_t i = 0; i < s->n_refs && !seen; i++)
            seen = strlen(s->refs[i]) == n && strncmp(s->refs[i], p, n) == 0;
        if (!seen) {
            char **g = realloc(s->refs, (s->n_refs + 1) * sizeof(*g));
            char *ref = strndup(p, n);
            if (!g || !ref) {
                free(ref);
                s->oom = true;
                return;
            }
            s->refs = g;
            s->refs[s->n_refs++] = ref;
        }
        p += n;
    }
}

static int
by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static json_object *
extracted_licenses(struct spdx *s)
{
    json_object *a = json_object_new_array();
    if (s->n_refs)
        qsort(s->refs, s->n_refs, sizeof(*s->refs), by_str);
    for (size_t i = 0; i < s->n_refs; i++) {
        json_object *l = json_object_new_object();
        CLEANUP_FREE char *text = NULL;
        if (asprintf(&text,
                     "The license a package declares as '%s' (its copyright file or its "
                     "header), which the SPDX License List has no id for; its text is in the "
                     "package.",
                     s->refs[i] + strlen("LicenseRef-")) < 0)
            s->oom = true;
        put_str(l, "licenseId", s->refs[i]);
        put_str(l, "name", s->refs[i] + strlen("LicenseRef-"));
        put_str(l, "extractedText", text ? text : "");
        json_object_array_add(a, l);
    }
    return a;
}

static void
add_os(struct spdx *s, const char *holder)
{
    const struct plan *plan = s->in->plan;
    const struct distro_row *row = distro_row(plan->os.distro);
    json_object *p;
    if (plan->os.rootfs || plan->os.distro == DISTRO_NONE) {
        p = package("SPDXRef-OperatingSystem", plan->os.rootfs ? "rootfs" : "unknown", NULL,
                    "OPERATING_SYSTEM");
        put_str(p, "supplier", NOASSERTION);
        if (plan->os.rootfs)
            put_str(p, "description", "the root tree of the recipe's rootfs: archive");
    } else {
        char vendor[128];
        p = package("SPDXRef-OperatingSystem", distro_to_string(plan->os.distro), NULL,
                    "OPERATING_SYSTEM");
        snprintf(vendor, sizeof(vendor), "Organization: %s", row->vendor);
        put_str(p, "supplier", vendor);
        put_str(p, "description", row->title);
    }
    no_license(p);
    json_object_array_add(s->packages, p);
    json_object_array_add(s->rels, relationship(holder, "CONTAINS", "SPDXRef-OperatingSystem"));
}

/* Each filesystem of the disk: where it is and what fills it. */
static char *
disk_comment(const struct plan *plan, int d)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    fprintf(out, "volume group %s; filesystems:", plan->disks[d].vg.name);
    bool any = false;
    for (size_t i = 0; i < plan->n_mounts; i++) {
        const struct plan_mount *m = &plan->mounts[i];
        if ((int)m->disk != d)
            continue;
        fprintf(out, "%s %s (%s, ", any ? ";" : "", m->path, fs_to_string(m->fs));
        if (m->lv)
            fprintf(out, "logical volume %s/%s", plan->disks[d].vg.name, m->lv->name);
        else
            fprintf(out, "partition %u", m->partition->number);
        fprintf(out, "): the configured root tree's %s", m->path);
        any = true;
    }
    if (!any)
        fputs(" none known", out);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void
add_disks(struct spdx *s)
{
    const struct plan *plan = s->in->plan;
    for (int d = 0; d < PLAN_N_DISKS; d++) {
        char id[64], name[64], desc[128];
        snprintf(id, sizeof(id), "SPDXRef-Disk-%s", plan->disks[d].id);
        snprintf(name, sizeof(name), "%s disk", plan->disks[d].id);
        snprintf(desc, sizeof(desc), "the %s disk of %s %s: GPT, LVM",
                 d == PLAN_DISK_OS ? "operating system's" : "application's", plan->name,
                 plan->version);
        json_object *p = package(id, name, NULL, "OTHER");
        CLEANUP_FREE char *comment = disk_comment(plan, d);
        put_str(p, "supplier", NOASSERTION);
        put_str(p, "description", desc);
        put_str(p, "comment", comment ? comment : "");
        no_license(p);
        json_object_array_add(s->packages, p);
        json_object_array_add(s->rels, relationship("SPDXRef-Appliance", "CONTAINS", id));
    }
}

/* The SPDX id of the package of that name (any arch), or NULL. */
static const char *
package_ref(const struct spdx *s, const char *name, char *buf, size_t size)
{
    const struct pkg_list *l = s->in->packages;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0) {
            snprintf(buf, size, "SPDXRef-Package-%zu", i + 1);
            return buf;
        }
    return NULL;
}

static void
add_addons(struct spdx *s)
{
    const struct plan *plan = s->in->plan;
    for (int a = 0; a < DISTRO_N_ADDONS; a++) {
        if (!(plan->addons & (1u << a)))
            continue;
        const char *hv = ab_enum_to_string(&addon_table, 1 << a);
        const char *tools[DISTRO_N_ADDONS] = {NULL};
        size_t n = distro_addon_packages(plan->os.distro, 1u << a, tools);
        char id[64], name[64], desc[256], ref[64];
        snprintf(id, sizeof(id), "SPDXRef-Addon-%s", hv);
        snprintf(name, sizeof(name), "%s add-on", hv);
        snprintf(desc, sizeof(desc),
                 n ? "what the appliance runs under %s: its guest tools (%s), started only there"
                   : "what the appliance runs under %s: the kernel's own drivers%s",
                 hv, n ? tools[0] : "");
        json_object *p = package(id, name, NULL, "OTHER");
        put_str(p, "supplier", NOASSERTION);
        put_str(p, "description", desc);
        no_license(p);
        json_object_array_add(s->packages, p);
        json_object_array_add(s->rels, relationship("SPDXRef-Disk-os", "CONTAINS", id));
        if (n && package_ref(s, tools[0], ref, sizeof(ref)))
            json_object_array_add(s->rels, relationship(id, "DEPENDS_ON", ref));
    }
}

static void
add_packages(struct spdx *s, const char *holder)
{
    const struct pkg_list *l = s->in->packages;
    for (size_t i = 0; i < l->n; i++) {
        const struct pkg *pk = &l->v[i];
        char id[64];
        snprintf(id, sizeof(id), "SPDXRef-Package-%zu", i + 1);
        json_object *p = package(id, pk->name, pk->version, NULL);
        put_supplier(p, pk->supplier, pk->supplier && is_team(pk->supplier));
        CLEANUP_FREE char *source = NULL, *purl = sbom_purl(s->in->plan, l->format, pk);
        if (asprintf(&source, "built from the %s source package %s %s",
                     packages_format_name(l->format), pk->source, pk->source_version) >= 0)
            put_str(p, "sourceInfo", source);
        put_str(p, "licenseConcluded", NOASSERTION);
        put_str(p, "licenseDeclared", pk->license);
        put_str(p, "copyrightText", NOASSERTION);
        note_refs(s, pk->license);
        json_object *refs = json_object_new_array(), *r = json_object_new_object();
        put_str(r, "referenceCategory", "PACKAGE-MANAGER");
        put_str(r, "referenceType", "purl");
        put_str(r, "referenceLocator", purl ? purl : "");
        json_object_array_add(refs, r);
        json_object_object_add(p, "externalRefs", refs);
        json_object_array_add(s->packages, p);
        json_object_array_add(s->rels, relationship(holder, "CONTAINS", id));
        s->oom |= !purl || !source;
    }
}

static void
add_recipe_files(struct spdx *s, const char *const holders[PLAN_N_DISKS], const char *other)
{
    const struct sbom_files *fs = s->in->files;
    for (size_t i = 0; fs && i < fs->n; i++) {
        const struct sbom_file *f = &fs->v[i];
        char id[64];
        CLEANUP_FREE char *name = NULL, *comment = NULL;
        snprintf(id, sizeof(id), "SPDXRef-RecipeFile-%zu", i + 1);
        if (asprintf(&name, ".%s", f->path) < 0 ||
            asprintf(&comment, "from the recipe's files: '%s'", f->source) < 0)
            s->oom = true;
        json_object *o = json_object_new_object(), *sums = json_object_new_array();
        put_str(o, "SPDXID", id);
        put_str(o, "fileName", name ? name : "");
        json_object_array_add(sums, checksum("SHA1", f->sha1));
        json_object_array_add(sums, checksum("SHA256", f->sha256));
        json_object_object_add(o, "checksums", sums);
        put_str(o, "licenseConcluded", NOASSERTION);
        put_str(o, "copyrightText", NOASSERTION);
        put_str(o, "comment", comment ? comment : "");
        json_object_array_add(s->files, o);
        const char *holder = f->disk >= 0 && f->disk < PLAN_N_DISKS && holders ? holders[f->disk]
                                                                               : other;
        json_object_array_add(s->rels, relationship(holder, "CONTAINS", id));
    }
}

/* The archives among the shipped files: an OVA, a tar. */
static bool
is_archive(const char *path)
{
    static const char *const ends[] = {".ova", ".tar", ".tar.gz", ".tar.zst"};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
        if (n >= strlen(ends[i]) && strcmp(path + n - strlen(ends[i]), ends[i]) == 0)
            return true;
    return false;
}

static void
add_shipped(struct spdx *s, const char *top)
{
    const struct export_files *sh = s->in->shipped;
    for (size_t i = 0; sh && i < sh->n; i++) {
        const struct export_file *f = &sh->v[i];
        struct delivery_role role;
        bool disks[PLAN_N_DISKS];
        char id[64];
        sbom_shipped_role(s->in->plan, f->path, &role, disks);
        snprintf(id, sizeof(id), "SPDXRef-Shipped-%zu", i + 1);
        json_object *p = package(id, f->path, NULL, is_archive(f->path) ? "ARCHIVE" : "FILE");
        put_str(p, "packageFileName", f->path);
        put_str(p, "supplier", NOASSERTION);
        json_object *sums = json_object_new_array();
        json_object_array_add(sums, checksum("SHA256", f->sha256));
        json_object_object_add(p, "checksums", sums);
        no_license(p);
        if (role.output) {
            char desc[128];
            snprintf(desc, sizeof(desc), "output %s%s%s", role.output, role.disk ? ", disk " : "",
                     role.disk ? role.disk : "");
            put_str(p, "description", desc);
        }
        json_object_array_add(s->packages, p);
        json_object_array_add(s->rels, relationship(id, "GENERATED_FROM", top));
        for (int d = 0; d < PLAN_N_DISKS && !s->in->container; d++) {
            char disk[64];
            snprintf(disk, sizeof(disk), "SPDXRef-Disk-%s", s->in->plan->disks[d].id);
            if (disks[d])
                json_object_array_add(s->rels, relationship(id, "CONTAINS", disk));
        }
    }
}

static json_object *
top_package(const struct sbom_input *in, const char *id)
{
    const struct plan *plan = in->plan;
    CLEANUP_FREE char *name = NULL;
    if (asprintf(&name, "%s%s", plan->name, in->container ? "-container" : "") < 0)
        return NULL;
    json_object *p = package(id, name, plan->version, in->container ? "CONTAINER" : "APPLICATION");
    put_supplier(p, plan->vendor, true);
    if (plan->description[0])
        put_str(p, "description", plan->description);
    if (plan->product_url && plan->product_url[0])
        put_str(p, "homepage", plan->product_url);
    no_license(p);
    return p;
}

static json_object *
creation_info(const struct sbom_input *in)
{
    char created[32];
    sbom_time(in->epoch, created);
    json_object *c = json_object_new_object(), *who = json_object_new_array();
    put_str(c, "created", created);
    json_object_array_add(who, json_object_new_string("Tool: appliance-" APPLIANCE_VERSION));
    if (in->plan->vendor[0]) {
        char org[512];
        snprintf(org, sizeof(org), "Organization: %s", in->plan->vendor);
        json_object_array_add(who, json_object_new_string(org));
    }
    json_object_object_add(c, "creators", who);
    return c;
}

static void
spdx_release(struct spdx *s)
{
    for (size_t i = 0; i < s->n_refs; i++)
        free(s->refs[i]);
    free(s->refs);
}

int
sbom_spdx_text(const struct sbom_input *in, char **text, struct ab_error *err)
{
    const char *top = in->container ? "SPDXRef-Container" : "SPDXRef-Appliance";
    struct spdx s = {.in = in,
                     .packages = json_object_new_array(),
                     .files = json_object_new_array(),
                     .rels = json_object_new_array()};
    const char *name = in->plan->stem;
    json_object *doc = json_object_new_object();
    put_str(doc, "spdxVersion", SPDX_VERSION);
    put_str(doc, "dataLicense", "CC0-1.0");
    put_str(doc, "SPDXID", "SPDXRef-DOCUMENT");
    put_str(doc, "name", name);
    put_str(doc, "documentNamespace", ""); /* set once the rest is written */
    json_object_object_add(doc, "creationInfo", creation_info(in));
    json_object_array_add(s.rels, relationship("SPDXRef-DOCUMENT", "DESCRIBES", top));
    json_object *tp = top_package(in, top);
    s.oom |= !tp || !name;
    json_object_array_add(s.packages, tp);
    const char *holders[PLAN_N_DISKS] = {"SPDXRef-Disk-os", "SPDXRef-Disk-app"};
    if (!in->container) {
        add_disks(&s);
        add_os(&s, holders[PLAN_DISK_OS]);
    } else
        add_os(&s, top);
    add_packages(&s, in->container ? top : holders[PLAN_DISK_OS]);
    if (!in->container)
        add_addons(&s);
    add_recipe_files(&s, in->container ? NULL : holders, top);
    add_shipped(&s, top);
    json_object_object_add(doc, "packages", s.packages);
    json_object_object_add(doc, "files", s.files);
    json_object_object_add(doc, "hasExtractedLicensingInfos", extracted_licenses(&s));
    json_object_object_add(doc, "relationships", s.rels);
    CLEANUP_FREE char *draft = NULL;
    int r = s.oom ? ab_oom(err) : sbom_json_text(doc, &draft, err);
    if (r == 0) {
        char uuid[37], ns[128];
        sbom_uuid("spdx", draft, uuid);
        snprintf(ns, sizeof(ns), "urn:uuid:%s", uuid);
        put_str(doc, "documentNamespace", ns);
        r = sbom_json_text(doc, text, err);
    }
    json_object_put(doc);
    spdx_release(&s);
    return r;
}

/* ---- reading ------------------------------------------------------------ */

void
sbom_doc_release(struct sbom_doc *doc)
{
    if (!doc)
        return;
    free(doc->name);
    free(doc->version);
    packages_release(&doc->packages);
    sbom_files_release(&doc->files);
    for (size_t i = 0; i < doc->n_shipped; i++)
        free(doc->shipped[i].path);
    free(doc->shipped);
    memset(doc, 0, sizeof(*doc));
}

/* o's string member key, or NULL. */
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

/* The value of a checksum of algorithm algo in the array, or NULL. */
static const char *
checksum_of(json_object *sums, const char *algo)
{
    for (size_t i = 0; sums && i < json_object_array_length(sums); i++) {
        json_object *c = json_object_array_get_idx(sums, i);
        const char *a = str(c, "algorithm"), *v = str(c, "checksumValue");
        if (a && v && strcmp(a, algo) == 0)
            return v;
    }
    return NULL;
}

/* Copies a hex digest of at most HASH_HEX_MAX - 1 characters. */
static void
copy_hex(char out[HASH_HEX_MAX], const char *hex)
{
    snprintf(out, HASH_HEX_MAX, "%.*s", HASH_HEX_MAX - 1, hex ? hex : "");
}

/* The purl of a package, or NULL. */
static const char *
purl_of(json_object *p)
{
    json_object *refs = array(p, "externalRefs");
    for (size_t i = 0; refs && i < json_object_array_length(refs); i++) {
        json_object *r = json_object_array_get_idx(refs, i);
        const char *t = str(r, "referenceType"), *loc = str(r, "referenceLocator");
        if (t && loc && strcmp(t, "purl") == 0)
            return loc;
    }
    return NULL;
}

/* The relationships "A CONTAINS B", as pairs of strings. */
struct contains {
    const char **a, **b;
    size_t n;
};

static void
read_contains(json_object *rels, struct contains *c)
{
    size_t n = rels ? json_object_array_length(rels) : 0;
    c->a = calloc(n + 1, sizeof(char *));
    c->b = calloc(n + 1, sizeof(char *));
    c->n = 0;
    for (size_t i = 0; c->a && c->b && i < n; i++) {
        json_object *r = json_object_array_get_idx(rels, i);
        const char *a = str(r, "spdxElementId"), *t = str(r, "relationshipType"),
                   *b = str(r, "relatedSpdxElement");
        if (a && t && b && strcmp(t, "CONTAINS") == 0) {
            c->a[c->n] = a;
            c->b[c->n++] = b;
        }
    }
}

/* The disk (by the SPDX id SPDXRef-Disk-ID) that contains id: its index,
 * or -1. */
static int
disk_containing(const struct contains *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->b[i], id) != 0)
            continue;
        if (strcmp(c->a[i], "SPDXRef-Disk-os") == 0)
            return PLAN_DISK_OS;
        if (strcmp(c->a[i], "SPDXRef-Disk-app") == 0)
            return PLAN_DISK_APP;
    }
    return -1;
}

static bool
contains(const struct contains *c, const char *a, const char *b)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->a[i], a) == 0 && strcmp(c->b[i], b) == 0)
            return true;
    return false;
}

/* "built from the deb source package SRC VERSION" -> SRC, VERSION. */
static int
read_source(const char *info, struct pkg *p)
{
    const char *at = info ? strstr(info, "source package ") : NULL;
    if (at) {
        at += strlen("source package ");
        const char *sp = strchr(at, ' ');
        p->source = sp ? strndup(at, (size_t)(sp - at)) : strdup(at);
        p->source_version = strdup(sp ? sp + 1 : "");
    } else {
        p->source = strdup(p->name);
        p->source_version = strdup(p->version);
    }
    return p->source && p->source_version ? 0 : -1;
}

/* "Person: NAME (EMAIL)" -> "NAME <EMAIL>"; NOASSERTION -> NULL. */
static int
read_supplier(const char *s, struct pkg *p)
{
    const char *colon = s ? strstr(s, ": ") : NULL;
    if (!colon)
        return 0;
    const char *name = colon + 2, *lp = strrchr(name, '(');
    const char *rp = lp ? strchr(lp, ')') : NULL;
    int r = lp && rp ? asprintf(&p->supplier, "%.*s <%.*s>", (int)(lp - name - (lp > name)),
                                name, (int)(rp - lp - 1), lp + 1)
                     : asprintf(&p->supplier, "%s", name);
    return r < 0 ? -1 : 0;
}

/* The arch= qualifier of a purl (into buf), "" when none. */
static void
purl_arch(const char *purl, char *buf, size_t size)
{
    const char *q = strstr(purl, "?arch=");
    if (!q)
        q = strstr(purl, "&arch=");
    snprintf(buf, size, "%.*s", q ? (int)strcspn(q + 6, "&#") : 0, q ? q + 6 : "");
}

/* One package with a deb or rpm purl, into doc's list (any disk). */
static int
read_package(json_object *p, struct sbom_doc *doc)
{
    const char *purl = purl_of(p), *name = str(p, "name"), *version = str(p, "versionInfo");
    bool deb = purl && strncmp(purl, "pkg:deb/", 8) == 0;
    bool rpm = purl && strncmp(purl, "pkg:rpm/", 8) == 0;
    if ((!deb && !rpm) || !name || !version)
        return 0;
    struct pkg_list *l = &doc->packages;
    l->format = deb ? PKG_DEB : PKG_RPM;
    struct pkg *g = realloc(l->v, (l->n + 1) * sizeof(*g));
    if (!g)
        return -1;
    l->v = g;
    struct pkg *pk = &g[l->n++];
    char arch[64];
    purl_arch(purl, arch, sizeof(arch));
    const char *lic = str(p, "licenseDeclared");
    *pk = (struct pkg){.name = strdup(name),
                       .version = strdup(version),
                       .arch = strdup(arch),
                       .license = strdup(lic ? lic : NOASSERTION)};
    if (!pk->name || !pk->version || !pk->arch || !pk->license)
        return -1;
    return read_source(str(p, "sourceInfo"), pk) < 0 || read_supplier(str(p, "supplier"), pk) < 0
               ? -1
               : 0;
}

static int
read_shipped(json_object *p, const struct contains *c, struct sbom_doc *doc)
{
    const char *id = str(p, "SPDXID"), *file = str(p, "packageFileName");
    if (!id || !file || strncmp(id, "SPDXRef-Shipped-", 16) != 0)
        return 0;
    struct sbom_shipped *g = realloc(doc->shipped, (doc->n_shipped + 1) * sizeof(*g));
    if (!g)
        return -1;
    doc->shipped = g;
    struct sbom_shipped *sh = &g[doc->n_shipped++];
    *sh = (struct sbom_shipped){.path = strdup(file)};
    copy_hex(sh->sha256, checksum_of(array(p, "checksums"), "SHA256"));
    sh->disks[PLAN_DISK_OS] = contains(c, id, "SPDXRef-Disk-os");
    sh->disks[PLAN_DISK_APP] = contains(c, id, "SPDXRef-Disk-app");
    return sh->path ? 0 : -1;
}

static int
read_packages(json_object *pkgs, const struct contains *c, struct sbom_doc *doc)
{
    for (size_t i = 0; pkgs && i < json_object_array_length(pkgs); i++) {
        json_object *p = json_object_array_get_idx(pkgs, i);
        const char *id = str(p, "SPDXID");
        if (id && (strcmp(id, "SPDXRef-Appliance") == 0 || strcmp(id, "SPDXRef-Container") == 0)) {
            const char *n = str(p, "name"), *v = str(p, "versionInfo");
            free(doc->name);
            free(doc->version);
            doc->name = n ? strdup(n) : NULL;
            doc->version = v ? strdup(v) : NULL;
        }
        if (id && strcmp(id, "SPDXRef-Disk-os") == 0)
            doc->disk[PLAN_DISK_OS] = true;
        if (id && strcmp(id, "SPDXRef-Disk-app") == 0)
            doc->disk[PLAN_DISK_APP] = true;
        if (read_package(p, doc) < 0 || read_shipped(p, c, doc) < 0)
            return -1;
    }
    return 0;
}

static int
read_files(json_object *files, const struct contains *c, struct sbom_doc *doc)
{
    for (size_t i = 0; files && i < json_object_array_length(files); i++) {
        json_object *f = json_object_array_get_idx(files, i);
        const char *id = str(f, "SPDXID"), *name = str(f, "fileName"), *comment = str(f, "comment");
        if (!id || !name)
            continue;
        struct sbom_file *g = realloc(doc->files.v, (doc->files.n + 1) * sizeof(*g));
        if (!g)
            return -1;
        doc->files.v = g;
        struct sbom_file *sf = &g[doc->files.n++];
        const char *q = comment ? strstr(comment, "files: '") : NULL;
        q = q ? q + strlen("files: ") : NULL;
        const char *q2 = q ? strrchr(q, '\'') : NULL;
        *sf = (struct sbom_file){
            .path = strdup(name[0] == '.' ? name + 1 : name),
            .source = q && q2 > q ? strndup(q + 1, (size_t)(q2 - q - 1)) : strdup(""),
            .disk = disk_containing(c, id),
        };
        copy_hex(sf->sha256, checksum_of(array(f, "checksums"), "SHA256"));
        copy_hex(sf->sha1, checksum_of(array(f, "checksums"), "SHA1"));
        if (!sf->path || !sf->source)
            return -1;
    }
    return 0;
}

int
sbom_parse_spdx(const char *text, size_t len, const char *what, struct sbom_doc *doc,
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
    const char *version = str(root, "spdxVersion");
    if (jerr != json_tokener_success || !version || strcmp(version, SPDX_VERSION) != 0) {
        json_object_put(root);
        return ab_build_error(err, 0, "'%s' is not an SPDX 2.3 document: %s", what,
                              jerr != json_tokener_success ? json_tokener_error_desc(jerr)
                                                           : "no spdxVersion SPDX-2.3");
    }
    struct contains c;
    read_contains(array(root, "relationships"), &c);
    int r = c.a && c.b ? 0 : -1;
    if (r == 0)
        r = read_packages(array(root, "packages"), &c, doc);
    if (r == 0)
        r = read_files(array(root, "files"), &c, doc);
    free(c.a);
    free(c.b);
    json_object_put(root);
    if (r < 0) {
        sbom_doc_release(doc);
        return ab_oom(err);
    }
    return 0;
}
