/* vmtest.h: `appliance test`'s driver: the disks of an output folder
 * booted under qemu once per firmware asked for, each boot watched until
 * the guest is up, gives up or the time is over, and its console judged
 * against the plan (boot_judge.h) on the machine of boot_vm.h.
 *
 * Library code: what happens reaches the caller through struct
 * vmtest_events; nothing here prints, and signals are the caller's to
 * catch (an interrupt is seen through stop.h). */
#ifndef APPLIANCE_VMTEST_H
#define APPLIANCE_VMTEST_H

#include "appliance/boot_judge.h"
#include "appliance/boot_vm.h"
#include "appliance/enums.h"
#include "appliance/error.h"

/* The boots `--firmware` asks for. */
enum vmtest_mode {
    VMTEST_BIOS = 1 << 0,
    VMTEST_UEFI = 1 << 1,
    VMTEST_SECURE_BOOT = 1 << 2,
};

/* The names `--firmware` takes: "bios", "uefi" and "secureboot" (one
 * mode each), and "all" (value 0: every one the appliance supports). Its
 * parser, its help and the completion read them here. */
extern const struct ab_enum_table vmtest_firmware_table;

/* The modes of firmware (a name of vmtest_firmware_table; all: every
 * one that the appliance e supports). */
unsigned vmtest_modes(const char *firmware, const struct boot_expect *e);

struct vmtest_events {
    void *ctx;
    /* A line about the run as a whole: the accelerator, the disks. */
    void (*line)(void *ctx, const char *text);
    /* A boot begins: what ("booting (bios)"). */
    void (*boot_begin)(void *ctx, const char *what);
    /* How far the boot got, redrawn each second ("" before the kernel). */
    void (*status)(void *ctx, const char *text);
    /* A boot judged: firmware ("bios", "uefi", "secureboot"), the verdict
     * (no reasons: passed), what the kernel said of Secure Boot under
     * UEFI ("; Secure Boot on", else "") and the seconds it took. */
    void (*boot_end)(void *ctx, const char *firmware, const struct boot_verdict *v,
                     const char *secure_boot, double seconds);
};

struct vmtest_opts {
    unsigned modes;       /* enum vmtest_mode */
    long timeout;         /* seconds a boot may take */
    const char *keep_log; /* the consoles written there too; may be NULL */
    const struct vmtest_events *events;
};

/* Boots d once per mode of o, KVM when it works, else TCG. 0 every boot
 * passed, 1 one failed, -1 one could not run or an interrupt came (err
 * set). */
int vmtest_run(const struct vmtest_opts *o, const struct boot_expect *e, const struct boot_disks *d,
               struct ab_error *err);

#endif
