/* test_report.c: build-report.json read back by its one reader, from a
 * report its writer wrote (round trip), and from hostile or malformed
 * bytes, which are reported or ignored, never trusted. */
#include "unit.h"

#include <json-c/json.h>

#include "appliance/arch.h"
#include "appliance/cleanup.h"
#include "appliance/export.h"
#include "appliance/report.h"

static const char recipe[] = "recipe: 1\n"
                             "name: reported\n"
                             "version: \"3.4\"\n"
                             "description: a report read back\n"
                             "vendor: Example\n"
                             "os:\n"
                             "  distro: debian-12\n"
                             "hardware:\n"
                             "  cpus: 3\n"
                             "  memory: 1536MiB\n"
                             "  firmware: uefi\n"
                             "  controller: scsi\n"
                             "  nics: 2\n"
                             "disks:\n"
                             "  os:\n"
                             "    size: 6GiB\n"
                             "    volumes:\n"
                             "      - { name: root, mount: /, size: 3GiB }\n"
                             "      - { name: swap, size: 512MiB, fs: swap }\n"
                             "  app:\n"
                             "    size: 2GiB\n"
                             "    volumes:\n"
                             "      - { name: data, mount: /srv, size: rest }\n";

static const struct report_mount *
mount_at(const struct report_plan *p, const char *path)
{
    for (size_t i = 0; i < p->n_mounts; i++)
        if (p->mounts[i].path && strcmp(p->mounts[i].path, path) == 0)
            return &p->mounts[i];
    fail_msg("no mount at %s", path);
    return NULL;
}

/* What report_write wrote, report_load reads: the name, and the plan's
 * machine, mounts and volumes as the plan said them. */
static void
test_round_trip(void **state)
{
    (void)state;
    unit_write_file(UNIT_RECIPE, recipe);
    CLEANUP_PLAN const struct plan *plan = unit_plan(recipe);
    struct build_report w;
    struct export_files files = {NULL, 0};
    struct ab_error err = AB_ERROR_INIT;
    report_init(&w);
    report_stage(&w, "os", 1.5);
    w.source_date_epoch = 1700000000;
    assert_int_equal(mkdir("out", 0755), 0);
    unit_check_ok(report_write(&w, plan, "out", &files, NULL, &err), &err);
    report_release(&w);

    struct report_info r;
    unit_check_ok(report_load("out/build-report.json", &r, &err), &err);
    assert_string_equal(r.name, "reported");
    assert_true(r.has_plan);
    const struct report_plan *p = &r.plan;
    assert_string_equal(p->name, "reported");
    assert_string_equal(p->version, "3.4");
    assert_string_equal(p->description, "a report read back");
    assert_string_equal(p->vendor, "Example");
    assert_string_equal(p->distro, "debian-12");
    assert_true(p->has_hardware && p->has_disks && p->has_mounts);
    assert_string_equal(p->hardware.firmware, "uefi");
    assert_string_equal(p->hardware.controller, "scsi");
    assert_int_equal(p->hardware.cpus, 3);
    assert_int_equal(p->hardware.memory, 1536LL << 20);
    assert_int_equal(p->hardware.nics, 2);
    assert_int_equal(p->hardware.secure_boot, plan->hardware.secure_boot ? 1 : -1);
    const struct report_mount *root = mount_at(p, "/"), *srv = mount_at(p, "/srv");
    assert_string_equal(root->fs, fs_to_string(plan->mounts[0].fs));
    assert_string_equal(root->disk, "os");
    assert_string_equal(root->lv, "/dev/vg_os/root");
    assert_string_equal(srv->disk, "app");
    assert_int_equal(p->n_vgs, 2);
    assert_string_equal(p->vgs[0].name, "vg_os");
    assert_true(p->vgs[0].has_lvs);
    assert_int_equal(p->vgs[0].n_lvs, 2);
    assert_string_equal(p->vgs[0].lvs[1].name, "swap");
    assert_string_equal(p->vgs[0].lvs[1].fs, "swap");
    assert_string_equal(p->vgs[1].name, "vg_app");
    report_info_release(&r);

    char *name = report_load_name("out/build-report.json");
    assert_string_equal(name, "reported");
    free(name);
}

/* The files' shape that build-report.json and convert-report.json share:
 * each with its output, its disk and the targets it serves; a file no
 * output writes has none. */
static void
test_files_json(void **state)
{
    (void)state;
    CLEANUP_PLAN const struct plan *plan = unit_plan(recipe);
    char ova[] = "reported-3.4.ova", qcow2[] = "reported-3.4-os.qcow2", notes[] = "notes.txt";
    struct export_file v[] = {
        {ova, 10, "aa"},
        {qcow2, 20, "bb"}, /* not an output of the plan */
        {notes, 30, "cc"},
    };
    struct export_files files = {v, 3};
    json_object *a = report_files_json(plan, &files);
    assert_int_equal(json_object_array_length(a), 3);
    const char *want[] = {
        "{ \"path\": \"reported-3.4.ova\", \"size\": 10, \"sha256\": \"aa\", \"output\": "
        "\"ova\", \"for\": [ \"vsphere\", \"workstation\", \"virtualbox\", \"proxmox\" ] }",
        "{ \"path\": \"reported-3.4-os.qcow2\", \"size\": 20, \"sha256\": \"bb\", \"for\": [ ] }",
        "{ \"path\": \"notes.txt\", \"size\": 30, \"sha256\": \"cc\", \"for\": [ ] }",
    };
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(json_object_to_json_string_ext(json_object_array_get_idx(a, i),
                                                           JSON_C_TO_STRING_SPACED),
                            want[i]);
    json_object_put(a);
}

/* A plan as `appliance plan --json` writes it is read as the plan. */
static void
test_plan_document(void **state)
{
    (void)state;
    struct report_info r;
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(
        report_parse("{\"name\": \"bare\", \"hardware\": {\"cpus\": 4}}", "p.json", &r, &err),
        &err);
    assert_false(r.has_plan);
    assert_string_equal(r.plan.name, "bare");
    assert_true(r.plan.has_hardware);
    assert_int_equal(r.plan.hardware.cpus, 4);
    assert_int_equal(r.plan.hardware.memory, -1);
    report_info_release(&r);
}

/* Bytes that are not JSON are an error naming the file; JSON of the
 * wrong shape is read as far as it goes, every odd member absent. */
static void
test_hostile(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"", "'r.json' is not JSON: unexpected end of data"},
        {"{", "'r.json' is not JSON: unexpected end of data"},
        {"{\"name\": x}", NULL},
        {"\x01\x02", NULL},
        {"{\"a\": "
         "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]"
         "]]]]"
         "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
         NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct report_info r;
        struct ab_error err = AB_ERROR_INIT;
        assert_int_equal(report_parse(bad[i].text, "r.json", &r, &err), -1);
        assert_true(ab_error_is_set(&err));
        if (bad[i].msg)
            assert_string_equal(err.diags[0].msg, bad[i].msg);
        else
            assert_non_null(strstr(err.diags[0].msg, "'r.json' is not JSON: "));
        report_info_release(&r);
        ab_error_release(&err);
    }
    static const char *const odd[] = {
        "[1, 2, 3]",
        "\"just a string\"",
        "null\n",
        "{\"name\": 7, \"plan\": []}",
        "{\"plan\": {\"name\": null, \"hardware\": [], \"disks\": {}, \"mounts\": 3}}",
        "{\"plan\": {\"hardware\": {\"cpus\": \"many\", \"memory\": 1.5, \"nics\": true,"
        " \"firmware\": 1, \"secure_boot\": \"yes\"}, \"os\": \"debian\","
        " \"mounts\": [7, null, {\"path\": [], \"partition\": \"1\"}],"
        " \"disks\": [1, {\"vg\": 2}, {\"vg\": {\"lvs\": {}}}, {\"vg\": {\"name\": \"v\","
        " \"lvs\": [0, {\"name\": {}}]}}]}}",
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        struct report_info r;
        struct ab_error err = AB_ERROR_INIT;
        unit_check_ok(report_parse(odd[i], "r.json", &r, &err), &err);
        assert_null(r.name);
        assert_null(r.plan.name);
        assert_null(r.plan.hardware.firmware);
        assert_int_equal(r.plan.hardware.cpus, -1);
        assert_int_equal(r.plan.hardware.memory, -1);
        assert_int_equal(r.plan.hardware.nics, -1);
        assert_int_equal(r.plan.hardware.secure_boot, 0);
        assert_null(r.plan.distro);
        for (size_t m = 0; m < r.plan.n_mounts; m++) {
            assert_null(r.plan.mounts[m].path);
            assert_false(r.plan.mounts[m].has_partition);
        }
        for (size_t v = 0; v < r.plan.n_vgs; v++)
            for (size_t l = 0; l < r.plan.vgs[v].n_lvs; l++)
                assert_null(r.plan.vgs[v].lvs[l].name);
        report_info_release(&r);
    }
}

/* A file that is missing, not a file, or far too large is an error. */
/* Format 2: "format", and each file's output, disk and targets, as the
 * delivery table says them; written, then read back. */
static void
test_files_format2(void **state)
{
    (void)state;
    static const char text[] =
        "recipe: 1\nname: rep\nversion: '2.0'\nos: {distro: debian-12}\n"
        "disks:\n"
        "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
        "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
        "outputs: [ova, qcow2, libvirt]\n";
    unit_write_file(UNIT_RECIPE, text);
    CLEANUP_PLAN const struct plan *plan = unit_plan(text);
    assert_int_equal(mkdir("out2", 0755), 0);
    unit_write_file("out2/rep-2.0.ova", "o");
    unit_write_file("out2/rep-2.0-os.qcow2", "q");
    unit_write_file("out2/rep-2.0-app.qcow2", "r");
    unit_write_file("out2/rep-2.0.xml", "x");
    unit_write_file("out2/INSTALL-kvm.md", "k");
    unit_write_file("out2/stray.txt", "s");
    struct build_report w;
    struct export_files files = {NULL, 0};
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(export_files_collect("out2", &files, NULL, &err), &err);
    report_init(&w);
    unit_check_ok(report_write(&w, plan, "out2", &files, NULL, &err), &err);
    report_release(&w);
    export_files_release(&files);

    struct report_info r;
    unit_check_ok(report_load("out2/build-report.json", &r, &err), &err);
    assert_int_equal(r.format, REPORT_FORMAT);
    assert_int_equal(r.format, 2);
    assert_string_equal(r.version, "2.0");
    assert_true(r.has_files);
    assert_int_equal(r.n_files, 6);
    static const struct {
        const char *path, *output, *disk, *targets;
    } want[] = {
        {"INSTALL-kvm.md", "install", NULL, "kvm"},
        {"rep-2.0-app.qcow2", "qcow2", "app", "proxmox kvm"},
        {"rep-2.0-os.qcow2", "qcow2", "os", "proxmox kvm"},
        {"rep-2.0.ova", "ova", NULL, "vsphere workstation virtualbox proxmox"},
        {"rep-2.0.xml", "libvirt", NULL, "kvm"},
        {"stray.txt", NULL, NULL, ""},
    };
    for (size_t i = 0; i < 6; i++) {
        const struct report_file *f = &r.files[i];
        assert_string_equal(f->path, want[i].path);
        assert_int_equal(f->size, 1);
        assert_int_equal(strlen(f->sha256), 64);
        if (want[i].output)
            assert_string_equal(f->output, want[i].output);
        else
            assert_null(f->output);
        if (want[i].disk)
            assert_string_equal(f->disk, want[i].disk);
        else
            assert_null(f->disk);
        char targets[128] = "";
        for (size_t t = 0; f->targets[t]; t++)
            snprintf(targets + strlen(targets), sizeof(targets) - strlen(targets), "%s%s",
                     t ? " " : "", f->targets[t]);
        assert_string_equal(targets, want[i].targets);
    }
    assert_string_equal(report_file_path(&r, "qcow2", "app"), "rep-2.0-app.qcow2");
    assert_string_equal(report_file_path(&r, "libvirt", NULL), "rep-2.0.xml");
    assert_null(report_file_path(&r, "qcow2", NULL));
    assert_null(report_file_path(&r, "vdi", "os"));
    CLEANUP_FREE char *stem = report_stem(&r);
    assert_string_equal(stem, "rep-2.0");
    report_info_release(&r);
    CLEANUP_FREE char *xml = report_find_file("out2/build-report.json", "libvirt", NULL);
    assert_string_equal(xml, "out2/rep-2.0.xml");
    assert_null(report_find_file("no-such-folder/build-report.json", "libvirt", NULL));
}

/* Format 1 (no "format"): the files' outputs and disks from the names it
 * wrote (NAME-os.qcow2), no targets; the stem is the name. A path that
 * leaves the folder is never returned as a file of it. */
static void
test_files_format1(void **state)
{
    (void)state;
    static const char v1[] =
        "{\"name\": \"old\", \"version\": \"1\", \"plan\": {\"name\": \"old\"}, \"files\": ["
        "{\"path\": \"SHA256SUMS\"}, {\"path\": \"old-app.qcow2\", \"size\": 3}, "
        "{\"path\": \"old-os.qcow2\"}, {\"path\": \"old.ova\"}, "
        "{\"path\": \"ovf/old-os.vmdk\"}, {\"path\": \"old.xml\"}, 7]}";
    struct report_info r;
    struct ab_error err = AB_ERROR_INIT;
    unit_check_ok(report_parse(v1, "v1.json", &r, &err), &err);
    assert_int_equal(r.format, 1);
    assert_int_equal(r.n_files, 7);
    assert_string_equal(report_file_path(&r, "qcow2", "os"), "old-os.qcow2");
    assert_string_equal(report_file_path(&r, "ova", NULL), "old.ova");
    assert_string_equal(report_file_path(&r, "ovf", "os"), "ovf/old-os.vmdk");
    assert_string_equal(report_file_path(&r, "libvirt", NULL), "old.xml");
    assert_int_equal(r.files[1].size, 3);
    assert_null(r.files[0].output);
    assert_null(r.files[0].targets[0]);
    assert_null(r.files[6].path); /* not an object: nothing */
    CLEANUP_FREE char *stem = report_stem(&r);
    assert_string_equal(stem, "old");
    report_info_release(&r);

    assert_int_equal(mkdir("evil", 0755), 0);
    unit_write_file("evil/build-report.json",
                    "{\"format\": 2, \"name\": \"e\", \"files\": [{\"path\": \"../x.xml\", "
                    "\"output\": \"libvirt\"}, {\"path\": \"/etc/passwd\", \"output\": "
                    "\"qcow2\", \"disk\": \"os\"}]}");
    assert_null(report_find_file("evil/build-report.json", "libvirt", NULL));
    assert_null(report_find_file("evil/build-report.json", "qcow2", "os"));
}

/* In a folder of several architectures, each writes its own report. */
static void
test_write_arches(void **state)
{
    (void)state;
    static const char text[] =
        "recipe: 1\nname: rep\nversion: '2.0'\nos: {distro: debian-12}\n"
        "hardware: {arch: [aarch64, x86_64]}\n"
        "disks:\n"
        "  os: {size: 4GiB, volumes: [{name: root, mount: /, size: 1GiB}]}\n"
        "  app: {size: 1GiB, volumes: [{name: a, mount: /a, size: 512MiB}]}\n"
        "outputs: [qcow2]\n";
    unit_write_file(UNIT_RECIPE, text);
    struct ab_error err = AB_ERROR_INIT;
    CLEANUP_PLAN const struct plan *plan =
        plan_new_arch(unit_parse(text, &err), ARCH_AARCH64, &err);
    unit_check_ok(plan ? 0 : -1, &err);
    assert_int_equal(mkdir("outa", 0755), 0);
    unit_write_file("outa/rep-2.0-aarch64-os.qcow2", "q");
    struct build_report w;
    struct export_files files = {NULL, 0};
    unit_check_ok(export_files_collect("outa", &files, NULL, &err), &err);
    report_init(&w);
    unit_check_ok(report_write(&w, plan, "outa", &files, NULL, &err), &err);
    report_release(&w);
    export_files_release(&files);
    assert_int_equal(access("outa/build-report.json", F_OK), -1);
    struct report_info r;
    unit_check_ok(report_load("outa/build-report-aarch64.json", &r, &err), &err);
    assert_int_equal(r.plan.hardware.arches, ARCH_X86_64 | ARCH_AARCH64);
    CLEANUP_FREE char *stem = report_stem(&r);
    assert_string_equal(stem, "rep-2.0-aarch64");
    assert_string_equal(report_file_path(&r, "qcow2", "os"), "rep-2.0-aarch64-os.qcow2");
    report_info_release(&r);
}

/* A report of a folder of several architectures names its files with its
 * own: NAME-VERSION-ARCH; an arch it does not list names nothing. */
static void
test_stem_arches(void **state)
{
    (void)state;
    static const struct {
        const char *hardware, *stem;
    } cases[] = {
        {"{\"arch\": \"aarch64\", \"arches\": [\"x86_64\", \"aarch64\"]}", "s-1-aarch64"},
        {"{\"arch\": \"x86_64\", \"arches\": [\"x86_64\", \"aarch64\"]}", "s-1-x86_64"},
        {"{\"arch\": \"aarch64\", \"arches\": [\"aarch64\"]}", "s-1"},
        {"{\"arch\": \"x86_64\"}", "s-1"}, /* before "arches" */
        {"{\"arch\": \"s390x\", \"arches\": [\"x86_64\", \"aarch64\"]}", NULL},
        {"{\"arches\": [\"x86_64\", \"aarch64\"]}", NULL},
        {"{\"arch\": \"x86_64\", \"arches\": [\"x86_64\", \"mips\"]}", "s-1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "{\"format\": 2, \"name\": \"s\", \"version\": \"1\", \"plan\": "
                 "{\"hardware\": %s}}",
                 cases[i].hardware);
        struct report_info r;
        struct ab_error err = AB_ERROR_INIT;
        unit_check_ok(report_parse(text, "r.json", &r, &err), &err);
        CLEANUP_FREE char *stem = report_stem(&r);
        print_message("%s\n", cases[i].hardware);
        if (cases[i].stem)
            assert_string_equal(stem, cases[i].stem);
        else
            assert_null(stem);
        report_info_release(&r);
    }
}

/* A report for arch, as report_write gives its plan. */
static void
write_report(const char *path, const char *arch, const char *arches)
{
    char text[512];
    snprintf(text, sizeof(text),
             "{\"format\": 2, \"name\": \"m\", \"version\": \"1\", \"plan\": {\"hardware\": "
             "{\"arch\": \"%s\", \"arches\": [%s]}}}",
             arch, arches);
    unit_write_file(path, text);
}

/* The report's path, or the error's text, for --arch arch in dir. */
static char *
resolved(const char *dir, const char *arch)
{
    struct ab_error err = AB_ERROR_INIT;
    char *path = NULL;
    if (report_resolve(dir, arch, &path, &err) == 0) {
        assert_non_null(path);
        return path;
    }
    assert_null(path);
    assert_int_equal(err.code, AB_E_USAGE);
    char *msg = unit_error_text(&err);
    ab_error_release(&err);
    return msg;
}

/* The one resolver of a folder's report: build-report.json when there
 * is one; else the asked architecture's, the only one, or the host's;
 * else an error that lists them and asks for --arch. */
static void
test_resolve(void **state)
{
    (void)state;
    const char *host = arch_row(arch_host())->name;
    const char *other = arch_host() == ARCH_X86_64 ? "aarch64" : "x86_64";
    char want[256];
    assert_int_equal(mkdir("none", 0755), 0);
    assert_int_equal(mkdir("one", 0755), 0);
    assert_int_equal(mkdir("both", 0755), 0);
    assert_int_equal(mkdir("other", 0755), 0);
    static const char both[] = "\"x86_64\", \"aarch64\"";

    /* No report: where one would be, for the caller's reader to say so. */
    CLEANUP_FREE char *none = resolved("none", NULL);
    assert_string_equal(none, "none/build-report.json");
    CLEANUP_FREE char *none_arm = resolved("none", "aarch64");
    assert_string_equal(none_arm, "none/build-report.json");

    /* One architecture: its report, whose arch must be the one asked. */
    write_report("one/build-report.json", "aarch64", "\"aarch64\"");
    CLEANUP_FREE char *one = resolved("one", NULL);
    CLEANUP_FREE char *one_arm = resolved("one", "aarch64");
    CLEANUP_FREE char *one_x86 = resolved("one", "x86_64");
    assert_string_equal(one, "one/build-report.json");
    assert_string_equal(one_arm, "one/build-report.json");
    assert_string_equal(one_x86,
                        "appliance: error: 'one' holds an aarch64 appliance, not x86_64\n");

    /* Both: the one asked, else the host's. */
    write_report("both/build-report-x86_64.json", "x86_64", both);
    write_report("both/build-report-aarch64.json", "aarch64", both);
    CLEANUP_FREE char *both_arm = resolved("both", "aarch64");
    CLEANUP_FREE char *both_x86 = resolved("both", "x86_64");
    CLEANUP_FREE char *both_host = resolved("both", NULL);
    CLEANUP_FREE char *unknown = resolved("both", "mips");
    assert_string_equal(both_arm, "both/build-report-aarch64.json");
    assert_string_equal(both_x86, "both/build-report-x86_64.json");
    snprintf(want, sizeof(want), "both/build-report-%s.json", host);
    assert_string_equal(both_host, want);
    assert_string_equal(unknown, "appliance: error: unknown architecture 'mips'\n");
    bool single = true;
    assert_int_equal(report_arches("both", &single), ARCH_X86_64 | ARCH_AARCH64);
    assert_false(single);

    /* Several, the host's not among them: the error lists them. */
    write_report("other/build-report-aarch64.json", "aarch64", both);
    write_report("other/build-report-x86_64.json", "x86_64", both);
    snprintf(want, sizeof(want), "other/build-report-%s.json", host);
    assert_int_equal(unlink(want), 0);
    CLEANUP_FREE char *only = resolved("other", NULL);
    snprintf(want, sizeof(want), "other/build-report-%s.json", other);
    assert_string_equal(only, want); /* the only one */
    CLEANUP_FREE char *missing = resolved("other", host);
    snprintf(want, sizeof(want),
             "appliance: error: 'other' holds no %s appliance: its architectures are %s\n", host,
             other);
    assert_string_equal(missing, want);
    unit_write_file("other/build-report-mips.json", "{}"); /* no architecture of ours */
    CLEANUP_FREE char *still = resolved("other", NULL);
    snprintf(want, sizeof(want), "other/build-report-%s.json", other);
    assert_string_equal(still, want);
}

static void
test_load_refuses(void **state)
{
    (void)state;
    struct report_info r;
    struct ab_error err = AB_ERROR_INIT;
    assert_int_equal(report_load("no-such-report.json", &r, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "cannot read 'no-such-report.json'"));
    report_info_release(&r);
    ab_error_release(&err);
    assert_null(report_load_name("no-such-report.json"));
    assert_int_equal(mkdir("a-folder", 0755), 0);
    assert_int_equal(report_load("a-folder", &r, &err), -1);
    report_info_release(&r);
    ab_error_release(&err);
    FILE *f = fopen("huge.json", "w");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), (off_t)REPORT_MAX_BYTES + 1), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(report_load("huge.json", &r, &err), -1);
    assert_non_null(strstr(err.diags[0].msg, "not a report"));
    report_info_release(&r);
    ab_error_release(&err);
}

/* The reports of a folder by name: its one, or each architecture's in
 * build order (aarch64's written first, read second); build-report.json
 * where there is none. */
static void
test_names(void **state)
{
    (void)state;
    static const struct {
        const char *dir, *files[2], *want[2];
    } cases[] = {
        {"n1", {"build-report.json", NULL}, {"build-report.json", NULL}},
        {"n2",
         {"build-report-aarch64.json", "build-report-x86_64.json"},
         {"build-report-x86_64.json", "build-report-aarch64.json"}},
        {"n3", {"build-report-aarch64.json", NULL}, {"build-report-aarch64.json", NULL}},
        {"n4", {NULL, NULL}, {"build-report.json", NULL}},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        assert_int_equal(mkdir(cases[c].dir, 0755), 0);
        for (size_t i = 0; i < 2 && cases[c].files[i]; i++) {
            CLEANUP_FREE char *path = NULL;
            assert_true(asprintf(&path, "%s/%s", cases[c].dir, cases[c].files[i]) > 0);
            unit_write_file(path, "{}");
        }
        char *names[ARCH_N] = {NULL};
        size_t n = report_names(cases[c].dir, names);
        assert_int_equal(n, cases[c].want[1] ? 2 : 1);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(names[i], cases[c].want[i]);
            free(names[i]);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_files_json),
        cmocka_unit_test(test_plan_document), cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_files_format2), cmocka_unit_test(test_files_format1),
        cmocka_unit_test(test_write_arches),  cmocka_unit_test(test_stem_arches),
        cmocka_unit_test(test_resolve),       cmocka_unit_test(test_names),
        cmocka_unit_test(test_load_refuses),
    };
    return cmocka_run_group_tests(tests, unit_enter_tmpdir, unit_leave_tmpdir);
}
