# tests/lib/boot.sh: boot the two disks of an appliance under qemu and wait
# for its report and login prompt on the serial port. Sourced by the
# integration tests (bash only):
#
#   . "$TOP/tests/lib/boot.sh"
#   boot_images FIRMWARE BUS OS_IMG APP_IMG LOG [TIMEOUT]
#
# FIRMWARE  bios (SeaBIOS) | uefi (OVMF, with a private copy of its VARS)
#           | secureboot (OVMF with Microsoft's keys enrolled and Secure Boot
#           enforced: $OVMF_SB_CODE, $OVMF_SB_VARS, default Debian's
#           OVMF_CODE_4M.ms.fd and OVMF_VARS_4M.ms.fd; q35 with SMM and a
#           secure code flash, whatever BUS is; ide becomes sata)
# BUS       virtio (virtio-blk) | scsi (virtio-scsi) | ide (PIIX, pc machine)
#           | sata (ICH9 AHCI, q35 machine) | nvme (an NVMe controller a disk)
# BOOT_ARCH=aarch64 boots an aarch64 appliance instead: qemu-system-aarch64's
#           virt machine (a Cortex-A72 under TCG), AAVMF for uefi
#           ($AAVMF_CODE, $AAVMF_VARS) and secureboot (the same code with
#           $AAVMF_SB_VARS, Debian's AAVMF_VARS.ms.fd: Microsoft's keys
#           enrolled, Secure Boot enforced; no SMM on Arm), BUS virtio or
#           nvme (Debian's AAVMF has no AHCI driver: it finds no SATA disk
#           to boot; this harness judges the builder's boots, so it knows
#           that itself rather than asking arch.h's qemu_boot_disk); the
#           console is the PL011 (ttyAMA0).
# OS_IMG    raw, or qcow2 when its name ends in .qcow2 (APP_IMG alike)
# LOG       file that receives the guest's ttyS0 output (overwritten)
# TIMEOUT   seconds to wait for the report and the prompt (default
#           $BOOT_TIMEOUT, else 420)
#
# The disks are opened with -snapshot: the images are never written
# ($BOOT_SNAPSHOT=no writes to them, for a test that boots its own copies
# twice and reads what the first boot changed; qemu is stopped with
# SIGTERM, so what the guest has not synced is lost). The
# guest gets 1 GiB of RAM ($BOOT_MEMORY), $BOOT_SMP vCPUs (default 1) and a
# user-mode NIC without outside access ($BOOT_NIC=none for no NIC at all);
# $BOOT_SEED names a raw image attached as one more virtio disk (a
# cloud-init NoCloud seed, tests/integration/cloud-init.sh).
# KVM is used when a probe shows it can run a guest, else TCG ($BOOT_ACCEL
# forces one). Returns 0 once the log holds both "APPLIANCE-REPORT-END" and
# "login:" ($BOOT_REPORT_END overrides the first marker), 1 on a timeout or
# an early qemu exit (with a message and the log's tail on stderr), 2 on bad
# arguments or a missing tool. The qemu it started is always killed by its
# own PID, also when the caller is interrupted or dies.

# boot_probe_accel: sets BOOT_ACCEL to kvm when a guest really runs with KVM
# here, else tcg, as the program's own probe (builder/common/kvm.c) decides:
# the host's kernel booted with accel=kvm must print its banner within 5 s.
# A /dev/kvm that exists is not enough: under some nested hypervisors qemu
# aborts ("failed to set MSR 0x10a"), under others it starts and its guest
# never gets past real mode.
boot_probe_accel() {
    [ -n "${BOOT_ACCEL:-}" ] && return 0
    BOOT_ACCEL=tcg
    local kernel
    kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
    if [ -w /dev/kvm ] && [ -n "$kernel" ] &&
        timeout 5 "${QEMU:-qemu-system-x86_64}" -machine accel=kvm -cpu host -m 256 \
            -display none -nodefaults -no-reboot -serial stdio -kernel "$kernel" \
            -append "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1" </dev/null 2>/dev/null |
        grep -q -m 1 'Linux version'; then
        BOOT_ACCEL=kvm
    fi
    export BOOT_ACCEL
}

# boot_log_tail LOG [N]: the last N (default 30) lines of a serial log,
# without carriage returns and terminal escapes.
boot_log_tail() {
    tail -n "${2:-30}" "$1" 2>/dev/null |
        sed -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/^/    | /'
}

boot_images() {
    if [ $# -lt 5 ] || [ $# -gt 6 ]; then
        echo "usage: boot_images FIRMWARE BUS OS_IMG APP_IMG LOG [TIMEOUT]" >&2
        return 2
    fi
    boot_probe_accel
    _boot_run "$@"
}

# The body runs in a subshell so its traps never replace the caller's.
_boot_run() (
    fw=$1 bus=$2 os=$3 app=$4 log=$5 limit=${6:-${BOOT_TIMEOUT:-420}}
    arch=${BOOT_ARCH:-x86_64}
    qemu=${QEMU:-qemu-system-$arch}
    code=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}
    vars=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS.fd}
    sb_code=${OVMF_SB_CODE:-/usr/share/OVMF/OVMF_CODE_4M.ms.fd}
    sb_vars=${OVMF_SB_VARS:-/usr/share/OVMF/OVMF_VARS_4M.ms.fd}
    end_marker=${BOOT_REPORT_END:-APPLIANCE-REPORT-END}
    caller=$$ qpid='' work='' accel=''

    command -v "$qemu" >/dev/null || { echo "boot: $qemu not found" >&2; exit 2; }
    for f in "$os" "$app"; do
        [ -r "$f" ] || { echo "boot: cannot read disk image '$f'" >&2; exit 2; }
    done

    cleanup() {
        if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
            kill "$qpid" 2>/dev/null
            for _ in 1 2 3 4 5 6 7 8 9 10; do
                kill -0 "$qpid" 2>/dev/null || break
                sleep 0.5
            done
            kill -9 "$qpid" 2>/dev/null
            wait "$qpid" 2>/dev/null
        fi
        qpid=
        [ -n "$work" ] && rm -rf "$work"
    }
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP

    work=$(mktemp -d "${TMPDIR:-/tmp}/boot.XXXXXX") || exit 2

    machine=q35
    [ "$bus" = ide ] && machine=pc
    [ "$fw" = secureboot ] && [ "$bus" = ide ] && bus=sata
    fwopts=()
    if [ "$arch" = aarch64 ]; then
        machine=virt
        code=${AAVMF_CODE:-/usr/share/AAVMF/AAVMF_CODE.fd}
        vars=${AAVMF_VARS:-/usr/share/AAVMF/AAVMF_VARS.fd}
        [ "$fw" = secureboot ] && vars=${AAVMF_SB_VARS:-/usr/share/AAVMF/AAVMF_VARS.ms.fd}
        case $fw in uefi | secureboot) ;; *)
            echo "boot: aarch64 boots with uefi or secureboot, not '$fw'" >&2; exit 2 ;; esac
        case $bus in virtio | nvme) ;; *)
            echo "boot: AAVMF boots from virtio or nvme disks, not '$bus'" >&2; exit 2 ;; esac
        [ -r "$code" ] && [ -r "$vars" ] || { echo "boot: AAVMF not found ($code, $vars)" >&2; exit 2; }
        cp "$vars" "$work/AAVMF_VARS.fd" || exit 2
        fwopts=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
            -drive "if=pflash,format=raw,unit=1,file=$work/AAVMF_VARS.fd")
        fw=$fw-aarch64
    fi
    case $fw in
    *-aarch64) ;;
    bios) ;;
    uefi)
        [ -r "$code" ] && [ -r "$vars" ] || { echo "boot: OVMF not found ($code, $vars)" >&2; exit 2; }
        cp "$vars" "$work/OVMF_VARS.fd" || exit 2
        fwopts=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
            -drive "if=pflash,format=raw,unit=1,file=$work/OVMF_VARS.fd")
        ;;
    secureboot)
        [ -r "$sb_code" ] && [ -r "$sb_vars" ] ||
            { echo "boot: Secure Boot OVMF not found ($sb_code, $sb_vars)" >&2; exit 2; }
        cp "$sb_vars" "$work/OVMF_VARS.fd" || exit 2
        machine=q35,smm=on
        fwopts=(-global driver=cfi.pflash01,property=secure,value=on
            -drive "if=pflash,format=raw,unit=0,readonly=on,file=$sb_code"
            -drive "if=pflash,format=raw,unit=1,file=$work/OVMF_VARS.fd")
        ;;
    *) echo "boot: unknown firmware '$fw' (bios, uefi or secureboot)" >&2; exit 2 ;;
    esac

    local fmt=raw
    case $os in *.qcow2) fmt=qcow2 ;; esac
    drives=(-drive "file=$os,format=$fmt,if=none,id=d0,cache=unsafe"
        -drive "file=$app,format=$fmt,if=none,id=d1,cache=unsafe")
    case $bus in
    virtio) drives+=(-device virtio-blk-pci,drive=d0,bootindex=1
        -device virtio-blk-pci,drive=d1) ;;
    scsi) drives+=(-device virtio-scsi-pci,id=scsi0
        -device scsi-hd,drive=d0,bus=scsi0.0,bootindex=1
        -device scsi-hd,drive=d1,bus=scsi0.0) ;;
    ide) drives+=(-device ide-hd,drive=d0,bus=ide.0,unit=0,bootindex=1
        -device ide-hd,drive=d1,bus=ide.0,unit=1) ;;
    sata) drives+=(-device ide-hd,drive=d0,bus=ide.0,bootindex=1
        -device ide-hd,drive=d1,bus=ide.1) ;;
    nvme) drives+=(-device nvme,drive=d0,serial=os,bootindex=1
        -device nvme,drive=d1,serial=app) ;;
    *) echo "boot: unknown disk bus '$bus' (virtio, scsi, ide or sata)" >&2; exit 2 ;;
    esac

    if [ -n "${BOOT_SEED:-}" ]; then
        [ -r "$BOOT_SEED" ] || { echo "boot: cannot read seed image '$BOOT_SEED'" >&2; exit 2; }
        drives+=(-drive "file=$BOOT_SEED,format=raw,if=virtio")
    fi

    nic=(-nic user,model=virtio-net-pci,restrict=on)
    [ "${BOOT_NIC:-user}" = none ] && nic=(-nic none)
    cpu=() video=(-vga std)
    [ "$BOOT_ACCEL" = kvm ] && cpu=(-cpu host)
    # This host's KVM runs no Arm guest: TCG, on a CPU AAVMF and Debian's
    # arm64 kernel both know.
    [ "$arch" = aarch64 ] && cpu=(-cpu cortex-a72) video=() accel=tcg

    snapshot=(-snapshot)
    [ "${BOOT_SNAPSHOT:-yes}" = no ] && snapshot=()

    : >"$log" || exit 2
    start=$SECONDS
    # -snapshot: writes go to a temporary overlay, the images stay as built
    # (unless BOOT_SNAPSHOT=no).
    # -no-reboot: a guest that panics or reboots ends the run at once.
    "$qemu" -machine "$machine,accel=${accel:-$BOOT_ACCEL}" "${cpu[@]}" \
        -m "${BOOT_MEMORY:-1024}" -smp "${BOOT_SMP:-1}" \
        -nodefaults -display none "${video[@]}" -monitor none -no-reboot \
        -serial "file:$log" "${nic[@]}" "${fwopts[@]}" "${drives[@]}" "${snapshot[@]}" \
        </dev/null >"$work/qemu.out" 2>&1 &
    qpid=$!

    report=no login=no
    while :; do
        grep -q "$end_marker" "$log" 2>/dev/null && report=yes
        grep -q 'login:' "$log" 2>/dev/null && login=yes
        if [ $report = yes ] && [ $login = yes ]; then
            echo "boot: $fw + $bus (${accel:-$BOOT_ACCEL}): report and login prompt after $((SECONDS - start)) s"
            exit 0
        fi
        if ! kill -0 "$qpid" 2>/dev/null; then
            wait "$qpid"
            rc=$?
            qpid=
            echo "boot: $fw + $bus: qemu exited with status $rc after $((SECONDS - start)) s" \
                "(report: $report, login prompt: $login)" >&2
            sed 's/^/    qemu: /' "$work/qemu.out" >&2
            boot_log_tail "$log" >&2
            exit 1
        fi
        if [ $((SECONDS - start)) -ge "$limit" ]; then
            echo "boot: $fw + $bus: timeout after $limit s" \
                "(report end '$end_marker': $report, login prompt: $login); serial log $log ends:" >&2
            boot_log_tail "$log" >&2
            exit 1
        fi
        # The caller died (killed without a chance to clean up): stop too.
        kill -0 "$caller" 2>/dev/null || exit 1
        sleep 1
    done
)
