#!/bin/bash
# tier: lifecycle
# timeout: 3000
# A build without root (issue 21): a user the test creates, with a
# subordinate range, builds the layout recipe; then root builds it from
# the same root-tree archive with the same SOURCE_DATE_EPOCH, in a cache of
# its own. Judged:
#  - the user's build runs as the user: mmdebstrap fetches the tree in its
#    user namespace, into ~/.cache/appliance (the default for a user), and
#    the output and the cache are the user's on the host, the cached tree's
#    files the user's subordinate ids (its root the user itself);
#  - SHA256SUMS identical, and every shipped file bit for bit;
#  - the owners in the image, read by debugfs from the OS root LV (at the
#    offset sfdisk and the LVM metadata text give): root's files root's,
#    /etc/shadow group shadow, the recipe's user's home the user's, sudo
#    setuid root; /dev holds no device node (tree.h);
#  - the user and its home are removed at the end, with its ranges.
# Needs root (it makes the user). The user's tree is fetched cold: a few
# minutes. Outputs: ova (an archive of owners), raw (read by debugfs) and
# container (the tree under a second overlay).
. "${TOP:-.}/tests/lib/itest.sh"
need useradd userdel usermod setpriv newuidmap newgidmap debugfs sfdisk sha256sum python3

. "$TOP/tests/lib/testuser.sh"
testuser_need

T=$ITEST_TMP
EPOCH=1700000000
testuser_make apbuild || finish
as_user test -x "$APPLIANCE" ||
    { echo "SKIP: '$user' cannot run '$APPLIANCE' (a private checkout)"; exit 77; }

# The recipe and the user's output folder, where the user can reach them.
chmod 0711 "$T"
mkdir "$T/u" && chown "$user:" "$T/u" || exit 99
sed 's/^outputs:.*/outputs: [ova, raw, container]/' "$TOP/tests/integration/recipes/layout.yaml" \
    >"$T/u/layout.yaml"
chmod 0644 "$T/u/layout.yaml"

start=$SECONDS
if as_user SOURCE_DATE_EPOCH=$EPOCH "$APPLIANCE" build "$T/u/layout.yaml" -o "$T/u/out" --log "$T/u/build.log" \
    >"$T/u.log" 2>&1; then
    ok "the user's build ($((SECONDS - start)) s)"
else
    bad "the user's build failed: $(tail -n 20 "$T/u.log")"; finish
fi
U=$T/u/out

# Where it went and whose it is on the host.
roots=$home/.cache/appliance/roots
tar=$(find "$roots" -maxdepth 1 -name '*.tar' 2>/dev/null | head -n 1)
if grep -q "^+ newuidmap [0-9]* 0 $uid 1 1 $ustart " "$T/u/build.log" &&
    grep -q "^+ newgidmap [0-9]* 0 $(id -g "$user") 1 1 $gstart " "$T/u/build.log"; then
    ok "the build mapped its namespace: 0 to the user, 1.. to its ranges (newuidmap, newgidmap)"
else
    bad "no newuidmap and newgidmap in the log: $(grep -m 2 newu "$T/u/build.log")"
fi
if [ -n "$tar" ] && grep -q '^+ unshare --mount --propagation private -- mmdebstrap --mode=root' \
    "$T/u/build.log"; then
    ok "mmdebstrap fetched the tree in the namespace, into ~/.cache/appliance/roots"
else
    bad "no tree fetched into $roots: $(grep -m 1 mmdebstrap "$T/u/build.log")"; finish
fi
owners=$(find "$U" "$home/.cache/appliance" -maxdepth 2 ! -user "$user" -printf '%u %p\n' | head -n 3)
[ -z "$owners" ] && ok "the output and the cache are the user's on the host" ||
    bad "not the user's: $owners"
tree=${tar%.tar}.tree
got=$(stat -c '%u:%g' "$tree/etc/shadow" 2>/dev/null)
shadow_gid=$(awk -F: '$1 == "shadow" { print $3 }' "$tree/etc/group" 2>/dev/null)
want="$uid:$((gstart + shadow_gid - 1))"
[ -n "$shadow_gid" ] && [ "$got" = "$want" ] &&
    ok "the cached tree's /etc/shadow is $got on the host: root is the user, gid $shadow_gid a subordinate id" ||
    bad "the cached tree's /etc/shadow is '$got' on the host, want '$want'"

# Root, from the same archive, in a cache of its own.
mkdir -p "$T/rcache/roots" || exit 99
cp "$tar" "${tar%.tar}.sum" "$T/rcache/roots/" || exit 99
start=$SECONDS
if SOURCE_DATE_EPOCH=$EPOCH "$APPLIANCE" build "$T/u/layout.yaml" -o "$T/r" \
    --cache-dir "$T/rcache" >"$T/r.log" 2>&1; then
    ok "root's build from the same archive ($((SECONDS - start)) s)"
else
    bad "root's build failed: $(tail -n 20 "$T/r.log")"; finish
fi
R=$T/r
if cmp -s "$U/SHA256SUMS" "$R/SHA256SUMS"; then
    ok "SHA256SUMS identical ($(wc -l <"$R/SHA256SUMS") files)"
else
    bad "SHA256SUMS differ: $(diff "$U/SHA256SUMS" "$R/SHA256SUMS" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
fi
if (cd "$U" && sha256sum --quiet -c "$R/SHA256SUMS") >"$T/sums" 2>&1; then
    ok "the user's files verify against root's SHA256SUMS (sha256sum -c)"
else
    bad "the user's files against root's SHA256SUMS: $(head -n 4 "$T/sums" | tr '\n' ' ')"
fi
rm -rf "$R" "$T/rcache"

# The OS root LV of the user's image: the PV's partition from sfdisk, the
# LV's first extent from the LVM metadata text at its start.
img=$(find "$U" -maxdepth 1 -name '*-os.raw' | head -n 1)
pv_start=$(sfdisk -J "$img" | python3 -c '
import json, sys
parts = json.load(sys.stdin)["partitiontable"]["partitions"]
print(next(p["start"] for p in parts if p.get("name") == "lvm"))')
root_off=$(dd if="$img" bs=512 skip="$pv_start" count=2048 status=none | tr -d '\0' | python3 -c '
import re, sys
text = sys.stdin.buffer.read().decode("ascii", "replace")
vg = text[text.index("vg_os {"):]
ext = int(re.search(r"extent_size = (\d+)", vg).group(1))
pe = int(re.search(r"pe_start = (\d+)", vg).group(1))
root = vg[vg.index("root {"):]
first = int(re.search(r"stripes = \[\s*\"pv0\", (\d+)", root).group(1))
print(pe + first * ext)')
if [ -z "$pv_start" ] || [ -z "$root_off" ]; then
    bad "the root LV not found in $img"; finish
fi
fs="$img?offset=$(((pv_start + root_off) * 512))"
dstat() { # PATH: "uid gid mode" of PATH in the root LV, by debugfs
    debugfs -R "stat $1" "$fs" 2>/dev/null | awk '
        /Mode:/ { for (i = 1; i <= NF; i++) if ($i == "Mode:") mode = $(i + 1) }
        /^User:/ { print $2, $4, mode; exit }'
}
dcat() { debugfs -R "cat $1" "$fs" 2>/dev/null; }
id_of() { # FILE NAME: the id of NAME in the image's /etc/passwd or /etc/group
    dcat "$1" | awk -F: -v n="$2" '$1 == n { print $3; exit }'
}
shadow=$(id_of /etc/group shadow) admin=$(id_of /etc/passwd admin)
check_owner() { # PATH WANT WHAT
    local got
    got=$(dstat "$1")
    [ "$got" = "$2" ] && ok "$3: $1 is '$got' (debugfs)" || bad "$3: $1 is '$got', want '$2'"
}
if [ -n "$shadow" ] && [ -n "$admin" ] && [ "$admin" != 0 ]; then
    check_owner / "0 0 0755" "root's folder"
    check_owner /etc/shadow "0 $shadow 0640" "group shadow"
    check_owner /home/admin "$admin $admin 0755" "the recipe's user"
    check_owner /usr/bin/sudo "0 0 04755" "setuid root"
else
    bad "the image's /etc/group or /etc/passwd not read (shadow '$shadow', admin '$admin')"
fi
nodes=$(debugfs -R 'ls -l /dev' "$fs" 2>/dev/null | awk '$2 ~ /^[26][0-7][0-7][0-7][0-7]$/')
[ -z "$nodes" ] && ok "/dev holds no device node" || bad "device nodes in /dev: $nodes"

rm -rf "$U"
testuser_drop
if id "$user" >/dev/null 2>&1 || [ -e "$home" ] || grep -q "^$user:" /etc/subuid /etc/subgid; then
    bad "user $user, its home or its ranges are still there"
else
    ok "user $user, its home and its ranges removed"
fi
finish
