#!/bin/bash
# vmdk-stream.sh: the project's streamOptimized VMDK writer against
# `qemu-img convert -O vmdk -o subformat=streamOptimized` on one raw disk.
#
#   bench/vmdk-stream.sh [RAW]
#
# RAW defaults to the demo's OS disk as a raw image, $BUILD/bench/demo/
# demo-VERSION-os.raw, built from recipes/demo.yaml (with `outputs: [raw]`) when it
# is missing. Each writer runs RUNS times (default
# 2), alternating, and the best time counts; both outputs must pass
# `qemu-img check` and be identical to RAW by `qemu-img compare`. Prints
# times, sizes and the ratios as plain lines. THREADS and LEVEL go to the
# writer (default: every online CPU, its default level). Exit 0 when both
# outputs verified, 1 when one did not, 77 when qemu-img is missing.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build}
runs=${RUNS:-2}
# The build's files are named NAME-VERSION (docs/outputs.md).
stem=demo-$(sed -n 's/^version: *"\(.*\)"$/\1/p' recipes/demo.yaml)
raw=${1:-$build/bench/demo/$stem-os.raw}
writer=$build/bench/vmdk-write

if ! command -v qemu-img >/dev/null; then
    echo "vmdk-stream: skipped: qemu-img is not installed (qemu-utils)"
    exit 77
fi
if [ ! -f "$raw" ]; then
    if [ $# -gt 0 ]; then
        echo "vmdk-stream: error: '$raw' does not exist" >&2
        exit 1
    fi
    echo "vmdk-stream: '$raw' is missing; building the demo's raw disks"
    make -s "$build/appliance"
    mkdir -p "$build/bench"
    sed 's/^outputs: .*/outputs: [raw]/' recipes/demo.yaml >"$build/bench/demo-raw.yaml"
    "$build/appliance" build -q "$build/bench/demo-raw.yaml" -o "$build/bench/demo"
fi
make -s "$writer"

work=$(mktemp -d "${TMPDIR:-/tmp}/vmdk-stream.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/ours" "$work/qemu"
ours=$work/ours/disk.vmdk
theirs=$work/qemu/disk.vmdk

# Seconds (wall clock) that the command takes, on stdout.
seconds() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }'
}

min() {
    printf '%s\n' "$@" | sort -g | head -n 1
}

writer_args=()
[ -n "${THREADS:-}" ] && writer_args+=(-t "$THREADS")
[ -n "${LEVEL:-}" ] && writer_args+=(-l "$LEVEL")

echo "disk: $raw ($(stat -c %s "$raw") bytes, $(du -B1 "$raw" | cut -f1) allocated)"
echo "host: $(nproc) CPUs, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Page the disk in once, so that neither writer pays for the first read.
cat "$raw" >/dev/null

ours_runs=() qemu_runs=()
for _ in $(seq "$runs"); do
    rm -f "$ours" "$theirs"
    ours_runs+=("$(seconds "$writer" "${writer_args[@]}" "$raw" "$ours")")
    qemu_runs+=("$(seconds qemu-img convert -f raw -O vmdk \
        -o subformat=streamOptimized,adapter_type=lsilogic "$raw" "$theirs")")
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

ours_time=$(min "${ours_runs[@]}")
qemu_time=$(min "${qemu_runs[@]}")
ours_size=$(stat -c %s "$ours")
qemu_size=$(stat -c %s "$theirs")

status=0
verify() {
    local name=$1 vmdk=$2
    if qemu-img check -q -f vmdk "$vmdk" && qemu-img compare -q -f raw -F vmdk "$raw" "$vmdk"; then
        echo "verify $name: qemu-img check ok, qemu-img compare identical"
    else
        echo "verify $name: FAILED"
        status=1
    fi
}
verify ours "$ours"
verify qemu-img "$theirs"

echo "ours: ${ours_time} s (runs: ${ours_runs[*]}), ${ours_size} bytes"
echo "qemu-img: ${qemu_time} s (runs: ${qemu_runs[*]}), ${qemu_size} bytes"
awk -v qt="$qemu_time" -v ot="$ours_time" -v qs="$qemu_size" -v os="$ours_size" 'BEGIN {
    tr = ot > 0 ? qt / ot : 0
    sr = os / qs
    printf "time ratio (qemu-img/ours): %.2f (target >= 3: %s)\n", tr, tr >= 3 ? "met" : "missed"
    printf "size ratio (ours/qemu-img): %.3f (target <= 1.02: %s)\n", sr, sr <= 1.02 ? "met" : "missed"
}'
exit $status
