/* test_diskcache.c: what a disk's key holds, and the entries' store,
 * fetch and eviction (builder/pipeline/diskcache.c). */
#include "pipeline/diskcache.h"
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "appliance/fsutil.h"

#define RECIPE_HEAD                                                                                \
    "recipe: 1\n"                                                                                  \
    "name: keys\n"                                                                                 \
    "version: \"1\"\n"                                                                             \
    "os: { distro: debian-12 }\n"                                                                  \
    "disks:\n"                                                                                     \
    "  os:\n"                                                                                      \
    "    size: 8GiB\n"                                                                             \
    "    volumes:\n"                                                                               \
    "      - { name: root, mount: /, size: %s }\n"                                                 \
    "  app:\n"                                                                                     \
    "    size: %s\n"                                                                               \
    "    volumes:\n"                                                                               \
    "      - { name: data, mount: /srv/data, size: 1GiB }\n"                                       \
    "      - { name: rest, mount: /srv/rest, size: rest }\n"                                       \
    "files:\n"                                                                                     \
    "  - { src: files/motd, dest: /etc/motd }\n"                                                   \
    "  - { src: files/app/, dest: /srv/data/app/ }\n"

struct keys {
    char os[DISKCACHE_KEY_HEX], app[DISKCACHE_KEY_HEX];
};

/* The two keys of the recipe with these sizes (and a run line). */
static struct keys
keys_of(const char *root_size, const char *app_size, const char *run)
{
    char text[4096];
    snprintf(text, sizeof(text), RECIPE_HEAD "%s", root_size, app_size, run ? run : "");
    const struct plan *plan = unit_plan(text);
    struct diskcache dc;
    struct ab_error err = AB_ERROR_INIT;
    if (diskcache_open(&dc, "cache", UINT64_C(1) << 30, plan, "tree-key", 0, &err) < 0)
        fail_msg("%s", err.diags[0].msg);
    struct keys k;
    memcpy(k.os, dc.key[PLAN_DISK_OS], sizeof(k.os));
    memcpy(k.app, dc.key[PLAN_DISK_APP], sizeof(k.app));
    diskcache_release(&dc);
    plan_free(plan);
    return k;
}

static const struct plan *
small_plan(void)
{
    char text[4096];
    snprintf(text, sizeof(text), RECIPE_HEAD, "2GiB", "4GiB");
    return unit_plan(text);
}

static void
make_files(const char *motd, const char *app_file)
{
    assert_int_equal(mkdir_p("files/app", 0755), 0);
    unit_write_file("files/motd", motd);
    unit_write_file("files/app/conf", app_file);
}

static int
setup(void **state)
{
    (void)state;
    make_files("motd 1\n", "conf 1\n");
    return 0;
}

/* cloud-init and its datasources shape the OS disk: a cloud build never
 * reuses a disk made without them, the same outputs or not. */
static void
test_cloud_in_key(void **state)
{
    (void)state;
    struct keys off = keys_of("2GiB", "4GiB", "outputs: [azure, gce]\ncloud: false\n");
    struct keys on = keys_of("2GiB", "4GiB", "outputs: [azure, gce]\n");
    struct keys on2 = keys_of("2GiB", "4GiB", "outputs: [azure, gce]\ncloud: true\n");
    struct keys azure = keys_of("2GiB", "4GiB", "outputs: [azure]\n");
    assert_string_not_equal(off.os, on.os);
    assert_string_equal(on.os, on2.os);
    assert_string_not_equal(on.os, azure.os);
}

static void
test_same_inputs_same_keys(void **state)
{
    (void)state;
    struct keys a = keys_of("2GiB", "4GiB", NULL), b = keys_of("2GiB", "4GiB", NULL);
    assert_string_equal(a.os, b.os);
    assert_string_equal(a.app, b.app);
    assert_string_not_equal(a.os, a.app);
    assert_int_equal(strlen(a.os), 64);
}

/* An application volume's size and a file landing on the application
 * disk change the application disk's key only. */
static void
test_app_only_changes(void **state)
{
    (void)state;
    struct keys a = keys_of("2GiB", "4GiB", NULL);
    struct keys bigger = keys_of("2GiB", "6GiB", NULL);
    assert_string_equal(a.os, bigger.os);
    assert_string_not_equal(a.app, bigger.app);

    make_files("motd 1\n", "conf 2\n");
    struct keys file = keys_of("2GiB", "4GiB", NULL);
    assert_string_equal(a.os, file.os);
    assert_string_not_equal(a.app, file.app);
    make_files("motd 1\n", "conf 1\n");
}

/* An OS volume's size and a file landing on the OS disk change the OS
 * disk's key; the OS file leaves the application disk's key alone. */
static void
test_os_changes(void **state)
{
    (void)state;
    struct keys a = keys_of("2GiB", "4GiB", NULL);
    struct keys root = keys_of("3GiB", "4GiB", NULL);
    assert_string_not_equal(a.os, root.os);

    make_files("motd 2\n", "conf 1\n");
    struct keys motd = keys_of("2GiB", "4GiB", NULL);
    assert_string_not_equal(a.os, motd.os);
    assert_string_equal(a.app, motd.app);

    /* A mode change is a change too. */
    make_files("motd 1\n", "conf 1\n");
    assert_int_equal(chmod("files/motd", 0600), 0);
    struct keys mode = keys_of("2GiB", "4GiB", NULL);
    assert_string_not_equal(a.os, mode.os);
    assert_int_equal(chmod("files/motd", 0644), 0);
}

/* With a run line every file counts for both disks. */
static void
test_run_lines_tie_the_disks(void **state)
{
    (void)state;
    const char *run = "run:\n  - \"true\"\n";
    struct keys a = keys_of("2GiB", "4GiB", run);
    make_files("motd 1\n", "conf 3\n");
    struct keys b = keys_of("2GiB", "4GiB", run);
    assert_string_not_equal(a.os, b.os);
    assert_string_not_equal(a.app, b.app);
    make_files("motd 1\n", "conf 1\n");
}

/* A sparse image comes back from the cache byte for byte, holes kept. */
static void
test_store_and_fetch(void **state)
{
    (void)state;
    const struct plan *plan = small_plan();
    struct diskcache dc;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(diskcache_open(&dc, "sf-cache", UINT64_C(1) << 30, plan, "t", 0, &err), 0);
    int fd = open("img", O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 64 << 20), 0);
    assert_int_equal(pwrite(fd, "head", 4, 0), 4);
    assert_int_equal(pwrite(fd, "tail", 4, (32 << 20) + 3), 4);
    close(fd);

    assert_int_equal(diskcache_fetch_image(&dc, PLAN_DISK_OS, "back", &err), 0);
    assert_int_equal(diskcache_store_image(&dc, PLAN_DISK_OS, "img", &err), 0);
    assert_int_equal(diskcache_fetch_image(&dc, PLAN_DISK_OS, "back", &err), 1);
    assert_true(dc.hit[PLAN_DISK_OS]);
    /* The other disk's key is another entry. */
    assert_int_equal(diskcache_fetch_image(&dc, PLAN_DISK_APP, "other", &err), 0);

    struct stat a, b;
    assert_int_equal(stat("img", &a), 0);
    assert_int_equal(stat("back", &b), 0);
    assert_int_equal(a.st_size, b.st_size);
    assert_true(b.st_blocks * 512 < 1 << 20); /* still sparse */
    char buf[4];
    fd = open("back", O_RDONLY);
    assert_int_equal(pread(fd, buf, 4, (32 << 20) + 3), 4);
    assert_memory_equal(buf, "tail", 4);
    close(fd);

    /* An export's entry is keyed by its tag as well. */
    unit_write_file("disk.qcow2", "qcow2 bytes");
    assert_int_equal(diskcache_store_file(&dc, PLAN_DISK_OS, "qcow2", "disk.qcow2", &err), 0);
    assert_int_equal(diskcache_fetch_file(&dc, PLAN_DISK_OS, "vhdx", "x.vhdx", false, &err), 0);
    assert_int_equal(diskcache_fetch_file(&dc, PLAN_DISK_OS, "qcow2", "x.qcow2", false, &err), 1);
    char got[32] = "";
    fd = open("x.qcow2", O_RDONLY);
    assert_int_equal(read(fd, got, sizeof(got) - 1), 11);
    close(fd);
    assert_string_equal(got, "qcow2 bytes");
    /* A copy, which the user may change; a file only read is a link. */
    struct stat copy, linked;
    assert_int_equal(stat("x.qcow2", &copy), 0);
    assert_int_equal(copy.st_nlink, 1);
    assert_int_equal(diskcache_fetch_file(&dc, PLAN_DISK_OS, "qcow2", "ro.qcow2", true, &err), 1);
    assert_int_equal(stat("ro.qcow2", &linked), 0);
    assert_int_equal(linked.st_nlink, 2);
    assert_int_not_equal(linked.st_ino, copy.st_ino);

    diskcache_release(&dc);
    plan_free(plan);
    assert_int_equal(rm_rf("sf-cache", "sf-cache"), 0);
}

/* Past the limit the least recently used entries go, never the new one. */
static void
test_eviction(void **state)
{
    (void)state;
    const struct plan *plan = small_plan();
    struct diskcache dc;
    struct ab_error err = AB_ERROR_INIT;
    /* Room for two 1 MiB files, not three. */
    assert_int_equal(diskcache_open(&dc, "ev-cache", (UINT64_C(5) << 20) / 2, plan, "t", 0, &err),
                     0);
    char *mib = malloc(1 << 20);
    assert_non_null(mib);
    memset(mib, 'x', 1 << 20);
    const char *tags[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        int fd = open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_int_equal(write(fd, mib, 1 << 20), 1 << 20);
        close(fd);
        assert_int_equal(diskcache_store_file(&dc, PLAN_DISK_APP, tags[i], "f", &err), 0);
        if (i == 1) {
            /* "one" used again: "two" is now the oldest. */
            struct timespec t[2] = {{0, UTIME_OMIT}, {1, 0}};
            char path[PATH_MAX];
            assert_int_equal(diskcache_fetch_file(&dc, PLAN_DISK_APP, "one", "g", false, &err), 1);
            /* Make "two" unmistakably the oldest, whatever the clock's grain. */
            DIR *d = opendir("ev-cache");
            struct dirent *e;
            while ((e = readdir(d)))
                if (strstr(e->d_name, ".two")) {
                    snprintf(path, sizeof(path), "ev-cache/%s", e->d_name);
                    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
                }
            closedir(d);
        }
    }
    free(mib);
    assert_int_equal(diskcache_fetch_file(&dc, PLAN_DISK_APP, "two", "g", false, &err), 0);
    assert_int_equal(diskcache_fetch_file(&dc, PLAN_DISK_APP, "one", "g", false, &err), 1);
    assert_int_equal(diskcache_fetch_file(&dc, PLAN_DISK_APP, "three", "g", false, &err), 1);
    diskcache_release(&dc);
    plan_free(plan);
    assert_int_equal(rm_rf("ev-cache", "ev-cache"), 0);
}

/* Without a folder the cache is off: nothing fetched, nothing stored. */
static void
test_off(void **state)
{
    (void)state;
    const struct plan *plan = small_plan();
    struct diskcache dc;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(diskcache_open(&dc, NULL, 0, plan, "t", 0, &err), 0);
    unit_write_file("off.img", "x");
    assert_int_equal(diskcache_store_image(&dc, PLAN_DISK_OS, "off.img", &err), 0);
    assert_int_equal(diskcache_fetch_image(&dc, PLAN_DISK_OS, "off.back", &err), 0);
    assert_int_equal(access("off.back", F_OK), -1);
    diskcache_release(&dc);
    plan_free(plan);
}

/* A digest kept beside an export entry is given for the next build's copy
 * of it, and forgotten when the entry is stored anew. */
static void
test_known_digest(void **state)
{
    (void)state;
    const struct plan *plan = small_plan();
    struct diskcache dc;
    struct ab_error err = AB_ERROR_INIT;
    char hex[HASH_HEX_MAX];
    const char *sum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const char *sha1 = "0123456789abcdef0123456789abcdef01234567";
    assert_int_equal(diskcache_open(&dc, "kd-cache", UINT64_C(1) << 30, plan, "t", 0, &err), 0);
    unit_write_file("first.qcow2", "bytes");
    assert_int_equal(diskcache_store_file(&dc, PLAN_DISK_OS, "qcow2", "first.qcow2", &err), 0);
    assert_int_equal(diskcache_known_digest(&dc, "first.qcow2", DIGEST_SHA256, hex), 0);
    diskcache_keep_digest(&dc, "first.qcow2", DIGEST_SHA256, sum);
    diskcache_keep_digest(&dc, "first.qcow2", DIGEST_SHA1, sum);     /* not a SHA-1: refused */
    diskcache_keep_digest(&dc, "unknown.qcow2", DIGEST_SHA256, sum); /* not a copy */
    diskcache_release(&dc);

    assert_int_equal(diskcache_open(&dc, "kd-cache", UINT64_C(1) << 30, plan, "t", 0, &err), 0);
    assert_int_equal(diskcache_fetch_file(&dc, PLAN_DISK_OS, "qcow2", "second.qcow2", false, &err), 1);
    assert_int_equal(diskcache_known_digest(&dc, "second.qcow2", DIGEST_SHA256, hex), 1);
    assert_string_equal(hex, sum);
    assert_int_equal(diskcache_known_digest(&dc, "second.qcow2", DIGEST_SHA1, hex), 0);
    diskcache_keep_digest(&dc, "second.qcow2", DIGEST_SHA1, sha1);
    assert_int_equal(diskcache_known_digest(&dc, "second.qcow2", DIGEST_SHA1, hex), 1);
    assert_string_equal(hex, sha1);
    assert_int_equal(diskcache_known_digest(&dc, "first.qcow2", DIGEST_SHA256, hex), 0);
    /* A count, and a name the cache does not know: not kept. */
    uint64_t count = 0;
    assert_int_equal(diskcache_known_count(&dc, "second.qcow2", "populated", &count), 0);
    diskcache_keep_count(&dc, "second.qcow2", "populated", UINT64_C(867483648));
    diskcache_keep_count(&dc, "second.qcow2", "other", 5);
    assert_int_equal(diskcache_known_count(&dc, "second.qcow2", "populated", &count), 1);
    assert_int_equal(count, UINT64_C(867483648));
    assert_int_equal(diskcache_known_count(&dc, "second.qcow2", "other", &count), 0);
    assert_int_equal(system("! ls kd-cache | grep -q other"), 0);
    /* Stored anew: the old digests and counts are gone with the old bytes. */
    unit_write_file("third.qcow2", "other bytes");
    assert_int_equal(diskcache_store_file(&dc, PLAN_DISK_OS, "qcow2", "third.qcow2", &err), 0);
    assert_int_equal(diskcache_known_digest(&dc, "third.qcow2", DIGEST_SHA256, hex), 0);
    assert_int_equal(diskcache_known_digest(&dc, "second.qcow2", DIGEST_SHA256, hex), 0);
    assert_int_equal(diskcache_known_digest(&dc, "second.qcow2", DIGEST_SHA1, hex), 0);
    assert_int_equal(diskcache_known_count(&dc, "second.qcow2", "populated", &count), 0);

    /* An image's too, stored or fetched. */
    unit_write_file("os.img", "disk bytes");
    assert_int_equal(diskcache_store_image(&dc, PLAN_DISK_OS, "os.img", &err), 0);
    diskcache_keep_digest(&dc, "os.img", DIGEST_SHA256, sum);
    diskcache_release(&dc);
    assert_int_equal(diskcache_open(&dc, "kd-cache", UINT64_C(1) << 30, plan, "t", 0, &err), 0);
    assert_int_equal(diskcache_fetch_image(&dc, PLAN_DISK_OS, "os.back", &err), 1);
    assert_int_equal(diskcache_known_digest(&dc, "os.back", DIGEST_SHA256, hex), 1);
    assert_string_equal(hex, sum);
    diskcache_release(&dc);
    plan_free(plan);
    assert_int_equal(rm_rf("kd-cache", "kd-cache"), 0);
}

/* Eviction takes an entry's notes with it. */
static void
test_eviction_takes_digests(void **state)
{
    (void)state;
    const struct plan *plan = small_plan();
    struct diskcache dc;
    struct ab_error err = AB_ERROR_INIT;
    const char *sum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    /* Room for one 1 MiB file, not two. */
    assert_int_equal(diskcache_open(&dc, "ed-cache", (UINT64_C(3) << 20) / 2, plan, "t", 0, &err),
                     0);
    char *mib = malloc(1 << 20);
    assert_non_null(mib);
    memset(mib, 'x', 1 << 20);
    int fd = open("a.qcow2", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(write(fd, mib, 1 << 20), 1 << 20);
    close(fd);
    assert_int_equal(diskcache_store_file(&dc, PLAN_DISK_OS, "qcow2", "a.qcow2", &err), 0);
    diskcache_keep_digest(&dc, "a.qcow2", DIGEST_SHA256, sum);
    diskcache_keep_count(&dc, "a.qcow2", "populated", 1 << 20);
    assert_int_equal(system("ls ed-cache | grep -q 'qcow2[.]sha256$'"), 0);
    assert_int_equal(system("ls ed-cache | grep -q 'qcow2[.]populated$'"), 0);
    assert_int_equal(rename("a.qcow2", "b.vdi"), 0);
    assert_int_equal(diskcache_store_file(&dc, PLAN_DISK_OS, "vdi", "b.vdi", &err), 0);
    assert_int_equal(system("ls ed-cache | grep -q 'vdi$'"), 0);
    assert_int_equal(system("! ls ed-cache | grep -q qcow2"), 0);
    free(mib);
    diskcache_release(&dc);
    plan_free(plan);
    assert_int_equal(rm_rf("ed-cache", "ed-cache"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_same_inputs_same_keys, setup),
        cmocka_unit_test_setup(test_cloud_in_key, setup),
        cmocka_unit_test_setup(test_app_only_changes, setup),
        cmocka_unit_test_setup(test_os_changes, setup),
        cmocka_unit_test_setup(test_run_lines_tie_the_disks, setup),
        cmocka_unit_test_setup(test_store_and_fetch, setup),
        cmocka_unit_test_setup(test_eviction, setup),
        cmocka_unit_test_setup(test_off, setup),
        cmocka_unit_test_setup(test_known_digest, setup),
        cmocka_unit_test_setup(test_eviction_takes_digests, setup),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
