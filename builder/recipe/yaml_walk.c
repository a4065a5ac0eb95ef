/* yaml_walk.c: walking a libyaml document with positions and limits. */
#include "yaml_walk.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/size.h"
#include "appliance/suggest.h"

static struct ab_pos
mark_pos(const struct yw *w, yaml_mark_t m)
{
    return (struct ab_pos){w->file, (unsigned)m.line + 1, (unsigned)m.column + 1};
}

/* Nesting deeper than this is refused: no recipe needs it, and libyaml's
 * scanner takes time quadratic in the depth of flow collections. */
#define YW_MAX_DEPTH 64

/* One pass over the parser's events, refusing deep nesting before
 * yaml_parser_load() spends its quadratic time on it. Syntax errors are
 * left for the load to report. */
static int
check_depth(struct yw *w, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    int depth = 0, ret = 0;

    if (!yaml_parser_initialize(&parser))
        return ab_error_set(w->err, AB_E_NOMEM, 0, NULL, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (ret == 0 && yaml_parser_parse(&parser, &ev)) {
        yaml_event_type_t type = ev.type;
        if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT)
            depth++;
        else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT)
            depth--;
        if (depth > YW_MAX_DEPTH) {
            struct ab_pos pos = mark_pos(w, ev.start_mark);
            ret = ab_recipe_error(w->err, &pos,
                                  "recipe nests lists and mappings more than %d levels deep",
                                  YW_MAX_DEPTH);
        }
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&parser);
    return ret;
}

/* Counts n and what it holds with aliases expanded, stopping at the
 * budget: a "billion laughs" costs at most max_visits steps here. */
static int
count_expanded(struct yw *w, yaml_node_t *n, unsigned depth, size_t *count)
{
    if (++*count > w->max_visits || depth > YW_MAX_DEPTH)
        return -1;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
             i++)
            if (count_expanded(w, yw_node(w, *i), depth + 1, count) < 0)
                return -1;
    } else if (n->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
            if (count_expanded(w, yw_node(w, p->key), depth + 1, count) < 0 ||
                count_expanded(w, yw_node(w, p->value), depth + 1, count) < 0)
                return -1;
    }
    return 0;
}

/* Refuses a document that aliases blow up (or loop), before any walk.
 * The diagnostic points at the top-level value where the budget ran out. */
static int
check_expansion(struct yw *w)
{
    yaml_node_t *root = yw_root(w), *at = root;
    size_t count = 1;
    int ret = 0;

    if (root->type == YAML_MAPPING_NODE) {
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
             ret == 0 && p < root->data.mapping.pairs.top; p++) {
            at = yw_node(w, p->value);
            ret = count_expanded(w, yw_node(w, p->key), 1, &count);
            if (ret == 0)
                ret = count_expanded(w, at, 1, &count);
        }
    } else {
        ret = count_expanded(w, root, 0, &count);
    }
    if (ret == 0)
        return 0;
    struct ab_pos pos = yw_pos(w, at);
    if (count > w->max_visits)
        return ab_recipe_error(w->err, &pos,
                               "recipe holds more than %zu values once aliases are expanded",
                               w->max_visits);
    return ab_recipe_error(w->err, &pos,
                           "aliases nest the recipe more than %d levels deep (or refer to "
                           "themselves)",
                           YW_MAX_DEPTH);
}

/* libyaml's own words, at the place it stopped; where the construct it
 * was reading began on another line (an unclosed '['), that place too. */
static void
report_syntax_error(struct yw *w, const yaml_parser_t *parser, const char *text, size_t len)
{
    struct ab_pos pos = mark_pos(w, parser->problem_mark);
    const char *problem = parser->problem ? parser->problem : "syntax error";
    size_t at = parser->problem_mark.index;

    /* libyaml's words for a tab where a token starts do not name it. */
    if (at < len && text[at] == '\t' && strstr(problem, "cannot start any token")) {
        ab_recipe_error(w->err, &pos,
                        "invalid YAML: a tab character: YAML indents with spaces only, and a "
                        "tab cannot start a key or a value");
        return;
    }

    if (!parser->context)
        ab_recipe_error(w->err, &pos, "invalid YAML: %s", problem);
    else if (parser->context_mark.line == parser->problem_mark.line)
        ab_recipe_error(w->err, &pos, "invalid YAML: %s %s", problem, parser->context);
    else
        ab_recipe_error(w->err, &pos, "invalid YAML: %s %s (started at line %zu, column %zu)",
                        problem, parser->context, parser->context_mark.line + 1,
                        parser->context_mark.column + 1);
}

int
yw_load(struct yw *w, const char *file, const char *text, size_t len, struct ab_error *err)
{
    yaml_parser_t parser;
    int ret = -1;

    memset(w, 0, sizeof(*w));
    w->file = file;
    w->err = err;
    w->max_visits = 100000;
    w->max_scalar = 65536;
    if (check_depth(w, text, len) < 0)
        return -1;
    if (!yaml_parser_initialize(&parser))
        return ab_error_set(err, AB_E_NOMEM, 0, NULL, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    if (!yaml_parser_load(&parser, &w->doc)) {
        report_syntax_error(w, &parser, text, len);
        goto out;
    }
    w->loaded = true;
    if (!yaml_document_get_root_node(&w->doc)) {
        struct ab_pos pos = {file, 1, 1};
        ab_recipe_error(err, &pos, "recipe is empty");
        goto out;
    }

    yaml_document_t extra;
    if (!yaml_parser_load(&parser, &extra)) {
        report_syntax_error(w, &parser, text, len);
        goto out;
    }
    bool more = yaml_document_get_root_node(&extra) != NULL;
    struct ab_pos extra_pos = mark_pos(w, extra.start_mark);
    yaml_document_delete(&extra);
    if (more) {
        ab_recipe_error(err, &extra_pos, "second YAML document: a recipe is a single document");
        goto out;
    }
    ret = check_expansion(w);
out:
    yaml_parser_delete(&parser);
    return ret;
}

void
yw_release(struct yw *w)
{
    if (!w)
        return;
    if (w->loaded) {
        yaml_document_delete(&w->doc);
        w->loaded = false;
    }
    for (size_t i = 0; i < w->n_origins; i++)
        free(w->origins[i].origin);
    free(w->origins);
    w->origins = NULL;
    w->n_origins = 0;
}

int
yw_set_origin(struct yw *w, int node, const char *origin)
{
    struct yw_origin *grown = realloc(w->origins, (w->n_origins + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    w->origins = grown;
    if (!(grown[w->n_origins].origin = strdup(origin)))
        return -1;
    grown[w->n_origins++].node = node;
    return 0;
}

yaml_node_t *
yw_root(struct yw *w)
{
    return yaml_document_get_root_node(&w->doc);
}

yaml_node_t *
yw_node(struct yw *w, int index)
{
    return yaml_document_get_node(&w->doc, index);
}

struct ab_pos
yw_pos(const struct yw *w, const yaml_node_t *n)
{
    int index = (int)(n - w->doc.nodes.start) + 1;
    for (size_t i = w->n_origins; i-- > 0;)
        if (w->origins[i].node == index)
            return (struct ab_pos){w->origins[i].origin, 0, 0};
    return mark_pos(w, n->start_mark);
}

bool
yw_visit(struct yw *w, const yaml_node_t *n)
{
    if (w->over_budget)
        return false;
    if (++w->visits <= w->max_visits)
        return true;
    w->over_budget = true;
    struct ab_pos pos = yw_pos(w, n);
    ab_recipe_error(w->err, &pos, "recipe holds more than %zu values once aliases are expanded",
                    w->max_visits);
    return false;
}

const char *
yw_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return yw_is_null(n) ? "an empty value" : "a string";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_NO_NODE:
        break;
    }
    return "nothing";
}

bool
yw_is_null(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)n->data.scalar.value;
    return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
           strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* yw_scalar(), naming what a list or mapping should have been. */
static int
scalar_as(struct yw *w, yaml_node_t *n, const char *what, const char *expected, const char **text)
{
    struct ab_pos pos = yw_pos(w, n);

    if (!yw_visit(w, n))
        return -1;
    if (n->type != YAML_SCALAR_NODE)
        return ab_recipe_error(w->err, &pos, "%s must be %s, not %s", what, expected, yw_kind(n));
    if (yw_is_null(n))
        return ab_recipe_error(w->err, &pos, "%s is empty", what);
    if (n->data.scalar.length > w->max_scalar)
        return ab_recipe_error(w->err, &pos, "%s is too long (%zu bytes, at most %zu)", what,
                               n->data.scalar.length, w->max_scalar);
    if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
        return ab_recipe_error(w->err, &pos, "%s contains a NUL byte", what);
    *text = (const char *)n->data.scalar.value;
    return 0;
}

int
yw_scalar(struct yw *w, yaml_node_t *n, const char *what, const char **text)
{
    return scalar_as(w, n, what, "a single value", text);
}

int
yw_string(struct yw *w, yaml_node_t *n, const char *what, size_t max, char **out)
{
    const char *text;

    if (scalar_as(w, n, what, "a string", &text) < 0)
        return -1;
    size_t len = strlen(text);
    if (len > max) {
        struct ab_pos pos = yw_pos(w, n);
        return ab_recipe_error(w->err, &pos, "%s is too long (%zu bytes, at most %zu)", what,
                               len, max);
    }
    for (const char *c = text; *c; c++) {
        if (*c == '\n' || *c == '\r') {
            struct ab_pos pos = yw_pos(w, n);
            return ab_recipe_error(w->err, &pos, "%s must be a single line", what);
        }
    }
    char *copy = strdup(text);
    if (!copy)
        return ab_oom(w->err);
    free(*out);
    *out = copy;
    return 0;
}

int
yw_uint(struct yw *w, yaml_node_t *n, const char *what, uint64_t min, uint64_t max,
        uint64_t *out)
{
    const char *text;
    struct ab_pos pos = yw_pos(w, n);

    if (scalar_as(w, n, what, "an integer", &text) < 0)
        return -1;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return ab_recipe_error(w->err, &pos, "%s must be an integer, not a quoted string", what);
    uint64_t v = 0;
    bool too_big = false;
    const char *p = text + (text[0] == '-');
    if (!isdigit((unsigned char)*p))
        return ab_recipe_error(w->err, &pos, "%s must be an integer, not '%s'", what, text);
    for (; isdigit((unsigned char)*p); p++) {
        uint64_t d = (uint64_t)(*p - '0');
        too_big = too_big || v > (UINT64_MAX - d) / 10;
        v = too_big ? v : v * 10 + d;
    }
    if (*p)
        return ab_recipe_error(w->err, &pos, "%s must be an integer, not '%s'", what, text);
    if (too_big || (text[0] == '-' && v > 0) || v < min || v > max)
        return ab_recipe_error(w->err, &pos, "%s must be from %" PRIu64 " to %" PRIu64 ", not %s",
                               what, min, max, text);
    *out = v;
    return 0;
}

int
yw_bool(struct yw *w, yaml_node_t *n, const char *what, bool *out)
{
    const char *text;
    struct ab_pos pos = yw_pos(w, n);

    if (scalar_as(w, n, what, "true or false", &text) < 0)
        return -1;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return ab_recipe_error(w->err, &pos, "%s must be true or false, not a quoted string", what);
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0) {
        *out = text[0] == 't';
        return 0;
    }
    return ab_recipe_error(w->err, &pos, "%s must be true or false, not '%s'", what, text);
}

/* " (did you mean 'debian-12'?)" for a value close to one of t's, or "". */
static const char *
enum_hint(const struct ab_enum_table *t, const char *text, char *buf, size_t size)
{
    const char *close = ab_enum_closest(t, text);
    if (!close)
        return "";
    snprintf(buf, size, " (did you mean '%s'?)", close);
    return buf;
}

int
yw_enum(struct yw *w, yaml_node_t *n, const char *what, const struct ab_enum_table *t, int *out)
{
    const char *text;
    char list[512], expected[528];

    snprintf(expected, sizeof(expected), "one of %s", ab_enum_list(t, list, sizeof(list)));
    if (scalar_as(w, n, what, expected, &text) < 0)
        return -1;
    if (ab_enum_from_string(t, text, out) == 0)
        return 0;
    struct ab_pos pos = yw_pos(w, n);
    char hint[96];
    return ab_recipe_error(w->err, &pos, "unknown %s '%s'%s: expected %s", what, text,
                           enum_hint(t, text, hint, sizeof(hint)),
                           ab_enum_list(t, list, sizeof(list)));
}

int
yw_size(struct yw *w, yaml_node_t *n, const char *what, bool allow_rest, uint64_t *out,
        bool *rest)
{
    const char *text, *why;

    const char *expected = allow_rest ? "a size such as '4GiB' or 'rest'" : "a size such as '4GiB'";
    if (scalar_as(w, n, what, expected, &text) < 0)
        return -1;
    if (allow_rest && strcmp(text, "rest") == 0) {
        *rest = true;
        *out = 0;
        return 0;
    }
    if (size_parse(text, out, &why) == 0)
        return 0;
    struct ab_pos pos = yw_pos(w, n);
    return ab_recipe_error(w->err, &pos, "invalid %s '%s': %s", what, text, why);
}

int
yw_seq(struct yw *w, yaml_node_t *n, const char *what, size_t max, yaml_node_item_t **items,
       size_t *n_items)
{
    struct ab_pos pos = yw_pos(w, n);

    if (!yw_visit(w, n))
        return -1;
    if (n->type != YAML_SEQUENCE_NODE)
        return ab_recipe_error(w->err, &pos, "%s must be a list, not %s", what, yw_kind(n));
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count > max)
        return ab_recipe_error(w->err, &pos, "%s has too many items (%zu, at most %zu)", what,
                               count, max);
    *items = n->data.sequence.items.start;
    *n_items = count;
    return 0;
}

int
yw_string_list(struct yw *w, yaml_node_t *n, const char *what, size_t max_len, char ***out)
{
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    if (yw_seq(w, n, what, 4096, &items, &count) < 0)
        return -1;
    char **v = calloc(count + 1, sizeof(*v));
    if (!v)
        return ab_oom(w->err);
    for (size_t i = 0; i < count; i++) {
        char item_what[128];
        snprintf(item_what, sizeof(item_what), "item %zu of %s", i + 1, what);
        if (yw_string(w, yw_node(w, items[i]), item_what, max_len, &v[i]) < 0) {
            ret = -1;
            v[i] = strdup("");
        }
    }
    ab_strv_free(*out);
    *out = v;
    return ret;
}

/* One item of a flag list: its flag, or -1 after reporting. */
static int
flag_item(struct yw *w, yaml_node_t *item, size_t i, const char *what,
          const struct ab_enum_table *t)
{
    const char *text;
    char list[512], item_what[128];
    int v;

    snprintf(item_what, sizeof(item_what), "item %zu of %s", i + 1, what);
    if (scalar_as(w, item, item_what, "a name", &text) < 0)
        return -1;
    if (ab_enum_from_string(t, text, &v) == 0)
        return v;
    struct ab_pos pos = yw_pos(w, item);
    char hint[96];
    return ab_recipe_error(w->err, &pos, "unknown value '%s' in %s%s: expected %s", text, what,
                           enum_hint(t, text, hint, sizeof(hint)),
                           ab_enum_list(t, list, sizeof(list)));
}

int
yw_flag_list(struct yw *w, yaml_node_t *n, const char *what, const struct ab_enum_table *t,
             unsigned *flags)
{
    yaml_node_item_t *items;
    size_t count;
    int ret = 0;

    if (yw_seq(w, n, what, 64, &items, &count) < 0)
        return -1;
    *flags = 0;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yw_node(w, items[i]);
        int v = flag_item(w, item, i, what, t);
        if (v < 0) {
            ret = -1;
        } else if (*flags & (unsigned)v) {
            struct ab_pos pos = yw_pos(w, item);
            ret = ab_recipe_error(w->err, &pos, "'%s' is listed twice in %s",
                                  ab_enum_to_string(t, v), what);
        }
        *flags |= v < 0 ? 0 : (unsigned)v;
    }
    return ret;
}

/* The known key that name most likely misspells, or -1: a close edit
 * (at most 2, and at most half the key) or a prefix of 3 letters or more. */
static int
closest_field(const char *name, const struct yw_field *fields, size_t n_fields)
{
    int best = -1;
    size_t best_d = SIZE_MAX;

    for (size_t i = 0; i < n_fields; i++) {
        if (!suggest_is_close(name, fields[i].key))
            continue;
        size_t d = suggest_distance(name, fields[i].key);
        if (d < best_d) {
            best_d = d;
            best = (int)i;
        }
    }
    return best;
}

/* Names people give a key of the format, where no edit makes one of
 * the other: (their word, the key). Used when that key is in the
 * mapping. */
static const char *const synonyms[][2] = {
    {"fstype", "fs"},     {"filesystem", "fs"}, {"type", "fs"},          {"mountpoint", "mount"},
    {"mount_point", "mount"}, {"path", "mount"}, {"ram", "memory"},      {"mem", "memory"},
    {"cpu", "cpus"},      {"vcpus", "cpus"},    {"source", "src"},       {"destination", "dest"},
    {"target", "dest"},   {"password", "password_hash"}, {"ssh_keys", "ssh_authorized_keys"},
    {"keys", "ssh_authorized_keys"}, {"distribution", "distro"}, {"os_disk", "os"},
    {"app_disk", "app"},  {"data", "app"},      {"system", "os"},
};

static int
synonym_field(const char *name, const struct yw_field *fields, size_t n_fields)
{
    for (size_t i = 0; i < sizeof(synonyms) / sizeof(synonyms[0]); i++)
        if (strcmp(name, synonyms[i][0]) == 0)
            for (size_t j = 0; j < n_fields; j++)
                if (strcmp(fields[j].key, synonyms[i][1]) == 0)
                    return (int)j;
    return -1;
}

/* The dotted paths of the keys named name in table t, outside the mapping
 * whose keys are here (at most 2 kept, *count all of them); a list's
 * items are "[]". */
static void
find_elsewhere(const struct yw_fields *t, const struct yw_field *here, const char *prefix,
               const char *name, char found[2][160], size_t *count)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct yw_field *f = &t->v[i];
        char path[160];
        if (f->flags & YW_REFUSED)
            continue;
        snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", f->key);
        if (t->v != here && strcmp(f->key, name) == 0 && (*count)++ < 2)
            snprintf(found[*count - 1], sizeof(found[0]), "%s", path);
        if (f->sub && (f->type == YW_MAPPING || f->type == YW_LIST)) {
            char sub[170];
            snprintf(sub, sizeof(sub), "%s%s", path, f->type == YW_LIST ? "[]" : "");
            find_elsewhere(f->sub, here, sub, name, found, count);
        }
    }
}

/* " (did you mean 'os.hostname'?)" for a key of another mapping, or "". */
static void
hint_elsewhere(const struct yw *w, const char *name, const struct yw_field *fields, char *buf,
               size_t size)
{
    char found[2][160];
    size_t count = 0;
    buf[0] = '\0';
    if (!w->root)
        return;
    find_elsewhere(w->root, fields, "", name, found, &count);
    if (count == 1)
        snprintf(buf, size, " (did you mean '%s'? it belongs there)", found[0]);
    else if (count == 2)
        snprintf(buf, size, " (did you mean '%s' or '%s'? it belongs there)", found[0], found[1]);
}

/* ": expected 'a', 'b' or 'c'", the keys a mapping takes. */
static void
list_keys(const struct yw_field *fields, size_t n_fields, char *buf, size_t size)
{
    size_t used = 0, shown = 0, n = 0;
    for (size_t i = 0; i < n_fields; i++)
        n += !(fields[i].flags & YW_REFUSED);
    used = (size_t)snprintf(buf, size, ": expected ");
    for (size_t i = 0; i < n_fields && used < size; i++) {
        if (fields[i].flags & YW_REFUSED)
            continue;
        shown++;
        const char *sep = shown == 1 ? "" : shown == n ? " or " : ", ";
        used += (size_t)snprintf(buf + used, size - used, "%s'%s'", sep, fields[i].key);
    }
}

/* Reports an unknown key; returns the field it hints at, or -1. */
static int
report_unknown_key(struct yw *w, yaml_node_t *key, const char *name, const char *where,
                   const struct yw_field *fields, size_t n_fields)
{
    struct ab_pos pos = yw_pos(w, key);
    int best = closest_field(name, fields, n_fields);
    char in[160] = "", more[512];

    if (best < 0)
        best = synonym_field(name, fields, n_fields);
    w->unknown_keys++;
    if (where)
        snprintf(in, sizeof(in), " in %s", where);
    if (best >= 0) {
        /* The hint, and what the mapping takes, as for an unknown enum
         * value: 'data' in 'disks' is not 'app' for sure. */
        list_keys(fields, n_fields, more, sizeof(more));
        ab_recipe_error(w->err, &pos, "unknown key '%s'%s (did you mean '%s'?)%s", name, in,
                        fields[best].key, more);
        return best;
    }
    hint_elsewhere(w, name, fields, more, sizeof(more));
    if (!more[0])
        list_keys(fields, n_fields, more, sizeof(more));
    ab_recipe_error(w->err, &pos, "unknown key '%s'%s%s", name, in, more);
    return -1;
}

static int
find_field(const struct yw_field *fields, size_t n_fields, const char *name)
{
    for (size_t i = 0; i < n_fields; i++)
        if (strcmp(fields[i].key, name) == 0)
            return (int)i;
    return -1;
}

/* The keys of one mapping seen so far: a bit and the first line of each
 * known key (so duplicates cost nothing however long the mapping), and
 * the keys that unknown keys were taken for. */
struct seen_keys {
    uint64_t given;
    uint64_t hinted;
    size_t line[64];
};

/* Checks one key of a mapping; returns its field, or -1 (reported). */
static int
mapping_key(struct yw *w, yaml_node_t *key, const char *where, const struct yw_field *fields,
            size_t n_fields, struct seen_keys *seen)
{
    const char *name;

    if (yw_scalar(w, key, "a key", &name) < 0)
        return -1;
    int i = find_field(fields, n_fields, name);
    if (i < 0) {
        int hint = report_unknown_key(w, key, name, where, fields, n_fields);
        if (hint >= 0)
            seen->hinted |= UINT64_C(1) << hint;
        return -1;
    }
    if (seen->given & (UINT64_C(1) << i)) {
        struct ab_pos pos = yw_pos(w, key);
        return ab_recipe_error(w->err, &pos, "duplicate key '%s' (first given at line %zu)", name,
                               seen->line[i]);
    }
    seen->given |= UINT64_C(1) << i;
    seen->line[i] = key->start_mark.line + 1;
    return i;
}

/* Reports the required keys not given (unless an unknown key was taken
 * for one: its misspelling is reported already). */
static int
check_required(struct yw *w, const struct ab_pos *pos, const char *where,
               const struct yw_field *fields, size_t n_fields, const struct seen_keys *seen)
{
    int ret = 0;

    for (size_t i = 0; i < n_fields; i++) {
        uint64_t bit = UINT64_C(1) << i;
        if (!(fields[i].flags & YW_REQUIRED) || (seen->given & bit))
            continue;
        if (seen->hinted & bit) {
            w->hinted_missing++;
            continue;
        }
        if (where)
            ab_recipe_error(w->err, pos, "missing required key '%s' in %s", fields[i].key, where);
        else
            ab_recipe_error(w->err, pos, "missing required key '%s'", fields[i].key);
        ret = -1;
    }
    return ret;
}

int
yw_mapping(struct yw *w, yaml_node_t *n, const char *where, const struct yw_field *fields,
           size_t n_fields, void *ctx)
{
    struct ab_pos pos = yw_pos(w, n);
    struct seen_keys seen = {0, 0, {0}};
    int ret = 0;

    if (!yw_visit(w, n))
        return -1;
    if (n->type != YAML_MAPPING_NODE)
        return ab_recipe_error(w->err, &pos, "%s must be a mapping, not %s",
                               where ? where : "a recipe", yw_kind(n));
    for (yaml_node_pair_t *pair = n->data.mapping.pairs.start; pair < n->data.mapping.pairs.top;
         pair++) {
        int i = mapping_key(w, yw_node(w, pair->key), where, fields, n_fields, &seen);
        size_t before = w->err->n_diags + w->err->n_dropped;
        if (i < 0)
            ret = -1;
        else if (fields[i].parse(w, yw_node(w, pair->value), &fields[i], ctx) < 0) {
            ret = -1;
            /* A refused value of an optional key is as if not given (its
             * parser keeps none): the rest can still be judged. */
            if (fields[i].type != YW_MAPPING && fields[i].type != YW_LIST &&
                (!(fields[i].flags & YW_REQUIRED) || fields[i].flags & YW_JUDGE_WITHOUT))
                w->bad_values += w->err->n_diags + w->err->n_dropped - before;
        }
        if (w->over_budget)
            return -1;
    }
    if (check_required(w, &pos, where, fields, n_fields, &seen) < 0)
        ret = -1;
    return ret;
}
