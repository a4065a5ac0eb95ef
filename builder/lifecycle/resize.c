/* resize.c: `appliance resize`, the driver (resize.h). The image is
 * checked, copied to a sparse raw file in a scratch folder beside the
 * destination, its GPT edited there with sfdisk, its LVM and filesystems
 * resized on the host (resize_native.c), an xfs that cannot be mounted
 * here grown by engine_resize.c in a child process (which an interrupt
 * stops at once, its appliance with it), converted back to the image's
 * format and renamed into place only when everything has been checked. */
#include "appliance/resize.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/gpt.h"
#include "appliance/image_format.h"
#include "appliance/size.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"
#include "engine_resize.h"
#include "resize_native.h"

struct job {
    const struct resize_opts *o;
    struct resize_layout *l;
    const char *dest;
    char *scratch; /* the folder beside dest */
    char *work;    /* scratch/work.raw */
    char *out;     /* scratch/out (the image's format), or work for raw */
    char *create_opts;
    char part_uuid[64], part_name[128];
    mode_t mode;
    uid_t uid;
    gid_t gid;
    char *real_image; /* the file a link IMAGE names: replaced in its folder */
    bool use_kvm;
    const char *const *xfs_left; /* volumes whose xfs grows in the appliance */
};

static void
step(const struct job *j, const char *what)
{
    if (j->o->step)
        j->o->step(j->o->ctx, what);
}

static int
interrupted(struct ab_error *err)
{
    return stop_requested() ? ab_build_error(err, EINTR, "interrupted") : 0;
}

/* ---- the image's own format options --------------------------------- */

/* A sparse VMDK's embedded descriptor: its subformat and adapter type. */
static char *
vmdk_options(const char *path, int fd, const struct image_header *hd, struct ab_error *err)
{
    uint64_t len = hd->desc_sectors;
    if (len == 0 || len > 128) {
        ab_build_error(err, 0, "'%s' has no embedded VMDK descriptor to keep", path);
        return NULL;
    }
    CLEANUP_FREE char *desc = calloc(1, len * SECTOR + 1);
    if (!desc) {
        ab_oom(err);
        return NULL;
    }
    errno = 0;
    if (pread(fd, desc, len * SECTOR, (off_t)(hd->desc_sector * SECTOR)) !=
        (ssize_t)(len * SECTOR)) {
        ab_build_error(err, errno, "cannot read '%s': %s", path,
                       errno ? strerror(errno) : "short file");
        return NULL;
    }
    char *opts = resize_vmdk_options(desc);
    if (!opts)
        ab_build_error(err, 0, "'%s': a VMDK of this createType cannot be written back", path);
    return opts;
}

/* qemu-img create options that give the image back as it was made, from
 * its header as the format's row reads it. */
static char *
format_options(const char *path, const char *format, struct ab_error *err)
{
    const struct image_format *f = image_format_find(format);
    struct image_header hd;
    struct stat st;
    if (!f) {
        ab_build_error(err, 0, "'%s': a %s image cannot be written back", path, format);
        return NULL;
    }
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (image_format_read(f, fd, 0, (uint64_t)st.st_size, &hd, err) < 0)
        return NULL;
    if (!f->create_options)
        return vmdk_options(path, fd, &hd, err);
    char *copy = strdup(f->create_options(&hd));
    if (!copy)
        ab_oom(err);
    return copy;
}

/* ---- the GPT, read and edited on the raw copy by sfdisk --------------- */

struct gpt_part {
    unsigned number;
    uint64_t start, size, last_lba;
    char type[64], uuid[64], name[128];
};

static const char *
jstr(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static uint64_t
jnum(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

/* The disk's last partition (by start), which must be LVM on GPT. */
static int
gpt_read(const struct job *j, struct gpt_part *p, struct ab_error *err)
{
    CLEANUP_FREE char *out = NULL;
    const char *argv[] = {"sfdisk", "--json", j->work, NULL};
    struct spawn_opts so = {.output = &out};
    if (spawn_run(argv, &so, err) < 0)
        return -1;
    json_object *root = json_tokener_parse(out), *t = NULL, *parts = NULL;
    int r = 0;
    if (!root || !json_object_object_get_ex(root, "partitiontable", &t) ||
        !json_object_object_get_ex(t, "partitions", &parts) || !jstr(t, "label") ||
        strcmp(jstr(t, "label"), "gpt") != 0 || jnum(t, "sectorsize") != SECTOR)
        r = ab_build_error(err, 0, "'%s' has no GPT of 512-byte sectors", j->o->image);
    memset(p, 0, sizeof(*p));
    size_t n = r == 0 ? json_object_array_length(parts) : 0;
    size_t wl = strlen(j->work);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(parts, i);
        const char *node = jstr(e, "node");
        if (jnum(e, "start") < p->start || !node || strncmp(node, j->work, wl) != 0)
            continue;
        p->number = (unsigned)strtoul(node + wl, NULL, 10);
        p->start = jnum(e, "start");
        p->size = jnum(e, "size");
        snprintf(p->type, sizeof(p->type), "%s", jstr(e, "type") ? jstr(e, "type") : "");
        snprintf(p->uuid, sizeof(p->uuid), "%s", jstr(e, "uuid") ? jstr(e, "uuid") : "");
        snprintf(p->name, sizeof(p->name), "%s", jstr(e, "name") ? jstr(e, "name") : "");
    }
    if (r == 0)
        p->last_lba = jnum(t, "lastlba");
    if (r == 0 && (p->number == 0 || gpt_type_from_guid(p->type) != GPT_TYPE_LVM))
        r = ab_build_error(err, 0, "the last partition of '%s' is not an LVM physical volume",
                           j->o->image);
    json_object_put(root);
    return r;
}

static int
sfdisk(const struct job *j, const char *input, const char *const *args, struct ab_error *err)
{
    const char *argv[12] = {"sfdisk", "--no-reread", "--no-tell-kernel", "-q"};
    size_t n = 4;
    for (; *args && n < 10; args++)
        argv[n++] = *args;
    argv[n++] = j->work;
    argv[n] = NULL;
    struct spawn_opts so = {.input = input, .input_len = input ? strlen(input) : 0};
    return spawn_run(argv, &so, err);
}

static int
set_size(const struct job *j, uint64_t bytes, struct ab_error *err)
{
    if (truncate(j->work, (off_t)bytes) < 0)
        return ab_build_error(err, errno, "cannot resize '%s': %s", j->work, strerror(errno));
    return 0;
}

/* The copy made bytes long, and its GPT written anew for that size, from
 * sfdisk's own dump of it (disk and partition GUIDs, types, names and
 * attributes kept; last-lba left out so that sfdisk puts the backup table
 * at the new end). sfdisk --relocate cannot do it when shrinking: once the
 * disk is shorter than the primary header says, the GPT is invalid and
 * sfdisk sees only the protective MBR. */
static int
gpt_rewrite(const struct job *j, uint64_t bytes, struct ab_error *err)
{
    CLEANUP_FREE char *dump = NULL;
    const char *argv[] = {"sfdisk", "--dump", j->work, NULL};
    struct spawn_opts so = {.output = &dump};
    if (spawn_run(argv, &so, err) < 0)
        return -1;
    char *w = dump;
    for (char *line = dump; *line;) {
        size_t len = strcspn(line, "\n");
        bool keep = strncmp(line, "last-lba:", 9) != 0 && strncmp(line, "device:", 7) != 0;
        if (keep) {
            memmove(w, line, len);
            w += len;
            *w++ = '\n';
        }
        line += len + (line[len] == '\n');
    }
    *w = '\0';
    if (set_size(j, bytes, err) < 0)
        return -1;
    const char *args[] = {"--wipe", "never", "--wipe-partitions", "never", NULL};
    if (sfdisk(j, dump, args, err) < 0) {
        ab_error_prefix(err, "while writing the GPT for the new size");
        return -1;
    }
    return 0;
}

static int
gpt_resize_part(const struct job *j, struct ab_error *err)
{
    char number[16], input[64];
    snprintf(number, sizeof(number), "%u", j->l->part_number);
    snprintf(input, sizeof(input), "size=%" PRIu64 "\n", j->l->new_part_sectors);
    const char *args[] = {"-N", number, NULL};
    if (sfdisk(j, input, args, err) < 0) {
        ab_error_prefix(err, "while resizing partition %u", j->l->part_number);
        return -1;
    }
    return 0;
}

/* The table read back: valid, the partition where it was, as it was. */
static int
gpt_verify(const struct job *j, struct ab_error *err)
{
    const char *argv[] = {"sfdisk", "--verify", j->work, NULL};
    CLEANUP_FREE char *out = NULL;
    struct spawn_opts so = {.output = &out};
    struct gpt_part p;
    if (spawn_run(argv, &so, err) < 0 || gpt_read(j, &p, err) < 0)
        return -1;
    const struct resize_layout *l = j->l;
    if (p.number != l->part_number || p.start != l->part_start || p.size != l->new_part_sectors ||
        strcmp(p.uuid, j->part_uuid) != 0 || strcmp(p.name, j->part_name) != 0 ||
        p.last_lba != l->new_disk_size / SECTOR - GPT_BACKUP_LBAS - 1 ||
        p.start + p.size - 1 > p.last_lba)
        return ab_build_error(err, 0,
                              "the GPT of the result is not as it should be: partition %u at "
                              "%" PRIu64 ", %" PRIu64 " sectors, last usable %" PRIu64,
                              p.number, p.start, p.size, p.last_lba);
    if (out && strstr(out, "roblem"))
        return ab_build_error(err, 0, "sfdisk --verify: %s", out);
    return 0;
}

/* ---- the appliance, in a child process -------------------------------- */

/* Between the child's diagnostics in shared.msg. */
#define DIAG_SEP "\x1e"

struct shared {
    struct resize_layout l;
    int code;
    char msg[8192];
};

struct child_args {
    struct shared *sh;
    const struct job *j;
};

/* libguestfs's sockets and temporary files go into the scratch folder,
 * removed with it even when the child is killed. */
static int
child_main(void *arg)
{
    const struct child_args *a = arg;
    struct ab_error err = AB_ERROR_INIT;
    signal(SIGINT, SIG_IGN);
    const char *tmp = getenv("TMPDIR");
    setenv("LIBGUESTFS_CACHEDIR", tmp && *tmp ? tmp : "/var/tmp", 0);
    setenv("TMPDIR", a->j->scratch, 1);
    setenv("XDG_RUNTIME_DIR", a->j->scratch, 1);
    int r = engine_resize_xfs(a->j->work, &a->sh->l, a->j->xfs_left, a->j->use_kvm, &err);
    if (r < 0) {
        size_t len = 0;
        a->sh->code = err.code ? (int)err.code : AB_E_BUILD;
        for (size_t i = 0; i < err.n_diags && len + 2 < sizeof(a->sh->msg); i++) {
            int w = snprintf(a->sh->msg + len, sizeof(a->sh->msg) - len, "%s%s", i ? DIAG_SEP : "",
                             err.diags[i].msg);
            len += w > 0 ? (size_t)w : 0;
        }
    }
    ab_error_release(&err);
    return r < 0 ? 1 : 0;
}

static void
kill_group(struct spawn_child *c)
{
    pid_t group = c->pid;
    if (group <= 0)
        return;
    spawn_signal(c, SIGKILL);
    spawn_reap(c, true);
    /* qemu and libguestfs's helpers share the child's group: wait until
     * every one is gone before the scratch folder is removed (at most 5 s). */
    for (int i = 0; i < 500 && kill(-group, 0) == 0; i++) {
        kill(-group, SIGKILL);
        usleep(10000);
    }
}

static int
run_appliance(struct job *j, struct ab_error *err)
{
    struct shared *sh =
        mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return ab_build_error(err, errno, "cannot map memory: %s", strerror(errno));
    sh->l = *j->l;
    struct child_args a = {sh, j};
    struct spawn_child c = SPAWN_CHILD_INIT;
    int r = spawn_fork_fn(child_main, &a, &c, err);
    if (r == 0) {
        pid_t group = c.pid;
        spawn_reap(&c, true);
        int status = c.status;
        /* Whatever qemu the child left behind goes with its group. */
        c.pid = group;
        kill_group(&c);
        c.pid = 0;
        if (interrupted(err) < 0)
            r = -1;
        else if (sh->code) {
            for (char *line = strtok(sh->msg, DIAG_SEP); line; line = strtok(NULL, DIAG_SEP))
                ab_error_set(err, (enum ab_error_code)sh->code, 0, NULL, "%s", line);
            r = -1;
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            /* Killed, or ended without saying why: nothing it did counts. */
            r = ab_build_error(err, 0, "the appliance process ended unexpectedly (status %d)",
                               status);
        }
        *j->l = sh->l;
    }
    munmap(sh, sizeof(*sh));
    return r;
}

/* ---- the steps -------------------------------------------------------- */

static int
new_size(struct job *j, struct ab_error *err)
{
    struct resize_layout *l = j->l;
    const char *why = NULL;
    char a[SIZE_BUF];
    if (resize_amount_apply(&j->o->size, l->disk_size, &l->new_disk_size, &why) < 0)
        return ab_error_set(err, AB_E_USAGE, 0, NULL, "--size: %s (the disk is %s)", why,
                            size_format_exact(l->disk_size, a, sizeof(a)));
    if (l->new_disk_size % MiB)
        return ab_error_set(err, AB_E_USAGE, 0, NULL,
                            "--size: the new size %s is not a whole number of MiB",
                            size_format_exact(l->new_disk_size, a, sizeof(a)));
    if (l->new_disk_size == l->disk_size && j->o->n_volumes == 0)
        return ab_build_error(err, 0, "'%s' is already %s: nothing to do", j->o->image,
                              size_format(l->disk_size, a, sizeof(a)));
    return 0;
}

static int
make_scratch(struct job *j, struct ab_error *err)
{
    CLEANUP_FREE char *copy = strdup(j->dest);
    if (!copy)
        return ab_oom(err);
    /* Absolute: libguestfs's TMPDIR (child_main) must be. */
    CLEANUP_FREE char *dir = realpath(dirname(copy), NULL);
    if (!dir)
        return ab_build_error(err, errno, "cannot find the folder of '%s': %s", j->dest,
                              strerror(errno));
    if (asprintf(&j->scratch, "%s/.appliance-resize.XXXXXX", dir) < 0) {
        j->scratch = NULL;
        return ab_oom(err);
    }
    if (!mkdtemp(j->scratch)) {
        int e = errno;
        free(j->scratch);
        j->scratch = NULL;
        return ab_build_error(err, e, "cannot make a scratch folder beside '%s': %s", j->dest,
                              strerror(e));
    }
    if (asprintf(&j->work, "%s/work.raw", j->scratch) < 0 ||
        asprintf(&j->out, "%s/out", j->scratch) < 0)
        return ab_oom(err);
    return 0;
}

static int
copy_in(struct job *j, struct ab_error *err)
{
    const char *argv[] = {"qemu-img", "convert",   "-f",    j->l->format, "-O",
                          "raw",      j->o->image, j->work, NULL};
    step(j, "copying the image to a raw working copy");
    if (spawn_run(argv, NULL, err) < 0) {
        ab_error_prefix(err, "while copying '%s'", j->o->image);
        return -1;
    }
    struct gpt_part p;
    if (gpt_read(j, &p, err) < 0)
        return -1;
    struct resize_layout *l = j->l;
    l->part_number = p.number;
    l->part_start = p.start;
    l->part_sectors = p.size;
    snprintf(j->part_uuid, sizeof(j->part_uuid), "%s", p.uuid);
    snprintf(j->part_name, sizeof(j->part_name), "%s", p.name);
    uint64_t last = resize_part_last_sector(l->new_disk_size);
    if (last <= p.start + 2048) {
        char a[SIZE_BUF];
        return ab_build_error(err, 0,
                              "a disk of %s leaves no room for partition %u at sector %" PRIu64,
                              size_format(l->new_disk_size, a, sizeof(a)), p.number, p.start);
    }
    l->new_part_sectors = last - p.start + 1;
    /* A partition that did not end where the build ends it never moves
     * the other way: it only grows with the disk, only shrinks with it. */
    if (l->new_disk_size > l->disk_size && l->new_part_sectors < p.size)
        l->new_part_sectors = p.size;
    if (l->new_disk_size <= l->disk_size && l->new_part_sectors > p.size)
        l->new_part_sectors = p.size;
    return 0;
}

static int
convert_out(struct job *j, struct ab_error *err)
{
    struct resize_layout *l = j->l;
    if (strcmp(l->format, "raw") != 0) {
        step(j, "writing the result in the image's format");
        const char *argv[] = {"qemu-img", "convert",      "-f",    "raw",  "-O", l->format,
                              "-o",       j->create_opts, j->work, j->out, NULL};
        if (spawn_run(argv, NULL, err) < 0) {
            ab_error_prefix(err, "while writing the result as %s", l->format);
            return -1;
        }
        unlink(j->work);
    } else {
        free(j->out);
        j->out = strdup(j->work);
        if (!j->out)
            return ab_oom(err);
    }
    struct image_info info;
    if (image_check(j->out, "the result", &info, NULL, err) < 0)
        return -1;
    if (strcmp(info.format, l->format) != 0 || info.virtual_size != l->new_disk_size)
        return ab_build_error(err, 0, "the result is %s of %" PRIu64 " bytes, not %s of %" PRIu64,
                              info.format, info.virtual_size, l->format, l->new_disk_size);
    return 0;
}

static int
swap_in(struct job *j, struct ab_error *err)
{
    struct stat st;
    /* Only root may give a file away: the same owner needs no chown. */
    if (stat(j->out, &st) < 0 ||
        ((st.st_uid != j->uid || st.st_gid != j->gid) && chown(j->out, j->uid, j->gid) < 0))
        return ab_build_error(err, errno, "cannot set the owner of '%s': %s", j->out,
                              strerror(errno));
    if (chmod(j->out, j->mode & 07777) < 0)
        return ab_build_error(err, errno, "cannot set the mode of '%s': %s", j->out,
                              strerror(errno));
    CLEANUP_CLOSE int fd = open(j->out, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0)
        return ab_build_error(err, errno, "cannot sync '%s': %s", j->out, strerror(errno));
    if (interrupted(err) < 0)
        return -1;
    if (rename(j->out, j->dest) < 0)
        return ab_build_error(err, errno, "cannot rename the result to '%s': %s", j->dest,
                              strerror(errno));
    return 0;
}

/* The xfs volumes the host could not mount, grown in the appliance. */
static int
xfs_in_appliance(struct job *j, struct ab_error *err)
{
    unsigned n = 0;
    for (const char *const *name = j->xfs_left; *name; name++)
        n++;
    if (n == 0)
        return 0;
    j->l->xfs_in_appliance = n;
    j->use_kvm = j->o->kvm && j->o->kvm(j->o->ctx);
    step(j, geteuid() == 0 ? "growing xfs in the libguestfs appliance (it cannot be mounted here)"
                           : "growing xfs in the libguestfs appliance (mounting it on the host "
                             "needs root)");
    return interrupted(err) < 0 || run_appliance(j, err) < 0 ? -1 : 0;
}

/* Whether this process may mount a filesystem through a loop device: root
 * that can make a mount namespace (a container may forbid it) and has
 * loop devices. */
static bool
may_mount(const struct job *j)
{
    if (geteuid() != 0 || access("/dev/loop-control", W_OK) != 0)
        return false;
    struct ab_error ignored = AB_ERROR_INIT;
    const char *argv[] = {"unshare", "--mount", "--propagation", "private", "true", NULL};
    struct spawn_opts so = {.ctx = &j->o->spawn};
    bool ok = spawn_run(argv, &so, &ignored) == 0;
    ab_error_release(&ignored);
    return ok;
}

static int
resize_volumes(struct job *j, struct ab_error *err)
{
    struct resize_layout *l = j->l;
    bool grow = l->new_disk_size > l->disk_size;
    struct resize_native_opts no = {j->work, j->scratch, &j->o->spawn, may_mount(j),
                                    j->o->step, j->o->ctx};
    struct resize_native *rn = NULL;
    int r = resize_native_apply(&no, l, j->o->volumes, j->o->n_volumes, &rn, err);
    if (r == 0) {
        j->xfs_left = resize_native_xfs_left(rn);
        r = xfs_in_appliance(j, err);
    }
    if (r == 0 && !grow) {
        step(j, "shrinking the partition");
        r = gpt_resize_part(j, err) < 0 || gpt_rewrite(j, l->new_disk_size, err) < 0 ? -1 : 0;
    }
    if (r == 0)
        r = resize_native_verify(rn, err);
    j->xfs_left = NULL;
    resize_native_free(rn);
    return r;
}

static int
resize_steps(struct job *j, struct ab_error *err)
{
    struct resize_layout *l = j->l;
    if (copy_in(j, err) < 0 || interrupted(err) < 0)
        return -1;
    if (l->new_disk_size > l->disk_size) {
        step(j, "growing the partition");
        if (gpt_rewrite(j, l->new_disk_size, err) < 0 || gpt_resize_part(j, err) < 0)
            return -1;
    }
    if (resize_volumes(j, err) < 0)
        return -1;
    if (gpt_verify(j, err) < 0 || interrupted(err) < 0 || convert_out(j, err) < 0)
        return -1;
    return swap_in(j, err);
}

static int
check_dest(struct job *j, struct ab_error *err)
{
    struct stat st;
    if (stat(j->o->image, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", j->o->image, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ab_build_error(err, 0, "'%s' is not a regular file", j->o->image);
    j->mode = st.st_mode;
    j->uid = st.st_uid;
    j->gid = st.st_gid;
    if (!j->o->output) {
        if (!(j->real_image = realpath(j->o->image, NULL)))
            return ab_build_error(err, errno, "cannot resolve '%s': %s", j->o->image,
                                  strerror(errno));
        j->dest = j->real_image;
    }
    if (j->o->output && lstat(j->o->output, &st) == 0)
        return ab_build_error(err, EEXIST, "'%s' exists: the output must be a new file",
                              j->o->output);
    return 0;
}

int
resize_run(const struct resize_opts *o, struct resize_layout *l, struct ab_error *err)
{
    struct job j = {.o = o, .l = l, .dest = o->output ? o->output : o->image};
    memset(l, 0, sizeof(*l));
    struct image_info info;
    step(&j, "checking the image");
    if (check_dest(&j, err) < 0 || image_check(o->image, o->image, &info, NULL, err) < 0)
        return -1;
    snprintf(l->format, sizeof(l->format), "%s", info.format);
    l->disk_size = info.virtual_size;
    int r = -1;
    if (new_size(&j, err) == 0 && (j.create_opts = format_options(o->image, l->format, err)) &&
        make_scratch(&j, err) == 0)
        r = resize_steps(&j, err);
    if (j.scratch && rm_rf(j.scratch, j.scratch) < 0 && r == 0)
        r = ab_build_error(err, errno, "cannot remove '%s': %s", j.scratch, strerror(errno));
    free(j.scratch);
    free(j.work);
    free(j.out);
    free(j.create_opts);
    free(j.real_image);
    return r;
}
