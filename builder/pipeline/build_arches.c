/* build_arches.c: a recipe's architectures built into one folder
 * (build.h: build_run_arches). */
#include "appliance/build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/attest.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/export.h"
#include "appliance/fsutil.h"
#include "appliance/outdir.h"
#include "appliance/sign.h"
#include "appliance/stop.h"
#include "build_arches.h"
#include "preflight.h"

/* What one architecture's build tells the caller, its name in front of
 * each stage's words and each notice. */
struct arch_events {
    const struct build_events *to;
    const char *arch;
};

static void
arch_stage_begin(void *ctx, const char *stage, const char *what)
{
    const struct arch_events *a = ctx;
    char text[256];
    snprintf(text, sizeof(text), "%s: %s", a->arch, what);
    if (a->to->stage_begin)
        a->to->stage_begin(a->to->ctx, stage, text);
}

static void
arch_stage_end(void *ctx, const char *stage, double seconds)
{
    const struct arch_events *a = ctx;
    if (a->to->stage_end)
        a->to->stage_end(a->to->ctx, stage, seconds);
}

static void
arch_notice(void *ctx, const char *message)
{
    const struct arch_events *a = ctx;
    CLEANUP_FREE char *text = NULL;
    if (a->to->notice && asprintf(&text, "%s: %s", a->arch, message) >= 0)
        a->to->notice(a->to->ctx, text);
}

static void
arch_progress(void *ctx, const char *what, uint64_t done, uint64_t total)
{
    const struct arch_events *a = ctx;
    if (a->to->progress)
        a->to->progress(a->to->ctx, what, done, total);
}

/* arches_merge below from, rel its path below the top. */
static int
merge_into(const char *from, const char *to, const char *rel, struct ab_error *err)
{
    DIR *d = opendir(from);
    if (!d)
        return ab_build_error(err, errno, "cannot read '%s': %s", from, strerror(errno));
    struct dirent *e;
    int r = 0;
    while (r == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (!*rel && strcmp(e->d_name, DELIVERY_SUMS) == 0))
            continue;
        CLEANUP_FREE char *src = NULL, *dst = NULL, *sub = NULL;
        if (asprintf(&src, "%s/%s", from, e->d_name) < 0 ||
            asprintf(&dst, "%s/%s", to, e->d_name) < 0 ||
            asprintf(&sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) < 0) {
            r = ab_oom(err);
            break;
        }
        if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
            continue;
        struct stat s, t;
        bool folders = errno == EEXIST && lstat(src, &s) == 0 && lstat(dst, &t) == 0 &&
                       S_ISDIR(s.st_mode) && S_ISDIR(t.st_mode);
        if (folders && merge_into(src, dst, sub, err) < 0)
            r = -1;
        else if (folders && rmdir(src) < 0)
            r = ab_build_error(err, errno, "cannot remove '%s': %s", src, strerror(errno));
        else if (!folders && errno == EEXIST)
            r = ab_build_error(err, EEXIST,
                               "internal error: two architectures' builds both wrote '%s'", sub);
        else if (!folders)
            r = ab_build_error(err, errno, "cannot move '%s' to '%s': %s", src, dst,
                               strerror(errno));
    }
    closedir(d);
    return r;
}

int
arches_merge(const char *from, const char *to, struct ab_error *err)
{
    return merge_into(from, to, "", err);
}

/* The folder of one architecture's build inside the output's: hidden, so
 * that nothing takes it for an output. */
static char *
arch_folder(const char *tmp, const struct plan *plan)
{
    char *s;
    return asprintf(&s, "%s/.%s", tmp, arch_row(plan->hardware.arch)->name) < 0 ? NULL : s;
}

/* Every architecture's files in the one folder, their SHA256SUMS as one,
 * signed with key (may be NULL). */
static int
merge_all(const char *tmp, char *const *parts, size_t n, const struct sign_key *key,
          struct ab_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (arches_merge(parts[i], tmp, err) < 0)
            return -1;
    if (export_sums_merge(tmp, (const char *const *)parts, n, err) < 0 ||
        (key && attest_sign_sums(tmp, key, NULL, err) < 0))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (rm_rf(tmp, parts[i]) < 0)
            return ab_build_error(err, errno, "cannot remove '%s': %s", parts[i], strerror(errno));
    return 0;
}

static int
do_merge(const struct build_events *ev, const char *tmp, char *const *parts, size_t n,
         const struct sign_key *key, struct ab_error *err)
{
    struct build_stage st;
    if (build_stage_begin(ev, &st, "merge", "every architecture's files in one folder", err) < 0)
        return -1;
    return build_stage_end(ev, &st, merge_all(tmp, parts, n, key, err), err);
}

/* What would stop a later architecture's build, checked before the first
 * begins (its free space is checked when it begins, the others' output
 * there by then). */
static int
preflight_all(const struct plan *const *plans, size_t n, const struct build_opts *opts,
              struct ab_error *err)
{
    const char *root = opts->workroot ? opts->workroot : getenv("TMPDIR");
    struct preflight_opts po = {opts->output, root && *root ? root : "/var/tmp", false};
    return preflight_check_all(plans, n, &po, err);
}

static int
build_each(const struct plan *const *plans, size_t n, const struct build_opts *opts,
           const struct sign_key *key, struct outdir *out, char **parts, struct ab_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!(parts[i] = arch_folder(out->tmp, plans[i])))
            return ab_oom(err);
        if (mkdir(parts[i], 0755) < 0)
            return ab_build_error(err, errno, "cannot create '%s': %s", parts[i], strerror(errno));
        struct arch_events a = {opts->events, arch_row(plans[i]->hardware.arch)->name};
        struct build_events ev = {&a, arch_stage_begin, arch_stage_end, arch_notice, arch_progress};
        struct build_opts one = *opts;
        one.staging = parts[i];
        one.key = key;
        one.events = opts->events ? &ev : NULL;
        if (build_run(plans[i], &one, err) < 0)
            return -1;
        if (stop_requested())
            return ab_build_error(err, EINTR, "interrupted");
    }
    return 0;
}

int
build_run_arches(const struct plan *const *plans, size_t n, const struct build_opts *opts,
                 struct ab_error *err)
{
    struct outdir out = OUTDIR_INIT;
    CLEANUP_SIGN_KEY struct sign_key *key = NULL;
    char *parts[2] = {NULL, NULL};
    int r = -1;
    if (n < 1 || n > 2)
        return ab_build_error(err, EINVAL, "internal error: %zu architectures to build", n);
    /* The signing key first, as one build reads it: an unreadable one
     * stops everything before anything is made. */
    if ((opts->sign_key && sign_key_load(opts->sign_key, &key, err) < 0) ||
        preflight_all(plans, n, opts, err) < 0 || outdir_begin(&out, opts->output, err) < 0)
        goto out;
    if (build_each(plans, n, opts, key, &out, parts, err) < 0 ||
        do_merge(opts->events, out.tmp, parts, n, key, err) < 0 || outdir_commit(&out, err) < 0)
        goto out;
    r = 0;
out:
    outdir_release(&out);
    free(parts[0]);
    free(parts[1]);
    return r;
}
