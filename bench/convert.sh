#!/bin/bash
# convert.sh: `appliance convert` of the demo to vhdx + hyperv + ova against
# the same conversion by hand with qemu-img, in the same run.
#
#   bench/convert.sh
#
# The source is the demo's output folder as a customer keeps it: its two
# disks as qcow2 beside build-report.json ($BUILD/bench/convert-src, made
# once from a build of the demo with `outputs: [raw, ova]`,
# $BUILD/bench/demo-ova/, whose export stage is the OVA's). Then, each RUNS times (default 1),
# alternating, the best time counting:
#
#   appliance   appliance convert SRC -o OUT --to vhdx,hyperv,ova
#               (raw copies, the VG check, the exporters, the qemu-img
#               compare of every converted disk, SHA256SUMS, the report)
#   by hand     qemu-img convert qcow2 -> vhdx (both disks), qcow2 ->
#               streamOptimized vmdk (both disks), tar of the OVF and the
#               VMDKs into an OVA: no check, no script, no descriptor written
#   by hand + compare   the same, then qemu-img compare of the four disks
#
# and the OVA alone: `convert --to ova` against qemu-img's streamOptimized
# VMDKs and tar. Prints the times, convert's stage times (its report) and
# the ratios; never asserts a time. Exit 0, or 77 without qemu-img.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build}
runs=${RUNS:-1}
app=$build/appliance
demo=$build/bench/demo-ova
# The build's files are named NAME-VERSION (docs/outputs.md).
stem=demo-$(sed -n 's/^version: *"\(.*\)"$/\1/p' recipes/demo.yaml)
src=$build/bench/convert-src

if ! command -v qemu-img >/dev/null; then
    echo "convert: skipped: qemu-img is not installed (qemu-utils)"
    exit 77
fi
make -s "$app"
if [ ! -f "$demo/$stem-os.raw" ]; then
    echo "convert: building the demo's raw disks into $demo"
    mkdir -p "$build/bench"
    sed 's/^outputs: .*/outputs: [raw, ova]/' recipes/demo.yaml >"$build/bench/demo-ova.yaml"
    "$app" build -q "$build/bench/demo-ova.yaml" -o "$demo"
fi
if [ ! -f "$src/$stem-app.qcow2" ]; then
    rm -rf "$src" && mkdir -p "$src"
    cp "$demo/build-report.json" "$src/"
    for d in os app; do
        qemu-img convert -f raw -O qcow2 "$demo/$stem-$d.raw" "$src/$stem-$d.qcow2"
    done
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/convert-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

seconds() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }'
}
min() { printf '%s\n' "$@" | sort -g | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

ours() { rm -rf "$work/out"; "$app" convert -q "$src" -o "$work/out" --to "$1"; }
by_hand() { # VHDX too unless $1 is "ova"
    rm -rf "$work/hand" && mkdir -p "$work/hand"
    local d
    for d in os app; do
        [ "$1" = ova ] || qemu-img convert -f qcow2 -O vhdx -o subformat=dynamic \
            "$src/$stem-$d.qcow2" "$work/hand/demo-$d.vhdx"
        qemu-img convert -f qcow2 -O vmdk -o subformat=streamOptimized \
            "$src/$stem-$d.qcow2" "$work/hand/demo-$d.vmdk"
    done
    echo '<Envelope/>' >"$work/hand/demo.ovf"
    tar -C "$work/hand" -cf "$work/hand/demo.ova" demo.ovf demo-os.vmdk demo-app.vmdk
}
compare_hand() {
    local d
    for d in os app; do
        [ "$1" = ova ] || qemu-img compare -q -f qcow2 -F vhdx "$src/$stem-$d.qcow2" "$work/hand/demo-$d.vhdx"
        qemu-img compare -q -f qcow2 -F vmdk "$src/$stem-$d.qcow2" "$work/hand/demo-$d.vmdk"
    done
}
hand_and_compare() { by_hand "$1" && compare_hand "$1"; }

t_ours=() t_hand=() t_handc=() t_ova=() t_ova_hand=()
for _ in $(seq "$runs"); do
    t_ours+=("$(seconds ours vhdx,hyperv,ova)")
    cp "$work/out/convert-report.json" "$work/report.json"
    t_hand+=("$(seconds by_hand all)")
    t_handc+=("$(seconds hand_and_compare all)")
    t_ova+=("$(seconds ours ova)")
    cp "$work/out/convert-report.json" "$work/report-ova.json"
    t_ova_hand+=("$(seconds by_hand ova)")
done
a=$(min "${t_ours[@]}") h=$(min "${t_hand[@]}") hc=$(min "${t_handc[@]}")
o=$(min "${t_ova[@]}") oh=$(min "${t_ova_hand[@]}")
echo "convert: source: $src (demo, qcow2: $(du -sh --apparent-size "$src" | cut -f1) apparent), runs: $runs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "convert: vhdx+hyperv+ova: appliance convert ${a}s; by hand (qemu-img convert, tar) ${h}s: $(ratio "$a" "$h")x; by hand + qemu-img compare ${hc}s: $(ratio "$a" "$hc")x"
echo "convert: appliance convert's stages: $(python3 -c 'import json,sys; print(", ".join("%s %.1fs" % (s["stage"], s["seconds"]) for s in json.load(open(sys.argv[1]))["stages"]))' "$work/report.json")"
echo "convert: ova only: appliance convert ${o}s; by hand (qemu-img streamOptimized, tar) ${oh}s: $(ratio "$o" "$oh")x"
if [ -f "$demo/build-report.json" ]; then
    e=$(python3 -c 'import json,sys; print(["%.2f" % s["seconds"] for s in json.load(open(sys.argv[1]))["stages"] if s["stage"] == "export"][0])' "$demo/build-report.json")
    x=$(python3 -c 'import json,sys; print(["%.2f" % s["seconds"] for s in json.load(open(sys.argv[1]))["stages"] if s["stage"] == "export"][0])' "$work/report-ova.json")
    echo "convert: ova only: convert's export stage ${x}s against the demo build's export stage (the same OVA, raw moved) ${e}s: $(ratio "$x" "$e")x (the build's ran at its own time's load)"
fi
