#!/bin/bash
# tier: check
# appliance-grow's decisions (templates/appliance-grow), judged without a
# VM: the script runs against a fake sysfs and fake LVM, partitioning and
# filesystem tools on PATH, which write what they were asked to a log and
# keep the fake disks' state. For each case, the tools called (and only
# those), the line the script says, its exit status and its record:
#  - a grown disk: its partition, PV, growing LV and filesystem grown
#    (ext4 by resize2fs on the OS disk, xfs by xfs_growfs on the app disk)
#  - a disk as recorded: sysfs only, no tool at all
#  - a disk unchanged but not recorded: nothing grown, the record written
#  - a disk smaller than recorded, a PV with less than an extent to gain:
#    never shrunk, nothing but the filesystem's no-op resize
#  - a PV that is not its disk's last partition, not a partition, or one
#    of two: left alone, said why
#  - a step that fails: said, exit 1, the other disk still grown
#
# The template is run as the build writes it (its calls in place of
# @GROW_CALLS@), with its fixed paths moved into the fake tree: PATH,
# STATE, /proc/uptime, /dev/console, /sys. Each move must find its text.
# shellcheck disable=SC2016 # the fake tools and patterns are text, not expansions
set -u
cd "${TOP:-.}" || exit 99
TOP=$PWD
T=$(mktemp -d "${TMPDIR:-/tmp}/appliance-grow.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

# same WHAT WANT GOT
same() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        bad "$1"
        echo "# want:"
        printf '%s\n' "$2" | sed 's/^/#   /'
        echo "# got:"
        printf '%s\n' "$3" | sed 's/^/#   /'
    fi
}

# The fake tools. Each logs "NAME ARGS" to $F/log; LVM's state is
# $F/lvm/VG/{pvs,extent,free} and $F/lvm/VG/LV.size, in bytes and extents.
mkdir -p "$T/bin"
stub() {
    {
        echo '#!/bin/bash'
        echo 'echo "${0##*/}${*:+ $*}" >>"$F/log"'
        cat
    } >"$T/bin/$1"
    chmod +x "$T/bin/$1"
}
# The PV's device size, from the fake sysfs.
stub pvs <<'EOF'
while [ $# -gt 0 ]; do
    case $1 in -o) fields=$2; shift ;; -S) vg=${2#vg_name=}; shift ;; esac
    shift
done
d=$F/lvm/$vg
[ -d "$d" ] || exit 0
while read -r pv; do
    part=$F/sys/class/block/${pv##*/}
    dev_size=$(($(cat "$part/size") * 512))
    line=
    for f in ${fields//,/ }; do
        case $f in
        pv_name) v=$pv ;;
        dev_size) v=$dev_size ;;
        pv_size) v=$(cat "$d/pv_size") ;;
        vg_extent_size) v=$(cat "$d/extent") ;;
        vg_free_count) v=$(cat "$d/free") ;;
        esac
        line="$line $v"
    done
    echo " $line"
done <"$d/pvs"
EOF
# pvresize PV: the PV takes its device less 1MiB, in whole extents.
stub pvresize <<'EOF'
[ "${FAIL_PVRESIZE:-}" = "$1" ] && { echo "  Cannot resize: device busy" >&2; exit 5; }
for d in "$F"/lvm/*; do
    grep -qx "$1" "$d/pvs" || continue
    e=$(cat "$d/extent") old=$(cat "$d/pv_size")
    part=$F/sys/class/block/${1##*/}
    new=$((($(cat "$part/size") * 512 - 1048576) / e * e))
    echo "$new" >"$d/pv_size"
    echo $(($(cat "$d/free") + (new - old) / e)) >"$d/free"
done
EOF
stub lvextend <<'EOF'
n=${2#+} vg=${3%/*} lv=${3#*/}
d=$F/lvm/$vg
echo $(($(cat "$d/free") - n)) >"$d/free"
echo $(($(cat "$d/$lv.size") + n * $(cat "$d/extent"))) >"$d/$lv.size"
EOF
stub lvs <<'EOF'
for a; do :; done
echo "  $(cat "$F/lvm/${a%/*}/${a#*/}.size")"
EOF
# sfdisk -N NUM DISK grows the partition to 1MiB before the disk's end.
stub sfdisk <<'EOF'
[ -n "${FAIL_SFDISK:-}" ] && { printf '\n  sfdisk: cannot open %s: Permission denied\nmore\n' "${*: -1}" >&2; exit 1; }
num=
while [ $# -gt 1 ]; do
    case $1 in -N) num=$2; shift ;; esac
    shift
done
cat >/dev/null
[ -n "$num" ] || exit 0
disk=$F/sys/devices/${1#/dev/}
for p in "$disk"/*/partition; do
    [ "$(cat "$p")" = "$num" ] || continue
    part=${p%/partition}
    echo $(($(cat "$disk/size") - $(cat "$part/start") - 2048)) >"$part/size"
done
EOF
stub partx </dev/null
stub sync </dev/null
# resize2fs /dev/VG/LV, xfs_growfs MOUNT: grown when the LV is larger
# than the filesystem ($F/fs/VG-LV, bytes), as the real ones report it.
stub resize2fs <<'EOF'
vl=${1#/dev/} fs=$F/fs/${vl%/*}-${vl#*/}
lv=$(cat "$F/lvm/${vl%/*}/${vl#*/}.size")
if [ "$lv" -gt "$(cat "$fs")" ]; then
    echo "$lv" >"$fs"
    echo "The filesystem on $1 is now $((lv / 4096)) (4k) blocks long."
else
    echo "The filesystem is already $((lv / 4096)) (4k) blocks long.  Nothing to do!"
fi
EOF
stub xfs_growfs <<'EOF'
fs=$(grep -l "^$1\$" "$F"/fs/*.mount)
fs=${fs%.mount} vl=${fs##*/}
lv=$(cat "$F/lvm/${vl%-*}/${vl#*-}.size")
echo "meta-data=/dev/mapper/$vl isize=512"
if [ "$lv" -gt "$(cat "$fs")" ]; then
    echo "data blocks changed from $(($(cat "$fs") / 4096)) to $((lv / 4096))"
    echo "$lv" >"$fs"
fi
EOF

# The script as the build writes it for CALLS, its paths in the fake tree.
# script CALLS
script() {
    local s=$T/appliance-grow
    sed -e "s|^PATH=/usr/sbin:/usr/bin:/sbin:/bin\$|PATH=$T/bin:/usr/sbin:/usr/bin:/sbin:/bin|" \
        -e "s|^STATE=/var/lib/appliance/grow\$|STATE=\$F/state|" \
        -e "s|</proc/uptime\$|<\"\$F/uptime\"|" \
        -e "s|>/dev/console;|>>\"\$F/console\";|" \
        -e "s| /sys/block/dm-\\*;| \"\$F\"/sys/block/dm-*;|" \
        -e "s|sys=/sys/class/block/|sys=\$F/sys/class/block/|" \
        -e 's|^# @NAME@ @VERSION@: one line per disk$|# t 1: one line per disk|' \
        "$TOP/templates/appliance-grow" |
        CALLS=$1 awk '$0 == "@GROW_CALLS@" { print ENVIRON["CALLS"]; next } { print }' >"$s"
    echo "$s"
}
s=$(script x)
moved=$(grep -c "\$F\|$T/bin\|^x\$\|^# t 1:" "$s")
same "each fixed path of the template is moved into the fake tree" 8 "$moved"
same "no fixed path of the guest's is left" "" \
    "$(grep -n '/sys\|/proc\|/dev/console\|/var/lib' "$s" | grep -v '\$F\|^[0-9]*:#')"

# disk NAME SECTORS: a fake disk; part DISK NUM START SIZE: a partition.
disk() {
    mkdir -p "$F/sys/devices/$1" "$F/sys/class/block"
    echo "$2" >"$F/sys/devices/$1/size"
    printf 'MAJOR=8\nDEVNAME=%s\nDEVTYPE=disk\n' "$1" >"$F/sys/devices/$1/uevent"
    ln -s "../../devices/$1" "$F/sys/class/block/$1"
}
part() {
    local p=$F/sys/devices/$1/$1$2
    mkdir -p "$p"
    echo "$2" >"$p/partition"
    echo "$3" >"$p/start"
    echo "$4" >"$p/size"
    ln -s "../../devices/$1/$1$2" "$F/sys/class/block/$1$2"
}
# vg VG LV FS MOUNT PV [PV...]: an LVM group with one PV (or more) taking
# its whole partition less 1MiB, 4MiB extents, none free; LV takes 1GiB,
# its filesystem as large; dm-N its device, with the PV as its slave.
ndm=0
vg() {
    local d=$F/lvm/$1 e=4194304
    mkdir -p "$d" "$F/fs"
    printf '%s\n' "${@:5}" >"$d/pvs"
    echo $e >"$d/extent"
    local part=$F/sys/class/block/${5##*/} size=0
    [ -r "$part/size" ] && size=$((($(cat "$part/size") * 512 - 1048576) / e * e))
    echo "$size" >"$d/pv_size"
    echo 0 >"$d/free"
    echo 1073741824 >"$d/$2.size"
    echo 1073741824 >"$F/fs/$1-$2"
    echo "$4" >"$F/fs/$1-$2.mount"
    local dm=$F/sys/block/dm-$ndm
    mkdir -p "$dm/dm" "$dm/slaves"
    echo "$1-$2" >"$dm/dm/name"
    if [ -e "$part" ]; then
        ln -s "$(readlink -f "$part")" "$dm/slaves/${5##*/}"
    fi
    ndm=$((ndm + 1))
}
# record VG: the record as the build writes it, of the disk as it is now.
record() {
    local part=$F/sys/class/block/$2
    mkdir -p "$F/state"
    echo "$(cat "$part/../size") $(cat "$part/start") $(cat "$part/size")" >"$F/state/$1"
}

# fresh: an empty fake machine, F.
n=0
fresh() {
    n=$((n + 1))
    export F=$T/m$n
    mkdir -p "$F"
    echo "12.34 5.67" >"$F/uptime"
    : >"$F/log"
    ndm=0
}
# run CALLS: the script; the line it said (times as N), log, status.
run() {
    local s
    s=$(script "$1")
    out=$(sh "$s" 2>&1)
    status=$?
    said=$(printf '%s\n' "$out" | sed 's/, [0-9]* ms$/, N ms/')
    log=$(cat "$F/log")
}
OS="grow 'vg_os' 'root' 'ext4' '/' 'vg_os-root'"
APP="grow 'vg_app' 'data' 'xfs' '/srv' 'vg_app-data'"

# The layout's disks: the OS disk's LVM partition is its 4th and last, the
# app disk's its only one; both end 1MiB before the disk's end.
layout() {
    disk sda 16777216
    part sda 1 2048 2048
    part sda 2 4096 1048576
    part sda 4 2625536 14149632
    disk sdb 4194304
    part sdb 1 2048 4190208
    vg vg_os root ext4 / /dev/sda4
    vg vg_app data xfs /srv /dev/sdb1
}

# 1. Both disks grown by 2GiB since the build recorded them.
fresh
layout
record vg_os sda4
record vg_app sdb1
echo $((16777216 + 4194304)) >"$F/sys/devices/sda/size"
echo $((4194304 + 4194304)) >"$F/sys/devices/sdb/size"
run "$OS
$APP"
same "grown disks: the partition, PV, LV and filesystem of each grown" \
    "pvs --noheadings --nosuffix --units b -o pv_name -S vg_name=vg_os
sfdisk --relocate gpt-bak-std /dev/sda
sfdisk --no-reread --no-tell-kernel -q -N 4 /dev/sda
partx -u --nr 4 /dev/sda
pvs --noheadings --nosuffix --units b -o dev_size,pv_size,vg_extent_size,vg_free_count -S vg_name=vg_os
pvresize /dev/sda4
pvs --noheadings --nosuffix --units b -o pv_size,vg_free_count -S vg_name=vg_os
lvextend -l +512 vg_os/root
lvs --noheadings --nosuffix --units b -o lv_size vg_os/root
resize2fs /dev/vg_os/root
sync
pvs --noheadings --nosuffix --units b -o pv_name -S vg_name=vg_app
sfdisk --relocate gpt-bak-std /dev/sdb
sfdisk --no-reread --no-tell-kernel -q -N 1 /dev/sdb
partx -u --nr 1 /dev/sdb
pvs --noheadings --nosuffix --units b -o dev_size,pv_size,vg_extent_size,vg_free_count -S vg_name=vg_app
pvresize /dev/sdb1
pvs --noheadings --nosuffix --units b -o pv_size,vg_free_count -S vg_name=vg_app
lvextend -l +512 vg_app/data
lvs --noheadings --nosuffix --units b -o lv_size vg_app/data
xfs_growfs /srv
sync" "$log"
same "grown disks: one line each, sizes as grown" \
    "vg_os: +2.0GiB, /dev/sda4 -> 8.7GiB, vg_os/root -> 3.0GiB (ext4 grown), N ms
vg_app: +2.0GiB, /dev/sdb1 -> 4.0GiB, vg_app/data -> 3.0GiB (xfs grown), N ms" "$said"
same "grown disks: exit 0" 0 "$status"
same "grown disks: the records are the disks as grown" \
    "20971520 2625536 18343936 8388608 2048 8384512" "$(cat "$F/state/vg_os" "$F/state/vg_app" | tr '\n' ' ' | sed 's/ $//')"
same "grown disks: the console has the lines too" \
    "appliance-grow: vg_os: +2.0GiB, /dev/sda4 -> 8.7GiB, vg_os/root -> 3.0GiB (ext4 grown), N ms
appliance-grow: vg_app: +2.0GiB, /dev/sdb1 -> 4.0GiB, vg_app/data -> 3.0GiB (xfs grown), N ms" \
    "$(sed 's/, [0-9]* ms$/, N ms/' "$F/console")"

# 2. The same machine booted again: as recorded, sysfs only.
: >"$F/log"
run "$OS
$APP"
same "disks as recorded: no tool runs" "" "$log"
same "disks as recorded: unchanged" "vg_os: unchanged, N ms
vg_app: unchanged, N ms" "$said"

# 3. Unchanged disks without a record: nothing grown, the record written.
fresh
layout
run "$OS
$APP"
same "unchanged disks, no record: no partition, PV or LV grown" \
    "pvs vg_os pv_name
pvs vg_os dev_size,pv_size,vg_extent_size,vg_free_count
resize2fs /dev/vg_os/root
pvs vg_app pv_name
pvs vg_app dev_size,pv_size,vg_extent_size,vg_free_count
xfs_growfs /srv" "$(sed 's/^pvs .* -o \([^ ]*\) -S vg_name=\(.*\)$/pvs \2 \1/' "$F/log")"
same "unchanged disks, no record: unchanged" "vg_os: unchanged, N ms
vg_app: unchanged, N ms" "$said"
same "unchanged disks, no record: recorded as they are" "16777216 2625536 14149632" \
    "$(cat "$F/state/vg_os")"

# 4. Never shrunk: a disk smaller than its record says, and a PV whose
# partition grew by less than an extent.
fresh
layout
record vg_os sda4
echo $((16777216 - 1048576)) >"$F/sys/devices/sda/size"
echo $((4190208 + 4096)) >"$F/sys/devices/sdb/sdb1/size"
echo $((4194304 + 4096)) >"$F/sys/devices/sdb/size"
run "$OS
$APP"
grows=$(grep -E '^(sfdisk|partx|pvresize|lvextend|lvreduce|lvresize|pvmove)' "$F/log")
same "a smaller disk, a PV short of an extent: nothing resized" "" "$grows"
same "a smaller disk, a PV short of an extent: unchanged" "vg_os: unchanged, N ms
vg_app: unchanged, N ms" "$said"
same "a smaller disk: the LV as it was" 1073741824 "$(cat "$F/lvm/vg_os/root.size")"

# 5. Only a PV that is its disk's last partition, the group's only one.
fresh
disk sda 20971520
part sda 1 2048 2048
part sda 4 2625536 14149632
part sda 5 16775168 2048
disk sdb 8388608
disk sdc 8388608
part sdc 1 2048 2048
vg vg_os root ext4 / /dev/sda4
vg vg_app data xfs /srv /dev/sdb /dev/sdc1
vg vg_x data xfs /x /dev/sdb
run "$OS
$APP
grow 'vg_x' 'data' 'xfs' '/x' 'vg_x-data'"
same "not the last partition, two PVs, a whole disk: left alone, said why" \
    "vg_os: not grown: /dev/sda4 is not the last partition of /dev/sda
vg_app: not grown: the group has 2 physical volumes, not one
vg_x: not grown: /dev/sdb is not a partition" "$said"
grows=$(grep -E '^(sfdisk|partx|pvresize|lvextend|resize2fs|xfs_growfs)' "$F/log")
same "not the last partition, two PVs, a whole disk: no tool but pvs runs" "" "$grows"
same "not the last partition, two PVs, a whole disk: nothing recorded" "" \
    "$(ls "$F/state" 2>/dev/null)"

# 6. The plan's own 'not grown' lines, and a call for a group not there.
fresh
layout
run "say 'vg_os: not grown: '\\''grow: false'\\'''
say 'vg_app: not grown: the volume that takes the rest is swap'"
same "the plan's say lines: said, nothing run" \
    "vg_os: not grown: 'grow: false'
vg_app: not grown: the volume that takes the rest is swap|" "$said|$log"

# 7. A failing step: said with the tool's first line, exit 1, and the
# other disk still grown.
fresh
layout
echo $((16777216 + 4194304)) >"$F/sys/devices/sda/size"
echo $((4194304 + 4194304)) >"$F/sys/devices/sdb/size"
FAIL_SFDISK=1 run "$OS"
same "sfdisk fails: said, the first line of its error" \
    "vg_os: not grown: sfdisk --relocate failed: sfdisk: cannot open /dev/sda: Permission denied" \
    "$said"
same "sfdisk fails: exit 1" 1 "$status"
same "sfdisk fails: nothing after it runs, nothing recorded" "sfdisk --relocate gpt-bak-std /dev/sda|" \
    "$(grep -v '^pvs' "$F/log")|$(ls "$F/state" 2>/dev/null)"
: >"$F/log"
FAIL_PVRESIZE=/dev/sdb1 run "$APP
$OS"
same "pvresize fails on one disk: said, the other disk grown, exit 1" \
    "vg_app: not grown: pvresize /dev/sdb1 failed: Cannot resize: device busy
vg_os: +2.0GiB, /dev/sda4 -> 8.7GiB, vg_os/root -> 3.0GiB (ext4 grown), N ms|1" "$said|$status"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
