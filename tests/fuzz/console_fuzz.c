/* console_fuzz.c: libFuzzer harness for the judge of a booted guest's
 * serial console (boot_judge.h): what `appliance test` reads from a
 * guest, whose console prints whatever the disks make it print.
 *
 * Each input is a console log, scanned as the boot loop scans it while
 * the guest runs and judged against the plan of a fixed recipe (two VGs
 * and LVs whose names hold '-', both firmwares), as after the boot; the
 * verdict's reasons are walked and released. Seeds: the console of
 * tests/unit/test_boot_judge.c, whose recipe this is
 * (tests/fuzz/seeds.sh). */
#include <json-c/json.h>
#include <string.h>

#include "appliance/boot_judge.h"
#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/recipe.h"

#include "fuzz.h"

static const char recipe[] = "recipe: 1\n"
                             "name: judged\n"
                             "version: \"2.1\"\n"
                             "os:\n"
                             "  distro: debian-12\n"
                             "hardware:\n"
                             "  cpus: 2\n"
                             "  memory: 1536MiB\n"
                             "  firmware: bios+uefi\n"
                             "  controller: sata\n"
                             "  nics: 2\n"
                             "disks:\n"
                             "  os:\n"
                             "    size: 6GiB\n"
                             "    volumes:\n"
                             "      - { name: root, mount: /, size: 3GiB }\n"
                             "      - { name: swap, size: 512MiB, fs: swap }\n"
                             "      - { name: log, mount: /var/log, size: rest }\n"
                             "  app:\n"
                             "    size: 2GiB\n"
                             "    vg: app-vg\n"
                             "    volumes:\n"
                             "      - { name: app-cache, mount: /var/cache/app, size: 256MiB }\n"
                             "      - { name: data, mount: /srv/data, size: rest, fs: xfs }\n";

static struct boot_expect expect;

static void
release_expect(void)
{
    boot_expect_release(&expect);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct ab_error err = AB_ERROR_INIT;
    struct recipe *r = recipe_parse_buffer("judged.yaml", recipe, strlen(recipe), &err);
    const struct plan *p = r ? plan_new(r, &err) : NULL;
    if (!p)
        abort();
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string("judged"));
    json_object_object_add(o, "plan", plan_json_object(p));
    if (boot_expect_parse(&expect, json_object_to_json_string(o), "build-report.json", &err) < 0)
        abort();
    json_object_put(o);
    plan_free(p);
    ab_error_release(&err);
    atexit(release_expect);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly its bytes, so that a read past them is caught. */
    char *log = malloc(size ? size : 1);
    memcpy(log, data, size);
    (void)boot_console_scan(log, size);
    (void)boot_console_secure_boot(log, size);
    struct ab_error err = AB_ERROR_INIT;
    struct boot_verdict v = {0};
    if (boot_judge(&expect, log, size, &v, &err) == 0) {
        size_t sum = 0;
        for (size_t i = 0; i < v.n_reasons; i++)
            sum += strlen(v.reasons[i]);
        (void)sum;
    }
    boot_verdict_release(&v);
    ab_error_release(&err);
    free(log);
    return 0;
}
