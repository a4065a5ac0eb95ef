#!/bin/bash
# resize.sh: `appliance resize` of the layout recipe's application disk
# (tests/integration/recipes/layout.yaml, as qcow2) with this engine
# against the engine of commit REF (default 5e6121a, the last one whose
# resize did its LVM and filesystem work in the libguestfs appliance),
# built from git by this script, in the same run on the same machine.
#
#   bench/resize.sh
#   REF=<commit> RUNS=3 SRC=<an output folder of layout.yaml> bench/resize.sh
#
# SRC: a build of layout.yaml to take the disk from (default: built once
# into $BUILD/bench/layout). Measured, alternating between the engines,
# RUNS times each (default 2), each on a fresh copy of the qcow2, the best
# time counting (these machines are noisy):
#
#   grow     --size +2GiB: the VG's last volume, app-cache (ext4), takes it
#   shrink   --size 1344MiB --volume app=64MiB: app (ext4) shrinks, and
#            the extents of data (xfs) and app-cache past the PV's new
#            end are moved below it
#
# and, when this runs as root and `runuser` is there, this engine once
# more as the user nobody (no root, no /dev/kvm: nobody may not open it).
# Prints the times and the ratios with the issue's target (<= 0.2x); never
# asserts a time. Exit 0, or 77 when the reference cannot run here.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build}
ref=${REF:-5e6121a}
runs=${RUNS:-2}
app=$top/$build/appliance
. "$top/bench/lib.sh"

make -s "$app"
ref_app=$(bench_engine resize "$ref")

src=${SRC:-$top/$build/bench/layout}
if ! ls "$src"/*-app.qcow2 >/dev/null 2>&1; then
    echo "resize: building tests/integration/recipes/layout.yaml into $src"
    "$app" build -q tests/integration/recipes/layout.yaml -o "$src"
fi
disk=$(ls "$src"/*-app.qcow2)

work=$(mktemp -d "${TMPDIR:-/var/tmp}/resize-bench.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# ms ENGINE NAME ARGS...: the wall time of one resize of a fresh copy, in ms.
ms() {
    local engine=$1 name=$2 img start end
    shift 2
    img=$work/$name.qcow2
    cp "$disk" "$img"
    start=$(date +%s%N)
    if ! "$engine" resize "$img" "$@" >"$work/$name.log" 2>&1; then
        echo "resize: $engine failed: $(tail -n 5 "$work/$name.log")" >&2
        return 1
    fi
    end=$(date +%s%N)
    rm -f "$img"
    echo $(((end - start) / 1000000))
}

grow=(--size +2GiB)
shrink=(--size 1344MiB --volume app=64MiB)
for t in ref-grow new-grow ref-shrink new-shrink; do : >"$work/$t.t"; done
for i in $(seq "$runs"); do
    ms "$ref_app" "ref-grow-$i" "${grow[@]}" >>"$work/ref-grow.t"
    ms "$app" "new-grow-$i" "${grow[@]}" >>"$work/new-grow.t"
    ms "$ref_app" "ref-shrink-$i" "${shrink[@]}" >>"$work/ref-shrink.t"
    ms "$app" "new-shrink-$i" "${shrink[@]}" >>"$work/new-shrink.t"
done
grep -h 'moved .* extents' "$work"/new-shrink-*.log | head -n 1 | sed 's/^ */resize: this engine /'

unpriv_grow="" unpriv_shrink=""
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
    chown nobody "$work"
    # nobody: the copy is nobody's, and so is the scratch folder beside it.
    nobody_ms() {
        local name=$1 start end
        shift
        cp "$disk" "$work/$name.qcow2" && chown nobody: "$work/$name.qcow2"
        start=$(date +%s%N)
        if ! runuser -u nobody -- env HOME="$work" "$app" resize "$work/$name.qcow2" "$@" \
            >"$work/$name.log" 2>&1; then
            echo "resize: as nobody: $(tail -n 5 "$work/$name.log")" >&2
            return 1
        fi
        end=$(date +%s%N)
        rm -f "$work/$name.qcow2"
        echo $(((end - start) / 1000000))
    }
    unpriv_grow=$(nobody_ms nobody-grow "${grow[@]}")
    unpriv_shrink=$(nobody_ms nobody-shrink "${shrink[@]}")
fi

echo
echo "resize of $(basename "$disk"), best of $runs, reference engine $ref against this one" \
    "($(git -C "$top" rev-parse --short HEAD)), load $(cut -d' ' -f1-3 /proc/loadavg)"
for op in grow shrink; do
    r=$(best <"$work/ref-$op.t") n=$(best <"$work/new-$op.t")
    printf '  %-8s reference %9s   this engine %8s  %s (target <= 0.2x)\n' "$op" "$(secs "$r")" \
        "$(secs "$n")" "$(ratio "$n" "$r")"
done
if [ -n "$unpriv_grow" ]; then
    printf '  as nobody (no root, no /dev/kvm): grow %s (%s), shrink %s (%s)\n' \
        "$(secs "$unpriv_grow")" "$(ratio "$unpriv_grow" "$(best <"$work/ref-grow.t")")" \
        "$(secs "$unpriv_shrink")" "$(ratio "$unpriv_shrink" "$(best <"$work/ref-shrink.t")")"
fi
