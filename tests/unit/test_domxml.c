/* test_domxml.c: the domain XML rewrite that `appliance deploy` makes,
 * judged on the tree read back (disks, type, name, UUID, MACs, NICs). */
#include "unit.h"

#include "appliance/cleanup.h"
#include "appliance/domxml.h"

/* Like the libvirt output of export.h: q35, two virtio qcow2 disks named
 * by the paths they had at build time, a NIC on 'default', a CD-ROM
 * without a source that must be left alone. */
static const char domain[] =
    "<domain type='kvm'>\n"
    "  <name>demo</name>\n"
    "  <uuid>3e4f9a0c-1b7d-4c5e-9f21-6a8b0c2d4e6f</uuid>\n"
    "  <memory unit='MiB'>512</memory>\n"
    "  <os><type arch='x86_64' machine='q35'>hvm</type></os>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='/build/output/demo-1.0/demo-os.qcow2'/>\n"
    "      <target dev='vda' bus='virtio'/>\n"
    "    </disk>\n"
    "    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>\n"
    "    <disk type='file' device='disk'>\n"
    "      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='demo-app.qcow2'/>\n"
    "      <target dev='vdb' bus='virtio'/>\n"
    "    </disk>\n"
    "    <interface type='network'>\n"
    "      <mac address='52:54:00:12:34:56'/>\n"
    "      <source network='default'/>\n"
    "      <model type='virtio'/>\n"
    "    </interface>\n"
    "    <interface type='network'><source network='lab'/></interface>\n"
    "    <interface type='network'><source network='default'/></interface>\n"
    "    <interface type='bridge'><source bridge='br0'/></interface>\n"
    "  </devices>\n"
    "</domain>\n";

static struct domxml *
read_domain(const char *text)
{
    struct ab_error err = AB_ERROR_INIT;
    struct domxml *d = domxml_read_buffer("demo.xml", text, strlen(text), &err);
    if (!d) {
        char *msg = unit_error_text(&err);
        print_error("%s", msg);
        free(msg);
    }
    ab_error_release(&err);
    assert_non_null(d);
    return d;
}

/* Serialises d and reads it back, so that the checks see the text libvirt
 * would get, not only the tree. */
static struct domxml *
round_trip(const struct domxml *d)
{
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *text = domxml_to_string(d, &err);
    assert_non_null(text);
    return read_domain(text);
}

static void
test_getters(void **state)
{
    (void)state;
    CLEANUP_DOMXML struct domxml *d = read_domain(domain);
    assert_string_equal(domxml_name(d), "demo");
    assert_string_equal(domxml_uuid(d), "3e4f9a0c-1b7d-4c5e-9f21-6a8b0c2d4e6f");
    assert_string_equal(domxml_type(d), "kvm");
    CLEANUP_STRV char **disks = domxml_disk_files(d);
    assert_non_null(disks);
    assert_string_equal(disks[0], "vda");
    assert_string_equal(disks[1], "/build/output/demo-1.0/demo-os.qcow2");
    assert_string_equal(disks[2], "vdb");
    assert_string_equal(disks[3], "demo-app.qcow2");
    assert_null(disks[4]);
    CLEANUP_STRV char **nets = domxml_networks(d);
    assert_string_equal(nets[0], "default");
    assert_string_equal(nets[1], "lab");
    assert_null(nets[2]);
}

static void
test_relocate(void **state)
{
    (void)state;
    assert_int_equal(mkdir("moved", 0755), 0);
    unit_write_file("moved/demo-os.qcow2", "x");
    unit_write_file("moved/demo-app.qcow2", "x");
    CLEANUP_DOMXML struct domxml *d = read_domain(domain);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(domxml_relocate_disks(d, "moved", &err), 0);
    CLEANUP_DOMXML struct domxml *back = round_trip(d);
    CLEANUP_STRV char **disks = domxml_disk_files(back);
    char want[PATH_MAX + 32];
    snprintf(want, sizeof(want), "%s/moved/demo-os.qcow2", unit_tmpdir);
    assert_string_equal(disks[1], want);
    snprintf(want, sizeof(want), "%s/moved/demo-app.qcow2", unit_tmpdir);
    assert_string_equal(disks[3], want);
    assert_string_equal(domxml_type(back), "kvm");
    assert_string_equal(domxml_uuid(back), "3e4f9a0c-1b7d-4c5e-9f21-6a8b0c2d4e6f");
}

static void
test_relocate_missing(void **state)
{
    (void)state;
    assert_int_equal(mkdir("half", 0755), 0);
    unit_write_file("half/demo-os.qcow2", "x");
    CLEANUP_DOMXML struct domxml *d = read_domain(domain);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(domxml_relocate_disks(d, "half", &err), -1);
    char *msg = unit_error_text(&err);
    char want[PATH_MAX + 128];
    snprintf(want, sizeof(want),
             "appliance: error: disk 'vdb' of 'demo.xml' is 'demo-app.qcow2', which is not in "
             "'%s/half'\n",
             unit_tmpdir);
    assert_string_equal(msg, want);
    free(msg);
    ab_error_release(&err);
}

/* The format image_check found becomes the driver type; a different one
 * is refused; a <backingStore> of the XML's own is replaced by an empty
 * one; a disk that is not a file is refused. */
static void
test_disk_format(void **state)
{
    (void)state;
    CLEANUP_DOMXML struct domxml *d =
        read_domain("<domain type='kvm'><name>x</name><devices>"
                    "<disk type='file' device='disk'><source file='/a.qcow2'/><target dev='vda'/>"
                    "<backingStore type='file'><format type='raw'/><source file='/etc/shadow'/>"
                    "</backingStore></disk>"
                    "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                    "<source file='/b.img'/><target dev='vdb'/></disk>"
                    "</devices></domain>");
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(domxml_set_disk_format(d, "/a.qcow2", "qcow2", &err), 0);
    CLEANUP_FREE char *xml = domxml_to_string(d, &err);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "<driver name=\"qemu\" type=\"qcow2\"/>"));
    assert_non_null(strstr(xml, "<backingStore/>"));
    assert_null(strstr(xml, "shadow"));
    assert_int_equal(domxml_set_disk_format(d, "/b.img", "vmdk", &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: disk 'vdb' of 'demo.xml' is a vmdk image, but its "
                             "driver type says raw\n");
    ab_error_release(&err);

    CLEANUP_DOMXML struct domxml *blk = read_domain(
        "<domain type='kvm'><name>x</name><devices>"
        "<disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vda'/></disk>"
        "</devices></domain>");
    assert_int_equal(domxml_relocate_disks(blk, ".", &err), -1);
    CLEANUP_FREE char *m2 = unit_error_text(&err);
    assert_string_equal(m2,
                        "appliance: error: disk 'vda' of 'demo.xml' is not a file of the "
                        "folder (type 'block'); refusing a domain whose disks are outside it\n");
    ab_error_release(&err);
}

static void
test_type(void **state)
{
    (void)state;
    CLEANUP_DOMXML struct domxml *d = read_domain(domain);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(domxml_set_type(d, "qemu", &err), 0);
    assert_string_equal(domxml_type(d), "qemu");
    CLEANUP_DOMXML struct domxml *back = round_trip(d);
    assert_string_equal(domxml_type(back), "qemu");
}

static void
test_rename(void **state)
{
    (void)state;
    CLEANUP_DOMXML struct domxml *d = read_domain(domain);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(domxml_rename(d, "demo <2> & co", &err), 0);
    CLEANUP_DOMXML struct domxml *back = round_trip(d);
    assert_string_equal(domxml_name(back), "demo <2> & co");
    assert_null(domxml_uuid(back));
    CLEANUP_FREE char *text = domxml_to_string(back, &err);
    assert_null(strstr(text, "<mac"));
    assert_non_null(strstr(text, "<model type=\"virtio\"/>"));
    /* A UUID set afterwards lands right after <name>. */
    assert_int_equal(domxml_set_uuid(d, "00000000-0000-0000-0000-000000000001", &err), 0);
    CLEANUP_FREE char *again = domxml_to_string(d, &err);
    const char *name = strstr(again, "</name>");
    const char *uuid = strstr(again, "<uuid>00000000-0000-0000-0000-000000000001</uuid>");
    const char *memory = strstr(again, "<memory");
    assert_true(name && uuid && memory && name < uuid && uuid < memory);
}

static void
test_user_networking(void **state)
{
    (void)state;
    CLEANUP_DOMXML struct domxml *d = read_domain(domain);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(domxml_use_user_networking(d, "default", &err), 0);
    CLEANUP_DOMXML struct domxml *back = round_trip(d);
    CLEANUP_STRV char **nets = domxml_networks(back);
    assert_string_equal(nets[0], "lab");
    assert_null(nets[1]);
    CLEANUP_FREE char *text = domxml_to_string(back, &err);
    const char *user = strstr(text, "<interface type=\"user\">");
    assert_non_null(user);
    assert_non_null(strstr(user, "<mac address=\"52:54:00:12:34:56\"/>"));
    assert_non_null(strstr(text, "<source bridge=\"br0\"/>"));
}

static void
assert_refused(const char *text, const char *want)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_null(domxml_read_buffer("bad.xml", text, strlen(text), &err));
    char *msg = unit_error_text(&err);
    if (!strstr(msg, want))
        print_error("got %s", msg);
    assert_non_null(strstr(msg, want));
    free(msg);
    ab_error_release(&err);
}

static void
test_refused(void **state)
{
    (void)state;
    assert_refused("<domain><name>", "cannot parse domain XML 'bad.xml': ");
    assert_refused("<Envelope/>",
                   "'bad.xml' is not a libvirt domain XML: its root element is 'Envelope'");
    struct ab_error err = AB_ERROR_INIT;
    assert_null(domxml_read_file("nope.xml", &err));
    char *msg = unit_error_text(&err);
    assert_string_equal(msg,
                        "appliance: error: cannot read 'nope.xml': No such file or directory\n");
    free(msg);
    ab_error_release(&err);
}

/* The machine read from the domain: sizes with libvirt's units, the first
 * disk's bus (a CD-ROM before it skipped), the NICs, and the firmware
 * from whichever way the XML says it. */
static void
test_machine(void **state)
{
    (void)state;
    CLEANUP_DOMXML struct domxml *d = read_domain(domain);
    struct domxml_machine m;
    domxml_machine(d, &m);
    assert_int_equal(m.vcpus, 0);
    assert_int_equal(m.memory, 512u << 20);
    assert_int_equal(m.efi, -1);
    assert_false(m.secure_boot);
    assert_string_equal(m.bus, "virtio");
    assert_int_equal(m.nics, 4);

    CLEANUP_DOMXML struct domxml *e = read_domain(
        "<domain type='kvm'><name>e</name><vcpu>3</vcpu><memory>1048576</memory>"
        "<os firmware='efi'><firmware><feature enabled='yes' name='secure-boot'/></firmware>"
        "</os><devices><disk device='cdrom'><target bus='ide'/></disk>"
        "<disk><target bus='scsi'/></disk></devices></domain>");
    domxml_machine(e, &m);
    assert_int_equal(m.vcpus, 3);
    assert_int_equal(m.memory, 1u << 30);
    assert_int_equal(m.efi, 1);
    assert_true(m.secure_boot);
    assert_string_equal(m.bus, "scsi");
    assert_int_equal(m.nics, 0);

    CLEANUP_DOMXML struct domxml *f = read_domain(
        "<domain><vcpu>99999</vcpu><memory unit='parsecs'>1</memory>"
        "<devices><disk><target bus='aaaaaaaaaaaaaaaaaaaaaaaaaaaa'/></disk></devices></domain>");
    domxml_machine(f, &m);
    assert_int_equal(m.vcpus, 0);
    assert_int_equal(m.memory, 0);
    assert_int_equal(m.efi, 0);
    assert_string_equal(m.bus, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getters),          cmocka_unit_test(test_relocate),
        cmocka_unit_test(test_relocate_missing), cmocka_unit_test(test_type),
        cmocka_unit_test(test_rename),           cmocka_unit_test(test_user_networking),
        cmocka_unit_test(test_refused),          cmocka_unit_test(test_disk_format),
        cmocka_unit_test(test_machine),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
