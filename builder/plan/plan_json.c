/* plan_json.c: the plan as JSON (json-c), for pipelines. Sizes in bytes. */
#include "appliance/plan.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/jsonutil.h"
#include "appliance/names.h"
#include "appliance/redact.h"

static json_object *
flags_array(const struct ab_enum_table *t, unsigned flags)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < t->n; i++)
        if (flags & (unsigned)ab_enum_at(t, i)->value)
            json_object_array_add(a, json_object_new_string(ab_enum_at(t, i)->name));
    return a;
}

static json_object *
strv_array(char *const *v)
{
    json_object *a = json_object_new_array();
    for (; v && *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

/* The run lines as the plan shows them: secret values hidden. */
static json_object *
run_array(char *const *v)
{
    json_object *a = json_object_new_array();
    for (; v && *v; v++) {
        char *shown = redact(*v);
        json_object_array_add(a, json_object_new_string(shown ? shown : ""));
        free(shown);
    }
    return a;
}

/* cloud-init, present only when it is in the image or `cloud: false`
 * turned it off: its datasource_list (null: the distribution's). */
static json_object *
cloud_object(const struct plan *p)
{
    char ds[64];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "enabled", json_object_new_boolean(p->cloud != 0));
    const char *list = plan_cloud_datasources(p->cloud, ds, sizeof(ds));
    if (!list) {
        json_object_object_add(o, "datasource_list", NULL);
        return o;
    }
    json_object *a = json_object_new_array();
    for (char *save = NULL, *t = strtok_r(ds, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        json_object_array_add(a, json_object_new_string(t));
    json_object_object_add(o, "datasource_list", a);
    return o;
}

static json_object *
os_object(const struct plan *p)
{
    json_object *o = json_object_new_object();
    put_str(o, "distro", p->os.rootfs ? NULL : distro_to_string(p->os.distro));
    put_str(o, "family", family_to_string(p->os.family));
    put_str(o, "rootfs", p->os.rootfs);
    char mirror[2100];
    if (p->os.mirror)
        url_redact(p->os.mirror, mirror, sizeof(mirror));
    put_str(o, "mirror", p->os.mirror ? mirror : NULL);
    json_object_object_add(o, "packages", strv_array(p->os.packages));
    json_object_object_add(o, "addons", flags_array(&addon_table, p->addons));
    put_str(o, "hostname", p->os.hostname);
    put_str(o, "timezone", p->os.timezone);
    put_str(o, "locale", p->os.locale);
    put_str(o, "kernel_cmdline", p->os.kernel_cmdline);
    if (p->cloud || p->cloud_off)
        json_object_object_add(o, "cloud_init", cloud_object(p));
    return o;
}

static json_object *
hardware_object(const struct plan *p)
{
    json_object *o = json_object_new_object();
    put_str(o, "arch", arch_to_string(p->hardware.arch));
    json_object *arches = json_object_new_array();
    enum arch all[2];
    for (size_t i = 0, n = plan_arches(p->hardware.arches, all); i < n; i++)
        json_object_array_add(arches, json_object_new_string(arch_to_string(all[i])));
    json_object_object_add(o, "arches", arches);
    put_u64(o, "cpus", p->hardware.cpus);
    put_u64(o, "memory", p->hardware.memory);
    put_str(o, "firmware", firmware_to_string(p->hardware.firmware));
    put_str(o, "controller", controller_to_string(p->hardware.controller));
    put_u64(o, "nics", p->hardware.nics);
    json_object_object_add(o, "secure_boot", json_object_new_boolean(p->hardware.secure_boot));
    return o;
}

static const char *
grow_to_string(enum plan_grow g)
{
    switch (g) {
    case PLAN_GROW_REST:
        return "rest";
    case PLAN_GROW_VOLUME:
        return "volume";
    case PLAN_GROW_OFF:
        return "off";
    case PLAN_GROW_NONE:
        break;
    }
    return "none";
}

static json_object *
vg_object(const struct plan_vg *vg)
{
    json_object *o = json_object_new_object();
    put_str(o, "name", vg->name);
    put_u64(o, "pv_partition", vg->pv_partition);
    put_u64(o, "extent_size", vg->pe_size);
    put_u64(o, "data_offset", vg->pe_start);
    put_u64(o, "extents", vg->extents);
    put_u64(o, "free_extents", vg->free_extents);
    json_object *lvs = json_object_new_array();
    for (size_t i = 0; i < vg->n_lvs; i++) {
        const struct plan_lv *lv = &vg->lvs[i];
        json_object *l = json_object_new_object();
        put_str(l, "name", lv->name);
        put_str(l, "fs", fs_to_string(lv->fs));
        put_str(l, "mount", lv->mount);
        json_object_object_add(l, "rest", json_object_new_boolean(lv->rest));
        json_object_object_add(l, "grows", json_object_new_boolean(lv->grows));
        put_u64(l, "extents", lv->extents);
        put_u64(l, "size", lv->size);
        json_object_array_add(lvs, l);
    }
    json_object_object_add(o, "lvs", lvs);
    put_str(o, "grow", grow_to_string(vg->grow));
    put_str(o, "grow_lv", vg->grow_lv ? vg->grow_lv->name : NULL);
    return o;
}

static json_object *
disk_object(const struct plan_disk *d)
{
    json_object *o = json_object_new_object();
    put_str(o, "id", d->id);
    put_u64(o, "size", d->size);
    put_str(o, "table", "gpt");
    json_object *parts = json_object_new_array();
    for (size_t i = 0; i < d->n_parts; i++) {
        const struct plan_partition *pt = &d->parts[i];
        json_object *j = json_object_new_object();
        put_u64(j, "number", pt->number);
        put_str(j, "role", part_role_to_string(pt->role));
        put_str(j, "type_guid", part_role_type_guid(pt->role));
        put_u64(j, "start", pt->start);
        put_u64(j, "size", pt->size);
        put_str(j, "fs", pt->fs == FS_NONE ? NULL : fs_to_string(pt->fs));
        put_str(j, "mount", pt->mount);
        json_object_array_add(parts, j);
    }
    json_object_object_add(o, "partitions", parts);
    json_object_object_add(o, "vg", vg_object(&d->vg));
    return o;
}

static json_object *
mounts_array(const struct plan *p)
{
    char dev[300];
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < p->n_mounts; i++) {
        const struct plan_mount *m = &p->mounts[i];
        const struct plan_disk *d = &p->disks[m->disk];
        json_object *o = json_object_new_object();
        put_str(o, "path", m->path);
        put_str(o, "fs", fs_to_string(m->fs));
        put_str(o, "disk", d->id);
        if (m->lv)
            put_str(o, "lv", plan_lv_device(&d->vg, m->lv, dev, sizeof(dev)));
        else
            put_u64(o, "partition", m->partition->number);
        put_str(o, "options", m->options);
        put_u64(o, "passno", m->passno);
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *
users_array(const struct plan *p)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < p->n_users; i++) {
        const struct recipe_user *u = &p->users[i];
        json_object *o = json_object_new_object();
        put_str(o, "name", u->name);
        json_object_object_add(o, "groups", strv_array(u->groups));
        json_object_object_add(o, "password", json_object_new_boolean(recipe_user_password_set(u)));
        json_object_object_add(o, "ssh_authorized_keys", strv_array(u->ssh_authorized_keys));
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *
files_array(const struct plan *p)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < p->n_files; i++) {
        const struct plan_file *f = &p->files[i];
        json_object *o = json_object_new_object();
        put_str(o, "src", f->src);
        put_str(o, "dest", f->dest);
        put_str(o, "owner", f->owner);
        char mode[16];
        snprintf(mode, sizeof(mode), "%04o", (unsigned)(f->mode & 07777));
        put_str(o, "mode", f->mode >= 0 ? mode : NULL);
        json_object_array_add(a, o);
    }
    return a;
}

struct json_object *
plan_json_object(const struct plan *p)
{
    json_object *o = json_object_new_object();
    put_u64(o, "recipe", 1);
    put_str(o, "name", p->name);
    put_str(o, "version", p->version);
    put_str(o, "description", p->description);
    put_str(o, "vendor", p->vendor);
    if (*p->seed)
        put_str(o, "seed", p->seed);
    if (p->recipe->n_params) {
        json_object *params = json_object_new_array();
        for (size_t i = 0; i < p->recipe->n_params; i++) {
            json_object *one = json_object_new_object();
            put_str(one, "key", p->recipe->params[i].key);
            put_str(one, "value", p->recipe->params[i].value);
            put_str(one, "from", p->recipe->params[i].from);
            json_object_array_add(params, one);
        }
        json_object_object_add(o, "parameters", params);
    }
    json_object_object_add(o, "os", os_object(p));
    json_object_object_add(o, "hardware", hardware_object(p));
    json_object *disks = json_object_new_array();
    for (int i = 0; i < PLAN_N_DISKS; i++)
        json_object_array_add(disks, disk_object(&p->disks[i]));
    json_object_object_add(o, "disks", disks);
    json_object_object_add(o, "mounts", mounts_array(p));
    json_object_object_add(o, "users", users_array(p));
    json_object_object_add(o, "files", files_array(p));
    json_object_object_add(o, "run", run_array(p->run));
    json_object_object_add(o, "outputs", flags_array(&output_table, p->outputs));
    json_object *ova = json_object_new_object();
    put_str(ova, "target", ova_target_to_string(p->ova.target));
    put_str(ova, "digest", digest_to_string(p->ova_digest));
    put_str(ova, "hardware_family", p->hardware_family);
    put_str(ova, "os_type", p->ova.os_type);
    put_str(ova, "nic", p->ova.nic);
    if (p->ova.controller)
        put_str(ova, "controller", p->ova.controller);
    /* The OVF's ProductSection and EulaSection ("" and null: none). */
    put_str(ova, "product_url", p->product_url);
    put_str(ova, "vendor_url", p->vendor_url);
    json_object *eula = NULL;
    if (p->ova.eula) {
        eula = json_object_new_object();
        put_str(eula, "file", p->recipe->ova_eula);
        put_u64(eula, "bytes", strlen(p->ova.eula));
    }
    json_object_object_add(ova, "eula", eula);
    json_object_object_add(o, "ova", ova);
    return o;
}

int
plan_write_json(const struct plan *p, FILE *out)
{
    json_object *o = plan_json_object(p);
    const char *text =
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    int ret = fprintf(out, "%s\n", text) < 0 ? -1 : 0;
    json_object_put(o);
    return ret;
}
