/* verify.c: a delivery checked against its signatures, SHA256SUMS, SBOMs
 * and provenance, and its disks against the SBOMs (verify.h). */
#include "appliance/verify.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "appliance/arch.h"
#include "appliance/bundle.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/dsse.h"
#include "appliance/fsutil.h"
#include "appliance/jsonutil.h"
#include "appliance/manifest.h"
#include "appliance/provenance.h"
#include "appliance/report.h"
#include "appliance/sbom.h"
#include "appliance/sign.h"

/* The most bytes of SHA256SUMS read. */
#define SUMS_MAX_BYTES (16u << 20)
/* Differences listed one by one before they are counted. */
#define MAX_LISTED 20

/* One entry of SHA256SUMS, with what the file holds. */
struct sum {
    const struct manifest_entry *e;
    char actual[HASH_HEX_MAX]; /* "" when not read */
    bool present;
};

/* One appliance of the folder: its only one, or one architecture's of a
 * folder built for several (its build-report-ARCH.json), checked in turn
 * against the folder's one SHA256SUMS. */
struct verify_arch {
    const char *arch; /* the arch row's name; NULL: the folder's only appliance */
    char *stem;       /* NAME-VERSION(-ARCH), once known */
    struct bundle *bundle;
    struct pkg_list disk_packages;
    bool disks_read;
};

struct verify {
    const struct verify_opts *o;
    struct verify_report *r;
    char *folder;     /* where the delivery's files are */
    const char *ova;  /* the .ova given, its name in folder; NULL: a folder */
    struct verify_arch arches[ARCH_N];
    size_t n_arches;
    /* Every appliance of a folder built for several architectures, its
     * stem by its build-report-ARCH.json (one .ova checked: the others
     * too); n_all 0 in a folder of one. */
    struct {
        const char *arch;
        char *stem;
    } all[ARCH_N];
    size_t n_all;
    struct verify_arch *cur; /* the one being checked */
    struct bundle *bundle;   /* the first's, which checks SHA256SUMS's digests */
    struct manifest sums;
    bool have_sums;
    struct sum *sum; /* one per sums entry */
    bool oom;
};

/* ---- the report --------------------------------------------------------- */

static void add(struct verify *v, enum verify_result result, const char *check, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static void
add(struct verify *v, enum verify_result result, const char *check, const char *fmt, ...)
{
    struct verify_report *r = v->r;
    struct verify_check *g = realloc(r->checks, (r->n_checks + 1) * sizeof(*g));
    if (!g) {
        v->oom = true;
        return;
    }
    r->checks = g;
    struct verify_check *c = &g[r->n_checks];
    *c = (struct verify_check){.check = strdup(check), .result = result};
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&c->detail, fmt, ap) < 0)
            c->detail = NULL;
        va_end(ap);
    }
    if (!c->check || (fmt && !c->detail)) {
        free(c->check);
        free(c->detail);
        v->oom = true;
        return;
    }
    r->n_checks++;
    r->passed += result == VERIFY_OK;
    r->failed += result == VERIFY_FAIL;
    r->skipped += result == VERIFY_SKIP;
}

/* A check named "fmt" (made with its arguments). */
static char *
name(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
name(const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

static void
step(struct verify *v, const char *what)
{
    if (v->o->progress)
        v->o->progress(v->o->progress_ctx, what);
}

bool
verify_ok(const struct verify_report *r)
{
    return r->failed == 0;
}

void
verify_report_release(struct verify_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_checks; i++) {
        free(r->checks[i].check);
        free(r->checks[i].detail);
    }
    free(r->checks);
    free(r->path);
    free(r->stem);
    free(r->arches);
    memset(r, 0, sizeof(*r));
}

/* ---- files -------------------------------------------------------------- */

/* folder/rel's bytes (at most max): 1 and *text, 0 when there is no such
 * file, -1 when it cannot be read (*why set). */
static int
read_text(const struct verify *v, const char *rel, size_t max, char **text, size_t *len,
          const char **why)
{
    CLEANUP_FREE char *path = NULL;
    *text = NULL;
    *len = 0;
    if (asprintf(&path, "%s/%s", v->folder, rel) < 0) {
        *why = strerror(ENOMEM);
        return -1;
    }
    CLEANUP_FCLOSE FILE *f = fopen(path, "re");
    struct stat st;
    if (!f && errno == ENOENT)
        return 0;
    if (!f || fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        *why = f ? "not a file" : strerror(errno);
        return -1;
    }
    if ((uint64_t)st.st_size > max) {
        *why = "too large";
        return -1;
    }
    if (!(*text = malloc((size_t)st.st_size + 1))) {
        *why = strerror(ENOMEM);
        return -1;
    }
    *len = fread(*text, 1, (size_t)st.st_size, f);
    (*text)[*len] = '\0';
    if (ferror(f)) {
        *why = strerror(errno);
        free(*text);
        *text = NULL;
        return -1;
    }
    return 1;
}

static struct sum *
sum_of(struct verify *v, const char *file)
{
    for (size_t i = 0; v->have_sums && i < v->sums.n; i++)
        if (strcmp(v->sum[i].e->name, file) == 0)
            return &v->sum[i];
    return NULL;
}

/* Whether a name of SHA256SUMS may be opened below the folder. */
static bool
safe(const char *rel)
{
    return rel[0] && rel[0] != '/' && !strstr(rel, "..") && !strchr(rel, '\\');
}

/* The delivery's own documents, of the appliance whose files begin with
 * stem: what SHA256SUMS may list that the SBOMs and the provenance,
 * written before it, cannot. */
static const char *
doc_role_of(const char *stem, const char *rel)
{
    struct delivery_role role;
    delivery_classify(stem ? stem : "", ~0u, rel, &role);
    return role.output && (strcmp(role.output, "sbom") == 0 ||
                           strcmp(role.output, "provenance") == 0 ||
                           strcmp(role.output, "signature") == 0)
               ? role.output
               : NULL;
}

/* The same of the appliance being checked. */
static const char *
doc_role(const struct verify *v, const char *rel)
{
    return doc_role_of(v->cur->stem, rel);
}

/* The same of any appliance of the folder. */
static const char *
doc_role_any(const struct verify *v, const char *rel)
{
    const char *role = doc_role(v, rel);
    for (size_t i = 0; i < v->n_all && !role; i++)
        role = doc_role_of(v->all[i].stem, rel);
    return role;
}

/* Whether rel, a file of the appliance whose files begin with stem, is
 * that of arch: its INSTALL notes name their architecture. */
static bool
of_arch(const char *stem, const char *arch, const char *rel)
{
    struct delivery_role role;
    delivery_classify(stem ? stem : "", ~0u, rel, &role);
    if (!role.output || strcmp(role.output, "install") != 0)
        return role.output != NULL;
    CLEANUP_FREE char *base = NULL;
    if (asprintf(&base, "%s%s", DELIVERY_INSTALL, role.targets[0]) < 0)
        return false;
    const char *of = delivery_arch_doc_of(rel, base, ".md");
    return of && strcmp(of, arch) == 0;
}

/* Whether rel is a file of the appliance being checked: in a folder of
 * one, every file; in a folder of several, its own and those of none of
 * them. */
static bool
is_mine(const struct verify *v, const char *rel)
{
    if (!v->cur->arch || of_arch(v->cur->stem, v->cur->arch, rel))
        return true;
    for (size_t i = 0; i < v->n_all; i++)
        if (of_arch(v->all[i].stem, v->all[i].arch, rel))
            return false;
    return true;
}

/* ---- SHA256SUMS and every digest ---------------------------------------- */

static void
read_sums(struct verify *v)
{
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;
    const char *why = NULL;
    struct ab_error err = AB_ERROR_INIT;
    int r = read_text(v, DELIVERY_SUMS, SUMS_MAX_BYTES, &text, &len, &why);
    if (r <= 0) {
        add(v, VERIFY_FAIL, DELIVERY_SUMS, "%s", r == 0 ? "missing" : why);
        return;
    }
    if (manifest_parse_sums(DELIVERY_SUMS, text, len, &v->sums, &err) < 0) {
        add(v, VERIFY_FAIL, DELIVERY_SUMS, "not in sha256sum's format: %s",
            err.n_diags ? err.diags[0].msg : "unreadable");
        ab_error_release(&err);
        return;
    }
    if (!(v->sum = calloc(v->sums.n + 1, sizeof(*v->sum)))) {
        v->oom = true;
        return;
    }
    for (size_t i = 0; i < v->sums.n; i++)
        v->sum[i].e = &v->sums.entries[i];
    v->have_sums = true;
}

/* The digest the bundle computed for a SHA256SUMS entry, if any. */
static bool
bundle_digest(const struct verify *v, const char *file, char out[HASH_HEX_MAX])
{
    for (size_t i = 0; v->bundle && i < v->bundle->n_checks; i++) {
        const struct bundle_check *k = &v->bundle->checks[i];
        if (strcmp(k->manifest, DELIVERY_SUMS) == 0 && strcmp(k->file, file) == 0 &&
            k->actual[0]) {
            memcpy(out, k->actual, HASH_HEX_MAX);
            return true;
        }
    }
    return false;
}

static void
check_digest(struct verify *v, struct sum *s)
{
    CLEANUP_FREE char *check = name("digest of '%s'", s->e->name);
    CLEANUP_FREE char *path = NULL;
    struct stat st;
    if (!check || asprintf(&path, "%s/%s", v->folder, s->e->name) < 0) {
        v->oom = true;
        return;
    }
    if (!safe(s->e->name)) {
        add(v, VERIFY_FAIL, check, "SHA256SUMS names a file outside the folder");
        return;
    }
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (v->ova)
            add(v, VERIFY_SKIP, check, "not beside '%s'", v->ova);
        else
            add(v, VERIFY_FAIL, check, "SHA256SUMS lists it, the folder has no such file");
        return;
    }
    s->present = true;
    struct ab_error err = AB_ERROR_INIT;
    if (!bundle_digest(v, s->e->name, s->actual) &&
        digest_file(DIGEST_SHA256, path, s->actual, &err) < 0) {
        add(v, VERIFY_FAIL, check, "%s", err.n_diags ? err.diags[0].msg : "cannot read it");
        ab_error_release(&err);
        s->actual[0] = '\0';
        return;
    }
    if (strcmp(s->actual, s->e->hex) == 0)
        add(v, VERIFY_OK, check, "%.16s...", s->actual);
    else
        add(v, VERIFY_FAIL, check, "SHA256SUMS has %.16s..., the file %.16s...: it changed",
            s->e->hex, s->actual);
}

/* Files of the folder SHA256SUMS does not list (the folder's own
 * documents aside): something added. */
struct extra {
    struct verify *v;
    size_t n;
};

static int
visit_extra(void *ctx, const char *rel, const struct stat *st)
{
    struct extra *x = ctx;
    struct verify *v = x->v;
    const char *doc = doc_role_any(v, rel);
    if (!S_ISREG(st->st_mode) || strcmp(rel, DELIVERY_SUMS) == 0 ||
        delivery_arch_doc_of(rel, DELIVERY_REPORT, ".json") ||
        strcmp(rel, "convert-report.json") == 0 ||
        (doc && (strcmp(doc, "signature") == 0 || strstr(rel, DELIVERY_DSSE))) || sum_of(v, rel))
        return 0;
    CLEANUP_FREE char *check = name("file '%s'", rel);
    if (!check)
        return 0;
    add(v, VERIFY_FAIL, check, "in the folder, not in SHA256SUMS: nothing vouches for it");
    x->n++;
    return 0;
}

static void
check_digests(struct verify *v)
{
    step(v, "checking every digest of SHA256SUMS");
    for (size_t i = 0; v->have_sums && i < v->sums.n; i++)
        check_digest(v, &v->sum[i]);
    if (!v->ova && v->have_sums) {
        struct extra x = {v, 0};
        walk_tree(v->folder, visit_extra, &x);
    }
    /* What `appliance inspect` finds wrong: the OVF's and OVA's own
     * manifests, the members' order, the disks' files; of each appliance
     * of the folder. */
    for (size_t a = 0; a < v->n_arches; a++) {
        const struct bundle *b = v->arches[a].bundle;
        for (size_t i = 0; b && i < b->n_checks; i++) {
            const struct bundle_check *k = &b->checks[i];
            if (strcmp(k->manifest, DELIVERY_SUMS) == 0 ||
                (k->state != CHECK_MISMATCH && k->state != CHECK_MISSING))
                continue;
            CLEANUP_FREE char *check = name("digest of '%s' in '%s'", k->file, k->manifest);
            if (check)
                add(v, VERIFY_FAIL, check, "%s", check_state_name(k->state));
        }
        for (size_t i = 0; b && i < b->n_problems; i++)
            add(v, VERIFY_FAIL, "the bundle as `appliance inspect` reads it", "%s", b->problems[i]);
    }
}

/* ---- signatures --------------------------------------------------------- */

/* The key id the provenance's envelope names, into id ("" when none). */
static void
envelope_keyid(const struct verify *v, char id[SIGN_KEY_ID_HEX])
{
    CLEANUP_FREE char *dsse = delivery_stem_file(v->arches[0].stem, DELIVERY_DSSE), *text = NULL;
    size_t len = 0;
    const char *why = NULL;
    struct dsse_envelope env;
    struct ab_error err = AB_ERROR_INIT;
    id[0] = '\0';
    if (dsse && read_text(v, dsse, DSSE_MAX_BYTES, &text, &len, &why) > 0 &&
        dsse_parse(text, len, dsse, &env, &err) == 0) {
        snprintf(id, SIGN_KEY_ID_HEX, "%.64s", env.sigs[0].keyid);
        dsse_envelope_release(&env);
    }
    ab_error_release(&err);
}

static void
check_sums_signature(struct verify *v, const struct sign_key *key, const char *keyname,
                     const char *keyid)
{
    CLEANUP_FREE char *sums = NULL, *sig = NULL;
    size_t len = 0, sig_len = 0;
    const char *why = NULL;
    const char *check = "signature of SHA256SUMS (" DELIVERY_SUMS_SIG ")";
    int r = read_text(v, DELIVERY_SUMS_SIG, 64 * 1024, &sig, &sig_len, &why);
    if (r <= 0) {
        add(v, VERIFY_FAIL, check, "%s", r == 0 ? "the delivery is not signed: no " DELIVERY_SUMS_SIG : why);
        return;
    }
    if (read_text(v, DELIVERY_SUMS, SUMS_MAX_BYTES, &sums, &len, &why) <= 0) {
        add(v, VERIFY_FAIL, check, "SHA256SUMS cannot be read");
        return;
    }
    char signer[SIGN_KEY_ID_HEX];
    envelope_keyid(v, signer);
    const char *malformed = sign_malformed(key, (unsigned char *)sig, sig_len);
    if (!malformed && sign_verify(key, sums, len, (unsigned char *)sig, sig_len))
        add(v, VERIFY_OK, check, "made by the %s key %s", sign_key_kind(key), keyname);
    else if (signer[0] && strcmp(signer, keyid) != 0)
        add(v, VERIFY_FAIL, check,
            "does not verify with the %s key %s: another key signed this delivery (the "
            "provenance's envelope names key %.16s)",
            sign_key_kind(key), keyname, signer);
    else if (malformed)
        add(v, VERIFY_FAIL, check, "%zu bytes, %s", sig_len, malformed);
    else
        add(v, VERIFY_FAIL, check,
            "does not verify with the %s key %s: SHA256SUMS or its signature was changed",
            sign_key_kind(key), keyname);
}

static void
check_dsse(struct verify *v, const struct sign_key *key, const char *keyname, const char *keyid)
{
    CLEANUP_FREE char *dsse = delivery_stem_file(v->cur->stem, DELIVERY_DSSE);
    CLEANUP_FREE char *prov = delivery_stem_file(v->cur->stem, DELIVERY_PROVENANCE);
    CLEANUP_FREE char *text = NULL, *ptext = NULL;
    CLEANUP_FREE char *check = name("signature of the provenance (%s)", dsse ? dsse : "");
    size_t len = 0, plen = 0;
    const char *why = NULL;
    if (!dsse || !prov || !check) {
        v->oom = true;
        return;
    }
    int r = read_text(v, dsse, DSSE_MAX_BYTES, &text, &len, &why);
    if (r <= 0) {
        add(v, VERIFY_FAIL, check, "%s", r == 0 ? "missing: the provenance is not signed" : why);
        return;
    }
    struct dsse_envelope env;
    struct ab_error err = AB_ERROR_INIT;
    if (dsse_parse(text, len, dsse, &env, &err) < 0) {
        add(v, VERIFY_FAIL, check, "%s", err.diags[0].msg);
        ab_error_release(&err);
        return;
    }
    if (strcmp(env.payload_type, DSSE_INTOTO_TYPE) != 0)
        add(v, VERIFY_FAIL, check, "its payload type is '%s', not an in-toto statement's",
            env.payload_type);
    else if (!dsse_verify(&env, key) && strcmp(env.sigs[0].keyid, keyid) != 0)
        add(v, VERIFY_FAIL, check, "signed by another key (%.16s), not the %s key %s",
            env.sigs[0].keyid, sign_key_kind(key), keyname);
    else if (!dsse_verify(&env, key))
        add(v, VERIFY_FAIL, check,
            "does not verify with the %s key %s: the envelope or its signature was changed",
            sign_key_kind(key), keyname);
    else if (read_text(v, prov, PROVENANCE_MAX_BYTES, &ptext, &plen, &why) <= 0 ||
             plen != env.payload_len || memcmp(ptext, env.payload, plen) != 0)
        add(v, VERIFY_FAIL, check, "it verifies, but its payload is not '%s' byte for byte",
            prov);
    else
        add(v, VERIFY_OK, check, "made by the %s key %s; its payload is '%s'",
            sign_key_kind(key), keyname, prov);
    dsse_envelope_release(&env);
}

static void
check_signatures(struct verify *v)
{
    if (!v->o->key) {
        add(v, VERIFY_SKIP, "signatures", "no --key given: SHA256SUMS.sig and the provenance's "
                                          "envelope are not checked");
        return;
    }
    step(v, "checking the signatures");
    CLEANUP_SIGN_KEY struct sign_key *key = NULL;
    struct ab_error err = AB_ERROR_INIT;
    char id[SIGN_KEY_ID_HEX] = "", shown[32];
    if (sign_pub_load(v->o->key, &key, &err) < 0 || sign_key_id(key, id, &err) < 0) {
        add(v, VERIFY_FAIL, "signatures", "%s", err.n_diags ? err.diags[0].msg : "no key");
        ab_error_release(&err);
        return;
    }
    snprintf(shown, sizeof(shown), "%.16s", id);
    check_sums_signature(v, key, shown, id);
    for (size_t i = 0; i < v->n_arches; i++) {
        v->cur = &v->arches[i];
        check_dsse(v, key, shown, id);
    }
    v->cur = &v->arches[0];
}

/* ---- SBOMs and provenance against SHA256SUMS ---------------------------- */

/* Appends "; NAME" to a list of differences, the first MAX_LISTED. */
static void
note(FILE *out, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
note(FILE *out, size_t *n, const char *fmt, ...)
{
    if ((*n)++ >= MAX_LISTED)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs(*n > 1 ? "; " : "", out);
    vfprintf(out, fmt, ap);
    va_end(ap);
}

/* Every listed file has SHA256SUMS's digest, and (unless container)
 * every file of SHA256SUMS but the documents written after it is listed. */
static void
check_listed(struct verify *v, const char *doc, const struct export_file *files, size_t n,
             bool all)
{
    CLEANUP_FREE char *check = name("'%s' against SHA256SUMS", doc), *text = NULL;
    size_t len = 0, bad = 0;
    FILE *out = open_memstream(&text, &len);
    if (!check || !out) {
        if (out)
            fclose(out);
        v->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct sum *s = sum_of(v, files[i].path);
        if (!s)
            note(out, &bad, "'%s' is not in SHA256SUMS", files[i].path);
        else if (strcmp(s->e->hex, files[i].sha256) != 0)
            note(out, &bad, "'%s' has another digest in SHA256SUMS", files[i].path);
    }
    for (size_t i = 0; all && v->have_sums && i < v->sums.n; i++) {
        const char *f = v->sum[i].e->name;
        bool listed = false;
        for (size_t k = 0; k < n && !listed; k++)
            listed = strcmp(files[k].path, f) == 0;
        if (!listed && !doc_role(v, f) && is_mine(v, f))
            note(out, &bad, "'%s' of SHA256SUMS is not listed", f);
    }
    if (bad > MAX_LISTED)
        fprintf(out, "; and %zu more", bad - MAX_LISTED);
    if (fclose(out) != 0) {
        v->oom = true;
        return;
    }
    if (bad)
        add(v, VERIFY_FAIL, check, "%s", text);
    else
        add(v, VERIFY_OK, check, "%zu shipped files, each with SHA256SUMS's digest", n);
}

/* An SBOM's name and version are the folder's. */
static void
check_identity(struct verify *v, const char *doc, const struct sbom_doc *d, bool container)
{
    CLEANUP_FREE char *check = name("'%s' names the appliance", doc), *stem = NULL;
    CLEANUP_FREE char *base = NULL;
    size_t n = d->name ? strlen(d->name) : 0;
    if (container && n > 10 && strcmp(d->name + n - 10, "-container") == 0)
        base = strndup(d->name, n - 10);
    else
        base = d->name ? strdup(d->name) : NULL;
    stem = base && d->version ? plan_stem(base, d->version, v->cur->arch) : NULL;
    if (!check) {
        v->oom = true;
        return;
    }
    if (stem && strcmp(stem, v->cur->stem) == 0)
        add(v, VERIFY_OK, check, "%s %s", d->name, d->version);
    else
        add(v, VERIFY_FAIL, check, "it describes '%s %s', the folder holds '%s'",
            d->name ? d->name : "?", d->version ? d->version : "?", v->cur->stem);
}

/* Each disk the SBOM describes is in a shipped file that is here. */
static void
check_disks(struct verify *v, const char *doc, const struct sbom_doc *d)
{
    static const char *const ids[PLAN_N_DISKS] = {"os", "app"};
    for (int k = 0; k < PLAN_N_DISKS; k++) {
        CLEANUP_FREE char *check = name("'%s': the %s disk", doc, ids[k]), *where = NULL;
        size_t len = 0, held = 0;
        FILE *out = open_memstream(&where, &len);
        if (!check || !out) {
            if (out)
                fclose(out);
            v->oom = true;
            return;
        }
        for (size_t i = 0; i < d->n_shipped; i++) {
            const struct sum *s = sum_of(v, d->shipped[i].path);
            if (d->shipped[i].disks[k] && s && s->present &&
                strcmp(s->actual, d->shipped[i].sha256) == 0)
                fprintf(out, "%s'%s'", held++ ? ", " : "", d->shipped[i].path);
        }
        if (fclose(out) != 0) {
            v->oom = true;
            return;
        }
        if (!d->disk[k])
            add(v, VERIFY_FAIL, check, "the SBOM describes no %s disk", ids[k]);
        else if (!held)
            add(v, VERIFY_FAIL, check, "no file here holds it with the SBOM's digest");
        else
            add(v, VERIFY_OK, check, "in %s", where);
    }
}

static int
by_name_arch(const void *a, const void *b)
{
    const struct pkg *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->arch, y->arch);
}

/* The packages on the OS disk against those an SBOM lists. */
static void
check_packages(struct verify *v, const char *doc, const struct pkg_list *listed)
{
    CLEANUP_FREE char *check = name("'%s': the packages installed on the OS disk", doc);
    CLEANUP_FREE char *text = NULL;
    size_t len = 0, bad = 0;
    const struct pkg_list *disk = &v->cur->disk_packages;
    FILE *out = open_memstream(&text, &len);
    if (!check || !out) {
        if (out)
            fclose(out);
        v->oom = true;
        return;
    }
    for (size_t i = 0; i < disk->n; i++) {
        const struct pkg *p = &disk->v[i];
        const struct pkg *s = bsearch(p, listed->v, listed->n, sizeof(*p), by_name_arch);
        if (!s)
            note(out, &bad, "'%s %s %s' is installed, not in the SBOM", p->name, p->version,
                 p->arch);
        else if (strcmp(s->version, p->version) != 0)
            note(out, &bad, "'%s %s' is installed as %s, the SBOM says %s", p->name, p->arch,
                 p->version, s->version);
    }
    for (size_t i = 0; i < listed->n; i++) {
        const struct pkg *s = &listed->v[i];
        if (!bsearch(s, disk->v, disk->n, sizeof(*s), by_name_arch))
            note(out, &bad, "'%s %s %s' is in the SBOM, not installed", s->name, s->version,
                 s->arch);
    }
    if (bad > MAX_LISTED)
        fprintf(out, "; and %zu more", bad - MAX_LISTED);
    if (fclose(out) != 0) {
        v->oom = true;
        return;
    }
    if (bad)
        add(v, VERIFY_FAIL, check, "%zu differences: %s", bad, text);
    else
        add(v, VERIFY_OK, check, "the %zu the SBOM lists, name, version and architecture",
            disk->n);
}

/* One SBOM: read, then each of its claims. */
static void
check_sbom(struct verify *v, const char *suffix, bool cdx, bool container)
{
    CLEANUP_FREE char *doc = delivery_stem_file(v->cur->stem, suffix), *text = NULL;
    size_t len = 0;
    const char *why = NULL;
    if (!doc) {
        v->oom = true;
        return;
    }
    int r = read_text(v, doc, SBOM_MAX_BYTES, &text, &len, &why);
    if (r == 0 && container && !sum_of(v, doc))
        return; /* no container output */
    if (r <= 0) {
        add(v, VERIFY_FAIL, doc, "%s", r == 0 ? "missing" : why);
        return;
    }
    struct sbom_doc d;
    struct ab_error err = AB_ERROR_INIT;
    if ((cdx ? sbom_parse_cdx : sbom_parse_spdx)(text, len, doc, &d, &err) < 0) {
        add(v, VERIFY_FAIL, doc, "%s", err.n_diags ? err.diags[0].msg : "unreadable");
        ab_error_release(&err);
        return;
    }
    if (d.packages.n)
        qsort(d.packages.v, d.packages.n, sizeof(*d.packages.v), by_name_arch);
    check_identity(v, doc, &d, container);
    struct export_file *files = calloc(d.n_shipped + 1, sizeof(*files));
    for (size_t i = 0; files && i < d.n_shipped; i++) {
        files[i].path = d.shipped[i].path;
        memcpy(files[i].sha256, d.shipped[i].sha256, HASH_HEX_MAX);
    }
    if (files)
        check_listed(v, doc, files, d.n_shipped, !container);
    v->oom |= !files;
    free(files);
    if (!container)
        check_disks(v, doc, &d);
    if (!container && v->cur->disks_read)
        check_packages(v, doc, &d.packages);
    sbom_doc_release(&d);
}

static void
check_provenance(struct verify *v)
{
    CLEANUP_FREE char *doc = delivery_stem_file(v->cur->stem, DELIVERY_PROVENANCE);
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;
    const char *why = NULL;
    if (!doc) {
        v->oom = true;
        return;
    }
    int r = read_text(v, doc, PROVENANCE_MAX_BYTES, &text, &len, &why);
    if (r <= 0) {
        add(v, VERIFY_FAIL, doc, "%s", r == 0 ? "missing" : why);
        return;
    }
    struct export_files subjects;
    struct ab_error err = AB_ERROR_INIT;
    if (provenance_subjects(text, len, doc, &subjects, &err) < 0) {
        add(v, VERIFY_FAIL, doc, "%s", err.n_diags ? err.diags[0].msg : "unreadable");
        ab_error_release(&err);
        return;
    }
    check_listed(v, doc, subjects.v, subjects.n, true);
    export_files_release(&subjects);
}

/* ---- the disks ---------------------------------------------------------- */

/* "name\tversion\tarch" lines into a list. */
static int
parse_lines(const char *text, struct pkg_list *l)
{
    CLEANUP_FREE char *copy = strdup(text);
    char *save = NULL;
    if (!copy)
        return -1;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2)
            continue;
        struct pkg *g = realloc(l->v, (l->n + 1) * sizeof(*g));
        if (!g)
            return -1;
        l->v = g;
        struct pkg *p = &g[l->n++];
        *p = (struct pkg){.name = strndup(line, (size_t)(t1 - line)),
                          .version = strndup(t1 + 1, (size_t)(t2 - t1 - 1)),
                          .arch = strdup(t2 + 1)};
        p->source = strdup(p->name ? p->name : "");
        p->source_version = strdup(p->version ? p->version : "");
        p->license = strdup("NOASSERTION");
        if (!p->name || !p->version || !p->arch || !p->source || !p->source_version ||
            !p->license)
            return -1;
    }
    return 0;
}

int
verify_packages_libguestfs(void *ctx, const struct inspect_drive *drives, size_t n,
                           struct pkg_list *list, struct ab_error *err)
{
    bool use_kvm = ctx && *(bool *)ctx;
    struct inspect_guest *g = NULL;
    *list = (struct pkg_list)PKG_LIST_INIT;
    struct engine_inspect *e = engine_inspect_launch(drives, n, use_kvm, err);
    int r = e ? engine_inspect_read(e, &g, err) : -1;
    if (engine_inspect_close(e, err) < 0)
        r = -1;
    if (r == 0 && (!g || g->n_oses != 1 || !g->oses[0].package_list))
        r = ab_build_error(err, 0, "%s", !g || g->n_oses != 1
                                              ? "the disks do not hold one operating system"
                                              : "the operating system's packages cannot be listed");
    if (r == 0) {
        const struct inspect_os *os = &g->oses[0];
        list->format = os->package_format && strcmp(os->package_format, "rpm") == 0 ? PKG_RPM
                                                                                       : PKG_DEB;
        if (parse_lines(os->package_list, list) < 0) {
            packages_release(list);
            r = ab_oom(err);
        }
    }
    inspect_guest_free(g);
    return r;
}

static void
read_disks(struct verify *v)
{
    struct verify_arch *a = v->cur;
    const struct bundle *b = a->bundle;
    CLEANUP_FREE char *check = a->arch ? name("the packages on the %s disks", a->arch)
                                       : strdup("the packages on the disks");
    if (!check) {
        v->oom = true;
        return;
    }
    if (!v->o->disks) {
        add(v, VERIFY_SKIP, check, "--no-disks: the disks are not read");
        return;
    }
    if (!b || b->n_disks == 0) {
        add(v, VERIFY_FAIL, check, "no disk image found to read");
        return;
    }
    step(v, "reading the packages installed on the disks");
    struct inspect_drive *drives = calloc(b->n_disks, sizeof(*drives));
    if (!drives) {
        v->oom = true;
        return;
    }
    for (size_t i = 0; i < b->n_disks; i++) {
        const struct bundle_disk *d = &b->disks[i];
        drives[i] = (struct inspect_drive){d->path, d->format, d->name, d->virtual_size};
    }
    struct ab_error err = AB_ERROR_INIT;
    verify_packages_fn fn = v->o->packages ? v->o->packages : verify_packages_libguestfs;
    if (fn(v->o->packages_ctx, drives, b->n_disks, &a->disk_packages, &err) < 0) {
        add(v, VERIFY_FAIL, check, "cannot be read: %s",
            err.n_diags ? err.diags[err.n_diags - 1].msg : "no reason given");
        ab_error_release(&err);
    } else {
        a->disks_read = true;
        if (a->disk_packages.n)
            qsort(a->disk_packages.v, a->disk_packages.n, sizeof(*a->disk_packages.v),
                  by_name_arch);
    }
    free(drives);
}

/* ---- the run ------------------------------------------------------------ */

/* The folder, and the .ova's name when path is one. */
static int
locate(struct verify *v, const char *path, struct ab_error *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return ab_error_set(err, AB_E_NOFILE, errno, NULL, "cannot read '%s': %s", path,
                            strerror(errno));
    if (S_ISDIR(st.st_mode))
        return (v->folder = strdup(path)) ? 0 : ab_oom(err);
    size_t n = strlen(path);
    if (!S_ISREG(st.st_mode) || n < 5 || strcmp(path + n - 4, ".ova") != 0)
        return ab_build_error(err, 0, "'%s' is neither an output folder nor an .ova", path);
    const char *slash = strrchr(path, '/');
    v->ova = slash ? slash + 1 : path;
    v->folder = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    if (!v->folder)
        return ab_oom(err);
    if (!(v->r->stem = strndup(v->ova, strlen(v->ova) - 4)))
        return ab_oom(err);
    return 0;
}

/* The stem of the one NAME-VERSION.provenance.json of the folder, for a
 * delivery shipped without its build report: NULL when not one. */
static char *
stem_of_provenance(const char *folder)
{
    DIR *d = opendir(folder);
    struct dirent *e;
    char *stem = NULL;
    size_t n = 0, suffix = strlen(DELIVERY_PROVENANCE);
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > suffix && strcmp(e->d_name + len - suffix, DELIVERY_PROVENANCE) == 0 && n++ == 0)
            stem = strndup(e->d_name, len - suffix);
    }
    if (d)
        closedir(d);
    if (n != 1) {
        free(stem);
        return NULL;
    }
    return stem;
}

/* The stem of the folder's build report of arch, or NULL. */
static char *
report_stem_of(const char *folder, const char *arch, struct verify *v)
{
    CLEANUP_FREE char *name = delivery_arch_doc(DELIVERY_REPORT, arch, ".json"), *path = NULL;
    struct report_info r;
    struct ab_error ignored = AB_ERROR_INIT;
    char *stem = NULL;
    if (!name || asprintf(&path, "%s/%s", folder, name) < 0) {
        v->oom = true;
        return NULL;
    }
    if (report_load(path, &r, &ignored) == 0)
        stem = report_stem(&r);
    report_info_release(&r);
    ab_error_release(&ignored);
    return stem;
}

/* The appliances to check: of a folder built for several architectures,
 * one per build-report-ARCH.json, in build order; else the one. An .ova
 * of such a folder is its architecture's (the report whose stem is the
 * .ova's). */
static void
find_arches(struct verify *v)
{
    bool single;
    unsigned arches = report_arches(v->folder, &single);
    enum arch all[ARCH_N];
    size_t n = arches && !single ? plan_arches(arches, all) : 0;
    v->n_arches = 1;
    v->arches[0] = (struct verify_arch){NULL, NULL, NULL, PKG_LIST_INIT, false};
    for (size_t i = 0; i < n; i++) {
        const char *arch = arch_row(all[i])->name;
        v->all[i].arch = arch;
        v->all[i].stem = report_stem_of(v->folder, arch, v);
        v->n_all = i + 1;
        if (v->ova && v->all[i].stem && strcmp(v->all[i].stem, v->r->stem) == 0)
            v->arches[0].arch = arch;
        if (v->ova)
            continue;
        v->arches[i] = (struct verify_arch){arch, NULL, NULL, PKG_LIST_INIT, false};
        v->n_arches = i + 1;
    }
    v->cur = &v->arches[0];
}

/* "x86_64, aarch64", and NAME-VERSION: the stem of the first without its
 * architecture. */
static void
name_arches(struct verify *v)
{
    size_t len = 0;
    FILE *out = open_memstream(&v->r->arches, &len);
    for (size_t i = 0; out && i < v->n_arches; i++)
        fprintf(out, "%s%s", i ? ", " : "", v->arches[i].arch);
    if (!out || fclose(out) != 0)
        v->oom = true;
    const char *stem = v->arches[0].stem, *arch = v->arches[0].arch;
    size_t n = stem ? strlen(stem) : 0, a = strlen(arch);
    if (n > a + 1 && strcmp(stem + n - a, arch) == 0 && stem[n - a - 1] == '-')
        v->oom |= !(v->r->stem = strndup(stem, n - a - 1));
}

/* Each appliance's bundle: the first checks every digest of SHA256SUMS,
 * the others their own manifests and OVA only, their disks extracted
 * into a folder of their own below scratch. */
static void
open_bundle(struct verify *v, const char *path, size_t i)
{
    struct verify_arch *a = &v->arches[i];
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *scratch = NULL;
    step(v, "reading the delivery");
    unsigned flags = BUNDLE_VERIFY | (v->o->disks ? BUNDLE_DISKS : 0) | (i ? BUNDLE_NO_SUMS : 0);
    if (v->n_arches > 1 && (mkdir(v->o->scratch, 0700) < 0 && errno != EEXIST))
        add(v, VERIFY_FAIL, "reading the delivery", "cannot create '%s': %s", v->o->scratch,
            strerror(errno));
    if (asprintf(&scratch, "%s%s%s", v->o->scratch, v->n_arches > 1 ? "/" : "",
                 v->n_arches > 1 ? a->arch : "") < 0) {
        v->oom = true;
        return;
    }
    a->bundle = bundle_open(path, v->ova ? NULL : a->arch, flags, scratch, NULL, &err);
    if (a->bundle && bundle_verify(a->bundle, &err) < 0) {
        bundle_free(a->bundle);
        a->bundle = NULL;
    }
    if (!a->bundle)
        add(v, VERIFY_FAIL, "reading the delivery", "%s",
            err.n_diags ? err.diags[0].msg : "cannot be read");
    if (v->ova)
        a->stem = v->r->stem ? strdup(v->r->stem) : NULL;
    else if (a->bundle && a->bundle->stem)
        a->stem = strdup(a->bundle->stem);
    else if (!a->arch)
        a->stem = stem_of_provenance(v->folder);
    if (v->n_arches == 1 && !v->r->stem && a->stem)
        v->oom |= !(v->r->stem = strdup(a->stem));
    ab_error_release(&err);
}

static void
open_bundles(struct verify *v, const char *path)
{
    find_arches(v);
    for (size_t i = 0; i < v->n_arches; i++)
        open_bundle(v, path, i);
    v->bundle = v->arches[0].bundle;
    if (v->n_arches > 1)
        name_arches(v);
}

/* Whether every appliance of the folder is named. */
static bool
all_named(const struct verify *v)
{
    for (size_t i = 0; i < v->n_arches; i++)
        if (!v->arches[i].stem)
            return false;
    return v->r->stem != NULL;
}

/* One appliance's disks, SBOMs and provenance. */
static void
check_arch(struct verify *v, size_t i)
{
    v->cur = &v->arches[i];
    read_disks(v);
    step(v, "checking the SBOMs and the provenance");
    check_sbom(v, DELIVERY_SPDX, false, false);
    check_sbom(v, DELIVERY_CDX, true, false);
    check_sbom(v, DELIVERY_CONTAINER_SPDX, false, true);
    check_sbom(v, DELIVERY_CONTAINER_CDX, true, true);
    check_provenance(v);
}

int
verify_run(const char *path, const struct verify_opts *o, struct verify_report *r,
           struct ab_error *err)
{
    memset(r, 0, sizeof(*r));
    struct verify v = {.o = o, .r = r, .sums = MANIFEST_INIT};
    if (!(r->path = strdup(path)))
        return ab_oom(err);
    int rc = locate(&v, path, err);
    bool named = false;
    if (rc == 0) {
        open_bundles(&v, path);
        read_sums(&v);
        if (!(named = all_named(&v)))
            add(&v, VERIFY_FAIL, "the appliance's name",
                "no build-report.json, .ova or provenance tells it: the files cannot be named");
    }
    if (rc == 0 && named) {
        check_signatures(&v);
        check_digests(&v);
        for (size_t i = 0; i < v.n_arches; i++)
            check_arch(&v, i);
    }
    if (rc == 0 && v.oom)
        rc = ab_oom(err);
    for (size_t i = 0; i < v.n_arches; i++) {
        bundle_free(v.arches[i].bundle);
        free(v.arches[i].stem);
        packages_release(&v.arches[i].disk_packages);
    }
    for (size_t i = 0; i < v.n_all; i++)
        free(v.all[i].stem);
    manifest_release(&v.sums);
    free(v.sum);
    free(v.folder);
    return rc;
}

/* ---- output ------------------------------------------------------------- */

static const char *const result_names[] = {"ok", "fail", "skip"};

int
verify_write_text(const struct verify_report *r, FILE *out)
{
    static const char *const shown[] = {"OK  ", "FAIL", "SKIP"};
    fprintf(out, "%s%s%s%s%s%s\n", r->path, r->stem ? " (" : "", r->stem ? r->stem : "",
            r->arches ? ": " : "", r->arches ? r->arches : "", r->stem ? ")" : "");
    for (size_t i = 0; i < r->n_checks; i++) {
        const struct verify_check *c = &r->checks[i];
        fprintf(out, "  %s  %s%s%s\n", shown[c->result], c->check, c->detail ? ": " : "",
                c->detail ? c->detail : "");
    }
    if (r->failed)
        fprintf(out, "NOT VERIFIED: %zu of %zu checks failed", r->failed, r->n_checks);
    else
        fprintf(out, "verified: %zu checks passed", r->passed);
    if (r->skipped)
        fprintf(out, ", %zu skipped", r->skipped);
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}

int
verify_write_json(const struct verify_report *r, FILE *out)
{
    json_object *o = json_object_new_object(), *checks = json_object_new_array();
    put_str(o, "path", r->path);
    put_str(o, "name", r->stem);
    if (r->arches)
        put_str(o, "arches", r->arches);
    json_object_object_add(o, "ok", json_object_new_boolean(r->failed == 0));
    put_u64(o, "passed", r->passed);
    put_u64(o, "failed", r->failed);
    put_u64(o, "skipped", r->skipped);
    for (size_t i = 0; i < r->n_checks; i++) {
        json_object *c = json_object_new_object();
        put_str(c, "check", r->checks[i].check);
        put_str(c, "result", result_names[r->checks[i].result]);
        put_str(c, "detail", r->checks[i].detail);
        json_object_array_add(checks, c);
    }
    json_object_object_add(o, "checks", checks);
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = text && fprintf(out, "%s\n", text) >= 0 ? 0 : -1;
    json_object_put(o);
    return rc;
}
