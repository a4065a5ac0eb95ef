/* test_hostfs.c: partition tables and filesystems written on the host,
 * read back with the tools that own the formats: sfdisk, e2fsprogs,
 * blkid and mtools. */
#include "unit.h"

#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/fsids.h"
#include "appliance/fsutil.h"
#include "appliance/hostfs.h"

#define UNIT_EPOCH 1700000000 /* 2023-11-14 22:13:20 UTC */

/* A recipe for the given firmware and OS disk, and small everything else. */
static char *
recipe(const char *firmware, const char *os_size, const char *boot)
{
    char *text = NULL;
    int r = asprintf(&text,
                     "recipe: 1\n"
                     "name: hostfs\n"
                     "version: \"1\"\n"
                     "os: { distro: debian-12 }\n"
                     "hardware: { firmware: %s }\n"
                     "disks:\n"
                     "  os:\n"
                     "    size: %s\n"
                     "    boot: %s\n"
                     "    volumes:\n"
                     "      - { name: root, mount: /, size: 16MiB }\n"
                     "      - { name: swap, size: 4MiB, fs: swap }\n"
                     "  app:\n"
                     "    size: 64MiB\n"
                     "    volumes:\n"
                     "      - { name: data, mount: /srv/data, size: rest }\n",
                     firmware, os_size, boot);
    assert_true(r > 0);
    return text;
}

static const struct plan *
plan_for(const char *firmware, const char *os_size, const char *boot)
{
    CLEANUP_FREE char *text = recipe(firmware, os_size, boot);
    return unit_plan(text);
}

static const struct plan_mount *
mount_of(const struct plan *plan, const char *path)
{
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (strcmp(plan->mounts[i].path, path) == 0)
            return &plan->mounts[i];
    fail_msg("no mount '%s'", path);
    return NULL;
}

/* Runs a shell command; returns its exit status and its stdout in *out
 * (to be freed; may be NULL). */
static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
run(char **out, const char *fmt, ...)
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
need(const char *const *tools)
{
    for (; *tools; tools++)
        unit_need(*tools);
}

static void
fill(const char *img, uint64_t offset, size_t len, unsigned char byte)
{
    unsigned char buf[4096];
    assert_true(len <= sizeof(buf));
    memset(buf, byte, len);
    int fd = open(img, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, (off_t)offset), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void
read_at(const char *img, uint64_t offset, void *buf, size_t len)
{
    int fd = open(img, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, len, (off_t)offset), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static void
assert_filled(const char *img, uint64_t offset, size_t len, unsigned char byte)
{
    unsigned char buf[4096];
    assert_true(len <= sizeof(buf));
    read_at(img, offset, buf, len);
    for (size_t i = 0; i < len; i++)
        if (buf[i] != byte)
            fail_msg("byte %" PRIu64 " of '%s' was overwritten", offset + i, img);
}

static void
make_disk(const struct plan *plan, enum plan_disk_id id, const char *img)
{
    struct ab_error err = AB_ERROR_INIT;
    if (hostfs_disk(plan, id, img, NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
}

/* ---- partition tables ----------------------------------------------------- */

static json_object *
get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("no '%s' in sfdisk's output", key);
    return v;
}

/* The GPT of img, read by sfdisk, is exactly the plan's for disk id;
 * a fresh image holds nothing else. */
static void
check_gpt(const struct plan *plan, enum plan_disk_id id, const char *img, bool fresh)
{
    const struct plan_disk *d = &plan->disks[id];
    CLEANUP_FREE char *text = NULL;
    assert_int_equal(run(&text, "sfdisk --json %s", img), 0);
    json_object *root = json_tokener_parse(text);
    assert_non_null(root);
    json_object *pt = get(root, "partitiontable");
    char guid[FSID_UUID_BUF];
    assert_string_equal(json_object_get_string(get(pt, "label")), "gpt");
    /* Every GUID is the plan's, none drawn at random. */
    fsid_gpt_guid(plan, id, NULL, guid);
    assert_string_equal(json_object_get_string(get(pt, "id")), guid);
    assert_int_equal(json_object_get_int64(get(pt, "firstlba")), PLAN_ALIGN / SECTOR);
    /* The backup GPT fits behind the last partition. */
    uint64_t last = (uint64_t)json_object_get_int64(get(pt, "lastlba"));
    json_object *parts = get(pt, "partitions");
    assert_int_equal(json_object_array_length(parts), d->n_parts);
    for (size_t i = 0; i < d->n_parts; i++) {
        const struct plan_partition *p = &d->parts[i];
        json_object *jp = json_object_array_get_idx(parts, i);
        assert_int_equal(json_object_get_int64(get(jp, "start")), p->start / SECTOR);
        assert_int_equal(json_object_get_int64(get(jp, "size")), p->size / SECTOR);
        const char *type = json_object_get_string(get(jp, "type"));
        if (strcasecmp(type, part_role_type_guid(p->role)) != 0)
            fail_msg("partition %u of '%s' has type %s, not %s", p->number, img, type,
                     part_role_type_guid(p->role));
        fsid_gpt_guid(plan, id, p, guid);
        assert_string_equal(json_object_get_string(get(jp, "uuid")), guid);
        char node[64];
        snprintf(node, sizeof(node), "%s%u", img, p->number);
        assert_string_equal(json_object_get_string(get(jp, "node")), node);
        assert_true((p->start + p->size) / SECTOR - 1 <= last);
    }
    json_object_put(root);
    assert_int_equal(run(NULL, "sfdisk --verify --quiet %s >/dev/null 2>&1", img), 0);

    /* The size of the disk, and sparse: only the tables are written. */
    struct stat st;
    assert_int_equal(stat(img, &st), 0);
    assert_int_equal(st.st_size, d->size);
    if (fresh)
        assert_true((uint64_t)st.st_blocks * 512 <= (UINT64_C(1) << 20));
}

static void
check_gpt_of(const char *firmware, size_t want_os_parts)
{
    static const char *const tools[] = {"sfdisk", NULL};
    need(tools);
    const struct plan *plan = plan_for(firmware, "8GiB", "1GiB");
    assert_int_equal(plan->disks[PLAN_DISK_OS].n_parts, want_os_parts);
    make_disk(plan, PLAN_DISK_OS, "os.img");
    make_disk(plan, PLAN_DISK_APP, "app.img");
    check_gpt(plan, PLAN_DISK_OS, "os.img", true);
    check_gpt(plan, PLAN_DISK_APP, "app.img", true);

    /* Made again over an older, larger image: the same result. */
    assert_int_equal(truncate("app.img", 1 << 30), 0);
    fill("app.img", 1 << 29, 16, 0xa5);
    make_disk(plan, PLAN_DISK_APP, "app.img");
    check_gpt(plan, PLAN_DISK_APP, "app.img", true);
    assert_int_equal(unlink("os.img"), 0);
    assert_int_equal(unlink("app.img"), 0);
    plan_free(plan);
}

static void
test_gpt_both(void **state)
{
    (void)state;
    check_gpt_of("bios+uefi", 4);
}

static void
test_gpt_bios(void **state)
{
    (void)state;
    check_gpt_of("bios", 3);
}

static void
test_gpt_uefi(void **state)
{
    (void)state;
    check_gpt_of("uefi", 3);
}

static void
test_disk_error(void **state)
{
    (void)state;
    const struct plan *plan = plan_for("bios", "100MiB", "64MiB");
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(hostfs_disk(plan, PLAN_DISK_OS, "no-such-dir/os.img", NULL, &err), -1);
    assert_string_equal(err.diags[0].msg,
                        "cannot create disk 'no-such-dir/os.img': No such file or directory");
    ab_error_release(&err);
    plan_free(plan);
}

/* ---- ext4 ---------------------------------------------------------------- */

/* The value after "key:" on its own line of text, copied into out. */
static void
field(const char *text, const char *key, char *out, size_t size)
{
    const char *at = text;
    size_t kl = strlen(key);
    while ((at = strstr(at, key))) {
        if ((at == text || at[-1] == '\n') && at[kl] == ':')
            break;
        at += kl;
    }
    if (!at)
        fail_msg("no '%s' in:\n%s", key, text);
    at += kl + 1;
    at += strspn(at, " \t");
    size_t n = strcspn(at, "\n");
    snprintf(out, size, "%.*s", (int)n, at);
}

/* debugfs's "stat" of path in the ext4 at img@offset. */
static char *
debugfs_stat(const char *img, uint64_t offset, const char *path)
{
    char *text = NULL;
    assert_int_equal(
        run(&text, "debugfs -R 'stat %s' '%s?offset=%" PRIu64 "' 2>/dev/null", path, img, offset),
        0);
    if (!strstr(text, "Inode:"))
        fail_msg("debugfs cannot stat '%s':\n%s", path, text);
    return text;
}

/* "Inode: 12   Type: regular    Mode:  4755   Flags: 0x80000" and friends. */
static void
assert_inode(const char *st, const char *type, const char *mode, unsigned uid, unsigned gid,
             unsigned links)
{
    char want[128];
    snprintf(want, sizeof(want), "Type: %s", type);
    if (!strstr(st, want))
        fail_msg("not '%s':\n%s", want, st);
    snprintf(want, sizeof(want), "Mode:  %s ", mode);
    if (!strstr(st, want))
        fail_msg("not '%s':\n%s", want, st);
    snprintf(want, sizeof(want), "User: %5u   Group: %5u ", uid, gid);
    if (!strstr(st, want))
        fail_msg("not '%s':\n%s", want, st);
    snprintf(want, sizeof(want), "Links: %u ", links);
    if (!strstr(st, want))
        fail_msg("not '%s':\n%s", want, st);
}

static unsigned
inode_number(const char *st)
{
    unsigned ino = 0;
    assert_int_equal(sscanf(st, "Inode: %u", &ino), 1);
    return ino;
}

/* The folder an ext4 is filled from. */
static void
make_source(const char *dir)
{
    char p[PATH_MAX];
    assert_int_equal(rm_rf(dir, dir), 0);
    assert_int_equal(mkdir_p(dir, 0755), 0);
#define P(rel) (snprintf(p, sizeof(p), "%s/%s", dir, rel), p)
    assert_int_equal(mkdir(P("etc"), 0755), 0);
    unit_write_file(P("etc/hostname"), "hostfs\n");
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(lchown(p, 1234, 5678), 0);
    assert_int_equal(setxattr(p, "user.test", "the value", 9, 0), 0);
    char first[PATH_MAX];
    snprintf(first, sizeof(first), "%s", p);
    assert_int_equal(link(first, P("etc/hostname-again")), 0);
    assert_int_equal(symlink("/etc/hostname", P("etc/link")), 0);
    unit_write_file(P("su"), "#!/bin/sh\n");
    assert_int_equal(chmod(p, 04755), 0);
    assert_int_equal(mkdir(P("private"), 0700), 0);
    assert_int_equal(lchown(p, 1000, 1000), 0);
#undef P
}

/* Makes mount path's ext4 in img from dir and checks it with e2fsprogs;
 * sentinels around the extent must survive. */
static void
check_ext4(const struct plan *plan, const char *path, const char *img, const char *label, int full)
{
    struct ab_error err = AB_ERROR_INIT;
    const struct plan_mount *m = mount_of(plan, path);
    uint64_t offset, size;
    hostfs_extent(plan, m, &offset, &size);
    assert_int_equal(offset % PLAN_ALIGN, 0);
    uint64_t disk = plan->disks[m->disk].size;
    unsigned char gpt[34 * SECTOR], gpt_after[34 * SECTOR];
    read_at(img, 0, gpt, sizeof(gpt));
    fill(img, offset - 4096, 4096, 0xa5);
    if (offset + size + 4096 <= disk)
        fill(img, offset + size, 4096, 0x5a);

    if (hostfs_make(plan, m, img, "src", NULL, UNIT_EPOCH, NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    assert_false(ab_error_is_set(&err));

    assert_filled(img, offset - 4096, 4096, 0xa5);
    if (offset + size + 4096 <= disk)
        assert_filled(img, offset + size, 4096, 0x5a);
    read_at(img, 0, gpt_after, sizeof(gpt_after));
    assert_memory_equal(gpt, gpt_after, sizeof(gpt));

    /* Clean, and as the plan says: UUID, label, size. */
    CLEANUP_FREE char *fsck = NULL, *sb = NULL;
    int rc = run(&fsck, "e2fsck -fn '%s?offset=%" PRIu64 "' 2>&1", img, offset);
    if (rc != 0)
        fail_msg("e2fsck exit %d:\n%s", rc, fsck);
    assert_int_equal(run(&sb, "dumpe2fs -h '%s?offset=%" PRIu64 "' 2>/dev/null", img, offset), 0);
    char uuid[FSID_UUID_BUF], got[256], blocks[64], bsize[64];
    fsid_of_mount(plan, m, uuid);
    field(sb, "Filesystem UUID", got, sizeof(got));
    assert_string_equal(got, uuid);
    field(sb, "Filesystem volume name", got, sizeof(got));
    assert_string_equal(got, label);
    field(sb, "Block count", blocks, sizeof(blocks));
    field(sb, "Block size", bsize, sizeof(bsize));
    assert_int_equal(strtoull(blocks, NULL, 10) * strtoull(bsize, NULL, 10), size);
    field(sb, "Filesystem features", got, sizeof(got));
    assert_null(strstr(got, "orphan_file"));
    /* Nothing drawn at random, no time but the epoch. */
    char seed[FSID_UUID_BUF];
    fsid_ext4_hash_seed(plan, m, seed);
    field(sb, "Directory Hash Seed", got, sizeof(got));
    assert_string_equal(got, seed);
    assert_string_not_equal(seed, uuid);
    CLEANUP_FREE char *times = NULL;
    assert_int_equal(
        run(&times, "TZ=UTC dumpe2fs -h '%s?offset=%" PRIu64 "' 2>/dev/null", img, offset), 0);
    field(times, "Filesystem created", got, sizeof(got));
    assert_string_equal(got, "Tue Nov 14 22:13:20 2023");
    field(times, "Last write time", got, sizeof(got));
    assert_string_equal(got, "Tue Nov 14 22:13:20 2023");
    CLEANUP_FREE char *root = debugfs_stat(img, offset, "/");
    CLEANUP_FREE char *lost = debugfs_stat(img, offset, "/lost+found");
    static const char *const stamps[] = {"ctime: 0x6553f100:", "crtime: 0x6553f100:", NULL};
    for (const char *const *t = stamps; *t; t++)
        if (!strstr(root, *t) || !strstr(lost, *t))
            fail_msg("not '%s' in:\n%s\n%s", *t, root, lost);
    if (!full)
        return;

    /* The entries, with owner, mode, links and extended attributes. */
    CLEANUP_FREE char *host = debugfs_stat(img, offset, "/etc/hostname");
    CLEANUP_FREE char *again = debugfs_stat(img, offset, "/etc/hostname-again");
    CLEANUP_FREE char *link = debugfs_stat(img, offset, "/etc/link");
    CLEANUP_FREE char *su = debugfs_stat(img, offset, "/su");
    CLEANUP_FREE char *priv = debugfs_stat(img, offset, "/private");
    assert_inode(host, "regular", "0640", 1234, 5678, 2);
    assert_int_equal(inode_number(host), inode_number(again));
    if (!strstr(host, "user.test (9) = \"the value\""))
        fail_msg("no user.test xattr:\n%s", host);
    assert_inode(link, "symlink", "0777", 0, 0, 1);
    if (!strstr(link, "Fast link dest: \"/etc/hostname\""))
        fail_msg("not the link's target:\n%s", link);
    assert_inode(su, "regular", "04755", 0, 0, 1);
    /* Every inode's ctime is the epoch, whenever its file was written. */
    for (const char *const *t = stamps; *t; t++)
        if (!strstr(host, *t) || !strstr(su, *t) || !strstr(link, *t) || !strstr(priv, *t))
            fail_msg("not '%s' in every inode:\n%s", *t, host);
    assert_inode(priv, "directory", "0700", 1000, 1000, 2);
    CLEANUP_FREE char *cat = NULL;
    assert_int_equal(run(&cat, "debugfs -R 'cat /etc/hostname' '%s?offset=%" PRIu64 "' 2>/dev/null",
                         img, offset),
                     0);
    assert_string_equal(cat, "hostfs\n");
}

static void
test_ext4(void **state)
{
    (void)state;
    static const char *const tools[] = {"sfdisk", "mke2fs", "e2fsck", "dumpe2fs", "debugfs", NULL};
    need(tools);
    if (geteuid() != 0) {
        unit_skip("owners need root");
    }
    const struct plan *plan = plan_for("bios", "100MiB", "64MiB");
    make_disk(plan, PLAN_DISK_OS, "os.img");
    make_source("src");
    /* An LV (inside the LVM partition) and a partition. */
    check_ext4(plan, "/", "os.img", "root", 1);
    check_ext4(plan, "/boot", "os.img", "boot", 1);
    /* The application disk's LV, last on its disk. */
    make_disk(plan, PLAN_DISK_APP, "app.img");
    check_ext4(plan, "/srv/data", "app.img", "data", 0);
    check_gpt(plan, PLAN_DISK_OS, "os.img", false);
    check_gpt(plan, PLAN_DISK_APP, "app.img", false);
    assert_int_equal(rm_rf("src", "src"), 0);
    assert_int_equal(unlink("os.img"), 0);
    assert_int_equal(unlink("app.img"), 0);
    plan_free(plan);
}

static void
test_ext4_error(void **state)
{
    (void)state;
    static const char *const tools[] = {"mke2fs", NULL};
    need(tools);
    const struct plan *plan = plan_for("bios", "100MiB", "64MiB");
    struct ab_error err = AB_ERROR_INIT;
    unit_write_file("short.img", "");
    assert_int_equal(hostfs_make(plan, mount_of(plan, "/"), "short.img", "no-such-source", NULL,
                                 UNIT_EPOCH, NULL, &err),
                     -1);
    const char *msg = err.diags[0].msg;
    static const char want[] =
        "while making the ext4 filesystem of '/': cannot read 'no-such-source': ";
    if (strncmp(msg, want, sizeof(want) - 1) != 0)
        fail_msg("unexpected message: %s", msg);
    ab_error_release(&err);
    assert_int_equal(unlink("short.img"), 0);
    plan_free(plan);
}

/* ---- swap ---------------------------------------------------------------- */

static void
uuid_bytes(const char *text, unsigned char out[16])
{
    for (int i = 0, j = 0; i < 16; j++) {
        if (text[j] == '-')
            continue;
        unsigned v;
        assert_int_equal(sscanf(text + j, "%2x", &v), 1);
        out[i++] = (unsigned char)v;
        j++;
    }
}

static uint32_t
le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
test_swap(void **state)
{
    (void)state;
    static const char *const tools[] = {"sfdisk", "mkswap", NULL};
    need(tools);
    const struct plan *plan = plan_for("bios", "100MiB", "64MiB");
    const struct plan_disk *d = &plan->disks[PLAN_DISK_OS];
    const struct plan_lv *lv = &d->vg.lvs[1];
    struct ab_error err = AB_ERROR_INIT;
    assert_string_equal(lv->name, "swap");
    assert_int_equal(lv->fs, FS_SWAP);
    make_disk(plan, PLAN_DISK_OS, "os.img");
    uint64_t offset = plan_lv_offset(d, lv);
    fill("os.img", offset - 4096, 4096, 0xa5);
    fill("os.img", offset + lv->size, 4096, 0x5a);
    assert_int_equal(mkdir_p("scratch", 0700), 0);

    if (hostfs_swap(plan, PLAN_DISK_OS, lv, "os.img", "scratch", NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);

    unsigned char page[4096], want[16];
    read_at("os.img", offset, page, sizeof(page));
    assert_memory_equal(page + 4086, "SWAPSPACE2", 10);
    assert_int_equal(le32(page + 1024), 1);                   /* version */
    assert_int_equal(le32(page + 1028), lv->size / 4096 - 1); /* last page */
    char uuid[FSID_UUID_BUF];
    fsid_uuid(plan, PLAN_DISK_OS, NULL, lv, uuid);
    uuid_bytes(uuid, want);
    assert_memory_equal(page + 1036, want, 16);
    assert_string_equal((const char *)page + 1052, "swap");
    assert_filled("os.img", offset - 4096, 4096, 0xa5);
    assert_filled("os.img", offset + lv->size, 4096, 0x5a);
    check_gpt(plan, PLAN_DISK_OS, "os.img", false);
    /* Its scratch copy is gone. */
    struct stat st;
    assert_int_equal(stat("scratch/swap-swap", &st), -1);

    /* blkid agrees. */
    CLEANUP_FREE char *probe = NULL;
    unit_need("blkid");
    assert_int_equal(run(&probe, "blkid -p -O %" PRIu64 " -o export os.img", offset), 0);
    char line[128];
    snprintf(line, sizeof(line), "UUID=%s\n", uuid);
    assert_non_null(strstr(probe, line));
    assert_non_null(strstr(probe, "TYPE=swap\n"));
    assert_non_null(strstr(probe, "LABEL=swap\n"));
    assert_int_equal(rm_rf("scratch", "scratch"), 0);
    assert_int_equal(unlink("os.img"), 0);
    plan_free(plan);
}

/* ---- the EFI system partition --------------------------------------------- */

static void
check_esp(const char *tree_kind)
{
    static const char *const tools[] = {"sfdisk", "mkfs.vfat", "mcopy", "mmd",
                                        "mdir",   "mtype",     NULL};
    need(tools);
    const struct plan *plan = plan_for("uefi", "400MiB", "64MiB");
    const struct plan_mount *m = mount_of(plan, "/boot/efi");
    struct ab_error err = AB_ERROR_INIT;
    uint64_t offset, size;
    hostfs_extent(plan, m, &offset, &size);
    assert_int_equal(offset, m->partition->start);
    make_disk(plan, PLAN_DISK_OS, "os.img");
    fill("os.img", offset - 4096, 4096, 0xa5);
    fill("os.img", offset + size, 4096, 0x5a);

    assert_int_equal(rm_rf("esp", "esp"), 0);
    assert_int_equal(mkdir_p("esp", 0755), 0);
    unit_write_file("esp/readme.txt", "top\n");
    if (strcmp(tree_kind, "vendor") == 0) {
        assert_int_equal(mkdir_p("esp/EFI/debian", 0755), 0);
        unit_write_file("esp/EFI/debian/grub.cfg", "vendor\n");
    } else if (strcmp(tree_kind, "lowercase") == 0) {
        assert_int_equal(mkdir_p("esp/efi/boot", 0755), 0);
        unit_write_file("esp/efi/boot/fallback.csv", "csv\n");
    }
    assert_int_equal(rm_rf("efi-boot", "efi-boot"), 0);
    assert_int_equal(mkdir_p("efi-boot", 0755), 0);
    unit_write_file("efi-boot/BOOTX64.EFI", "MZ not really an EFI program\n");
    unit_write_file("efi-boot/grubx64.efi", "MZ nor this one\n");

    if (hostfs_make(plan, m, "os.img", "esp", "efi-boot", UNIT_EPOCH, NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    assert_filled("os.img", offset - 4096, 4096, 0xa5);
    assert_filled("os.img", offset + size, 4096, 0x5a);
    check_gpt(plan, PLAN_DISK_OS, "os.img", false);

    CLEANUP_FREE char *dir = NULL, *top = NULL, *efi = NULL, *readme = NULL;
    assert_int_equal(run(&dir, "mdir -i os.img@@%" PRIu64 " ::/EFI/BOOT 2>&1", offset), 0);
    if (!strstr(dir, "BOOTX64  EFI"))
        fail_msg("no BOOTX64.EFI:\n%s", dir);
    char serial[FSID_UUID_BUF], line[80];
    fsid_of_mount(plan, m, serial);
    snprintf(line, sizeof(line), "Volume Serial Number is %s\n", serial);
    if (!strstr(dir, line))
        fail_msg("not '%s':\n%s", line, dir);
    if (!strstr(dir, "Volume in drive : is ESP"))
        fail_msg("not labelled ESP:\n%s", dir);
    assert_int_equal(run(&efi, "mtype -i os.img@@%" PRIu64 " ::/EFI/BOOT/BOOTX64.EFI", offset), 0);
    assert_string_equal(efi, "MZ not really an EFI program\n");
    /* Every file of the folder, under its own name (shim loads grubx64.efi). */
    CLEANUP_FREE char *grub = NULL;
    assert_int_equal(run(&grub, "mtype -i os.img@@%" PRIu64 " ::/EFI/BOOT/grubx64.efi", offset), 0);
    assert_string_equal(grub, "MZ nor this one\n");
    assert_int_equal(run(&readme, "mtype -i os.img@@%" PRIu64 " ::/readme.txt", offset), 0);
    assert_string_equal(readme, "top\n");
    if (strcmp(tree_kind, "vendor") == 0) {
        CLEANUP_FREE char *cfg = NULL;
        assert_int_equal(run(&cfg, "mtype -i os.img@@%" PRIu64 " ::/EFI/debian/grub.cfg", offset),
                         0);
        assert_string_equal(cfg, "vendor\n");
    } else if (strcmp(tree_kind, "lowercase") == 0) {
        CLEANUP_FREE char *csv = NULL;
        assert_int_equal(run(&csv, "mtype -i os.img@@%" PRIu64 " ::/EFI/BOOT/fallback.csv", offset),
                         0);
        assert_string_equal(csv, "csv\n");
    }
    /* FAT32, as firmware expects of an ESP of this size. */
    CLEANUP_FREE char *info = NULL;
    assert_int_equal(run(&info, "minfo -i os.img@@%" PRIu64 " :: 2>&1", offset), 0);
    if (!strstr(info, "FAT32"))
        fail_msg("not FAT32:\n%s", info);

    assert_int_equal(rm_rf("esp", "esp"), 0);
    assert_int_equal(rm_rf("efi-boot", "efi-boot"), 0);
    assert_int_equal(unlink("os.img"), 0);
    plan_free(plan);
}

static void
test_esp(void **state)
{
    (void)state;
    check_esp("plain");
}

/* The tree may bring EFI/ itself (a vendor's folder, or EFI/BOOT). */
static void
test_esp_tree_has_efi(void **state)
{
    (void)state;
    check_esp("vendor");
}

static void
test_esp_tree_has_efi_boot_lowercase(void **state)
{
    (void)state;
    check_esp("lowercase");
}

/* The ESP of a tree whose folders list their entries in one order, and
 * of the same tree made in the other order a second later (readdir order
 * on the host is creation order on tmpfs): the same bytes. */
static void
make_esp_of(const struct plan *plan, const char *img, bool reverse)
{
    static const char *const names[] = {
        "a.txt", "b.txt", "c.txt", "EFI/debian/z.cfg", "EFI/debian/grub.cfg", "EFI/debian/m.efi"};
    const size_t n = sizeof(names) / sizeof(names[0]);
    struct ab_error err = AB_ERROR_INIT;
    const struct plan_mount *m = mount_of(plan, "/boot/efi");
    assert_int_equal(rm_rf("esp", "esp"), 0);
    assert_int_equal(mkdir_p("esp/EFI/debian", 0755), 0);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof(path), "esp/%s", names[reverse ? n - 1 - i : i]);
        unit_write_file(path, path);
    }
    make_disk(plan, PLAN_DISK_OS, img);
    if (hostfs_make(plan, m, img, "esp", "efi-boot", UNIT_EPOCH, NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
}

static void
test_esp_reproducible(void **state)
{
    (void)state;
    static const char *const tools[] = {"sfdisk", "mkfs.vfat", "mcopy", "mmd", "mdir", NULL};
    need(tools);
    const struct plan *plan = plan_for("uefi", "400MiB", "64MiB");
    assert_int_equal(mkdir_p("efi-boot", 0755), 0);
    unit_write_file("efi-boot/BOOTX64.EFI", "MZ not really an EFI program\n");
    unit_write_file("efi-boot/grubx64.efi", "MZ nor this one\n");
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
    make_esp_of(plan, "one.img", false);
    sleep(1);
    make_esp_of(plan, "two.img", true);
    unsetenv("SOURCE_DATE_EPOCH");
    assert_int_equal(run(NULL, "cmp -s one.img two.img"), 0);
    /* Every entry's time is the epoch (2023-11-14 22:13 UTC). */
    CLEANUP_FREE char *dir = NULL;
    const struct plan_mount *m = mount_of(plan, "/boot/efi");
    assert_int_equal(
        run(&dir, "mdir -i one.img@@%" PRIu64 " ::/EFI/debian 2>&1", m->partition->start), 0);
    if (!strstr(dir, "2023-11-14  22:13") && !strstr(dir, "2023-11-14  10:13"))
        fail_msg("not the epoch's time:\n%s", dir);
    assert_int_equal(rm_rf("esp", "esp"), 0);
    assert_int_equal(unlink("one.img"), 0);
    assert_int_equal(unlink("two.img"), 0);
    assert_int_equal(rm_rf("efi-boot", "efi-boot"), 0);
    plan_free(plan);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpt_both),
        cmocka_unit_test(test_gpt_bios),
        cmocka_unit_test(test_gpt_uefi),
        cmocka_unit_test(test_disk_error),
        cmocka_unit_test(test_ext4),
        cmocka_unit_test(test_ext4_error),
        cmocka_unit_test(test_swap),
        cmocka_unit_test(test_esp),
        cmocka_unit_test(test_esp_tree_has_efi),
        cmocka_unit_test(test_esp_tree_has_efi_boot_lowercase),
        cmocka_unit_test(test_esp_reproducible),
    };
    /* As the builder does: mtools would refuse an image whose geometry
     * does not match the size mkfs.vfat was given. */
    setenv("MTOOLS_SKIP_CHECK", "1", 1);
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
