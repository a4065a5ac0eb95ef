/* test_plan_text.c: plan_write_text() and plan_write_json(): values,
 * determinism, and no secret in either. */
#include "unit.h"

#include <json-c/json.h>
#include <sys/stat.h>

#define SECRET_SALT "s3cr3tSalt"
#define SECRET_HASH "TOPSECRETHASHxyz0123456789abcdefghijklmnopqrstuvwxyzABCDEF./"

static const char shop[] =
    "recipe: 1\n"
    "name: shop\n"
    "version: \"2.1\"\n"
    "description: \"Shop appliance\"\n"
    "vendor: \"ACME\"\n"
    "os:\n"
    "  distro: debian-12\n"
    "  mirror: https://deb.example/debian\n"
    "  packages: [nginx, curl]\n"
    "  hostname: shop\n"
    "  kernel_cmdline: quiet\n"
    "hardware: {cpus: 4, memory: 3GiB, firmware: bios+uefi, controller: sata, nics: 2}\n"
    "disks:\n"
    "  os:\n"
    "    size: 10GiB\n"
    "    volumes:\n"
    "      - {name: root, mount: /, size: 4GiB}\n"
    "      - {name: swap, size: 1GiB, fs: swap}\n"
    "      - {name: log, mount: /var/log, size: rest}\n"
    "  app:\n"
    "    size: 2GiB\n"
    "    volumes:\n"
    "      - {name: app, mount: /opt/app, size: 1023MiB}\n"
    "      - {name: data, mount: /srv/data, size: rest, fs: xfs}\n"
    "users:\n"
    "  - name: admin\n"
    "    groups: [sudo]\n"
    "    password_hash: \"$6$" SECRET_SALT "$" SECRET_HASH "\"\n"
    "    ssh_authorized_keys: [\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA admin@shop\"]\n"
    "  - name: backup\n"
    "    password_hash: \"!\"\n"
    "files:\n"
    "  - {src: files/motd, dest: /etc/motd, mode: \"0644\"}\n"
    "run:\n"
    "  - systemctl enable nginx\n"
    "  - |\n"
    "    echo a\n"
    "    echo b\n"
    "outputs: [ova, libvirt]\n";

/* Makes folder/files/motd, so the recipe's files resolve there. */
static void
make_files(const char *folder)
{
    char path[PATH_MAX];
    assert_true(mkdir(folder, 0755) == 0 || access(folder, F_OK) == 0);
    snprintf(path, sizeof(path), "%s/files", folder);
    assert_true(mkdir(path, 0755) == 0 || access(path, F_OK) == 0);
    snprintf(path, sizeof(path), "%s/files/motd", folder);
    unit_write_file(path, "welcome\n");
}

/* The plan of shop read from folder/recipe.yaml. */
static const struct plan *
plan_in(const char *folder)
{
    char path[PATH_MAX];
    struct ab_error err = AB_ERROR_INIT;
    make_files(folder);
    snprintf(path, sizeof(path), "%s/recipe.yaml", folder);
    struct recipe *r = recipe_parse_buffer(path, shop, strlen(shop), &err);
    const struct plan *p = r ? plan_new(r, &err) : NULL;
    if (!p)
        print_error("%s", unit_error_text(&err));
    assert_non_null(p);
    ab_error_release(&err);
    return p;
}

static void
assert_contains(const char *text, const char *want)
{
    if (!strstr(text, want))
        print_error("missing:\n%s\nin:\n%s\n", want, text);
    assert_non_null(strstr(text, want));
}

static void
assert_no_secret(const char *text)
{
    assert_null(strstr(text, SECRET_HASH));
    assert_null(strstr(text, SECRET_SALT));
    assert_null(strstr(text, "$6$"));
    assert_null(strstr(text, "password_hash"));
}

static void
test_text_values(void **state)
{
    (void)state;
    const struct plan *p = plan_in(".");
    char *text = unit_capture(plan_write_text, p);
    assert_int_equal(strncmp(text, "appliance shop 2.1\n", 19), 0);
    assert_contains(text, "  description  Shop appliance\n");
    assert_contains(text, "  packages     nginx curl\n");
    assert_contains(text, "  cmdline      console=tty0 console=ttyS0,115200 no_timer_check quiet\n");
    assert_contains(text, "  memory       3GiB\n");
    assert_contains(text, "  firmware     bios+uefi\n");
    assert_contains(text, "  controller   sata\n");
    assert_contains(text, "disk os: 10GiB (10737418240 bytes), gpt\n");
    assert_contains(text, "  1   1048576      2097151      1MiB      bios-boot  -     -\n");
    assert_contains(text, "  2   2097152      270532607    256MiB    esp        vfat  /boot/efi\n");
    assert_contains(text, "  3   270532608    1344274431   1GiB      boot       ext4  /boot\n");
    assert_contains(text, "  4   1344274432   10736369663  8957MiB   lvm        -     vg_os\n");
    assert_contains(text, "  1   1048576      2146435071   2046MiB   lvm        -     vg_app\n");
    assert_contains(text,
                    "    log              959      3836MiB   ext4  /var/log  (rest, grows)\n");
    assert_contains(text,
                    "  grows        vg_os/log (ext4, /var/log): the volume that takes the rest\n");
    assert_contains(text, "    app              256      1GiB      ext4  /opt/app  (1023MiB "
                          "asked, rounded up to whole extents)\n");
    assert_contains(text,
                    "    data             255      1020MiB   xfs   /srv/data  (rest, grows)\n");
    assert_contains(text, "  swap                    /dev/vg_os/swap\n");
    assert_contains(text, "  admin: groups sudo; password set; 1 ssh key\n");
    assert_contains(text, "  backup: groups none; password locked; 0 ssh keys\n");
    assert_contains(text, "  files/motd -> /etc/motd (owner root:root, mode 0644)\n");
    assert_contains(text, "  1. systemctl enable nginx\n  2. echo a\n     echo b\n");
    assert_contains(text, "  formats      ova qcow2 libvirt (implied: qcow2)\n");
    /* Mount order: parents first. */
    assert_non_null(strstr(text, "/dev/vg_os/root"));
    assert_non_null(strstr(text, "/dev/vg_os/log"));
    assert_non_null(strstr(text, "disk os partition 2"));
    size_t i_root = (size_t)(strstr(text, "/dev/vg_os/root") - text);
    size_t i_efi = (size_t)(strstr(text, "disk os partition 2") - text);
    size_t i_log = (size_t)(strstr(text, "/dev/vg_os/log") - text);
    assert_true(i_root < i_efi);
    assert_true(i_efi < i_log);
    assert_no_secret(text);
    free(text);
    plan_free(p);
}

static json_object *
at(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("no key '%s'", key);
    return v;
}

static json_object *
item(json_object *a, size_t i)
{
    assert_true(json_object_is_type(a, json_type_array));
    assert_true(i < json_object_array_length(a));
    return json_object_array_get_idx(a, i);
}

static void
test_json_values(void **state)
{
    (void)state;
    const struct plan *p = plan_in(".");
    char *text = unit_capture(plan_write_json, p);
    json_object *o = json_tokener_parse(text);
    assert_non_null(o);
    assert_string_equal(json_object_get_string(at(o, "name")), "shop");
    assert_string_equal(json_object_get_string(at(at(o, "os"), "distro")), "debian-12");
    assert_string_equal(json_object_get_string(at(at(o, "os"), "family")), "debian");
    assert_int_equal(json_object_get_int64(at(at(o, "hardware"), "memory")), 3221225472);

    json_object *os = item(at(o, "disks"), 0);
    assert_int_equal(json_object_get_int64(at(os, "size")), 10737418240);
    json_object *pv = item(at(os, "partitions"), 3);
    assert_int_equal(json_object_get_int64(at(pv, "number")), 4);
    assert_string_equal(json_object_get_string(at(pv, "role")), "lvm");
    assert_int_equal(json_object_get_int64(at(pv, "start")), 1344274432);
    assert_int_equal(json_object_get_int64(at(pv, "size")), 9392095232);
    assert_true(json_object_is_type(at(pv, "mount"), json_type_null));
    json_object *vg = at(os, "vg");
    assert_string_equal(json_object_get_string(at(vg, "name")), "vg_os");
    assert_int_equal(json_object_get_int64(at(vg, "extents")), 2239);
    assert_int_equal(json_object_get_int64(at(vg, "free_extents")), 0);
    json_object *lv_log = item(at(vg, "lvs"), 2);
    assert_true(json_object_get_boolean(at(lv_log, "rest")));
    assert_int_equal(json_object_get_int64(at(lv_log, "extents")), 959);
    assert_int_equal(json_object_get_int64(at(lv_log, "size")), UINT64_C(959) * 4194304);

    json_object *mounts = at(o, "mounts");
    assert_int_equal(json_object_array_length(mounts), 6);
    assert_string_equal(json_object_get_string(at(item(mounts, 0), "path")), "/");
    assert_string_equal(json_object_get_string(at(item(mounts, 0), "lv")), "/dev/vg_os/root");
    assert_int_equal(json_object_get_int64(at(item(mounts, 1), "partition")), 3);

    json_object *admin = item(at(o, "users"), 0);
    assert_true(json_object_get_boolean(at(admin, "password")));
    assert_false(json_object_get_boolean(at(item(at(o, "users"), 1), "password")));
    assert_string_equal(json_object_get_string(at(item(at(o, "files"), 0), "mode")), "0644");
    json_object *outputs = at(o, "outputs");
    assert_int_equal(json_object_array_length(outputs), 3);
    assert_string_equal(json_object_get_string(item(outputs, 1)), "qcow2");
    assert_string_equal(json_object_get_string(at(at(o, "ova"), "digest")), "sha256");
    json_object_put(o);
    assert_no_secret(text);
    free(text);
    plan_free(p);
}

/* The same recipe gives the same bytes: twice, and from another folder. */
static void
test_deterministic(void **state)
{
    (void)state;
    const struct plan *a = plan_in(".");
    const struct plan *b = plan_in("elsewhere");
    char *ta = unit_capture(plan_write_text, a), *tb = unit_capture(plan_write_text, b);
    char *ta2 = unit_capture(plan_write_text, a);
    assert_string_equal(ta, tb);
    assert_string_equal(ta, ta2);
    char *ja = unit_capture(plan_write_json, a), *jb = unit_capture(plan_write_json, b);
    assert_string_equal(ja, jb);
    assert_null(strstr(ja, "elsewhere"));
    assert_null(strstr(ta, unit_tmpdir));
    assert_null(strstr(ja, unit_tmpdir));
    free(ta), free(tb), free(ta2), free(ja), free(jb);
    plan_free(a);
    plan_free(b);
}

/* A stream that refuses writes makes both writers fail. */
static void
test_write_errors(void **state)
{
    (void)state;
    const struct plan *p = plan_in(".");
    FILE *f = fopen("/dev/null", "r");
    assert_non_null(f);
    assert_int_equal(plan_write_text(p, f), -1);
    clearerr(f);
    assert_int_equal(plan_write_json(p, f), -1);
    fclose(f);
    plan_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_values),
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_write_errors),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
