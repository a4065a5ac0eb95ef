/* test_recipe_keys.c: the recipe's key table is whole and consistent.
 *
 * The parser, the man page and the JSON Schema all read the table, so a
 * row that lies (a generic parser of another type, a default that is not
 * one of the key's names, a mapping of more keys than yw_mapping() can
 * track) would mislead all three at once. */
#include "unit.h"

#include "appliance/size.h"
#include "recipe/recipe_keys.h"

/* The generic parser of each type, where it has one. */
static bool
parser_fits(const struct yw_field *f)
{
    static const struct {
        int (*parse)(struct yw *, yaml_node_t *, const struct yw_field *, void *);
        enum yw_type type;
    } generic[] = {
        {yw_key_mapping, YW_MAPPING},
        {yw_key_string, YW_STRING},
        {yw_key_string_list, YW_STRING_LIST},
        {yw_key_uint, YW_UINT},
        {yw_key_bool, YW_BOOL},
        {yw_key_enum, YW_ENUM},
        {yw_key_flags, YW_FLAGS},
        {yw_key_names, YW_NAMES},
        {yw_key_size, YW_SIZE},
    };
    for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
        if (generic[i].parse == f->parse)
            return generic[i].type == f->type;
    return true; /* a parser of its own: it reads the row as it needs */
}

/* A generic parser stores at the row's place, at a width it knows. */
static bool
place_fits(const struct yw_field *f)
{
    if (f->parse == yw_key_mapping)
        return true; /* at: the inner context, if any */
    if (f->parse == yw_key_uint || f->parse == yw_key_enum || f->parse == yw_key_flags)
        return f->at && (f->size == 4 || f->size == 8);
    if (f->parse == yw_key_names)
        return f->at && f->size == sizeof(unsigned);
    if (f->parse == yw_key_bool)
        return f->at && (f->size == sizeof(bool) || f->size == sizeof(int));
    if (f->parse == yw_key_size)
        return f->at && f->size == sizeof(uint64_t);
    if (f->parse == yw_key_string || f->parse == yw_key_string_list)
        return f->at && f->size == sizeof(char *);
    return true;
}

/* The default is a value the key accepts. */
static bool
default_fits(const struct yw_field *f)
{
    uint64_t v;
    const char *why;
    int e;

    if (!f->dflt)
        return true;
    switch (f->type) {
    case YW_UINT:
        v = strtoull(f->dflt, NULL, 10);
        return v >= f->min && v <= f->max;
    case YW_ENUM:
        return ab_enum_from_string(f->names, f->dflt, &e) == 0;
    case YW_SIZE:
        return size_parse(f->dflt, &v, &why) == 0 && (!f->max || (v >= f->min && v <= f->max));
    case YW_BOOL:
        return strcmp(f->dflt, "true") == 0 || strcmp(f->dflt, "false") == 0;
    default:
        return strlen(f->dflt) <= (f->type == YW_STRING ? f->max : 4096);
    }
}

static void
check_row(const char *where, const struct yw_field *f)
{
    const char *key = f->key ? f->key : "(null)";
    if (f->flags & YW_REFUSED) {
        if (!f->parse)
            fail_msg("%s.%s: no parser", where, key);
        return;
    }
    if (!f->key || !f->key[0] || !f->parse || !f->what || !f->doc || !f->doc[0])
        fail_msg("%s.%s: key, parser, what and doc are all needed", where, key);
    if (!parser_fits(f))
        fail_msg("%s.%s: the generic parser of another type", where, key);
    if (!place_fits(f))
        fail_msg("%s.%s: no place, or one of a width the parser cannot store", where, key);
    if ((f->type == YW_MAPPING || f->type == YW_LIST) && !f->sub)
        fail_msg("%s.%s: a mapping without keys", where, key);
    if ((f->type == YW_ENUM || f->type == YW_FLAGS || f->type == YW_NAMES) && !f->names)
        fail_msg("%s.%s: names without a table", where, key);
    if ((f->type == YW_STRING || f->type == YW_STRING_LIST || f->type == YW_LIST ||
         f->type == YW_LINES) &&
        f->max == 0)
        fail_msg("%s.%s: no bound", where, key);
    if (f->type == YW_UINT && f->min > f->max)
        fail_msg("%s.%s: min above max", where, key);
    if (f->type == YW_STRING_LIST && !f->item)
        fail_msg("%s.%s: no name for an item", where, key);
    if (!default_fits(f))
        fail_msg("%s.%s: default '%s' is not a value the key takes", where, key, f->dflt);
}

static size_t
check_keys(const char *where, const struct yw_fields *keys)
{
    size_t rows = keys->n;

    assert_true(keys->n > 0);
    assert_true(keys->n <= 64); /* yw_mapping() tracks 64 keys */
    for (size_t i = 0; i < keys->n; i++) {
        const struct yw_field *f = &keys->v[i];
        check_row(where, f);
        for (size_t j = 0; j < i; j++)
            if (strcmp(keys->v[j].key, f->key) == 0)
                fail_msg("%s: key '%s' twice", where, f->key);
        if (f->sub && !(f->flags & YW_REFUSED)) {
            char inner[128];
            snprintf(inner, sizeof(inner), "%s.%s", where, f->key);
            rows += check_keys(inner, f->sub);
        }
    }
    return rows;
}

static void
test_table_whole(void **state)
{
    (void)state;
    /* Every row of format 1: the volumes' keys counted under both disks,
     * disk 'app''s refused boot too. A new key changes this number. */
    assert_int_equal(check_keys("recipe", &recipe_keys), 67);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
