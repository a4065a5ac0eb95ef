#!/bin/bash
# tier: lifecycle
# Incremental builds (issue 12): a disk whose key is unchanged is reused
# from the cache, with its exports; a change reaches exactly the disks it
# can change. From tests/integration/recipes/bios-only.yaml with qcow2 and
# raw outputs and two files: /etc/motd (OS disk) and /opt/app/note.txt
# (application disk), whose contents are new to each run of this test:
#
#   1. first build: both disks built
#   2. the same recipe again: both disks and their qcow2 reused, every
#      shipped file identical to build 1's
#   3. note.txt changed: the OS disk and its qcow2 reused (identical to
#      build 1's), the application disk built and holding the new text
#   4. motd changed: the OS disk built, holding the new text
#   5. a `run:` line added: both built (a run line could read any file)
#   6. --no-reuse: both built, nothing said about the cache
#   7. --cache-max: after a build into a cache of its own (the root tree
#      linked in), the disks/ folder is within the limit and still holds
#      the entries that fit (the OS disk's image does not), each with its
#      digest beside it (sha256sum's); the same again hashes no run of
#      zeros again, and its SHA256SUMS verifies
#
# Judged by cmp, debugfs (e2fsprogs) on the filesystems in the raw disks,
# and the build's own notices. 8 builds, about 1-3 minutes.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 debugfs cmp qemu-img

T=$ITEST_TMP
stamp="$(date +%s.%N) $$"
mkdir -p "$T/r/files" || exit 99
cp "$TOP/tests/integration/recipes/bios-only.yaml" "$T/r/base.yaml"

# recipe NAME NOTE MOTD [RUN]: the recipe with those file contents.
recipe() {
    printf '%s\n' "$2" >"$T/r/files/note-$1.txt"
    printf '%s\n' "$3" >"$T/r/files/motd-$1"
    {
        sed -e 's/^outputs:.*/outputs: [qcow2, raw]/' -e 's/^name: .*/name: incr/' "$T/r/base.yaml"
        echo "files:"
        echo "  - { src: files/motd-$1, dest: /etc/motd, mode: \"0644\" }"
        echo "  - { src: files/note-$1.txt, dest: /opt/app/note.txt, mode: \"0644\" }"
        if [ -n "${4:-}" ]; then
            echo "run:"
            echo "  - $4"
        fi
    } >"$T/r/$1.yaml"
}

# build NAME [ARGS...]: builds recipe NAME into $T/NAME, log $T/NAME.log.
build() {
    local name=$1 start=$SECONDS
    shift
    if "$APPLIANCE" build "$@" "$T/r/$name.yaml" -o "$T/$name" >"$T/$name.log" 2>&1; then
        ok "build $name ($((SECONDS - start)) s)"
    else
        bad "build $name failed: $(tail -n 15 "$T/$name.log")"
        finish
    fi
}

# said NAME DISK WHAT: whether build NAME's log says DISK (OS/application)
# was WHAT (reused/built).
said() {
    grep -q "notice: $2 disk: $3" "$T/$1.log"
}
expect() {
    local name=$1 os=$2 app=$3
    if said "$name" OS "$os" && said "$name" application "$app"; then
        ok "$name: OS disk $os, application disk $app"
    else
        bad "$name: want OS disk $os and application disk $app; the build said: $(grep 'disk:' "$T/$name.log" | tr '\n' ' ')"
    fi
}

# fs_file NAME DISK LV PATH: PATH's text in LV of DISK of build NAME.
PLAN=$T/plan.json
fs_file() {
    local off
    off=$(python3 - "$PLAN" "$2" "$3" <<'EOF'
import json, sys
d = next(d for d in json.load(open(sys.argv[1]))["disks"] if d["id"] == sys.argv[2])
vg = d["vg"]; pv = next(p for p in d["partitions"] if p["number"] == vg["pv_partition"])
at = pv["start"] + vg["data_offset"]
for lv in vg["lvs"]:
    if lv["name"] == sys.argv[3]:
        print(at, lv["size"]); break
    at += lv["size"]
EOF
    )
    set -- "$@" $off
    dd if="$T/$1/incr-0.1.0-$2.raw" of="$T/fs.img" bs=1M skip=$(($5 / 1048576)) count=$(($6 / 1048576)) \
        status=none && debugfs -R "cat $4" "$T/fs.img" 2>/dev/null
    rm -f "$T/fs.img"
}

same() {
    if cmp -s "$T/$1/$3" "$T/$2/$3"; then
        ok "$3 of $2 identical to $1's"
    else
        bad "$3 of $2 differs from $1's: $(cmp "$T/$1/$3" "$T/$2/$3" 2>&1)"
    fi
}

recipe one "note $stamp" "motd $stamp"
"$APPLIANCE" plan "$T/r/one.yaml" --json >"$PLAN" || { bad "plan"; finish; }
build one
expect one built built

cp "$T/r/one.yaml" "$T/r/again.yaml"
build again
expect again reused reused
for f in incr-0.1.0-os.qcow2 incr-0.1.0-app.qcow2 incr-0.1.0-os.raw incr-0.1.0-app.raw; do
    same one again "$f"
done
if grep -q 'incr-0.1.0-os.qcow2 (reused)' "$T/again.log"; then
    ok "again: the OS disk's qcow2 copied from the cache, not converted"
else
    bad "again: the OS disk's qcow2 was not reused"
fi

recipe app "note changed $stamp" "motd $stamp"
build app
expect app reused built
same one app incr-0.1.0-os.qcow2
same one app incr-0.1.0-os.raw
got=$(fs_file app app app /note.txt)
if [ "$got" = "note changed $stamp" ]; then
    ok "app: the rebuilt application disk holds the new note.txt"
else
    bad "app: note.txt on the application disk is '$got'"
fi
if cmp -s "$T/one/incr-0.1.0-app.raw" "$T/app/incr-0.1.0-app.raw"; then
    bad "app: the application disk did not change"
else
    ok "app: the application disk changed"
fi

recipe os "note changed $stamp" "motd changed $stamp"
build os
expect os built reused
got=$(fs_file os os root /etc/motd)
if [ "$got" = "motd changed $stamp" ]; then
    ok "os: the rebuilt OS disk holds the new /etc/motd"
else
    bad "os: /etc/motd on the OS disk is '$got'"
fi
same app os incr-0.1.0-app.raw

recipe run "note changed $stamp" "motd changed $stamp" "true"
build run
expect run built built

build again --no-reuse
if grep -q 'disk: reused\|disk: built\|(reused)' "$T/again.log"; then
    bad "--no-reuse: the build still used the cache: $(grep 'disk:\|reused' "$T/again.log" | head -n 3 | tr '\n' ' ')"
else
    ok "--no-reuse: nothing reused, nothing said about the cache"
fi

# A cache of its own, the root tree linked in, and a limit that holds one
# of the disks' entries but not all.
C=$T/cache
mkdir -p "$C/roots"
src=${APPLIANCE_CACHE_DIR:-/var/cache/appliance}/roots
if [ -d "$src" ] && cp -al "$src/." "$C/roots/" 2>/dev/null; then
    limit=$((300 * 1024 * 1024))
    recipe small "note small $stamp" "motd small $stamp"
    build small --cache-dir "$C" --cache-max 300MiB
    used=$(du -sb --apparent-size "$C/disks" 2>/dev/null | cut -f1)
    alloc=$(($(du -s -B1 "$C/disks" | cut -f1)))
    if [ "$alloc" -le "$limit" ]; then
        ok "--cache-max 300MiB: disks/ holds $alloc bytes allocated ($used apparent)"
    else
        bad "--cache-max 300MiB: disks/ holds $alloc bytes"
    fi
    if ls "$C/disks"/*.img >/dev/null 2>&1 || ls "$C/disks"/*.qcow2 >/dev/null 2>&1; then
        ok "--cache-max: entries within the limit were kept ($(ls "$C/disks" | wc -l))"
    else
        bad "--cache-max: nothing kept at all: $(ls -la "$C/disks")"
    fi
    # Each digest kept beside an entry is the entry's own (sha256sum), and
    # the next build takes them instead of hashing its copies.
    kept=0
    for sum in "$C/disks"/*.sha256; do
        [ -e "$sum" ] || continue
        entry=${sum%.sha256}
        if [ "$(sha256sum <"$entry" | cut -d' ' -f1)" = "$(cat "$sum")" ]; then
            kept=$((kept + 1))
        else
            bad "digest kept beside $(basename "$entry") is not its own"
        fi
    done
    if [ "$kept" -gt 0 ]; then
        ok "$kept digest(s) kept beside the cache's entries, each the entry's own"
    else
        bad "no digest kept beside the cache's entries: $(ls "$C/disks")"
    fi
    cp "$T/r/small.yaml" "$T/r/small-again.yaml"
    build small-again --cache-dir "$C" --cache-max 300MiB
    if (cd "$T/small-again" && sha256sum --quiet -c SHA256SUMS) >"$T/sums" 2>&1; then
        ok "small-again: SHA256SUMS, from the digests kept or made while writing, verifies"
    else
        bad "small-again: SHA256SUMS does not verify: $(head -n 5 "$T/sums" | tr '\n' ' ')"
    fi
    if grep -q 'notice: digests: .*, [1-9][0-9]* hashed' "$T/small-again.log"; then
        bad "small-again: runs of zeros hashed again: $(grep 'digests:' "$T/small-again.log")"
    else
        ok "small-again: no run of zeros hashed again"
    fi
else
    skip "no root tree cache to link a cache of its own from ($src)"
fi
finish
