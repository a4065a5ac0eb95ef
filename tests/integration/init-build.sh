#!/bin/bash
# tier: lifecycle
# The README's first hour, end to end: `appliance init` (Debian 12, the
# default) writes a recipe that builds as it stands, and `appliance test`,
# run as the README runs it (every firmware the appliance supports),
# boots it: PASS for each, no FAIL, exit 0, the qcow2 pair the starter's
# outputs ask for booted, the shipped disks not written.
#
# One change is made to the recipe: `raw` is added to its outputs, since
# tests/lib/itest.sh caches a build by its raw disks; the boot judged is
# the qcow2 pair's, which `appliance test` prefers. The build is cached in
# $BUILD/itest/appliance/ like the other fixtures; the console of each
# boot is kept in $BUILD/test-logs/integration-init-build.serial.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 qemu-system-x86_64 qemu-img
logs=$ITEST_BUILD/test-logs
mkdir -p "$logs"

# The folder gives the recipe its name: initbuild.
dir=$ITEST_TMP/initbuild
recipe=$dir/appliance.yaml
if "$APPLIANCE" init "$dir" >"$ITEST_TMP/out" 2>"$ITEST_TMP/err"; then
    ok "appliance init $dir"
else
    bad "appliance init $dir: $(cat "$ITEST_TMP/err")"
    finish
fi
grep -q '^  distro: debian-12 ' "$recipe" && ok "the starter is Debian 12" ||
    bad "the starter is Debian 12: $(grep distro: "$recipe")"
grep -q '^name: initbuild ' "$recipe" && ok "the starter is named after its folder" ||
    bad "the starter's name: $(grep '^name:' "$recipe")"
grep -q '^outputs: \[ova, qcow2, libvirt\]$' "$recipe" && ok "the starter's outputs" ||
    bad "the starter's outputs: $(grep '^outputs:' "$recipe")"
sed -i 's/^outputs: \[ova, qcow2, libvirt\]$/outputs: [ova, qcow2, libvirt, raw]/' "$recipe"

itest_build "$recipe" || finish
out=$(dirname "$IMG_OS")
# The outputs are named NAME-VERSION.*, as the starter's version says.
v=$(sed -n 's/^version: *"\{0,1\}\([0-9A-Za-z.+~-]*\).*/\1/p' "$recipe")
[ -n "$v" ] && ok "the starter has a version: $v" || bad "the starter has no version line"
nv=initbuild-$v
for f in "$nv.ova" "$nv-os.qcow2" "$nv-app.qcow2" "$nv.xml" SHA256SUMS build-report.json; do
    [ -f "$out/$f" ] && ok "the build wrote $f" || bad "the build wrote $f"
done
stamp() { stat -c '%n %s %Y' "$out/$nv"*; }
before=$(stamp)

# appliance test, as the README runs it.
serial=$ITEST_TMP/console
start=$SECONDS
"$APPLIANCE" test "$out" --keep-log "$serial" >"$ITEST_TMP/out" 2>"$ITEST_TMP/err"
rc=$?
echo "# appliance test: exit $rc after $((SECONDS - start)) s"
sed 's/^/    | /' "$ITEST_TMP/out"
[ -f "$serial" ] && cp "$serial" "$logs/integration-init-build.serial"
[ "$rc" = 0 ] && ok "appliance test: exit 0" || { bad "appliance test: exit $rc"; tail -n 20 "$ITEST_TMP/err"; }
# The starter's layout: /, /boot, /boot/efi, /var/log, /opt/app, /srv/data;
# root, swap, log, app, data.
grep -qE '^PASS bios: login prompt after [0-9]+ s; 6 mounts, 1 swap, 5 LVs as planned$' \
    "$ITEST_TMP/out" && ok "PASS bios with every mount, swap and LV" || bad "PASS bios line"
grep -qE '^PASS (uefi|secureboot): ' "$ITEST_TMP/out" && ok "PASS under UEFI" ||
    bad "PASS under UEFI"
grep -q '^FAIL' "$ITEST_TMP/out" && bad "no FAIL line" || ok "no FAIL line"
grep -q "^disks (qcow2): $out/$nv-os.qcow2, $out/$nv-app.qcow2$" "$ITEST_TMP/err" &&
    ok "the starter's qcow2 pair booted" || bad "disks line: $(grep disks "$ITEST_TMP/err")"
[ "$(stamp)" = "$before" ] && ok "the shipped disks were not written" ||
    bad "the shipped disks changed: $before -> $(stamp)"

finish
