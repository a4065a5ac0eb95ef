/* fsutil.h: small file system helpers shared by the build stages. */
#ifndef APPLIANCE_FSUTIL_H
#define APPLIANCE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "appliance/error.h"

/* mkdir -p; returns 0 or -1 with errno set. */
int mkdir_p(const char *path, mode_t mode);

/* rm -rf without following symbolic links; 0 or -1 with errno set. */
int rm_rf(const char *path);

/* Writes text to root/path (root may be NULL), creating parent folders,
 * replacing what is there, with the given mode. */
int write_file(const char *root, const char *path, const char *text, mode_t mode,
               struct ab_error *err);

/* printf-style variant of write_file. */
int write_filef(const char *root, const char *path, mode_t mode, struct ab_error *err,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
