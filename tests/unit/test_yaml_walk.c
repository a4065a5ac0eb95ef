/* test_yaml_walk.c: the yw_* accessors on in-memory YAML documents. */
#include "unit.h"

#include <time.h>

#include "appliance/cleanup.h"
#include "appliance/size.h"
#include "recipe/yaml_walk.h"

struct doc {
    struct yw w;
    struct ab_error err;
};

static void
load(struct doc *d, const char *text)
{
    d->err = (struct ab_error)AB_ERROR_INIT;
    int r = yw_load(&d->w, "t.yaml", text, strlen(text), &d->err);
    if (r < 0) {
        char *msg = unit_error_text(&d->err);
        print_error("%s", msg);
        free(msg);
    }
    assert_int_equal(r, 0);
}

static void
unload(struct doc *d)
{
    yw_release(&d->w);
    ab_error_release(&d->err);
}

/* The value of key in the root mapping; the test fails without one. */
static yaml_node_t *
get(struct doc *d, const char *key)
{
    yaml_node_t *root = yw_root(&d->w);
    assert_int_equal(root->type, YAML_MAPPING_NODE);
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yw_node(&d->w, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yw_node(&d->w, p->value);
    }
    fail_msg("no key '%s'", key);
    return NULL;
}

/* Diagnostic i of d is at line:col, and its message holds every part of
 * parts ("a|b|c"): the names, values and limits it must mention, but not
 * its wording, which is the golden recipe tests' business. */
static void
assert_diag(const struct doc *d, size_t i, unsigned line, unsigned col, const char *parts)
{
    assert_true(i < d->err.n_diags);
    const struct ab_diag *g = &d->err.diags[i];
    bool ok = g->line == line && g->col == col;
    char part[256];
    for (const char *p = parts; *p;) {
        size_t l = strcspn(p, "|");
        assert_true(l < sizeof(part));
        snprintf(part, sizeof(part), "%.*s", (int)l, p);
        ok = ok && strstr(g->msg, part);
        p += l + (p[l] == '|');
    }
    if (!ok)
        print_error("diag %zu: got %u:%u %s\n         want %u:%u ...%s...\n", i, g->line, g->col,
                    g->msg, line, col, parts);
    assert_string_equal(g->file, "t.yaml");
    assert_true(ok);
}

/* Loading text fails with exactly one diagnostic at line:col saying msg. */
static void
assert_load_fails(const char *text, unsigned line, unsigned col, const char *msg)
{
    struct doc d = {.err = AB_ERROR_INIT};
    assert_int_equal(yw_load(&d.w, "t.yaml", text, strlen(text), &d.err), -1);
    assert_int_equal(d.err.n_diags, 1);
    assert_diag(&d, 0, line, col, msg);
    assert_int_equal(ab_error_exit_status(&d.err), 3);
    unload(&d); /* safe after a failed load */
}

static void
test_load_errors(void **state)
{
    (void)state;
    assert_load_fails("", 1, 1, "empty");
    assert_load_fails("# nothing but a comment\n", 1, 1, "empty");
    assert_load_fails("a: 1\n---\nb: 2\n", 2, 1, "second|document");
    assert_load_fails("a: 1\n...\n--- x\n", 3, 1, "second|document");
    assert_load_fails("a: b: c\n", 1, 5,
                      "invalid YAML: mapping values are not allowed in this context");
    assert_load_fails("a: [1, 2\n", 2, 1,
                      "invalid YAML: did not find expected ',' or ']'|flow sequence");
    assert_load_fails("a: *nowhere\n", 1, 4, "invalid YAML: found undefined alias");
    assert_load_fails("a: 1\n---\n[\n", 4, 1, "invalid YAML: did not find expected node content");
}

static void
test_positions(void **state)
{
    (void)state;
    struct doc d;
    load(&d, "a: 1\nb:\n  c: x\nlist: [p, q]\n");
    yaml_node_t *root = yw_root(&d.w);
    struct ab_pos pos = yw_pos(&d.w, root);
    assert_string_equal(pos.file, "t.yaml");
    assert_int_equal(pos.line, 1);
    assert_int_equal(pos.col, 1);

    yaml_node_t *a = get(&d, "a");
    pos = yw_pos(&d.w, a);
    assert_int_equal(pos.line, 1);
    assert_int_equal(pos.col, 4);

    yaml_node_t *b = get(&d, "b");
    pos = yw_pos(&d.w, b);
    assert_int_equal(pos.line, 3);
    assert_int_equal(pos.col, 3);
    yaml_node_t *x = yw_node(&d.w, b->data.mapping.pairs.start->value);
    pos = yw_pos(&d.w, x);
    assert_int_equal(pos.line, 3);
    assert_int_equal(pos.col, 6);

    yaml_node_t *list = get(&d, "list");
    yaml_node_t *q = yw_node(&d.w, list->data.sequence.items.start[1]);
    pos = yw_pos(&d.w, q);
    assert_int_equal(pos.line, 4);
    assert_int_equal(pos.col, 11);
    unload(&d);
}

static void
test_null_and_kind(void **state)
{
    (void)state;
    struct doc d;
    load(&d, "n1:\nn2: ~\nn3: null\nn4: NULL\nn5: Null\n"
             "q1: ''\nq2: \"~\"\ns: nul\nl: []\nm: {}\n");
    const char *nulls[] = {"n1", "n2", "n3", "n4", "n5"};
    for (size_t i = 0; i < 5; i++) {
        assert_true(yw_is_null(get(&d, nulls[i])));
        assert_string_equal(yw_kind(get(&d, nulls[i])), "an empty value");
    }
    assert_false(yw_is_null(get(&d, "q1")));
    assert_false(yw_is_null(get(&d, "q2")));
    assert_false(yw_is_null(get(&d, "s")));
    assert_false(yw_is_null(get(&d, "l")));
    assert_false(yw_is_null(get(&d, "m")));
    assert_string_equal(yw_kind(get(&d, "q1")), "a string");
    assert_string_equal(yw_kind(get(&d, "s")), "a string");
    assert_string_equal(yw_kind(get(&d, "l")), "a list");
    assert_string_equal(yw_kind(get(&d, "m")), "a mapping");
    unload(&d);
}

static void
test_scalar(void **state)
{
    (void)state;
    struct doc d;
    const char *text = "x";
    load(&d, "ok: \"hello\"\nlist: [1]\nmap: {a: 1}\nnull:\nlong: abcde\nnul: \"a\\0b\"\n");
    assert_int_equal(yw_scalar(&d.w, get(&d, "ok"), "'ok'", &text), 0);
    assert_string_equal(text, "hello");
    assert_int_equal(d.err.n_diags, 0);

    assert_int_equal(yw_scalar(&d.w, get(&d, "list"), "'list'", &text), -1);
    assert_diag(&d, 0, 2, 7, "'list'|not a list");
    assert_int_equal(yw_scalar(&d.w, get(&d, "map"), "'map'", &text), -1);
    assert_diag(&d, 1, 3, 6, "'map'|not a mapping");
    assert_int_equal(yw_scalar(&d.w, get(&d, "null"), "'null'", &text), -1);
    assert_diag(&d, 2, 4, 6, "'null'|empty");
    d.w.max_scalar = 4;
    assert_int_equal(yw_scalar(&d.w, get(&d, "long"), "'long'", &text), -1);
    assert_diag(&d, 3, 5, 7, "'long'|too long|5|4");
    d.w.max_scalar = 5;
    assert_int_equal(yw_scalar(&d.w, get(&d, "long"), "'long'", &text), 0);
    assert_int_equal(yw_scalar(&d.w, get(&d, "nul"), "'nul'", &text), -1);
    assert_diag(&d, 4, 6, 6, "'nul'|NUL");
    assert_string_equal(text, "abcde"); /* untouched by the failures */
    assert_int_equal(d.err.n_diags, 5);
    unload(&d);
}

static void
test_string(void **state)
{
    (void)state;
    struct doc d;
    char *out = strdup("old");
    load(&d, "s: hello\nlong: abcdef\nmulti: \"a\\nb\"\nblock: |\n  one\n  two\n");
    assert_int_equal(yw_string(&d.w, get(&d, "s"), "'s'", 5, &out), 0);
    assert_string_equal(out, "hello"); /* the old value is freed (ASan checks) */
    assert_int_equal(yw_string(&d.w, get(&d, "long"), "'long'", 5, &out), -1);
    assert_diag(&d, 0, 2, 7, "'long'|too long|6|5");
    assert_int_equal(yw_string(&d.w, get(&d, "multi"), "'multi'", 100, &out), -1);
    assert_diag(&d, 1, 3, 8, "'multi'|single line");
    assert_int_equal(yw_string(&d.w, get(&d, "block"), "'block'", 100, &out), -1);
    assert_diag(&d, 2, 4, 8, "'block'|single line");
    assert_string_equal(out, "hello");
    free(out);
    unload(&d);
}

static void
test_uint(void **state)
{
    (void)state;
    struct doc d;
    uint64_t v = 77;
    load(&d, "a: 12\nb: 0\nc: '12'\nd: 1.5\ne: -1\nf: 0x10\ng: 129\n"
             "h: 18446744073709551615\ni: 18446744073709551616\nj: 007\nk: 99999999999999999999\n");
    assert_int_equal(yw_uint(&d.w, get(&d, "a"), "'a'", 1, 128, &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(yw_uint(&d.w, get(&d, "b"), "'b'", 0, 4, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(yw_uint(&d.w, get(&d, "j"), "'j'", 0, 10, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(yw_uint(&d.w, get(&d, "h"), "'h'", 0, UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);

    v = 77;
    assert_int_equal(yw_uint(&d.w, get(&d, "b"), "'b'", 1, 128, &v), -1);
    assert_diag(&d, 0, 2, 4, "'b'|1|128|0");
    assert_int_equal(yw_uint(&d.w, get(&d, "c"), "'c'", 1, 128, &v), -1);
    assert_diag(&d, 1, 3, 4, "'c'|integer|quoted");
    assert_int_equal(yw_uint(&d.w, get(&d, "d"), "'d'", 1, 128, &v), -1);
    assert_diag(&d, 2, 4, 4, "'d'|integer|1.5");
    assert_int_equal(yw_uint(&d.w, get(&d, "e"), "'e'", 0, 128, &v), -1);
    assert_diag(&d, 3, 5, 4, "'e'|-1");
    assert_int_equal(yw_uint(&d.w, get(&d, "f"), "'f'", 0, 128, &v), -1);
    assert_diag(&d, 4, 6, 4, "'f'|integer|0x10");
    assert_int_equal(yw_uint(&d.w, get(&d, "g"), "'g'", 1, 128, &v), -1);
    assert_diag(&d, 5, 7, 4, "'g'|128|129");
    assert_int_equal(yw_uint(&d.w, get(&d, "i"), "'i'", 0, UINT64_MAX, &v), -1);
    assert_diag(&d, 6, 9, 4, "'i'|18446744073709551615|18446744073709551616");
    assert_int_equal(yw_uint(&d.w, get(&d, "k"), "'k'", 1, 128, &v), -1);
    assert_diag(&d, 7, 11, 4, "'k'|128|99999999999999999999");
    assert_int_equal(v, 77);
    unload(&d);
}

static void
test_bool(void **state)
{
    (void)state;
    struct doc d;
    bool v = false;
    load(&d, "a: true\nb: false\nc: 'true'\nd: yes\ne: [true]\nf: True\n");
    assert_int_equal(yw_bool(&d.w, get(&d, "a"), "'a'", &v), 0);
    assert_true(v);
    assert_int_equal(yw_bool(&d.w, get(&d, "b"), "'b'", &v), 0);
    assert_false(v);

    v = true;
    assert_int_equal(yw_bool(&d.w, get(&d, "c"), "'c'", &v), -1);
    assert_diag(&d, 0, 3, 4, "'c'|true or false|quoted");
    assert_int_equal(yw_bool(&d.w, get(&d, "d"), "'d'", &v), -1);
    assert_diag(&d, 1, 4, 4, "'d'|true or false|'yes'");
    assert_int_equal(yw_bool(&d.w, get(&d, "e"), "'e'", &v), -1);
    assert_diag(&d, 2, 5, 4, "'e'|true or false|a list");
    assert_int_equal(yw_bool(&d.w, get(&d, "f"), "'f'", &v), -1);
    assert_diag(&d, 3, 6, 4, "'f'|'True'");
    assert_true(v);
    unload(&d);
}

static void
test_enum(void **state)
{
    (void)state;
    struct doc d;
    int v = -1;
    load(&d, "a: uefi\nb: efi\nc: [bios]\nd: BIOS\n");
    assert_int_equal(yw_enum(&d.w, get(&d, "a"), "firmware", &firmware_table, &v), 0);
    assert_int_equal(v, FIRMWARE_UEFI);
    assert_int_equal(yw_enum(&d.w, get(&d, "b"), "firmware", &firmware_table, &v), -1);
    assert_diag(&d, 0, 2, 4, "'efi'|'bios', 'uefi' or 'bios+uefi'");
    assert_int_equal(yw_enum(&d.w, get(&d, "c"), "firmware", &firmware_table, &v), -1);
    assert_diag(&d, 1, 3, 4, "firmware|not a list");
    assert_int_equal(yw_enum(&d.w, get(&d, "d"), "firmware", &firmware_table, &v), -1);
    assert_diag(&d, 2, 4, 4, "'BIOS'|'bios', 'uefi' or 'bios+uefi'");
    assert_int_equal(v, FIRMWARE_UEFI);
    unload(&d);
}

static void
test_size(void **state)
{
    (void)state;
    struct doc d;
    uint64_t v = 1;
    bool rest = false;
    load(&d, "a: 4GiB\nb: rest\nc: 1.5GiB\nd: 10\n");
    assert_int_equal(yw_size(&d.w, get(&d, "a"), "disk size", true, &v, &rest), 0);
    assert_int_equal(v, 4 * GiB);
    assert_false(rest);
    assert_int_equal(yw_size(&d.w, get(&d, "b"), "volume size", true, &v, &rest), 0);
    assert_true(rest);
    assert_int_equal(v, 0);
    assert_int_equal(yw_size(&d.w, get(&d, "b"), "disk size", false, &v, NULL), -1);
    assert_diag(&d, 0, 2, 4,
                "disk size|'rest'|expected an integer with a unit (B, KiB, MiB, GiB, TiB)");
    assert_int_equal(yw_size(&d.w, get(&d, "c"), "disk size", false, &v, NULL), -1);
    assert_diag(&d, 1, 3, 4, "disk size|'1.5GiB'|sizes are whole numbers: use a smaller unit");
    assert_int_equal(yw_size(&d.w, get(&d, "d"), "memory size", false, &v, NULL), -1);
    assert_diag(&d, 2, 4, 4, "memory size|'10'|size has no unit");
    unload(&d);
}

static void
test_seq(void **state)
{
    (void)state;
    struct doc d;
    yaml_node_item_t *items = NULL;
    size_t n = 99;
    load(&d, "two: [a, b]\nnone: []\nthree: [a, b, c]\nmap: {a: 1}\n");
    assert_int_equal(yw_seq(&d.w, get(&d, "two"), "'two'", 2, &items, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal((const char *)yw_node(&d.w, items[1])->data.scalar.value, "b");
    assert_int_equal(yw_seq(&d.w, get(&d, "none"), "'none'", 2, &items, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(yw_seq(&d.w, get(&d, "three"), "'three'", 2, &items, &n), -1);
    assert_diag(&d, 0, 3, 8, "'three'|too many|3|2");
    assert_int_equal(yw_seq(&d.w, get(&d, "map"), "'map'", 2, &items, &n), -1);
    assert_diag(&d, 1, 4, 6, "'map'|list|not a mapping");
    unload(&d);
}

static void
test_string_list(void **state)
{
    (void)state;
    struct doc d;
    char **v = NULL;
    load(&d, "ok: [nginx, curl]\nempty: []\nbad: [a, {b: 1}, c]\nscalar: x\n");
    assert_int_equal(yw_string_list(&d.w, get(&d, "ok"), "'ok'", 10, &v), 0);
    assert_string_equal(v[0], "nginx");
    assert_string_equal(v[1], "curl");
    assert_null(v[2]);
    /* The new list replaces (and frees) the old one. */
    assert_int_equal(yw_string_list(&d.w, get(&d, "empty"), "'empty'", 10, &v), 0);
    assert_null(v[0]);
    assert_int_equal(yw_string_list(&d.w, get(&d, "bad"), "'bad'", 10, &v), -1);
    assert_diag(&d, 0, 3, 10, "item 2 of 'bad'|not a mapping");
    assert_string_equal(v[0], "a");
    assert_string_equal(v[1], ""); /* a placeholder keeps the list whole */
    assert_string_equal(v[2], "c");
    assert_null(v[3]);
    assert_int_equal(yw_string_list(&d.w, get(&d, "scalar"), "'scalar'", 10, &v), -1);
    assert_diag(&d, 1, 4, 9, "'scalar'|list|not a string");
    assert_string_equal(v[2], "c"); /* kept on failure */
    ab_strv_free(v);
    unload(&d);
}

static void
test_flag_list(void **state)
{
    (void)state;
    struct doc d;
    unsigned flags = 0;
    load(&d, "a: [ova, libvirt]\nb: [ova, qcow2, ova]\nc: [ova, dmg, raw]\nd: []\n");
    assert_int_equal(yw_flag_list(&d.w, get(&d, "a"), "output", &output_table, &flags), 0);
    assert_int_equal(flags, OUTPUT_OVA | OUTPUT_LIBVIRT);
    assert_int_equal(yw_flag_list(&d.w, get(&d, "b"), "output", &output_table, &flags), -1);
    assert_diag(&d, 0, 2, 17, "'ova'|twice|output");
    assert_int_equal(flags, OUTPUT_OVA | OUTPUT_QCOW2);
    assert_int_equal(yw_flag_list(&d.w, get(&d, "c"), "output", &output_table, &flags), -1);
    assert_int_equal(d.err.n_diags, 2);
    assert_diag(&d, 1, 3, 10,
                "'dmg'|'ova', 'ovf', 'vmdk', 'qcow2', 'libvirt', 'vhdx', 'hyperv', 'vdi', 'raw', "
                "'azure', 'gce', 'container', 'kubevirt', 'vmx' or 'utm'");
    assert_int_equal(d.err.diags[1].col, 10);
    assert_int_equal(flags, OUTPUT_OVA | OUTPUT_RAW); /* the walk goes on after an error */
    assert_int_equal(yw_flag_list(&d.w, get(&d, "d"), "output", &output_table, &flags), 0);
    assert_int_equal(flags, 0);
    unload(&d);
}

/* ---- yw_mapping ---------------------------------------------------------- */

struct seen {
    char *name;
    int count;
    int fail;
};

static int
parse_name(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct seen *s = ctx;
    (void)f;
    s->count++;
    return yw_string(w, n, "'name'", 100, &s->name);
}

static int
parse_size(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct seen *s = ctx;
    const char *text;
    (void)f;
    s->count++;
    if (s->fail)
        return -1;
    return yw_scalar(w, n, "'size'", &text);
}

static const struct yw_field fields[] = {
    {.key = "name", .parse = parse_name, .flags = YW_REQUIRED},
    {.key = "size", .parse = parse_size, .flags = YW_REQUIRED},
    {.key = "volumes", .parse = parse_size, .flags = 0},
};

static void
test_mapping_ok(void **state)
{
    (void)state;
    struct doc d;
    struct seen s = {0};
    load(&d, "size: 1GiB\nname: root\n");
    assert_int_equal(yw_mapping(&d.w, yw_root(&d.w), NULL, fields, 3, &s), 0);
    assert_string_equal(s.name, "root");
    assert_int_equal(s.count, 2);
    assert_int_equal(d.err.n_diags, 0);
    free(s.name);
    unload(&d);
}

static void
test_mapping_errors(void **state)
{
    (void)state;
    struct doc d;
    struct seen s = {0};
    load(&d, "name: a\nnmae: b\nzzz: 1\nname: c\nvolumse: []\n~: 1\n");
    assert_int_equal(yw_mapping(&d.w, yw_root(&d.w), "volume 1", fields, 3, &s), -1);
    assert_diag(
        &d, 0, 2, 1,
        "unknown key 'nmae'|volume 1|did you mean 'name'?): expected 'name', 'size' or 'volumes'");
    assert_diag(&d, 1, 3, 1, "unknown key 'zzz'|volume 1");
    assert_null(strstr(d.err.diags[1].msg, "did you mean"));
    assert_diag(&d, 2, 4, 1, "duplicate key 'name'|line 1");
    assert_diag(&d, 3, 5, 1, "unknown key 'volumse'|volume 1|did you mean 'volumes'?");
    assert_diag(&d, 4, 6, 1, "key|empty");
    assert_diag(&d, 5, 1, 1, "missing|'size'|volume 1");
    assert_int_equal(d.err.n_diags, 6);
    assert_string_equal(s.name, "a"); /* the duplicate was not parsed */
    assert_int_equal(s.count, 1);
    free(s.name);
    unload(&d);
}

static void
test_mapping_top_level(void **state)
{
    (void)state;
    struct doc d;
    struct seen s = {.fail = 1};
    load(&d, "sise: 1\nsize: 2\n");
    assert_int_equal(yw_mapping(&d.w, yw_root(&d.w), NULL, fields, 3, &s), -1);
    assert_diag(&d, 0, 1, 1, "unknown key 'sise'|did you mean 'size'?");
    assert_diag(&d, 1, 1, 1, "missing|'name'");
    assert_int_equal(d.err.n_diags, 2); /* a failing parser reports its own errors */
    assert_int_equal(s.count, 1);
    unload(&d);

    load(&d, "just a string\n");
    assert_int_equal(yw_mapping(&d.w, yw_root(&d.w), NULL, fields, 3, &s), -1);
    assert_diag(&d, 0, 1, 1, "mapping|not a string");
    unload(&d);

    load(&d, "- a\n- b\n");
    assert_int_equal(yw_mapping(&d.w, yw_root(&d.w), "'hardware'", fields, 3, &s), -1);
    assert_diag(&d, 0, 1, 1, "'hardware'|mapping|not a list");
    unload(&d);
}

/* Duplicates are found however far apart, and a long mapping costs time
 * linear in its keys (it once took a minute for 90000 keys). */
static void
test_mapping_many_keys(void **state)
{
    (void)state;
    size_t n = 40000;
    char *text = malloc(n * 16 + 64);
    assert_non_null(text);
    char *p = text + sprintf(text, "name: a\n");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "k%zu: 1\n", i);
    strcpy(p, "name: b\n");
    struct doc d;
    struct seen s = {0};
    load(&d, text);
    clock_t start = clock();
    assert_int_equal(yw_mapping(&d.w, yw_root(&d.w), NULL, fields, 3, &s), -1);
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    assert_true(secs < 2.0);
    assert_int_equal(d.err.n_diags + d.err.n_dropped, n + 2); /* unknown keys, dup, size */
    assert_string_equal(s.name, "a"); /* the duplicate at the end was refused */
    free(s.name);
    unload(&d);
    free(text);
}

/* ---- the visit budget ---------------------------------------------------- */

/* Visits every node under n, through aliases, the way a schema walker
 * would; stops at the first refusal. */
static int
walk(struct doc *d, yaml_node_t *n)
{
    const char *text;
    yaml_node_item_t *items;
    size_t count;

    switch (n->type) {
    case YAML_SCALAR_NODE:
        return yw_scalar(&d->w, n, "a value", &text);
    case YAML_SEQUENCE_NODE:
        if (yw_seq(&d->w, n, "a list", 4096, &items, &count) < 0)
            return -1;
        for (size_t i = 0; i < count; i++)
            if (walk(d, yw_node(&d->w, items[i])) < 0)
                return -1;
        return 0;
    case YAML_MAPPING_NODE:
        if (!yw_visit(&d->w, n))
            return -1;
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
            if (walk(d, yw_node(&d->w, p->value)) < 0)
                return -1;
        return 0;
    case YAML_NO_NODE:
        break;
    }
    return -1;
}

static void
test_billion_laughs(void **state)
{
    (void)state;
    /* 10^9 values in under 1KiB: refused as it loads, in a few steps. */
    const char *text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
                       "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
                       "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
    /* a..d hold 11 + 111 + 1111 + 11111 values, e's 111111 more go over. */
    assert_load_fails(text, 5, 4, "100000|aliases");
    /* An alias that refers to itself never ends: refused too. */
    assert_load_fails("a: &a [x, *a]\n", 1, 4, "aliases|64");

    /* The walk keeps its own count: a budget lowered after loading. */
    struct doc d;
    load(&d, "a: &a [x, y]\nb: [*a, *a]\n");
    d.w.max_visits = 9; /* root, a, x, y, b, a, x, y, a, x, y = 11 */
    assert_int_equal(walk(&d, yw_root(&d.w)), -1);
    assert_true(d.w.over_budget);
    assert_int_equal(d.w.visits, 10);
    assert_int_equal(d.err.n_diags, 1);
    assert_non_null(strstr(d.err.diags[0].msg, " 9 "));
    /* Once over, every accessor refuses without a new diagnostic. */
    const char *t;
    assert_int_equal(yw_scalar(&d.w, get(&d, "a"), "x", &t), -1);
    assert_false(yw_visit(&d.w, yw_root(&d.w)));
    assert_int_equal(d.err.n_diags, 1);
    unload(&d);
    load(&d, "a: &a [x, y]\nb: [*a, *a]\n");
    d.w.max_visits = 11;
    assert_int_equal(walk(&d, yw_root(&d.w)), 0);
    assert_false(d.w.over_budget);
    unload(&d);
}

/* yw_mapping stops at once when a field's parser goes over budget. */
static int
parse_laughs(struct yw *w, yaml_node_t *n, const struct yw_field *f, void *ctx)
{
    struct seen *s = ctx;
    yaml_node_item_t *items;
    size_t count;
    const char *text;
    (void)f;
    s->count++;
    if (yw_seq(w, n, "'volumes'", 100, &items, &count) < 0)
        return -1;
    for (size_t i = 0; i < count; i++)
        yw_scalar(w, yw_node(w, items[i]), "an item", &text);
    return 0;
}

static void
test_mapping_budget(void **state)
{
    (void)state;
    static const struct yw_field laughs[] = {
        {.key = "volumes", .parse = parse_laughs, .flags = 0},
        {.key = "name", .parse = parse_laughs, .flags = 0},
    };
    struct doc d;
    struct seen s = {0};
    load(&d, "volumes: &v [a, b, c, d]\nname: *v\nbogus: 1\n");
    d.w.max_visits = 4;
    assert_int_equal(yw_mapping(&d.w, yw_root(&d.w), NULL, laughs, 2, &s), -1);
    assert_int_equal(s.count, 1); /* 'name' and 'bogus' were not walked */
    assert_int_equal(d.err.n_diags, 1);
    assert_non_null(strstr(d.err.diags[0].msg, " 4 "));
    unload(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_null_and_kind),
        cmocka_unit_test(test_scalar),
        cmocka_unit_test(test_string),
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_enum),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_seq),
        cmocka_unit_test(test_string_list),
        cmocka_unit_test(test_flag_list),
        cmocka_unit_test(test_mapping_ok),
        cmocka_unit_test(test_mapping_errors),
        cmocka_unit_test(test_mapping_top_level),
        cmocka_unit_test(test_mapping_many_keys),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_mapping_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
