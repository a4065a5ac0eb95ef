#!/bin/bash
# tier: check
# The folders of builder/ are layers (builder/README.md, whose layer table
# must be the order below, row for row): a folder includes
# headers of its own layer and of the layers below it, never above; the
# two readers of disk images (guestfs, the appliance's; diskread, the
# host's) not each other, nor the three commands after the build (inspect,
# vmtest, deploy); lifecycle/ (resize, convert) may use all three.
#
# Every header in include/appliance/ belongs to one folder: the folder of
# the .c of its name, or, for a header with none, the folder the table
# OWNER below gives; a header of no folder fails. Every function a header
# declares is defined in that folder (a header with two folders' functions
# is two headers). A header beside its sources (builder/FOLDER/NAME.h) is
# included from its own folder only. Only builder/guestfs/ includes
# <guestfs.h>: libguestfs is one folder's, and its API carries no
# libguestfs type.
#
# Before the tree, the checker runs on a small fake tree made to break each
# rule once, and must find each break and nothing else.
set -u
cd "${TOP:-.}" || exit 99
exec python3 - <<'PY'
import glob, os, re, sys, tempfile

ORDER = ["common", "recipe", "plan", "os", "configure", "guestfs", "diskread", "disk", "export",
         "pipeline", "inspect", "vmtest", "deploy", "lifecycle", "cli"]
RANK = {d: i for i, d in enumerate(ORDER)}
# Folders that share a layer and include none of each other: the two
# readers of disk images (the appliance's, the host's), and the three
# commands after the build.
PEER_GROUPS = [{"guestfs", "diskread"}, {"inspect", "vmtest", "deploy"}]


def peers(a, b):
    return any(a in g and b in g for g in PEER_GROUPS)
# Headers with no .c of their name, by the folder whose API they are.
OWNER = {"bytes": "common", "cleanup": "common", "jsonutil": "common", "version": "common",
         "recipe": "recipe", "ova_target": "plan", "configure": "configure",
         "inspect": "inspect", "cli": "cli"}


def read(path):
    with open(path) as f:
        return f.read()


def defined_functions():
    """Function name -> the folders whose .c files define it (not static)."""
    defs = {}
    for c in glob.glob("builder/*/*.c"):
        lines = read(c).split("\n")
        for i, line in enumerate(lines):
            m = re.match(r"(\w+)\(", line)
            if m and i > 0 and not lines[i - 1].startswith("static"):
                defs.setdefault(m.group(1), set()).add(c.split("/")[1])
    return defs


def declared_functions(header):
    """The functions a header declares (not those it defines inline)."""
    text = re.sub(r"/\*.*?\*/", "", read(header), flags=re.S)
    names = re.findall(r"^(?!static|#|typedef)[A-Za-z_][\w\s*]*?\b(\w+)\(", text, re.M)
    return sorted({n for n in names if not n.startswith("_")})


def owners(table, fail):
    """include/appliance/NAME.h -> its folder, by NAME.c or the table."""
    owner = {}
    names = sorted(os.path.basename(h)[:-2] for h in glob.glob("include/appliance/*.h"))
    for name in names:
        impl = sorted({c.split("/")[1] for c in glob.glob(f"builder/*/{name}.c")})
        if len(impl) > 1:
            fail(f"include/appliance/{name}.h belongs to {len(impl)} folders "
                 f"({', '.join(d + '/' + name + '.c' for d in impl)})")
        elif impl:
            owner[name] = impl[0]
            if name in table:
                fail(f"include/appliance/{name}.h is builder/{impl[0]}/{name}.c's, "
                     f"yet the table of layers.sh gives it to {table[name]}/")
        elif table.get(name) in RANK:
            owner[name] = table[name]
        else:
            fail(f"include/appliance/{name}.h belongs to no folder "
                 f"(no builder/*/{name}.c, and the table of layers.sh names no layer for it)")
    for name in sorted(set(table) - set(names)):
        fail(f"the table of layers.sh names include/appliance/{name}.h, which does not exist")
    return owner


def check_functions(owner, fail):
    defs = defined_functions()
    n = 0
    for name, mine in sorted(owner.items()):
        elsewhere = {}
        for fn in declared_functions(f"include/appliance/{name}.h"):
            n += 1
            for d in sorted(defs.get(fn, set()) - {mine}):
                elsewhere.setdefault(d, []).append(fn)
        for d, fns in sorted(elsewhere.items()):
            fail(f"include/appliance/{name}.h ({mine}/) declares {', '.join(fns)}, "
                 f"defined in {d}/: a header has the functions of one folder")
    return n


def includes(path):
    return re.findall(r'^\s*#\s*include\s+"([^"]+)"', read(path), re.M)


def check_upward(files, folder_of, owner, fail):
    for f in files:
        me = folder_of(f)
        for m in includes(f):
            if not m.startswith("appliance/"):
                continue
            d = owner.get(m[len("appliance/"):-len(".h")])
            if d is None or me is None:
                continue  # a header of no folder has failed already
            if (peers(d, me) and d != me) or RANK[d] > RANK[me]:
                fail(f"{f} ({me}/) includes {m} ({d}/)")


def check_private(files, folder_of, fail):
    """builder/X/NAME.h: included from builder/X/ only, as the compiler
    finds a quoted name (the file's folder, then -Iinclude, -Ibuilder)."""
    n = 0
    for f in files:
        me = f.split("/")[1] if f.startswith("builder/") else None
        for m in includes(f):
            found = [p for p in (os.path.normpath(os.path.join(os.path.dirname(f), m)),
                                 os.path.normpath(os.path.join("include", m)),
                                 os.path.normpath(os.path.join("builder", m)))
                     if os.path.isfile(p)]
            if not found or not found[0].startswith("builder/"):
                continue
            n += 1
            d = found[0].split("/")[1]
            if d != me:
                fail(f"{f} ({folder_of(f)}/) includes {m}, {found[0]}: a header of "
                     f"{d}/ alone (one that crosses folders lives in include/appliance/)")
    return n


def check_guestfs(files, fail):
    """<guestfs.h> in builder/guestfs/ only, and no libguestfs type named
    outside it (its API carries none)."""
    n = 0
    for f in files:
        text = read(f)
        mine = f.startswith("builder/guestfs/")
        if re.search(r"^\s*#\s*include\s+<guestfs\.h>", text, re.M):
            n += 1
            if not mine:
                fail(f"{f} includes <guestfs.h>: libguestfs is builder/guestfs/'s alone")
        elif not mine and re.search(r"\bguestfs_h\b", text):
            fail(f"{f} names a libguestfs type: builder/guestfs/'s API carries none")
    return n


def layer_rows():
    """The layer table ORDER and PEER_GROUPS make: (layer, folder, may include);
    the commands after the build share one layer."""
    rows, layer = [], -1
    for i, d in enumerate(ORDER):
        if not (i > 0 and peers(d, ORDER[i - 1])):
            layer += 1
        may = "nothing else" if layer == 0 else "`common/`" if layer == 1 else f"0-{layer - 1}"
        rows.append((str(layer), d, may))
    return rows


def check_readme(fail):
    """builder/README.md's table under "## Layers" is layer_rows()."""
    path = "builder/README.md"
    text = read(path) if os.path.isfile(path) else ""
    section = re.search(r"^## Layers.*?$(.*?)(?=^## |\Z)", text, re.M | re.S)
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*`(\w+)/`\s*\|\s*(.*?)\s*\|\s*$",
                      section.group(1) if section else "", re.M)
    want = layer_rows()
    for i in range(max(len(rows), len(want))):
        got = rows[i] if i < len(rows) else None
        if got != (want[i] if i < len(want) else None):
            fail(f"{path}'s layer table, row {i + 1}: {' | '.join(got) if got else 'missing'}; "
                 f"layers.sh enforces {' | '.join(want[i]) if i < len(want) else 'no such row'}")
            break
    return len(rows)


def check(top, table):
    """Every rule on the tree at top: a list of (passed, message)."""
    results = []
    here = os.getcwd()
    os.chdir(top)
    try:
        def section(ok_message, run):
            failed = []
            value = run(failed.append)
            results.extend((False, m) for m in failed)
            if not failed:
                results.append((True, ok_message(value)))
            return value

        folders = sorted(d for d in os.listdir("builder") if os.path.isdir(f"builder/{d}"))
        headers = sorted(glob.glob("include/appliance/*.h"))
        section(lambda _: f"the {len(folders)} folders of builder/ are layers",
                lambda fail: [fail(f"builder/{d}/ is not a layer of tests/source/layers.sh")
                              for d in folders if d not in RANK])
        owner = section(lambda _: f"each of the {len(headers)} headers of include/appliance/ "
                        "belongs to one folder", lambda fail: owners(table, fail))
        section(lambda n: f"the {n} functions the headers of include/appliance/ declare are "
                "each defined in the header's folder", lambda fail: check_functions(owner, fail))

        files = sorted(glob.glob("builder/*/*.[ch]")) + headers
        def folder_of(f):
            if f.startswith("builder/"):
                return f.split("/")[1]
            return owner.get(os.path.basename(f)[:-2])
        section(lambda _: f"{len(files)} files in {len(folders)} folders include nothing "
                "above their layer", lambda fail: check_upward(files, folder_of, owner, fail))
        section(lambda n: f"the {n} includes of headers beside their sources are each from "
                "the header's own folder", lambda fail: check_private(files, folder_of, fail))
        section(lambda n: f"the {n} files that include <guestfs.h> are all in builder/guestfs/",
                lambda fail: check_guestfs(files, fail))
        section(lambda n: f"the {n} rows of builder/README.md's layer table are the layers "
                "enforced here", check_readme)
    finally:
        os.chdir(here)
    return results


# The fake tree: each rule broken once, beside uses that are allowed.
FAKE = {
    "builder/common/low.c": '#include "appliance/high.h"\n',
    "builder/plan/high.c": '#include "appliance/high.h"\n#include "secret.h"\n'
                           "int\nhigh_make(void)\n{\n    return 0;\n}\n",
    "builder/plan/secret.h": "",
    "builder/plan/mixed.c": "int\nmixed_a(void)\n{\n    return 0;\n}\n",
    "builder/os/tree.c": '#include "appliance/high.h"\n#include "plan/secret.h"\n'
                         "int\nmixed_b(void)\n{\n    return 0;\n}\n",
    "builder/os/image.c": "#include <guestfs.h>\n",
    "builder/guestfs/gfs.c": "#include <guestfs.h>\n",
    "include/appliance/leak.h": "struct guestfs_h;\nint leak_make(struct guestfs_h *g);\n",
    "builder/README.md": "## Layers\n\n" + "".join(
        f"| {n} | `{d}/` | {may} |\n" for n, d, may in layer_rows() if d != "export"),
    "builder/guestfs/leak.c": "int\nleak_make(struct guestfs_h *g)\n{\n    return !g;\n}\n",
    "include/appliance/high.h": "int high_make(void);\n",
    "include/appliance/peer.h": "int peer_make(void);\n",
    "builder/guestfs/peer.c": "int\npeer_make(void)\n{\n    return 0;\n}\n",
    "builder/diskread/reader.c": '#include "appliance/peer.h"\n',
    "include/appliance/mixed.h": "int mixed_a(void);\nint mixed_b(void);\n",
    "include/appliance/orphan.h": "",
    "include/appliance/header_only.h": "static inline int\nheader_only(void)\n{\n"
                                       "    return 1;\n}\n",
}
FAKE_TABLE = {"header_only": "common", "gone": "common"}
EXPECTED = [
    ("an include that crosses upward",
     "builder/common/low.c (common/) includes appliance/high.h (plan/)"),
    ("a header of no folder", "include/appliance/orphan.h belongs to no folder"),
    ("a table row for no header", "names include/appliance/gone.h, which does not exist"),
    ("a header with two folders' functions",
     "include/appliance/mixed.h (plan/) declares mixed_b, defined in os/"),
    ("a header beside its sources included from another folder",
     "builder/os/tree.c (os/) includes plan/secret.h, builder/plan/secret.h"),
    ("<guestfs.h> included outside builder/guestfs/",
     "builder/os/image.c includes <guestfs.h>"),
    ("a README layer table that is not the enforced one",
     "builder/README.md's layer table, row 9: 8 | pipeline | 0-7; layers.sh enforces 7 | export"),
    ("an include between the two readers of disk images, which share a layer",
     "builder/diskread/reader.c (diskread/) includes appliance/peer.h (guestfs/)"),
    ("a libguestfs type named outside builder/guestfs/",
     "include/appliance/leak.h names a libguestfs type"),
]


def selftest():
    with tempfile.TemporaryDirectory(prefix="layers.") as top:
        for path, text in FAKE.items():
            os.makedirs(os.path.join(top, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(top, path), "w") as f:
                f.write(text)
        found = [m for ok, m in check(top, FAKE_TABLE) if not ok]
    results = []
    for what, needle in EXPECTED:
        hit = [m for m in found if needle in m]
        results.append((bool(hit), f"self-check: {what} fails in a fake tree"))
        found = [m for m in found if needle not in m]
    for m in found:
        results.append((False, f"self-check: the fake tree fails where it should not: {m}"))
    return results


results = selftest() + check(".", OWNER)
for ok, message in results:
    print(f"{'ok' if ok else 'not ok'} - {message}")
failed = sum(1 for ok, _ in results if not ok)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
