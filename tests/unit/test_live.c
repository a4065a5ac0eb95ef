/* test_live.c: live_begin's refusals against libvirt's in-process test
 * driver (a node file of our own with running and shut-off domains):
 * what can be told before anything is frozen or snapshotted, and that a
 * refusal leaves nothing behind. The freeze, the snapshot and the commit
 * back need a real qemu: tests/slow/live.sh. */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/cleanup.h"
#include "appliance/live.h"

#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

/* One domain NAME in runstate STATE (1 running, 5 shut off) with DISKS
 * (the <disk> elements). */
static void
write_node(const char *name, int state, const char *disks)
{
    char text[8192];
    FMT(text,
        "<node>\n"
        "  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n"
        "    <name>%s</name><memory>65536</memory>\n"
        "    <os><type>hvm</type></os>\n"
        "    <devices>%s</devices>\n"
        "    <test:runstate>%d</test:runstate>\n"
        "  </domain>\n"
        "</node>\n",
        name, disks, state);
    unit_write_file("node.xml", text);
}

static char *
node_uri(void)
{
    static char uri[PATH_MAX + 32];
    snprintf(uri, sizeof(uri), "test://%s/node.xml", unit_tmpdir);
    return uri;
}

static char *
here(const char *name)
{
    static char path[4][PATH_MAX + 64];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, PATH_MAX + 64, "%s/%s", unit_tmpdir, name);
    return p;
}

/* A file-backed disk element, format FMT ("" for none). */
static char *
disk(const char *dev, const char *file, const char *fmt)
{
    static char text[2][1024];
    static int next;
    char *t = text[next++ % 2];
    snprintf(t, 1024,
             "<disk type='file' device='disk'>%s%s%s<source file='%s'/><target dev='%s'/></disk>",
             *fmt ? "<driver name='qemu' type='" : "", fmt, *fmt ? "'/>" : "", here(file), dev);
    return t;
}

/* live_begin on the node's domain: must fail; returns the error text. */
static char *
refused(const char *domain)
{
    mkdir("scratch", 0755);
    struct live_opts o = {node_uri(), domain, false, "scratch", NULL, NULL};
    struct live_session *s = (struct live_session *)&o; /* must be reset */
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(live_begin(&o, &s, &err), -1);
    assert_null(s);
    char *text = unit_error_text(&err);
    ab_error_release(&err);
    /* Nothing left: no XML in scratch, no overlay. */
    assert_int_equal(rmdir("scratch"), 0);
    assert_int_equal(access("os.qcow2.live-overlay.qcow2", F_OK), -1);
    return text;
}

static void
two_disks(const char *os_fmt)
{
    char disks[2048];
    FMT(disks, "%s%s", disk("vda", "os.qcow2", os_fmt), disk("vdb", "app.qcow2", "qcow2"));
    write_node("demo", 1, disks);
    unit_write_file("os.qcow2", "");
    unit_write_file("app.qcow2", "");
}

static void
test_no_domain(void **state)
{
    (void)state;
    two_disks("qcow2");
    CLEANUP_FREE char *e = refused("nope");
    char want[PATH_MAX + 128];
    FMT(want, "appliance: error: no domain 'nope' on '%s'\n", node_uri());
    assert_string_equal(e, want);
}

static void
test_not_running(void **state)
{
    (void)state;
    char disks[2048];
    FMT(disks, "%s", disk("vda", "os.qcow2", "qcow2"));
    write_node("demo", 5, disks);
    CLEANUP_FREE char *e = refused("demo");
    assert_non_null(strstr(e, "domain 'demo' is not running: convert its disks offline"));
}

static void
test_block_device_refused(void **state)
{
    (void)state;
    write_node(
        "demo", 1,
        "<disk type='block' device='disk'><source dev='/dev/sda'/><target dev='vda'/></disk>");
    CLEANUP_FREE char *e = refused("demo");
    assert_string_equal(e, "appliance: error: disk 'vda' of domain 'demo' is not a file (a block "
                           "device or a network volume): --live copies file-backed disks only\n");
}

static void
test_format_refused(void **state)
{
    (void)state;
    two_disks("vmdk");
    CLEANUP_FREE char *e = refused("demo");
    assert_string_equal(e, "appliance: error: disk 'vda' of domain 'demo' is in format 'vmdk': "
                           "--live copies qcow2 and raw disks\n");
}

static void
test_missing_file_refused(void **state)
{
    (void)state;
    two_disks("qcow2");
    unlink("app.qcow2");
    CLEANUP_FREE char *e = refused("demo");
    char want[PATH_MAX + 256];
    FMT(want,
        "appliance: error: disk 'vdb' of domain 'demo' ('%s') cannot be read here: No such file "
        "or directory (--live reads the disks on this machine)\n",
        here("app.qcow2"));
    assert_string_equal(e, want);
}

static void
test_overlay_in_the_way(void **state)
{
    (void)state;
    two_disks("qcow2");
    unit_write_file("app.qcow2.live-overlay.qcow2", "");
    CLEANUP_FREE char *e = refused("demo");
    char want[PATH_MAX + 256];
    FMT(want,
        "appliance: error: '%s.live-overlay.qcow2' exists: a live conversion that did not end? "
        "Remove it once no domain uses it\n",
        here("app.qcow2"));
    assert_string_equal(e, want);
    unlink("app.qcow2.live-overlay.qcow2");
}

static void
test_connect_refused(void **state)
{
    (void)state;
    mkdir("scratch", 0755);
    struct live_opts o = {
        "qemu+unix:///session?socket=/nonexistent/sock", "demo", false, "scratch", NULL, NULL};
    struct live_session *s = NULL;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(live_begin(&o, &s, &err), -1);
    CLEANUP_FREE char *e = unit_error_text(&err);
    ab_error_release(&err);
    assert_non_null(strstr(e, "cannot connect to 'qemu+unix:///session?socket=/nonexistent/sock': "
                              "Failed to connect socket"));
    rmdir("scratch");
}

/* The test driver freezes (it counts filesystems) but cannot make an
 * external snapshot: the failure is libvirt's, and nothing is left. */
static void
test_snapshot_failure_leaves_nothing(void **state)
{
    (void)state;
    two_disks("qcow2");
    CLEANUP_FREE char *e = refused("demo");
    assert_non_null(strstr(e, "appliance: error: cannot take a disk-only snapshot of domain "
                              "'demo': unsupported flags"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_domain),
        cmocka_unit_test(test_not_running),
        cmocka_unit_test(test_block_device_refused),
        cmocka_unit_test(test_format_refused),
        cmocka_unit_test(test_missing_file_refused),
        cmocka_unit_test(test_overlay_in_the_way),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_snapshot_failure_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
