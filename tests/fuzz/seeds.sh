#!/bin/sh
# seeds.sh NAME DIR: the seed corpus of harness NAME (tests/fuzz/NAME_fuzz.c)
# written into DIR, for make check-fuzz. Seeds are samples the repository
# holds (tests/data/, unit-test fixtures) or files the real tools make here
# and now (sfdisk, qemu-img), small: nothing binary is committed.
set -eu
name=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$out"

case $name in
recipe)
    cp "$top"/recipes/*.yaml "$top"/tests/data/recipes/valid/*.yaml \
        "$top"/tests/data/recipes/invalid/*.yaml .
    ;;
*)
    echo "seeds.sh: no seeds for '$name'" >&2
    exit 1
    ;;
esac
