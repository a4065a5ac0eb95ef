/* export_sums.c: the digests of everything shipped, for SHA256SUMS and
 * the build report: those known while the files were written or kept by
 * the cache (export_digests), the others hashed on every core, one file a
 * thread, holes and runs of zeros through sparse_sha256.h. */
#include "appliance/export.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/sparse_sha256.h"
#include "appliance/stop.h"

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

/* ---- digests known while the folder is written ---------------------------- */

enum digest_state {
    DIGEST_KNOWN,
    DIGEST_QUEUED,
    DIGEST_RUNNING,
    DIGEST_FAILED,
};

struct digest_entry {
    char *path;
    enum digest_state state;
    char hex[HASH_HEX_MAX];
    int errnum;  /* DIGEST_FAILED: why */
    char *error; /* and the message */
};

struct export_digests {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* an entry's state changed */
    struct sha256_zeros *zeros;
    struct digest_entry *v; /* never shrinks: workers keep indexes */
    size_t n, cap;
    pthread_t *threads; /* every worker started, joined by export_digests_free */
    size_t n_threads, cap_threads;
    size_t busy;                  /* workers alive */
    size_t max_threads;           /* the CPUs the process may use */
    volatile sig_atomic_t cancel; /* set by export_digests_free: the workers stop */
};

static size_t
cpu_count(void)
{
    cpu_set_t set;
    long n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

int
export_digests_new(struct sha256_zeros *zeros, struct export_digests **out, struct ab_error *err)
{
    struct export_digests *d = calloc(1, sizeof(*d));
    *out = NULL;
    if (!d)
        return ab_oom(err);
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    d->zeros = zeros;
    d->max_threads = cpu_count();
    *out = d;
    return 0;
}

void
export_digests_free(struct export_digests *d)
{
    if (!d)
        return;
    /* A build that failed leaves files queued or half hashed: the
     * workers stop at their next read. */
    d->cancel = 1;
    for (size_t i = 0; i < d->n_threads; i++)
        pthread_join(d->threads[i], NULL);
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].path);
        free(d->v[i].error);
    }
    free(d->v);
    free(d->threads);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* The newest entry of path, or NULL. Called with the lock. */
static struct digest_entry *
find_entry(struct export_digests *d, const char *path)
{
    for (size_t i = d->n; i-- > 0;)
        if (strcmp(d->v[i].path, path) == 0)
            return &d->v[i];
    return NULL;
}

/* A new entry of path. Called with the lock. */
static struct digest_entry *
add_entry(struct export_digests *d, const char *path, enum digest_state state)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct digest_entry *v = realloc(d->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        d->v = v;
        d->cap = cap;
    }
    struct digest_entry *e = &d->v[d->n];
    *e = (struct digest_entry){.path = strdup(path), .state = state};
    if (!e->path)
        return NULL;
    d->n++;
    return e;
}

int
export_digests_set(struct export_digests *d, const char *path, const char *hex,
                   struct ab_error *err)
{
    if (!d)
        return 0;
    pthread_mutex_lock(&d->lock);
    struct digest_entry *e = add_entry(d, path, DIGEST_KNOWN);
    if (e)
        snprintf(e->hex, sizeof(e->hex), "%s", hex);
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    return e ? 0 : ab_oom(err);
}

/* Takes the next queued entry and opens its file (*fd, or -1 and
 * *open_errno), both under the lock: a rename (export_digests_rename)
 * never comes between. */
static struct digest_entry *
take_queued(struct export_digests *d, int *fd, int *open_errno, size_t *index)
{
    for (size_t i = 0; i < d->n && !d->cancel; i++) {
        struct digest_entry *e = &d->v[i];
        if (e->state != DIGEST_QUEUED)
            continue;
        e->state = DIGEST_RUNNING;
        *fd = open(e->path, O_RDONLY | O_CLOEXEC);
        *open_errno = errno;
        *index = i;
        return e;
    }
    return NULL;
}

static void *
digest_worker(void *arg)
{
    struct export_digests *d = arg;
    pthread_mutex_lock(&d->lock);
    for (;;) {
        int fd = -1, open_errno = 0;
        size_t i;
        struct digest_entry *e = take_queued(d, &fd, &open_errno, &i);
        if (!e)
            break;
        CLEANUP_FREE char *name = strdup(e->path);
        pthread_mutex_unlock(&d->lock);
        struct ab_error err = AB_ERROR_INIT;
        char hex[HASH_HEX_MAX];
        int r = !name    ? ab_oom(&err)
                : fd < 0 ? ab_build_error(&err, open_errno, "cannot read '%s': %s", name,
                                          strerror(open_errno))
                         : sparse_sha256_fd(fd, name, d->zeros, &d->cancel, hex, &err);
        if (fd >= 0)
            close(fd);
        pthread_mutex_lock(&d->lock);
        e = &d->v[i]; /* v may have moved */
        if (r == 0) {
            memcpy(e->hex, hex, sizeof(hex));
            e->state = DIGEST_KNOWN;
        } else {
            e->state = DIGEST_FAILED;
            e->errnum = err.errnum;
            e->error = strdup(err.n_diags ? err.diags[0].msg : "cannot hash the file");
        }
        ab_error_release(&err);
        pthread_cond_broadcast(&d->cond);
    }
    d->busy--;
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

/* Starts a worker when one more may run. Called with the lock. */
static void
start_worker(struct export_digests *d)
{
    if (d->busy >= d->max_threads)
        return;
    if (d->n_threads == d->cap_threads) {
        size_t cap = d->cap_threads ? d->cap_threads * 2 : 8;
        pthread_t *t = realloc(d->threads, cap * sizeof(*t));
        if (!t)
            return; /* the queued file waits for a running worker, or is hashed by get */
        d->threads = t;
        d->cap_threads = cap;
    }
    if (pthread_create(&d->threads[d->n_threads], NULL, digest_worker, d) == 0) {
        d->n_threads++;
        d->busy++;
    }
}

int
export_digests_hash(struct export_digests *d, const char *path, struct ab_error *err)
{
    if (!d)
        return 0;
    pthread_mutex_lock(&d->lock);
    struct digest_entry *e = add_entry(d, path, DIGEST_QUEUED);
    if (e)
        start_worker(d);
    pthread_mutex_unlock(&d->lock);
    return e ? 0 : ab_oom(err);
}

int
export_digests_rename(struct export_digests *d, const char *from, const char *to,
                      struct ab_error *err)
{
    if (d)
        pthread_mutex_lock(&d->lock);
    struct digest_entry *e = d ? find_entry(d, from) : NULL;
    char *copy = e ? strdup(to) : NULL;
    int r = 0;
    if (e && !copy)
        r = ab_oom(err);
    else if (rename(from, to) < 0)
        r = ab_build_error(err, errno, "cannot move '%s' to '%s': %s", from, to, strerror(errno));
    else if (e) {
        free(e->path);
        e->path = copy;
        copy = NULL;
    }
    free(copy);
    if (d)
        pthread_mutex_unlock(&d->lock);
    return r;
}

int
export_digests_get(struct export_digests *d, const char *path, char hex[HASH_HEX_MAX],
                   struct ab_error *err)
{
    if (!d)
        return 0;
    pthread_mutex_lock(&d->lock);
    struct digest_entry *e = find_entry(d, path);
    size_t i = e ? (size_t)(e - d->v) : 0;
    if (e && e->state == DIGEST_QUEUED && d->busy == 0)
        start_worker(d); /* none could start when it was queued */
    if (e && e->state == DIGEST_QUEUED && d->busy == 0)
        e = NULL; /* none can: the caller hashes it */
    while (e && (d->v[i].state == DIGEST_QUEUED || d->v[i].state == DIGEST_RUNNING))
        pthread_cond_wait(&d->cond, &d->lock);
    int r = 0;
    if (e && d->v[i].state == DIGEST_KNOWN) {
        memcpy(hex, d->v[i].hex, HASH_HEX_MAX);
        r = 1;
    } else if (e) {
        r = ab_build_error(err, d->v[i].errnum, "%s",
                           d->v[i].error ? d->v[i].error : "cannot hash the file");
    }
    pthread_mutex_unlock(&d->lock);
    return r;
}

/* ---- the files of a folder ---------------------------------------------------- */

struct hash_pool {
    const char *dir;
    struct export_files *files;
    struct sha256_zeros *zeros;
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
            continue; /* known already (export_digests) */
        CLEANUP_FREE char *path = NULL;
        struct ab_error e = AB_ERROR_INIT;
        int r = asprintf(&path, "%s/%s", p->dir, f->path) < 0
                    ? ab_oom(&e)
                    : sparse_sha256_file(path, p->zeros, stop_flag(), f->sha256, &e);
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

/* Hashes files->v[first..] that have no digest yet, with a thread for
 * each CPU, at most one a file. */
static int
hash_from(const char *dir, struct export_files *files, size_t first, struct sha256_zeros *zeros,
          struct ab_error *err)
{
    struct hash_pool p = {.dir = dir, .files = files, .zeros = zeros, .err = err};
    atomic_init(&p.next, first);
    pthread_mutex_init(&p.lock, NULL);
    size_t n = 0;
    for (size_t i = first; i < files->n; i++)
        n += !files->v[i].sha256[0];
    size_t threads = cpu_count();
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
export_files_collect(const char *dir, struct export_files *files, struct export_digests *digests,
                     struct ab_error *err)
{
    if (walk_tree(dir, visit, files) != 0) {
        int e = errno;
        return e == ENOMEM ? ab_oom(err)
                           : ab_build_error(err, e, "cannot list '%s': %s", dir, strerror(e));
    }
    qsort(files->v, files->n, sizeof(*files->v), by_path);
    for (size_t i = 0; digests && i < files->n; i++) {
        CLEANUP_FREE char *path = NULL;
        if (asprintf(&path, "%s/%s", dir, files->v[i].path) < 0)
            return ab_oom(err);
        /* A failed hashing is tried again below, which says why. */
        struct ab_error ignored = AB_ERROR_INIT;
        if (export_digests_get(digests, path, files->v[i].sha256, &ignored) <= 0)
            files->v[i].sha256[0] = '\0';
        ab_error_release(&ignored);
    }
    return hash_from(dir, files, 0, digests ? digests->zeros : NULL, err);
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
    if (hash_from(dir, files, files->n - 1, NULL, err) < 0)
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

/* One line of SHA256SUMS: 64 lowercase hex digits, two spaces, the path. */
static int
sums_line(const char *line, struct export_files *files)
{
    size_t hex = strspn(line, "0123456789abcdef");
    if (hex != 64 || strncmp(line + hex, "  ", 2) != 0 || !line[hex + 2])
        return 1;
    if (push(files, line + hex + 2, 0) < 0)
        return -1;
    memcpy(files->v[files->n - 1].sha256, line, hex);
    files->v[files->n - 1].sha256[hex] = '\0';
    return 0;
}

int
export_sums_read(const char *dir, struct export_files *files, struct ab_error *err)
{
    CLEANUP_FREE char *path = NULL, *line = NULL;
    size_t cap = 0;
    ssize_t len;
    if (asprintf(&path, "%s/%s", dir, SUMS_NAME) < 0)
        return ab_oom(err);
    CLEANUP_FCLOSE FILE *f = fopen(path, "re");
    if (!f)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    for (unsigned n = 1; (len = getline(&line, &cap, f)) > 0; n++) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        int r = sums_line(line, files);
        if (r < 0)
            return ab_oom(err);
        if (r > 0)
            return ab_build_error(err, 0, "'%s', line %u: not a line of sha256sum", path, n);
    }
    if (ferror(f))
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    return 0;
}

int
export_sums_merge(const char *dir, const char *const *parts, size_t n, struct ab_error *err)
{
    struct export_files all = {NULL, 0};
    int r = 0;
    for (size_t i = 0; r == 0 && i < n; i++)
        r = export_sums_read(parts[i], &all, err);
    if (r == 0 && all.n)
        qsort(all.v, all.n, sizeof(*all.v), by_path);
    for (size_t i = 1; r == 0 && i < all.n; i++)
        if (strcmp(all.v[i - 1].path, all.v[i].path) == 0)
            r = ab_build_error(err, EEXIST, "'%s' is listed by two %s files", all.v[i].path,
                               SUMS_NAME);
    if (r == 0)
        r = export_sums_write(dir, &all, err);
    export_files_release(&all);
    return r;
}
