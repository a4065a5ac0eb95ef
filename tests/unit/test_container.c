/* test_container.c: the container templates (export_container.h): the
 * image's name, the OCI documents read back with json-c, which packages a
 * container leaves out (configure.h's container_purged), and both archives
 * of a small tree read back with libarchive: member order and names,
 * clamped times, hard and symbolic links, the layer's digest as the
 * config's diff_id, and the same bytes from the same tree made in another
 * order. */
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <locale.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "appliance/cleanup.h"
#include "appliance/configure.h"
#include "appliance/export_container.h"
#include "appliance/fsutil.h"
#include "appliance/hash.h"
#include "export/exporter.h"

#define EPOCH INT64_C(1700000000)

static const char *
recipe_text(const char *version)
{
    static char buf[2048];
    int n = snprintf(buf, sizeof(buf),
                     "recipe: 1\n"
                     "name: ct\n"
                     "version: '%s'\n"
                     "vendor: Example\n"
                     "os: {distro: debian-12}\n"
                     "disks:\n"
                     "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 2GiB},"
                     " {name: log, mount: /var/log, size: rest}]}\n"
                     "  app: {size: 2GiB, volumes: [{name: app, mount: /opt/app, size: 1GiB},"
                     " {name: data, mount: /var/lib/ct, size: rest}]}\n"
                     "outputs: [container]\n",
                     version);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    return buf;
}

static void
test_ref(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe_text("1.2.3"));
    char *ref = container_ref(p);
    assert_string_equal(ref, "ct:1.2.3");
    free(ref);
    plan_free(p);
    p = unit_plan(recipe_text("2.0+build7~rc1"));
    ref = container_ref(p);
    assert_string_equal(ref, "ct:2.0-build7-rc1");
    free(ref);
    plan_free(p);
}

static void
test_time(void **state)
{
    (void)state;
    char t[32];
    container_time(0, t);
    assert_string_equal(t, "1970-01-01T00:00:00Z");
    container_time(EPOCH, t);
    assert_string_equal(t, "2023-11-14T22:13:20Z");
}

static const char *
get_str(struct json_object *o, const char *path)
{
    /* "a.b.c": object members only */
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    struct json_object *cur = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        assert_true(json_object_object_get_ex(cur, k, &cur));
    return json_object_get_string(cur);
}

/* An aarch64 appliance's images say arm64 (nodes of that architecture
 * pull them), and its KubeVirt VM asks for arm64 nodes with Secure Boot
 * off, which KubeVirt refuses on arm64; x86_64's VM names no
 * architecture and keeps Secure Boot. */
static void
test_arch(void **state)
{
    (void)state;
    for (int arm = 0; arm < 2; arm++) {
        char text[2048];
        const char *base = recipe_text("1.0");
        const char *cut = strstr(base, "disks:\n");
        assert_non_null(cut);
        snprintf(text, sizeof(text), "%.*shardware: {arch: %s, firmware: uefi}\n%s", (int)(cut - base), base,
                 arm ? "aarch64" : "x86_64", cut);
        const struct plan *p = unit_plan(text);
        char *config = container_config_json(p, EPOCH, "sha256:abc");
        struct json_object *o = json_tokener_parse(config);
        assert_non_null(o);
        assert_string_equal(get_str(o, "architecture"), arm ? "arm64" : "amd64");
        json_object_put(o);
        free(config);

        char *vm = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&vm, &len);
        assert_non_null(f);
        assert_int_equal(kubevirt_vm_write(p, "ct:1.0-os", "ct:1.0-app", f), 0);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(strstr(vm, "\n    spec:\n      architecture: arm64\n") != NULL, arm);
        assert_int_equal(strstr(vm, "architecture:") != NULL, arm);
        assert_non_null(strstr(vm, arm ? "efi: {secureBoot: false}" : "efi: {secureBoot: true}"));
        free(vm);
        plan_free((struct plan *)p);
    }
}

static void
test_documents(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe_text("1.0"));
    char *text = container_config_json(p, EPOCH, "sha256:abc");
    assert_non_null(text);
    assert_null(strchr(text, '\n'));
    struct json_object *o = json_tokener_parse(text), *v;
    assert_non_null(o);
    assert_string_equal(get_str(o, "architecture"), "amd64");
    assert_string_equal(get_str(o, "os"), "linux");
    assert_string_equal(get_str(o, "created"), "2023-11-14T22:13:20Z");
    assert_string_equal(get_str(o, "rootfs.type"), "layers");
    assert_true(json_object_object_get_ex(o, "config", &v));
    struct json_object *cfg = v, *vols, *cmd, *ids, *labels;
    assert_true(json_object_object_get_ex(cfg, "Labels", &labels));
    assert_string_equal(
        json_object_get_string(json_object_object_get(labels, "org.opencontainers.image.vendor")),
        "Example");
    assert_true(json_object_object_get_ex(cfg, "Volumes", &vols));
    /* The application disk's mount points, and only those. */
    assert_int_equal(json_object_object_length(vols), 2);
    assert_true(json_object_object_get_ex(vols, "/opt/app", NULL));
    assert_true(json_object_object_get_ex(vols, "/var/lib/ct", NULL));
    assert_false(json_object_object_get_ex(vols, "/var/log", NULL));
    assert_true(json_object_object_get_ex(cfg, "Cmd", &cmd));
    assert_string_equal(json_object_get_string(json_object_array_get_idx(cmd, 0)), "/sbin/init");
    assert_true(json_object_object_get_ex(o, "rootfs", &v));
    assert_true(json_object_object_get_ex(v, "diff_ids", &ids));
    assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 0)), "sha256:abc");
    json_object_put(o);
    free(text);

    text = container_manifest_json(p, EPOCH, "sha256:c0", 12, "sha256:1a", 3072);
    assert_non_null(strstr(text, "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\""));
    o = json_tokener_parse(text);
    assert_int_equal(json_object_get_int(json_object_object_get(o, "schemaVersion")), 2);
    assert_string_equal(get_str(o, "config.mediaType"), "application/vnd.oci.image.config.v1+json");
    assert_string_equal(get_str(o, "config.digest"), "sha256:c0");
    v = json_object_array_get_idx(json_object_object_get(o, "layers"), 0);
    assert_string_equal(get_str(v, "mediaType"), "application/vnd.oci.image.layer.v1.tar+gzip");
    assert_int_equal(json_object_get_int64(json_object_object_get(v, "size")), 3072);
    json_object_put(o);
    free(text);

    text = container_index_json(p, "sha256:m0", 99);
    o = json_tokener_parse(text);
    v = json_object_array_get_idx(json_object_object_get(o, "manifests"), 0);
    assert_string_equal(get_str(v, "digest"), "sha256:m0");
    assert_string_equal(
        json_object_get_string(json_object_object_get(json_object_object_get(v, "annotations"),
                                                      "org.opencontainers.image.ref.name")),
        "ct:1.0");
    json_object_put(o);
    free(text);

    text = container_docker_manifest_json(p, "c0", "1a");
    assert_string_equal(text, "[{\"Config\":\"blobs/sha256/c0\",\"RepoTags\":[\"ct:1.0\"],"
                              "\"Layers\":[\"blobs/sha256/1a\"]}]");
    free(text);
    plan_free(p);
}

static void
test_purged(void **state)
{
    (void)state;
    assert_true(container_purged("linux-image-amd64"));
    assert_true(container_purged("linux-image-6.1.0-28-amd64"));
    assert_true(container_purged("open-vm-tools"));
    assert_true(container_purged("hyperv-daemons"));
    assert_true(container_purged("qemu-guest-agent"));
    assert_true(container_purged("kernel-core"));
    assert_false(container_purged("linux-base"));
    assert_false(container_purged("openssh-server"));
    assert_false(container_purged("grub-common"));
    assert_false(container_purged("open-vm-tools-dev-not-an-addon"));
}

/* ---- the archives ------------------------------------------------------- */

static void
put(const char *path, const char *text, time_t mtime)
{
    unit_write_file(path, text);
    struct timeval tv[2] = {{mtime, 0}, {mtime, 0}};
    assert_int_equal(utimes(path, tv), 0);
}

/* The same tree, its entries made in one order or the reverse. */
static void
make_tree(const char *root, bool reverse)
{
    char p[512];
    assert_int_equal(mkdir(root, 0755), 0);
    const char *dirs[] = {"etc", "opt", "opt/app", "zz"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
        assert_int_equal(mkdir(p, 0755), 0);
    }
    const char *files[] = {"etc/os-release", "opt/app/run", "zz/b", "zz/a", "etc/Főtanúsítvány"};
    for (int k = 0; k < 5; k++) {
        int i = reverse ? 4 - k : k;
        snprintf(p, sizeof(p), "%s/%s", root, files[i]);
        /* zz/a: newer than the epoch, clamped */
        put(p, files[i], i == 3 ? EPOCH + 1000 : EPOCH - 10);
    }
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/opt/app/run", root);
    snprintf(b, sizeof(b), "%s/opt/app/run2", root);
    assert_int_equal(link(a, b), 0);
    snprintf(b, sizeof(b), "%s/etc/link", root);
    assert_int_equal(symlink("os-release", b), 0);
    const char *all[] = {"", "etc", "opt", "opt/app", "zz"};
    for (int i = 0; i < 5; i++) {
        struct timespec ts[2] = {{EPOCH - 5, 0}, {EPOCH - 5, 0}};
        snprintf(p, sizeof(p), "%s/%s", root, all[i]);
        assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
    }
}

static void
export_tree(const struct plan *p, const char *root, const char *out)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(mkdir(out, 0755), 0);
    int rc = export_container(p, root, EPOCH, out, out, &err);
    unit_check_ok(rc, &err);
}

/* Every member's name, '\n'-separated, with "=TARGET" for hard links and
 * "@MTIME" when not the epoch; *data gets the member named want (or NULL). */
static char *
list_archive(struct archive *a, const char *want, char **data, size_t *len)
{
    char *list = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&list, &n);
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        fprintf(f, "%s", archive_entry_pathname(e));
        if (archive_entry_hardlink(e))
            fprintf(f, "=%s", archive_entry_hardlink(e));
        if (archive_entry_mtime(e) != EPOCH)
            fprintf(f, "@%lld", (long long)(EPOCH - archive_entry_mtime(e)));
        assert_false(archive_entry_atime_is_set(e));
        assert_true(!archive_entry_uname(e) || !*archive_entry_uname(e)); /* numeric only */
        fputc('\n', f);
        if (want && strcmp(archive_entry_pathname(e), want) == 0) {
            *len = (size_t)archive_entry_size(e);
            *data = malloc(*len + 1);
            assert_int_equal(archive_read_data(a, *data, *len), (la_ssize_t)*len);
            (*data)[*len] = '\0';
        }
    }
    fclose(f);
    if (r != ARCHIVE_EOF)
        fail_msg("%s", archive_error_string(a));
    return list;
}

static struct archive *
open_read(const char *path)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_zstd(a);
    assert_int_equal(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
    return a;
}

static struct archive *
open_memory(const char *data, size_t len)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);
    assert_int_equal(archive_read_open_memory(a, data, len), ARCHIVE_OK);
    return a;
}

/* A member of the OCI archive, by name. */
static char *
oci_member(const char *path, const char *name, size_t *len)
{
    struct archive *a = open_read(path);
    char *data = NULL;
    free(list_archive(a, name, &data, len));
    archive_read_free(a);
    assert_non_null(data);
    return data;
}

static void
test_archives(void **state)
{
    (void)state;
    const struct plan *p = unit_plan(recipe_text("1.0"));
    make_tree("t1", false);
    make_tree("t2", true);
    export_tree(p, "t1", "o1");
    export_tree(p, "t2", "o2");

    /* The same bytes from the same tree, whatever order made it. */
    char h1[HASH_HEX_MAX], h2[HASH_HEX_MAX];
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(digest_file(DIGEST_SHA256, "o1/ct-1.0-container.tar", h1, &err), 0);
    assert_int_equal(digest_file(DIGEST_SHA256, "o2/ct-1.0-container.tar", h2, &err), 0);
    assert_string_equal(h1, h2);
    assert_int_equal(digest_file(DIGEST_SHA256, "o1/ct-1.0-ct.tar.zst", h1, &err), 0);
    assert_int_equal(digest_file(DIGEST_SHA256, "o2/ct-1.0-ct.tar.zst", h2, &err), 0);
    assert_string_equal(h1, h2);
    /* Nothing left beside them: no temporary file, no layer. */
    assert_int_equal(access("o1/ct-1.0-container.tar.tmp", F_OK), -1);
    assert_int_equal(access("o1/container-layer.tar.gz", F_OK), -1);

    /* The template: "./" first, every name below it, byte order. */
    struct archive *a = open_read("o1/ct-1.0-ct.tar.zst");
    char *ct = list_archive(a, NULL, NULL, NULL);
    archive_read_free(a);
    assert_string_equal(ct, "./@5\n./etc/@5\n./etc/Főtanúsítvány@10\n./etc/link\n"
                            "./etc/os-release@10\n./opt/@5\n./opt/app/@5\n./opt/app/run@10\n"
                            "./opt/app/run2=./opt/app/run@10\n./zz/@5\n./zz/a\n./zz/b@10\n");

    /* The OCI layout: index -> manifest -> config and layer, by digest. */
    a = open_read("o1/ct-1.0-container.tar");
    char *members = list_archive(a, NULL, NULL, NULL);
    archive_read_free(a);
    assert_non_null(strstr(members, "blobs/\nblobs/sha256/\nblobs/sha256/"));
    assert_non_null(strstr(members, "\nindex.json\nmanifest.json\noci-layout\n"));
    size_t len;
    char *index = oci_member("o1/ct-1.0-container.tar", "index.json", &len);
    struct json_object *o = json_tokener_parse(index);
    const char *man_digest =
        get_str(json_object_array_get_idx(json_object_object_get(o, "manifests"), 0), "digest");
    char name[256];
    snprintf(name, sizeof(name), "blobs/sha256/%s", man_digest + 7);
    char *manifest = oci_member("o1/ct-1.0-container.tar", name, &len);
    struct json_object *m = json_tokener_parse(manifest);
    const char *layer_digest =
        get_str(json_object_array_get_idx(json_object_object_get(m, "layers"), 0), "digest");
    snprintf(name, sizeof(name), "blobs/sha256/%s", layer_digest + 7);
    size_t layer_len;
    char *layer = oci_member("o1/ct-1.0-container.tar", name, &layer_len);
    char hex[HASH_HEX_MAX];
    struct digest_ctx *d = digest_new(DIGEST_SHA256);
    digest_update(d, layer, layer_len);
    digest_hex(d, hex);
    digest_free(d);
    assert_string_equal(hex, layer_digest + 7);
    snprintf(name, sizeof(name), "blobs/sha256/%s", get_str(m, "config.digest") + 7);
    char *config = oci_member("o1/ct-1.0-container.tar", name, &len);
    /* The layer is gzip'd, with no name or time in its header (RFC 1952:
     * FLG 0, MTIME 0); the diff_id is the digest of the tar inside. */
    assert_true(layer_len > 10 && (unsigned char)layer[0] == 0x1f &&
                (unsigned char)layer[1] == 0x8b && layer[3] == 0);
    assert_memory_equal(layer + 4, "\0\0\0\0", 4);
    assert_null(strstr(config, layer_digest));
    struct archive *raw = archive_read_new();
    struct archive_entry *re;
    archive_read_support_format_raw(raw);
    archive_read_support_filter_gzip(raw);
    assert_int_equal(archive_read_open_memory(raw, layer, layer_len), ARCHIVE_OK);
    assert_int_equal(archive_read_next_header(raw, &re), ARCHIVE_OK);
    d = digest_new(DIGEST_SHA256);
    char buf[4096];
    for (la_ssize_t n; (n = archive_read_data(raw, buf, sizeof(buf))) > 0;)
        digest_update(d, buf, (size_t)n);
    digest_hex(d, hex);
    digest_free(d);
    archive_read_free(raw);
    char diff_id[HASH_HEX_MAX + 32];
    snprintf(diff_id, sizeof(diff_id), "\"diff_ids\":[\"sha256:%s\"]", hex);
    assert_non_null(strstr(config, diff_id));

    /* The layer: no root entry, names without "./". */
    a = open_memory(layer, layer_len);
    char *names = list_archive(a, NULL, NULL, NULL);
    archive_read_free(a);
    assert_string_equal(names, "etc/@5\netc/Főtanúsítvány@10\netc/link\netc/os-release@10\n"
                               "opt/@5\nopt/app/@5\nopt/app/run@10\nopt/app/run2=opt/app/run@10\n"
                               "zz/@5\nzz/a\nzz/b@10\n");
    free(names);
    free(config);
    free(layer);
    json_object_put(m);
    free(manifest);
    json_object_put(o);
    free(index);
    free(members);
    free(ct);
    ab_error_release(&err);
    plan_free(p);
}

int
main(void)
{
    setlocale(LC_CTYPE, "C.UTF-8"); /* to read the UTF-8 names back */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ref),       cmocka_unit_test(test_time),
        cmocka_unit_test(test_documents),
        cmocka_unit_test(test_arch), cmocka_unit_test(test_purged),
        cmocka_unit_test(test_archives),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
