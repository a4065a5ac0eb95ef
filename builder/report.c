/* report.c: build-report.json. */
#include "appliance/report.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "appliance/cli.h"

void
report_init(struct report *r)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
}

void
report_release(struct report *r)
{
    pthread_mutex_destroy(&r->lock);
}

void
report_stage(struct report *r, const char *name, double seconds)
{
    pthread_mutex_lock(&r->lock);
    if (r->n_stages < REPORT_MAX_STAGES) {
        r->stages[r->n_stages].name = name;
        r->stages[r->n_stages].seconds = seconds;
        r->n_stages++;
    }
    pthread_mutex_unlock(&r->lock);
}

static json_object *
disks_array(const struct plan *plan, const char *const *images)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        struct stat st;
        json_object *d = json_object_new_object();
        const char *base = strrchr(images[i], '/');
        json_object_object_add(d, "disk", json_object_new_string(plan->disks[i].id));
        json_object_object_add(d, "file", json_object_new_string(base ? base + 1 : images[i]));
        json_object_object_add(d, "format", json_object_new_string("raw"));
        if (stat(images[i], &st) == 0) {
            json_object_object_add(d, "size", json_object_new_int64(st.st_size));
            json_object_object_add(d, "allocated",
                                   json_object_new_int64((int64_t)st.st_blocks * 512));
        }
        json_object_array_add(a, d);
    }
    return a;
}

int
report_write(struct report *r, const struct plan *plan, const char *dir,
             const char *const *images, struct ab_error *err)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "appliance", json_object_new_string(APPLIANCE_VERSION));
    json_object_object_add(o, "name", json_object_new_string(plan->name));
    json_object_object_add(o, "version", json_object_new_string(plan->version));
    json_object_object_add(o, "kernel", json_object_new_string(r->kernel));
    json_object_object_add(o, "kvm", json_object_new_boolean(r->kvm));
    json_object_object_add(o, "root_tree_from_cache", json_object_new_boolean(r->cache_hit));
    json_object *stages = json_object_new_array();
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n_stages; i++) {
        json_object *s = json_object_new_object();
        json_object_object_add(s, "stage", json_object_new_string(r->stages[i].name));
        json_object_object_add(s, "seconds", json_object_new_double(r->stages[i].seconds));
        json_object_array_add(stages, s);
    }
    pthread_mutex_unlock(&r->lock);
    json_object_object_add(o, "stages", stages);
    json_object_object_add(o, "disks", disks_array(plan, images));
    json_object_object_add(o, "plan", plan_json_object(plan));

    char path[4096];
    snprintf(path, sizeof(path), "%s/build-report.json", dir);
    int ret = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    json_object_put(o);
    if (ret < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}
