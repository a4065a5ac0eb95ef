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
    size_t hinted_missing; /* required keys not reported missing: an unknown key misspells them */
    /* Diagnostics of the refused values of optional keys, whose parsers
     * keep no value then (a string is freed, a number not stored): the
     * recipe is judged as if they were not given. */
    size_t bad_values;
    /* Nodes that did not come from the file (--set): their place in
     * diagnostics is origin, not a line and column. */
    struct yw_origin {
        int node;
        char *origin;
    } *origins;
    size_t n_origins;
    /* The whole key table, for "did you mean 'os.hostname'?" across
     * mappings; NULL: hints from the mapping's own keys only. */
    const struct yw_fields *root;
};

/* Gives node (an index) the place origin in diagnostics; 0 or -1 (no memory). */
int yw_set_origin(struct yw *w, int node, const char *origin);

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
    /* A refused value of this required key is as if not given, and the
     * rest is still judged (plan_new() copes without it), as for every
     * optional key: a bad name does not hide a volume that does not fit. */
    YW_JUDGE_WITHOUT = 1 << 2,
    /* Known only to be refused with a better message than "unknown key"
     * (disk 'app''s `boot`): left out of the schema and the man page. */
    YW_REFUSED = 1 << 1,
};

/* What a key holds: it chooses the key's generic parser (yw_key_*), its
 * JSON Schema and its line in the man page (recipe_doc.c). */
enum yw_type {
    YW_MAPPING,      /* the keys of sub; at: the mapping's own context, if other */
    YW_LIST,         /* a list of min to max mappings, each with the keys of sub */
    YW_STRING,       /* one line of at most max bytes, of the form check() takes */
    YW_STRING_LIST,  /* a list of such strings, each named item in messages */
    YW_UINT,         /* an integer from min to max */
    YW_BOOL,         /* true or false */
    YW_ENUM,         /* a name of names */
    YW_FLAGS,        /* a list of names of names, each at most once */
    YW_NAMES,        /* one name of names, or a list of them (YW_FLAGS): flags either way */
    YW_SIZE,         /* a size (size.h); min and max, when set, in bytes */
    YW_SIZE_OR_REST, /* a size, or the word rest */
    YW_MODE,         /* file permissions in octal, such as "0644" */
    YW_LINES,        /* a list of non-blank scalars */
};

/* Offsets into a key's context are stored plus one, so that 0 means none. */
#define YW_AT(type, member) (offsetof(type, member) + 1)
#define YW_SIZEOF(type, member) sizeof(((type *)0)->member)

struct yw_fields;

/* One key of a mapping: systemd's conf-parser row. The generic parsers
 * read the value's place (at, size), its position's (pos_at), the flag
 * that says it was given (set_at), its bounds and names from the row;
 * a key with more to check has a parser of its own that reads the same
 * row. The row's documentation feeds the man page and the JSON Schema. */
struct yw_field {
    const char *key;
    /* Parses the value of key into ctx; returns 0 or -1 (already reported). */
    int (*parse)(struct yw *w, yaml_node_t *value, const struct yw_field *f, void *ctx);
    unsigned flags;
    enum yw_type type;
    size_t at;                          /* YW_AT() of the value in ctx; 0: none */
    size_t size;                        /* its size: an integer or bool is stored at its width */
    size_t pos_at;                      /* YW_AT() of the value's struct ab_pos; 0: none */
    size_t set_at;                      /* YW_AT() of a bool set once the value is read; 0: none */
    uint64_t min, max;                  /* YW_UINT, YW_SIZE, YW_LIST: bounds; strings: max bytes */
    const char *what;                   /* the value in messages: "'cpus'", "volume name" */
    const char *item;                   /* YW_STRING_LIST: one item in messages */
    const struct ab_enum_table *names;  /* YW_ENUM, YW_FLAGS */
    const char *(*check)(const char *); /* strings: why the form is wrong, or NULL */
    const char *pattern;                /* strings: the form as an ECMA-262 regex */
    const struct yw_fields *sub;        /* YW_MAPPING, YW_LIST */
    const char *dflt;                   /* the default as a recipe writes it, or NULL */
    const char *doc;                    /* one line for the man page and the schema */
};

struct yw_fields {
    const struct yw_field *v;
    size_t n;
};

/* The generic parsers, one per type but YW_LIST (whose items need
 * storage of their own) and YW_LINES. */
int yw_key_mapping(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx);
int yw_key_string(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx);
int yw_key_string_list(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx);
int yw_key_uint(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx);
int yw_key_bool(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx);
int yw_key_enum(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx);
int yw_key_flags(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx);
int yw_key_names(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx);
int yw_key_size(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx);

/* Walks a mapping against a table of at most 64 known keys: unknown keys
 * (with a "did you mean" hint), duplicate keys and missing required keys
 * are reported (a required key that an unknown key misspells is not
 * reported missing too); every known key's parser is called. `where` names the mapping
 * in messages ("'hardware'", "volume 2 of disk 'os'"), NULL at the top. */
int yw_mapping(struct yw *w, yaml_node_t *n, const char *where, const struct yw_field *fields,
               size_t n_fields, void *ctx);

#endif
