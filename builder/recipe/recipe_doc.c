/* recipe_doc.c: the recipe's key table written out for people and
 * editors: the key reference of appliance-recipe(5), as POD, and the
 * recipe's JSON Schema (draft 2020-12). Both walk the table that the
 * parser walks (recipe_keys.h), so neither can list a key it does not. */
#include "appliance/recipe.h"

#include <ctype.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/size.h"
#include "recipe_keys.h"

/* The form of a size that size_parse() (size.h) takes: an integer and
 * one of its units. */
#define SIZE_FORM "[0-9]+(B|K|KiB|M|MiB|G|GiB|T|TiB)"

/* ---- JSON Schema ---------------------------------------------------------- */

static json_object *schema_of_keys(const struct yw_fields *keys);

static json_object *
enum_names(const struct ab_enum_table *t)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < t->n; i++)
        json_object_array_add(a, json_object_new_string(ab_enum_at(t, i)->name));
    return a;
}

static void
put(json_object *o, const char *key, json_object *v)
{
    json_object_object_add(o, key, v);
}

/* A string of at most max bytes (0: no bound) of the form pattern. */
static json_object *
string_schema(uint64_t max, const char *pattern)
{
    json_object *o = json_object_new_object();
    put(o, "type", json_object_new_string("string"));
    if (max)
        put(o, "maxLength", json_object_new_int64((int64_t)max));
    if (pattern) {
        /* Or any text with a ${VAR} in it: the program judges the value
         * the environment gives, which an editor cannot know. */
        char *either = NULL;
        if (asprintf(&either, "(?:%s)|\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}", pattern) < 0)
            return o;
        put(o, "pattern", json_object_new_string(either));
        free(either);
    }
    return o;
}

static json_object *
array_schema(json_object *items, uint64_t min, uint64_t max)
{
    json_object *o = json_object_new_object();
    put(o, "type", json_object_new_string("array"));
    put(o, "items", items);
    if (min)
        put(o, "minItems", json_object_new_int64((int64_t)min));
    if (max)
        put(o, "maxItems", json_object_new_int64((int64_t)max));
    return o;
}

/* The type of one key's value, without its documentation. */
static json_object *
value_schema(const struct yw_field *f)
{
    json_object *o;

    switch (f->type) {
    case YW_MAPPING:
        return schema_of_keys(f->sub);
    case YW_LIST:
        return array_schema(schema_of_keys(f->sub), f->min, f->max);
    case YW_STRING:
        return string_schema(f->max, f->pattern);
    case YW_STRING_LIST:
        return array_schema(string_schema(f->max, f->pattern), 0, RECIPE_MAX_LIST);
    case YW_UINT:
        o = json_object_new_object();
        put(o, "type", json_object_new_string("integer"));
        put(o, "minimum", json_object_new_uint64(f->min));
        put(o, "maximum", json_object_new_uint64(f->max));
        return o;
    case YW_BOOL:
        o = json_object_new_object();
        put(o, "type", json_object_new_string("boolean"));
        return o;
    case YW_ENUM:
        o = json_object_new_object();
        put(o, "enum", enum_names(f->names));
        return o;
    case YW_FLAGS:
        o = json_object_new_object();
        put(o, "enum", enum_names(f->names));
        o = array_schema(o, 0, 64);
        put(o, "uniqueItems", json_object_new_boolean(1));
        return o;
    case YW_NAMES: {
        struct json_object *one = json_object_new_object();
        put(one, "enum", enum_names(f->names));
        struct json_object *list = json_object_new_object();
        put(list, "enum", enum_names(f->names));
        list = array_schema(list, 1, 64);
        put(list, "uniqueItems", json_object_new_boolean(1));
        struct json_object *any = json_object_new_array();
        json_object_array_add(any, one);
        json_object_array_add(any, list);
        o = json_object_new_object();
        put(o, "oneOf", any);
        return o;
    }
    case YW_SIZE:
        return string_schema(0, "^" SIZE_FORM "$");
    case YW_SIZE_OR_REST:
        return string_schema(0, "^(" SIZE_FORM "|rest)$");
    case YW_MODE:
        /* "0644" quoted; unquoted, YAML 1.2 reads 0644 as the integer 644. */
        o = string_schema(0, "^[0-7]{3,5}$");
        json_object_object_del(o, "type");
        put(o, "type", json_object_new_array());
        json_object_array_add(json_object_object_get(o, "type"), json_object_new_string("string"));
        json_object_array_add(json_object_object_get(o, "type"), json_object_new_string("integer"));
        return o;
    case YW_LINES:
        return array_schema(string_schema(0, "\\S"), 0, f->max);
    }
    return json_object_new_object();
}

/* The default as JSON: an integer, a boolean or a string. */
static json_object *
default_value(const struct yw_field *f)
{
    if (f->type == YW_UINT)
        return json_object_new_uint64(strtoull(f->dflt, NULL, 10));
    if (f->type == YW_BOOL)
        return json_object_new_boolean(strcmp(f->dflt, "true") == 0);
    return json_object_new_string(f->dflt);
}

static json_object *
key_schema(const struct yw_field *f)
{
    json_object *o = value_schema(f);
    if (f->doc)
        put(o, "description", json_object_new_string(f->doc));
    if (f->dflt)
        put(o, "default", default_value(f));
    return o;
}

/* A mapping of exactly the keys given, the required ones required. */
static json_object *
schema_of_keys(const struct yw_fields *keys)
{
    json_object *o = json_object_new_object();
    json_object *props = json_object_new_object();
    json_object *required = json_object_new_array();

    put(o, "type", json_object_new_string("object"));
    for (size_t i = 0; i < keys->n; i++) {
        const struct yw_field *f = &keys->v[i];
        if (f->flags & YW_REFUSED)
            continue;
        put(props, f->key, key_schema(f));
        if (f->flags & YW_REQUIRED)
            json_object_array_add(required, json_object_new_string(f->key));
    }
    put(o, "properties", props);
    if (json_object_array_length(required))
        put(o, "required", required);
    else
        json_object_put(required);
    put(o, "additionalProperties", json_object_new_boolean(0));
    return o;
}

int
recipe_schema_write(FILE *out)
{
    json_object *o = json_object_new_object();
    put(o, "$schema", json_object_new_string("https://json-schema.org/draft/2020-12/schema"));
    put(o, "title", json_object_new_string("appliance recipe, format 1"));
    put(o, "description",
        json_object_new_string("A recipe of appliance(1): one YAML file describing one "
                               "appliance; see appliance-recipe(5)."));
    json_object *keys = schema_of_keys(&recipe_keys);
    json_object_object_foreach(keys, k, v) put(o, k, json_object_get(v));
    json_object_put(keys);
    int r = fprintf(out, "%s\n",
                    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                          JSON_C_TO_STRING_SPACED |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return r < 0 ? -1 : 0;
}

/* ---- the man page's key reference ----------------------------------------- */

/* Writes text with POD's angle brackets escaped; the first letter upper
 * case when cap. */
static void
pod_text(FILE *out, const char *text, bool cap)
{
    for (const char *c = text; *c; c++) {
        if (*c == '<')
            fputs("E<lt>", out);
        else if (*c == '>')
            fputs("E<gt>", out);
        else
            fputc(cap && c == text ? toupper((unsigned char)*c) : *c, out);
    }
}

static void
pod_names(FILE *out, const struct ab_enum_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        fprintf(out, "%sC<%s>", i == 0 ? "" : i + 1 == t->n ? " or " : ", ", ab_enum_at(t, i)->name);
}

/* The sections written so far, by the keys they document: a table of
 * keys that two mappings share (the volumes of both disks) has one. */
struct pod_sections {
    const struct yw_fields *keys[16];
    char name[16][128];
    size_t n;
};

/* The section of the keys below a mapping or list key: the first one
 * that documents them, else a new one named by the key's path. */
static const char *
section_of(struct pod_sections *s, const char *prefix, const struct yw_field *f)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->keys[i] == f->sub)
            return s->name[i];
    if (s->n == 16)
        return "KEYS";
    s->keys[s->n] = f->sub;
    snprintf(s->name[s->n], sizeof(s->name[0]), "%s%s%s%s", prefix, *prefix ? "." : "", f->key,
             f->type == YW_LIST ? "[]" : "");
    return s->name[s->n++];
}

/* One sentence on what the value is; sect: the section of its keys. */
static void
pod_type(FILE *out, const struct yw_field *f, const char *sect)
{
    char buf[SIZE_BUF], buf2[SIZE_BUF];

    switch (f->type) {
    case YW_MAPPING:
        fprintf(out, "A mapping (L</%s>).", sect);
        break;
    case YW_LIST:
        if (f->min)
            fprintf(out, "A list of %" PRIu64 " to %" PRIu64 " mappings (L</%s>).", f->min, f->max,
                    sect);
        else
            fprintf(out, "A list of at most %" PRIu64 " mappings (L</%s>).", f->max, sect);
        break;
    case YW_STRING:
        fprintf(out, "Text on one line, at most %" PRIu64 " bytes.", f->max);
        break;
    case YW_STRING_LIST:
        fprintf(out, "A list of texts on one line, each at most %" PRIu64 " bytes.", f->max);
        break;
    case YW_UINT:
        if (f->min == f->max)
            fprintf(out, "The integer C<%" PRIu64 ">.", f->min);
        else
            fprintf(out, "An integer from %" PRIu64 " to %" PRIu64 ".", f->min, f->max);
        break;
    case YW_BOOL:
        fputs("C<true> or C<false>.", out);
        break;
    case YW_ENUM:
        pod_names(out, f->names);
        fputs(".", out);
        break;
    case YW_FLAGS:
        fputs("A list of ", out);
        pod_names(out, f->names);
        fputs(", each at most once.", out);
        break;
    case YW_NAMES:
        pod_names(out, f->names);
        fputs(", or a list of them, each at most once.", out);
        break;
    case YW_SIZE:
        if (f->max)
            fprintf(out, "A size (L</Sizes>) from %s to %s.", size_format(f->min, buf, sizeof(buf)),
                    size_format(f->max, buf2, sizeof(buf2)));
        else
            fputs("A size (L</Sizes>).", out);
        break;
    case YW_SIZE_OR_REST:
        fputs("A size (L</Sizes>) or C<rest>.", out);
        break;
    case YW_MODE:
        fputs("Octal digits, such as C<\"0644\">.", out);
        break;
    case YW_LINES:
        fprintf(out, "A list of at most %" PRIu64 " lines, none blank.", f->max);
        break;
    }
}

static bool
has_keys(const struct yw_field *f)
{
    return (f->type == YW_MAPPING || f->type == YW_LIST) && !(f->flags & YW_REFUSED);
}

/* One =head2 section for keys, then one for each table of keys below
 * them that has none yet. */
static void
pod_keys(FILE *out, struct pod_sections *s, const char *title, const struct yw_fields *keys)
{
    size_t first_new = s->n;
    const char *prefix = strcmp(title, "Top level") == 0 ? "" : title;

    fprintf(out, "=head2 %s\n\n=over 4\n\n", title);
    for (size_t i = 0; i < keys->n; i++) {
        const struct yw_field *f = &keys->v[i];
        if (f->flags & YW_REFUSED)
            continue;
        fprintf(out, "=item B<%s>%s\n\n", f->key, f->flags & YW_REQUIRED ? " (required)" : "");
        pod_type(out, f, has_keys(f) ? section_of(s, prefix, f) : NULL);
        if (f->dflt)
            fprintf(out, " Default: C<%s>.", f->dflt);
        if (f->doc) {
            fputc(' ', out);
            pod_text(out, f->doc, true);
            fputc('.', out);
        }
        fputs("\n\n", out);
    }
    fputs("=back\n\n", out);
    for (size_t i = first_new, last = s->n; i < last; i++)
        pod_keys(out, s, s->name[i], s->keys[i]);
}

int
recipe_keys_write_pod(FILE *out)
{
    struct pod_sections sections = {.n = 0};
    pod_keys(out, &sections, "Top level", &recipe_keys);
    return ferror(out) ? -1 : 0;
}
