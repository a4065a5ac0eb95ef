#!/bin/bash
# tier: check
# xfs made on the host (builder/disk/xfs_host.c), judged by xfsprogs and
# the kernel, on a small synthetic tree (no build, a few seconds):
#  - xfs_repair -n: the filesystem, cut out of the disk at the plan's
#    offset, is clean
#  - made twice: the same bytes
#  - blkid: the plan's UUID and the volume's label
#  - the kernel's xfs, mounted read-only from a loop device: every entry's
#    type, mode (setuid, setgid and sticky included), owner, mtime, symbolic
#    link target, device numbers and file contents as in the folder
#  - folders a protofile cannot carry (a hard link, a name with a space)
#    refused with the reason, nothing made
. "${TOP:-.}/tests/lib/itest.sh"

need cc pkg-config mkfs.xfs xfs_db xfs_repair blkid mount losetup cmp
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (device nodes, owners, a loop mount)"; exit 77; }
T=$ITEST_TMP
LIB=$ITEST_BUILD/libappliance.a
[ -f "$LIB" ] || { bad "$LIB is not built (run make)"; finish; }
MAKE=$T/xfs-make
# shellcheck disable=SC2046
if cc -std=gnu11 -D_GNU_SOURCE -I"$TOP/include" -o "$MAKE" "$TOP/tests/helpers/xfs-make.c" \
    "$LIB" $(pkg-config --libs yaml-0.1 json-c libcrypto libarchive libguestfs libdeflate \
        libxml-2.0 libvirt) >"$T/cc.log" 2>&1; then
    ok "xfs-make helper built against $(basename "$LIB")"
else
    bad "xfs-make helper does not build: $(tail -n 5 "$T/cc.log")"; finish
fi
MNT=$T/mnt
mkdir -p "$MNT"
trap 'umount "$MNT" 2>/dev/null; itest_cleanup' EXIT

cat >"$T/recipe.yaml" <<'YAML'
recipe: 1
name: xfshost
version: "1"
os: { distro: debian-12 }
disks:
  os:
    size: 2GiB
    boot: 256MiB
    volumes:
      - { name: root, mount: /, size: rest }
  app:
    size: 512MiB
    volumes:
      - { name: first, mount: /opt/app, size: 16MiB, fs: ext4 }
      - { name: data, mount: /srv/data, size: rest, fs: xfs }
YAML

# The tree: every kind of entry a protofile carries.
D=$T/tree
mkdir -p "$D/dir/deep" "$D/tmp" "$D/shared"
echo hello >"$D/file"
: >"$D/empty"
head -c 3000000 /dev/urandom >"$D/dir/random.bin"
printf 'x%.0s' $(seq 1 5000) >"$D/dir/deep/text"
ln -s file "$D/link"
ln -s /etc/nowhere "$D/dir/dangling"
mkfifo "$D/fifo"
mknod "$D/dir/null" c 1 3
mknod "$D/dir/loop9" b 7 9
cp "$D/file" "$D/suid" && chmod 4755 "$D/suid"
cp "$D/file" "$D/sgid" && chmod 2711 "$D/sgid"
chmod 1777 "$D/tmp"
chmod 3775 "$D/shared"
chown 1000:1001 "$D/dir" "$D/dir/deep/text"
chown -h 1002:1003 "$D/link"
chmod 0750 "$D"

IMG=$T/app.img
if ! "$MAKE" "$T/recipe.yaml" /srv/data "$D" "$IMG" "$T" >"$T/where" 2>"$T/make.err"; then
    bad "xfs-make: $(cat "$T/make.err" "$T/where")"; finish
fi
read -r off size want <"$T/where"
ok "xfs made from the tree at offset $off ($((size >> 20)) MiB)"
rm -f "$T"/xfs-*.img "$T"/xfs-*.proto
used=$(($(stat -c %b "$IMG") * 512))
[ "$used" -lt $((64 << 20)) ] && ok "the disk stays sparse ($((used >> 20)) MiB allocated)" ||
    bad "the disk is not sparse: $((used >> 20)) MiB allocated"

# The same folder, made again: the same bytes (derived UUID, the folder's
# times, entries in name order).
if "$MAKE" "$T/recipe.yaml" /srv/data "$D" "$T/again.img" "$T" >/dev/null 2>"$T/make.err" &&
    cmp -s -i "$off:$off" -n "$size" "$IMG" "$T/again.img"; then
    ok "made again: the same bytes"
else
    bad "made again: other bytes ($(cmp -i "$off:$off" -n "$size" "$IMG" "$T/again.img" 2>&1 | head -n 1))"
fi
rm -f "$T/again.img"

FS=$T/fs.img
dd if="$IMG" of="$FS" bs=1M skip=$((off >> 20)) count=$((size >> 20)) conv=sparse status=none
if xfs_repair -n -f "$FS" >"$T/repair.log" 2>&1; then
    ok "xfs_repair -n: clean"
else
    bad "xfs_repair -n: $(grep -v '^ *- \|^Phase\|geometry\|sector size mismatch\|image and the host' "$T/repair.log" | head -n 8)"
fi
uuid=$(blkid -p -o value -s UUID "$FS") label=$(blkid -p -o value -s LABEL "$FS")
[ "$uuid" = "$want" ] && ok "blkid: UUID $uuid, the plan's" ||
    bad "blkid: UUID '$uuid', the plan says '$want'"
[ "$label" = data ] && ok "blkid: label 'data'" || bad "blkid: label '$label', not 'data'"

# The kernel reads it, from the disk itself at the offset.
if ! mount -t xfs -o loop,ro,norecovery,offset="$off",sizelimit="$size" "$IMG" "$MNT" \
    2>"$T/mount.err"; then
    echo "SKIP: the kernel cannot mount xfs from a loop device here: $(cat "$T/mount.err")"
    exit 77
fi
ok "mounted read-only by the kernel's xfs"
listing() { (cd "$1" && find . -printf '%p %y %#m %U %G %T@ %l\n' | LC_ALL=C sort); }
# Block and character devices: their numbers.
devices() { (cd "$1" && find . \( -type b -o -type c \) -exec stat -c '%n %t:%T' {} + | LC_ALL=C sort); }
if diff <(listing "$D") <(listing "$MNT") >"$T/diff"; then
    ok "every entry's type, mode, owner, mtime and link target as in the folder ($(listing "$D" | wc -l) entries)"
else
    bad "entries differ (< folder, > xfs): $(head -n 10 "$T/diff")"
fi
diff <(devices "$D") <(devices "$MNT") >"$T/ddiff" && ok "device numbers as in the folder" ||
    bad "device numbers differ: $(cat "$T/ddiff")"
differ=0
while IFS= read -r -d '' f; do
    cmp -s "$D/$f" "$MNT/$f" || { differ=1; bad "contents of '$f' differ"; }
done < <(cd "$D" && find . -type f -print0)
[ "$differ" = 0 ] && ok "every file's contents as in the folder"
umount "$MNT"

# What a protofile cannot carry: refused, with the reason, nothing made.
refused() { # NAME WANT: the tree in $T/$1, the refusal must contain WANT
    local out
    out=$("$MAKE" "$T/recipe.yaml" /srv/data "$T/$1" "$T/$1.img" "$T" 2>&1)
    local rc=$?
    [ "$rc" = 4 ] && [[ "$out" == *"$2"* ]] && ok "$1: refused: ${out#refused: }" ||
        bad "$1: exit $rc, '$out', not refused for '$2'"
    ! ls "$T"/xfs-*.img >/dev/null 2>&1 || bad "$1: a scratch filesystem was left"
}
mkdir -p "$T/hardlink/bin" "$T/space/a"
echo x >"$T/hardlink/bin/perl" && ln "$T/hardlink/bin/perl" "$T/hardlink/bin/perl5"
refused hardlink "hard link 'bin/perl' (2 links)"
: >"$T/space/a/two words"
refused space "name 'a/two words'"

finish
