/* vmdk_stream.c: raw disk images to streamOptimized VMDK, compressed on
 * several threads (see vmdk.h for the layout).
 *
 * The calling thread walks the raw image's data extents (SEEK_DATA and
 * SEEK_HOLE) and cuts them into jobs of up to CHUNK_GRAINS grains; worker
 * threads read and compress the jobs (libdeflate, zlib-wrapped as qemu and
 * VMware expect); the calling thread writes the finished jobs in order,
 * keeps the grain table of the current 32 MiB in memory and writes it out
 * after its grains. At most n_slots jobs are in flight. */
#include "vmdk.h"

#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/image_format.h"

#define GRAIN_SECTORS 128u
#define GRAIN_BYTES (GRAIN_SECTORS * SECTOR)
#define GTES_PER_GT 512u
#define GT_SECTORS (GTES_PER_GT * 4u / SECTOR)
#define DESC_OFFSET 1u       /* sector of the embedded descriptor */
#define DESC_SECTORS 20u     /* room for it, as qemu-img and VMware leave */
#define OVERHEAD_SECTORS 128 /* first grain at 64 KiB, as qemu-img and VirtualBox write */
#define CHUNK_GRAINS 32u     /* grains per job; divides GTES_PER_GT */
#define MARKER_BYTES 12u     /* grain marker: lba (u64) and compressed size (u32) */
#define MAX_THREADS 64u

#define SPARSE_VERSION 3u        /* ESXi wants 3 for compressed grains */
#define FLAG_NL_DETECT (1u << 0)
#define FLAG_COMPRESSED (1u << 16)
#define FLAG_MARKERS (1u << 17)
#define COMPRESS_DEFLATE 1u
#define GD_AT_END UINT64_MAX

enum marker_type {
    MARKER_EOS = 0,
    MARKER_GT = 1,
    MARKER_GD = 2,
    MARKER_FOOTER = 3,
};

enum job_state {
    JOB_FREE = 0,
    JOB_QUEUED,
    JOB_DONE,
};

struct job {
    enum job_state state;
    uint64_t chunk;            /* its first grain is chunk * CHUNK_GRAINS */
    uint32_t want;             /* grains that hold data in the raw image */
    uint32_t stored;           /* grains written to out (the non-zero ones) */
    uint32_t at[CHUNK_GRAINS]; /* sector of each stored grain's marker in out */
    unsigned char *out;        /* grain markers and data, sector-aligned */
    size_t out_len;
    int errnum; /* nonzero: the read (or compression) failed */
};

struct stream;

struct worker {
    struct stream *s;
    pthread_t thread;
    bool started;
    struct libdeflate_compressor *comp;
    unsigned char *raw; /* CHUNK_GRAINS grains read from the image */
};

struct stream {
    const char *raw_path;
    int raw_fd;
    uint64_t raw_size;
    uint64_t capacity; /* sectors */

    /* The extent walk (calling thread only). */
    uint64_t scan_pos;
    uint64_t data_start, data_end; /* the data extent at or after scan_pos */
    bool no_seek_data;             /* the file system cannot tell holes */

    /* Jobs, shared with the workers under lock. */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct job *jobs;
    unsigned n_slots;
    uint64_t produced, claimed, written;
    bool producer_done, stop;
    struct worker *workers;
    unsigned n_workers;
    size_t grain_out_max;

    /* The output (calling thread only). */
    char *tmp_path; /* set while a partial output exists */
    int out_fd;
    uint64_t out_sector;
    uint32_t *gd;
    uint64_t gd_entries;
    uint32_t gt[GTES_PER_GT];
    uint64_t gt_index;
    bool gt_used;
    uint64_t populated; /* bytes of the grains stored */
    void (*on_write)(const void *buf, size_t len, void *opaque); /* vmdk_opts' written */
    void *on_write_opaque;
};

static const char *const adapter_names[] = {
    [VMDK_ADAPTER_LSILOGIC] = "lsilogic",
    [VMDK_ADAPTER_IDE] = "ide",
    [VMDK_ADAPTER_BUSLOGIC] = "buslogic",
    [VMDK_ADAPTER_LEGACY_ESX] = "legacyESX",
};

#define N_ADAPTERS (sizeof(adapter_names) / sizeof(adapter_names[0]))

const char *
vmdk_adapter_to_string(enum vmdk_adapter adapter)
{
    return (unsigned)adapter < N_ADAPTERS ? adapter_names[adapter] : "lsilogic";
}

int
vmdk_adapter_from_string(const char *name, enum vmdk_adapter *adapter)
{
    for (unsigned i = 0; i < N_ADAPTERS; i++) {
        if (strcmp(name, adapter_names[i]) == 0) {
            *adapter = (enum vmdk_adapter)i;
            return 0;
        }
    }
    return -1;
}

static uint64_t
div_round_up(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

/* The sparse extent header; the footer is the same with the real gd_offset. */
static void
header_encode(unsigned char *b, uint64_t capacity, uint64_t gd_offset)
{
    memset(b, 0, SECTOR);
    memcpy(b, IMAGE_VMDK_MAGIC, 4);
    put_le32(b + 4, SPARSE_VERSION);
    put_le32(b + 8, FLAG_NL_DETECT | FLAG_COMPRESSED | FLAG_MARKERS);
    put_le64(b + 12, capacity);
    put_le64(b + 20, GRAIN_SECTORS);
    put_le64(b + 28, DESC_OFFSET);
    put_le64(b + 36, DESC_SECTORS);
    put_le32(b + 44, GTES_PER_GT);
    put_le64(b + 48, 0); /* rgdOffset: a stream has no redundant directory */
    put_le64(b + 56, gd_offset);
    put_le64(b + 64, OVERHEAD_SECTORS);
    b[72] = 0; /* uncleanShutdown */
    b[73] = '\n';
    b[74] = ' ';
    b[75] = '\r';
    b[76] = '\n';
    put_le16(b + 77, COMPRESS_DEFLATE);
}

/* A metadata marker: val sectors of metadata of that type follow. */
static void
marker_encode(unsigned char *b, uint64_t val, enum marker_type type)
{
    memset(b, 0, SECTOR);
    put_le64(b, val);
    put_le32(b + 8, 0); /* size 0 tells it from a grain marker */
    put_le32(b + 12, (uint32_t)type);
}

/* qemu-img's geometry: 16 heads for IDE, else 255; 63 sectors per track. */
static uint64_t
geometry_heads(enum vmdk_adapter adapter)
{
    return adapter == VMDK_ADAPTER_IDE ? 16 : 255;
}

/* What qemu-img writes, plus VMware's encoding line. virtualHWVersion is
 * the OVF's family (4 when none is given, what qemu-img and VMware's
 * open-vmdk write); toolsVersion 2147483647 says "guest-managed tools", as
 * both write too. */
static int
descriptor_format(char *buf, size_t size, uint64_t capacity, const char *extent_name,
                  enum vmdk_adapter adapter, uint32_t cid, unsigned hw_version)
{
    uint64_t heads = geometry_heads(adapter);
    int n = snprintf(buf, size,
                     "# Disk DescriptorFile\n"
                     "version=1\n"
                     "encoding=\"UTF-8\"\n"
                     "CID=%08x\n"
                     "parentCID=ffffffff\n"
                     "createType=\"streamOptimized\"\n"
                     "\n"
                     "# Extent description\n"
                     "RW %llu SPARSE \"%s\"\n"
                     "\n"
                     "# The Disk Data Base\n"
                     "#DDB\n"
                     "\n"
                     "ddb.virtualHWVersion = \"%u\"\n"
                     "ddb.geometry.cylinders = \"%llu\"\n"
                     "ddb.geometry.heads = \"%llu\"\n"
                     "ddb.geometry.sectors = \"63\"\n"
                     "ddb.adapterType = \"%s\"\n"
                     "ddb.toolsVersion = \"2147483647\"\n",
                     (unsigned)cid, (unsigned long long)capacity, extent_name,
                     hw_version ? hw_version : 4, (unsigned long long)(capacity / (63 * heads)),
                     (unsigned long long)heads, vmdk_adapter_to_string(adapter));
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* For temporary names only: nothing random goes into the VMDK. */
static uint32_t
random_u32(void)
{
    uint32_t v = 0;
    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = (uint32_t)getpid() * 2654435761u;
    return v;
}

/* The CID when the caller gives none: FNV-1a of the extent's name and the
 * capacity, so that the same disk under the same name gives the same
 * bytes. Never 0 ("none"), 0xfffffffe or 0xffffffff ("no parent"). */
static uint32_t
default_cid(const char *extent_name, uint64_t capacity)
{
    uint32_t h = 2166136261u;
    for (const char *p = extent_name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (int i = 0; i < 8; i++)
        h = (h ^ (unsigned char)(capacity >> (8 * i))) * 16777619u;
    h >>= 1;
    return h ? h : 1;
}

/* ---- reading and compressing (worker threads) ---- */

static bool
is_zero(const unsigned char *p, size_t len)
{
    static const unsigned char zeros[16];
    /* The first 16 bytes are zero and every byte equals the one 16 later. */
    return memcmp(p, zeros, 16) == 0 && memcmp(p, p + 16, len - 16) == 0;
}

/* Reads n grains from first_grain on; past the end of the image, zeros. */
static int
read_grains(const struct stream *s, unsigned char *buf, uint64_t first_grain, unsigned n)
{
    uint64_t off = first_grain * GRAIN_BYTES;
    size_t len = (size_t)n * GRAIN_BYTES, got = 0;
    size_t avail =
        off >= s->raw_size ? 0 : (size_t)(s->raw_size - off < len ? s->raw_size - off : len);

    while (got < avail) {
        ssize_t r = pread(s->raw_fd, buf + got, avail - got, (off_t)(off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break; /* the file shrank: the rest reads as zeros */
        got += (size_t)r;
    }
    memset(buf + got, 0, len - got);
    return 0;
}

/* Compresses one grain behind its marker at out; returns the bytes used
 * (whole sectors), or 0 if libdeflate found no room. */
static size_t
grain_compress(struct worker *w, const unsigned char *grain, uint64_t grain_nr, unsigned char *out)
{
    size_t max = w->s->grain_out_max;
    size_t n = libdeflate_zlib_compress(w->comp, grain, GRAIN_BYTES, out + MARKER_BYTES,
                                        max - MARKER_BYTES);
    if (n == 0)
        return 0;
    put_le64(out, grain_nr * GRAIN_SECTORS);
    put_le32(out + 8, (uint32_t)n);
    size_t used = (size_t)div_round_up(MARKER_BYTES + n, SECTOR) * SECTOR;
    memset(out + MARKER_BYTES + n, 0, used - MARKER_BYTES - n);
    return used;
}

static void
job_compress(struct worker *w, struct job *j)
{
    uint64_t first = j->chunk * CHUNK_GRAINS;
    j->stored = 0;
    j->out_len = 0;
    j->errnum = 0;
    for (unsigned i = 0; i < CHUNK_GRAINS;) {
        unsigned n = 0;
        while (i + n < CHUNK_GRAINS && (j->want & (1u << (i + n))))
            n++;
        if (n == 0) {
            i++;
            continue;
        }
        if (read_grains(w->s, w->raw, first + i, n) < 0) {
            j->errnum = errno;
            return;
        }
        for (unsigned k = 0; k < n; k++, i++) {
            const unsigned char *grain = w->raw + (size_t)k * GRAIN_BYTES;
            if (is_zero(grain, GRAIN_BYTES))
                continue;
            size_t used = grain_compress(w, grain, first + i, j->out + j->out_len);
            if (used == 0) {
                j->errnum = ENOBUFS;
                return;
            }
            j->at[i] = (uint32_t)(j->out_len / SECTOR);
            j->stored |= 1u << i;
            j->out_len += used;
        }
    }
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct stream *s = w->s;

    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->stop && s->claimed == s->produced && !s->producer_done)
            pthread_cond_wait(&s->cond, &s->lock);
        if (s->stop || s->claimed == s->produced)
            break;
        struct job *j = &s->jobs[s->claimed++ % s->n_slots];
        pthread_mutex_unlock(&s->lock);
        job_compress(w, j);
        pthread_mutex_lock(&s->lock);
        j->state = JOB_DONE;
        pthread_cond_broadcast(&s->cond);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ---- the extent walk (calling thread) ---- */

/* Finds the data extent at or after pos: 1, or 0 when only holes follow. */
static int
next_extent(struct stream *s, uint64_t pos, struct ab_error *err)
{
    if (pos >= s->raw_size)
        return 0;
    if (s->no_seek_data) {
        s->data_start = pos;
        s->data_end = s->raw_size;
        return 1;
    }
    off_t d = lseek(s->raw_fd, (off_t)pos, SEEK_DATA);
    if (d < 0 && errno == ENXIO)
        return 0;
    if (d < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
        s->no_seek_data = true;
        return next_extent(s, pos, err);
    }
    off_t h = d < 0 ? d : lseek(s->raw_fd, d, SEEK_HOLE);
    if (h < 0)
        return ab_build_error(err, errno, "cannot find the data of '%s': %s", s->raw_path,
                              strerror(errno));
    s->data_start = (uint64_t)d;
    s->data_end = (uint64_t)h < s->raw_size ? (uint64_t)h : s->raw_size;
    return 1;
}

/* Marks the grains of the current extent that fall in [chunk_start, chunk_end). */
static uint32_t
extent_mask(const struct stream *s, uint64_t chunk_start, uint64_t chunk_end)
{
    uint64_t a = s->data_start > chunk_start ? s->data_start : chunk_start;
    uint64_t b = s->data_end < chunk_end ? s->data_end : chunk_end;
    uint32_t mask = 0;
    if (a >= b)
        return 0;
    for (uint64_t g = (a - chunk_start) / GRAIN_BYTES;
         g < div_round_up(b - chunk_start, GRAIN_BYTES); g++)
        mask |= 1u << g;
    return mask;
}

/* Fills j with the next chunk that holds data: 1, or 0 at the end. */
static int
next_job(struct stream *s, struct job *j, struct ab_error *err)
{
    const uint64_t chunk_bytes = (uint64_t)CHUNK_GRAINS * GRAIN_BYTES;
    while (s->scan_pos < s->raw_size) {
        if (s->scan_pos >= s->data_end) {
            int r = next_extent(s, s->scan_pos, err);
            if (r <= 0) {
                s->scan_pos = s->raw_size;
                return r;
            }
        }
        if (s->scan_pos < s->data_start)
            s->scan_pos = s->data_start;
        uint64_t chunk = s->scan_pos / chunk_bytes;
        uint64_t end = (chunk + 1) * chunk_bytes;
        uint32_t mask = 0;
        /* Every extent that starts in this chunk adds its grains. */
        for (;;) {
            mask |= extent_mask(s, chunk * chunk_bytes, end);
            int r = s->data_end >= end ? 0 : next_extent(s, s->data_end, err);
            if (r < 0)
                return -1;
            if (r == 0 || s->data_start >= end) {
                s->scan_pos = end;
                break;
            }
        }
        if (mask) {
            j->chunk = chunk;
            j->want = mask;
            return 1;
        }
    }
    return 0;
}

/* ---- writing (calling thread) ---- */

static int
out_write(struct stream *s, const void *buf, size_t len, struct ab_error *err)
{
    if (s->on_write)
        s->on_write(buf, len, s->on_write_opaque);
    const unsigned char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(s->out_fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ab_build_error(err, errno, "cannot write '%s': %s", s->tmp_path,
                                  strerror(errno));
        p += n;
        left -= (size_t)n;
    }
    s->out_sector += len / SECTOR;
    return 0;
}

/* Grain directory and table entries are 32-bit sector numbers. */
static int
check_room(const struct stream *s, uint64_t sectors, struct ab_error *err)
{
    if (s->out_sector + sectors <= UINT32_MAX)
        return 0;
    return ab_build_error(err, EFBIG, "'%s' does not fit in a VMDK of 2 TiB", s->raw_path);
}

/* Writes the header (grain directory "at end"), the descriptor and the
 * padding up to the first grain. */
static int
write_head(struct stream *s, const char *extent_name, const struct vmdk_opts *o,
           struct ab_error *err)
{
    CLEANUP_FREE unsigned char *head = calloc(OVERHEAD_SECTORS, SECTOR);
    if (!head)
        return ab_oom(err);
    header_encode(head, s->capacity, GD_AT_END);
    if (descriptor_format(
            (char *)head + DESC_OFFSET * SECTOR, DESC_SECTORS * SECTOR, s->capacity, extent_name,
            o->adapter, o->cid ? o->cid : default_cid(extent_name, s->capacity), o->hw_version) < 0)
        return ab_build_error(err, 0, "the VMDK descriptor for '%s' is too long", extent_name);
    return out_write(s, head, (size_t)OVERHEAD_SECTORS * SECTOR, err);
}

/* Writes the current grain table after its grains, unless it is empty
 * (VMware's own writer leaves empty tables out, and the readers expect it). */
static int
gt_flush(struct stream *s, struct ab_error *err)
{
    unsigned char buf[(1 + GT_SECTORS) * SECTOR];
    if (!s->gt_used)
        return 0;
    if (check_room(s, 1 + GT_SECTORS, err) < 0)
        return -1;
    marker_encode(buf, GT_SECTORS, MARKER_GT);
    for (unsigned i = 0; i < GTES_PER_GT; i++)
        put_le32(buf + SECTOR + 4 * i, s->gt[i]);
    s->gd[s->gt_index] = (uint32_t)(s->out_sector + 1);
    memset(s->gt, 0, sizeof(s->gt));
    s->gt_used = false;
    return out_write(s, buf, sizeof(buf), err);
}

/* Writes a finished job: its grains, then their table entries noted. */
static int
job_commit(struct stream *s, struct job *j, struct ab_error *err)
{
    uint64_t first = j->chunk * CHUNK_GRAINS;
    if (j->errnum == ENOBUFS)
        return ab_build_error(err, 0, "cannot compress '%s': libdeflate found no room",
                              s->raw_path);
    if (j->errnum)
        return ab_build_error(err, j->errnum, "cannot read '%s': %s", s->raw_path,
                              strerror(j->errnum));
    if (!j->stored)
        return 0;
    if (first / GTES_PER_GT != s->gt_index) {
        if (gt_flush(s, err) < 0)
            return -1;
        s->gt_index = first / GTES_PER_GT;
    }
    if (check_room(s, j->out_len / SECTOR, err) < 0)
        return -1;
    for (unsigned i = 0; i < CHUNK_GRAINS; i++) {
        if (!(j->stored & (1u << i)))
            continue;
        s->gt[(first + i) % GTES_PER_GT] = (uint32_t)(s->out_sector + j->at[i]);
        uint64_t start = (first + i) * GRAIN_BYTES;
        s->populated += s->raw_size - start < GRAIN_BYTES ? s->raw_size - start : GRAIN_BYTES;
    }
    s->gt_used = true;
    return out_write(s, j->out, j->out_len, err);
}

/* The last grain table, the grain directory, the footer (the header again,
 * with the directory's offset) and the end-of-stream marker. */
static int
write_tail(struct stream *s, struct ab_error *err)
{
    uint64_t gd_sectors = div_round_up(s->gd_entries * 4, SECTOR);
    if (gt_flush(s, err) < 0 || check_room(s, gd_sectors + 4, err) < 0)
        return -1;
    CLEANUP_FREE unsigned char *buf = calloc(gd_sectors + 4, SECTOR);
    if (!buf)
        return ab_oom(err);
    uint64_t gd_offset = s->out_sector + 1;
    marker_encode(buf, gd_sectors, MARKER_GD);
    for (uint64_t i = 0; i < s->gd_entries; i++)
        put_le32(buf + SECTOR + 4 * i, s->gd[i]);
    unsigned char *p = buf + (1 + gd_sectors) * SECTOR;
    marker_encode(p, 1, MARKER_FOOTER);
    header_encode(p + SECTOR, s->capacity, gd_offset);
    marker_encode(p + 2 * SECTOR, 0, MARKER_EOS);
    return out_write(s, buf, (gd_sectors + 4) * SECTOR, err);
}

/* ---- the pipeline (calling thread) ---- */

/* Queues jobs until every slot is taken or the image has no more data. */
static int
fill_queue(struct stream *s, struct ab_error *err)
{
    while (!s->producer_done && s->produced - s->written < s->n_slots) {
        struct job *j = &s->jobs[s->produced % s->n_slots];
        int r = next_job(s, j, err);
        if (r < 0)
            return -1;
        pthread_mutex_lock(&s->lock);
        if (r == 0)
            s->producer_done = true;
        else {
            j->state = JOB_QUEUED;
            s->produced++;
        }
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
    }
    return 0;
}

static void
report_progress(const struct stream *s, const struct vmdk_opts *o, uint64_t done)
{
    if (o->progress)
        o->progress(done < s->raw_size ? done : s->raw_size, s->raw_size, o->progress_opaque);
}

static int
pipeline_run(struct stream *s, const struct vmdk_opts *o, struct ab_error *err)
{
    for (;;) {
        if (o->stop && *o->stop)
            return ab_build_error(err, EINTR, "interrupted");
        if (fill_queue(s, err) < 0)
            return -1;
        if (s->written == s->produced)
            break; /* and producer_done: fill_queue stops short of it only when full */
        struct job *j = &s->jobs[s->written % s->n_slots];
        pthread_mutex_lock(&s->lock);
        while (j->state != JOB_DONE)
            pthread_cond_wait(&s->cond, &s->lock);
        pthread_mutex_unlock(&s->lock);
        if (job_commit(s, j, err) < 0)
            return -1;
        j->state = JOB_FREE;
        s->written++;
        report_progress(s, o, (j->chunk + 1) * CHUNK_GRAINS * GRAIN_BYTES);
    }
    report_progress(s, o, s->raw_size);
    return 0;
}

/* ---- setting up and tearing down ---- */

#define STREAM_INIT                                                                                \
    {                                                                                              \
        .raw_fd = -1, .out_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER,                             \
        .cond = PTHREAD_COND_INITIALIZER                                                           \
    }

static void
stream_stop_workers(struct stream *s)
{
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    for (unsigned i = 0; i < s->n_workers; i++)
        if (s->workers[i].started)
            pthread_join(s->workers[i].thread, NULL);
}

/* Stops the workers, frees everything and removes a partial output. */
static void
stream_release(struct stream *s)
{
    if (s->workers) {
        stream_stop_workers(s);
        for (unsigned i = 0; i < s->n_workers; i++) {
            libdeflate_free_compressor(s->workers[i].comp);
            free(s->workers[i].raw);
        }
        free(s->workers);
    }
    for (unsigned i = 0; s->jobs && i < s->n_slots; i++)
        free(s->jobs[i].out);
    free(s->jobs);
    free(s->gd);
    if (s->raw_fd >= 0)
        close(s->raw_fd);
    if (s->out_fd >= 0)
        close(s->out_fd);
    if (s->tmp_path)
        unlink(s->tmp_path);
    free(s->tmp_path);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
}

#define CLEANUP_STREAM __attribute__((cleanup(stream_release)))

static int
stream_open_input(struct stream *s, const char *raw_path, struct ab_error *err)
{
    struct stat st;
    s->raw_path = raw_path;
    s->raw_fd = open(raw_path, O_RDONLY | O_CLOEXEC);
    if (s->raw_fd < 0 || fstat(s->raw_fd, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", raw_path, strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return ab_build_error(err, EINVAL, "cannot read '%s': not a file", raw_path);
    off_t size = S_ISREG(st.st_mode) ? st.st_size : lseek(s->raw_fd, 0, SEEK_END);
    if (size < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", raw_path, strerror(errno));
    if (size == 0) /* qemu-img cannot open a VMDK of no sectors, even its own */
        return ab_build_error(err, EINVAL, "cannot convert '%s': the disk is empty", raw_path);
    s->raw_size = (uint64_t)size;
    s->capacity = div_round_up(s->raw_size, SECTOR);
    s->gd_entries = div_round_up(div_round_up(s->capacity, GRAIN_SECTORS), GTES_PER_GT);
    if (s->gd_entries > UINT32_MAX / 4)
        return ab_build_error(err, EFBIG, "'%s' is too large for a VMDK", raw_path);
    return 0;
}

/* The CPUs this process may run on (taskset, cgroup cpusets), else the
 * online ones. */
static unsigned
thread_count(unsigned wanted)
{
    cpu_set_t set;
    long n = wanted;
    if (n == 0 && sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0)
        n = 1;
    return n < (long)MAX_THREADS ? (unsigned)n : MAX_THREADS;
}

/* Allocates the jobs and the workers' buffers, and starts the workers. */
static int
stream_start(struct stream *s, const struct vmdk_opts *o, struct ab_error *err)
{
    int level = o->level ? o->level : VMDK_LEVEL_DEFAULT;
    if (level < VMDK_LEVEL_MIN || level > VMDK_LEVEL_MAX)
        return ab_build_error(err, EINVAL, "compression level %d is not between %d and %d", level,
                              VMDK_LEVEL_MIN, VMDK_LEVEL_MAX);
    s->n_workers = thread_count(o->threads);
    s->n_slots = 2 * s->n_workers + 2;
    s->gd = calloc(s->gd_entries ? s->gd_entries : 1, sizeof(*s->gd));
    s->jobs = calloc(s->n_slots, sizeof(*s->jobs));
    s->workers = calloc(s->n_workers, sizeof(*s->workers));
    if (!s->gd || !s->jobs || !s->workers)
        return ab_oom(err);
    for (unsigned i = 0; i < s->n_workers; i++) {
        struct worker *w = &s->workers[i];
        w->s = s;
        w->comp = libdeflate_alloc_compressor(level);
        w->raw = malloc((size_t)CHUNK_GRAINS * GRAIN_BYTES);
        if (!w->comp || !w->raw)
            return ab_oom(err);
    }
    size_t bound = libdeflate_zlib_compress_bound(s->workers[0].comp, GRAIN_BYTES);
    s->grain_out_max = (size_t)div_round_up(MARKER_BYTES + bound, SECTOR) * SECTOR;
    for (unsigned i = 0; i < s->n_slots; i++)
        if (!(s->jobs[i].out = malloc(CHUNK_GRAINS * s->grain_out_max)))
            return ab_oom(err);
    for (unsigned i = 0; i < s->n_workers; i++) {
        int e = pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]);
        if (e != 0)
            return ab_build_error(err, e, "cannot start a compression thread: %s", strerror(e));
        s->workers[i].started = true;
    }
    return 0;
}

/* The extent's name in the descriptor: the output's own basename. */
static const char *
extent_name(const char *vmdk_path, struct ab_error *err)
{
    const char *slash = strrchr(vmdk_path, '/');
    const char *base = slash ? slash + 1 : vmdk_path;
    if (!*base || strpbrk(base, "\"\n\r")) {
        ab_build_error(err, EINVAL, "cannot name '%s' in a VMDK descriptor", vmdk_path);
        return NULL;
    }
    return base;
}

/* Creates the output under a fresh temporary name beside vmdk_path. */
static int
stream_open_output(struct stream *s, const char *vmdk_path, struct ab_error *err)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        free(s->tmp_path);
        s->tmp_path = NULL;
        if (asprintf(&s->tmp_path, "%s.tmp-%ld-%08x", vmdk_path, (long)getpid(), random_u32()) < 0)
            return ab_oom(err);
        s->out_fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (s->out_fd >= 0)
            return 0;
        if (errno != EEXIST)
            break;
    }
    int e = errno;
    free(s->tmp_path);
    s->tmp_path = NULL;
    return ab_build_error(err, e, "cannot create '%s': %s", vmdk_path, strerror(e));
}

/* Closes the output, checking for late write errors, and renames it. */
static int
stream_commit(struct stream *s, const char *vmdk_path, struct ab_error *err)
{
    int fd = s->out_fd;
    s->out_fd = -1;
    if (close(fd) < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", s->tmp_path, strerror(errno));
    if (rename(s->tmp_path, vmdk_path) < 0)
        return ab_build_error(err, errno, "cannot rename '%s' to '%s': %s", s->tmp_path, vmdk_path,
                              strerror(errno));
    free(s->tmp_path);
    s->tmp_path = NULL;
    return 0;
}

int
vmdk_stream_write(const char *raw_path, const char *vmdk_path, const struct vmdk_opts *opts,
                  struct ab_error *err)
{
    const struct vmdk_opts defaults = VMDK_OPTS_INIT;
    const struct vmdk_opts *o = opts ? opts : &defaults;
    CLEANUP_STREAM struct stream s = STREAM_INIT;
    const char *name = extent_name(vmdk_path, err);

    s.on_write = o->written;
    s.on_write_opaque = o->written_opaque;
    if (!name || stream_open_input(&s, raw_path, err) < 0 || stream_start(&s, o, err) < 0 ||
        stream_open_output(&s, vmdk_path, err) < 0 || write_head(&s, name, o, err) < 0 ||
        pipeline_run(&s, o, err) < 0 || write_tail(&s, err) < 0 ||
        stream_commit(&s, vmdk_path, err) < 0) {
        ab_error_prefix(err, "while writing '%s'", vmdk_path);
        return -1;
    }
    if (o->populated)
        *o->populated = s.populated;
    return 0;
}
