/* test_boot_vm.c: which disks of an output are booted (OVA members
 * included), qemu's command line, and the VM's life against a fake qemu:
 * its console read, its exit seen, it is stopped, the scratch removed and
 * the shipped disks left as they were. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "appliance/boot_vm.h"
#include "appliance/cleanup.h"
#include "appliance/clock.h"
#include "appliance/spawn.h"
#include "appliance/tar_member.h"

static void
touch(const char *path)
{
    unit_write_file(path, "x");
}

/* A sparse raw disk of size bytes. */
static void
raw_disk(const char *path, off_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    assert_int_equal(pwrite(fd, "BOOT", 4, 0), 4);
    assert_int_equal(close(fd), 0);
}

static char *
joined(char **argv)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    assert_non_null(f);
    for (char **a = argv; *a; a++)
        fprintf(f, "%s%s", a == argv ? "" : " ", *a);
    assert_int_equal(fclose(f), 0);
    return s;
}

/* ---- the command line ---------------------------------------------------- */

static void
test_argv_bios_scsi_tcg(void **state)
{
    (void)state;
    setenv("APPLIANCE_QEMU", "qemu-system-x86_64", 1);
    struct boot_vm_config c = {FIRMWARE_BIOS, CONTROLLER_SCSI, 2,    1,           1ull << 30,
                               false,         NULL,            NULL, false, ARCH_X86_64};
    const char *const disks[2] = {"/s/os.qcow2", "/s/app.qcow2"};
    CLEANUP_STRV char **argv = boot_vm_argv(&c, disks, NULL);
    CLEANUP_FREE char *s = joined(argv);
    assert_string_equal(s, "qemu-system-x86_64 -machine q35,accel=tcg -m 1024M -smp 2 "
                           "-nodefaults -no-user-config -no-reboot -display none -vga std "
                           "-monitor none -serial stdio "
                           "-drive file=/s/os.qcow2,format=qcow2,if=none,id=disk0,cache=unsafe,"
                           "discard=unmap "
                           "-drive file=/s/app.qcow2,format=qcow2,if=none,id=disk1,cache=unsafe,"
                           "discard=unmap "
                           "-device virtio-scsi-pci,id=scsi0 "
                           "-device scsi-hd,drive=disk0,bus=scsi0.0,bootindex=1 "
                           "-device scsi-hd,drive=disk1,bus=scsi0.0 "
                           "-nic user,model=virtio-net-pci,restrict=on");
}

static void
test_argv_uefi_sata_kvm(void **state)
{
    (void)state;
    setenv("APPLIANCE_QEMU", "qemu-system-x86_64", 1);
    struct boot_vm_config c = {FIRMWARE_UEFI,   CONTROLLER_SATA, 1,    2, 1536ull << 20, true,
                               "/ovmf/CODE.fd", "/ovmf/VARS.fd", false, ARCH_X86_64};
    const char *const disks[2] = {"/s/os.qcow2", "/s/app.qcow2"};
    CLEANUP_STRV char **argv = boot_vm_argv(&c, disks, "/s/OVMF_VARS.fd");
    CLEANUP_FREE char *s = joined(argv);
    assert_non_null(strstr(s, " -machine q35,accel=kvm -cpu host -m 1536M -smp 1 "));
    assert_non_null(strstr(s, " -drive if=pflash,format=raw,unit=0,readonly=on,file=/ovmf/CODE.fd "
                              "-drive if=pflash,format=raw,unit=1,file=/s/OVMF_VARS.fd "));
    assert_non_null(strstr(s, " -device ide-hd,drive=disk0,bus=ide.0,bootindex=1 "
                              "-device ide-hd,drive=disk1,bus=ide.1 "));
    assert_non_null(strstr(s, "-nic user,model=virtio-net-pci,restrict=on "
                              "-nic user,model=virtio-net-pci,restrict=on"));
    assert_null(strstr(s, "VARS.fd,")); /* the template itself is never given to qemu */
    assert_null(strstr(s, "file=/ovmf/VARS.fd"));
}

/* Secure Boot: q35 with SMM, the code flash secure, before the flashes;
 * IDE becomes AHCI (q35 has no PIIX). */
static void
test_argv_secure_boot(void **state)
{
    (void)state;
    struct boot_vm_config c = {.firmware = FIRMWARE_UEFI,
                               .controller = CONTROLLER_IDE,
                               .cpus = 1,
                               .nics = 0,
                               .memory = 1024ull << 20,
                               .ovmf_code = "/ovmf/CODE.ms.fd",
                               .ovmf_vars = "/ovmf/VARS.ms.fd",
                               .secure_boot = true};
    const char *const disks[2] = {"/s/os.qcow2", "/s/app.qcow2"};
    CLEANUP_STRV char **argv = boot_vm_argv(&c, disks, "/s/OVMF_VARS.fd");
    CLEANUP_FREE char *s = joined(argv);
    assert_non_null(strstr(s, " -machine q35,accel=tcg,smm=on "));
    assert_non_null(strstr(s, " -global driver=cfi.pflash01,property=secure,value=on "
                              "-drive if=pflash,format=raw,unit=0,readonly=on,"
                              "file=/ovmf/CODE.ms.fd "
                              "-drive if=pflash,format=raw,unit=1,file=/s/OVMF_VARS.fd "));
    assert_non_null(strstr(s, " -device ide-hd,drive=disk0,bus=ide.0,bootindex=1 "
                              "-device ide-hd,drive=disk1,bus=ide.1 "));
    /* Without it: neither SMM nor the secure flash. */
    c.secure_boot = false;
    c.controller = CONTROLLER_SATA;
    CLEANUP_STRV char **plain = boot_vm_argv(&c, disks, "/s/OVMF_VARS.fd");
    CLEANUP_FREE char *p = joined(plain);
    assert_null(strstr(p, "smm"));
    assert_null(strstr(p, "secure"));
}

/* aarch64: the virt machine under its own emulator, a 64-bit CPU for
 * TCG, AAVMF's flashes (no SMM, no secure flash), virtio-blk disks for
 * the plan's SATA (AAVMF boots no AHCI disk), no VGA. */
static void
test_argv_aarch64(void **state)
{
    (void)state;
    struct boot_vm_config c = {.firmware = FIRMWARE_UEFI,
                               .controller = CONTROLLER_SATA,
                               .cpus = 2,
                               .nics = 1,
                               .memory = 1024ull << 20,
                               .ovmf_code = "/aavmf/CODE.ms.fd",
                               .ovmf_vars = "/aavmf/VARS.ms.fd",
                               .secure_boot = true,
                               .arch = ARCH_AARCH64};
    const char *const disks[2] = {"/s/os.qcow2", "/s/app.qcow2"};
    CLEANUP_STRV char **argv = boot_vm_argv(&c, disks, "/s/VARS.fd");
    CLEANUP_FREE char *s = joined(argv);
    assert_non_null(strstr(s, "qemu-system-aarch64 -machine virt,accel=tcg -cpu cortex-a72 "));
    assert_non_null(strstr(s, " -drive if=pflash,format=raw,unit=0,readonly=on,"
                              "file=/aavmf/CODE.ms.fd "
                              "-drive if=pflash,format=raw,unit=1,file=/s/VARS.fd "));
    assert_non_null(strstr(s, " -device virtio-blk-pci,drive=disk0,bootindex=1 "
                              "-device virtio-blk-pci,drive=disk1 "));
    assert_null(strstr(s, "ahci"));
    assert_null(strstr(s, "smm"));
    assert_null(strstr(s, "secure"));
    assert_null(strstr(s, "-vga"));
}

static void
test_ovmf_secure_override(void **state)
{
    (void)state;
    const char *code, *vars;
    struct ab_error err = AB_ERROR_INIT;
    touch("SB_CODE.fd");
    touch("SB_VARS.fd");
    setenv("APPLIANCE_OVMF_SB_CODE", "SB_CODE.fd", 1);
    setenv("APPLIANCE_OVMF_SB_VARS", "SB_VARS.fd", 1);
    assert_int_equal(boot_ovmf_find_secure(ARCH_X86_64, &code, &vars, &err), 0);
    assert_string_equal(code, "SB_CODE.fd");
    assert_string_equal(vars, "SB_VARS.fd");
    setenv("APPLIANCE_OVMF_SB_VARS", "missing.fd", 1);
    assert_int_equal(boot_ovmf_find_secure(ARCH_X86_64, &code, &vars, &err), -1);
    CLEANUP_FREE char *text = unit_error_text(&err);
    if (!strstr(text, "Secure Boot firmware 'SB_CODE.fd' or 'missing.fd' not readable"))
        fail_msg("%s", text);
    ab_error_release(&err);
    unsetenv("APPLIANCE_OVMF_SB_CODE");
    unsetenv("APPLIANCE_OVMF_SB_VARS");
}

static void
test_argv_ide_no_nic(void **state)
{
    (void)state;
    struct boot_vm_config c = {FIRMWARE_BIOS, CONTROLLER_IDE, 1,    0,    512ull << 20,
                               false,         NULL,           NULL, false, ARCH_X86_64};
    const char *const disks[2] = {"/s/os.qcow2", "/s/app.qcow2"};
    CLEANUP_STRV char **argv = boot_vm_argv(&c, disks, NULL);
    CLEANUP_FREE char *s = joined(argv);
    assert_non_null(strstr(s, " -machine pc,accel=tcg "));
    assert_non_null(strstr(s, " -device ide-hd,drive=disk0,bus=ide.0,unit=0,bootindex=1 "
                              "-device ide-hd,drive=disk1,bus=ide.0,unit=1 -nic none"));
    assert_null(strstr(s, "pflash"));
}

/* ---- the disks of an output ---------------------------------------------- */

static int
find(const char *dir, struct boot_disks *d, char **msg)
{
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *report = NULL;
    assert_true(asprintf(&report, "%s/build-report.json", dir) > 0);
    int r = boot_disks_find(dir, report, "n", d, &err);
    *msg = r < 0 ? unit_error_text(&err) : NULL;
    ab_error_release(&err);
    return r;
}

static void
test_disks_preference(void **state)
{
    (void)state;
    struct boot_disks d;
    char *msg;
    assert_int_equal(mkdir("out", 0755), 0);
    assert_int_equal(find("out", &d, &msg), -1);
    assert_string_equal(msg, "appliance: error: no disks of 'n' in 'out' (looked for the files "
                             "build-report.json lists, n-os.qcow2, .raw, n-os.img, "
                             "ovf/n-os.vmdk, n-os.vmdk, .vdi, .vhdx and n.ova)\n");
    free(msg);

    static const struct {
        const char *os, *app, *kind, *format;
    } steps[] = {
        /* Each step adds a better pair; the best present wins. */
        {"out/n-os.vhdx", "out/n-app.vhdx", "vhdx", "vhdx"},
        {"out/n-os.vdi", "out/n-app.vdi", "vdi", "vdi"},
        {"out/n-os.vmdk", "out/n-app.vmdk", "vmdk", "vmdk"},
        {"out/ovf/n-os.vmdk", "out/ovf/n-app.vmdk", "ovf", "vmdk"},
        {"out/n-os.img", "out/n-app.img", "img", "raw"},
        {"out/n-os.raw", "out/n-app.raw", "raw", "raw"},
        {"out/n-os.qcow2", "out/n-app.qcow2", "qcow2", "qcow2"},
    };
    assert_int_equal(mkdir("out/ovf", 0755), 0);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        touch(steps[i].os);
        touch(steps[i].app);
        assert_int_equal(find("out", &d, &msg), 0);
        assert_string_equal(d.kind, steps[i].kind);
        assert_string_equal(d.format, steps[i].format);
        assert_string_equal(d.file[0], steps[i].os);
        assert_string_equal(d.file[1], steps[i].app);
        char want[PATH_MAX + 64];
        snprintf(want, sizeof(want), "%s/%s", unit_tmpdir, steps[i].app);
        assert_string_equal(d.backing[1], want); /* absolute, for the overlay */
        boot_disks_release(&d);
    }
}

/* A folder with a report: the files it lists, whatever their names. */
static void
test_disks_from_report(void **state)
{
    (void)state;
    struct boot_disks d;
    char *msg;
    assert_int_equal(mkdir("rep", 0755), 0);
    touch("rep/n-os.qcow2"); /* not listed: not taken */
    touch("rep/n-app.qcow2");
    touch("rep/n-1.0-os.vdi");
    touch("rep/n-1.0-app.vdi");
    unit_write_file("rep/build-report.json",
                    "{\"format\": 2, \"name\": \"n\", \"version\": \"1.0\", \"plan\": {}, "
                    "\"files\": [{\"path\": \"n-1.0-app.vdi\", \"output\": \"vdi\", "
                    "\"disk\": \"app\"}, {\"path\": \"n-1.0-os.vdi\", \"output\": \"vdi\", "
                    "\"disk\": \"os\"}]}");
    assert_int_equal(find("rep", &d, &msg), 0);
    assert_string_equal(d.kind, "vdi");
    assert_string_equal(d.file[0], "rep/n-1.0-os.vdi");
    assert_string_equal(d.file[1], "rep/n-1.0-app.vdi");
    boot_disks_release(&d);
    /* Files the report does not list are still looked for under the
     * report's stem (a folder made by hand beside a copied report). */
    touch("rep/n-1.0-os.qcow2");
    touch("rep/n-1.0-app.qcow2");
    assert_int_equal(find("rep", &d, &msg), 0);
    assert_string_equal(d.kind, "qcow2");
    assert_string_equal(d.file[0], "rep/n-1.0-os.qcow2");
    boot_disks_release(&d);
    /* Format 1: the names it lists, by the names format 1 wrote. */
    unit_write_file("rep/build-report.json",
                    "{\"name\": \"n\", \"version\": \"1.0\", \"plan\": {}, \"files\": "
                    "[{\"path\": \"n-app.qcow2\"}, {\"path\": \"n-os.qcow2\"}]}");
    assert_int_equal(find("rep", &d, &msg), 0);
    assert_string_equal(d.kind, "qcow2");
    assert_string_equal(d.file[0], "rep/n-os.qcow2");
    boot_disks_release(&d);
}

static void
test_disks_half_pair(void **state)
{
    (void)state;
    struct boot_disks d;
    char *msg;
    assert_int_equal(mkdir("half", 0755), 0);
    touch("half/n-os.raw");
    touch("half/n-app.img"); /* another kind does not make a pair */
    touch("half/n-os.img");
    assert_int_equal(find("half", &d, &msg), -1);
    assert_string_equal(msg, "appliance: error: 'half' has 'n-os.raw' but not 'n-app.raw'\n");
    free(msg);
}

/* ---- OVA members ---------------------------------------------------------- */

static void
make_tar(const char *format, const char *tar, const char *dir)
{
    char opt[64];
    snprintf(opt, sizeof(opt), "--format=%s", format);
    struct ab_error err = AB_ERROR_INIT;
    const char *argv[] = {"tar",
                          opt,
                          "-C",
                          dir,
                          "-cf",
                          tar,
                          "n.ovf",
                          "n-os.vmdk",
                          "n-app.vmdk",
                          "a-rather-long-folder-name-for-the-member-names-in-this-tar-to-need-"
                          "more-than-a-hundred-bytes/n-os.vmdk",
                          NULL};
    assert_int_equal(spawn_run(argv, NULL, &err), 0);
}

static char *
read_at(const char *path, uint64_t offset, uint64_t size)
{
    char *buf = calloc(1, size + 1);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, size, (off_t)offset), (ssize_t)size);
    close(fd);
    return buf;
}

static void
test_tar_members(void **state)
{
    (void)state;
    const char *long_dir = "ova-src/a-rather-long-folder-name-for-the-member-names-in-this-tar-"
                           "to-need-more-than-a-hundred-bytes";
    assert_int_equal(mkdir("ova-src", 0755), 0);
    assert_int_equal(mkdir(long_dir, 0755), 0);
    unit_write_file("ova-src/n.ovf", "<Envelope/>");
    unit_write_file("ova-src/n-os.vmdk", "the OS disk");
    unit_write_file("ova-src/n-app.vmdk", "the application disk, longer than 512 bytes? no");
    char deep[PATH_MAX];
    snprintf(deep, sizeof(deep), "%s/n-os.vmdk", long_dir);
    unit_write_file(deep, "deep");
    static const char *const formats[] = {"ustar", "pax", "gnu"};
    for (size_t i = 0; i < 3; i++) {
        char tar[64];
        snprintf(tar, sizeof(tar), "t-%s.ova", formats[i]);
        make_tar(formats[i], tar, "ova-src");
        struct ab_error err = AB_ERROR_INIT;
        uint64_t off = 0, size = 0;
        assert_int_equal(tar_member_find(tar, "n-app.vmdk", &off, &size, &err), 1);
        CLEANUP_FREE char *app = read_at(tar, off, size);
        assert_string_equal(app, "the application disk, longer than 512 bytes? no");
        assert_int_equal(tar_member_find(tar, "n-os.vmdk", &off, &size, &err), 1);
        CLEANUP_FREE char *os = read_at(tar, off, size);
        assert_string_equal(os, "the OS disk");
        assert_int_equal(tar_member_find(tar, deep + strlen("ova-src/"), &off, &size, &err), 1);
        CLEANUP_FREE char *d = read_at(tar, off, size);
        assert_string_equal(d, "deep");
        assert_int_equal(tar_member_find(tar, "n-data.vmdk", &off, &size, &err), 0);
        assert_false(ab_error_is_set(&err));
    }
}

static void
test_disks_from_ova(void **state)
{
    (void)state;
    struct boot_disks d;
    char *msg;
    assert_int_equal(mkdir("ova-out", 0755), 0);
    make_tar("ustar", "ova-out/n.ova", "ova-src");
    assert_int_equal(find("ova-out", &d, &msg), 0);
    assert_string_equal(d.kind, "ova");
    assert_string_equal(d.format, "vmdk");
    assert_string_equal(d.file[0], "ova-out/n.ova");
    char want[PATH_MAX + 200];
    snprintf(want, sizeof(want),
             "json:{\"driver\":\"vmdk\",\"file\":{\"driver\":\"raw\",\"offset\":2560,"
             "\"size\":47,\"file\":{\"driver\":\"file\",\"filename\":\"%s/ova-out/n.ova\"}}}",
             unit_tmpdir);
    assert_string_equal(d.backing[1], want); /* n.ovf, n-os.vmdk, then n-app.vmdk's data */
    boot_disks_release(&d);

    assert_int_equal(mkdir("ova-bad", 0755), 0);
    unit_write_file("ova-bad/n.ova", "not a tar at all");
    assert_int_equal(find("ova-bad", &d, &msg), -1);
    assert_non_null(strstr(msg, "/ova-bad/n.ova': Unrecognized archive format\n"));
    free(msg);
}

/* The disks found are checked before qemu opens them: good ones pass, a
 * file not in its name's format and an OVA member that is a descriptor
 * are refused. */
static void
test_disks_checked(void **state)
{
    (void)state;
    struct boot_disks d;
    char *msg;
    assert_int_equal(mkdir("chk", 0755), 0);
    assert_int_equal(system("qemu-img create -q -f qcow2 chk/n-os.qcow2 1M && "
                            "qemu-img create -q -f qcow2 chk/n-app.qcow2 1M"),
                     0);
    assert_int_equal(find("chk", &d, &msg), 0);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(boot_disks_check(&d, &err), 0);
    boot_disks_release(&d);
    raw_disk("chk/n-app.qcow2", 1 << 20);
    assert_int_equal(find("chk", &d, &msg), 0);
    assert_int_equal(boot_disks_check(&d, &err), -1);
    msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: 'chk/n-app.qcow2' is a raw image, not qcow2 as "
                             "its name says\n");
    free(msg);
    ab_error_release(&err);
    boot_disks_release(&d);

    assert_int_equal(mkdir("chk-ova", 0755), 0);
    assert_int_equal(mkdir("chk-src", 0755), 0);
    unit_write_file("chk-src/n.ovf", "<Envelope/>");
    unit_write_file("chk-src/n-os.vmdk", "# Disk DescriptorFile\nversion=1\n"
                                         "RW 2048 FLAT \"/etc/shadow\" 0\n");
    assert_int_equal(system("qemu-img create -q -f vmdk chk-src/n-app.vmdk 1M"), 0);
    assert_int_equal(system("tar --format=ustar -C chk-src -cf chk-ova/n.ova n.ovf n-os.vmdk "
                            "n-app.vmdk"),
                     0);
    assert_int_equal(find("chk-ova", &d, &msg), 0);
    assert_int_equal(boot_disks_check(&d, &err), -1);
    msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: 'chk-ova/n.ova:n-os.vmdk' names another file: "
                             "extent '/etc/shadow'; refusing an image that refers to files "
                             "outside itself\n");
    free(msg);
    ab_error_release(&err);
    boot_disks_release(&d);
}

/* ---- the VM, with a fake qemu --------------------------------------------- */

/* Writes an executable script as the qemu to run. */
static void
fake_qemu(const char *body)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/qemu", unit_tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho \"$@\" > %s/qemu.args\n%s\n", unit_tmpdir, body);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
    setenv("APPLIANCE_QEMU", path, 1);
}

static void
vm_disks(struct boot_disks *d)
{
    char *msg;
    assert_true(mkdir("vm", 0755) == 0 || errno == EEXIST);
    raw_disk("vm/n-os.raw", 8 << 20);
    raw_disk("vm/n-app.raw", 4 << 20);
    assert_int_equal(find("vm", d, &msg), 0);
}

static const struct boot_vm_config bios = {
    FIRMWARE_BIOS, CONTROLLER_SCSI, 1, 1, 256ull << 20, false, NULL, NULL, false, ARCH_X86_64};

/* Waits for qemu to end or at most seconds; returns boot_vm_wait's last. */
static int
wait_for(struct boot_vm *vm, double seconds, const char *needle)
{
    struct ab_error err = AB_ERROR_INIT;
    double until = mono_now() + seconds;
    int r = 0;
    while (mono_now() < until) {
        r = boot_vm_wait(vm, 200, &err);
        if (r == 2 || r < 0 || (needle && vm->log && strstr(vm->log, needle)))
            break;
    }
    assert_false(ab_error_is_set(&err));
    return r;
}

static void
test_vm_console_and_stop(void **state)
{
    (void)state;
    struct boot_disks d;
    struct boot_vm vm;
    struct ab_error err = AB_ERROR_INIT;
    vm_disks(&d);
    struct stat before;
    assert_int_equal(stat("vm/n-os.raw", &before), 0);
    fake_qemu("echo 'Linux version 6.1'; echo 'test login: '; exec sleep 60");
    CLEANUP_FCLOSE FILE *keep = fopen("kept.log", "w");
    assert_int_equal(boot_vm_start(&vm, &bios, &d, unit_tmpdir, keep, &err), 0);
    CLEANUP_FREE char *scratch = strdup(vm.scratch);
    assert_int_equal(access(scratch, F_OK), 0);
    assert_int_equal(wait_for(&vm, 10, "login: "), 1);
    assert_non_null(strstr(vm.log, "Linux version 6.1\ntest login: \n"));
    pid_t pid = vm.qemu.pid;
    boot_vm_stop(&vm);
    assert_int_equal(kill(pid, 0), -1); /* gone, and reaped */
    assert_int_equal(access(scratch, F_OK), -1);
    boot_vm_stop(&vm); /* twice: harmless */

    /* qemu got the overlays, which were backed by the shipped disks. */
    CLEANUP_FREE char *args = NULL;
    size_t len = 0;
    FILE *f = fopen("qemu.args", "r");
    assert_non_null(f);
    assert_true(getline(&args, &len, f) > 0);
    fclose(f);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "file=%s/os.qcow2,format=qcow2,", scratch);
    assert_non_null(strstr(args, want));
    struct stat after;
    assert_int_equal(stat("vm/n-os.raw", &after), 0);
    assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
    assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);

    assert_int_equal(fflush(keep), 0);
    CLEANUP_FREE char *kept = NULL;
    f = fopen("kept.log", "r");
    assert_non_null(f);
    assert_true(getdelim(&kept, &len, '\0', f) > 0);
    fclose(f);
    assert_string_equal(kept, "Linux version 6.1\ntest login: \n");
    free(vm.log);
    boot_disks_release(&d);
}

/* The aarch64 command line, judged by qemu-system-aarch64 and AAVMF
 * themselves: over blank disks the firmware starts and says so on the
 * console (the PL011 that -serial stdio gives), then finds nothing to
 * boot. */
static void
test_vm_aarch64_firmware(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const char *code, *vars;
    if (system("command -v qemu-system-aarch64 >/dev/null") != 0 ||
        boot_ovmf_find(ARCH_AARCH64, &code, &vars, &err) < 0) {
        ab_error_release(&err);
        unit_skip("qemu-system-aarch64 or AAVMF is not installed (make deps)");
    }
    struct boot_disks d;
    struct boot_vm vm;
    vm_disks(&d);
    struct boot_vm_config c = {.firmware = FIRMWARE_UEFI,
                               .controller = CONTROLLER_SATA,
                               .cpus = 1,
                               .nics = 1,
                               .memory = 512ull << 20,
                               .ovmf_code = code,
                               .ovmf_vars = vars,
                               .arch = ARCH_AARCH64};
    assert_int_equal(boot_vm_start(&vm, &c, &d, unit_tmpdir, NULL, &err), 0);
    int r = wait_for(&vm, 120, "UEFI firmware");
    if (r != 1)
        fail_msg("no UEFI firmware on the console (%d): %s %s", r,
                 vm.log ? vm.log : "", boot_vm_qemu_said(&vm));
    boot_vm_stop(&vm);
    free(vm.log);
    boot_disks_release(&d);
}

static void
test_vm_qemu_fails(void **state)
{
    (void)state;
    struct boot_disks d;
    struct boot_vm vm;
    struct ab_error err = AB_ERROR_INIT;
    vm_disks(&d);
    fake_qemu("echo 'qemu-system-x86_64: -machine q35: unsupported machine type' >&2; exit 1");
    assert_int_equal(boot_vm_start(&vm, &bios, &d, unit_tmpdir, NULL, &err), 0);
    CLEANUP_FREE char *scratch = strdup(vm.scratch);
    assert_int_equal(wait_for(&vm, 10, NULL), 2);
    assert_true(WIFEXITED(vm.status) && WEXITSTATUS(vm.status) == 1);
    assert_string_equal(boot_vm_qemu_said(&vm),
                        "qemu-system-x86_64: -machine q35: unsupported machine type");
    boot_vm_stop(&vm);
    assert_int_equal(access(scratch, F_OK), -1);
    free(vm.log);
    boot_disks_release(&d);
}

/* A qemu that ignores SIGTERM is killed after the grace period. */
static void
test_vm_stubborn_qemu(void **state)
{
    (void)state;
    struct boot_disks d;
    struct boot_vm vm;
    struct ab_error err = AB_ERROR_INIT;
    vm_disks(&d);
    fake_qemu("trap '' TERM; echo ready; while :; do sleep 1; done");
    assert_int_equal(boot_vm_start(&vm, &bios, &d, unit_tmpdir, NULL, &err), 0);
    assert_int_equal(wait_for(&vm, 10, "ready"), 1);
    pid_t pid = vm.qemu.pid;
    double start = mono_now();
    boot_vm_stop(&vm);
    assert_true(mono_now() - start >= 2.9);
    assert_int_equal(kill(pid, 0), -1);
    free(vm.log);
    boot_disks_release(&d);
}

/* A missing backing file: nothing runs, nothing is left. */
static void
test_vm_start_fails_cleanly(void **state)
{
    (void)state;
    struct boot_disks d;
    struct boot_vm vm;
    struct ab_error err = AB_ERROR_INIT;
    vm_disks(&d);
    free(d.backing[1]);
    d.backing[1] = strdup("/nonexistent/n-app.raw");
    assert_int_equal(boot_vm_start(&vm, &bios, &d, unit_tmpdir, NULL, &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "while making an overlay over 'vm/n-app.raw': 'qemu-img' failed"));
    assert_null(vm.scratch);
    assert_int_equal(vm.qemu.pid, 0);
    ab_error_release(&err);
    boot_disks_release(&d);
}

static void
test_ovmf_override(void **state)
{
    (void)state;
    const char *code, *vars;
    struct ab_error err = AB_ERROR_INIT;
    touch("CODE.fd");
    touch("VARS.fd");
    setenv("APPLIANCE_OVMF_CODE", "CODE.fd", 1);
    setenv("APPLIANCE_OVMF_VARS", "VARS.fd", 1);
    assert_int_equal(boot_ovmf_find(ARCH_X86_64, &code, &vars, &err), 0);
    assert_string_equal(code, "CODE.fd");
    assert_string_equal(vars, "VARS.fd");
    setenv("APPLIANCE_OVMF_VARS", "missing.fd", 1);
    assert_int_equal(boot_ovmf_find(ARCH_X86_64, &code, &vars, &err), -1);
    ab_error_release(&err);
    unsetenv("APPLIANCE_OVMF_CODE");
    unsetenv("APPLIANCE_OVMF_VARS");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv_bios_scsi_tcg),
        cmocka_unit_test(test_argv_uefi_sata_kvm),
        cmocka_unit_test(test_argv_ide_no_nic),
        cmocka_unit_test(test_disks_preference),
        cmocka_unit_test(test_disks_half_pair),
        cmocka_unit_test(test_disks_from_report),
        cmocka_unit_test(test_tar_members),
        cmocka_unit_test(test_disks_from_ova),
        cmocka_unit_test(test_disks_checked),
        cmocka_unit_test(test_vm_console_and_stop),
        cmocka_unit_test(test_vm_aarch64_firmware),
        cmocka_unit_test(test_vm_qemu_fails),
        cmocka_unit_test(test_vm_stubborn_qemu),
        cmocka_unit_test(test_vm_start_fails_cleanly),
        cmocka_unit_test(test_ovmf_override),
        cmocka_unit_test(test_argv_secure_boot),
        cmocka_unit_test(test_argv_aarch64),
        cmocka_unit_test(test_ovmf_secure_override),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
