/* configure_grow.c: appliance-grow, the service that grows each volume
 * group with its disk at boot (the plan says which volume takes the space:
 * plan_vg.grow_lv). The script, templates/appliance-grow, is POSIX sh for
 * both distribution families: sfdisk and partx (util-linux, fdisk on
 * Debian), LVM, resize2fs and xfs_growfs; this file writes its last lines,
 * one call per disk, and its unit (templates/appliance-grow.service, after
 * the volume groups are active and every filesystem is mounted, since xfs
 * grows only mounted, and before the console report shows the sizes).
 * Written into the tree in one place, install_grow(). */
#include "appliance/configure.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/nsrun.h"
#include "appliance/spawn.h"
#include "appliance/templates.h"

#define GROW_SCRIPT "/usr/libexec/appliance/appliance-grow"
#define GROW_UNIT "/etc/systemd/system/appliance-grow.service"
#define GROW_STATE "/var/lib/appliance/grow" /* the script's STATE */

/* " 'text'": one more word for sh, in single quotes, ' as '\''. */
static void
sh_quote(FILE *f, const char *text)
{
    fputs(" '", f);
    for (const char *c = text; *c; c++) {
        if (*c == '\'')
            fputs("'\\''", f);
        else
            fputc(*c, f);
    }
    fputc('\'', f);
}

/* One line per disk: `grow VG LV FS MOUNT DMNAME`, or why it does not. */
static int
grow_calls(const struct plan *plan, FILE *f)
{
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        const struct plan_vg *vg = &plan->disks[i].vg;
        if (!vg->grow_lv) {
            CLEANUP_FREE char *line = NULL;
            if (asprintf(&line, "%s: not grown: %s", vg->name,
                         vg->grow == PLAN_GROW_OFF ? "'grow: false'" : vg->grow_why) < 0)
                return -1;
            fputs("say", f);
            sh_quote(f, line);
            fputc('\n', f);
            continue;
        }
        CLEANUP_FREE char *dm = configure_dm_name(vg->name, vg->grow_lv->name);
        if (!dm)
            return -1;
        fputs("grow", f);
        sh_quote(f, vg->name);
        sh_quote(f, vg->grow_lv->name);
        sh_quote(f, fs_to_string(vg->grow_lv->fs));
        sh_quote(f, vg->grow_lv->mount);
        sh_quote(f, dm + strlen("/dev/mapper/"));
        fputc('\n', f);
    }
    return 0;
}

char *
configure_grow_script(const struct plan *plan)
{
    CLEANUP_FREE char *calls = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&calls, &len);
    if (!f)
        return NULL;
    int ret = grow_calls(plan, f);
    if (fclose(f) != 0 || ret < 0)
        return NULL;
    if (len > 0 && calls[len - 1] == '\n')
        calls[len - 1] = '\0'; /* the template ends the line */
    struct ab_error ignored = AB_ERROR_INIT;
    const struct template_value values[] = {
        {"NAME", plan->name}, {"VERSION", plan->version}, {"GROW_CALLS", calls}, {NULL, NULL}};
    char *text = templates_render("appliance-grow", values, &ignored);
    ab_error_release(&ignored);
    return text;
}

char *
configure_grow_record(const struct plan_disk *d)
{
    const struct plan_partition *pv = &d->parts[d->vg.pv_partition - 1];
    char *text = NULL;
    if (asprintf(&text, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", d->size / 512, pv->start / 512,
                 pv->size / 512) < 0)
        return NULL;
    return text;
}

/* The script, its unit, enabled, and the record of each growing disk as
 * built (so that a first boot on disks of that size reads sysfs only):
 * every write into the tree is here. */
static int
install_grow(const struct plan *plan, const char *root, const char *script,
             const struct spawn_ctx *ctx, struct ab_error *err)
{
    if (write_file(root, GROW_SCRIPT, script, 0755, err) < 0 ||
        templates_write(root, GROW_UNIT, 0644, "appliance-grow.service", NULL, err) < 0)
        return -1;
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        const struct plan_disk *d = &plan->disks[i];
        CLEANUP_FREE char *path = NULL, *record = configure_grow_record(d);
        if (!d->vg.grow_lv)
            continue;
        if (!record || asprintf(&path, GROW_STATE "/%s", d->vg.name) < 0)
            return ab_oom(err);
        if (write_file(root, path, record, 0644, err) < 0)
            return -1;
    }
    return nsrun_chroot(ctx, root, err, "systemctl", "enable", "--quiet", "appliance-grow.service",
                        NULL);
}

int
configure_grow(const struct plan *plan, const char *root, const struct spawn_ctx *ctx,
               struct ab_error *err)
{
    CLEANUP_FREE char *script = configure_grow_script(plan);
    if (!script)
        return ab_oom(err);
    if (install_grow(plan, root, script, ctx, err) < 0) {
        ab_error_prefix(err, "while installing appliance-grow");
        return -1;
    }
    return 0;
}
