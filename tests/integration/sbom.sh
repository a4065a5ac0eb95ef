#!/bin/bash
# tier: lifecycle
# timeout: 3600
# SBOMs, provenance, signatures and `appliance verify` (issue 22), judged
# with tools nobody here wrote. tests/integration/recipes/sbom.yaml is
# built twice, signed with an Ed25519 key and then with an ECDSA P-256
# one (the second with --no-reuse: its disks and exports written afresh):
# - a signing key others may read is refused before anything is built;
# - both builds give the same SBOM and provenance bytes;
# - every SBOM validates against the official JSON Schemas (SPDX 2.3;
#   CycloneDX 1.6 with the schemas it refers to) with python3-jsonschema,
#   found through SBOM_SCHEMA_DIR (unset: those checks are skipped; see
#   docs/testing.md, "The SBOM schemas");
# - the SBOMs' packages are dpkg-query's of the root tree the build used
#   (the provenance names its cache entry), of the OS disk's own database
#   as guestfish downloads it from the OVA's OS disk, and (the container's
#   SBOMs) of the container template's database;
# - every subject of the provenance, and every shipped file of the SBOMs,
#   has the SHA-256 sha256sum gives;
# - SHA256SUMS.sig verifies with `openssl pkeyutl -verify -rawin`; the
#   DSSE envelope's pre-authentication encoding, recomputed in Python,
#   verifies with openssl too, and its payload is the provenance;
# - `appliance verify` passes on the intact build (reading its disks), on
#   the OVA, on the ECDSA build; and fails, naming the cause, on a copy
#   with one byte of the OS disk flipped in the OVA, with a package
#   removed from the SBOM,
#   with the wrong key, with a truncated signature; nothing in the folder
#   changes while it verifies.
# Two builds of a small recipe from the layout recipe's cached root tree
# (under 1.5 GB of outputs between them), two libguestfs appliances for
# verify and one for guestfish: 10-25 minutes with software emulation.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 openssl sha256sum dpkg-query guestfish tar zstd cmp
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

T=$ITEST_TMP
RECIPE=$TOP/tests/integration/recipes/sbom.yaml
SBOM=$TOP/tests/lib/sbom.py
STEM=sbomtest-1.0
CACHE=${APPLIANCE_CACHE_DIR:-/var/cache/appliance}

# sbom CMD ARGS...: tests/lib/sbom.py, its ok/not ok lines counted.
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

# ---- keys ----------------------------------------------------------------
if ! { openssl genpkey -algorithm ed25519 -out "$T/ed.pem" 2>/dev/null &&
    openssl pkey -in "$T/ed.pem" -pubout -out "$T/ed.pub" &&
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.pem" 2>/dev/null &&
    openssl pkey -in "$T/ec.pem" -pubout -out "$T/ec.pub" && chmod 600 "$T/ed.pem" "$T/ec.pem"; }; then
    bad "openssl made no keys"
    finish
fi

# A key others may read: refused before anything is built.
cp "$T/ed.pem" "$T/loose.pem" && chmod 640 "$T/loose.pem"
"$APPLIANCE" build "$RECIPE" -o "$T/never" --sign-key "$T/loose.pem" >"$T/loose.log" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q "signing key '.*loose.pem' may be read by others (mode 0640)" "$T/loose.log" &&
    [ ! -e "$T/never" ] && ! grep -q '] os ' "$T/loose.log" && ! grep -q 'BEGIN' "$T/loose.log"; then
    ok "a signing key of mode 0640 is refused before anything is built (exit 1)"
else
    bad "a loose signing key: exit $rc, $(tail -n 3 "$T/loose.log")"
fi

# ---- two builds ------------------------------------------------------------
build() { # build OUT KEY [OPTIONS]
    local out=$1 key=$2 start=$SECONDS rc
    shift 2
    # --no-space-check: the estimate counts every disk whole (about 6 GiB);
    # the two outputs take under 1 GiB each, on a host whose disk other
    # runs share. A disk that does fill still fails the build.
    "$APPLIANCE" build "$RECIPE" -o "$out" --sign-key "$key" --no-space-check "$@" >"$out.log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        ok "build signed with $(basename "$key") ($((SECONDS - start)) s)"
    else
        bad "build signed with $(basename "$key") (exit $rc)"
        tail -n 20 "$out.log" | sed 's/^/    | /'
    fi
    return "$rc"
}
A=$T/a B=$T/b
build "$A" "$T/ed.pem" || finish
build "$B" "$T/ec.pem" --no-reuse || finish

for f in "$STEM.spdx.json" "$STEM.cdx.json" "$STEM-container.spdx.json" \
    "$STEM-container.cdx.json" "$STEM.provenance.json"; do
    if [ ! -f "$A/$f" ]; then bad "the build wrote no $f"
    elif cmp -s "$A/$f" "$B/$f"; then ok "$f: the same bytes from both builds"
    else bad "$f differs between the builds: $(cmp "$A/$f" "$B/$f")"
    fi
done
if grep -q "PRIVATE\|BEGIN" "$A/build-report.json" "$A/$STEM.provenance.json" "$A.log"; then
    bad "a key's text in the report, provenance or log"
else
    ok "no key's text in the report, provenance or log"
fi

# ---- the official schemas ----------------------------------------------------
if [ -z "${SBOM_SCHEMA_DIR:-}" ]; then
    skip "SBOMs against the SPDX 2.3 and CycloneDX 1.6 JSON Schemas: SBOM_SCHEMA_DIR is not set"
else
    sbom schema "$SBOM_SCHEMA_DIR" "$A/$STEM.spdx.json" "$A/$STEM.cdx.json" \
        "$A/$STEM-container.spdx.json" "$A/$STEM-container.cdx.json"
fi

# ---- the packages ------------------------------------------------------------
# dpkg-query's "name version arch" of the installed packages of a dpkg
# database folder.
installed() {
    dpkg-query --admindir="$1" -W -f '${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\n' |
        awk '$1 ~ /^.i/ { print $2, $3, $4 }' | sort
}
key=$(python3 -c 'import json, sys
p = json.load(open(sys.argv[1]))
print(next(d["annotations"]["cache_key"] for d in p["predicate"]["buildDefinition"]["resolvedDependencies"]
           if d["name"] == "root-tree"))' "$A/$STEM.provenance.json")
mkdir -p "$T/tree" "$T/ct" "$T/disk/var/lib/dpkg"
if tar -xf "$CACHE/roots/$key.tar" -C "$T/tree" ./var/lib/dpkg 2>"$T/tree.err"; then
    installed "$T/tree/var/lib/dpkg" >"$T/tree.list"
    sbom packages "$A/$STEM.spdx.json" "$T/tree.list" "dpkg-query of the root tree"
    sbom packages "$A/$STEM.cdx.json" "$T/tree.list" "dpkg-query of the root tree"
else
    bad "the root tree $key of the provenance is not in $CACHE: $(cat "$T/tree.err")"
fi
if tar --zstd -xf "$A/$STEM-ct.tar.zst" -C "$T/ct" ./var/lib/dpkg 2>"$T/ct.err"; then
    installed "$T/ct/var/lib/dpkg" >"$T/ct.list"
    sbom packages "$A/$STEM-container.spdx.json" "$T/ct.list" "dpkg-query of the container"
    sbom packages "$A/$STEM-container.cdx.json" "$T/ct.list" "dpkg-query of the container"
else
    bad "no dpkg database in $STEM-ct.tar.zst: $(cat "$T/ct.err")"
fi
start=$SECONDS
if tar -xf "$A/$STEM.ova" -C "$T" "$STEM-os.vmdk" &&
    guestfish --ro --format=vmdk -a "$T/$STEM-os.vmdk" run : mount /dev/vg_os/root / : \
        download /var/lib/dpkg/status "$T/disk/var/lib/dpkg/status" >"$T/gf.log" 2>&1; then
    installed "$T/disk/var/lib/dpkg" >"$T/disk.list"
    echo "# guestfish read the OS disk's database ($((SECONDS - start)) s)"
    sbom packages "$A/$STEM.spdx.json" "$T/disk.list" "dpkg-query of the OS disk's database (guestfish)"
else
    bad "guestfish cannot read the OS disk: $(tail -n 3 "$T/gf.log")"
fi
rm -f "$T/$STEM-os.vmdk"

# ---- digests -----------------------------------------------------------------
sbom subjects "$A" "$A/$STEM.provenance.json"
sbom shipped "$A" "$A/$STEM.spdx.json"
sbom shipped "$A" "$A/$STEM.cdx.json"
if (cd "$A" && sha256sum --quiet -c SHA256SUMS) >"$T/sums.log" 2>&1; then
    ok "sha256sum -c SHA256SUMS"
else
    bad "sha256sum -c SHA256SUMS: $(head -n 3 "$T/sums.log")"
fi
if grep -q " $STEM.spdx.json$" "$A/SHA256SUMS" && grep -q " $STEM.provenance.json$" "$A/SHA256SUMS"; then
    ok "SHA256SUMS lists the SBOMs and the provenance"
else
    bad "SHA256SUMS leaves out the SBOMs or the provenance"
fi

# ---- signatures, by openssl ------------------------------------------------
sigcheck() { # sigcheck PUB DIGEST FILE SIG WHAT (DIGEST: "" for Ed25519, sha256 for ECDSA)
    local opts=()
    [ -z "$2" ] || opts=(-digest "$2")
    if openssl pkeyutl -verify -pubin -inkey "$1" -rawin "${opts[@]}" -in "$3" -sigfile "$4" >"$T/v.log" 2>&1; then
        ok "openssl pkeyutl -verify: $5"
    else
        bad "openssl pkeyutl -verify: $5: $(cat "$T/v.log")"
    fi
}
sigcheck "$T/ed.pub" "" "$A/SHA256SUMS" "$A/SHA256SUMS.sig" "SHA256SUMS.sig (Ed25519)"
sigcheck "$T/ec.pub" sha256 "$B/SHA256SUMS" "$B/SHA256SUMS.sig" "SHA256SUMS.sig (ECDSA P-256)"
for x in A:ed: B:ec:sha256; do
    dir=${x%%:*} rest=${x#*:} k=${rest%%:*} digest=${rest#*:}
    folder=${!dir}
    if sbom pae "$folder/$STEM.intoto.jsonl" "$T/$k.pae" "$T/$k.sig" "$folder/$STEM.provenance.json"; then
        sigcheck "$T/$k.pub" "$digest" "$T/$k.pae" "$T/$k.sig" "the provenance's DSSE envelope, its PAE recomputed ($k)"
    fi
done
if openssl pkeyutl -verify -pubin -inkey "$T/ec.pub" -rawin -digest sha256 -in "$A/SHA256SUMS" \
    -sigfile "$A/SHA256SUMS.sig" >/dev/null 2>&1; then
    bad "openssl accepts the Ed25519 build's signature with the ECDSA key"
else
    ok "openssl refuses the signature with another key"
fi

# ---- appliance verify ------------------------------------------------------------
state() { find "$1" -printf '%P %s %T@ %m\n' | sort | sha256sum; }
before=$(state "$A")

verify() { # verify EXPECT WHAT ARGS... ; EXPECT: pass, or a FAIL line's text
    local expect=$1 what=$2 start=$SECONDS rc
    shift 2
    "$APPLIANCE" verify "$@" >"$T/verify.out" 2>"$T/verify.err"
    rc=$?
    if [ "$expect" = pass ]; then
        if [ "$rc" -eq 0 ] && grep -q '^verified: ' "$T/verify.out"; then
            ok "verify $what passes ($(grep -c '^  OK' "$T/verify.out") checks, $((SECONDS - start)) s)"
        else
            bad "verify $what: exit $rc"; grep -v '^  OK' "$T/verify.out" "$T/verify.err" | head -n 20
        fi
    elif [ "$rc" -eq 1 ] && grep '^  FAIL' "$T/verify.out" | grep -qF -- "$expect"; then
        ok "verify $what fails: $(grep '^  FAIL' "$T/verify.out" | grep -F -- "$expect" | head -n 1 | cut -c1-200)"
    else
        bad "verify $what: exit $rc, no FAIL naming '$expect'"; grep -v '^  OK' "$T/verify.out" "$T/verify.err" | head -n 20
    fi
}

verify pass "of the intact build, its disks read" "$A" --key "$T/ed.pub"
if grep -q "the packages installed on the OS disk: the [0-9]* the SBOM lists" "$T/verify.out"; then
    ok "verify compared the OS disk's packages with the SBOMs"
else
    bad "verify did not compare the disk's packages: $(grep -i package "$T/verify.out")"
fi
verify pass "of the OVA beside its files" "$A/$STEM.ova" --key "$T/ed.pub" --no-disks
verify pass "of the ECDSA build" "$B" --key "$T/ec.pub" --no-disks
"$APPLIANCE" verify --json --no-disks --key "$T/ed.pub" "$A" >"$T/verify.json" 2>/dev/null
if python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is True and r["failed"] == 0 and r["passed"] > 10, r
assert all(c["result"] in ("ok", "skip") for c in r["checks"])' "$T/verify.json"; then
    ok "verify --json: every check ok or skipped"
else
    bad "verify --json: $(head -c 300 "$T/verify.json")"
fi

verify "another key signed this delivery" "with the wrong key" "$A" --key "$T/ec.pub" --no-disks
if [ "$(state "$A")" = "$before" ]; then ok "verify wrote nothing into the folder"
else bad "the folder changed while verify ran"
fi

# Tampered copies: links to A's files, the file to change copied first.
copy() { # copy NAME FILE: $T/NAME, A with FILE its own
    rm -rf "${T:?}/$1" && cp -al "$A" "$T/$1" && rm "$T/$1/$2" && cp "$A/$2" "$T/$1/$2"
}
# One byte flipped in the middle of the OS disk's VMDK, inside the OVA:
# both SHA256SUMS's digest of the OVA and the OVA's own manifest's of the
# disk no longer match.
copy flipped "$STEM.ova"
python3 - "$T/flipped/$STEM.ova" "$STEM-os.vmdk" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = t.getmember(sys.argv[2])
at = m.offset_data + m.size // 2
with open(sys.argv[1], "r+b") as f:
    f.seek(at)
    b = f.read(1)
    f.seek(at)
    f.write(bytes([b[0] ^ 0xFF]))
EOF
verify "digest of '$STEM-os.vmdk' in '$STEM.ova:" "with one byte of the OS disk flipped" "$T/flipped" --key "$T/ed.pub" --no-disks
if grep '^  FAIL' "$T/verify.out" | grep -q "digest of '$STEM.ova'"; then
    ok "verify names the OVA's changed digest in SHA256SUMS too"
else
    bad "verify missed the OVA's digest"
fi
rm -rf "${T:?}/flipped"

copy truncated SHA256SUMS.sig
head -c 40 "$A/SHA256SUMS.sig" >"$T/truncated/SHA256SUMS.sig"
verify "truncated" "with a truncated signature" "$T/truncated" --key "$T/ed.pub" --no-disks

copy dropped "$STEM.spdx.json"
sbom drop "$A/$STEM.spdx.json" less "$T/dropped/$STEM.spdx.json"
verify "'less " "with a package removed from the SBOM, its disks read" "$T/dropped" --key "$T/ed.pub"
if grep '^  FAIL' "$T/verify.out" | grep -q "digest of '$STEM.spdx.json'"; then
    ok "verify names the SBOM's changed digest too"
else
    bad "verify missed the SBOM's digest"
fi

finish
