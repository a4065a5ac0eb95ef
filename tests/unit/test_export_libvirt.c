/* test_export_libvirt.c: the libvirt domain XML, judged by libvirt's own
 * tools (virt-xml-validate with libvirt's RelaxNG schema, and `virsh
 * define` against the in-process test driver), by golden files in
 * tests/data/libvirt/ (LIBVIRT_UPDATE_GOLDEN=1 rewrites them) and by XPath
 * queries of the facts a KVM host reads: firmware, disks, NICs, console. */
#include "unit.h"
#include "unit_xml.h"

#include <dirent.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/wait.h>


#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/export.h"

#define OS_DISK                                                                                    \
    "{size: 10GiB, volumes: [{name: root, mount: /, size: 4GiB}, "                                 \
    "{name: swap, size: 1GiB, fs: swap}, {name: log, mount: /var/log, size: rest}]}"
#define APP_DISK "{size: 2GiB, volumes: [{name: data, mount: /srv, size: rest}]}"
/* snprintf into an array, failing the test if it does not fit. */
#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static const char *const test_qcow2[PLAN_N_DISKS] = {
    "/var/lib/appliance/t-1.2.3/t-os.qcow2",
    "/var/lib/appliance/t-1.2.3/t-app.qcow2",
};

/* A recipe; extra holds top-level lines (NULL: none). */
static const char *
recipe_text(const char *firmware, unsigned nics, const char *addons, const char *extra)
{
    static char buf[4096];
    int n = snprintf(buf, sizeof(buf),
                     "recipe: 1\n"
                     "name: t\n"
                     "version: '1.2.3'\n"
                     "%s"
                     "os: {distro: debian-12}\n"
                     "hardware: {cpus: 2, memory: 1GiB, firmware: %s, nics: %u}\n"
                     "addons: %s\n"
                     "disks:\n"
                     "  os: " OS_DISK "\n"
                     "  app: " APP_DISK "\n",
                     extra ? extra : "", firmware, nics, addons);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    return buf;
}

static void
write_xml(const struct plan *p, const char *const qcow2[PLAN_N_DISKS], const char *path)
{
    struct ab_error err = AB_ERROR_INIT;
    int rc = export_libvirt_xml(p, qcow2, path, &err);
    unit_check_ok(rc, &err);
}

/* Runs a shell command with its output in tool.log; shows that log when
 * the exit status is not want. */
static void
assert_tool(const char *cmd, int want)
{
    char full[PATH_MAX * 2];
    FMT(full, "%s >tool.log 2>&1", cmd);
    int rc = system(full);
    int status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (status != want) {
        print_error("'%s' exited %d, want %d:\n", cmd, status, want);
        CLEANUP_FREE char *log = unit_slurp("tool.log", NULL);
        print_error("%s\n", log ? log : "(no output)");
    }
    assert_int_equal(status, want);
}

/* libvirt's schema and libvirt itself must take the file. */
static void
assert_libvirt_accepts(const char *path)
{
    char cmd[PATH_MAX + 128];
    FMT(cmd, "virt-xml-validate '%s' domain", path);
    assert_tool(cmd, 0);
    FMT(cmd, "virsh -q -c test:///default define '%s'", path);
    assert_tool(cmd, 0);
}

static void
assert_disks(struct xq *q, const char *const qcow2[PLAN_N_DISKS])
{
    static const char *const dev[] = {"vda", "vdb"};
    assert_count(q, "/domain/devices/disk", 2);
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        char e[512];
        FMT(e,
            "/domain/devices/disk[%d][@type='file'][@device='disk']"
            "[driver/@name='qemu'][driver/@type='qcow2']"
            "[target/@dev='%s'][target/@bus='virtio']/source/@file",
            i + 1, dev[i]);
        assert_xpath_str(q, e, qcow2[i]);
    }
    /* Booted from the OS disk, by per-device order only (libvirt refuses
     * both kinds at once). */
    assert_count(q, "//boot", 1);
    assert_count(q, "/domain/devices/disk[1]/boot[@order='1']", 1);
}

static void
assert_facts(const char *path, const struct plan *p, const char *const qcow2[PLAN_N_DISKS])
{
    struct xq q;
    xq_open(&q, path);
    assert_xpath_str(&q, "/domain/@type", "kvm");
    assert_xpath_str(&q, "/domain/name", p->name);
    assert_xpath_u64(&q, "/domain/memory[@unit='KiB']", p->hardware.memory >> 10);
    assert_xpath_u64(&q, "/domain/currentMemory[@unit='KiB']", p->hardware.memory >> 10);
    assert_xpath_u64(&q, "/domain/vcpu", p->hardware.cpus);
    const struct arch_row *a = arch_row(p->hardware.arch);
    char xp[256];
    FMT(xp, "/domain/os/type[@arch='%s'][@machine='%s']", a->libvirt, a->machine);
    assert_xpath_str(&q, xp, "hvm");

    /* UEFI-only: OVMF chosen by libvirt, with Secure Boot and Microsoft's
     * keys enrolled (and SMM) when the image boots the signed shim, without
     * for a grub-mkimage GRUB; else SeaBIOS. */
    bool efi = p->hardware.firmware == FIRMWARE_UEFI, sb = efi && p->hardware.secure_boot;
    assert_count(&q, "/domain/os[@firmware='efi']", efi);
    const char *on = sb ? "yes" : "no", *off = sb ? "no" : "yes";
    FMT(xp, "/domain/os/firmware/feature[@name='secure-boot'][@enabled='%s']", on);
    assert_count(&q, xp, efi);
    FMT(xp, "/domain/os/firmware/feature[@name='enrolled-keys'][@enabled='%s']", on);
    assert_count(&q, xp, efi);
    FMT(xp, "/domain/os/firmware/feature[@enabled='%s']", off);
    assert_count(&q, xp, 0);
    /* SMM is a PC's, which OVMF's Secure Boot needs; AAVMF's does not. */
    assert_count(&q, "/domain/features/smm[@state='on']", sb && a->pc);
    assert_count(&q, "/domain/features/smm", sb && a->pc);
    assert_count(&q, "/domain/os/loader | /domain/os/nvram", 0);

    assert_count(&q, "/domain/features/acpi", 1);
    assert_count(&q, "/domain/features/apic", a->pc);
    FMT(xp, "/domain/cpu[@mode='%s']", a->pc ? "host-model" : "host-passthrough");
    assert_count(&q, xp, 1);
    assert_count(&q, "/domain/clock[@offset='utc']", 1);
    assert_count(&q, "/domain/clock/timer", a->pc ? 3 : 0);
    FMT(xp, "/domain/devices/video/model[@type='%s']", a->pc ? "vga" : "virtio");
    assert_count(&q, xp, 1);
    assert_count(&q, "/domain/devices/input[@bus='usb'][@type='keyboard' or @type='tablet']",
                 a->pc ? 0 : 2);
    assert_xpath_str(&q, "/domain/on_poweroff", "destroy");
    assert_xpath_str(&q, "/domain/on_reboot", "restart");

    assert_disks(&q, qcow2);
    assert_count(&q, "/domain/devices/interface", p->hardware.nics);
    assert_count(&q,
                 "/domain/devices/interface[@type='network'][source/@network='default']"
                 "[model/@type='virtio']",
                 p->hardware.nics);
    assert_count(&q, "/domain/devices/serial[@type='pty']/target[@port='0']", 1);
    assert_count(&q, "/domain/devices/console[@type='pty']/target[@type='serial'][@port='0']", 1);
    assert_count(&q,
                 "/domain/devices/channel[@type='unix']"
                 "/target[@type='virtio'][@name='org.qemu.guest_agent.0']",
                 (p->addons & ADDON_KVM) != 0);
    assert_count(&q, "/domain/devices/rng[@model='virtio']", 1);

    /* Every copy defined from the file gets its own identity. */
    assert_count(&q, "//uuid | //mac", 0);
    xq_close(&q);
}

/* No "NAME.tmpXXXXXX" left behind in the current folder. */
static void
assert_no_temp_files(void)
{
    DIR *dir = opendir(".");
    assert_non_null(dir);
    struct dirent *e;
    while ((e = readdir(dir)))
        assert_null(strstr(e->d_name, ".tmp"));
    closedir(dir);
}

/* ---- tests ---- */

/* The judges themselves: each refuses a broken domain, so that their
 * passing on ours means something. */
static void
test_judges(void **state)
{
    (void)state;
    unit_write_file("bad.xml", "<domain type='kvm'><name>x</name><memory>1</memory>"
                               "<os><type>hvm</type></os><bogus/></domain>\n");
    assert_tool("virt-xml-validate bad.xml domain", 3);
    unit_write_file("bad2.xml", "<domain type='kvm'><name>x</name><memory>1</memory>"
                                "<os><type>hvm</type><boot dev='hd'/></os><devices>"
                                "<disk type='file' device='disk'><source file='/a'/>"
                                "<target dev='vda'/><boot order='1'/></disk>"
                                "</devices></domain>\n");
    assert_tool("virsh -q -c test:///default define bad2.xml", 1);
}

static void
test_matrix(void **state)
{
    (void)state;
    static const char *const firmwares[] = {"bios", "uefi", "bios+uefi",
                                            "uefi, secure_boot: false"};
    static const unsigned nics[] = {0, 1, 4};
    static const char *const addons[] = {"[kvm]", "[vmware, hyperv]"};
    for (size_t f = 0; f < 4; f++)
        for (size_t n = 0; n < 3; n++)
            for (size_t a = 0; a < 2; a++) {
                CLEANUP_PLAN const struct plan *p =
                    unit_plan(recipe_text(firmwares[f], nics[n], addons[a], NULL));
                print_message("%s nics=%u addons=%s\n", firmwares[f], nics[n], addons[a]);
                write_xml(p, test_qcow2, "t.xml");
                assert_libvirt_accepts("t.xml");
                assert_facts("t.xml", p, test_qcow2);
            }
    assert_no_temp_files();
}

/* Text is escaped by libxml2, not pasted: it reads back as written, and
 * libvirt takes it. The name cannot hold a quote in a recipe; a plan with
 * one checks the writer all the same. */
static void
test_escaped(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        unit_plan(recipe_text("uefi", 2, "[kvm]",
                              "description: 'it''s \"x\"; rm <b> & ]]> d'\n"
                              "vendor: 'O''Brien & Sons <x>'\n"));
    struct plan hostile = *p;
    hostile.name = "it's \"x\"; <rm> &amp;";
    static const char *const qcow2[PLAN_N_DISKS] = {
        "/srv/vm's \"dir\" & <x>/t-os.qcow2",
        "/srv/vm's \"dir\" & <x>/t-app.qcow2",
    };
    write_xml(&hostile, qcow2, "t.xml");
    assert_libvirt_accepts("t.xml");
    assert_facts("t.xml", &hostile, qcow2);
    struct xq q;
    xq_open(&q, "t.xml");
    assert_xpath_str(&q, "/domain/name", "it's \"x\"; <rm> &amp;");
    assert_xpath_str(&q, "/domain/title", "it's \"x\"; <rm> &amp; 1.2.3");
    assert_xpath_str(&q, "/domain/description",
                     "it's \"x\"; rm <b> & ]]> d\nVendor: O'Brien & Sons <x>");
    xq_close(&q);

    /* Without description and vendor, no description element. */
    CLEANUP_PLAN const struct plan *p2 = unit_plan(recipe_text("bios", 1, "[kvm]", NULL));
    write_xml(p2, test_qcow2, "t.xml");
    xq_open(&q, "t.xml");
    assert_xpath_str(&q, "/domain/title", "t 1.2.3");
    assert_count(&q, "/domain/description", 0);
    xq_close(&q);
}

static void
assert_golden(const char *name, const char *firmware, unsigned nics, const char *addons,
              const char *extra)
{
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text(firmware, nics, addons, extra));
    write_xml(p, test_qcow2, "t.xml");
    assert_libvirt_accepts("t.xml");
    assert_facts("t.xml", p, test_qcow2);
    char golden[PATH_MAX];
    FMT(golden, "tests/data/libvirt/%s.xml", name);
    unit_assert_golden("t.xml", golden, "LIBVIRT_UPDATE_GOLDEN");
}

static void
test_golden(void **state)
{
    (void)state;
    const char *demo = "description: 'a test appliance'\nvendor: 'appliance project'\n";
    assert_golden("bios+uefi", "bios+uefi", 1, "[vmware, virtualbox, hyperv, kvm]", demo);
    assert_golden("uefi", "uefi", 1, "[kvm]", demo);
    assert_golden("uefi-no-secure-boot", "uefi, secure_boot: false", 1, "[kvm]", demo);
    assert_golden("bios-no-agent", "bios", 1, "[vmware]", NULL);
    assert_golden("uefi-4-nics", "uefi", 4, "[kvm]", demo);
    /* aarch64: the virt machine, AAVMF (with and without Secure Boot), no
     * PC devices. */
    assert_golden("aarch64", "uefi, arch: aarch64", 1, "[kvm]", demo);
    assert_golden("aarch64-no-secure-boot", "uefi, arch: aarch64, secure_boot: false", 1,
                  "[kvm]", demo);
    assert_golden("no-nic", "bios+uefi", 0, "[kvm]", demo);
    assert_golden("quotes", "bios+uefi", 2, "[kvm]",
                  "description: 'it''s \"x\"; rm & <b>'\nvendor: 'O''Brien & Sons'\n");
}

/* A failed write reports the error with context and leaves neither a
 * temporary file nor a partial domain; relative disk paths are refused. */
static void
test_write_errors(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text("bios", 1, "[kvm]", NULL));
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(export_libvirt_xml(p, test_qcow2, "missing/t.xml", &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "while writing libvirt domain 'missing/t.xml': cannot create "
                                "'missing/t.xml.tmp"));
    assert_non_null(strstr(msg, "No such file or directory"));
    assert_int_equal(ab_error_exit_status(&err), 1);
    ab_error_release(&err);

    static const char *const relative[PLAN_N_DISKS] = {"/abs/t-os.qcow2", "t-app.qcow2"};
    unlink("t.xml");
    assert_int_equal(export_libvirt_xml(p, relative, "t.xml", &err), -1);
    CLEANUP_FREE char *msg2 = unit_error_text(&err);
    assert_string_equal(msg2, "appliance: error: while writing libvirt domain 't.xml': path of "
                              "disk 'app' is not absolute: 't-app.qcow2'\n");
    ab_error_release(&err);
    assert_int_equal(access("t.xml", F_OK), -1);
    assert_no_temp_files();

    /* Replacing a domain file is atomic: the new one, mode 0644. */
    unit_write_file("t.xml", "old");
    write_xml(p, test_qcow2, "t.xml");
    struct stat st;
    assert_int_equal(stat("t.xml", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    CLEANUP_FREE char *text = unit_slurp("t.xml", NULL);
    assert_non_null(strstr(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<domain"));
    assert_no_temp_files();
}

static int
setup(void **state)
{
    if (unit_enter_tmpdir(state) < 0)
        return -1;
    if (system("command -v virt-xml-validate >/dev/null && command -v virsh >/dev/null") != 0) {
        print_error("virt-xml-validate and virsh are needed: install libvirt-clients "
                    "(make deps)\n");
        return -1;
    }
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judges),       cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_escaped),      cmocka_unit_test(test_golden),
        cmocka_unit_test(test_write_errors),
    };
    return cmocka_run_group_tests(tests, setup, unit_leave_tmpdir);
}
