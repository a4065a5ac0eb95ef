/* test_bundle.c: bundles without disk images (no appliance, no qemu-img):
 * OVAs made with tar from a descriptor the OVF writer wrote, manifests
 * made with sha256sum, then tampered with, reordered, truncated. The
 * digests and problems that `appliance inspect` reports come from here. */
#include "unit.h"

#include <sys/stat.h>

#include "appliance/bundle.h"
#include "appliance/cleanup.h"
#include "appliance/ovf.h"

#define FMT(buf, ...) assert_true(snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    assert_true(vsnprintf(cmd, sizeof(cmd), fmt, ap) < (int)sizeof(cmd));
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        print_error("failed: %s\n", cmd);
    assert_int_equal(rc, 0);
}

/* dir/t.ovf (written by ovf_write for the sizes of the fake disks),
 * dir/t-os.vmdk, dir/t-app.vmdk and dir/t.mf. */
static void
make_ovf_dir(const char *dir)
{
    sh("mkdir -p %s && head -c 3000 /dev/urandom >%s/t-os.vmdk && printf app >%s/t-app.vmdk", dir,
       dir, dir);
    CLEANUP_PLAN const struct plan *p =
        unit_plan("recipe: 1\nname: t\nversion: '1'\nos: {distro: debian-12}\n"
                  "hardware: {cpus: 1, memory: 1GiB, firmware: bios, controller: scsi, nics: 1}\n"
                  "disks:\n  os: {size: 8GiB, volumes: [{name: root, mount: /, size: rest}]}\n"
                  "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: rest}]}\n");
    const struct ovf_disk_file disks[2] = {{"t-os.vmdk", 3000, UINT64_C(8) << 30, 3000},
                                           {"t-app.vmdk", 3, UINT64_C(1) << 30, 3}};
    char path[PATH_MAX];
    FMT(path, "%s/t.ovf", dir);
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(ovf_write(p, disks, path, &err), 0);
    sh("cd %s && for f in t.ovf t-os.vmdk t-app.vmdk; do "
       "printf 'SHA256(%%s)= %%s\\n' $f $(sha256sum <$f | cut -d' ' -f1); done >t.mf",
       dir);
}

static struct bundle *
open_ok(const char *path, unsigned flags)
{
    struct ab_error err = AB_ERROR_INIT;
    struct bundle *b = bundle_open(path, NULL, flags, "scratch", NULL, &err);
    if (!b) {
        char *msg = unit_error_text(&err);
        print_error("%s", msg);
        free(msg);
    }
    ab_error_release(&err);
    assert_non_null(b);
    assert_int_equal(bundle_verify(b, &err), 0);
    for (size_t i = 0; i < b->n_problems; i++)
        print_message("problem: %s\n", b->problems[i]);
    return b;
}

/* "STATE file" for each check, one per line. */
static char *
checks_text(const struct bundle *b)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (size_t i = 0; i < b->n_checks; i++)
        fprintf(f, "%s %s %s\n", b->checks[i].manifest, check_state_name(b->checks[i].state),
                b->checks[i].file);
    fclose(f);
    return text;
}

static void
test_good_ova(void **state)
{
    (void)state;
    make_ovf_dir("good");
    sh("tar --format=ustar -cf good.ova -C good t.ovf t.mf t-os.vmdk t-app.vmdk");
    struct bundle *b = open_ok("good.ova", BUNDLE_VERIFY);
    assert_int_equal(b->kind, BUNDLE_OVA);
    assert_string_equal(b->ovf_source, "good.ova:t.ovf");
    assert_string_equal(b->ovf->name, "t");
    CLEANUP_FREE char *text = checks_text(b);
    assert_string_equal(text, "good.ova:t.mf OK t.ovf\n"
                              "good.ova:t.mf OK t-os.vmdk\n"
                              "good.ova:t.mf OK t-app.vmdk\n");
    assert_int_equal(b->n_problems, 0);
    assert_true(bundle_ok(b));
    bundle_free(b);
    /* Without verifying, nothing is checked and nothing is wrong. */
    struct ab_error err = AB_ERROR_INIT;
    b = bundle_open("good.ova", NULL, 0, "scratch", NULL, &err);
    assert_non_null(b);
    assert_int_equal(b->checks[1].state, CHECK_PENDING);
    assert_true(bundle_ok(b));
    bundle_free(b);
}

static void
test_tampered_ova(void **state)
{
    (void)state;
    make_ovf_dir("bad");
    sh("tar --format=ustar -cf bad.ova -C bad t.ovf t.mf t-os.vmdk t-app.vmdk");
    /* One byte of t-os.vmdk's data: members are 512-byte aligned after a
     * 512-byte header each; the .ovf and .mf come first. */
    sh("python3 -c \"import tarfile,sys; t=tarfile.open('bad.ova'); "
       "m=t.getmember('t-os.vmdk'); f=open('bad.ova','r+b'); f.seek(m.offset_data+1000); "
       "b=f.read(1); f.seek(m.offset_data+1000); f.write(bytes([b[0]^1]))\"");
    struct bundle *b = open_ok("bad.ova", BUNDLE_VERIFY);
    CLEANUP_FREE char *text = checks_text(b);
    assert_string_equal(text, "bad.ova:t.mf OK t.ovf\n"
                              "bad.ova:t.mf MISMATCH t-os.vmdk\n"
                              "bad.ova:t.mf OK t-app.vmdk\n");
    assert_false(bundle_ok(b));
    bundle_free(b);
}

static void
test_ova_order_and_sizes(void **state)
{
    (void)state;
    make_ovf_dir("order");
    /* The disks before the descriptor; app listed before os. */
    sh("tar --format=ustar -cf order.ova -C order t-app.vmdk t-os.vmdk t.ovf t.mf");
    struct bundle *b = open_ok("order.ova", BUNDLE_VERIFY);
    assert_int_equal(b->n_problems, 1);
    assert_string_equal(b->problems[0],
                        "order.ova: the first member is 't-app.vmdk', not the .ovf descriptor");
    CLEANUP_FREE char *text = checks_text(b);
    assert_string_equal(text, "order.ova:t.mf OK t.ovf\n"
                              "order.ova:t.mf OK t-os.vmdk\n"
                              "order.ova:t.mf OK t-app.vmdk\n");
    bundle_free(b);

    sh("cd order && printf apps >t-app.vmdk && sed -i '/t-app.vmdk/d' t.mf && "
       "echo 'SHA1(t-gone.vmdk)= da39a3ee5e6b4b0d3255bfef95601890afd80709' >>t.mf && "
       "echo 'SHA256(../../etc/passwd)= %064d' >>t.mf && "
       "tar --format=ustar -cf ../sizes.ova t.ovf t.mf t-app.vmdk t-os.vmdk",
       0);
    b = open_ok("sizes.ova", BUNDLE_VERIFY);
    static const char *const want[] = {
        "sizes.ova:t.mf:4: '../../etc/passwd' is not a file name a manifest may give",
        "sizes.ova: 't-app.vmdk' is 4 bytes, but its File ovf:size says 3",
        "sizes.ova: the manifest does not list 't-app.vmdk'",
        "sizes.ova: 't-app.vmdk' comes before 't-os.vmdk', against the References order",
    };
    assert_int_equal(b->n_problems, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(b->problems[i], want[i]);
    CLEANUP_FREE char *text2 = checks_text(b);
    assert_string_equal(text2, "sizes.ova:t.mf OK t.ovf\n"
                               "sizes.ova:t.mf OK t-os.vmdk\n"
                               "sizes.ova:t.mf MISSING t-gone.vmdk\n");
    bundle_free(b);
}

static void
test_ovf_file(void **state)
{
    (void)state;
    make_ovf_dir("plain");
    struct bundle *b = open_ok("plain/t.ovf", BUNDLE_VERIFY);
    assert_int_equal(b->kind, BUNDLE_OVF);
    CLEANUP_FREE char *text = checks_text(b);
    assert_string_equal(text, "plain/t.mf OK t.ovf\nplain/t.mf OK t-os.vmdk\n"
                              "plain/t.mf OK t-app.vmdk\n");
    assert_true(bundle_ok(b));
    bundle_free(b);
    sh("rm plain/t-app.vmdk");
    b = open_ok("plain/t.ovf", BUNDLE_VERIFY);
    assert_string_equal(b->problems[0], "plain/t.ovf: 't-app.vmdk', named by the descriptor, is "
                                        "missing");
    assert_int_equal(b->checks[2].state, CHECK_MISSING);
    bundle_free(b);
}

/* An output folder: ovf/, the OVA, SHA256SUMS over everything; the OVA
 * is digested once, whole and by member. */
static void
test_folder(void **state)
{
    (void)state;
    make_ovf_dir("dir/ovf");
    sh("cd dir && echo '{\"name\": \"t\"}' >build-report.json && "
       "tar --format=ustar -cf t.ova -C ovf t.ovf t.mf t-os.vmdk t-app.vmdk && "
       "find . -type f | sed 's|^./||' | sort | xargs sha256sum >../sums && mv ../sums SHA256SUMS");
    struct bundle *b = open_ok("dir", BUNDLE_VERIFY);
    assert_int_equal(b->kind, BUNDLE_FOLDER);
    assert_string_equal(b->name, "t");
    assert_string_equal(b->ovf_source, "ovf/t.ovf");
    assert_true(bundle_ok(b));
    assert_int_equal(b->n_checks, 3 + 3 + 6);
    bundle_free(b);

    sh("cd dir && printf x >>ovf/t-app.vmdk && rm build-report.json");
    b = open_ok("dir", BUNDLE_VERIFY);
    assert_string_equal(b->name, "t"); /* from the only .ova */
    CLEANUP_FREE char *text = checks_text(b);
    assert_string_equal(text, "ovf/t.mf OK t.ovf\n"
                              "ovf/t.mf OK t-os.vmdk\n"
                              "ovf/t.mf MISMATCH t-app.vmdk\n"
                              "t.ova:t.mf OK t.ovf\n"
                              "t.ova:t.mf OK t-os.vmdk\n"
                              "t.ova:t.mf OK t-app.vmdk\n"
                              "SHA256SUMS MISSING build-report.json\n"
                              "SHA256SUMS MISMATCH ovf/t-app.vmdk\n"
                              "SHA256SUMS OK ovf/t-os.vmdk\n"
                              "SHA256SUMS OK ovf/t.mf\n"
                              "SHA256SUMS OK ovf/t.ovf\n"
                              "SHA256SUMS OK t.ova\n");
    bundle_free(b);
}

/* A folder whose report is of format 2: its disks are the files the
 * report lists for them (not NAME-os.*, which format 1 wrote), the stem
 * NAME-VERSION. */
static void
test_folder_report_files(void **state)
{
    (void)state;
    sh("mkdir -p rep && truncate -s 1M rep/t-1-os.raw rep/t-1-app.raw rep/t-os.raw rep/t-app.raw");
    sh("cd rep && printf '%%s' '{\"format\": 2, \"name\": \"t\", \"version\": \"1\", "
       "\"plan\": {}, \"files\": [{\"path\": \"t-1-app.raw\", \"output\": \"raw\", "
       "\"disk\": \"app\"}, {\"path\": \"t-1-os.raw\", \"output\": \"raw\", "
       "\"disk\": \"os\"}]}' >build-report.json");
    struct ab_error err = AB_ERROR_INIT;
    struct bundle *b = bundle_open("rep", NULL, 0, "scratch", NULL, &err);
    assert_non_null(b);
    assert_string_equal(b->name, "t");
    assert_string_equal(b->stem, "t-1");
    assert_int_equal(b->n_disks, 2);
    assert_string_equal(b->disks[0].name, "t-1-os.raw");
    assert_string_equal(b->disks[1].name, "t-1-app.raw");
    bundle_free(b);
    ab_error_release(&err);
}

/* With BUNDLE_DISKS, the descriptor's disks are extracted (qemu-img
 * calls these fakes raw) in its order; other members are not disks. */
static void
test_extract(void **state)
{
    (void)state;
    make_ovf_dir("ex");
    sh("echo nvram >ex/t.nvram && "
       "tar --format=ustar -cf ex.ova -C ex t.ovf t.mf t-os.vmdk t-app.vmdk t.nvram");
    struct ab_error err = AB_ERROR_INIT;
    struct bundle *b =
        bundle_open("ex.ova", NULL, BUNDLE_DISKS | BUNDLE_VERIFY, "exscratch", NULL, &err);
    assert_non_null(b);
    assert_true(b->ova_verified); /* digested in the same pass */
    assert_int_equal(b->n_disks, 2);
    assert_string_equal(b->disks[0].name, "ex.ova:t-os.vmdk");
    assert_string_equal(b->disks[0].format, "raw");
    assert_int_equal(b->disks[0].file_size, 3000);
    char want[PATH_MAX];
    FMT(want, "%s/exscratch/t-os.vmdk", unit_tmpdir);
    assert_string_equal(b->disks[0].path, want);
    assert_string_equal(b->disks[1].name, "ex.ova:t-app.vmdk");
    sh("cmp exscratch/t-os.vmdk ex/t-os.vmdk && test ! -e exscratch/t.nvram");
    assert_int_equal(bundle_verify(b, &err), 0);
    assert_int_equal(b->checks[1].state, CHECK_OK);
    bundle_free(b);
}

static void
test_errors(void **state)
{
    (void)state;
    struct ab_error err = AB_ERROR_INIT;
    unit_write_file("junk.ova", "not a tar archive at all");
    assert_null(bundle_open("junk.ova", NULL, 0, "scratch", NULL, &err));
    char *msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: cannot read OVA 'junk.ova': Unrecognized archive "
                             "format\n");
    free(msg);
    ab_error_release(&err);
    sh("mkdir -p empty");
    assert_null(bundle_open("empty", NULL, 0, "scratch", NULL, &err));
    msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: cannot tell the appliance's name in 'empty': no "
                             "build-report.json with a name, and not one .ova\n");
    free(msg);
    ab_error_release(&err);
    sh("mkdir -p notova && echo x >notova/a && tar --format=ustar -cf notova.ova -C notova a");
    assert_null(bundle_open("notova.ova", NULL, 0, "scratch", NULL, &err));
    msg = unit_error_text(&err);
    assert_string_equal(msg, "appliance: error: 'notova.ova' has no .ovf descriptor: not an "
                             "OVA\n");
    free(msg);
    ab_error_release(&err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_ova),
        cmocka_unit_test(test_tampered_ova),
        cmocka_unit_test(test_ova_order_and_sizes),
        cmocka_unit_test(test_ovf_file),
        cmocka_unit_test(test_folder),
        cmocka_unit_test(test_folder_report_files),
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
