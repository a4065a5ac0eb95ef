/* export_ova.c: the OVF bundle (two streamOptimized VMDKs, the .ovf, the
 * .mf) and the OVA, a tar of it in the order importers demand. */
#include "exporter.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/fsutil.h"
#include "appliance/hash.h"
#include "appliance/ovf.h"
#include "appliance/stop.h"
#include "image_ids.h"
#include "vmdk.h"

/* Strict ustar stores a member's size in 11 octal digits. */
#define USTAR_MAX_SIZE ((UINT64_C(1) << 33) - 1)

/* VMware's spelling of a manifest digest. */
static const char *
manifest_algo(enum digest algo)
{
    switch (algo) {
    case DIGEST_SHA1:
        return "SHA1";
    case DIGEST_SHA512:
        return "SHA512";
    case DIGEST_SHA256:
        break;
    }
    return "SHA256";
}

int
export_manifest_line(enum digest algo, const char *dir, const char *name, char **line,
                     struct ab_error *err)
{
    CLEANUP_FREE char *path = NULL;
    char hex[HASH_HEX_MAX];
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return ab_oom(err);
    if (digest_file(algo, path, hex, err) < 0)
        return -1;
    if (asprintf(line, "%s(%s)= %s\n", manifest_algo(algo), name, hex) < 0)
        return ab_oom(err);
    return 0;
}

static enum vmdk_adapter
adapter_of(enum controller c)
{
    /* VMware has no SATA adapter type; its SATA disks say lsilogic too. */
    return c == CONTROLLER_IDE ? VMDK_ADAPTER_IDE : VMDK_ADAPTER_LSILOGIC;
}

struct vmdk_progress {
    const struct export_job *job;
    const char *what;
};

static void
vmdk_progress(uint64_t done, uint64_t total, void *opaque)
{
    struct vmdk_progress *p = opaque;
    p->job->progress(p->job->progress_ctx, p->what, done, total);
}

/* The manifest of names[0..3), whose digests in the plan's algorithm are
 * hexes[i] where known (non-empty), else read from the files. */
static int
write_manifest(const struct plan *plan, const char *dir, const char *const names[3],
               const char *const hexes[3], struct ab_error *err)
{
    CLEANUP_FREE char *path = NULL, *text = NULL;
    size_t len = 0;
    CLEANUP_FCLOSE FILE *mem = open_memstream(&text, &len);
    if (!mem)
        return ab_oom(err);
    for (int i = 0; i < 3; i++) {
        CLEANUP_FREE char *line = NULL;
        if (hexes[i][0]) {
            if (asprintf(&line, "%s(%s)= %s\n", manifest_algo(plan->ova_digest), names[i],
                         hexes[i]) < 0)
                return ab_oom(err);
        } else if (export_manifest_line(plan->ova_digest, dir, names[i], &line, err) < 0)
            return -1;
        fputs(line, mem);
    }
    if (fclose(mem) != 0) {
        mem = NULL;
        return ab_oom(err);
    }
    mem = NULL;
    if (!(path = delivery_path(plan, dir, ".mf")))
        return ab_oom(err);
    return write_file(NULL, path, text, 0644, err);
}

/* The digests of a VMDK made while it is written: SHA-256 (SHA256SUMS,
 * the cache) and the manifest's algorithm when it is another. */
struct vmdk_digests {
    struct digest_ctx *sha256, *manifest; /* manifest NULL: sha256's */
};

static void
vmdk_digests_update(const void *buf, size_t len, void *opaque)
{
    struct vmdk_digests *d = opaque;
    digest_update(d->sha256, buf, len);
    if (d->manifest)
        digest_update(d->manifest, buf, len);
}

struct ovf_vmdk_ctx {
    const char *href;    /* its name in the OVF */
    uint64_t *populated; /* the writer's count of the disk's data */
    char *sha256;        /* HASH_HEX_MAX: its SHA-256, once written */
    char *manifest;      /* HASH_HEX_MAX: its digest in the plan's algorithm */
};

/* One disk's streamOptimized VMDK (export_disk_fn), hashed as it is written. */
static int
ovf_vmdk(const struct export_job *job, enum plan_disk_id disk, const char *raw, const char *path,
         const void *opaque, struct ab_error *err)
{
    const struct ovf_vmdk_ctx *c = opaque;
    struct vmdk_progress p = {job, c->href};
    struct vmdk_opts o = VMDK_OPTS_INIT;
    struct image_id_key key;
    CLEANUP_DIGEST struct digest_ctx *sha256 = digest_new(DIGEST_SHA256);
    CLEANUP_DIGEST struct digest_ctx *other =
        job->plan->ova_digest == DIGEST_SHA256 ? NULL : digest_new(job->plan->ova_digest);
    struct vmdk_digests digests = {sha256, other};
    if (!sha256 || (job->plan->ova_digest != DIGEST_SHA256 && !other))
        return ab_oom(err);
    image_id_key_for(job->plan, disk, "vmdk-stream", &key);
    o.adapter = adapter_of(job->plan->hardware.controller);
    o.cid = image_id_cid(&key);
    o.populated = c->populated;
    o.hw_version = job->plan->ova.hardware_version; /* the OVF's vmx-NN */
    o.stop = stop_flag();
    o.written = vmdk_digests_update;
    o.written_opaque = &digests;
    if (job->progress) {
        o.progress = vmdk_progress;
        o.progress_opaque = &p;
    }
    if (vmdk_stream_write(raw, path, &o, err) < 0)
        return -1;
    digest_hex(sha256, c->sha256);
    if (other)
        digest_hex(other, c->manifest);
    else
        memcpy(c->manifest, c->sha256, HASH_HEX_MAX);
    return export_digests_set(job->digests, path, c->sha256, err);
}

/* A VMDK's digest in the manifest's algorithm: the writer's for one just
 * written (kept beside its cache entry for the next build), else the one
 * kept there, else the one being made for SHA256SUMS, else read from the
 * file. */
static int
vmdk_manifest_digest(const struct export_job *job, const char *path, const struct ovf_vmdk_ctx *c,
                     bool written, struct ab_error *err)
{
    const struct export_reuse *r = job->reuse;
    enum digest algo = job->plan->ova_digest;
    if (written) {
        if (r && r->keep_digest) {
            r->keep_digest(r->ctx, path, DIGEST_SHA256, c->sha256);
            if (algo != DIGEST_SHA256)
                r->keep_digest(r->ctx, path, algo, c->manifest);
        }
        return 0;
    }
    if (r && r->digest && r->digest(r->ctx, path, algo, c->manifest) > 0)
        return 0;
    /* A SHA-256 not kept is being made for SHA256SUMS (export_disk_file_reused). */
    struct ab_error ignored = AB_ERROR_INIT;
    int known =
        algo == DIGEST_SHA256 ? export_digests_get(job->digests, path, c->manifest, &ignored) : 0;
    ab_error_release(&ignored);
    if (known <= 0 && digest_file(algo, path, c->manifest, err) < 0)
        return -1;
    if (r && r->keep_digest)
        r->keep_digest(r->ctx, path, algo, c->manifest);
    return 0;
}

/* The OVF's populatedSize as the VMDK writer counts it (vmdk.h): the bytes
 * of the disk's non-zero 64 KiB grains, the last one cut at the end; read
 * from the raw disk's data extents only. */
static int
populated_bytes(const char *raw, uint64_t *out, struct ab_error *err)
{
    enum { GRAIN = 65536 };
    CLEANUP_CLOSE int fd = open(raw, O_RDONLY | O_CLOEXEC);
    CLEANUP_FREE unsigned char *buf = malloc(GRAIN);
    static const unsigned char zero[GRAIN];
    struct stat st;
    if (!buf)
        return ab_oom(err);
    if (fd < 0 || fstat(fd, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", raw, strerror(errno));
    uint64_t size = (uint64_t)st.st_size, total = 0, next = 0; /* first grain not yet counted */
    off_t pos = 0;
    while ((uint64_t)pos < size) {
        off_t data = lseek(fd, pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            break;
        off_t hole = data < 0 ? -1 : lseek(fd, data, SEEK_HOLE);
        if (hole < 0)
            return ab_build_error(err, errno, "cannot read '%s': %s", raw, strerror(errno));
        for (uint64_t g = (uint64_t)data / GRAIN * GRAIN; g < (uint64_t)hole; g += GRAIN) {
            if (g < next)
                continue;
            size_t len = size - g < GRAIN ? (size_t)(size - g) : GRAIN;
            ssize_t n = pread(fd, buf, len, (off_t)g);
            if (n != (ssize_t)len)
                return ab_build_error(err, n < 0 ? errno : EIO, "cannot read '%s': %s", raw,
                                      strerror(n < 0 ? errno : EIO));
            if (memcmp(buf, zero, len) != 0)
                total += len;
            next = g + GRAIN;
        }
        pos = hole;
    }
    *out = total;
    return 0;
}

/* The OVF's populatedSize of a VMDK: the writer's count for one just
 * written (*populated set), kept beside its cache entry; for one reused,
 * the count kept there, else counted from the raw disk and kept. */
static int
vmdk_populated(const struct export_job *job, const char *path, const char *raw, uint64_t *populated,
               struct ab_error *err)
{
    const struct export_reuse *r = job->reuse;
    if (*populated == UINT64_MAX) {
        if (r && r->count && r->count(r->ctx, path, EXPORT_COUNT_POPULATED, populated) > 0)
            return 0;
        if (populated_bytes(raw, populated, err) < 0)
            return -1;
    }
    if (r && r->keep_count)
        r->keep_count(r->ctx, path, EXPORT_COUNT_POPULATED, *populated);
    return 0;
}

int
export_ovf_folder(const struct export_job *job, const char *dir, bool scratch,
                  struct ab_error *err)
{
    const struct plan *plan = job->plan;
    struct ovf_disk_file disks[PLAN_N_DISKS];
    char *hrefs[PLAN_N_DISKS] = {NULL, NULL};
    char sha256[PLAN_N_DISKS][HASH_HEX_MAX], manifest[PLAN_N_DISKS][HASH_HEX_MAX];
    CLEANUP_FREE char *ovf_name = NULL, *ovf_path = NULL;
    int rc = -1;

    if (mkdir_p(dir, 0755) < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", dir, strerror(errno));
    for (int i = 0; i < PLAN_N_DISKS; i++) {
        CLEANUP_FREE char *path = NULL;
        struct stat raw, out;
        if (!(hrefs[i] = export_disk_file(plan, (enum plan_disk_id)i, "vmdk"))) {
            ab_oom(err);
            goto out;
        }
        if (asprintf(&path, "%s/%s", dir, hrefs[i]) < 0) {
            path = NULL;
            ab_oom(err);
            goto out;
        }
        uint64_t populated = UINT64_MAX;
        struct ovf_vmdk_ctx ctx = {hrefs[i], &populated, sha256[i], manifest[i]};
        if (export_disk_file_reused(job, (enum plan_disk_id)i, "ovf.vmdk", path, scratch,
                                    ovf_vmdk, &ctx, err) < 0 ||
            vmdk_manifest_digest(job, path, &ctx, populated != UINT64_MAX, err) < 0)
            goto out;
        if (vmdk_populated(job, path, job->images[i], &populated, err) < 0)
            goto out;
        if (stat(job->images[i], &raw) < 0 || stat(path, &out) < 0) {
            ab_build_error(err, errno, "cannot stat '%s': %s", path, strerror(errno));
            goto out;
        }
        disks[i] = (struct ovf_disk_file){
            .href = hrefs[i],
            .size = (uint64_t)out.st_size,
            .capacity = (uint64_t)raw.st_size,
            .populated_size = populated,
        };
    }
    if (!(ovf_name = delivery_file(plan, ".ovf")) ||
        asprintf(&ovf_path, "%s/%s", dir, ovf_name) < 0) {
        ab_oom(err);
        goto out;
    }
    if (ovf_write(plan, disks, ovf_path, err) < 0)
        goto out;
    const char *names[3] = {ovf_name, hrefs[0], hrefs[1]};
    const char *hexes[3] = {"", manifest[0], manifest[1]};
    rc = write_manifest(plan, dir, names, hexes, err);
out:
    for (int i = 0; i < PLAN_N_DISKS; i++)
        free(hrefs[i]);
    return rc;
}

/* ---- the OVA ------------------------------------------------------------ */

static void
archive_cleanup(struct archive **a)
{
    if (*a)
        archive_write_free(*a);
}

static int
add_member(struct archive *a, const char *dir, const char *name, time_t mtime,
           struct ab_error *err)
{
    CLEANUP_FREE char *path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return ab_oom(err);
    CLEANUP_CLOSE int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

    struct archive_entry *e = archive_entry_new();
    if (!e)
        return ab_oom(err);
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, st.st_size);
    archive_entry_set_mtime(e, mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return ab_build_error(err, archive_errno(a), "cannot add '%s' to the OVA: %s", name,
                              archive_error_string(a));

    enum { CHUNK = 1 << 20 };
    CLEANUP_FREE char *buf = malloc(CHUNK);
    if (!buf)
        return ab_oom(err);
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
        if (n == 0)
            break;
        if (stop_requested())
            return ab_build_error(err, EINTR, "interrupted");
        if (archive_write_data(a, buf, (size_t)n) != n)
            return ab_build_error(err, archive_errno(a), "cannot write the OVA: %s",
                                  archive_error_string(a));
    }
    return 0;
}

int
export_ova_tar_format(const uint64_t *sizes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sizes[i] > USTAR_MAX_SIZE)
            return ARCHIVE_FORMAT_TAR_GNUTAR;
    return ARCHIVE_FORMAT_TAR_USTAR;
}

/* Where the tar's bytes go: the file, and its SHA-256 as they pass. */
struct tar_out {
    int fd;
    struct digest_ctx *sha256;
};

static la_ssize_t
tar_out_write(struct archive *a, void *opaque, const void *buf, size_t len)
{
    struct tar_out *t = opaque;
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(t->fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            archive_set_error(a, errno, "%s", strerror(errno));
            return -1;
        }
        p += n;
        left -= (size_t)n;
    }
    digest_update(t->sha256, buf, len);
    return (la_ssize_t)len;
}

/* Writes members (files of ovf_dir, in that order) to the tar tmp, its
 * SHA-256 into sha256. */
static int
write_tar(const char *ovf_dir, const char *const *members, size_t n, const char *tmp, int64_t epoch,
          char sha256[HASH_HEX_MAX], struct ab_error *err)
{
    uint64_t sizes[8];
    for (size_t i = 0; i < n && i < 8; i++) {
        CLEANUP_FREE char *path = NULL;
        struct stat st;
        if (asprintf(&path, "%s/%s", ovf_dir, members[i]) < 0)
            return ab_oom(err);
        if (stat(path, &st) < 0)
            return ab_build_error(err, errno, "cannot stat '%s': %s", path, strerror(errno));
        sizes[i] = (uint64_t)st.st_size;
    }
    CLEANUP_DIGEST struct digest_ctx *d = digest_new(DIGEST_SHA256);
    CLEANUP_CLOSE int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct tar_out out = {fd, d};
    __attribute__((cleanup(archive_cleanup))) struct archive *a = archive_write_new();
    if (!a || !d)
        return ab_oom(err);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", tmp, strerror(errno));
    /* A regular file's last block is not padded to 10 KiB: what
     * archive_write_open_filename does, and the OVAs have always been. */
    if (archive_write_set_format(a, export_ova_tar_format(sizes, n)) != ARCHIVE_OK ||
        archive_write_add_filter_none(a) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open2(a, &out, NULL, tar_out_write, NULL, NULL) != ARCHIVE_OK)
        return ab_build_error(err, archive_errno(a), "cannot create '%s': %s", tmp,
                              archive_error_string(a));
    /* Reproducible members: owner 0:0 without names, mode 0644 and the
     * mtime SOURCE_DATE_EPOCH, whatever the files' own. */
    time_t mtime = (time_t)epoch;
    for (size_t i = 0; i < n; i++)
        if (add_member(a, ovf_dir, members[i], mtime, err) < 0)
            return -1;
    if (archive_write_close(a) != ARCHIVE_OK)
        return ab_build_error(err, archive_errno(a), "cannot finish '%s': %s", tmp,
                              archive_error_string(a));
    int f = fd;
    fd = -1;
    if (close(f) < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", tmp, strerror(errno));
    digest_hex(d, sha256);
    return 0;
}

int
export_ova_pack(const struct plan *plan, const char *ovf_dir, const char *ova_path, int64_t epoch,
                char *sha256, struct ab_error *err)
{
    CLEANUP_FREE char *ovf = NULL, *mf = NULL, *tmp = NULL;
    CLEANUP_FREE char *os = export_disk_file(plan, PLAN_DISK_OS, "vmdk");
    CLEANUP_FREE char *app = export_disk_file(plan, PLAN_DISK_APP, "vmdk");
    char hex[HASH_HEX_MAX];
    if (!os || !app || !(ovf = delivery_file(plan, ".ovf")) || !(mf = delivery_file(plan, ".mf")) ||
        asprintf(&tmp, "%s.tmp", ova_path) < 0)
        return ab_oom(err);
    /* The descriptor first, the manifest second, then the disks in
     * References order: importers that stream the OVA read it in order. */
    const char *members[] = {ovf, mf, os, app};
    if (write_tar(ovf_dir, members, 4, tmp, epoch, hex, err) < 0 ||
        (rename(tmp, ova_path) < 0 &&
         ab_build_error(err, errno, "cannot rename '%s': %s", tmp, strerror(errno)) < 0)) {
        unlink(tmp);
        return -1;
    }
    if (sha256)
        memcpy(sha256, hex, HASH_HEX_MAX);
    return 0;
}

/* ---- the exporter ------------------------------------------------------- */

/* ovf/ when the plan keeps it, else a scratch folder; then NAME-VERSION.ova. */
static int
ovf_bundle_write(const struct exporter *self, const struct export_job *job, struct ab_error *err)
{
    (void)self;
    const struct plan *plan = job->plan;
    bool keep = plan->outputs & OUTPUT_OVF;
    CLEANUP_FREE char *ovf_dir = NULL, *ova = NULL;
    if (asprintf(&ovf_dir, "%s/%s", keep ? job->dir : job->work, keep ? "ovf" : "ova") < 0 ||
        !(ova = delivery_path(plan, job->dir, ".ova")))
        return ab_oom(err);
    if (export_ovf_folder(job, ovf_dir, !keep, err) < 0)
        return -1;
    if (plan->outputs & OUTPUT_OVA) {
        char sha256[HASH_HEX_MAX];
        export_step(job, export_base_name(ova));
        if (export_ova_pack(plan, ovf_dir, ova, job->epoch, sha256, err) < 0 ||
            export_digests_set(job->digests, ova, sha256, err) < 0)
            return -1;
    }
    if (!keep)
        rm_rf(job->work, ovf_dir);
    return 0;
}

const struct exporter exporter_ovf = {"ovf", OUTPUT_OVA | OUTPUT_OVF, NULL, ovf_bundle_write, NULL};
