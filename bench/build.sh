#!/bin/bash
# build.sh: `appliance build` of the demo with this engine against the
# engine of commit REF (default 6d1413c, the last one before issue 12's
# work: the libguestfs appliance made the LVM), built from git by this
# script, in the same run on the same machine.
#
#   bench/build.sh                 (make bench runs it)
#   REF=<commit> RUNS=3 COLD=0 CACHE_DIR=DIR bench/build.sh
#
# CACHE_DIR: the cache both engines use (--cache-dir; default theirs), so
# that the benchmark's disks do not push other builds' out of the default.
#
# Measured, alternating between the engines, RUNS times each (default 2),
# the best time counting (these machines are noisy):
#
#   warm           a build of recipes/demo.yaml with its root tree in the
#                  cache, into a new output folder: reference and new (the
#                  new one with --no-reuse: its disks and exports written,
#                  not copied from the incremental cache)
#   app-only       a rebuild after a change that touches only the
#                  application disk (a `files:` entry under /opt/app): new
#                  engine, against the reference's warm build
#   cold           the same build with --no-cache (mmdebstrap included),
#                  new engine, once (COLD=0 leaves it out)
#
# Prints the times, the new engine's stage times (its build-report.json)
# and the ratios against the reference's warm build, with the issue's
# targets (warm <= 0.35x, app-only <= 0.15x); never asserts a time.
# Exit 0, or 77 when a build cannot run here.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build}
ref=${REF:-6d1413c}
runs=${RUNS:-2}
cold=${COLD:-1}
app=$top/$build/appliance
refdir=$top/$build/bench/engine-$ref

make -s "$app"
if ! git -C "$top" rev-parse -q --verify "$ref^{commit}" >/dev/null; then
    echo "build: skipped: commit $ref is not in this clone's history (git fetch it)"
    exit 77
fi
if [ ! -x "$refdir/build/appliance" ]; then
    echo "build: building the reference engine ($ref) into $refdir"
    rm -rf "$refdir" && mkdir -p "$refdir"
    git -C "$top" archive "$ref" | tar -x -C "$refdir"
    nice make -s -C "$refdir" build/appliance >"$refdir.log" 2>&1 ||
        { echo "build: the reference engine does not build: see $refdir.log"; exit 1; }
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/build-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The app-only change: the demo with one more file on the application disk.
mkdir -p "$work/files"
app_recipe() {
    echo "bench $1" >"$work/files/bench-note.txt"
    { cat recipes/demo.yaml
      echo "files:"
      echo "  - { src: files/bench-note.txt, dest: /opt/app/bench-note.txt, mode: \"0644\" }"
    } >"$work/demo-app.yaml"
}
if grep -q '^files:' recipes/demo.yaml; then
    echo "build: recipes/demo.yaml has its own files: section; the app-only change needs a merge"
    exit 1
fi

# seconds ENGINE RECIPE OUT [ARGS...]: the wall time of one build, in ms.
seconds() {
    local engine=$1 recipe=$2 out=$3 start end
    shift 3
    rm -rf "$out"
    start=$(date +%s%N)
    if ! "$engine" build -q ${CACHE_DIR:+--cache-dir "$CACHE_DIR"} "$recipe" -o "$out" "$@" \
        >"$out.log" 2>&1; then
        echo "build: $engine failed: $(tail -n 5 "$out.log")" >&2
        return 1
    fi
    end=$(date +%s%N)
    # Only the report is kept: the outputs of a few builds would fill /var/tmp.
    find "$out" -mindepth 1 -maxdepth 1 ! -name build-report.json -exec rm -rf {} +
    echo $(((end - start) / 1000000))
}
best() { sort -n | head -n 1; }

# Warm the cache (and the page cache) once for each engine.
echo "build: warming the root tree cache"
seconds "$app" recipes/demo.yaml "$work/warm-new" --no-reuse >/dev/null
seconds "$refdir/build/appliance" recipes/demo.yaml "$work/warm-ref" >/dev/null

: >"$work/ref.t"; : >"$work/new.t"; : >"$work/app.t"
for i in $(seq "$runs"); do
    seconds "$refdir/build/appliance" recipes/demo.yaml "$work/ref-$i" >>"$work/ref.t"
    seconds "$app" recipes/demo.yaml "$work/new-$i" --no-reuse >>"$work/new.t"
    # The previous build of the same recipe, then the change.
    app_recipe "base $i"
    seconds "$app" "$work/demo-app.yaml" "$work/app-$i" >/dev/null
    app_recipe "changed $i"
    seconds "$app" "$work/demo-app.yaml" "$work/app-$i" >>"$work/app.t"
done
t_ref=$(best <"$work/ref.t") t_new=$(best <"$work/new.t") t_app=$(best <"$work/app.t")
if [ "$cold" = 1 ]; then
    t_cold=$(seconds "$app" recipes/demo.yaml "$work/cold" --no-cache)
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
secs() { awk -v a="$1" 'BEGIN { printf "%.1f s", a / 1000 }'; }
echo
echo "demo build, best of $runs, reference engine $ref against this one ($(git -C "$top" rev-parse --short HEAD))"
printf '  %-34s %10s\n' "warm, reference ($ref)" "$(secs "$t_ref")"
printf '  %-34s %10s  %s (target <= 0.35x)\n' "warm, this engine" "$(secs "$t_new")" "$(ratio "$t_new" "$t_ref")"
printf '  %-34s %10s  %s (target <= 0.15x)\n' "app-only change, this engine" "$(secs "$t_app")" "$(ratio "$t_app" "$t_ref")"
if [ "$cold" = 1 ]; then
    printf '  %-34s %10s  %s\n' "cold (--no-cache), this engine" "$(secs "$t_cold")" "$(ratio "$t_cold" "$t_ref")"
fi
for what in "last warm build:new-$runs" "last app-only rebuild:app-$runs"; do
    echo "stages of this engine's ${what%%:*}:"
    python3 - "$work/${what#*:}/build-report.json" <<'EOF'
import json, sys
for s in json.load(open(sys.argv[1]))["stages"]:
    print("  %-16s %7.1f s" % (s["stage"], s["seconds"]))
EOF
done
