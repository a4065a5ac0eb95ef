/* test_tree.c: safe extraction of root trees, the kernel version, and
 * the split into one folder per filesystem. */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/tree.h"

#define MTIME 1000000000

/* One tar member, as libarchive's writer is given it. */
struct member {
    const char *name;
    char type;        /* 'd', 'f', 'l' (symlink), 'h' (hard link), 'c' (/dev/null's numbers) */
    int mode;         /* permission bits */
    const char *data; /* file contents; for 'l' and 'h' the target */
    int uid, gid;
    const char *xattr; /* value of user.test, or NULL */
};

static void
write_tar(const char *path, const struct member *m, size_t n)
{
    struct archive *a = archive_write_new();
    assert_non_null(a);
    assert_int_equal(archive_write_set_format_pax(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        const char *data = NULL;
        archive_entry_set_pathname(e, m[i].name);
        archive_entry_set_uid(e, m[i].uid);
        archive_entry_set_gid(e, m[i].gid);
        archive_entry_set_mtime(e, MTIME, 0);
        switch (m[i].type) {
        case 'd':
            archive_entry_set_filetype(e, AE_IFDIR);
            break;
        case 'f':
            archive_entry_set_filetype(e, AE_IFREG);
            data = m[i].data;
            break;
        case 'l':
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, m[i].data);
            break;
        case 'h':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_hardlink(e, m[i].data);
            break;
        case 'c':
            archive_entry_set_filetype(e, AE_IFCHR);
            archive_entry_set_rdevmajor(e, 1);
            archive_entry_set_rdevminor(e, 3);
            break;
        default:
            fail();
        }
        archive_entry_set_perm(e, (mode_t)m[i].mode);
        archive_entry_set_size(e, data ? (la_int64_t)strlen(data) : 0);
        if (m[i].xattr)
            archive_entry_xattr_add_entry(e, "user.test", m[i].xattr, strlen(m[i].xattr));
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (data)
            assert_int_equal(archive_write_data(a, data, strlen(data)), (la_ssize_t)strlen(data));
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

static void
fresh_dir(const char *path)
{
    assert_int_equal(rm_rf(path, path), 0);
    assert_int_equal(mkdir_p(path, 0755), 0);
}

static int
exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void
assert_file_text(const char *path, const char *want)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open '%s'", path);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, want);
}

static void
assert_stat(const char *path, mode_t type, int mode, int uid, int gid)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        fail_msg("'%s' is missing", path);
    assert_int_equal(st.st_mode & S_IFMT, type);
    /* Without root, owners are the caller's and set-id bits follow them. */
    int bits = geteuid() == 0 ? 07777 : 0777;
    if (type != S_IFLNK)
        assert_int_equal(st.st_mode & bits, mode & bits);
    if (geteuid() == 0) {
        assert_int_equal(st.st_uid, uid);
        assert_int_equal(st.st_gid, gid);
    } else {
        unit_skip_part("owners and set-id bits of extracted files: checked only as root");
    }
}

/* ---- a well-formed tree lands intact ---------------------------------- */

static const struct member good[] = {
    {"./", 'd', 0755, NULL, 0, 0, NULL},
    {"etc/", 'd', 0755, NULL, 0, 0, NULL},
    {"etc/hostname", 'f', 0644, "box\n", 0, 0, NULL},
    {"etc/shadow", 'f', 0640, "root:*:1::::::\n", 0, 42, NULL},
    {"etc/labelled", 'f', 0600, "x", 0, 0, "the value"},
    {"etc/localtime", 'l', 0777, "/usr/share/zoneinfo/Etc/UTC", 0, 0, NULL},
    {"etc/mtab", 'l', 0777, "../proc/self/mounts", 0, 0, NULL},
    {"usr/", 'd', 0755, NULL, 0, 0, NULL},
    {"usr/bin/", 'd', 0755, NULL, 0, 0, NULL},
    {"usr/bin/su", 'f', 04755, "#!/bin/sh\n", 0, 0, NULL},
    {"usr/bin/tool", 'f', 0755, "tool\n", 0, 0, NULL},
    {"usr/bin/tool-again", 'h', 0755, "usr/bin/tool", 0, 0, NULL},
    {"bin", 'l', 0777, "usr/bin", 0, 0, NULL},
    {"home/", 'd', 0755, NULL, 0, 0, NULL},
    {"home/user/", 'd', 0700, NULL, 1000, 1000, NULL},
    {"home/user/notes", 'f', 0600, "mine\n", 1000, 1000, NULL},
    {"tmp/", 'd', 01777, NULL, 0, 0, NULL},
    {"var/mail/", 'd', 02775, NULL, 0, 8, NULL},
};

static void
check_good_tree(const char *r)
{
    char p[PATH_MAX + 64];
#define P(rel) (snprintf(p, sizeof(p), "%s/%s", r, rel), p)
    assert_stat(P("etc"), S_IFDIR, 0755, 0, 0);
    assert_stat(P("etc/hostname"), S_IFREG, 0644, 0, 0);
    assert_file_text(P("etc/hostname"), "box\n");
    assert_stat(P("etc/shadow"), S_IFREG, 0640, 0, 42);
    assert_stat(P("usr/bin/su"), S_IFREG, 04755, 0, 0);
    assert_stat(P("home/user"), S_IFDIR, 0700, 1000, 1000);
    assert_stat(P("home/user/notes"), S_IFREG, 0600, 1000, 1000);
    assert_stat(P("tmp"), S_IFDIR, 01777, 0, 0);
    assert_stat(P("var/mail"), S_IFDIR, 02775, 0, 8);

    /* Symbolic links are kept as they are, absolute ones included. */
    char target[PATH_MAX];
    ssize_t n = readlink(P("etc/localtime"), target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "/usr/share/zoneinfo/Etc/UTC");
    n = readlink(P("etc/mtab"), target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "../proc/self/mounts");
    n = readlink(P("bin"), target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_string_equal(target, "usr/bin");

    /* A hard link is one inode with two names. */
    struct stat a, b;
    assert_int_equal(lstat(P("usr/bin/tool"), &a), 0);
    assert_int_equal(lstat(P("usr/bin/tool-again"), &b), 0);
    assert_int_equal(a.st_ino, b.st_ino);
    assert_int_equal(a.st_nlink, 2);
    assert_file_text(p, "tool\n");

    /* Times and extended attributes. */
    assert_int_equal(lstat(P("etc/hostname"), &a), 0);
    assert_int_equal(a.st_mtime, MTIME);
    assert_int_equal(lstat(P("home/user"), &a), 0);
    assert_int_equal(a.st_mtime, MTIME);
    char value[64];
    ssize_t vn = lgetxattr(P("etc/labelled"), "user.test", value, sizeof(value));
    assert_int_equal(vn, 9);
    assert_memory_equal(value, "the value", 9);
#undef P
}

static void
test_extract_intact(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    write_tar("good.tar", good, sizeof(good) / sizeof(good[0]));
    fresh_dir("good");
    int64_t newest = -1;
    if (tree_extract("good.tar", "good", "rootfs", &newest, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    check_good_tree("good");
    /* Every member has MTIME: the newest is it, whatever today is. */
    assert_int_equal(newest, MTIME);

    /* Into a folder given by an absolute path. */
    char abs[PATH_MAX + 64];
    snprintf(abs, sizeof(abs), "%s/good-abs", unit_tmpdir);
    fresh_dir(abs);
    if (tree_extract("good.tar", abs, "rootfs", NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    check_good_tree(abs);
    assert_false(ab_error_is_set(&err));
    assert_int_equal(rm_rf("good", "good"), 0);
    assert_int_equal(rm_rf(abs, abs), 0);
}

/* The folder may be reached through a symbolic link of the host's (a
 * TMPDIR or work root under a linked /home, say): only links inside the
 * tree are the archive's business. */
static void
test_extract_through_host_link(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char alias[PATH_MAX + 64];
    write_tar("good.tar", good, sizeof(good) / sizeof(good[0]));
    fresh_dir("real-work/tree");
    assert_int_equal(symlink("real-work", "alias-work"), 0);
    snprintf(alias, sizeof(alias), "%s/alias-work/tree", unit_tmpdir);
    if (tree_extract("good.tar", alias, "rootfs", NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    check_good_tree("real-work/tree");
    fresh_dir("real-work/tree");
    if (tree_extract("good.tar", "alias-work/tree", "rootfs", NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    check_good_tree("real-work/tree");
    assert_int_equal(rm_rf("real-work", "real-work"), 0);
    assert_int_equal(unlink("alias-work"), 0);
}

/* Device nodes stay out of the tree (a build without root cannot make
 * them), and the archive's headers name them, for a tree unpacked before
 * (tree_drop_devices). */
static const struct member with_devices[] = {
    {"./", 'd', 0755, NULL, 0, 0, NULL},
    {"./dev/", 'd', 0755, NULL, 0, 0, NULL},
    {"./dev/null", 'c', 0666, NULL, 0, 0, NULL},
    {"./dev/fd", 'l', 0777, "/proc/self/fd", 0, 0, NULL},
    {"./etc/", 'd', 0755, NULL, 0, 0, NULL},
    {"./etc/console", 'c', 0600, NULL, 0, 5, NULL},
    {"./etc/hostname", 'f', 0644, "tree\n", 0, 0, NULL},
};

static void
test_extract_leaves_out_devices(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct stat st;
    write_tar("dev.tar", with_devices, sizeof(with_devices) / sizeof(with_devices[0]));
    fresh_dir("dev");
    int64_t newest = 0;
    if (tree_extract("dev.tar", "dev", "rootfs", &newest, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    assert_int_equal(newest, MTIME);
    assert_int_equal(lstat("dev/dev/null", &st), -1);
    assert_int_equal(lstat("dev/etc/console", &st), -1);
    assert_int_equal(lstat("dev/dev/fd", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(lstat("dev/etc/hostname", &st), 0);

    CLEANUP_STRV char **devices = NULL;
    assert_int_equal(tree_archive_newest("dev.tar", "rootfs", &newest, &devices, &err), 0);
    assert_int_equal(newest, MTIME);
    assert_non_null(devices);
    assert_string_equal(devices[0], "./dev/null");
    assert_string_equal(devices[1], "./etc/console");
    assert_null(devices[2]);

    /* A tree that holds them (one unpacked by an older build): only the
     * device nodes go; a name that is something else now stays. */
    assert_int_equal(unlink("dev/etc/hostname"), 0);
    assert_int_equal(symlink("hostname", "dev/etc/console"), 0);
    /* Only root can make it: elsewhere the check below holds trivially. */
    if (mknod("dev/dev/null", S_IFCHR | 0666, makedev(1, 3)) < 0)
        assert_int_equal(errno, EPERM);
    if (tree_drop_devices("dev", devices, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    assert_int_equal(lstat("dev/dev/null", &st), -1);
    assert_int_equal(lstat("dev/etc/console", &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_false(ab_error_is_set(&err));
    assert_int_equal(rm_rf("dev", "dev"), 0);
}

/* ---- hostile archives ---------------------------------------------------- */

/* Extracts members into case/a/b/root, which must be refused with a
 * message naming `named`. */
static void
assert_refused(const char *dir, const struct member *m, size_t n, const char *named)
{
    struct ab_error err = AB_ERROR_INIT;
    char tar[PATH_MAX + 64], root[PATH_MAX + 64];
    snprintf(tar, sizeof(tar), "%s.tar", dir);
    snprintf(root, sizeof(root), "%s/a/b/root", dir);
    write_tar(tar, m, n);
    fresh_dir(root);
    assert_int_equal(tree_extract(tar, root, "evil.tar", NULL, &err), -1);
    assert_int_equal(err.code, AB_E_BUILD);
    assert_int_equal(err.n_diags, 1);
    const char *msg = err.diags[0].msg;
    if (strncmp(msg, "evil.tar: ", 10) != 0 || !strstr(msg, named))
        fail_msg("message '%s' does not name 'evil.tar' and %s", msg, named);
    ab_error_release(&err);
}

/* Nothing but the expected entries exist in folder dir. */
static void
assert_only(const char *dir, const char *const *names)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    assert_non_null(d);
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        int known = 0;
        for (const char *const *n = names; *n; n++)
            known |= strcmp(*n, e->d_name) == 0;
        if (!known)
            fail_msg("unexpected '%s' in '%s'", e->d_name, dir);
    }
    closedir(d);
}

static void
test_refuse_dotdot(void **state)
{
    (void)state;
    const struct member m[] = {
        {"ok", 'f', 0644, "fine\n", 0, 0, NULL},
        {"../escape", 'f', 0644, "pwned\n", 0, 0, NULL},
    };
    assert_refused("dotdot", m, 2, "'../escape'");
    assert_only("dotdot/a/b", (const char *const[]){"root", NULL});
    assert_only("dotdot/a/b/root", (const char *const[]){"ok", NULL});

    const struct member deep[] = {
        {"etc/", 'd', 0755, NULL, 0, 0, NULL},
        {"etc/../../../escape", 'f', 0644, "pwned\n", 0, 0, NULL},
    };
    assert_refused("deep", deep, 2, "'etc/../../../escape'");
    assert_only("deep/a", (const char *const[]){"b", NULL});
    assert_only("deep/a/b", (const char *const[]){"root", NULL});
    assert_int_equal(rm_rf("dotdot", "dotdot"), 0);
    assert_int_equal(rm_rf("deep", "deep"), 0);
}

static void
test_refuse_absolute(void **state)
{
    (void)state;
    char victim[PATH_MAX + 64];
    snprintf(victim, sizeof(victim), "%s/abs/victim", unit_tmpdir);
    const struct member m[] = {
        {victim, 'f', 0644, "pwned\n", 0, 0, NULL},
    };
    char named[PATH_MAX + 80];
    snprintf(named, sizeof(named), "'%s'", victim);
    assert_refused("abs", m, 1, named);
    assert_false(exists(victim));
    assert_only("abs/a/b/root", (const char *const[]){NULL});

    const struct member etc[] = {
        {"/etc/x", 'f', 0644, "pwned\n", 0, 0, NULL},
    };
    assert_refused("abs", etc, 1, "'/etc/x'");
    assert_only("abs/a/b/root", (const char *const[]){NULL});
    assert_int_equal(rm_rf("abs", "abs"), 0);
}

static void
test_refuse_hardlink_out(void **state)
{
    (void)state;
    fresh_dir("hl/a");
    unit_write_file("hl/a/x", "outside\n"); /* where root/../../x points */
    const struct member m[] = {
        {"inside", 'h', 0644, "../../x", 0, 0, NULL},
    };
    assert_refused("hl", m, 1, "'../../x'");
    assert_only("hl/a/b/root", (const char *const[]){NULL});

    char victim[PATH_MAX + 64];
    snprintf(victim, sizeof(victim), "%s/hl/a/x", unit_tmpdir);
    const struct member abs[] = {
        {"inside", 'h', 0644, victim, 0, 0, NULL},
    };
    assert_refused("hl", abs, 1, "'inside'");
    assert_only("hl/a/b/root", (const char *const[]){NULL});
    assert_file_text("hl/a/x", "outside\n");
    struct stat st;
    assert_int_equal(stat("hl/a/x", &st), 0);
    assert_int_equal(st.st_nlink, 1);
    assert_int_equal(rm_rf("hl", "hl"), 0);
}

/* A symbolic link in the archive, then a member written through it. */
static void
test_refuse_write_through_symlink(void **state)
{
    (void)state;
    char somewhere[PATH_MAX + 64];
    fresh_dir("sym/somewhere");
    snprintf(somewhere, sizeof(somewhere), "%s/sym/somewhere", unit_tmpdir);
    const struct member m[] = {
        {"link", 'l', 0777, somewhere, 0, 0, NULL},
        {"link/file", 'f', 0644, "pwned\n", 0, 0, NULL},
    };
    assert_refused("sym", m, 2, "'link/file'");
    assert_only("sym/somewhere", (const char *const[]){NULL});

    /* The same with a relative link that climbs out. */
    const struct member rel[] = {
        {"up", 'l', 0777, "../../../somewhere", 0, 0, NULL},
        {"up/file", 'f', 0644, "pwned\n", 0, 0, NULL},
    };
    assert_refused("sym", rel, 2, "'up/file'");
    assert_only("sym/somewhere", (const char *const[]){NULL});

    /* And a link inside the tree, to a folder inside the tree. */
    const struct member in[] = {
        {"real/", 'd', 0755, NULL, 0, 0, NULL},
        {"alias", 'l', 0777, "real", 0, 0, NULL},
        {"alias/file", 'f', 0644, "pwned\n", 0, 0, NULL},
    };
    assert_refused("sym", in, 3, "'alias/file'");
    assert_int_equal(rm_rf("sym", "sym"), 0);
}

/* A member that replaces a symbolic link replaces the link: the file it
 * points to outside is never written, neither through the link nor
 * through a hard link to the link. */
static void
test_no_write_through_replaced_symlink(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char victim[PATH_MAX + 64];
    fresh_dir("over/root");
    unit_write_file("over/victim", "outside\n");
    snprintf(victim, sizeof(victim), "%s/over/victim", unit_tmpdir);
    const struct member m[] = {
        {"s", 'l', 0777, victim, 0, 0, NULL},    {"s", 'f', 0644, "pwned\n", 0, 0, NULL},
        {"t", 'l', 0777, victim, 0, 0, NULL},    {"u", 'h', 0644, "t", 0, 0, NULL},
        {"u", 'f', 0644, "pwned\n", 0, 0, NULL},
    };
    write_tar("over.tar", m, sizeof(m) / sizeof(m[0]));
    (void)tree_extract("over.tar", "over/root", "over.tar", NULL, &err);
    ab_error_release(&err);
    assert_file_text("over/victim", "outside\n");
    assert_only("over", (const char *const[]){"root", "victim", NULL});
    assert_int_equal(rm_rf("over", "over"), 0);
}

static void
test_not_an_archive(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    unit_write_file("junk.tar", "this is not a tar archive, not at all, not even close\n");
    fresh_dir("junk");
    assert_int_equal(tree_extract("junk.tar", "junk", "rootfs", NULL, &err), -1);
    assert_int_equal(strncmp(err.diags[0].msg, "rootfs: ", 8), 0);
    ab_error_release(&err);
    assert_int_equal(tree_extract("missing.tar", "junk", "rootfs", NULL, &err), -1);
    assert_int_equal(strncmp(err.diags[0].msg, "rootfs: ", 8), 0);
    assert_non_null(strstr(err.diags[0].msg, "missing.tar"));
    ab_error_release(&err);
    assert_int_equal(rm_rf("junk", "junk"), 0);
}

/* ---- kernel version ------------------------------------------------------ */

static void
test_kernel_version(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    char kver[128];
    static const char *const files[] = {
        "k/boot/vmlinuz-6.1.0-9-amd64",     "k/boot/vmlinuz-6.1.0-10-amd64",
        "k/boot/vmlinuz-5.10.0-28-amd64",   "k/boot/vmlinuz-6.1.0-2-amd64",
        "k/boot/config-6.1.0-99-amd64",     "k/boot/initrd.img-6.1.0-11-amd64",
        "k/boot/System.map-6.1.0-12-amd64",
    };
    fresh_dir("k/boot");
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        unit_write_file(files[i], "");
    assert_int_equal(tree_kernel_version("k", kver, sizeof(kver), &err), 0);
    assert_string_equal(kver, "6.1.0-10-amd64");

    unit_write_file("k/boot/vmlinuz-6.10.0-1-amd64", "");
    assert_int_equal(tree_kernel_version("k", kver, sizeof(kver), &err), 0);
    assert_string_equal(kver, "6.10.0-1-amd64");
    assert_false(ab_error_is_set(&err));

    /* A result that does not fit is an error, not a shorter version. */
    char small[8];
    assert_int_equal(tree_kernel_version("k", small, sizeof(small), &err), -1);
    ab_error_release(&err);

    fresh_dir("k/boot");
    unit_write_file("k/boot/config-6.1.0-9-amd64", "");
    assert_int_equal(tree_kernel_version("k", kver, sizeof(kver), &err), -1);
    assert_string_equal(err.diags[0].msg, "the root tree has no kernel (no /boot/vmlinuz-*)");
    ab_error_release(&err);
    assert_int_equal(rm_rf("k/boot", "k/boot"), 0);
    assert_int_equal(tree_kernel_version("k", kver, sizeof(kver), &err), -1);
    ab_error_release(&err);
    assert_int_equal(rm_rf("k", "k"), 0);
}

/* ---- split --------------------------------------------------------------- */

static const char split_recipe[] = "recipe: 1\n"
                                   "name: split\n"
                                   "version: \"1\"\n"
                                   "os: { distro: debian-12 }\n"
                                   "disks:\n"
                                   "  os:\n"
                                   "    size: 8GiB\n"
                                   "    volumes:\n"
                                   "      - { name: root, mount: /, size: 2GiB }\n"
                                   "      - { name: var, mount: /var, size: 1GiB }\n"
                                   "      - { name: log, mount: /var/log, size: 1GiB }\n"
                                   "  app:\n"
                                   "    size: 1GiB\n"
                                   "    volumes:\n"
                                   "      - { name: data, mount: /srv/data, size: rest }\n";

static size_t
mount_index(const struct plan *plan, const char *path)
{
    for (size_t i = 0; i < plan->n_mounts; i++)
        if (strcmp(plan->mounts[i].path, path) == 0)
            return i;
    fail_msg("no mount '%s'", path);
    return 0;
}

static void
mkdir_owned(const char *path, int mode, int uid, int gid)
{
    assert_int_equal(mkdir_p(path, 0755), 0);
    assert_int_equal(chmod(path, (mode_t)mode), 0);
    if (geteuid() == 0)
        assert_int_equal(lchown(path, (uid_t)uid, (gid_t)gid), 0);
}

static void
assert_empty_dir(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        fail_msg("'%s' is not a folder", path);
    assert_only(path, (const char *const[]){NULL});
}

static void
free_paths(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

/* The tree the split tests start from: each mount point of split_recipe
 * but /srv/data, with owners and modes to keep, and a file in each. */
static void
make_split_tree(const char *root, const char *hostname)
{
    static const struct {
        const char *path;
        int mode, uid, gid;
        const char *file, *text;
    } dirs[] = {
        {"etc", 0755, 0, 0, "etc/hostname", NULL},
        {"boot", 0700, 0, 0, "boot/vmlinuz-6.1.0-10-amd64", "kernel"},
        {"boot/efi", 0700, 0, 0, NULL, NULL},
        {"boot/efi/EFI/BOOT", 0755, 0, 0, "boot/efi/EFI/BOOT/x", "efi"},
        {"var", 0751, 7, 8, NULL, NULL},
        {"var/lib", 0755, 0, 0, "var/lib/foo", "state"},
        {"var/log", 02750, 123, 456, "var/log/syslog", "log"},
    };
    char p[PATH_MAX + 64];
    fresh_dir(root);
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", root, dirs[i].path);
        mkdir_owned(p, dirs[i].mode, dirs[i].uid, dirs[i].gid);
        if (dirs[i].file) {
            snprintf(p, sizeof(p), "%s/%s", root, dirs[i].file);
            unit_write_file(p, dirs[i].text ? dirs[i].text : hostname);
        }
    }
}

static void
test_split(void **state)
{
    (void)state;
    const struct plan *plan = unit_plan(split_recipe);
    struct ab_error err = AB_ERROR_INIT;
    char p[PATH_MAX + 64];
    size_t root = mount_index(plan, "/"), boot = mount_index(plan, "/boot"),
           esp = mount_index(plan, "/boot/efi"), var = mount_index(plan, "/var"),
           log = mount_index(plan, "/var/log"), data = mount_index(plan, "/srv/data");

    make_split_tree("sp/tree", "split\n");
    /* /srv/data is not in the tree at all. */

    char **paths = calloc(plan->n_mounts, sizeof(char *));
    assert_non_null(paths);
    if (tree_split(plan, "sp/tree", "sp/fs", paths, &err) < 0)
        fail_msg("%s", err.diags[0].msg);

    assert_string_equal(paths[root], "sp/tree");
    for (size_t i = 0; i < plan->n_mounts; i++) {
        if (i == root)
            continue;
        snprintf(p, sizeof(p), "sp/fs/m%zu", i);
        assert_string_equal(paths[i], p);
    }
    /* What stays in the root: mount points, empty, as they were. */
    assert_only("sp/tree", (const char *const[]){"etc", "boot", "var", "srv", NULL});
    assert_file_text("sp/tree/etc/hostname", "split\n");
    assert_empty_dir("sp/tree/boot");
    assert_stat("sp/tree/boot", S_IFDIR, 0700, 0, 0);
    assert_empty_dir("sp/tree/var");
    assert_stat("sp/tree/var", S_IFDIR, 0751, 7, 8);
    assert_empty_dir("sp/tree/srv/data");

    /* /boot holds the kernel and /boot/efi's empty mount point. */
    assert_only(paths[boot], (const char *const[]){"vmlinuz-6.1.0-10-amd64", "efi", NULL});
    assert_stat(paths[boot], S_IFDIR, 0700, 0, 0);
    snprintf(p, sizeof(p), "%s/efi", paths[boot]);
    assert_empty_dir(p);
    assert_stat(p, S_IFDIR, 0700, 0, 0);
    snprintf(p, sizeof(p), "%s/EFI/BOOT/x", paths[esp]);
    assert_file_text(p, "efi");
    assert_only(paths[esp], (const char *const[]){"EFI", NULL});

    /* /var holds lib and /var/log's mount point; /var/log its files. */
    assert_only(paths[var], (const char *const[]){"lib", "log", NULL});
    assert_stat(paths[var], S_IFDIR, 0751, 7, 8);
    snprintf(p, sizeof(p), "%s/log", paths[var]);
    assert_empty_dir(p);
    assert_stat(p, S_IFDIR, 02750, 123, 456);
    snprintf(p, sizeof(p), "%s/lib/foo", paths[var]);
    assert_file_text(p, "state");
    assert_only(paths[log], (const char *const[]){"syslog", NULL});
    assert_stat(paths[log], S_IFDIR, 02750, 123, 456);

    /* A mount point the tree lacked: an empty filesystem. */
    assert_empty_dir(paths[data]);

    free_paths(paths, plan->n_mounts);
    plan_free(plan);
    assert_int_equal(rm_rf("sp", "sp"), 0);
}

/* Mount points missing below other mounts are made in the right one. */
static void
test_split_missing(void **state)
{
    (void)state;
    const struct plan *plan = unit_plan(split_recipe);
    struct ab_error err = AB_ERROR_INIT;
    char p[PATH_MAX + 64];
    size_t boot = mount_index(plan, "/boot"), esp = mount_index(plan, "/boot/efi"),
           var = mount_index(plan, "/var"), log = mount_index(plan, "/var/log");

    fresh_dir("sm/tree/boot");
    unit_write_file("sm/tree/boot/vmlinuz-6.1.0-10-amd64", "kernel");
    fresh_dir("sm/tree/var/lib");

    char **paths = calloc(plan->n_mounts, sizeof(char *));
    assert_non_null(paths);
    if (tree_split(plan, "sm/tree", "sm/fs", paths, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    assert_only("sm/tree", (const char *const[]){"boot", "var", "srv", NULL});
    assert_empty_dir("sm/tree/boot");
    assert_empty_dir("sm/tree/var");
    assert_only(paths[boot], (const char *const[]){"vmlinuz-6.1.0-10-amd64", "efi", NULL});
    snprintf(p, sizeof(p), "%s/efi", paths[boot]);
    assert_empty_dir(p);
    assert_empty_dir(paths[esp]);
    assert_only(paths[var], (const char *const[]){"lib", "log", NULL});
    snprintf(p, sizeof(p), "%s/log", paths[var]);
    assert_empty_dir(p);
    assert_empty_dir(paths[log]);

    free_paths(paths, plan->n_mounts);
    plan_free(plan);
    assert_int_equal(rm_rf("sm", "sm"), 0);
}

/* A tree whose mount point lies behind a symbolic link: splitting must
 * neither follow it out of the tree (the host's folders would be moved
 * or made) nor leave a link or a file where a filesystem is mounted. */
static struct tree_mounts view_mounts;

/* tree_views with tree_split's signature, its mounts kept in view_mounts. */
static int
split_by_views(const struct plan *plan, const char *root, const char *fsdir, char **paths,
               struct ab_error *err)
{
    return tree_views(&view_mounts, plan, root, fsdir, paths, err);
}

typedef int (*split_fn)(const struct plan *, const char *, const char *, char **,
                        struct ab_error *);

static bool
in_private_namespace(void)
{
    static int state; /* 0 not tried, 1 in one, -1 cannot */
    if (!state)
        state = tree_private_namespace() == 0 ? 1 : -1;
    return state > 0;
}

static void
check_refused_by(split_fn split, const char *make_srv, const char *named)
{
    const struct plan *plan = unit_plan(split_recipe);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(rm_rf("sl", "sl"), 0);
    assert_int_equal(mkdir_p("sl/tree/var/log", 0755), 0);
    assert_int_equal(mkdir_p("sl/tree/boot/efi", 0755), 0);
    assert_int_equal(mkdir_p("sl/host/data", 0755), 0);
    unit_write_file("sl/host/data/precious", "host's own\n");
    if (strcmp(make_srv, "absolute") == 0) {
        char target[PATH_MAX + 64];
        snprintf(target, sizeof(target), "%s/sl/host", unit_tmpdir);
        assert_int_equal(symlink(target, "sl/tree/srv"), 0);
    } else if (strcmp(make_srv, "relative") == 0) {
        assert_int_equal(symlink("../host", "sl/tree/srv"), 0);
    } else if (strcmp(make_srv, "link-mount-point") == 0) {
        assert_int_equal(mkdir("sl/tree/srv", 0755), 0);
        assert_int_equal(symlink("../../host/data", "sl/tree/srv/data"), 0);
    } else if (strcmp(make_srv, "file-mount-point") == 0) {
        assert_int_equal(mkdir("sl/tree/srv", 0755), 0);
        unit_write_file("sl/tree/srv/data", "a file\n");
    }

    char **paths = calloc(plan->n_mounts, sizeof(char *));
    assert_non_null(paths);
    assert_int_equal(split(plan, "sl/tree", "sl/fs", paths, &err), -1);
    tree_unmount(&view_mounts);
    assert_int_equal(err.n_diags, 1);
    if (!strstr(err.diags[0].msg, "'/srv/data'") || !strstr(err.diags[0].msg, named))
        fail_msg("message '%s' does not name '/srv/data' and %s", err.diags[0].msg, named);
    ab_error_release(&err);
    assert_only("sl/host", (const char *const[]){"data", NULL});
    assert_only("sl/host/data", (const char *const[]){"precious", NULL});
    assert_file_text("sl/host/data/precious", "host's own\n");

    free_paths(paths, plan->n_mounts);
    plan_free(plan);
    assert_int_equal(rm_rf("sl", "sl"), 0);
}

static void
check_split_refused(const char *make_srv, const char *named)
{
    check_refused_by(tree_split, make_srv, named);
    if (in_private_namespace())
        check_refused_by(split_by_views, make_srv, named);
    else
        unit_skip_part("tree_views: no private mount namespace here (needs CAP_SYS_ADMIN)");
}

static void
test_split_through_absolute_link(void **state)
{
    (void)state;
    check_split_refused("absolute", "'/srv'");
}

static void
test_split_through_relative_link(void **state)
{
    (void)state;
    check_split_refused("relative", "'/srv'");
}

static void
test_split_mount_point_is_link(void **state)
{
    (void)state;
    check_split_refused("link-mount-point", "symbolic link");
}

static void
test_split_mount_point_is_file(void **state)
{
    (void)state;
    check_split_refused("file-mount-point", "not a folder");
}

/* The overlay and the views: the same folders as tree_split gives, the
 * tree itself untouched, the cache's lower tree untouched by writes. */
static void
test_views(void **state)
{
    (void)state;
    if (!in_private_namespace()) {
        unit_skip("tree_views: no private mount namespace here (needs CAP_SYS_ADMIN)");
        return;
    }
    const struct plan *plan = unit_plan(split_recipe);
    struct ab_error err = AB_ERROR_INIT;
    char p[PATH_MAX + 64];
    size_t root = mount_index(plan, "/"), boot = mount_index(plan, "/boot"),
           esp = mount_index(plan, "/boot/efi"), var = mount_index(plan, "/var"),
           log = mount_index(plan, "/var/log"), data = mount_index(plan, "/srv/data");

    make_split_tree("vw/lower", "views\n");
    fresh_dir("vw/work");

    struct tree_mounts mt = {0};
    char lower[PATH_MAX + 64], work[PATH_MAX + 64], merged[PATH_MAX + 64];
    snprintf(lower, sizeof(lower), "%s/vw/lower", unit_tmpdir);
    snprintf(work, sizeof(work), "%s/vw/work", unit_tmpdir);
    snprintf(merged, sizeof(merged), "%s/vw/work/tree", unit_tmpdir);
    if (tree_overlay(&mt, lower, work, merged, &err) < 0) {
        unit_skip("overlayfs: %s", err.diags[0].msg);
        ab_error_release(&err);
        plan_free(plan);
        return;
    }
    /* Configure writes into the merged tree, never into the lower one. */
    unit_write_file("vw/work/tree/etc/hostname", "configured\n");
    unit_write_file("vw/work/tree/var/log/new", "new log");

    char **paths = calloc(plan->n_mounts, sizeof(char *));
    assert_non_null(paths);
    if (tree_views(&mt, plan, merged, "vw/fs", paths, &err) < 0)
        fail_msg("%s", err.diags[0].msg);

    assert_file_text("vw/lower/etc/hostname", "views\n");
    assert_only("vw/lower/var/log", (const char *const[]){"syslog", NULL});
    /* The root's view: mount points, empty, as they were. */
    assert_only(paths[root], (const char *const[]){"etc", "boot", "var", "srv", NULL});
    snprintf(p, sizeof(p), "%s/etc/hostname", paths[root]);
    assert_file_text(p, "configured\n");
    snprintf(p, sizeof(p), "%s/boot", paths[root]);
    assert_empty_dir(p);
    assert_stat(p, S_IFDIR, 0700, 0, 0);
    snprintf(p, sizeof(p), "%s/var", paths[root]);
    assert_empty_dir(p);
    assert_stat(p, S_IFDIR, 0751, 7, 8);
    snprintf(p, sizeof(p), "%s/srv/data", paths[root]);
    assert_empty_dir(p);

    assert_only(paths[boot], (const char *const[]){"vmlinuz-6.1.0-10-amd64", "efi", NULL});
    snprintf(p, sizeof(p), "%s/efi", paths[boot]);
    assert_empty_dir(p);
    assert_stat(p, S_IFDIR, 0700, 0, 0);
    assert_only(paths[esp], (const char *const[]){"EFI", NULL});
    assert_only(paths[var], (const char *const[]){"lib", "log", NULL});
    snprintf(p, sizeof(p), "%s/log", paths[var]);
    assert_empty_dir(p);
    assert_stat(p, S_IFDIR, 02750, 123, 456);
    assert_only(paths[log], (const char *const[]){"new", "syslog", NULL});
    assert_stat(paths[log], S_IFDIR, 02750, 123, 456);
    assert_empty_dir(paths[data]);
    /* The merged tree itself still holds everything. */
    assert_only("vw/work/tree/var/log", (const char *const[]){"new", "syslog", NULL});

    tree_unmount(&mt);
    assert_empty_dir("vw/work/tree");
    free_paths(paths, plan->n_mounts);
    plan_free(plan);
    assert_int_equal(rm_rf("vw", "vw"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_intact),
        cmocka_unit_test(test_extract_through_host_link),
        cmocka_unit_test(test_extract_leaves_out_devices),
        cmocka_unit_test(test_refuse_dotdot),
        cmocka_unit_test(test_refuse_absolute),
        cmocka_unit_test(test_refuse_hardlink_out),
        cmocka_unit_test(test_refuse_write_through_symlink),
        cmocka_unit_test(test_no_write_through_replaced_symlink),
        cmocka_unit_test(test_not_an_archive),
        cmocka_unit_test(test_kernel_version),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_missing),
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_split_through_absolute_link),
        cmocka_unit_test(test_split_through_relative_link),
        cmocka_unit_test(test_split_mount_point_is_link),
        cmocka_unit_test(test_split_mount_point_is_file),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
