# tests/lib/testuser.sh: a user the test makes, with a range of 65536
# subordinate ids, and removes. Sourced (bash) after itest.sh, as root:
#
#   testuser_need               exit 77 with a reason unless the test runs
#                               as root where user namespaces are allowed
#   testuser_make PREFIX        make the user PREFIX$$ with a home and its
#                               ranges; sets user, uid, home, ustart, gstart;
#                               `bad` and return 1 when it cannot
#   as_user [VAR=VALUE...] CMD  run CMD as the user from /, in a clean
#                               environment (PATH, HOME, USER, LANG)
#   testuser_drop               remove the user, its home and its ranges
#                               (also on exit: the test's EXIT trap calls it)

user= uid= home= ustart= gstart= testuser_made=

testuser_need() {
    [ "$(id -u)" = 0 ] || { echo "SKIP: the test creates a user: run it as root"; exit 77; }
    local knob
    for knob in kernel/unprivileged_userns_clone user/max_user_namespaces; do
        if [ "$(cat "/proc/sys/$knob" 2>/dev/null)" = 0 ]; then
            echo "SKIP: user namespaces are off here (sysctl ${knob//\//.}=0)"; exit 77
        fi
    done
}

# The first id after every range of both files (at least 100000).
testuser_free_start() {
    cat /etc/subuid /etc/subgid 2>/dev/null |
        awk -F: 'BEGIN { m = 100000 } NF == 3 && $2 + $3 > m { m = $2 + $3 } END { print m }'
}

testuser_make() {
    user=$1$$
    if ! useradd -m -s /bin/sh "$user" 2>"$ITEST_TMP/useradd.err"; then
        bad "useradd $user: $(cat "$ITEST_TMP/useradd.err")"
        return 1
    fi
    testuser_made=1
    if ! grep -q "^$user:" /etc/subuid || ! grep -q "^$user:" /etc/subgid; then
        local first
        first=$(testuser_free_start)
        if ! usermod --add-subuids "$first-$((first + 65535))" \
            --add-subgids "$first-$((first + 65535))" "$user"; then
            bad "usermod --add-subuids for $user"
            return 1
        fi
    fi
    uid=$(id -u "$user")
    home=$(getent passwd "$user" | cut -d: -f6)
    ustart=$(awk -F: -v u="$user" '$1 == u { print $2; exit }' /etc/subuid)
    gstart=$(awk -F: -v u="$user" '$1 == u { print $2; exit }' /etc/subgid)
    ok "user $user (uid $uid), subordinate uids from $ustart, gids from $gstart"
}

as_user() {
    (cd / && setpriv --reuid="$user" --regid="$user" --init-groups -- \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$home" USER="$user" LANG=C.UTF-8 "$@")
}

testuser_drop() {
    [ -n "$testuser_made" ] || return 0
    # What the user left running (rootless podman's pause process) goes
    # first: userdel refuses a user with processes.
    pkill -KILL -u "$user" 2>/dev/null && sleep 1
    # userdel removes the user's subordinate ranges too; --del-sub* first
    # in case this shadow does not.
    if grep -q "^$user:" /etc/subuid /etc/subgid 2>/dev/null; then
        usermod --del-subuids 0-4294967294 --del-subgids 0-4294967294 "$user" 2>/dev/null
    fi
    userdel -r "$user" 2>/dev/null
    testuser_made=
}
trap 'testuser_drop; itest_cleanup' EXIT
