/* imageinfo_fuzz.c: libFuzzer harness for the judge of what `qemu-img
 * info --output=json` says of an image from outside (image_check.h:
 * image_judge_info). qemu-img writes the JSON, but the names in it (a
 * backing file, a data file, VMDK extents, "json:" names) are the
 * image's.
 *
 * Each input is such an answer, NUL-terminated as spawn_run gives it,
 * judged for each format image_sniff can find, once for an image named
 * by its path and once for an OVA member named as image_member_name()
 * names it (whose "json:" name is parsed when an extent is compared with
 * it). A judgement fails exactly when it says why, and one that passes
 * gives the format asked. Seeds: the JSON files of tests/data/images/,
 * qemu-img's answers about images of every kind (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/error.h"
#include "appliance/image_check.h"

#include "fuzz.h"

static const char *const formats[] = {"raw", "qcow2", "vmdk", "vhdx", "vpc", "vdi"};

static void
judge(const char *json, const char *qemu_name, const char *format)
{
    struct ab_error err = AB_ERROR_INIT;
    struct image_info info;
    int r = image_judge_info(json, qemu_name, "fuzz.img", format, &info, &err);
    if ((r != 0 && r != -1) || (r < 0) != ab_error_is_set(&err) ||
        (r == 0 && strcmp(info.format, format) != 0))
        abort();
    ab_error_release(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size + 1);
    memcpy(json, data, size);
    json[size] = '\0';
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        char *member = image_member_name(formats[i], "/tmp/appliance-fixture/n.ova", 512, 65536);
        if (!member)
            abort();
        judge(json, "sparse.vmdk", formats[i]);
        judge(json, member, formats[i]);
        free(member);
    }
    free(json);
    return 0;
}
