/* test_ova_targets.c: every import target's OVA, made by the export code
 * (export_ovf_folder) for a fixture plan of each architecture it takes:
 * the family, guest ID, NIC model, capacity units, manifest digest and the
 * VMDKs' virtualHWVersion each profile promises, the descriptor valid
 * against the DMTF schema; the recipe keys and architectures a target
 * cannot take refused; and `inspect --target`'s judgement of a descriptor
 * made for one target by another's rules. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "appliance/bundle.h"
#include "appliance/cleanup.h"
#include "appliance/export.h"
#include "appliance/inspect.h"
#include "appliance/ova_target.h"
#include "appliance/ovf.h"
#include "appliance/ovf_read.h"
#include "appliance/target_check.h"
#include "unit.h"
#include "unit_xml.h"

#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

/* 6 GiB and 1.5 GiB: capacities in byte * 2^30 and byte * 2^20. */
#define OS_SIZE (UINT64_C(6) << 30)
#define APP_SIZE (UINT64_C(1536) << 20)

/* What each profile must write, stated here independently of the table:
 * for an x86_64 guest (want), for an aarch64 guest (want_arm). A target
 * is in the list of each architecture it imports, and only there. */
struct want {
    const char *target;
    const char *family;
    const char *debian, *centos, *rocky; /* vmw:osType of Debian 12, CentOS Stream 9, Rocky 9 */
    const char *digest;                  /* the manifest's line prefix */
    const char *nic;
    const char *sata;
};

static const struct want want[] = {
    {"generic", "vmx-13", "debian10_64Guest", "centos7_64Guest", "rhel7_64Guest", "SHA256(",
     "E1000", "AHCI"},
    {"esxi-6.7", "vmx-14", "debian10_64Guest", "centos8_64Guest", "rhel8_64Guest", "SHA256(",
     "VmxNet3", "vmware.sata.ahci"},
    {"esxi-7.0", "vmx-18", "debian11_64Guest", "centos9_64Guest", "rhel9_64Guest", "SHA256(",
     "VmxNet3", "vmware.sata.ahci"},
    {"esxi-8.0", "vmx-20", "debian12_64Guest", "centos9_64Guest", "rockylinux_64Guest", "SHA256(",
     "VmxNet3", "vmware.sata.ahci"},
    {"workstation", "vmx-19", "debian11_64Guest", "centos8_64Guest", "rhel8_64Guest", "SHA256(",
     "E1000", "vmware.sata.ahci"},
    {"virtualbox", "vmx-13", "debian10_64Guest", "centos7_64Guest", "rhel7_64Guest", "SHA256(",
     "E1000", "AHCI"},
    {"proxmox", "vmx-13", "debian10_64Guest", "centos7_64Guest", "rhel7_64Guest", "SHA256(",
     "E1000", "AHCI"},
    {"xcp-ng", "vmx-13", "debian10_64Guest", "centos7_64Guest", "rhel7_64Guest", "SHA256(", "E1000",
     "AHCI"},
    {"aws", "vmx-13", "debian10_64Guest", "centos7_64Guest", "rhel7_64Guest", "SHA256(", "E1000",
     "AHCI"},
};
#define N_WANT (sizeof(want) / sizeof(want[0]))

/* An aarch64 guest's: vmx-20 at least, the NIC E1000e, the guest IDs the
 * x86 ones (vSphere's name no architecture). */
static const struct want want_arm[] = {
    {"generic", "vmx-20", "debian10_64Guest", "centos7_64Guest", "rhel7_64Guest", "SHA256(",
     "E1000e", "AHCI"},
    {"aws", "vmx-20", "debian10_64Guest", "centos7_64Guest", "rhel7_64Guest", "SHA256(", "E1000e",
     "AHCI"},
    {"fusion-arm64", "vmx-20", "debian11_64Guest", "centos9_64Guest", "rhel9_64Guest", "SHA256(",
     "E1000e", "vmware.sata.ahci"},
    {"esxi-arm", "vmx-20", "debian11_64Guest", "centos9_64Guest", "rhel9_64Guest", "SHA256(",
     "E1000e", "vmware.sata.ahci"},
};
#define N_WANT_ARM (sizeof(want_arm) / sizeof(want_arm[0]))

/* The targets of the x86_64 list and of the aarch64 list. */
#define X86_ONLY                                                                                   \
    "'esxi-6.7', 'esxi-7.0', 'esxi-8.0', 'workstation', 'virtualbox', 'proxmox', 'xcp-ng'"
#define FOR_ARM "the targets for aarch64 are 'generic', 'aws', 'fusion-arm64' or 'esxi-arm'"
#define FOR_X86 "the targets for x86_64 are 'generic', " X86_ONLY " or 'aws'"

/* A recipe for arch ("x86_64", "aarch64" or "[x86_64, aarch64]"), UEFI
 * when it lists aarch64 (the default firmware else); its ova: mapping is
 * line 9. */
static const char *
recipe_arch(const char *distro, const char *arch, const char *controller, const char *ova)
{
    static char buf[2048];
    bool x86 = strcmp(arch, "x86_64") == 0;
    FMT(buf,
        "recipe: 1\nname: t\nversion: '1'\nos: {distro: %s}\n"
        "hardware: {arch: %s,%s controller: %s, nics: 1}\n"
        "disks:\n  os: {size: 6GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
        "  app: {size: 1536MiB, volumes: [{name: data, mount: /srv, size: rest}]}\n"
        "ova: {%s}\n",
        distro, arch, x86 ? "" : " firmware: uefi,", controller, ova);
    return buf;
}

static const char *
recipe(const char *distro, const char *controller, const char *ova)
{
    return recipe_arch(distro, "x86_64", controller, ova);
}

static const char *
recipe_arm(const char *distro, const char *ova)
{
    return recipe_arch(distro, "aarch64", "sata", ova);
}

/* export_ovf_folder() on two sparse raw disks of the plan's sizes. */
static void
export_folder(const struct plan *p, const char *dir)
{
    assert_true(p->disks[0].size == OS_SIZE && p->disks[1].size == APP_SIZE);
    for (int i = 0; i < 2; i++) {
        char raw[64];
        FMT(raw, "raw%d.img", i);
        int fd = open(raw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "data", 4, 1 << 20), 4); /* one grain of data */
        assert_int_equal(ftruncate(fd, (off_t)p->disks[i].size), 0);
        assert_int_equal(close(fd), 0);
    }
    assert_int_equal(mkdir("work", 0755) == 0 || errno == EEXIST, 1);
    struct export_job job = {
        .plan = p, .images = {"raw0.img", "raw1.img"}, .dir = ".", .work = "work"};
    struct ab_error err = AB_ERROR_INIT;
    int rc = export_ovf_folder(&job, dir, false, &err);
    unit_check_ok(rc, &err);
}

static void
ovf_xq_open(struct xq *q, const char *path)
{
    xq_open(q, path);
    assert_int_equal(xmlXPathRegisterNs(q->ctx, BAD_CAST "ovf", BAD_CAST OVF_NS), 0);
    assert_int_equal(xmlXPathRegisterNs(q->ctx, BAD_CAST "rasd", BAD_CAST OVF_NS_RASD), 0);
    assert_int_equal(xmlXPathRegisterNs(q->ctx, BAD_CAST "vssd", BAD_CAST OVF_NS_VSSD), 0);
    assert_int_equal(xmlXPathRegisterNs(q->ctx, BAD_CAST "vmw", BAD_CAST OVF_NS_VMW), 0);
}

static void
assert_schema_valid(const char *path)
{
    const char *why = NULL, *xsd = unit_ovf_schema(&why);
    if (!xsd) {
        print_message("not checked against the schema: %s\n", why);
        return;
    }
    char cmd[PATH_MAX * 2 + 64];
    FMT(cmd, "xmllint --noout --nonet --schema '%s' '%s' 2>&1 | grep -qx '%s validates'", xsd, path,
        path);
    assert_int_equal(system(cmd), 0);
}

/* The disk's capacity read back through its units is its size. */
static void
assert_capacity(struct xq *q, int disk, uint64_t size, const char *units_want)
{
    char e[256];
    FMT(e, "string(//ovf:Disk[@ovf:diskId='vmdisk%d']/@ovf:capacityAllocationUnits)", disk);
    assert_xpath_str(q, e, units_want);
    uint64_t unit = 0;
    assert_int_equal(ovf_units_bytes(units_want, &unit), 0);
    FMT(e, "//ovf:Disk[@ovf:diskId='vmdisk%d']/@ovf:capacity", disk);
    assert_xpath_u64(q, e, size / unit);
    assert_int_equal(size % unit, 0);
}

static void
assert_vmdk_hw_version(const char *path, const char *family)
{
    size_t len = 0;
    CLEANUP_FREE char *data = unit_slurp(path, &len);
    assert_non_null(data);
    char line[64];
    FMT(line, "\nddb.virtualHWVersion = \"%s\"\n", family + 4);
    assert_true(len > 1024);
    assert_non_null(memmem(data, len < 65536 ? len : 65536, line, strlen(line)));
}

static void
check_profile(const struct want *w, const char *arch, const char *distro, const char *os_type,
              const char *controller)
{
    char ova[64], dir[96], path[160];
    FMT(ova, "target: %s", w->target);
    FMT(dir, "out-%s-%s-%s-%s", w->target, arch, distro, controller);
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe_arch(distro, arch, controller, ova));
    print_message("%s %s %s %s\n", w->target, arch, distro, controller);
    assert_string_equal(ova_target_to_string(p->ova.target), w->target);
    assert_string_equal(arch_to_string(p->hardware.arch), arch);
    export_folder(p, dir);

    FMT(path, "%s/t-1.ovf", dir);
    assert_schema_valid(path);
    struct xq q;
    ovf_xq_open(&q, path);
    assert_xpath_str(&q, "string(//vssd:VirtualSystemType)", w->family);
    assert_xpath_str(&q, "string(//ovf:OperatingSystemSection/@vmw:osType)", os_type);
    assert_xpath_str(&q, "string(//ovf:Item[rasd:ResourceType=10]/rasd:ResourceSubType)", w->nic);
    if (strcmp(controller, "sata") == 0)
        assert_xpath_str(&q, "string(//ovf:Item[rasd:ResourceType=20]/rasd:ResourceSubType)",
                         w->sata);
    else
        assert_xpath_str(&q, "string(//ovf:Item[rasd:ResourceType=6]/rasd:ResourceSubType)",
                         "lsilogic");
    assert_capacity(&q, 1, OS_SIZE, "byte * 2^30");
    assert_capacity(&q, 2, APP_SIZE, "byte * 2^20");
    xq_close(&q);

    FMT(path, "%s/t-1.mf", dir);
    CLEANUP_FREE char *mf = unit_slurp(path, NULL);
    assert_non_null(mf);
    for (const char *l = mf; *l; l = strchr(l, '\n') + 1) {
        assert_true(strncmp(l, w->digest, strlen(w->digest)) == 0);
        assert_non_null(strchr(l, '\n'));
    }
    FMT(path, "%s/t-1-os.vmdk", dir);
    assert_vmdk_hw_version(path, w->family);
    FMT(path, "%s/t-1-app.vmdk", dir);
    assert_vmdk_hw_version(path, w->family);
}

/* Whether target is in list: it must be exactly when it takes arch. */
static bool
listed(const struct want *list, size_t n, const char *target)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].target, target) == 0)
            return true;
    return false;
}

static void
test_every_profile(void **state)
{
    (void)state;
    for (int t = 0; t < OVA_N_TARGETS; t++) {
        const char *name = ova_target_to_string((enum ova_target)t);
        unsigned arches = ova_target_profile((enum ova_target)t)->arches;
        print_message("%s\n", name);
        assert_int_equal(listed(want, N_WANT, name), (arches & ARCH_X86_64) != 0);
        assert_int_equal(listed(want_arm, N_WANT_ARM, name), (arches & ARCH_AARCH64) != 0);
    }
    for (size_t w = 0; w < N_WANT; w++) {
        check_profile(&want[w], "x86_64", "debian-12", want[w].debian, "scsi");
        check_profile(&want[w], "x86_64", "centos-stream-9", want[w].centos, "sata");
        check_profile(&want[w], "x86_64", "rocky-9", want[w].rocky, "scsi");
    }
    /* aarch64 has SATA only (plan.c). */
    for (size_t w = 0; w < N_WANT_ARM; w++) {
        check_profile(&want_arm[w], "aarch64", "debian-12", want_arm[w].debian, "sata");
        check_profile(&want_arm[w], "aarch64", "centos-stream-9", want_arm[w].centos, "sata");
        check_profile(&want_arm[w], "aarch64", "rocky-9", want_arm[w].rocky, "sata");
    }
}

/* Without ova.target: generic. */
static void
test_default_generic(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe("debian-12", "scsi", ""));
    assert_int_equal(p->ova.target, OVA_TARGET_GENERIC);
    assert_string_equal(p->hardware_family, "vmx-13");
    assert_int_equal(p->ova.hardware_version, 13);
    assert_string_equal(p->ova.os_type, "debian10_64Guest");
    assert_int_equal(p->ova_digest, DIGEST_SHA256);
}

/* aarch64 without ova.target: generic, raised to vmx-20 and E1000e; the
 * same for a recipe of both architectures, planned for aarch64. */
static void
test_aarch64_plans(void **state)
{
    (void)state;
    static const struct {
        const char *ova, *family, *os_type, *sata;
        enum ova_target target;
    } cases[] = {
        {"", "vmx-20", "debian10_64Guest", "AHCI", OVA_TARGET_GENERIC},
        {"target: generic", "vmx-20", "debian10_64Guest", "AHCI", OVA_TARGET_GENERIC},
        {"target: aws", "vmx-20", "debian10_64Guest", "AHCI", OVA_TARGET_AWS},
        {"target: fusion-arm64", "vmx-20", "debian11_64Guest", "vmware.sata.ahci",
         OVA_TARGET_FUSION_ARM64},
        {"target: esxi-arm", "vmx-20", "debian11_64Guest", "vmware.sata.ahci", OVA_TARGET_ESXI_ARM},
        /* A family the target and the architecture take wins. */
        {"target: fusion-arm64, hardware_family: vmx-21", "vmx-21", "debian11_64Guest",
         "vmware.sata.ahci", OVA_TARGET_FUSION_ARM64},
        {"hardware_family: vmx-21", "vmx-21", "debian10_64Guest", "AHCI", OVA_TARGET_GENERIC},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("%s\n", cases[i].ova);
        CLEANUP_PLAN const struct plan *p = unit_plan(recipe_arm("debian-12", cases[i].ova));
        assert_int_equal(p->hardware.arch, ARCH_AARCH64);
        assert_int_equal(p->hardware.controller, CONTROLLER_SATA);
        assert_int_equal(p->ova.target, cases[i].target);
        assert_string_equal(p->hardware_family, cases[i].family);
        assert_int_equal(p->ova.hardware_version, (unsigned)atoi(cases[i].family + 4));
        assert_string_equal(p->ova.os_type, cases[i].os_type);
        assert_string_equal(p->ova.nic, "E1000e");
        assert_string_equal(p->ova.controller, cases[i].sata);
        assert_int_equal(p->ova_digest, DIGEST_SHA256);
    }
    /* Both listed: each arch's plan has its own family and NIC. */
    const char *both = recipe_arch("debian-12", "[x86_64, aarch64]", "sata", "target: aws");
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = unit_parse(both, &err);
    assert_non_null(r);
    CLEANUP_PLAN const struct plan *arm = plan_new_arch(r, ARCH_AARCH64, &err);
    unit_check_ok(arm ? 0 : -1, &err);
    assert_string_equal(arm->hardware_family, "vmx-20");
    assert_string_equal(arm->ova.nic, "E1000e");
    CLEANUP_PLAN const struct plan *x86 = unit_plan(both);
    assert_int_equal(x86->hardware.arch, ARCH_X86_64);
    assert_string_equal(x86->hardware_family, "vmx-13");
    assert_string_equal(x86->ova.nic, "E1000");
}

/* A target that imports no guest of an architecture the recipe lists, and
 * a family older than aarch64's oldest, are errors at their keys. */
static void
test_arch_refused(void **state)
{
    (void)state;
    int status = 0;
    char want_msg[512];
    /* Every x86-only target, for aarch64. */
    for (int t = 0; t < OVA_N_TARGETS; t++) {
        const struct ova_target_profile *prof = ova_target_profile((enum ova_target)t);
        char ova[64];
        FMT(ova, "target: %s", ova_target_to_string((enum ova_target)t));
        if (prof->arches & ARCH_AARCH64)
            continue;
        CLEANUP_FREE char *e = unit_plan_errors(recipe_arm("debian-12", ova), &status);
        assert_int_equal(status, 3);
        FMT(want_msg,
            ":9:15: error: target '%s' imports no aarch64 guest (%s runs x86_64 guests "
            "only): " FOR_ARM "\n",
            ova_target_to_string((enum ova_target)t), prof->importer);
        assert_non_null(strstr(e, want_msg));
    }
    /* The aarch64-only ones, for x86_64. */
    CLEANUP_FREE char *e1 =
        unit_plan_errors(recipe("debian-12", "sata", "target: fusion-arm64"), &status);
    assert_int_equal(status, 3);
    assert_non_null(strstr(e1, ":9:15: error: target 'fusion-arm64' imports no x86_64 guest "
                               "(VMware Fusion 13 and later on Apple Silicon runs aarch64 "
                               "guests only): " FOR_X86 "\n"));
    CLEANUP_FREE char *e2 =
        unit_plan_errors(recipe("debian-12", "scsi", "target: esxi-arm"), &status);
    assert_non_null(strstr(e2, ":9:15: error: target 'esxi-arm' imports no x86_64 guest"));
    /* Both listed: only generic and aws take them, whichever plan is made. */
    const char *both = "[x86_64, aarch64]";
    CLEANUP_FREE char *e3 =
        unit_plan_errors(recipe_arch("debian-12", both, "sata", "target: fusion-arm64"), &status);
    assert_non_null(strstr(e3, "target 'fusion-arm64' imports no x86_64 guest"));
    assert_non_null(strstr(e3, "the targets for both x86_64 and aarch64 are 'generic' or 'aws'\n"));
    CLEANUP_FREE char *e4 =
        unit_plan_errors(recipe_arch("debian-12", both, "sata", "target: esxi-8.0"), &status);
    assert_non_null(strstr(e4, ":9:15: error: target 'esxi-8.0' imports no aarch64 guest"));
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = unit_parse(recipe_arch("debian-12", both, "sata", "target: esxi-8.0"), &err);
    assert_non_null(r);
    assert_null(plan_new_arch(r, ARCH_X86_64, &err));
    assert_true(ab_error_is_set(&err));
    ab_error_release(&err);

    /* A family below vmx-20 for aarch64, whatever the target. */
    CLEANUP_FREE char *e5 =
        unit_plan_errors(recipe_arm("debian-12", "hardware_family: vmx-19"), &status);
    assert_int_equal(status, 3);
    assert_non_null(strstr(e5, ":9:24: error: hardware family 'vmx-19' is older than aarch64 "
                               "guests run (vmx-20 at least): leave 'hardware_family' out, or "
                               "write vmx-20 or newer\n"));
    CLEANUP_FREE char *e6 = unit_plan_errors(
        recipe_arch("debian-12", both, "sata", "target: aws, hardware_family: vmx-13"), &status);
    assert_non_null(strstr(e6, "hardware family 'vmx-13' is older than aarch64 guests run"));
    /* Newer than the target runs. */
    CLEANUP_FREE char *e7 = unit_plan_errors(
        recipe_arm("debian-12", "target: esxi-arm, hardware_family: vmx-21"), &status);
    assert_non_null(strstr(e7, "hardware family 'vmx-21' is newer than target 'esxi-arm' runs"));
    CLEANUP_FREE char *e8 = unit_plan_errors(
        recipe_arm("debian-12", "target: fusion-arm64, hardware_family: vmx-22"), &status);
    assert_non_null(strstr(e8, "hardware family 'vmx-22' is newer than target 'fusion-arm64' runs ("
                               "VMware Fusion 13 and later on Apple Silicon: vmx-21 at most)"));
    /* ESXi-Arm's vCenter refuses SHA1 as vCenter 8 does. */
    CLEANUP_FREE char *e9 =
        unit_plan_errors(recipe_arm("debian-12", "target: esxi-arm, digest: sha1"), &status);
    assert_non_null(strstr(e9, "digest 'sha1' is refused by target 'esxi-arm'"));
}

/* An explicit key wins when the target takes it, and is refused where
 * the target cannot. */
static void
test_explicit_keys(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        unit_plan(recipe("debian-12", "scsi", "target: esxi-6.7, hardware_family: vmx-15"));
    assert_string_equal(p->hardware_family, "vmx-15");
    assert_int_equal(p->ova.hardware_version, 15);
    CLEANUP_PLAN const struct plan *p2 =
        unit_plan(recipe("debian-12", "scsi", "target: virtualbox, digest: sha1"));
    assert_int_equal(p2->ova_digest, DIGEST_SHA1);
    CLEANUP_PLAN const struct plan *p3 =
        unit_plan(recipe("debian-12", "scsi", "target: proxmox, hardware_family: vmx-21"));
    assert_string_equal(p3->hardware_family, "vmx-21");
    /* generic, named or not, refuses nothing: the recipe chose. */
    CLEANUP_PLAN const struct plan *p4 =
        unit_plan(recipe("debian-12", "scsi", "hardware_family: vmx-15, digest: sha1"));
    assert_string_equal(p4->hardware_family, "vmx-15");
    assert_int_equal(p4->ova_digest, DIGEST_SHA1);
    CLEANUP_PLAN const struct plan *p5 =
        unit_plan(recipe("debian-12", "scsi", "target: generic, hardware_family: vmx-21"));
    assert_string_equal(p5->hardware_family, "vmx-21");

    int status = 0;
    CLEANUP_FREE char *e1 =
        unit_plan_errors(recipe("debian-12", "scsi", "target: esxi-8.0, digest: sha1"), &status);
    assert_int_equal(status, 3);
    assert_non_null(strstr(e1, "digest 'sha1' is refused by target 'esxi-8.0'"));
    CLEANUP_FREE char *e2 = unit_plan_errors(
        recipe("debian-12", "scsi", "target: esxi-6.7, hardware_family: vmx-20"), &status);
    assert_non_null(strstr(e2, "hardware family 'vmx-20' is newer than target 'esxi-6.7' runs"));
    assert_non_null(strstr(e2, ":9:42: error: hardware family"));
    CLEANUP_FREE char *e3 =
        unit_plan_errors(recipe("debian-12", "scsi", "target: esxi-5.5"), &status);
    assert_non_null(strstr(e3, "esxi-5.5"));
    assert_non_null(strstr(e3, "generic"));
}

static void
test_guest_ids(void **state)
{
    (void)state;
    assert_string_equal(distro_guest_id(DISTRO_DEBIAN_12, VSPHERE_6_5), "debian10_64Guest");
    assert_string_equal(distro_guest_id(DISTRO_DEBIAN_12, VSPHERE_7_0), "debian11_64Guest");
    assert_string_equal(distro_guest_id(DISTRO_DEBIAN_12, VSPHERE_8_0_U1), "debian12_64Guest");
    assert_string_equal(distro_guest_id(DISTRO_ALMALINUX_9, VSPHERE_8_0_U1), "almalinux_64Guest");
    assert_string_equal(distro_guest_id(DISTRO_ALMALINUX_9, VSPHERE_7_0), "rhel8_64Guest");
    assert_string_equal(distro_guest_id(DISTRO_NONE, VSPHERE_6_7), "other4xLinux64Guest");
    assert_string_equal(distro_guest_id(DISTRO_NONE, VSPHERE_8_0_U1), "other5xLinux64Guest");
    unsigned since = 0;
    assert_int_equal(distro_guest_id_since("debian12_64Guest", &since), 0);
    assert_int_equal(since, VSPHERE_8_0_U1);
    assert_int_equal(distro_guest_id_since("other6xLinux64Guest", &since), 0);
    assert_int_equal(since, VSPHERE_8_0_U1);
    assert_int_equal(distro_guest_id_since("windows9_64Guest", &since), -1);
    assert_string_equal(distro_guest_id_fallback("debian12_64Guest", VSPHERE_6_7), "debian10_64Guest");
    assert_string_equal(distro_guest_id_fallback("other6xLinux64Guest", VSPHERE_6_7),
                        "other4xLinux64Guest");
    assert_int_equal(ova_capacity_shift(UINT64_C(6) << 30), 30);
    assert_int_equal(ova_capacity_shift(UINT64_C(1536) << 20), 20);
    assert_int_equal(ova_capacity_shift(UINT64_C(3) << 10), 10);
    assert_int_equal(ova_capacity_shift(512), 0);
}

/* The descriptor and manifest of target made, judged by judge's rules;
 * arm: made for an aarch64 guest. */
static struct target_report *
judge_arch(const char *made_for, bool arm, const char *distro, enum ova_target by,
           const char *units)
{
    char ova[64];
    FMT(ova, "target: %s", made_for);
    CLEANUP_PLAN const struct plan *p =
        unit_plan(arm ? recipe_arm(distro, ova) : recipe(distro, "scsi", ova));
    export_folder(p, "judged");
    struct ab_error err = AB_ERROR_INIT;
    if (units) { /* a peer builder's: a bare unit */
        assert_int_equal(system("sed -i 's/ovf:capacity=\"[0-9]*\" ovf:capacityAllocationUnits"
                                "=\"[^\"]*\"/ovf:capacity=\"1\" ovf:capacityAllocationUnits="
                                "\"byte\"/' judged/t-1.ovf"),
                         0);
    }
    struct bundle *b = bundle_open("judged/t-1.ovf", NULL, 0, "scratch", NULL, &err);
    assert_non_null(b);
    struct target_report *r = NULL;
    assert_int_equal(target_check(b, by, &r, &err), 0);
    bundle_free(b);
    ab_error_release(&err);
    return r;
}

static struct target_report *
judge(const char *made_for, const char *distro, enum ova_target by, const char *units)
{
    return judge_arch(made_for, false, distro, by, units);
}

static bool
has(const struct target_report *r, enum target_verdict v, const char *rule, const char *text)
{
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i].verdict == v && strcmp(r->findings[i].rule, rule) == 0 &&
            strstr(r->findings[i].message, text))
            return true;
    return false;
}

static void
test_inspect_target(void **state)
{
    (void)state;
    /* Each target's own OVA, for each architecture it takes: nothing to say. */
    for (int t = 0; t < OVA_N_TARGETS; t++) {
        unsigned arches = ova_target_profile((enum ova_target)t)->arches;
        for (int arm = 0; arm < 2; arm++) {
            if (!(arches & (arm ? ARCH_AARCH64 : ARCH_X86_64)))
                continue;
            struct target_report *r = judge_arch(ova_target_to_string((enum ova_target)t), arm,
                                                 "debian-12", (enum ova_target)t, NULL);
            for (size_t i = 0; i < r->n_findings; i++)
                print_error("%s: %s\n", r->findings[i].rule, r->findings[i].message);
            assert_int_equal(r->n_findings, 0);
            target_report_free(r);
        }
    }
    /* The generic one, for every target of its architecture. */
    for (int t = 0; t < OVA_N_TARGETS; t++) {
        unsigned arches = ova_target_profile((enum ova_target)t)->arches;
        for (int arm = 0; arm < 2; arm++) {
            if (!(arches & (arm ? ARCH_AARCH64 : ARCH_X86_64)))
                continue;
            struct target_report *r =
                judge_arch("generic", arm, "rocky-9", (enum ova_target)t, NULL);
            assert_int_equal(r->n_findings, 0);
            target_report_free(r);
        }
    }
    /* Made for 8.0, taken to 6.7: too new a family, an unknown guest. */
    struct target_report *r = judge("esxi-8.0", "debian-12", OVA_TARGET_ESXI_6_7, NULL);
    assert_int_equal(r->n_findings, 2);
    assert_true(has(r, TARGET_REJECTS, "hardware family", "vmx-20 is newer than vmx-15"));
    assert_true(has(r, TARGET_REJECTS, "guest OS", "'debian12_64Guest' exists from vSphere 8.0"));
    assert_true(has(r, TARGET_REJECTS, "guest OS", "'debian10_64Guest' is the one it knows"));
    assert_false(target_report_ok(r));
    target_report_free(r);
    /* VirtualBox reads neither. */
    r = judge("esxi-8.0", "debian-12", OVA_TARGET_VIRTUALBOX, NULL);
    assert_int_equal(r->n_findings, 0);
    target_report_free(r);
    /* A SHA1 manifest, for vSphere 8. */
    CLEANUP_PLAN const struct plan *p =
        unit_plan(recipe("debian-12", "scsi", "target: virtualbox, digest: sha1"));
    export_folder(p, "sha1");
    struct ab_error err = AB_ERROR_INIT;
    struct bundle *b = bundle_open("sha1/t-1.ovf", NULL, 0, "scratch", NULL, &err);
    assert_non_null(b);
    assert_int_equal(target_check(b, OVA_TARGET_ESXI_8_0, &r, &err), 0);
    assert_true(has(r, TARGET_REJECTS, "manifest digest", "holds sha1 digests"));
    target_report_free(r);
    bundle_free(b);
    /* The x86 generic OVA on Apple Silicon: too old a family, and a NIC
     * Fusion does not offer there. */
    r = judge("generic", "debian-12", OVA_TARGET_FUSION_ARM64, NULL);
    assert_int_equal(r->n_findings, 2);
    assert_true(has(r, TARGET_REJECTS, "hardware family",
                    "vmx-13 is older than vmx-20, the oldest that VMware Fusion 13 and later on "
                    "Apple Silicon runs for an aarch64 guest"));
    assert_true(has(r, TARGET_REJECTS, "NIC model",
                    "NIC 1 is 'E1000': VMware Fusion 13 and later on Apple Silicon offers an "
                    "aarch64 guest E1000e only"));
    assert_false(target_report_ok(r));
    target_report_free(r);
    /* The x86 esxi-8.0 OVA on ESXi-Arm: the family fits, the guest ID and
     * the NIC do not. */
    r = judge("esxi-8.0", "debian-12", OVA_TARGET_ESXI_ARM, NULL);
    assert_int_equal(r->n_findings, 2);
    assert_true(has(r, TARGET_REJECTS, "guest OS", "'debian12_64Guest' exists from vSphere 8.0"));
    assert_true(has(r, TARGET_REJECTS, "NIC model", "NIC 1 is 'VmxNet3'"));
    target_report_free(r);
    /* The aarch64 generic OVA (vmx-20) for an x86-only host. */
    r = judge_arch("generic", true, "debian-12", OVA_TARGET_ESXI_6_7, NULL);
    assert_int_equal(r->n_findings, 1);
    assert_true(has(r, TARGET_REJECTS, "hardware family", "vmx-20 is newer than vmx-15"));
    target_report_free(r);
    /* An OVF does not name its architecture: generic takes vmx-20 as an
     * aarch64 guest's, and judges the x86 esxi-8.0 OVA by its guest ID. */
    r = judge("esxi-8.0", "debian-12", OVA_TARGET_GENERIC, NULL);
    assert_int_equal(r->n_findings, 1);
    assert_true(has(r, TARGET_REJECTS, "guest OS", "'debian12_64Guest' exists from vSphere 8.0"));
    target_report_free(r);
    /* A family between x86_64's newest and aarch64's oldest for generic. */
    r = judge("esxi-7.0", "rocky-9", OVA_TARGET_GENERIC, NULL);
    assert_true(has(r, TARGET_REJECTS, "hardware family",
                    "vmx-18 is newer than vmx-13, the newest that any importer"));
    assert_true(has(r, TARGET_REJECTS, "hardware family",
                    "runs for an x86_64 guest, and older than vmx-20, the oldest for an aarch64 "
                    "guest"));
    target_report_free(r);
    /* A bare "byte": Proxmox shows no size. */
    r = judge("generic", "debian-12", OVA_TARGET_PROXMOX, "byte");
    assert_int_equal(r->n_findings, 2);
    assert_true(has(r, TARGET_IGNORES, "capacity units", "'byte'"));
    assert_true(target_report_ok(r));
    target_report_free(r);
}

/* The findings as inspect prints them, for people and as JSON. */
static void
test_inspect_output(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe("debian-12", "scsi", "target: esxi-8.0"));
    export_folder(p, "out");
    struct ab_error err = AB_ERROR_INIT;
    struct bundle *b = bundle_open("out/t-1.ovf", NULL, 0, "scratch", NULL, &err);
    assert_non_null(b);
    struct target_report *t[2] = {NULL, NULL};
    assert_int_equal(target_check(b, OVA_TARGET_ESXI_6_7, &t[0], &err), 0);
    struct inspect_report r = {.bundles = &b, .n_bundles = 1, .targets = t};
    char *text = NULL, *json = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(inspect_write_text(&r, f), 0);
    assert_int_equal(fclose(f), 0);
    f = open_memstream(&json, &len);
    assert_int_equal(inspect_write_json(&r, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_false(inspect_report_ok(&r));
    assert_non_null(strstr(text, "\n  target esxi-6.7 (VMware ESXi and vCenter 6.7):\n"
                                 "    rejects hardware family: vmx-20 is newer than vmx-15"));
    assert_non_null(strstr(text, "\n    rejects guest OS: vmw:osType 'debian12_64Guest'"));
    assert_non_null(strstr(text, ", 2 rejected by the target\n"));
    assert_non_null(strstr(json, "\"verdict\":\"rejects\""));
    assert_non_null(strstr(json, "\"rule\":\"hardware family\""));
    free(text);
    free(json);
    target_report_free(t[0]);
    bundle_free(b);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_profile, unit_enter_tmpdir, unit_leave_tmpdir),
        cmocka_unit_test_setup_teardown(test_default_generic, unit_enter_tmpdir, unit_leave_tmpdir),
        cmocka_unit_test_setup_teardown(test_aarch64_plans, unit_enter_tmpdir, unit_leave_tmpdir),
        cmocka_unit_test_setup_teardown(test_arch_refused, unit_enter_tmpdir, unit_leave_tmpdir),
        cmocka_unit_test_setup_teardown(test_explicit_keys, unit_enter_tmpdir, unit_leave_tmpdir),
        cmocka_unit_test(test_guest_ids),
        cmocka_unit_test_setup_teardown(test_inspect_target, unit_enter_tmpdir, unit_leave_tmpdir),
        cmocka_unit_test_setup_teardown(test_inspect_output, unit_enter_tmpdir, unit_leave_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
