/* cleanup.h: __attribute__((cleanup)) helpers, one per resource type.
 *
 * Every destructor is NULL-safe; every variable declared with one of these
 * must be initialised. Never use them for a value that is returned. */
#ifndef APPLIANCE_CLEANUP_H
#define APPLIANCE_CLEANUP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
ab_cleanup_free(void *p)
{
    free(*(void **)p);
}

static inline void
ab_cleanup_fclose(FILE **f)
{
    if (*f)
        fclose(*f);
}

static inline void
ab_cleanup_close(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}

/* Frees a NULL-terminated array of strings and the array itself. */
static inline void
ab_strv_free(char **v)
{
    if (!v)
        return;
    for (char **s = v; *s; s++)
        free(*s);
    free(v);
}

static inline void
ab_cleanup_strv(char ***v)
{
    ab_strv_free(*v);
}

#define CLEANUP_FREE __attribute__((cleanup(ab_cleanup_free)))
#define CLEANUP_FCLOSE __attribute__((cleanup(ab_cleanup_fclose)))
#define CLEANUP_CLOSE __attribute__((cleanup(ab_cleanup_close)))
#define CLEANUP_STRV __attribute__((cleanup(ab_cleanup_strv)))

#endif
