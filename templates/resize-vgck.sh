# appliance resize: vgck of the volume group $4 whose PV is at byte $2 of
# the raw image $1, $3 bytes long, through a read-only loop device that
# lvm2 alone is shown (a filter that admits it only, no devices file, no
# locking, no backups: nothing of the host's is read or written), detached
# however this ends. Prints "no-loop" and exits 0 when no loop device can
# be had, for the caller to say so.
img=$1 off=$2 size=$3 vg=$4
if ! loop=$(losetup -r -f --show -o "$off" --sizelimit "$size" "$img"); then
    echo no-loop
    exit 0
fi
trap 'losetup -d "$loop"' EXIT
trap 'exit 130' INT TERM HUP
cfg="devices { filter=[\"a|^$loop\$|\",\"r|.*|\"] global_filter=[\"a|^$loop\$|\",\"r|.*|\"]"
cfg="$cfg scan=[\"/dev\"] use_devicesfile=0 } backup { backup=0 archive=0 }"
cfg="$cfg global { use_lvmlockd=0 }"
LVM_SUPPRESS_FD_WARNINGS=1 vgck --config "$cfg" "$vg"
