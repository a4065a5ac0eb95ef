/* yaml_walk.h: walking a libyaml document with positions and limits.
 *
 * A small layer over libyaml's document API for schema-driven parsers:
 * every accessor checks the node's type, reports problems with the node's
 * file:line:col into a struct ab_error, and counts visited nodes so that
 * aliases cannot multiply a small file into a huge walk. */
#ifndef APPLIANCE_YAML_WALK_H
#define APPLIANCE_YAML_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "appliance/enums.h"
#include "appliance/error.h"

struct yw {
    yaml_document_t doc;
    bool loaded;
    const char *file;
    struct ab_error *err;
    size_t visits;
    size_t max_visits;
    size_t max_scalar;
    bool over_budget;
    size_t unknown_keys; /* keys reported as unknown so far */
};

/* Loads the single YAML document in text. Returns 0, or -1 with a
 * positioned diagnostic (syntax error, several documents, empty input,
 * nesting deeper than 64 levels, aliases that expand the document past
 * max_visits nodes or refer to themselves). */
int yw_load(struct yw *w, const char *file, const char *text, size_t len, struct ab_error *err);
void yw_release(struct yw *w);

yaml_node_t *yw_root(struct yw *w);
yaml_node_t *yw_node(struct yw *w, int index);
struct ab_pos yw_pos(const struct yw *w, const yaml_node_t *n);

/* Counts a visit; false (reported once) when the walk is over budget. */
bool yw_visit(struct yw *w, const yaml_node_t *n);

/* "a string", "a list" or "a mapping", for messages. */
const char *yw_kind(const yaml_node_t *n);
/* True for an empty plain scalar, `~` or `null`. */
bool yw_is_null(const yaml_node_t *n);

/* Each accessor returns 0, or -1 after reporting a diagnostic at n.
 * `what` names the value in messages, e.g. "'cpus'". */
int yw_scalar(struct yw *w, yaml_node_t *n, const char *what, const char **text);
int yw_string(struct yw *w, yaml_node_t *n, const char *what, size_t max, char **out);
int yw_uint(struct yw *w, yaml_node_t *n, const char *what, uint64_t min, uint64_t max,
            uint64_t *out);
/* A plain `true` or `false` (YAML 1.2's core schema: no yes/no/on/off,
 * nothing quoted). */
int yw_bool(struct yw *w, yaml_node_t *n, const char *what, bool *out);
int yw_enum(struct yw *w, yaml_node_t *n, const char *what, const struct ab_enum_table *t,
            int *out);
/* A size; with allow_rest, the word `rest` sets *rest instead. */
int yw_size(struct yw *w, yaml_node_t *n, const char *what, bool allow_rest, uint64_t *out,
            bool *rest);
/* Checks n is a list of at most max items and gives its items. */
int yw_seq(struct yw *w, yaml_node_t *n, const char *what, size_t max, yaml_node_item_t **items,
           size_t *n_items);
/* A list of strings as a NULL-terminated array (empty list: one NULL). */
int yw_string_list(struct yw *w, yaml_node_t *n, const char *what, size_t max_len, char ***out);
/* A list of enum names, OR-ed into *flags; duplicates are errors. */
int yw_flag_list(struct yw *w, yaml_node_t *n, const char *what, const struct ab_enum_table *t,
                 unsigned *flags);

enum yw_field_flags {
    YW_REQUIRED = 1 << 0,
};

struct yw_field {
    const char *key;
    /* Parses the value of key into ctx; returns 0 or -1 (already reported). */
    int (*parse)(struct yw *w, yaml_node_t *value, void *ctx);
    unsigned flags;
};

/* Walks a mapping against a table of at most 64 known keys: unknown keys
 * (with a "did you mean" hint), duplicate keys and missing required keys
 * are reported (a required key that an unknown key misspells is not
 * reported missing too); every known key's parser is called. `where` names the mapping
 * in messages ("'hardware'", "volume 2 of disk 'os'"), NULL at the top. */
int yw_mapping(struct yw *w, yaml_node_t *n, const char *where, const struct yw_field *fields,
               size_t n_fields, void *ctx);

#endif
