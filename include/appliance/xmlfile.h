/* xmlfile.h: libxml2 documents to files, without libxml2 printing.
 *
 * Library code never prints, but libxml2 writes its errors to stderr
 * unless told otherwise: between xmlfile_quiet_begin() and _end() they are
 * only recorded, and xmlfile_error_text() gives the newest one for an
 * error message. xmlfile_save() writes a document the way every XML output
 * of appliance is written: UTF-8, indented, under a temporary name that is
 * renamed into place when complete. */
#ifndef APPLIANCE_XMLFILE_H
#define APPLIANCE_XMLFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "appliance/error.h"

struct xmlfile_quiet {
    xmlStructuredErrorFunc old_fn;
    void *old_ctx;
};

/* Initialises libxml2 and silences it until xmlfile_quiet_end(q). */
void xmlfile_quiet_begin(struct xmlfile_quiet *q);
/* Restores the error handler that xmlfile_quiet_begin(q) found. */
void xmlfile_quiet_end(const struct xmlfile_quiet *q);

/* libxml2's newest error text without its trailing newline, in buf; NULL
 * when there is none. */
const char *xmlfile_error_text(char *buf, size_t size);

/* Writes doc to path (mode 0644), replacing it atomically (write_atomic).
 * Returns 0, or -1 with libxml2's or the system's error in err. */
int xmlfile_save(xmlDocPtr doc, const char *path, struct ab_error *err);

/* A child element of parent in namespace ns (NULL: none) with escaped
 * text (NULL: empty), as xmlNewTextChild; NULL-safe in parent, so that a
 * document is built call after call and checked once: any NULL sets
 * *failed. */
xmlNodePtr xmlfile_child(bool *failed, xmlNodePtr parent, xmlNsPtr ns, const char *name,
                         const char *text);

/* A document built node by node, then saved: failed (or a NULL doc) means
 * a libxml2 call returned NULL while building it, and the error is
 * "cannot build the WHAT: libxml2's newest error"; else xmlfile_save().
 * Either failure is prefixed "while writing WHAT 'path'". Call it between
 * xmlfile_quiet_begin() and _end(); doc stays the caller's. */
int xmlfile_save_built(xmlDocPtr doc, bool failed, const char *path, const char *what,
                       struct ab_error *err);

#endif
