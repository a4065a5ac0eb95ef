/* test_configure.c: device-mapper names, clone hygiene and cloud-init's
 * configuration of a tree. */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/configure.h"
#include "appliance/fsutil.h"

static const char recipe_text[] = "recipe: 1\n"
                                  "name: hygiene\n"
                                  "version: \"1\"\n"
                                  "os: { distro: debian-12 }\n"
                                  "disks:\n"
                                  "  os:\n"
                                  "    size: 4GiB\n"
                                  "    volumes:\n"
                                  "      - { name: root, mount: /, size: rest }\n"
                                  "  app:\n"
                                  "    size: 1GiB\n"
                                  "    volumes:\n"
                                  "      - { name: data, mount: /srv/data, size: rest }\n";

static void
test_dm_name(void **state)
{
    (void)state;
    static const struct {
        const char *vg, *lv, *want;
    } cases[] = {
        {"vg_os", "root", "/dev/mapper/vg_os-root"},
        {"vg-os", "my-lv", "/dev/mapper/vg--os-my--lv"},
        {"a--b", "-", "/dev/mapper/a----b---"},
        {"-", "-", "/dev/mapper/-----"},
        {"vg.os+1", "lv_2", "/dev/mapper/vg.os+1-lv_2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CLEANUP_FREE char *got = configure_dm_name(cases[i].vg, cases[i].lv);
        assert_non_null(got);
        assert_string_equal(got, cases[i].want);
    }
    /* The longest names LVM allows (a name of 127 dashes each way). */
    char vg[128], lv[128], want[600];
    memset(vg, '-', 127);
    memset(lv, '-', 127);
    vg[127] = lv[127] = '\0';
    int n = snprintf(want, sizeof(want), "/dev/mapper/");
    memset(want + n, '-', 254);
    want[n + 254] = '-';
    memset(want + n + 255, '-', 254);
    want[n + 509] = '\0';
    CLEANUP_FREE char *got = configure_dm_name(vg, lv);
    assert_string_equal(got, want);
}

/* Writes root/path (parents made), text, mode. */
static void
put(const char *root, const char *path, const char *text, mode_t mode)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(write_file(root, path, text, mode, &err), 0);
}

static int
exists(const char *root, const char *path)
{
    char full[PATH_MAX];
    struct stat st;
    snprintf(full, sizeof(full), "%s%s", root, path);
    return lstat(full, &st) == 0;
}

static void
make_tree(const char *root, int with_dbus)
{
    assert_int_equal(rm_rf(root, root), 0);
    put(root, "/etc/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
    put(root, "/etc/hostname", "kept\n", 0644);
    put(root, "/etc/ssh/ssh_host_rsa_key", "secret\n", 0600);
    put(root, "/etc/ssh/ssh_host_rsa_key.pub", "public\n", 0644);
    put(root, "/etc/ssh/ssh_host_ed25519_key", "secret\n", 0600);
    put(root, "/etc/ssh/ssh_host_ed25519_key.pub", "public\n", 0644);
    put(root, "/etc/ssh/sshd_config", "kept\n", 0644);
    put(root, "/var/lib/systemd/random-seed", "seed", 0600);
    put(root, "/var/lib/systemd/credential.secret", "secret", 0400);
    put(root, "/var/lib/dhcp/dhclient.eth0.leases", "lease {}\n", 0644);
    put(root, "/var/lib/NetworkManager/internal-x-eth0.lease", "lease\n", 0644);
    put(root, "/var/log/dpkg.log", "log\n", 0644);
    put(root, "/var/log/alternatives.log", "log\n", 0644);
    put(root, "/var/log/apt/history.log", "log\n", 0644);
    put(root, "/var/log/journal/0123/system.journal", "log", 0640);
    put(root, "/var/cache/apt/archives/x_1.0_amd64.deb", "deb", 0644);
    put(root, "/root/.bash_history", "ls\n", 0600);
    put(root, "/tmp/build-leftover/file", "x", 0644);
    put(root, "/var/tmp/leftover", "x", 0644);
    if (with_dbus)
        put(root, "/var/lib/dbus/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
}

static void
check_clean(const char *root)
{
    static const char *const gone[] = {
        "/etc/ssh/ssh_host_rsa_key",
        "/etc/ssh/ssh_host_rsa_key.pub",
        "/etc/ssh/ssh_host_ed25519_key",
        "/etc/ssh/ssh_host_ed25519_key.pub",
        "/var/lib/systemd/random-seed",
        "/var/lib/systemd/credential.secret",
        "/var/lib/dhcp/dhclient.eth0.leases",
        "/var/lib/NetworkManager/internal-x-eth0.lease",
        "/var/log/dpkg.log",
        "/var/log/alternatives.log",
        "/var/log/apt/history.log",
        "/var/log/journal/0123",
        "/var/cache/apt/archives/x_1.0_amd64.deb",
        "/root/.bash_history",
        "/tmp/build-leftover",
        "/var/tmp/leftover",
    };
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        if (exists(root, gone[i]))
            fail_msg("'%s' is still in the tree", gone[i]);
    /* What is not the clone's own stays, and so do the folders. */
    static const char *const kept[] = {
        "/etc/hostname", "/etc/ssh/sshd_config", "/var/log/journal",
        "/var/log/apt",  "/var/lib/systemd",     "/tmp",
        "/var/tmp",
    };
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        if (!exists(root, kept[i]))
            fail_msg("'%s' was removed", kept[i]);

    /* machine-id: there and empty, so systemd makes one on first boot. */
    char path[PATH_MAX];
    struct stat st;
    snprintf(path, sizeof(path), "%s/etc/machine-id", root);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mode & 07777, 0444);
}

static void
test_hygiene(void **state)
{
    (void)state;
    const struct plan *plan = unit_plan(recipe_text);
    struct ab_error err = AB_ERROR_INIT;
    const char *root = "tree-dbus";

    make_tree(root, 1);
    assert_int_equal(configure_hygiene(plan, root, &err), 0);
    check_clean(root);
    /* dbus's own copy is a link to the one systemd fills. */
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof(link), "%s/var/lib/dbus/machine-id", root);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "/etc/machine-id");

    /* Again, on its own result: the same, no error; also when the link
     * dangles on the host running the build (no /etc/machine-id there). */
    assert_int_equal(configure_hygiene(plan, root, &err), 0);
    check_clean(root);
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink("/nonexistent-appliance/machine-id", link), 0);
    assert_int_equal(configure_hygiene(plan, root, &err), 0);
    check_clean(root);
    n = readlink(link, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "/etc/machine-id");
    assert_false(ab_error_is_set(&err));
    assert_int_equal(rm_rf(root, root), 0);
    plan_free(plan);
}

static void
test_hygiene_without_dbus(void **state)
{
    (void)state;
    const struct plan *plan = unit_plan(recipe_text);
    struct ab_error err = AB_ERROR_INIT;
    const char *root = "tree-nodbus";

    make_tree(root, 0);
    assert_int_equal(configure_hygiene(plan, root, &err), 0);
    check_clean(root);
    assert_false(exists(root, "/var/lib/dbus"));
    assert_int_equal(rm_rf(root, root), 0);
    plan_free(plan);
}

/* A machine-id that is a link out of the tree is replaced, not written
 * through. */
static void
test_hygiene_machine_id_link(void **state)
{
    (void)state;
    const struct plan *plan = unit_plan(recipe_text);
    struct ab_error err = AB_ERROR_INIT;
    const char *root = "tree-link";
    char victim[PATH_MAX + 64], link[PATH_MAX], buf[64];

    make_tree(root, 0);
    snprintf(victim, sizeof(victim), "%s/outside-machine-id", unit_tmpdir);
    unit_write_file("outside-machine-id", "host's own\n");
    snprintf(link, sizeof(link), "%s/etc/machine-id", root);
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink(victim, link), 0);

    assert_int_equal(configure_hygiene(plan, root, &err), 0);
    check_clean(root);
    FILE *f = fopen("outside-machine-id", "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    assert_string_equal(buf, "host's own\n");
    assert_int_equal(rm_rf(root, root), 0);
    plan_free(plan);
}

/* The recipe above with outputs. */
static const struct plan *
plan_with(const char *extra)
{
    static char text[2048];
    snprintf(text, sizeof(text), "%s%s", recipe_text, extra);
    return unit_plan(text);
}

static char *
slurp(const char *root, const char *path)
{
    char full[PATH_MAX];
    snprintf(full, sizeof(full), "%s%s", root, path);
    FILE *f = fopen(full, "r");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    if (n < 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The datasource_list on one line (ds-identify reads no other form), and
 * the modules that would redo appliance-grow's and the image's work off. */
static void
test_cloud_config(void **state)
{
    (void)state;
    const struct {
        const char *extra, *line;
    } cases[] = {
        {"outputs: [azure, gce]\n", "\ndatasource_list: [ Azure, GCE, NoCloud, None ]\n"},
        {"outputs: [azure]\n", "\ndatasource_list: [ Azure, NoCloud, None ]\n"},
        {"outputs: [gce, qcow2]\n", "\ndatasource_list: [ GCE, NoCloud, None ]\n"},
        {"outputs: [qcow2]\ncloud: true\n", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct plan *plan = plan_with(cases[i].extra);
        char *cfg = configure_cloud_config(plan);
        assert_non_null(cfg);
        if (cases[i].line)
            assert_non_null(strstr(cfg, cases[i].line));
        else
            assert_null(strstr(cfg, "datasource_list"));
        static const char *const always[] = {
            "\ngrowpart:\n  mode: \"off\"\n",          "\nresize_rootfs: false\n",
            "\nnetwork:\n  config: disabled\n",        "\nmanage_etc_hosts: localhost\n",
            "\napt:\n  preserve_sources_list: true\n", "\nlocale: \"C.UTF-8\"\n",
            "\ngrub_dpkg:\n  enabled: false\n",        "\nssh_genkeytypes: [rsa, ecdsa, ed25519]\n",
        };
        for (size_t k = 0; k < sizeof(always) / sizeof(always[0]); k++)
            if (!strstr(cfg, always[k]))
                fail_msg("case %zu: no '%s' in:\n%s", i, always[k], cfg);
        free(cfg);
        plan_free(plan);
    }
}

/* The files in a tree: none without cloud-init in the plan, an error
 * without cloud-init in the tree, Azure's only with azure. */
static void
test_cloud_files(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const char *root = "tree-cloud";
    const struct plan *plain = plan_with("outputs: [qcow2]\n");
    const struct plan *gce = plan_with("outputs: [gce]\n");
    const struct plan *azure = plan_with("outputs: [azure]\n");

    assert_int_equal(rm_rf(root, root), 0);
    put(root, "/etc/hostname", "kept\n", 0644);
    assert_int_equal(configure_cloud(plain, root, &err), 0);
    assert_false(exists(root, "/etc/cloud"));
    assert_false(exists(root, "/etc/systemd/network"));

    assert_int_equal(configure_cloud(gce, root, &err), -1);
    char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "cloud-init is not installed in the tree"));
    free(msg);
    ab_error_release(&err);

    put(root, "/usr/bin/cloud-init", "#!/bin/sh\n", 0755);
    assert_int_equal(configure_cloud(gce, root, &err), 0);
    char *cfg = slurp(root, "/etc/cloud/cloud.cfg.d/95_appliance.cfg");
    assert_non_null(cfg);
    assert_non_null(strstr(cfg, "datasource_list: [ GCE, NoCloud, None ]"));
    free(cfg);
    char *mtu =
        slurp(root, "/etc/systemd/network/80-appliance-dhcp.network.d/70-appliance-cloud.conf");
    assert_non_null(mtu);
    assert_non_null(strstr(mtu, "[DHCPv4]\nUseMTU=yes\n"));
    free(mtu);
    assert_false(exists(root, "/etc/systemd/network/70-appliance-azure-vf.network"));
    assert_false(exists(root, "/etc/ssh/sshd_config.d/70-appliance-azure.conf"));

    assert_int_equal(configure_cloud(azure, root, &err), 0);
    char *vf = slurp(root, "/etc/systemd/network/70-appliance-azure-vf.network");
    assert_non_null(vf);
    assert_non_null(strstr(vf, "[Match]\nDriver=mlx4_core mlx4_en mlx5_core mana\n"));
    assert_non_null(strstr(vf, "[Link]\nUnmanaged=yes\n"));
    free(vf);
    assert_true(exists(root, "/etc/NetworkManager/conf.d/70-appliance-azure-vf.conf"));
    char *sshd = slurp(root, "/etc/ssh/sshd_config.d/70-appliance-azure.conf");
    assert_non_null(sshd);
    assert_non_null(strstr(sshd, "\nClientAliveInterval 180\n"));
    free(sshd);

    assert_int_equal(rm_rf(root, root), 0);
    plan_free(plain);
    plan_free(gce);
    plan_free(azure);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dm_name),
        cmocka_unit_test(test_hygiene),
        cmocka_unit_test(test_hygiene_without_dbus),
        cmocka_unit_test(test_hygiene_machine_id_link),
        cmocka_unit_test(test_cloud_config),
        cmocka_unit_test(test_cloud_files),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
