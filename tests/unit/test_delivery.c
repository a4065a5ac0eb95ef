/* test_delivery.c: the output folder's names, what each file is for, and
 * the INSTALL-TARGET.md files (builder/export/delivery.c). */
#include "unit.h"

#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/hash.h"

static const char recipe[] =
    "recipe: 1\n"
    "name: demo\n"
    "version: '2.1'\n"
    "os: {distro: debian-12}\n"
    "disks:\n"
    "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
    "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
    "outputs: [ova, ovf, qcow2, libvirt, hyperv, vdi, azure, gce, raw, vmx, utm]\n";

static void
test_names(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe);
    const char *stem = p->stem;
    CLEANUP_FREE char *ova = delivery_file(p, ".ova");
    CLEANUP_FREE char *os = delivery_disk_file(p, PLAN_DISK_OS, ".qcow2");
    CLEANUP_FREE char *app = delivery_disk_file(p, PLAN_DISK_APP, ".tar.gz");
    CLEANUP_FREE char *xml = delivery_path(p, "out", ".xml");
    assert_string_equal(stem, "demo-2.1");
    assert_string_equal(ova, "demo-2.1.ova");
    assert_string_equal(os, "demo-2.1-os.qcow2");
    assert_string_equal(app, "demo-2.1-app.tar.gz");
    assert_string_equal(xml, "out/demo-2.1.xml");
}

/* A recipe that lists both architectures builds each into one folder:
 * every file of each names it; one architecture keeps NAME-VERSION. */
static const char both[] = "recipe: 1\n"
                           "name: demo\n"
                           "version: '2.1'\n"
                           "os: {distro: debian-12}\n"
                           "hardware: {arch: [x86_64, aarch64], firmware: uefi}\n"
                           "disks:\n"
                           "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
                           "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
                           "outputs: [ova, qcow2, vmx, utm, container]\n";

static const struct plan *
plan_of(const char *text, enum arch arch)
{
    struct ab_error err = AB_ERROR_INIT;
    const struct plan *p = plan_new_arch(unit_parse(text, &err), arch, &err);
    unit_check_ok(p ? 0 : -1, &err);
    return p;
}

static void
test_names_arches(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *x86 = plan_of(both, ARCH_X86_64);
    CLEANUP_PLAN const struct plan *arm = plan_of(both, ARCH_AARCH64);
    CLEANUP_PLAN const struct plan *first = unit_plan(both);
    CLEANUP_PLAN const struct plan *one =
        unit_plan("recipe: 1\nname: demo\nversion: '2.1'\nos: {distro: debian-12}\n"
                  "hardware: {arch: [aarch64]}\n"
                  "disks:\n"
                  "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
                  "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n");
    assert_string_equal(x86->stem, "demo-2.1-x86_64");
    assert_string_equal(x86->folder_arch, "x86_64");
    assert_string_equal(first->stem, "demo-2.1-x86_64");
    assert_string_equal(arm->stem, "demo-2.1-aarch64");
    assert_string_equal(arm->folder_arch, "aarch64");
    assert_string_equal(one->stem, "demo-2.1"); /* one architecture, however written */
    assert_null(one->folder_arch);

    CLEANUP_FREE char *ova = delivery_file(arm, ".ova");
    CLEANUP_FREE char *os = delivery_disk_file(arm, PLAN_DISK_OS, ".qcow2");
    CLEANUP_FREE char *utm = delivery_path(arm, "out", DELIVERY_UTM);
    CLEANUP_FREE char *ct = delivery_file(x86, "-container.tar");
    assert_string_equal(ova, "demo-2.1-aarch64.ova");
    assert_string_equal(os, "demo-2.1-aarch64-os.qcow2");
    assert_string_equal(utm, "out/demo-2.1-aarch64.utm");
    assert_string_equal(ct, "demo-2.1-x86_64-container.tar");

    /* Each architecture's files are its own; the other's are not. */
    static const struct {
        const char *path, *output, *disk;
    } cases[] = {
        {"demo-2.1-aarch64.ova", "ova", NULL},
        {"demo-2.1-aarch64-app.qcow2", "qcow2", "app"},
        {"demo-2.1-aarch64.vmwarevm/demo-2.1-aarch64.vmx", "vmx", NULL},
        {"demo-2.1-aarch64.vmwarevm/demo-2.1-aarch64-os.vmdk", "vmx", "os"},
        {"demo-2.1-aarch64.utm/Data/demo-2.1-aarch64-os.qcow2", "utm", "os"},
        {"demo-2.1-aarch64.utm/config.plist", "utm", NULL},
        {"demo-2.1-aarch64-container.tar", "container", NULL},
        {"demo-2.1-aarch64.spdx.json", "sbom", NULL},
        {"demo-2.1-aarch64-container.cdx.json", "sbom", NULL},
        {"demo-2.1-aarch64.provenance.json", "provenance", NULL},
        {"demo-2.1-aarch64.intoto.jsonl", "provenance", NULL},
        {"demo-2.1-x86_64.ova", NULL, NULL},
        {"demo-2.1-x86_64-os.qcow2", NULL, NULL},
        {"demo-2.1.ova", NULL, NULL},
        {"demo-2.1-os.qcow2", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct delivery_role role;
        delivery_classify(arm->stem, arm->outputs, cases[i].path, &role);
        print_message("%s\n", cases[i].path);
        if (cases[i].output)
            assert_string_equal(role.output ? role.output : "(null)", cases[i].output);
        else
            assert_null(role.output);
        if (cases[i].disk)
            assert_string_equal(role.disk ? role.disk : "(null)", cases[i].disk);
        else
            assert_null(role.disk);
    }
    CLEANUP_FREE char *single = plan_stem("demo", "2.1", NULL);
    CLEANUP_FREE char *multi = plan_stem("demo", "2.1", "aarch64");
    assert_string_equal(single, "demo-2.1");
    assert_string_equal(multi, "demo-2.1-aarch64");
}

/* Each name says its output, its disk and the targets it serves. */
static void
test_classify(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe);
    static const struct {
        const char *path, *output, *disk, *targets;
    } cases[] = {
        {"demo-2.1.ova", "ova", NULL, "vsphere workstation virtualbox proxmox"},
        {"ovf/demo-2.1.ovf", "ovf", NULL, "vsphere"},
        {"ovf/demo-2.1-app.vmdk", "ovf", "app", "vsphere"},
        {"demo-2.1-os.qcow2", "qcow2", "os", "proxmox kvm"},
        {"demo-2.1.xml", "libvirt", NULL, "kvm"},
        {"demo-2.1-os.vhdx", "vhdx", "os", "hyperv"}, /* implied by hyperv */
        {"demo-2.1.ps1", "hyperv", NULL, "hyperv"},
        {"demo-2.1-app.vdi", "vdi", "app", "virtualbox"},
        {"demo-2.1-os.vhd", "azure", "os", "azure"},
        {"demo-2.1-app.tar.gz", "gce", "app", "gce"},
        {"demo-2.1-os.raw", "raw", "os", ""},
        {"demo-2.1.vmwarevm/demo-2.1.vmx", "vmx", NULL, "workstation"},
        {"demo-2.1.vmwarevm/demo-2.1-app.vmdk", "vmx", "app", "workstation"},
        {"demo-2.1.vmx", NULL, NULL, ""},                      /* not in its folder */
        {"demo-2.1.vmwarevm/demo-2.1-os.raw", NULL, NULL, ""}, /* no such file */
        {"other.vmwarevm/demo-2.1.vmx", NULL, NULL, ""},
        {"demo-2.1.utm/config.plist", "utm", NULL, "utm"},
        {"demo-2.1.utm/Data/demo-2.1-os.qcow2", "utm", "os", "utm"},
        {"demo-2.1.utm/Data/demo-2.1-app.qcow2", "utm", "app", "utm"},
        {"INSTALL-utm.md", "install", NULL, "utm"},
        {"demo-2.1.utm/demo-2.1-os.qcow2", NULL, NULL, ""}, /* not in Data/ */
        {"demo-2.1.utm/Data/config.plist", NULL, NULL, ""},
        {"Data/demo-2.1-os.qcow2", NULL, NULL, ""},
        {"INSTALL-kvm.md", "install", NULL, "kvm"},
        {"demo-os.qcow2", NULL, NULL, ""},          /* the old name */
        {"demo-2.1-os.vmdk", NULL, NULL, ""},       /* vmdk not asked */
        {"demo-2.1-container.tar", NULL, NULL, ""}, /* container not asked */
        {"INSTALL-nowhere.md", NULL, NULL, ""},
        {"SHA256SUMS", NULL, NULL, ""},
        /* One per architecture in a folder of several. */
        {"INSTALL-kvm-aarch64.md", "install", NULL, "kvm"},
        {"INSTALL-vsphere-x86_64.md", "install", NULL, "vsphere"},
        {"INSTALL-kvm-mips.md", NULL, NULL, ""},
        {"INSTALL-kvm-.md", NULL, NULL, ""},
        {"build-report.json", "report", NULL, ""},
        {"build-report-x86_64.json", "report", NULL, ""},
        {"build-report-aarch64.json", "report", NULL, ""},
        {"build-report-mips.json", NULL, NULL, ""},
        {"build-report-aarch64.json.bak", NULL, NULL, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct delivery_role role;
        delivery_classify("demo-2.1", p->outputs, cases[i].path, &role);
        char targets[256] = "";
        for (size_t t = 0; role.targets[t]; t++)
            snprintf(targets + strlen(targets), sizeof(targets) - strlen(targets), "%s%s",
                     t ? " " : "", role.targets[t]);
        if (cases[i].output)
            assert_string_equal(role.output ? role.output : "(null)", cases[i].output);
        else
            assert_null(role.output);
        if (cases[i].disk)
            assert_string_equal(role.disk ? role.disk : "(null)", cases[i].disk);
        else
            assert_null(role.disk);
        assert_string_equal(targets, cases[i].targets);
    }
    assert_int_equal(delivery_output_flag("qcow2"), OUTPUT_QCOW2);
    assert_int_equal(delivery_output_flag("install"), 0);
}

static void
add(struct export_files *files, const char *path, uint64_t size, char c)
{
    files->v = realloc(files->v, (files->n + 1) * sizeof(*files->v));
    assert_non_null(files->v);
    struct export_file *f = &files->v[files->n++];
    f->path = strdup(path);
    f->size = size;
    memset(f->sha256, c, 64);
    f->sha256[64] = '\0';
}

/* Every file named in text is one of files, with its digest beside it
 * in the checksums; every file of the target's outputs is named. */
static void
test_install_text(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe);
    struct export_files files = {NULL, 0};
    add(&files, "demo-2.1-app.qcow2", 100, 'a');
    add(&files, "demo-2.1-os.qcow2", 200, 'b');
    add(&files, "demo-2.1.xml", 300, 'c');
    add(&files, "demo-2.1.ova", 400, 'd');
    add(&files, "demo-2.1-os.vhd", 1048576, 'e');
    add(&files, "demo-2.1-app.vhd", 2097152, 'f');
    struct ab_error err = AB_ERROR_INIT;

    CLEANUP_FREE char *kvm = NULL;
    unit_check_ok(delivery_install_text(p, "kvm", &files, &kvm, &err), &err);
    assert_non_null(kvm);
    assert_non_null(strstr(kvm, "# demo 2.1 on KVM with libvirt\n"));
    assert_non_null(strstr(kvm, "virsh define demo-2.1.xml\n"));
    assert_non_null(
        strstr(kvm, "cp demo-2.1-os.qcow2 demo-2.1-app.qcow2 /var/lib/libvirt/images/"));
    assert_null(strstr(kvm, "virt-install")); /* the libvirt output's way, not the bare disks' */
    assert_non_null(strstr(kvm,
                           "    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                           "  demo-2.1-app.qcow2\n"));
    assert_non_null(strstr(kvm,
                           "    cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
                           "  demo-2.1.xml\n"));
    assert_null(strstr(kvm, "demo-2.1.ova"));
    assert_null(strstr(kvm, "@")); /* every placeholder filled */
    assert_null(strstr(kvm, "license")); /* no ova.eula */

    CLEANUP_FREE char *azure = NULL;
    unit_check_ok(delivery_install_text(p, "azure", &files, &azure, &err), &err);
    assert_non_null(strstr(azure, "--upload-size-bytes 1048576 "));
    assert_non_null(strstr(azure, "--upload-size-bytes 2097152 "));
    assert_non_null(strstr(azure, "azcopy copy demo-2.1-os.vhd "));

    /* A target no output serves: no text. */
    CLEANUP_FREE char *ct = NULL;
    unit_check_ok(delivery_install_text(p, "containers", &files, &ct, &err), &err);
    assert_null(ct);

    /* A file the text needs is missing: an error naming its placeholder,
     * never a name of a file that is not there. */
    CLEANUP_FREE char *gce = NULL;
    assert_int_equal(delivery_install_text(p, "gce", &files, &gce, &err), -1);
    assert_null(gce);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "OS_GCE"));
    ab_error_release(&err);
    export_files_release(&files);
}

/* The firmware decides the steps' options, as the outputs chose it. */
static void
test_install_firmware(void **state)
{
    (void)state;
    static const struct {
        const char *hardware, *target, *want, *not ;
    } cases[] = {
        {"{firmware: bios}", "hyperv", "New-VM -Name fw -Generation 1 ", "Set-VMFirmware"},
        {"{firmware: uefi}", "hyperv",
         "-Generation 2 -MemoryStartupBytes 2048MB -VHDPath .\\fw-1-os.vhdx -SwitchName 'Default "
         "Switch'\n    Add-VMHardDiskDrive -VMName fw -Path .\\fw-1-app.vhdx\n    Set-VMProcessor "
         "-VMName fw -Count 2\n"
         "    Set-VMFirmware "
         "-VMName fw -SecureBootTemplate MicrosoftUEFICertificateAuthority\n    Start-VM -Name "
         "fw\n",
         NULL},
        {"{firmware: 'uefi', secure_boot: false}", "hyperv",
         "Set-VMFirmware -VMName fw "
         "-EnableSecureBoot Off\n",
         NULL},
        {"{firmware: uefi}", "kvm", "require=off --boot uefi\n", NULL},
        {"{firmware: bios+uefi}", "kvm", "require=off\n", "--boot uefi"},
        {"{firmware: uefi}", "proxmox",
         "virtio-scsi-single \\\n        --bios ovmf --efidisk0 "
         "local-lvm:1,efitype=4m,pre-enrolled-keys=1\n",
         NULL},
        {"{firmware: bios}", "proxmox", "virtio-scsi-single\n", "ovmf"},
        {"{firmware: uefi}", "virtualbox", "--firmware efi\n", NULL},
        {"{firmware: bios+uefi}", "virtualbox", "--firmware bios\n", NULL},
        {"{firmware: bios}", "azure", "--hyper-v-generation V1\n", NULL},
        {"{firmware: bios+uefi}", "gce",
         "fw-1-os.tar.gz \\\n        --guest-os-features "
         "UEFI_COMPATIBLE\n",
         NULL},
        {"{firmware: bios}", "gce", "gs://BUCKET/fw-1-os.tar.gz\n", "UEFI"},
        /* aarch64: Arm64 disks and images, arm64 machine sizes. */
        {"{arch: aarch64}", "azure",
         "--hyper-v-generation V2 \\\n        --architecture Arm64\n", NULL},
        {"{arch: aarch64}", "azure", "--os-type linux --size Standard_D2ps_v5\n", NULL},
        {"{firmware: uefi}", "azure", "--os-type linux\n", "Arm64"},
        {"{arch: aarch64}", "gce",
         "fw-1-os.tar.gz \\\n        --guest-os-features UEFI_COMPATIBLE --architecture ARM64\n",
         NULL},
        {"{arch: aarch64}", "gce",
         "--disk name=fw-app \\\n        --machine-type t2a-standard-2\n", NULL},
        {"{firmware: uefi}", "gce", "--disk name=fw-app\n", "ARM64"},
    };
    struct export_files files = {NULL, 0};
    static const char *const names[] = {
        "fw-1-os.vhdx", "fw-1-app.vhdx", "fw-1-os.qcow2", "fw-1-app.qcow2", "fw-1-os.vdi",
        "fw-1-app.vdi", "fw-1-os.vhd",   "fw-1-app.vhd",  "fw-1-os.tar.gz", "fw-1-app.tar.gz"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        add(&files, names[i], 1048576, 'a');
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[1024];
        snprintf(text, sizeof(text),
                 "recipe: 1\nname: fw\nversion: '1'\nos: {distro: debian-12}\nhardware: %s\n"
                 "disks:\n"
                 "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
                 "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
                 "outputs: [vhdx, qcow2, vdi, azure, gce]\n",
                 cases[i].hardware);
        CLEANUP_PLAN const struct plan *p = unit_plan(text);
        struct ab_error err = AB_ERROR_INIT;
        CLEANUP_FREE char *note = NULL;
        unit_check_ok(delivery_install_text(p, cases[i].target, &files, &note, &err), &err);
        print_message("%s %s\n", cases[i].hardware, cases[i].target);
        assert_non_null(note);
        if (!strstr(note, cases[i].want))
            print_error("%s", note);
        assert_non_null(strstr(note, cases[i].want));
        if (cases[i].not )
            assert_null(strstr(note, cases[i].not ));
    }
    export_files_release(&files);
}

/* With ova.eula, the notes say the license comes and how to accept it. */
static void
test_install_eula(void **state)
{
    (void)state;
    unit_write_file("EULA.txt", "terms\n");
    CLEANUP_PLAN const struct plan *p =
        unit_plan("recipe: 1\nname: e\nversion: '1'\nos: {distro: debian-12}\n"
                  "disks:\n"
                  "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
                  "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
                  "ova: {eula: EULA.txt}\n");
    struct export_files files = {NULL, 0};
    add(&files, "e-1.ova", 1, 'a');
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *note = NULL;
    unit_check_ok(delivery_install_text(p, "virtualbox", &files, &note, &err), &err);
    assert_non_null(strstr(note, "carry a license agreement"));
    assert_non_null(strstr(note, "`--vsys 0 --eula accept`"));
    export_files_release(&files);
}

/* Written into the folder, each INSTALL file is added to the list with
 * its digest; the same inputs give the same bytes. */
static void
test_write_install(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        unit_plan("recipe: 1\nname: demo\nversion: '2.1'\nos: {distro: debian-12}\n"
                  "disks:\n"
                  "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
                  "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
                  "outputs: [ova]\n");
    assert_int_equal(mkdir("out", 0755), 0);
    unit_write_file("out/demo-2.1.ova", "an ova");
    struct export_files files = {NULL, 0};
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(export_files_collect("out", &files, NULL, &err), &err);
    unit_check_ok(delivery_write_install(p, "out", &files, &err), &err);
    static const char *const want[] = {"INSTALL-proxmox.md", "INSTALL-virtualbox.md",
                                       "INSTALL-vsphere.md", "INSTALL-workstation.md",
                                       "demo-2.1.ova"};
    assert_int_equal(files.n, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(files.v[i].path, want[i]);
    assert_int_equal(access("out/INSTALL-kvm.md", F_OK), -1);
    size_t len = 0;
    CLEANUP_FREE char *vbox = unit_slurp("out/INSTALL-virtualbox.md", &len);
    assert_non_null(strstr(vbox, "VBoxManage import demo-2.1.ova --vsys 0 --vmname demo\n"));
    /* sha256 of "an ova" */
    char hex[HASH_HEX_MAX];
    unit_check_ok(digest_file(DIGEST_SHA256, "out/demo-2.1.ova", hex, &err), &err);
    char line[HASH_HEX_MAX + 64];
    snprintf(line, sizeof(line), "    %s  demo-2.1.ova\n", hex);
    assert_non_null(strstr(vbox, line));
    export_files_release(&files);
}

/* In a folder of several architectures, each one's notes name it. */
static void
test_write_install_arches(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        plan_of("recipe: 1\nname: demo\nversion: '2.1'\nos: {distro: debian-12}\n"
                "hardware: {arch: [x86_64, aarch64]}\n"
                "disks:\n"
                "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
                "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
                "outputs: [ova]\n",
                ARCH_AARCH64);
    assert_int_equal(mkdir("multi", 0755), 0);
    unit_write_file("multi/demo-2.1-aarch64.ova", "an ova");
    struct export_files files = {NULL, 0};
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(export_files_collect("multi", &files, NULL, &err), &err);
    unit_check_ok(delivery_write_install(p, "multi", &files, &err), &err);
    static const char *const want[] = {
        "INSTALL-proxmox-aarch64.md", "INSTALL-virtualbox-aarch64.md", "INSTALL-vsphere-aarch64.md",
        "INSTALL-workstation-aarch64.md", "demo-2.1-aarch64.ova"};
    assert_int_equal(files.n, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(files.v[i].path, want[i]);
    assert_int_equal(access("multi/INSTALL-vsphere.md", F_OK), -1);
    CLEANUP_FREE char *note = unit_slurp("multi/INSTALL-vsphere-aarch64.md", NULL);
    assert_non_null(strstr(note, "demo-2.1-aarch64.ova"));
    export_files_release(&files);

    CLEANUP_FREE char *one = delivery_arch_doc("build-report", NULL, ".json");
    CLEANUP_FREE char *arm = delivery_arch_doc("build-report", p->folder_arch, ".json");
    assert_string_equal(one, "build-report.json");
    assert_string_equal(arm, "build-report-aarch64.json");
    assert_string_equal(delivery_arch_doc_of("build-report.json", "build-report", ".json"), "");
    assert_string_equal(delivery_arch_doc_of(arm, "build-report", ".json"), "aarch64");
    assert_null(delivery_arch_doc_of("build-reports.json", "build-report", ".json"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_names_arches),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_install_text),
        cmocka_unit_test(test_install_firmware),
        cmocka_unit_test(test_install_eula),
        cmocka_unit_test(test_write_install),
        cmocka_unit_test(test_write_install_arches),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
