#!/bin/bash
# tier: lifecycle
# Failure safety, part 2 (part 1: failures.sh), with the same judges:
#
#   lock      a second build into an output being written refuses at once
#             ("another build is writing"), and leaves the first one's
#             lock and files alone
#   SIGTERM   during export (ova + qcow2, a few seconds of work): exit 143
#   SIGINT    in the os stage of a third build into that output, which
#             shows the lock was released: exit 130
#   secrets   a successful build with a password hash and run lines
#             carrying a secret: neither is in the log, stderr,
#             build-report.json or SHA256SUMS; the previous output is
#             replaced whole
#
# The export build and the successful one run side by side to save time.
. "${TOP:-.}/tests/lib/itest.sh"
. "$TOP/tests/lib/failures.sh"
need python3 mmdebstrap

HASH='$6$demo.salt$8gKakK9AVEnPT2bghkcawZHlI9ye1rv0ZMZt1CaiHG322uonCnwl30/4aXKsoxP0HPjZNWFo5FE83dH1YAbfV.'
fail_recipe raw raw
fail_recipe export 'ova, qcow2'
fail_recipe secrets raw
cat >>"$F/secrets.yaml" <<'EOF'
run:
  - MY_SECRET=hunter2 true
  - echo --password=hunter2 >/dev/null
  - "API_TOKEN='hunter2' sh -c 'test -n \"$API_TOKEN\"'"
EOF
grep -qF "$HASH" "$F/secrets.yaml" || { bad "the recipe has no password hash"; finish; }

make_prev exp
fstart exp "$F/export.yaml" "$F/exp.out"
mkdir -p "$F/secrets.out" && echo old >"$F/secrets.out/marker"
fstart secrets "$F/secrets.yaml" "$F/secrets.out"

# ---- a second build into the same output ---------------------------------
lock=$F/.exp.out.lock
if wait_stage exp disks; then
    [ "$(cat "$lock" 2>/dev/null)" = "$pid_exp" ] && ok "exp: its lock file holds its process id" ||
        bad "exp: lock file '$lock' holds '$(cat "$lock" 2>/dev/null)', want $pid_exp"
    fbuild second "$F/export.yaml" "$F/exp.out"
    expect_rc second 1
    [ "$secs" -le 5 ] && ok "second: refused at once ($secs s)" || bad "second: took $secs s"
    expect_err second "^appliance: error: preflight: another build is writing '[^']*exp.out' \(process $pid_exp\)" \
        "says another build is writing, and which: $(grep -a '^appliance: error' "$F/second.err")"
    [ "$(cat "$lock" 2>/dev/null)" = "$pid_exp" ] && ok "second: the first build's lock is intact" ||
        bad "second: the lock now holds '$(cat "$lock" 2>/dev/null)'"
    compgen -G "$F/.exp.out.tmp-*" >/dev/null && ok "second: the first build's folder is intact" ||
        bad "second: the first build's temporary folder is gone"
    [ -z "$(ls -A "$F/second.tmp")" ] && [ -z "$(own_processes second)" ] &&
        ok "second: no scratch, no process left" || bad "second: left scratch or processes"
fi

# ---- SIGTERM during export ------------------------------------------------
if wait_stage exp export; then
    sleep 2
    t=$SECONDS
    kill -TERM "$pid_exp"
    fwait exp
    expect_rc exp 143
    expect_err exp "^appliance: interrupted: nothing was written to '[^']*exp.out'" "says it was interrupted"
    [ $((SECONDS - t)) -lt 60 ] && ok "exp: stopped $((SECONDS - t)) s after the signal" ||
        bad "exp: took $((SECONDS - t)) s to stop"
    no_leftovers exp "$F/exp.out"
fi

# ---- a third build takes the lock; SIGINT in the os stage -----------------
fstart third "$F/raw.yaml" "$F/exp.out"
if wait_stage third os 120; then
    sleep 1
    kill -INT "$pid_third"
    fwait third
    expect_rc third 130
    expect_err third "^appliance: interrupted" "took the lock, then was interrupted"
    no_leftovers third "$F/exp.out"
fi

# ---- secrets in a successful build ----------------------------------------
fwait secrets
expect_rc secrets 0
out=$F/secrets.out
for f in "$F/secrets.log" "$F/secrets.err" "$F/secrets.stdout" "$out/build-report.json" "$out/SHA256SUMS"; do
    [ -f "$f" ] || { bad "secrets: no $(basename "$f")"; continue; }
    if grep -aqF -e hunter2 -e "$HASH" -e '$6$demo.salt' "$f"; then
        bad "secrets: a secret in $(basename "$f"): $(grep -aoF -e hunter2 -e '$6$demo.salt' "$f" | head -3)"
    else
        ok "secrets: neither the password hash nor the secret in $(basename "$f")"
    fi
done
# (run lines run chrooted with mounts of their own: `+ [chroot, private mounts] /bin/sh ...`)
grep -aqE '^\+ \[chroot, private mounts\] /bin/sh -e -c MY_SECRET=\*\*\* true$' "$F/secrets.log" &&
    ok "secrets: the run line is logged with its value hidden" ||
    bad "secrets: run line not logged as expected: $(grep -a 'sh -e -c' "$F/secrets.log")"
[ ! -e "$out/marker" ] && [ -f "$out/layout-0.1.0-os.raw" ] &&
    ok "secrets: the previous output was replaced whole" || bad "secrets: output: $(ls -A "$out")"
no_leftovers secrets "$out"
finish
