/* report.h: build-report.json, what a pipeline reads after a build: the
 * recipe's digest, the tools' versions, stage timings, the resolved plan
 * (disk layout), the disks' sizes, every file shipped with its size and
 * SHA-256, and the installed packages (a simple SBOM). Password hashes
 * and file contents never appear in it.
 *
 * This module writes it (report_write, for the build) and is its one
 * reader (report_parse, report_load: for `appliance test`, `deploy`,
 * `inspect` and `convert`). A report comes from outside once written:
 * the reader takes any bytes, and says what it found, member by member,
 * without judging; each caller judges what it needs. */
#ifndef APPLIANCE_REPORT_H
#define APPLIANCE_REPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "appliance/arch.h"
#include "appliance/error.h"
#include "appliance/export.h"
#include "appliance/packages.h"
#include "appliance/plan.h"
#include "appliance/spawn.h"

#define REPORT_MAX_STAGES 32

/* The report's "format": 2 since each file says its output, disk and
 * targets (docs/outputs.md); a report without "format" is format 1. */
#define REPORT_FORMAT 2

struct build_report {
    pthread_mutex_t lock; /* stages are recorded from two threads */
    struct {
        const char *name;
        double seconds;
    } stages[REPORT_MAX_STAGES];
    size_t n_stages;
    bool cache_hit;
    int64_t source_date_epoch; /* the build's one time (epoch.h) */
    bool epoch_from_env;       /* given by SOURCE_DATE_EPOCH, not the tree's */
    bool kvm;
    char kernel[128];
    uint64_t disk_size[PLAN_N_DISKS];      /* the raw disks' virtual sizes */
    uint64_t disk_allocated[PLAN_N_DISKS]; /* and the bytes they hold */
    const struct pkg_list *packages;       /* packages_read()'s list, the build's */
    char recipe_sha256[HASH_HEX_MAX];      /* the recipe's; "": report_write reads it */
    /* The first line of `qemu-img --version` and of the package tool's
     * (NULL when it did not answer), once asked. */
    bool tools_probed;
    char *qemu_img_version, *package_tool_version;
    /* --cache-registry: the repository, and what became of the root tree's
     * and each disk's entry there ("pulled", "missing", "refused",
     * "present", "unreachable", "none"); registry NULL: not used. */
    const char *registry;
    const char *registry_root, *registry_disk[PLAN_N_DISKS];
};

void report_init(struct build_report *r);
void report_release(struct build_report *r);
/* Records a stage's time; thread-safe. name must outlive r. */
void report_stage(struct build_report *r, const char *name, double seconds);

/* Asks the tools the report names for their versions, with ctx (may be
 * NULL): early, on a thread of its own if the caller likes, so that
 * report_write need not wait for them. Not thread-safe against
 * report_write. */
void report_probe_tools(struct build_report *r, const struct plan *plan,
                        const struct spawn_ctx *ctx);

/* Writes dir/build-report.json (build-report-ARCH.json in a folder of
 * several architectures: delivery_arch_doc); files are the output's files. The tools
 * asked for their versions, unless report_probe_tools did, run with ctx
 * (may be NULL). */
int report_write(struct build_report *r, const struct plan *plan, const char *dir,
                 const struct export_files *files, const struct spawn_ctx *ctx,
                 struct ab_error *err);

/* The report's "files": every file of files with its size, SHA-256 and
 * what it is (delivery.h): its output, its disk for a disk's file, and
 * the targets it serves ("for"). The shape convert-report.json shares. */
struct json_object;
struct json_object *report_files_json(const struct plan *plan, const struct export_files *files);

/* ---- reading ----------------------------------------------------------- */

/* A mount of the embedded plan; a member that is absent or of another
 * type is NULL (has_partition false). */
struct report_mount {
    char *path, *fs, *disk, *lv;
    bool has_partition;
    int partition;
};

/* A logical volume of a volume group; name and fs NULL when absent. */
struct report_lv {
    char *name, *fs;
};

/* The "vg" of one of the plan's disks (disks without one are skipped). */
struct report_vg {
    char *name;   /* NULL when absent */
    bool has_lvs; /* "lvs" is an array */
    struct report_lv *lvs;
    size_t n_lvs;
};

/* The plan's "hardware": strings as written (the enum tables read them),
 * numbers -1 when absent or not integers. */
struct report_hardware {
    char *arch, *firmware, *controller;
    unsigned arches; /* "arches": enum arch flags of the names this program knows; 0: none */
    int secure_boot; /* 1 true, -1 false, 0 absent */
    int64_t cpus, memory, nics;
};

struct report_plan {
    char *name, *version, *description, *vendor;
    char *distro;      /* os.distro */
    bool has_hardware; /* "hardware" is an object */
    struct report_hardware hardware;
    bool has_disks, has_mounts; /* "disks", "mounts" are arrays */
    struct report_mount *mounts;
    size_t n_mounts;
    struct report_vg *vgs;
    size_t n_vgs;
};

/* One of "files": strings NULL and size -1 when absent. A format 1
 * report's files get their output and disk from their names as format 1
 * wrote them (NAME-os.qcow2), and no targets. */
struct report_file {
    char *path, *sha256, *output, *disk;
    int64_t size;
    char **targets; /* NULL-terminated, never NULL once read */
};

struct report_info {
    int format;    /* "format", 1 when absent */
    char *name;    /* the top-level "name": the appliance's */
    char *version; /* the top-level "version" */
    bool has_files; /* "files" is an array */
    struct report_file *files;
    size_t n_files;
    bool has_plan; /* a "plan" object; else plan was read from the document
                      itself, as `appliance plan --json` writes it */
    struct report_plan plan;
};

/* Parses text, a build-report.json (or a plan as `appliance plan --json`
 * writes it), into r. -1 only when it is not JSON: "'WHAT' is
 * not JSON: REASON". r is released by report_info_release either way. */
int report_parse(const char *text, const char *what, struct report_info *r, struct ab_error *err);

/* report_parse of the file at path (at most REPORT_MAX_BYTES), named by
 * its path. */
#define REPORT_MAX_BYTES (64u << 20)
int report_load(const char *path, struct report_info *r, struct ab_error *err);

void report_info_release(struct report_info *r);

/* The path (relative to the report's folder) of the file of output
 * ("qcow2", "ova", "libvirt") and disk ("os", "app", or NULL for a file
 * of no disk) in r's file list, or NULL when it lists none. */
const char *report_file_path(const struct report_info *r, const char *output, const char *disk);

/* The stem of the report's file names (malloc'd): NAME-VERSION from
 * format 2 (NAME-VERSION-ARCH when its plan lists several architectures:
 * plan_stem), NAME before; NULL when out of memory, or when r has no name
 * and version a recipe could give (names.h), or names its architecture
 * among none it lists. */
char *report_stem(const struct report_info *r);

/* The architecture that names r's files (the arch row's name) when its
 * plan lists several, else NULL; -1 when it lists several and its own
 * arch is none of them. */
int report_folder_arch(const struct report_info *r, const char **arch);

/* report_file_path of the report at report (report_resolve's), as
 * "DIR/PATH", DIR the report's folder (malloc'd); NULL when there is no
 * report, it lists no such file, or out of memory. */
char *report_find_file(const char *report, const char *output, const char *disk);

/* ---- the report of a folder ---------------------------------------------- */

/* The one function that finds the build report of an output folder dir
 * (into *path, malloc'd), for the commands that open one. arch is
 * --arch, an architecture's name, or NULL when none was asked:
 *
 *   - dir/build-report.json when there is one (a folder of one
 *     architecture); when arch is asked, the report must be of arch;
 *   - else build-report-ARCH.json (a folder of several, delivery.h):
 *     arch's when asked; the only one; else the host's architecture's
 *     when the folder has it; else an error listing the folder's
 *     architectures and asking for --arch;
 *   - a folder without any report: dir/build-report.json, which does not
 *     exist (the caller's reader says so, or looks without it).
 *
 * 0, or -1 with a usage error (AB_E_USAGE). */
int report_resolve(const char *dir, const char *arch, char **path, struct ab_error *err);

/* The architectures (enum arch flags) of the build-report-ARCH.json files
 * in dir; *single when dir holds a build-report.json. */
unsigned report_arches(const char *dir, bool *single);

/* The build reports of dir, by name: build-report.json, or in a folder
 * built for several architectures each one's (build-report-ARCH.json),
 * in build order; build-report.json when dir holds none. Into names (to
 * be freed; an entry NULL when out of memory); returns how many, at
 * most ARCH_N. */
size_t report_names(const char *dir, char *names[ARCH_N]);

/* The appliance's name in the report at path, or NULL when it is absent,
 * unreadable or names none (malloc'd). */
char *report_load_name(const char *path);

#endif
