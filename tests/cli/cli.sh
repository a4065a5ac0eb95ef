#!/bin/bash
# tier: check
# The command line: help, version, usage errors (exit 2 with a hint line),
# exit statuses, and every long option documented in appliance(1).
set -u
app=${APPLIANCE:?}
top=${TOP:-$PWD}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# expect STATUS DESCRIPTION -- COMMAND...: runs it, checks the exit status.
expect() {
    local want=$1 what=$2; shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" = "$want" ]; then ok "$what"; else bad "$what (exit $got, want $want)"; cat "$tmp/err"; fi
}

expect 0 "--version" -- "$app" --version
grep -qE '^appliance [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" && ok "version format" || bad "version format"
expect 0 "--help" -- "$app" --help
grep -q '^Usage: appliance' "$tmp/out" && ok "--help on stdout" || bad "--help on stdout"
for c in validate plan build test inspect deploy convert resize schema; do
    expect 0 "$c --help" -- "$app" "$c" --help
    grep -q "^Usage: appliance $c" "$tmp/out" && ok "$c --help text" || bad "$c --help text"
done

# Usage errors: exit 2, a message and a hint line naming --help.
usage() {
    expect 2 "usage error: $*" -- "$app" "$@"
    if grep -q "^Try 'appliance.*--help' for more information.$" "$tmp/err"; then
        ok "hint line: $*"
    else
        bad "hint line: $*"
    fi
}
usage
usage frobnicate
usage --bogus
usage validate
usage plan
usage plan --bogus x.yaml
usage build
usage build -o
usage build -q -v x.yaml
usage test
usage test --firmware
usage test --firmware efi out
usage test --timeout 0 out
usage test --timeout 10s out
usage test out1 out2
usage inspect
usage inspect --bogus x.ova
usage deploy
usage deploy a b
usage deploy dir --connect
usage deploy dir --name ''
usage schema --bogus
usage schema extra

# schema: the recipe's JSON Schema on stdout, quietly (schema.sh judges it).
expect 0 "schema exits 0" -- "$app" schema
python3 -m json.tool "$tmp/out" >/dev/null 2>&1 && ok "schema prints JSON" || bad "schema prints JSON"
[ -s "$tmp/err" ] && bad "schema wrote to stderr" || ok "schema is quiet on stderr"
expect 0 "schema --pod exits 0" -- "$app" schema --pod
grep -q '^=head2 Top level$' "$tmp/out" && ok "schema --pod prints POD" || bad "schema --pod prints POD"

# Exit statuses of recipe problems and of a missing file.
expect 4 "missing recipe file exits 4, not 3 (invalid)" -- "$app" validate "$tmp/nope.yaml"
grep -q "nope.yaml: error: cannot read recipe: No such file or directory" "$tmp/err" \
    && ok "missing file message" || bad "missing file message: $(cat "$tmp/err")"
expect 1 "inspect of a missing file exits 1" -- "$app" inspect --no-disks "$tmp/nope.ova"
grep -q "cannot read '$tmp/nope.ova': No such file or directory" "$tmp/err" \
    && ok "inspect: missing file message" || bad "inspect: missing file message: $(cat "$tmp/err")"
expect 1 "deploy of a folder without NAME.xml exits 1" -- "$app" deploy "$tmp" -c test:///default
expect 0 "demo recipe validates quietly" -- "$app" validate "$top/recipes/demo.yaml"
[ -s "$tmp/out" ] || [ -s "$tmp/err" ] && bad "validate printed something" || ok "validate is quiet"

# test: an output folder without a build report is an error, not a usage error.
expect 1 "test of a folder that holds no build exits 1" -- "$app" test "$tmp"
grep -q "build-report.json': No such file or directory" "$tmp/err" \
    && ok "test names the missing report" || bad "test names the missing report: $(cat "$tmp/err")"

# Every long option in any --help is documented in the man page source.
opts=$( { "$app" --help; for c in validate plan build test inspect deploy convert resize schema; do "$app" "$c" --help; done; } |
    grep -oE -- '--[a-z][a-z-]+' | sort -u)
[ -n "$opts" ] && ok "found options in --help" || bad "no options found in --help"
for o in $opts; do
    grep -q -- "B<$o>" "$top/man/appliance.pod" && ok "documented: $o" || bad "undocumented: $o"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
