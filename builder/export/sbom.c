/* sbom.c: the facts both SBOM formats share: the recipe's files, package
 * URLs, times, UUIDs (sbom.h, sbom_json.h). */
#include "appliance/sbom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "appliance/cleanup.h"
#include "appliance/configure.h"
#include "appliance/distro.h"
#include "appliance/fsutil.h"
#include "sbom_json.h"

void
sbom_time(int64_t epoch, char out[32])
{
    time_t t = (time_t)epoch;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

int
sbom_json_text(json_object *o, char **text, struct ab_error *err)
{
    const char *s = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!s || asprintf(text, "%s\n", s) < 0)
        return ab_oom(err);
    return 0;
}

void
sbom_uuid(const char *domain, const char *text, char out[37])
{
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    char hex[HASH_HEX_MAX] = "";
    if (d) {
        digest_str(d, domain);
        digest_str(d, text);
        digest_hex(d, hex);
    }
    if (strlen(hex) < 32)
        snprintf(hex, sizeof(hex), "%032d", 0);
    /* The version nibble 8 (custom), the variant's two bits 10. */
    const char variant[] = "89ab";
    hex[12] = '8';
    hex[16] = variant[(hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0') & 3];
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

void
sbom_shipped_role(const struct plan *plan, const char *path, struct delivery_role *role,
                  bool disks[PLAN_N_DISKS])
{
    delivery_classify(plan->stem, plan->outputs, path, role);
    for (int d = 0; d < PLAN_N_DISKS; d++)
        disks[d] = (role->disk && strcmp(role->disk, plan->disks[d].id) == 0) ||
                   (role->output && strcmp(role->output, "ova") == 0);
}

int
sbom_disk_of(const struct plan *plan, const char *path)
{
    int disk = -1;
    size_t best = 0;
    for (size_t i = 0; i < plan->n_mounts; i++) {
        const char *m = plan->mounts[i].path;
        size_t n = strcmp(m, "/") == 0 ? 0 : strlen(m);
        if (strncmp(path, m, n) == 0 && (path[n] == '/' || path[n] == '\0') &&
            (disk < 0 || n >= best)) {
            disk = (int)plan->mounts[i].disk;
            best = n;
        }
    }
    return disk;
}

const char *
sbom_os_id(const struct plan *plan, char *buf, size_t size)
{
    if (plan->os.distro == DISTRO_NONE || plan->os.rootfs)
        return NULL;
    const char *key = distro_to_string(plan->os.distro);
    snprintf(buf, size, "%.*s", (int)strcspn(key, "-"), key);
    return buf;
}

void
sbom_split_contact(const char *contact, char *name, size_t nsize, char *email, size_t esize)
{
    const char *lt = strrchr(contact, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    size_t nlen = lt && gt ? (size_t)(lt - contact) : strlen(contact);
    while (nlen > 0 && contact[nlen - 1] == ' ')
        nlen--;
    snprintf(name, nsize, "%.*s", (int)nlen, contact);
    snprintf(email, esize, "%.*s", lt && gt ? (int)(gt - lt - 1) : 0, lt ? lt + 1 : "");
}

/* ---- package URLs ------------------------------------------------------- */

/* s percent-encoded, only [A-Za-z0-9.-_~] left as they are. */
static void
pct(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr(".-_~", *p))
            fputc(*p, out);
        else
            fprintf(out, "%%%02X", *p);
    }
}

char *
sbom_purl(const struct plan *plan, enum pkg_format format, const struct pkg *p)
{
    char id[32];
    const char *ns = sbom_os_id(plan, id, sizeof(id));
    const char *version = p->version;
    CLEANUP_FREE char *epoch = NULL;
    const char *colon = strchr(p->version, ':');
    if (format == PKG_RPM && colon) {
        epoch = strndup(p->version, (size_t)(colon - p->version));
        version = colon + 1;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    fprintf(out, "pkg:%s/", format == PKG_RPM ? "rpm" : "deb");
    if (ns) {
        pct(out, ns);
        fputc('/', out);
    }
    pct(out, p->name);
    fputc('@', out);
    pct(out, version);
    fputs("?arch=", out);
    pct(out, p->arch);
    if (ns) {
        fputs("&distro=", out);
        pct(out, distro_to_string(plan->os.distro));
    }
    if (epoch) {
        fputs("&epoch=", out);
        pct(out, epoch);
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- the recipe's files ------------------------------------------------- */

void
sbom_files_release(struct sbom_files *files)
{
    for (size_t i = 0; files && i < files->n; i++) {
        free(files->v[i].path);
        free(files->v[i].source);
    }
    if (files) {
        free(files->v);
        files->v = NULL;
        files->n = 0;
    }
}

struct walk_files {
    const struct plan *plan;
    const struct plan_file *f;
    const char *target; /* where f lands */
    struct sbom_files *out;
    struct ab_error *err;
};

static int
add_file(struct walk_files *w, const char *rel)
{
    struct sbom_files *o = w->out;
    struct sbom_file *grown = realloc(o->v, (o->n + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(w->err);
    o->v = grown;
    struct sbom_file *f = &o->v[o->n];
    *f = (struct sbom_file){.disk = -1};
    CLEANUP_FREE char *abs = NULL;
    bool top = rel[0] == '\0';
    if ((top ? asprintf(&f->path, "%s", w->target)
             : asprintf(&f->path, "%s%s%s", w->target,
                        strcmp(w->target, "/") == 0 ? "" : "/", rel)) < 0 ||
        (top ? asprintf(&f->source, "%s", w->f->src)
             : asprintf(&f->source, "%s%s%s", w->f->src,
                        w->f->src[strlen(w->f->src) - 1] == '/' ? "" : "/", rel)) < 0 ||
        (top ? asprintf(&abs, "%s", w->f->src_abs) : asprintf(&abs, "%s/%s", w->f->src_abs, rel)) <
            0) {
        free(f->path);
        return ab_oom(w->err);
    }
    o->n++;
    f->disk = sbom_disk_of(w->plan, f->path);
    if (digest_file(DIGEST_SHA256, abs, f->sha256, w->err) < 0 ||
        digest_file(DIGEST_SHA1, abs, f->sha1, w->err) < 0)
        return -1;
    return 0;
}

static int
visit(void *ctx, const char *rel, const struct stat *st)
{
    struct walk_files *w = ctx;
    if (!S_ISREG(st->st_mode))
        return 0;
    return add_file(w, rel) < 0 ? 1 : 0;
}

static int
by_path(const void *a, const void *b)
{
    return strcmp(((const struct sbom_file *)a)->path, ((const struct sbom_file *)b)->path);
}

int
sbom_recipe_files(const struct plan *plan, struct sbom_files *files, struct ab_error *err)
{
    *files = (struct sbom_files){NULL, 0};
    for (size_t i = 0; i < plan->n_files; i++) {
        const struct plan_file *f = &plan->files[i];
        struct stat st;
        if (stat(f->src_abs, &st) < 0)
            return ab_build_error(err, errno, "source '%s': %s", f->src, strerror(errno));
        CLEANUP_FREE char *target = configure_file_target(f, S_ISDIR(st.st_mode));
        if (!target)
            return ab_oom(err);
        struct walk_files w = {plan, f, target, files, err};
        int r = S_ISDIR(st.st_mode) ? walk_tree(f->src_abs, visit, &w)
                                    : (add_file(&w, "") < 0 ? 1 : 0);
        if (r > 0)
            return -1;
        if (r < 0)
            return ab_build_error(err, errno, "cannot list '%s': %s", f->src, strerror(errno));
    }
    if (files->n)
        qsort(files->v, files->n, sizeof(*files->v), by_path);
    return 0;
}
