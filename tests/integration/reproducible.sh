#!/bin/bash
# tier: check
# timeout: 1500
# Reproducible builds (issue 12): the layout recipe built twice from the same
# cached root tree must give every shipped file identical bit for bit,
# although the second build differs in everything else a build could leak:
#  - another output folder (deeper, other name) and another working folder
#  - another TMPDIR, another current directory
#  - another host name (a UTS namespace: unshare -u)
#  - one CPU instead of all (taskset -c 0: the exporters' thread count)
#  - a pause of two seconds between them (the wall clock)
#  - --no-reuse: its disks and exports are written afresh, not copied from
#    the first build's in the cache (the runs of zeros in its disks are
#    looked up, not hashed: sha256sum -c judges its SHA256SUMS too)
# Neither sets SOURCE_DATE_EPOCH: the default, derived from the root tree,
# must be the same, and is in build-report.json. build-report.json keeps
# the run's timings and is the one file allowed to differ; SHA256SUMS must
# not list it. When two files differ, the first differing byte is printed,
# and for a disk image the partition or LV it falls in.
#
# Then a third build with `seed:` set: every UUID (GPT, LVM, filesystems)
# differs from the first build, and the layout (partitions, LVs, sizes,
# filesystem types and labels) does not.
#
# Three builds of the layout recipe (the first shared with engine-layout.sh
# and boot.sh through the itest cache; the third writes raw disks only):
# 3-6 minutes.
. "${TOP:-.}/tests/lib/itest.sh"

need python3 sfdisk blkid cmp unshare taskset sha256sum

T=$ITEST_TMP
RECIPE=$TOP/tests/integration/recipes/layout.yaml
itest_build "$RECIPE" || finish
A=$(dirname "$IMG_OS")

# The second build: everything but the recipe and the tree is different.
mkdir -p "$T/tmp-b" "$T/cwd-b" "$T/elsewhere/deeper" || exit 99
B=$T/elsewhere/deeper/second
sleep 2
start=$SECONDS
if (cd "$T/cwd-b" &&
    TMPDIR=$T/tmp-b taskset -c 0 unshare -u sh -c 'hostname repro-other-host && exec "$@"' sh \
        "$APPLIANCE" build --no-reuse "$RECIPE" -o "$B" >"$T/b.log" 2>&1); then
    ok "second build: other folders, TMPDIR, host name, one CPU ($((SECONDS - start)) s)"
else
    bad "second build failed: $(tail -n 20 "$T/b.log")"; finish
fi

# locate PLAN FILE OFFSET: what part of a disk image OFFSET falls in.
locate() {
    python3 - "$@" <<'EOF'
import json, sys
plan, name, off = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
disk = next((d for d in plan["disks"] if name.endswith("-%s.raw" % d["id"])), None)
if disk is None:
    print("offset %d" % off); sys.exit()
where = "outside every partition (GPT or padding)"
for p in disk["partitions"]:
    if p["start"] <= off < p["start"] + p["size"]:
        where = "partition %d (%s)" % (p["number"], p["role"])
        vg = disk.get("vg")
        if vg and p["number"] == vg["pv_partition"]:
            first = p["start"] + vg["data_offset"]
            if off < first:
                where += ": the LVM label or metadata"
            at = first
            for lv in vg["lvs"]:
                if at <= off < at + lv["size"]:
                    where += ": LV %s (%s), %d bytes in" % (lv["name"], lv["fs"], off - at)
                at += lv["size"]
print("offset %d, %s" % (off, where))
EOF
}

# Same set of files, each identical but the report.
(cd "$A" && find . -type f ! -name build.log ! -name key | sort) >"$T/a.files"
(cd "$B" && find . -type f | sort) >"$T/b.files"
if cmp -s "$T/a.files" "$T/b.files"; then
    ok "both builds wrote the same $(wc -l <"$T/a.files") files"
else
    bad "the builds wrote different files: $(diff "$T/a.files" "$T/b.files" | grep '^[<>]' | head -n 5 | tr '\n' ' ')"
fi
same=0 differ=0
while read -r f; do
    f=${f#./}
    case $f in build-report.json | SHA256SUMS) continue ;; esac
    [ -f "$B/$f" ] || continue
    if out=$(cmp "$A/$f" "$B/$f" 2>&1); then
        same=$((same + 1))
    else
        differ=$((differ + 1))
        off=$(sed -n 's/.* differ: byte \([0-9]*\),.*/\1/p' <<<"$out")
        if [ -n "$off" ]; then
            bad "$f differs: first at $(locate "$PLAN" "$f" $((off - 1)))"
        else
            bad "$f differs: $out"
        fi
    fi
done <"$T/a.files"
[ "$differ" -eq 0 ] && ok "every shipped file identical bit for bit ($same files)"

if grep -q 'build-report.json' "$B/SHA256SUMS"; then
    bad "SHA256SUMS lists build-report.json"
else
    ok "SHA256SUMS lists the shipped files only"
fi
if cmp -s "$A/SHA256SUMS" "$B/SHA256SUMS"; then
    ok "SHA256SUMS identical"
else
    bad "SHA256SUMS differ: $(diff "$A/SHA256SUMS" "$B/SHA256SUMS" | head -n 4 | tr '\n' ' ')"
fi
# The second build's disks are the first's: it looks their runs of zeros
# up (CACHE/disks/.sha256-zeros) instead of hashing them, which sha256sum
# judges.
if (cd "$B" && sha256sum --quiet -c SHA256SUMS) >"$T/b.sums" 2>&1; then
    ok "second build: SHA256SUMS verifies (sha256sum -c)"
else
    bad "second build: SHA256SUMS does not verify: $(head -n 5 "$T/b.sums" | tr '\n' ' ')"
fi
if grep -q 'notice: digests: [1-9][0-9]* run(s) of zeros looked up' "$T/b.log"; then
    ok "second build: $(sed -n 's/.*notice: digests: //p' "$T/b.log")"
else
    bad "second build: no run of zeros looked up: $(grep 'digests:' "$T/b.log" || echo 'no notice')"
fi
epoch_of() {
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("source_date_epoch", ""))' "$1"
}
ea=$(epoch_of "$A/build-report.json") eb=$(epoch_of "$B/build-report.json")
if [ -n "$ea" ] && [ "$ea" = "$eb" ] && [ "$ea" -gt 0 ] 2>/dev/null; then
    ok "build-report.json: the same default SOURCE_DATE_EPOCH, $ea ($(date -u -d "@$ea" +%F))"
else
    bad "build-report.json: source_date_epoch '$ea' and '$eb' (want one number, the same)"
fi
rm -rf "$B"

# The third build: another seed, raw disks only.
sed -e 's/^outputs:.*/outputs: [raw]/' -e '/^version:/a seed: "reproducible.sh other seed"' \
    "$RECIPE" >"$T/seeded.yaml"
C=$T/seeded
if "$APPLIANCE" build "$T/seeded.yaml" -o "$C" >"$T/c.log" 2>&1; then
    ok "third build with another seed"
else
    bad "third build failed: $(tail -n 20 "$T/c.log")"; finish
fi

# ids IMG PLAN DISK: every identity of a disk, one "what value" per line;
# layout IMG PLAN DISK: everything else that describes it.
ids_and_layout() {
    python3 - "$@" <<'EOF'
import json, subprocess, sys
img, plan_path, disk_id, mode = sys.argv[1:]
plan = json.load(open(plan_path))
disk = next(d for d in plan["disks"] if d["id"] == disk_id)
table = json.loads(subprocess.run(["sfdisk", "--json", img], check=True,
                                  capture_output=True, text=True).stdout)["partitiontable"]
ids, shape = [("gpt disk", table["id"])], []
for p in table["partitions"]:
    ids.append(("gpt partition %s" % p["node"][len(img):], p["uuid"]))
    shape.append("partition %s start %s size %s type %s" % (p["node"][len(img):], p["start"], p["size"], p["type"]))
def probe(off, what):
    out = subprocess.run(["blkid", "-p", "-O", str(off), "-o", "export", img],
                         capture_output=True, text=True).stdout
    tags = dict(l.split("=", 1) for l in out.split("\n") if "=" in l)
    for k in ("UUID", "UUID_SUB"):
        if k in tags:
            ids.append(("%s %s" % (what, k), tags[k]))
    shape.append("%s type %s label %s" % (what, tags.get("TYPE"), tags.get("LABEL")))
for p in disk["partitions"]:
    if p["fs"]:
        probe(p["start"], "partition %d" % p["number"])
vg = disk.get("vg")
if vg:
    pv = next(p for p in disk["partitions"] if p["number"] == vg["pv_partition"])
    with open(img, "rb") as f:
        f.seek(pv["start"]); head = f.read(vg["data_offset"])
    text = head[head.find(b"%s {" % vg["name"].encode()):].split(b"\0")[0].decode(errors="replace")
    for n, line in enumerate(text.split("\n")):
        line = line.strip()
        if line.startswith("id = "):
            ids.append(("lvm id %d" % n, line[5:].strip('"')))
    at = pv["start"] + vg["data_offset"]
    for lv in vg["lvs"]:
        probe(at, "LV %s" % lv["name"])
        shape.append("LV %s extents %d" % (lv["name"], lv["extents"]))
        at += lv["size"]
for k, v in (ids if mode == "ids" else [(s, "") for s in shape]):
    print(k, v)
EOF
}

plan_a=$PLAN
plan_c=$T/seeded-plan.json
"$APPLIANCE" plan "$T/seeded.yaml" --json >"$plan_c" || bad "plan of the seeded recipe"
for d in os app; do
    ia=$T/ids-a-$d ic=$T/ids-c-$d
    ids_and_layout "$A/layout-0.1.0-$d.raw" "$plan_a" "$d" ids >"$ia" &&
        ids_and_layout "$C/layout-0.1.0-$d.raw" "$plan_c" "$d" ids >"$ic" ||
        { bad "$d disk: identities not read"; continue; }
    n=$(wc -l <"$ia")
    common=$(paste -d' ' <(awk '{print $NF}' "$ia") <(awk '{print $NF}' "$ic") |
        awk '$1 == $2' | wc -l)
    if [ "$n" -gt 3 ] && [ "$(wc -l <"$ic")" -eq "$n" ] && [ "$common" -eq 0 ]; then
        ok "$d disk: another seed, all $n identities differ (GPT, LVM, filesystems)"
    else
        bad "$d disk: another seed, $common of $n identities unchanged: $(paste -d'|' "$ia" "$ic" | head -n 20 | tr '\n' ';')"
    fi
    ids_and_layout "$A/layout-0.1.0-$d.raw" "$plan_a" "$d" layout >"$T/la-$d" &&
        ids_and_layout "$C/layout-0.1.0-$d.raw" "$plan_c" "$d" layout >"$T/lc-$d"
    if cmp -s "$T/la-$d" "$T/lc-$d"; then
        ok "$d disk: another seed, the same layout ($(wc -l <"$T/la-$d") partitions, LVs and filesystems)"
    else
        bad "$d disk: the layout changed with the seed: $(diff "$T/la-$d" "$T/lc-$d" | head -n 6 | tr '\n' ' ')"
    fi
done
finish
