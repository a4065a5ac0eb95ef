#!/bin/bash
# tier: lifecycle
# appliance convert: a build (tests/integration/recipes/layout.yaml) whose
# copies get data (a marker on an app volume) and an identity (machine-id,
# SSH host keys) written with guestfish, then converted from the folder
# (disks as qcow2 beside build-report.json) to every output, from its OVA,
# and from bare disks with --cpus/--memory/--firmware and --hardware-from
# (a libvirt domain XML). Judged with tools this project did not write:
# qemu-img compare (every converted disk against its source), xmllint with
# the DMTF schema (the OVF), sha256sum -c, guestfish (the file lists of
# both OS filesystems after --new-identity). A blank pair of disks is
# refused with nothing written. Two libguestfs launches in all (guestfish's:
# --new-identity edits the clone on the host, no VM).
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"
need python3 qemu-img guestfish xmllint sha256sum tar
# guestfish cannot use a KVM that qemu cannot run (see docs/design.md);
# appliance convert probes it itself.
boot_probe_accel
[ "$BOOT_ACCEL" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

SCHEMA_WHERE="DMTF DSP8023, https://www.dmtf.org/dsp/DSP8023, set OVF_SCHEMA_DIR"
SCHEMA=${OVF_SCHEMA_DIR:+$OVF_SCHEMA_DIR/dsp8023_1.1.1.xsd}
itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish
built=$(dirname "$IMG_OS")
name=$STEM # layout-0.1.0: the files of the build, and of a convert of it, begin with it
T=$ITEST_TMP
judge_py() { python3 "$TOP/tests/lib/exports.py" "$@"; }
count() {
    echo "$1"
    pass=$((pass + $(grep -c '^ok ' <<<"$1"))) fail=$((fail + $(grep -c '^not ok ' <<<"$1")))
}

# convert ARGS...: runs appliance convert; its output in $T/convert.log.
convert() {
    local start=$SECONDS
    "$APPLIANCE" convert "$@" >"$T/convert.log" 2>&1
    local rc=$?
    echo "# appliance convert $*: exit $rc after $((SECONDS - start)) s"
    return $rc
}

# ---- the source: the build's disks as qcow2, with data and an identity ----
src=$T/src
mkdir -p "$src"
cp "$built/build-report.json" "$src/"
for d in os app; do
    qemu-img convert -f raw -O qcow2 "$built/$name-$d.raw" "$src/$name-$d.qcow2"
done
# One launch: a marker on the xfs data volume, a machine-id and host keys.
if guestfish --rw --format=qcow2 -a "$src/$name-os.qcow2" -a "$src/$name-app.qcow2" <<'GF' \
    >"$T/gf.log" 2>&1; then
run
mount /dev/vg_os/root /
mount /dev/vg_os/log /var/log
mount /dev/vg_app/data /srv/data
write /srv/data/marker "customer data, written after the build\n"
write /etc/machine-id "0123456789abcdef0123456789abcdef\n"
write /etc/ssh/ssh_host_ed25519_key "not a real key\n"
write /etc/ssh/ssh_host_ed25519_key.pub "ssh-ed25519 AAAA not-real\n"
write /var/log/after-build.log "written after the build\n"
umount-all
GF
    ok "guestfish: data, machine-id and host keys written into a copy of the build"
else
    bad "guestfish could not write into the copy: $(tail -3 "$T/gf.log")"
    finish
fi

# compare_all DIR SRC_OS SRC_OS_FMT SRC_APP SRC_APP_FMT: every disk file of
# DIR against its source, by qemu-img compare.
compare_all() {
    local dir=$1 f fmt d n=0 bad_n=0
    for f in "$dir"/*-os.* "$dir"/*-app.* "$dir"/ovf/*.vmdk; do
        [ -f "$f" ] || continue
        case $f in
        *.qcow2) fmt=qcow2 ;; *.vmdk) fmt=vmdk ;; *.vhdx) fmt=vhdx ;; *.vdi) fmt=vdi ;;
        *.raw) fmt=raw ;; *.vhd) fmt=vpc ;; *) continue ;;
        esac
        case $f in *-os.*) d=("$2" "$3") ;; *) d=("$4" "$5") ;; esac
        n=$((n + 1))
        if ! qemu-img compare -q -f "${d[1]}" -F "$fmt" "${d[0]}" "$f"; then
            bad "qemu-img compare: ${f#"$dir"/} differs from its source"
            bad_n=$((bad_n + 1))
        fi
    done
    [ "$bad_n" -eq 0 ] && [ "$n" -gt 0 ] &&
        ok "qemu-img compare: all $n converted disks of $(basename "$dir") equal their sources"
}

# ---- 1. the folder, to every output ----------------------------------------
out=$T/out-all
if convert "$src" -o "$out" --to ova,ovf,vmdk,qcow2,libvirt,vhdx,hyperv,vdi,raw,azure,gce; then
    ok "convert of the folder (qcow2 disks, build-report.json) to every output"
else
    bad "convert of the folder failed: $(tail -5 "$T/convert.log")"
    finish
fi
grep -q "no change to the guest is needed" "$T/convert.log" &&
    ok "convert says no change to the guest is needed" ||
    bad "convert does not say why the guest needs no change"
for f in $name.ova ovf/$name.ovf $name-os.vmdk $name-os.qcow2 $name.xml $name-os.vhdx $name.ps1 \
    $name-os.vdi $name-os.raw $name-os.vhd $name-os.tar.gz $name-app.tar.gz convert-report.json; do
    [ -f "$out/$f" ] || bad "convert wrote no $f"
done
(cd "$out" && sha256sum --quiet -c SHA256SUMS) >"$T/sums" 2>&1 &&
    ok "SHA256SUMS of the converted folder verifies (sha256sum -c)" || bad "SHA256SUMS: $(head -3 "$T/sums")"
compare_all "$out" "$src/$name-os.qcow2" qcow2 "$src/$name-app.qcow2" qcow2
# The OVA's VMDKs and GCE's disk.raw, extracted.
mkdir -p "$T/ova" && tar -xf "$out/$name.ova" -C "$T/ova"
for d in os app; do
    qemu-img compare -q -f qcow2 -F vmdk "$src/$name-$d.qcow2" "$T/ova/$name-$d.vmdk" &&
        ok "qemu-img compare: $name.ova:$name-$d.vmdk equals its source" ||
        bad "qemu-img compare: $name.ova:$name-$d.vmdk differs from its source"
    tar -xOzf "$out/$name-$d.tar.gz" disk.raw | cmp -s - "$out/$name-$d.raw" &&
        ok "$name-$d.tar.gz's disk.raw equals the converted raw disk" ||
        bad "$name-$d.tar.gz's disk.raw differs"
done
rm -rf "$T/ova"
count "$(judge_py ova "$out" "$name" 2>&1)"
if [ -z "${OVF_SCHEMA_DIR:-}" ]; then
    skip "ovf/$name.ovf against the DMTF OVF schema: OVF_SCHEMA_DIR is not set ($SCHEMA_WHERE)"
elif [ ! -r "$SCHEMA" ]; then
    skip "ovf/$name.ovf against the DMTF OVF schema: no readable $SCHEMA ($SCHEMA_WHERE)"
elif xmllint --noout --nonet --schema "$SCHEMA" "$out/ovf/$name.ovf" 2>"$T/xsd"; then
    ok "the converted ovf/$name.ovf validates against the DMTF schema"
else
    bad "ovf/$name.ovf: $(grep -v 'Skipping import' "$T/xsd" | head -5)"
fi
count "$(python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
r = json.load(open(f"{out}/convert-report.json"))
b = json.load(open(f"{out}/../src/build-report.json"))["plan"]
def ok(c, what):
    print(("ok - " if c else "not ok - ") + what)
ok(r["source"]["kind"] == "folder" and r["source"]["hardware_from"] == "build-report.json",
   "convert-report.json: the source is the folder, the hardware from build-report.json")
ok(r["plan"]["hardware"] == b["hardware"], "the converted plan has the build's hardware")
ok(r["identity"]["machine"] == "same", "by default the converted VM is the same machine")
ok([d["format"] for d in r["disks"]] == ["qcow2", "qcow2"], "the report names the disks' formats")
ok(all(len(d["identical"]) >= 8 for d in r["disks"]),
   "convert compared every converted disk itself: " + ", ".join(r["disks"][1]["identical"]))
# Each file says what it is, as build-report.json's do (report.c's shape).
nowhat = [f["path"] for f in r["files"] if not f.get("output")]
ok(not nowhat, "convert-report.json gives every file its output: " + (", ".join(nowhat) or "all"))
qcow2 = [f for f in r["files"] if f.get("output") == "qcow2" and f.get("disk") == "os"]
ok(len(qcow2) == 1 and "kvm" in qcow2[0]["for"] and "proxmox" in qcow2[0]["for"],
   "convert-report.json: the OS disk's qcow2 is for kvm and proxmox")
PY
)"

# ---- 1b. the same folder again: the same bytes ------------------------------
# Another output folder, scratch folder, time, host name and CPU count:
# every file but convert-report.json (this run's times) is the same.
outb=$T/again/out-all
mkdir -p "$T/again/tmp"
one_cpu=() other_host=()
command -v taskset >/dev/null && one_cpu=(taskset -c 0)
unshare -u true 2>/dev/null && other_host=(unshare -u sh -c 'hostname another-host && exec "$@"' sh)
start=$SECONDS
if TMPDIR=$T/again/tmp "${other_host[@]}" "${one_cpu[@]}" "$APPLIANCE" convert "$src" -o "$outb" \
    --to ova,ovf,vmdk,qcow2,libvirt,vhdx,hyperv,vdi,raw,azure,gce >"$T/again.log" 2>&1; then
    echo "# the second convert of the folder: $((SECONDS - start)) s"
    differ=$(cd "$out" && find . -type f ! -name convert-report.json | sed 's|^\./||' | sort |
        while read -r f; do cmp -s "$f" "$outb/$f" || echo "$f"; done)
    [ "$(cd "$out" && find . -type f | sort)" = "$(cd "$outb" && find . -type f | sort)" ] &&
        [ -z "$differ" ] &&
        ok "a second convert of the folder (other -o, TMPDIR, time, host name, one CPU): every file but convert-report.json identical (cmp)" ||
        bad "a second convert of the folder differs: $(echo ${differ:-"its file list"})"
else
    bad "the second convert of the folder failed: $(tail -5 "$T/again.log")"
fi
rm -rf "$T/again"

# ---- 2. the OVA, to qcow2 + libvirt -----------------------------------------
out2=$T/out-ova
if convert "$out/$name.ova" -o "$out2" --to libvirt; then
    ok "convert of the OVA to libvirt (qcow2 implied)"
    compare_all "$out2" "$src/$name-os.qcow2" qcow2 "$src/$name-app.qcow2" qcow2
    grep -q "<vcpu>1</vcpu>" "$out2/$name.xml" &&
        grep -q "/var/lib/libvirt/images/$name-os.qcow2" "$out2/$name.xml" &&
        ok "the libvirt XML has the OVF's CPUs and names the converted qcow2 disks" ||
        bad "the libvirt XML: $(grep -E 'vcpu|source file' "$out2/$name.xml" | tr -s ' ')"
else
    bad "convert of the OVA failed: $(tail -5 "$T/convert.log")"
fi

# ---- 2b. an interrupt leaves the previous output as it was -----------------
(cd "$out2" && sha256sum ./* ./*/* 2>/dev/null) >"$T/before"
"$APPLIANCE" convert "$out/$name.ova" -o "$out2" --to vhdx,ova >"$T/int.log" 2>&1 &
cpid=$!
for _ in $(seq 600); do grep -q "export" "$T/int.log" && break; sleep 0.1; done
kill -INT "$cpid"
wait "$cpid"
rc=$?
[ "$rc" -eq 130 ] && grep -q "interrupted: nothing was written" "$T/int.log" &&
    ok "SIGINT during the export: exit 130, nothing written" ||
    bad "SIGINT during the export: exit $rc, $(tail -2 "$T/int.log")"
(cd "$out2" && sha256sum --quiet -c "$T/before") >/dev/null 2>&1 && ! ls -d "$T"/.out-ova.* >/dev/null 2>&1 &&
    ok "the interrupted convert left the previous output as it was, and no temporary folder" ||
    bad "the interrupted convert changed the previous output or left a temporary folder"

# ---- 3. bare disks with explicit hardware, to vhdx + hyperv -----------------
out3=$T/out-disks
if convert "$out/$name-os.raw" "$out/$name-app.raw" -o "$out3" --to hyperv --name moved \
    --cpus 2 --memory 1536MiB --firmware uefi; then
    ok "convert of two raw disks with --cpus/--memory/--firmware to hyperv (vhdx implied)"
    compare_all "$out3" "$out/$name-os.raw" raw "$out/$name-app.raw" raw
    # --name without a version: version 0, as convert-report.json says.
    ps1=$out3/moved-0.ps1
    grep -q "moved-0-os.vhdx" "$ps1" && grep -q "moved-0-app.vhdx" "$ps1" &&
        ok "the Hyper-V script names the converted disks" ||
        bad "the Hyper-V script does not name moved-0-os.vhdx and moved-0-app.vhdx"
    grep -q -- "-Generation 2" "$ps1" && grep -q "1610612736" "$ps1" && grep -q "ProcessorCount 2\|-Count 2" "$ps1" &&
        ok "the Hyper-V script has the hardware given: Generation 2, 1536MiB, 2 CPUs" ||
        bad "the Hyper-V script's hardware: $(grep -E 'Generation|Memory|Processor' "$ps1" | tr -s ' ' | head -5)"
else
    bad "convert of bare disks failed: $(tail -5 "$T/convert.log")"
fi

# ---- 4. --hardware-from a libvirt domain XML --------------------------------
out4=$T/out-xml
sed -e 's|<vcpu>1</vcpu>|<vcpu>3</vcpu>|' "$out/$name.xml" >"$T/domain.xml"
if convert "$out/$name-os.qcow2" "$out/$name-app.qcow2" -o "$out4" --to vdi \
    --hardware-from "$T/domain.xml"; then
    hw=$(python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["plan"]["hardware"]; print(h["cpus"], h["memory"], h["firmware"])' \
        "$out4/convert-report.json")
    [ "$hw" = "3 1073741824 bios" ] && ok "--hardware-from a libvirt domain XML: 3 CPUs, 1GiB, bios" ||
        bad "--hardware-from a libvirt domain XML gave: $hw"
    compare_all "$out4" "$src/$name-os.qcow2" qcow2 "$src/$name-app.qcow2" qcow2
else
    bad "convert with --hardware-from failed: $(tail -5 "$T/convert.log")"
fi

# ---- 5. refusal: disks that are not an appliance's ---------------------------
qemu-img create -q -f qcow2 "$T/blank-os.qcow2" 1G
qemu-img create -q -f qcow2 "$T/blank-app.qcow2" 1G
convert "$T/blank-os.qcow2" "$T/blank-app.qcow2" -o "$T/out-blank" --to qcow2 --cpus 1 \
    --memory 1GiB --firmware bios
rc=$?
if [ "$rc" -eq 1 ] && grep -q "vg_os" "$T/convert.log" && grep -q "refusing" "$T/convert.log"; then
    ok "a blank pair of disks is refused: $(grep -m1 error "$T/convert.log" | cut -c1-120)..."
else
    bad "a blank pair of disks: exit $rc, $(tail -2 "$T/convert.log")"
fi
[ ! -e "$T/out-blank" ] && ! ls -d "$T"/.out-blank* >/dev/null 2>&1 &&
    ok "the refused convert left no output folder" || bad "the refused convert left files behind"

# ---- 6. --new-identity ---------------------------------------------------------
out6=$T/out-clone
if convert "$src" -o "$out6" --to qcow2 --new-identity; then
    ok "convert --new-identity of the folder"
    qemu-img compare -q -f qcow2 -F qcow2 "$src/$name-app.qcow2" "$out6/$name-app.qcow2" &&
        ok "--new-identity: the app disk equals its source" || bad "--new-identity changed the app disk"
    qemu-img compare -q -f qcow2 -F qcow2 "$src/$name-os.qcow2" "$out6/$name-os.qcow2" &&
        bad "--new-identity: the OS disk did not change" || ok "--new-identity: the OS disk changed"
else
    bad "convert --new-identity failed: $(tail -5 "$T/convert.log")"
fi
# One launch, both OS disks: LVM sees one at a time (their VGs are twins).
listing() {
    cat <<GF
run
vg-activate-all false
lvm-set-filter "$1"
vg-activate-all true
mount-ro /dev/vg_os/root /
mount-ro /dev/vg_os/log /var/log
echo ==machine-id
filesize /etc/machine-id
echo ==dbus
readlink /var/lib/dbus/machine-id
echo ==files
find /
umount-all
vg-activate-all false
GF
}
{ listing /dev/sda; listing /dev/sdb | sed 1d; } >"$T/list.gf"
if [ -f "$out6/$name-os.qcow2" ] && guestfish --ro --format=qcow2 -a "$src/$name-os.qcow2" \
    -a "$out6/$name-os.qcow2" -f "$T/list.gf" >"$T/lists" 2>"$T/lists.err"; then
    count "$(python3 - "$T/lists" <<'PY'
import sys
text = open(sys.argv[1]).read()
parts = text.split("==machine-id\n")[1:]
def parse(p):
    size, rest = p.split("==dbus\n")
    dbus, files = rest.split("==files\n")
    return int(size.strip()), dbus.strip(), set(files.split())
(s_size, s_dbus, s_files), (c_size, c_dbus, c_files) = map(parse, parts)
def ok(c, what):
    print(("ok - " if c else "not ok - ") + what)
ok(s_size == 33, f"the source's /etc/machine-id holds an id ({s_size} bytes)")
ok(c_size == 0, f"--new-identity: /etc/machine-id is empty ({c_size} bytes)")
ok(c_dbus == "/etc/machine-id", f"--new-identity: /var/lib/dbus/machine-id -> {c_dbus}")
keys = {f for f in s_files if f.startswith("etc/ssh/ssh_host_")}
ok(len(keys) == 2 and not keys & c_files, "--new-identity: the SSH host keys are gone: " + " ".join(sorted(keys)))
ok(s_files - keys == c_files, f"--new-identity: nothing else changed: the other {len(c_files)} paths "
   "of both filesystems are the same" if s_files - keys == c_files else
   f"--new-identity changed paths: {sorted((s_files - keys) ^ c_files)[:10]}")
ok("var/log/after-build.log" in c_files, "the file written after the build is in the clone")
PY
)"
else
    bad "guestfish could not list both OS filesystems: $(tail -3 "$T/lists.err")"
fi
finish
