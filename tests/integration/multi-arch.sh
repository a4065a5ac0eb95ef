#!/bin/bash
# tier: slow
# timeout: 5400
# Both architectures from one recipe into one folder (issue 23):
# tests/integration/recipes/multi-arch.yaml lists x86_64 and aarch64, and
# one `appliance build` writes both into one output folder:
#  - every file of each architecture with the architecture in its name
#    (NAME-VERSION-ARCH*, INSTALL-TARGET-ARCH.md, build-report-ARCH.json),
#    and none under the one-architecture names;
#  - one SHA256SUMS: `sha256sum -c` verifies it, it lists every file of
#    the folder but the reports and the signature, both architectures'
#    lines, sorted by path as one build's are; signed with --sign-key,
#    `openssl pkeyutl -verify` checks SHA256SUMS.sig;
#  - qemu-img check finds every qcow2 disk clean;
#  - each report lists its architecture's files only and says its plan's
#    architecture; each SPDX SBOM's package URLs are its architecture's
#    (arch=amd64 or arm64, and all);
#  - `appliance verify --no-disks` checks the whole folder, both
#    provenances; `appliance inspect --arch aarch64` opens aarch64's;
#  - a second build with the same SOURCE_DATE_EPOCH and --no-reuse gives
#    the same SHA256SUMS but for the provenance lines (they name the
#    program's digest and the builder's run, as reproducible.sh allows).
# The aarch64 tree is built under qemu-user (binfmt.c): without
# qemu-user-static's entry this test skips. A cold aarch64 tree takes
# up to an hour; APPLIANCE_CACHE_DIR (or the default cache) holding it
# makes the two builds take minutes.
. "${TOP:-.}/tests/lib/itest.sh"
need python3 qemu-img sha256sum openssl

binfmt=/usr/lib/binfmt.d/qemu-aarch64.conf
if [ ! -f "$binfmt" ]; then
    echo "SKIP: $binfmt is missing (apt-get install qemu-user-static): aarch64 cannot be cross-built"
    exit 77
fi

T=$ITEST_TMP
RECIPE=$TOP/tests/integration/recipes/multi-arch.yaml
STEM=multi-0.1.0
ARCHES="x86_64 aarch64"
export SOURCE_DATE_EPOCH=1700000000
openssl genpkey -algorithm ed25519 -out "$T/key.pem" 2>/dev/null &&
    openssl pkey -in "$T/key.pem" -pubout -out "$T/key.pub" && chmod 600 "$T/key.pem" || exit 99

# build DIR ARGS...: the recipe built into DIR, its output in DIR.log.
build() {
    local dir=$1 start=$SECONDS
    shift
    if "$APPLIANCE" build "$RECIPE" -o "$dir" --progress=plain "$@" >"$dir.log" 2>&1; then
        ok "appliance build of both architectures into $(basename "$dir") ($((SECONDS - start)) s)"
    else
        bad "appliance build $(basename "$dir") failed: $(tail -n 20 "$dir.log")"
        finish
    fi
}

A=$T/a
build "$A" --sign-key "$T/key.pem"

# ---- the progress names each architecture's stages ------------------------
for arch in $ARCHES; do
    if grep -qE "^\[ *[0-9.]+s\] (os|export) +$arch: " "$A.log"; then
        ok "the progress says which stages are $arch's"
    else
        bad "no stage line says $arch: $(grep -E '^\[' "$A.log" | head -n 5 | tr '\n' ' ')"
    fi
done

# ---- each architecture's files, named by it -------------------------------
for arch in $ARCHES; do
    missing=
    for f in "$STEM-$arch-os.qcow2" "$STEM-$arch-app.qcow2" "$STEM-$arch.xml" \
        "$STEM-$arch-os.vhd" "$STEM-$arch-app.tar.gz" "$STEM-$arch.spdx.json" \
        "$STEM-$arch.cdx.json" "$STEM-$arch.provenance.json" "$STEM-$arch.intoto.jsonl" \
        "INSTALL-kvm-$arch.md" "INSTALL-azure-$arch.md" "build-report-$arch.json"; do
        [ -f "$A/$f" ] || missing="$missing $f"
    done
    [ -z "$missing" ] && ok "$arch: its files, each named with $arch" ||
        bad "$arch: missing$missing (the folder: $(ls "$A" | tr '\n' ' '))"
done
single=$(cd "$A" && ls -d build-report.json INSTALL-kvm.md "$STEM-os.qcow2" "$STEM.spdx.json" \
    2>/dev/null | tr '\n' ' ')
[ -z "$single" ] && ok "no file under a one-architecture name" || bad "one-architecture names: $single"
others=$(cd "$A" && find . -mindepth 1 -name '.*' | tr '\n' ' ')
[ -z "$others" ] && ok "no hidden file or folder left by the builds" || bad "left behind: $others"

# ---- one SHA256SUMS of both --------------------------------------------------
if (cd "$A" && sha256sum --quiet -c SHA256SUMS) >"$T/a.sums" 2>&1; then
    ok "sha256sum -c SHA256SUMS: $(wc -l <"$A/SHA256SUMS") files verify"
else
    bad "sha256sum -c SHA256SUMS: $(head -n 5 "$T/a.sums" | tr '\n' ' ')"
fi
(cd "$A" && find . -type f ! -name SHA256SUMS ! -name SHA256SUMS.sig ! -name 'build-report-*.json' \
    ! -name '*.intoto.jsonl' | sed 's|^\./||' | LC_ALL=C sort) >"$T/a.files"
cut -c67- "$A/SHA256SUMS" >"$T/a.listed"
if cmp -s "$T/a.files" "$T/a.listed"; then
    ok "SHA256SUMS lists every shipped file of both, sorted by path"
else
    bad "SHA256SUMS and the folder differ: $(diff "$T/a.files" "$T/a.listed" | head -n 6 | tr '\n' ' ')"
fi
for arch in $ARCHES; do
    n=$(grep -c -- "-${arch}[.-]" "$A/SHA256SUMS")
    [ "$n" -ge 10 ] && ok "SHA256SUMS holds $n lines of $arch's files" ||
        bad "SHA256SUMS holds $n lines of $arch's files"
done
if openssl pkeyutl -verify -pubin -inkey "$T/key.pub" -rawin -in "$A/SHA256SUMS" \
    -sigfile "$A/SHA256SUMS.sig" >/dev/null 2>&1; then
    ok "openssl pkeyutl -verify: SHA256SUMS.sig signs the one SHA256SUMS"
else
    bad "SHA256SUMS.sig does not verify SHA256SUMS"
fi

# ---- the disks, and each report of its own ------------------------------------
for arch in $ARCHES; do
    for d in os app; do
        f=$A/$STEM-$arch-$d.qcow2
        if out=$(qemu-img check -f qcow2 "$f" 2>&1); then
            ok "qemu-img check $(basename "$f"): $(grep -m1 -o 'No errors.*' <<<"$out" || echo clean)"
        else
            bad "qemu-img check $(basename "$f"): $out"
        fi
    done
done
python3 - "$A" "$STEM" $ARCHES >"$T/reports" <<'EOF'
import json, sys
folder, stem, arches = sys.argv[1], sys.argv[2], sys.argv[3:]
for arch in arches:
    r = json.load(open("%s/build-report-%s.json" % (folder, arch)))
    hw = r["plan"]["hardware"]
    mine = all(("-%s" % arch) in f["path"] for f in r["files"])
    print("%s %s arch=%s arches=%s files=%d mine=%s" % (
        "ok" if hw["arch"] == arch and sorted(hw["arches"]) == sorted(arches) and mine else "not ok",
        arch, hw["arch"], ",".join(hw["arches"]), len(r["files"]), mine))
EOF
while read -r verdict arch rest; do
    [ "$verdict" = ok ] && ok "build-report-$arch.json: $rest" || bad "build-report-$arch.json: $rest"
done < <(sed 's/^not ok/not_ok/' "$T/reports")

# Each SBOM's packages are its architecture's (the purls' arch=).
python3 - "$A" "$STEM" $ARCHES >"$T/sboms" <<'EOF'
import json, re, sys
folder, stem, arches = sys.argv[1], sys.argv[2], sys.argv[3:]
dpkg = {"x86_64": "amd64", "aarch64": "arm64"}
for arch in arches:
    doc = json.load(open("%s/%s-%s.spdx.json" % (folder, stem, arch)))
    seen = {}
    for p in doc.get("packages", []):
        for ref in p.get("externalRefs", []):
            m = re.search(r"[?&]arch=([a-z0-9_]+)", ref.get("referenceLocator", ""))
            if ref.get("referenceType") == "purl" and m:
                seen[m.group(1)] = seen.get(m.group(1), 0) + 1
    good = seen.get(dpkg[arch], 0) > 0 and set(seen) <= {dpkg[arch], "all"}
    print("%s %s %s" % ("ok" if good else "not_ok", arch,
                        ", ".join("%d %s" % (n, a) for a, n in sorted(seen.items()))))
EOF
while read -r verdict arch rest; do
    [ "$verdict" = ok ] && ok "$STEM-$arch.spdx.json: its packages are $arch's ($rest)" ||
        bad "$STEM-$arch.spdx.json: packages of $rest"
done <"$T/sboms"

# ---- the commands that open the folder --------------------------------------
if "$APPLIANCE" verify "$A" --key "$T/key.pub" --no-disks >"$T/verify" 2>&1; then
    ok "appliance verify: $(tail -n 1 "$T/verify")"
else
    bad "appliance verify: $(grep -E 'FAIL|NOT' "$T/verify" | head -n 5 | tr '\n' ' ')"
fi
for arch in $ARCHES; do
    grep -q "OK    signature of the provenance ($STEM-$arch.intoto.jsonl)" "$T/verify" &&
        ok "appliance verify: $arch's provenance signature" ||
        bad "appliance verify checked no $arch provenance signature"
done
if "$APPLIANCE" inspect "$A" --arch aarch64 --no-disks --json >"$T/inspect.json" 2>"$T/inspect.err" &&
    python3 -c 'import json,sys; b = json.load(open(sys.argv[1]))["bundles"][0]; sys.exit(0 if "aarch64" in json.dumps(b) else 1)' \
        "$T/inspect.json"; then
    ok "appliance inspect --arch aarch64 opens aarch64's appliance"
else
    bad "appliance inspect --arch aarch64: $(head -c 400 "$T/inspect.err")"
fi

# ---- the same bytes again ------------------------------------------------------
# The first folder goes first: two of them need twice the space.
grep -v '\.provenance\.json$' "$A/SHA256SUMS" >"$T/a.cmp"
rm -rf "$A"
B=$T/b
build "$B" --no-reuse
grep -v '\.provenance\.json$' "$B/SHA256SUMS" >"$T/b.cmp"
if cmp -s "$T/a.cmp" "$T/b.cmp"; then
    ok "a second build: the same SHA256SUMS but the provenance ($(wc -l <"$T/a.cmp") lines)"
else
    bad "the second build's SHA256SUMS differs: $(diff "$T/a.cmp" "$T/b.cmp" | head -n 6 | tr '\n' ' ')"
fi
rm -rf "$B"
finish
