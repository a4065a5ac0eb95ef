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

commands="init validate plan build test inspect verify deploy convert resize schema"

expect 0 "--version" -- "$app" --version
grep -qE '^appliance [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" && ok "version format" || bad "version format"
grep -qE '^commit: ([0-9a-f]{7,}(-dirty)?|unknown)$' "$tmp/out" && ok "--version names the commit" ||
    bad "--version names the commit: $(cat "$tmp/out")"
for f in libraries outputs distributions; do
    grep -qE "^$f: [a-z]" "$tmp/out" && ok "--version names the $f" || bad "--version names the $f"
done
grep -q '^outputs: .*\bova\b' "$tmp/out" && ok "--version: ova built in" || bad "--version: ova built in"
expect 0 "--help" -- "$app" --help
grep -q '^Usage: appliance' "$tmp/out" && ok "--help on stdout" || bad "--help on stdout"
for c in $commands; do
    expect 0 "$c --help" -- "$app" "$c" --help
    grep -q "^Usage: appliance $c" "$tmp/out" && ok "$c --help text" || bad "$c --help text"
    cp "$tmp/out" "$tmp/help-$c"
    expect 0 "help $c" -- "$app" help "$c"
    cmp -s "$tmp/out" "$tmp/help-$c" && ok "help $c is $c --help" || bad "help $c is $c --help"
done

# ---- one grammar across the commands ----------------------------------------
# Every command has the common options, in its own --help.
for c in $commands; do
    for o in '-j, --json' '-q, --quiet' '-v, --verbose' '--log FILE' '-h, --help'; do
        grep -qE -- "^ +$o( |$)" "$tmp/help-$c" && ok "$c has $o" || bad "$c lacks $o"
    done
done
# No letter means two things: computed from every command's --help.
cat "$tmp"/help-* | sed -nE 's/^ +-([A-Za-z]), --([a-z-]+).*/\1 \2/p' | sort -u >"$tmp/letters"
dups=$(cut -d' ' -f1 "$tmp/letters" | uniq -d)
[ -s "$tmp/letters" ] && ok "found option letters" || bad "no option letters found in --help"
[ -z "$dups" ] && ok "no letter means two things" ||
    bad "letters with two meanings: $(for l in $dups; do grep "^$l " "$tmp/letters" | tr '\n' ' '; done)"
# Each letter is in the man page's table of letters.
while read -r l name; do
    grep -qE -- "^  -$l  --$name( |$)" "$top/man/appliance.pod" && ok "man: -$l is --$name" ||
        bad "man page's letter table lacks -$l --$name"
done <"$tmp/letters"
# The same flags have the same meaning: -q and -v exclude each other everywhere.
for c in $commands; do
    expect 2 "$c -q -v is a usage error" -- "$app" "$c" -q -v x
done

# Bare appliance: the usage on stderr, exit 2; help: on stdout, exit 0.
expect 2 "bare appliance exits 2" -- "$app"
grep -q '^Usage: appliance' "$tmp/err" && ok "bare appliance prints the usage on stderr" ||
    bad "bare appliance prints the usage on stderr"
[ -s "$tmp/out" ] && bad "bare appliance wrote to stdout" || ok "bare appliance: nothing on stdout"
expect 0 "help" -- "$app" help
grep -q '^Usage: appliance' "$tmp/out" && ok "help prints the usage" || bad "help prints the usage"
expect 2 "help of an unknown command" -- "$app" help buidl
grep -q "^Did you mean 'build'?" "$tmp/err" && ok "help buidl: did you mean build" ||
    bad "help buidl: did you mean build: $(cat "$tmp/err")"

# Did-you-mean for commands and options (edit distance).
didyoumean() {
    local want=$1; shift
    expect 2 "mistyped: $*" -- "$app" "$@"
    grep -qF "Did you mean '$want'?" "$tmp/err" && ok "$*: did you mean $want" ||
        bad "$*: did you mean $want: $(cat "$tmp/err")"
}
didyoumean build buidl x.yaml
didyoumean inspect inpsect x.ova
didyoumean validate valdiate x.yaml
didyoumean --json validate --jsno x.yaml
didyoumean --size resize --sise 8GiB x.qcow2
didyoumean --firmware test --firmwre bios out
didyoumean --start deploy out -s
didyoumean --target inspect -t esxi-7.0 x.ova
expect 2 "nothing near: no suggestion" -- "$app" frobnicate
grep -q "Did you mean" "$tmp/err" && bad "frobnicate got a suggestion: $(cat "$tmp/err")" ||
    ok "frobnicate: no suggestion"

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
usage verify
usage verify a b
usage verify --key
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
invalid=$(ls "$top"/tests/data/recipes/invalid/*.yaml | head -1)
demo=$top/recipes/demo.yaml
expect 3 "invalid recipe exits 3" -- "$app" validate "$invalid"
expect 4 "plan of a missing recipe exits 4" -- "$app" plan "$tmp/nope.yaml"
expect 3 "plan of an invalid recipe exits 3" -- "$app" plan "$invalid"
expect 4 "build of a missing recipe exits 4" -- "$app" build "$tmp/nope.yaml" -o "$tmp/never"
expect 3 "build of an invalid recipe exits 3" -- "$app" build "$invalid" -o "$tmp/never"
[ -e "$tmp/never" ] && bad "build of an invalid recipe wrote" || ok "build of an invalid recipe wrote nothing"
expect 0 "validate of two valid recipes" -- "$app" validate "$demo" "$demo"
expect 3 "validate: one valid, one invalid: 3" -- "$app" validate "$demo" "$invalid"
expect 4 "validate: valid, invalid, missing: the highest, 4" -- "$app" validate "$demo" "$invalid" "$tmp/nope.yaml"
grep -q "^$invalid:[0-9]*:[0-9]*: error: " "$tmp/err" && grep -q "nope.yaml: error: cannot read" "$tmp/err" &&
    ok "validate reports every recipe's errors" || bad "validate reports every recipe's errors: $(cat "$tmp/err")"
expect 0 "validate -v" -- "$app" validate -v "$demo"
grep -qx "$demo: valid" "$tmp/err" && ok "validate -v says valid" || bad "validate -v says valid"

# --json: the result on stdout, the errors on stderr with their positions.
json() { python3 -c "import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$2"; }
expect 3 "validate --json of an invalid recipe exits 3" -- "$app" validate --json "$demo" "$invalid"
json 'd["valid"] is False and [f["valid"] for f in d["files"]] == [True, False]' "$tmp/out" &&
    ok "validate --json: the result on stdout" || bad "validate --json: the result on stdout: $(cat "$tmp/out")"
json 'd["errors"] and all(e["code"] == "recipe" and e["file"] and isinstance(e["line"], int) and isinstance(e["column"], int) and e["message"] for e in d["errors"])' "$tmp/err" &&
    ok "validate --json: errors as JSON with positions" || bad "validate --json: errors as JSON: $(cat "$tmp/err")"
grep -q "$(basename "$invalid")" "$tmp/err" && ok "validate --json: errors name the file" || bad "validate --json: errors name the file"
expect 4 "plan --json of a missing recipe exits 4" -- "$app" plan --json "$tmp/nope.yaml"
json 'd["errors"][0]["code"] == "no-file" and d["errors"][0]["line"] is None' "$tmp/err" &&
    ok "plan --json: a missing file is code no-file" || bad "plan --json: missing file: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && bad "plan --json of a missing recipe wrote to stdout" || ok "plan --json: nothing on stdout"
expect 2 "a usage error under --json" -- "$app" plan --json
json 'd["errors"][0]["code"] == "usage"' "$tmp/err" && ok "usage error as JSON" || bad "usage error as JSON: $(cat "$tmp/err")"
expect 0 "plan --json" -- "$app" plan --json "$demo"
json 'd["name"] == "demo"' "$tmp/out" && ok "plan --json prints the plan" || bad "plan --json prints the plan"
expect 4 "inspect --json of a missing file" -- "$app" inspect --json --no-disks "$tmp/nope.ova"
json '"nope.ova" in d["errors"][0]["message"] and d["errors"][0]["code"] == "no-file"' "$tmp/err" &&
    ok "inspect --json: errors as JSON" || bad "inspect --json: errors as JSON: $(cat "$tmp/err")"
: >"$tmp/empty.ova"
expect 1 "inspect --json of a broken OVA" -- "$app" inspect --json --no-disks "$tmp/empty.ova"
json 'd["ok"] is False' "$tmp/out" && ok "inspect --json: findings on stdout" || bad "inspect --json: findings on stdout"
json 'd["errors"] and d["errors"][0]["code"] == "failed"' "$tmp/err" &&
    ok "inspect --json: a failure is code failed" || bad "inspect --json: failure: $(cat "$tmp/err")"
# Every command that names an input exits 4 when it is missing.
expect 4 "test of a missing folder exits 4" -- "$app" test "$tmp/nope"
expect 4 "deploy of a missing folder exits 4" -- "$app" deploy "$tmp/nope" -c test:///default
expect 4 "resize of a missing image exits 4" -- "$app" resize "$tmp/nope.qcow2" --size 8GiB
expect 4 "convert of a missing source exits 4" -- "$app" convert "$tmp/nope" -o "$tmp/c" --to qcow2
[ -e "$tmp/c" ] && bad "convert of a missing source wrote" || ok "convert of a missing source wrote nothing"
expect 2 "schema --json --pod" -- "$app" schema --json --pod

# --set KEY=VALUE and --werror: rows of validate's, plan's and build's tables.
for c in validate plan build; do
    grep -qE -- '^ +--set KEY=VALUE ' "$tmp/help-$c" && ok "$c has --set" || bad "$c lacks --set"
    grep -qE -- '^ +--werror ' "$tmp/help-$c" && ok "$c has --werror" || bad "$c lacks --werror"
done
# A recipe whose one error is its name, and one that warns (debian-12's
# admin group is sudo, not wheel: line 20, column 13) with the same error.
sed 's/^name: demo$/name: Demo/' "$demo" >"$tmp/badname.yaml"
cat >"$tmp/warn.yaml" <<'EOF_RECIPE'
# cli.sh: one warning, and an invalid name that --set fixes.
recipe: 1
name: Warn
version: "1.0"
os:
  distro: debian-12
disks:
  os:
    size: 8GiB
    volumes:
      - { name: root, mount: /, size: rest }
  app:
    size: 2GiB
    volumes:
      - { name: data, mount: /srv/data, size: rest }
users:
  - name: admin
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ops@example
    groups: [wheel]
EOF_RECIPE
expect 3 "validate of an invalid name exits 3" -- "$app" validate "$tmp/badname.yaml"
expect 0 "validate --set fixes the name" -- "$app" validate --set name=demo "$tmp/badname.yaml"
[ -s "$tmp/err" ] && bad "validate --set printed: $(cat "$tmp/err")" || ok "validate --set: quiet"
expect 0 "validate --set applies to every recipe" -- \
    "$app" validate --set name=demo "$tmp/badname.yaml" "$tmp/badname.yaml" "$demo"
expect 0 "plan --set fixes the name" -- "$app" plan --json --set name=other "$tmp/badname.yaml"
json 'd["name"] == "other"' "$tmp/out" && ok "plan --set: the plan has the value" ||
    bad "plan --set: the plan has the value: $(head -c 300 "$tmp/out")"
expect 3 "build --set of an invalid value exits 3" -- "$app" build --set name=Demo "$demo" -o "$tmp/never"
grep -q "^--set name: error: invalid name 'Demo'" "$tmp/err" && ok "build --set: the error names --set" ||
    bad "build --set: the error names --set: $(cat "$tmp/err")"
expect 2 "--set without KEY= is a usage error" -- "$app" validate --set bogus "$demo"
grep -q "^Try 'appliance validate --help'" "$tmp/err" && ok "--set bogus: hint line" || bad "--set bogus: hint line"
# Warnings: FILE:LINE:COL: warning:, even with -q; exit 0, or 3 with --werror.
expect 0 "a warning alone exits 0" -- "$app" validate -q --set name=warn "$tmp/warn.yaml"
grep -qx "$tmp/warn.yaml:20:13: warning: group 'wheel' .*" "$tmp/err" &&
    ok "validate -q prints the warning with its position" || bad "validate -q: warning: $(cat "$tmp/err")"
for c in validate plan; do
    expect 3 "$c --werror of a warning exits 3" -- "$app" "$c" --werror --set name=warn "$tmp/warn.yaml"
    grep -qx "$tmp/warn.yaml:20:13: error: group 'wheel' .* (--werror)" "$tmp/err" &&
        ok "$c --werror: the warning as an error" || bad "$c --werror: $(cat "$tmp/err")"
    [ -s "$tmp/out" ] && bad "$c --werror wrote to stdout" || ok "$c --werror: nothing on stdout"
done
# build: --set fixes the name (else its error would show), --werror stops it.
expect 3 "build --werror of a warning exits 3" -- \
    "$app" build --set name=warn --werror "$tmp/warn.yaml" -o "$tmp/never"
grep -q "invalid name" "$tmp/err" && bad "build --set did not fix the name: $(cat "$tmp/err")" ||
    ok "build --set fixed the name"
grep -qx "$tmp/warn.yaml:20:13: error: group 'wheel' .* (--werror)" "$tmp/err" &&
    ok "build --werror: the warning as an error" || bad "build --werror: $(cat "$tmp/err")"
[ -e "$tmp/never" ] && bad "build --werror wrote" || ok "build --werror wrote nothing"
# --json: the warnings beside the errors on stderr, with their positions.
expect 0 "plan --json of a warning exits 0" -- "$app" plan --json --set name=warn "$tmp/warn.yaml"
json 'd["name"] == "warn"' "$tmp/out" && ok "plan --json: the plan on stdout" || bad "plan --json: the plan"
json 'd["errors"] == [] and [(w["file"], w["line"], w["column"], w["code"]) for w in d["warnings"]] == [("'"$tmp/warn.yaml"'", 20, 13, "warning")] and "wheel" in d["warnings"][0]["message"]' "$tmp/err" &&
    ok "plan --json: the warning with its position" || bad "plan --json: the warning: $(cat "$tmp/err")"
expect 0 "validate --json of a warning exits 0" -- "$app" validate --json --set name=warn "$tmp/warn.yaml"
json 'd["warnings"][0]["line"] == 20 and d["warnings"][0]["column"] == 13' "$tmp/err" &&
    ok "validate --json: the warning with its position" || bad "validate --json: the warning: $(cat "$tmp/err")"
expect 3 "validate --json --werror exits 3" -- "$app" validate --json --werror --set name=warn "$tmp/warn.yaml"
json '"warnings" not in d and d["errors"][0]["code"] == "recipe" and d["errors"][0]["line"] == 20 and d["errors"][0]["message"].endswith("(--werror)")' "$tmp/err" &&
    ok "validate --json --werror: the warning among the errors" || bad "validate --json --werror: $(cat "$tmp/err")"
json 'd["valid"] is False' "$tmp/out" && ok "validate --json --werror: not valid" || bad "validate --json --werror: not valid"

# --log: the errors reach the log too.
expect 4 "validate --log" -- "$app" validate --log "$tmp/v.log" "$tmp/nope.yaml"
grep -q "cannot read recipe" "$tmp/v.log" && ok "--log has the error" || bad "--log has the error"
# test's --keep-log: a deprecated alias of --log that still works.
expect 1 "test --keep-log still works" -- "$app" test --keep-log "$tmp/t.log" "$tmp"
grep -q "'--keep-log' is deprecated: use '--log'" "$tmp/err" && ok "--keep-log says it is deprecated" ||
    bad "--keep-log says it is deprecated"

expect 4 "missing recipe file exits 4, not 3 (invalid)" -- "$app" validate "$tmp/nope.yaml"
grep -q "nope.yaml: error: cannot read recipe: No such file or directory" "$tmp/err" \
    && ok "missing file message" || bad "missing file message: $(cat "$tmp/err")"
expect 4 "inspect of a missing file exits 4" -- "$app" inspect --no-disks "$tmp/nope.ova"
grep -q "cannot read '$tmp/nope.ova': No such file or directory" "$tmp/err" \
    && ok "inspect: missing file message" || bad "inspect: missing file message: $(cat "$tmp/err")"
expect 4 "verify of a missing folder exits 4" -- "$app" verify "$tmp/nope"
expect 4 "verify with a missing key exits 4" -- "$app" verify --no-disks --key "$tmp/nope.pub" "$tmp"
expect 1 "verify of a folder that holds no delivery exits 1" -- "$app" verify --no-disks "$tmp"
grep -q "FAIL  SHA256SUMS: missing" "$tmp/out" && ok "verify names the missing SHA256SUMS" ||
    bad "verify names the missing SHA256SUMS: $(cat "$tmp/out" "$tmp/err")"
expect 1 "deploy of a folder without NAME.xml exits 1" -- "$app" deploy "$tmp" -c test:///default
expect 0 "demo recipe validates quietly" -- "$app" validate "$top/recipes/demo.yaml"
[ -s "$tmp/out" ] || [ -s "$tmp/err" ] && bad "validate printed something" || ok "validate is quiet"

# test: an output folder without a build report is an error, not a usage error.
expect 1 "test of a folder that holds no build exits 1" -- "$app" test "$tmp"
grep -q "build-report.json': No such file or directory" "$tmp/err" \
    && ok "test names the missing report" || bad "test names the missing report: $(cat "$tmp/err")"

# Every long option in any --help is documented in the man page source.
opts=$( { "$app" --help; for c in $commands; do "$app" "$c" --help; done; } |
    grep -oE -- '--[a-z][a-z-]+' | sort -u)
[ -n "$opts" ] && ok "found options in --help" || bad "no options found in --help"
for o in $opts; do
    grep -q -- "B<$o>" "$top/man/appliance.pod" && ok "documented: $o" || bad "undocumented: $o"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
