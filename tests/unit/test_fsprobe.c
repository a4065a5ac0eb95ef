/* test_fsprobe.c: a volume's filesystem named from its first bytes
 * (diskread's fsprobe.c), judged by blkid on filesystems the tools that
 * own them make (mke2fs, mkfs.vfat, mkswap, mkfs.xfs): the same TYPE,
 * UUID and LABEL; the use against dumpe2fs's and xfs_db's counts; an MBR
 * told from a GPT's protective one and from a FAT boot sector (sfdisk);
 * damaged and truncated superblocks refused. */
#include "unit.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sys/wait.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "diskread/fsprobe.h"

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

/* A sparse file of size bytes. */
static void
make_file(const char *name, off_t size)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    assert_int_equal(close(fd), 0);
}

/* The first FSPROBE_BYTES of img, probed. */
static int
probe_file(const char *img, struct fs_probe *p)
{
    unsigned char *buf = calloc(1, FSPROBE_BYTES);
    int fd = open(img, O_RDONLY);
    assert_true(fd >= 0);
    ssize_t n = pread(fd, buf, FSPROBE_BYTES, 0);
    off_t size = lseek(fd, 0, SEEK_END);
    close(fd);
    assert_true(n > 0);
    int r = fs_probe(buf, (size_t)n, (uint64_t)size, p);
    free(buf);
    return r;
}

/* blkid's value of key for img, "" when it says none. */
static void
blkid_value(const char *img, const char *key, char *out, size_t size)
{
    CLEANUP_FREE char *text = NULL;
    assert_int_equal(sh(&text, "blkid -p -o export %s", img), 0);
    char want[32];
    snprintf(want, sizeof(want), "%s=", key);
    out[0] = '\0';
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, want, strlen(want)) == 0)
            snprintf(out, size, "%s", line + strlen(want));
}

/* Our probe and blkid agree on img. */
static void
agree(const char *img, const char *type)
{
    struct fs_probe p;
    char v[128];
    assert_int_equal(probe_file(img, &p), 1);
    assert_string_equal(p.type, type);
    blkid_value(img, "TYPE", v, sizeof(v));
    assert_string_equal(p.type, v);
    blkid_value(img, "UUID", v, sizeof(v));
    assert_string_equal(p.uuid, v);
    blkid_value(img, "LABEL", v, sizeof(v));
    assert_string_equal(p.label, v);
}

static void
test_ext(void **state)
{
    (void)state;
    unit_need("mke2fs");
    unit_need("blkid");
    static const char *const types[] = {"ext2", "ext3", "ext4"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(sh(NULL, "mke2fs -q -F -t %s -L lab%zu -U 0b7c1f2e-5d3a-4c6b-9e8f-"
                                  "1a2b3c4d5e6f fs.img 8M >/dev/null 2>&1",
                            types[i], i),
                         0);
        agree("fs.img", types[i]);
        /* The use is dumpe2fs's blocks less its free blocks. */
        struct fs_probe p;
        CLEANUP_FREE char *dump = NULL;
        assert_int_equal(probe_file("fs.img", &p), 1);
        assert_int_equal(sh(&dump, "dumpe2fs -h fs.img 2>/dev/null | awk -F: '/^Block count/ "
                                   "{b=$2} /^Free blocks/ {f=$2} /^Block size/ {s=$2} END "
                                   "{print (b-f)*s}'"),
                         0);
        assert_int_equal(p.used, strtoll(dump, NULL, 10));
        assert_int_equal(unlink("fs.img"), 0);
    }
}

static void
test_vfat_swap(void **state)
{
    (void)state;
    unit_need("mkfs.vfat");
    unit_need("mkswap");
    unit_need("blkid");
    make_file("fat.img", 40 << 20);
    assert_int_equal(sh(NULL, "mkfs.vfat -F 32 -n ESP -i 2532A961 fat.img >/dev/null 2>&1"), 0);
    agree("fat.img", "vfat");
    struct fs_probe p;
    assert_int_equal(probe_file("fat.img", &p), 1);
    assert_string_equal(p.uuid, "2532-A961");
    assert_int_equal(sh(NULL, "mkfs.vfat -F 16 -i 00C0FFEE fat.img >/dev/null 2>&1"), 0);
    agree("fat.img", "vfat"); /* no label: "NO NAME" is none */
    assert_int_equal(unlink("fat.img"), 0);

    make_file("swap.img", 1 << 20);
    assert_int_equal(sh(NULL, "mkswap -L swap -U 6208c360-e923-4597-bfee-826a5673a1c6 swap.img "
                              ">/dev/null 2>&1"),
                     0);
    agree("swap.img", "swap");
    assert_int_equal(unlink("swap.img"), 0);
}

static void
test_xfs(void **state)
{
    (void)state;
    unit_need("mkfs.xfs");
    unit_need("blkid");
    unit_need("xfs_db");
    make_file("xfs.img", 320 << 20);
    assert_int_equal(sh(NULL, "mkfs.xfs -q -L data -m uuid=f520a096-675e-49a1-aaa9-290a9428a33e "
                              "xfs.img >/dev/null 2>&1"),
                     0);
    agree("xfs.img", "xfs");
    struct fs_probe p;
    CLEANUP_FREE char *db = NULL;
    assert_int_equal(probe_file("xfs.img", &p), 1);
    assert_int_equal(sh(&db, "xfs_db -r -c 'sb 0' -c 'print dblocks fdblocks blocksize' xfs.img "
                             "| awk '{v[$1]=$3} END {print (v[\"dblocks\"]-v[\"fdblocks\"])*"
                             "v[\"blocksize\"]}'"),
                     0);
    assert_int_equal(p.used, strtoll(db, NULL, 10));
    assert_int_equal(unlink("xfs.img"), 0);
}

static void
test_mbr(void **state)
{
    (void)state;
    unit_need("sfdisk");
    unsigned char s[SECTOR];
    make_file("mbr.img", 8 << 20);
    assert_int_equal(sh(NULL, "echo 'start=2048, type=83' | sfdisk -q --label dos mbr.img "
                              ">/dev/null 2>&1"),
                     0);
    int fd = open("mbr.img", O_RDONLY);
    assert_int_equal(pread(fd, s, SECTOR, 0), SECTOR);
    close(fd);
    assert_int_equal(fs_probe_mbr(s, sizeof(s)), 1);
    assert_int_equal(fs_probe_mbr(s, sizeof(s) - 1), 0);
    s[446] = 0x42; /* a status byte no MBR has */
    assert_int_equal(fs_probe_mbr(s, sizeof(s)), 0);
    memset(s, 0, sizeof(s));
    assert_int_equal(fs_probe_mbr(s, sizeof(s)), 0);
    assert_int_equal(unlink("mbr.img"), 0);
}

/* Superblocks that lie, and bytes that stop short. */
static void
test_hostile(void **state)
{
    (void)state;
    unsigned char *b = calloc(1, FSPROBE_BYTES);
    struct fs_probe p;
    assert_int_equal(fs_probe(b, FSPROBE_BYTES, FSPROBE_BYTES, &p), 0);
    assert_string_equal(p.type, "");
    /* ext: the magic, a block size past 64 KiB */
    put_le16(b + 1024 + 56, 0xEF53);
    put_le32(b + 1024 + 24, 7);
    assert_int_equal(fs_probe(b, FSPROBE_BYTES, FSPROBE_BYTES, &p), 0);
    put_le32(b + 1024 + 24, 2);
    put_le32(b + 1024 + 4, 10);  /* blocks */
    put_le32(b + 1024 + 12, 20); /* more free than there are */
    assert_int_equal(fs_probe(b, FSPROBE_BYTES, FSPROBE_BYTES, &p), 1);
    assert_int_equal(p.used, -1);
    assert_string_equal(p.uuid, ""); /* all-zero UUID: none */
    /* cut short before the superblock's end: nothing */
    assert_int_equal(fs_probe(b, 1500, FSPROBE_BYTES, &p), 0);
    assert_int_equal(fs_probe(b, FSPROBE_BYTES, 1500, &p), 0);
    memset(b, 0, FSPROBE_BYTES);
    /* xfs: no block size, then a label with control bytes */
    memcpy(b, "XFSB", 4);
    assert_int_equal(fs_probe(b, FSPROBE_BYTES, FSPROBE_BYTES, &p), 0);
    put_be32(b + 4, 4096);
    b[15] = 1; /* dblocks */
    put_be32(b + 84, 1);
    put_be32(b + 88, 1);
    memcpy(b + 108, "a\tb\x7f", 4);
    assert_int_equal(fs_probe(b, FSPROBE_BYTES, FSPROBE_BYTES, &p), 1);
    assert_string_equal(p.label, "a?b?");
    memset(b, 0, FSPROBE_BYTES);
    /* swap: the signature past what was read */
    memcpy(b + 65536 - 10, "SWAPSPACE2", 10);
    assert_int_equal(fs_probe(b, FSPROBE_BYTES - 1, FSPROBE_BYTES, &p), 0);
    assert_int_equal(fs_probe(b, FSPROBE_BYTES, FSPROBE_BYTES, &p), 1);
    assert_string_equal(p.type, "swap");
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ext), cmocka_unit_test(test_vfat_swap), cmocka_unit_test(test_xfs),
        cmocka_unit_test(test_mbr), cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
