#!/bin/bash
# tier: check
# timeout: 1200
# The vmx output (issue 23): NAME-VERSION.vmwarevm/ of
# tests/integration/recipes/vmx.yaml, judged with what nobody here wrote:
#  - the .vmx read by a reader written here in Python from VMware's
#    documented syntax (one `key = "value"` a line, the value quoted, `|XX`
#    escapes, `#` comments; keys case-insensitive, none twice), then every
#    key the plan implies (`appliance plan --json`): hardware version,
#    guestOS, firmware and Secure Boot, CPUs, memory, the controller and
#    both disks (the OS disk first), the NICs;
#  - each VMDK's descriptor, read from its bytes: monolithicSparse, one
#    extent, the file itself (no other file named); `qemu-img check`;
#    `qemu-img compare` with the raw disk it was made from;
#  - SHA256SUMS lists the folder's files and `sha256sum -c` agrees;
#  - a second build (--no-reuse: written afresh, not copied from the
#    disk cache) gives the same bytes for every file of the folder.
# No real consumer of a .vmx is packaged in Debian 12 (VMware's products
# are not free software; open-vm-tools reads none): the reader here is it.
. "${TOP:-.}/tests/lib/itest.sh"
need python3 qemu-img sha256sum cmp

RECIPE=$TOP/tests/integration/recipes/vmx.yaml
itest_build "$RECIPE" || finish
out=$(dirname "$IMG_OS")
folder=$out/$STEM.vmwarevm
vmx=$folder/$STEM.vmx

# ---- the folder --------------------------------------------------------------
want="$STEM-app.vmdk $STEM-os.vmdk $STEM.vmx "
got=$(cd "$folder" 2>/dev/null && find . -mindepth 1 -printf '%P\n' | sort | tr '\n' ' ')
[ "$got" = "$want" ] && ok "$STEM.vmwarevm/ holds the .vmx and the two VMDKs, nothing else" ||
    bad "$STEM.vmwarevm/ holds: '$got', want '$want'"

# ---- the .vmx, read independently -------------------------------------------
out_py=$(python3 - "$vmx" "$PLAN" "$STEM" <<'EOF' 2>&1
import json, re, sys

path, plan_path, stem = sys.argv[1:4]
plan = json.load(open(plan_path))
results = []
def check(cond, text):
    results.append(("ok - " if cond else "not ok - ") + text)

def read_vmx(path):
    """VMware's configuration syntax: key = "value", # comments, |XX escapes."""
    raw = open(path, "rb").read()
    text = raw.decode("utf-8")          # .encoding = "UTF-8"
    keys = {}
    line_re = re.compile(r'^([A-Za-z0-9_.:]+) = "([^"]*)"$')
    for n, line in enumerate(text.split("\n"), 1):
        if line == "" or line.lstrip().startswith("#"):
            continue
        m = line_re.match(line)
        if not m:
            raise SystemExit("not ok - line %d is not key = \"value\": %r" % (n, line))
        key, value = m.group(1), m.group(2)
        if "#" in value or any(ord(c) < 0x20 for c in value):
            raise SystemExit("not ok - line %d: an unescaped '#' or control character" % n)
        value = re.sub(r"\|([0-9A-Fa-f]{2})", lambda h: chr(int(h.group(1), 16)), value)
        if key.lower() in keys:
            raise SystemExit("not ok - key %s twice" % key)
        keys[key.lower()] = (key, value)
    return text, keys

text, keys = read_vmx(path)
check(text.startswith('.encoding = "UTF-8"\n'), '.encoding = "UTF-8" is the first line')
check(text.endswith("\n"), "the file ends with a line break")
def want(key, value):
    got = keys.get(key.lower(), (None, None))[1]
    check(got == value, '%s = "%s"%s' % (key, value, "" if got == value else " (got %r)" % got))
def absent(prefix):
    bad = [k for k, _ in keys.values() if k.lower().startswith(prefix.lower())]
    check(not bad, "no %s* key%s" % (prefix, "" if not bad else ": %s" % bad))

hw = plan["hardware"]
arm = hw["arch"] == "aarch64"
want("config.version", "8")
want("virtualHW.version", str(max(int(plan["ova"]["hardware_family"][4:]), 20 if arm else 0)))
want("displayName", plan["name"])
notes = [plan[k] for k in ("description",) if plan.get(k)]
if plan.get("vendor"):
    notes.append("Vendor: " + plan["vendor"])
notes.append("Version: " + plan["version"])
want("annotation", "\n".join(notes))
# guestOS: VMware's hosted ids, which vmcli of Workstation 17.5 / Fusion 13.5 lists.
guest = {("debian-12", "x86_64"): "debian12-64", ("debian-12", "aarch64"): "arm-debian12-64"}
want("guestOS", guest[(plan["os"]["distro"], hw["arch"])])
efi = hw["firmware"] != "bios"
want("firmware", "efi" if efi else "bios")
if efi:
    want("uefi.secureBoot.enabled", "TRUE" if hw["secure_boot"] else "FALSE")
else:
    absent("uefi.")
want("numvcpus", str(hw["cpus"]))
want("memsize", str(hw["memory"] // (1 << 20)))
bus = {"scsi": "scsi0", "sata": "sata0", "ide": "ide0"}[hw["controller"]]
if bus != "ide0":
    want(bus + ".present", "TRUE")
if bus == "scsi0":
    want("scsi0.virtualDev", "lsilogic")
for other in {"scsi0", "sata0", "ide0", "nvme0"} - {bus}:
    absent(other)
for unit, disk in enumerate(("os", "app")):
    want("%s:%d.present" % (bus, unit), "TRUE")
    want("%s:%d.fileName" % (bus, unit), "%s-%s.vmdk" % (stem, disk))
nic = "e1000e" if arm else "vmxnet3"
for i in range(hw["nics"]):
    want("ethernet%d.present" % i, "TRUE")
    want("ethernet%d.virtualDev" % i, nic)
    want("ethernet%d.connectionType" % i, "nat")
    want("ethernet%d.addressType" % i, "generated")
absent("ethernet%d" % hw["nics"])
absent("uuid.")                 # VMware makes them at the first power-on
absent("ethernet0.generatedAddress")
if arm:
    check("lsilogic" not in text.lower(), "aarch64: no LSI Logic")
print("\n".join(results))
EOF
)
echo "$out_py"
pass=$((pass + $(grep -c '^ok ' <<<"$out_py"))) fail=$((fail + $(grep -c '^not ok ' <<<"$out_py")))
grep -q '^ok ' <<<"$out_py" || bad "the .vmx reader ran no check"

# ---- the disks ---------------------------------------------------------------
for disk in os app; do
    vmdk=$folder/$STEM-$disk.vmdk raw=$out/$STEM-$disk.raw
    [ -f "$vmdk" ] || { bad "$STEM-$disk.vmdk is missing"; continue; }
    # The descriptor sits in the sparse file's first grains, as text.
    desc=$(head -c 65536 "$vmdk" | tr -d '\000' | grep -a -E '^(createType|RW|RDONLY|NOACCESS|parentCID|parentFileNameHint|ddb\.adapterType)')
    grep -qx 'createType="monolithicSparse"' <<<"$desc" &&
        ok "$STEM-$disk.vmdk: createType=\"monolithicSparse\"" ||
        bad "$STEM-$disk.vmdk: descriptor says $(grep createType <<<"$desc")"
    extents=$(grep -c -E '^(RW|RDONLY|NOACCESS) ' <<<"$desc")
    self=$(grep -c -E "^RW [0-9]+ SPARSE \"$STEM-$disk.vmdk\"\$" <<<"$desc")
    [ "$extents" = 1 ] && [ "$self" = 1 ] && ! grep -q parentFileNameHint <<<"$desc" &&
        ok "$STEM-$disk.vmdk: one extent, itself; no parent" ||
        bad "$STEM-$disk.vmdk: extents: $(grep -E '^(RW|RDONLY|NOACCESS|parent)' <<<"$desc" | tr '\n' ';')"
    grep -qx 'ddb.adapterType = "lsilogic"' <<<"$desc" &&
        ok "$STEM-$disk.vmdk: adapter type lsilogic, the controller's" ||
        bad "$STEM-$disk.vmdk: $(grep adapterType <<<"$desc")"
    qemu-img check -f vmdk "$vmdk" >"$ITEST_TMP/check" 2>&1 &&
        ok "qemu-img check $STEM-$disk.vmdk" ||
        bad "qemu-img check $STEM-$disk.vmdk: $(tail -3 "$ITEST_TMP/check")"
    if qemu-img compare -f raw -F vmdk "$raw" "$vmdk" >"$ITEST_TMP/compare" 2>&1; then
        ok "qemu-img compare: $STEM-$disk.vmdk is identical to $STEM-$disk.raw"
    else
        bad "qemu-img compare $STEM-$disk: $(tail -2 "$ITEST_TMP/compare")"
    fi
done

# ---- SHA256SUMS --------------------------------------------------------------
listed=$(grep -c " $STEM.vmwarevm/" "$out/SHA256SUMS")
[ "$listed" = 3 ] && ok "SHA256SUMS lists the folder's 3 files" ||
    bad "SHA256SUMS lists $listed files of $STEM.vmwarevm/"
(cd "$out" && sha256sum --quiet -c SHA256SUMS) >"$ITEST_TMP/sums" 2>&1 &&
    ok "sha256sum -c SHA256SUMS" || bad "sha256sum -c: $(head -3 "$ITEST_TMP/sums")"

# ---- reproducible ------------------------------------------------------------
# Again, written afresh (--no-reuse: no disk or VMDK copied from the cache).
again=$ITEST_TMP/again
start=$SECONDS
if "$APPLIANCE" build "$RECIPE" -o "$again" --no-reuse >"$ITEST_TMP/again.log" 2>&1; then
    echo "# second build: $((SECONDS - start)) s"
    for f in "$STEM.vmx" "$STEM-os.vmdk" "$STEM-app.vmdk"; do
        cmp "$folder/$f" "$again/$STEM.vmwarevm/$f" >"$ITEST_TMP/cmp" 2>&1 &&
            ok "reproducible: $STEM.vmwarevm/$f is the same bytes" ||
            bad "reproducible: $f differs: $(cat "$ITEST_TMP/cmp")"
    done
    cmp -s "$out/SHA256SUMS" "$again/SHA256SUMS" && ok "reproducible: SHA256SUMS equal" ||
        bad "reproducible: SHA256SUMS differ: $(diff "$out/SHA256SUMS" "$again/SHA256SUMS" | head -4 | tr '\n' ' ')"
else
    bad "second build (--no-reuse): $(tail -5 "$ITEST_TMP/again.log")"
fi
finish
