/* target_check.h: what an import target would make of a bundle
 * (`appliance inspect --target T`).
 *
 * The bundle's OVF summary and manifests are judged by the rules of T's
 * profile (ova_target.h): the hardware family it runs, the guest IDs it
 * knows, the digests it refuses, the capacity units, NIC and controller
 * models it reads, the disks it drops. Each finding names its rule and
 * the reason; a finding the importer refuses to import is a rejection,
 * one it imports differently from what the OVF says is ignored. */
#ifndef APPLIANCE_TARGET_CHECK_H
#define APPLIANCE_TARGET_CHECK_H

#include <stddef.h>

#include "appliance/bundle.h"
#include "appliance/enums.h"
#include "appliance/error.h"

enum target_verdict {
    TARGET_REJECTS, /* the import fails, or vSphere refuses or falls back */
    TARGET_IGNORES, /* the import goes on without what the OVF says */
};

struct target_finding {
    enum target_verdict verdict;
    const char *rule; /* "hardware family", "guest OS", "manifest digest", ... */
    char *message;    /* what, and why */
};

struct target_report {
    enum ova_target target;
    struct target_finding *findings;
    size_t n_findings;
};

/* Judges b for target into *out (to be freed with target_report_free).
 * A bundle without an OVF has nothing to judge. -1 only when out of
 * memory. */
int target_check(const struct bundle *b, enum ova_target target, struct target_report **out,
                 struct ab_error *err);

/* "rejects" or "ignores". */
const char *target_verdict_name(enum target_verdict v);

/* True when no finding is a rejection. */
bool target_report_ok(const struct target_report *r);

void target_report_free(struct target_report *r);

#endif
