/* report.h: build-report.json, what a pipeline reads after a build:
 * recipe, stage timings, disks and their sizes. */
#ifndef APPLIANCE_REPORT_H
#define APPLIANCE_REPORT_H

#include <pthread.h>
#include <stdbool.h>

#include "appliance/error.h"
#include "appliance/plan.h"

#define REPORT_MAX_STAGES 32

struct report {
    pthread_mutex_t lock; /* stages are recorded from two threads */
    struct {
        const char *name;
        double seconds;
    } stages[REPORT_MAX_STAGES];
    size_t n_stages;
    bool cache_hit;
    bool kvm;
    char kernel[128];
};

void report_init(struct report *r);
void report_release(struct report *r);
/* Records a stage's time; thread-safe. name must outlive r. */
void report_stage(struct report *r, const char *name, double seconds);

/* Writes dir/build-report.json; images are the two disk files. */
int report_write(struct report *r, const struct plan *plan, const char *dir,
                 const char *const *images, struct ab_error *err);

#endif
