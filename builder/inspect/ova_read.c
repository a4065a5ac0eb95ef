/* ova_read.c: one streaming pass over an OVA with libarchive. */
#include "ova_read.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "appliance/cleanup.h"
#include "appliance/manifest.h"

#define BUF_SIZE (1 << 20)
#define MAX_TEXT (16 << 20)

/* The archive's bytes come through here, so that the whole file can be
 * digested on the way (and skipped with lseek when it need not be). */
struct source {
    int fd;
    char *buf;
    struct digest_ctx *whole; /* NULL: no whole-file digest */
};

static la_ssize_t
source_read(struct archive *a, void *ctx, const void **buf)
{
    struct source *s = ctx;
    ssize_t n;
    do
        n = read(s->fd, s->buf, BUF_SIZE);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "%s", strerror(errno));
        return -1;
    }
    if (s->whole)
        digest_update(s->whole, s->buf, (size_t)n);
    *buf = s->buf;
    return n;
}

static la_int64_t
source_skip(struct archive *a, void *ctx, la_int64_t request)
{
    struct source *s = ctx;
    (void)a;
    if (lseek(s->fd, (off_t)request, SEEK_CUR) < 0)
        return 0; /* not seekable: libarchive reads through instead */
    return request;
}

/* Feeds the rest of the file (past the end-of-archive blocks libarchive
 * stops at) to the whole-file digest. */
static int
drain(struct source *s)
{
    for (;;) {
        ssize_t n = read(s->fd, s->buf, BUF_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -1 : 0;
        digest_update(s->whole, s->buf, (size_t)n);
    }
}

void
ova_contents_release(struct ova_contents *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->members[i].name);
        free(c->members[i].extracted);
    }
    free(c->members);
    free(c->ovf_text);
    free(c->mf_text);
    *c = (struct ova_contents)OVA_CONTENTS_INIT;
}

static bool
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static bool
plain_name(const char *name)
{
    return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Which digests to compute for member name: those the manifest lists for
 * it, or all of them while there is no manifest yet. */
static unsigned
wanted_digests(const struct manifest *mf, bool have_mf, const char *name)
{
    if (!have_mf)
        return (1u << OVA_N_DIGESTS) - 1;
    unsigned bits = 0;
    for (size_t i = 0; i < mf->n; i++)
        if (strcmp(mf->entries[i].name, name) == 0)
            bits |= 1u << mf->entries[i].algo;
    return bits;
}

/* The state of one pass. */
struct pass {
    const char *path;
    struct archive *a;
    struct source src;
    const struct ova_read_opts *o;
    struct ova_contents *c;
    char *data;         /* member data; src.buf is libarchive's input */
    struct manifest mf; /* parsed when the .mf member has been read */
    bool have_mf;
};

static int
archive_failed(struct pass *p, struct ab_error *err, const char *what)
{
    const char *msg = archive_error_string(p->a);
    return ab_build_error(err, archive_errno(p->a), "%s OVA '%s': %s", what, p->path,
                          msg ? msg : "unknown libarchive error");
}

static int
write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Where member m's data goes while it streams. */
struct sink {
    struct digest_ctx *d[OVA_N_DIGESTS];
    int fd;
    char *text; /* the .ovf or .mf */
    size_t text_len;
    bool keep_text;
};

static void
sink_release(struct sink *k)
{
    for (int i = 0; i < OVA_N_DIGESTS; i++)
        digest_free(k->d[i]);
    if (k->fd >= 0)
        close(k->fd);
    free(k->text);
}

static int
sink_open(struct pass *p, struct ova_member *m, struct sink *k, struct ab_error *err)
{
    if (k->keep_text && m->size > MAX_TEXT)
        return ab_build_error(err, EFBIG, "member '%s' of OVA '%s' is too large (%ju bytes)",
                              m->name, p->path, (uintmax_t)m->size);
    if (k->keep_text && !(k->text = malloc((size_t)m->size + 1)))
        return ab_oom(err);
    unsigned want =
        p->o->flags & OVA_READ_DIGESTS ? wanted_digests(&p->mf, p->have_mf, m->name) : 0;
    for (int i = 0; i < OVA_N_DIGESTS; i++)
        if ((want & (1u << i)) && !(k->d[i] = digest_new((enum digest)i)))
            return ab_oom(err);
    if (!m->plain || !p->o->extract || !p->o->extract(p->o->ctx, m->name))
        return 0;
    if (asprintf(&m->extracted, "%s/%s", p->o->scratch, m->name) < 0) {
        m->extracted = NULL;
        return ab_oom(err);
    }
    k->fd = open(m->extracted, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (k->fd < 0)
        return ab_build_error(err, errno, "cannot create '%s': %s", m->extracted, strerror(errno));
    return 0;
}

static int
sink_data(struct pass *p, struct ova_member *m, struct sink *k, const char *buf, size_t n,
          struct ab_error *err)
{
    for (int i = 0; i < OVA_N_DIGESTS; i++)
        if (k->d[i])
            digest_update(k->d[i], buf, n);
    if (k->text) {
        if (k->text_len + n > m->size)
            return ab_build_error(err, 0, "member '%s' of OVA '%s' is longer than its header says",
                                  m->name, p->path);
        memcpy(k->text + k->text_len, buf, n);
        k->text_len += n;
    }
    if (k->fd >= 0 && write_all(k->fd, buf, n) < 0)
        return ab_build_error(err, errno, "cannot write '%s': %s", m->extracted, strerror(errno));
    return 0;
}

static int
sink_close(struct pass *p, struct ova_member *m, struct sink *k, struct ab_error *err)
{
    for (int i = 0; i < OVA_N_DIGESTS; i++)
        if (k->d[i]) {
            digest_hex(k->d[i], m->hex[i]);
            m->hashed |= 1u << i;
        }
    if (k->fd >= 0) {
        int fd = k->fd;
        k->fd = -1;
        if (close(fd) < 0)
            return ab_build_error(err, errno, "cannot write '%s': %s", m->extracted,
                                  strerror(errno));
    }
    if (!k->text)
        return 0;
    k->text[k->text_len] = '\0';
    struct ova_contents *c = p->c;
    bool ovf = c->ovf == (int)(m - c->members);
    char **text = ovf ? &c->ovf_text : &c->mf_text;
    *(ovf ? &c->ovf_len : &c->mf_len) = k->text_len;
    *text = k->text;
    k->text = NULL;
    if (!ovf) {
        /* A bad manifest is the caller's to report; here it only decides
         * which digests the later members get. */
        struct ab_error ignored = AB_ERROR_INIT;
        manifest_parse_mf(m->name, c->mf_text, c->mf_len, &p->mf, &ignored);
        ab_error_release(&ignored);
        p->have_mf = true;
    }
    return 0;
}

static int
read_member_data(struct pass *p, struct ova_member *m, bool keep_text, struct ab_error *err)
{
    struct sink k = {.fd = -1, .keep_text = keep_text};
    int rc = sink_open(p, m, &k, err);
    bool needed = keep_text || k.fd >= 0;
    for (int i = 0; i < OVA_N_DIGESTS; i++)
        needed = needed || k.d[i];
    if (rc == 0 && !needed) {
        sink_release(&k);
        return archive_read_data_skip(p->a) == ARCHIVE_OK ? 0
                                                          : archive_failed(p, err, "cannot read");
    }
    while (rc == 0) {
        la_ssize_t n = archive_read_data(p->a, p->data, BUF_SIZE);
        if (p->o->stop && *p->o->stop)
            rc = ab_build_error(err, EINTR, "reading OVA '%s': interrupted", p->path);
        else if (n < 0)
            rc = archive_failed(p, err, "cannot read");
        else if (n == 0)
            rc = sink_close(p, m, &k, err) < 0 ? -1 : 1;
        else
            rc = sink_data(p, m, &k, p->data, (size_t)n, err);
    }
    sink_release(&k);
    return rc < 0 ? -1 : 0;
}

static struct ova_member *
add_member(struct pass *p, struct archive_entry *e, struct ab_error *err)
{
    struct ova_contents *c = p->c;
    struct ova_member *grown = realloc(c->members, (c->n + 1) * sizeof(*grown));
    const char *name = archive_entry_pathname(e);
    if (grown)
        c->members = grown;
    if (!grown || !(name = strdup(name ? name : ""))) {
        ab_oom(err);
        return NULL;
    }
    struct ova_member *m = &c->members[c->n++];
    *m = (struct ova_member){.name = (char *)name};
    m->size = archive_entry_size_is_set(e) ? (uint64_t)archive_entry_size(e) : 0;
    m->plain = archive_entry_filetype(e) == AE_IFREG && plain_name(m->name);
    return m;
}

static int
read_members(struct pass *p, struct ab_error *err)
{
    struct ova_contents *c = p->c;
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(p->a, &e);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r < ARCHIVE_WARN)
            return archive_failed(p, err, "cannot read");
        struct ova_member *m = add_member(p, e, err);
        if (!m)
            return -1;
        int index = (int)(m - c->members);
        bool keep = false;
        if (m->plain && c->ovf < 0 && ends_with(m->name, ".ovf")) {
            c->ovf = index;
            keep = true;
        } else if (m->plain && c->mf < 0 && ends_with(m->name, ".mf")) {
            c->mf = index;
            keep = true;
        }
        if (read_member_data(p, m, keep, err) < 0)
            return -1;
    }
}

static int
open_archive(struct pass *p, struct ab_error *err)
{
    p->src.fd = open(p->path, O_RDONLY | O_CLOEXEC);
    if (p->src.fd < 0)
        return ab_build_error(err, errno, "cannot read OVA '%s': %s", p->path, strerror(errno));
    if (!(p->src.buf = malloc(BUF_SIZE)) || !(p->data = malloc(BUF_SIZE)) ||
        !(p->a = archive_read_new()))
        return ab_oom(err);
    if ((p->o->flags & OVA_READ_DIGESTS) && !(p->src.whole = digest_new(DIGEST_SHA256)))
        return ab_oom(err);
    archive_read_support_format_tar(p->a);
    archive_read_set_callback_data(p->a, &p->src);
    archive_read_set_read_callback(p->a, source_read);
    /* Skipping by lseek would hide bytes from the whole-file digest, and
     * extraction reads every member anyway. */
    if (!p->src.whole && !p->o->extract)
        archive_read_set_skip_callback(p->a, source_skip);
    if (archive_read_open1(p->a) != ARCHIVE_OK)
        return archive_failed(p, err, "cannot read");
    return 0;
}

int
ova_read(const char *path, const struct ova_read_opts *o, struct ova_contents *c,
         struct ab_error *err)
{
    struct pass p = {.path = path, .src = {.fd = -1}, .o = o, .c = c, .mf = MANIFEST_INIT};
    int rc = open_archive(&p, err);
    if (rc == 0)
        rc = read_members(&p, err);
    if (rc == 0 && p.src.whole) {
        if (drain(&p.src) < 0)
            rc = ab_build_error(err, errno, "cannot read OVA '%s': %s", path, strerror(errno));
        digest_hex(p.src.whole, c->whole_sha256);
        c->has_whole = rc == 0;
    }
    if (p.a)
        archive_read_free(p.a);
    digest_free(p.src.whole);
    free(p.src.buf);
    free(p.data);
    if (p.src.fd >= 0)
        close(p.src.fd);
    manifest_release(&p.mf);
    return rc;
}
