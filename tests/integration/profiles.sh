#!/bin/bash
# tier: lifecycle
# Import targets (ova.target): one small x86_64 recipe built once, then
# exported for every target of x86_64 guests, its disks reused from the
# disk cache (only the export changes). Each target's OVA is judged by tools this project did not
# write:
#
#   - xmllint with the DMTF OVF schema;
#   - govmomi's OVF parser (tests/helpers/ovf-parse.go, built here from
#     Debian's Go and golang-github-vmware-govmomi-dev): guest OS type,
#     vmx family, NIC and SATA models, each disk's capacity read back
#     through its units to bytes, equal to the plan's disk size;
#   - sha256sum/sha1sum against the manifest, whose digest kind is the
#     target's (and sha1 where the recipe asks it of a target that takes it);
#   - the VMDKs' ddb.virtualHWVersion, the OVF's vmx-NN.
#
# The aarch64-only targets (fusion-arm64, esxi-arm) are not built: the
# recipe naming one is refused, which is checked.
#
# Then `appliance inspect --target`: the generic OVA passes esxi-6.7's rules,
# the esxi-8.0 one does not (a family and a guest ID 6.7 does not know).
# One disk build (345 s with a cold root-tree cache at load 5-7), then
# 18-33 s for each other export: 641 s in all on the reference run.
. "${TOP:-.}/tests/lib/itest.sh"
need python3 xmllint sha256sum sha1sum tar go

SCHEMA_WHERE="DMTF DSP8023, https://www.dmtf.org/dsp/DSP8023, set OVF_SCHEMA_DIR"
SCHEMA=${OVF_SCHEMA_DIR:+$OVF_SCHEMA_DIR/dsp8023_1.1.1.xsd}
T=$ITEST_TMP

# ---- the govmomi parser -----------------------------------------------------
PARSE=$ITEST_BUILD/ovf-parse
mkdir -p "$ITEST_BUILD/go-cache"
if (cd "$TOP/tests/helpers" && GOCACHE=$ITEST_BUILD/go-cache GOPATH=/usr/share/gocode \
    GO111MODULE=off GOFLAGS= go build -o "$PARSE" ovf-parse.go) >"$T/go.log" 2>&1; then
    ok "ovf-parse built with Debian's Go and govmomi ($(go version | cut -d' ' -f3))"
else
    bad "ovf-parse does not build: $(tail -n 5 "$T/go.log")"
    finish
fi

# ---- the recipe -------------------------------------------------------------
# bios-only.yaml with a SATA controller (the SATA model is the target's),
# an application disk of 1536 MiB (capacity in byte * 2^20) and OVA output.
mkdir -p "$T/r"
sed -e 's/^name: .*/name: prof/' -e 's/^outputs:.*/outputs: [ova]/' \
    -e 's/controller: ide/controller: sata/' -e 's/^    size: 1GiB/    size: 1536MiB/' \
    -e 's/^  hostname: .*/  hostname: prof/' \
    "$TOP/tests/integration/recipes/bios-only.yaml" >"$T/r/base.yaml"
"$APPLIANCE" plan --json "$T/r/base.yaml" >"$T/plan.json" || { bad "plan of the base recipe"; finish; }
read -r OS_SIZE APP_SIZE < <(python3 -c '
import json, sys
d = {x["id"]: x["size"] for x in json.load(open(sys.argv[1]))["disks"]}
print(d["os"], d["app"])' "$T/plan.json")

# build NAME OVA_KEYS: the base recipe with "ova: {OVA_KEYS}" into $T/NAME.
build() {
    local start=$SECONDS
    { cat "$T/r/base.yaml"; echo "ova: {$2}"; } >"$T/r/$1.yaml"
    if "$APPLIANCE" build "$T/r/$1.yaml" -o "$T/$1" >"$T/$1.log" 2>&1; then
        ok "build $1 ($((SECONDS - start)) s)"
    else
        bad "build $1 failed: $(tail -n 15 "$T/$1.log")"
        return 1
    fi
}

# judge NAME FAMILY OS_TYPE MF_PREFIX NIC SATA: the OVA of build NAME.
judge_ova() {
    local name=$1 family=$2 os_type=$3 mf=$4 nic=$5 sata=$6 d=$T/$1/x
    mkdir -p "$d" && tar -xf "$T/$name/prof-0.1.0.ova" -C "$d" || { bad "$name: prof-0.1.0.ova does not unpack"; return; }
    if [ -z "${OVF_SCHEMA_DIR:-}" ]; then
        skip "$name: prof-0.1.0.ovf against the DMTF OVF schema: OVF_SCHEMA_DIR is not set ($SCHEMA_WHERE)"
    elif xmllint --noout --nonet --schema "$SCHEMA" "$d/prof-0.1.0.ovf" >"$T/$name.xmllint" 2>&1; then
        ok "$name: prof-0.1.0.ovf validates against the DMTF schema"
    else
        bad "$name: prof-0.1.0.ovf does not validate: $(grep -v 'Skipping import' "$T/$name.xmllint" | head -n 5)"
    fi

    if ! "$PARSE" "$d/prof-0.1.0.ovf" >"$T/$name.parsed" 2>&1; then
        bad "$name: govmomi does not read prof-0.1.0.ovf: $(cat "$T/$name.parsed")"
        return
    fi
    local want
    want=$(printf '%s\n' "os_type $os_type" "family $family" \
        "disk vmdisk1 $((OS_SIZE >> 30)) byte * 2^30 $OS_SIZE" \
        "disk vmdisk2 $((APP_SIZE >> 20)) byte * 2^20 $APP_SIZE" \
        "controller 20 $sata" "nic $nic")
    if [ "$(grep -v '^os_id ' "$T/$name.parsed")" = "$want" ]; then
        ok "$name: govmomi reads $os_type, $family, $nic, SATA $sata, capacities $OS_SIZE and $APP_SIZE bytes"
    else
        bad "$name: govmomi read: $(tr '\n' ';' <"$T/$name.parsed") want: $(tr '\n' ';' <<<"$want")"
    fi

    local algo sum
    case $mf in SHA1) sum=sha1sum ;; SHA256) sum=sha256sum ;; esac
    if [ "$(grep -vc "^$mf(prof-0\.1\.0\(-os\|-app\)\?\.\(ovf\|vmdk\))= [0-9a-f]*$" "$d/prof-0.1.0.mf")" = 0 ] &&
        [ "$(wc -l <"$d/prof-0.1.0.mf")" = 3 ]; then
        ok "$name: the manifest holds three $mf lines"
    else
        bad "$name: the manifest is not three $mf lines: $(cat "$d/prof-0.1.0.mf")"
    fi
    for f in prof-0.1.0.ovf prof-0.1.0-os.vmdk prof-0.1.0-app.vmdk; do
        algo=$(sed -n "s/^$mf($f)= //p" "$d/prof-0.1.0.mf")
        if [ "$algo" = "$(cd "$d" && $sum "$f" | cut -d' ' -f1)" ]; then
            ok "$name: $sum agrees with the manifest on $f"
        else
            bad "$name: $sum disagrees with the manifest on $f"
        fi
        case $f in *.vmdk)
            if head -c 65536 "$d/$f" | grep -aqx "ddb.virtualHWVersion = \"${family#vmx-}\""; then
                ok "$name: $f says ddb.virtualHWVersion ${family#vmx-}"
            else
                bad "$name: $f: $(head -c 65536 "$d/$f" | grep -a virtualHWVersion)"
            fi ;;
        esac
    done
}

# target family Debian-12-guest-ID manifest NIC SATA: stated here, apart
# from the profile table (builder/plan/ova_targets.c).
targets=(
    "generic vmx-13 debian10_64Guest SHA256 E1000 AHCI"
    "esxi-6.7 vmx-14 debian10_64Guest SHA256 VmxNet3 vmware.sata.ahci"
    "esxi-7.0 vmx-18 debian11_64Guest SHA256 VmxNet3 vmware.sata.ahci"
    "esxi-8.0 vmx-20 debian12_64Guest SHA256 VmxNet3 vmware.sata.ahci"
    "workstation vmx-19 debian11_64Guest SHA256 E1000 vmware.sata.ahci"
    "virtualbox vmx-13 debian10_64Guest SHA256 E1000 AHCI"
    "proxmox vmx-13 debian10_64Guest SHA256 E1000 AHCI"
    "xcp-ng vmx-13 debian10_64Guest SHA256 E1000 AHCI"
    "aws vmx-13 debian10_64Guest SHA256 E1000 AHCI"
)
first=1
for row in "${targets[@]}"; do
    set -- $row
    build "$1" "target: $1" || { [ "$first" = 1 ] && finish; continue; }
    if [ "$first" = 1 ]; then
        first=0
    elif grep -q 'notice: OS disk: reused' "$T/$1.log" &&
        grep -q 'notice: application disk: reused' "$T/$1.log"; then
        ok "$1: both disks reused from the cache (only the export ran)"
    else
        bad "$1: the disks were built again: $(grep 'disk:' "$T/$1.log" | tr '\n' ' ')"
    fi
    judge_ova "$@"
done

# The aarch64-only targets import no x86_64 guest: this build has nothing
# to make for them, and its recipe naming one is refused at ova.target
# (their aarch64 OVAs are judged by tests/unit/test_ova_targets.c).
for t in fusion-arm64 esxi-arm; do
    { cat "$T/r/base.yaml"; echo "ova: {target: $t}"; } >"$T/r/$t.yaml"
    "$APPLIANCE" plan "$T/r/$t.yaml" >/dev/null 2>"$T/$t.err"
    rc=$?
    if [ "$rc" = 3 ] && grep -q "error: target '$t' imports no x86_64 guest" "$T/$t.err"; then
        ok "$t: the x86_64 recipe naming it is refused (exit 3), nothing built"
    else
        bad "$t: plan of the x86_64 recipe (exit $rc): $(cat "$T/$t.err")"
    fi
done

# A digest the recipe asks of a target that takes it.
if build vbox-sha1 "target: virtualbox, digest: sha1"; then
    judge_ova vbox-sha1 vmx-13 debian10_64Guest SHA1 E1000 AHCI
fi

# ---- inspect --target ---------------------------------------------------------
if "$APPLIANCE" inspect --no-disks --target esxi-6.7 "$T/generic/prof-0.1.0.ova" >"$T/i1" 2>&1 &&
    grep -q "target esxi-6.7 (.*): nothing rejected or ignored" "$T/i1"; then
    ok "inspect --target esxi-6.7: the generic OVA passes"
else
    bad "inspect --target esxi-6.7 of the generic OVA: $(cat "$T/i1")"
fi
"$APPLIANCE" inspect --no-disks --target esxi-6.7 "$T/esxi-8.0/prof-0.1.0.ova" >"$T/i2" 2>&1
rc=$?
if [ "$rc" = 1 ] &&
    grep -q "rejects hardware family: vmx-20 is newer than vmx-15" "$T/i2" &&
    grep -q "rejects guest OS: vmw:osType 'debian12_64Guest' exists from vSphere 8.0 Update 1" "$T/i2"; then
    ok "inspect --target esxi-6.7: the esxi-8.0 OVA is rejected for its family and guest ID (exit 1)"
else
    bad "inspect --target esxi-6.7 of the esxi-8.0 OVA (exit $rc): $(cat "$T/i2")"
fi
"$APPLIANCE" inspect --no-disks --json --target esxi-8.0 "$T/vbox-sha1/prof-0.1.0.ova" >"$T/i3.json" 2>/dev/null
if python3 - "$T/i3.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["bundles"][0]["target"]
sys.exit(0 if b["name"] == "esxi-8.0" and not b["ok"] and
         [f["rule"] for f in b["findings"]] == ["manifest digest"] else 1)
PY
then
    ok "inspect --json --target esxi-8.0: the SHA1 manifest is its one rejection"
else
    bad "inspect --json --target esxi-8.0 of the SHA1 OVA: $(cat "$T/i3.json")"
fi
finish
