/* main.c: the appliance program's entry: global options and commands. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/cli.h"
#include "appliance/enums.h"
#include "appliance/spawn.h"
#include "appliance/stop.h"
#include "build_info.h"
#include "options.h"

static const char usage_text[] =
    "Usage: appliance [--version] [--help] COMMAND [ARGS]\n"
    "       appliance help [COMMAND]\n"
    "\n"
    "Build the standard two-disk virtual machine from a recipe and package it\n"
    "for every hypervisor.\n"
    "\n"
    "Commands:\n"
    "  init [DIR]               write a commented starter recipe into DIR\n"
    "  validate RECIPE...       check recipes; silent when they are valid\n"
    "  plan RECIPE              print the resolved build plan\n"
    "  build RECIPE [-o DIR]    build the appliance into DIR\n"
    "  inspect BUNDLE|DISK...   describe and check built appliances or disk images\n"
    "  verify DIR|OVA [--key PUB]\n"
    "                           check a delivery's signatures, digests, SBOMs and disks\n"
    "  push OUTPUT_DIR REF      publish a build to an OCI registry as one artifact\n"
    "  pull REF -o DIR          bring a published build back, checked\n"
    "  deploy OUTPUT_DIR        define (and start) the appliance as a libvirt domain\n"
    "  test OUTPUT_DIR          boot what build wrote and check it\n"
    "  convert SRC -o DIR --to OUTPUTS\n"
    "                           move an appliance to other hypervisors\n"
    "  resize IMAGE --size SIZE grow or shrink one disk of the appliance offline\n"
    "  schema                   print the recipe's JSON Schema, for editors\n"
    "  help [COMMAND]           this help, or a command's\n"
    "\n"
    "Every command takes -j/--json, -q/--quiet, -v/--verbose, --log FILE and\n"
    "-h/--help. Run 'appliance help COMMAND' for a command's options.\n"
    "Exit status: 0 success, 1 failure, 2 usage error, 3 invalid recipe,\n"
    "4 a file named on the command line is missing or cannot be read.\n";

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"validate", cmd_validate},
    {"plan", cmd_plan},
    {"build", cmd_build},
    {"inspect", cmd_inspect},
    {"verify", cmd_verify},
    {"push", cmd_push},
    {"pull", cmd_pull},
    {"deploy", cmd_deploy},
    {"test", cmd_test},
    {"convert", cmd_convert},
    {"resize", cmd_resize},
    {"schema", cmd_schema},
    {"init", cmd_init},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

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

/* --version: the version, the commit it was built from and what is in. */
static void
print_version(void)
{
    printf("appliance %s\n", APPLIANCE_VERSION);
    printf("commit: %s\n", APPLIANCE_COMMIT);
    printf("libraries: %s\n", APPLIANCE_LIBRARIES);
    printf("outputs:");
    for (size_t i = 0; i < output_table.n; i++)
        printf(" %s", ab_enum_at(&output_table, i)->name);
    printf("\ndistributions:");
    for (size_t i = 0; i < distro_table.n; i++)
        printf(" %s", ab_enum_at(&distro_table, i)->name);
    printf("\n");
}

/* An unknown command: the message, the nearest commands, the hint. */
static int
unknown_command(const char *name)
{
    const char *names[N_COMMANDS + 1];
    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    names[N_COMMANDS] = "help";
    fprintf(stderr, "appliance: '%s' is not an appliance command\n", name);
    cli_print_suggestions(name, names, N_COMMANDS + 1, "");
    fputs("Try 'appliance --help' for more information.\n", stderr);
    return 2;
}

static int
run_command(const char *name, int argc, char **argv)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].run(argc, argv);
    return unknown_command(name);
}

/* appliance --complete commands | options COMMAND: the words that bash
 * completion (completion/appliance) offers, from the program's own tables,
 * one a line: the commands, or a command's options with their arguments
 * and values (options.h, cli_complete_options). Hidden: for the
 * completion, not for people. */
static int
complete(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[2], "commands") == 0) {
        for (size_t i = 0; i < N_COMMANDS; i++)
            puts(commands[i].name);
        puts("help");
        return 0;
    }
    if (argc == 4 && strcmp(argv[2], "options") == 0) {
        char opt[] = CLI_COMPLETE_OPTIONS;
        char *sub_argv[] = {argv[3], opt, NULL};
        return run_command(argv[3], 2, sub_argv);
    }
    return cli_usage_error(NULL, "--complete takes 'commands' or 'options COMMAND'");
}

/* appliance help [COMMAND]: the usage, or the command's --help. */
static int
help(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc > 2)
        return cli_usage_error(NULL, "help takes one COMMAND, not '%s'", argv[2]);
    if (strcmp(argv[1], "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    char help_opt[] = "--help";
    char *sub_argv[] = {argv[1], help_opt, NULL};
    return run_command(argv[1], 2, sub_argv);
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

    if (argc >= 2 && strcmp(argv[1], "--complete") == 0)
        return complete(argc, argv);
    opterr = 0; /* every option error is reported by cli_option_error() */
    /* '+': stop at the command name; its options are its own. */
    while ((c = getopt_long(argc, argv, "+:hV", options, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            print_version();
            return 0;
        default:
            return cli_option_error(NULL, c, argv);
        }
    }
    /* Bare: the usage, as git prints it, but on stderr with the exit
     * status of a usage error (appliance(1), EXIT STATUS). */
    if (optind >= argc) {
        fputs(usage_text, stderr);
        fputs("Try 'appliance --help' for more information.\n", stderr);
        return 2;
    }
    const char *name = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 0; /* reset getopt for the command's own options */
    opterr = 0;
    if (strcmp(name, "help") == 0)
        return help(sub_argc, sub_argv);
    return run_command(name, sub_argc, sub_argv);
}
