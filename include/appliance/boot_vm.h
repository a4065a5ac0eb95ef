/* boot_vm.h: boots a built appliance's two disks under qemu, as its
 * customers would, without writing to them.
 *
 * The shipped files are only ever read: each disk gets a qcow2 overlay in
 * a scratch folder (qemu-img create -b), the guest writes there, and the
 * folder is removed when the VM stops. UEFI boots use OVMF with a copy of
 * its variable store in the same folder. The console (ttyS0) comes back
 * through a pipe. qemu runs in its own process group, dies with its
 * parent (PR_SET_PDEATHSIG) and is killed by boot_vm_stop. */
#ifndef APPLIANCE_BOOT_VM_H
#define APPLIANCE_BOOT_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "appliance/enums.h"
#include "appliance/error.h"
#include "appliance/spawn.h"

/* ---- the disks of an output folder (boot_disks.c) ---------------------- */

struct boot_disks {
    const char *kind;   /* "qcow2", "raw", "img", "ovf", "vmdk", "vdi", "vhdx", "ova" */
    const char *format; /* qemu's driver for the files: qcow2, raw, vmdk, vdi, vhdx */
    char *file[2];      /* the files read, OS disk first (the OVA, twice, for "ova") */
    char *backing[2];   /* qemu-img create -b: an absolute path, or json:{...} for a
                           VMDK inside the OVA */
    char *member[2];    /* "ova": the member's name, else NULL */
    uint64_t offset[2], length[2]; /* "ova": where the member's bytes are in the OVA */
};

/* Finds the appliance NAME's disks in dir, in this order of preference:
 * NAME-os.qcow2, NAME-os.raw, NAME-os.img (older builds), ovf/NAME-os.vmdk,
 * NAME-os.vmdk, NAME-os.vdi, NAME-os.vhdx, NAME.ova; each with its -app
 * twin; those the build report at report (report_resolve's: it may not
 * exist) lists, named by its stem. Fails when none is there, or when only
 * one disk of a pair is. */
int boot_disks_find(const char *dir, const char *report, const char *name, struct boot_disks *d,
                    struct ab_error *err);
void boot_disks_release(struct boot_disks *d);

/* Checks both disks with image_check (an OVA's members in place) before
 * anything opens them: fails when one names another file (a backing
 * file, a data file, VMDK extents or a parent) or is not in d->format,
 * the format the overlays name as their backing format. */
int boot_disks_check(const struct boot_disks *d, struct ab_error *err);

/* ---- the machine (boot_vm.c) ------------------------------------------- */

struct boot_vm_config {
    enum firmware firmware; /* one of FIRMWARE_BIOS, FIRMWARE_UEFI */
    enum controller controller;
    unsigned cpus, nics;
    uint64_t memory;       /* bytes */
    bool kvm;              /* else TCG */
    const char *ovmf_code; /* UEFI: firmware code, opened read-only */
    const char *ovmf_vars; /* UEFI: variable store template (copied) */
    /* UEFI with Secure Boot enforced: the ovmf pair has Microsoft's keys
     * enrolled (boot_ovmf_find_secure); q35 with SMM and the code flash
     * secure, as OVMF's SMM build needs. */
    bool secure_boot;
    /* The machine: x86_64's q35 (or pc), or aarch64's virt with AAVMF and
     * a PL011 console (0: x86_64). */
    enum arch arch;
};

/* The UEFI firmware pair to use for arch: $APPLIANCE_OVMF_CODE and
 * $APPLIANCE_OVMF_VARS, or Debian's ovmf package (4 MiB build first) for
 * x86_64, qemu-efi-aarch64's AAVMF for aarch64. */
int boot_ovmf_find(enum arch arch, const char **code, const char **vars, struct ab_error *err);
/* The same with Secure Boot enforced and Microsoft's UEFI CA enrolled:
 * $APPLIANCE_OVMF_SB_CODE and $APPLIANCE_OVMF_SB_VARS, or Debian's
 * OVMF_CODE_4M.ms.fd and OVMF_VARS_4M.ms.fd (AAVMF_CODE.ms.fd and
 * AAVMF_VARS.ms.fd). */
int boot_ovmf_find_secure(enum arch arch, const char **code, const char **vars,
                          struct ab_error *err);

/* qemu's command line for c, the two overlays and the variable store copy
 * (NULL for BIOS); argv[0] is kvm_qemu_binary(). NULL-terminated, to be
 * freed with ab_strv_free; NULL when out of memory.
 *
 * Disks: scsi -> virtio-scsi (q35), sata -> AHCI (q35), ide -> PIIX (pc;
 * AHCI on q35 with Secure Boot, which needs q35's SMM);
 * the OS disk boots first. NICs: user-mode virtio, without outside access.
 * -no-reboot: a guest that reboots or panics ends the run. */
char **boot_vm_argv(const struct boot_vm_config *c, const char *const disks[2], const char *vars);

struct boot_vm {
    struct spawn_child qemu; /* pid 0 when not running; out_fd its ttyS0, err_fd its stderr */
    char *scratch;  /* the overlays and the variable store */
    char *log;      /* every console byte read so far (NUL-terminated) */
    size_t log_len, log_cap;
    char err_tail[1024];
    size_t err_len;
    int status; /* wait status once it exited */
    bool exited;
    FILE *keep; /* gets every console byte too; may be NULL */
};

/* Makes the scratch folder under workroot ($TMPDIR or /var/tmp when
 * NULL), the overlays, the variable store, and starts qemu. On failure
 * nothing is left running or on disk. */
int boot_vm_start(struct boot_vm *vm, const struct boot_vm_config *c, const struct boot_disks *d,
                  const char *workroot, FILE *keep, struct ab_error *err);

/* Reads what qemu says for up to ms milliseconds (less when a signal
 * comes). Returns 1 when the console grew, 0 when not, 2 when qemu has
 * exited (vm->status), -1 on error. */
int boot_vm_wait(struct boot_vm *vm, int ms, struct ab_error *err);

/* qemu's own last words (its stderr), without trailing blank lines. */
const char *boot_vm_qemu_said(struct boot_vm *vm);

/* Stops qemu (SIGTERM, SIGKILL after 3 s), reaps it, removes the scratch
 * folder. Safe to call twice and on a VM that never started. */
void boot_vm_stop(struct boot_vm *vm);

#endif
