/* test_export_vmx.c: the .vmx of the vmx output.
 *
 * Read back by a small reader of VMware's syntax written here (one
 * `key = "value"` a line, every value quoted, `|XX` escapes, `#` comments;
 * no key twice), then the facts Workstation and Fusion act on: hardware
 * version, guest OS, firmware, CPUs, memory, controller and disks, NICs,
 * per architecture (aarch64: no LSI Logic, e1000e, an arm-* guestOS);
 * golden files in tests/data/vmx/ (VMX_UPDATE_GOLDEN=1 rewrites them). */
#include "unit.h"

#include <ctype.h>

#include "appliance/cleanup.h"
#include "appliance/distro.h"
#include "appliance/export.h"

#define OS_DISK                                                                                    \
    "{size: 10GiB, volumes: [{name: root, mount: /, size: 4GiB}, "                                 \
    "{name: swap, size: 1GiB, fs: swap}, {name: log, mount: /var/log, size: rest}]}"
#define APP_DISK "{size: 2GiB, volumes: [{name: data, mount: /srv, size: rest}]}"

static const char *const test_vmdk[PLAN_N_DISKS] = {"t-1.2.3-os.vmdk", "t-1.2.3-app.vmdk"};

/* A recipe whose hardware mapping holds hardware; extra holds top-level
 * lines (NULL: none). */
static const char *
recipe_text(const char *hardware, const char *extra)
{
    static char buf[4096];
    int n = snprintf(buf, sizeof(buf),
                     "recipe: 1\n"
                     "name: t\n"
                     "version: '1.2.3'\n"
                     "%s"
                     "os: {distro: debian-12}\n"
                     "hardware: {%s}\n"
                     "disks:\n"
                     "  os: " OS_DISK "\n"
                     "  app: " APP_DISK "\n",
                     extra ? extra : "", hardware);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    return buf;
}

static char *
vmx_of(const struct plan *p)
{
    struct ab_error err = AB_ERROR_INIT;
    char *text = NULL;
    int rc = export_vmx_text(p, test_vmdk, &text, &err);
    unit_check_ok(rc, &err);
    assert_non_null(text);
    return text;
}

/* ---- a reader of VMware's configuration syntax ---- */

#define MAX_KEYS 96

struct vmx {
    char *keys[MAX_KEYS];
    char *values[MAX_KEYS]; /* unescaped */
    size_t n;
};

static void
vmx_release(struct vmx *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->keys[i]);
        free(v->values[i]);
    }
}

static int
hex(int c)
{
    return isdigit(c) ? c - '0' : toupper(c) - 'A' + 10;
}

/* One line: blank, a comment, or key = "value" with nothing after it. */
static void
vmx_line(struct vmx *v, const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (!*line || *line == '#')
        return;
    const char *eq = strstr(line, " = \"");
    if (!eq)
        fail_msg("not a key = \"value\" line: '%s'", line);
    char *key = strndup(line, (size_t)(eq - line));
    for (const char *k = key; *k; k++)
        if (!isalnum((unsigned char)*k) && !strchr(".:_", *k))
            fail_msg("key '%s' has a character VMware's keys have not", key);
    const char *p = eq + 4;
    char *value = malloc(strlen(p) + 1), *o = value;
    for (; *p && *p != '"'; p++) {
        if (*p == '|') {
            if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
                fail_msg("a '|' not followed by two hex digits in '%s'", line);
            *o++ = (char)(hex(p[1]) * 16 + hex(p[2]));
            p += 2;
            continue;
        }
        if ((unsigned char)*p < 0x20 || *p == '#')
            fail_msg("an unescaped control character or '#' in '%s'", line);
        *o++ = *p;
    }
    *o = '\0';
    if (*p != '"' || p[1] != '\0')
        fail_msg("the value of '%s' does not end the line with its quote", key);
    for (size_t i = 0; i < v->n; i++)
        if (strcasecmp(v->keys[i], key) == 0) /* VMware's keys ignore case */
            fail_msg("key '%s' twice", key);
    assert_true(v->n < MAX_KEYS);
    v->keys[v->n] = key;
    v->values[v->n++] = value;
}

static void
vmx_read(struct vmx *v, const char *text)
{
    memset(v, 0, sizeof(*v));
    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    CLEANUP_FREE char *copy = strdup(text);
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        vmx_line(v, line);
}

/* The value of key, or NULL. */
static const char *
vmx_get(const struct vmx *v, const char *key)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcasecmp(v->keys[i], key) == 0)
            return v->values[i];
    return NULL;
}

static void
assert_value(const struct vmx *v, const char *key, const char *want)
{
    const char *got = vmx_get(v, key);
    if (!got)
        fail_msg("no key '%s'", key);
    if (strcmp(got, want) != 0)
        fail_msg("%s = \"%s\", want \"%s\"", key, got, want);
}

/* No key begins with prefix. */
static void
assert_no_prefix(const struct vmx *v, const char *prefix)
{
    for (size_t i = 0; i < v->n; i++)
        if (strncasecmp(v->keys[i], prefix, strlen(prefix)) == 0)
            fail_msg("key '%s' (no '%s*' wanted)", v->keys[i], prefix);
}

/* ---- tests ---- */

static void
test_x86_64(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe_text("cpus: 3, memory: 1536MiB, nics: 2", NULL));
    CLEANUP_FREE char *text = vmx_of(p);
    struct vmx v;
    vmx_read(&v, text);
    assert_string_equal(v.keys[0], ".encoding"); /* first, as VMware writes it */
    assert_value(&v, ".encoding", "UTF-8");
    assert_value(&v, "config.version", "8");
    assert_value(&v, "virtualHW.version", "13"); /* the generic target's vmx-13 */
    assert_value(&v, "displayName", "t");
    assert_value(&v, "guestOS", "debian12-64");
    /* bios+uefi: UEFI, and the signed shim boots with Secure Boot. */
    assert_value(&v, "firmware", "efi");
    assert_value(&v, "uefi.secureBoot.enabled", "TRUE");
    assert_value(&v, "numvcpus", "3");
    assert_value(&v, "memsize", "1536");
    assert_value(&v, "scsi0.present", "TRUE");
    assert_value(&v, "scsi0.virtualDev", "lsilogic");
    assert_value(&v, "scsi0:0.fileName", test_vmdk[PLAN_DISK_OS]);
    assert_value(&v, "scsi0:1.fileName", test_vmdk[PLAN_DISK_APP]);
    assert_value(&v, "scsi0:0.present", "TRUE");
    assert_value(&v, "scsi0:1.present", "TRUE");
    for (int i = 0; i < 2; i++) {
        char key[64];
        snprintf(key, sizeof(key), "ethernet%d.virtualDev", i);
        assert_value(&v, key, "vmxnet3");
        snprintf(key, sizeof(key), "ethernet%d.connectionType", i);
        assert_value(&v, key, "nat");
        snprintf(key, sizeof(key), "ethernet%d.addressType", i);
        assert_value(&v, key, "generated");
    }
    assert_no_prefix(&v, "ethernet2");
    assert_no_prefix(&v, "sata");
    assert_no_prefix(&v, "uuid"); /* VMware makes them: copies differ */
    assert_no_prefix(&v, "ethernet0.generatedAddress");
    assert_value(&v, "serial0.fileType", "file");
    vmx_release(&v);
    plan_free(p);
}

static void
test_aarch64(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe_text("arch: aarch64, cpus: 2, memory: 2GiB", NULL));
    CLEANUP_FREE char *text = vmx_of(p);
    /* Fusion on Apple Silicon has no LSI Logic, no IDE, no vmxnet3. */
    assert_null(strcasestr(text, "lsilogic"));
    assert_null(strcasestr(text, "vmxnet3"));
    struct vmx v;
    vmx_read(&v, text);
    assert_value(&v, "virtualHW.version", "20"); /* Fusion 13's, the first for arm64 */
    assert_value(&v, "guestOS", "arm-debian12-64");
    assert_true(strncmp(vmx_get(&v, "guestOS"), "arm-", 4) == 0);
    assert_value(&v, "firmware", "efi");
    assert_value(&v, "uefi.secureBoot.enabled", "TRUE");
    assert_value(&v, "numvcpus", "2");
    assert_value(&v, "memsize", "2048");
    assert_value(&v, "sata0.present", "TRUE");
    assert_value(&v, "sata0:0.fileName", test_vmdk[PLAN_DISK_OS]);
    assert_value(&v, "sata0:1.fileName", test_vmdk[PLAN_DISK_APP]);
    assert_no_prefix(&v, "scsi");
    assert_no_prefix(&v, "ide");
    assert_value(&v, "ethernet0.virtualDev", "e1000e");
    assert_value(&v, "ethernet0.connectionType", "nat");
    assert_value(&v, "ethernet0.addressType", "generated");
    vmx_release(&v);
    plan_free(p);
}

/* A bios-only x86_64 plan: firmware bios, no Secure Boot key; the
 * controllers sata and ide; no NIC. */
static void
test_bios_controllers(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe_text("firmware: bios, controller: ide, nics: 0", NULL));
    CLEANUP_FREE char *text = vmx_of(p);
    struct vmx v;
    vmx_read(&v, text);
    assert_value(&v, "firmware", "bios");
    assert_no_prefix(&v, "uefi.");
    assert_value(&v, "ide0:0.fileName", test_vmdk[PLAN_DISK_OS]);
    assert_value(&v, "ide0:1.fileName", test_vmdk[PLAN_DISK_APP]);
    assert_no_prefix(&v, "scsi");
    assert_no_prefix(&v, "ethernet");
    vmx_release(&v);
    plan_free(p);

    p = unit_plan(recipe_text("firmware: uefi, secure_boot: false, controller: sata", NULL));
    CLEANUP_FREE char *text2 = vmx_of(p);
    vmx_read(&v, text2);
    assert_value(&v, "firmware", "efi");
    assert_value(&v, "uefi.secureBoot.enabled", "FALSE");
    assert_value(&v, "sata0.present", "TRUE");
    assert_value(&v, "sata0:0.fileName", test_vmdk[PLAN_DISK_OS]);
    assert_no_prefix(&v, "scsi");
    assert_null(strstr(text2, "lsilogic"));
    vmx_release(&v);
    plan_free(p);
}

/* The recipe's text reaches the values only escaped, and comes back whole. */
static void
test_escaping(void **state)
{
    (void)state;
    const struct plan *p =
        unit_plan(recipe_text("cpus: 1", "description: \"say \\\"hi\\\" | #1\\ttab\"\n"
                                         "vendor: 'Acme #2'\n"));
    CLEANUP_FREE char *text = vmx_of(p);
    struct vmx v;
    vmx_read(&v, text);
    assert_value(&v, "annotation", "say \"hi\" | #1\ttab\nVendor: Acme #2\nVersion: 1.2.3");
    vmx_release(&v);
    plan_free(p);
}

/* A distribution without an id of its own gets "other Linux" of its
 * architecture; every row has one per architecture, arm-* on aarch64. */
static void
test_guest_os_rows(void **state)
{
    (void)state;
    assert_string_equal(distro_vmx_guest_os(DISTRO_NONE, ARCH_X86_64), "other5xlinux-64");
    assert_string_equal(distro_vmx_guest_os(DISTRO_NONE, ARCH_AARCH64), "arm-other5xlinux-64");
    for (size_t i = 0; i < distro_n_rows; i++) {
        enum distro d = (enum distro)distro_rows[i].key.value;
        const char *x = distro_vmx_guest_os(d, ARCH_X86_64);
        const char *a = distro_vmx_guest_os(d, ARCH_AARCH64);
        assert_non_null(strstr(x, "-64"));
        assert_true(strncmp(x, "arm-", 4) != 0);
        assert_true(strncmp(a, "arm-", 4) == 0);
    }
}

/* Same plan, same bytes; and the golden files. */
static void
test_golden(void **state)
{
    (void)state;
    static const struct {
        const char *name, *hardware;
    } cases[] = {
        {"x86_64", "cpus: 2, memory: 1GiB, nics: 1"},
        {"aarch64", "arch: aarch64, cpus: 2, memory: 1GiB, nics: 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct plan *p = unit_plan(recipe_text(cases[i].hardware, NULL));
        CLEANUP_FREE char *a = vmx_of(p);
        CLEANUP_FREE char *b = vmx_of(p);
        assert_string_equal(a, b);
        char golden[128];
        snprintf(golden, sizeof(golden), "tests/data/vmx/%s.vmx", cases[i].name);
        unit_write_file("got.vmx", a);
        unit_assert_golden("got.vmx", golden, "VMX_UPDATE_GOLDEN");
        plan_free(p);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x86_64),
        cmocka_unit_test(test_aarch64),
        cmocka_unit_test(test_bios_controllers),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_guest_os_rows),
        cmocka_unit_test_setup_teardown(test_golden, unit_enter_tmpdir, unit_leave_tmpdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
