/* diskread.c: a guest inspected on the host (diskread.h). */
#include "appliance/diskread.h"

#include <stdlib.h>
#include <string.h>

#include "appliance/clock.h"
#include "guest_os.h"
#include "reader.h"

/* A filesystem of the OS whose journal holds what its files do not show
 * yet (the guest was not shut down cleanly): the host reads them as of
 * the last checkpoint, so the appliance, which replays it, is asked. */
static int
note_dirty(const struct guest_tree *t, struct inspect_os *os, struct ab_error *err)
{
    for (size_t i = 0; i < t->n_mounts; i++) {
        const struct tree_fs *fs = t->mounts[i].fs;
        if (!fs->fs || !(fs->fs->super->s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER))
            continue;
        os->incomplete = true;
        if (inspect_note(&os->notes,
                         "%s (%s) has a journal to replay, which the host does not: "
                         "its files are as of its last checkpoint",
                         fs->device, t->mounts[i].path) < 0)
            return ab_oom(err);
    }
    return 0;
}

/* Every root among the filesystems, in the order they were listed. */
static int
read_oses(struct reader *r, struct ab_error *err)
{
    struct inspect_guest *g = r->g;
    for (size_t i = 0; i < r->n_vols; i++) {
        struct dvol *v = r->vols[i];
        if (!reader_is_root(r, v))
            continue;
        struct inspect_os *grown = realloc(g->oses, (g->n_oses + 2) * sizeof(*grown));
        if (!grown)
            return ab_oom(err);
        g->oses = grown;
        struct inspect_os *os = &grown[g->n_oses++];
        *os = (struct inspect_os){0};
        struct guest_tree t = {0};
        int rc = (os->root = strdup(v->v.device)) ? 0 : ab_oom(err);
        if (rc == 0)
            rc = reader_tree(r, v, &t, &os->mounts, err);
        if (rc == 0)
            rc = guest_os_read(&t, os, r->spawn, err);
        if (rc == 0)
            rc = note_dirty(&t, os, err);
        tree_release(&t);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int
diskread_guest(const struct inspect_drive *drives, size_t n, const struct spawn_ctx *spawn,
               struct inspect_guest **out, char **why, struct ab_error *err)
{
    double start = mono_now();
    struct reader r = {.drives = drives, .n_drives = n, .spawn = spawn};
    *why = NULL;
    int rc = reader_open(&r, err);
    if (rc > 0 && read_oses(&r, err) < 0)
        rc = -1;
    struct inspect_guest *g = r.g;
    if (rc == 0) {
        *why = r.why;
        r.why = NULL;
    }
    r.g = NULL;
    if (reader_close(&r, err) < 0)
        rc = -1;
    if (rc <= 0) {
        inspect_guest_free(g);
        return rc;
    }
    g->host_seconds = mono_now() - start;
    *out = g;
    return 1;
}

bool
diskread_may_hide_os(const struct inspect_guest *g)
{
    if (g->n_oses)
        return false;
    for (size_t i = 0; i < g->n_fss; i++) {
        const char *t = g->fss[i].type;
        if (strncmp(t, "ext", 3) != 0 && strcmp(t, "swap") != 0 && strcmp(t, "vfat") != 0)
            return true;
    }
    return false;
}
