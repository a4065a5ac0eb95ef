#!/bin/bash
# tier: lifecycle
# Failure safety, part 1: real builds of layout.yaml that fail, and what
# they leave: the exit status, one clear message naming the stage and the
# cause, and nothing else: no temporary output folder or lock beside the
# output, no scratch in the build's TMPDIR, no process of its own running
# (qemu, libguestfs), and a previous output byte for byte as it was.
#
#   preflight      a 64 MiB output folder: one line, free space and need;
#                  a read-only output parent and a tiny scratch: two lines
#   full disk      the same tmpfs with --no-space-check: "No space left on
#                  device" in the os stage, the tmpfs left empty
#   mirror         an unreachable mirror with --no-cache: mmdebstrap's cause
#   run line       a failing run: line, named with its text, secret hidden
#   SIGTERM        while the libguestfs appliance makes xfs (a hard link in
#                  /srv/data: mkfs.xfs -p cannot carry it): exit 143
#
# Part 2 (failures-export.sh): SIGTERM in export, two builds into one
# output, SIGINT in the os stage, secrets in a successful build.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/failures.sh"
need python3 mmdebstrap

fail_recipe raw raw
fail_recipe mirror raw 's|^  distro: debian-12|&\n  mirror: "http://127.0.0.1:9/debian"|'
fail_recipe runfail raw
cat >>"$F/runfail.yaml" <<'EOF'
run:
  - echo before
  - "API_TOKEN=hunter2 sh -c 'echo the reason >&2; exit 3'"
  - touch /never
EOF
# A hard link in the xfs volume's folder: only the appliance can make it.
fail_recipe hardlink raw
cat >>"$F/hardlink.yaml" <<'EOF'
run:
  - mkdir -p /srv/data/x && echo a >/srv/data/x/one && ln /srv/data/x/one /srv/data/x/two
EOF
grep -q '127.0.0.1:9' "$F/mirror.yaml" || { bad "mirror recipe not made"; finish; }

# The failing run line takes ~30 s to reach: it runs beside the fast cases.
make_prev runfail
fstart runfail "$F/runfail.yaml" "$F/runfail.out"

# ---- preflight -----------------------------------------------------------
mount_tmpfs "$F/small" size=64m || { bad "cannot mount a tmpfs (as root)"; finish; }
fbuild pre-space "$F/raw.yaml" "$F/small/out"
expect_rc pre-space 1
[ "$(grep -c '^appliance: error:' "$F/pre-space.err")" = 1 ] &&
    ok "pre-space: one error line" || bad "pre-space: want one error line: $(cat "$F/pre-space.err")"
expect_err pre-space "^appliance: error: preflight: output folder '[^']*small': [0-9.]+[KMG]iB free, the build needs about [0-9.]+[KMG]iB" \
    "free space and need: $(grep -a '^appliance: error' "$F/pre-space.err")"
[ -z "$(ls -A "$F/small")" ] && ok "pre-space: nothing written in the small folder" ||
    bad "pre-space: written: $(ls -A "$F/small")"
no_leftovers pre-space "$F/small/out"

mount_tmpfs "$F/ro" size=1m,ro || { bad "cannot mount a read-only tmpfs"; finish; }
mkdir -p "$F/small/tmp" && ln -s "$F/small/tmp" "$F/pre-many.tmp" # its TMPDIR: the tmpfs
fbuild pre-many "$F/raw.yaml" "$F/ro/out"
expect_rc pre-many 1
[ "$(grep -c '^appliance: error: preflight: ' "$F/pre-many.err")" = 2 ] &&
    ok "pre-many: two problems, two lines" || bad "pre-many: want two lines: $(cat "$F/pre-many.err")"
expect_err pre-many "preflight: output folder '[^']*ro/out': cannot write in '[^']*ro': Read-only file system" \
    "the read-only output parent"
expect_err pre-many "preflight: scratch folder '[^']*pre-many.tmp': [0-9.]+[KMG]iB free, the build needs about" \
    "the tiny scratch folder"
no_leftovers pre-many "$F/ro/out"

# ---- a full disk mid-build -----------------------------------------------
# Scratch and output on the 64 MiB tmpfs: the root tree fills it.
ln -s "$F/small/tmp" "$F/full.tmp"
fbuild full "$F/raw.yaml" "$F/small/out" --no-space-check
expect_rc full 1
expect_err full '^appliance: error: [a-z]+: .*No space left on device' \
    "names its stage and the cause: $(grep -a '^appliance: error' "$F/full.err" | cut -c1-150)"
left=$(cd "$F/small" && find . -mindepth 1 ! -path ./tmp)
[ -z "$left" ] && ok "full: nothing left on the full filesystem" || bad "full: left: $left"
no_leftovers full "$F/small/out"

# ---- an unreachable mirror -----------------------------------------------
make_prev mirror
fbuild mirror "$F/mirror.yaml" "$F/mirror.out" --no-cache
expect_rc mirror 1
expect_err mirror "^appliance: error: os: .*mmdebstrap.*(127\.0\.0\.1:9|Connection refused)" \
    "names the os stage and mmdebstrap's cause: $(grep -a -m1 'Connection refused' "$F/mirror.err" | cut -c1-160)"
[ "$secs" -lt 120 ] && ok "mirror: fails fast ($secs s)" || bad "mirror: took $secs s"
no_leftovers mirror "$F/mirror.out"

# ---- a failing run: line --------------------------------------------------
fwait runfail
expect_rc runfail 1
expect_err runfail "^appliance: error: configure: run line 2 'API_TOKEN=\*\*\* sh -c .*exit 3.*': .*failed \(exit 3\): the reason" \
    "names the stage, the line and its output: $(grep -a '^appliance: error' "$F/runfail.err")"
grep -aq 'hunter2' "$F/runfail.err" "$F/runfail.log" && bad "runfail: the secret is shown" ||
    ok "runfail: the secret is in neither the message nor the log"
grep -aq '/never' "$F/runfail.log" && bad "runfail: the line after the failing one ran" ||
    ok "runfail: nothing ran after the failing line"
no_leftovers runfail "$F/runfail.out"

# ---- SIGTERM while the appliance makes xfs --------------------------------
make_prev app
fstart app "$F/hardlink.yaml" "$F/app.out"
if wait_stage app appliance; then
    grep -aq "notice: xfs of '/srv/data': made in the libguestfs appliance: .*hard link 'x/one'" \
        "$F/app.err" && ok "app: the build says why the appliance makes /srv/data" ||
        bad "app: no notice of why the appliance makes /srv/data: $(grep -a notice "$F/app.err")"
    sleep 1
    own=$(own_processes app | wc -l)
    [ "$own" -gt 2 ] && ok "app: the appliance runs ($own processes of the build)" ||
        bad "app: the appliance does not seem to run ($own processes)"
    t=$SECONDS
    kill -TERM "$pid_app"
    fwait app
    expect_rc app 143
    expect_err app '^appliance: interrupted' "says it was interrupted"
    [ $((SECONDS - t)) -lt 60 ] && ok "app: stopped $((SECONDS - t)) s after the signal" ||
        bad "app: took $((SECONDS - t)) s to stop"
    no_leftovers app "$F/app.out"
fi
finish
