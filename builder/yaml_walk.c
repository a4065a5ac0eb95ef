/* yaml_walk.c: walking a libyaml document with positions and limits. */
#include "appliance/yaml_walk.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/size.h"

static struct ab_pos
mark_pos(const struct yw *w, yaml_mark_t m)
{
    return (struct ab_pos){w->file, (unsigned)m.line + 1, (unsigned)m.column + 1};
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
    if (!yaml_parser_initialize(&parser))
        return ab_error_set(err, AB_E_NOMEM, 0, NULL, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    if (!yaml_parser_load(&parser, &w->doc)) {
        struct ab_pos pos = mark_pos(w, parser.problem_mark);
        if (parser.context)
            ab_recipe_error(err, &pos, "invalid YAML: %s %s", parser.problem, parser.context);
        else
            ab_recipe_error(err, &pos, "invalid YAML: %s", parser.problem ? parser.problem : "?");
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
        struct ab_pos pos = mark_pos(w, parser.problem_mark);
        ab_recipe_error(err, &pos, "invalid YAML: %s", parser.problem ? parser.problem : "?");
        goto out;
    }
    bool more = yaml_document_get_root_node(&extra) != NULL;
    struct ab_pos extra_pos = mark_pos(w, extra.start_mark);
    yaml_document_delete(&extra);
    if (more) {
        ab_recipe_error(err, &extra_pos, "a recipe holds one YAML document, this is a second one");
        goto out;
    }
    ret = 0;
out:
    yaml_parser_delete(&parser);
    return ret;
}

void
yw_release(struct yw *w)
{
    if (w && w->loaded) {
        yaml_document_delete(&w->doc);
        w->loaded = false;
    }
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
    ab_recipe_error(w->err, &pos,
                    "recipe expands to more than %zu values: aliases must not multiply it",
                    w->max_visits);
    return false;
}

const char *
yw_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return yw_is_null(n) ? "empty" : "a string";
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

int
yw_scalar(struct yw *w, yaml_node_t *n, const char *what, const char **text)
{
    struct ab_pos pos = yw_pos(w, n);

    if (!yw_visit(w, n))
        return -1;
    if (n->type != YAML_SCALAR_NODE)
        return ab_recipe_error(w->err, &pos, "%s must be a value, not %s", what, yw_kind(n));
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
yw_string(struct yw *w, yaml_node_t *n, const char *what, size_t max, char **out)
{
    const char *text;

    if (yw_scalar(w, n, what, &text) < 0)
        return -1;
    size_t len = strlen(text);
    if (len > max) {
        struct ab_pos pos = yw_pos(w, n);
        return ab_recipe_error(w->err, &pos, "%s is too long (%zu characters, at most %zu)", what,
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
        return ab_error_set(w->err, AB_E_NOMEM, 0, NULL, "out of memory");
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

    if (yw_scalar(w, n, what, &text) < 0)
        return -1;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return ab_recipe_error(w->err, &pos, "%s must be an integer, not a quoted string", what);
    uint64_t v = 0;
    const char *p = text;
    if (!isdigit((unsigned char)*p))
        return ab_recipe_error(w->err, &pos, "%s must be an integer, not '%s'", what, text);
    for (; isdigit((unsigned char)*p); p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return ab_recipe_error(w->err, &pos, "%s is out of range (%" PRIu64 "..%" PRIu64 ")",
                                   what, min, max);
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (*p)
        return ab_recipe_error(w->err, &pos, "%s must be an integer, not '%s'", what, text);
    if (v < min || v > max)
        return ab_recipe_error(w->err, &pos, "%s must be from %" PRIu64 " to %" PRIu64 ", not %s",
                               what, min, max, text);
    *out = v;
    return 0;
}

int
yw_enum(struct yw *w, yaml_node_t *n, const char *what, const struct ab_enum_table *t, int *out)
{
    const char *text;
    char list[512];

    if (yw_scalar(w, n, what, &text) < 0)
        return -1;
    if (ab_enum_from_string(t, text, out) == 0)
        return 0;
    struct ab_pos pos = yw_pos(w, n);
    return ab_recipe_error(w->err, &pos, "unknown %s '%s': expected %s", what, text,
                           ab_enum_list(t, list, sizeof(list)));
}

int
yw_size(struct yw *w, yaml_node_t *n, const char *what, bool allow_rest, uint64_t *out,
        bool *rest)
{
    const char *text, *why;

    if (yw_scalar(w, n, what, &text) < 0)
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
        return ab_error_set(w->err, AB_E_NOMEM, 0, NULL, "out of memory");
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
        int v;
        if (yw_enum(w, item, what, t, &v) < 0) {
            ret = -1;
            continue;
        }
        if (*flags & (unsigned)v) {
            struct ab_pos pos = yw_pos(w, item);
            ret = ab_recipe_error(w->err, &pos, "%s '%s' is listed twice", what,
                                  ab_enum_to_string(t, v));
        }
        *flags |= (unsigned)v;
    }
    return ret;
}

/* Levenshtein distance, for "did you mean" hints on short keys. */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];

    if (la >= 63 || lb >= 63)
        return 64;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static void
report_unknown_key(struct yw *w, yaml_node_t *key, const char *name, const char *where,
                   const struct yw_field *fields, size_t n_fields)
{
    struct ab_pos pos = yw_pos(w, key);
    const char *best = NULL;
    size_t best_d = 3; /* hint only for close misses */

    for (size_t i = 0; i < n_fields; i++) {
        size_t d = edit_distance(name, fields[i].key);
        if (d < best_d) {
            best_d = d;
            best = fields[i].key;
        }
    }
    char in[160] = "";
    if (where)
        snprintf(in, sizeof(in), " in %s", where);
    if (best)
        ab_recipe_error(w->err, &pos, "unknown key '%s'%s (did you mean '%s'?)", name, in, best);
    else
        ab_recipe_error(w->err, &pos, "unknown key '%s'%s", name, in);
}

static int
find_field(const struct yw_field *fields, size_t n_fields, const char *name)
{
    for (size_t i = 0; i < n_fields; i++)
        if (strcmp(fields[i].key, name) == 0)
            return (int)i;
    return -1;
}

/* Reports a key seen before in the same mapping; returns true if so. */
static bool
duplicate_key(struct yw *w, yaml_node_pair_t *start, yaml_node_pair_t *pair, const char *name)
{
    for (yaml_node_pair_t *p = start; p < pair; p++) {
        yaml_node_t *k = yw_node(w, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, name) == 0) {
            struct ab_pos pos = yw_pos(w, yw_node(w, pair->key));
            ab_recipe_error(w->err, &pos, "duplicate key '%s' (first given at line %zu)", name,
                            k->start_mark.line + 1);
            return true;
        }
    }
    return false;
}

int
yw_mapping(struct yw *w, yaml_node_t *n, const char *where, const struct yw_field *fields,
           size_t n_fields, void *ctx)
{
    struct ab_pos pos = yw_pos(w, n);
    uint64_t seen = 0;
    int ret = 0;

    if (!yw_visit(w, n))
        return -1;
    if (n->type != YAML_MAPPING_NODE)
        return ab_recipe_error(w->err, &pos, "%s must be a mapping, not %s",
                               where ? where : "a recipe", yw_kind(n));
    yaml_node_pair_t *start = n->data.mapping.pairs.start;
    for (yaml_node_pair_t *pair = start; pair < n->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yw_node(w, pair->key);
        const char *name;
        if (yw_scalar(w, key, "a key", &name) < 0) {
            ret = -1;
            continue;
        }
        if (duplicate_key(w, start, pair, name)) {
            ret = -1;
            continue;
        }
        int i = find_field(fields, n_fields, name);
        if (i < 0) {
            report_unknown_key(w, key, name, where, fields, n_fields);
            ret = -1;
            continue;
        }
        seen |= UINT64_C(1) << i;
        if (fields[i].parse(w, yw_node(w, pair->value), ctx) < 0)
            ret = -1;
        if (w->over_budget)
            return -1;
    }
    for (size_t i = 0; i < n_fields; i++) {
        if ((fields[i].flags & YW_REQUIRED) && !(seen & (UINT64_C(1) << i))) {
            if (where)
                ab_recipe_error(w->err, &pos, "missing required key '%s' in %s", fields[i].key,
                                where);
            else
                ab_recipe_error(w->err, &pos, "missing required key '%s'", fields[i].key);
            ret = -1;
        }
    }
    return ret;
}
