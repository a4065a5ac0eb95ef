/* test_export_utm.c: the utm output's config.plist, read back by libxml2
 * (well-formed XML), by XPath over its keys and values, by Python's
 * plistlib (an independent plist reader) and against golden files in
 * tests/data/utm/ (UTM_UPDATE_GOLDEN=1 rewrites them), for an x86_64 and
 * an aarch64 plan. The keys and values are UTM's
 * (github.com/utmapp/UTM at e4a4c34b671284263fc69f81b607de494d7e9b65,
 * Configuration/UTMQemuConfiguration*.swift). */
#include "unit.h"
#include "unit_xml.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include "appliance/cleanup.h"
#include "appliance/export.h"

#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static const char *const images[PLAN_N_DISKS] = {"t-1.2.3-os.qcow2", "t-1.2.3-app.qcow2"};

/* A recipe; hardware holds the hardware map's extra entries. */
static const char *
recipe_text(const char *name, const char *hardware)
{
    static char buf[4096];
    int n = snprintf(buf, sizeof(buf),
                     "recipe: 1\n"
                     "name: %s\n"
                     "version: '1.2.3'\n"
                     "description: 'a test <appliance> & more'\n"
                     "os: {distro: debian-12}\n"
                     "hardware: {cpus: 2, memory: 1GiB%s}\n"
                     "disks:\n"
                     "  os: {size: 8GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
                     "  app: {size: 2GiB, volumes: [{name: data, mount: /srv, size: rest}]}\n",
                     name, hardware);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    return buf;
}

static void
write_plist(const struct plan *p, const char *path)
{
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(export_utm_plist(p, images, path, &err), &err);
}

/* The XPath of the value of key path "A/B/C" in the top dict. */
static const char *
value_of(const char *keys)
{
    static char xp[1024];
    size_t used = (size_t)snprintf(xp, sizeof(xp), "/plist/dict");
    char copy[256];
    FMT(copy, "%s", keys);
    for (char *save = NULL, *k = strtok_r(copy, "/", &save); k; k = strtok_r(NULL, "/", &save)) {
        if (k[0] >= '0' && k[0] <= '9') /* an array's member, 1-based */
            used += (size_t)snprintf(xp + used, sizeof(xp) - used, "/*[%s]", k);
        else
            used += (size_t)snprintf(xp + used, sizeof(xp) - used,
                                     "/key[.='%s']/following-sibling::*[1]", k);
        assert_true(used < sizeof(xp));
    }
    return xp;
}

static void
assert_value(struct xq *q, const char *keys, const char *type, const char *text)
{
    char xp[1200];
    FMT(xp, "%s[self::%s]", value_of(keys), type);
    if (text)
        assert_xpath_str(q, xp, text);
    else
        assert_count(q, xp, 1);
}

static void
assert_uuid(struct xq *q, const char *keys)
{
    char xp[1200];
    FMT(xp, "%s[self::string][string-length(.)=36][translate(., '0123456789ABCDEF', '')='----']",
        value_of(keys));
    assert_count(q, xp, 1);
}

/* What every plan's file holds. */
static void
assert_common(struct xq *q, const struct plan *p)
{
    assert_count(q, "/plist[@version='1.0']/dict", 1);
    assert_value(q, "Backend", "string", "QEMU");
    assert_value(q, "ConfigurationVersion", "integer", "4");
    /* The twelve keys UTMQemuConfiguration decodes, nothing else. */
    assert_count(q, "/plist/dict/key", 12);
    assert_value(q, "Information/Name", "string", p->name);
    assert_value(q, "Information/Notes", "string", "a test <appliance> & more");
    assert_value(q, "Information/IconCustom", "false", NULL);
    assert_uuid(q, "Information/UUID");
    assert_value(q, "System/CPU", "string", "default");
    assert_value(q, "System/CPUCount", "integer", "2");
    assert_value(q, "System/MemorySize", "integer", "1024");
    assert_value(q, "QEMU/Hypervisor", "true", NULL);
    assert_value(q, "QEMU/RNGDevice", "true", NULL);
    assert_count(q, value_of("QEMU/AdditionalArguments/1"), 0);
    assert_count(q, "/plist/dict/key[.='Drive']/following-sibling::*[1]/dict", 2);
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        char k[64];
        FMT(k, "Drive/%d/ImageName", i + 1);
        assert_value(q, k, "string", images[i]);
        FMT(k, "Drive/%d/ImageType", i + 1);
        assert_value(q, k, "string", "Disk");
        FMT(k, "Drive/%d/Interface", i + 1);
        assert_value(q, k, "string", "VirtIO");
        FMT(k, "Drive/%d/Identifier", i + 1);
        assert_uuid(q, k);
    }
    assert_value(q, "Serial/1/Mode", "string", "Terminal");
    assert_value(q, "Serial/1/Terminal/Font", "string", "Menlo");
    assert_value(q, "Sharing/DirectoryShareMode", "string", "None");
    assert_count(q, value_of("Sound/1"), 0);
}

/* plistlib, which knows nothing of this program, reads the file. */
static void
assert_plistlib(const char *path)
{
    if (!unit_have("python3"))
        return;
    char cmd[512];
    FMT(cmd,
        "python3 -c 'import plistlib,sys; d=plistlib.load(open(sys.argv[1],\"rb\"));"
        " sys.exit(0 if d[\"ConfigurationVersion\"]==4 and len(d[\"Drive\"])==2 else 1)' '%s'",
        path);
    assert_int_equal(system(cmd), 0);
}

static void
test_x86_64(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text("t", ", firmware: uefi, nics: 2"));
    write_plist(p, "config.plist");
    struct xq q;
    xq_open(&q, "config.plist");
    assert_common(&q, p);
    assert_value(&q, "System/Architecture", "string", "x86_64");
    assert_value(&q, "System/Target", "string", "q35");
    assert_value(&q, "QEMU/UEFIBoot", "true", NULL);
    assert_value(&q, "QEMU/TPMDevice", "true", NULL); /* Secure Boot: the signed shim */
    assert_value(&q, "Display/1/Hardware", "string", "virtio-vga");
    assert_count(&q, "/plist/dict/key[.='Network']/following-sibling::*[1]/dict", 2);
    assert_value(&q, "Network/2/Mode", "string", "Shared");
    assert_value(&q, "Network/2/Hardware", "string", "virtio-net-pci");
    /* Two NICs, two MACs, each locally administered unicast. */
    assert_count(&q,
                 "/plist/dict/key[.='Network']/following-sibling::*[1]/dict/key[.='MacAddress']"
                 "/following-sibling::*[1][string-length(.)=17][substring(., 2, 1)='2' or "
                 "substring(., 2, 1)='6' or substring(., 2, 1)='A' or substring(., 2, 1)='E']",
                 2);
    xq_close(&q);
    assert_plistlib("config.plist");
    unit_assert_golden("config.plist", "tests/data/utm/x86_64.plist", "UTM_UPDATE_GOLDEN");
}

static void
test_aarch64(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text("t", ", arch: aarch64, nics: 1"));
    write_plist(p, "config.plist");
    struct xq q;
    xq_open(&q, "config.plist");
    assert_common(&q, p);
    assert_value(&q, "System/Architecture", "string", "aarch64");
    assert_value(&q, "System/Target", "string", "virt");
    assert_value(&q, "QEMU/UEFIBoot", "true", NULL);
    assert_value(&q, "Display/1/Hardware", "string", "virtio-ramfb");
    assert_value(&q, "Network/1/Hardware", "string", "virtio-net-pci");
    xq_close(&q);
    assert_plistlib("config.plist");
    unit_assert_golden("config.plist", "tests/data/utm/aarch64.plist", "UTM_UPDATE_GOLDEN");
}

/* x86_64 bios only: SeaBIOS, no TPM; no NIC: an empty list. Secure Boot
 * off: no TPM, so UTM boots its EDK2 build without keys. */
static void
test_firmware(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *bios = unit_plan(recipe_text("t", ", firmware: bios, nics: 0"));
    write_plist(bios, "bios.plist");
    struct xq q;
    xq_open(&q, "bios.plist");
    assert_value(&q, "QEMU/UEFIBoot", "false", NULL);
    assert_value(&q, "QEMU/TPMDevice", "false", NULL);
    assert_count(&q, value_of("Network/1"), 0);
    assert_count(&q, value_of("Network"), 1);
    xq_close(&q);

    CLEANUP_PLAN const struct plan *nosb =
        unit_plan(recipe_text("t", ", firmware: uefi, secure_boot: false"));
    write_plist(nosb, "nosb.plist");
    xq_open(&q, "nosb.plist");
    assert_value(&q, "QEMU/UEFIBoot", "true", NULL);
    assert_value(&q, "QEMU/TPMDevice", "false", NULL);
    xq_close(&q);
}

/* The same plan gives the same bytes; another name, other identities. */
static void
test_derived_ids(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *a = unit_plan(recipe_text("t", ""));
    CLEANUP_PLAN const struct plan *b = unit_plan(recipe_text("u", ""));
    write_plist(a, "a1.plist");
    write_plist(a, "a2.plist");
    write_plist(b, "b.plist");
    CLEANUP_FREE char *a1 = unit_slurp("a1.plist", NULL), *a2 = unit_slurp("a2.plist", NULL),
                      *bt = unit_slurp("b.plist", NULL);
    assert_string_equal(a1, a2);
    struct xq qa, qb;
    xq_open(&qa, "a1.plist");
    xq_open(&qb, "b.plist");
    static const char *const ids[] = {"Information/UUID", "Drive/1/Identifier",
                                      "Drive/2/Identifier", "Network/1/MacAddress"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST value_of(ids[i]), qa.ctx);
        assert_non_null(o);
        CLEANUP_FREE char *x = (char *)xmlXPathCastToString(o);
        xmlXPathFreeObject(o);
        assert_true(strlen(x) >= 17);
        print_message("%s: %s\n", ids[i], x);
        char xp[1200];
        FMT(xp, "%s[.='%s']", value_of(ids[i]), x);
        assert_count(&qb, xp, 0);
    }
    xq_close(&qa);
    xq_close(&qb);
}

/* A write that fails says where; mode 0644 when it succeeds. */
static void
test_write_errors(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text("t", ""));
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(export_utm_plist(p, images, "missing/config.plist", &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "while writing UTM configuration 'missing/config.plist'"));
    ab_error_release(&err);
    write_plist(p, "config.plist");
    struct stat st;
    assert_int_equal(stat("config.plist", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x86_64),       cmocka_unit_test(test_aarch64),
        cmocka_unit_test(test_firmware),     cmocka_unit_test(test_derived_ids),
        cmocka_unit_test(test_write_errors),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
