#!/bin/bash
# tier: lifecycle
# A `rootfs:` recipe: a prebuilt root tree as a tar.zst made here, built into
# the two disks, and malicious archives refused with a clear error, leaving
# no output and no scratch folder behind.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/rootfs.sh"
need python3 zstd tar virt-cat

work=$ITEST_TMP/rootfs
mkdir -p "$work"

write_recipe() { # NAME ARCHIVE
    cat >"$work/$1.yaml" <<EOF
recipe: 1
name: $1
version: "1"
os: { rootfs: $2 }
hardware: { firmware: bios+uefi }
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
outputs: [raw]
EOF
}

# Builds keep their scratch folders in a private TMPDIR, to be counted.
# (libguestfs keeps its appliance cache where it was.)
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
scratch_count() { ls -A "$TMPDIR" | wc -l; }

# Malicious archives: each refused, naming the entry.
python3 - "$work" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def make(name, members):
    with tarfile.open(f"{d}/{name}.tar", "w", format=tarfile.GNU_FORMAT) as t:
        for m, data in members:
            if data is not None:
                m.size = len(data)
                t.addfile(m, io.BytesIO(data))
            else:
                t.addfile(m)
def f(name): return tarfile.TarInfo(name)
def sym(name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; return i
def hard(name, target):
    i = tarfile.TarInfo(name); i.type = tarfile.LNKTYPE; i.linkname = target; return i
make("dotdot", [(f("etc/ok"), b"ok"), (f("../escaped"), b"x")])
make("absolute", [(f("/tmp/appliance-absolute-escape"), b"x")])
make("hardlink", [(hard("etc/passwd-link", "../../etc/shadow"), None)])
make("symlink", [(sym("link", "/tmp"), None), (f("link/appliance-through-link"), b"x")])
PY

for evil in dotdot absolute hardlink symlink; do
    write_recipe "evil-$evil" "$evil.tar"
    before=$(scratch_count)
    "$APPLIANCE" build "$work/evil-$evil.yaml" -o "$work/out-$evil" >"$work/out" 2>"$work/err"
    rc=$?
    [ "$rc" = 1 ] && ok "$evil archive: build fails with status 1" ||
        bad "$evil archive: status $rc, want 1"
    if grep -q "escapes the root: refused\|Cannot extract through symlink" "$work/err"; then
        ok "$evil archive: refused: $(grep '^appliance: error:' "$work/err" | head -1)"
    else
        bad "$evil archive: unclear message: $(cat "$work/err")"
    fi
    [ ! -e "$work/out-$evil" ] && ok "$evil archive: no output folder" ||
        bad "$evil archive: output folder left behind"
    [ "$(scratch_count)" = "$before" ] && ok "$evil archive: no scratch folder left" ||
        bad "$evil archive: scratch folder left in \$TMPDIR: $(ls "$TMPDIR")"
done
if [ ! -e "$work/../escaped" ] && [ ! -e /tmp/appliance-absolute-escape ] &&
    [ ! -e /tmp/appliance-through-link ]; then
    ok "nothing written outside the tree"
else
    bad "an archive wrote outside the tree"
fi

# A real tree: the Debian root from the cache (an earlier build made it),
# marked and packed here as tar.zst.
rootfs_base_tar "$work/tree.tar" || finish
mkdir -p "$work/add/etc" && echo "packed by rootfs.sh" >"$work/add/etc/rootfs-marker"
tar --numeric-owner -C "$work/add" -rf "$work/tree.tar" etc/rootfs-marker
zstd -q -T0 --rm "$work/tree.tar" -o "$work/tree.tar.zst"
write_recipe good tree.tar.zst
if "$APPLIANCE" build "$work/good.yaml" -o "$work/out-good" >"$work/out" 2>"$work/err"; then
    ok "rootfs recipe builds"
    if [ -s "$work/out-good/good-1-os.raw" ] && [ -s "$work/out-good/good-1-app.raw" ]; then
        ok "both disks written"
    else
        bad "disks missing: $(ls "$work/out-good")"
    fi
    export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
    marker=$(virt-cat -a "$work/out-good/good-1-os.raw" -a "$work/out-good/good-1-app.raw" \
        /etc/rootfs-marker 2>"$work/err")
    [ "$marker" = "packed by rootfs.sh" ] && ok "the archive's files are in the image" ||
        bad "marker not found in the image: '$marker' $(tail -3 "$work/err")"
else
    bad "rootfs recipe failed: $(tail -5 "$work/err")"
fi
rm -rf "$work/out-good"
finish
