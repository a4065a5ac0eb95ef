/* inspect_text.c: what `appliance inspect` found, for people. */
#include "appliance/inspect.h"

#include <inttypes.h>
#include <string.h>

#include "appliance/ova_target.h"
#include "appliance/size.h"
#include "appliance/manifest.h"

#define SZ(v) size_format_round((v), (char[SIZE_BUF]){0}, SIZE_BUF)

bool
inspect_report_ok(const struct inspect_report *r)
{
    if (r->n_errors)
        return false;
    for (size_t i = 0; i < r->n_bundles; i++)
        if (!bundle_ok(r->bundles[i]) || (r->targets && !target_report_ok(r->targets[i])))
            return false;
    return true;
}

static void
write_target(const struct target_report *t, FILE *out)
{
    const struct ova_target_profile *p = ova_target_profile(t->target);
    fprintf(out, "  target %s (%s):%s\n", ova_target_to_string(t->target), p->importer,
            t->n_findings ? "" : " nothing rejected or ignored");
    for (size_t i = 0; i < t->n_findings; i++)
        fprintf(out, "    %s %s: %s\n", target_verdict_name(t->findings[i].verdict),
                t->findings[i].rule, t->findings[i].message);
}

static void
write_hardware(const struct ovf_summary *s, FILE *out)
{
    fprintf(out, "    hardware     %s, %u CPU%s, %s memory, firmware %s\n",
            s->system_type ? s->system_type : "(no system type)", s->cpus, s->cpus == 1 ? "" : "s",
            SZ(s->memory), s->firmware);
    for (size_t i = 0; i < s->n_controllers; i++) {
        const struct ovf_controller *c = &s->controllers[i];
        fprintf(out, "    controller   %s%s%s (InstanceID %s)\n",
                ovf_controller_kind(c->resource_type), c->subtype ? " " : "",
                c->subtype ? c->subtype : "", c->instance_id ? c->instance_id : "?");
    }
    for (size_t i = 0; i < s->n_nics; i++)
        fprintf(out, "    NIC          %s on '%s'\n", s->nics[i].subtype ? s->nics[i].subtype : "?",
                s->nics[i].network ? s->nics[i].network : "");
}

static void
write_ovf_disk(const struct ovf_summary *s, const struct ovf_disk *d, FILE *out)
{
    const struct ovf_file *f = d->file >= 0 ? &s->files[d->file] : NULL;
    fprintf(out, "    disk         %s: %s", d->id ? d->id : "?",
            f && f->href ? f->href : "(no file)");
    if (f && f->has_size)
        fprintf(out, ", file %s", SZ(f->size));
    fprintf(out, ", capacity %s", SZ(d->capacity));
    if (d->has_populated)
        fprintf(out, ", populated %s", SZ(d->populated_size));
    fprintf(out, ", %s", ovf_format_name(d->format));
    if (d->controller >= 0)
        fprintf(out, ", on %s controller %s at %s",
                ovf_controller_kind(s->controllers[d->controller].resource_type),
                s->controllers[d->controller].instance_id, d->address ? d->address : "?");
    fputc('\n', out);
}

static void
write_ovf(const struct bundle *b, FILE *out)
{
    const struct ovf_summary *s = b->ovf;
    fprintf(out, "  OVF descriptor %s\n", b->ovf_source);
    fprintf(out, "    product      %s", s->product ? s->product : "(none)");
    if (s->vendor)
        fprintf(out, ", vendor %s", s->vendor);
    if (s->version)
        fprintf(out, ", version %s", s->version);
    fprintf(out, "\n    name         %s\n", s->name ? s->name : "(none)");
    fprintf(out, "    OS           ");
    if (s->has_os_id)
        fprintf(out, "%u", s->os_id);
    if (s->os_type)
        fprintf(out, " %s", s->os_type);
    fprintf(out, "%s%s\n", s->os_description ? ": " : "",
            s->os_description ? s->os_description : "");
    write_hardware(s, out);
    for (size_t i = 0; i < s->n_disks; i++)
        write_ovf_disk(s, &s->disks[i], out);
}

static void
write_checks(const struct bundle *b, FILE *out)
{
    const char *manifest = NULL;
    for (size_t i = 0; i < b->n_checks; i++) {
        const struct bundle_check *c = &b->checks[i];
        if (!manifest || strcmp(manifest, c->manifest) != 0) {
            manifest = c->manifest;
            fprintf(out, "  manifest %s\n", manifest);
        }
        fprintf(out, "    %-11s %-6s %s\n", check_state_name(c->state), manifest_algo_name(c->algo),
                c->file);
    }
}

static void
write_bundle(const struct bundle *b, FILE *out)
{
    fprintf(out, "%s: ", b->path);
    switch (b->kind) {
    case BUNDLE_FOLDER:
        fprintf(out, "output folder of '%s'\n", b->name);
        break;
    case BUNDLE_OVA:
        fputs("OVA\n", out);
        break;
    case BUNDLE_OVF:
        fputs("OVF descriptor\n", out);
        break;
    case BUNDLE_DISK:
        fputs("disk image\n", out);
        break;
    }
    if (b->ovf)
        write_ovf(b, out);
    else if (b->kind != BUNDLE_DISK)
        fputs("  no OVF descriptor\n", out);
    if (b->kind != BUNDLE_DISK && b->ovf && b->n_checks == 0)
        fputs("  no manifest\n", out);
    write_checks(b, out);
    for (size_t i = 0; i < b->n_disks; i++) {
        const struct bundle_disk *d = &b->disks[i];
        fprintf(out, "  image %s: %s, %s (file %s)\n", d->name, d->format, SZ(d->virtual_size),
                SZ(d->file_size));
    }
    for (size_t i = 0; i < b->n_problems; i++)
        fprintf(out, "  problem: %s\n", b->problems[i]);
}

static void
write_disk(const struct inspect_disk *d, FILE *out)
{
    fprintf(out, "  %s  %s  %s, %s, %s\n", d->device, d->name, d->format, SZ(d->size),
            d->table ? d->table : "no partition table");
    for (size_t i = 0; i < d->n_parts; i++) {
        const struct inspect_part *p = &d->parts[i];
        fprintf(out, "    %-10s %9s at %-8s %s", p->device, SZ(p->size), SZ(p->start),
                p->type_name ? p->type_name
                : p->type    ? p->type
                             : "");
        if (p->name)
            fprintf(out, " '%s'", p->name);
        fputc('\n', out);
    }
}

static void
write_lvm(const struct inspect_guest *g, FILE *out)
{
    if (!g->n_pvs && !g->n_vgs)
        return;
    fputs("LVM\n", out);
    for (size_t v = 0; v < g->n_vgs; v++) {
        const struct inspect_vg *vg = &g->vgs[v];
        fprintf(out, "  VG %s  %s, %s free, %u PV%s, %u LV%s\n", vg->name, SZ(vg->size),
                SZ(vg->free), vg->n_pvs, vg->n_pvs == 1 ? "" : "s", vg->n_lvs,
                vg->n_lvs == 1 ? "" : "s");
        for (size_t p = 0; p < g->n_pvs; p++)
            if (g->pvs[p].vg && strcmp(g->pvs[p].vg, vg->name) == 0)
                fprintf(out, "    PV %-18s %s\n", g->pvs[p].device, SZ(g->pvs[p].size));
        for (size_t l = 0; l < g->n_lvs; l++)
            if (strcmp(g->lvs[l].vg, vg->name) == 0)
                fprintf(out, "    LV %-18s %s\n", g->lvs[l].device, SZ(g->lvs[l].size));
    }
    for (size_t p = 0; p < g->n_pvs; p++)
        if (!g->pvs[p].vg)
            fprintf(out, "  PV %s  %s, in no volume group\n", g->pvs[p].device, SZ(g->pvs[p].size));
}

static const char *
known(const char *s)
{
    return s && *s && strcmp(s, "unknown") != 0 ? s : NULL;
}

/* Whether a disk the hypervisor enlarges will be used: appliance-grow's
 * state, and the volume groups it knows. */
static void
write_grow(const struct inspect_os *os, FILE *out)
{
    if (!os->grow_unit) {
        fputs("    grow service: absent (a disk enlarged by the hypervisor stays unused)\n", out);
        return;
    }
    fprintf(out, "    grow service: %s", os->grow_enabled ? "enabled" : "installed, not enabled");
    for (size_t i = 0; os->grow_vgs && os->grow_vgs[i]; i++)
        fprintf(out, "%s%s", i ? ", " : " (grows ", os->grow_vgs[i]);
    fputs(os->grow_vgs && os->grow_vgs[0] ? ")\n" : "\n", out);
}

static void
write_identity(const struct inspect_os *os, FILE *out)
{
    static const char *const ids[] = {
        [MACHINE_ID_UNKNOWN] = "not read",
        [MACHINE_ID_ABSENT] = "absent",
        [MACHINE_ID_EMPTY] = "empty",
        [MACHINE_ID_SET] = "set",
    };
    size_t keys = 0;
    while (os->host_keys && os->host_keys[keys])
        keys++;
    fprintf(out, "    identity: machine-id %s, %zu SSH host key file%s\n", ids[os->machine_id],
            keys, keys == 1 ? "" : "s");
}

static void
write_os(const struct inspect_os *os, FILE *out)
{
    fprintf(out, "  %s  %s\n", os->root, known(os->product) ? os->product : "(no product name)");
    fprintf(out, "    %s %s %d.%d", known(os->type) ? os->type : "?",
            known(os->distro) ? os->distro : "?", os->major, os->minor);
    if (known(os->arch))
        fprintf(out, ", %s", os->arch);
    if (known(os->hostname))
        fprintf(out, ", hostname '%s'", os->hostname);
    if (os->packages >= 0)
        fprintf(out, ", %ld packages (%s)", os->packages,
                known(os->package_format) ? os->package_format : "?");
    fputc('\n', out);
    fprintf(out, "    read %s\n",
            os->source == SOURCE_HOST ? "on the host (libext2fs)" : "by the libguestfs appliance");
    for (size_t i = 0; os->kernels && os->kernels[i]; i++)
        fprintf(out, "    kernel %s\n", os->kernels[i]);
    write_grow(os, out);
    write_identity(os, out);
    for (size_t i = 0; os->mounts && os->mounts[i] && os->mounts[i + 1]; i += 2)
        fprintf(out, "    mount %-14s %s\n", os->mounts[i], os->mounts[i + 1]);
    for (size_t i = 0; os->notes && os->notes[i]; i++)
        fprintf(out, "    note: %s\n", os->notes[i]);
}

/* Who read the disks, and how long it took. */
static void
write_readers(const struct inspect_guest *g, FILE *out)
{
    fputs("disks (", out);
    if (g->source == SOURCE_HOST)
        fprintf(out, "read on the host, no VM: %.1f s", g->host_seconds);
    if (g->source == SOURCE_HOST && g->appliance_why)
        fputs("; the operating systems ", out);
    if (g->appliance_why)
        fprintf(out, "%s one read-only libguestfs appliance: started in %.1f s, read in %.1f s",
                g->source == SOURCE_HOST ? "through" : "read through", g->launch_seconds,
                g->read_seconds);
    fputs(")\n", out);
    if (g->appliance_why)
        fprintf(out, "  the appliance, since %s\n", g->appliance_why);
    for (size_t i = 0; g->notes && g->notes[i]; i++)
        fprintf(out, "  note: %s\n", g->notes[i]);
}

static void
write_guest(const struct inspect_guest *g, FILE *out)
{
    write_readers(g, out);
    for (size_t i = 0; i < g->n_disks; i++)
        write_disk(&g->disks[i], out);
    write_lvm(g, out);
    if (g->n_fss)
        fputs("filesystems\n", out);
    for (size_t i = 0; i < g->n_fss; i++) {
        const struct inspect_fs *f = &g->fss[i];
        fprintf(out, "  %-18s %-5s %9s", f->device, f->type, SZ(f->size));
        if (f->label)
            fprintf(out, "  label '%s'", f->label);
        if (f->uuid)
            fprintf(out, "  UUID %s", f->uuid);
        if (f->used >= 0)
            fprintf(out, "  %s used", SZ((uint64_t)f->used));
        fputc('\n', out);
    }
    fputs(g->n_oses ? "operating systems\n" : "operating systems: none found\n", out);
    for (size_t i = 0; i < g->n_oses; i++)
        write_os(&g->oses[i], out);
}

/* "ok", or what went wrong, counted. */
static void
write_result(const struct inspect_report *r, FILE *out)
{
    size_t bad = 0, problems = 0, unchecked = 0;
    for (size_t i = 0; i < r->n_bundles; i++) {
        const struct bundle *b = r->bundles[i];
        problems += b->n_problems;
        for (size_t c = 0; c < b->n_checks; c++) {
            bad += b->checks[c].state == CHECK_MISMATCH || b->checks[c].state == CHECK_MISSING;
            unchecked += b->checks[c].state == CHECK_PENDING;
        }
    }
    if (inspect_report_ok(r)) {
        fprintf(out, "result: ok%s\n", unchecked ? " (digests not checked)" : "");
        return;
    }
    size_t rejected = 0;
    for (size_t i = 0; r->targets && i < r->n_bundles; i++)
        for (size_t f = 0; r->targets[i] && f < r->targets[i]->n_findings; f++)
            rejected += r->targets[i]->findings[f].verdict == TARGET_REJECTS;
    fprintf(out, "result: %zu digest%s not matching, %zu problem%s, %zu unreadable", bad,
            bad == 1 ? "" : "s", problems, problems == 1 ? "" : "s", r->n_errors);
    if (r->targets)
        fprintf(out, ", %zu rejected by the target", rejected);
    fputc('\n', out);
}

int
inspect_write_text(const struct inspect_report *r, FILE *out)
{
    for (size_t i = 0; i < r->n_bundles; i++) {
        write_bundle(r->bundles[i], out);
        if (r->targets && r->targets[i])
            write_target(r->targets[i], out);
        fputc('\n', out);
    }
    if (r->guest) {
        write_guest(r->guest, out);
        fputc('\n', out);
    }
    write_result(r, out);
    return ferror(out) ? -1 : 0;
}
