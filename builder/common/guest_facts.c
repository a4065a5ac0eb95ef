/* guest_facts.c: what inspect found, freed; partition types named; the
 * device names both readers give (guest_facts.h). */
#include "appliance/guest_facts.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appliance/cleanup.h"
#include "appliance/gpt.h"

/* MBR partition types by fdisk's names; GPT's are gpt.h's. */
static const struct {
    const char *type;
    const char *name;
} mbr_types[] = {
    {"0x83", "Linux"},
    {"0x8e", "Linux LVM"},
    {"0x82", "Linux swap"},
    {"0xef", "EFI (FAT-12/16/32)"},
    {"0x5", "Extended"},
    {"0xf", "W95 Ext'd (LBA)"},
    {"0xc", "W95 FAT32 (LBA)"},
    {"0x7", "HPFS/NTFS/exFAT"},
    {"0xee", "GPT"},
};

const char *
inspect_part_type_name(const char *type)
{
    int gpt = gpt_type_from_guid(type);
    if (gpt >= 0)
        return gpt_type_name((enum gpt_type)gpt);
    for (size_t i = 0; type && i < sizeof(mbr_types) / sizeof(mbr_types[0]); i++)
        if (strcasecmp(mbr_types[i].type, type) == 0)
            return mbr_types[i].name;
    return NULL;
}

void
inspect_drive_device(size_t i, char out[16])
{
    /* sda..sdz, then sdaa..sdzz, as the kernel (and libguestfs) count */
    if (i < 26)
        snprintf(out, 16, "/dev/sd%c", 'a' + (int)i);
    else
        snprintf(out, 16, "/dev/sd%c%c", 'a' + (int)(i / 26 - 1) % 26, 'a' + (int)(i % 26));
}

int
inspect_note(char ***notes, const char *fmt, ...)
{
    size_t n = 0;
    while (*notes && (*notes)[n])
        n++;
    char **grown = realloc(*notes, (n + 2) * sizeof(char *));
    if (!grown)
        return -1;
    *notes = grown;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&grown[n], fmt, ap);
    va_end(ap);
    grown[r < 0 ? n : n + 1] = NULL;
    return r < 0 ? -1 : 0;
}

void
inspect_os_release(struct inspect_os *os)
{
    free(os->root);
    free(os->type);
    free(os->distro);
    free(os->product);
    free(os->hostname);
    free(os->arch);
    free(os->package_format);
    ab_strv_free(os->mounts);
    ab_strv_free(os->kernels);
    ab_strv_free(os->grow_vgs);
    free(os->package_list);
    ab_strv_free(os->host_keys);
    ab_strv_free(os->notes);
}

void
inspect_guest_free(struct inspect_guest *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_disks; i++) {
        struct inspect_disk *d = &g->disks[i];
        for (size_t p = 0; p < d->n_parts; p++) {
            free(d->parts[p].device);
            free(d->parts[p].name);
            free(d->parts[p].type);
        }
        free(d->parts);
        free(d->device);
        free(d->table);
    }
    free(g->disks);
    for (size_t i = 0; i < g->n_pvs; i++) {
        free(g->pvs[i].device);
        free(g->pvs[i].vg);
    }
    free(g->pvs);
    for (size_t i = 0; i < g->n_vgs; i++)
        free(g->vgs[i].name);
    free(g->vgs);
    for (size_t i = 0; i < g->n_lvs; i++) {
        free(g->lvs[i].device);
        free(g->lvs[i].vg);
        free(g->lvs[i].name);
    }
    free(g->lvs);
    for (size_t i = 0; i < g->n_fss; i++) {
        free(g->fss[i].device);
        free(g->fss[i].type);
        free(g->fss[i].label);
        free(g->fss[i].uuid);
    }
    free(g->fss);
    for (size_t i = 0; i < g->n_oses; i++)
        inspect_os_release(&g->oses[i]);
    free(g->oses);
    free(g->appliance_why);
    ab_strv_free(g->notes);
    free(g);
}
