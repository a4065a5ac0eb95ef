#!/bin/bash
# tier: check
# timeout: 1500
# Every output of tests/integration/recipes/layout.yaml, judged by tools
# this project did not write: xmllint with the DMTF schema (OVF), sha256sum
# (manifest, SHA256SUMS), GNU tar and bsdtar (OVA, GCE), qemu-img
# check/info/compare (every disk of every format), virt-xml-validate and
# virsh's test driver (libvirt XML). The file-format facts that no tool
# states (tar header magic, VHD footer, manifest syntax) are read by
# tests/lib/exports.py straight from the bytes, as are the INSTALL-*.md
# notes (only files of the folder named, each with its own digest).
. "${TOP:-.}/tests/lib/itest.sh"
need python3 qemu-img xmllint sha256sum bsdtar tar virt-xml-validate virsh

# The DMTF OVF schema is third-party: found only through $OVF_SCHEMA_DIR.
SCHEMA_WHERE="DMTF DSP8023, https://www.dmtf.org/dsp/DSP8023, set OVF_SCHEMA_DIR"
SCHEMA=${OVF_SCHEMA_DIR:+$OVF_SCHEMA_DIR/dsp8023_1.1.1.xsd}
itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish
out=$(dirname "$IMG_OS")
name=$STEM # layout-0.1.0: every file's name begins with it
[ "$name" = layout-0.1.0 ] && ok "the files are named NAME-VERSION ($name)" || bad "STEM is '$name'"

# ---- SHA256SUMS and the build report ---------------------------------------
if (cd "$out" && sha256sum --quiet -c SHA256SUMS) >"$ITEST_TMP/sums" 2>&1; then
    ok "SHA256SUMS: every digest verifies (sha256sum -c)"
else
    bad "SHA256SUMS: $(head -5 "$ITEST_TMP/sums")"
fi
listed=$(cut -d' ' -f3- "$out/SHA256SUMS" | sort)
present=$(cd "$out" && find . -type f ! -name SHA256SUMS ! -name build.log ! -name key \
    ! -name build-report.json |
    sed 's|^\./||' | sort)
[ "$listed" = "$present" ] && ok "SHA256SUMS lists every file shipped, and only those (not build-report.json)" ||
    bad "SHA256SUMS lists: $(diff <(echo "$listed") <(echo "$present") | tr '\n' ' ')"
if grep -q '\$6\$' "$out/build-report.json"; then
    bad "build-report.json holds a password hash"
else
    ok "build-report.json holds no password hash"
fi
judge_py() { python3 "$TOP/tests/lib/exports.py" "$@"; }
out_py=$(judge_py report "$out" "$TOP/tests/integration/recipes/layout.yaml" 2>&1)
echo "$out_py"
pass=$((pass + $(grep -c '^ok ' <<<"$out_py"))) fail=$((fail + $(grep -c '^not ok ' <<<"$out_py")))

# ---- INSTALL-TARGET.md ------------------------------------------------------
# Each note names only files that are in the folder, with their digests
# (exports.py, from the report); and sha256sum agrees with each digest.
out_py=$(judge_py install "$out" 2>&1)
echo "$out_py"
pass=$((pass + $(grep -c '^ok ' <<<"$out_py"))) fail=$((fail + $(grep -c '^not ok ' <<<"$out_py")))
for note in "$out"/INSTALL-*.md; do
    [ -f "$note" ] || { bad "no INSTALL-*.md in the folder"; break; }
    if grep -E '^    [0-9a-f]{64}  ' "$note" | sed 's/^    //' |
        (cd "$out" && sha256sum --quiet -c -) >"$ITEST_TMP/note-sums" 2>&1; then
        ok "sha256sum -c: the digests of $(basename "$note")"
    else
        bad "$(basename "$note"): $(head -3 "$ITEST_TMP/note-sums")"
    fi
done
for t in vsphere workstation virtualbox hyperv proxmox kvm azure gce; do
    [ -f "$out/INSTALL-$t.md" ] && ok "INSTALL-$t.md written" || bad "no INSTALL-$t.md"
done
[ ! -e "$out/INSTALL-containers.md" ] && ok "no INSTALL-containers.md: no container output" ||
    bad "INSTALL-containers.md without the container output"

# ---- OVF, manifest, OVA ----------------------------------------------------
if [ -z "${OVF_SCHEMA_DIR:-}" ]; then
    skip "ovf/$name.ovf against the DMTF OVF schema: OVF_SCHEMA_DIR is not set ($SCHEMA_WHERE)"
elif [ ! -r "$SCHEMA" ]; then
    skip "ovf/$name.ovf against the DMTF OVF schema: no readable $SCHEMA ($SCHEMA_WHERE)"
else
    if xmllint --noout --nonet --schema "$SCHEMA" "$out/ovf/$name.ovf" 2>"$ITEST_TMP/xsd"; then
        ok "ovf/$name.ovf validates against the DMTF schema"
    else
        bad "ovf/$name.ovf: $(grep -v 'Skipping import' "$ITEST_TMP/xsd" | head -5)"
    fi
fi
out_py=$(judge_py ova "$out" "$name" 2>&1)
echo "$out_py"
pass=$((pass + $(grep -c '^ok ' <<<"$out_py"))) fail=$((fail + $(grep -c '^not ok ' <<<"$out_py")))
order=$(tar tf "$out/$name.ova" | tr '\n' ' ')
[ "$order" = "$name.ovf $name.mf $name-os.vmdk $name-app.vmdk " ] &&
    ok "GNU tar lists the OVA in order: $order" || bad "OVA order (GNU tar): $order"
order=$(bsdtar tf "$out/$name.ova" | tr '\n' ' ')
[ "$order" = "$name.ovf $name.mf $name-os.vmdk $name-app.vmdk " ] &&
    ok "bsdtar (libarchive) lists the OVA in order" || bad "OVA order (bsdtar): $order"
mkdir -p "$ITEST_TMP/ova" && bsdtar -xf "$out/$name.ova" -C "$ITEST_TMP/ova"
for f in "$name.ovf" "$name.mf" "$name-os.vmdk" "$name-app.vmdk"; do
    cmp -s "$ITEST_TMP/ova/$f" "$out/ovf/$f" && ok "OVA member $f equals ovf/$f" ||
        bad "OVA member $f differs from ovf/$f"
done
# The manifest, recomputed here with sha256sum.
while read -r line; do
    file=$(sed -n 's/^SHA256(\(.*\))= [0-9a-f]\{64\}$/\1/p' <<<"$line")
    want=${line##* }
    [ -n "$file" ] || { bad "manifest line not in VMware's form: '$line'"; continue; }
    got=$(sha256sum "$ITEST_TMP/ova/$file" | cut -d' ' -f1)
    [ "$got" = "$want" ] && ok "manifest: $file" || bad "manifest digest of $file"
done <"$ITEST_TMP/ova/$name.mf"
[ "$(wc -l <"$ITEST_TMP/ova/$name.mf")" = 3 ] && ok "manifest lists the .ovf and both disks" ||
    bad "manifest has $(wc -l <"$ITEST_TMP/ova/$name.mf") lines"

# ---- every disk of every format --------------------------------------------
# disk FILE FORMAT RAW [SUBFORMAT]: qemu-img check (where the format has
# one), info (format, virtual size, subformat), compare with the raw disk.
disk() {
    local file=$1 fmt=$2 raw=$3 sub=${4:-} info vsize rsize
    if [ ! -f "$file" ]; then bad "$(basename "$file") is missing"; return; fi
    case $fmt in
    qcow2 | vdi | vhdx | vmdk)
        qemu-img check -f "$fmt" "$file" >"$ITEST_TMP/check" 2>&1 &&
            ok "qemu-img check $(basename "$file")" ||
            bad "qemu-img check $(basename "$file"): $(tail -3 "$ITEST_TMP/check")" ;;
    esac
    info=$(qemu-img info -f "$fmt" --output=json "$file")
    vsize=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])' <<<"$info")
    rsize=$(stat -c %s "$raw")
    [ "$vsize" = "$rsize" ] && ok "$(basename "$file"): virtual size $vsize, the raw disk's" ||
        bad "$(basename "$file"): virtual size $vsize, raw $rsize"
    if [ -n "$sub" ]; then
        grep -q "\"create-type\": \"$sub\"" <<<"$info" && ok "$(basename "$file") is $sub" ||
            bad "$(basename "$file") is not $sub: $(grep create-type <<<"$info")"
    fi
    qemu-img compare -q -f raw -F "$fmt" "$raw" "$file" &&
        ok "qemu-img compare: $(basename "$file") holds the raw disk exactly" ||
        bad "qemu-img compare: $(basename "$file") differs from the raw disk"
}
for d in os app; do
    raw=$out/$name-$d.raw
    [ -f "$raw" ] || { bad "$name-$d.raw is missing"; continue; }
    disk "$out/ovf/$name-$d.vmdk" vmdk "$raw" streamOptimized
    disk "$out/$name-$d.vmdk" vmdk "$raw" monolithicSparse
    disk "$out/$name-$d.qcow2" qcow2 "$raw"
    disk "$out/$name-$d.vhdx" vhdx "$raw"
    disk "$out/$name-$d.vdi" vdi "$raw"
    disk "$out/$name-$d.vhd" vpc "$raw"
done
out_py=$(judge_py azure-gce "$out" "$name" 2>&1)
echo "$out_py"
pass=$((pass + $(grep -c '^ok ' <<<"$out_py"))) fail=$((fail + $(grep -c '^not ok ' <<<"$out_py")))
# ---- libvirt and Hyper-V ---------------------------------------------------
if virt-xml-validate "$out/$name.xml" domain >"$ITEST_TMP/vxv" 2>&1; then
    ok "virt-xml-validate accepts $name.xml"
else
    bad "virt-xml-validate: $(tail -3 "$ITEST_TMP/vxv")"
fi
for d in os app; do
    # libvirt's default pool, never the output folder: the file is the same
    # wherever the build wrote it.
    grep -q "file=\"/var/lib/libvirt/images/$name-$d.qcow2\"" "$out/$name.xml" &&
        ok "$name.xml uses /var/lib/libvirt/images/$name-$d.qcow2" ||
        bad "$name.xml does not name /var/lib/libvirt/images/$name-$d.qcow2"
done
if virsh -q -c test:///default define "$out/$name.xml" >"$ITEST_TMP/virsh" 2>&1; then
    ok "virsh (test driver) defines the domain"
else
    bad "virsh define: $(tail -3 "$ITEST_TMP/virsh")"
fi
grep -q -- "-Generation 2" "$out/$name.ps1" && ok "$name.ps1: Generation 2 for bios+uefi" ||
    bad "$name.ps1 does not create a Generation 2 VM"
for d in os app; do
    grep -q "'$name-$d.vhdx'" "$out/$name.ps1" && ok "$name.ps1 attaches $name-$d.vhdx" ||
        bad "$name.ps1 does not name $name-$d.vhdx"
done

# GCE: GNU tar reads it, one member disk.raw, the app disk's bytes exactly.
members=$(tar tzf "$out/$name-app.tar.gz" | tr '\n' ' ')
[ "$members" = "disk.raw " ] && ok "GCE archive holds disk.raw alone" || bad "GCE members: $members"
got=$(tar xzOf "$out/$name-app.tar.gz" disk.raw | sha256sum | cut -d' ' -f1)
want=$(grep " $name-app.raw\$" "$out/SHA256SUMS" | cut -d' ' -f1)
[ "$got" = "$want" ] && ok "GCE disk.raw is the app disk byte for byte" ||
    bad "GCE disk.raw differs from the app disk"
finish
