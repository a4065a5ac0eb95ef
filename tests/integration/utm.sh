#!/bin/bash
# tier: check
# The utm output: tests/integration/recipes/layout.yaml built with
# outputs [utm, raw] (the same disks as the gate's layout build, so the
# build cache has them when that ran first), and NAME-VERSION.utm/ judged
# by tools this project did not write:
#  - Python's plistlib reads config.plist; every dict has the keys UTM's
#    decoders require for ConfigurationVersion 4 and no key they do not
#    know, each of the type they decode, each enumerated value one UTM
#    defines; the hardware is the plan's;
#  - every Drive's ImageName is a file under Data/, the OS disk first;
#  - qemu-img check finds the qcow2 disks clean, and qemu-img compare finds
#    each identical to the build's raw disk;
#  - SHA256SUMS and INSTALL-utm.md list the bundle's files and sha256sum
#    verifies them; the build report says they are the utm output's;
#  - `appliance convert --to utm` of the folder gives the same config.plist
#    and disks that qemu-img compare finds identical to the raw ones.
. "${TOP:-.}/tests/lib/itest.sh"
need python3 qemu-img sha256sum

recipe=$ITEST_TMP/utm.yaml
sed 's/^outputs: .*/outputs: [utm, raw]/' "$TOP/tests/integration/recipes/layout.yaml" >"$recipe"
itest_build "$recipe" || finish
out=$(dirname "$IMG_OS")
bundle=$out/$STEM.utm
[ -f "$bundle/config.plist" ] && ok "$STEM.utm/config.plist written" ||
    { bad "no $STEM.utm/config.plist: $(ls "$out" | tr '\n' ' ')"; finish; }

# ---- config.plist against UTM's keys ----------------------------------------
# The keys, read from UTM's source (github.com/utmapp/UTM at commit
# e4a4c34b671284263fc69f81b607de494d7e9b65, ConfigurationVersion 4, both
# its oldest and current): each struct's CodingKeys and its init(from:)
# decoder; "req" are decoded with decode() (a file without them does not
# load), "opt" with decodeIfPresent() or only in some modes.
#   top          Configuration/UTMQemuConfiguration.swift (Backend and
#                ConfigurationVersion: UTMConfiguration.swift's stub)
#   Information  Configuration/UTMConfigurationInfo.swift
#   System       Configuration/UTMQemuConfigurationSystem.swift
#   QEMU         Configuration/UTMQemuConfigurationQEMU.swift
#   Input        Configuration/UTMQemuConfigurationInput.swift
#   Sharing      Configuration/UTMQemuConfigurationSharing.swift
#   Display      Configuration/UTMQemuConfigurationDisplay.swift
#   Drive        Configuration/UTMQemuConfigurationDrive.swift
#   Network      Configuration/UTMQemuConfigurationNetwork.swift
#   PortForward  Configuration/UTMQemuConfigurationPortForward.swift
#   Serial       Configuration/UTMQemuConfigurationSerial.swift
#   Terminal     Configuration/UTMConfigurationTerminal.swift
#   Sound        Configuration/UTMQemuConfigurationSound.swift
# The enumerated values: Configuration/QEMUConstant.swift (and
# QEMUConstantGenerated.swift for architectures and machines).
cat >"$ITEST_TMP/utm-judge.py" <<'EOF'
import json, os, plistlib, sys

bundle, plan = sys.argv[1], json.load(open(sys.argv[2]))
S, I, B, L, D = str, int, bool, list, dict
KEYS = {
    "top": {"req": {"Information": D, "System": D, "QEMU": D, "Input": D, "Sharing": D,
                    "Display": L, "Drive": L, "Network": L, "Serial": L, "Sound": L},
            "opt": {"Backend": S, "ConfigurationVersion": I}},
    "Information": {"req": {"Name": S, "IconCustom": B, "UUID": S},
                    "opt": {"Icon": S, "Notes": S}},
    "System": {"req": {"Architecture": S, "Target": S, "CPU": S, "CPUFlagsAdd": L,
                       "CPUFlagsRemove": L, "CPUCount": I, "ForceMulticore": B,
                       "MemorySize": I, "JITCacheSize": I}, "opt": {}},
    "QEMU": {"req": {"DebugLog": B, "UEFIBoot": B, "RNGDevice": B, "BalloonDevice": B,
                     "TPMDevice": B, "Hypervisor": B, "RTCLocalTime": B, "PS2Controller": B,
                     "AdditionalArguments": L},
             "opt": {"TSO": B, "MachinePropertyOverride": S}},
    "Input": {"req": {"UsbBusSupport": S, "UsbSharing": B, "MaximumUsbShare": I}, "opt": {}},
    "Sharing": {"req": {"DirectoryShareMode": S, "DirectoryShareReadOnly": B,
                        "ClipboardSharing": B}, "opt": {}},
    "Display": {"req": {"Hardware": S, "DynamicResolution": B, "UpscalingFilter": S,
                        "DownscalingFilter": S, "NativeResolution": B},
                "opt": {"VgaRamMib": I}},
    "Drive": {"req": {"ImageType": S, "Interface": S, "Identifier": S},
              "opt": {"ImageName": S, "ReadOnly": B, "InterfaceVersion": I}},
    "Network": {"req": {"Mode": S, "Hardware": S, "MacAddress": S, "IsolateFromHost": B,
                        "PortForward": L},
                "opt": {k: S for k in ("BridgeInterface", "VlanGuestAddress",
                        "VlanGuestAddressIPv6", "VlanHostAddress", "VlanHostAddressIPv6",
                        "VlanDhcpStartAddress", "VlanDhcpEndAddress", "VlanDhcpDomain",
                        "VlanDnsServerAddress", "VlanDnsServerAddressIPv6",
                        "VlanDnsSearchDomain", "HostNetUuid")}},
    "PortForward": {"req": {"Protocol": S, "HostPort": I, "GuestPort": I},
                    "opt": {"HostAddress": S, "GuestAddress": S}},
    "Serial": {"req": {"Mode": S, "Target": S},
               "opt": {"Terminal": D, "Hardware": S, "TcpHostAddress": S, "TcpPort": I,
                       "WaitForConnection": B, "RemoteConnectionAllowed": B}},
    "Terminal": {"req": {"Font": S, "FontSize": I},
                 "opt": {"Theme": S, "ForegroundColor": S, "BackgroundColor": S,
                         "ResizeCommand": S, "CursorBlink": B}},
    "Sound": {"req": {"Hardware": S}, "opt": {}},
}
ENUMS = {  # (struct, key): the raw values UTM's enums define
    ("top", "Backend"): {"QEMU"},
    ("System", "Architecture"): {"x86_64", "aarch64"},
    ("Input", "UsbBusSupport"): {"Disabled", "2.0", "3.0"},
    ("Sharing", "DirectoryShareMode"): {"None", "WebDAV", "VirtFS"},
    ("Display", "UpscalingFilter"): {"Linear", "Nearest"},
    ("Display", "DownscalingFilter"): {"Linear", "Nearest"},
    ("Drive", "ImageType"): {"None", "Disk", "CD", "BIOS", "LinuxKernel", "LinuxInitrd",
                             "LinuxDTB"},
    ("Drive", "Interface"): {"None", "IDE", "SCSI", "SD", "MTD", "Floppy", "PFlash", "VirtIO",
                             "NVMe", "USB"},
    ("Network", "Mode"): {"Emulated", "Shared", "Host", "Bridged"},
    ("Serial", "Mode"): {"Terminal", "TcpClient", "TcpServer", "Ptty"},
    ("Serial", "Target"): {"Auto", "Manual", "GDB", "Monitor"},
}
MEMBERS = {"Display": "Display", "Drive": "Drive", "Network": "Network", "Serial": "Serial",
           "Sound": "Sound", "PortForward": "PortForward"}
n_bad = 0

def say(good, text):
    global n_bad
    n_bad += not good
    print(("ok - " if good else "not ok - ") + text)

def judge(name, d, where):
    want = KEYS[name]
    missing = sorted(set(want["req"]) - set(d))
    unknown = sorted(set(d) - set(want["req"]) - set(want["opt"]))
    say(not missing, f"{where}: every key UTM requires" + (f" (missing {missing})" if missing else ""))
    say(not unknown, f"{where}: no key UTM does not know" + (f" ({unknown})" if unknown else ""))
    types = {**want["req"], **want["opt"]}
    wrong = [k for k, v in d.items() if k in types and
             not (isinstance(v, types[k]) and not (types[k] is I and isinstance(v, bool)))]
    say(not wrong, f"{where}: each value of the type UTM decodes" + (f" ({wrong})" if wrong else ""))
    for (s, k), values in ENUMS.items():
        if s == name and k in d:
            say(d[k] in values, f"{where}.{k} = {d[k]!r}, a value UTM defines")
    for k, v in d.items():
        if isinstance(v, dict) and k in KEYS:
            judge(k, v, f"{where}.{k}")
        if isinstance(v, list) and k in MEMBERS:
            for i, m in enumerate(v):
                if not isinstance(m, dict):
                    say(False, f"{where}.{k}[{i}] is not a dict")
                    continue
                judge(MEMBERS[k], m, f"{where}.{k}[{i}]")

with open(os.path.join(bundle, "config.plist"), "rb") as f:
    c = plistlib.load(f)
say(True, "plistlib reads config.plist")
judge("top", c, "config.plist")
say(c.get("ConfigurationVersion") == 4, "ConfigurationVersion 4, UTM's current")
say(c.get("Backend") == "QEMU", "Backend QEMU")

hw, s, q = plan["hardware"], c["System"], c["QEMU"]
say(c["Information"]["Name"] == plan["name"], f"Information.Name is the plan's ({plan['name']})")
say((s["Architecture"], s["Target"]) == ("x86_64", "q35"), f"System: {s['Architecture']} {s['Target']}")
say(s.get("CPUCount") == hw["cpus"], f"System.CPUCount {s.get('CPUCount')}, the plan's")
mib = plan["hardware"]["memory"] // (1 << 20)
say(s["MemorySize"] == mib, f"System.MemorySize {s['MemorySize']} MiB, the plan's")
say(q["UEFIBoot"] == ("uefi" in hw["firmware"]), f"QEMU.UEFIBoot {q['UEFIBoot']} for {hw['firmware']}")
say(len(c["Network"]) == hw["nics"], f"{len(c['Network'])} NIC(s), the plan's")

drives = c["Drive"]
stem = plan["name"] + "-" + plan["version"]
names = [d.get("ImageName") for d in drives]
say(names == [stem + "-os.qcow2", stem + "-app.qcow2"], f"Drive: the OS disk first ({names})")
for d in drives:
    path = os.path.join(bundle, "Data", d.get("ImageName") or "?")
    say(os.path.isfile(path), f"Data/{d.get('ImageName')} exists")
    say(d["ImageType"] == "Disk", f"{d.get('ImageName')}: ImageType Disk")
ids = [c["Information"]["UUID"]] + [d["Identifier"] for d in drives]
say(len(set(ids)) == len(ids), "the UUID and the drives' identifiers differ")
sys.exit(1 if n_bad else 0)
EOF
# The judge's own check: a copy of the bundle without a key UTM requires,
# with a key it does not know and a drive's image missing fails it.
mkdir -p "$ITEST_TMP/broken.utm/Data"
python3 - "$bundle/config.plist" "$ITEST_TMP/broken.utm/config.plist" <<'EOF'
import plistlib, sys
c = plistlib.load(open(sys.argv[1], "rb"))
del c["System"]["CPUCount"]
c["QEMU"]["NoSuchKey"] = True
plistlib.dump(c, open(sys.argv[2], "wb"))
EOF
broken=$(python3 "$ITEST_TMP/utm-judge.py" "$ITEST_TMP/broken.utm" "$PLAN" 2>&1)
for want in "not ok - config.plist.System: every key UTM requires (missing ['CPUCount'])" \
    "not ok - config.plist.QEMU: no key UTM does not know (['NoSuchKey'])" \
    "not ok - Data/$STEM-os.qcow2 exists"; do
    grep -qF "$want" <<<"$broken" && ok "the judge refuses a broken bundle: ${want#not ok - }" ||
        bad "the judge does not say '$want' of a broken bundle"
done
out_py=$(python3 "$ITEST_TMP/utm-judge.py" "$bundle" "$PLAN" 2>&1)
echo "$out_py"
pass=$((pass + $(grep -c '^ok ' <<<"$out_py"))) fail=$((fail + $(grep -c '^not ok ' <<<"$out_py")))
grep -q '^ok - plistlib reads' <<<"$out_py" || bad "plistlib could not read config.plist"

# ---- the disks -------------------------------------------------------------
for d in os app; do
    q=$bundle/Data/$STEM-$d.qcow2 raw=$out/$STEM-$d.raw
    [ -f "$q" ] || { bad "Data/$STEM-$d.qcow2 is missing"; continue; }
    fmt=$(qemu-img info --output=json "$q" | python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')
    [ "$fmt" = qcow2 ] && ok "Data/$STEM-$d.qcow2 is qcow2 (qemu-img info)" || bad "Data/$STEM-$d.qcow2 is $fmt"
    qemu-img check -f qcow2 "$q" >"$ITEST_TMP/check" 2>&1 && ok "qemu-img check Data/$STEM-$d.qcow2" ||
        bad "qemu-img check Data/$STEM-$d.qcow2: $(tail -3 "$ITEST_TMP/check")"
    qemu-img compare -q -f raw -F qcow2 "$raw" "$q" &&
        ok "qemu-img compare: Data/$STEM-$d.qcow2 holds $STEM-$d.raw exactly" ||
        bad "qemu-img compare: Data/$STEM-$d.qcow2 differs from $STEM-$d.raw"
done
extra=$(cd "$bundle" && find . -mindepth 1 ! -name config.plist ! -path ./Data \
    ! -name "$STEM-os.qcow2" ! -name "$STEM-app.qcow2" | tr '\n' ' ')
[ -z "$extra" ] && ok "the bundle holds config.plist and Data/ with the two disks, nothing else" ||
    bad "more in the bundle: $extra"

# ---- SHA256SUMS and the report -----------------------------------------------
for f in config.plist "Data/$STEM-os.qcow2" "Data/$STEM-app.qcow2"; do
    grep -q "  $STEM.utm/$f\$" "$out/SHA256SUMS" && ok "SHA256SUMS lists $STEM.utm/$f" ||
        bad "SHA256SUMS does not list $STEM.utm/$f"
done
(cd "$out" && grep "  $STEM\.utm/" SHA256SUMS | sha256sum --quiet -c -) >"$ITEST_TMP/sums" 2>&1 &&
    ok "sha256sum -c: the bundle's lines of SHA256SUMS" || bad "SHA256SUMS: $(head -3 "$ITEST_TMP/sums")"
[ -f "$out/INSTALL-utm.md" ] && grep -q "open -a UTM $STEM.utm" "$out/INSTALL-utm.md" &&
    ok "INSTALL-utm.md: how to open $STEM.utm" || bad "no INSTALL-utm.md naming $STEM.utm"
grep -E '^    [0-9a-f]{64}  ' "$out/INSTALL-utm.md" | sed 's/^    //' >"$ITEST_TMP/note-sums"
[ "$(wc -l <"$ITEST_TMP/note-sums")" = 3 ] && (cd "$out" && sha256sum --quiet -c "$ITEST_TMP/note-sums") &&
    ok "sha256sum -c: INSTALL-utm.md's digests of the bundle's three files" ||
    bad "INSTALL-utm.md's digests: $(cat "$ITEST_TMP/note-sums")"
roles=$(python3 - "$out/build-report.json" <<'EOF'
import json, sys
files = json.load(open(sys.argv[1]))["files"]
print(" ".join(f"{f['path']}={f.get('output')}:{f.get('disk')}" for f in files if ".utm/" in f["path"]))
EOF
)
want="$STEM.utm/Data/$STEM-app.qcow2=utm:app $STEM.utm/Data/$STEM-os.qcow2=utm:os $STEM.utm/config.plist=utm:None"
[ "$roles" = "$want" ] && ok "build-report.json: the bundle's files are the utm output's" ||
    bad "build-report.json says: $roles"

# ---- convert --to utm --------------------------------------------------------
# The same bundle from the folder's raw disks: the same configuration (its
# identities derived from the same name and version), the same disks.
if "$APPLIANCE" convert "$out" -o "$ITEST_TMP/conv" --to utm >"$ITEST_TMP/conv.log" 2>&1; then
    ok "appliance convert --to utm"
    cmp -s "$bundle/config.plist" "$ITEST_TMP/conv/$STEM.utm/config.plist" &&
        ok "convert's config.plist is the build's" || bad "convert's config.plist differs from the build's"
    for d in os app; do
        qemu-img compare -q -f raw -F qcow2 "$out/$STEM-$d.raw" "$ITEST_TMP/conv/$STEM.utm/Data/$STEM-$d.qcow2" &&
            ok "qemu-img compare: convert's Data/$STEM-$d.qcow2 holds the raw disk" ||
            bad "qemu-img compare: convert's Data/$STEM-$d.qcow2 differs"
    done
else
    bad "appliance convert --to utm: $(tail -5 "$ITEST_TMP/conv.log")"
fi
finish
