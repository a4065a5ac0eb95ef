/* unit.h: helpers shared by the unit tests (cmocka).
 *
 * Tests that parse recipes run inside a fresh temporary folder (see
 * unit_enter_tmpdir), so a recipe is named "recipe.yaml" in diagnostics
 * and its relative paths resolve inside that folder. */
#ifndef APPLIANCE_TEST_UNIT_H
#define APPLIANCE_TEST_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/recipe.h"

#define UNIT_RECIPE "recipe.yaml"

static char unit_tmpdir[PATH_MAX];
static char unit_oldcwd[PATH_MAX];

/* Group setup: makes a temporary folder and enters it. */
static inline int
unit_enter_tmpdir(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(unit_tmpdir, sizeof(unit_tmpdir), "%s/appliance-unit-XXXXXX", base);
    if (!getcwd(unit_oldcwd, sizeof(unit_oldcwd)) || !mkdtemp(unit_tmpdir) ||
        chdir(unit_tmpdir) < 0)
        return -1;
    return 0;
}

static inline int
unit_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Group teardown: leaves and removes the temporary folder. */
static inline int
unit_leave_tmpdir(void **state)
{
    (void)state;
    if (chdir(unit_oldcwd) < 0)
        return -1;
    return nftw(unit_tmpdir, unit_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to path (relative to the temporary folder). */
static inline void
unit_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* The 1-based column of the first needle on 1-based line of text. */
static inline unsigned
col_of(const char *text, unsigned line, const char *needle)
{
    for (unsigned l = 1; l < line; l++) {
        text = strchr(text, '\n');
        assert_non_null(text);
        text++;
    }
    const char *end = strchr(text, '\n');
    const char *hit = strstr(text, needle);
    assert_non_null(hit);
    assert_true(!end || hit < end);
    return (unsigned)(hit - text) + 1;
}

/* Every diagnostic of err as the CLI prints them, sorted; to be freed.
 * (Not inlined: GCC 12 then takes the result for a dangling pointer.) */
static __attribute__((noinline, unused)) char *
unit_error_text(struct ab_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    ab_error_sort(err);
    ab_error_write(err, f);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* Fails the test unless rc is 0, printing err's diagnostics first;
 * releases err either way. */
static inline void
unit_check_ok(int rc, struct ab_error *err)
{
    if (rc < 0) {
        char *msg = unit_error_text(err);
        print_error("%s", msg);
        free(msg);
    }
    ab_error_release(err);
    assert_int_equal(rc, 0);
}

static inline struct recipe *
unit_parse(const char *text, struct ab_error *err)
{
    return recipe_parse_buffer(UNIT_RECIPE, text, strlen(text), err);
}

/* Parses and plans text for arch (0: the first it lists), which must be
 * valid; fails the test otherwise. */
static inline const struct plan *
unit_plan_arch(const char *text, enum arch arch)
{
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = unit_parse(text, &err);
    const struct plan *p = r ? plan_new_arch(r, arch, &err) : NULL;
    if (!p) {
        char *msg = unit_error_text(&err);
        print_error("%s", msg);
        free(msg);
    }
    ab_error_release(&err);
    assert_non_null(p);
    return p;
}

/* Parses and plans text, which must be valid; fails the test otherwise. */
static inline const struct plan *
unit_plan(const char *text)
{
    return unit_plan_arch(text, 0);
}

/* Parses and plans text, which must be refused; returns the diagnostics
 * as the CLI prints them (to be freed) and the exit status in *status. */
static inline char *
unit_plan_errors(const char *text, int *status)
{
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = unit_parse(text, &err);
    const struct plan *p = r ? plan_new(r, &err) : NULL;
    assert_null(p);
    assert_true(err.n_diags > 0);
    if (status)
        *status = ab_error_exit_status(&err);
    char *msg = unit_error_text(&err);
    ab_error_release(&err);
    return msg;
}

/* The whole of what a FILE writer produces, as a string to be freed.
 * (Not inlined: GCC 12 then takes the result for a dangling pointer.) */
static __attribute__((noinline, unused)) char *
unit_capture(int (*write)(const struct plan *, FILE *), const struct plan *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(write(p, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(strlen(text), len);
    return text;
}

/* ---- namespaces ----------------------------------------------------------- */

/* Makes this process root of a new user namespace, its own uid and gid
 * mapped to 0 (more: other CLONE_* flags to unshare with it, CLONE_NEWNS
 * for a mount namespace of its own): 0, or -1 with errno set. */
static __attribute__((unused)) int
unit_enter_user_namespace(int more)
{
    char map[64];
    unsigned ids[2] = {(unsigned)geteuid(), (unsigned)getegid()};
    if (unshare(CLONE_NEWUSER | more) < 0)
        return -1;
    int fd = open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "deny", 4) != 4)
        return -1;
    close(fd);
    static const char *const files[2] = {"/proc/self/uid_map", "/proc/self/gid_map"};
    for (int i = 0; i < 2; i++) {
        int n = snprintf(map, sizeof(map), "0 %u 1", ids[i]);
        if ((fd = open(files[i], O_WRONLY | O_CLOEXEC)) < 0 || write(fd, map, (size_t)n) != n)
            return -1;
        close(fd);
    }
    return 0;
}

/* Runs fn(out, arg) in a forked child, which may change its namespaces
 * freely, and returns what it wrote to out (malloc'd). */
static __attribute__((unused)) char *
unit_in_child(void (*fn)(FILE *out, void *arg), void *arg)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        FILE *out = fdopen(p[1], "w");
        if (out) {
            fn(out, arg);
            fclose(out);
        }
        _exit(0);
    }
    close(p[1]);
    char *got = calloc(1, 8192);
    assert_non_null(got);
    size_t len = 0;
    ssize_t n;
    while (len < 8191 && (n = read(p[0], got + len, 8191 - len)) > 0)
        len += (size_t)n;
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return got;
}

/* The repository's top: $TOP (tests/run-tests), else where we started. */
static __attribute__((unused)) const char *
unit_top_dir(void)
{
    const char *top = getenv("TOP");
    return top && *top ? top : unit_oldcwd;
}

/* ---- skips: tests/run-tests shows them as SKIP, with the reason ----------
 *
 * A check that cannot run here is never passed silently. unit_skip()
 * prints "skip - REASON" (tests/run-tests collects these lines) and ends
 * the current test as skipped (cmocka's skip(): "[  SKIPPED ]").
 * unit_skip_part() prints the same line once per call site and lets the
 * test go on: for a few checks left out of a test that otherwise runs. */
static __attribute__((unused, format(printf, 1, 0))) void
unit_skip_message(const char *fmt, va_list ap)
{
    char reason[1024];
    vsnprintf(reason, sizeof(reason), fmt, ap);
    print_message("skip - %s\n", reason);
}

static __attribute__((unused, format(printf, 1, 2))) void
unit_skip_print(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    unit_skip_message(fmt, ap);
    va_end(ap);
}

#define unit_skip(...)                                                                             \
    do {                                                                                           \
        unit_skip_print(__VA_ARGS__);                                                              \
        skip();                                                                                    \
    } while (0)

#define unit_skip_part(...)                                                                        \
    do {                                                                                           \
        static int unit_skip_said_;                                                                \
        if (!unit_skip_said_++)                                                                    \
            unit_skip_print(__VA_ARGS__);                                                          \
    } while (0)

/* Whether PROGRAM is on PATH. */
static __attribute__((unused)) int
unit_have(const char *program)
{
    char cmd[512];
    if (snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", program) >= (int)sizeof(cmd))
        return 0;
    return system(cmd) == 0;
}

/* Skips the current test unless PROGRAM is on PATH. */
#define unit_need(program)                                                                         \
    do {                                                                                           \
        if (!unit_have(program))                                                                   \
            unit_skip("%s is not installed", (program));                                           \
    } while (0)

/* The DMTF OVF schema is third-party: it is found only through
 * $OVF_SCHEMA_DIR (the folder holding dsp8023_1.1.1.xsd and the schemas it
 * imports). Returns its path, or NULL with the reason in *why. */
#define UNIT_OVF_SCHEMA_FILE "dsp8023_1.1.1.xsd"
#define UNIT_OVF_SCHEMA_WHERE "DMTF DSP8023, https://www.dmtf.org/dsp/DSP8023, set OVF_SCHEMA_DIR"

static __attribute__((unused)) const char *
unit_ovf_schema(const char **why)
{
    static char path[PATH_MAX], reason[PATH_MAX + 256];
    const char *dir = getenv("OVF_SCHEMA_DIR");
    if (!dir || !*dir) {
        snprintf(reason, sizeof(reason),
                 "no DMTF OVF schema: OVF_SCHEMA_DIR is not set (" UNIT_OVF_SCHEMA_WHERE ")");
    } else if (snprintf(path, sizeof(path), "%s/" UNIT_OVF_SCHEMA_FILE, dir) >= (int)sizeof(path) ||
               access(path, R_OK) != 0) {
        snprintf(reason, sizeof(reason),
                 "no DMTF OVF schema: no readable " UNIT_OVF_SCHEMA_FILE
                 " in OVF_SCHEMA_DIR='%s' (" UNIT_OVF_SCHEMA_WHERE ")",
                 dir);
    } else {
        return path;
    }
    if (why)
        *why = reason;
    return NULL;
}

/* The whole of a file as a string to be freed (its length in *len when
 * len is set), or NULL if it cannot be read. */
static __attribute__((noinline, unused)) char *
unit_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    assert_non_null(m);
    int c;
    while ((c = getc(f)) != EOF)
        putc(c, m);
    fclose(f);
    assert_int_equal(fclose(m), 0);
    if (len)
        *len = n;
    return text;
}

/* The file got must equal the golden file TOP/golden byte for byte; with
 * the environment variable update set to 1, got replaces the golden first
 * (read the diff before committing it). */
static __attribute__((unused)) void
unit_assert_golden(const char *got_path, const char *golden, const char *update)
{
    char path[PATH_MAX];
    assert_true(snprintf(path, sizeof(path), "%s/%s", unit_top_dir(), golden) < (int)sizeof(path));
    size_t got_len = 0, want_len = 0;
    char *got = unit_slurp(got_path, &got_len);
    assert_non_null(got);
    const char *u = getenv(update);
    if (u && strcmp(u, "1") == 0) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(got, 1, got_len, f), got_len);
        assert_int_equal(fclose(f), 0);
    }
    char *want = unit_slurp(path, &want_len);
    if (!want)
        print_error("no golden file '%s' (%s=1 writes it)\n", path, update);
    assert_non_null(want);
    if (got_len != want_len || memcmp(got, want, got_len) != 0)
        print_error("'%s' differs from golden '%s' (%s=1 rewrites it)\n", got_path, path, update);
    assert_string_equal(got, want);
    assert_int_equal(got_len, want_len);
    free(got);
    free(want);
}

#endif
