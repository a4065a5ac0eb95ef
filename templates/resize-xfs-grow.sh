# appliance resize: xfs_growfs of the xfs filesystem at byte $2 of the raw
# image $1, $3 bytes long, mounted at $4 through a loop device, in this
# private mount namespace: the mount (and with it the loop device, which
# mount(8) sets to clear itself) goes away when the namespace ends,
# however it ends. Prints "unmountable" and exits 0 when it cannot be
# mounted here, for the caller to grow it elsewhere.
img=$1 off=$2 size=$3 mnt=$4
if ! mount -t xfs -o "loop,offset=$off,sizelimit=$size,nouuid" "$img" "$mnt"; then
    echo unmountable
    exit 0
fi
if ! xfs_growfs -d "$mnt"; then
    umount "$mnt"
    exit 1
fi
umount "$mnt"
