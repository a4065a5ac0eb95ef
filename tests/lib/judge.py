#!/usr/bin/env python3
"""judge.py: compare what tools nobody here wrote saw in a built appliance
with the plan it was built from (`appliance plan RECIPE --json`).

  judge.py report      PLAN.json SERIAL.log
      the APPLIANCE-REPORT the booted guest printed on ttyS0
  judge.py filesystems PLAN.json VFS.csv
      `virt-filesystems --all --long --csv [--uuid] -a OS.img -a APP.img`
  judge.py gpt         PLAN.json OS-SFDISK.json APP-SFDISK.json
      `sfdisk --json OS.img`, `sfdisk --json APP.img`
  judge.py inspector   PLAN.json INSPECTOR.xml [INSPECTOR.stderr]
      `virt-inspector -a OS.img -a APP.img` (and what it printed on stderr)

Each check prints "ok - ..." or "not ok - ..."; the exit status is 0 when
all passed, 1 when one failed, 2 when an input cannot be read or parsed.
The OS disk must be the first disk given to libguestfs (/dev/sda), the
application disk the second (/dev/sdb).
"""

import csv
import json
import itertools
import re
import sys
import xml.etree.ElementTree as ET

LIBGUESTFS_DEVICE = {"os": "/dev/sda", "app": "/dev/sdb"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
KMSG_PREFIX = re.compile(r"^(?:\[\s*\d+\.\d+\]\s+)?[A-Za-z0-9_.@:-]+\[\d+\]:\s+"
                         r"(?=(?:APPLIANCE-REPORT-|mount |swap |lv ))")


class Judge:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what, why=""):
        if cond:
            self.passed += 1
            print(f"ok - {what}")
        else:
            self.failed += 1
            print(f"not ok - {what}" + (f": {why}" if why else ""))
        return cond


class BadInput(Exception):
    pass


# ---- the plan ---------------------------------------------------------------

def load_plan(path):
    try:
        with open(path) as f:
            plan = json.load(f)
        plan["disks"], plan["mounts"]  # noqa: B018 (shape check)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BadInput(f"cannot read plan '{path}': {e}")
    return plan


def plan_vgs(plan):
    """[(disk, vg)] for every disk that has a volume group."""
    return [(d, d["vg"]) for d in plan["disks"] if d.get("vg")]


def plan_lvs(plan):
    """[(vg name, lv)] over both volume groups."""
    return [(vg["name"], lv) for _, vg in plan_vgs(plan) for lv in vg["lvs"]]


def mount_lv(m):
    """(vg, lv) of a plan mount on a logical volume, else None."""
    lv = m.get("lv")
    if not lv:
        return None
    parts = lv.split("/")
    if len(parts) != 4 or parts[:2] != ["", "dev"]:
        raise BadInput(f"plan mount '{m['path']}': unexpected lv '{lv}'")
    return parts[2], parts[3]


def mapper_name(vg, lv):
    """The device-mapper name of an LV: '-' doubled in both names."""
    return "/dev/mapper/" + vg.replace("-", "--") + "-" + lv.replace("-", "--")


def vg_bytes(vg):
    return vg["extents"] * vg["extent_size"]


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError as e:
        raise BadInput(f"cannot read '{path}': {e}")


# ---- the serial report ------------------------------------------------------

def parse_report(text):
    """The last complete APPLIANCE-REPORT in a serial log, as
    (name, version, mounts, swaps, lvs, malformed lines), or None.

    Console noise (systemd status lines, kernel messages) may be
    interleaved with the report: only lines that start with a report
    keyword count, other lines between BEGIN and END are ignored."""
    lines = [ANSI.sub("", l).replace("\r", "").strip() for l in text.split("\n")]
    # A report written to the journal reaches the console through the
    # kernel log, each line behind "[  47.9] ident[pid]: ": same content.
    lines = [KMSG_PREFIX.sub("", l) for l in lines]
    last = None
    cur = None
    for line in lines:
        m = re.search(r"APPLIANCE-REPORT-BEGIN(?: (\S+))?(?: (\S+))?", line)
        if m:
            cur = {"name": m.group(1), "version": m.group(2), "mount": [],
                   "swap": [], "lv": [], "malformed": []}
            continue
        if cur is None:
            continue
        if "APPLIANCE-REPORT-END" in line:
            last, cur = cur, None
            continue
        words = line.split()
        if not words or words[0] not in ("mount", "swap", "lv"):
            continue
        want = {"mount": 4, "swap": 2, "lv": 2}[words[0]]
        if len(words) != want:
            cur["malformed"].append(line)
        else:
            cur[words[0]].append(tuple(words[1:]))
    return last


PART_DEVICE = re.compile(r"^/dev/(?:(?:[shv]|xv)d[a-z]+(\d+)|(?:nvme\d+n\d+|mmcblk\d+)p(\d+))$")


def judge_report(j, plan, log_path):
    rep = parse_report(read_text(log_path))
    if not j.check(rep is not None, "serial log holds a complete APPLIANCE-REPORT",
                   f"no APPLIANCE-REPORT-BEGIN ... APPLIANCE-REPORT-END in {log_path}"):
        return
    j.check(rep["name"] == plan["name"] and rep["version"] == plan["version"],
            "report names the appliance",
            f"BEGIN line says '{rep['name']} {rep['version']}', "
            f"plan is '{plan['name']} {plan['version']}'")
    j.check(not rep["malformed"], "report lines are well formed",
            "; ".join(repr(l) for l in rep["malformed"]))

    mounts = {}
    for target, source, fstype in rep["mount"]:
        mounts.setdefault(target, []).append((source, fstype))
    for m in plan["mounts"]:
        path, fs = m["path"], m["fs"]
        got = mounts.get(path)
        if not j.check(bool(got), f"{path} is mounted", "no 'mount' line for it"):
            continue
        j.check(len(got) == 1, f"{path} is mounted once", f"mounted {len(got)} times: {got}")
        source, fstype = got[-1]
        j.check(fstype == fs, f"{path} is {fs}", f"mounted as {fstype}")
        lv = mount_lv(m)
        if lv:
            want = mapper_name(*lv)
            j.check(source == want, f"{path} is mounted from {want}", f"source is {source}")
        else:
            pm = PART_DEVICE.match(source)
            num = pm and (pm.group(1) or pm.group(2))
            j.check(num == str(m.get("partition")),
                    f"{path} is mounted from partition {m.get('partition')} of disk "
                    f"'{m.get('disk')}'", f"source is {source}")
    planned = {m["path"] for m in plan["mounts"]}
    extra = sorted(t for t in mounts if t not in planned)
    j.check(not extra, "no filesystem mounted that the plan does not have",
            "unexpected: " + ", ".join(f"{t} ({mounts[t][0][0]} {mounts[t][0][1]})" for t in extra))

    swaps = {s[0] for s in rep["swap"]}
    for vg, lv in plan_lvs(plan):
        if lv["fs"] != "swap":
            continue
        names = {mapper_name(vg, lv["name"]), f"/dev/{vg}/{lv['name']}"}
        kernel_names = sorted(s for s in swaps if re.fullmatch(r"/dev/dm-\d+", s))
        hint = (f"; {', '.join(kernel_names)} is a kernel name that does not say which LV it is"
                if kernel_names else "")
        j.check(bool(swaps & names), f"swap {vg}/{lv['name']} is active",
                "swap lines: " + (", ".join(sorted(swaps)) or "none")
                + f" (want {mapper_name(vg, lv['name'])}{hint})")
    nswap = sum(1 for _, lv in plan_lvs(plan) if lv["fs"] == "swap")
    j.check(len(swaps) == nswap, f"{nswap} swap device(s) active",
            f"{len(swaps)}: " + ", ".join(sorted(swaps)))

    lvs = {l[0] for l in rep["lv"]}
    want = {f"{vg}/{lv['name']}" for vg, lv in plan_lvs(plan)}
    for name in sorted(want):
        j.check(name in lvs, f"lv {name} is active", "no 'lv' line for it")
    j.check(lvs <= want, "no active LV that the plan does not have",
            "unexpected: " + ", ".join(sorted(lvs - want)))


# ---- virt-filesystems -------------------------------------------------------

def parse_vfs_csv(path):
    text = read_text(path)
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or not {"Name", "Type", "Size"} <= set(rows[0]):
        raise BadInput(f"'{path}' is not `virt-filesystems --long --csv` output "
                       "(no Name, Type, Size columns)")
    for r in rows:
        try:
            r["Size"] = int(r["Size"]) if r["Size"] not in ("", None) else None
        except ValueError:
            raise BadInput(f"'{path}': size '{r['Size']}' of {r['Name']} is not bytes "
                           "(use --long --csv, without -h)")
    return rows


def relettered_pvs(pvs, want_pvs):
    """virt-filesystems names PVs as LVM inside the appliance does, by the
    kernel's names, which libguestfs translates for partitions but not for
    PVs. The kernel scans the appliance's disks at once and names them in
    any order: the appliance's own disk may come first (/dev/sdb4 and
    /dev/sdc1 for the PVs of the first two drives, libguestfs issue #69),
    and under load the second drive may come before the first (/dev/sda1,
    /dev/sdb4). The PV names carry nothing of which drive is which, so
    the disk letters are mapped back by the only relabelling that makes
    every PV the planned one: its partition number and its size (the VG's
    extents) on a disk of its own. Anything else is judged as it came."""
    if set(pvs) == set(want_pvs):
        return pvs
    split = lambda n: re.fullmatch(r"(/dev/sd)([a-z])(\d+)", n)
    got = {n: split(n) for n in pvs}
    want = {n: split(n) for n in want_pvs}
    if not all(got.values()) or not all(want.values()):
        return pvs
    got_letters = sorted({m.group(2) for m in got.values()})
    want_letters = sorted({m.group(2) for m in want.values()})
    if len(got_letters) != len(want_letters):
        return pvs
    fits = []
    for perm in itertools.permutations(want_letters):
        letter = dict(zip(got_letters, perm))
        mapped = {f"{m.group(1)}{letter[m.group(2)]}{m.group(3)}": pvs[n] for n, m in got.items()}
        if set(mapped) == set(want_pvs) and all(
                mapped[n].get("Size") == vg_bytes(vg) for n, (d, vg) in want_pvs.items()):
            fits.append(mapped)
    if len(fits) != 1:
        return pvs
    print("# PVs named " + ", ".join(sorted(pvs)) + " by LVM in the appliance (the kernel "
          "named its disks in another order: libguestfs issue #69), judged as "
          + ", ".join(sorted(fits[0])) + " by their partitions and sizes")
    return fits[0]


def judge_filesystems(j, plan, csv_path):
    rows = parse_vfs_csv(csv_path)
    by_type = {}
    for r in rows:
        by_type.setdefault(r["Type"], {})[r["Name"]] = r

    devices = by_type.get("device", {})
    want_devs = {LIBGUESTFS_DEVICE[d["id"]]: d for d in plan["disks"]}
    j.check(set(devices) == set(want_devs), f"{len(want_devs)} disks",
            "virt-filesystems saw " + ", ".join(sorted(devices)))
    for dev, d in sorted(want_devs.items()):
        got = devices.get(dev, {}).get("Size")
        j.check(got == d["size"], f"disk '{d['id']}' ({dev}) is {d['size']} bytes", f"{got}")

    # Partitions: exactly the plan's, with its sizes.
    parts = by_type.get("partition", {})
    for dev, d in sorted(want_devs.items()):
        want = {f"{dev}{p['number']}": p for p in d["partitions"]}
        got = {n for n, r in parts.items() if r.get("Parent") == dev or
               (not r.get("Parent") and re.fullmatch(re.escape(dev) + r"\d+", n))}
        j.check(got == set(want), f"disk '{d['id']}' has {len(want)} partitions",
                f"{len(got)}: " + ", ".join(sorted(got)))
        for name, p in sorted(want.items()):
            size = parts.get(name, {}).get("Size")
            j.check(size == p["size"], f"partition {name} ({p['role']}) is {p['size']} bytes",
                    f"{size}")

    # Physical volumes: one per VG, on the plan's partition of its own disk.
    # (The PV column of a VG row is not used: virt-filesystems mislabels it
    # when two VGs exist. A VG is tied to its disk by its size instead.)
    pvs = by_type.get("pv", {})
    want_pvs = {f"{LIBGUESTFS_DEVICE[d['id']]}{vg['pv_partition']}": (d, vg)
                for d, vg in plan_vgs(plan)}
    pvs = relettered_pvs(pvs, want_pvs)
    j.check(set(pvs) == set(want_pvs), f"{len(want_pvs)} physical volumes",
            "virt-filesystems saw " + (", ".join(sorted(pvs)) or "none")
            + "; want " + ", ".join(sorted(want_pvs)))
    for name, (d, vg) in sorted(want_pvs.items()):
        size = pvs.get(name, {}).get("Size")
        j.check(size == vg_bytes(vg), f"PV {name} of disk '{d['id']}' holds {vg['extents']} "
                f"extents of {vg['extent_size']} bytes", f"PV size {size}")

    vgs = by_type.get("vg", {})
    want_vgs = {f"/dev/{vg['name']}": (d, vg) for d, vg in plan_vgs(plan)}
    j.check(set(vgs) == set(want_vgs), "volume groups " + ", ".join(sorted(want_vgs)),
            "virt-filesystems saw " + (", ".join(sorted(vgs)) or "none"))
    for name, (d, vg) in sorted(want_vgs.items()):
        size = vgs.get(name, {}).get("Size")
        pv = pvs.get(f"{LIBGUESTFS_DEVICE[d['id']]}{vg['pv_partition']}", {}).get("Size")
        j.check(size == vg_bytes(vg) and size == pv,
                f"VG {name} is {vg_bytes(vg)} bytes, the size of the PV on disk '{d['id']}'",
                f"VG size {size}, PV size {pv}")

    # Logical volumes: exactly the plan's in each VG, with its sizes.
    lvs = by_type.get("lv", {})
    for name, (d, vg) in sorted(want_vgs.items()):
        want = {f"{name}/{lv['name']}": lv for lv in vg["lvs"]}
        got = {n for n, r in lvs.items() if r.get("Parent") == name or
               (not r.get("Parent") and n.startswith(name + "/"))}
        j.check(got == set(want), f"VG {name} has LVs " + ", ".join(lv["name"] for lv in vg["lvs"]),
                "virt-filesystems saw " + (", ".join(sorted(got)) or "none"))
        for lvname, lv in sorted(want.items()):
            size = lvs.get(lvname, {}).get("Size")
            j.check(size == lv["size"], f"LV {lvname} is {lv['size']} bytes", f"{size}")

    # Filesystems: each planned one of the right type, filling its volume.
    fss = by_type.get("filesystem", {})
    want_fs = {}
    for vgname, lv in plan_lvs(plan):
        if lv.get("fs"):
            want_fs[f"/dev/{vgname}/{lv['name']}"] = (lv["fs"], lv["size"])
    for d in plan["disks"]:
        for p in d["partitions"]:
            if p.get("fs"):
                want_fs[f"{LIBGUESTFS_DEVICE[d['id']]}{p['number']}"] = (p["fs"], p["size"])
    for dev, (fs, size) in sorted(want_fs.items()):
        r = fss.get(dev)
        if not j.check(r is not None, f"{dev} holds a filesystem", "none found"):
            continue
        j.check(r.get("VFS") == fs, f"{dev} is {fs}", f"found {r.get('VFS') or 'nothing'}")
        got = r.get("Size")
        # Filesystem sizes leave out their own metadata: ext4, xfs and vfat
        # keep well over 85% of their volume.
        j.check(got is not None and 0.85 * size <= got <= size,
                f"{dev} fills its {size}-byte volume", f"filesystem size {got}")
    extra = sorted(n for n, r in fss.items()
                   if n not in want_fs and r.get("VFS") not in ("", "unknown", None))
    j.check(not extra, "no filesystem that the plan does not have",
            ", ".join(f"{n} ({fss[n]['VFS']})" for n in extra))


# ---- sfdisk --json: the GPTs, byte for byte ---------------------------------

def judge_gpt(j, plan, os_json, app_json):
    files = {"os": os_json, "app": app_json}
    for d in plan["disks"]:
        path = files.get(d["id"])
        if path is None:
            raise BadInput(f"plan has disk '{d['id']}' that the gpt judge does not know")
        try:
            table = json.loads(read_text(path))["partitiontable"]
        except (ValueError, KeyError, TypeError) as e:
            raise BadInput(f"'{path}' is not `sfdisk --json` output: {e}")
        want_label = d.get("table", "gpt")
        j.check(table.get("label") == want_label, f"disk '{d['id']}' has a {want_label} table",
                f"label {table.get('label')}")
        sector = table.get("sectorsize", 512)
        got = {}
        for p in table.get("partitions", []):
            num = re.search(r"(\d+)$", p.get("node", ""))
            if num:
                got[int(num.group(1))] = p
        want = {p["number"]: p for p in d["partitions"]}
        j.check(set(got) == set(want), f"disk '{d['id']}' GPT has partitions {sorted(want)}",
                f"found {sorted(got)}")
        for n, p in sorted(want.items()):
            g = got.get(n)
            if g is None:
                continue
            start, size = g["start"] * sector, g["size"] * sector
            j.check((start, size) == (p["start"], p["size"]),
                    f"disk '{d['id']}' partition {n} ({p['role']}) at {p['start']}, "
                    f"{p['size']} bytes", f"at {start}, {size} bytes")
            j.check(g.get("type", "").upper() == p["type_guid"].upper(),
                    f"disk '{d['id']}' partition {n} has type {p['type_guid']} ({p['role']})",
                    f"type {g.get('type')}")


# ---- virt-inspector ---------------------------------------------------------

# recipe distro -> (inspector distro, major version)
DISTROS = {
    "debian-12": ("debian", 12),
    "ubuntu-24.04": ("ubuntu", 24),
    "centos-stream-9": ("centos", 9),
    "rocky-9": ("rocky", 9),
    "almalinux-9": ("alma", 9),
}


def judge_inspector(j, plan, xml_path, stderr_path=None):
    try:
        root = ET.fromstring(read_text(xml_path))
    except ET.ParseError as e:
        raise BadInput(f"'{xml_path}' is not virt-inspector XML: {e}")
    oses = root.findall("operatingsystem")
    if not j.check(len(oses) == 1, "virt-inspector finds one operating system",
                   f"found {len(oses)}"):
        return
    osx = oses[0]
    text = lambda tag: (osx.findtext(tag) or "").strip()  # noqa: E731

    rootlv = next((m["lv"] for m in plan["mounts"] if m["path"] == "/" and m.get("lv")), None)
    if rootlv:
        j.check(text("root") == rootlv, f"root filesystem is {rootlv}", f"found {text('root')}")
    j.check(text("name") == "linux", "OS is linux", f"found '{text('name')}'")
    distro = plan["os"].get("distro")
    if distro in DISTROS:
        name, major = DISTROS[distro]
        j.check(text("distro") == name, f"distro is {name}", f"found '{text('distro')}'")
        j.check(text("major_version") == str(major), f"major version is {major}",
                f"found '{text('major_version')}' ({text('product_name')})")
    j.check(text("arch") == "x86_64", "arch is x86_64", f"found '{text('arch')}'")
    if plan["os"].get("hostname"):
        j.check(text("hostname") == plan["os"]["hostname"],
                f"hostname is {plan['os']['hostname']}", f"found '{text('hostname')}'")

    mps = {}
    for mp in osx.iter("mountpoint"):
        mps[(mp.text or "").strip()] = mp.get("dev")
    disk_dev = {d["id"]: LIBGUESTFS_DEVICE[d["id"]] for d in plan["disks"]}
    for m in plan["mounts"]:
        want = m["lv"] if m.get("lv") else f"{disk_dev[m['disk']]}{m['partition']}"
        j.check(mps.get(m["path"]) == want, f"fstab mounts {m['path']} from {want}",
                f"found {mps.get(m['path'])}" if m["path"] in mps else "not listed")
    planned = {m["path"] for m in plan["mounts"]}
    extra = sorted(p for p in mps if p not in planned)
    j.check(not extra, "fstab mounts nothing the plan does not have", ", ".join(extra))

    fss = {fs.get("dev"): (fs.findtext("type") or "").strip() for fs in osx.iter("filesystem")}
    for vgname, lv in plan_lvs(plan):
        if lv.get("fs"):
            dev = f"/dev/{vgname}/{lv['name']}"
            j.check(fss.get(dev) == lv["fs"], f"inspector sees {lv['fs']} on {dev}",
                    f"found {fss.get(dev)}")

    apps = {(a.findtext("name") or "").strip() for a in osx.iter("application")}
    for pkg in plan["os"].get("packages", []):
        j.check(pkg in apps, f"package {pkg} is installed", "not in the package database")
    # The add-ons' guest tools, as Debian packages them (VirtualBox: the
    # kernel's own vboxguest driver, no package).
    addon_packages = {"vmware": "open-vm-tools", "hyperv": "hyperv-daemons",
                      "kvm": "qemu-guest-agent"}
    if plan["os"].get("family") == "debian":
        for addon in plan["os"].get("addons", []):
            pkg = addon_packages.get(addon)
            if pkg:
                j.check(pkg in apps, f"add-on {addon}: {pkg} is installed",
                        "not in the package database")

    if stderr_path is not None:
        err = read_text(stderr_path).strip()
        bad = [l for l in err.splitlines() if "error" in l or "could not be mounted" in l]
        j.check(not bad, "virt-inspector mounts every filesystem without error",
                " / ".join(bad))


# ---- main -------------------------------------------------------------------

COMMANDS = {
    "report": (judge_report, 2, 2),
    "filesystems": (judge_filesystems, 2, 2),
    "gpt": (judge_gpt, 3, 3),
    "inspector": (judge_inspector, 2, 3),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    fn, lo, hi = COMMANDS[argv[1]]
    args = argv[2:]
    if not lo <= len(args) <= hi:
        print(f"judge.py {argv[1]}: wrong number of arguments", file=sys.stderr)
        return 2
    j = Judge()
    try:
        plan = load_plan(args[0])
        fn(j, plan, *args[1:])
    except BadInput as e:
        print(f"not ok - {argv[1]}: {e}")
        return 2
    return 1 if j.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
