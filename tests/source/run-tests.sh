#!/bin/bash
# tier: check
# The test runner judged on tests written here to pass, fail, skip, lie
# and hang (tests/run-tests):
#  - a test that prints "not ok" and exits 0 is reported FAIL
#  - a test that hangs is killed at its limit with its process group (a
#    child it left in the background too) and named: "(timed out after N s)"
#  - with -j2, two tests that each wait for the other run at once; with
#    -j1 the same pair cannot both pass
#  - a failed test's whole output is printed as one block, never
#    interleaved with another test's lines
#  - --tier runs only that tier's tests; a script without a tier fails
#  - the summary line, the skips and the ten slowest
set -u
cd "${TOP:-.}" || exit 99
RUNNER=$PWD/tests/run-tests
T=$(mktemp -d "${TMPDIR:-/tmp}/runner.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

mkdir -p "$T/t"
# mk NAME TIER [TIMEOUT] BODY: a test script t/NAME.
mk() {
    local f=$T/t/$1.sh
    {
        echo '#!/bin/bash'
        [ -n "$2" ] && echo "# tier: $2"
        [ -n "$3" ] && echo "# timeout: $3"
        echo "$4"
    } >"$f"
    chmod +x "$f"
}
tag=runner-$$-$RANDOM
mk pass check '' 'echo "ok - fine"'
mk lies check '' 'echo "ok - one"; echo "not ok - two"; exit 0'
mk fails check '' 'for i in $(seq 1 200); do echo "fails line $i"; done; exit 3'
mk skips check '' 'echo "SKIP: no such tool here"; exit 77'
mk partly check '' 'echo "ok - ran"; echo "skip - one check cannot run here"'
mk hangs check 2 "(exec -a $tag-child sleep 300) & exec -a $tag-hangs sleep 300"
mk notier '' '' 'exit 0'
mk other vm '' 'echo "ok - another tier"'
# ping and pong wait for each other (10 s at most): both pass only when
# they run at the same time.
mk ping check 20 "touch $T/ping; for i in \$(seq 100); do [ -e $T/pong ] && exit 0; sleep 0.1; done; echo 'not ok - no pong'; exit 1"
mk pong check 20 "touch $T/pong; for i in \$(seq 100); do [ -e $T/ping ] && exit 0; sleep 0.1; done; echo 'not ok - no ping'; exit 1"
# chatter prints many lines slowly while fails ends.
mk chatter check '' 'for i in $(seq 1 40); do echo "chatter $i"; sleep 0.02; done; echo "ok - chatted"'

cd "$T" || exit 99
BUILD=$T/build "$RUNNER" -j2 --tier check t/pass.sh t/lies.sh t/chatter.sh t/fails.sh t/skips.sh \
    t/partly.sh t/hangs.sh t/notier.sh t/other.sh t/ping.sh t/pong.sh >"$T/out" 2>&1
rc=$?
sed 's/^/    # /' "$T/out"

[ "$rc" = 1 ] && ok "the run fails (exit $rc)" || bad "the run exits $rc, not 1"
line() { grep -E "^$1 +t/$2\.sh( |$)" "$T/out"; }
line PASS pass >/dev/null && ok "a passing test is PASS" || bad "no PASS line for pass.sh"
line FAIL lies | grep -q "'not ok'" && ok "a test that prints 'not ok' and exits 0 is FAIL" ||
    bad "lies.sh (not ok, exit 0) is not reported FAIL"
line FAIL fails | grep -q 'exit 3' && ok "a test that exits 3 is FAIL with its status" ||
    bad "fails.sh is not FAIL with exit 3"
line SKIP skips | grep -q 'no such tool here' && ok "a test that exits 77 is SKIP with its reason" ||
    bad "skips.sh is not SKIP with its reason"
line PASS partly | grep -q '1 skipped: one check cannot run here' &&
    ok "a test that skipped a part is PASS with the reason" || bad "partly.sh's skip is not shown"
line FAIL hangs | grep -q 'timed out after 2 s' && ok "a hung test is FAIL (timed out after 2 s)" ||
    bad "hangs.sh is not reported as timed out"
sleep 0.5
if pgrep -f "$tag" >/dev/null; then
    bad "the hung test's processes outlived it: $(pgrep -af "$tag")"
else
    ok "the hung test's process group is gone"
fi
line FAIL notier | grep -q 'names no tier' && ok "a script without a tier line is FAIL" ||
    bad "notier.sh is not FAIL for its missing tier"
grep -q 't/other\.sh' "$T/out" && bad "--tier check ran a test of tier vm" ||
    ok "--tier check leaves the vm test alone"
line PASS ping >/dev/null && line PASS pong >/dev/null && ok "-j2: two tests ran at once" ||
    bad "-j2: ping and pong did not both pass"
# fails.sh's 200 lines are one block: no line of another test between them.
blk=$(sed -n '/^FAIL  *t\/fails\.sh/,/fails line 200$/p' "$T/out")
if [ "$(grep -c 'fails line' <<<"$blk")" = 200 ] && [ "$(grep -vc 'fails line' <<<"$blk")" -le 2 ]; then
    ok "a failed test's output is printed whole, in one block"
else
    bad "fails.sh's output is not one whole block ($(grep -c 'fails line' <<<"$blk") of 200 lines)"
fi
grep -q '^slowest:' "$T/out" && grep -A10 '^slowest:' "$T/out" | grep -q 't/hangs\.sh' &&
    ok "the ten slowest are listed, the hung test among them" || bad "no list of the slowest tests"
grep -q '^5 passed, 4 failed, 1 skipped$' "$T/out" && ok "summary: 5 passed, 4 failed, 1 skipped" ||
    bad "summary line: $(tail -n 1 "$T/out")"

# With -j1 the pair cannot meet: ping gives up waiting for pong.
rm -f "$T/ping" "$T/pong"
BUILD=$T/build1 "$RUNNER" -j1 t/ping.sh t/pong.sh >"$T/out1" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -qE '^FAIL +t/ping\.sh' "$T/out1" && ok "-j1 runs one test at a time" ||
    bad "-j1: the pair passed or the run did not fail (exit $rc)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
