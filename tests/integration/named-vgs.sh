#!/bin/bash
# tier: lifecycle
# timeout: 3600
# The lifecycle commands on a build whose recipe names its volume groups:
# the disks of recipes/reference.yaml (vg_system: xfs root and /var, swap,
# ext4 /tmp, /var/log the rest; vg_data: ext4 app 20GiB, xfs data the rest;
# 24GiB and 100GiB, sparse), built with the OS part of
# tests/integration/recipes/layout.yaml (Debian 12: the reference's Rocky
# mirror is not reachable from here, nor its packages' repositories) and
# qcow2 as the only export (the raw disks' 124GiB would take minutes to
# hash). Debian's root tree carries extended attributes, which mkfs.xfs -p
# cannot: the build makes the two xfs of vg_system in the libguestfs
# appliance (10 minutes under emulation, the most of this test, unless the
# disk cache has them). Judged by tools nobody here wrote:
#  - the build tagged each VG with its disk's role (lvm2's own vgs, in
#    guestfish: appliance.disk=os, appliance.disk=app)
#  - resize of the application disk (vg_data), grown +2GiB (its last
#    volume, xfs, grows: mounted on the host as root) then shrunk by 10GiB
#    with app -> 10GiB (data's extents past the new end moved down), and
#    of the OS disk (vg_system) grown +1GiB: vgck, lvs sizes, e2fsck -fn,
#    xfs_repair -n, the tags and the VG and PV UUIDs as before (one
#    read-only guestfish launch per disk), sfdisk --verify
#  - convert of the output folder to qcow2 with --new-identity: the
#    volume groups named in its notice, the disks compared with their
#    sources (by convert, qemu-img compare), and in the converted OS disk
#    /etc/machine-id emptied on vg_system's root (guestfish); the two
#    disks given the other way round are refused as swapped
# About four libguestfs launches.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 qemu-img guestfish sfdisk
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed"; exit 77; }
boot_probe_accel
[ "$BOOT_ACCEL" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
T=$ITEST_TMP
GiB=1073741824

# The reference recipe's disks on the layout recipe's OS.
python3 - "$TOP/recipes/reference.yaml" "$TOP/tests/integration/recipes/layout.yaml" \
    >"$T/reference-disks.yaml" <<'EOF'
import sys, yaml
ref, lay = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
out = dict(lay)
out.update(name=ref["name"], version=ref["version"], disks=ref["disks"], outputs=["qcow2"],
           description="recipes/reference.yaml's disks (tests/integration/named-vgs.sh)")
yaml.safe_dump(out, sys.stdout, sort_keys=False)
EOF
grep -q 'vg: vg_system' "$T/reference-disks.yaml" && grep -q 'vg: vg_data' "$T/reference-disks.yaml" ||
    { bad "the reference recipe no longer names vg_system and vg_data"; finish; }
itest_build "$T/reference-disks.yaml" qcow2 || finish
built=$(dirname "$IMG_OS")
name=$STEM

# facts DISK.qcow2 VG OUT: one read-only guestfish launch; key=value lines.
facts() {
    local vg=$2
    guestfish --ro --format=qcow2 -a "$1" >"$3" 2>"$3.err" <<EOF
run
debug sh "echo tags=\$(lvm vgs --noheadings -o vg_tags $vg)"
debug sh "echo vg_uuid=\$(lvm vgs --noheadings -o vg_uuid $vg)"
debug sh "echo pv_uuid=\$(lvm pvs --noheadings -o pv_uuid)"
debug sh "lvm vgck $vg >/dev/null 2>&1; echo vgck=\$?"
debug sh "lvm lvs --noheadings --units b --nosuffix -o lv_name,lv_size $vg | while read -r n s; do echo size_\$n=\$s; done"
debug sh "for t in \$(lvm lvs --noheadings -o lv_name $vg); do case \$(blkid -o value -s TYPE /dev/$vg/\$t) in ext4) e2fsck -fn /dev/$vg/\$t >/dev/null 2>&1; echo fsck_\$t=\$? ;; xfs) xfs_repair -n /dev/$vg/\$t >/dev/null 2>&1; echo fsck_\$t=\$? ;; esac; done"
EOF
}
fact() { sed -n "s/^$2= *//p" "$1" | head -n 1; }

# judge NAME IMG VG ROLE "LV=MIB ..." UUIDS_FROM: the resized disk.
judge() {
    local name=$1 img=$2 vg=$3 role=$4 sizes=$5 before=$6 f=$T/$1.facts kv lv
    qemu-img convert -f qcow2 -O raw "$img" "$T/$name.raw"
    sfdisk --verify "$T/$name.raw" >"$T/$name.verify" 2>&1 && ! grep -qi 'problem' "$T/$name.verify" &&
        ok "$name: GPT valid (sfdisk --verify)" || bad "$name: GPT: $(cat "$T/$name.verify")"
    rm -f "$T/$name.raw"
    facts "$img" "$vg" "$f" || { bad "$name: guestfish: $(tail -n 3 "$f.err")"; return; }
    [ "$(fact "$f" tags)" = "appliance.disk=$role" ] && ok "$name: $vg tagged appliance.disk=$role" ||
        bad "$name: $vg's tags: '$(fact "$f" tags)'"
    [ "$(fact "$f" vgck)" = 0 ] && ok "$name: vgck $vg" || bad "$name: vgck exit $(fact "$f" vgck)"
    [ "$(fact "$f" vg_uuid) $(fact "$f" pv_uuid)" = "$(fact "$before" vg_uuid) $(fact "$before" pv_uuid)" ] &&
        ok "$name: VG and PV UUIDs unchanged" || bad "$name: UUIDs changed"
    for kv in $sizes; do
        lv=${kv%%=*}
        [ "$(fact "$f" "size_$lv")" = $((${kv#*=} * 1048576)) ] && ok "$name: $lv is ${kv#*=}MiB" ||
            bad "$name: $lv is $(fact "$f" "size_$lv") bytes, not ${kv#*=}MiB"
    done
    local checked
    checked=$(grep -c '^fsck_' "$f")
    [ "$checked" -ge 2 ] && ! grep '^fsck_' "$f" | grep -qv '=0$' &&
        ok "$name: e2fsck -fn and xfs_repair -n clean ($checked filesystems)" ||
        bad "$name: filesystems: $(grep '^fsck_' "$f" | tr '\n' ' ')"
}

resize() {
    local t=$SECONDS
    "$APPLIANCE" resize "$@" >"$T/resize.out" 2>&1
    RC=$?
    echo "# resize $*: exit $RC after $((SECONDS - t)) s"
    sed 's/^/    | /' "$T/resize.out"
}

# ---- the build's tags, and the UUIDs to keep ----
for d in os app; do
    cp "$built/$name-$d.qcow2" "$T/$d.qcow2"
done
facts "$T/app.qcow2" vg_data "$T/app.before" && facts "$T/os.qcow2" vg_system "$T/os.before" ||
    { bad "guestfish reads the build: $(tail -n 3 "$T"/*.before.err)"; finish; }
[ "$(fact "$T/os.before" tags)" = appliance.disk=os ] && [ "$(fact "$T/app.before" tags)" = appliance.disk=app ] &&
    ok "the build tagged vg_system os and vg_data app (lvm2's vgs)" ||
    bad "tags: '$(fact "$T/os.before" tags)' '$(fact "$T/app.before" tags)'"

# ---- resize: vg_data grown, then shrunk with extents moved; vg_system grown ----
app_mib=$(($(fact "$T/app.before" size_app) / 1048576))
data_mib=$(($(fact "$T/app.before" size_data) / 1048576))
resize "$T/app.qcow2" --size +2GiB
[ "$RC" = 0 ] && grep -q '(qcow2, vg_data, the app disk)' "$T/resize.out" &&
    ok "resize +2GiB of vg_data, named the app disk" || bad "resize of vg_data: exit $RC"
[ "$(id -u)" != 0 ] || ! grep -q 'libguestfs appliance' "$T/resize.out" &&
    ok "xfs grown on the host" || bad "xfs grown in the appliance, as root"
resize "$T/app.qcow2" --size -10GiB --volume app=10GiB
[ "$RC" = 0 ] && grep -q 'moved .* extents below the new end' "$T/resize.out" &&
    ok "resize -10GiB of vg_data, app -> 10GiB, extents moved" || bad "shrink of vg_data: exit $RC"
[ "$(qemu-img info --output=json "$T/app.qcow2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')" = $((92 * GiB)) ] &&
    ok "vg_data's disk is 92GiB" || bad "vg_data's disk: $(qemu-img info "$T/app.qcow2" | grep 'virtual size')"
judge app "$T/app.qcow2" vg_data app "app=10240 data=$((data_mib + 2048))" "$T/app.before"
[ "$app_mib" = 20480 ] || bad "the reference's app volume is ${app_mib}MiB, not 20GiB: update this test"
log_mib=$(($(fact "$T/os.before" size_log) / 1048576))
resize "$T/os.qcow2" --size +1GiB
[ "$RC" = 0 ] && grep -q '(qcow2, vg_system, the os disk)' "$T/resize.out" &&
    ok "resize +1GiB of vg_system, named the OS disk" || bad "resize of vg_system: exit $RC"
judge os "$T/os.qcow2" vg_system os "log=$((log_mib + 1024))" "$T/os.before"

# ---- convert: the folder (the build's disks, resized, beside its report) ----
src=$T/src
mkdir -p "$src"
cp "$built/build-report.json" "$src/"
mv "$T/os.qcow2" "$src/$name-os.qcow2"
mv "$T/app.qcow2" "$src/$name-app.qcow2"
t=$SECONDS
"$APPLIANCE" convert "$src" -o "$T/out" --to qcow2 --new-identity >"$T/convert.log" 2>&1
RC=$?
echo "# convert --new-identity: exit $RC after $((SECONDS - t)) s"
sed 's/^/    | /' "$T/convert.log"
[ "$RC" = 0 ] && ok "convert of the folder to qcow2 with --new-identity" || bad "convert: exit $RC"
grep -q 'volume groups vg_system and vg_data' "$T/convert.log" &&
    ok "convert names the volume groups" || bad "convert's notice does not name vg_system and vg_data"
os_out=$(ls "$T/out"/*-os.qcow2 2>/dev/null | head -n 1)
if [ -n "$os_out" ] && guestfish --ro --format=qcow2 -a "$os_out" >"$T/id.out" 2>"$T/id.err" <<'EOF'
run
mount-ro /dev/vg_system/root /
debug sh "echo machine_id_size=$(stat -c %s /sysroot/etc/machine-id)"
EOF
then
    [ "$(fact "$T/id.out" machine_id_size)" = 0 ] && ok "--new-identity emptied /etc/machine-id on vg_system/root" ||
        bad "machine-id is $(fact "$T/id.out" machine_id_size) bytes"
else
    bad "guestfish reads the converted OS disk: $(tail -n 3 "$T/id.err")"
fi
"$APPLIANCE" convert "$src/$name-app.qcow2" "$src/$name-os.qcow2" -o "$T/swapped" --to qcow2 \
    --name swapped --cpus 1 --memory 1GiB --firmware bios >"$T/swapped.log" 2>&1
RC=$?
[ "$RC" = 1 ] && grep -q "volume group 'vg_data' of the app disk (are the disks swapped?)" "$T/swapped.log" &&
    [ ! -e "$T/swapped" ] && ok "the disks given the other way round: refused, nothing written" ||
    bad "swapped disks: exit $RC: $(tail -n 3 "$T/swapped.log")"
finish
