#!/bin/bash
# tier: lifecycle
# appliance inspect on a real build (tests/integration/recipes/bios-only.yaml),
# packed into bundles by tools nobody here wrote: qemu-img (qcow2 and
# streamOptimized VMDK), tar (the OVA), sha256sum (manifest, SHA256SUMS); the
# descriptor is the OVF writer's golden with this build's sizes.
#  - the output folder, --json: every digest OK, the OVF summary, and what
#    the disks hold (VGs, LVs, filesystems, mounts, OS, hostname) against
#    the plan, read on the host (no appliance); and against virt-inspector
#    on the same qcow2 disks: the OS's distribution, version, product name,
#    arch, hostname, package count, mount points, and every filesystem's
#    type, label and UUID
#  - the OVA alone, with a blank raw disk: the VMDKs extracted and read,
#    vg_os, its LVs, Debian, the manifest OK, in the text output
# (A tampered OVA and a missing file: inspect-digests.sh, in the gate.)
# One libguestfs launch (virt-inspector's) under TCG: a few minutes.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 qemu-img tar sha256sum virt-inspector
# virt-inspector cannot use a KVM that qemu cannot run (docs/design.md).
boot_probe_accel
[ "$BOOT_ACCEL" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
recipe=$TOP/tests/integration/recipes/bios-only.yaml
itest_build "$recipe" || finish
name=bios-only
stem=$STEM # bios-only-0.1.0: the files are named as a build names them
out=$ITEST_TMP/out
# A TMPDIR of our own, to see the scratch folders go; libguestfs keeps its
# appliance cache where it was.
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}
export TMPDIR=$ITEST_TMP/tmp
mkdir -p "$TMPDIR"

# ---- the bundle ----
start=$SECONDS
mkdir -p "$out/ovf"
for d in os app; do
    img=$IMG_OS
    [ "$d" = app ] && img=$IMG_APP
    qemu-img convert -O qcow2 "$img" "$out/$stem-$d.qcow2" &&
        qemu-img convert -O vmdk -o subformat=streamOptimized,adapter_type=lsilogic "$img" \
            "$out/ovf/$stem-$d.vmdk" || { bad "qemu-img convert $d"; finish; }
done
size() { stat -c %s "$1"; }
sed -e "s/t-os\.vmdk/$stem-os.vmdk/; s/t-app\.vmdk/$stem-app.vmdk/" \
    -e "s/ovf:size=\"123456789\"/ovf:size=\"$(size "$out/ovf/$stem-os.vmdk")\"/" \
    -e "s/ovf:size=\"4242\"/ovf:size=\"$(size "$out/ovf/$stem-app.vmdk")\"/" \
    -e "s/ovf:capacity=\"10\"/ovf:capacity=\"$(($(size "$IMG_OS") >> 30))\"/" \
    -e "s/ovf:capacity=\"2\"/ovf:capacity=\"$(($(size "$IMG_APP") >> 30))\"/" \
    -e "s/ovf:id=\"t\"/ovf:id=\"$name\"/; s/<Name>t</<Name>$name</" \
    "$TOP/tests/data/ovf/scsi-bios+uefi.ovf" >"$out/ovf/$stem.ovf"
(cd "$out/ovf" && for f in $stem.ovf $stem-os.vmdk $stem-app.vmdk; do
    printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
done >$stem.mf)
tar --format=ustar -cf "$out/$stem.ova" -C "$out/ovf" $stem.ovf $stem.mf $stem-os.vmdk $stem-app.vmdk
cp "$(dirname "$IMG_OS")/build-report.json" "$out/"
(cd "$out" && find . -type f | sed 's|^\./||' | sort | xargs sha256sum >"$ITEST_TMP/sums" &&
    mv "$ITEST_TMP/sums" SHA256SUMS)
echo "# bundle made in $((SECONDS - start)) s"

# ---- the output folder, as JSON ----
start=$SECONDS
"$APPLIANCE" inspect --json "$out" >"$ITEST_TMP/folder.json" 2>"$ITEST_TMP/folder.err"
rc=$?
echo "# inspect --json of the folder: exit $rc after $((SECONDS - start)) s"
[ "$rc" = 0 ] && ok "inspect of the output folder exits 0" ||
    { bad "inspect of the output folder exits $rc"; cat "$ITEST_TMP/folder.err"; }
python3 - "$ITEST_TMP/folder.json" "$PLAN" >"$ITEST_TMP/judge.out" 2>&1 <<'EOF'
import json, sys
got = json.load(open(sys.argv[1]))
plan = json.load(open(sys.argv[2]))
def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
b = got["bundles"][0]
check(got["ok"] and b["ok"] and got["verified"], "the folder is ok and verified")
states = {(c["manifest"], c["file"]): c["state"] for c in b["checks"]}
check(len(states) == 3 + 3 + 8 and set(states.values()) == {"OK"},
      "every digest OK: ovf/NAME.mf, the OVA's .mf, SHA256SUMS (%s)" % sorted(set(states.values())))
ovf = b["ovf"]
check(ovf["source"] == "ovf/bios-only-0.1.0.ovf" and ovf["name"] == "bios-only", "OVF from ovf/NAME-VERSION.ovf")
check(ovf["os_id"] == 96 and ovf["os_type"] == "debian10_64Guest", "OVF OS id and vmw:osType")
hw = ovf["hardware"]
check(hw["controllers"][0]["type"] == "SCSI" and hw["firmware"] == "bios", "OVF controller, firmware")
check([d["file"] for d in ovf["disks"]] == ["bios-only-0.1.0-os.vmdk", "bios-only-0.1.0-app.vmdk"], "OVF disks")
check([i["name"] for i in b["images"]] == ["bios-only-0.1.0-os.qcow2", "bios-only-0.1.0-app.qcow2"]
      and {i["format"] for i in b["images"]} == {"qcow2"}, "the qcow2 disks are the ones read")
g = got["guest"]
check(g["read_by"] == "host" and g["appliance_reason"] is None,
      "the disks read on the host, no appliance (%s, %s)" % (g["read_by"], g["appliance_reason"]))
check([d["partition_table"] for d in g["disks"]] == ["gpt", "gpt"], "two GPT disks")
for disk in plan["disks"]:
    vg = disk["vg"]
    gvg = [v for v in g["vgs"] if v["name"] == vg["name"]]
    check(len(gvg) == 1, "VG %s found" % vg["name"])
    want = {l["name"]: l["size"] for l in vg["lvs"]}
    have = {l["name"]: l["size"] for l in g["lvs"] if l["vg"] == vg["name"]}
    check(want == have, "LVs of %s and their sizes as planned (%s)" % (vg["name"], sorted(have)))
    pvs = [p for p in g["pvs"] if p["vg"] == vg["name"]]
    dev = "/dev/sda" if disk["id"] == "os" else "/dev/sdb"
    check(len(pvs) == 1 and pvs[0]["device"] == "%s%d" % (dev, vg["pv_partition"]),
          "%s on %s%d" % (vg["name"], dev, vg["pv_partition"]))
fss = {f["device"]: f for f in g["filesystems"]}
def device(m):
    if m.get("lv"):
        return m["lv"]
    return "%s%d" % ("/dev/sda" if m["disk"] == "os" else "/dev/sdb", m["partition"])
for m in plan["mounts"]:
    dev = device(m)
    check(dev in fss and fss[dev]["type"] == m["fs"], "%s on %s is %s" % (m["path"], dev, m["fs"]))
check(any(f["type"] == "swap" for f in fss.values()), "a swap volume")
oses = g["operating_systems"]
check(len(oses) == 1, "one operating system")
if oses:
    os = oses[0]
    check(os["root"] == "/dev/vg_os/root" and os["distro"] == "debian" and os["major_version"] == 12,
          "Debian 12 on /dev/vg_os/root")
    check(os["hostname"] == plan["os"]["hostname"], "hostname %s" % os["hostname"])
    check(len(os["kernels"]) >= 1 and os["packages"] > 100, "kernel %s, %s packages" % (os["kernels"], os["packages"]))
    mounts = {m["path"]: m["device"] for m in os["mounts"]}
    want = {m["path"]: device(m) for m in plan["mounts"]}
    check(all(mounts.get(p) == d for p, d in want.items()), "fstab's mounts as planned")
    grow = os["grow_service"]
    want = sorted(d["vg"]["name"] for d in plan["disks"] if d["vg"]["grow_lv"])
    check(grow["installed"] and grow["enabled"] and grow["volume_groups"] == want,
          "grow service installed, enabled, with the size records of %s (%s)" % (want, grow))
EOF
rc=$?
cat "$ITEST_TMP/judge.out"
[ "$rc" = 0 ] || bad "the JSON judge failed (exit $rc)"
pass=$((pass + $(grep -c '^ok ' "$ITEST_TMP/judge.out")))
fail=$((fail + $(grep -c '^not ok ' "$ITEST_TMP/judge.out")))

# ---- the same disks through virt-inspector ----
start=$SECONDS
virt-inspector --format=qcow2 -a "$out/$stem-os.qcow2" -a "$out/$stem-app.qcow2" \
    >"$ITEST_TMP/vi.xml" 2>"$ITEST_TMP/vi.err"
rc=$?
echo "# virt-inspector: exit $rc after $((SECONDS - start)) s"
if [ "$rc" = 0 ]; then
    python3 "$TOP/tests/lib/vi_compare.py" "$ITEST_TMP/folder.json" "$ITEST_TMP/vi.xml" >"$ITEST_TMP/vi.out" 2>&1
    rc=$?
    cat "$ITEST_TMP/vi.out"
    [ "$rc" = 0 ] || bad "the virt-inspector judge failed (exit $rc)"
    pass=$((pass + $(grep -c '^ok ' "$ITEST_TMP/vi.out")))
    fail=$((fail + $(grep -c '^not ok ' "$ITEST_TMP/vi.out")))
else
    bad "virt-inspector failed (exit $rc): $(tail -3 "$ITEST_TMP/vi.err")"
fi

# ---- the OVA alone, beside a blank disk: the VMDKs are extracted ----
qemu-img create -q -f raw "$ITEST_TMP/blank.img" 16M
start=$SECONDS
"$APPLIANCE" inspect "$out/$stem.ova" "$ITEST_TMP/blank.img" >"$ITEST_TMP/ova.txt" 2>"$ITEST_TMP/ova.err"
rc=$?
secs=$((SECONDS - start))
echo "# inspect of the OVA: exit $rc after $secs s"
grep -m1 '^disks (' "$ITEST_TMP/ova.txt"
[ "$rc" = 0 ] && ok "inspect of the OVA exits 0 ($secs s)" ||
    { bad "inspect of the OVA exits $rc"; cat "$ITEST_TMP/ova.err"; }
expect_line() { # REGEX DESCRIPTION
    grep -Eq -- "$1" "$ITEST_TMP/ova.txt" && ok "$2" || bad "$2: no line matching '$1'"
}
expect_line "^    OK +SHA256 $stem-os\.vmdk$" "OVA manifest: $stem-os.vmdk OK"
expect_line "^    OK +SHA256 $stem\.ovf$" "OVA manifest: $stem.ovf OK"
expect_line "^  image $stem\.ova:$stem-os\.vmdk: vmdk, 4GiB" "the OS disk extracted as a VMDK"
expect_line "^  /dev/sda  $stem\.ova:$stem-os\.vmdk  vmdk, 4GiB, gpt$" "the OS VMDK read as /dev/sda"
expect_line "^  VG vg_os " "vg_os"
expect_line "^  VG vg_app " "vg_app"
for lv in root var swap log; do
    expect_line "^    LV /dev/vg_os/$lv " "LV vg_os/$lv"
done
expect_line "^  /dev/vg_os/root +ext4 .* label 'root'" "the root filesystem and its label"
expect_line "^    linux debian 12\.[0-9]+, x86_64, hostname 'bios-only', [0-9]+ packages \(deb\)$" "Debian 12 detected"
expect_line "^    kernel [0-9]" "a kernel"
expect_line "^  VG vg_app +[0-9.]+[KMGT]iB, [0-9.]+([KMGT]i)?B free, 1 PV, " "vg_app's size and free space"
expect_line "^    grow service: enabled \(grows vg_" "the grow service and the VGs it grows"
expect_line "^  /dev/sdc  blank\.img  raw, 16MiB, no partition table$" "the blank raw disk"
expect_line "^disks \(read on the host, no VM: [0-9.]+ s\)$" "the disks read on the host, no VM"
expect_line "^    identity: machine-id (empty|set), 0 SSH host key files$" "the identity files"
expect_line "^result: ok$" "result: ok"
ls -d "$TMPDIR"/appliance-inspect.* 2>/dev/null && bad "scratch folder left behind" ||
    ok "no scratch folder left behind"

finish
