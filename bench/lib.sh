# lib.sh: what the benchmarks that race this engine against an earlier
# one share. Sourced by bench/build.sh, bench/resize.sh and
# bench/lifecycle.sh after they set $top (the checkout) and $build.
#
#   bench_engine NAME REF    prints the path of commit REF's appliance,
#                            built once into $build/bench/engine-REF from
#                            `git archive` (exit 77 when REF is not in
#                            this clone's history, 1 when it does not
#                            build); NAME prefixes the messages
#   best                     the smallest of the numbers on stdin
#   ratio A B, secs MS, load the figures as the scripts print them

bench_engine() {
    local name=$1 ref=$2 dir=$top/$build/bench/engine-$2
    if ! git -C "$top" rev-parse -q --verify "$ref^{commit}" >/dev/null; then
        echo "$name: skipped: commit $ref is not in this clone's history (git fetch it)" >&2
        exit 77
    fi
    if [ ! -x "$dir/build/appliance" ]; then
        echo "$name: building the reference engine ($ref) into $dir" >&2
        rm -rf "$dir" && mkdir -p "$dir"
        git -C "$top" archive "$ref" | tar -x -C "$dir"
        nice make -s -C "$dir" build/appliance >"$dir.log" 2>&1 ||
            { echo "$name: the reference engine does not build: see $dir.log" >&2; exit 1; }
    fi
    echo "$dir/build/appliance"
}

best() { sort -n | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3fx", a / b }'; }
secs() { awk -v a="$1" 'BEGIN { printf "%.2f s", a / 1000 }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
