#!/bin/bash
# tier: check
# --progress: its forms on a build that stops at once (preflight refuses a
# signing key that is not there), so that no tree or disk is made. With
# json every line on stderr is a JSON object (python3's json.loads judges
# each): the stage event, then the error as --json reports it; stdout
# stays empty. plain prints the timestamped line, terminal the live one;
# an unknown form is a usage error naming the forms, as JSON with json.
# The byte counts and their percent are judged by tests/unit/test_progress.c.
set -u
app=${APPLIANCE:?}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 99

"$app" init -q r >/dev/null 2>&1 || { bad "appliance init"; exit 1; }
recipe=r/appliance.yaml

# run STATUS WHAT ARGS...: appliance ARGS, stdout to out, stderr to err.
run() {
    local want=$1 what=$2; shift 2
    "$app" "$@" >out 2>err
    local got=$?
    [ "$got" = "$want" ] && ok "$what: exit $got" || { bad "$what: exit $got, want $want"; cat err; }
}

# json: EVENTS... the events wanted, in order (the last: the errors object).
judge_json() {
    python3 - "$@" <<'EOF'
import json, sys
want, lines, events = sys.argv[1:], open("err").read().split("\n"), []
ok = lines[-1] == ""  # every line ended
for n, line in enumerate(lines[:-1], 1):
    try:
        o = json.loads(line)
    except ValueError as e:
        print("not ok - stderr line %d is not JSON (%s): %r" % (n, e, line)); ok = False; continue
    if not isinstance(o, dict):
        print("not ok - stderr line %d is not an object: %r" % (n, line)); ok = False; continue
    if "event" in o:
        for key in ("elapsed", "stage"):
            if key not in o:
                print("not ok - event without %r: %r" % (key, line)); ok = False
        events.append(o["event"])
    elif "errors" in o:
        events.append("errors")
        if not any("signing key" in e["message"] for e in o["errors"]):
            print("not ok - the error is not the signing key's: %r" % line); ok = False
    else:
        events.append("?")
if events != want:
    print("not ok - events %s, want %s" % (events, want)); ok = False
first = json.loads(lines[0]) if lines[0].startswith("{") else {}
if want[0] == "stage" and (first.get("stage") != "preflight" or not first.get("what")):
    print("not ok - the first event is not preflight's stage: %r" % lines[0]); ok = False
if ok:
    print("ok - %d JSON lines on stderr: %s" % (len(lines) - 1, " ".join(events)))
EOF
}

for form in --progress=json "--progress json"; do
    # shellcheck disable=SC2086 # the form is one word or two
    run 1 "build $form, a missing key" build "$recipe" -o made $form --sign-key "$tmp/none.pem"
    judge_json stage errors
    [ -s out ] && bad "$form wrote to stdout: $(cat out)" || ok "$form: stdout empty"
    [ -e made ] && bad "$form: the output folder was made" || ok "$form: nothing made"
done
# Verbose: the same objects (no command runs before preflight fails).
run 1 "build --progress=json -v" build "$recipe" -v --progress=json --sign-key "$tmp/none.pem"
judge_json stage errors
# Quiet: the error alone.
run 1 "build --progress=json -q" build "$recipe" -q --progress=json --sign-key "$tmp/none.pem"
judge_json errors

run 1 "build --progress=plain" build "$recipe" --progress=plain --sign-key "$tmp/none.pem"
grep -qE '^\[ +[0-9]+\.[0-9]s\] preflight +checking tools and folders$' err &&
    ok "plain: the stage's timestamped line" || bad "plain: $(cat err)"
grep -q '^appliance: error: preflight: cannot read signing key' err &&
    ok "plain: the error as text" || bad "plain: the error: $(cat err)"
run 1 "build --progress=terminal" build "$recipe" --progress=terminal --sign-key "$tmp/none.pem"
grep -q $'^\r\\[ *[0-9.]*s\\] preflight .*\033\\[K' err && ok "terminal: the live line" ||
    bad "terminal: $(od -c err | head)"
# auto: stderr here is a file, so plain.
run 1 "build --progress=auto" build "$recipe" --progress=auto --sign-key "$tmp/none.pem"
grep -q $'\r' err && bad "auto on a file drew a live line" || ok "auto on a file: plain lines"

run 2 "unknown form" build "$recipe" --progress=xml
grep -qF "invalid --progress 'xml': 'auto', 'terminal', 'plain' or 'json'" err &&
    ok "unknown form: the forms named" || bad "unknown form: $(cat err)"
run 2 "a usage error under --progress=json" build "$recipe" --progress=json --bogus
python3 -c 'import json, sys; o = json.loads(open("err").read()); sys.exit(o["errors"][0]["code"] != "usage")' &&
    ok "the usage error is JSON" || bad "the usage error is not JSON: $(cat err)"

# The commands that show progress take it; the others do not.
for c in build convert test; do
    "$app" "$c" --help | grep -q -- '--progress FORM' && ok "$c --help has --progress" ||
        bad "$c --help lacks --progress"
done
for c in validate plan inspect; do
    "$app" "$c" --help | grep -q -- '--progress' && bad "$c --help has --progress" ||
        ok "$c has no progress to show"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
