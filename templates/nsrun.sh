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
# shellcheck disable=SC2015 # the || branch is any step failing, as meant
mount -t proc -o nosuid,nodev,noexec proc "$R/proc" &&
    mount --bind "$R/proc/sys" "$R/proc/sys" &&
    mount -o remount,bind,ro "$R/proc/sys" &&
    mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys" &&
    mount -t tmpfs -o mode=0755,nosuid dev "$R/dev" &&
    mknod -m 666 "$R/dev/null" c 1 3 &&
    mknod -m 666 "$R/dev/zero" c 1 5 &&
    mknod -m 666 "$R/dev/full" c 1 7 &&
    mknod -m 666 "$R/dev/random" c 1 8 &&
    mknod -m 666 "$R/dev/urandom" c 1 9 &&
    mknod -m 666 "$R/dev/tty" c 5 0 &&
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
