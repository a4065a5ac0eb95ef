/* diskread_fuzz.c: libFuzzer harness for a whole disk read on the host
 * (diskread.h): each input is a raw disk image, read through
 * /proc/self/fd of a memfd holding it: its GPT, each partition's LVM
 * label and metadata, the volume groups assembled and their logical
 * volumes mapped onto the disk, every volume's filesystem probed, ext2/3/4
 * opened through libext2fs, a root's fstab, links and files followed
 * (os-release, dpkg's status, ...). Everything it returns is walked and
 * freed. No rpm is run (PATH is emptied). Seeds: small disks holding a
 * GPT, a PV with one LV and an ext4 root with an OS's files (seeds.sh). */
#include <stdio.h>
#include <string.h>

#include "appliance/diskread.h"
#include "appliance/error.h"

#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setenv("PATH", "/nonexistent", 1);
    return 0;
}

static void
walk(const struct inspect_guest *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_disks; i++)
        for (size_t p = 0; p < g->disks[i].n_parts; p++)
            n += fuzz_len(g->disks[i].parts[p].device) + fuzz_len(g->disks[i].parts[p].name);
    for (size_t i = 0; i < g->n_fss; i++)
        n += fuzz_len(g->fss[i].label) + fuzz_len(g->fss[i].uuid);
    for (size_t i = 0; i < g->n_oses; i++) {
        const struct inspect_os *os = &g->oses[i];
        n += fuzz_len(os->product) + fuzz_len(os->hostname) + fuzz_len(os->distro);
        for (size_t k = 0; os->mounts && os->mounts[k]; k++)
            n += fuzz_len(os->mounts[k]);
        for (size_t k = 0; os->notes && os->notes[k]; k++)
            n += fuzz_len(os->notes[k]);
    }
    if (n == SIZE_MAX)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fuzz_memfd(data, size));
    struct inspect_drive drive = {path, "raw", "fuzz.img", size};
    struct inspect_guest *g = NULL;
    struct ab_error err = AB_ERROR_INIT;
    char *why = NULL;
    int r = diskread_guest(&drive, 1, NULL, &g, &why, &err);
    if ((r > 0) != (g != NULL) || (r == 0 && !why))
        abort();
    if (g)
        walk(g);
    inspect_guest_free(g);
    free(why);
    ab_error_release(&err);
    return 0;
}
