/* test_oci.c: OCI manifests, references and layouts (oci.h), and the
 * judgement of a published build's manifest (publish.h). */
#include "unit.h"

#include <stdio.h>
#include <sys/stat.h>

#include "appliance/oci.h"
#include "appliance/publish.h"
#include "pipeline/cache_registry.h"

#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64B "1111111111111111111111111111111111111111111111111111111111111111"

/* The manifest push writes for a folder of one disk. */
static void
make_build(struct oci_manifest *m, const char *sums_digest)
{
    struct ab_error err = AB_ERROR_INIT;
    memset(m, 0, sizeof(*m));
    assert_int_equal(oci_manifest_set_artifact(m, PUBLISH_ARTIFACT_TYPE, &err), 0);
    struct oci_descriptor *d = oci_manifest_add_layer(m, &err);
    assert_int_equal(oci_descriptor_set(d, "application/x-qemu-disk", H64, 5, &err), 0);
    assert_int_equal(oci_descriptor_annotate(d, OCI_TITLE, "a-1-os.qcow2", &err), 0);
    d = oci_manifest_add_layer(m, &err);
    assert_int_equal(oci_descriptor_set(d, "text/plain", sums_digest, 80, &err), 0);
    assert_int_equal(oci_descriptor_annotate(d, OCI_TITLE, "SHA256SUMS", &err), 0);
    d = oci_manifest_add_layer(m, &err);
    assert_int_equal(oci_descriptor_set(d, "application/json", H64B, 9, &err), 0);
    assert_int_equal(oci_descriptor_annotate(d, OCI_TITLE, PUBLISH_REPORT, &err), 0);
    assert_int_equal(oci_manifest_annotate(m, PUBLISH_ANN_VERSION, "1", &err), 0);
    assert_int_equal(oci_manifest_annotate(m, PUBLISH_ANN_NAME, "a", &err), 0);
    assert_int_equal(oci_manifest_annotate(m, PUBLISH_ANN_SUMS, sums_digest, &err), 0);
    assert_false(ab_error_is_set(&err));
}

static void
test_write_exact(void **state)
{
    (void)state;
    struct oci_manifest m;
    struct ab_error err = AB_ERROR_INIT;
    make_build(&m, "sha256:" H64B);
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(oci_manifest_write(&m, &text, &len, &err), 0);
    /* Members in a fixed order, annotations sorted by key. */
    assert_string_equal(
        text,
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"artifactType\":\"application/vnd.appliance.build.v1+json\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" OCI_EMPTY_DIGEST
        "\",\"size\":2},"
        "\"layers\":[{\"mediaType\":\"application/x-qemu-disk\",\"digest\":\"sha256:" H64
        "\",\"size\":5,\"annotations\":{\"org.opencontainers.image.title\":\"a-1-os.qcow2\"}},"
        "{\"mediaType\":\"text/plain\",\"digest\":\"sha256:" H64B
        "\",\"size\":80,\"annotations\":{\"org.opencontainers.image.title\":\"SHA256SUMS\"}},"
        "{\"mediaType\":\"application/json\",\"digest\":\"sha256:" H64B
        "\",\"size\":9,\"annotations\":{\"org.opencontainers.image.title\":\"build-report.json\"}}],"
        "\"annotations\":{\"vnd.appliance.recipe.name\":\"a\",\"vnd.appliance.recipe.version\":\"1\","
        "\"vnd.appliance.sha256sums.digest\":\"sha256:" H64B "\"}}");
    assert_int_equal(len, strlen(text));
    free(text);
    oci_manifest_release(&m);
}

static void
test_round_trip(void **state)
{
    (void)state;
    struct oci_manifest m, back;
    struct ab_error err = AB_ERROR_INIT;
    make_build(&m, "sha256:" H64B);
    char *text = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    assert_int_equal(oci_manifest_write(&m, &text, &len, &err), 0);
    memset(&back, 0, sizeof(back));
    assert_int_equal(oci_manifest_parse(text, len, "m", &back, &err), 0);
    assert_string_equal(back.artifact_type, PUBLISH_ARTIFACT_TYPE);
    assert_int_equal(back.n_layers, 3);
    assert_string_equal(oci_descriptor_title(&back.layers[0]), "a-1-os.qcow2");
    assert_int_equal(back.layers[1].size, 80);
    assert_non_null(oci_manifest_layer(&back, "SHA256SUMS"));
    assert_null(oci_manifest_layer(&back, "nope"));
    assert_string_equal(oci_annotation_get(back.annotations, back.n_annotations, PUBLISH_ANN_NAME),
                        "a");
    assert_int_equal(publish_check_manifest(&back, "m", &err), 0);
    /* The same bytes written again. */
    assert_int_equal(oci_manifest_write(&back, &again, &len2, &err), 0);
    assert_string_equal(again, text);
    /* Trailing white space is JSON's; anything else after it is not. */
    char *nl = NULL;
    assert_true(asprintf(&nl, "%s\n", text) > 0);
    oci_manifest_release(&back);
    assert_int_equal(oci_manifest_parse(nl, len + 1, "m", &back, &err), 0);
    oci_manifest_release(&back);
    nl[len] = 'x';
    assert_int_equal(oci_manifest_parse(nl, len + 1, "m", &back, &err), -1);
    ab_error_release(&err);
    free(nl);
    free(text);
    free(again);
    oci_manifest_release(&back);
    oci_manifest_release(&m);
}

/* The first message of parsing text, which must fail. */
static char *
parse_error(const char *text)
{
    struct oci_manifest m;
    struct ab_error err = AB_ERROR_INIT;
    memset(&m, 0, sizeof(m));
    assert_int_equal(oci_manifest_parse(text, strlen(text), "'r'", &m, &err), -1);
    assert_true(err.n_diags > 0);
    char *msg = strdup(err.diags[0].msg);
    ab_error_release(&err);
    oci_manifest_release(&m);
    return msg;
}

#define CFG "\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:" H64 "\",\"size\":2}"
#define LAYER(title, size)                                                                         \
    "{\"mediaType\":\"y\",\"digest\":\"sha256:" H64 "\",\"size\":" size                            \
    ",\"annotations\":{\"org.opencontainers.image.title\":\"" title "\"}}"

static void
test_hostile(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"[]", "'r' is not a JSON object"},
        {"{\"schemaVersion\":2", "'r' is not JSON: it ends too early"},
        {"{\"schemaVersion\":1}", "'r': \"schemaVersion\" is not 2"},
        {"{\"schemaVersion\":2,\"mediaType\":\"" OCI_INDEX_TYPE "\"}",
         "'r' is a 'application/vnd.oci.image.index.v1+json', not an OCI image manifest"},
        {"{\"schemaVersion\":2," CFG "}", "'r' has no \"layers\" list"},
        {"{\"schemaVersion\":2,\"layers\":[]}", "'r': config is not an object"},
        {"{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("../etc/passwd", "1") "]}",
         "'r': layer 1's title '../etc/passwd' is not a plain file name"},
        {"{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("/abs", "1") "]}",
         "'r': layer 1's title '/abs' is not a plain file name"},
        {"{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("a", "1") "," LAYER("a", "2") "]}",
         "'r': two layers are titled 'a'"},
        {"{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("a", "-1") "]}",
         "'r': layer 1 has no \"size\" between 0 and 2^53"},
        {"{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("a", "9007199254740992") "]}",
         "'r': layer 1 has no \"size\" between 0 and 2^53"},
        {"{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"y\",\"digest\":\"sha256:"
         "ABCDEF\",\"size\":1}]}",
         "'r': layer 1 has no \"digest\" of the form sha256:HEX"},
        {"{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"y\",\"digest\":\"sha256:" H64
         "\",\"size\":1}]}",
         "'r': layer 1 has no title"},
        {"{\"schemaVersion\":2," CFG ",\"layers\":[],\"annotations\":{\"k\":3}}",
         "'r': annotation 'k' is not a short string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *msg = parse_error(cases[i].text);
        assert_string_equal(msg, cases[i].msg);
        free(msg);
    }
    /* A string with a NUL inside is refused, not cut. */
    static const char nul[] = "{\"schemaVersion\":2,\"artifactType\":\"a\\u0000b\"}";
    char *msg = parse_error(nul);
    assert_string_equal(msg, "'r': \"artifactType\" is not a short string");
    free(msg);
}

static void
test_too_many(void **state)
{
    (void)state;
    /* OCI_MAX_LAYERS + 1 layers. */
    size_t cap = 256 * (sizeof(LAYER("a", "1")) + 8) + 1024, n = 0;
    char *text = malloc(cap);
    n += (size_t)snprintf(text + n, cap - n, "{\"schemaVersion\":2," CFG ",\"layers\":[");
    for (int i = 0; i <= OCI_MAX_LAYERS; i++)
        n += (size_t)snprintf(text + n, cap - n,
                              "%s{\"mediaType\":\"y\",\"digest\":\"sha256:" H64
                              "\",\"size\":1,\"annotations\":{\"" OCI_TITLE "\":\"f%d\"}}",
                              i ? "," : "", i);
    snprintf(text + n, cap - n, "]}");
    char *msg = parse_error(text);
    assert_string_equal(msg, "'r' has more than 256 layers");
    free(msg);
    free(text);
}

static void
test_titles(void **state)
{
    (void)state;
    assert_true(oci_title_ok("a-1.0-os.qcow2"));
    assert_true(oci_title_ok("ovf/a.ovf"));
    assert_true(oci_title_ok("SHA256SUMS"));
    assert_false(oci_title_ok(""));
    assert_false(oci_title_ok("."));
    assert_false(oci_title_ok(".."));
    assert_false(oci_title_ok("a/../b"));
    assert_false(oci_title_ok(".hidden"));
    assert_false(oci_title_ok("-rf"));
    assert_false(oci_title_ok("a//b"));
    assert_false(oci_title_ok("a/"));
    assert_false(oci_title_ok("a b"));
    assert_false(oci_title_ok("a\\b"));
    assert_false(oci_title_ok("a/b/c/d/e"));
}

static void
test_refs(void **state)
{
    (void)state;
    struct oci_ref r;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(oci_ref_parse("127.0.0.1:5000/team/app:1.0", false, &r, &err), 0);
    assert_string_equal(r.host, "127.0.0.1:5000");
    assert_string_equal(r.path, "team/app");
    assert_string_equal(r.tag, "1.0");
    char *s = oci_ref_with_digest(&r, "sha256:" H64);
    assert_string_equal(s, "127.0.0.1:5000/team/app@sha256:" H64);
    free(s);
    s = oci_ref_with_tag(&r, "1.0-os");
    assert_string_equal(s, "127.0.0.1:5000/team/app:1.0-os");
    free(s);
    oci_ref_release(&r);
    assert_int_equal(oci_ref_parse("localhost/a__b/c-d", true, &r, &err), 0);
    assert_string_equal(r.tag, "latest");
    s = oci_ref_string(&r);
    assert_string_equal(s, "localhost/a__b/c-d:latest");
    free(s);
    oci_ref_release(&r);
    assert_int_equal(oci_ref_parse("r.example/x@sha256:" H64, false, &r, &err), 0);
    assert_null(r.tag);
    assert_string_equal(r.digest, "sha256:" H64);
    oci_ref_release(&r);
    assert_false(ab_error_is_set(&err));

    static const char *const bad[] = {
        "app:1",                 /* no host: would mean Docker Hub */
        "team/app:1",            /* "team" is no host */
        "r.example/App:1",       /* upper case in the path */
        "r.example/a:-x",        /* a tag starting with '-' */
        "r.example/a@sha256:12", /* a short digest */
        "-r.example/a:1",        /* an option, not a host */
        "r.example/a//b:1",      /* an empty component */
        "r.example/a:1@sha256:" H64,
        "r.example:99999999/a:1",
        "r.example/a:1",         /* fine, but no tag allowed below */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool last = i + 1 == sizeof(bad) / sizeof(bad[0]);
        int rc = oci_ref_parse(last ? "r.example/a" : bad[i], false, &r, &err);
        assert_int_equal(rc, -1);
        assert_int_equal(err.code, AB_E_USAGE);
        oci_ref_release(&r);
        ab_error_release(&err);
    }
    assert_true(oci_tag_ok("disk-0123abc"));
    assert_false(oci_tag_ok(".x"));
}

static void
test_check_sums(void **state)
{
    (void)state;
    struct oci_manifest m;
    struct ab_error err = AB_ERROR_INIT;
    make_build(&m, "sha256:" H64B);
    static const char good[] = H64 "  a-1-os.qcow2\n";
    assert_int_equal(publish_check_sums(&m, good, strlen(good), &err), 0);
    /* A digest that is not the layer's. */
    static const char other[] = H64B "  a-1-os.qcow2\n";
    assert_int_equal(publish_check_sums(&m, other, strlen(other), &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "SHA256SUMS gives"));
    ab_error_release(&err);
    /* A file the artifact lacks, and a layer SHA256SUMS does not list. */
    static const char more[] = H64 "  a-1-os.qcow2\n" H64 "  a-1-app.qcow2\n";
    assert_int_equal(publish_check_sums(&m, more, strlen(more), &err), -1);
    ab_error_release(&err);
    assert_int_equal(publish_check_sums(&m, "", 0, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "which SHA256SUMS does not list"));
    ab_error_release(&err);
    /* The annotation names another SHA256SUMS: refused before any copy. */
    assert_int_equal(oci_manifest_annotate(&m, PUBLISH_ANN_SUMS, "sha256:" H64, &err), 0);
    assert_int_equal(publish_check_manifest(&m, "m", &err), -1);
    ab_error_release(&err);
    /* A foreign artifact. */
    assert_int_equal(oci_manifest_set_artifact(&m, "application/vnd.other", &err), 0);
    assert_int_equal(publish_check_manifest(&m, "m", &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "is not an appliance build"));
    ab_error_release(&err);
    oci_manifest_release(&m);
}

/* A folder built for both architectures: a report for each, no
 * build-report.json; both are the artifact's own, as SHA256SUMS is. */
static void
test_check_arches(void **state)
{
    (void)state;
    struct oci_manifest m;
    struct ab_error err = AB_ERROR_INIT;
    make_build(&m, "sha256:" H64B);
    oci_descriptor_annotate(&m.layers[2], OCI_TITLE, "build-report-x86_64.json", &err);
    struct oci_descriptor *d = oci_manifest_add_layer(&m, &err);
    assert_int_equal(oci_descriptor_set(d, "application/json", H64B, 9, &err), 0);
    assert_int_equal(oci_descriptor_annotate(d, OCI_TITLE, "build-report-aarch64.json", &err), 0);
    assert_false(ab_error_is_set(&err));
    assert_string_equal(oci_descriptor_title(&m.layers[2]), "build-report-x86_64.json");
    assert_int_equal(publish_check_manifest(&m, "m", &err), 0);
    static const char good[] = H64 "  a-1-os.qcow2\n";
    assert_int_equal(publish_check_sums(&m, good, strlen(good), &err), 0);
    /* Without any report: refused. */
    oci_descriptor_annotate(&m.layers[2], OCI_TITLE, "notes-x86_64.json", &err);
    oci_descriptor_annotate(&m.layers[3], OCI_TITLE, "build-report-mips.json", &err);
    assert_int_equal(publish_check_manifest(&m, "m", &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "has no SHA256SUMS or no build-report.json"));
    ab_error_release(&err);
    oci_manifest_release(&m);
}

static void
test_media_types(void **state)
{
    (void)state;
    assert_string_equal(publish_media_type("a-1-os.qcow2"), "application/x-qemu-disk");
    assert_string_equal(publish_media_type("a-1.spdx.json"), "application/spdx+json");
    assert_string_equal(publish_media_type("build-report.json"),
                        "application/vnd.appliance.build-report.v1+json");
    assert_string_equal(publish_media_type("build-report-aarch64.json"),
                        "application/vnd.appliance.build-report.v1+json");
    assert_string_equal(publish_media_type("other-report-aarch64.json"), "application/json");
    assert_string_equal(publish_media_type("SHA256SUMS.sig"), "application/octet-stream");
    assert_string_equal(publish_media_type("a-1-os.tar.gz"), "application/gzip");
    assert_string_equal(publish_media_type("unknown.bin"), "application/octet-stream");
}

static void
test_layout(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_oci.XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct ab_error err = AB_ERROR_INIT;
    struct oci_manifest m;
    make_build(&m, "sha256:" H64B);
    char digest[OCI_DIGEST_LEN], path[512];
    uint64_t size = 0;
    assert_int_equal(oci_layout_init(dir, &err), 0);
    assert_int_equal(oci_layout_put_manifest(dir, &m, "t", digest, &size, &err), 0);
    assert_true(oci_digest_ok(digest));
    char *blob = oci_layout_blob_path(dir, digest);
    struct stat st;
    assert_int_equal(stat(blob, &st), 0);
    assert_int_equal((uint64_t)st.st_size, size);
    free(blob);
    blob = oci_layout_blob_path(dir, OCI_EMPTY_DIGEST);
    assert_int_equal(stat(blob, &st), 0);
    assert_int_equal(st.st_size, 2);
    free(blob);
    snprintf(path, sizeof(path), "%s/index.json", dir);
    FILE *f = fopen(path, "r");
    char text[1024] = "";
    assert_non_null(f);
    assert_true(fread(text, 1, sizeof(text) - 1, f) > 0);
    fclose(f);
    assert_non_null(strstr(text, digest));
    assert_non_null(strstr(text, "\"org.opencontainers.image.ref.name\":\"t\""));
    oci_manifest_release(&m);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* A cache entry is used only when it is of the cache's type, of the kind
 * and key asked for, and has its file. */
static void
test_cache_entry(void **state)
{
    (void)state;
    struct oci_manifest m;
    struct ab_error err = AB_ERROR_INIT;
    memset(&m, 0, sizeof(m));
    assert_int_equal(oci_manifest_set_artifact(&m, CACHE_REGISTRY_TYPE, &err), 0);
    assert_int_equal(oci_manifest_annotate(&m, CACHE_ANN_KIND, "disk", &err), 0);
    assert_int_equal(oci_manifest_annotate(&m, CACHE_ANN_KEY, H64, &err), 0);
    struct oci_descriptor *d = oci_manifest_add_layer(&m, &err);
    assert_int_equal(oci_descriptor_set(d, "application/octet-stream", H64, 7, &err), 0);
    assert_int_equal(oci_descriptor_annotate(d, OCI_TITLE, "image.qcow2", &err), 0);
    assert_int_equal(cache_registry_check(&m, "disk", H64, "e", &err), 0);
    /* Another key, another kind: another entry's bytes under this tag. */
    assert_int_equal(cache_registry_check(&m, "disk", H64B, "e", &err), -1);
    assert_string_equal(err.diags[0].msg, "e is the entry of another disk or key");
    ab_error_release(&err);
    assert_int_equal(cache_registry_check(&m, "root", H64, "e", &err), -1);
    ab_error_release(&err);
    /* A published build under a cache tag. */
    assert_int_equal(oci_manifest_set_artifact(&m, PUBLISH_ARTIFACT_TYPE, &err), 0);
    assert_int_equal(cache_registry_check(&m, "disk", H64, "e", &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "is not a cache entry"));
    ab_error_release(&err);
    /* The kind's file missing. */
    assert_int_equal(oci_manifest_set_artifact(&m, CACHE_REGISTRY_TYPE, &err), 0);
    assert_int_equal(oci_descriptor_annotate(d, OCI_TITLE, "other", &err), 0);
    assert_int_equal(cache_registry_check(&m, "disk", H64, "e", &err), -1);
    assert_string_equal(err.diags[0].msg, "e has no image.qcow2 layer");
    ab_error_release(&err);
    assert_string_equal(cache_reg_state_name(CACHE_REG_PULLED), "pulled");
    assert_string_equal(cache_reg_state_name(CACHE_REG_OFFLINE), "unreachable");
    oci_manifest_release(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_exact), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_hostile),     cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_titles),      cmocka_unit_test(test_refs),
        cmocka_unit_test(test_check_sums),  cmocka_unit_test(test_check_arches),
        cmocka_unit_test(test_media_types), cmocka_unit_test(test_layout),
        cmocka_unit_test(test_cache_entry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
