/* fsids.c: filesystem identities derived from the plan, and /etc/fstab. */
#include "appliance/fsids.h"

#include "appliance/cleanup.h"
#include "appliance/hash.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void
fsid_digest(const struct plan *plan, const char *domain, const char *disk, const char *what,
            char hex[HASH_HEX_MAX])
{
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    hex[0] = '\0';
    if (!d)
        return;
    digest_str(d, domain);
    digest_str(d, plan->name);
    digest_str(d, plan->version);
    digest_str(d, disk);
    digest_str(d, what);
    /* Only when given, so that seed-less recipes keep their identities. */
    if (plan->seed && *plan->seed)
        digest_str(d, plan->seed);
    digest_hex(d, hex);
}

/* fsid_digest("appliance-fsid", ...), first 16 bytes, shaped as a version
 * 4 (random) UUID. */
static void
derive(const struct plan *plan, const char *disk, const char *what, unsigned char id[16])
{
    char hex[HASH_HEX_MAX];
    fsid_digest(plan, "appliance-fsid", disk, what, hex);
    memset(id, 0, 16);
    for (size_t i = 0; i < 16 && strlen(hex) >= 32; i++) {
        unsigned byte = 0;
        sscanf(hex + 2 * i, "%2x", &byte);
        id[i] = (unsigned char)byte;
    }
    id[6] = (unsigned char)((id[6] & 0x0f) | 0x40);
    id[8] = (unsigned char)((id[8] & 0x3f) | 0x80);
}

/* derive() as UUID text, lowercase (blkid's form) or uppercase (sfdisk's). */
static void
uuid_text(const struct plan *plan, const char *disk, const char *what, bool upper,
          char out[FSID_UUID_BUF])
{
    unsigned char id[16];
    derive(plan, disk, what, id);
    int n = 0;
    for (int i = 0; i < 16; i++)
        n += snprintf(out + n, (size_t)(FSID_UUID_BUF - n), upper ? "%s%02X" : "%s%02x",
                      i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", id[i]);
}

void
fsid_uuid(const struct plan *plan, enum plan_disk_id disk, const struct plan_partition *part,
          const struct plan_lv *lv, char out[FSID_UUID_BUF])
{
    char what[160];

    if (lv)
        snprintf(what, sizeof(what), "lv:%s", lv->name);
    else
        snprintf(what, sizeof(what), "part:%s", part_role_to_string(part->role));
    uuid_text(plan, plan->disks[disk].id, what, false, out);
}

void
fsid_gpt_guid(const struct plan *plan, enum plan_disk_id disk, const struct plan_partition *part,
              char out[FSID_UUID_BUF])
{
    char what[160];

    if (part)
        snprintf(what, sizeof(what), "gpt-part:%u", part->number);
    else
        snprintf(what, sizeof(what), "gpt-disk");
    uuid_text(plan, plan->disks[disk].id, what, true, out);
}

void
fsid_ext4_hash_seed(const struct plan *plan, const struct plan_mount *m, char out[FSID_UUID_BUF])
{
    char what[160];

    if (m->lv)
        snprintf(what, sizeof(what), "hash-seed:lv:%s", m->lv->name);
    else
        snprintf(what, sizeof(what), "hash-seed:part:%u", m->partition->number);
    uuid_text(plan, plan->disks[m->disk].id, what, false, out);
}

uint32_t
fsid_fat_serial(const struct plan *plan)
{
    unsigned char id[16];
    derive(plan, "os", "part:esp-serial", id);
    return (uint32_t)id[0] << 24 | (uint32_t)id[1] << 16 | (uint32_t)id[2] << 8 | id[3];
}

void
fsid_fat_serial_text(uint32_t serial, char out[10])
{
    snprintf(out, 10, "%04X-%04X", (unsigned)(serial >> 16), (unsigned)(serial & 0xffff));
}

void
fsid_of_mount(const struct plan *plan, const struct plan_mount *m, char out[FSID_UUID_BUF])
{
    if (m->partition && m->partition->role == PART_ESP)
        fsid_fat_serial_text(fsid_fat_serial(plan), out);
    else
        fsid_uuid(plan, m->disk, m->partition, m->lv, out);
}

int
fstab_write(const struct plan *plan, FILE *out)
{
    char uuid[FSID_UUID_BUF];

    fprintf(out, "# /etc/fstab of %s %s, written by appliance from its plan.\n", plan->name,
            plan->version);
    fputs("# Filesystems by UUID: disk names change between hypervisors.\n", out);
    for (size_t i = 0; i < plan->n_mounts; i++) {
        const struct plan_mount *m = &plan->mounts[i];
        fsid_of_mount(plan, m, uuid);
        fprintf(out, "UUID=%s %s %s %s 0 %u\n", uuid, m->path, fs_to_string(m->fs), m->options,
                m->passno);
    }
    for (int d = 0; d < PLAN_N_DISKS; d++) {
        const struct plan_vg *vg = &plan->disks[d].vg;
        for (size_t i = 0; i < vg->n_lvs; i++) {
            if (vg->lvs[i].fs != FS_SWAP)
                continue;
            fsid_uuid(plan, (enum plan_disk_id)d, NULL, &vg->lvs[i], uuid);
            fprintf(out, "UUID=%s none swap sw 0 0\n", uuid);
        }
    }
    return ferror(out) ? -1 : 0;
}
