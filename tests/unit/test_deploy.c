/* test_deploy.c: `appliance deploy` against libvirt's in-process test
 * driver (test:///default, and node files of our own for a host with a
 * domain of the same name, a domain using our disks, or no networks),
 * with fake qemu binaries deciding what the KVM probe finds. */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/deploy.h"
#include "appliance/domxml.h"

#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))
#define UUID "3e4f9a0c-1b7d-4c5e-9f21-6a8b0c2d4e6f"
#define OTHER_UUID "11111111-2222-3333-4444-555555555555"

static const char domain_xml[] =
    "<domain type='kvm'>\n"
    "  <name>demo</name>\n"
    "  <uuid>" UUID "</uuid>\n"
    "  <memory unit='MiB'>512</memory>\n"
    "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\n"
    "      <source file='/old/place/demo-os.qcow2'/><target dev='vda' bus='virtio'/></disk>\n"
    "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\n"
    "      <source file='/old/place/demo-app.qcow2'/><target dev='vdb' bus='virtio'/></disk>\n"
    "    <interface type='network'><source network='default'/><model type='virtio'/></interface>\n"
    "  </devices>\n"
    "</domain>\n";

/* A fake qemu for the KVM probe: one that aborts like qemu does on these
 * machines ("failed to set MSR"), or one that runs. */
static void
fake_qemu(bool kvm_works)
{
    unit_write_file("qemu", kvm_works
                                ? "#!/bin/sh\necho '[    0.000000] Linux version 6.1'; exec sleep 60\n"
                                : "#!/bin/sh\necho 'failed to set MSR 0x10a' >&2; exit 1\n");
    assert_int_equal(chmod("qemu", 0755), 0);
    char path[PATH_MAX + 16];
    FMT(path, "%s/qemu", unit_tmpdir);
    setenv("APPLIANCE_QEMU", path, 1);
}

/* A small qcow2 made by qemu-img: deploy checks its disks (image_check.h)
 * before libvirt sees them. */
static void
qcow2(const char *path)
{
    char cmd[PATH_MAX + 64];
    FMT(cmd, "qemu-img create -q -f qcow2 '%s' 1M", path);
    assert_int_equal(system(cmd), 0);
}

/* out/: an output folder like export.h's, with small qcow2 disks. */
static void
make_folder(void)
{
    mkdir("out", 0755);
    unit_write_file("out/build-report.json", "{\"name\": \"demo\", \"version\": \"1.0\"}\n");
    unit_write_file("out/demo.xml", domain_xml);
    qcow2("out/demo-os.qcow2");
    qcow2("out/demo-app.qcow2");
}

static char *
out_path(const char *name)
{
    static char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/out/%s", unit_tmpdir, name);
    return path;
}

struct notes {
    char text[4096];
};

static void
on_notice(void *ctx, const char *msg)
{
    struct notes *n = ctx;
    strncat(n->text, msg, sizeof(n->text) - strlen(n->text) - 2);
    strcat(n->text, "\n");
}

static int
deploy(const char *uri, const char *name, bool start, bool replace, struct deploy_result *r,
       struct notes *n, char **errors)
{
    struct deploy_opts o = {"out", uri, name, start, replace, on_notice, n, NULL};
    struct ab_error err = AB_ERROR_INIT;
    memset(r, 0, sizeof(*r));
    int rc = deploy_run(&o, r, &err);
    *errors = unit_error_text(&err);
    if (rc < 0)
        print_message("%s", *errors);
    ab_error_release(&err);
    return rc;
}

static void
test_defined_on_test_driver(void **state)
{
    (void)state;
    make_folder();
    fake_qemu(false);
    struct deploy_result r;
    struct notes n = {""};
    CLEANUP_FREE char *errors = NULL;
    assert_int_equal(deploy("test:///default", NULL, true, false, &r, &n, &errors), 0);
    assert_string_equal(r.uri, "test:///default");
    assert_string_equal(r.name, "demo");
    assert_string_equal(r.uuid, UUID);
    assert_string_equal(r.type, "qemu"); /* KVM cannot run a guest "here" */
    /* Without /dev/kvm the probe never starts qemu. */
    assert_non_null(strstr(n.text, access("/dev/kvm", R_OK | W_OK) == 0
                                       ? "KVM cannot run a guest here (failed to set MSR 0x10a): the "
                                         "domain uses software emulation (type 'qemu')"
                                       : "no /dev/kvm (No such file or directory): the "
                                         "domain uses software emulation (type 'qemu')"));
    assert_string_equal(r.disks[0], "vda");
    assert_string_equal(r.disks[1], out_path("demo-os.qcow2"));
    assert_string_equal(r.disks[2], "vdb");
    assert_string_equal(r.disks[3], out_path("demo-app.qcow2"));
    assert_true(r.started);
    assert_false(r.replaced);
    deploy_result_release(&r);
}

static void
test_kvm_kept_when_usable(void **state)
{
    (void)state;
    if (access("/dev/kvm", R_OK | W_OK) != 0)
        unit_skip("no usable /dev/kvm here: the kvm domain type is not tried");
    make_folder();
    fake_qemu(true);
    struct deploy_result r;
    struct notes n = {""};
    CLEANUP_FREE char *errors = NULL;
    assert_int_equal(deploy("test:///default", "other", false, false, &r, &n, &errors), 0);
    assert_string_equal(r.type, "kvm");
    assert_string_equal(r.name, "other");
    assert_string_not_equal(r.uuid, UUID); /* renamed: a new machine */
    assert_false(r.started);
    deploy_result_release(&r);
}

static void
test_existing_refused(void **state)
{
    (void)state;
    make_folder();
    fake_qemu(false);
    struct deploy_result r;
    struct notes n = {""};
    CLEANUP_FREE char *errors = NULL;
    /* test:///default has a running domain named 'test'. */
    assert_int_equal(deploy("test:///default", "test", false, false, &r, &n, &errors), -1);
    assert_string_equal(errors, "appliance: error: a domain named 'test' already exists on "
                                "test:///default (--replace redefines it, --name deploys under "
                                "another name)\n");
    assert_null(r.name);
    deploy_result_release(&r);
    CLEANUP_FREE char *errors2 = NULL;
    assert_int_equal(deploy("test:///default", "test", false, true, &r, &n, &errors2), -1);
    assert_string_equal(errors2, "appliance: error: domain 'test' is running on test:///default: "
                                 "shut it down before replacing it\n");
    deploy_result_release(&r);
}

/* A node file for the test driver: one shut-off domain NAME with UUID
 * whose disk is DISK, and (when with_network) the network 'default'. */
static void
write_node(const char *name, const char *uuid, const char *disk, bool with_network)
{
    char text[4096];
    FMT(text,
        "<node>\n"
        "%s"
        "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n"
        "    <name>%s</name><uuid>%s</uuid><memory>65536</memory>\n"
        "    <os><type>hvm</type></os>\n"
        "    <devices><disk type='file' device='disk'><source file='%s'/>\n"
        "      <target dev='vda'/></disk></devices>\n"
        "    <test:runstate>5</test:runstate>\n"
        "  </domain>\n"
        "</node>\n",
        with_network ? "  <network><name>default</name><bridge name='virbr0'/>\n"
                       "    <forward/><ip address='192.168.122.1' netmask='255.255.255.0'/>"
                       "</network>\n"
                     : "",
        name, uuid, disk);
    unit_write_file("node.xml", text);
}

static char *
node_uri(void)
{
    static char uri[PATH_MAX + 32];
    snprintf(uri, sizeof(uri), "test://%s/node.xml", unit_tmpdir);
    return uri;
}

static void
test_replace_keeps_uuid(void **state)
{
    (void)state;
    make_folder();
    fake_qemu(false);
    write_node("demo", OTHER_UUID, "/elsewhere/old.qcow2", true);
    struct deploy_result r;
    struct notes n = {""};
    CLEANUP_FREE char *errors = NULL;
    assert_int_equal(deploy(node_uri(), NULL, false, false, &r, &n, &errors), -1);
    assert_non_null(strstr(errors, "a domain named 'demo' already exists on test://"));
    deploy_result_release(&r);
    CLEANUP_FREE char *errors2 = NULL;
    assert_int_equal(deploy(node_uri(), NULL, false, true, &r, &n, &errors2), 0);
    assert_true(r.replaced);
    assert_string_equal(r.uuid, OTHER_UUID);
    assert_string_equal(r.disks[1], out_path("demo-os.qcow2"));
    deploy_result_release(&r);
}

static void
test_shared_disk_refused(void **state)
{
    (void)state;
    make_folder();
    fake_qemu(false);
    write_node("other", OTHER_UUID, out_path("demo-os.qcow2"), true);
    struct deploy_result r;
    struct notes n = {""};
    CLEANUP_FREE char *errors = NULL;
    assert_int_equal(deploy(node_uri(), NULL, false, false, &r, &n, &errors), -1);
    char want[PATH_MAX * 2];
    FMT(want,
        "appliance: error: '%s' is already a disk of domain 'other' on %s (copy the folder to "
        "deploy it twice)\n",
        out_path("demo-os.qcow2"), node_uri());
    assert_string_equal(errors, want);
    deploy_result_release(&r);
}

static void
test_missing_network_user_mode(void **state)
{
    (void)state;
    make_folder();
    fake_qemu(false);
    write_node("other", OTHER_UUID, "/elsewhere/old.qcow2", false);
    struct deploy_result r;
    struct notes n = {""};
    CLEANUP_FREE char *errors = NULL;
    assert_int_equal(deploy(node_uri(), NULL, false, false, &r, &n, &errors), 0);
    assert_non_null(strstr(n.text, "network 'default' is not available on test://"));
    assert_non_null(strstr(n.text, "its NICs use user-mode networking"));
    deploy_result_release(&r);
}

static void
test_folder_errors(void **state)
{
    (void)state;
    make_folder();
    fake_qemu(false);
    assert_int_equal(unlink("out/demo-app.qcow2"), 0);
    struct deploy_result r;
    struct notes n = {""};
    CLEANUP_FREE char *errors = NULL;
    assert_int_equal(deploy("test:///default", NULL, false, false, &r, &n, &errors), -1);
    assert_non_null(strstr(errors, "disk 'vdb' of 'out/demo.xml' is 'demo-app.qcow2', which is "
                                   "not in '"));
    deploy_result_release(&r);
    qcow2("out/demo-app.qcow2");
    CLEANUP_FREE char *errors2 = NULL;
    assert_int_equal(
        deploy("nosuchdriver:///x?socket=/nonexistent", NULL, false, false, &r, &n, &errors2), -1);
    assert_non_null(strstr(errors2, "appliance: error: cannot connect to "
                                    "'nosuchdriver:///x?socket=/nonexistent': "));
    deploy_result_release(&r);
}

/* A disk that names another file is refused before libvirt sees it. */
static void
test_hostile_disk_refused(void **state)
{
    (void)state;
    make_folder();
    fake_qemu(false);
    assert_int_equal(system("qemu-img create -q -f qcow2 -b demo-app.qcow2 -F qcow2 "
                            "out/demo-os.qcow2"),
                     0);
    struct deploy_result r;
    struct notes n = {""};
    CLEANUP_FREE char *errors = NULL;
    assert_int_equal(deploy("test:///default", NULL, false, false, &r, &n, &errors), -1);
    char want[PATH_MAX + 200];
    FMT(want,
        "appliance: error: '%s' names another file: backing file 'demo-app.qcow2'; refusing an "
        "image that refers to files outside itself\n",
        out_path("demo-os.qcow2"));
    assert_string_equal(errors, want);
    assert_null(r.name); /* nothing defined */
    deploy_result_release(&r);
    qcow2("out/demo-os.qcow2");
}

static void
test_find_xml(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    mkdir("f", 0755);
    char *msg;
    assert_null(deploy_find_xml("f", NULL, &err));
    msg = unit_error_text(&err);
    assert_string_equal(
        msg, "appliance: error: 'f' has no libvirt domain XML (NAME-VERSION.xml): was it "
             "built with the libvirt output?\n");
    free(msg);
    ab_error_release(&err);
    unit_write_file("f/a.xml", "<domain/>");
    CLEANUP_FREE char *only = deploy_find_xml("f", NULL, &err);
    assert_string_equal(only, "f/a.xml");
    unit_write_file("f/b.xml", "<domain/>");
    assert_null(deploy_find_xml("f", NULL, &err));
    msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: 'f' has 2 .xml files and no build-report.json "
                             "naming one\n");
    free(msg);
    ab_error_release(&err);
    /* A report of format 1 lists NAME.xml, one of format 2 says which
     * file is the libvirt output's. */
    unit_write_file("f/build-report.json", "{\"name\": \"b\", \"files\": [{\"path\": \"b.xml\"}]}");
    CLEANUP_FREE char *named = deploy_find_xml("f", NULL, &err);
    assert_string_equal(named, "f/b.xml");
    unit_write_file("f/build-report.json",
                    "{\"format\": 2, \"name\": \"b\", \"version\": \"1\", \"files\": "
                    "[{\"path\": \"b.xml\"}, {\"path\": \"a.xml\", \"output\": \"libvirt\"}]}");
    CLEANUP_FREE char *listed = deploy_find_xml("f", NULL, &err);
    assert_string_equal(listed, "f/a.xml");
}

static void
test_uri_is_local(void **state)
{
    (void)state;
    static const struct {
        const char *uri;
        bool local;
    } cases[] = {
        {NULL, true},
        {"qemu:///system", true},
        {"qemu:///session", true},
        {"test:///default", true},
        {"qemu+unix:///system?socket=/run/x", true},
        {"qemu+ssh://localhost/system", true},
        {"qemu+ssh://root@localhost:2222/system", true},
        {"qemu+tcp://[::1]/system", true},
        {"qemu+ssh://root@kvm1.example.com/system", false},
        {"qemu+tls://10.0.0.2:16514/system", false},
        {"qemu+tcp://[fe80::1]/system", false},
        {"myalias", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (deploy_uri_is_local(cases[i].uri) != cases[i].local)
            print_error("%s\n", cases[i].uri ? cases[i].uri : "(null)");
        assert_int_equal(deploy_uri_is_local(cases[i].uri), cases[i].local);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defined_on_test_driver),
        cmocka_unit_test(test_kvm_kept_when_usable),
        cmocka_unit_test(test_existing_refused),
        cmocka_unit_test(test_replace_keeps_uuid),
        cmocka_unit_test(test_shared_disk_refused),
        cmocka_unit_test(test_missing_network_user_mode),
        cmocka_unit_test(test_folder_errors),
        cmocka_unit_test(test_hostile_disk_refused),
        cmocka_unit_test(test_find_xml),
        cmocka_unit_test(test_uri_is_local),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
