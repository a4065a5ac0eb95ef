/* error.c: the one error type. */
#include "appliance/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
ab_error_init(struct ab_error *err)
{
    *err = (struct ab_error)AB_ERROR_INIT;
}

void
ab_error_release(struct ab_error *err)
{
    if (!err)
        return;
    for (size_t i = 0; i < err->n_diags; i++) {
        free(err->diags[i].file);
        free(err->diags[i].msg);
    }
    free(err->diags);
    ab_error_init(err);
}

static void
note_code(struct ab_error *err, enum ab_error_code code, int errnum)
{
    if (err->code == AB_OK) {
        err->code = code;
        err->errnum = errnum;
    }
}

int
ab_error_set(struct ab_error *err, enum ab_error_code code, int errnum,
             const struct ab_pos *pos, const char *fmt, ...)
{
    note_code(err, code, errnum);
    if (err->n_diags >= AB_ERROR_MAX_DIAGS) {
        err->n_dropped++;
        return -1;
    }
    struct ab_diag *grown = realloc(err->diags, (err->n_diags + 1) * sizeof(*grown));
    if (!grown) {
        err->code = AB_E_NOMEM;
        return -1;
    }
    err->diags = grown;

    struct ab_diag d = {0};
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&d.msg, fmt, ap);
    va_end(ap);
    if (r < 0) {
        err->code = AB_E_NOMEM;
        return -1;
    }
    if (pos && pos->file) {
        d.file = strdup(pos->file);
        d.line = pos->line;
        d.col = pos->col;
    }
    err->diags[err->n_diags++] = d;
    return -1;
}

void
ab_error_prefix(struct ab_error *err, const char *fmt, ...)
{
    if (err->n_diags == 0)
        return;
    struct ab_diag *d = &err->diags[err->n_diags - 1];
    char *ctx = NULL, *joined = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&ctx, fmt, ap);
    va_end(ap);
    if (r < 0)
        return;
    if (asprintf(&joined, "%s: %s", ctx, d->msg) >= 0) {
        free(d->msg);
        d->msg = joined;
    }
    free(ctx);
}

void
ab_error_prefix_since(struct ab_error *err, size_t first, const char *prefix)
{
    for (size_t i = first; i < err->n_diags; i++) {
        char *joined = NULL;
        if (asprintf(&joined, "%s: %s", prefix, err->diags[i].msg) >= 0) {
            free(err->diags[i].msg);
            err->diags[i].msg = joined;
        }
    }
}

int
ab_error_exit_status(const struct ab_error *err)
{
    switch (err->code) {
    case AB_OK:
        return 0;
    case AB_E_USAGE:
        return 2;
    case AB_E_RECIPE:
        return 3;
    case AB_E_NOFILE:
        return 4;
    case AB_E_BUILD:
    case AB_E_NOMEM:
        break;
    }
    return 1;
}

/* Every diagnostic of err as "file:line:col: KIND: msg" plus suffix. */
static void
write_diags(const struct ab_error *err, FILE *out, const char *kind, const char *suffix)
{
    for (size_t i = 0; i < err->n_diags; i++) {
        const struct ab_diag *d = &err->diags[i];
        if (d->file && d->line)
            fprintf(out, "%s:%u:%u: %s: %s%s\n", d->file, d->line, d->col, kind, d->msg, suffix);
        else if (d->file)
            fprintf(out, "%s: %s: %s%s\n", d->file, kind, d->msg, suffix);
        else
            fprintf(out, "appliance: %s: %s%s\n", kind, d->msg, suffix);
    }
    if (err->n_dropped)
        fprintf(out, "appliance: %zu more %ss not shown\n", err->n_dropped, kind);
}

void
ab_error_write_warnings(const struct ab_error *warnings, FILE *out, int as_errors)
{
    write_diags(warnings, out, as_errors ? "error" : "warning", as_errors ? " (--werror)" : "");
}

void
ab_error_write(const struct ab_error *err, FILE *out)
{
    write_diags(err, out, "error", "");
    if (err->code == AB_E_NOMEM)
        fprintf(out, "appliance: error: %s\n", strerror(ENOMEM));
}

static int
diag_before(const struct ab_diag *a, const struct ab_diag *b)
{
    if (a->line != b->line)
        return a->line < b->line;
    return a->col < b->col;
}

void
ab_error_sort(struct ab_error *err)
{
    for (size_t i = 1; i < err->n_diags; i++) {
        struct ab_diag d = err->diags[i];
        size_t j = i;
        while (j > 0 && diag_before(&d, &err->diags[j - 1])) {
            err->diags[j] = err->diags[j - 1];
            j--;
        }
        err->diags[j] = d;
    }
}

int
ab_oom(struct ab_error *err)
{
    return ab_error_set(err, AB_E_NOMEM, ENOMEM, NULL, "out of memory");
}
