/* lvm_text.c: LVM2's metadata text read into a struct lvm_vg, and a PV's
 * current text found on a disk (lvm.h).
 *
 * The text is LVM2's config syntax (lib/config/config.c): sections
 * "name {...}", assignments "key = value" where a value is a number, a
 * quoted string (with '\' escapes) or a list "[v, v, ...]", and comments
 * from '#' to the end of the line. It is parsed into a tree of nodes held
 * in two arrays (nodes and values, linked by index), then the VG is read
 * out of the tree with every number checked. */
#include "appliance/lvm.h"

#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"

#define DEPTH_MAX 8
#define PVS_MAX 1024
#define LVS_MAX 4096
#define SEGS_MAX 4096
#define EXTENT_SIZE_MAX (UINT64_C(1) << 40) /* sectors */
#define NONE ((size_t)0)                    /* node 0 is the root: no node links to it */

enum tok { T_END, T_WORD, T_STR, T_LBRACE, T_RBRACE, T_EQ, T_LBRACK, T_RBRACK, T_COMMA, T_BAD };

struct value {
    bool str;
    const char *s; /* into the text: a word, or a string without its quotes */
    size_t len;
};

struct node {
    const char *key;
    size_t key_len;
    bool section;
    size_t child, last, next; /* indices into nodes; NONE: none */
    size_t val, n_val;        /* indices into values */
};

struct parser {
    const char *p, *end;
    struct node *nodes;
    size_t n_nodes, cap_nodes;
    struct value *vals;
    size_t n_vals, cap_vals;
    const char *tok_s;
    size_t tok_len;
    bool oom;
};

/* ---- tokens ---- */

static bool
word_char(char c)
{
    return c > ' ' && c != '{' && c != '}' && c != '[' && c != ']' && c != '=' && c != ',' &&
           c != '"' && c != '#' && c != 0x7f;
}

static enum tok
next_tok(struct parser *ps)
{
    for (;;) {
        while (ps->p < ps->end &&
               (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n'))
            ps->p++;
        if (ps->p < ps->end && *ps->p == '#') {
            while (ps->p < ps->end && *ps->p != '\n')
                ps->p++;
            continue;
        }
        break;
    }
    if (ps->p >= ps->end || *ps->p == '\0')
        return T_END;
    char c = *ps->p++;
    switch (c) {
    case '{':
        return T_LBRACE;
    case '}':
        return T_RBRACE;
    case '[':
        return T_LBRACK;
    case ']':
        return T_RBRACK;
    case '=':
        return T_EQ;
    case ',':
        return T_COMMA;
    case '"':
        ps->tok_s = ps->p;
        while (ps->p < ps->end && *ps->p != '"') {
            if (*ps->p == '\\' && ps->p + 1 < ps->end)
                ps->p++;
            ps->p++;
        }
        if (ps->p >= ps->end)
            return T_BAD;
        ps->tok_len = (size_t)(ps->p - ps->tok_s);
        ps->p++;
        return T_STR;
    default:
        if (!word_char(c))
            return T_BAD;
        ps->tok_s = ps->p - 1;
        while (ps->p < ps->end && word_char(*ps->p))
            ps->p++;
        ps->tok_len = (size_t)(ps->p - ps->tok_s);
        return T_WORD;
    }
}

/* ---- the tree ---- */

static size_t
new_node(struct parser *ps, size_t parent, const char *key, size_t key_len, bool section)
{
    if (ps->n_nodes == ps->cap_nodes) {
        size_t cap = ps->cap_nodes ? 2 * ps->cap_nodes : 64;
        struct node *grown = realloc(ps->nodes, cap * sizeof(*grown));
        if (!grown) {
            ps->oom = true;
            return NONE;
        }
        ps->nodes = grown;
        ps->cap_nodes = cap;
    }
    size_t i = ps->n_nodes++;
    ps->nodes[i] = (struct node){key, key_len, section, NONE, NONE, NONE, ps->n_vals, 0};
    if (i != 0) {
        struct node *up = &ps->nodes[parent];
        if (up->last != NONE)
            ps->nodes[up->last].next = i;
        else
            up->child = i;
        up->last = i;
    }
    return i;
}

static bool
add_value(struct parser *ps, size_t node, bool str)
{
    if (ps->n_vals == ps->cap_vals) {
        size_t cap = ps->cap_vals ? 2 * ps->cap_vals : 64;
        struct value *grown = realloc(ps->vals, cap * sizeof(*grown));
        if (!grown) {
            ps->oom = true;
            return false;
        }
        ps->vals = grown;
        ps->cap_vals = cap;
    }
    ps->vals[ps->n_vals++] = (struct value){str, ps->tok_s, ps->tok_len};
    ps->nodes[node].n_val++;
    return true;
}

/* "[v, v, ...]" after its '[': values of node, all in a row. */
static bool
parse_list(struct parser *ps, size_t node)
{
    enum tok t = next_tok(ps);
    if (t == T_RBRACK)
        return true;
    for (;;) {
        if ((t != T_WORD && t != T_STR) || !add_value(ps, node, t == T_STR))
            return false;
        t = next_tok(ps);
        if (t == T_RBRACK)
            return true;
        if (t != T_COMMA)
            return false;
        t = next_tok(ps);
    }
}

/* Items up to the '}' of a section, or the end at the top. */
static bool
parse_items(struct parser *ps, size_t parent, int depth)
{
    for (;;) {
        enum tok t = next_tok(ps);
        if (t == T_END)
            return depth == 0;
        if (t == T_RBRACE)
            return depth > 0;
        if (t != T_WORD)
            return false;
        const char *key = ps->tok_s;
        size_t key_len = ps->tok_len;
        t = next_tok(ps);
        if (t == T_LBRACE) {
            size_t n = new_node(ps, parent, key, key_len, true);
            if (n == NONE || depth + 1 > DEPTH_MAX || !parse_items(ps, n, depth + 1))
                return false;
            continue;
        }
        if (t != T_EQ)
            return false;
        size_t n = new_node(ps, parent, key, key_len, false);
        if (n == NONE)
            return false;
        t = next_tok(ps);
        if (t == T_LBRACK) {
            if (!parse_list(ps, n))
                return false;
        } else if ((t != T_WORD && t != T_STR) || !add_value(ps, n, t == T_STR)) {
            return false;
        }
    }
}

/* ---- reading the tree ---- */

static bool
key_is(const struct node *n, const char *key)
{
    return n->key_len == strlen(key) && memcmp(n->key, key, n->key_len) == 0;
}

static const struct node *
child(const struct parser *ps, const struct node *n, const char *key)
{
    for (size_t i = n->child; i != NONE; i = ps->nodes[i].next)
        if (key_is(&ps->nodes[i], key))
            return &ps->nodes[i];
    return NULL;
}

static bool
to_u64(const struct value *v, uint64_t *out)
{
    uint64_t n = 0;
    if (v->str || v->len == 0 || v->len > 20)
        return false;
    for (size_t i = 0; i < v->len; i++) {
        unsigned d = (unsigned)(v->s[i] - '0');
        if (d > 9 || n > (UINT64_MAX - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *out = n;
    return true;
}

static bool
get_u64(const struct parser *ps, const struct node *n, const char *key, uint64_t *out)
{
    const struct node *c = child(ps, n, key);
    return c && !c->section && c->n_val == 1 && to_u64(&ps->vals[c->val], out);
}

/* A value as text, unescaped, into out (size bytes): false when it does
 * not fit. */
static bool
to_text(const struct value *v, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < v->len; i++) {
        char c = v->s[i];
        if (v->str && c == '\\' && i + 1 < v->len)
            c = v->s[++i];
        if (o + 1 >= size || c == '\0')
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

static bool
get_text(const struct parser *ps, const struct node *n, const char *key, char *out, size_t size)
{
    const struct node *c = child(ps, n, key);
    return c && !c->section && c->n_val == 1 && ps->vals[c->val].str &&
           to_text(&ps->vals[c->val], out, size);
}

/* An id "xxxxxx-xxxx-...": its 32 characters without the dashes. */
static bool
get_uuid(const struct parser *ps, const struct node *n, char out[LVM_UUID_LEN])
{
    char text[LVM_UUID_BUF + 8];
    size_t o = 0;
    if (!get_text(ps, n, "id", text, sizeof(text)))
        return false;
    for (const char *c = text; *c; c++) {
        if (*c == '-')
            continue;
        if (o == LVM_UUID_LEN)
            return false;
        out[o++] = *c;
    }
    return o == LVM_UUID_LEN;
}

static bool
list_has(const struct parser *ps, const struct node *n, const char *key, const char *word)
{
    const struct node *c = child(ps, n, key);
    char text[64];
    for (size_t i = 0; c && !c->section && i < c->n_val; i++)
        if (to_text(&ps->vals[c->val + i], text, sizeof(text)) && strcmp(text, word) == 0)
            return true;
    return false;
}

static bool
name_of(const struct node *n, char out[LVM_NAME_BUF])
{
    struct value v = {false, n->key, n->key_len};
    return to_text(&v, out, LVM_NAME_BUF);
}

static int
read_pvs(const struct parser *ps, const struct node *vgn, struct lvm_vg *vg, const char **why,
         struct ab_error *err)
{
    const struct node *pvs = child(ps, vgn, "physical_volumes");
    if (!pvs || !pvs->section) {
        *why = "LVM metadata without physical volumes";
        return 0;
    }
    for (size_t i = pvs->child; i != NONE; i = ps->nodes[i].next) {
        const struct node *n = &ps->nodes[i];
        if (!n->section)
            continue;
        if (vg->n_pvs == PVS_MAX) {
            *why = "LVM metadata with too many physical volumes";
            return 0;
        }
        struct lvm_vg_pv pv = {0};
        uint64_t end;
        if (!name_of(n, pv.key) || !get_uuid(ps, n, pv.uuid) ||
            !get_u64(ps, n, "pe_start", &pv.pe_start) ||
            !get_u64(ps, n, "pe_count", &pv.pe_count) ||
            __builtin_mul_overflow(pv.pe_count, vg->extent_size, &end) ||
            __builtin_add_overflow(end, pv.pe_start, &end) || end > UINT64_MAX / SECTOR) {
            *why = "damaged LVM metadata: a physical volume";
            return 0;
        }
        if (!get_u64(ps, n, "dev_size", &pv.dev_size))
            pv.dev_size = end;
        struct lvm_vg_pv *grown = realloc(vg->pvs, (vg->n_pvs + 1) * sizeof(*grown));
        if (!grown)
            return ab_oom(err);
        vg->pvs = grown;
        vg->pvs[vg->n_pvs++] = pv;
    }
    return 1;
}

/* A segment's "stripes = ["pv0", 0]" when it is linear. */
static bool
read_linear(const struct parser *ps, const struct node *n, const struct lvm_vg *vg,
            struct lvm_vg_seg *s)
{
    uint64_t count, end;
    const struct node *st = child(ps, n, "stripes");
    char key[LVM_NAME_BUF];
    if (strcmp(s->type, "striped") != 0 || !get_u64(ps, n, "stripe_count", &count) || count != 1 ||
        !st || st->section || st->n_val != 2 || !to_text(&ps->vals[st->val], key, sizeof(key)) ||
        !to_u64(&ps->vals[st->val + 1], &s->pe))
        return false;
    for (size_t i = 0; i < vg->n_pvs; i++) {
        if (strcmp(vg->pvs[i].key, key) != 0)
            continue;
        s->pv = i;
        return !__builtin_add_overflow(s->pe, s->extent_count, &end) && end <= vg->pvs[i].pe_count;
    }
    return false;
}

static int
by_start(const void *a, const void *b)
{
    const struct lvm_vg_seg *x = a, *y = b;
    return x->start_extent < y->start_extent ? -1 : x->start_extent > y->start_extent;
}

/* The segments of an LV, in order, each starting where the last ended. */
static int
read_segments(const struct parser *ps, const struct node *lvn, const struct lvm_vg *vg,
              struct lvm_vg_lv *lv, const char **why, struct ab_error *err)
{
    *why = "damaged LVM metadata: a segment of a logical volume";
    for (size_t i = lvn->child; i != NONE; i = ps->nodes[i].next) {
        const struct node *n = &ps->nodes[i];
        struct lvm_vg_seg s = {0};
        if (!n->section)
            continue;
        if (lv->n_segs == SEGS_MAX || !get_u64(ps, n, "start_extent", &s.start_extent) ||
            !get_u64(ps, n, "extent_count", &s.extent_count) || s.extent_count == 0 ||
            !get_text(ps, n, "type", s.type, sizeof(s.type)))
            return 0;
        s.linear = read_linear(ps, n, vg, &s);
        struct lvm_vg_seg *grown = realloc(lv->segs, (lv->n_segs + 1) * sizeof(*grown));
        if (!grown)
            return ab_oom(err);
        lv->segs = grown;
        lv->segs[lv->n_segs++] = s;
    }
    if (lv->n_segs)
        qsort(lv->segs, lv->n_segs, sizeof(*lv->segs), by_start);
    uint64_t at = 0;
    for (size_t i = 0; i < lv->n_segs; i++) {
        if (lv->segs[i].start_extent != at)
            return 0;
        if (__builtin_add_overflow(at, lv->segs[i].extent_count, &at))
            return 0;
    }
    return 1;
}

static int
read_lvs(const struct parser *ps, const struct node *vgn, struct lvm_vg *vg, const char **why,
         struct ab_error *err)
{
    const struct node *lvs = child(ps, vgn, "logical_volumes");
    for (size_t i = lvs && lvs->section ? lvs->child : NONE; i != NONE; i = ps->nodes[i].next) {
        const struct node *n = &ps->nodes[i];
        if (!n->section)
            continue;
        if (vg->n_lvs == LVS_MAX) {
            *why = "LVM metadata with too many logical volumes";
            return 0;
        }
        struct lvm_vg_lv *grown = realloc(vg->lvs, (vg->n_lvs + 1) * sizeof(*grown));
        if (!grown)
            return ab_oom(err);
        vg->lvs = grown;
        struct lvm_vg_lv *lv = &vg->lvs[vg->n_lvs++];
        *lv = (struct lvm_vg_lv){0};
        if (!name_of(n, lv->name)) {
            *why = "damaged LVM metadata: the name of a logical volume";
            return 0;
        }
        lv->visible = list_has(ps, n, "status", "VISIBLE");
        int r = read_segments(ps, n, vg, lv, why, err);
        if (r <= 0)
            return r;
    }
    return 1;
}

static int
read_vg(const struct parser *ps, struct lvm_vg *vg, const char **why, struct ab_error *err)
{
    const struct node *root = &ps->nodes[0], *vgn = NULL;
    for (size_t i = root->child; i != NONE && !vgn; i = ps->nodes[i].next)
        if (ps->nodes[i].section)
            vgn = &ps->nodes[i];
    if (!vgn) {
        *why = "LVM metadata without a volume group";
        return 0;
    }
    if (!name_of(vgn, vg->name) || !get_uuid(ps, vgn, vg->uuid) ||
        !get_u64(ps, vgn, "seqno", &vg->seqno) ||
        !get_u64(ps, vgn, "extent_size", &vg->extent_size) || vg->extent_size == 0 ||
        vg->extent_size > EXTENT_SIZE_MAX) {
        *why = "damaged LVM metadata: the volume group's name, id, seqno or extent size";
        return 0;
    }
    int r = read_pvs(ps, vgn, vg, why, err);
    return r <= 0 ? r : read_lvs(ps, vgn, vg, why, err);
}

int
lvm_text_parse(const char *text, size_t len, struct lvm_vg *vg, const char **why,
               struct ab_error *err)
{
    struct parser ps = {.p = text, .end = text + len};
    *vg = (struct lvm_vg){0};
    int r = 0;
    *why = "damaged LVM metadata text";
    if (len > LVM_TEXT_MAX) {
        *why = "LVM metadata text too long";
    } else if ((new_node(&ps, NONE, "", 0, true), ps.oom) || !parse_items(&ps, 0, 0)) {
        r = ps.oom ? ab_oom(err) : 0;
    } else {
        r = read_vg(&ps, vg, why, err);
    }
    free(ps.nodes);
    free(ps.vals);
    if (r <= 0)
        lvm_vg_release(vg);
    return r;
}

void
lvm_vg_release(struct lvm_vg *vg)
{
    if (!vg)
        return;
    for (size_t i = 0; i < vg->n_lvs; i++)
        free(vg->lvs[i].segs);
    free(vg->lvs);
    free(vg->pvs);
    vg->lvs = NULL;
    vg->pvs = NULL;
    vg->n_lvs = vg->n_pvs = 0;
}

/* ---- a PV's text on a disk ---- */

#define MDA_CRC_FROM 4 /* the mda_header's checksum covers it from its magic on */

/* The text of the area at mda (h's metadata area), which may wrap round
 * to just after the header: 1 with pv->text set, 0 when there is none. */
static int
read_text(const struct byte_reader *r, struct lvm_pv_found *pv, const struct lvm_mda_header *m,
          const char **why, struct ab_error *err)
{
    uint64_t area = pv->h.mda_size, first, rest;
    if (m->text_offset < LVM_MDA_HEADER_SIZE || m->text_offset >= area ||
        m->text_size > area - LVM_MDA_HEADER_SIZE || m->text_size > LVM_TEXT_MAX) {
        *why = "damaged LVM metadata area";
        return 0;
    }
    first = m->text_size < area - m->text_offset ? m->text_size : area - m->text_offset;
    rest = m->text_size - first;
    if (rest > m->text_offset - LVM_MDA_HEADER_SIZE) {
        *why = "damaged LVM metadata area";
        return 0;
    }
    char *text = malloc((size_t)m->text_size + 1);
    if (!text)
        return ab_oom(err);
    int rr = reader_inside(r, pv->h.mda_start + m->text_offset, text, (size_t)first, err);
    if (rr > 0 && rest)
        rr = reader_inside(r, pv->h.mda_start + LVM_MDA_HEADER_SIZE, text + first, (size_t)rest,
                           err);
    if (rr <= 0 || lvm_crc(LVM_CRC_INITIAL, text, (size_t)m->text_size) != m->text_crc) {
        free(text);
        *why = "damaged LVM metadata text (its checksum does not match)";
        return rr < 0 ? -1 : 0;
    }
    text[m->text_size] = '\0';
    pv->text = text;
    pv->text_len = (size_t)m->text_size;
    return 1;
}

int
lvm_pv_read(const struct byte_reader *r, struct lvm_pv_found *pv, const char **why,
            struct ab_error *err)
{
    unsigned char s[SECTOR], h[LVM_MDA_HEADER_SIZE];
    *pv = (struct lvm_pv_found){0};
    int found = 0;
    for (unsigned i = 0; i < LVM_LABEL_SCAN_SECTORS && !found; i++) {
        int rr = reader_inside(r, (uint64_t)i * SECTOR, s, sizeof(s), err);
        if (rr <= 0)
            return rr;
        found = lvm_label_decode(s, i, &pv->h);
        if (found < 0)
            return 0;
    }
    if (!found)
        return 0;
    struct lvm_mda_header m;
    *why = "an LVM physical volume without a metadata area";
    if (!pv->h.has_mda)
        return 1;
    *why = "damaged LVM metadata area header";
    int rr = pv->h.mda_size >= LVM_MDA_HEADER_SIZE
                 ? reader_inside(r, pv->h.mda_start, h, sizeof(h), err)
                 : 0;
    if (rr < 0)
        return -1;
    if (rr == 0 || !lvm_mda_header_decode(h, &m) ||
        get_le32(h) != lvm_crc(LVM_CRC_INITIAL, h + MDA_CRC_FROM, sizeof(h) - MDA_CRC_FROM))
        return 1;
    if (m.text_offset == 0 && m.text_size == 0) {
        *why = "an LVM physical volume in no volume group";
        return 1;
    }
    return read_text(r, pv, &m, why, err) < 0 ? -1 : 1;
}
