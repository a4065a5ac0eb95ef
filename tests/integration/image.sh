#!/bin/bash
# tier: lifecycle
# timeout: 3600
# The tool's own OCI image (make image, issue 21) run as a pipeline runs
# it: by a user the test creates, under rootless podman, without
# privilege. Judged:
#  - image/build.sh writes an OCI archive that skopeo reads (its config:
#    the entrypoint /usr/bin/appliance, the working folder /work) and that
#    rootless podman loads;
#  - in a container with podman's default capabilities (no CAP_SYS_ADMIN,
#    so the build maps a namespace of its own inside the container's
#    two-line map), and again with only those a Kubernetes pod keeps when
#    it drops ALL and adds SETUID, SETGID and SETFCAP, the layout recipe
#    builds, with the output on the host the user's; its SHA256SUMS are
#    those of root's build on the host, by the image's own program (the
#    provenance names its digest), from the same root-tree archive and
#    SOURCE_DATE_EPOCH;
#  - without SETFCAP the build stops at once with one line naming it.
# Needs root (it makes the user) and podman. The image is built here from
# the checkout: a few minutes (dpkg-buildpackage, mmdebstrap).
. "${TOP:-.}/tests/lib/itest.sh"
need podman skopeo unshare mmdebstrap dpkg-buildpackage useradd userdel usermod setpriv newuidmap python3

. "$TOP/tests/lib/testuser.sh"
testuser_need

T=$ITEST_TMP
EPOCH=1700000000
version=$("$APPLIANCE" --version | awk 'NR == 1 { print $2 }')
# The user's containers' files are owned by its subordinate ids: podman
# removes them as the user, then userdel the rest.
drop() {
    [ -z "$testuser_made" ] || as_user XDG_RUNTIME_DIR="$T/run" podman system reset -f >/dev/null 2>&1
    testuser_drop
}
trap 'drop; itest_cleanup' EXIT

# ---- the image ----------------------------------------------------------
start=$SECONDS
if BUILD=$T/ib "$TOP/image/build.sh" "$T/appliance-image.tar" >"$T/image.log" 2>&1; then
    ok "image/build.sh wrote the OCI archive ($((SECONDS - start)) s, $(du -h "$T/appliance-image.tar" | cut -f1))"
else
    bad "image/build.sh failed: $(tail -n 20 "$T/image.log")"; finish
fi
# Root's build on the host runs the image's own program, the .deb's: the
# provenance names the builder's digest, and both builds must ship the
# same bytes.
if dpkg -x "$(ls "$T"/ib/image/deb/appliance_*_amd64.deb)" "$T/pkg" && [ -x "$T/pkg/usr/bin/appliance" ]; then
    ok "the image's package unpacks ($("$T/pkg/usr/bin/appliance" --version | head -n 1))"
else
    bad "no appliance in the image's package under $T/ib/image/deb"; finish
fi
rm -rf "$T/ib"
cfg=$(skopeo inspect --config "oci-archive:$T/appliance-image.tar" 2>"$T/skopeo.err")
if python3 -c '
import json, sys
c = json.loads(sys.argv[1])["config"]
sys.exit(0 if c["Entrypoint"] == ["/usr/bin/appliance"] and c["WorkingDir"] == "/work" else 1)' \
    "$cfg" 2>/dev/null; then
    ok "skopeo reads the archive: entrypoint /usr/bin/appliance, working folder /work"
else
    bad "skopeo inspect --config: $(head -c 300 "$T/skopeo.err") $(head -c 300 <<<"$cfg")"
fi

# ---- root's build on the host -------------------------------------------
# Root's cache starts from this machine's root trees (hard links) and is
# the test's own; the tree it used goes to the user's cache, as a copy.
recipe=$TOP/tests/integration/recipes/layout.yaml
mkdir -p "$T/rcache/roots"
find "${APPLIANCE_CACHE_DIR:-/var/cache/appliance}/roots" -maxdepth 1 -type f \
    \( -name '*.tar' -o -name '*.sum' -o -name '*.distro' \) -exec cp -l -t "$T/rcache/roots" {} + \
    2>/dev/null || true
start=$SECONDS
if SOURCE_DATE_EPOCH=$EPOCH "$T/pkg/usr/bin/appliance" build "$recipe" -o "$T/r" --cache-dir "$T/rcache" \
    --log "$T/r.log" >"$T/r.out" 2>&1; then
    ok "root's build on the host ($((SECONDS - start)) s)"
else
    bad "root's build failed: $(tail -n 20 "$T/r.out")"; finish
fi
key=$(cat "$T"/r/*.provenance.json | grep -o '"cache_key": *"[0-9a-f]\{64\}"' |
    grep -o '[0-9a-f]\{64\}' | head -n 1)
if [ -z "$key" ] || [ ! -f "$T/rcache/roots/$key.tar" ]; then
    bad "the root tree of root's build ('$key', from its provenance) is not in its cache"; finish
fi

# ---- the user, rootless podman ------------------------------------------
testuser_make apimg || finish
mkdir -m 0700 "$T/run" && chown "$user:" "$T/run"
# crun refuses a hybrid cgroup hierarchy (v1 controllers, v2 at unified/):
# there podman runs in a mount namespace of root's making with cgroup2
# alone on /sys/fs/cgroup, as container.sh runs it, and the container
# without cgroups of its own.
cat >"$T/pod.sh" <<'EOF'
set -e
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && [ -d /sys/fs/cgroup/unified ]; then
    umount -l /sys/fs/cgroup
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
fi
exec "$@"
EOF
pod() {
    local env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" USER="$user" LANG=C.UTF-8
        XDG_RUNTIME_DIR="$T/run")
    (cd / && unshare --mount --propagation private sh "$T/pod.sh" \
        setpriv --reuid="$user" --regid="$user" --init-groups -- "${env[@]}" \
        podman --cgroup-manager cgroupfs --events-backend none "$@")
}

chmod 0711 "$T"
mkdir -p "$T/u/cache/roots"
cp "$recipe" "$T/u/layout.yaml"
cp "$T/rcache/roots/$key".tar "$T/rcache/roots/$key".sum "$T/u/cache/roots/"
[ ! -f "$T/rcache/roots/$key.distro" ] || cp "$T/rcache/roots/$key.distro" "$T/u/cache/roots/"
chown -R "$user:" "$T/u"
chmod 0644 "$T/appliance-image.tar"
if pod load -i "$T/appliance-image.tar" >"$T/load.log" 2>&1 &&
    pod image exists "localhost/appliance:$version"; then
    ok "rootless podman loads it as localhost/appliance:$version"
else
    bad "podman load: $(tail -n 5 "$T/load.log")"; finish
fi
rm -f "$T/appliance-image.tar"

# The root tree's cache key covers the apt sources mmdebstrap would read
# (the host's; in the container, the image's): the container, which has
# no network here, gets the host's read-only, so that the tree root's
# build made is the one its key names.
apt_sources=(-v /etc/apt/sources.list.d:/etc/apt/sources.list.d:ro)
[ ! -f /etc/apt/sources.list ] || apt_sources+=(-v /etc/apt/sources.list:/etc/apt/sources.list:ro)
run() { # CAPS...: a build of the layout recipe in the container
    pod run --rm --network none --cgroups=disabled --security-opt label=disable "$@" \
        "${apt_sources[@]}" -v "$T/u:/work" -e SOURCE_DATE_EPOCH=$EPOCH "localhost/appliance:$version" \
        build layout.yaml -o out --cache-dir /work/cache --log /work/build.log
}

# Without SETFCAP: one line naming it, and nothing written.
run --cap-drop=all --cap-add=setuid,setgid >"$T/nofcap.out" 2>&1
rc=$?
if [ "$rc" != 0 ] && grep -q 'lacks SETFCAP' "$T/nofcap.out" && [ ! -e "$T/u/out" ]; then
    ok "without CAP_SETFCAP the build says so (exit $rc) and writes nothing"
else
    bad "without CAP_SETFCAP: exit $rc: $(head -c 400 "$T/nofcap.out")"
fi

judge_build() { # WHAT: the container's build in $T/u/out against root's
    if grep -q 'root tree: from the cache' "$T/u.out" && ! grep -q 'mmdebstrap' "$T/u/build.log"; then
        ok "$1: the root tree from the cache the host gave it, no mmdebstrap"
    else
        bad "$1: the tree not from its cache: $(grep -m 2 'root tree\|mmdebstrap' "$T/u.out" "$T/u/build.log")"
    fi
    owners=$(find "$T/u/out" ! -user "$user" -printf '%u %p\n' | head -n 3)
    if [ -z "$owners" ]; then ok "$1: the output is the user's on the host"; else bad "$1: not the user's: $owners"; fi
    if cmp -s "$T/u/out/SHA256SUMS" "$T/r/SHA256SUMS"; then
        ok "$1: SHA256SUMS identical to root's on the host ($(wc -l <"$T/r/SHA256SUMS") files)"
    else
        bad "$1: SHA256SUMS differ: $(diff "$T/u/out/SHA256SUMS" "$T/r/SHA256SUMS" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
    fi
    if (cd "$T/u/out" && sha256sum --quiet -c "$T/r/SHA256SUMS") >"$T/sums" 2>&1; then
        ok "$1: the files verify against root's SHA256SUMS (sha256sum -c)"
    else
        bad "$1: the files against root's SHA256SUMS: $(head -n 4 "$T/sums" | tr '\n' ' ')"
    fi
    rm -rf "$T/u/out" "$T/u/build.log"
}

# As the README says it: podman's defaults, nothing added.
start=$SECONDS
if run >"$T/u.out" 2>&1; then
    ok "podman run ... build: the build in the container, podman's defaults ($((SECONDS - start)) s)"
    judge_build "podman's defaults"
else
    bad "the build in the container failed: $(tail -n 20 "$T/u.out")"; finish
fi
# As the Kubernetes examples run it: every other capability dropped.
start=$SECONDS
if run --cap-drop=all --cap-add=setuid,setgid,setfcap >"$T/u.out" 2>&1; then
    ok "the build with SETUID, SETGID and SETFCAP only ($((SECONDS - start)) s)"
    judge_build "SETUID, SETGID, SETFCAP only"
else
    bad "the build with SETUID, SETGID and SETFCAP only failed: $(tail -n 20 "$T/u.out")"
fi

drop
if id "$user" >/dev/null 2>&1 || [ -e "$home" ]; then
    bad "user $user or its home is still there"
else
    ok "user $user, its images and its home removed"
fi
finish
