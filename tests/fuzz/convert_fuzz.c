/* convert_fuzz.c: libFuzzer harness for what `appliance convert` reads
 * of its source's machine (convert.h: convert_hardware_read, which tells
 * a build-report.json, an OVF descriptor and a libvirt domain XML apart
 * by content; --hardware-from gives it a file from outside) and for the
 * plan made of it (convert_source.h: convert_source_plan).
 *
 * Each input is such a file, read through a memfd twice into the same
 * hardware, as the source's own description and --hardware-from are
 * layered; what it leaves unknown is given as the options would give it,
 * and the plan of two disks is made and written as text and as JSON.
 * Reading the source's disks (bundle.c, which runs qemu-img on them) is
 * left to bundle_fuzz, ova_fuzz and image_fuzz. Seeds: tests/data/ovf/,
 * tests/data/libvirt/ and the build reports of report_fuzz
 * (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/convert.h"
#include "appliance/error.h"
#include "appliance/plan.h"
#include "lifecycle/convert_source.h"

#include "fuzz.h"

static FILE *devnull;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    if (!(devnull = fopen("/dev/null", "w")))
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[32];
    fuzz_memfd_path(data, size, path);
    struct convert_source s = {.kind = "ova"};
    struct ab_error err = AB_ERROR_INIT;
    if (convert_hardware_read(path, &s.hw, &err) == 0 &&
        convert_hardware_read(path, &s.hw, &err) == 0) {
        if (s.hw.firmware < 0 || s.hw.controller < 0 || s.hw.distro < 0 || s.hw.nics > 8 ||
            s.hw.cpus > 1024 || !s.hw.from)
            abort(); /* a value outside what the readers accept */
        /* --cpus 2 --memory 1GiB --firmware uefi, where the file says nothing. */
        struct convert_request req = {.outputs = OUTPUT_OVA | OUTPUT_QCOW2 | OUTPUT_VHDX};
        if (!s.hw.cpus)
            s.hw.cpus = 2;
        if (!s.hw.memory)
            s.hw.memory = UINT64_C(1) << 30;
        if (!s.hw.firmware)
            s.hw.firmware = FIRMWARE_UEFI;
        s.disks[0].virtual_size = UINT64_C(6) << 30;
        s.disks[1].virtual_size = UINT64_C(2) << 30;
        const struct plan *p = convert_source_plan(&s, &req, &err);
        if (p) {
            plan_write_text(p, devnull);
            plan_write_json(p, devnull);
            plan_free(p);
        }
    }
    convert_hardware_release(&s.hw);
    ab_error_release(&err);
    return 0;
}
