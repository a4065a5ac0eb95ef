/* live.c: a running domain's disks held still through libvirt: guest
 * agent freeze, disk-only external snapshot, thaw; then active block
 * commit and pivot back (live.h). Every libvirt failure carries libvirt's
 * own message (virGetLastErrorMessage); libvirt's habit of printing
 * errors to stderr is turned off. */
#include "appliance/live.h"

#include "appliance/deploy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "appliance/cleanup.h"
#include "appliance/clock.h"
#include "appliance/domxml.h"
#include "appliance/stop.h"

/* More disks than an appliance has; a domain with more is refused. */
#define LIVE_MAX_DISKS 8
/* How long a block commit may take to catch up with the guest. */
#define LIVE_COMMIT_TIMEOUT_MS (60 * 60 * 1000)
#define LIVE_OVERLAY_SUFFIX ".live-overlay.qcow2"

struct live_disk {
    char *target;  /* "vda" */
    char *path;    /* the original file */
    char *format;  /* its <driver type> */
    char *overlay; /* path + LIVE_OVERLAY_SUFFIX */
};

struct live_session {
    virConnectPtr conn;
    virDomainPtr dom;
    char *name;
    char *xml_path;
    struct live_disk disks[LIVE_MAX_DISKS];
    size_t n_disks;
    bool snapped; /* the overlays exist and the domain runs on them */
    bool frozen;
    const struct live_opts *o; /* during live_begin only */
};

static void live_notice(const struct live_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
live_notice(const struct live_opts *o, const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n >= 0 && o && o->notice)
        o->notice(o->ctx, msg);
    free(n >= 0 ? msg : NULL);
}

static void
disk_release(struct live_disk *d)
{
    free(d->target);
    free(d->path);
    free(d->format);
    free(d->overlay);
    *d = (struct live_disk){0};
}

/* One <disk device='disk'> of the running domain, checked and kept. */
static int
add_disk(struct live_session *s, const struct domxml_disk *x, struct ab_error *err)
{
    if (!x->type || strcmp(x->type, "file") != 0)
        return ab_build_error(err, 0,
                              "disk '%s' of domain '%s' is not a file (a block device or a "
                              "network volume): --live copies file-backed disks only",
                              x->target ? x->target : "?", s->name);
    if (s->n_disks == LIVE_MAX_DISKS)
        return ab_build_error(err, 0, "domain '%s' has more than %d disks", s->name,
                              LIVE_MAX_DISKS);
    struct live_disk *d = &s->disks[s->n_disks++];
    d->target = x->target ? strdup(x->target) : NULL;
    d->path = x->file ? strdup(x->file) : NULL;
    d->format = x->format ? strdup(x->format) : NULL;
    if (!d->target || !d->path)
        return ab_build_error(err, 0, "a disk of domain '%s' has no target or no source file",
                              s->name);
    if (!d->format || (strcmp(d->format, "qcow2") != 0 && strcmp(d->format, "raw") != 0))
        return ab_build_error(err, 0,
                              "disk '%s' of domain '%s' is in format '%s': --live "
                              "copies qcow2 and raw disks",
                              d->target, s->name, d->format ? d->format : "(none given)");
    if (x->backed)
        return ab_build_error(err, 0,
                              "disk '%s' of domain '%s' ('%s') is an overlay on another image "
                              "(a snapshot, or a live conversion that did not end): commit it "
                              "first (virsh blockcommit %s %s --active --pivot)",
                              d->target, s->name, d->path, s->name, d->target);
    if (asprintf(&d->overlay, "%s%s", d->path, LIVE_OVERLAY_SUFFIX) < 0) {
        d->overlay = NULL;
        return ab_oom(err);
    }
    return 0;
}

/* The domain's file-backed disks from its running definition, read by
 * the format's one reader (domxml.h). */
static int
read_disks(struct live_session *s, struct ab_error *err)
{
    CLEANUP_FREE char *xml = virDomainGetXMLDesc(s->dom, 0);
    if (!xml)
        return deploy_virt_failed(err, "cannot read the definition of domain '%s'", s->name);
    struct ab_error why = AB_ERROR_INIT;
    CLEANUP_DOMXML struct domxml *d = domxml_read_buffer("domain.xml", xml, strlen(xml), &why);
    ab_error_release(&why);
    if (!d)
        return ab_build_error(err, 0, "libvirt gave an unreadable domain XML");
    struct domxml_disk *v = NULL;
    size_t n = 0;
    int rc = domxml_disks(d, &v, &n, err);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_disk(s, &v[i], err);
    domxml_disks_free(v, n);
    if (rc == 0 && s->n_disks == 0)
        rc = ab_build_error(err, 0, "domain '%s' has no disk", s->name);
    return rc;
}

/* Each disk readable here, and no overlay file in the way. */
static int
check_files(struct live_session *s, struct ab_error *err)
{
    for (size_t i = 0; i < s->n_disks; i++) {
        const struct live_disk *d = &s->disks[i];
        if (access(d->path, R_OK) < 0)
            return ab_build_error(err, errno,
                                  "disk '%s' of domain '%s' ('%s') cannot be read here: %s "
                                  "(--live reads the disks on this machine)",
                                  d->target, s->name, d->path, strerror(errno));
        struct stat st;
        if (lstat(d->overlay, &st) == 0)
            return ab_build_error(err, EEXIST,
                                  "'%s' exists: a live conversion that did not end? Remove it "
                                  "once no domain uses it",
                                  d->overlay);
    }
    return 0;
}

/* The persistent definition (the live one for a transient domain) in
 * scratch_dir/NAME.xml, before the snapshot changes the disks. */
static int
write_xml(struct live_session *s, const char *dir, struct ab_error *err)
{
    int persistent = virDomainIsPersistent(s->dom);
    CLEANUP_FREE char *xml =
        virDomainGetXMLDesc(s->dom, persistent == 1 ? VIR_DOMAIN_XML_INACTIVE : 0);
    if (!xml)
        return deploy_virt_failed(err, "cannot read the definition of domain '%s'", s->name);
    if (asprintf(&s->xml_path, "%s/%s.xml", dir, s->name) < 0) {
        s->xml_path = NULL;
        return ab_oom(err);
    }
    FILE *f = fopen(s->xml_path, "w");
    if (!f)
        return ab_build_error(err, errno, "cannot create '%s': %s", s->xml_path, strerror(errno));
    size_t len = strlen(xml);
    bool ok = fwrite(xml, 1, len, f) == len;
    if (fclose(f) != 0 || !ok)
        return ab_build_error(err, errno, "cannot write '%s': %s", s->xml_path, strerror(errno));
    return 0;
}

static int
connect_domain(struct live_session *s, const struct live_opts *o, struct ab_error *err)
{
    deploy_virt_quiet();
    s->conn = virConnectOpen(o->uri);
    if (!s->conn)
        return deploy_virt_failed(err, "cannot connect to '%s'",
                                  o->uri ? o->uri : "libvirt's default URI");
    s->dom = virDomainLookupByName(s->conn, o->domain);
    if (!s->dom)
        s->dom = virDomainLookupByUUIDString(s->conn, o->domain);
    if (!s->dom) {
        char *end = NULL;
        long id = strtol(o->domain, &end, 10);
        if (*o->domain && end && !*end && id >= 0 && id <= INT32_MAX)
            s->dom = virDomainLookupByID(s->conn, (int)id);
    }
    if (!s->dom)
        return ab_build_error(err, 0, "no domain '%s' on '%s'", o->domain,
                              o->uri ? o->uri : "libvirt's default URI");
    const char *name = virDomainGetName(s->dom);
    if (!(s->name = strdup(name ? name : o->domain)))
        return ab_oom(err);
    int active = virDomainIsActive(s->dom);
    if (active < 0)
        return deploy_virt_failed(err, "cannot tell whether domain '%s' is running", s->name);
    if (!active)
        return ab_build_error(err, 0,
                              "domain '%s' is not running: convert its disks offline (appliance "
                              "convert DISK... --hardware-from XML) instead of --live",
                              s->name);
    return 0;
}

/* Freezes through the guest agent; without one, either refuses or goes
 * on crash-consistent, as the caller allowed. */
static int
freeze(struct live_session *s, struct ab_error *err)
{
    const struct live_opts *o = s->o;
    double t0 = mono_now();
    int n = virDomainFSFreeze(s->dom, NULL, 0, 0);
    if (n >= 0) {
        s->frozen = true;
        live_notice(o, "froze %d filesystems of domain '%s' through the qemu guest agent (%lld ms)",
                    n, s->name, (long long)((mono_now() - t0) * 1000));
        return 0;
    }
    const char *m = virGetLastErrorMessage();
    CLEANUP_FREE char *why = strdup(m ? m : "unknown libvirt error");
    virDomainFSThaw(s->dom, NULL, 0, 0); /* a freeze that failed half way */
    virResetLastError();
    if (!o->allow_crash_consistent)
        return ab_build_error(err, 0,
                              "cannot freeze the filesystems of domain '%s' through the qemu "
                              "guest agent: %s; is qemu-guest-agent running in the guest? "
                              "--allow-crash-consistent takes the snapshot without a freeze (the "
                              "disks as a power cut would leave them)",
                              s->name, why ? why : "out of memory");
    live_notice(o,
                "cannot freeze the filesystems of domain '%s' (%s): taking a crash-consistent "
                "snapshot, as --allow-crash-consistent allows",
                s->name, why ? why : "out of memory");
    return 0;
}

/* Thaws, insisting a little: a guest left frozen stops writing. */
static int
thaw(struct live_session *s, struct ab_error *err)
{
    if (!s->frozen)
        return 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (virDomainFSThaw(s->dom, NULL, 0, 0) >= 0) {
            s->frozen = false;
            return 0;
        }
        sleep(1);
    }
    return deploy_virt_failed(
        err,
        "cannot thaw the filesystems of domain '%s' (virsh domfsthaw %s thaws "
        "them)",
        s->name, s->name);
}

static xmlNodePtr
add_elem(xmlNodePtr parent, const char *name, const char *attr, const char *value)
{
    xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
    if (n && attr && !xmlSetProp(n, BAD_CAST attr, BAD_CAST value))
        return NULL;
    return n;
}

/* <domainsnapshot> with one external qcow2 overlay per disk. */
static char *
snapshot_xml(const struct live_session *s)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = doc ? xmlNewNode(NULL, BAD_CAST "domainsnapshot") : NULL;
    if (root)
        xmlDocSetRootElement(doc, root);
    bool ok = root && xmlNewTextChild(root, NULL, BAD_CAST "name", BAD_CAST "appliance-live") &&
              xmlNewTextChild(root, NULL, BAD_CAST "description",
                              BAD_CAST "appliance convert --live: committed back at its end") &&
              add_elem(root, "memory", "snapshot", "no");
    xmlNodePtr disks = ok ? add_elem(root, "disks", NULL, NULL) : NULL;
    for (size_t i = 0; disks && i < s->n_disks; i++) {
        xmlNodePtr d = add_elem(disks, "disk", "name", s->disks[i].target);
        ok = d && xmlSetProp(d, BAD_CAST "snapshot", BAD_CAST "external") &&
             add_elem(d, "driver", "type", "qcow2") &&
             add_elem(d, "source", "file", s->disks[i].overlay);
        if (!ok)
            disks = NULL;
    }
    xmlChar *text = NULL;
    int len = 0;
    if (ok && disks)
        xmlDocDumpMemory(doc, &text, &len);
    xmlFreeDoc(doc);
    char *out = text ? strdup((const char *)text) : NULL;
    xmlFree(text);
    return out;
}

static int
snapshot(struct live_session *s, struct ab_error *err)
{
    CLEANUP_FREE char *xml = snapshot_xml(s);
    if (!xml)
        return ab_oom(err);
    unsigned flags = VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY | VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA |
                     VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC;
    virDomainSnapshotPtr snap = virDomainSnapshotCreateXML(s->dom, xml, flags);
    if (!snap)
        return deploy_virt_failed(err, "cannot take a disk-only snapshot of domain '%s'", s->name);
    virDomainSnapshotFree(snap);
    s->snapped = true;
    return 0;
}

/* An attribute of a child element of the running domain's disk target
 * (to be freed): its <source file>, its block job's <mirror ready>. */
static char *
disk_attr(struct live_session *s, const char *target, const char *element, const char *attr)
{
    CLEANUP_FREE char *xml = virDomainGetXMLDesc(s->dom, 0);
    struct ab_error ignored = AB_ERROR_INIT;
    CLEANUP_DOMXML struct domxml *d =
        xml ? domxml_read_buffer("domain.xml", xml, strlen(xml), &ignored) : NULL;
    ab_error_release(&ignored);
    return d ? domxml_disk_attr(d, target, element, attr) : NULL;
}

/* libvirt's own view of the job: ready to pivot once it has processed
 * qemu's BLOCK_JOB_READY event (<mirror ready='yes'>), which can come
 * after virDomainGetBlockJobInfo already shows cur == end. */
static bool
mirror_ready(struct live_session *s, const char *target)
{
    CLEANUP_FREE char *ready = disk_attr(s, target, "mirror", "ready");
    return ready && strcmp(ready, "yes") == 0;
}

/* Until the active commit has caught up with the guest (cur == end) and
 * libvirt knows it. */
static int
wait_ready(struct live_session *s, const struct live_disk *d, struct ab_error *err)
{
    double deadline = mono_now() + LIVE_COMMIT_TIMEOUT_MS / 1000.0;
    for (;;) {
        virDomainBlockJobInfo info;
        int r = virDomainGetBlockJobInfo(s->dom, d->target, &info, 0);
        if (r < 0)
            return deploy_virt_failed(err, "cannot follow the block commit of disk '%s'",
                                      d->target);
        if (r == 0)
            return ab_build_error(err, 0,
                                  "the block commit of disk '%s' ended before it was "
                                  "ready to pivot",
                                  d->target);
        if (info.end > 0 && info.cur == info.end && mirror_ready(s, d->target))
            return 0;
        if (mono_now() > deadline)
            return ab_build_error(err, ETIMEDOUT,
                                  "the block commit of disk '%s' did not catch up with the "
                                  "guest in %d minutes",
                                  d->target, LIVE_COMMIT_TIMEOUT_MS / 60000);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* The pivot, tried again for a few seconds while libvirt says the job is
 * "not ready for pivot yet" (VIR_ERR_BLOCK_COPY_ACTIVE). */
static int
pivot(struct live_session *s, const struct live_disk *d)
{
    for (int attempt = 0;; attempt++) {
        if (virDomainBlockJobAbort(s->dom, d->target, VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT) == 0)
            return 0;
        virErrorPtr e = virGetLastError();
        if (!e || e->code != VIR_ERR_BLOCK_COPY_ACTIVE || attempt == 100)
            return -1;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* One overlay committed back into its disk, the domain pivoted onto the
 * disk, the overlay deleted. */
static int
commit_disk(struct live_session *s, const struct live_disk *d, struct ab_error *err)
{
    unsigned flags = VIR_DOMAIN_BLOCK_COMMIT_ACTIVE | VIR_DOMAIN_BLOCK_COMMIT_SHALLOW;
    if (virDomainBlockCommit(s->dom, d->target, NULL, NULL, 0, flags) < 0)
        return deploy_virt_failed(err, "cannot start the block commit of disk '%s'", d->target);
    if (wait_ready(s, d, err) < 0)
        return -1;
    if (pivot(s, d) < 0)
        return deploy_virt_failed(err, "cannot pivot disk '%s' back onto '%s'", d->target, d->path);
    CLEANUP_FREE char *now = disk_attr(s, d->target, "source", "file");
    if (!now || strcmp(now, d->path) != 0)
        return ab_build_error(err, 0, "disk '%s' runs on '%s' after the pivot, not on '%s'",
                              d->target, now ? now : "?", d->path);
    if (unlink(d->overlay) < 0 && errno != ENOENT)
        return ab_build_error(err, errno, "cannot delete the overlay '%s': %s", d->overlay,
                              strerror(errno));
    return 0;
}

/* Every disk brought back; the ones that fail are named with what
 * finishes their job by hand, the others still done. */
static int
commit_all(struct live_session *s, struct ab_error *err)
{
    if (s->snapped && virDomainIsActive(s->dom) != 1) {
        /* No block job without a running qemu: the overlays stay the
         * domain's disks until they are committed offline. */
        for (size_t i = 0; i < s->n_disks; i++)
            ab_build_error(err, 0,
                           "domain '%s' stopped during the conversion: its disk '%s' is the "
                           "overlay '%s'; commit it offline (qemu-img commit -f qcow2 '%s'), "
                           "then point the disk back at '%s' (virsh edit %s) and delete the "
                           "overlay",
                           s->name, s->disks[i].target, s->disks[i].overlay, s->disks[i].overlay,
                           s->disks[i].path, s->name);
        s->snapped = false;
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; s->snapped && i < s->n_disks; i++) {
        const struct live_disk *d = &s->disks[i];
        if (commit_disk(s, d, err) == 0)
            continue;
        ab_error_prefix(err,
                        "while bringing disk '%s' of domain '%s' back onto '%s' "
                        "(virsh blockjob %s %s --pivot, once virsh blockcommit %s %s --active "
                        "--shallow has caught up; then delete '%s')",
                        d->target, s->name, d->path, s->name, d->target, s->name, d->target,
                        d->overlay);
        rc = -1;
    }
    s->snapped = false;
    return rc;
}

static void
session_free(struct live_session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_disks; i++)
        disk_release(&s->disks[i]);
    if (s->dom)
        virDomainFree(s->dom);
    if (s->conn)
        virConnectClose(s->conn);
    free(s->name);
    free(s->xml_path);
    free(s);
}

/* Freeze, snapshot, thaw: the thaw whatever the snapshot did. */
static int
hold_disks(struct live_session *s, struct ab_error *err)
{
    if (freeze(s, err) < 0)
        return -1;
    double t0 = mono_now();
    int rc = snapshot(s, err);
    bool was_frozen = s->frozen;
    if (thaw(s, err) < 0)
        rc = -1;
    if (rc == 0)
        live_notice(s->o,
                    "took a %s disk-only snapshot of domain '%s' (%zu overlays beside the "
                    "disks; %s for %lld ms)",
                    was_frozen ? "consistent" : "crash-consistent", s->name, s->n_disks,
                    was_frozen ? "filesystems frozen" : "guest running",
                    (long long)((mono_now() - t0) * 1000));
    s->frozen = was_frozen;
    return rc;
}

int
live_begin(const struct live_opts *o, struct live_session **out, struct ab_error *err)
{
    *out = NULL;
    struct live_session *s = calloc(1, sizeof(*s));
    if (!s)
        return ab_oom(err);
    s->o = o;
    int rc = connect_domain(s, o, err);
    if (rc == 0)
        rc = read_disks(s, err);
    if (rc == 0)
        rc = check_files(s, err);
    if (rc == 0)
        rc = write_xml(s, o->scratch_dir, err);
    if (rc == 0 && stop_requested())
        rc = ab_build_error(err, EINTR, "interrupted");
    if (rc == 0)
        rc = hold_disks(s, err);
    s->o = NULL;
    if (rc < 0) {
        commit_all(s, err);
        if (s->xml_path)
            unlink(s->xml_path);
        session_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int
live_end(struct live_session *s, struct ab_error *err)
{
    if (!s)
        return 0;
    int rc = commit_all(s, err);
    session_free(s);
    return rc;
}

size_t
live_disk_count(const struct live_session *s)
{
    return s->n_disks;
}

const char *
live_disk_path(const struct live_session *s, size_t i)
{
    return i < s->n_disks ? s->disks[i].path : NULL;
}

const char *
live_disk_format(const struct live_session *s, size_t i)
{
    return i < s->n_disks ? s->disks[i].format : NULL;
}

const char *
live_disk_target(const struct live_session *s, size_t i)
{
    return i < s->n_disks ? s->disks[i].target : NULL;
}

const char *
live_domain_xml(const struct live_session *s)
{
    return s->xml_path;
}

const char *
live_domain_name(const struct live_session *s)
{
    return s->name;
}

bool
live_frozen(const struct live_session *s)
{
    return s->frozen;
}
