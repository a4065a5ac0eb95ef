/* error.h: the one error type of appliance.
 *
 * A struct ab_error collects one or more diagnostics, each with an optional
 * recipe position, and a code that decides the exit status. Library code
 * fills it and returns -1; only the CLI prints it. */
#ifndef APPLIANCE_ERROR_H
#define APPLIANCE_ERROR_H

#include <stddef.h>
#include <stdio.h>

enum ab_error_code {
    AB_OK = 0,
    AB_E_BUILD,  /* a build step failed: exit 1 */
    AB_E_USAGE,  /* bad command line: exit 2 */
    AB_E_RECIPE, /* invalid recipe: exit 3 */
    AB_E_NOMEM,  /* out of memory: exit 1 */
    AB_E_NOFILE, /* an input named on the command line cannot be read: exit 4 */
};

/* A place in a recipe file; line and col are 1-based, 0 when unknown. */
struct ab_pos {
    const char *file;
    unsigned line;
    unsigned col;
};

struct ab_diag {
    char *file; /* NULL when the diagnostic has no position */
    unsigned line;
    unsigned col;
    char *msg;
};

/* At most this many diagnostics are kept; later ones are counted only. */
#define AB_ERROR_MAX_DIAGS 64

struct ab_error {
    enum ab_error_code code;
    int errnum; /* errno of the first diagnostic, 0 if none applies */
    struct ab_diag *diags;
    size_t n_diags;
    size_t n_dropped; /* diagnostics past AB_ERROR_MAX_DIAGS */
};

#define AB_ERROR_INIT {AB_OK, 0, NULL, 0, 0}

void ab_error_init(struct ab_error *err);
/* Frees the diagnostics and resets err to its initial state; NULL-safe. */
void ab_error_release(struct ab_error *err);

/* Appends a diagnostic. pos may be NULL. The first code set wins.
 * Always returns -1 so that callers can write `return ab_error_set(...)`. */
int ab_error_set(struct ab_error *err, enum ab_error_code code, int errnum,
                 const struct ab_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Shorthands for the common cases. */
#define ab_recipe_error(err, pos, ...) ab_error_set((err), AB_E_RECIPE, 0, (pos), __VA_ARGS__)
#define ab_build_error(err, errnum, ...) ab_error_set((err), AB_E_BUILD, (errnum), NULL, __VA_ARGS__)

/* A warning: a diagnostic in a list of warnings (a struct ab_error of its
 * own, whose code stays AB_OK), never in the errors of the same call. */
#define ab_warn(warnings, pos, ...) ab_error_set((warnings), AB_OK, 0, (pos), __VA_ARGS__)

/* Sets the one "out of memory" diagnostic (AB_E_NOMEM, ENOMEM); returns -1. */
int ab_oom(struct ab_error *err);

/* Prepends context to the newest diagnostic, the e2fsprogs way:
 * "while writing partition table of 'os': <old message>". */
void ab_error_prefix(struct ab_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes "prefix: " to every diagnostic from index first on (those
 * that one step added). */
void ab_error_prefix_since(struct ab_error *err, size_t first, const char *prefix);

/* True when err holds at least one diagnostic. */
static inline int
ab_error_is_set(const struct ab_error *err)
{
    return err->n_diags > 0 || err->code != AB_OK;
}

/* The process exit status for err: 0, 1, 2, 3 or 4. */
int ab_error_exit_status(const struct ab_error *err);

/* Orders the diagnostics by line and column (stable), so that one run's
 * errors read top to bottom like the file. */
void ab_error_sort(struct ab_error *err);

/* Writes every diagnostic as "file:line:col: error: msg" (or
 * "appliance: error: msg" without a position), one per line. */
void ab_error_write(const struct ab_error *err, FILE *out);

/* Writes a list of warnings (ab_warn()) the same way, as "warning: msg";
 * with as_errors (--werror), as "error: msg (--werror)". */
void ab_error_write_warnings(const struct ab_error *warnings, FILE *out, int as_errors);

#endif
