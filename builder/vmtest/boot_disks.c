/* boot_disks.c: which of an output folder's files to boot. */
#include "appliance/boot_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/image_check.h"

static const struct {
    const char *kind, *format;
    const char *folder, *ext; /* DIR/FOLDER NAME-DISK EXT */
} layouts[] = {
    {"qcow2", "qcow2", "", ".qcow2"},
    {"raw", "raw", "", ".raw"},
    {"img", "raw", "", ".img"}, /* raw, as builds named them before the exporters */
    {"ovf", "vmdk", "ovf/", ".vmdk"},
    {"vmdk", "vmdk", "", ".vmdk"},
    {"vdi", "vdi", "", ".vdi"},
    {"vhdx", "vhdx", "", ".vhdx"},
};

static const char *const disk_ids[2] = {"os", "app"};

void
boot_disks_release(struct boot_disks *d)
{
    if (!d)
        return;
    for (int i = 0; i < 2; i++) {
        free(d->file[i]);
        free(d->backing[i]);
        free(d->member[i]);
    }
    memset(d, 0, sizeof(*d));
}

/* 1: both files of layout l exist; 0: neither; -1: only one (an error). */
static int
try_layout(size_t l, const char *dir, const char *name, struct boot_disks *d, struct ab_error *err)
{
    char *path[2] = {NULL, NULL};
    int present = 0;
    for (int i = 0; i < 2; i++) {
        if (asprintf(&path[i], "%s/%s%s-%s%s", dir, layouts[l].folder, name, disk_ids[i],
                     layouts[l].ext) < 0) {
            free(i ? path[0] : NULL);
            return ab_oom(err);
        }
        present += access(path[i], F_OK) == 0;
    }
    if (present == 1) {
        int missing = access(path[0], F_OK) == 0;
        ab_build_error(err, ENOENT, "'%s' has '%s' but not '%s'", dir,
                       strrchr(path[!missing], '/') + 1, strrchr(path[missing], '/') + 1);
    }
    if (present != 2) {
        free(path[0]);
        free(path[1]);
        return present == 1 ? -1 : 0;
    }
    d->kind = layouts[l].kind;
    d->format = layouts[l].format;
    for (int i = 0; i < 2; i++) {
        d->file[i] = path[i];
        if (!(d->backing[i] = realpath(path[i], NULL)))
            return ab_build_error(err, errno, "cannot resolve '%s': %s", path[i], strerror(errno));
    }
    return 1;
}

static int
try_ova(const char *dir, const char *name, struct boot_disks *d, struct ab_error *err)
{
    CLEANUP_FREE char *ova = NULL;
    if (asprintf(&ova, "%s/%s.ova", dir, name) < 0)
        return ab_oom(err);
    if (access(ova, F_OK) < 0)
        return 0;
    CLEANUP_FREE char *abs = realpath(ova, NULL);
    if (!abs)
        return ab_build_error(err, errno, "cannot resolve '%s': %s", ova, strerror(errno));
    for (int i = 0; i < 2; i++) {
        CLEANUP_FREE char *member = NULL;
        uint64_t offset, size;
        if (asprintf(&member, "%s-%s.vmdk", name, disk_ids[i]) < 0)
            return ab_oom(err);
        int r = boot_tar_find(abs, member, &offset, &size, err);
        if (r < 0)
            return -1;
        if (r == 0)
            return ab_build_error(err, ENOENT, "'%s' holds no '%s'", ova, member);
        /* qemu reads the VMDK in place, through a raw node over its bytes. */
        d->offset[i] = offset;
        d->length[i] = size;
        if (!(d->file[i] = strdup(ova)) || !(d->member[i] = strdup(member)) ||
            !(d->backing[i] = image_member_name("vmdk", abs, offset, size)))
            return ab_oom(err);
    }
    d->kind = "ova";
    d->format = "vmdk";
    return 1;
}

int
boot_disks_find(const char *dir, const char *name, struct boot_disks *d, struct ab_error *err)
{
    memset(d, 0, sizeof(*d));
    int r = 0;
    for (size_t l = 0; r == 0 && l < sizeof(layouts) / sizeof(layouts[0]); l++)
        r = try_layout(l, dir, name, d, err);
    if (r == 0)
        r = try_ova(dir, name, d, err);
    if (r == 0)
        ab_build_error(err, ENOENT,
                       "no disks of '%s' in '%s' (looked for %s-os.qcow2, .raw, .img, "
                       "ovf/%s-os.vmdk, .vmdk, .vdi, .vhdx and %s.ova)",
                       name, dir, name, name, name);
    if (r <= 0) {
        boot_disks_release(d);
        return -1;
    }
    return 0;
}

/* One disk as image_check sees it: refused when it names another file, or
 * when it is not in the format its name promises (the format qemu will be
 * told). */
static int
check_one(const struct boot_disks *d, int i, struct ab_error *err)
{
    struct image_info info;
    CLEANUP_FREE char *label = NULL;
    if (d->member[i] && asprintf(&label, "%s:%s", d->file[i], d->member[i]) < 0) {
        label = NULL;
        return ab_oom(err);
    }
    int r = d->member[i]
                ? image_check_member(d->file[i], d->offset[i], d->length[i], label, &info, err)
                : image_check(d->file[i], d->file[i], &info, err);
    if (r < 0)
        return -1;
    if (strcmp(info.format, d->format) != 0)
        return ab_build_error(err, 0, "'%s' is a %s image, not %s as its name says",
                              label ? label : d->file[i], info.format, d->format);
    return 0;
}

int
boot_disks_check(const struct boot_disks *d, struct ab_error *err)
{
    for (int i = 0; i < 2; i++)
        if (check_one(d, i, err) < 0)
            return -1;
    return 0;
}

/* ---- tar ---------------------------------------------------------------- */

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
boot_tar_find(const char *path, const char *member, uint64_t *offset, uint64_t *size,
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
