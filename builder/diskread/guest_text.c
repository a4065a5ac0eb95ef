/* guest_text.c: os-release, release files, fstab, dpkg's status and ELF
 * headers, parsed with every length checked (guest_text.h). */
#include "guest_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/bytes.h"

/* The line of text starting at *at (up to len): its start and length;
 * *at moves past its newline. false at the end. */
static bool
next_line(const char *text, size_t len, size_t *at, const char **line, size_t *n)
{
    if (*at >= len)
        return false;
    const char *s = text + *at;
    const char *nl = memchr(s, '\n', len - *at);
    *n = nl ? (size_t)(nl - s) : len - *at;
    *line = s;
    *at += *n + (nl ? 1 : 0);
    return true;
}

static bool
blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* A value unquoted as the shell reads one word: "..." (with \" \\ \$
 * \` escapes), '...', or bare (up to a blank); a NUL ends it. */
static char *
unquote(const char *v, size_t n)
{
    char *out = malloc(n + 1), *w = out;
    if (!out)
        return NULL;
    char quote = 0;
    for (size_t i = 0; i < n && v[i]; i++) {
        char c = v[i];
        if (quote == '\'' && c != '\'') {
            *w++ = c;
        } else if (quote == '"' && c == '\\' && i + 1 < n && strchr("\"\\$`", v[i + 1]) &&
                   v[i + 1]) {
            *w++ = v[++i];
        } else if (quote && c == quote) {
            quote = 0;
        } else if (!quote && (c == '"' || c == '\'')) {
            quote = c;
        } else if (!quote && (blank(c) || c == '#')) {
            break;
        } else {
            *w++ = c;
        }
    }
    *w = '\0';
    return out;
}

char *
text_kv_get(const char *text, size_t len, const char *key)
{
    size_t at = 0, n, klen = strlen(key);
    const char *line, *found = NULL;
    size_t found_len = 0;
    while (next_line(text, len, &at, &line, &n)) {
        size_t i = 0;
        while (i < n && blank(line[i]))
            i++;
        if (n - i > klen && memcmp(line + i, key, klen) == 0 && line[i + klen] == '=') {
            found = line + i + klen + 1;
            found_len = n - i - klen - 1;
        }
    }
    return found ? unquote(found, found_len) : NULL;
}

char *
text_first_line(const char *text, size_t len)
{
    size_t at = 0, n = 0;
    const char *line = "";
    if (!next_line(text, len, &at, &line, &n))
        n = 0;
    while (n && line[n - 1] == '\r')
        n--;
    const char *nul = memchr(line, '\0', n);
    return strndup(line, nul ? (size_t)(nul - line) : n);
}

/* The run of digits at s as an int (at most 9 of them): its length,
 * 0 when there is none or it is longer. */
static size_t
digits(const char *s, int *out)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 9)
        return 0;
    *out = atoi(s);
    return n;
}

bool
text_version(const char *s, int *major, int *minor)
{
    /* libguestfs's re_major_minor "(\d+)\.(\d+)" first, then "(\d+)";
     * a run too long for an int is no number. */
    for (int pass = 0; pass < 2; pass++) {
        for (const char *p = s; *p;) {
            size_t run = strspn(p, "0123456789");
            int a, b;
            if (run == 0) {
                p++;
                continue;
            }
            if (digits(p, &a) && pass == 1) {
                *major = a, *minor = 0;
                return true;
            }
            if (digits(p, &a) && p[run] == '.' && digits(p + run + 1, &b)) {
                *major = a, *minor = b;
                return true;
            }
            p += run;
        }
    }
    return false;
}

/* fstab's field, with \NNN octal escapes decoded. */
static char *
fstab_field(const char *f, size_t n)
{
    char *out = malloc(n + 1), *w = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (f[i] == '\\' && n - i > 3 && f[i + 1] >= '0' && f[i + 1] <= '3' && f[i + 2] >= '0' &&
            f[i + 2] <= '7' && f[i + 3] >= '0' && f[i + 3] <= '7') {
            char c = (char)((f[i + 1] - '0') << 6 | (f[i + 2] - '0') << 3 | (f[i + 3] - '0'));
            if (c)
                *w++ = c;
            i += 3;
        } else if (f[i]) {
            *w++ = f[i];
        }
    }
    *w = '\0';
    return out;
}

void
text_fstab_free(struct fstab_entry *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++) {
        free(e[i].spec);
        free(e[i].path);
        free(e[i].type);
    }
    free(e);
}

struct fstab_entry *
text_fstab(const char *text, size_t len, size_t *count)
{
    size_t at = 0, n, k = 0;
    const char *line;
    struct fstab_entry *e = calloc(1, sizeof(*e));
    bool oom = !e;
    while (!oom && next_line(text, len, &at, &line, &n)) {
        const char *f[3];
        size_t fl[3], nf = 0, i = 0;
        while (nf < 3) {
            while (i < n && (blank(line[i]) || line[i] == '\0'))
                i++;
            if (i >= n || line[i] == '#')
                break;
            f[nf] = line + i;
            while (i < n && !blank(line[i]) && line[i] != '\0')
                i++;
            fl[nf] = (size_t)(line + i - f[nf]);
            nf++;
        }
        if (nf < 3)
            continue;
        struct fstab_entry *grown = realloc(e, (k + 2) * sizeof(*grown));
        if (!grown) {
            oom = true;
            break;
        }
        e = grown;
        e[k] = (struct fstab_entry){fstab_field(f[0], fl[0]), fstab_field(f[1], fl[1]),
                                    fstab_field(f[2], fl[2])};
        e[++k] = (struct fstab_entry){0};
        if (!e[k - 1].spec || !e[k - 1].path || !e[k - 1].type) {
            text_fstab_free(e, k);
            return NULL;
        }
    }
    if (oom) {
        text_fstab_free(e, k);
        return NULL;
    }
    *count = k;
    return e;
}

long
text_dpkg_installed(const char *text, size_t len)
{
    size_t at = 0, n;
    const char *line;
    long count = 0;
    bool package = false, installed = false;
    for (;;) {
        bool more = next_line(text, len, &at, &line, &n);
        if (!more || n == 0 || (n == 1 && line[0] == '\r')) {
            count += package && installed;
            package = installed = false;
            if (!more)
                return count;
            continue;
        }
        if (n > 8 && memcmp(line, "Package:", 8) == 0) {
            package = true;
        } else if (n > 7 && memcmp(line, "Status:", 7) == 0) {
            size_t end = n;
            while (end > 7 && blank(line[end - 1]))
                end--;
            installed =
                end >= 17 && memcmp(line + end - 9, "installed", 9) == 0 && blank(line[end - 10]);
        }
    }
}

const char *
text_elf_arch(const unsigned char *b, size_t len)
{
    if (len < 20 || memcmp(b, "\177ELF", 4) != 0 || (b[5] != 1 && b[5] != 2))
        return NULL;
    bool is64 = b[4] == 2, le = b[5] == 1;
    unsigned m = le ? get_le16(b + 18) : (unsigned)(b[18] << 8 | b[19]);
    switch (m) {
    case 3:
        return "i386";
    case 62:
        return "x86_64";
    case 183:
        return "aarch64";
    case 40:
        return "arm";
    case 21:
        return le ? "ppc64le" : "ppc64";
    case 20:
        return "ppc";
    case 22:
        return is64 ? "s390x" : "s390";
    case 243:
        return is64 ? "riscv64" : "riscv32";
    case 8:
        return is64 ? (le ? "mips64el" : "mips64") : (le ? "mipsel" : "mips");
    case 2:
    case 43:
        return is64 ? "sparc64" : "sparc";
    default:
        return NULL;
    }
}
