#!/bin/bash
# tier: lifecycle
# appliance deploy, on an output folder that moved since it was built
# (NAME.xml names its qcow2 disks by their old paths), judged by libvirt:
#  - libvirt's in-process test driver (test:///default, no daemon): the
#    domain defined with the disks where they are now, started; a name
#    taken, a running domain, a missing disk, an unreachable host refused
#  - a real libvirtd (qemu:///session) started here as an unprivileged
#    user: the domain defined and started under qemu (software emulation,
#    as KVM is not usable here) with user-mode networking (a session has
#    no network 'default'), checked with virsh; a second deploy refused
#    (name taken, then disks in use), --replace keeping the UUID.
# The fixture is made here: qcow2 disks from qemu-img, a domain XML like
# the libvirt output (q35, virtio disks, network 'default'), a
# build-report.json with the name.
. "${TOP:-.}/tests/lib/itest.sh"

need qemu-img virsh
name=demo

# make_folder DIR: an output folder as export.h lays it out, built
# somewhere else (/build/output/demo-1.0).
make_folder() {
    mkdir -p "$1"
    qemu-img create -q -f qcow2 "$1/$name-os.qcow2" 64M &&
        qemu-img create -q -f qcow2 "$1/$name-app.qcow2" 32M || return 1
    echo "{\"appliance\": \"0.1.0\", \"name\": \"$name\", \"version\": \"1.0\"}" >"$1/build-report.json"
    cat >"$1/$name.xml" <<EOF
<domain type='kvm'>
  <name>$name</name>
  <uuid>3e4f9a0c-1b7d-4c5e-9f21-6a8b0c2d4e6f</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/build/output/demo-1.0/$name-os.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/build/output/demo-1.0/$name-app.qcow2'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
  </devices>
</domain>
EOF
}

# run STATUS DESCRIPTION -- COMMAND...: out/err in $ITEST_TMP/out, err.
run() {
    local want=$1 what=$2
    shift 3
    "$@" >"$ITEST_TMP/out" 2>"$ITEST_TMP/err"
    local got=$?
    if [ "$got" = "$want" ]; then ok "$what"; else
        bad "$what (exit $got, want $want)"; cat "$ITEST_TMP/out" "$ITEST_TMP/err"
    fi
}
has() { # FILE REGEX DESCRIPTION
    grep -Eq -- "$2" "$ITEST_TMP/$1" && ok "$3" || { bad "$3: no '$2' in"; cat "$ITEST_TMP/$1"; }
}

# ---- libvirt's test driver ----
dir=$ITEST_TMP/moved/$name
make_folder "$dir" || { bad "fixture"; finish; }
run 0 "deploy to test:///default" -- "$APPLIANCE" deploy "$dir" --connect test:///default --start
has out "^defined domain '$name' on test:///default$" "defined"
has out "^  disk  vda   $dir/$name-os\.qcow2$" "vda points at the folder's OS disk"
has out "^  disk  vdb   $dir/$name-app\.qcow2$" "vdb points at the folder's app disk"
has out "^  uuid  3e4f9a0c-1b7d-4c5e-9f21-6a8b0c2d4e6f$" "the UUID of NAME.xml"
has out "^started domain '$name'$" "started"
if grep -q "software emulation (type 'qemu')" "$ITEST_TMP/err"; then
    has out "^  type  qemu$" "type qemu, as KVM cannot run a guest here"
else
    has out "^  type  kvm$" "type kvm, as KVM can run a guest here"
fi
run 0 "deploy under another name" -- "$APPLIANCE" deploy "$dir" -c test:///default --name other
has out "^defined domain 'other' on test:///default$" "defined as 'other'"
grep -q "3e4f9a0c" "$ITEST_TMP/out" && bad "renamed domain kept the UUID" || ok "renamed domain gets a new UUID"
run 1 "a name taken is refused" -- "$APPLIANCE" deploy "$dir" -c test:///default --name test
has err "a domain named 'test' already exists on test:///default \(--replace redefines it" "says how to replace"
run 1 "a running domain is not replaced" -- "$APPLIANCE" deploy "$dir" -c test:///default --name test --replace
has err "domain 'test' is running on test:///default: shut it down" "says it is running"
mv "$dir/$name-app.qcow2" "$ITEST_TMP/"
run 1 "a missing disk is refused" -- "$APPLIANCE" deploy "$dir" -c test:///default
has err "disk 'vdb' of '.*/$name\.xml' is '$name-app\.qcow2', which is not in '$dir'" "names the missing disk"
mv "$ITEST_TMP/$name-app.qcow2" "$dir/"
mkdir -p "$ITEST_TMP/empty"
run 1 "a folder without NAME.xml is refused" -- "$APPLIANCE" deploy "$ITEST_TMP/empty" -c test:///default
has err "has no libvirt domain XML" "says there is no domain XML"
run 1 "an unreachable host" -- "$APPLIANCE" deploy "$dir" -c "qemu+unix:///system?socket=$ITEST_TMP/none"
has err "cannot connect to 'qemu\+unix:///system\?socket=.*': Failed to connect socket" "libvirt's own message"
run 2 "no folder is a usage error" -- "$APPLIANCE" deploy -c test:///default
run 2 "two folders are a usage error" -- "$APPLIANCE" deploy a b

# ---- a real libvirtd: qemu:///session, as an unprivileged user ----
if ! command -v libvirtd >/dev/null || ! command -v qemu-system-x86_64 >/dev/null; then
    echo "# libvirtd or qemu-system-x86_64 missing (libvirt-daemon, libvirt-daemon-driver-qemu): real daemon not tried"
    bad "libvirtd and qemu-system-x86_64 are installed"
    finish
fi
home=$ITEST_TMP/session
mkdir -p "$home/run"
# The command prefix that runs something as the session's user, in a
# home of its own (an array: the daemon is started without a subshell, so
# that $! is its pid).
as_user=(env -i PATH="$PATH" HOME="$home" XDG_RUNTIME_DIR="$home/run"
    XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" XDG_DATA_HOME="$home/data")
if [ "$(id -u)" = 0 ]; then
    # root's qemu:///session is the system daemon: run as nobody instead.
    command -v setpriv >/dev/null ||
        { skip "a real session libvirtd: setpriv is not installed (util-linux)"; finish; }
    chmod 711 "$ITEST_TMP"
    chown -R 65534:65534 "$home"
    as_user+=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
chmod 700 "$home/run"
user() { "${as_user[@]}" "$@"; }
sdir=$home/moved/$name
user bash -c "$(declare -f make_folder); name=$name; make_folder $sdir" || { bad "session fixture"; finish; }
"${as_user[@]}" libvirtd --timeout=120 >"$ITEST_TMP/libvirtd.log" 2>&1 &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; itest_cleanup' EXIT
for _ in $(seq 100); do [ -S "$home/run/libvirt/libvirt-sock" ] && break; sleep 0.1; done
[ -S "$home/run/libvirt/libvirt-sock" ] && ok "libvirtd started (pid $daemon)" ||
    { bad "libvirtd did not start"; cat "$ITEST_TMP/libvirtd.log"; finish; }
vsh() { user virsh -q -c qemu:///session "$@"; }

start=$SECONDS
run 0 "deploy --start on qemu:///session" -- user "$APPLIANCE" deploy "$sdir" -c qemu:///session --start
echo "# deploy --start: $((SECONDS - start)) s"
has out "^started domain '$name'$" "started on the session daemon"
has err "network 'default' is not available on qemu:///session .*user-mode networking" "user-mode networking"
[ "$(vsh domstate $name)" = running ] && ok "virsh: $name is running" || bad "virsh: $name is $(vsh domstate $name)"
vsh dumpxml --inactive $name >"$ITEST_TMP/dump.xml"
has dump.xml "^<domain type='qemu'>" "virsh: type qemu"
has dump.xml "<source file='$sdir/$name-os\.qcow2'/>" "virsh: the OS disk where the folder is"
has dump.xml "<source file='$sdir/$name-app\.qcow2'/>" "virsh: the app disk where the folder is"
has dump.xml "<interface type='user'>" "virsh: user-mode NIC"
run 1 "the same name again is refused" -- user "$APPLIANCE" deploy "$sdir" -c qemu:///session
run 1 "the same disks under another name are refused" -- user "$APPLIANCE" deploy "$sdir" -c qemu:///session --name twin
has err "'$sdir/$name-os\.qcow2' is already a disk of domain '$name' on qemu:///session" "names the domain using the disk"
run 1 "a running domain is not replaced" -- user "$APPLIANCE" deploy "$sdir" -c qemu:///session --replace
uuid=$(vsh domuuid $name)
vsh destroy $name >/dev/null
run 0 "--replace redefines a stopped domain" -- user "$APPLIANCE" deploy "$sdir" -c qemu:///session --replace
has out "^redefined domain '$name' on qemu:///session$" "redefined"
[ "$(vsh domuuid $name)" = "$uuid" ] && ok "the UUID is kept ($uuid)" || bad "the UUID changed"
vsh undefine $name >/dev/null && ok "virsh undefine" || bad "virsh undefine"

finish
