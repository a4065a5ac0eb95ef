/* binfmt.h: running another architecture's programs (a cross build's
 * tree: its maintainer scripts, useradd, grub-mkimage...) through
 * qemu-user, by the kernel's binfmt_misc.
 *
 * The entry registered is qemu-user-static's own
 * (/usr/lib/binfmt.d/QEMU_USER.conf, QEMU_USER the arch row's qemu_user),
 * whose F flag has the kernel open the emulator once, at registration, so
 * that it runs inside any chroot. Nothing of the host's changes: the entry
 * goes into a binfmt_misc of the build's own user namespace (the kernel
 * gives each user namespace that mounts one an instance of its own, since
 * Linux 6.7), unless the host has registered it already. */
#ifndef APPLIANCE_BINFMT_H
#define APPLIANCE_BINFMT_H

#include <stddef.h>

#include "appliance/enums.h"
#include "appliance/error.h"

/* Where the host's binfmt_misc is, and where this namespace mounts its
 * own. */
#define BINFMT_DIR "/proc/sys/fs/binfmt_misc"

enum binfmt_how {
    BINFMT_NATIVE, /* arch is the host's: nothing to do */
    BINFMT_FOUND,  /* registered already, enabled, with the F flag: the host's
                    * (or, asked again, this namespace's own) */
    BINFMT_OWN,    /* registered in this namespace's own binfmt_misc */
};

/* Makes programs of arch run in this process and its children. The
 * process must be root of a user namespace other than the host's, in a
 * mount namespace of its own (userns.h, tree_private_namespace), unless
 * the host's registration serves. Returns the enum binfmt_how, or -1 with
 * one line naming the fix: qemu-user-static missing, or a kernel that
 * gives no user namespace a binfmt_misc of its own (then the host's
 * registration: systemd-binfmt, or update-binfmts --enable). */
int binfmt_enable(enum arch arch, struct ab_error *err);

/* Whether binfmt_enable(arch) has what it needs on this host: arch is
 * the host's, or registered already, or qemu-user-static's entry is
 * installed. 0, or -1 with the line naming the package (preflight's). */
int binfmt_check(enum arch arch, struct ab_error *err);

/* The sentence the build log gives for how: "the tree's aarch64 programs
 * run under qemu-user (qemu-aarch64, registered in this build's own
 * binfmt_misc)". Empty for BINFMT_NATIVE. */
void binfmt_describe(enum arch arch, int how, char *out, size_t size);

#endif
