/* inspect.h: what `appliance inspect` found, written for people or as
 * JSON for pipelines (inspect_text.c, inspect_json.c), the way plan.h's
 * writers print a plan. */
#ifndef APPLIANCE_INSPECT_H
#define APPLIANCE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "appliance/bundle.h"
#include "appliance/engine_inspect.h"
#include "appliance/target_check.h"

struct inspect_report {
    struct bundle **bundles; /* the arguments that could be read, in order */
    size_t n_bundles;
    char **errors; /* NULL-terminated: the messages of what could not be read */
    size_t n_errors;
    bool verified;               /* the manifests' digests were recomputed */
    struct inspect_guest *guest; /* NULL: the disks were not read */
    struct target_report **targets; /* --target: one per bundle; NULL: none asked */
};

/* True when nothing failed: every argument read, every digest matching,
 * no problem found, nothing the --target importer rejects. */
bool inspect_report_ok(const struct inspect_report *r);

/* Human-readable, sizes rounded (MiB, GiB). */
int inspect_write_text(const struct inspect_report *r, FILE *out);

/* One JSON object, sizes in bytes. */
int inspect_write_json(const struct inspect_report *r, FILE *out);

#endif
