/* test_ovf.c: the OVF descriptor, judged by xmllint against the DMTF
 * schema, by golden files, and by XPath queries of the facts importers
 * read (sizes, OS id, firmware, rasd order, disk-controller links). */
#include "unit.h"
#include "unit_xml.h"

#include <dirent.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/wait.h>


#include "appliance/cleanup.h"
#include "appliance/ovf.h"

#define OS_DISK                                                                                    \
    "{size: 10GiB, volumes: [{name: root, mount: /, size: 4GiB}, "                                 \
    "{name: swap, size: 1GiB, fs: swap}, {name: log, mount: /var/log, size: rest}]}"
/* snprintf into an array, failing the test if it does not fit. */
#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

#define APP_DISK "{size: 2GiB, volumes: [{name: data, mount: /srv, size: rest}]}"

static const struct ovf_disk_file test_disks[2] = {
    {"t-os.vmdk", 123456789, UINT64_C(10) << 30, 987654321},
    {"t-app.vmdk", 4242, UINT64_C(2) << 30, 65536},
};

static const char *
recipe_text(const char *os, const char *firmware, const char *controller, unsigned nics,
            const char *extra)
{
    static char buf[4096];
    int n = snprintf(buf, sizeof(buf),
                     "recipe: 1\n"
                     "name: t\n"
                     "version: '1.2.3'\n"
                     "%s"
                     "os: %s\n"
                     "hardware: {cpus: 2, memory: 1GiB, firmware: %s, controller: %s, nics: %u}\n"
                     "disks:\n"
                     "  os: " OS_DISK "\n"
                     "  app: " APP_DISK "\n",
                     extra ? extra : "", os, firmware, controller, nics);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    return buf;
}

/* The repository's top: $TOP (tests/run-tests), else where we started. */
static const char *
top_dir(void)
{
    const char *top = getenv("TOP");
    return top && *top ? top : unit_oldcwd;
}

/* The DMTF schema ($OVF_SCHEMA_DIR), or the test skipped with the reason. */
static const char *
schema_or_skip(void)
{
    const char *why = NULL;
    const char *xsd = unit_ovf_schema(&why);
    if (!xsd)
        unit_skip("%s", why);
    return xsd;
}

static void
write_ovf(const struct plan *p, const char *path)
{
    struct ab_error err = AB_ERROR_INIT;
    int rc = ovf_write(p, test_disks, path, &err);
    unit_check_ok(rc, &err);
}

/* xmllint with the DMTF schema xsd must say "validates". */
static void
assert_schema_valid(const char *xsd, const char *path)
{
    char cmd[PATH_MAX * 2 + 128];
    snprintf(cmd, sizeof(cmd), "xmllint --noout --nonet --schema '%s' '%s' >xmllint.log 2>&1", xsd,
             path);
    int rc = system(cmd);
    if (rc != 0) {
        char line[1024];
        FILE *f = fopen("xmllint.log", "r");
        while (f && fgets(line, sizeof(line), f))
            print_error("%s", line);
        if (f)
            fclose(f);
    }
    assert_int_equal(rc, 0);
}

/* ---- XPath ---- */

static void
ovf_xq_open(struct xq *q, const char *path)
{
    xq_open(q, path);
    assert_int_equal(xmlXPathRegisterNs(q->ctx, BAD_CAST "ovf", BAD_CAST OVF_NS), 0);
    assert_int_equal(xmlXPathRegisterNs(q->ctx, BAD_CAST "rasd", BAD_CAST OVF_NS_RASD), 0);
    assert_int_equal(xmlXPathRegisterNs(q->ctx, BAD_CAST "vssd", BAD_CAST OVF_NS_VSSD), 0);
    assert_int_equal(xmlXPathRegisterNs(q->ctx, BAD_CAST "vmw", BAD_CAST OVF_NS_VMW), 0);
}

/* Every Item's rasd children in the schema's (alphabetical) order, and
 * nothing but rasd children. */
static void
assert_rasd_order(struct xq *q)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST "//ovf:Item", q->ctx);
    assert_non_null(o);
    assert_non_null(o->nodesetval);
    assert_true(o->nodesetval->nodeNr >= 5);
    for (int i = 0; i < o->nodesetval->nodeNr; i++) {
        const xmlChar *prev = NULL;
        for (xmlNodePtr c = o->nodesetval->nodeTab[i]->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE)
                continue;
            assert_non_null(c->ns);
            assert_string_equal((const char *)c->ns->href, OVF_NS_RASD);
            if (prev && strcmp((const char *)prev, (const char *)c->name) >= 0)
                print_error("'%s' after '%s'\n", (const char *)c->name, (const char *)prev);
            assert_true(!prev || strcmp((const char *)prev, (const char *)c->name) < 0);
            prev = c->name;
        }
    }
    xmlXPathFreeObject(o);
}

static void
assert_facts(const char *path, const struct plan *p)
{
    static const unsigned controller_type[] = {6, 20, 5};
    struct xq q;
    ovf_xq_open(&q, path);

    for (int i = 0; i < 2; i++) {
        char e[512];
        snprintf(e, sizeof(e), "/ovf:Envelope/ovf:References/ovf:File[%d]/@ovf:size", i + 1);
        assert_xpath_u64(&q, e, test_disks[i].size);
        snprintf(e, sizeof(e), "/ovf:Envelope/ovf:References/ovf:File[%d]/@ovf:href", i + 1);
        assert_xpath_str(&q, e, test_disks[i].href);
        /* byte * 2^N, N as large as divides the size: 2^30 for whole GiB. */
        char units[32];
        uint64_t quantity;
        ovf_capacity_units(test_disks[i].capacity, &quantity, units, sizeof(units));
        assert_string_equal(units, "byte * 2^30");
        assert_int_equal(quantity << 30, test_disks[i].capacity);
        snprintf(e, sizeof(e),
                 "/ovf:Envelope/ovf:DiskSection/ovf:Disk[@ovf:diskId='vmdisk%d']"
                 "[@ovf:fileRef='file%d']/@ovf:capacity",
                 i + 1, i + 1);
        assert_xpath_u64(&q, e, quantity);
        snprintf(e, sizeof(e), "/ovf:Envelope/ovf:DiskSection/ovf:Disk[%d]/@ovf:populatedSize",
                 i + 1);
        assert_xpath_u64(&q, e, test_disks[i].populated_size);
        snprintf(e, sizeof(e),
                 "/ovf:Envelope/ovf:DiskSection/ovf:Disk[%d]"
                 "[@ovf:capacityAllocationUnits='byte * 2^30']/@ovf:format",
                 i + 1);
        assert_xpath_str(&q, e, OVF_FORMAT_STREAM_OPTIMIZED);

        /* Disk Item i: on the controller, at address i, backed by vmdisk(i+1). */
        char item[256], want[32];
        snprintf(item, sizeof(item),
                 "//ovf:Item[rasd:ResourceType=17][rasd:HostResource="
                 "'ovf:/disk/vmdisk%d']",
                 i + 1);
        assert_count(&q, item, 1);
        FMT(e, "string(%s/rasd:AddressOnParent)", item);
        snprintf(want, sizeof(want), "%d", i);
        assert_xpath_str(&q, e, want);
        FMT(e, "%s[rasd:Parent = //ovf:Item[rasd:ResourceType=%u]/rasd:InstanceID]", item,
            controller_type[p->hardware.controller]);
        assert_count(&q, e, 1);
    }
    assert_count(&q,
                 "//ovf:Item[rasd:ResourceType=5 or rasd:ResourceType=6 or "
                 "rasd:ResourceType=20]",
                 1);
    assert_count(&q, "//ovf:Item/rasd:InstanceID[. = preceding::rasd:InstanceID]", 0);

    /* UEFI-only: EFI, and Secure Boot when the image boots the signed shim. */
    bool efi = p->hardware.firmware == FIRMWARE_UEFI, sb = efi && p->hardware.secure_boot;
    assert_count(&q, "//vmw:Config", efi + sb);
    assert_count(&q,
                 "/ovf:Envelope/ovf:VirtualSystem/ovf:VirtualHardwareSection/vmw:Config"
                 "[@ovf:required='false'][@vmw:key='firmware'][@vmw:value='efi']",
                 efi);
    assert_count(&q,
                 "/ovf:Envelope/ovf:VirtualSystem/ovf:VirtualHardwareSection/vmw:Config"
                 "[@ovf:required='false'][@vmw:key='uefi.secureBoot.enabled'][@vmw:value='true']"
                 "[not(following-sibling::*)]",
                 sb);
    assert_count(&q, "//vmw:Config[@vmw:key='firmware'][not(following-sibling::*)]", efi && !sb);

    unsigned nics = p->hardware.nics;
    char e[512];
    assert_count(&q, "/ovf:Envelope/ovf:NetworkSection", nics > 0);
    FMT(e,
        "//ovf:Item[rasd:ResourceType=10][rasd:ResourceSubType='%s']"
        "[rasd:Connection = /ovf:Envelope/ovf:NetworkSection/ovf:Network/@ovf:name]",
        p->ova.nic);
    assert_count(&q, e, nics);
    if (p->ova.controller) {
        FMT(e, "//ovf:Item[rasd:ResourceType=%u][rasd:ResourceSubType='%s']",
            controller_type[p->hardware.controller], p->ova.controller);
        assert_count(&q, e, 1);
    }
    assert_xpath_u64(&q, "//ovf:Item[rasd:ResourceType=3]/rasd:VirtualQuantity", 2);
    assert_xpath_u64(&q,
                     "//ovf:Item[rasd:ResourceType=4][rasd:AllocationUnits='byte * 2^20']"
                     "/rasd:VirtualQuantity",
                     1024);
    assert_xpath_str(&q, "//vssd:VirtualSystemType", p->hardware_family);
    assert_xpath_str(&q, "/ovf:Envelope/ovf:VirtualSystem/@ovf:id", p->name);
    assert_xpath_u64(&q, "//ovf:OperatingSystemSection/@ovf:id", ovf_os_id(p));
    assert_xpath_str(&q, "//ovf:OperatingSystemSection/@vmw:osType", ovf_vmw_os_type(p));
    assert_rasd_order(&q);
    xq_close(&q);
}

/* No "t.ovf.tmpXXXXXX" left behind in the current folder. */
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

static void
test_matrix(void **state)
{
    (void)state;
    static const char *const controllers[] = {"scsi", "sata", "ide"};
    static const char *const firmwares[] = {"bios", "uefi", "bios+uefi",
                                            "uefi, secure_boot: false"};
    static const unsigned nics[] = {0, 1, 4};
    for (size_t c = 0; c < 3; c++)
        for (size_t f = 0; f < 4; f++)
            for (size_t n = 0; n < 3; n++) {
                CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text(
                    "{distro: debian-12}", firmwares[f], controllers[c], nics[n], NULL));
                print_message("%s %s nics=%u\n", controllers[c], firmwares[f], nics[n]);
                write_ovf(p, "t.ovf");
                assert_facts("t.ovf", p);
            }
    assert_no_temp_files();
}

static void
test_os_ids(void **state)
{
    (void)state;
    static const struct {
        const char *os;
        unsigned id;
        const char *os_type;
    } cases[] = {
        /* The generic target's: the guest IDs vSphere 6.5 knows. */
        {"{distro: debian-12}", 96, "debian10_64Guest"},
        {"{distro: ubuntu-24.04}", 94, "ubuntu64Guest"},
        {"{distro: centos-stream-9}", 107, "centos7_64Guest"},
        {"{distro: rocky-9}", 80, "rhel7_64Guest"},
        {"{distro: almalinux-9}", 80, "rhel7_64Guest"},
        {"{rootfs: root.tar}", 101, "other3xLinux64Guest"},
    };
    unit_write_file("root.tar", "");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CLEANUP_PLAN const struct plan *p =
            unit_plan(recipe_text(cases[i].os, "bios", "scsi", 1, NULL));
        assert_int_equal(ovf_os_id(p), cases[i].id);
        assert_string_equal(ovf_vmw_os_type(p), cases[i].os_type);
        write_ovf(p, "t.ovf");
        assert_facts("t.ovf", p);
    }
}

/* Text is escaped by libxml2, not pasted: it reads back as written. */
static void
test_product_escaped(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        unit_plan(recipe_text("{distro: debian-12}", "bios", "scsi", 1,
                              "description: 'a <b> & \"c\" ]]> d'\nvendor: 'V&V'\n"));
    write_ovf(p, "t.ovf");
    struct xq q;
    ovf_xq_open(&q, "t.ovf");
    assert_xpath_str(&q, "//ovf:ProductSection/ovf:Product", "a <b> & \"c\" ]]> d");
    assert_xpath_str(&q, "//ovf:ProductSection/ovf:Vendor", "V&V");
    assert_xpath_str(&q, "//ovf:ProductSection/ovf:Version", "1.2.3");
    assert_xpath_str(&q, "//ovf:ProductSection/ovf:FullVersion", "1.2.3");
    xq_close(&q);

    /* Without a description the product is the name; without a vendor, none. */
    CLEANUP_PLAN const struct plan *p2 =
        unit_plan(recipe_text("{distro: debian-12}", "bios", "scsi", 1, NULL));
    write_ovf(p2, "t.ovf");
    ovf_xq_open(&q, "t.ovf");
    assert_xpath_str(&q, "//ovf:ProductSection/ovf:Product", "t");
    assert_count(&q, "//ovf:ProductSection/ovf:Vendor", 0);
    xq_close(&q);
}

/* The product's and vendor's web pages in ProductSection, the license in
 * an EulaSection (which VMware and VirtualBox show on import): escaped,
 * in the schema's order, valid against it. */
static void
test_urls_eula(void **state)
{
    (void)state;
    unit_write_file("LICENSE.txt",
                    "You may <use> it & \"share\" it.\n\tUnicode: \xc3\xa9\xe2\x82\xac\n");
    CLEANUP_PLAN const struct plan *p =
        unit_plan(recipe_text("{distro: debian-12}", "uefi", "scsi", 1,
                              "vendor: V\nproduct_url: 'https://example.com/p?a=1&b=2'\n"
                              "vendor_url: 'http://example.com/'\nova: {eula: LICENSE.txt}\n"));
    write_ovf(p, "t.ovf");
    struct xq q;
    ovf_xq_open(&q, "t.ovf");
    assert_xpath_str(&q, "//ovf:ProductSection/ovf:ProductUrl", "https://example.com/p?a=1&b=2");
    assert_xpath_str(&q, "//ovf:ProductSection/ovf:VendorUrl", "http://example.com/");
    assert_count(&q, "//ovf:ProductSection/ovf:FullVersion/following-sibling::ovf:ProductUrl", 1);
    assert_xpath_str(&q, "//ovf:EulaSection/ovf:License",
                     "You may <use> it & \"share\" it.\n\tUnicode: \xc3\xa9\xe2\x82\xac\n");
    assert_count(&q, "//ovf:EulaSection/ovf:Info", 1);
    assert_count(&q, "//ovf:ProductSection/following-sibling::*[1][self::ovf:EulaSection]", 1);
    xq_close(&q);
    const char *why = NULL, *xsd = unit_ovf_schema(&why);
    if (xsd)
        assert_schema_valid(xsd, "t.ovf");
    else
        print_message("not checked against the schema: %s\n", why);

    /* Without them, neither the elements nor the section. */
    CLEANUP_PLAN const struct plan *p2 =
        unit_plan(recipe_text("{distro: debian-12}", "uefi", "scsi", 1, NULL));
    write_ovf(p2, "t.ovf");
    ovf_xq_open(&q, "t.ovf");
    assert_count(&q, "//ovf:ProductUrl", 0);
    assert_count(&q, "//ovf:VendorUrl", 0);
    assert_count(&q, "//ovf:EulaSection", 0);
    xq_close(&q);
}

/* A license that is not there, not UTF-8 text or outside the recipe's
 * folder, and a URL that is not a web page's: recipe errors at the key. */
static void
test_urls_eula_refused(void **state)
{
    (void)state;
    unit_write_file("binary.txt", "ok\x01no");
    unit_write_file("latin1.txt", "caf\xe9");
    static const struct {
        const char *extra, *want;
    } cases[] = {
        {"ova: {eula: missing.txt}\n", "eula 'missing.txt' not found: the recipe's folder '.' has no 'missing.txt'"},
        {"ova: {eula: binary.txt}\n", "eula 'binary.txt' is not UTF-8 text (byte 3)"},
        {"ova: {eula: latin1.txt}\n", "eula 'latin1.txt' is not UTF-8 text (byte 4)"},
        {"ova: {eula: ../x.txt}\n", "eula path"},
        {"product_url: 'ftp://x'\n", "must be an http:// or https:// address"},
        {"vendor_url: 'https://a b'\n", "must not contain white space"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int status = 0;
        CLEANUP_FREE char *msg = unit_plan_errors(
            recipe_text("{distro: debian-12}", "uefi", "scsi", 1, cases[i].extra), &status);
        print_message("%s", msg);
        assert_non_null(strstr(msg, cases[i].want));
        assert_int_equal(status, 3);
    }
}

/* Byte-for-byte against tests/data/ovf/NAME.ovf; OVF_UPDATE_GOLDEN=1
 * rewrites the golden instead. extra is more of the recipe. */
static void
assert_golden(const char *name, const char *firmware, const char *controller, unsigned nics,
              const char *extra)
{
    char text[512];
    FMT(text, "description: 'a test appliance'\nvendor: 'appliance project'\n%s", extra);
    CLEANUP_PLAN const struct plan *p =
        unit_plan(recipe_text("{distro: debian-12}", firmware, controller, nics, text));
    write_ovf(p, "t.ovf");
    char golden[PATH_MAX];
    FMT(golden, "%s/tests/data/ovf/%s.ovf", top_dir(), name);
    CLEANUP_FREE char *got = unit_slurp("t.ovf", NULL);
    assert_non_null(got);
    const char *update = getenv("OVF_UPDATE_GOLDEN");
    if (update && strcmp(update, "1") == 0) {
        FILE *f = fopen(golden, "w");
        assert_non_null(f);
        assert_true(fputs(got, f) >= 0);
        assert_int_equal(fclose(f), 0);
    }
    CLEANUP_FREE char *want = unit_slurp(golden, NULL);
    if (!want)
        print_error("no golden file '%s' (OVF_UPDATE_GOLDEN=1 writes it)\n", golden);
    assert_non_null(want);
    assert_string_equal(got, want);
}

static void
test_golden(void **state)
{
    (void)state;
    assert_golden("scsi-bios+uefi", "bios+uefi", "scsi", 1, "");
    /* With the web pages and a license: the new elements and section. */
    unit_write_file("EULA.txt", "Licensed to you under the terms at https://example.com/eula.\n");
    assert_golden("sata-uefi", "uefi", "sata", 2,
                  "product_url: 'https://example.com/appliance'\n"
                  "vendor_url: 'https://example.com/'\nova: {eula: EULA.txt}\n");
}

/* A failed write reports the system's error with context and leaves
 * neither a temporary file nor a partial descriptor. */
static void
test_write_errors(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p =
        unit_plan(recipe_text("{distro: debian-12}", "bios", "scsi", 1, NULL));
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(ovf_write(p, test_disks, "missing/t.ovf", &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "while writing OVF descriptor 'missing/t.ovf': cannot create "
                                "'missing/t.ovf.tmp"));
    assert_non_null(strstr(msg, "No such file or directory"));
    assert_int_equal(ab_error_exit_status(&err), 1);
    ab_error_release(&err);

    /* The target is a folder: rename fails, the temporary file goes. */
    assert_int_equal(mkdir("dir.ovf", 0755), 0);
    assert_int_equal(mkdir("dir.ovf/x", 0755), 0);
    assert_int_equal(ovf_write(p, test_disks, "dir.ovf", &err), -1);
    CLEANUP_FREE char *msg2 = unit_error_text(&err);
    assert_non_null(strstr(msg2, "cannot rename"));
    ab_error_release(&err);
    assert_int_equal(rmdir("dir.ovf/x"), 0);
    assert_int_equal(rmdir("dir.ovf"), 0);
    assert_no_temp_files();

    /* Replacing a descriptor is atomic: the new one, mode 0644. */
    unit_write_file("t.ovf", "old");
    write_ovf(p, "t.ovf");
    struct stat st;
    assert_int_equal(stat("t.ovf", &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    CLEANUP_FREE char *text = unit_slurp("t.ovf", NULL);
    assert_non_null(strstr(text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Envelope"));
    assert_no_temp_files();
}

/* The judge itself: xmllint refuses a descriptor whose DiskSection comes
 * after VirtualSystem, so the passing checks above mean something. */
static void
test_schema_judges(void **state)
{
    (void)state;
    const char *xsd = schema_or_skip();
    unit_write_file("bad.ovf", "<?xml version=\"1.0\"?>\n"
                               "<Envelope xmlns=\"" OVF_NS "\" xmlns:ovf=\"" OVF_NS "\">\n"
                               "<References/><VirtualSystem ovf:id=\"t\"><Info>i</Info>"
                               "</VirtualSystem><DiskSection><Info>d</Info></DiskSection>"
                               "</Envelope>\n");
    char cmd[PATH_MAX + 128];
    FMT(cmd, "xmllint --noout --nonet --schema '%s' bad.ovf >/dev/null 2>&1", xsd);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 3);
}

/* Every descriptor the tests above write validates against the DMTF
 * schema: each controller, firmware and NIC count, each OS id, escaped
 * product text, the goldens' description and vendor. Skipped (the other
 * tests still judge) when $OVF_SCHEMA_DIR does not hold the schema. */
static void
test_schema_valid(void **state)
{
    (void)state;
    const char *xsd = schema_or_skip();
    static const char *const controllers[] = {"scsi", "sata", "ide"};
    static const char *const firmwares[] = {"bios", "uefi", "bios+uefi"};
    static const unsigned nics[] = {0, 1, 4};
    for (size_t c = 0; c < 3; c++)
        for (size_t f = 0; f < 3; f++)
            for (size_t n = 0; n < 3; n++) {
                CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text(
                    "{distro: debian-12}", firmwares[f], controllers[c], nics[n], NULL));
                write_ovf(p, "t.ovf");
                assert_schema_valid(xsd, "t.ovf");
            }
    static const char *const oses[] = {"{distro: ubuntu-24.04}", "{distro: centos-stream-9}",
                                       "{distro: rocky-9}", "{distro: almalinux-9}",
                                       "{rootfs: root.tar}"};
    unit_write_file("root.tar", "");
    for (size_t i = 0; i < sizeof(oses) / sizeof(oses[0]); i++) {
        CLEANUP_PLAN const struct plan *p = unit_plan(recipe_text(oses[i], "bios", "scsi", 1, NULL));
        write_ovf(p, "t.ovf");
        assert_schema_valid(xsd, "t.ovf");
    }
    static const char *const extras[] = {
        "description: 'a <b> & \"c\" ]]> d'\nvendor: 'V&V'\n",
        "description: 'a test appliance'\nvendor: 'appliance project'\n",
    };
    for (size_t i = 0; i < 2; i++) {
        CLEANUP_PLAN const struct plan *p =
            unit_plan(recipe_text("{distro: debian-12}", "uefi", "sata", 2, extras[i]));
        write_ovf(p, "t.ovf");
        assert_schema_valid(xsd, "t.ovf");
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_judges), cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_os_ids),        cmocka_unit_test(test_product_escaped),
        cmocka_unit_test(test_urls_eula),     cmocka_unit_test(test_urls_eula_refused),
        cmocka_unit_test(test_golden),        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_schema_valid),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
