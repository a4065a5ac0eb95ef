/* convert_report.c: convert-report.json (convert_report.h). */
#include "convert_report.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/enums.h"
#include "appliance/fsutil.h"
#include "appliance/jsonutil.h"
#include "appliance/report.h"
#include "appliance/version.h"

void
convert_report_init(struct convert_report *r, const struct convert_request *req,
                    const struct convert_source *src, const struct identity_result *identity)
{
    *r = (struct convert_report){.req = req, .src = src, .identity = identity};
}

void
convert_report_stage(struct convert_report *r, const char *name, double seconds)
{
    if (r->n_stages < CONVERT_REPORT_STAGES)
        r->stages[r->n_stages++] = (typeof(r->stages[0])){name, seconds};
}

int
convert_report_compared(struct convert_report *r, const char *file, int disk, struct ab_error *err)
{
    struct convert_compared *grown = realloc(r->compared, (r->n_compared + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    r->compared = grown;
    if (!(grown[r->n_compared].file = strdup(file)))
        return ab_oom(err);
    grown[r->n_compared++].disk = disk;
    return 0;
}

static json_object *
source_object(const struct convert_report *r)
{
    json_object *o = json_object_new_object();
    put_str(o, "kind", r->src->kind);
    put_str(o, "path", r->src->path);
    put_str(o, "hardware_from", r->src->hw_from);
    return o;
}

static json_object *
disks_array(const struct convert_report *r)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        const struct convert_disk *d = &r->src->disks[i];
        json_object *o = json_object_new_object();
        put_str(o, "disk", r->plan->disks[i].id);
        put_str(o, "vg", r->plan->disks[i].vg.name);
        put_str(o, "source", d->label);
        put_str(o, "format", d->format);
        put_u64(o, "virtual_size", d->virtual_size);
        put_u64(o, "file_size", d->file_size);
        put_str(o, "sha256", r->src_sha256[i][0] ? r->src_sha256[i] : NULL);
        json_object *cmp = json_object_new_array();
        for (size_t k = 0; k < r->n_compared; k++)
            if (r->compared[k].disk == i)
                json_object_array_add(cmp, json_object_new_string(r->compared[k].file));
        json_object_object_add(o, "identical", cmp);
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *
identity_object(const struct convert_report *r)
{
    json_object *o = json_object_new_object();
    bool clone = r->req->new_identity;
    put_str(o, "machine", clone ? "new" : "same");
    json_object_object_add(o, "machine_id_emptied", json_object_new_boolean(clone));
    put_u64(o, "ssh_host_keys_removed", clone ? r->identity->host_keys_removed : 0);
    put_str(o, "edited_by", clone ? r->identity_by : NULL);
    /* The descriptors pin no UUID or MAC (ovf.c, export_libvirt.c,
     * export_hyperv.c): each hypervisor makes its own at import. */
    put_str(o, "descriptors",
            "no UUID or MAC address is pinned: the hypervisor assigns them at "
            "import");
    return o;
}

static json_object *
report_object(const struct convert_report *r, const struct export_files *files)
{
    json_object *o = json_object_new_object();
    put_str(o, "appliance", APPLIANCE_VERSION);
    put_str(o, "name", r->plan->name);
    put_str(o, "version", r->plan->version);
    json_object_object_add(o, "source", source_object(r));
    put_str(o, "guest_changes",
            r->req->new_identity ? "machine-id emptied and SSH host keys removed (--new-identity)"
                                 : "none");
    put_str(o, "drivers",
            "every image of this project carries every hypervisor's drivers and "
            "add-ons: no guest change is needed");
    json_object_object_add(o, "identity", identity_object(r));
    json_object_object_add(o, "disks", disks_array(r));
    json_object *stages = json_object_new_array();
    for (size_t i = 0; i < r->n_stages; i++) {
        json_object *s = json_object_new_object();
        put_str(s, "stage", r->stages[i].name);
        json_object_object_add(s, "seconds", json_object_new_double(r->stages[i].seconds));
        json_object_array_add(stages, s);
    }
    json_object_object_add(o, "stages", stages);
    json_object_object_add(o, "files", report_files_json(r->plan, files));
    json_object_object_add(o, "plan", plan_json_object(r->plan));
    return o;
}

int
convert_report_write(const struct convert_report *r, const char *dir,
                     const struct export_files *files, struct ab_error *err)
{
    json_object *o = report_object(r, files);
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    char path[4096];
    snprintf(path, sizeof(path), "%s/convert-report.json", dir);
    CLEANUP_FREE char *line = NULL;
    int rc = text && asprintf(&line, "%s\n", text) >= 0
                 ? write_atomic_data(path, 0644, line, strlen(line), err)
                 : ab_oom(err);
    json_object_put(o);
    return rc;
}

void
convert_report_release(struct convert_report *r)
{
    for (size_t i = 0; r && i < r->n_compared; i++)
        free(r->compared[i].file);
    if (r)
        free(r->compared);
}
