#!/bin/bash
# tier: vm
# `appliance test`, end to end, with as few boots as possible (each takes a
# minute or more under TCG):
#
#   1. the build of tests/integration/recipes/layout.yaml (shared with
#      engine-layout.sh and boot.sh through tests/lib/itest.sh), booted
#      once under SeaBIOS: PASS, exit 0, the console kept, the disks not
#      written, qemu and its scratch folder gone afterwards;
#   2. a copy of that output whose OS disk is blank (the application disk
#      and the build report are the real ones, under the .img names builds
#      used before the exporters), with a 20 s timeout: FAIL, exit 1, the
#      reasons printed, nothing left behind;
#   3. the same interrupted once its qemu runs: exit 130, nothing left behind.
#
# The serial log of the good boot is kept in
# $BUILD/test-logs/integration-test-cmd-bios.serial.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 qemu-system-x86_64 qemu-img
logs=$ITEST_BUILD/test-logs
mkdir -p "$logs"
# A private scratch root: whatever `appliance test` leaves shows up here.
scratch=$ITEST_TMP/scratch
mkdir -p "$scratch"

# leftovers WHAT: no scratch folder and no qemu of ours after a run.
leftovers() {
    if [ -z "$(ls -A "$scratch")" ]; then ok "$1: no scratch files left"; else
        bad "$1: scratch files left: $(ls -A "$scratch")"; fi
    local pids
    if pids=$(pgrep -f "qemu-system.*$scratch"); then
        bad "$1: qemu still running"; kill -KILL $pids
    else ok "$1: no qemu left running"; fi
}

itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish
out=$(dirname "$IMG_OS")
[ -f "$out/build-report.json" ] || { bad "the build wrote build-report.json"; finish; }
# Every disk file of the output: size and modification time.
stamp() { stat -c '%n %s %Y' "$out/$STEM"-* "$out/$STEM".ova "$out"/ovf/* 2>/dev/null; }
before=$(stamp)

# 1. A good boot.
serial=$ITEST_TMP/bios.serial
start=$SECONDS
TMPDIR=$scratch "$APPLIANCE" test "$out" --firmware bios --log "$serial" \
    >"$ITEST_TMP/out" 2>"$ITEST_TMP/err"
rc=$?
echo "# appliance test: exit $rc after $((SECONDS - start)) s"
sed 's/^/    | /' "$ITEST_TMP/out"
[ "$rc" = 0 ] && ok "good build: exit 0" || { bad "good build: exit $rc"; tail -n 20 "$ITEST_TMP/err"; }
grep -qE '^PASS bios: login prompt after [0-9]+ s; 7 mounts, 1 swap, 6 LVs as planned$' \
    "$ITEST_TMP/out" && ok "good build: PASS bios with every mount, swap and LV" ||
    bad "good build: PASS line"
grep -q '^FAIL' "$ITEST_TMP/out" && bad "good build: no FAIL line" || ok "good build: no FAIL line"
[ "$(grep -c '^accel: \(KVM\|TCG, software emulation (.*)\)$' "$ITEST_TMP/err")" = 1 ] &&
    ok "the accelerator said on one line" || bad "the accelerator said on one line"
# The best pair of the output: qcow2 if the recipe asks for it, else raw.
# (the files build-report.json lists: NAME-VERSION-os.EXT)
if [ -f "$out/$STEM-os.qcow2" ]; then kind=qcow2; else kind=raw; fi
grep -qF "disks ($kind): $out/$STEM-os.$kind, $out/$STEM-app.$kind" "$ITEST_TMP/err" &&
    ok "boots $STEM-os.$kind, $STEM-app.$kind" || bad "disks line: $(grep disks "$ITEST_TMP/err")"
grep -q 'APPLIANCE-REPORT-END' "$serial" && grep -q 'login:' "$serial" &&
    ok "--log has the report and the prompt" || bad "--log has the report and the prompt"
cp "$serial" "$logs/integration-test-cmd-bios.serial"
[ "$(stamp)" = "$before" ] && ok "the shipped disks were not written" ||
    bad "the shipped disks changed: $before -> $(stamp)"
leftovers "good build"

# 2. A blank OS disk: nothing boots.
bad_out=$ITEST_TMP/blank
mkdir -p "$bad_out"
cp "$out/build-report.json" "$bad_out/"
truncate -s "$(stat -c %s "$IMG_OS")" "$bad_out/layout-os.img"
ln -s "$IMG_APP" "$bad_out/layout-app.img"
start=$SECONDS
TMPDIR=$scratch "$APPLIANCE" test "$bad_out" --firmware bios --timeout 20 \
    >"$ITEST_TMP/out" 2>"$ITEST_TMP/err"
rc=$?
echo "# appliance test (blank OS disk): exit $rc after $((SECONDS - start)) s"
sed 's/^/    | /' "$ITEST_TMP/out"
[ "$rc" = 1 ] && ok "blank OS disk: exit 1" || bad "blank OS disk: exit $rc, want 1"
grep -q '^disks (img): ' "$ITEST_TMP/err" && ok "boots the legacy NAME-os.img, NAME-app.img" ||
    bad "disks line: $(grep disks "$ITEST_TMP/err")"
grep -qE '^FAIL bios: 3 problems after 2[0-9] s$' "$ITEST_TMP/out" && ok "blank OS disk: FAIL bios" ||
    bad "blank OS disk: FAIL line"
for reason in 'timed out after 20 s: nothing from the kernel on the console' \
    'no login prompt on the console' \
    'no APPLIANCE-REPORT on the console (no kernel messages either: did it boot at all?)'; do
    grep -qxF "  - $reason" "$ITEST_TMP/out" && ok "reason: $reason" || bad "reason: $reason"
done
head -n 2 "$ITEST_TMP/out" | grep -q '^  - timed out' && ok "the timeout is the first reason" ||
    bad "the timeout is the first reason"
[ "$SECONDS" -lt $((start + 40)) ] && ok "the timeout is kept" || bad "took $((SECONDS - start)) s"
leftovers "blank OS disk"

# 3. Interrupted.
TMPDIR=$scratch "$APPLIANCE" test "$bad_out" --firmware bios >"$ITEST_TMP/out" 2>"$ITEST_TMP/err" &
pid=$!
# Interrupted once its qemu runs (the KVM probe before it may take up to 5 s).
for _ in $(seq 120); do
    pgrep -f "qemu-system.*$scratch" >/dev/null && break
    sleep 0.5
done
pgrep -f "qemu-system.*$scratch" >/dev/null && ok "interrupt: qemu was running" ||
    bad "interrupt: qemu was running"
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] && ok "interrupt: exit 130" || bad "interrupt: exit $rc, want 130"
grep -q '^appliance: interrupted' "$ITEST_TMP/err" && ok "interrupt: said so" ||
    bad "interrupt: said so: $(cat "$ITEST_TMP/err")"
leftovers "interrupt"

finish
