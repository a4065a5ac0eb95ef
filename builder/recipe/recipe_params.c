/* recipe_params.c: values from outside a recipe's text, put into its
 * YAML document before the key table's walk judges it (recipe_params.h):
 * ${VAR} in the file's values from the environment, then --set KEY=VALUE.
 * A value put in is one scalar, never parsed as YAML, so quotes, brackets,
 * '#', ': ' or a line break in it stay in the value, and the walk judges
 * it as it would the same text written in the file. */
#include "recipe_params.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/names.h"

/* The value of a --set or of an environment variable is data: a word that
 * YAML reads as null in the file ("~", "null") is a string here. */
static yaml_scalar_style_t
value_style(const char *v)
{
    bool null_word = strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
                     strcmp(v, "NULL") == 0;
    return null_word ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE;
}

static int
add_param(struct recipe *r, const char *key, const char *value, const char *from)
{
    struct recipe_param *grown = realloc(r->params, (r->n_params + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    r->params = grown;
    struct recipe_param *p = &grown[r->n_params];
    /* A password hash is never printed, wherever it came from. */
    const char *dot = strrchr(key, '.');
    bool secret = strcmp(dot ? dot + 1 : key, "password_hash") == 0;
    char redacted[2100];
    if (strcmp(key, "os.mirror") == 0) {
        url_redact(value, redacted, sizeof(redacted));
        value = redacted; /* a user and password in the address are never printed */
    }
    p->key = strdup(key);
    p->value = strdup(secret ? "(hidden)" : value);
    p->from = strdup(secret && strcmp(from, "--set") != 0 ? "(hidden)" : from);
    r->n_params++;
    return p->key && p->value && p->from ? 0 : -1;
}

/* ---- ${VAR} ------------------------------------------------------------- */

struct expand {
    struct yw *w;
    const struct recipe_opts *o;
    struct recipe *r;
    unsigned char *done; /* per node: expanded already (aliases share nodes) */
};

/* Appends n bytes of s to the growing buffer *buf of *len bytes. */
static int
append(char **buf, size_t *len, const char *s, size_t n)
{
    char *grown = realloc(*buf, *len + n + 1);
    if (!grown)
        return -1;
    memcpy(grown + *len, s, n);
    *len += n;
    grown[*len] = '\0';
    *buf = grown;
    return 0;
}

/* Expands one ${...} starting at text (just after "${"); *end gets the
 * place after its '}'. Returns 0, or -1 after reporting at pos. */
static int
expand_ref(struct expand *e, const char *text, const char **end, const struct ab_pos *pos,
           char **out, size_t *len)
{
    const char *close = strchr(text, '}');
    size_t name_len = strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789_");
    if (!close)
        return ab_recipe_error(e->w->err, pos,
                               "'${' without its '}': write ${NAME} for a variable, $$ for a "
                               "literal '$'");
    bool dflt = strncmp(text + name_len, ":-", 2) == 0;
    if (name_len == 0 || isdigit((unsigned char)text[0]) || (!dflt && text + name_len != close))
        return ab_recipe_error(e->w->err, pos,
                               "invalid variable reference '${%.*s}': a name of letters, digits "
                               "and '_' (and ':-DEFAULT'); $$ is a literal '$'",
                               (int)(close - text), text);
    CLEANUP_FREE char *name = strndup(text, name_len);
    if (!name)
        return ab_oom(e->w->err);
    const char *v = e->o && e->o->getenv ? e->o->getenv(name, e->o->getenv_ctx) : NULL;
    *end = close + 1;
    if (dflt && (!v || !*v))
        return append(out, len, text + name_len + 2, (size_t)(close - text - name_len - 2)) < 0
                   ? ab_oom(e->w->err)
                   : 0;
    if (!v)
        return ab_recipe_error(e->w->err, pos,
                               "environment variable '%s' is not set (give a default: "
                               "${%s:-DEFAULT})",
                               name, name);
    return append(out, len, v, strlen(v)) < 0 ? ab_oom(e->w->err) : 0;
}

/* The value of text with $$ and ${...} expanded, into *out. */
static int
expand_text(struct expand *e, const char *text, const struct ab_pos *pos, char **out)
{
    size_t len = 0;
    int ret = 0;

    if (append(out, &len, "", 0) < 0)
        return ab_oom(e->w->err);
    while (*text) {
        const char *dollar = strchr(text, '$');
        size_t plain = dollar ? (size_t)(dollar - text) : strlen(text);
        if (append(out, &len, text, plain) < 0)
            return ab_oom(e->w->err);
        if (!dollar)
            break;
        if (dollar[1] == '$' || dollar[1] != '{') {
            /* $$ is one '$'; a '$' before anything else stays ($6$ hashes). */
            if (append(out, &len, "$", 1) < 0)
                return ab_oom(e->w->err);
            text = dollar + 1 + (dollar[1] == '$');
            continue;
        }
        if (expand_ref(e, dollar + 2, &text, pos, out, &len) < 0) {
            ret = -1;
            break;
        }
    }
    return ret;
}

static int expand_node(struct expand *e, int index, const char *path);

static int
expand_scalar(struct expand *e, yaml_node_t *n, const char *path)
{
    const char *text = (const char *)n->data.scalar.value;
    struct ab_pos pos = yw_pos(e->w, n);
    CLEANUP_FREE char *value = NULL;

    if (!strchr(text, '$'))
        return 0;
    if (expand_text(e, text, &pos, &value) < 0)
        return -1;
    if (strcmp(value, text) != 0 && add_param(e->r, path, value, text) < 0)
        return ab_oom(e->w->err);
    if (strchr(text, '{') && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        n->data.scalar.style = value_style(value);
    free(n->data.scalar.value);
    n->data.scalar.length = strlen(value);
    n->data.scalar.value = (yaml_char_t *)value;
    value = NULL;
    return 0;
}

/* "a.b" + "c", or the item's name or number for a list. */
static char *
join_path(const char *path, const char *part)
{
    char *out = NULL;
    if (asprintf(&out, "%s%s%s", path, *path ? "." : "", part) < 0)
        return NULL;
    return out;
}

/* The name of a list item that is a mapping with a scalar `name`, or NULL. */
static const char *
item_name(struct yw *w, yaml_node_t *item)
{
    if (item->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yw_node(w, p->key), *v = yw_node(w, p->value);
        if (k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE &&
            strcmp((char *)k->data.scalar.value, "name") == 0)
            return (const char *)v->data.scalar.value;
    }
    return NULL;
}

static int
expand_children(struct expand *e, yaml_node_t *n, const char *path)
{
    int ret = 0;
    if (n->type == YAML_SEQUENCE_NODE) {
        size_t i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++, i++) {
            char num[32];
            const char *name = item_name(e->w, yw_node(e->w, *it));
            snprintf(num, sizeof(num), "%zu", i + 1);
            CLEANUP_FREE char *sub = join_path(path, name ? name : num);
            if (!sub || expand_node(e, *it, sub) < 0)
                ret = -1;
        }
        return ret;
    }
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yw_node(e->w, p->key);
        const char *key = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "?";
        if (!*path && strcmp(key, "run") == 0)
            continue; /* shell lines: ${VAR} is the guest shell's */
        CLEANUP_FREE char *sub = join_path(path, key);
        if (!sub || expand_node(e, p->value, sub) < 0)
            ret = -1;
    }
    return ret;
}

static int
expand_node(struct expand *e, int index, const char *path)
{
    yaml_node_t *n = yw_node(e->w, index);
    if (!n || e->done[index])
        return 0;
    e->done[index] = 1;
    if (n->type == YAML_SCALAR_NODE)
        return expand_scalar(e, n, path);
    return expand_children(e, n, path);
}

int
recipe_expand_env(struct yw *w, const struct recipe_opts *o, struct recipe *r)
{
    size_t n = (size_t)(w->doc.nodes.top - w->doc.nodes.start);
    struct expand e = {w, o, r, calloc(n + 2, 1)};
    if (!e.done)
        return ab_oom(w->err);
    int root = yw_root(w) ? (int)(yw_root(w) - w->doc.nodes.start) + 1 : 0;
    int ret = root ? expand_node(&e, root, "") : 0;
    free(e.done);
    return ret;
}

/* ---- --set KEY=VALUE ------------------------------------------------------ */

static int
new_scalar(struct yw *w, const char *text, const char *origin)
{
    int id = yaml_document_add_scalar(&w->doc, NULL, (yaml_char_t *)text, (int)strlen(text),
                                      value_style(text));
    if (!id || yw_set_origin(w, id, origin) < 0)
        return 0;
    return id;
}

/* The value node of key in mapping m (an index), or 0; *pair_at gets its
 * pair's offset. */
static int
mapping_get(struct yw *w, int m, const char *key, size_t *pair_at)
{
    yaml_node_t *n = yw_node(w, m);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yw_node(w, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0) {
            *pair_at = (size_t)(p - n->data.mapping.pairs.start);
            return p->value;
        }
    }
    return 0;
}

/* The item of list l that part names (its `name` or 1-based number). */
static yaml_node_item_t *
list_get(struct yw *w, int l, const char *part)
{
    yaml_node_t *n = yw_node(w, l);
    size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    char *end;
    unsigned long i = strtoul(part, &end, 10);
    if (isdigit((unsigned char)part[0]) && !*end)
        return i >= 1 && i <= count ? &n->data.sequence.items.start[i - 1] : NULL;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        const char *name = item_name(w, yw_node(w, *it));
        if (name && strcmp(name, part) == 0)
            return it;
    }
    return NULL;
}

/* Sets the value of part in container c to the scalar value (a new node
 * whose place is origin); creates a mapping for part when value is NULL
 * and part is missing. Returns the node now at part, or 0 (reported). */
static int
set_part(struct yw *w, int c, const char *part, const char *value, const char *origin,
         const struct ab_pos *pos)
{
    yaml_node_t *n = yw_node(w, c);
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = list_get(w, c, part);
        if (!it)
            return ab_error_set(w->err, AB_E_RECIPE, 0, pos, "the list has no item '%s' (give "
                                "an item's name or its number from 1)", part), 0;
        if (!value)
            return *it;
        size_t off = (size_t)(it - n->data.sequence.items.start);
        int id = new_scalar(w, value, origin);
        if (id)
            yw_node(w, c)->data.sequence.items.start[off] = id;
        return id;
    }
    if (n->type != YAML_MAPPING_NODE)
        return ab_error_set(w->err, AB_E_RECIPE, 0, pos,
                            "'%s' cannot be set: what holds it is %s, not a mapping", part,
                            yw_kind(n)), 0;
    size_t at;
    int found = mapping_get(w, c, part, &at);
    if (found && !value)
        return found;
    int id = value ? new_scalar(w, value, origin) : 0;
    if (!value) {
        id = yaml_document_add_mapping(&w->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
        if (id && yw_set_origin(w, id, origin) < 0)
            id = 0;
    }
    if (!id)
        return ab_oom(w->err), 0;
    if (found) {
        yw_node(w, c)->data.mapping.pairs.start[at].value = id;
        return id;
    }
    int key = new_scalar(w, part, origin);
    if (!key || !yaml_document_append_mapping_pair(&w->doc, c, key, id))
        return ab_oom(w->err), 0;
    return id;
}

/* Whether the node at the end of the path holds a list or mapping: --set
 * replaces single values only. */
static bool
holds_collection(struct yw *w, int c, const char *part)
{
    yaml_node_t *n = yw_node(w, c);
    size_t at;
    int v = n->type == YAML_MAPPING_NODE ? mapping_get(w, c, part, &at) : 0;
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it = list_get(w, c, part);
        v = it ? *it : 0;
    }
    return v && yw_node(w, v)->type != YAML_SCALAR_NODE;
}

static int
apply_set(struct yw *w, const char *arg, struct recipe *r)
{
    const char *eq = strchr(arg, '=');
    struct ab_pos usage = {NULL, 0, 0};
    if (!eq || eq == arg)
        return ab_error_set(w->err, AB_E_USAGE, 0, &usage,
                            "--set '%s': expected KEY=VALUE, such as os.hostname=web1", arg);
    CLEANUP_FREE char *key = strndup(arg, (size_t)(eq - arg));
    CLEANUP_FREE char *origin = NULL;
    if (!key || asprintf(&origin, "--set %s", key) < 0)
        return ab_oom(w->err);
    struct ab_pos pos = {origin, 0, 0};
    int c = (int)(yw_root(w) - w->doc.nodes.start) + 1;
    char *part = key;
    for (char *dot; (dot = strchr(part, '.')); part = dot + 1) {
        *dot = '\0';
        if (!*part || !(c = set_part(w, c, part, NULL, origin, &pos)))
            return *part ? -1 : ab_error_set(w->err, AB_E_USAGE, 0, &usage,
                                             "--set '%s': empty part in the key", arg);
        *dot = '.';
    }
    if (!*part)
        return ab_error_set(w->err, AB_E_USAGE, 0, &usage, "--set '%s': empty part in the key",
                            arg);
    if (holds_collection(w, c, part))
        return ab_recipe_error(w->err, &pos,
                               "'%s' holds a list or mapping: --set sets single values", key);
    if (!set_part(w, c, part, eq + 1, origin, &pos))
        return -1;
    return add_param(r, key, eq + 1, "--set") < 0 ? ab_oom(w->err) : 0;
}

int
recipe_apply_set(struct yw *w, const struct recipe_opts *o, struct recipe *r)
{
    int ret = 0;
    if (!o || !yw_root(w) || yw_root(w)->type != YAML_MAPPING_NODE)
        return 0;
    for (size_t i = 0; i < o->n_set; i++)
        if (apply_set(w, o->set[i], r) < 0)
            ret = -1;
    return ret;
}
