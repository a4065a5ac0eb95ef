/* test_convert_hardware.c: the hardware of a source, from a libvirt
 * domain XML (virsh dumpxml), an OVF (ours, and a VMware-style one with
 * memory in "byte * 2^20"), and a build-report.json's plan; layered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format off: cmocka.h needs the four above first */
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/convert.h"
#include "appliance/enums.h"
#include "appliance/size.h"

static char *
put(const char *text)
{
    char *path = strdup("/tmp/convert-hw-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void
read_ok(const char *path, struct convert_hardware *hw)
{
    struct ab_error err = AB_ERROR_INIT;
    int r = convert_hardware_read(path, hw, &err);
    if (r < 0)
        ab_error_write(&err, stderr);
    assert_int_equal(r, 0);
    ab_error_release(&err);
}

static void
test_libvirt(void **state)
{
    (void)state;
    struct convert_hardware hw = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/data/libvirt/uefi-4-nics.xml",
             getenv("TOP") ? getenv("TOP") : ".");
    read_ok(path, &hw);
    assert_string_equal(hw.name, "t");
    assert_int_equal(hw.cpus, 2);
    assert_int_equal(hw.memory, GiB);
    assert_int_equal(hw.firmware, FIRMWARE_UEFI);
    assert_int_equal(hw.nics, 4);
    assert_int_equal(hw.secure_boot, 1); /* <feature enabled="yes" name="secure-boot"/> */
    convert_hardware_release(&hw);

    snprintf(path, sizeof(path), "%s/tests/data/libvirt/uefi-no-secure-boot.xml",
             getenv("TOP") ? getenv("TOP") : ".");
    read_ok(path, &hw);
    assert_int_equal(hw.firmware, FIRMWARE_UEFI);
    assert_int_equal(hw.secure_boot, -1);
    convert_hardware_release(&hw);

    char *p = put("<domain type='kvm'><name>vm1</name><vcpu placement='static'>3</vcpu>"
                  "<memory unit='MiB'>1536</memory><os><type>hvm</type>"
                  "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
                  "</os><devices><disk type='file' device='cdrom'><target bus='ide'/></disk>"
                  "<disk type='file' device='disk'><target dev='sda' bus='sata'/></disk>"
                  "<interface type='network'/><interface type='bridge'/></devices></domain>");
    read_ok(p, &hw);
    assert_int_equal(hw.cpus, 3);
    assert_int_equal(hw.memory, 1536 * MiB);
    assert_int_equal(hw.firmware, FIRMWARE_UEFI);
    assert_int_equal(hw.controller, CONTROLLER_SATA + 1);
    assert_int_equal(hw.nics, 2);
    assert_int_equal(hw.secure_boot, -1); /* a pflash loader, nothing secure */
    unlink(p);
    free(p);
    convert_hardware_release(&hw);

    p = put("<domain type='kvm'><name>vm2</name><os><type>hvm</type>"
            "<loader readonly='yes' secure='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.ms.fd"
            "</loader></os></domain>");
    read_ok(p, &hw);
    assert_int_equal(hw.firmware, FIRMWARE_UEFI);
    assert_int_equal(hw.secure_boot, 1);
    unlink(p);
    free(p);
    convert_hardware_release(&hw);
}

static void
test_ovf(void **state)
{
    (void)state;
    struct convert_hardware hw = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/data/ovf/sata-uefi.ovf",
             getenv("TOP") ? getenv("TOP") : ".");
    read_ok(path, &hw);
    assert_string_equal(hw.name, "t");
    assert_int_equal(hw.cpus, 2);
    assert_int_equal(hw.memory, GiB);
    assert_int_equal(hw.firmware, FIRMWARE_UEFI);
    assert_true(hw.firmware_from_ovf);
    assert_int_equal(hw.secure_boot, 1); /* uefi.secureBoot.enabled */
    assert_int_equal(hw.controller, CONTROLLER_SATA + 1);
    assert_int_equal(hw.distro, DISTRO_DEBIAN_12);
    convert_hardware_release(&hw);
}

/* A build-report.json's plan, then explicit values over it. */
static void
test_report(void **state)
{
    (void)state;
    struct convert_hardware hw = {0};
    char *p = put("{\"name\":\"demo\",\"plan\":{\"name\":\"demo\",\"version\":\"1.0.0\","
                  "\"description\":\"d\",\"vendor\":\"v\",\"os\":{\"distro\":\"rocky-9\"},"
                  "\"hardware\":{\"cpus\":2,\"memory\":2147483648,\"firmware\":\"bios+uefi\","
                  "\"controller\":\"ide\",\"nics\":2,\"secure_boot\":true}}}");
    read_ok(p, &hw);
    assert_string_equal(hw.name, "demo");
    assert_string_equal(hw.version, "1.0.0");
    assert_string_equal(hw.description, "d");
    assert_int_equal(hw.cpus, 2);
    assert_int_equal(hw.memory, 2 * GiB);
    assert_int_equal(hw.firmware, FIRMWARE_BOTH);
    assert_int_equal(hw.controller, CONTROLLER_IDE + 1);
    assert_int_equal(hw.nics, 2);
    assert_int_equal(hw.distro, DISTRO_ROCKY_9);
    assert_int_equal(hw.secure_boot, 1);
    unlink(p);
    free(p);
    convert_hardware_release(&hw);
}

/* The architecture comes from the domain (our own aarch64 golden, and an
 * AAVMF loader named by path) or the report; a second file that says
 * another, or a machine convert makes no appliance of, is refused. */
static void
test_arch(void **state)
{
    (void)state;
    struct convert_hardware hw = {0};
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/data/libvirt/aarch64.xml",
             getenv("TOP") ? getenv("TOP") : ".");
    read_ok(path, &hw);
    assert_int_equal(hw.arch, ARCH_AARCH64);
    convert_hardware_release(&hw);

    char *p = put("<domain type='kvm'><name>a</name><os><type arch='aarch64' machine='virt'>hvm"
                  "</type><loader readonly='yes'>/usr/share/AAVMF/AAVMF_CODE.fd</loader></os>"
                  "</domain>");
    read_ok(p, &hw);
    assert_int_equal(hw.arch, ARCH_AARCH64);
    assert_int_equal(hw.firmware, FIRMWARE_UEFI);
    unlink(p);
    free(p);

    /* Then a report of an x86_64 plan over it: refused. */
    struct ab_error err = AB_ERROR_INIT;
    p = put("{\"name\":\"demo\",\"plan\":{\"name\":\"demo\",\"hardware\":{\"arch\":\"x86_64\","
            "\"cpus\":2}}}");
    assert_int_equal(convert_hardware_read(p, &hw, &err), -1);
    const char *msg = err.diags[0].msg;
    if (!strstr(msg, "describes an x86_64 machine and the source is aarch64"))
        fail_msg("%s", msg);
    ab_error_release(&err);
    unlink(p);
    free(p);
    convert_hardware_release(&hw);

    p = put("<domain type='kvm'><name>p</name><os><type arch='ppc64le'>hvm</type></os></domain>");
    assert_int_equal(convert_hardware_read(p, &hw, &err), -1);
    msg = err.diags[0].msg;
    if (!strstr(msg, "a ppc64le machine, and convert makes x86_64 and aarch64 appliances only"))
        fail_msg("%s", msg);
    ab_error_release(&err);
    unlink(p);
    free(p);
    convert_hardware_release(&hw);
}

static void
test_not_hardware(void **state)
{
    (void)state;
    struct convert_hardware hw = {0};
    struct ab_error err = AB_ERROR_INIT;
    char *p = put("plain text\n");
    assert_int_equal(convert_hardware_read(p, &hw, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "cannot tell what"));
    ab_error_release(&err);
    unlink(p);
    free(p);
    p = put("<html><body/></html>");
    assert_int_equal(convert_hardware_read(p, &hw, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "root element 'html'"));
    ab_error_release(&err);
    unlink(p);
    free(p);
    convert_hardware_release(&hw);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libvirt),
        cmocka_unit_test(test_ovf),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_arch),
        cmocka_unit_test(test_not_hardware),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
