#!/bin/bash
# tier: lifecycle
# The root-tree cache, judged from the build report and the build log:
#  - a second build of an unchanged recipe takes its root tree from the cache
#    (build-report.json says so, the log shows no mmdebstrap);
#  - a change of one package misses the cache and runs mmdebstrap again
#    (with a package that does not exist, so that the rebuild fails fast:
#    exit 1, mmdebstrap's own reason, no output left).
. "${TOP:-.}/tests/lib/itest.sh"
need python3 mmdebstrap

work=$ITEST_TMP/cache
mkdir -p "$work"
sed "s/^outputs: .*/outputs: [raw]/" "$TOP/tests/integration/recipes/layout.yaml" >"$work/cached.yaml"

report_says() { # REPORT KEY
    python3 -c 'import json,sys; print(str(json.load(open(sys.argv[1]))[sys.argv[2]]).lower())' "$1" "$2"
}

for run in 1 2; do
    if "$APPLIANCE" build "$work/cached.yaml" -o "$work/out$run" --log "$work/log$run" \
        >"$work/out" 2>"$work/err"; then
        ok "build $run succeeds"
    else
        bad "build $run failed: $(tail -5 "$work/err")"
        finish
    fi
done
[ "$(report_says "$work/out2/build-report.json" root_tree_from_cache)" = true ] &&
    ok "second build: root tree from the cache (build-report.json)" ||
    bad "second build did not use the cache: $(cat "$work/out2/build-report.json")"
grep -Eq '^\+ (unshare .* -- )?mmdebstrap ' "$work/log2" && bad "second build ran mmdebstrap" ||
    ok "second build: no mmdebstrap in the log"
grep -q 'root tree: from the cache' "$work/err" && ok "second build says so on the terminal" ||
    bad "no cache notice: $(cat "$work/err")"
rm -rf "$work/out1" "$work/out2"

# One more package: the key changes, the tree is built again.
sed 's/packages: \[curl, less\]/packages: [curl, less, appliance-no-such-package]/' \
    "$work/cached.yaml" >"$work/changed.yaml"
grep -q appliance-no-such-package "$work/changed.yaml" || { bad "recipe not changed"; finish; }
"$APPLIANCE" build "$work/changed.yaml" -o "$work/out3" --log "$work/log3" >"$work/out" 2>"$work/err"
rc=$?
[ "$rc" = 1 ] && ok "changed recipe: rebuild fails with status 1 (no such package)" ||
    bad "changed recipe: status $rc, want 1"
grep -Eq '^\+ (unshare .* -- )?mmdebstrap ' "$work/log3" && ok "changed recipe: the cache missed, mmdebstrap ran" ||
    bad "changed recipe: mmdebstrap did not run"
grep -q "while installing debian-12 with mmdebstrap" "$work/err" &&
    ok "the error names the stage: $(grep '^appliance: error' "$work/err" | head -1 | cut -c1-160)" ||
    bad "unclear error: $(cat "$work/err")"
[ ! -e "$work/out3" ] && ok "no output folder after the failure" || bad "output left behind"
finish
