#!/bin/bash
# lifecycle.sh: the commands an operator runs after the build, each against
# what it is measured by, in the same run on the same machine:
#
#   inspect        `appliance inspect --no-verify --json` of the demo's
#                  output folder (recipes/demo.yaml as it is) against
#                  `virt-inspector` on the same two qcow2 disks (emulated
#                  where KVM cannot run a guest: force_tcg), and whether
#                  the two reported the same facts (tests/lib/vi_compare.py:
#                  the OS, its version, the package count, the mount points,
#                  every filesystem's type, label and UUID)
#   new-identity   `appliance convert --to qcow2 --new-identity` of the same
#                  folder against the engine of commit REF (default 5e6121a,
#                  the last one that started the libguestfs appliance to edit
#                  the clone), built from git by this script
#   resize         bench/resize.sh (the layout recipe's application disk,
#                  grown and shrunk, against the same commit's engine)
#
#   bench/lifecycle.sh                       (make bench runs it)
#   REF=<commit> RUNS=3 SRC=<the demo's output folder> bench/lifecycle.sh
#
# RUNS times each (default 2), alternating, the best time counting (these
# machines are noisy); virt-inspector and the reference's convert once each
# per run, as they take minutes here. When this runs as root and `runuser`
# is there, this engine's inspect and convert once more as the user nobody
# (no root; nobody may not open /dev/kvm). Prints the times and the ratios
# with issue 20's targets (inspect <= 0.1x of virt-inspector,
# new-identity <= 0.5x, resize <= 0.2x); never asserts a time. Exit 0, or
# 77 when a tool or the reference cannot run here.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${BUILD:-build}
ref=${REF:-5e6121a}
runs=${RUNS:-2}
app=$top/$build/appliance
. "$top/bench/lib.sh"

for tool in virt-inspector qemu-img python3; do
    command -v "$tool" >/dev/null ||
        { echo "lifecycle: skipped: $tool is not installed (make deps)"; exit 77; }
done
make -s "$app"
ref_app=$(bench_engine lifecycle "$ref")

src=${SRC:-$top/$build/bench/demo}
stem=demo-$(sed -n 's/^version: *"\(.*\)"$/\1/p' recipes/demo.yaml)
if [ ! -f "$src/$stem-os.qcow2" ]; then
    echo "lifecycle: building recipes/demo.yaml into $src"
    "$app" build -q recipes/demo.yaml -o "$src"
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/lifecycle-bench.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
# virt-inspector cannot use a /dev/kvm that opens but runs no guest: the
# tests' probe (as the program's own) says whether a guest runs with it.
. "$top/tests/lib/boot.sh"
boot_probe_accel
[ "$BOOT_ACCEL" = tcg ] && export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg}
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}

# ms CMD...: the wall time of CMD in ms, its output in $work/last.log.
ms() {
    local start end
    start=$(date +%s%N)
    if ! "$@" >"$work/last.log" 2>&1; then
        echo "lifecycle: $* failed: $(tail -n 5 "$work/last.log")" >&2
        return 1
    fi
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
inspect_new() { "$app" inspect --no-verify --json "$src" >"$work/inspect.json"; }
inspect_vi() {
    virt-inspector --format=qcow2 -a "$src/$stem-os.qcow2" -a "$src/$stem-app.qcow2" \
        >"$work/vi.xml"
}
clone() { # ENGINE
    rm -rf "$work/clone"
    "$1" convert -q "$src" -o "$work/clone" --to qcow2 --new-identity
}

for t in inspect vi clone-new clone-ref; do : >"$work/$t.t"; done
for i in $(seq "$runs"); do
    echo "lifecycle: run $i of $runs (load average $(load))"
    ms inspect_new >>"$work/inspect.t"
    ms inspect_vi >>"$work/vi.t"
    ms clone "$app" >>"$work/clone-new.t"
    ms clone "$ref_app" >>"$work/clone-ref.t"
done
rm -rf "$work/clone"
python3 "$top/tests/lib/vi_compare.py" "$work/inspect.json" "$work/vi.xml" >"$work/facts" || true
facts="the same facts ($(grep -c '^ok' "$work/facts") agree)"
if grep -q '^not ok' "$work/facts"; then
    facts="facts differ: $(grep '^not ok' "$work/facts" | sed 's/^not ok - //' | paste -sd ';')"
fi

unpriv=""
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
    # nobody's own copy of the disks and the report: /var/tmp may be
    # readable, a build's output folder need not be.
    mkdir "$work/src"
    cp --sparse=always "$src/$stem-os.qcow2" "$src/$stem-app.qcow2" "$src/build-report.json" \
        "$work/src/"
    [ -f "$src/$stem.cdx.json" ] && cp "$src/$stem.cdx.json" "$src/$stem.spdx.json" "$work/src/"
    chown -R nobody: "$work/src" && chown nobody "$work"
    as_nobody() { runuser -u nobody -- env HOME="$work" TMPDIR="$work" "$@"; }
    u_inspect=$(ms as_nobody "$app" inspect --no-verify --json "$work/src")
    u_clone=$(ms as_nobody "$app" convert -q "$work/src" -o "$work/nobody-clone" --to qcow2 \
        --new-identity)
    unpriv=1
fi

n=$(best <"$work/inspect.t") v=$(best <"$work/vi.t")
cn=$(best <"$work/clone-new.t") cr=$(best <"$work/clone-ref.t")
echo
echo "lifecycle of $stem, best of $runs, this engine ($(git -C "$top" rev-parse --short HEAD))" \
    "against virt-inspector and the engine of $ref; load average after: $(load)"
printf '  %-14s virt-inspector %9s   this engine %9s  %s (target <= 0.1x); %s\n' inspect \
    "$(secs "$v")" "$(secs "$n")" "$(ratio "$n" "$v")" "$facts"
printf '  %-14s reference      %9s   this engine %9s  %s (target <= 0.5x)\n' new-identity \
    "$(secs "$cr")" "$(secs "$cn")" "$(ratio "$cn" "$cr")"
if [ -n "$unpriv" ]; then
    printf '  as nobody (no root, no /dev/kvm): inspect %s (%s), new-identity %s (%s)\n' \
        "$(secs "$u_inspect")" "$(ratio "$u_inspect" "$v")" "$(secs "$u_clone")" \
        "$(ratio "$u_clone" "$cr")"
fi
echo
BUILD=$build REF=$ref RUNS=$runs "$top/bench/resize.sh"
