/* boot_judge.c: the plan's expectations and the console report judged
 * against them. */
#include "appliance/boot_judge.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/report.h"

/* ---- the plan ---------------------------------------------------------- */

/* The plan is read from build-report.json by its one reader (report.h);
 * here it is judged: what a boot needs must be there. */

static int
bad_plan(const char *what, const char *detail, struct ab_error *err)
{
    return ab_build_error(err, 0, "'%s' does not hold a valid plan: %s", what, detail);
}

char *
boot_mapper_name(const char *vg, const char *lv)
{
    size_t n = strlen("/dev/mapper/-") + 2 * (strlen(vg) + strlen(lv)) + 1;
    char *s = malloc(n), *o = s;
    if (!s)
        return NULL;
    o += sprintf(o, "/dev/mapper/");
    for (const char *c = vg; *c; c++)
        o += sprintf(o, *c == '-' ? "--" : "%c", *c);
    *o++ = '-';
    for (const char *c = lv; *c; c++)
        o += sprintf(o, *c == '-' ? "--" : "%c", *c);
    *o = '\0';
    return s;
}

/* "/dev/VG/LV" -> the /dev/mapper name. */
static char *
mapper_of_lv_path(const char *path)
{
    if (strncmp(path, "/dev/", 5) != 0)
        return NULL;
    const char *vg = path + 5, *slash = strchr(vg, '/');
    if (!slash || slash == vg || !slash[1] || strchr(slash + 1, '/'))
        return NULL;
    CLEANUP_FREE char *vgname = strndup(vg, (size_t)(slash - vg));
    return vgname ? boot_mapper_name(vgname, slash + 1) : NULL;
}

static int
take_mount(const struct report_mount *m, struct boot_mount *bm, const char *what,
           struct ab_error *err)
{
    if (!m->path || !m->fs || !m->disk || (!m->lv && !m->has_partition))
        return bad_plan(what, "a mount lacks path, fs, disk, or lv and partition", err);
    if (!(bm->path = strdup(m->path)) || !(bm->fs = strdup(m->fs)) || !(bm->disk = strdup(m->disk)))
        return ab_oom(err);
    if (m->lv && !(bm->device = mapper_of_lv_path(m->lv)))
        return bad_plan(what, "a mount's lv is not /dev/VG/LV", err);
    bm->partition = m->has_partition ? m->partition : 0;
    return 0;
}

static int
take_lvs(const struct report_plan *p, struct boot_expect *e, const char *what, struct ab_error *err)
{
    for (size_t d = 0; d < p->n_vgs; d++) {
        const struct report_vg *vg = &p->vgs[d];
        if (!vg->has_lvs || !vg->name)
            return bad_plan(what, "a volume group lacks name or lvs", err);
        size_t n = vg->n_lvs;
        struct boot_lv *grown = realloc(e->lvs, (e->n_lvs + n) * sizeof(*grown));
        if (!grown && e->n_lvs + n)
            return ab_oom(err);
        e->lvs = grown;
        for (size_t i = 0; i < n; i++) {
            const struct report_lv *lv = &vg->lvs[i];
            struct boot_lv *b = &e->lvs[e->n_lvs];
            memset(b, 0, sizeof(*b));
            if (!lv->name)
                return bad_plan(what, "a logical volume has no name", err);
            e->n_lvs++;
            b->swap = lv->fs && strcmp(lv->fs, "swap") == 0;
            if (asprintf(&b->name, "%s/%s", vg->name, lv->name) < 0) {
                b->name = NULL;
                return ab_oom(err);
            }
            if (!(b->device = boot_mapper_name(vg->name, lv->name)))
                return ab_oom(err);
        }
    }
    return 0;
}

static int
take_hardware(const struct report_hardware *hw, struct boot_expect *e, const char *what,
              struct ab_error *err)
{
    int v;
    e->arch = ARCH_X86_64;
    if (hw->arch && ab_enum_from_string(&arch_table, hw->arch, &v) < 0)
        return bad_plan(what, "hardware.arch is not x86_64 or aarch64", err);
    if (hw->arch)
        e->arch = (enum arch)v;
    if (!hw->firmware || ab_enum_from_string(&firmware_table, hw->firmware, &v) < 0)
        return bad_plan(what, "hardware.firmware is not bios, uefi or bios+uefi", err);
    e->firmware = (enum firmware)v;
    e->secure_boot = hw->secure_boot > 0;
    if (!hw->controller || ab_enum_from_string(&controller_table, hw->controller, &v) < 0)
        return bad_plan(what, "hardware.controller is not scsi, sata or ide", err);
    e->controller = (enum controller)v;
    if (hw->cpus < 1 || hw->memory < 1 || hw->nics < 0)
        return bad_plan(what, "hardware lacks cpus, memory or nics", err);
    e->cpus = (unsigned)hw->cpus;
    e->memory = (uint64_t)hw->memory;
    e->nics = (unsigned)hw->nics;
    return 0;
}

static int
take_plan(const struct report_plan *p, struct boot_expect *e, const char *what,
          struct ab_error *err)
{
    if (!p->name || !p->version || !p->has_hardware || !p->has_disks || !p->has_mounts)
        return bad_plan(what, "no name, version, hardware, disks or mounts", err);
    if (!(e->name = strdup(p->name)) || !(e->version = strdup(p->version)))
        return ab_oom(err);
    if (take_hardware(&p->hardware, e, what, err) < 0)
        return -1;
    if (p->n_mounts && !(e->mounts = calloc(p->n_mounts, sizeof(*e->mounts))))
        return ab_oom(err);
    for (; e->n_mounts < p->n_mounts; e->n_mounts++)
        if (take_mount(&p->mounts[e->n_mounts], &e->mounts[e->n_mounts], what, err) < 0) {
            e->n_mounts++; /* released with the others */
            return -1;
        }
    return take_lvs(p, e, what, err);
}

static int
take_report(struct boot_expect *e, struct report_info *r, int parsed, const char *what,
            struct ab_error *err)
{
    int rc = parsed < 0    ? -1
             : r->has_plan ? take_plan(&r->plan, e, what, err)
                           : ab_build_error(err, 0,
                                            "'%s' has no \"plan\" (written by an older "
                                            "appliance?)",
                                            what);
    report_info_release(r);
    if (rc < 0)
        boot_expect_release(e);
    return rc;
}

int
boot_expect_parse(struct boot_expect *e, const char *text, const char *what, struct ab_error *err)
{
    struct report_info r;
    memset(e, 0, sizeof(*e));
    int parsed = report_parse(text, what, &r, err);
    return take_report(e, &r, parsed, what, err);
}

int
boot_expect_load(struct boot_expect *e, const char *path, struct ab_error *err)
{
    struct report_info r;
    memset(e, 0, sizeof(*e));
    int parsed = report_load(path, &r, err);
    return take_report(e, &r, parsed, path, err);
}

void
boot_expect_release(struct boot_expect *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n_mounts; i++) {
        free(e->mounts[i].path);
        free(e->mounts[i].fs);
        free(e->mounts[i].disk);
        free(e->mounts[i].device);
    }
    for (size_t i = 0; i < e->n_lvs; i++) {
        free(e->lvs[i].name);
        free(e->lvs[i].device);
    }
    free(e->mounts);
    free(e->lvs);
    free(e->name);
    free(e->version);
    memset(e, 0, sizeof(*e));
}

/* ---- the console ------------------------------------------------------- */

/* A console line made readable: no '\r', no terminal escapes, no
 * surrounding blanks, and no "[  47.9] ident[pid]: " in front of a report
 * keyword (a report that went through the journal to the console). */
static void
clean_line(char *s)
{
    char *o = s;
    for (const char *c = s; *c; c++) {
        if (*c == '\033' && c[1] == '[') {
            c += 2;
            while (*c && (isdigit((unsigned char)*c) || *c == ';' || *c == '?'))
                c++;
            if (!*c)
                break;
            continue; /* the final letter is skipped by the loop */
        }
        if (*c != '\r')
            *o++ = *c;
    }
    *o = '\0';
    static const char *const keys[] = {"APPLIANCE-REPORT-", "mount ", "swap ", "lv "};
    char *colon = strstr(s, "]: "), *bracket = strchr(s, '[');
    if (colon && bracket && bracket < colon) {
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (strncmp(colon + 3, keys[i], strlen(keys[i])) == 0)
                memmove(s, colon + 3, strlen(colon + 3) + 1);
    }
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t lead = strspn(s, " \t");
    memmove(s, s + lead, n - lead + 1);
}

struct report {
    char *name, *version;
    char **mount, **swap, **lv, **malformed; /* the lines' words after the keyword */
    size_t n_mount, n_swap, n_lv, n_malformed;
};

static void
report_clear(struct report *r)
{
    char **lists[] = {r->mount, r->swap, r->lv, r->malformed};
    size_t counts[] = {r->n_mount, r->n_swap, r->n_lv, r->n_malformed};
    for (size_t l = 0; l < 4; l++) {
        for (size_t i = 0; i < counts[l]; i++)
            free(lists[l][i]);
        free(lists[l]);
    }
    free(r->name);
    free(r->version);
    memset(r, 0, sizeof(*r));
}

static int
push(char ***list, size_t *n, const char *s)
{
    char **grown = realloc(*list, (*n + 1) * sizeof(char *));
    if (!grown)
        return -1;
    *list = grown;
    if (!(grown[*n] = strdup(s)))
        return -1;
    (*n)++;
    return 0;
}

static size_t
count_words(const char *s)
{
    size_t n = 0;
    for (const char *c = s; *c;) {
        c += strspn(c, " \t");
        if (!*c)
            break;
        n++;
        c += strcspn(c, " \t");
    }
    return n;
}

/* One cleaned line inside BEGIN ... END. */
static int
report_line(struct report *r, const char *line)
{
    static const struct {
        const char *key;
        size_t words;
    } kinds[] = {{"mount ", 3}, {"swap ", 1}, {"lv ", 1}};
    char ***lists[] = {&r->mount, &r->swap, &r->lv};
    size_t *counts[] = {&r->n_mount, &r->n_swap, &r->n_lv};
    for (size_t k = 0; k < 3; k++) {
        size_t klen = strlen(kinds[k].key);
        if (strncmp(line, kinds[k].key, klen) != 0)
            continue;
        if (count_words(line + klen) != kinds[k].words)
            return push(&r->malformed, &r->n_malformed, line);
        return push(lists[k], counts[k], line + klen + strspn(line + klen, " \t"));
    }
    return 0; /* console noise between the report's lines */
}

/* The last complete report in the log: 1 found, 0 none, -1 no memory. */
static int
parse_report(const char *log, size_t len, struct report *out)
{
    struct report cur = {0};
    bool in = false;
    int found = 0;
    for (size_t at = 0; at < len;) {
        const char *nl = memchr(log + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (log + at)) : len - at;
        CLEANUP_FREE char *line = strndup(log + at, n);
        at += n + 1;
        if (!line)
            goto nomem;
        clean_line(line);
        const char *begin = strstr(line, "APPLIANCE-REPORT-BEGIN");
        if (begin) {
            report_clear(&cur);
            in = true;
            char name[256] = "", version[256] = "";
            sscanf(begin, "APPLIANCE-REPORT-BEGIN %255s %255s", name, version);
            if (!(cur.name = strdup(name)) || !(cur.version = strdup(version)))
                goto nomem;
        } else if (in && strstr(line, "APPLIANCE-REPORT-END")) {
            report_clear(out);
            *out = cur;
            memset(&cur, 0, sizeof(cur));
            in = false;
            found = 1;
        } else if (in && report_line(&cur, line) < 0) {
            goto nomem;
        }
    }
    report_clear(&cur);
    return found;
nomem:
    report_clear(&cur);
    return -1;
}

static bool
contains(const char *log, size_t len, const char *needle)
{
    return memmem(log, len, needle, strlen(needle)) != NULL;
}

unsigned
boot_console_scan(const char *log, size_t len)
{
    unsigned seen = 0;
    if (contains(log, len, "Linux version"))
        seen |= BOOT_SEEN_KERNEL;
    const char *end = memmem(log, len, "APPLIANCE-REPORT-END", 20);
    const char *begin = memmem(log, len, "APPLIANCE-REPORT-BEGIN", 22);
    if (begin && end && begin < end)
        seen |= BOOT_SEEN_REPORT;
    if (contains(log, len, "login:"))
        seen |= BOOT_SEEN_LOGIN;
    if (contains(log, len, "You are in emergency mode") ||
        contains(log, len, "You are in rescue mode") ||
        contains(log, len, "Give root password for maintenance"))
        seen |= BOOT_SEEN_EMERGENCY;
    if (contains(log, len, "Kernel panic"))
        seen |= BOOT_SEEN_PANIC;
    return seen;
}

/* The kernel's own line (arch/x86/kernel/setup.c: "Secure boot enabled",
 * "Secure boot disabled", "Secure boot could not be determined"). */
enum boot_secure_boot
boot_console_secure_boot(const char *log, size_t len)
{
    enum boot_secure_boot sb = BOOT_SB_UNKNOWN;
    static const char key[] = "Secure boot ";
    for (const char *p = log, *end = log + len;
         (p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1)); p += sizeof(key) - 1) {
        const char *w = p + sizeof(key) - 1;
        size_t left = (size_t)(end - w);
        if (left >= 7 && memcmp(w, "enabled", 7) == 0)
            sb = BOOT_SB_ON;
        else if ((left >= 8 && memcmp(w, "disabled", 8) == 0) ||
                 (left >= 9 && memcmp(w, "could not", 9) == 0))
            sb = BOOT_SB_OFF;
    }
    return sb;
}

/* ---- the verdict ------------------------------------------------------- */

int
boot_verdict_add(struct boot_verdict *v, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    char **grown = realloc(v->reasons, (v->n_reasons + 1) * sizeof(char *));
    if (!grown) {
        free(s);
        return -1;
    }
    v->reasons = grown;
    v->reasons[v->n_reasons++] = s;
    return 0;
}

void
boot_verdict_release(struct boot_verdict *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_reasons; i++)
        free(v->reasons[i]);
    free(v->reasons);
    memset(v, 0, sizeof(*v));
}

/* The partition number of a kernel disk name such as /dev/sda3, /dev/vdb1,
 * /dev/nvme0n1p2, /dev/mmcblk0p1; -1 when source is none of these. */
static int
partition_number(const char *source)
{
    if (strncmp(source, "/dev/", 5) != 0)
        return -1;
    const char *name = source + 5;
    size_t len = strlen(name), digits = 0;
    while (digits < len && isdigit((unsigned char)name[len - 1 - digits]))
        digits++;
    if (!digits || digits == len)
        return -1;
    const char *num = name + len - digits;
    if (strncmp(name, "nvme", 4) == 0 || strncmp(name, "mmcblk", 6) == 0) {
        if (num[-1] != 'p')
            return -1;
    } else {
        size_t pre = strspn(name, "shvx");
        if (!(pre >= 1 && name[pre] == 'd') || !islower((unsigned char)name[pre + 1]))
            return -1;
        for (const char *c = name + pre + 1; c < num; c++)
            if (!islower((unsigned char)*c))
                return -1;
    }
    return atoi(num);
}

/* The report's "TARGET SOURCE FSTYPE" split in three (words of s, in place). */
static void
split3(char *s, char **a, char **b, char **c)
{
    *a = strtok(s, " \t");
    *b = strtok(NULL, " \t");
    *c = strtok(NULL, " \t");
}

static bool
in_list(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (boot_verdict_add(v, __VA_ARGS__) < 0)                                                  \
            return -1;                                                                             \
    } while (0)

static int
judge_mount(const struct boot_mount *m, const struct report *r, struct boot_verdict *v)
{
    size_t times = 0;
    char *source = NULL, *fstype = NULL;
    for (size_t i = 0; i < r->n_mount; i++) {
        CLEANUP_FREE char *copy = strdup(r->mount[i]);
        char *t, *s, *f;
        if (!copy)
            return -1;
        split3(copy, &t, &s, &f);
        if (strcmp(t, m->path) != 0)
            continue;
        times++;
        free(source);
        free(fstype);
        source = strdup(s);
        fstype = strdup(f);
        if (!source || !fstype) {
            free(source);
            free(fstype);
            return -1;
        }
    }
    CLEANUP_FREE char *src = source, *fs = fstype;
    if (times == 0) {
        if (m->device)
            ADD("%s is not mounted (plan: %s from %s)", m->path, m->fs, m->device);
        else
            ADD("%s is not mounted (plan: %s from partition %d of disk '%s')", m->path, m->fs,
                m->partition, m->disk);
        return 0;
    }
    if (times > 1)
        ADD("%s is mounted %zu times", m->path, times);
    if (strcmp(fs, m->fs) != 0)
        ADD("%s is %s, the plan says %s", m->path, fs, m->fs);
    if (m->device && strcmp(src, m->device) != 0)
        ADD("%s is mounted from %s, the plan says %s", m->path, src, m->device);
    if (!m->device && partition_number(src) != m->partition)
        ADD("%s is mounted from %s, the plan says partition %d of disk '%s'", m->path, src,
            m->partition, m->disk);
    if (times == 1 && strcmp(fs, m->fs) == 0 &&
        (m->device ? strcmp(src, m->device) == 0 : partition_number(src) == m->partition))
        v->n_mounts++;
    return 0;
}

static int
judge_extra_mounts(const struct boot_expect *e, const struct report *r, struct boot_verdict *v)
{
    for (size_t i = 0; i < r->n_mount; i++) {
        CLEANUP_FREE char *copy = strdup(r->mount[i]);
        char *t, *s, *f;
        if (!copy)
            return -1;
        split3(copy, &t, &s, &f);
        bool planned = false;
        for (size_t m = 0; m < e->n_mounts && !planned; m++)
            planned = strcmp(e->mounts[m].path, t) == 0;
        if (!planned)
            ADD("%s is mounted from %s (%s), which the plan does not have", t, s, f);
    }
    return 0;
}

static int
judge_volumes(const struct boot_expect *e, const struct report *r, struct boot_verdict *v)
{
    size_t planned_swaps = 0;
    for (size_t i = 0; i < e->n_lvs; i++) {
        const struct boot_lv *lv = &e->lvs[i];
        if (in_list(r->lv, r->n_lv, lv->name))
            v->n_lvs++;
        else
            ADD("LV %s is not active", lv->name);
        if (!lv->swap)
            continue;
        planned_swaps++;
        CLEANUP_FREE char *dev_path = NULL;
        if (asprintf(&dev_path, "/dev/%s", lv->name) < 0)
            return -1;
        if (in_list(r->swap, r->n_swap, lv->device) || in_list(r->swap, r->n_swap, dev_path))
            v->n_swaps++;
        else
            ADD("swap %s is not on (%s)", lv->device,
                r->n_swap ? "other swap devices are" : "no swap is on");
    }
    for (size_t i = 0; i < r->n_lv; i++) {
        bool planned = false;
        for (size_t l = 0; l < e->n_lvs && !planned; l++)
            planned = strcmp(e->lvs[l].name, r->lv[i]) == 0;
        if (!planned)
            ADD("LV %s is active, which the plan does not have", r->lv[i]);
    }
    if (r->n_swap > planned_swaps)
        ADD("%zu swap devices are on, the plan has %zu", r->n_swap, planned_swaps);
    return 0;
}

static int
judge_report(const struct boot_expect *e, const struct report *r, struct boot_verdict *v)
{
    if (strcmp(r->name, e->name) != 0 || strcmp(r->version, e->version) != 0)
        ADD("the console report is from '%s %s', the plan is '%s %s'", r->name, r->version, e->name,
            e->version);
    for (size_t i = 0; i < r->n_malformed; i++)
        ADD("malformed report line '%s'", r->malformed[i]);
    for (size_t i = 0; i < e->n_mounts; i++)
        if (judge_mount(&e->mounts[i], r, v) < 0)
            return -1;
    if (judge_extra_mounts(e, r, v) < 0)
        return -1;
    return judge_volumes(e, r, v);
}

int
boot_judge(const struct boot_expect *e, const char *log, size_t len, struct boot_verdict *v,
           struct ab_error *err)
{
    struct report r = {0};
    memset(v, 0, sizeof(*v));
    unsigned seen = boot_console_scan(log, len);
    int found = parse_report(log, len, &r);
    int ret = found < 0 ? -1 : 0;
    v->secure_boot = boot_console_secure_boot(log, len);
    if (ret == 0 && (seen & BOOT_SEEN_PANIC))
        ret = boot_verdict_add(v, "the kernel panicked");
    if (ret == 0 && (seen & BOOT_SEEN_EMERGENCY))
        ret = boot_verdict_add(v, "the guest entered emergency mode");
    if (ret == 0 && !(seen & BOOT_SEEN_LOGIN))
        ret = boot_verdict_add(v, "no login prompt on the console");
    if (ret == 0 && found == 0)
        ret = boot_verdict_add(v, "no APPLIANCE-REPORT on the console%s",
                               seen & BOOT_SEEN_KERNEL ? ""
                                                       : " (no kernel messages either: did it "
                                                         "boot at all?)");
    if (ret == 0 && found == 1)
        ret = judge_report(e, &r, v);
    report_clear(&r);
    if (ret < 0) {
        boot_verdict_release(v);
        return ab_oom(err);
    }
    return 0;
}
