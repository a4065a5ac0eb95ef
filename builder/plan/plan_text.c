/* plan_text.c: the plan as deterministic text, for people and golden tests. */
#include "appliance/plan.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/names.h"
#include "appliance/redact.h"
#include "appliance/size.h"

static void
write_flags(FILE *out, const struct ab_enum_table *t, unsigned flags)
{
    int first = 1;
    for (size_t i = 0; i < t->n; i++) {
        if (flags & (unsigned)ab_enum_at(t, i)->value) {
            fprintf(out, "%s%s", first ? "" : " ", ab_enum_at(t, i)->name);
            first = 0;
        }
    }
    if (first)
        fputs("none", out);
}

static void
write_header(const struct plan *p, FILE *out)
{
    fprintf(out, "appliance %s %s\n", p->name, p->version);
    if (*p->description)
        fprintf(out, "  description  %s\n", p->description);
    if (*p->vendor)
        fprintf(out, "  vendor       %s\n", p->vendor);
    if (*p->seed)
        fprintf(out, "  seed         %s\n", p->seed);
}

/* Values from --set and ${VAR}: where each came from. */
static void
write_params(const struct plan *p, FILE *out)
{
    const struct recipe *r = p->recipe;
    if (!r->n_params)
        return;
    fputs("\nparameters\n", out);
    for (size_t i = 0; i < r->n_params; i++)
        fprintf(out, "  %s = %s  (from %s)\n", r->params[i].key, r->params[i].value,
                r->params[i].from);
}

static const char *
mirror_text(const struct plan *p, char *buf, size_t size)
{
    if (!p->os.mirror)
        return "default";
    url_redact(p->os.mirror, buf, size);
    return buf;
}

/* Shown only when cloud-init is in the image, or was turned off. */
static void
write_cloud(const struct plan *p, FILE *out)
{
    char ds[64];
    if (p->cloud_off)
        fputs("  cloud-init   none: 'cloud: false'\n", out);
    if (!p->cloud)
        return;
    const char *list = plan_cloud_datasources(p->cloud, ds, sizeof(ds));
    fprintf(out, "  cloud-init   datasources %s\n",
            list ? list : "of the distribution's cloud-init ('cloud: true')");
}

static void
write_os(const struct plan *p, FILE *out)
{
    char mirror[2100];
    fputs("\nos\n", out);
    if (p->os.rootfs)
        fprintf(out, "  source       rootfs %s\n", p->os.rootfs);
    else
        fprintf(out, "  source       %s (family %s)\n", distro_to_string(p->os.distro),
                family_to_string(p->os.family));
    if (!p->os.rootfs)
        fprintf(out, "  mirror       %s\n", mirror_text(p, mirror, sizeof(mirror)));
    fputs("  packages    ", out);
    if (!p->os.packages || !p->os.packages[0])
        fputs(" none", out);
    for (char *const *s = p->os.packages; s && *s; s++)
        fprintf(out, " %s", *s);
    fputc('\n', out);
    fprintf(out, "  addons       ");
    write_flags(out, &addon_table, p->addons);
    fprintf(out, "\n  hostname     %s\n", p->os.hostname);
    fprintf(out, "  timezone     %s\n", p->os.timezone);
    fprintf(out, "  locale       %s\n", p->os.locale);
    fprintf(out, "  cmdline      %s\n", p->os.kernel_cmdline);
    write_cloud(p, out);
}

static void
write_hardware(const struct plan *p, FILE *out)
{
    char mem[SIZE_BUF];
    fputs("\nhardware\n", out);
    fprintf(out, "  arch         %s", arch_to_string(p->hardware.arch));
    enum arch all[2];
    size_t n = plan_arches(p->hardware.arches, all);
    for (size_t i = 0, others = 0; n > 1 && i < n; i++)
        if (all[i] != p->hardware.arch)
            fprintf(out, "%s%s", others++ ? ", " : " (the recipe also builds ", arch_to_string(all[i]));
    fputs(n > 1 ? ")\n" : "\n", out);
    fprintf(out, "  cpus         %u\n", p->hardware.cpus);
    fprintf(out, "  memory       %s\n", size_format(p->hardware.memory, mem, sizeof(mem)));
    fprintf(out, "  firmware     %s\n", firmware_to_string(p->hardware.firmware));
    fprintf(out, "  controller   %s\n", controller_to_string(p->hardware.controller));
    fprintf(out, "  nics         %u\n", p->hardware.nics);
    fprintf(out, "  secure boot  %s\n", p->hardware.secure_boot ? "on" : "off");
}

static void
write_partitions(const struct plan_disk *d, FILE *out)
{
    char sz[SIZE_BUF];
    fprintf(out, "  %-3s %-12s %-12s %-9s %-10s %-5s %s\n", "#", "start", "end", "size", "type",
            "fs", "use");
    for (size_t i = 0; i < d->n_parts; i++) {
        const struct plan_partition *pt = &d->parts[i];
        const char *use = pt->mount ? pt->mount : pt->role == PART_LVM ? d->vg.name : "-";
        fprintf(out, "  %-3u %-12" PRIu64 " %-12" PRIu64 " %-9s %-10s %-5s %s\n", pt->number,
                pt->start, pt->start + pt->size - 1, size_format(pt->size, sz, sizeof(sz)),
                part_role_to_string(pt->role), pt->fs == FS_NONE ? "-" : fs_to_string(pt->fs),
                use);
    }
}

static void
write_vg(const struct plan_disk *d, FILE *out)
{
    char a[SIZE_BUF], b[SIZE_BUF], c[SIZE_BUF];
    const struct plan_vg *vg = &d->vg;

    fprintf(out, "  vg %s on partition %u: extent %s, data from %s, %" PRIu64 " extents (%s), %" PRIu64
                 " free\n",
            vg->name, vg->pv_partition, size_format(vg->pe_size, a, sizeof(a)),
            size_format(vg->pe_start, b, sizeof(b)), vg->extents,
            size_format(vg->extents * vg->pe_size, c, sizeof(c)), vg->free_extents);
    fprintf(out, "    %-16s %-8s %-9s %-5s %s\n", "lv", "extents", "size", "fs", "mount");
    for (size_t i = 0; i < vg->n_lvs; i++) {
        const struct plan_lv *lv = &vg->lvs[i];
        fprintf(out, "    %-16s %-8" PRIu64 " %-9s %-5s %s", lv->name, lv->extents,
                size_format(lv->size, a, sizeof(a)), fs_to_string(lv->fs),
                lv->mount ? lv->mount : "-");
        if (lv->rest)
            fputs(lv->grows ? "  (rest, grows)" : "  (rest)", out);
        else if (lv->grows)
            fputs("  (grows)", out);
        else if (lv->requested != lv->size)
            fprintf(out, "  (%s asked, rounded up to whole extents)",
                    size_format(lv->requested, a, sizeof(a)));
        fputc('\n', out);
    }
}

/* Which volume takes the space when the disk grows (appliance-grow). */
static void
write_grow(const struct plan_disk *d, FILE *out)
{
    const struct plan_vg *vg = &d->vg;
    fputs("  grows        ", out);
    switch (vg->grow) {
    case PLAN_GROW_REST:
    case PLAN_GROW_VOLUME:
        fprintf(out, "%s/%s (%s%s%s): %s\n", vg->name, vg->grow_lv->name,
                fs_to_string(vg->grow_lv->fs), vg->grow_lv->mount ? ", " : "",
                vg->grow_lv->mount ? vg->grow_lv->mount : "",
                vg->grow == PLAN_GROW_REST ? "the volume that takes the rest" : "'grow: true'");
        return;
    case PLAN_GROW_OFF:
        fputs("nothing: 'grow: false'\n", out);
        return;
    case PLAN_GROW_NONE:
        break;
    }
    fprintf(out, "nothing: %s\n", vg->grow_why);
}

static void
write_disks(const struct plan *p, FILE *out)
{
    char sz[SIZE_BUF];
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        const struct plan_disk *d = &p->disks[i];
        fprintf(out, "\ndisk %s: %s (%" PRIu64 " bytes), gpt\n", d->id,
                size_format(d->size, sz, sizeof(sz)), d->size);
        write_partitions(d, out);
        write_vg(d, out);
        write_grow(d, out);
    }
}

static void
write_mounts(const struct plan *p, FILE *out)
{
    char dev[300];
    fputs("\nmount order\n", out);
    for (size_t i = 0; i < p->n_mounts; i++) {
        const struct plan_mount *m = &p->mounts[i];
        const struct plan_disk *d = &p->disks[m->disk];
        if (m->lv)
            plan_lv_device(&d->vg, m->lv, dev, sizeof(dev));
        else
            snprintf(dev, sizeof(dev), "disk %s partition %u", d->id, m->partition->number);
        fprintf(out, "  %-2zu %-20s %-5s %-12s %u  %s\n", i + 1, m->path, fs_to_string(m->fs),
                m->options, m->passno, dev);
    }
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        const struct plan_vg *vg = &p->disks[i].vg;
        for (size_t j = 0; j < vg->n_lvs; j++)
            if (vg->lvs[j].fs == FS_SWAP)
                fprintf(out, "  swap                    %s\n",
                        plan_lv_device(vg, &vg->lvs[j], dev, sizeof(dev)));
    }
}

static void
write_customisation(const struct plan *p, FILE *out)
{
    if (p->n_users) {
        fputs("\nusers\n", out);
        for (size_t i = 0; i < p->n_users; i++) {
            const struct recipe_user *u = &p->users[i];
            size_t keys = 0;
            for (char **k = u->ssh_authorized_keys; k && *k; k++)
                keys++;
            fprintf(out, "  %s: groups", u->name);
            if (!u->groups || !u->groups[0])
                fputs(" none", out);
            for (char **g = u->groups; g && *g; g++)
                fprintf(out, " %s", *g);
            fprintf(out, "; password %s; %zu ssh key%s\n", recipe_user_password_set(u) ? "set" : "locked",
                    keys, keys == 1 ? "" : "s");
        }
    }
    if (p->n_files) {
        fputs("\nfiles\n", out);
        for (size_t i = 0; i < p->n_files; i++) {
            const struct plan_file *f = &p->files[i];
            fprintf(out, "  %s -> %s (owner %s, mode ", f->src, f->dest, f->owner);
            if (f->mode >= 0)
                fprintf(out, "%04o)\n", (unsigned)f->mode);
            else
                fputs("kept)\n", out);
        }
    }
    if (p->run && p->run[0]) {
        fputs("\nrun\n", out);
        for (size_t i = 0; p->run[i]; i++) {
            char *shown = redact(p->run[i]); /* secret values hidden */
            const char *line = shown ? shown : "";
            fprintf(out, "  %zu. ", i + 1);
            for (const char *c = line; *c; c++) {
                fputc(*c, out);
                if (*c == '\n' && c[1])
                    fputs("     ", out);
            }
            if (line[0] == '\0' || line[strlen(line) - 1] != '\n')
                fputc('\n', out);
            free(shown);
        }
    }
}

static void
write_outputs(const struct plan *p, FILE *out)
{
    fputs("\noutputs\n  formats      ", out);
    write_flags(out, &output_table, p->outputs);
    if (p->outputs_implied) {
        fputs(" (implied: ", out);
        write_flags(out, &output_table, p->outputs_implied);
        fputc(')', out);
    }
    fputc('\n', out);
    if (p->outputs & (OUTPUT_OVA | OUTPUT_OVF)) {
        fprintf(out, "  ova target   %s\n", ova_target_to_string(p->ova.target));
        fprintf(out, "  ova digest   %s\n", digest_to_string(p->ova_digest));
        fprintf(out, "  hw family    %s\n", p->hardware_family);
        fprintf(out, "  guest id     %s\n", p->ova.os_type);
        fprintf(out, "  nic model    %s\n", p->ova.nic);
        fprintf(out, "  ctl model    %s\n", p->ova.controller ? p->ova.controller : "(none)");
        /* The OVF's ProductSection and EulaSection. */
        if (*p->product_url)
            fprintf(out, "  product url  %s\n", p->product_url);
        if (*p->vendor_url)
            fprintf(out, "  vendor url   %s\n", p->vendor_url);
        if (p->ova.eula)
            fprintf(out, "  eula         %s (%zu bytes, shown at import)\n", p->recipe->ova_eula,
                    strlen(p->ova.eula));
    }
}

int
plan_write_text(const struct plan *p, FILE *out)
{
    write_header(p, out);
    write_params(p, out);
    write_os(p, out);
    write_hardware(p, out);
    write_disks(p, out);
    write_mounts(p, out);
    write_customisation(p, out);
    write_outputs(p, out);
    return ferror(out) ? -1 : 0;
}
