/* test_verify.c: `appliance verify` (builder/inspect/verify.c) on a small
 * delivery attest_write made, its disks' packages given through the
 * reader seam (no libguestfs): the intact delivery passes; a changed disk
 * byte, a package missing from the disk, a file nobody listed, the wrong
 * key, a truncated signature, a changed envelope each fail, named; no
 * --key and --no-disks are skips; the JSON reads back. */
#include "unit.h"

#include <json-c/json.h>
#include <sys/stat.h>

#include "appliance/attest.h"
#include "appliance/cleanup.h"
#include "appliance/fsutil.h"
#include "appliance/sign.h"
#include "appliance/verify.h"
#include "pipeline/build_arches.h"

static const char recipe[] = "recipe: 1\n"
                             "name: small\n"
                             "version: \"2.0\"\n"
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
                             "outputs: [raw]\n";

static const char packages[] =
    "ii \tbash\t5.2.15-2+b2\tamd64\t\t\tMatthias <doko@debian.org>\n"
    "ii \tless\t590-2.1~deb12u2\tamd64\t\t\tMilan <kupcevic@debian.org>\n"
    "ii \tzlib1g\t1:1.2.13.dfsg-1\tamd64\tzlib\t1:1.2.13.dfsg-1\tMark <broonie@debian.org>\n";

/* The fake reader: the packages of the text it is given. */
static int
fake_packages(void *ctx, const struct inspect_drive *drives, size_t n, struct pkg_list *list,
              struct ab_error *err)
{
    assert_int_equal(n, 2);
    assert_string_equal(drives[0].format, "raw");
    return packages_parse(ctx, PKG_DEB, list, err);
}

static void
make_delivery(void)
{
    struct ab_error err = AB_ERROR_INIT;
    unit_need("openssl");
    unit_need("qemu-img");
    assert_int_equal(system("rm -rf d && mkdir d && truncate -s 1M d/small-2.0-os.raw && "
                            "truncate -s 1M d/small-2.0-app.raw && "
                            "printf 'os data' | dd of=d/small-2.0-os.raw conv=notrunc 2>/dev/null && "
                            "openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null && "
                            "openssl pkey -in ed.pem -pubout -out ed.pub && "
                            "openssl genpkey -algorithm ed25519 -out other.pem 2>/dev/null && "
                            "openssl pkey -in other.pem -pubout -out other.pub && "
                            "chmod 600 ed.pem other.pem"),
                     0);
    unit_write_file("d/build-report.json",
                    "{\"format\": 2, \"name\": \"small\", \"version\": \"2.0\"}\n");
    unit_write_file(UNIT_RECIPE, recipe);
    CLEANUP_PLAN const struct plan *plan = unit_plan(recipe);
    struct pkg_list list;
    unit_check_ok(packages_parse(packages, PKG_DEB, &list, &err), &err);
    CLEANUP_SIGN_KEY struct sign_key *key = NULL;
    unit_check_ok(sign_key_load("ed.pem", &key, &err), &err);
    struct export_files files = {NULL, 0};
    unit_check_ok(export_files_collect("d", &files, NULL, &err), &err);
    /* The report is not shipped: SHA256SUMS leaves it out. */
    for (size_t i = 0; i < files.n; i++)
        if (strcmp(files.v[i].path, "build-report.json") == 0) {
            free(files.v[i].path);
            memmove(&files.v[i], &files.v[i + 1], (files.n - i - 1) * sizeof(files.v[0]));
            files.n--;
            break;
        }
    struct attest_job job = {
        .dir = "d",
        .packages = &list,
        .prov = {.plan = plan, .build_type = PROVENANCE_BUILD_TYPE, .epoch = 1700000000},
        .key = key,
    };
    unit_check_ok(attest_write(&job, &files, &err), &err);
    export_files_release(&files);
    packages_release(&list);
}

/* Runs verify on folder d; the report in *r. */
static void
run(struct verify_report *r, const char *pub, bool disks, const char *disk_packages)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(system("rm -rf scratch"), 0);
    struct verify_opts o = {.key = pub,
                            .disks = disks,
                            .scratch = "scratch",
                            .packages = fake_packages,
                            .packages_ctx = (void *)disk_packages};
    unit_check_ok(verify_run("d", &o, r, &err), &err);
}

/* The check whose name holds what (and whose result is result), or NULL. */
static const struct verify_check *
find(const struct verify_report *r, enum verify_result result, const char *what)
{
    for (size_t i = 0; i < r->n_checks; i++)
        if (r->checks[i].result == result && strstr(r->checks[i].check, what))
            return &r->checks[i];
    return NULL;
}

static void
expect_fail(const struct verify_report *r, const char *check, const char *detail)
{
    const struct verify_check *c = find(r, VERIFY_FAIL, check);
    if (!c || !c->detail || !strstr(c->detail, detail)) {
        verify_write_text(r, stderr);
        fail_msg("no FAIL '%s' with '%s'", check, detail);
    }
    assert_false(verify_ok(r));
}

static void
test_intact(void **state)
{
    (void)state;
    make_delivery();
    struct verify_report r;
    run(&r, "ed.pub", true, packages);
    if (!verify_ok(&r))
        verify_write_text(&r, stderr);
    assert_true(verify_ok(&r));
    assert_int_equal(r.failed, 0);
    assert_int_equal(r.skipped, 0);
    assert_string_equal(r.stem, "small-2.0");
    assert_non_null(find(&r, VERIFY_OK, "signature of SHA256SUMS"));
    assert_non_null(find(&r, VERIFY_OK, "signature of the provenance"));
    assert_non_null(find(&r, VERIFY_OK, "digest of 'small-2.0-os.raw'"));
    assert_non_null(find(&r, VERIFY_OK, "'small-2.0.spdx.json': the packages installed"));
    assert_non_null(find(&r, VERIFY_OK, "'small-2.0.cdx.json': the packages installed"));
    assert_non_null(find(&r, VERIFY_OK, "'small-2.0.spdx.json': the os disk"));
    assert_non_null(find(&r, VERIFY_OK, "'small-2.0.provenance.json' against SHA256SUMS"));

    /* The text and the JSON say the same. */
    char *text = NULL, *js = NULL;
    size_t len = 0, jlen = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(verify_write_text(&r, f), 0);
    fclose(f);
    assert_non_null(strstr(text, "verified: "));
    f = open_memstream(&js, &jlen);
    assert_int_equal(verify_write_json(&r, f), 0);
    fclose(f);
    json_object *o = json_tokener_parse(js), *v = NULL;
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v));
    assert_true(json_object_object_get_ex(o, "checks", &v) &&
                json_object_array_length(v) == r.n_checks);
    json_object_put(o);
    free(text);
    free(js);
    verify_report_release(&r);

    /* No key, no disks: skipped, not failed. */
    run(&r, NULL, false, packages);
    assert_true(verify_ok(&r));
    assert_non_null(find(&r, VERIFY_SKIP, "signatures"));
    assert_non_null(find(&r, VERIFY_SKIP, "the packages on the disks"));
    verify_report_release(&r);
}

static void
test_tampered(void **state)
{
    (void)state;
    struct verify_report r;
    make_delivery();
    /* The disk's packages are not the SBOM's. */
    run(&r, "ed.pub", true,
        "ii \tbash\t5.2.15-2+b2\tamd64\t\t\tx\nii \tzlib1g\t1:1.2.13.dfsg-1\tamd64\t\t\tx\n"
        "ii \tcurl\t7.88.1-10\tamd64\t\t\tx\n");
    expect_fail(&r, "'small-2.0.spdx.json': the packages installed",
                "'less 590-2.1~deb12u2 amd64' is in the SBOM, not installed");
    expect_fail(&r, "'small-2.0.spdx.json': the packages installed",
                "'curl 7.88.1-10 amd64' is installed, not in the SBOM");
    verify_report_release(&r);

    /* Another key's signatures. */
    run(&r, "other.pub", false, packages);
    expect_fail(&r, "signature of SHA256SUMS", "another key signed this delivery");
    expect_fail(&r, "signature of the provenance", "signed by another key");
    verify_report_release(&r);

    /* A truncated signature. */
    assert_int_equal(truncate("d/SHA256SUMS.sig", 30), 0);
    run(&r, "ed.pub", false, packages);
    expect_fail(&r, "signature of SHA256SUMS", "truncated");
    verify_report_release(&r);
    make_delivery();

    /* One byte of a disk. */
    assert_int_equal(system("printf 'OS data' | dd of=d/small-2.0-os.raw conv=notrunc "
                            "2>/dev/null"),
                     0);
    run(&r, "ed.pub", false, packages);
    expect_fail(&r, "digest of 'small-2.0-os.raw'", "it changed");
    verify_report_release(&r);
    make_delivery();

    /* A file nobody vouches for. */
    unit_write_file("d/extra.sh", "#!/bin/sh\n");
    run(&r, "ed.pub", false, packages);
    expect_fail(&r, "file 'extra.sh'", "not in SHA256SUMS");
    verify_report_release(&r);
    make_delivery();

    /* The provenance changed after it was signed: its envelope's payload
     * no longer is it, and SHA256SUMS's digest no longer matches. */
    assert_int_equal(system("sed -i 's/unidentified/someone/' d/small-2.0.provenance.json"), 0);
    run(&r, "ed.pub", false, packages);
    expect_fail(&r, "signature of the provenance", "its payload is not");
    expect_fail(&r, "digest of 'small-2.0.provenance.json'", "it changed");
    verify_report_release(&r);
}

/* ---- a folder of both architectures ------------------------------------ */

static const char both[] = "recipe: 1\n"
                           "name: small\n"
                           "version: \"2.0\"\n"
                           "os:\n"
                           "  distro: debian-12\n"
                           "hardware: {arch: [x86_64, aarch64], firmware: uefi}\n"
                           "disks:\n"
                           "  os:\n"
                           "    size: 4GiB\n"
                           "    volumes:\n"
                           "      - { name: root, mount: /, size: 2GiB }\n"
                           "  app:\n"
                           "    size: 1GiB\n"
                           "    volumes:\n"
                           "      - { name: app, mount: /opt/app, size: rest }\n"
                           "outputs: [raw]\n";

static const char arm_packages[] =
    "ii \tbash\t5.2.15-2+b2\tarm64\t\t\tMatthias <doko@debian.org>\n"
    "ii \tzlib1g\t1:1.2.13.dfsg-1\tarm64\tzlib\t1:1.2.13.dfsg-1\tMark <broonie@debian.org>\n";

/* Each architecture's disks hold its own packages. */
static int
fake_both(void *ctx, const struct inspect_drive *drives, size_t n, struct pkg_list *list,
          struct ab_error *err)
{
    (void)ctx;
    assert_int_equal(n, 2);
    bool arm = strstr(drives[0].path, "aarch64") != NULL;
    return packages_parse(arm ? arm_packages : packages, PKG_DEB, list, err);
}

/* One architecture's build into m/.ARCH, as build_run leaves it for
 * build_run_arches: its disks, report, SBOMs, provenance and SHA256SUMS,
 * the provenance signed, SHA256SUMS not. */
static void
make_arch(enum arch arch, const char *name, const struct sign_key *key, const char *pkgs)
{
    struct ab_error err = AB_ERROR_INIT;
    char cmd[512], dir[64], report[128], text[512];
    snprintf(dir, sizeof(dir), "m/.%s", name);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s && truncate -s 1M %s/small-2.0-%s-os.raw %s/small-2.0-%s-app.raw && "
             "printf '%s data' | dd of=%s/small-2.0-%s-os.raw conv=notrunc 2>/dev/null",
             dir, dir, name, dir, name, name, dir, name);
    assert_int_equal(system(cmd), 0);
    const struct plan *plan = plan_new_arch(unit_parse(both, &err), arch, &err);
    unit_check_ok(plan ? 0 : -1, &err);
    struct pkg_list list;
    unit_check_ok(packages_parse(pkgs, PKG_DEB, &list, &err), &err);
    struct export_files files = {NULL, 0};
    unit_check_ok(export_files_collect(dir, &files, NULL, &err), &err);
    struct attest_job job = {
        .dir = dir,
        .packages = &list,
        .prov = {.plan = plan, .build_type = PROVENANCE_BUILD_TYPE, .epoch = 1700000000},
        .key = key,
        .sums_unsigned = true,
    };
    unit_check_ok(attest_write(&job, &files, &err), &err);
    snprintf(report, sizeof(report), "%s/build-report-%s.json", dir, name);
    snprintf(text, sizeof(text),
             "{\"format\": 2, \"name\": \"small\", \"version\": \"2.0\", \"plan\": "
             "{\"hardware\": {\"arch\": \"%s\", \"arches\": [\"x86_64\", \"aarch64\"]}}}\n",
             name);
    unit_write_file(report, text);
    export_files_release(&files);
    packages_release(&list);
    plan_free(plan);
}

/* The folder build_run_arches makes of both. */
static void
make_both(void)
{
    struct ab_error err = AB_ERROR_INIT;
    unit_need("openssl");
    unit_need("qemu-img");
    assert_int_equal(system("rm -rf m && mkdir m && "
                            "openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null && "
                            "openssl pkey -in ed.pem -pubout -out ed.pub && chmod 600 ed.pem"),
                     0);
    unit_write_file(UNIT_RECIPE, both);
    CLEANUP_SIGN_KEY struct sign_key *key = NULL;
    unit_check_ok(sign_key_load("ed.pem", &key, &err), &err);
    make_arch(ARCH_X86_64, "x86_64", key, packages);
    make_arch(ARCH_AARCH64, "aarch64", key, arm_packages);
    const char *parts[] = {"m/.x86_64", "m/.aarch64"};
    unit_check_ok(arches_merge(parts[0], "m", &err), &err);
    unit_check_ok(arches_merge(parts[1], "m", &err), &err);
    unit_check_ok(export_sums_merge("m", parts, 2, &err), &err);
    unit_check_ok(attest_sign_sums("m", key, NULL, &err), &err);
    assert_int_equal(system("rm -rf m/.x86_64 m/.aarch64"), 0);
}

static void
run_both(struct verify_report *r, bool disks)
{
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(system("rm -rf scratch"), 0);
    struct verify_opts o = {
        .key = "ed.pub", .disks = disks, .scratch = "scratch", .packages = fake_both};
    unit_check_ok(verify_run("m", &o, r, &err), &err);
}

/* Both architectures, checked against the one SHA256SUMS: each one's
 * provenance signature, SBOMs and disks; every line of SHA256SUMS. */
static void
test_both(void **state)
{
    (void)state;
    make_both();
    struct verify_report r;
    run_both(&r, true);
    if (!verify_ok(&r) || getenv("SHOW"))
        verify_write_text(&r, stderr);
    assert_true(verify_ok(&r));
    assert_int_equal(r.skipped, 0);
    assert_string_equal(r.stem, "small-2.0");
    assert_string_equal(r.arches, "x86_64, aarch64");
    assert_non_null(find(&r, VERIFY_OK, "signature of SHA256SUMS"));
    assert_non_null(find(&r, VERIFY_OK, "signature of the provenance (small-2.0-x86_64"));
    assert_non_null(find(&r, VERIFY_OK, "signature of the provenance (small-2.0-aarch64"));
    assert_non_null(find(&r, VERIFY_OK, "digest of 'small-2.0-x86_64-os.raw'"));
    assert_non_null(find(&r, VERIFY_OK, "digest of 'small-2.0-aarch64-app.raw'"));
    assert_non_null(find(&r, VERIFY_OK, "'small-2.0-aarch64.spdx.json': the packages installed"));
    assert_non_null(find(&r, VERIFY_OK, "'small-2.0-x86_64.cdx.json': the packages installed"));
    assert_non_null(find(&r, VERIFY_OK, "'small-2.0-aarch64.provenance.json' against SHA256SUMS"));
    assert_non_null(find(&r, VERIFY_OK, "'small-2.0-x86_64.spdx.json' names the appliance"));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(verify_write_text(&r, f), 0);
    fclose(f);
    assert_non_null(strstr(text, "m (small-2.0: x86_64, aarch64)\n"));
    free(text);
    verify_report_release(&r);

    /* One byte of the second architecture's disk; a file nobody lists. */
    assert_int_equal(system("printf 'X' | dd of=m/small-2.0-aarch64-app.raw conv=notrunc "
                            "2>/dev/null"),
                     0);
    unit_write_file("m/extra.sh", "#!/bin/sh\n");
    run_both(&r, false);
    expect_fail(&r, "digest of 'small-2.0-aarch64-app.raw'", "it changed");
    expect_fail(&r, "file 'extra.sh'", "not in SHA256SUMS");
    verify_report_release(&r);

    /* A line of SHA256SUMS no appliance's SBOM lists. */
    make_both();
    assert_int_equal(system("echo 'stray' > m/stray.txt && "
                            "(cd m && sha256sum stray.txt >> SHA256SUMS)"),
                     0);
    run_both(&r, false);
    expect_fail(&r, "'small-2.0-x86_64.spdx.json' against SHA256SUMS",
                "'stray.txt' of SHA256SUMS is not listed");
    expect_fail(&r, "signature of SHA256SUMS", "was changed");
    verify_report_release(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_both),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
