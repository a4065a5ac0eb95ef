/* test_options.c: the command-line grammar of builder/cli/options.c:
 * edit distance, did-you-mean, parsing from a table, --help from it,
 * --set and --werror, warnings reported as text and as JSON. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"

static void
test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(cli_edit_distance("build", "build"), 0);
    assert_int_equal(cli_edit_distance("buidl", "build"), 1); /* a swap */
    assert_int_equal(cli_edit_distance("biuld", "build"), 1);
    assert_int_equal(cli_edit_distance("bild", "build"), 1);
    assert_int_equal(cli_edit_distance("buildd", "build"), 1);
    assert_int_equal(cli_edit_distance("bxild", "build"), 1);
    assert_int_equal(cli_edit_distance("", "abc"), 3);
    assert_int_equal(cli_edit_distance("kitten", "sitting"), 3);
}

static const char *const commands[] = {"validate", "plan",   "build",  "inspect", "deploy",
                                       "test",     "convert", "resize", "schema",  "help"};
#define N (sizeof(commands) / sizeof(commands[0]))

/* The one suggestion for word, or NULL. */
static const char *
one(const char *word)
{
    const char *out[4];
    size_t k = cli_suggest(word, commands, N, out, 4);
    return k == 1 ? out[0] : NULL;
}

static void
test_suggest(void **state)
{
    (void)state;
    assert_string_equal(one("buidl"), "build");
    assert_string_equal(one("tset"), "test");
    assert_string_equal(one("inpsect"), "inspect");
    assert_string_equal(one("valdiate"), "validate");
    assert_string_equal(one("conv"), "convert"); /* a prefix */
    assert_string_equal(one("plna"), "plan");
    assert_null(one("frobnicate"));
    assert_null(one("x"));
    /* Two at the same distance: both. */
    const char *const names[] = {"test", "task", "memory"};
    const char *out[4];
    assert_int_equal(cli_suggest("tast", names, 3, out, 4), 2);
    assert_string_equal(out[0], "test");
    assert_string_equal(out[1], "task");
    assert_null(out[2]);
}

enum { OPT_SIZE = 's', OPT_START = CLI_OPT_FIRST };

static const struct cli_option options[] = {
    {OPT_SIZE, 's', "size", "SIZE", "the new size\nsecond line", NULL},
    {OPT_START, 0, "start", NULL, "start it", NULL},
    {CLI_OPT_LOG, 0, "old-log", "FILE", NULL, "log"},
    CLI_PROGRESS_OPTION,
    {0, 0, NULL, NULL, NULL, NULL},
};

static const struct cli_command command = {"demo", "Usage: appliance demo X\n", options,
                                           "Exit status: 0.\n"};

struct seen {
    const char *size;
    int start;
};

static int
on_option(void *ctx, int id, const char *arg)
{
    struct seen *s = ctx;
    if (id == OPT_SIZE)
        s->size = arg;
    else if (id == OPT_START)
        s->start++;
    else
        return -1;
    return 0;
}

/* getopt permutes argv: a writable copy of words, kept until the next
 * call (c->args points into it). */
static char *copies[16];

static int
parse(struct cli *c, struct seen *s, const char *const *words)
{
    static char *argv[16];
    int argc = 0;
    for (; words[argc]; argc++) {
        free(copies[argc]);
        argv[argc] = copies[argc] = strdup(words[argc]);
    }
    argv[argc] = NULL;
    memset(s, 0, sizeof(*s));
    return cli_parse(c, &command, argc, argv, on_option, s);
}

static void
test_parse(void **state)
{
    (void)state;
    struct cli c;
    struct seen s;
    const char *const a1[] = {"demo", "-s", "8GiB", "--start", "-q", "--log", "f", "x", NULL};
    assert_int_equal(parse(&c, &s, a1), -1);
    assert_string_equal(s.size, "8GiB");
    assert_int_equal(s.start, 1);
    assert_int_equal(c.level, CLI_QUIET);
    assert_false(c.json);
    assert_false(c.json_diags);
    assert_int_equal(c.progress, PROGRESS_AUTO);
    assert_string_equal(c.log_path, "f");
    assert_int_equal(c.n_args, 1);
    assert_string_equal(c.args[0], "x");

    const char *const a2[] = {"demo", "x", "--json", "-v", "--old-log", "g", NULL};
    assert_int_equal(parse(&c, &s, a2), -1);
    assert_true(c.json);
    assert_int_equal(c.level, CLI_VERBOSE);
    assert_string_equal(c.log_path, "g"); /* an alias reaches the same option */
    cli_release(&c, 0);

    const char *const a3[] = {"demo", "-q", "-v", "x", NULL};
    assert_int_equal(parse(&c, &s, a3), 2);
    const char *const a4[] = {"demo", "--sise", "1", NULL};
    assert_int_equal(parse(&c, &s, a4), 2);
    const char *const a5[] = {"demo", "-x", NULL};
    assert_int_equal(parse(&c, &s, a5), 2);
    const char *const a6[] = {"demo", "--s", "1", NULL}; /* --size or --start */
    assert_int_equal(parse(&c, &s, a6), 2);
    const char *const a7[] = {"demo", "--siz", "1", NULL}; /* an unambiguous prefix */
    assert_int_equal(parse(&c, &s, a7), -1);
    assert_string_equal(s.size, "1");

    /* --progress: its form; json makes the errors on stderr JSON too,
     * and leaves stdout's result alone. */
    const char *const a8[] = {"demo", "--progress=json", "x", NULL};
    assert_int_equal(parse(&c, &s, a8), -1);
    assert_int_equal(c.progress, PROGRESS_JSON);
    assert_true(c.json_diags);
    assert_false(c.json);
    assert_int_equal(cli_progress_form(&c), PROGRESS_JSON);
    const char *const a9[] = {"demo", "--progress", "plain", "-j", NULL};
    assert_int_equal(parse(&c, &s, a9), -1);
    assert_int_equal(c.progress, PROGRESS_PLAIN);
    assert_true(c.json && c.json_diags);
    cli_release(&c, 0);
    const char *const a10[] = {"demo", "--progress=xml", NULL};
    assert_int_equal(parse(&c, &s, a10), 2);
}

static void
test_help(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    cli_help(&command, f);
    fclose(f);
    assert_non_null(strstr(text, "Usage: appliance demo X\n\nOptions:\n"));
    assert_non_null(strstr(text, "\n  -s, --size SIZE         the new size\n"
                                 "                          second line\n"));
    assert_non_null(strstr(text, "\n      --start             start it\n"));
    assert_null(strstr(text, "old-log")); /* hidden: no help line */
    assert_non_null(strstr(text, "\n  -j, --json  "));
    assert_non_null(strstr(text, "\n  -q, --quiet  "));
    assert_non_null(strstr(text, "\n  -v, --verbose  "));
    assert_non_null(strstr(text, "\n      --log FILE  "));
    assert_non_null(strstr(text, "\n  -h, --help  "));
    assert_non_null(strstr(text, "\nExit status: 0.\n"));
    free(text);
}

static void
test_recipe_option(void **state)
{
    (void)state;
    struct cli_recipe_opts o = {0};
    assert_int_equal(cli_recipe_option(&o, "plan", CLI_OPT_SET, "os.hostname=web1"), 0);
    assert_int_equal(cli_recipe_option(&o, "plan", CLI_OPT_SET, "name=a=b"), 0);
    assert_int_equal(cli_recipe_option(&o, "plan", CLI_OPT_WERROR, NULL), 0);
    assert_int_equal(o.n_set, 2);
    assert_string_equal(o.set[0], "os.hostname=web1");
    assert_string_equal(o.set[1], "name=a=b");
    assert_true(o.werror);
    assert_int_equal(cli_recipe_option(&o, "plan", CLI_OPT_SET, "bogus"), 2);
    assert_int_equal(cli_recipe_option(&o, "plan", CLI_OPT_SET, "=x"), 2);
    assert_int_equal(o.n_set, 2);
    assert_int_equal(cli_recipe_option(&o, "plan", 'o', "x"), -1); /* not one of them */
    cli_recipe_opts_release(&o);
    assert_null(o.set);
}

/* What cli_report_warnings_to() and cli_release() print on stderr for one
 * warning, as a string. */
static char *
stderr_of_warnings(struct cli *c, bool as_errors, int *status)
{
    struct ab_error w = AB_ERROR_INIT;
    struct ab_pos pos = {"r.yaml", 7, 13};
    ab_warn(&w, &pos, "locale '%s' is not UTF-8", "en_US");
    char path[] = "/tmp/test_options.XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    *status = cli_report_warnings_to(c, &w, as_errors);
    *status = cli_release(c, *status);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ab_error_release(&w);
    char *text = calloc(1, 4096);
    assert_non_null(text);
    assert_true(pread(fd, text, 4095, 0) >= 0);
    close(fd);
    unlink(path);
    return text;
}

static void
test_warnings(void **state)
{
    (void)state;
    struct cli c = {.level = CLI_QUIET}; /* -q does not hide a warning */
    int status;
    char *text = stderr_of_warnings(&c, false, &status);
    assert_int_equal(status, 0);
    assert_string_equal(text, "r.yaml:7:13: warning: locale 'en_US' is not UTF-8\n");
    free(text);
    text = stderr_of_warnings(&c, true, &status);
    assert_int_equal(status, 3);
    assert_string_equal(text, "r.yaml:7:13: error: locale 'en_US' is not UTF-8 (--werror)\n");
    free(text);

    c.json_diags = true; /* -j, or --progress=json: stderr is the same */
    text = stderr_of_warnings(&c, false, &status);
    assert_int_equal(status, 0);
    assert_string_equal(text, "{\"errors\":[],\"warnings\":[{\"file\":\"r.yaml\",\"line\":7,"
                              "\"column\":13,\"code\":\"warning\",\"message\":\"locale 'en_US' is "
                              "not UTF-8\"}]}\n");
    free(text);
    text = stderr_of_warnings(&c, true, &status);
    assert_int_equal(status, 3);
    assert_string_equal(text, "{\"errors\":[{\"file\":\"r.yaml\",\"line\":7,\"column\":13,"
                              "\"code\":\"recipe\",\"message\":\"locale 'en_US' is not UTF-8 "
                              "(--werror)\"}]}\n");
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_recipe_option),
        cmocka_unit_test(test_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
