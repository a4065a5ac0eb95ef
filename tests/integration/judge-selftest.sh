#!/bin/bash
# tier: check
# tests/lib/judge.py can fail: it accepts the synthetic good serial log,
# virt-filesystems CSV, sfdisk JSON and virt-inspector XML in
# tests/integration/data/ (made for the plan of recipes/layout.yaml, stored
# as data/layout-plan.json), and rejects each bad one for the right reason.
# Quick: no image, no qemu.
set -u
top=${TOP:-$PWD}
judge=$top/tests/lib/judge.py
data=$top/tests/integration/data
plan=$data/layout-plan.json
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# accept WHAT ARGS...: judge.py exits 0 and prints no "not ok".
accept() {
    local what=$1; shift
    python3 "$judge" "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ $rc -eq 0 ] && ! grep -q '^not ok' "$tmp/out" && grep -q '^ok' "$tmp/out"; then
        ok "accepts $what ($(grep -c '^ok' "$tmp/out") checks)"
    else
        bad "accepts $what (exit $rc)"; sed 's/^/    | /' "$tmp/out"
    fi
}

# reject WHAT REASON ARGS...: judge.py exits 1 with a "not ok" line that
# contains REASON (so it fails for the right reason, not for any).
reject() {
    local what=$1 reason=$2; shift 2
    python3 "$judge" "$@" >"$tmp/out" 2>&1
    local rc=$?
    if [ $rc -eq 1 ] && grep '^not ok' "$tmp/out" | grep -qF -- "$reason"; then
        ok "rejects $what"
    else
        bad "rejects $what (exit $rc, want 1 and a 'not ok' line with '$reason')"
        sed 's/^/    | /' "$tmp/out"
    fi
}

# The serial report.
accept "the good serial log" report "$plan" "$data/serial-good.log"
reject "a missing mount" "/srv/data is mounted" report "$plan" "$data/serial-missing-mount.log"
reject "a wrong fstype" "/srv/data is xfs" report "$plan" "$data/serial-wrong-fstype.log"
reject "an LV mount source without doubled '-'" "mounted from /dev/mapper/vg_app-app--cache" \
    report "$plan" "$data/serial-wrong-source.log"
reject "a partition mount from the wrong partition" "/boot is mounted from partition 3" \
    report "$plan" "$data/serial-wrong-partition.log"
reject "a missing LV" "lv vg_app/app-cache is active" report "$plan" "$data/serial-missing-lv.log"
reject "a missing swap" "swap vg_os/swap is active" report "$plan" "$data/serial-missing-swap.log"
reject "a swap named /dev/dm-N" "is a kernel name" report "$plan" "$data/serial-swap-dm.log"
accept "the report through the kernel log" report "$plan" "$data/serial-kmsg-prefix.log"
reject "an unplanned mount" "unexpected: /mnt" report "$plan" "$data/serial-extra-mount.log"
reject "a report without its END" "complete APPLIANCE-REPORT" report "$plan" "$data/serial-no-end.log"
reject "another appliance's report" "report names the appliance" report "$plan" "$data/serial-other-name.log"
reject "a serial log without a report" "complete APPLIANCE-REPORT" report "$plan" "$data/vfs-good.csv"

# virt-filesystems (the good CSV has the tool's wrong PV column on VG rows).
accept "the good virt-filesystems CSV" filesystems "$plan" "$data/vfs-good.csv"
reject "a missing LV" "VG /dev/vg_app has LVs app, data, app-cache" \
    filesystems "$plan" "$data/vfs-missing-lv.csv"
reject "a wrong filesystem type" "/dev/vg_app/data is xfs" filesystems "$plan" "$data/vfs-wrong-fstype.csv"
reject "a wrong LV size" "LV /dev/vg_os/root is 2147483648 bytes" \
    filesystems "$plan" "$data/vfs-wrong-lv-size.csv"
reject "a missing swap signature" "/dev/vg_os/swap holds a filesystem" \
    filesystems "$plan" "$data/vfs-no-swap.csv"
reject "an extra partition" "disk 'app' has 1 partitions" filesystems "$plan" "$data/vfs-extra-partition.csv"
reject "a filesystem smaller than its LV" "/dev/vg_os/log fills its" \
    filesystems "$plan" "$data/vfs-small-fs.csv"
reject "VGs on each other's disk" "VG /dev/vg_app is" filesystems "$plan" "$data/vfs-vg-on-wrong-disk.csv"
# PVs named by a kernel that put the appliance's disk first, or the second
# drive before the first (both seen here): judged as the planned ones by
# their partitions and sizes; a PV on another partition, or PVs whose
# sizes belong to each other's VG, are not.
accept "PVs named in the kernel's order (libguestfs issue #69)" filesystems "$plan" \
    "$data/vfs-pv-kernel-order.csv"
accept "PVs named with the second drive first" filesystems "$plan" \
    "$data/vfs-pv-second-first.csv"
reject "a PV on another partition" "2 physical volumes" filesystems "$plan" \
    "$data/vfs-pv-wrong-partition.csv"
reject "PVs with each other's sizes" "2 physical volumes" filesystems "$plan" \
    "$data/vfs-pv-wrong-size.csv"

# sfdisk --json.
accept "the good GPTs" gpt "$plan" "$data/sfdisk-os-good.json" "$data/sfdisk-app-good.json"
reject "a wrong partition type" "partition 3 has type BC13C2FF" \
    gpt "$plan" "$data/sfdisk-os-wrong-type.json" "$data/sfdisk-app-good.json"
reject "a misaligned partition" "partition 1 (lvm) at 1048576" \
    gpt "$plan" "$data/sfdisk-os-good.json" "$data/sfdisk-app-misaligned.json"

# virt-inspector.
accept "the good virt-inspector XML" inspector "$plan" "$data/inspector-good.xml" "$data/inspector-good.stderr"
reject "a wrong major version" "major version is 12" inspector "$plan" "$data/inspector-wrong-version.xml"
reject "a missing mount point" "fstab mounts /var/cache/app" inspector "$plan" "$data/inspector-missing-mount.xml"
reject "a missing package" "package curl is installed" inspector "$plan" "$data/inspector-missing-package.xml"
reject "a missing add-on" "add-on hyperv: hyperv-daemons is installed" inspector "$plan" "$data/inspector-missing-addon.xml"
reject "no OS found" "finds one operating system" inspector "$plan" "$data/inspector-none.xml"
reject "a filesystem that could not be mounted" "mounts every filesystem without error" \
    inspector "$plan" "$data/inspector-good.xml" "$data/inspector-mount-error.stderr"

# Unusable input is an error (exit 2), never a pass.
python3 "$judge" report "$data/serial-good.log" "$data/serial-good.log" >/dev/null 2>&1
[ $? -eq 2 ] && ok "a plan that is not JSON exits 2" || bad "a plan that is not JSON exits 2"
python3 "$judge" filesystems "$plan" "$data/serial-good.log" >/dev/null 2>&1
[ $? -eq 2 ] && ok "a CSV that is not virt-filesystems output exits 2" ||
    bad "a CSV that is not virt-filesystems output exits 2"
python3 "$judge" bogus >/dev/null 2>&1
[ $? -eq 2 ] && ok "an unknown judge command exits 2" || bad "an unknown judge command exits 2"

# The stored plan still says what the compiler says today about the parts
# the judge reads (else regenerate it:
#   $APPLIANCE plan tests/integration/recipes/layout.yaml --json > tests/integration/data/layout-plan.json
# and the data files made from it).
if [ -x "${APPLIANCE:-}" ]; then
    if "$APPLIANCE" plan "$top/tests/integration/recipes/layout.yaml" --json >"$tmp/plan.json" 2>"$tmp/err"; then
        python3 - "$plan" "$tmp/plan.json" >"$tmp/diff" <<'EOF'
import json, sys
def proj(p):
    keep = lambda d, ks: {k: d.get(k) for k in ks}
    return {
        "top": keep(p, ["name", "version"]),
        "os": keep(p["os"], ["distro", "hostname", "packages"]),
        "disks": [dict(keep(d, ["id", "size", "table"]),
                       partitions=[keep(x, ["number", "role", "type_guid", "start", "size", "fs", "mount"])
                                   for x in d["partitions"]],
                       vg=d.get("vg") and dict(keep(d["vg"], ["name", "pv_partition", "extent_size", "extents"]),
                                               lvs=[keep(l, ["name", "fs", "mount", "size"]) for l in d["vg"]["lvs"]]))
                  for d in p["disks"]],
        "mounts": [keep(m, ["path", "fs", "disk", "lv", "partition"]) for m in p["mounts"]],
    }
a, b = (proj(json.load(open(f))) for f in sys.argv[1:3])
for k in a:
    if a[k] != b[k]:
        print(f"{k}: stored {a[k]}\n  now {b[k]}")
EOF
        [ -s "$tmp/diff" ] && { bad "data/layout-plan.json matches today's plan of layout.yaml"; cat "$tmp/diff"; } ||
            ok "data/layout-plan.json matches today's plan of layout.yaml"
    else
        bad "appliance plan layout.yaml --json: $(cat "$tmp/err")"
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
