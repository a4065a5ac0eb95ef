#!/bin/bash
# tier: vm
# Secure Boot, end to end: the build of tests/integration/recipes/layout.yaml
# (firmware bios+uefi, hardware.secure_boot on by default; the build shared
# with boot.sh, which boots the same image under SeaBIOS and plain OVMF)
#
#   1. has the distribution's signed chain on the ESP's removable path:
#      shim as EFI/BOOT/BOOTX64.EFI (signed by Microsoft's UEFI CA), the
#      signed GRUB as grubx64.efi beside it, MokManager, a grub.cfg that
#      finds /boot by UUID, and no fallback (fbx64.efi);
#   2. boots with `appliance test --firmware secureboot`: OVMF with
#      Microsoft's keys enrolled and Secure Boot enforced (q35, SMM, secure
#      pflash); the judge passes it only when the guest's kernel said
#      "Secure boot enabled", and the console shows the kernel locked down;
#   3. is refused by `--firmware secureboot` when its report says it was
#      built without Secure Boot (exit 2, no boot).
#
# One boot, 1-3 minutes under TCG; its serial log is kept in
# $BUILD/test-logs/integration-secureboot.serial.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 qemu-system-x86_64 qemu-img sfdisk mdir mcopy
sb_code=${APPLIANCE_OVMF_SB_CODE:-/usr/share/OVMF/OVMF_CODE_4M.ms.fd}
sb_vars=${APPLIANCE_OVMF_SB_VARS:-/usr/share/OVMF/OVMF_VARS_4M.ms.fd}
for f in "$sb_code" "$sb_vars"; do
    [ -r "$f" ] || { echo "SKIP: no Secure Boot OVMF '$f' (Debian's ovmf package)"; exit 77; }
done
logs=$ITEST_BUILD/test-logs
mkdir -p "$logs"

itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish
out=$(dirname "$IMG_OS")
python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["hardware"]["secure_boot"] is True else 1)' \
    "$PLAN" && ok "the plan has Secure Boot on" || bad "the plan has Secure Boot on"

# 1. The ESP's removable path.
if esp_boot "$IMG_OS" "BOOTX64.EFI grub.cfg grubx64.efi mmx64.efi " \
    "shim, GRUB, MokManager and grub.cfg, no fallback"; then
    at=$ESP_AT
    for f in BOOTX64.EFI grubx64.efi grub.cfg; do
        MTOOLS_SKIP_CHECK=1 mcopy -n -i "$at" "::/EFI/BOOT/$f" "$ITEST_TMP/$f" 2>/dev/null ||
            bad "mcopy reads EFI/BOOT/$f"
    done
    # Authenticode signatures carry their signers' names in clear.
    grep -aq 'Microsoft Corporation UEFI CA 2011' "$ITEST_TMP/BOOTX64.EFI" &&
        grep -aq 'UEFI SHIM' "$ITEST_TMP/BOOTX64.EFI" &&
        ok "BOOTX64.EFI is shim, signed with Microsoft's UEFI CA" ||
        bad "BOOTX64.EFI is shim, signed with Microsoft's UEFI CA"
    grep -aq 'Debian Secure Boot Signer' "$ITEST_TMP/grubx64.efi" &&
        ok "grubx64.efi is GRUB signed by Debian" || bad "grubx64.efi is GRUB signed by Debian"
    # /boot's ext4 UUID, from its superblock (1024 bytes in, the UUID at 0x68).
    uuid=$(sfdisk --json "$IMG_OS" | python3 -c 'import json,sys,uuid
t = json.load(sys.stdin)["partitiontable"]
p = next(p for p in t["partitions"] if p["type"] == "BC13C2FF-59E6-4262-A352-B275FD6F7172")
f = open(sys.argv[1], "rb"); f.seek(p["start"] * t.get("sectorsize", 512) + 1024)
sb = f.read(1024); assert sb[0x38:0x3a] == b"\x53\xef"
print(uuid.UUID(bytes=sb[0x68:0x78]))' "$IMG_OS" 2>/dev/null)
    grep -qx "search --no-floppy --fs-uuid --set=root $uuid" "$ITEST_TMP/grub.cfg" &&
        grep -qx 'configfile $prefix/grub.cfg' "$ITEST_TMP/grub.cfg" &&
        ok "EFI/BOOT/grub.cfg reads /boot's (UUID $uuid)" ||
        { bad "EFI/BOOT/grub.cfg reads /boot's (UUID '$uuid')"; sed 's/^/    | /' "$ITEST_TMP/grub.cfg"; }
fi

# 2. The boot, Secure Boot enforced.
serial=$ITEST_TMP/secureboot.serial
start=$SECONDS
"$APPLIANCE" test "$out" --firmware secureboot --log "$serial" \
    >"$ITEST_TMP/out" 2>"$ITEST_TMP/err"
rc=$?
echo "# appliance test --firmware secureboot: exit $rc after $((SECONDS - start)) s"
sed 's/^/    | /' "$ITEST_TMP/out"
[ "$rc" = 0 ] && ok "secureboot: exit 0" || { bad "secureboot: exit $rc"; tail -n 20 "$ITEST_TMP/err"; }
grep -qE '^PASS secureboot: login prompt after [0-9]+ s; 7 mounts, 1 swap, 6 LVs as planned; Secure Boot on$' \
    "$ITEST_TMP/out" && ok "secureboot: PASS, the guest said Secure Boot is on" ||
    bad "secureboot: PASS, the guest said Secure Boot is on"
grep -aq 'secureboot: Secure boot enabled' "$serial" &&
    ok "console: secureboot: Secure boot enabled" || bad "console: secureboot: Secure boot enabled"
grep -aq 'Kernel is locked down from EFI Secure Boot' "$serial" &&
    ok "console: the kernel is locked down" || bad "console: the kernel is locked down"
# Lockdown refuses unsigned modules: none may have been refused.
if grep -aE 'Loading of unsigned module|module verification failed|Lockdown: .*unsigned' "$serial" \
    >"$ITEST_TMP/refused"; then
    bad "console: a module was refused:"; sed 's/^/    | /' "$ITEST_TMP/refused"
else
    ok "console: no module refused"
fi
cp "$serial" "$logs/integration-secureboot.serial" &&
    echo "# serial log: $logs/integration-secureboot.serial"

# 3. Built without Secure Boot: refused before anything boots.
nosb=$ITEST_TMP/nosb
mkdir -p "$nosb"
python3 -c 'import json,sys
r = json.load(open(sys.argv[1])); r["plan"]["hardware"]["secure_boot"] = False
json.dump(r, open(sys.argv[2], "w"))' "$out/build-report.json" "$nosb/build-report.json"
ln -s "$IMG_OS" "$nosb/" && ln -s "$IMG_APP" "$nosb/"
"$APPLIANCE" test "$nosb" --firmware secureboot >"$ITEST_TMP/out" 2>"$ITEST_TMP/err"
rc=$?
[ "$rc" = 2 ] && grep -q "was built without Secure Boot" "$ITEST_TMP/err" &&
    ok "built without Secure Boot: --firmware secureboot refused (exit 2)" ||
    { bad "built without Secure Boot: --firmware secureboot refused (exit $rc)"; cat "$ITEST_TMP/err"; }

finish
