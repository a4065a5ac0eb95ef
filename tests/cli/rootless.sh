#!/bin/bash
# tier: check
# appliance build by a user who cannot have a user namespace mapped to
# subordinate ids stops at once, before anything is written, with one
# line per cause, each naming its fix: no range in /etc/subuid and
# /etc/subgid (the usermod command that gives one), newuidmap missing
# (the uidmap package). As root the test runs the build as 'nobody',
# who has no range; as a user without one, as that user. Run by
# tests/run-tests (APPLIANCE, TOP); the rootless build itself is
# tests/integration/rootless.sh.
set -u
app=${APPLIANCE:?}
top=${TOP:-$PWD}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
skip() { echo "SKIP: $*"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rootless.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
# Writable by the user the build runs as: a build that went on would
# leave its output and cache here, which the test looks for.
chmod 0777 "$tmp"

ranged() { # NAME ID: both files give NAME (or ID) a range
    grep -q "^\($1\|$2\):" /etc/subuid 2>/dev/null && grep -q "^\($1\|$2\):" /etc/subgid 2>/dev/null
}
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
    user=nobody
    as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
    ranged nobody 65534 && skip "'nobody' has subordinate ids on this host"
    "${as[@]}" test -x "$app" -a -r "$top/tests/integration/recipes/layout.yaml" ||
        skip "'nobody' cannot run '$app' or read the recipe (a private checkout)"
else
    user=$(id -un)
    as=()
    ranged "$user" "$(id -u)" && skip "'$user' has subordinate ids: the refusal needs a user without"
fi

# build PATH: the layout recipe built as $user with PATH, into $tmp.
build() {
    "${as[@]}" env PATH="$1" HOME="$tmp/home" XDG_CACHE_HOME= \
        "$app" build "$top/tests/integration/recipes/layout.yaml" -o "$tmp/out" \
        >"$tmp/stdout" 2>"$tmp/stderr"
    status=$?
}

# Every line of stderr one error that names its fix.
one_line_each() {
    local what=$1 n
    n=$(wc -l <"$tmp/stderr")
    if [ "$status" = 1 ] && [ "$n" -ge 1 ] && [ ! -s "$tmp/stdout" ] &&
        ! grep -v '^appliance: error: building without root needs .*, or build as root$' \
            "$tmp/stderr" >/dev/null; then
        ok "$what: exit 1, $n line(s), each naming its fix"
    else
        bad "$what: exit $status, stderr:"
        sed 's/^/#   /' "$tmp/stderr"
    fi
}

nothing_written() {
    if [ ! -e "$tmp/out" ] && [ ! -e "$tmp/home" ]; then
        ok "$1: nothing written (no output, no cache)"
    else
        bad "$1: left $(cd "$tmp" && ls -d out home 2>/dev/null)"
    fi
}

build "$PATH"
one_line_each "no subordinate ids"
if [ "$(wc -l <"$tmp/stderr")" = 1 ] &&
    grep -q "subordinate ids for '$user', and /etc/subuid and /etc/subgid give it none: as root, usermod --add-subuids [0-9]*-[0-9]* --add-subgids [0-9]*-[0-9]* $user, or build as root" "$tmp/stderr"; then
    ok "one line names both files and the usermod command for '$user'"
elif ! command -v newuidmap >/dev/null; then
    if grep -q "usermod --add-subuids" "$tmp/stderr"; then
        ok "the usermod command is named (newuidmap is missing here too)"
    else
        bad "no usermod command in: $(cat "$tmp/stderr")"
    fi
else
    bad "not the one line expected: $(cat "$tmp/stderr")"
fi
nothing_written "no subordinate ids"

# Without newuidmap and newgidmap on PATH: their line too.
mkdir "$tmp/bin" && chmod 0755 "$tmp/bin"
build "$tmp/bin"
one_line_each "no newuidmap"
if grep -q "needs newuidmap and newgidmap: apt-get install uidmap, or build as root" "$tmp/stderr"; then
    ok "the uidmap package is named"
else
    bad "uidmap not named: $(cat "$tmp/stderr")"
fi
nothing_written "no newuidmap"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
