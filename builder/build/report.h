/* report.h: build-report.json, what a pipeline reads after a build: the
 * recipe's digest, the tools' versions, stage timings, the resolved plan
 * (disk layout), the disks' sizes, every file shipped with its size and
 * SHA-256, and the installed packages (a simple SBOM). Password hashes
 * and file contents never appear in it. */
#ifndef APPLIANCE_REPORT_H
#define APPLIANCE_REPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "appliance/error.h"
#include "appliance/export.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

#define REPORT_MAX_STAGES 32

struct report {
    pthread_mutex_t lock; /* stages are recorded from two threads */
    struct {
        const char *name;
        double seconds;
    } stages[REPORT_MAX_STAGES];
    size_t n_stages;
    bool cache_hit;
    int64_t source_date_epoch; /* the build's one time (epoch.h) */
    bool epoch_from_env;       /* given by SOURCE_DATE_EPOCH, not the tree's */
    bool kvm;
    char kernel[128];
    uint64_t disk_size[PLAN_N_DISKS];      /* the raw disks' virtual sizes */
    uint64_t disk_allocated[PLAN_N_DISKS]; /* and the bytes they hold */
    char *packages;                        /* tree_packages()'s list, owned */
};

void report_init(struct report *r);
void report_release(struct report *r);
/* Records a stage's time; thread-safe. name must outlive r. */
void report_stage(struct report *r, const char *name, double seconds);

/* Writes dir/build-report.json; files are the output's files. The tools
 * asked for their versions run with ctx (may be NULL). */
int report_write(struct report *r, const struct plan *plan, const char *dir,
                 const struct export_files *files, const struct spawn_ctx *ctx,
                 struct ab_error *err);

#endif
