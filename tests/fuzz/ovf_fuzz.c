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

static size_t
len(const char *s)
{
    return s ? strlen(s) : 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ab_error err = AB_ERROR_INIT;
    struct ovf_summary *s = ovf_read_buffer("fuzz.ovf", (const char *)data, size, &err);
    if (s) {
        size_t sum = len(s->name) + len(s->product) + len(s->firmware) + len(s->os_type);
        for (size_t i = 0; i < s->n_disks; i++) {
            const struct ovf_disk *d = &s->disks[i];
            if (d->file >= (int)s->n_files || d->controller >= (int)s->n_controllers)
                abort(); /* an index outside its array */
            if (d->file >= 0)
                sum += len(s->files[d->file].href);
            if (d->controller >= 0)
                sum += len(ovf_controller_kind(s->controllers[d->controller].resource_type));
            sum += len(ovf_format_name(d->format)) + len(d->address) + len(d->capacity_units);
        }
        for (size_t i = 0; i < s->n_nics; i++)
            sum += len(s->nics[i].subtype) + len(s->nics[i].network);
        for (size_t i = 0; i < s->n_problems; i++)
            sum += len(s->problems[i]);
        if (s->problems && s->problems[s->n_problems])
            abort(); /* the list is NULL-terminated */
        (void)sum;
        ovf_summary_free(s);
    }
    ab_error_release(&err);
    return 0;
}
