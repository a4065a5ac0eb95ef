/* templates.h: the files under templates/, the scripts, units and
 * configurations the image carries, embedded in the program at build time
 * (builder/common/embed-templates.sh makes their table, templates.c reads
 * it). A template is named by its file name under templates/.
 *
 * A template may hold placeholders, filled from the plan by the caller's
 * fixed list of values: '@', a name of capitals, digits and '_', '@'
 * (@NAME@). Every other '@' is text. No other substitution is made. */
#ifndef APPLIANCE_TEMPLATES_H
#define APPLIANCE_TEMPLATES_H

#include <sys/types.h>

#include "appliance/error.h"

/* One placeholder's value: key without its '@'s. A list of them ends with
 * {NULL, NULL}. */
struct template_value {
    const char *key;
    const char *value;
};

/* The text of templates/NAME as it is in the tree, NULL when there is no
 * such template. */
const char *templates_get(const char *name);

/* templates/NAME with each placeholder replaced by its value (values may
 * be NULL for none), in a new string. Fails, naming the template and the
 * key, when there is no such template, a placeholder has no value in the
 * list, or a value's placeholder is not in the template. */
char *templates_render(const char *name, const struct template_value *values, struct ab_error *err);

/* templates_render() written to path in the tree at root (write_file()). */
int templates_write(const char *root, const char *path, mode_t mode, const char *name,
                    const struct template_value *values, struct ab_error *err);

#endif
