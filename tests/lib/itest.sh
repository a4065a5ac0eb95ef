# tests/lib/itest.sh: what the integration tests share. Sourced (bash):
#
#   . "$TOP/tests/lib/itest.sh"
#   ok TEXT / bad TEXT          count and print "ok - TEXT" / "not ok - TEXT"
#   skip REASON                 count and print "skip - REASON": a check that
#                               cannot run here (tests/run-tests shows it)
#   judge CMD ARGS...           run tests/lib/judge.py, count its ok/not ok lines
#   need PROGRAM...             exit 77 with a reason unless all are on PATH
#   itest_build RECIPE          build RECIPE (or reuse the cached build), set
#                               IMG_OS, IMG_APP, PLAN; 77 if the engine is missing
#   finish                      print "N passed, N failed, N skipped"; exit 1
#                               if any failed or no check ran at all, 77 if
#                               every check was skipped
#
# Builds are shared fixtures, cached in $BUILD/itest/<recipe name>/, keyed
# by the appliance program's bytes and the recipe's text, so the tests that
# judge a recipe's build (the gate's exports, layout, inspect, boot and
# reproducibility judges all read the layout recipe's) build it once per
# run between them; a lock makes tests that run in parallel wait for the
# one that builds. The fixture is read-only to its judges: a test that
# changes a disk changes its own copy or a qcow2 overlay of it. A build runs in a temporary folder
# (removed on exit) and is moved into the cache only when it succeeded.
# Everything else goes to $ITEST_TMP, removed on exit.

set -u
APPLIANCE=${APPLIANCE:?APPLIANCE is not set: run this through tests/run-tests}
TOP=${TOP:-$PWD}
ITEST_BUILD=${BUILD:-build}
case $ITEST_BUILD in /*) ;; *) ITEST_BUILD=$TOP/$ITEST_BUILD ;; esac
JUDGE=$TOP/tests/lib/judge.py
pass=0 fail=0 skipped=0

ITEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/itest.XXXXXX") || exit 99
ITEST_CLEAN=("$ITEST_TMP")
itest_cleanup() { rm -rf "${ITEST_CLEAN[@]}"; }
trap itest_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
skip() { skipped=$((skipped + 1)); echo "skip - $*"; }

# judge CMD ARGS...: every "ok"/"not ok" line of judge.py counts as one
# check; a judge that fails without saying why counts as one failure.
judge() {
    local out rc n_ok n_bad
    out=$(python3 "$JUDGE" "$@" 2>&1)
    rc=$?
    [ -n "$out" ] && echo "$out"
    n_ok=$(grep -c '^ok ' <<<"$out")
    n_bad=$(grep -c '^not ok ' <<<"$out")
    pass=$((pass + n_ok)) fail=$((fail + n_bad))
    if [ "$rc" -ne 0 ] && [ "$n_bad" -eq 0 ]; then
        bad "judge.py $1 exited with status $rc"
    fi
    return "$rc"
}

need() {
    local p
    for p in "$@"; do
        command -v "$p" >/dev/null || { echo "SKIP: $p is not installed"; exit 77; }
    done
}

finish() {
    echo "$pass passed, $fail failed, $skipped skipped"
    if [ "$fail" -eq 0 ] && [ "$pass" -eq 0 ]; then
        if [ "$skipped" -gt 0 ]; then
            echo "SKIP: every check was skipped"
            exit 77
        fi
        echo "not ok - no check ran"
        exit 1
    fi
    [ "$fail" -eq 0 ]
    exit
}

# itest_key RECIPE: what a cached build of RECIPE depends on: the program's
# bytes and the recipe's.
itest_key() {
    { sha256sum <"$APPLIANCE"; sha256sum <"$1"; } | sha256sum | cut -d' ' -f1
}

# itest_build RECIPE [EXT]: sets PLAN (the plan JSON), STEM (how the
# output's files are named: NAME-VERSION), IMG_OS, IMG_APP (the disks of
# that extension, default raw: the recipe's outputs must write them). Returns 1
# (after a "not ok" line and the build's output tail) when the build fails;
# exits 77 when the disk engine is not built yet.
itest_build() {
    local recipe=$1 ext=${2:-raw} name key cache log start rc
    name=$(basename "$recipe" .yaml)
    cache=$ITEST_BUILD/itest/$name
    key=$(itest_key "$recipe")
    mkdir -p "$ITEST_BUILD/itest" || return 1
    PLAN=$ITEST_TMP/$name-plan.json
    if ! "$APPLIANCE" plan "$recipe" --json >"$PLAN" 2>"$ITEST_TMP/plan.err"; then
        bad "plan of $recipe"; cat "$ITEST_TMP/plan.err"; return 1
    fi
    local app_name
    app_name=$(python3 -c 'import json,sys; p = json.load(open(sys.argv[1])); print(p["name"] + "-" + p["version"])' "$PLAN")
    STEM=$app_name

    # One build of a recipe at a time, also between tests run in parallel.
    exec {lockfd}>"$ITEST_BUILD/itest/.$name.lock"
    flock "$lockfd"
    if [ -f "$cache/key" ] && [ "$(cat "$cache/key")" = "$key" ] &&
        [ -f "$cache/$app_name-os.$ext" ] && [ -f "$cache/$app_name-app.$ext" ]; then
        echo "# reusing the build of $recipe in $cache"
    else
        local out
        out=$(mktemp -d "$ITEST_BUILD/itest/.$name.XXXXXX") || return 1
        ITEST_CLEAN+=("$out")
        log=$out/build.log
        echo "# building $recipe (log: $cache/build.log)"
        start=$SECONDS
        "$APPLIANCE" build "$recipe" -o "$out/out" >"$log" 2>&1
        rc=$?
        echo "# build: exit $rc after $((SECONDS - start)) s"
        if [ "$rc" -ne 0 ] && grep -q 'not yet built' "$log"; then
            tail -n 3 "$log"
            echo "SKIP: appliance build: the disk engine is not built yet ($(grep -m1 'not yet built' "$log"))"
            exit 77
        fi
        if [ "$rc" -ne 0 ]; then
            bad "appliance build $recipe (exit $rc)"; tail -n 30 "$log" | sed 's/^/    | /'
            mkdir -p "$cache" && cp "$log" "$cache/build.log"
            return 1
        fi
        ok "appliance build $recipe ($((SECONDS - start)) s)"
        mv "$log" "$out/out/build.log" && echo "$key" >"$out/out/key" &&
            rm -rf "$cache" && mv "$out/out" "$cache" || { bad "cannot store the build in $cache"; return 1; }
    fi
    exec {lockfd}>&-
    IMG_OS=$cache/$app_name-os.$ext
    IMG_APP=$cache/$app_name-app.$ext
    local f
    for f in "$IMG_OS" "$IMG_APP"; do
        [ -f "$f" ] || { bad "build wrote $(basename "$f")"; ls -la "$cache"; return 1; }
    done
    return 0
}

# esp_boot IMG WANT WHAT: finds the EFI system partition of the OS disk
# IMG (sfdisk) and checks, as one check, that its EFI/BOOT holds exactly
# the files WANT ("A B C ": sorted, each followed by a space; WHAT says
# them for people). Sets ESP_AT to IMG@@OFFSET, as mtools read it; returns
# 1 (ESP_AT empty) when the disk has no ESP.
esp_boot() {
    local img=$1 want=$2 what=$3 esp names
    ESP_AT=
    esp=$(sfdisk --json "$img" | python3 -c 'import json,sys
t = json.load(sys.stdin)["partitiontable"]
p = next(p for p in t["partitions"] if p["type"] == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
print(p["start"] * t.get("sectorsize", 512))')
    [ -n "$esp" ] || { bad "the OS disk has an EFI system partition"; return 1; }
    ESP_AT=$img@@$esp
    if mdir -i "$ESP_AT" -b ::/EFI/BOOT >"$ITEST_TMP/esp-boot" 2>&1; then
        names=$(sed 's|.*/||' "$ITEST_TMP/esp-boot" | sort | tr '\n' ' ')
        [ "$names" = "$want" ] && ok "EFI/BOOT holds $what" || bad "EFI/BOOT holds: $names"
    else
        bad "mdir reads the ESP's EFI/BOOT: $(cat "$ITEST_TMP/esp-boot")"
    fi
}
