/* test_kvm.c: the KVM probe, against fake qemu binaries. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/kvm.h"

static char dir[] = "/tmp/appliance-kvm-XXXXXX";

/* Writes an executable shell script and points APPLIANCE_QEMU at it. */
static void
fake_qemu(const char *body)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/qemu", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
    setenv("APPLIANCE_QEMU", path, 1);
}

static int
kvm_device_present(void)
{
    return access("/dev/kvm", R_OK | W_OK) == 0;
}

static void
test_usable_when_the_kernel_boots(void **state)
{
    (void)state;
    struct kvm_probe p;
    if (!kvm_device_present())
        unit_skip("no read-write /dev/kvm here: the probe never starts qemu");
    /* A guest whose kernel prints its banner, then runs on: the probe
     * stops it. */
    fake_qemu("echo 'Probing EDD (edd=off to disable)... ok'\n"
              "echo '[    0.000000] Linux version 6.1.0-57-amd64'\nexec sleep 60");
    kvm_probe(&p, NULL);
    assert_int_equal(p.state, KVM_USABLE);
    assert_string_equal(p.detail, "");
}

/* qemu starts with KVM and SeaBIOS runs, but the kernel never gets past
 * its real-mode setup: qemu starting is not KVM working. */
static void
test_broken_when_the_guest_hangs(void **state)
{
    (void)state;
    struct kvm_probe p;
    if (!kvm_device_present())
        unit_skip("no read-write /dev/kvm here: the probe never starts qemu");
    fake_qemu("printf 'P'\nexec sleep 60");
    kvm_probe(&p, NULL);
    assert_int_equal(p.state, KVM_BROKEN);
    assert_non_null(strstr(p.detail, "did not boot within"));
}

static void
test_broken_when_qemu_aborts(void **state)
{
    (void)state;
    struct kvm_probe p;
    if (!kvm_device_present())
        unit_skip("no read-write /dev/kvm here: the probe never starts qemu");
    fake_qemu("echo 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69' >&2; kill -ABRT $$");
    kvm_probe(&p, NULL);
    assert_int_equal(p.state, KVM_BROKEN);
    assert_string_equal(p.detail, "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69");
}

static void
test_no_qemu(void **state)
{
    (void)state;
    struct kvm_probe p;
    if (!kvm_device_present())
        unit_skip("no read-write /dev/kvm here: the probe never starts qemu");
    setenv("APPLIANCE_QEMU", "/nonexistent/qemu-system-x86_64", 1);
    kvm_probe(&p, NULL);
    assert_int_equal(p.state, KVM_NO_QEMU);
    assert_non_null(strstr(p.detail, "No such file or directory"));
}

static void
test_reasons_are_named(void **state)
{
    (void)state;
    for (int s = KVM_USABLE; s <= KVM_NO_QEMU; s++)
        assert_string_not_equal(kvm_state_reason((enum kvm_state)s), "?");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usable_when_the_kernel_boots),
        cmocka_unit_test(test_broken_when_the_guest_hangs),
        cmocka_unit_test(test_broken_when_qemu_aborts),
        cmocka_unit_test(test_no_qemu),
        cmocka_unit_test(test_reasons_are_named),
    };
    if (!mkdtemp(dir))
        return 1;
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        r = 1;
    return r;
}
