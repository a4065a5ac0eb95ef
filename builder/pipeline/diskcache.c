/* diskcache.c: disk images and per-disk exports reused between builds. */
#include "diskcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/enums.h"
#include "appliance/export.h"
#include "appliance/fsutil.h"
#include "appliance/hash.h"

/* ---- keys ---------------------------------------------------------------- */

/* The disk a path of the tree lands on: its nearest mount's. */
static enum plan_disk_id
disk_of(const struct plan *plan, const char *path)
{
    size_t best = 0;
    enum plan_disk_id disk = PLAN_DISK_OS;
    for (size_t i = 0; i < plan->n_mounts; i++) {
        const char *m = plan->mounts[i].path;
        size_t n = strcmp(m, "/") == 0 ? 0 : strlen(m);
        if (n >= best && strncmp(path, m, n) == 0 && (path[n] == '/' || path[n] == '\0')) {
            best = n;
            disk = plan->mounts[i].disk;
        }
    }
    return disk;
}

static int digest_tree(struct digest_ctx *d, int dirfd, const char *name, bool top,
                       struct ab_error *err);

/* Names, types, modes, owners, sizes, link targets and contents of the
 * file or folder name in dirfd, folders in name order. */
static int
digest_tree(struct digest_ctx *d, int dirfd, const char *name, bool top, struct ab_error *err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", name, strerror(errno));
    digest_str(d, top ? "" : name);
    digest_u64(d, st.st_mode);
    digest_u64(d, st.st_uid);
    digest_u64(d, st.st_gid);
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
        if (n < 0)
            return ab_build_error(err, errno, "cannot read '%s': %s", name, strerror(errno));
        target[n] = '\0';
        digest_str(d, target);
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        CLEANUP_CLOSE int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        char buf[65536];
        ssize_t n;
        if (fd < 0)
            return ab_build_error(err, errno, "cannot read '%s': %s", name, strerror(errno));
        digest_u64(d, (uint64_t)st.st_size);
        while ((n = read(fd, buf, sizeof(buf))) > 0)
            digest_update(d, buf, (size_t)n);
        if (n < 0)
            return ab_build_error(err, errno, "cannot read '%s': %s", name, strerror(errno));
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    CLEANUP_CLOSE int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", name, strerror(errno));
    struct dirent **list = NULL;
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
    int n = scandir(self, &list, NULL, alphasort);
    if (n < 0)
        return ab_build_error(err, errno, "cannot list '%s': %s", name, strerror(errno));
    int r = 0;
    for (int i = 0; i < n; i++) {
        const char *e = list[i]->d_name;
        if (r == 0 && strcmp(e, ".") != 0 && strcmp(e, "..") != 0)
            r = digest_tree(d, fd, e, false, err);
        free(list[i]);
    }
    free(list);
    digest_str(d, "end of folder");
    return r;
}

/* A new object with the members keep[0..n) of from. */
static struct json_object *
pick(struct json_object *from, const char *const *keep, size_t n)
{
    struct json_object *o = json_object_new_object();
    for (size_t k = 0; k < n; k++)
        json_object_object_add(o, keep[k], json_object_get(json_object_object_get(from, keep[k])));
    return o;
}

/* The same for each element of the array from. */
static struct json_object *
pick_each(struct json_object *from, const char *const *keep, size_t n)
{
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(from); i++)
        json_object_array_add(a, pick(json_object_array_get_idx(from, i), keep, n));
    return a;
}

#define PICK(from, ...)                                                                            \
    pick((from), (const char *const[]){__VA_ARGS__},                                               \
         sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define PICK_EACH(from, ...)                                                                       \
    pick_each((from), (const char *const[]){__VA_ARGS__},                                          \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* The application disk as the OS disk knows it: names, not sizes. */
static struct json_object *
app_disk_seen_from_os(struct json_object *disk)
{
    struct json_object *o = PICK(disk, "id"), *vg, *lvs, *parts;
    if (json_object_object_get_ex(disk, "partitions", &parts))
        json_object_object_add(o, "partitions",
                               PICK_EACH(parts, "number", "role", "type_guid", "fs", "mount"));
    if (json_object_object_get_ex(disk, "vg", &vg) && json_object_is_type(vg, json_type_object)) {
        struct json_object *v = PICK(vg, "name", "pv_partition", "grow", "grow_lv");
        if (json_object_object_get_ex(vg, "lvs", &lvs))
            json_object_object_add(v, "lvs",
                                   PICK_EACH(lvs, "name", "fs", "mount", "rest", "grows"));
        json_object_object_add(o, "vg", v);
    }
    return o;
}

/* The plan's JSON as disk sees it. */
static char *
plan_text_for(const struct plan *plan, enum plan_disk_id disk)
{
    struct json_object *j = plan_json_object(plan), *disks, *files;
    if (!j)
        return NULL;
    if (disk == PLAN_DISK_OS && json_object_object_get_ex(j, "disks", &disks)) {
        for (size_t i = 0; i < json_object_array_length(disks); i++) {
            struct json_object *d = json_object_array_get_idx(disks, i);
            const char *id = json_object_get_string(json_object_object_get(d, "id"));
            if (id && strcmp(id, plan->disks[PLAN_DISK_APP].id) == 0)
                json_object_array_put_idx(disks, i, app_disk_seen_from_os(d));
        }
    }
    /* The files entries are digested with their contents (disk_key), and
     * where the recipe lies changes no byte. */
    if (json_object_object_get_ex(j, "files", &files))
        json_object_object_del(j, "files");
    json_object_object_del(j, "recipe");
    /* Where a value came from (--set, ${VAR}) changes no byte either:
     * the values themselves are in the rest. */
    json_object_object_del(j, "parameters");
    /* ova.target changes the descriptor, never a disk (the export salt
     * keeps it). */
    json_object_object_del(j, "ova");
    char *text = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
    json_object_put(j);
    return text;
}

/* The host's tools that write a disk's or an export's bytes, by their
 * own bytes: another mke2fs or qemu-img is another key. */
static const char *const tools[] = {
    "sfdisk",   "mke2fs", "mkswap",   "mkfs.vfat", "mformat", "mcopy", "mmd",
    "mkfs.xfs", "xfs_db", "qemu-img", "tar",       "pigz",    "gzip",
};

static int
digest_tools(struct digest_ctx *d, struct ab_error *err)
{
    const char *path = getenv("PATH");
    for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
        char hex[HASH_HEX_MAX] = "absent";
        CLEANUP_FREE char *copy = strdup(path ? path : "/usr/bin:/bin");
        char *save = NULL;
        if (!copy)
            return ab_oom(err);
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
            CLEANUP_FREE char *full = NULL;
            if (asprintf(&full, "%s/%s", dir, tools[i]) < 0)
                return ab_oom(err);
            if (access(full, X_OK) == 0) {
                if (digest_file(DIGEST_SHA256, full, hex, err) < 0)
                    return -1;
                break;
            }
        }
        digest_str(d, tools[i]);
        digest_str(d, hex);
    }
    return 0;
}

static int
disk_key(const struct plan *plan, enum plan_disk_id disk, const char *exe, const char *tree_key,
         int64_t epoch, char key[DISKCACHE_KEY_HEX], struct ab_error *err)
{
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    bool run_lines = plan->run && plan->run[0];
    CLEANUP_FREE char *text = plan_text_for(plan, disk);
    if (!d || !text)
        return ab_oom(err);
    digest_str(d, "appliance-disk-1");
    digest_str(d, plan->disks[disk].id);
    digest_str(d, exe);
    digest_str(d, tree_key);
    /* The build's epoch, known from the os stage, before the cache opens. */
    digest_u64(d, (uint64_t)epoch);
    digest_str(d, text);
    if (digest_tools(d, err) < 0)
        return -1;
    for (size_t i = 0; i < plan->n_files; i++) {
        const struct plan_file *f = &plan->files[i];
        if (!run_lines && disk_of(plan, f->dest) != disk)
            continue;
        /* What lands in the tree: dest, or dest/NAME for a file copied
         * into a folder (configure_customize.c); the source's own path is
         * no byte of the image. */
        const char *slash = strrchr(f->src_abs, '/');
        CLEANUP_FREE char *parent =
            slash ? strndup(f->src_abs, (size_t)(slash - f->src_abs)) : NULL;
        const char *leaf = slash ? slash + 1 : f->src_abs;
        CLEANUP_CLOSE int pfd =
            open(slash ? (*parent ? parent : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
            return ab_build_error(err, errno, "cannot read '%s': %s", f->src_abs, strerror(errno));
        digest_str(d, f->dest);
        digest_str(d, f->dest[0] && f->dest[strlen(f->dest) - 1] == '/' ? leaf : "");
        digest_str(d, f->owner ? f->owner : "");
        digest_u64(d, (uint64_t)(int64_t)f->mode);
        if (digest_tree(d, pfd, leaf, true, err) < 0)
            return -1;
    }
    digest_hex(d, key);
    return 0;
}

/* What every export depends on besides its disk: the hardware and the
 * OVA's settings, the appliance's name and version. */
static int
export_salt(const struct plan *plan, char out[DISKCACHE_KEY_HEX], struct ab_error *err)
{
    struct json_object *j = plan_json_object(plan);
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    if (!j || !d) {
        json_object_put(j);
        return ab_oom(err);
    }
    static const char *const keep[] = {"name",     "version", "description", "vendor",
                                       "hardware", "outputs", "ova"};
    digest_str(d, "appliance-export-1");
    for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
        struct json_object *v = json_object_object_get(j, keep[k]);
        digest_str(d, keep[k]);
        digest_str(d, v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "null");
    }
    json_object_put(j);
    digest_hex(d, out);
    return 0;
}

int
diskcache_open(struct diskcache *dc, const char *dir, uint64_t max_bytes, const struct plan *plan,
               const char *tree_key, int64_t epoch, struct ab_error *err)
{
    char exe[HASH_HEX_MAX];
    memset(dc, 0, sizeof(*dc));
    if (!dir)
        return 0;
    if (digest_file(DIGEST_SHA256, "/proc/self/exe", exe, err) < 0 ||
        disk_key(plan, PLAN_DISK_OS, exe, tree_key, epoch, dc->key[PLAN_DISK_OS], err) < 0 ||
        disk_key(plan, PLAN_DISK_APP, exe, tree_key, epoch, dc->key[PLAN_DISK_APP], err) < 0 ||
        export_salt(plan, dc->export_salt, err) < 0)
        return -1;
    if (mkdir_p(dir, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", dir, strerror(errno));
    if (!(dc->dir = strdup(dir)))
        return ab_oom(err);
    dc->max_bytes = max_bytes;
    return 0;
}

void
diskcache_release(struct diskcache *dc)
{
    for (size_t i = 0; i < dc->n_copies; i++) {
        free(dc->copies[i].entry);
        free(dc->copies[i].file);
        free(dc->copies[i].tag);
    }
    free(dc->copies);
    dc->copies = NULL;
    dc->n_copies = 0;
    free(dc->dir);
    dc->dir = NULL;
}

/* ---- entries --------------------------------------------------------------- */

static char *
entry_path(const struct diskcache *dc, enum plan_disk_id disk, const char *tag)
{
    char *p = NULL;
    if (!tag) {
        if (asprintf(&p, "%s/%s.img", dc->dir, dc->key[disk]) < 0)
            return NULL;
        return p;
    }
    /* An export's key: the disk's, the tag's and the plan's settings. */
    char key[HASH_HEX_MAX];
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    if (!d)
        return NULL;
    digest_str(d, dc->key[disk]);
    digest_str(d, tag);
    digest_str(d, dc->export_salt);
    digest_hex(d, key);
    if (asprintf(&p, "%s/%s.%s", dc->dir, key, tag) < 0)
        return NULL;
    return p;
}

char *
diskcache_entry(const struct diskcache *dc, enum plan_disk_id disk, const char *tag)
{
    return dc->dir ? entry_path(dc, disk, tag) : NULL;
}

/* Copies from to a new file to (mode 0644), holes kept. */
static int
copy_to(const char *from, const char *to, struct ab_error *err)
{
    CLEANUP_CLOSE int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ab_build_error(err, errno, "cannot open '%s': %s", from, strerror(errno));
    CLEANUP_CLOSE int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0 || copy_sparse(in, out) < 0) {
        int e = errno;
        if (out >= 0)
            unlink(to);
        return ab_build_error(err, e, "cannot copy '%s' to '%s': %s", from, to, strerror(e));
    }
    return 0;
}

/* A file of this build that is a copy of entry, an image or an export
 * (fetched or stored): its digests can be kept beside the entry, or read
 * from there. */
static int
remember_copy(struct diskcache *dc, const char *entry, const char *file, enum plan_disk_id disk,
              const char *tag)
{
    struct diskcache_copy *v = realloc(dc->copies, (dc->n_copies + 1) * sizeof(*v));
    if (!v)
        return -1;
    dc->copies = v;
    v[dc->n_copies].entry = strdup(entry);
    v[dc->n_copies].file = strdup(file);
    v[dc->n_copies].disk = disk;
    v[dc->n_copies].tag = tag ? strdup(tag) : NULL;
    if (!v[dc->n_copies].entry || !v[dc->n_copies].file || (tag && !v[dc->n_copies].tag)) {
        free(v[dc->n_copies].entry);
        free(v[dc->n_copies].file);
        free(v[dc->n_copies].tag);
        return -1;
    }
    dc->n_copies++;
    return 0;
}

/* The notes an entry may have beside it, ENTRY.NAME ("KEY.qcow2.sha256"):
 * its digests, by the names of their algorithms, and the facts its
 * exporter counted while writing it. Each is written by the build that
 * made or hashed a copy of the entry, and removed whenever the entry is
 * replaced or evicted. */
static const char *const note_names[] = {"sha256", "sha1", "sha512", EXPORT_COUNT_POPULATED};
#define N_NOTES (sizeof(note_names) / sizeof(note_names[0]))

static bool
known_note(const char *name)
{
    for (size_t i = 0; i < N_NOTES; i++)
        if (strcmp(name, note_names[i]) == 0)
            return true;
    return false;
}

static char *
note_path(const char *entry, const char *name)
{
    char *p = NULL;
    return asprintf(&p, "%s.%s", entry, name) < 0 ? NULL : p;
}

static bool
is_note(const char *file)
{
    const char *dot = strrchr(file, '.');
    return dot && dot != file && known_note(dot + 1) && strchr(file, '.') != dot;
}

/* Removes every note of entry (a path, or a name in the folder dirfd). */
static void
remove_notes(int dirfd, const char *entry)
{
    for (size_t i = 0; i < N_NOTES; i++) {
        CLEANUP_FREE char *note = note_path(entry, note_names[i]);
        if (note)
            unlinkat(dirfd, note, 0);
    }
}

/* The entry of which file is this build's copy, or NULL. */
static const char *
entry_of(const struct diskcache *dc, const char *file)
{
    for (size_t i = 0; i < dc->n_copies; i++)
        if (strcmp(dc->copies[i].file, file) == 0)
            return dc->copies[i].entry;
    return NULL;
}

/* The one line of file's entry's note name, without its newline: 1, or 0
 * when there is none. */
static int
read_note(const struct diskcache *dc, const char *file, const char *name, char *line, size_t size)
{
    const char *entry = entry_of(dc, file);
    CLEANUP_FREE char *path = entry && known_note(name) ? note_path(entry, name) : NULL;
    CLEANUP_FCLOSE FILE *f = path ? fopen(path, "re") : NULL;
    if (!f || !fgets(line, (int)size, f))
        return 0;
    line[strcspn(line, "\n")] = '\0';
    return 1;
}

/* Writes text as file's entry's note name, unless one is there. */
static void
write_note(const struct diskcache *dc, const char *file, const char *name, const char *text)
{
    const char *entry = entry_of(dc, file);
    CLEANUP_FREE char *path = entry && known_note(name) ? note_path(entry, name) : NULL,
                      *tmp = NULL;
    struct stat st;
    if (!path || stat(path, &st) == 0 || stat(entry, &st) < 0 ||
        asprintf(&tmp, "%s.tmp-%ld", path, (long)getpid()) < 0)
        return;
    FILE *f = fopen(tmp, "we");
    if (!f)
        return;
    int bad = fprintf(f, "%s\n", text) < 0;
    if (fclose(f) != 0 || bad || rename(tmp, path) < 0)
        unlink(tmp);
}

/* The length of a digest in hex. */
static size_t
hex_len(enum digest algo)
{
    return algo == DIGEST_SHA1 ? 40 : algo == DIGEST_SHA512 ? 128 : 64;
}

int
diskcache_known_digest(struct diskcache *dc, const char *file, enum digest algo,
                       char hex[HASH_HEX_MAX])
{
    char line[HASH_HEX_MAX + 2] = "";
    size_t n = hex_len(algo);
    if (!read_note(dc, file, digest_to_string(algo), line, sizeof(line)) || strlen(line) != n ||
        strspn(line, "0123456789abcdef") != n)
        return 0;
    memcpy(hex, line, n + 1);
    return 1;
}

void
diskcache_keep_digest(struct diskcache *dc, const char *file, enum digest algo, const char *hex)
{
    if (strlen(hex) == hex_len(algo) && strspn(hex, "0123456789abcdef") == hex_len(algo))
        write_note(dc, file, digest_to_string(algo), hex);
}

int
diskcache_known_count(struct diskcache *dc, const char *file, const char *name, uint64_t *value)
{
    char line[32] = "", *end = NULL;
    if (!read_note(dc, file, name, line, sizeof(line)) || line[0] < '0' || line[0] > '9')
        return 0;
    errno = 0;
    unsigned long long v = strtoull(line, &end, 10);
    if (errno || *end)
        return 0;
    *value = v;
    return 1;
}

void
diskcache_keep_count(struct diskcache *dc, const char *file, const char *name, uint64_t value)
{
    char text[32];
    snprintf(text, sizeof(text), "%" PRIu64, value);
    write_note(dc, file, name, text);
}

static int
fetch(struct diskcache *dc, enum plan_disk_id disk, const char *tag, const char *dest,
      bool read_only, struct ab_error *err)
{
    if (!dc->dir)
        return 0;
    CLEANUP_FREE char *entry = entry_path(dc, disk, tag);
    if (!entry)
        return ab_oom(err);
    if (access(entry, R_OK) < 0)
        return 0;
    if (!(read_only && link(entry, dest) == 0) && copy_to(entry, dest, err) < 0)
        return -1;
    utimensat(AT_FDCWD, entry, NULL, 0); /* recently used */
    if (remember_copy(dc, entry, dest, disk, tag) < 0)
        return ab_oom(err);
    return 1;
}

struct aged {
    char *name;
    struct timespec used;
    uint64_t bytes;
};

static int
older_first(const void *a, const void *b)
{
    const struct aged *x = a, *y = b;
    if (x->used.tv_sec != y->used.tv_sec)
        return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    if (x->used.tv_nsec != y->used.tv_nsec)
        return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Removes the least recently used entries until the folder holds at most
 * max_bytes (allocated); keep is never removed. Called with the lock. */
static void
evict(const struct diskcache *dc, const char *keep)
{
    DIR *d = opendir(dc->dir);
    struct aged *v = NULL;
    size_t n = 0, cap = 0;
    uint64_t total = 0;
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.' || is_note(e->d_name) ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            struct aged *w = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof(*v));
            if (!w)
                break;
            v = w;
        }
        if (!(v[n].name = strdup(e->d_name)))
            break;
        v[n].used = st.st_mtim;
        v[n].bytes = (uint64_t)st.st_blocks * 512;
        total += v[n].bytes;
        n++;
    }
    qsort(v, n, sizeof(*v), older_first);
    const char *keep_name = strrchr(keep, '/') ? strrchr(keep, '/') + 1 : keep;
    for (size_t i = 0; i < n && total > dc->max_bytes; i++) {
        if (strcmp(v[i].name, keep_name) == 0)
            continue;
        if (unlinkat(dirfd(d), v[i].name, 0) == 0) {
            remove_notes(dirfd(d), v[i].name);
            total -= v[i].bytes;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
    closedir(d);
}

static int
store(struct diskcache *dc, enum plan_disk_id disk, const char *tag, const char *src,
      struct ab_error *err)
{
    if (!dc->dir)
        return 0;
    CLEANUP_FREE char *entry = entry_path(dc, disk, tag), *tmp = NULL, *lock = NULL;
    if (!entry ||
        asprintf(&tmp, "%s/.tmp-%ld-%s", dc->dir, (long)getpid(), strrchr(entry, '/') + 1) < 0 ||
        asprintf(&lock, "%s/.lock", dc->dir) < 0)
        return ab_oom(err);
    struct stat st;
    if (stat(src, &st) == 0 && (uint64_t)st.st_blocks * 512 > dc->max_bytes)
        return 0; /* larger than the whole cache */
    if (copy_to(src, tmp, err) < 0)
        return -1;
    CLEANUP_CLOSE int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
        int e = errno;
        unlink(tmp);
        return ab_build_error(err, e, "cannot lock '%s': %s", lock, strerror(e));
    }
    remove_notes(AT_FDCWD, entry); /* the notes of what entry was */
    if (rename(tmp, entry) < 0) {
        int e = errno;
        unlink(tmp);
        return ab_build_error(err, e, "cannot store '%s': %s", entry, strerror(e));
    }
    if (remember_copy(dc, entry, src, disk, tag) < 0)
        return ab_oom(err);
    evict(dc, entry);
    return 0;
}

int
diskcache_fetch_image(struct diskcache *dc, enum plan_disk_id disk, const char *img,
                      struct ab_error *err)
{
    int r = fetch(dc, disk, NULL, img, false, err);
    if (r > 0)
        dc->hit[disk] = true;
    return r;
}

int
diskcache_store_image(struct diskcache *dc, enum plan_disk_id disk, const char *img,
                      struct ab_error *err)
{
    return dc->hit[disk] ? 0 : store(dc, disk, NULL, img, err);
}

int
diskcache_fetch_file(struct diskcache *dc, enum plan_disk_id disk, const char *tag,
                     const char *path, bool read_only, struct ab_error *err)
{
    return fetch(dc, disk, tag, path, read_only, err);
}

int
diskcache_store_file(struct diskcache *dc, enum plan_disk_id disk, const char *tag,
                     const char *path, struct ab_error *err)
{
    return store(dc, disk, tag, path, err);
}
