#!/bin/bash
# tier: lifecycle
# The container templates of tests/integration/recipes/container.yaml
# (output `container`), judged by the tools that consume them:
# - two builds (other output folders, TMPDIR, current folder and host
#   name) give the same NAME-VERSION-container.tar and NAME-VERSION-ct.tar.zst, both in
#   SHA256SUMS;
# - GNU tar lists the template's root tree: ./etc/os-release, the
#   recipe's files of both disks, the application disk's mount points,
#   an empty ./boot/ (no vmlinuz, initrd or GRUB), no kernel modules, an
#   fstab without the disks, a dpkg database without the kernel and the
#   add-ons;
# - skopeo reads the OCI archive (inspect, its config's volumes, and a
#   copy, which checks every blob's digest);
# - podman loads it under its own name and runs it: `cat /etc/os-release`
#   with no network, in a podman store of the test's own (vfs, private
#   --root/--runroot/--tmpdir, removed at the end).
# The same from a rootfs: archive with --no-cache (the tree extracted, the
# overlay on a plain folder). And `appliance convert --to container` is
# refused (no tree there).
. "${TOP:-.}/tests/lib/itest.sh"
need python3 tar zstd skopeo podman unshare

recipe=$TOP/tests/integration/recipes/container.yaml
name=ctdemo
tag=1.2
stem=$name-$tag # the files are named NAME-VERSION

# ---- two builds --------------------------------------------------------
build() { # build OUT TMPDIR HOSTNAME
    local out=$1 tmp=$2 host=$3 start=$SECONDS rc
    mkdir -p "$tmp"
    (cd "$tmp" && TMPDIR=$tmp unshare --uts sh -c 'hostname "$1"; shift; exec "$@"' sh "$host" \
        "$APPLIANCE" build "$recipe" -o "$out") >"$out.log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        ok "build into $(basename "$out") ($((SECONDS - start)) s)"
    else
        bad "build into $out (exit $rc)"
        tail -n 20 "$out.log" | sed 's/^/    | /'
    fi
    return "$rc"
}
A=$ITEST_TMP/a B=$ITEST_TMP/b
build "$A" "$ITEST_TMP/tmp-a" ct-one || finish
build "$B" "$ITEST_TMP/tmp-b" ct-two || finish
OCI=$A/$stem-container.tar CT=$A/$stem-ct.tar.zst
for f in "$stem-container.tar" "$stem-ct.tar.zst"; do
    if cmp -s "$A/$f" "$B/$f"; then ok "$f: the same bytes from both builds"
    else
        bad "$f differs between the two builds"
        diff <(tar -tvf "$A/$f" 2>&1) <(tar -tvf "$B/$f" 2>&1) | head -10 | sed 's/^/    | /'
        keep=$ITEST_BUILD/itest/container-differs
        rm -rf "$keep" && mkdir -p "$keep" && cp -a "$A" "$B" "$keep/" && echo "    | kept in $keep"
    fi
    if (cd "$A" && grep -q "  $f\$" SHA256SUMS && grep "  $f\$" SHA256SUMS | sha256sum -c --quiet -)
    then ok "$f: in SHA256SUMS, digest right"
    else bad "$f: not in SHA256SUMS or digest wrong"; fi
done
if ls "$A" | grep -Eq '\.(tmp|raw|vmdk|qcow2)$'; then bad "the folder holds other files: $(ls "$A")"
else ok "the folder holds the templates, SHA256SUMS and the report only"; fi

# ---- the template, by GNU tar ------------------------------------------
if tar --zstd -tf "$CT" >"$ITEST_TMP/ct.list" 2>"$ITEST_TMP/tar.err"; then
    ok "tar lists $stem-ct.tar.zst ($(wc -l <"$ITEST_TMP/ct.list") members)"
else
    bad "tar cannot list $stem-ct.tar.zst: $(head -3 "$ITEST_TMP/tar.err")"
fi
[ -s "$ITEST_TMP/tar.err" ] && bad "tar complained: $(head -3 "$ITEST_TMP/tar.err")"
[ "$(head -1 "$ITEST_TMP/ct.list")" = ./ ] && ok "the template's first member is ./" ||
    bad "the template's first member is $(head -1 "$ITEST_TMP/ct.list")"
for m in ./etc/os-release ./usr/lib/os-release ./etc/motd ./opt/app/ ./opt/app/run.sh \
    ./var/lib/ctdemo/ ./boot/ ./usr/sbin/init ./etc/fstab; do
    grep -qx -- "$m" "$ITEST_TMP/ct.list" && ok "the template holds $m" ||
        bad "the template lacks $m"
done
if grep -E '^\./boot/.' "$ITEST_TMP/ct.list" | head -5 | grep .; then
    bad "./boot is not empty (vmlinuz, initrd or grub above)"
else
    ok "./boot/ is empty: no vmlinuz, initrd or grub"
fi
if grep -Eq '^\./(usr/)?lib/modules/.' "$ITEST_TMP/ct.list"; then
    bad "kernel modules in the template: $(grep -Em3 '^\./(usr/)?lib/modules/.' "$ITEST_TMP/ct.list")"
else
    ok "no kernel modules in the template"
fi
# Each folder's entries in byte order, a folder's contents right after it.
if python3 - "$ITEST_TMP/ct.list" <<'EOF'
import sys
names = open(sys.argv[1], "rb").read().split(b"\n")[:-1]
key = lambda n: n.rstrip(b"/").split(b"/")
sys.exit(0 if names == sorted(names, key=key) else 1)
EOF
then ok "members in byte order, folder by folder"; else bad "members not in order"; fi
fstab=$(tar --zstd -xOf "$CT" ./etc/fstab)
if grep -v '^#' <<<"$fstab" | grep -q .; then bad "fstab mounts something: $fstab"
else ok "fstab names no filesystem"; fi
status=$(tar --zstd -xOf "$CT" ./var/lib/dpkg/status)
for p in open-vm-tools hyperv-daemons qemu-guest-agent linux-image-amd64; do
    if grep -qx "Package: $p" <<<"$status"; then bad "dpkg's status still lists $p"
    else ok "$p purged (not in dpkg's status)"; fi
done
grep -qx "Package: openssh-server" <<<"$status" && ok "dpkg's status lists openssh-server" ||
    bad "dpkg's status has no openssh-server"
if grep -Eq '^\./etc/systemd/system/(open-vm-tools|qemu-guest-agent|hv-kvp-daemon)\.service\.d/' \
    "$ITEST_TMP/ct.list"; then
    bad "the purged add-ons' drop-ins are left"
else
    ok "no drop-in of a purged add-on left"
fi
grep -qx './etc/systemd/system/appliance-lvm.service.d/appliance-container.conf' \
    "$ITEST_TMP/ct.list" && ok "appliance-lvm kept from starting in a container" ||
    bad "no container drop-in for appliance-lvm"

# ---- the OCI archive, by skopeo -----------------------------------------
# As root, skopeo keeps a blob-info cache in /var/lib/containers/cache:
# in a mount namespace of its own, with a folder of the test's over /var/lib
# (it reads only /etc/containers), it leaves nothing on the host.
mkdir -p "$ITEST_TMP/varlib"
sk() {
    unshare --mount --propagation private sh -c 'mount --bind "$0" /var/lib && exec skopeo "$@"' \
        "$ITEST_TMP/varlib" "$@"
}
if sk inspect --config "oci-archive:$OCI" >"$ITEST_TMP/config.json" 2>"$ITEST_TMP/sk.err"
then
    ok "skopeo inspect --config reads the OCI archive"
    judge_cfg=$(python3 - "$ITEST_TMP/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
vols = sorted(c["config"].get("Volumes", {}))
print("volumes=" + ",".join(vols))
print("arch=%s os=%s cmd=%s" % (c["architecture"], c["os"], c["config"]["Cmd"]))
EOF
    )
    grep -qx 'volumes=/opt/app,/var/lib/ctdemo' <<<"$judge_cfg" &&
        ok "the config's volumes: the application disk's mount points" ||
        bad "volumes: $judge_cfg"
    grep -qx "arch=amd64 os=linux cmd=\['/sbin/init'\]" <<<"$judge_cfg" &&
        ok "amd64, linux, Cmd /sbin/init" || bad "config: $judge_cfg"
else
    bad "skopeo inspect: $(head -3 "$ITEST_TMP/sk.err")"
fi
sk inspect "oci-archive:$OCI" >"$ITEST_TMP/inspect.json" 2>"$ITEST_TMP/sk.err" &&
    ok "skopeo inspect reads the image" || bad "skopeo inspect: $(head -3 "$ITEST_TMP/sk.err")"
# Docker's manifest.json beside index.json: the same image as a
# docker-archive (what `docker load` before Docker 25 reads).
# (the image chosen by its RepoTags entry)
if sk inspect "docker-archive:$OCI:$name:$tag" >"$ITEST_TMP/docker.json" 2>"$ITEST_TMP/sk.err" &&
    python3 - "$ITEST_TMP/docker.json" "$ITEST_TMP/config.json" <<'EOF'
import json, sys
d, c = (json.load(open(f)) for f in sys.argv[1:3])
# a docker-archive's layers are named by their uncompressed digests
sys.exit(0 if d["Layers"] == c["rootfs"]["diff_ids"] and d["Architecture"] == "amd64" else 1)
EOF
then
    ok "skopeo reads it as a docker-archive too (manifest.json): $name:$tag, the same layer"
else
    bad "docker-archive: $(head -3 "$ITEST_TMP/sk.err") $(head -c 300 "$ITEST_TMP/docker.json")"
fi
if sk copy --quiet "oci-archive:$OCI" "dir:$ITEST_TMP/copy" 2>"$ITEST_TMP/sk.err"; then
    ok "skopeo copy to a folder (every blob's digest checked)"
else
    bad "skopeo copy: $(head -3 "$ITEST_TMP/sk.err")"
fi

# ---- podman --------------------------------------------------------------
# A store of the test's own; the runtime (crun) needs a cgroup hierarchy it
# understands: where /sys/fs/cgroup is a hybrid (v1 controllers, v2 at
# unified/), podman runs in a mount namespace of its own with cgroup2 alone
# on /sys/fs/cgroup and --cgroups=disabled. Limits above the hard ones (the
# default nofile is 1048576) cannot be set without CAP_SYS_RESOURCE: the
# container gets this shell's. Like skopeo, podman keeps a blob-info cache
# in /var/lib/containers: a folder of the test's is bound over /var/lib.
P=$ITEST_TMP/podman
mkdir -p "$P/tmp" "$P/varlib"
cat >"$P/run.sh" <<EOF
set -e
if [ "\$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && [ -d /sys/fs/cgroup/unified ]; then
    umount -l /sys/fs/cgroup
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
fi
mount --bind "$P/varlib" /var/lib
exec podman --root "$P/root" --runroot "$P/run" --tmpdir "$P/tmp" --storage-driver vfs \\
    --cgroup-manager cgroupfs --events-backend none "\$@"
EOF
pod() { unshare --mount --propagation private sh "$P/run.sh" "$@"; }
limits=()
for l in nofile:n:1024 nproc:u:4096; do
    opt=${l#*:} opt=${opt%:*} want=${l##*:} hard=$(ulimit -H"$opt")
    [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ] && want=$hard
    limits+=(--ulimit "${l%%:*}=$want:$want")
done
if pod load -i "$OCI" >"$ITEST_TMP/load.out" 2>&1; then
    ok "podman load -i $stem-container.tar"
else
    bad "podman load: $(tail -3 "$ITEST_TMP/load.out")"
fi
grep -q "Loaded image.*localhost/$name:$tag" "$ITEST_TMP/load.out" &&
    ok "loaded as localhost/$name:$tag (the index's ref.name)" ||
    bad "podman named it: $(grep -i loaded "$ITEST_TMP/load.out")"
vols=$(pod image inspect --format '{{json .Config.Volumes}}' "localhost/$name:$tag" 2>&1)
grep -q '"/opt/app"' <<<"$vols" && grep -q '"/var/lib/ctdemo"' <<<"$vols" &&
    ok "podman sees the volumes: $vols" || bad "podman's volumes: $vols"
if pod run --rm --network none --cgroups=disabled "${limits[@]}" "localhost/$name:$tag" \
    cat /etc/os-release >"$ITEST_TMP/run.out" 2>&1; then
    ok "podman run --network none IMAGE cat /etc/os-release"
    grep -qx 'ID=debian' "$ITEST_TMP/run.out" && grep -qx 'VERSION_ID="12"' "$ITEST_TMP/run.out" &&
        ok "the container says Debian 12" || bad "os-release: $(head -3 "$ITEST_TMP/run.out")"
else
    bad "podman run: $(tail -3 "$ITEST_TMP/run.out")"
fi
if pod run --rm --network none --cgroups=disabled "${limits[@]}" "localhost/$name:$tag" \
    sh -c 'cat /opt/app/run.sh >/dev/null && ls /var/lib/ctdemo >/dev/null && ! ls /boot/vmlinuz* 2>/dev/null' \
    >"$ITEST_TMP/run2.out" 2>&1; then
    ok "in the container: the application's files on their volume, no kernel in /boot"
else
    bad "in the container: $(tail -3 "$ITEST_TMP/run2.out")"
fi

# ---- an extracted tree ---------------------------------------------------
# --no-cache extracts the tree instead of overlaying the cache's: the
# container's overlay then lies on a plain folder. A rootfs: archive (the
# cache's Debian tree) keeps mmdebstrap out of it; its kernel is purged by
# the tree's dpkg all the same.
. "$TOP/tests/lib/rootfs.sh"
R=$ITEST_TMP/rootfs
mkdir -p "$R"
if rootfs_base_tar "$R/base.tar"; then
    sed -e 's/^  distro: debian-12$/  rootfs: base.tar/' -e '/^addons:/d' -e '/^files:/,$d' \
        "$recipe" >"$R/r.yaml"
    echo 'outputs: [container]' >>"$R/r.yaml"
    start=$SECONDS
    if "$APPLIANCE" build --no-cache "$R/r.yaml" -o "$R/out" >"$R/log" 2>&1; then
        ok "rootfs: build --no-cache ($((SECONDS - start)) s)"
        ! grep -q 'under an overlay' "$R/log" && ok "the tree was extracted, not overlaid" ||
            bad "the tree was overlaid: $(grep -m1 'under an overlay' "$R/log")"
        tar --zstd -tf "$R/out/$stem-ct.tar.zst" >"$R/list" 2>/dev/null
        grep -qx ./etc/os-release "$R/list" && grep -qx ./boot/ "$R/list" &&
            ! grep -Eq '^\./boot/.|^\./(usr/)?lib/modules/.' "$R/list" &&
            ok "rootfs: the template has os-release, an empty /boot, no modules" ||
            bad "rootfs: the template: $(grep -Em3 '^\./boot/.|lib/modules/.' "$R/list")"
        sk inspect --config "oci-archive:$R/out/$stem-container.tar" >/dev/null 2>&1 &&
            ok "rootfs: skopeo reads the OCI archive" || bad "rootfs: skopeo cannot read it"
    else
        bad "rootfs: build --no-cache failed"
        tail -n 20 "$R/log" | sed 's/^/    | /'
    fi
fi
rm -rf "$R"

# ---- convert cannot write it --------------------------------------------
out=$("$APPLIANCE" convert "$A" -o "$ITEST_TMP/conv" --to container 2>&1)
rc=$?
[ "$rc" -eq 2 ] && grep -q "output 'container' is made from the configured root tree" <<<"$out" &&
    ok "convert --to container refused (exit 2)" || bad "convert --to container: exit $rc: $out"
finish
