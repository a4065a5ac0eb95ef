/* recipe.h: a parsed recipe, every value with its position in the file.
 *
 * recipe_parse() reads a recipe file (format 1, see appliance-recipe(5)),
 * checks the type and form of every value, and reports every problem it
 * finds with its file:line:col. Checks that need the whole recipe (sizes
 * that must fit, unique mount points) belong to plan_new(). */
#ifndef APPLIANCE_RECIPE_H
#define APPLIANCE_RECIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "appliance/enums.h"
#include "appliance/error.h"

/* Limits that keep a hostile recipe from costing memory or time. */
#define RECIPE_MAX_FILE_BYTES (1024 * 1024)
#define RECIPE_MAX_NODES 100000 /* nodes visited, aliases expanded */
#define RECIPE_MAX_SCALAR 65536
#define RECIPE_MAX_LIST 4096

struct recipe_volume {
    struct ab_pos pos; /* the volume's mapping */
    char *name;
    struct ab_pos name_pos;
    char *mount; /* NULL for swap */
    struct ab_pos mount_pos;
    uint64_t size; /* bytes; 0 when rest */
    bool rest;
    struct ab_pos size_pos;
    enum fs_type fs; /* FS_NONE: the family's default */
    struct ab_pos fs_pos;
    bool grow; /* `grow:` as given; meaningful when grow_set */
    bool grow_set;
    struct ab_pos grow_pos;
    /* A key of it was unknown (reported): it may have meant mount or fs,
     * so the plan's checks that need them pass this volume by. */
    bool incomplete;
};

struct recipe_disk {
    const char *id; /* "os" or "app" */
    bool present;
    struct ab_pos pos;
    uint64_t size;
    struct ab_pos size_pos;
    char *vg; /* NULL: the default */
    struct ab_pos vg_pos;
    uint64_t boot; /* OS disk only; 0: the default */
    bool boot_set;
    struct ab_pos boot_pos;
    bool grow; /* `grow:` as given; meaningful when grow_set */
    bool grow_set;
    struct ab_pos grow_pos;
    struct recipe_volume *volumes;
    size_t n_volumes;
    struct ab_pos volumes_pos;
};

struct recipe_user {
    struct ab_pos pos;
    char *name;
    struct ab_pos name_pos;
    char **groups; /* NULL-terminated */
    struct ab_pos groups_pos;
    char *password_hash; /* NULL: no password (locked) */
    struct ab_pos password_hash_pos;
    char **ssh_authorized_keys; /* NULL-terminated */
    struct ab_pos *ssh_key_pos; /* one per key */
};

/* True when the user can log in with a password ("!" and "*" lock it). */
bool recipe_user_password_set(const struct recipe_user *u);

struct recipe_file {
    struct ab_pos pos;
    char *src; /* as written, relative to the recipe's folder */
    struct ab_pos src_pos;
    char *dest;
    struct ab_pos dest_pos;
    char *owner; /* NULL: root:root */
    int mode;    /* -1: keep the source's mode */
};

/* A value that did not come from the recipe's text as written: a --set,
 * or a value with ${VAR} in it. The plan and the build report list them. */
struct recipe_param {
    char *key;   /* dotted, as --set takes it: "os.hostname" */
    char *value; /* as used; "(hidden)" for a password hash */
    char *from;  /* "--set", or the value as written: "${HOST:-web}" */
};

struct recipe {
    char *path; /* the recipe file as given; positions point at it */
    char *dir;  /* its folder, absolute */
    struct ab_pos pos;

    char *name;
    struct ab_pos name_pos;
    char *version;
    char *description;
    char *vendor;
    char *product_url, *vendor_url; /* NULL: none; the OVF's ProductUrl and VendorUrl */
    char *seed; /* NULL: none; mixed into every derived identity */
    struct ab_pos seed_pos;

    struct {
        struct ab_pos pos;
        enum distro distro;
        struct ab_pos distro_pos;
        char *rootfs;
        struct ab_pos rootfs_pos;
        char *mirror;
        struct ab_pos mirror_pos;
        char **packages; /* NULL-terminated */
        struct ab_pos packages_pos;
        char *hostname;
        char *timezone;
        struct ab_pos timezone_pos;
        char *locale;
        struct ab_pos locale_pos;
        char *kernel_cmdline;
        struct ab_pos kernel_cmdline_pos;
    } os;
    bool os_present;

    struct {
        unsigned cpus;    /* 0: default */
        uint64_t memory;  /* 0: default */
        struct ab_pos memory_pos;
        unsigned arches;   /* enum arch flags; 0: default (x86_64) */
        struct ab_pos arch_pos;
        enum firmware firmware; /* 0: default */
        struct ab_pos firmware_pos;
        enum controller controller;
        bool controller_set;
        struct ab_pos controller_pos;
        int nics; /* -1: default */
        int secure_boot; /* -1: default, 0 off, 1 on */
        struct ab_pos secure_boot_pos;
    } hardware;

    struct recipe_disk os_disk;
    struct recipe_disk app_disk;
    struct ab_pos disks_pos;
    bool disks_present;

    unsigned addons; /* enum addon_flags */
    bool addons_set;
    struct ab_pos addons_pos;

    struct recipe_user *users;
    size_t n_users;
    struct recipe_file *files;
    size_t n_files;
    char **run; /* NULL-terminated */
    struct ab_pos *run_pos; /* one per line */

    unsigned outputs; /* enum output_flags */
    bool outputs_set;
    struct ab_pos outputs_pos;

    enum ova_target ova_target; /* OVA_TARGET_GENERIC by default */
    struct ab_pos ova_target_pos;

    bool cloud; /* `cloud:` as given; meaningful when cloud_set */
    bool cloud_set;
    struct ab_pos cloud_pos;

    /* Returned with errors: keys the format does not have were reported,
     * and plan_new() judges the rest, passing by what they may have
     * meant (recipe_parse_with()). */
    bool partial;

    struct recipe_param *params; /* in the order applied */
    size_t n_params;

    enum digest ova_digest;
    bool ova_digest_set; /* else the target's */
    struct ab_pos ova_digest_pos;
    char *ova_hardware_family; /* NULL: the target's */
    struct ab_pos ova_hardware_family_pos;
    char *ova_eula; /* NULL: none; the license's text file, inside the recipe's folder */
    struct ab_pos ova_eula_pos;
};

/* Parses the recipe at path. On success returns a recipe to be freed with
 * recipe_free(); on failure returns NULL with every problem found in err. */
struct recipe *recipe_parse(const char *path, struct ab_error *err);

/* Parses a recipe held in memory; path names it in diagnostics and decides
 * the folder that relative paths start from. */
struct recipe *recipe_parse_buffer(const char *path, const char *text, size_t len,
                                   struct ab_error *err);

/* How a recipe's values may be given from outside its text. */
struct recipe_opts {
    /* "KEY=VALUE": KEY a dotted path of mapping keys (a list item by its
     * name or 1-based number: disks.app.volumes.data.size), VALUE one
     * scalar taken as it is (never YAML), checked as if written in the
     * file; diagnostics name "--set KEY" as their place. */
    const char *const *set;
    size_t n_set;
    /* ${VAR} in a value of the file: VAR's value, or NULL when unset.
     * NULL getenv: every variable is unset. Lines of `run` are left as
     * they are (the guest's shell reads them). */
    const char *(*getenv)(const char *name, void *ctx);
    void *getenv_ctx;
};

/* recipe_parse() with values from outside the text (o may be NULL). When
 * the only problems are keys the format does not have, the recipe is
 * returned with err set, so that plan_new() can report its own problems
 * in the same run; else NULL. */
struct recipe *recipe_parse_with(const char *path, const struct recipe_opts *o,
                                 struct ab_error *err);
struct recipe *recipe_parse_buffer_with(const char *path, const char *text, size_t len,
                                        const struct recipe_opts *o, struct ab_error *err);

void recipe_free(struct recipe *r);

/* The recipe's JSON Schema (draft 2020-12), made from the parser's key
 * table: every key, its type, bounds, names, default and one line of
 * documentation. Returns 0, or -1 when out fails. */
int recipe_schema_write(FILE *out);

/* The same table as the key reference of appliance-recipe(5), in POD:
 * one =head2 section per mapping. Returns 0, or -1 when out fails. */
int recipe_keys_write_pod(FILE *out);

static inline void
recipe_cleanup(struct recipe **r)
{
    recipe_free(*r);
}
#define CLEANUP_RECIPE __attribute__((cleanup(recipe_cleanup)))

#endif
