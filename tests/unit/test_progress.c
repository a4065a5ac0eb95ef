/* test_progress.c: the progress display: sizes, bars, percent, rate
 * limiting, and what it writes on a terminal and elsewhere. */
#include "unit.h"

#include <math.h>
#include <time.h>

#include <json-c/json.h>

#include "appliance/clock.h"
#include "cli/progress.h"

#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

static double fake_now;

static double
fake_clock(void)
{
    return fake_now;
}

/* A display writing into a memory buffer, on a fake clock at 0. */
struct capture {
    struct progress p;
    char *text;
    size_t len;
    FILE *f;
};

static void
capture_open(struct capture *c, enum progress_form form, enum progress_level level)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
    progress_init(&c->p, c->f, form, level);
    fake_now = 0;
    c->p.clock = fake_clock;
    c->p.start = 0;
    c->p.columns = 200;
}

/* Everything written so far (owned by c). */
static const char *
capture_text(struct capture *c)
{
    assert_int_equal(fflush(c->f), 0);
    return c->text ? c->text : "";
}

static void
capture_close(struct capture *c)
{
    progress_release(&c->p);
    assert_int_equal(fclose(c->f), 0);
    free(c->text);
}

static size_t
count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *at = s; (at = strstr(at, needle)); at += strlen(needle))
        n++;
    return n;
}

static void
test_size(void **state)
{
    (void)state;
    char b[32];
    struct {
        uint64_t bytes;
        const char *text;
    } cases[] = {
        {0, "0 B"},
        {1023, "1023 B"},
        {1024, "1.0 KiB"},
        {1536, "1.5 KiB"},
        {812 * MiB, "812 MiB"},
        {1400 * MiB, "1.4 GiB"},
        {10 * MiB, "10 MiB"},
        {(uint64_t)(9.96 * MiB), "10 MiB"}, /* not "10.0 MiB" */
        {(uint64_t)(9.94 * MiB), "9.9 MiB"},
        {6 * GiB, "6.0 GiB"},
        {UINT64_MAX, "16 EiB"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        progress_size(cases[i].bytes, b, sizeof(b));
        assert_string_equal(b, cases[i].text);
    }
}

static void
test_bar(void **state)
{
    (void)state;
    char b[32];
    progress_bar(0, 12, b, sizeof(b));
    assert_string_equal(b, "[............]");
    progress_bar(0.58, 12, b, sizeof(b)); /* 6.96 cells: only whole ones */
    assert_string_equal(b, "[######......]");
    progress_bar(1, 12, b, sizeof(b));
    assert_string_equal(b, "[############]");
    progress_bar(-0.5, 4, b, sizeof(b));
    assert_string_equal(b, "[....]");
    progress_bar(7, 4, b, sizeof(b));
    assert_string_equal(b, "[####]");
    progress_bar(NAN, 4, b, sizeof(b));
    assert_string_equal(b, "[....]");
    progress_bar(0.5, 40, b, 10); /* does not fit: nothing, still a string */
    assert_string_equal(b, "");
}

static void
test_percent(void **state)
{
    (void)state;
    assert_int_equal(progress_percent(0, 0), -1);
    assert_int_equal(progress_percent(0, 10), 0);
    assert_int_equal(progress_percent(58, 100), 58);
    assert_int_equal(progress_percent(999, 1000), 99); /* rounded down: 100 only at the end */
    assert_int_equal(progress_percent(5, 5), 100);
    assert_int_equal(progress_percent(6, 5), 100);
    assert_int_equal(progress_percent(UINT64_MAX / 2, UINT64_MAX), 50);
    assert_int_equal(progress_percent(UINT64_MAX / 4, UINT64_MAX / 2), 50);
}

static void
test_bytes_text(void **state)
{
    (void)state;
    char b[128];
    progress_bytes_text("demo-os.vmdk", 812 * MiB, 1400 * MiB, 12, b, sizeof(b));
    assert_string_equal(b, "demo-os.vmdk  [######......]   58%  812 MiB/1.4 GiB");
    progress_bytes_text("demo-os.vmdk", 812 * MiB, 1400 * MiB, 0, b, sizeof(b));
    assert_string_equal(b, "demo-os.vmdk  58%  812 MiB/1.4 GiB");
    progress_bytes_text("demo-os.vmdk", 812 * MiB, 0, 12, b, sizeof(b));
    assert_string_equal(b, "demo-os.vmdk  812 MiB");
    progress_bytes_text("demo.ova", 0, 0, 12, b, sizeof(b)); /* a step begins */
    assert_string_equal(b, "demo.ova");
    progress_bytes_text("x", 1400 * MiB, 1400 * MiB, 4, b, sizeof(b));
    assert_string_equal(b, "x  [####]  100%  1.4 GiB/1.4 GiB");
}

static void
test_rate_due(void **state)
{
    (void)state;
    struct progress_rate r = {.step = -1};
    assert_true(progress_rate_due(&r, 0, 1000, 100.0));   /* the first */
    assert_false(progress_rate_due(&r, 50, 1000, 101.0)); /* same tenth */
    assert_false(progress_rate_due(&r, 99, 1000, 109.9));
    assert_true(progress_rate_due(&r, 100, 1000, 110.0)); /* a new tenth */
    assert_false(progress_rate_due(&r, 150, 1000, 115.0));
    assert_true(progress_rate_due(&r, 160, 1000, 120.0)); /* 10 s since the last */
    assert_false(progress_rate_due(&r, 300, 1000, 120.5)); /* new tenth, < 1 s after */
    assert_true(progress_rate_due(&r, 500, 1000, 121.0));  /* jumped tenths: once */
    assert_false(progress_rate_due(&r, 501, 1000, 121.5));
    assert_true(progress_rate_due(&r, 1000, 1000, 121.0));  /* the end */
    assert_false(progress_rate_due(&r, 1000, 1000, 140.0)); /* only once */

    struct progress_rate u = {.step = -1};
    assert_true(progress_rate_due(&u, 1, 0, 0.0)); /* unknown total: first, then time */
    assert_false(progress_rate_due(&u, 5 * GiB, 0, 9.9));
    assert_true(progress_rate_due(&u, 6 * GiB, 0, 10.0));
}

static void
test_fit(void **state)
{
    (void)state;
    char s[32];
    strcpy(s, "abcdef");
    progress_fit(s, 3);
    assert_string_equal(s, "abc");
    strcpy(s, "abc");
    progress_fit(s, 3);
    assert_string_equal(s, "abc");
    strcpy(s, "abc");
    progress_fit(s, 0);
    assert_string_equal(s, "abc");
    strcpy(s, "a\303\251bc"); /* "aébc": é is one character of two bytes */
    progress_fit(s, 2);
    assert_string_equal(s, "a\303\251");
}

/* Elsewhere: one line per stage; byte counts at every tenth only. */
static void
test_plain_lines(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_PLAIN, PROGRESS_NORMAL);
    fake_now = 1.0;
    progress_stage(&c.p, "export", "writing the outputs");
    for (uint64_t pct = 0; pct <= 100; pct++) {
        fake_now = 1.0 + (double)pct * 0.5;
        progress_bytes(&c.p, "demo-os.vmdk", pct * 14 * MiB, 1400 * MiB);
    }
    /* Tenths flying by within a second: not one line each. */
    for (uint64_t pct = 0; pct <= 100; pct++)
        progress_bytes(&c.p, "demo-app.vmdk", pct * 14 * MiB, 1400 * MiB);
    fake_now = 60;
    progress_notice(&c.p, "a notice");
    progress_stage_end(&c.p, 1.75);
    const char *t = capture_text(&c);
    assert_non_null(strstr(t, "[   1.0s] export       writing the outputs\n"));
    assert_non_null(strstr(t, "[   1.0s] export       demo-os.vmdk  0%  0 B/1.4 GiB\n"));
    assert_non_null(strstr(t, "[  26.0s] export       demo-os.vmdk  50%  700 MiB/1.4 GiB\n"));
    assert_non_null(strstr(t, "[  51.0s] export       demo-os.vmdk  100%  1.4 GiB/1.4 GiB\n"));
    assert_int_equal(count(t, "demo-os.vmdk"), 11); /* 0%, 10% ... 90%, 100% */
    assert_int_equal(count(t, "demo-app.vmdk"), 2); /* 0% and 100% */
    assert_non_null(strstr(t, "[  60.0s] notice: a notice\n"));
    assert_null(strchr(t, '\r'));
    assert_null(strchr(t, '\033'));
    capture_close(&c);
}

/* Two items written at once are rate-limited each on its own. */
static void
test_plain_parallel_items(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_PLAIN, PROGRESS_NORMAL);
    progress_stage(&c.p, "export", "writing the outputs");
    for (uint64_t pct = 0; pct <= 100; pct++) {
        fake_now = (double)pct;
        progress_bytes(&c.p, "demo-os.vmdk", pct, 100);
        progress_bytes(&c.p, "demo-app.vmdk", pct, 100);
    }
    const char *t = capture_text(&c);
    assert_int_equal(count(t, "demo-os.vmdk"), 11);
    assert_int_equal(count(t, "demo-app.vmdk"), 11);
    capture_close(&c);
}

/* A status line when the text changes, else every PROGRESS_PLAIN_EVERY s. */
static void
test_plain_status(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_PLAIN, PROGRESS_NORMAL);
    progress_stage(&c.p, "test", "booting (bios)");
    for (int s = 0; s <= 25; s++) {
        fake_now = s;
        progress_status(&c.p, s < 12 ? "" : "kernel started");
    }
    const char *t = capture_text(&c);
    assert_non_null(strstr(t, "[   0.0s] test         booting (bios)\n"));
    assert_non_null(strstr(t, "[  10.0s] test         booting (bios)  10s\n"));
    assert_non_null(strstr(t, "[  12.0s] test         booting (bios)  12s  kernel started\n"));
    assert_non_null(strstr(t, "[  22.0s] test         booting (bios)  22s  kernel started\n"));
    assert_int_equal(count(t, "\n"), 4); /* the stage, 10 s, 12 s, 22 s */
    capture_close(&c);
}

/* Elsewhere a stage that printed nothing for PROGRESS_PLAIN_QUIET seconds
 * says it goes on: a log never falls silent for a minute. */
static void
test_plain_never_silent(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_PLAIN, PROGRESS_NORMAL);
    fake_now = 0;
    progress_stage(&c.p, "os", "preparing the root tree");
    for (int s = 1; s <= 95; s++) {
        fake_now = s;
        progress_tick(&c.p);
    }
    const char *t = capture_text(&c);
    assert_non_null(strstr(t, "[  30.0s] os           preparing the root tree  30s\n"));
    assert_non_null(strstr(t, "[  60.0s] os           preparing the root tree  60s\n"));
    assert_non_null(strstr(t, "[  90.0s] os           preparing the root tree  90s\n"));
    assert_int_equal(count(t, "\n"), 4);
    capture_close(&c);

    /* Quiet: nothing at all. */
    capture_open(&c, PROGRESS_PLAIN, PROGRESS_QUIET);
    fake_now = 0;
    progress_stage(&c.p, "os", "preparing the root tree");
    fake_now = 100;
    progress_tick(&c.p);
    assert_string_equal(capture_text(&c), "");
    capture_close(&c);
}

/* On a terminal: the live line redrawn in place, ended with the duration. */
static void
test_tty_live_line(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_TERMINAL, PROGRESS_NORMAL);
    fake_now = 30.1;
    progress_stage(&c.p, "export", "writing the outputs");
    fake_now = 41.2;
    progress_bytes(&c.p, "demo-os.vmdk", 812 * MiB, 1400 * MiB);
    const char *t = capture_text(&c);
    assert_non_null(strstr(t, "\r[  30.1s] export       writing the outputs\033[K"));
    assert_non_null(strstr(t, "\r[  41.2s] export       demo-os.vmdk  [#########.......]   58%  "
                              "812 MiB/1.4 GiB\033[K"));
    assert_null(strchr(t, '\n'));
    fake_now = 41.25; /* too soon after the last redraw: none */
    size_t before = strlen(capture_text(&c));
    progress_bytes(&c.p, "demo-os.vmdk", 813 * MiB, 1400 * MiB);
    assert_int_equal(strlen(capture_text(&c)), before);
    fake_now = 45;
    progress_stage_end(&c.p, 14.9);
    t = capture_text(&c);
    assert_non_null(strstr(t, "\r[  45.0s] export       writing the outputs  14.9s\033[K\n"));
    capture_close(&c);
}

/* A step without byte counts shows its name and how long it has taken. */
static void
test_tty_step(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_TERMINAL, PROGRESS_NORMAL);
    progress_stage(&c.p, "export", "writing the outputs");
    fake_now = 2;
    progress_bytes(&c.p, "demo-os.qcow2", 0, 0);
    fake_now = 9.5;
    progress_bytes(&c.p, "demo-os.qcow2", 0, 0);
    const char *t = capture_text(&c);
    assert_non_null(strstr(t, "\r[   2.0s] export       demo-os.qcow2  0s\033[K"));
    assert_non_null(strstr(t, "\r[   9.5s] export       demo-os.qcow2  7s\033[K"));
    capture_close(&c);

    capture_open(&c, PROGRESS_PLAIN, PROGRESS_NORMAL);
    progress_stage(&c.p, "export", "writing the outputs");
    progress_bytes(&c.p, "demo-os.qcow2", 0, 0);
    progress_bytes(&c.p, "demo-os.qcow2", 0, 0);
    assert_string_equal(capture_text(&c), "[   0.0s] export       writing the outputs\n"
                                          "[   0.0s] export       demo-os.qcow2\n");
    capture_close(&c);
}

/* A notice goes above the live line, which is drawn again below it. */
static void
test_tty_notice_above(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_TERMINAL, PROGRESS_NORMAL);
    progress_stage(&c.p, "appliance", "waiting for LVM");
    fake_now = 8.4;
    progress_status(&c.p, NULL); /* redraws nothing: unchanged */
    progress_notice(&c.p, "root tree: from the cache");
    const char *t = capture_text(&c);
    assert_non_null(strstr(t, "\033[K\r\033[K[   8.4s] notice: root tree: from the cache\n"
                              "\r[   8.4s] appliance    waiting for LVM  8s\033[K"));
    capture_close(&c);
}

/* Lines are cut to the terminal's width, less one column. */
static void
test_tty_width(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_TERMINAL, PROGRESS_NORMAL);
    c.p.columns = 30;
    progress_stage(&c.p, "configure", "configuring the tree natively");
    const char *t = capture_text(&c);
    assert_string_equal(t, "\r[   0.0s] configure    config\033[K");
    capture_close(&c);
}

static void
test_quiet_and_verbose(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_TERMINAL, PROGRESS_QUIET);
    progress_stage(&c.p, "os", "preparing the root tree");
    progress_bytes(&c.p, "x", 1, 2);
    progress_notice(&c.p, "n");
    progress_line(&c.p, PROGRESS_VERBOSE, "+ sfdisk");
    progress_stage_end(&c.p, 1);
    assert_string_equal(capture_text(&c), "");
    capture_close(&c);

    capture_open(&c, PROGRESS_PLAIN, PROGRESS_NORMAL);
    progress_line(&c.p, PROGRESS_VERBOSE, "+ sfdisk");
    assert_string_equal(capture_text(&c), "");
    capture_close(&c);

    capture_open(&c, PROGRESS_PLAIN, PROGRESS_VERBOSE);
    progress_line(&c.p, PROGRESS_VERBOSE, "+ sfdisk %s", "os.img");
    assert_string_equal(capture_text(&c), "+ sfdisk os.img\n");
    capture_close(&c);
}

/* JSON byte counts: each new percent, at most every PROGRESS_JSON_MIN
 * seconds, and every PROGRESS_JSON_EVERY seconds whatever the count. */
static void
test_json_due(void **state)
{
    (void)state;
    struct progress_rate r = {.step = -1};
    assert_true(progress_json_due(&r, 0, 1000, 100.0));    /* the first */
    assert_false(progress_json_due(&r, 9, 1000, 100.5));   /* same percent */
    assert_true(progress_json_due(&r, 10, 1000, 100.6));   /* a new percent */
    assert_false(progress_json_due(&r, 30, 1000, 100.65)); /* new, < 0.1 s after */
    assert_true(progress_json_due(&r, 31, 1000, 100.7));
    assert_true(progress_json_due(&r, 31, 1000, 101.7)); /* 1 s since the last */
    assert_true(progress_json_due(&r, 1000, 1000, 101.71)); /* the end, at once */
    assert_false(progress_json_due(&r, 1000, 1000, 105.0)); /* only once */

    struct progress_rate u = {.step = -1};
    assert_true(progress_json_due(&u, 1, 0, 0.0)); /* unknown total: first, then time */
    assert_false(progress_json_due(&u, 5 * GiB, 0, 0.9));
    assert_true(progress_json_due(&u, 6 * GiB, 0, 1.0));
}

/* Every line of text is one JSON object with "event", "elapsed" and
 * "stage"; returns how many lines, and checks that there were lines. */
static size_t
json_lines(const char *text)
{
    size_t n = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        assert_non_null(end); /* each line ended */
        char *copy = strndup(line, (size_t)(end - line));
        assert_non_null(copy);
        json_object *o = json_tokener_parse(copy);
        if (!o || !json_object_is_type(o, json_type_object))
            fail_msg("not a JSON object: %s", copy);
        json_object *v;
        assert_true(json_object_object_get_ex(o, "event", &v));
        assert_true(json_object_is_type(v, json_type_string));
        assert_true(json_object_object_get_ex(o, "elapsed", &v));
        assert_true(json_object_is_type(v, json_type_double));
        assert_true(json_object_object_get_ex(o, "stage", &v)); /* a string or null */
        json_object_put(o);
        free(copy);
        line = end + 1;
        n++;
    }
    assert_true(n > 0);
    return n;
}

/* --progress=json: the same events as plain lines, as JSON objects. */
static void
test_json_events(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_JSON, PROGRESS_VERBOSE);
    fake_now = 1.0;
    progress_stage(&c.p, "export", "writing the \"outputs\"");
    progress_bytes(&c.p, "demo-os.vmdk", 0, 0); /* an item begins */
    for (uint64_t pct = 0; pct <= 100; pct++) {
        fake_now = 1.0 + (double)pct * 0.5;
        progress_bytes(&c.p, "demo-os.vmdk", pct * 14 * MiB, 1400 * MiB);
    }
    progress_bytes(&c.p, "tree.tar", 3 * MiB, 0); /* a total unknown */
    fake_now = 60.04;
    progress_status(&c.p, "kernel started");
    progress_notice(&c.p, "a notice");
    progress_line(&c.p, PROGRESS_VERBOSE, "+ sfdisk %s", "os.img");
    progress_stage_end(&c.p, 59.04);
    progress_release(&c.p);
    progress_done(&c.p, "output/demo-1.0.0");
    progress_interrupted(&c.p, "nothing was written to 'x'");
    const char *t = capture_text(&c);
    /* The stage; the item begun; 1% to 100% (0% came with the beginning's
     * 0 bytes at the same moment); tree.tar; status, notice, line,
     * stage-end; done, interrupted. */
    assert_int_equal(json_lines(t), 1 + 1 + 100 + 1 + 4 + 2);
    assert_non_null(strstr(t, "{\"event\":\"stage\",\"elapsed\":1.0,\"stage\":\"export\","
                              "\"what\":\"writing the \\\"outputs\\\"\"}\n"));
    assert_non_null(strstr(t, "{\"event\":\"bytes\",\"elapsed\":1.0,\"stage\":\"export\","
                              "\"item\":\"demo-os.vmdk\",\"done\":0,\"total\":null,"
                              "\"percent\":null}\n"));
    assert_non_null(strstr(t, "{\"event\":\"bytes\",\"elapsed\":26.0,\"stage\":\"export\","
                              "\"item\":\"demo-os.vmdk\",\"done\":734003200,"
                              "\"total\":1468006400,\"percent\":50}\n"));
    assert_non_null(strstr(t, "\"item\":\"demo-os.vmdk\",\"done\":1468006400,"
                              "\"total\":1468006400,\"percent\":100}\n"));
    assert_non_null(strstr(t, "\"item\":\"tree.tar\",\"done\":3145728,\"total\":null,"
                              "\"percent\":null}\n"));
    assert_non_null(strstr(t, "{\"event\":\"status\",\"elapsed\":60.0,\"stage\":\"export\","
                              "\"what\":\"writing the \\\"outputs\\\"\",\"seconds\":59,"
                              "\"status\":\"kernel started\"}\n"));
    assert_non_null(strstr(t, "{\"event\":\"notice\",\"elapsed\":60.0,\"stage\":\"export\","
                              "\"message\":\"a notice\"}\n"));
    assert_non_null(strstr(t, "{\"event\":\"line\",\"elapsed\":60.0,\"stage\":\"export\","
                              "\"text\":\"+ sfdisk os.img\"}\n"));
    assert_non_null(strstr(t, "{\"event\":\"stage-end\",\"elapsed\":60.0,\"stage\":\"export\","
                              "\"seconds\":59.0}\n"));
    assert_non_null(strstr(t, "{\"event\":\"done\",\"elapsed\":60.0,\"stage\":null,"
                              "\"output\":\"output/demo-1.0.0\"}\n"));
    assert_non_null(strstr(t, "{\"event\":\"interrupted\",\"elapsed\":60.0,\"stage\":null,"
                              "\"message\":\"nothing was written to 'x'\"}\n"));
    assert_null(strstr(t, "[ "));
    capture_close(&c);
}

/* JSON never falls silent either; quiet shows nothing but an interruption. */
static void
test_json_quiet_and_ticks(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_JSON, PROGRESS_NORMAL);
    progress_stage(&c.p, "os", "preparing the root tree");
    for (int s = 1; s <= 65; s++) {
        fake_now = s;
        progress_tick(&c.p);
    }
    progress_line(&c.p, PROGRESS_VERBOSE, "+ mmdebstrap"); /* not at this level */
    const char *t = capture_text(&c);
    assert_int_equal(json_lines(t), 3);
    assert_non_null(strstr(t, "{\"event\":\"status\",\"elapsed\":30.0,\"stage\":\"os\","
                              "\"what\":\"preparing the root tree\",\"seconds\":30,"
                              "\"status\":\"\"}\n"));
    assert_non_null(strstr(t, "\"seconds\":60,"));
    capture_close(&c);

    capture_open(&c, PROGRESS_JSON, PROGRESS_QUIET);
    progress_stage(&c.p, "os", "preparing the root tree");
    progress_bytes(&c.p, "x", 1, 2);
    progress_notice(&c.p, "n");
    fake_now = 100;
    progress_tick(&c.p);
    progress_stage_end(&c.p, 1);
    progress_done(&c.p, "out");
    assert_string_equal(capture_text(&c), "");
    progress_interrupted(&c.p, "stopped");
    assert_int_equal(json_lines(capture_text(&c)), 1);
    capture_close(&c);
}

/* The ticker redraws the live line on its own: the clock never stops. */
static void
test_ticker(void **state)
{
    (void)state;
    struct capture c;
    capture_open(&c, PROGRESS_TERMINAL, PROGRESS_NORMAL);
    c.p.clock = mono_now;
    c.p.start = c.p.clock();
    progress_stage(&c.p, "appliance", "waiting");
    assert_int_equal(progress_start_ticker(&c.p), 0);
    struct timespec t = {1, 300000000};
    nanosleep(&t, NULL);
    pthread_mutex_lock(&c.p.lock);
    fflush(c.f);
    size_t draws = count(c.text, "\r[");
    pthread_mutex_unlock(&c.p.lock);
    assert_true(draws >= 3); /* the stage's own draw and two ticks or more */
    capture_close(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_bar),
        cmocka_unit_test(test_percent),
        cmocka_unit_test(test_bytes_text),
        cmocka_unit_test(test_rate_due),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_plain_lines),
        cmocka_unit_test(test_plain_parallel_items),
        cmocka_unit_test(test_plain_status),
        cmocka_unit_test(test_plain_never_silent),
        cmocka_unit_test(test_tty_live_line),
        cmocka_unit_test(test_tty_step),
        cmocka_unit_test(test_tty_notice_above),
        cmocka_unit_test(test_tty_width),
        cmocka_unit_test(test_quiet_and_verbose),
        cmocka_unit_test(test_ticker),
        cmocka_unit_test(test_json_due),
        cmocka_unit_test(test_json_events),
        cmocka_unit_test(test_json_quiet_and_ticks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
