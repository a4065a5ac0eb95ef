/* fuzz.h: what the libFuzzer harnesses of tests/fuzz/ share.
 *
 * A reader that takes a file descriptor is given the input through a
 * memfd holding exactly its bytes (fuzz_memfd). */
#ifndef APPLIANCE_FUZZ_H
#define APPLIANCE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

#endif
