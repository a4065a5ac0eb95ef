#!/bin/bash
# tier: check
# The gate's look at the SBOMs and provenance (issue 22), on the layout
# recipe's build that the gate's other judges share (seconds once it is
# built; tests/integration/sbom.sh builds, signs and tampers in the
# lifecycle tier):
# - both SBOMs validate against the official JSON Schemas (SPDX 2.3,
#   CycloneDX 1.6) with python3-jsonschema, through SBOM_SCHEMA_DIR
#   (unset: skipped);
# - their packages are dpkg-query's of the root tree the provenance names;
# - every subject of the provenance and every shipped file of the SBOMs
#   has the SHA-256 sha256sum gives; SHA256SUMS lists them all;
# - `appliance verify --no-disks` passes, the unsigned delivery's
#   signatures shown as skipped; one line of SHA256SUMS changed fails it.
# reproducible.sh compares the SBOMs and the provenance of two builds with
# every other shipped file.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 sha256sum dpkg-query tar

T=$ITEST_TMP
SBOM=$TOP/tests/lib/sbom.py
CACHE=${APPLIANCE_CACHE_DIR:-/var/cache/appliance}
itest_build "$TOP/tests/integration/recipes/layout.yaml" || finish
A=$(dirname "$IMG_OS")

sbom() {
    local out rc
    out=$(python3 "$SBOM" "$@" 2>&1)
    rc=$?
    [ -n "$out" ] && echo "$out"
    pass=$((pass + $(grep -c '^ok ' <<<"$out")))
    fail=$((fail + $(grep -c '^not ok ' <<<"$out")))
    [ "$rc" -eq 0 ] || [ "$(grep -c '^not ok ' <<<"$out")" -gt 0 ] || bad "sbom.py $1 exited $rc"
    return "$rc"
}

for f in "$STEM.spdx.json" "$STEM.cdx.json" "$STEM.provenance.json"; do
    if [ -f "$A/$f" ] && grep -q "  $f\$" "$A/SHA256SUMS"; then ok "$f, in SHA256SUMS"
    else bad "the build wrote no $f, or SHA256SUMS leaves it out"
    fi
done
if [ -z "${SBOM_SCHEMA_DIR:-}" ]; then
    skip "SBOMs against the SPDX 2.3 and CycloneDX 1.6 JSON Schemas: SBOM_SCHEMA_DIR is not set"
else
    sbom schema "$SBOM_SCHEMA_DIR" "$A/$STEM.spdx.json" "$A/$STEM.cdx.json"
fi

key=$(python3 -c 'import json, sys
p = json.load(open(sys.argv[1]))
print(next(d["annotations"]["cache_key"] for d in p["predicate"]["buildDefinition"]["resolvedDependencies"]
           if d["name"] == "root-tree"))' "$A/$STEM.provenance.json")
mkdir -p "$T/tree"
if tar -xf "$CACHE/roots/$key.tar" -C "$T/tree" ./var/lib/dpkg 2>"$T/tree.err"; then
    dpkg-query --admindir="$T/tree/var/lib/dpkg" -W \
        -f '${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\n' |
        awk '$1 ~ /^.i/ { print $2, $3, $4 }' | sort >"$T/tree.list"
    sbom packages "$A/$STEM.spdx.json" "$T/tree.list" "dpkg-query of the root tree"
    sbom packages "$A/$STEM.cdx.json" "$T/tree.list" "dpkg-query of the root tree"
else
    bad "the root tree $key of the provenance is not in $CACHE: $(cat "$T/tree.err")"
fi
sbom subjects "$A" "$A/$STEM.provenance.json"
sbom shipped "$A" "$A/$STEM.spdx.json"
sbom shipped "$A" "$A/$STEM.cdx.json"

# The delivery as shipped: links to the build's files, without the two
# files the shared fixture adds (build.log, key), which SHA256SUMS does
# not list and verify would name.
if ! cp -al "$A" "$T/intact" || ! rm -f "$T/intact/build.log" "$T/intact/key"; then
    bad "cannot link $A"
fi
"$APPLIANCE" verify --no-disks "$T/intact" >"$T/verify.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^  SKIP  signatures: no --key given' "$T/verify.out" &&
    ! grep -q '^  FAIL' "$T/verify.out"; then
    ok "verify --no-disks passes ($(grep -c '^  OK' "$T/verify.out") checks), the signatures skipped"
else
    bad "verify --no-disks: exit $rc"; grep -v '^  OK' "$T/verify.out" | head -n 20
fi

# One line of SHA256SUMS changed, in a copy of links to the build's files.
cp -al "$T/intact" "$T/copy" && rm "$T/copy/SHA256SUMS" &&
    sed "s/^[0-9a-f]\{8\}\(.*  $STEM.cdx.json\)\$/00000000\1/" "$A/SHA256SUMS" >"$T/copy/SHA256SUMS"
"$APPLIANCE" verify --no-disks "$T/copy" >"$T/verify.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "^  FAIL  digest of '$STEM.cdx.json': SHA256SUMS has 00000000" "$T/verify.out"; then
    ok "verify fails on a changed line of SHA256SUMS, naming the file"
else
    bad "verify of a changed SHA256SUMS: exit $rc"; grep -v '^  OK' "$T/verify.out" | head -n 10
fi

finish
