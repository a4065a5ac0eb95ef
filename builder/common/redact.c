/* redact.c: secret values hidden from logs and messages. */
#include "appliance/redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const secret_words[] = {"secret", "password", "passwd", "token", "key"};

bool
redact_name_is_secret(const char *name, size_t len)
{
    for (size_t w = 0; w < sizeof(secret_words) / sizeof(secret_words[0]); w++) {
        size_t wl = strlen(secret_words[w]);
        for (size_t i = 0; i + wl <= len; i++)
            if (strncasecmp(name + i, secret_words[w], wl) == 0)
                return true;
    }
    return false;
}

static bool
is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The end of a value that starts at s, inside the quote outer (0: none):
 * the first blank, ';', '&' or '|' outside the value's own quotes, or the
 * outer closing quote. */
static const char *
value_end(const char *s, char outer)
{
    char inner = 0;
    for (; *s; s++) {
        if (inner) {
            if (*s == inner)
                inner = 0;
            else if (*s == '\\' && inner == '"' && s[1])
                s++;
        } else if (outer && *s == outer) {
            break;
        } else if (*s == '\'' || *s == '"') {
            inner = *s;
        } else if (*s == '\\' && s[1]) {
            s++;
        } else if (is_blank(*s) || *s == ';' || *s == '&' || *s == '|') {
            break;
        }
    }
    return s;
}

/* At the start of a word: the length of a secret option ("--token") that
 * has no value of its own, else 0. */
static size_t
secret_option(const char *s)
{
    if (*s != '-')
        return 0;
    size_t n = 0;
    while (is_name_char(s[n]))
        n++;
    if (s[n] && !is_blank(s[n]))
        return 0;
    return redact_name_is_secret(s, n) ? n : 0;
}

/* Copies one character of s (two for a backslash escape), keeping track
 * of the quote it is in; returns how many were consumed. */
static size_t
copy_char(FILE *out, const char *s, char *quote)
{
    if (*s == '\\' && s[1] && *quote != '\'') {
        fwrite(s, 1, 2, out);
        return 2;
    }
    if (*quote && *s == *quote)
        *quote = 0;
    else if (!*quote && (*s == '\'' || *s == '"'))
        *quote = *s;
    fputc(*s, out);
    return 1;
}

/* At "://": the length of a URL's user information ("user:pass" of
 * https://user:pass@host/), else 0. */
static size_t
url_userinfo(const char *s)
{
    if (strncmp(s, "://", 3) != 0)
        return 0;
    size_t n = strcspn(s + 3, "/@ \t\n\r'\"");
    return s[3 + n] == '@' && n ? n : 0;
}

/* After a secret option: its blanks, then the next word unless it is an
 * option too; returns the position after them. */
static const char *
hide_next_word(FILE *out, const char *s, char quote)
{
    while (is_blank(*s))
        fputc(*s++, out);
    if (!*s || *s == '-' || (quote && *s == quote))
        return s;
    fputs(REDACTED, out);
    return value_end(s, quote);
}

char *
redact(const char *text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    if (!out)
        return NULL;
    char quote = 0;
    const char *s = text;
    while (*s) {
        size_t opt = (s == text || is_blank(s[-1])) ? secret_option(s) : 0;
        if (opt) {
            fwrite(s, 1, opt, out);
            s = hide_next_word(out, s + opt, quote);
            continue;
        }
        size_t auth = url_userinfo(s);
        if (auth) {
            fputs("://" REDACTED, out);
            s += 3 + auth;
            continue;
        }
        if (*s == '=' && s > text) {
            const char *name = s;
            while (name > text && is_name_char(name[-1]))
                name--;
            if (redact_name_is_secret(name, (size_t)(s - name))) {
                fputs("=" REDACTED, out);
                s = value_end(s + 1, quote);
                continue;
            }
        }
        s += copy_char(out, s, &quote);
    }
    if (fclose(out) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
