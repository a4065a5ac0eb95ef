#!/bin/bash
# tier: check
# The Debian package (debian/): built from a copy of the tree with
# `dpkg-buildpackage -us -uc -b` and judged by lintian, which must find
# no error and no warning (debian/appliance.lintian-overrides says why for
# the one it is told to accept). Then what is in it: the program, its man
# pages, the schema, the bash completion, a Depends that names every
# package of the Makefile's DEPS_RUN (debian/rules takes them from there),
# and the version that the program and debian/changelog both say.
#
# debian/control's Build-Depends cannot be derived at build time (dpkg
# reads it before anything runs): it is checked against the Makefile's
# DEPS_BUILD here, so that the Makefile stays the one owner.
set -u
top=${TOP:-$PWD}
cd "$top" || exit 99
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }
for t in dpkg-buildpackage dpkg-parsechangelog dh lintian; do
    if ! command -v "$t" >/dev/null; then
        echo "SKIP: $t is not installed (make deps: debhelper, dpkg-dev, lintian)"
        exit 77
    fi
done
T=$(mktemp -d "${TMPDIR:-/tmp}/debian.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT

# ---- the lists agree ---------------------------------------------------------
version=$(sed -n 's/^#define APPLIANCE_VERSION "\(.*\)"$/\1/p' include/appliance/version.h)
changelog=$(dpkg-parsechangelog -l debian/changelog -S Version)
[ -n "$version" ] && [ "$version" = "$changelog" ] &&
    ok "debian/changelog's version is the program's ($version)" ||
    bad "debian/changelog says '$changelog', include/appliance/version.h '$version'"

# Build-Depends less debhelper-compat, and DEPS_BUILD less what
# build-essential brings (gcc, make), one name a line, sorted.
sed -n '/^Build-Depends:/,/^[^ ]/p' debian/control | sed '$d' | sed 's/^Build-Depends://' |
    tr ',' '\n' | sed 's/(.*)//; s/ //g' | grep -v -e '^$' -e '^debhelper-compat$' | sort >"$T/control"
make -s --no-print-directory print-DEPS_BUILD | tr ' ' '\n' | grep -v -x -e '' -e gcc -e make |
    sort >"$T/makefile"
if [ -s "$T/makefile" ] && cmp -s "$T/control" "$T/makefile"; then
    ok "debian/control's Build-Depends are the Makefile's DEPS_BUILD ($(wc -l <"$T/makefile"))"
else
    bad "debian/control's Build-Depends differ from the Makefile's DEPS_BUILD (< control, > Makefile):"
    diff "$T/control" "$T/makefile"
fi

# ---- the package -------------------------------------------------------------
echo "building the package (debian/build-deb.sh: dpkg-buildpackage -us -uc -b)"
if debian/build-deb.sh "$T" 2>"$T/build.err"; then
    ok "dpkg-buildpackage -us -uc -b"
else
    bad "dpkg-buildpackage -us -uc -b failed:"
    cat "$T/build.err"
    echo "$pass passed, $fail failed"
    exit 1
fi
deb=$T/appliance_${changelog}_amd64.deb
changes=$T/appliance_${changelog}_amd64.changes
[ -f "$deb" ] && ok "$(basename "$deb") made" || bad "no $(basename "$deb") in $(ls "$T")"

# lintian on the .changes judges the .deb and the build's record; the
# tags it prints are E: (error), W: (warning), I:, P: (info, pedantic).
lintian --fail-on error,warning "$changes" >"$T/lintian" 2>&1
status=$?
[ "$status" = 0 ] && ok "lintian: no error, no warning" || {
    bad "lintian (exit $status):"
    cat "$T/lintian"
}
# lintian must be able to fail: a package with a fault it knows.
mkdir -p "$T/faulty/DEBIAN" "$T/faulty/usr/bin"
printf 'Package: faulty\nVersion: 1\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: x\n' \
    >"$T/faulty/DEBIAN/control"
printf '#!/bin/sh\n' >"$T/faulty/usr/bin/faulty" && chmod 755 "$T/faulty/usr/bin/faulty"
dpkg-deb --root-owner-group -b "$T/faulty" "$T/faulty.deb" >/dev/null 2>&1
if lintian --fail-on error "$T/faulty.deb" >/dev/null 2>&1; then
    bad "lintian finds no error in a package without a copyright file"
else
    ok "lintian fails a package without a copyright file"
fi

# ---- what is in it ------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$T/files"
for f in /usr/bin/appliance /usr/share/man/man1/appliance.1.gz \
    /usr/share/man/man5/appliance-recipe.5.gz /usr/share/appliance/recipe.schema.json \
    /usr/share/bash-completion/completions/appliance /usr/share/doc/appliance/copyright \
    /usr/share/doc/appliance/examples/demo.yaml; do
    grep -qx -- "$f" "$T/files" && ok "the package has $f" || bad "the package lacks $f"
done
depends=$(dpkg-deb -f "$deb" Depends)
for p in $(make -s --no-print-directory print-DEPS_RUN); do
    [ "$(dpkg-query -W -f='${Essential}' "$p" 2>/dev/null)" = yes ] && continue
    case ", $depends," in
    *", $p,"*) ok "Depends names $p (DEPS_RUN)" ;;
    *) bad "Depends lacks $p of DEPS_RUN: $depends" ;;
    esac
done
case $depends in
*libguestfs0*) ok "Depends has the libraries' packages (shlibs)" ;;
*) bad "Depends lacks the libraries (no libguestfs0): $depends" ;;
esac
dpkg-deb -x "$deb" "$T/root"
got=$("$T/root/usr/bin/appliance" --version | head -n 1)
[ "$got" = "appliance $changelog" ] && ok "the packaged program says '$got'" ||
    bad "the packaged program says '$got', the package $changelog"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
