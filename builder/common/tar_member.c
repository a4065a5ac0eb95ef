/* tar_member.c: a tar member's data found in place, without extracting it. */
#include "appliance/tar_member.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"

#define TAR_BLOCK 512

/* A numeric field: octal digits, or base-256 when the high bit is set. */
static uint64_t
tar_number(const unsigned char *field, size_t len)
{
    uint64_t v = 0;
    if (field[0] & 0x80) {
        for (size_t i = 1; i < len; i++)
            v = (v << 8) | field[i];
        return v;
    }
    for (size_t i = 0; i < len && field[i] >= '0' && field[i] <= '7'; i++)
        v = v * 8 + (uint64_t)(field[i] - '0');
    return v;
}

/* The "path" record of a pax extended header, into name. */
static void
pax_path(const char *data, size_t len, char *name, size_t size)
{
    for (size_t at = 0; at < len;) {
        char *end;
        unsigned long rec = strtoul(data + at, &end, 10);
        if (rec == 0 || at + rec > len || *end != ' ')
            return;
        const char *kv = end + 1;
        size_t kvlen = (size_t)(data + at + rec - kv);
        if (kvlen > 5 && strncmp(kv, "path=", 5) == 0 && kvlen - 5 - 1 < size) {
            memcpy(name, kv + 5, kvlen - 5 - 1); /* the record ends with '\n' */
            name[kvlen - 5 - 1] = '\0';
        }
        at += rec;
    }
}

/* Reads a long name (pax 'x' or GNU 'L') that applies to the next entry. */
static int
read_long_name(int fd, off_t at, uint64_t size, char type, char *name, size_t name_size)
{
    if (size > 65536)
        return 0; /* not a name we could be looking for */
    CLEANUP_FREE char *data = malloc(size + 1);
    if (!data || pread(fd, data, size, at) != (ssize_t)size)
        return -1;
    data[size] = '\0';
    if (type == 'L')
        snprintf(name, name_size, "%s", data);
    else
        pax_path(data, size, name, name_size);
    return 0;
}

int
tar_member_find(const char *path, const char *member, uint64_t *offset, uint64_t *size,
                struct ab_error *err)
{
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    char long_name[PATH_MAX] = "";
    for (off_t at = 0;;) {
        unsigned char h[TAR_BLOCK];
        ssize_t n = pread(fd, h, sizeof(h), at);
        if (n == 0 || (n == TAR_BLOCK && h[0] == '\0'))
            return 0; /* the end */
        if (n != TAR_BLOCK)
            return ab_build_error(err, n < 0 ? errno : EIO, "cannot read '%s': %s", path,
                                  n < 0 ? strerror(errno) : "truncated tar header");
        uint64_t len = tar_number(h + 124, 12);
        char type = (char)h[156], name[PATH_MAX];
        if (long_name[0]) {
            snprintf(name, sizeof(name), "%s", long_name);
        } else if (memcmp(h + 257, "ustar", 5) == 0 && h[345]) {
            snprintf(name, sizeof(name), "%.155s/%.100s", (const char *)h + 345, (const char *)h);
        } else {
            snprintf(name, sizeof(name), "%.100s", (const char *)h);
        }
        long_name[0] = '\0';
        if (type == 'x' || type == 'L') {
            if (read_long_name(fd, at + TAR_BLOCK, len, type, long_name, sizeof(long_name)) < 0)
                return ab_build_error(err, EIO, "cannot read '%s': damaged tar header", path);
        } else if ((type == '0' || type == '\0') &&
                   strcmp(name + (strncmp(name, "./", 2) == 0 ? 2 : 0), member) == 0) {
            *offset = (uint64_t)at + TAR_BLOCK;
            *size = len;
            return 1;
        }
        at += TAR_BLOCK + (off_t)((len + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK);
    }
}
