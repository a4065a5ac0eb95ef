#!/bin/bash
# tier: vm
# timeout: 7200
# aarch64, end to end (issue 23): tests/integration/recipes/layout-arm.yaml,
# the layout recipe's two disks for aarch64, cross-built on this x86_64
# host (the tree's maintainer scripts under qemu-user), judged by what
# nobody here wrote:
#
#   1. the build log says it cross-built under qemu-user;
#   2. the ESP has Debian's signed arm64 chain on the removable path:
#      shim as EFI/BOOT/BOOTAA64.EFI (Microsoft's UEFI CA), the signed GRUB
#      as grubaa64.efi, MokManager (mmaa64.efi), no fallback;
#   3. file(1) says the kernel is an ARM64 image, and lsinitramfs finds
#      the drivers of the Arm hypervisors in the initramfs: virtio, NVMe,
#      AHCI, e1000e, Hyper-V's (Azure Cobalt), device-mapper;
#   4. it boots under qemu-system-aarch64 (virt, TCG) with AAVMF, virtio
#      disks, to its report and a login prompt on ttyAMA0, the report's
#      mounts, swap and LVs the plan's (tests/lib/bootjudge.sh), then on
#      NVMe with AAVMF's Microsoft keys enrolled, and there the kernel
#      says Secure Boot is enabled (Debian's AAVMF has no AHCI driver, so
#      the recipe's SATA, Fusion's, is not what QEMU boots here);
#   5. the exports say aarch64: the libvirt XML (virt-xml-validate), the
#      .vmx's guestOS (arm-*), the UTM bundle's architecture, and the OVF
#      of the generic target and of each aarch64 one (fusion-arm64,
#      esxi-arm), by the DMTF schema and govmomi's parser.
#
# A cold build took 55 minutes here beside two `make check` runs (the root
# tree under qemu-user, 54 of them); a build whose root tree is cached,
# a minute or two. Each boot takes 1.5-3 minutes under TCG.
. "${TOP:-.}/tests/lib/itest.sh"
need python3 qemu-system-aarch64 qemu-img sfdisk mdir mcopy file lsinitramfs
[ -r /usr/lib/binfmt.d/qemu-aarch64.conf ] ||
    { echo "SKIP: qemu-user-static is not installed (make deps installs DEPS_CROSS)"; exit 77; }
for f in /usr/share/AAVMF/AAVMF_CODE.fd /usr/share/AAVMF/AAVMF_VARS.ms.fd; do
    [ -r "$f" ] || { echo "SKIP: no AAVMF '$f' (Debian's qemu-efi-aarch64)"; exit 77; }
done
. "$TOP/tests/lib/boot.sh"
. "$TOP/tests/lib/bootjudge.sh"

itest_build "$TOP/tests/integration/recipes/layout-arm.yaml" || finish
out=$(dirname "$IMG_OS")

# 1. Cross-built, and said so.
grep -q "cross-building: the tree's aarch64 programs run under qemu-user" "$out/build.log" &&
    ok "the build log says the tree's programs ran under qemu-user" ||
    skip "the build log says it cross-built (this build's root tree came from the cache)"

# 2. The ESP's removable path.
if esp_boot "$IMG_OS" "BOOTAA64.EFI grub.cfg grubaa64.efi mmaa64.efi " \
    "arm64 shim, GRUB, MokManager and grub.cfg, no fallback"; then
    at=$ESP_AT
    for f in BOOTAA64.EFI grubaa64.efi; do
        MTOOLS_SKIP_CHECK=1 mcopy -n -i "$at" "::/EFI/BOOT/$f" "$ITEST_TMP/$f" 2>/dev/null ||
            bad "mcopy reads EFI/BOOT/$f"
    done
    # PE32+ for Aarch64 (machine 0xaa64), as file(1) reads the header.
    for f in BOOTAA64.EFI grubaa64.efi; do
        file -b "$ITEST_TMP/$f" | grep -q 'Aarch64' && ok "$f is an Aarch64 EFI application" ||
            bad "$f is an Aarch64 EFI application: $(file -b "$ITEST_TMP/$f")"
    done
    grep -aq 'Microsoft Corporation UEFI CA 2011' "$ITEST_TMP/BOOTAA64.EFI" &&
        ok "BOOTAA64.EFI is signed with Microsoft's UEFI CA" ||
        bad "BOOTAA64.EFI is signed with Microsoft's UEFI CA"
    grep -aq 'Debian Secure Boot Signer' "$ITEST_TMP/grubaa64.efi" &&
        ok "grubaa64.efi is GRUB signed by Debian" || bad "grubaa64.efi is GRUB signed by Debian"
fi

# 3. The kernel and the initramfs, read out of /boot by guestfish.
boot_files=$ITEST_TMP/boot
mkdir -p "$boot_files"
if LIBGUESTFS_BACKEND_SETTINGS=force_tcg guestfish --ro -a "$IMG_OS" -a "$IMG_APP" -i \
    glob copy-out '/boot/vmlinuz-*' '/boot/initrd.img-*' "$boot_files" >"$ITEST_TMP/gf.log" 2>&1; then
    kernel=$(ls "$boot_files"/vmlinuz-* | head -n 1)
    initrd=$(ls "$boot_files"/initrd.img-* | head -n 1)
    file -b "$kernel" | grep -q 'ARM64' && ok "file(1): $(basename "$kernel") is an ARM64 kernel" ||
        bad "file(1) on $(basename "$kernel"): $(file -b "$kernel")"
    lsinitramfs "$initrd" >"$ITEST_TMP/initrd.list" 2>/dev/null
    for m in virtio_blk virtio_scsi virtio_net virtio_pci nvme ahci e1000e vmxnet3 hv_storvsc hv_netvsc dm-mod; do
        grep -q "/$m\.ko" "$ITEST_TMP/initrd.list" && ok "the initramfs has $m" ||
            bad "the initramfs has $m"
    done
else
    bad "guestfish copies /boot's kernel and initramfs out"; sed 's/^/    | /' "$ITEST_TMP/gf.log"
fi

# 4. The boots.
export BOOT_ARCH=aarch64 BOOT_TIMEOUT=${BOOT_TIMEOUT:-1500}
boot_and_judge uefi virtio
boot_and_judge secureboot nvme 'secureboot: Secure boot enabled'
unset BOOT_ARCH

# 5. The exports say aarch64.
xml=$out/$STEM.xml
if [ -f "$xml" ]; then
    grep -q '<type arch="aarch64" machine="virt"' "$xml" && ok "the libvirt XML is aarch64's virt machine" ||
        bad "the libvirt XML is aarch64's virt machine: $(grep '<type' "$xml")"
    if command -v virt-xml-validate >/dev/null; then
        virt-xml-validate "$xml" domain >/dev/null 2>&1 && ok "virt-xml-validate accepts the XML" ||
            bad "virt-xml-validate accepts the XML"
    fi
else
    bad "the build wrote $STEM.xml"
fi
vmx=$out/$STEM.vmwarevm/$STEM.vmx
grep -q '^guestOS = "arm-' "$vmx" 2>/dev/null && ok "the .vmx's guestOS is an arm-* id" ||
    bad "the .vmx's guestOS is an arm-* id: $(grep '^guestOS' "$vmx" 2>&1)"
# The OVAs, judged by the DMTF schema and govmomi's parser
# (tests/helpers/ovf-parse.go, as profiles.sh builds it): the generic
# target's (this build's), then each aarch64 target's, the same recipe
# with "ova: {target: T}" built again (its tree and disks from the cache,
# only the export new). What each must hold is stated here, apart from
# the profile table (builder/plan/ova_targets.c): vmx-20, Fusion 13's,
# the first for arm64; the E1000e NIC; the guest id of the target's
# vSphere release (vSphere's ids name no architecture).
parse=$ITEST_BUILD/ovf-parse
mkdir -p "$ITEST_BUILD/go-cache"
if command -v go >/dev/null && (cd "$TOP/tests/helpers" && GOCACHE=$ITEST_BUILD/go-cache \
    GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= go build -o "$parse" ovf-parse.go) \
    >"$ITEST_TMP/go.log" 2>&1; then
    ok "ovf-parse built with Debian's Go and govmomi"
else
    bad "ovf-parse does not build: $(tail -n 3 "$ITEST_TMP/go.log")"
    parse=
fi

# judge_ova NAME OVA FAMILY NIC CONTROLLER OS_TYPE
judge_ova() {
    local name=$1 ova=$2 want d=$ITEST_TMP/ova-$1 ovf
    want=$(printf '%s\n' "os_type $6" "family $3" "controller 20 $5" "nic $4")
    mkdir -p "$d" && tar -xf "$ova" -C "$d" "$STEM.ovf" 2>/dev/null ||
        { bad "$name: $(basename "$ova") holds $STEM.ovf"; return; }
    ovf=$d/$STEM.ovf
    if [ -n "${OVF_SCHEMA_DIR:-}" ]; then
        xmllint --noout --nonet --schema "$OVF_SCHEMA_DIR/dsp8023_1.1.1.xsd" "$ovf" \
            >"$d/xmllint" 2>&1 && ok "$name: the OVF validates against the DMTF schema" ||
            bad "$name: the OVF validates: $(grep -v 'Skipping import' "$d/xmllint" | head -n 3)"
    else
        skip "$name: the OVF against the DMTF schema: OVF_SCHEMA_DIR is not set"
    fi
    [ -n "$parse" ] || return
    if ! "$parse" "$ovf" >"$d/parsed" 2>&1; then
        bad "$name: govmomi does not read the OVF: $(head -n 3 "$d/parsed")"
    elif [ "$(grep -E '^(os_type|family|controller|nic) ' "$d/parsed")" = "$want" ]; then
        ok "$name: govmomi reads $3, $4, SATA $5 and $6"
    else
        bad "$name: govmomi reads: $(tr '\n' ';' <"$d/parsed") want: $(tr '\n' ';' <<<"$want")"
    fi
}
judge_ova generic "$out/$STEM.ova" vmx-20 E1000e AHCI debian10_64Guest
for row in "fusion-arm64 vmx-20 E1000e vmware.sata.ahci debian11_64Guest" \
    "esxi-arm vmx-20 E1000e vmware.sata.ahci debian11_64Guest"; do
    set -- $row
    # Every output kept: the tree's key holds what the outputs install
    # (cloud-init for azure and gce), and a new tree is an hour here.
    { cat "$TOP/tests/integration/recipes/layout-arm.yaml"; echo "ova: {target: $1}"; } \
        >"$ITEST_TMP/$1.yaml"
    start=$SECONDS
    if "$APPLIANCE" build "$ITEST_TMP/$1.yaml" -o "$ITEST_TMP/$1" >"$ITEST_TMP/$1.log" 2>&1; then
        ok "build for target $1 ($((SECONDS - start)) s)"
        judge_ova "$1" "$ITEST_TMP/$1/$STEM.ova" "$2" "$3" "$4" "$5"
        rm -rf "${ITEST_TMP:?}/$1" # every output's disks: gigabytes
    else
        bad "build for target $1: $(tail -n 5 "$ITEST_TMP/$1.log")"
    fi
done
plist=$out/$STEM.utm/config.plist
python3 -c 'import plistlib,sys
c = plistlib.load(open(sys.argv[1], "rb"))
sys.exit(0 if c["System"]["Architecture"] == "aarch64" else 1)' "$plist" 2>/dev/null &&
    ok "the UTM bundle's System.Architecture is aarch64" ||
    bad "the UTM bundle's System.Architecture is aarch64"
finish
