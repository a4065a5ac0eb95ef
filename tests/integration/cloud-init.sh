#!/bin/bash
# tier: vm
# Cloud-ready disks: a build with the azure and gce outputs carries
# cloud-init with the Azure, GCE and NoCloud datasources, a build without
# them does not, and the cloud build provisions itself from a NoCloud seed.
#
# 1. The plans: tests/integration/recipes/cloud.yaml (outputs raw, azure,
#    gce) has cloud-init with "Azure, GCE, NoCloud, None" and Azure's
#    earlyprintk; the same recipe with outputs [qcow2] has neither, nor
#    with `cloud: false`; `cloud: true` turns it on for qcow2 alone.
# 2. One cloud build (the same packages as bios-only.yaml); its azure VHDs
#    and GCE archives are written. The comparison without cloud-init is the
#    bios-only build that boot.sh makes too (its outputs: raw).
# 3. The cloud build booted (SeaBIOS, virtio-scsi, qcow2 overlays of its
#    raw disks) with a NoCloud seed made here: a FAT image labelled CIDATA
#    (mkfs.vfat, mcopy) holding meta-data (instance id, host name
#    'cloudtest') and user-data (a fresh ed25519 key). The console must
#    show cloud-init's NoCloud datasource, the prompt 'cloudtest login:',
#    and cloud-init's table of the default user's authorized keys with the
#    key's SHA-256 fingerprint.
# 4. guestfish, read-only, on the overlay the boot wrote to: cloud-init
#    installed, its configuration (datasource_list, growpart and resizefs
#    off, network left to the image), the initramfs with the clouds'
#    drivers, GRUB's command line, and what the boot did: /etc/hostname
#    'cloudtest' and the key in /home/debian/.ssh/authorized_keys. Then
#    guestfish on the bios-only OS disk: no cloud-init, no /etc/cloud.
# Under TCG the boot takes 2-5 minutes (cloud-init is Python); the serial
# log is kept in $BUILD/test-logs/integration-cloud-init.serial.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/boot.sh"

need python3 qemu-system-x86_64 qemu-img guestfish mkfs.vfat mcopy ssh-keygen
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
logs=$ITEST_BUILD/test-logs
mkdir -p "$logs"
RECIPE=$TOP/tests/integration/recipes/cloud.yaml

# ---- 1. the plans ------------------------------------------------------------

# plan_cloud RECIPE: the plan's cloud-init datasources and command line.
plan_cloud() {
    "$APPLIANCE" plan --json "$1" | python3 -c 'import json,sys
o = json.load(sys.stdin)["os"]
c = o.get("cloud_init")
print("cloud-init", "off" if not c or not c["enabled"] else ",".join(c["datasource_list"] or ["default"]))
print("cmdline", o["kernel_cmdline"])'
}
check_plan() { # RECIPE WANT_CLOUD WANT_EARLYPRINTK(yes|no) WHAT
    local got
    got=$(plan_cloud "$1") || { bad "$4: plan --json"; return; }
    if grep -qx "cloud-init $2" <<<"$got"; then ok "$4: cloud-init $2"; else bad "$4: want cloud-init $2, got: $got"; fi
    if grep -q 'earlyprintk=ttyS0' <<<"$got"; then
        [ "$3" = yes ] && ok "$4: earlyprintk=ttyS0 on the command line" || bad "$4: earlyprintk=ttyS0 without azure: $got"
    else
        [ "$3" = no ] && ok "$4: no earlyprintk" || bad "$4: no earlyprintk=ttyS0 with azure: $got"
    fi
}
check_plan "$RECIPE" "Azure,GCE,NoCloud,None" yes "outputs raw azure gce"
variant() { # NAME SED-EXPRESSION...: a copy of the cloud recipe, changed
    local out=$ITEST_TMP/$1.yaml
    shift
    sed "$@" "$RECIPE" >"$out" && echo "$out"
}
check_plan "$(variant qcow2 -e 's/^outputs: .*/outputs: [qcow2]/')" off no "outputs qcow2"
check_plan "$(variant gce -e 's/^outputs: .*/outputs: [qcow2, gce]/')" "GCE,NoCloud,None" no "outputs qcow2 gce"
check_plan "$(variant off -e '$a cloud: false')" off no "cloud: false"
check_plan "$(variant on -e 's/^outputs: .*/outputs: [qcow2]/' -e '$a cloud: true')" default no \
    "outputs qcow2, cloud: true"

# ---- 2. the builds -----------------------------------------------------------

itest_build "$RECIPE" || finish
CLOUD_OS=$IMG_OS CLOUD_APP=$IMG_APP
dir=$(dirname "$CLOUD_OS")
for f in "$STEM-os.vhd" "$STEM-app.vhd" "$STEM-os.tar.gz" "$STEM-app.tar.gz"; do
    [ -s "$dir/$f" ] && ok "the build wrote $f" || bad "the build wrote $f"
done

# ---- 3. a boot with a NoCloud seed ------------------------------------------

seed=$ITEST_TMP/seed.img
ssh-keygen -q -t ed25519 -N '' -C cloud-init-test -f "$ITEST_TMP/key" || { bad "ssh-keygen"; finish; }
pub=$(cat "$ITEST_TMP/key.pub")
# cloud-init's table shows the key's SHA-256 in hex, colon-separated.
fpr=$(python3 -c 'import base64,hashlib,sys
h = hashlib.sha256(base64.b64decode(sys.argv[1].split()[1])).hexdigest()
print(":".join(h[i:i + 2] for i in range(0, len(h), 2)))' "$pub")
printf 'instance-id: appliance-cloud-init-test\nlocal-hostname: cloudtest\n' >"$ITEST_TMP/meta-data"
printf '#cloud-config\nssh_authorized_keys:\n  - %s\n' "$pub" >"$ITEST_TMP/user-data"
if mkfs.vfat -n CIDATA -C "$seed" 1024 >/dev/null &&
    mcopy -i "$seed" "$ITEST_TMP/meta-data" "$ITEST_TMP/user-data" ::; then
    ok "a NoCloud seed: FAT labelled CIDATA with meta-data and user-data"
else
    bad "make the NoCloud seed"; finish
fi

log=$ITEST_TMP/cloud.serial
ov_os=$ITEST_TMP/cloud-os.qcow2 ov_app=$ITEST_TMP/cloud-app.qcow2
qemu-img create -q -f qcow2 -b "$CLOUD_OS" -F raw "$ov_os" &&
    qemu-img create -q -f qcow2 -b "$CLOUD_APP" -F raw "$ov_app" || { bad "qcow2 overlays"; finish; }
# Done when cloud-init's final stage has run and the login prompt is up.
if BOOT_SNAPSHOT=no BOOT_SEED=$seed BOOT_REPORT_END='Cloud-init v\. .* finished at' \
    boot_images bios scsi "$ov_os" "$ov_app" "$log" "${CLOUD_BOOT_TIMEOUT:-900}"; then
    ok "boots with the seed until cloud-init's final stage and a login prompt"
else
    bad "boots with the seed until cloud-init's final stage and a login prompt"
fi
cp "$log" "$logs/integration-cloud-init.serial" && echo "# serial log: $logs/integration-cloud-init.serial"
console() { sed -e 's/\r//g' "$log" | grep -aE -- "$1"; }
expect_console() { # DESCRIPTION PATTERN
    if console "$2" >/dev/null; then ok "console: $1"; else bad "console: $1 (no line matching '$2')"; fi
}
expect_console "cloud-init ran from the NoCloud seed" 'DataSourceNoCloud'
if console 'Invalid cloud-config provided' >/dev/null; then
    bad "console: cloud-init found its configuration invalid (schema)"
else
    ok "console: cloud-init's configuration passes its schema"
fi
expect_console "the report of the appliance's own services" 'APPLIANCE-REPORT-END'
expect_console "the login prompt has the seed's host name" '^cloudtest login:'
expect_console "cloud-init lists the default user's authorized keys" \
    'Authorized keys from /home/debian/\.ssh/authorized_keys for user debian'
expect_console "the seed's key is among them (SHA-256 $fpr)" "$fpr"

# ---- 4. what is in the disk, and what the boot wrote -----------------------

cat >"$ITEST_TMP/script" <<'EOF'
echo "@@ cloud-init"
is-file /usr/bin/cloud-init
echo "@@ cfg"
cat /etc/cloud/cloud.cfg.d/95_appliance.cfg
echo "@@ hostname"
cat /etc/hostname
echo "@@ keys"
cat /home/debian/.ssh/authorized_keys
echo "@@ default-grub"
cat /etc/default/grub
echo "@@ grub"
cat /boot/grub/grub.cfg
echo "@@ vf"
cat /etc/systemd/network/70-appliance-azure-vf.network
echo "@@ host-keys"
glob-expand /etc/ssh/ssh_host_*_key
echo "@@ end"
EOF
# The initramfs, for lsinitramfs, in the same launch.
mkdir -p "$ITEST_TMP/initrd" && echo "glob copy-out /boot/initrd.img-* $ITEST_TMP/initrd" >>"$ITEST_TMP/script"
gf() { # ANSWERS IMAGE FORMAT [COMMANDS on stdin]
    local out=$1
    shift
    guestfish --ro -i --format="$2" -a "$1" >"$out" 2>"$ITEST_TMP/gf.err"
}
answer() { awk -v n="@@ $2" '$0 == n {on = 1; next} /^@@ / {on = 0} on' "$1"; }
expect() { # ANSWERS NAME DESCRIPTION GREP-PATTERN
    if answer "$1" "$2" | grep -qE -- "$4"; then ok "$3"; else bad "$3: got '$(answer "$1" "$2" | head -5)'"; fi
}

A=$ITEST_TMP/cloud.answers
if gf "$A" "$ov_os" qcow2 <"$ITEST_TMP/script"; then
    ok "guestfish reads the cloud disk after its boot"
    expect "$A" cloud-init "cloud-init is installed" '^true$'
    expect "$A" cfg "its datasources: Azure, GCE, NoCloud" '^datasource_list: \[ Azure, GCE, NoCloud, None \]$'
    expect "$A" cfg "cloud-init's growpart is off (appliance-grow grows the disks)" '^  mode: "off"$'
    expect "$A" cfg "cloud-init's resizefs is off" '^resize_rootfs: false$'
    expect "$A" cfg "cloud-init leaves the network to the image" '^  config: disabled$'
    expect "$A" hostname "the boot set /etc/hostname from the seed" '^cloudtest$'
    if answer "$A" keys | grep -qxF -- "$pub"; then
        ok "the boot installed the seed's key for the default user"
    else
        bad "the boot installed the seed's key for the default user: got '$(answer "$A" keys | head -3)'"
    fi
    expect "$A" default-grub "/etc/default/grub has Azure's earlyprintk" 'earlyprintk=ttyS0'
    expect "$A" grub "grub.cfg boots with console=ttyS0 and earlyprintk" 'console=ttyS0,115200( [^ ]+)* earlyprintk=ttyS0'
    expect "$A" vf "Azure's accelerated networking VF is left to hv_netvsc" '^Unmanaged=yes$'
    expect "$A" host-keys "cloud-init made the instance's ed25519 host key" '^/etc/ssh/ssh_host_ed25519_key$'
    if answer "$A" host-keys | grep -qx /etc/ssh/ssh_host_dsa_key; then
        bad "no DSA host key: got '$(answer "$A" host-keys | tr '\n' ' ')'"
    else
        ok "no DSA host key"
    fi
    initrd=$(ls "$ITEST_TMP"/initrd/initrd.img-* 2>/dev/null | head -n 1)
    if ! command -v lsinitramfs >/dev/null; then
        skip "the initramfs's drivers: lsinitramfs (initramfs-tools-core) is not installed"
    elif [ -n "$initrd" ] && lsinitramfs "$initrd" >"$ITEST_TMP/initrd.list"; then
        for m in hv_vmbus hv_storvsc hv_netvsc mana virtio_scsi virtio_net gve nvme; do
            if grep -qE "/$m\.ko(\.[a-z]+)?$" "$ITEST_TMP/initrd.list"; then
                ok "the initramfs has $m"
            else
                bad "the initramfs has $m"
            fi
        done
    else
        bad "guestfish copied the initramfs out and lsinitramfs read it"
    fi
else
    bad "guestfish reads the cloud disk: $(tail -5 "$ITEST_TMP/gf.err")"
fi
rm -f "$ov_os" "$ov_app"

# ---- the same packages without a cloud output: no cloud-init ---------------

if itest_build "$TOP/tests/integration/recipes/bios-only.yaml"; then
    B=$ITEST_TMP/plain.answers
    printf '%s\n' 'echo "@@ cloud-init"' 'is-file /usr/bin/cloud-init' 'echo "@@ etc-cloud"' \
        'is-dir /etc/cloud' 'echo "@@ curl"' 'is-file /usr/bin/curl' 'echo "@@ end"' >"$ITEST_TMP/script2"
    if gf "$B" "$IMG_OS" raw <"$ITEST_TMP/script2"; then
        expect "$B" curl "bios-only (outputs raw) has the same packages (curl)" '^true$'
        expect "$B" cloud-init "bios-only has no cloud-init" '^false$'
        expect "$B" etc-cloud "bios-only has no /etc/cloud" '^false$'
    else
        bad "guestfish reads the bios-only disk: $(tail -5 "$ITEST_TMP/gf.err")"
    fi
fi

finish
