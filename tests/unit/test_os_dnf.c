/* test_os_dnf.c: the dnf source's repositories, files and packages for
 * each distribution, with and without a mirror (golden text), and its
 * cache key. Running dnf itself: tests/integration/dnf-source.sh. */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/cache.h"
#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/os_source.h"
#include "appliance/templates.h"
#include "os/os_dnf.h"

/* A recipe for distro; mirror NULL for none; packages a YAML flow list
 * without brackets; locale and addons "" for the defaults. */
static const struct plan *
plan_for(const char *distro, const char *mirror, const char *packages, const char *locale,
         const char *addons)
{
    CLEANUP_FREE char *text = NULL;
    assert_true(asprintf(&text,
                         "recipe: 1\n"
                         "name: t\n"
                         "version: \"1\"\n"
                         "os:\n"
                         "  distro: %s\n"
                         "%s%s%s"
                         "  packages: [%s]\n"
                         "%s%s%s"
                         "%s%s%s"
                         "disks:\n"
                         "  os:\n"
                         "    size: 4GiB\n"
                         "    volumes:\n"
                         "      - { name: root, mount: /, size: rest }\n"
                         "  app:\n"
                         "    size: 1GiB\n"
                         "    volumes:\n"
                         "      - { name: app, mount: /opt/app, size: rest }\n",
                         distro, mirror ? "  mirror: " : "", mirror ? mirror : "",
                         mirror ? "\n" : "", packages, *locale ? "  locale: " : "", locale,
                         *locale ? "\n" : "", *addons ? "addons: [" : "", addons,
                         *addons ? "]\n" : "") >= 0);
    return unit_plan(text);
}

/* The packages joined by spaces. */
static char *
packages_text(const struct dnf_setup *s)
{
    CLEANUP_STRV char **list = dnf_setup_packages(s);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(list);
    assert_non_null(f);
    for (char **p = list; *p; p++)
        fprintf(f, "%s%s", p == list ? "" : " ", *p);
    assert_int_equal(fclose(f), 0);
    return text;
}

#define BASE_PACKAGES                                                                              \
    "kernel dracut lvm2 grub2-pc grub2-pc-modules grub2-efi-x64 grub2-efi-x64-modules "            \
    "shim-x64 NetworkManager openssh-server xfsprogs e2fsprogs dosfstools util-linux"
#define ADDONS "open-vm-tools hyperv-daemons qemu-guest-agent"

static void
check_setup(const struct plan *p, const char *repo_file, const char *packages, bool gpgcheck)
{
    struct dnf_setup s;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(dnf_setup_init(&s, p, &err), 0);
    CLEANUP_FREE char *repos = dnf_setup_repo_file(&s);
    CLEANUP_FREE char *list = packages_text(&s);
    assert_non_null(repos);
    assert_string_equal(repos, repo_file);
    assert_string_equal(list, packages);
    assert_int_equal(s.gpgcheck, gpgcheck);
    dnf_setup_release(&s);
}

static void
test_centos_default(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = plan_for("centos-stream-9", NULL, "nginx", "", "");
    assert_ptr_equal(os_source_for(p), &os_source_dnf);
    check_setup(p,
                "# written by appliance for centos-stream-9: read by this build's dnf only\n"
                "\n"
                "[baseos]\n"
                "name=CentOS Stream 9 - BaseOS\n"
                "baseurl=https://mirror.stream.centos.org/9-stream/BaseOS/x86_64/os/\n"
                "enabled=1\n"
                "gpgcheck=1\n"
                "gpgkey=https://www.centos.org/keys/RPM-GPG-KEY-CentOS-Official\n"
                "\n"
                "[appstream]\n"
                "name=CentOS Stream 9 - AppStream\n"
                "baseurl=https://mirror.stream.centos.org/9-stream/AppStream/x86_64/os/\n"
                "enabled=1\n"
                "gpgcheck=1\n"
                "gpgkey=https://www.centos.org/keys/RPM-GPG-KEY-CentOS-Official\n",
                "@core centos-stream-release " BASE_PACKAGES " " ADDONS " nginx", true);
}

/* aarch64: the repositories of its basearch, and its boot packages named
 * with its UEFI suffix, without the BIOS's GRUB (EL9's aarch64 has none). */
static void
test_rocky_aarch64(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        unit_plan("recipe: 1\nname: t\nversion: '1'\nos: {distro: rocky-9}\n"
                  "hardware: {arch: aarch64}\naddons: []\n"
                  "disks:\n  os: {size: 4GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
                  "  app: {size: 1GiB, volumes: [{name: app, mount: /opt/app, size: rest}]}\n");
    struct dnf_setup s;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(dnf_setup_init(&s, p, &err), 0);
    CLEANUP_FREE char *repos = dnf_setup_repo_file(&s);
    CLEANUP_FREE char *list = packages_text(&s);
    assert_non_null(
        strstr(repos, "baseurl=https://dl.rockylinux.org/pub/rocky/9/BaseOS/aarch64/os/\n"));
    assert_non_null(strstr(repos, "/AppStream/aarch64/os/\n"));
    assert_null(strstr(repos, "x86_64"));
    assert_non_null(strstr(list, " lvm2 grub2-efi-aa64 grub2-efi-aa64-modules shim-aa64 "
                                 "NetworkManager "));
    assert_null(strstr(list, "grub2-pc"));
    assert_null(strstr(list, "x64"));
    dnf_setup_release(&s);
}

static void
test_rocky_default(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        plan_for("rocky-9", NULL, "postgresql-server, '@web-server'", "it_IT.UTF-8", "kvm");
    assert_ptr_equal(os_source_for(p), &os_source_dnf);
    check_setup(p,
                "# written by appliance for rocky-9: read by this build's dnf only\n"
                "\n"
                "[baseos]\n"
                "name=Rocky Linux 9 - BaseOS\n"
                "baseurl=https://dl.rockylinux.org/pub/rocky/9/BaseOS/x86_64/os/\n"
                "enabled=1\n"
                "gpgcheck=1\n"
                "gpgkey=https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9\n"
                "\n"
                "[appstream]\n"
                "name=Rocky Linux 9 - AppStream\n"
                "baseurl=https://dl.rockylinux.org/pub/rocky/9/AppStream/x86_64/os/\n"
                "enabled=1\n"
                "gpgcheck=1\n"
                "gpgkey=https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9\n",
                "@core rocky-release " BASE_PACKAGES
                " qemu-guest-agent glibc-langpack-it postgresql-server @web-server",
                true);
}

static void
test_alma_default(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = plan_for("almalinux-9", NULL, "", "C", "virtualbox");
    assert_ptr_equal(os_source_for(p), &os_source_dnf);
    check_setup(p,
                "# written by appliance for almalinux-9: read by this build's dnf only\n"
                "\n"
                "[baseos]\n"
                "name=AlmaLinux 9 - BaseOS\n"
                "baseurl=https://repo.almalinux.org/almalinux/9/BaseOS/x86_64/os/\n"
                "enabled=1\n"
                "gpgcheck=1\n"
                "gpgkey=https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9\n"
                "\n"
                "[appstream]\n"
                "name=AlmaLinux 9 - AppStream\n"
                "baseurl=https://repo.almalinux.org/almalinux/9/AppStream/x86_64/os/\n"
                "enabled=1\n"
                "gpgcheck=1\n"
                "gpgkey=https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9\n",
                /* VirtualBox: in-kernel drivers, no package */
                "@core almalinux-release " BASE_PACKAGES, true);
}

/* cloud-init (AppStream's) with a cloud output, never without one. */
static void
test_cloud_init_package(void **state)
{
    (void)state;
    /* The add-ons' slot carries the outputs line. */
    CLEANUP_PLAN const struct plan *cloud =
        plan_for("centos-stream-9", NULL, "", "", "kvm]\noutputs: [qcow2, gce");
    CLEANUP_PLAN const struct plan *plain =
        plan_for("centos-stream-9", NULL, "", "", "kvm]\noutputs: [qcow2");
    struct dnf_setup s;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(dnf_setup_init(&s, cloud, &err), 0);
    CLEANUP_FREE char *with = packages_text(&s);
    dnf_setup_release(&s);
    assert_int_equal(dnf_setup_init(&s, plain, &err), 0);
    CLEANUP_FREE char *without = packages_text(&s);
    dnf_setup_release(&s);
    assert_string_equal(with, "@core centos-stream-release " BASE_PACKAGES
                              " qemu-guest-agent cloud-init");
    assert_string_equal(without, "@core centos-stream-release " BASE_PACKAGES " qemu-guest-agent");
}

/* An http mirror is a release folder, taken as given; its user:password
 * go to username= and password=, decoded, never into the URL dnf shows. */
static void
test_http_mirror(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        plan_for("rocky-9", "https://me:s%40cret@mirror.example/rocky/9", "", "", "");
    check_setup(p,
                "# written by appliance for rocky-9: read by this build's dnf only\n"
                "\n"
                "[baseos]\n"
                "name=Rocky Linux 9 - BaseOS\n"
                "baseurl=https://mirror.example/rocky/9/BaseOS/x86_64/os/\n"
                "username=me\n"
                "password=s@cret\n"
                "enabled=1\n"
                "gpgcheck=1\n"
                "gpgkey=https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9\n"
                "\n"
                "[appstream]\n"
                "name=Rocky Linux 9 - AppStream\n"
                "baseurl=https://mirror.example/rocky/9/AppStream/x86_64/os/\n"
                "username=me\n"
                "password=s@cret\n"
                "enabled=1\n"
                "gpgcheck=1\n"
                "gpgkey=https://dl.rockylinux.org/pub/rocky/RPM-GPG-KEY-Rocky-9\n",
                "@core rocky-release " BASE_PACKAGES " " ADDONS, true);

    CLEANUP_PLAN const struct plan *q =
        plan_for("centos-stream-9", "http://mirror.example/centos-stream/9-stream/", "", "", "");
    struct dnf_setup s;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(dnf_setup_init(&s, q, &err), 0);
    assert_int_equal(s.n_repos, 2);
    assert_string_equal(s.repos[0].url,
                        "http://mirror.example/centos-stream/9-stream/BaseOS/x86_64/os/");
    assert_string_equal(s.repos[1].url,
                        "http://mirror.example/centos-stream/9-stream/AppStream/x86_64/os/");
    assert_null(s.repos[0].local);
    dnf_setup_release(&s);
}

/* Makes dir/repodata/repomd.xml (with group data when groups). */
static void
make_repo(const char *dir, bool groups, bool signed_)
{
    CLEANUP_FREE char *repodata = NULL, *repomd = NULL, *asc = NULL;
    assert_true(asprintf(&repodata, "%s/repodata", dir) >= 0);
    assert_true(asprintf(&repomd, "%s/repomd.xml", repodata) >= 0);
    assert_true(asprintf(&asc, "%s/repomd.xml.asc", repodata) >= 0);
    assert_int_equal(mkdir_p(repodata, 0755), 0);
    unit_write_file(repomd, groups ? "<repomd><data type=\"group\"></data></repomd>\n"
                                   : "<repomd><data type=\"primary\"></data></repomd>\n");
    if (signed_)
        unit_write_file(asc, "signature\n");
}

#define UNSIGNED                                                                                   \
    "enabled=1\n"                                                                                  \
    "# an unsigned local repository (no repodata/repomd.xml.asc): the\n"                           \
    "# builder's own packages, installed without GPG checks\n"                                     \
    "gpgcheck=0\n"

/* file:///PATH/BaseOS/x86_64/os/ and AppStream beside it: the official
 * layout; unsigned metadata turns GPG checks off, groups bring @core. */
static void
test_local_official_layout(void **state)
{
    (void)state;
    CLEANUP_FREE char *base = NULL, *mirror = NULL, *want = NULL;
    assert_true(asprintf(&base, "%s/official", unit_tmpdir) >= 0);
    assert_true(asprintf(&mirror, "file://%s", base) >= 0);
    CLEANUP_FREE char *b = NULL, *a = NULL;
    assert_true(asprintf(&b, "%s/BaseOS/x86_64/os", base) >= 0);
    assert_true(asprintf(&a, "%s/AppStream/x86_64/os", base) >= 0);
    make_repo(b, true, false);
    make_repo(a, false, false);
    CLEANUP_PLAN const struct plan *p = plan_for("centos-stream-9", mirror, "nginx", "", "");
    assert_true(asprintf(&want,
                         "# written by appliance for centos-stream-9: read by this build's dnf "
                         "only\n"
                         "\n[baseos]\nname=CentOS Stream 9 - BaseOS\n"
                         "baseurl=file://%s/BaseOS/x86_64/os/\n" UNSIGNED
                         "\n[appstream]\nname=CentOS Stream 9 - AppStream\n"
                         "baseurl=file://%s/AppStream/x86_64/os/\n" UNSIGNED,
                         base, base) >= 0);
    check_setup(p, want, "@core centos-stream-release " BASE_PACKAGES " " ADDONS " nginx", false);

    struct dnf_setup s;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(dnf_setup_init(&s, p, &err), 0);
    CLEANUP_FREE char *conf = dnf_setup_dnf_conf(&s);
    assert_string_equal(conf,
                        "# written by appliance: this build's dnf only; the repositories are\n"
                        "# in the reposdir given on dnf's command line\n"
                        "[main]\n"
                        "gpgcheck=0\n"
                        "installonly_limit=3\n"
                        "best=True\n"
                        "skip_if_unavailable=False\n"
                        "install_weak_deps=False\n"
                        "tsflags=nodocs\n"
                        "keepcache=False\n"
                        "module_platform_id=platform:el9\n");
    dnf_setup_release(&s);
}

/* file:///PATH/BaseOS/ without AppStream and without groups: BaseOS
 * only, no @core. Signed metadata keeps GPG checks on. */
static void
test_local_flat_layout(void **state)
{
    (void)state;
    CLEANUP_FREE char *base = NULL, *mirror = NULL, *b = NULL, *want = NULL;
    assert_true(asprintf(&base, "%s/flat", unit_tmpdir) >= 0);
    assert_true(asprintf(&mirror, "file://%s/", base) >= 0);
    assert_true(asprintf(&b, "%s/BaseOS", base) >= 0);
    make_repo(b, false, true);
    CLEANUP_PLAN const struct plan *p = plan_for("almalinux-9", mirror, "", "", "hyperv");
    assert_true(asprintf(&want,
                         "# written by appliance for almalinux-9: read by this build's dnf only\n"
                         "\n[baseos]\nname=AlmaLinux 9 - BaseOS\n"
                         "baseurl=file://%s/BaseOS/\n"
                         "enabled=1\n"
                         "gpgcheck=1\n"
                         "gpgkey=https://repo.almalinux.org/almalinux/RPM-GPG-KEY-AlmaLinux-9\n",
                         base) >= 0);
    check_setup(p, want, "almalinux-release " BASE_PACKAGES " hyperv-daemons", true);
}

/* file:///PATH/repodata: one repository. */
static void
test_local_single_repo(void **state)
{
    (void)state;
    CLEANUP_FREE char *base = NULL, *mirror = NULL, *want = NULL;
    assert_true(asprintf(&base, "%s/single", unit_tmpdir) >= 0);
    assert_true(asprintf(&mirror, "file://%s", base) >= 0);
    make_repo(base, true, false);
    CLEANUP_PLAN const struct plan *p =
        plan_for("rocky-9", mirror, "vim-enhanced", "de_DE.UTF-8", "");
    assert_true(asprintf(&want,
                         "# written by appliance for rocky-9: read by this build's dnf only\n"
                         "\n[mirror]\nname=Rocky Linux 9 - mirror\n"
                         "baseurl=file://%s/\n" UNSIGNED,
                         base) >= 0);
    check_setup(p, want,
                "@core rocky-release " BASE_PACKAGES " " ADDONS " glibc-langpack-de vim-enhanced",
                false);
}

/* A folder without a repository: the error points at the mirror line. */
static void
test_local_no_repo(void **state)
{
    (void)state;
    CLEANUP_FREE char *base = NULL, *mirror = NULL, *want = NULL;
    assert_true(asprintf(&base, "%s/empty", unit_tmpdir) >= 0);
    assert_int_equal(mkdir_p(base, 0755), 0);
    assert_true(asprintf(&mirror, "file://%s", base) >= 0);
    CLEANUP_PLAN const struct plan *p = plan_for("centos-stream-9", mirror, "", "", "");
    struct dnf_setup s;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(dnf_setup_init(&s, p, &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_true(asprintf(&want,
                         "recipe.yaml:6:11: error: mirror '%s' holds no package repository: none "
                         "of BaseOS/x86_64/os/repodata/repomd.xml, BaseOS/repodata/repomd.xml or "
                         "repodata/repomd.xml is in '%s'\n",
                         mirror, base) >= 0);
    assert_string_equal(msg, want);
    assert_int_equal(ab_error_exit_status(&err), 1);
    ab_error_release(&err);

    /* The cache key needs the repositories too. */
    char key[CACHE_KEY_HEX];
    assert_int_equal(cache_key(p, &os_source_dnf, key, &err), -1);
    ab_error_release(&err);
}

/* The rpm database where EL9's rpm reads it; the locale's language only. */
static void
test_rpm_macros_and_dracut(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = plan_for("rocky-9", NULL, "", "pt_BR.UTF-8", "");
    CLEANUP_PLAN const struct plan *c = plan_for("rocky-9", NULL, "", "", "");
    struct dnf_setup s, sc;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(dnf_setup_init(&s, p, &err), 0);
    assert_int_equal(dnf_setup_init(&sc, c, &err), 0);
    CLEANUP_FREE char *m = dnf_setup_rpm_macros(&s), *mc = dnf_setup_rpm_macros(&sc);
    CLEANUP_FREE char *list = packages_text(&s), *listc = packages_text(&sc);
    assert_string_equal(m, "# written by appliance: the database where the distribution's rpm "
                           "looks\n"
                           "%_dbpath /var/lib/rpm\n"
                           "%_db_backend sqlite\n"
                           "# translations of English and the locale's language only\n"
                           "%_install_langs en:pt_BR\n");
    assert_non_null(strstr(mc, "\n%_install_langs en\n"));
    assert_non_null(strstr(list, " glibc-langpack-pt"));
    assert_null(strstr(listc, "langpack")); /* C.UTF-8, the default */
    dnf_setup_release(&s);
    dnf_setup_release(&sc);

    assert_string_equal(templates_get("dracut-appliance.conf"),
                        "# written by appliance: one generic initramfs that boots on every "
                        "hypervisor\n"
                        "hostonly=\"no\"\n"
                        "add_dracutmodules+=\" lvm \"\n"
                        "add_drivers+=\" vmw_pvscsi mptspi vmxnet3 hv_storvsc hv_vmbus hv_netvsc "
                        "virtio_blk virtio_scsi virtio_net ahci ata_piix e1000 \"\n");
}

static void
key_of(const struct plan *p, char key[CACHE_KEY_HEX])
{
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(cache_key(p, os_source_for(p), key, &err), 0);
}

/* Stable for the same recipe; one package, the mirror, the distribution,
 * the locale or a local repository's index changes it. */
static void
test_cache_key(void **state)
{
    (void)state;
    char k1[CACHE_KEY_HEX], k2[CACHE_KEY_HEX], k[CACHE_KEY_HEX];
    CLEANUP_PLAN const struct plan *a = plan_for("centos-stream-9", NULL, "nginx", "", "");
    CLEANUP_PLAN const struct plan *b = plan_for("centos-stream-9", NULL, "nginx", "", "");
    key_of(a, k1);
    key_of(b, k2);
    assert_string_equal(k1, k2);

    CLEANUP_PLAN const struct plan *more = plan_for("centos-stream-9", NULL, "nginx, less", "", "");
    key_of(more, k);
    assert_string_not_equal(k, k1);
    CLEANUP_PLAN const struct plan *rocky = plan_for("rocky-9", NULL, "nginx", "", "");
    key_of(rocky, k);
    assert_string_not_equal(k, k1);
    CLEANUP_PLAN const struct plan *loc =
        plan_for("centos-stream-9", NULL, "nginx", "fr_FR.UTF-8", "");
    key_of(loc, k);
    assert_string_not_equal(k, k1);
    CLEANUP_PLAN const struct plan *mir =
        plan_for("centos-stream-9", "https://mirror.example/9-stream/", "nginx", "", "");
    key_of(mir, k);
    assert_string_not_equal(k, k1);

    CLEANUP_FREE char *base = NULL, *mirror = NULL;
    char l1[CACHE_KEY_HEX], l2[CACHE_KEY_HEX];
    assert_true(asprintf(&base, "%s/keyed", unit_tmpdir) >= 0);
    assert_true(asprintf(&mirror, "file://%s", base) >= 0);
    make_repo(base, false, false);
    CLEANUP_PLAN const struct plan *local = plan_for("centos-stream-9", mirror, "nginx", "", "");
    key_of(local, l1);
    make_repo(base, true, false); /* re-indexed, now with groups */
    key_of(local, l2);
    assert_string_not_equal(l1, l2);
}

/* Debian stays with mmdebstrap. */
static void
test_handles(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *d = plan_for("debian-12", NULL, "less", "", "");
    assert_false(os_source_dnf.handles(d));
    assert_ptr_equal(os_source_for(d), &os_source_debian);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cloud_init_package),
        cmocka_unit_test(test_centos_default),
        cmocka_unit_test(test_rocky_default),
        cmocka_unit_test(test_rocky_aarch64),
        cmocka_unit_test(test_alma_default),
        cmocka_unit_test(test_http_mirror),
        cmocka_unit_test(test_local_official_layout),
        cmocka_unit_test(test_local_flat_layout),
        cmocka_unit_test(test_local_single_repo),
        cmocka_unit_test(test_local_no_repo),
        cmocka_unit_test(test_rpm_macros_and_dracut),
        cmocka_unit_test(test_cache_key),
        cmocka_unit_test(test_handles),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
