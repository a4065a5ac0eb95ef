/* ovf_fuzz.c: libFuzzer harness for the OVF reader (ovf_read.h:
 * ovf_read_buffer).
 *
 * Each input is an OVF descriptor; when it reads, the summary is walked
 * as inspect prints it (each disk's format and controller, each file,
 * each problem) and freed. Seeds: tests/data/ovf/ (tests/fuzz/seeds.sh),
 * with the names of tests/fuzz/ovf.dict. */
#include <string.h>

#include "appliance/error.h"
#include "appliance/ovf_read.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ab_error err = AB_ERROR_INIT;
    struct ovf_summary *s = ovf_read_buffer("fuzz.ovf", (const char *)data, size, &err);
    if (s) {
        size_t sum = fuzz_len(s->name) + fuzz_len(s->product) + fuzz_len(s->firmware) + fuzz_len(s->os_type);
        for (size_t i = 0; i < s->n_disks; i++) {
            const struct ovf_disk *d = &s->disks[i];
            if (d->file >= (int)s->n_files || d->controller >= (int)s->n_controllers)
                abort(); /* an index outside its array */
            if (d->file >= 0)
                sum += fuzz_len(s->files[d->file].href);
            if (d->controller >= 0)
                sum += fuzz_len(ovf_controller_kind(s->controllers[d->controller].resource_type));
            sum += fuzz_len(ovf_format_name(d->format)) + fuzz_len(d->address) + fuzz_len(d->capacity_units);
        }
        for (size_t i = 0; i < s->n_nics; i++)
            sum += fuzz_len(s->nics[i].subtype) + fuzz_len(s->nics[i].network);
        for (size_t i = 0; i < s->n_problems; i++)
            sum += fuzz_len(s->problems[i]);
        if (s->problems && s->problems[s->n_problems])
            abort(); /* the list is NULL-terminated */
        (void)sum;
        ovf_summary_free(s);
    }
    ab_error_release(&err);
    return 0;
}
