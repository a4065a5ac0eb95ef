#!/bin/bash
# tier: check
# The disk engine's layout without a VM: the shared build of
# tests/integration/recipes/layout.yaml against its plan
#  - both images named for the appliance, sparse, of the plan's sizes
#  - sfdisk --json: both GPTs (partition numbers, byte offsets, sizes, types)
# engine-layout.sh (tier vm) reads the same build with virt-filesystems and
# virt-inspector.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 sfdisk
itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish

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

finish
