#!/bin/bash
# tier: slow
# A real importer: virt-v2v reads the OVA (manifest, OVF, VMDKs), inspects
# the guest, converts it for KVM and writes it out. Slow under emulation
# (it rebuilds the guest's initramfs in the libguestfs appliance, ~12 min
# here), hence make check-slow.
. "${TOP:-.}/tests/lib/itest.sh"
need virt-v2v qemu-img nbdkit nbdcopy

itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish
out=$(dirname "$IMG_OS")
ova=$out/layout-0.1.0.ova
[ -f "$ova" ] || { bad "layout-0.1.0.ova is missing"; finish; }

# KVM that cannot run a guest makes libguestfs abort: use TCG then, as the
# builder does (tests/lib/boot.sh probes the same way).
. "$TOP/tests/lib/boot.sh"
boot_probe_accel
[ "$BOOT_ACCEL" = kvm ] || export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
dest=$ITEST_TMP/v2v
mkdir -p "$dest"
start=$SECONDS
if virt-v2v -i ova "$ova" -o local -os "$dest" -of qcow2 >"$ITEST_TMP/v2v.log" 2>&1; then
    ok "virt-v2v -i ova accepts layout-0.1.0.ova and converts it ($((SECONDS - start)) s)"
else
    bad "virt-v2v failed: $(tail -15 "$ITEST_TMP/v2v.log")"
    finish
fi
grep -q 'Inspecting the source' "$ITEST_TMP/v2v.log" && ok "virt-v2v inspected the guest" ||
    bad "virt-v2v did not inspect the guest"
mkdir -p "$ITEST_BUILD/test-logs" && cp "$dest"/*.xml "$ITEST_BUILD/test-logs/" 2>/dev/null &&
    echo "# virt-v2v's domain: $ITEST_BUILD/test-logs/$(cd "$dest" && ls *.xml | head -1)"
# What the inspection found lands in the domain it writes (libosinfo id).
if grep -Eq "libosinfo:os id=['\"]http://debian.org/debian/12['\"]" "$dest"/*.xml 2>/dev/null; then
    ok "virt-v2v identified the guest as Debian 12"
else
    bad "virt-v2v did not identify Debian 12: $(grep -h 'libosinfo:os' "$dest"/*.xml 2>/dev/null)"
fi
n=$(ls "$dest"/*-sd* "$dest"/*-vd* "$dest"/*-hd* 2>/dev/null | wc -l)
[ "$n" = 2 ] && ok "virt-v2v wrote both disks" || bad "virt-v2v wrote $n disks: $(ls "$dest")"
for f in "$dest"/*.xml; do
    grep -q '<domain' "$f" && ok "virt-v2v wrote a libvirt domain: $(basename "$f")"
done
finish
