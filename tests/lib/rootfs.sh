# tests/lib/rootfs.sh: a real root tree to pack into `rootfs:` archives.
# Sourced after itest.sh:
#
#   rootfs_base_tar DEST   copy the Debian root tree from the root-tree cache
#                          (built first from tests/integration/recipes/layout.yaml
#                          when the cache has none) to DEST, a plain tar;
#                          returns 1 after a "not ok" line when it cannot
rootfs_base_tar() {
    local dest=$1 cache base
    cache=${APPLIANCE_CACHE_DIR:-/var/cache/appliance}
    # (the largest entry: the cache also holds small archives of other tests)
    base=$(ls -S "$cache"/roots/*.tar 2>/dev/null | head -1)
    if [ -z "$base" ] || [ "$(stat -c %s "$base")" -lt 100000000 ]; then
        itest_build "$TOP/tests/integration/recipes/layout.yaml" || return 1
        base=$(ls -S "$cache"/roots/*.tar 2>/dev/null | head -1)
    fi
    [ -n "$base" ] || { bad "no cached root tree to pack"; return 1; }
    cp "$base" "$dest"
}
