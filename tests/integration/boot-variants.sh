#!/bin/bash
# tier: vm
# The boots beside the gate's (boot.sh): the qcow2 output of
# tests/integration/recipes/layout.yaml with OVMF + virtio-blk on q35 (the
# devices of its libvirt output; the image boots the signed shim,
# hardware.secure_boot being on by default, and plain OVMF, without keys,
# must run it with Secure Boot off: the kernel says so; secureboot.sh boots
# it enforced), then tests/integration/recipes/bios-only.yaml (firmware
# bios, no ESP: its GPT judged by sfdisk) with SeaBIOS + IDE. Each boot is
# judged as boot.sh's (tests/lib/bootjudge.sh). Under TCG each boot takes
# 1-1.5 minutes.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 sfdisk qemu-system-x86_64 qemu-img
[ -r "${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}" ] || { echo "SKIP: OVMF is not installed"; exit 77; }
. "$TOP/tests/lib/bootjudge.sh"

if itest_build "$TOP/tests/integration/recipes/layout.yaml"; then
    # The qcow2 pair, on the devices of the libvirt output (q35, virtio).
    IMG_OS=${IMG_OS%.raw}.qcow2 IMG_APP=${IMG_APP%.raw}.qcow2
    boot_and_judge uefi virtio 'secureboot: Secure boot disabled'
fi

if itest_build "$TOP/tests/integration/recipes/bios-only.yaml"; then
    if sfdisk --json "$IMG_OS" >"$ITEST_TMP/sfdisk-os.json" &&
        sfdisk --json "$IMG_APP" >"$ITEST_TMP/sfdisk-app.json"; then
        judge gpt "$PLAN" "$ITEST_TMP/sfdisk-os.json" "$ITEST_TMP/sfdisk-app.json"
    else
        bad "sfdisk --json reads the disks of bios-only"
    fi
    boot_and_judge bios ide
fi

finish
