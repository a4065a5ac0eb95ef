#!/bin/bash
# tier: check
# timeout: 1500
# The gate's one real boot: builds tests/integration/recipes/layout.yaml
# (firmware bios+uefi; the build the gate's other judges share) and boots
# its raw disks under qemu with SeaBIOS + virtio-scsi. The boot must reach
# the guest's APPLIANCE-REPORT and a login prompt on ttyS0, the report must
# show every mount, swap and LV of the plan, the guest's lvm2 must accept
# the metadata the program wrote without a repair or an update, and no
# cloud-init may run (tests/lib/bootjudge.sh). The other boots (OVMF on
# the qcow2 pair, the bios-only recipe on IDE, Secure Boot, cloud-init,
# grow) are in the vm tier: boot-variants.sh and the others.
# Under TCG the boot takes 1-1.5 minutes; the serial log is kept in
# $BUILD/test-logs/integration-boot-*.serial.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 sfdisk qemu-system-x86_64 qemu-img
. "$TOP/tests/lib/bootjudge.sh"

if itest_build "$TOP/tests/integration/recipes/layout.yaml"; then
    boot_and_judge bios scsi
fi

finish
