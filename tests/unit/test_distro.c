/* test_distro.c: the distribution table. Every row is whole for its
 * family, its keys name it alone, and every row round-trips: the OVF that
 * ovf_write() makes for it, for every import target, read back by
 * ovf_read and convert's reader, is the same distribution and release. */
#include "unit.h"

#include <ctype.h>

#include "appliance/cleanup.h"
#include "appliance/convert.h"
#include "appliance/distro.h"
#include "appliance/ova_target.h"
#include "appliance/ovf.h"
#include "appliance/ovf_read.h"

static const struct ovf_disk_file disks[2] = {
    {"t-os.vmdk", 4096, UINT64_C(6) << 30, 4096},
    {"t-app.vmdk", 4096, UINT64_C(1536) << 20, 4096},
};

/* The rows the recipe names, and the unknown tree's. */
static const struct distro_row *
row_at(size_t i)
{
    return i < distro_n_rows ? &distro_rows[i] : distro_row(DISTRO_NONE);
}

static void
check_guest_ids(const struct distro_row *r)
{
    size_t n = 0;
    while (n < DISTRO_MAX_GUEST_IDS && r->guest_ids[n].id)
        n++;
    assert_true(n > 0 && n < DISTRO_MAX_GUEST_IDS); /* room for the end */
    for (size_t i = 1; i < n; i++)
        assert_true(r->guest_ids[i - 1].since > r->guest_ids[i].since);
    /* The oldest is known everywhere. */
    assert_int_equal(r->guest_ids[n - 1].since, VSPHERE_6_5);
    for (size_t i = 0; i < n; i++) {
        unsigned since = 0;
        assert_int_equal(distro_guest_id_since(r->guest_ids[i].id, &since), 0);
    }
}

static void
check_family(const struct distro_row *r)
{
    assert_non_null(r->package_tool);
    assert_non_null(r->admin_group);
    for (unsigned a = 0; a < ARCH_N; a++)
        assert_non_null(r->kernel_package[a]);
    assert_non_null(r->kernel_globs[0]);
    assert_non_null(r->initramfs_package);
    assert_non_null(r->osinfo);
    /* Each architecture's signed files are that architecture's: their
     * names carry its UEFI suffix (shimaa64.efi, grubx64.efi...). */
    for (unsigned a = 0; a < ARCH_N; a++) {
        const char *efi = arch_row(a == 0 ? ARCH_X86_64 : ARCH_AARCH64)->efi_lower;
        for (unsigned k = 0; k < DISTRO_N_SIGNED; k++) {
            const char *path = r->signed_files[a][k].paths[0];
            assert_non_null(path);
            assert_non_null(r->signed_files[a][k].package);
            const char *base = strrchr(path, '/');
            if (!base || !strstr(base, efi))
                fail_msg("%s: '%s' is not %s's", r->key.name, path, efi);
        }
    }
    if (r->family == FAMILY_RHEL) {
        assert_non_null(r->mirror);
        assert_non_null(r->gpgkey);
        assert_non_null(r->release_package);
        assert_non_null(r->release);
    } else {
        assert_int_equal(r->family, FAMILY_DEBIAN);
        assert_non_null(r->suite);
        assert_non_null(r->components);
    }
}

/* Every row: whole for its family; its keys name it alone. */
/* The arch rows' two spellings of the UEFI suffix are one suffix. */
static void
test_efi_suffixes(void **state)
{
    (void)state;
    for (unsigned a = 0; a < ARCH_N; a++) {
        const struct arch_row *row = arch_row(a == 0 ? ARCH_X86_64 : ARCH_AARCH64);
        assert_int_equal(strlen(row->efi), strlen(row->efi_lower));
        for (size_t i = 0; row->efi[i]; i++)
            assert_int_equal(tolower((unsigned char)row->efi[i]), row->efi_lower[i]);
    }
}

static void
test_rows(void **state)
{
    (void)state;
    assert_int_equal(distro_table.n, distro_n_rows);
    /* Every enum value has its own row. */
    assert_int_equal(distro_n_rows, DISTRO_N - 1);
    for (int v = 1; v < DISTRO_N; v++)
        assert_int_equal(distro_row(v)->key.value, v);
    for (size_t i = 0; i <= distro_n_rows; i++) {
        const struct distro_row *r = row_at(i);
        print_message("%s\n", r->key.name);
        assert_ptr_equal(distro_row(r->key.value), r);
        assert_string_equal(distro_to_string(r->key.value), r->key.name);
        assert_int_equal(distro_family(r->key.value), r->family);
        assert_non_null(r->title);
        assert_true(r->cim_id > 0 && r->cim_description && *r->cim_description);
        check_guest_ids(r);
        assert_ptr_equal(distro_by_cim(r->cim_id, r->cim_description), r);
        if (i == distro_n_rows)
            break; /* the unknown tree: no family, nothing to install */
        int v;
        assert_int_equal(ab_enum_from_string(&distro_table, r->key.name, &v), 0);
        assert_int_equal(v, r->key.value);
        check_family(r);
        assert_ptr_equal(distro_by_osinfo(r->osinfo), r);
    }
    assert_int_equal(distro_row(DISTRO_NONE)->family, FAMILY_GENERIC);
    assert_null(distro_row(DISTRO_NONE)->package_tool);
}

/* Only exact keys, and only those that name one release. */
static void
test_reverse_keys(void **state)
{
    (void)state;
    assert_int_equal(distro_by_guest_id("debian12_64Guest")->key.value, DISTRO_DEBIAN_12);
    assert_int_equal(distro_by_guest_id("rockylinux_64Guest")->key.value, DISTRO_ROCKY_9);
    assert_int_equal(distro_by_guest_id("ubuntu64Guest")->key.value, DISTRO_UBUNTU_24_04);
    assert_null(distro_by_guest_id("debian11_64Guest")); /* an older release's */
    assert_null(distro_by_guest_id("rhel9_64Guest"));    /* Rocky's and Alma's */
    assert_null(distro_by_guest_id("other5xLinux64Guest"));
    assert_null(distro_by_guest_id("windows9_64Guest"));
    assert_int_equal(distro_by_cim(80, "Rocky Linux 9 (64-bit)")->key.value, DISTRO_ROCKY_9);
    assert_int_equal(distro_by_cim(80, "AlmaLinux 9 (64-bit)")->key.value, DISTRO_ALMALINUX_9);
    assert_int_equal(distro_by_cim(101, "Other Linux (64-bit)")->key.value, DISTRO_NONE);
    assert_null(distro_by_cim(96, "Debian GNU/Linux 12"));          /* not the whole text */
    assert_null(distro_by_cim(80, "Debian GNU/Linux 12 (64-bit)")); /* not its id */
    assert_null(distro_by_osinfo("http://debian.org/debian/11"));
}

static void
test_packages(void **state)
{
    (void)state;
    const char *out[DISTRO_N_ADDONS];
    assert_int_equal(distro_addon_packages(DISTRO_DEBIAN_12, ADDON_ALL, out), 3);
    assert_string_equal(out[0], "open-vm-tools");
    assert_string_equal(out[1], "hyperv-daemons");
    assert_string_equal(out[2], "qemu-guest-agent");
    assert_int_equal(distro_addon_packages(DISTRO_ROCKY_9, ADDON_VIRTUALBOX | ADDON_KVM, out), 1);
    assert_string_equal(out[0], "qemu-guest-agent");
    assert_int_equal(distro_addon_packages(DISTRO_NONE, ADDON_ALL, out), 0);
    assert_true(distro_is_addon_package("open-vm-tools"));
    assert_false(distro_is_addon_package("kernel"));
    assert_true(distro_is_kernel_package("linux-image-6.1.0-18-amd64"));
    assert_true(distro_is_kernel_package("kernel-modules-core"));
    assert_false(distro_is_kernel_package("kernel-headers"));
    assert_false(distro_is_kernel_package("linux-base"));
}

/* The OVF our writer makes for os and target, read back by convert. */
static int
round_trip(const char *os, enum ova_target t, bool drop_os_type)
{
    char text[2048];
    /* A target that imports no x86_64 guest is given an aarch64 one. */
    bool arm = !(ova_target_profile(t)->arches & ARCH_X86_64);
    int n = snprintf(text, sizeof(text),
                     "recipe: 1\nname: t\nversion: '1'\nos: %s\n%s"
                     "disks:\n  os: {size: 6GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
                     "  app: {size: 1536MiB, volumes: [{name: data, mount: /srv, size: rest}]}\n"
                     "ova: {target: %s}\n",
                     os, arm ? "hardware: {arch: aarch64}\n" : "", ova_target_to_string(t));
    assert_true(n > 0 && (size_t)n < sizeof(text));
    CLEANUP_PLAN const struct plan *p = unit_plan(text);
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(ovf_write(p, disks, "t.ovf", &err), &err);
    size_t len;
    CLEANUP_FREE char *ovf = unit_slurp("t.ovf", &len);
    assert_non_null(ovf);
    CLEANUP_OVF_SUMMARY struct ovf_summary *s = ovf_read_buffer("t.ovf", ovf, len, &err);
    unit_check_ok(s ? 0 : -1, &err);
    if (drop_os_type) { /* a peer that writes the CIM id and description only */
        free(s->os_type);
        s->os_type = NULL;
    }
    struct convert_hardware hw = {0};
    unit_check_ok(convert_hardware_from_ovf(s, &hw, &err), &err);
    int distro = hw.distro;
    convert_hardware_release(&hw);
    return distro;
}

static void
test_round_trip(void **state)
{
    (void)state;
    unit_write_file("root.tar", "");
    for (size_t i = 0; i <= distro_n_rows; i++) {
        const struct distro_row *r = row_at(i);
        char os[64];
        if (i < distro_n_rows)
            snprintf(os, sizeof(os), "{distro: %s}", r->key.name);
        else
            snprintf(os, sizeof(os), "{rootfs: root.tar}");
        for (size_t t = 0; t < ova_target_table.n; t++) {
            enum ova_target target = (enum ova_target)ab_enum_at(&ova_target_table, t)->value;
            print_message("%s %s\n", r->key.name, ova_target_to_string(target));
            assert_int_equal(round_trip(os, target, false), r->key.value);
            assert_int_equal(round_trip(os, target, true), r->key.value);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_efi_suffixes), cmocka_unit_test(test_rows),
        cmocka_unit_test(test_reverse_keys), cmocka_unit_test(test_packages),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
