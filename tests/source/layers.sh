#!/bin/bash
# tier: check
# The folders of builder/ are layers (builder/README.md): a folder includes
# headers of its own layer and of the layers below it, never above, and the
# three commands after the build (inspect, vmtest, deploy) not each other;
# lifecycle/ (resize, convert) may use all three.
# A public header belongs to the folder of its .c file.
set -u
cd "${TOP:-.}" || exit 99
python3 - <<'PY'
import glob, os, re, sys
order = ["common", "recipe", "plan", "os", "configure", "disk", "export", "build",
         "inspect", "vmtest", "deploy", "lifecycle", "cli"]
rank = {d: i for i, d in enumerate(order)}
peers = {"inspect", "vmtest", "deploy"}
# Headers with no .c of their name, by the folder whose API they are.
owner = {"cleanup": "common", "jsonutil": "common", "version": "common", "enums": "recipe",
         "recipe": "recipe", "plan": "plan", "os_source": "os", "configure": "configure",
         "export": "export", "inspect": "inspect", "boot_vm": "vmtest", "cli": "cli",
         "bundle": "inspect"}
for h in glob.glob("include/appliance/*.h"):
    name = os.path.basename(h)[:-2]
    c = glob.glob(f"builder/*/{name}.c")
    if c:
        owner[name] = c[0].split("/")[1]
    elif name not in owner:
        print(f"not ok - include/appliance/{name}.h belongs to no folder (no {name}.c)")
        owner[name] = None
folders = sorted(d for d in os.listdir("builder") if os.path.isdir(f"builder/{d}"))
unknown = [d for d in folders if d not in rank]
for d in unknown:
    print(f"not ok - builder/{d}/ is not a layer of tests/source/layers.sh")
bad = 0
files = glob.glob("builder/*/*.[ch]") + glob.glob("include/appliance/*.h")
for f in sorted(files):
    me = f.split("/")[1] if f.startswith("builder/") else owner.get(os.path.basename(f)[:-2])
    for m in re.findall(r'#include "appliance/(\w+)\.h"', open(f).read()):
        d = owner.get(m)
        if d is None or me is None:
            continue
        if (d in peers and me in peers and d != me) or rank[d] > rank[me]:
            print(f"not ok - {f} ({me}/) includes appliance/{m}.h ({d}/)")
            bad += 1
if bad == 0:
    print(f"ok - {len(files)} files in {len(folders)} folders include nothing above their layer")
n_bad = bad + len(unknown)
print(f"{0 if n_bad else 1} passed, {n_bad} failed")
sys.exit(1 if n_bad else 0)
PY
