#!/bin/bash
# tier: slow
# appliance convert --live, against a real session libvirtd started here
# (as nobody: root's qemu:///session is the system daemon) running the
# appliance under qemu (type 'qemu': software emulation), its serial
# console in a file. A writer loop in the guest (started through the guest
# agent's guest-exec) appends a timestamp every second to a file on each
# disk (/var/log on the OS disk, ext4; /srv/data on the app disk, xfs);
# convert --live writes a qcow2 copy while it runs. Judged with virsh,
# qemu-img and guestfish:
#  - the domain never stopped (running at every poll, the same id), its
#    disks afterwards are the original files, no overlay is left, the
#    writer kept writing into the originals after the pivot
#  - the converted disks pass qemu-img check, their filesystems are clean
#    (e2fsck -fn; xfs_repair -n once a mount replayed XFS's log) and hold
#    the marker files as of the snapshot
#  - Ctrl-C during the copy: exit 130, the domain back on its disks
#  - with the guest agent stopped: refused without --allow-crash-consistent,
#    the domain untouched; with it, a crash-consistent copy, the domain
#    back on its disks
# Several minutes under emulation (boot ~1.5 min, each convert minutes):
# make check-slow.
. "${TOP:-.}/tests/lib/itest.sh"
need virsh libvirtd qemu-img qemu-system-x86_64 guestfish python3 setpriv

phase_start=$SECONDS
phase() { # NAME: ends the previous phase, prints its time
    echo "# $(date -u +%H:%M:%S) phase '$1' begins ($((SECONDS - phase_start)) s since the previous)"
    phase_start=$SECONDS
}

phase build
itest_build "$TOP/tests/integration/recipes/live.yaml" || finish
src=$(dirname "$IMG_OS")
for f in live-0.1.0-os.qcow2 live-0.1.0-app.qcow2 live-0.1.0.xml; do
    [ -f "$src/$f" ] || { bad "the build wrote $f"; finish; }
done

# ---- a session libvirtd owned by this test, as nobody ----
phase libvirtd
home=$ITEST_TMP/session
vm=$home/vm
mkdir -p "$home/run" "$vm"
chmod 711 "$ITEST_TMP"
cp --sparse=always "$src/live-0.1.0-os.qcow2" "$src/live-0.1.0-app.qcow2" "$vm/"
chown -R 65534:65534 "$home"
chmod 700 "$home/run"
env -i PATH="$PATH" HOME="$home" XDG_RUNTIME_DIR="$home/run" XDG_CONFIG_HOME="$home/config" \
    XDG_CACHE_HOME="$home/cache" XDG_DATA_HOME="$home/data" \
    setpriv --reuid=65534 --regid=65534 --clear-groups libvirtd >"$ITEST_TMP/libvirtd.log" 2>&1 &
daemon=$!
DOM=live
sock=$home/run/libvirt/libvirt-sock
URI="qemu+unix:///session?socket=$sock"
vsh() { virsh -q -c "$URI" "$@"; }
monitor=
live_cleanup() {
    [ -n "$monitor" ] && kill "$monitor" 2>/dev/null
    # A run stopped from outside (the runner's time limit, a Ctrl-C) signals
    # libvirtd with the test, and qemu, in a session of its own, outlives
    # them both: it is killed by the pid file libvirtd keeps for it.
    if ! vsh destroy "$DOM" >/dev/null 2>&1; then
        local pidfile
        pidfile=$(find "$home/run" -name "$DOM.pid" 2>/dev/null | head -n 1)
        [ -n "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
    fi
    kill "$daemon" 2>/dev/null
    wait "$daemon" 2>/dev/null
    if [ -f "$vm/serial.log" ]; then
        mkdir -p "$ITEST_BUILD/test-logs" && cp "$vm/serial.log" "$ITEST_BUILD/test-logs/live-serial.log"
    fi
    itest_cleanup
}
trap live_cleanup EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] && ok "libvirtd started (pid $daemon)" ||
    { bad "libvirtd did not start"; cat "$ITEST_TMP/libvirtd.log"; finish; }

# The build's domain, adapted: type qemu, the copied disks, user-mode
# networking, the serial console in a file, no display.
python3 - "$src/live-0.1.0.xml" "$vm" >"$ITEST_TMP/domain.xml" <<'PY' || { bad "domain XML"; finish; }
import sys, xml.etree.ElementTree as ET
doc = ET.parse(sys.argv[1]); d = doc.getroot(); vm = sys.argv[2]
d.set("type", "qemu")
devs = d.find("devices")
for disk in devs.findall("disk"):
    s = disk.find("source")
    s.set("file", vm + "/" + s.get("file").rsplit("/", 1)[1])
for tag in ("interface", "serial", "console", "graphics", "video"):
    for e in devs.findall(tag):
        devs.remove(e)
cpu = d.find("cpu")
if cpu is not None:
    d.remove(cpu)
ET.SubElement(devs, "interface", type="user").append(ET.Element("model", type="virtio"))
serial = ET.SubElement(devs, "serial", type="file")
ET.SubElement(serial, "source", path=vm + "/serial.log")
ET.SubElement(serial, "target", port="0")
doc.write(sys.stdout, encoding="unicode")
PY
vsh define "$ITEST_TMP/domain.xml" >/dev/null && ok "domain '$DOM' defined" ||
    { bad "virsh define"; cat "$ITEST_TMP/domain.xml"; finish; }
vsh start "$DOM" >/dev/null && ok "domain '$DOM' started (type qemu)" || { bad "virsh start"; finish; }
domid=$(vsh domid "$DOM")

# ---- the guest agent ----
ga() { vsh qemu-agent-command --timeout 30 "$DOM" "$1" 2>/dev/null; }
# ga_run PROGRAM ARGS...: runs it in the guest, prints its stdout.
ga_run() {
    local req pid st
    req=$(python3 -c 'import json,sys; print(json.dumps({"execute": "guest-exec", "arguments":
        {"path": sys.argv[1], "arg": sys.argv[2:], "capture-output": True}}))' "$@")
    pid=$(ga "$req" | python3 -c 'import json,sys; print(json.load(sys.stdin)["return"]["pid"])') ||
        return 1
    for _ in $(seq 120); do
        st=$(ga "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") || return 1
        python3 -c '
import base64, json, sys
r = json.loads(sys.argv[1])["return"]
if not r["exited"]: sys.exit(3)
sys.stdout.write(base64.b64decode(r.get("out-data", "")).decode())
sys.exit(r.get("exitcode", 1))' "$st"
        case $? in 3) sleep 0.5 ;; 0) return 0 ;; *) return 1 ;; esac
    done
    return 1
}
phase boot
for _ in $(seq 600); do
    ga '{"execute":"guest-ping"}' >/dev/null && break
    sleep 1
done
if ga '{"execute":"guest-ping"}' >/dev/null; then
    ok "the guest agent answers guest-ping ($((SECONDS - phase_start)) s after start)"
else
    bad "the guest agent did not answer in 600 s"; tail -20 "$vm/serial.log"; finish
fi

# ---- the writer ----
phase writer
loop='while :; do t=$(date +%s%N); echo $t >> /var/log/live-marker; echo $t >> /srv/data/live-marker; sync; sleep 1; done'
# exec: nothing in the guest keeps guest-exec's output pipes open.
ga_run /usr/bin/setsid -f /bin/sh -c "exec </dev/null >/dev/null 2>&1; $loop" >/dev/null &&
    ok "writer loop started in the guest" || { bad "guest-exec of the writer"; finish; }
count() { ga_run /usr/bin/wc -l "$1" | cut -d' ' -f1; }
for _ in $(seq 60); do [ "$(count /srv/data/live-marker)" -ge 3 ] 2>/dev/null && break; sleep 1; done
n0=$(count /srv/data/live-marker)
[ "${n0:-0}" -ge 3 ] && ok "the writer writes ($n0 lines)" || { bad "the writer does not write"; finish; }

# The domain's state and id, every second, until the end.
(while :; do echo "$(vsh domstate "$DOM" 2>&1 | head -1) $(vsh domid "$DOM" 2>&1 | head -1)"; sleep 1; done) \
    >"$ITEST_TMP/states" &
monitor=$!

check_domain() { # WHAT: the domain runs on its original disks, no overlay left
    vsh domblklist "$DOM" | awk '{print $2}' | sort >"$ITEST_TMP/blk"
    printf '%s\n' "$vm/live-0.1.0-app.qcow2" "$vm/live-0.1.0-os.qcow2" >"$ITEST_TMP/blk.want"
    if cmp -s "$ITEST_TMP/blk" "$ITEST_TMP/blk.want"; then ok "$1: the domain's disks are the original files"
    else bad "$1: the domain's disks are $(tr '\n' ' ' <"$ITEST_TMP/blk")"; fi
    local left
    left=$(ls "$vm" | grep -v -x -e live-0.1.0-os.qcow2 -e live-0.1.0-app.qcow2 -e serial.log)
    [ -z "$left" ] && ok "$1: no overlay left beside the disks" || bad "$1: left beside the disks: $left"
    vsh dumpxml --inactive "$DOM" | grep -o "<source file='[^']*'" | sort >"$ITEST_TMP/inactive"
    printf "<source file='%s'\n" "$vm/live-0.1.0-app.qcow2" "$vm/live-0.1.0-os.qcow2" >"$ITEST_TMP/inactive.want"
    cmp -s "$ITEST_TMP/inactive" "$ITEST_TMP/inactive.want" &&
        ok "$1: the persistent definition names the original files" ||
        bad "$1: the persistent definition names $(tr '\n' ' ' <"$ITEST_TMP/inactive")"
    vsh dumpxml "$DOM" | grep -q '<backingStore type=' && bad "$1: a disk still has a backing chain" ||
        ok "$1: no disk has a backing chain"
    [ "$(vsh domstate "$DOM")" = running ] && [ "$(vsh domid "$DOM")" = "$domid" ] &&
        ok "$1: the domain runs, id $domid" || bad "$1: the domain is $(vsh domstate "$DOM"), id $(vsh domid "$DOM")"
}

# ---- convert --live, with the agent ----
phase convert
out=$ITEST_TMP/out
"$APPLIANCE" convert --connect "$URI" --domain "$DOM" --live -o "$out" --to qcow2 \
    >"$ITEST_TMP/convert.log" 2>&1
rc=$?
sed 's/^/    | /' "$ITEST_TMP/convert.log"
[ "$rc" = 0 ] && ok "convert --live to qcow2 ($((SECONDS - phase_start)) s)" || bad "convert --live (exit $rc)"
grep -q "froze [0-9]* filesystems of domain '$DOM'" "$ITEST_TMP/convert.log" &&
    ok "the filesystems were frozen through the guest agent" || bad "no freeze reported"
grep -q "took a consistent disk-only snapshot" "$ITEST_TMP/convert.log" &&
    ok "a consistent snapshot" || bad "no consistent snapshot reported"
check_domain "after convert --live"
n1=$(count /srv/data/live-marker)
sleep 3
n2=$(count /srv/data/live-marker)
[ "${n2:-0}" -gt "${n1:-0}" ] && ok "the writer still writes after the pivot ($n1 -> $n2 lines)" ||
    bad "the writer stopped ($n1 -> $n2 lines)"

# ---- the converted copy, offline ----
phase judge
. "$TOP/tests/lib/boot.sh"
boot_probe_accel
[ "$BOOT_ACCEL" = kvm ] || export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
export LIBGUESTFS_BACKEND=direct
# judge_copy OS APP: the converted disks, offline.
judge_copy() {
    local os=$1 app=$2 f fs lines last where gf_rc
    for f in "$os" "$app"; do
        qemu-img check -q "$f" && ok "qemu-img check $(basename "$f")" || bad "qemu-img check $(basename "$f")"
    done
    guestfish --ro --format=qcow2 -a "$os" -a "$app" >"$ITEST_TMP/gf.out" 2>"$ITEST_TMP/gf.err" <<'EOF'
run
echo fsck-log: 
debug sh "e2fsck -fn /dev/vg_os/log >/dev/null 2>&1; echo $?"
echo fsck-root: 
debug sh "e2fsck -fn /dev/vg_os/root >/dev/null 2>&1; echo $?"
echo fsck-app: 
debug sh "e2fsck -fn /dev/vg_app/app >/dev/null 2>&1; echo $?"
echo xfs-data-before: 
xfs-repair /dev/vg_app/data nomodify:true
mount-ro /dev/vg_os/log /
echo log-lines: 
wc-l /live-marker
tail-n 1 /live-marker
umount /
mount-ro /dev/vg_app/data /
echo data-lines: 
wc-l /live-marker
tail-n 1 /live-marker
umount /
echo xfs-data: 
xfs-repair /dev/vg_app/data nomodify:true
EOF
    gf_rc=$?
    sed 's/^/    | /' "$ITEST_TMP/gf.out" "$ITEST_TMP/gf.err"
    [ "$gf_rc" = 0 ] && ok "guestfish read the converted disks" || bad "guestfish (exit $gf_rc)"
    after() { sed -n "/^$1: *$/{n;p}" "$ITEST_TMP/gf.out"; }
    # ext4's freeze empties its journal: e2fsck -n finds it clean as it is.
    for fs in fsck-log fsck-root fsck-app; do
        [ "$(after $fs)" = 0 ] && ok "$fs: e2fsck -fn clean" || bad "$fs: e2fsck -fn status '$(after $fs)'"
    done
    # XFS's freeze leaves changes in its log (the lazy superblock counters):
    # xfs_repair -n is clean once a mount has replayed it, as on any boot.
    echo "# xfs_repair -n before the log replay: status $(after xfs-data-before)"
    [ "$(after xfs-data)" = 0 ] && ok "xfs-data: xfs_repair -n clean after the log replay of a mount" ||
        bad "xfs-data: xfs_repair -n status '$(after xfs-data)' after the log replay"
    for fs in log data; do
        lines=$(after $fs-lines)
        last=$(sed -n "/^$fs-lines: *$/{n;n;p}" "$ITEST_TMP/gf.out")
        [ "${lines:-0}" -ge 1 ] 2>/dev/null && ok "$fs marker in the copy: $lines lines" ||
            bad "$fs marker in the copy: '$lines' lines"
        where=/var/log/live-marker
        [ $fs = data ] && where=/srv/data/live-marker
        # The copy is the file as of the snapshot: its last line is a line of
        # the guest's file, which has more since.
        if [ -n "$last" ] && ga_run /bin/grep -qx "$last" "$where"; then
            ok "$fs marker: the copy's last line ($last) is in the guest's file, which has $(count "$where") lines now"
        else
            bad "$fs marker: the copy's last line '$last' is not in the guest's $where"
        fi
    done

}
os=$(ls "$out"/*-os.qcow2 2>/dev/null | head -1)
app=$(ls "$out"/*-app.qcow2 2>/dev/null | head -1)
if [ -n "$os" ] && [ -n "$app" ]; then
    judge_copy "$os" "$app"
else
    bad "convert wrote the two qcow2 disks: $(ls "$out" 2>&1 | tr '\n' ' ')"
fi

# ---- interrupted: Ctrl-C while the copy is made ----
phase interrupt
"$APPLIANCE" convert --connect "$URI" --domain "$DOM" --live -o "$ITEST_TMP/out-int" --to qcow2 \
    >"$ITEST_TMP/convert-int.log" 2>&1 &
conv=$!
for _ in $(seq 600); do
    grep -q "disk-only snapshot" "$ITEST_TMP/convert-int.log" && break
    kill -0 "$conv" 2>/dev/null || break
    sleep 0.2
done
sleep 2
kill -INT "$conv" 2>/dev/null
wait "$conv"
rc=$?
sed 's/^/    | /' "$ITEST_TMP/convert-int.log"
[ "$rc" = 130 ] && ok "Ctrl-C during the copy: exit 130" || bad "Ctrl-C during the copy: exit $rc"
[ ! -e "$ITEST_TMP/out-int" ] && ok "Ctrl-C: nothing written to the output folder" ||
    bad "Ctrl-C: out-int exists"
check_domain "after Ctrl-C"

# ---- without a guest agent ----
phase no-agent
ga '{"execute":"guest-exec","arguments":{"path":"/bin/systemctl","arg":["mask","--runtime","--now","qemu-guest-agent.service"]}}' >/dev/null
for _ in $(seq 30); do ga '{"execute":"guest-ping"}' >/dev/null || break; sleep 1; done
ga '{"execute":"guest-ping"}' >/dev/null && bad "the guest agent still answers" ||
    ok "the guest agent is stopped"
"$APPLIANCE" convert --connect "$URI" --domain "$DOM" --live -o "$ITEST_TMP/out2" --to qcow2 \
    >"$ITEST_TMP/convert2.log" 2>&1
rc=$?
sed 's/^/    | /' "$ITEST_TMP/convert2.log"
[ "$rc" = 1 ] && ok "refused without a guest agent (exit 1)" || bad "without a guest agent: exit $rc"
grep -q "cannot freeze the filesystems of domain '$DOM'.*--allow-crash-consistent" "$ITEST_TMP/convert2.log" &&
    ok "the refusal names --allow-crash-consistent" || bad "the refusal does not name --allow-crash-consistent"
[ ! -e "$ITEST_TMP/out2" ] && ok "nothing written to the output folder" || bad "out2 exists"
check_domain "after the refusal"

phase crash-consistent
"$APPLIANCE" convert --connect "$URI" --domain "$DOM" --live --allow-crash-consistent \
    -o "$ITEST_TMP/out3" --to qcow2 >"$ITEST_TMP/convert3.log" 2>&1
rc=$?
sed 's/^/    | /' "$ITEST_TMP/convert3.log"
[ "$rc" = 0 ] && ok "--allow-crash-consistent converts ($((SECONDS - phase_start)) s)" ||
    bad "--allow-crash-consistent (exit $rc)"
grep -q "taking a crash-consistent snapshot" "$ITEST_TMP/convert3.log" &&
    ok "says the snapshot is crash-consistent" || bad "does not say crash-consistent"
check_domain "after the crash-consistent convert"

# The commit back, again and again: its pivot once raced libvirt's own
# view of the job ("not ready for pivot yet").
phase again
rounds=4
for i in $(seq $rounds); do
    "$APPLIANCE" convert --connect "$URI" --domain "$DOM" --live --allow-crash-consistent \
        -o "$ITEST_TMP/again" --to qcow2 -q >"$ITEST_TMP/again.log" 2>&1 ||
        { bad "round $i: convert --live (exit $?)"; sed 's/^/    | /' "$ITEST_TMP/again.log"; }
    rm -rf "$ITEST_TMP/again"
    check_domain "round $i of $rounds"
done
echo "# $rounds more rounds of convert --live and back: $((SECONDS - phase_start)) s"

phase end
kill "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null
monitor=
polls=$(wc -l <"$ITEST_TMP/states")
others=$(grep -v -x "running $domid" "$ITEST_TMP/states" | sort | uniq -c | tr '\n' ';')
[ "$polls" -gt 0 ] && [ -z "$others" ] &&
    ok "the domain was running with id $domid at each of $polls polls, one a second" ||
    bad "the domain was not always running ($polls polls; other states: $others)"
finish
