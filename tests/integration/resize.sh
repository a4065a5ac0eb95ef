#!/bin/bash
# tier: lifecycle
# appliance resize: the application disk of tests/integration/recipes/
# layout.yaml (vg_app: ext4 'app' 256MiB, xfs 'data' the rest, ext4
# 'app-cache' 128MiB, made in that order) with a marker file written into
# each volume first (guestfish), then, offline:
#   qcow2: shrunk 1536MiB -> 1344MiB with 'app' -> 64MiB (the extents of
#          'data' and 'app-cache' past the new end are moved down), then
#          grown +704MiB into a new file (-o): the last volume, 'app-cache'
#          (ext4), takes the space;
#   VMDK (streamOptimized, lsilogic): grown to 2GiB with 'data' (xfs)
#          +256MiB, then shrunk to 1600MiB with 'app' -> 64MiB, in place;
#   qcow2 as the user nobody (no root, no /dev/kvm): grown to 2GiB with
#          'app-cache' (ext4) +192MiB on the host and 'data' (xfs) +256MiB
#          in the libguestfs appliance, since only root mounts on the host;
# each result judged by tools nobody here wrote, in one read-only
# guestfish launch per image: markers intact, e2fsck -fn and xfs_repair -n
# clean, vgck clean, VG and PV UUIDs as before, the volumes' sizes; the
# GPT by sfdisk --verify (and sgdisk -v) on a raw copy; qemu-img the
# virtual size, format and VMDK subformat. As root, no resize but the
# nobody one starts the appliance (the summary says when it does).
# Refused, with the input unchanged byte for byte (sha256) and no scratch
# file left: an xfs shrink, a volume shrunk below its data, an image with
# a backing file, usage errors; and a resize interrupted with SIGINT while
# resize2fs runs (a resize2fs that waits first, put first in PATH; exit
# 130). About 5 guestfish launches (35-90 s each under emulation) and one
# appliance of the program's.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 qemu-img guestfish sfdisk sha256sum
# libguestfs tries KVM first: where KVM cannot run a guest, it would hang.
boot_probe_accel
[ "$BOOT_ACCEL" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish
T=$ITEST_TMP
MiB=1048576

# facts IMG FORMAT OUT: "key=value" lines about the image's vg_app, from
# one read-only guestfish launch.
facts() {
    guestfish --ro --format="$2" -a "$1" >"$3" 2>"$3.err" <<'EOF'
run
debug sh "echo vg_uuid=$(lvm vgs --noheadings -o vg_uuid vg_app)"
debug sh "echo pv_uuid=$(lvm pvs --noheadings -o pv_uuid)"
debug sh "lvm vgck vg_app >/dev/null 2>&1; echo vgck=$?"
debug sh "for lv in app data app-cache; do echo size_$lv=$(lvm lvs --noheadings --units b --nosuffix -o lv_size vg_app/$lv); done"
debug sh "e2fsck -fn /dev/vg_app/app >/dev/null 2>&1; echo fsck_app=$?"
debug sh "e2fsck -fn /dev/vg_app/app-cache >/dev/null 2>&1; echo fsck_app-cache=$?"
debug sh "xfs_repair -n /dev/vg_app/data >/dev/null 2>&1; echo fsck_data=$?"
mount-ro /dev/vg_app/app /
debug sh "echo marker_app=$(cat /sysroot/resize-marker)"
umount /
mount-ro /dev/vg_app/data /
debug sh "echo marker_data=$(cat /sysroot/resize-marker)"
umount /
mount-ro /dev/vg_app/app-cache /
debug sh "echo marker_app-cache=$(cat /sysroot/resize-marker)"
umount /
EOF
}

fact() { sed -n "s/^$2= *//p" "$1" | head -n 1; }
vsize() { qemu-img info --output=json -f "$2" "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])'; }
scratch_left() { ls -A "$T" | grep -c '^\.appliance-resize' ; }

# judge IMG FORMAT NAME DISK_MIB APP_MIB DATA_MIB CACHE_MIB: the result.
judge_image() {
    local img=$1 fmt=$2 name=$3 f=$T/$3.facts k
    [ "$(vsize "$img" "$fmt")" = $(($4 * MiB)) ] && ok "$name: virtual size $4MiB" ||
        bad "$name: virtual size $(vsize "$img" "$fmt"), not $(($4 * MiB))"
    if qemu-img check -q -f "$fmt" "$img" >"$T/$name.qcheck" 2>&1; then
        ok "$name: qemu-img check"
    elif grep -q 'does not support checks' "$T/$name.qcheck"; then
        skip "$name: qemu-img cannot check $fmt images"
    else
        bad "$name: qemu-img check: $(head -n 3 "$T/$name.qcheck")"
    fi
    qemu-img convert -f "$fmt" -O raw "$img" "$T/$name.raw"
    sfdisk --verify "$T/$name.raw" >"$T/$name.verify" 2>&1 && ! grep -qi 'problem\|mismatch' "$T/$name.verify" &&
        ok "$name: GPT valid (sfdisk --verify)" || bad "$name: GPT: $(cat "$T/$name.verify")"
    if command -v sgdisk >/dev/null; then
        sgdisk -v "$T/$name.raw" | grep -q 'No problems found' && ok "$name: GPT valid (sgdisk -v)" ||
            bad "$name: sgdisk -v: $(sgdisk -v "$T/$name.raw" | head -5)"
    else
        skip "$name: sgdisk is not installed"
    fi
    rm -f "$T/$name.raw"
    if ! facts "$img" "$fmt" "$f"; then
        bad "$name: guestfish reads the result: $(tail -n 3 "$f.err")"
        return
    fi
    [ "$(fact "$f" vg_uuid)" = "$VG_UUID" ] && [ "$(fact "$f" pv_uuid)" = "$PV_UUID" ] &&
        ok "$name: VG and PV UUIDs unchanged" ||
        bad "$name: UUIDs $(fact "$f" vg_uuid) $(fact "$f" pv_uuid), were $VG_UUID $PV_UUID"
    [ "$(fact "$f" vgck)" = 0 ] && ok "$name: vgck clean" || bad "$name: vgck exit $(fact "$f" vgck)"
    local sizes=(app "$5" data "$6" app-cache "$7")
    for k in 0 2 4; do
        local lv=${sizes[$k]} want=$((${sizes[$((k + 1))]} * MiB))
        [ "$(fact "$f" "size_$lv")" = "$want" ] && ok "$name: $lv is ${sizes[$((k + 1))]}MiB" ||
            bad "$name: $lv is $(fact "$f" "size_$lv") bytes, not $want"
        [ "$(fact "$f" "fsck_$lv")" = 0 ] && ok "$name: $lv's filesystem clean" ||
            bad "$name: fsck of $lv: exit $(fact "$f" "fsck_$lv")"
        [ "$(fact "$f" "marker_$lv")" = "marker-$lv" ] && ok "$name: marker in $lv intact" ||
            bad "$name: marker in $lv: '$(fact "$f" "marker_$lv")'"
    done
}

# ---- the disk, marked ----
start=$SECONDS
cp --sparse=always "$IMG_APP" "$T/app.raw"
if guestfish --format=raw -a "$T/app.raw" >"$T/mark.out" 2>"$T/mark.err" <<'EOF'
run
mount /dev/vg_app/app /
write /resize-marker "marker-app"
umount /
mount /dev/vg_app/data /
write /resize-marker "marker-data"
umount /
mount /dev/vg_app/app-cache /
write /resize-marker "marker-app-cache"
umount /
debug sh "echo vg_uuid=$(lvm vgs --noheadings -o vg_uuid vg_app)"
debug sh "echo pv_uuid=$(lvm pvs --noheadings -o pv_uuid)"
EOF
then
    ok "markers written ($((SECONDS - start)) s)"
else
    bad "guestfish writes the markers: $(tail -n 3 "$T/mark.err")"
    finish
fi
VG_UUID=$(fact "$T/mark.out" vg_uuid)
PV_UUID=$(fact "$T/mark.out" pv_uuid)
[ -n "$VG_UUID" ] && [ -n "$PV_UUID" ] || { bad "UUIDs read: '$VG_UUID' '$PV_UUID'"; finish; }
qemu-img convert -f raw -O qcow2 "$T/app.raw" "$T/orig.qcow2"
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized,adapter_type=lsilogic \
    "$T/app.raw" "$T/app.vmdk"
rm -f "$T/app.raw"
cp "$T/orig.qcow2" "$T/app.qcow2"

# resize NAME ARGS...: runs appliance resize; its output in $T/NAME.out.
resize() {
    local name=$1 t=$SECONDS
    shift
    "$APPLIANCE" resize "$@" >"$T/$name.out" 2>&1
    RC=$?
    echo "# resize $*: exit $RC after $((SECONDS - t)) s"
    sed 's/^/    | /' "$T/$name.out"
}

# ---- usage errors and refusals that need no appliance ----
sha=$(sha256sum <"$T/orig.qcow2")
resize usage1 "$T/orig.qcow2"
[ "$RC" = 2 ] && grep -q 'missing --size' "$T/usage1.out" && ok "no --size: exit 2" || bad "no --size: exit $RC"
resize usage2 "$T/orig.qcow2" --size 1.5GiB
[ "$RC" = 2 ] && grep -q 'whole numbers' "$T/usage2.out" && ok "--size 1.5GiB: exit 2" || bad "--size 1.5GiB: exit $RC"
resize usage3 "$T/orig.qcow2" --size 1G --volume '=1G'
[ "$RC" = 2 ] && ok "--volume without a name: exit 2" || bad "--volume '=1G': exit $RC"
resize same "$T/orig.qcow2" --size 1536MiB
[ "$RC" = 1 ] && grep -q 'nothing to do' "$T/same.out" && ok "the same size: refused" || bad "the same size: exit $RC"
resize odd "$T/orig.qcow2" --size +100KiB
[ "$RC" = 2 ] && grep -q 'whole number of MiB' "$T/odd.out" && ok "not whole MiB: exit 2" || bad "+100KiB: exit $RC"
qemu-img create -q -f qcow2 -b "$T/orig.qcow2" -F qcow2 "$T/evil.qcow2"
evil=$(sha256sum <"$T/evil.qcow2")
resize evil "$T/evil.qcow2" --size +1GiB
[ "$RC" = 1 ] && grep -q 'names another file' "$T/evil.out" && [ "$(sha256sum <"$T/evil.qcow2")" = "$evil" ] &&
    ok "an image with a backing file: refused, unchanged" || bad "backing file: exit $RC"
resize exists "$T/orig.qcow2" --size +1GiB -o "$T/app.vmdk"
[ "$RC" = 1 ] && grep -q 'exists' "$T/exists.out" && ok "-o an existing file: refused" || bad "-o existing: exit $RC"

# ---- refusals found on the host, before any change ----
resize xfs "$T/orig.qcow2" --size -256MiB --volume data=-256MiB
[ "$RC" = 1 ] && grep -q "'vg_app/data' holds xfs, which cannot shrink" "$T/xfs.out" &&
    ok "xfs shrink: refused with a clear message" || bad "xfs shrink: exit $RC"
resize small "$T/orig.qcow2" --size -128MiB --volume app=8MiB
[ "$RC" = 1 ] && grep -q "'vg_app/app' cannot shrink to 8MiB: its ext4 filesystem needs at least" "$T/small.out" &&
    ok "below the data: refused with a clear message" || bad "below the data: exit $RC"
[ "$(sha256sum <"$T/orig.qcow2")" = "$sha" ] && ok "refusals left the input unchanged (sha256)" ||
    bad "a refusal changed the input"
[ "$(scratch_left)" = 0 ] && ok "refusals left no scratch file" || bad "scratch left: $(ls -A "$T")"

# ---- interrupted mid-way: SIGINT while resize2fs runs ----
# A resize2fs that says it started and waits before it does the work: the
# interrupt comes while the volume's copy is being resized.
real_resize2fs=$(command -v resize2fs)
mkdir -p "$T/slow-bin"
printf '#!/bin/sh\n[ "$1" = -P ] || { touch "%s"; sleep 60; }\nexec "%s" "$@"\n' \
    "$T/resize2fs-started" "$real_resize2fs" >"$T/slow-bin/resize2fs"
chmod +x "$T/slow-bin/resize2fs"
PATH="$T/slow-bin:$PATH" "$APPLIANCE" resize "$T/orig.qcow2" --size +1GiB >"$T/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
    [ -e "$T/resize2fs-started" ] && break
    sleep 0.1
done
[ -e "$T/resize2fs-started" ] && ok "interrupt: resize2fs started" || bad "interrupt: resize2fs never ran"
kill -INT "$pid"
wait "$pid"
RC=$?
sed 's/^/    | /' "$T/int.out"
[ "$RC" = 130 ] && ok "SIGINT mid-way: exit 130" || bad "SIGINT mid-way: exit $RC"
[ "$(sha256sum <"$T/orig.qcow2")" = "$sha" ] && ok "interrupted: input unchanged (sha256)" ||
    bad "interrupted: the input changed"
[ "$(scratch_left)" = 0 ] && ok "interrupted: no scratch file left" || bad "interrupted: left $(ls -A "$T")"
sleep 1
if pgrep -f "$T/.appliance-resize" >/dev/null; then
    bad "interrupted: a process still uses the scratch folder: $(pgrep -af "$T/.appliance-resize")"
else
    ok "interrupted: no process left"
fi

# ---- qcow2: shrink in place (extents moved), then grow into a new file ----
resize q1 "$T/app.qcow2" --size 1344MiB --volume app=64MiB
[ "$RC" = 0 ] && ok "qcow2 shrunk to 1344MiB" || bad "qcow2 shrink: exit $RC"
grep -q 'moved .* extents below the new end' "$T/q1.out" && ok "qcow2 shrink moved extents down" ||
    bad "qcow2 shrink: no extents moved"
[ "$(vsize "$T/app.qcow2" qcow2)" = $((1344 * MiB)) ] && ok "qcow2 shrunk: virtual size 1344MiB" ||
    bad "qcow2 shrunk: virtual size $(vsize "$T/app.qcow2" qcow2)"
sha_small=$(sha256sum <"$T/app.qcow2")
resize q2 "$T/app.qcow2" --size +704MiB -o "$T/grown.qcow2"
[ "$RC" = 0 ] && ok "qcow2 grown +704MiB into a new file" || bad "qcow2 grow: exit $RC"
[ "$(sha256sum <"$T/app.qcow2")" = "$sha_small" ] && ok "with -o the input is unchanged" ||
    bad "with -o the input changed"
# PV 2044MiB: app 64 + data 1148 + app-cache 128 + 704.
judge_image "$T/grown.qcow2" qcow2 qcow2 2048 64 1148 832

# ---- VMDK: grow with an xfs volume named, then shrink, in place ----
resize v1 "$T/app.vmdk" --size 2GiB --volume data=+256MiB
[ "$RC" = 0 ] && ok "vmdk grown to 2GiB, data +256MiB" || bad "vmdk grow: exit $RC"
if [ "$(id -u)" = 0 ]; then
    ! grep -q 'libguestfs appliance' "$T/v1.out" && ok "as root, xfs grown on the host (no appliance)" ||
        bad "as root, xfs was grown in the appliance"
fi
resize v2 "$T/app.vmdk" --size 1600MiB --volume app=64MiB
[ "$RC" = 0 ] && ok "vmdk shrunk to 1600MiB" || bad "vmdk shrink: exit $RC"
qemu-img info "$T/app.vmdk" | grep -q 'create type: streamOptimized' && ok "vmdk still streamOptimized" ||
    bad "vmdk subformat: $(qemu-img info "$T/app.vmdk" | grep 'create type')"
head -c 65536 "$T/app.vmdk" | grep -aq 'ddb.adapterType = "lsilogic"' && ok "vmdk adapter type kept" ||
    bad "vmdk adapter type lost"
judge_image "$T/app.vmdk" vmdk vmdk 1600 64 1404 128

# ---- as nobody: no root (no loop device, no mount), no /dev/kvm ----
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null && id nobody >/dev/null 2>&1; then
    U=$T/nobody
    # nobody may pass through the test's folder to its own.
    chmod o+x "$T" && mkdir -p "$U" && cp "$T/orig.qcow2" "$U/app.qcow2" && chown -R nobody: "$U"
    t=$SECONDS
    runuser -u nobody -- env HOME="$U" TMPDIR="$U" PATH="$PATH" \
        ${LIBGUESTFS_BACKEND_SETTINGS:+LIBGUESTFS_BACKEND_SETTINGS=$LIBGUESTFS_BACKEND_SETTINGS} \
        "$APPLIANCE" resize "$U/app.qcow2" --size 2GiB --volume app-cache=+192MiB \
        --volume data=+256MiB >"$T/nobody.out" 2>&1
    RC=$?
    echo "# resize as nobody: exit $RC after $((SECONDS - t)) s"
    sed 's/^/    | /' "$T/nobody.out"
    [ "$RC" = 0 ] && ok "as nobody: grown to 2GiB (ext4 and xfs)" || bad "as nobody: exit $RC"
    grep -q 'xfs grown in the libguestfs appliance (1 volume)' "$T/nobody.out" &&
        ok "as nobody: the summary says xfs grew in the appliance" ||
        bad "as nobody: no word of where xfs grew"
    judge_image "$U/app.qcow2" qcow2 nobody 2048 256 1404 320
    [ "$(ls -A "$U" | grep -c '^\.appliance-resize')" = 0 ] && ok "as nobody: no scratch file left" ||
        bad "as nobody: scratch left: $(ls -A "$U")"
else
    skip "as nobody: the test runs as root (with runuser) to try the command as another user"
fi
[ "$(scratch_left)" = 0 ] && ok "no scratch file left" || bad "scratch left: $(ls -A "$T")"
finish
