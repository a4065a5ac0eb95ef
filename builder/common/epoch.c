/* epoch.c: the build's one time, SOURCE_DATE_EPOCH (epoch.h). */
#include "appliance/epoch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
epoch_parse(const char *text, int64_t *out)
{
    int64_t v = 0;
    if (!text || !*text || strlen(text) > 19)
        return -1;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (*c - '0');
        if (v > EPOCH_MAX)
            return -1;
    }
    *out = v;
    return 0;
}

int
epoch_from_env(int64_t *out, struct ab_error *err)
{
    const char *s = getenv(EPOCH_ENV);
    if (!s || !*s)
        return 0;
    if (epoch_parse(s, out) < 0)
        return ab_build_error(err, EINVAL,
                              "%s '%.40s' is not a number of seconds since 1970 (0 to %" PRId64 ")",
                              EPOCH_ENV, s, EPOCH_MAX);
    return 1;
}

int64_t
source_date_epoch(void)
{
    const char *s = getenv(EPOCH_ENV);
    int64_t v = 0;
    if (!s || !*s || epoch_parse(s, &v) < 0)
        return 0;
    return v;
}

/* Sets the times of name in dirfd (a link's own, never its target's). */
static int
clamp_one(int dirfd, const char *name, const struct stat *st, int64_t epoch)
{
    struct timespec t = st->st_mtim;
    if ((int64_t)t.tv_sec >= epoch) {
        t.tv_sec = (time_t)epoch;
        t.tv_nsec = 0;
    }
    /* Nothing to change: no write, and no copy-up under the overlay. */
    if (st->st_mtim.tv_sec == t.tv_sec && st->st_mtim.tv_nsec == t.tv_nsec &&
        st->st_atim.tv_sec == t.tv_sec && st->st_atim.tv_nsec == t.tv_nsec)
        return 0;
    struct timespec times[2] = {t, t};
    return utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW);
}

/* Each level holds a descriptor: a tree that nests deeper is refused. */
#define EPOCH_MAX_DEPTH 512

static int clamp_dir(int fd, dev_t dev, int64_t epoch, int depth, const char *top,
                     struct ab_error *err);

/* One entry of a folder: its times, then (for a folder) what it holds. */
static int
clamp_entry(int dirfd, const char *name, dev_t dev, int64_t epoch, int depth, const char *top,
            struct ab_error *err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return ab_build_error(err, errno, "cannot read '%s' in '%s': %s", name, top,
                              strerror(errno));
    if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return ab_build_error(err, errno, "cannot open '%s' in '%s': %s", name, top,
                                  strerror(errno));
        if (clamp_dir(fd, dev, epoch, depth + 1, top, err) < 0)
            return -1;
    }
    /* After its entries: their changes do not move a folder's times. */
    if (clamp_one(dirfd, name, &st, epoch) < 0)
        return ab_build_error(err, errno, "cannot set the times of '%s' in '%s': %s", name, top,
                              strerror(errno));
    return 0;
}

/* Takes fd (a folder) and closes it. */
static int
clamp_dir(int fd, dev_t dev, int64_t epoch, int depth, const char *top, struct ab_error *err)
{
    if (depth > EPOCH_MAX_DEPTH) {
        close(fd);
        return ab_build_error(err, ELOOP, "'%s' nests folders too deep", top);
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return ab_build_error(err, errno, "cannot read '%s': %s", top, strerror(errno));
    }
    struct dirent *e;
    int ret = 0;
    while (ret == 0 && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        ret = clamp_entry(dirfd(d), e->d_name, dev, epoch, depth, top, err);
    }
    closedir(d);
    return ret;
}

int
epoch_clamp_tree(const char *dir, int64_t epoch, struct ab_error *err)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ab_build_error(err, ENOTDIR, "'%s' is not a folder", dir);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot open '%s': %s", dir, strerror(errno));
    if (clamp_dir(fd, st.st_dev, epoch, 0, dir, err) < 0)
        return -1;
    if (clamp_one(AT_FDCWD, dir, &st, epoch) < 0)
        return ab_build_error(err, errno, "cannot set the times of '%s': %s", dir, strerror(errno));
    return 0;
}
