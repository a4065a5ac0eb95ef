#!/bin/bash
# tier: lifecycle
# Hostile `rootfs:` archives: folders of the tree are symbolic links out of
# it (absolute, relative `../../..`, a chain of two, at etc/systemd, etc/ssh,
# usr/libexec, opt/app where `files:` lands, etc/sudoers.d, var/lib/dbus),
# all aimed at a DECOY folder of this test, which the builder would write
# into if it followed them on the host. The recipe has a user with a key,
# `files:` and `run:` lines. Whatever a build's exit status, the decoy
# (every file's hash, mode and type) and the host's mount table are the
# same afterwards, and no mount under this test's folder is ever seen in
# the host's mount namespace while the build runs. A build either succeeds
# with the writes inside the image (read back with guestfish) or fails
# with a clear error.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/rootfs.sh"
need python3 tar guestfish findmnt

work=$ITEST_TMP/hostile
mkdir -p "$work/t"
work=$(cd "$work" && pwd -P)
# Builds keep their scratch folders (appliance-XXXXXX/tree) in $work/t, so
# that from a folder of the tree at depth d, d+2 times `..` on the host is
# $work/t, where the decoy lies: tree/etc/../../../decoy = $work/t/decoy.
# Inside the tree the same link stops at its root: /decoy.
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}
export TMPDIR=$work/t
decoy=$TMPDIR/decoy
mkdir -p "$decoy"/{systemd/system,ssh,libexec,app,sudoers.d,dbus,proc}
echo "host unit" >"$decoy/systemd/system/keep.service"
echo "host key" >"$decoy/ssh/ssh_host_rsa_key"
echo "host sshd" >"$decoy/ssh/sshd_config"
echo "host tool" >"$decoy/libexec/keep"
echo "host app" >"$decoy/app/keep"
echo "host sudo" >"$decoy/sudoers.d/keep"
echo "0123456789abcdef0123456789abcdef" >"$decoy/dbus/machine-id"
echo "host proc" >"$decoy/proc/keep"

decoy_state() {
    (cd "$decoy" && find . -printf '%p %y %m %s %l\n' | sort &&
        find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
mounts() { findmnt -rn -o TARGET,FSTYPE,SOURCE | sort; }
decoy_before=$(decoy_state)
mounts >"$work/mounts-before"

# build NAME: builds $work/NAME.yaml into $work/out-NAME, watching the host's
# mount table for anything under $work; sets rc.
build() {
    # A cache of its own: the hostile trees never enter the shared one.
    "$APPLIANCE" build "$work/$1.yaml" -o "$work/out-$1" --cache-dir "$work/cache" \
        >"$work/$1.out" 2>"$work/$1.err" &
    local pid=$!
    : >"$work/$1.seen"
    while kill -0 "$pid" 2>/dev/null; do
        findmnt -rn -o TARGET | grep -F "$work" >>"$work/$1.seen"
        sleep 0.5
    done
    wait "$pid"
    rc=$?
}

# check NAME: what holds whatever the build's status.
check() {
    [ "$(decoy_state)" = "$decoy_before" ] && ok "$1: the decoy is unchanged" ||
        bad "$1: the decoy changed: $(diff <(echo "$decoy_before") <(decoy_state) | head -5)"
    if [ -s "$work/$1.seen" ]; then
        bad "$1: mounts under the test's folder in the host's namespace: $(sort -u "$work/$1.seen" | head -3)"
    else
        ok "$1: nothing mounted under the tree in the host's namespace during the build"
    fi
    # Other tests and builds on this machine may mount in their own folders
    # meanwhile (another itest.XXXXXX or appliance-XXXXXX): not this build's.
    local changed
    changed=$(diff "$work/mounts-before" <(mounts) | grep '^[<>]' |
        while read -r side target rest; do
            case $target in
            "$work" | "$work"/*) echo "$side $target $rest" ;;
            */itest.??????/* | */appliance-??????/*) echo "note: ignored $side $target" >&2 ;;
            *) echo "$side $target $rest" ;;
            esac
        done)
    [ -z "$changed" ] && ok "$1: the host's mount table is unchanged" ||
        bad "$1: the host's mount table changed: $changed"
}

# The hostile tree: the cached Debian root with etc/systemd, etc/ssh and
# usr/libexec moved to /decoy/... inside the tree and linked from their
# places, var/lib/dbus and etc/sudoers.d linked out of it (dangling inside).
rootfs_base_tar "$work/base.tar" || finish
python3 - "$work/base.tar" "$work/hostile.tar" "$decoy" <<'PY'
import sys, tarfile
src, dst, decoy = sys.argv[1:]
moved = {"etc/systemd": "decoy/systemd", "etc/ssh": "decoy/ssh", "usr/libexec": "decoy/libexec"}
dropped = ("var/lib/dbus", "etc/sudoers.d", "opt/app")
def rename(name):
    n = name[2:] if name.startswith("./") else name
    for old, new in moved.items():
        if n == old or n.startswith(old + "/"):
            return new + n[len(old):]
    return n
with tarfile.open(src, "r:") as t, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as out:
    for m in t:
        n = m.name[2:] if m.name.startswith("./") else m.name
        if any(n == d or n.startswith(d + "/") for d in dropped):
            continue
        m.name = rename(m.name)
        if m.islnk():
            m.linkname = rename(m.linkname)
        out.addfile(m, t.extractfile(m) if m.isreg() else None)
    def d(name):
        i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = 0o755; return i
    def link(name, target):
        i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; return i
    def f(name, data):
        import io
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = 0o600
        out.addfile(i, io.BytesIO(data))
    out.addfile(d("decoy")); out.addfile(d("decoy/app"))
    f("decoy/ssh/ssh_host_ed25519_key", b"planted host key\n")
    out.addfile(link("etc/systemd", "../../../decoy/systemd"))        # relative, 3 up
    out.addfile(link("etc/ssh", "../../../decoy/ssh"))
    out.addfile(link("usr/libexec", "../opt/chain"))                  # a chain of two
    out.addfile(link("opt/chain", "../../../decoy/libexec"))
    out.addfile(link("opt/app", "../../../decoy/app"))                # where files: lands
    out.addfile(link("etc/sudoers.d", decoy + "/sudoers.d"))          # absolute
    out.addfile(link("var/lib/dbus", decoy + "/dbus"))
PY
[ $? = 0 ] && ok "hostile archive made" || { bad "cannot make the hostile archive"; finish; }
rm -f "$work/base.tar"

mkdir -p "$work/payload"
echo "hello from files:" >"$work/payload/hello.txt"
echo "motd from files:" >"$work/motd"
write_recipe() { # NAME ARCHIVE
    cat >"$work/$1.yaml" <<YAML
recipe: 1
name: $1
version: "1"
os: { rootfs: $2 }
hardware: { firmware: bios }
disks:
  os:
    size: 4GiB
    boot: 256MiB
    volumes:
      - { name: root, mount: /, size: rest }
  app:
    size: 256MiB
    volumes:
      - { name: data, mount: /srv/data, size: rest }
users:
  - name: tester
    ssh_authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHv5aXAmPlEAbTUqg3u1XlZ0sDZnG9dZ7P3b2G4dXqfT t@h"]
files:
  - { src: payload/, dest: /opt/app/, owner: "tester:tester", mode: "0750" }
  - { src: motd, dest: /etc/systemd/hostile-motd }
run:
  - echo ran > /etc/systemd/hostile-run
  - mountpoint -q /proc && mountpoint -q /sys && test -c /dev/null && echo ok > /etc/hostile-mounts
outputs: [raw]
YAML
}

write_recipe hostile hostile.tar
scratch_before=$(ls -A "$TMPDIR" | wc -l)
build hostile
check hostile
[ "$(ls -A "$TMPDIR" | wc -l)" = "$scratch_before" ] && ok "hostile: no scratch folder left" ||
    bad "hostile: scratch left in \$TMPDIR: $(ls "$TMPDIR")"
if [ "$rc" = 0 ]; then
    ok "hostile: the build succeeds, the links resolved inside the tree"
    export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
    # One answer per line, in this order (guestfish prints true/false and
    # the files' text).
    got=$(guestfish --ro -a "$work/out-hostile/hostile-1-os.raw" -a "$work/out-hostile/hostile-1-app.raw" \
        -i <<'GF' 2>"$work/gf.err"
is-file /decoy/systemd/system/appliance-lvm.service
is-file /decoy/libexec/appliance/console-report
is-file /decoy/app/hello.txt
is-file /decoy/systemd/hostile-motd
cat /decoy/systemd/hostile-run
cat /etc/hostile-mounts
is-file /home/tester/.ssh/authorized_keys
exists /decoy/ssh/ssh_host_ed25519_key
is-file /decoy/ssh/sshd_config
readlink /etc/systemd
GF
    )
    got=$(sed '/^[[:space:]]*$/d' <<<"$got") # cat's files end in a newline of their own
    # unit, script, files: folder, files: file, run line, mounts, key,
    # planted host key (removed), sshd_config (kept), the link itself
    want="true
true
true
true
ran
ok
true
false
true
../../../decoy/systemd"
    [ "$got" = "$want" ] && ok "hostile: every write landed inside the image (units, script, files:, run:, keys, hygiene)" ||
        bad "hostile: the image differs: $(diff <(echo "$want") <(echo "$got")) $(tail -3 "$work/gf.err")"
else
    if grep -q "in the tree\|symbolic link" "$work/hostile.err"; then
        ok "hostile: fails with a clear error: $(grep -m1 'error:' "$work/hostile.err")"
    else
        bad "hostile: status $rc, unclear: $(tail -5 "$work/hostile.err")"
    fi
fi
rm -rf "$work/out-hostile" "$work/hostile.tar"

# /proc as a link out of the tree: refused before anything is mounted. A
# small tree is enough, the refusal comes at the first chroot.
python3 - "$work/proc.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as out:
    for n in ("etc", "boot", "dev", "sys", "tmp", "usr", "usr/share"):
        i = tarfile.TarInfo(n); i.type = tarfile.DIRTYPE; i.mode = 0o755; out.addfile(i)
    i = tarfile.TarInfo("boot/vmlinuz-6.1.0-1-amd64"); i.size = 1
    out.addfile(i, io.BytesIO(b"k"))
    i = tarfile.TarInfo("proc"); i.type = tarfile.SYMTYPE; i.linkname = "../../decoy/proc"
    out.addfile(i)
PY
cat >"$work/proc.yaml" <<'YAML'
recipe: 1
name: proc
version: "1"
os: { rootfs: proc.tar }
hardware: { firmware: bios }
disks:
  os:
    size: 4GiB
    boot: 256MiB
    volumes:
      - { name: root, mount: /, size: rest }
  app:
    size: 256MiB
    volumes:
      - { name: data, mount: /srv/data, size: rest }
run:
  - "true"
outputs: [raw]
YAML
build proc
check proc
[ "$rc" = 1 ] && ok "proc link: the build fails with status 1" || bad "proc link: status $rc, want 1"
grep -q "'/proc' in the tree is a symbolic link, not a folder" "$work/proc.err" &&
    ok "proc link: refused: $(grep -m1 'error:' "$work/proc.err")" ||
    bad "proc link: unclear message: $(tail -3 "$work/proc.err")"
finish
