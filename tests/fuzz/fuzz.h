/* fuzz.h: what the libFuzzer harnesses of tests/fuzz/ share.
 *
 * A reader that takes a file descriptor is given the input through a
 * memfd holding exactly its bytes (fuzz_memfd); one that takes a path,
 * the memfd's name under /proc/self/fd (fuzz_memfd_path), which opens
 * anew at its start. */
#ifndef APPLIANCE_FUZZ_H
#define APPLIANCE_FUZZ_H

#include <ftw.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* strlen of s, 0 for NULL: a harness reads every string a reader made. */
static inline size_t
fuzz_len(const char *s)
{
    return s ? strlen(s) : 0;
}

/* A memfd holding data (size bytes) and nothing else: one per process,
 * emptied and written again for each input (cheaper than a new one each
 * time); not to be closed. Aborts when it cannot be made or written: the
 * harness could test nothing then. */
static inline int
fuzz_memfd(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0 && (fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0)
        abort();
    if (ftruncate(fd, 0) < 0)
        abort();
    for (size_t done = 0; done < size;) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0)
            abort();
        done += (size_t)n;
    }
    return fd;
}

static inline int
fuzz_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Removes path and everything under it, following no link. */
static inline void
fuzz_remove_tree(const char *path)
{
    nftw(path, fuzz_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline char *
fuzz_dir_name(void)
{
    static char dir[PATH_MAX];
    return dir;
}

static inline void
fuzz_dir_remove(void)
{
    fuzz_remove_tree(fuzz_dir_name());
}

/* A folder of the harness's own, $TMPDIR/fuzz-XXXXXX, made at the first
 * call and removed at exit; aborts when it cannot be made. */
static inline const char *
fuzz_dir(void)
{
    char *dir = fuzz_dir_name();
    if (!*dir) {
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(dir, PATH_MAX, "%s/fuzz-XXXXXX", tmp);
        if (!mkdtemp(dir))
            abort();
        atexit(fuzz_dir_remove);
    }
    return dir;
}

/* The path of fuzz_memfd(data, size), into path. */
static inline const char *
fuzz_memfd_path(const uint8_t *data, size_t size, char path[32])
{
    snprintf(path, 32, "/proc/self/fd/%d", fuzz_memfd(data, size));
    return path;
}

#endif
