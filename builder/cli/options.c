/* options.c: the program's one command-line grammar (options.h): the
 * common options, parsing from a command's table, --help made from it,
 * did-you-mean, and errors as text or JSON. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appliance/cli.h"
#include "appliance/enums.h"
#include "appliance/suggest.h"
#include "appliance/vmtest.h"
#include "options.h"

#define MAX_OPTIONS 48
#define HELP_COLUMN 26
/* Errors on stderr: one line, as a tool reading it line by line wants. */
#define JSON_ERRORS_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const struct cli_option common_options[] = {
    {'j', 'j', "json", NULL, "print the result as JSON on stdout, and errors\n"
                             "as JSON on stderr", NULL},
    {'q', 'q', "quiet", NULL, "print errors and warnings only", NULL},
    {'v', 'v', "verbose", NULL, "say more on stderr: each command run, each step", NULL},
    {CLI_OPT_LOG, 0, "log", "FILE", "write what the command did to FILE", NULL},
    {'h', 'h', "help", NULL, "show this help", NULL},
    {0, 0, NULL, NULL, NULL, NULL},
};

/* Usage errors are printed before a command has its struct cli: whether
 * they are JSON is the one thing the front keeps for the process. */
static bool json_errors;

/* ---- did-you-mean -------------------------------------------------------- */

size_t
cli_edit_distance(const char *a, const char *b)
{
    return suggest_distance(a, b);
}

size_t
cli_suggest(const char *word, const char *const *candidates, size_t n, const char **out,
            size_t max)
{
    size_t len = strlen(word), best = (size_t)-1, found = 0;
    /* git's rule of thumb: a typo is a letter or two, fewer for short words. */
    size_t limit = len < 4 ? 1 : len < 8 ? 2 : 3;
    for (size_t i = 0; i < n; i++) {
        size_t dist = cli_edit_distance(word, candidates[i]);
        if (len >= 2 && strncmp(word, candidates[i], len) == 0)
            dist = 1; /* a prefix: as near as one typo */
        if (dist <= limit && dist < best)
            best = dist;
    }
    for (size_t i = 0; i < n && found < max && best != (size_t)-1; i++) {
        size_t dist = cli_edit_distance(word, candidates[i]);
        if (len >= 2 && strncmp(word, candidates[i], len) == 0)
            dist = 1;
        if (dist == best)
            out[found++] = candidates[i];
    }
    if (found < max)
        out[found] = NULL;
    return found;
}

void
cli_print_suggestions(const char *word, const char *const *candidates, size_t n,
                      const char *prefix)
{
    const char *near[8];
    size_t k = cli_suggest(word, candidates, n, near, 8);
    if (k == 1)
        fprintf(stderr, "Did you mean '%s%s'?\n", prefix, near[0]);
    else if (k > 1) {
        fputs("Did you mean one of these?\n", stderr);
        for (size_t i = 0; i < k; i++)
            fprintf(stderr, "\t%s%s\n", prefix, near[i]);
    }
}

/* ---- usage errors -------------------------------------------------------- */

static void
print_json_error(const char *code, const char *message)
{
    json_object *root = json_object_new_object(), *list = json_object_new_array();
    json_object *e = json_object_new_object();
    json_object_object_add(e, "file", NULL);
    json_object_object_add(e, "line", NULL);
    json_object_object_add(e, "column", NULL);
    json_object_object_add(e, "code", json_object_new_string(code));
    json_object_object_add(e, "message", json_object_new_string(message));
    json_object_array_add(list, e);
    json_object_object_add(root, "errors", list);
    fprintf(stderr, "%s\n", json_object_to_json_string_ext(root, JSON_ERRORS_FLAGS));
    json_object_put(root);
}

int
cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (json_errors) {
        print_json_error("usage", msg ? msg : fmt);
        free(msg);
        return 2;
    }
    fprintf(stderr, "appliance: %s\n", msg ? msg : fmt);
    free(msg);
    if (command)
        fprintf(stderr, "Try 'appliance %s --help' for more information.\n", command);
    else
        fputs("Try 'appliance --help' for more information.\n", stderr);
    return 2;
}

/* The long names of cmd's options and the common ones, hidden aliases too. */
static size_t
long_names(const struct cli_command *cmd, const char **names, size_t max)
{
    size_t n = 0;
    for (const struct cli_option *o = cmd->options; o && o->name && n < max; o++)
        names[n++] = o->name;
    for (const struct cli_option *o = common_options; o->name && n < max; o++)
        names[n++] = o->name;
    return n;
}

/* An unknown long option: the message, then the options it may have meant. */
static int
unknown_long_option(const struct cli_command *cmd, const char *arg)
{
    char word[64];
    snprintf(word, sizeof(word), "%s", arg + 2);
    word[strcspn(word, "=")] = '\0';
    const char *names[MAX_OPTIONS * 2];
    size_t n = long_names(cmd, names, MAX_OPTIONS * 2), matches = 0;
    for (size_t i = 0; i < n; i++)
        matches += *word && strncmp(names[i], word, strlen(word)) == 0;
    if (matches > 1)
        return cli_usage_error(cmd->name, "option '--%s' is ambiguous (it begins %zu options)",
                               word, matches);
    if (json_errors)
        return cli_usage_error(cmd->name, "unknown option '--%s'", word);
    fprintf(stderr, "appliance: unknown option '--%s'\n", word);
    cli_print_suggestions(word, names, n, "--");
    fprintf(stderr, "Try 'appliance %s --help' for more information.\n", cmd->name);
    return 2;
}

/* An unknown letter: the long options that begin with it (the letter may
 * mean something in another command, or may have in an older release). */
static int
unknown_short_option(const struct cli_command *cmd, int letter)
{
    const char *names[MAX_OPTIONS * 2];
    size_t n = long_names(cmd, names, MAX_OPTIONS * 2), k = 0;
    if (json_errors)
        return cli_usage_error(cmd->name, "unknown option '-%c'", letter);
    fprintf(stderr, "appliance: unknown option '-%c'\n", letter);
    for (size_t i = 0; i < n; i++)
        if (names[i][0] == letter)
            names[k++] = names[i];
    if (k == 1)
        fprintf(stderr, "Did you mean '--%s'?\n", names[0]);
    else if (k > 1) {
        fputs("Did you mean one of these?\n", stderr);
        for (size_t i = 0; i < k; i++)
            fprintf(stderr, "\t--%s\n", names[i]);
    }
    fprintf(stderr, "Try 'appliance %s --help' for more information.\n", cmd->name);
    return 2;
}

int
cli_option_error(const char *command, int c, char **argv)
{
    const char *arg = argv[optind - 1];
    if (c == ':')
        return cli_usage_error(command, "option '%s' needs an argument", arg);
    if (optopt && strncmp(arg, "--", 2) != 0)
        return cli_usage_error(command, "unknown option '-%c'", optopt);
    return cli_usage_error(command, "unknown option '%s'", arg);
}

/* ---- parsing ------------------------------------------------------------- */

struct getopt_tables {
    struct option longopts[MAX_OPTIONS + 1];
    char optstring[MAX_OPTIONS * 2 + 2];
    const struct cli_option *by_index[MAX_OPTIONS];
};

static void
add_option(struct getopt_tables *t, size_t *n, const struct cli_option *o)
{
    if (*n >= MAX_OPTIONS)
        abort(); /* a table too long is the programmer's error */
    t->longopts[*n] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL,
                                      (int)*n + 1000};
    t->by_index[*n] = o;
    (*n)++;
    if (o->letter) {
        size_t len = strlen(t->optstring);
        t->optstring[len++] = o->letter;
        if (o->arg)
            t->optstring[len++] = ':';
        t->optstring[len] = '\0';
    }
}

static const struct cli_option *
by_letter(const struct getopt_tables *t, size_t n, int letter)
{
    for (size_t i = 0; i < n; i++)
        if (t->by_index[i]->letter == letter)
            return t->by_index[i];
    return NULL;
}

/* --json anywhere before "--" makes even the first usage error JSON. */
static bool
wants_json(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
            return true;
    return false;
}

/* So does --progress=json (or --progress json), for stderr alone. */
static bool
wants_json_progress(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--progress=json") == 0 ||
            (strcmp(argv[i], "--progress") == 0 && i + 1 < argc &&
             strcmp(argv[i + 1], "json") == 0))
            return true;
    return false;
}

static int
progress_option(struct cli *c, const char *arg)
{
    int v;
    char list[64];
    if (ab_enum_from_string(&progress_form_table, arg, &v) < 0)
        return cli_usage_error(c->cmd->name, "invalid --progress '%s': %s", arg,
                               ab_enum_list(&progress_form_table, list, sizeof(list)));
    c->progress = (enum progress_form)v;
    c->json_diags = c->json_diags || c->progress == PROGRESS_JSON;
    return 0;
}

static int
common_option(struct cli *c, const struct cli_option *o, const char *arg, bool *quiet)
{
    if (o->deprecated && c->level > CLI_QUIET && !c->json_diags)
        fprintf(stderr, "appliance: notice: option '--%s' is deprecated: use '--%s'\n", o->name,
                o->deprecated);
    switch (o->id) {
    case 'j':
        c->json = c->json_diags = true;
        return 0;
    case 'q':
        *quiet = true;
        return 0;
    case 'v':
        c->level = CLI_VERBOSE;
        return 0;
    case CLI_OPT_LOG:
        c->log_path = arg;
        return 0;
    case CLI_OPT_PROGRESS:
        return progress_option(c, arg);
    case 'h':
        cli_help(c->cmd, stdout);
        return 0;
    default:
        return -1;
    }
}

int
cli_parse(struct cli *c, const struct cli_command *cmd, int argc, char **argv,
          cli_option_fn on_option, void *ctx)
{
    struct getopt_tables t;
    size_t n = 0;
    bool quiet = false;
    memset(&t, 0, sizeof(t));
    *c = (struct cli){.cmd = cmd, .level = CLI_NORMAL};
    if (argc == 2 && strcmp(argv[1], CLI_COMPLETE_OPTIONS) == 0) {
        cli_complete_options(cmd, stdout);
        return 0;
    }
    c->json = wants_json(argc, argv);
    json_errors = c->json_diags = c->json || wants_json_progress(argc, argv);
    strcpy(t.optstring, ":");
    for (const struct cli_option *o = cmd->options; o && o->name; o++)
        add_option(&t, &n, o);
    for (const struct cli_option *o = common_options; o->name; o++)
        add_option(&t, &n, o);

    optind = 0;
    opterr = 0;
    int r, index;
    while ((r = getopt_long(argc, argv, t.optstring, t.longopts, &index)) != -1) {
        const struct cli_option *o = r >= 1000 ? t.by_index[r - 1000] : by_letter(&t, n, r);
        if (r == ':' || !o) {
            const char *arg = argv[optind - 1];
            if (r == '?' && strncmp(arg, "--", 2) == 0)
                return unknown_long_option(cmd, arg);
            if (r == '?' && optopt)
                return unknown_short_option(cmd, optopt);
            return cli_option_error(cmd->name, r, argv);
        }
        int status = common_option(c, o, optarg, &quiet);
        if (status < 0)
            status = on_option ? on_option(ctx, o->id, o->arg ? optarg : NULL) : -1;
        if (status < 0)
            return cli_option_error(cmd->name, '?', argv);
        if (status > 0 || o->id == 'h')
            return status;
    }
    if (quiet && c->level == CLI_VERBOSE)
        return cli_usage_error(cmd->name, "options '--quiet' and '--verbose' exclude each other");
    if (quiet)
        c->level = CLI_QUIET;
    c->args = argv + optind;
    c->n_args = argc - optind;
    return -1;
}

/* ---- help ---------------------------------------------------------------- */

static void
help_option(const struct cli_option *o, FILE *out)
{
    char left[128];
    if (!o->help)
        return;
    snprintf(left, sizeof(left), "  %s%c%s--%s%s%s", o->letter ? "-" : " ",
             o->letter ? o->letter : ' ', o->letter ? ", " : "  ", o->name, o->arg ? " " : "",
             o->arg ? o->arg : "");
    fputs(left, out);
    size_t col = strlen(left);
    if (col + 1 >= HELP_COLUMN) {
        fputc('\n', out);
        col = 0;
    }
    for (const char *h = o->help; *h;) {
        size_t len = strcspn(h, "\n");
        fprintf(out, "%*s%.*s\n", (int)(HELP_COLUMN - col), "", (int)len, h);
        col = 0;
        h += len + (h[len] == '\n');
    }
}

void
cli_help(const struct cli_command *cmd, FILE *out)
{
    fputs(cmd->usage, out);
    fputs("\nOptions:\n", out);
    for (const struct cli_option *o = cmd->options; o && o->name; o++)
        help_option(o, out);
    for (const struct cli_option *o = common_options; o->name; o++)
        help_option(o, out);
    if (cmd->footer) {
        fputc('\n', out);
        fputs(cmd->footer, out);
    }
}

/* ---- bash completion ----------------------------------------------------- */

/* The options whose values are a name table's: the command (NULL: every
 * one that has the option), the option's long name, and the values the
 * command refuses. The option tables own the options; this links a few
 * to the tables that own their values. */
static const struct option_values {
    const char *command, *option;
    const struct ab_enum_table *values;
    unsigned refused;
} option_values[] = {
    {NULL, "progress", &progress_form_table, 0},
    {NULL, "arch", &arch_table, 0},
    {"convert", "to", &output_table, OUTPUTS_FROM_TREE},
    {"convert", "firmware", &firmware_table, 0},
    {"init", "distro", &distro_table, 0},
    {"inspect", "target", &ova_target_table, 0},
    {"test", "firmware", &vmtest_firmware_table, 0},
};

static const struct option_values *
values_of(const char *command, const char *option)
{
    for (size_t i = 0; i < sizeof(option_values) / sizeof(option_values[0]); i++)
        if ((!option_values[i].command || strcmp(option_values[i].command, command) == 0) &&
            strcmp(option_values[i].option, option) == 0)
            return &option_values[i];
    return NULL;
}

/* "WORD[ ARG[ VALUE...]]" for each name of o; none for a hidden alias or
 * one kept for old scripts (deprecated). */
static void
complete_option(const struct cli_command *cmd, const struct cli_option *o, FILE *out)
{
    const struct option_values *v = o->arg ? values_of(cmd->name, o->name) : NULL;
    for (int letter = 0; letter < 2 && o->help && !o->deprecated; letter++) {
        if (letter && !o->letter)
            break;
        if (letter)
            fprintf(out, "-%c", o->letter);
        else
            fprintf(out, "--%s", o->name);
        if (o->arg)
            fprintf(out, " %s", o->arg);
        for (size_t i = 0; v && i < v->values->n; i++)
            if (!((unsigned)ab_enum_at(v->values, i)->value & v->refused))
                fprintf(out, " %s", ab_enum_at(v->values, i)->name);
        fputc('\n', out);
    }
}

void
cli_complete_options(const struct cli_command *cmd, FILE *out)
{
    for (const struct cli_option *o = cmd->options; o && o->name; o++)
        complete_option(cmd, o, out);
    for (const struct cli_option *o = common_options; o->name; o++)
        complete_option(cmd, o, out);
}

/* ---- the log and the errors ---------------------------------------------- */

int
cli_open_log(struct cli *c)
{
    if (!c->log_path || c->log)
        return 0;
    if (!(c->log = fopen(c->log_path, "w"))) {
        int e = errno;
        struct ab_error err = AB_ERROR_INIT;
        struct ab_pos pos = {c->log_path, 0, 0};
        ab_error_set(&err, AB_E_BUILD, e, &pos, "cannot write log: %s", strerror(e));
        int status = cli_report_to(c, &err);
        ab_error_release(&err);
        return status;
    }
    return 0;
}

int
cli_release(struct cli *c, int status)
{
    if (c->json_errors || c->json_warnings) {
        json_object *root = json_object_new_object();
        json_object_object_add(root, "errors",
                               c->json_errors ? c->json_errors : json_object_new_array());
        if (c->json_warnings)
            json_object_object_add(root, "warnings", c->json_warnings);
        fprintf(stderr, "%s\n", json_object_to_json_string_ext(root, JSON_ERRORS_FLAGS));
        json_object_put(root);
        c->json_errors = NULL;
        c->json_warnings = NULL;
    }
    if (c->log) {
        if (fclose(c->log) != 0 && status == 0) {
            fprintf(stderr, "appliance: error: writing log '%s': %s\n", c->log_path,
                    strerror(errno));
            status = 1;
        }
        c->log = NULL;
    }
    return status;
}

static const char *
code_name(enum ab_error_code code)
{
    switch (code) {
    case AB_OK:
        return "ok";
    case AB_E_USAGE:
        return "usage";
    case AB_E_RECIPE:
        return "recipe";
    case AB_E_NOFILE:
        return "no-file";
    case AB_E_NOMEM:
        return "no-memory";
    case AB_E_BUILD:
        break;
    }
    return "failed";
}

/* Adds err's diagnostics to the JSON list *list (made when NULL), each
 * of code code and its message followed by suffix; kind names them in
 * the line that counts those not kept ("errors", "warnings"). */
static void
add_json_diags(json_object **list, const struct ab_error *err, const char *code, const char *suffix,
               const char *kind)
{
    if (!*list && !(*list = json_object_new_array()))
        return;
    for (size_t i = 0; i < err->n_diags; i++) {
        const struct ab_diag *d = &err->diags[i];
        json_object *e = json_object_new_object();
        char *msg = NULL;
        if (asprintf(&msg, "%s%s", d->msg, suffix) < 0)
            msg = NULL;
        json_object_object_add(e, "file", d->file ? json_object_new_string(d->file) : NULL);
        json_object_object_add(e, "line", d->line ? json_object_new_int((int)d->line) : NULL);
        json_object_object_add(e, "column", d->col ? json_object_new_int((int)d->col) : NULL);
        json_object_object_add(e, "code", json_object_new_string(code));
        json_object_object_add(e, "message", json_object_new_string(msg ? msg : d->msg));
        json_object_array_add(*list, e);
        free(msg);
    }
    if (err->n_dropped || (err->code == AB_E_NOMEM && err->n_diags == 0)) {
        char msg[64];
        json_object *e = json_object_new_object();
        snprintf(msg, sizeof(msg), "%zu more %s not shown", err->n_dropped, kind);
        json_object_object_add(e, "code", json_object_new_string(code));
        json_object_object_add(e, "message",
                               json_object_new_string(err->n_dropped ? msg : strerror(ENOMEM)));
        json_object_array_add(*list, e);
    }
}

int
cli_report_to(struct cli *c, struct ab_error *err)
{
    ab_error_sort(err);
    if (c->json_diags)
        add_json_diags(&c->json_errors, err, code_name(err->code), "", "errors");
    else
        ab_error_write(err, stderr);
    if (c->log)
        ab_error_write(err, c->log);
    return ab_error_exit_status(err);
}

int
cli_report_warnings_to(struct cli *c, const struct ab_error *warnings, bool as_errors)
{
    if (warnings->n_diags == 0 && warnings->n_dropped == 0)
        return 0;
    if (!c->json_diags)
        ab_error_write_warnings(warnings, stderr, as_errors);
    else if (as_errors)
        add_json_diags(&c->json_errors, warnings, code_name(AB_E_RECIPE), " (--werror)", "errors");
    else
        add_json_diags(&c->json_warnings, warnings, "warning", "", "warnings");
    if (c->log)
        ab_error_write_warnings(warnings, c->log, as_errors);
    return as_errors ? 3 : 0;
}

int
cli_arch_option(const char *command, const char *arg, const char **arch)
{
    int v;
    if (ab_enum_from_string(&arch_table, arg, &v) < 0)
        return cli_usage_error(command, "unknown architecture '%s' (expected x86_64 or aarch64)",
                               arg);
    *arch = arg;
    return 0;
}

int
cli_recipe_option(struct cli_recipe_opts *o, const char *command, int id, const char *arg)
{
    switch (id) {
    case CLI_OPT_SET: {
        /* Its form, once for every recipe (the recipe's reader checks the rest). */
        if (!strchr(arg, '=') || arg[0] == '=')
            return cli_usage_error(command,
                                   "--set '%s': expected KEY=VALUE, such as os.hostname=web1", arg);
        const char **grown = realloc(o->set, (o->n_set + 1) * sizeof(*grown));
        if (!grown) {
            fputs("appliance: error: out of memory\n", stderr);
            return 1;
        }
        o->set = grown;
        o->set[o->n_set++] = arg;
        return 0;
    }
    case CLI_OPT_WERROR:
        o->werror = true;
        return 0;
    default:
        return -1;
    }
}

void
cli_recipe_opts_release(struct cli_recipe_opts *o)
{
    free(o->set);
    o->set = NULL;
    o->n_set = 0;
}

int
cli_check_inputs(struct cli *c, char *const *paths, int n)
{
    struct ab_error err = AB_ERROR_INIT;
    struct stat st;
    for (int i = 0; i < n; i++)
        if (stat(paths[i], &st) < 0)
            ab_error_set(&err, AB_E_NOFILE, errno, NULL, "cannot read '%s': %s", paths[i],
                         strerror(errno));
    int status = ab_error_is_set(&err) ? cli_report_to(c, &err) : 0;
    ab_error_release(&err);
    return status;
}

int
cli_print_json(void *obj)
{
    json_object *o = obj;
    int r = puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                       JSON_C_TO_STRING_SPACED |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    if (r < 0 || fflush(stdout) != 0) {
        perror("appliance: error: writing the result");
        return 1;
    }
    return 0;
}

bool
cli_stderr_is_terminal(void)
{
    const char *term = getenv("TERM");
    return isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

enum progress_form
cli_progress_form(const struct cli *c)
{
    if (c->progress != PROGRESS_AUTO)
        return c->progress;
    return cli_stderr_is_terminal() ? PROGRESS_TERMINAL : PROGRESS_PLAIN;
}

enum progress_level
cli_progress_level(const struct cli *c)
{
    return c->level == CLI_QUIET     ? PROGRESS_QUIET
           : c->level == CLI_VERBOSE ? PROGRESS_VERBOSE
                                     : PROGRESS_NORMAL;
}

int
cli_print_output(const char *dir, double seconds)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "output", json_object_new_string(dir));
    json_object_object_add(o, "seconds", json_object_new_double(seconds));
    return cli_print_json(o);
}
