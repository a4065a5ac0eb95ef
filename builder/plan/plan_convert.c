/* plan_convert.c: the plan of an appliance that `appliance convert` was
 * given, made from what its source says instead of from a recipe. */
#include "appliance/plan.h"

#include <stdlib.h>
#include <string.h>

#include "appliance/names.h"
#include "plan_resolve.h"

static int
set_string(char **dst, const char *src, struct ab_error *err)
{
    if (!(*dst = strdup(src ? src : "")))
        return ab_oom(err);
    return 0;
}

static int
check_names(const struct plan_convert *c, struct ab_error *err)
{
    const char *why;
    if (!c->name)
        return ab_build_error(err, 0, "the source gives no name: use --name");
    if ((why = name_check_appliance(c->name)))
        return ab_build_error(err, 0, "invalid name '%s': %s", c->name, why);
    if (c->version && (why = name_check_version(c->version)))
        return ab_build_error(err, 0, "invalid version '%s': %s", c->version, why);
    return 0;
}

/* The VGs' names are kept by the synthesized recipe, which frees them. */
static int
set_disks(struct plan *plan, const struct plan_convert *c, struct ab_error *err)
{
    struct recipe_disk *rd[PLAN_N_DISKS] = {&plan->recipe->os_disk, &plan->recipe->app_disk};
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        enum plan_disk_id id = (enum plan_disk_id)i;
        if (c->vgs[i] && set_string(&rd[i]->vg, c->vgs[i], err) < 0)
            return -1;
        plan->disks[i].id = plan_disk_name(id);
        plan->disks[i].size = c->disk_sizes[i];
        plan->disks[i].vg.name = c->vgs[i] ? rd[i]->vg : plan_default_vg(id);
        plan->disks[i].vg.pe_size = PLAN_PE_SIZE;
        plan->disks[i].vg.grow = PLAN_GROW_NONE;
    }
    return 0;
}

const struct plan *
plan_for_convert(const struct plan_convert *c, struct ab_error *err)
{
    if (check_names(c, err) < 0)
        return NULL;
    struct plan *plan = calloc(1, sizeof(*plan));
    struct recipe *r = calloc(1, sizeof(*r));
    if (!plan || !r) {
        free(plan);
        free(r);
        ab_oom(err);
        return NULL;
    }
    plan->recipe = r;
    if (set_string(&r->name, c->name, err) < 0 ||
        set_string(&r->version, c->version ? c->version : "0", err) < 0 ||
        set_string(&r->description, c->description, err) < 0 ||
        set_string(&r->vendor, c->vendor, err) < 0) {
        plan_free(plan);
        return NULL;
    }
    plan->name = r->name;
    plan->version = r->version;
    plan->description = r->description;
    plan->vendor = r->vendor;
    plan->seed = ""; /* identities are the source's own, never derived anew */
    plan->os.distro = c->distro;
    plan->os.family = distro_family(c->distro);
    plan->hardware.arch = c->arch ? c->arch : ARCH_X86_64;
    plan->hardware.arches = plan->hardware.arch;
    plan->hardware.cpus = c->cpus;
    plan->hardware.memory = c->memory;
    plan->hardware.firmware = c->firmware;
    plan->hardware.secure_boot = c->secure_boot && (c->firmware & FIRMWARE_UEFI);
    plan->hardware.controller = c->controller;
    plan->hardware.nics = c->nics;
    if (set_disks(plan, c, err) < 0) {
        plan_free(plan);
        return NULL;
    }
    if (!(plan->stem = plan_stem(plan->name, plan->version, NULL))) {
        plan_free(plan);
        ab_oom(err);
        return NULL;
    }
    plan->addons = ADDON_ALL;
    plan->outputs_implied = output_implied(c->outputs);
    plan->outputs = c->outputs | plan->outputs_implied;
    plan_ova_from_profile(plan, OVA_TARGET_GENERIC);
    return plan;
}
