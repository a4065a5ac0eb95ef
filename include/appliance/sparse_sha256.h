/* sparse_sha256.h: the SHA-256 of a file whose holes and long runs of
 * zeros cost a table lookup, not a compression per 64 bytes.
 *
 * SHA-256 reads its input in 64-byte blocks, each folded into a state of
 * eight words; a run of N zero blocks entered in state S always leaves
 * the same state, whatever came before S. A disk image is mostly holes
 * (the demo's 8 GiB of raw disks hold 0.8 GiB of data), which must be
 * hashed as the zeros they read as, and the same disk rebuilt enters its
 * holes in the same states: the table (struct sha256_zeros) remembers,
 * for each long run hashed, (S, N) and the state after it, and is kept
 * in a file between builds. It maps the inputs of a pure function to its
 * output, so it can never be stale; an entry only saves the time.
 *
 * The state is nettle's (struct sha256_ctx), the one SHA-256 whose state
 * is a public structure; the digests are SHA-256's own, the same bytes as
 * sha256sum(1) prints. */
#ifndef APPLIANCE_SPARSE_SHA256_H
#define APPLIANCE_SPARSE_SHA256_H

#include <signal.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/hash.h"

/* Runs shorter than this (in 64-byte blocks: 1 MiB, one window) are
 * hashed, not looked up: a lookup saves less than it costs to keep. */
#define SPARSE_SHA256_MIN_RUN 16384u
/* The most entries a table keeps in its file, the most recently used
 * first (a build of the demo adds about 60). */
#define SPARSE_SHA256_MAX_ENTRIES 4096u

/* The remembered runs; thread-safe. */
struct sha256_zeros;

/* A table read from path when it exists (entries that do not parse are
 * dropped); path NULL keeps it in memory only. */
int sha256_zeros_open(const char *path, struct sha256_zeros **out, struct ab_error *err);

/* Writes the table back to its path (under a temporary name, renamed),
 * when it learnt anything since it was read: at most
 * SPARSE_SHA256_MAX_ENTRIES, those used or learnt by this process first. */
int sha256_zeros_save(struct sha256_zeros *z, struct ab_error *err);

/* What a table holds and what it saved since it was opened. */
struct sha256_zeros_stats {
    size_t entries;           /* runs it holds */
    size_t looked_up;         /* runs found there: not hashed */
    uint64_t looked_up_bytes; /* and their zeros */
    size_t learnt;            /* runs hashed and added */
    uint64_t learnt_bytes;
};

void sha256_zeros_stats(struct sha256_zeros *z, struct sha256_zeros_stats *out);

void sha256_zeros_free(struct sha256_zeros *z);

static inline void
sha256_zeros_cleanup(struct sha256_zeros **z)
{
    sha256_zeros_free(*z);
}
#define CLEANUP_SHA256_ZEROS __attribute__((cleanup(sha256_zeros_cleanup)))

/* The SHA-256 of the file at path, in lowercase hex. The file is taken
 * in windows of 1 MiB at multiples of 1 MiB: a window of zeros, a hole
 * (SEEK_DATA: never read) or zeros written out, joins a run of zeros, so
 * that the runs depend on the bytes alone, not on how the file happens
 * to be allocated; each run of at least SPARSE_SHA256_MIN_RUN blocks is
 * looked up in zeros (may be NULL) and learnt there when missing. Gives
 * up with EINTR between windows once *stop is set (stop may be NULL). */
int sparse_sha256_file(const char *path, struct sha256_zeros *zeros,
                       const volatile sig_atomic_t *stop, char hex[HASH_HEX_MAX],
                       struct ab_error *err);

/* The same for the open file fd, all of it whatever its offset (which
 * is moved), named name in messages. */
int sparse_sha256_fd(int fd, const char *name, struct sha256_zeros *zeros,
                     const volatile sig_atomic_t *stop, char hex[HASH_HEX_MAX],
                     struct ab_error *err);

#endif
