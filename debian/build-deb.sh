#!/bin/sh
# debian/build-deb.sh OUTDIR: the Debian package of this checkout, built
# with `dpkg-buildpackage -us -uc -b` from a copy of the tree as git sees
# it (uncommitted changes too; no build/ nor output/), in OUTDIR/src; the
# .deb, .changes and .buildinfo land in OUTDIR, the log in OUTDIR/build.log.
# Used by tests/source/debian.sh and image/build.sh. Exit 0 or 1, with the
# log's tail on stderr.
set -eu
out=$1
top=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out/src"
mkdir -p "$out/src"
out=$(cd "$out" && pwd)
cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$out/src"
else
    tar --exclude=./build --exclude=./output -cf - . | tar -xf - -C "$out/src"
fi
# The package builds in its own tree's build/: a caller's BUILD (make's
# variable, in the environment of tests and image/build.sh) and make's
# own variables must not reach debian/rules.
if ! (cd "$out/src" && env -u BUILD -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    DEB_BUILD_OPTIONS="parallel=${TEST_JOBS:-2}" \
    dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1); then
    echo "dpkg-buildpackage -us -uc -b failed:" >&2
    tail -n 40 "$out/build.log" >&2
    exit 1
fi
rm -rf "$out/src"
