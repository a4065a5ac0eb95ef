/* test_enums.c: every name table, both ways, and the conveniences. */
#include "unit.h"

#include "appliance/enums.h"
#include "appliance/suggest.h"

/* Every entry maps name -> value -> the same name; names and values are
 * unique; the table holds exactly want_n entries. */
static void
check_table(const struct ab_enum_table *t, size_t want_n)
{
    assert_int_equal(t->n, want_n);
    for (size_t i = 0; i < t->n; i++) {
        int v = -12345;
        const struct ab_enum_name *e = ab_enum_at(t, i);
        assert_int_equal(ab_enum_from_string(t, e->name, &v), 0);
        assert_int_equal(v, e->value);
        assert_string_equal(ab_enum_to_string(t, v), e->name);
        for (size_t j = 0; j < i; j++) {
            assert_int_not_equal(e->value, ab_enum_at(t, j)->value);
            assert_string_not_equal(e->name, ab_enum_at(t, j)->name);
        }
    }
    int v = -12345;
    assert_int_equal(ab_enum_from_string(t, "", &v), -1);
    assert_int_equal(ab_enum_from_string(t, "no-such-name", &v), -1);
    assert_int_equal(v, -12345);
    assert_string_equal(ab_enum_to_string(t, 0x7fff), "?");
}

/* name parses to want, and want prints as name. */
static void
check_pair(const struct ab_enum_table *t, const char *name, int want)
{
    int v = -1;
    assert_int_equal(ab_enum_from_string(t, name, &v), 0);
    assert_int_equal(v, want);
    assert_string_equal(ab_enum_to_string(t, want), name);
}

static void
test_distro(void **state)
{
    (void)state;
    check_table(&distro_table, 5);
    check_pair(&distro_table, "centos-stream-9", DISTRO_CENTOS_STREAM_9);
    check_pair(&distro_table, "rocky-9", DISTRO_ROCKY_9);
    check_pair(&distro_table, "almalinux-9", DISTRO_ALMALINUX_9);
    check_pair(&distro_table, "debian-12", DISTRO_DEBIAN_12);
    check_pair(&distro_table, "ubuntu-24.04", DISTRO_UBUNTU_24_04);
    int v;
    assert_int_equal(ab_enum_from_string(&distro_table, "Debian-12", &v), -1);
    assert_int_equal(ab_enum_from_string(&distro_table, "none", &v), -1);
    assert_string_equal(distro_to_string(DISTRO_NONE), "none");
    assert_string_equal(distro_to_string(DISTRO_UBUNTU_24_04), "ubuntu-24.04");
}

static void
test_family(void **state)
{
    (void)state;
    check_table(&family_table, 3);
    check_pair(&family_table, "generic", FAMILY_GENERIC);
    check_pair(&family_table, "rhel", FAMILY_RHEL);
    check_pair(&family_table, "debian", FAMILY_DEBIAN);
    assert_string_equal(family_to_string(FAMILY_RHEL), "rhel");
    assert_int_equal(distro_family(DISTRO_CENTOS_STREAM_9), FAMILY_RHEL);
    assert_int_equal(distro_family(DISTRO_ROCKY_9), FAMILY_RHEL);
    assert_int_equal(distro_family(DISTRO_ALMALINUX_9), FAMILY_RHEL);
    assert_int_equal(distro_family(DISTRO_DEBIAN_12), FAMILY_DEBIAN);
    assert_int_equal(distro_family(DISTRO_UBUNTU_24_04), FAMILY_DEBIAN);
    assert_int_equal(distro_family(DISTRO_NONE), FAMILY_GENERIC);
}

static void
test_fs(void **state)
{
    (void)state;
    check_table(&fs_table, 3);
    check_pair(&fs_table, "xfs", FS_XFS);
    check_pair(&fs_table, "ext4", FS_EXT4);
    check_pair(&fs_table, "swap", FS_SWAP);
    int v;
    /* The ESP's filesystem is printed but a recipe may not ask for it. */
    assert_int_equal(ab_enum_from_string(&fs_table, "vfat", &v), -1);
    assert_string_equal(fs_to_string(FS_VFAT), "vfat");
    assert_string_equal(fs_to_string(FS_NONE), "none");
    assert_string_equal(fs_to_string(FS_EXT4), "ext4");
}

static void
test_firmware(void **state)
{
    (void)state;
    check_table(&firmware_table, 3);
    check_pair(&firmware_table, "bios", FIRMWARE_BIOS);
    check_pair(&firmware_table, "uefi", FIRMWARE_UEFI);
    check_pair(&firmware_table, "bios+uefi", FIRMWARE_BOTH);
    assert_int_equal(FIRMWARE_BOTH, FIRMWARE_BIOS | FIRMWARE_UEFI);
    assert_string_equal(firmware_to_string(FIRMWARE_BOTH), "bios+uefi");
}

static void
test_controller(void **state)
{
    (void)state;
    check_table(&controller_table, 3);
    check_pair(&controller_table, "scsi", CONTROLLER_SCSI);
    check_pair(&controller_table, "sata", CONTROLLER_SATA);
    check_pair(&controller_table, "ide", CONTROLLER_IDE);
    assert_string_equal(controller_to_string(CONTROLLER_IDE), "ide");
}

/* A flag table: every value is one distinct bit; together they make all. */
static void
check_flags(const struct ab_enum_table *t, unsigned all)
{
    unsigned seen = 0;
    for (size_t i = 0; i < t->n; i++) {
        unsigned v = (unsigned)t->names[i].value;
        assert_int_not_equal(v, 0);
        assert_int_equal(v & (v - 1), 0);
        assert_int_equal(seen & v, 0);
        seen |= v;
    }
    assert_int_equal(seen, all);
}

static void
test_addon(void **state)
{
    (void)state;
    check_table(&addon_table, 4);
    check_pair(&addon_table, "vmware", ADDON_VMWARE);
    check_pair(&addon_table, "virtualbox", ADDON_VIRTUALBOX);
    check_pair(&addon_table, "hyperv", ADDON_HYPERV);
    check_pair(&addon_table, "kvm", ADDON_KVM);
    check_flags(&addon_table, ADDON_ALL);
}

static void
test_output(void **state)
{
    (void)state;
    check_table(&output_table, 15);
    check_pair(&output_table, "ova", OUTPUT_OVA);
    check_pair(&output_table, "ovf", OUTPUT_OVF);
    check_pair(&output_table, "vmdk", OUTPUT_VMDK);
    check_pair(&output_table, "qcow2", OUTPUT_QCOW2);
    check_pair(&output_table, "libvirt", OUTPUT_LIBVIRT);
    check_pair(&output_table, "vhdx", OUTPUT_VHDX);
    check_pair(&output_table, "hyperv", OUTPUT_HYPERV);
    check_pair(&output_table, "vdi", OUTPUT_VDI);
    check_pair(&output_table, "raw", OUTPUT_RAW);
    check_pair(&output_table, "azure", OUTPUT_AZURE);
    check_pair(&output_table, "gce", OUTPUT_GCE);
    check_pair(&output_table, "container", OUTPUT_CONTAINER);
    check_pair(&output_table, "kubevirt", OUTPUT_KUBEVIRT);
    check_pair(&output_table, "vmx", OUTPUT_VMX);
    check_pair(&output_table, "utm", OUTPUT_UTM);
    check_flags(&output_table, (1u << 15) - 1);
}

static void
test_digest(void **state)
{
    (void)state;
    check_table(&digest_table, 3);
    check_pair(&digest_table, "sha256", DIGEST_SHA256);
    check_pair(&digest_table, "sha1", DIGEST_SHA1);
    check_pair(&digest_table, "sha512", DIGEST_SHA512);
    assert_string_equal(digest_to_string(DIGEST_SHA512), "sha512");
}

static void
test_list(void **state)
{
    (void)state;
    char buf[256];
    assert_string_equal(ab_enum_list(&digest_table, buf, sizeof(buf)),
                        "'sha256', 'sha1' or 'sha512'");
    assert_string_equal(ab_enum_list(&firmware_table, buf, sizeof(buf)),
                        "'bios', 'uefi' or 'bios+uefi'");
    assert_string_equal(ab_enum_list(&output_table, buf, sizeof(buf)),
                        "'ova', 'ovf', 'vmdk', 'qcow2', 'libvirt', 'vhdx', 'hyperv', 'vdi', "
                        "'raw', 'azure', 'gce', 'container', 'kubevirt', 'vmx' or 'utm'");
    /* A short buffer is cut, never overrun, and always terminated. */
    char small[12];
    memset(small, 'x', sizeof(small));
    assert_ptr_equal(ab_enum_list(&output_table, small, sizeof(small)), small);
    assert_string_equal(small, "'ova', 'ovf");
    char one[1] = {'x'};
    assert_string_equal(ab_enum_list(&output_table, one, sizeof(one)), "");
}

/* "did you mean": the closest name, none when nothing is close. */
static void
test_closest(void **state)
{
    (void)state;
    assert_string_equal(ab_enum_closest(&distro_table, "debain-12"), "debian-12");
    assert_string_equal(ab_enum_closest(&distro_table, "debian-11"), "debian-12");
    assert_string_equal(ab_enum_closest(&distro_table, "ubuntu"), "ubuntu-24.04");
    assert_string_equal(ab_enum_closest(&distro_table, "rocky-8"), "rocky-9");
    assert_string_equal(ab_enum_closest(&firmware_table, "efi"), "uefi");
    assert_null(ab_enum_closest(&distro_table, "windows"));
    assert_null(ab_enum_closest(&distro_table, ""));
    assert_int_equal(suggest_distance("kitten", "sitting"), 3);
    assert_int_equal(suggest_distance("", "abc"), 3);
    assert_true(suggest_distance("a-name-of-sixty-three-characters-or-more-is-not-worth-a-hint-xx",
                                 "a") >= 64);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distro),     cmocka_unit_test(test_family),
        cmocka_unit_test(test_fs),         cmocka_unit_test(test_firmware),
        cmocka_unit_test(test_controller), cmocka_unit_test(test_addon),
        cmocka_unit_test(test_output),     cmocka_unit_test(test_digest),
        cmocka_unit_test(test_list),       cmocka_unit_test(test_closest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
