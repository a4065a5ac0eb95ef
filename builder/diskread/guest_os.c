/* guest_os.c: an operating system's facts read from its files, as
 * libguestfs's inspection reads them (guest_os.h). */
#include "guest_os.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "guest_text.h"

#define SMALL_FILE (64u << 10) /* os-release, hostname, fstab, ... */
#define DPKG_STATUS_MAX (64u << 20)
#define RPMDB_FILE_MAX (1u << 30) /* one file of the rpm database */
#define ELF_HEAD 64

/* The state of one OS's reading: what the tree could not give is noted
 * in the OS, never an error unless memory ran out. */
struct reading {
    struct guest_tree *t;
    struct inspect_os *os;
    struct ab_error *err;
    bool oom;
};

static void note(struct reading *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct reading *rd, const char *fmt, ...)
{
    CLEANUP_FREE char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0 || inspect_note(&rd->os->notes, "%s", msg) < 0)
        rd->oom = true;
}

/* r from the tree about path: true when found; what was not read and
 * why is noted (a missing path is no news). */
static bool
found(struct reading *rd, int r, const char *path, struct ab_error *e)
{
    if (r == TREE_UNREADABLE) {
        note(rd, "%s is on %s (%s), whose files are not read on the host", path,
             rd->t->blocked->device, rd->t->blocked->type);
        rd->os->incomplete = true;
    } else if (r == TREE_ERROR) {
        if (e->code == AB_E_NOMEM)
            rd->oom = true;
        else
            note(rd, "%s: %s", path, e->n_diags ? e->diags[0].msg : "cannot be read");
    }
    ab_error_release(e);
    return r == TREE_FOUND;
}

/* A small file's text, or NULL (missing or not read). */
static char *
slurp(struct reading *rd, const char *path, size_t max, size_t *len)
{
    struct ab_error e = AB_ERROR_INIT;
    char *data = NULL;
    return found(rd, tree_read_file(rd->t, path, max, &data, len, &e), path, &e) ? data : NULL;
}

static bool
exists(struct reading *rd, const char *path, bool follow, struct tree_node *n)
{
    struct ab_error e = AB_ERROR_INIT;
    return found(rd, tree_lookup(rd->t, path, follow, n, &e), path, &e);
}

static bool
is_file(struct reading *rd, const char *path, bool follow)
{
    struct tree_node n;
    return exists(rd, path, follow, &n) && n.fs->fs && LINUX_S_ISREG(n.inode.i_mode);
}

/* The names in dir that start with prefix (and not with '.'), prefix
 * taken off, NULL-terminated; an empty list when dir is missing. */
static char **
names(struct reading *rd, const char *dir, const char *prefix)
{
    struct ab_error e = AB_ERROR_INIT;
    CLEANUP_STRV char **all = NULL;
    char **out = calloc(1, sizeof(char *));
    size_t n = 0, plen = strlen(prefix);
    if (!out || !found(rd, tree_list(rd->t, dir, &all, &e), dir, &e)) {
        rd->oom |= !out;
        return out;
    }
    for (size_t i = 0; all[i]; i++) {
        if (all[i][0] == '.' || strncmp(all[i], prefix, plen) != 0)
            continue;
        char **grown = realloc(out, (n + 2) * sizeof(char *));
        if (!grown || !(grown[n] = strdup(all[i] + plen))) {
            rd->oom = true;
            if (grown)
                out = grown;
            break;
        }
        out = grown;
        out[++n] = NULL;
    }
    return out;
}

/* ---- the distribution ---- */

struct release {
    char *distro, *product;
    int major, minor;
    bool version;
};

static void
set_str(char **field, char *value)
{
    if (value) {
        free(*field);
        *field = value;
    }
}

/* os-release's ID as libguestfs 1.48 names the distribution; NULL for
 * one it does not know (AlmaLinux: its redhat-release is read instead). */
static const char *
distro_of_os_release(const char *id)
{
    static const char *const ids[][2] = {
        {"alpine", "alpinelinux"}, {"altlinux", "altlinux"},
        {"arch", "archlinux"},     {"centos", "centos"},
        {"coreos", "coreos"},      {"debian", "debian"},
        {"fedora", "fedora"},      {"frugalware", "frugalware"},
        {"kali", "kalilinux"},     {"kylin", "kylin"},
        {"mageia", "mageia"},      {"neokylin", "neokylin"},
        {"opensuse", "opensuse"},  {"opensuse-leap", "opensuse"},
        {"pld", "pldlinux"},       {"rhel", "rhel"},
        {"rocky", "rocky"},        {"sled", "sles"},
        {"sles", "sles"},          {"ubuntu", "ubuntu"},
        {"void", "voidlinux"},
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        if (strcmp(ids[i][0], id) == 0)
            return ids[i][1];
    return NULL;
}

static void
set_version(struct release *r, const char *s)
{
    if (s && text_version(s, &r->major, &r->minor))
        r->version = true;
}

/* /etc/os-release: true when it tells all (libguestfs's parse_os_release). */
static bool
parse_os_release(struct reading *rd, struct release *r)
{
    size_t len;
    CLEANUP_FREE char *text = slurp(rd, "/etc/os-release", SMALL_FILE, &len);
    if (!text)
        return false;
    CLEANUP_FREE char *id = text_kv_get(text, len, "ID");
    CLEANUP_FREE char *version = text_kv_get(text, len, "VERSION_ID");
    const char *distro = id ? distro_of_os_release(id) : NULL;
    if (distro)
        set_str(&r->distro, strdup(distro));
    set_str(&r->product, text_kv_get(text, len, "PRETTY_NAME"));
    set_version(r, version);
    if (!r->distro || !r->product || !r->version)
        return false;
    /* Debian's and CentOS's give the major version only. */
    return !((strcmp(r->distro, "debian") == 0 || strcmp(r->distro, "centos") == 0) &&
             r->minor == 0);
}

/* /etc/lsb-release (Ubuntu and its kin). */
static bool
parse_lsb_release(struct reading *rd, struct release *r)
{
    size_t len;
    CLEANUP_FREE char *text = slurp(rd, "/etc/lsb-release", SMALL_FILE, &len);
    if (!text)
        return false;
    static const char *const ids[][2] = {{"CoreOS", "coreos"},
                                         {"LinuxMint", "linuxmint"},
                                         {"Mageia", "mageia"},
                                         {"Ubuntu", "ubuntu"}};
    CLEANUP_FREE char *id = text_kv_get(text, len, "DISTRIB_ID");
    CLEANUP_FREE char *release = text_kv_get(text, len, "DISTRIB_RELEASE");
    char *desc = text_kv_get(text, len, "DISTRIB_DESCRIPTION");
    bool ok = desc != NULL;
    for (size_t i = 0; id && i < sizeof(ids) / sizeof(ids[0]); i++)
        if (strcmp(id, ids[i][0]) == 0) {
            set_str(&r->distro, strdup(ids[i][1]));
            ok = true;
        }
    set_version(r, release);
    set_str(&r->product, desc);
    return ok;
}

/* A release file's first line: the product; with a pattern, it must
 * match, its groups the version ("(N)" or "(N)\.(M)" or "(N).*Update (M)"). */
static bool
parse_generic(struct reading *rd, const char *path, const char *pattern, const char *distro,
              struct release *r)
{
    size_t len;
    CLEANUP_FREE char *text = slurp(rd, path, SMALL_FILE, &len);
    CLEANUP_FREE char *line = text ? text_first_line(text, len) : NULL;
    if (!line || !*line)
        return false;
    if (pattern) {
        regex_t re;
        regmatch_t m[3];
        if (regcomp(&re, pattern, REG_EXTENDED) != 0)
            return false;
        int nomatch = regexec(&re, line, 3, m, 0);
        regfree(&re);
        if (nomatch)
            return false;
        int v[2] = {0, 0};
        for (int g = 1; g <= 2; g++)
            if (m[g].rm_so >= 0 && m[g].rm_eo - m[g].rm_so < 9)
                v[g - 1] = atoi(line + m[g].rm_so);
        if (m[1].rm_so >= 0) {
            r->major = v[0], r->minor = v[1];
            r->version = true;
        }
    } else {
        set_version(r, line);
    }
    set_str(&r->distro, strdup(distro));
    set_str(&r->product, strdup(line));
    return true;
}

/* libguestfs's release files after os-release and lsb-release, in its
 * order; the first that parses wins. */
static const struct {
    const char *path, *pattern, *distro;
} release_files[] = {
    {"/etc/rocky-release", "Rocky Linux.*release ([0-9]+)\\.([0-9]+)", "rocky"},
    {"/etc/rocky-release", "Rocky Linux.*release ([0-9]+)", "rocky"},
    {"/etc/centos-release", "CentOS.*release ([0-9]+).*Update ([0-9]+)", "centos"},
    {"/etc/centos-release", "CentOS.*release ([0-9]+)\\.([0-9]+)", "centos"},
    {"/etc/centos-release", "CentOS.*release ([0-9]+)", "centos"},
    {"/etc/redhat-release", "Fedora release ([0-9]+)", "fedora"},
    {"/etc/redhat-release", "Red Hat.*release ([0-9]+).*Update ([0-9]+)", "rhel"},
    {"/etc/redhat-release", "Red Hat.*release ([0-9]+)\\.([0-9]+)", "rhel"},
    {"/etc/redhat-release", "Red Hat.*release ([0-9]+)", "rhel"},
    {"/etc/redhat-release", "CentOS.*release ([0-9]+).*Update ([0-9]+)", "centos"},
    {"/etc/redhat-release", "CentOS.*release ([0-9]+)\\.([0-9]+)", "centos"},
    {"/etc/redhat-release", "CentOS.*release ([0-9]+)", "centos"},
    {"/etc/redhat-release", NULL, "redhat-based"},
    {"/etc/debian_version", NULL, "debian"},
};

static const char *
package_format(const char *distro)
{
    static const char *const deb[] = {"debian", "ubuntu", "linuxmint", "kalilinux", NULL};
    static const char *const rpm[] = {"rhel",     "centos",      "fedora",          "rocky",
                                      "opensuse", "sles",        "redhat-based",    "mageia",
                                      "altlinux", "oraclelinux", "scientificlinux", NULL};
    for (size_t i = 0; distro && deb[i]; i++)
        if (strcmp(distro, deb[i]) == 0)
            return "deb";
    for (size_t i = 0; distro && rpm[i]; i++)
        if (strcmp(distro, rpm[i]) == 0)
            return "rpm";
    return NULL;
}

static void
read_release(struct reading *rd)
{
    struct release r = {0};
    bool done = (is_file(rd, "/etc/os-release", true) && parse_os_release(rd, &r)) ||
                (is_file(rd, "/etc/lsb-release", true) && parse_lsb_release(rd, &r));
    for (size_t i = 0; !done && i < sizeof(release_files) / sizeof(release_files[0]); i++)
        done = is_file(rd, release_files[i].path, true) &&
               parse_generic(rd, release_files[i].path, release_files[i].pattern,
                             release_files[i].distro, &r);
    struct inspect_os *os = rd->os;
    os->distro = r.distro;
    os->product = r.product;
    os->major = r.version ? r.major : 0;
    os->minor = r.version ? r.minor : 0;
    const char *fmt = package_format(r.distro);
    if (fmt && !(os->package_format = strdup(fmt)))
        rd->oom = true;
}

/* ---- the rest ---- */

static void
read_arch(struct reading *rd)
{
    static const char *const bins[] = {"/bin/bash", "/bin/ls", "/bin/echo", "/bin/rm", "/bin/sh"};
    for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
        unsigned char head[ELF_HEAD];
        size_t got = 0;
        struct ab_error e = AB_ERROR_INIT;
        if (!found(rd, tree_read_head(rd->t, bins[i], head, sizeof(head), &got, &e), bins[i], &e))
            continue;
        const char *arch = text_elf_arch(head, got);
        if (arch) {
            rd->oom |= !(rd->os->arch = strdup(arch));
            return;
        }
    }
}

static void
read_hostname(struct reading *rd)
{
    static const char *const files[] = {"/etc/HOSTNAME", "/etc/hostname"};
    for (size_t i = 0; i < 2 && !rd->os->hostname; i++) {
        size_t len;
        CLEANUP_FREE char *text = slurp(rd, files[i], SMALL_FILE, &len);
        char *line = text ? text_first_line(text, len) : NULL;
        if (line && *line)
            rd->os->hostname = line;
        else
            free(line);
    }
}

static void
read_dpkg(struct reading *rd)
{
    size_t len;
    CLEANUP_FREE char *text = slurp(rd, "/var/lib/dpkg/status", DPKG_STATUS_MAX, &len);
    rd->os->packages = text ? text_dpkg_installed(text, len) : -1;
}

/* Copies the files of the rpm database at dir (the guest's) into out. */
static bool
copy_rpmdb(struct reading *rd, const char *dir, const char *out)
{
    struct ab_error e = AB_ERROR_INIT;
    CLEANUP_STRV char **files = NULL;
    if (!found(rd, tree_list(rd->t, dir, &files, &e), dir, &e))
        return false;
    for (size_t i = 0; files[i]; i++) {
        CLEANUP_FREE char *src = NULL, *dst = NULL, *data = NULL;
        size_t len;
        if (asprintf(&src, "%s/%s", dir, files[i]) < 0 ||
            asprintf(&dst, "%s/%s", out, files[i]) < 0) {
            rd->oom = true;
            return false;
        }
        if (!is_file(rd, src, false))
            continue;
        if (!(data = slurp(rd, src, RPMDB_FILE_MAX, &len)) ||
            write_atomic_data(dst, 0600, data, len, &e) < 0) {
            found(rd, TREE_ERROR, src, &e);
            return false;
        }
    }
    return true;
}

/* The host's rpm counts the packages of a copy of the database. */
static void
read_rpm(struct reading *rd, const struct spawn_ctx *spawn)
{
    const char *dir = "/var/lib/rpm";
    rd->os->packages = -1;
    if (!spawn_have("rpm")) {
        note(rd, "the rpm database is not read on the host: it has no rpm (Debian package rpm)");
        return;
    }
    const char *tmp = getenv("TMPDIR");
    char scratch[4096];
    snprintf(scratch, sizeof(scratch), "%s/appliance-rpmdb.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        note(rd, "the rpm database is not read: cannot create a folder: %s", strerror(errno));
        return;
    }
    CLEANUP_FREE char *out = NULL, *dbpath = NULL;
    struct ab_error e = AB_ERROR_INIT;
    if (copy_rpmdb(rd, dir, scratch) && asprintf(&dbpath, "--dbpath=%s", scratch) >= 0) {
        const char *argv[] = {"rpm", "-qa", dbpath, "--qf", "%{NAME}\\n", NULL};
        struct spawn_opts o = {.ctx = spawn, .output = &out};
        if (spawn_run(argv, &o, &e) == 0) {
            long n = 0;
            for (const char *c = out; c && *c; c++)
                n += *c == '\n';
            rd->os->packages = n;
        } else {
            note(rd, "the rpm database is not read: %s", e.n_diags ? e.diags[0].msg : "rpm failed");
        }
    }
    ab_error_release(&e);
    rm_rf(scratch, scratch);
}

static void
read_grow(struct reading *rd)
{
    struct inspect_os *os = rd->os;
    os->grow_unit = is_file(rd, "/etc/systemd/system/appliance-grow.service", false) &&
                    is_file(rd, "/usr/libexec/appliance/appliance-grow", false);
    CLEANUP_STRV char **dirs = names(rd, "/etc/systemd/system", "");
    for (size_t i = 0; dirs && dirs[i] && !os->grow_enabled; i++) {
        size_t n = strlen(dirs[i]);
        CLEANUP_FREE char *path = NULL;
        struct tree_node node;
        if (n < 6 || strcmp(dirs[i] + n - 6, ".wants") != 0)
            continue;
        if (asprintf(&path, "/etc/systemd/system/%s/appliance-grow.service", dirs[i]) < 0) {
            rd->oom = true;
            return;
        }
        os->grow_enabled = exists(rd, path, false, &node);
    }
    os->grow_vgs = names(rd, "/var/lib/appliance/grow", "");
}

static void
read_identity(struct reading *rd)
{
    struct tree_node n;
    struct inspect_os *os = rd->os;
    if (!exists(rd, "/etc/machine-id", false, &n))
        os->machine_id = rd->os->incomplete ? MACHINE_ID_UNKNOWN : MACHINE_ID_ABSENT;
    else if (n.fs->fs && LINUX_S_ISREG(n.inode.i_mode))
        os->machine_id = EXT2_I_SIZE(&n.inode) > 0 ? MACHINE_ID_SET : MACHINE_ID_EMPTY;
    else
        os->machine_id = MACHINE_ID_UNKNOWN;
    os->host_keys = names(rd, "/etc/ssh", "ssh_host_");
    for (size_t i = 0; os->host_keys && os->host_keys[i]; i++) {
        char *full = NULL;
        if (asprintf(&full, "ssh_host_%s", os->host_keys[i]) < 0) {
            rd->oom = true;
            return;
        }
        free(os->host_keys[i]);
        os->host_keys[i] = full;
    }
}

bool
guest_os_mount_wanted(const char *path, const char *type)
{
    static const char *const skip[] = {"/dev", "/proc", "/sys", "/media", "/selinux", NULL};
    static const char *const pseudo[] = {"swap", "proc", "sysfs", "tmpfs", "devpts", "none", NULL};
    if (path[0] != '/')
        return false;
    for (size_t i = 0; skip[i]; i++) {
        size_t n = strlen(skip[i]);
        if (strncmp(path, skip[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return false;
    }
    for (size_t i = 0; pseudo[i]; i++)
        if (strcmp(type, pseudo[i]) == 0)
            return false;
    return true;
}

int
guest_os_read(struct guest_tree *t, struct inspect_os *os, const struct spawn_ctx *spawn,
              struct ab_error *err)
{
    struct reading rd = {t, os, err, false};
    os->source = SOURCE_HOST;
    os->packages = -1;
    rd.oom |= !(os->type = strdup("linux"));
    read_release(&rd);
    read_arch(&rd);
    read_hostname(&rd);
    os->kernels = names(&rd, "/boot", "vmlinuz-");
    if (os->package_format && strcmp(os->package_format, "deb") == 0)
        read_dpkg(&rd);
    else if (os->package_format && strcmp(os->package_format, "rpm") == 0)
        read_rpm(&rd, spawn);
    read_grow(&rd);
    read_identity(&rd);
    return rd.oom ? ab_oom(err) : 0;
}
