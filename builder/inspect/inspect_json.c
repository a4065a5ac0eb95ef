/* inspect_json.c: what `appliance inspect` found, as JSON (json-c) for
 * pipelines. Sizes in bytes; absent facts are null. */
#include "appliance/inspect.h"

#include <json-c/json.h>
#include <string.h>

#include "appliance/jsonutil.h"
#include "appliance/ova_target.h"
#include "appliance/manifest.h"

static json_object *
strv(char *const *v, size_t step)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; v && v[i]; i += step)
        json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

static json_object *
ovf_hardware(const struct ovf_summary *s)
{
    json_object *ctrls = json_object_new_array(), *nics = json_object_new_array();
    for (size_t i = 0; i < s->n_controllers; i++) {
        json_object *c = json_object_new_object();
        put_str(c, "id", s->controllers[i].instance_id);
        put_str(c, "type", ovf_controller_kind(s->controllers[i].resource_type));
        json_object_object_add(c, "resource_type",
                               json_object_new_int((int)s->controllers[i].resource_type));
        put_str(c, "subtype", s->controllers[i].subtype);
        json_object_array_add(ctrls, c);
    }
    for (size_t i = 0; i < s->n_nics; i++) {
        json_object *n = json_object_new_object();
        put_str(n, "subtype", s->nics[i].subtype);
        put_str(n, "network", s->nics[i].network);
        json_object_array_add(nics, n);
    }
    json_object *h = json_object_new_object();
    put_str(h, "system_type", s->system_type);
    json_object_object_add(h, "cpus", json_object_new_int((int)s->cpus));
    put_u64(h, "memory", s->memory);
    put_str(h, "firmware", s->firmware);
    json_object_object_add(h, "controllers", ctrls);
    json_object_object_add(h, "nics", nics);
    return h;
}

static json_object *
ovf_disks(const struct ovf_summary *s)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < s->n_disks; i++) {
        const struct ovf_disk *d = &s->disks[i];
        const struct ovf_file *f = d->file >= 0 ? &s->files[d->file] : NULL;
        json_object *o = json_object_new_object();
        put_str(o, "id", d->id);
        put_str(o, "file", f ? f->href : NULL);
        json_object_object_add(o, "size",
                               f && f->has_size ? json_object_new_int64((int64_t)f->size) : NULL);
        put_u64(o, "capacity", d->capacity);
        json_object_object_add(o, "populated_size",
                               d->has_populated ? json_object_new_int64((int64_t)d->populated_size)
                                                : NULL);
        put_str(o, "format", d->format);
        put_str(o, "controller",
                d->controller >= 0 ? s->controllers[d->controller].instance_id : NULL);
        put_str(o, "address", d->address);
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *
ovf_object(const struct bundle *b)
{
    const struct ovf_summary *s = b->ovf;
    json_object *o = json_object_new_object();
    put_str(o, "source", b->ovf_source);
    put_str(o, "name", s->name);
    put_str(o, "product", s->product);
    put_str(o, "vendor", s->vendor);
    put_str(o, "version", s->version);
    put_str(o, "full_version", s->full_version);
    json_object_object_add(o, "os_id", s->has_os_id ? json_object_new_int((int)s->os_id) : NULL);
    put_str(o, "os_type", s->os_type);
    put_str(o, "os_description", s->os_description);
    json_object_object_add(o, "hardware", ovf_hardware(s));
    json_object_object_add(o, "disks", ovf_disks(s));
    return o;
}

static json_object *
checks_array(const struct bundle *b)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < b->n_checks; i++) {
        const struct bundle_check *c = &b->checks[i];
        json_object *o = json_object_new_object();
        put_str(o, "manifest", c->manifest);
        put_str(o, "file", c->file);
        put_str(o, "algorithm", manifest_algo_name(c->algo));
        put_str(o, "expected", c->expected);
        put_str(o, "actual", c->actual[0] ? c->actual : NULL);
        put_str(o, "state", check_state_name(c->state));
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *
target_object(const struct target_report *t)
{
    json_object *o = json_object_new_object(), *a = json_object_new_array();
    put_str(o, "name", ova_target_to_string(t->target));
    put_str(o, "importer", ova_target_profile(t->target)->importer);
    for (size_t i = 0; i < t->n_findings; i++) {
        json_object *f = json_object_new_object();
        put_str(f, "verdict", target_verdict_name(t->findings[i].verdict));
        put_str(f, "rule", t->findings[i].rule);
        put_str(f, "message", t->findings[i].message);
        json_object_array_add(a, f);
    }
    json_object_object_add(o, "findings", a);
    json_object_object_add(o, "ok", json_object_new_boolean(target_report_ok(t)));
    return o;
}

static json_object *
bundle_object(const struct bundle *b)
{
    json_object *o = json_object_new_object(), *images = json_object_new_array();
    put_str(o, "path", b->path);
    put_str(o, "kind", bundle_kind_name(b->kind));
    put_str(o, "name", b->name);
    json_object_object_add(o, "ovf", b->ovf ? ovf_object(b) : NULL);
    json_object_object_add(o, "checks", checks_array(b));
    json_object_object_add(o, "problems", strv(b->problems, 1));
    for (size_t i = 0; i < b->n_disks; i++) {
        json_object *d = json_object_new_object();
        put_str(d, "name", b->disks[i].name);
        put_str(d, "format", b->disks[i].format);
        put_u64(d, "virtual_size", b->disks[i].virtual_size);
        put_u64(d, "file_size", b->disks[i].file_size);
        json_object_array_add(images, d);
    }
    json_object_object_add(o, "images", images);
    json_object_object_add(o, "ok", json_object_new_boolean(bundle_ok(b)));
    return o;
}

static json_object *
disk_object(const struct inspect_disk *d)
{
    json_object *o = json_object_new_object(), *parts = json_object_new_array();
    put_str(o, "device", d->device);
    put_str(o, "image", d->name);
    put_str(o, "format", d->format);
    put_u64(o, "size", d->size);
    put_str(o, "partition_table", d->table);
    for (size_t i = 0; i < d->n_parts; i++) {
        const struct inspect_part *p = &d->parts[i];
        json_object *po = json_object_new_object();
        json_object_object_add(po, "number", json_object_new_int((int)p->number));
        put_str(po, "device", p->device);
        put_u64(po, "start", p->start);
        put_u64(po, "size", p->size);
        put_str(po, "name", p->name);
        put_str(po, "type", p->type);
        put_str(po, "type_name", p->type_name);
        json_object_array_add(parts, po);
    }
    json_object_object_add(o, "partitions", parts);
    return o;
}

static json_object *
lvm_objects(const struct inspect_guest *g, json_object *guest)
{
    json_object *pvs = json_object_new_array(), *vgs = json_object_new_array(),
                *lvs = json_object_new_array();
    for (size_t i = 0; i < g->n_pvs; i++) {
        json_object *o = json_object_new_object();
        put_str(o, "device", g->pvs[i].device);
        put_u64(o, "size", g->pvs[i].size);
        put_u64(o, "free", g->pvs[i].free);
        put_str(o, "vg", g->pvs[i].vg);
        json_object_array_add(pvs, o);
    }
    for (size_t i = 0; i < g->n_vgs; i++) {
        json_object *o = json_object_new_object();
        put_str(o, "name", g->vgs[i].name);
        put_u64(o, "size", g->vgs[i].size);
        put_u64(o, "free", g->vgs[i].free);
        json_object_object_add(o, "pv_count", json_object_new_int((int)g->vgs[i].n_pvs));
        json_object_object_add(o, "lv_count", json_object_new_int((int)g->vgs[i].n_lvs));
        json_object_array_add(vgs, o);
    }
    for (size_t i = 0; i < g->n_lvs; i++) {
        json_object *o = json_object_new_object();
        put_str(o, "device", g->lvs[i].device);
        put_str(o, "vg", g->lvs[i].vg);
        put_str(o, "name", g->lvs[i].name);
        put_u64(o, "size", g->lvs[i].size);
        json_object_array_add(lvs, o);
    }
    json_object_object_add(guest, "pvs", pvs);
    json_object_object_add(guest, "vgs", vgs);
    json_object_object_add(guest, "lvs", lvs);
    return guest;
}

static const char *
known(const char *s)
{
    return s && *s && strcmp(s, "unknown") != 0 ? s : NULL;
}

static const char *
source_name(enum inspect_source s)
{
    return s == SOURCE_HOST ? "host" : "appliance";
}

static json_object *
os_object(const struct inspect_os *os)
{
    json_object *o = json_object_new_object(), *mounts = json_object_new_array();
    put_str(o, "root", os->root);
    put_str(o, "type", known(os->type));
    put_str(o, "distro", known(os->distro));
    json_object_object_add(o, "major_version", json_object_new_int(os->major));
    json_object_object_add(o, "minor_version", json_object_new_int(os->minor));
    put_str(o, "product_name", known(os->product));
    put_str(o, "hostname", known(os->hostname));
    put_str(o, "arch", known(os->arch));
    put_str(o, "package_format", known(os->package_format));
    json_object_object_add(o, "packages",
                           os->packages >= 0 ? json_object_new_int64(os->packages) : NULL);
    json_object_object_add(o, "kernels", strv(os->kernels, 1));
    json_object *grow = json_object_new_object();
    json_object_object_add(grow, "installed", json_object_new_boolean(os->grow_unit));
    json_object_object_add(grow, "enabled", json_object_new_boolean(os->grow_enabled));
    json_object_object_add(grow, "volume_groups", strv(os->grow_vgs, 1));
    json_object_object_add(o, "grow_service", grow);
    static const char *const ids[] = {
        [MACHINE_ID_UNKNOWN] = NULL,
        [MACHINE_ID_ABSENT] = "absent",
        [MACHINE_ID_EMPTY] = "empty",
        [MACHINE_ID_SET] = "set",
    };
    json_object *identity = json_object_new_object();
    put_str(identity, "machine_id", ids[os->machine_id]);
    json_object_object_add(identity, "ssh_host_keys", strv(os->host_keys, 1));
    json_object_object_add(o, "identity", identity);
    put_str(o, "read_by", source_name(os->source));
    json_object_object_add(o, "complete", json_object_new_boolean(!os->incomplete));
    json_object_object_add(o, "notes", strv(os->notes, 1));
    for (size_t i = 0; os->mounts && os->mounts[i] && os->mounts[i + 1]; i += 2) {
        json_object *m = json_object_new_object();
        put_str(m, "path", os->mounts[i]);
        put_str(m, "device", os->mounts[i + 1]);
        json_object_array_add(mounts, m);
    }
    json_object_object_add(o, "mounts", mounts);
    return o;
}

static json_object *
guest_object(const struct inspect_guest *g)
{
    json_object *o = json_object_new_object(), *disks = json_object_new_array(),
                *fss = json_object_new_array(), *oses = json_object_new_array();
    put_str(o, "read_by", source_name(g->source));
    json_object_object_add(o, "host_seconds", json_object_new_double(g->host_seconds));
    put_str(o, "appliance_reason", g->appliance_why);
    json_object_object_add(o, "launch_seconds", json_object_new_double(g->launch_seconds));
    json_object_object_add(o, "read_seconds", json_object_new_double(g->read_seconds));
    json_object_object_add(o, "notes", strv(g->notes, 1));
    for (size_t i = 0; i < g->n_disks; i++)
        json_object_array_add(disks, disk_object(&g->disks[i]));
    json_object_object_add(o, "disks", disks);
    lvm_objects(g, o);
    for (size_t i = 0; i < g->n_fss; i++) {
        json_object *f = json_object_new_object();
        put_str(f, "device", g->fss[i].device);
        put_str(f, "type", g->fss[i].type);
        put_str(f, "label", g->fss[i].label);
        put_str(f, "uuid", g->fss[i].uuid);
        put_u64(f, "size", g->fss[i].size);
        json_object_object_add(f, "used",
                               g->fss[i].used >= 0 ? json_object_new_int64(g->fss[i].used) : NULL);
        json_object_array_add(fss, f);
    }
    json_object_object_add(o, "filesystems", fss);
    for (size_t i = 0; i < g->n_oses; i++)
        json_object_array_add(oses, os_object(&g->oses[i]));
    json_object_object_add(o, "operating_systems", oses);
    return o;
}

int
inspect_write_json(const struct inspect_report *r, FILE *out)
{
    json_object *root = json_object_new_object(), *bundles = json_object_new_array();
    for (size_t i = 0; i < r->n_bundles; i++) {
        json_object *b = bundle_object(r->bundles[i]);
        if (r->targets && r->targets[i])
            json_object_object_add(b, "target", target_object(r->targets[i]));
        json_object_array_add(bundles, b);
    }
    json_object_object_add(root, "bundles", bundles);
    json_object_object_add(root, "errors", strv(r->errors, 1));
    json_object_object_add(root, "verified", json_object_new_boolean(r->verified));
    json_object_object_add(root, "guest", r->guest ? guest_object(r->guest) : NULL);
    json_object_object_add(root, "ok", json_object_new_boolean(inspect_report_ok(r)));
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    int rc = fprintf(out, "%s\n", text) < 0 ? -1 : 0;
    json_object_put(root);
    return rc;
}
