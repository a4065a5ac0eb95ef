#!/bin/bash
# tier: check
# golden.sh: the golden-file tests of the recipe compiler.
#
#   tests/data/recipes/invalid/NAME.yaml  one defect each; NAME.err holds the
#       exact stderr of `appliance validate NAME.yaml` run in that folder.
#       validate, plan and build must all exit 3, print that and write nothing.
#   tests/data/recipes/valid/NAME.yaml    NAME.plan and NAME.json hold the
#       stdout of `appliance plan NAME.yaml [--json]` run in that folder;
#       NAME.warn, when it has warnings, the stderr of validate and plan
#       ("NAME.yaml:LINE:COL: warning: ..."; with --json, the "warnings" of
#       stderr's JSON object), which --werror turns into errors (exit 3).
#       No NAME.warn: validate and plan print nothing on stderr.
#   recipes/*.yaml                        must validate.
#
# A recipe line "# must-not-echo: TEXT" makes TEXT forbidden in any output.
# The warnings read cached root trees (the time zones and locales of the
# recipe's release): every run gets an empty cache (APPLIANCE_CACHE_DIR),
# or the folder that a recipe line "# cache-dir: DIR" names, relative to
# the recipe's folder.
# Run by tests/run-tests from the top of the repository (APPLIANCE and TOP
# in the environment). UPDATE=1 rewrites the goldens: read every one of
# them before committing, a golden is only right if its message is right.
set -u

TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
APPLIANCE=${APPLIANCE:-$TOP/build/appliance}
UPDATE=${UPDATE:-0}
MIN_INVALID=50
MIN_VALID=8
TIMEOUT=10 # seconds; hostile recipes must be refused quickly

die() {
    echo "golden.sh: $*" >&2
    echo "Bail out! $*"
    exit 1
}

[ -x "$APPLIANCE" ] || die "APPLIANCE='$APPLIANCE' is not an executable"
case $APPLIANCE in /*) ;; *) die "APPLIANCE must be an absolute path, not '$APPLIANCE'" ;; esac
command -v python3 >/dev/null || die "python3 is needed to check the JSON plans"
command -v timeout >/dev/null || die "timeout (coreutils) is needed"

INVALID=$TOP/tests/data/recipes/invalid
VALID=$TOP/tests/data/recipes/valid
[ -d "$INVALID" ] || die "no folder $INVALID"
[ -d "$VALID" ] || die "no folder $VALID"

work=$(mktemp -d "${TMPDIR:-/tmp}/golden.XXXXXX") || die "mktemp failed"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/golden-cwd.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$work" "$scratch"' EXIT

pass=0 fail=0 n=0
why=()

# Notes one reason why the current case fails.
bad() { why+=("$*"); }

# Prints the case's ok/not ok line and its reasons, and counts it.
report() {
    n=$((n + 1))
    if [ ${#why[@]} -eq 0 ]; then
        pass=$((pass + 1))
        echo "ok $n - $1"
    else
        fail=$((fail + 1))
        echo "not ok $n - $1"
        printf '#   %s\n' "${why[@]}"
    fi
    why=()
}

# Every entry under a folder with its type, size, mode, mtime and link
# target: equal before and after means nothing was written there.
listing() {
    (cd "$1" && find . -printf '%p %y %s %m %T@ %l\n' | LC_ALL=C sort)
}

# The cache that the runs of the current case see (see above).
cache_dir=$work/empty-cache

# Sets cache_dir for recipe: its "# cache-dir:" folder, else an empty one.
use_cache_of() {
    local dir
    dir=$(sed -n 's/^# cache-dir: //p' "$1")
    if [ -n "$dir" ]; then cache_dir=$(dirname "$1")/$dir; else cache_dir=$work/empty-cache; fi
    [ -z "$dir" ] || [ -d "$cache_dir/roots" ] || bad "cache-dir '$dir' has no roots/ folder"
}

# run DIR OUT ERR ARGS...: runs the program in DIR; sets rc.
run() {
    local dir=$1 out=$2 err=$3
    shift 3
    (cd "$dir" && APPLIANCE_CACHE_DIR=$cache_dir exec timeout "$TIMEOUT" "$APPLIANCE" "$@") \
        >"$out" 2>"$err" </dev/null
    rc=$?
    [ "$rc" -ne 124 ] || bad "'appliance $*' took more than ${TIMEOUT}s"
}

# Shows how two files differ, indented, in the reasons.
show_diff() {
    local d
    d=$(diff -u "$1" "$2" | head -n 30)
    bad "$3:"$'\n'"$(printf '%s\n' "$d" | sed 's/^/#     /')"
}

# same WANT GOT WHAT: WANT and GOT must be byte-identical.
same() {
    cmp -s "$1" "$2" || show_diff "$1" "$2" "$3 differs (-want +got)"
}

# Checks that no output of a run shows a "# must-not-echo:" text.
check_secrets() {
    local recipe=$1 secret f
    shift
    while IFS= read -r secret; do
        [ -n "$secret" ] || continue
        for f in "$@"; do
            if grep -qF -- "$secret" "$f"; then
                bad "output echoes the secret '$secret'"
            fi
        done
    done < <(sed -n 's/^# must-not-echo: //p' "$recipe")
}

# ---- invalid recipes --------------------------------------------------------

# Every stderr line of NAME.yaml must be "NAME.yaml:LINE:COL: error: ...".
check_err_lines() {
    local name=$1 err=$2 prefix=$3
    [ -s "$err" ] || { bad "nothing on stderr"; return; }
    local stray
    stray=$(grep -vcE "^${prefix//./\\.}:[0-9]+:[0-9]+: error: " "$err")
    [ "$stray" -eq 0 ] || bad "$stray stderr line(s) not of the form '$name:LINE:COL: error: '"
}

check_invalid() {
    local yaml=$1 name golden
    name=$(basename "$yaml")
    golden=${yaml%.yaml}.err
    use_cache_of "$yaml"
    local before_dir before_cwd
    before_dir=$(listing "$INVALID")
    before_cwd=$(listing "$scratch")

    # The golden: validate, run in the recipe's folder.
    run "$INVALID" "$work/out" "$work/err" validate "$name"
    [ "$rc" -eq 3 ] || bad "validate exited $rc, not 3"
    [ -s "$work/out" ] && bad "validate wrote to stdout"
    check_err_lines "$name" "$work/err" "$name"
    if [ "$UPDATE" = 1 ]; then
        cp "$work/err" "$golden"
        before_dir=$(listing "$INVALID")
    fi
    if [ -f "$golden" ]; then
        same "$golden" "$work/err" "stderr of validate"
    else
        bad "no golden $(basename "$golden") (make it with UPDATE=1, then read it)"
    fi
    check_secrets "$yaml" "$work/err"

    # validate, plan and build from another folder: the same messages with
    # the path as given, exit 3, and nothing written anywhere.
    # A message that names the recipe's folder names it as given: '.'
    # here, the path from another folder.
    awk -v p="$INVALID/" '{ print p $0 }' "$work/err" |
        sed "s|the recipe's folder '\\.'|the recipe's folder '$INVALID'|g" >"$work/want"
    local cmd
    for cmd in validate plan build; do
        local args=("$cmd" "$INVALID/$name")
        [ "$cmd" = build ] && args+=(-o "$scratch/out")
        run "$scratch" "$work/out2" "$work/err2" "${args[@]}"
        [ "$rc" -eq 3 ] || bad "$cmd exited $rc, not 3"
        [ -s "$work/out2" ] && bad "$cmd wrote to stdout"
        same "$work/want" "$work/err2" "stderr of $cmd from another folder"
        check_secrets "$yaml" "$work/out2" "$work/err2"
    done
    [ -e "$scratch/out" ] && bad "build created its output folder"
    [ "$(listing "$INVALID")" = "$before_dir" ] || bad "something was written in $INVALID"
    [ "$(listing "$scratch")" = "$before_cwd" ] || bad "something was written in the working folder"
    report "invalid/$name"
}

# ---- valid recipes ----------------------------------------------------------

# golden_compare GOLDEN GOT WHAT: compares, or rewrites under UPDATE=1.
golden_compare() {
    if [ "$UPDATE" = 1 ]; then
        cp "$2" "$1"
    elif [ ! -f "$1" ]; then
        bad "no golden $(basename "$1") (make it with UPDATE=1, then read it)"
        return
    fi
    same "$1" "$2" "$3"
}

# check_warnings NAME GOLDEN ERR: the warnings of a valid recipe (ERR,
# validate's stderr) are GOLDEN's, or none without it; --werror makes the
# same lines errors and exits 3. Leaves the expected text in $work/warn.
check_warnings() {
    local name=$1 golden=$2 err=$3
    if [ "$UPDATE" = 1 ]; then
        if [ -s "$err" ]; then cp "$err" "$golden"; else rm -f "$golden"; fi
    fi
    if [ -f "$golden" ]; then cp "$golden" "$work/warn"; else : >"$work/warn"; fi
    same "$work/warn" "$err" "stderr of validate (warnings)"
    local stray
    stray=$(grep -vcE "^${name//./\\.}:[0-9]+:[0-9]+: warning: " "$work/warn")
    [ "$stray" -eq 0 ] || bad "$stray line(s) of $(basename "$golden") not '$name:LINE:COL: warning: '"
    run "$VALID" "$work/out" "$work/werr" validate "$name" --werror
    if [ -s "$work/warn" ]; then
        [ "$rc" -eq 3 ] || bad "validate --werror exited $rc, not 3"
        sed 's/: warning: \(.*\)$/: error: \1 (--werror)/' "$work/warn" >"$work/want"
        same "$work/want" "$work/werr" "stderr of validate --werror"
    else
        [ "$rc" -eq 0 ] || bad "validate --werror exited $rc, not 0"
    fi
}

# json_warnings ERR: the warnings of a --json run's stderr (one JSON
# object, {"errors": [], "warnings": [...]}, or nothing) as the lines
# validate prints ("FILE:LINE:COL: warning: MESSAGE"). Fails when ERR is
# not that.
json_warnings() {
    [ -s "$1" ] || return 0
    python3 - "$1" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
d = json.loads(lines[0])
assert len(lines) == 1 and d["errors"] == [] and d["warnings"], "not one object of warnings"
for w in d["warnings"]:
    assert w["code"] == "warning", w
    print(f'{w["file"]}:{w["line"]}:{w["column"]}: warning: {w["message"]}')
PY
}

check_valid() {
    local yaml=$1 name base
    name=$(basename "$yaml")
    base=${yaml%.yaml}
    use_cache_of "$yaml"

    run "$VALID" "$work/out" "$work/err" validate "$name"
    [ "$rc" -eq 0 ] || bad "validate exited $rc, not 0: $(head -n 3 "$work/err")"
    [ -s "$work/out" ] && bad "validate wrote to stdout"
    check_warnings "$name" "$base.warn" "$work/err"

    run "$VALID" "$work/plan" "$work/err" plan "$name"
    [ "$rc" -eq 0 ] || bad "plan exited $rc, not 0"
    same "$work/warn" "$work/err" "stderr of plan"
    [ -s "$work/plan" ] || bad "plan printed nothing"
    golden_compare "$base.plan" "$work/plan" "plan"

    run "$VALID" "$work/plan2" "$work/err" plan "$name"
    same "$work/plan" "$work/plan2" "a second plan"
    run "$scratch" "$work/plan3" "$work/err" plan "$VALID/$name"
    same "$work/plan" "$work/plan3" "the plan run from another folder"

    run "$VALID" "$work/json" "$work/err" plan "$name" --json
    [ "$rc" -eq 0 ] || bad "plan --json exited $rc, not 0"
    # Under --json the warnings are the "warnings" of stderr's one JSON
    # object, with their positions: as lines, the same as validate's.
    json_warnings "$work/err" >"$work/jwarn" || bad "stderr of plan --json: $(head -c 300 "$work/err")"
    same "$work/warn" "$work/jwarn" "warnings of plan --json"
    python3 -m json.tool "$work/json" >/dev/null 2>"$work/jerr" ||
        bad "plan --json is not JSON: $(head -n 3 "$work/jerr")"
    golden_compare "$base.json" "$work/json" "plan --json"
    check_secrets "$yaml" "$work/plan" "$work/json"
    report "valid/$name"
}

# Goldens whose recipe is gone are stale: they would hide a lost case.
check_orphans() {
    local g
    for g in "$INVALID"/*.err "$VALID"/*.plan "$VALID"/*.json "$VALID"/*.warn; do
        [ -e "$g" ] || continue
        [ -f "${g%.*}.yaml" ] || bad "golden $(basename "$g") has no recipe"
    done
    report "no stale goldens"
}

check_example() {
    local yaml=$1
    use_cache_of "$yaml"
    run "$TOP" "$work/out" "$work/err" validate "${yaml#"$TOP"/}"
    [ "$rc" -eq 0 ] || bad "validate exited $rc: $(head -n 5 "$work/err")"
    [ -s "$work/out" ] || [ -s "$work/err" ] && bad "validate printed something"
    report "${yaml#"$TOP"/}"
}

n_invalid=0 n_valid=0 n_examples=0
for yaml in "$INVALID"/*.yaml; do
    [ -f "$yaml" ] || continue
    n_invalid=$((n_invalid + 1))
    check_invalid "$yaml"
done
for yaml in "$VALID"/*.yaml; do
    [ -f "$yaml" ] || continue
    n_valid=$((n_valid + 1))
    check_valid "$yaml"
done
for yaml in "$TOP"/recipes/*.yaml; do
    [ -f "$yaml" ] || continue
    n_examples=$((n_examples + 1))
    check_example "$yaml"
done
check_orphans

[ "$n_invalid" -ge "$MIN_INVALID" ] || bad "only $n_invalid invalid recipes, at least $MIN_INVALID wanted"
[ "$n_valid" -ge "$MIN_VALID" ] || bad "only $n_valid valid recipes, at least $MIN_VALID wanted"
[ "$n_examples" -ge 1 ] || bad "no recipes/*.yaml found"
report "enough cases ($n_invalid invalid, $n_valid valid, $n_examples examples)"

[ "$UPDATE" = 1 ] && echo "# goldens rewritten: read every changed one (git diff tests/data/recipes)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
