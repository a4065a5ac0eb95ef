#!/bin/bash
# The disk engine's layout, judged by tools nobody here wrote: builds
# tests/integration/recipes/layout.yaml and compares with its plan
#  - sfdisk --json: both GPTs (partition numbers, byte offsets, sizes, types)
#  - virt-filesystems: disks, partitions, PVs, VGs, LVs and their sizes,
#    every filesystem's type and size
#  - virt-inspector: Debian 12 detected, hostname, fstab mount points and
#    devices, the recipe's packages, every filesystem mountable
# Takes about 2 minutes after the build (two libguestfs launches under TCG).
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 sfdisk virt-filesystems virt-inspector qemu-system-x86_64
recipe=$TOP/tests/integration/recipes/layout.yaml

itest_build "$recipe" || finish

# The images: named for the appliance, sparse, of the plan's sizes.
for pair in "os:$IMG_OS" "app:$IMG_APP"; do
    id=${pair%%:*} img=${pair#*:}
    want=$(python3 -c 'import json,sys; print(next(d["size"] for d in json.load(open(sys.argv[1]))["disks"] if d["id"] == sys.argv[2]))' "$PLAN" "$id")
    size=$(stat -c %s "$img") used=$(($(stat -c %b "$img") * $(stat -c %B "$img")))
    [ "$size" = "$want" ] && ok "$(basename "$img") is $want bytes" ||
        bad "$(basename "$img") is $size bytes, the plan says $want"
    [ "$used" -lt "$size" ] && ok "$(basename "$img") is sparse ($((used >> 20)) MiB allocated)" ||
        bad "$(basename "$img") is not sparse ($used bytes allocated of $size)"
    sfdisk --json "$img" >"$ITEST_TMP/sfdisk-$id.json" 2>"$ITEST_TMP/sfdisk.err" ||
        { bad "sfdisk --json $(basename "$img"): $(cat "$ITEST_TMP/sfdisk.err")"; }
done
judge gpt "$PLAN" "$ITEST_TMP/sfdisk-os.json" "$ITEST_TMP/sfdisk-app.json"

# libguestfs cannot use a KVM that qemu cannot run (see docs/design.md).
boot_probe_accel
[ "$BOOT_ACCEL" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

# The OS disk first: the judge expects it as /dev/sda, the app disk /dev/sdb.
start=$SECONDS
if virt-filesystems --all --long --csv --uuid -a "$IMG_OS" -a "$IMG_APP" \
    >"$ITEST_TMP/vfs.csv" 2>"$ITEST_TMP/vfs.err"; then
    ok "virt-filesystems reads both disks ($((SECONDS - start)) s)"
    judge filesystems "$PLAN" "$ITEST_TMP/vfs.csv"
else
    bad "virt-filesystems failed: $(tail -n 5 "$ITEST_TMP/vfs.err")"
fi

start=$SECONDS
if virt-inspector -a "$IMG_OS" -a "$IMG_APP" >"$ITEST_TMP/inspector.xml" 2>"$ITEST_TMP/inspector.err"; then
    ok "virt-inspector reads both disks ($((SECONDS - start)) s)"
    judge inspector "$PLAN" "$ITEST_TMP/inspector.xml" "$ITEST_TMP/inspector.err"
else
    bad "virt-inspector failed: $(tail -n 5 "$ITEST_TMP/inspector.err")"
fi

finish
