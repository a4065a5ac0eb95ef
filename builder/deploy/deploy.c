/* deploy.c: an output folder's domain defined through the libvirt API.
 * Every libvirt failure carries libvirt's own message
 * (virGetLastErrorMessage); libvirt's habit of printing errors to stderr
 * is turned off. */
#include "appliance/deploy.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "appliance/cleanup.h"
#include "appliance/domxml.h"
#include "appliance/image_check.h"
#include "appliance/kvm.h"
#include "appliance/report.h"

bool
deploy_uri_is_local(const char *uri)
{
    if (!uri)
        return true;
    const char *p = strstr(uri, "://");
    if (!p)
        return false; /* an alias from libvirt's configuration: cannot tell */
    p += 3;
    size_t len = strcspn(p, "/?");
    const char *at = memchr(p, '@', len);
    if (at) {
        len -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (len && p[0] != '[') {
        const char *colon = memchr(p, ':', len);
        if (colon)
            len = (size_t)(colon - p);
    } else if (len) {
        const char *close = memchr(p, ']', len);
        len = close ? (size_t)(close + 1 - p) : len;
    }
    static const char *const local[] = {"localhost", "127.0.0.1", "[::1]"};
    if (len == 0)
        return true;
    for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (strlen(local[i]) == len && strncasecmp(p, local[i], len) == 0)
            return true;
    return false;
}

static bool
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The folder's only *.xml, or NULL (with err set). */
static char *
only_xml(const char *dir, struct ab_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        ab_build_error(err, errno, "cannot read '%s': %s", dir, strerror(errno));
        return NULL;
    }
    char *found = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".xml") == 0 && n++ == 0 &&
            asprintf(&found, "%s/%s", dir, e->d_name) < 0)
            found = NULL;
    }
    closedir(d);
    if (n == 1 && found)
        return found;
    free(found);
    if (n == 0)
        ab_build_error(err, 0,
                       "'%s' has no libvirt domain XML (NAME-VERSION.xml): was it built with "
                       "the libvirt output?",
                       dir);
    else
        ab_build_error(err, 0, "'%s' has %zu .xml files and no build-report.json naming one", dir,
                       n);
    return NULL;
}

char *
deploy_find_xml(const char *dir, const char *arch, struct ab_error *err)
{
    /* The libvirt output's file that the build report lists. */
    CLEANUP_FREE char *report = NULL;
    if (report_resolve(dir, arch, &report, err) < 0)
        return NULL;
    char *xml = report_find_file(report, "libvirt", NULL);
    if (xml && is_file(xml))
        return xml;
    free(xml);
    return only_xml(dir, err);
}

static void notice(const struct deploy_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
notice(const struct deploy_opts *o, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && o->notice)
        o->notice(o->ctx, msg);
    free(n >= 0 ? msg : NULL);
}

static void
quiet_errors(void *ctx, virErrorPtr e)
{
    (void)ctx, (void)e;
}

void
deploy_virt_quiet(void)
{
    virSetErrorFunc(NULL, quiet_errors);
}

/* "what: libvirt's message". */
int
deploy_virt_failed(struct ab_error *err, const char *fmt, ...)
{
    char *what = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&what, fmt, ap);
    va_end(ap);
    const char *msg = virGetLastErrorMessage();
    int rc = ab_build_error(err, 0, "%s: %s", n >= 0 ? what : "libvirt",
                            msg ? msg : "unknown libvirt error");
    free(n >= 0 ? what : NULL);
    return rc;
}

/* The state of one deployment. */
struct job {
    const struct deploy_opts *o;
    struct deploy_result *r;
    struct domxml *d;
    virConnectPtr conn;
    virDomainPtr existing; /* a domain of the same name, if any */
};

/* KVM when the host can use it; this machine is probed, others trusted. */
static int
choose_type(struct job *j, struct ab_error *err)
{
    const char *type = domxml_type(j->d);
    if (!type || strcmp(type, "kvm") != 0 || !deploy_uri_is_local(j->r->uri))
        return 0;
    struct kvm_probe kvm;
    kvm_probe(&kvm, NULL);
    if (kvm_usable(&kvm))
        return 0;
    notice(j->o, "%s (%s): the domain uses software emulation (type 'qemu')",
           kvm_state_reason(kvm.state), kvm.detail);
    return domxml_set_type(j->d, "qemu", err);
}

/* NICs on a network the host lacks (a session daemon has none) get
 * user-mode networking instead of a domain that cannot start. */
static int
check_networks(struct job *j, struct ab_error *err)
{
    CLEANUP_STRV char **nets = domxml_networks(j->d);
    if (!nets)
        return ab_oom(err);
    for (size_t i = 0; nets[i]; i++) {
        virNetworkPtr net = virNetworkLookupByName(j->conn, nets[i]);
        if (net) {
            virNetworkFree(net);
            continue;
        }
        const char *msg = virGetLastErrorMessage();
        notice(j->o,
               "network '%s' is not available on %s (%s): its NICs use user-mode "
               "networking",
               nets[i], j->r->uri, msg ? msg : "not found");
        if (domxml_use_user_networking(j->d, nets[i], err) < 0)
            return -1;
    }
    virResetLastError();
    return 0;
}

/* A domain of the same name: refused, or replaced in place (its UUID
 * kept, so libvirt redefines it) when it is not running. */
static int
check_existing(struct job *j, struct ab_error *err)
{
    const char *name = domxml_name(j->d);
    if (!name)
        return ab_build_error(err, 0, "'%s' has no <name>", j->r->xml);
    j->existing = virDomainLookupByName(j->conn, name);
    virResetLastError();
    if (!j->existing)
        return 0;
    if (!j->o->replace)
        return ab_build_error(err, EEXIST,
                              "a domain named '%s' already exists on %s (--replace redefines "
                              "it, --name deploys under another name)",
                              name, j->r->uri);
    int active = virDomainIsActive(j->existing);
    if (active < 0)
        return deploy_virt_failed(err, "cannot tell whether domain '%s' is running", name);
    if (active)
        return ab_build_error(err, EBUSY,
                              "domain '%s' is running on %s: shut it down before replacing it",
                              name, j->r->uri);
    char uuid[VIR_UUID_STRING_BUFLEN];
    if (virDomainGetUUIDString(j->existing, uuid) < 0)
        return deploy_virt_failed(err, "cannot read the UUID of domain '%s'", name);
    return domxml_set_uuid(j->d, uuid, err);
}

/* Refuses disks that another domain of the host already uses: two
 * machines writing one qcow2 destroy it. */
static int
check_disks_unused(struct job *j, struct ab_error *err)
{
    CLEANUP_STRV char **ours = domxml_disk_files(j->d);
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(j->conn, &doms, 0);
    if (!ours)
        return ab_oom(err);
    if (n < 0)
        return deploy_virt_failed(err, "cannot list the domains of %s", j->r->uri);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *other = virDomainGetName(doms[i]);
        bool same = other && strcmp(other, domxml_name(j->d)) == 0;
        CLEANUP_FREE char *xml =
            rc == 0 && !same ? virDomainGetXMLDesc(doms[i], VIR_DOMAIN_XML_INACTIVE) : NULL;
        struct ab_error ignored = AB_ERROR_INIT;
        CLEANUP_DOMXML struct domxml *od =
            xml ? domxml_read_buffer(other, xml, strlen(xml), &ignored) : NULL;
        ab_error_release(&ignored);
        CLEANUP_STRV char **theirs = od ? domxml_disk_files(od) : NULL;
        for (size_t a = 1; theirs && rc == 0 && ours[a - 1]; a += 2)
            for (size_t b = 1; theirs[b - 1] && rc == 0; b += 2)
                if (strcmp(ours[a], theirs[b]) == 0)
                    rc = ab_build_error(err, EBUSY,
                                        "'%s' is already a disk of domain '%s' on %s (copy the "
                                        "folder to deploy it twice)",
                                        ours[a], other, j->r->uri);
        virDomainFree(doms[i]);
    }
    free(doms);
    return rc;
}

/* What libvirt stored: name, UUID, type and disks, for the report. */
static int
read_back(struct job *j, virDomainPtr dom, struct ab_error *err)
{
    CLEANUP_FREE char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    if (!xml)
        return deploy_virt_failed(err, "cannot read back the domain");
    CLEANUP_DOMXML struct domxml *d =
        domxml_read_buffer("the defined domain", xml, strlen(xml), err);
    if (!d)
        return -1;
    struct deploy_result *r = j->r;
    r->name = domxml_name(d) ? strdup(domxml_name(d)) : NULL;
    r->uuid = domxml_uuid(d) ? strdup(domxml_uuid(d)) : NULL;
    r->type = domxml_type(d) ? strdup(domxml_type(d)) : NULL;
    r->disks = domxml_disk_files(d);
    return r->name && r->disks ? 0 : ab_oom(err);
}

static int
define(struct job *j, struct ab_error *err)
{
    CLEANUP_FREE char *xml = domxml_to_string(j->d, err);
    if (!xml)
        return -1;
    virDomainPtr dom = virDomainDefineXML(j->conn, xml);
    if (!dom)
        return deploy_virt_failed(err, "libvirt refused domain '%s' on %s", domxml_name(j->d),
                                  j->r->uri);
    j->r->replaced = j->existing != NULL;
    int rc = read_back(j, dom, err);
    if (rc == 0 && j->o->start) {
        if (virDomainCreate(dom) < 0)
            rc = deploy_virt_failed(err, "domain '%s' is defined on %s but did not start",
                                    domxml_name(j->d), j->r->uri);
        else
            j->r->started = true;
    }
    virDomainFree(dom);
    return rc;
}

/* Every disk the domain points at, checked before libvirt (or qemu) opens
 * it: refused when it names another file; its format given explicitly. */
static int
check_images(struct job *j, struct ab_error *err)
{
    CLEANUP_STRV char **disks = domxml_disk_files(j->d);
    if (!disks)
        return ab_oom(err);
    for (size_t i = 0; disks[i] && disks[i + 1]; i += 2) {
        struct image_info info;
        if (image_check(disks[i + 1], disks[i + 1], &info, NULL, err) < 0 ||
            domxml_set_disk_format(j->d, disks[i + 1], info.format, err) < 0)
            return -1;
    }
    return 0;
}

/* NAME-VERSION.xml, its disks where they are now and checked, and the new name. */
static int
prepare(struct job *j, struct ab_error *err)
{
    if (!(j->r->xml = deploy_find_xml(j->o->dir, j->o->arch, err)))
        return -1;
    if (!(j->d = domxml_read_file(j->r->xml, err)))
        return -1;
    if (domxml_relocate_disks(j->d, j->o->dir, err) < 0 || check_images(j, err) < 0)
        return -1;
    return j->o->name ? domxml_rename(j->d, j->o->name, err) : 0;
}

static int
connect_host(struct job *j, struct ab_error *err)
{
    deploy_virt_quiet();
    j->conn = virConnectOpen(j->o->uri);
    if (!j->conn)
        return deploy_virt_failed(err, "cannot connect to '%s'",
                                  j->o->uri ? j->o->uri : "libvirt's default URI");
    j->r->uri = virConnectGetURI(j->conn);
    if (!j->r->uri)
        return deploy_virt_failed(err, "cannot read the URI of the connection");
    return 0;
}

int
deploy_run(const struct deploy_opts *o, struct deploy_result *r, struct ab_error *err)
{
    struct job j = {o, r, NULL, NULL, NULL};
    int rc = prepare(&j, err);
    if (rc == 0)
        rc = connect_host(&j, err);
    if (rc == 0)
        rc = check_existing(&j, err);
    if (rc == 0)
        rc = check_disks_unused(&j, err);
    if (rc == 0)
        rc = choose_type(&j, err);
    if (rc == 0)
        rc = check_networks(&j, err);
    if (rc == 0)
        rc = define(&j, err);
    if (j.existing)
        virDomainFree(j.existing);
    if (j.conn)
        virConnectClose(j.conn);
    domxml_free(j.d);
    return rc;
}

void
deploy_result_release(struct deploy_result *r)
{
    if (!r)
        return;
    free(r->uri);
    free(r->xml);
    free(r->name);
    free(r->uuid);
    free(r->type);
    ab_strv_free(r->disks);
    *r = (struct deploy_result){0};
}
