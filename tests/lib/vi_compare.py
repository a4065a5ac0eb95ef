#!/usr/bin/python3
# vi_compare.py INSPECT_JSON VI_XML: what `appliance inspect --json` says of
# a guest against what virt-inspector says of the same disks, one TAP line
# per fact (`ok - ...` / `not ok - ...`): one OS, its root, distribution,
# product name, arch, hostname, package format, version and package count,
# the mount points, and every filesystem's type, label and UUID.
# tests/integration/inspect.sh judges with it; bench/lifecycle.sh says
# whether the two reported the same facts.
import json
import sys
import xml.etree.ElementTree as ET

got = json.load(open(sys.argv[1]))["guest"]
vi = ET.parse(sys.argv[2]).getroot()
def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
oses = vi.findall("operatingsystem")
check(len(oses) == len(got["operating_systems"]) == 1, "virt-inspector and inspect: one OS")
if oses and got["operating_systems"]:
    v, o = oses[0], got["operating_systems"][0]
    def text(tag):
        e = v.find(tag)
        return e.text if e is not None else None
    for tag, key in [("root", "root"), ("distro", "distro"), ("product_name", "product_name"),
                     ("arch", "arch"), ("hostname", "hostname"),
                     ("package_format", "package_format")]:
        check(text(tag) == o[key], "%s: virt-inspector %s, inspect %s" % (tag, text(tag), o[key]))
    check((int(text("major_version")), int(text("minor_version"))) ==
          (o["major_version"], o["minor_version"]), "the version")
    apps = len(v.findall("applications/application"))
    check(apps == o["packages"], "packages: virt-inspector %d, inspect %s" % (apps, o["packages"]))
    vm = {m.text: m.get("dev") for m in v.findall("mountpoints/mountpoint")}
    om = {m["path"]: m["device"] for m in o["mounts"]}
    check(vm == om, "mount points (%d)" % len(vm))
    fss = {f["device"]: f for f in got["filesystems"]}
    for f in v.findall("filesystems/filesystem"):
        mine = fss.get(f.get("dev"), {})
        theirs = tuple(f.find(t).text if f.find(t) is not None else None
                       for t in ("type", "label", "uuid"))
        check(theirs == (mine.get("type"), mine.get("label"), mine.get("uuid")),
              "%s: %s, inspect %s" % (f.get("dev"), theirs,
                                      (mine.get("type"), mine.get("label"), mine.get("uuid"))))
