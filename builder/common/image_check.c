/* image_check.c: disk images from outside, refused when they refer to
 * other files (image_check.h). What each format's header holds is
 * image_format.h's; what to refuse, and how to say so, is this file's. */
#include "appliance/image_check.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/bytes.h"
#include "appliance/cleanup.h"
#include "appliance/image_format.h"
#include "appliance/spawn.h"

#define NAME_SHOWN 256                 /* a referenced name is shown up to this many bytes */
#define DESC_MAX (1u << 20)            /* a VMDK descriptor read for its parent and extents */
#define VMDK_PARENT_SPAN (20 * SECTOR) /* what qemu reads at 0x200 for the parent */

/* ---- reading the image's bytes ------------------------------------------ */

/* The image: length bytes from offset in fd. */
struct src {
    int fd;
    uint64_t offset, length;
};

/* Up to n bytes at image offset at; fewer at the end. -1 on a read error. */
static ssize_t
src_read(const struct src *s, uint64_t at, void *buf, size_t n)
{
    return image_pread(s->fd, s->offset, s->length, at, buf, n);
}

/* A NUL-terminated copy of up to max bytes at image offset at (NULL: no
 * memory, or a read error with errno set). */
static char *
src_text(const struct src *s, uint64_t at, size_t max, size_t *len)
{
    char *buf = malloc(max + 1);
    ssize_t n = buf ? src_read(s, at, buf, max) : -1;
    if (n < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = (size_t)n;
    return buf;
}

/* ---- the messages ------------------------------------------------------- */

/* name as it may be shown: control bytes as '?', at most NAME_SHOWN bytes. */
static void
shown(const char *name, size_t len, char out[NAME_SHOWN + 4])
{
    size_t o = 0;
    for (size_t i = 0; i < len && name[i] && o < NAME_SHOWN; i++)
        out[o++] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
    if (o == NAME_SHOWN && len > NAME_SHOWN && name[NAME_SHOWN])
        memcpy(out + o, "...", 3), o += 3;
    out[o] = '\0';
}

/* "'LABEL' names another file: WHAT 'NAME'; refusing ...". */
static int
refuse_ref(struct ab_error *err, const char *label, const char *what, const char *name, size_t len)
{
    char s[NAME_SHOWN + 4];
    shown(name, len, s);
    return ab_build_error(err, EPERM,
                          "'%s' names another file: %s '%s'; refusing an image that refers to "
                          "files outside itself",
                          label, what, s);
}

/* A reference whose name cannot be shown (a flag, an unnamed file). */
static int
refuse_unnamed(struct ab_error *err, const char *label, const char *what)
{
    return ab_build_error(
        err, EPERM, "'%s' %s; refusing an image that refers to files outside itself", label, what);
}

static int
refuse_format(struct ab_error *err, const char *label, const char *what)
{
    return ab_build_error(
        err, EPERM, "'%s' is %s, a format appliance cannot vouch for; refusing it", label, what);
}

static int
read_failed(struct ab_error *err, const char *label)
{
    return ab_build_error(err, errno, "cannot read disk image '%s': %s", label, strerror(errno));
}

/* ---- VMDK descriptors --------------------------------------------------- */

/* The start of the next line after p, or NULL at the end. */
static const char *
next_line(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? nl + 1 : NULL;
}

/* The quoted value of KEY="VALUE" in a descriptor (value and its length),
 * or false. */
static bool
desc_value(const char *text, const char *key, const char **value, size_t *len)
{
    size_t klen = strlen(key);
    for (const char *p = text; p && *p; p = next_line(p)) {
        const char *q = p + strspn(p, " \t");
        if (strncmp(q, key, klen) != 0)
            continue;
        q += klen;
        q += strspn(q, " \t");
        if (*q != '=')
            continue;
        q += 1 + strspn(q + 1, " \t");
        if (*q == '"')
            q++;
        *value = q;
        *len = strcspn(q, "\"\r\n");
        return true;
    }
    return false;
}

/* The file of a descriptor's first extent line ("RW 2048 FLAT "f" 0"). */
static bool
desc_extent(const char *text, const char **file, size_t *len)
{
    static const char *const access[] = {"RW ", "RDONLY ", "NOACCESS "};
    for (const char *p = text; p && *p; p = next_line(p)) {
        const char *q = p + strspn(p, " \t");
        for (size_t i = 0; i < sizeof(access) / sizeof(access[0]); i++) {
            if (strncmp(q, access[i], strlen(access[i])) != 0)
                continue;
            const char *quote = strchr(q, '"');
            const char *eol = q + strcspn(q, "\r\n");
            if (!quote || quote > eol)
                continue;
            *file = quote + 1;
            *len = strcspn(*file, "\"\r\n");
            return true;
        }
    }
    return false;
}

/* A descriptor on its own: its data are in the files its extents name. */
static int
refuse_descriptor(const char *text, const char *label, struct ab_error *err)
{
    const char *v;
    size_t len;
    if (desc_extent(text, &v, &len))
        return refuse_ref(err, label, "extent", v, len);
    if (desc_value(text, "parentFileNameHint", &v, &len))
        return refuse_ref(err, label, "parent", v, len);
    return refuse_unnamed(err, label,
                          "is a VMDK descriptor, whose data can only be in other files");
}

/* A descriptor naming a parent (a delta disk of a snapshot chain). */
static int
check_parent(const char *text, const char *label, struct ab_error *err)
{
    const char *v;
    size_t len;
    if (text && desc_value(text, "parentFileNameHint", &v, &len) && len)
        return refuse_ref(err, label, "parent", v, len);
    return 0;
}

/* ---- the formats (image_format.h) ------------------------------------- */

/* qcow2: its backing file, its external data file. */
static int
check_qcow2(const struct src *s, const unsigned char *h, const struct image_header *hd,
            const char *label, struct ab_error *err)
{
    if (hd->backing_offset) {
        size_t len = 0;
        uint32_t want = hd->backing_size < 1023 ? hd->backing_size : 1023;
        CLEANUP_FREE char *name = src_text(s, hd->backing_offset, want, &len);
        if (!name)
            return errno == ENOMEM ? ab_oom(err) : read_failed(err, label);
        return len ? refuse_ref(err, label, "backing file", name, len)
                   : refuse_unnamed(err, label, "has a backing file");
    }
    if (hd->data_file_at)
        return refuse_ref(err, label, "data file", (const char *)h + hd->data_file_at,
                          hd->data_file_len);
    if (hd->data_file)
        return refuse_unnamed(err, label, "keeps its data in an external data file");
    return 0;
}

/* A sparse VMDK: qemu reads the file as its own extent, unless its
 * capacity is 0, when it reads the embedded descriptor as a descriptor
 * file, extents and all. Its parent, if any, is named by the descriptor
 * qemu reads at 0x200. */
static int
check_vmdk4(const struct src *s, const struct image_header *hd, const char *label,
            struct ab_error *err)
{
    CLEANUP_FREE char *desc = NULL;
    if (hd->desc_sector && hd->desc_sector < UINT64_MAX / SECTOR) {
        uint64_t size = hd->desc_sectors < DESC_MAX / SECTOR ? hd->desc_sectors * SECTOR : DESC_MAX;
        if (!(desc = src_text(s, hd->desc_sector * SECTOR, (size_t)size, NULL)))
            return errno == ENOMEM ? ab_oom(err) : read_failed(err, label);
    }
    if (hd->capacity == 0) {
        if (desc && *desc)
            return refuse_descriptor(desc, label, err);
        return refuse_format(err, label, "a sparse VMDK without capacity or descriptor");
    }
    CLEANUP_FREE char *at_0x200 = src_text(s, SECTOR, VMDK_PARENT_SPAN, NULL);
    if (!at_0x200)
        return errno == ENOMEM ? ab_oom(err) : read_failed(err, label);
    if (check_parent(desc, label, err) < 0 || check_parent(at_0x200, label, err) < 0)
        return -1;
    return 0;
}

/* A differencing VHD or VDI: its parent is another file. */
static int
check_differencing(const struct image_header *hd, const char *label, struct ab_error *err)
{
    char what[96];
    if (!hd->differencing)
        return 0;
    snprintf(what, sizeof(what), "is %s, whose parent is another file", hd->differencing);
    return refuse_unnamed(err, label, what);
}

/* Every reference the header of format f shows, refused. */
static int
check_header(const struct src *s, const struct image_format *f, const unsigned char *h, size_t n,
             const char *label, struct ab_error *err)
{
    struct image_header hd = {0};
    if (f->kind == IMAGE_KIND_DESCRIPTOR)
        return refuse_descriptor((const char *)h, label, err);
    if (f->kind == IMAGE_KIND_REFUSED)
        return refuse_format(err, label, f->what);
    if (f->read)
        f->read(h, n, &hd);
    if (hd.odd)
        return refuse_format(err, label, hd.odd);
    if (f->refs & IMAGE_REF_BACKING)
        return check_qcow2(s, h, &hd, label, err);
    if (f->refs & IMAGE_REF_EXTENTS)
        return check_vmdk4(s, &hd, label, err);
    return check_differencing(&hd, label, err);
}

int
image_sniff(int fd, uint64_t offset, uint64_t length, const char *label,
            char format[IMAGE_FORMAT_MAX], struct ab_error *err)
{
    struct src s = {fd, offset, length};
    unsigned char h[IMAGE_HEAD_SIZE + 1];
    ssize_t n = src_read(&s, 0, h, IMAGE_HEAD_SIZE);
    if (n < 0)
        return read_failed(err, label);
    h[n] = '\0'; /* the descriptor's probe reads it as text */
    const struct image_format *f = image_format_probe(h, (size_t)n);
    if (f && check_header(&s, f, h, (size_t)n, label, err) < 0)
        return -1;
    /* A fixed VHD has its footer only at the end. */
    unsigned char footer[SECTOR];
    struct image_header hd;
    if (!f && length >= 2 * SECTOR && src_read(&s, length - SECTOR, footer, SECTOR) == SECTOR)
        f = image_format_probe_footer(footer, &hd);
    snprintf(format, IMAGE_FORMAT_MAX, "%s", f ? f->name : "raw");
    return 0;
}

/* ---- what qemu-img says ------------------------------------------------- */

static json_object *
get(json_object *o, const char *key)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *
get_string(json_object *o, const char *key)
{
    json_object *v = get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The object a "json:{...}" name stands for (to be put), or NULL. */
static json_object *
parse_json_name(const char *name)
{
    return name && strncmp(name, "json:", 5) == 0 ? json_tokener_parse(name + 5) : NULL;
}

/* True when a VMDK extent qemu reports is the image itself: its own file,
 * or, for a member, the raw node over it. */
static bool
is_self(const char *extent, const char *qemu_name)
{
    if (!extent)
        return false;
    if (strcmp(extent, qemu_name) == 0)
        return true;
    json_object *mine = parse_json_name(qemu_name), *theirs = parse_json_name(extent);
    bool same = mine && theirs && json_object_equal(get(mine, "file"), theirs);
    json_object_put(mine);
    json_object_put(theirs);
    return same;
}

static int
judge_vmdk(json_object *data, const char *qemu_name, const char *label, struct ab_error *err)
{
    json_object *extents = get(data, "extents");
    size_t n = extents && json_object_is_type(extents, json_type_array)
                   ? json_object_array_length(extents)
                   : 0;
    for (size_t i = 0; i < n; i++) {
        const char *file = get_string(json_object_array_get_idx(extents, i), "filename");
        if (!is_self(file, qemu_name))
            return file ? refuse_ref(err, label, "extent", file, strlen(file))
                        : refuse_unnamed(err, label, "has an extent qemu-img does not name");
    }
    const char *type = get_string(data, "create-type");
    if (!type || (strcmp(type, "monolithicSparse") != 0 && strcmp(type, "streamOptimized") != 0))
        return ab_build_error(err, EPERM,
                              "'%s' is a VMDK of type '%s'; only monolithicSparse and "
                              "streamOptimized VMDKs hold their data in themselves",
                              label, type ? type : "?");
    return 0;
}

/* Every reference qemu-img reports: backing file, data file, extents,
 * child nodes (qemu 8 and later list them) other than the file. */
static int
judge_refs(json_object *j, const char *qemu_name, const char *format, const char *label,
           struct ab_error *err)
{
    static const char *const backing[] = {"backing-filename", "full-backing-filename"};
    for (size_t i = 0; i < 2; i++) {
        const char *b = get_string(j, backing[i]);
        if (b)
            return refuse_ref(err, label, "backing file", b, strlen(b));
    }
    json_object *spec = get(j, "format-specific"), *data = get(spec, "data");
    const char *type = get_string(spec, "type");
    const char *data_file = get_string(data, "data-file");
    if (type && strcmp(type, "qcow2") == 0 && (data_file || get(data, "data-file-raw")))
        return data_file ? refuse_ref(err, label, "data file", data_file, strlen(data_file))
                         : refuse_unnamed(err, label, "keeps its data in an external data file");
    if (strcmp(format, "vmdk") == 0 && judge_vmdk(data, qemu_name, label, err) < 0)
        return -1;
    json_object *children = get(j, "children");
    size_t n = children && json_object_is_type(children, json_type_array)
                   ? json_object_array_length(children)
                   : 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = get_string(json_object_array_get_idx(children, i), "name");
        if (!name || strcmp(name, "file") != 0)
            return refuse_ref(err, label, "node", name ? name : "?", name ? strlen(name) : 1);
    }
    return 0;
}

int
image_judge_info(const char *json, const char *qemu_name, const char *label, const char *format,
                 struct image_info *info, struct ab_error *err)
{
    json_object *j = json ? json_tokener_parse(json) : NULL;
    const char *said = get_string(j, "format");
    json_object *vsize = get(j, "virtual-size");
    int rc = 0;
    if (!j || !json_object_is_type(j, json_type_object) || !said || !vsize ||
        !json_object_is_type(vsize, json_type_int))
        rc = ab_build_error(err, 0, "cannot read what 'qemu-img info' says of '%s'", label);
    else if (strcmp(said, format) != 0)
        rc = ab_build_error(err, 0, "'%s' looks like a %s image, but qemu-img reads it as %s",
                            label, format, said);
    else
        rc = judge_refs(j, qemu_name, format, label, err);
    if (rc == 0) {
        snprintf(info->format, sizeof(info->format), "%s", format);
        info->virtual_size = (uint64_t)json_object_get_int64(vsize);
    }
    json_object_put(j);
    return rc;
}

/* ---- the whole check ---------------------------------------------------- */

char *
image_member_name(const char *format, const char *path, uint64_t offset, uint64_t length)
{
    json_object *file = json_object_new_object();
    json_object_object_add(file, "driver", json_object_new_string("file"));
    json_object_object_add(file, "filename", json_object_new_string(path));
    json_object *raw = json_object_new_object();
    json_object_object_add(raw, "driver", json_object_new_string("raw"));
    json_object_object_add(raw, "offset", json_object_new_int64((int64_t)offset));
    json_object_object_add(raw, "size", json_object_new_int64((int64_t)length));
    json_object_object_add(raw, "file", file);
    json_object *top = json_object_new_object();
    json_object_object_add(top, "driver", json_object_new_string(format));
    json_object_object_add(top, "file", raw);
    char *s = NULL;
    if (asprintf(&s, "json:%s",
                 json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
        s = NULL;
    json_object_put(top);
    return s;
}

/* qemu-img info of the image, after image_sniff passed it: format given,
 * never probed; shared locks, for an image a VM has open. */
static int
qemu_info(const char *qemu_name, const char *format, const char *label, struct image_info *info,
          const struct spawn_ctx *ctx, struct ab_error *err)
{
    bool json_name = strncmp(qemu_name, "json:", 5) == 0;
    const char *argv[] = {"qemu-img", "info", "--output=json", "-U", "-f", format, qemu_name, NULL};
    if (json_name) /* the driver is in the name */
        argv[4] = qemu_name, argv[5] = NULL;
    CLEANUP_FREE char *out = NULL;
    struct spawn_opts o = {.ctx = ctx, .output = &out};
    if (spawn_run(argv, &o, err) < 0) {
        ab_error_prefix(err, "while reading disk image '%s'", label);
        return -1;
    }
    return image_judge_info(out, qemu_name, label, format, info, err);
}

/* Opens path without blocking on a FIFO or taking a terminal; a regular
 * file only. */
static int
open_image(const char *path, const char *label, struct stat *st, struct ab_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return ab_build_error(err, errno, "cannot read disk image '%s': %s", label,
                              strerror(errno));
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        int e = errno;
        close(fd);
        return ab_build_error(err, e, "disk image '%s' is not a regular file", label);
    }
    return fd;
}

int
image_check(const char *path, const char *label, struct image_info *info,
            const struct spawn_ctx *ctx, struct ab_error *err)
{
    /* Absolute: qemu would take "x:y" for a protocol. */
    CLEANUP_FREE char *real = realpath(path, NULL);
    if (!real)
        return ab_build_error(err, errno, "cannot read disk image '%s': %s", label,
                              strerror(errno));
    struct stat st;
    CLEANUP_CLOSE int fd = open_image(real, label, &st, err);
    char format[IMAGE_FORMAT_MAX];
    if (fd < 0 || image_sniff(fd, 0, (uint64_t)st.st_size, label, format, err) < 0)
        return -1;
    return qemu_info(real, format, label, info, ctx, err);
}

int
image_check_member(const char *path, uint64_t offset, uint64_t length, const char *label,
                   struct image_info *info, const struct spawn_ctx *ctx, struct ab_error *err)
{
    CLEANUP_FREE char *real = realpath(path, NULL);
    if (!real)
        return ab_build_error(err, errno, "cannot read '%s': %s", path, strerror(errno));
    struct stat st;
    CLEANUP_CLOSE int fd = open_image(real, label, &st, err);
    if (fd < 0)
        return -1;
    if (offset > (uint64_t)st.st_size || length > (uint64_t)st.st_size - offset)
        return ab_build_error(err, 0, "disk image '%s' goes past the end of '%s'", label, path);
    char format[IMAGE_FORMAT_MAX];
    if (image_sniff(fd, offset, length, label, format, err) < 0)
        return -1;
    CLEANUP_FREE char *name = image_member_name(format, real, offset, length);
    if (!name)
        return ab_oom(err);
    return qemu_info(name, format, label, info, ctx, err);
}
