/* reader_tree.c: a volume's ext2/3/4 opened through libext2fs, a Linux
 * root found, and its tree put together as its fstab says (reader.h). */
#include "reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appliance/cleanup.h"
#include "ext2io.h"
#include "guest_os.h"
#include "guest_text.h"

#define FSTAB_MAX (1u << 20)

static bool
is_ext(const struct dvol *v)
{
    return v->has_fs && strncmp(v->probe.type, "ext", 3) == 0;
}

int
reader_open_fs(struct reader *r, struct dvol *v, struct ab_error *err)
{
    if (v->opened)
        return 0;
    v->opened = true;
    if (!is_ext(v)) {
        const char *what = v->has_fs ? v->probe.type : "no filesystem";
        return asprintf(&v->fs_why, "%s, whose files are not read on the host", what) < 0
                   ? ab_oom(err)
                   : 0;
    }
    char name[EXT2IO_NAME_BUF];
    int flags = EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP;
    v->v.writable = r->write_first && v->v.ext[0].image == r->images[0];
    if (v->v.writable)
        flags |= EXT2_FLAG_RW;
    ext2io_name(&v->v, name);
    initialize_ext2_error_table();
    errcode_t e = ext2fs_open2(name, NULL, flags, 0, 0, ext2io_manager(), &v->tfs.fs);
    if (e == 0 && v->v.writable && (e = ext2fs_read_bitmaps(v->tfs.fs)) != 0) {
        ext2fs_close_free(&v->tfs.fs);
        v->tfs.fs = NULL;
    }
    if (e) {
        v->tfs.fs = NULL;
        const char *io = v->v.io_err.n_diags ? v->v.io_err.diags[0].msg : NULL;
        if (asprintf(&v->fs_why, "libext2fs cannot open it: %s%s%s", error_message(e),
                     io ? ": " : "", io ? io : "") < 0)
            return ab_oom(err);
        return 0;
    }
    if (r->now)
        v->tfs.fs->now = (time_t)r->now;
    return 0;
}

bool
reader_is_root(struct reader *r, struct dvol *v)
{
    struct ab_error err = AB_ERROR_INIT;
    struct tree_node n;
    if (!is_ext(v) || reader_open_fs(r, v, &err) < 0 || !v->tfs.fs) {
        ab_error_release(&err);
        return false;
    }
    struct guest_tree t = {0};
    bool root = tree_mount(&t, "/", &v->tfs, &err) == 0 &&
                tree_lookup(&t, "/etc/fstab", false, &n, &err) == TREE_FOUND &&
                LINUX_S_ISREG(n.inode.i_mode);
    tree_release(&t);
    ab_error_release(&err);
    return root;
}

/* An fstab spec's volume, as libguestfs resolves one. */
static struct dvol *
resolve(struct reader *r, const char *spec)
{
    static const struct {
        const char *prefix, *by;
    } forms[] = {
        {"UUID=", "uuid"},
        {"LABEL=", "label"},
        {"PARTUUID=", "partuuid"},
        {"PARTLABEL=", "partlabel"},
        {"/dev/disk/by-uuid/", "uuid"},
        {"/dev/disk/by-label/", "label"},
        {"/dev/disk/by-partuuid/", "partuuid"},
        {"/dev/disk/by-partlabel/", "partlabel"},
    };
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        size_t n = strlen(forms[f].prefix);
        if (strncmp(spec, forms[f].prefix, n) != 0)
            continue;
        const char *want = spec + n, *by = forms[f].by;
        for (size_t i = 0; i < r->n_vols; i++) {
            const struct dvol *v = r->vols[i];
            const char *have = strcmp(by, "uuid") == 0       ? (v->has_fs ? v->probe.uuid : "")
                               : strcmp(by, "label") == 0    ? (v->has_fs ? v->probe.label : "")
                               : !v->partition               ? ""
                               : strcmp(by, "partuuid") == 0 ? v->partuuid
                                                             : v->partlabel;
            if (*have && strcasecmp(have, want) == 0)
                return r->vols[i];
        }
        return NULL;
    }
    char dev[512];
    if (strncmp(spec, "/dev/mapper/", 12) == 0) {
        /* VG-LV, with each '-' of a name doubled */
        size_t o = snprintf(dev, sizeof(dev), "/dev/"), n = strlen(spec);
        for (size_t i = 12; i < n && o + 2 < sizeof(dev); i++) {
            if (spec[i] == '-' && spec[i + 1] == '-')
                dev[o++] = '-', i++;
            else
                dev[o++] = spec[i] == '-' ? '/' : spec[i];
        }
        dev[o] = '\0';
        return reader_vol(r, dev);
    }
    static const char *const disks[] = {"/dev/vd", "/dev/hd", "/dev/xvd", "/dev/sd"};
    for (size_t i = 0; i < sizeof(disks) / sizeof(disks[0]); i++)
        if (strncmp(spec, disks[i], strlen(disks[i])) == 0) {
            snprintf(dev, sizeof(dev), "/dev/sd%s", spec + strlen(disks[i]));
            return reader_vol(r, dev);
        }
    return reader_vol(r, spec);
}

static int
by_length(const void *a, const void *b)
{
    const char *const *x = a, *const *y = b;
    size_t lx = strlen(x[0]), ly = strlen(y[0]);
    return lx < ly ? -1 : lx > ly ? 1 : strcmp(x[0], y[0]);
}

static int
add_mount(char ***mounts, size_t *n, const char *path, const char *device)
{
    char **grown = realloc(*mounts, (2 * *n + 3) * sizeof(char *));
    if (!grown)
        return -1;
    *mounts = grown;
    grown[2 * *n] = strdup(path);
    grown[2 * *n + 1] = strdup(device);
    grown[2 * *n + 2] = NULL;
    if (!grown[2 * *n] || !grown[2 * *n + 1]) {
        free(grown[2 * *n]);
        free(grown[2 * *n + 1]);
        grown[2 * *n] = NULL;
        return -1;
    }
    (*n)++;
    return 0;
}

int
reader_tree(struct reader *r, struct dvol *root, struct guest_tree *t, char ***mounts,
            struct ab_error *err)
{
    size_t len = 0, n_entries = 0, n_mounts = 0;
    CLEANUP_FREE char *text = NULL;
    *mounts = calloc(1, sizeof(char *));
    if (!*mounts || tree_mount(t, "/", &root->tfs, err) < 0)
        return *mounts ? -1 : ab_oom(err);
    int rr = tree_read_file(t, "/etc/fstab", FSTAB_MAX, &text, &len, err);
    if (rr == TREE_ERROR)
        return -1;
    struct fstab_entry *e = rr == TREE_FOUND ? text_fstab(text, len, &n_entries) : NULL;
    if (rr == TREE_FOUND && !e)
        return ab_oom(err);
    for (size_t i = 0; i < n_entries; i++) {
        struct dvol *v = resolve(r, e[i].spec);
        if (!v || !guest_os_mount_wanted(e[i].path, e[i].type))
            continue;
        if (reader_open_fs(r, v, err) < 0 ||
            add_mount(mounts, &n_mounts, e[i].path, v->v.device) < 0 ||
            (v != root && tree_mount(t, e[i].path, &v->tfs, err) < 0)) {
            text_fstab_free(e, n_entries);
            return ab_error_is_set(err) ? -1 : ab_oom(err);
        }
        if (!v->tfs.device) {
            v->tfs.device = v->v.device;
            v->tfs.type = v->has_fs ? v->probe.type : "no filesystem";
        }
    }
    text_fstab_free(e, n_entries);
    if (n_mounts)
        qsort(*mounts, n_mounts, 2 * sizeof(char *), by_length);
    return 0;
}
