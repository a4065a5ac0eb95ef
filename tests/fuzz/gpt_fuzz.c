/* gpt_fuzz.c: libFuzzer harness for the GPT reader (gpt.h).
 *
 * Each input is a raw disk image, handed to gpt_each and gpt_boot_kinds
 * through a memfd as the callers hand theirs: every entry is visited and
 * its type named, as inspect and convert do. Seeds: tables sfdisk writes
 * on small sparse files (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/bytes.h"
#include "appliance/error.h"
#include "appliance/gpt.h"

#include "fuzz.h"

struct seen {
    size_t n;
    uint64_t sum;
};

static int
visit(void *ctx, const struct gpt_entry *e)
{
    struct seen *s = ctx;
    s->n++;
    s->sum += e->last_lba - e->first_lba;
    for (int t = 0; t < GPT_N_TYPES; t++)
        if (gpt_entry_is(e, (enum gpt_type)t))
            s->sum += strlen(gpt_type_name((enum gpt_type)t));
    /* A caller that stops at the first match (lvm.c's note_lvm). */
    return gpt_entry_is(e, GPT_TYPE_LVM) && s->n > 64 ? 1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ab_error err = AB_ERROR_INIT;
    struct seen s = {0};
    int fd = fuzz_memfd(data, size);
    int r = gpt_each(fd, size, visit, &s, &err);
    if (r < 0 || r > 1)
        abort(); /* a memfd's bytes read without error; visit returns 0 or 1 */
    int kinds = gpt_boot_kinds(fd, size, &err);
    if (kinds < 0 || kinds > (GPT_BOOT_BIOS | GPT_BOOT_UEFI))
        abort();
    /* A size larger than the bytes: reads past the end come back short. */
    gpt_boot_kinds(fd, (uint64_t)size * 2 + SECTOR, &err);
    ab_error_release(&err);
    return 0;
}
