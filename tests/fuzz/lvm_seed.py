#!/usr/bin/env python3
"""lvm_seed.py: seeds for the fuzz harnesses that read LVM and whole disks
(tests/fuzz/seeds.sh), made here and now, nothing binary committed.

  lvm_seed.py pv FILE     a PV alone: label, metadata area header and a
                          VG's text with one LV, every checksum right
  lvm_seed.py tree DIR    an OS's files: fstab, os-release behind a
                          relative link, hostname, dpkg's status, a
                          kernel, machine-id, an SSH host key, an ELF bash
  lvm_seed.py disk FILE   4 MiB: a GPT (sfdisk), the PV in its partition,
                          the LV holding an ext4 (mke2fs -d) of that tree

The layout is LVM2's (lib/format_text/layout.h): the label in sector 1,
the metadata area at 4 KiB with its header, the text after it; lvm's
CRC-32 is zlib's without its inversions, started at 0xf597a6cf."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SECTOR = 512
MIB = 1 << 20
INITIAL = 0xF597A6CF
VG_ID = "Seed01-VGid-0001-0002-0003-0004-000001"
PV_ID = "Seed01-PVid-0001-0002-0003-0004-000002"
LV_ID = "Seed01-LVid-0001-0002-0003-0004-000003"


def lvm_crc(data):
    return ~zlib.crc32(data, ~INITIAL & 0xFFFFFFFF) & 0xFFFFFFFF


def text(pv_sectors):
    return ("vg_seed {\n"
            f'id = "{VG_ID}"\nseqno = 1\nformat = "lvm2"\n'
            'status = ["RESIZEABLE", "READ", "WRITE"]\nflags = []\n'
            "extent_size = 2048\nmax_lv = 0\nmax_pv = 0\nmetadata_copies = 0\n\n"
            "physical_volumes {\n\npv0 {\n"
            f'id = "{PV_ID}"\ndevice = "/dev/sda1"\n\n'
            'status = ["ALLOCATABLE"]\nflags = []\n'
            f"dev_size = {pv_sectors}\npe_start = 2048\npe_count = 1\n}}\n}}\n\n"
            "logical_volumes {\n\nroot {\n"
            f'id = "{LV_ID}"\nstatus = ["READ", "WRITE", "VISIBLE"]\nflags = []\n'
            "segment_count = 1\n\nsegment1 {\nstart_extent = 0\nextent_count = 1\n\n"
            'type = "striped"\nstripe_count = 1\n\nstripes = [\n"pv0", 0\n]\n}\n}\n}\n'
            "}\n# a seed of tests/fuzz/lvm_seed.py\n\n"
            'contents = "Text Format Volume Group"\nversion = 1\n\n').encode() + b"\0"


def pv_bytes(pv_size):
    """The PV's first MiB: label sector, metadata area header, text."""
    out = bytearray(MIB)
    uuid = PV_ID.replace("-", "").encode()
    pvh = uuid + struct.pack("<Q", pv_size)
    pvh += struct.pack("<QQQQ", MIB, 0, 0, 0)            # data area, end of list
    pvh += struct.pack("<QQQQ", 4096, MIB - 4096, 0, 0)  # metadata area, end of list
    pvh += struct.pack("<II", 2, 1) + struct.pack("<QQ", 0, 0)
    label = bytearray(SECTOR)
    label[0:8] = b"LABELONE"
    label[8:16] = struct.pack("<Q", 1)
    label[20:24] = struct.pack("<I", 32)
    label[24:32] = b"LVM2 001"
    label[32:32 + len(pvh)] = pvh
    label[16:20] = struct.pack("<I", lvm_crc(bytes(label[20:])))
    out[SECTOR:2 * SECTOR] = label
    t = text(pv_size // SECTOR)
    mda = bytearray(SECTOR)
    mda[4:20] = b" LVM2 x[5A%r0N*>"
    mda[20:24] = struct.pack("<I", 1)
    mda[24:40] = struct.pack("<QQ", 4096, MIB - 4096)
    mda[40:64] = struct.pack("<QQII", SECTOR, len(t), lvm_crc(t), 0)
    mda[0:4] = struct.pack("<I", lvm_crc(bytes(mda[4:])))
    out[4096:4096 + SECTOR] = mda
    out[4096 + SECTOR:4096 + SECTOR + len(t)] = t
    return bytes(out)


def write_tree(d):
    def put(rel, data, mode=0o644):
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
    put("etc/fstab", b"/dev/mapper/vg_seed-root / ext4 defaults 0 1\n"
                     b"UUID=0b7c1f2e-5d3a-4c6b-9e8f-1a2b3c4d5e6f /boot ext4 defaults 0 2\n")
    put("usr/lib/os-release", b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
                              b'VERSION_ID="12"\n')
    os.symlink("../usr/lib/os-release", os.path.join(d, "etc/os-release"))
    put("etc/debian_version", b"12.7\n")
    put("etc/hostname", b"seed\n")
    put("etc/machine-id", b"0123456789abcdef0123456789abcdef\n")
    put("etc/ssh/ssh_host_ed25519_key", b"not a key\n", 0o600)
    put("var/lib/dpkg/status", b"Package: a\nStatus: install ok installed\n\n")
    put("boot/vmlinuz-6.1.0-1-amd64", b"k\n")
    put("usr/bin/bash", b"\x7fELF\x02\x01\x01" + bytes(11) + b"\x3e\x00" + bytes(44), 0o755)
    os.symlink("usr/bin", os.path.join(d, "bin"))


def write_disk(path):
    size = 4 * MIB
    with open(path, "wb") as f:
        f.truncate(size)
    script = ("label: gpt\nlabel-id: 6A3B2C1D-0E0F-4A4B-8C8D-9E9F0A0B0C0D\nunit: sectors\n"
              "start=2048, size=6110, type=E6D6D379-F507-44C2-A23C-238F2A3DF928, "
              'uuid=11111111-2222-4333-8444-555555555503, name="lvm"\n')
    subprocess.run(["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", path],
                   input=script.encode(), check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        write_tree(os.path.join(tmp, "tree"))
        fs = os.path.join(tmp, "root.img")
        with open(fs, "wb") as f:
            f.truncate(MIB)
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-b", "1024",
                        "-U", "0b7c1f2e-5d3a-4c6b-9e8f-1a2b3c4d5e6f", "-E", "hash_seed=0b7c1f2e-5d3a-4c6b-9e8f-1a2b3c4d5e6f",
                        "-N", "64", "-d", os.path.join(tmp, "tree"), fs], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(fs, "rb") as f:
            root = f.read()
    with open(path, "r+b") as f:
        f.seek(MIB)
        f.write(pv_bytes(6110 * SECTOR))
        f.seek(2 * MIB)  # the PV's first extent: pe_start 1 MiB into it
        f.write(root)


def main():
    what, path = sys.argv[1], sys.argv[2]
    if what == "pv":
        with open(path, "wb") as f:
            f.write(pv_bytes(2 * MIB))
    elif what == "tree":
        shutil.rmtree(path, ignore_errors=True)
        write_tree(path)
    elif what == "disk":
        write_disk(path)
    else:
        sys.exit(f"lvm_seed.py: no '{what}'")


if __name__ == "__main__":
    main()
