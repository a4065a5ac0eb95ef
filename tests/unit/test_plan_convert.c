/* test_plan_convert.c: the plan `appliance convert` makes from a source's
 * hardware: the fields the exporters read, implied outputs, bad names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format off: cmocka.h needs the four above first */
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "appliance/plan.h"
#include "appliance/size.h"

static void
test_fields(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct plan_convert c = {
        .name = "demo",
        .distro = DISTRO_DEBIAN_12,
        .cpus = 2,
        .memory = 2 * GiB,
        .firmware = FIRMWARE_BOTH,
        .secure_boot = true,
        .controller = CONTROLLER_SATA,
        .nics = 2,
        .disk_sizes = {4 * GiB, 1536 * MiB},
        .outputs = OUTPUT_HYPERV | OUTPUT_LIBVIRT | OUTPUT_OVA,
    };
    const struct plan *p = plan_for_convert(&c, &err);
    assert_non_null(p);
    assert_string_equal(p->name, "demo");
    assert_string_equal(p->version, "0");
    assert_string_equal(p->description, "");
    assert_int_equal(p->hardware.cpus, 2);
    assert_int_equal(p->hardware.memory, 2 * GiB);
    assert_int_equal(p->hardware.firmware, FIRMWARE_BOTH);
    assert_int_equal(p->hardware.controller, CONTROLLER_SATA);
    assert_int_equal(p->addons, ADDON_ALL);
    assert_int_equal(p->outputs_implied, OUTPUT_VHDX | OUTPUT_QCOW2);
    assert_int_equal(p->outputs,
                     OUTPUT_HYPERV | OUTPUT_LIBVIRT | OUTPUT_OVA | OUTPUT_VHDX | OUTPUT_QCOW2);
    assert_string_equal(p->disks[PLAN_DISK_OS].id, "os");
    assert_string_equal(p->disks[PLAN_DISK_APP].vg.name, "vg_app");
    assert_int_equal(p->disks[PLAN_DISK_APP].size, 1536 * MiB);
    assert_string_equal(p->hardware_family, "vmx-13");
    assert_true(p->hardware.secure_boot);
    plan_free(p);

    /* --firmware bios over a Secure Boot source: no Secure Boot without UEFI. */
    c.firmware = FIRMWARE_BIOS;
    p = plan_for_convert(&c, &err);
    assert_non_null(p);
    assert_false(p->hardware.secure_boot);
    plan_free(p);

    /* The VGs the source's disks hold, as a recipe may name them; kept by
     * the plan after the caller's strings are gone (ASan). */
    char os_vg[] = "vg_system", app_vg[] = "vg_data";
    c.vgs[PLAN_DISK_OS] = os_vg;
    c.vgs[PLAN_DISK_APP] = app_vg;
    p = plan_for_convert(&c, &err);
    assert_non_null(p);
    memset(os_vg, 0, sizeof(os_vg));
    assert_string_equal(p->disks[PLAN_DISK_OS].vg.name, "vg_system");
    assert_string_equal(p->disks[PLAN_DISK_APP].vg.name, "vg_data");
    assert_string_equal(plan_disk_name(PLAN_DISK_APP), "app");
    assert_string_equal(plan_default_vg(PLAN_DISK_OS), "vg_os");
    plan_free(p);
    ab_error_release(&err);
}

static void
test_bad_name(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct plan_convert c = {.name = "../evil", .cpus = 1, .memory = GiB, .outputs = OUTPUT_OVA};
    assert_null(plan_for_convert(&c, &err));
    assert_non_null(strstr(err.diags[0].msg, "invalid name '../evil'"));
    ab_error_release(&err);
    c.name = NULL;
    assert_null(plan_for_convert(&c, &err));
    assert_non_null(strstr(err.diags[0].msg, "use --name"));
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_bad_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
