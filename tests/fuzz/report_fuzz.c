/* report_fuzz.c: libFuzzer harness for the build-report.json reader
 * (report.h: report_parse).
 *
 * Each input is the text of a report (or of a plan, as `appliance plan
 * --json` writes one), NUL-terminated as report_load gives it; every
 * member read is then walked, as test, deploy, inspect and convert walk
 * them, and released; then it is read again as `appliance test` reads
 * it, for what a boot must show (boot_judge.h: boot_expect_parse).
 * Seeds: the plans of tests/data/recipes/valid/, and reports wrapping
 * them (tests/fuzz/seeds.sh). */
#include <string.h>

#include "appliance/boot_judge.h"
#include "appliance/error.h"
#include "appliance/report.h"

#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct ab_error err = AB_ERROR_INIT;
    struct report_info r;
    report_parse(text, "build-report.json", &r, &err);
    const struct report_plan *p = &r.plan;
    size_t sum = fuzz_len(r.name) + fuzz_len(p->name) + fuzz_len(p->version) + fuzz_len(p->description) +
                 fuzz_len(p->vendor) + fuzz_len(p->distro) + fuzz_len(p->hardware.firmware) +
                 fuzz_len(p->hardware.controller);
    for (size_t i = 0; i < p->n_mounts; i++)
        sum += fuzz_len(p->mounts[i].path) + fuzz_len(p->mounts[i].fs) + fuzz_len(p->mounts[i].disk) +
               fuzz_len(p->mounts[i].lv);
    for (size_t i = 0; i < p->n_vgs; i++) {
        sum += fuzz_len(p->vgs[i].name);
        for (size_t j = 0; j < p->vgs[i].n_lvs; j++)
            sum += fuzz_len(p->vgs[i].lvs[j].name) + fuzz_len(p->vgs[i].lvs[j].fs);
    }
    /* Each string is read whole (the top-level "name" is the plan's too
     * when the text is a plan): twice the text at most. */
    if (sum > 2 * size)
        abort();
    report_info_release(&r);
    ab_error_release(&err);

    struct boot_expect e = {0};
    if (boot_expect_parse(&e, text, "build-report.json", &err) == 0 && (!e.name || !e.firmware))
        abort(); /* an expectation without a name or a firmware */
    boot_expect_release(&e);
    ab_error_release(&err);
    free(text);
    return 0;
}
