/* os_dnf.c: root trees of the dnf family (CentOS Stream, Rocky Linux,
 * AlmaLinux: the rows of distro.h whose tool is dnf) through
 * `dnf --installroot`, natively on the host.
 *
 * dnf reads only what this source writes in its scratch folder: a private
 * dnf.conf, a reposdir with one .repo file, rpm macros (through HOME) that
 * put the rpm database where the distribution's rpm looks for it (Debian's
 * rpm keeps it in ~/.rpmdb). The host's /etc/dnf and /etc/yum.repos.d are
 * never read or written. The dracut configuration is written into the
 * root before the kernel is installed, so the kernel's scriptlets make the
 * one initramfs, natively, with LVM and every hypervisor's drivers. dnf
 * runs in a private mount namespace with /proc, /sys and a minimal /dev in
 * the root for the packages' scriptlets (nsrun.h); those mounts end with
 * dnf, whatever happens to it. The root is then packed as a tar archive.
 *
 * Which repositories, GPG checks and packages: see os_dnf.h. */
#include "os_dnf.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/distro.h"
#include "appliance/fsutil.h"
#include "appliance/hash.h"
#include "appliance/inroot.h"
#include "appliance/nsrun.h"
#include "appliance/os_source.h"
#include "appliance/spawn.h"
#include "appliance/templates.h"

/* Bump when the tree this source makes changes for the same inputs. */
#define DNF_SOURCE_VERSION "dnf-1"

/* lvm2, util-linux (sfdisk, partx), e2fsprogs and xfsprogs: also what
 * appliance-grow runs at boot (configure_grow.c). The boot packages come
 * between lvm2 and the rest (boot_packages). */
static const char *const base_packages[] = {
    "lvm2",      "NetworkManager", "openssh-server", "xfsprogs",
    "e2fsprogs", "dosfstools",     "util-linux",     NULL,
};

/* The boot packages of arch, into out (malloc'd names, NULL-terminated;
 * room for 6): GRUB for the BIOS where the architecture has one, then
 * GRUB for UEFI and shim, named with the arch row's UEFI suffix as EL9
 * names them (grub2-efi-x64, shim-aa64). 0, or -1 when out of memory. */
static int
boot_packages(enum arch arch, char *out[6])
{
    const struct arch_row *row = arch_row(arch);
    size_t n = 0;
    if (row->bios && (!(out[n++] = strdup("grub2-pc")) || !(out[n++] = strdup("grub2-pc-modules"))))
        return -1;
    if (asprintf(&out[n++], "grub2-efi-%s", row->efi_lower) < 0 ||
        asprintf(&out[n++], "grub2-efi-%s-modules", row->efi_lower) < 0 ||
        asprintf(&out[n++], "shim-%s", row->efi_lower) < 0)
        return -1;
    out[n] = NULL;
    return 0;
}

/* The dracut configuration written into the root before the kernel is
 * installed (templates/dracut-appliance.conf): one generic initramfs with
 * LVM and every hypervisor's storage and network drivers. */
#define DRACUT_CONF "dracut-appliance.conf"

/* The row of a distribution dnf installs, else NULL. */
static const struct distro_row *
distro_info(enum distro d)
{
    const struct distro_row *r = distro_row(d);
    return r->package_tool && strcmp(r->package_tool, os_source_dnf.name) == 0 ? r : NULL;
}

static bool
dnf_handles(const struct plan *plan)
{
    return distro_info(plan->os.distro) && !plan->os.rootfs_abs;
}

/* ---- repositories ------------------------------------------------------- */

static bool
has_file(const char *dir, const char *rel)
{
    CLEANUP_FREE char *path = NULL;
    struct stat st;
    return asprintf(&path, "%s/%s", dir, rel) >= 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* True when a repository's repomd.xml lists group (comps) data. */
static bool
has_groups(const char *dir)
{
    CLEANUP_FREE char *path = NULL, *text = NULL;
    if (asprintf(&path, "%s/repodata/repomd.xml", dir) < 0)
        return false;
    text = read_text_file(path);
    return text && strstr(text, "type=\"group");
}

static int
repo_add(struct dnf_setup *s, const char *id, const char *base, const char *sub,
         const char *local_base)
{
    struct dnf_repo *r = &s->repos[s->n_repos];
    r->id = id;
    if (asprintf(&r->url, "%s%s", base, sub) < 0) {
        r->url = NULL;
        return -1;
    }
    if (local_base && asprintf(&r->local, "%s/%s", local_base, sub) < 0) {
        free(r->url);
        r->url = r->local = NULL;
        return -1;
    }
    s->n_repos++;
    return 0;
}

/* True when dir/sub holds a repository's index. */
static bool
has_repo(const char *dir, const char *sub)
{
    CLEANUP_FREE char *rel = NULL;
    return asprintf(&rel, "%srepodata/repomd.xml", sub) >= 0 && has_file(dir, rel);
}

/* file:///PATH: the first layout found under PATH (see os_dnf.h). */
static int
resolve_local(struct dnf_setup *s, const char *base, struct ab_error *err)
{
    const char *arch = arch_row(s->plan->hardware.arch)->name; /* rpm's basearch */
    CLEANUP_FREE char *baseos = NULL, *appstream = NULL;
    if (asprintf(&baseos, "BaseOS/%s/os/", arch) < 0 ||
        asprintf(&appstream, "AppStream/%s/os/", arch) < 0)
        return ab_oom(err);
    const char *const layouts[][2] = {
        {baseos, appstream},
        {"BaseOS/", "AppStream/"},
        {"", NULL},
    };
    CLEANUP_FREE char *path = strdup(base + strlen("file://"));
    if (!path)
        return ab_oom(err);
    path[strlen(path) - 1] = '\0'; /* the base ends in '/' */
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        if (!has_repo(path, layouts[i][0]))
            continue;
        if (repo_add(s, layouts[i][1] ? "baseos" : "mirror", base, layouts[i][0], path) < 0 ||
            (layouts[i][1] && has_repo(path, layouts[i][1]) &&
             repo_add(s, "appstream", base, layouts[i][1], path) < 0))
            return ab_oom(err);
        return 0;
    }
    return ab_error_set(err, AB_E_BUILD, 0, &s->plan->recipe->os.mirror_pos,
                        "mirror '%s' holds no package repository: none of "
                        "%srepodata/repomd.xml, BaseOS/repodata/repomd.xml or "
                        "repodata/repomd.xml is in '%s'",
                        s->plan->os.mirror, baseos, *path ? path : "/");
}

/* GPG checks stay on unless a local repository's metadata is unsigned. */
static void
settle_checks(struct dnf_setup *s)
{
    s->gpgcheck = true;
    s->groups = true;
    if (!s->repos[0].local)
        return;
    s->groups = false;
    for (size_t i = 0; i < s->n_repos; i++) {
        if (!has_file(s->repos[i].local, "repodata/repomd.xml.asc"))
            s->gpgcheck = false;
        if (has_groups(s->repos[i].local))
            s->groups = true;
    }
}

int
dnf_setup_init(struct dnf_setup *s, const struct plan *plan, struct ab_error *err)
{
    *s = (struct dnf_setup){.plan = plan};
    const struct distro_row *d = distro_info(plan->os.distro);
    if (!d)
        return ab_build_error(err, 0, "dnf cannot install '%s'", distro_to_string(plan->os.distro));
    const char *mirror = plan->os.mirror ? plan->os.mirror : d->mirror;
    size_t len = strlen(mirror);
    CLEANUP_FREE char *base = NULL;
    if (asprintf(&base, "%s%s", mirror, len && mirror[len - 1] == '/' ? "" : "/") < 0)
        return ab_oom(err);
    const char *arch = arch_row(plan->hardware.arch)->name; /* rpm's basearch */
    CLEANUP_FREE char *baseos = NULL, *appstream = NULL;
    if (asprintf(&baseos, "BaseOS/%s/os/", arch) < 0 ||
        asprintf(&appstream, "AppStream/%s/os/", arch) < 0)
        return ab_oom(err);
    int r = 0;
    if (strncmp(base, "file://", 7) == 0)
        r = resolve_local(s, base, err);
    else if (repo_add(s, "baseos", base, baseos, NULL) < 0 ||
             repo_add(s, "appstream", base, appstream, NULL) < 0)
        r = ab_oom(err);
    if (r < 0) {
        dnf_setup_release(s);
        return -1;
    }
    settle_checks(s);
    return 0;
}

void
dnf_setup_release(struct dnf_setup *s)
{
    for (size_t i = 0; i < s->n_repos; i++) {
        free(s->repos[i].url);
        free(s->repos[i].local);
    }
    s->n_repos = 0;
}

/* ---- the files dnf reads ------------------------------------------------ */

static int
hex_value(int c)
{
    return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Writes key=value with value's %XX escapes decoded. */
static void
put_decoded(FILE *f, const char *key, const char *value, size_t len)
{
    fprintf(f, "%s=", key);
    for (size_t i = 0; i < len; i++) {
        if (value[i] == '%' && i + 2 < len && isxdigit((unsigned char)value[i + 1]) &&
            isxdigit((unsigned char)value[i + 2])) {
            fputc(hex_value((unsigned char)value[i + 1]) * 16 +
                      hex_value((unsigned char)value[i + 2]),
                  f);
            i += 2;
        } else {
            fputc(value[i], f);
        }
    }
    fputc('\n', f);
}

/* baseurl, with a mirror's user:password@ moved to username= and
 * password=, so that dnf never shows them in its messages. */
static void
put_baseurl(FILE *f, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    size_t auth = strcspn(host, "/@");
    if (!scheme || host[auth] != '@') {
        fprintf(f, "baseurl=%s\n", url);
        return;
    }
    fprintf(f, "baseurl=%.*s%s\n", (int)(host - url), url, host + auth + 1);
    size_t user = strcspn(host, ":@");
    put_decoded(f, "username", host, user);
    if (user < auth)
        put_decoded(f, "password", host + user + 1, auth - user - 1);
}

static const char *
repo_title(const char *id)
{
    return strcmp(id, "baseos") == 0      ? "BaseOS"
           : strcmp(id, "appstream") == 0 ? "AppStream"
                                          : "mirror";
}

char *
dnf_setup_repo_file(const struct dnf_setup *s)
{
    const struct distro_row *d = distro_info(s->plan->os.distro);
    char *text = NULL;
    size_t len = 0;
    FILE *f = d ? open_memstream(&text, &len) : NULL;
    if (!f)
        return NULL;
    fprintf(f, "# written by appliance for %s: read by this build's dnf only\n",
            distro_to_string(s->plan->os.distro));
    for (size_t i = 0; i < s->n_repos; i++) {
        const struct dnf_repo *r = &s->repos[i];
        fprintf(f, "\n[%s]\nname=%s - %s\n", r->id, d->title, repo_title(r->id));
        put_baseurl(f, r->url);
        fputs("enabled=1\n", f);
        if (s->gpgcheck)
            fprintf(f, "gpgcheck=1\ngpgkey=%s\n", d->gpgkey);
        else
            fputs("# an unsigned local repository (no repodata/repomd.xml.asc): the\n"
                  "# builder's own packages, installed without GPG checks\n"
                  "gpgcheck=0\n",
                  f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

char *
dnf_setup_dnf_conf(const struct dnf_setup *s)
{
    const struct distro_row *d = distro_info(s->plan->os.distro);
    char *text = NULL;
    if (!d || asprintf(&text,
                 "# written by appliance: this build's dnf only; the repositories are\n"
                 "# in the reposdir given on dnf's command line\n"
                 "[main]\n"
                 "gpgcheck=%d\n"
                 "installonly_limit=3\n"
                 "best=True\n"
                 "skip_if_unavailable=False\n"
                 "install_weak_deps=False\n"
                 "tsflags=nodocs\n"
                 "keepcache=False\n"
                 "module_platform_id=platform:el%s\n",
                 s->gpgcheck ? 1 : 0, d->release) < 0)
        return NULL;
    return text;
}

static bool
c_locale(const char *l)
{
    return strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0 || strncmp(l, "C.", 2) == 0;
}

char *
dnf_setup_rpm_macros(const struct dnf_setup *s)
{
    const char *l = s->plan->os.locale;
    int lang = c_locale(l) ? 0 : (int)strcspn(l, ".@");
    char *text = NULL;
    if (asprintf(&text,
                 "# written by appliance: the database where the distribution's rpm looks\n"
                 "%%_dbpath /var/lib/rpm\n"
                 "%%_db_backend sqlite\n"
                 "# translations of English and the locale's language only\n"
                 "%%_install_langs en%s%.*s\n",
                 lang ? ":" : "", lang, l) < 0)
        return NULL;
    return text;
}

/* glibc-langpack-LL for the locale LL_CC.charset, if it needs one. */
static char *
langpack(const char *locale)
{
    size_t n = strcspn(locale, "_.@");
    char *name = NULL;
    if (c_locale(locale) || n == 0 || asprintf(&name, "glibc-langpack-%.*s", (int)n, locale) < 0)
        return NULL;
    return name;
}

char **
dnf_setup_packages(const struct dnf_setup *s)
{
    const struct plan *p = s->plan;
    const struct distro_row *d = distro_info(p->os.distro);
    const char *addons[DISTRO_N_ADDONS];
    size_t n = 0, cap = 24, n_addons = distro_addon_packages(p->os.distro, p->addons, addons);
    for (char *const *q = p->os.packages; q && *q; q++)
        cap++;
    char **list = calloc(cap, sizeof(char *));
    if (!list || !d)
        goto fail;
    if (s->groups && !(list[n++] = strdup("@core")))
        goto fail;
    if (!(list[n++] = strdup(d->release_package)) || !(list[n++] = strdup(distro_kernel_package(p->os.distro, p->hardware.arch))) ||
        !(list[n++] = strdup(d->initramfs_package)))
        goto fail;
    if (!(list[n++] = strdup(base_packages[0])) || boot_packages(p->hardware.arch, list + n) < 0)
        goto fail;
    while (list[n])
        n++;
    for (const char *const *q = base_packages + 1; *q; q++)
        if (!(list[n++] = strdup(*q)))
            goto fail;
    for (size_t i = 0; i < n_addons; i++)
        if (!(list[n++] = strdup(addons[i])))
            goto fail;
    if ((list[n] = langpack(p->os.locale)))
        n++;
    /* AppStream's; configured by configure_cloud(). dracut's hostonly="no"
     * already carries every cloud's disk and NIC drivers. */
    if (p->cloud && !(list[n++] = strdup("cloud-init")))
        goto fail;
    for (char *const *q = p->os.packages; q && *q; q++)
        if (!(list[n++] = strdup(*q)))
            goto fail;
    return list;
fail:
    ab_strv_free(list);
    return NULL;
}

/* ---- the source --------------------------------------------------------- */

static void
setup_cleanup(struct dnf_setup *s)
{
    dnf_setup_release(s);
}
#define CLEANUP_DNF_SETUP __attribute__((cleanup(setup_cleanup)))

static int
dnf_key(const struct plan *plan, struct digest_ctx *key, struct ab_error *err)
{
    CLEANUP_DNF_SETUP struct dnf_setup s = {0};
    if (dnf_setup_init(&s, plan, err) < 0)
        return -1;
    CLEANUP_FREE char *repos = dnf_setup_repo_file(&s), *conf = dnf_setup_dnf_conf(&s);
    CLEANUP_FREE char *macros = dnf_setup_rpm_macros(&s);
    CLEANUP_STRV char **packages = dnf_setup_packages(&s);
    if (!repos || !conf || !macros || !packages)
        return ab_oom(err);
    digest_str(key, DNF_SOURCE_VERSION);
    digest_str(key, distro_to_string(plan->os.distro));
    digest_str(key, repos);
    digest_str(key, conf);
    digest_str(key, macros);
    digest_str(key, templates_get(DRACUT_CONF));
    digest_str(key, NSRUN_MOUNTS);
    for (char **q = packages; *q; q++)
        digest_str(key, *q);
    digest_u64(key, 0);
    /* A local repository changes under the same address: its index too. */
    for (size_t i = 0; i < s.n_repos; i++) {
        CLEANUP_FREE char *repomd = NULL;
        char hex[HASH_HEX_MAX];
        if (!s.repos[i].local)
            continue;
        if (asprintf(&repomd, "%s/repodata/repomd.xml", s.repos[i].local) < 0)
            return ab_oom(err);
        if (digest_file(DIGEST_SHA256, repomd, hex, err) < 0)
            return -1;
        digest_str(key, hex);
    }
    return 0;
}

/* The repositories, dnf.conf and rpm macros in scratch; the dracut configuration in the (new) root.
 */
static int
write_config(const struct dnf_setup *s, const char *scratch, const char *root, struct ab_error *err)
{
    CLEANUP_FREE char *repos = dnf_setup_repo_file(s), *conf = dnf_setup_dnf_conf(s);
    CLEANUP_FREE char *macros = dnf_setup_rpm_macros(s);
    CLEANUP_FREE char *repo_path = NULL, *conf_path = NULL, *macros_path = NULL;
    if (!repos || !conf || !macros ||
        asprintf(&repo_path, "%s/repos/appliance.repo", scratch) < 0 ||
        asprintf(&conf_path, "%s/dnf.conf", scratch) < 0 ||
        asprintf(&macros_path, "%s/home/.rpmmacros", scratch) < 0)
        return ab_oom(err);
    if (rm_rf(scratch, root) < 0 || mkdir_p(root, 0755) < 0)
        return ab_build_error(err, errno, "cannot make a fresh root '%s': %s", root,
                              strerror(errno));
    if (write_file(NULL, repo_path, repos, 0600, err) < 0 ||
        write_file(NULL, conf_path, conf, 0644, err) < 0 ||
        write_file(NULL, macros_path, macros, 0644, err) < 0 ||
        templates_write(root, "/etc/dracut.conf.d/appliance.conf", 0644, DRACUT_CONF, NULL, err) <
            0)
        return -1;
    return 0;
}

static int
run_dnf(const struct dnf_setup *s, const char *scratch, const char *root,
        const struct spawn_ctx *ctx, struct ab_error *err)
{
    CLEANUP_STRV char **packages = dnf_setup_packages(s);
    CLEANUP_FREE char *installroot = NULL, *config = NULL, *reposdir = NULL;
    CLEANUP_FREE char *home = NULL, *releasever = NULL, *forcearch = NULL;
    CLEANUP_FREE const char **argv = NULL;
    const struct distro_row *d = distro_info(s->plan->os.distro);
    size_t n = 0, n_packages = 0;
    for (char **q = packages; q && *q; q++)
        n_packages++;
    if (!packages || !d || asprintf(&installroot, "--installroot=%s", root) < 0 ||
        asprintf(&releasever, "--releasever=%s", d->release) < 0 ||
        asprintf(&forcearch, "--forcearch=%s", arch_row(s->plan->hardware.arch)->name) < 0 ||
        asprintf(&config, "--config=%s/dnf.conf", scratch) < 0 ||
        asprintf(&reposdir, "--setopt=reposdir=%s/repos", scratch) < 0 ||
        asprintf(&home, "HOME=%s/home", scratch) < 0 ||
        !(argv = calloc(n_packages + 32, sizeof(char *))))
        return ab_oom(err);
    const char *fixed[] = {
        "dnf",
        "-y",
        installroot,
        releasever,
        forcearch,
        config,
        reposdir,
        "--noplugins",
        "--setopt=install_weak_deps=False",
        "--setopt=tsflags=nodocs",
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        argv[n++] = fixed[i];
    if (!s->gpgcheck)
        argv[n++] = "--nogpgcheck";
    argv[n++] = "install";
    for (char **q = packages; *q; q++)
        argv[n++] = *q;
    argv[n] = NULL;
    const char *env[] = {home, NULL};
    struct spawn_opts o = {.ctx = ctx, .env = env};
    return nsrun(root, NSRUN_HOST, argv, &o, err);
}

/* dnf's cache and logs stay out of the tree: the logs name the mirror. */
static int
tidy_root(const char *root, struct ab_error *err)
{
    static const char *const patterns[] = {"/var/cache/dnf/*", "/var/log/dnf*.log",
                                           "/var/log/hawkey.log"};
    CLEANUP_CLOSE int rootfd = inroot_open_root(root, err);
    if (rootfd < 0)
        return -1;
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
        if (inroot_remove_glob(rootfd, patterns[i], err) < 0)
            return -1;
    return 0;
}

static int
pack_root(const char *root, const char *tar_path, const struct spawn_ctx *ctx, struct ab_error *err)
{
    const char *argv[] = {"tar", "--xattrs", "--xattrs-include=*", "--acls", "--selinux",
                          "--numeric-owner", "-C", root, "-cf", tar_path, ".", NULL};
    const struct spawn_opts o = {.ctx = ctx};
    if (spawn_run(argv, &o, err) < 0) {
        ab_error_prefix(err, "while packing the root tree");
        return -1;
    }
    return 0;
}

static int
dnf_fetch(const struct plan *plan, const char *tar_path, const char *scratch,
          const struct spawn_ctx *ctx, struct ab_error *err)
{
    CLEANUP_DNF_SETUP struct dnf_setup s = {0};
    char dir[PATH_MAX];
    CLEANUP_FREE char *root = NULL;
    if (dnf_setup_init(&s, plan, err) < 0)
        return -1;
    if (!realpath(scratch, dir))
        return ab_build_error(err, errno, "cannot use scratch folder '%s': %s", scratch,
                              strerror(errno));
    if (asprintf(&root, "%s/root", dir) < 0)
        return ab_oom(err);
    if (write_config(&s, dir, root, err) < 0 || run_dnf(&s, dir, root, ctx, err) < 0) {
        ab_error_prefix(err, "while installing %s with dnf", distro_to_string(plan->os.distro));
        return -1;
    }
    if (tidy_root(root, err) < 0 || pack_root(root, tar_path, ctx, err) < 0)
        return -1;
    rm_rf(dir, root); /* the archive is the tree now; free the space early */
    return 0;
}

const struct os_source os_source_dnf = {
    .name = "dnf",
    .handles = dnf_handles,
    .key = dnf_key,
    .fetch = dnf_fetch,
};
