/* main.c: the appliance program's entry: global options and commands. */
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cli.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"

static const char usage_text[] =
    "Usage: appliance [--version] [--help] COMMAND [ARGS]\n"
    "\n"
    "Build the standard two-disk virtual machine from a recipe and package it\n"
    "for every hypervisor.\n"
    "\n"
    "Commands:\n"
    "  validate RECIPE          check a recipe; silent when it is valid\n"
    "  plan RECIPE [--json]     print the resolved build plan\n"
    "  build RECIPE [-o DIR]    build the appliance into DIR\n"
    "  inspect BUNDLE|DISK...   describe and check built appliances or disk images\n"
    "  deploy OUTPUT_DIR        define (and start) the appliance as a libvirt domain\n"
    "  test OUTPUT_DIR          boot what build wrote and check it\n"
    "  convert SRC -o DIR --to OUTPUTS\n"
    "                           move an appliance to other hypervisors\n"
    "  resize IMAGE --size SIZE grow or shrink one disk of the appliance offline\n"
    "  schema                   print the recipe's JSON Schema, for editors\n"
    "\n"
    "Run 'appliance COMMAND --help' for a command's options.\n"
    "Exit status: 0 success, 1 failure, 2 usage error, 3 invalid recipe.\n";

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"validate", cmd_validate},
    {"plan", cmd_plan},
    {"build", cmd_build},
    {"inspect", cmd_inspect},
    {"deploy", cmd_deploy},
    {"test", cmd_test},
    {"convert", cmd_convert},
    {"resize", cmd_resize},
    {"schema", cmd_schema},
    {"init", cmd_init},
};

int
cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    fputs("appliance: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (command)
        fprintf(stderr, "Try 'appliance %s --help' for more information.\n", command);
    else
        fputs("Try 'appliance --help' for more information.\n", stderr);
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

bool
cli_stderr_is_terminal(void)
{
    const char *term = getenv("TERM");
    return isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

static void
on_stop_signal(int sig)
{
    stop_request(sig);
}

static void
on_stop_signal_children(int sig)
{
    stop_request(sig);
    spawn_kill_all(SIGTERM);
}

void
cli_stop_on_signals(unsigned flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = flags & CLI_STOP_CHILDREN ? on_stop_signal_children : on_stop_signal;
    sa.sa_flags = flags & CLI_STOP_RESTART ? SA_RESTART : 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int
cli_report(struct ab_error *err)
{
    ab_error_sort(err);
    ab_error_write(err, stderr);
    return ab_error_exit_status(err);
}

int
main(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    opterr = 0; /* every option error is reported by cli_option_error() */
    /* '+': stop at the command name; its options are its own. */
    while ((c = getopt_long(argc, argv, "+:hV", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("appliance %s\n", APPLIANCE_VERSION);
            return 0;
        default:
            return cli_option_error(NULL, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error(NULL, "missing command");
    const char *name = argv[optind];
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* reset getopt for the command's own options */
            opterr = 0;
            return commands[i].run(sub_argc, sub_argv);
        }
    }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}
