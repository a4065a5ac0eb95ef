/* export_sums.c: the digests of everything shipped, for SHA256SUMS and
 * the build report. Files are hashed on every core, one file a thread. */
#include "appliance/export.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"

#define SUMS_NAME "SHA256SUMS"

void
export_files_release(struct export_files *files)
{
    for (size_t i = 0; i < files->n; i++)
        free(files->v[i].path);
    free(files->v);
    files->v = NULL;
    files->n = 0;
}

static int
push(struct export_files *files, const char *path, uint64_t size)
{
    struct export_file *v = realloc(files->v, (files->n + 1) * sizeof(*v));
    if (!v)
        return -1;
    files->v = v;
    v[files->n] = (struct export_file){.path = strdup(path), .size = size};
    if (!v[files->n].path)
        return -1;
    files->n++;
    return 0;
}

static int
visit(void *ctx, const char *rel, const struct stat *st)
{
    struct export_files *files = ctx;
    if (!S_ISREG(st->st_mode) || strcmp(rel, SUMS_NAME) == 0)
        return 0;
    if (push(files, rel, (uint64_t)st->st_size) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

static int
by_path(const void *a, const void *b)
{
    return strcmp(((const struct export_file *)a)->path, ((const struct export_file *)b)->path);
}

struct hash_pool {
    const char *dir;
    struct export_files *files;
    size_t first;
    atomic_size_t next;
    pthread_mutex_t lock;
    struct ab_error *err;
    int failed;
};

static void *
hash_worker(void *arg)
{
    struct hash_pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->files->n)
            return NULL;
        struct export_file *f = &p->files->v[i];
        if (f->sha256[0])
            continue; /* known already (export_files_collect_known) */
        CLEANUP_FREE char *path = NULL;
        struct ab_error e = AB_ERROR_INIT;
        int r = asprintf(&path, "%s/%s", p->dir, f->path) < 0
                    ? ab_oom(&e)
                    : digest_file(DIGEST_SHA256, path, f->sha256, &e);
        if (r < 0) {
            pthread_mutex_lock(&p->lock);
            if (!p->failed && e.n_diags > 0)
                ab_error_set(p->err, e.code, e.errnum, NULL, "%s", e.diags[0].msg);
            p->failed = 1;
            pthread_mutex_unlock(&p->lock);
        }
        ab_error_release(&e);
    }
}

/* Hashes files->v[first..] with a thread for each CPU, at most one a file. */
static int
hash_from(const char *dir, struct export_files *files, size_t first, struct ab_error *err)
{
    struct hash_pool p = {.dir = dir, .files = files, .first = first, .err = err};
    atomic_init(&p.next, first);
    pthread_mutex_init(&p.lock, NULL);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t n = files->n - first;
    size_t threads = (size_t)(cpus > 0 ? cpus : 1);
    if (threads > n)
        threads = n;
    pthread_t tids[64];
    if (threads > 64)
        threads = 64;
    size_t started = 0;
    while (started < threads && pthread_create(&tids[started], NULL, hash_worker, &p) == 0)
        started++;
    if (started == 0)
        hash_worker(&p);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&p.lock);
    return p.failed ? -1 : 0;
}

int
export_files_collect(const char *dir, struct export_files *files, struct ab_error *err)
{
    return export_files_collect_known(dir, files, NULL, NULL, err);
}

int
export_files_collect_known(const char *dir, struct export_files *files, export_known_fn known,
                           void *ctx, struct ab_error *err)
{
    if (walk_tree(dir, visit, files) != 0) {
        int e = errno;
        return e == ENOMEM ? ab_oom(err)
                           : ab_build_error(err, e, "cannot list '%s': %s", dir, strerror(e));
    }
    qsort(files->v, files->n, sizeof(*files->v), by_path);
    for (size_t i = 0; known && i < files->n; i++) {
        CLEANUP_FREE char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, files->v[i].path) < 0)
            return ab_oom(err);
        if (known(ctx, path, files->v[i].sha256) <= 0)
            files->v[i].sha256[0] = '\0';
    }
    return hash_from(dir, files, 0, err);
}

int
export_files_add(const char *dir, const char *path, struct export_files *files,
                 struct ab_error *err)
{
    CLEANUP_FREE char *full = NULL;
    struct stat st;
    if (asprintf(&full, "%s/%s", dir, path) < 0)
        return ab_oom(err);
    if (stat(full, &st) < 0)
        return ab_build_error(err, errno, "cannot stat '%s': %s", full, strerror(errno));
    if (push(files, path, (uint64_t)st.st_size) < 0)
        return ab_oom(err);
    if (hash_from(dir, files, files->n - 1, err) < 0)
        return -1;
    qsort(files->v, files->n, sizeof(*files->v), by_path);
    return 0;
}

int
export_sums_write(const char *dir, const struct export_files *files, struct ab_error *err)
{
    CLEANUP_FREE char *text = NULL, *path = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return ab_oom(err);
    for (size_t i = 0; i < files->n; i++)
        fprintf(mem, "%s  %s\n", files->v[i].sha256, files->v[i].path);
    if (fclose(mem) != 0 || asprintf(&path, "%s/%s", dir, SUMS_NAME) < 0)
        return ab_oom(err);
    return write_file(NULL, path, text, 0644, err);
}
