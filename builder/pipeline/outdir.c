/* outdir.c: the output folder, written whole or not at all. */
#include "appliance/outdir.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/fsutil.h"

static int
take_lock(struct outdir *o, struct ab_error *err)
{
    o->lock_fd = open(o->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (o->lock_fd < 0)
        return ab_build_error(err, errno, "cannot create lock file '%s': %s", o->lock,
                              strerror(errno));
    if (flock(o->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        char holder[32] = "";
        ssize_t n = pread(o->lock_fd, holder, sizeof(holder) - 1, 0);
        holder[n > 0 ? n : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        close(o->lock_fd);
        o->lock_fd = -1;
        if (e == EWOULDBLOCK)
            return ab_build_error(err, e, "another build is writing '%s' (process %s): wait "
                                          "for it or choose another output with -o",
                                  o->final, *holder ? holder : "?");
        return ab_build_error(err, e, "cannot lock '%s': %s", o->lock, strerror(e));
    }
    /* A lock on a file that its holder unlinked meanwhile locks nothing. */
    struct stat held, now;
    if (fstat(o->lock_fd, &held) < 0 || stat(o->lock, &now) < 0 || held.st_ino != now.st_ino) {
        close(o->lock_fd);
        o->lock_fd = -1;
        return take_lock(o, err);
    }
    char pid[32];
    int l = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(o->lock_fd, 0) < 0 || pwrite(o->lock_fd, pid, (size_t)l, 0) != l)
        return ab_build_error(err, errno, "cannot write lock file '%s': %s", o->lock,
                              strerror(errno));
    return 0;
}

int
outdir_begin(struct outdir *o, const char *final, struct ab_error *err)
{
    CLEANUP_FREE char *copy = strdup(final);
    if (!copy)
        return ab_oom(err);
    size_t l = strlen(copy);
    while (l > 1 && copy[l - 1] == '/')
        copy[--l] = '\0';
    CLEANUP_FREE char *dir_copy = strdup(copy);
    CLEANUP_FREE char *base_copy = strdup(copy);
    if (!dir_copy || !base_copy)
        return ab_oom(err);
    const char *parent = dirname(dir_copy), *base = basename(base_copy);

    if (mkdir_p(parent, 0755) < 0)
        return ab_build_error(err, errno, "cannot create output folder '%s': %s", parent,
                              strerror(errno));
    if (asprintf(&o->final, "%s", copy) < 0 || asprintf(&o->lock, "%s/.%s.lock", parent, base) < 0 ||
        asprintf(&o->tmp, "%s/.%s.tmp-XXXXXX", parent, base) < 0)
        return ab_oom(err);
    if (take_lock(o, err) < 0)
        return -1;
    if (!mkdtemp(o->tmp)) {
        int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        return ab_build_error(err, e, "cannot create a folder beside '%s': %s", o->final,
                              strerror(e));
    }
    chmod(o->tmp, 0755);
    return 0;
}

int
outdir_commit(struct outdir *o, struct ab_error *err)
{
    struct stat st;
    if (lstat(o->final, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return ab_build_error(err, ENOTDIR, "output '%s' exists and is not a folder",
                                  o->final);
        /* Swap atomically: the old output is whole until the new one is. */
        if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->final, RENAME_EXCHANGE) < 0)
            return ab_build_error(err, errno, "cannot move the new output into '%s': %s",
                                  o->final, strerror(errno));
        rm_rf(o->tmp, o->tmp); /* now the previous output */
    } else if (rename(o->tmp, o->final) < 0) {
        return ab_build_error(err, errno, "cannot move the new output into '%s': %s", o->final,
                              strerror(errno));
    }
    free(o->tmp);
    o->tmp = NULL;
    return 0;
}

void
outdir_release(struct outdir *o)
{
    if (!o)
        return;
    if (o->tmp)
        rm_rf(o->tmp, o->tmp);
    if (o->lock_fd >= 0) {
        unlink(o->lock);
        close(o->lock_fd);
    }
    free(o->tmp);
    free(o->lock);
    free(o->final);
    *o = (struct outdir)OUTDIR_INIT;
}
