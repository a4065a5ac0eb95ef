/* test_ova_targets.c: every import target's OVA, made by the export code
 * (export_ovf_folder) for a fixture plan: the family, guest ID, NIC model,
 * capacity units, manifest digest and the VMDKs' virtualHWVersion each
 * profile promises, the descriptor valid against the DMTF schema; the
 * recipe keys a target cannot take refused; and `inspect --target`'s
 * judgement of a descriptor made for one target by another's rules. */
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

/* What each profile must write, stated here independently of the table. */
static const struct {
    const char *target;
    const char *family;
    const char *debian, *centos, *rocky; /* vmw:osType of Debian 12, CentOS Stream 9, Rocky 9 */
    const char *digest;                  /* the manifest's line prefix */
    const char *nic;
    const char *sata;
} want[] = {
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

static const char *
recipe(const char *distro, const char *controller, const char *ova)
{
    static char buf[2048];
    FMT(buf,
        "recipe: 1\nname: t\nversion: '1'\nos: {distro: %s}\n"
        "hardware: {controller: %s, nics: 1}\n"
        "disks:\n  os: {size: 6GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
        "  app: {size: 1536MiB, volumes: [{name: data, mount: /srv, size: rest}]}\n"
        "ova: {%s}\n",
        distro, controller, ova);
    return buf;
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
check_profile(size_t w, const char *distro, const char *os_type, const char *controller)
{
    char ova[64], dir[64], path[128];
    FMT(ova, "target: %s", want[w].target);
    FMT(dir, "out-%s-%s-%s", want[w].target, distro, controller);
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe(distro, controller, ova));
    print_message("%s %s %s\n", want[w].target, distro, controller);
    assert_string_equal(ova_target_to_string(p->ova.target), want[w].target);
    export_folder(p, dir);

    FMT(path, "%s/t-1.ovf", dir);
    assert_schema_valid(path);
    struct xq q;
    ovf_xq_open(&q, path);
    assert_xpath_str(&q, "string(//vssd:VirtualSystemType)", want[w].family);
    assert_xpath_str(&q, "string(//ovf:OperatingSystemSection/@vmw:osType)", os_type);
    assert_xpath_str(&q, "string(//ovf:Item[rasd:ResourceType=10]/rasd:ResourceSubType)",
                     want[w].nic);
    if (strcmp(controller, "sata") == 0)
        assert_xpath_str(&q, "string(//ovf:Item[rasd:ResourceType=20]/rasd:ResourceSubType)",
                         want[w].sata);
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
        assert_true(strncmp(l, want[w].digest, strlen(want[w].digest)) == 0);
        assert_non_null(strchr(l, '\n'));
    }
    FMT(path, "%s/t-1-os.vmdk", dir);
    assert_vmdk_hw_version(path, want[w].family);
    FMT(path, "%s/t-1-app.vmdk", dir);
    assert_vmdk_hw_version(path, want[w].family);
}

static void
test_every_profile(void **state)
{
    (void)state;
    assert_int_equal(N_WANT, OVA_N_TARGETS);
    for (size_t w = 0; w < N_WANT; w++) {
        check_profile(w, "debian-12", want[w].debian, "scsi");
        check_profile(w, "centos-stream-9", want[w].centos, "sata");
        check_profile(w, "rocky-9", want[w].rocky, "scsi");
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

/* The descriptor and manifest of target made, judged by judge's rules. */
static struct target_report *
judge(const char *made_for, const char *distro, enum ova_target by, const char *units)
{
    char ova[64];
    FMT(ova, "target: %s", made_for);
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe(distro, "scsi", ova));
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
    /* Each target's own OVA: nothing to say. */
    for (int t = 0; t < OVA_N_TARGETS; t++) {
        struct target_report *r =
            judge(ova_target_to_string((enum ova_target)t), "debian-12", (enum ova_target)t, NULL);
        for (size_t i = 0; i < r->n_findings; i++)
            print_error("%s: %s\n", r->findings[i].rule, r->findings[i].message);
        assert_int_equal(r->n_findings, 0);
        target_report_free(r);
    }
    /* The generic one, for every target. */
    for (int t = 0; t < OVA_N_TARGETS; t++) {
        struct target_report *r = judge("generic", "rocky-9", (enum ova_target)t, NULL);
        assert_int_equal(r->n_findings, 0);
        target_report_free(r);
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
        cmocka_unit_test_setup_teardown(test_explicit_keys, unit_enter_tmpdir, unit_leave_tmpdir),
        cmocka_unit_test(test_guest_ids),
        cmocka_unit_test_setup_teardown(test_inspect_target, unit_enter_tmpdir, unit_leave_tmpdir),
        cmocka_unit_test_setup_teardown(test_inspect_output, unit_enter_tmpdir, unit_leave_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
