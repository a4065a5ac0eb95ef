/* packages.c: a root tree's installed packages (packages.h). */
#include "appliance/packages.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/dep5.h"
#include "appliance/inroot.h"

/* The fields asked of each tool, tab-separated, one package a line. */
#define DPKG_FORMAT                                                                                \
    "${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t"       \
    "${source:Version}\\t${Maintainer}\\n"
#define RPM_FORMAT                                                                                 \
    "%{NAME}\\t%|EPOCH?{%{EPOCH}:}|%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{VENDOR}\\t"  \
    "%{LICENSE}\\n"

const char *
packages_format_name(enum pkg_format format)
{
    return format == PKG_DEB ? "deb" : format == PKG_RPM ? "rpm" : NULL;
}

static void
pkg_release(struct pkg *p)
{
    free(p->name);
    free(p->version);
    free(p->arch);
    free(p->source);
    free(p->source_version);
    free(p->supplier);
    free(p->license);
}

void
packages_release(struct pkg_list *list)
{
    for (size_t i = 0; list && i < list->n; i++)
        pkg_release(&list->v[i]);
    if (list) {
        free(list->v);
        *list = (struct pkg_list)PKG_LIST_INIT;
    }
}

static int
by_name(const void *a, const void *b)
{
    const struct pkg *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->arch, y->arch);
}

const struct pkg *
packages_find(const struct pkg_list *list, const char *name, const char *arch)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->v[i].name, name) == 0 && (!arch || strcmp(list->v[i].arch, arch) == 0))
            return &list->v[i];
    return NULL;
}

/* Splits line at tabs into at most max fields; their number. */
static size_t
split_tabs(char *line, char **fields, size_t max)
{
    size_t n = 0;
    for (char *p = line; n < max;) {
        fields[n++] = p;
        char *tab = strchr(p, '\t');
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return n;
}

/* "(none)" and "" are rpm's and dpkg's nothing. */
static char *
dup_value(const char *s)
{
    return strdup(!s || strcmp(s, "(none)") == 0 ? "" : s);
}

/* bash-5.1.8-6.el9.src.rpm -> "bash", "5.1.8-6.el9". */
static int
rpm_source(const char *srpm, struct pkg *p)
{
    size_t n = strlen(srpm);
    const char *suffix = ".src.rpm";
    if (n > strlen(suffix) && strcmp(srpm + n - strlen(suffix), suffix) == 0)
        n -= strlen(suffix);
    CLEANUP_FREE char *base = strndup(srpm, n);
    if (!base)
        return -1;
    char *rel = strrchr(base, '-');
    char *ver = rel ? memrchr(base, '-', (size_t)(rel - base)) : NULL;
    if (!ver || strcmp(srpm, "(none)") == 0) {
        p->source = strdup(p->name);
        p->source_version = strdup(p->version);
    } else {
        p->source = strndup(base, (size_t)(ver - base));
        p->source_version = strdup(ver + 1);
    }
    return p->source && p->source_version ? 0 : -1;
}

static int
take_deb(char **f, size_t n, struct pkg *p)
{
    /* dpkg's status: the second letter is the state, 'i' installed. */
    if (n < 7 || strlen(f[0]) < 2 || f[0][1] != 'i')
        return 1;
    p->name = strdup(f[1]);
    p->version = strdup(f[2]);
    p->arch = strdup(f[3]);
    p->source = strdup(f[4][0] ? f[4] : f[1]);
    p->source_version = strdup(f[5][0] ? f[5] : f[2]);
    p->supplier = f[6][0] ? strdup(f[6]) : NULL;
    p->license = strdup("NOASSERTION");
    return p->name && p->version && p->arch && p->source && p->source_version && p->license &&
                   (p->supplier || !f[6][0])
               ? 0
               : -1;
}

static int
take_rpm(char **f, size_t n, struct pkg *p)
{
    if (n < 6)
        return 1;
    p->name = strdup(f[0]);
    p->version = strdup(f[1]);
    p->arch = dup_value(f[2]);
    CLEANUP_FREE char *vendor = dup_value(f[4]);
    p->supplier = vendor && vendor[0] ? strdup(vendor) : NULL;
    p->license = strcmp(f[5], "(none)") == 0 ? strdup("NOASSERTION") : license_to_spdx(f[5]);
    if (!p->name || !p->version || !p->arch || !vendor || (vendor[0] && !p->supplier) ||
        !p->license)
        return -1;
    return rpm_source(f[3], p);
}

int
packages_parse(const char *text, enum pkg_format format, struct pkg_list *list,
               struct ab_error *err)
{
    *list = (struct pkg_list){.format = format};
    CLEANUP_FREE char *copy = strdup(text ? text : "");
    size_t cap = 0;
    char *save = NULL;
    if (!copy)
        return ab_oom(err);
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f[8];
        size_t n = split_tabs(l, f, 8);
        if (list->n == cap) {
            cap = cap ? 2 * cap : 256;
            struct pkg *grown = realloc(list->v, cap * sizeof(*grown));
            if (!grown)
                return ab_oom(err);
            list->v = grown;
        }
        struct pkg *p = &list->v[list->n];
        *p = (struct pkg){.name = NULL};
        int r = format == PKG_DEB ? take_deb(f, n, p) : format == PKG_RPM ? take_rpm(f, n, p) : 1;
        if (r != 0)
            pkg_release(p);
        if (r < 0)
            return ab_oom(err);
        if (r == 0)
            list->n++;
    }
    if (list->n)
        qsort(list->v, list->n, sizeof(*list->v), by_name);
    return 0;
}

/* The file at path in the tree, at most max bytes (more is cut); NULL
 * when it cannot be read (errno). */
static char *
read_in_tree(int rootfd, const char *path, size_t max, size_t *len)
{
    CLEANUP_CLOSE int fd = inroot_open_quiet(rootfd, path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return NULL;
    size_t want = (uint64_t)st.st_size < max ? (size_t)st.st_size : max;
    char *text = malloc(want + 1);
    size_t got = 0;
    while (text && got < want) {
        ssize_t r = read(fd, text + got, want - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (text)
        text[got] = '\0';
    *len = got;
    return text;
}

int
packages_licenses(const char *root, struct pkg_list *list, struct ab_error *err)
{
    if (list->format != PKG_DEB)
        return 0;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    for (size_t i = 0; i < list->n; i++) {
        struct pkg *p = &list->v[i];
        CLEANUP_FREE char *path = NULL, *text = NULL;
        char *expr = NULL;
        size_t len = 0;
        if (asprintf(&path, "/usr/share/doc/%s/copyright", p->name) < 0)
            return ab_oom(err);
        if (!(text = read_in_tree(rootfd, path, DEP5_MAX_BYTES, &len)))
            continue; /* none: NOASSERTION */
        int r = dep5_license(text, len, &expr);
        if (r < 0)
            return ab_oom(err);
        if (r > 0) {
            free(p->license);
            p->license = expr;
        }
    }
    return 0;
}

static bool
exists_in(int rootfd, const char *path)
{
    return rootfd >= 0 && inroot_exists(rootfd, path, NULL);
}

/* The folder at path as the tree resolves it, open for a child to read
 * by descriptor (/proc/self/fd/N): a `var/lib/dpkg -> /var/lib/dpkg` link
 * reads the tree's, never the host's. The descriptor is inherited: no
 * O_CLOEXEC. */
static int
open_db_dir(int rootfd, const char *path, const char *opt, char **arg, struct ab_error *err)
{
    int fd = inroot_open(rootfd, path, O_RDONLY | O_DIRECTORY, 0, err);
    if (fd < 0)
        return -1;
    if (fcntl(fd, F_SETFD, 0) < 0) {
        close(fd);
        return ab_build_error(err, errno, "cannot read the package database");
    }
    if (asprintf(arg, "%s=/proc/self/fd/%d", opt, fd) < 0) {
        close(fd);
        return ab_oom(err);
    }
    return fd;
}

/* The tool's output for the tree's database, and its format. */
static int
query(int rootfd, char **out, enum pkg_format *format, const struct spawn_ctx *ctx,
      struct ab_error *err)
{
    CLEANUP_FREE char *dbarg = NULL;
    *out = NULL;
    if (exists_in(rootfd, "var/lib/dpkg/status")) {
        CLEANUP_CLOSE int fd = open_db_dir(rootfd, "/var/lib/dpkg", "--admindir", &dbarg, err);
        if (fd < 0)
            return -1;
        const char *argv[] = {"dpkg-query", dbarg, "-W", "-f", DPKG_FORMAT, NULL};
        *format = PKG_DEB;
        return spawn_run(argv, &(const struct spawn_opts){.ctx = ctx, .output = out}, err);
    }
    const char *rpmdb = exists_in(rootfd, "usr/lib/sysimage/rpm") ? "/usr/lib/sysimage/rpm"
                        : exists_in(rootfd, "var/lib/rpm")        ? "/var/lib/rpm"
                                                                  : NULL;
    if (rpmdb) {
        CLEANUP_CLOSE int fd = open_db_dir(rootfd, rpmdb, "--dbpath", &dbarg, err);
        if (fd < 0)
            return -1;
        const char *argv[] = {"rpm", dbarg, "-qa", "--qf", RPM_FORMAT, NULL};
        *format = PKG_RPM;
        return spawn_run(argv, &(const struct spawn_opts){.ctx = ctx, .output = out}, err);
    }
    *format = PKG_NONE;
    return 0;
}

int
packages_read(const char *root, struct pkg_list *list, const struct spawn_ctx *ctx,
              struct ab_error *err)
{
    *list = (struct pkg_list)PKG_LIST_INIT;
    CLEANUP_FREE char *out = NULL;
    enum pkg_format format = PKG_NONE;
    struct ab_error ignored = AB_ERROR_INIT;
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, &ignored);
    ab_error_release(&ignored);
    if (query(rootfd, &out, &format, ctx, err) < 0)
        return -1;
    if (packages_parse(out, format, list, err) < 0 || packages_licenses(root, list, err) < 0) {
        packages_release(list);
        return -1;
    }
    return 0;
}
