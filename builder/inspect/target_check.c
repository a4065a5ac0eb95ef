/* target_check.c: a bundle judged by an import target's rules. The rules
 * and their sources are the profile table's (builder/plan/ova_targets.c). */
#include "appliance/target_check.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appliance/arch.h"
#include "appliance/distro.h"
#include "appliance/ova_target.h"

struct judge {
    struct target_report *r;
    const struct ova_target_profile *t;
    const char *name; /* the target's */
    bool failed;
};

static void add(struct judge *j, enum target_verdict v, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add(struct judge *j, enum target_verdict v, const char *rule, const char *fmt, ...)
{
    struct target_finding *grown =
        realloc(j->r->findings, (j->r->n_findings + 1) * sizeof(*j->r->findings));
    if (!grown) {
        j->failed = true;
        return;
    }
    j->r->findings = grown;
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0) {
        j->failed = true;
        msg = NULL;
    }
    va_end(ap);
    if (msg)
        grown[j->r->n_findings++] = (struct target_finding){v, rule, msg};
}

/* A family none of the target's architectures runs there: too new for
 * all, too old for all (an aarch64 guest's begins at its arch row's
 * oldest), or between x86_64's newest and aarch64's oldest. */
static void
judge_family_range(struct judge *j, const char *family, unsigned nn)
{
    unsigned lo = UINT_MAX, hi = 0, lo_arch = 0, hi_arch = 0;
    for (unsigned a = ARCH_X86_64; a & ARCH_ALL; a <<= 1) {
        if (!(j->t->arches & a))
            continue;
        unsigned min = arch_row((enum arch)a)->vmware_hw_min;
        unsigned max = ova_target_max_family(j->t, (enum arch)a);
        if (nn >= min && nn <= max)
            return;
        if (nn > max && (!hi_arch || max > hi))
            hi = max, hi_arch = a;
        if (nn < min && (!lo_arch || min < lo))
            lo = min, lo_arch = a;
    }
    if (!lo_arch)
        add(j, TARGET_REJECTS, "hardware family",
            "%s is newer than vmx-%u, the newest that %s runs", family, hi, j->t->importer);
    else if (!hi_arch)
        add(j, TARGET_REJECTS, "hardware family",
            "%s is older than vmx-%u, the oldest that %s runs for an %s guest", family, lo,
            j->t->importer, arch_to_string((enum arch)lo_arch));
    else
        add(j, TARGET_REJECTS, "hardware family",
            "%s is newer than vmx-%u, the newest that %s runs for an %s guest, and older than "
            "vmx-%u, the oldest for an %s guest",
            family, hi, j->t->importer, arch_to_string((enum arch)hi_arch), lo,
            arch_to_string((enum arch)lo_arch));
}

/* vssd:VirtualSystemType: vSphere runs vmx-NN up to its release's newest,
 * an aarch64 guest from its arch row's oldest. An OVF does not name its
 * architecture: a target of both takes a family either runs (generic's
 * vmx-20 is its aarch64 OVA's). */
static void
judge_family(struct judge *j, const struct ovf_summary *s)
{
    unsigned nn = 0;
    int at = 0;
    if (!j->t->max_family)
        return;
    if (!s->system_type) {
        add(j, TARGET_REJECTS, "hardware family",
            "no vssd:VirtualSystemType: %s needs a vmx-NN family", j->t->importer);
        return;
    }
    if (sscanf(s->system_type, "vmx-%u%n", &nn, &at) != 1 || s->system_type[at] != '\0') {
        add(j, TARGET_REJECTS, "hardware family",
            "'%s' is not a vmx-NN family: vSphere rejects any other", s->system_type);
        return;
    }
    judge_family_range(j, s->system_type, nn);
}

/* vmw:osType: a guest ID the release does not know. */
static void
judge_os_type(struct judge *j, const struct ovf_summary *s)
{
    unsigned since;
    if (!j->t->reads_os_type || !s->os_type || distro_guest_id_since(s->os_type, &since) < 0)
        return;
    if (since > j->t->guest_release)
        add(j, TARGET_REJECTS, "guest OS",
            "vmw:osType '%s' exists from vSphere %s; %s does not know it (it refuses the "
            "OVF or falls back to another guest type): '%s' is the one it knows in its place",
            s->os_type, ova_release_name(since), j->t->importer,
            distro_guest_id_fallback(s->os_type, j->t->guest_release));
}

static void
judge_os_id(struct judge *j, const struct ovf_summary *s)
{
    if (j->t->needs_os_id && !s->has_os_id)
        add(j, TARGET_REJECTS, "guest OS",
            "OperatingSystemSection has no numeric ovf:id, which VirtualBox requires");
}

/* The .mf digests (SHA256SUMS is ours, not an importer's). */
static void
judge_digests(struct judge *j, const struct bundle *b)
{
    for (size_t i = 0; i < b->n_checks; i++) {
        const struct bundle_check *c = &b->checks[i];
        size_t l = strlen(c->manifest);
        bool seen = false;
        if (l < 3 || strcmp(c->manifest + l - 3, ".mf") != 0 ||
            !(j->t->digests_refused & (1u << c->algo)))
            continue;
        for (size_t k = 0; k < i; k++)
            seen |= strcmp(b->checks[k].manifest, c->manifest) == 0 && b->checks[k].algo == c->algo;
        if (!seen)
            add(j, TARGET_REJECTS, "manifest digest",
                "manifest '%s' holds %s digests: %s refuses them", c->manifest,
                digest_to_string(c->algo), j->t->importer);
    }
}

static bool
units_power_of_two(const char *units)
{
    unsigned n;
    int at = 0;
    return units && sscanf(units, "byte * 2^%u%n", &n, &at) == 1 && units[at] == '\0' && n < 64;
}

static void
judge_disks(struct judge *j, const struct ovf_summary *s)
{
    for (size_t i = 0; i < s->n_disks; i++) {
        const struct ovf_disk *d = &s->disks[i];
        const char *id = d->id ? d->id : "?";
        if (j->t->strict_units && !units_power_of_two(d->capacity_units))
            add(j, TARGET_IGNORES, "capacity units",
                "disk '%s' gives its capacity in '%s': Proxmox reads only the 'byte * 2^N' form "
                "and shows no size",
                id, d->capacity_units ? d->capacity_units : "byte");
        if (j->t->drops_detached && d->controller < 0)
            add(j, TARGET_IGNORES, "disk attachment",
                "disk '%s' hangs on no controller (no Item's HostResource names it): XCP-ng "
                "drops it silently",
                id);
    }
}

/* A target of one architecture whose row names the NIC model (aarch64's
 * e1000e: Fusion on Apple Silicon and ESXi-Arm offer no other) has no
 * NIC of another model to give. */
static void
judge_nic_arch(struct judge *j, const struct ovf_summary *s)
{
    unsigned arches = j->t->arches;
    if (!arches || (arches & (arches - 1)))
        return;
    const char *want = arch_row((enum arch)arches)->ovf_nic;
    for (size_t i = 0; want && i < s->n_nics; i++) {
        const char *m = s->nics[i].subtype;
        if (!m || strcasecmp(m, want) != 0)
            add(j, TARGET_REJECTS, "NIC model", "NIC %zu is '%s': %s offers an %s guest %s only",
                i + 1, m ? m : "(no subtype)", j->t->importer, arch_to_string((enum arch)arches),
                want);
    }
}

static void
judge_hardware(struct judge *j, const struct ovf_summary *s)
{
    static const char *const kept[] = {"e1000", "e1000e", "vmxnet3"};
    for (size_t i = 0; j->t->nic_fallback && i < s->n_nics; i++) {
        const char *m = s->nics[i].subtype;
        bool ok = false;
        for (size_t k = 0; m && k < sizeof(kept) / sizeof(kept[0]); k++)
            ok |= strcasecmp(m, kept[k]) == 0;
        if (!ok)
            add(j, TARGET_IGNORES, "NIC model",
                "NIC %zu is '%s': Proxmox keeps only e1000, e1000e and vmxnet3 and makes it e1000",
                i + 1, m ? m : "(no subtype)");
    }
    for (size_t i = 0; j->t->checks_sata && i < s->n_controllers; i++) {
        const char *m = s->controllers[i].subtype;
        if (s->controllers[i].resource_type == 20 &&
            !(m && (strcmp(m, "AHCI") == 0 || strcmp(m, "vmware.sata.ahci") == 0)))
            add(j, TARGET_REJECTS, "controller model",
                "SATA controller '%s' has subtype '%s': VirtualBox accepts only AHCI or "
                "vmware.sata.ahci",
                s->controllers[i].instance_id ? s->controllers[i].instance_id : "?",
                m ? m : "(none)");
    }
}

int
target_check(const struct bundle *b, enum ova_target target, struct target_report **out,
             struct ab_error *err)
{
    struct judge j = {.t = ova_target_profile(target), .name = ova_target_to_string(target)};
    *out = NULL;
    if (!(j.r = calloc(1, sizeof(*j.r))))
        return ab_oom(err);
    j.r->target = target;
    if (b->ovf) {
        judge_family(&j, b->ovf);
        judge_os_type(&j, b->ovf);
        judge_os_id(&j, b->ovf);
        judge_disks(&j, b->ovf);
        judge_hardware(&j, b->ovf);
        judge_nic_arch(&j, b->ovf);
    }
    judge_digests(&j, b);
    if (j.failed) {
        target_report_free(j.r);
        return ab_oom(err);
    }
    *out = j.r;
    return 0;
}

const char *
target_verdict_name(enum target_verdict v)
{
    return v == TARGET_REJECTS ? "rejects" : "ignores";
}

bool
target_report_ok(const struct target_report *r)
{
    for (size_t i = 0; r && i < r->n_findings; i++)
        if (r->findings[i].verdict == TARGET_REJECTS)
            return false;
    return true;
}

void
target_report_free(struct target_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_findings; i++)
        free(r->findings[i].message);
    free(r->findings);
    free(r);
}
