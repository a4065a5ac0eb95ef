/* test_configure_grow.c: the appliance-grow script written for a plan:
 * one call per disk from the plan's growing volume, quoted for sh, and a
 * script that sh reads. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "appliance/cleanup.h"
#include "appliance/configure.h"

/* The script's last lines: the calls, from the comment that heads them. */
static const char *
calls_of(const char *script)
{
    const char *calls = strstr(script, "\n# t 1: one line per disk\n");
    assert_non_null(calls);
    return calls + 1;
}

static const char *
recipe_with(const char *os_disk, const char *app_disk)
{
    static char buf[2048];
    snprintf(buf, sizeof(buf),
             "recipe: 1\nname: t\nversion: '1'\nos: {distro: debian-12}\n"
             "disks:\n  os: %s\n  app: %s\n",
             os_disk, app_disk);
    return buf;
}

static void
test_calls(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe_with(
        "{size: 8GiB, vg: vg-sys, volumes: [{name: root, mount: /, size: 4GiB}, "
        "{name: swap, size: 1GiB, fs: swap}, {name: my-log, mount: /var/log, size: rest}]}",
        "{size: 2GiB, volumes: [{name: data, mount: \"/srv/it's\", size: rest, fs: xfs}]}"));
    CLEANUP_FREE char *script = configure_grow_script(p);
    assert_non_null(script);
    assert_int_equal(strncmp(script, "#!/bin/sh\n", 10), 0);
    assert_string_equal(calls_of(script),
                        "# t 1: one line per disk\n"
                        "grow 'vg-sys' 'my-log' 'ext4' '/var/log' 'vg--sys-my--log'\n"
                        "grow 'vg_app' 'data' 'xfs' '/srv/it'\\''s' 'vg_app-data'\n"
                        "exit $status\n");
    /* As built: OS disk 8GiB, LVM partition 4 from 1346371584 to 1MiB
     * before the end; the application disk's from 1MiB. */
    CLEANUP_FREE char *os = configure_grow_record(&p->disks[PLAN_DISK_OS]);
    CLEANUP_FREE char *app = configure_grow_record(&p->disks[PLAN_DISK_APP]);
    assert_string_equal(os, "16777216 2625536 14149632\n");
    assert_string_equal(app, "4194304 2048 4190208\n");
    plan_free(p);
}

static void
test_calls_not_grown(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(
        recipe_with("{size: 8GiB, grow: false, volumes: [{name: root, mount: /, size: rest}]}",
                    "{size: 2GiB, volumes: [{name: data, mount: /srv, size: 1GiB}, "
                    "{name: swap, size: rest, fs: swap}]}"));
    CLEANUP_FREE char *script = configure_grow_script(p);
    assert_non_null(script);
    assert_string_equal(calls_of(script),
                        "# t 1: one line per disk\n"
                        "say 'vg_os: not grown: '\\''grow: false'\\'''\n"
                        "say 'vg_app: not grown: the volume that takes the rest is swap'\n"
                        "exit $status\n");
    plan_free(p);
}

/* sh -n reads the whole script; the sizes it prints are what it means. */
static void
test_script_shell(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(
        recipe_with("{size: 8GiB, volumes: [{name: root, mount: /, size: rest}]}",
                    "{size: 2GiB, volumes: [{name: data, mount: /srv, size: rest, fs: xfs}]}"));
    CLEANUP_FREE char *script = configure_grow_script(p);
    char path[] = "/tmp/test_configure_grow.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    /* The functions only: everything before the calls. */
    fprintf(f, "%.*s", (int)(calls_of(script) - script), script);
    assert_int_equal(fclose(f), 0);

    char cmd[512];
    snprintf(cmd, sizeof(cmd), "sh -n %s", path);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd),
             "sh -c '. %s; size 1073741824; size 3758096384; size 536870912; size 0; "
             "size 1181116006'",
             path);
    FILE *out = popen(cmd, "r");
    assert_non_null(out);
    char got[256] = "";
    size_t n = fread(got, 1, sizeof(got) - 1, out);
    got[n] = '\0';
    assert_int_equal(pclose(out), 0);
    assert_string_equal(got, "1.0GiB\n3.5GiB\n512MiB\n0MiB\n1.1GiB\n");
    unlink(path);
    plan_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_calls_not_grown),
        cmocka_unit_test(test_script_shell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
