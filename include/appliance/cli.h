/* cli.h: the commands of the appliance program (main.c dispatches). */
#ifndef APPLIANCE_CLI_H
#define APPLIANCE_CLI_H

#include <stdbool.h>

#include "appliance/error.h"
#include "appliance/version.h"

/* Each command parses its own options from argv (argv[0] is the command
 * name) and returns the process exit status. */
int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_deploy(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_resize(int argc, char **argv);
int cmd_schema(int argc, char **argv);
int cmd_init(int argc, char **argv);

/* Prints "appliance: <msg>" and the hint line for a usage error (under
 * --json, one JSON object with code "usage"); returns 2. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports the option getopt_long() refused: c is ':' (missing argument,
 * with a leading ':' in the option string) or '?'. Returns 2. */
int cli_option_error(const char *command, int c, char **argv);

/* Whether stderr is a terminal that can redraw a line ($TERM not "dumb"). */
bool cli_stderr_is_terminal(void);

enum cli_stop_flags {
    CLI_STOP_CHILDREN = 1 << 0, /* the handler also sends SIGTERM to spawn's children */
    CLI_STOP_RESTART = 1 << 1,  /* SA_RESTART: for a libguestfs thread that may take it */
};

/* Installs the handler of SIGINT, SIGTERM and SIGHUP: stop_request(sig),
 * and with CLI_STOP_CHILDREN spawn_kill_all(SIGTERM). Without
 * CLI_STOP_RESTART a blocking poll() returns at once. */
void cli_stop_on_signals(unsigned flags);

/* Prints err's diagnostics to stderr and returns its exit status: the
 * plain form, for code without a struct cli; a command reports through
 * cli_report_to() (builder/cli/options.h), which honours --json and --log. */
int cli_report(struct ab_error *err);

#endif
