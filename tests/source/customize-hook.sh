#!/bin/bash
# tier: check
# templates/debian-customize-hook, the customize hook mmdebstrap runs on a
# Debian or Ubuntu tree ($1), run on a fake tree with a logging chroot on
# PATH: it removes every SSH host key and nothing else; with a locale.gen
# line it writes /etc/locale.gen and runs locale-gen chrooted into the
# tree; with an empty one it writes no locale.gen and runs no locale-gen.
# Either way it makes the initramfs, once, for every kernel of the tree
# (the install ran with INITRD=No), after the locale.
set -u
cd "${TOP:-.}" || exit 99
T=$(mktemp -d "${TMPDIR:-/tmp}/customize-hook.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
bad() { fail=$((fail + 1)); echo "not ok - $*"; }

mkdir -p "$T/bin"
printf '#!/bin/sh\necho "chroot $*" >>"%s/chroot.log"\n' "$T" >"$T/bin/chroot"
chmod +x "$T/bin/chroot"

# run LINE: the hook, its placeholder filled with LINE, on a fresh tree.
run() {
    rm -rf "$T/tree" "$T/chroot.log"
    mkdir -p "$T/tree/etc/ssh"
    for k in rsa ecdsa ed25519; do
        echo key >"$T/tree/etc/ssh/ssh_host_${k}_key"
        echo pub >"$T/tree/etc/ssh/ssh_host_${k}_key.pub"
    done
    echo keep >"$T/tree/etc/ssh/sshd_config"
    sed "s/@LOCALE_GEN@/$1/" templates/debian-customize-hook >"$T/hook"
    chmod +x "$T/hook"
    PATH=$T/bin:$PATH "$T/hook" "$T/tree" >"$T/out" 2>&1
}

run 'de_DE.UTF-8 UTF-8'
rc=$?
[ "$rc" = 0 ] && ok "with a locale: exits 0" || bad "with a locale: exit $rc: $(cat "$T/out")"
[ -z "$(ls "$T/tree/etc/ssh" | grep ssh_host_)" ] && ok "every SSH host key removed" ||
    bad "host keys left: $(ls "$T/tree/etc/ssh")"
[ -f "$T/tree/etc/ssh/sshd_config" ] && ok "sshd_config kept" || bad "sshd_config removed"
[ "$(cat "$T/tree/etc/locale.gen" 2>/dev/null)" = 'de_DE.UTF-8 UTF-8' ] &&
    ok "/etc/locale.gen holds the locale's line" || bad "/etc/locale.gen: $(cat "$T/tree/etc/locale.gen" 2>&1)"
[ "$(cat "$T/chroot.log" 2>/dev/null)" = "chroot $T/tree locale-gen
chroot $T/tree update-initramfs -c -k all" ] &&
    ok "locale-gen, then update-initramfs -c -k all, run chrooted into the tree" ||
    bad "chroot calls: $(cat "$T/chroot.log" 2>&1)"

run ''
rc=$?
[ "$rc" = 0 ] && ok "without a locale: exits 0" || bad "without a locale: exit $rc: $(cat "$T/out")"
[ ! -e "$T/tree/etc/locale.gen" ] &&
    [ "$(cat "$T/chroot.log" 2>/dev/null)" = "chroot $T/tree update-initramfs -c -k all" ] &&
    ok "without a locale: no locale.gen; only update-initramfs run" ||
    bad "without a locale: locale.gen or chroot calls: $(cat "$T/chroot.log" 2>&1)"
[ -z "$(ls "$T/tree/etc/ssh" | grep ssh_host_)" ] && ok "without a locale: host keys removed" ||
    bad "without a locale: host keys left"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
