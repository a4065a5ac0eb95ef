#!/bin/bash
# tier: vm
# Disks that grow by themselves (appliance-grow): builds
# tests/integration/recipes/layout.yaml (ext4 'log' takes the rest of
# vg_os, xfs 'data' the rest of vg_app), enlarges COPIES of its qcow2 disks
# with qemu-img resize (OS disk +1GiB, application disk +2GiB) and boots
# them twice under qemu (SeaBIOS, virtio-scsi), writing to the copies:
#   1. each disk's console line says what grew; offline (guestfish, one
#      launch, on throw-away overlays) the LVM partition, the VG, the growing LV and its
#      filesystem are larger by that much, within an extent, and the other
#      LVs are as they were; the report shows every planned mount;
#   2. both lines say unchanged, with the milliseconds the script took, and
#      offline nothing changed.
# Under TCG each boot takes some minutes; the serial logs are kept in
# $BUILD/test-logs/integration-grow-*.serial.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 qemu-img qemu-system-x86_64 guestfish
# libguestfs tries KVM first: where KVM cannot run a guest, it would hang.
boot_probe_accel
[ "$BOOT_ACCEL" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
# A kernel scans virtio-scsi disks at once and, on a busy host, may name them
# out of order: the appliance's synchronously (its PV names are the kernel's),
# and the guest's names are not judged, only its PVs' partition numbers
# (the OS disk's PV is partition $os_pv, the application disk's 1).
export LIBGUESTFS_APPEND="${LIBGUESTFS_APPEND:+$LIBGUESTFS_APPEND }scsi_mod.scan=sync"
logs=$ITEST_BUILD/test-logs
mkdir -p "$logs"
GiB=$((1024 * 1024 * 1024))

# measure OS_IMG APP_IMG OUT: sizes in bytes, "KEY VALUE" per line: the
# LVM partitions, PVs, VGs, every LV, and the growing filesystems (ext4
# 'log' by tune2fs, xfs 'data' by xfs_info) once mounted, and the records
# of appliance-grow (rec_VG: DISK,START,SIZE in sectors): the guest was
# stopped, not shut down, so their logs are replayed first, into qcow2
# overlays that are thrown away. One libguestfs launch.
measure() {
    local os=$1 app=$2 out=$3
    qemu-img create -q -f qcow2 -b "$os" -F qcow2 "$out-os.qcow2" &&
        qemu-img create -q -f qcow2 -b "$app" -F qcow2 "$out-app.qcow2" || return 1
    guestfish --format=qcow2 -a "$out-os.qcow2" -a "$out-app.qcow2" >"$out.raw" 2>"$out.err" <<EOF
run
echo "part_os"
blockdev-getsize64 /dev/sda$os_pv
echo "part_app"
blockdev-getsize64 /dev/sdb1
pvs-full
vgs-full
lvs-full
mount /dev/vg_os/root /
echo "rec_vg_os"
cat /var/lib/appliance/grow/vg_os
echo "rec_vg_app"
cat /var/lib/appliance/grow/vg_app
umount /
mount /dev/vg_os/log /
echo "ext4_log"
tune2fs-l /dev/vg_os/log
umount /
mount /dev/vg_app/data /
echo "xfs_data"
xfs-info /
EOF
    local rc=$?
    python3 - "$out.raw" "$os_pv" >"$out" <<'PY' || return 1
import re, sys
out, section, name = {}, None, None
for line in open(sys.argv[1]):
    line = line.strip()
    if line in ("part_os", "part_app", "rec_vg_os", "rec_vg_app", "ext4_log", "xfs_data"):
        section = line
        continue
    if section in ("part_os", "part_app") and line.isdigit():
        out[section] = int(line)
        section = None
        continue
    if section in ("rec_vg_os", "rec_vg_app") and re.fullmatch(r"\d+ \d+ \d+", line):
        out[section] = line.replace(" ", ",")
        section = None
        continue
    m = re.match(r"^([\w ]+?): (.*)$", line)
    if not m:
        continue
    k, v = m.groups()
    if k in ("pv_name", "vg_name", "lv_name"):
        name = v
    elif k in ("pv_size", "vg_size", "lv_size"):
        out[k[:2] + "_" + name] = int(v)
    elif section == "ext4_log" and k in ("Block count", "Block size"):
        out[k] = int(v)
    elif section == "xfs_data" and k in ("xfs_datablocks", "xfs_blocksize"):
        out[k] = int(v)
# LVM in the appliance names PVs by the kernel's disk names, which under
# load may put the appliance's own disk first or the two drives in either
# order (libguestfs issue #69): each PV is known by its partition's number
# instead, the OS disk's $os_pv and the application disk's 1.
roles = {sys.argv[2]: "pv_os", "1": "pv_app"}
for k in [k for k in out if k.startswith("pv_")]:
    m = re.fullmatch(r"pv_/dev/[sv]d[a-z](\d+)", k)
    if m and m.group(1) in roles:
        out[roles[m.group(1)]] = out.pop(k)
if "Block count" in out and "Block size" in out:
    out["fs_log"] = out.pop("Block count") * out.pop("Block size")
if "xfs_datablocks" in out and "xfs_blocksize" in out:
    out["fs_data"] = out.pop("xfs_datablocks") * out.pop("xfs_blocksize")
for k in sorted(out):
    print(k, out[k])
PY
    rm -f "$out-os.qcow2" "$out-app.qcow2"
    [ "$rc" -eq 0 ]
}

# value FILE KEY
value() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# record_matches FILE VG PART IMG WHAT: appliance-grow's record of VG,
# "DISK,START,SIZE" in sectors, names the disk image's size and the LVM
# partition's size as measured.
record_matches() {
    local rec part disk
    rec=$(value "$1" "rec_$2") part=$(value "$1" "$3")
    disk=$(qemu-img info --output=json "$4" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
    if [ -n "$rec" ] && [ "${rec%%,*}" = $((disk / 512)) ] && [ "${rec##*,}" = $((part / 512)) ]; then
        ok "$5: the record of $2 ($rec) is the disk's and partition's size"
    else
        bad "$5: the record of $2 is '$rec', not the disk's $((disk / 512)) and partition's $((part / 512)) sectors"
    fi
}

# grew_by BEFORE AFTER KEY BYTES WHAT: AFTER's KEY is BYTES larger than
# BEFORE's, within an extent (4MiB) either way.
grew_by() {
    local b a d
    b=$(value "$1" "$3") a=$(value "$2" "$3")
    if [ -z "$b" ] || [ -z "$a" ]; then
        bad "$5: $3 measured (before '$b', after '$a')"
        return
    fi
    d=$((a - b))
    if [ $((d - $4)) -le 4194304 ] && [ $(($4 - d)) -le 4194304 ]; then
        ok "$5: +$d bytes ($b -> $a)"
    else
        bad "$5: +$d bytes ($b -> $a), not +$4 within an extent"
    fi
}

# boot_copies LOG: one boot of the copies, written to.
boot_copies() {
    BOOT_SNAPSHOT=no boot_images bios scsi "$OS" "$APP" "$1"
}

# console_line LOG VG REGEX WHAT: the disk's one appliance-grow line.
console_line() {
    local got n
    got=$(sed -e 's/\r//g' "$1" | grep -a "^appliance-grow: $2: ")
    n=$(grep -c . <<<"$got")
    if [ "$n" -eq 1 ] && grep -qE "^appliance-grow: $2: $3\$" <<<"$got"; then
        ok "$4: '$got'"
    else
        bad "$4: want one line 'appliance-grow: $2: $3', got $n: '$got'"
    fi
}

itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish
os_pv=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["disks"][0]["vg"]["pv_partition"])' "$PLAN")
OS=$ITEST_TMP/layout-os.qcow2 APP=$ITEST_TMP/layout-app.qcow2
cp --sparse=always "${IMG_OS%.raw}.qcow2" "$OS" && cp --sparse=always "${IMG_APP%.raw}.qcow2" "$APP" ||
    { bad "copy the qcow2 disks"; finish; }
if measure "$OS" "$APP" "$ITEST_TMP/before"; then
    ok "measured the disks as built: $(tr '\n' ' ' <"$ITEST_TMP/before")"
else
    bad "guestfish measures the disks as built: $(tail -n 3 "$ITEST_TMP/before.err")"
    finish
fi
record_matches "$ITEST_TMP/before" vg_os part_os "$OS" "as built"
record_matches "$ITEST_TMP/before" vg_app part_app "$APP" "as built"
qemu-img resize -q -f qcow2 "$OS" +1G && qemu-img resize -q -f qcow2 "$APP" +2G &&
    ok "qemu-img resize: OS disk +1GiB, application disk +2GiB" ||
    { bad "qemu-img resize the copies"; finish; }

# Boot 1: both disks grow.
log=$ITEST_TMP/grow-1.serial
if boot_copies "$log"; then
    ok "boot 1 reaches the report and a login prompt"
    judge report "$PLAN" "$log"
else
    bad "boot 1 reaches the report and a login prompt"
fi
cp "$log" "$logs/integration-grow-1.serial" && echo "# serial log: $logs/integration-grow-1.serial"
console_line "$log" vg_os '\+1\.0GiB, /dev/sd[a-z]'"$os_pv"' -> [0-9.]+GiB, vg_os/log -> [0-9.]+GiB \(ext4 grown\), [0-9]+ ms' \
    "boot 1: vg_os grew by 1GiB on the console"
console_line "$log" vg_app '\+2\.0GiB, /dev/sd[a-z]1 -> [0-9.]+GiB, vg_app/data -> [0-9.]+GiB \(xfs grown\), [0-9]+ ms' \
    "boot 1: vg_app grew by 2GiB on the console"

B=$ITEST_TMP/before A=$ITEST_TMP/after1
if measure "$OS" "$APP" "$A"; then
    grew_by "$B" "$A" part_os $GiB "OS disk: LVM partition /dev/sda$os_pv"
    grew_by "$B" "$A" pv_os $GiB "OS disk: PV (partition $os_pv)"
    grew_by "$B" "$A" vg_vg_os $GiB "OS disk: VG vg_os"
    grew_by "$B" "$A" lv_log $GiB "OS disk: LV vg_os/log"
    grew_by "$B" "$A" fs_log $GiB "OS disk: ext4 on vg_os/log"
    grew_by "$B" "$A" part_app $((2 * GiB)) "application disk: LVM partition /dev/sdb1"
    grew_by "$B" "$A" pv_app $((2 * GiB)) "application disk: PV (partition 1)"
    grew_by "$B" "$A" vg_vg_app $((2 * GiB)) "application disk: VG vg_app"
    grew_by "$B" "$A" lv_data $((2 * GiB)) "application disk: LV vg_app/data"
    grew_by "$B" "$A" fs_data $((2 * GiB)) "application disk: xfs on vg_app/data"
    record_matches "$A" vg_os part_os "$OS" "after boot 1"
    record_matches "$A" vg_app part_app "$APP" "after boot 1"
    for lv in root swap app app-cache; do
        grew_by "$B" "$A" "lv_$lv" 0 "LV $lv unchanged"
    done
else
    bad "guestfish measures the grown disks: $(tail -n 3 "$A.err")"
fi

# Boot 2: nothing to do, cheaply.
log=$ITEST_TMP/grow-2.serial
if boot_copies "$log"; then
    ok "boot 2 reaches the report and a login prompt"
    judge report "$PLAN" "$log"
else
    bad "boot 2 reaches the report and a login prompt"
fi
cp "$log" "$logs/integration-grow-2.serial" && echo "# serial log: $logs/integration-grow-2.serial"
console_line "$log" vg_os 'unchanged, [0-9]+ ms' "boot 2: vg_os unchanged on the console"
console_line "$log" vg_app 'unchanged, [0-9]+ ms' "boot 2: vg_app unchanged on the console"
echo "# boot 2, the unchanged run's own cost: $(sed 's/\r//g' "$log" | grep -a '^appliance-grow: ' |
    sed 's/^appliance-grow: //' | tr '\n' ';')"
if measure "$OS" "$APP" "$ITEST_TMP/after2"; then
    if diff -u "$A" "$ITEST_TMP/after2" >"$ITEST_TMP/diff"; then
        ok "boot 2 changed no size: $(tr '\n' ' ' <"$A")"
    else
        bad "boot 2 changed sizes: $(cat "$ITEST_TMP/diff")"
    fi
else
    bad "guestfish measures the disks after boot 2: $(tail -n 3 "$ITEST_TMP/after2.err")"
fi

finish
