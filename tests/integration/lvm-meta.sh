#!/bin/bash
# tier: check
# The LVM metadata the program writes (builder/disk/lvm_meta.c), judged by
# the host's lvm2, which nobody here wrote. For each recipe the disks are
# written with their GPT and LVM metadata only (tests/helpers/lvm-write.c,
# the build's own functions), each PV is given a loop device at its
# partition's offset, and then
#  - pvck --dump headers: the label, pv_header, metadata area header and
#    text, their three checksums, no "CHECK:" line
#  - pvs, vgs, lvs -o +seg_pe_ranges,lv_uuid: the VG, its PV and every LV
#    with the plan's names, sizes and extent ranges, in plan order
#  - vgs -o vg_tags: the VG tagged with its disk's role (appliance.disk=)
#  - vgck: the VG is consistent
# with a filter admitting only that loop device, no devices file, no
# locking and no backups: nothing on the host is read or written but the
# test's own images. Needs root (loop devices). Takes a few seconds.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 cc pkg-config losetup pvck pvs vgs lvs vgck
[ "$(id -u)" = 0 ] || { echo "SKIP: loop devices need root"; exit 77; }

T=$ITEST_TMP
LIB=$ITEST_BUILD/libappliance.a
[ -f "$LIB" ] || { bad "$LIB is not built (run make)"; finish; }
WRITE=$T/lvm-write
# shellcheck disable=SC2046
if cc -std=gnu11 -D_GNU_SOURCE -I"$TOP/include" -o "$WRITE" "$TOP/tests/helpers/lvm-write.c" \
    "$LIB" $(pkg-config --libs yaml-0.1 json-c libcrypto libarchive libguestfs libdeflate \
        libxml-2.0 libvirt) >"$T/cc.log" 2>&1; then
    ok "lvm-write helper built against $(basename "$LIB")"
else
    bad "lvm-write helper does not build: $(tail -n 5 "$T/cc.log")"; finish
fi

LOOPS=()
detach_all() { local l; for l in "${LOOPS[@]}"; do losetup -d "$l" 2>/dev/null; done; }
trap 'detach_all; itest_cleanup' EXIT
export LVM_SUPPRESS_FD_WARNINGS=1 TZ=UTC

# lvm_cfg LOOP: a configuration that sees LOOP only and writes nothing.
lvm_cfg() {
    echo "devices { filter=[\"a|^$1\$|\",\"r|.*|\"] global_filter=[\"a|^$1\$|\",\"r|.*|\"]" \
        "scan=[\"/dev\"] use_devicesfile=0 } backup { backup=0 archive=0 }" \
        "global { use_lvmlockd=0 }"
}

# plan_field PLAN DISK EXPR: a value of disk DISK of the plan (python).
plan_field() {
    python3 -c 'import json,sys
d = next(d for d in json.load(open(sys.argv[1]))["disks"] if d["id"] == sys.argv[2])
vg = d["vg"]; pv = next(p for p in d["partitions"] if p["number"] == vg["pv_partition"])
print(eval(sys.argv[3]))' "$@"
}

# check_pv RECIPE NAME PLAN IMG DISK EPOCH
check_pv() {
    local recipe=$1 name=$2 plan=$3 img=$4 disk=$5 epoch=$6 off size vg loop cfg out rc
    off=$(plan_field "$plan" "$disk" 'pv["start"]')
    size=$(plan_field "$plan" "$disk" 'pv["size"]')
    vg=$(plan_field "$plan" "$disk" 'vg["name"]')
    if ! loop=$(losetup -f --show -o "$off" --sizelimit "$size" "$img" 2>"$T/losetup.err"); then
        skip "no loop device for $name's $disk disk: $(cat "$T/losetup.err")"; return
    fi
    LOOPS+=("$loop")
    cfg=$(lvm_cfg "$loop")

    out=$(pvck --dump headers --config "$cfg" "$loop" 2>&1); rc=$?
    echo "$out" >"$T/pvck-$name-$disk.txt"
    if [ "$rc" -eq 0 ] && ! grep -q 'CHECK' <<<"$out" &&
        grep -q "metadata text at 4608 crc 0x[0-9a-f]* # vgname $vg seqno 1\$" <<<"$out"; then
        ok "$name $disk: pvck --dump headers accepts label, headers and text of $vg (three checksums)"
    else
        bad "$name $disk: pvck --dump headers (exit $rc):"; sed 's/^/    | /' <<<"$out"
    fi

    local common=(--config "$cfg" --readonly --reportformat json --units b --nosuffix)
    if pvs "${common[@]}" -o pv_name,vg_name,pv_uuid,dev_size,pe_start,pv_pe_count,pv_pe_alloc_count \
        >"$T/pvs.json" 2>"$T/pvs.err" &&
        vgs "${common[@]}" -o vg_name,vg_uuid,vg_extent_size,vg_extent_count,vg_free_count,pv_count,lv_count,vg_seqno,vg_attr,vg_tags \
            >"$T/vgs.json" 2>"$T/vgs.err" &&
        lvs "${common[@]}" -o +seg_pe_ranges,lv_uuid,seg_start_pe,seg_count,lv_time,lv_host,segtype,stripes \
            >"$T/lvs.json" 2>"$T/lvs.err"; then
        ok "$name $disk: pvs, vgs and lvs read $vg"
    else
        bad "$name $disk: pvs/vgs/lvs failed: $(cat "$T"/pvs.err "$T"/vgs.err "$T"/lvs.err)"
        return
    fi
    if grep -qiE 'warning|error|checksum|repair|inconsistent' "$T"/pvs.err "$T"/vgs.err "$T"/lvs.err; then
        bad "$name $disk: lvm2 complains: $(cat "$T"/pvs.err "$T"/vgs.err "$T"/lvs.err)"
    else
        ok "$name $disk: lvm2 reads $vg without a warning"
    fi
    local judged
    judged=$(python3 - "$plan" "$disk" "$loop" "$epoch" "$T/pvs.json" "$T/vgs.json" "$T/lvs.json" \
        "$name" <<'EOF'
import json, sys, time
plan_path, disk_id, loop, epoch, pvs_p, vgs_p, lvs_p, name = sys.argv[1:]
d = next(d for d in json.load(open(plan_path))["disks"] if d["id"] == disk_id)
vg = d["vg"]; part = next(p for p in d["partitions"] if p["number"] == vg["pv_partition"])
rep = lambda p, k: json.load(open(p))["report"][0][k]
pvs, vgs, lvs = rep(pvs_p, "pv"), rep(vgs_p, "vg"), rep(lvs_p, "lv")
where = f"{name} {disk_id}"
def check(cond, text):
    print(("ok - " if cond else "not ok - ") + where + ": " + text)
check(len(pvs) == 1 and len(vgs) == 1, f"one PV, one VG (lvm2: {len(pvs)} PVs, {len(vgs)} VGs)")
pv, g = pvs[0], vgs[0]
check(pv["pv_name"] == loop and pv["vg_name"] == vg["name"], f"PV {pv['pv_name']} in VG {pv['vg_name']}")
check(int(pv["dev_size"]) == part["size"], f"PV device size {pv['dev_size']} = partition {part['size']}")
check(int(pv["pe_start"]) == vg["data_offset"], f"pe_start {pv['pe_start']} = {vg['data_offset']}")
check(int(pv["pv_pe_count"]) == vg["extents"], f"PV extents {pv['pv_pe_count']} = {vg['extents']}")
check(int(pv["pv_pe_alloc_count"]) == vg["extents"] - vg["free_extents"],
      f"allocated extents {pv['pv_pe_alloc_count']}")
check(int(g["vg_extent_size"]) == vg["extent_size"], f"extent size {g['vg_extent_size']}")
check(int(g["vg_extent_count"]) == vg["extents"] and int(g["vg_free_count"]) == vg["free_extents"],
      f"VG extents {g['vg_extent_count']}, free {g['vg_free_count']}")
check(int(g["pv_count"]) == 1 and int(g["lv_count"]) == len(vg["lvs"]),
      f"{g['pv_count']} PV, {g['lv_count']} LVs")
check(g["vg_seqno"] == "1" and g["vg_attr"].startswith("wz--n"), f"seqno {g['vg_seqno']}, attr {g['vg_attr']}")
check(g["vg_tags"] == "appliance.disk=" + disk_id, f"tags {g['vg_tags']!r}")
# In extent order, which must be the plan's order. Sorted here by the first
# extent: lvs -O seg_pe_ranges sorts the text and is not stable between runs.
def first_extent(l):
    try:
        return int(l["seg_pe_ranges"].rsplit(":", 1)[1].split("-")[0])
    except (IndexError, ValueError):
        return -1
lvs = sorted(lvs, key=first_extent)
first = 0
want_time = time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(int(epoch)))
check([l["lv_name"] for l in lvs] == [l["name"] for l in vg["lvs"]],
      "LVs in extent order as in the plan: " + ", ".join(l["lv_name"] for l in lvs))
by_name = {l["lv_name"]: l for l in lvs}
for l in vg["lvs"]:
    got = by_name.get(l["name"])
    if not got:
        check(False, f"LV {l['name']} exists"); continue
    rng = f"{loop}:{first}-{first + l['extents'] - 1}"
    check(int(got["lv_size"]) == l["size"], f"LV {l['name']} is {got['lv_size']} bytes ({l['size']})")
    check(got["seg_pe_ranges"] == rng and got["seg_count"] == "1" and got["segtype"] == "linear",
          f"LV {l['name']}: one linear segment at {got['seg_pe_ranges']} ({rng})")
    check(got["lv_time"] == want_time and got["lv_host"] == json.load(open(plan_path))["name"],
          f"LV {l['name']} created {got['lv_time']} on {got['lv_host']}")
    first += l["extents"]
uuids = [pv["pv_uuid"], g["vg_uuid"]] + [l["lv_uuid"] for l in lvs]
check(len(set(uuids)) == len(uuids) and all(len(u) == 38 for u in uuids),
      "every UUID lvm's form and distinct: " + " ".join(uuids))
EOF
    )
    judge_lines "$judged"

    out=$(vgck --config "$cfg" --nolocking "$vg" 2>&1); rc=$?
    if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
        ok "$name $disk: vgck $vg"
    else
        bad "$name $disk: vgck $vg (exit $rc): $out"
    fi
    losetup -d "$loop"
}

# judge_lines TEXT: counts TEXT's ok / not ok lines as checks.
judge_lines() {
    [ -n "$1" ] || { bad "the comparison printed nothing"; return; }
    echo "$1"
    pass=$((pass + $(grep -c '^ok ' <<<"$1")))
    fail=$((fail + $(grep -c '^not ok ' <<<"$1")))
}

# A recipe without a 'rest' volume: free extents left in both VGs.
mkdir -p "$T/free"
cat >"$T/free/free.yaml" <<'EOF'
recipe: 1
name: free
version: "2"
os: { distro: debian-12 }
disks:
  os:
    size: 3GiB
    volumes:
      - { name: root, mount: /, size: 1GiB }
      - { name: swap, size: 64MiB, fs: swap }
  app:
    size: 200MiB
    volumes:
      - { name: data, mount: /srv/data, size: 100MiB }
EOF

epoch=1700000000
for recipe in tests/integration/recipes/layout.yaml tests/integration/recipes/bios-only.yaml \
    recipes/demo.yaml "$T/free/free.yaml"; do
    name=$(basename "$recipe" .yaml)
    plan=$T/$name-plan.json
    case $recipe in /*) ;; *) recipe=$TOP/$recipe ;; esac
    if ! "$APPLIANCE" plan "$recipe" --json >"$plan" 2>"$T/plan.err"; then
        bad "plan of $recipe: $(cat "$T/plan.err")"; continue
    fi
    if ! SOURCE_DATE_EPOCH=$epoch "$WRITE" "$recipe" "$T/$name-os.img" "$T/$name-app.img" \
        2>"$T/write.err"; then
        bad "lvm-write $recipe: $(cat "$T/write.err")"; continue
    fi
    ok "$name: disks and LVM metadata written"
    # The same plan and time give the same LVM bytes (the GPT's GUIDs are
    # sfdisk's own, random).
    SOURCE_DATE_EPOCH=$epoch "$WRITE" "$recipe" "$T/again-os.img" "$T/again-app.img" ||
        bad "lvm-write $recipe again"
    for disk in os app; do
        off=$(plan_field "$plan" "$disk" 'pv["start"]')
        cmp -s -n "$(plan_field "$plan" "$disk" 'vg["data_offset"]')" -i "$off:$off" \
            "$T/$name-$disk.img" "$T/again-$disk.img" &&
            ok "$name $disk: written again, the same LVM bytes" ||
            bad "$name $disk: written again, other LVM bytes"
    done
    rm -f "$T/again-os.img" "$T/again-app.img"
    for disk in os app; do
        check_pv "$recipe" "$name" "$plan" "$T/$name-$disk.img" "$disk" "$epoch"
    done
    rm -f "$T/$name-os.img" "$T/$name-app.img"
done

finish
