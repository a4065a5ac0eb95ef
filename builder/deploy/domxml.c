/* domxml.c: a libvirt domain XML changed on libxml2's tree. */
#include "appliance/domxml.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include "appliance/cleanup.h"
#include "appliance/size.h"

struct domxml {
    xmlDocPtr doc;
    char *name, *uuid, *type; /* copies of what the tree says, for the getters */
    char *source;             /* the file's name, for messages */
};

static void
xml_quiet(void *ctx, const xmlError *e)
{
    (void)ctx, (void)e;
}

static bool
is_element(xmlNodePtr n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr
child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
        if (is_element(n, name))
            return n;
    return NULL;
}

static xmlNodePtr
root(const struct domxml *d)
{
    return xmlDocGetRootElement(d->doc);
}

static char *
text_of(xmlNodePtr n)
{
    xmlChar *c = n ? xmlNodeGetContent(n) : NULL;
    char *s = c ? strdup((const char *)c) : NULL;
    xmlFree(c);
    return s;
}

static char *
attr_of(xmlNodePtr n, const char *name)
{
    xmlChar *c = n ? xmlGetProp(n, BAD_CAST name) : NULL;
    char *s = c ? strdup((const char *)c) : NULL;
    xmlFree(c);
    return s;
}

/* Refreshes the getters' copies after a change. */
static int
refresh(struct domxml *d, struct ab_error *err)
{
    free(d->name);
    free(d->uuid);
    free(d->type);
    d->name = text_of(child(root(d), "name"));
    d->uuid = text_of(child(root(d), "uuid"));
    d->type = attr_of(root(d), "type");
    return err && !d->name && child(root(d), "name") ? ab_oom(err) : 0;
}

const char *
domxml_name(const struct domxml *d)
{
    return d->name;
}

const char *
domxml_uuid(const struct domxml *d)
{
    return d->uuid;
}

const char *
domxml_type(const struct domxml *d)
{
    return d->type;
}

void
domxml_free(struct domxml *d)
{
    if (!d)
        return;
    xmlFreeDoc(d->doc);
    free(d->name);
    free(d->uuid);
    free(d->type);
    free(d->source);
    free(d);
}

static struct domxml *
parse(const char *name, const char *text, size_t len, const char *path, struct ab_error *err)
{
    struct domxml *d = calloc(1, sizeof(*d));
    if (!d || !(d->source = strdup(name))) {
        free(d);
        ab_oom(err);
        return NULL;
    }
    xmlInitParser();
    xmlStructuredErrorFunc old_fn = xmlStructuredError;
    void *old_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)xml_quiet);
    xmlResetLastError();
    int opts = XML_PARSE_NONET | XML_PARSE_NOWARNING;
    d->doc = path             ? xmlReadFile(path, NULL, opts)
             : len <= INT_MAX ? xmlReadMemory(text, (int)len, name, NULL, opts)
                              : NULL;
    const xmlError *e = xmlGetLastError();
    char msg[512] = "not well-formed XML";
    if (!d->doc && e && e->message)
        snprintf(msg, sizeof(msg), "%s", e->message);
    xmlSetStructuredErrorFunc(old_ctx, old_fn);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (!d->doc)
        ab_build_error(err, 0, "cannot parse domain XML '%s': %s", name, msg);
    else if (!is_element(root(d), "domain"))
        ab_build_error(err, 0, "'%s' is not a libvirt domain XML: its root element is '%s'", name,
                       root(d) ? (const char *)root(d)->name : "(none)");
    else if (refresh(d, err) == 0)
        return d;
    domxml_free(d);
    return NULL;
}

struct domxml *
domxml_read_file(const char *path, struct ab_error *err)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    return parse(path, NULL, 0, path, err);
}

struct domxml *
domxml_read_buffer(const char *name, const char *text, size_t len, struct ab_error *err)
{
    return parse(name, text, len, NULL, err);
}

/* ---- the machine ---- */

/* libvirt's memory units (formatdomain.html#memory-allocation). */
static uint64_t
memory_unit(const char *unit)
{
    static const struct {
        const char *name;
        uint64_t bytes;
    } units[] = {
        {"b", 1},           {"bytes", 1},    {"KB", 1000}, {"k", KiB},
        {"KiB", KiB},       {"MB", 1000000}, {"M", MiB},   {"MiB", MiB},
        {"GB", 1000000000}, {"G", GiB},      {"GiB", GiB}, {"TB", UINT64_C(1000000000000)},
        {"T", TiB},         {"TiB", TiB},
    };
    if (!unit)
        return KiB;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(unit, units[i].name) == 0)
            return units[i].bytes;
    return 0;
}

static void
machine_size(xmlNodePtr dom, struct domxml_machine *m)
{
    CLEANUP_FREE char *vcpu = text_of(child(dom, "vcpu"));
    char *end;
    unsigned long n = vcpu ? strtoul(vcpu, &end, 10) : 0;
    if (n > 0 && n <= 1024 && *end == '\0')
        m->vcpus = (unsigned)n;
    xmlNodePtr mem = child(dom, "memory");
    CLEANUP_FREE char *text = text_of(mem), *unit = attr_of(mem, "unit");
    uint64_t per = memory_unit(unit);
    unsigned long long v = text ? strtoull(text, &end, 10) : 0;
    if (v && per && *end == '\0' && v <= UINT64_MAX / per)
        m->memory = v * per;
}

static void
machine_firmware(xmlNodePtr dom, struct domxml_machine *m)
{
    xmlNodePtr os = child(dom, "os");
    if (!os)
        return;
    CLEANUP_FREE char *fw = attr_of(os, "firmware");
    xmlNodePtr loader = child(os, "loader");
    CLEANUP_FREE char *type = attr_of(loader, "type"), *path = text_of(loader);
    bool efi = (fw && strcmp(fw, "efi") == 0) || (type && strcmp(type, "pflash") == 0) ||
               (path && (strcasestr(path, "ovmf") || strcasestr(path, "aavmf") ||
                         strcasestr(path, "edk2")));
    CLEANUP_FREE char *arch = attr_of(child(os, "type"), "arch");
    if (arch && strlen(arch) < sizeof(m->arch))
        snprintf(m->arch, sizeof(m->arch), "%s", arch);
    m->efi = efi ? 1 : -1;
    CLEANUP_FREE char *secure = attr_of(loader, "secure");
    bool sb = secure && strcmp(secure, "yes") == 0;
    for (xmlNodePtr f = child(child(os, "firmware"), "feature"); f; f = f->next) {
        if (!is_element(f, "feature"))
            continue;
        CLEANUP_FREE char *name = attr_of(f, "name"), *enabled = attr_of(f, "enabled");
        if (name && enabled && strcmp(name, "secure-boot") == 0)
            sb = strcmp(enabled, "yes") == 0;
    }
    m->secure_boot = efi && sb;
}

static void
machine_devices(xmlNodePtr dom, struct domxml_machine *m)
{
    bool bus_seen = false;
    xmlNodePtr dev = child(dom, "devices");
    for (xmlNodePtr c = dev ? dev->children : NULL; c; c = c->next) {
        if (is_element(c, "interface"))
            m->nics++;
        if (!is_element(c, "disk") || bus_seen)
            continue;
        CLEANUP_FREE char *device = attr_of(c, "device");
        if (device && strcmp(device, "disk") != 0)
            continue;
        CLEANUP_FREE char *bus = attr_of(child(c, "target"), "bus");
        bus_seen = true;
        if (bus && strlen(bus) < sizeof(m->bus))
            snprintf(m->bus, sizeof(m->bus), "%s", bus);
    }
}

void
domxml_machine(const struct domxml *d, struct domxml_machine *m)
{
    memset(m, 0, sizeof(*m));
    machine_size(root(d), m);
    machine_firmware(root(d), m);
    machine_devices(root(d), m);
}

static bool
has_backing(xmlNodePtr disk)
{
    for (xmlNodePtr c = disk->children; c; c = c->next)
        if (is_element(c, "backingStore") && child(c, "source"))
            return true;
    return false;
}

int
domxml_disks(const struct domxml *d, struct domxml_disk **v, size_t *n, struct ab_error *err)
{
    *v = NULL;
    *n = 0;
    size_t cap = 0;
    for (xmlNodePtr disk = child(child(root(d), "devices"), "disk"); disk; disk = disk->next) {
        CLEANUP_FREE char *device = attr_of(disk, "device");
        if (!is_element(disk, "disk") || !device || strcmp(device, "disk") != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            struct domxml_disk *grown = realloc(*v, cap * sizeof(*grown));
            if (!grown)
                return ab_oom(err);
            *v = grown;
        }
        struct domxml_disk *x = &(*v)[(*n)++];
        *x = (struct domxml_disk){.type = attr_of(disk, "type"),
                                  .target = attr_of(child(disk, "target"), "dev"),
                                  .file = attr_of(child(disk, "source"), "file"),
                                  .format = attr_of(child(disk, "driver"), "type"),
                                  .backed = has_backing(disk)};
    }
    return 0;
}

char *
domxml_disk_attr(const struct domxml *d, const char *target, const char *element, const char *attr)
{
    for (xmlNodePtr disk = child(child(root(d), "devices"), "disk"); disk; disk = disk->next) {
        if (!is_element(disk, "disk"))
            continue;
        CLEANUP_FREE char *dev = attr_of(child(disk, "target"), "dev");
        if (dev && strcmp(dev, target) == 0)
            return attr_of(child(disk, element), attr);
    }
    return NULL;
}

void
domxml_disks_free(struct domxml_disk *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].type);
        free(v[i].target);
        free(v[i].file);
        free(v[i].format);
    }
    free(v);
}

int
domxml_set_type(struct domxml *d, const char *type, struct ab_error *err)
{
    if (!xmlSetProp(root(d), BAD_CAST "type", BAD_CAST type))
        return ab_oom(err);
    return refresh(d, err);
}

/* Sets the text of root's child element name, adding it after `after`
 * (or first) when missing. */
static int
set_child_text(struct domxml *d, const char *name, const char *value, const char *after,
               struct ab_error *err)
{
    xmlNodePtr n = child(root(d), name);
    if (!n) {
        xmlNodePtr prev = after ? child(root(d), after) : NULL;
        n = xmlNewDocNode(d->doc, NULL, BAD_CAST name, NULL);
        if (!n)
            return ab_oom(err);
        if (prev                ? !xmlAddNextSibling(prev, n)
            : root(d)->children ? !xmlAddPrevSibling(root(d)->children, n)
                                : !xmlAddChild(root(d), n)) {
            xmlFreeNode(n);
            return ab_oom(err);
        }
    }
    xmlChar *escaped = xmlEncodeSpecialChars(d->doc, BAD_CAST value);
    if (!escaped)
        return ab_oom(err);
    xmlNodeSetContent(n, escaped);
    xmlFree(escaped);
    return refresh(d, err);
}

int
domxml_set_uuid(struct domxml *d, const char *uuid, struct ab_error *err)
{
    return set_child_text(d, "uuid", uuid, "name", err);
}

static void
remove_node(xmlNodePtr n)
{
    xmlUnlinkNode(n);
    xmlFreeNode(n);
}

int
domxml_rename(struct domxml *d, const char *name, struct ab_error *err)
{
    xmlNodePtr uuid = child(root(d), "uuid");
    if (uuid)
        remove_node(uuid);
    for (xmlNodePtr n = child(child(root(d), "devices"), "interface"); n; n = n->next) {
        xmlNodePtr mac = is_element(n, "interface") ? child(n, "mac") : NULL;
        if (mac)
            remove_node(mac);
    }
    return set_child_text(d, "name", name, NULL, err);
}

/* The <source> of a disk backed by a file, or NULL. */
static xmlNodePtr
file_source(xmlNodePtr disk)
{
    xmlNodePtr src = child(disk, "source");
    return is_element(disk, "disk") && src && xmlHasProp(src, BAD_CAST "file") ? src : NULL;
}

static int
relocate_one(struct domxml *d, xmlNodePtr disk, xmlNodePtr src, const char *dir,
             struct ab_error *err)
{
    CLEANUP_FREE char *file = attr_of(src, "file");
    CLEANUP_FREE char *target = attr_of(child(disk, "target"), "dev");
    const char *base = file ? strrchr(file, '/') : NULL;
    base = base ? base + 1 : file;
    if (!base || !*base)
        return ab_build_error(err, 0, "disk '%s' of '%s' has an empty source file",
                              target ? target : "?", d->source);
    CLEANUP_FREE char *path = NULL;
    struct stat st;
    if (asprintf(&path, "%s/%s", dir, base) < 0) {
        path = NULL;
        return ab_oom(err);
    }
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return ab_build_error(err, errno, "disk '%s' of '%s' is '%s', which is not in '%s'",
                              target ? target : "?", d->source, base, dir);
    if (!xmlSetProp(src, BAD_CAST "file", BAD_CAST path))
        return ab_oom(err);
    return 0;
}

int
domxml_relocate_disks(struct domxml *d, const char *dir, struct ab_error *err)
{
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return ab_build_error(err, errno, "cannot read '%s': %s", dir, strerror(errno));
    for (xmlNodePtr n = child(child(root(d), "devices"), "disk"); n; n = n->next) {
        xmlNodePtr src = file_source(n);
        if (is_element(n, "disk") && !src && child(n, "source")) {
            CLEANUP_FREE char *type = attr_of(n, "type");
            CLEANUP_FREE char *target = attr_of(child(n, "target"), "dev");
            return ab_build_error(err, 0,
                                  "disk '%s' of '%s' is not a file of the folder (type '%s'); "
                                  "refusing a domain whose disks are outside it",
                                  target ? target : "?", d->source, type ? type : "?");
        }
        if (src && relocate_one(d, n, src, real, err) < 0)
            return -1;
    }
    return 0;
}

/* The disk's <driver>, added (name 'qemu') when it has none. */
static xmlNodePtr
disk_driver(xmlNodePtr disk)
{
    xmlNodePtr drv = child(disk, "driver");
    if (drv)
        return drv;
    drv = xmlNewChild(disk, NULL, BAD_CAST "driver", NULL);
    if (drv && !xmlSetProp(drv, BAD_CAST "name", BAD_CAST "qemu"))
        return NULL;
    return drv;
}

static int
set_disk_format(struct domxml *d, xmlNodePtr disk, const char *format, struct ab_error *err)
{
    CLEANUP_FREE char *target = attr_of(child(disk, "target"), "dev");
    xmlNodePtr drv = disk_driver(disk);
    CLEANUP_FREE char *type = drv ? attr_of(drv, "type") : NULL;
    if (!drv)
        return ab_oom(err);
    if (type && strcmp(type, format) != 0)
        return ab_build_error(err, 0,
                              "disk '%s' of '%s' is a %s image, but its driver type says %s",
                              target ? target : "?", d->source, format, type);
    if (!type && !xmlSetProp(drv, BAD_CAST "type", BAD_CAST format))
        return ab_oom(err);
    for (xmlNodePtr b; (b = child(disk, "backingStore"));)
        remove_node(b);
    return xmlNewChild(disk, NULL, BAD_CAST "backingStore", NULL) ? 0 : ab_oom(err);
}

int
domxml_set_disk_format(struct domxml *d, const char *file, const char *format, struct ab_error *err)
{
    for (xmlNodePtr n = child(child(root(d), "devices"), "disk"); n; n = n->next) {
        xmlNodePtr src = file_source(n);
        CLEANUP_FREE char *f = src ? attr_of(src, "file") : NULL;
        if (f && strcmp(f, file) == 0 && set_disk_format(d, n, format, err) < 0)
            return -1;
    }
    return 0;
}

/* Appends a string to a NULL-terminated array; false: no memory. */
static bool
push(char ***v, size_t *n, char *s)
{
    char **grown = s ? realloc(*v, (*n + 2) * sizeof(char *)) : NULL;
    if (!grown) {
        free(s);
        return false;
    }
    grown[(*n)++] = s;
    grown[*n] = NULL;
    *v = grown;
    return true;
}

char **
domxml_disk_files(const struct domxml *d)
{
    char **v = calloc(1, sizeof(char *));
    size_t n = 0;
    for (xmlNodePtr disk = child(child(root(d), "devices"), "disk"); v && disk; disk = disk->next) {
        xmlNodePtr src = file_source(disk);
        if (!src)
            continue;
        char *target = attr_of(child(disk, "target"), "dev");
        if (!push(&v, &n, target ? target : strdup("")) || !push(&v, &n, attr_of(src, "file"))) {
            ab_strv_free(v);
            return NULL;
        }
    }
    return v;
}

/* The network an interface of type 'network' is on, or NULL. */
static char *
interface_network(xmlNodePtr iface)
{
    CLEANUP_FREE char *type = attr_of(iface, "type");
    if (!is_element(iface, "interface") || !type || strcmp(type, "network") != 0)
        return NULL;
    return attr_of(child(iface, "source"), "network");
}

char **
domxml_networks(const struct domxml *d)
{
    char **v = calloc(1, sizeof(char *));
    size_t n = 0;
    for (xmlNodePtr i = child(child(root(d), "devices"), "interface"); v && i; i = i->next) {
        char *net = interface_network(i);
        bool seen = false;
        for (size_t k = 0; net && k < n; k++)
            seen = seen || strcmp(v[k], net) == 0;
        if (seen || !net) {
            free(net);
            continue;
        }
        if (!push(&v, &n, net)) {
            ab_strv_free(v);
            return NULL;
        }
    }
    return v;
}

int
domxml_use_user_networking(struct domxml *d, const char *network, struct ab_error *err)
{
    for (xmlNodePtr i = child(child(root(d), "devices"), "interface"); i; i = i->next) {
        CLEANUP_FREE char *net = interface_network(i);
        if (!net || strcmp(net, network) != 0)
            continue;
        remove_node(child(i, "source"));
        if (!xmlSetProp(i, BAD_CAST "type", BAD_CAST "user"))
            return ab_oom(err);
    }
    return 0;
}

char *
domxml_to_string(const struct domxml *d, struct ab_error *err)
{
    xmlChar *buf = NULL;
    int len = 0;
    xmlDocDumpFormatMemoryEnc(d->doc, &buf, &len, "UTF-8", 1);
    char *s = buf ? strndup((const char *)buf, (size_t)len) : NULL;
    xmlFree(buf);
    if (!s)
        ab_oom(err);
    return s;
}
