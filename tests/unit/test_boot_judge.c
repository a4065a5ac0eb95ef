/* test_boot_judge.c: the plan read back from a build report, and console
 * logs judged against it: what passes, and each way a boot can be wrong. */
#include "unit.h"

#include <json-c/json.h>

#include "appliance/boot_judge.h"
#include "appliance/cleanup.h"

/* Names with '-' in both a VG and an LV: device-mapper doubles them. */
static const char recipe[] = "recipe: 1\n"
                             "name: judged\n"
                             "version: \"2.1\"\n"
                             "os:\n"
                             "  distro: debian-12\n"
                             "hardware:\n"
                             "  cpus: 2\n"
                             "  memory: 1536MiB\n"
                             "  firmware: bios+uefi\n"
                             "  controller: sata\n"
                             "  nics: 2\n"
                             "disks:\n"
                             "  os:\n"
                             "    size: 6GiB\n"
                             "    volumes:\n"
                             "      - { name: root, mount: /, size: 3GiB }\n"
                             "      - { name: swap, size: 512MiB, fs: swap }\n"
                             "      - { name: log, mount: /var/log, size: rest }\n"
                             "  app:\n"
                             "    size: 2GiB\n"
                             "    vg: app-vg\n"
                             "    volumes:\n"
                             "      - { name: app-cache, mount: /var/cache/app, size: 256MiB }\n"
                             "      - { name: data, mount: /srv/data, size: rest, fs: xfs }\n";

/* What the guest prints when all is well, with the console's noise: CRs,
 * colours, systemd lines in between, one line through the journal. */
static const char good_console[] =
    "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n"
    "[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)\r\n"
    "[\033[0;32m  OK  \033[0m] Reached target \033[0;1;39mlocal-fs.target\033[0m.\r\n"
    "APPLIANCE-REPORT-BEGIN judged 2.1\r\n"
    "mount / /dev/mapper/vg_os-root ext4\r\n"
    "mount /srv/data /dev/mapper/app--vg-data xfs\r\n"
    "         Starting \033[0;1;39msystemd-logind.service\033[0m...\r\r\n"
    "mount /var/log /dev/mapper/vg_os-log ext4\r\n"
    "[   47.9] console-report[412]: mount /var/cache/app /dev/mapper/app--vg-app--cache ext4\r\n"
    "mount /boot /dev/sda3 ext4\r\n"
    "mount /boot/efi /dev/sda2 vfat\r\n"
    "swap /dev/mapper/vg_os-swap\r\n"
    "lv app-vg/app-cache\r\n"
    "lv app-vg/data\r\n"
    "lv vg_os/log\r\n"
    "lv vg_os/root\r\n"
    "lv vg_os/swap\r\n"
    "APPLIANCE-REPORT-END\r\n"
    "\r\n"
    "Debian GNU/Linux 12 judged ttyS0\r\n"
    "\r\n"
    "judged login: ";

static char *report_text;

static int
setup(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *p = unit_plan(recipe);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string("judged"));
    json_object_object_add(o, "plan", plan_json_object(p));
    report_text = strdup(json_object_to_json_string(o));
    json_object_put(o);
    return report_text ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    free(report_text);
    return 0;
}

static void
load(struct boot_expect *e)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(boot_expect_parse(e, report_text, "build-report.json", &err), 0);
    assert_false(ab_error_is_set(&err));
}

/* The console with one substring replaced (with "" to remove a line). */
static char *
console_with(const char *from, const char *to)
{
    const char *at = strstr(good_console, from);
    assert_non_null(at);
    char *s = NULL;
    assert_true(asprintf(&s, "%.*s%s%s", (int)(at - good_console), good_console, to,
                         at + strlen(from)) > 0);
    return s;
}

/* Judges text; returns the reasons joined by '\n' (to free), "" if passed. */
static char *
judge(const char *text, struct boot_verdict *out)
{
    struct boot_expect e;
    struct boot_verdict v;
    struct ab_error err = AB_ERROR_INIT;
    load(&e);
    assert_int_equal(boot_judge(&e, text, strlen(text), &v, &err), 0);
    char *joined = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&joined, &len);
    assert_non_null(f);
    for (size_t i = 0; i < v.n_reasons; i++)
        fprintf(f, "%s%s", i ? "\n" : "", v.reasons[i]);
    assert_int_equal(fclose(f), 0);
    if (out)
        *out = v;
    else
        boot_verdict_release(&v);
    boot_expect_release(&e);
    return joined;
}

static void
test_expect_from_report(void **state)
{
    (void)state;
    struct boot_expect e;
    load(&e);
    assert_string_equal(e.name, "judged");
    assert_string_equal(e.version, "2.1");
    assert_int_equal(e.firmware, FIRMWARE_BOTH);
    assert_true(e.secure_boot); /* UEFI and a distribution: on by default */
    assert_int_equal(e.controller, CONTROLLER_SATA);
    assert_int_equal(e.cpus, 2);
    assert_int_equal(e.nics, 2);
    assert_int_equal(e.memory, 1536ull << 20);
    assert_int_equal(e.n_mounts, 6);
    assert_int_equal(e.n_lvs, 5);
    bool cache = false, boot = false;
    for (size_t i = 0; i < e.n_mounts; i++) {
        if (strcmp(e.mounts[i].path, "/var/cache/app") == 0) {
            assert_string_equal(e.mounts[i].device, "/dev/mapper/app--vg-app--cache");
            assert_string_equal(e.mounts[i].disk, "app");
            cache = true;
        }
        if (strcmp(e.mounts[i].path, "/boot") == 0) {
            assert_null(e.mounts[i].device);
            assert_int_equal(e.mounts[i].partition, 3);
            boot = true;
        }
    }
    assert_true(cache && boot);
    size_t swaps = 0;
    for (size_t i = 0; i < e.n_lvs; i++)
        swaps += e.lvs[i].swap;
    assert_int_equal(swaps, 1);
    boot_expect_release(&e);
    boot_expect_release(&e); /* twice: harmless */
}

static void
test_expect_refuses_bad_reports(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"{", "appliance: error: 'r.json' is not JSON: unexpected end of data\n"},
        {"{\"name\": \"x\"}",
         "appliance: error: 'r.json' has no \"plan\" (written by an older appliance?)\n"},
        {"{\"plan\": {\"name\": \"x\"}}", "appliance: error: 'r.json' does not hold a valid "
                                          "plan: no name, version, hardware, disks or mounts\n"},
        {"{\"plan\": {\"name\": \"x\", \"version\": \"1\", \"disks\": [], \"mounts\": [],"
         " \"hardware\": {\"firmware\": \"coreboot\"}}}",
         "appliance: error: 'r.json' does not hold a valid plan: hardware.firmware is not "
         "bios, uefi or bios+uefi\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct boot_expect e;
        struct ab_error err = AB_ERROR_INIT;
        assert_int_equal(boot_expect_parse(&e, cases[i].text, "r.json", &err), -1);
        CLEANUP_FREE char *msg = unit_error_text(&err);
        assert_string_equal(msg, cases[i].msg);
        assert_int_equal(ab_error_exit_status(&err), 1);
        ab_error_release(&err);
    }
}

static void
test_expect_load_missing_file(void **state)
{
    (void)state;
    struct boot_expect e;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(boot_expect_load(&e, "no-such-dir/build-report.json", &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: cannot read 'no-such-dir/build-report.json': "
                             "No such file or directory\n");
    ab_error_release(&err);
}

static void
test_mapper_name(void **state)
{
    (void)state;
    CLEANUP_FREE char *a = boot_mapper_name("vg_app", "data");
    CLEANUP_FREE char *b = boot_mapper_name("app-vg", "app-cache");
    CLEANUP_FREE char *c = boot_mapper_name("a--b", "-");
    assert_string_equal(a, "/dev/mapper/vg_app-data");
    assert_string_equal(b, "/dev/mapper/app--vg-app--cache");
    assert_string_equal(c, "/dev/mapper/a----b---");
}

static void
test_scan(void **state)
{
    (void)state;
    const char *g = good_console;
    assert_int_equal(boot_console_scan(g, strlen(g)),
                     BOOT_SEEN_KERNEL | BOOT_SEEN_REPORT | BOOT_SEEN_LOGIN);
    assert_int_equal(boot_console_scan("SeaBIOS", 7), 0);
    const char *half = strstr(g, "lv vg_os/log");
    assert_int_equal(boot_console_scan(g, (size_t)(half - g)), BOOT_SEEN_KERNEL);
    static const char emergency[] = "You are in emergency mode. After logging in, type";
    assert_int_equal(boot_console_scan(emergency, strlen(emergency)), BOOT_SEEN_EMERGENCY);
    static const char panic[] = "Kernel panic - not syncing: VFS: Unable to mount root fs";
    assert_int_equal(boot_console_scan(panic, strlen(panic)), BOOT_SEEN_PANIC);
}

static void
test_good_boot_passes(void **state)
{
    (void)state;
    struct boot_verdict v;
    CLEANUP_FREE char *r = judge(good_console, &v);
    assert_string_equal(r, "");
    assert_int_equal(v.n_mounts, 6);
    assert_int_equal(v.n_swaps, 1);
    assert_int_equal(v.n_lvs, 5);
    assert_int_equal(v.secure_boot, BOOT_SB_UNKNOWN); /* the kernel said nothing of it */
    boot_verdict_release(&v);
}

/* What the kernel said of Secure Boot: its own line, the last one. */
static void
test_secure_boot_said(void **state)
{
    (void)state;
    static const char on[] =
        "[    0.000000] Kernel is locked down from EFI Secure Boot; see man "
        "kernel_lockdown.7\r\n[    0.000000] secureboot: Secure boot enabled\r\n";
    static const char off[] = "[    0.000000] secureboot: Secure boot disabled\r\n";
    static const char unknown[] =
        "[    0.000000] secureboot: Secure boot could not be determined\n";
    assert_int_equal(boot_console_secure_boot(on, strlen(on)), BOOT_SB_ON);
    assert_int_equal(boot_console_secure_boot(off, strlen(off)), BOOT_SB_OFF);
    assert_int_equal(boot_console_secure_boot(unknown, strlen(unknown)), BOOT_SB_OFF);
    assert_int_equal(boot_console_secure_boot("SeaBIOS", 7), BOOT_SB_UNKNOWN);
    /* Cut in the middle of the word: not a claim either way. */
    assert_int_equal(boot_console_secure_boot(on, strlen(on) - 4), BOOT_SB_UNKNOWN);
    /* EFI stub's own "UEFI Secure Boot is enabled." is not the kernel's verdict. */
    static const char stub[] = "EFI stub: UEFI Secure Boot is enabled.\n";
    assert_int_equal(boot_console_secure_boot(stub, strlen(stub)), BOOT_SB_UNKNOWN);
    /* A kexec'd second kernel's word is the last. */
    CLEANUP_FREE char *both = NULL;
    assert_true(asprintf(&both, "%s%s", on, off) > 0);
    assert_int_equal(boot_console_secure_boot(both, strlen(both)), BOOT_SB_OFF);
    /* boot_judge reports it with the rest. */
    CLEANUP_FREE char *log = NULL;
    assert_true(asprintf(&log, "%s%s", on, good_console) > 0);
    struct boot_verdict v;
    CLEANUP_FREE char *r = judge(log, &v);
    assert_string_equal(r, "");
    assert_int_equal(v.secure_boot, BOOT_SB_ON);
    boot_verdict_release(&v);
}

/* The last complete report counts (a reboot prints two). */
static void
test_last_report_counts(void **state)
{
    (void)state;
    CLEANUP_FREE char *twice = NULL;
    assert_true(asprintf(&twice,
                         "APPLIANCE-REPORT-BEGIN judged 2.1\nlv vg_os/root\n"
                         "APPLIANCE-REPORT-END\n%s",
                         good_console) > 0);
    CLEANUP_FREE char *r = judge(twice, NULL);
    assert_string_equal(r, "");
}

/* The plan claims a mount that the guest does not have. */
static void
test_missing_mount(void **state)
{
    (void)state;
    CLEANUP_FREE char *text = console_with("mount /srv/data /dev/mapper/app--vg-data xfs\r\n", "");
    CLEANUP_FREE char *r = judge(text, NULL);
    assert_string_equal(r, "/srv/data is not mounted (plan: xfs from /dev/mapper/app--vg-data)");
}

/* The application disk's VG under another name: every mount and LV of it. */
static void
test_renamed_vg(void **state)
{
    (void)state;
    char *text = strdup(good_console);
    for (char *at; (at = strstr(text, "app--vg"));)
        memcpy(at, "app__vg", 7);
    for (char *at; (at = strstr(text, "app-vg/"));)
        memcpy(at, "app_vg/", 7);
    CLEANUP_FREE char *r = judge(text, NULL);
    free(text);
    assert_string_equal(r, "/srv/data is mounted from /dev/mapper/app__vg-data, the plan says "
                           "/dev/mapper/app--vg-data\n"
                           "/var/cache/app is mounted from /dev/mapper/app__vg-app--cache, the "
                           "plan says /dev/mapper/app--vg-app--cache\n"
                           "LV app-vg/app-cache is not active\n"
                           "LV app-vg/data is not active\n"
                           "LV app_vg/app-cache is active, which the plan does not have\n"
                           "LV app_vg/data is active, which the plan does not have");
}

static void
test_wrong_fs_partition_and_extra_mount(void **state)
{
    (void)state;
    CLEANUP_FREE char *a = console_with("mount /boot /dev/sda3 ext4", "mount /boot /dev/sdb1 xfs");
    CLEANUP_FREE char *b = console_with("mount /boot/efi /dev/sda2 vfat\r\n",
                                        "mount /boot/efi /dev/nvme0n1p2 vfat\r\n"
                                        "mount /mnt/usb /dev/sdc1 vfat\r\n"
                                        "mount /var/log /dev/mapper/vg_os-log ext4\r\n");
    CLEANUP_FREE char *ra = judge(a, NULL);
    CLEANUP_FREE char *rb = judge(b, NULL);
    assert_string_equal(ra, "/boot is xfs, the plan says ext4\n"
                            "/boot is mounted from /dev/sdb1, the plan says partition 3 of "
                            "disk 'os'");
    assert_string_equal(rb, "/var/log is mounted 2 times\n"
                            "/mnt/usb is mounted from /dev/sdc1 (vfat), which the plan does "
                            "not have");
}

static void
test_swap_and_lvs(void **state)
{
    (void)state;
    CLEANUP_FREE char *no_swap = console_with("swap /dev/mapper/vg_os-swap\r\n", "");
    CLEANUP_FREE char *dm_swap =
        console_with("swap /dev/mapper/vg_os-swap", "swap /dev/dm-1\r\nswap /dev/zram0");
    CLEANUP_FREE char *inactive = console_with("lv vg_os/log\r\n", "");
    CLEANUP_FREE char *r1 = judge(no_swap, NULL);
    CLEANUP_FREE char *r2 = judge(dm_swap, NULL);
    CLEANUP_FREE char *r3 = judge(inactive, NULL);
    assert_string_equal(r1, "swap /dev/mapper/vg_os-swap is not on (no swap is on)");
    assert_string_equal(r2, "swap /dev/mapper/vg_os-swap is not on (other swap devices are)\n"
                            "2 swap devices are on, the plan has 1");
    assert_string_equal(r3, "LV vg_os/log is not active");
}

static void
test_no_report_no_prompt(void **state)
{
    (void)state;
    CLEANUP_FREE char *r1 =
        judge("SeaBIOS (version 1.16.2)\r\nBooting from Hard Disk...\r\n", NULL);
    assert_string_equal(r1, "no login prompt on the console\n"
                            "no APPLIANCE-REPORT on the console (no kernel messages either: did "
                            "it boot at all?)");
    /* A report cut short is no report. */
    const char *cut = strstr(good_console, "APPLIANCE-REPORT-END");
    CLEANUP_FREE char *half = strndup(good_console, (size_t)(cut - good_console));
    CLEANUP_FREE char *r2 = judge(half, NULL);
    assert_string_equal(r2, "no login prompt on the console\n"
                            "no APPLIANCE-REPORT on the console");
}

static void
test_emergency_and_other_appliance(void **state)
{
    (void)state;
    CLEANUP_FREE char *em = console_with("judged login: ", "You are in emergency mode.\r\n"
                                                           "Give root password for maintenance");
    CLEANUP_FREE char *other = console_with("BEGIN judged 2.1", "BEGIN demo 1.0.0");
    CLEANUP_FREE char *bad = console_with("lv vg_os/root", "lv vg_os/root extra-word");
    CLEANUP_FREE char *r1 = judge(em, NULL);
    CLEANUP_FREE char *r2 = judge(other, NULL);
    CLEANUP_FREE char *r3 = judge(bad, NULL);
    assert_string_equal(r1, "the guest entered emergency mode\nno login prompt on the console");
    assert_string_equal(r2, "the console report is from 'demo 1.0.0', the plan is 'judged 2.1'");
    assert_string_equal(r3, "malformed report line 'lv vg_os/root extra-word'\n"
                            "LV vg_os/root is not active");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expect_from_report),
        cmocka_unit_test(test_expect_refuses_bad_reports),
        cmocka_unit_test(test_expect_load_missing_file),
        cmocka_unit_test(test_mapper_name),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_good_boot_passes),
        cmocka_unit_test(test_secure_boot_said),
        cmocka_unit_test(test_last_report_counts),
        cmocka_unit_test(test_missing_mount),
        cmocka_unit_test(test_renamed_vg),
        cmocka_unit_test(test_wrong_fs_partition_and_extra_mount),
        cmocka_unit_test(test_swap_and_lvs),
        cmocka_unit_test(test_no_report_no_prompt),
        cmocka_unit_test(test_emergency_and_other_appliance),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
