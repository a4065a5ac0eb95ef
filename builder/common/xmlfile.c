/* xmlfile.c: libxml2 documents to files, without libxml2 printing.
 *
 * Shared by the writers of the OVF descriptor (ovf.c) and the libvirt
 * domain (export_libvirt.c): a quiet error handler, libxml2's error text
 * for our messages, and an atomic save through fsutil's write_atomic. */
#include "appliance/xmlfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlsave.h>

#include "appliance/fsutil.h"

static void
xml_quiet(void *ctx, const xmlError *e)
{
    (void)ctx, (void)e;
}

void
xmlfile_quiet_begin(struct xmlfile_quiet *q)
{
    xmlInitParser();
    q->old_fn = xmlStructuredError;
    q->old_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)xml_quiet);
}

void
xmlfile_quiet_end(const struct xmlfile_quiet *q)
{
    xmlSetStructuredErrorFunc(q->old_ctx, q->old_fn);
}

const char *
xmlfile_error_text(char *buf, size_t size)
{
    const xmlError *e = xmlGetLastError();
    if (!e || !e->message)
        return NULL;
    snprintf(buf, size, "%s", e->message);
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return buf;
}

/* Serialises the document ctx into fd (a write_atomic_fn). */
static int
save_fd(int fd, const char *path, void *ctx, struct ab_error *err)
{
    xmlDocPtr doc = ctx;
    char buf[512];
    xmlResetLastError();
    errno = 0;
    xmlSaveCtxtPtr s = xmlSaveToFd(fd, "UTF-8", XML_SAVE_FORMAT);
    if (!s) {
        const char *msg = xmlfile_error_text(buf, sizeof(buf));
        return ab_build_error(err, errno, "cannot start writing '%s': %s", path,
                              msg ? msg : "libxml2 xmlSaveToFd failed");
    }
    long r1 = xmlSaveDoc(s, doc);
    int r2 = xmlSaveClose(s);
    const char *msg = xmlfile_error_text(buf, sizeof(buf));
    if (r1 < 0 || r2 < 0 || msg)
        return ab_build_error(err, errno, "cannot write '%s': %s", path,
                              msg ? msg : (errno ? strerror(errno) : "libxml2 failed to save"));
    return 0;
}

int
xmlfile_save(xmlDocPtr doc, const char *path, struct ab_error *err)
{
    return write_atomic(path, 0644, save_fd, doc, err);
}

int
xmlfile_save_built(xmlDocPtr doc, bool failed, const char *path, const char *what,
                   struct ab_error *err)
{
    int rc;
    if (!doc || failed) {
        char buf[512];
        const char *msg = xmlfile_error_text(buf, sizeof(buf));
        rc = ab_error_set(err, AB_E_NOMEM, ENOMEM, NULL, "cannot build the %s: %s", what,
                          msg ? msg : "out of memory");
    } else {
        rc = xmlfile_save(doc, path, err);
    }
    if (rc < 0)
        ab_error_prefix(err, "while writing %s '%s'", what, path);
    return rc;
}

xmlNodePtr
xmlfile_child(bool *failed, xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
    xmlNodePtr n = parent ? xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text) : NULL;
    if (!n)
        *failed = true;
    return n;
}
