/* recipe_fuzz.c: libFuzzer harness for the recipe front end.
 *
 * Each input is parsed as a recipe; when it parses, it is planned, and
 * when it plans, the plan is written as text and as JSON. Everything is
 * freed, so leaks show up under LeakSanitizer. The recipe "lives" in a
 * temporary folder holding a few files, so that rootfs and files entries
 * can resolve (and a symbolic link that leads outside). Build and run with
 * `make fuzz` and `make check-fuzz`. */
#include <ftw.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/error.h"
#include "appliance/plan.h"
#include "appliance/recipe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char folder[PATH_MAX];
static char recipe_path[PATH_MAX];
static FILE *devnull;

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void
remove_folder(void)
{
    nftw(folder, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* folder/path with text in it (a folder when text is NULL). */
static void
make(const char *path, const char *text)
{
    char full[PATH_MAX + 64];
    snprintf(full, sizeof(full), "%s/%s", folder, path);
    if (!text) {
        mkdir(full, 0755);
        return;
    }
    FILE *f = fopen(full, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(folder, sizeof(folder), "%s/recipe-fuzz-XXXXXX", tmp);
    if (!mkdtemp(folder))
        abort();
    atexit(remove_folder);
    make("app", NULL);
    make("app/dist", NULL);
    make("app/dist/acme", "#!/bin/sh\n");
    make("base", NULL);
    make("base/rootfs.tar.zst", "");
    make("files", NULL);
    make("files/motd", "welcome\n");
    char link[PATH_MAX + 16];
    snprintf(link, sizeof(link), "%s/escape", folder);
    if (symlink("/etc", link) < 0)
        abort();
    snprintf(recipe_path, sizeof(recipe_path), "%s/recipe.yaml", folder);
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        abort();
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ab_error err = AB_ERROR_INIT;

    /* The CLI's path: a recipe whose only problems are unknown keys and
     * refused values is judged by plan_new() too. */
    struct recipe *r = recipe_parse_buffer_with(recipe_path, (const char *)data, size, NULL, &err);
    if (r) {
        const struct plan *p = plan_new(r, &err); /* takes r in every case */
        if (p) {
            plan_write_text(p, devnull);
            plan_write_json(p, devnull);
            plan_free(p);
        }
    }
    /* The CLI's path too: sorting and printing every diagnostic. */
    ab_error_sort(&err);
    ab_error_write(&err, devnull);
    ab_error_release(&err);
    return 0;
}
