# appliance: "$@" with /proc, /sys and a private /dev in the tree ($1),
# in a private mount namespace: none of these mounts reaches the host
unset APPLIANCE_NSRUN
R=$1 W=$2
shift 2
for d in proc sys dev; do
    if [ -h "$R/$d" ] || [ ! -d "$R/$d" ]; then
        echo "appliance: '/$d' in the tree is not a folder: refused" >&2
        exit 125
    fi
done
# Root of the host mounts a proc, a sysfs and device nodes of its own;
# root of a user namespace (a build without root: userns.h) may not, and
# binds the host's instead, as mmdebstrap and podman do.
host_root=
read -r inner outer count </proc/self/uid_map
[ "$inner $outer $count" = "0 0 4294967295" ] && host_root=1
api_mounts() {
    if [ -n "$host_root" ]; then
        mount -t proc -o nosuid,nodev,noexec proc "$R/proc" &&
            mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
    else
        mount --rbind /proc "$R/proc" &&
            mount --rbind /sys "$R/sys" &&
            mount -o remount,bind,ro "$R/sys"
    fi &&
        mount --rbind "$R/proc/sys" "$R/proc/sys" &&
        mount -o remount,bind,ro "$R/proc/sys"
}
# $1: name in /dev, $2 $3: the character device's numbers
dev_node() {
    if [ -n "$host_root" ]; then
        mknod -m 666 "$R/dev/$1" c "$2" "$3"
    else
        : >"$R/dev/$1" && mount --bind "/dev/$1" "$R/dev/$1"
    fi
}
# shellcheck disable=SC2015 # the || branch is any step failing, as meant
api_mounts &&
    mount -t tmpfs -o mode=0755,nosuid dev "$R/dev" &&
    dev_node null 1 3 &&
    dev_node zero 1 5 &&
    dev_node full 1 7 &&
    dev_node random 1 8 &&
    dev_node urandom 1 9 &&
    dev_node tty 5 0 &&
    mkdir -m 755 "$R/dev/pts" &&
    mkdir -m 1777 "$R/dev/shm" &&
    ln -s /proc/self/fd "$R/dev/fd" &&
    ln -s /proc/self/fd/0 "$R/dev/stdin" &&
    ln -s /proc/self/fd/1 "$R/dev/stdout" &&
    ln -s /proc/self/fd/2 "$R/dev/stderr" || {
    echo "appliance: cannot mount /proc, /sys and /dev in the tree" >&2
    exit 125
}
if [ "$W" = chroot ]; then
    unset TMPDIR # the host's scratch folder: not in the tree
    exec chroot "$R" "$@"
fi
exec "$@"
