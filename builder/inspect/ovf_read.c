/* ovf_read.c: an OVF 1.x descriptor read with libxml2 and XPath.
 *
 * Every query is relative to the envelope or to one Item, with the
 * namespaces bound to the prefixes ovf.h uses; attributes are read in the
 * OVF namespace first and without one second (some writers leave the
 * prefix out). Nothing from the file reaches the network (XML_PARSE_NONET)
 * and entities are not substituted. */
#include "appliance/ovf_read.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "appliance/cleanup.h"
#include "appliance/ovf.h"

#define OVF_NS_2 "http://schemas.dmtf.org/ovf/envelope/2"
#define MAX_OVF_BYTES (16 << 20)

struct reader {
    xmlDocPtr doc;
    xmlXPathContextPtr xp;
    xmlNodePtr vs; /* the VirtualSystem */
    struct ovf_summary *s;
    bool nomem;
};

static void problem(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
problem(struct reader *r, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    char **grown = n < 0 ? NULL : realloc(r->s->problems, (r->s->n_problems + 2) * sizeof(char *));
    if (!grown) {
        free(n < 0 ? NULL : msg);
        r->nomem = true;
        return;
    }
    r->s->problems = grown;
    grown[r->s->n_problems++] = msg;
    grown[r->s->n_problems] = NULL;
}

static char *
xstrdup(struct reader *r, const char *s)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        r->nomem = true;
    return d;
}

/* The nodes expr selects from ctx (the envelope when NULL); to be freed
 * with xmlXPathFreeObject. */
static xmlXPathObjectPtr
nodes(struct reader *r, xmlNodePtr ctx, const char *expr)
{
    r->xp->node = ctx ? ctx : xmlDocGetRootElement(r->doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, r->xp);
    if (!o)
        r->nomem = true;
    return o;
}

static int
count(xmlXPathObjectPtr o)
{
    return o && o->nodesetval ? o->nodesetval->nodeNr : 0;
}

static xmlNodePtr
first(struct reader *r, xmlNodePtr ctx, const char *expr)
{
    xmlXPathObjectPtr o = nodes(r, ctx, expr);
    xmlNodePtr n = count(o) ? o->nodesetval->nodeTab[0] : NULL;
    xmlXPathFreeObject(o);
    return n;
}

/* The trimmed text of the first node expr selects; NULL when there is
 * none or it is empty. Freed by the caller. */
static char *
text(struct reader *r, xmlNodePtr ctx, const char *expr)
{
    xmlNodePtr n = first(r, ctx, expr);
    xmlChar *c = n ? xmlNodeGetContent(n) : NULL;
    if (!c)
        return NULL;
    const char *s = (const char *)c;
    s += strspn(s, " \t\r\n");
    size_t len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1]))
        len--;
    char *out = len ? strndup(s, len) : NULL;
    if (len && !out)
        r->nomem = true;
    xmlFree(c);
    return out;
}

/* An attribute in the OVF namespace, else without one; NULL if absent. */
static char *
attr(struct reader *r, xmlNodePtr n, const char *ns, const char *name)
{
    xmlChar *v = xmlGetNsProp(n, BAD_CAST name, BAD_CAST ns);
    if (!v && strcmp(ns, OVF_NS) == 0)
        v = xmlGetNoNsProp(n, BAD_CAST name);
    char *out = xstrdup(r, (const char *)v);
    xmlFree(v);
    return out;
}

static int
parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *v = x;
    return 0;
}

int
ovf_units_bytes(const char *units, uint64_t *bytes)
{
    static const struct {
        const char *name;
        unsigned shift;
    } words[] = {{"byte", 0},       {"bytes", 0},      {"KiloBytes", 10},
                 {"MegaBytes", 20}, {"GigaBytes", 30}, {"TeraBytes", 40}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(units, words[i].name) == 0) {
            *bytes = UINT64_C(1) << words[i].shift;
            return 0;
        }
    unsigned base = 0, exp = 0;
    int at = 0;
    if (sscanf(units, " byte * %u ^ %u %n", &base, &exp, &at) != 2 || units[at] != '\0' ||
        (base != 2 && base != 10))
        return -1;
    /* Base 2 or 10 overflows within 64 steps, whatever exp says. */
    uint64_t v = 1;
    for (unsigned i = 0; i < exp; i++) {
        if (v > UINT64_MAX / base)
            return -1;
        v *= base;
    }
    *bytes = v;
    return 0;
}

const char *
ovf_controller_kind(unsigned resource_type)
{
    switch (resource_type) {
    case 5:
        return "IDE";
    case 6:
        return "SCSI";
    case 20:
        return "SATA";
    }
    return "other";
}

const char *
ovf_format_name(const char *uri)
{
    if (!uri)
        return "?";
    const char *hash = strrchr(uri, '#');
    return hash && hash[1] ? hash + 1 : uri;
}

/* value * units in bytes; a problem when either makes no sense. */
static uint64_t
quantity(struct reader *r, const char *what, const char *value, const char *units,
         const char *default_units)
{
    uint64_t v = 0, unit = 0;
    if (!units)
        units = default_units;
    if (parse_u64(value, &v) < 0) {
        problem(r, "%s '%s' is not a number", what, value ? value : "");
        return 0;
    }
    if (ovf_units_bytes(units, &unit) < 0) {
        problem(r, "%s has unknown allocation units '%s'", what, units);
        return 0;
    }
    if (v && unit > UINT64_MAX / v) {
        problem(r, "%s '%s' is too large", what, value);
        return 0;
    }
    return v * unit;
}

static void
read_files(struct reader *r)
{
    xmlXPathObjectPtr o = nodes(r, NULL, "ovf:References/ovf:File");
    int n = count(o);
    r->s->files = calloc((size_t)n + 1, sizeof(*r->s->files));
    if (!r->s->files) {
        r->nomem = true;
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        xmlNodePtr node = o->nodesetval->nodeTab[i];
        struct ovf_file *f = &r->s->files[r->s->n_files++];
        f->id = attr(r, node, OVF_NS, "id");
        f->href = attr(r, node, OVF_NS, "href");
        CLEANUP_FREE char *size = attr(r, node, OVF_NS, "size");
        if (!f->href)
            problem(r, "References/File %d has no ovf:href", i + 1);
        if (size && parse_u64(size, &f->size) == 0)
            f->has_size = true;
        else if (size)
            problem(r, "ovf:size '%s' of file '%s' is not a number", size, f->href ? f->href : "?");
    }
    xmlXPathFreeObject(o);
}

static int
file_index(const struct ovf_summary *s, const char *id)
{
    for (size_t i = 0; id && i < s->n_files; i++)
        if (s->files[i].id && strcmp(s->files[i].id, id) == 0)
            return (int)i;
    return -1;
}

static void
read_disk(struct reader *r, xmlNodePtr node, struct ovf_disk *d)
{
    CLEANUP_FREE char *file_ref = attr(r, node, OVF_NS, "fileRef");
    CLEANUP_FREE char *capacity = attr(r, node, OVF_NS, "capacity");
    char *units = attr(r, node, OVF_NS, "capacityAllocationUnits");
    CLEANUP_FREE char *populated = attr(r, node, OVF_NS, "populatedSize");
    d->id = attr(r, node, OVF_NS, "diskId");
    d->format = attr(r, node, OVF_NS, "format");
    d->controller = -1;
    d->file = file_index(r->s, file_ref);
    char what[160];
    snprintf(what, sizeof(what), "capacity of disk '%s'", d->id ? d->id : "?");
    if (!d->id)
        problem(r, "a Disk has no ovf:diskId");
    if (file_ref && d->file < 0)
        problem(r, "disk '%s' names file '%s', which References does not list", d->id ? d->id : "?",
                file_ref);
    if (!d->format)
        problem(r, "disk '%s' has no ovf:format", d->id ? d->id : "?");
    if (!capacity)
        problem(r, "disk '%s' has no ovf:capacity", d->id ? d->id : "?");
    else
        d->capacity = quantity(r, what, capacity, units, "byte");
    d->capacity_units = units;
    if (populated && parse_u64(populated, &d->populated_size) == 0)
        d->has_populated = true;
}

static void
read_disks(struct reader *r)
{
    xmlXPathObjectPtr o = nodes(r, NULL, "ovf:DiskSection/ovf:Disk");
    int n = count(o);
    r->s->disks = calloc((size_t)n + 1, sizeof(*r->s->disks));
    if (!r->s->disks) {
        r->nomem = true;
        n = 0;
    }
    for (int i = 0; i < n; i++)
        read_disk(r, o->nodesetval->nodeTab[i], &r->s->disks[r->s->n_disks++]);
    xmlXPathFreeObject(o);
}

static void
read_product(struct reader *r)
{
    struct ovf_summary *s = r->s;
    xmlNodePtr ps = first(r, r->vs, "ovf:ProductSection");
    if (ps) {
        s->product = text(r, ps, "ovf:Product");
        s->vendor = text(r, ps, "ovf:Vendor");
        s->version = text(r, ps, "ovf:Version");
        s->full_version = text(r, ps, "ovf:FullVersion");
    }
    s->name = text(r, r->vs, "ovf:Name");
    if (!s->name)
        s->name = attr(r, r->vs, OVF_NS, "id");
    xmlNodePtr os = first(r, r->vs, "ovf:OperatingSystemSection");
    if (!os) {
        problem(r, "no OperatingSystemSection");
        return;
    }
    CLEANUP_FREE char *id = attr(r, os, OVF_NS, "id");
    uint64_t v;
    if (id && parse_u64(id, &v) == 0 && v <= UINT32_MAX) {
        s->has_os_id = true;
        s->os_id = (unsigned)v;
    } else {
        problem(r, "OperatingSystemSection ovf:id '%s' is not a number", id ? id : "");
    }
    s->os_type = attr(r, os, OVF_NS_VMW, "osType");
    s->os_description = text(r, os, "ovf:Description");
}

/* The fields of one hardware Item that the summary uses. */
struct item {
    unsigned type;
    char *instance_id, *subtype, *quantity, *units, *parent, *address, *host_resource, *connection;
};

static void
item_release(struct item *it)
{
    free(it->instance_id);
    free(it->subtype);
    free(it->quantity);
    free(it->units);
    free(it->parent);
    free(it->address);
    free(it->host_resource);
    free(it->connection);
}

static void
read_item(struct reader *r, xmlNodePtr node, struct item *it)
{
    CLEANUP_FREE char *type = text(r, node, "rasd:ResourceType");
    uint64_t v = 0;
    it->type = type && parse_u64(type, &v) == 0 && v <= UINT32_MAX ? (unsigned)v : 0;
    it->instance_id = text(r, node, "rasd:InstanceID");
    it->subtype = text(r, node, "rasd:ResourceSubType");
    it->quantity = text(r, node, "rasd:VirtualQuantity");
    it->units = text(r, node, "rasd:AllocationUnits");
    it->parent = text(r, node, "rasd:Parent");
    it->address = text(r, node, "rasd:AddressOnParent");
    it->host_resource = text(r, node, "rasd:HostResource");
    it->connection = text(r, node, "rasd:Connection");
}

static bool
is_controller(unsigned type)
{
    return type == 5 || type == 6 || type == 20;
}

static void
add_controller(struct reader *r, struct item *it)
{
    struct ovf_summary *s = r->s;
    struct ovf_controller *grown = realloc(s->controllers, (s->n_controllers + 1) * sizeof(*grown));
    if (!grown) {
        r->nomem = true;
        return;
    }
    s->controllers = grown;
    grown[s->n_controllers++] = (struct ovf_controller){it->instance_id, it->type, it->subtype};
    it->instance_id = it->subtype = NULL;
}

static void
add_nic(struct reader *r, struct item *it)
{
    struct ovf_summary *s = r->s;
    struct ovf_nic *grown = realloc(s->nics, (s->n_nics + 1) * sizeof(*grown));
    if (!grown) {
        r->nomem = true;
        return;
    }
    s->nics = grown;
    grown[s->n_nics++] = (struct ovf_nic){it->subtype, it->connection};
    it->subtype = it->connection = NULL;
}

static int
controller_index(const struct ovf_summary *s, const char *id)
{
    for (size_t i = 0; id && i < s->n_controllers; i++)
        if (s->controllers[i].instance_id && strcmp(s->controllers[i].instance_id, id) == 0)
            return (int)i;
    return -1;
}

/* A disk Item: HostResource "ovf:/disk/ID" (or "/disk/ID") attaches disk
 * ID to the controller its Parent names. */
static void
attach_disk(struct reader *r, struct item *it)
{
    struct ovf_summary *s = r->s;
    const char *hr = it->host_resource ? it->host_resource : "";
    const char *id = strncmp(hr, "ovf:", 4) == 0 ? hr + 4 : hr;
    if (strncmp(id, "/disk/", 6) != 0) {
        problem(r, "disk Item '%s' has HostResource '%s', not ovf:/disk/ID",
                it->instance_id ? it->instance_id : "?", hr);
        return;
    }
    id += 6;
    for (size_t i = 0; i < s->n_disks; i++) {
        struct ovf_disk *d = &s->disks[i];
        if (!d->id || strcmp(d->id, id) != 0)
            continue;
        d->controller = controller_index(s, it->parent);
        if (d->controller < 0)
            problem(r, "disk '%s' hangs on controller '%s', which is not in the hardware", id,
                    it->parent ? it->parent : "");
        free(d->address);
        d->address = it->address;
        it->address = NULL;
        return;
    }
    problem(r, "disk Item names disk '%s', which DiskSection does not list", id);
}

static void
use_item(struct reader *r, struct item *it)
{
    switch (it->type) {
    case 3: {
        uint64_t v = 0;
        if (parse_u64(it->quantity, &v) < 0 || v > UINT32_MAX)
            problem(r, "CPU count '%s' is not a number", it->quantity ? it->quantity : "");
        r->s->cpus = (unsigned)v;
        break;
    }
    case 4:
        r->s->memory = quantity(r, "memory size", it->quantity, it->units, "byte * 2^20");
        break;
    case 10:
        add_nic(r, it);
        break;
    case 17:
        attach_disk(r, it);
        break;
    }
}

/* Two passes over the Items: controllers first, so that a disk may come
 * before the controller it hangs on. */
static void
read_hardware(struct reader *r)
{
    xmlNodePtr vhs = first(r, r->vs, "ovf:VirtualHardwareSection");
    if (!vhs) {
        problem(r, "no VirtualHardwareSection");
        return;
    }
    r->s->system_type = text(r, vhs, "ovf:System/vssd:VirtualSystemType");
    xmlXPathObjectPtr o = nodes(r, vhs, "ovf:Item");
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < count(o); i++) {
            struct item it = {0};
            read_item(r, o->nodesetval->nodeTab[i], &it);
            if (pass == 0 && is_controller(it.type))
                add_controller(r, &it);
            else if (pass == 1 && !is_controller(it.type))
                use_item(r, &it);
            item_release(&it);
        }
    }
    xmlXPathFreeObject(o);
    xmlNodePtr fw = first(r, vhs, "vmw:Config[@vmw:key='firmware']");
    r->s->firmware = fw ? attr(r, fw, OVF_NS_VMW, "value") : NULL;
    if (!r->s->firmware)
        r->s->firmware = xstrdup(r, "bios");
    xmlNodePtr sb = first(r, vhs, "vmw:Config[@vmw:key='uefi.secureBoot.enabled']");
    CLEANUP_FREE char *sb_value = sb ? attr(r, sb, OVF_NS_VMW, "value") : NULL;
    r->s->secure_boot = sb_value && strcmp(sb_value, "true") == 0;
}

void
ovf_summary_free(struct ovf_summary *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->product);
    free(s->vendor);
    free(s->version);
    free(s->full_version);
    free(s->os_type);
    free(s->os_description);
    free(s->system_type);
    free(s->firmware);
    for (size_t i = 0; i < s->n_files; i++) {
        free(s->files[i].id);
        free(s->files[i].href);
    }
    free(s->files);
    for (size_t i = 0; i < s->n_disks; i++) {
        free(s->disks[i].id);
        free(s->disks[i].format);
        free(s->disks[i].capacity_units);
        free(s->disks[i].address);
    }
    free(s->disks);
    for (size_t i = 0; i < s->n_controllers; i++) {
        free(s->controllers[i].instance_id);
        free(s->controllers[i].subtype);
    }
    free(s->controllers);
    for (size_t i = 0; i < s->n_nics; i++) {
        free(s->nics[i].subtype);
        free(s->nics[i].network);
    }
    free(s->nics);
    for (size_t i = 0; i < s->n_problems; i++)
        free(s->problems[i]);
    free(s->problems);
    free(s);
}

/* Checks the root is an OVF 1.x Envelope and finds the VirtualSystem. */
static int
check_envelope(struct reader *r, const char *name, struct ab_error *err)
{
    xmlNodePtr root = xmlDocGetRootElement(r->doc);
    const char *ns = root && root->ns ? (const char *)root->ns->href : "";
    if (!root || strcmp((const char *)root->name, "Envelope") != 0)
        return ab_build_error(err, 0, "'%s' is not an OVF descriptor: its root element is '%s'",
                              name, root ? (const char *)root->name : "(none)");
    if (strcmp(ns, OVF_NS_2) == 0)
        return ab_build_error(err, 0, "'%s' is an OVF 2.0 descriptor; only OVF 1.x is read", name);
    if (strcmp(ns, OVF_NS) != 0)
        return ab_build_error(err, 0, "'%s' is not an OVF 1.x descriptor: namespace '%s'", name,
                              ns);
    xmlXPathObjectPtr o = nodes(r, NULL, "//ovf:VirtualSystem");
    if (!count(o)) {
        xmlXPathFreeObject(o);
        return ab_build_error(err, 0, "'%s' describes no VirtualSystem", name);
    }
    r->vs = o->nodesetval->nodeTab[0];
    if (count(o) > 1)
        problem(r, "%d virtual systems; only the first is shown", count(o));
    xmlXPathFreeObject(o);
    return 0;
}

static int
bind_namespaces(xmlXPathContextPtr xp)
{
    return xmlXPathRegisterNs(xp, BAD_CAST "ovf", BAD_CAST OVF_NS) |
           xmlXPathRegisterNs(xp, BAD_CAST "rasd", BAD_CAST OVF_NS_RASD) |
           xmlXPathRegisterNs(xp, BAD_CAST "vssd", BAD_CAST OVF_NS_VSSD) |
           xmlXPathRegisterNs(xp, BAD_CAST "vmw", BAD_CAST OVF_NS_VMW);
}

static void
xml_quiet(void *ctx, const xmlError *e)
{
    (void)ctx, (void)e;
}

static int
parse(struct reader *r, const char *name, const char *text_, size_t len, struct ab_error *err)
{
    if (len > INT32_MAX)
        return ab_build_error(err, EFBIG, "'%s' is too large for an OVF descriptor", name);
    r->doc = xmlReadMemory(text_, (int)len, name, NULL, XML_PARSE_NONET | XML_PARSE_NOWARNING);
    if (!r->doc) {
        const xmlError *e = xmlGetLastError();
        char msg[512] = "not well-formed XML";
        if (e && e->message)
            snprintf(msg, sizeof(msg), "line %d: %s", e->line, e->message);
        size_t n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        return ab_build_error(err, 0, "cannot parse OVF descriptor '%s': %s", name, msg);
    }
    r->xp = xmlXPathNewContext(r->doc);
    if (!r->xp || bind_namespaces(r->xp) != 0)
        return ab_oom(err);
    if (check_envelope(r, name, err) < 0)
        return -1;
    read_files(r);
    read_disks(r);
    read_product(r);
    read_hardware(r);
    if (r->nomem)
        return ab_oom(err);
    return 0;
}

struct ovf_summary *
ovf_read_buffer(const char *name, const char *text_, size_t len, struct ab_error *err)
{
    struct reader r = {0};
    r.s = calloc(1, sizeof(*r.s));
    if (!r.s) {
        ab_oom(err);
        return NULL;
    }
    xmlInitParser();
    xmlStructuredErrorFunc old_fn = xmlStructuredError;
    void *old_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)xml_quiet);
    xmlResetLastError();
    int rc = parse(&r, name, text_, len, err);
    xmlXPathFreeContext(r.xp);
    xmlFreeDoc(r.doc);
    xmlSetStructuredErrorFunc(old_ctx, old_fn);
    if (rc < 0) {
        ovf_summary_free(r.s);
        return NULL;
    }
    return r.s;
}

struct ovf_summary *
ovf_read_file(const char *path, struct ab_error *err)
{
    CLEANUP_FCLOSE FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0) {
        ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (st.st_size > MAX_OVF_BYTES) {
        ab_build_error(err, EFBIG, "'%s' is too large for an OVF descriptor (%jd bytes)", path,
                       (intmax_t)st.st_size);
        return NULL;
    }
    CLEANUP_FREE char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    if (!buf || ferror(f)) {
        ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    return ovf_read_buffer(path, buf, n, err);
}
