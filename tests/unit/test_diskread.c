/* test_diskread.c: a guest's disks read on the host (diskread.h) and a
 * clone's identity edited in place, on two small disks this test makes
 * the way a build makes them (sfdisk's GPT, LVM metadata, mke2fs -d,
 * mkfs.vfat, mkswap) from trees it writes: a Debian-like root with its
 * os-release behind a relative link, /var and /boot apart, an ESP, an
 * application volume. Judged by the tools that own the formats: sfdisk
 * (partitions), blkid (every filesystem's type, UUID and label), e2fsck
 * and debugfs (the clone's filesystems, and what changed in them), cmp
 * (no byte outside the edited volumes changed); the same facts through
 * qemu-nbd from qcow2 copies (qemu-img). Then what the host refuses:
 * a journal that needs replaying, an xfs root, an MBR disk; and
 * qemu-nbd's socket and process gone after use and after a failure. */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "appliance/cleanup.h"
#include "appliance/disk_image.h"
#include "appliance/diskread.h"
#include "appliance/fsids.h"
#include "appliance/fsutil.h"
#include "appliance/hostfs.h"
#include "appliance/lvm_meta.h"

#define UNIT_EPOCH 1700000000
#define MACHINE_ID "0123456789abcdef0123456789abcdef\n"

static const char recipe_text[] = "recipe: 1\n"
                                  "name: dread\n"
                                  "version: \"1\"\n"
                                  "os: { distro: debian-12, hostname: dread }\n"
                                  "hardware: { firmware: bios+uefi }\n"
                                  "disks:\n"
                                  "  os:\n"
                                  "    size: 420MiB\n"
                                  "    boot: 64MiB\n"
                                  "    volumes:\n"
                                  "      - { name: root, mount: /, size: 32MiB }\n"
                                  "      - { name: var, mount: /var, size: 16MiB }\n"
                                  "      - { name: swap, size: 4MiB, fs: swap }\n"
                                  "  app:\n"
                                  "    size: 64MiB\n"
                                  "    volumes:\n"
                                  "      - { name: app-data, mount: /srv/data, size: rest }\n";

static const struct plan *plan;

static int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A shell command's exit status, its stdout in *out (may be NULL). */
static int
sh(char **out, const char *fmt, ...)
{
    CLEANUP_FREE char *cmd = NULL;
    va_list ap;
    va_start(ap, fmt);
    assert_true(vasprintf(&cmd, fmt, ap) > 0);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        fwrite(buf, 1, n, m);
    assert_int_equal(fclose(m), 0);
    int status = pclose(p);
    if (out)
        *out = text;
    else
        free(text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
put(const char *path, const char *text)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(mkdir_p(dir, 0755), 0);
    unit_write_file(path, text);
}

static void
link_to(const char *target, const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(mkdir_p(dir, 0755), 0);
    assert_int_equal(symlink(target, path), 0);
}

/* The trees the filesystems are made from. */
static void
make_trees(void)
{
    /* root: Debian's os-release is a relative link into /usr */
    put("t-root/usr/lib/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
                                     "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n");
    link_to("../usr/lib/os-release", "t-root/etc/os-release");
    put("t-root/etc/debian_version", "12.7\n");
    put("t-root/etc/hostname", "dread\n");
    put("t-root/etc/machine-id", MACHINE_ID);
    put("t-root/etc/ssh/sshd_config", "# kept\n");
    put("t-root/etc/ssh/ssh_host_ed25519_key", "not a real key\n");
    put("t-root/etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAA not-real\n");
    put("t-root/etc/systemd/system/appliance-grow.service", "[Unit]\n");
    link_to("/etc/systemd/system/appliance-grow.service",
            "t-root/etc/systemd/system/multi-user.target.wants/appliance-grow.service");
    put("t-root/usr/libexec/appliance/appliance-grow", "#!/bin/sh\n");
    /* an x86-64 ELF header is all the architecture needs */
    char elf[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    elf[18] = 62;
    int fd = open("elf", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    assert_int_equal(write(fd, elf, sizeof(elf)), (ssize_t)sizeof(elf));
    close(fd);
    assert_int_equal(mkdir_p("t-root/usr/bin", 0755), 0);
    assert_int_equal(rename("elf", "t-root/usr/bin/bash"), 0);
    link_to("usr/bin", "t-root/bin");
    FILE *f = fopen("fstab", "w");
    assert_int_equal(fstab_write(plan, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename("fstab", "t-root/etc/fstab"), 0);
    assert_int_equal(mkdir_p("t-root/var", 0755), 0);
    assert_int_equal(mkdir_p("t-root/boot/efi", 0755), 0);
    assert_int_equal(mkdir_p("t-root/srv/data", 0755), 0);
    /* /var, a filesystem of its own */
    put("t-var/lib/dpkg/status", "Package: base-files\nStatus: install ok installed\n\n"
                                 "Package: gone\nStatus: deinstall ok config-files\n\n"
                                 "Package: bash\nStatus: install ok installed\n\n");
    put("t-var/lib/appliance/grow/vg_os", "420MiB\n");
    put("t-var/lib/dbus/machine-id", MACHINE_ID);
    assert_int_equal(mkdir_p("t-var/log", 0755), 0);
    put("t-boot/vmlinuz-6.1.0-9-amd64", "kernel\n");
    put("t-boot/vmlinuz-6.1.0-10-amd64", "kernel\n");
    put("t-boot/config-6.1.0-10-amd64", "\n");
    put("t-esp/EFI/debian/grub.cfg", "\n");
    put("t-efi/BOOTX64.EFI", "MZ\n");
    put("t-data/marker", "app data\n");
}

static const char *
tree_of(const char *mount)
{
    static const struct {
        const char *mount, *dir;
    } dirs[] = {{"/", "t-root"},          {"/var", "t-var"},       {"/boot", "t-boot"},
                {"/boot/efi", "t-esp"}, {"/srv/data", "t-data"}};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (strcmp(dirs[i].mount, mount) == 0)
            return dirs[i].dir;
    fail_msg("no tree for '%s'", mount);
    return NULL;
}

static const char *
img_of(enum plan_disk_id id)
{
    return id == PLAN_DISK_OS ? "os.img" : "app.img";
}

/* os.img and app.img as a build makes them. */
static int
make_disks(void **state)
{
    (void)state;
    static const char *const tools[] = {"sfdisk", "mke2fs", "mkfs.vfat", "mcopy", "mkswap",
                                        "blkid",  "e2fsck", "debugfs",   NULL};
    if (unit_enter_tmpdir(state) < 0)
        return -1;
    for (size_t i = 0; tools[i]; i++)
        if (!unit_have(tools[i]))
            return 0; /* each test skips, saying which */
    plan = unit_plan(recipe_text);
    make_trees();
    struct ab_error err = AB_ERROR_INIT;
    for (int d = 0; d < PLAN_N_DISKS; d++)
        if (hostfs_disk(plan, (enum plan_disk_id)d, img_of((enum plan_disk_id)d), NULL, &err) < 0 ||
            lvm_meta_write(plan, (enum plan_disk_id)d, img_of((enum plan_disk_id)d), UNIT_EPOCH,
                           &err) < 0)
            goto fail;
    for (size_t i = 0; i < plan->n_mounts; i++) {
        const struct plan_mount *m = &plan->mounts[i];
        if (hostfs_make(plan, m, img_of(m->disk), tree_of(m->path),
                        m->fs == FS_VFAT ? "t-efi" : NULL, UNIT_EPOCH, NULL, &err) < 0)
            goto fail;
    }
    const struct plan_vg *vg = &plan->disks[PLAN_DISK_OS].vg;
    for (size_t i = 0; i < vg->n_lvs; i++)
        if (vg->lvs[i].fs == FS_SWAP &&
            hostfs_swap(plan, PLAN_DISK_OS, &vg->lvs[i], "os.img", ".", NULL, &err) < 0)
            goto fail;
    return 0;
fail:
    fprintf(stderr, "cannot make the disks: %s\n", err.diags[0].msg);
    return -1;
}

static int
remove_disks(void **state)
{
    plan_free(plan);
    return unit_leave_tmpdir(state);
}

static void
need_disks(void)
{
    static const char *const tools[] = {"sfdisk", "mke2fs", "mkfs.vfat", "mcopy", "mkswap",
                                        "blkid",  "e2fsck", "debugfs",   NULL};
    for (size_t i = 0; tools[i]; i++)
        unit_need(tools[i]);
}

static struct inspect_guest *
read_guest(const char *os, const char *app, const char *format)
{
    struct inspect_drive drives[2] = {{os, format, os, 0}, {app, format, app, 0}};
    struct inspect_guest *g = NULL;
    struct ab_error err = AB_ERROR_INIT;
    char *why = NULL;
    int r = diskread_guest(drives, 2, NULL, &g, &why, &err);
    if (r < 0)
        fail_msg("%s", err.diags[0].msg);
    if (r == 0)
        fail_msg("not read on the host: %s", why);
    return g;
}

static const struct inspect_fs *
fs_of(const struct inspect_guest *g, const char *device)
{
    for (size_t i = 0; i < g->n_fss; i++)
        if (strcmp(g->fss[i].device, device) == 0)
            return &g->fss[i];
    fail_msg("no filesystem on '%s'", device);
    return NULL;
}

/* The byte offset of mount path's filesystem in its disk. */
static uint64_t
offset_of(const char *path)
{
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (strcmp(plan->mounts[i].path, path) == 0) {
            uint64_t off, size;
            hostfs_extent(plan, &plan->mounts[i], &off, &size);
            return off;
        }
    fail_msg("no mount '%s'", path);
    return 0;
}

/* blkid's KEY=value lines for the filesystem at offset of img. */
static void
assert_blkid(const char *img, uint64_t offset, const struct inspect_fs *f)
{
    CLEANUP_FREE char *text = NULL;
    char line[160];
    assert_int_equal(sh(&text, "blkid -p -O %" PRIu64 " -o export %s", offset, img), 0);
    snprintf(line, sizeof(line), "\nTYPE=%s\n", f->type);
    if (!strstr(text, line) && strncmp(text, line + 1, strlen(line + 1)) != 0)
        fail_msg("blkid says otherwise of %s (%s):\n%s", f->device, f->type, text);
    snprintf(line, sizeof(line), "UUID=%s\n", f->uuid);
    if (!strstr(text, line))
        fail_msg("blkid's UUID of %s is not %s:\n%s", f->device, f->uuid, text);
    snprintf(line, sizeof(line), "LABEL=%s\n", f->label ? f->label : "");
    if (f->label && !strstr(text, line))
        fail_msg("blkid's label of %s is not %s:\n%s", f->device, f->label, text);
}

/* Every partition as sfdisk reads it. */
static void
assert_partitions(const struct inspect_disk *d, const char *img)
{
    CLEANUP_FREE char *text = NULL;
    assert_int_equal(sh(&text, "sfdisk --json %s", img), 0);
    json_object *root = json_tokener_parse(text), *pt, *parts;
    assert_true(json_object_object_get_ex(root, "partitiontable", &pt));
    assert_true(json_object_object_get_ex(pt, "partitions", &parts));
    assert_int_equal(json_object_array_length(parts), d->n_parts);
    for (size_t i = 0; i < d->n_parts; i++) {
        json_object *p = json_object_array_get_idx(parts, i), *v;
        assert_true(json_object_object_get_ex(p, "start", &v));
        assert_int_equal(d->parts[i].start, (uint64_t)json_object_get_int64(v) * 512);
        assert_true(json_object_object_get_ex(p, "size", &v));
        assert_int_equal(d->parts[i].size, (uint64_t)json_object_get_int64(v) * 512);
        assert_true(json_object_object_get_ex(p, "type", &v));
        assert_int_equal(strcasecmp(d->parts[i].type, json_object_get_string(v)), 0);
        assert_true(json_object_object_get_ex(p, "name", &v));
        assert_string_equal(d->parts[i].name, json_object_get_string(v));
        char node[64];
        snprintf(node, sizeof(node), "%s%u", d->device, d->parts[i].number);
        assert_string_equal(d->parts[i].device, node);
    }
    json_object_put(root);
}

static void
assert_os(const struct inspect_os *os, enum inspect_machine_id id, size_t keys)
{
    assert_string_equal(os->root, "/dev/vg_os/root");
    assert_string_equal(os->type, "linux");
    assert_string_equal(os->distro, "debian");
    assert_string_equal(os->product, "12.7"); /* debian_version's, as libguestfs */
    assert_int_equal(os->major, 12);
    assert_int_equal(os->minor, 7);
    assert_string_equal(os->arch, "x86_64");
    assert_string_equal(os->hostname, "dread");
    assert_string_equal(os->package_format, "deb");
    assert_int_equal(os->packages, 2);
    assert_string_equal(os->kernels[0], "6.1.0-10-amd64");
    assert_string_equal(os->kernels[1], "6.1.0-9-amd64");
    assert_null(os->kernels[2]);
    assert_true(os->grow_unit);
    assert_true(os->grow_enabled);
    assert_string_equal(os->grow_vgs[0], "vg_os");
    assert_null(os->grow_vgs[1]);
    assert_int_equal(os->machine_id, id);
    size_t n = 0;
    while (os->host_keys && os->host_keys[n])
        n++;
    assert_int_equal(n, keys);
    if (keys)
        assert_string_equal(os->host_keys[0], "ssh_host_ed25519_key");
    assert_int_equal(os->source, SOURCE_HOST);
    assert_false(os->incomplete);
    assert_null(os->notes);
    /* fstab's mounts, shortest first, swap left out */
    static const char *const want[] = {"/",         "/dev/vg_os/root",     "/var",
                                       "/dev/vg_os/var", "/boot",          "/dev/sda3",
                                       "/boot/efi", "/dev/sda2",           "/srv/data",
                                       "/dev/vg_app/app-data", NULL};
    for (size_t i = 0; want[i]; i++)
        assert_string_equal(os->mounts[i], want[i]);
    assert_null(os->mounts[10]);
}

static void
test_raw(void **state)
{
    (void)state;
    need_disks();
    struct inspect_guest *g = read_guest("os.img", "app.img", "raw");
    assert_int_equal(g->source, SOURCE_HOST);
    assert_int_equal(g->n_disks, 2);
    assert_string_equal(g->disks[0].device, "/dev/sda");
    assert_string_equal(g->disks[0].table, "gpt");
    assert_partitions(&g->disks[0], "os.img");
    assert_partitions(&g->disks[1], "app.img");
    assert_string_equal(g->disks[0].parts[1].type_name, "EFI System");
    assert_string_equal(g->disks[0].parts[3].type_name, "Linux LVM");

    /* LVM as the plan laid it out, sorted as lvm sorts */
    const struct plan_vg *os_vg = &plan->disks[PLAN_DISK_OS].vg;
    assert_int_equal(g->n_vgs, 2);
    assert_string_equal(g->vgs[0].name, "vg_app");
    assert_string_equal(g->vgs[1].name, "vg_os");
    uint64_t used = 0;
    for (size_t i = 0; i < os_vg->n_lvs; i++)
        used += os_vg->lvs[i].extents;
    assert_int_equal(g->vgs[1].size, os_vg->extents * os_vg->pe_size);
    assert_int_equal(g->vgs[1].free, (os_vg->extents - used) * os_vg->pe_size);
    assert_true(g->vgs[1].free > 0);
    assert_int_equal(g->vgs[1].n_lvs, 3);
    assert_int_equal(g->n_pvs, 2);
    assert_string_equal(g->pvs[1].device, "/dev/sda4");
    assert_string_equal(g->pvs[1].vg, "vg_os");
    assert_int_equal(g->pvs[1].free, g->vgs[1].free);
    static const char *const lvs[] = {"/dev/vg_app/app-data", "/dev/vg_os/root", "/dev/vg_os/swap",
                                      "/dev/vg_os/var"};
    assert_int_equal(g->n_lvs, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(g->lvs[i].device, lvs[i]);
    assert_int_equal(g->lvs[1].size, os_vg->lvs[0].size);

    /* every filesystem as blkid sees it */
    const struct {
        const char *device, *mount, *img;
    } fss[] = {{"/dev/sda2", "/boot/efi", "os.img"},
               {"/dev/sda3", "/boot", "os.img"},
               {"/dev/vg_os/root", "/", "os.img"},
               {"/dev/vg_os/var", "/var", "os.img"},
               {"/dev/vg_app/app-data", "/srv/data", "app.img"}};
    for (size_t i = 0; i < sizeof(fss) / sizeof(fss[0]); i++) {
        const struct inspect_fs *f = fs_of(g, fss[i].device);
        assert_blkid(fss[i].img, offset_of(fss[i].mount), f);
        assert_true(strcmp(f->type, "vfat") == 0 || f->used > 0);
    }
    const struct inspect_fs *swap = fs_of(g, "/dev/vg_os/swap");
    assert_string_equal(swap->type, "swap");
    assert_blkid("os.img", plan_lv_offset(&plan->disks[PLAN_DISK_OS], &os_vg->lvs[2]), swap);

    assert_int_equal(g->n_oses, 1);
    assert_os(&g->oses[0], MACHINE_ID_SET, 2);
    inspect_guest_free(g);
}

/* The facts of g as one text, without the drives' names and formats. */
static char *
facts(const struct inspect_guest *g)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (size_t i = 0; i < g->n_disks; i++)
        for (size_t p = 0; p < g->disks[i].n_parts; p++)
            fprintf(f, "%s %" PRIu64 " %" PRIu64 "\n", g->disks[i].parts[p].device,
                    g->disks[i].parts[p].start, g->disks[i].parts[p].size);
    for (size_t i = 0; i < g->n_lvs; i++)
        fprintf(f, "%s %" PRIu64 "\n", g->lvs[i].device, g->lvs[i].size);
    for (size_t i = 0; i < g->n_fss; i++)
        fprintf(f, "%s %s %s %" PRId64 "\n", g->fss[i].device, g->fss[i].type, g->fss[i].uuid,
                g->fss[i].used);
    for (size_t i = 0; i < g->n_oses; i++)
        fprintf(f, "%s %s %ld\n", g->oses[i].root, g->oses[i].product, g->oses[i].packages);
    assert_int_equal(fclose(f), 0);
    return text;
}

static void
test_qcow2(void **state)
{
    (void)state;
    need_disks();
    unit_need("qemu-img");
    unit_need("qemu-nbd");
    assert_int_equal(sh(NULL, "qemu-img convert -O qcow2 os.img os.qcow2 && "
                              "qemu-img convert -O qcow2 app.img app.qcow2"),
                     0);
    struct inspect_guest *raw = read_guest("os.img", "app.img", "raw");
    struct inspect_guest *q = read_guest("os.qcow2", "app.qcow2", "qcow2");
    CLEANUP_FREE char *a = facts(raw), *b = facts(q);
    assert_string_equal(a, b);
    assert_os(&q->oses[0], MACHINE_ID_SET, 2);
    inspect_guest_free(raw);
    inspect_guest_free(q);
    assert_int_equal(unlink("os.qcow2"), 0);
    assert_int_equal(unlink("app.qcow2"), 0);
}

/* Every byte where clone differs from os.img lies in one of the ranges,
 * and some do. Only the data of either file is read (SEEK_DATA): a hole
 * of both is the same zeros. */
static void
assert_changed_only(const char *clone, const uint64_t (*ranges)[2], size_t n)
{
    int a = open("os.img", O_RDONLY), b = open(clone, O_RDONLY);
    assert_true(a >= 0 && b >= 0);
    off_t end = lseek(a, 0, SEEK_END), at = 0;
    assert_int_equal(end, lseek(b, 0, SEEK_END));
    size_t changed = 0;
    static unsigned char x[1 << 16], y[1 << 16];
    while (at < end) {
        off_t da = lseek(a, at, SEEK_DATA), db = lseek(b, at, SEEK_DATA);
        off_t next = da < 0 ? db : db < 0 ? da : da < db ? da : db;
        if (next < 0)
            break;
        at = next & ~(off_t)(sizeof(x) - 1);
        ssize_t n1 = pread(a, x, sizeof(x), at), n2 = pread(b, y, sizeof(y), at);
        assert_int_equal(n1, n2);
        for (ssize_t i = 0; i < n1; i++) {
            if (x[i] == y[i])
                continue;
            uint64_t byte = (uint64_t)at + (uint64_t)i;
            bool inside = false;
            for (size_t r = 0; r < n; r++)
                inside |= byte >= ranges[r][0] && byte < ranges[r][0] + ranges[r][1];
            if (!inside)
                fail_msg("byte %" PRIu64 " of %s changed, outside the edited volumes", byte,
                         clone);
            changed++;
        }
        at += n1 > 0 ? n1 : (ssize_t)sizeof(x);
    }
    close(a);
    close(b);
    assert_true(changed > 0);
}

static void
copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(in >= 0 && out >= 0);
    assert_int_equal(copy_sparse(in, out), 0);
    close(in);
    assert_int_equal(close(out), 0);
}

static void
test_new_identity(void **state)
{
    (void)state;
    need_disks();
    struct diskread_identity res;
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *why = NULL, *st = NULL;
    struct stat app_before, app_after;
    copy_file("os.img", "clone.img");
    assert_int_equal(stat("app.img", &app_before), 0);
    int r = diskread_new_identity("clone.img", "app.img", "raw", UNIT_EPOCH, NULL, &res, &why, &err);
    if (r != 1)
        fail_msg("%s", r < 0 ? err.diags[0].msg : why);
    assert_true(res.machine_id_was_set);
    assert_true(res.dbus_linked);
    assert_int_equal(res.host_keys_removed, 2);

    /* e2fsck finds both edited filesystems sound */
    uint64_t root = offset_of("/"), var = offset_of("/var");
    assert_int_equal(sh(NULL, "e2fsck -fn 'clone.img?offset=%" PRIu64 "' >/dev/null 2>&1", root),
                     0);
    assert_int_equal(sh(NULL, "e2fsck -fn 'clone.img?offset=%" PRIu64 "' >/dev/null 2>&1", var), 0);
    /* debugfs sees the edit, and only it */
    assert_int_equal(sh(&st, "debugfs -R 'stat /etc/machine-id' 'clone.img?offset=%" PRIu64
                             "' 2>/dev/null",
                        root),
                     0);
    assert_non_null(strstr(st, "Type: regular"));
    assert_non_null(strstr(st, "Size: 0\n"));
    free(st);
    assert_int_equal(sh(&st, "debugfs -R 'stat /lib/dbus/machine-id' 'clone.img?offset=%" PRIu64
                             "' 2>/dev/null",
                        var),
                     0);
    assert_non_null(strstr(st, "Type: symlink"));
    assert_non_null(strstr(st, "Fast link dest: \"/etc/machine-id\""));
    free(st);
    assert_int_equal(sh(&st, "debugfs -R 'ls -l /etc/ssh' 'clone.img?offset=%" PRIu64
                             "' 2>/dev/null",
                        root),
                     0);
    assert_null(strstr(st, "ssh_host_"));
    assert_non_null(strstr(st, "sshd_config"));
    /* no byte outside the two volumes changed; the app disk is as it was */
    const struct plan_vg *vg = &plan->disks[PLAN_DISK_OS].vg;
    const uint64_t ranges[][2] = {{root, vg->lvs[0].size}, {var, vg->lvs[1].size}};
    assert_changed_only("clone.img", ranges, 2);
    /* (any write would have moved its mtime) */
    assert_int_equal(stat("app.img", &app_after), 0);
    assert_int_equal(app_before.st_mtim.tv_sec, app_after.st_mtim.tv_sec);
    assert_int_equal(app_before.st_mtim.tv_nsec, app_after.st_mtim.tv_nsec);

    /* what inspect sees now; a second edit changes nothing */
    struct inspect_guest *g = read_guest("clone.img", "app.img", "raw");
    assert_os(&g->oses[0], MACHINE_ID_EMPTY, 0);
    inspect_guest_free(g);
    copy_file("clone.img", "again.img");
    assert_int_equal(diskread_new_identity("again.img", "app.img", "raw", UNIT_EPOCH, NULL, &res,
                                           &why, &err),
                     1);
    assert_false(res.machine_id_was_set);
    assert_false(res.dbus_linked);
    assert_int_equal(res.host_keys_removed, 0);
    assert_int_equal(sh(NULL, "cmp -s clone.img again.img"), 0);
    assert_int_equal(unlink("clone.img"), 0);
    assert_int_equal(unlink("again.img"), 0);
}

/* The SHA-256 of the root and /var volumes of img: what an edit writes. */
static char *
volumes_sum(const char *img)
{
    char *sum = NULL;
    const struct plan_vg *vg = &plan->disks[PLAN_DISK_OS].vg;
    assert_int_equal(sh(&sum, "{ dd if=%s bs=1M skip=%" PRIu64 " count=%" PRIu64 " && dd if=%s "
                              "bs=1M skip=%" PRIu64 " count=%" PRIu64 "; } 2>/dev/null | sha256sum",
                        img, offset_of("/") >> 20, vg->lvs[0].size >> 20, img,
                        offset_of("/var") >> 20, vg->lvs[1].size >> 20),
                     0);
    return sum;
}

/* What the host does not edit: nothing is written, and why is said. */
static void
refused(const char *img, const char *needle)
{
    struct diskread_identity res;
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *why = NULL, *before = volumes_sum(img), *after = NULL;
    int r = diskread_new_identity(img, "app.img", "raw", UNIT_EPOCH, NULL, &res, &why, &err);
    if (r != 0)
        fail_msg("not refused: %d %s", r, r < 0 ? err.diags[0].msg : "");
    if (!strstr(why, needle))
        fail_msg("'%s' does not say '%s'", why, needle);
    after = volumes_sum(img);
    assert_string_equal(before, after);
}

static void
test_refusals(void **state)
{
    (void)state;
    need_disks();
    uint64_t root = offset_of("/");
    /* a journal to replay */
    copy_file("os.img", "dirty.img");
    assert_int_equal(sh(NULL, "debugfs -w -R 'feature needs_recovery' 'dirty.img?offset=%" PRIu64
                              "' >/dev/null 2>&1",
                        root),
                     0);
    refused("dirty.img", "journal needs replaying");
    struct inspect_guest *g = read_guest("dirty.img", "app.img", "raw");
    assert_true(g->oses[0].incomplete); /* for the appliance, which replays it */
    assert_non_null(strstr(g->oses[0].notes[0], "/dev/vg_os/root (/) has a journal to replay"));
    inspect_guest_free(g);
    assert_int_equal(unlink("dirty.img"), 0);

    /* an xfs root: inspect finds no OS, says one may hide there */
    copy_file("os.img", "xfs.img");
    unsigned char sb[4096] = {'X', 'F', 'S', 'B'};
    put_be32(sb + 4, 4096);
    sb[15] = 8;   /* data blocks */
    sb[87] = 8;   /* AG blocks */
    sb[91] = 1;   /* AG count */
    int fd = open("xfs.img", O_WRONLY);
    assert_int_equal(pwrite(fd, sb, sizeof(sb), (off_t)root), (ssize_t)sizeof(sb));
    close(fd);
    refused("xfs.img", "(xfs)");
    g = read_guest("xfs.img", "app.img", "raw");
    assert_string_equal(fs_of(g, "/dev/vg_os/root")->type, "xfs");
    assert_int_equal(g->n_oses, 0);
    assert_true(diskread_may_hide_os(g));
    inspect_guest_free(g);
    assert_int_equal(unlink("xfs.img"), 0);

    /* an MBR disk is not read on the host at all */
    int out = open("mbr.img", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(ftruncate(out, 8 << 20), 0);
    close(out);
    assert_int_equal(sh(NULL, "echo 'start=2048, type=83' | sfdisk -q --label dos mbr.img "
                              ">/dev/null 2>&1"),
                     0);
    struct inspect_drive d = {"mbr.img", "raw", "mbr.img", 8 << 20};
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *why = NULL;
    g = NULL;
    assert_int_equal(diskread_guest(&d, 1, NULL, &g, &why, &err), 0);
    assert_null(g);
    assert_non_null(strstr(why, "MBR partition table"));
    assert_int_equal(unlink("mbr.img"), 0);
}

/* The private folders qemu-nbd's sockets live in, under TMPDIR. */
static size_t
socket_dirs(void)
{
    size_t n = 0;
    DIR *dir = opendir(".");
    struct dirent *e;
    while (dir && (e = readdir(dir)))
        n += strncmp(e->d_name, "appliance-nbd.", 14) == 0;
    if (dir)
        closedir(dir);
    return n;
}

static void
test_nbd_lifecycle(void **state)
{
    (void)state;
    unit_need("qemu-img");
    unit_need("qemu-nbd");
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    CLEANUP_FREE char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", cwd, 1);
    assert_int_equal(sh(NULL, "qemu-img create -q -f qcow2 small.qcow2 3M"), 0);
    struct ab_error err = AB_ERROR_INIT;
    struct disk_image *im = disk_image_open("small.qcow2", "qcow2", 0, NULL, &err);
    if (!im)
        fail_msg("%s", err.diags[0].msg);
    assert_int_equal(disk_image_reader(im)->size, 3 << 20);
    assert_string_equal(disk_image_how(im), "served by qemu-nbd");
    assert_int_equal(socket_dirs(), 1);
    unsigned char b[700];
    assert_int_equal(reader_inside(disk_image_reader(im), 12345, b, sizeof(b), &err), 1);
    assert_int_equal(reader_inside(disk_image_reader(im), (3 << 20) - 10, b, 11, &err), 0);
    assert_int_equal(disk_image_close(im, &err), 0);
    assert_int_equal(socket_dirs(), 0);
    /* no qemu-nbd of ours is left (it was spawn's child: reaped) */
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);

    /* a format the bytes are not: qemu-nbd's own words, nothing left */
    unit_write_file("not.qcow2", "plain text\n");
    assert_null(disk_image_open("not.qcow2", "qcow2", 0, NULL, &err));
    if (!strstr(err.diags[0].msg, "qemu-nbd cannot serve 'not.qcow2'"))
        fail_msg("%s", err.diags[0].msg);
    ab_error_release(&err);
    assert_int_equal(socket_dirs(), 0);
    /* only raw is written in place */
    assert_null(disk_image_open("small.qcow2", "qcow2", DISK_IMAGE_WRITE, NULL, &err));
    assert_non_null(strstr(err.diags[0].msg, "only a raw image is written in place"));
    ab_error_release(&err);
    if (old)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    assert_int_equal(unlink("small.qcow2"), 0);
    assert_int_equal(unlink("not.qcow2"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw),       cmocka_unit_test(test_qcow2),
        cmocka_unit_test(test_new_identity), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_nbd_lifecycle),
    };
    return cmocka_run_group_tests(tests, make_disks, remove_disks);
}
