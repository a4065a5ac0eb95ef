#!/bin/bash
# image/build.sh OUT: the tool as an OCI image archive (`make image`):
# the Debian package of this checkout (debian/build-deb.sh) installed with
# everything it depends on into a Debian 12 tree that mmdebstrap makes here
# (nothing is pulled from a container registry), then that tree as the one
# layer of an OCI image (image/oci-archive.py), written to OUT (an
# oci-archive: `podman load -i OUT`, `skopeo copy oci-archive:OUT ...`).
#
# The same checkout and mirror state give the same bytes: the tree's times
# are clamped to SOURCE_DATE_EPOCH (default: the last commit's time), the
# layer is gzipped without a name or time, and the image's config takes
# its creation time from the same epoch. MIRROR: the Debian mirror
# (default deb.debian.org); BUILD: the build folder for the package and
# the tree (default build).
set -euo pipefail
out=${1:?usage: image/build.sh OUT}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
work=$build/image
version=$(sed -n 's/^#define APPLIANCE_VERSION "\(.*\)"$/\1/p' "$top/include/appliance/version.h")
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}

for t in mmdebstrap dpkg-buildpackage python3 gzip; do
    command -v "$t" >/dev/null || { echo "image: $t is not installed (make deps)" >&2; exit 1; }
done
rm -rf "$work" && mkdir -p "$work/deb"
echo "image: the package (debian/build-deb.sh)"
"$top/debian/build-deb.sh" "$work/deb"
deb=$(ls "$work"/deb/appliance_*_amd64.deb)
# mmdebstrap passes the .deb's path to dpkg inside the tree: the hook
# makes it visible there and removes it after.
chmod 0755 "$work" "$work/deb" && chmod 0644 "$deb"

# The tree's apt sources, in Debian 12's own deb822 form: bookworm, its
# updates and its security suite, so that the tool in the container
# installs (and builds appliances from) what a Debian 12 host would.
# MIRROR and SECURITY_MIRROR replace the URIs.
cat >"$work/debian.sources" <<EOF
Types: deb
URIs: ${MIRROR:-http://deb.debian.org/debian}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

echo "image: the tree (mmdebstrap, Debian 12 with the package and its Depends)"
mmdebstrap --variant=apt --format=tar \
    --include="$deb" --include=ca-certificates \
    --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='mkdir -p "$1/work"' \
    --customize-hook='rm -f "$1"/etc/apt/sources.list "$1"/etc/apt/sources.list.d/*' \
    --customize-hook="upload $work/debian.sources /etc/apt/sources.list.d/debian.sources" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/*' \
    bookworm "$work/rootfs.tar" "$work/debian.sources" >"$work/mmdebstrap.log" 2>&1 ||
    { echo "image: mmdebstrap failed:" >&2; tail -n 30 "$work/mmdebstrap.log" >&2; exit 1; }

echo "image: the OCI archive"
gzip -n -6 <"$work/rootfs.tar" >"$work/layer.tar.gz"
python3 "$top/image/oci-archive.py" "$work/rootfs.tar" "$work/layer.tar.gz" "$version" \
    "$SOURCE_DATE_EPOCH" "$out.part"
mv "$out.part" "$out"
rm -f "$work/rootfs.tar" "$work/layer.tar.gz"
echo "image: $out (appliance:$version, $(du -h --apparent-size "$out" | cut -f1))"
