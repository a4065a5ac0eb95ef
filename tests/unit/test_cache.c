/* test_cache.c: root trees cached whole or not at all. */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include "appliance/cache.h"
#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/hash.h"
#include "appliance/os_source.h"

static const char recipe_text[] = "recipe: 1\n"
                                  "name: cached\n"
                                  "version: \"1\"\n"
                                  "os:\n"
                                  "  rootfs: rootfs.tar\n"
                                  "disks:\n"
                                  "  os:\n"
                                  "    size: 4GiB\n"
                                  "    volumes:\n"
                                  "      - { name: root, mount: /, size: rest }\n"
                                  "  app:\n"
                                  "    size: 1GiB\n"
                                  "    volumes:\n"
                                  "      - { name: data, mount: /srv/data, size: rest }\n";

/* rootfs.tar with one file of the given text. */
static void
make_rootfs(const char *text)
{
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    assert_true(a && e);
    assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_filename(a, "rootfs.tar"), ARCHIVE_OK);
    archive_entry_set_pathname(e, "etc/hostname");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)strlen(text));
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, text, strlen(text)), (la_ssize_t)strlen(text));
    archive_entry_free(e);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
}

/* The whole of a file (to be freed) and its length. */
static char *
slurp(const char *path, size_t *len)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open '%s'", path);
    assert_int_equal(fstat(fileno(f), &st), 0);
    char *buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
    buf[st.st_size] = '\0';
    fclose(f);
    *len = (size_t)st.st_size;
    return buf;
}

static void
assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    CLEANUP_FREE char *x = slurp(a, &la);
    CLEANUP_FREE char *y = slurp(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(x, y, la);
}

static int
exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static const struct plan *
setup_plan(void)
{
    assert_int_equal(rm_rf("cache", "cache"), 0);
    assert_int_equal(rm_rf("scratch", "scratch"), 0);
    assert_int_equal(mkdir("scratch", 0700), 0);
    make_rootfs("first\n");
    const struct plan *plan = unit_plan(recipe_text);
    assert_ptr_equal(os_source_for(plan), &os_source_rootfs);
    return plan;
}

/* One call of cache_root_tree; returns whether it hit, checks the result. */
static bool
lookup(const struct plan *plan, const struct cache_opts *opts, char **path)
{
    struct ab_error err = AB_ERROR_INIT;
    bool hit = true;
    if (cache_root_tree(plan, opts, false, "scratch", path, &hit, NULL, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    assert_false(ab_error_is_set(&err));
    /* Whatever the way, the archive given is the rootfs, whole. */
    assert_same_file(*path, "rootfs.tar");
    return hit;
}

/* The paths of plan's entry in "cache", and its key. */
static void
entry_paths(const struct plan *plan, char *tar, char *sum, size_t size)
{
    char key[CACHE_KEY_HEX];
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(cache_key(plan, &os_source_rootfs, key, &err), 0);
    assert_int_equal(strlen(key), 64);
    snprintf(tar, size, "cache/roots/%s.tar", key);
    snprintf(sum, size, "cache/roots/%s.sum", key);
}

static void
test_miss_then_hit(void **state)
{
    (void)state;
    const struct plan *plan = setup_plan();
    struct cache_opts opts = {.dir = "cache"};
    char tar[256], sum[256];
    entry_paths(plan, tar, sum, sizeof(tar));

    CLEANUP_FREE char *first = NULL, *second = NULL;
    assert_false(lookup(plan, &opts, &first));
    assert_string_equal(first, tar);
    assert_true(exists(sum));

    /* The sum file: "SHA256 SIZE" of the archive. */
    char hex[HASH_HEX_MAX], want[256], *got;
    size_t len;
    struct stat st;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(digest_file(DIGEST_SHA256, "rootfs.tar", hex, &err), 0);
    assert_int_equal(stat("rootfs.tar", &st), 0);
    snprintf(want, sizeof(want), "%s %" PRIu64 "\n", hex, (uint64_t)st.st_size);
    got = slurp(sum, &len);
    assert_string_equal(got, want);
    free(got);

    assert_true(lookup(plan, &opts, &second));
    assert_string_equal(second, tar);
    /* Nothing else was left in the cache (no partial files). */
    int n = 0;
    DIR *d = opendir("cache/roots");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(n, 3);
    /* The third: the release the tree is of, none for a rootfs. */
    char mark[256];
    snprintf(mark, sizeof(mark), "%.*s.distro", (int)(strlen(tar) - 4), tar);
    got = slurp(mark, &len);
    assert_string_equal(got, "none\n");
    free(got);
    /* An entry made before the marks gets one when it is next used. */
    assert_int_equal(unlink(mark), 0);
    CLEANUP_FREE char *third = NULL;
    assert_true(lookup(plan, &opts, &third));
    assert_true(exists(mark));
    plan_free(plan);
}

/* Flips the lowest bit of the byte at offset of path. */
static void
flip_byte(const char *path, off_t offset)
{
    int fd = open(path, O_RDWR);
    unsigned char c;
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, offset), 1);
    c ^= 0x01;
    assert_int_equal(pwrite(fd, &c, 1, offset), 1);
    assert_int_equal(close(fd), 0);
}

/* Damages the entry as told; the next lookup must miss and rebuild, and
 * the one after that hit again. */
static void
check_rebuilt(const char *how)
{
    const struct plan *plan = setup_plan();
    struct cache_opts opts = {.dir = "cache"};
    char tar[256], sum[256];
    entry_paths(plan, tar, sum, sizeof(tar));
    CLEANUP_FREE char *p1 = NULL, *p2 = NULL, *p3 = NULL;
    assert_false(lookup(plan, &opts, &p1));

    if (strcmp(how, "truncate") == 0) {
        struct stat st;
        assert_int_equal(stat(tar, &st), 0);
        assert_int_equal(truncate(tar, st.st_size / 2), 0);
    } else if (strcmp(how, "corrupt") == 0) {
        flip_byte(tar, 600);
    } else if (strcmp(how, "no-sum") == 0) {
        assert_int_equal(unlink(sum), 0);
    } else if (strcmp(how, "no-tar") == 0) {
        assert_int_equal(unlink(tar), 0);
    } else if (strcmp(how, "bad-sum") == 0) {
        unit_write_file(sum, "garbage\n");
    } else if (strcmp(how, "grown") == 0) {
        FILE *f = fopen(tar, "ab");
        assert_non_null(f);
        fputs("trailing bytes", f);
        assert_int_equal(fclose(f), 0);
    } else {
        fail_msg("unknown damage '%s'", how);
    }

    if (lookup(plan, &opts, &p2))
        fail_msg("a cache entry damaged by '%s' was used", how);
    assert_string_equal(p2, tar);
    assert_true(exists(sum));
    if (!lookup(plan, &opts, &p3))
        fail_msg("the entry rebuilt after '%s' was not used", how);
    plan_free(plan);
}

/* For an overlay build, an entry whose tree is unpacked is checked by its
 * archive's size only (the tree came from the archive once it was checked
 * whole); without the tree, or for an extracting build, the flipped byte
 * is found and the entry rebuilt. */
static void
test_overlay_checks_size(void **state)
{
    (void)state;
    const struct plan *plan = setup_plan();
    struct cache_opts opts = {.dir = "cache"};
    struct ab_error err = AB_ERROR_INIT;
    char tar[256], sum[256], tree[300];
    CLEANUP_FREE char *p1 = NULL, *p2 = NULL, *p3 = NULL, *p4 = NULL;
    bool hit = false;
    entry_paths(plan, tar, sum, sizeof(tar));
    assert_false(lookup(plan, &opts, &p1));
    flip_byte(tar, 600);

    /* No unpacked tree yet: even an overlay build checks the digest. */
    assert_int_equal(cache_root_tree(plan, &opts, true, "scratch", &p2, &hit, NULL, &err), 0);
    assert_false(hit);
    /* The tree unpacked: the same damage now goes by (size only). */
    assert_int_equal(cache_unpacked_tree(p2, "rootfs", &p3, &err), 0);
    snprintf(tree, sizeof(tree), "%.*s.tree", (int)(strlen(tar) - 4), tar);
    assert_string_equal(p3, tree);
    flip_byte(tar, 600);
    assert_int_equal(cache_root_tree(plan, &opts, true, "scratch", &p4, &hit, NULL, &err), 0);
    assert_true(hit);
    free(p4);
    p4 = NULL;
    /* An extracting build reads the archive whole: it checks it whole. */
    assert_int_equal(cache_root_tree(plan, &opts, false, "scratch", &p4, &hit, NULL, &err), 0);
    assert_false(hit);
    assert_false(ab_error_is_set(&err));
    plan_free(plan);
}

static void
test_truncated_tar(void **state)
{
    (void)state;
    check_rebuilt("truncate");
}

static void
test_corrupt_byte(void **state)
{
    (void)state;
    check_rebuilt("corrupt");
}

static void
test_missing_sum(void **state)
{
    (void)state;
    check_rebuilt("no-sum");
}

static void
test_missing_tar(void **state)
{
    (void)state;
    check_rebuilt("no-tar");
}

static void
test_bad_sum(void **state)
{
    (void)state;
    check_rebuilt("bad-sum");
}

static void
test_grown_tar(void **state)
{
    (void)state;
    check_rebuilt("grown");
}

/* --no-cache: the tree is built in scratch and nothing is stored. */
static void
test_disabled(void **state)
{
    (void)state;
    const struct plan *plan = setup_plan();
    struct cache_opts opts = {.dir = "cache", .disabled = true};
    CLEANUP_FREE char *path = NULL;
    assert_false(lookup(plan, &opts, &path));
    assert_string_equal(path, "scratch/root.tar");
    assert_false(exists("cache"));
    CLEANUP_FREE char *again = NULL;
    assert_false(lookup(plan, &opts, &again));
    assert_false(exists("cache"));
    plan_free(plan);
}

/* The key follows the rootfs's content, not its name or time. */
static void
test_key_follows_content(void **state)
{
    (void)state;
    const struct plan *plan = setup_plan();
    struct ab_error err = AB_ERROR_INIT;
    char k1[CACHE_KEY_HEX], k2[CACHE_KEY_HEX], k3[CACHE_KEY_HEX], k4[CACHE_KEY_HEX];
    assert_int_equal(cache_key(plan, &os_source_rootfs, k1, &err), 0);
    assert_int_equal(cache_key(plan, &os_source_rootfs, k2, &err), 0);
    assert_string_equal(k1, k2);

    make_rootfs("second\n");
    assert_int_equal(cache_key(plan, &os_source_rootfs, k3, &err), 0);
    assert_string_not_equal(k1, k3);

    make_rootfs("first\n"); /* the same bytes again: the same key */
    assert_int_equal(cache_key(plan, &os_source_rootfs, k4, &err), 0);
    assert_string_equal(k1, k4);

    /* A changed rootfs is a miss, and the old entry stays for the old one. */
    struct cache_opts opts = {.dir = "cache"};
    CLEANUP_FREE char *p1 = NULL, *p2 = NULL, *p3 = NULL;
    assert_false(lookup(plan, &opts, &p1));
    make_rootfs("second\n");
    assert_false(lookup(plan, &opts, &p2));
    assert_string_not_equal(p1, p2);
    make_rootfs("first\n");
    assert_true(lookup(plan, &opts, &p3));
    assert_string_equal(p1, p3);

    /* A rootfs that vanished is an error naming it. */
    assert_int_equal(unlink("rootfs.tar"), 0);
    assert_int_equal(cache_key(plan, &os_source_rootfs, k1, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "rootfs.tar"));
    ab_error_release(&err);
    plan_free(plan);
}

/* A folder at path with a file in it, as an unpacked tree. */
static void
make_tree(const char *path)
{
    char file[256];
    assert_int_equal(mkdir_p(path, 0755), 0);
    snprintf(file, sizeof(file), "%s/marker", path);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
}

static void
put_mark(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The trees of a release: the recipe's own first, then the others of the
 * same release (by their marks) in name order; none for a rootfs. */
static void
test_distro_trees(void **state)
{
    (void)state;
    const struct plan *plan = unit_plan("recipe: 1\nname: t\nversion: '1'\n"
                                        "os: {distro: debian-12, mirror: 'http://m.example/d'}\n"
                                        "disks:\n"
                                        "  os: {size: 4GiB, volumes: [{name: root, mount: /, "
                                        "size: rest}]}\n"
                                        "  app: {size: 1GiB, volumes: [{name: d, mount: /srv, "
                                        "size: rest}]}\n");
    struct ab_error err = AB_ERROR_INIT;
    char key[CACHE_KEY_HEX], own[256];
    assert_int_equal(rm_rf("c", "c"), 0);
    CLEANUP_STRV char **none = cache_distro_trees(plan, "c");
    assert_non_null(none);
    assert_null(none[0]);

    assert_int_equal(cache_key(plan, os_source_for(plan), key, &err), 0);
    snprintf(own, sizeof(own), "c/roots/%s.tree", key);
    make_tree(own);
    make_tree("c/roots/b.tree");
    put_mark("c/roots/b.distro", "debian-12\n");
    make_tree("c/roots/a.tree");
    put_mark("c/roots/a.distro", "debian-12\n");
    make_tree("c/roots/r.tree");
    put_mark("c/roots/r.distro", "rocky-9\n");
    put_mark("c/roots/gone.distro", "debian-12\n"); /* its tree removed */
    make_tree("c/roots/x.tree");
    put_mark("c/roots/x.distro", "debian-12-extra\n");
    snprintf(own + strlen(own) - 5, sizeof(own) - strlen(own) + 5, ".distro");
    put_mark(own, "debian-12\n"); /* listed once, first */

    CLEANUP_STRV char **trees = cache_distro_trees(plan, "c");
    assert_non_null(trees);
    snprintf(own, sizeof(own), "c/roots/%s.tree", key);
    assert_string_equal(trees[0], own);
    assert_string_equal(trees[1], "c/roots/a.tree");
    assert_string_equal(trees[2], "c/roots/b.tree");
    assert_null(trees[3]);
    plan_free(plan);

    const struct plan *rootfs = setup_plan();
    CLEANUP_STRV char **empty = cache_distro_trees(rootfs, "c");
    assert_non_null(empty);
    assert_null(empty[0]);
    plan_free(rootfs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_miss_then_hit), cmocka_unit_test(test_truncated_tar),
        cmocka_unit_test(test_corrupt_byte),  cmocka_unit_test(test_overlay_checks_size),
        cmocka_unit_test(test_missing_sum),   cmocka_unit_test(test_missing_tar),
        cmocka_unit_test(test_bad_sum),       cmocka_unit_test(test_grown_tar),
        cmocka_unit_test(test_disabled),      cmocka_unit_test(test_key_follows_content),
        cmocka_unit_test(test_distro_trees),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
