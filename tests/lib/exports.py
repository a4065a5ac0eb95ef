#!/usr/bin/env python3
"""tests/lib/exports.py: file-format facts of a build's outputs that no
tool states, read from the bytes. Prints "ok - ..." / "not ok - ..." lines.

  exports.py report DIR RECIPE    build-report.json: recipe digest, files, SBOM
  exports.py ova DIR STEM         OVA headers (ustar/GNU magic), OVF sizes
  exports.py azure-gce DIR STEM   fixed VHD footer, MiB rule; GCE tar format
  exports.py install DIR          INSTALL-*.md: only files of DIR, their digests

STEM is how the folder's files are named: NAME-VERSION.
"""
import gzip
import hashlib
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

OVF = "{http://schemas.dmtf.org/ovf/envelope/1}"


def ok(cond, what, why=""):
    print(("ok - " if cond else "not ok - ") + what + ("" if cond or not why else ": " + why))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def report(out, recipe):
    r = json.load(open(os.path.join(out, "build-report.json")))
    ok(r["recipe"]["sha256"] == sha256(recipe), "report: the recipe's SHA-256")
    sums = {}
    for line in open(os.path.join(out, "SHA256SUMS")):
        digest, path = line.rstrip("\n").split("  ", 1)
        sums[path] = digest
    files = {f["path"]: f for f in r["files"]}
    ok(set(files) == set(sums) and "build-report.json" not in sums,
       "report: lists every file of SHA256SUMS, which lists neither the report nor itself",
       str(set(files) ^ set(sums)))
    bad = [p for p, f in files.items()
           if f["sha256"] != sums.get(p) or f["size"] != os.path.getsize(os.path.join(out, p))]
    ok(not bad, "report: each file's size and digest are right", " ".join(bad))
    names = [p["name"] for p in r["packages"]]
    ok(len(names) > 50 and names == sorted(names), "report: %d packages, sorted" % len(names))
    ok(any(n.startswith("linux-image") for n in names) and "lvm2" in names,
       "report: the SBOM has the kernel and lvm2")
    ok(all(p.get("version") for p in r["packages"]), "report: every package has a version")
    ok(r["tools"].get("qemu-img", "").startswith("qemu-img version"), "report: qemu-img version")
    ok(r["plan"]["name"] == r["name"], "report: embeds the plan")
    ok(r.get("format") == 2, "report: format 2", repr(r.get("format")))
    stem = "%s-%s" % (r["name"], r["version"])
    untold = [p for p, f in files.items()
              if not f.get("output") or not isinstance(f.get("for"), list)
              or (f["output"] != "install" and not p.startswith("ovf/")
                  and not p.startswith(stem))]
    ok(not untold, "report: every file says its output and targets, and is named %s..." % stem,
       " ".join(untold))
    for d in r["disks"]:
        raw = os.path.join(out, "%s-%s.raw" % (stem, d["disk"]))
        ok(d["size"] == os.path.getsize(raw), "report: %s disk size" % d["disk"])


def tar_magic(path):
    """(name, magic, size) of each member header, walking the tar."""
    out = []
    with open(path, "rb") as f:
        while True:
            h = f.read(512)
            if len(h) < 512 or h == b"\0" * 512:
                break
            name = h[0:100].rstrip(b"\0").decode()
            size_field = h[124:136]
            if size_field[0] & 0x80:
                size = int.from_bytes(size_field[1:], "big")
            else:
                size = int(size_field.rstrip(b"\0 ") or b"0", 8)
            out.append((name, h[257:265], h[156:157], size))
            f.seek((size + 511) // 512 * 512, 1)
    return out


def ova(out, name):
    members = tar_magic(os.path.join(out, name + ".ova"))
    ok([m[0] for m in members] == [name + ".ovf", name + ".mf", name + "-os.vmdk",
                                   name + "-app.vmdk"], "OVA: .ovf, .mf, then the disks")
    ok(all(m[1] == b"ustar\x0000" for m in members), "OVA: every header is strict ustar",
       repr([m[1] for m in members]))
    ok(all(m[2] == b"0" for m in members), "OVA: regular files only, no pax or folders")
    tree = ET.parse(os.path.join(out, "ovf", name + ".ovf"))
    for f in tree.getroot().iter(OVF + "File"):
        href, size = f.get(OVF + "href"), int(f.get(OVF + "size"))
        real = os.path.getsize(os.path.join(out, "ovf", href))
        ok(size == real, "OVF: File %s ovf:size is its exact size" % href, "%d != %d" % (size, real))
    for d in tree.getroot().iter(OVF + "Disk"):
        ref = d.get(OVF + "fileRef")
        disk = "os" if ref.endswith("os") or "os" in ref.split("-")[-1] else "app"
        units = re.fullmatch(r"byte \* 2\^([0-9]+)", d.get(OVF + "capacityAllocationUnits") or "")
        cap = int(d.get(OVF + "capacity")) << int(units.group(1)) if units else -1
        ok(units and d.get(OVF + "populatedSize"),
           "OVF: Disk %s capacity in byte * 2^N (what every importer reads), populatedSize"
           % d.get(OVF + "diskId"))
        sizes = [os.path.getsize(os.path.join(out, "%s-%s.raw" % (name, x))) for x in ("os", "app")]
        ok(cap in sizes, "OVF: Disk %s capacity is a raw disk's size" % d.get(OVF + "diskId"))
        del disk


def azure_gce(out, name):
    for d in ("os", "app"):
        vhd = os.path.join(out, "%s-%s.vhd" % (name, d))
        raw = os.path.getsize(os.path.join(out, "%s-%s.raw" % (name, d)))
        size = os.path.getsize(vhd)
        with open(vhd, "rb") as f:
            f.seek(size - 512)
            footer = f.read(512)
        cur = int.from_bytes(footer[48:56], "big")
        ok(footer[0:8] == b"conectix", "azure %s: VHD footer cookie" % d)
        ok(int.from_bytes(footer[60:64], "big") == 2, "azure %s: disk type fixed" % d)
        ok(cur == raw and cur % (1 << 20) == 0 and size == cur + 512,
           "azure %s: virtual size %d, a whole number of MiB, data + footer" % (d, cur))
        gz = os.path.join(out, "%s-%s.tar.gz" % (name, d))
        with gzip.open(gz, "rb") as f:
            h = f.read(512)
        ok(h[0:9] == b"disk.raw\0", "gce %s: first member disk.raw" % d)
        ok(h[257:265] == b"ustar  \0", "gce %s: GNU tar header" % d, repr(h[257:265]))


def install(out):
    """Every INSTALL-*.md names only files of the folder, and each digest
    it gives ("    HEX  PATH") is that file's; every file of the report
    that serves the target is in its checksums."""
    r = json.load(open(os.path.join(out, "build-report.json")))
    files = {f["path"]: f for f in r["files"]}
    shipped = set(files) | {"SHA256SUMS", "build-report.json"}
    notes = sorted(p for p in files if p.startswith("INSTALL-"))
    ok(notes, "INSTALL: the folder has install notes (%s)" % " ".join(notes))
    stem = "%s-%s" % (r["name"], r["version"])
    members = set()
    for p, f in files.items():
        if f.get("output") == "ova":
            members.update(m[0] for m in tar_magic(os.path.join(out, p)))
    named_re = re.compile(r"(?:ovf/)?" + re.escape(stem) + r"[A-Za-z0-9._-]*")
    for note in notes:
        target = files[note]["for"][0] if files[note].get("for") else "?"
        text = open(os.path.join(out, note), encoding="utf-8").read()
        named = set(m.rstrip(".") for m in named_re.findall(text))
        # What the steps make on the target (NAME-os images, NAME.vmx) is
        # not named with the stem; the OVA's members are files of the folder
        # too (extracted by `tar xf` for `qm importovf`).
        missing = sorted(n for n in named if n not in shipped | members)
        ok(named and not missing, "%s: names only files of the folder" % note,
           " ".join(missing))
        sums = dict((p, h) for h, p in re.findall(r"^    ([0-9a-f]{64})  (\S+)$", text, re.M))
        wrong = sorted(p for p, h in sums.items() if files.get(p, {}).get("sha256") != h)
        ok(sums and not wrong, "%s: %d digests, each its file's" % (note, len(sums)),
           " ".join(wrong))
        serving = sorted(p for p, f in files.items()
                         if target in f.get("for", []) and f.get("output") != "install")
        ok(sorted(sums) == serving, "%s: checksums of every file for %s" % (note, target),
           "%s != %s" % (sorted(sums), serving))
        ok(re.search(r"@[A-Z0-9_]+@", text) is None, "%s: every placeholder filled" % note)
    want = set()
    for f in r["files"]:
        want.update(t for t in f.get("for", []))
    got = {files[n]["for"][0] for n in notes if files[n].get("for")}
    ok(got == want, "INSTALL: one note per target served (%s)" % " ".join(sorted(want)),
       "%s != %s" % (sorted(got), sorted(want)))


def main():
    cmd = sys.argv[1]
    {"report": report, "ova": ova, "azure-gce": azure_gce, "install": install}[cmd](*sys.argv[2:])


if __name__ == "__main__":
    main()
