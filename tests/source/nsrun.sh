#!/bin/bash
# tier: check
# templates/nsrun.sh, which runs chroot work with the tree's /proc, /sys
# and a private /dev, run as builder/common/nsrun.c runs it (on the host
# side: "host", not "chroot"), twice: as root of a user namespace (a build
# without root: the host's /proc and /sys bound, /dev/null and friends
# bound onto files of a tmpfs /dev) and, when the test runs as root, as
# root of the host (a new proc and sysfs, device nodes made). Either way
# the command finds /proc, a read-only /sys and /proc/sys, working device
# nodes and the /dev links, and nothing stays mounted on the host.
set -u
cd "${TOP:-.}" || exit 99
T=$(mktemp -d "${TMPDIR:-/tmp}/nsrun.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
pass=0 fail=0 ran=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

# What the command checks, inside the mounts, about the tree $R.
# shellcheck disable=SC2016 # expanded by the inner shell
probe='
R=$1
for n in null zero full random urandom tty; do
    [ -c "$R/dev/$n" ] || echo "no device $n"
done
echo data >"$R/dev/null" || echo "/dev/null not writable"
[ "$(head -c 4 "$R/dev/zero" | od -An -tx1 | tr -d " ")" = 00000000 ] || echo "/dev/zero reads no zeros"
[ -r "$R/proc/self/status" ] || echo "no /proc"
[ -d "$R/sys/kernel" ] || echo "no /sys"
(: >"$R/sys/probe") 2>/dev/null && echo "/sys writable"
(: >"$R/proc/sys/kernel/hostname") 2>/dev/null && echo "/proc/sys writable"
[ "$(readlink "$R/dev/fd")" = /proc/self/fd ] || echo "no /dev/fd link"
[ -d "$R/dev/pts" ] && [ -d "$R/dev/shm" ] || echo "no /dev/pts or /dev/shm"
echo done'

# run WHAT UNSHARE_ARGS...: nsrun.sh on a fresh tree, as nsrun.c runs it.
run() {
    local what=$1 out
    shift
    rm -rf "$T/tree"
    mkdir -p "$T/tree/proc" "$T/tree/sys" "$T/tree/dev"
    # shellcheck disable=SC2016 # expanded by sh -c, as nsrun.c has it
    out=$(APPLIANCE_NSRUN=$(cat templates/nsrun.sh) unshare "$@" --mount --propagation private -- \
        sh -c 'eval "$APPLIANCE_NSRUN"' appliance-nsrun "$T/tree" host sh -c "$probe" probe "$T/tree" 2>&1)
    ran=$((ran + 1))
    if [ "$out" = "done" ]; then
        ok "$what: /proc, read-only /sys and /proc/sys, device nodes, /dev links"
    else
        bad "$what: $(tr '\n' ';' <<<"$out")"
    fi
    if findmnt -rn -o TARGET | grep -qF "$T/tree"; then
        bad "$what: mounts left on the host: $(findmnt -rn -o TARGET | grep -F "$T/tree" | head -n 3)"
    else
        ok "$what: nothing stays mounted on the host"
    fi
    if [ -z "$(ls -A "$T/tree/dev")" ]; then
        ok "$what: the tree's /dev left empty"
    else
        bad "$what: the tree's /dev holds $(ls -A "$T/tree/dev")"
    fi
}

if unshare --user --map-root-user true 2>/dev/null; then
    run "root of a user namespace" --user --map-root-user
else
    echo "skip - no user namespace here (unshare --user --map-root-user failed)"
fi
if [ "$(id -u)" = 0 ] && unshare --mount true 2>/dev/null; then
    run "root of the host"
else
    echo "skip - not root of the host: the host's own mounts are not tried"
fi

echo "# $pass passed, $fail failed"
[ "$ran" -gt 0 ] || { echo "SKIP: neither a user namespace nor root here"; exit 77; }
[ "$fail" = 0 ]
