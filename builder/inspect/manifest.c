/* manifest.c: OVF manifests (.mf) and SHA256SUMS, read. */
#include "appliance/manifest.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    enum digest algo;
    const char *name;
    size_t hex_len;
} algos[] = {
    {DIGEST_SHA1, "SHA1", 40},
    {DIGEST_SHA256, "SHA256", 64},
    {DIGEST_SHA512, "SHA512", 128},
};

const char *
manifest_algo_name(enum digest algo)
{
    for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
        if (algos[i].algo == algo)
            return algos[i].name;
    return "?";
}

size_t
manifest_hex_len(enum digest algo)
{
    for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
        if (algos[i].algo == algo)
            return algos[i].hex_len;
    return 0;
}

void
manifest_release(struct manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->entries[i].name);
    free(m->entries);
    m->entries = NULL;
    m->n = 0;
}

const struct manifest_entry *
manifest_find(const struct manifest *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->entries[i].name, name) == 0)
            return &m->entries[i];
    return NULL;
}

/* One line being parsed: its text (without the newline) and position. */
struct line {
    const char *file;
    const char *s;
    size_t len;
    unsigned number;
};

static int
line_error(const struct line *l, const char *at, struct ab_error *err, const char *what)
{
    struct ab_pos pos = {l->file, l->number, (unsigned)(at - l->s) + 1};
    return ab_error_set(err, AB_E_BUILD, 0, &pos, "%s", what);
}

/* Stores the digest hex (lowercased) after checking its length and digits. */
static int
take_hex(const struct line *l, const char *hex, size_t n, struct manifest_entry *e,
         struct ab_error *err)
{
    if (n != manifest_hex_len(e->algo)) {
        char msg[96];
        snprintf(msg, sizeof(msg), "a %s digest has %zu hex digits, not %zu",
                 manifest_algo_name(e->algo), manifest_hex_len(e->algo), n);
        return line_error(l, hex, err, msg);
    }
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)hex[i]))
            return line_error(l, hex + i, err, "not a hex digit in the digest");
        e->hex[i] = (char)tolower((unsigned char)hex[i]);
    }
    e->hex[n] = '\0';
    return 0;
}

static int
append(struct manifest *m, struct manifest_entry *e, const char *name, size_t name_len,
       struct ab_error *err)
{
    struct manifest_entry *grown = realloc(m->entries, (m->n + 1) * sizeof(*grown));
    if (!grown || !(e->name = strndup(name, name_len))) {
        if (grown)
            m->entries = grown;
        return ab_oom(err);
    }
    m->entries = grown;
    m->entries[m->n++] = *e;
    return 0;
}

static const char *
skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* "ALGO(name)= hex": the name runs from the first '(' to the ')' that the
 * last '=' follows, so that names holding parentheses survive. */
static int
parse_mf_line(const struct line *l, struct manifest *m, struct ab_error *err)
{
    const char *end = l->s + l->len;
    const char *open = memchr(l->s, '(', l->len);
    const char *eq = NULL;
    for (const char *p = l->s; p < end; p++)
        if (*p == '=')
            eq = p;
    if (!open || !eq || eq < open)
        return line_error(l, l->s, err, "not a manifest line: want ALGO(file)= digest");
    const char *close = eq;
    while (close > open && (close[-1] == ' ' || close[-1] == '\t'))
        close--;
    if (close == open || *--close != ')')
        return line_error(l, eq, err, "no ')' before '=' in the manifest line");

    struct manifest_entry e = {.line = l->number};
    const char *a = skip_blanks(l->s, open);
    size_t alen = (size_t)(open - a);
    while (alen && (a[alen - 1] == ' ' || a[alen - 1] == '\t'))
        alen--;
    bool known = false;
    for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]) && !known; i++)
        if (strlen(algos[i].name) == alen && strncasecmp(a, algos[i].name, alen) == 0) {
            e.algo = algos[i].algo;
            known = true;
        }
    if (!known)
        return line_error(l, a, err, "unsupported digest: want SHA1, SHA256 or SHA512");
    if (close == open + 1)
        return line_error(l, close, err, "empty file name in the manifest line");
    const char *hex = skip_blanks(eq + 1, end);
    const char *hex_end = end;
    while (hex_end > hex && isspace((unsigned char)hex_end[-1]))
        hex_end--;
    if (take_hex(l, hex, (size_t)(hex_end - hex), &e, err) < 0)
        return -1;
    return append(m, &e, open + 1, (size_t)(close - open - 1), err);
}

/* sha256sum writes names holding '\\' or a newline escaped, with a leading
 * '\\' on the line; undoes that in place (the result is never longer). */
static size_t
unescape_name(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 1 < len) {
            s[o++] = s[i + 1] == 'n' ? '\n' : s[i + 1];
            i++;
        } else {
            s[o++] = s[i];
        }
    }
    return o;
}

static int
parse_sums_line(const struct line *l, struct manifest *m, struct ab_error *err)
{
    const char *p = l->s, *end = l->s + l->len;
    bool escaped = p < end && *p == '\\';
    if (escaped)
        p++;
    const char *hex = p;
    while (p < end && isxdigit((unsigned char)*p))
        p++;
    struct manifest_entry e = {.algo = DIGEST_SHA256, .line = l->number};
    if (p == end || *p != ' ')
        return line_error(l, p, err, "not a sha256sum line: want 'digest  file'");
    if (take_hex(l, hex, (size_t)(p - hex), &e, err) < 0)
        return -1;
    if (p + 1 >= end || (p[1] != ' ' && p[1] != '*') || p + 2 >= end)
        return line_error(l, p, err, "not a sha256sum line: want 'digest  file'");
    const char *name = p + 2;
    size_t n = (size_t)(end - name);
    if (!escaped)
        return append(m, &e, name, n, err);
    char *copy = strndup(name, n);
    if (!copy)
        return ab_oom(err);
    int r = append(m, &e, copy, unescape_name(copy, n), err);
    free(copy);
    return r;
}

/* Calls parse on every line that is not blank; reports them all. A line
 * holding a NUL byte is refused: no file name holds one, and the rest of
 * the line would be cut off. */
static int
parse_lines(const char *file, const char *text, size_t len, struct manifest *m,
            struct ab_error *err,
            int (*parse)(const struct line *, struct manifest *, struct ab_error *))
{
    int rc = 0;
    struct line l = {file, text, 0, 0};
    const char *end = text + len;
    while (l.s < end) {
        const char *nl = memchr(l.s, '\n', (size_t)(end - l.s));
        l.len = (size_t)((nl ? nl : end) - l.s);
        l.number++;
        if (l.len && l.s[l.len - 1] == '\r')
            l.len--;
        const char *nul = memchr(l.s, '\0', l.len);
        if (nul)
            rc = line_error(&l, nul, err, "a NUL byte in the manifest line");
        else if (skip_blanks(l.s, l.s + l.len) < l.s + l.len && parse(&l, m, err) < 0)
            rc = -1;
        if (err->code == AB_E_NOMEM)
            return -1;
        l.s = nl ? nl + 1 : end;
    }
    return rc;
}

int
manifest_parse_mf(const char *file, const char *text, size_t len, struct manifest *m,
                  struct ab_error *err)
{
    return parse_lines(file, text, len, m, err, parse_mf_line);
}

int
manifest_parse_sums(const char *file, const char *text, size_t len, struct manifest *m,
                    struct ab_error *err)
{
    return parse_lines(file, text, len, m, err, parse_sums_line);
}
