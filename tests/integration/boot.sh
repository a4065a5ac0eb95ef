#!/bin/bash
# A real boot: builds tests/integration/recipes/layout.yaml (firmware
# bios+uefi) and boots its raw disks under qemu with SeaBIOS + virtio-scsi
# and its qcow2 output with OVMF + virtio-blk on q35 (the devices of its
# libvirt output), then tests/integration/recipes/bios-only.yaml
# (firmware bios, no ESP) with SeaBIOS + IDE. Each boot must reach the
# guest's APPLIANCE-REPORT and a login prompt on ttyS0, and the report must
# show every mount, swap and LV of the plan (tests/lib/judge.py report).
# Under TCG each boot takes 1-1.5 minutes; the serial logs are kept in
# $BUILD/test-logs/integration-boot-*.serial.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 sfdisk qemu-system-x86_64
[ -r "${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}" ] || { echo "SKIP: OVMF is not installed"; exit 77; }
logs=$ITEST_BUILD/test-logs
mkdir -p "$logs"

# boot_and_judge FIRMWARE BUS: boots IMG_OS + IMG_APP, judges the report.
boot_and_judge() {
    local fw=$1 bus=$2 name log
    name=$(basename "$IMG_OS" | sed 's/-os\.\(raw\|qcow2\)$//')-$fw-$bus
    case $IMG_OS in *.qcow2) name=$name-qcow2 ;; esac
    log=$ITEST_TMP/$name.serial
    if boot_images "$fw" "$bus" "$IMG_OS" "$IMG_APP" "$log"; then
        ok "$name: boots to the report and a login prompt"
        judge report "$PLAN" "$log"
    else
        bad "$name: boots to the report and a login prompt"
    fi
    cp "$log" "$logs/integration-boot-$name.serial" &&
        echo "# serial log: $logs/integration-boot-$name.serial"
}

if itest_build "$TOP/tests/integration/recipes/layout.yaml"; then
    boot_and_judge bios scsi
    # The qcow2 pair, on the devices of the libvirt output (q35, virtio).
    IMG_OS=${IMG_OS%.raw}.qcow2 IMG_APP=${IMG_APP%.raw}.qcow2
    boot_and_judge uefi virtio
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
