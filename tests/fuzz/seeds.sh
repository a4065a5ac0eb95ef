#!/bin/sh
# seeds.sh NAME DIR: the seed corpus of harness NAME (tests/fuzz/NAME_fuzz.c)
# written into DIR, for make check-fuzz. Seeds are samples the repository
# holds (tests/data/, unit-test fixtures) or files the real tools make here
# and now (sfdisk, qemu-img), small: nothing binary is committed. The
# inputs that once made a harness fail are kept in base64 as
# tests/fuzz/regress/NAME/WHAT.b64 and join its seeds as regress-WHAT.
set -eu
name=$1
out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$out"

# A 128 KiB sparse disk with a GPT sfdisk writes: BIOS boot, EFI system
# and LVM partitions (the layout the disk engine makes, shrunk), fixed
# GUIDs so that the seed is the same each time.
gpt_disk() {
    truncate -s 128K "$1"
    sfdisk --quiet --no-reread --no-tell-kernel "$1" >/dev/null <<SCRIPT
label: gpt
label-id: 6A3B2C1D-0E0F-4A4B-8C8D-9E9F0A0B0C0D
unit: sectors
first-lba: 34
start=40, size=8, type=21686148-6449-6E6F-744E-656564454649, uuid=11111111-2222-4333-8444-555555555501, name="bios"
start=48, size=16, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=11111111-2222-4333-8444-555555555502, name="esp"
start=64, size=150, type=E6D6D379-F507-44C2-A23C-238F2A3DF928, uuid=11111111-2222-4333-8444-555555555503, name="pv"
SCRIPT
}

# The bytes of the C array NAME in FILE ("0x4c, 0x41, ...") to stdout,
# each through printf as an octal escape made of it.
# shellcheck disable=SC2059
c_array() {
    sed -n "/ $2\[[0-9]*\] = {/,/};/p" "$1" | grep -o '0x[0-9a-f][0-9a-f]' |
        while read -r b; do printf "\\$(printf %03o "$b")"; done
}

# A PV at byte OFFSET of FILE: the label sector and metadata area header
# lvm2 2.03.16 wrote (tests/unit/test_lvm_meta.c), its text at 4608 bytes
# into the area, as that header says.
pv_at() {
    fixture=$top/tests/unit/test_lvm_meta.c
    c_array "$fixture" lvm2_label >label.bin
    c_array "$fixture" lvm2_mda >mda.bin
    printf 'vg_app {\nid = "3cU9ea-1ISh-QkEQ-PLzR-f3lG-lXYu-Cax5hO"\nseqno = 1\nformat = "lvm2"\n' >text.bin
    dd if=label.bin of="$1" bs=1 seek=$(($2 + 512)) conv=notrunc status=none
    dd if=mda.bin of="$1" bs=1 seek=$(($2 + 4096)) conv=notrunc status=none
    dd if=text.bin of="$1" bs=1 seek=$(($2 + 4096 + 4608)) conv=notrunc status=none
    rm -f label.bin mda.bin text.bin
}

# The plans of tests/data/recipes/valid/, and build reports wrapping them.
reports() {
    for f in "$top"/tests/data/recipes/valid/*.json; do
        base=$(basename "$f" .json)
        cp "$f" "plan-$base.json"
        { printf '{"appliance":"1","name":"%s","kvm":false,"plan":' "$base"; cat "$f"; printf '}\n'; } \
            >"report-$base.json"
    done
}

# An OVA named $1 as export_ova.c lays one out, in tar format $2 (ustar,
# pax, gnu), its manifest's digests by $3 (sha1, sha256, sha512), its
# application disk named $4: the descriptor (tests/data/ovf/sata-uefi.ovf,
# its File sizes and names made true), the manifest, then the disks in
# References order. A disk is the head of a streamOptimized VMDK that
# qemu-img makes, its header and embedded descriptor (what image_sniff
# reads), so that a seed stays small.
ova_seed() {
    mkdir ova.d
    (
        cd ova.d
        qemu-img create -q -f vmdk -o subformat=streamOptimized full.vmdk 1M
        head -c 2048 full.vmdk >t-os.vmdk
        cp t-os.vmdk "$4"
        rm full.vmdk
        sed -e 's/ovf:size="123456789"/ovf:size="2048"/' -e 's/ovf:size="4242"/ovf:size="2048"/' \
            -e "s/t-app\.vmdk/$4/" "$top/tests/data/ovf/sata-uefi.ovf" >t.ovf
        algo=$(echo "$3" | tr '[:lower:]' '[:upper:]')
        for f in t.ovf t-os.vmdk "$4"; do
            printf '%s(%s)= %s\n' "$algo" "$f" "$("${3}sum" <"$f" | cut -d' ' -f1)"
        done >t.mf
        tar --format="$2" --owner=0 --group=0 --numeric-owner --mtime=@0 --mode=0644 \
            -cf "../$1" t.ovf t.mf t-os.vmdk "$4"
    )
    rm -rf ova.d
}

ovas() {
    long=app-disk-with-a-name-longer-than-the-hundred-bytes-a-ustar-header-holds-so-that-tar-writes-it-elsewhere.vmdk
    ova_seed ustar.ova ustar sha256 t-app.vmdk
    ova_seed pax.ova pax sha1 t-app.vmdk
    ova_seed pax-long.ova pax sha512 "$long"
    ova_seed gnu-long.ova gnu sha256 "$long"
}

# A small root tree as a rootfs archive holds one, in tar format $2 (and
# compressed with gzip when $1 ends in .gz): folders, an executable, a
# setuid one, a hard link, relative and absolute symbolic links, a FIFO,
# and a long name.
tree_seed() {
    mkdir -p tree.d/etc tree.d/usr/bin tree.d/var/log tree.d/deep/a-folder-whose-name-is-long-enough/that-a-path-goes-past-a-hundred-bytes
    (
        cd tree.d
        printf 'PRETTY_NAME="Fuzz"\nID=debian\n' >etc/os-release
        printf '#!/bin/sh\n' >usr/bin/tool
        chmod 0755 usr/bin/tool
        cp usr/bin/tool usr/bin/su
        chmod 4755 usr/bin/su
        ln usr/bin/tool usr/bin/tool-again
        ln -s ../usr/bin/tool etc/relative
        ln -s /usr/bin/tool etc/absolute
        mkfifo var/log/fifo
        : >deep/a-folder-whose-name-is-long-enough/that-a-path-goes-past-a-hundred-bytes/and-a-file-in-it
        tar --format="$2" --owner=0 --group=0 --numeric-owner --mtime=@1700000000 --sort=name -cf - . |
            case $1 in *.gz) gzip -n ;; *) cat ;; esac >"../$1"
    )
    rm -rf tree.d
}

# The bytes of the C string NAME in FILE (the lines of its literal, with
# their escapes) to stdout.
c_string() {
    sed -n "/ $2\[\] =\$/,/;\$/p" "$1" | sed -n 's/^ *"\(.*\)";*$/\1/p' |
        while IFS= read -r line; do printf '%b' "$line"; done
}

case $name in
recipe)
    cp "$top"/recipes/*.yaml "$top"/tests/data/recipes/valid/*.yaml \
        "$top"/tests/data/recipes/invalid/*.yaml .
    ;;
gpt)
    gpt_disk gpt-engine.img
    truncate -s 64K gpt-empty.img
    echo 'label: gpt' | sfdisk --quiet --no-reread --no-tell-kernel gpt-empty.img >/dev/null
    truncate -s 64K mbr.img
    echo 'start=1, size=64, type=83' | sfdisk --quiet --no-reread --no-tell-kernel mbr.img >/dev/null
    ;;
lvm)
    gpt_disk gpt-pv.img
    pv_at gpt-pv.img $((64 * 512))
    truncate -s 64K whole-disk-pv.img
    pv_at whole-disk-pv.img 0
    gpt_disk gpt-no-pv.img
    # A whole VG's text (as the build writes it, a volume in two segments),
    # alone and as a PV with every checksum right (lvm's CRC-32), its text
    # wrapped around the end of the metadata area as lvm2 leaves it.
    python3 - <<'PY'
import struct
text = b'''vg_data {
id = "Gd1aOx-Rr4h-4bNt-WVxj-Z9wD-Vu2J-ZcGx1m"
seqno = 3
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
flags = []
tags = ["appliance.disk=app"]
extent_size = 8192
physical_volumes {
pv0 {
id = "J7R25K-EGGX-hMj9-eJQ1-3wnN-zF1b-B49HAR"
device = "/dev/sdb1"
status = ["ALLOCATABLE"]
dev_size = 245760
pe_start = 2048
pe_count = 29
}
}
logical_volumes {
app {
id = "dVSjP7-MeEk-Hlvh-JI3R-CSHa-xxwy-nFiDDQ"
status = ["READ", "WRITE", "VISIBLE"]
creation_host = "a \\"quoted\\" host"
segment_count = 2
segment1 {
start_extent = 0
extent_count = 4
type = "striped"
stripe_count = 1
stripes = [
"pv0", 0
]
}
segment2 {
start_extent = 4
extent_count = 2
type = "striped"
stripe_count = 1
stripes = ["pv0", 20]
}
}
}
}
# Generated by LVM2
contents = "Text Format Volume Group"
version = 1
description = ""
creation_time = 1700000000
\0'''.replace(b'\\0', b'\0')
def crc(data, c=0xf597a6cf):
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ (0xedb88320 if c & 1 else 0)
    return c
open('vg.txt', 'wb').write(text)
mda, mda_size = 4096, 16384
pv = bytearray(mda + mda_size)
label = bytearray(512)
label[0:8] = b'LABELONE'
struct.pack_into('<QII8s', label, 8, 1, 0, 32, b'LVM2 001')
label[32:64] = b'J7R25KEGGXhMj9eJQ13wnNzF1bB49HAR'
struct.pack_into('<QQQQQQQQQII', label, 64, 245760 * 512, 1 << 20, 0, 0, 0, mda, mda_size,
                 0, 0, 2, 1)
struct.pack_into('<I', label, 16, crc(label[20:]))
pv[512:1024] = label
at = mda_size - 300
head = bytearray(512)
struct.pack_into('<16sIQQQQII', head, 4, b' LVM2 x[5A%r0N*>', 1, mda, mda_size, at, len(text),
                 crc(text), 0)
struct.pack_into('<I', head, 0, crc(head[4:]))
pv[mda:mda + 512] = head
pv[mda + at:mda + mda_size] = text[:mda_size - at]
pv[mda + 512:mda + 512 + len(text) - (mda_size - at)] = text[mda_size - at:]
open('vg-pv.img', 'wb').write(pv)
PY
    ;;
image)
    q() { qemu-img create -q "$@" >/dev/null; }
    q -f raw base.raw 64K
    q -f qcow2 -o compat=0.10 qcow2-v2.qcow2 1M
    q -f qcow2 -o compat=1.1 qcow2-v3.qcow2 1M
    q -f qcow2 -b base.raw -F raw backing.qcow2 1M
    q -f qcow2 -o data_file=data.raw data-file.qcow2 1M
    q -f qed qed.qed 1M
    q -f vmdk -o subformat=monolithicSparse sparse.vmdk 1M
    q -f vmdk -o subformat=streamOptimized stream.vmdk 1M
    q -f vmdk -o subformat=monolithicFlat flat.vmdk 1M
    q -f vmdk -o subformat=twoGbMaxExtentSparse two-gb-sparse.vmdk 1M
    q -f vmdk -b sparse.vmdk -F vmdk child.vmdk 1M
    q -f vpc -o subformat=dynamic dynamic.vhd 1M
    q -f vpc -o subformat=fixed fixed.vhd 16K
    q -f vdi dynamic.vdi 1M
    q -f vdi -o static=on static.vdi 16K
    q -f parallels parallels.img 1M
    q -f vhdx vhdx.vhdx 1M
    # The files the images name hold zeros only: not seeds.
    rm -f base.raw data.raw flat-flat.vmdk
    ;;
report)
    reports
    ;;
ovf)
    cp "$top"/tests/data/ovf/*.ovf .
    ;;
domxml)
    cp "$top"/tests/data/libvirt/*.xml .
    ;;
ova | bundle)
    ovas
    ;;
manifest)
    mkdir m.d
    (
        cd m.d
        printf 'disk\n' >'odd (name).vmdk'
        printf 'back\n' >'back\slash'
        printf 'new\n' >"$(printf 'new\nline')"
        printf 'plain\n' >plain.ovf
        for algo in sha1 sha256 sha512; do
            "${algo}sum" plain.ovf 'odd (name).vmdk' |
                sed "s/^\([0-9a-f]*\)  \(.*\)/$(echo $algo | tr '[:lower:]' '[:upper:]')(\2)= \1/" >"../$algo.mf"
        done
        sha256sum -- * >../SHA256SUMS
        sha256sum -b plain.ovf >../binary-SHA256SUMS
    )
    rm -rf m.d
    ;;
convert)
    cp "$top"/tests/data/ovf/*.ovf "$top"/tests/data/libvirt/*.xml .
    reports
    ;;
console)
    c_string "$top/tests/unit/test_boot_judge.c" good_console >good.log
    { cat good.log; printf '\r\n[    0.000000] secureboot: Secure boot enabled\r\n'; } >secure-boot.log
    printf 'Kernel panic - not syncing: VFS: Unable to mount root fs\r\n' >panic.log
    ;;
imageinfo)
    cp "$top"/tests/data/images/*.json .
    ;;
tree)
    tree_seed ustar.tar ustar
    tree_seed pax.tar pax
    tree_seed gnu.tar gnu
    tree_seed pax.tar.gz pax
    ;;
dep5)
    # The host's machine-readable copyright files (a Debian host has a
    # few hundred: the first 40), and the unit test's shapes.
    n=0
    for f in /usr/share/doc/*/copyright; do
        grep -q '^Format:.*copyright-format' "$f" 2>/dev/null || continue
        cp "$f" "host-$(basename "$(dirname "$f")")"
        n=$((n + 1))
        [ "$n" -lt 40 ] || break
    done
    printf 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: GPL-2+ or Artistic, and BSD-2-clause\n' >sample-comma
    printf 'GPLv2+ and (LGPLv2+ or MIT) and ASL 2.0\n' >sample-rpm
    ;;
verify)
    # The selector byte (verify_fuzz.c), then a document of the unit
    # test's goldens, and the shapes of the rest.
    sel() { { printf "\\$(printf %03o "$1")"; cat; } >"$2"; }
    printf '%064d  small-2.0.ova\n%064d  ovf/small-2.0.ovf\n' 1 2 | sel 0 sums
    for f in "$top"/tests/data/sbom/*.spdx.json; do sel 1 "spdx-$(basename "$f")" <"$f"; done
    for f in "$top"/tests/data/sbom/*.cdx.json; do sel 2 "cdx-$(basename "$f")" <"$f"; done
    for f in "$top"/tests/data/sbom/*.provenance.json; do sel 3 "prov-$(basename "$f")" <"$f"; done
    printf '{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"ab","sig":"AAAA"}]}\n' |
        sel 4 envelope
    printf -- '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n' |
        sel 5 ed25519.pub
    ;;
lvm_text)
    cp "$top"/tests/data/lvm/*.txt .
    python3 "$top"/tests/fuzz/lvm_seed.py pv whole-disk-pv.img
    ;;
fsprobe)
    for t in ext2 ext3 ext4; do
        truncate -s 2M "$t.img"
        mke2fs -q -F -t "$t" -L "$t" -U 0b7c1f2e-5d3a-4c6b-9e8f-1a2b3c4d5e6f "$t.img" >/dev/null 2>&1
        truncate -s 65536 "$t.img"
    done
    truncate -s 40M vfat.img
    mkfs.vfat -F 32 -n ESP -i 2532A961 vfat.img >/dev/null 2>&1
    truncate -s 65536 vfat.img
    truncate -s 1M swap.img
    mkswap -L swap -U 6208c360-e923-4597-bfee-826a5673a1c6 swap.img >/dev/null 2>&1
    truncate -s 65536 swap.img
    if command -v mkfs.xfs >/dev/null; then
        truncate -s 320M xfs.img
        mkfs.xfs -q -L data -m uuid=f520a096-675e-49a1-aaa9-290a9428a33e xfs.img >/dev/null 2>&1
        truncate -s 65536 xfs.img
    fi
    truncate -s 64K mbr.img
    echo 'start=1, size=64, type=83' | sfdisk --quiet --no-reread --no-tell-kernel mbr.img >/dev/null
    truncate -s 512 mbr.img
    ;;
guest_text)
    for f in /etc/os-release /usr/lib/os-release /etc/fstab /etc/debian_version; do
        [ ! -f "$f" ] || cp "$f" "$(echo "$f" | tr / _)"
    done
    [ ! -f /var/lib/dpkg/status ] || head -c 8000 /var/lib/dpkg/status >dpkg-status
    head -c 64 /bin/sh >elf-sh
    ;;
diskread)
    python3 "$top"/tests/fuzz/lvm_seed.py disk gpt-lvm-ext4.img
    python3 "$top"/tests/fuzz/lvm_seed.py tree tree
    truncate -s 1M whole-disk-ext4.img
    mke2fs -q -F -t ext4 -O ^has_journal -b 1024 -N 64 -d tree whole-disk-ext4.img >/dev/null 2>&1
    rm -rf tree
    ;;
oci)
    # A build's manifest as push writes it, one as the cache writes it,
    # an index, and references.
    h=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    l() { printf '{"mediaType":"%s","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.title":"%s"}}' "$1" "$h" "$2" "$3"; }
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.appliance.build.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[%s,%s,%s],"annotations":{"vnd.appliance.recipe.name":"a","vnd.appliance.sha256sums.digest":"sha256:%s"}}' \
        "$(l application/x-qemu-disk 5 a-1-os.qcow2)" "$(l text/plain 80 SHA256SUMS)" \
        "$(l application/json 9 build-report.json)" "$h" >build
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.appliance.cache.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[%s,%s],"annotations":{"vnd.appliance.cache.key":"%s"}}' \
        "$(l application/x-qemu-disk 7 image.qcow2)" "$(l application/x-vmdk-disk 9 ovf.vmdk)" "$h" >cache
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}' >index
    printf '127.0.0.1:5000/team/app:1.0' >ref-tag
    printf 'localhost/a@sha256:%s' "$h" >ref-digest
    ;;
*)
    echo "seeds.sh: no seeds for '$name'" >&2
    exit 1
    ;;
esac

for f in "$top/tests/fuzz/regress/$name"/*.b64; do
    [ ! -e "$f" ] || base64 -d "$f" >"regress-$(basename "$f" .b64)"
done
