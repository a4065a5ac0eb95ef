#!/bin/bash
# tier: check
# Images that name other files, refused by inspect, test and deploy before
# anything opens them (issue 10, Proxmox's "untrusted image" check). Made
# here with qemu-img, printf and python's tarfile, all referring to decoy
# files of this test (never a real host secret):
#  - a four-line monolithicFlat VMDK descriptor whose extent is the decoy
#  - a qcow2 whose backing file is the decoy
#  - a qcow2 with an external data file (another decoy)
#  - a delta VMDK whose parent is another VMDK
#  - an OVA (.ovf, .mf, the flat descriptor, a good VMDK), and one whose
#    member names try to leave the scratch folder
#  - output folders (build-report.json with a real plan, NAME.xml, disks)
#    whose OS qcow2 was swapped for each of these, or whose OVA carries
#    the descriptor
# Each command exits 1 with the reference named, and strace shows that no
# process of it opened the decoy. Good images (qcow2, raw, streamOptimized
# VMDK from qemu-img) are still accepted. No build, no boot: seconds.
. "${TOP:-.}/tests/lib/itest.sh"

need qemu-img strace python3 tar
T=$ITEST_TMP
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR" "$T/decoys" "$T/img"
decoy=$T/decoys/DECOY-not-a-secret
head -c 1048576 /dev/zero >"$decoy"
data_decoy=$T/decoys/DATA-DECOY
parent=$T/decoys/PARENT-DECOY.vmdk

cd "$T/img" || exit 99
printf '# Disk DescriptorFile\nversion=1\ncreateType="monolithicFlat"\nRW 2048 FLAT "%s" 0\n' \
    "$decoy" >flat.vmdk
qemu-img create -q -f qcow2 -b "$decoy" -F raw backing.qcow2 &&
    qemu-img create -q -f qcow2 -o data_file="$data_decoy" datafile.qcow2 1M &&
    qemu-img create -q -f vmdk "$parent" 1M &&
    qemu-img create -q -f vmdk -b "$parent" -F vmdk child.vmdk &&
    qemu-img create -q -f qcow2 good.qcow2 1M &&
    qemu-img create -q -f raw good.raw 1M &&
    qemu-img convert -O vmdk -o subformat=streamOptimized good.raw good.vmdk ||
    { bad "making the images"; finish; }

# What each hostile image names, as the refusal must say it.
declare -A names=(
    [flat.vmdk]="extent '$decoy'"
    [backing.qcow2]="backing file '$decoy'"
    [datafile.qcow2]="data file '$data_decoy'"
    [child.vmdk]="parent '$parent'"
)
decoy_re="DECOY"

# refused DESCRIPTION REFERENCE -- COMMAND...: exit 1, the reference named
# in "names another file: ...", and no decoy in strace's openat/open log.
refused() {
    local what=$1 ref=$2
    shift 3
    strace -f -qq -e trace=openat,open -o "$T/strace.log" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" = 1 ]; then ok "$what: exit 1"; else
        bad "$what: exit $rc, want 1"; cat "$T/out" "$T/err"; fi
    if grep -qF -- "names another file: $ref; refusing an image that refers to files outside itself" "$T/err"; then
        ok "$what: names $ref"
    else
        bad "$what: no \"names another file: $ref\" in"; cat "$T/err"
    fi
    if grep -E "open(at)?\(.*$decoy_re" "$T/strace.log" >"$T/opened"; then
        bad "$what: a decoy was opened:"; head -n 5 "$T/opened"
    else
        ok "$what: no decoy opened"
    fi
}

# The control: qemu-img itself, given the descriptor, opens the decoy, and
# the log shows it.
strace -f -qq -e trace=openat,open -o "$T/strace.log" qemu-img info -U flat.vmdk >/dev/null 2>&1
grep -qE "open(at)?\(.*$decoy_re" "$T/strace.log" && ok "control: qemu-img info opens the decoy" ||
    bad "control: strace does not show qemu-img opening the decoy"

# accepted DESCRIPTION -- COMMAND...: exit 0.
accepted() {
    local what=$1
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ "$rc" = 0 ]; then ok "$what"; else bad "$what: exit $rc"; cat "$T/out" "$T/err"; fi
}

# ---- inspect: each image as an argument ----
for img in flat.vmdk backing.qcow2 datafile.qcow2 child.vmdk; do
    refused "inspect $img" "${names[$img]}" -- "$APPLIANCE" inspect --no-verify "$img"
    refused "inspect --no-disks $img" "${names[$img]}" -- "$APPLIANCE" inspect --no-disks "$img"
done
for img in good.qcow2 good.raw good.vmdk; do
    accepted "inspect --no-disks $img accepted" -- "$APPLIANCE" inspect --no-disks "$img"
done
grep -q "^  image good.vmdk: vmdk, 1MiB" "$T/out" && ok "the good VMDK's format and size" ||
    { bad "the good VMDK: no image line"; cat "$T/out"; }

# ---- an OVA carrying the descriptor ----
ova_src=$T/ova-src
mkdir -p "$ova_src"
cp flat.vmdk "$ova_src/t-os.vmdk" && cp good.vmdk "$ova_src/t-app.vmdk"
size() { stat -c %s "$1"; }
sed -e "s/ovf:size=\"123456789\"/ovf:size=\"$(size "$ova_src/t-os.vmdk")\"/" \
    -e "s/ovf:size=\"4242\"/ovf:size=\"$(size "$ova_src/t-app.vmdk")\"/" \
    "$TOP/tests/data/ovf/scsi-bios+uefi.ovf" >"$ova_src/t.ovf"
(cd "$ova_src" && for f in t.ovf t-os.vmdk t-app.vmdk; do
    printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
done >t.mf)
tar --format=ustar -cf "$T/evil.ova" -C "$ova_src" t.ovf t.mf t-os.vmdk t-app.vmdk
refused "inspect of an OVA whose disk is a flat descriptor" "extent '$decoy'" -- \
    "$APPLIANCE" inspect "$T/evil.ova"
grep -qF "'$T/evil.ova:t-os.vmdk' names another file" "$T/err" &&
    ok "the refusal names the OVA's member" || { bad "the member is not named"; cat "$T/err"; }
# Without the disks read, the member is still judged where it lies.
refused "inspect --no-disks of that OVA" "extent '$decoy'" -- \
    "$APPLIANCE" inspect --no-disks "$T/evil.ova"
grep -qF "'evil.ova:t-os.vmdk' names another file" "$T/err" &&
    ok "--no-disks: the refusal names the OVA's member" || { bad "--no-disks: the member is not named"; cat "$T/err"; }
# An OVF with its files beside it: the same descriptor.
refused "inspect of the OVF beside it" "extent '$decoy'" -- "$APPLIANCE" inspect "$ova_src/t.ovf"

# Member names that try to leave the scratch folder are never written.
python3 - "$T/escape.ova" "$ova_src" "$T" <<'EOF'
import sys, tarfile
out, src, top = sys.argv[1:4]
with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
    t.add(src + "/t.ovf", arcname="t.ovf")
    t.add(src + "/t.mf", arcname="t.mf")
    t.add(src + "/t-app.vmdk", arcname="../../ESCAPE-1.vmdk")
    t.add(src + "/t-app.vmdk", arcname=top + "/ESCAPE-2.vmdk")
    t.add(src + "/t-app.vmdk", arcname="sub/ESCAPE-3.vmdk")
EOF
strace -f -qq -e trace=openat,open -o "$T/strace.log" "$APPLIANCE" inspect "$T/escape.ova" \
    >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 1 ] && ok "an OVA with escaping member names: exit 1" ||
    { bad "an OVA with escaping member names: exit $rc"; cat "$T/out" "$T/err"; }
grep -q "member '../../ESCAPE-1.vmdk' is not a plain file at the top level" "$T/out" &&
    ok "the escaping member is a problem" || { bad "no problem for the escaping member"; cat "$T/out"; }
if grep -E 'ESCAPE.*O_(WRONLY|RDWR|CREAT)' "$T/strace.log"; then bad "a member was written"; else
    ok "no escaping member written anywhere"; fi
find "$T" -name 'ESCAPE-*' | grep -q . && bad "an ESCAPE file exists" || ok "no ESCAPE file exists"

# ---- output folders: the OS qcow2 swapped for a hostile image ----
"$APPLIANCE" plan "$TOP/recipes/demo.yaml" --json >"$T/plan.json" || { bad "plan"; finish; }
# folder DIR OS_IMAGE: build-report.json (name demo, the demo's plan),
# demo.xml (the libvirt output's form), demo-os.qcow2 = OS_IMAGE, a good
# demo-app.qcow2.
folder() {
    mkdir -p "$1"
    printf '{"appliance": "0.1.0", "name": "demo", "version": "1.0.0", "plan": %s}\n' \
        "$(cat "$T/plan.json")" >"$1/build-report.json"
    cat >"$1/demo.xml" <<EOF
<domain type='kvm'>
  <name>demo</name>
  <memory unit='MiB'>256</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/build/output/demo-1.0.0/demo-os.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/build/output/demo-1.0.0/demo-app.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
  </devices>
</domain>
EOF
    cp "$2" "$1/demo-os.qcow2" && cp good.qcow2 "$1/demo-app.qcow2"
}
for img in flat.vmdk backing.qcow2 datafile.qcow2 child.vmdk; do
    dir=$T/out-$img
    folder "$dir" "$img"
    refused "inspect of a folder whose qcow2 is $img" "${names[$img]}" -- \
        "$APPLIANCE" inspect "$dir"
    grep -qF "'$dir/demo-os.qcow2' names another file" "$T/err" &&
        ok "the folder's disk is named" || { bad "the folder's disk is not named"; cat "$T/err"; }
    refused "test of a folder whose qcow2 is $img" "${names[$img]}" -- \
        "$APPLIANCE" test "$dir" --firmware bios --timeout 5
    refused "deploy of a folder whose qcow2 is $img" "${names[$img]}" -- \
        "$APPLIANCE" deploy "$dir" --connect test:///default
done

# test: the raw layout with the descriptor, and an OVA carrying it.
dir=$T/out-raw
folder "$dir" good.qcow2 && rm "$dir"/*.qcow2 && cp flat.vmdk "$dir/demo-os.raw" &&
    cp good.raw "$dir/demo-app.raw"
refused "test of a folder whose raw OS disk is a flat descriptor" "extent '$decoy'" -- \
    "$APPLIANCE" test "$dir" --firmware bios --timeout 5
dir=$T/out-ova
folder "$dir" good.qcow2 && rm "$dir"/*.qcow2
mkdir -p "$T/ova-demo" && cp flat.vmdk "$T/ova-demo/demo-os.vmdk" &&
    cp good.vmdk "$T/ova-demo/demo-app.vmdk" &&
    sed -e 's/t-os\.vmdk/demo-os.vmdk/; s/t-app\.vmdk/demo-app.vmdk/' \
        "$TOP/tests/data/ovf/scsi-bios+uefi.ovf" >"$T/ova-demo/demo.ovf" &&
    tar --format=ustar -cf "$dir/demo.ova" -C "$T/ova-demo" demo.ovf demo-os.vmdk demo-app.vmdk
refused "test of a folder whose OVA's OS disk is a flat descriptor" "extent '$decoy'" -- \
    "$APPLIANCE" test "$dir" --firmware bios --timeout 5
grep -qF "'$dir/demo.ova:demo-os.vmdk' names another file" "$T/err" &&
    ok "the OVA member is named" || { bad "the OVA member is not named"; cat "$T/err"; }
refused "inspect of that folder (its OVA extracted)" "extent '$decoy'" -- \
    "$APPLIANCE" inspect "$dir"

# ---- good folders still pass the check ----
dir=$T/out-good
folder "$dir" good.qcow2
accepted "deploy of a folder with good qcow2 disks" -- \
    "$APPLIANCE" deploy "$dir" --connect test:///default
accepted "inspect --no-disks of that folder" -- "$APPLIANCE" inspect --no-disks --no-verify "$dir"
# test gets past the check to qemu (blank disks: no boot, a FAIL after
# the timeout, exit 1), the disks named as checked.
if command -v qemu-system-x86_64 >/dev/null; then
    "$APPLIANCE" test "$dir" --firmware bios --timeout 3 >"$T/out" 2>"$T/err"
    grep -q "^disks (qcow2): " "$T/out" "$T/err" && ! grep -q "names another file" "$T/err" &&
        ok "test of good disks goes on to boot them" || { bad "test of good disks"; cat "$T/out" "$T/err"; }
    dir=$T/out-ova-good
    folder "$dir" good.qcow2 && rm "$dir"/*.qcow2
    cp good.vmdk "$T/ova-demo/demo-os.vmdk"
    tar --format=ustar -cf "$dir/demo.ova" -C "$T/ova-demo" demo.ovf demo-os.vmdk demo-app.vmdk
    "$APPLIANCE" test "$dir" --firmware bios --timeout 3 >"$T/out" 2>"$T/err"
    grep -q "^disks (ova): " "$T/out" "$T/err" && ! grep -q "names another file" "$T/err" &&
        ok "test of a good OVA's members in place goes on to boot them" ||
        { bad "test of a good OVA"; cat "$T/out" "$T/err"; }
fi

finish
