/* sparse_sha256.c: SHA-256 of files with holes, long runs of zeros looked
 * up in a table of remembered states (sparse_sha256.h). */
#include "appliance/sparse_sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"

#define ZEROS_MAGIC "appliance-sha256-zeros 1"
#define CHUNK (1u << 20) /* bytes read at once; a zero run is found in whole chunks */
#define BLOCK SHA256_BLOCK_SIZE

/* ---- the table ------------------------------------------------------------ */

struct zero_run {
    uint32_t in[8]; /* the state entering the run */
    uint64_t blocks;
    uint32_t out[8]; /* the state after it */
    uint64_t used;   /* 0: read from the file and not used; else the order of use */
    size_t seq;      /* its place in the file it was read from */
};

struct sha256_zeros {
    pthread_mutex_t lock;
    char *path; /* NULL: in memory only */
    struct zero_run *v;
    size_t n, cap;
    uint64_t clock; /* the last value given to a run's used */
    struct sha256_zeros_stats stats;
};

static int
push_run(struct sha256_zeros *z, const struct zero_run *r)
{
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 64;
        struct zero_run *v = realloc(z->v, cap * sizeof(*v));
        if (!v)
            return -1;
        z->v = v;
        z->cap = cap;
    }
    z->v[z->n++] = *r;
    return 0;
}

/* Eight state words as 64 hex digits (each word big-endian, as SHA-256
 * prints its digest), and back. */
static void
words_hex(const uint32_t w[8], char hex[65])
{
    for (int i = 0; i < 8; i++)
        snprintf(hex + 8 * i, 9, "%08" PRIx32, w[i]);
}

static bool
hex_words(const char *hex, uint32_t w[8])
{
    for (int i = 0; i < 8; i++) {
        uint32_t v = 0;
        for (int k = 0; k < 8; k++) {
            char c = hex[8 * i + k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0)
                return false;
            v = v << 4 | (uint32_t)d;
        }
        w[i] = v;
    }
    return true;
}

/* "IN BLOCKS OUT": 64 hex digits, a decimal count, 64 hex digits. */
static bool
parse_run(const char *line, struct zero_run *r)
{
    char *end = NULL;
    if (strlen(line) < 64 + 1 + 1 + 1 + 64 || !hex_words(line, r->in) || line[64] != ' ' ||
        line[65] < '1' || line[65] > '9')
        return false;
    errno = 0;
    unsigned long long blocks = strtoull(line + 65, &end, 10);
    if (errno || *end != ' ' || strlen(end + 1) != 64 || !hex_words(end + 1, r->out))
        return false;
    r->blocks = blocks;
    r->used = 0;
    return true;
}

static int
load(struct sha256_zeros *z, struct ab_error *err)
{
    CLEANUP_FCLOSE FILE *f = fopen(z->path, "re");
    char line[256];
    if (!f)
        return errno == ENOENT ? 0
                               : ab_build_error(err, errno, "cannot read '%s': %s", z->path,
                                                strerror(errno));
    if (!fgets(line, sizeof(line), f) || strcmp(line, ZEROS_MAGIC "\n") != 0)
        return 0; /* another format: started anew */
    while (fgets(line, sizeof(line), f) && z->n < SPARSE_SHA256_MAX_ENTRIES) {
        struct zero_run r;
        size_t len = strlen(line);
        if (len == 0 || line[len - 1] != '\n')
            break; /* cut short */
        line[len - 1] = '\0';
        r.seq = z->n;
        if (parse_run(line, &r) && r.blocks >= SPARSE_SHA256_MIN_RUN && push_run(z, &r) < 0)
            return ab_oom(err);
    }
    return 0;
}

int
sha256_zeros_open(const char *path, struct sha256_zeros **out, struct ab_error *err)
{
    struct sha256_zeros *z = calloc(1, sizeof(*z));
    *out = NULL;
    if (!z || (path && !(z->path = strdup(path)))) {
        free(z);
        return ab_oom(err);
    }
    pthread_mutex_init(&z->lock, NULL);
    if (z->path && load(z, err) < 0) {
        sha256_zeros_free(z);
        return -1;
    }
    *out = z;
    return 0;
}

void
sha256_zeros_free(struct sha256_zeros *z)
{
    if (!z)
        return;
    pthread_mutex_destroy(&z->lock);
    free(z->v);
    free(z->path);
    free(z);
}

void
sha256_zeros_stats(struct sha256_zeros *z, struct sha256_zeros_stats *out)
{
    pthread_mutex_lock(&z->lock);
    *out = z->stats;
    out->entries = z->n;
    pthread_mutex_unlock(&z->lock);
}

/* The most recently used first; those read and not used in their order. */
static int
by_use(const void *a, const void *b)
{
    const struct zero_run *x = a, *y = b;
    if (x->used != y->used)
        return x->used > y->used ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
sha256_zeros_save(struct sha256_zeros *z, struct ab_error *err)
{
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;
    pthread_mutex_lock(&z->lock);
    if (!z->path || !z->stats.learnt) {
        pthread_mutex_unlock(&z->lock);
        return 0;
    }
    qsort(z->v, z->n, sizeof(*z->v), by_use);
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        fputs(ZEROS_MAGIC "\n", mem);
        for (size_t i = 0; i < z->n && i < SPARSE_SHA256_MAX_ENTRIES; i++) {
            char in[65], out[65];
            words_hex(z->v[i].in, in);
            words_hex(z->v[i].out, out);
            fprintf(mem, "%s %" PRIu64 " %s\n", in, z->v[i].blocks, out);
        }
    }
    pthread_mutex_unlock(&z->lock);
    if (!mem || fclose(mem) != 0)
        return ab_oom(err);
    return write_atomic_data(z->path, 0644, text, len, err);
}

/* 1 and the state after the run when the table has it. */
static int
lookup(struct sha256_zeros *z, const uint32_t in[8], uint64_t blocks, uint32_t out[8])
{
    int found = 0;
    pthread_mutex_lock(&z->lock);
    for (size_t i = 0; i < z->n && !found; i++) {
        struct zero_run *r = &z->v[i];
        if (r->blocks == blocks && memcmp(r->in, in, sizeof(r->in)) == 0) {
            memcpy(out, r->out, sizeof(r->out));
            r->used = ++z->clock;
            z->stats.looked_up++;
            z->stats.looked_up_bytes += blocks * BLOCK;
            found = 1;
        }
    }
    pthread_mutex_unlock(&z->lock);
    return found;
}

static void
learn(struct sha256_zeros *z, const uint32_t in[8], uint64_t blocks, const uint32_t out[8])
{
    struct zero_run r = {.blocks = blocks};
    memcpy(r.in, in, sizeof(r.in));
    memcpy(r.out, out, sizeof(r.out));
    pthread_mutex_lock(&z->lock);
    r.used = ++z->clock;
    if (push_run(z, &r) == 0) /* out of memory: only the time is lost */
        z->stats.learnt++;
    z->stats.learnt_bytes += blocks * BLOCK;
    pthread_mutex_unlock(&z->lock);
}

/* ---- hashing ----------------------------------------------------------------- */

static const uint8_t zero_chunk[CHUNK];

struct sparse_hash {
    struct sha256_ctx ctx;
    struct sha256_zeros *zeros;
    uint64_t pending; /* zero bytes not yet hashed */
    const volatile sig_atomic_t *stop;
};

static bool
stopped(const struct sparse_hash *h)
{
    return h->stop && *h->stop;
}

/* Hashes n zero bytes; false when stopped. */
static bool
feed_zeros(struct sparse_hash *h, uint64_t n)
{
    while (n > 0) {
        size_t k = n < CHUNK ? (size_t)n : CHUNK;
        if (stopped(h))
            return false;
        sha256_update(&h->ctx, k, zero_chunk);
        n -= k;
    }
    return true;
}

/* Hashes the pending zeros: the whole blocks among them as one run,
 * looked up or learnt when it is long enough. */
static bool
flush_zeros(struct sparse_hash *h)
{
    uint64_t n = h->pending;
    h->pending = 0;
    if (h->ctx.index) { /* complete the block in progress */
        size_t k = BLOCK - h->ctx.index;
        if (k > n)
            k = (size_t)n;
        sha256_update(&h->ctx, k, zero_chunk);
        n -= k;
    }
    uint64_t blocks = n / BLOCK;
    if (h->zeros && blocks >= SPARSE_SHA256_MIN_RUN) {
        uint32_t in[8];
        memcpy(in, h->ctx.state, sizeof(in));
        if (lookup(h->zeros, in, blocks, h->ctx.state)) {
            h->ctx.count += blocks;
        } else {
            if (!feed_zeros(h, blocks * BLOCK))
                return false;
            learn(h->zeros, in, blocks, h->ctx.state);
        }
        n -= blocks * BLOCK;
    }
    return feed_zeros(h, n);
}

static bool
all_zero(const uint8_t *p, size_t len)
{
    return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

/* The first offset at or after pos that may hold data: SEEK_DATA's
 * answer, size when only a hole is left, pos itself when the filesystem
 * tells no holes. */
static int
next_data(int fd, uint64_t pos, uint64_t size, uint64_t *data)
{
    off_t d = lseek(fd, (off_t)pos, SEEK_DATA);
    if (d < 0 && errno == ENXIO)
        d = (off_t)size;
    else if (d < 0 && errno == EINVAL)
        d = (off_t)pos;
    else if (d < 0)
        return -1;
    *data = (uint64_t)d < size ? (uint64_t)d : size;
    return 0;
}

/* Reads the window [pos, end) into buf. */
static int
read_window(int fd, uint64_t pos, uint64_t end, uint8_t *buf, const char *path,
            struct ab_error *err)
{
    size_t want = (size_t)(end - pos), got = 0;
    while (got < want) {
        ssize_t n = pread(fd, buf + got, want - got, (off_t)(pos + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return ab_build_error(err, n < 0 ? errno : EIO, "cannot read '%s': %s", path,
                                  n < 0 ? strerror(errno) : "the file shrank");
        got += (size_t)n;
    }
    return 0;
}

/* The file in windows of CHUNK bytes at multiples of CHUNK: a window of
 * zeros, a hole or zeros written out, joins the pending run; the others
 * are hashed. Which windows are zeros depends on the bytes alone, not on
 * how the file is allocated, so the same bytes make the same runs (and
 * the table finds them); holes are skipped, never read. */
static int
feed_file(struct sparse_hash *h, int fd, uint64_t size, const char *path, struct ab_error *err)
{
    CLEANUP_FREE uint8_t *buf = malloc(CHUNK);
    uint64_t pos = 0, data = 0; /* data: where data may be next, once pos passed it */
    if (!buf)
        return ab_oom(err);
    while (pos < size) {
        if (stopped(h))
            return ab_build_error(err, EINTR, "reading '%s': interrupted", path);
        if (data < pos && next_data(fd, pos, size, &data) < 0)
            return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        uint64_t end = size - pos < CHUNK ? size : pos + CHUNK;
        if (data >= end) { /* a hole up to the window holding data */
            uint64_t to = data >= size ? size : data / CHUNK * CHUNK;
            h->pending += to - pos;
            pos = to;
            continue;
        }
        if (read_window(fd, pos, end, buf, path, err) < 0)
            return -1;
        if (all_zero(buf, (size_t)(end - pos))) {
            h->pending += end - pos;
        } else {
            if (h->pending && !flush_zeros(h))
                return ab_build_error(err, EINTR, "reading '%s': interrupted", path);
            sha256_update(&h->ctx, (size_t)(end - pos), buf);
        }
        pos = end;
    }
    if (h->pending && !flush_zeros(h))
        return ab_build_error(err, EINTR, "reading '%s': interrupted", path);
    return 0;
}

int
sparse_sha256_fd(int fd, const char *name, struct sha256_zeros *zeros,
                 const volatile sig_atomic_t *stop, char hex[HASH_HEX_MAX], struct ab_error *err)
{
    struct stat st;
    struct sparse_hash h = {.zeros = zeros, .stop = stop};
    uint8_t md[SHA256_DIGEST_SIZE];
    if (fstat(fd, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", name, strerror(errno));
    sha256_init(&h.ctx);
    if (feed_file(&h, fd, (uint64_t)st.st_size, name, err) < 0)
        return -1;
    sha256_digest(&h.ctx, sizeof(md), md);
    for (size_t i = 0; i < sizeof(md); i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int
sparse_sha256_file(const char *path, struct sha256_zeros *zeros, const volatile sig_atomic_t *stop,
                   char hex[HASH_HEX_MAX], struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    return sparse_sha256_fd(fd, path, zeros, stop, hex, err);
}
