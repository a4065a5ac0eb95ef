/* hostfs.c: partition tables and filesystems written on the host. */
#include "appliance/hostfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/fsids.h"
#include "appliance/fsutil.h"
#include "appliance/gpt.h"
#include "appliance/spawn.h"

static const char *
gpt_name(enum part_role role)
{
    switch (role) {
    case PART_BIOS_BOOT:
        return "bios-boot";
    case PART_ESP:
        return "EFI System";
    case PART_BOOT:
        return "boot";
    case PART_LVM:
        return "lvm";
    }
    return "?";
}

int
hostfs_disk(const struct plan *plan, enum plan_disk_id id, const char *img,
            const struct spawn_ctx *ctx, struct ab_error *err)
{
    const struct plan_disk *d = &plan->disks[id];
    CLEANUP_CLOSE int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)d->size) < 0)
        return ab_build_error(err, errno, "cannot create disk '%s': %s", img, strerror(errno));

    CLEANUP_FREE char *script = NULL;
    size_t len = 0;
    char guid[FSID_UUID_BUF];
    FILE *f = open_memstream(&script, &len);
    if (!f)
        return ab_oom(err);
    /* The GUIDs from the plan: sfdisk would draw them at random. */
    fsid_gpt_guid(plan, id, NULL, guid);
    gpt_script_head(f, guid, PLAN_ALIGN / SECTOR);
    for (size_t i = 0; i < d->n_parts; i++) {
        const struct plan_partition *p = &d->parts[i];
        fsid_gpt_guid(plan, id, p, guid);
        gpt_script_part(f, p->start, p->size, part_role_gpt_type(p->role), guid, gpt_name(p->role));
    }
    if (fclose(f) != 0)
        return ab_oom(err);
    const char *argv[] = {"sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", img, NULL};
    struct spawn_opts o = {.ctx = ctx, .input = script, .input_len = strlen(script)};
    if (spawn_run(argv, &o, err) < 0) {
        ab_error_prefix(err, "while writing the partition table of disk '%s'", d->id);
        return -1;
    }
    return 0;
}

void
hostfs_extent(const struct plan *plan, const struct plan_mount *m, uint64_t *offset,
              uint64_t *size)
{
    const struct plan_disk *d = &plan->disks[m->disk];
    if (m->lv) {
        *offset = plan_lv_offset(d, m->lv);
        *size = m->lv->size;
    } else {
        *offset = m->partition->start;
        *size = m->partition->size;
    }
}

static const char *
fs_label(const struct plan_mount *m)
{
    if (m->lv)
        return m->lv->name;
    return m->partition->role == PART_BOOT ? "boot" : "ESP";
}

static void
put_ctime(FILE *script, unsigned long ino, int64_t epoch)
{
    /* The reserved inodes but the root have no entry to copy a time from. */
    if (ino == 2 || ino >= 11)
        fprintf(script, "sif <%lu> ctime @%" PRId64 "\n", ino, epoch);
}

/* The inodes first..first+count-1 of one group but those in list, its
 * "Free inodes:" ranges ("A-B, C", up to the end of the line). */
static unsigned long
group_ctimes(FILE *script, unsigned long first, unsigned long count, const char *list,
             int64_t epoch)
{
    unsigned long ino = first, end = first + count, used = 0;
    const char *p = list;
    while (ino < end) {
        unsigned long a = end, b = end;
        char *q;
        p += strspn(p, " ,");
        if (*p >= '0' && *p <= '9') {
            a = b = strtoul(p, &q, 10);
            if (*q == '-')
                b = strtoul(q + 1, &q, 10);
            p = q;
        }
        for (; ino < a && ino < end; ino++, used++)
            put_ctime(script, ino, epoch);
        if (b + 1 > ino)
            ino = b + 1;
    }
    return used;
}

/* Writes "sif <N> ctime @epoch" into script for every inode in use, read
 * from dumpe2fs's "Inodes per group", "Group G:" and "  Free inodes:"
 * lines. -1 when it finds none: dumpe2fs's text is not what it knows. */
static int
ctime_script(const char *dump, int64_t epoch, FILE *script)
{
    unsigned long per_group = 0, group = 0, used = 0;
    bool in_group = false;
    for (const char *line = dump; line && *line;) {
        const char *nl = strchr(line, '\n');
        if (sscanf(line, "Inodes per group: %lu", &per_group) == 1)
            ;
        else if (sscanf(line, "Group %lu:", &group) == 1)
            in_group = per_group > 0;
        else if (in_group && strncmp(line, "  Free inodes:", 14) == 0) {
            used += group_ctimes(script, group * per_group + 1, per_group, line + 14, epoch);
            in_group = false;
        }
        line = nl ? nl + 1 : NULL;
    }
    return used > 0 ? 0 : -1;
}

/* mke2fs -d copies each file's ctime, which is when the build last
 * touched it (extracted, written, its times clamped): every inode in use
 * gets the epoch instead, and the root its folder's mode, in one debugfs
 * run. */
static int
fix_inodes(const char *at, mode_t root_mode, int64_t epoch, const struct spawn_opts *run,
           struct ab_error *err)
{
    CLEANUP_FREE char *dump = NULL, *script = NULL, *echo = NULL;
    size_t len = 0;
    const char *dumpe2fs[] = {"dumpe2fs", at, NULL};
    struct spawn_opts d = {.ctx = run->ctx, .output = &dump};
    if (spawn_run(dumpe2fs, &d, err) < 0)
        return -1;
    FILE *f = open_memstream(&script, &len);
    if (!f)
        return ab_oom(err);
    int r = ctime_script(dump, epoch, f);
    if (root_mode != 0755)
        fprintf(f, "sif <2> mode 04%04o\n", (unsigned)root_mode);
    if (fclose(f) != 0)
        return ab_oom(err);
    if (r < 0)
        return ab_build_error(err, 0, "dumpe2fs of '%s' lists no inode in use", at);
    /* Its stdout echoes each of the thousands of commands: not logged.
     * Its superblock write stamps the fake time too, not the clock's. */
    const char *debugfs[] = {"debugfs", "-w", "-f", "-", at, NULL};
    struct spawn_opts o = *run;
    o.input = script, o.input_len = len, o.output = &echo;
    return spawn_run(debugfs, &o, err);
}

static int
make_ext4(const struct plan *plan, const struct plan_mount *m, const char *img, const char *dir,
          int64_t epoch, const struct spawn_ctx *ctx, struct ab_error *err)
{
    uint64_t offset, size;
    char uuid[FSID_UUID_BUF], seed[FSID_UUID_BUF], opts[224], blocks[32], label[17];
    char fake_time[48], at[4200];
    struct stat st;
    hostfs_extent(plan, m, &offset, &size);
    fsid_of_mount(plan, m, uuid);
    fsid_ext4_hash_seed(plan, m, seed);
    if (stat(dir, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", dir, strerror(errno));
    /* The filesystem's root is the folder's own: owner here, mode below.
     * The directory hash seed is derived too (mke2fs draws it). */
    snprintf(opts, sizeof(opts),
             "offset=%" PRIu64 ",assume_storage_prezeroed=1,root_owner=%u:%u,hash_seed=%s", offset,
             (unsigned)st.st_uid, (unsigned)st.st_gid, seed);
    snprintf(blocks, sizeof(blocks), "%" PRIu64 "k", size / 1024);
    snprintf(label, sizeof(label), "%s", fs_label(m));
    /* The superblock's, the journal's and the reserved inodes' times
     * (mke2fs and debugfs alike; e2fsprogs 1.47.0 ignores SOURCE_DATE_EPOCH).
     * 0 there means "the clock's": an epoch of 0 is given as second 1. */
    snprintf(fake_time, sizeof(fake_time), "E2FSPROGS_FAKE_TIME=%" PRId64, epoch ? epoch : 1);
    const char *const env[] = {fake_time, NULL};
    struct spawn_opts o = {.ctx = ctx, .env = env};
    /* orphan_file is new in e2fsprogs 1.47: older guests' fsck refuse it. */
    const char *argv[] = {"mke2fs", "-q", "-F", "-t", "ext4", "-O", "^orphan_file", "-U", uuid,
                          "-L", label, "-E", opts, "-d", dir, img, blocks, NULL};
    if (spawn_run(argv, &o, err) < 0)
        return -1;
    snprintf(at, sizeof(at), "%s?offset=%" PRIu64, img, offset);
    return fix_inodes(at, st.st_mode & 07777, epoch, &o, err);
}

/* mtools checks the geometry against the size, which mkfs.vfat's --offset
 * and block count do not match; the builder sets it too. */
static const char *const mtools_env[] = {"MTOOLS_SKIP_CHECK=1", NULL};

/* The first symbolic link in the walk: its path below the ESP, kept in
 * ctx (a char *). */
static int
find_link(void *ctx, const char *rel, const struct stat *st)
{
    if (!S_ISLNK(st->st_mode))
        return 0;
    char **link = ctx;
    *link = strdup(rel);
    return 1;
}

/* FAT holds no symbolic links: mcopy would copy what one points at, read
 * on the host (a tree's `boot/efi/x -> /etc/shadow`): refused. */
static int
refuse_links(const char *dir, struct ab_error *err)
{
    CLEANUP_FREE char *link = NULL;
    int r = walk_tree(dir, find_link, &link);
    if (r < 0 && errno != ENOENT)
        return ab_build_error(err, errno, "cannot read '%s': %s", dir, strerror(errno));
    if (r > 0)
        return ab_build_error(err, 0,
                              "the EFI system partition holds no symbolic links: '%s%s' in the "
                              "tree's ESP is one: refused",
                              link && *link ? "/" : "", link ? link : "?");
    return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name); /* bytes: no locale's order */
}

static void
free_entries(struct dirent **list, int n)
{
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static int copy_dir(const char *img_at, const char *dir, const char *to, int depth,
                    const struct spawn_opts *mt, struct ab_error *err);

/* One entry: a folder made (mmd) and filled, or a file copied (mcopy);
 * mtools run with mt. */
static int
copy_entry(const char *img_at, const char *path, const char *dest, int depth,
           const struct spawn_opts *mt, struct ab_error *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        const char *mmd[] = {"mmd", "-i", img_at, dest, NULL};
        if (depth > 64)
            return ab_build_error(err, ELOOP, "the tree's ESP nests folders too deep");
        if (spawn_run(mmd, mt, err) < 0)
            return -1;
        return copy_dir(img_at, path, dest, depth + 1, mt, err);
    }
    if (!S_ISREG(st.st_mode))
        return ab_build_error(err, 0,
                              "the EFI system partition holds only files and folders: '%s' in "
                              "the tree's ESP is neither",
                              path);
    const char *mcopy[] = {"mcopy", "-o", "-i", img_at, path, dest, NULL};
    return spawn_run(mcopy, mt, err);
}

/* The entries of dir into the FAT folder to, in name order: the FAT
 * directories get the same entries in the same order whatever order the
 * host's filesystem lists them in (mcopy -s would take that one). Their
 * times are mtools' own: SOURCE_DATE_EPOCH (epoch.h). */
static int
copy_dir(const char *img_at, const char *dir, const char *to, int depth,
         const struct spawn_opts *mt, struct ab_error *err)
{
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, by_name), ret = 0;
    if (n < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", dir, strerror(errno));
    for (int i = 0; ret == 0 && i < n; i++) {
        const char *name = list[i]->d_name;
        CLEANUP_FREE char *path = NULL, *dest = NULL;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (asprintf(&path, "%s/%s", dir, name) < 0 || asprintf(&dest, "%s/%s", to, name) < 0)
            ret = ab_oom(err);
        else
            ret = copy_entry(img_at, path, dest, depth, mt, err);
    }
    free_entries(list, n);
    return ret;
}

/* Copies the entries of dir into the FAT filesystem at img@@offset. */
static int
mcopy_tree(const char *img_at, const char *dir, const struct spawn_opts *mt, struct ab_error *err)
{
    struct stat st;
    if (refuse_links(dir, err) < 0)
        return -1;
    if (stat(dir, &st) < 0 && errno == ENOENT)
        return 0;
    return copy_dir(img_at, dir, "::", 0, mt, err);
}

/* True if dir has a folder called name as FAT sees names (any case); its
 * path then goes to found (malloc'd). */
static bool
has_folder(const char *dir, const char *name, char **found)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st;
    *found = NULL;
    if (!d)
        return false;
    while (!*found && (e = readdir(d))) {
        if (strcasecmp(e->d_name, name) != 0 || asprintf(found, "%s/%s", dir, e->d_name) < 0)
            continue;
        if (stat(*found, &st) < 0 || !S_ISDIR(st.st_mode)) {
            free(*found);
            *found = NULL;
        }
    }
    closedir(d);
    return *found != NULL;
}

/* Puts the files of efi_dir into EFI/BOOT, making only the folders that
 * the tree did not bring (mmd fails on one that exists). */
static int
put_efi_boot(const char *img_at, const char *dir, const char *efi_dir, const struct spawn_opts *mt,
             struct ab_error *err)
{
    CLEANUP_FREE char *efi = NULL, *boot = NULL;
    const char *mmd[] = {"mmd", "-i", img_at, NULL, NULL, NULL};
    size_t n = 3;
    if (!has_folder(dir, "EFI", &efi))
        mmd[n++] = "::/EFI";
    if (!efi || !has_folder(efi, "BOOT", &boot))
        mmd[n++] = "::/EFI/BOOT";
    if (n > 3 && spawn_run(mmd, mt, err) < 0)
        return -1;
    return copy_dir(img_at, efi_dir, "::/EFI/BOOT", 0, mt, err);
}

static int
make_esp(const struct plan *plan, const struct plan_mount *m, const char *img, const char *dir,
         const char *efi_dir, const struct spawn_ctx *ctx, struct ab_error *err)
{
    const struct spawn_opts plain = {.ctx = ctx}, mt = {.ctx = ctx, .env = mtools_env};
    uint64_t offset, size;
    char serial[16], sectors[32], blocks[32], img_at[4200];
    hostfs_extent(plan, m, &offset, &size);
    snprintf(serial, sizeof(serial), "%08" PRIX32, fsid_fat_serial(plan));
    snprintf(sectors, sizeof(sectors), "%" PRIu64, offset / SECTOR);
    snprintf(blocks, sizeof(blocks), "%" PRIu64, size / 1024);
    snprintf(img_at, sizeof(img_at), "%s@@%" PRIu64, img, offset);
    /* --invariant: no time of day in the boot sector or the label's entry
     * (dosfstools 4.2 ignores SOURCE_DATE_EPOCH); the serial after it is
     * the plan's. */
    const char *mkfs[] = {"mkfs.vfat", "--invariant", "-F",    "32", "-s",   "1", "-n", "ESP", "-i",
                          serial,      "--offset",    sectors, img,  blocks, NULL};
    if (spawn_run(mkfs, &plain, err) < 0 || mcopy_tree(img_at, dir, &mt, err) < 0)
        return -1;
    return efi_dir ? put_efi_boot(img_at, dir, efi_dir, &mt, err) : 0;
}

int
hostfs_make(const struct plan *plan, const struct plan_mount *m, const char *img, const char *dir,
            const char *efi_dir, int64_t epoch, const struct spawn_ctx *ctx, struct ab_error *err)
{
    int r = 0;
    switch (m->fs) {
    case FS_EXT4:
        r = make_ext4(plan, m, img, dir, epoch, ctx, err);
        break;
    case FS_VFAT:
        r = make_esp(plan, m, img, dir, efi_dir, ctx, err);
        break;
    case FS_XFS:
    case FS_SWAP:
    case FS_NONE:
        return ab_build_error(err, 0, "internal error: %s is not made on the host",
                              fs_to_string(m->fs));
    }
    if (r < 0)
        ab_error_prefix(err, "while making the %s filesystem of '%s'", fs_to_string(m->fs),
                        m->path);
    return r;
}

int
hostfs_swap(const struct plan *plan, enum plan_disk_id id, const struct plan_lv *lv,
            const char *img, const char *scratch, const struct spawn_ctx *ctx, struct ab_error *err)
{
    char uuid[FSID_UUID_BUF], label[17];
    CLEANUP_FREE char *tmp = NULL;
    CLEANUP_FREE char *page = malloc(4096);
    fsid_uuid(plan, id, NULL, lv, uuid);
    snprintf(label, sizeof(label), "%s", lv->name);
    if (!page || asprintf(&tmp, "%s/swap-%s", scratch, lv->name) < 0)
        return ab_oom(err);
    CLEANUP_CLOSE int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)lv->size) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", tmp, strerror(errno));
    /* -p 4096: the page this copies, whatever the build host's page size. */
    if (spawn_cmd(ctx, err, "mkswap", "-q", "-p", "4096", "-U", uuid, "-L", label, tmp, NULL) < 0) {
        unlink(tmp);
        return -1;
    }
    /* mkswap writes one page; the rest of the area stays zero. */
    CLEANUP_CLOSE int out = open(img, O_WRONLY | O_CLOEXEC);
    off_t at = (off_t)plan_lv_offset(&plan->disks[id], lv);
    if (pread(fd, page, 4096, 0) != 4096 || out < 0 || pwrite(out, page, 4096, at) != 4096)
        return ab_build_error(err, errno, "cannot write the swap signature of '%s': %s",
                              lv->name, strerror(errno));
    unlink(tmp);
    return 0;
}
