#!/bin/bash
# tier: check
# Every shell program the image carries, checked by shellcheck: each file under
# templates/ that starts with "#!/bin/sh" or "#!/bin/bash" (or is named
# NAME.sh: a script 'sh -c' runs has no such line), each script a
# template writes through a quoted here-document (<<'EOF', as mmdebstrap's
# essential hooks write the initramfs hooks), and the generator that embeds
# them (builder/common/embed-templates.sh).
#
# A placeholder (@KEY@, templates.h) is checked as " x", a word. Two checks
# are off for all: SC2317, since appliance-grow's functions are called from
# lines the build writes in place of @GROW_CALLS@, and SC1091, since a
# script may source a file of the guest's that the host lacks. Any other
# exception is a "# shellcheck disable=" line in the template, with why.
#
# First, shellcheck must find the fault in a script made to have one.
set -u
cd "${TOP:-.}" || exit 99
if ! command -v shellcheck >/dev/null; then
    echo "SKIP: shellcheck is not installed (Debian package shellcheck)"
    exit 77
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/shellcheck.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

# check NAME FILE: shellcheck FILE, its placeholders made words.
check() {
    local shell
    case $(head -n 1 "$2") in
    '#!/bin/bash'*) shell=bash ;;
    *) shell='sh' ;;
    esac
    sed 's/@[A-Z0-9_]*@/ x/g' "$2" >"$T/script"
    if out=$(shellcheck -s "$shell" -e SC2317,SC1091 "$T/script" 2>&1); then
        ok "$1"
    else
        bad "$1"
        printf '%s\n' "$out" | sed "s|$T/script|$1|g"
    fi
}

printf '#!/bin/sh\necho $%s\n' 1 >"$T/faulty"
if shellcheck -s sh "$T/faulty" >/dev/null 2>&1; then
    bad "shellcheck finds nothing wrong in 'echo \$1'"
else
    ok "shellcheck finds the unquoted \$1 of a faulty script"
fi

n=0
for f in templates/*; do
    # A script run by 'sh -c' has no '#!' line: its name says sh.
    case $(head -n 1 "$f") in
    '#!/bin/sh'* | '#!/bin/bash'*) ;;
    *) case $f in *.sh) ;; *) continue ;; esac ;;
    esac
    n=$((n + 1))
    check "$f" "$f"
    # The scripts it writes through quoted here-documents, one at a time.
    i=0
    while :; do
        i=$((i + 1))
        awk -v want="$i" '
            !f && /<<'\''EOF'\''$/ { n++; f = (n == want); next }
            f && /^EOF$/ { exit }
            f { print }' "$f" >"$T/inner"
        [ -s "$T/inner" ] || break
        head -n 1 "$T/inner" | grep -q '^#!/bin/' || continue
        check "$f, here-document $i" "$T/inner"
    done
done
if [ "$n" -ge 4 ]; then
    ok "$n shell templates found"
else
    bad "only $n shell templates found under templates/"
fi
check builder/common/embed-templates.sh builder/common/embed-templates.sh

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
