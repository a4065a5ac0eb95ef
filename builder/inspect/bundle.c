/* bundle.c: an output folder, OVA, OVF or disk image, made sense of. */
#include "appliance/bundle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/image_check.h"
#include "appliance/report.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"
#include "appliance/tar_member.h"
#include "appliance/manifest.h"
#include "ova_read.h"

/* The disk files a folder may hold for one disk, in the order they are
 * preferred: the cheapest for qemu to open first. export.h names them. */
static const char *const disk_suffixes[] = {".qcow2", ".raw", ".img", ".vhdx",
                                            ".vdi",   ".vhd", ".vmdk"};
static const char *const roles[] = {"os", "app"};

const char *
bundle_kind_name(enum bundle_kind k)
{
    switch (k) {
    case BUNDLE_FOLDER:
        return "folder";
    case BUNDLE_OVA:
        return "ova";
    case BUNDLE_OVF:
        return "ovf";
    case BUNDLE_DISK:
        return "disk";
    }
    return "?";
}

const char *
check_state_name(enum check_state s)
{
    switch (s) {
    case CHECK_PENDING:
        return "NOT CHECKED";
    case CHECK_OK:
        return "OK";
    case CHECK_MISMATCH:
        return "MISMATCH";
    case CHECK_MISSING:
        return "MISSING";
    }
    return "?";
}

static char *
path_join(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        return NULL;
    return p;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static bool
is_file(const char *path, uint64_t *size)
{
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    if (size)
        *size = (uint64_t)st.st_size;
    return true;
}

/* A name a manifest may give: relative, without "..", and for an OVF
 * manifest (plain) without any folder. */
static bool
safe_name(const char *name, bool plain)
{
    if (!*name || name[0] == '/' || (plain && strchr(name, '/')))
        return false;
    for (const char *p = name; p; p = strchr(p, '/')) {
        p += *p == '/';
        if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
            return false;
    }
    return true;
}

static int add_problem(struct bundle *b, struct ab_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
add_problem(struct bundle *b, struct ab_error *err, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    char **grown = n < 0 ? NULL : realloc(b->problems, (b->n_problems + 2) * sizeof(char *));
    if (!grown) {
        free(n < 0 ? NULL : msg);
        return ab_oom(err);
    }
    b->problems = grown;
    grown[b->n_problems++] = msg;
    grown[b->n_problems] = NULL;
    return 0;
}

/* The diagnostics of a parse that failed become problems of b. */
static int
problems_from(struct bundle *b, struct ab_error *parse_err, struct ab_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < parse_err->n_diags && rc == 0; i++) {
        const struct ab_diag *d = &parse_err->diags[i];
        if (d->file && d->line)
            rc = add_problem(b, err, "%s:%u:%u: %s", d->file, d->line, d->col, d->msg);
        else
            rc = add_problem(b, err, "%s", d->msg);
    }
    if (parse_err->code == AB_E_NOMEM)
        rc = ab_oom(err);
    ab_error_release(parse_err);
    return rc;
}

static int
add_check(struct bundle *b, const char *manifest, const struct manifest_entry *e, const char *path,
          struct ab_error *err)
{
    struct bundle_check *grown = realloc(b->checks, (b->n_checks + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    b->checks = grown;
    struct bundle_check *c = &grown[b->n_checks];
    *c = (struct bundle_check){.algo = e->algo, .state = CHECK_PENDING};
    memcpy(c->expected, e->hex, sizeof(c->expected));
    c->manifest = strdup(manifest);
    c->file = strdup(e->name);
    c->path = path ? strdup(path) : NULL;
    b->n_checks++;
    if (!c->manifest || !c->file || (path && !c->path))
        return ab_oom(err);
    return 0;
}

/* One check per manifest entry. dir: where the named files are (NULL:
 * they are members of b->ova). Unsafe names are problems, never opened. */
static int
add_manifest_checks(struct bundle *b, const char *label, const char *text, size_t len, bool sums,
                    const char *dir, struct manifest *m, struct ab_error *err)
{
    struct ab_error parse_err = AB_ERROR_INIT;
    int r = sums ? manifest_parse_sums(label, text, len, m, &parse_err)
                 : manifest_parse_mf(label, text, len, m, &parse_err);
    if (r < 0 && problems_from(b, &parse_err, err) < 0)
        return -1;
    ab_error_release(&parse_err);
    for (size_t i = 0; i < m->n; i++) {
        const struct manifest_entry *e = &m->entries[i];
        if (!safe_name(e->name, !sums)) {
            if (add_problem(b, err, "%s:%u: '%s' is not a file name a manifest may give", label,
                            e->line, e->name) < 0)
                return -1;
            continue;
        }
        CLEANUP_FREE char *path = dir ? path_join(dir, e->name) : NULL;
        if ((dir && !path) || add_check(b, label, e, path, err) < 0)
            return dir && !path ? ab_oom(err) : -1;
    }
    return 0;
}

static char *
slurp(const char *path, size_t max, size_t *len, struct ab_error *err)
{
    CLEANUP_FCLOSE FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0) {
        ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        ab_build_error(err, EFBIG, "'%s' is too large (%jd bytes)", path, (intmax_t)st.st_size);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        ab_oom(err);
        return NULL;
    }
    *len = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f)) {
        free(buf);
        ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

/* Reads the manifest at path (shown as label) and adds its checks. */
static int
add_manifest_file(struct bundle *b, const char *path, const char *label, bool sums,
                  struct manifest *m, struct ab_error *err)
{
    size_t len = 0;
    CLEANUP_FREE char *text = slurp(path, 64 << 20, &len, err);
    if (!text)
        return -1;
    CLEANUP_FREE char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (!dir)
        return ab_oom(err);
    if (slash)
        *slash = '\0';
    return add_manifest_checks(b, label, text, len, sums, slash ? dir : ".", m, err);
}

/* Looks a file of the bundle up by name: its size, or false if absent. */
typedef bool (*size_of_fn)(void *ctx, const char *name, uint64_t *size);

static bool
size_in_dir(void *ctx, const char *name, uint64_t *size)
{
    CLEANUP_FREE char *p = safe_name(name, true) ? path_join(ctx, name) : NULL;
    return p && is_file(p, size);
}

static bool
size_in_ova(void *ctx, const char *name, uint64_t *size)
{
    const struct ova_contents *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->members[i].name, name) == 0) {
            *size = c->members[i].size;
            return true;
        }
    return false;
}

/* What importers check of the files a descriptor names: each is there,
 * of the size File ovf:size says, and listed in the manifest. */
static int
check_ovf_files(struct bundle *b, const struct ovf_summary *s, const char *where,
                const char *ovf_name, size_of_fn size_of, void *ctx, const struct manifest *mf,
                bool have_mf, struct ab_error *err)
{
    int rc = 0;
    if (have_mf && !manifest_find(mf, ovf_name))
        rc = add_problem(b, err, "%s: the manifest does not list '%s'", where, ovf_name);
    for (size_t i = 0; i < s->n_files && rc == 0; i++) {
        const struct ovf_file *f = &s->files[i];
        uint64_t size = 0;
        if (!f->href)
            continue;
        if (!size_of(ctx, f->href, &size))
            rc = add_problem(b, err, "%s: '%s', named by the descriptor, is missing", where,
                             f->href);
        else if (f->has_size && size != f->size)
            rc = add_problem(b, err, "%s: '%s' is %ju bytes, but its File ovf:size says %ju", where,
                             f->href, (uintmax_t)size, (uintmax_t)f->size);
        if (rc == 0 && have_mf && !manifest_find(mf, f->href))
            rc = add_problem(b, err, "%s: the manifest does not list '%s'", where, f->href);
    }
    return rc;
}

/* The summary's own problems, shown with where it came from. */
static int
take_summary_problems(struct bundle *b, const struct ovf_summary *s, const char *where,
                      struct ab_error *err)
{
    for (size_t i = 0; i < s->n_problems; i++)
        if (add_problem(b, err, "%s: %s", where, s->problems[i]) < 0)
            return -1;
    return 0;
}

/* ---- disks ---- */

/* Adds a disk image: its absolute path (qemu would take "x:y" for a
 * protocol), its format and size, once image_check has passed it (a
 * refused image is an error: nothing opens it). name: as the findings
 * show it; label: as errors name it (NULL: path). */
static int
add_disk(struct bundle *b, const char *name, const char *path, const char *label,
         struct ab_error *err)
{
    char real[PATH_MAX];
    uint64_t size = 0;
    if (!realpath(path, real))
        return ab_build_error(err, errno, "cannot read disk image '%s': %s", path, strerror(errno));
    if (!is_file(real, &size))
        return ab_build_error(err, 0, "disk image '%s' is not a regular file", path);
    struct image_info info;
    if (image_check(real, label ? label : path, &info, b->spawn, err) < 0)
        return -1;
    struct bundle_disk d = {.file_size = size, .virtual_size = info.virtual_size};
    struct bundle_disk *grown = realloc(b->disks, (b->n_disks + 1) * sizeof(*grown));
    d.format = strdup(info.format);
    d.name = strdup(name);
    d.path = strdup(real);
    if (grown)
        b->disks = grown;
    if (!grown || !d.name || !d.path || !d.format) {
        free(d.name);
        free(d.path);
        free(d.format);
        return ab_oom(err);
    }
    b->disks[b->n_disks++] = d;
    return 0;
}

/* ---- OVA ---- */

struct extract_want {
    char *names[8]; /* plain member names to extract; n == 0: every disk image */
    size_t n;
};

static bool
want_member(void *ctx, const char *name)
{
    const struct extract_want *w = ctx;
    static const char *const disks[] = {".vmdk", ".img", ".raw", ".qcow2", ".vhd", ".vhdx", ".vdi"};
    for (size_t i = 0; w->n == 0 && i < sizeof(disks) / sizeof(disks[0]); i++)
        if (ends_with(name, disks[i]))
            return true;
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->names[i], name) == 0)
            return true;
    return false;
}

/* The members an importer reads in order: the descriptor first, the
 * manifest next, then the files in References order. */
static int
check_member_order(struct bundle *b, const struct ova_contents *c, const struct ovf_summary *s,
                   struct ab_error *err)
{
    const char *label = b->ova_label;
    if (c->ovf != 0)
        return add_problem(b, err, "%s: the first member is '%s', not the .ovf descriptor", label,
                           c->members[0].name);
    if (c->mf > 1)
        return add_problem(b, err, "%s: the manifest '%s' does not follow the descriptor", label,
                           c->members[c->mf].name);
    size_t last = 0;
    const char *last_name = NULL;
    for (size_t i = 0; s && i < s->n_files; i++) {
        for (size_t m = 0; s->files[i].href && m < c->n; m++) {
            if (strcmp(c->members[m].name, s->files[i].href) != 0)
                continue;
            if (m < last)
                return add_problem(b, err,
                                   "%s: '%s' comes before '%s', against the References order",
                                   label, s->files[i].href, last_name);
            last = m;
            last_name = s->files[i].href;
            break;
        }
    }
    for (size_t m = 0; m < c->n; m++)
        if (!c->members[m].plain &&
            add_problem(b, err, "%s: member '%s' is not a plain file at the top level", label,
                        c->members[m].name) < 0)
            return -1;
    return 0;
}

/* Fills the checks of OVA members from a digesting pass. */
static void
settle_member_checks(struct bundle *b, const struct ova_contents *c)
{
    for (size_t i = 0; i < b->n_checks; i++) {
        struct bundle_check *k = &b->checks[i];
        if (k->path || k->state != CHECK_PENDING)
            continue;
        k->state = CHECK_MISSING;
        for (size_t m = 0; m < c->n; m++) {
            const struct ova_member *mb = &c->members[m];
            if (strcmp(mb->name, k->file) != 0)
                continue;
            k->state = CHECK_PENDING;
            if (mb->hashed & (1u << k->algo)) {
                memcpy(k->actual, mb->hex[k->algo], sizeof(k->actual));
                k->state = strcmp(k->actual, k->expected) == 0 ? CHECK_OK : CHECK_MISMATCH;
            }
            break;
        }
    }
    /* The whole OVA, as SHA256SUMS lists it. */
    for (size_t i = 0; c->has_whole && i < b->n_checks; i++) {
        struct bundle_check *k = &b->checks[i];
        if (k->path && k->algo == DIGEST_SHA256 && strcmp(k->path, b->ova) == 0) {
            memcpy(k->actual, c->whole_sha256, sizeof(k->actual));
            k->state = strcmp(k->actual, k->expected) == 0 ? CHECK_OK : CHECK_MISMATCH;
        }
    }
}

/* What a pass over the OVA tells: the summary (when b has none yet), the
 * manifest's checks (on the first pass), problems with the members. */
static int
take_ova(struct bundle *b, const struct ova_contents *c, bool first_pass, struct ab_error *err)
{
    if (c->ovf < 0)
        return ab_build_error(err, 0, "'%s' has no .ovf descriptor: not an OVA", b->ova);
    if (!first_pass)
        return 0;
    const char *ovf_name = c->members[c->ovf].name;
    CLEANUP_FREE char *where = NULL;
    if (asprintf(&where, "%s:%s", b->ova_label, ovf_name) < 0)
        return ab_oom(err);
    CLEANUP_OVF_SUMMARY struct ovf_summary *s =
        ovf_read_buffer(where, c->ovf_text, c->ovf_len, err);
    if (!s)
        return -1;
    struct manifest mf = MANIFEST_INIT;
    CLEANUP_FREE char *mf_label = NULL;
    if (c->mf >= 0 && asprintf(&mf_label, "%s:%s", b->ova_label, c->members[c->mf].name) < 0)
        return ab_oom(err);
    int rc = c->mf >= 0
                 ? add_manifest_checks(b, mf_label, c->mf_text, c->mf_len, false, NULL, &mf, err)
                 : 0;
    if (rc == 0)
        rc = take_summary_problems(b, s, where, err);
    if (rc == 0)
        rc = check_ovf_files(b, s, b->ova_label, ovf_name, size_in_ova, (void *)c, &mf, c->mf >= 0,
                             err);
    if (rc == 0)
        rc = check_member_order(b, c, s, err);
    manifest_release(&mf);
    if (rc == 0 && !b->ovf) {
        b->ovf = s;
        s = NULL;
        if (!(b->ovf_source = strdup(where)))
            rc = ab_oom(err);
    }
    return rc;
}

static int
add_extracted(struct bundle *b, const struct ova_member *mb, struct ab_error *err)
{
    CLEANUP_FREE char *name = NULL;
    CLEANUP_FREE char *label = NULL;
    if (asprintf(&name, "%s:%s", b->ova_label, mb->name) < 0) {
        name = NULL;
        return ab_oom(err);
    }
    if (asprintf(&label, "%s:%s", b->ova, mb->name) < 0) {
        label = NULL;
        return ab_oom(err);
    }
    return add_disk(b, name, mb->extracted, label, err);
}

/* Adds the disks an OVA pass extracted: those the descriptor's Disks
 * name, in its order (other members, such as an NVRAM file, are not
 * disks). */
static int
take_extracted(struct bundle *b, const struct ova_contents *c, struct ab_error *err)
{
    const struct ovf_summary *s = b->ovf;
    for (size_t i = 0; s && i < s->n_disks; i++) {
        int f = s->disks[i].file;
        const char *href = f >= 0 ? s->files[f].href : NULL;
        for (size_t m = 0; href && m < c->n; m++)
            if (c->members[m].extracted && strcmp(c->members[m].name, href) == 0) {
                if (add_extracted(b, &c->members[m], err) < 0)
                    return -1;
                break;
            }
    }
    return 0;
}

/* Without extraction, the descriptor's disks are still judged by their own
 * bytes where they lie in the OVA (image_sniff: nothing else opens them),
 * so one that names another file is refused whether or not the disks are
 * read. */
static int
check_members_in_place(const struct bundle *b, struct ab_error *err)
{
    const struct ovf_summary *s = b->ovf;
    CLEANUP_CLOSE int fd = open(b->ova, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", b->ova, strerror(errno));
    for (size_t i = 0; s && i < s->n_disks; i++) {
        int f = s->disks[i].file;
        const char *href = f >= 0 ? s->files[f].href : NULL;
        uint64_t offset, size;
        int r = href ? tar_member_find(b->ova, href, &offset, &size, err) : 0;
        if (r < 0)
            return -1;
        if (r == 0)
            continue; /* a missing member is one of the bundle's problems already */
        CLEANUP_FREE char *label = NULL;
        if (asprintf(&label, "%s:%s", b->ova_label, href) < 0) {
            label = NULL;
            return ab_oom(err);
        }
        char format[IMAGE_FORMAT_MAX];
        if (image_sniff(fd, offset, size, label, format, err) < 0)
            return -1;
    }
    return 0;
}

/* The pass bundle_open makes over b->ova: headers and texts only, unless
 * disks must be extracted (want: the members; n == 0: the descriptor's). */
static int
open_ova(struct bundle *b, unsigned flags, const struct extract_want *want, struct ab_error *err)
{
    struct ova_contents c = OVA_CONTENTS_INIT;
    bool extract = want != NULL;
    unsigned ova_flags = extract && (flags & BUNDLE_VERIFY) ? OVA_READ_DIGESTS : 0;
    if (extract && mkdir(b->scratch, 0700) < 0 && errno != EEXIST)
        return ab_build_error(err, errno, "cannot create '%s': %s", b->scratch, strerror(errno));
    struct ova_read_opts o = {ova_flags, b->scratch, extract ? want_member : NULL, (void *)want,
                              stop_flag()};
    int rc = ova_read(b->ova, &o, &c, err);
    if (rc == 0)
        rc = take_ova(b, &c, true, err);
    if (rc == 0 && (ova_flags & OVA_READ_DIGESTS)) {
        settle_member_checks(b, &c);
        b->ova_verified = true;
    }
    if (rc == 0)
        rc = extract ? take_extracted(b, &c, err) : check_members_in_place(b, err);
    ova_contents_release(&c);
    return rc;
}

/* ---- the kinds of bundle ---- */

static int
set_ova(struct bundle *b, const char *path, const char *label, struct ab_error *err)
{
    b->ova = strdup(path);
    b->ova_label = strdup(label);
    return b->ova && b->ova_label ? 0 : ab_oom(err);
}

static int
open_ova_file(struct bundle *b, unsigned flags, struct ab_error *err)
{
    const char *base = strrchr(b->path, '/');
    if (set_ova(b, b->path, base ? base + 1 : b->path, err) < 0)
        return -1;
    struct extract_want all = {.n = 0};
    return open_ova(b, flags, flags & BUNDLE_DISKS ? &all : NULL, err);
}

/* Its disks are plain files beside it: always checked, with or without
 * BUNDLE_DISKS. */
static int
open_ovf_file(struct bundle *b, struct ab_error *err)
{
    if (!(b->ovf = ovf_read_file(b->path, err)) || !(b->ovf_source = strdup(b->path)))
        return b->ovf ? ab_oom(err) : -1;
    CLEANUP_FREE char *dir = strdup(b->path);
    CLEANUP_FREE char *mf = strdup(b->path);
    if (!dir || !mf)
        return ab_oom(err);
    char *slash = strrchr(dir, '/');
    const char *ovf_name = slash ? b->path + (slash - dir) + 1 : b->path;
    if (slash)
        *slash = '\0';
    const char *where = slash ? dir : ".";
    strcpy(mf + strlen(mf) - 4, ".mf");
    struct manifest m = MANIFEST_INIT;
    bool have_mf = is_file(mf, NULL);
    int rc = have_mf ? add_manifest_file(b, mf, mf, false, &m, err) : 0;
    if (rc == 0)
        rc = take_summary_problems(b, b->ovf, b->path, err);
    if (rc == 0)
        rc = check_ovf_files(b, b->ovf, b->path, ovf_name, size_in_dir, (void *)where, &m, have_mf,
                             err);
    manifest_release(&m);
    for (size_t i = 0; rc == 0 && i < b->ovf->n_disks; i++) {
        int f = b->ovf->disks[i].file;
        const char *href = f >= 0 ? b->ovf->files[f].href : NULL;
        CLEANUP_FREE char *p = href && safe_name(href, true) ? path_join(where, href) : NULL;
        if (p && is_file(p, NULL))
            rc = add_disk(b, href, p, NULL, err);
    }
    return rc;
}

static int
open_disk_file(struct bundle *b, struct ab_error *err)
{
    const char *base = strrchr(b->path, '/');
    return add_disk(b, base ? base + 1 : b->path, b->path, NULL, err);
}

/* The appliance's name and the stem of its files' names: build-report.json's
 * (report_stem: NAME-VERSION since format 2), or, in a folder that
 * `appliance convert` wrote, convert-report.json's name and version; else
 * the one .ova's name, as the stem and the name. */
static int
folder_name(const char *dir, const char *report, char **name, char **stem)
{
    CLEANUP_FREE char *converted = path_join(dir, "convert-report.json");
    struct report_info r = {0};
    struct ab_error ignored = AB_ERROR_INIT;
    bool read = report_load(report, &r, &ignored) == 0;
    *name = read && r.name ? strdup(r.name) : NULL;
    *stem = read && r.name ? report_stem(&r) : NULL;
    report_info_release(&r);
    ab_error_release(&ignored);
    json_object *j = !read && converted ? json_object_from_file(converted) : NULL, *n, *v;
    if (j && json_object_object_get_ex(j, "name", &n) && json_object_is_type(n, json_type_string)) {
        *name = strdup(json_object_get_string(n));
        *stem =
            json_object_object_get_ex(j, "version", &v) && json_object_is_type(v, json_type_string)
                ? plan_stem(*name ? *name : "", json_object_get_string(v), NULL)
                : strdup(json_object_get_string(n));
    }
    json_object_put(j);
    if (*name && *stem)
        return 0;
    free(*name);
    free(*stem);
    *name = *stem = NULL;
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t count = 0;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 4 && ends_with(e->d_name, ".ova") && count++ == 0)
            *name = strndup(e->d_name, len - 4);
    }
    if (d)
        closedir(d);
    if (count != 1 || !*name || !(*stem = strdup(*name))) {
        free(*name);
        *name = NULL;
        return -1;
    }
    return 0;
}

/* The output whose disk files have disk_suffixes[s] (s one past the end:
 * ovf/'s VMDKs), or NULL (.img: written before the exporters). */
static const char *const suffix_outputs[] = {"qcow2", "raw",   NULL,   "vhdx",
                                             "vdi",   "azure", "vmdk", "ovf"};

/* The name, relative to the folder, of disk r's file of kind s: the one
 * build-report.json lists, else STEM-DISK.EXT as builds name them (as a
 * folder made by hand beside a copied report, or without a report, holds
 * them). */
static int
disk_name(const struct bundle *b, const struct report_info *rep, size_t r, size_t s, char *name,
          size_t size)
{
    size_t n_suffixes = sizeof(disk_suffixes) / sizeof(disk_suffixes[0]);
    bool in_ovf = s == n_suffixes;
    const char *output = suffix_outputs[s];
    const char *rel = rep->has_files && output ? report_file_path(rep, output, roles[r]) : NULL;
    if (rel && safe_name(rel, false))
        return snprintf(name, size, "%s", rel) >= (int)size ? -1 : 0;
    return snprintf(name, size, "%s%s-%s%s", in_ovf ? "ovf/" : "", b->stem, roles[r],
                    in_ovf ? ".vmdk" : disk_suffixes[s]) >= (int)size
               ? -1
               : 0;
}

/* Finds each disk's file in the folder, in disk_suffixes order, then in
 * ovf/; those found nowhere go to want (to come from the OVA), or are a
 * problem, unless want is NULL (the disks are not extracted: only the
 * files there are checked). */
static int
folder_disks(struct bundle *b, struct extract_want *want, struct ab_error *err)
{
    struct report_info rep;
    struct ab_error ignored = AB_ERROR_INIT;
    if (!is_file(b->report, NULL) || report_load(b->report, &rep, &ignored) < 0)
        memset(&rep, 0, sizeof(rep));
    ab_error_release(&ignored);
    int rc = 0;
    for (size_t r = 0; r < 2 && rc == 0; r++) {
        char base[NAME_MAX + 1];
        snprintf(base, sizeof(base), "%s-%s", b->stem, roles[r]);
        bool found = false;
        for (size_t s = 0; s <= sizeof(disk_suffixes) / sizeof(disk_suffixes[0]) && !found; s++) {
            char name[NAME_MAX * 2];
            if (disk_name(b, &rep, r, s, name, sizeof(name)) < 0)
                continue;
            CLEANUP_FREE char *p = path_join(b->path, name);
            if (!p) {
                rc = ab_oom(err);
                break;
            }
            if (is_file(p, NULL)) {
                found = true;
                rc = add_disk(b, name, p, NULL, err);
            }
        }
        if (rc < 0 || (!found && !want))
            continue;
        if (!found && b->ova && want->n < 8 &&
            asprintf(&want->names[want->n++], "%s.vmdk", base) < 0)
            rc = ab_oom(err);
        else if (!found && !b->ova)
            rc = add_problem(b, err, "no disk image of the %s disk ('%s.*')", roles[r], base);
    }
    report_info_release(&rep);
    return rc < 0 ? -1 : 0;
}

static bool
has_disk_from_ova(const struct bundle *b, const char *member)
{
    size_t n = strlen(b->ova_label);
    for (size_t i = 0; i < b->n_disks; i++) {
        const char *name = b->disks[i].name;
        if (strncmp(name, b->ova_label, n) == 0 && name[n] == ':' &&
            strcmp(name + n + 1, member) == 0)
            return true;
    }
    return false;
}

/* ovf/STEM.ovf and ovf/STEM.mf, when the folder has them. */
static int
folder_ovf(struct bundle *b, struct ab_error *err)
{
    char rel[NAME_MAX * 2];
    snprintf(rel, sizeof(rel), "ovf/%s.ovf", b->stem);
    CLEANUP_FREE char *ovf = path_join(b->path, rel);
    CLEANUP_FREE char *dir = path_join(b->path, "ovf");
    if (!ovf || !dir)
        return ab_oom(err);
    if (!is_file(ovf, NULL))
        return 0;
    if (!(b->ovf = ovf_read_file(ovf, err)) || !(b->ovf_source = strdup(rel)))
        return b->ovf ? ab_oom(err) : -1;
    snprintf(rel, sizeof(rel), "ovf/%s.mf", b->stem);
    CLEANUP_FREE char *mf_path = path_join(b->path, rel);
    if (!mf_path)
        return ab_oom(err);
    struct manifest m = MANIFEST_INIT;
    bool have_mf = is_file(mf_path, NULL);
    int rc = have_mf ? add_manifest_file(b, mf_path, rel, false, &m, err) : 0;
    if (rc == 0)
        rc = take_summary_problems(b, b->ovf, b->ovf_source, err);
    char ovf_name[NAME_MAX + 8];
    snprintf(ovf_name, sizeof(ovf_name), "%s.ovf", b->stem);
    if (rc == 0)
        rc =
            check_ovf_files(b, b->ovf, b->ovf_source, ovf_name, size_in_dir, dir, &m, have_mf, err);
    manifest_release(&m);
    return rc;
}

static int
open_folder(struct bundle *b, const char *arch, unsigned flags, struct ab_error *err)
{
    if (report_resolve(b->path, arch, &b->report, err) < 0)
        return -1;
    if (folder_name(b->path, b->report, &b->name, &b->stem) < 0)
        return ab_build_error(err, 0,
                              "cannot tell the appliance's name in '%s': no build-report.json "
                              "with a name, and not one .ova",
                              b->path);
    if (!safe_name(b->name, true) || strlen(b->name) > NAME_MAX - 16)
        return ab_build_error(err, 0, "'%s' is not an appliance name", b->name);
    if (!safe_name(b->stem, true) || strlen(b->stem) > NAME_MAX - 16)
        return ab_build_error(err, 0, "'%s' is not an appliance's file name", b->stem);
    if (folder_ovf(b, err) < 0)
        return -1;
    char rel[NAME_MAX + 8];
    snprintf(rel, sizeof(rel), "%s.ova", b->stem);
    CLEANUP_FREE char *ova = path_join(b->path, rel);
    if (!ova || (is_file(ova, NULL) && set_ova(b, ova, rel, err) < 0))
        return ova ? -1 : ab_oom(err);
    struct extract_want want = {.n = 0};
    int rc = folder_disks(b, flags & BUNDLE_DISKS ? &want : NULL, err);
    if (rc == 0 && b->ova)
        rc = open_ova(b, flags, want.n ? &want : NULL, err);
    for (size_t i = 0; i < want.n; i++) {
        if (rc == 0 && !has_disk_from_ova(b, want.names[i]))
            rc = add_problem(b, err, "no disk image '%s' in the folder or in '%s'", want.names[i],
                             b->ova_label);
        free(want.names[i]);
    }
    CLEANUP_FREE char *sums = path_join(b->path, "SHA256SUMS");
    struct manifest m = MANIFEST_INIT;
    if (rc == 0 && sums && is_file(sums, NULL) && !(flags & BUNDLE_NO_SUMS))
        rc = add_manifest_file(b, sums, "SHA256SUMS", true, &m, err);
    manifest_release(&m);
    return rc;
}

static bool
looks_like_tar(const char *path)
{
    char magic[6] = {0};
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd >= 0 && pread(fd, magic, 5, 257) == 5 && strcmp(magic, "ustar") == 0;
}

static int
classify(struct bundle *b, struct ab_error *err)
{
    struct stat st;
    if (stat(b->path, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", b->path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        b->kind = BUNDLE_FOLDER;
    else if (!S_ISREG(st.st_mode))
        return ab_build_error(err, 0, "'%s' is neither a folder nor a file", b->path);
    else if (ends_with(b->path, ".ova") || looks_like_tar(b->path))
        b->kind = BUNDLE_OVA;
    else if (ends_with(b->path, ".ovf"))
        b->kind = BUNDLE_OVF;
    else
        b->kind = BUNDLE_DISK;
    return 0;
}

struct bundle *
bundle_open(const char *path, const char *arch, unsigned flags, const char *scratch,
            const struct spawn_ctx *ctx, struct ab_error *err)
{
    struct bundle *b = calloc(1, sizeof(*b));
    if (!b || !(b->path = strdup(path)) || !(b->scratch = strdup(scratch))) {
        bundle_free(b);
        ab_oom(err);
        return NULL;
    }
    b->spawn = ctx;
    int rc = classify(b, err);
    if (rc == 0) {
        switch (b->kind) {
        case BUNDLE_FOLDER:
            rc = open_folder(b, arch, flags, err);
            break;
        case BUNDLE_OVA:
            rc = open_ova_file(b, flags, err);
            break;
        case BUNDLE_OVF:
            rc = open_ovf_file(b, err);
            break;
        case BUNDLE_DISK:
            rc = open_disk_file(b, err);
            break;
        }
    }
    if (rc < 0) {
        bundle_free(b);
        return NULL;
    }
    return b;
}

/* ---- verifying ---- */

static int
verify_ova(struct bundle *b, struct ab_error *err)
{
    struct ova_contents c = OVA_CONTENTS_INIT;
    struct ova_read_opts o = {.flags = OVA_READ_DIGESTS, .stop = stop_flag()};
    int rc = ova_read(b->ova, &o, &c, err);
    if (rc == 0)
        rc = take_ova(b, &c, false, err);
    if (rc == 0) {
        settle_member_checks(b, &c);
        b->ova_verified = true;
    }
    ova_contents_release(&c);
    return rc;
}

/* digest_file(), stopping soon once a stop is requested. */
static int
digest_path(enum digest algo, const char *path, char *hex, struct ab_error *err)
{
    return digest_file_stoppable(algo, path, hex, stop_flag(), err);
}

/* A file's digest, reusing one computed for an earlier check. */
static int
verify_file(struct bundle *b, size_t index, struct ab_error *err)
{
    struct bundle_check *k = &b->checks[index];
    for (size_t i = 0; i < index; i++) {
        const struct bundle_check *o = &b->checks[i];
        if (o->path && o->actual[0] && o->algo == k->algo && strcmp(o->path, k->path) == 0) {
            memcpy(k->actual, o->actual, sizeof(k->actual));
            break;
        }
    }
    if (!k->actual[0]) {
        struct stat st;
        if (stat(k->path, &st) < 0 && errno != ENOENT)
            return ab_build_error(err, errno, "cannot read '%s': %s", k->path, strerror(errno));
        if (stat(k->path, &st) < 0 || !S_ISREG(st.st_mode)) {
            k->state = CHECK_MISSING;
            return 0;
        }
        if (digest_path(k->algo, k->path, k->actual, err) < 0)
            return -1;
    }
    k->state = strcmp(k->actual, k->expected) == 0 ? CHECK_OK : CHECK_MISMATCH;
    return 0;
}

int
bundle_verify(struct bundle *b, struct ab_error *err)
{
    if (b->ova && !b->ova_verified && verify_ova(b, err) < 0)
        return -1;
    for (size_t i = 0; i < b->n_checks; i++)
        if (b->checks[i].path && b->checks[i].state == CHECK_PENDING && verify_file(b, i, err) < 0)
            return -1;
    return 0;
}

bool
bundle_ok(const struct bundle *b)
{
    for (size_t i = 0; i < b->n_checks; i++)
        if (b->checks[i].state != CHECK_OK && b->checks[i].state != CHECK_PENDING)
            return false;
    return b->n_problems == 0;
}

void
bundle_free(struct bundle *b)
{
    if (!b)
        return;
    free(b->path);
    free(b->name);
    free(b->stem);
    free(b->report);
    free(b->ovf_source);
    ovf_summary_free(b->ovf);
    for (size_t i = 0; i < b->n_checks; i++) {
        free(b->checks[i].manifest);
        free(b->checks[i].file);
        free(b->checks[i].path);
    }
    free(b->checks);
    for (size_t i = 0; i < b->n_problems; i++)
        free(b->problems[i]);
    free(b->problems);
    for (size_t i = 0; i < b->n_disks; i++) {
        free(b->disks[i].name);
        free(b->disks[i].path);
        free(b->disks[i].format);
    }
    free(b->disks);
    free(b->ova);
    free(b->ova_label);
    free(b->scratch);
    free(b);
}
