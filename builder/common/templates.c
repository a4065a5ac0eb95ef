/* templates.c: the embedded templates/ files (templates.h), read from the
 * table embed-templates.sh generates, and their placeholders filled. */
#include "appliance/templates.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "template_table.h"

#define MAX_VALUES 16

const char *
templates_get(const char *name)
{
    for (size_t i = 0; i < template_files_n; i++)
        if (strcmp(template_files[i].name, name) == 0)
            return template_files[i].text;
    return NULL;
}

/* The length of the placeholder's name at p (just past an '@'), when a
 * placeholder starts there: capitals, digits, '_', then '@'; else 0. */
static size_t
placeholder_len(const char *p)
{
    size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    return n > 0 && p[n] == '@' ? n : 0;
}

static const struct template_value *
value_of(const struct template_value *values, const char *key, size_t len, size_t *index)
{
    for (size_t i = 0; values && values[i].key; i++)
        if (strlen(values[i].key) == len && strncmp(values[i].key, key, len) == 0) {
            *index = i;
            return &values[i];
        }
    return NULL;
}

/* The text with its placeholders filled into f; used[] marks the values. */
static int
fill(FILE *f, const char *name, const char *text, const struct template_value *values, bool *used,
     struct ab_error *err)
{
    for (const char *p = text; *p;) {
        const char *at = strchr(p, '@');
        size_t len = at ? placeholder_len(at + 1) : 0, index = 0;
        if (!at) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(at - p) + (len ? 0 : 1), f);
        p = at + 1;
        if (!len)
            continue;
        const struct template_value *v = value_of(values, at + 1, len, &index);
        if (!v)
            return ab_build_error(err, 0, "template '%s': no value for '@%.*s@'", name, (int)len,
                                  at + 1);
        fputs(v->value, f);
        used[index] = true;
        p += len + 1;
    }
    return 0;
}

char *
templates_render(const char *name, const struct template_value *values, struct ab_error *err)
{
    const char *text = templates_get(name);
    bool used[MAX_VALUES] = {false};
    size_t n = 0;
    while (values && values[n].key)
        n++;
    if (!text || n > MAX_VALUES) {
        ab_build_error(err, 0, !text ? "no template '%s'" : "template '%s': too many values", name);
        return NULL;
    }
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) {
        ab_oom(err);
        return NULL;
    }
    int r = fill(f, name, text, values, used, err);
    if (fclose(f) != 0 && r == 0)
        r = ab_oom(err);
    for (size_t i = 0; r == 0 && i < n; i++)
        if (!used[i])
            r = ab_build_error(err, 0, "template '%s' has no '@%s@'", name, values[i].key);
    if (r < 0) {
        free(out);
        return NULL;
    }
    return out;
}

int
templates_write(const char *root, const char *path, mode_t mode, const char *name,
                const struct template_value *values, struct ab_error *err)
{
    CLEANUP_FREE char *text = templates_render(name, values, err);
    if (!text)
        return -1;
    return write_file(root, path, text, mode, err);
}
