#!/bin/bash
# tier: check
# The bash completion (bash-completion/appliance), run as bash-completion
# runs it on <Tab>: its words judged against the man page
# (man/appliance.pod) and the program's own tables as its --help and
# --version print them: the commands, every command's options (long and
# letter), the values of --to, --distro, --firmware, --target, --arch and
# --progress, and the files each operand and option argument takes
# (recipes for validate, plan and build; folders for -o DIR). The script
# must hold none of those words itself: they come from the program.
set -u
app=${APPLIANCE:?}
top=${TOP:-$PWD}
script=$top/bash-completion/appliance
pod=$top/man/appliance.pod
bc=/usr/share/bash-completion/bash_completion
if [ ! -f "$bc" ]; then
    echo "SKIP: bash-completion is not installed ($bc: Debian package bash-completion)"
    exit 77
fi
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if command -v shellcheck >/dev/null; then
    shellcheck -s bash "$script" && ok "shellcheck" || bad "shellcheck"
fi
# shellcheck source=/dev/null
. "$bc"
# shellcheck source=../../bash-completion/appliance
. "$script"
complete -p appliance >/dev/null 2>&1 && ok "the script registers _appliance" ||
    bad "complete -p appliance: nothing registered"

# comp LINE: the words <Tab> offers at the end of LINE, sorted, on one line.
# COMP_WORDS split as bash splits them: at blanks, and '=' a word of its own.
comp() {
    local line=$1 w
    COMP_WORDS=()
    for w in $line; do
        while [[ $w == *=* ]]; do
            COMP_WORDS+=("${w%%=*}" "=")
            w=${w#*=}
        done
        [ -n "$w" ] && COMP_WORDS+=("$w")
    done
    [[ $line == *' ' || $line == *= ]] && COMP_WORDS+=('')
    COMP_WORDS[0]=$app
    COMP_LINE="$app ${line#appliance }"
    COMP_POINT=${#COMP_LINE}
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _appliance appliance "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}
# same WHAT GOT WANT: the two word lists equal, order aside.
same() {
    local got want
    got=$(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort -u | tr '\n' ' ')
    want=$(tr ' ' '\n' <<<"$3" | sed '/^$/d' | sort -u | tr '\n' ' ')
    if [ -n "$want" ] && [ "$got" = "$want" ]; then
        ok "$1: $got"
    else
        bad "$1: got '$got', want '$want'"
    fi
}
# documented WORD WHERE: the man page has B<WORD>.
documented() {
    grep -qF -- "B<$1>" "$pod" && ok "man page: $1 ($2)" || bad "the man page lacks B<$1> ($2)"
}

# ---- commands ------------------------------------------------------------------
help_cmds=$("$app" --help | sed -n '/^Commands:/,/^$/p' | sed -nE 's/^  ([a-z]+) .*/\1/p')
man_cmds=$(sed -n '/^=head1 COMMANDS/,/^=head1 /p' "$pod" | sed -nE 's/^=item B<([a-z]+)>.*/\1/p')
words=$(comp "appliance ")
same "commands, against --help" "$words" "$help_cmds"
same "commands, against the man page" "$words" "$man_cmds"
same "help's argument" "$(comp "appliance help ")" "$help_cmds"
same "a command begun" "$(comp "appliance bu")" "build"
same "options before a command" "$(comp "appliance --")" "--help --version"
[ -z "$(comp "appliance help build ")" ] && ok "help takes one command" ||
    bad "help build offers: $(comp "appliance help build ")"

# ---- every command's options ---------------------------------------------------
for c in $help_cmds; do
    [ "$c" = help ] && continue
    "$app" "$c" --help >"$tmp/help" || bad "$c --help"
    # The options --help shows, less those kept for old scripts.
    long=$(grep -v deprecated "$tmp/help" | sed -nE 's/^  (-[A-Za-z], |    )(--[a-z-]+).*/\2/p')
    letters=$(grep -v deprecated "$tmp/help" | sed -nE 's/^  (-[A-Za-z]), --.*/\1/p')
    got=$(comp "appliance $c --")
    same "$c --<Tab>, against $c --help" "$got" "$long"
    for o in $got; do documented "$o" "$c"; done
    same "$c -<Tab>: letters and names" "$(comp "appliance $c -")" "$long $letters"
done

# ---- values from the program's tables ------------------------------------------
outputs=$("$app" --version | sed -n 's/^outputs: //p')
distros=$("$app" --version | sed -n 's/^distributions: //p')
# convert writes from disks: not the outputs made from a build's tree.
same "convert --to" "$(comp "appliance convert a -o b --to ")" "${outputs/container/}"
same "convert -t" "$(comp "appliance convert a -t ")" "${outputs/container/}"
same "convert --to, the list's last item" "$(comp "appliance convert a --to ova,q")" "ova,qcow2"
same "init --distro" "$(comp "appliance init --distro ")" "$distros"
for d in $distros; do documented "$d" "a distribution"; done
forms=$(comp "appliance build --progress ")
same "build --progress" "$forms" "auto terminal plain json"
for f in $forms; do documented "$f" "a --progress form"; done
same "build --progress=j" "$(comp "appliance build --progress=j")" "json"
same "test --progress" "$(comp "appliance test --progress ")" "$forms"
# The firmwares as the man page lists them, test's and convert's.
man_fw() { sed -nE "$1"'s/.*B<--firmware> (B<[a-z+]+>(\|B<[a-z+]+>)+).*/\1/p' "$pod" | head -n 1 |
    sed 's/B<\([^>]*\)>/\1/g; s/|/ /g'; }
same "test --firmware, against the man page" "$(comp "appliance test out --firmware ")" \
    "$(man_fw '/^=item B<--firmware>/')"
same "convert --firmware, against the man page" "$(comp "appliance convert --firmware ")" \
    "$(man_fw '/^B<appliance convert> I<SRC>/')"
targets=$(comp "appliance inspect --target ")
# The man page lists them in its --target paragraph: "(B<generic>, ...)".
man_targets=$(sed -n '/^=item B<--target>/,/^=item/p' "$pod" | tr '\n' ' ' |
    sed -E 's/^[^(]*\(([^)]*)\).*/\1/' | grep -oE 'B<[^>]+>' | sed 's/B<\(.*\)>/\1/')
same "inspect --target, against the man page" "$targets" "$man_targets"
# The architectures, each command's that opens a folder of several.
for c in test deploy convert inspect; do
    same "$c --arch" "$(comp "appliance $c out --arch ")" "x86_64 aarch64"
done
# Words nobody wrote into the script: they are the program's.
for w in qcow2 debian-12 esxi-7.0 secureboot terminal --sign-key --distro; do
    grep -qF -- "$w" "$script" && bad "the script holds '$w', a word of the program's" ||
        ok "the script does not hold '$w'"
done

# ---- files ---------------------------------------------------------------------
mkdir "$tmp/files" "$tmp/files/sub" && cd "$tmp/files" || exit 99
touch a.yaml b.yml c.txt d.ova
same "build's recipe" "$(comp "appliance build ")" "a.yaml b.yml sub"
same "validate's recipes" "$(comp "appliance validate a.yaml ")" "a.yaml b.yml sub"
same "plan's recipe, begun" "$(comp "appliance plan a")" "a.yaml"
same "inspect's bundles" "$(comp "appliance inspect ")" "a.yaml b.yml c.txt d.ova sub"
same "init's folder" "$(comp "appliance init ")" "sub"
same "build -o DIR" "$(comp "appliance build a.yaml -o ")" "sub"
same "build --output=DIR" "$(comp "appliance build a.yaml --output=")" "sub"
same "build --sign-key FILE" "$(comp "appliance build a.yaml --sign-key ")" \
    "a.yaml b.yml c.txt d.ova sub"
[ -z "$(comp "appliance build --cache-max ")" ] && ok "a SIZE: no words" ||
    bad "build --cache-max offers: $(comp "appliance build --cache-max ")"
[ -z "$(comp "appliance schema ")" ] && ok "schema takes no operand" ||
    bad "schema offers: $(comp "appliance schema ")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
