/* fsprobe_fuzz.c: libFuzzer harness for the filesystem probe (diskread's
 * fsprobe.c): each input is a volume's first bytes, given as they are
 * (copied to a buffer of their size, so that a read past it is caught)
 * with sizes of the volume at, below and past them, and its first sector
 * as an MBR. What the probe fills is NUL-terminated. Seeds: ext2/3/4,
 * vfat, swap and xfs as their tools make them, an MBR (seeds.sh). */
#include <string.h>

#include "diskread/fsprobe.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    const uint64_t sizes[] = {size, size / 2, (uint64_t)size + (1u << 20)};
    for (size_t i = 0; i < 3; i++) {
        struct fs_probe p;
        int r = fs_probe(buf, size, sizes[i], &p);
        if (strnlen(p.type, sizeof(p.type)) == sizeof(p.type) ||
            strnlen(p.uuid, sizeof(p.uuid)) == sizeof(p.uuid) ||
            strnlen(p.label, sizeof(p.label)) == sizeof(p.label) || (r == 1) != (p.type[0] != 0))
            abort();
    }
    fs_probe_mbr(buf, size);
    free(buf);
    return 0;
}
