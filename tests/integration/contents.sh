#!/bin/bash
# tier: lifecycle
# What a build put inside the image, read from outside with guestfish (one
# read-only launch, filesystems mounted by the image's own fstab):
# the recipe's customisation (hostname, timezone, kernel command line,
# users with groups, password hash and SSH key, files: copies with owner and
# mode, run: lines in order), the add-ons' hypervisor conditions, network by
# DHCP on any Ethernet interface, fstab by UUID, and clone hygiene (empty
# machine-id, no SSH host keys, a first-boot key service).
. "${TOP:-.}/tests/lib/itest.sh"
need python3 guestfish

itest_build "$TOP/tests/integration/recipes/custom.yaml" || finish
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}

# Each answer is preceded by a line "@@ NAME".
cat >"$ITEST_TMP/script" <<'EOF'
echo "@@ hostname"
cat /etc/hostname
echo "@@ hosts"
cat /etc/hosts
echo "@@ timezone"
cat /etc/timezone
echo "@@ localtime"
readlink /etc/localtime
echo "@@ motd"
cat /etc/motd
echo "@@ run2"
cat /etc/appliance-run-2
echo "@@ keys"
cat /home/admin/.ssh/authorized_keys
echo "@@ shadow"
cat /etc/shadow
echo "@@ group"
cat /etc/group
echo "@@ app"
ll /opt/app
echo "@@ machine-id-size"
filesize /etc/machine-id
echo "@@ dbus-machine-id"
readlink /var/lib/dbus/machine-id
echo "@@ host-keys"
glob-expand /etc/ssh/ssh_host_*
echo "@@ keygen-unit"
cat /etc/systemd/system/appliance-ssh-host-keys.service
echo "@@ vmware-condition"
cat /etc/systemd/system/open-vm-tools.service.d/appliance-hypervisor.conf
echo "@@ kvm-condition"
cat /etc/systemd/system/qemu-guest-agent.service.d/appliance-hypervisor.conf
echo "@@ network"
cat /etc/systemd/network/80-appliance-dhcp.network
echo "@@ fstab"
cat /etc/fstab
echo "@@ grub"
cat /boot/grub/grub.cfg
echo "@@ end"
EOF
start=$SECONDS
if guestfish --ro -i -a "$IMG_OS" -a "$IMG_APP" <"$ITEST_TMP/script" >"$ITEST_TMP/answers" \
    2>"$ITEST_TMP/gf.err"; then
    ok "guestfish reads the image ($((SECONDS - start)) s)"
else
    bad "guestfish failed: $(tail -5 "$ITEST_TMP/gf.err")"
    finish
fi

# answer NAME: the lines after "@@ NAME" up to the next "@@".
answer() { awk -v n="@@ $1" '$0 == n {on = 1; next} /^@@ / {on = 0} on' "$ITEST_TMP/answers"; }
expect() { # NAME DESCRIPTION GREP-PATTERN
    if answer "$1" | grep -qE -- "$3"; then ok "$2"; else bad "$2: got '$(answer "$1" | head -5)'"; fi
}
expect_not() { # NAME DESCRIPTION GREP-PATTERN
    if answer "$1" | grep -qE -- "$3"; then bad "$2: got '$(answer "$1" | head -5)'"; else ok "$2"; fi
}

expect hostname "hostname is the short name" '^custom$'
expect hosts "/etc/hosts names the full hostname" '127\.0\.1\.1.*custom\.example\.org custom'
expect timezone "timezone is Europe/Rome" '^Europe/Rome$'
expect localtime "/etc/localtime points at the zone" '^/usr/share/zoneinfo/Europe/Rome$'
expect motd "files: copied /etc/motd" '^welcome to the custom appliance$'
expect run2 "run: lines ran in order" '^run line 2 saw line 1$'
expect keys "admin's SSH key installed" '^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHv5'
expect shadow "admin's password hash set" '^admin:\$6\$demo\.salt\$8gKakK9A'
expect group "admin is in sudo" '^sudo:x:[0-9]+:(.*,)?admin(,|$)'
expect group "admin is in the new group operators" '^operators:x:[0-9]+:(.*,)?admin(,|$)'
expect app "files: copied a folder, owner admin (uid 1000)" 'run\.sh'
expect app "files: folder owner is admin (uid 1000)" '^d[rwx-]{9} +[0-9]+ +1000 .* \.$'
expect app "files: folder mode 0750" '^drwxr-x---.* \.$'
expect machine-id-size "/etc/machine-id is empty" '^0$'
expect dbus-machine-id "/var/lib/dbus/machine-id links to it" '^/etc/machine-id$'
expect_not host-keys "no SSH host keys in the image" 'ssh_host_'
expect keygen-unit "host keys made on first boot, before sshd" 'Before=ssh.service'
expect vmware-condition "open-vm-tools starts only on VMware" '^ConditionVirtualization=vmware$'
expect kvm-condition "the guest agent starts only on KVM/QEMU" '^ConditionVirtualization=\|kvm$'
expect network "DHCP on every Ethernet interface" '^Type=ether$'
expect_not fstab "fstab names no /dev/sdX" '^/dev/(sd|vd|hd)'
if answer fstab | grep -v '^#' | grep -v '^$' | grep -qv '^UUID='; then
    bad "fstab: every entry by UUID: $(answer fstab | grep -v '^#' | grep -v '^UUID=')"
else
    ok "fstab: every entry by UUID"
fi
expect grub "kernel command line: consoles and the recipe's" 'console=tty0 console=ttyS0,115200 no_timer_check quiet'
expect grub "root on the LVM volume" 'root=/dev/mapper/vg_os-root'
finish
