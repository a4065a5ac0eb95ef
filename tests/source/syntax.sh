#!/bin/bash
# tier: check
# Every shell script of the tests and benchmarks parses under the shell its
# first line names (sh -n, bash -n), and the libraries they source
# (tests/lib/*.sh, bench/lib.sh) under bash. Scripts that run only in slower tiers,
# or only under make check-fuzz (tests/fuzz/seeds.sh), would otherwise break
# unseen: a merge once dropped a ';;' in seeds.sh and every check-fuzz
# failed before running a target.
cd "${TOP:-.}" || exit 1
n=0 bad=0

# The check must catch a broken script: one is made to have the fault.
t=$(mktemp -d) || exit 1
trap 'rm -rf "$t"' EXIT
printf '#!/bin/sh\ncase $1 in\na)\n    echo a\nb)\n    echo b\n    ;;\nesac\n' >"$t/broken.sh"
if sh -n "$t/broken.sh" 2>/dev/null; then
    echo "not ok - sh -n finds a case arm without ';;'"
    bad=1
else
    echo "ok - sh -n finds a case arm without ';;'"
fi

while IFS= read -r f; do
    case $(head -n1 "$f") in
    '#!/bin/sh'*) shell='sh' ;;
    '#!/bin/bash'* | '#!/usr/bin/env bash'*) shell='bash' ;;
    *)
        # The libraries the scripts source have no first line to name a
        # shell: they are bash's.
        case $f in tests/lib/*.sh | bench/lib.sh) shell='bash' ;; *) continue ;; esac
        ;;
    esac
    n=$((n + 1))
    if ! err=$("$shell" -n "$f" 2>&1); then
        echo "not ok - $f does not parse under $shell: $err"
        bad=1
    fi
done < <(find tests bench .ci -type f \( -name '*.sh' -o -path '.ci/*' -o -name run-tests \) | sort)

[ "$n" -gt 50 ] && echo "ok - $n scripts parse under the shell they name" ||
    { echo "not ok - only $n scripts found"; bad=1; }
exit "$bad"
