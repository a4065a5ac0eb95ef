/* lvm_text.c: LVM2's metadata text: its configuration syntax parsed into
 * a tree and printed back, and the volume group it describes (lvm.h).
 * The text comes from a disk image: every length, count and depth is
 * bounded, every number checked before it is used. */
#include "appliance/lvm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"

/* ---- the syntax --------------------------------------------------------- */

struct lex {
    const char *p, *end;
    size_t nodes;
    const char *why;
    bool oom;
};

static bool
special(char c)
{
    return strchr("#={}[],\"'", c) != NULL;
}

static bool
blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void
skip_blank(struct lex *l)
{
    while (l->p < l->end) {
        if (blank(*l->p)) {
            l->p++;
        } else if (*l->p == '#') {
            while (l->p < l->end && *l->p != '\n')
                l->p++;
        } else {
            break;
        }
    }
}

static int
fail(struct lex *l, const char *why)
{
    if (!l->why)
        l->why = why;
    return -1;
}

static struct lvm_cfg *
new_node(struct lex *l, enum lvm_cfg_type type)
{
    if (l->nodes >= LVM_CFG_NODES) {
        fail(l, "too many entries");
        return NULL;
    }
    struct lvm_cfg *c = calloc(1, sizeof(*c));
    if (!c) {
        l->oom = true;
        fail(l, "out of memory");
        return NULL;
    }
    l->nodes++;
    c->type = type;
    return c;
}

/* An identifier or an unquoted value: a run of characters that are
 * neither blank nor special (a NUL ends the text). */
static char *
word(struct lex *l)
{
    const char *s = l->p;
    while (l->p < l->end && *l->p && !blank(*l->p) && !special(*l->p))
        l->p++;
    if (l->p == s) {
        fail(l, "a name or value expected");
        return NULL;
    }
    char *w = strndup(s, (size_t)(l->p - s));
    if (!w) {
        l->oom = true;
        fail(l, "out of memory");
    }
    return w;
}

/* A quoted string, its escapes undone: a backslash takes the next
 * character as it is (lvm's dm_unescape_double_quotes). */
static char *
quoted(struct lex *l)
{
    char q = *l->p++;
    const char *s = l->p;
    size_t n = 0;
    for (; l->p < l->end && *l->p != q; l->p++, n++) {
        if (!*l->p)
            break;
        if (*l->p == '\\' && l->p + 1 < l->end)
            l->p++;
    }
    if (l->p >= l->end || *l->p != q) {
        fail(l, "a string without its closing quote");
        return NULL;
    }
    char *out = malloc(n + 1), *o = out;
    if (!out) {
        l->oom = true;
        fail(l, "out of memory");
        return NULL;
    }
    for (const char *c = s; c < l->p; c++) {
        if (*c == '\\' && c + 1 < l->p)
            c++;
        *o++ = *c;
    }
    *o = '\0';
    l->p++;
    return out;
}

/* A number as lvm writes them: -?[0-9]+(.[0-9]+)? */
static bool
number_text(const char *s, bool *is_int)
{
    const char *c = s + (*s == '-');
    size_t digits = strspn(c, "0123456789");
    if (digits == 0)
        return false;
    c += digits;
    *is_int = *c == '\0';
    if (*c == '.' && strspn(c + 1, "0123456789") > 0)
        c += 1 + strspn(c + 1, "0123456789");
    return *c == '\0';
}

static struct lvm_cfg *
scalar(struct lex *l)
{
    if (l->p >= l->end || !*l->p) {
        fail(l, "a value expected");
        return NULL;
    }
    bool string = *l->p == '"' || *l->p == '\'';
    char *text = string ? quoted(l) : word(l);
    if (!text)
        return NULL;
    struct lvm_cfg *v = new_node(l, string ? LVM_CFG_STRING : LVM_CFG_NUMBER);
    if (!v) {
        free(text);
        return NULL;
    }
    v->str = text;
    if (!string) {
        if (!number_text(text, &v->is_int)) {
            lvm_cfg_free(v);
            fail(l, "a value that is neither a number nor a string");
            return NULL;
        }
        if (v->is_int) {
            errno = 0;
            v->num = strtoll(text, NULL, 10);
            v->is_int = errno == 0;
        }
    }
    return v;
}

static void
append(struct lvm_cfg ***tail, struct lvm_cfg *c)
{
    **tail = c;
    *tail = &c->next;
}

static struct lvm_cfg *
array(struct lex *l)
{
    struct lvm_cfg *a = new_node(l, LVM_CFG_ARRAY);
    if (!a)
        return NULL;
    struct lvm_cfg **tail = &a->child;
    l->p++; /* [ */
    skip_blank(l);
    if (l->p < l->end && *l->p == ']') {
        l->p++;
        return a;
    }
    for (;;) {
        skip_blank(l);
        struct lvm_cfg *v = scalar(l);
        if (!v) {
            lvm_cfg_free(a);
            return NULL;
        }
        append(&tail, v);
        skip_blank(l);
        if (l->p < l->end && *l->p == ',') {
            l->p++;
            continue;
        }
        if (l->p < l->end && *l->p == ']') {
            l->p++;
            return a;
        }
        lvm_cfg_free(a);
        fail(l, "a list without its closing ']'");
        return NULL;
    }
}

static int items(struct lex *l, struct lvm_cfg *section, unsigned depth, bool braced);

/* One entry: `key = value`, `key = [...]` or `key { ... }`. */
static struct lvm_cfg *
entry(struct lex *l, unsigned depth)
{
    CLEANUP_FREE char *key = word(l);
    if (!key)
        return NULL;
    skip_blank(l);
    struct lvm_cfg *c = NULL;
    if (l->p < l->end && *l->p == '{') {
        l->p++;
        if (depth + 1 >= LVM_CFG_DEPTH) {
            fail(l, "sections nested too deep");
            return NULL;
        }
        if (!(c = new_node(l, LVM_CFG_SECTION)))
            return NULL;
        if (items(l, c, depth + 1, true) < 0) {
            lvm_cfg_free(c);
            return NULL;
        }
    } else if (l->p < l->end && *l->p == '=') {
        l->p++;
        skip_blank(l);
        c = l->p < l->end && *l->p == '[' ? array(l) : scalar(l);
        if (!c)
            return NULL;
    } else {
        fail(l, "'=' or '{' expected after a name");
        return NULL;
    }
    c->key = key;
    key = NULL;
    return c;
}

/* The entries of a section, up to its '}' (braced) or the end. */
static int
items(struct lex *l, struct lvm_cfg *section, unsigned depth, bool braced)
{
    struct lvm_cfg **tail = &section->child;
    for (;;) {
        skip_blank(l);
        if (l->p >= l->end || !*l->p)
            return braced ? fail(l, "a section without its closing '}'") : 0;
        if (*l->p == '}') {
            if (!braced)
                return fail(l, "a '}' that closes nothing");
            l->p++;
            return 0;
        }
        struct lvm_cfg *c = entry(l, depth);
        if (!c)
            return -1;
        append(&tail, c);
    }
}

struct lvm_cfg *
lvm_cfg_parse(const char *text, size_t len, const char **why)
{
    struct lex l = {text, text + len, 0, NULL, false};
    struct lvm_cfg *root = new_node(&l, LVM_CFG_SECTION);
    if (root && items(&l, root, 0, false) < 0) {
        lvm_cfg_free(root);
        root = NULL;
    }
    if (!root)
        *why = l.why ? l.why : "out of memory";
    return root;
}

void
lvm_cfg_free(struct lvm_cfg *c)
{
    while (c) {
        struct lvm_cfg *next = c->next;
        lvm_cfg_free(c->child);
        free(c->key);
        free(c->str);
        free(c);
        c = next;
    }
}

struct lvm_cfg *
lvm_cfg_get(const struct lvm_cfg *section, const char *key)
{
    if (!section || section->type != LVM_CFG_SECTION)
        return NULL;
    for (struct lvm_cfg *c = section->child; c; c = c->next)
        if (c->key && strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

struct lvm_cfg *
lvm_cfg_add(struct lvm_cfg *section, const char *key, enum lvm_cfg_type type)
{
    struct lvm_cfg *c = calloc(1, sizeof(*c));
    if (!c || (key && !(c->key = strdup(key)))) {
        free(c);
        return NULL;
    }
    c->type = type;
    struct lvm_cfg **tail = &section->child;
    while (*tail)
        tail = &(*tail)->next;
    *tail = c;
    return c;
}

struct lvm_cfg *
lvm_cfg_add_string(struct lvm_cfg *section, const char *key, const char *v)
{
    char *copy = strdup(v);
    struct lvm_cfg *c = copy ? lvm_cfg_add(section, key, LVM_CFG_STRING) : NULL;
    if (!c) {
        free(copy);
        return NULL;
    }
    c->str = copy;
    return c;
}

static int
set_number(struct lvm_cfg *c, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    char *s = strdup(buf);
    if (!s)
        return -1;
    lvm_cfg_free(c->child);
    c->child = NULL;
    free(c->str);
    c->str = s;
    c->type = LVM_CFG_NUMBER;
    c->num = v;
    c->is_int = true;
    return 0;
}

struct lvm_cfg *
lvm_cfg_add_int(struct lvm_cfg *section, const char *key, int64_t v)
{
    struct lvm_cfg *c = lvm_cfg_add(section, key, LVM_CFG_NUMBER);
    if (c && set_number(c, v) < 0)
        return NULL; /* left in the tree as "0", freed with it */
    return c;
}

int
lvm_cfg_set_int(struct lvm_cfg *section, const char *key, int64_t v)
{
    struct lvm_cfg *c = lvm_cfg_get(section, key);
    if (!c)
        return lvm_cfg_add_int(section, key, v) ? 0 : -1;
    return set_number(c, v);
}

void
lvm_cfg_remove_numbered(struct lvm_cfg *section, const char *prefix)
{
    size_t n = strlen(prefix);
    for (struct lvm_cfg **p = &section->child; *p;) {
        struct lvm_cfg *c = *p;
        if (c->key && strncmp(c->key, prefix, n) == 0 && c->key[n] &&
            strspn(c->key + n, "0123456789") == strlen(c->key + n)) {
            *p = c->next;
            c->next = NULL;
            lvm_cfg_free(c);
        } else {
            p = &c->next;
        }
    }
}

static void
print_value(FILE *f, const struct lvm_cfg *v)
{
    if (v->type == LVM_CFG_STRING)
        lvm_text_put_quoted(f, v->str);
    else
        fputs(v->str ? v->str : "0", f);
}

/* A blank line before each section but the text's first entry: lvm2
 * reads a VG's name from the very start of its text. */
static void
print_items(FILE *f, const struct lvm_cfg *c, bool top)
{
    for (bool first = top; c; c = c->next, first = false) {
        if (!c->key)
            continue;
        switch (c->type) {
        case LVM_CFG_SECTION:
            fprintf(f, "%s%s {\n", first ? "" : "\n", c->key);
            print_items(f, c->child, false);
            fputs("}\n", f);
            break;
        case LVM_CFG_ARRAY:
            fprintf(f, "%s = [", c->key);
            for (const struct lvm_cfg *v = c->child; v; v = v->next) {
                print_value(f, v);
                if (v->next)
                    fputs(", ", f);
            }
            fputs("]\n", f);
            break;
        default:
            fprintf(f, "%s = ", c->key);
            print_value(f, c);
            fputc('\n', f);
        }
    }
}

void
lvm_cfg_print(FILE *f, const struct lvm_cfg *root)
{
    print_items(f, root->child, true);
}

/* ---- the volume group --------------------------------------------------- */

#define MAX_SEGS 65536

static const struct lvm_cfg *
get_type(const struct lvm_cfg *s, const char *key, enum lvm_cfg_type type)
{
    const struct lvm_cfg *c = lvm_cfg_get(s, key);
    return c && c->type == type ? c : NULL;
}

/* A non-negative integer entry no larger than max. */
static bool
get_u64(const struct lvm_cfg *s, const char *key, uint64_t max, uint64_t *out)
{
    const struct lvm_cfg *c = get_type(s, key, LVM_CFG_NUMBER);
    if (!c || !c->is_int || c->num < 0 || (uint64_t)c->num > max)
        return false;
    *out = (uint64_t)c->num;
    return true;
}

static const char *
get_str(const struct lvm_cfg *s, const char *key)
{
    const struct lvm_cfg *c = get_type(s, key, LVM_CFG_STRING);
    return c ? c->str : NULL;
}

/* A VG's or LV's name as lvm2 allows one (lib/misc/lvm-string.c): its
 * characters, no leading '-', not "." or "..", shorter than
 * LVM_VG_NAME_MAX. The lifecycle commands put names in device paths. */
static bool
name_ok(const char *name)
{
    size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+_.-");
    return n && !name[n] && n < LVM_VG_NAME_MAX && name[0] != '-' && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

/* Whether the list key of s holds the string word. */
static bool
has_word(const struct lvm_cfg *s, const char *key, const char *word)
{
    const struct lvm_cfg *a = get_type(s, key, LVM_CFG_ARRAY);
    for (const struct lvm_cfg *v = a ? a->child : NULL; v; v = v->next)
        if (v->type == LVM_CFG_STRING && strcmp(v->str, word) == 0)
            return true;
    return false;
}

/* Sizes in sectors the text gives, in bytes: at most 2^62. */
#define MAX_SECTORS (UINT64_C(1) << 53)

static int
read_pvs(struct lvm_vg *vg, const char **why)
{
    const struct lvm_cfg *pvs = get_type(vg->node, "physical_volumes", LVM_CFG_SECTION);
    if (!pvs) {
        *why = "a volume group without physical_volumes";
        return -1;
    }
    size_t n = 0;
    for (const struct lvm_cfg *c = pvs->child; c; c = c->next)
        n += c->type == LVM_CFG_SECTION;
    if (n == 0 || n > 1024) {
        *why = n ? "a volume group of too many PVs" : "a volume group without a PV";
        return -1;
    }
    if (!(vg->pvs = calloc(n, sizeof(*vg->pvs))))
        return -2;
    for (struct lvm_cfg *c = pvs->child; c; c = c->next) {
        if (c->type != LVM_CFG_SECTION)
            continue;
        struct lvm_vg_pv *pv = &vg->pvs[vg->n_pvs++];
        uint64_t dev, start;
        pv->key = c->key;
        pv->node = c;
        pv->uuid = get_str(c, "id");
        if (!pv->uuid || !get_u64(c, "dev_size", MAX_SECTORS, &dev) ||
            !get_u64(c, "pe_start", MAX_SECTORS, &start) ||
            !get_u64(c, "pe_count", UINT32_MAX, &pv->pe_count)) {
            *why = "a PV without its id, dev_size, pe_start or pe_count";
            return -1;
        }
        pv->dev_size = dev * SECTOR;
        pv->pe_start = start * SECTOR;
        if (pv->pe_start > pv->dev_size ||
            pv->pe_count > (pv->dev_size - pv->pe_start) / vg->extent_size) {
            *why = "a PV whose extents do not fit its size";
            return -1;
        }
    }
    return 0;
}

static size_t
pv_index(const struct lvm_vg *vg, const char *key)
{
    for (size_t i = 0; i < vg->n_pvs; i++)
        if (strcmp(vg->pvs[i].key, key) == 0)
            return i;
    return SIZE_MAX;
}

/* One segment: linear (one stripe on a PV of the VG, in its extents):
 * 0; of another kind: 1; -1 when the text is wrong. */
static int
read_seg(const struct lvm_vg *vg, const struct lvm_cfg *s, struct lvm_seg *seg, bool *linear,
         const char **why)
{
    const char *type = get_str(s, "type");
    uint64_t stripes = 0;
    if (!get_u64(s, "start_extent", UINT32_MAX, &seg->start) ||
        !get_u64(s, "extent_count", UINT32_MAX, &seg->count) || seg->count == 0 || !type) {
        *why = "a segment without its start_extent, extent_count or type";
        return -1;
    }
    if (strcmp(type, "striped") != 0 || !get_u64(s, "stripe_count", 1, &stripes) || stripes != 1) {
        *linear = false;
        return 1;
    }
    const struct lvm_cfg *a = get_type(s, "stripes", LVM_CFG_ARRAY);
    const struct lvm_cfg *name = a ? a->child : NULL, *pe = name ? name->next : NULL;
    if (!pe || pe->next || name->type != LVM_CFG_STRING || pe->type != LVM_CFG_NUMBER ||
        !pe->is_int || pe->num < 0) {
        *why = "a linear segment whose stripes are not [\"PV\", EXTENT]";
        return -1;
    }
    seg->pv = pv_index(vg, name->str);
    seg->pe = (uint64_t)pe->num;
    if (seg->pv == SIZE_MAX) {
        *why = "a segment on a PV the volume group does not have";
        return -1;
    }
    if (seg->pe > vg->pvs[seg->pv].pe_count || seg->count > vg->pvs[seg->pv].pe_count - seg->pe) {
        *why = "a segment past the end of its PV";
        return -1;
    }
    return 0;
}

static int
read_lv(struct lvm_vg *vg, struct lvm_cfg *c, struct lvm_lv *lv, const char **why)
{
    uint64_t n = 0;
    lv->name = c->key;
    lv->node = c;
    lv->uuid = get_str(c, "id");
    lv->linear = true;
    lv->visible = has_word(c, "status", "VISIBLE");
    if (!name_ok(lv->name)) {
        *why = "a logical volume whose name lvm2 does not allow";
        return -1;
    }
    if (!lv->uuid || !get_u64(c, "segment_count", MAX_SEGS, &n) || n == 0) {
        *why = "a logical volume without its id or segment_count";
        return -1;
    }
    if (!(lv->segs = calloc(n, sizeof(*lv->segs))))
        return -2;
    for (uint64_t i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "segment%" PRIu64, i + 1);
        const struct lvm_cfg *s = get_type(c, key, LVM_CFG_SECTION);
        struct lvm_seg *seg = &lv->segs[i];
        if (!s) {
            *why = "a logical volume without one of its segments";
            return -1;
        }
        int kind = read_seg(vg, s, seg, &lv->linear, why);
        if (kind < 0)
            return -1;
        if (kind > 0 && !lv->type)
            lv->type = get_str(s, "type");
        if (seg->start != lv->extents) {
            *why = "a logical volume whose segments are not in order";
            return -1;
        }
        lv->extents += seg->count;
    }
    lv->n_segs = lv->linear ? (size_t)n : 0;
    return 0;
}

static int
read_lvs(struct lvm_vg *vg, const char **why)
{
    struct lvm_cfg *lvs = lvm_cfg_get(vg->node, "logical_volumes");
    if (!lvs)
        return 0;
    if (lvs->type != LVM_CFG_SECTION) {
        *why = "logical_volumes is not a section";
        return -1;
    }
    size_t n = 0;
    for (const struct lvm_cfg *c = lvs->child; c; c = c->next)
        n += c->type == LVM_CFG_SECTION;
    if (n > 4096) {
        *why = "a volume group of too many logical volumes";
        return -1;
    }
    if (n && !(vg->lvs = calloc(n, sizeof(*vg->lvs))))
        return -2;
    for (struct lvm_cfg *c = lvs->child; c; c = c->next) {
        if (c->type != LVM_CFG_SECTION)
            continue;
        int r = read_lv(vg, c, &vg->lvs[vg->n_lvs++], why);
        if (r < 0)
            return r;
    }
    return 0;
}

struct span {
    size_t pv;
    uint64_t pe, count;
};

static int
by_place(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    if (x->pv != y->pv)
        return x->pv < y->pv ? -1 : 1;
    return x->pe < y->pe ? -1 : x->pe > y->pe;
}

/* No two linear segments share an extent. */
static int
check_overlap(const struct lvm_vg *vg, const char **why)
{
    size_t n = 0;
    for (size_t i = 0; i < vg->n_lvs; i++)
        n += vg->lvs[i].n_segs;
    if (n == 0)
        return 0;
    CLEANUP_FREE struct span *s = calloc(n, sizeof(*s));
    if (!s)
        return -2;
    n = 0;
    for (size_t i = 0; i < vg->n_lvs; i++)
        for (size_t k = 0; k < vg->lvs[i].n_segs; k++) {
            const struct lvm_seg *g = &vg->lvs[i].segs[k];
            s[n++] = (struct span){g->pv, g->pe, g->count};
        }
    qsort(s, n, sizeof(*s), by_place);
    for (size_t i = 1; i < n; i++)
        if (s[i].pv == s[i - 1].pv && s[i - 1].pe + s[i - 1].count > s[i].pe) {
            *why = "two logical volumes share extents";
            return -1;
        }
    return 0;
}

/* The role from the VG's tags: LVM_ROLE_TAG and a word of lowercase
 * letters; "" without such a tag. */
static void
read_role(struct lvm_vg *vg)
{
    const struct lvm_cfg *tags = get_type(vg->node, "tags", LVM_CFG_ARRAY);
    size_t n = strlen(LVM_ROLE_TAG);
    for (const struct lvm_cfg *t = tags ? tags->child : NULL; t; t = t->next) {
        if (t->type != LVM_CFG_STRING || strncmp(t->str, LVM_ROLE_TAG, n) != 0)
            continue;
        const char *r = t->str + n;
        size_t len = strspn(r, "abcdefghijklmnopqrstuvwxyz");
        if (len && !r[len] && len < sizeof(vg->role)) {
            memcpy(vg->role, r, len + 1);
            return;
        }
    }
}

static int
read_vg(struct lvm_vg *vg, const char **why)
{
    for (struct lvm_cfg *c = vg->root->child; c && !vg->node; c = c->next)
        if (c->type == LVM_CFG_SECTION)
            vg->node = c;
    if (!vg->node) {
        *why = "no volume group in the text";
        return -1;
    }
    vg->name = vg->node->key;
    if (!name_ok(vg->name)) {
        *why = "a volume group whose name lvm2 does not allow";
        return -1;
    }
    vg->uuid = get_str(vg->node, "id");
    uint64_t extent = 0;
    if (!vg->uuid || !get_u64(vg->node, "seqno", UINT32_MAX - 1, &vg->seqno) ||
        !get_u64(vg->node, "extent_size", UINT32_MAX, &extent) || extent == 0) {
        *why = "a volume group without its id, seqno or extent_size";
        return -1;
    }
    vg->extent_size = extent * SECTOR;
    read_role(vg);
    int r = read_pvs(vg, why);
    if (r == 0)
        r = read_lvs(vg, why);
    if (r == 0)
        r = check_overlap(vg, why);
    return r;
}

int
lvm_vg_parse(const char *text, size_t len, struct lvm_vg *vg, const char **why)
{
    memset(vg, 0, sizeof(*vg));
    if (!(vg->root = lvm_cfg_parse(text, len, why)))
        return strcmp(*why, "out of memory") == 0 ? -2 : -1;
    int r = read_vg(vg, why);
    if (r < 0) {
        if (r == -2)
            *why = "out of memory";
        lvm_vg_release(vg);
    }
    return r;
}

void
lvm_vg_release(struct lvm_vg *vg)
{
    for (size_t i = 0; i < vg->n_lvs; i++)
        free(vg->lvs[i].segs);
    free(vg->lvs);
    free(vg->pvs);
    lvm_cfg_free(vg->root);
    memset(vg, 0, sizeof(*vg));
}

struct lvm_lv *
lvm_vg_lv(const struct lvm_vg *vg, const char *name)
{
    for (size_t i = 0; i < vg->n_lvs; i++)
        if (strcmp(vg->lvs[i].name, name) == 0)
            return &vg->lvs[i];
    return NULL;
}

size_t
lvm_vg_pv_index(const struct lvm_vg *vg, const char uuid[LVM_UUID_LEN])
{
    for (size_t i = 0; i < vg->n_pvs; i++) {
        const char *u = vg->pvs[i].uuid;
        size_t n = 0;
        for (; *u && n < LVM_UUID_LEN; u++)
            if (*u != '-' && *u != uuid[n++])
                break;
        if (n == LVM_UUID_LEN && !*u)
            return i;
    }
    return SIZE_MAX;
}
