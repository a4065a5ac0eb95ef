/* plan_warn.c: what builds but a reviewer would flag (plan_warnings()).
 *
 * Each check reads the resolved plan (and the recipe's positions) and
 * adds a warning; none refuses anything: `--werror` is the caller's. The
 * list and the reasons are in appliance-recipe(5), "Warnings". */
#include "appliance/plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/inroot.h"
#include "appliance/size.h"

/* A kernel and its initramfs take 60 to 120MiB; an update keeps two. */
#define BOOT_ROOMY (UINT64_C(256) << 20)
/* Less than this for `/` (with /usr on it) rarely holds a distribution. */
#define ROOT_ROOMY (UINT64_C(1) << 30)

/* ---- logging in -------------------------------------------------------- */

static bool
user_can_log_in(const struct recipe_user *u)
{
    return recipe_user_password_set(u) || (u->ssh_authorized_keys && u->ssh_authorized_keys[0]);
}

static void
warn_login(const struct plan *plan, struct ab_error *w)
{
    const struct recipe *r = plan->recipe;
    if (plan->cloud & PLAN_CLOUD_INIT || plan->os.distro == DISTRO_NONE)
        return; /* the cloud provisions a user and its keys; a rootfs has its own */
    for (size_t i = 0; i < r->n_users; i++)
        if (user_can_log_in(&r->users[i]))
            return;
    ab_warn(w, &r->pos,
            "nobody can log in: no user has a password hash or an SSH key, and root stays "
            "locked (add one under 'users', e.g. a hash from 'openssl passwd -6')");
}

/* The length of the last '$'-field that each crypt(3) method writes. */
static const struct {
    const char *prefix;
    const char *method;
    size_t digest;
    bool weak;
} crypt_methods[] = {
    {"$y$", "yescrypt", 43, false}, {"$gy$", "gost-yescrypt", 43, false},
    {"$7$", "scrypt", 43, false},   {"$6$", "SHA-512", 86, false},
    {"$5$", "SHA-256", 43, false},  {"$2b$", "bcrypt", 0, false},
    {"$2y$", "bcrypt", 0, false},   {"$2a$", "bcrypt", 0, false},
    {"$1$", "MD5", 22, true},
};

static void
warn_password(const struct recipe_user *u, struct ab_error *w)
{
    const char *h = u->password_hash;
    if (!recipe_user_password_set(u))
        return;
    for (size_t i = 0; i < sizeof(crypt_methods) / sizeof(crypt_methods[0]); i++) {
        if (strncmp(h, crypt_methods[i].prefix, strlen(crypt_methods[i].prefix)) != 0)
            continue;
        const char *last = strrchr(h, '$') + 1;
        if (crypt_methods[i].digest && strlen(last) != crypt_methods[i].digest)
            ab_warn(w, &u->password_hash_pos,
                    "password hash of user '%s' is not a whole %s crypt(3) hash (its last field "
                    "has %zu characters, not %zu): nobody can log in with it",
                    u->name, crypt_methods[i].method, strlen(last), crypt_methods[i].digest);
        else if (crypt_methods[i].weak)
            ab_warn(w, &u->password_hash_pos,
                    "password hash of user '%s' is %s, which is cracked in minutes: make a "
                    "'$6$' or '$y$' hash ('openssl passwd -6')",
                    u->name, crypt_methods[i].method);
        return;
    }
    ab_warn(w, &u->password_hash_pos,
            "password hash of user '%s' names no method crypt(3) knows ($y$, $6$, $5$, ...): "
            "nobody can log in with it",
            u->name);
}

static int
base64_value(int c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

/* Decodes the first len characters of b64 into out (at least len bytes);
 * returns the byte count, or -1 when it is not base64. */
static long
base64_decode(const char *b64, size_t len, unsigned char *out)
{
    size_t n = 0, pad = 0;
    unsigned acc = 0, bits = 0;

    if (len % 4)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (b64[i] == '=') {
            pad++;
            continue;
        }
        int v = base64_value(b64[i]);
        if (v < 0 || pad)
            return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return pad > 2 ? -1 : (long)n;
}

/* Why the key's data does not hold a key of its declared type, or NULL. */
static const char *
ssh_key_problem(const char *line)
{
    const char *sp = strchr(line, ' ');
    if (!sp)
        return NULL; /* the parser refused it */
    size_t type_len = (size_t)(sp - line), len = strcspn(sp + 1, " ");
    CLEANUP_FREE unsigned char *blob = malloc(len + 1);
    if (!blob)
        return NULL;
    long n = base64_decode(sp + 1, len, blob);
    if (n < 0)
        return "its data is not valid base64 (cut short or joined with another?)";
    if (n < 4)
        return "its data is too short to hold a key";
    size_t inner = (size_t)blob[0] << 24 | (size_t)blob[1] << 16 | (size_t)blob[2] << 8 | blob[3];
    if (inner + 4 > (size_t)n)
        return "its data is cut short";
    if (inner != type_len || memcmp(blob + 4, line, type_len) != 0)
        return "its data holds a key of another type than the line names";
    return NULL;
}

static void
warn_ssh_keys(const struct recipe_user *u, struct ab_error *w)
{
    if (!u->ssh_authorized_keys || !u->ssh_key_pos)
        return;
    for (size_t i = 0; u->ssh_authorized_keys[i]; i++) {
        const char *why = ssh_key_problem(u->ssh_authorized_keys[i]);
        if (why)
            ab_warn(w, &u->ssh_key_pos[i], "SSH key %zu of user '%s' does not parse: %s", i + 1,
                    u->name, why);
    }
}

/* wheel gives sudo on the rhel family, sudo on the debian family. */
static void
warn_admin_group(const struct plan *plan, const struct recipe_user *u, struct ab_error *w)
{
    const char *mine = plan->os.family == FAMILY_RHEL ? "wheel" : "sudo";
    const char *other = plan->os.family == FAMILY_RHEL ? "sudo" : "wheel";
    if (plan->os.family == FAMILY_GENERIC || !u->groups)
        return;
    for (char **g = u->groups; *g; g++)
        if (strcmp(*g, other) == 0)
            ab_warn(w, &u->groups_pos,
                    "group '%s' of user '%s' gives no sudo rights on %s, whose admin group is "
                    "'%s': it is created empty",
                    other, u->name, distro_to_string(plan->os.distro), mine);
}

static void
warn_users(const struct plan *plan, struct ab_error *w)
{
    const struct recipe *r = plan->recipe;
    warn_login(plan, w);
    for (size_t i = 0; i < r->n_users; i++) {
        if (!r->users[i].name)
            continue;
        warn_password(&r->users[i], w);
        warn_ssh_keys(&r->users[i], w);
        warn_admin_group(plan, &r->users[i], w);
    }
}

/* ---- time zone and locale --------------------------------------------- */

#define ZONEINFO "/usr/share/zoneinfo"
#define SUPPORTED "/usr/share/i18n/SUPPORTED"

/* Where a list is read: a root tree (its descriptor, the paths resolved
 * inside it), and how a message names it. */
struct names_source {
    int rootfd;
    char where[96]; /* "this host", "debian-12's cached root tree" */
};

static void
names_source_close(struct names_source *s)
{
    if (s->rootfd >= 0)
        close(s->rootfd);
    s->rootfd = -1;
}

static bool
has_dir(int rootfd, const char *path)
{
    struct stat st;
    return inroot_exists(rootfd, path, &st) && S_ISDIR(st.st_mode);
}

static bool
has_file(int rootfd, const char *path)
{
    struct stat st;
    return inroot_exists(rootfd, path, &st) && S_ISREG(st.st_mode);
}

/* The first of the plan's cached trees that has path (a folder when dir),
 * else the host's root when it has it; rootfd -1: none has it. */
static void
names_source_find(const struct plan *plan, const struct plan_warn_opts *opts, const char *path,
                  bool dir, struct names_source *s)
{
    struct ab_error ignored = AB_ERROR_INIT;
    s->rootfd = -1;
    for (size_t i = 0; opts && opts->trees && opts->trees[i]; i++) {
        s->rootfd = inroot_open_root(opts->trees[i], &ignored);
        if (s->rootfd >= 0 && (dir ? has_dir(s->rootfd, path) : has_file(s->rootfd, path))) {
            snprintf(s->where, sizeof(s->where), "%s's cached root tree",
                     distro_to_string(plan->os.distro));
            ab_error_release(&ignored);
            return;
        }
        names_source_close(s);
    }
    snprintf(s->where, sizeof(s->where), "this host");
    s->rootfd = inroot_open_root(opts && opts->host ? opts->host : "/", &ignored);
    if (s->rootfd >= 0 && !(dir ? has_dir(s->rootfd, path) : has_file(s->rootfd, path)))
        names_source_close(s); /* nothing to judge by */
    ab_error_release(&ignored);
}

static void
warn_timezone(const struct plan *plan, const struct plan_warn_opts *opts, struct ab_error *w)
{
    const struct recipe *r = plan->recipe;
    CLEANUP_FREE char *path = NULL;
    struct names_source s;

    if (!r->os.timezone || strcmp(r->os.timezone, "UTC") == 0)
        return;
    names_source_find(plan, opts, ZONEINFO, true, &s);
    if (s.rootfd < 0 || asprintf(&path, ZONEINFO "/%s", r->os.timezone) < 0) {
        names_source_close(&s);
        return;
    }
    if (!has_file(s.rootfd, path))
        ab_warn(w, &r->os.timezone_pos,
                "time zone '%s' is not in the tz database (" ZONEINFO " of %s): the build will "
                "fail (names such as 'Europe/Rome', 'America/New_York', 'UTC')",
                r->os.timezone, s.where);
    names_source_close(&s);
}

/* "utf8", "UTF-8" and "utf-8" are one charset to glibc. */
static bool
charset_is_utf8(const char *charset)
{
    return strcasecmp(charset, "UTF-8") == 0 || strcasecmp(charset, "utf8") == 0;
}

/* Whether the list f (glibc's SUPPORTED: "NAME CHARSET" lines) names
 * locale. */
static bool
locale_listed(FILE *f, const char *locale)
{
    char line[256];
    const char *dot = strchr(locale, '.');
    size_t base = dot ? (size_t)(dot - locale) : strlen(locale);

    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, " \t\n")] = '\0';
        const char *ldot = strchr(line, '.');
        size_t lbase = ldot ? (size_t)(ldot - line) : strlen(line);
        if (lbase != base || strncmp(line, locale, base) != 0)
            continue;
        /* The part after '@' (a modifier) follows the charset. */
        if (!dot && !ldot)
            return true;
        if (dot && ldot && (strcmp(ldot + 1, dot + 1) == 0 ||
                            (charset_is_utf8(ldot + 1) && charset_is_utf8(dot + 1))))
            return true;
    }
    return false;
}

static void
warn_locale(const struct plan *plan, const struct plan_warn_opts *opts, struct ab_error *w)
{
    const struct recipe *r = plan->recipe;
    const char *l = r->os.locale;
    struct names_source s;

    if (!l || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0 || strncmp(l, "C.", 2) == 0)
        return;
    names_source_find(plan, opts, SUPPORTED, false, &s);
    CLEANUP_FCLOSE FILE *f = s.rootfd >= 0 ? inroot_fopen_read(s.rootfd, SUPPORTED) : NULL;
    names_source_close(&s);
    if (f && !locale_listed(f, l))
        ab_warn(w, &r->os.locale_pos,
                "locale '%s' is not one glibc knows (" SUPPORTED " of %s): the build will fail "
                "(names such as 'en_US.UTF-8', 'de_DE.UTF-8', 'C.UTF-8')",
                l, s.where);
    else if (!strchr(l, '.') && !strchr(l, '@'))
        ab_warn(w, &r->os.locale_pos,
                "locale '%s' is not UTF-8 (it uses a legacy 8-bit charset): did you mean "
                "'%s.UTF-8'?",
                l, l);
}

/* ---- disks ---------------------------------------------------------------- */

static bool
is_under(const char *path, const char *dir)
{
    size_t l = strlen(dir);
    return strncmp(path, dir, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

/* Whether a volume mounted at m holds the OS's own files (its package
 * database above all), which would then live and die with the disk that
 * is meant to be replaced on its own. /usr itself, /etc and the
 * merged-/usr links are refused outright (plan_mounts.c); /var/log,
 * /var/lib/APP, /srv, /opt, /home and /usr/local are the application's. */
static bool
holds_os_files(const char *m)
{
    static const char *const exact[] = {"/var", "/var/lib", "/var/cache"};
    static const char *const below[] = {"/var/cache/apt", "/var/cache/dnf", "/var/lib/dpkg",
                                        "/var/lib/apt",   "/var/lib/rpm",   "/var/lib/dnf",
                                        "/var/lib/systemd"};
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(m, exact[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof(below) / sizeof(below[0]); i++)
        if (is_under(m, below[i]))
            return true;
    return is_under(m, "/usr") && !is_under(m, "/usr/local");
}

static void
warn_app_mounts(const struct plan *plan, struct ab_error *w)
{
    const struct plan_vg *vg = &plan->disks[PLAN_DISK_APP].vg;
    const struct recipe_disk *rd = &plan->recipe->app_disk;

    for (size_t i = 0; i < vg->n_lvs; i++)
        if (vg->lvs[i].mount && holds_os_files(vg->lvs[i].mount))
            ab_warn(w, &rd->volumes[i].mount_pos,
                    "volume '%s' of disk 'app' is mounted at '%s', which holds the OS's own "
                    "files: the system would then depend on the application disk (put it on "
                    "disk 'os')",
                    vg->lvs[i].name, vg->lvs[i].mount);
}

static void
warn_boot_size(const struct plan *plan, struct ab_error *w)
{
    const struct recipe_disk *rd = &plan->recipe->os_disk;
    char a[SIZE_BUF], b[SIZE_BUF];
    for (size_t i = 0; i < plan->disks[PLAN_DISK_OS].n_parts; i++) {
        const struct plan_partition *p = &plan->disks[PLAN_DISK_OS].parts[i];
        if (p->role == PART_BOOT && p->size < BOOT_ROOMY && plan->os.distro != DISTRO_NONE)
            ab_warn(w, rd->boot_set ? &rd->boot_pos : &rd->pos,
                    "boot partition (%s) fits one kernel and its initramfs: a kernel update "
                    "keeps two and will fail (%s or more)",
                    size_format(p->size, a, sizeof(a)), size_format(BOOT_ROOMY, b, sizeof(b)));
    }
}

static void
warn_volume_sizes(const struct plan *plan, struct ab_error *w)
{
    char a[SIZE_BUF], b[SIZE_BUF];
    for (int id = PLAN_DISK_OS; id < PLAN_N_DISKS; id++) {
        const struct plan_vg *vg = &plan->disks[id].vg;
        const struct recipe_disk *rd = id == PLAN_DISK_OS ? &plan->recipe->os_disk
                                                          : &plan->recipe->app_disk;
        for (size_t i = 0; i < vg->n_lvs; i++) {
            const struct plan_lv *lv = &vg->lvs[i];
            if (lv->fs == FS_SWAP && lv->size > 2 * plan->hardware.memory)
                ab_warn(w, &rd->volumes[i].size_pos,
                        "swap volume '%s' (%s) is more than twice the memory (%s): a system "
                        "that needs that much swap is thrashing; grow 'memory' instead",
                        lv->name, size_format(lv->size, a, sizeof(a)),
                        size_format(plan->hardware.memory, b, sizeof(b)));
            if (lv->mount && strcmp(lv->mount, "/") == 0 && lv->size < ROOT_ROOMY &&
                plan->os.distro != DISTRO_NONE)
                ab_warn(w, &rd->volumes[i].size_pos,
                        "volume '%s' (%s) for '/' is smaller than %s: %s's installed system "
                        "is unlikely to fit",
                        lv->name, size_format(lv->size, a, sizeof(a)),
                        size_format(ROOT_ROOMY, b, sizeof(b)), distro_to_string(plan->os.distro));
        }
    }
}

/* ---- what the build runs ---------------------------------------------- */

/* The other family's package tool in a run line fails the build. */
static void
warn_run_lines(const struct plan *plan, struct ab_error *w)
{
    const struct recipe *r = plan->recipe;
    static const char *const debian_tools[] = {"apt-get ", "apt ", "dpkg "};
    static const char *const rhel_tools[] = {"dnf ", "yum ", "rpm "};
    bool rhel = plan->os.family == FAMILY_RHEL;
    const char *const *tools = rhel ? debian_tools : rhel_tools;

    if (!r->run || !r->run_pos || plan->os.family == FAMILY_GENERIC)
        return;
    for (size_t i = 0; r->run[i]; i++) {
        for (size_t t = 0; t < 3; t++) {
            const char *at = strstr(r->run[i], tools[t]);
            if (at && (at == r->run[i] || strchr(" \t;&|(", at[-1]))) {
                ab_warn(w, &r->run_pos[i], "run line %zu calls '%.*s', which %s does not have",
                        i + 1, (int)strlen(tools[t]) - 1, tools[t],
                        distro_to_string(plan->os.distro));
                break;
            }
        }
    }
}

static void
warn_cmdline(const struct plan *plan, struct ab_error *w)
{
    const struct recipe *r = plan->recipe;
    const char *c = r->os.kernel_cmdline;
    for (const char *at = c ? strstr(c, "console=") : NULL; at; at = strstr(at + 1, "console=")) {
        if (at == c || at[-1] == ' ') {
            ab_warn(w, &r->os.kernel_cmdline_pos,
                    "'kernel_cmdline' sets 'console=': the last console named gets /dev/console, "
                    "and 'appliance test' reads ttyS0 (console=ttyS0,115200 is already given)");
            return;
        }
    }
}

/* An add-on with nothing for one of the architectures built: said once
 * per add-on and architecture, at 'addons' (or 'arch', when the add-ons
 * are the default). */
static void
warn_addons(const struct plan *plan, struct ab_error *w)
{
    const struct recipe *r = plan->recipe;
    enum arch arches[2];
    for (size_t i = 0, n = plan_arches(plan->hardware.arches, arches); i < n; i++) {
        const struct arch_row *row = arch_row(arches[i]);
        for (size_t a = 0; a < addon_table.n; a++) {
            unsigned bit = (unsigned)ab_enum_at(&addon_table, a)->value;
            if (!(plan->addons & row->addons_none & bit))
                continue;
            ab_warn(w, r->addons_set ? &r->addons_pos : &r->hardware.arch_pos,
                    "add-on '%s' installs nothing for %s: %s", ab_enum_at(&addon_table, a)->name,
                    row->name, row->addons_none_why);
        }
    }
}

size_t
plan_warnings(const struct plan *plan, const struct plan_warn_opts *opts, struct ab_error *w)
{
    size_t before = w->n_diags;

    warn_users(plan, w);
    warn_timezone(plan, opts, w);
    warn_locale(plan, opts, w);
    warn_app_mounts(plan, w);
    warn_boot_size(plan, w);
    warn_volume_sizes(plan, w);
    warn_run_lines(plan, w);
    warn_cmdline(plan, w);
    warn_addons(plan, w);
    ab_error_sort(w);
    return w->n_diags - before;
}
