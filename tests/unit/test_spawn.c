/* test_spawn.c: running tools, their status, input, output and errors. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "appliance/cleanup.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"

#define NO_SUCH_PROGRAM "appliance-no-such-program-7f3a"

/* The one diagnostic of err (there must be exactly one). */
static const char *
only_msg(const struct ab_error *err)
{
    assert_int_equal(err->n_diags, 1);
    assert_int_equal(err->code, AB_E_BUILD);
    return err->diags[0].msg;
}

static void
test_success(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(spawn_cmd(NULL, &err, "true", NULL), 0);
    assert_int_equal(spawn_cmd(NULL, &err, "sh", "-c", "exit 0", NULL), 0);
    assert_false(ab_error_is_set(&err));
}

/* A failure names the tool and its status, and ends with its last three
 * lines of output, in its own words. */
static void
test_exit_status_and_last_lines(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(spawn_cmd(NULL, &err, "sh", "-c",
                               "for i in 1 2 3 4 5; do echo \"line $i\" >&2; done; exit 3", NULL),
                     -1);
    assert_string_equal(only_msg(&err), "'sh' failed (exit 3): line 3\nline 4\nline 5");
    ab_error_release(&err);

    /* Silent failure: no trailing ": ". */
    assert_int_equal(spawn_cmd(NULL, &err, "false", NULL), -1);
    assert_string_equal(only_msg(&err), "'false' failed (exit 1)");
    ab_error_release(&err);

    /* Only the end of a long output is kept. */
    assert_int_equal(spawn_cmd(NULL, &err, "sh", "-c",
                               "i=0; while [ $i -lt 5000 ]; do echo \"noise $i\"; i=$((i+1)); done;"
                               " echo 'the reason' >&2; exit 42",
                               NULL),
                     -1);
    const char *msg = only_msg(&err);
    assert_non_null(strstr(msg, "'sh' failed (exit 42): "));
    assert_non_null(strstr(msg, "the reason"));
    assert_null(strstr(msg, "noise 0\n"));
    ab_error_release(&err);
}

static void
test_killed_by_signal(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(spawn_cmd(NULL, &err, "sh", "-c", "kill -TERM $$", NULL), -1);
    assert_string_equal(only_msg(&err), "'sh' failed (killed by signal 15)");
    ab_error_release(&err);
}

static void
test_stdout_capture(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *out = NULL;
    const char *argv[] = {"sh", "-c", "printf 'abc\\n'; echo to-stderr >&2", NULL};
    struct spawn_opts o = {.output = &out};
    assert_int_equal(spawn_run(argv, &o, &err), 0);
    assert_string_equal(out, "abc\n");

    /* Nothing written: an empty string, not NULL. */
    CLEANUP_FREE char *empty = NULL;
    const char *silent[] = {"true", NULL};
    struct spawn_opts o2 = {.output = &empty};
    assert_int_equal(spawn_run(silent, &o2, &err), 0);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    assert_false(ab_error_is_set(&err));
}

/* Input and output at once, larger than a pipe holds: no deadlock. */
static void
test_stdin_input(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *out = NULL;
    const char *argv[] = {"cat", NULL};
    struct spawn_opts o = {.input = "hello\nworld\n", .input_len = 12, .output = &out};
    assert_int_equal(spawn_run(argv, &o, &err), 0);
    assert_string_equal(out, "hello\nworld\n");

    size_t big_len = (size_t)1 << 20;
    CLEANUP_FREE char *big = malloc(big_len);
    assert_non_null(big);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)('a' + i % 26);
    CLEANUP_FREE char *copy = NULL;
    struct spawn_opts o2 = {.input = big, .input_len = big_len, .output = &copy};
    assert_int_equal(spawn_run(argv, &o2, &err), 0);
    assert_non_null(copy);
    assert_memory_equal(copy, big, big_len);
    assert_int_equal(copy[big_len], '\0');

    /* input_len, not the string's length, counts. */
    CLEANUP_FREE char *part = NULL;
    struct spawn_opts o3 = {.input = "abcdef", .input_len = 3, .output = &part};
    assert_int_equal(spawn_run(argv, &o3, &err), 0);
    assert_string_equal(part, "abc");
    assert_false(ab_error_is_set(&err));
}

/* A child that exits without reading its input is a failure or success of
 * its own; it must not kill the builder with SIGPIPE. */
static void
test_input_not_read(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    size_t big_len = (size_t)4 << 20;
    CLEANUP_FREE char *big = calloc(1, big_len);
    assert_non_null(big);
    const char *argv[] = {"true", NULL};
    struct spawn_opts o = {.input = big, .input_len = big_len};
    assert_int_equal(spawn_run(argv, &o, &err), 0);
    const char *fail[] = {"sh", "-c", "echo bad input >&2; exit 5", NULL};
    assert_int_equal(spawn_run(fail, &o, &err), -1);
    assert_string_equal(only_msg(&err), "'sh' failed (exit 5): bad input");
    ab_error_release(&err);

    /* SIGPIPE is neither left blocked nor pending for the builder. */
    sigset_t mask, pending;
    assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &mask), 0);
    assert_false(sigismember(&mask, SIGPIPE));
    assert_int_equal(sigpending(&pending), 0);
    assert_false(sigismember(&pending, SIGPIPE));
}

static void
test_missing_program(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(spawn_cmd(NULL, &err, NO_SUCH_PROGRAM, "--help", NULL), -1);
    const char *msg = only_msg(&err);
    assert_string_equal(msg, "cannot run '" NO_SUCH_PROGRAM "': No such file or directory");
    ab_error_release(&err);
}

static void
test_env_and_cwd(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *out = NULL;
    const char *env[] = {"APPLIANCE_TEST_VAR=from-spawn", NULL};
    const char *argv[] = {"sh", "-c", "printf '%s %s' \"$APPLIANCE_TEST_VAR\" \"$(pwd)\"", NULL};
    struct spawn_opts o = {.env = env, .cwd = "/", .output = &out};
    assert_int_equal(spawn_run(argv, &o, &err), 0);
    assert_string_equal(out, "from-spawn /");
    /* The extra variable is the child's only. */
    assert_null(getenv("APPLIANCE_TEST_VAR"));

    const char *t[] = {"true", NULL};
    struct spawn_opts bad = {.cwd = "/nonexistent-appliance-dir"};
    assert_int_equal(spawn_run(t, &bad, &err), -1);
    assert_string_equal(only_msg(&err),
                        "cannot enter '/nonexistent-appliance-dir': No such file or directory");
    ab_error_release(&err);
}

/* Children's command lines and output go to the log, when one is set. */
static void
test_log(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&text, &len);
    assert_non_null(log);
    const struct spawn_ctx ctx = {.log = log};
    assert_int_equal(spawn_cmd(&ctx, &err, "sh", "-c", "echo logged-line", NULL), 0);
    assert_int_equal(fclose(log), 0);
    assert_non_null(strstr(text, "+ sh -c echo logged-line\n"));
    assert_non_null(strstr(text, "\nlogged-line\n"));
}

/* A run's log and echo travel with it: two contexts in one process, used
 * at once from two threads, each get their own commands and output, and
 * a run without a context writes to neither. */
struct ctx_run {
    const struct spawn_ctx *ctx;
    const char *word;
    int r;
};

static void *
run_in_ctx(void *arg)
{
    struct ctx_run *c = arg;
    struct ab_error err = AB_ERROR_INIT;
    for (int i = 0; i < 20 && c->r == 0; i++)
        c->r = spawn_cmd(c->ctx, &err, "sh", "-c", "echo \"$0\"", c->word, NULL);
    ab_error_release(&err);
    return NULL;
}

static void
echo_count(void *arg, const char *line)
{
    if (strstr(line, "second-word"))
        (*(int *)arg)++;
}

static void
test_two_contexts(void **state)
{
    (void)state;
    CLEANUP_FREE char *text1 = NULL, *text2 = NULL;
    size_t len1 = 0, len2 = 0;
    int echoed = 0;
    FILE *log1 = open_memstream(&text1, &len1), *log2 = open_memstream(&text2, &len2);
    assert_non_null(log1);
    assert_non_null(log2);
    const struct spawn_ctx one = {.log = log1};
    const struct spawn_ctx two = {.log = log2, .echo = echo_count, .echo_arg = &echoed};
    struct ctx_run a = {&one, "first-word", 0}, b = {&two, "second-word", 0};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, run_in_ctx, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, run_in_ctx, &b), 0);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(spawn_cmd(NULL, &err, "sh", "-c", "echo nowhere", NULL), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.r, 0);
    assert_int_equal(b.r, 0);
    assert_int_equal(fclose(log1), 0);
    assert_int_equal(fclose(log2), 0);
    assert_non_null(strstr(text1, "+ sh -c echo \"$0\" first-word\nfirst-word\n"));
    assert_non_null(strstr(text2, "+ sh -c echo \"$0\" second-word\nsecond-word\n"));
    assert_null(strstr(text1, "second-word"));
    assert_null(strstr(text2, "first-word"));
    assert_null(strstr(text1, "nowhere"));
    assert_null(strstr(text2, "nowhere"));
    assert_int_equal(echoed, 20);
}

/* A context's environment entries reach its children, a run's own env
 * wins over them, and this process's environment is left as it was. */
static void
test_context_env(void **state)
{
    (void)state;
    static const char *const ctx_env[] = {"APPLIANCE_CTX_A=from-ctx", "APPLIANCE_CTX_B=ctx", NULL};
    static const char *const run_env[] = {"APPLIANCE_CTX_B=from-run", NULL};
    const struct spawn_ctx ctx = {.env = ctx_env};
    CLEANUP_FREE char *out = NULL;
    struct spawn_opts o = {.ctx = &ctx, .env = run_env, .output = &out};
    const char *argv[] = {"sh", "-c", "echo \"$APPLIANCE_CTX_A $APPLIANCE_CTX_B\"", NULL};
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(spawn_run(argv, &o, &err), 0);
    assert_string_equal(out, "from-ctx from-run\n");
    assert_null(getenv("APPLIANCE_CTX_A"));
}

/* Secret values stay out of the log's command lines and of errors; the
 * child's own output goes to the log as it is. */
static void
test_secrets_redacted(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_FREE char *text = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&text, &len);
    assert_non_null(log);
    const struct spawn_ctx ctx = {.log = log};
    assert_int_equal(spawn_cmd(&ctx, &err, "sh", "-c", "MY_SECRET=hunter2 true", NULL), 0);
    assert_int_equal(spawn_cmd(&ctx, &err, "sh", "-c", "echo --password hunter2 >&2; exit 1", NULL),
                     -1);
    assert_int_equal(fclose(log), 0);
    assert_non_null(strstr(text, "+ sh -c MY_SECRET=*** true\n"));
    assert_non_null(strstr(text, "+ sh -c echo --password *** >&2; exit 1\n"));
    assert_string_equal(only_msg(&err), "'sh' failed (exit 1): --password ***");
    ab_error_release(&err);
}

/* With a cause prefix, the error quotes the first lines that carry it
 * (apt's "E: "), not the last lines. */
static void
test_cause_lines(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    const char *argv[] = {"sh", "-c",
                          "exec >&2; echo 'I: working'; echo 'E: the cause'; echo noise; "
                          "echo 'E: the consequence'; for i in 1 2 3; do echo after; done; exit 25",
                          NULL};
    struct spawn_opts o = {.cause = "E: "};
    assert_int_equal(spawn_run(argv, &o, &err), -1);
    assert_string_equal(only_msg(&err), "'sh' failed (exit 25): E: the cause\nE: the consequence");
    ab_error_release(&err);

    /* No such line: the last lines, as without one. */
    const char *plain[] = {"sh", "-c", "echo one; echo two >&2; exit 2", NULL};
    assert_int_equal(spawn_run(plain, &o, &err), -1);
    assert_string_equal(only_msg(&err), "'sh' failed (exit 2): one\ntwo");
    ab_error_release(&err);
}

/* ---- children beside the caller, fds, limits ----------------------------- */

/* The descriptors this process holds. */
static int
count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the one opendir holds */
}

static int
return_seven(void *arg)
{
    (void)arg;
    return 7;
}

/* No descriptor is left behind, whether the child runs or not. */
static void
test_no_fd_leaks(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    int before = count_fds();

    assert_int_equal(spawn_cmd(NULL, &err, NO_SUCH_PROGRAM, NULL), -1);
    ab_error_release(&err);
    const char *t[] = {"true", NULL};
    struct spawn_opts bad_cwd = {.cwd = "/nonexistent-appliance-dir"};
    assert_int_equal(spawn_run(t, &bad_cwd, &err), -1);
    ab_error_release(&err);
    struct spawn_opts bad_root = {.chroot = "/nonexistent-appliance-dir"};
    assert_int_equal(spawn_run(t, &bad_root, &err), -1);
    ab_error_release(&err);

    /* A child with every pipe that cannot start. */
    struct spawn_child c;
    const char *missing[] = {NO_SUCH_PROGRAM, NULL};
    unsigned all = SPAWN_STDIN_PIPE | SPAWN_STDOUT_PIPE | SPAWN_STDERR_PIPE;
    assert_int_equal(spawn_start(missing, NULL, all, &c, &err), -1);
    assert_int_equal(c.pid, 0);
    assert_int_equal(c.in_fd, -1);
    assert_int_equal(c.out_fd, -1);
    assert_int_equal(c.err_fd, -1);
    ab_error_release(&err);

    /* Successful ones, of each kind. */
    CLEANUP_FREE char *out = NULL;
    const char *cat[] = {"cat", NULL};
    struct spawn_opts io = {.input = "x", .input_len = 1, .output = &out};
    assert_int_equal(spawn_run(cat, &io, &err), 0);
    assert_int_equal(spawn_start(cat, NULL, all, &c, &err), 0);
    spawn_close(&c);
    assert_int_equal(spawn_reap(&c, true), 1);
    assert_int_equal(spawn_fork_fn(return_seven, NULL, &c, &err), 0);
    assert_int_equal(spawn_reap(&c, true), 1);
    assert_false(ab_error_is_set(&err));

    assert_int_equal(count_fds(), before);
}

/* A child with pipes both ways, read and written by the caller. */
static void
test_start_with_pipes(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct spawn_child c;
    const char *argv[] = {"sh", "-c", "read line; echo \"out $line\"; echo \"err $line\" >&2",
                          NULL};
    unsigned all = SPAWN_STDIN_PIPE | SPAWN_STDOUT_PIPE | SPAWN_STDERR_PIPE;
    assert_int_equal(spawn_start(argv, NULL, all, &c, &err), 0);
    assert_true(c.pid > 0);
    assert_int_equal(getpgid(c.pid), c.pid); /* a process group of its own */
    assert_int_equal(spawn_write(c.in_fd, "hi\n", 3), 0);
    char buf[64] = "";
    assert_int_equal(read(c.out_fd, buf, sizeof(buf) - 1), 7);
    assert_string_equal(buf, "out hi\n");
    memset(buf, 0, sizeof(buf));
    assert_int_equal(read(c.err_fd, buf, sizeof(buf) - 1), 7);
    assert_string_equal(buf, "err hi\n");
    spawn_close(&c);
    assert_int_equal(spawn_reap(&c, true), 1);
    assert_true(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
    assert_int_equal(c.pid, 0);
    assert_int_equal(spawn_reap(&c, true), 1); /* twice: harmless */

    /* A child that has gone: EPIPE, and the builder lives on. */
    const char *t[] = {"true", NULL};
    assert_int_equal(spawn_start(t, NULL, SPAWN_STDIN_PIPE, &c, &err), 0);
    while (spawn_reap(&c, false) == 0)
        usleep(1000);
    assert_int_equal(spawn_write(c.in_fd, "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    spawn_close(&c);
    assert_false(ab_error_is_set(&err));
}

static volatile sig_atomic_t usr1_seen;

static void
on_usr1(int sig)
{
    (void)sig;
    usr1_seen = 1;
}

/* The builder's handler is not the forked child's. */
static int
handler_is_default(void *arg)
{
    (void)arg;
    struct sigaction sa;
    sigset_t mask;
    if (sigaction(SIGUSR1, NULL, &sa) < 0 || sa.sa_handler != SIG_DFL)
        return 1;
    if (sigprocmask(SIG_SETMASK, NULL, &mask) < 0 || sigismember(&mask, SIGUSR2))
        return 2;
    return getpgrp() == getpid() ? 7 : 3;
}

/* Children start with default handlers, nothing blocked, in a group of
 * their own; a forked function's return value is its exit status. */
static void
test_child_signals(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    assert_int_equal(sigaction(SIGUSR1, &sa, &old_sa), 0);
    sigset_t usr2, old_mask;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    assert_int_equal(sigprocmask(SIG_BLOCK, &usr2, &old_mask), 0);

    struct spawn_child c;
    assert_int_equal(spawn_fork_fn(handler_is_default, NULL, &c, &err), 0);
    assert_int_equal(spawn_reap(&c, true), 1);
    assert_true(WIFEXITED(c.status));
    assert_int_equal(WEXITSTATUS(c.status), 7);

    CLEANUP_FREE char *out = NULL;
    const char *argv[] = {"sh", "-c", "grep '^SigBlk' /proc/self/status", NULL};
    struct spawn_opts o = {.output = &out};
    assert_int_equal(spawn_run(argv, &o, &err), 0);
    assert_string_equal(out, "SigBlk:\t0000000000000000\n");

    assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
    assert_int_equal(sigaction(SIGUSR1, &old_sa, NULL), 0);
    assert_false(usr1_seen);
    assert_false(ab_error_is_set(&err));
}

#define MANY_CHILDREN 40

/* More children than the old table of 16 held: spawn_kill_all reaches
 * every one. */
static void
test_kill_all_reaches_every_child(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct spawn_child c[MANY_CHILDREN];
    const char *argv[] = {"sleep", "60", NULL};
    for (int i = 0; i < MANY_CHILDREN; i++)
        assert_int_equal(spawn_start(argv, NULL, 0, &c[i], &err), 0);
    spawn_kill_all(SIGTERM);
    for (int i = 0; i < MANY_CHILDREN; i++) {
        assert_int_equal(spawn_reap(&c[i], true), 1);
        assert_true(WIFSIGNALED(c[i].status));
        assert_int_equal(WTERMSIG(c[i].status), SIGTERM);
    }
    assert_false(ab_error_is_set(&err));
}

/* Command lines of any length: nothing is cut off. */
#define WORDS10 "w", "w", "w", "w", "w", "w", "w", "w", "w", "w"
static void
test_many_words(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(spawn_cmd(NULL, &err, "sh", "-c", "test $# = 70", "sh", WORDS10, WORDS10,
                               WORDS10, WORDS10, WORDS10, WORDS10, WORDS10, NULL),
                     0);
    CLEANUP_SPAWN_ARGV struct spawn_argv a = SPAWN_ARGV_INIT;
    spawn_argv_add(&a, "sh");
    spawn_argv_add(&a, "-c");
    spawn_argv_add(&a, "echo $#");
    spawn_argv_add(&a, "sh");
    for (int i = 0; i < 1000; i++)
        spawn_argv_add(&a, "w");
    assert_false(a.failed);
    CLEANUP_FREE char *out = NULL;
    struct spawn_opts o = {.output = &out};
    assert_int_equal(spawn_run(a.v, &o, &err), 0);
    assert_string_equal(out, "1000\n");
    assert_false(ab_error_is_set(&err));
}

/* opts->env replaces a variable of the same name; PATH among them is
 * the one searched. */
static void
test_env_replaces(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(setenv("APPLIANCE_TEST_OLD", "old", 1), 0);
    CLEANUP_FREE char *out = NULL;
    const char *env[] = {"APPLIANCE_TEST_OLD=new", NULL};
    const char *argv[] = {"sh", "-c",
                          "env | grep -c '^APPLIANCE_TEST_OLD='; "
                          "printf %s \"$APPLIANCE_TEST_OLD\"",
                          NULL};
    struct spawn_opts o = {.env = env, .output = &out};
    assert_int_equal(spawn_run(argv, &o, &err), 0);
    assert_string_equal(out, "1\nnew");
    unsetenv("APPLIANCE_TEST_OLD");

    const char *no_path[] = {"PATH=/nonexistent-appliance-dir", NULL};
    struct spawn_opts np = {.env = no_path};
    const char *t[] = {"true", NULL};
    assert_int_equal(spawn_run(t, &np, &err), -1);
    assert_string_equal(only_msg(&err), "cannot run 'true': No such file or directory");
    ab_error_release(&err);
}

/* After spawn_kill_all (an interrupt), nothing new starts. Last: it is
 * for good. */
static void
test_nothing_starts_after_kill_all(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    stop_request(SIGTERM);
    spawn_kill_all(SIGTERM);
    assert_int_equal(spawn_cmd(NULL, &err, "true", NULL), -1);
    assert_string_equal(only_msg(&err), "interrupted");
    ab_error_release(&err);
}

static void
test_have(void **state)
{
    (void)state;
    assert_true(spawn_have("sh"));
    assert_true(spawn_have("/bin/sh"));
    assert_false(spawn_have(NO_SUCH_PROGRAM));
    assert_false(spawn_have("/nonexistent/sh"));

    /* Searched in PATH, not elsewhere. */
    const char *old = getenv("PATH");
    CLEANUP_FREE char *saved = old ? strdup(old) : NULL;
    assert_int_equal(setenv("PATH", "/nonexistent-appliance-dir", 1), 0);
    assert_false(spawn_have("sh"));
    if (saved)
        assert_int_equal(setenv("PATH", saved, 1), 0);
    else
        assert_int_equal(unsetenv("PATH"), 0);
    assert_true(spawn_have("sh"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_exit_status_and_last_lines),
        cmocka_unit_test(test_killed_by_signal),
        cmocka_unit_test(test_stdout_capture),
        cmocka_unit_test(test_stdin_input),
        cmocka_unit_test(test_input_not_read),
        cmocka_unit_test(test_missing_program),
        cmocka_unit_test(test_env_and_cwd),
        cmocka_unit_test(test_log),
        cmocka_unit_test(test_two_contexts),
        cmocka_unit_test(test_context_env),
        cmocka_unit_test(test_have),
        cmocka_unit_test(test_secrets_redacted),
        cmocka_unit_test(test_cause_lines),
        cmocka_unit_test(test_no_fd_leaks),
        cmocka_unit_test(test_start_with_pipes),
        cmocka_unit_test(test_child_signals),
        cmocka_unit_test(test_kill_all_reaches_every_child),
        cmocka_unit_test(test_many_words),
        cmocka_unit_test(test_env_replaces),
        cmocka_unit_test(test_nothing_starts_after_kill_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
