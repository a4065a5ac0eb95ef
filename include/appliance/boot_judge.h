/* boot_judge.h: is a booted appliance what its plan says? Judged from
 * what the guest printed on its serial console (ttyS0).
 *
 * At boot the appliance prints a report (configure_system.c):
 *
 *   APPLIANCE-REPORT-BEGIN NAME VERSION
 *   mount TARGET SOURCE FSTYPE       every ext4, xfs and vfat mount
 *   swap DEVICE                      every active swap, /dev/mapper names
 *   lv VG/LV                         every active logical volume
 *   APPLIANCE-REPORT-END
 *
 * The expectations come from the plan in the output's build-report.json
 * (the object `appliance plan --json` prints). Library code: no output. */
#ifndef APPLIANCE_BOOT_JUDGE_H
#define APPLIANCE_BOOT_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appliance/enums.h"
#include "appliance/error.h"

struct boot_mount {
    char *path;    /* "/opt/app" */
    char *fs;      /* "ext4" */
    char *disk;    /* "os" or "app" */
    char *device;  /* "/dev/mapper/vg_app-app" for an LV, else NULL */
    int partition; /* partition number when not on an LV */
};

struct boot_lv {
    char *name;   /* "vg_os/swap" */
    char *device; /* "/dev/mapper/vg_os-swap" */
    bool swap;
};

struct boot_expect {
    char *name, *version;
    enum firmware firmware; /* FIRMWARE_BIOS, _UEFI or _BOTH */
    bool secure_boot;       /* hardware.secure_boot (false when absent) */
    enum controller controller;
    unsigned cpus, nics;
    uint64_t memory; /* bytes */
    struct boot_mount *mounts;
    size_t n_mounts;
    struct boot_lv *lvs;
    size_t n_lvs;
    enum arch arch; /* hardware.arch (x86_64 when absent: reports before it) */
};

/* Reads the "plan" object of the build report at path. Errors name the
 * file and what is missing or malformed. */
int boot_expect_load(struct boot_expect *e, const char *path, struct ab_error *err);
/* The same from the text of a build report (what names it in errors). */
int boot_expect_parse(struct boot_expect *e, const char *text, const char *what,
                      struct ab_error *err);
/* Frees what e holds; NULL-safe, safe on a zeroed or half-filled e. */
void boot_expect_release(struct boot_expect *e);

/* "/dev/mapper/" + VG + "-" + LV, each '-' doubled (device-mapper's rule);
 * malloc'd, NULL when out of memory. */
char *boot_mapper_name(const char *vg, const char *lv);

/* What a console log shows so far, for the progress line and to stop
 * waiting early. */
enum boot_seen {
    BOOT_SEEN_KERNEL = 1 << 0,    /* "Linux version" */
    BOOT_SEEN_REPORT = 1 << 1,    /* a complete APPLIANCE-REPORT */
    BOOT_SEEN_LOGIN = 1 << 2,     /* a "login:" prompt */
    BOOT_SEEN_EMERGENCY = 1 << 3, /* systemd's emergency or rescue mode */
    BOOT_SEEN_PANIC = 1 << 4,     /* "Kernel panic" */
};
unsigned boot_console_scan(const char *log, size_t len);

/* What the guest's kernel said of Secure Boot ("secureboot: Secure boot
 * enabled", or "disabled" / "could not be determined"): its last word. */
enum boot_secure_boot {
    BOOT_SB_UNKNOWN, /* nothing: BIOS, or the kernel's info messages hidden (quiet) */
    BOOT_SB_OFF,
    BOOT_SB_ON,
};
enum boot_secure_boot boot_console_secure_boot(const char *log, size_t len);

/* The reasons a boot failed, one line each; none: it passed. */
struct boot_verdict {
    char **reasons;
    size_t n_reasons;
    size_t n_mounts, n_swaps, n_lvs;   /* what the report showed as planned */
    enum boot_secure_boot secure_boot; /* boot_console_secure_boot */
};

/* Judges a console log against e: login prompt reached, a complete
 * report for this appliance, every planned mount mounted once from its
 * device with its filesystem type and no other, every swap on, every LV
 * active and no other. Returns 0 (v filled: passed when v->n_reasons is
 * 0) or -1 when out of memory. */
int boot_judge(const struct boot_expect *e, const char *log, size_t len, struct boot_verdict *v,
               struct ab_error *err);
/* Adds a reason of the caller's own (a timeout, qemu's exit). */
int boot_verdict_add(struct boot_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void boot_verdict_release(struct boot_verdict *v);

#endif
