/* dep5.c: DEP-5 copyright files and declared licenses as SPDX license
 * expressions (dep5.h). */
#include "appliance/dep5.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appliance/cleanup.h"

/* ---- one license name -> its SPDX id ----------------------------------- */

/* Ids of the SPDX License List that packages name as they are (matched
 * without regard to case); the GNU licenses are gnu_id()'s. */
static const char *const spdx_ids[] = {
    "0BSD",         "AFL-2.1",          "AFL-3.0",        "Apache-1.0",     "Apache-1.1",
    "Apache-2.0",   "Artistic-1.0",     "Artistic-1.0-Perl", "Artistic-2.0", "Beerware",
    "BSD-1-Clause", "BSD-2-Clause",     "BSD-3-Clause",   "BSD-4-Clause",   "BSL-1.0",
    "bzip2-1.0.6",  "CC-BY-3.0",        "CC-BY-4.0",      "CC-BY-SA-3.0",   "CC-BY-SA-4.0",
    "CC0-1.0",      "CDDL-1.0",         "curl",           "EPL-1.0",        "EPL-2.0",
    "FSFAP",        "FSFUL",            "FSFULLR",        "FTL",            "HPND",
    "ICU",          "IJG",              "Info-ZIP",       "ISC",            "Libpng",
    "LPPL-1.3c",    "MIT",              "MIT-0",          "MIT-CMU",        "MPL-1.0",
    "MPL-1.1",      "MPL-2.0",          "NTP",            "OFL-1.1",        "OpenLDAP-2.8",
    "OpenSSL",      "PSF-2.0",          "Python-2.0",     "Ruby",           "Sleepycat",
    "Spencer-86",   "Spencer-94",       "TCL",            "Unicode-DFS-2015", "Unicode-DFS-2016",
    "Unlicense",    "Vim",              "W3C",            "WTFPL",          "X11",
    "Zlib",         "zlib-acknowledgement",
};

/* Other spellings of those ids: Debian's short names, Fedora's. */
static const struct {
    const char *name, *id;
} aliases[] = {
    {"Expat", "MIT"},
    {"MIT/X11", "MIT"},
    {"Artistic", "Artistic-1.0-Perl"},
    {"Apache-2", "Apache-2.0"},
    {"ASL 2.0", "Apache-2.0"},
    {"ASL-2.0", "Apache-2.0"},
    {"ASL 1.1", "Apache-1.1"},
    {"PSF-2", "PSF-2.0"},
    {"Boost", "BSL-1.0"},
    {"zlib/libpng", "Zlib"},
    {"MPLv1.1", "MPL-1.1"},
    {"MPLv2.0", "MPL-2.0"},
    {"CC0", "CC0-1.0"},
};

/* The exceptions "LICENSE with NAME" may name, by NAME. */
static const struct {
    const char *name, *id;
} exceptions[] = {
    {"Autoconf exception", NULL}, /* 2.0 or 3.0: the GPL's version decides */
    {"Autoconf-exception", NULL},
    {"Bison exception", "Bison-exception-2.2"},
    {"Bison-exception", "Bison-exception-2.2"},
    {"Linux-syscall-note", "Linux-syscall-note"},
    {"Linux-syscall-note exception", "Linux-syscall-note"},
    {"Classpath exception", "Classpath-exception-2.0"},
    {"Font exception", "Font-exception-2.0"},
    {"GCC exception", "GCC-exception-3.1"},
    {"Libtool exception", "Libtool-exception"},
};

/* The GNU licenses as their families write them: GPL-2, GPL-2+, GPLv2+,
 * GPL-2.0+, GPL-2.0-or-later, LGPLv2.1, GFDL-NIV-1.3+, GPL+ (Fedora: any
 * version). The SPDX id into out, or false. */
static bool
gnu_id(const char *name, char *out, size_t size)
{
    static const char *const families[] = {"GFDL-NIV", "AGPL", "LGPL", "GFDL", "GPL"};
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        size_t n = strlen(families[f]);
        if (strncasecmp(name, families[f], n) != 0)
            continue;
        const char *p = name + n;
        if (*p == '-' || *p == 'v' || *p == 'V' || *p == ' ')
            p += (p[0] == '-' && (p[1] == 'v' || p[1] == 'V')) ? 2 : 1;
        char ver[8] = "";
        if (isdigit((unsigned char)p[0]) && p[1] == '.' && isdigit((unsigned char)p[2])) {
            snprintf(ver, sizeof(ver), "%c.%c", p[0], p[2]);
            p += 3;
        } else if (isdigit((unsigned char)p[0])) {
            if (strncasecmp(families[f], "GFDL", 4) == 0)
                return false; /* GFDL-1 is no version */
            snprintf(ver, sizeof(ver), "%c.0", p[0]);
            p += 1;
        } else if (strcmp(families[f], "GPL") == 0 && strcmp(p, "+") == 0) {
            snprintf(out, size, "GPL-1.0-or-later");
            return true;
        } else
            return false;
        bool later = strcmp(p, "+") == 0 || strcasecmp(p, "-or-later") == 0 ||
                     strcasecmp(p, "-and-later") == 0;
        if (!later && *p && strcasecmp(p, "-only") != 0)
            return false;
        bool niv = strcmp(families[f], "GFDL-NIV") == 0;
        snprintf(out, size, "%s-%s%s-%s", niv ? "GFDL" : families[f], ver,
                 niv ? "-no-invariants" : "", later ? "or-later" : "only");
        return true;
    }
    return false;
}

/* "LicenseRef-" and name with characters outside [A-Za-z0-9.-] made '-'
 * (once for a run of them) and '+' made "-plus". */
static char *
license_ref(const char *name)
{
    size_t n = strlen(name);
    char *out = malloc(sizeof("LicenseRef-") + 5 * n + 8);
    if (!out)
        return NULL;
    char *o = out + sprintf(out, "LicenseRef-");
    char *start = o;
    for (const char *p = name; *p; p++) {
        if (isalnum((unsigned char)*p) || *p == '.')
            *o++ = *p;
        else if (*p == '+')
            o += sprintf(o, "%s", o == start || o[-1] == '-' ? "plus" : "-plus");
        else if (o > start && o[-1] != '-')
            *o++ = '-';
    }
    while (o > start && o[-1] == '-')
        o--;
    if (o == start)
        o += sprintf(o, "unknown");
    *o = '\0';
    return out;
}

/* One license's SPDX id: from the list, an alias, a GNU license, or a
 * LicenseRef. */
static char *
license_id(const char *name)
{
    char gnu[64];
    for (size_t i = 0; i < sizeof(spdx_ids) / sizeof(spdx_ids[0]); i++)
        if (strcasecmp(name, spdx_ids[i]) == 0)
            return strdup(spdx_ids[i]);
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcasecmp(name, aliases[i].name) == 0)
            return strdup(aliases[i].id);
    if (gnu_id(name, gnu, sizeof(gnu)))
        return strdup(gnu);
    return license_ref(name);
}

/* "NAME with EXCEPTION": NAME's id WITH the exception's, when both are
 * known; else the whole as one LicenseRef. */
static char *
operand_id(const char *operand)
{
    const char *with = NULL;
    for (const char *p = operand; (p = strcasestr(p, " with ")); p++)
        with = p;
    if (!with)
        return license_id(operand);
    CLEANUP_FREE char *name = strndup(operand, (size_t)(with - operand));
    const char *exc = with + 6;
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++) {
        if (strcasecmp(exc, exceptions[i].name) != 0)
            continue;
        CLEANUP_FREE char *id = license_id(name);
        if (!id || strncmp(id, "LicenseRef-", 11) == 0)
            break;
        const char *eid = exceptions[i].id ? exceptions[i].id
                          : strncmp(id, "GPL-3", 5) == 0 ? "Autoconf-exception-3.0"
                                                         : "Autoconf-exception-2.0";
        char *s;
        return asprintf(&s, "%s WITH %s", id, eid) < 0 ? NULL : s;
    }
    return license_ref(operand);
}

/* ---- an expression: tokens, a tree, its SPDX text ----------------------- */

enum tok_kind { T_NAME, T_AND, T_OR, T_LP, T_RP, T_COMMA };

struct tok {
    enum tok_kind kind;
    const char *s; /* T_NAME: the words, in the text */
    size_t len;
};

/* A name or a parenthesised group: leaf set, or kids joined by ops. */
struct node {
    char *leaf;
    struct node **kids;
    char *ops; /* ops[i] joins kids[i] and kids[i + 1]: 'A' or 'O' */
    size_t n;
};

#define MAX_DEPTH 32

static void
node_free(struct node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->ops);
    free(n->leaf);
    free(n);
}

static bool
is_word(const char *s, size_t len, const char *w)
{
    return len == strlen(w) && strncasecmp(s, w, len) == 0;
}

/* Splits text into tokens: names (runs of words that are not "and" or
 * "or"), operators, parentheses and commas. */
static struct tok *
tokenize(const char *text, size_t *n)
{
    size_t cap = 16;
    struct tok *v = malloc(cap * sizeof(*v));
    *n = 0;
    for (const char *p = text; v && *p;) {
        if (isspace((unsigned char)*p)) {
            p++;
            continue;
        }
        struct tok t = {T_NAME, p, 1};
        if (*p == '(' || *p == ')' || *p == ',')
            t.kind = *p == '(' ? T_LP : *p == ')' ? T_RP : T_COMMA;
        else {
            while (p[t.len] && !isspace((unsigned char)p[t.len]) && !strchr("(),", p[t.len]))
                t.len++;
            t.kind = is_word(p, t.len, "and") ? T_AND : is_word(p, t.len, "or") ? T_OR : T_NAME;
        }
        p += t.len;
        if (t.kind == T_NAME && *n > 0 && v[*n - 1].kind == T_NAME) {
            v[*n - 1].len = (size_t)(p - v[*n - 1].s); /* one more word of the name */
            continue;
        }
        if (*n == cap) {
            struct tok *g = realloc(v, 2 * cap * sizeof(*v));
            if (!g) {
                free(v);
                return NULL;
            }
            v = g, cap *= 2;
        }
        v[(*n)++] = t;
    }
    return v;
}

static int
node_add(struct node *list, struct node *kid, char op)
{
    struct node **k = realloc(list->kids, (list->n + 1) * sizeof(*k));
    if (!k)
        return -1;
    list->kids = k;
    char *o = realloc(list->ops, list->n + 1);
    if (!o)
        return -1;
    list->ops = o;
    if (list->n > 0)
        o[list->n - 1] = op;
    k[list->n++] = kid;
    return 0;
}

/* A comma ends a group: what came before it becomes one term. */
static int
node_group(struct node *list)
{
    if (list->n < 2)
        return 0;
    struct node *g = calloc(1, sizeof(*g));
    if (!g)
        return -1;
    *g = *list;
    memset(list, 0, sizeof(*list));
    return node_add(list, g, 'A');
}

static struct node *parse(const struct tok *t, size_t n, size_t *i, int depth);

/* The term at t[*i] (a name, or a group in parentheses), or NULL with
 * *oom set when out of memory; NULL alone for an empty group. */
static struct node *
term(const struct tok *t, size_t n, size_t *i, int depth, bool *oom)
{
    const struct tok *k = &t[(*i)++];
    if (k->kind == T_LP) {
        struct node *sub = depth < MAX_DEPTH ? parse(t, n, i, depth + 1) : NULL;
        if (depth < MAX_DEPTH && !sub)
            *oom = true;
        if (sub && sub->n == 0) {
            node_free(sub);
            sub = NULL;
        }
        return sub;
    }
    struct node *leaf = calloc(1, sizeof(*leaf));
    CLEANUP_FREE char *name = strndup(k->s, k->len);
    if (!leaf || !name || !(leaf->leaf = operand_id(name))) {
        free(leaf);
        *oom = true;
        return NULL;
    }
    return leaf;
}

/* The terms and operators up to the closing parenthesis of this depth
 * (or the end); what does not fit the grammar is passed by. */
static struct node *
parse(const struct tok *t, size_t n, size_t *i, int depth)
{
    struct node *list = calloc(1, sizeof(*list));
    char pending = 0;
    while (list && *i < n) {
        enum tok_kind k = t[*i].kind;
        if (k == T_RP || k == T_COMMA || k == T_AND || k == T_OR) {
            (*i)++;
            if (k == T_RP && depth > 0)
                break;
            if (k == T_COMMA && node_group(list) < 0)
                goto oom;
            if ((k == T_AND || k == T_OR) && list->n > 0 && !pending)
                pending = k == T_AND ? 'A' : 'O';
            continue;
        }
        bool oom = false;
        struct node *kid = term(t, n, i, depth, &oom);
        if (oom)
            goto oom;
        if (kid && node_add(list, kid, pending ? pending : 'A') < 0) {
            node_free(kid);
            goto oom;
        }
        if (kid)
            pending = 0;
    }
    return list;
oom:
    node_free(list);
    return NULL;
}

static void
node_print(const struct node *nd, FILE *out, bool top)
{
    if (nd->leaf) {
        fputs(nd->leaf, out);
        return;
    }
    if (nd->n == 1) {
        node_print(nd->kids[0], out, top);
        return;
    }
    if (!top)
        fputc('(', out);
    for (size_t i = 0; i < nd->n; i++) {
        if (i > 0)
            fputs(nd->ops[i - 1] == 'O' ? " OR " : " AND ", out);
        node_print(nd->kids[i], out, false);
    }
    if (!top)
        fputc(')', out);
}

char *
license_to_spdx(const char *declared)
{
    size_t n = 0, i = 0;
    CLEANUP_FREE struct tok *toks = tokenize(declared, &n);
    if (!toks)
        return NULL;
    struct node *root = parse(toks, n, &i, 0);
    if (!root)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out) {
        if (root->n == 0)
            fputs("NOASSERTION", out);
        else
            node_print(root, out, true);
        if (fclose(out) != 0) {
            free(text);
            text = NULL;
        }
    }
    node_free(root);
    return text;
}

/* ---- the copyright file ------------------------------------------------- */

/* At most this many distinct licenses: a file naming more is not taken
 * at its word (NOASSERTION). */
#define MAX_LICENSES 512

struct licenses {
    char *v[MAX_LICENSES];
    size_t n;
    bool too_many;
};

/* Adds the SPDX form of the license line (len bytes), once. */
static int
add_license(struct licenses *l, const char *line, size_t len)
{
    CLEANUP_FREE char *name = strndup(line, len);
    if (!name)
        return -1;
    char *id = license_to_spdx(name);
    if (!id)
        return -1;
    if (strcmp(id, "NOASSERTION") == 0) {
        free(id);
        return 0;
    }
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], id) == 0) {
            free(id);
            return 0;
        }
    if (l->n == MAX_LICENSES) {
        l->too_many = true;
        free(id);
        return 0;
    }
    l->v[l->n++] = id;
    return 0;
}

/* One paragraph's fields, as the parser meets them. */
struct para {
    size_t index;    /* 0: the header */
    bool any;        /* it has a field */
    bool files;      /* a Files: field */
    const char *lic; /* License:'s first line */
    size_t lic_len;
};

/* Ends a paragraph: its license counts when it is the header's or a Files
 * paragraph's (a stand-alone License paragraph holds a text). */
static int
end_para(struct para *p, struct licenses *l)
{
    int r = 0;
    if (p->any && p->lic && (p->files || p->index == 0))
        r = add_license(l, p->lic, p->lic_len);
    if (p->any)
        p->index++;
    *p = (struct para){.index = p->index};
    return r;
}

static bool
blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* A field line: its name and value (leading blanks and a trailing \r
 * dropped). */
static void
field(struct para *p, const char *line, size_t len, bool *machine)
{
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    p->any = true;
    if (is_word(line, nlen, "Format") && p->index == 0) {
        CLEANUP_FREE char *val = strndup(v, (size_t)(end - v));
        *machine = val && (strstr(val, "copyright-format") || strstr(val, "dep5"));
    } else if (is_word(line, nlen, "Files"))
        p->files = true;
    else if (is_word(line, nlen, "License") && !p->lic) {
        p->lic = v;
        p->lic_len = (size_t)(end - v);
    }
}

/* The licenses joined with AND, each compound one in parentheses. */
static char *
join(const struct licenses *l)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        bool compound = l->n > 1 && strchr(l->v[i], ' ');
        fprintf(out, "%s%s%s%s", i ? " AND " : "", compound ? "(" : "", l->v[i],
                compound ? ")" : "");
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

int
dep5_license(const char *text, size_t len, char **expr)
{
    struct licenses l = {.n = 0};
    struct para p = {.index = 0};
    bool machine = false;
    int r = 0;
    *expr = NULL;
    if (len > DEP5_MAX_BYTES)
        len = DEP5_MAX_BYTES;
    for (size_t at = 0; at <= len && r == 0;) {
        const char *line = text + at;
        const char *nl = memchr(line, '\n', len - at);
        size_t n = nl ? (size_t)(nl - line) : len - at;
        at += n + 1;
        if (blank(line, n))
            r = end_para(&p, &l);
        else if (line[0] == '#' || line[0] == ' ' || line[0] == '\t')
            continue; /* a comment, or a field's continuation */
        else
            field(&p, line, n, &machine);
        if (p.index > 0 && !machine)
            break; /* the header has passed without a Format */
    }
    if (r == 0)
        r = end_para(&p, &l);
    if (r == 0 && machine && l.n > 0 && !l.too_many)
        r = (*expr = join(&l)) ? 1 : -1;
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    return r;
}
