/* test_userns.c: the subordinate range a build without root maps. */
#include "unit.h"

#include <sched.h>
#include <sys/wait.h>

#include "appliance/userns.h"

static void
test_range_by_name_and_id(void **state)
{
    (void)state;
    struct userns_range r = {0};
    const char *text = "alice:100000:65536\n"
                       "1002:165536:65536\n"
                       "bob:231072:65536\n";
    assert_int_equal(userns_subid_range(text, "alice", 1001, &r), 1);
    assert_int_equal(r.start, 100000);
    assert_int_equal(r.count, 65536);
    /* By uid when the name is not there (or the user has none). */
    assert_int_equal(userns_subid_range(text, "carol", 1002, &r), 1);
    assert_int_equal(r.start, 165536);
    assert_int_equal(userns_subid_range(text, NULL, 1002, &r), 1);
    assert_int_equal(userns_subid_range(text, "bob", 7, &r), 1);
    assert_int_equal(r.start, 231072);
}

static void
test_range_none(void **state)
{
    (void)state;
    struct userns_range r = {1, 1};
    assert_int_equal(userns_subid_range("", "alice", 1001, &r), 0);
    assert_int_equal(userns_subid_range("alice:100000:65536\n", "al", 1, &r), 0);
    assert_int_equal(userns_subid_range("alice:100000:65536\n", "alice2", 1, &r), 0);
    /* Too small to hold nobody (65534), and not a range. */
    assert_int_equal(userns_subid_range("alice:100000:1000\n", "alice", 1, &r), 0);
    assert_int_equal(userns_subid_range("alice:100000\n", "alice", 1, &r), 0);
    assert_int_equal(userns_subid_range("alice:x:65536\n", "alice", 1, &r), 0);
    assert_int_equal(userns_subid_range("alice:100000:65536x\n", "alice", 1, &r), 0);
    assert_int_equal(userns_subid_range("alice:-1:65536\n", "alice", 1, &r), 0);
    /* Past 32 bits. */
    assert_int_equal(userns_subid_range("alice:4294967200:65536\n", "alice", 1, &r), 0);
    assert_int_equal(r.start, 1);
}

static void
test_range_first_big_enough(void **state)
{
    (void)state;
    struct userns_range r = {0};
    const char *text = "# a comment\n"
                       "alice:100000:100\n"
                       "\n"
                       "alice:300000:65535\r\n"
                       "alice:400000:65536\n";
    assert_int_equal(userns_subid_range(text, "alice", 1001, &r), 1);
    assert_int_equal(r.start, 300000);
    assert_int_equal(r.count, 65535);
    /* No newline at the end. */
    assert_int_equal(userns_subid_range("alice:5:70000", "alice", 1001, &r), 1);
    assert_int_equal(r.count, 70000);
}

/* A child moved into a new user namespace is inside one, mapped or not;
 * this process is as its uid_map says. */
static void
test_ids_from_zero(void **state)
{
    (void)state;
    /* The host's identity map; rootless podman's container (its user,
     * then the user's subordinate range); a gap; 0 not mapped. */
    assert_int_equal(userns_ids_from_zero("         0          0 4294967295\n"), 4294967295UL);
    assert_int_equal(userns_ids_from_zero("0 1001 1\n1 100000 65536\n"), 65537);
    assert_int_equal(userns_ids_from_zero("1 100000 65536\n0 1001 1\n"), 65537);
    assert_int_equal(userns_ids_from_zero("0 1001 1\n2 100000 65536\n"), 1);
    assert_int_equal(userns_ids_from_zero("1 100000 65536\n"), 0);
    assert_int_equal(userns_ids_from_zero(""), 0);
    assert_int_equal(userns_ids_from_zero("garbage\n0 0 10\n"), 10);
}

static void
test_identity_map(void **state)
{
    (void)state;
    char out[256];
    /* Rootless podman's two lines give two (one mapped line across both
     * is what the kernel refuses: EPERM); the host's one gives one. */
    assert_int_equal(userns_identity_map("0 1001 1\n1 100000 65536\n", 65536, out, sizeof(out)),
                     (int)strlen("0 0 1\n1 1 65535\n"));
    assert_string_equal(out, "0 0 1\n1 1 65535\n");
    assert_true(userns_identity_map("         0          0 4294967295\n", 65536, out,
                                    sizeof(out)) > 0);
    assert_string_equal(out, "0 0 65536\n");
    /* Lines past the ids, and garbage, give nothing; too small an out, -1. */
    userns_identity_map("0 0 10\n70000 5 10\nx\n", 65536, out, sizeof(out));
    assert_string_equal(out, "0 0 10\n");
    assert_int_equal(userns_identity_map("0 1001 1\n1 100000 65536\n", 65536, out, 8), -1);
}

static void
test_needed(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        assert_int_equal(userns_needed(), USERNS_USER);
        return;
    }
    /* Root: NONE exactly when it may make a mount namespace (CAP_SYS_ADMIN),
     * as the host's root may and a container's root without it may not. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(unshare(CLONE_NEWNS) == 0 ? 0 : 1);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(userns_needed(), WEXITSTATUS(status) == 0 ? USERNS_NONE : USERNS_CONTAINER_ROOT);
}

static void
test_inside(void **state)
{
    (void)state;
    char line[128] = "";
    FILE *f = fopen("/proc/self/uid_map", "re");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    unsigned long a, b, c;
    bool host = sscanf(line, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 &&
                c == 4294967295UL;
    assert_int_equal(userns_inside(), !host);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(unshare(CLONE_NEWUSER) < 0 ? 77 : userns_inside() ? 0 : 1);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip(); /* no user namespaces here */
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* A namespace where every id is itself (a cross build's, as root) is
 * inside too, though its uid_map reads as the host's. */
static void
test_inside_identity(void **state)
{
    (void)state;
    if (geteuid() != 0 || userns_inside())
        skip(); /* only root of the host writes that map */
    int go[2], ready[2];
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c = unshare(CLONE_NEWUSER) < 0 ? 'n' : 'y';
        if (write(ready[1], &c, 1) != 1 || c == 'n' || read(go[0], &c, 1) != 1)
            _exit(77);
        FILE *m = fopen("/proc/self/uid_map", "re");
        char line[128] = "";
        bool full = m && fgets(line, sizeof(line), m) && strstr(line, "4294967295");
        if (m)
            fclose(m);
        _exit(full && userns_inside() ? 0 : 1);
    }
    char c = 0, path[64];
    assert_int_equal(read(ready[0], &c, 1), 1);
    if (c == 'y')
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, i ? "gid_map" : "uid_map");
            FILE *m = fopen(path, "we");
            assert_non_null(m);
            fputs("0 0 4294967295\n", m);
            assert_int_equal(fclose(m), 0);
        }
    assert_int_equal(write(go[1], "g", 1), 1);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip(); /* no user namespaces here */
    assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_by_name_and_id),
        cmocka_unit_test(test_range_none),
        cmocka_unit_test(test_range_first_big_enough),
        cmocka_unit_test(test_ids_from_zero),
        cmocka_unit_test(test_identity_map),
        cmocka_unit_test(test_needed),
        cmocka_unit_test(test_inside),
        cmocka_unit_test(test_inside_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
