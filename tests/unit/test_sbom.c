/* test_sbom.c: the SBOM and provenance writers and readers
 * (builder/export/sbom*.c, provenance.c, attest.c): golden documents in
 * tests/data/sbom/ for a small appliance (SBOM_UPDATE_GOLDEN=1 rewrites
 * them), the same bytes for the same inputs, the namespace and serial
 * changing with the contents, each document read back as written, and
 * attest_write's files, sums and signatures. */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/attest.h"
#include "appliance/cleanup.h"
#include "appliance/delivery.h"
#include "appliance/dsse.h"
#include "appliance/fsutil.h"
#include "appliance/provenance.h"
#include "appliance/sbom.h"
#include "appliance/sign.h"

static const char recipe[] = "recipe: 1\n"
                             "name: small\n"
                             "version: \"2.0\"\n"
                             "description: an SBOM's subject\n"
                             "vendor: Example Corp\n"
                             "product_url: https://example.org/small\n"
                             "os:\n"
                             "  distro: debian-12\n"
                             "disks:\n"
                             "  os:\n"
                             "    size: 4GiB\n"
                             "    volumes:\n"
                             "      - { name: root, mount: /, size: 2GiB }\n"
                             "  app:\n"
                             "    size: 1GiB\n"
                             "    volumes:\n"
                             "      - { name: app, mount: /opt/app, size: rest }\n"
                             "addons: [vmware, virtualbox]\n"
                             "files:\n"
                             "  - { src: motd, dest: /etc/motd }\n"
                             "  - { src: app/, dest: /opt/app/ }\n"
                             "outputs: [ova, qcow2, container]\n";

#define EPOCH 1700000000

struct fixture {
    const struct plan *plan;
    struct pkg_list packages;
    struct sbom_files files;
    struct export_files shipped;
};

static void
add_shipped(struct export_files *s, const char *path, char digit)
{
    s->v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
    assert_non_null(s->v);
    struct export_file *f = &s->v[s->n++];
    *f = (struct export_file){.path = strdup(path), .size = 1};
    memset(f->sha256, digit, 64);
    f->sha256[64] = '\0';
}

static void
fixture_init(struct fixture *fx)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(mkdir_p("app/bin", 0755), 0);
    unit_write_file("motd", "welcome\n");
    unit_write_file("app/bin/run", "#!/bin/sh\nexit 0\n");
    unit_write_file(UNIT_RECIPE, recipe);
    fx->plan = unit_plan(recipe);
    const char *list = "ii \tzlib1g\t1:1.2.13.dfsg-1\tamd64\tzlib\t1:1.2.13.dfsg-1\t"
                       "Mark Brown <broonie@debian.org>\n"
                       "ii \topen-vm-tools\t2:12.2.0-1+deb12u2\tamd64\t\t\t"
                       "Debian VMware Maintainers <team+vmware@tracker.debian.org>\n"
                       "ii \tlibstdc++6\t12.2.0-14\tamd64\tgcc-12\t12.2.0-14\t"
                       "Debian GCC Maintainers <debian-gcc@lists.debian.org>\n";
    unit_check_ok(packages_parse(list, PKG_DEB, &fx->packages, &err), &err);
    free(fx->packages.v[2].license);
    fx->packages.v[2].license = strdup("GPL-2.0-or-later AND LicenseRef-public-domain");
    unit_check_ok(sbom_recipe_files(fx->plan, &fx->files, &err), &err);
    fx->shipped = (struct export_files){NULL, 0};
    add_shipped(&fx->shipped, "INSTALL-vsphere.md", '1');
    add_shipped(&fx->shipped, "small-2.0-app.qcow2", '2');
    add_shipped(&fx->shipped, "small-2.0-container.tar", '3');
    add_shipped(&fx->shipped, "small-2.0-ct.tar.zst", '4');
    add_shipped(&fx->shipped, "small-2.0-os.qcow2", '5');
    add_shipped(&fx->shipped, "small-2.0.ova", '6');
}

static void
fixture_release(struct fixture *fx)
{
    plan_free(fx->plan);
    packages_release(&fx->packages);
    sbom_files_release(&fx->files);
    export_files_release(&fx->shipped);
}

static struct sbom_input
input(const struct fixture *fx)
{
    return (struct sbom_input){.plan = fx->plan,
                               .packages = &fx->packages,
                               .files = &fx->files,
                               .shipped = &fx->shipped,
                               .epoch = EPOCH};
}

static void
golden(const char *text, const char *name)
{
    char golden_path[256];
    unit_write_file("got.json", text);
    snprintf(golden_path, sizeof(golden_path), "tests/data/sbom/%s", name);
    unit_assert_golden("got.json", golden_path, "SBOM_UPDATE_GOLDEN");
}

/* The recipe's files: each regular file, where it lands, on which disk,
 * with its digests (sha256sum and sha1sum of "welcome\n"). */
static void
test_recipe_files(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    assert_int_equal(fx.files.n, 2);
    assert_string_equal(fx.files.v[0].path, "/etc/motd");
    assert_string_equal(fx.files.v[0].source, "motd");
    assert_int_equal(fx.files.v[0].disk, PLAN_DISK_OS);
    assert_string_equal(fx.files.v[0].sha256,
                        "77f44b9024fd19a6674a62d98939f4e7f1b77f64eac4c7559414c46bdaec494c");
    assert_string_equal(fx.files.v[0].sha1, "85fcd345dd2c8f9e3199adb5459a5e1dc2d4e76c");
    assert_string_equal(fx.files.v[1].path, "/opt/app/bin/run");
    assert_string_equal(fx.files.v[1].source, "app/bin/run");
    assert_int_equal(fx.files.v[1].disk, PLAN_DISK_APP);
    fixture_release(&fx);
}

static void
test_purl(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    CLEANUP_FREE char *p = sbom_purl(fx.plan, PKG_DEB, &fx.packages.v[0]);
    assert_string_equal(p, "pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=debian-12");
    CLEANUP_FREE char *z = sbom_purl(fx.plan, PKG_DEB, &fx.packages.v[2]);
    assert_string_equal(z, "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12");
    char name[] = "shadow-utils", version[] = "2:4.9-8.el9", arch[] = "x86_64";
    struct pkg rpm = {.name = name, .version = version, .arch = arch};
    CLEANUP_FREE char *r = sbom_purl(fx.plan, PKG_RPM, &rpm);
    assert_string_equal(r, "pkg:rpm/debian/shadow-utils@4.9-8.el9?arch=x86_64&distro=debian-12"
                           "&epoch=2");
    fixture_release(&fx);
}

static void
test_golden_documents(void **state)
{
    (void)state;
    struct fixture fx;
    struct ab_error err = AB_ERROR_INIT;
    fixture_init(&fx);
    struct sbom_input in = input(&fx);
    CLEANUP_FREE char *spdx = NULL, *cdx = NULL, *prov = NULL, *ct = NULL;
    unit_check_ok(sbom_spdx_text(&in, &spdx, &err), &err);
    unit_check_ok(sbom_cdx_text(&in, &cdx, &err), &err);
    golden(spdx, "small.spdx.json");
    golden(cdx, "small.cdx.json");
    in.container = true;
    unit_check_ok(sbom_spdx_text(&in, &ct, &err), &err);
    golden(ct, "small-container.spdx.json");
    struct provenance_input p = {.plan = fx.plan,
                                 .build_type = PROVENANCE_BUILD_TYPE,
                                 .subjects = &fx.shipped,
                                 .epoch = EPOCH,
                                 .recipe_sha256 = "ab",
                                 .packages = &fx.packages,
                                 .files = &fx.files,
                                 .tree_key = "cd",
                                 .tree_sha256 = "ef",
                                 .tool_sha256 = "01"};
    unit_check_ok(provenance_text(&p, &prov, &err), &err);
    golden(prov, "small.provenance.json");
    fixture_release(&fx);
}

/* The same inputs, the same bytes; another package, another namespace
 * and serial number. */
static void
test_deterministic(void **state)
{
    (void)state;
    struct fixture fx;
    struct ab_error err = AB_ERROR_INIT;
    fixture_init(&fx);
    struct sbom_input in = input(&fx);
    CLEANUP_FREE char *a = NULL, *b = NULL, *c = NULL, *ca = NULL, *cc = NULL;
    unit_check_ok(sbom_spdx_text(&in, &a, &err), &err);
    unit_check_ok(sbom_spdx_text(&in, &b, &err), &err);
    unit_check_ok(sbom_cdx_text(&in, &ca, &err), &err);
    assert_string_equal(a, b);
    free(fx.packages.v[2].version);
    fx.packages.v[2].version = strdup("1:1.2.13.dfsg-2");
    unit_check_ok(sbom_spdx_text(&in, &c, &err), &err);
    unit_check_ok(sbom_cdx_text(&in, &cc, &err), &err);
    const char *ns_a = strstr(a, "urn:uuid:"), *ns_c = strstr(c, "urn:uuid:");
    assert_non_null(ns_a);
    assert_non_null(ns_c);
    assert_memory_not_equal(ns_a, ns_c, 45);
    assert_memory_not_equal(strstr(ca, "urn:uuid:"), strstr(cc, "urn:uuid:"), 45);
    fixture_release(&fx);
}

/* What the writers wrote, the readers read: packages, files, shipped
 * files and the disks they hold. */
static void
check_doc(const struct sbom_doc *d, const struct fixture *fx)
{
    assert_string_equal(d->name, "small");
    assert_string_equal(d->version, "2.0");
    assert_true(d->disk[PLAN_DISK_OS] && d->disk[PLAN_DISK_APP]);
    assert_int_equal(d->packages.n, fx->packages.n);
    for (size_t i = 0; i < fx->packages.n; i++) {
        const struct pkg *w = &fx->packages.v[i];
        const struct pkg *r = packages_find(&d->packages, w->name, w->arch);
        assert_non_null(r);
        assert_string_equal(r->version, w->version);
        assert_string_equal(r->source, w->source);
        assert_string_equal(r->source_version, w->source_version);
        assert_string_equal(r->license, w->license);
        assert_string_equal(r->supplier, w->supplier);
    }
    assert_int_equal(d->files.n, 2);
    for (size_t i = 0; i < d->files.n; i++) {
        assert_string_equal(d->files.v[i].path, fx->files.v[i].path);
        assert_string_equal(d->files.v[i].source, fx->files.v[i].source);
        assert_int_equal(d->files.v[i].disk, fx->files.v[i].disk);
        assert_string_equal(d->files.v[i].sha256, fx->files.v[i].sha256);
        assert_string_equal(d->files.v[i].sha1, fx->files.v[i].sha1);
    }
    assert_int_equal(d->n_shipped, fx->shipped.n);
    for (size_t i = 0; i < d->n_shipped; i++) {
        assert_string_equal(d->shipped[i].path, fx->shipped.v[i].path);
        assert_string_equal(d->shipped[i].sha256, fx->shipped.v[i].sha256);
    }
    /* small-2.0-app.qcow2 holds the app disk, the OVA both, the
     * container none. */
    assert_false(d->shipped[1].disks[PLAN_DISK_OS]);
    assert_true(d->shipped[1].disks[PLAN_DISK_APP]);
    assert_false(d->shipped[2].disks[PLAN_DISK_OS] || d->shipped[2].disks[PLAN_DISK_APP]);
    assert_true(d->shipped[5].disks[PLAN_DISK_OS] && d->shipped[5].disks[PLAN_DISK_APP]);
}

static void
test_round_trip(void **state)
{
    (void)state;
    struct fixture fx;
    struct ab_error err = AB_ERROR_INIT;
    fixture_init(&fx);
    struct sbom_input in = input(&fx);
    CLEANUP_FREE char *spdx = NULL, *cdx = NULL;
    unit_check_ok(sbom_spdx_text(&in, &spdx, &err), &err);
    unit_check_ok(sbom_cdx_text(&in, &cdx, &err), &err);
    struct sbom_doc d;
    unit_check_ok(sbom_parse_spdx(spdx, strlen(spdx), "s", &d, &err), &err);
    check_doc(&d, &fx);
    sbom_doc_release(&d);
    unit_check_ok(sbom_parse_cdx(cdx, strlen(cdx), "c", &d, &err), &err);
    check_doc(&d, &fx);
    sbom_doc_release(&d);
    /* Each reader refuses the other's document, and what is not JSON. */
    assert_int_equal(sbom_parse_spdx(cdx, strlen(cdx), "c", &d, &err), -1);
    assert_int_equal(sbom_parse_cdx(spdx, strlen(spdx), "s", &d, &err), -1);
    assert_int_equal(sbom_parse_cdx("{", 1, "x", &d, &err), -1);
    CLEANUP_FREE char *msg = unit_error_text(&err);
    assert_non_null(strstr(msg, "'c' is not an SPDX 2.3 document"));
    assert_non_null(strstr(msg, "'s' is not a CycloneDX 1.6 document"));
    ab_error_release(&err);
    fixture_release(&fx);
}

static char *
slurp(const char *path)
{
    size_t len = 0;
    return unit_slurp(path, &len);
}

/* attest_write: the files, each added to the list; SHA256SUMS over them;
 * the signature of SHA256SUMS and the provenance's envelope. */
static void
test_attest(void **state)
{
    (void)state;
    struct fixture fx;
    struct ab_error err = AB_ERROR_INIT;
    unit_need("openssl");
    fixture_init(&fx);
    assert_int_equal(system("openssl genpkey -algorithm ed25519 -out k.pem 2>/dev/null && "
                            "chmod 600 k.pem"),
                     0);
    CLEANUP_SIGN_KEY struct sign_key *key = NULL;
    unit_check_ok(sign_key_load("k.pem", &key, &err), &err);
    assert_int_equal(mkdir_p("out", 0755), 0);
    for (size_t i = 0; i < fx.shipped.n; i++) {
        char path[256];
        snprintf(path, sizeof(path), "out/%s", fx.shipped.v[i].path);
        unit_write_file(path, "x");
    }
    struct export_files files = {NULL, 0};
    unit_check_ok(export_files_collect("out", &files, NULL, &err), &err);
    struct attest_job job = {
        .dir = "out",
        .packages = &fx.packages,
        .ct_packages = &fx.packages,
        .files = &fx.files,
        .prov = {.plan = fx.plan, .build_type = PROVENANCE_BUILD_TYPE, .epoch = EPOCH},
        .key = key,
    };
    unit_check_ok(attest_write(&job, &files, &err), &err);
    static const char *const made[] = {
        "small-2.0.spdx.json",           "small-2.0.cdx.json",
        "small-2.0-container.spdx.json", "small-2.0-container.cdx.json",
        "small-2.0.provenance.json",     "SHA256SUMS.sig",
        "small-2.0.intoto.jsonl",
    };
    for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        bool listed = false;
        for (size_t k = 0; k < files.n; k++)
            listed |= strcmp(files.v[k].path, made[i]) == 0;
        if (!listed)
            fail_msg("'%s' not added to the files", made[i]);
        struct delivery_role role;
        delivery_classify("small-2.0", fx.plan->outputs, made[i], &role);
        assert_non_null(role.output);
    }
    CLEANUP_FREE char *sums = slurp("out/SHA256SUMS"), *line = slurp("out/small-2.0.intoto.jsonl");
    CLEANUP_FREE char *prov = slurp("out/small-2.0.provenance.json");
    assert_non_null(strstr(sums, "  small-2.0.spdx.json\n"));
    assert_non_null(strstr(sums, "  small-2.0.provenance.json\n"));
    assert_null(strstr(sums, "SHA256SUMS.sig"));
    assert_null(strstr(sums, "intoto"));
    /* The container's SBOM lists the container's two files alone. */
    CLEANUP_FREE char *ct = slurp("out/small-2.0-container.spdx.json");
    assert_non_null(strstr(ct, "\"small-2.0-container.tar\""));
    assert_null(strstr(ct, "\"small-2.0.ova\""));
    /* The provenance's subjects: the SBOMs too. */
    struct export_files subjects;
    unit_check_ok(provenance_subjects(prov, strlen(prov), "p", &subjects, &err), &err);
    assert_int_equal(subjects.n, fx.shipped.n + 4);
    export_files_release(&subjects);
    struct dsse_envelope env;
    unit_check_ok(dsse_parse(line, strlen(line), "e", &env, &err), &err);
    assert_int_equal(env.payload_len, strlen(prov));
    assert_memory_equal(env.payload, prov, env.payload_len);
    assert_true(dsse_verify(&env, key));
    dsse_envelope_release(&env);
    export_files_release(&files);
    fixture_release(&fx);
}

static void
test_provenance_refused(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    struct export_files s;
    static const char *const bad[] = {"", "[]", "{\"_type\": \"x\"}",
                                      "{\"_type\": \"https://in-toto.io/Statement/v1\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(provenance_subjects(bad[i], strlen(bad[i]), "p", &s, &err), -1);
        CLEANUP_FREE char *msg = unit_error_text(&err);
        assert_non_null(strstr(msg, "'p' is not an in-toto statement"));
        ab_error_release(&err);
    }
    const char *odd = "{\"_type\": \"https://in-toto.io/Statement/v1\", \"subject\": "
                      "[1, {\"name\": \"a\"}, {\"name\": \"b\", \"digest\": {\"sha256\": 5}}]}";
    unit_check_ok(provenance_subjects(odd, strlen(odd), "p", &s, &err), &err);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[0].sha256, "");
    export_files_release(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipe_files),     cmocka_unit_test(test_purl),
        cmocka_unit_test(test_golden_documents), cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_attest),
        cmocka_unit_test(test_provenance_refused),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
