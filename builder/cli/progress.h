/* progress.h: what a long command shows on stderr while it works.
 *
 * On a terminal, the running stage has one live line, redrawn in place
 * ("\r", the line, "\033[K", cut to the terminal's width):
 *
 *   [  41.2s] export       demo-os.vmdk  [#######.....]  58%  812 MiB/1.4 GiB
 *   [  18.0s] appliance    waiting for LVM in the appliance  8s
 *
 * the time since the command started, the stage, what it does, and either
 * a bar for byte counts or the stage's own elapsed time. A ticker thread
 * redraws it twice a second, so the clock never stops. When the stage
 * ends its line stays, with the stage's duration; notices and echoed
 * commands are printed as whole lines above the live one.
 *
 * Elsewhere (a pipe, a log file) every line is printed once, as
 *
 *   [  30.1s] export       writing the outputs
 *   [  41.2s] export       demo-os.vmdk  58%  812 MiB/1.4 GiB
 *
 * with byte counts at most at every tenth of the total or every
 * PROGRESS_PLAIN_EVERY seconds, and status lines when their text changes
 * or every PROGRESS_PLAIN_EVERY seconds.
 *
 * For a program reading it (--progress=json), the same events as JSON,
 * one object a line, each with "event", "elapsed" (seconds since the
 * command began) and "stage" (null outside a stage):
 *
 *   {"event":"stage","elapsed":30.1,"stage":"export","what":"writing the outputs"}
 *   {"event":"bytes","elapsed":41.2,"stage":"export","item":"demo-os.vmdk",
 *    "done":851443712,"total":1503238553,"percent":56}
 *   {"event":"status","elapsed":50.0,"stage":"test","what":"bios","seconds":8,"status":"kernel started"}
 *   {"event":"stage-end","elapsed":62.0,"stage":"export","seconds":31.9}
 *   {"event":"notice","elapsed":1.0,"stage":"cache","message":"..."}
 *   {"event":"line","elapsed":1.0,"stage":"build","text":"..."}
 *   {"event":"done","elapsed":98.2,"stage":null,"output":"output/demo-1.0.0"}
 *   {"event":"interrupted","elapsed":12.0,"stage":null,"message":"..."}
 *
 * "total" and "percent" are null when the total is unknown; "done" and
 * "total" both 0 mark an item that begins. Byte counts come at each new
 * percent (at most every PROGRESS_JSON_MIN seconds) and every
 * PROGRESS_JSON_EVERY seconds; status lines as on plain output.
 *
 * Every call is thread-safe: build events come from several threads. */
#ifndef APPLIANCE_PROGRESS_H
#define APPLIANCE_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "appliance/enums.h"

/* Where the display goes: a terminal's live line, plain lines, or JSON. */
enum progress_form {
    PROGRESS_AUTO,     /* the command's choice: a terminal's, else plain */
    PROGRESS_TERMINAL, /* the live line */
    PROGRESS_PLAIN,    /* timestamped lines */
    PROGRESS_JSON,     /* one JSON object a line */
};

/* The forms' names, for --progress (its parser, help and completion). */
extern const struct ab_enum_table progress_form_table;

enum progress_level {
    PROGRESS_QUIET,   /* nothing: errors are the caller's to print */
    PROGRESS_NORMAL,  /* stages, progress, notices */
    PROGRESS_VERBOSE, /* and every command line echoed */
};

/* Seconds between two plain lines of the same byte count or status. */
#define PROGRESS_PLAIN_EVERY 10.0
/* ... but a new tenth no sooner than this after the last line (a sparse
 * disk's holes fly by). */
#define PROGRESS_PLAIN_MIN 1.0
/* Plain lines: a stage silent this long prints a line saying it goes on. */
#define PROGRESS_PLAIN_QUIET 30.0
/* JSON: byte counts at each new percent, no sooner than this after the
 * last event of the item ... */
#define PROGRESS_JSON_MIN 0.1
/* ... and this long after it even without a new percent. */
#define PROGRESS_JSON_EVERY 1.0
/* Seconds between two redraws of the live line by the ticker. */
#define PROGRESS_TICK 0.5
/* Seconds between two redraws caused by progress events. */
#define PROGRESS_REDRAW_MIN 0.1
/* Byte counts followed at once (parallel writers), each rate-limited. */
#define PROGRESS_MAX_ITEMS 8

/* Rate limiting of one byte count or status on plain or JSON output. */
struct progress_rate {
    char what[96];
    unsigned printed; /* lines printed so far */
    int step;         /* tenth (plain) or percent (JSON) of the total at the
                       * last line; -1: unknown */
    double last;      /* when the last line was printed */
    bool finished;    /* done == total was printed */
    bool used;        /* the slot follows an item */
};

struct progress {
    FILE *out;
    bool tty;  /* live line */
    bool json; /* JSON events (neither: plain lines) */
    enum progress_level level;
    unsigned columns;      /* width to cut lines to; 0: ask the terminal */
    double (*clock)(void); /* seconds, monotonic (tests replace it) */
    double start;

    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t ticker;
    bool ticking, stopping;

    /* The live line. */
    bool in_stage, drawn;
    char stage[24], what[160], status[160];
    double stage_start, last_draw;
    double last_plain; /* when the last plain line was printed */
    char item[96]; /* the newest byte count: what, done, total */
    uint64_t done, total;
    double item_start;          /* when the newest item was first seen */
    bool has_bytes;
    struct progress_rate items[PROGRESS_MAX_ITEMS];
    struct progress_rate status_rate;
};

/* Sets p up to write to out in form (PROGRESS_AUTO is taken as plain:
 * the caller decides). Starts no thread. */
void progress_init(struct progress *p, FILE *out, enum progress_form form,
                   enum progress_level level);
/* Starts the ticker thread (all signals blocked in
 * it). Returns 0, or -1 with errno when the thread cannot start (the
 * display then works without it). */
int progress_start_ticker(struct progress *p);
/* What the ticker does each time (tests call it with their own clock). */
void progress_tick(struct progress *p);
/* Ends the live line, stops the ticker. Safe to call twice. */
void progress_release(struct progress *p);

/* A stage begins: the previous live line is ended. */
void progress_stage(struct progress *p, const char *stage, const char *what);
/* The stage ends after seconds; its line stays with the duration. */
void progress_stage_end(struct progress *p, double seconds);
/* Bytes done of total (0: unknown) of one item of the stage; done and
 * total both 0: the item begins (shown by name, with its elapsed time). */
void progress_bytes(struct progress *p, const char *what, uint64_t done, uint64_t total);
/* A short text after the stage's elapsed time, such as "kernel started";
 * NULL or "" clears it. */
void progress_status(struct progress *p, const char *text);
/* "notice: MESSAGE" as a whole line (not when quiet). */
void progress_notice(struct progress *p, const char *message);
/* A whole line at level or above, above the live line. */
void progress_line(struct progress *p, enum progress_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends the live line so that the caller can print (errors, results). */
void progress_break(struct progress *p);
/* After progress_release(), the command's last line: "[  98.2s] done:
 * OUTPUT" (not when quiet), or "appliance: interrupted: MESSAGE"
 * (always); in JSON, the "done" or "interrupted" event. */
void progress_done(struct progress *p, const char *output);
void progress_interrupted(struct progress *p, const char *message);

/* ---- formatting, exposed for tests --------------------------------------- */

/* "0 B", "1023 B", "1.5 KiB", "812 MiB", "1.4 GiB": one decimal below 10. */
void progress_size(uint64_t bytes, char *buf, size_t size);
/* "[#######.....]" with cells places inside the brackets; fraction is
 * clamped to 0..1 and a cell is filled only when complete. */
void progress_bar(double fraction, unsigned cells, char *buf, size_t size);
/* Whole percent done, 0..100, rounded down; -1 when total is 0. */
int progress_percent(uint64_t done, uint64_t total);
/* "demo-os.vmdk  [#####.....]  58%  812 MiB/1.4 GiB" (bar only when
 * bar_cells > 0; "demo-os.vmdk  812 MiB" when total is 0; "demo-os.vmdk"
 * when both are 0). */
void progress_bytes_text(const char *what, uint64_t done, uint64_t total, unsigned bar_cells,
                         char *buf, size_t size);
/* Whether a plain line is due for a byte count: the first one, the
 * first at or past each tenth, the final done == total once, or
 * PROGRESS_PLAIN_EVERY seconds after the last. Updates r when true. */
bool progress_rate_due(struct progress_rate *r, uint64_t done, uint64_t total, double now);
/* The same for a JSON byte count: the first, each new percent at least
 * PROGRESS_JSON_MIN seconds after the last, the final one once, or
 * PROGRESS_JSON_EVERY seconds after the last. */
bool progress_json_due(struct progress_rate *r, uint64_t done, uint64_t total, double now);
/* Cuts line (UTF-8) to at most columns characters; 0: no limit. */
void progress_fit(char *line, unsigned columns);

#endif
