/* kvm.h: is hardware virtualisation usable here?
 *
 * /dev/kvm can exist and still fail to run a guest: inside some VMs qemu
 * aborts with "failed to set MSR 0x10a", inside others it starts and its
 * guest never runs an instruction. The probe asks the qemu that libguestfs
 * and the boot tests use to run a seven-byte firmware with accel=kvm that
 * exits through an isa-debug-exit port: ~0.1 s when KVM works, at most
 * 5 s when the guest hangs. */
#ifndef APPLIANCE_KVM_H
#define APPLIANCE_KVM_H

#include <stdbool.h>

#include "appliance/spawn.h"

enum kvm_state {
    KVM_USABLE,
    KVM_MISSING,   /* no /dev/kvm */
    KVM_NO_ACCESS, /* /dev/kvm cannot be opened read-write */
    KVM_BROKEN,    /* qemu cannot start a guest with it */
    KVM_NO_QEMU,   /* qemu-system-x86_64 cannot be run */
};

struct kvm_probe {
    enum kvm_state state;
    char detail[256]; /* qemu's own error line, or errno text */
};

/* The qemu binary probed; $APPLIANCE_QEMU overrides it. */
const char *kvm_qemu_binary(void);

/* Fills *p. Never fails: a probe that cannot run says so in p. The qemu
 * it starts is logged through ctx (may be NULL). */
void kvm_probe(struct kvm_probe *p, const struct spawn_ctx *ctx);

static inline bool
kvm_usable(const struct kvm_probe *p)
{
    return p->state == KVM_USABLE;
}

/* One line for people: why software emulation is used. */
const char *kvm_state_reason(enum kvm_state s);

#endif
