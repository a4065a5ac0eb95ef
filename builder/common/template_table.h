/* template_table.h: the table of the embedded templates, which
 * embed-templates.sh generates from templates/ at build time into
 * $(BUILD)/gen/templates.c; read through templates.h only. */
#ifndef APPLIANCE_TEMPLATE_TABLE_H
#define APPLIANCE_TEMPLATE_TABLE_H

#include <stddef.h>

struct template_file {
    const char *name; /* the file's name under templates/ */
    const char *text; /* its bytes, with a '\0' after them */
    size_t len;       /* without the '\0' */
};

/* In the order the Makefile gives the files: sorted by name. */
extern const struct template_file template_files[];
extern const size_t template_files_n;

#endif
