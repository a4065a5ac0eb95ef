/* yaml_keys.c: the generic key parsers, driven by a key's table row.
 *
 * Each reads the value the row's type names, within the row's bounds,
 * and stores it at the row's offsets in the context: the way systemd's
 * config_parse_unsigned() and friends serve every row of its tables. */
#include "yaml_walk.h"

#include <stdlib.h>
#include <string.h>

/* The place at (an offset plus one) in ctx. */
static void *
at(void *ctx, size_t at)
{
    return (char *)ctx + at - 1;
}

/* Notes where the value stands, if the row keeps it. */
static void
note_pos(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    if (f->pos_at)
        *(struct ab_pos *)at(ctx, f->pos_at) = yw_pos(w, n);
}

/* Marks the value as given, if the row keeps that. */
static int
note_set(const struct yw_field *f, void *ctx)
{
    if (f->set_at)
        *(bool *)at(ctx, f->set_at) = true;
    return 0;
}

/* Stores an integer at the row's width. */
static void
store_int(const struct yw_field *f, void *ctx, uint64_t v)
{
    void *p = at(ctx, f->at);
    if (f->size == sizeof(uint64_t))
        *(uint64_t *)p = v;
    else if (f->size == sizeof(unsigned))
        *(unsigned *)p = (unsigned)v;
    else
        *(bool *)p = v != 0;
}

int
yw_key_mapping(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    note_pos(w, n, f, ctx);
    note_set(f, ctx);
    void *inner = f->at ? at(ctx, f->at) : ctx;
    return yw_mapping(w, n, f->what, f->sub->v, f->sub->n, inner);
}

/* Reports "invalid WHAT 'text': why" at n when check() refuses text. */
int
yw_key_string(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    char **out = at(ctx, f->at);

    note_pos(w, n, f, ctx);
    if (yw_string(w, n, f->what, (size_t)f->max, out) < 0)
        return -1;
    const char *why = f->check ? f->check(*out) : NULL;
    if (!why)
        return note_set(f, ctx);
    struct ab_pos pos = yw_pos(w, n);
    ab_recipe_error(w->err, &pos, "invalid %s '%s': %s", f->what, *out, why);
    free(*out); /* not given: nothing is judged by a refused value */
    *out = NULL;
    return -1;
}

/* A list of strings (each an f->item) each checked by f->check. */
int
yw_key_string_list(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    char ***out = at(ctx, f->at);

    note_pos(w, n, f, ctx);
    int ret = yw_string_list(w, n, f->what, (size_t)f->max, out);
    if (ret < 0 || !f->check)
        return ret;
    yaml_node_item_t *item = n->data.sequence.items.start;
    for (char **s = *out; *s; s++, item++) {
        const char *why = f->check(*s);
        if (why) {
            struct ab_pos pos = yw_pos(w, yw_node(w, *item));
            ret = ab_recipe_error(w->err, &pos, "invalid %s '%s': %s", f->item, *s, why);
        }
    }
    return ret;
}

int
yw_key_uint(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    uint64_t v;

    note_pos(w, n, f, ctx);
    if (yw_uint(w, n, f->what, f->min, f->max, &v) < 0)
        return -1;
    store_int(f, ctx, v);
    return note_set(f, ctx);
}

int
yw_key_bool(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    bool v;

    note_pos(w, n, f, ctx);
    if (yw_bool(w, n, f->what, &v) < 0)
        return -1;
    store_int(f, ctx, v);
    return note_set(f, ctx);
}

int
yw_key_enum(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    int v;

    note_pos(w, n, f, ctx);
    if (yw_enum(w, n, f->what, f->names, &v) < 0)
        return -1;
    store_int(f, ctx, (uint64_t)(unsigned)v);
    return note_set(f, ctx);
}

int
yw_key_flags(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    note_pos(w, n, f, ctx);
    int ret = yw_flag_list(w, n, f->what, f->names, at(ctx, f->at));
    /* A list of nothing but refused names is as if not given. */
    if (ret == 0 || *(unsigned *)at(ctx, f->at))
        note_set(f, ctx);
    return ret;
}

/* One name (stored as its flag), or a list of names (yw_key_flags). */
int
yw_key_names(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    if (n->type == YAML_SEQUENCE_NODE)
        return yw_key_flags(w, n, f, ctx);
    int v;
    note_pos(w, n, f, ctx);
    if (yw_enum(w, n, f->what, f->names, &v) < 0)
        return -1;
    *(unsigned *)at(ctx, f->at) = (unsigned)v;
    return note_set(f, ctx);
}

int
yw_key_size(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    note_pos(w, n, f, ctx);
    if (yw_size(w, n, f->what, false, at(ctx, f->at), NULL) < 0)
        return -1;
    return note_set(f, ctx);
}
