/* guest_tree.c: a guest's files through libext2fs (guest_tree.h). */
#include "guest_tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "appliance/cleanup.h"

#define LINKS_MAX 40
#define DEPTH_MAX 256
#define PATH_BUF 4096
#define LINK_MAX_LEN 4095
#define LIST_MAX 100000 /* names in one folder */

static int
ext2_failed(struct ab_error *err, errcode_t code, const char *what, const char *path)
{
    return ab_build_error(err, 0, "%s '%s': %s", what, path, error_message(code));
}

/* "/a//b/" as "/a/b"; the root as "/". */
static char *
normalize(const char *path)
{
    char *out = malloc(strlen(path) + 2), *w = out;
    if (!out)
        return NULL;
    for (const char *r = path; *r; r++)
        if (*r != '/' || (w == out || w[-1] != '/'))
            *w++ = *r;
    if (w > out + 1 && w[-1] == '/')
        w--;
    if (w == out)
        *w++ = '/';
    *w = '\0';
    return out;
}

int
tree_mount(struct guest_tree *t, const char *path, struct tree_fs *fs, struct ab_error *err)
{
    struct tree_mount *grown = realloc(t->mounts, (t->n_mounts + 1) * sizeof(*grown));
    if (!grown)
        return ab_oom(err);
    t->mounts = grown;
    if (!(grown[t->n_mounts].path = normalize(path)))
        return ab_oom(err);
    grown[t->n_mounts++].fs = fs;
    return 0;
}

void
tree_release(struct guest_tree *t)
{
    for (size_t i = 0; i < t->n_mounts; i++)
        free(t->mounts[i].path);
    free(t->mounts);
    *t = (struct guest_tree){0};
}

/* The filesystem mounted at resolved ("" the root); the last one given
 * wins, as the last mount hides the others. */
static struct tree_fs *
mount_at(const struct guest_tree *t, const char *resolved)
{
    const char *want = *resolved ? resolved : "/";
    for (size_t i = t->n_mounts; i-- > 0;)
        if (strcmp(t->mounts[i].path, want) == 0)
            return t->mounts[i].fs;
    return NULL;
}

static int
blocked(struct guest_tree *t, const struct tree_fs *fs)
{
    t->blocked = fs;
    return TREE_UNREADABLE;
}

/* A link's target, NUL-terminated (no NUL inside). */
static int
link_target(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode *inode, char **out,
            struct ab_error *err)
{
    uint64_t size = EXT2_I_SIZE(inode);
    size_t got = 0;
    errcode_t r = 0;
    if (size == 0 || size > LINK_MAX_LEN)
        return ab_build_error(err, 0, "a symbolic link of %llu bytes", (unsigned long long)size);
    if (inode->i_flags & EXT4_INLINE_DATA_FL) {
        size_t n = 0;
        if ((r = ext2fs_inline_data_size(fs, ino, &n)) == 0 && n < size)
            r = EXT2_ET_INLINE_DATA_CANT_ITERATE;
        char *buf = r == 0 ? malloc(n + 1) : NULL;
        if (r == 0 && !buf)
            return ab_oom(err);
        if (r == 0 && (r = ext2fs_inline_data_get(fs, ino, inode, buf, &n)) == 0)
            *out = buf, got = (size_t)size;
        else
            free(buf);
    } else if (ext2fs_is_fast_symlink(inode)) {
        if (!(*out = malloc((size_t)size + 1)))
            return ab_oom(err);
        memcpy(*out, inode->i_block, (size_t)size);
        got = (size_t)size;
    } else {
        ext2_file_t f = NULL;
        unsigned int n = 0;
        if (!(*out = malloc((size_t)size + 1)))
            return ab_oom(err);
        if ((r = ext2fs_file_open(fs, ino, 0, &f)) == 0) {
            r = ext2fs_file_read(f, *out, (unsigned int)size, &n);
            ext2fs_file_close(f);
        }
        got = n;
    }
    if (r || got != size) {
        free(*out);
        *out = NULL;
        return ab_build_error(err, 0, "cannot read a symbolic link: %s",
                              r ? error_message(r) : "short read");
    }
    (*out)[size] = '\0';
    if (strlen(*out) != size) {
        free(*out);
        *out = NULL;
        return ab_build_error(err, 0, "a symbolic link with a NUL in its target");
    }
    return 0;
}

struct step {
    struct tree_fs *fs;
    ext2_ino_t ino;
    size_t len; /* of the resolved path up to it */
};

struct walk {
    struct step st[DEPTH_MAX];
    size_t n;
    char path[PATH_BUF]; /* resolved: "" the root, "/etc", ... */
    char *rest;          /* what is left to resolve */
    bool moved;          /* rest was replaced by a link's target */
    unsigned links;
};

/* A link met at a component: what is left becomes its target, then the
 * rest; an absolute target starts again at the root. */
static int
follow_link(struct walk *w, struct tree_node *n, const char *after, struct ab_error *err)
{
    CLEANUP_FREE char *target = NULL;
    if (++w->links > LINKS_MAX)
        return ab_build_error(err, ELOOP, "too many levels of symbolic links");
    if (link_target(n->fs->fs, n->ino, &n->inode, &target, err) < 0)
        return -1;
    char *rest = NULL;
    if (asprintf(&rest, "%s/%s", target, after) < 0)
        return ab_oom(err);
    if (strlen(rest) >= PATH_BUF) {
        free(rest);
        return ab_build_error(err, ENAMETOOLONG, "a path too long");
    }
    if (target[0] == '/')
        w->n = 1;
    w->path[w->st[w->n - 1].len] = '\0';
    free(w->rest);
    w->rest = rest;
    w->moved = true;
    return 0;
}

/* One component c (len bytes) after the current step. */
static int
step_into(struct guest_tree *t, struct walk *w, const char *c, size_t len, bool last, bool follow,
          const char *after, struct ab_error *err)
{
    struct step *cur = &w->st[w->n - 1];
    size_t at = strlen(w->path);
    if (at + 1 + len >= PATH_BUF || w->n == DEPTH_MAX)
        return ab_build_error(err, ENAMETOOLONG, "a path too long");
    w->path[at] = '/';
    memcpy(w->path + at + 1, c, len);
    w->path[at + 1 + len] = '\0';
    struct tree_fs *m = mount_at(t, w->path);
    if (m) {
        if (!m->fs && !last)
            return blocked(t, m);
        w->st[w->n++] = (struct step){m, EXT2_ROOT_INO, strlen(w->path)};
        return TREE_FOUND;
    }
    if (!cur->fs->fs)
        return blocked(t, cur->fs);
    struct tree_node n = {cur->fs, 0, {0}};
    CLEANUP_FREE char *name = strndup(c, len);
    if (!name)
        return ab_oom(err);
    errcode_t r = ext2fs_lookup(cur->fs->fs, cur->ino, name, (int)len, NULL, &n.ino);
    if (r == EXT2_ET_FILE_NOT_FOUND || r == EXT2_ET_NO_DIRECTORY)
        return TREE_MISSING;
    if (r || (r = ext2fs_read_inode(cur->fs->fs, n.ino, &n.inode)))
        return ext2_failed(err, r, "cannot look up", w->path);
    if (LINUX_S_ISLNK(n.inode.i_mode) && (!last || follow))
        return follow_link(w, &n, after, err) < 0 ? TREE_ERROR : TREE_FOUND;
    w->st[w->n++] = (struct step){cur->fs, n.ino, strlen(w->path)};
    return TREE_FOUND;
}

int
tree_lookup(struct guest_tree *t, const char *path, bool follow, struct tree_node *out,
            struct ab_error *err)
{
    struct walk *w = calloc(1, sizeof(*w));
    struct tree_fs *root = mount_at(t, "");
    int r = TREE_FOUND;
    if (!w)
        return ab_oom(err);
    if (!root) {
        free(w);
        return ab_build_error(err, 0, "the guest has no root filesystem");
    }
    w->st[0] = (struct step){root, EXT2_ROOT_INO, 0};
    w->n = 1;
    if (!(w->rest = strdup(path)))
        r = ab_oom(err);
    for (char *p = w->rest; r == TREE_FOUND;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, "/");
        const char *after = p + len;
        while (*after == '/')
            after++;
        bool last = !*after;
        if (len == 1 && p[0] == '.') {
            p += len;
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (w->n > 1)
                w->n--;
            w->path[w->st[w->n - 1].len] = '\0';
            p += len;
        } else {
            r = step_into(t, w, p, len, last, follow, after, err);
            p = w->moved ? w->rest : p + len;
            w->moved = false;
        }
    }
    if (r == TREE_FOUND) {
        const struct step *s = &w->st[w->n - 1];
        *out = (struct tree_node){s->fs, s->ino, {0}};
        if (!s->fs->fs)
            out->inode.i_mode = LINUX_S_IFDIR | 0755; /* a mount point not read here */
        else if (ext2fs_read_inode(s->fs->fs, s->ino, &out->inode))
            r = ab_build_error(err, 0, "cannot read the inode of '%s'", path);
    }
    free(w->rest);
    free(w);
    return r;
}

int
tree_read_file(struct guest_tree *t, const char *path, size_t max, char **data, size_t *len,
               struct ab_error *err)
{
    struct tree_node n;
    int r = tree_lookup(t, path, true, &n, err);
    if (r != TREE_FOUND)
        return r;
    if (!n.fs->fs)
        return blocked(t, n.fs);
    if (!LINUX_S_ISREG(n.inode.i_mode))
        return TREE_MISSING;
    uint64_t size = EXT2_I_SIZE(&n.inode);
    if (size > max)
        return ab_build_error(err, EFBIG, "'%s' is larger than %zu bytes", path, max);
    char *buf = malloc((size_t)size + 1);
    ext2_file_t f = NULL;
    unsigned int got = 0;
    size_t have = 0;
    if (!buf)
        return ab_oom(err);
    errcode_t e = ext2fs_file_open(n.fs->fs, n.ino, 0, &f);
    while (e == 0 && have < size &&
           (e = ext2fs_file_read(f, buf + have, (unsigned int)(size - have), &got)) == 0 && got > 0)
        have += got;
    if (f)
        ext2fs_file_close(f);
    if (e || have != size) {
        free(buf);
        return ext2_failed(err, e ? e : EXT2_ET_SHORT_READ, "cannot read", path);
    }
    buf[size] = '\0';
    *data = buf;
    *len = (size_t)size;
    return TREE_FOUND;
}

int
tree_read_head(struct guest_tree *t, const char *path, void *buf, size_t n, size_t *got,
               struct ab_error *err)
{
    struct tree_node node;
    int r = tree_lookup(t, path, true, &node, err);
    if (r != TREE_FOUND)
        return r;
    if (!node.fs->fs)
        return blocked(t, node.fs);
    if (!LINUX_S_ISREG(node.inode.i_mode))
        return TREE_MISSING;
    uint64_t size = EXT2_I_SIZE(&node.inode);
    unsigned int want = (unsigned int)(size < n ? size : n), have = 0;
    ext2_file_t f = NULL;
    errcode_t e = ext2fs_file_open(node.fs->fs, node.ino, 0, &f);
    if (e == 0)
        e = ext2fs_file_read(f, buf, want, &have);
    if (f)
        ext2fs_file_close(f);
    if (e)
        return ext2_failed(err, e, "cannot read", path);
    *got = have;
    return TREE_FOUND;
}

int
tree_readlink(struct guest_tree *t, const char *path, char **target, struct ab_error *err)
{
    struct tree_node n;
    int r = tree_lookup(t, path, false, &n, err);
    if (r != TREE_FOUND)
        return r;
    if (!n.fs->fs || !LINUX_S_ISLNK(n.inode.i_mode))
        return n.fs->fs ? TREE_MISSING : blocked(t, n.fs);
    return link_target(n.fs->fs, n.ino, &n.inode, target, err) < 0 ? TREE_ERROR : TREE_FOUND;
}

struct listing {
    char **names;
    size_t n;
    bool failed;
};

static int
list_entry(struct ext2_dir_entry *dirent, int offset, int blocksize, char *buf, void *priv)
{
    (void)offset, (void)blocksize, (void)buf;
    struct listing *l = priv;
    int len = ext2fs_dirent_name_len(dirent);
    if ((len == 1 && dirent->name[0] == '.') ||
        (len == 2 && dirent->name[0] == '.' && dirent->name[1] == '.'))
        return 0;
    char **grown = l->n < LIST_MAX ? realloc(l->names, (l->n + 2) * sizeof(char *)) : NULL;
    if (!grown || !(grown[l->n] = strndup(dirent->name, (size_t)len))) {
        if (grown)
            l->names = grown;
        l->failed = true;
        return DIRENT_ABORT;
    }
    l->names = grown;
    grown[++l->n] = NULL;
    return 0;
}

static int
by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
tree_list(struct guest_tree *t, const char *dir, char ***names, struct ab_error *err)
{
    struct tree_node n;
    int r = tree_lookup(t, dir, true, &n, err);
    if (r != TREE_FOUND)
        return r;
    if (!n.fs->fs)
        return blocked(t, n.fs);
    if (!LINUX_S_ISDIR(n.inode.i_mode))
        return TREE_MISSING;
    struct listing l = {0};
    errcode_t e = ext2fs_dir_iterate(n.fs->fs, n.ino, 0, NULL, list_entry, &l);
    if (e || l.failed) {
        for (size_t i = 0; i < l.n; i++)
            free(l.names[i]);
        free(l.names);
        return e ? ext2_failed(err, e, "cannot list", dir)
                 : ab_build_error(err, 0, "cannot list '%s': out of memory or too many names", dir);
    }
    if (!l.names && !(l.names = calloc(1, sizeof(char *))))
        return ab_oom(err);
    qsort(l.names, l.n, sizeof(char *), by_name);
    *names = l.names;
    return TREE_FOUND;
}

/* ---- edits ---- */

static int
writable(struct tree_node *n, const char *path, struct ab_error *err)
{
    if (!n->fs->fs)
        return ab_build_error(err, EROFS, "'%s' is on %s, which is not edited here", path,
                              n->fs->type);
    if (!(n->fs->fs->flags & EXT2_FLAG_RW))
        return ab_build_error(err, EROFS, "'%s' is on a filesystem open read-only", path);
    return 0;
}

int
tree_truncate(struct guest_tree *t, const char *path, bool *was_set, struct ab_error *err)
{
    struct tree_node n;
    int r = tree_lookup(t, path, false, &n, err);
    if (r != TREE_FOUND)
        return r;
    if (writable(&n, path, err) < 0)
        return TREE_ERROR;
    if (!LINUX_S_ISREG(n.inode.i_mode))
        return ab_build_error(err, 0, "'%s' is not a regular file", path);
    *was_set = EXT2_I_SIZE(&n.inode) > 0;
    if (!*was_set)
        return TREE_FOUND;
    ext2_file_t f = NULL;
    errcode_t e = ext2fs_file_open(n.fs->fs, n.ino, EXT2_FILE_WRITE, &f);
    if (e == 0)
        e = ext2fs_file_set_size2(f, 0);
    if (f) {
        errcode_t c = ext2fs_file_close(f);
        e = e ? e : c;
    }
    return e ? ext2_failed(err, e, "cannot truncate", path) : TREE_FOUND;
}

/* The folder holding path, and path's last component. */
static int
parent_of(struct guest_tree *t, const char *path, struct tree_node *dir, char name[256],
          struct ab_error *err)
{
    CLEANUP_FREE char *norm = normalize(path);
    if (!norm)
        return ab_oom(err);
    char *slash = strrchr(norm, '/');
    if (!slash || !slash[1] || strlen(slash + 1) > 255 || strcmp(slash + 1, "..") == 0 ||
        strcmp(slash + 1, ".") == 0)
        return ab_build_error(err, EINVAL, "'%s' names no file", path);
    strcpy(name, slash + 1);
    *slash = '\0';
    int r = tree_lookup(t, *norm ? norm : "/", true, dir, err);
    if (r == TREE_FOUND && writable(dir, path, err) < 0)
        return TREE_ERROR;
    if (r == TREE_FOUND && !LINUX_S_ISDIR(dir->inode.i_mode))
        return TREE_MISSING;
    return r;
}

/* One link to ino gone: the inode and its blocks freed with the last. */
static errcode_t
drop_link(ext2_filsys fs, ext2_ino_t ino)
{
    struct ext2_inode inode;
    errcode_t e = ext2fs_read_inode(fs, ino, &inode);
    if (e)
        return e;
    if (inode.i_links_count > 1) {
        inode.i_links_count--;
        return ext2fs_write_inode(fs, ino, &inode);
    }
    inode.i_links_count = 0;
    /* e2fsck wants a deleted inode's dtime set: the filesystem's own
     * time (the caller's, never the clock), else the inode's change. */
    inode.i_dtime = fs->now ? (__u32)fs->now : inode.i_ctime ? inode.i_ctime : 1;
    if ((e = ext2fs_write_inode(fs, ino, &inode)))
        return e;
    if (ext2fs_inode_has_valid_blocks2(fs, &inode) || (inode.i_flags & EXT4_INLINE_DATA_FL))
        if ((e = ext2fs_punch(fs, ino, &inode, NULL, 0, ~0ULL)))
            return e;
    ext2fs_inode_alloc_stats2(fs, ino, -1, 0);
    return 0;
}

int
tree_unlink(struct guest_tree *t, const char *path, struct ab_error *err)
{
    struct tree_node dir, n;
    char name[256];
    int r = parent_of(t, path, &dir, name, err);
    if (r != TREE_FOUND)
        return r;
    if ((r = tree_lookup(t, path, false, &n, err)) != TREE_FOUND)
        return r;
    if (n.fs != dir.fs || LINUX_S_ISDIR(n.inode.i_mode))
        return ab_build_error(err, EISDIR, "'%s' is a folder or a mount point", path);
    errcode_t e = ext2fs_unlink(dir.fs->fs, dir.ino, name, n.ino, 0);
    if (e == 0)
        e = drop_link(dir.fs->fs, n.ino);
    return e ? ext2_failed(err, e, "cannot remove", path) : TREE_FOUND;
}

int
tree_symlink(struct guest_tree *t, const char *path, const char *target, struct ab_error *err)
{
    struct tree_node dir;
    char name[256];
    int r = parent_of(t, path, &dir, name, err);
    if (r != TREE_FOUND)
        return r;
    errcode_t e = ext2fs_symlink(dir.fs->fs, dir.ino, 0, name, target);
    if (e == EXT2_ET_DIR_NO_SPACE && (e = ext2fs_expand_dir(dir.fs->fs, dir.ino)) == 0)
        e = ext2fs_symlink(dir.fs->fs, dir.ino, 0, name, target);
    return e ? ext2_failed(err, e, "cannot make the symbolic link", path) : TREE_FOUND;
}

int
tree_create_empty(struct guest_tree *t, const char *path, unsigned mode, struct ab_error *err)
{
    struct tree_node dir;
    char name[256];
    int r = parent_of(t, path, &dir, name, err);
    if (r != TREE_FOUND)
        return r;
    ext2_filsys fs = dir.fs->fs;
    ext2_ino_t ino;
    errcode_t e = ext2fs_new_inode(fs, dir.ino, LINUX_S_IFREG | (mode & 07777), NULL, &ino);
    if (e == 0) {
        e = ext2fs_link(fs, dir.ino, name, ino, EXT2_FT_REG_FILE);
        if (e == EXT2_ET_DIR_NO_SPACE && (e = ext2fs_expand_dir(fs, dir.ino)) == 0)
            e = ext2fs_link(fs, dir.ino, name, ino, EXT2_FT_REG_FILE);
    }
    if (e == 0) {
        struct ext2_inode inode = {0};
        ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
        inode.i_mode = (__u16)(LINUX_S_IFREG | (mode & 07777));
        inode.i_links_count = 1;
        inode.i_atime = inode.i_ctime = inode.i_mtime = (__u32)fs->now;
        e = ext2fs_write_new_inode(fs, ino, &inode);
    }
    return e ? ext2_failed(err, e, "cannot create", path) : TREE_FOUND;
}

int
tree_fs_of(struct guest_tree *t, const char *path, struct tree_fs **fs, struct ab_error *err)
{
    CLEANUP_FREE char *norm = normalize(path);
    if (!norm)
        return ab_oom(err);
    char *slash = strrchr(norm, '/');
    if (slash)
        *slash = '\0';
    struct tree_node n;
    int r = tree_lookup(t, *norm ? norm : "/", true, &n, err);
    if (r == TREE_FOUND)
        *fs = n.fs;
    else if (r == TREE_UNREADABLE)
        *fs = (struct tree_fs *)t->blocked;
    return r;
}
