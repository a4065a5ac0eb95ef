/* progress.c: the live line on a terminal, plain lines elsewhere, JSON
 * events for programs. */
#include "progress.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "appliance/clock.h"

#define LINE_MAX_BYTES 512
#define BAR_CELLS 16
#define CLEAR_EOL "\033[K"

static const struct ab_enum_name form_names[] = {
    {PROGRESS_AUTO, "auto"},
    {PROGRESS_TERMINAL, "terminal"},
    {PROGRESS_PLAIN, "plain"},
    {PROGRESS_JSON, "json"},
};

const struct ab_enum_table progress_form_table = {
    form_names, sizeof(form_names) / sizeof(form_names[0]), 0};

/* ---- formatting ------------------------------------------------------- */

void
progress_size(uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, size, "%u B", (unsigned)bytes);
        return;
    }
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    if (v < 9.95)
        snprintf(buf, size, "%.1f %s", v, units[u]);
    else
        snprintf(buf, size, "%.0f %s", v, units[u]);
}

void
progress_bar(double fraction, unsigned cells, char *buf, size_t size)
{
    if (size < cells + 3) {
        if (size)
            buf[0] = '\0';
        return;
    }
    if (!(fraction > 0)) /* also NaN */
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    unsigned full = (unsigned)(fraction * cells); /* rounds down */
    buf[0] = '[';
    for (unsigned i = 0; i < cells; i++)
        buf[1 + i] = i < full ? '#' : '.';
    buf[cells + 1] = ']';
    buf[cells + 2] = '\0';
}

int
progress_percent(uint64_t done, uint64_t total)
{
    if (total == 0)
        return -1;
    if (done >= total)
        return 100;
    /* done * 100 may overflow for exabytes: divide first then. */
    if (done <= UINT64_MAX / 100)
        return (int)(done * 100 / total);
    return (int)(done / (total / 100));
}

void
progress_bytes_text(const char *what, uint64_t done, uint64_t total, unsigned bar_cells, char *buf,
                    size_t size)
{
    char d[32], t[32], bar[64] = "";
    if (total == 0 && done == 0) { /* a step that begins: its name only */
        snprintf(buf, size, "%s", what);
        return;
    }
    progress_size(done, d, sizeof(d));
    if (total == 0) {
        snprintf(buf, size, "%s  %s", what, d);
        return;
    }
    progress_size(total, t, sizeof(t));
    int pct = progress_percent(done, total);
    if (bar_cells) {
        progress_bar((double)done / (double)total, bar_cells, bar, sizeof(bar));
        snprintf(buf, size, "%s  %s  %3d%%  %s/%s", what, bar, pct, d, t);
    } else {
        snprintf(buf, size, "%s  %d%%  %s/%s", what, pct, d, t);
    }
}

/* How often a byte count is printed: at each new step of steps (of the
 * total), no sooner than min seconds after the last, and every seconds
 * after it whatever the count. */
struct pace {
    int steps;
    double min, every;
};

static bool
rate_due(struct progress_rate *r, const struct pace *pace, uint64_t done, uint64_t total,
         double now)
{
    int step = total ? progress_percent(done, total) * pace->steps / 100 : -1;
    bool due;
    if (total && done >= total)
        due = !r->finished;
    else if (r->printed == 0)
        due = true;
    else
        due = (step > r->step && now - r->last >= pace->min) || now - r->last >= pace->every;
    if (due) {
        r->step = step;
        r->last = now;
        r->finished = total && done >= total;
        r->printed++;
    }
    return due;
}

bool
progress_rate_due(struct progress_rate *r, uint64_t done, uint64_t total, double now)
{
    static const struct pace plain = {10, PROGRESS_PLAIN_MIN, PROGRESS_PLAIN_EVERY};
    return rate_due(r, &plain, done, total, now);
}

bool
progress_json_due(struct progress_rate *r, uint64_t done, uint64_t total, double now)
{
    static const struct pace json = {100, PROGRESS_JSON_MIN, PROGRESS_JSON_EVERY};
    return rate_due(r, &json, done, total, now);
}

void
progress_fit(char *line, unsigned columns)
{
    if (columns == 0)
        return;
    unsigned chars = 0;
    for (char *s = line; *s; s++) {
        /* Count lead bytes only: UTF-8 continuation bytes are 10xxxxxx. */
        if (((unsigned char)*s & 0xC0) == 0x80)
            continue;
        if (chars++ == columns) {
            *s = '\0';
            return;
        }
    }
}

/* ---- the display ------------------------------------------------------ */

void
progress_init(struct progress *p, FILE *out, enum progress_form form, enum progress_level level)
{
    memset(p, 0, sizeof(*p));
    p->out = out;
    p->tty = form == PROGRESS_TERMINAL;
    p->json = form == PROGRESS_JSON;
    p->level = level;
    p->clock = mono_now;
    p->start = p->clock();
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &attr);
    pthread_condattr_destroy(&attr);
    p->status_rate.step = -1;
}

static bool
shown(const struct progress *p)
{
    return p->level >= PROGRESS_NORMAL;
}

static unsigned
width(const struct progress *p)
{
    if (p->columns)
        return p->columns;
    struct winsize ws;
    if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* ---- JSON events ------------------------------------------------------- */

/* Seconds with one decimal, as the plain lines say them: 41.2, not
 * 41.200000000000003. */
static json_object *
seconds_json(double seconds)
{
    char text[32];
    snprintf(text, sizeof(text), "%.1f", seconds > 0 ? seconds : 0.0);
    return json_object_new_double_s(seconds > 0 ? seconds : 0.0, text);
}

/* A new event called name: "event", "elapsed" and "stage" (null outside
 * one); the caller adds its own keys, then emit() writes it. */
static json_object *
event_new(const struct progress *p, const char *name, double now)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "event", json_object_new_string(name));
    json_object_object_add(o, "elapsed", seconds_json(now - p->start));
    json_object_object_add(o, "stage", p->in_stage ? json_object_new_string(p->stage) : NULL);
    return o;
}

static void
add_string(json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value));
}

/* Writes the event as one line, and frees it. */
static void
emit(struct progress *p, json_object *o, double now)
{
    fprintf(p->out, "%s\n",
            json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                  JSON_C_TO_STRING_NOSLASHESCAPE));
    fflush(p->out);
    json_object_put(o);
    p->last_plain = now;
}

/* A byte count: "item", "done", "total" and "percent" (null when the
 * total is unknown). */
static void
emit_bytes(struct progress *p, const char *what, uint64_t done, uint64_t total, double now)
{
    json_object *o = event_new(p, "bytes", now);
    add_string(o, "item", what);
    json_object_object_add(o, "done", json_object_new_uint64(done));
    json_object_object_add(o, "total", total ? json_object_new_uint64(total) : NULL);
    json_object_object_add(o, "percent",
                           total ? json_object_new_int(progress_percent(done, total)) : NULL);
    emit(p, o, now);
}

/* The stage at work: "what", "seconds" in it and "status" (may be ""). */
static void
emit_status(struct progress *p, double now)
{
    json_object *o = event_new(p, "status", now);
    add_string(o, "what", p->what);
    json_object_object_add(o, "seconds", json_object_new_int64((int64_t)(now - p->stage_start)));
    add_string(o, "status", p->status);
    emit(p, o, now);
}

/* ---- the display, continued ------------------------------------------- */

/* "[  41.2s] export       " */
static int
prefix(const struct progress *p, char *buf, size_t size)
{
    return snprintf(buf, size, "[%6.1fs] %-12s ", p->clock() - p->start, p->stage);
}

/* The live line; final: the stage ended after seconds (< 0: unknown). */
static void
compose(const struct progress *p, bool final, double seconds, char *line, size_t size)
{
    int n = prefix(p, line, size);
    size_t used = n > 0 && (size_t)n < size ? (size_t)n : 0;
    double elapsed = p->clock() - p->stage_start;
    if (final && seconds >= 0)
        snprintf(line + used, size - used, "%s  %.1fs", p->what, seconds);
    else if (final)
        snprintf(line + used, size - used, "%s", p->what);
    else if (p->has_bytes && p->total == 0 && p->done == 0)
        snprintf(line + used, size - used, "%s  %lds", p->item,
                 (long)(p->clock() - p->item_start));
    else if (p->has_bytes)
        progress_bytes_text(p->item, p->done, p->total, BAR_CELLS, line + used, size - used);
    else if (elapsed >= 1)
        snprintf(line + used, size - used, "%s  %lds%s%s", p->what, (long)elapsed,
                 p->status[0] ? "  " : "", p->status);
    else
        snprintf(line + used, size - used, "%s", p->what);
}

/* Redraws the live line in place; with final it stays, ended by '\n'. */
static void
draw(struct progress *p, bool final, double seconds)
{
    if (!p->tty || !p->in_stage || !shown(p))
        return;
    char line[LINE_MAX_BYTES];
    compose(p, final, seconds, line, sizeof(line));
    unsigned cols = width(p);
    progress_fit(line, cols > 1 ? cols - 1 : cols);
    fprintf(p->out, "\r%s" CLEAR_EOL "%s", line, final ? "\n" : "");
    fflush(p->out);
    p->drawn = !final;
    p->last_draw = p->clock();
}

/* Takes the live line off the screen (to print above it). */
static void
erase(struct progress *p)
{
    if (p->tty && p->drawn) {
        fputs("\r" CLEAR_EOL, p->out);
        p->drawn = false;
    }
}

/* Ends the running stage's line where it is. */
static void
end_stage(struct progress *p)
{
    if (p->tty && p->drawn) {
        fputc('\n', p->out);
        fflush(p->out);
    }
    p->drawn = false;
    p->in_stage = false;
    p->has_bytes = false;
    p->status[0] = '\0';
    memset(p->items, 0, sizeof(p->items));
}

/* Under the lock: what a tick does. On a terminal the live line's clock
 * moves; elsewhere a stage that printed nothing for PROGRESS_PLAIN_QUIET
 * seconds says it is still at work, so that a log never falls silent. */
static void
tick_locked(struct progress *p)
{
    if (p->tty) {
        draw(p, false, -1);
        return;
    }
    double now = p->clock();
    if (!shown(p) || !p->in_stage || now - p->last_plain < PROGRESS_PLAIN_QUIET)
        return;
    if (p->json) {
        emit_status(p, now);
        return;
    }
    fprintf(p->out, "[%6.1fs] %-12s %s  %lds%s%s\n", now - p->start, p->stage, p->what,
            (long)(now - p->stage_start), p->status[0] ? "  " : "", p->status);
    fflush(p->out);
    p->last_plain = now;
}

void
progress_tick(struct progress *p)
{
    pthread_mutex_lock(&p->lock);
    tick_locked(p);
    pthread_mutex_unlock(&p->lock);
}

static void *
tick(void *arg)
{
    struct progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stopping) {
        struct timespec t = mono_deadline(PROGRESS_TICK);
        pthread_cond_timedwait(&p->wake, &p->lock, &t);
        if (!p->stopping)
            tick_locked(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int
progress_start_ticker(struct progress *p)
{
    if (!shown(p) || p->ticking)
        return 0;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int r = pthread_create(&p->ticker, NULL, tick, p);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        errno = r;
        return -1;
    }
    p->ticking = true;
    return 0;
}

void
progress_release(struct progress *p)
{
    pthread_mutex_lock(&p->lock);
    end_stage(p);
    p->stopping = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    if (p->ticking)
        pthread_join(p->ticker, NULL);
    p->ticking = false;
}

void
progress_stage(struct progress *p, const char *stage, const char *what)
{
    pthread_mutex_lock(&p->lock);
    end_stage(p);
    snprintf(p->stage, sizeof(p->stage), "%s", stage);
    snprintf(p->what, sizeof(p->what), "%s", what);
    p->stage_start = p->clock();
    p->in_stage = true;
    p->status_rate = (struct progress_rate){.step = -1, .last = p->stage_start};
    if (p->tty) {
        draw(p, false, -1);
    } else if (shown(p) && p->json) {
        json_object *o = event_new(p, "stage", p->stage_start);
        add_string(o, "what", what);
        emit(p, o, p->stage_start);
    } else if (shown(p)) {
        fprintf(p->out, "[%6.1fs] %-12s %s\n", p->stage_start - p->start, stage, what);
        fflush(p->out);
        p->last_plain = p->stage_start;
    }
    pthread_mutex_unlock(&p->lock);
}

void
progress_stage_end(struct progress *p, double seconds)
{
    pthread_mutex_lock(&p->lock);
    if (p->in_stage && p->json && shown(p)) {
        double now = p->clock();
        json_object *o = event_new(p, "stage-end", now);
        json_object_object_add(o, "seconds", seconds >= 0 ? seconds_json(seconds) : NULL);
        emit(p, o, now);
    } else if (p->in_stage) {
        draw(p, true, seconds);
    }
    end_stage(p);
    pthread_mutex_unlock(&p->lock);
}

static struct progress_rate *
item_rate(struct progress *p, const char *what)
{
    struct progress_rate *free_slot = NULL;
    for (int i = 0; i < PROGRESS_MAX_ITEMS; i++) {
        struct progress_rate *r = &p->items[i];
        if (r->used && strcmp(r->what, what) == 0)
            return r;
        if (!r->used && !free_slot)
            free_slot = r;
    }
    if (!free_slot) /* more at once than followed: reuse the first slot */
        free_slot = &p->items[0];
    *free_slot = (struct progress_rate){.step = -1, .used = true};
    snprintf(free_slot->what, sizeof(free_slot->what), "%s", what);
    return free_slot;
}

void
progress_bytes(struct progress *p, const char *what, uint64_t done, uint64_t total)
{
    pthread_mutex_lock(&p->lock);
    double now = p->clock();
    if (p->tty) {
        if (!p->has_bytes || strcmp(p->item, what) != 0)
            p->item_start = now;
        snprintf(p->item, sizeof(p->item), "%s", what);
        p->done = done;
        p->total = total;
        p->has_bytes = true;
        if (now - p->last_draw >= PROGRESS_REDRAW_MIN || (total && done >= total))
            draw(p, false, -1);
    } else if (p->json) {
        if (shown(p) && progress_json_due(item_rate(p, what), done, total, now))
            emit_bytes(p, what, done, total, now);
    } else if (shown(p) && progress_rate_due(item_rate(p, what), done, total, now)) {
        char line[LINE_MAX_BYTES];
        int n = prefix(p, line, sizeof(line));
        if (n > 0 && (size_t)n < sizeof(line))
            progress_bytes_text(what, done, total, 0, line + n, sizeof(line) - (size_t)n);
        fprintf(p->out, "%s\n", line);
        fflush(p->out);
        p->last_plain = now;
    }
    pthread_mutex_unlock(&p->lock);
}

void
progress_status(struct progress *p, const char *text)
{
    pthread_mutex_lock(&p->lock);
    double now = p->clock();
    bool changed = strcmp(p->status, text ? text : "") != 0;
    snprintf(p->status, sizeof(p->status), "%s", text ? text : "");
    if (p->tty) {
        if (changed)
            draw(p, false, -1);
    } else if (shown(p) && p->in_stage &&
               (changed || now - p->status_rate.last >= PROGRESS_PLAIN_EVERY)) {
        p->status_rate.last = now;
        p->status_rate.printed++;
        if (p->json) {
            emit_status(p, now);
            pthread_mutex_unlock(&p->lock);
            return;
        }
        fprintf(p->out, "[%6.1fs] %-12s %s  %lds%s%s\n", now - p->start, p->stage, p->what,
                (long)(now - p->stage_start), p->status[0] ? "  " : "", p->status);
        fflush(p->out);
        p->last_plain = now;
    }
    pthread_mutex_unlock(&p->lock);
}

static void __attribute__((format(printf, 3, 0)))
vline(struct progress *p, enum progress_level level, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&p->lock);
    if (p->level >= level && p->json) {
        char *text = NULL;
        if (vasprintf(&text, fmt, ap) >= 0) {
            double now = p->clock();
            json_object *o = event_new(p, "line", now);
            add_string(o, "text", text);
            emit(p, o, now);
        }
        free(text);
    } else if (p->level >= level) {
        erase(p);
        vfprintf(p->out, fmt, ap);
        fputc('\n', p->out);
        p->last_plain = p->clock();
        draw(p, false, -1);
        fflush(p->out);
    }
    pthread_mutex_unlock(&p->lock);
}

void
progress_line(struct progress *p, enum progress_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(p, level, fmt, ap);
    va_end(ap);
}

/* An event of name with one string, key: value, at level or above. */
static void
event_one(struct progress *p, enum progress_level level, const char *name, const char *key,
          const char *value)
{
    pthread_mutex_lock(&p->lock);
    if (p->level >= level) {
        double now = p->clock();
        json_object *o = event_new(p, name, now);
        add_string(o, key, value);
        emit(p, o, now);
    }
    pthread_mutex_unlock(&p->lock);
}

void
progress_notice(struct progress *p, const char *message)
{
    if (p->json)
        event_one(p, PROGRESS_NORMAL, "notice", "message", message);
    else
        progress_line(p, PROGRESS_NORMAL, "[%6.1fs] notice: %s", p->clock() - p->start, message);
}

void
progress_break(struct progress *p)
{
    pthread_mutex_lock(&p->lock);
    end_stage(p);
    pthread_mutex_unlock(&p->lock);
}

void
progress_done(struct progress *p, const char *output)
{
    if (p->json)
        event_one(p, PROGRESS_NORMAL, "done", "output", output);
    else
        progress_line(p, PROGRESS_NORMAL, "[%6.1fs] done: %s", p->clock() - p->start, output);
}

void
progress_interrupted(struct progress *p, const char *message)
{
    if (p->json)
        event_one(p, PROGRESS_QUIET, "interrupted", "message", message);
    else
        progress_line(p, PROGRESS_QUIET, "appliance: interrupted: %s", message);
}
