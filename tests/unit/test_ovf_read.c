/* test_ovf_read.c: the OVF reader against the writer's goldens
 * (tests/data/ovf/), against descriptors the writer makes for a matrix of
 * plans, against a peer builder's style (VirtualBox units, no ovf: prefix
 * on attributes, disks before their controller), and against broken
 * files. */
#include "unit.h"

#include <time.h>

#include "appliance/cleanup.h"
#include "appliance/ovf.h"
#include "appliance/ovf_read.h"
#include "appliance/size.h"

#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static const char *
top_dir(void)
{
    const char *top = getenv("TOP");
    return top && *top ? top : unit_oldcwd;
}

static struct ovf_summary *
read_ok(const char *path)
{
    struct ab_error err = AB_ERROR_INIT;
    struct ovf_summary *s = ovf_read_file(path, &err);
    if (!s) {
        char *msg = unit_error_text(&err);
        print_error("%s", msg);
        free(msg);
    }
    ab_error_release(&err);
    assert_non_null(s);
    for (size_t i = 0; i < s->n_problems; i++)
        print_message("problem: %s\n", s->problems[i]);
    return s;
}

static struct ovf_summary *
read_golden(const char *name)
{
    char path[PATH_MAX];
    FMT(path, "%s/tests/data/ovf/%s.ovf", top_dir(), name);
    return read_ok(path);
}

/* The facts both goldens share (see test_ovf.c's recipe and disks). */
static void
assert_golden_common(const struct ovf_summary *s)
{
    assert_int_equal(s->n_problems, 0);
    assert_string_equal(s->name, "t");
    assert_string_equal(s->product, "a test appliance");
    assert_string_equal(s->vendor, "appliance project");
    assert_string_equal(s->version, "1.2.3");
    assert_string_equal(s->full_version, "1.2.3");
    assert_true(s->has_os_id);
    assert_int_equal(s->os_id, 96);
    assert_string_equal(s->os_type, "debian10_64Guest");
    assert_string_equal(s->os_description, "Debian GNU/Linux 12 (64-bit)");
    assert_string_equal(s->system_type, "vmx-13");
    assert_int_equal(s->cpus, 2);
    assert_int_equal(s->memory, GiB);

    assert_int_equal(s->n_files, 2);
    assert_string_equal(s->files[0].href, "t-os.vmdk");
    assert_true(s->files[0].has_size);
    assert_int_equal(s->files[0].size, 123456789);
    assert_string_equal(s->files[1].href, "t-app.vmdk");
    assert_int_equal(s->files[1].size, 4242);

    assert_int_equal(s->n_disks, 2);
    assert_string_equal(s->disks[0].id, "vmdisk1");
    assert_int_equal(s->disks[0].file, 0);
    assert_int_equal(s->disks[0].capacity, 10 * GiB);
    assert_string_equal(s->disks[0].capacity_units, "byte * 2^30");
    assert_true(s->disks[0].has_populated);
    assert_int_equal(s->disks[0].populated_size, 987654321);
    assert_string_equal(ovf_format_name(s->disks[0].format), "streamOptimized");
    assert_int_equal(s->disks[0].controller, 0);
    assert_string_equal(s->disks[0].address, "0");
    assert_int_equal(s->disks[1].file, 1);
    assert_int_equal(s->disks[1].capacity, 2 * GiB);
    assert_int_equal(s->disks[1].controller, 0);
    assert_string_equal(s->disks[1].address, "1");
    assert_int_equal(s->n_controllers, 1);
}

static void
test_golden_sata_uefi(void **state)
{
    (void)state;
    CLEANUP_OVF_SUMMARY struct ovf_summary *s = read_golden("sata-uefi");
    assert_golden_common(s);
    assert_int_equal(s->controllers[0].resource_type, 20);
    assert_string_equal(ovf_controller_kind(s->controllers[0].resource_type), "SATA");
    assert_string_equal(s->controllers[0].subtype, "AHCI");
    assert_string_equal(s->firmware, "efi");
    assert_int_equal(s->n_nics, 2);
    assert_string_equal(s->nics[1].subtype, "E1000");
    assert_string_equal(s->nics[1].network, "VM Network");
}

static void
test_golden_scsi(void **state)
{
    (void)state;
    CLEANUP_OVF_SUMMARY struct ovf_summary *s = read_golden("scsi-bios+uefi");
    assert_golden_common(s);
    assert_string_equal(ovf_controller_kind(s->controllers[0].resource_type), "SCSI");
    assert_string_equal(s->controllers[0].subtype, "lsilogic");
    assert_string_equal(s->firmware, "bios");
    assert_int_equal(s->n_nics, 1);
}

/* Whatever the writer writes for a plan, the reader reads back. */
static void
test_round_trip(void **state)
{
    (void)state;
    static const char *const controllers[] = {"scsi", "sata", "ide"};
    static const unsigned types[] = {6, 20, 5};
    static const char *const firmwares[] = {"bios", "uefi", "bios+uefi"};
    static const struct ovf_disk_file disks[2] = {
        {"r-os.vmdk", 1, UINT64_C(8) << 30, 2},
        {"r-app.vmdk", 3, UINT64_C(1) << 30, 4},
    };
    for (size_t c = 0; c < 3; c++)
        for (size_t f = 0; f < 3; f++)
            for (unsigned nics = 0; nics < 3; nics++) {
                char text[1024];
                FMT(text,
                    "recipe: 1\nname: r\nversion: '9'\nos: {distro: centos-stream-9}\n"
                    "hardware: {cpus: 3, memory: 3GiB, firmware: %s, controller: %s, nics: %u}\n"
                    "disks:\n  os: {size: 8GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
                    "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: rest}]}\n",
                    firmwares[f], controllers[c], nics);
                CLEANUP_PLAN const struct plan *p = unit_plan(text);
                struct ab_error err = AB_ERROR_INIT;
                assert_int_equal(ovf_write(p, disks, "r.ovf", &err), 0);
                CLEANUP_OVF_SUMMARY struct ovf_summary *s = read_ok("r.ovf");
                assert_int_equal(s->n_problems, 0);
                assert_string_equal(s->name, "r");
                assert_string_equal(s->product, "r");
                assert_null(s->vendor);
                assert_int_equal(s->os_id, 107);
                assert_string_equal(s->os_type, "centos7_64Guest"); /* generic: 6.5's */
                assert_int_equal(s->cpus, 3);
                assert_int_equal(s->memory, 3 * GiB);
                assert_int_equal(s->n_controllers, 1);
                assert_int_equal(s->controllers[0].resource_type, types[c]);
                assert_string_equal(s->firmware, f == 1 ? "efi" : "bios");
                assert_int_equal(s->n_nics, nics);
                assert_int_equal(s->n_disks, 2);
                for (int i = 0; i < 2; i++) {
                    const struct ovf_disk *d = &s->disks[i];
                    assert_int_equal(d->capacity, disks[i].capacity);
                    assert_int_equal(d->populated_size, disks[i].populated_size);
                    assert_string_equal(s->files[d->file].href, disks[i].href);
                    assert_int_equal(s->files[d->file].size, disks[i].size);
                    assert_int_equal(d->controller, 0);
                }
            }
}

/* A peer builder's habits: attributes without the ovf: prefix, memory in
 * "MegaBytes", capacity in GiB units, the disk Item before its controller,
 * a VirtualSystemCollection around the system. */
static const char foreign[] =
    "<?xml version='1.0'?>\n"
    "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'\n"
    "  xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1'\n"
    "  xmlns:rasd='" OVF_NS_RASD "' xmlns:vssd='" OVF_NS_VSSD "'>\n"
    " <References><File id='f1' href='vm-disk1.vmdk' size='42'/>\n"
    "  <File ovf:id='iso' ovf:href='tools.iso'/></References>\n"
    " <DiskSection><Info>x</Info>\n"
    "  <Disk diskId='d1' fileRef='f1' capacity='16' capacityAllocationUnits='byte * 2^30'\n"
    "    format='http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized'/>\n"
    " </DiskSection>\n"
    " <VirtualSystemCollection ovf:id='c'><Info>c</Info>\n"
    "  <VirtualSystem ovf:id='vm1'><Info>x</Info>\n"
    "   <OperatingSystemSection ovf:id='101'><Info>x</Info></OperatingSystemSection>\n"
    "   <VirtualHardwareSection><Info>x</Info>\n"
    "    <System><vssd:VirtualSystemType>virtualbox-2.2</vssd:VirtualSystemType></System>\n"
    "    "
    "<Item><rasd:HostResource>/disk/d1</rasd:HostResource><rasd:InstanceID>9</rasd:InstanceID>\n"
    "     <rasd:Parent>5</rasd:Parent><rasd:ResourceType>17</rasd:ResourceType></Item>\n"
    "    <Item><rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits>\n"
    "     "
    "<rasd:ResourceType>4</rasd:ResourceType><rasd:VirtualQuantity>512</rasd:VirtualQuantity></"
    "Item>\n"
    "    "
    "<Item><rasd:InstanceID>5</rasd:InstanceID><rasd:ResourceSubType>PIIX4</rasd:ResourceSubType>\n"
    "     <rasd:ResourceType>5</rasd:ResourceType></Item>\n"
    "   </VirtualHardwareSection>\n"
    "  </VirtualSystem>\n"
    " </VirtualSystemCollection>\n"
    "</Envelope>\n";

static void
test_foreign(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_OVF_SUMMARY struct ovf_summary *s =
        ovf_read_buffer("f.ovf", foreign, strlen(foreign), &err);
    assert_non_null(s);
    assert_int_equal(s->n_problems, 0);
    assert_string_equal(s->name, "vm1");
    assert_null(s->product);
    assert_int_equal(s->os_id, 101);
    assert_null(s->os_type);
    assert_string_equal(s->system_type, "virtualbox-2.2");
    assert_int_equal(s->memory, 512 * MiB);
    assert_int_equal(s->n_files, 2);
    assert_string_equal(s->files[0].href, "vm-disk1.vmdk");
    assert_int_equal(s->files[0].size, 42);
    assert_false(s->files[1].has_size);
    assert_int_equal(s->disks[0].capacity, 16 * GiB);
    assert_false(s->disks[0].has_populated);
    assert_int_equal(s->disks[0].controller, 0);
    assert_null(s->disks[0].address);
    assert_string_equal(ovf_controller_kind(s->controllers[0].resource_type), "IDE");
    assert_string_equal(s->firmware, "bios");
}

static void
assert_problems(const char *xml, const char *const *want, size_t n)
{
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_OVF_SUMMARY struct ovf_summary *s = ovf_read_buffer("p.ovf", xml, strlen(xml), &err);
    assert_non_null(s);
    for (size_t i = 0; i < s->n_problems; i++)
        print_message("problem: %s\n", s->problems[i]);
    assert_int_equal(s->n_problems, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(s->problems[i], want[i]);
    assert_null(s->problems[n]);
}

static void
test_problems(void **state)
{
    (void)state;
    static const char xml[] =
        "<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'\n"
        "  xmlns:ovf='http://schemas.dmtf.org/ovf/envelope/1' xmlns:rasd='" OVF_NS_RASD "'>\n"
        " <References><File ovf:id='f1' ovf:href='a.vmdk' ovf:size='12x'/></References>\n"
        " <DiskSection><Disk ovf:diskId='d1' ovf:fileRef='f9' ovf:capacity='1'\n"
        "   ovf:capacityAllocationUnits='byte * 3^2'/></DiskSection>\n"
        " <VirtualSystem ovf:id='v'>\n"
        "  <OperatingSystemSection ovf:id='linux'/>\n"
        "  <VirtualHardwareSection>\n"
        "   "
        "<Item><rasd:ResourceType>3</rasd:ResourceType><rasd:VirtualQuantity>two</"
        "rasd:VirtualQuantity></Item>\n"
        "   "
        "<Item><rasd:HostResource>ovf:/disk/d2</rasd:HostResource><rasd:ResourceType>17</"
        "rasd:ResourceType></Item>\n"
        "   <Item><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:Parent>4</rasd:Parent>\n"
        "    <rasd:ResourceType>17</rasd:ResourceType></Item>\n"
        "  </VirtualHardwareSection>\n"
        " </VirtualSystem>\n"
        "</Envelope>\n";
    static const char *const want[] = {
        "ovf:size '12x' of file 'a.vmdk' is not a number",
        "disk 'd1' names file 'f9', which References does not list",
        "disk 'd1' has no ovf:format",
        "capacity of disk 'd1' has unknown allocation units 'byte * 3^2'",
        "OperatingSystemSection ovf:id 'linux' is not a number",
        "CPU count 'two' is not a number",
        "disk Item names disk 'd2', which DiskSection does not list",
        "disk 'd1' hangs on controller '4', which is not in the hardware",
    };
    assert_problems(xml, want, sizeof(want) / sizeof(want[0]));
}

static void
assert_refused(const char *xml, const char *want)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_null(ovf_read_buffer("bad.ovf", xml, strlen(xml), &err));
    char *msg = unit_error_text(&err);
    if (!strstr(msg, want))
        print_error("got: %s", msg);
    assert_non_null(strstr(msg, want));
    assert_int_equal(ab_error_exit_status(&err), 1);
    free(msg);
    ab_error_release(&err);
}

static void
test_refused(void **state)
{
    (void)state;
    assert_refused("<Envelope><Ref", "cannot parse OVF descriptor 'bad.ovf': line 1: ");
    assert_refused("<domain/>", "'bad.ovf' is not an OVF descriptor: its root element is 'domain'");
    assert_refused("<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/2'/>",
                   "'bad.ovf' is an OVF 2.0 descriptor; only OVF 1.x is read");
    assert_refused("<Envelope xmlns='urn:x'/>",
                   "'bad.ovf' is not an OVF 1.x descriptor: namespace 'urn:x'");
    assert_refused("<Envelope xmlns='http://schemas.dmtf.org/ovf/envelope/1'/>",
                   "'bad.ovf' describes no VirtualSystem");
    /* An external entity is neither fetched nor substituted. */
    assert_refused("<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
                   "its root element is 'x'");
}

static void
test_read_file_errors(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_null(ovf_read_file("missing.ovf", &err));
    char *msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: cannot read 'missing.ovf': No such file or "
                             "directory\n");
    free(msg);
    ab_error_release(&err);
}

static void
test_units(void **state)
{
    (void)state;
    static const struct {
        const char *units;
        uint64_t bytes;
    } ok[] = {
        {"byte", 1},        {"byte * 2^20", MiB}, {"byte*2^30", GiB}, {"byte * 10^3", 1000},
        {"MegaBytes", MiB}, {"KiloBytes", KiB},   {"GigaBytes", GiB},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint64_t b = 0;
        assert_int_equal(ovf_units_bytes(ok[i].units, &b), 0);
        assert_int_equal(b, ok[i].bytes);
    }
    static const char *const bad[] = {"",           "bytes * 2", "byte * 2^64",
                                      "byte * 3^2", "MB",        "byte * 2^20 x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t b = 0;
        assert_int_equal(ovf_units_bytes(bad[i], &b), -1);
    }
    assert_string_equal(ovf_format_name(OVF_FORMAT_STREAM_OPTIMIZED), "streamOptimized");
}

/* A unit of base 1 or 0 never overflows: its exponent was once counted
 * out step by step, four billion of them (tests/fuzz/ovf_fuzz.c timed
 * out, 10 s, on a descriptor with such a disk). */
static void
test_units_exponent(void **state)
{
    (void)state;
    static const char *const bad[] = {"byte * 1^4294967295", "byte * 0^4294967295",
                                      "byte * 1 ^ 4000000000", "byte * 7^4294967295"};
    clock_t start = clock();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t b = 0;
        assert_int_equal(ovf_units_bytes(bad[i], &b), -1);
    }
    uint64_t b = 0;
    assert_int_equal(ovf_units_bytes("byte * 2^4294967295", &b), -1);
    assert_int_equal(ovf_units_bytes("byte * 10^19", &b), 0);
    assert_int_equal(b, UINT64_C(10000000000000000000));
    assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 0.5);
    assert_string_equal(ovf_format_name("urn:raw"), "urn:raw");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_sata_uefi), cmocka_unit_test(test_golden_scsi),
        cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_foreign),
        cmocka_unit_test(test_problems),         cmocka_unit_test(test_refused),
        cmocka_unit_test(test_read_file_errors), cmocka_unit_test(test_units),
        cmocka_unit_test(test_units_exponent),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
