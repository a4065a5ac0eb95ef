#!/bin/bash
# tier: check
# appliance inspect without a VM (--no-disks) on the gate's shared build of
# tests/integration/recipes/layout.yaml:
#  - the output folder, --json: ok and verified, every digest of every
#    manifest (ovf/NAME.mf, the OVA's own .mf, SHA256SUMS) recomputed and
#    OK, as many as sha256sum finds files listed; the OVF summary read from
#    ovf/NAME.ovf
#  - a tampered copy of the OVA (one byte of the OS disk): MISMATCH for
#    that member only, the others OK, exit 1
#  - a file that is not there: exit 1 with a message
# inspect.sh (tier lifecycle) reads a build's disks through libguestfs.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 sha256sum
itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish
out=$(dirname "$IMG_OS")
name=layout stem=$STEM # the appliance's name; its files' (layout-0.1.0)
export TMPDIR=$ITEST_TMP/tmp
mkdir -p "$TMPDIR"

# ---- the output folder, as JSON ----
"$APPLIANCE" inspect --no-disks --json "$out" >"$ITEST_TMP/folder.json" 2>"$ITEST_TMP/folder.err"
rc=$?
[ "$rc" = 0 ] && ok "inspect --no-disks of the output folder exits 0" ||
    { bad "inspect --no-disks of the output folder exits $rc"; cat "$ITEST_TMP/folder.err"; }
# What sha256sum says each manifest lists, to compare with inspect's count.
n_sums=$(wc -l <"$out/SHA256SUMS")
n_mf=$(wc -l <"$out/ovf/$stem.mf")
python3 - "$ITEST_TMP/folder.json" "$n_sums" "$n_mf" "$name" "$stem" >"$ITEST_TMP/judge.out" 2>&1 <<'EOF'
import json, sys
got, n_sums, n_mf, name = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
stem = sys.argv[5]
def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
b = got["bundles"][0]
check(got["ok"] and b["ok"] and got["verified"], "the folder is ok and verified")
by = {}
for c in b["checks"]:
    by.setdefault(c["manifest"], []).append(c)
states = sorted({c["state"] for c in b["checks"]})
check(states == ["OK"], "every digest OK (%s)" % states)
sums = [m for m in by if m.endswith("SHA256SUMS")]
check(len(sums) == 1 and len(by[sums[0]]) == n_sums,
      "SHA256SUMS: %d digests recomputed, the %d lines sha256sum reads" %
      (len(by[sums[0]]) if sums else 0, n_sums))
mfs = [m for m in by if m.endswith(".mf")]
check(len(mfs) == 2 and all(len(by[m]) == n_mf for m in mfs),
      "ovf/%s.mf and the OVA's .mf: %d digests each (%s)" % (stem, n_mf, sorted(mfs)))
ovf = b.get("ovf") or {}
check(ovf.get("source") == "ovf/%s.ovf" % stem and ovf.get("name") == name,
      "OVF from ovf/NAME-VERSION.ovf")
check("guest" not in got or not got["guest"], "--no-disks: no disk read")
EOF
rc=$?
cat "$ITEST_TMP/judge.out"
[ "$rc" = 0 ] || bad "the JSON judge failed (exit $rc)"
pass=$((pass + $(grep -c '^ok ' "$ITEST_TMP/judge.out")))
fail=$((fail + $(grep -c '^not ok ' "$ITEST_TMP/judge.out")))

# ---- a tampered OVA: one byte of the OS disk ----
cp "$out/$stem.ova" "$ITEST_TMP/tampered.ova"
python3 - "$ITEST_TMP/tampered.ova" "$stem-os.vmdk" <<'EOF'
import sys, tarfile
m = tarfile.open(sys.argv[1]).getmember(sys.argv[2])
with open(sys.argv[1], "r+b") as f:
    at = m.offset_data + m.size // 2
    f.seek(at); b = f.read(1); f.seek(at); f.write(bytes([b[0] ^ 0xff]))
EOF
"$APPLIANCE" inspect --no-disks "$ITEST_TMP/tampered.ova" >"$ITEST_TMP/tampered.txt" 2>&1
rc=$?
[ "$rc" = 1 ] && ok "a tampered OVA exits 1" || bad "a tampered OVA exits $rc"
grep -Eq "^    MISMATCH +SHA256 $stem-os\.vmdk$" "$ITEST_TMP/tampered.txt" &&
    ok "the tampered member is a MISMATCH" || { bad "no MISMATCH for $stem-os.vmdk"; cat "$ITEST_TMP/tampered.txt"; }
[ "$(grep -Ec '^    OK +SHA256 ' "$ITEST_TMP/tampered.txt")" = 2 ] &&
    ok "the other members are OK" || bad "the other members are not OK"
grep -q '^result: 1 digest not matching' "$ITEST_TMP/tampered.txt" &&
    ok "result line counts the mismatch" || bad "result line: $(tail -n1 "$ITEST_TMP/tampered.txt")"

# ---- a file that is not there ----
"$APPLIANCE" inspect --no-disks "$ITEST_TMP/nope.ova" >/dev/null 2>"$ITEST_TMP/nope.err"
rc=$?
[ "$rc" = 4 ] && grep -q "cannot read '.*nope.ova': No such file or directory" "$ITEST_TMP/nope.err" &&
    ok "a missing file exits 4 with a message" || bad "a missing file: exit $rc, $(cat "$ITEST_TMP/nope.err")"
ls -d "$TMPDIR"/appliance-inspect.* 2>/dev/null && bad "scratch folder left behind" ||
    ok "no scratch folder left behind"

finish
