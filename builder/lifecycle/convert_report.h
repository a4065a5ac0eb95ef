/* convert_report.h: convert-report.json, what a convert did: the source
 * (what it was, where its hardware came from), each disk's source format,
 * sizes and SHA-256, the identity (same machine or new), every converted
 * disk compared with its source, the stages' times, the files written
 * (as SHA256SUMS lists them), each with its output and the targets it
 * serves in build-report.json's shape (report_files_json), and the plan
 * the exporters had. */
#ifndef APPLIANCE_CONVERT_REPORT_H
#define APPLIANCE_CONVERT_REPORT_H

#include <stddef.h>

#include "appliance/convert.h"
#include "appliance/engine_identity.h"
#include "appliance/export.h"
#include "appliance/hash.h"
#include "convert_source.h"

#define CONVERT_REPORT_STAGES 8

struct convert_compared {
    char *file; /* relative to the output folder ("NAME-VERSION.ova:NAME-VERSION-os.vmdk") */
    int disk;
};

struct convert_report {
    const struct convert_request *req;
    const struct convert_source *src;
    const struct identity_result *identity;
    const char *identity_by; /* --new-identity: "host" (diskread.h) or "appliance" */
    const struct plan *plan;
    char src_sha256[PLAN_N_DISKS][HASH_HEX_MAX];
    struct {
        const char *name;
        double seconds;
    } stages[CONVERT_REPORT_STAGES];
    size_t n_stages;
    struct convert_compared *compared;
    size_t n_compared;
};

void convert_report_init(struct convert_report *r, const struct convert_request *req,
                         const struct convert_source *src, const struct identity_result *identity);
void convert_report_stage(struct convert_report *r, const char *name, double seconds);
/* Records that file, a converted copy of disk, compared identical. */
int convert_report_compared(struct convert_report *r, const char *file, int disk,
                            struct ab_error *err);
/* dir/convert-report.json, files being what the folder holds. */
int convert_report_write(const struct convert_report *r, const char *dir,
                         const struct export_files *files, struct ab_error *err);
void convert_report_release(struct convert_report *r);

#endif
