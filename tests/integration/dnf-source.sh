#!/bin/bash
# tier: lifecycle
# The dnf source (CentOS family) against real local repositories: small
# noarch RPMs named like the packages a real build installs, built here
# with rpmbuild and indexed with createrepo_c (the CentOS mirrors are not
# reachable from this machine). The OS stage runs alone through
# tests/helpers/os-fetch.c (os_source_for(plan)->fetch(), the build's own
# code path), on a recipe whose `mirror:` is the local repository. Judged
# from outside with tar, rpm --root and the build log:
#  - BaseOS/ + AppStream/ with groups: @core resolved from comps, the
#    package list, a dependency, nothing else; markers in the archive;
#    the rpm database where EL9's rpm reads it (/var/lib/rpm, sqlite)
#  - dnf ran with --installroot on the scratch root, the private reposdir
#    and dnf.conf, --nogpgcheck for the unsigned local repository
#  - the dracut configuration was in the root before the packages (a
#    scriptlet saw it), and /proc and /dev/null were there for
#    scriptlets, yet neither mounts nor dnf's cache/logs are left
#  - the host's /etc/yum.repos.d and /etc/dnf untouched
#  - a single repository without groups: no @core
#  - aarch64: BaseOS/aarch64/os/ and AppStream/aarch64/os/ of a mirror
#    laid out by architecture, --forcearch=aarch64, grub2-efi-aa64 and
#    shim-aa64 (no grub2-pc)
#  - the cache key: stable, and changed by one package or a new index
#  - errors: a missing package (dnf's own words), a mirror without a
#    repository (recipe position), signed metadata keeps GPG checks on
#    (unsigned packages are then refused)
. "${TOP:-.}/tests/lib/itest.sh"

need rpmbuild createrepo_c dnf rpm unshare tar cc pkg-config
[ "$(id -u)" = 0 ] || { echo "SKIP: the dnf source installs as root (chroot scriptlets, mounts)"; exit 77; }
if ! unshare --mount --propagation private true 2>/dev/null; then
    echo "SKIP: cannot make a mount namespace here (unshare --mount)"; exit 77
fi

T=$ITEST_TMP
LIB=$ITEST_BUILD/libappliance.a
[ -f "$LIB" ] || { bad "$LIB is not built (run make)"; finish; }

# ---- the helper ------------------------------------------------------------
FETCH=$T/os-fetch
if cc -std=gnu11 -D_GNU_SOURCE -I"$TOP/include" -o "$FETCH" "$TOP/tests/helpers/os-fetch.c" \
    "$LIB" $(pkg-config --libs yaml-0.1 json-c libcrypto libarchive libguestfs) \
    >"$T/cc.log" 2>&1; then
    ok "os-fetch helper built against $(basename "$LIB")"
else
    bad "os-fetch helper does not build: $(tail -n 5 "$T/cc.log")"; finish
fi

# ---- the packages ----------------------------------------------------------
# mkrpm NAME [REQUIRES] [FILES-EXTRA] [INSTALL-EXTRA] [SCRIPTLET]
mkrpm() {
    local name=$1 requires=${2:-} files=${3:-} install=${4:-} scriptlet=${5:-}
    cat >"$T/spec/$name.spec" <<EOF
Name: $name
Version: 1.0
Release: 1.el9
Summary: appliance test stand-in for $name
License: MIT
BuildArch: noarch
${requires:+Requires: $requires}
%description
A stand-in named like the real package, for the dnf source's test.
%install
mkdir -p %{buildroot}/usr/share/appliance-test
echo $name > %{buildroot}/usr/share/appliance-test/$name
$install
$scriptlet
%files
/usr/share/appliance-test/$name
$files
EOF
    rpmbuild -bb --quiet --define "_topdir $T/rpmbuild" "$T/spec/$name.spec" \
        >>"$T/rpmbuild.log" 2>&1
}

# A Lua scriptlet (rpm runs it chrooted, no shell needed) records what a
# real package's scriptlets would find in the root.
read -r -d '' SCRIPTLET <<'EOF'
%post -p <lua>
local f = io.open("/usr/share/appliance-test/scriptlet-saw", "w")
f:write("dev/null ", tostring(posix.stat("/dev/null", "type")), "\n")
f:write("proc ", tostring(posix.stat("/proc/self/stat", "type")), "\n")
f:write("dracut ", tostring(posix.stat("/etc/dracut.conf.d/appliance.conf", "type")), "\n")
f:close()
EOF

BASEOS=(centos-stream-release kernel dracut lvm2 device-mapper grub2-pc grub2-pc-modules
    grub2-efi-x64 grub2-efi-x64-modules shim-x64 NetworkManager openssh-server xfsprogs
    e2fsprogs dosfstools util-linux glibc-langpack-it unrequested-extra)
# aarch64's boot packages, in the aarch64 mirror beside x86_64's.
ARM_BOOT=(grub2-efi-aa64 grub2-efi-aa64-modules shim-aa64)
APPSTREAM=(open-vm-tools hyperv-daemons qemu-guest-agent nginx)
mkdir -p "$T/spec" "$T/rpmbuild"
built=0
for p in "${BASEOS[@]}" "${APPSTREAM[@]}" "${ARM_BOOT[@]}"; do
    case $p in
    lvm2) mkrpm "$p" device-mapper ;;
    *) mkrpm "$p" ;;
    esac && built=$((built + 1))
done
# filesystem owns the mount points, as the real one does; setup (also in
# @core only) carries the scriptlet.
mkrpm filesystem "" $'%dir %attr(0555,root,root) /proc\n%dir %attr(0755,root,root) /dev' \
    'mkdir -p %{buildroot}/proc %{buildroot}/dev' && built=$((built + 1))
mkrpm setup "" "" "" "$SCRIPTLET" && built=$((built + 1))
want_built=$((${#BASEOS[@]} + ${#APPSTREAM[@]} + ${#ARM_BOOT[@]} + 2))
if [ "$built" -eq "$want_built" ]; then
    ok "rpmbuild made $built stand-in packages"
else
    tail -n 20 "$T/rpmbuild.log"
    echo "SKIP: rpmbuild cannot build noarch packages here ($built of $want_built)"; exit 77
fi
RPMS=$T/rpmbuild/RPMS/noarch

cat >"$T/comps.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE comps PUBLIC "-//CentOS//DTD Comps info//EN" "comps.dtd">
<comps>
  <group>
    <id>core</id>
    <name>Core</name>
    <description>Smallest possible installation</description>
    <default>true</default>
    <uservisible>false</uservisible>
    <packagelist>
      <packagereq type="mandatory">filesystem</packagereq>
      <packagereq type="mandatory">setup</packagereq>
    </packagelist>
  </group>
</comps>
EOF

# Mirror 1: REPO/BaseOS (with groups) and REPO/AppStream.
REPO=$T/mirror
mkdir -p "$REPO/BaseOS" "$REPO/AppStream"
for p in "${BASEOS[@]}" filesystem setup; do cp "$RPMS/$p"-1.0-1.el9.noarch.rpm "$REPO/BaseOS/"; done
for p in "${APPSTREAM[@]}"; do cp "$RPMS/$p"-1.0-1.el9.noarch.rpm "$REPO/AppStream/"; done
if createrepo_c -q -g "$T/comps.xml" "$REPO/BaseOS" >"$T/createrepo.log" 2>&1 &&
    createrepo_c -q "$REPO/AppStream" >>"$T/createrepo.log" 2>&1; then
    ok "createrepo_c indexed BaseOS (with the core group) and AppStream"
else
    cat "$T/createrepo.log"; echo "SKIP: createrepo_c cannot index here"; exit 77
fi

# ---- the recipe ------------------------------------------------------------
# recipe FILE MIRROR PACKAGES [ARCH]
recipe() {
    cat >"$1" <<EOF
recipe: 1
name: dnf-source
version: "1"
hardware: {arch: ${4:-x86_64}}
os:
  distro: centos-stream-9
  mirror: $2
  locale: it_IT.UTF-8
  packages: [$3]
disks:
  os:
    size: 4GiB
    volumes:
      - { name: root, mount: /, size: rest }
  app:
    size: 1GiB
    volumes:
      - { name: app, mount: /opt/app, size: rest }
EOF
}

# The host's dnf configuration, before.
host_state() {
    { ls -la /etc/yum.repos.d 2>&1; find /etc/dnf -type f -exec sha256sum {} + 2>&1 | sort; } |
        sha256sum
}
host_before=$(host_state)

# fetch NAME RECIPE: runs the OS stage into $T/NAME/{scratch,root.tar,log}.
fetch() {
    local d=$T/$1
    mkdir -p "$d/scratch"
    "$FETCH" "$2" "$d/scratch" "$d/root.tar" "$d/log" >"$d/out" 2>"$d/err"
}

# ---- BaseOS + AppStream with groups ---------------------------------------
recipe "$T/main.yaml" "file://$REPO/" nginx
start=$SECONDS
if fetch main "$T/main.yaml"; then
    ok "the OS stage made a root tree from the local mirror ($((SECONDS - start)) s)"
else
    bad "the OS stage failed: $(cat "$T/main/err")"; tail -n 20 "$T/main/log"; finish
fi
grep -qx 'source dnf' "$T/main/out" && ok "os_source_for picks the dnf source" ||
    bad "os_source_for picked: $(head -n 1 "$T/main/out")"

WANT=(filesystem setup centos-stream-release kernel dracut lvm2 device-mapper grub2-pc
    grub2-pc-modules grub2-efi-x64 grub2-efi-x64-modules shim-x64 NetworkManager
    openssh-server xfsprogs e2fsprogs dosfstools util-linux open-vm-tools hyperv-daemons
    qemu-guest-agent glibc-langpack-it nginx)
tar -tf "$T/main/root.tar" | sed 's|^\./||' | sort >"$T/main/list"
missing=()
for p in "${WANT[@]}"; do
    grep -qx "usr/share/appliance-test/$p" "$T/main/list" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && ok "the archive holds the marker of each of the ${#WANT[@]} packages" ||
    bad "markers missing from the archive: ${missing[*]}"
grep -qx 'usr/share/appliance-test/unrequested-extra' "$T/main/list" &&
    bad "a package nobody asked for is in the archive" ||
    ok "a package nobody asked for is not in the archive"

X=$T/main/extracted
mkdir -p "$X"
tar --numeric-owner -xpf "$T/main/root.tar" -C "$X"
printf '%s\n' "${WANT[@]}" | sort >"$T/main/want"
rpm --root="$X" --dbpath=/var/lib/rpm -qa --qf '%{NAME}\n' 2>"$T/main/rpm.err" | sort >"$T/main/got"
if [ -s "$T/main/got" ] && diff -u "$T/main/want" "$T/main/got" >"$T/main/rpm.diff"; then
    ok "rpm --root lists exactly the ${#WANT[@]} expected packages (@core from comps, a dependency)"
else
    bad "rpm --root -qa differs from the expected set: $(cat "$T/main/rpm.diff" "$T/main/rpm.err")"
fi
[ -f "$X/var/lib/rpm/rpmdb.sqlite" ] && [ ! -e "$X/root/.rpmdb" ] &&
    ok "the rpm database is /var/lib/rpm/rpmdb.sqlite, where EL9's rpm reads it" ||
    bad "the rpm database is not at /var/lib/rpm: $(find "$X" -name 'rpmdb*' -o -name Packages | head)"

# The dracut configuration, as given, in the tree; and in the root before
# the packages were installed (the scriptlet saw it).
cat >"$T/dracut.want" <<'EOF'
hostonly="no"
add_dracutmodules+=" lvm "
add_drivers+=" vmw_pvscsi mptspi vmxnet3 hv_storvsc hv_vmbus hv_netvsc virtio_blk virtio_scsi virtio_net ahci ata_piix e1000 "
EOF
if [ -f "$X/etc/dracut.conf.d/appliance.conf" ] &&
    diff -u "$T/dracut.want" <(grep -v '^#' "$X/etc/dracut.conf.d/appliance.conf") >"$T/dracut.diff"; then
    ok "/etc/dracut.conf.d/appliance.conf: generic, LVM, every hypervisor's drivers"
else
    bad "the dracut configuration is missing or differs: $(cat "$T/dracut.diff" 2>/dev/null)"
fi
saw=$(cat "$X/usr/share/appliance-test/scriptlet-saw" 2>/dev/null)
grep -qx 'dracut regular' <<<"$saw" &&
    ok "the dracut configuration was in the root before the packages' scriptlets ran" ||
    bad "a scriptlet did not see the dracut configuration: '$saw'"
grep -qx "dev/null character device" <<<"$saw" && grep -qx "proc regular" <<<"$saw" &&
    ok "scriptlets ran with /proc and a /dev/null device in the root" ||
    bad "scriptlets did not find /proc and /dev/null: '$saw'"
leftover=$(grep -E '^(dev|proc)/.' "$T/main/list" | head -n 3)
[ -z "$leftover" ] && ok "the archive has /proc and /dev empty (the mounts were dnf's alone)" ||
    bad "the archive holds mounted content: $leftover"
if grep -q "$T/main/scratch" /proc/self/mountinfo; then
    bad "mounts are left under the scratch folder: $(grep "$T/main/scratch" /proc/self/mountinfo)"
else
    ok "no mounts are left under the scratch folder"
fi
stray=$(grep -E '^var/cache/dnf/.|^var/log/(dnf.*|hawkey)\.log$' "$T/main/list" | head -n 3)
[ -z "$stray" ] && ok "dnf's cache and logs are not in the archive" ||
    bad "dnf's cache or logs are in the archive: $stray"
[ ! -e "$T/main/scratch/root" ] && ok "the installed root is removed once packed" ||
    bad "the installed root is left in the scratch folder"

# The command line, from the log.
S=$(cd "$T/main/scratch" && pwd -P)
dnfline=$(grep -m1 '^+ \[private mounts\] dnf ' "$T/main/log")
for want in "--installroot=$S/root" "--setopt=reposdir=$S/repos" "--config=$S/dnf.conf" \
    --releasever=9 --forcearch=x86_64 --noplugins --setopt=install_weak_deps=False \
    --setopt=tsflags=nodocs --nogpgcheck " install @core centos-stream-release kernel "; do
    grep -qF -- "$want" <<<"$dnfline" && ok "dnf ran with '${want# }'" ||
        bad "dnf's command line lacks '$want': $dnfline"
done
grep -qF -- '[private mounts]' <<<"$dnfline" &&
    ok "dnf ran in a private mount namespace" || bad "dnf ran without its own mount namespace"
cat >"$T/repo.want" <<EOF
# written by appliance for centos-stream-9: read by this build's dnf only

[baseos]
name=CentOS Stream 9 - BaseOS
baseurl=file://$REPO/BaseOS/
enabled=1
# an unsigned local repository (no repodata/repomd.xml.asc): the
# builder's own packages, installed without GPG checks
gpgcheck=0

[appstream]
name=CentOS Stream 9 - AppStream
baseurl=file://$REPO/AppStream/
enabled=1
# an unsigned local repository (no repodata/repomd.xml.asc): the
# builder's own packages, installed without GPG checks
gpgcheck=0
EOF
diff -u "$T/repo.want" "$S/repos/appliance.repo" >"$T/repo.diff" &&
    ok "the private .repo file names BaseOS and AppStream of the mirror, gpgcheck=0" ||
    bad "the .repo file differs: $(cat "$T/repo.diff")"
[ "$(host_state)" = "$host_before" ] && ok "the host's /etc/yum.repos.d and /etc/dnf are untouched" ||
    bad "the host's dnf configuration changed"

# ---- one repository, no groups --------------------------------------------
ONE=$T/one
mkdir -p "$ONE"
for p in "${BASEOS[@]}" "${APPSTREAM[@]}" filesystem setup; do
    cp "$RPMS/$p"-1.0-1.el9.noarch.rpm "$ONE/"
done
createrepo_c -q "$ONE" >"$T/createrepo.log" 2>&1
recipe "$T/one.yaml" "file://$ONE" nginx
if fetch one "$T/one.yaml"; then
    mkdir -p "$T/one/x" && tar --numeric-owner -xpf "$T/one/root.tar" -C "$T/one/x"
    rpm --root="$T/one/x" --dbpath=/var/lib/rpm -qa --qf '%{NAME}\n' | sort >"$T/one/got"
    grep -vx -e filesystem -e setup "$T/main/want" >"$T/one/want"
    diff -u "$T/one/want" "$T/one/got" >"$T/one/diff" &&
        ok "a single repository without groups: no @core, the rest installed" ||
        bad "single repository: $(cat "$T/one/diff")"
    grep -q 'install centos-stream-release ' "$T/one/log" &&
        ok "without groups dnf is not asked for @core" || bad "dnf was asked for @core without groups"
else
    bad "the OS stage failed on a single repository: $(cat "$T/one/err")"
fi

# ---- aarch64: BaseOS/aarch64/os/ -------------------------------------------
# A mirror laid out as CentOS's is, by architecture, holding x86_64's boot
# packages too: an aarch64 recipe takes the aarch64 repositories, dnf is
# forced to aarch64 (noarch stand-ins: rpm runs the Lua scriptlet itself,
# no qemu-user needed), and GRUB and shim are aarch64's, no grub2-pc.
ARM=$T/mirror-arm
mkdir -p "$ARM/BaseOS/aarch64/os" "$ARM/AppStream/aarch64/os"
for p in "${BASEOS[@]}" "${ARM_BOOT[@]}" filesystem setup; do
    cp "$RPMS/$p"-1.0-1.el9.noarch.rpm "$ARM/BaseOS/aarch64/os/"
done
for p in "${APPSTREAM[@]}"; do cp "$RPMS/$p"-1.0-1.el9.noarch.rpm "$ARM/AppStream/aarch64/os/"; done
createrepo_c -q -g "$T/comps.xml" "$ARM/BaseOS/aarch64/os" >"$T/createrepo.log" 2>&1 &&
    createrepo_c -q "$ARM/AppStream/aarch64/os" >>"$T/createrepo.log" 2>&1 ||
    bad "createrepo_c indexes the aarch64 mirror: $(cat "$T/createrepo.log")"
recipe "$T/arm.yaml" "file://$ARM/" nginx aarch64
if fetch arm "$T/arm.yaml"; then
    mkdir -p "$T/arm/x" && tar --numeric-owner -xpf "$T/arm/root.tar" -C "$T/arm/x"
    rpm --root="$T/arm/x" --dbpath=/var/lib/rpm -qa --qf '%{NAME}\n' | sort >"$T/arm/got"
    { grep -vx -e grub2-pc -e grub2-pc-modules -e grub2-efi-x64 -e grub2-efi-x64-modules \
        -e shim-x64 "$T/main/want"; printf '%s\n' "${ARM_BOOT[@]}"; } | sort >"$T/arm/want"
    diff -u "$T/arm/want" "$T/arm/got" >"$T/arm/diff" &&
        ok "aarch64: exactly the expected packages, grub2-efi-aa64 and shim-aa64, no grub2-pc" ||
        bad "aarch64: rpm --root -qa differs: $(cat "$T/arm/diff")"
    S=$(cd "$T/arm/scratch" && pwd -P)
    grep -m1 '^+ \[private mounts\] dnf ' "$T/arm/log" | grep -qF -- --forcearch=aarch64 &&
        ok "aarch64: dnf ran with --forcearch=aarch64" ||
        bad "aarch64: dnf's command line: $(grep -m1 '^+ \[private mounts\] dnf ' "$T/arm/log")"
    grep -qx "baseurl=file://$ARM/BaseOS/aarch64/os/" "$S/repos/appliance.repo" &&
        grep -qx "baseurl=file://$ARM/AppStream/aarch64/os/" "$S/repos/appliance.repo" &&
        ok "aarch64: the .repo file names BaseOS/aarch64/os/ and AppStream/aarch64/os/" ||
        bad "aarch64: the .repo file: $(grep baseurl "$S/repos/appliance.repo")"
else
    bad "the OS stage failed for aarch64: $(cat "$T/arm/err")"; tail -n 20 "$T/arm/log"
fi

# ---- the cache key ---------------------------------------------------------
key() { "$FETCH" "$1" | sed -n 's/^key //p'; }
k1=$(key "$T/main.yaml") k2=$(key "$T/main.yaml")
recipe "$T/more.yaml" "file://$REPO/" "nginx, less"
k3=$(key "$T/more.yaml")
[ -n "$k1" ] && [ "$k1" = "$k2" ] && ok "the cache key is stable ($k1)" || bad "cache key unstable: '$k1' '$k2'"
[ -n "$k3" ] && [ "$k3" != "$k1" ] && ok "one more package changes the cache key" ||
    bad "one more package left the cache key at '$k3'"
touch "$T/comps.xml" && createrepo_c -q --update -g "$T/comps.xml" --revision 2 "$REPO/BaseOS" >/dev/null 2>&1
k4=$(key "$T/main.yaml")
[ -n "$k4" ] && [ "$k4" != "$k1" ] && ok "a re-indexed local repository changes the cache key" ||
    bad "a new repository index left the cache key at '$k4'"

# ---- errors ----------------------------------------------------------------
recipe "$T/missing.yaml" "file://$REPO/" "nginx, no-such-package"
if fetch missing "$T/missing.yaml"; then
    bad "a package the mirror lacks did not fail the OS stage"
else
    rc=$?
    err=$(cat "$T/missing/err")
    [ "$rc" = 1 ] && ok "a package the mirror lacks fails with status 1" || bad "status $rc for a missing package"
    grep -q "while installing centos-stream-9 with dnf: 'dnf' failed (exit 1): " <<<"$err" &&
        grep -qx 'Error: Unable to find a match: no-such-package' <<<"$err" &&
        ok "the error names the stage and dnf's own words" ||
        bad "the error does not say what dnf said"
    sed 's/^/  | /' <<<"$err"
fi

mkdir -p "$T/empty"
recipe "$T/empty.yaml" "file://$T/empty/" nginx
if "$FETCH" "$T/empty.yaml" >/dev/null 2>"$T/empty.err"; then
    bad "a mirror without a repository was accepted"
else
    grep -q "^$T/empty.yaml:7:11: error: mirror 'file://$T/empty/' holds no package repository" \
        "$T/empty.err" && ok "a mirror without a repository is refused at its recipe position" ||
        bad "mirror without repository: $(cat "$T/empty.err")"
fi

# Signed metadata keeps GPG checking on, with the official key; these
# packages are not signed, so dnf must refuse them (offline: no key fetch).
SIGNED=$T/signed
cp -a "$ONE" "$SIGNED"
echo "not a real signature" >"$SIGNED/repodata/repomd.xml.asc"
recipe "$T/signed.yaml" "file://$SIGNED/" nginx
if fetch signed "$T/signed.yaml"; then
    bad "unsigned packages were installed from a mirror with signed metadata"
else
    grep -qx 'gpgcheck=1' "$T/signed/scratch/repos/appliance.repo" &&
        grep -qx 'gpgkey=https://www.centos.org/keys/RPM-GPG-KEY-CentOS-Official' \
            "$T/signed/scratch/repos/appliance.repo" &&
        ! grep -q -- '--nogpgcheck' "$T/signed/log" &&
        ok "signed metadata: gpgcheck=1 with the CentOS key, and unsigned packages refused" ||
        bad "signed metadata did not keep GPG checks on: $(cat "$T/signed/err")"
    echo "  dnf said: $(tail -n 1 "$T/signed/err")"
fi

finish
