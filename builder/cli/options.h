/* options.h: the program's one command-line grammar.
 *
 * Each command describes its options once, as a table of struct
 * cli_option (long name, letter, argument, help line). From that table
 * come its getopt_long() parsing, its --help text and the did-you-mean
 * of a mistyped option. Every command also takes the common options,
 * parsed here and never by the command:
 *
 *   -j, --json      the result as JSON on stdout, errors as JSON on stderr
 *   -q, --quiet     errors and warnings only on stderr
 *   -v, --verbose   more on stderr (each command run, each step)
 *       --log FILE  what the command did, written to FILE
 *   -h, --help      the command's help
 *
 * A letter means one thing in the whole program: the letters are listed
 * in appliance(1), OPTIONS, and tests/cli/cli.sh checks every command's
 * --help against each other. */
#ifndef APPLIANCE_CLI_OPTIONS_H
#define APPLIANCE_CLI_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "appliance/error.h"
#include "progress.h"

struct json_object;

/* Ids of the common options (letters are their own ids), and of the
 * options of the commands that read a recipe (CLI_RECIPE_OPTIONS).
 * Commands number their long-only options from CLI_OPT_FIRST. */
enum {
    CLI_OPT_LOG = 256,
    CLI_OPT_SET,
    CLI_OPT_WERROR,
    CLI_OPT_PROGRESS,
    CLI_OPT_ARCH,
    CLI_OPT_FIRST = 300,
};

struct cli_option {
    int id;           /* what reaches the command's handler: its letter, or an id */
    char letter;      /* the short option; 0: none */
    const char *name; /* the long option, without "--" */
    const char *arg;  /* the argument's name ("DIR"); NULL: it takes none */
    const char *help; /* one line, '\n' continues it; NULL: a hidden alias */
    const char *deprecated; /* an alias kept for scripts: the option to use instead */
};

struct cli_command {
    const char *name;
    const char *usage;  /* "Usage: ..." and the description, before "Options:" */
    const struct cli_option *options; /* its own, ended by a row with a NULL name */
    const char *footer; /* after the options: what it prints, its exit status */
};

enum cli_level {
    CLI_QUIET,   /* errors and warnings only: they are diagnostics, not chatter */
    CLI_NORMAL,  /* progress, notices */
    CLI_VERBOSE, /* and each command run, each step */
};

/* One run of one command: the common options and the arguments left. */
struct cli {
    const struct cli_command *cmd;
    bool json;
    bool json_diags;      /* errors and warnings as JSON on stderr: --json, --progress=json */
    enum progress_form progress; /* --progress; PROGRESS_AUTO when not given */
    enum cli_level level;
    const char *log_path; /* --log */
    FILE *log;            /* opened by cli_open_log() */
    struct json_object *json_errors;   /* --json: the errors reported, printed at the end */
    struct json_object *json_warnings; /* --json: the warnings reported, likewise */
    char **args;          /* the positional arguments */
    int n_args;
};

/* The command's handler of one of its own options: id and its argument
 * (NULL for none). Returns 0, or an exit status after a usage error. */
typedef int (*cli_option_fn)(void *ctx, int id, const char *arg);

/* Parses argv (argv[0] is the command's name) with cmd's table and the
 * common options, calling on_option for the command's own. Returns -1 when
 * the command is to run (c->args holds the rest), 0 after --help, or 2
 * after a usage error (printed, with a did-you-mean for an unknown long
 * option). */
int cli_parse(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
              cli_option_fn on_option, void *ctx);

/* Prints cmd's help: its usage, every option of its table and the common
 * ones, one per line as "  -o, --output DIR   help", then its footer. */
void cli_help(const struct cli_command *cmd, FILE *out);

/* The one argument that makes cli_parse() print the command's words for
 * bash completion instead of running it: `appliance --complete options
 * COMMAND` (main.c) runs `COMMAND --complete-options`. */
#define CLI_COMPLETE_OPTIONS "--complete-options"

/* What cli_parse() prints then: every option of cmd's table and the
 * common ones that --help shows, a line for its long name and one for its
 * letter, each followed by its argument's name and the values the program
 * knows for it (the tables of outputs, distributions, firmwares, import
 * targets, architectures, progress forms):
 *
 *   --output DIR
 *   -o DIR
 *   --progress FORM auto terminal plain json
 *   --json
 */
void cli_complete_options(const struct cli_command *cmd, FILE *out);

/* Opens c->log_path for writing, when given. Returns 0, or 1 after
 * printing why it cannot. */
int cli_open_log(struct cli *c);

/* Ends the run: with --json prints the errors and warnings reported as
 * one object on stderr, one line,
 *
 *   {"errors":[{"file","line","column","code","message"}],
 *    "warnings":[{"file","line","column","code","message"}]}
 *
 * (a position's parts null when it has none; "errors" always there, an
 * empty list when only warnings were reported; "warnings" only when
 * there were some, each of code "warning"), and closes the log. Nothing
 * is printed when nothing was reported. Returns status, made 1 when
 * writing the log failed. Idempotent. */
int cli_release(struct cli *c, int status);

/* Prints err's diagnostics to stderr (with --json: keeps them for
 * cli_release()) and to the log, and returns its exit status. */
int cli_report_to(struct cli *c, struct ab_error *err);

/* Reports a list of warnings (ab_warn()) the same way, even with -q:
 * "FILE:LINE:COL: warning: MSG" on stderr, or under --json in the
 * "warnings" list. With as_errors (--werror) they are errors instead:
 * "FILE:LINE:COL: error: MSG (--werror)", under --json in "errors" with
 * code "recipe". Returns 3 when as_errors and there was one, else 0. */
int cli_report_warnings_to(struct cli *c, const struct ab_error *warnings, bool as_errors);

/* ---- the commands that show progress: build, convert, test ----------- */

/* Their row, in each of their option tables; cli_parse() takes it into
 * c->progress (its values are progress_form_table's). With json, every
 * line on stderr is a JSON object: the events, then the errors and
 * warnings as --json prints them. */
#define CLI_PROGRESS_OPTION                                                                        \
    {CLI_OPT_PROGRESS, 0, "progress", "FORM",                                                      \
     "how progress is shown on stderr: auto (a live\n"                                             \
     "line on a terminal, else plain lines), terminal,\n"                                          \
     "plain, or json (one JSON object a line, errors\n"                                            \
     "too)",                                                                                       \
     NULL}

/* ---- the commands that open an output folder: test, deploy, convert,
 * inspect ---------------------------------------------------------------- */

/* Their row: which architecture of a folder that holds several
 * (report_resolve, report.h). */
#define CLI_ARCH_OPTION                                                                            \
    {                                                                                              \
        CLI_OPT_ARCH, 0, "arch", "ARCH",                                                           \
            "of a folder built for several architectures, the\n"                                   \
            "one to take: x86_64 or aarch64 (default: the only\n"                                  \
            "one, else this machine's)",                                                           \
            NULL                                                                                   \
    }

/* Checks --arch's value against the architecture table into *arch.
 * Returns 0, or 2 after a usage error. */
int cli_arch_option(const char *command, const char *arg, const char **arch);

/* The form of c's progress: --progress, or for auto a terminal's live
 * line when stderr is one, else plain lines. */
enum progress_form cli_progress_form(const struct cli *c);

/* ---- the commands that read a recipe: validate, plan, build ---------- */

/* Their two rows, in each of their option tables (long only: -s is
 * resize's --size, and no other letter says "set" or "werror"). */
#define CLI_RECIPE_OPTIONS                                                                         \
    {CLI_OPT_SET, 0, "set", "KEY=VALUE",                                                           \
     "set a value of the recipe, as if written in it:\n"                                           \
     "a dotted key such as os.hostname or\n"                                                       \
     "disks.app.size (repeatable); ${VAR} in the\n"                                                \
     "recipe's values reads the environment,\n"                                                    \
     "${VAR:-DEFAULT} when unset or empty",                                                        \
     NULL},                                                                                        \
    {CLI_OPT_WERROR, 0, "werror", NULL, "treat the recipe's warnings as errors (exit 3)", NULL}

/* How they read a recipe: --set KEY=VALUE in order, and --werror. */
struct cli_recipe_opts {
    const char **set;
    size_t n_set;
    bool werror;
    const char *cache_dir; /* where the warnings find cached root trees; NULL: the default */
};

/* The part of command's option handler for CLI_RECIPE_OPTIONS: takes id
 * and arg into o. Returns 0, 2 after a usage error (a --set without
 * KEY=), 1 when out of memory, or -1 when id is not one of them. */
int cli_recipe_option(struct cli_recipe_opts *o, const char *command, int id, const char *arg);
void cli_recipe_opts_release(struct cli_recipe_opts *o);

/* Parses and resolves path with o (${VAR} from the environment) and
 * reports through c the errors, or the plan's warnings (as errors with
 * --werror). Returns the plan, or NULL with *status set (cmd_recipe.c). */
struct plan;
const struct plan *cli_load_plan(struct cli *c, const char *path, const struct cli_recipe_opts *o,
                                 int *status);

/* The same for each architecture the recipe lists, in build order
 * (plan_arches), into plans; their warnings reported once (one that
 * every plan gives, once). Returns how many (1 or 2), or 0 with *status
 * set. */
size_t cli_load_plans(struct cli *c, const char *path, const struct cli_recipe_opts *o,
                      const struct plan *plans[2], int *status);

/* Checks that each of the n paths named on the command line exists (a
 * file or a folder); reports every one that does not ("cannot read 'X':
 * REASON", code no-file) and returns 4, else 0. So that a missing input
 * exits 4 in every command, as a missing recipe does, not 1 as a failure
 * of what was found. */
int cli_check_inputs(struct cli *c, char *const *paths, int n);

/* Whether a notice or a progress line at level should be shown. */
static inline bool
cli_shows(const struct cli *c, enum cli_level level)
{
    return c->level >= level;
}

/* The progress display's level for c's -q and -v. */
enum progress_level cli_progress_level(const struct cli *c);

/* --json's result of a command that writes a folder:
 * {"output": DIR, "seconds": N}. 0, or 1 after printing why not. */
int cli_print_output(const char *dir, double seconds);

/* Writes one JSON value on stdout (obj is a json_object *, released),
 * with a newline; returns 0, or 1 after printing why it could not. */
int cli_print_json(void *obj);

/* The edit distance of a and b (optimal string alignment: insertions,
 * deletions, substitutions and swaps of two neighbours cost 1). */
size_t cli_edit_distance(const char *a, const char *b);

/* The candidates nearest to word, as git's did-you-mean picks them: those
 * at the smallest distance when it is small for word's length, or of
 * which word is a prefix. Fills out (at most max, NULL-terminated when
 * fewer) and returns how many. */
size_t cli_suggest(const char *word, const char *const *candidates, size_t n,
                   const char **out, size_t max);

/* Prints "Did you mean 'x'?" (or the list) to stderr for word among
 * candidates, with prefix before each ("--" for options). */
void cli_print_suggestions(const char *word, const char *const *candidates, size_t n,
                           const char *prefix);

#endif
