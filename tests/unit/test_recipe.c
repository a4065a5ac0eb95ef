/* test_recipe.c: recipe_parse_buffer() on in-memory recipes. */
#include "unit.h"

#include "appliance/size.h"

/* Every key of the format (docs/recipe.md), made valid. */
static const char full[] =
    "recipe: 1\n"                                                                     /* 1 */
    "name: acme-crm\n"                                                                /* 2 */
    "version: \"1.4.2\"\n"                                                            /* 3 */
    "description: \"ACME CRM appliance\"\n"                                           /* 4 */
    "vendor: \"ACME S.p.A.\"\n"                                                       /* 5 */
    "os:\n"                                                                           /* 6 */
    "  distro: centos-stream-9\n"                                                     /* 7 */
    "  mirror: https://mirror.example/centos-stream/\n"                               /* 8 */
    "  packages: [nginx, postgresql-server]\n"                                        /* 9 */
    "  hostname: crm\n"                                                               /* 10 */
    "  timezone: Europe/Rome\n"                                                       /* 11 */
    "  locale: it_IT.UTF-8\n"                                                         /* 12 */
    "  kernel_cmdline: \"quiet splash\"\n"                                            /* 13 */
    "hardware:\n"                                                                     /* 14 */
    "  cpus: 2\n"                                                                     /* 15 */
    "  memory: 4GiB\n"                                                                /* 16 */
    "  firmware: uefi\n"                                                              /* 17 */
    "  controller: sata\n"                                                            /* 18 */
    "  nics: 0\n"                                                                     /* 19 */
    "disks:\n"                                                                        /* 20 */
    "  os:\n"                                                                         /* 21 */
    "    size: 20GiB\n"                                                               /* 22 */
    "    vg: vg_sys\n"                                                                /* 23 */
    "    boot: 512MiB\n"                                                              /* 24 */
    "    volumes:\n"                                                                  /* 25 */
    "      - { name: root, mount: /,        size: 8GiB, fs: xfs }\n"                  /* 26 */
    "      - { name: swap, size: 2GiB,      fs: swap }\n"                             /* 27 */
    "      - { name: var,  mount: /var,     size: 4GiB }\n"                           /* 28 */
    "      - { name: log,  mount: /var/log, size: rest }\n"                           /* 29 */
    "  app:\n"                                                                        /* 30 */
    "    size: 50GiB\n"                                                               /* 31 */
    "    vg: vg_data\n"                                                               /* 32 */
    "    volumes:\n"                                                                  /* 33 */
    "      - { name: app,  mount: /opt/app,  size: 10GiB, fs: ext4 }\n"               /* 34 */
    "      - { name: data, mount: /srv/data, size: rest }\n"                          /* 35 */
    "addons: [vmware, kvm]\n"                                                         /* 36 */
    "users:\n"                                                                        /* 37 */
    "  - name: admin\n"                                                               /* 38 */
    "    groups: [wheel, adm]\n"                                                      /* 39 */
    "    password_hash: \"$6$salt$hash\"\n"                                           /* 40 */
    "    ssh_authorized_keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 a@b\"]\n"           /* 41 */
    "  - name: operator\n"                                                            /* 42 */
    "    password_hash: \"!\"\n"                                                      /* 43 */
    "files:\n"                                                                        /* 44 */
    "  - { src: app/dist/, dest: /opt/app/, owner: \"root:root\", mode: \"0755\" }\n" /* 45 */
    "  - { src: motd, dest: /etc/motd }\n"                                            /* 46 */
    "run:\n"                                                                          /* 47 */
    "  - systemctl enable acme-crm\n"                                                 /* 48 */
    "  - |\n"                                                                         /* 49 */
    "    echo one\n"                                                                  /* 50 */
    "    echo two\n"                                                                  /* 51 */
    "outputs: [ova, qcow2, libvirt, vhdx, hyperv]\n"                                  /* 52 */
    "ova:\n"                                                                          /* 53 */
    "  digest: sha1\n"                                                                /* 54 */
    "  hardware_family: vmx-15\n";                                                    /* 55 */

static void
assert_pos(const struct ab_pos *pos, unsigned line, unsigned col)
{
    assert_string_equal(pos->file, UNIT_RECIPE);
    assert_int_equal(pos->line, line);
    assert_int_equal(pos->col, col);
}

static void
test_full_top_and_os(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = unit_parse(full, &err);
    assert_non_null(r);
    assert_false(ab_error_is_set(&err));

    assert_string_equal(r->path, UNIT_RECIPE);
    char *cwd = realpath(".", NULL); /* the temporary folder, as the parser resolves it */
    assert_string_equal(r->dir, cwd);
    assert_true(r->dir[0] == '/');
    free(cwd);
    assert_string_equal(r->name, "acme-crm");
    assert_string_equal(r->version, "1.4.2");
    assert_string_equal(r->description, "ACME CRM appliance");
    assert_string_equal(r->vendor, "ACME S.p.A.");
    assert_true(r->os_present);
    assert_int_equal(r->os.distro, DISTRO_CENTOS_STREAM_9);
    assert_pos(&r->os.distro_pos, 7, 11);
    assert_pos(&r->os.pos, 7, 3);
    assert_null(r->os.rootfs);
    assert_string_equal(r->os.mirror, "https://mirror.example/centos-stream/");
    assert_string_equal(r->os.packages[0], "nginx");
    assert_string_equal(r->os.packages[1], "postgresql-server");
    assert_null(r->os.packages[2]);
    assert_string_equal(r->os.hostname, "crm");
    assert_string_equal(r->os.timezone, "Europe/Rome");
    assert_string_equal(r->os.locale, "it_IT.UTF-8");
    assert_string_equal(r->os.kernel_cmdline, "quiet splash");

    assert_int_equal(r->hardware.cpus, 2);
    assert_int_equal(r->hardware.memory, 4 * GiB);
    assert_pos(&r->hardware.memory_pos, 16, 11);
    assert_int_equal(r->hardware.firmware, FIRMWARE_UEFI);
    assert_int_equal(r->hardware.controller, CONTROLLER_SATA);
    assert_true(r->hardware.controller_set);
    assert_int_equal(r->hardware.nics, 0);
    recipe_free(r);
}

static void
test_full_disks(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = unit_parse(full, &err);
    assert_non_null(r);

    assert_true(r->disks_present);
    const struct recipe_disk *os = &r->os_disk, *app = &r->app_disk;
    assert_true(os->present);
    assert_int_equal(os->size, 20 * GiB);
    assert_pos(&os->size_pos, 22, 11);
    assert_string_equal(os->vg, "vg_sys");
    assert_pos(&os->vg_pos, 23, 9);
    assert_true(os->boot_set);
    assert_int_equal(os->boot, 512 * MiB);
    assert_pos(&os->boot_pos, 24, 11);
    assert_int_equal(os->n_volumes, 4);
    assert_pos(&os->volumes_pos, 26, 7);

    const struct recipe_volume *v = os->volumes;
    assert_string_equal(v[0].name, "root");
    assert_string_equal(v[0].mount, "/");
    assert_int_equal(v[0].size, 8 * GiB);
    assert_false(v[0].rest);
    assert_int_equal(v[0].fs, FS_XFS);
    assert_pos(&v[0].pos, 26, 9);
    assert_pos(&v[0].name_pos, 26, col_of(full, 26, "root"));
    assert_pos(&v[0].mount_pos, 26, col_of(full, 26, "/,"));
    assert_pos(&v[0].size_pos, 26, col_of(full, 26, "8GiB"));
    assert_pos(&v[0].fs_pos, 26, col_of(full, 26, "xfs"));
    assert_string_equal(v[1].name, "swap");
    assert_null(v[1].mount);
    assert_int_equal(v[1].fs, FS_SWAP);
    assert_int_equal(v[2].fs, FS_NONE); /* the family's default, decided by the plan */
    assert_int_equal(v[2].size, 4 * GiB);
    assert_string_equal(v[3].mount, "/var/log");
    assert_true(v[3].rest);
    assert_int_equal(v[3].size, 0);
    assert_pos(&v[3].size_pos, 29, col_of(full, 29, "rest"));

    assert_true(app->present);
    assert_int_equal(app->size, 50 * GiB);
    assert_string_equal(app->vg, "vg_data");
    assert_false(app->boot_set);
    assert_int_equal(app->n_volumes, 2);
    assert_int_equal(app->volumes[0].fs, FS_EXT4);
    assert_int_equal(app->volumes[0].size, 10 * GiB);
    assert_true(app->volumes[1].rest);
    assert_string_equal(app->volumes[1].name, "data");
    recipe_free(r);
}

static void
test_full_rest(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = unit_parse(full, &err);
    assert_non_null(r);

    assert_true(r->addons_set);
    assert_int_equal(r->addons, ADDON_VMWARE | ADDON_KVM);
    assert_int_equal(r->n_users, 2);
    const struct recipe_user *u = r->users;
    assert_string_equal(u[0].name, "admin");
    assert_pos(&u[0].pos, 38, 5);
    assert_pos(&u[0].name_pos, 38, 11);
    assert_string_equal(u[0].groups[0], "wheel");
    assert_string_equal(u[0].groups[1], "adm");
    assert_null(u[0].groups[2]);
    assert_string_equal(u[0].password_hash, "$6$salt$hash");
    assert_true(recipe_user_password_set(&u[0]));
    assert_string_equal(u[0].ssh_authorized_keys[0], "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 a@b");
    assert_null(u[0].ssh_authorized_keys[1]);
    assert_string_equal(u[1].name, "operator");
    assert_null(u[1].groups);
    assert_string_equal(u[1].password_hash, "!");
    assert_false(recipe_user_password_set(&u[1]));

    assert_int_equal(r->n_files, 2);
    assert_string_equal(r->files[0].src, "app/dist/");
    assert_string_equal(r->files[0].dest, "/opt/app/");
    assert_string_equal(r->files[0].owner, "root:root");
    assert_int_equal(r->files[0].mode, 0755);
    assert_pos(&r->files[0].src_pos, 45, col_of(full, 45, "app/dist/"));
    assert_pos(&r->files[0].dest_pos, 45, col_of(full, 45, "/opt/app/"));
    assert_string_equal(r->files[1].src, "motd");
    assert_null(r->files[1].owner);
    assert_int_equal(r->files[1].mode, -1);

    assert_string_equal(r->run[0], "systemctl enable acme-crm");
    assert_string_equal(r->run[1], "echo one\necho two\n");
    assert_null(r->run[2]);
    assert_true(r->outputs_set);
    assert_int_equal(r->outputs,
                     OUTPUT_OVA | OUTPUT_QCOW2 | OUTPUT_LIBVIRT | OUTPUT_VHDX | OUTPUT_HYPERV);
    assert_pos(&r->outputs_pos, 52, 10);
    assert_int_equal(r->ova_digest, DIGEST_SHA1);
    assert_string_equal(r->ova_hardware_family, "vmx-15");
    recipe_free(r);
}

static const char minimal[] =
    "recipe: 1\n"
    "name: m\n"
    "version: '1'\n"
    "os: {distro: debian-12}\n"
    "disks:\n"
    "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
    "  app: {size: 1GiB, volumes: [{name: d, mount: /srv, size: rest}]}\n";

static void
test_defaults(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = unit_parse(minimal, &err);
    assert_non_null(r);
    assert_null(r->description);
    assert_null(r->vendor);
    assert_null(r->os.mirror);
    assert_null(r->os.packages);
    assert_null(r->os.hostname);
    assert_int_equal(r->hardware.cpus, 0);
    assert_int_equal(r->hardware.memory, 0);
    assert_int_equal(r->hardware.firmware, 0);
    assert_false(r->hardware.controller_set);
    assert_int_equal(r->hardware.nics, -1);
    assert_null(r->os_disk.vg);
    assert_false(r->os_disk.boot_set);
    assert_false(r->addons_set);
    assert_int_equal(r->n_users, 0);
    assert_int_equal(r->n_files, 0);
    assert_null(r->run);
    assert_false(r->outputs_set);
    assert_int_equal(r->ova_digest, DIGEST_SHA256);
    assert_null(r->ova_hardware_family);
    recipe_free(r);

    /* Empty lists are lists: present, with nothing in them. */
    char text[1024];
    snprintf(text, sizeof(text), "%susers: []\nfiles: []\nrun: []\naddons: []\n", minimal);
    r = unit_parse(text, &err);
    assert_non_null(r);
    assert_int_equal(r->n_users, 0);
    assert_int_equal(r->n_files, 0);
    assert_null(r->run[0]);
    assert_true(r->addons_set);
    assert_int_equal(r->addons, 0);
    recipe_free(r);
}

static void
test_rootfs(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const char *text = "recipe: 1\nname: m\nversion: '1'\nos: {rootfs: base/r.tar}\ndisks:\n"
                       "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
                       "  app: {size: 1GiB, volumes: [{name: d, mount: /srv, size: rest}]}\n";
    struct recipe *r = unit_parse(text, &err);
    assert_non_null(r);
    assert_int_equal(r->os.distro, DISTRO_NONE);
    assert_string_equal(r->os.rootfs, "base/r.tar");
    assert_pos(&r->os.rootfs_pos, 4, 14);
    recipe_free(r);
}

/* Diagnostic i is at line:col and its message holds every word given. */
static void
assert_diag_has(const struct ab_error *err, size_t i, unsigned line, unsigned col,
                const char *word1, const char *word2)
{
    assert_true(i < err->n_diags);
    const struct ab_diag *d = &err->diags[i];
    if (d->line != line || d->col != col || !strstr(d->msg, word1) ||
        (word2 && !strstr(d->msg, word2)))
        print_error("diag %zu: got %u:%u %s\n         want %u:%u ...%s...%s...\n", i, d->line,
                    d->col, d->msg, line, col, word1, word2 ? word2 : "");
    assert_string_equal(d->file, UNIT_RECIPE);
    assert_int_equal(d->line, line);
    assert_int_equal(d->col, col);
    assert_non_null(strstr(d->msg, word1));
    if (word2)
        assert_non_null(strstr(d->msg, word2));
}

static const char broken[] =
    "recipe: 1\n"                                                   /* 1 */
    "name: Acme\n"                                                  /* 2 */
    "version: \"1.0\"\n"                                            /* 3 */
    "os:\n"                                                         /* 4 */
    "  distro: centos-9\n"                                          /* 5 */
    "  hostname: -crm\n"                                            /* 6 */
    "hardware:\n"                                                   /* 7 */
    "  cpus: 0\n"                                                   /* 8 */
    "  memory: 100MiB\n"                                            /* 9 */
    "  firmware: efi\n"                                             /* 10 */
    "disks:\n"                                                      /* 11 */
    "  os:\n"                                                       /* 12 */
    "    size: 20GB\n"                                              /* 13 */
    "    volumes:\n"                                                /* 14 */
    "      - { name: root, mount: /, size: 8GiB }\n"                /* 15 */
    "      - { name: swap, mount: /swap, size: 1GiB, fs: swap }\n"  /* 16 */
    "      - { name: var, size: 4GiB }\n"                           /* 17 */
    "  app:\n"                                                      /* 18 */
    "    size: 10GiB\n"                                             /* 19 */
    "    volumes:\n"                                                /* 20 */
    "      - { name: data, mount: srv, size: rest, colour: red }\n" /* 21 */
    "outputs: [ova, dmg]\n"                                         /* 22 */
    "users:\n"                                                      /* 23 */
    "  - name: admin\n"                                             /* 24 */
    "    password_hash: hunter2\n"                                  /* 25 */
    "files:\n"                                                      /* 26 */
    "  - { src: ../etc, dest: /etc/x, mode: \"999\" }\n"            /* 27 */
    "bogus: 1\n";                                                   /* 28 */

/* One run reports every problem, each at its node, in file order. */
static void
test_many_errors(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = unit_parse(broken, &err);
    assert_null(r);
    assert_int_equal(ab_error_exit_status(&err), 3);
    ab_error_sort(&err);
    size_t i = 0;
    assert_diag_has(&err, i++, 2, 7, "'Acme'", "lowercase");
    assert_diag_has(&err, i++, 5, 11, "'centos-9'", "centos-stream-9");
    assert_diag_has(&err, i++, 6, 13, "'-crm'", NULL);
    assert_diag_has(&err, i++, 8, 9, "'cpus'", "128");
    assert_diag_has(&err, i++, 9, 11, "100MiB", "256MiB");
    assert_diag_has(&err, i++, 10, 13, "'efi'", "bios+uefi");
    assert_diag_has(&err, i++, 13, 11, "'20GB'", "binary");
    assert_diag_has(&err, i++, 16, col_of(broken, 16, "/swap"), "'swap'", "mount point");
    assert_diag_has(&err, i++, 17, col_of(broken, 17, "{"), "'var'", "mount point");
    assert_diag_has(&err, i++, 21, col_of(broken, 21, "srv"), "'srv'", "absolute");
    assert_diag_has(&err, i++, 21, col_of(broken, 21, "colour"), "'colour'", NULL);
    assert_diag_has(&err, i++, 22, col_of(broken, 22, "dmg"), "'dmg'", "gce");
    assert_diag_has(&err, i++, 25, col_of(broken, 25, "hunter2"), "password_hash", NULL);
    assert_diag_has(&err, i++, 27, col_of(broken, 27, "../etc"), "'../etc'", NULL);
    assert_diag_has(&err, i++, 27, col_of(broken, 27, "\"999\""), "'999'", NULL);
    assert_diag_has(&err, i++, 28, 1, "'bogus'", NULL);
    assert_int_equal(err.n_diags, i);

    /* A plain password given as a hash is never echoed back. */
    char *text = unit_error_text(&err);
    assert_null(strstr(text, "hunter2"));
    free(text);
    ab_error_release(&err);
}

static void
test_missing_keys(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_null(unit_parse("recipe: 1\nname: x\n", &err));
    ab_error_sort(&err);
    assert_int_equal(err.n_diags, 3);
    assert_diag_has(&err, 0, 1, 1, "'version'", "missing");
    assert_diag_has(&err, 1, 1, 1, "'os'", "missing");
    assert_diag_has(&err, 2, 1, 1, "'disks'", "missing");
    ab_error_release(&err);

    /* Inside a mapping: at the mapping, naming it. */
    char text[1024];
    snprintf(text, sizeof(text), "%s", minimal);
    char *size = strstr(text, "{size: 1GiB, ");
    assert_non_null(size);
    memset(size + 1, ' ', 12);
    assert_null(unit_parse(text, &err));
    assert_int_equal(err.n_diags, 1);
    assert_diag_has(&err, 0, 7, 8, "'size'", "'app'");
    ab_error_release(&err);
}

static void
test_format_version(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char text[1024];
    snprintf(text, sizeof(text), "%s", minimal);
    text[8] = '2';
    assert_null(unit_parse(text, &err));
    assert_int_equal(err.n_diags, 1);
    assert_diag_has(&err, 0, 1, 9, "format 2", "format 1");
    ab_error_release(&err);
}

static void
test_field_checks(void **state)
{
    (void)state;
    const struct {
        const char *extra;
        const char *at; /* the text the diagnostic points at */
        const char *word;
    } cases[] = {
        {"hardware: {memory: 5TiB}", "5TiB", "4TiB"},
        {"hardware: {memory: 1025KiB}", "1025KiB", "1025KiB"},
        {"hardware: {memory: 262143KiB}", "262143KiB", "256MiB"},
        {"hardware: {nics: 5}", "5", "'nics'"},
        {"hardware: {cpus: 129}", "129", "'cpus'"},
        {"hardware: {controller: nvme}", "nvme", "'nvme'"},
        {"ova: {digest: md5}", "md5", "'md5'"},
        {"ova: {hardware_family: vmx-3}", "vmx-3", "vmx-3"},
        {"addons: [kvm, kvm]", "kvm]", "'kvm'"},
        {"run: [ls, {a: 1}]", "{a", "run line 2"},
        {"users: [{name: Root}]", "Root", "'Root'"},
        {"users: [{name: a, groups: [wheel, 1x]}]", "1x", "'1x'"},
        {"users: [{name: a, ssh_authorized_keys: [ssh-ed25519]}]", "ssh-ed", "SSH key"},
        {"files: [{src: a, dest: etc/x}]", "etc/x", "'etc/x'"},
        {"files: [{src: a, dest: /x, owner: 'a:b:c'}]", "'a:b:c'", "'a:b:c'"},
        {"files: [{src: /etc/passwd, dest: /x}]", "/etc/passwd", "'/etc/passwd'"},
        {"files: [{src: '', dest: /x}]", "''", "source path"},
        {"files: [{src: a, dest: /x, mode: 8}]", "8", "'8'"},
        {"description: [a]", "[a]", "'description'"},
        {"vendor: \"a\\nb\"", "\"a", "'vendor'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ab_error err = AB_ERROR_INIT;
        char text[1024];
        snprintf(text, sizeof(text), "%s%s\n", minimal, cases[i].extra);
        if (unit_parse(text, &err) != NULL)
            fail_msg("accepted: %s", cases[i].extra);
        if (err.n_diags != 1)
            print_error("case %zu: %s", i, unit_error_text(&err));
        assert_int_equal(err.n_diags, 1);
        assert_diag_has(&err, 0, 8, col_of(text, 8, cases[i].at), cases[i].word, NULL);
        ab_error_release(&err);
    }
}

/* minimal with from replaced by to, in a static buffer. */
static const char *
with(const char *from, const char *to)
{
    static char buf[2048];
    const char *at = strstr(minimal, from);
    assert_non_null(at);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - minimal), minimal, to, at + strlen(from));
    return buf;
}

static void
test_empty_strings(void **state)
{
    (void)state;
    const struct {
        const char *from, *to;
        unsigned line;
        const char *at, *word;
    } cases[] = {
        {"version: '1'", "version: ''", 3, "''", "version"},
        {"{distro: debian-12}", "{distro: debian-12, timezone: \"\"}", 4, "\"\"", "timezone"},
        {"{distro: debian-12}", "{rootfs: ''}", 4, "''", "rootfs"},
        {"mount: /srv", "mount: ''", 7, "''", "mount point"},
        {"name: d,", "name: '',", 7, "''", "volume name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ab_error err = AB_ERROR_INIT;
        const char *text = with(cases[i].from, cases[i].to);
        if (unit_parse(text, &err) != NULL)
            fail_msg("accepted: %s", cases[i].to);
        assert_diag_has(&err, 0, cases[i].line, col_of(text, cases[i].line, cases[i].at),
                        cases[i].word, NULL);
        ab_error_release(&err);
    }
}

static void
test_nul_and_documents(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char text[1024];
    snprintf(text, sizeof(text), "%sdescription: \"a\\0b\"\n", minimal);
    assert_null(unit_parse(text, &err));
    assert_int_equal(err.n_diags, 1);
    assert_diag_has(&err, 0, 8, 14, "NUL", NULL);
    ab_error_release(&err);

    snprintf(text, sizeof(text), "%s---\n%s", minimal, minimal);
    assert_null(unit_parse(text, &err));
    assert_int_equal(err.n_diags, 1);
    assert_diag_has(&err, 0, 8, 1, "second", NULL);
    ab_error_release(&err);

    /* A buffer is read up to len, not to a NUL. */
    assert_null(recipe_parse_buffer(UNIT_RECIPE, minimal, 30, &err));
    assert_true(err.n_diags > 0);
    ab_error_release(&err);
}

/* Aliases that multiply a small recipe are refused quickly. */
static void
test_alias_budget(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fputs(minimal, f);
    fputs("users:\n  - &u\n    name: a\n    groups: &g [", f);
    for (int i = 0; i < 1000; i++)
        fprintf(f, "%sg%d", i ? ", " : "", i);
    fputs("]\n    ssh_authorized_keys: []\n", f);
    for (int i = 0; i < 200; i++)
        fputs("  - *u\n", f);
    assert_int_equal(fclose(f), 0);

    struct ab_error err = AB_ERROR_INIT;
    assert_null(unit_parse(text, &err));
    assert_int_equal(ab_error_exit_status(&err), 3);
    assert_int_equal(err.n_diags, 1);
    assert_non_null(strstr(err.diags[0].msg, "100000"));
    ab_error_release(&err);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_top_and_os),
        cmocka_unit_test(test_full_disks),
        cmocka_unit_test(test_full_rest),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_rootfs),
        cmocka_unit_test(test_many_errors),
        cmocka_unit_test(test_missing_keys),
        cmocka_unit_test(test_format_version),
        cmocka_unit_test(test_field_checks),
        cmocka_unit_test(test_empty_strings),
        cmocka_unit_test(test_nul_and_documents),
        cmocka_unit_test(test_alias_budget),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
