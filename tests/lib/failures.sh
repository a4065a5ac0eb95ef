# tests/lib/failures.sh: what the failure tests share (sourced after
# itest.sh). Each build gets a name: its own TMPDIR ($F/NAME.tmp, which
# must be empty afterwards), stderr in $F/NAME.err, log in $F/NAME.log.
#
#   fail_recipe NAME OUTPUTS [SED]   $F/NAME.yaml: layout.yaml with those outputs
#   make_prev NAME                   $F/NAME.out: a previous output (a marker file)
#   fbuild NAME RECIPE OUT ARGS...   build and wait; sets rc and secs (every
#                                    build --no-reuse: each stage runs, none is
#                                    a copy from an earlier run's cache)
#   fstart NAME RECIPE OUT ARGS...   build in the background; sets bpid
#   fwait NAME                       wait for it; sets rc and secs
#   wait_stage NAME STAGE            wait for the stage's progress line
#   expect_rc NAME WANT              the exit status
#   expect_err NAME ERE TEXT         stderr matches
#   no_leftovers NAME OUT            no temp folder, lock, scratch or process
#                                    left; OUT as it was if make_prev made it
#
# The previous output's snapshot includes the folder's own inode and
# mtime, so a swap or a write into it shows.

F=$ITEST_TMP/failures
mkdir -p "$F"
# libguestfs's appliance cache goes to the caller's TMPDIR by default:
# keep it where every build shares it, not in the builds' own TMPDIRs.
export LIBGUESTFS_CACHEDIR=${LIBGUESTFS_CACHEDIR:-${TMPDIR:-/var/tmp}}
FAIL_MOUNTS=()
FAIL_PIDS=()

fail_cleanup() {
    local p m
    for p in "${FAIL_PIDS[@]}"; do
        kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    for m in "${FAIL_MOUNTS[@]}"; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
    itest_cleanup
}
trap fail_cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "SKIP: building needs root"; exit 77; }

# mount_tmpfs DIR OPTIONS: a small filesystem, unmounted on exit.
mount_tmpfs() {
    mkdir -p "$1" && mount -t tmpfs -o "$2" tmpfs "$1" || return 1
    FAIL_MOUNTS+=("$1")
}

fail_recipe() {
    local name=$1 outputs=$2 extra=${3:-}
    sed "s/^outputs: .*/outputs: [$outputs]/${extra:+;$extra}" \
        "$TOP/tests/integration/recipes/layout.yaml" >"$F/$name.yaml"
}

snapshot() {
    (cd "$1" && find . -printf '%p %y %s %m %T@ %i\n' | LC_ALL=C sort &&
        find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

make_prev() {
    mkdir -p "$F/$1.out/sub"
    echo "previous build of $1" >"$F/$1.out/marker"
    echo "kept" >"$F/$1.out/sub/file"
    snapshot "$F/$1.out" >"$F/$1.prev"
}

fbuild() {
    local name=$1 recipe=$2 out=$3 start=$SECONDS
    shift 3
    mkdir -p "$F/$name.tmp"
    TMPDIR=$F/$name.tmp "$APPLIANCE" build --no-reuse "$recipe" -o "$out" --log "$F/$name.log" \
        "$@" >"$F/$name.stdout" 2>"$F/$name.err"
    rc=$?
    secs=$((SECONDS - start))
    echo "# $name: exit $rc after $secs s"
}

fstart() {
    local name=$1 recipe=$2 out=$3
    shift 3
    mkdir -p "$F/$name.tmp"
    eval "start_$name=$SECONDS"
    TMPDIR=$F/$name.tmp "$APPLIANCE" build --no-reuse "$recipe" -o "$out" --log "$F/$name.log" \
        "$@" >"$F/$name.stdout" 2>"$F/$name.err" &
    bpid=$!
    eval "pid_$name=$bpid"
    FAIL_PIDS+=("$bpid")
}

fwait() {
    local p
    eval "p=\$pid_$1"
    wait "$p"
    rc=$?
    eval "secs=\$((SECONDS - start_$1))"
    echo "# $1: exit $rc after $secs s"
}

# wait_stage NAME STAGE [SECONDS]: until cmd_build's "[ 12.3s] STAGE ..."
# line is on the build's stderr; fails if the build ends first.
wait_stage() {
    local name=$1 stage=$2 limit=${3:-900} p i
    eval "p=\$pid_$name"
    for ((i = 0; i < limit * 5; i++)); do
        grep -aqE "\] +$stage " "$F/$name.err" && return 0
        kill -0 "$p" 2>/dev/null || break
        sleep 0.2
    done
    bad "$name: never reached the $stage stage: $(tail -3 "$F/$name.err")"
    return 1
}

expect_rc() {
    if [ "$rc" = "$2" ]; then
        ok "$1: exit $2"
    else
        bad "$1: exit $rc, want $2: $(tail -5 "$F/$1.err")"
    fi
}

expect_err() {
    if grep -aqE -- "$2" "$F/$1.err"; then
        ok "$1: $3"
    else
        bad "$1: $3: no match for /$2/ in: $(cat "$F/$1.err")"
    fi
}

# The processes whose environment or command line names the build's TMPDIR
# (the builder, its tools, the appliance's child and qemu): none of
# anybody else's.
own_processes() {
    local tmp=$F/$1.tmp p
    for p in /proc/[0-9]*; do
        [ "${p#/proc/}" = "$$" ] && continue
        if grep -qsaF -- "$tmp" "$p/environ" "$p/cmdline"; then
            echo "${p#/proc/}"
        fi
    done
}

no_leftovers() {
    local name=$1 out=$2 base parent procs i
    base=$(basename "$out") parent=$(dirname "$out")
    if compgen -G "$parent/.$base.tmp-*" >/dev/null; then
        bad "$name: temporary output left: $(ls -d "$parent/.$base".tmp-*)"
    else
        ok "$name: no temporary output folder beside $base"
    fi
    if [ -e "$parent/.$base.lock" ]; then
        bad "$name: lock file left: $parent/.$base.lock ($(cat "$parent/.$base.lock"))"
    else
        ok "$name: no lock file left"
    fi
    if [ -n "$(ls -A "$F/$name.tmp")" ]; then
        bad "$name: scratch left in its TMPDIR: $(ls -A "$F/$name.tmp")"
    else
        ok "$name: its TMPDIR is empty"
    fi
    for ((i = 0; i < 10; i++)); do
        procs=$(own_processes "$name")
        [ -z "$procs" ] && break
        sleep 0.5
    done
    if [ -n "$procs" ]; then
        bad "$name: processes left running: $(ps -o pid,cmd -p "$(echo $procs | tr ' ' ,)" | cut -c1-150)"
        kill -KILL $procs 2>/dev/null
    else
        ok "$name: no process of its own left running (qemu, libguestfs, tools)"
    fi
    local prev=$F/$(basename "$out" .out).prev
    if [ "$out" = "${prev%.prev}.out" ] && [ -f "$prev" ]; then
        if snapshot "$out" | cmp -s - "$prev"; then
            ok "$name: the previous output is untouched"
        else
            bad "$name: the previous output changed: $(snapshot "$out" | diff "$prev" - | head -5)"
        fi
    fi
}
