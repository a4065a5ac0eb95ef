#!/bin/bash
# tier: vm
# The disk engine's layout, judged by tools nobody here wrote: builds
# tests/integration/recipes/layout.yaml and compares with its plan (the
# sizes and GPTs without a VM: layout-gpt.sh, in the gate)
#  - virt-filesystems: disks, partitions, PVs, VGs, LVs and their sizes,
#    every filesystem's type and size
#  - virt-inspector: Debian 12 detected, hostname, fstab mount points and
#    devices, the recipe's packages, every filesystem mountable
# Takes about 2 minutes after the build (two libguestfs launches under TCG).
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 sfdisk virt-filesystems virt-inspector qemu-system-x86_64
recipe=$TOP/tests/integration/recipes/layout.yaml

itest_build "$recipe" || finish

# libguestfs cannot use a KVM that qemu cannot run (see docs/design.md).
boot_probe_accel
[ "$BOOT_ACCEL" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

# The OS disk first: the judge expects it as /dev/sda, the app disk /dev/sdb.
# The appliance's kernel scans its virtio-scsi disks at once, and on a busy
# host (tests run in parallel) may name them out of order: virt-filesystems
# then lists its PV rows by the kernel's names (/dev/sdc4 for the OS disk's
# PV), which it does not translate as it does the others. A synchronous scan
# names them in the order they were added.
export LIBGUESTFS_APPEND="${LIBGUESTFS_APPEND:+$LIBGUESTFS_APPEND }scsi_mod.scan=sync"
start=$SECONDS
if virt-filesystems --all --long --csv --uuid -a "$IMG_OS" -a "$IMG_APP" \
    >"$ITEST_TMP/vfs.csv" 2>"$ITEST_TMP/vfs.err"; then
    ok "virt-filesystems reads both disks ($((SECONDS - start)) s)"
    judge filesystems "$PLAN" "$ITEST_TMP/vfs.csv"
else
    bad "virt-filesystems failed: $(tail -n 5 "$ITEST_TMP/vfs.err")"
fi

start=$SECONDS
if virt-inspector -a "$IMG_OS" -a "$IMG_APP" >"$ITEST_TMP/inspector.xml" 2>"$ITEST_TMP/inspector.err"; then
    ok "virt-inspector reads both disks ($((SECONDS - start)) s)"
    judge inspector "$PLAN" "$ITEST_TMP/inspector.xml" "$ITEST_TMP/inspector.err"
else
    bad "virt-inspector failed: $(tail -n 5 "$ITEST_TMP/inspector.err")"
fi

finish
