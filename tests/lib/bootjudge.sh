# tests/lib/bootjudge.sh: one boot of a build's disks, judged (bash only;
# after tests/lib/itest.sh and tests/lib/boot.sh, with IMG_OS, IMG_APP and
# PLAN set by itest_build):
#
#   boot_and_judge FIRMWARE BUS [SAID]
#
# boots qcow2 overlays of IMG_OS and IMG_APP (never the images) under qemu,
# and judges: the guest's APPLIANCE-REPORT and a login prompt on ttyS0, the
# report's mounts, swap and LVs against the plan (tests/lib/judge.py
# report); the guest's lvm2 accepting the metadata the program wrote
# without a repair or an update (each PV's metadata area the same bytes
# after the boot as before, its text still seqno 1) and no LVM warning on
# the console; no cloud-init run (the layout recipe's image has cloud-init
# for its azure and gce outputs; without a datasource it stays off); and,
# when given, that the console says SAID. The serial log is kept in
# $ITEST_BUILD/test-logs/integration-boot-NAME.serial. Used by
# tests/integration/boot.sh (the gate's one boot) and boot-variants.sh.

bootjudge_logs=$ITEST_BUILD/test-logs
mkdir -p "$bootjudge_logs"

# pv_region IMG FORMAT DISK OUT: the PV's label and metadata area (the
# bytes before its first extent) of disk DISK ("os" or "app") of IMG.
# (qemu-img dd's count counts the skipped blocks too.)
pv_region() {
    local start
    start=$(python3 -c 'import json,sys
d = next(d for d in json.load(open(sys.argv[1]))["disks"] if d["id"] == sys.argv[2])
p = next(p for p in d["partitions"] if p["number"] == d["vg"]["pv_partition"])
assert p["start"] % 1048576 == 0 and d["vg"]["data_offset"] == 1048576
print(p["start"] // 1048576)' "$PLAN" "$3") &&
        rm -f "$4" &&
        qemu-img dd -f "$2" -O raw bs=1M skip="$start" count=$((start + 1)) if="$1" of="$4" &&
        [ "$(stat -c %s "$4")" = 1048576 ] && [ "$(dd if="$4" bs=8 skip=64 count=1 2>/dev/null)" = LABELONE ]
}

# mda_text FILE: the seqno and description of the text the metadata area
# header of PV region FILE points to.
mda_text() {
    python3 -c 'import re,struct,sys
b = open(sys.argv[1], "rb").read()
off, size = struct.unpack_from("<QQ", b, 4096 + 40)
t = b[4096 + off:4096 + off + size].decode(errors="replace")
m = re.search(r"\nseqno = (\d+)", t); dsc = re.search(r"\ndescription = \"([^\"]*)\"", t)
print("seqno", m.group(1) if m else "?", "description", repr(dsc.group(1) if dsc else "?"))' "$1"
}

# lvm_after_boot NAME FORMAT OVERLAY_OS OVERLAY_APP LOG: what the guest's
# lvm2 did to the metadata, and said on the console.
lvm_after_boot() {
    local name=$1 fmt=$2 disk img ov before after
    for disk in os app; do
        if [ "$disk" = os ]; then img=$IMG_OS ov=$3; else img=$IMG_APP ov=$4; fi
        before=$ITEST_TMP/$name-$disk-before.pv after=$ITEST_TMP/$name-$disk-after.pv
        if ! pv_region "$img" "$fmt" "$disk" "$before" || ! pv_region "$ov" qcow2 "$disk" "$after" ||
            ! mda_text "$before" >/dev/null; then
            bad "$name: read the $disk disk's PV metadata before and after the boot"; continue
        fi
        if cmp -s "$before" "$after"; then
            ok "$name: the guest's lvm2 left the $disk disk's LVM metadata as written ($(mda_text "$after"))"
        else
            bad "$name: the guest's lvm2 rewrote the $disk disk's LVM metadata:" \
                "before $(mda_text "$before"), after $(mda_text "$after")"
        fi
    done
    if grep -aiE 'lvm|pvs|vgchange|device-mapper' "$5" | grep -aiE 'warning|repair|inconsistent|checksum|error' \
        >"$ITEST_TMP/lvm-warnings"; then
        bad "$name: LVM warnings on the console:"; sed 's/^/    | /' "$ITEST_TMP/lvm-warnings"
    else
        ok "$name: no LVM warning on the console"
    fi
}

# boot_and_judge FIRMWARE BUS [SAID]: boots overlays of IMG_OS + IMG_APP,
# judges the report and what LVM did, and that the console holds SAID.
boot_and_judge() {
    local fw=$1 bus=$2 said=${3:-} name log fmt=raw ov_os ov_app
    name=$(basename "$IMG_OS" | sed 's/-os\.\(raw\|qcow2\)$//')-$fw-$bus
    case $IMG_OS in *.qcow2) name=$name-qcow2 fmt=qcow2 ;; esac
    log=$ITEST_TMP/$name.serial
    ov_os=$ITEST_TMP/$name-os.qcow2 ov_app=$ITEST_TMP/$name-app.qcow2
    if ! qemu-img create -q -f qcow2 -b "$IMG_OS" -F "$fmt" "$ov_os" ||
        ! qemu-img create -q -f qcow2 -b "$IMG_APP" -F "$fmt" "$ov_app"; then
        bad "$name: qcow2 overlays of the images"; return
    fi
    if BOOT_SNAPSHOT=no boot_images "$fw" "$bus" "$ov_os" "$ov_app" "$log"; then
        ok "$name: boots to the report and a login prompt"
        judge report "$PLAN" "$log"
        lvm_after_boot "$name" "$fmt" "$ov_os" "$ov_app" "$log"
        if [ -n "$said" ]; then
            grep -aq "$said" "$log" && ok "$name: the console says '$said'" ||
                bad "$name: the console says '$said'"
        fi
        # layout.yaml's image carries cloud-init (outputs azure, gce): with
        # no datasource here ds-identify must keep it off, as on a laptop.
        if grep -aq 'Cloud-init v\. ' "$log"; then
            bad "$name: cloud-init ran without a datasource: $(grep -a -m1 'Cloud-init v\. ' "$log")"
        else
            ok "$name: no cloud-init run on the console (no datasource here)"
        fi
    else
        bad "$name: boots to the report and a login prompt"
    fi
    rm -f "$ov_os" "$ov_app"
    cp "$log" "$bootjudge_logs/integration-boot-$name.serial" &&
        echo "# serial log: $bootjudge_logs/integration-boot-$name.serial"
}
