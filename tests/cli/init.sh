#!/bin/bash
# tier: check
# appliance init: the starter recipe of every distribution validates and
# plans, quietly, with the distribution's admin group and the openssl line;
# the recipe is named after its folder; init refuses an existing file
# (exit 1, the file untouched) unless --force, an unknown distribution
# (exit 2, with a did-you-mean hint), extra arguments, and a folder it
# cannot make or write (exit 1, nothing left behind). The example recipes
# under recipes/ plan too. Run by tests/run-tests (APPLIANCE, TOP).
set -u
app=${APPLIANCE:?}
top=${TOP:-$PWD}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/init.XXXXXX") || exit 99
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# expect STATUS DESCRIPTION -- COMMAND...: runs it, checks the exit status.
expect() {
    local want=$1 what=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" = "$want" ]; then ok "$what"; else
        bad "$what (exit $got, want $want)"
        sed 's/^/#   /' "$tmp/err"
    fi
}

# has FILE TEXT DESCRIPTION: FILE holds the fixed string TEXT.
has() {
    if grep -qF -- "$2" "$1"; then ok "$3"; else bad "$3: no '$2' in $(basename "$1")"; fi
}

# The distributions: every name the recipe's os.distro takes.
distros=$("$app" schema | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(" ".join(s["properties"]["os"]["properties"]["distro"]["enum"]))')
[ -n "$distros" ] && ok "the schema lists the distributions ($distros)" ||
    bad "the schema lists the distributions"

for d in $distros; do
    dir=$tmp/$d
    expect 0 "init --distro $d" -- "$app" init --distro "$d" "$dir"
    r=$dir/appliance.yaml
    [ -f "$r" ] || { bad "init --distro $d wrote $r"; continue; }
    has "$tmp/out" "wrote $r" "init --distro $d says what it wrote"
    expect 0 "$d: the starter validates" -- "$app" validate "$r"
    [ -s "$tmp/out" ] || [ -s "$tmp/err" ] && bad "$d: validate printed something" ||
        ok "$d: validate is quiet"
    expect 0 "$d: the starter plans" -- "$app" plan "$r"
    has "$tmp/out" "source       $d " "$d: the plan's source is $d"
    expect 0 "$d: the starter plans as JSON" -- "$app" plan --json "$r"
    python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
assert p["name"] == sys.argv[2], p["name"]
assert len(p["users"]) == 1 and p["users"][0]["name"] == "admin"
' "$tmp/out" "${d//./-}" 2>"$tmp/py" && ok "$d: named after its folder, one user admin" ||
        bad "$d: name and user: $(tail -n 1 "$tmp/py")"
    has "$r" "openssl passwd -6" "$d: the recipe says how to make a hash"
    has "$r" 'password_hash: "$6$' "$d: a placeholder hash"
    if grep -q '@[A-Z0-9_]*@' "$r"; then bad "$d: a placeholder left unfilled"; else
        ok "$d: every placeholder filled"; fi
    case $d in
    debian-* | ubuntu-*) group=sudo ;;
    *) group=wheel ;;
    esac
    has "$r" "groups: [$group]" "$d: admin is in $group"
done

# The default: Debian 12 in the current folder, named after it.
mkdir -p "$tmp/My_Web.App"
(cd "$tmp/My_Web.App" && exec "$app" init) >"$tmp/out" 2>"$tmp/err"
[ $? = 0 ] && ok "init with no argument" || bad "init with no argument: $(cat "$tmp/err")"
has "$tmp/My_Web.App/appliance.yaml" "distro: debian-12" "the default distribution is debian-12"
has "$tmp/My_Web.App/appliance.yaml" "name: my-web-app " "a folder's name made a recipe name"
for n in -x x-; do
    mkdir -p "$tmp/$n"
    expect 0 "init in a folder whose name is no recipe or host name ($n)" -- "$app" init -- "$tmp/$n"
    has "$tmp/$n/appliance.yaml" "name: appliance " "$n gives the name 'appliance'"
    expect 0 "$n: the starter validates" -- "$app" validate "$tmp/$n/appliance.yaml"
done

# An existing file: refused (exit 1, untouched) unless --force.
r=$tmp/debian-12/appliance.yaml
echo "# mine" >"$r"
expect 1 "init refuses an existing appliance.yaml" -- "$app" init "$tmp/debian-12"
has "$tmp/err" "appliance: error: '$r' already exists: --force overwrites it" \
    "the refusal names the file and --force"
[ "$(cat "$r")" = "# mine" ] && ok "the existing file is untouched" || bad "the existing file changed"
mkdir "$tmp/linked" && ln -s /nonexistent "$tmp/linked/appliance.yaml"
expect 1 "init refuses a dangling link named appliance.yaml" -- "$app" init "$tmp/linked"
[ -L "$tmp/linked/appliance.yaml" ] && ok "the link is untouched" || bad "the link was replaced"
expect 0 "init --force overwrites" -- "$app" init --force --distro rocky-9 "$tmp/debian-12"
has "$r" "distro: rocky-9" "--force wrote the new recipe"
[ -z "$(find "$tmp/debian-12" -name '*.tmp*')" ] && ok "no temporary file left" ||
    bad "a temporary file left: $(ls "$tmp/debian-12")"

# Usage errors: exit 2, a hint line, nothing written.
usage() {
    expect 2 "usage error: init $*" -- "$app" init "$@"
    has "$tmp/err" "Try 'appliance init --help' for more information." "hint line: init $*"
}
usage --distro debain-12 "$tmp/u1"
has "$tmp/err" "unknown distribution 'debain-12' (did you mean 'debian-12'?): expected" \
    "an unknown distribution gets a did-you-mean hint"
usage --distro windows "$tmp/u2"
if grep -q "did you mean" "$tmp/err"; then bad "no hint for a name close to none"; else
    ok "no hint for a name close to none"; fi
has "$tmp/err" "'centos-stream-9', 'rocky-9', 'almalinux-9', 'debian-12' or 'ubuntu-24.04'" \
    "the refusal lists the distributions"
usage --distro
usage --bogus "$tmp/u3"
usage "$tmp/u4" "$tmp/u5"
usage ""
[ ! -e "$tmp/u1" ] && [ ! -e "$tmp/u2" ] && [ ! -e "$tmp/u3" ] && [ ! -e "$tmp/u4" ] &&
    ok "a usage error writes nothing" || bad "a usage error wrote a folder"

# Folders it cannot make or write: exit 1, the reason, nothing left.
touch "$tmp/file"
expect 1 "init below a file" -- "$app" init "$tmp/file/sub"
has "$tmp/err" "cannot make folder '$tmp/file/sub': Not a directory" "below a file: the reason"
expect 1 "init on a file" -- "$app" init "$tmp/file"
has "$tmp/err" "'$tmp/file' is not a folder" "on a file: the reason"
expect 1 "init below a missing folder" -- "$app" init "$tmp/none/sub"
has "$tmp/err" "cannot make folder '$tmp/none/sub': No such file or directory" \
    "below a missing folder: the reason"
[ ! -e "$tmp/none" ] && ok "no parent folder made" || bad "a parent folder was made"
if [ "$(id -u)" = 0 ]; then
    # Root writes anywhere a mode allows nothing: a read-only filesystem.
    expect 1 "init in a read-only folder (/proc)" -- "$app" init /proc/self
    has "$tmp/err" "/proc/self" "read-only: the reason names the folder"
else
    mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
    expect 1 "init in an unwritable folder" -- "$app" init "$tmp/ro"
    has "$tmp/err" "cannot write in '$tmp/ro': Permission denied" "unwritable: the reason"
    expect 1 "init below an unwritable folder" -- "$app" init "$tmp/ro/sub"
    has "$tmp/err" "cannot make folder '$tmp/ro/sub': Permission denied" \
        "below an unwritable folder: the reason"
fi

# --help: on stdout, every distribution, every long option documented.
expect 0 "init --help" -- "$app" init --help
has "$tmp/out" "Usage: appliance init [--distro DISTRO] [--force] [DIR]" "init --help text"
for d in $distros; do has "$tmp/out" "'$d'" "init --help lists $d"; done
for o in $(grep -oE -- '--[a-z][a-z-]+' "$tmp/out" | sort -u); do
    grep -q -- "B<$o>" "$top/man/appliance.pod" && ok "documented: $o" || bad "undocumented: $o"
done
grep -q '^=item B<init>' "$top/man/appliance.pod" && ok "appliance(1) has init" ||
    bad "appliance(1) has no init section"

# The example recipes plan too (golden.sh validates them).
for r in "$top"/recipes/*.yaml; do
    expect 0 "plan ${r#"$top"/}" -- "$app" plan "$r"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
